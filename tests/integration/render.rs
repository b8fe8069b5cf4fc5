//! `runbook render`: the guide as an HTML page and as plain Markdown. Snapshots of the
//! page's `<main>` and of the Markdown for runbooks/aws-mfa.md; hostile input escaped and
//! sanitised; figures copied next to the page; a missing figure an error at its line;
//! `--theme` replacing one template. (The page in a real browser: browser.rs.)

use std::path::{Path, PathBuf};

use base64::Engine;
use regex::Regex;
use sha2::{Digest, Sha256};

use crate::harness::{Output, Test, root};

/// A 1×1 PNG, standing in for a figure the repository doesn't have.
const STAND_IN_PNG: &[u8] = &[
    137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0,
    0, 0, 144, 119, 83, 222, 0, 0, 0, 12, 73, 68, 65, 84, 120, 218, 99, 248, 255, 255, 63, 0, 5,
    254, 2, 254, 51, 18, 149, 20, 0, 0, 0, 0, 73, 69, 78, 68, 174, 66, 96, 130,
];

/// The guide's local figures: the URL as written and the repository file it names.
fn figures(guide: &str) -> Vec<(String, PathBuf)> {
    let image = Regex::new(r"!\[[^\]]*\]\(([^)\s]+)").unwrap();
    image
        .captures_iter(guide)
        .map(|c| c[1].to_string())
        .filter(|url| !url.contains("://"))
        .map(|url| {
            let file = root().join("runbooks").join(&url);
            (url, file)
        })
        .collect()
}

/// The real guide in a scratch copy of its folder layout (`runbooks/`, `runbooks/images/`), with
/// the repository's figures, or 1×1 stand-ins for any not there yet.
fn guide_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let guide = std::fs::read_to_string(root().join("runbooks/aws-mfa.md")).unwrap();
    std::fs::create_dir_all(dir.path().join("runbooks")).unwrap();
    // A repository, as the guide's is: figures may come from anywhere in its tree.
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::write(dir.path().join("runbooks/aws-mfa.md"), &guide).unwrap();
    for (url, file) in figures(&guide) {
        let copy = dir.path().join("runbooks").join(&url);
        std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
        match std::fs::read(&file) {
            Ok(bytes) => std::fs::write(copy, bytes).unwrap(),
            Err(_) => std::fs::write(copy, STAND_IN_PNG).unwrap(),
        }
    }
    dir
}

fn render(dir: &Path, args: &[&str]) -> Output {
    Test::new()
        .current_dir(dir)
        .args(["render"])
        .args(args.iter().copied())
        .run()
}

/// The page's `<main>` element.
fn main_of(html: &str) -> &str {
    let start = html.find("<main").expect("a <main> element");
    let end = html.find("</main>").expect("a </main>") + "</main>".len();
    &html[start..end]
}

fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path.as_ref())
        .unwrap_or_else(|e| panic!("{}: {e}", path.as_ref().display()))
}

#[test]
fn html_main_snapshot() {
    let dir = guide_copy();
    let output = render(dir.path(), &["runbooks/aws-mfa.md", "--out", "site"]);
    output.assert_code(0);
    assert!(
        output.stdout.contains("site/aws-mfa.html and 4 images"),
        "{}",
        output.stdout
    );
    let html = read(dir.path().join("site/aws-mfa.html"));
    insta::assert_snapshot!(main_of(&html));
}

#[test]
fn markdown_snapshot() {
    let dir = guide_copy();
    render(
        dir.path(),
        &[
            "runbooks/aws-mfa.md",
            "--out",
            "wiki",
            "--format",
            "markdown",
        ],
    )
    .assert_code(0);
    assert!(!dir.path().join("wiki/aws-mfa.html").exists());
    let markdown = read(dir.path().join("wiki/aws-mfa.md"));
    insta::assert_snapshot!(markdown);
}

#[test]
fn the_page_has_every_sentence_figure_and_cli_command_of_the_guide() {
    let dir = guide_copy();
    render(dir.path(), &["runbooks/aws-mfa.md", "--out", "site"]).assert_code(0);
    let html = read(dir.path().join("site/aws-mfa.html"));
    let text = page_text(&html);
    let guide = read(root().join("runbooks/aws-mfa.md"));
    // Every sentence of the guide's prose (markup and action blocks aside).
    let sentences = prose_sentences(&guide);
    assert!(sentences.len() > 25, "{sentences:?}");
    for sentence in sentences {
        assert!(text.contains(&sentence), "the page lacks {sentence:?}");
    }
    // Every figure, copied next to the page with its leading `../` dropped.
    for (url, _) in figures(&guide) {
        let target = url.trim_start_matches("../");
        assert!(
            html.contains(&format!("src=\"{target}\"")),
            "no <img> for {url}"
        );
        assert_eq!(
            std::fs::read(dir.path().join("site").join(target)).unwrap(),
            std::fs::read(dir.path().join("runbooks").join(&url)).unwrap(),
            "{target} is not a copy of {url}"
        );
    }
    // Every AWS CLI equivalent from the plan, each with a copy button.
    let plan = Test::new()
        .current_dir(root())
        .args(["plan", "runbooks/aws-mfa.md", "--format", "json"])
        .run();
    let plan: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    let commands: Vec<String> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|step| step["actions"].as_array().unwrap())
        .filter_map(|action| action["aws_cli"].as_str())
        .map(|cli| cli.replace('<', "&lt;").replace('>', "&gt;"))
        .collect();
    assert!(commands.len() >= 10, "{commands:?}");
    for command in &commands {
        assert!(
            html.contains(&format!("<pre><code>{command}</code></pre>")),
            "no {command}"
        );
    }
    assert_eq!(
        html.matches("<button type=\"button\" class=\"copy\" data-copy")
            .count(),
        commands.len()
    );
    // Headings carry the step ids as anchors, and the table of contents links them.
    for step in plan["steps"].as_array().unwrap() {
        let id = step["id"].as_str().unwrap();
        assert!(html.contains(&format!(" id=\"{id}\">")), "no anchor {id}");
        assert!(
            html.contains(&format!("<a href=\"#{id}\">")),
            "no TOC link to {id}"
        );
    }
    // Inputs with their defaults.
    assert!(html.contains("<code>device_name</code>"));
    assert!(html.contains("&lt;me-user-name&gt;-DuoMobile"));
}

/// The text of an HTML page: tags dropped, the entities this renderer writes decoded.
fn page_text(html: &str) -> String {
    let tags = Regex::new(r"<[^>]*>").unwrap();
    let text = tags
        .replace_all(html, "")
        .replace("&nbsp;", "\u{a0}")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&");
    normalise(&text)
}

fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The guide's prose as plain sentences: action blocks, headings and markup removed.
fn prose_sentences(guide: &str) -> Vec<String> {
    let fence = Regex::new(r"(?ms)^```[a-z]+\.[a-z-]+.*?^```\n").unwrap();
    let prose = fence.replace_all(guide, "");
    let markup = Regex::new(r"\*\*|\*|`|^#+ |^\d+\. |^- |^> |!\[[^\]]*\]\([^)]*\)").unwrap();
    prose
        .lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| markup.replace_all(line.trim(), "").to_string())
        .flat_map(|line| {
            line.split(". ")
                .map(|s| normalise(s).trim_end_matches('.').to_string())
                .collect::<Vec<_>>()
        })
        .map(|s| s.replace("**", "").replace('*', ""))
        .filter(|s| s.len() > 3)
        .collect()
}

#[test]
fn hostile_input_is_escaped_sanitised_and_never_evaluated() {
    let fixtures = root().join("tests/fixtures/render");
    let out = tempfile::tempdir().unwrap();
    render(
        &fixtures,
        &["hostile.md", "--out", out.path().to_str().unwrap()],
    )
    .assert_code(0);
    let html = read(out.path().join("hostile.html"));
    // Only the page's own script, and the policy that allows only it.
    assert_eq!(html.matches("<script").count(), 1, "{html}");
    assert_csp_allows_exactly_the_script(&html);
    let main = main_of(&html);
    assert!(!main.contains("<script"), "{main}");
    assert!(!main.contains("<iframe"), "{main}");
    assert!(!html.to_lowercase().contains("javascript:"), "{main}");
    assert!(!main.contains("data:text"), "{main}");
    // No event handler or style attribute on any element (escaped text may mention them).
    let handler = Regex::new(r#"<[a-zA-Z][^>]*\s(on[a-z]+|style)\s*="#).unwrap();
    assert!(!handler.is_match(main), "{:?}", handler.find(main));
    // Template syntax is never evaluated: literal braces in prose (`{{ '{{' }}`) are
    // text, a reference in prose is a placeholder, and parameters are shown as written.
    assert!(main.contains("template syntax {{ 7*7 }}"), "{main}");
    assert!(
        main.contains("{% for x in y %}{{ x }}{% endfor %}"),
        "{main}"
    );
    assert!(
        main.contains("<code><var class=\"runbook-ref\">‹7*7›</var></code>"),
        "{main}"
    );
    assert!(
        main.contains("from <code>{{ answer }}-{{ 7*7 }}</code>"),
        "{main}"
    );
    assert!(
        main.contains("--user-name &lt;answer&gt;-&lt;7-7&gt;"),
        "{main}"
    );
    assert!(!Regex::new(r"\b49\b").unwrap().is_match(main), "{main}");
    // Hostile text in parameters is shown escaped.
    assert!(
        main.contains("&lt;script&gt;alert(11)&lt;&#x2f;script&gt; What is"),
        "{main}"
    );
    // Safe markup and links survive; unsafe links keep their text.
    assert!(
        main.contains("<a href=\"https://example.com/docs\""),
        "{main}"
    );
    assert!(main.contains("javascript link,"), "{main}");
    assert!(main.contains("Click here."), "{main}");
    assert!(main.contains("<b>now</b>"), "{main}");

    // The Markdown keeps template syntax as written and evaluates nothing.
    render(
        &fixtures,
        &[
            "hostile.md",
            "--out",
            out.path().to_str().unwrap(),
            "--format",
            "markdown",
        ],
    )
    .assert_code(0);
    let markdown = read(out.path().join("hostile.md"));
    assert!(markdown.contains("template syntax {{ 7*7 }}"), "{markdown}");
    assert!(markdown.contains("Type `‹7*7›`"), "{markdown}");
    assert!(markdown.contains("default `<7-7>`"), "{markdown}");
    assert!(!markdown.contains("```input.text"), "{markdown}");
    assert!(
        !Regex::new(r"\b49\b").unwrap().is_match(&markdown),
        "{markdown}"
    );
}

fn assert_csp_allows_exactly_the_script(html: &str) {
    let csp = Regex::new(r#"<meta http-equiv="Content-Security-Policy" content="([^"]+)">"#)
        .unwrap()
        .captures(html)
        .expect("a Content Security Policy")[1]
        .to_string();
    let script = Regex::new(r"(?s)<script>(.*?)</script>")
        .unwrap()
        .captures(html)
        .expect("the copy script")[1]
        .to_string();
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script.as_bytes()));
    assert!(
        csp.contains(&format!("script-src 'sha256-{hash}'")),
        "{csp} does not allow the script"
    );
    assert!(csp.contains("default-src 'none'"), "{csp}");
}

#[test]
fn allow_html_keeps_the_runbooks_raw_html() {
    let fixtures = root().join("tests/fixtures/render");
    let out = tempfile::tempdir().unwrap();
    let out = out.path().to_str().unwrap();
    render(&fixtures, &["allow-html.md", "--out", out, "--allow-html"]).assert_code(0);
    let html = read(Path::new(out).join("allow-html.html"));
    let main = main_of(&html);
    assert!(
        main.contains(
            r#"<div class="note" style="border: 1px solid">A <em>styled</em> note.</div>"#
        ),
        "{main}"
    );
    assert!(main.contains("<details><summary>More</summary>"), "{main}");
    assert!(main.contains("<kbd>Ctrl</kbd>"), "{main}");
    // Markdown links to `javascript:` are dropped all the same.
    assert!(main.contains("A bad link stays text."), "{main}");
    assert!(!html.contains("javascript:"), "{main}");
    // Trusted HTML may need more than the policy allows, so there is none.
    assert!(!html.contains("Content-Security-Policy"));

    // Sanitised (the default): safe elements stay, attributes that could style or script go,
    // and a raw block that spans Markdown (<details> … </details>) stays whole.
    render(&fixtures, &["allow-html.md", "--out", out]).assert_code(0);
    let html = read(Path::new(out).join("allow-html.html"));
    let main = main_of(&html);
    assert!(
        main.contains("<div>A <em>styled</em> note.</div>"),
        "{main}"
    );
    assert!(
        Regex::new(r"(?s)<details><summary>More</summary>\s*<p>Hidden detail.</p>\s*</details>")
            .unwrap()
            .is_match(main),
        "{main}"
    );
    assert!(main.contains("<kbd>Ctrl</kbd>"), "{main}");
}

#[test]
fn a_missing_figure_is_an_error_at_its_line() {
    let fixtures = root().join("tests/fixtures/render");
    let out = tempfile::tempdir().unwrap();
    let output = render(
        &fixtures,
        &["missing-image.md", "--out", out.path().to_str().unwrap()],
    );
    output.assert_code(1);
    assert!(
        output
            .stderr
            .contains("error[missing-image]: image `img/missing.png` not found"),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("--> missing-image.md:7:1"),
        "{}",
        output.stderr
    );
    assert!(!out.path().join("missing-image.html").exists());
    // `runbook check` still only warns.
    Test::new()
        .current_dir(&fixtures)
        .args(["check", "missing-image.md"])
        .run()
        .assert_code(0);
}

#[test]
fn an_invalid_runbook_is_not_rendered() {
    let fixtures = root().join("tests/fixtures/invalid");
    let out = tempfile::tempdir().unwrap();
    let output = render(
        &fixtures,
        &["unknown-action.md", "--out", out.path().to_str().unwrap()],
    );
    output.assert_code(1);
    assert!(
        output.stderr.contains("error[unknown-action]"),
        "{}",
        output.stderr
    );
    assert!(!out.path().join("unknown-action.html").exists());
}

#[test]
fn figures_keep_their_paths_without_leading_parent_parts() {
    let fixtures = root().join("tests/fixtures/render");
    let out = tempfile::tempdir().unwrap();
    render(
        &fixtures,
        &["figures.md", "--out", out.path().to_str().unwrap()],
    )
    .assert_code(0);
    let html = read(out.path().join("figures.html"));
    let dot = std::fs::read(fixtures.join("img/dot.png")).unwrap();
    // `../render/img/dot.png` → `render/img/dot.png`; `img/dot.png` stays.
    for target in ["render/img/dot.png", "img/dot.png"] {
        assert!(html.contains(&format!("<img src=\"{target}\"")), "{target}");
        assert_eq!(std::fs::read(out.path().join(target)).unwrap(), dot);
    }
    // A lone image is a figure with its title (or alt text) as the caption.
    assert!(html.contains("<figcaption>The dot</figcaption>"));
    // Lists in steps are checklists; a Markdown task keeps its state.
    assert_eq!(html.matches("class=\"task-box\"").count(), 2);
    assert!(html.contains(r#"class="task-box" checked"#));
    // A step without action blocks is manual.
    assert!(html.contains(r#"<section class="step step-manual" aria-labelledby="step-two">"#));
}

#[test]
fn theme_replaces_one_template_and_keeps_the_others() {
    let fixtures = root().join("tests/fixtures/render");
    let theme = tempfile::tempdir().unwrap();
    std::fs::write(
        theme.path().join("action.html"),
        "<p class=\"my-card\">{{ action.name }}: {{ action.aws_cli or \"no CLI\" }}</p>\n",
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    render(
        &fixtures,
        &[
            "figures.md",
            "--out",
            out.path().to_str().unwrap(),
            "--theme",
            theme.path().to_str().unwrap(),
        ],
    )
    .assert_code(0);
    let html = read(out.path().join("figures.html"));
    assert!(
        html.contains(
            "<p class=\"my-card\">sts.get-caller-identity: aws sts get-caller-identity</p>"
        ),
        "{html}"
    );
    assert!(!html.contains("class=\"action\""));
    // The built-in page, table of contents and style are still there.
    assert!(html.contains("<nav class=\"toc\""));
    assert!(html.contains("prefers-color-scheme: dark"));
    assert!(html.contains("class=\"skip-link\""));

    // A broken template is a usage error naming the file.
    std::fs::write(theme.path().join("toc.html"), "{% for %}").unwrap();
    let output = render(
        &fixtures,
        &[
            "figures.md",
            "--out",
            out.path().to_str().unwrap(),
            "--theme",
            theme.path().to_str().unwrap(),
        ],
    );
    output.assert_code(2);
    assert!(output.stderr.contains("toc.html"), "{}", output.stderr);
    // So is a theme folder that isn't there.
    render(
        &fixtures,
        &["figures.md", "--out", "x", "--theme", "no-such-theme"],
    )
    .assert_code(2);
}

#[test]
fn a_page_never_overwrites_its_runbook() {
    let test = Test::new().file(
        "guide.md",
        "# Guide\n\n## Step\n\nText.\n\n```sts.get-caller-identity id=me\n```\n",
    );
    let output = test
        .args(["render", "guide.md", "--out", ".", "--format", "markdown"])
        .run();
    output.assert_code(2);
    assert!(
        output.stderr.contains("would overwrite the runbook"),
        "{}",
        output.stderr
    );
}

#[test]
fn several_runbooks_render_into_one_folder() {
    let fixtures = root().join("tests/fixtures/render");
    let out = tempfile::tempdir().unwrap();
    let output = render(
        &fixtures,
        &[
            "figures.md",
            "allow-html.md",
            "missing-image.md",
            "--out",
            out.path().to_str().unwrap(),
        ],
    );
    // One bad runbook fails the command; the others are still rendered.
    output.assert_code(1);
    assert!(out.path().join("figures.html").is_file());
    assert!(out.path().join("allow-html.html").is_file());
    assert!(!out.path().join("missing-image.html").exists());
}

#[test]
fn render_help_names_the_options() {
    let output = Test::new().args(["render", "--help"]).run();
    output.assert_code(0);
    for option in [
        "--out",
        "--format",
        "--theme",
        "--allow-html",
        "action.html",
    ] {
        assert!(
            output.stdout.contains(option),
            "{option} missing:\n{}",
            output.stdout
        );
    }
}

#[test]
fn the_real_guide_renders_in_place_with_its_figures() {
    let out = tempfile::tempdir().unwrap();
    let output = Test::new()
        .current_dir(root())
        .args(["render", "runbooks/aws-mfa.md", "--out"])
        .args([out.path().to_str().unwrap()])
        .run();
    output.assert_code(0);
    let guide = read(root().join("runbooks/aws-mfa.md"));
    let figures = figures(&guide);
    assert_eq!(figures.len(), 4, "{figures:?}");
    for (url, file) in figures {
        let copy = out.path().join(url.trim_start_matches("../"));
        assert_eq!(
            std::fs::read(copy).unwrap(),
            std::fs::read(file).unwrap(),
            "{url}"
        );
    }
    // The same page as from the scratch copy the snapshot is taken from.
    let dir = guide_copy();
    render(dir.path(), &["runbooks/aws-mfa.md", "--out", "site"]).assert_code(0);
    assert_eq!(
        read(out.path().join("aws-mfa.html")),
        read(dir.path().join("site/aws-mfa.html"))
    );
}

/// Images name files to publish: only image files of the guide's own tree may be copied.
/// An absolute path, `/proc/self/environ`, a `..` climbing out, a symbolic link to a
/// credentials file, a text file named `.png`, a FIFO and an oversized file are each an
/// error of `runbook check` at the image's line, and `render` writes nothing at all.
#[test]
fn only_image_files_inside_the_guide_are_published() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("home");
    std::fs::create_dir_all(outside.join(".aws")).unwrap();
    // A stand-in credentials line (no real key, nor AWS's documented example): what must
    // never be copied next to the page.
    let secret = "aws_secret_access_key = runbook-test-stand-in-secret-not-a-key";
    std::fs::write(
        outside.join(".aws/credentials"),
        format!("[default]\n{secret}\n"),
    )
    .unwrap();
    std::fs::write(outside.join("outside.png"), STAND_IN_PNG).unwrap();
    let guide = dir.path().join("guide");
    std::fs::create_dir_all(guide.join("img")).unwrap();
    std::fs::write(guide.join("img/ok.png"), STAND_IN_PNG).unwrap();
    symlink(outside.join(".aws/credentials"), guide.join("link.png")).unwrap();
    symlink(outside.join("outside.png"), guide.join("outside-link.png")).unwrap();
    std::fs::write(guide.join("notes.png"), format!("{secret}\n")).unwrap();
    std::fs::File::create(guide.join("huge.png"))
        .unwrap()
        .set_len(64 * 1024 * 1024)
        .unwrap();
    let fifo = std::ffi::CString::new(guide.join("pipe.png").to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    let climb = "../".repeat(12) + "etc/passwd";
    let images = [
        ("/etc/shadow", "image-outside-guide"),
        ("/proc/self/environ", "image-outside-guide"),
        (climb.as_str(), "image-outside-guide"),
        ("../home/outside.png", "image-outside-guide"),
        ("link.png", "image-outside-guide"),
        ("outside-link.png", "image-outside-guide"),
        ("notes.png", "not-an-image"),
        ("pipe.png", "not-an-image"),
        ("img", "not-an-image"),
        ("huge.png", "image-too-large"),
    ];
    let mut text = String::from("# T\n\n## S\n\n![fine](img/ok.png)\n");
    for (i, (url, _)) in images.iter().enumerate() {
        text.push_str(&format!("\n![figure {i}]({url})\n"));
    }
    std::fs::write(guide.join("r.md"), &text).unwrap();
    let check = Test::new()
        .current_dir(&guide)
        .args(["check", "r.md"])
        .run();
    check.assert_code(1);
    for (i, (url, code)) in images.iter().enumerate() {
        // Line 5 is the fine figure; the others follow every two lines.
        let line = 7 + 2 * i;
        assert!(
            check.stderr.contains(&format!("error[{code}]")),
            "{url}: {}",
            check.stderr
        );
        assert!(
            check.stderr.contains(&format!("--> r.md:{line}:1")),
            "{url} at line {line}: {}",
            check.stderr
        );
    }
    assert_eq!(
        check.stderr.matches("error[").count(),
        images.len(),
        "{}",
        check.stderr
    );
    assert!(!check.stderr.contains("img/ok.png"), "{}", check.stderr);
    assert!(check.stderr.contains("help: "), "{}", check.stderr);
    for format in ["html", "markdown"] {
        let out = dir.path().join(format!("site-{format}"));
        let render = render(
            &guide,
            &["r.md", "--format", format, "--out", out.to_str().unwrap()],
        );
        render.assert_code(1);
        assert!(!out.exists() || std::fs::read_dir(&out).unwrap().next().is_none());
        assert!(!render.stdout.contains(secret) && !render.stderr.contains(secret));
    }
    // The same runbook with only the fine figure renders, and copies exactly it.
    std::fs::write(guide.join("r.md"), "# T\n\n## S\n\n![fine](img/ok.png)\n").unwrap();
    let out = dir.path().join("site");
    render(&guide, &["r.md", "--out", out.to_str().unwrap()]).assert_code(0);
    assert_eq!(std::fs::read(out.join("img/ok.png")).unwrap(), STAND_IN_PNG);
    let mut written: Vec<_> = walk(&out);
    written.sort();
    assert_eq!(written, ["img/ok.png", "r.html"]);
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(
                walk(&path)
                    .into_iter()
                    .map(|p| format!("{}/{p}", path.file_name().unwrap().to_string_lossy())),
            );
        } else {
            out.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    out
}

/// References in prose and in code blocks are placeholders on the page (no run fills them
/// in), in HTML a styled `<var>` and in Markdown the same `‹…›` text; literal braces
/// stay text, and the raw `{{ … }}` never appears.
#[test]
fn prose_references_are_placeholders() {
    let fixtures = root().join("tests/fixtures/run");
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().to_str().unwrap();
    render(&fixtures, &["prose.md", "--out", out_dir]).assert_code(0);
    let main = main_of(&read(out.path().join("prose.html"))).to_string();
    let var = |name: &str| format!("<var class=\"runbook-ref\">‹{name}›</var>");
    assert!(
        main.contains(&format!(
            "Signed in as <strong>{}</strong>",
            var("me.user_name")
        )),
        "{main}"
    );
    assert!(
        main.contains(&format!(
            "mfa_serial = arn:aws:iam::{}:mfa/{}",
            var("me.account"),
            var("me.user_name")
        )),
        "{main}"
    );
    assert!(
        main.contains(&format!("[profile {}-mfa]", var("me.user_name"))),
        "{main}"
    );
    assert!(main.contains("look like {{ me.user_name }}."), "{main}");
    assert_eq!(main.matches("{{").count(), 1, "{main}");

    render(
        &fixtures,
        &["prose.md", "--out", out_dir, "--format", "markdown"],
    )
    .assert_code(0);
    let markdown = read(out.path().join("prose.md"));
    assert!(
        markdown.contains("mfa_serial = arn:aws:iam::‹me.account›:mfa/‹me.user_name›\n"),
        "{markdown}"
    );
    assert!(
        markdown.contains("look like {{ me.user_name }}."),
        "{markdown}"
    );
    assert_eq!(markdown.matches("{{").count(), 1, "{markdown}");
}

/// A `for_each` action's card says what it loops over and what the item is called.
#[test]
fn a_loop_is_shown_on_its_card() {
    let out = tempfile::tempdir().unwrap();
    let output = render(
        &root(),
        &[
            "tests/fixtures/run/loop.md",
            "--out",
            out.path().to_str().unwrap(),
        ],
    );
    output.assert_code(0);
    let html = read(out.path().join("loop.html"));
    assert!(
        main_of(&html).contains(
            "Once for each item of <code>virtual.devices</code> (as <code>device</code>)."
        ),
        "{}",
        main_of(&html)
    );
}
