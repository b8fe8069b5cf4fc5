//! The one integration test binary: the `runbook` executable, run as a user would.

mod actions_doc;
mod aws_errors;
mod browser;
mod cli;
mod diagnostics;
mod escapes;
mod faults;
mod fido;
mod handoff;
mod harness;
mod inprocess;
mod interrupt;
mod moto;
mod plan;
mod prompt_interrupt;
mod proxy;
mod render;
mod robustness;
mod run;
mod runbook_test;
mod runbooks;
mod sandbox;
mod secrets;
mod terminal;
