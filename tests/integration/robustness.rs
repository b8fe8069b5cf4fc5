//! No input makes `check` panic: thousands of deterministic mutations of the real guide
//! and of every fixture, each parsed, bound and rendered as diagnostics.

use runbook::bind::check::check_source;
use runbook::parse::source::Source;

use crate::harness::root;

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const PIECES: &[&str] = &[
    "```",
    "~~~",
    "\n",
    "{{",
    "}}",
    "{%",
    "#",
    "## ",
    "> ",
    "- ",
    "1. ",
    "=",
    "\"",
    "'",
    "[",
    "]",
    "id=",
    "é",
    "–",
    "\u{a0}",
    "\t",
    "iam.",
    "```iam.create-virtual-mfa-device id=x\n",
    "![a](b.png)",
    "expect = [",
    "when = \"",
    "\\",
    "<!--",
    "|",
    "`",
];

fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(3) {
            0 => {
                let end = (at + rng.below(40)).min(bytes.len());
                bytes.drain(at..end);
            }
            1 => {
                let piece = PIECES[rng.below(PIECES.len())];
                bytes.splice(at..at, piece.bytes());
            }
            _ => {
                let from = rng.below(bytes.len() + 1);
                let end = (from + rng.below(80)).min(bytes.len());
                let chunk = bytes[from..end].to_vec();
                bytes.splice(at..at, chunk);
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn mutated_runbooks_never_panic() {
    let mut seeds = vec![std::fs::read_to_string(root().join("runbooks/aws-mfa.md")).unwrap()];
    for entry in std::fs::read_dir(root().join("tests/fixtures/invalid")).unwrap() {
        seeds.push(std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut checked = 0;
    for seed in &seeds {
        for _ in 0..150 {
            let text = mutate(seed, &mut rng);
            let result = std::panic::catch_unwind(|| {
                let checked = check_source(Source::new("fuzz.md", text.clone()));
                checked.render_diagnostics(false);
            });
            assert!(result.is_ok(), "check panicked on this input:\n{text}");
            checked += 1;
        }
    }
    assert!(checked > 3000);
}
