//! The syntax tree of a runbook, as written: headings, prose blocks, images and action
//! blocks, each with its [`Span`]. Nothing here knows what an action means; that is the
//! binder's job.

use crate::parse::source::Span;

/// A parsed Markdown runbook.
#[derive(Clone, Debug, Default)]
pub struct Document<'s> {
    /// The first level-1 heading.
    pub title: Option<Heading>,
    /// Blocks before the first section (under the title).
    pub intro: Vec<Block<'s>>,
    /// Top-level sections (level 2 and deeper), each with its sub-sections.
    pub sections: Vec<Section<'s>>,
    /// How many action blocks there are, anywhere: for sizing tables before binding.
    pub action_blocks: usize,
    /// `<!-- runbook … -->` comments before the first section (which belong to none).
    pub stray_directives: Vec<Directive<'s>>,
}

/// A `<!-- runbook … -->` comment: settings for the section it is in, invisible where
/// Markdown is shown (GitHub, the rendered page). Its body is TOML, e.g.
/// `<!-- runbook: when = "not me.is_root" -->` or `<!-- runbook: info = true -->`.
#[derive(Clone, Debug)]
pub struct Directive<'s> {
    /// The TOML between `runbook` (and an optional `:`) and `-->`.
    pub body: &'s str,
    pub body_span: Span,
    /// The whole comment.
    pub span: Span,
}

/// A heading and everything up to the next heading of the same or a higher level.
#[derive(Clone, Debug)]
pub struct Section<'s> {
    pub heading: Heading,
    /// Blocks between this heading and the first sub-heading (or the section's end).
    pub blocks: Vec<Block<'s>>,
    /// Its `<!-- runbook … -->` comments (they are not among `blocks`).
    pub directives: Vec<Directive<'s>>,
    pub children: Vec<Section<'s>>,
    /// From the heading to the end of the section.
    pub span: Span,
    /// Set when the section was included from another guide (`include = "…"`).
    pub origin: Option<IncludedFrom>,
}

/// The include that put a section where it is: the section's own spans are in the
/// included file, `value` is the quoted path in the including one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncludedFrom {
    /// The path as written, `aws-mfa.md#set-up-the-authenticator-app`.
    pub written: String,
    pub value: Span,
}

impl Section<'_> {
    /// A section with no sub-sections is a step; one with sub-sections is a part.
    pub fn is_leaf(&self) -> bool {
        self.children.is_empty()
    }
}

#[derive(Clone, Debug)]
pub struct Heading {
    /// 1 for `#`, 2 for `##`, …
    pub level: u8,
    /// The heading's text without markup (`Open My Security Credentials`).
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum Block<'s> {
    /// Any Markdown block that is shown as written: paragraph, list, quote, table, code…
    Prose(Prose),
    Action(ActionBlock<'s>),
}

impl Block<'_> {
    pub fn span(&self) -> Span {
        match self {
            Block::Prose(prose) => prose.span,
            Block::Action(action) => action.span,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Prose {
    pub kind: ProseKind,
    pub span: Span,
    /// Images anywhere inside this block.
    pub images: Vec<Image>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProseKind {
    Paragraph,
    List,
    Quote,
    Code,
    Table,
    Html,
    Rule,
    Other,
}

#[derive(Clone, Debug)]
pub struct Image {
    pub alt: String,
    pub url: String,
    /// The whole `![alt](url)`.
    pub span: Span,
}

/// A fenced block whose info string names an action: ```` ```iam.enable-mfa-device id=x ````.
#[derive(Clone, Debug)]
pub struct ActionBlock<'s> {
    /// The action name and where it is in the info string.
    pub name: &'s str,
    pub name_span: Span,
    pub attributes: Vec<Attribute<'s>>,
    /// The TOML body, exactly as in the file.
    pub body: &'s str,
    /// Where the body starts in the file; body offsets plus this are file offsets.
    pub body_span: Span,
    /// The whole block, fences included.
    pub span: Span,
}

/// `key=value` or a bare `key` after the action name.
#[derive(Clone, Debug)]
pub struct Attribute<'s> {
    pub key: &'s str,
    pub value: Option<&'s str>,
    /// The whole `key=value`.
    pub span: Span,
}

impl<'s> ActionBlock<'s> {
    pub fn attribute(&self, key: &str) -> Option<&Attribute<'s>> {
        self.attributes
            .iter()
            .find(|attribute| attribute.key == key)
    }
}
