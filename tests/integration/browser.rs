//! The rendered guide in a real browser: `runbook render runbooks/aws-mfa.md` into a
//! scratch directory, and the page loaded from disk by headless Chromium (Debian's
//! `chromium`, which scripts/setup.sh installs). The page must show the guide's title, every
//! heading and the AWS CLI equivalents, load every figure (`naturalWidth > 0`), log no
//! console error or uncaught exception, and need nothing remote: name resolution is off in
//! the browser, and every resource the page loaded must be a file of the rendered site.
//! Screenshots of the whole page, light and dark, are saved for review under
//! `target/browser-test/` (the paths are printed).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use headless_chrome::protocol::cdp::types::Event;
use headless_chrome::protocol::cdp::{Emulation, Log, Page, Runtime};
use headless_chrome::types::Bounds;
use headless_chrome::{Browser, LaunchOptions, Tab};
use serde_json::Value;

use crate::harness::{Test, root};

/// Debian's Chromium.
const CHROMIUM: &str = "/usr/bin/chromium";

/// The browser window: a laptop screen.
const WIDTH: u32 = 1280;
const HEIGHT: u32 = 900;

/// Chromium offline and quiet: no QUIC, no background or component-update traffic, no
/// sync, no first-run pages, and every host name unresolvable, so a page that needed
/// anything remote fails to load it (and logs an error this test reports). The profile
/// is a fresh temporary directory (headless_chrome makes one per launch).
const FLAGS: [&str; 7] = [
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND",
];

/// What the page shows, read in the browser once it and its images have loaded.
const READ_PAGE: &str = r#"(async () => {
    // Lazy images below the fold would never load in an unscrolled headless window:
    // load them all now, then wait for every image and font.
    for (const img of document.images) img.loading = "eager";
    await Promise.all([...document.images].map(img => img.complete ? null :
        new Promise(done => { img.addEventListener("load", done); img.addEventListener("error", done); })));
    await document.fonts.ready;
    return JSON.stringify({
        title: document.title,
        text: document.body.innerText,
        headings: [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")].map(h => h.textContent),
        images: [...document.images].map(img => ({
            src: img.getAttribute("src"),
            alt: img.getAttribute("alt"),
            naturalWidth: img.naturalWidth,
        })),
        resources: [location.href, ...performance.getEntriesByType("resource").map(e => e.name)],
        height: Math.ceil(document.documentElement.scrollHeight),
    });
})()"#;

#[test]
fn the_rendered_guide_in_a_real_browser() {
    let site = tempfile::tempdir().unwrap();
    Test::new()
        .current_dir(root())
        .args(["render", "runbooks/aws-mfa.md", "--out"])
        .args([site.path().to_str().unwrap()])
        .run()
        .assert_code(0);
    let page = site.path().join("aws-mfa.html");
    assert!(page.is_file(), "no {}", page.display());
    let source = std::fs::read_to_string(root().join("runbooks/aws-mfa.md")).unwrap();
    let figures = figures(&source);
    assert_eq!(figures.len(), 4, "the guide's figures: {figures:?}");
    for (_, file) in &figures {
        assert!(
            site.path().join("images").join(file).is_file(),
            "images/{file} was not copied next to the page"
        );
    }

    let browser = launch();
    let (tab, problems) = open(&browser, &page);
    let shown = read_page(&tab);

    // The guide's title, every heading (steps, parts, and the sections around them), a
    // sentence of its prose and the AWS CLI equivalents of its automated steps.
    let title = headings(&source)[0].clone();
    assert!(
        normalize(shown["title"].as_str().unwrap()).contains(&title),
        "the page's title is {:?}, not the guide's {title:?}",
        shown["title"]
    );
    let shown_headings: Vec<String> = shown["headings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| normalize(h.as_str().unwrap()))
        .collect();
    for heading in headings(&source) {
        assert!(
            shown_headings.iter().any(|h| h.contains(&heading)),
            "no heading {heading:?} on the page; its headings are {shown_headings:#?}"
        );
    }
    let text = normalize(shown["text"].as_str().unwrap());
    for expected in [
        "Securing your Amazon Web Services (AWS) account is critical.",
        "You can register multiple security keys for redundancy.",
        "aws sts get-caller-identity",
        "aws iam create-virtual-mfa-device",
        "aws iam enable-mfa-device",
    ] {
        assert!(
            text.contains(expected),
            "the page does not say {expected:?}; it says:\n{text}"
        );
    }

    // Every figure, with the guide's caption, and every image on the page, loaded.
    let images = shown["images"].as_array().unwrap();
    for (alt, file) in &figures {
        let suffix = format!("images/{file}");
        assert!(
            images.iter().any(|img| {
                img["src"]
                    .as_str()
                    .is_some_and(|src| src.ends_with(&suffix))
                    && img["alt"].as_str().map(normalize).as_deref() == Some(alt.as_str())
            }),
            "no <img> of {suffix} with alt {alt:?} on the page: {images:#?}"
        );
    }
    for img in images {
        assert!(
            img["naturalWidth"].as_u64().unwrap_or(0) > 0,
            "an image did not load: {img}"
        );
    }

    // Nothing but the site's own files.
    let base = format!("file://{}/", site.path().display());
    for resource in shown["resources"].as_array().unwrap() {
        let resource = resource.as_str().unwrap();
        assert!(
            resource.starts_with(&base) || resource.starts_with("data:"),
            "the page loaded {resource}, which is not a file of the rendered site"
        );
    }

    // Screenshots for review: the whole page, light, then dark.
    let height = shown["height"].as_u64().unwrap() as u32;
    let light = screenshot(&tab, height, "aws-mfa.png");
    set_color_scheme(&tab, "dark");
    let height = read_page(&tab)["height"].as_u64().unwrap() as u32;
    let dark = screenshot(&tab, height, "aws-mfa-dark.png");
    eprintln!(
        "the rendered guide in Chromium: {} and {}",
        light.display(),
        dark.display()
    );

    let problems = problems.lock().unwrap();
    assert!(
        problems.is_empty(),
        "the browser reported errors:\n{}",
        problems.join("\n")
    );
}

/// Chromium, headless, with no sandbox (tests may run as root in a container), no GPU and
/// the offline flags above.
fn launch() -> Browser {
    assert!(
        Path::new(CHROMIUM).is_file(),
        "{CHROMIUM} is missing; scripts/setup.sh installs Debian's chromium"
    );
    let options = LaunchOptions {
        path: Some(PathBuf::from(CHROMIUM)),
        headless: true,
        sandbox: false,
        enable_gpu: false,
        ignore_certificate_errors: false,
        window_size: Some((WIDTH, HEIGHT)),
        args: FLAGS.iter().map(OsStr::new).collect(),
        idle_browser_timeout: Duration::from_secs(120),
        ..LaunchOptions::default()
    };
    Browser::new(options).unwrap_or_else(|error| panic!("start {CHROMIUM}: {error}"))
}

/// A new tab with `page` (a file) loaded, and the problems it reports from the start.
type Problems = Arc<Mutex<Vec<String>>>;
fn open(browser: &Browser, page: &Path) -> (Arc<Tab>, Problems) {
    let tab = browser.new_tab().expect("open a tab");
    let problems = listen_for_problems(&tab);
    let url = format!("file://{}", page.display());
    tab.navigate_to(&url)
        .and_then(|tab| tab.wait_until_navigated())
        .unwrap_or_else(|error| panic!("load {url}: {error}"));
    (tab, problems)
}

/// Console errors, uncaught exceptions and browser log errors (such as a resource that
/// failed to load), as they happen.
fn listen_for_problems(tab: &Arc<Tab>) -> Problems {
    let problems = Arc::new(Mutex::new(Vec::new()));
    let sink = problems.clone();
    tab.add_event_listener(Arc::new(move |event: &Event| {
        let problem = match event {
            Event::LogEntryAdded(entry)
                if entry.params.entry.level == Log::LogEntryLevel::Error =>
            {
                let entry = &entry.params.entry;
                Some(format!(
                    "log: {} ({})",
                    entry.text,
                    entry.url.as_deref().unwrap_or("no URL")
                ))
            }
            Event::RuntimeConsoleAPICalled(call)
                if call.params.Type == Runtime::ConsoleAPICalledEventTypeOption::Error =>
            {
                let args: Vec<String> = call
                    .params
                    .args
                    .iter()
                    .map(|arg| match (&arg.value, &arg.description) {
                        (Some(value), _) => value.to_string(),
                        (None, Some(description)) => description.clone(),
                        (None, None) => "?".to_string(),
                    })
                    .collect();
                Some(format!("console.error: {}", args.join(" ")))
            }
            Event::RuntimeExceptionThrown(thrown) => {
                let details = &thrown.params.exception_details;
                let description = details
                    .exception
                    .as_ref()
                    .and_then(|exception| exception.description.clone())
                    .unwrap_or_else(|| details.text.clone());
                Some(format!("uncaught exception: {description}"))
            }
            _ => None,
        };
        if let Some(problem) = problem {
            sink.lock().unwrap().push(problem);
        }
    }))
    .expect("listen to the tab");
    tab.enable_log().expect("enable the log domain");
    tab.enable_runtime().expect("enable the runtime domain");
    problems
}

/// Run [`READ_PAGE`] in the tab.
fn read_page(tab: &Tab) -> Value {
    let result = tab
        .evaluate(READ_PAGE, true)
        .unwrap_or_else(|error| panic!("read the page: {error}"));
    let json = result
        .value
        .as_ref()
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("reading the page returned {result:?}"));
    serde_json::from_str(json).unwrap()
}

/// A screenshot of the whole page (the window made as tall as the page), saved as
/// `target/browser-test/NAME`.
fn screenshot(tab: &Tab, height: u32, name: &str) -> PathBuf {
    // The window's bounds include a margin the page does not get: grow the window until
    // the viewport is as tall as the page.
    let wanted = height.max(HEIGHT);
    let mut window = wanted;
    for _ in 0..3 {
        tab.set_bounds(Bounds::Normal {
            left: None,
            top: None,
            width: Some(f64::from(WIDTH)),
            height: Some(f64::from(window)),
        })
        .expect("resize the window to the page");
        // Let the resized page lay out and paint before measuring (and capturing) it.
        let viewport = tab
            .evaluate(
                "new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(innerHeight))))",
                true,
            )
            .expect("wait for a frame")
            .value
            .and_then(|height| height.as_u64())
            .expect("the viewport's height") as u32;
        if viewport >= wanted {
            break;
        }
        window += wanted - viewport;
    }
    let png = tab
        .capture_screenshot(Page::CaptureScreenshotFormatOption::Png, None, None, true)
        .expect("take a screenshot");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory")
        .join("browser-test");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, png).unwrap();
    path
}

/// Emulate the reader's `prefers-color-scheme`.
fn set_color_scheme(tab: &Tab, scheme: &str) {
    tab.call_method(Emulation::SetEmulatedMedia {
        media: None,
        features: Some(vec![Emulation::MediaFeature {
            name: "prefers-color-scheme".to_string(),
            value: scheme.to_string(),
        }]),
    })
    .expect("emulate the colour scheme");
}

/// The guide's headings (the title first), as text: Markdown emphasis and code marks
/// dropped, spaces normalised. Headings in fenced blocks are not headings.
fn headings(source: &str) -> Vec<String> {
    let mut in_fence = false;
    let mut headings = Vec::new();
    for line in source.lines() {
        if line.starts_with("```") {
            in_fence = !in_fence;
        } else if !in_fence && line.starts_with('#') {
            let text = line.trim_start_matches('#').replace(['*', '`'], "");
            headings.push(normalize(&text));
        }
    }
    headings
}

/// The guide's figures: (caption, file name in runbooks/images/).
fn figures(source: &str) -> Vec<(String, String)> {
    source
        .lines()
        .filter_map(|line| {
            let (alt, target) = line
                .strip_prefix("![")?
                .strip_suffix(')')?
                .rsplit_once("](")?;
            let file = target.strip_prefix("images/")?;
            Some((normalize(alt), file.to_string()))
        })
        .collect()
}

/// Runs of whitespace (non-breaking spaces included) as one space, trimmed.
fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every other guide in `runbooks/` rendered and loaded the same way, in one browser: its
/// title and every heading, the AWS CLI equivalent of each of its AWS calls (from its
/// committed plan), nothing remote, no browser error; screenshots for review.
#[test]
fn every_other_guide_in_a_real_browser() {
    let mut guides: Vec<String> = std::fs::read_dir(root().join("runbooks"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".md") && name != "aws-mfa.md")
        .collect();
    guides.sort();
    assert!(guides.len() >= 3, "only {guides:?} in runbooks/");
    let browser = launch();
    for guide in &guides {
        let stem = guide.trim_end_matches(".md");
        let site = tempfile::tempdir().unwrap();
        Test::new()
            .current_dir(root())
            .args(["render", &format!("runbooks/{guide}"), "--out"])
            .args([site.path().to_str().unwrap()])
            .run()
            .assert_code(0);
        let page = site.path().join(format!("{stem}.html"));
        assert!(page.is_file(), "no {}", page.display());
        let source = std::fs::read_to_string(root().join("runbooks").join(guide)).unwrap();
        let plan: Value = serde_json::from_str(
            &std::fs::read_to_string(root().join(format!("runbooks/{stem}.plan.json"))).unwrap(),
        )
        .unwrap();
        let mut commands: Vec<String> = Vec::new();
        collect_cli(&plan, &mut commands);
        assert!(
            !commands.is_empty(),
            "{guide}: its plan has no AWS CLI equivalent"
        );

        let (tab, problems) = open(&browser, &page);
        let shown = read_page(&tab);

        let title = headings(&source)[0].clone();
        assert!(
            normalize(shown["title"].as_str().unwrap()).contains(&title),
            "{guide}: the page's title is {:?}, not the guide's {title:?}",
            shown["title"]
        );
        let shown_headings: Vec<String> = shown["headings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| normalize(h.as_str().unwrap()))
            .collect();
        for heading in headings(&source) {
            assert!(
                shown_headings.iter().any(|h| h.contains(&heading)),
                "{guide}: no heading {heading:?} on the page; its headings are {shown_headings:#?}"
            );
        }
        let text = normalize(shown["text"].as_str().unwrap());
        for command in &commands {
            assert!(
                text.contains(command.as_str()),
                "{guide}: the page does not show `{command}`; it says:\n{text}"
            );
        }
        let base = format!("file://{}/", site.path().display());
        for resource in shown["resources"].as_array().unwrap() {
            let resource = resource.as_str().unwrap();
            assert!(
                resource.starts_with(&base) || resource.starts_with("data:"),
                "{guide}: the page loaded {resource}, which is not a file of the rendered site"
            );
        }
        let height = shown["height"].as_u64().unwrap() as u32;
        let light = screenshot(&tab, height, &format!("{stem}.png"));
        set_color_scheme(&tab, "dark");
        let height = read_page(&tab)["height"].as_u64().unwrap() as u32;
        let dark = screenshot(&tab, height, &format!("{stem}-dark.png"));
        eprintln!(
            "{guide} in Chromium: {} and {}",
            light.display(),
            dark.display()
        );
        let problems = problems.lock().unwrap();
        assert!(
            problems.is_empty(),
            "{guide}: the browser reported errors:\n{}",
            problems.join("\n")
        );
        let _ = tab.close(true);
    }
}

/// The `aws SERVICE OPERATION` of every `aws_cli` in a plan.
fn collect_cli(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("aws_cli", Value::String(cli)) => {
                        let command: Vec<&str> = cli.split_whitespace().take(3).collect();
                        let command = command.join(" ");
                        if !out.contains(&command) {
                            out.push(command);
                        }
                    }
                    _ => collect_cli(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_cli(item, out)),
        _ => {}
    }
}

/// What a chapter built by mdBook shows of the cards: how many, whether the cards' style
/// sheet applies (the coloured left border), whether the copy script ran (the buttons are
/// shown only by it), and the figures.
const READ_CARDS: &str = r#"(async () => {
    for (const img of document.images) img.loading = "eager";
    await Promise.all([...document.images].map(img => img.complete ? null :
        new Promise(done => { img.addEventListener("load", done); img.addEventListener("error", done); })));
    const cards = [...document.querySelectorAll(".runbook-card .action")];
    return JSON.stringify({
        cards: cards.length,
        visible: cards.filter(card => card.offsetHeight > 0).length,
        styled: cards.filter(card => getComputedStyle(card).borderLeftWidth === "4px").length,
        buttons: [...document.querySelectorAll(".runbook-card button[data-copy]")].filter(b => !b.hidden).length,
        clis: [...document.querySelectorAll(".runbook-card .cli code")].map(c => c.textContent),
        images: [...document.images].map(img => ({ src: img.getAttribute("src"), naturalWidth: img.naturalWidth })),
        text: document.body.innerText,
        resources: [location.href, ...performance.getEntriesByType("resource").map(e => e.name)],
    });
})()"#;

#[test]
fn the_guide_in_an_mdbook_in_a_real_browser() {
    let book = crate::mdbook::book(None);
    let output = crate::mdbook::build(book.path());
    assert!(
        output.status.success(),
        "mdbook build failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let page = book.path().join("book/runbooks/aws-mfa.html");
    let browser = launch();
    let (tab, problems) = open(&browser, &page);
    let result = tab
        .evaluate(READ_CARDS, true)
        .unwrap_or_else(|error| panic!("read the page: {error}"));
    let shown: Value =
        serde_json::from_str(result.value.as_ref().and_then(Value::as_str).unwrap()).unwrap();

    let source = std::fs::read_to_string(root().join("runbooks/aws-mfa.md")).unwrap();
    let blocks = source
        .lines()
        .filter(|line| {
            line.strip_prefix("```")
                .and_then(|info| info.split_whitespace().next())
                .is_some_and(|name| name.contains('.'))
        })
        .count();
    assert_eq!(shown["cards"], blocks, "one card per action block");
    assert_eq!(shown["visible"], blocks, "every card is shown");
    assert_eq!(shown["styled"], blocks, "the cards' style sheet applies");
    let clis: Vec<&str> = shown["clis"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        clis.iter()
            .any(|cli| cli.starts_with("aws iam enable-mfa-device")),
        "{clis:?}"
    );
    assert_eq!(
        shown["buttons"],
        clis.len(),
        "the copy script shows a button for each AWS CLI command"
    );
    let text = normalize(shown["text"].as_str().unwrap());
    assert!(text.contains("Securing your Amazon Web Services (AWS) account is critical."));
    let figures = figures(&source);
    for (_, file) in &figures {
        let suffix = format!("images/{file}");
        assert!(
            shown["images"].as_array().unwrap().iter().any(|img| {
                img["src"]
                    .as_str()
                    .is_some_and(|src| src.ends_with(&suffix))
                    && img["naturalWidth"].as_u64().unwrap_or(0) > 0
            }),
            "figure {file} not loaded: {}",
            shown["images"]
        );
    }
    let base = format!("file://{}/", book.path().join("book").display());
    for resource in shown["resources"].as_array().unwrap() {
        let resource = resource.as_str().unwrap();
        assert!(
            resource.starts_with(&base) || resource.starts_with("data:"),
            "the page loaded {resource}, which is not a file of the built book"
        );
    }
    let height = tab
        .evaluate("document.documentElement.scrollHeight", false)
        .ok()
        .and_then(|r| r.value)
        .and_then(|v| v.as_u64())
        .unwrap_or(u64::from(HEIGHT)) as u32;
    let shot = screenshot(&tab, height.min(16_000), "aws-mfa-mdbook.png");
    eprintln!("the guide in an mdBook, in Chromium: {}", shot.display());
    let problems = problems.lock().unwrap();
    assert!(
        problems.is_empty(),
        "the browser reported errors:\n{}",
        problems.join("\n")
    );
}
