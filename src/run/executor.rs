//! The run: steps in order, each action's `when`, run and `expect`, outputs into the
//! scope, a journal entry after every action, and cleanup when a run fails after creating
//! a device it never enabled. Side effects happen only through the providers.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::json;

use crate::bind::action::Exports;
use crate::bind::runbook::{BoundAction, ForEach, Runbook, Step};
use crate::parse::source::Source;
use crate::parse::template;
use crate::providers::security_key::SecurityKeys;
use crate::providers::{Assignment, Clock, Iam, Prompt, Sts};
use crate::render::{self, StepItem};
use crate::run::context::{Context, JournalHandle, Mode, Outcome, RunError};
use crate::run::journal::Entry;
use crate::run::prose;
use crate::run::terminal;
use crate::run::ui::Ui;
use crate::run::values::{ResolveError, Scope, Value};

/// Set by the Ctrl-C handler; checked between actions.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Which steps to run.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// `--from STEP`: start here.
    pub from: Option<String>,
    /// `--to STEP`: stop after this one.
    pub to: Option<String>,
    /// `--only STEP`: just this one.
    pub only: Option<String>,
}

impl Selection {
    fn is_all(&self) -> bool {
        self.from.is_none() && self.to.is_none() && self.only.is_none()
    }
}

/// How a run ended, when it did not fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finish {
    /// Every selected step ran (or was already done).
    Completed,
    /// The journal says the whole guide already finished.
    NothingToDo,
    /// Every selected step ran, and checks reported findings (`expect = [{ check,
    /// finding }]`): the guide's claims do not hold everywhere.
    Findings,
    /// Every selected step ran, but some read-only actions (checks, the sign-in proof)
    /// could not: a value they need was missing (e.g. a seed not kept between runs). The
    /// guide's claims are then not all proven; [`NOT_RUN`] entries in the journal say
    /// which, and a later run tries them again.
    Unverified,
}

/// The journal status of an action that could not run for want of a value.
pub const NOT_RUN: &str = "not-run";

/// Everything a run needs.
pub struct Executor<'r> {
    pub runbook: &'r Runbook,
    pub source: &'r Source,
    pub iam: &'r dyn Iam,
    pub sts: &'r dyn Sts,
    pub clock: &'r dyn Clock,
    pub keys: &'r dyn SecurityKeys,
    pub prompt: &'r mut dyn Prompt,
    pub ui: &'r mut Ui,
    pub mode: Mode,
    pub selection: Selection,
    pub journal: JournalHandle,
}

impl<'r> Executor<'r> {
    /// Run the selected steps. Every error is reported (human text or an `error` event)
    /// before it is returned.
    pub fn run(&mut self) -> Result<Finish, RunError> {
        let mut failed_step = None;
        let result = self.run_steps(&mut failed_step);
        if let Err(error) = &result {
            self.fail(failed_step, error);
        }
        result
    }

    fn run_steps<'s>(&mut self, failed_step: &mut Option<&'s Step>) -> Result<Finish, RunError>
    where
        'r: 's,
    {
        let selected = self.selected_steps()?;
        self.forget_changed_inputs();
        let resumed = !self.journal.journal.actions.is_empty();
        self.ui.run_event(
            "run_started",
            json!({
                "runbook": self.journal.journal.runbook,
                "title": self.runbook.title,
                "resumed": resumed,
                "dry_run": self.mode.dry_run,
            }),
        );
        if nothing_to_do(self.runbook, &self.journal.journal, &self.selection) {
            let what = if self.selection.is_all() {
                format!(
                    "all {} steps of “{}”",
                    self.runbook.steps.len(),
                    self.runbook.title
                )
            } else {
                format!("the {} selected steps", selected.len())
            };
            self.ui.text(&format!(
                "Nothing to do: {what} finished in an earlier run, and a finished step is never repeated. Use --restart to run again.\n"
            ));
            // A run killed after its last action but before it said so is finished too.
            if self.selection.is_all() && !self.mode.dry_run && !self.journal.journal.finished {
                self.journal.journal.finished = true;
                self.journal.journal.pending = None;
                self.journal.save()?;
            }
            self.ui
                .run_event("run_finished", json!({ "status": "nothing-to-do" }));
            return Ok(Finish::NothingToDo);
        }
        if resumed {
            self.check_identity()?;
            self.ui.text(&format!(
                "Resuming “{}”: {} actions finished in an earlier run are not repeated.\n",
                self.runbook.title,
                self.journal.journal.actions.len()
            ));
        }
        let rerun = self.rerun_set(&selected);
        let mut scope = Scope::default();
        let total = self.runbook.steps.len();
        for (index, step) in self.runbook.steps.iter().enumerate() {
            if !selected.contains(&index) {
                self.restore_step(step, &mut scope);
                self.ui.run_event(
                    "step_skipped",
                    json!({ "step": step.id, "reason": "not selected" }),
                );
                continue;
            }
            if let Err(error) = self.run_step(index, total, step, &mut scope, &rerun) {
                *failed_step = Some(step);
                return Err(error);
            }
        }
        let not_run = self.not_run(&selected);
        if !self.mode.dry_run {
            if self.selection.is_all() {
                // A guide with checks left to run is not finished: the next run tries them.
                self.journal.journal.finished = not_run.is_empty();
                self.journal.journal.pending = None;
            }
            self.journal.save()?;
        }
        let findings = self.findings(&selected);
        if !self.mode.dry_run && !findings.is_empty() {
            self.report_findings(&findings, &not_run);
            return Ok(Finish::Findings);
        }
        if !self.mode.dry_run && !not_run.is_empty() {
            self.report_not_run(&not_run);
            return Ok(Finish::Unverified);
        }
        let status = if self.mode.dry_run { "dry-run" } else { "ok" };
        self.ui
            .run_event("run_finished", json!({ "status": status }));
        if self.mode.dry_run {
            self.ui.text("\nDry run: nothing was changed.\n");
        } else if self.selection.is_all() {
            self.ui
                .text(&format!("\nDone: “{}”.\n", self.runbook.title));
        } else {
            let last = selected
                .last()
                .map(|&i| self.runbook.steps[i].id.as_str())
                .unwrap_or_default();
            self.ui.text(&format!(
                "\nStopped after step `{last}`, as asked. Run again without --from/--to/--only to finish the guide.\n"
            ));
        }
        Ok(Finish::Completed)
    }

    /// The actions of the selected steps that could not run, with why (this run's and
    /// earlier runs' that this one did not get to run either). One whose outputs every
    /// action using them did without (e.g. the codes for a device found already enabled)
    /// proves nothing by running: it is journaled as skipped instead, and not listed.
    fn not_run(&mut self, selected: &BTreeSet<usize>) -> Vec<(&'r BoundAction, String)> {
        let runbook: &'r Runbook = self.runbook;
        let actions: Vec<&'r BoundAction> = selected
            .iter()
            .flat_map(|&index| runbook.steps[index].actions.iter())
            .collect();
        let ran = |journal: &crate::run::journal::Journal, id: &str| {
            journal
                .entry(id)
                .is_some_and(|e| e.status == "done" || e.status == "already-done")
        };
        let mut not_run = Vec::new();
        let mut satisfied = Vec::new();
        for action in &actions {
            let Some(entry) = self.journal.journal.entry(&action.id) else {
                continue;
            };
            if entry.status != NOT_RUN {
                continue;
            }
            let consumers: Vec<&&BoundAction> = actions
                .iter()
                .filter(|other| {
                    references(other)
                        .iter()
                        .any(|reference| reference.split('.').next() == Some(action.id.as_str()))
                })
                .collect();
            if !consumers.is_empty()
                && consumers
                    .iter()
                    .all(|consumer| ran(&self.journal.journal, &consumer.id))
            {
                satisfied.push(action.id.clone());
            } else {
                not_run.push((*action, entry.reason.clone().unwrap_or_default()));
            }
        }
        for id in satisfied {
            if let Some(entry) = self.journal.journal.actions.iter_mut().find(|e| e.id == id) {
                entry.status = "skipped".into();
            }
        }
        not_run
    }

    /// Every finding the selected steps' actions reported (in this run or an earlier one
    /// it resumes), in run order.
    fn findings(
        &self,
        selected: &BTreeSet<usize>,
    ) -> Vec<(&'r BoundAction, crate::run::journal::FoundProblem)> {
        let runbook: &'r Runbook = self.runbook;
        selected
            .iter()
            .flat_map(|&index| runbook.steps[index].actions.iter())
            .flat_map(|action| {
                self.journal
                    .journal
                    .entry(&action.id)
                    .map(|entry| entry.findings.clone())
                    .unwrap_or_default()
                    .into_iter()
                    .map(move |found| (action, found))
            })
            .collect()
    }

    /// List the findings (and any checks that could not run), and end with `findings`.
    fn report_findings(
        &mut self,
        findings: &[(&BoundAction, crate::run::journal::FoundProblem)],
        not_run: &[(&BoundAction, String)],
    ) {
        self.ui
            .warn(&format!("Finished with {} finding(s):", findings.len()));
        let header = ["finding", "action", "check", "values"].map(String::from);
        let rows: Vec<Vec<String>> = std::iter::once(header.to_vec())
            .chain(findings.iter().map(|(action, found)| {
                vec![
                    found.finding.clone(),
                    format!("{} {}", action.def.name(), action.id),
                    found.check.clone(),
                    found.values.clone(),
                ]
            }))
            .collect();
        self.ui.table(&rows);
        for (action, reason) in not_run {
            self.ui.detail(&format!(
                "not checked: {} {}: {reason}",
                action.def.name(),
                action.id
            ));
        }
        self.ui.run_event(
            "run_finished",
            json!({
                "status": "findings",
                "findings": findings
                    .iter()
                    .map(|(action, found)| json!({
                        "id": action.id,
                        "action": action.def.name(),
                        "check": found.check,
                        "finding": found.finding,
                        "values": found.values,
                    }))
                    .collect::<Vec<_>>(),
                "not_run": not_run
                    .iter()
                    .map(|(action, reason)| json!({ "id": action.id, "action": action.def.name(), "reason": reason }))
                    .collect::<Vec<_>>(),
            }),
        );
    }

    /// Say which checks did not run and why, and end with the `unverified` status.
    fn report_not_run(&mut self, not_run: &[(&BoundAction, String)]) {
        self.ui.warn(&format!(
            "Finished, but {} of the guide's checks could not run, so what they check is not proven:",
            not_run.len()
        ));
        for (action, reason) in not_run {
            self.ui
                .detail(&format!("{} {}: {reason}", action.def.name(), action.id));
        }
        let next = "run the guide again where the missing values can be had (a code typed in a terminal needs no seed: AWS checks it); until then every run tries these checks again";
        self.ui.detail(&format!("next: {next}"));
        self.ui.run_event(
            "run_finished",
            json!({
                "status": "unverified",
                "not_run": not_run
                    .iter()
                    .map(|(action, reason)| json!({ "id": action.id, "action": action.def.name(), "reason": reason }))
                    .collect::<Vec<_>>(),
                "next_step": next,
            }),
        );
    }

    /// Indices of the steps to run; unknown step names are an error listing the valid ones.
    fn selected_steps(&self) -> Result<BTreeSet<usize>, RunError> {
        selected_steps(self.runbook, &self.selection)
    }

    /// Refuse to resume a journal written for someone else.
    fn check_identity(&mut self) -> Result<(), RunError> {
        let Some(expected) = self.journal.journal.identity.clone() else {
            return Ok(());
        };
        let current = self
            .ui
            .wait("Checking who the credentials belong to…", || {
                self.sts.get_caller_identity()
            })?;
        if current.arn != expected {
            return Err(RunError::failed(
                format!(
                    "the interrupted run was made as `{expected}`, but these credentials are `{}`",
                    current.arn
                ),
                "use the same credentials (--profile) to resume, or --restart to start over as the current user",
            ));
        }
        Ok(())
    }

    /// An input given with `--var` whose value differs from the one journaled: the input
    /// and every journaled action that uses it (directly or through another) run again,
    /// so a re-run with new values never answers "nothing to do" for them.
    fn forget_changed_inputs(&mut self) {
        let actions: Vec<&BoundAction> = self
            .runbook
            .steps
            .iter()
            .flat_map(|step| step.actions.iter())
            .collect();
        let mut stale: BTreeSet<String> = BTreeSet::new();
        for (name, value) in &self.mode.vars {
            let Some(entry) = self.journal.journal.entry(name) else {
                continue;
            };
            let before = entry.outputs.get("value").and_then(|v| v.as_str());
            if before.is_some_and(|before| before != value) {
                self.ui.text(&format!(
                    "--var {name} differs from the earlier run's value: `{name}` and what uses it run again.\n"
                ));
                stale.insert(name.clone());
            }
        }
        if stale.is_empty() {
            return;
        }
        // Actions are in file order, and a reference only sees earlier ones.
        for action in &actions {
            let uses_stale = references(action)
                .iter()
                .any(|reference| stale.contains(reference.split('.').next().unwrap_or_default()));
            if uses_stale {
                stale.insert(action.id.clone());
            }
        }
        let journal = &mut self.journal.journal;
        journal.actions.retain(|entry| !stale.contains(&entry.id));
        // A manual step's confirmation stays: it used no value.
        journal.finished = false;
    }

    /// Journaled actions that must run again: their secret outputs (never journaled) are
    /// needed by an action that has not finished. Transitive: re-running an action may
    /// need the secrets of an earlier one.
    fn rerun_set(&self, selected: &BTreeSet<usize>) -> BTreeSet<String> {
        let actions: Vec<(usize, &BoundAction)> = self
            .runbook
            .steps
            .iter()
            .enumerate()
            .flat_map(|(index, step)| step.actions.iter().map(move |action| (index, action)))
            .collect();
        let journaled = |id: &str| {
            self.journal
                .journal
                .entry(id)
                .is_some_and(|e| e.status != "skipped" && e.status != NOT_RUN)
        };
        let mut rerun = BTreeSet::new();
        for (index, (step, action)) in actions.iter().enumerate().rev() {
            let pending =
                selected.contains(step) && (!journaled(&action.id) || rerun.contains(&action.id));
            if !pending {
                continue;
            }
            for reference in references(action) {
                let root = reference.split('.').next().unwrap_or_default();
                let field = reference.split('.').nth(1);
                let Some((_, producer)) = actions[..index].iter().find(|(_, a)| a.id == root)
                else {
                    continue;
                };
                let secret = field
                    .and_then(|f| producer.def.output(f))
                    .is_some_and(|o| o.secret);
                if secret && journaled(&producer.id) {
                    rerun.insert(producer.id.clone());
                }
            }
        }
        rerun
    }

    fn restore_step(&mut self, step: &Step, scope: &mut Scope) {
        for action in &step.actions {
            if let Some(entry) = self.journal.journal.entry(&action.id) {
                restore(scope, action, entry);
            }
        }
    }

    fn run_step(
        &mut self,
        index: usize,
        total: usize,
        step: &Step,
        scope: &mut Scope,
        rerun: &BTreeSet<String>,
    ) -> Result<(), RunError> {
        let previous_part = index
            .checked_sub(1)
            .and_then(|i| self.runbook.steps[i].part.as_deref());
        let new_part = step
            .part
            .as_deref()
            .filter(|part| Some(*part) != previous_part || index == 0);
        self.ui.step_header(index + 1, total, &step.title, new_part);
        if let Some(reason) = self.step_condition(step, scope)? {
            return self.skip_step(step, scope, &reason);
        }
        self.ui.run_event(
            "step_started",
            json!({ "step": step.id, "title": step.title, "part": step.part }),
        );
        // Prose and actions in document order (the same order every renderer uses): each
        // action runs right after the text that leads up to it.
        let items = render::step_items(step);
        for item in &items {
            let action = match item {
                StepItem::Prose(span) => {
                    let text = prose::fill(self.source.slice(*span), scope);
                    let width = self.ui.prose_width();
                    self.ui.styled(&terminal::prose_block(&text, width));
                    continue;
                }
                StepItem::Action(action) => *action,
            };
            if INTERRUPTED.load(Ordering::SeqCst) {
                return Err(RunError::Interrupted);
            }
            if let Some(entry) = self.journal.journal.entry(&action.id).cloned()
                && !rerun.contains(&action.id)
                && entry.status != NOT_RUN
            {
                restore(scope, action, &entry);
                self.ui.skipped(&format!(
                    "{} {}: finished in an earlier run",
                    action.def.name(),
                    action.id
                ));
                self.action_event(
                    step,
                    action,
                    "journaled",
                    false,
                    &entry.outputs,
                    "finished in an earlier run",
                );
                continue;
            }
            if let Some(each) = &action.for_each {
                self.run_loop(step, action, each, scope, rerun)?;
            } else {
                self.run_action(step, action, scope)?;
            }
        }
        if step.actions.is_empty() {
            self.manual_step(step)?;
        }
        self.ui
            .run_event("step_finished", json!({ "step": step.id }));
        Ok(())
    }

    /// A `for_each` action: once per item, each journaled as `id[n]` (a resumed run skips
    /// the items done), then its outputs collected, one list per output, as `id`.
    fn run_loop(
        &mut self,
        step: &Step,
        action: &BoundAction,
        each: &ForEach,
        scope: &mut Scope,
        rerun: &BTreeSet<String>,
    ) -> Result<(), RunError> {
        let name = action.def.name();
        let items = match scope.value(&each.list, None) {
            Ok(serde_json::Value::Array(items)) => items,
            Ok(other) => {
                return Err(RunError::failed(
                    format!(
                        "{name} {}: `for_each = \"{}\"` gave {other} instead of a list",
                        action.id, each.list
                    ),
                    "`runbook check` shows what the expression gives",
                ));
            }
            Err(error @ ResolveError::Unavailable { .. }) => {
                return self.unavailable(step, action, scope, error);
            }
            Err(error) => return Err(error.into()),
        };
        self.ui.detail(&format!(
            "{name} {}: for each of the {} item(s) of `{}`",
            action.id,
            items.len(),
            each.list
        ));
        let mut collected: BTreeMap<String, Vec<serde_json::Value>> = action
            .def
            .outputs()
            .iter()
            .map(|output| (output.name.to_string(), Vec::new()))
            .collect();
        // Items that ran in this run, for the fault-injection tests.
        let mut ran = 0;
        let mut found = Vec::new();
        for (n, item) in items.iter().enumerate() {
            if INTERRUPTED.load(Ordering::SeqCst) {
                return Err(RunError::Interrupted);
            }
            let mut one = action.clone();
            one.id = format!("{}[{n}]", action.id);
            one.for_each = None;
            scope.set_item(&each.name, item);
            self.ui.run_event(
                "loop_item",
                json!({ "step": step.id, "id": one.id, "as": each.name, "item": item }),
            );
            match self.journal.journal.entry(&one.id).cloned() {
                Some(entry) if !rerun.contains(&one.id) && entry.status != NOT_RUN => {
                    restore(scope, &one, &entry);
                    self.ui
                        .skipped(&format!("{name} {}: finished in an earlier run", one.id));
                    self.action_event(
                        step,
                        &one,
                        "journaled",
                        false,
                        &entry.outputs,
                        "finished in an earlier run",
                    );
                }
                _ => {
                    self.run_action(step, &one, scope)?;
                    if scope.lookup_entry_ran(&one.id) {
                        ran += 1;
                        crate::run::context::fault(&format!("looped:{}:{ran}", action.id));
                    }
                }
            }
            for (output, values) in &mut collected {
                if let Ok(Value::Plain(value)) = scope.lookup(&format!("{}.{output}", one.id)) {
                    values.push(value.clone());
                }
            }
            // The run's report lists findings by action: each item's, marked with it.
            if let Some(entry) = self.journal.journal.entry(&one.id) {
                found.extend(entry.findings.iter().map(|problem| {
                    let mut problem = problem.clone();
                    problem.values = format!("{}: {}", one.id, problem.values);
                    problem
                }));
            }
        }
        let outputs: BTreeMap<String, serde_json::Value> = collected
            .into_iter()
            .map(|(output, values)| (output, serde_json::Value::Array(values)))
            .collect();
        if !self.mode.dry_run {
            self.journal.journal.record(Entry {
                id: action.id.clone(),
                action: name.to_string(),
                status: "done".to_string(),
                outputs: outputs.clone(),
                secrets: Vec::new(),
                reason: Some(format!("{} item(s)", items.len())),
                findings: found,
            });
            self.journal.save()?;
        }
        scope.set_outputs(
            &action.id,
            outputs
                .into_iter()
                .map(|(output, value)| (output, Value::Plain(value)))
                .collect(),
        );
        Ok(())
    }

    /// Whether the step's conditions (`<!-- runbook: when = "…" -->`) hold: `None` when
    /// it runs, else the reason it does not. A dry run that cannot know (a value an earlier,
    /// unmade change would give) shows the step as it would run.
    fn step_condition(&mut self, step: &Step, scope: &Scope) -> Result<Option<String>, RunError> {
        for condition in &step.conditions {
            match scope.evaluate(condition, None) {
                Ok(true) => {}
                Ok(false) => return Ok(Some(format!("step when: {condition}"))),
                Err(ResolveError::Unavailable { .. }) if self.mode.dry_run => {
                    self.ui.warn(&format!(
                        "runs only when `{condition}`, which this dry run cannot know yet: shown as it would run"
                    ));
                }
                Err(error) => return Err(error.into()),
            }
        }
        Ok(None)
    }

    /// A step whose condition is false: nothing of it is shown or done; its actions are
    /// journaled as skipped, so later references say why they are missing.
    fn skip_step(&mut self, step: &Step, scope: &mut Scope, reason: &str) -> Result<(), RunError> {
        self.ui.skipped(&format!("skipped ({reason})"));
        self.ui
            .run_event("step_skipped", json!({ "step": step.id, "reason": reason }));
        for action in &step.actions {
            scope.set_skipped(&action.id, reason.to_string());
            if self.journal.journal.entry(&action.id).is_none() {
                self.record_skip(action, reason)?;
            }
        }
        if step.actions.is_empty() && !self.mode.dry_run {
            self.journal.journal.record(Entry {
                id: format!("step:{}", step.id),
                action: "manual".into(),
                status: "skipped".into(),
                outputs: Default::default(),
                secrets: Vec::new(),
                reason: Some(reason.to_string()),
                findings: Vec::new(),
            });
            self.journal.save()?;
        }
        Ok(())
    }

    fn manual_step(&mut self, step: &Step) -> Result<(), RunError> {
        if step.info {
            // It only explains: read, nothing to do or confirm.
            return Ok(());
        }
        let id = format!("step:{}", step.id);
        if self.journal.journal.entry(&id).is_some() {
            self.ui.skipped("confirmed in an earlier run");
            return Ok(());
        }
        if self.mode.dry_run {
            self.ui
                .skipped("manual step: you would do this and confirm");
            return Ok(());
        }
        if self.mode.sandbox {
            self.ui.ok("[sandbox stand-in] a manual step: marked done");
        } else if self.mode.yes {
            return Err(RunError::failed(
                format!(
                    "step `{}` is manual: a person must do it and confirm",
                    step.id
                ),
                "run in a terminal without --yes, or leave the step out with --from/--to",
            ));
        } else {
            self.prompt.wait(&format!("Done with “{}”?", step.title))?;
        }
        self.journal.journal.record(Entry {
            id,
            action: "manual".into(),
            status: "done".into(),
            outputs: Default::default(),
            secrets: Vec::new(),
            reason: None,
            findings: Vec::new(),
        });
        self.journal.save()
    }

    fn run_action(
        &mut self,
        step: &Step,
        action: &BoundAction,
        scope: &mut Scope,
    ) -> Result<(), RunError> {
        let name = action.def.name();
        if let Some(when) = &action.when {
            match scope.evaluate(when, None) {
                Ok(true) => {}
                Ok(false) => {
                    let reason = format!("when: {when}");
                    scope.set_skipped(&action.id, reason.clone());
                    self.ui
                        .skipped(&format!("{name} {}: skipped ({reason})", action.id));
                    self.action_event(step, action, "skipped", false, &Default::default(), &reason);
                    return self.record_skip(action, &reason);
                }
                Err(error @ ResolveError::Unavailable { .. }) => {
                    return self.unavailable(step, action, scope, error);
                }
                // A template that cannot be evaluated is a fault of the runbook: it fails.
                Err(error) => return Err(error.into()),
            }
        }
        let result = {
            let mut context = Context {
                iam: self.iam,
                sts: self.sts,
                clock: self.clock,
                keys: self.keys,
                prompt: &mut *self.prompt,
                ui: &mut *self.ui,
                scope,
                mode: &self.mode,
                action,
                journal: &mut self.journal,
            };
            action.def.run(&action.typed, &mut context)
        };
        let outcome = match result {
            Ok(outcome) => outcome,
            Err(RunError::DryRun { what }) => {
                let mut lines = what.lines();
                let first = lines.next().unwrap_or_default();
                self.ui
                    .skipped(&format!("{name} {}: would {first}", action.id));
                for line in lines {
                    self.ui.detail(line);
                }
                scope.set_skipped(&action.id, crate::run::values::DRY_RUN_SKIPPED);
                self.action_event(step, action, "would-run", false, &Default::default(), &what);
                return Ok(());
            }
            Err(RunError::Resolve(error @ ResolveError::Unavailable { .. })) => {
                return self.unavailable(step, action, scope, error);
            }
            Err(RunError::NotImplemented(name)) if self.mode.dry_run => {
                let reason = format!("`{name}` is not available yet");
                self.ui
                    .skipped(&format!("{name} {}: would run; {reason}", action.id));
                scope.set_skipped(&action.id, reason.clone());
                self.action_event(
                    step,
                    action,
                    "would-run",
                    false,
                    &Default::default(),
                    &reason,
                );
                return Ok(());
            }
            Err(error) => return Err(error),
        };
        // An expectation may name the action by its id too (`devices.count`, like `count`).
        if matches!(action.def.exports(), Exports::Fields) {
            scope.set_outputs(&action.id, outcome.outputs.clone());
        }
        // Every expectation is checked, and each failure shown with the values it saw.
        let mut failed = Vec::new();
        for expression in &action.expect {
            match scope.evaluate(expression, Some(&outcome.outputs)) {
                Ok(true) => {}
                Ok(false) if self.mode.dry_run && scope.dry_run_changes_pending() => {
                    self.ui.warn(&format!(
                        "expects `{expression}`: not yet, since this dry run made none of the changes before it"
                    ));
                }
                Ok(false) => {
                    let values = scope.explain(expression, Some(&outcome.outputs));
                    failed.push(if values.is_empty() {
                        format!("`{expression}`")
                    } else {
                        format!("`{expression}` ({values})")
                    });
                }
                Err(ResolveError::Unavailable { reason, .. }) if self.mode.dry_run => {
                    self.ui.warn(&format!(
                        "expects `{expression}`: cannot be checked in a dry run ({reason})"
                    ));
                }
                Err(error) => return Err(error.into()),
            }
        }
        if !failed.is_empty() {
            return Err(RunError::Expectation { failed });
        }
        let mut found = Vec::new();
        for check in &action.findings {
            match scope.evaluate(&check.check, Some(&outcome.outputs)) {
                Ok(true) => {}
                Ok(false) => {
                    // Shown (and sent as events) after the action's own line.
                    let values = scope.explain(&check.check, Some(&outcome.outputs));
                    found.push(crate::run::journal::FoundProblem {
                        check: check.check.clone(),
                        finding: scope.render(&check.finding)?,
                        values,
                    });
                }
                Err(ResolveError::Unavailable { reason, .. }) if self.mode.dry_run => {
                    self.ui.warn(&format!(
                        "checks `{}`: cannot be checked in a dry run ({reason})",
                        check.check
                    ));
                }
                Err(error) => return Err(error.into()),
            }
        }
        self.finish_action(step, action, scope, outcome, found)
    }

    /// A value the action needs does not exist (its producer was skipped, or a secret was
    /// not kept). A read-only action is then skipped with the reason; an action that
    /// would change something fails, except in `--dry-run`, where it is shown as planned.
    fn unavailable(
        &mut self,
        step: &Step,
        action: &BoundAction,
        scope: &mut Scope,
        error: ResolveError,
    ) -> Result<(), RunError> {
        if action.def.mutating() && !self.mode.dry_run {
            return Err(error.into());
        }
        let reason = error.to_string();
        let (status, line) = if self.mode.dry_run {
            (
                "would-run",
                format!("would run once earlier steps have: {reason}"),
            )
        } else {
            ("skipped", format!("skipped: {reason}"))
        };
        scope.set_skipped(&action.id, reason.clone());
        self.ui
            .skipped(&format!("{} {}: {line}", action.def.name(), action.id));
        self.action_event(step, action, status, false, &Default::default(), &reason);
        if self.mode.dry_run {
            Ok(())
        } else {
            self.record(action, NOT_RUN, &reason)
        }
    }

    fn finish_action(
        &mut self,
        step: &Step,
        action: &BoundAction,
        scope: &mut Scope,
        outcome: Outcome,
        findings: Vec<crate::run::journal::FoundProblem>,
    ) -> Result<(), RunError> {
        let plain = Scope::plain_outputs(&outcome.outputs);
        let secrets: Vec<String> = outcome
            .outputs
            .iter()
            .filter(|(_, value)| !matches!(value, Value::Plain(_)))
            .map(|(name, _)| name.clone())
            .collect();
        if action.def.name() == "sts.get-caller-identity"
            && let Some(arn) = plain.get("arn").and_then(|a| a.as_str())
        {
            self.journal.journal.identity = Some(arn.to_string());
        }
        let status = if outcome.changed || !action.def.mutating() {
            "done"
        } else {
            "already-done"
        };
        self.ui.ok(&format!(
            "{} {}: {}",
            action.def.name(),
            action.id,
            outcome.note
        ));
        self.action_event(step, action, status, outcome.changed, &plain, &outcome.note);
        // The action's findings, after its own line and event.
        for found in &findings {
            self.ui.warn(&format!(
                "finding: {} (`{}`: {})",
                found.finding, found.check, found.values
            ));
            self.ui.run_event(
                "finding",
                json!({
                    "step": step.id,
                    "id": action.id,
                    "action": action.def.name(),
                    "check": found.check,
                    "finding": found.finding,
                    "values": found.values,
                }),
            );
        }
        if !self.mode.dry_run {
            self.journal.journal.record(Entry {
                id: action.id.clone(),
                action: action.def.name().to_string(),
                status: status.to_string(),
                outputs: plain,
                secrets,
                reason: None,
                findings,
            });
            // Only this action's own record: an earlier action re-run for a lost secret
            // must not erase what an interrupted later one left for its resumption.
            if self
                .journal
                .journal
                .pending
                .as_ref()
                .is_some_and(|p| p.id == action.id)
            {
                self.journal.journal.pending = None;
            }
            self.journal.save()?;
            crate::run::context::fault(&format!("journaled:{}", action.id));
        }
        match action.def.exports() {
            Exports::Value => {
                let value = outcome
                    .outputs
                    .get("value")
                    .cloned()
                    .unwrap_or(Value::Unavailable("no value".into()));
                scope.set_value(&action.id, value);
            }
            Exports::Fields => scope.set_outputs(&action.id, outcome.outputs),
        }
        Ok(())
    }

    fn record_skip(&mut self, action: &BoundAction, reason: &str) -> Result<(), RunError> {
        self.record(action, "skipped", reason)
    }

    /// Journal an action that did not run: `skipped` (its `when` said so) or [`NOT_RUN`].
    fn record(&mut self, action: &BoundAction, status: &str, reason: &str) -> Result<(), RunError> {
        if self.mode.dry_run {
            return Ok(());
        }
        self.journal.journal.record(Entry {
            id: action.id.clone(),
            action: action.def.name().to_string(),
            status: status.into(),
            outputs: Default::default(),
            secrets: Vec::new(),
            reason: Some(reason.to_string()),
            findings: Vec::new(),
        });
        self.journal.save()?;
        crate::run::context::fault(&format!("journaled:{}", action.id));
        Ok(())
    }

    fn action_event(
        &mut self,
        step: &Step,
        action: &BoundAction,
        status: &str,
        changed: bool,
        outputs: &std::collections::BTreeMap<String, serde_json::Value>,
        note: &str,
    ) {
        self.ui.run_event(
            "action",
            json!({
                "step": step.id,
                "id": action.id,
                "action": action.def.name(),
                "status": status,
                "changed": changed,
                "outputs": outputs,
                "note": note,
            }),
        );
    }

    /// Report a failure, then delete any device this run created but never enabled.
    fn fail(&mut self, step: Option<&Step>, error: &RunError) {
        let next = error.next_step();
        self.ui.error(&error.to_string(), next.as_deref());
        self.ui.run_event(
            "error",
            json!({ "step": step.map(|s| &s.id), "message": error.to_string(), "next_step": next }),
        );
        if !self.mode.dry_run {
            self.clean_up();
        }
        let status = if matches!(error, RunError::Interrupted) {
            "interrupted"
        } else {
            "failed"
        };
        self.ui
            .run_event("run_finished", json!({ "status": status }));
    }

    fn clean_up(&mut self) {
        let created = self.journal.journal.created.clone();
        if created.is_empty() {
            return;
        }
        let unassigned = match self.iam.list_virtual_mfa_devices(Assignment::Unassigned) {
            Ok(devices) => devices,
            Err(error) => {
                self.ui
                    .warn(&format!("could not check for devices to clean up: {error}"));
                return;
            }
        };
        for serial in created {
            if !unassigned
                .iter()
                .any(|device| device.serial_number == serial)
            {
                continue;
            }
            match self.iam.delete_virtual_mfa_device(&serial) {
                Ok(()) => {
                    self.ui.warn(&format!(
                        "deleted {serial}: this run created it but never enabled it"
                    ));
                    self.ui.run_event("cleanup", json!({ "deleted": serial }));
                    self.journal.journal.created.retain(|s| s != &serial);
                }
                Err(error) => self.ui.warn(&format!(
                    "could not delete {serial}, created by this run: {error}; next: {}",
                    error.next_step()
                )),
            }
        }
        let _ = self.journal.save();
    }
}

/// Indices of the steps `selection` picks; unknown step names are an error listing the
/// valid ones.
pub fn selected_steps(
    runbook: &Runbook,
    selection: &Selection,
) -> Result<BTreeSet<usize>, RunError> {
    let position = |name: &str| {
        runbook
            .steps
            .iter()
            .position(|step| step.id == name)
            .ok_or_else(|| {
                let ids: Vec<&str> = runbook.steps.iter().map(|s| s.id.as_str()).collect();
                RunError::failed(
                    format!("there is no step `{name}`"),
                    format!("steps are: {}", ids.join(", ")),
                )
            })
    };
    let last = runbook.steps.len().saturating_sub(1);
    if let Some(only) = &selection.only {
        return Ok(BTreeSet::from([position(only)?]));
    }
    let from = selection
        .from
        .as_deref()
        .map(position)
        .transpose()?
        .unwrap_or(0);
    let to = selection
        .to
        .as_deref()
        .map(position)
        .transpose()?
        .unwrap_or(last);
    if from > to {
        return Err(RunError::failed(
            "--from comes after --to",
            "steps run in document order; `runbook plan` lists them",
        ));
    }
    Ok((from..=to).collect())
}

/// Whether the journal shows every selected step finished: then a run changes nothing,
/// needs no AWS, and says so.
pub fn nothing_to_do(
    runbook: &Runbook,
    journal: &crate::run::journal::Journal,
    selection: &Selection,
) -> bool {
    if journal.finished && selection.is_all() {
        return true;
    }
    let Ok(selected) = selected_steps(runbook, selection) else {
        return false;
    };
    !journal.actions.is_empty()
        && selected.iter().all(|&index| {
            let step = &runbook.steps[index];
            if step.actions.is_empty() {
                return step.info || journal.entry(&format!("step:{}", step.id)).is_some();
            }
            step.actions.iter().all(|action| {
                journal
                    .entry(&action.id)
                    .is_some_and(|entry| entry.status != NOT_RUN)
            })
        })
}

/// `--var NAME=VALUE` names must be inputs of the guide: an unknown one is a typo (or a
/// guide that changed), said before anything runs.
pub fn check_vars(
    runbook: &Runbook,
    vars: &std::collections::BTreeMap<String, String>,
) -> Result<(), String> {
    let inputs: Vec<&str> = runbook
        .steps
        .iter()
        .flat_map(|step| step.actions.iter())
        .filter(|action| action.def.name().starts_with("input."))
        .map(|action| action.id.as_str())
        .collect();
    for name in vars.keys() {
        if inputs.contains(&name.as_str()) {
            continue;
        }
        let known = if inputs.is_empty() {
            "this guide has no inputs".to_string()
        } else {
            format!(
                "its inputs are {}",
                inputs
                    .iter()
                    .map(|i| format!("`{i}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let hint = crate::parse::diagnostic::did_you_mean(name, inputs.iter().copied())
            .map(|s| format!("did you mean `{s}`? "))
            .unwrap_or_default();
        return Err(format!(
            "--var {name}: the guide has no input `{name}`; {hint}{known} (`runbook plan` lists them)"
        ));
    }
    Ok(())
}

/// Put a journaled action's outputs back into the scope. Secrets were never journaled:
/// they come back as unavailable, with the reason.
fn restore(scope: &mut Scope, action: &BoundAction, entry: &Entry) {
    if entry.status == "skipped" || entry.status == NOT_RUN {
        scope.set_skipped(&action.id, entry.reason.clone().unwrap_or_default());
        return;
    }
    let mut outputs: crate::run::values::Outputs = entry
        .outputs
        .iter()
        .map(|(name, value)| (name.clone(), Value::Plain(value.clone())))
        .collect();
    for name in &entry.secrets {
        outputs.insert(
            name.clone(),
            Value::Unavailable("secrets are never kept between runs".to_string()),
        );
    }
    match action.def.exports() {
        Exports::Value => {
            let value = outputs
                .remove("value")
                .unwrap_or(Value::Unavailable("no value".into()));
            scope.set_value(&action.id, value);
        }
        Exports::Fields => scope.set_outputs(&action.id, outputs),
    }
}

/// Every reference an action's parameters and `when` make.
fn references(action: &BoundAction) -> Vec<String> {
    let mut strings = Vec::new();
    collect_strings(action.params(), &mut strings);
    let mut references: Vec<String> = strings
        .iter()
        .filter_map(|text| template::template_references(text).ok())
        .flatten()
        .collect();
    if let Some(when) = &action.when {
        references.extend(template::expression_references(when).unwrap_or_default());
    }
    if let Some(each) = &action.for_each {
        references.extend(template::expression_references(&each.list).unwrap_or_default());
    }
    references
}

fn collect_strings<'v>(value: &'v serde_json::Value, out: &mut Vec<&'v str>) {
    match value {
        serde_json::Value::String(text) => out.push(text),
        serde_json::Value::Array(items) => items.iter().for_each(|item| collect_strings(item, out)),
        serde_json::Value::Object(map) => map.values().for_each(|item| collect_strings(item, out)),
        _ => {}
    }
}
