//! Load, parse and bind one runbook file: what `runbook check` and `runbook plan` share.

use std::path::Path;

use crate::bind::binder;
use crate::bind::runbook::Runbook;
use crate::parse::diagnostic::{self, Diagnostic};
use crate::parse::include;
use crate::parse::parser;
use crate::parse::source::{LoadError, MAX_FILE_BYTES, Source};

/// A checked runbook: the bound runbook when it has no errors, and every diagnostic.
#[derive(Debug)]
pub struct Checked {
    pub path: String,
    /// The text diagnostics point into (for a non-UTF-8 file, with bad bytes replaced).
    pub source: Option<Source>,
    pub runbook: Option<Runbook>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }

    /// [`Checked::render_diagnostics`], written one by one (a file with thousands of
    /// diagnostics never holds all of their text at once).
    pub fn write_diagnostics(
        &self,
        styled: bool,
        out: &mut impl std::io::Write,
    ) -> std::io::Result<()> {
        for (i, diagnostic) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                out.write_all(b"\n")?;
            }
            let text = diagnostic.render(self.source.as_ref(), styled, &self.path);
            out.write_all(text.as_bytes())?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }

    /// Every diagnostic, rendered rustc-style.
    pub fn render_diagnostics(&self, styled: bool) -> String {
        self.diagnostics
            .iter()
            .map(|d| d.render(self.source.as_ref(), styled, &self.path) + "\n")
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Whether a Markdown file is meant as a runbook: it has a `<!-- runbook: … -->` directive or a
/// fenced code block whose info string starts with an action-like name (`iam.x`,
/// `totp.y`). Other files (a book's introduction, a README) are left alone: `runbook
/// mdbook` and `runbook lsp` never check them.
pub fn looks_like_runbook(text: &str) -> bool {
    text.contains("<!-- runbook:")
        || text.lines().any(|line| {
            let line = line.trim_start();
            let info = line
                .strip_prefix("```")
                .or_else(|| line.strip_prefix("~~~"))
                .map(|rest| rest.trim_start_matches(['`', '~']).trim_start());
            info.and_then(|info| info.split_whitespace().next())
                .is_some_and(action_like)
        })
}

/// `iam.list-users`, or a misspelt action of a namespace the catalogue has (`iam.lst-users`,
/// which `check` then reports), but not `file.txt`.
fn action_like(word: &str) -> bool {
    let Some((namespace, name)) = word.split_once('.') else {
        return false;
    };
    !name.is_empty()
        && crate::actions::all()
            .iter()
            .any(|action| action.namespace() == namespace)
}

pub fn check_file(path: &Path) -> Checked {
    match Source::read(path) {
        Ok(source) => check_source(source),
        Err(error) => {
            let (diagnostic, lossy) = Diagnostic::from_load_error(&error);
            Checked {
                path: path.display().to_string(),
                source: lossy.cloned(),
                runbook: None,
                diagnostics: vec![diagnostic],
            }
        }
    }
}

/// [`check_file`] for a file's bytes read some other way (e.g. `git show REV:path`),
/// reported under `name`.
pub fn check_bytes(name: &Path, bytes: Vec<u8>) -> Checked {
    match Source::from_bytes(name, bytes) {
        Ok(source) => check_source(source),
        Err(error) => {
            let (diagnostic, lossy) = Diagnostic::from_load_error(&error);
            Checked {
                path: name.display().to_string(),
                source: lossy.cloned(),
                runbook: None,
                diagnostics: vec![diagnostic],
            }
        }
    }
}

/// Parse and bind text that is already in memory; every problem is reported in one pass.
/// Guides it includes are read from disk, relative to the source's path.
pub fn check_source(source: Source) -> Checked {
    // What `check_file` refuses to read is refused here too.
    if source.text().len() as u64 > MAX_FILE_BYTES {
        let error = LoadError::TooLarge {
            path: source.path().to_path_buf(),
            size: source.text().len() as u64,
        };
        return Checked {
            path: source.name(),
            source: None,
            runbook: None,
            diagnostics: vec![Diagnostic::from_load_error(&error).0],
        };
    }
    // Everything it includes, read and checked; the source then holds every file.
    let resolved = include::resolve(source);
    let source = resolved.source;
    let parsed = parser::parse(&source);
    let mut diagnostics = resolved.diagnostics;
    diagnostics.extend(parsed.diagnostics);
    let parse_failed = diagnostics.iter().any(Diagnostic::is_error);
    let empty = source.text().trim().is_empty();
    let bound = (!empty).then(|| binder::bind(&source, &parsed.document));
    let mut runbook = None;
    if let Some(bound) = bound {
        diagnostics.extend(bound.diagnostics);
        runbook = bound.runbook.filter(|_| !parse_failed);
    }
    point_at_includes(&source, &mut diagnostics);
    diagnostic::sort(&mut diagnostics);
    Checked {
        path: source.name(),
        source: Some(source),
        runbook,
        diagnostics,
    }
}

/// A problem inside an included file also shows where it is included: a label on the
/// include in the guide itself (or, for a file only others include, in the one that does).
fn point_at_includes(source: &Source, diagnostics: &mut [Diagnostic]) {
    if source.includes().is_empty() {
        return;
    }
    for diagnostic in diagnostics.iter_mut() {
        let Some(primary) = &diagnostic.primary else {
            continue;
        };
        let segment = source.segment_of(primary.span.start);
        if segment == 0 || diagnostic.code.starts_with("include-") {
            continue;
        }
        if let Some(include) = source.includes().iter().find(|i| i.segment == segment) {
            let already = diagnostic
                .secondary
                .iter()
                .any(|label| label.span == include.value);
            if !already {
                diagnostic.secondary.push(crate::parse::diagnostic::Label {
                    span: include.value,
                    text: "included here".to_string(),
                });
            }
        }
    }
}
