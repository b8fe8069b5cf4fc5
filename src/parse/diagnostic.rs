//! Diagnostics: what is wrong with a runbook, where, and what to do about it, rendered
//! rustc-style (`--> runbooks/aws-mfa.md:14:4` and a caret under the exact bytes).

use std::fmt;

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};
use serde::Serialize;

use crate::parse::source::{LoadError, Source, Span};
use crate::sanitize::escape;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// A labelled byte range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub text: String,
}

/// One problem found in a runbook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A stable, kebab-case name for the kind of problem (`unknown-action`).
    pub code: &'static str,
    pub message: String,
    /// Where the problem is; `None` for problems with the file as a whole.
    pub primary: Option<Label>,
    /// Related places (e.g. the first definition of a duplicate id).
    pub secondary: Vec<Label>,
    pub notes: Vec<String>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            primary: None,
            secondary: Vec::new(),
            notes: Vec::new(),
            help: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn label(mut self, span: Span, text: impl Into<String>) -> Diagnostic {
        self.primary = Some(Label {
            span,
            text: text.into(),
        });
        self
    }

    pub fn secondary(mut self, span: Span, text: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label {
            span,
            text: text.into(),
        });
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Byte offset used to order diagnostics by their place in the file.
    pub fn offset(&self) -> usize {
        self.primary.as_ref().map_or(0, |label| label.span.start)
    }

    /// A diagnostic for a file that could not be read, and the source to show it against.
    pub fn from_load_error(error: &LoadError) -> (Diagnostic, Option<&Source>) {
        let message = error.to_string();
        match error {
            LoadError::NotFound { .. } => (
                Diagnostic::error("file-not-found", message)
                    .help("check the path; `runbook check runbooks/*.md` checks every runbook"),
                None,
            ),
            LoadError::IsDirectory { .. } => (
                Diagnostic::error("file-is-directory", message)
                    .help("pass the Markdown files themselves, e.g. `runbooks/*.md`"),
                None,
            ),
            LoadError::NotUtf8 { lossy, offset } => {
                let end = lossy.text()[*offset..]
                    .chars()
                    .next()
                    .map_or(*offset, |c| offset + c.len_utf8());
                (
                    Diagnostic::error("not-utf8", message)
                        .label(Span::new(*offset, end), "first byte that is not UTF-8")
                        .help("save the file as UTF-8"),
                    Some(lossy.as_ref()),
                )
            }
            LoadError::TooLarge { .. } => (
                Diagnostic::error("file-too-large", message)
                    .help("a runbook is a guide a person reads, a few hundred KB at most; split this one into several files"),
                None,
            ),
            LoadError::Io { .. } => (Diagnostic::error("io", message), None),
        }
    }

    /// Render for a terminal (`styled`) or for plain text (files, snapshots, pipes).
    /// Control characters in the messages (which may quote the source) and the path are
    /// escaped ([`crate::sanitize::escape`]); in the source lines shown, they become visible
    /// characters one column wide, so columns and carets stay right (`shown_source`).
    pub fn render(&self, source: Option<&Source>, styled: bool, path: &str) -> String {
        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let path = escape(path);
        let message = escape(&self.message);
        let primary_text = self.primary.as_ref().map(|label| escape(&label.text));
        let secondary_texts: Vec<_> = self.secondary.iter().map(|l| escape(&l.text)).collect();
        let notes: Vec<_> = self.notes.iter().map(|note| escape(note)).collect();
        let help = self.help.as_deref().map(escape);
        let window_text;
        let title = level.primary_title(message.as_ref()).id(self.code);
        let mut group: Group<'_> = match (source, &self.primary) {
            (Some(source), Some(primary)) => {
                // Only the lines the labels touch go to the renderer, so rendering costs
                // the same whatever the file's size (whole-file snippets made many
                // diagnostics on a large file quadratic). Labels far apart get a window
                // each (`::: file:line:col` for the second), rather than one window over
                // everything between them.
                let shown = |span: Span| {
                    let mut range = clamp(span, source);
                    if range.len() > MAX_LABEL {
                        range.end =
                            floor_boundary(source.text(), range.start + MAX_LABEL).max(range.start);
                    }
                    range
                };
                let labels: Vec<(std::ops::Range<usize>, &Label, bool)> =
                    std::iter::once((shown(primary.span), primary, true))
                        .chain(
                            self.secondary
                                .iter()
                                .map(|label| (shown(label.span), label, false)),
                        )
                        .collect();
                let label_texts: Vec<&str> = std::iter::once(primary_text.as_deref().unwrap_or(""))
                    .chain(secondary_texts.iter().map(|text| text.as_ref()))
                    .collect();
                let windows = windows(source, &labels);
                window_text = windows
                    .iter()
                    .map(|window| shown_source(&source.text()[window.clone()]))
                    .collect::<Vec<_>>();
                let mut group = Group::with_title(title);
                for (window, text) in windows.iter().zip(&window_text) {
                    let raw = &source.text()[window.clone()];
                    // A guide with includes: each window names the file it is in.
                    let file = (source.segment_of(window.start) > 0)
                        .then(|| escape(&source.name_at(window.start)).into_owned());
                    let mut snippet = Snippet::source(text.as_ref())
                        .path(file.map_or_else(|| path.clone(), std::borrow::Cow::Owned))
                        .line_start(source.line(window.start))
                        .fold(true);
                    let shift = |range: &std::ops::Range<usize>| {
                        shown_offset(raw, range.start - window.start)
                            ..shown_offset(raw, range.end - window.start)
                    };
                    for ((range, _, primary), label) in labels.iter().zip(&label_texts) {
                        if window.start <= range.start && range.end <= window.end {
                            let kind = if *primary {
                                AnnotationKind::Primary
                            } else {
                                AnnotationKind::Context
                            };
                            snippet =
                                snippet.annotation(kind.span(shift(range)).label(non_empty(label)));
                        }
                    }
                    group = group.element(snippet);
                }
                group
            }
            _ => title.element(Origin::path(path.as_ref())),
        };
        for note in &notes {
            group = group.element(Level::NOTE.message(note.as_ref()));
        }
        if let Some(help) = &help {
            group = group.element(Level::HELP.message(help.as_ref()));
        }
        let renderer = if styled {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        renderer.render(&[group])
    }
}

/// Source text as a diagnostic shows it. annotate-snippets shows C0 controls, DEL and the
/// bidirectional controls as visible pictures one column wide (`␛`), but passes C1
/// controls (U+0080–U+009F, e.g. U+009B, a one-character CSI) through: each becomes `�`,
/// also one column wide.
fn shown_source(raw: &str) -> std::borrow::Cow<'_, str> {
    if !raw.chars().any(is_c1) {
        return std::borrow::Cow::Borrowed(raw);
    }
    std::borrow::Cow::Owned(
        raw.chars()
            .map(|c| if is_c1(c) { '\u{fffd}' } else { c })
            .collect(),
    )
}

/// Where byte `offset` of `raw` is in [`shown_source`]`(raw)`: each C1 control (2 bytes)
/// became U+FFFD (3 bytes).
fn shown_offset(raw: &str, offset: usize) -> usize {
    offset + raw[..offset].chars().filter(|&c| is_c1(c)).count()
}

fn is_c1(c: char) -> bool {
    matches!(c, '\u{80}'..='\u{9f}')
}

/// Labels whose lines are more than this many bytes apart are shown in separate windows.
const WINDOW_GAP: usize = 2048;
/// How much of a line after a label a window holds at most (the renderer shows less).
const WINDOW_TAIL: usize = 512;
/// The longest label shown whole; a longer one is shown by its start.
const MAX_LABEL: usize = 1024;

fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The windows of source text a diagnostic shows: whole lines around its labels, the
/// primary label's window first; labels closer than [`WINDOW_GAP`] share one.
fn windows(
    source: &Source,
    labels: &[(std::ops::Range<usize>, &Label, bool)],
) -> Vec<std::ops::Range<usize>> {
    let text = source.text();
    let line_window = |range: &std::ops::Range<usize>| {
        let start = source.line_start(range.start);
        // A bare CR ends the window too (`bare-cr` points at one).
        let end = text[range.end..]
            .find(['\n', '\r'])
            .map_or(text.len(), |i| range.end + i);
        start..end
    };
    let mut lines: Vec<std::ops::Range<usize>> = labels
        .iter()
        .map(|l| {
            let mut window = line_window(&l.0);
            // A long line is cut after its labels (cutting the end keeps every column).
            window.end = window
                .end
                .min(floor_boundary(text, l.0.end.saturating_add(WINDOW_TAIL)));
            window
        })
        .collect();
    let primary = lines[0].clone();
    lines.sort_by_key(|window| window.start);
    let mut merged: Vec<std::ops::Range<usize>> = Vec::with_capacity(lines.len());
    for window in lines {
        match merged.last_mut() {
            Some(last)
                if window.start <= last.end.saturating_add(WINDOW_GAP)
                    && source.segment_of(window.start) == source.segment_of(last.start) =>
            {
                last.end = last.end.max(window.end);
            }
            _ => merged.push(window),
        }
    }
    // The primary label's window comes first: its `-->` line names the problem's place.
    if let Some(i) = merged
        .iter()
        .position(|w| w.start <= primary.start && primary.end <= w.end)
    {
        let first = merged.remove(i);
        merged.insert(0, first);
    }
    merged
}

fn non_empty(text: &str) -> Option<&str> {
    (!text.is_empty()).then_some(text)
}

/// Keep a span inside the text and on character boundaries, so rendering never panics.
fn clamp(span: Span, source: &Source) -> std::ops::Range<usize> {
    let text = source.text();
    let mut start = span.start.min(text.len());
    let mut end = span.end.clamp(start, text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    while !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

/// Sort by place in the file, errors before warnings at the same place.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by_key(|d| (d.offset(), d.severity));
}

/// The closest candidate to `word`, for "did you mean" help: a small edit away (a typo,
/// a swapped pair of letters), or very alike for long names.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut unlimited = usize::MAX;
    did_you_mean_within(word, candidates, &mut unlimited)
}

/// [`did_you_mean`], comparing at most `budget` candidates (and taking what it compares
/// off the budget): the best of those, in the order given. A caller that asks for many
/// words among many candidates shares one budget between them, so the work stays bounded
/// (every word against every id was quadratic).
pub fn did_you_mean_within<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    budget: &mut usize,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        if *budget == 0 {
            break;
        }
        if candidate == word {
            continue;
        }
        *budget -= 1;
        #[cfg(test)]
        COMPARISONS.with(|count| count.set(count.get() + 1));
        let distance = strsim::damerau_levenshtein(word, candidate);
        let close = distance <= limit || strsim::jaro_winkler(word, candidate) >= 0.9;
        if close && best.is_none_or(|best| (distance, candidate) < best) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

#[cfg(test)]
thread_local! {
    /// How many candidates [`did_you_mean_within`] compared on this thread.
    pub static COMPARISONS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// `a`, `b` and `c` — a readable list of names in backticks.
pub fn list(names: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    let names: Vec<String> = names
        .into_iter()
        .map(|name| format!("`{}`", name.as_ref()))
        .collect();
    match names.as_slice() {
        [] => "none".to_string(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_you_mean_finds_close_names_only() {
        let names = ["iam.create-virtual-mfa-device", "iam.enable-mfa-device"];
        assert_eq!(
            did_you_mean("iam.create-virtual-mfa-devise", names),
            Some("iam.create-virtual-mfa-device")
        );
        assert_eq!(did_you_mean("s3.copy", names), None);
        assert_eq!(did_you_mean("dou", ["duo", "me"]), Some("duo"));
        assert_eq!(did_you_mean("confrim", ["id", "confirm"]), Some("confirm"));
        assert_eq!(did_you_mean("xyz", ["id", "confirm"]), None);
    }

    #[test]
    fn list_reads_as_english() {
        assert_eq!(list(["a"]), "`a`");
        assert_eq!(list(["a", "b", "c"]), "`a`, `b` and `c`");
        assert_eq!(list(Vec::<&str>::new()), "none");
    }

    #[test]
    fn render_points_at_line_and_column() {
        let source = Source::new("r.md", "# T\n\n```iam.nope\n```\n");
        let diagnostic = Diagnostic::error("unknown-action", "unknown action `iam.nope`")
            .label(Span::new(8, 16), "not an action")
            .help("run `runbook actions`");
        let text = diagnostic.render(Some(&source), false, "r.md");
        assert!(
            text.contains("error[unknown-action]: unknown action `iam.nope`"),
            "{text}"
        );
        assert!(text.contains("--> r.md:3:4"), "{text}");
        assert!(text.contains("^^^^^^^^ not an action"), "{text}");
        assert!(text.contains("help: run `runbook actions`"), "{text}");
    }

    /// Two labels 1 MB apart get a window each: a few lines handed to the renderer and
    /// printed, not the megabyte between them (5,000 duplicate headings were quadratic).
    #[test]
    fn far_apart_labels_get_a_window_each() {
        let text = format!(
            "# T\n\n## Same\n\n{}## Same\n",
            "filler line.\n\n".repeat(80_000)
        );
        let source = Source::new("r.md", text.as_str());
        let second = text.rfind("## Same").unwrap();
        let diagnostic = Diagnostic::error("duplicate-step", "two steps have the id `same`")
            .label(Span::new(second, second + 7), "second")
            .secondary(Span::new(5, 12), "first");
        let rendered = diagnostic.render(Some(&source), false, "r.md");
        assert!(rendered.lines().count() < 15, "{rendered}");
        assert!(rendered.contains("--> r.md:160005:1"), "{rendered}");
        assert!(rendered.contains("::: r.md:3:1"), "{rendered}");
        let labels = [
            (
                clamp(diagnostic.primary.as_ref().unwrap().span, &source),
                diagnostic.primary.as_ref().unwrap(),
                true,
            ),
            (
                clamp(diagnostic.secondary[0].span, &source),
                &diagnostic.secondary[0],
                false,
            ),
        ];
        let windows = windows(&source, &labels);
        assert_eq!(
            windows.iter().map(|w| w.len()).sum::<usize>(),
            14,
            "{windows:?}"
        );
        // Close labels still share one window, as before.
        let source = Source::new("r.md", "# T\n\n## Same\n\ntext\n\n## Same\n");
        let diagnostic = Diagnostic::error("duplicate-step", "x")
            .label(Span::new(19, 26), "second")
            .secondary(Span::new(5, 12), "first");
        let rendered = diagnostic.render(Some(&source), false, "r.md");
        assert!(!rendered.contains(":::"), "{rendered}");
    }

    #[test]
    fn render_shows_escapes_and_keeps_columns() {
        let source = Source::new(
            "r\u{1b}]0;t\u{7}.md",
            "# T\n\n```iam.no\u{1b}[2J\u{9b}pe x\n```\n",
        );
        let diagnostic =
            Diagnostic::error("unknown-action", "unknown action `iam.no\u{1b}[2J\u{9b}pe`")
                .label(Span::new(23, 24), "here \u{202e}")
                .note("note \u{7}")
                .help("help \u{85}");
        let text = diagnostic.render(Some(&source), false, &source.name());
        assert!(!text.chars().any(crate::sanitize::is_unsafe), "{text:?}");
        assert!(
            text.contains("unknown action `iam.no\\x1b[2J\\u{9b}pe`"),
            "{text}"
        );
        // `x` is the 18th character of line 3, controls counted one each.
        assert!(text.contains("--> r\\x1b]0;t\\x07.md:3:18"), "{text}");
        assert!(text.contains("```iam.no␛[2J�pe x"), "{text}");
        let line = text.lines().find(|l| l.contains("```iam.no")).unwrap();
        let caret = text.lines().find(|l| l.contains("^ here")).unwrap();
        assert_eq!(
            caret.chars().position(|c| c == '^'),
            line.chars().position(|c| c == 'x'),
            "{text}"
        );
        assert!(text.contains("here \\u{202e}"), "{text}");
        assert!(text.contains("note \\x07"), "{text}");
        assert!(text.contains("help \\u{85}"), "{text}");
    }

    #[test]
    fn render_never_panics_on_bad_spans() {
        let source = Source::new("r.md", "é");
        let diagnostic = Diagnostic::error("x", "y").label(Span::new(1, 99), "");
        diagnostic.render(Some(&source), false, "r.md");
    }
}
