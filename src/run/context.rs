//! What an action sees while it runs: its resolved parameters, the providers (AWS, clock,
//! prompt), the run's mode, and a way to ask before changing anything.

use std::collections::{BTreeMap, BTreeSet};

use crate::bind::runbook::BoundAction;
use crate::parse::template::SecretTemplate;
use crate::providers::prompt::PromptError;
use crate::providers::security_key::{KeyDescriptor, KeyError, SecurityKeys};
use crate::providers::{AwsError, Clock, Iam, Prompt, Sts};
use crate::run::journal::{Journal, Pending};
use crate::run::ui::Ui;
use crate::run::values::{Outputs, ResolveError, Scope, Value};
use crate::secret::Secret;

/// Why an action or a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Aws(#[from] AwsError),
    #[error("{0}")]
    Resolve(#[from] ResolveError),
    /// A question got no answer ([`PromptError::Interrupted`] becomes [`RunError::Interrupted`]).
    #[error("{0}")]
    Prompt(PromptError),
    #[error("{0}")]
    Key(#[from] KeyError),
    #[error("{what} was not confirmed, so nothing was changed")]
    Declined { what: String },
    /// `--dry-run`: the action would change something, and so did not run.
    #[error("would {what}")]
    DryRun { what: String },
    #[error("{message}")]
    Failed {
        message: String,
        next_step: Option<String>,
    },
    /// Expectations that were false, each as "`expr` (values)".
    #[error("{} failed: {}", if failed.len() == 1 { "expectation" } else { "expectations" }, failed.join("; "))]
    Expectation { failed: Vec<String> },
    #[error("{0}")]
    Journal(#[from] crate::run::journal::JournalError),
    #[error("`{0}` cannot run yet: its implementation comes with FIDO security-key support")]
    NotImplemented(&'static str),
    /// Ctrl-C: at a prompt, at once; otherwise at the next safe point.
    #[error("interrupted by Ctrl-C")]
    Interrupted,
}

impl From<PromptError> for RunError {
    fn from(error: PromptError) -> RunError {
        match error {
            PromptError::Interrupted => RunError::Interrupted,
            error => RunError::Prompt(error),
        }
    }
}

impl RunError {
    pub fn failed(message: impl Into<String>, next_step: impl Into<String>) -> RunError {
        RunError::Failed {
            message: message.into(),
            next_step: Some(next_step.into()),
        }
    }

    /// What to do about it.
    pub fn next_step(&self) -> Option<String> {
        match self {
            RunError::Aws(error) => Some(error.next_step().to_string()),
            RunError::Failed { next_step, .. } => next_step.clone(),
            RunError::Declined { .. } => Some("run again when ready; finished steps are not repeated".into()),
            RunError::Expectation { .. } => {
                Some("the account is not in the state this step of the guide promises; check it in the AWS console".into())
            }
            RunError::Prompt(PromptError::NotInteractive(_)) => {
                Some("run in a terminal, or pass --yes (and --var for inputs) for an unattended run".into())
            }
            RunError::Key(error) => Some(
                match error {
                    KeyError::NoKey | KeyError::Removed => "plug the key in, then run again: the run resumes at this step",
                    KeyError::PinRequired | KeyError::WrongPin { .. } => "run in a terminal and enter the key's PIN",
                    KeyError::PinBlocked => "reset the key with its maker's tool, or use another key",
                    KeyError::TouchTimeout => "run again and touch the key when it blinks",
                    KeyError::Unsupported(_) => "use a FIDO2 or U2F security key",
                    KeyError::Other(_) => "unplug the key, plug it in again, and run again",
                    KeyError::NotBuiltIn => "install a runbook built with default features (`cargo install --locked --path .`, which needs the libudev-dev package), or try the guide with --sandbox, whose software key needs no USB",
                }
                .to_string(),
            ),
            RunError::Interrupted => Some(
                "run the same command again to resume: what finished is not repeated".into(),
            ),
            RunError::Resolve(ResolveError::Unavailable { .. }) => {
                Some("run the whole guide (without --from/--only), or --restart".into())
            }
            _ => None,
        }
    }
}

/// What the run was asked to do.
#[derive(Clone, Debug, Default)]
pub struct Mode {
    /// `--yes`: confirm every change without asking.
    pub yes: bool,
    /// `--dry-run`: read, never change.
    pub dry_run: bool,
    /// `--sandbox`: the local emulator and software stand-ins.
    pub sandbox: bool,
    /// `--var NAME=VALUE`.
    pub vars: BTreeMap<String, String>,
    /// `--seed-file PATH`: where a new virtual device's enrolment key goes (besides the
    /// terminal), for runs where no one can scan a QR code.
    pub seed_file: Option<std::path::PathBuf>,
    /// Where `aws-config.*` actions write instead of the AWS CLI's own file
    /// (`$AWS_CONFIG_FILE` or `~/.aws/config`): the sandbox's file in the state folder,
    /// or a temporary one in `runbook test`.
    pub aws_config_file: Option<std::path::PathBuf>,
    /// `runbook test`: a scripted stand-in phone takes every new device's seed from the
    /// emulator's answer (and types its codes), as the sandbox's does.
    pub stand_in_phone: bool,
}

/// The result of one action.
#[derive(Debug, Default)]
pub struct Outcome {
    pub outputs: Outputs,
    /// Whether anything outside the process changed.
    pub changed: bool,
    /// One line for people: what happened.
    pub note: String,
}

impl Outcome {
    pub fn new(note: impl Into<String>) -> Outcome {
        Outcome {
            note: note.into(),
            ..Outcome::default()
        }
    }

    pub fn changed(mut self) -> Outcome {
        self.changed = true;
        self
    }

    pub fn output(mut self, name: &str, value: impl Into<serde_json::Value>) -> Outcome {
        self.outputs
            .insert(name.to_string(), Value::Plain(value.into()));
        self
    }

    pub fn secret(mut self, name: &str, secret: Secret) -> Outcome {
        self.outputs.insert(name.to_string(), Value::Secret(secret));
        self
    }

    pub fn unavailable(mut self, name: &str, reason: impl Into<String>) -> Outcome {
        self.outputs
            .insert(name.to_string(), Value::Unavailable(reason.into()));
        self
    }
}

/// The run's journal and where to save it (none in `--dry-run`), plus what the run
/// remembers only in memory.
pub struct JournalHandle {
    pub journal: Journal,
    /// Where it is saved, sealed with the state folder's key; `None` in `--dry-run`.
    pub file: Option<crate::run::journal::JournalFile>,
    /// The latest TOTP window whose code this run used: a code can't be used twice.
    pub last_code_window: Option<u64>,
    /// The security key `fido.wait-for-key` chose, for the FIDO actions after it.
    pub key: Option<KeyDescriptor>,
    /// `--dry-run`: the devices it showed it would deactivate, as (user, serial number),
    /// so that a deletion after it is shown as it would run. Never journaled.
    pub deactivations_shown: BTreeSet<(String, String)>,
}

impl JournalHandle {
    pub fn save(&self) -> Result<(), RunError> {
        if let Some(file) = &self.file {
            file.save(&self.journal)?;
        }
        Ok(())
    }
}

pub struct Context<'r> {
    pub(crate) iam: &'r dyn Iam,
    pub(crate) sts: &'r dyn Sts,
    pub(crate) clock: &'r dyn Clock,
    pub(crate) keys: &'r dyn SecurityKeys,
    pub(crate) prompt: &'r mut dyn Prompt,
    pub(crate) ui: &'r mut Ui,
    pub(crate) scope: &'r Scope,
    pub(crate) mode: &'r Mode,
    pub(crate) action: &'r BoundAction,
    pub(crate) journal: &'r mut JournalHandle,
}

impl Context<'_> {
    /// A plain parameter, templates resolved.
    pub fn text(&self, template: &str) -> Result<String, RunError> {
        Ok(self.scope.render(template)?)
    }

    /// An optional plain parameter; an empty result counts as absent.
    pub fn opt_text(&self, template: Option<&String>) -> Result<Option<String>, RunError> {
        match template {
            Some(template) => Ok(Some(self.text(template)?).filter(|text| !text.is_empty())),
            None => Ok(None),
        }
    }

    /// A secret parameter.
    pub fn secret(&self, template: &SecretTemplate) -> Result<Secret, RunError> {
        Ok(self.scope.resolve_secret(&template.0)?)
    }

    pub fn iam(&self) -> &dyn Iam {
        self.iam
    }

    pub fn sts(&self) -> &dyn Sts {
        self.sts
    }

    pub fn clock(&self) -> &dyn Clock {
        self.clock
    }

    pub fn keys(&self) -> &dyn SecurityKeys {
        self.keys
    }

    /// The key chosen earlier in the run, or the only one plugged in.
    pub fn key(&mut self) -> Result<KeyDescriptor, RunError> {
        if let Some(key) = &self.journal.key {
            return Ok(key.clone());
        }
        let mut keys = self.keys.list()?;
        match keys.len() {
            0 => Err(KeyError::NoKey.into()),
            1 => {
                let key = keys.remove(0);
                self.journal.key = Some(key.clone());
                Ok(key)
            }
            _ => Err(RunError::failed(
                "several security keys are plugged in",
                "run `fido.wait-for-key` first to choose one, or unplug the others",
            )),
        }
    }

    pub fn choose_key(&mut self, key: KeyDescriptor) {
        self.journal.key = Some(key);
    }

    pub fn prompt(&mut self) -> &mut dyn Prompt {
        self.prompt
    }

    pub fn ui(&mut self) -> &mut Ui {
        self.ui
    }

    /// No one will answer questions: `--yes`, or no terminal.
    pub fn unattended(&self) -> bool {
        self.mode.yes || !self.prompt.interactive()
    }

    pub fn mode(&self) -> &Mode {
        self.mode
    }

    pub fn action(&self) -> &BoundAction {
        self.action
    }

    /// The text of the guide's document block `name` (```` ```json id=NAME ````), exactly
    /// as shown; `runbook check` made sure an action names only blocks that exist.
    pub fn document(&self, name: &str) -> Result<&str, RunError> {
        self.action
            .documents
            .iter()
            .find(|(id, _)| id == name)
            .map(|(_, text)| text.as_str())
            .ok_or_else(|| {
                RunError::failed(
                    format!("the guide has no document block `id={name}`"),
                    "run `runbook check` on the guide",
                )
            })
    }

    /// Wait `seconds` on the clock, in one-second ticks, with `message(seconds_left)` on a
    /// spinner; Ctrl-C ends the wait with [`RunError::Interrupted`].
    pub fn sleep(&self, seconds: u64, message: impl Fn(u64) -> String) -> Result<(), RunError> {
        let end = self.clock.now() + seconds;
        while self.clock.now() < end {
            if crate::run::executor::INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(RunError::Interrupted);
            }
            let left = end - self.clock.now();
            self.wait(&message(left), |ctx| {
                ctx.clock.sleep(std::time::Duration::from_secs(1))
            });
        }
        Ok(())
    }

    /// Run `work` with a spinner and this message.
    pub fn wait<T>(&self, message: &str, work: impl FnOnce(&Self) -> T) -> T {
        self.ui.wait(message, || work(self))
    }

    /// The CLI equivalent of this action with the values resolved so far (secrets and
    /// unknown values stay `<placeholders>`).
    pub fn aws_cli(&self) -> Option<String> {
        self.action
            .def
            .aws_cli(&self.action.typed)
            .map(|cli| cli.resolved(|value| self.scope.render(value).ok()))
    }

    /// Ask before changing something. In `--dry-run` this stops the action (it reports
    /// what it would do); with `--yes` it proceeds; otherwise the person decides.
    pub fn confirm_change(&mut self, what: &str) -> Result<(), RunError> {
        let cli = self.aws_cli();
        if self.mode.dry_run {
            return Err(RunError::DryRun {
                what: match cli {
                    Some(cli) => format!("{what}\n$ {cli}"),
                    None => what.to_string(),
                },
            });
        }
        self.ui.text(&format!("  → {what}\n"));
        if let Some(cli) = &cli {
            self.ui.detail(&format!("$ {cli}"));
        }
        if self.mode.yes {
            return Ok(());
        }
        if self.prompt.confirm("Go ahead?", false)? {
            Ok(())
        } else {
            Err(RunError::Declined {
                what: what.to_string(),
            })
        }
    }

    /// Ask a yes/no question that `--yes` answers yes (e.g. deleting our own orphan).
    pub fn confirm(&mut self, question: &str) -> Result<bool, RunError> {
        if self.mode.dry_run {
            return Err(RunError::DryRun {
                what: question.to_string(),
            });
        }
        if self.mode.yes {
            return Ok(true);
        }
        Ok(self.prompt.confirm(question, false)?)
    }

    /// The latest TOTP window this run used a code from.
    pub fn last_code_window(&self) -> Option<u64> {
        self.journal.last_code_window
    }

    pub fn used_code_window(&mut self, window: u64) {
        let last = self.journal.last_code_window.get_or_insert(window);
        *last = (*last).max(window);
    }

    /// Record, before a mutating call, what is about to change: if the process dies
    /// during the call, the resumed run knows the effect may have happened.
    pub fn pending(&mut self, detail: &str) -> Result<(), RunError> {
        self.journal.journal.pending = Some(Pending {
            id: self.action.id.clone(),
            action: self.action.def.name().to_string(),
            detail: detail.to_string(),
        });
        self.journal.save()?;
        fault(&format!("pending:{}", self.action.id));
        Ok(())
    }

    /// What this action recorded with [`Context::pending`] before the run that was
    /// interrupted in it died, if it did.
    pub fn pending_detail(&self) -> Option<&str> {
        self.journal
            .journal
            .pending
            .as_ref()
            .filter(|p| p.id == self.action.id)
            .map(|p| p.detail.as_str())
    }

    /// The journal's record of a pending change, if it concerns `detail`.
    pub fn was_pending(&self, detail: &str) -> bool {
        self.journal
            .journal
            .pending
            .as_ref()
            .is_some_and(|p| p.detail == detail)
    }

    /// A device this run created (and must delete again if it is never enabled).
    pub fn created_device(&mut self, serial: &str) -> Result<(), RunError> {
        fault(&format!("called:{}", self.action.id));
        let journal = &mut self.journal.journal;
        journal.pending = None;
        if !journal.created.iter().any(|s| s == serial) {
            journal.created.push(serial.to_string());
        }
        self.journal.save()
    }

    /// A device is now enabled: no longer ours to clean up.
    pub fn enabled_device(&mut self, serial: &str) -> Result<(), RunError> {
        fault(&format!("called:{}", self.action.id));
        let journal = &mut self.journal.journal;
        journal.pending = None;
        journal.created.retain(|s| s != serial);
        self.journal.save()
    }

    /// Whether this run (or the interrupted run it resumes) created the device.
    pub fn created_by_us(&self, serial: &str) -> bool {
        self.journal.journal.created.iter().any(|s| s == serial)
    }

    /// `--dry-run`: this action shows that it would deactivate `serial` for `user` (the
    /// change is not made). Kept in memory only.
    pub fn deactivation_shown(&mut self, user: &str, serial: &str) {
        if self.mode.dry_run {
            self.journal
                .deactivations_shown
                .insert((user.to_string(), serial.to_string()));
        }
    }

    /// Whether this dry run showed, earlier, that it would deactivate `serial` for `user`:
    /// a real run would have made that change by now. Always false outside `--dry-run`.
    pub fn would_be_deactivated(&self, user: &str, serial: &str) -> bool {
        self.mode.dry_run
            && self
                .journal
                .deactivations_shown
                .contains(&(user.to_string(), serial.to_string()))
    }

    /// Forget a device we deleted.
    pub fn deleted_device(&mut self, serial: &str) -> Result<(), RunError> {
        let journal = &mut self.journal.journal;
        journal.pending = None;
        journal.created.retain(|s| s != serial);
        self.journal.save()
    }
}

/// Fault injection for the crash tests: `RUNBOOK_FAULT=<point>` makes the process kill
/// itself with SIGKILL at that point (e.g. `pending:duo`, after the journal says a call is
/// about to happen; `called:duo`, after AWS answered but before the result is recorded).
/// Never set outside tests.
pub fn fault(point: &str) {
    if std::env::var("RUNBOOK_FAULT").is_ok_and(|wanted| wanted == point) {
        // SAFETY: kill(2) on our own pid; nothing in this process observes the result.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_without_usb_says_how_to_get_one_with_it() {
        let error = RunError::Key(KeyError::NotBuiltIn);
        assert!(
            error
                .to_string()
                .contains("without USB security key support"),
            "{error}"
        );
        let next = error.next_step().expect("a next step");
        assert!(next.contains("cargo install --locked --path ."), "{next}");
        assert!(next.contains("libudev-dev"), "{next}");
        assert!(next.contains("--sandbox"), "{next}");
    }
}
