//! Hostile inputs (issue 11, items 5 and 6): one generator per shape that once crashed
//! `runbook` or made it quadratic, each at 1×, 2×, 4× and 8× its base size, timed in
//! process: `check_source`, and for the shapes that check clean, `render` (HTML and
//! Markdown) and the terminal prose `runbook run` prints. The growth from one size to the
//! next should be about 2× (linear).
//!
//! ```sh
//! cargo bench --bench hostile                    # every shape, every size
//! cargo bench --bench hostile -- nested-list     # one shape
//! cargo test --bench hostile                     # each benchmark once, 1× sizes only (CI)
//! HOSTILE_INPUTS=target/bench/hostile cargo bench --bench hostile   # only write the inputs
//! benches/hostile.sh                             # whole-process time and peak memory, before/after
//! ```
//!
//! The generated files are written to `target/bench/hostile/<shape>-<k>x.md` (and the
//! run-time template bombs to `target/bench/hostile/<bomb>-<k>.md`); `benches/hostile.sh`
//! measures `runbook check`, `render` and `run` on them.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{BenchmarkId, Criterion, Throughput};
use runbook::bind::check::{Checked, check_source};
use runbook::parse::source::Source;
use runbook::render::{self, Format, Options, Theme};

/// One hostile shape: `make(n)` is a runbook with `n` repetitions of it; `base` is `n` at 1×.
struct Shape {
    name: &'static str,
    base: usize,
    make: fn(usize) -> String,
}

const TITLE: &str = "# Hostile\n\n## Who am I\n\n```sts.get-caller-identity id=me\n```\n\n";

/// One action whose body is `body`.
fn with_body(body: &str) -> String {
    format!("{TITLE}## List\n\n```iam.list-mfa-devices\nuser = \"alice\"\n{body}```\n")
}

/// One manual step whose prose is `prose` (no action: `runbook run` prints it without AWS).
fn with_prose(prose: &str) -> String {
    format!("# Hostile\n\n## Read this\n\n{prose}\n")
}

const SHAPES: &[Shape] = &[
    // `when = "not not … me.is_root"`: 12,500 to 100,000 `not`s (50 KB to 400 KB).
    Shape {
        name: "deep-not-when",
        base: 12_500,
        make: |n| with_body(&format!("when = \"{}me.is_root\"\n", "not ".repeat(n))),
    },
    // `when = "----1"`.
    Shape {
        name: "deep-minus-when",
        base: 12_500,
        make: |n| with_body(&format!("when = \"{}1\"\n", "-".repeat(n))),
    },
    // The same inside `{{ }}`, in a parameter.
    Shape {
        name: "deep-not-template",
        base: 12_500,
        make: |n| {
            format!(
                "{TITLE}## List\n\n```iam.list-mfa-devices\nuser = \"{{{{ {}me.user_name }}}}\"\n```\n",
                "not ".repeat(n)
            )
        },
    },
    // A left-deep chain: `me.account ~ me.account ~ …`.
    Shape {
        name: "long-chain-template",
        base: 2_500,
        make: |n| {
            let chain = vec!["me.account"; n].join(" ~ ");
            format!(
                "{TITLE}## List\n\n```iam.list-mfa-devices\nuser = \"{{{{ {chain} }}}}\"\n```\n"
            )
        },
    },
    // `## Same` 2,500 to 20,000 times: every heading after the first is a duplicate step.
    Shape {
        name: "duplicate-headings",
        base: 2_500,
        make: |n| {
            let mut out = String::from("# Hostile\n\n");
            for _ in 0..n {
                out.push_str("## Same\n\nThe same step again.\n\n");
            }
            out
        },
    },
    // 1,000 to 8,000 inputs, and as many references to ids that are not defined (each a
    // "did you mean" search over every id).
    Shape {
        name: "undefined-references",
        base: 1_000,
        make: |n| {
            let mut out = String::from(TITLE);
            for k in 0..n {
                out.push_str(&format!(
                    "## Step {k}\n\n```input.text id=name_{k}\nprompt = \"Name {k}\"\n```\n\n\
                     ```iam.list-mfa-devices\nuser = \"{{{{ user_{k} }}}}\"\n```\n\n"
                ));
            }
            out
        },
    },
    // `- - - … x`: a list nested 2,000 to 16,000 deep on one line (4 KB to 32 KB).
    Shape {
        name: "nested-list",
        base: 2_000,
        make: |n| with_prose(&format!("{}x", "- ".repeat(n))),
    },
    // `> > > … x`: 12,500 to 100,000 nested quotes.
    Shape {
        name: "nested-quote",
        base: 12_500,
        make: |n| with_prose(&format!("{}x", "> ".repeat(n))),
    },
    // 12,500 to 100,000 steps, each a heading and a line.
    Shape {
        name: "many-headings",
        base: 12_500,
        make: |n| {
            let mut out = String::from(TITLE);
            for k in 0..n {
                out.push_str(&format!("## Step {k}\n\nDo thing {k}.\n\n"));
            }
            out
        },
    },
    // 6,250 to 50,000 action blocks, ten to a step.
    Shape {
        name: "many-actions",
        base: 6_250,
        make: |n| {
            let mut out = String::from(TITLE);
            for k in 0..n {
                if k % 10 == 0 {
                    out.push_str(&format!("## Step {k}\n\nList the devices.\n\n"));
                }
                out.push_str(&format!(
                    "```iam.list-mfa-devices id=list_{k}\nuser = \"{{{{ me.user_name }}}}\"\n```\n\n"
                ));
            }
            out
        },
    },
    // One TOML string of 1 MB to 8 MB.
    Shape {
        name: "huge-toml-string",
        base: 1_000_000,
        make: |n| {
            format!(
                "{TITLE}## List\n\n```iam.list-mfa-devices\nuser = \"{}\"\n```\n",
                "x".repeat(n)
            )
        },
    },
    // Plain prose, 1.25 MB to 10 MB.
    Shape {
        name: "large-plain",
        base: 1_250_000,
        make: |n| {
            let mut out = String::from(TITLE);
            let mut k = 0;
            while out.len() < n {
                if k % 50 == 0 {
                    out.push_str(&format!("## Part {k}\n\n"));
                }
                out.push_str(&format!(
                    "Paragraph {k}: multi-factor authentication adds a second factor to your \
                     password, so a stolen password alone is not enough to sign in.\n\n"
                ));
                k += 1;
            }
            out
        },
    },
];

/// Template bombs at run time (item 6): an input whose default is `make(k)`.
struct Bomb {
    name: &'static str,
    sizes: [usize; 4],
    make: fn(usize) -> String,
}

fn input_default(default: &str) -> String {
    format!(
        "# Bomb\n\n## Name it\n\n```input.text id=name\nprompt = \"Name\"\ndefault = \"{default}\"\n```\n"
    )
}

const BOMBS: &[Bomb] = &[
    // `k` nested `{% for %}` loops over a 10-character string: 10^k iterations.
    Bomb {
        name: "for-loops",
        sizes: [4, 5, 6, 7],
        make: |k| {
            let open: String = (0..k)
                .map(|i| format!("{{% for v{i} in '0123456789' %}}"))
                .collect();
            input_default(&format!("{open}x{}", "{% endfor %}".repeat(k)))
        },
    },
    // `k` doublings of a string: 2^(k+1) bytes.
    Bomb {
        name: "set-doubling",
        sizes: [24, 26, 28, 30],
        make: |k| {
            input_default(&format!(
                "{{% set s = 'ab' %}}{}{{{{ s|length }}}}",
                "{% set s = s ~ s %}".repeat(k)
            ))
        },
    },
    // The same without statements, which `check` accepts: one string repeated.
    Bomb {
        name: "repeat-expression",
        sizes: [1_000_000, 10_000_000, 50_000_000, 100_000_000],
        make: |k| input_default(&format!("{{{{ 'x' * {k} }}}}")),
    },
];

const FACTORS: [usize; 4] = [1, 2, 4, 8];

fn write_inputs(dir: &Path) {
    std::fs::create_dir_all(dir).expect("create the inputs folder");
    for shape in SHAPES {
        for factor in FACTORS {
            let text = (shape.make)(shape.base * factor);
            std::fs::write(dir.join(format!("{}-{factor}x.md", shape.name)), text)
                .expect("write an input");
        }
    }
    for bomb in BOMBS {
        for k in bomb.sizes {
            std::fs::write(dir.join(format!("{}-{k}.md", bomb.name)), (bomb.make)(k))
                .expect("write an input");
        }
    }
    // Above the file-size limit.
    let mut big = String::from(TITLE);
    let line = "Plain prose, again and again, to make a file larger than the limit.\n\n";
    big.push_str(&line.repeat(64_000_000 / line.len()));
    std::fs::write(dir.join("oversize-64MB.md"), big).expect("write an input");
}

/// The terminal prose `runbook run` prints for every step.
fn terminal(checked: &Checked) -> usize {
    let (Some(source), Some(runbook)) = (&checked.source, &checked.runbook) else {
        return 0;
    };
    runbook
        .steps
        .iter()
        .map(|step| runbook::run::terminal::step_prose(source, &step.prose, Some(80)).len())
        .sum()
}

fn bench(c: &mut Criterion, factors: &[usize]) {
    let theme = Theme::builtin();
    for shape in SHAPES {
        let mut group = c.benchmark_group(shape.name);
        group.sample_size(10);
        for &factor in factors {
            let text = (shape.make)(shape.base * factor);
            let label = format!("{factor}x");
            group.throughput(Throughput::Bytes(text.len() as u64));
            group.bench_with_input(BenchmarkId::new("check", &label), &text, |b, text| {
                b.iter(|| check_source(Source::new("hostile.md", black_box(text.as_str()))))
            });
            let checked = check_source(Source::new("hostile.md", text.as_str()));
            if checked.runbook.is_none() {
                // Diagnostics, rendered as `runbook check` prints them.
                group.bench_with_input(
                    BenchmarkId::new("diagnostics", &label),
                    &checked,
                    |b, checked| b.iter(|| checked.render_diagnostics(false).len()),
                );
                continue;
            }
            for format in [Format::Html, Format::Markdown] {
                let options = Options {
                    format,
                    allow_html: false,
                };
                let id = BenchmarkId::new(format!("render-{}", format.extension()), &label);
                group.bench_with_input(id, &checked, |b, checked| {
                    b.iter(|| render::render(checked, &options, &theme).map(|page| page.text.len()))
                });
            }
            group.bench_with_input(
                BenchmarkId::new("terminal", &label),
                &checked,
                |b, checked| b.iter(|| terminal(checked)),
            );
        }
        group.finish();
    }
}

fn main() {
    if let Some(dir) = std::env::var_os("HOSTILE_INPUTS") {
        write_inputs(&PathBuf::from(dir));
        return;
    }
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs each benchmark once,
    // and there the 1× sizes are enough to show nothing broke.
    let bench_mode = std::env::args().any(|arg| arg == "--bench");
    let factors: &[usize] = if bench_mode { &FACTORS } else { &FACTORS[..1] };
    let mut criterion = Criterion::default().configure_from_args();
    bench(&mut criterion, factors);
    criterion.final_summary();
}
