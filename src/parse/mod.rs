//! **parse**: a runbook file's text → a [`document::Document`] (headings, prose, images and
//! action blocks, each with the exact bytes it came from), plus syntax diagnostics.
//! Takes: bytes (a guide's, and those of the guides it includes: `include`). Gives:
//! `Source`, `Document`, `Diagnostic`, template and body scanners.
//! Never uses: any other stage (bind, run, render, testing), actions or providers; only
//! the leaves (`sanitize`).

pub mod body;
pub mod diagnostic;
pub mod document;
pub mod expr;
pub mod include;
pub mod markdown;
pub mod parser;
pub mod source;
pub mod template;
