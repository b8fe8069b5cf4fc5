//! Markdown conventions shared by the parser and the renderers: the pulldown-cmark
//! options, GitHub-style heading slugs, and step numbering.

use pulldown_cmark::Options;

/// The Markdown dialect runbooks are written in: GitHub-flavoured, like where they are read.
pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES
}

/// The deepest lists and block quotes are shown nested, in HTML and on the terminal;
/// deeper ones are shown flat at this depth, so what is printed stays proportional to the
/// text (each level of a 16,000-deep list indented by its depth was 96 MB of output for
/// 16 KB of Markdown) and no renderer walks a deep tree.
pub const MAX_SHOWN_DEPTH: usize = 16;

/// GitHub's heading anchor: lowercase, punctuation dropped, each space a hyphen. Any
/// whitespace counts as a space: guides pasted from web pages carry no-break spaces.
pub fn slug(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    for c in text.trim().chars() {
        match c {
            c if c.is_ascii() => match c {
                // `char::is_whitespace`, not `is_ascii_whitespace`: the latter omits U+000B.
                c if c.is_whitespace() => slug.push('-'),
                '-' | '_' => slug.push(c),
                c if c.is_ascii_alphanumeric() => slug.push(c.to_ascii_lowercase()),
                _ => {}
            },
            c if c.is_whitespace() => slug.push('-'),
            c if c.is_alphanumeric() => slug.extend(c.to_lowercase()),
            _ => {}
        }
    }
    slug
}

/// The heading text without a leading step number: `1. Open *My Security Credentials*`
/// → `Open *My Security Credentials*`.
pub fn strip_numbering(text: &str) -> &str {
    let trimmed = text.trim_start();
    let digits = trimmed.len()
        - trimmed
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .len();
    if digits == 0 {
        return text;
    }
    let rest = &trimmed[digits..];
    let rest = rest
        .strip_prefix('.')
        .or_else(|| rest.strip_prefix(')'))
        .unwrap_or(rest);
    if rest.starts_with(char::is_whitespace) {
        rest.trim_start()
    } else {
        text
    }
}

/// A step's id: the slug of its heading with leading numbering stripped.
pub fn step_id(heading: &str) -> String {
    slug(strip_numbering(heading))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_match_github() {
        assert_eq!(slug("Prerequisites"), "prerequisites");
        assert_eq!(slug("Using MFA at Login"), "using-mfa-at-login");
        // GitHub keeps one hyphen per space, so a dropped dash leaves two.
        assert_eq!(
            slug("Part 1 – Enable a Virtual MFA Device (Duo Mobile)"),
            "part-1--enable-a-virtual-mfa-device-duo-mobile"
        );
        assert_eq!(
            slug("Set up the authenticator_app!"),
            "set-up-the-authenticator_app"
        );
        assert_eq!(
            slug("Choose Authenticator\u{a0}App"),
            "choose-authenticator-app"
        );
    }

    #[test]
    fn slugs_match_the_char_by_char_definition() {
        fn reference(text: &str) -> String {
            text.trim()
                .chars()
                .filter_map(|c| match c {
                    c if c.is_whitespace() => Some('-'),
                    '-' | '_' => Some(c),
                    c if c.is_alphanumeric() => Some(c),
                    _ => None,
                })
                .flat_map(char::to_lowercase)
                .collect()
        }
        let samples = [
            "Part 1 – Enable a Virtual MFA Device (Duo Mobile)",
            " \u{b}Tab\tand\u{b}vertical\u{c}feed\r\n ",
            "ÀÉÎ Straße İstanbul ΣΑΣ 名前 ①",
            "a\u{a0}b\u{2003}c\u{200b}d",
            "!\"#$%&'()*+,./:;<=>?@[\\]^`{|}~\u{7f}\u{0}",
        ];
        for sample in samples {
            assert_eq!(slug(sample), reference(sample), "{sample:?}");
        }
        for c in (0..0x3000).filter_map(char::from_u32) {
            let sample = format!("x{c}Y{c}");
            assert_eq!(slug(&sample), reference(&sample), "{c:?}");
        }
    }

    #[test]
    fn step_ids_drop_numbering() {
        assert_eq!(
            step_id("1. Open My Security Credentials"),
            "open-my-security-credentials"
        );
        assert_eq!(step_id("2) Select Security key"), "select-security-key");
        assert_eq!(step_id("10. Ten"), "ten");
        // A number that is part of the title stays.
        assert_eq!(step_id("2FA basics"), "2fa-basics");
        assert_eq!(step_id("Part 1 – Enable"), "part-1--enable");
    }
}
