//! Snapshots for `runbook test`: compare what a run produced with the file stored next to
//! the guide, show a unified diff whose hunks name the step and action they are in,
//! write new snapshots and accept changes with `--update`. In CI (`CI=true`) snapshots
//! are read-only: a missing or changed one fails, and nothing is written.

use std::fmt::Write as _;
use std::path::Path;

use similar::{ChangeTag, DiffOp, TextDiff};

/// What comparing a snapshot found (and did).
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The stored snapshot is byte-identical.
    Matches,
    /// There was none; it was written.
    Written,
    /// It differed and `--update` rewrote it; the diff shows what changed.
    Updated { diff: Diff },
    /// It differs.
    Differs { diff: Diff },
    /// There is none, and none was written (read-only: CI, or a run that did not end as
    /// its answers file says).
    Missing,
}

/// A readable difference between the stored snapshot and this run.
#[derive(Debug, PartialEq, Eq)]
pub struct Diff {
    /// The unified diff, uncoloured.
    pub text: String,
    /// Where the changes are (`step choose-authenticator-app › action duo: …`), in order,
    /// each once.
    pub places: Vec<String>,
}

/// Whether this is a CI run: `CI` is set to anything but an empty string, `0`, `false`
/// or `no` (CI services set `CI=true`).
pub fn is_ci() -> bool {
    ci_value(std::env::var("CI").ok().as_deref())
}

fn ci_value(value: Option<&str>) -> bool {
    value.is_some_and(|value| {
        !matches!(
            value.trim().to_ascii_lowercase().as_str(),
            "" | "0" | "false" | "no"
        )
    })
}

/// How to name the place of a line in a snapshot, from the lines before it.
pub type Locator = fn(&[&str], usize) -> Option<String>;

/// Compare `actual` with the snapshot at `path`; write it when missing, or when it
/// differs and `update` is set — unless `read_only` (CI), when nothing is written.
pub fn check(
    path: &Path,
    actual: &str,
    update: bool,
    read_only: bool,
    locate: Locator,
) -> std::io::Result<Outcome> {
    let stored = match std::fs::read_to_string(path) {
        Ok(stored) => Some(stored),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => return Err(error),
    };
    match stored {
        Some(stored) if stored == actual => Ok(Outcome::Matches),
        Some(stored) => {
            let diff = diff(&stored, actual, locate);
            if update && !read_only {
                write(path, actual)?;
                Ok(Outcome::Updated { diff })
            } else {
                Ok(Outcome::Differs { diff })
            }
        }
        None if read_only => Ok(Outcome::Missing),
        None => {
            write(path, actual)?;
            Ok(Outcome::Written)
        }
    }
}

/// Replace the file atomically: a test interrupted while writing leaves the old one.
fn write(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut file = tempfile::Builder::new()
        .prefix(".runbook-snapshot-")
        .tempfile_in(dir)?;
    std::io::Write::write_all(&mut file, text.as_bytes())?;
    file.persist(path).map_err(|error| error.error)?;
    Ok(())
}

/// Lines of context around each change.
const CONTEXT: usize = 3;

/// A unified diff from `old` (the snapshot) to `new` (this run); each hunk header names
/// where its first change is, as `git diff` names the function.
pub fn diff(old: &str, new: &str, locate: Locator) -> Diff {
    let text_diff = TextDiff::from_lines(old, new);
    let old_lines: Vec<&str> = old.lines().collect();
    let new_lines: Vec<&str> = new.lines().collect();
    let mut text = String::new();
    let mut places: Vec<String> = Vec::new();
    for group in text_diff.grouped_ops(CONTEXT) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let old_range = first.old_range().start..last.old_range().end;
        let new_range = first.new_range().start..last.new_range().end;
        let place = group.iter().find_map(|op| match op {
            DiffOp::Equal { .. } => None,
            DiffOp::Insert { new_index, .. } => locate(&new_lines, *new_index),
            DiffOp::Delete { old_index, .. } | DiffOp::Replace { old_index, .. } => {
                locate(&old_lines, *old_index)
            }
        });
        let _ = writeln!(
            text,
            "@@ -{} +{} @@{}",
            range(&old_range),
            range(&new_range),
            place
                .as_deref()
                .map(|p| format!(" {p}"))
                .unwrap_or_default()
        );
        for op in &group {
            for change in text_diff.iter_changes(op) {
                let sign = match change.tag() {
                    ChangeTag::Equal => ' ',
                    ChangeTag::Delete => '-',
                    ChangeTag::Insert => '+',
                };
                let line = change.value();
                let _ = write!(text, "{sign}{line}");
                if !line.ends_with('\n') {
                    text.push_str("\n\\ No newline at end of file\n");
                }
            }
            // Every changed line's place, for the summary.
            let changed: Vec<(bool, usize)> = match op {
                DiffOp::Equal { .. } => Vec::new(),
                DiffOp::Delete {
                    old_index, old_len, ..
                } => (*old_index..old_index + old_len)
                    .map(|i| (true, i))
                    .collect(),
                DiffOp::Insert {
                    new_index, new_len, ..
                } => (*new_index..new_index + new_len)
                    .map(|i| (false, i))
                    .collect(),
                DiffOp::Replace {
                    old_index,
                    old_len,
                    new_index,
                    new_len,
                } => (*old_index..old_index + old_len)
                    .map(|i| (true, i))
                    .chain((*new_index..new_index + new_len).map(|i| (false, i)))
                    .collect(),
            };
            for (is_old, index) in changed {
                let lines = if is_old { &old_lines } else { &new_lines };
                if let Some(place) = locate(lines, index)
                    && !places.contains(&place)
                {
                    places.push(place);
                }
            }
        }
    }
    // A step named alone adds nothing when one of its actions is named too.
    let named = places.clone();
    places.retain(|place| {
        !named
            .iter()
            .any(|other| other.starts_with(&format!("{place} › ")))
    });
    Diff { text, places }
}

/// `start,len` of a unified diff header (1-based; `start-1,0` for an empty range).
fn range(range: &std::ops::Range<usize>) -> String {
    let len = range.end - range.start;
    match len {
        0 => format!("{},0", range.start),
        1 => format!("{}", range.start + 1),
        _ => format!("{},{len}", range.start + 1),
    }
}

/// Where a transcript line is: the step (and action) it belongs to.
pub fn locate_transcript(lines: &[&str], index: usize) -> Option<String> {
    let mut action = None;
    for line in lines[..=index.min(lines.len().saturating_sub(1))]
        .iter()
        .rev()
    {
        if action.is_none() && (line.starts_with("  action ") || line.starts_with("  manual step"))
        {
            action = Some(line.trim().to_string());
        }
        if let Some(step) = line.strip_prefix("step ") {
            let step = step.split(':').next().unwrap_or(step);
            return Some(match action {
                Some(action) => format!("step {step} › {action}"),
                None => format!("step {step}"),
            });
        }
        if line.starts_with("cleanup:") || line.starts_with("result:") {
            return Some(line.split(':').next().unwrap_or_default().to_string());
        }
    }
    lines.get(index).map(|_| "header".to_string())
}

/// Where a line of the JSON plan is: the input, or the step and action, it belongs to.
pub fn locate_plan(lines: &[&str], index: usize) -> Option<String> {
    let id = |line: &str, indent: usize| -> Option<String> {
        let rest = line.strip_prefix(&" ".repeat(indent))?;
        let value = rest.strip_prefix("\"id\": \"")?;
        Some(
            value
                .trim_end_matches(',')
                .trim_end_matches('"')
                .to_string(),
        )
    };
    let mut action = None;
    let end = index.min(lines.len().saturating_sub(1));
    for line in lines[..=end].iter().rev() {
        if action.is_none()
            && let Some(found) = id(line, 10)
        {
            action = Some(found);
        }
        if let Some(found) = id(line, 6) {
            let in_inputs = lines[..=end]
                .iter()
                .rev()
                .find(|l| l.starts_with("  \"") && !l.starts_with("   "))
                .is_some_and(|l| l.starts_with("  \"inputs\""));
            return Some(match (in_inputs, action) {
                (true, _) => format!("input {found}"),
                (false, Some(action)) => format!("step {found} › action {action}"),
                (false, None) => format!("step {found}"),
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "runbook test transcript, format 1\nguide: g.md\n\nstep a: A\n  action x: input.text\n    output value = \"1\"\n    done\n\nstep b: B\n  action y: iam.create-virtual-mfa-device (changes AWS)\n    param name = \"one\"\n    aws iam CreateVirtualMFADevice name=one → ok\n    done\n\nresult: ok (expected: ok)\n";

    #[test]
    fn hunks_name_the_step_and_action_of_the_change() {
        let new = OLD
            .replace("\"one\"", "\"two\"")
            .replace("name=one", "name=two");
        let diff = diff(OLD, &new, locate_transcript);
        assert!(
            diff.text.starts_with(
                "@@ -8,8 +8,8 @@ step b › action y: iam.create-virtual-mfa-device (changes AWS)\n"
            ),
            "{}",
            diff.text
        );
        for line in [
            "\n-    aws iam CreateVirtualMFADevice name=one → ok\n",
            "\n+    aws iam CreateVirtualMFADevice name=two → ok\n",
            "\n     done\n",
        ] {
            assert!(diff.text.contains(line), "{line:?}\n{}", diff.text);
        }
        assert_eq!(
            diff.places,
            ["step b › action y: iam.create-virtual-mfa-device (changes AWS)"]
        );
    }

    #[test]
    fn a_missing_snapshot_is_written_except_in_ci() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.transcript");
        assert_eq!(
            check(&path, OLD, false, true, locate_transcript).unwrap(),
            Outcome::Missing
        );
        assert!(!path.exists());
        assert_eq!(
            check(&path, OLD, false, false, locate_transcript).unwrap(),
            Outcome::Written
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), OLD);
        assert_eq!(
            check(&path, OLD, false, true, locate_transcript).unwrap(),
            Outcome::Matches
        );
    }

    #[test]
    fn a_change_is_written_only_with_update_outside_ci() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.transcript");
        std::fs::write(&path, OLD).unwrap();
        let new = OLD.replace("\"1\"", "\"2\"");
        for (update, ci) in [(false, false), (true, true), (false, true)] {
            let outcome = check(&path, &new, update, ci, locate_transcript).unwrap();
            assert!(matches!(outcome, Outcome::Differs { .. }), "{outcome:?}");
            assert_eq!(std::fs::read_to_string(&path).unwrap(), OLD);
        }
        let outcome = check(&path, &new, true, false, locate_transcript).unwrap();
        let Outcome::Updated { diff } = outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(diff.places, ["step a › action x: input.text"]);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), new);
    }

    #[test]
    fn plan_lines_are_located_by_step_and_action_ids() {
        let plan = "{\n  \"inputs\": [\n    {\n      \"id\": \"device_name\",\n      \"default\": \"x\"\n    }\n  ],\n  \"steps\": [\n    {\n      \"id\": \"choose\",\n      \"actions\": [\n        {\n          \"id\": \"duo\",\n          \"line\": 42\n        }\n      ]\n    }\n  ]\n}\n";
        let lines: Vec<&str> = plan.lines().collect();
        assert_eq!(locate_plan(&lines, 4).as_deref(), Some("input device_name"));
        assert_eq!(
            locate_plan(&lines, 13).as_deref(),
            Some("step choose › action duo")
        );
        assert_eq!(locate_plan(&lines, 10).as_deref(), Some("step choose"));
    }

    #[test]
    fn ci_is_recognised_by_its_value() {
        for (value, ci) in [
            (Some("true"), true),
            (Some("1"), true),
            (Some("TRUE"), true),
            (Some("false"), false),
            (Some("0"), false),
            (Some(""), false),
            (None, false),
        ] {
            assert_eq!(ci_value(value), ci, "{value:?}");
        }
    }
}
