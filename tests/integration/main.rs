//! The one integration test binary: the `runbook` executable, run as a user would.

mod actions_doc;
mod cli;
mod diagnostics;
mod harness;
mod plan;
mod robustness;
mod runbooks;
