//! A runbook's Markdown as safe HTML: rendered with pulldown-cmark in the runbook dialect,
//! links to `javascript:` and the like removed, local image paths rewritten to where the
//! figures are copied, a paragraph holding only an image shown as a figure with its
//! caption, lists in a step shown as checklists, and raw HTML sanitised with ammonia
//! (unless the caller trusts it). Text is never evaluated as a template.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use pulldown_cmark::{BrokenLink, CowStr, Event, Parser, Tag, TagEnd, html};

use crate::parse::markdown;
use crate::render::images;
use crate::render::words::escape_html;

/// How to render prose.
#[derive(Clone, Copy, Debug)]
pub struct ProseOptions<'a> {
    /// Keep raw HTML as written instead of sanitising it.
    pub allow_html: bool,
    /// Render the block's top-level list items as checkboxes (things the reader does).
    pub checklist: bool,
    /// Local image URL as written → URL on the page.
    pub images: &'a HashMap<String, String>,
    /// The document's link reference definitions (`[label]: url "title"`), by normalised
    /// label, so a block rendered on its own still resolves `[text][label]`.
    pub links: &'a HashMap<String, (String, String)>,
    /// What references to `links` may still expand to, in bytes, shared by every block of
    /// a page; a reference past it stays text.
    pub link_budget: &'a Cell<usize>,
}

/// The bytes of URL and title that references to a document's definitions may expand to
/// on one page: pulldown-cmark's own limit for a document (its length, at least 100,000),
/// for the whole page. Blocks are parsed one by one, each with its own limit, so without a
/// shared one a long URL defined once and referred to from every step was repeated in
/// every step (output growing with steps times URL).
pub fn link_budget(text: &str) -> usize {
    text.len().max(100_000)
}

/// A document's link reference definitions, by normalised label.
pub fn link_definitions(text: &str) -> HashMap<String, (String, String)> {
    let parser = Parser::new_ext(text, markdown::options());
    parser
        .reference_definitions()
        .iter()
        .map(|(label, def)| {
            (
                normalise_label(label),
                (
                    def.dest.to_string(),
                    def.title.as_deref().unwrap_or("").to_string(),
                ),
            )
        })
        .collect()
}

/// Labels match case-insensitively, with runs of whitespace as one space.
fn normalise_label(label: &str) -> String {
    label
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn parse<'t>(text: &'t str, options: &ProseOptions<'_>) -> Vec<Event<'t>> {
    let (links, budget) = (options.links, options.link_budget);
    let callback = move |link: BrokenLink<'t>| {
        let (dest, title) = links.get(&normalise_label(&link.reference))?;
        let left = budget.get().checked_sub(dest.len() + title.len())?;
        budget.set(left);
        Some((CowStr::from(dest.clone()), CowStr::from(title.clone())))
    };
    Parser::new_with_broken_link_callback(text, markdown::options(), Some(callback)).collect()
}

/// A Markdown block (or several) as HTML.
pub fn to_html(text: &str, options: &ProseOptions<'_>) -> String {
    let events = transform(parse(text, options), options);
    let mut out = String::new();
    html::push_html(&mut out, events.into_iter());
    finish(out, options)
}

/// The inline content of a heading written in Markdown (`### 2. Choose **App**`), as HTML.
pub fn heading_to_html(text: &str, options: &ProseOptions<'_>) -> String {
    let mut depth = 0usize;
    let mut inside = Vec::new();
    for event in parse(text, options) {
        match &event {
            Event::Start(Tag::Heading { .. }) => depth += 1,
            Event::End(TagEnd::Heading(_)) => depth = depth.saturating_sub(1),
            _ if depth > 0 => inside.push(event),
            _ => {}
        }
    }
    let options = ProseOptions {
        checklist: false,
        ..*options
    };
    let events = transform(inside, &options);
    let mut out = String::new();
    html::push_html(&mut out, events.into_iter());
    finish(out, &options).trim().to_string()
}

fn finish(html: String, options: &ProseOptions<'_>) -> String {
    if options.allow_html {
        html
    } else {
        SANITIZER.clean(&html).to_string()
    }
}

/// Schemes a link may use; anything else (`javascript:`, `vbscript:`, `data:`, …) is dropped.
const LINK_SCHEMES: &[&str] = &["http", "https", "mailto", "tel"];

/// Whether a URL is safe to link to: relative, a fragment, or an allowed scheme.
/// Browsers ignore tabs, newlines and leading spaces in schemes, so this does too.
pub fn safe_link(url: &str) -> bool {
    let cleaned: String = url
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    match cleaned.split_once(':') {
        Some((scheme, _)) if !scheme.contains(['/', '?', '#']) => LINK_SCHEMES.contains(&scheme),
        _ => true,
    }
}

fn safe_image(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    safe_link(url) || lower.starts_with("data:image/")
}

/// The URL the page uses for an image, or `None` to drop it (an unsafe scheme, or a local
/// file that is not among the figures).
fn image_url(url: &str, options: &ProseOptions<'_>) -> Option<String> {
    if images::is_local(url) {
        options.images.get(url).cloned()
    } else if safe_image(url) {
        Some(url.to_string())
    } else {
        None
    }
}

/// What a link or image start became, so its end can match.
enum Open {
    Kept,
    Dropped,
}

fn transform<'a>(events: Vec<Event<'a>>, options: &ProseOptions<'_>) -> Vec<Event<'a>> {
    let figures = figure_paragraphs(&events, |url| image_url(url, options).is_some());
    // Each figure's closing paragraph, and its caption.
    let figure_ends: HashMap<usize, &str> = figures
        .values()
        .map(|(end, caption)| (*end, caption.as_str()))
        .collect();
    let mut out = Vec::with_capacity(events.len());
    // For each open list or block quote, whether it is shown (or flattened: deeper than
    // `MAX_SHOWN_DEPTH`), and how many are shown; for each open item, whether it is shown.
    let mut containers: Vec<bool> = Vec::new();
    let mut shown = 0usize;
    let mut items: Vec<bool> = Vec::new();
    let mut links: Vec<Open> = Vec::new();
    // A dropped image's alt text stays, as plain text.
    let mut images: Vec<Open> = Vec::new();
    // Depth of open lists, and whether a checklist item's label is open.
    let mut lists = 0usize;
    let mut label_open = false;
    let mut skip_paragraph_end = false;
    let mut iter = events.into_iter().enumerate().peekable();
    while let Some((index, event)) = iter.next() {
        if label_open && closes_label(&event) {
            out.push(Event::Html("</label>".into()));
            label_open = false;
        }
        match &event {
            Event::Start(Tag::List(_) | Tag::BlockQuote(_)) => {
                let show = shown < markdown::MAX_SHOWN_DEPTH;
                containers.push(show);
                if !show {
                    if matches!(event, Event::Start(Tag::List(_))) {
                        lists += 1;
                    }
                    continue;
                }
                shown += 1;
            }
            Event::End(TagEnd::List(_) | TagEnd::BlockQuote(_)) => {
                if containers.pop() == Some(false) {
                    if matches!(event, Event::End(TagEnd::List(_))) {
                        lists = lists.saturating_sub(1);
                    }
                    continue;
                }
                shown = shown.saturating_sub(1);
            }
            Event::Start(Tag::Item) => {
                let show = containers.last() != Some(&false);
                items.push(show);
                if !show {
                    // An item of a flattened list: its marker, in its parent's text.
                    out.push(Event::Text(" • ".into()));
                    continue;
                }
            }
            Event::End(TagEnd::Item) if items.pop() == Some(false) => continue,
            _ => {}
        }
        match event {
            Event::Start(Tag::Paragraph) if figures.contains_key(&index) => {
                out.push(Event::Html("<figure>\n".into()));
            }
            Event::End(TagEnd::Paragraph) if figure_ends.contains_key(&index) => {
                let caption = figure_ends.get(&index).copied().unwrap_or_default();
                if !caption.trim().is_empty() {
                    out.push(Event::Html(
                        format!("\n<figcaption>{}</figcaption>", escape_html(caption)).into(),
                    ));
                }
                out.push(Event::Html("\n</figure>\n".into()));
            }
            Event::End(TagEnd::Paragraph) if skip_paragraph_end => {
                skip_paragraph_end = false;
                out.push(Event::Html("</label>\n".into()));
                label_open = false;
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                if safe_link(&dest_url) {
                    links.push(Open::Kept);
                    out.push(Event::Start(Tag::Link {
                        link_type,
                        dest_url,
                        title,
                        id,
                    }));
                } else {
                    links.push(Open::Dropped);
                }
            }
            Event::End(TagEnd::Link) => {
                if let Some(Open::Kept) = links.pop() {
                    out.push(Event::End(TagEnd::Link));
                }
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => match image_url(&dest_url, options) {
                Some(url) => {
                    images.push(Open::Kept);
                    out.push(Event::Start(Tag::Image {
                        link_type,
                        dest_url: CowStr::from(url),
                        title,
                        id,
                    }));
                }
                None => images.push(Open::Dropped),
            },
            Event::End(TagEnd::Image) => {
                if let Some(Open::Kept) = images.pop() {
                    out.push(Event::End(TagEnd::Image));
                }
            }
            Event::Start(Tag::List(start)) => {
                lists += 1;
                if options.checklist && lists == 1 {
                    let tag = match start {
                        Some(1) => "<ol class=\"checklist\">\n".to_string(),
                        Some(n) => format!("<ol class=\"checklist\" start=\"{n}\">\n"),
                        None => "<ul class=\"checklist\">\n".to_string(),
                    };
                    out.push(Event::Html(tag.into()));
                } else {
                    out.push(Event::Start(Tag::List(start)));
                }
            }
            Event::End(TagEnd::List(ordered)) => {
                lists = lists.saturating_sub(1);
                out.push(Event::End(TagEnd::List(ordered)));
            }
            Event::Start(Tag::Item) if options.checklist && lists == 1 => {
                // A loose item starts with a paragraph: the label replaces it.
                let loose = matches!(iter.peek(), Some((_, Event::Start(Tag::Paragraph))));
                if loose {
                    iter.next();
                    skip_paragraph_end = true;
                }
                let checked = match iter.peek() {
                    Some((_, Event::TaskListMarker(checked))) => {
                        let checked = *checked;
                        iter.next();
                        checked
                    }
                    _ => false,
                };
                let checked = if checked { " checked" } else { "" };
                out.push(Event::Html(
                    format!(
                        "<li class=\"task\"><label class=\"task-label\"><input type=\"checkbox\" class=\"task-box\"{checked}> "
                    )
                    .into(),
                ));
                label_open = true;
            }
            other => out.push(other),
        }
    }
    if label_open {
        out.push(Event::Html("</label>".into()));
    }
    out
}

/// Whether an event ends the inline content a checklist label wraps.
fn closes_label(event: &Event<'_>) -> bool {
    match event {
        Event::Start(tag) => !is_inline(tag),
        Event::End(TagEnd::Item) => true,
        Event::Rule => true,
        _ => false,
    }
}

fn is_inline(tag: &Tag<'_>) -> bool {
    matches!(
        tag,
        Tag::Emphasis
            | Tag::Strong
            | Tag::Strikethrough
            | Tag::Superscript
            | Tag::Subscript
            | Tag::Link { .. }
            | Tag::Image { .. }
    )
}

/// Paragraphs that hold one image and nothing else: start index → (end index, caption).
fn figure_paragraphs(
    events: &[Event<'_>],
    kept: impl Fn(&str) -> bool,
) -> HashMap<usize, (usize, String)> {
    let mut figures = HashMap::new();
    let mut i = 0;
    while i < events.len() {
        if let Event::Start(Tag::Paragraph) = &events[i]
            && let Some(Event::Start(Tag::Image {
                title, dest_url, ..
            })) = events.get(i + 1)
            && kept(dest_url)
        {
            let mut j = i + 2;
            let mut alt = String::new();
            let mut nested = 0;
            while j < events.len() {
                match &events[j] {
                    Event::End(TagEnd::Image) if nested == 0 => break,
                    Event::Start(_) => nested += 1,
                    Event::End(_) => nested -= 1,
                    Event::Text(text) | Event::Code(text) => alt.push_str(text),
                    _ => {}
                }
                j += 1;
            }
            let mut k = j + 1;
            while matches!(events.get(k), Some(Event::SoftBreak | Event::HardBreak))
                || matches!(events.get(k), Some(Event::Text(t)) if t.trim().is_empty())
            {
                k += 1;
            }
            if let Some(Event::End(TagEnd::Paragraph)) = events.get(k) {
                let caption = if title.is_empty() {
                    alt
                } else {
                    title.to_string()
                };
                figures.insert(i, (k, caption));
                i = k;
            }
        }
        i += 1;
    }
    figures
}

/// The sanitiser for runbook HTML: ammonia's safe defaults, plus exactly the markup this
/// renderer adds (checklists, figures, table alignment).
static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .add_tags(["input", "label"])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .add_tag_attributes("th", ["style"])
        .add_tag_attributes("td", ["style"])
        .filter_style_properties(HashSet::from(["text-align"]))
        .add_allowed_classes("li", ["task"])
        .add_allowed_classes("label", ["task-label"])
        .add_allowed_classes("input", ["task-box"])
        .add_allowed_classes("ol", ["checklist"])
        .add_allowed_classes("ul", ["checklist"])
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            ("input", "type") if value != "checkbox" => None,
            _ => Some(value.into()),
        });
    builder
});

#[cfg(test)]
mod tests {
    use super::*;

    fn render(text: &str, checklist: bool, allow_html: bool) -> String {
        let images = HashMap::from([("../images2/a.png".to_string(), "images2/a.png".to_string())]);
        let links = link_definitions("[docs]: https://x.test/docs \"Docs\"\n");
        let budget = Cell::new(link_budget(text));
        to_html(
            text,
            &ProseOptions {
                allow_html,
                checklist,
                images: &images,
                links: &links,
                link_budget: &budget,
            },
        )
    }

    #[test]
    fn dangerous_links_keep_their_text_only() {
        let html = render(
            "[click](javascript:alert(1)) and [ok](https://x.test/)",
            false,
            false,
        );
        assert!(!html.contains("javascript"), "{html}");
        assert!(html.contains("click"), "{html}");
        assert!(html.contains("href=\"https://x.test/\""), "{html}");
        // Browsers drop tabs and newlines in a scheme; so does the check. Even trusted HTML
        // mode drops such Markdown links.
        let html = render("[x](<JaVa&#9;ScRiPt:alert(1)>)", false, true);
        assert!(!html.contains("href"), "{html}");
    }

    #[test]
    fn raw_html_is_sanitised_unless_allowed() {
        let text =
            "<script>alert(1)</script>\n\nText <img src=x onerror=alert(1)> <kbd>Ctrl</kbd>\n";
        let html = render(text, false, false);
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(html.contains("<kbd>Ctrl</kbd>"), "{html}");
        let raw = render(text, false, true);
        assert!(raw.contains("<script>"), "{raw}");
    }

    #[test]
    fn lone_images_are_figures_with_rewritten_paths() {
        let html = render("![A caption](../images2/a.png)\n", false, false);
        assert!(html.contains("<figure>"), "{html}");
        assert!(html.contains("src=\"images2/a.png\""), "{html}");
        assert!(
            html.contains("<figcaption>A caption</figcaption>"),
            "{html}"
        );
    }

    #[test]
    fn checklists_wrap_each_item_in_a_label() {
        let html = render(
            "1. Click **Next**.\n2. Done [link](https://x.test/).\n",
            true,
            false,
        );
        assert!(html.contains("<ol class=\"checklist\">"), "{html}");
        assert_eq!(html.matches("<input").count(), 2, "{html}");
        assert_eq!(
            html.matches("<label").count(),
            html.matches("</label>").count()
        );
        assert!(html.contains("<strong>Next</strong>"), "{html}");
        let loose = render("- one\n\n- two\n\n  more\n", true, false);
        assert_eq!(loose.matches("<label").count(), 2, "{loose}");
        assert!(loose.contains("<p>more</p>"), "{loose}");
        let tasks = render("- [x] done\n- [ ] open\n", true, false);
        assert_eq!(tasks.matches("<input").count(), 2, "{tasks}");
        assert_eq!(tasks.matches("checked").count(), 1, "{tasks}");
    }

    #[test]
    fn reference_links_resolve_from_the_whole_document() {
        let html = render("See [the docs][DOCS].", false, false);
        assert!(html.contains("href=\"https://x.test/docs\""), "{html}");
    }

    /// Lists and quotes deeper than `MAX_SHOWN_DEPTH` are shown flat: the HTML holds at
    /// most that many nested elements, whatever the depth written.
    #[test]
    fn deep_nesting_is_shown_flat() {
        let depth = markdown::MAX_SHOWN_DEPTH;
        let html = render(&format!("{}x\n", "- ".repeat(8_000)), true, false);
        assert!(html.matches("<ul").count() <= depth, "{html:.300}");
        assert_eq!(html.matches("<ul").count(), html.matches("</ul>").count());
        assert!(html.len() < 4 * 16_000, "{}", html.len());
        let html = render(&format!("{}x\n", "> ".repeat(100_000)), false, false);
        assert_eq!(html.matches("<blockquote>").count(), depth, "{html:.300}");
        assert_eq!(html.matches("</blockquote>").count(), depth);
        assert!(html.contains("<p>x</p>"), "{html:.300}");
        // Text in flattened items is kept.
        let text = format!("{}deep\n", "- ".repeat(40));
        assert!(render(&text, false, false).contains("deep"));
        let shallow = render("- a\n  - b\n", false, false);
        assert_eq!(shallow.matches("<ul>").count(), 2, "{shallow}");
    }

    /// References to a document's definitions expand to at most the page's budget in
    /// all, however many blocks refer to them.
    #[test]
    fn link_references_share_one_budget() {
        let url = format!("https://x.test/{}", "a".repeat(10_000));
        let links = HashMap::from([("r".to_string(), (url.clone(), String::new()))]);
        let images = HashMap::new();
        let budget = Cell::new(100_000);
        let options = ProseOptions {
            allow_html: false,
            checklist: false,
            images: &images,
            links: &links,
            link_budget: &budget,
        };
        let total: usize = (0..100).map(|_| to_html("[x][r]", &options).len()).sum();
        assert!(total < 120_000, "{total}");
        assert!(to_html("[x][r]", &options).contains("[x][r]"));
    }

    #[test]
    fn template_syntax_is_text() {
        let html = render("Type {{ 7*7 }} and {% if x %}", false, false);
        assert!(html.contains("{{ 7*7 }}"), "{html}");
        assert!(html.contains("{% if x %}"), "{html}");
    }
}
