//! The open documents: their text as the editor has it (full or incremental changes) and
//! the result of checking that text, kept for the requests that follow.

use std::collections::HashMap;
use std::path::PathBuf;

use lsp_types::{TextDocumentContentChangeEvent, Uri};

use crate::bind::check::{self, Checked};
use crate::lsp::lines::Lines;
use crate::lsp::outline::{self, Action};
use crate::parse::source::Source;

/// One open document, checked if it is a runbook.
#[derive(Debug)]
pub struct Open {
    pub version: i32,
    pub text: String,
    pub lines: Lines,
    /// `None` for Markdown that is not meant as a runbook ([`check::looks_like_runbook`]:
    /// no action block, no `<!-- runbook: … -->`), which gets no diagnostics.
    pub checked: Option<Checked>,
    /// The action blocks, found on the first request after a change (or just after the
    /// change's diagnostics are sent, [`Open::warm`]).
    actions: std::cell::OnceCell<Vec<Action>>,
}

impl Open {
    pub fn new(uri: &Uri, version: i32, text: String) -> Open {
        let lines = Lines::new(&text);
        let checked = checked(uri, &text);
        Open {
            version,
            text,
            lines,
            checked,
            actions: std::cell::OnceCell::new(),
        }
    }

    /// The document's action blocks (parsed again: the check's parse borrows its source).
    pub fn actions(&self) -> &[Action] {
        self.actions
            .get_or_init(|| outline::actions(&Source::new("", self.text.as_str())))
    }

    /// Find the action blocks now, so the requests that follow an edit need not.
    pub fn warm(&self) {
        self.actions();
    }

    /// Apply the editor's changes in order (each range is in the text as the changes
    /// before it left it), then check the result once.
    pub fn change(
        &mut self,
        uri: &Uri,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
    ) {
        for change in changes {
            match change.range {
                Some(range) => {
                    let start = self.lines.offset(&self.text, range.start);
                    let end = self.lines.offset(&self.text, range.end).max(start);
                    self.text.replace_range(start..end, &change.text);
                }
                None => self.text = change.text,
            }
            self.lines = Lines::new(&self.text);
        }
        self.version = version;
        self.checked = checked(uri, &self.text);
        self.actions = std::cell::OnceCell::new();
    }
}

fn checked(uri: &Uri, text: &str) -> Option<Checked> {
    check::looks_like_runbook(text)
        .then(|| check::check_source(Source::new(path(uri), text.to_string())))
}

/// The file a URI names (`file:///home/me/runbooks/aws-mfa.md`), so diagnostics read as
/// `runbook check`'s and relative image paths resolve; any other URI as it is.
pub fn path(uri: &Uri) -> PathBuf {
    let text = uri.as_str();
    match text.strip_prefix("file://") {
        Some(rest) => {
            // `file://host/path`: the path starts at the first `/` after the host.
            let rest = &rest[rest.find('/').unwrap_or(rest.len())..];
            let decoded = percent_encoding::percent_decode_str(rest).decode_utf8_lossy();
            PathBuf::from(decoded.into_owned())
        }
        None => PathBuf::from(text),
    }
}

#[derive(Debug, Default)]
pub struct Documents {
    open: HashMap<Uri, Open>,
}

impl Documents {
    pub fn open(&mut self, uri: Uri, version: i32, text: String) -> &Open {
        let open = Open::new(&uri, version, text);
        self.open.insert(uri.clone(), open);
        &self.open[&uri]
    }

    pub fn change(
        &mut self,
        uri: &Uri,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
    ) -> Option<&Open> {
        let open = self.open.get_mut(uri)?;
        open.change(uri, version, changes);
        Some(open)
    }

    pub fn close(&mut self, uri: &Uri) {
        self.open.remove(uri);
    }

    pub fn get(&self, uri: &Uri) -> Option<&Open> {
        self.open.get(uri)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_uris_become_paths() {
        let uri: Uri = "file:///home/me/run%20books/aws-mfa.md".parse().unwrap();
        assert_eq!(path(&uri), PathBuf::from("/home/me/run books/aws-mfa.md"));
        let uri: Uri = "untitled:Untitled-1".parse().unwrap();
        assert_eq!(path(&uri), PathBuf::from("untitled:Untitled-1"));
    }
}
