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

mod common;
use common::generate;

// The allocator of the `runbook` binary (src/main.rs), for both sides of the comparison.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The sizes benchmarked: a label and a lower bound in bytes.
const SIZES: [(&str, usize); 3] = [("100KB", 100_000), ("1MB", 1_000_000), ("10MB", 10_000_000)];

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
