//! The plan: a deterministic description of what `runbook run` will do, as text for
//! people and JSON for tools and snapshot tests. Nothing in it depends on the machine,
//! the clock or the account.

use std::fmt::Write;

use serde::Serialize;

use crate::bind::action::Output;
use crate::bind::runbook::{Runbook, StepKind};

/// Bumped when the JSON plan changes incompatibly. 2: steps of kind `info`, a step's
/// `when` (its conditions, present when it has any), an action's `findings` and
/// `for_each` (present when set).
pub const PLAN_VERSION: u32 = 2;

#[derive(Debug, Serialize)]
pub struct Plan {
    pub plan_version: u32,
    pub title: String,
    pub inputs: Vec<PlanInput>,
    pub steps: Vec<PlanStep>,
}

#[derive(Debug, Serialize)]
pub struct PlanInput {
    pub id: String,
    pub prompt: serde_json::Value,
    pub default: serde_json::Value,
    pub step: String,
}

#[derive(Debug, Serialize)]
pub struct PlanStep {
    pub id: String,
    pub title: String,
    pub part: Option<String>,
    /// The guide an included step comes from, relative to this one (present only then);
    /// `line` and its actions' lines are in that file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    pub line: usize,
    pub kind: StepKind,
    /// The step runs only when all of these hold.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub when: Vec<String>,
    pub actions: Vec<PlanAction>,
}

#[derive(Debug, Serialize)]
pub struct PlanAction {
    pub id: String,
    /// Whether `id` was written in the runbook (else it is `<step-id>-<n>`, which moves
    /// with the block): `runbook diff` matches actions by written ids only.
    #[serde(skip)]
    pub explicit_id: bool,
    pub action: &'static str,
    pub line: usize,
    pub mutating: bool,
    pub summary: &'static str,
    pub params: serde_json::Value,
    pub outputs: &'static [Output],
    /// Runs only when this expression is true.
    pub when: Option<String>,
    pub expect: Vec<String>,
    /// Checks that report a finding when false (present when there are any).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<crate::bind::runbook::Finding>,
    /// Runs once per item of this list (present when it loops).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub for_each: Option<crate::bind::runbook::ForEach>,
    pub confirm: bool,
    /// The AWS CLI command doing the same by hand, template values as `<placeholders>`.
    pub aws_cli: Option<String>,
}

impl Plan {
    pub fn new(runbook: &Runbook) -> Plan {
        let steps = runbook
            .steps
            .iter()
            .map(|step| PlanStep {
                id: step.id.clone(),
                title: step.title.clone(),
                part: step.part.clone(),
                file: step.file.clone(),
                line: step.line,
                kind: step.kind(),
                when: step.conditions.clone(),
                actions: step
                    .actions
                    .iter()
                    .map(|action| PlanAction {
                        id: action.id.clone(),
                        explicit_id: action.explicit_id,
                        action: action.def.name(),
                        line: action.line,
                        mutating: action.def.mutating(),
                        summary: action.def.summary(),
                        params: action.params().clone(),
                        outputs: action.def.outputs(),
                        when: action.when.clone(),
                        expect: action.expect.clone(),
                        findings: action.findings.clone(),
                        for_each: action.for_each.clone(),
                        confirm: action.confirm,
                        aws_cli: action.aws_cli(),
                    })
                    .collect(),
            })
            .collect();
        let inputs = runbook
            .actions()
            .filter(|(_, action)| action.def.namespace() == "input")
            .map(|(step, action)| PlanInput {
                id: action.id.clone(),
                prompt: action.params()["prompt"].clone(),
                default: action.params()["default"].clone(),
                step: step.id.clone(),
            })
            .collect();
        Plan {
            plan_version: PLAN_VERSION,
            title: runbook.title.clone(),
            inputs,
            steps,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a plan always serialises") + "\n"
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let actions: Vec<&PlanAction> = self.steps.iter().flat_map(|s| &s.actions).collect();
        let manual = self
            .steps
            .iter()
            .filter(|s| s.kind == StepKind::Manual)
            .count();
        let info = self
            .steps
            .iter()
            .filter(|s| s.kind == StepKind::Info)
            .count();
        let mutating = actions.iter().filter(|a| a.mutating).count();
        let _ = writeln!(out, "{}", self.title);
        let explaining = if info > 0 {
            format!(", {info} explaining")
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{} steps ({} manual, {} automated{explaining}), {} actions, {} of them change AWS",
            self.steps.len(),
            manual,
            self.steps.len() - manual - info,
            actions.len(),
            mutating
        );
        if !self.inputs.is_empty() {
            let _ = writeln!(out, "\nInputs (set with --var ID=VALUE):");
            for input in &self.inputs {
                let _ = write!(
                    out,
                    "  {}: {}",
                    input.id,
                    input.prompt.as_str().unwrap_or("")
                );
                if let Some(default) = input.default.as_str() {
                    let default = crate::parse::template::placeholder(default);
                    let _ = write!(out, " [default: {default}]");
                }
                let _ = writeln!(out);
            }
        }
        let mut part: Option<&str> = None;
        for step in &self.steps {
            if step.part.as_deref() != part {
                part = step.part.as_deref();
                if let Some(part) = part {
                    let _ = writeln!(out, "\n{part}");
                }
            }
            let kind = match step.kind {
                StepKind::Manual => "manual: you do this and confirm",
                StepKind::Automated => "automated",
                StepKind::Info => "explains: nothing to do or confirm",
            };
            let indent = if step.part.is_some() { "  " } else { "" };
            let _ = writeln!(
                out,
                "\n{indent}* {}  [step {}, {}line {}] {kind}",
                step.title,
                step.id,
                step.file
                    .as_deref()
                    .map_or(String::new(), |file| format!("included from {file}, ")),
                step.line
            );
            for condition in &step.when {
                let _ = writeln!(out, "{indent}  only when: {condition}");
            }
            for action in &step.actions {
                let change = if action.mutating { "  CHANGES AWS" } else { "" };
                let _ = writeln!(
                    out,
                    "{indent}  - {} {} (line {}){change}",
                    action.action, action.id, action.line
                );
                let pad = format!("{indent}    ");
                let _ = writeln!(out, "{pad}{}", action.summary);
                if let Some(each) = &action.for_each {
                    let _ = writeln!(out, "{pad}for each {} in: {}", each.name, each.list);
                }
                if let Some(when) = &action.when {
                    let _ = writeln!(out, "{pad}only when: {when}");
                }
                if let Some(cli) = &action.aws_cli {
                    let _ = writeln!(out, "{pad}$ {cli}");
                }
                if !action.outputs.is_empty() {
                    let outputs: Vec<String> = action
                        .outputs
                        .iter()
                        .map(|o| {
                            let secret = if o.secret { " (secret)" } else { "" };
                            format!("{}{secret}", o.name)
                        })
                        .collect();
                    let _ = writeln!(out, "{pad}outputs: {}", outputs.join(", "));
                }
                for expect in &action.expect {
                    let _ = writeln!(out, "{pad}expects: {expect}");
                }
                for check in &action.findings {
                    let _ = writeln!(
                        out,
                        "{pad}checks: {} (a finding if not: {})",
                        check.check, check.finding
                    );
                }
            }
        }
        out
    }
}
