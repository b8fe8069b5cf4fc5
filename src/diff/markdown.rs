//! A diff as GitHub-flavoured Markdown, fit for a pull-request comment: everything taken
//! from a guide is in a code span or a fenced block, or escaped, so a guide's text cannot
//! add markup, links or images to the comment.

use std::fmt::Write;

use crate::diff::text::{conditions, kind, value};
use crate::diff::{ActionDiff, AttentionKind, GuideReport, PlanDiff, Report, Status, StepDiff};
use crate::render::words::{self, escape_markdown};

/// A code span on one line, whatever the text holds.
fn code_span(code: &str) -> String {
    words::code_span(&code.replace(['\n', '\r'], " "))
}

/// A fenced block that survives backticks in its content, indented by `indent`.
fn fenced(out: &mut String, indent: &str, info: &str, lines: &[String]) {
    let longest = lines
        .iter()
        .flat_map(|l| l.split(|c| c != '`'))
        .map(str::len)
        .max()
        .unwrap_or(0);
    let fence = "`".repeat((longest + 1).max(3));
    let _ = writeln!(out, "{indent}{fence}{info}");
    for line in lines {
        let _ = writeln!(out, "{indent}{line}");
    }
    let _ = writeln!(out, "{indent}{fence}");
}

fn text(text: &str) -> String {
    // Also `#`, `|`, `!` and `~`, which start headings, tables, images and strikethrough.
    let mut out = String::new();
    for c in escape_markdown(&text.replace(['\n', '\r'], " ")).chars() {
        if matches!(c, '#' | '|' | '!' | '~') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn status(status: Status) -> &'static str {
    match status {
        Status::Added => "added",
        Status::Removed => "removed",
        Status::Changed => "changed",
    }
}

pub fn render(report: &Report) -> String {
    let mut out = String::from("## Runbook changes\n");
    for guide in &report.guides {
        out.push('\n');
        render_guide(&mut out, guide);
    }
    out
}

fn render_guide(out: &mut String, guide: &GuideReport) {
    if let Some(invalid) = &guide.invalid {
        let _ = writeln!(out, "### {}: does not check\n", code_span(&guide.file));
        for (side, diagnostics) in [("old", &invalid.old), ("new", &invalid.new)] {
            let Some(diagnostics) = diagnostics else {
                continue;
            };
            let _ = writeln!(
                out,
                "The {side} version has errors; nothing was compared:\n"
            );
            let lines: Vec<String> = diagnostics.join("\n").lines().map(str::to_string).collect();
            fenced(out, "", "text", &lines);
            out.push('\n');
        }
        return;
    }
    if let Some(diff) = &guide.diff {
        render_diff(out, &guide.file, diff);
    }
}

fn render_diff(out: &mut String, file: &str, diff: &PlanDiff) {
    let _ = writeln!(out, "### {}: {}\n", code_span(file), text(&diff.title));
    if diff.new_guide {
        let _ = writeln!(out, "A new guide: every step is added.\n");
    }
    if diff.removed_guide {
        let _ = writeln!(out, "The guide is removed: every step is removed.\n");
    }
    if let Some(old) = &diff.old_title {
        let _ = writeln!(out, "Title was: {}\n", text(old));
    }
    if !diff.changed() {
        let _ = writeln!(
            out,
            "No automation change (prose, formatting or line numbers only)."
        );
        return;
    }
    if !diff.attention.is_empty() {
        let _ = writeln!(out, "> [!WARNING]\n> **Needs attention**");
        for item in &diff.attention {
            let what = match item.kind {
                AttentionKind::ChangesAws => "changes AWS",
                AttentionKind::RunsAsRoot => "may run as root",
            };
            // `why` is the engine's own words (ids and names in backticks).
            let _ = writeln!(
                out,
                "> - **{what}**: {} {} in step {} ({})",
                code_span(item.action_name),
                code_span(&item.action),
                code_span(&item.step),
                item.why
            );
        }
        out.push('\n');
    }
    let words = diff.summary.words();
    if !words.is_empty() {
        let _ = writeln!(out, "**Changes:** {words}.\n");
    }
    for step in &diff.steps {
        render_step(out, step);
    }
}

fn render_step(out: &mut String, step: &StepDiff) {
    let _ = write!(
        out,
        "- **{} step** “{}” ({}, {})",
        status(step.change),
        text(&step.title),
        code_span(&step.id),
        kind(step.kind)
    );
    if step.change != Status::Changed
        && let Some(part) = &step.part
    {
        let _ = write!(out, " in {}", text(part));
    }
    out.push('\n');
    let pad = "  ";
    if let Some(title) = &step.old_title {
        let _ = writeln!(out, "{pad}- renamed from “{}”", text(title));
    }
    if let Some(id) = &step.old_id {
        let _ = writeln!(out, "{pad}- id was {}", code_span(id));
    }
    if let Some(old) = step.old_kind {
        let _ = writeln!(out, "{pad}- kind: {} → {}", kind(old), kind(step.kind));
    }
    if let Some(part) = &step.part_change {
        let name = |p: &Option<String>| p.as_ref().map_or("(no part)".into(), |p| text(p));
        let _ = writeln!(
            out,
            "{pad}- part: {} → {}",
            name(&part.old),
            name(&part.new)
        );
    }
    if let Some(moved) = &step.moved {
        let _ = writeln!(
            out,
            "{pad}- moved: now {}, was {}",
            place(&moved.after),
            place(&moved.was_after)
        );
    }
    if let Some(when) = &step.when {
        let _ = writeln!(
            out,
            "{pad}- only when: {} → {}",
            code_span(&conditions(&when.old)),
            code_span(&conditions(&when.new))
        );
    }
    for action in &step.actions {
        render_action(out, action);
    }
}

fn place(after: &Option<String>) -> String {
    after.as_ref().map_or_else(
        || "first".to_string(),
        |a| format!("after {}", code_span(a)),
    )
}

fn render_action(out: &mut String, action: &ActionDiff) {
    let changes = if action.mutating {
        " — **changes AWS**"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "  - {} action {} ({}){changes}",
        status(action.change),
        code_span(&action.id),
        code_span(action.action)
    );
    let pad = "    ";
    if let Some(id) = &action.old_id {
        let _ = writeln!(out, "{pad}- id was {}", code_span(id));
    }
    if let Some(old) = action.old_action {
        let _ = writeln!(out, "{pad}- was {}", code_span(old));
    }
    if let Some(moved) = &action.moved {
        match &moved.from_step {
            Some(step) => {
                let _ = writeln!(
                    out,
                    "{pad}- moved from step {}, now {}",
                    code_span(step),
                    place(&moved.after)
                );
            }
            None => {
                let _ = writeln!(out, "{pad}- moved: now {}", place(&moved.after));
            }
        }
    }
    for param in &action.params {
        if action.change == Status::Added {
            let _ = writeln!(
                out,
                "{pad}- {} = {}",
                code_span(&param.name),
                code_span(&value(param.new.as_ref()))
            );
        } else {
            let _ = writeln!(
                out,
                "{pad}- {}: {} → {}",
                code_span(&param.name),
                code_span(&value(param.old.as_ref())),
                code_span(&value(param.new.as_ref()))
            );
        }
    }
    if let Some(when) = &action.when {
        let show = |w: &Option<String>| w.clone().unwrap_or_else(|| "always".into());
        if action.change == Status::Added {
            let _ = writeln!(out, "{pad}- only when: {}", code_span(&show(&when.new)));
        } else {
            let _ = writeln!(
                out,
                "{pad}- only when: {} → {}",
                code_span(&show(&when.old)),
                code_span(&show(&when.new))
            );
        }
    }
    if let Some(each) = &action.for_each {
        let show = |w: &Option<String>| w.clone().unwrap_or_else(|| "(once)".into());
        let _ = writeln!(
            out,
            "{pad}- for each: {} → {}",
            code_span(&show(&each.old)),
            code_span(&show(&each.new))
        );
    }
    if let Some(confirm) = &action.confirm {
        let _ = writeln!(out, "{pad}- confirm: {} → {}", confirm.old, confirm.new);
    }
    for (sign, list, what) in [
        ("added", &action.expect_added, "expectation"),
        ("removed", &action.expect_removed, "expectation"),
        ("added", &action.findings_added, "finding check"),
        ("removed", &action.findings_removed, "finding check"),
    ] {
        for item in list {
            let _ = writeln!(out, "{pad}- {what} {sign}: {}", code_span(item));
        }
    }
    if let Some(cli) = &action.aws_cli {
        let mut lines = Vec::new();
        if let Some(old) = &cli.old {
            lines.push(format!("- {old}"));
        }
        if let Some(new) = &cli.new {
            lines.push(format!("+ {new}"));
        }
        let _ = writeln!(out, "{pad}- AWS CLI:");
        fenced(out, "      ", "diff", &lines);
    }
}
