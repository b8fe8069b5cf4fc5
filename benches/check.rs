//! Parse/check throughput: `runbook::bind::check::check_source` on generated runbooks of about
//! 100 KB, 1 MB and 10 MB, next to a bare pulldown-cmark pass over the same text (the floor:
//! `check` cannot be faster than the parse it builds on). The two phases of `check`,
//! `parser::parse` and `binder::bind`, are timed too, to show where the time goes.
//!
//! ```sh
//! cargo bench --bench check                 # full criterion run
//! cargo bench --bench check -- --quick      # a shorter run
//! cargo test --bench check                  # each benchmark once (what CI's `cargo test --all-targets` does)
//! ```
//!
//! The generated files are also written to `target/bench/check-<size>.md`, for whole-process
//! measurements such as `/usr/bin/time -v target/release/runbook check target/bench/check-10MB.md`.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use runbook::parse::source::Source;

// The allocator of the `runbook` binary (src/main.rs), for both sides of the comparison.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The sizes benchmarked: a label and a lower bound in bytes.
const SIZES: [(&str, usize); 3] = [("100KB", 100_000), ("1MB", 1_000_000), ("10MB", 10_000_000)];

/// A valid runbook of at least `min_bytes`, the same bytes every time: a title, an identity
/// step, then parts of steps in the guide's style (prose, lists, links, images, shell
/// examples, a tip) whose action blocks use templates referring to earlier outputs. Every
/// step id and block id is unique.
fn generate(min_bytes: usize) -> String {
    let mut out = String::with_capacity(min_bytes + 4096);
    out.push_str("# Generated benchmark runbook: many MFA devices\n\n");
    out.push_str(
        "This runbook is generated for benchmarks. It reads like the guide: prose with \
         **bold**, *emphasis*, `code` and [links](https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa.html), \
         lists, images and action blocks.\n\n",
    );
    out.push_str("## Prerequisites\n\nYou need permission to manage MFA devices.\n\n");
    out.push_str("```sts.get-caller-identity id=me\n```\n\n");
    let mut n = 0usize;
    let mut part = 0usize;
    while out.len() < min_bytes {
        if n.is_multiple_of(20) {
            part += 1;
            out.push_str(&format!(
                "## Part {part} – Devices {} to {}\n\nThis part sets up twenty devices. \
                 Each one is created, enabled with two consecutive codes and listed.\n\n",
                n + 1,
                n + 20
            ));
        }
        n += 1;
        step(&mut out, n);
    }
    out.push_str("## Summary\n\nEvery device above is enabled.\n\n");
    out.push_str(
        "```iam.list-mfa-devices id=final\nuser = \"{{ me.user_name }}\"\nexpect = [\"virtual_count >= 1\"]\n```\n",
    );
    out
}

/// One step, about 1.5 KB; every fourth is manual, every fourth has a shell example.
fn step(out: &mut String, n: usize) {
    let kind = n % 4;
    out.push_str(&format!(
        "### {n}. Set up the *virtual* device number {n}\n\n\
         1. In the **Select MFA Device** interface, enter a device name (e.g., `Device-{n}`).\n\
         2. Select **Authenticator App** as the MFA device type, then click **Next**.\n\
         3. See [the IAM documentation](https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_enable_virtual.html#step-{n}) for details.\n\n\
         Multi‑factor authentication adds a second factor to your password — if one device \
         isn’t available, you can still sign in with another. Device {n} is one of many.\n\n"
    ));
    if kind == 0 {
        out.push_str(&format!(
            "![Screenshot of step {n}](https://docs.aws.amazon.com/images/IAM/latest/UserGuide/step{n}.png)\n\n\
             > **Tip:** This step is manual: do it in the console, then confirm.\n\n"
        ));
        return;
    }
    out.push_str(&format!(
        "```input.text id=name_{n}\n\
         prompt = \"Name for virtual MFA device {n}\"\n\
         default = \"{{{{ me.user_name }}}}-device-{n}\"\n\
         pattern = '[A-Za-z0-9+=,.@_-]{{1,64}}'\n\
         help = \"IAM device names allow letters, digits and +=,.@_- but no spaces.\"\n\
         ```\n\n\
         ```iam.create-virtual-mfa-device id=dev_{n}\n\
         name = \"{{{{ name_{n} }}}}\"\n\
         user = \"{{{{ me.user_name }}}}\"\n\
         when = \"not me.is_root\"\n\
         ```\n\n\
         ```totp.consecutive-codes id=codes_{n}\n\
         seed = \"{{{{ dev_{n}.seed }}}}\"\n\
         app = \"Duo Mobile\"\n\
         when = \"not me.is_root\"\n\
         ```\n\n\
         ```iam.enable-mfa-device id=enabled_{n}\n\
         user = \"{{{{ me.user_name }}}}\"\n\
         serial_number = \"{{{{ dev_{n}.serial_number }}}}\"\n\
         code1 = \"{{{{ codes_{n}.code1 }}}}\"\n\
         code2 = \"{{{{ codes_{n}.code2 }}}}\"\n\
         when = \"not me.is_root\"\n\
         ```\n\n"
    ));
    if kind == 2 {
        out.push_str(&format!(
            "The same with the AWS CLI:\n\n\
             ```sh\n\
             aws iam list-mfa-devices --user-name \"$USER_{n}\" --query 'MFADevices[].SerialNumber'\n\
             ```\n\n"
        ));
    }
    out.push_str(&format!(
        "```iam.list-mfa-devices id=list_{n}\n\
         user = \"{{{{ me.user_name }}}}\"\n\
         expect = [\"virtual_count >= 1\", \"count < 8\"]\n\
         ```\n\n\
         | field | value |\n|---|---|\n| device | `{{{{ name_{n} }}}}` |\n| step | {n} |\n\n"
    ));
}

fn bench_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench")
}

fn check(c: &mut Criterion) {
    let _ = std::fs::create_dir_all(bench_dir());
    let mut group = c.benchmark_group("check");
    group.sample_size(10);
    for (label, min_bytes) in SIZES {
        let text = generate(min_bytes);
        let _ = std::fs::write(bench_dir().join(format!("check-{label}.md")), &text);
        // The generated runbook must check clean (no error, no warning), or `check` would be
        // timed on a diagnostic path.
        let checked = runbook::bind::check::check_source(Source::new("generated.md", text.clone()));
        assert!(
            checked.diagnostics.is_empty() && checked.runbook.is_some(),
            "the generated {label} runbook does not check:\n{}",
            checked.render_diagnostics(false)
        );
        drop(checked);

        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("pulldown-cmark", label),
            &text,
            |b, text| {
                b.iter(|| {
                    pulldown_cmark::Parser::new_ext(
                        black_box(text),
                        runbook::parse::markdown::options(),
                    )
                    .into_offset_iter()
                    .count()
                })
            },
        );
        group.bench_with_input(BenchmarkId::new("check_source", label), &text, |b, text| {
            b.iter_batched(
                || Source::new("generated.md", text.clone()),
                |source| runbook::bind::check::check_source(black_box(source)),
                BatchSize::LargeInput,
            )
        });
        let source = Source::new("generated.md", text.clone());
        group.bench_with_input(BenchmarkId::new("parse", label), &source, |b, source| {
            b.iter(|| runbook::parse::parser::parse(black_box(source)))
        });
        let parsed = runbook::parse::parser::parse(&source);
        group.bench_with_input(BenchmarkId::new("bind", label), &source, |b, source| {
            b.iter(|| runbook::bind::binder::bind(black_box(source), &parsed.document))
        });
    }
    group.finish();
}

criterion_group!(benches, check);
criterion_main!(benches);
