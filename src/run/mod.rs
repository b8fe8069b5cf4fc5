//! **run**: a bound [`crate::bind::runbook::Runbook`] + providers → what the user sees
//! (human text or JSON events), the actions' outputs, and the journal. Side effects
//! happen only here, and only through the providers.
//! Takes: bind's `Runbook`, the providers. Gives: `runbook run` (`runner::run`), the
//! `Executor` (also driven by `runbook test`), the journal.
//! Never uses: testing or cli.

pub mod context;
pub mod eval;
pub mod executor;
pub mod handover;
pub mod journal;
pub mod prose;
pub mod runner;
pub mod terminal;
pub mod ui;
pub mod values;
