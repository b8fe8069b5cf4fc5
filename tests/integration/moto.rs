//! One real moto server for the whole test binary, on 127.0.0.1, and a fresh IAM user
//! (with its own keys) for each test, so tests can run in parallel without sharing state.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use runbook::providers::aws::{AwsOptions, AwsProvider};
use runbook::providers::sandbox::{self, SandboxUser};
use runbook::providers::{Assignment, Iam, MfaDevice};

use crate::harness::{BIN, Output, Test, root};

static ENDPOINT: OnceLock<String> = OnceLock::new();

/// The emulator's endpoint, starting it on first use. It is started from a thread that
/// never ends: the server is tied to its parent thread (PR_SET_PDEATHSIG) and so dies
/// with the test process, not with the first test that needed it.
pub fn endpoint() -> &'static str {
    ENDPOINT.get_or_init(|| {
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let venv = root().join(".venv");
            let started = sandbox::ensure_emulator_installed(&venv, &mut |m| eprintln!("{m}"))
                .and_then(|moto| {
                    let log = std::env::temp_dir()
                        .join(format!("runbook-tests-moto-{}.log", std::process::id()));
                    sandbox::Emulator::start(&moto, &log)
                });
            match started {
                Ok(emulator) => {
                    sender.send(Ok(emulator.endpoint())).unwrap();
                    loop {
                        std::thread::park();
                    }
                }
                Err(error) => sender.send(Err(error.to_string())).unwrap(),
            }
        });
        match receiver.recv().unwrap() {
            Ok(endpoint) => endpoint,
            Err(error) => panic!("cannot start moto: {error}\nrun scripts/setup.sh first"),
        }
    })
}

/// An emulator for one test alone (for a test that stops it, or reads every seed on it),
/// logging into `dir`; it stops when dropped.
pub fn own_emulator(dir: &Path) -> sandbox::Emulator {
    let moto = sandbox::ensure_emulator_installed(&root().join(".venv"), &mut |m| eprintln!("{m}"))
        .unwrap_or_else(|error| panic!("{error}\nrun scripts/setup.sh first"));
    sandbox::Emulator::start(&moto, &dir.join("moto.log")).unwrap_or_else(|error| panic!("{error}"))
}

/// A new IAM user on the emulator, named after the test.
pub struct User {
    pub name: String,
    key: SandboxUser,
    /// Where unattended runs hand each new device's enrolment key (`--seed-file`): a run
    /// against an endpoint without a terminal needs a taker for the seed. Outside every
    /// folder the leak scans read.
    seeds: tempfile::TempDir,
    runs: std::cell::Cell<usize>,
}

pub fn user(name: &str) -> User {
    let endpoint = endpoint();
    let emulator = sandbox::Emulator::attach(endpoint).unwrap();
    let key = sandbox::create_user(&emulator, name).expect("create the test user");
    User {
        name: name.to_string(),
        key,
        seeds: tempfile::tempdir().unwrap(),
        runs: std::cell::Cell::new(0),
    }
}

impl User {
    /// The user's access key id and secret (emulator keys, worthless elsewhere).
    pub fn keys(&self) -> (String, String) {
        (
            self.key.access_key_id.clone(),
            self.key.secret_access_key.expose().to_string(),
        )
    }

    pub fn provider(&self) -> AwsProvider {
        AwsProvider::connect(&AwsOptions {
            region: Some("us-east-1".into()),
            endpoint_url: Some(endpoint().to_string()),
            credentials: Some((
                self.key.access_key_id.clone(),
                self.key.secret_access_key.clone(),
            )),
            max_attempts: Some(1),
            ..AwsOptions::default()
        })
    }

    /// `runbook run FILE --endpoint-url … --state-dir STATE --seed-file NEW ARGS` as this
    /// user (each run its own seed file, see [`User::seed_files`]).
    pub fn run(&self, file: &str, state: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
        let run = self.runs.get() + 1;
        self.runs.set(run);
        let seed_file = self.seeds.path().join(format!("seed-{run}.uri"));
        let mut with_seed_file = vec!["--seed-file", seed_file.to_str().unwrap()];
        with_seed_file.extend_from_slice(args);
        self.run_as_is(file, state, &with_seed_file, env)
    }

    /// The enrolment URIs the runs so far handed over, in run order.
    pub fn seed_files(&self) -> Vec<String> {
        (1..=self.runs.get())
            .filter_map(|run| {
                std::fs::read_to_string(self.seeds.path().join(format!("seed-{run}.uri"))).ok()
            })
            .collect()
    }

    /// `runbook run FILE --endpoint-url … --state-dir STATE ARGS`, nothing added.
    pub fn run_as_is(
        &self,
        file: &str,
        state: &Path,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Output {
        self.run_via(endpoint(), file, state, args, env)
    }

    /// [`User::run_as_is`] through another endpoint (a proxy in front of the emulator).
    pub fn run_via(
        &self,
        endpoint: &str,
        file: &str,
        state: &Path,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Output {
        let mut test = Test::new()
            .current_dir(root())
            .args(["run", file, "--endpoint-url", endpoint, "--state-dir"])
            .args([state.to_str().unwrap()])
            .args(args.iter().copied())
            .env("AWS_ACCESS_KEY_ID", self.key.access_key_id.clone())
            .env("AWS_SECRET_ACCESS_KEY", self.key.secret_access_key.expose())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent");
        for (key, value) in env {
            test = test.env(key, *value);
        }
        test.run()
    }

    /// [`User::run`], but the run must end within `limit` (a timeout, not a measurement):
    /// after it, the run is killed and the test fails with what it printed so far.
    #[track_caller]
    pub fn run_within(&self, limit: Duration, file: &str, state: &Path, args: &[&str]) -> Output {
        let mut child = Command::new(BIN)
            .current_dir(root())
            .args(["run", file, "--endpoint-url", endpoint(), "--state-dir"])
            .arg(state)
            .args(args)
            .env("AWS_ACCESS_KEY_ID", &self.key.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", self.key.secret_access_key.expose())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
            .env_remove("CLICOLOR_FORCE")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run runbook");
        let read = |mut pipe: Box<dyn Read + Send>| {
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = pipe.read_to_string(&mut text);
                text
            })
        };
        let stdout = read(Box::new(child.stdout.take().unwrap()));
        let stderr = read(Box::new(child.stderr.take().unwrap()));
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
        let Some(status) = status else {
            panic!(
                "the run did not end within {} s\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
                limit.as_secs()
            );
        };
        Output {
            code: status.code().unwrap_or(-1),
            signal: std::os::unix::process::ExitStatusExt::signal(&status),
            stdout,
            stderr,
        }
    }

    /// The emulator's seed for the virtual device `name` (moto, unlike AWS, lists seeds:
    /// the tests' way to know the real one).
    pub fn emulator_seed(&self, name: &str) -> Option<String> {
        let provider = self.provider();
        // Every page: the emulator is shared by all the tests, and holds more than one
        // page (100) of devices before long.
        let devices: Vec<_> = provider
            .run(
                provider
                    .iam_client()
                    .list_virtual_mfa_devices()
                    .into_paginator()
                    .items()
                    .send()
                    .collect::<Result<Vec<_>, _>>(),
            )
            .unwrap();
        devices
            .iter()
            .find(|d| d.serial_number().ends_with(&format!(":mfa/{name}")))
            .and_then(|d| d.base32_string_seed())
            .map(|seed| String::from_utf8(seed.as_ref().to_vec()).unwrap())
    }

    /// The user's assigned MFA devices.
    pub fn devices(&self) -> Vec<MfaDevice> {
        self.provider().list_mfa_devices(Some(&self.name)).unwrap()
    }

    /// Unassigned virtual devices whose name starts with this user's name.
    pub fn orphans(&self) -> Vec<String> {
        self.provider()
            .list_virtual_mfa_devices(Assignment::Unassigned)
            .unwrap()
            .into_iter()
            .map(|device| device.serial_number)
            .filter(|serial| serial.contains(&format!(":mfa/{}-", self.name)))
            .collect()
    }

    /// Exactly one virtual device enabled for the user, and no orphan of theirs.
    #[track_caller]
    pub fn assert_one_device(&self, context: &str) {
        let devices = self.devices();
        let virtual_devices: Vec<&MfaDevice> = devices
            .iter()
            .filter(|d| d.serial_number.contains(":mfa/"))
            .collect();
        assert_eq!(virtual_devices.len(), 1, "{context}: devices {devices:?}");
        assert!(
            virtual_devices[0]
                .serial_number
                .ends_with(&format!(":mfa/{}-DuoMobile", self.name)),
            "{context}: {devices:?}"
        );
        assert_eq!(
            self.orphans(),
            Vec::<String>::new(),
            "{context}: orphans left"
        );
    }
}
