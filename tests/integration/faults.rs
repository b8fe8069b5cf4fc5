//! Fault injection over the whole guide, in the sandbox (attached to an emulator the test
//! keeps, so a killed run can be resumed): `kill -9` at every boundary between actions
//! and in the middle of every AWS call, and an emulator that stops answering mid-run and
//! then comes back. Every case must end in the same place: exactly one enabled virtual
//! device, the security key registered once, no orphan, no duplicate, every step in the
//! journal, and a further run with nothing to do.
//!
//! The offboarding guide, likewise: `kill -9` after every action and loop item is
//! journaled and in the middle of every change it makes, then resume: the person has no
//! MFA device, no active key and no password left, their keys are inactive but kept, and
//! nothing the guide did not list (another user's credentials, an unassigned device) is
//! touched.

use std::collections::{BTreeSet, VecDeque};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use runbook::providers::aws::{AwsOptions, AwsProvider};
use runbook::providers::sandbox::{self, Emulator};
use runbook::providers::{Assignment, Iam};

use crate::harness::{BIN, Output, root};
use crate::proxy::{Fault, Proxy};

const GUIDE: &str = "runbooks/aws-mfa.md";
/// A fixed clock for the first run; resumed runs start ten minutes later, so the codes
/// they compute are new ones, as they would be after a real crash.
const START: u64 = 1_700_000_000;

/// `runbook run GUIDE --sandbox --yes` as sandbox user `user`, attached to `endpoint`.
/// `victim` is told the child's pid as soon as it exists (the proxy kills it).
fn run(
    endpoint: &str,
    user: &str,
    state: &Path,
    clock: u64,
    extra: &[(&str, &str)],
    args: &[&str],
    victim: Option<&Proxy>,
) -> Output {
    run_guide(GUIDE, endpoint, user, state, clock, extra, args, victim)
}

/// [`run`] for another guide.
#[allow(clippy::too_many_arguments)]
fn run_guide(
    guide: &str,
    endpoint: &str,
    user: &str,
    state: &Path,
    clock: u64,
    extra: &[(&str, &str)],
    args: &[&str],
    victim: Option<&Proxy>,
) -> Output {
    let mut command = Command::new(BIN);
    command
        .args(["run", guide, "--sandbox", "--yes", "--state-dir"])
        .arg(state)
        .args(args)
        .current_dir(root())
        .env("RUNBOOK_SANDBOX_ENDPOINT", endpoint)
        .env("RUNBOOK_SANDBOX_USER", user)
        .env("RUNBOOK_FAKE_CLOCK", clock.to_string())
        .env("NO_COLOR", "1")
        .env_remove("RUNBOOK_FAULT")
        .envs(extra.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = command.spawn().expect("run runbook");
    if let Some(proxy) = victim {
        proxy.set_victim(child.id());
    }
    let output = child.wait_with_output().unwrap();
    Output {
        code: output.status.code().unwrap_or(-1),
        signal: std::os::unix::process::ExitStatusExt::signal(&output.status),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Every action id of the guide, from its committed plan (a test keeps that file current).
fn action_ids() -> BTreeSet<String> {
    let plan: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root().join("runbooks/aws-mfa.plan.json")).unwrap())
            .unwrap();
    plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|step| step["actions"].as_array().unwrap())
        .map(|action| action["id"].as_str().unwrap().to_string())
        .collect()
}

/// The final state every case must reach, on the emulator and in the journal.
fn assert_final_state(endpoint: &str, user: &str, state: &Path, case: &str, finished: bool) {
    let emulator = Emulator::attach(endpoint).unwrap();
    // The run replaced the user's key with its own; a fresh one to look with.
    let key = sandbox::create_user(&emulator, user).unwrap();
    let aws = AwsProvider::connect(&AwsOptions {
        max_attempts: Some(1),
        ..sandbox::sandbox_options(&emulator, &key)
    });
    let devices = aws.list_mfa_devices(Some(user)).unwrap();
    let serials: Vec<&str> = devices.iter().map(|d| d.serial_number.as_str()).collect();
    let virtual_devices: Vec<&&str> = serials.iter().filter(|s| s.contains(":mfa/")).collect();
    assert_eq!(
        virtual_devices,
        [&format!("arn:aws:iam::123456789012:mfa/{user}-DuoMobile").as_str()],
        "{case}: exactly one enabled virtual device: {serials:?}"
    );
    let keys = serials.iter().filter(|s| s.contains(":u2f/")).count();
    assert_eq!(keys, 1, "{case}: the security key once: {serials:?}");
    // The 68 cases share one emulator: another case creating or deleting a device between
    // two pages makes moto refuse the page marker ("Invalid Marker."); list again.
    let all = (0..5)
        .find_map(|_| aws.list_virtual_mfa_devices(Assignment::Any).ok())
        .expect("ListVirtualMFADevices failed five times");
    let ours: Vec<_> = all
        .iter()
        .filter(|d| d.serial_number.contains(&format!(":mfa/{user}-")))
        .collect();
    assert_eq!(ours.len(), 1, "{case}: no orphan, no duplicate: {ours:?}");
    assert_eq!(ours[0].user_name.as_deref(), Some(user), "{case}: {ours:?}");

    let journals: Vec<_> = std::fs::read_dir(state.join("journals"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(journals.len(), 1, "{case}: one journal: {journals:?}");
    let journal: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&journals[0]).unwrap()).unwrap();
    assert_eq!(journal["finished"], finished, "{case}: {journal}");
    assert_eq!(journal["pending"], serde_json::Value::Null, "{case}");
    assert_eq!(journal["created"], serde_json::json!([]), "{case}");
    let recorded: BTreeSet<String> = journal["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        recorded,
        action_ids(),
        "{case}: every action is in the journal"
    );
}

/// The sign-in check, as a resumed run reports it when the crash took the seed with it
/// (after the device was enabled, AWS never shows the seed again).
const SIGN_IN_NOT_RUN: [&str; 2] = [
    "totp.read-code login: `duo.seed` is not available: ",
    "sts.get-session-token session: `login.code` is not available",
];

/// Resume until done (a resumed run must finish in one go), then once more: nothing to
/// do. When the crash lost the seed of the enabled device, the resumed run ends
/// `unverified` (exit 3), naming exactly the sign-in check, and so does the run after it
/// (which tries that check again and repeats nothing else).
fn resume_and_check(endpoint: &str, user: &str, state: &Path, case: &str) {
    let resumed = run(endpoint, user, state, START + 600, &[], &[], None);
    assert!(
        resumed.code == 0 || resumed.code == 3,
        "{case}: the resumed run failed\n{}\n{}",
        resumed.stdout,
        resumed.stderr
    );
    assert!(
        !resumed.stderr.contains("panicked"),
        "{case}: {}",
        resumed.stderr
    );
    let unverified = resumed.code == 3;
    if unverified {
        assert_not_run_is_the_sign_in_check(&resumed.stdout, case);
    } else {
        assert!(
            !resumed.stdout.contains("could not run"),
            "{case}: {}",
            resumed.stdout
        );
    }
    assert_final_state(endpoint, user, state, case, !unverified);
    let again = run(endpoint, user, state, START + 1200, &[], &[], None);
    if unverified {
        assert_eq!(again.code, 3, "{case}: {}", again.stdout);
        assert_not_run_is_the_sign_in_check(&again.stdout, case);
        assert!(
            !again.stdout.contains("created arn:"),
            "{case}: {}",
            again.stdout
        );
    } else {
        assert_eq!(again.code, 0, "{case}: {}", again.stdout);
        assert!(
            again.stdout.contains("Nothing to do"),
            "{case}: a finished guide ran again:\n{}",
            again.stdout
        );
    }
}

#[track_caller]
fn assert_not_run_is_the_sign_in_check(stdout: &str, case: &str) {
    assert!(
        stdout.contains("Finished, but 2 of the guide's checks could not run"),
        "{case}: {stdout}"
    );
    for line in SIGN_IN_NOT_RUN {
        assert!(stdout.contains(line), "{case}: no `{line}` in\n{stdout}");
    }
    assert!(!stdout.contains("Done: "), "{case}: {stdout}");
}

/// One crash: where, and how.
enum Crash {
    /// `RUNBOOK_FAULT=<point>`: the process kills itself there (see `context::fault`).
    At(String),
    /// The proxy kills the process at AWS call `n` (named `action`), before the emulator
    /// sees it or after it answered.
    Call {
        n: usize,
        action: String,
        after: bool,
    },
}

impl Crash {
    fn describe(&self) -> String {
        match self {
            Crash::At(point) => format!("RUNBOOK_FAULT={point}"),
            Crash::Call { n, action, after } => format!(
                "call #{n} ({action}) {}",
                if *after {
                    "after the emulator answered"
                } else {
                    "before the emulator saw it"
                }
            ),
        }
    }
}

#[test]
fn kill_9_at_every_step_boundary_and_in_every_aws_call_then_resume() {
    let endpoint = crate::moto::endpoint();
    let upstream = Emulator::attach(endpoint).unwrap().port();

    // A clean run through the proxy, to learn the calls the guide makes.
    let probe = Proxy::start(upstream, |_, _| Fault::None);
    let state = tempfile::tempdir().unwrap();
    let clean = run(
        &probe.endpoint(),
        "fprobe",
        state.path(),
        START,
        &[],
        &[],
        None,
    );
    assert_eq!(clean.code, 0, "{}\n{}", clean.stdout, clean.stderr);
    assert_final_state(endpoint, "fprobe", state.path(), "clean run", true);
    let calls = probe.calls();
    for wanted in [
        "CreateVirtualMFADevice",
        "EnableMFADevice",
        "ListMFADevices",
        "GetSessionToken",
    ] {
        assert!(
            calls.iter().any(|c| c == wanted),
            "no {wanted} in {calls:?}"
        );
    }

    let mut crashes: Vec<Crash> = Vec::new();
    for (n, action) in calls.iter().enumerate() {
        for after in [false, true] {
            crashes.push(Crash::Call {
                n,
                action: action.clone(),
                after,
            });
        }
    }
    for id in action_ids() {
        crashes.push(Crash::At(format!("journaled:{id}")));
    }
    for id in ["duo", "enabled", "security_key"] {
        crashes.push(Crash::At(format!("pending:{id}")));
        crashes.push(Crash::At(format!("called:{id}")));
    }
    run_crashes(crashes, "f", |user, crash| {
        one_crash(endpoint, upstream, user, crash, &calls)
    });
}

fn one_crash(endpoint: &str, upstream: u16, user: &str, crash: &Crash, calls: &[String]) {
    let case = crash.describe();
    let state = tempfile::tempdir().unwrap();
    let killed = match crash {
        Crash::At(point) => run(
            endpoint,
            user,
            state.path(),
            START,
            &[("RUNBOOK_FAULT", point)],
            &[],
            None,
        ),
        Crash::Call { n, after, .. } => {
            let (n, after) = (*n, *after);
            let proxy = Proxy::start(upstream, move |index, _| match index == n {
                true if after => Fault::KillAfter,
                true => Fault::KillBefore,
                false => Fault::None,
            });
            let output = run(
                &proxy.endpoint(),
                user,
                state.path(),
                START,
                &[],
                &[],
                Some(&proxy),
            );
            // The killed run made the same calls as the clean one, up to the fatal one.
            let seen = proxy.calls();
            assert_eq!(seen.len(), n + 1, "{case}: calls {seen:?}");
            assert_eq!(seen[..], calls[..=n], "{case}: a different run");
            output
        }
    };
    assert_eq!(
        killed.signal,
        Some(libc::SIGKILL),
        "{case}: not killed\n{}\n{}",
        killed.stdout,
        killed.stderr
    );
    resume_and_check(endpoint, user, state.path(), &case);
}

/// The emulator stops answering in the middle of a call (SIGSTOP), then comes back
/// (SIGCONT). Briefly: the run waits it out. For longer than `--aws-timeout`: the run
/// fails with an error that says what happened and what to do, keeps its journal, and
/// the next run finishes the guide, whatever the emulator did with the call meanwhile.
#[test]
fn the_emulator_stops_mid_run_and_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    // An emulator of its own: stopping the shared one would stall every other test.
    let emulator = crate::moto::own_emulator(dir.path());
    let (pid, port) = (emulator.pid().unwrap() as i32, emulator.port());
    let signal = move |signal: i32| {
        // SAFETY: kill(2) on the emulator this test started.
        unsafe { libc::kill(pid, signal) };
    };
    // A run as `user` (with `args`) through a proxy that stops the emulator at the first
    // call named `action` and starts it again after `pause`; returns when both are over.
    let run_with_stop = |user: &str, action: &'static str, pause: Duration, args: &[&str]| {
        let resumer: Arc<Mutex<Option<std::thread::JoinHandle<()>>>> = Default::default();
        let handle = resumer.clone();
        let proxy = Proxy::start(port, move |_, seen| {
            let mut handle = handle.lock().unwrap();
            if seen != action || handle.is_some() {
                return Fault::None;
            }
            signal(libc::SIGSTOP);
            *handle = Some(std::thread::spawn(move || {
                std::thread::sleep(pause);
                signal(libc::SIGCONT);
            }));
            Fault::None
        });
        let state = tempfile::tempdir().unwrap();
        let output = run(
            &proxy.endpoint(),
            user,
            state.path(),
            START,
            &[],
            args,
            None,
        );
        let stopped = resumer.lock().unwrap().take();
        stopped.expect("the emulator was stopped").join().unwrap();
        (output, state)
    };
    let endpoint = emulator.endpoint();

    // Stopped for 3 s in CreateVirtualMFADevice: the run waits, and finishes.
    let (output, state) = run_with_stop(
        "pause",
        "CreateVirtualMFADevice",
        Duration::from_secs(3),
        &[],
    );
    assert_eq!(output.code, 0, "{}\n{}", output.stdout, output.stderr);
    assert_final_state(&endpoint, "pause", state.path(), "a 3 s pause", true);

    // Stopped for 6 s with a 2 s timeout (ample on a loaded machine), in each mutating
    // call: the run gives up (the emulator may still act on the call once it wakes up),
    // and a rerun finishes.
    for action in ["CreateVirtualMFADevice", "EnableMFADevice"] {
        let user = format!("stop-{}", action.to_lowercase());
        let (output, state) = run_with_stop(
            &user,
            action,
            Duration::from_secs(6),
            &["--aws-timeout", "2"],
        );
        assert_eq!(
            output.code, 1,
            "{action}: {}\n{}",
            output.stdout, output.stderr
        );
        let said = format!("{}{}", output.stdout, output.stderr);
        assert!(said.contains("did not answer in time"), "{action}: {said}");
        assert!(said.contains("run again to resume"), "{action}: {said}");
        assert!(!said.contains("panicked"), "{said}");
        resume_and_check(
            &endpoint,
            &user,
            state.path(),
            &format!("stopped in {action}"),
        );
    }
}

const OFFBOARD: &str = "runbooks/offboard-user.md";

/// What the offboarding guide starts from, and what it must not touch.
struct Offboarding {
    /// The person offboarded: a virtual device, a security key, two active access keys
    /// and a console password.
    target: String,
    keys: BTreeSet<String>,
    /// Another user with an active key, a virtual device and a password, and an
    /// unassigned virtual device in the account: none of it is the target's.
    bystander: String,
    bystander_key: String,
    spare: String,
}

fn prepare_offboarding(endpoint: &str, name: &str) -> Offboarding {
    use runbook::providers::AccessKeyStatus;
    use runbook::secret::Secret;
    let emulator = Emulator::attach(endpoint).unwrap();
    let target = format!("{name}-leaver");
    let bystander = format!("{name}-stays");
    let first = sandbox::create_user(&emulator, &target).unwrap();
    let second = sandbox::give_access_key(&emulator, &target, AccessKeyStatus::Active).unwrap();
    sandbox::give_console_password(&emulator, &target).unwrap();
    let peer = sandbox::create_user(&emulator, &bystander).unwrap();
    sandbox::give_console_password(&emulator, &bystander).unwrap();
    let aws = AwsProvider::connect(&AwsOptions {
        max_attempts: Some(1),
        ..sandbox::sandbox_options(&emulator, &peer)
    });
    // The emulator takes any well-formed codes, and a `u2f` serial through EnableMFADevice.
    let code = Secret::new("123456");
    for (user, device) in [(&target, "phone"), (&bystander, "phone")] {
        let serial = aws
            .create_virtual_mfa_device(&format!("{user}-{device}"), None)
            .unwrap()
            .serial_number;
        aws.enable_mfa_device(user, &serial, &code, &code).unwrap();
    }
    let key = format!("arn:aws:iam::123456789012:u2f/user/{target}/{target}-key");
    aws.enable_mfa_device(&target, &key, &code, &code).unwrap();
    let spare = aws
        .create_virtual_mfa_device(&format!("{name}-spare"), None)
        .unwrap()
        .serial_number;
    Offboarding {
        target,
        keys: [first.access_key_id, second].into_iter().collect(),
        bystander,
        bystander_key: peer.access_key_id,
        spare,
    }
}

fn offboard(
    endpoint: &str,
    admin: &str,
    who: &Offboarding,
    state: &Path,
    extra: &[(&str, &str)],
    victim: Option<&Proxy>,
) -> Output {
    let var = format!("user_name={}", who.target);
    run_guide(
        OFFBOARD,
        endpoint,
        admin,
        state,
        START,
        extra,
        &["--var", &var],
        victim,
    )
}

/// The promised end state, and nothing else changed.
fn assert_offboarded(endpoint: &str, who: &Offboarding, state: &Path, case: &str) {
    use runbook::providers::AccessKeyStatus;
    let emulator = Emulator::attach(endpoint).unwrap();
    let looker = sandbox::create_user(&emulator, &format!("{}-look", who.bystander)).unwrap();
    let aws = AwsProvider::connect(&AwsOptions {
        max_attempts: Some(1),
        ..sandbox::sandbox_options(&emulator, &looker)
    });
    let target = who.target.as_str();
    assert_eq!(
        aws.list_mfa_devices(Some(target)).unwrap(),
        [],
        "{case}: an MFA device is left"
    );
    let keys = aws.list_access_keys(target).unwrap();
    let ids: BTreeSet<String> = keys.iter().map(|k| k.access_key_id.clone()).collect();
    assert_eq!(ids, who.keys, "{case}: access keys were deleted or added");
    assert!(
        keys.iter().all(|k| k.status == AccessKeyStatus::Inactive),
        "{case}: a key is still active: {keys:?}"
    );
    assert_eq!(
        aws.get_login_profile(target).unwrap(),
        None,
        "{case}: the console password is left"
    );
    // Shared emulator: a page marker can be refused while another case changes devices.
    let devices = (0..5)
        .find_map(|_| aws.list_virtual_mfa_devices(Assignment::Any).ok())
        .expect("ListVirtualMFADevices failed five times");
    let serials: Vec<&str> = devices.iter().map(|d| d.serial_number.as_str()).collect();
    assert!(
        !serials
            .iter()
            .any(|s| s.ends_with(&format!(":mfa/{target}-phone"))),
        "{case}: the target's virtual device was not deleted: {serials:?}"
    );
    assert!(
        serials.contains(&who.spare.as_str()),
        "{case}: the unassigned device nobody listed was deleted: {serials:?}"
    );
    let bystander = who.bystander.as_str();
    let theirs = aws.list_mfa_devices(Some(bystander)).unwrap();
    assert_eq!(
        theirs.len(),
        1,
        "{case}: the bystander's device: {theirs:?}"
    );
    let their_keys = aws.list_access_keys(bystander).unwrap();
    assert!(
        their_keys
            .iter()
            .any(|k| k.access_key_id == who.bystander_key && k.status == AccessKeyStatus::Active),
        "{case}: the bystander's key was touched: {their_keys:?}"
    );
    assert!(
        aws.get_login_profile(bystander).unwrap().is_some(),
        "{case}: the bystander's password was removed"
    );

    let journals: Vec<_> = std::fs::read_dir(state.join("journals"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(journals.len(), 1, "{case}: one journal: {journals:?}");
    let journal: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&journals[0]).unwrap()).unwrap();
    assert_eq!(journal["finished"], true, "{case}: {journal}");
    assert_eq!(journal["pending"], serde_json::Value::Null, "{case}");
    let recorded: BTreeSet<String> = journal["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["id"].as_str().unwrap().to_string())
        .collect();
    let missing: Vec<&String> = offboard_ids().difference(&recorded).collect();
    assert!(
        missing.is_empty(),
        "{case}: not in the journal: {missing:?}"
    );
}

/// Every action id of the offboarding guide, from its committed plan, a loop's as its
/// items (two devices, two keys): what the journal of a finished run lists.
fn offboard_ids() -> &'static BTreeSet<String> {
    static IDS: std::sync::OnceLock<BTreeSet<String>> = std::sync::OnceLock::new();
    IDS.get_or_init(|| {
        let plan: serde_json::Value = serde_json::from_slice(
            &std::fs::read(root().join("runbooks/offboard-user.plan.json")).unwrap(),
        )
        .unwrap();
        let mut ids = BTreeSet::new();
        for action in plan["steps"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|step| step["actions"].as_array().unwrap())
        {
            let id = action["id"].as_str().unwrap().to_string();
            // A loop is journaled item by item, never as a whole.
            if action.get("for_each").is_some() {
                ids.extend((0..2).map(|n| format!("{id}[{n}]")));
            } else {
                ids.insert(id);
            }
        }
        ids
    })
}

/// `kill -9` at every boundary of the offboarding guide (each action and loop item
/// journaled) and before and after each change reaches the emulator, then resume: the
/// resumed run finishes, the end state is the promised one with nothing else touched, and
/// a further run has nothing to do.
#[test]
fn kill_9_at_every_boundary_of_the_offboarding_guide_then_resume() {
    let started = std::time::Instant::now();
    let endpoint = crate::moto::endpoint();
    let upstream = Emulator::attach(endpoint).unwrap().port();

    // A clean run through the proxy, to learn the calls the guide makes.
    let probe = Proxy::start(upstream, |_, _| Fault::None);
    let who = prepare_offboarding(endpoint, "oprobe");
    let state = tempfile::tempdir().unwrap();
    let clean = offboard(&probe.endpoint(), "oprobe", &who, state.path(), &[], None);
    assert_eq!(clean.code, 0, "{}\n{}", clean.stdout, clean.stderr);
    assert_offboarded(endpoint, &who, state.path(), "clean run");
    let calls = probe.calls();
    const CHANGES: [&str; 4] = [
        "DeactivateMFADevice",
        "DeleteVirtualMFADevice",
        "UpdateAccessKey",
        "DeleteLoginProfile",
    ];
    for wanted in CHANGES {
        assert!(
            calls.iter().any(|c| c == wanted),
            "no {wanted} in {calls:?}"
        );
    }

    let mut crashes: Vec<Crash> = offboard_ids()
        .iter()
        .map(|id| Crash::At(format!("journaled:{id}")))
        .collect();
    for (n, action) in calls.iter().enumerate() {
        if CHANGES.contains(&action.as_str()) {
            for after in [false, true] {
                crashes.push(Crash::Call {
                    n,
                    action: action.clone(),
                    after,
                });
            }
        }
    }
    let total = run_crashes(crashes, "o", |user, crash| {
        one_offboarding_crash(endpoint, upstream, user, crash, &calls)
    });
    eprintln!(
        "offboarding: {total} crash cases in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

fn one_offboarding_crash(
    endpoint: &str,
    upstream: u16,
    name: &str,
    crash: &Crash,
    calls: &[String],
) {
    let case = crash.describe();
    let who = prepare_offboarding(endpoint, name);
    let state = tempfile::tempdir().unwrap();
    let killed = match crash {
        Crash::At(point) => offboard(
            endpoint,
            name,
            &who,
            state.path(),
            &[("RUNBOOK_FAULT", point)],
            None,
        ),
        Crash::Call { n, after, .. } => {
            let (n, after) = (*n, *after);
            let proxy = Proxy::start(upstream, move |index, _| match index == n {
                true if after => Fault::KillAfter,
                true => Fault::KillBefore,
                false => Fault::None,
            });
            let output = offboard(
                &proxy.endpoint(),
                name,
                &who,
                state.path(),
                &[],
                Some(&proxy),
            );
            let seen = proxy.calls();
            assert_eq!(seen.len(), n + 1, "{case}: calls {seen:?}");
            assert_eq!(seen[..], calls[..=n], "{case}: a different run");
            output
        }
    };
    assert_eq!(
        killed.signal,
        Some(libc::SIGKILL),
        "{case}: not killed\n{}\n{}",
        killed.stdout,
        killed.stderr
    );
    let resumed = offboard(endpoint, name, &who, state.path(), &[], None);
    assert_eq!(
        resumed.code, 0,
        "{case}: the resumed run failed\n{}\n{}",
        resumed.stdout, resumed.stderr
    );
    assert_offboarded(endpoint, &who, state.path(), &case);
    let again = offboard(endpoint, name, &who, state.path(), &[], None);
    assert_eq!(again.code, 0, "{case}: {}", again.stdout);
    assert!(
        again.stdout.contains("Nothing to do"),
        "{case}: a finished guide ran again:\n{}",
        again.stdout
    );
}

const REPLACE: &str = "runbooks/replace-mfa-device.md";

/// The replacement guide's starting point: `user` lost the phone of `{user}-oldphone` and
/// keeps a security key, which must survive. Returns the lost device's serial.
fn prepare_replacement(endpoint: &str, user: &str) -> String {
    use runbook::secret::Secret;
    let emulator = Emulator::attach(endpoint).unwrap();
    let key = sandbox::create_user(&emulator, user).unwrap();
    let aws = AwsProvider::connect(&AwsOptions {
        max_attempts: Some(1),
        ..sandbox::sandbox_options(&emulator, &key)
    });
    let code = Secret::new("123456");
    let lost = aws
        .create_virtual_mfa_device(&format!("{user}-oldphone"), None)
        .unwrap()
        .serial_number;
    aws.enable_mfa_device(user, &lost, &code, &code).unwrap();
    let kept = format!("arn:aws:iam::123456789012:u2f/user/{user}/{user}-key");
    aws.enable_mfa_device(user, &kept, &code, &code).unwrap();
    lost
}

fn replace(
    endpoint: &str,
    user: &str,
    lost: &str,
    state: &Path,
    clock: u64,
    extra: &[(&str, &str)],
    victim: Option<&Proxy>,
) -> Output {
    let var = format!("lost={lost}");
    run_guide(
        REPLACE,
        endpoint,
        user,
        state,
        clock,
        extra,
        &["--var", &var],
        victim,
    )
}

/// The promised end state: the lost device gone (deactivated and deleted), the key kept,
/// exactly one new virtual device, enabled, no orphan; the journal finished (or, when the
/// crash took the new seed, finished but for the sign-in check) with every action.
fn assert_replaced(endpoint: &str, user: &str, state: &Path, case: &str, finished: bool) {
    let emulator = Emulator::attach(endpoint).unwrap();
    let key = sandbox::create_user(&emulator, user).unwrap();
    let aws = AwsProvider::connect(&AwsOptions {
        max_attempts: Some(1),
        ..sandbox::sandbox_options(&emulator, &key)
    });
    let mut serials: Vec<String> = aws
        .list_mfa_devices(Some(user))
        .unwrap()
        .into_iter()
        .map(|d| d.serial_number)
        .collect();
    serials.sort();
    assert_eq!(
        serials,
        [
            format!("arn:aws:iam::123456789012:mfa/{user}-DuoMobile"),
            format!("arn:aws:iam::123456789012:u2f/user/{user}/{user}-key"),
        ],
        "{case}: the new virtual device and the kept key"
    );
    let all = (0..5)
        .find_map(|_| aws.list_virtual_mfa_devices(Assignment::Any).ok())
        .expect("ListVirtualMFADevices failed five times");
    let ours: Vec<_> = all
        .iter()
        .filter(|d| d.serial_number.contains(&format!(":mfa/{user}-")))
        .collect();
    assert_eq!(
        ours.len(),
        1,
        "{case}: the lost device deleted, no orphan, no duplicate: {ours:?}"
    );
    assert_eq!(ours[0].user_name.as_deref(), Some(user), "{case}: {ours:?}");

    let journals: Vec<_> = std::fs::read_dir(state.join("journals"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(journals.len(), 1, "{case}: one journal: {journals:?}");
    let journal: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&journals[0]).unwrap()).unwrap();
    assert_eq!(journal["finished"], finished, "{case}: {journal}");
    assert_eq!(journal["pending"], serde_json::Value::Null, "{case}");
    assert_eq!(journal["created"], serde_json::json!([]), "{case}");
    let recorded: BTreeSet<String> = journal["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["id"].as_str().unwrap().to_string())
        .collect();
    let missing: Vec<&String> = replace_ids().difference(&recorded).collect();
    assert!(
        missing.is_empty(),
        "{case}: not in the journal: {missing:?}"
    );
}

/// Every action id of the replacement guide that a run with the security-key steps
/// skipped journals (included steps' ids with them), from its committed plan; a loop's
/// as its two items.
fn replace_ids() -> &'static BTreeSet<String> {
    static IDS: std::sync::OnceLock<BTreeSet<String>> = std::sync::OnceLock::new();
    IDS.get_or_init(|| {
        let plan: serde_json::Value = serde_json::from_slice(
            &std::fs::read(root().join("runbooks/replace-mfa-device.plan.json")).unwrap(),
        )
        .unwrap();
        let mut ids = BTreeSet::new();
        for step in plan["steps"].as_array().unwrap() {
            if step["id"] == "select-security-key" {
                continue;
            }
            for action in step["actions"].as_array().unwrap() {
                let id = action["id"].as_str().unwrap().to_string();
                if action.get("for_each").is_some() {
                    ids.extend((0..2).map(|n| format!("{id}[{n}]")));
                } else {
                    ids.insert(id);
                }
            }
        }
        assert!(
            ids.contains("enabled") && ids.contains("session"),
            "{ids:?}"
        );
        ids
    })
}

/// `kill -9` at every boundary of the replacement guide (each action and loop item
/// journaled, aws-mfa.md's included ones too), while the new device is being created and
/// enabled, and before and after each change reaches the emulator; then resume: the lost
/// device is gone, the key kept, one new device enabled, no orphan, and a further run has
/// nothing to do (or, when the crash took the new seed, only the sign-in check is left).
#[test]
fn kill_9_at_every_boundary_of_the_replacement_guide_then_resume() {
    // An emulator of its own: its cases add some 70 virtual devices, which on the shared
    // one would change how many pages the other guides' fault tests list, mid-test.
    let scratch = tempfile::tempdir().unwrap();
    let emulator = crate::moto::own_emulator(scratch.path());
    let endpoint = emulator.endpoint();
    let endpoint = endpoint.as_str();
    let upstream = Emulator::attach(endpoint).unwrap().port();

    let probe = Proxy::start(upstream, |_, _| Fault::None);
    let lost = prepare_replacement(endpoint, "rprobe");
    let state = tempfile::tempdir().unwrap();
    let clean = replace(
        &probe.endpoint(),
        "rprobe",
        &lost,
        state.path(),
        START,
        &[],
        None,
    );
    assert_eq!(clean.code, 0, "{}\n{}", clean.stdout, clean.stderr);
    assert_replaced(endpoint, "rprobe", state.path(), "clean run", true);
    let calls = probe.calls();
    const CHANGES: [&str; 5] = [
        "DeactivateMFADevice",
        "DeleteVirtualMFADevice",
        "CreateVirtualMFADevice",
        "EnableMFADevice",
        "GetSessionToken",
    ];
    for wanted in CHANGES {
        assert!(
            calls.iter().any(|c| c == wanted),
            "no {wanted} in {calls:?}"
        );
    }
    let mut crashes: Vec<Crash> = replace_ids()
        .iter()
        .map(|id| Crash::At(format!("journaled:{id}")))
        .collect();
    for id in ["duo", "enabled"] {
        crashes.push(Crash::At(format!("pending:{id}")));
        crashes.push(Crash::At(format!("called:{id}")));
    }
    for (n, action) in calls.iter().enumerate() {
        if CHANGES.contains(&action.as_str()) {
            for after in [false, true] {
                crashes.push(Crash::Call {
                    n,
                    action: action.clone(),
                    after,
                });
            }
        }
    }
    run_crashes(crashes, "r", |user, crash| {
        one_replacement_crash(endpoint, upstream, user, crash, &calls)
    });
}

fn one_replacement_crash(
    endpoint: &str,
    upstream: u16,
    user: &str,
    crash: &Crash,
    calls: &[String],
) {
    let case = crash.describe();
    let lost = prepare_replacement(endpoint, user);
    let state = tempfile::tempdir().unwrap();
    let killed = match crash {
        Crash::At(point) => replace(
            endpoint,
            user,
            &lost,
            state.path(),
            START,
            &[("RUNBOOK_FAULT", point)],
            None,
        ),
        Crash::Call { n, after, .. } => {
            let (n, after) = (*n, *after);
            let proxy = Proxy::start(upstream, move |index, _| match index == n {
                true if after => Fault::KillAfter,
                true => Fault::KillBefore,
                false => Fault::None,
            });
            let output = replace(
                &proxy.endpoint(),
                user,
                &lost,
                state.path(),
                START,
                &[],
                Some(&proxy),
            );
            let seen = proxy.calls();
            assert_eq!(seen.len(), n + 1, "{case}: calls {seen:?}");
            assert_eq!(seen[..], calls[..=n], "{case}: a different run");
            output
        }
    };
    assert_eq!(
        killed.signal,
        Some(libc::SIGKILL),
        "{case}: not killed\n{}\n{}",
        killed.stdout,
        killed.stderr
    );
    let resumed = replace(endpoint, user, &lost, state.path(), START + 600, &[], None);
    assert!(
        resumed.code == 0 || resumed.code == 3,
        "{case}: the resumed run failed\n{}\n{}",
        resumed.stdout,
        resumed.stderr
    );
    let unverified = resumed.code == 3;
    if unverified {
        assert_not_run_is_the_sign_in_check(&resumed.stdout, &case);
    }
    assert_replaced(endpoint, user, state.path(), &case, !unverified);
    let again = replace(endpoint, user, &lost, state.path(), START + 1200, &[], None);
    if unverified {
        assert_eq!(again.code, 3, "{case}: {}", again.stdout);
        assert_not_run_is_the_sign_in_check(&again.stdout, &case);
    } else {
        assert_eq!(again.code, 0, "{case}: {}", again.stdout);
        assert!(
            again.stdout.contains("Nothing to do"),
            "{case}: a finished guide ran again:\n{}",
            again.stdout
        );
    }
}

/// Runs each crash case on four threads, `one(user, crash)` per case with a user named
/// `PREFIX<n>`, and fails naming every case that failed; the number of cases.
fn run_crashes(crashes: Vec<Crash>, prefix: &str, one: impl Fn(&str, &Crash) + Sync) -> usize {
    let total = crashes.len();
    let queue = Mutex::new(crashes.into_iter().enumerate().collect::<VecDeque<_>>());
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                loop {
                    let Some((number, crash)) = queue.lock().unwrap().pop_front() else {
                        break;
                    };
                    let case = crash.describe();
                    let user = format!("{prefix}{number}");
                    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        one(&user, &crash)
                    }));
                    if let Err(panic) = result {
                        let message = panic
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_default();
                        failures.lock().unwrap().push(format!("{case}: {message}"));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {total} crash cases failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    total
}
