//! The sandbox: a local AWS emulator ([moto](https://docs.getmoto.org)) so a newcomer can
//! run a whole guide with no AWS account (DESIGN.md §5).
//!
//! - [`ensure_emulator_installed`] puts the pinned `moto[server]` into a project-local
//!   virtualenv ([`venv_dir`]), first run only.
//! - [`Emulator::start`] runs it on `127.0.0.1` on a free port; dropping the [`Emulator`]
//!   stops it, and it also dies with this process (even on `kill -9`).
//! - [`create_user`] makes the IAM user the run acts as, and [`sandbox_options`] the
//!   [`AwsOptions`] that point every call at the emulator with that user's static keys.
//!
//! The sandbox never touches real AWS: it only binds and connects to `127.0.0.1`, it never
//! uses the user's credentials, and its endpoint, keys and region override whatever the
//! user's profile or `AWS_*` environment says. The emulator itself runs with the user's
//! `AWS_*` variables removed and no AWS config files.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use aws_sdk_iam::config::retry::RetryConfig;
use aws_sdk_iam::config::timeout::TimeoutConfig;
use aws_sdk_iam::config::{BehaviorVersion, Credentials, Region};

use crate::providers::AwsError;
use crate::providers::aws::{AwsOptions, AwsProvider};
use crate::secret::Secret;

/// The moto version the sandbox installs; `scripts/setup.sh` reads the same file.
pub const MOTO_VERSION: &str = include_str!("../../scripts/moto-version.txt").trim_ascii();

/// The region the sandbox uses (IAM is global; this only names the STS endpoint).
pub const SANDBOX_REGION: &str = "us-east-1";

/// moto's documented dummy credentials. moto accepts any key; calls signed with a key it
/// did not issue act as its default account (123456789012), with every permission.
const ADMIN_KEY: (&str, &str) = ("testing", "testing");

/// How long the emulator may take to answer after it is spawned.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// How long the emulator gets to exit after SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// The AWS settings the emulator runs with; every other `AWS_*` variable is removed.
const EMULATOR_ENV: [(&str, &str); 6] = [
    ("AWS_CONFIG_FILE", "/dev/null"),
    ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
    ("AWS_ACCESS_KEY_ID", ADMIN_KEY.0),
    ("AWS_SECRET_ACCESS_KEY", ADMIN_KEY.1),
    ("AWS_DEFAULT_REGION", SANDBOX_REGION),
    ("AWS_EC2_METADATA_DISABLED", "true"),
];

/// Attempts at starting the emulator when the free port it was given was taken meanwhile.
const START_ATTEMPTS: u32 = 3;

/// Written into the virtualenv after a successful install: the moto version installed.
const VERSION_MARKER: &str = ".runbook-moto-version";

/// Held while installing, so concurrent runs (and `scripts/setup.sh`) install once.
const INSTALL_LOCK: &str = ".runbook-install.lock";

/// The output of `python3 -m venv` and `pip install`, kept for when they fail.
const INSTALL_LOG: &str = "runbook-install.log";

/// Why the sandbox could not be set up. Every message says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// `RUNBOOK_SANDBOX_ENDPOINT` (a test hook) names anything but a local emulator.
    #[error(
        "the sandbox only talks to a local emulator at http://127.0.0.1:PORT, not `{endpoint}` (from RUNBOOK_SANDBOX_ENDPOINT, a hook for tests): unset it to let the sandbox start its own"
    )]
    NotLocal { endpoint: String },
    /// `python3` is not on `PATH`.
    #[error(
        "`{python}` was not found, and the local AWS emulator needs it: install python3 and python3-venv (scripts/setup.sh does it), then run again"
    )]
    PythonMissing {
        /// The interpreter looked for.
        python: String,
    },
    /// `python3 -m venv` failed (on Debian: the `python3-venv` package is missing).
    #[error(
        "could not create the virtualenv {venv} for the local AWS emulator (`python3 -m venv` {status}): install python3 and python3-venv (scripts/setup.sh does it), then run again; full output in {log}{}",
        tail_block(.tail)
    )]
    VenvFailed {
        /// The virtualenv directory.
        venv: PathBuf,
        /// How `python3 -m venv` ended.
        status: ExitStatus,
        /// The install log.
        log: PathBuf,
        /// Its last lines.
        tail: String,
    },
    /// `pip install moto[server]` failed, or did not produce `moto_server`.
    #[error(
        "installing the local AWS emulator (moto[server]=={MOTO_VERSION}) failed ({reason}): check that PyPI is reachable (pip honours PIP_INDEX_URL and proxy settings), then run again; if it keeps failing, delete {venv} and run scripts/setup.sh; full output in {log}{}",
        tail_block(.tail)
    )]
    PipFailed {
        /// The virtualenv directory.
        venv: PathBuf,
        /// What went wrong, e.g. `pip exit status: 1`.
        reason: String,
        /// The install log.
        log: PathBuf,
        /// Its last lines.
        tail: String,
    },
    /// The emulator process could not be spawned.
    #[error(
        "could not start the local AWS emulator {program}: {source}; delete the virtualenv it lives in and run again to reinstall it (or run scripts/setup.sh)"
    )]
    Spawn {
        /// The `moto_server` path.
        program: PathBuf,
        /// Why spawning failed.
        source: io::Error,
    },
    /// The emulator exited before it answered.
    #[error(
        "the local AWS emulator exited during start-up ({status}); full log in {log}{}\nIf the log shows a broken installation, delete the virtualenv and run again to reinstall it.",
        tail_block(.tail)
    )]
    EmulatorExited {
        /// How it ended.
        status: ExitStatus,
        /// Its log file.
        log: PathBuf,
        /// The log's last lines.
        tail: String,
    },
    /// The emulator kept failing to bind the free port it was given.
    #[error(
        "the local AWS emulator could not bind a free port on 127.0.0.1 in {START_ATTEMPTS} attempts; check that local TCP ports can be bound, then run again; full log in {log}{}",
        tail_block(.tail)
    )]
    NoPort {
        /// Its log file.
        log: PathBuf,
        /// The log's last lines.
        tail: String,
    },
    /// The emulator did not answer in time.
    #[error(
        "the local AWS emulator did not answer on {endpoint} within {} s; the machine may be overloaded: run again, and if it persists read its log {log}{}",
        START_TIMEOUT.as_secs(),
        tail_block(.tail)
    )]
    EmulatorTimeout {
        /// Where it was expected to answer.
        endpoint: String,
        /// Its log file.
        log: PathBuf,
        /// The log's last lines.
        tail: String,
    },
    /// `POST /moto-api/reset` failed.
    #[error(
        "could not reset the local AWS emulator at {endpoint}: {reason}; restart the sandbox run{}",
        log_note(.log)
    )]
    Reset {
        /// The emulator's endpoint.
        endpoint: String,
        /// What went wrong.
        reason: String,
        /// Its log file, when this process started it.
        log: Option<PathBuf>,
    },
    /// Creating the sandbox's IAM user or its access key failed.
    #[error(
        "could not set up the sandbox user `{user}` on the local AWS emulator: {source}; restart the sandbox run{}",
        log_note(.log)
    )]
    User {
        /// The user name.
        user: String,
        /// The failed call.
        source: AwsError,
        /// The emulator's log file, when this process started it.
        log: Option<PathBuf>,
    },
    /// A file operation on the virtualenv or a log failed.
    #[error("{what} {}: {source}; check the permissions and free space there, then run again", .path.display())]
    Io {
        /// What was being done, e.g. `could not create`.
        what: &'static str,
        /// On what.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
}

fn tail_block(tail: &str) -> String {
    if tail.trim().is_empty() {
        String::new()
    } else {
        let indented: Vec<String> = tail.lines().map(|line| format!("  | {line}")).collect();
        format!("; its last lines:\n{}", indented.join("\n"))
    }
}

fn log_note(log: &Option<PathBuf>) -> String {
    match log {
        Some(log) => format!(
            ", and if it persists read the emulator log {}",
            log.display()
        ),
        None => String::new(),
    }
}

fn io_error(what: &'static str, path: &Path) -> impl FnOnce(io::Error) -> SandboxError {
    let path = path.to_path_buf();
    move |source| SandboxError::Io { what, path, source }
}

/// Where the emulator's virtualenv lives: `$RUNBOOK_VENV` if set, else `.venv` in the
/// current directory (project-local and gitignored).
pub fn venv_dir() -> PathBuf {
    venv_dir_in(Path::new("."))
}

fn venv_dir_in(base: &Path) -> PathBuf {
    match std::env::var_os("RUNBOOK_VENV") {
        Some(venv) if !venv.is_empty() => PathBuf::from(venv),
        _ if base == Path::new(".") => PathBuf::from(".venv"),
        _ => base.join(".venv"),
    }
}

/// `path` as the user knows it: relative to the current directory when inside it.
fn shown(path: &Path) -> String {
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .filter(|relative| !relative.as_os_str().is_empty());
    relative.as_deref().unwrap_or(path).display().to_string()
}

fn is_installed(venv: &Path) -> bool {
    venv.join("bin/moto_server").is_file()
        && fs::read_to_string(venv.join(VERSION_MARKER))
            .is_ok_and(|version| version.trim() == MOTO_VERSION)
}

/// Make sure the pinned `moto[server]` is installed in the virtualenv `venv` and return
/// the path of its `moto_server`.
///
/// When it is missing (or another version is there), this creates the virtualenv with
/// `python3 -m venv` and installs `moto[server]==`[`MOTO_VERSION`] with pip: about a
/// minute, first run only. `progress` receives messages for the user. pip's output goes
/// to `runbook-install.log` in the virtualenv, named in the error if it fails. Concurrent
/// callers (and `scripts/setup.sh`) wait for each other and install once.
pub fn ensure_emulator_installed(
    venv: &Path,
    progress: &mut dyn FnMut(&str),
) -> Result<PathBuf, SandboxError> {
    install_with("python3", venv, progress)
}

fn install_with(
    python: &str,
    venv: &Path,
    progress: &mut dyn FnMut(&str),
) -> Result<PathBuf, SandboxError> {
    let moto_server = venv.join("bin/moto_server");
    if is_installed(venv) {
        return Ok(moto_server);
    }
    fs::create_dir_all(venv).map_err(io_error("could not create", venv))?;
    let lock_path = venv.join(INSTALL_LOCK);
    let lock = File::create(&lock_path).map_err(io_error("could not create", &lock_path))?;
    lock.lock()
        .map_err(io_error("could not lock", &lock_path))?;
    if is_installed(venv) {
        // Another process installed it while this one waited for the lock.
        return Ok(moto_server);
    }
    progress(&format!(
        "Installing the local AWS emulator (moto {MOTO_VERSION}) into {} — first run only…",
        shown(venv)
    ));
    let log_path = venv.join(INSTALL_LOG);
    let log = File::create(&log_path).map_err(io_error("could not create", &log_path))?;
    let output = |log: &File| -> Result<(Stdio, Stdio), SandboxError> {
        let clone = || {
            log.try_clone()
                .map_err(io_error("could not write", &log_path))
        };
        Ok((Stdio::from(clone()?), Stdio::from(clone()?)))
    };

    let (stdout, stderr) = output(&log)?;
    let status = Command::new(python)
        .args(["-m", "venv"])
        .arg(venv)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .status();
    match status {
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Err(SandboxError::PythonMissing {
                python: python.to_string(),
            });
        }
        Err(error) => return Err(io_error("could not run", Path::new(python))(error)),
        Ok(status) if !status.success() => {
            return Err(SandboxError::VenvFailed {
                venv: venv.to_path_buf(),
                status,
                tail: tail(&log_path, 0, 8),
                log: log_path,
            });
        }
        Ok(_) => {}
    }

    let pip_failed = |reason: String| SandboxError::PipFailed {
        venv: venv.to_path_buf(),
        reason,
        tail: tail(&log_path, 0, 8),
        log: log_path.clone(),
    };
    let (stdout, stderr) = output(&log)?;
    let status = Command::new(venv.join("bin/python"))
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
        ])
        .arg(format!("moto[server]=={MOTO_VERSION}"))
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .status();
    match status {
        Err(error) => return Err(pip_failed(format!("could not run pip: {error}"))),
        Ok(status) if !status.success() => return Err(pip_failed(format!("pip {status}"))),
        Ok(_) if !moto_server.is_file() => {
            return Err(pip_failed(format!(
                "pip succeeded but {} is missing",
                moto_server.display()
            )));
        }
        Ok(_) => {}
    }
    let marker = venv.join(VERSION_MARKER);
    fs::write(&marker, format!("{MOTO_VERSION}\n"))
        .map_err(io_error("could not write", &marker))?;
    progress(&format!("Installed moto {MOTO_VERSION}."));
    Ok(moto_server)
}

/// The last `lines` lines of `path` from byte `offset` on (empty if unreadable).
fn tail(path: &Path, offset: u64, lines: usize) -> String {
    let Ok(bytes) = fs::read(path) else {
        return String::new();
    };
    let start = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    let text = String::from_utf8_lossy(&bytes[start..]);
    let all: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A local AWS emulator (`moto_server`) on `127.0.0.1`.
///
/// One from [`Emulator::start`] is this process's child: dropping it stops the server
/// (SIGTERM, then SIGKILL after 2 s) and waits for it, on every exit path that runs
/// destructors, panics included. When this process dies without running them (`kill -9`),
/// the kernel sends the server SIGTERM (`PR_SET_PDEATHSIG`). One from
/// [`Emulator::attach`] is only a handle: dropping it leaves the server running.
#[derive(Debug)]
pub struct Emulator {
    port: u16,
    /// The server process and its log file, when this handle started it.
    process: Option<(Child, PathBuf)>,
}

enum NotReady {
    Exited(ExitStatus),
    Timeout,
}

impl Emulator {
    /// Start `moto_server` on a free port of 127.0.0.1, with its output in `log_file`
    /// (truncated), and wait until it answers (usually about a second; at most 30 s).
    ///
    /// The server gets its own process group, so a Ctrl-C at the terminal reaches only
    /// runbook, which then stops the server itself. It dies with the *thread* that started
    /// it (that is how `PR_SET_PDEATHSIG` works): start it from a thread that outlives it,
    /// such as the main thread.
    pub fn start(moto_server: &Path, log_file: &Path) -> Result<Emulator, SandboxError> {
        File::create(log_file).map_err(io_error("could not create", log_file))?;
        let log = OpenOptions::new()
            .append(true)
            .open(log_file)
            .map_err(io_error("could not open", log_file))?;
        for attempt in 1..=START_ATTEMPTS {
            let offset = log.metadata().map(|m| m.len()).unwrap_or(0);
            let port = free_port().map_err(io_error("could not bind", Path::new("127.0.0.1:0")))?;
            let mut child = spawn(moto_server, port, &log, log_file)?;
            let ready = wait_ready(&mut child, port);
            let emulator = Emulator {
                port,
                process: Some((child, log_file.to_path_buf())),
            };
            match ready {
                Ok(()) => return Ok(emulator),
                Err(NotReady::Exited(status)) => {
                    let tail = tail(log_file, offset, 12);
                    if tail.contains("Address already in use") {
                        if attempt < START_ATTEMPTS {
                            continue;
                        }
                        return Err(SandboxError::NoPort {
                            log: log_file.to_path_buf(),
                            tail,
                        });
                    }
                    return Err(SandboxError::EmulatorExited {
                        status,
                        log: log_file.to_path_buf(),
                        tail,
                    });
                }
                Err(NotReady::Timeout) => {
                    return Err(SandboxError::EmulatorTimeout {
                        endpoint: emulator.endpoint(),
                        log: log_file.to_path_buf(),
                        tail: tail(log_file, offset, 12),
                    });
                }
            }
        }
        unreachable!("the last attempt always returns")
    }

    /// A handle on an emulator that is already running at `endpoint`, e.g. one another
    /// thread started and keeps (`http://127.0.0.1:PORT`, its [`Emulator::endpoint`]).
    /// Nothing is checked or sent; dropping the handle leaves the server running.
    ///
    /// # Panics
    ///
    /// If `endpoint` is not `http://127.0.0.1:PORT`: the sandbox talks to nothing else.
    pub fn attach(endpoint: &str) -> Result<Emulator, SandboxError> {
        let port = endpoint
            .strip_prefix("http://127.0.0.1:")
            .map(|port| port.trim_end_matches('/'))
            .and_then(|port| port.parse().ok())
            .ok_or_else(|| SandboxError::NotLocal {
                endpoint: endpoint.to_string(),
            })?;
        Ok(Emulator {
            port,
            process: None,
        })
    }

    /// The endpoint URL to give the AWS SDK: `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The TCP port it listens on (on 127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's process id; `None` for an attached emulator.
    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().map(|(child, _)| child.id())
    }

    /// The file the server's output goes to; `None` for an attached emulator.
    pub fn log_file(&self) -> Option<&Path> {
        self.process.as_ref().map(|(_, log)| log.as_path())
    }

    /// Wipe all emulated state (users, keys, MFA devices): `POST /moto-api/reset`.
    pub fn reset(&self) -> Result<(), SandboxError> {
        let failed = |reason: String| SandboxError::Reset {
            endpoint: self.endpoint(),
            reason,
            log: self.log_file().map(Path::to_path_buf),
        };
        match http_status(
            self.port,
            "POST",
            "/moto-api/reset",
            Duration::from_secs(10),
        ) {
            Ok(200) => Ok(()),
            Ok(status) => Err(failed(format!("it answered HTTP {status}"))),
            Err(error) => Err(failed(error.to_string())),
        }
    }

    /// Stop the server and wait for it (the same as dropping it).
    pub fn stop(self) {}
}

/// Wait until the server `child` answers on `port`, exits, or runs out of time.
fn wait_ready(child: &mut Child, port: u16) -> Result<(), NotReady> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(NotReady::Exited(status));
        }
        if http_status(port, "GET", "/moto-api/", Duration::from_secs(1)).ok() == Some(200) {
            // Still ours? Another process could have taken the port meanwhile.
            return match child.try_wait() {
                Ok(Some(status)) => Err(NotReady::Exited(status)),
                _ => Ok(()),
            };
        }
        if Instant::now() >= deadline {
            return Err(NotReady::Timeout);
        }
        thread::sleep(Duration::from_millis(50));
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let Some((child, _)) = &mut self.process else {
            return;
        };
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        if let Ok(pid) = libc::pid_t::try_from(child.id()) {
            // SAFETY: kill(2) has no memory-safety preconditions. The pid is our child's,
            // not yet waited for, so it cannot have been reused by another process.
            unsafe { libc::kill(pid, libc::SIGTERM) };
            let deadline = Instant::now() + STOP_GRACE;
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// A port that was free a moment ago (the OS picks it; the listener is then closed).
fn free_port() -> io::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

fn spawn(
    moto_server: &Path,
    port: u16,
    log: &File,
    log_file: &Path,
) -> Result<Child, SandboxError> {
    let clone = || {
        log.try_clone()
            .map_err(io_error("could not write", log_file))
    };
    let parent = libc::pid_t::try_from(std::process::id()).unwrap_or(0);
    let mut command = Command::new(moto_server);
    command.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
    // moto uses botocore inside, which reads the AWS environment and config files: keep
    // the user's settings (a profile, a region, credentials) away from it.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("AWS_") {
            command.env_remove(name);
        }
    }
    command
        .envs(EMULATOR_ENV)
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::null())
        .stdout(clone()?)
        .stderr(clone()?);
    // SAFETY: the closure runs in the forked child before exec, where only
    // async-signal-safe calls are allowed: setpgid, prctl and getppid are, and building
    // an io::Error from an errno neither allocates nor locks.
    unsafe {
        command.pre_exec(move || {
            // Its own process group: a Ctrl-C at the terminal goes to runbook only.
            if libc::setpgid(0, 0) != 0 {
                return Err(io::Error::last_os_error());
            }
            // Die with the parent, even when it is killed with SIGKILL.
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM as libc::c_ulong) != 0 {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died before prctl: then no signal would ever come.
            if libc::getppid() != parent {
                return Err(io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
    command.spawn().map_err(|source| SandboxError::Spawn {
        program: moto_server.to_path_buf(),
        source,
    })
}

/// Send a bodiless HTTP/1.0 request to 127.0.0.1:`port` and return the response status.
fn http_status(port: u16, method: &str, path: &str, timeout: Duration) -> io::Result<u16> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&address, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\n\r\n"
    )?;
    // Read the whole (small) response so the server does not see a reset connection.
    let mut response = Vec::new();
    stream.take(1 << 20).read_to_end(&mut response)?;
    let status_line = response.split(|&b| b == b'\n').next().unwrap_or_default();
    String::from_utf8_lossy(status_line)
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "not an HTTP response"))
}

/// The IAM user a sandbox run acts as, with its access key.
#[derive(Clone, Debug)]
pub struct SandboxUser {
    /// The IAM user name.
    pub user_name: String,
    /// Its access key id (emulated, worthless outside the emulator).
    pub access_key_id: String,
    /// Its secret access key.
    pub secret_access_key: Secret,
}

/// Clients for the emulator, built from scratch: no profile, environment variable or
/// credential chain is read, so nothing can redirect them to real AWS.
fn clients(endpoint: &str, key: &str, secret: &str) -> AwsProvider {
    let credentials = Credentials::new(key, secret, None, None, "runbook-sandbox");
    let retry = RetryConfig::standard().with_max_attempts(1);
    let timeout = TimeoutConfig::builder()
        .operation_timeout(Duration::from_secs(30))
        .build();
    let iam = aws_sdk_iam::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(SANDBOX_REGION))
        .credentials_provider(credentials.clone())
        .endpoint_url(endpoint)
        .retry_config(retry.clone())
        .timeout_config(timeout.clone())
        .http_client(crate::providers::aws::direct_http_client())
        .interceptor(crate::providers::aws::ResponseSizeLimit)
        .build();
    let sts = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(SANDBOX_REGION))
        .credentials_provider(credentials)
        .endpoint_url(endpoint)
        .retry_config(retry)
        .timeout_config(timeout)
        .http_client(crate::providers::aws::direct_http_client())
        .interceptor(crate::providers::aws::ResponseSizeLimit)
        .build();
    AwsProvider::from_clients(
        aws_sdk_iam::Client::from_conf(iam),
        aws_sdk_sts::Client::from_conf(sts),
    )
}

/// Create the IAM user `user_name` on the emulator, and an access key for it.
///
/// Idempotent: when the user exists already, its old access keys are replaced by a new one.
pub fn create_user(emulator: &Emulator, user_name: &str) -> Result<SandboxUser, SandboxError> {
    let admin = clients(&emulator.endpoint(), ADMIN_KEY.0, ADMIN_KEY.1);
    let iam = admin.iam_client();
    let failed = |source: AwsError| SandboxError::User {
        user: user_name.to_string(),
        source,
        log: emulator.log_file().map(Path::to_path_buf),
    };
    match admin.run(iam.create_user().user_name(user_name).send()) {
        Ok(_) => {}
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_entity_already_exists_exception()) =>
        {
            // IAM allows two access keys per user: the old ones make way for the new.
            let keys = admin
                .run(iam.list_access_keys().user_name(user_name).send())
                .map_err(|error| failed(AwsError::from_sdk("ListAccessKeys", &error)))?;
            for key in keys.access_key_metadata() {
                if let Some(id) = key.access_key_id() {
                    admin
                        .run(
                            iam.delete_access_key()
                                .user_name(user_name)
                                .access_key_id(id)
                                .send(),
                        )
                        .map_err(|error| failed(AwsError::from_sdk("DeleteAccessKey", &error)))?;
                }
            }
        }
        Err(error) => return Err(failed(AwsError::from_sdk("CreateUser", &error))),
    }
    let output = admin
        .run(iam.create_access_key().user_name(user_name).send())
        .map_err(|error| failed(AwsError::from_sdk("CreateAccessKey", &error)))?;
    let key = output.access_key().ok_or_else(|| {
        failed(AwsError {
            message: Some("the response had no access key".into()),
            ..AwsError::new("CreateAccessKey", crate::providers::ErrorKind::Other)
        })
    })?;
    Ok(SandboxUser {
        user_name: user_name.to_string(),
        access_key_id: key.access_key_id().to_string(),
        secret_access_key: Secret::new(key.secret_access_key()),
    })
}

/// Create the IAM user `user_name` on the emulator (no access key), for a test's set-up:
/// another user in the account. With `console_password`, it can sign in to the console.
pub fn create_other_user(
    emulator: &Emulator,
    user_name: &str,
    console_password: bool,
) -> Result<(), SandboxError> {
    let admin = clients(&emulator.endpoint(), ADMIN_KEY.0, ADMIN_KEY.1);
    admin
        .run(admin.iam_client().create_user().user_name(user_name).send())
        .map_err(|error| SandboxError::User {
            user: user_name.to_string(),
            source: AwsError::from_sdk("CreateUser", &error),
            log: emulator.log_file().map(Path::to_path_buf),
        })?;
    if console_password {
        give_console_password(emulator, user_name)?;
    }
    Ok(())
}

/// Give `user_name` a console password (a login profile), a random one nobody is told:
/// only its existence matters to a test.
pub fn give_console_password(emulator: &Emulator, user_name: &str) -> Result<(), SandboxError> {
    let failed = |source: AwsError| SandboxError::User {
        user: user_name.to_string(),
        source,
        log: emulator.log_file().map(Path::to_path_buf),
    };
    let mut bytes = [0u8; 18];
    File::open("/dev/urandom")
        .and_then(|mut random| random.read_exact(&mut bytes))
        .map_err(|error| SandboxError::Io {
            what: "could not read",
            path: PathBuf::from("/dev/urandom"),
            source: error,
        })?;
    use base64::Engine as _;
    // Letters of both cases, a digit and a symbol, whatever the random part holds.
    let password = Secret::new(format!(
        "{}aA1!",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ));
    let admin = clients(&emulator.endpoint(), ADMIN_KEY.0, ADMIN_KEY.1);
    admin
        .run(
            admin
                .iam_client()
                .create_login_profile()
                .user_name(user_name)
                .password(password.expose())
                .send(),
        )
        .map_err(|error| failed(AwsError::from_sdk("CreateLoginProfile", &error)))?;
    Ok(())
}

/// Give `user_name` an access key with `status` (for a test's set-up: someone to
/// offboard). Returns its id; its secret is dropped unread.
pub fn give_access_key(
    emulator: &Emulator,
    user_name: &str,
    status: crate::providers::AccessKeyStatus,
) -> Result<String, SandboxError> {
    let failed = |source: AwsError| SandboxError::User {
        user: user_name.to_string(),
        source,
        log: emulator.log_file().map(Path::to_path_buf),
    };
    let admin = clients(&emulator.endpoint(), ADMIN_KEY.0, ADMIN_KEY.1);
    let output = admin
        .run(
            admin
                .iam_client()
                .create_access_key()
                .user_name(user_name)
                .send(),
        )
        .map_err(|error| failed(AwsError::from_sdk("CreateAccessKey", &error)))?;
    let id = output
        .access_key()
        .map(|key| key.access_key_id().to_string())
        .unwrap_or_default();
    if status != crate::providers::AccessKeyStatus::Active {
        crate::providers::Iam::update_access_key(&admin, user_name, &id, status).map_err(failed)?;
    }
    Ok(id)
}

/// How to call AWS as `user` on `emulator`: its endpoint, the user's static keys, region
/// `us-east-1`, and a single attempt per call (moto answers 500 for the calls it lacks;
/// retrying them only wastes time).
pub fn sandbox_options(emulator: &Emulator, user: &SandboxUser) -> AwsOptions {
    AwsOptions {
        region: Some(SANDBOX_REGION.to_string()),
        profile: None,
        endpoint_url: Some(emulator.endpoint()),
        credentials: Some((user.access_key_id.clone(), user.secret_access_key.clone())),
        max_attempts: Some(1),
        call_timeout: None,
        direct: true,
    }
}

#[cfg(test)]
mod tests {
    use std::io::BufRead;
    use std::os::unix::fs::PermissionsExt;
    use std::sync::OnceLock;

    use super::*;
    use crate::providers::Sts;

    /// The project's emulator, installed on first use (about a minute).
    fn moto_server() -> PathBuf {
        static INSTALLED: OnceLock<PathBuf> = OnceLock::new();
        INSTALLED
            .get_or_init(|| {
                let venv = venv_dir_in(Path::new(env!("CARGO_MANIFEST_DIR")));
                ensure_emulator_installed(&venv, &mut |message| eprintln!("{message}"))
                    .unwrap_or_else(|error| panic!("{error}"))
            })
            .clone()
    }

    fn start(dir: &tempfile::TempDir) -> Emulator {
        Emulator::start(&moto_server(), &dir.path().join("moto.log"))
            .unwrap_or_else(|error| panic!("{error}"))
    }

    fn answers(port: u16) -> bool {
        http_status(port, "GET", "/moto-api/", Duration::from_secs(1)).is_ok()
    }

    /// Whether `pid` is gone (or a zombie nobody reaped yet: it no longer runs).
    fn gone(pid: u32) -> bool {
        match fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => true,
            Ok(stat) => stat
                .rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        }
    }

    fn eventually(what: &str, condition: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !condition() {
            assert!(Instant::now() < deadline, "timed out waiting until {what}");
            thread::sleep(Duration::from_millis(50));
        }
    }

    fn user_names(emulator: &Emulator) -> Vec<String> {
        let admin = clients(&emulator.endpoint(), ADMIN_KEY.0, ADMIN_KEY.1);
        let users = admin
            .run(admin.iam_client().list_users().send())
            .expect("ListUsers");
        users
            .users()
            .iter()
            .map(|u| u.user_name().to_string())
            .collect()
    }

    #[test]
    fn the_version_is_pinned_in_one_file() {
        assert_eq!(MOTO_VERSION, "5.2.5");
        assert!(!MOTO_VERSION.contains(char::is_whitespace));
    }

    #[test]
    fn started_emulator_answers_on_localhost() {
        let dir = tempfile::tempdir().unwrap();
        let emulator = start(&dir);
        assert_eq!(
            emulator.endpoint(),
            format!("http://127.0.0.1:{}", emulator.port())
        );
        assert_eq!(
            http_status(emulator.port(), "GET", "/moto-api/", Duration::from_secs(5)).unwrap(),
            200
        );
        assert_eq!(
            emulator.log_file(),
            Some(dir.path().join("moto.log").as_path())
        );
    }

    #[test]
    fn sandbox_user_is_the_caller() {
        let dir = tempfile::tempdir().unwrap();
        let emulator = start(&dir);
        let user = create_user(&emulator, "sandbox-alice").unwrap();
        assert_eq!(user.user_name, "sandbox-alice");
        let aws = AwsProvider::connect(&sandbox_options(&emulator, &user));
        let me = aws.get_caller_identity().unwrap();
        assert_eq!(me.arn, "arn:aws:iam::123456789012:user/sandbox-alice");
        assert_eq!(me.user_name(), "sandbox-alice");

        // Idempotent: the existing user gets another, working key.
        let again = create_user(&emulator, "sandbox-alice").unwrap();
        assert_ne!(again.access_key_id, user.access_key_id);
        let aws = AwsProvider::connect(&sandbox_options(&emulator, &again));
        assert_eq!(aws.get_caller_identity().unwrap().arn, me.arn);
    }

    #[test]
    fn options_point_only_at_the_emulator() {
        let dir = tempfile::tempdir().unwrap();
        let emulator = start(&dir);
        let user = SandboxUser {
            user_name: "u".into(),
            access_key_id: "AKIAEXAMPLE".into(),
            secret_access_key: Secret::new("s"),
        };
        let options = sandbox_options(&emulator, &user);
        assert_eq!(options.endpoint_url, Some(emulator.endpoint()));
        assert!(
            options
                .endpoint_url
                .unwrap()
                .starts_with("http://127.0.0.1:")
        );
        assert_eq!(options.region.as_deref(), Some("us-east-1"));
        assert_eq!(options.profile, None);
        assert_eq!(options.max_attempts, Some(1));
        let (key, secret) = options.credentials.unwrap();
        assert_eq!((key.as_str(), secret.expose()), ("AKIAEXAMPLE", "s"));
    }

    #[test]
    fn reset_wipes_users() {
        let dir = tempfile::tempdir().unwrap();
        let emulator = start(&dir);
        create_user(&emulator, "sandbox-bob").unwrap();
        assert_eq!(user_names(&emulator), ["sandbox-bob"]);
        emulator.reset().unwrap();
        assert!(user_names(&emulator).is_empty());
    }

    #[test]
    fn dropping_the_emulator_stops_it() {
        let dir = tempfile::tempdir().unwrap();
        let emulator = start(&dir);
        let (pid, port) = (emulator.pid().unwrap(), emulator.port());
        assert!(answers(port) && !gone(pid));
        drop(emulator);
        assert!(gone(pid), "moto_server {pid} still runs");
        assert!(!answers(port));

        let emulator = start(&dir);
        let (pid, port) = (emulator.pid().unwrap(), emulator.port());
        emulator.stop();
        assert!(gone(pid) && !answers(port));
    }

    #[test]
    fn an_attached_handle_shares_the_server_and_leaves_it_running() {
        let dir = tempfile::tempdir().unwrap();
        let emulator = start(&dir);
        let attached = Emulator::attach(&emulator.endpoint()).unwrap();
        assert_eq!(attached.endpoint(), emulator.endpoint());
        assert_eq!((attached.pid(), attached.log_file()), (None, None));
        let user = create_user(&attached, "sandbox-dave").unwrap();
        let aws = AwsProvider::connect(&sandbox_options(&attached, &user));
        assert_eq!(
            aws.get_caller_identity().unwrap().arn,
            "arn:aws:iam::123456789012:user/sandbox-dave"
        );
        // Again and again (each resumed crash-test run does this): IAM's two keys per
        // user are never exceeded, because the old key makes way.
        for _ in 0..3 {
            let again = create_user(&attached, "sandbox-dave").unwrap();
            assert_ne!(again.access_key_id, user.access_key_id);
            let aws = AwsProvider::connect(&sandbox_options(&attached, &again));
            assert!(
                aws.get_caller_identity()
                    .unwrap()
                    .arn
                    .ends_with("/sandbox-dave")
            );
        }
        drop(attached);
        assert!(answers(emulator.port()));
        assert_eq!(user_names(&emulator), ["sandbox-dave"]);
    }

    #[test]
    fn only_a_local_emulator_can_be_attached() {
        for endpoint in [
            "https://iam.amazonaws.com",
            "http://10.0.0.1:5000",
            "http://127.0.0.1.example.com:5000",
            "http://127.0.0.1:notaport",
        ] {
            let error = Emulator::attach(endpoint).unwrap_err().to_string();
            assert!(error.contains("only talks to a local emulator"), "{error}");
            assert!(error.contains(endpoint), "{error}");
        }
        assert_eq!(
            Emulator::attach("http://127.0.0.1:5000/").unwrap().port(),
            5000
        );
    }

    #[test]
    fn a_panic_stops_the_emulator() {
        let dir = tempfile::tempdir().unwrap();
        let result = std::panic::catch_unwind(|| {
            let emulator = start(&dir);
            let pid = emulator.pid().unwrap();
            std::panic::panic_any(pid);
        });
        let pid = *result.unwrap_err().downcast::<u32>().unwrap();
        assert!(gone(pid), "moto_server {pid} survived the panic");
    }

    const HELPER: &str = "RUNBOOK_SANDBOX_TEST_HELPER";

    /// Not a test: the child process of `the_emulator_dies_with_a_killed_parent`.
    #[test]
    #[ignore = "helper process for the_emulator_dies_with_a_killed_parent"]
    fn emulator_helper_process() {
        let Some(log) = std::env::var_os(HELPER) else {
            return;
        };
        let emulator = Emulator::start(&moto_server(), Path::new(&log)).unwrap();
        println!("EMULATOR {} {}", emulator.pid().unwrap(), emulator.port());
        io::stdout().flush().unwrap();
        thread::sleep(Duration::from_secs(60));
    }

    /// The helper process, killed (SIGKILL) when dropped.
    struct Helper(Child);

    impl Helper {
        fn kill(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    impl Drop for Helper {
        fn drop(&mut self) {
            self.kill();
        }
    }

    /// Start `emulator_helper_process` in a child process with `env`; return it and its
    /// emulator's pid and port.
    fn spawn_helper(env: &[(&str, &str)]) -> (Helper, tempfile::TempDir, u32, u16) {
        moto_server(); // install first, outside the helper
        let dir = tempfile::tempdir().unwrap();
        let mut helper = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "providers::sandbox::tests::emulator_helper_process",
                "--ignored",
                "--nocapture",
            ])
            .env(HELPER, dir.path().join("moto.log"))
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = io::BufReader::new(helper.stdout.take().unwrap());
        let helper = Helper(helper);
        let line = stdout
            .lines()
            .map(Result::unwrap)
            .find(|line| line.starts_with("EMULATOR "))
            .expect("the helper reports its emulator");
        let mut fields = line.split_whitespace().skip(1);
        let pid = fields.next().unwrap().parse().unwrap();
        let port = fields.next().unwrap().parse().unwrap();
        (helper, dir, pid, port)
    }

    #[test]
    fn the_emulator_dies_with_a_killed_parent() {
        let (mut helper, _dir, pid, port) = spawn_helper(&[]);
        assert!(answers(port));
        helper.kill(); // SIGKILL: no destructor runs
        eventually("the orphaned emulator stops", || {
            gone(pid) && !answers(port)
        });
    }

    #[test]
    fn the_emulator_ignores_the_users_aws_settings() {
        // moto's botocore used to read these: an unknown profile made every error a 500.
        let (helper, _dir, _pid, port) = spawn_helper(&[
            ("AWS_PROFILE", "runbook-no-such-profile"),
            ("AWS_REGION", "eu-west-1"),
            ("AWS_ACCESS_KEY_ID", "AKIA-NOT-FOR-THE-EMULATOR"),
        ]);
        let admin = clients(
            &format!("http://127.0.0.1:{port}"),
            ADMIN_KEY.0,
            ADMIN_KEY.1,
        );
        let iam = admin.iam_client();
        admin
            .run(iam.create_user().user_name("carol").send())
            .unwrap();
        let error = admin
            .run(iam.create_user().user_name("carol").send())
            .unwrap_err();
        assert!(
            error
                .as_service_error()
                .is_some_and(|e| e.is_entity_already_exists_exception()),
            "{error:?}"
        );
        drop(helper);
    }

    fn fake_server(dir: &Path, script: &str) -> PathBuf {
        let path = dir.join("moto_server");
        fs::write(&path, format!("#!/bin/sh\n{script}\n")).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    #[test]
    fn an_early_exit_reports_status_and_log() {
        let dir = tempfile::tempdir().unwrap();
        let server = fake_server(
            dir.path(),
            "echo 'ImportError: no module named flask' >&2\nexit 3",
        );
        let error = Emulator::start(&server, &dir.path().join("moto.log")).unwrap_err();
        assert!(
            matches!(error, SandboxError::EmulatorExited { .. }),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(message.contains("exit status: 3"), "{message}");
        assert!(
            message.contains("ImportError: no module named flask"),
            "{message}"
        );
        assert!(message.contains("moto.log"), "{message}");
    }

    #[test]
    fn a_taken_port_is_retried_three_times() {
        let dir = tempfile::tempdir().unwrap();
        let count = dir.path().join("count");
        let script = format!(
            "echo x >> '{}'\necho 'OSError: [Errno 98] Address already in use' >&2\nexit 1",
            count.display()
        );
        let server = fake_server(dir.path(), &script);
        let error = Emulator::start(&server, &dir.path().join("moto.log")).unwrap_err();
        assert!(matches!(error, SandboxError::NoPort { .. }), "{error:?}");
        assert_eq!(fs::read_to_string(&count).unwrap().lines().count(), 3);
    }

    #[test]
    fn a_missing_server_says_how_to_reinstall() {
        let dir = tempfile::tempdir().unwrap();
        let error = Emulator::start(&dir.path().join("bin/moto_server"), &dir.path().join("log"))
            .unwrap_err();
        assert!(matches!(error, SandboxError::Spawn { .. }), "{error:?}");
        assert!(
            error.to_string().contains("run again to reinstall"),
            "{error}"
        );
    }

    #[test]
    fn a_missing_python_says_what_to_install() {
        let dir = tempfile::tempdir().unwrap();
        let mut messages = Vec::new();
        let error = install_with(
            "python3-missing-for-this-test",
            &dir.path().join("venv"),
            &mut |m| messages.push(m.to_string()),
        )
        .unwrap_err();
        assert!(
            matches!(error, SandboxError::PythonMissing { .. }),
            "{error:?}"
        );
        assert!(
            error
                .to_string()
                .contains("install python3 and python3-venv (scripts/setup.sh does it)"),
            "{error}"
        );
        assert!(messages[0].starts_with("Installing the local AWS emulator (moto 5.2.5) into "));
    }

    #[test]
    fn an_installed_venv_is_used_as_is() {
        let dir = tempfile::tempdir().unwrap();
        let venv = dir.path().join("venv");
        fs::create_dir_all(venv.join("bin")).unwrap();
        fs::write(venv.join("bin/moto_server"), "").unwrap();
        fs::write(venv.join(VERSION_MARKER), format!("{MOTO_VERSION}\n")).unwrap();
        let mut called = false;
        let server = install_with("python3-missing-for-this-test", &venv, &mut |_| {
            called = true
        });
        assert_eq!(server.unwrap(), venv.join("bin/moto_server"));
        assert!(!called);
    }
}
