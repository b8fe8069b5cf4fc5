//! **bind**: a parsed [`crate::parse::document::Document`] + the action registry → a
//! typed [`runbook::Runbook`], or every problem at once; and what is built on it without
//! running anything: `check`, `plan`, the action catalogue, the figure rules.
//! Takes: parse's `Source` and `Document`. Gives: `Runbook`, `Checked`, plans, diagnostics.
//! Never uses: providers, render or testing; it never calls AWS, a key or the clock
//! (`action` names run's `Context` only as the type actions run with).

pub mod action;
pub mod binder;
pub mod catalog;
pub mod check;
pub mod documents;
pub mod figure;
pub mod plan;
pub mod runbook;
pub mod types;
