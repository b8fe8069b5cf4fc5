//! No seed and no code ever reaches stdout, stderr, the JSON events or any file a run
//! writes (the journal): the run is scanned byte for byte for every form of the seed and
//! for every code of the windows around it.

use std::path::Path;

use runbook::providers::Iam;
use runbook::providers::aws::AwsProvider;
use runbook::providers::sandbox;
use runbook::totp;

use crate::harness::{Test, root};
use crate::moto::{own_emulator, user};

const START: u64 = 1_700_000_000;

pub(crate) fn files(dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
}

/// Whether `needle` occurs in `haystack` as a token of its own (not inside a longer run
/// of digits, nor as the fractional seconds of a timestamp).
fn contains_code(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .enumerate()
        .any(|(i, window)| {
            let before = i.checked_sub(1).map(|j| haystack[j]);
            let after = haystack.get(i + needle.len()).copied();
            window == needle
                && !before.is_some_and(|b| b.is_ascii_digit() || b == b'.')
                && !after.is_some_and(|a| a.is_ascii_digit())
        })
}

#[test]
fn no_seed_or_code_is_printed_or_written() {
    let user = user("leak");
    let state = tempfile::tempdir().unwrap();
    let fake_clock = START.to_string();
    let env = [("RUNBOOK_FAKE_CLOCK", fake_clock.as_str())];
    let json = user.run(
        "tests/fixtures/run/login.md",
        state.path(),
        &["--yes", "--output", "json"],
        &env,
    );
    json.assert_code(0);
    assert!(json.stderr.contains("signed in with"), "{}", json.stderr);
    // The same run again, in human form, for its own output. The device is enabled
    // already and its seed was never kept, so the unattended sign-in check cannot run:
    // the run says so and ends `unverified` (exit 3).
    let human = user.run(
        "tests/fixtures/run/login.md",
        state.path(),
        &["--yes", "--restart"],
        &env,
    );
    human.assert_code(3);
    assert!(
        human.stdout.contains("checks could not run"),
        "{}",
        human.stdout
    );

    // The emulator (unlike AWS) lists seeds: the test's way to know what to look for.
    // Every page of them: the emulator is shared, and holds more than 100 devices.
    let provider = user.provider();
    let seed_text = user
        .emulator_seed("leak-DuoMobile")
        .expect("the device exists");
    let seed = totp::parse_seed(&seed_text).unwrap();
    assert_eq!(provider.list_mfa_devices(Some("leak")).unwrap().len(), 1);

    let needles = seed_needles(&seed_text);
    let codes: Vec<String> = (0..12)
        .map(|n| seed.code_at(START - 90 + n * 30).expose().to_string())
        .collect();

    let mut haystacks = vec![
        ("json stdout".to_string(), json.stdout.clone().into_bytes()),
        ("json stderr".to_string(), json.stderr.clone().into_bytes()),
        (
            "human stdout".to_string(),
            human.stdout.clone().into_bytes(),
        ),
        (
            "human stderr".to_string(),
            human.stderr.clone().into_bytes(),
        ),
    ];
    files(state.path(), &mut haystacks);
    assert!(haystacks.len() > 4, "the run wrote its journal");
    assert_no_leak(&haystacks, &needles, &codes);
    for (place, _) in haystacks.iter().skip(4) {
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(place).unwrap().permissions(),
        );
        assert_eq!(mode & 0o777, 0o600, "{place} is readable by others");
    }
}

/// No needle (a form of a seed) and no code anywhere in the haystacks (what was printed
/// or written, each with where it came from).
#[track_caller]
pub(crate) fn assert_no_leak(
    haystacks: &[(String, Vec<u8>)],
    needles: &[(String, Vec<u8>)],
    codes: &[String],
) {
    for (place, bytes) in haystacks {
        for (what, needle) in needles {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_slice()),
                "{what} found in {place}"
            );
        }
        for code in codes {
            assert!(
                !contains_code(bytes, code.as_bytes()),
                "a TOTP code ({code}) found in {place}"
            );
        }
    }
}

/// Every form of `seed_text` worth looking for: base32 in either case, the manual-entry
/// groups, a long prefix, the raw bytes, hex in either case, percent-encoded bytes, and the
/// `otpauth://` URI's `secret=` parameter as an app would receive it.
pub(crate) fn seed_needles(seed_text: &str) -> Vec<(String, Vec<u8>)> {
    let seed = totp::parse_seed(seed_text).unwrap();
    let raw = decode_base32(seed_text);
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    let percent: String = raw.iter().map(|b| format!("%{b:02X}")).collect();
    let uri = seed.otpauth_uri("runbook", "leak").unwrap();
    let secret_param = uri
        .expose()
        .split(['?', '&'])
        .find(|part| part.starts_with("secret="))
        .unwrap()
        .to_string();
    vec![
        ("seed (base32)".into(), seed_text.as_bytes().to_vec()),
        (
            "seed (lowercase)".into(),
            seed_text.to_lowercase().into_bytes(),
        ),
        (
            "seed (manual-entry groups)".into(),
            seed.manual_entry_key().expose().as_bytes().to_vec(),
        ),
        (
            "seed (first 16 chars)".into(),
            seed_text.as_bytes()[..16].to_vec(),
        ),
        ("seed (raw bytes)".into(), raw.clone()),
        ("seed (hex)".into(), hex.clone().into_bytes()),
        ("seed (HEX)".into(), hex.to_uppercase().into_bytes()),
        (
            "seed (percent-encoded)".into(),
            percent.clone().into_bytes(),
        ),
        (
            "seed (percent-encoded, lowercase)".into(),
            percent.to_lowercase().into_bytes(),
        ),
        ("seed (otpauth secret=)".into(), secret_param.into_bytes()),
    ]
}

/// The whole guide, every way it writes: a sandbox run with JSON events and one with
/// human output (both with their journals), `runbook test` with its transcript and plan
/// written (`--update` on a copy), and the guide rendered as HTML and as Markdown. Every
/// byte on stdout, stderr and disk is scanned for every seed the emulator handed out and
/// every code of the windows around the clocks used. (The one deliberate display, the QR
/// code and manual-entry key on a TTY, is tested in `terminal.rs`; none of this is a TTY.)
#[test]
fn the_whole_guide_leaks_nothing_anywhere() {
    let scratch = tempfile::tempdir().unwrap();
    // An emulator of its own: the seeds of everything on it are what this test looks for.
    let emulator = own_emulator(scratch.path());
    let endpoint = emulator.endpoint();
    let clock = START.to_string();
    let mut haystacks: Vec<(String, Vec<u8>)> = Vec::new();
    let mut written = Vec::new();

    for (user, output) in [("leak-json", "json"), ("leak-human", "human")] {
        let state = scratch.path().join(user);
        let run = Test::new()
            .current_dir(root())
            .args([
                "run",
                "runbooks/aws-mfa.md",
                "--sandbox",
                "--yes",
                "--output",
                output,
            ])
            .args(["--state-dir", state.to_str().unwrap()])
            .env("RUNBOOK_SANDBOX_ENDPOINT", endpoint.clone())
            .env("RUNBOOK_SANDBOX_USER", user)
            .env("RUNBOOK_FAKE_CLOCK", clock.clone())
            .run();
        run.assert_code(0);
        assert!(
            run.stdout.contains("sts.get-session-token"),
            "{user}: the run reached the sign-in check:\n{}",
            run.stdout
        );
        haystacks.push((format!("{user} stdout"), run.stdout.into_bytes()));
        haystacks.push((format!("{user} stderr"), run.stderr.into_bytes()));
        written.push(state);
    }

    let tested = scratch.path().join("tested");
    std::fs::create_dir_all(&tested).unwrap();
    for name in ["aws-mfa.md", "aws-mfa.test.toml"] {
        std::fs::copy(root().join("runbooks").join(name), tested.join(name)).unwrap();
    }
    let test = Test::new()
        .current_dir(&tested)
        .args(["test", "aws-mfa.md", "--update"])
        .env("RUNBOOK_SANDBOX_ENDPOINT", endpoint.clone())
        // Under CI=true, `runbook test` never writes snapshots: this run must write its own.
        .env_remove("CI")
        .run();
    test.assert_code(0);
    assert!(
        tested.join("aws-mfa.transcript").exists(),
        "{}",
        test.stdout
    );
    haystacks.push(("runbook test stdout".into(), test.stdout.into_bytes()));
    haystacks.push(("runbook test stderr".into(), test.stderr.into_bytes()));
    written.push(tested);

    for format in ["html", "markdown"] {
        let out = scratch.path().join(format!("render-{format}"));
        let render = Test::new()
            .current_dir(root())
            .args(["render", "runbooks/aws-mfa.md", "--format", format, "--out"])
            .args([out.to_str().unwrap()])
            .run();
        render.assert_code(0);
        haystacks.push((
            format!("render {format} stdout"),
            render.stdout.into_bytes(),
        ));
        haystacks.push((
            format!("render {format} stderr"),
            render.stderr.into_bytes(),
        ));
        written.push(out);
    }
    let streams = haystacks.len();
    for dir in &written {
        files(dir, &mut haystacks);
    }
    assert!(
        haystacks.len() >= streams + 6,
        "journals, transcript, plan and pages were written: {:?}",
        haystacks.iter().map(|(place, _)| place).collect::<Vec<_>>()
    );

    // The emulator (unlike AWS) lists seeds: every device any of the runs created.
    let admin = sandbox::create_user(&emulator, "leak-auditor").unwrap();
    let aws = AwsProvider::connect(&sandbox::sandbox_options(&emulator, &admin));
    let devices = aws
        .run(aws.iam_client().list_virtual_mfa_devices().send())
        .unwrap()
        .virtual_mfa_devices()
        .to_vec();
    let seeds: Vec<String> = devices
        .iter()
        .filter_map(|d| d.base32_string_seed())
        .map(|blob| String::from_utf8(blob.as_ref().to_vec()).unwrap())
        .collect();
    assert_eq!(seeds.len(), 3, "one device per run: {devices:?}");
    let test_clock: u64 = 1_704_067_200; // `clock` in runbooks/aws-mfa.test.toml
    let mut needles = Vec::new();
    let mut codes = Vec::new();
    for seed_text in &seeds {
        needles.extend(seed_needles(seed_text));
        let seed = totp::parse_seed(seed_text).unwrap();
        for base in [START, test_clock] {
            // From three windows before the clock to about ten minutes after it: every
            // code the runs computed (enable takes two, sign-in one more, later).
            codes.extend((0..24).map(|n| seed.code_at(base - 90 + n * 30).expose().to_string()));
        }
    }
    assert_no_leak(&haystacks, &needles, &codes);
}

fn decode_base32(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits = 0u64;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|c| *c != b'=') {
        let value = ALPHABET.iter().position(|a| *a == c).expect("base32") as u64;
        bits = (bits << 5) | value;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

#[test]
fn the_login_check_waits_for_a_fresh_window() {
    let user = user("login");
    let state = tempfile::tempdir().unwrap();
    // Start 1 s into a window: the codes used to enable take it, so the sign-in code
    // must come from the next one, 29 s later on the (fixed) clock.
    let start = (START / 30) * 30 + 1;
    let output = user.run(
        "tests/fixtures/run/login.md",
        state.path(),
        &["--yes"],
        &[("RUNBOOK_FAKE_CLOCK", &start.to_string())],
    );
    output.assert_code(0);
    assert!(
        output
            .stdout
            .contains("a fresh code computed from the seed"),
        "{}",
        output.stdout
    );
    assert!(
        output
            .stdout
            .contains("signed in with arn:aws:iam::123456789012:mfa/login-DuoMobile"),
        "{}",
        output.stdout
    );
}

/// The offboarding guide, every way it writes: sandbox runs with JSON events and with
/// human output (and their journals) on two people who each have a virtual device, two
/// access keys and a console password; `runbook test` with its transcripts and plan
/// written (`--update` on a copy); the guide rendered as HTML and as Markdown. No secret
/// access key, console password or device seed of theirs appears anywhere, nor anything
/// shaped like a secret access key (40 characters of `A-Za-z0-9+/` with all three kinds)
/// in what `runbook test` wrote, whose set-up keys this test never sees.
#[test]
fn the_offboarding_guide_leaks_no_credential() {
    use runbook::providers::sandbox::SandboxUser;
    let scratch = tempfile::tempdir().unwrap();
    let emulator = own_emulator(scratch.path());
    let endpoint = emulator.endpoint();
    let mut secrets: Vec<(String, String)> = Vec::new();
    let mut seeds: Vec<String> = Vec::new();
    let mut haystacks: Vec<(String, Vec<u8>)> = Vec::new();
    let mut written = Vec::new();
    for (leaver, output) in [("leaver-json", "json"), ("leaver-human", "human")] {
        let person: SandboxUser = sandbox::create_user(&emulator, leaver).unwrap();
        let aws = AwsProvider::connect(&sandbox::sandbox_options(&emulator, &person));
        let client = aws.iam_client();
        let second = aws
            .run(client.create_access_key().user_name(leaver).send())
            .unwrap();
        let password = format!("Pw-{leaver}-9aZ!x7Qr");
        aws.run(
            client
                .create_login_profile()
                .user_name(leaver)
                .password(&password)
                .send(),
        )
        .unwrap();
        let device = aws
            .create_virtual_mfa_device(&format!("{leaver}-phone"), None)
            .unwrap();
        let seed = totp::parse_seed(device.seed.expose()).unwrap();
        let (one, two) = (seed.code_at(START - 60), seed.code_at(START - 30));
        aws.enable_mfa_device(leaver, &device.serial_number, &one, &two)
            .unwrap();
        secrets.push((
            format!("{leaver}'s first secret key"),
            person.secret_access_key.expose().to_string(),
        ));
        secrets.push((
            format!("{leaver}'s second secret key"),
            second.access_key().unwrap().secret_access_key().to_string(),
        ));
        secrets.push((format!("{leaver}'s password"), password));
        seeds.push(device.seed.expose().to_string());

        let state = scratch.path().join(leaver);
        let var = format!("user_name={leaver}");
        let run = Test::new()
            .current_dir(root())
            .args(["run", "runbooks/offboard-user.md", "--sandbox", "--yes"])
            .args(["--output", output, "--var", &var])
            .args(["--state-dir", state.to_str().unwrap()])
            .env("RUNBOOK_SANDBOX_ENDPOINT", endpoint.clone())
            .env("RUNBOOK_SANDBOX_USER", "offboarder")
            .env("RUNBOOK_FAKE_CLOCK", START.to_string())
            .run();
        run.assert_code(0);
        let said = format!("{}{}", run.stdout, run.stderr);
        assert!(
            said.contains("0 active access key(s) of 2"),
            "{leaver}: {said}"
        );
        haystacks.push((format!("{leaver} stdout"), run.stdout.into_bytes()));
        haystacks.push((format!("{leaver} stderr"), run.stderr.into_bytes()));
        written.push(state);
    }

    let tested = scratch.path().join("tested");
    std::fs::create_dir_all(&tested).unwrap();
    for name in ["offboard-user.md", "offboard-user.test.toml"] {
        std::fs::copy(root().join("runbooks").join(name), tested.join(name)).unwrap();
    }
    let test = Test::new()
        .current_dir(&tested)
        .args(["test", "offboard-user.md", "--update"])
        .env("RUNBOOK_SANDBOX_ENDPOINT", endpoint.clone())
        .env_remove("CI")
        .run();
    test.assert_code(0);
    assert!(
        tested.join("offboard-user.everything.transcript").exists(),
        "{}",
        test.stdout
    );
    let mut tested_files = vec![
        ("runbook test stdout".to_string(), test.stdout.into_bytes()),
        ("runbook test stderr".to_string(), test.stderr.into_bytes()),
    ];
    files(&tested, &mut tested_files);
    for (place, bytes) in &tested_files {
        let text = String::from_utf8_lossy(bytes);
        let shaped = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '/'))
            .find(|token| {
                token.len() == 40
                    && token.chars().any(|c| c.is_ascii_digit())
                    && token.chars().any(|c| c.is_ascii_lowercase())
                    && token.chars().any(|c| c.is_ascii_uppercase())
            });
        assert_eq!(
            shaped, None,
            "something shaped like a secret key in {place}"
        );
    }
    haystacks.extend(tested_files);

    for format in ["html", "markdown"] {
        let out = scratch.path().join(format!("render-{format}"));
        let render = Test::new()
            .current_dir(root())
            .args([
                "render",
                "runbooks/offboard-user.md",
                "--format",
                format,
                "--out",
            ])
            .args([out.to_str().unwrap()])
            .run();
        render.assert_code(0);
        haystacks.push((
            format!("render {format} stdout"),
            render.stdout.into_bytes(),
        ));
        haystacks.push((
            format!("render {format} stderr"),
            render.stderr.into_bytes(),
        ));
        written.push(out);
    }
    let streams = haystacks.len();
    for dir in &written {
        files(dir, &mut haystacks);
    }
    assert!(
        haystacks.len() >= streams + 4,
        "journals and pages were written: {:?}",
        haystacks.iter().map(|(place, _)| place).collect::<Vec<_>>()
    );
    let mut needles: Vec<(String, Vec<u8>)> = secrets
        .into_iter()
        .map(|(what, secret)| (what, secret.into_bytes()))
        .collect();
    for seed in &seeds {
        needles.extend(seed_needles(seed));
    }
    assert_no_leak(&haystacks, &needles, &[]);
}

/// The account audit (runbooks/audit-account.md): `runbook test` (whose set-up enables
/// virtual devices on other users), sandbox runs with JSON events and with human output
/// (and their journals), and its renders: no seed of a device on the emulator, nor any
/// code of the windows around the clocks used, anywhere.
#[test]
fn the_audit_guide_leaks_nothing_anywhere() {
    let scratch = tempfile::tempdir().unwrap();
    let emulator = own_emulator(scratch.path());
    let endpoint = emulator.endpoint();
    let mut haystacks: Vec<(String, Vec<u8>)> = Vec::new();
    let mut written = Vec::new();

    let tested = scratch.path().join("tested");
    std::fs::create_dir_all(&tested).unwrap();
    for name in ["audit-account.md", "audit-account.test.toml"] {
        std::fs::copy(root().join("runbooks").join(name), tested.join(name)).unwrap();
    }
    let test = Test::new()
        .current_dir(&tested)
        .args(["test", "audit-account.md", "--update"])
        .env("RUNBOOK_SANDBOX_ENDPOINT", endpoint.clone())
        .env_remove("CI")
        .run();
    test.assert_code(0);
    assert!(
        tested.join("audit-account.findings.transcript").exists(),
        "{}",
        test.stdout
    );
    haystacks.push(("runbook test stdout".into(), test.stdout.into_bytes()));
    haystacks.push(("runbook test stderr".into(), test.stderr.into_bytes()));
    written.push(tested);

    // What the last scenario left on the emulator: dave's and frank's virtual devices.
    let admin = sandbox::create_user(&emulator, "leak-audit-admin").unwrap();
    let aws = AwsProvider::connect(&sandbox::sandbox_options(&emulator, &admin));
    let seeds: Vec<String> = aws
        .run(aws.iam_client().list_virtual_mfa_devices().send())
        .unwrap()
        .virtual_mfa_devices()
        .iter()
        .filter_map(|d| d.base32_string_seed())
        .map(|blob| String::from_utf8(blob.as_ref().to_vec()).unwrap())
        .collect();
    assert_eq!(seeds.len(), 2, "dave's and frank's devices");

    for output in ["json", "human"] {
        let state = scratch.path().join(format!("run-{output}"));
        let run = Test::new()
            .current_dir(root())
            .args([
                "run",
                "runbooks/audit-account.md",
                "--sandbox",
                "--yes",
                "--output",
                output,
            ])
            .args(["--state-dir", state.to_str().unwrap()])
            .env("RUNBOOK_SANDBOX_ENDPOINT", endpoint.clone())
            .env("RUNBOOK_SANDBOX_USER", format!("leak-audit-{output}"))
            .env("RUNBOOK_FAKE_CLOCK", START.to_string())
            .run();
        // The users the last scenario left (bob, dave, erin) are findings.
        run.assert_code(4);
        haystacks.push((format!("run {output} stdout"), run.stdout.into_bytes()));
        haystacks.push((format!("run {output} stderr"), run.stderr.into_bytes()));
        written.push(state);
    }
    for format in ["html", "markdown"] {
        let out = scratch.path().join(format!("render-{format}"));
        let render = Test::new()
            .current_dir(root())
            .args([
                "render",
                "runbooks/audit-account.md",
                "--format",
                format,
                "--out",
            ])
            .args([out.to_str().unwrap()])
            .run();
        render.assert_code(0);
        haystacks.push((
            format!("render {format} stdout"),
            render.stdout.into_bytes(),
        ));
        written.push(out);
    }
    let streams = haystacks.len();
    for dir in &written {
        files(dir, &mut haystacks);
    }
    assert!(
        haystacks.len() >= streams + 5,
        "transcripts, plan, journals and pages were written: {:?}",
        haystacks.iter().map(|(place, _)| place).collect::<Vec<_>>()
    );

    let test_clock: u64 = 1_704_067_200; // `clock` in runbooks/audit-account.test.toml
    let mut needles = Vec::new();
    let mut codes = Vec::new();
    for seed_text in &seeds {
        needles.extend(seed_needles(seed_text));
        let seed = totp::parse_seed(seed_text).unwrap();
        for base in [START, test_clock] {
            codes.extend((0..24).map(|n| seed.code_at(base - 90 + n * 30).expose().to_string()));
        }
    }
    assert_no_leak(&haystacks, &needles, &codes);
}

// Use MFA from the AWS CLI (aws-cli-mfa)

/// The temporary credentials the emulator hands out for `GetSessionToken` (moto's fixed
/// answer, the same for every caller): they must show nowhere. (`AssumeRole`'s are new
/// each time; that they show nowhere is tested with known ones in sts_errors.rs.)
fn emulator_credentials(emulator: &sandbox::Emulator, user: &str) -> Vec<(String, Vec<u8>)> {
    use runbook::providers::Sts;
    let admin = sandbox::create_user(emulator, user).unwrap();
    let aws = AwsProvider::connect(&sandbox::sandbox_options(emulator, &admin));
    let token = aws
        .get_session_token(
            "arn:aws:iam::123456789012:mfa/leak-scan",
            &runbook::secret::Secret::new("123456"),
            None,
        )
        .unwrap();
    assert!(token.secret_access_key.expose().len() >= 20);
    vec![
        (
            "a temporary secret access key".into(),
            token.secret_access_key.expose().as_bytes().to_vec(),
        ),
        (
            "a session token".into(),
            token.session_token.expose().as_bytes().to_vec(),
        ),
    ]
}

/// `runbook test runbooks/aws-cli-mfa.md` (its session-token, role and declined
/// scenarios) writing its transcripts, plan and the profiles it wrote, and the guide
/// rendered: no code typed, no temporary credential and no seed anywhere.
#[test]
fn the_aws_cli_guide_leaks_no_code_or_credential() {
    let scratch = tempfile::tempdir().unwrap();
    let emulator = own_emulator(scratch.path());
    let endpoint = emulator.endpoint();
    let tested = scratch.path().join("tested");
    std::fs::create_dir_all(&tested).unwrap();
    for name in ["aws-cli-mfa.md", "aws-cli-mfa.test.toml", "aws-mfa.md"] {
        std::fs::copy(root().join("runbooks").join(name), tested.join(name)).unwrap();
    }
    let test = Test::new()
        .current_dir(&tested)
        .args(["test", "aws-cli-mfa.md", "--update"])
        .env("RUNBOOK_SANDBOX_ENDPOINT", endpoint.clone())
        .env_remove("CI")
        .run();
    test.assert_code(0);
    assert!(
        tested.join("aws-cli-mfa.with-role.transcript").exists(),
        "{}",
        test.stdout
    );
    let mut haystacks = vec![
        ("runbook test stdout".to_string(), test.stdout.into_bytes()),
        ("runbook test stderr".to_string(), test.stderr.into_bytes()),
    ];
    let out = scratch.path().join("render");
    let render = Test::new()
        .current_dir(root())
        .args(["render", "runbooks/aws-cli-mfa.md", "--out"])
        .args([out.to_str().unwrap()])
        .run();
    render.assert_code(0);
    files(&tested, &mut haystacks);
    files(&out, &mut haystacks);
    let needles_from_emulator = emulator_credentials(&emulator, "leak-cli-auditor");
    let admin = sandbox::create_user(&emulator, "leak-cli-lister").unwrap();
    let aws = AwsProvider::connect(&sandbox::sandbox_options(&emulator, &admin));
    let seeds: Vec<String> = aws
        .run(aws.iam_client().list_virtual_mfa_devices().send())
        .unwrap()
        .virtual_mfa_devices()
        .iter()
        .filter_map(|d| d.base32_string_seed())
        .map(|blob| String::from_utf8(blob.as_ref().to_vec()).unwrap())
        .collect();
    assert!(
        !seeds.is_empty(),
        "the scenarios' devices are on the emulator"
    );
    let mut needles = needles_from_emulator;
    let mut codes = Vec::new();
    let test_clock: u64 = 1_704_067_200; // `clock` in runbooks/aws-cli-mfa.test.toml
    for seed_text in &seeds {
        needles.extend(seed_needles(seed_text));
        let seed = totp::parse_seed(seed_text).unwrap();
        codes.extend((0..8).map(|n| seed.code_at(test_clock - 90 + n * 30).expose().to_string()));
    }
    assert_no_leak(&haystacks, &needles, &codes);
}

/// `runbook test runbooks/replace-mfa-device.md` (all four scenarios, the new device set
/// up by aws-mfa.md's included steps) writing its transcripts and plan, and the guide
/// rendered as HTML and Markdown: no seed of a device on the emulator, no code of the
/// windows around the test clock, and no temporary credential anywhere.
#[test]
fn the_replacement_guide_leaks_no_seed_code_or_credential() {
    let scratch = tempfile::tempdir().unwrap();
    let emulator = own_emulator(scratch.path());
    let endpoint = emulator.endpoint();
    let tested = scratch.path().join("tested");
    std::fs::create_dir_all(&tested).unwrap();
    for name in [
        "replace-mfa-device.md",
        "replace-mfa-device.test.toml",
        "aws-mfa.md",
    ] {
        std::fs::copy(root().join("runbooks").join(name), tested.join(name)).unwrap();
    }
    let test = Test::new()
        .current_dir(&tested)
        .args(["test", "replace-mfa-device.md", "--update"])
        .env("RUNBOOK_SANDBOX_ENDPOINT", endpoint.clone())
        .env_remove("CI")
        .run();
    test.assert_code(0);
    assert!(
        tested
            .join("replace-mfa-device.virtual-lost.transcript")
            .exists(),
        "{}",
        test.stdout
    );
    let mut haystacks = vec![
        ("runbook test stdout".to_string(), test.stdout.into_bytes()),
        ("runbook test stderr".to_string(), test.stderr.into_bytes()),
    ];
    let out = scratch.path().join("render");
    for format in ["html", "markdown"] {
        Test::new()
            .current_dir(root())
            .args([
                "render",
                "runbooks/replace-mfa-device.md",
                "--format",
                format,
            ])
            .args(["--out", out.to_str().unwrap()])
            .run()
            .assert_code(0);
    }
    files(&tested, &mut haystacks);
    files(&out, &mut haystacks);
    let mut needles = emulator_credentials(&emulator, "leak-replace-signer");
    let admin = sandbox::create_user(&emulator, "leak-replace-lister").unwrap();
    let aws = AwsProvider::connect(&sandbox::sandbox_options(&emulator, &admin));
    let seeds: Vec<String> = aws
        .run(aws.iam_client().list_virtual_mfa_devices().send())
        .unwrap()
        .virtual_mfa_devices()
        .iter()
        .filter_map(|d| d.base32_string_seed())
        .map(|blob| String::from_utf8(blob.as_ref().to_vec()).unwrap())
        .collect();
    assert!(
        !seeds.is_empty(),
        "the last scenario's new device is on the emulator"
    );
    let mut codes = Vec::new();
    let test_clock: u64 = 1_704_067_200; // `clock` in runbooks/replace-mfa-device.test.toml
    for seed_text in &seeds {
        needles.extend(seed_needles(seed_text));
        let seed = totp::parse_seed(seed_text).unwrap();
        codes.extend((0..8).map(|n| seed.code_at(test_clock - 90 + n * 30).expose().to_string()));
    }
    assert_no_leak(&haystacks, &needles, &codes);
}
