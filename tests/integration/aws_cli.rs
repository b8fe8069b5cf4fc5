//! The profile `runbooks/aws-cli-mfa.md` writes, read by the real AWS CLI (PyPI `awscli`,
//! installed by scripts/setup.sh into target/bench-venv, away from the emulator's venv):
//! the CLI asks for the MFA code, assumes the role with it against the emulator, and the
//! emulator's own request recording shows the serial number and the code it was sent.
//! The rest of the config file stays byte for byte as it was.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use runbook::providers::Iam;
use runbook::providers::aws::{AwsOptions, AwsProvider};
use runbook::providers::sandbox;
use runbook::secret::Secret;

use crate::harness::{Output, Test, root};

const BEFORE: &str = "\
# Team AWS settings: keep this comment
[default]
region = us-east-1

; staging, set up by hand
[profile staging]
region = eu-west-1
output = json
s3 =
  max_concurrent_requests = 10
";

/// A moto server of this test's own, recording every request it gets (moto's recorder,
/// `MOTO_ENABLE_RECORDING`) into a file in `dir`; killed when dropped.
struct RecordingEmulator {
    child: Child,
    port: u16,
    recording: PathBuf,
}

impl RecordingEmulator {
    fn start(dir: &Path) -> RecordingEmulator {
        let moto = root().join(".venv/bin/moto_server");
        assert!(
            moto.exists(),
            "{} is missing: run scripts/setup.sh",
            moto.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let recording = dir.join("recording.jsonl");
        let mut command = Command::new(moto);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("AWS_") {
                command.env_remove(name);
            }
        }
        let child = command
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_ENABLE_RECORDING", "1")
            .env("MOTO_RECORDER_FILEPATH", &recording)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("moto.log")).unwrap())
            .spawn()
            .unwrap();
        let emulator = RecordingEmulator {
            child,
            port,
            recording,
        };
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "moto did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        emulator
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The form-encoded bodies of the STS/IAM requests recorded so far, decoded.
    fn requests(&self) -> Vec<Vec<(String, String)>> {
        let text = std::fs::read_to_string(&self.recording).unwrap_or_default();
        text.lines()
            .map(|line| {
                let entry: serde_json::Value = serde_json::from_str(line).unwrap();
                let mut body = entry["body"].as_str().unwrap_or("").to_string();
                if entry["body_encoded"] == true {
                    use base64::Engine;
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(&body)
                        .unwrap();
                    body = String::from_utf8(bytes).unwrap();
                }
                body.split('&')
                    .filter_map(|pair| pair.split_once('='))
                    .map(|(k, v)| (decode(k), decode(v)))
                    .collect()
            })
            .collect()
    }
}

impl Drop for RecordingEmulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `application/x-www-form-urlencoded` decoding.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

fn field<'a>(request: &'a [(String, String)], name: &str) -> Option<&'a str> {
    request
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn aws_cli() -> PathBuf {
    let aws = root().join("target/bench-venv/bin/aws");
    assert!(
        aws.exists(),
        "{} is missing: scripts/setup.sh installs the AWS CLI there",
        aws.display()
    );
    aws
}

/// `runbook run runbooks/aws-cli-mfa.md` against `endpoint` with the user's keys and the
/// config file in `dir`, answering the prompts with `answers`.
fn run_guide(
    dir: &Path,
    endpoint: &str,
    keys: &(String, String),
    extra: &[&str],
    answers: &str,
) -> Output {
    Test::new()
        .current_dir(root())
        .args(["run", "runbooks/aws-cli-mfa.md", "--endpoint-url", endpoint])
        .args(["--state-dir", dir.join("state").to_str().unwrap()])
        .args(["--var", "role_name=Admin", "--var", "profile_name=mfa"])
        .args(["--var", "source_profile=default"])
        .args(extra.iter().copied())
        .env("AWS_ACCESS_KEY_ID", keys.0.clone())
        .env("AWS_SECRET_ACCESS_KEY", keys.1.clone())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", dir.join("config").display().to_string())
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("RUNBOOK_ANSWERS", answers)
        .run()
}

#[test]
fn the_real_aws_cli_assumes_the_role_with_the_written_profile_and_a_code() {
    let aws = aws_cli();
    let dir = tempfile::tempdir().unwrap();
    let emulator = RecordingEmulator::start(dir.path());
    let endpoint = emulator.endpoint();
    let attached = sandbox::Emulator::attach(&endpoint).unwrap();
    let user = sandbox::create_user(&attached, "cli-user").unwrap();
    let keys = (
        user.access_key_id.clone(),
        user.secret_access_key.expose().to_string(),
    );
    let provider = AwsProvider::connect(&AwsOptions {
        region: Some("us-east-1".into()),
        endpoint_url: Some(endpoint.clone()),
        credentials: Some((user.access_key_id.clone(), user.secret_access_key.clone())),
        max_attempts: Some(1),
        ..AwsOptions::default()
    });
    let device = provider
        .create_virtual_mfa_device("cli-user-DuoMobile", None)
        .unwrap();
    let serial = device.serial_number.clone();
    provider
        .enable_mfa_device(
            "cli-user",
            &serial,
            &Secret::new("111111"),
            &Secret::new("222222"),
        )
        .unwrap();

    let config = dir.path().join("config");
    std::fs::write(&config, BEFORE).unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o640)).unwrap();

    // A dry run shows the diff and writes nothing.
    let dry = run_guide(dir.path(), &endpoint, &keys, &["--dry-run"], "161803\n");
    dry.assert_code(0);
    assert!(dry.stdout.contains("+[profile mfa]"), "{}", dry.stdout);
    assert_eq!(std::fs::read_to_string(&config).unwrap(), BEFORE);

    // The run: "Go ahead?" y, then the code typed from the app.
    let run = run_guide(dir.path(), &endpoint, &keys, &[], "y\n314159\n");
    run.assert_code(0);
    let profile = format!(
        "[profile mfa]\nrole_arn = arn:aws:iam::123456789012:role/Admin\nsource_profile = default\nmfa_serial = {serial}\nduration_seconds = 3600\n"
    );
    assert!(
        run.stdout.contains(&format!("+mfa_serial = {serial}\n")),
        "{}",
        run.stdout
    );
    let after = std::fs::read_to_string(&config).unwrap();
    assert_eq!(after, format!("{BEFORE}\n{profile}"));
    assert!(
        after.starts_with(BEFORE),
        "the other profiles and comments changed"
    );
    assert_eq!(
        std::fs::metadata(&config).unwrap().permissions().mode() & 0o777,
        0o640
    );
    let backup = dir.path().join("config.runbook-backup");
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), BEFORE);
    assert!(!run.stdout.contains("314159") && !run.stderr.contains("314159"));
    // runbook's own proof: AssumeRole with the serial and the typed code.
    let requests = emulator.requests();
    assert!(
        requests
            .iter()
            .any(|r| field(r, "Action") == Some("AssumeRole")
                && field(r, "SerialNumber") == Some(serial.as_str())
                && field(r, "TokenCode") == Some("314159")),
        "{requests:?}"
    );

    // Run again from the start: the profile is there already, nothing is written.
    let again = run_guide(dir.path(), &endpoint, &keys, &["--restart"], "271828\n");
    again.assert_code(0);
    assert!(
        again.stdout.contains("already has these settings"),
        "{}",
        again.stdout
    );
    assert_eq!(std::fs::read_to_string(&config).unwrap(), after);

    // The real AWS CLI with that profile: it asks for the code and assumes the role.
    let credentials = dir.path().join("credentials");
    std::fs::write(
        &credentials,
        format!(
            "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            keys.0, keys.1
        ),
    )
    .unwrap();
    let mut command = Command::new(aws);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("AWS_") {
            command.env_remove(name);
        }
    }
    command
        .args([
            "sts",
            "get-caller-identity",
            "--profile",
            "mfa",
            "--output",
            "json",
        ])
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
        .env("AWS_ENDPOINT_URL", &endpoint)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_PROXY", "127.0.0.1")
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("http_proxy")
        .env_remove("https_proxy")
        .env("HOME", dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // No controlling terminal: the CLI's prompt (Python's getpass) then reads the code from
    // stdin, so the test never waits on the terminal it was started from.
    // SAFETY: setsid is async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let mut child = command.spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"424242\n").unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!("Enter MFA code for {serial}")),
        "{stderr}"
    );
    let identity: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(
        identity["Arn"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:sts::123456789012:assumed-role/Admin/"),
        "{identity}"
    );
    let requests = emulator.requests();
    assert!(
        requests
            .iter()
            .any(|r| field(r, "Action") == Some("AssumeRole")
                && field(r, "RoleArn") == Some("arn:aws:iam::123456789012:role/Admin")
                && field(r, "SerialNumber") == Some(serial.as_str())
                && field(r, "TokenCode") == Some("424242")),
        "the emulator saw no AssumeRole with the code: {requests:?}"
    );
    // The CLI read the file runbook wrote, and left it as it was.
    assert_eq!(std::fs::read_to_string(&config).unwrap(), after);
    // Nothing runbook wrote (journal, config file, backup) holds a code it was given.
    let mut written = vec![config.clone(), backup];
    let mut dirs = vec![dir.path().join("state")];
    while let Some(folder) = dirs.pop() {
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                written.push(path);
            }
        }
    }
    assert!(written.len() >= 4, "{written:?}");
    for path in written {
        let bytes = std::fs::read(&path).unwrap();
        for code in ["161803", "314159", "271828"] {
            assert!(
                !bytes.windows(6).any(|w| w == code.as_bytes()),
                "{code} in {}",
                path.display()
            );
        }
    }
}

/// In the sandbox, `aws-config.set-profile` writes the sandbox's own file in the state
/// folder and says where; neither `$AWS_CONFIG_FILE` nor `~/.aws/config` is touched.
#[test]
fn the_sandbox_writes_its_own_config_file_never_the_users() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let users_file = dir.path().join("users-config");
    let state = dir.path().join("state");
    let run = |extra: &[&str]| {
        Test::new()
            .current_dir(root())
            .args([
                "run",
                "tests/fixtures/run/aws-config-sandbox.md",
                "--sandbox",
                "--yes",
            ])
            .args(["--state-dir", state.to_str().unwrap()])
            .args(extra.iter().copied())
            .env("HOME", home.display().to_string())
            .env("AWS_CONFIG_FILE", users_file.display().to_string())
            .env("RUNBOOK_VENV", root().join(".venv").display().to_string())
            .run()
    };
    let dry = run(&["--dry-run"]);
    dry.assert_code(0);
    let sandbox_file = state.join("sandbox").join("aws-config");
    assert!(dry.stdout.contains("+[profile mfa]"), "{}", dry.stdout);
    assert!(
        !sandbox_file.exists(),
        "a dry run wrote {}",
        sandbox_file.display()
    );
    let output = run(&[]);
    output.assert_code(0);
    let shown = sandbox_file.display().to_string();
    assert!(
        output
            .stdout
            .contains(&format!("wrote the mfa profile to {shown}")),
        "{}",
        output.stdout
    );
    assert!(
        output
            .stdout
            .contains(&format!("The profile is in {shown}.")),
        "{}",
        output.stdout
    );
    let written = std::fs::read_to_string(&sandbox_file).unwrap();
    assert!(
        written.starts_with("[profile mfa]\nmfa_serial = arn:aws:iam::123456789012:mfa/"),
        "{written}"
    );
    assert!(written.ends_with("\nregion = us-east-1\n"), "{written}");
    assert!(!users_file.exists(), "the sandbox wrote AWS_CONFIG_FILE");
    assert!(!home.join(".aws").exists(), "the sandbox wrote ~/.aws");
}
