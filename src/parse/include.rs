//! Includes between guides: `<!-- runbook: include = "aws-mfa.md#set-up-the-authenticator-app" -->`
//! under a heading puts that step (or part) of another guide under this heading, as if it
//! were written here.
//!
//! [`resolve`] reads every file a guide includes (following includes in those files too),
//! checks each include (the file exists, is under the guide's folder, has the step named
//! after `#`, and no guide includes itself, directly or through others) and gives one
//! [`Source`] holding every file, with the includes that passed. [`splice`] (what
//! [`crate::parse::parser::parse`] does for such a source) parses each file and puts the
//! included sections in place, every span still pointing into the file it came from.
//!
//! The rules, for authors:
//! - The path is relative to the including file; `#STEP` is a step id (as `runbook plan`
//!   shows it, `set-up-the-authenticator-app`) or the heading's GitHub anchor
//!   (`3-set-up-the-authenticator-app`); without `#STEP`, every section of the file.
//! - A list includes several, in order: `include = ["a.md#one", "a.md#two"]`.
//! - The included sections go first under the heading, one level below it.
//! - Only guides in the including guide's own folder: absolute paths, `../x.md` and
//!   `sub/x.md` are refused. A guide and what it includes are reviewed, tested and shipped
//!   together, and the included prose's relative links and figures name the same files as
//!   in its own file.
//! - A guide never includes itself, directly or through another guide.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use toml::de::DeValue;

use crate::parse::body;
use crate::parse::diagnostic::{Diagnostic, list};
use crate::parse::document::{
    ActionBlock, Attribute, Block, Directive, Document, Heading, Image, IncludedFrom, Prose,
    Section,
};
use crate::parse::markdown::{slug, step_id};
use crate::parse::parser::{self, Parsed};
use crate::parse::source::{Include, LoadError, MAX_FILE_BYTES, Source, Span};

/// The directive setting that includes.
pub const INCLUDE: &str = "include";

/// How deeply included sections may include others.
const MAX_DEPTH: usize = 16;

/// A guide with everything it includes, and the problems with its includes.
#[derive(Debug)]
pub struct Resolved {
    pub source: Source,
    pub diagnostics: Vec<Diagnostic>,
}

struct File {
    /// Lexically normalised, to recognise a file reached twice.
    key: PathBuf,
    shown: PathBuf,
    text: String,
    /// Every step id and heading anchor, for checking `#STEP`.
    anchors: Vec<String>,
    /// The title's span (or 0..0), for "this guide has no such step" labels.
    title: Span,
}

struct Edge {
    from: usize,
    to: usize,
    directive: Span,
    value: Span,
    written: String,
    anchor: Option<String>,
    ok: bool,
}

/// Read and check everything `main` includes. A source without any include comes back as
/// it is.
pub fn resolve(main: Source) -> Resolved {
    // Cheap test first: most guides include nothing.
    if !may_include(main.text()) {
        return Resolved {
            source: main,
            diagnostics: Vec::new(),
        };
    }
    let root = folder(&normalise(main.path()));
    let first = scan(main.path(), main.text());
    if first.1.is_empty() && first.2.is_empty() {
        return Resolved {
            source: main,
            diagnostics: Vec::new(),
        };
    }
    let mut files = vec![File {
        key: normalise(main.path()),
        shown: main.path().to_path_buf(),
        text: main.text().to_string(),
        anchors: first.0.anchors,
        title: first.0.title,
    }];
    let mut total = main.text().len() as u64;
    let mut problems: Vec<Problem> = first.2.into_iter().map(|d| Problem::new(0, d)).collect();
    let mut pending = vec![first.1];
    let mut edges: Vec<Edge> = Vec::new();
    let mut index: HashMap<PathBuf, usize> = HashMap::from([(files[0].key.clone(), 0)]);
    let mut at = 0;
    while at < pending.len() {
        let found = std::mem::take(&mut pending[at]);
        let from = at;
        at += 1;
        for (directive, value, written) in found {
            let (path, anchor) = match written.split_once('#') {
                Some((path, anchor)) => (path, Some(anchor.to_string())),
                None => (written.as_str(), None),
            };
            let refuse = |code, message: String, label: &str, help: &str| {
                Diagnostic::error(code, message)
                    .label(value, label)
                    .help(help)
            };
            if path.is_empty() {
                problems.push(Problem::new(
                    from,
                    refuse(
                        "include-cycle",
                        format!("`{written}` includes this guide in itself"),
                        "this guide",
                        "a guide never includes itself: move the shared steps to one guide and include them from the others",
                    ),
                ));
                continue;
            }
            if Path::new(path).is_absolute() || path.starts_with('/') || path.starts_with('\\') {
                problems.push(Problem::new(
                    from,
                    refuse(
                        "include-absolute-path",
                        format!("`{path}` is an absolute path"),
                        "absolute",
                        "write the path relative to this guide, e.g. `include = \"aws-mfa.md#set-up-the-authenticator-app\"`",
                    ),
                ));
                continue;
            }
            let key = normalise(&folder(&files[from].key).join(path));
            // Only next to the guide: there the included prose's relative links and
            // figures name the same files as in its own file, and nothing leads out of the
            // folder that is reviewed, tested and shipped together.
            if folder(&key) != root || key.components().any(|c| c == Component::ParentDir) {
                problems.push(Problem::new(
                    from,
                    refuse(
                        "include-outside-folder",
                        format!("`{path}` is not in the guide's folder `{}`", shown(&root)),
                        "another folder",
                        "a guide includes only guides in its own folder, where the included steps' links and figures mean what they mean in their own file: move the shared guide next to this one",
                    ),
                ));
                continue;
            }
            let to = match index.get(&key) {
                Some(&to) => to,
                None => {
                    let shown_path = key.clone();
                    let read = Source::read(&shown_path).and_then(|source| {
                        total += source.text().len() as u64 + 1;
                        if total > MAX_FILE_BYTES {
                            Err(LoadError::TooLarge {
                                path: shown_path.clone(),
                                size: total,
                            })
                        } else {
                            Ok(source)
                        }
                    });
                    let source = match read {
                        Ok(source) => source,
                        Err(error) => {
                            let (code, help) = match error {
                                LoadError::NotFound { .. } => (
                                    "include-not-found",
                                    format!(
                                        "the path is relative to this guide's folder `{}`; check the file name",
                                        shown(&folder(&files[from].key))
                                    ),
                                ),
                                LoadError::TooLarge { .. } => (
                                    "include-too-large",
                                    "a guide and what it includes may hold 32 MiB in all; include single steps rather than whole guides".to_string(),
                                ),
                                _ => (
                                    "include-unreadable",
                                    "`runbook check` on that file says what is wrong with it".to_string(),
                                ),
                            };
                            problems.push(Problem::new(
                                from,
                                Diagnostic::error(
                                    code,
                                    format!("cannot include `{path}`: {error}"),
                                )
                                .label(value, "included here")
                                .help(help),
                            ));
                            continue;
                        }
                    };
                    let to = files.len();
                    let (outline, found, errors) = scan(&shown_path, source.text());
                    problems.extend(errors.into_iter().map(|d| Problem::new(to, d)));
                    pending.push(found);
                    index.insert(key.clone(), to);
                    files.push(File {
                        key,
                        shown: shown_path,
                        text: source.text().to_string(),
                        anchors: outline.anchors,
                        title: outline.title,
                    });
                    to
                }
            };
            edges.push(Edge {
                from,
                to,
                directive,
                value,
                written: written.clone(),
                anchor,
                ok: true,
            });
        }
    }

    // A guide that includes itself, directly or through others.
    cycles(&files, &mut edges, &mut problems);

    // `#STEP` must name a step or part of the included guide.
    let anchors: Vec<std::collections::HashSet<&str>> = files
        .iter()
        .map(|file| file.anchors.iter().map(String::as_str).collect())
        .collect();
    // "Did you mean" compares a bounded number of names in all (a guide of many bad
    // includes stays linear).
    let mut budget = 10_000;
    for edge in edges.iter_mut().filter(|edge| edge.ok) {
        let Some(anchor) = &edge.anchor else { continue };
        let file = &files[edge.to];
        if anchors[edge.to].contains(anchor.as_str()) {
            continue;
        }
        edge.ok = false;
        let mut steps: Vec<&str> = file.anchors.iter().step_by(2).map(String::as_str).collect();
        steps.truncate(12);
        let suggestion = crate::parse::diagnostic::did_you_mean_within(
            anchor,
            file.anchors.iter().map(String::as_str),
            &mut budget,
        );
        let help = match suggestion {
            Some(s) => format!("did you mean `#{s}`?"),
            None => format!(
                "after `#` write a step id of `{}`: {}",
                shown(&file.shown),
                list(steps)
            ),
        };
        problems.push(Problem {
            file: edge.from,
            diagnostic: Diagnostic::error(
                "include-step-not-found",
                format!("`{}` has no step `{anchor}`", shown(&file.shown)),
            )
            .label(edge.value, "no such step")
            .help(help),
            elsewhere: vec![(edge.to, file.title, "the guide it names".to_string())],
        });
    }

    // A step included twice would define its ids twice: said once, at the second include.
    let mut seen: HashMap<(usize, Option<&str>), usize> = HashMap::new();
    for e in 0..edges.len() {
        if !edges[e].ok {
            continue;
        }
        let key = (edges[e].to, edges[e].anchor.as_deref());
        match seen.get(&key) {
            Some(&first) => {
                let (first, again) = (&edges[first], &edges[e]);
                problems.push(Problem {
                    file: again.from,
                    diagnostic: Diagnostic::error(
                        "include-twice",
                        format!("`{}` is included twice", again.written),
                    )
                    .label(again.value, "included again")
                    .help(
                        "include a step once; its actions' ids can be defined only once in a run",
                    ),
                    elsewhere: vec![(first.from, first.value, "first included here".to_string())],
                });
            }
            None => {
                seen.insert(key, e);
            }
        }
    }
    for problem in &problems {
        if problem.diagnostic.code == "include-twice"
            && let Some(primary) = &problem.diagnostic.primary
            && let Some(edge) = edges
                .iter_mut()
                .find(|edge| edge.from == problem.file && edge.value == primary.span)
        {
            edge.ok = false;
        }
    }

    // One text, every file after the one before it.
    let mut bases = Vec::with_capacity(files.len());
    let mut base = 0;
    for file in &files {
        bases.push(base);
        base += file.text.len() + 1;
    }
    let includes = edges
        .iter()
        .filter(|edge| edge.ok)
        .map(|edge| Include {
            directive: edge.directive.shift(bases[edge.from]),
            value: edge.value.shift(bases[edge.from]),
            written: edge.written.clone(),
            segment: edge.to,
            anchor: edge.anchor.clone(),
        })
        .collect();
    let diagnostics = problems
        .into_iter()
        .map(|problem| {
            let base = bases[problem.file];
            let mut diagnostic = problem.diagnostic;
            if let Some(primary) = &mut diagnostic.primary {
                primary.span = primary.span.shift(base);
            }
            for label in &mut diagnostic.secondary {
                label.span = label.span.shift(base);
            }
            for (file, span, text) in problem.elsewhere {
                diagnostic = diagnostic.secondary(span.shift(bases[file]), text);
            }
            diagnostic
        })
        .collect();
    let source = Source::with_files(
        files.into_iter().map(|f| (f.shown, f.text)).collect(),
        includes,
    );
    Resolved {
        source,
        diagnostics,
    }
}

/// Whether some `<!-- runbook … -->` comment of `text` mentions `include`: one pass over
/// the text, so a guide without includes is parsed once, as before includes existed.
fn may_include(text: &str) -> bool {
    let mut rest = text;
    while let Some(open) = rest.find("<!--") {
        rest = &rest[open + 4..];
        let end = rest.find("-->").unwrap_or(rest.len());
        let comment = &rest[..end];
        if comment.trim_start().starts_with("runbook") && comment.contains(INCLUDE) {
            return true;
        }
        rest = &rest[end..];
    }
    false
}

/// A problem found while resolving: its file, the diagnostic (spans in that file), and
/// labels in other files (file, span in it, text), added once every span is an offset in
/// the whole source.
struct Problem {
    file: usize,
    diagnostic: Diagnostic,
    elsewhere: Vec<(usize, Span, String)>,
}

impl Problem {
    fn new(file: usize, diagnostic: Diagnostic) -> Problem {
        Problem {
            file,
            diagnostic,
            elsewhere: Vec::new(),
        }
    }
}

/// Mark every include that closes a cycle, with a diagnostic naming the whole cycle.
fn cycles(files: &[File], edges: &mut [Edge], problems: &mut Vec<Problem>) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut marks = vec![Mark::New; files.len()];
    // (file, next edge to look at), and the edges taken to reach each open file.
    let mut stack: Vec<(usize, usize)> = vec![(0, 0)];
    let mut path: Vec<usize> = Vec::new();
    marks[0] = Mark::Open;
    // Each file's includes, in order, so the walk is linear in the includes.
    let mut out_of: Vec<Vec<usize>> = vec![Vec::new(); files.len()];
    for (e, edge) in edges.iter().enumerate() {
        if edge.ok {
            out_of[edge.from].push(e);
        }
    }
    while let Some(&mut (file, ref mut next)) = stack.last_mut() {
        let Some(&e) = out_of[file].get(*next) else {
            marks[file] = Mark::Done;
            stack.pop();
            path.pop();
            continue;
        };
        *next += 1;
        let to = edges[e].to;
        match marks[to] {
            Mark::New => {
                marks[to] = Mark::Open;
                stack.push((to, 0));
                path.push(e);
            }
            Mark::Open => {
                // The cycle: the edges on the path from `to`, then `e`.
                let start = path
                    .iter()
                    .position(|&p| edges[p].from == to)
                    .unwrap_or(path.len());
                let cycle: Vec<usize> = path[start..].iter().copied().chain([e]).collect();
                let names: Vec<String> = cycle
                    .iter()
                    .map(|&c| shown(&files[edges[c].from].shown))
                    .chain([shown(&files[to].shown)])
                    .collect();
                let edge = &edges[e];
                let mut diagnostic = if edge.from == to {
                    Diagnostic::error(
                        "include-cycle",
                        format!("`{}` includes itself", shown(&files[to].shown)),
                    )
                    .label(edge.value, "this guide")
                } else {
                    Diagnostic::error(
                        "include-cycle",
                        format!("includes go round in a circle: {}", names.join(" → ")),
                    )
                    .label(
                        edge.value,
                        format!("includes `{}` again", shown(&files[to].shown)),
                    )
                };
                let elsewhere = cycle[..cycle.len() - 1]
                    .iter()
                    .map(|&c| {
                        let other = &edges[c];
                        (
                            other.from,
                            other.value,
                            format!(
                                "`{}` includes `{}` here",
                                shown(&files[other.from].shown),
                                shown(&files[other.to].shown)
                            ),
                        )
                    })
                    .collect();
                diagnostic = diagnostic.help("a guide never includes itself, directly or through another guide: move the shared steps to one guide and include them from the others");
                problems.push(Problem {
                    file: edge.from,
                    diagnostic,
                    elsewhere,
                });
                edges[e].ok = false;
            }
            Mark::Done => {}
        }
    }
}

/// What [`scan`] learns of one file's headings.
struct Outline {
    anchors: Vec<String>,
    title: Span,
}

type Found = Vec<(Span, Span, String)>;

/// Parse one file on its own: its step ids and anchors, and its includes as (directive,
/// quoted value, path as written), with problems in how they are written.
fn scan(path: &Path, text: &str) -> (Outline, Found, Vec<Diagnostic>) {
    let source = Source::new(path, text);
    let parsed = parser::parse_file(&source);
    let document = &parsed.document;
    let mut outline = Outline {
        anchors: Vec::new(),
        title: document.title.as_ref().map_or(Span::point(0), |t| t.span),
    };
    let mut found = Vec::new();
    let mut problems = Vec::new();
    fn walk(
        sections: &[Section<'_>],
        outline: &mut Outline,
        found: &mut Found,
        problems: &mut Vec<Diagnostic>,
    ) {
        for section in sections {
            outline.anchors.push(step_id(&section.heading.text));
            outline.anchors.push(slug(&section.heading.text));
            for directive in &section.directives {
                includes_of(directive, found, problems);
            }
            walk(&section.children, outline, found, problems);
        }
    }
    walk(&document.sections, &mut outline, &mut found, &mut problems);
    (outline, found, problems)
}

/// The includes one directive names (its TOML problems are the binder's to report).
fn includes_of(directive: &Directive<'_>, found: &mut Found, problems: &mut Vec<Diagnostic>) {
    let (table, _) = body::parse(directive.body);
    let Some(value) = table.get(INCLUDE) else {
        return;
    };
    let base = directive.body_span.start;
    let span = Span::from(value.span()).shift(base);
    let mut one = |item: &toml::Spanned<DeValue<'_>>| {
        match item.get_ref() {
        DeValue::String(path) if !path.trim().is_empty() => found.push((
            directive.span,
            Span::from(item.span()).shift(base),
            path.to_string(),
        )),
        other => problems.push(
            Diagnostic::error(
                "invalid-include",
                format!("`include` names a guide in quotes, not {}", describe(other)),
            )
            .label(Span::from(item.span()).shift(base), "here")
            .help("e.g. `<!-- runbook: include = \"aws-mfa.md#set-up-the-authenticator-app\" -->`, or a list of such paths"),
        ),
    }
    };
    match value.get_ref() {
        DeValue::Array(items) if !items.is_empty() => items.iter().for_each(&mut one),
        DeValue::Array(_) => problems.push(
            Diagnostic::error("invalid-include", "`include` is an empty list")
                .label(span, "nothing to include")
                .help("name at least one guide, e.g. `include = [\"aws-mfa.md#set-up-the-authenticator-app\"]`, or remove the setting"),
        ),
        _ => one(value),
    }
}

fn describe(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "an empty string",
        other => other.type_str(),
    }
}

/// `a/./b/../c` → `a/c`, without touching the file system (a leading `..` is kept).
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

fn folder(path: &Path) -> PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

fn shown(path: &Path) -> String {
    let text = path.display().to_string();
    if text.is_empty() {
        ".".to_string()
    } else {
        text
    }
}

/// Parse a source made of several files and put every include in place.
pub fn splice(source: &Source) -> Parsed<'_> {
    let text = source.text();
    let mut documents = Vec::with_capacity(source.segments().len());
    let mut diagnostics = Vec::new();
    for segment in source.segments() {
        let file = Source::new(&segment.path, &text[segment.start..segment.end]);
        let parsed = parser::parse_file(&file);
        let rebase = Rebase {
            from: file.text(),
            to: text,
            base: segment.start,
        };
        documents.push(rebase.document(parsed.document));
        diagnostics.extend(parsed.diagnostics.into_iter().map(|mut d| {
            if let Some(primary) = &mut d.primary {
                primary.span = primary.span.shift(segment.start);
            }
            for label in &mut d.secondary {
                label.span = label.span.shift(segment.start);
            }
            d
        }));
    }
    let mut by_directive: HashMap<Span, Vec<&Include>> = HashMap::new();
    for include in source.includes() {
        by_directive
            .entry(include.directive)
            .or_default()
            .push(include);
    }
    let mut document = documents.first().cloned().unwrap_or_default();
    for section in &mut document.sections {
        put_in_place(section, &documents, &by_directive, 0);
    }
    document.action_blocks = count_actions(&document);
    Parsed {
        document,
        diagnostics,
    }
}

fn put_in_place<'s>(
    section: &mut Section<'s>,
    documents: &[Document<'s>],
    includes: &HashMap<Span, Vec<&Include>>,
    depth: usize,
) {
    for child in &mut section.children {
        put_in_place(child, documents, includes, depth);
    }
    if depth >= MAX_DEPTH {
        return;
    }
    let mut added = Vec::new();
    for directive in &section.directives {
        for include in includes.get(&directive.span).into_iter().flatten() {
            let Some(document) = documents.get(include.segment) else {
                continue;
            };
            let picked: Vec<Section<'s>> = match &include.anchor {
                Some(anchor) => find(&document.sections, anchor)
                    .into_iter()
                    .cloned()
                    .collect(),
                None => document.sections.clone(),
            };
            for mut included in picked {
                relevel(&mut included, section.heading.level + 1);
                included.origin = Some(IncludedFrom {
                    written: include.written.clone(),
                    value: include.value,
                });
                put_in_place(&mut included, documents, includes, depth + 1);
                added.push(included);
            }
        }
    }
    section.children.splice(0..0, added);
}

fn find<'a, 's>(sections: &'a [Section<'s>], anchor: &str) -> Option<&'a Section<'s>> {
    sections.iter().find_map(|section| {
        if step_id(&section.heading.text) == anchor || slug(&section.heading.text) == anchor {
            Some(section)
        } else {
            find(&section.children, anchor)
        }
    })
}

/// Move a section (and its sub-sections with it) to heading level `level`.
fn relevel(section: &mut Section<'_>, level: u8) {
    let shift = level as i16 - section.heading.level as i16;
    fn walk(section: &mut Section<'_>, shift: i16) {
        section.heading.level = (section.heading.level as i16 + shift).clamp(2, 6) as u8;
        for child in &mut section.children {
            walk(child, shift);
        }
    }
    walk(section, shift);
}

fn count_actions(document: &Document<'_>) -> usize {
    fn blocks(blocks: &[Block<'_>]) -> usize {
        blocks
            .iter()
            .filter(|b| matches!(b, Block::Action(_)))
            .count()
    }
    fn sections(list: &[Section<'_>]) -> usize {
        list.iter()
            .map(|s| blocks(&s.blocks) + sections(&s.children))
            .sum()
    }
    blocks(&document.intro) + sections(&document.sections)
}

/// Moves a document parsed from one file's own text onto the whole source's text: spans
/// shift by where the file starts, and every borrowed `&str` is taken again from the whole.
struct Rebase<'t, 's> {
    from: &'t str,
    to: &'s str,
    base: usize,
}

impl<'s> Rebase<'_, 's> {
    fn str(&self, s: &str) -> &'s str {
        let start = s.as_ptr() as usize;
        let from = self.from.as_ptr() as usize;
        if s.is_empty() || start < from || start + s.len() > from + self.from.len() {
            return "";
        }
        let at = self.base + (start - from);
        &self.to[at..at + s.len()]
    }

    fn span(&self, span: Span) -> Span {
        span.shift(self.base)
    }

    fn document(&self, document: Document<'_>) -> Document<'s> {
        Document {
            title: document.title.map(|h| self.heading(h)),
            intro: document.intro.into_iter().map(|b| self.block(b)).collect(),
            sections: document
                .sections
                .into_iter()
                .map(|s| self.section(s))
                .collect(),
            action_blocks: document.action_blocks,
            stray_directives: document
                .stray_directives
                .into_iter()
                .map(|d| self.directive(d))
                .collect(),
        }
    }

    fn heading(&self, heading: Heading) -> Heading {
        Heading {
            span: self.span(heading.span),
            ..heading
        }
    }

    fn section(&self, section: Section<'_>) -> Section<'s> {
        Section {
            heading: self.heading(section.heading),
            blocks: section.blocks.into_iter().map(|b| self.block(b)).collect(),
            directives: section
                .directives
                .into_iter()
                .map(|d| self.directive(d))
                .collect(),
            children: section
                .children
                .into_iter()
                .map(|s| self.section(s))
                .collect(),
            span: self.span(section.span),
            origin: section.origin,
        }
    }

    fn directive(&self, directive: Directive<'_>) -> Directive<'s> {
        Directive {
            body: self.str(directive.body),
            body_span: self.span(directive.body_span),
            span: self.span(directive.span),
        }
    }

    fn block(&self, block: Block<'_>) -> Block<'s> {
        match block {
            Block::Prose(prose) => Block::Prose(Prose {
                kind: prose.kind,
                span: self.span(prose.span),
                images: prose
                    .images
                    .into_iter()
                    .map(|image| Image {
                        span: self.span(image.span),
                        ..image
                    })
                    .collect(),
            }),
            Block::Action(action) => Block::Action(ActionBlock {
                name: self.str(action.name),
                name_span: self.span(action.name_span),
                attributes: action
                    .attributes
                    .into_iter()
                    .map(|a| Attribute {
                        key: self.str(a.key),
                        value: a.value.map(|v| self.str(v)),
                        span: self.span(a.span),
                    })
                    .collect(),
                body: self.str(action.body),
                body_span: self.span(action.body_span),
                span: self.span(action.span),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::document::Block;

    #[test]
    fn only_a_runbook_comment_naming_include_is_looked_at() {
        assert!(may_include("# T\n<!-- runbook: include = \"a.md\" -->\n"));
        assert!(!may_include(
            "# T\n\nInclude this.\n<!-- include -->\n<!-- runbook: info = true -->"
        ));
        assert!(!may_include("<!-- runbook"));
    }

    #[test]
    fn paths_are_normalised_without_the_file_system() {
        assert_eq!(
            normalise(Path::new("a/./b/../c.md")),
            PathBuf::from("a/c.md")
        );
        assert_eq!(normalise(Path::new("../x.md")), PathBuf::from("../x.md"));
        assert_eq!(
            normalise(Path::new("a/../../x.md")),
            PathBuf::from("../x.md")
        );
    }

    /// Two files in one source: positions and names are the included file's own, the
    /// included step sits one level under the including heading, and every borrowed text
    /// is the same bytes as in the file it came from.
    #[test]
    fn an_included_step_is_spliced_in_with_spans_into_its_file() {
        let guide = "# G\n\n## Host\n<!-- runbook: include = \"s.md#two\" -->\n\nOwn prose.\n";
        let shared =
            "# S\n\n## One\n\ntext\n\n### 2. Two\n\n```sts.get-caller-identity id=me\n```\n";
        let directive = guide.find("<!--").unwrap();
        let value = guide.find("\"s.md").unwrap();
        let directive_end = guide.find("-->").unwrap() + 3;
        let include = Include {
            directive: Span::new(directive, directive_end),
            value: Span::new(value, value + "\"s.md#two\"".len()),
            written: "s.md#two".to_string(),
            segment: 1,
            anchor: Some("two".to_string()),
        };
        let source = Source::with_files(
            vec![
                (PathBuf::from("dir/g.md"), guide.to_string()),
                (PathBuf::from("dir/s.md"), shared.to_string()),
            ],
            vec![include],
        );
        let parsed = parser::parse(&source);
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        let document = parsed.document;
        assert_eq!(document.sections.len(), 1);
        let host = &document.sections[0];
        assert_eq!(host.heading.text, "Host");
        assert_eq!(host.children.len(), 1, "only the named step");
        let step = &host.children[0];
        assert_eq!(step.heading.text, "2. Two");
        assert_eq!(step.heading.level, 3);
        assert_eq!(step.origin.as_ref().unwrap().written, "s.md#two");
        assert_eq!(document.action_blocks, 1);
        let Block::Action(action) = &step.blocks[0] else {
            panic!("{:?}", step.blocks)
        };
        assert_eq!(action.name, "sts.get-caller-identity");
        assert_eq!(source.slice(action.name_span), action.name);
        assert_eq!(action.attributes[0].key, "id");
        assert_eq!(action.attributes[0].value, Some("me"));
        // Lines and names are the included file's.
        assert_eq!(source.line(action.span.start), 9);
        assert_eq!(source.name_at(action.span.start), "dir/s.md");
        assert_eq!(
            source.included_name_at(action.span.start).as_deref(),
            Some("s.md")
        );
        assert_eq!(source.line(host.heading.span.start), 3);
        assert_eq!(source.name_at(host.heading.span.start), "dir/g.md");
        assert_eq!(source.included_name_at(host.heading.span.start), None);
    }

    /// A diagnostic whose labels are in two files shows a window for each, under its name
    /// and with its own line numbers.
    #[test]
    fn a_diagnostic_shows_each_file_under_its_name() {
        let source = Source::with_files(
            vec![
                (PathBuf::from("g.md"), "# G\n\nfirst\n".to_string()),
                (PathBuf::from("s.md"), "# S\n\nsecond\n".to_string()),
            ],
            Vec::new(),
        );
        let second = source.text().find("second").unwrap();
        let first = source.text().find("first").unwrap();
        let diagnostic = Diagnostic::error("x", "two files")
            .label(Span::new(second, second + 6), "here")
            .secondary(Span::new(first, first + 5), "and here");
        let shown = diagnostic.render(Some(&source), false, "g.md");
        assert!(shown.contains("--> s.md:3:1"), "{shown}");
        assert!(shown.contains("::: g.md:3:1"), "{shown}");
    }
}
