//! `runbook` executes documentation: a Markdown guide is parsed into steps, annotated
//! code blocks are bound to typed actions, and the same file is checked, planned, run
//! and rendered.
//!
//! The pipeline, one module per stage; a stage uses only those before it (a test,
//! `tests/integration/layers.rs`, holds the direction):
//!
//! ```text
//! parse:     Markdown ─(pulldown-cmark, offsets)→ Document   syntax only, every node has a Span
//! bind:      Document + action registry → Runbook | Vec<Diagnostic>; check, plan, catalog
//! run:       Runbook + providers → events, outputs, journal      side effects only here
//! render:    Runbook → HTML | Markdown                          (parse + bind only)
//! diff:      two checked versions → their plans' semantic diff  (parse + bind + render's words)
//! testing:   `runbook test`: a recorded run on test backends, compared with snapshots
//! lsp:       `runbook lsp`: check's diagnostics and hovers for an editor (parse + bind)
//! ```
//!
//! Beside them: [`actions`] (one file per action, used by bind's registry and run by the
//! executor), [`providers`] (every side effect behind a trait: AWS, the sandbox's
//! emulator, security keys, clock, prompt), and leaves any stage may use: [`secret`],
//! [`sanitize`], [`totp`], [`fido`]. [`cli`] is the command line on top of it all.

pub mod parse;

pub mod bind;

pub mod actions;
pub mod providers;
pub mod run;

pub mod diff;
pub mod lsp;
pub mod render;
pub mod testing;

pub mod cli;

pub mod fido;
pub mod sanitize;
pub mod secret;
pub mod totp;
