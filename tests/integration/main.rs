//! The one integration test binary: the `runbook` executable, run as a user would.

mod actions_doc;
mod aws_errors;
mod browser;
mod cli;
mod diagnostics;
mod faults;
mod fido;
mod handoff;
mod harness;
mod hostile;
mod inprocess;
mod interrupt;
mod moto;
mod plan;
mod proxy;
mod render;
mod robustness;
mod run;
mod runbook_test;
mod runbooks;
mod sandbox;
mod secrets;
mod terminal;
