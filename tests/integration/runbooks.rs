//! Every runbook shipped in runbooks/ passes `check`, and the guide keeps every sentence
//! of the original.

use crate::harness::{Test, root};

#[test]
fn every_runbook_passes_check() {
    let mut files: Vec<String> = std::fs::read_dir(root().join("runbooks"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .map(|path| format!("runbooks/{}", path.file_name().unwrap().to_str().unwrap()))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let output = Test::new()
        .current_dir(root())
        .args(["check"])
        .args(files.clone())
        .run();
    output.assert_code(0);
    assert!(!output.stderr.contains("error["), "{}", output.stderr);
    for file in files {
        assert!(
            output.stdout.contains(&format!("ok: {file} (")),
            "{}",
            output.stdout
        );
    }
}

#[test]
fn aws_mfa_keeps_every_line_of_the_original_guide() {
    let runbook = std::fs::read_to_string(root().join("runbooks/aws-mfa.md")).unwrap();
    let original = include_str!("../fixtures/aws-mfa-original.md");
    let lines: Vec<&str> = runbook.lines().collect();
    let images: Vec<&str> = lines.iter().filter_map(|line| image_target(line)).collect();
    for line in original.lines().filter(|l| !l.trim().is_empty()) {
        // Figures live in images2/ at the repository root, one folder up from runbooks/.
        let expected = line.replace("](images2/", "](../images2/");
        // A figure keeps its file; its caption says what the figure really shows (a
        // capture of the engine's sandbox run, not the console), so it may differ.
        let kept = match image_target(&expected) {
            Some(target) => images.contains(&target),
            None => lines.contains(&expected.as_str()),
        };
        assert!(kept, "the runbook lost this line of the guide:\n{line}");
    }
}

/// The target of a line that is just an image, `![alt](target)`.
fn image_target(line: &str) -> Option<&str> {
    line.strip_prefix("![")?
        .strip_suffix(')')?
        .rsplit_once("](")
        .map(|(_, target)| target)
}
