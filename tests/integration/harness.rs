//! A small builder for running the `runbook` binary in a scratch directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_runbook");

/// The repository root, for tests that read committed files.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub struct Output {
    pub code: i32,
    /// The signal that ended the process, if one did.
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Output {
        assert_eq!(
            self.code, code,
            "expected exit {code}, got {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "panic:\n{}", self.stderr);
        self
    }
}

/// `Test::new().file("a.md", "...").args(["check", "a.md"]).run()`.
pub struct Test {
    dir: tempfile::TempDir,
    cwd: Option<PathBuf>,
    args: Vec<String>,
    env: Vec<(String, String)>,
    removed: Vec<String>,
}

impl Test {
    pub fn new() -> Test {
        Test {
            dir: tempfile::tempdir().expect("temp dir"),
            cwd: None,
            args: Vec::new(),
            env: Vec::new(),
            removed: Vec::new(),
        }
    }

    /// Write a file (relative to the scratch directory).
    pub fn file(self, path: &str, contents: impl AsRef<[u8]>) -> Test {
        let path = self.dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
        self
    }

    /// The scratch directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Run in this directory instead of the scratch one.
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Test {
        self.cwd = Some(dir.as_ref().to_path_buf());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Test
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Set an environment variable for the run.
    pub fn env(mut self, key: &str, value: impl Into<String>) -> Test {
        self.env.push((key.to_string(), value.into()));
        self
    }

    /// Run without this environment variable (e.g. `CI`, which the test may run under).
    pub fn env_remove(mut self, key: &str) -> Test {
        self.removed.push(key.to_string());
        self
    }

    pub fn run(&self) -> Output {
        let mut command = Command::new(BIN);
        for key in &self.removed {
            command.env_remove(key);
        }
        let output = command
            .args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .current_dir(self.cwd.as_deref().unwrap_or(self.dir.path()))
            .env_remove("CLICOLOR_FORCE")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output()
            .expect("run runbook");
        Output {
            code: output.status.code().unwrap_or(-1),
            signal: std::os::unix::process::ExitStatusExt::signal(&output.status),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        }
    }
}
