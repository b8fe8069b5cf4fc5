//! `runbook render`: the guide as documentation. The same checked runbook becomes an HTML
//! page (prose, action cards with their AWS CLI equivalents, checklists, a table of
//! contents; templates in `templates/`, overridable with `--theme`) or plain Markdown
//! (action blocks replaced by their readable form). Every local figure is copied next to
//! the page.
//!
//! ```text
//! check_file(path) → Checked          missing figures are errors here, not warnings
//! render(&checked, options, theme) → Page
//! Site::write(&page)                  the page and its figures under --out
//! ```

pub mod html;
pub mod images;
pub mod items;
pub mod markdown;
pub mod mdbook;
pub mod prose;
pub mod references;
pub mod theme;
pub mod words;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::bind::check::{self, Checked};
use crate::bind::runbook::Runbook;
use crate::parse::diagnostic::{Diagnostic, Severity};
use crate::parse::document::Document;
use crate::parse::parser;
use crate::parse::source::Source;
use crate::parse::template;

pub use images::Figure;
pub use items::{StepItem, step_items};
pub use theme::{Theme, ThemeError};

/// What to render.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Html,
    Markdown,
    /// A chapter for mdBook (`runbook mdbook`): the Markdown as written, with each action
    /// block replaced by its HTML card.
    MdBook,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Markdown | Format::MdBook => "md",
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub format: Format,
    /// Keep raw HTML from the runbook as written (only for runbooks you trust).
    pub allow_html: bool,
}

/// A rendered page, not yet written.
#[derive(Debug)]
pub struct Page {
    /// The runbook it came from.
    pub runbook: PathBuf,
    /// `aws-mfa.html`: the runbook's file name with the format's extension.
    pub file_name: String,
    pub text: String,
    /// Local images to copy next to the page.
    pub figures: Vec<Figure>,
}

/// Why a page could not be rendered or written.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The runbook has errors; `check_file` reported them.
    #[error("the runbook has errors")]
    Invalid,
    #[error("template `{}`: {message}", template.display())]
    Template { template: PathBuf, message: String },
    /// Two runbooks (or two figures) would be written to the same file, or a page would
    /// overwrite its own runbook.
    #[error("{0}")]
    Conflict(String),
    /// A figure is not a file a page may carry (it changed after the check).
    #[error("{0}")]
    Figure(String),
    #[error("cannot write `{}`: {error}", path.display())]
    Output {
        path: PathBuf,
        error: std::io::Error,
    },
}

/// One input a run asks for, as listed on the page.
#[derive(Clone, Debug, Serialize)]
pub struct Input {
    pub id: String,
    pub prompt: String,
    /// The default as a reader sees it (templates as `<placeholders>`).
    pub default: Option<String>,
    /// The default as written, when it holds a template.
    pub default_template: Option<String>,
    pub help: Option<String>,
    /// The step that asks for it.
    pub step: String,
    pub step_title: String,
}

/// Everything a renderer works from.
pub struct Rendering<'a> {
    pub source: &'a Source,
    pub document: &'a Document<'a>,
    pub runbook: &'a Runbook,
    /// The runbook's file name (`aws-mfa.md`).
    pub source_name: String,
    /// Local image URL as written → the URL on the page.
    pub images: HashMap<String, String>,
    /// The document's link reference definitions.
    pub links: HashMap<String, (String, String)>,
    /// How many more bytes of URL and title references to [`Rendering::links`] may still
    /// expand to on this page (see [`prose::link_budget`]).
    pub link_budget: std::cell::Cell<usize>,
    pub inputs: Vec<Input>,
    /// Every input and output later blocks refer to (`duo.serial_number`, `device_name`).
    pub used: HashSet<String>,
    pub allow_html: bool,
    pub theme: &'a Theme,
}

impl Rendering<'_> {
    /// How prose is rendered on this page.
    pub fn prose_options(&self, checklist: bool) -> prose::ProseOptions<'_> {
        prose::ProseOptions {
            allow_html: self.allow_html,
            checklist,
            images: &self.images,
            links: &self.links,
            link_budget: &self.link_budget,
        }
    }
}

/// Check a runbook for rendering: what `runbook check` reports, except that a missing
/// figure is an error (the page would show a broken image), and so is an image path that
/// names no file or collides with another figure's place next to the page.
pub fn check_file(path: &Path) -> Checked {
    figures_checked(check::check_file(path))
}

/// [`check_file`] for a runbook's text already in memory (an mdBook chapter).
pub fn check_source(source: Source) -> Checked {
    figures_checked(check::check_source(source))
}

fn figures_checked(mut checked: Checked) -> Checked {
    let Some(source) = &checked.source else {
        return checked;
    };
    let document = parser::parse(source).document;
    let local: Vec<_> = images::all_images(&document)
        .into_iter()
        .filter(|image| images::is_local(&image.url))
        .map(|image| image.span)
        .collect();
    for diagnostic in &mut checked.diagnostics {
        let at = diagnostic.primary.as_ref().map(|label| label.span);
        if diagnostic.code == "missing-image" && at.is_some_and(|span| local.contains(&span)) {
            diagnostic.severity = Severity::Error;
            diagnostic.help = Some(
                "the page shows every figure, so each must exist: add the file or fix the path (relative to the runbook's folder)".to_string(),
            );
        }
    }
    let base = source.path().parent().unwrap_or(Path::new(""));
    let (_, problems) = images::figures(base, &document);
    for problem in problems {
        checked.diagnostics.push(match problem {
            images::FigureProblem::NoFile { url, span } => Diagnostic::error(
                "invalid-image-path",
                format!("image path `{url}` names no file"),
            )
            .label(span, "this figure")
            .help("give the image file's path, relative to the runbook's folder"),
            images::FigureProblem::Collision {
                target,
                first,
                second,
            } => Diagnostic::error(
                "image-collision",
                format!(
                    "two different images would both be copied to `{}`",
                    target.display()
                ),
            )
            .label(second, "this figure")
            .secondary(first, "and this one")
            .help("figures keep their path relative to the runbook's folder, without leading `../`; rename or move one of them"),
        });
    }
    if checked.errors() > 0 {
        checked.runbook = None;
    }
    crate::parse::diagnostic::sort(&mut checked.diagnostics);
    checked
}

/// Render a checked runbook (from [`check_file`]) as a page.
pub fn render(checked: &Checked, options: &Options, theme: &Theme) -> Result<Page, RenderError> {
    let (Some(source), Some(runbook)) = (&checked.source, &checked.runbook) else {
        return Err(RenderError::Invalid);
    };
    if checked.errors() > 0 {
        return Err(RenderError::Invalid);
    }
    let document = parser::parse(source).document;
    let base = source.path().parent().unwrap_or(Path::new(""));
    let (figures, _) = images::figures(base, &document);
    let rendering = Rendering {
        source,
        document: &document,
        runbook,
        source_name: file_name(source.path()),
        images: figures
            .iter()
            .map(|figure| (figure.url.clone(), figure.href()))
            .collect(),
        links: prose::link_definitions(source.text()),
        link_budget: std::cell::Cell::new(prose::link_budget(source.text())),
        inputs: inputs(runbook),
        used: references(runbook),
        allow_html: options.allow_html,
        theme,
    };
    let text = match options.format {
        Format::Html => html::page(&rendering)?,
        Format::Markdown => markdown::page(&rendering),
        Format::MdBook => mdbook::chapter(&rendering)?,
    };
    let stem = source
        .path()
        .file_stem()
        .map_or("runbook".into(), |stem| stem.to_string_lossy());
    Ok(Page {
        runbook: source.path().to_path_buf(),
        file_name: format!("{stem}.{}", options.format.extension()),
        text,
        figures,
    })
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}

/// Every `input.*` block of the runbook, in run order.
pub fn inputs(runbook: &Runbook) -> Vec<Input> {
    let text = |value: &serde_json::Value| value.as_str().map(str::to_string);
    runbook
        .actions()
        .filter(|(_, action)| action.def.namespace() == "input")
        .map(|(step, action)| {
            let default = text(&action.params()["default"]);
            Input {
                id: action.id.clone(),
                prompt: text(&action.params()["prompt"]).unwrap_or_default(),
                default: default.as_deref().map(template::placeholder),
                default_template: default.filter(|d| template::is_template(d)),
                help: text(&action.params()["help"]),
                step: step.id.clone(),
                step_title: step.title.clone(),
            }
        })
        .collect()
}

/// Every name the runbook's templates and `when` expressions refer to: `device_name`,
/// `duo.serial_number`, and each dotted name's root (`duo`).
pub fn references(runbook: &Runbook) -> HashSet<String> {
    fn strings<'v>(value: &'v serde_json::Value, out: &mut Vec<&'v str>) {
        match value {
            serde_json::Value::String(text) => out.push(text),
            serde_json::Value::Array(items) => items.iter().for_each(|item| strings(item, out)),
            serde_json::Value::Object(map) => map.values().for_each(|item| strings(item, out)),
            _ => {}
        }
    }
    let mut used = HashSet::new();
    for (_, action) in runbook.actions() {
        let mut texts = Vec::new();
        strings(action.params(), &mut texts);
        let mut names: Vec<String> = texts
            .into_iter()
            .flat_map(|text| template::template_references(text).unwrap_or_default())
            .collect();
        if let Some(when) = &action.when {
            names.extend(template::expression_references(when).unwrap_or_default());
        }
        for name in names {
            if let Some((root, _)) = name.split_once('.') {
                used.insert(root.to_string());
            }
            used.insert(name);
        }
    }
    used
}

/// What was written for one runbook.
#[derive(Debug)]
pub struct Written {
    pub page: PathBuf,
    /// Image files copied (or already in place).
    pub figures: usize,
}

/// The output folder, and what has been written there in this run (so two runbooks
/// can't overwrite each other's page or figures).
#[derive(Debug)]
pub struct Site {
    out: PathBuf,
    pages: HashMap<PathBuf, PathBuf>,
    figures: HashMap<PathBuf, PathBuf>,
}

impl Site {
    pub fn new(out: impl Into<PathBuf>) -> Site {
        Site {
            out: out.into(),
            pages: HashMap::new(),
            figures: HashMap::new(),
        }
    }

    /// Write a page and copy its figures.
    pub fn write(&mut self, page: &Page) -> Result<Written, RenderError> {
        let output = |path: &Path| {
            let path = path.to_path_buf();
            move |error| RenderError::Output { path, error }
        };
        std::fs::create_dir_all(&self.out).map_err(output(&self.out))?;
        let path = self.out.join(&page.file_name);
        if let Some(other) = self.pages.get(&path)
            && other != &page.runbook
        {
            return Err(RenderError::Conflict(format!(
                "`{}` and `{}` would both be written to `{}`; render them to different --out folders",
                other.display(),
                page.runbook.display(),
                path.display()
            )));
        }
        if images::same_file(&path, &page.runbook) {
            return Err(RenderError::Conflict(format!(
                "rendering `{}` to `{}` would overwrite the runbook itself; choose another --out folder",
                page.runbook.display(),
                self.out.display()
            )));
        }
        for figure in &page.figures {
            let target = self.out.join(&figure.target);
            let source = figure
                .source
                .canonicalize()
                .unwrap_or_else(|_| figure.source.clone());
            match self.figures.get(&target) {
                Some(copied) if copied == &source => continue,
                Some(copied) => {
                    return Err(RenderError::Conflict(format!(
                        "`{}` and `{}` would both be copied to `{}`; render these runbooks to different --out folders",
                        copied.display(),
                        figure.source.display(),
                        target.display()
                    )));
                }
                None => {}
            }
            // Only the bytes of a checked image file of the guide's are ever written; they
            // are checked again as they are read.
            let image = figure.image.as_ref().ok_or_else(|| {
                RenderError::Figure(format!(
                    "`{}` is not an image file of the guide's; `runbook check` says why",
                    figure.url
                ))
            })?;
            // Copying a file onto itself would empty it.
            if !images::same_file(&figure.source, &target) {
                let bytes = crate::bind::figure::read(image)
                    .map_err(|error| RenderError::Figure(error.to_string()))?;
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent).map_err(output(parent))?;
                }
                write_new(&target, &bytes).map_err(output(&target))?;
            }
            self.figures.insert(target, source);
        }
        std::fs::write(&path, &page.text).map_err(output(&path))?;
        self.pages.insert(path.clone(), page.runbook.clone());
        let targets: HashSet<&Path> = page.figures.iter().map(|f| f.target.as_path()).collect();
        Ok(Written {
            page: path,
            figures: targets.len(),
        })
    }
}

/// Write `bytes` to `path`, replacing a file there but never writing through a symbolic
/// link planted at the target (the old file is removed first).
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    match std::fs::symlink_metadata(path) {
        Ok(_) => std::fs::remove_file(path)?,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(bytes)
}
