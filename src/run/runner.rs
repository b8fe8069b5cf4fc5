//! `runbook run`: check the runbook, pick the target (real AWS or the sandbox), load the
//! journal, install the Ctrl-C handler, and hand over to the [`Executor`].

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;

use crate::bind::check;
use crate::providers::aws::{AwsOptions, AwsProvider};
use crate::providers::prompt;
use crate::providers::sandbox;
use crate::providers::security_key::SecurityKeys;
use crate::providers::software_key::SoftwareKeys;
use crate::providers::stand_in::EmulatorAws;
use crate::providers::{Clock, FixedClock, Prompt, ScriptedPrompt, SystemClock, TerminalPrompt};
use crate::providers::{Iam, Sts};
use crate::run::context::{JournalHandle, Mode, RunError};
use crate::run::executor::{self, Executor, Finish, INTERRUPTED, Selection};
use crate::run::journal::{self, Journal, JournalFile};
use crate::run::ui::{OutputMode, Ui};

/// Everything `runbook run` was asked.
#[derive(Clone, Debug, Default)]
pub struct RunRequest {
    pub file: PathBuf,
    pub vars: BTreeMap<String, String>,
    pub yes: bool,
    pub dry_run: bool,
    pub selection: Selection,
    pub json: bool,
    pub sandbox: bool,
    pub aws: AwsOptions,
    pub restart: bool,
    pub state_dir: Option<PathBuf>,
    /// `--seed-file`: where a new virtual device's enrolment key is written (0600).
    pub seed_file: Option<PathBuf>,
}

/// How `runbook run` ended.
#[derive(Debug)]
pub enum RunResult {
    Ok,
    /// Finished, but some checks could not run (they were listed).
    Unverified,
    /// Finished, and checks reported findings (they were listed).
    Findings,
    /// The runbook did not check; diagnostics were printed.
    Invalid,
    Failed,
    Interrupted,
    /// The request itself was wrong (e.g. an unknown step); the message says why.
    Usage(String),
}

pub fn run(request: RunRequest) -> RunResult {
    let checked = check::check_file(&request.file);
    if checked.errors() > 0 {
        anstream::eprint!("{}", checked.render_diagnostics(true));
    } else if checked.warnings() > 0 {
        // A run is not the place for a checker's report: one line, and where to look.
        anstream::eprintln!(
            "note: {} warning(s) about {} (e.g. a figure that is missing); `runbook check {}` shows them",
            checked.warnings(),
            crate::sanitize::escape(&checked.path),
            crate::sanitize::escape(&checked.path)
        );
    }
    let (Some(runbook), Some(source)) = (&checked.runbook, &checked.source) else {
        return RunResult::Invalid;
    };
    let mut ui = Ui::new(if request.json {
        OutputMode::Json
    } else {
        OutputMode::Human
    });
    install_interrupt_handler();
    if let Err(message) = executor::check_vars(runbook, &request.vars) {
        ui.error(
            &message,
            Some("check the spelling, or `runbook plan FILE` for the guide's inputs"),
        );
        return RunResult::Usage(message);
    }

    let target = target(&request);
    let hash = journal::content_hash(source.text());
    let state_dir = request
        .state_dir
        .clone()
        .unwrap_or_else(journal::default_state_dir);
    let opened = if request.dry_run {
        JournalFile::read_only(&state_dir, &request.file, &hash, &target)
    } else {
        JournalFile::open(&state_dir, &request.file, &hash, &target)
    };
    let journal_file = match opened {
        Ok(file) => file,
        Err(error) => {
            ui.error(&error.to_string(), Some(&error.next_step()));
            return RunResult::Failed;
        }
    };
    // One run at a time per guide and target (a dry run changes nothing, and needs none).
    let _lock = if request.dry_run {
        None
    } else {
        match journal_file.lock() {
            Ok(lock) => Some(lock),
            Err(error) => {
                ui.error(&error.to_string(), Some(&error.next_step()));
                ui.run_event("run_finished", serde_json::json!({ "status": "failed" }));
                return RunResult::Failed;
            }
        }
    };
    let mut journal = match journal_file.load(&hash, &target) {
        Ok(Some(journal)) if !request.restart => journal,
        Ok(_) => Journal::new(&checked.path, &hash, &target),
        // --restart starts over whatever the old journal holds.
        Err(_) if request.restart => Journal::new(&checked.path, &hash, &target),
        Err(error) => {
            ui.error(&error.to_string(), Some(&error.next_step()));
            ui.run_event("run_finished", serde_json::json!({ "status": "failed" }));
            return RunResult::Failed;
        }
    };
    // Each sandbox run starts its own, empty emulator: what an earlier sandbox run did is
    // gone with its emulator, so the guide runs from the start again, honestly (a finished
    // guide saying "nothing to do" would be true only of the emulator that no longer
    // exists). Real targets, and an attached test emulator, keep the journal's resume.
    if request.sandbox && !journal.actions.is_empty() && attached_sandbox().is_none() {
        ui.warn(
            "a sandbox run starts a new, empty emulator each time, so the guide runs from the start again (against real AWS, a finished step is never repeated)",
        );
        journal = Journal::new(&checked.path, &hash, &target);
    }
    // A finished guide needs no AWS at all, and no emulator.
    let needs_aws = !executor::nothing_to_do(runbook, &journal, &request.selection);
    let clock = clock();
    let mut emulator = None;
    let sandbox_aws = if request.sandbox && needs_aws {
        // The emulator, with labelled stand-ins for the calls it lacks; never real AWS.
        let started = start_sandbox(&mut ui).and_then(|(started, user)| {
            let aws =
                EmulatorAws::connect(&started, &user, request.aws.call_timeout, clock.as_ref())
                    .map_err(|error| error.to_string())?;
            Ok((started, aws))
        });
        match started {
            Ok((started, aws)) => {
                emulator = Some(started);
                Some(aws)
            }
            Err(message) => {
                ui.error(
                    &message,
                    Some(
                        "see the message above; `scripts/setup.sh` installs what the sandbox needs",
                    ),
                );
                return RunResult::Failed;
            }
        }
    } else {
        None
    };
    let real;
    let (iam, sts): (&dyn Iam, &dyn Sts) = match &sandbox_aws {
        Some(aws) => (aws, aws),
        None => {
            real = AwsProvider::connect(&request.aws);
            (&real, &real)
        }
    };
    // The sandbox's key is a software authenticator; otherwise, the USB keys.
    let keys: Box<dyn SecurityKeys> = if request.sandbox {
        Box::new(SoftwareKeys::new())
    } else {
        usb_keys()
    };
    let mut prompt = prompt();
    let mut executor = Executor {
        runbook,
        source,
        iam,
        sts,
        clock: clock.as_ref(),
        keys: keys.as_ref(),
        prompt: prompt.as_mut(),
        ui: &mut ui,
        mode: Mode {
            yes: request.yes,
            dry_run: request.dry_run,
            sandbox: request.sandbox,
            vars: request.vars.clone(),
            seed_file: request.seed_file.clone(),
            // The sandbox never touches the AWS CLI's real configuration.
            aws_config_file: request
                .sandbox
                .then(|| state_dir.join("sandbox").join("aws-config")),
            stand_in_phone: false,
        },
        selection: request.selection.clone(),
        journal: JournalHandle {
            journal,
            file: (!request.dry_run).then_some(journal_file),
            last_code_window: None,
            key: None,
            deactivations_shown: Default::default(),
        },
    };
    let result = executor.run();
    drop(executor);
    drop(sandbox_aws);
    drop(emulator);
    match result {
        Ok(Finish::Completed | Finish::NothingToDo) => RunResult::Ok,
        Ok(Finish::Unverified) => RunResult::Unverified,
        Ok(Finish::Findings) => RunResult::Findings,
        Err(
            RunError::Interrupted
            | RunError::Prompt(crate::providers::prompt::PromptError::Cancelled),
        ) => RunResult::Interrupted,
        Err(RunError::Failed { message, .. }) if message.starts_with("there is no step") => {
            RunResult::Usage(message)
        }
        Err(_) => RunResult::Failed,
    }
}

/// What the run talks to; part of the journal's key, so runs against different accounts
/// or emulators never share a journal.
fn target(request: &RunRequest) -> String {
    if request.sandbox {
        return match attached_sandbox() {
            // Not the endpoint: a test may reach the same emulator through a proxy.
            Some((_, user)) => format!("sandbox:attached:{user}"),
            None => "sandbox".to_string(),
        };
    }
    let endpoint = request
        .aws
        .endpoint_url
        .clone()
        .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok());
    let profile = request
        .aws
        .profile
        .clone()
        .or_else(|| std::env::var("AWS_PROFILE").ok());
    match (endpoint, profile) {
        (Some(endpoint), _) => format!("endpoint:{endpoint}"),
        (None, Some(profile)) => format!("profile:{profile}"),
        (None, None) => "default".to_string(),
    }
}

/// Start the local emulator with a user of its own. Never touches real AWS: the options
/// carry the emulator's endpoint and the sandbox user's keys.
fn start_sandbox(ui: &mut Ui) -> Result<(sandbox::Emulator, sandbox::SandboxUser), String> {
    if let Some((endpoint, user_name)) = attached_sandbox() {
        let emulator = sandbox::Emulator::attach(&endpoint).map_err(|error| error.to_string())?;
        let user =
            sandbox::create_user(&emulator, &user_name).map_err(|error| error.to_string())?;
        ui.text(&format!(
            "[sandbox] attached to the emulator at {endpoint} (IAM user `{user_name}`); real AWS is not used.\n"
        ));
        return Ok((emulator, user));
    }
    let venv = sandbox::venv_dir();
    let moto =
        sandbox::ensure_emulator_installed(&venv, &mut |message| ui.text(&format!("{message}\n")))
            .map_err(|error| error.to_string())?;
    let log = venv.join("moto-server.log");
    let emulator = ui
        .wait("Starting the local AWS emulator…", || {
            sandbox::Emulator::start(&moto, &log)
        })
        .map_err(|error| error.to_string())?;
    let user =
        sandbox::create_user(&emulator, "runbook-sandbox").map_err(|error| error.to_string())?;
    ui.text(&format!(
        "[sandbox] local AWS emulator at {} (IAM user `{}`); real AWS is not used.\n",
        emulator.endpoint(),
        user.user_name
    ));
    Ok((emulator, user))
}

/// Tests only: `RUNBOOK_SANDBOX_ENDPOINT=http://127.0.0.1:PORT` makes `--sandbox` use an
/// emulator the test keeps running, as the IAM user `RUNBOOK_SANDBOX_USER` (default
/// `runbook-sandbox`). Unlike a sandbox of its own, such a run can be killed and resumed:
/// the emulator, and so the journal, outlive it (the crash tests need exactly that).
fn attached_sandbox() -> Option<(String, String)> {
    let endpoint = std::env::var("RUNBOOK_SANDBOX_ENDPOINT").ok()?;
    let user = std::env::var("RUNBOOK_SANDBOX_USER").unwrap_or_else(|_| "runbook-sandbox".into());
    Some((endpoint, user))
}

/// The real clock, or (tests only) a fixed one: `RUNBOOK_FAKE_CLOCK=<unix seconds>`.
fn clock() -> Box<dyn Clock> {
    match std::env::var("RUNBOOK_FAKE_CLOCK")
        .ok()
        .and_then(|t| t.parse().ok())
    {
        Some(start) => Box::new(FixedClock::new(start)),
        None => Box::new(SystemClock),
    }
}

/// The terminal, or (tests only) scripted answers: `RUNBOOK_ANSWERS` holds one answer
/// per line.
fn prompt() -> Box<dyn Prompt> {
    match std::env::var("RUNBOOK_ANSWERS") {
        Ok(answers) => Box::new(ScriptedPrompt::new(answers.lines().map(str::to_string))),
        Err(_) => Box::new(TerminalPrompt::new(&INTERRUPTED)),
    }
}

/// First Ctrl-C: stop (at a prompt at once, the prompt puts the terminal back; otherwise
/// after the current action), clean up, keep the journal. Second: put the terminal back
/// and quit at once (the journal is already on disk; the emulator dies with us).
fn install_interrupt_handler() {
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            prompt::restore_terminal();
            crate::run::ui::leave_private_screen_now();
            eprintln!("\nQuit at once (Ctrl-C twice): the journal is kept; run again to resume.");
            std::process::exit(130);
        }
        if !prompt::asking() {
            eprintln!("\nStopping after the current action… (Ctrl-C again to quit now)");
        }
    });
}

/// The USB security keys, or, in a build without the `usb` feature, a stand-in whose every
/// call says how to get a build that has them.
#[cfg(feature = "usb")]
fn usb_keys() -> Box<dyn SecurityKeys> {
    Box::new(crate::providers::hid_key::HidKeys::new())
}

#[cfg(not(feature = "usb"))]
fn usb_keys() -> Box<dyn SecurityKeys> {
    Box::new(crate::providers::usb_unavailable::UsbUnavailable)
}
