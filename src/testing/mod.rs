//! `runbook test FILE... [--update]`: prove a guide still does what its snapshots say.
//!
//! For each guide: check it; compare its JSON plan with `<guide>.plan.json`; run it on
//! test backends — the local AWS emulator (its own, started once and reset between
//! guides and scenarios), a software security key, a fixed clock, and the person played by
//! the answers file `<guide>.test.toml` ([`crate::testing::answers`]), once per scenario,
//! after its set-up ([`crate::testing::setup`]) — and compare the normalised transcript
//! ([`crate::testing::transcript`]) with `<guide>.transcript` (`<guide>.<scenario>.transcript`).
//! Differences are shown as unified diffs naming the step and action
//! ([`crate::testing::snapshot`]); a failed run's transcript is left as `<snapshot>.new`.

//!
//! **testing** stage. Takes: bind's `Runbook`, run's `Executor`, providers (the emulator,
//! the software key) wrapped in recorders. Gives: `runbook test`. Never used by the
//! stages below it.

pub mod answers;
pub mod setup;
pub mod snapshot;
pub mod transcript;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anstyle::{AnsiColor, Effects, Style};

use crate::bind::check;
use crate::bind::plan::Plan;
use crate::bind::runbook::Runbook;
use crate::parse::source::Source;
use crate::providers::sandbox::{self, Emulator};
use crate::providers::security_key::{NoKeys, SecurityKeys};
use crate::providers::software_key::SoftwareKeys;
use crate::providers::stand_in::EmulatorAws;
use crate::providers::{Clock, FixedClock};
use crate::run::context::{JournalHandle, Mode};
use crate::run::executor::{Executor, Selection};
use crate::run::journal::{self, Journal};
use crate::run::ui::{OutputMode, Ui};
use crate::testing::answers::{Phone, Scenario, ScriptedAnswers, TestFile};
use crate::testing::snapshot::Outcome;
use crate::testing::transcript::{Recorder, RecordingAws, RecordingKeys};

/// Everything `runbook test` was asked.
#[derive(Clone, Debug, Default)]
pub struct TestRequest {
    pub files: Vec<PathBuf>,
    /// Rewrite snapshots that differ (never in CI).
    pub update: bool,
}

/// How `runbook test` ended.
#[derive(Debug, PartialEq, Eq)]
pub enum TestResult {
    /// Every guide matched its snapshots (or new ones were written).
    Passed,
    /// A guide is invalid, did not end as expected, or differs from a snapshot.
    Failed,
    /// A snapshot could not be written.
    Output(String),
}

/// The transcript's snapshot next to the guide: `aws-mfa.md` → `aws-mfa.transcript`.
pub fn transcript_path(guide: &Path) -> PathBuf {
    guide.with_extension("transcript")
}

/// The plan's snapshot next to the guide: `aws-mfa.md` → `aws-mfa.plan.json`.
pub fn plan_path(guide: &Path) -> PathBuf {
    guide.with_extension("plan.json")
}

const OK: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Green)));
const BAD: Style = Style::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)))
    .effects(Effects::BOLD);
const DEL: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)));
const HUNK: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Cyan)));
const BOLD: Style = Style::new().effects(Effects::BOLD);

/// Printed output: styled when stdout is a terminal (anstream strips it otherwise). The
/// text (paths, the guide's words in diffs) is shown with control characters escaped.
fn say(style: Style, text: &str) {
    use std::io::Write;
    let mut stdout = anstream::stdout().lock();
    let text = crate::sanitize::escape(text);
    let _ = writeln!(stdout, "{}{text}{}", style.render(), style.render_reset());
}

fn say_diff(old_label: &str, new_label: &str, diff: &snapshot::Diff) {
    say(BOLD, &format!("--- {old_label}"));
    say(BOLD, &format!("+++ {new_label}"));
    for line in diff.text.lines() {
        let style = match line.chars().next() {
            Some('@') => HUNK,
            Some('-') => DEL,
            Some('+') => OK,
            _ => Style::new(),
        };
        say(style, line);
    }
}

/// The emulator shared by the guides of one `runbook test`.
struct Backend {
    emulator: Emulator,
    used: bool,
    _dir: tempfile::TempDir,
}

impl Backend {
    fn start() -> Result<Backend, String> {
        let dir =
            tempfile::tempdir().map_err(|error| format!("no temporary directory: {error}"))?;
        // Tests only: an emulator the test started and inspects afterwards (the leak test
        // reads the seeds from it). It is reset between guides like our own.
        if let Ok(endpoint) = std::env::var("RUNBOOK_SANDBOX_ENDPOINT") {
            return Ok(Backend {
                emulator: Emulator::attach(&endpoint).map_err(|error| error.to_string())?,
                used: false,
                _dir: dir,
            });
        }
        let venv = sandbox::venv_dir();
        let moto = sandbox::ensure_emulator_installed(&venv, &mut |message| {
            eprintln!("{message}");
        })
        .map_err(|error| error.to_string())?;
        let emulator = Emulator::start(&moto, &dir.path().join("moto.log"))
            .map_err(|error| error.to_string())?;
        Ok(Backend {
            emulator,
            used: false,
            _dir: dir,
        })
    }

    /// The emulator, wiped if an earlier guide used it.
    fn fresh(&mut self) -> Result<&Emulator, String> {
        if self.used {
            self.emulator.reset().map_err(|error| error.to_string())?;
        }
        self.used = true;
        Ok(&self.emulator)
    }
}

pub fn run(request: TestRequest) -> TestResult {
    let ci = snapshot::is_ci();
    let mut backend: Option<Backend> = None;
    let mut failed = 0;
    for file in &request.files {
        let started = Instant::now();
        say(BOLD, &format!("runbook test {}", file.display()));
        match test_guide(file, request.update, ci, &mut backend) {
            Ok(true) => say(
                OK,
                &format!(
                    "ok: {} ({:.1} s)",
                    file.display(),
                    started.elapsed().as_secs_f64()
                ),
            ),
            Ok(false) => {
                failed += 1;
                say(BAD, &format!("FAILED: {}", file.display()));
            }
            Err(message) => {
                say(BAD, &format!("error: {message}"));
                return TestResult::Output(message);
            }
        }
    }
    if request.files.len() > 1 {
        let total = request.files.len();
        say(
            BOLD,
            &format!("{total} guides: {} ok, {failed} failed", total - failed),
        );
    }
    if failed == 0 {
        TestResult::Passed
    } else {
        TestResult::Failed
    }
}

/// Test one guide; `Ok(passed)`, or `Err` when a snapshot could not be written.
fn test_guide(
    file: &Path,
    update: bool,
    ci: bool,
    backend: &mut Option<Backend>,
) -> Result<bool, String> {
    let checked = check::check_file(file);
    if checked.errors() > 0 {
        anstream::eprint!("{}", checked.render_diagnostics(true));
    }
    let (Some(runbook), Some(source)) = (&checked.runbook, &checked.source) else {
        say(
            BAD,
            &format!("  ✗ {} does not check (see above)", file.display()),
        );
        return Ok(false);
    };
    let test_file = match TestFile::load(file) {
        Ok(loaded) => loaded,
        Err(message) => {
            say(BAD, &format!("  ✗ {message}"));
            return Ok(false);
        }
    };
    let answers_label = test_file
        .path
        .as_deref()
        .unwrap_or(&answers::path_for(file))
        .display()
        .to_string();
    if let Err(message) = test_file.check_vars(runbook, file, &answers_label) {
        say(BAD, &format!("  ✗ {message}"));
        return Ok(false);
    }
    let mut passed = true;

    let plan = Plan::new(runbook).to_json().trim_end().to_string() + "\n";
    passed &= compare(
        "plan",
        file,
        &plan_path(file),
        &plan,
        update,
        ci,
        None,
        snapshot::locate_plan,
    )?;

    let mut failed = Vec::new();
    for scenario in &test_file.scenarios {
        if let Some(name) = &scenario.name {
            say(BOLD, &format!("  scenario {name}"));
        }
        let ok = test_scenario(
            runbook,
            source,
            file,
            scenario,
            &answers_label,
            update,
            ci,
            backend,
        )?;
        if !ok && let Some(name) = &scenario.name {
            say(BAD, &format!("  ✗ scenario {name} failed"));
            failed.push(name.clone());
        }
        passed &= ok;
    }
    if !failed.is_empty() {
        say(
            BAD,
            &format!(
                "  {} of {} scenarios failed: {}",
                failed.len(),
                test_file.scenarios.len(),
                failed.join(", ")
            ),
        );
    }
    Ok(passed)
}

/// The transcript's snapshot of one scenario: `aws-mfa.md` → `aws-mfa.<name>.transcript`
/// (`aws-mfa.transcript` for a file without scenarios).
pub fn scenario_transcript_path(guide: &Path, scenario: Option<&str>) -> PathBuf {
    match scenario {
        Some(name) => guide.with_extension(format!("{name}.transcript")),
        None => transcript_path(guide),
    }
}

/// Where a failed run's transcript goes for the author to read: `<snapshot>.new`.
pub fn new_transcript_path(snapshot: &Path) -> PathBuf {
    let mut name = snapshot.as_os_str().to_owned();
    name.push(".new");
    PathBuf::from(name)
}

/// Run one scenario on a fresh emulator and compare its transcript; `Ok(passed)`.
#[allow(clippy::too_many_arguments)]
fn test_scenario(
    runbook: &Runbook,
    source: &Source,
    file: &Path,
    scenario: &Scenario,
    answers_label: &str,
    update: bool,
    ci: bool,
    backend: &mut Option<Backend>,
) -> Result<bool, String> {
    let answers = &scenario.answers;
    if backend.is_none() {
        match Backend::start() {
            Ok(started) => *backend = Some(started),
            Err(message) => {
                say(
                    BAD,
                    &format!("  ✗ the local AWS emulator could not start: {message}"),
                );
                return Ok(false);
            }
        }
    }
    let emulator = match backend.as_mut().map(Backend::fresh) {
        Some(Ok(emulator)) => emulator,
        Some(Err(message)) => {
            say(BAD, &format!("  ✗ the local AWS emulator: {message}"));
            return Ok(false);
        }
        None => unreachable!("started above"),
    };
    let recorded = match record(runbook, source, file, scenario, answers_label, emulator) {
        Ok(recorded) => recorded,
        Err(message) => {
            say(BAD, &format!("  ✗ {message}"));
            return Ok(false);
        }
    };
    let mut passed = true;
    let mut why_not: Option<String> = None;
    let expects = match &scenario.name {
        Some(name) => format!("{answers_label} (scenario {name}) expects"),
        None => format!("{answers_label} expects"),
    };
    if recorded.status != answers.expect.as_str() {
        let mut message = format!(
            "the run ended `{}`, but {expects} `{}`",
            recorded.status,
            answers.expect.as_str()
        );
        if let Some(error) = &recorded.error {
            message.push_str(&format!(": {error}"));
        }
        why_not = Some(message);
    }
    for problem in &recorded.problems {
        say(BAD, &format!("  ✗ answers: {problem}"));
        why_not.get_or_insert_with(|| "the answers file does not fit the run".to_string());
    }
    if let Some(message) = &why_not {
        say(BAD, &format!("  ✗ {message}"));
        passed = false;
    }
    let snapshot = scenario_transcript_path(file, scenario.name.as_deref());
    let matched = compare(
        "transcript",
        file,
        &snapshot,
        &recorded.transcript,
        update,
        ci,
        why_not.as_deref(),
        snapshot::locate_transcript,
    )?;
    // A failed run's transcript, as far as it got, next to the snapshot; a stale one goes.
    let new = new_transcript_path(&snapshot);
    if matched && passed {
        match std::fs::remove_file(&new) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(format!("cannot remove {}: {error}", new.display())),
        }
    } else {
        std::fs::write(&new, &recorded.transcript)
            .map_err(|error| format!("cannot write {}: {error}", new.display()))?;
        say(
            Style::new(),
            &format!(
                "    this run's transcript, as far as it got: {} (not a snapshot; delete it when done)",
                new.display()
            ),
        );
    }
    Ok(passed && matched)
}

/// Compare one snapshot and say what happened; `Ok(passed)`.
#[allow(clippy::too_many_arguments)]
fn compare(
    what: &str,
    guide: &Path,
    path: &Path,
    actual: &str,
    update: bool,
    ci: bool,
    not_accepted: Option<&str>,
    locate: snapshot::Locator,
) -> Result<bool, String> {
    let read_only = ci || not_accepted.is_some();
    let outcome = snapshot::check(path, actual, update, read_only, locate)
        .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
    let shown = path.display();
    let stored = format!("{shown} (stored)");
    let this_run = format!("{} (this run)", guide.display());
    Ok(match outcome {
        Outcome::Matches => {
            say(OK, &format!("  ✓ {what} matches {shown}"));
            true
        }
        Outcome::Written => {
            say(
                OK,
                &format!("  + {what}: new snapshot written to {shown}; review it and commit it"),
            );
            true
        }
        Outcome::Updated { diff } => {
            say_diff(&stored, &this_run, &diff);
            say(
                OK,
                &format!("  ✓ {what}: {shown} updated (the diff above); review it and commit it"),
            );
            true
        }
        Outcome::Differs { diff } => {
            say(BAD, &format!("  ✗ {what} differs from {shown}, in:"));
            for place in &diff.places {
                say(Style::new(), &format!("      {place}"));
            }
            say_diff(&stored, &this_run, &diff);
            let hint = match (not_accepted, ci) {
                (Some(reason), _) => format!("not accepted: {reason}"),
                (None, true) if update => {
                    "CI (CI=true) never rewrites snapshots, --update included: update it locally and commit it".to_string()
                }
                (None, true) => "update it locally (runbook test --update) and commit it".to_string(),
                (None, false) => format!(
                    "if the change is intended: runbook test {} --update, then commit {shown}",
                    guide.display()
                ),
            };
            say(Style::new(), &format!("    {hint}"));
            false
        }
        Outcome::Missing => {
            let message = match not_accepted {
                Some(reason) => format!(
                    "  ✗ {what}: no snapshot {shown}, and this run's is not written: {reason}"
                ),
                None => format!(
                    "  ✗ {what}: no snapshot {shown}, and CI (CI=true) does not accept new snapshots: run `runbook test {}` locally, review the file it writes, and commit it",
                    guide.display()
                ),
            };
            say(BAD, &message);
            false
        }
    })
}

/// A recorded test run.
struct Recorded {
    transcript: String,
    /// `ok` or `failed`.
    status: String,
    /// The run's error message, if it failed.
    error: Option<String>,
    /// What did not fit in the answers file.
    problems: Vec<String>,
}

/// Run the guide on the emulator as the scenario's user, after its set-up, and render its
/// transcript.
fn record(
    runbook: &Runbook,
    source: &Source,
    file: &Path,
    scenario: &Scenario,
    answers_label: &str,
    emulator: &Emulator,
) -> Result<Recorded, String> {
    let answers = &scenario.answers;
    let user = sandbox::create_user(emulator, &answers.user).map_err(|error| error.to_string())?;
    let clock = FixedClock::new(answers.clock);
    // The emulator, with the stand-ins for the calls it lacks (they know the seeds of the
    // devices the set-up and the run create).
    let aws =
        EmulatorAws::connect(emulator, &user, None, &clock).map_err(|error| error.to_string())?;
    let phone = Phone::default();
    let setup = setup::prepare(emulator, &aws, answers, answers_label, &phone, runbook)?;
    let dir = tempfile::tempdir().map_err(|error| format!("no temporary directory: {error}"))?;
    let file_name = file
        .file_name()
        .map(|name| name.to_string_lossy().to_string())
        .unwrap_or_default();
    let journal_file = journal::JournalFile::open(
        dir.path(),
        file,
        &journal::content_hash(source.text()),
        "runbook-test",
    )
    .map_err(|error| error.to_string())?;
    let recorder = Recorder::new(runbook, journal_file.clone());
    let recording_aws = RecordingAws {
        iam: &aws,
        sts: &aws,
        recorder: &recorder,
        phone: &phone,
    };
    let software;
    let keys: &dyn SecurityKeys = if answers.security_key {
        software = SoftwareKeys::new();
        &software
    } else {
        &NoKeys
    };
    let recording_keys = RecordingKeys {
        keys,
        recorder: &recorder,
    };
    let mut prompt = ScriptedAnswers::new(answers, answers_label, &phone, &clock, &recorder);
    let mut ui = Ui::capturing(OutputMode::Json);
    let mut executor = Executor {
        runbook,
        source,
        iam: &recording_aws,
        sts: &recording_aws,
        clock: &clock,
        keys: &recording_keys,
        prompt: &mut prompt,
        ui: &mut ui,
        mode: Mode {
            yes: answers.yes,
            dry_run: false,
            sandbox: answers.sandbox,
            vars: answers.vars.clone(),
            seed_file: None,
            aws_config_file: Some(dir.path().join("aws-config")),
            stand_in_phone: true,
        },
        selection: Selection::default(),
        journal: JournalHandle {
            journal: Journal::new(
                &file_name,
                &journal::content_hash(source.text()),
                "runbook-test",
            ),
            file: Some(journal_file),
            last_code_window: None,
            key: None,
            deactivations_shown: Default::default(),
        },
    };
    let result = executor.run();
    let final_journal = executor.journal.journal.clone();
    drop(executor);
    let events: Vec<serde_json::Value> = ui
        .captured()
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    let transcript = transcript::render(&transcript::Run {
        runbook,
        file_name: &file_name,
        scenario: scenario.name.as_deref(),
        answers,
        setup: &setup,
        events: &events,
        recorder: &recorder,
        journal: &final_journal,
        clock_end: clock.now(),
        temporary: &[dir.path()],
    });
    let mut problems = prompt.problems.clone();
    let unused = prompt.unused();
    if !unused.is_empty() {
        problems.push(format!(
            "{} answer(s) left that the run never asked for: {}",
            unused.len(),
            unused.join(", ")
        ));
    }
    Ok(Recorded {
        transcript,
        status: transcript::status(&events),
        error: result
            .err()
            .map(|error| transcript::normalise(&error.to_string(), &[dir.path()])),
        problems,
    })
}
