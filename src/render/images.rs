//! Figures: which images a runbook references, where each is copied next to the page,
//! and the path the page uses for it. `../images2/step1.png` (relative to the runbook's
//! folder) is copied to `OUT/images2/step1.png` and referred to as `images2/step1.png`.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use crate::bind::figure;
use crate::parse::document::{Block, Document, Image, Section};
use crate::parse::source::Span;

/// A local image the page shows: where it is, and where it goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Figure {
    /// The URL as written in the runbook.
    pub url: String,
    /// The file, relative to the current directory (the runbook's folder joined with `url`).
    pub source: PathBuf,
    /// Where it goes, relative to the output folder; also the page's URL for it.
    pub target: PathBuf,
    /// The first `![alt](url)` that shows it.
    pub span: Span,
    /// The checked file (inside the guide's tree, an image); `None` when it is not one a
    /// page may carry, which `check_file` reports as an error, so such a page is never
    /// written.
    pub image: Option<figure::ImageFile>,
}

impl Figure {
    /// The target as a URL path (forward slashes).
    pub fn href(&self) -> String {
        href(&self.target)
    }
}

pub use crate::bind::figure::{has_scheme, is_local};

/// The path a local image gets under the output folder: relative to the runbook's folder,
/// `.` and leading `..` parts dropped, inner `..` resolved. `None` when nothing is left.
pub fn target(url: &str) -> Option<PathBuf> {
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for component in Path::new(url).components() {
        match component {
            Component::Normal(part) => parts.push(part),
            Component::ParentDir => {
                parts.pop();
            }
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    if parts.is_empty() {
        return None;
    }
    Some(parts.iter().collect())
}

fn href(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Every image in the document, in file order.
pub fn all_images<'d>(document: &'d Document<'_>) -> Vec<&'d Image> {
    fn blocks<'d>(blocks: &'d [Block], out: &mut Vec<&'d Image>) {
        for block in blocks {
            if let Block::Prose(prose) = block {
                out.extend(prose.images.iter());
            }
        }
    }
    fn walk<'d>(section: &'d Section, out: &mut Vec<&'d Image>) {
        blocks(&section.blocks, out);
        for child in &section.children {
            walk(child, out);
        }
    }
    let mut out = Vec::new();
    blocks(&document.intro, &mut out);
    for s in &document.sections {
        walk(s, &mut out);
    }
    out.sort_by_key(|image| image.span.start);
    out
}

/// A problem with an image path, found before anything is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FigureProblem {
    /// The URL leaves nothing to copy (`..`, `/`).
    NoFile { url: String, span: Span },
    /// Two different files would be copied to the same place.
    Collision {
        target: PathBuf,
        first: Span,
        second: Span,
    },
}

/// The local figures of a document (one per distinct URL; two URLs may name the same file
/// and target), and any problem with them.
pub fn figures(base: &Path, document: &Document) -> (Vec<Figure>, Vec<FigureProblem>) {
    let mut figures: Vec<Figure> = Vec::new();
    let mut problems = Vec::new();
    let mut by_target: HashMap<PathBuf, usize> = HashMap::new();
    let root = figure::guide_root(base);
    for image in all_images(document) {
        if !is_local(&image.url) || figures.iter().any(|f| f.url == image.url) {
            continue;
        }
        let Some(target) = target(&image.url) else {
            problems.push(FigureProblem::NoFile {
                url: image.url.clone(),
                span: image.span,
            });
            continue;
        };
        let source = base.join(&image.url);
        if let Some(&first) = by_target.get(&target) {
            let first: &Figure = &figures[first];
            if !same_file(&first.source, &source) {
                problems.push(FigureProblem::Collision {
                    target,
                    first: first.span,
                    second: image.span,
                });
                continue;
            }
        } else {
            by_target.insert(target.clone(), figures.len());
        }
        figures.push(Figure {
            url: image.url.clone(),
            source,
            target,
            span: image.span,
            image: figure::resolve(&root, base, &image.url).ok(),
        });
    }
    (figures, problems)
}

/// Whether two paths name the same file: the same file on disk, or (for files that are
/// not there) the same path once `.` and `..` are resolved.
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => figure::lexical(a) == figure::lexical(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_drop_leading_parent_parts() {
        assert_eq!(
            target("../images2/step1.png"),
            Some("images2/step1.png".into())
        );
        assert_eq!(target("./a.png"), Some("a.png".into()));
        assert_eq!(target("../../x/../y/a.png"), Some("y/a.png".into()));
        assert_eq!(target("/abs/a.png"), Some("abs/a.png".into()));
        assert_eq!(target(".."), None);
        assert_eq!(target(""), None);
    }

    #[test]
    fn two_urls_for_one_file_share_a_target() {
        let text = "# T\n\n## S\n\n![a](x.png)\n\n![b](./x.png)\n\n![c](x.png)\n";
        let source = crate::parse::source::Source::new("t.md", text);
        let document = crate::parse::parser::parse(&source).document;
        let (figures, problems) = figures(Path::new(""), &document);
        assert!(problems.is_empty(), "{problems:?}");
        let urls: Vec<&str> = figures.iter().map(|f| f.url.as_str()).collect();
        assert_eq!(urls, ["x.png", "./x.png"]);
        assert!(figures.iter().all(|f| f.target == Path::new("x.png")));
    }

    #[test]
    fn only_local_paths_are_figures() {
        assert!(is_local("../images2/a.png"));
        assert!(is_local("a b.png"));
        assert!(!is_local("https://example.com/a.png"));
        assert!(!is_local("data:image/png;base64,AAAA"));
        assert!(!is_local("javascript:alert(1)"));
        assert!(!is_local("#x"));
    }
}
