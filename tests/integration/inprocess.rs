//! Running a runbook inside the test process, with providers the test chooses (mocked
//! AWS clients, a wrapped emulator, a fixed clock, scripted answers).

use runbook::bind::check::check_source;
use runbook::parse::source::Source;
use runbook::providers::security_key::{NoKeys, SecurityKeys};
use runbook::providers::{Clock, Iam, Prompt, Sts};
use runbook::run::context::{JournalHandle, Mode, RunError};
use runbook::run::executor::{Executor, Selection};
use runbook::run::journal::Journal;
use runbook::run::ui::{OutputMode, Ui};

pub struct Ran {
    pub result: Result<(), RunError>,
    /// Everything the run printed, colours stripped.
    pub output: String,
}

/// Run `text` (a whole runbook) with these providers and no security key; nothing is
/// journaled to disk.
pub fn run_text(
    text: &str,
    iam: &dyn Iam,
    sts: &dyn Sts,
    clock: &dyn Clock,
    prompt: &mut dyn Prompt,
    mode: Mode,
    selection: Selection,
) -> Ran {
    run_with_keys(text, iam, sts, clock, &NoKeys, prompt, mode, selection)
}

/// [`run_text`] with security keys.
#[allow(clippy::too_many_arguments)]
pub fn run_with_keys(
    text: &str,
    iam: &dyn Iam,
    sts: &dyn Sts,
    clock: &dyn Clock,
    keys: &dyn SecurityKeys,
    prompt: &mut dyn Prompt,
    mode: Mode,
    selection: Selection,
) -> Ran {
    let checked = check_source(Source::new("inline.md", text));
    let runbook = checked.runbook.as_ref().unwrap_or_else(|| {
        panic!(
            "the test runbook checks:\n{}",
            checked.render_diagnostics(false)
        )
    });
    let mut ui = Ui::capturing(OutputMode::Human);
    let mut executor = Executor {
        runbook,
        source: checked.source.as_ref().unwrap(),
        iam,
        sts,
        clock,
        keys,
        prompt,
        ui: &mut ui,
        mode,
        selection,
        journal: JournalHandle {
            journal: Journal::new("inline.md", "hash", "test"),
            file: None,
            last_code_window: None,
            key: None,
            deactivations_shown: Default::default(),
        },
    };
    let result = executor.run().map(|_| ());
    Ran {
        result,
        output: ui.captured(),
    }
}
