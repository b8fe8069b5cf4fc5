//! `runbook` executes documentation: a Markdown guide is parsed into steps, annotated
//! code blocks are bound to typed actions, and the same file is checked, planned, run
//! and rendered.
//!
//! The pipeline, one module per stage:
//!
//! ```text
//! parse:  Markdown ─(pulldown-cmark, offsets)→ Document   syntax only, every node has a Span
//! bind:   Document + action registry → Runbook | Vec<Diagnostic>
//! plan:   Runbook → a deterministic description of what a run will do
//! run:    Runbook + providers → events, outputs, journal      side effects only here
//! render: Runbook → HTML | Markdown | terminal
//! ```

pub mod action;
pub mod actions;
pub mod answers;
pub mod binder;
pub mod body;
pub mod catalog;
pub mod check;
pub mod cli;
pub mod context;
pub mod diagnostic;
pub mod document;
pub mod executor;
pub mod fido_verify;
pub mod figure;
pub mod handover;
pub mod journal;
pub mod markdown;
pub mod parser;
pub mod plan;
pub mod providers;
pub mod render;
pub mod runbook;
pub mod runner;
pub mod sandbox;
pub mod sanitize;
pub mod secret;
pub mod snapshot;
pub mod source;
pub mod template;
pub mod terminal;
pub mod testing;
pub mod totp;
pub mod transcript;
pub mod ui;
pub mod values;
