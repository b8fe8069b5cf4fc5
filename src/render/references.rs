//! The `{{ … }}` tags of a guide's prose on a page, where there is no run to fill them in:
//! each expression becomes a readable placeholder (`‹me.user_name›`, in HTML a
//! `<var class=runbook-ref>` element), a literal (`{{ '{{' }}`) its text. Nothing is
//! evaluated, and the page's HTML stays escaped.

use crate::parse::template::{self, ProseTag};
use crate::render::words::escape_html;

/// A prose block as HTML: `to_html` renders its Markdown, in which each tag was first
/// replaced by a marker of letters and digits (which Markdown leaves alone wherever it
/// is: text, code, links); each marker is then replaced by the tag's placeholder.
pub fn to_html(text: &str, to_html: impl FnOnce(&str) -> String) -> String {
    let tags = template::prose_tags(text);
    if tags.is_empty() {
        return to_html(text);
    }
    // A marker the text cannot hold already.
    let mut marker = String::from("RunbookRef");
    while text.contains(&marker) {
        marker.push('x');
    }
    let mut marked = String::with_capacity(text.len());
    let mut at = 0;
    for (n, range) in tags.iter().enumerate() {
        marked.push_str(&text[at..range.start]);
        marked.push_str(&format!("{marker}{n}{marker}"));
        at = range.end;
    }
    marked.push_str(&text[at..]);
    let html = to_html(&marked);
    let mut out = String::with_capacity(html.len());
    let mut rest = html.as_str();
    let mut in_tag = false;
    while let Some(start) = rest.find(&marker) {
        let after = &rest[start + marker.len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let tag = after[..digits]
            .parse::<usize>()
            .ok()
            .filter(|_| after[digits..].starts_with(&marker))
            .and_then(|n| tags.get(n));
        let Some(range) = tag else {
            out.push_str(&rest[..start + marker.len()]);
            rest = after;
            continue;
        };
        let before = &rest[..start];
        out.push_str(before);
        // Inside a tag (an attribute such as `href` or `alt`): text only. `<` in the page's
        // text is always escaped, so a `<` not yet closed by `>` opens a tag.
        match (before.rfind('<'), before.rfind('>')) {
            (Some(open), Some(close)) => in_tag = open > close,
            (Some(_), None) => in_tag = true,
            (None, Some(_)) => in_tag = false,
            (None, None) => {}
        }
        let tag = &text[range.clone()];
        let shown = escape_html(&template::prose_placeholder(tag));
        match template::prose_tag(tag) {
            ProseTag::Expression(_) if !in_tag => {
                out.push_str("<var class=\"runbook-ref\">");
                out.push_str(&shown);
                out.push_str("</var>");
                in_tag = false;
            }
            _ => out.push_str(&shown),
        }
        rest = &after[digits + marker.len()..];
    }
    out.push_str(rest);
    out
}

/// A prose block as Markdown: each tag as its placeholder.
pub fn to_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for range in template::prose_tags(text) {
        out.push_str(&text[at..range.start]);
        out.push_str(&template::prose_placeholder(&text[range.clone()]));
        at = range.end;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(text: &str) -> String {
        to_html(text, |marked| {
            let mut out = String::new();
            let parser = pulldown_cmark::Parser::new(marked);
            pulldown_cmark::html::push_html(&mut out, parser);
            out
        })
    }

    #[test]
    fn tags_are_placeholders_and_the_page_stays_escaped() {
        assert_eq!(
            html("Hi {{ me.user_name }}, `{{ me.arn }}` {{ '{{' }} x }}"),
            "<p>Hi <var class=\"runbook-ref\">‹me.user_name›</var>, <code><var class=\"runbook-ref\">‹me.arn›</var></code> {{ x }}</p>\n"
        );
        // In an attribute: text, never markup.
        assert_eq!(
            html("![a {{ x }}](p{{ y }}.png)"),
            "<p><img src=\"p‹y›.png\" alt=\"a ‹x›\" /></p>\n"
        );
        assert_eq!(
            html("{{ '<script>' }} {{ a ~ '<b>' }}"),
            "<p>&lt;script&gt; <var class=\"runbook-ref\">‹a ~ &#39;&lt;b&gt;&#39;›</var></p>\n"
        );
        assert_eq!(
            html("RunbookRef {{ a }}"),
            "<p>RunbookRef <var class=\"runbook-ref\">‹a›</var></p>\n"
        );
        assert_eq!(to_markdown("x {{ a.b }} {{ \"{{\" }}"), "x ‹a.b› {{");
    }
}
