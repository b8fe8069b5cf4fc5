//! A diff as plain text for a terminal (the CLI escapes control characters).

use std::fmt::Write;

use serde_json::Value;

use crate::bind::runbook::StepKind;
use crate::diff::{
    ActionDiff, Attention, AttentionKind, GuideReport, GuideStatus, PlanDiff, Report, Status,
    StepDiff,
};

/// A parameter's value on one line: JSON (strings quoted), or `(none)`.
pub fn value(value: Option<&Value>) -> String {
    value.map_or_else(|| "(none)".to_string(), |v| v.to_string())
}

pub fn kind(kind: StepKind) -> &'static str {
    match kind {
        StepKind::Manual => "manual",
        StepKind::Automated => "automated",
        StepKind::Info => "explains",
    }
}

pub fn attention_words(item: &Attention) -> String {
    let what = match item.kind {
        AttentionKind::ChangesAws => "changes AWS",
        AttentionKind::RunsAsRoot => "may run as root",
    };
    format!(
        "{what}: {} {} in step {} ({})",
        item.action_name, item.action, item.step, item.why
    )
}

/// `none`, or the conditions joined with `and`.
pub fn conditions(when: &[String]) -> String {
    if when.is_empty() {
        "none".into()
    } else {
        when.join(" and ")
    }
}

fn sign(status: Status) -> char {
    match status {
        Status::Added => '+',
        Status::Removed => '-',
        Status::Changed => '~',
    }
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for (i, guide) in report.guides.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        render_guide(&mut out, guide);
    }
    out
}

fn render_guide(out: &mut String, guide: &GuideReport) {
    match (&guide.diff, &guide.invalid) {
        (_, Some(invalid)) => {
            let _ = writeln!(out, "{}: not compared", guide.file);
            for (side, diagnostics) in [("old", &invalid.old), ("new", &invalid.new)] {
                if let Some(diagnostics) = diagnostics {
                    let _ = writeln!(
                        out,
                        "  the {side} version does not check ({} error{}, shown above)",
                        diagnostics.len(),
                        if diagnostics.len() == 1 { "" } else { "s" }
                    );
                }
            }
        }
        (Some(diff), None) => render_diff(out, &guide.file, diff),
        (None, None) => {}
    }
    debug_assert!(guide.status != GuideStatus::Invalid || guide.invalid.is_some());
}

fn render_diff(out: &mut String, file: &str, diff: &PlanDiff) {
    let _ = writeln!(out, "{file}: {}", diff.title);
    if diff.new_guide {
        let _ = writeln!(out, "A new guide: every step is added.");
    }
    if diff.removed_guide {
        let _ = writeln!(out, "The guide is removed: every step is removed.");
    }
    if let Some(old) = &diff.old_title {
        let _ = writeln!(out, "title: \"{old}\" -> \"{}\"", diff.title);
    }
    if !diff.changed() {
        let _ = writeln!(
            out,
            "No automation change (prose, formatting or line numbers only)."
        );
        return;
    }
    let words = diff.summary.words();
    if !words.is_empty() {
        let _ = writeln!(out, "Changes: {words}.");
    }
    if !diff.attention.is_empty() {
        let _ = writeln!(out, "\nNeeds attention:");
        for item in &diff.attention {
            let _ = writeln!(out, "  ! {}", attention_words(item));
        }
    }
    if !diff.steps.is_empty() {
        let _ = writeln!(out, "\nSteps:");
    }
    for step in &diff.steps {
        render_step(out, step);
    }
}

fn render_step(out: &mut String, step: &StepDiff) {
    let _ = write!(
        out,
        "  {} step {} \"{}\" ({})",
        sign(step.change),
        step.id,
        step.title,
        kind(step.kind)
    );
    if step.change != Status::Changed
        && let Some(part) = &step.part
    {
        let _ = write!(out, " in \"{part}\"");
    }
    out.push('\n');
    let pad = "      ";
    if let Some(title) = &step.old_title {
        let _ = writeln!(out, "{pad}renamed from \"{title}\"");
    }
    if let Some(id) = &step.old_id {
        let _ = writeln!(out, "{pad}id was {id}");
    }
    if let Some(old) = step.old_kind {
        let _ = writeln!(out, "{pad}kind: {} -> {}", kind(old), kind(step.kind));
    }
    if let Some(part) = &step.part_change {
        let name = |p: &Option<String>| {
            p.as_ref()
                .map_or("(no part)".into(), |p| format!("\"{p}\""))
        };
        let _ = writeln!(out, "{pad}part: {} -> {}", name(&part.old), name(&part.new));
    }
    if let Some(moved) = &step.moved {
        let _ = writeln!(
            out,
            "{pad}moved: now {}, was {}",
            place(&moved.after),
            place(&moved.was_after)
        );
    }
    if let Some(when) = &step.when {
        let _ = writeln!(
            out,
            "{pad}only when: {} -> {}",
            conditions(&when.old),
            conditions(&when.new)
        );
    }
    for action in &step.actions {
        render_action(out, action);
    }
}

fn place(after: &Option<String>) -> String {
    after
        .as_ref()
        .map_or_else(|| "first".to_string(), |a| format!("after {a}"))
}

fn render_action(out: &mut String, action: &ActionDiff) {
    let changes = if action.mutating { "  CHANGES AWS" } else { "" };
    let _ = writeln!(
        out,
        "      {} action {} ({}){changes}",
        sign(action.change),
        action.id,
        action.action
    );
    let pad = "          ";
    if let Some(id) = &action.old_id {
        let _ = writeln!(out, "{pad}id was {id}");
    }
    if let Some(old) = action.old_action {
        let _ = writeln!(out, "{pad}was {old}");
    }
    if let Some(moved) = &action.moved {
        match &moved.from_step {
            Some(step) => {
                let _ = writeln!(
                    out,
                    "{pad}moved from step {step}, now {}",
                    place(&moved.after)
                );
            }
            None => {
                let _ = writeln!(out, "{pad}moved: now {}", place(&moved.after));
            }
        }
    }
    for param in &action.params {
        if action.change == Status::Added {
            let _ = writeln!(out, "{pad}{} = {}", param.name, value(param.new.as_ref()));
        } else {
            let _ = writeln!(
                out,
                "{pad}{}: {} -> {}",
                param.name,
                value(param.old.as_ref()),
                value(param.new.as_ref())
            );
        }
    }
    if let Some(when) = &action.when {
        let show = |w: &Option<String>| w.clone().unwrap_or_else(|| "always".into());
        if action.change == Status::Added {
            let _ = writeln!(out, "{pad}only when: {}", show(&when.new));
        } else {
            let _ = writeln!(
                out,
                "{pad}only when: {} -> {}",
                show(&when.old),
                show(&when.new)
            );
        }
    }
    if let Some(each) = &action.for_each {
        let show = |w: &Option<String>| w.clone().unwrap_or_else(|| "(once)".into());
        let _ = writeln!(
            out,
            "{pad}for each: {} -> {}",
            show(&each.old),
            show(&each.new)
        );
    }
    if let Some(confirm) = &action.confirm {
        let _ = writeln!(out, "{pad}confirm: {} -> {}", confirm.old, confirm.new);
    }
    for expect in &action.expect_added {
        let _ = writeln!(out, "{pad}+ expects: {expect}");
    }
    for expect in &action.expect_removed {
        let _ = writeln!(out, "{pad}- expects: {expect}");
    }
    for check in &action.findings_added {
        let _ = writeln!(out, "{pad}+ checks: {check}");
    }
    for check in &action.findings_removed {
        let _ = writeln!(out, "{pad}- checks: {check}");
    }
    if let Some(cli) = &action.aws_cli {
        let show = |c: &Option<String>| c.as_ref().map_or("(none)".into(), |c| format!("$ {c}"));
        match action.change {
            Status::Changed => {
                let _ = writeln!(out, "{pad}AWS CLI before: {}", show(&cli.old));
                let _ = writeln!(out, "{pad}AWS CLI after:  {}", show(&cli.new));
            }
            Status::Added => {
                let _ = writeln!(out, "{pad}{}", show(&cli.new));
            }
            Status::Removed => {
                let _ = writeln!(out, "{pad}was: {}", show(&cli.old));
            }
        }
    }
}
