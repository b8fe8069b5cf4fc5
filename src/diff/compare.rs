//! Matching two plans' steps and actions, and what changed between each matched pair.

use std::collections::{BTreeSet, HashMap, VecDeque};

use serde::Serialize;
use serde_json::Value;

use crate::bind::plan::{Plan, PlanAction, PlanStep};
use crate::bind::runbook::StepKind;

/// A value before and after.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change<T> {
    pub old: T,
    pub new: T,
}

fn change<T: PartialEq + Clone>(old: &T, new: &T) -> Option<Change<T>> {
    (old != new).then(|| Change {
        old: old.clone(),
        new: new.clone(),
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Added,
    Removed,
    Changed,
}

/// What a reviewer should look at first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AttentionKind {
    /// An action that changes AWS where none did before.
    ChangesAws,
    /// An action that may now run with the root user's credentials.
    RunsAsRoot,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Attention {
    pub kind: AttentionKind,
    pub step: String,
    pub action: String,
    pub action_name: &'static str,
    /// Why, in words: `a new action`, `its \`not me.is_root\` guard was removed`.
    pub why: String,
}

#[derive(Debug, Serialize)]
pub struct PlanDiff {
    /// The new version's title.
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_title: Option<String>,
    /// The guide did not exist in the old version: every step is added.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub new_guide: bool,
    /// The guide is gone in the new version: every step is removed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub removed_guide: bool,
    /// Flagged first: actions that newly change AWS or may newly run as root.
    pub attention: Vec<Attention>,
    pub summary: Summary,
    /// Only the steps that changed, in the new version's order; a removed step where it
    /// was.
    pub steps: Vec<StepDiff>,
}

impl PlanDiff {
    /// Anything in the plans differs (line numbers and prose never count).
    pub fn changed(&self) -> bool {
        self.old_title.is_some() || !self.steps.is_empty()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub steps_added: usize,
    pub steps_removed: usize,
    pub steps_renamed: usize,
    pub steps_moved: usize,
    /// Steps whose kind, part or conditions changed.
    pub steps_changed: usize,
    pub actions_added: usize,
    pub actions_removed: usize,
    pub actions_moved: usize,
    pub actions_changed: usize,
    pub parameters_changed: usize,
    /// `expect` entries, findings included.
    pub expectations_added: usize,
    pub expectations_removed: usize,
}

impl Summary {
    /// `2 steps renamed, 1 action added`, or empty when nothing changed.
    pub fn words(&self) -> String {
        let counts = [
            (self.steps_added, "step", "added"),
            (self.steps_removed, "step", "removed"),
            (self.steps_renamed, "step", "renamed"),
            (self.steps_moved, "step", "moved"),
            (self.steps_changed, "step", "changed"),
            (self.actions_added, "action", "added"),
            (self.actions_removed, "action", "removed"),
            (self.actions_moved, "action", "moved"),
            (self.actions_changed, "action", "changed"),
            (self.parameters_changed, "parameter", "changed"),
            (self.expectations_added, "expectation", "added"),
            (self.expectations_removed, "expectation", "removed"),
        ];
        counts
            .iter()
            .filter(|(n, _, _)| *n > 0)
            .map(|(n, noun, verb)| {
                let s = if *n == 1 { "" } else { "s" };
                format!("{n} {noun}{s} {verb}")
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Where a step moved: the step now before it and the one before it was (`None`: first).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Moved {
    pub after: Option<String>,
    pub was_after: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct StepDiff {
    pub change: Status,
    /// The new id (a removed step's old one).
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_id: Option<String>,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_title: Option<String>,
    pub kind: StepKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_kind: Option<StepKind>,
    /// The part the step is in.
    pub part: Option<String>,
    /// Set when the step is in another part than before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part_change: Option<Change<Option<String>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved: Option<Moved>,
    /// The step's conditions, when they changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub when: Option<Change<Vec<String>>>,
    /// Only the actions that changed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<ActionDiff>,
}

/// Where an action moved: from another step, and/or to another place in its step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ActionMoved {
    /// The step it was in, when that is another step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_step: Option<String>,
    /// The action now before it in its step (`None`: first).
    pub after: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParamChange {
    pub name: String,
    pub old: Option<Value>,
    pub new: Option<Value>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ActionDiff {
    pub change: Status,
    pub id: String,
    /// Set when a written id changed (a generated `<step>-<n>` id shifting is not a change).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_id: Option<String>,
    pub action: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_action: Option<&'static str>,
    /// It changes AWS (or a file).
    pub mutating: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved: Option<ActionMoved>,
    /// Parameters added, removed or changed (an added action's are all listed).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<ParamChange>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub when: Option<Change<Option<String>>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expect_added: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expect_removed: Vec<String>,
    /// Finding checks, as `CHECK (finding: TEXT)`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings_added: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings_removed: Vec<String>,
    /// `NAME in LIST`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub for_each: Option<Change<Option<String>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirm: Option<Change<bool>>,
    /// The AWS CLI equivalent before and after (an added action has no `old`, a removed
    /// one no `new`); set only when it differs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aws_cli: Option<Change<Option<String>>>,
}

impl ActionDiff {
    /// Nothing changed but, perhaps, its place.
    fn same_content(&self) -> bool {
        self.change == Status::Changed
            && self.old_id.is_none()
            && self.old_action.is_none()
            && self.params.is_empty()
            && self.when.is_none()
            && self.expect_added.is_empty()
            && self.expect_removed.is_empty()
            && self.findings_added.is_empty()
            && self.findings_removed.is_empty()
            && self.for_each.is_none()
            && self.confirm.is_none()
            && self.aws_cli.is_none()
    }

    fn is_empty(&self) -> bool {
        self.same_content() && self.moved.is_none()
    }
}

/// Position of an action: (step index, action index).
type At = (usize, usize);

struct Matching {
    /// For each old step, its new step.
    steps: Vec<Option<usize>>,
    /// For each new step, its old step.
    steps_back: Vec<Option<usize>>,
    actions: HashMap<At, At>,
    actions_back: HashMap<At, At>,
}

fn kinds(step: &PlanStep) -> Vec<&'static str> {
    step.actions.iter().map(|a| a.action).collect()
}

fn match_steps(old: &Plan, new: &Plan) -> (Vec<Option<usize>>, Vec<Option<usize>>) {
    let mut forward = vec![None; old.steps.len()];
    let mut back = vec![None; new.steps.len()];
    let by_id: HashMap<&str, usize> = new
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    for (o, step) in old.steps.iter().enumerate() {
        if let Some(&n) = by_id.get(step.id.as_str()) {
            forward[o] = Some(n);
            back[n] = Some(o);
        }
    }
    // Renames, 1: a written action id in both.
    let explicit: HashMap<&str, usize> = new
        .steps
        .iter()
        .enumerate()
        .flat_map(|(i, s)| {
            s.actions
                .iter()
                .filter(|a| a.explicit_id)
                .map(move |a| (a.id.as_str(), i))
        })
        .collect();
    for (o, step) in old.steps.iter().enumerate() {
        if forward[o].is_some() {
            continue;
        }
        let found = step
            .actions
            .iter()
            .filter(|a| a.explicit_id)
            .filter_map(|a| explicit.get(a.id.as_str()).copied())
            .find(|&n| back[n].is_none());
        if let Some(n) = found {
            forward[o] = Some(n);
            back[n] = Some(o);
        }
    }
    // Renames, 2: the only unmatched step on both sides of a gap between matched
    // neighbours, alike in kind and actions. A gap is named by the new index of the
    // matched step before it.
    let mut gaps: HashMap<Option<usize>, (Vec<usize>, Vec<usize>)> = HashMap::new();
    let mut gap = None;
    for (o, matched) in forward.iter().enumerate() {
        match matched {
            Some(n) => gap = Some(*n),
            None => gaps.entry(gap).or_default().0.push(o),
        }
    }
    gap = None;
    for (n, matched) in back.iter().enumerate() {
        match matched {
            Some(_) => gap = Some(n),
            None => gaps.entry(gap).or_default().1.push(n),
        }
    }
    for (olds, news) in gaps.values() {
        if let ([o], [n]) = (olds.as_slice(), news.as_slice()) {
            let (a, b) = (&old.steps[*o], &new.steps[*n]);
            if a.kind == b.kind && kinds(a) == kinds(b) {
                forward[*o] = Some(*n);
                back[*n] = Some(*o);
            }
        }
    }
    (forward, back)
}

fn match_all(old: &Plan, new: &Plan) -> Matching {
    let (steps, steps_back) = match_steps(old, new);
    let mut actions = HashMap::new();
    let mut actions_back = HashMap::new();
    let explicit: HashMap<&str, At> = new
        .steps
        .iter()
        .enumerate()
        .flat_map(|(s, step)| {
            step.actions
                .iter()
                .enumerate()
                .filter(|(_, a)| a.explicit_id)
                .map(move |(i, a)| (a.id.as_str(), (s, i)))
        })
        .collect();
    for (s, step) in old.steps.iter().enumerate() {
        for (i, action) in step.actions.iter().enumerate() {
            if !action.explicit_id {
                continue;
            }
            if let Some(&at) = explicit.get(action.id.as_str()) {
                actions.insert((s, i), at);
                actions_back.insert(at, (s, i));
            }
        }
    }
    // Within matched steps, the rest by action name, in order.
    for (o, n) in steps.iter().enumerate() {
        let Some(n) = *n else { continue };
        let mut free: HashMap<&str, VecDeque<usize>> = HashMap::new();
        for (j, action) in new.steps[n].actions.iter().enumerate() {
            if !actions_back.contains_key(&(n, j)) {
                free.entry(action.action).or_default().push_back(j);
            }
        }
        for (i, action) in old.steps[o].actions.iter().enumerate() {
            if actions.contains_key(&(o, i)) {
                continue;
            }
            if let Some(j) = free.get_mut(action.action).and_then(VecDeque::pop_front) {
                actions.insert((o, i), (n, j));
                actions_back.insert((n, j), (o, i));
            }
        }
    }
    Matching {
        steps,
        steps_back,
        actions,
        actions_back,
    }
}

/// The values in `sequence` (distinct new indices, in old order) that are not part of
/// its longest increasing run: the ones that moved. O(n log n) (patience sorting), so a
/// huge guide costs no more than its size.
fn moved(sequence: &[usize]) -> BTreeSet<usize> {
    // tails[k]: the index in `sequence` of the smallest last value of a run of length k+1.
    let mut tails: Vec<usize> = Vec::new();
    let mut previous = vec![None; sequence.len()];
    for (i, &value) in sequence.iter().enumerate() {
        let k = tails.partition_point(|&t| sequence[t] < value);
        if k > 0 {
            previous[i] = Some(tails[k - 1]);
        }
        if k == tails.len() {
            tails.push(i);
        } else {
            tails[k] = i;
        }
    }
    let mut kept = BTreeSet::new();
    let mut at = tails.last().copied();
    while let Some(i) = at {
        kept.insert(sequence[i]);
        at = previous[i];
    }
    sequence
        .iter()
        .copied()
        .filter(|x| !kept.contains(x))
        .collect()
}

/// The `when`s an action runs under: its step's and its own.
fn conditions<'p>(step: &'p PlanStep, action: &'p PlanAction) -> impl Iterator<Item = &'p str> {
    step.when
        .iter()
        .map(String::as_str)
        .chain(action.when.as_deref())
}

/// The guard that keeps an action from running as root, if any: a condition, or one of
/// its `and`-ed parts, that is `not X.is_root`. (Anything else, e.g. a condition with an
/// `or`, may let root through.)
fn root_guard<'p>(mut conditions: impl Iterator<Item = &'p str>) -> Option<String> {
    conditions.find_map(|condition| {
        if condition.contains(" or ") {
            return None;
        }
        condition.split(" and ").find_map(|part| {
            let part = part.trim().trim_start_matches('(').trim_end_matches(')');
            let id = part.strip_prefix("not ")?.trim().strip_suffix(".is_root")?;
            (!id.is_empty() && id.chars().all(|c| c.is_alphanumeric() || c == '_'))
                .then(|| part.to_string())
        })
    })
}

fn excludes_root<'p>(conditions: impl Iterator<Item = &'p str>) -> bool {
    root_guard(conditions).is_some()
}

fn object(value: &Value) -> serde_json::Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

fn params(old: Option<&Value>, new: Option<&Value>) -> Vec<ParamChange> {
    let old = old.map(object).unwrap_or_default();
    let new = new.map(object).unwrap_or_default();
    let names: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    names
        .into_iter()
        .filter(|name| old.get(*name) != new.get(*name))
        .map(|name| ParamChange {
            name: name.clone(),
            old: old.get(name).cloned(),
            new: new.get(name).cloned(),
        })
        .collect()
}

fn finding_words(action: &PlanAction) -> Vec<String> {
    action
        .findings
        .iter()
        .map(|f| format!("{} (finding: {})", f.check, f.finding))
        .collect()
}

fn for_each_words(action: &PlanAction) -> Option<String> {
    action
        .for_each
        .as_ref()
        .map(|each| format!("{} in {}", each.name, each.list))
}

fn minus(a: &[String], b: &[String]) -> Vec<String> {
    a.iter().filter(|x| !b.contains(x)).cloned().collect()
}

fn added_action(action: &PlanAction) -> ActionDiff {
    ActionDiff {
        change: Status::Added,
        id: action.id.clone(),
        old_id: None,
        action: action.action,
        old_action: None,
        mutating: action.mutating,
        moved: None,
        params: params(None, Some(&action.params)),
        when: action.when.as_ref().map(|w| Change {
            old: None,
            new: Some(w.clone()),
        }),
        expect_added: action.expect.clone(),
        expect_removed: Vec::new(),
        findings_added: finding_words(action),
        findings_removed: Vec::new(),
        for_each: for_each_words(action).map(|e| Change {
            old: None,
            new: Some(e),
        }),
        confirm: action.confirm.then_some(Change {
            old: false,
            new: true,
        }),
        aws_cli: action.aws_cli.as_ref().map(|cli| Change {
            old: None,
            new: Some(cli.clone()),
        }),
    }
}

fn removed_action(action: &PlanAction) -> ActionDiff {
    ActionDiff {
        change: Status::Removed,
        id: action.id.clone(),
        old_id: None,
        action: action.action,
        old_action: None,
        mutating: action.mutating,
        moved: None,
        params: Vec::new(),
        when: None,
        expect_added: Vec::new(),
        expect_removed: action.expect.clone(),
        findings_added: Vec::new(),
        findings_removed: finding_words(action),
        for_each: None,
        confirm: None,
        aws_cli: action.aws_cli.as_ref().map(|cli| Change {
            old: Some(cli.clone()),
            new: None,
        }),
    }
}

fn changed_action(old: &PlanAction, new: &PlanAction, moved: Option<ActionMoved>) -> ActionDiff {
    ActionDiff {
        change: Status::Changed,
        id: new.id.clone(),
        old_id: ((old.explicit_id || new.explicit_id) && old.id != new.id).then(|| old.id.clone()),
        action: new.action,
        old_action: (old.action != new.action).then_some(old.action),
        mutating: new.mutating,
        moved,
        params: params(Some(&old.params), Some(&new.params)),
        when: change(&old.when, &new.when),
        expect_added: minus(&new.expect, &old.expect),
        expect_removed: minus(&old.expect, &new.expect),
        findings_added: minus(&finding_words(new), &finding_words(old)),
        findings_removed: minus(&finding_words(old), &finding_words(new)),
        for_each: change(&for_each_words(old), &for_each_words(new)),
        confirm: change(&old.confirm, &new.confirm),
        aws_cli: change(&old.aws_cli, &new.aws_cli),
    }
}

fn step_diff(change: Status, step: &PlanStep) -> StepDiff {
    StepDiff {
        change,
        id: step.id.clone(),
        old_id: None,
        title: step.title.clone(),
        old_title: None,
        kind: step.kind,
        old_kind: None,
        part: step.part.clone(),
        part_change: None,
        moved: None,
        when: None,
        actions: Vec::new(),
    }
}

/// The semantic difference between two plans of a guide.
pub fn compare(old: &Plan, new: &Plan) -> PlanDiff {
    let matching = match_all(old, new);
    let mut summary = Summary::default();
    let mut attention = Vec::new();

    // Steps that moved, and actions that moved within their (matched) step.
    let order: Vec<usize> = matching.steps.iter().flatten().copied().collect();
    let moved_steps = moved(&order);

    let mut diffs: Vec<Option<StepDiff>> = Vec::new();
    for (n, step) in new.steps.iter().enumerate() {
        let old_step = matching.steps_back[n].map(|o| (o, &old.steps[o]));
        let mut diff = match old_step {
            None => {
                summary.steps_added += 1;
                let mut diff = step_diff(Status::Added, step);
                diff.when = (!step.when.is_empty()).then(|| Change {
                    old: Vec::new(),
                    new: step.when.clone(),
                });
                diff
            }
            Some((o, was)) => {
                let mut diff = step_diff(Status::Changed, step);
                if was.id != step.id || was.title != step.title {
                    summary.steps_renamed += 1;
                    diff.old_id = (was.id != step.id).then(|| was.id.clone());
                    diff.old_title = (was.title != step.title).then(|| was.title.clone());
                }
                diff.old_kind = (was.kind != step.kind).then_some(was.kind);
                diff.part_change = change(&was.part, &step.part);
                diff.when = change(&was.when, &step.when);
                if diff.old_kind.is_some() || diff.part_change.is_some() || diff.when.is_some() {
                    summary.steps_changed += 1;
                }
                if moved_steps.contains(&n) {
                    summary.steps_moved += 1;
                    diff.moved = Some(Moved {
                        after: n.checked_sub(1).map(|p| new.steps[p].id.clone()),
                        was_after: o.checked_sub(1).map(|p| old.steps[p].id.clone()),
                    });
                }
                diff
            }
        };
        // This step's actions that stayed in it, in old order, to find those reordered.
        let stayed: Vec<usize> = old_step
            .map(|(o, was)| {
                (0..was.actions.len())
                    .filter_map(|i| matching.actions.get(&(o, i)))
                    .filter(|(s, _)| *s == n)
                    .map(|(_, j)| *j)
                    .collect()
            })
            .unwrap_or_default();
        let reordered = moved(&stayed);
        for (j, action) in step.actions.iter().enumerate() {
            let excluded_now = excludes_root(conditions(step, action));
            let mut flag = |kind, why: String| {
                attention.push(Attention {
                    kind,
                    step: step.id.clone(),
                    action: action.id.clone(),
                    action_name: action.action,
                    why,
                })
            };
            let action_diff = match matching.actions_back.get(&(n, j)) {
                None => {
                    summary.actions_added += 1;
                    if action.mutating {
                        flag(AttentionKind::ChangesAws, "a new action".into());
                        if !excluded_now {
                            flag(
                                AttentionKind::RunsAsRoot,
                                "a new action that changes AWS, with no `not me.is_root` condition"
                                    .into(),
                            );
                        }
                    }
                    added_action(action)
                }
                Some(&(s, i)) => {
                    let was_step = &old.steps[s];
                    let was = &was_step.actions[i];
                    let from_other = matching.steps[s] != Some(n);
                    let moved = (from_other || reordered.contains(&j)).then(|| ActionMoved {
                        from_step: from_other.then(|| was_step.id.clone()),
                        after: j.checked_sub(1).map(|p| step.actions[p].id.clone()),
                    });
                    if moved.is_some() {
                        summary.actions_moved += 1;
                    }
                    let newly_mutating = action.mutating && !was.mutating;
                    if newly_mutating {
                        let why = format!("now `{}`, was `{}`", action.action, was.action);
                        flag(AttentionKind::ChangesAws, why);
                    }
                    if newly_mutating && !excluded_now {
                        let why = "it now changes AWS, with no `not me.is_root` condition";
                        flag(AttentionKind::RunsAsRoot, why.into());
                    } else if let Some(guard) = root_guard(conditions(was_step, was))
                        && !excluded_now
                    {
                        let why = format!("it no longer runs only when `{guard}`");
                        flag(AttentionKind::RunsAsRoot, why);
                    }
                    changed_action(was, action, moved)
                }
            };
            if action_diff.is_empty() {
                continue;
            }
            if action_diff.change == Status::Changed {
                if !action_diff.same_content() {
                    summary.actions_changed += 1;
                }
                summary.parameters_changed += action_diff.params.len();
            }
            // Findings are written in `expect` too: they count as expectations.
            summary.expectations_added +=
                action_diff.expect_added.len() + action_diff.findings_added.len();
            summary.expectations_removed +=
                action_diff.expect_removed.len() + action_diff.findings_removed.len();
            diff.actions.push(action_diff);
        }
        // Actions of the old step that are gone, after the others.
        if let Some((o, was)) = old_step {
            for (i, action) in was.actions.iter().enumerate() {
                if !matching.actions.contains_key(&(o, i)) {
                    summary.actions_removed += 1;
                    summary.expectations_removed += action.expect.len() + action.findings.len();
                    diff.actions.push(removed_action(action));
                }
            }
        }
        let unchanged = diff.change == Status::Changed
            && diff.old_id.is_none()
            && diff.old_title.is_none()
            && diff.old_kind.is_none()
            && diff.part_change.is_none()
            && diff.when.is_none()
            && diff.moved.is_none()
            && diff.actions.is_empty();
        diffs.push((!unchanged).then_some(diff));
    }

    // Removed steps, each where it was: before the (new place of the) matched step that
    // followed it, after any steps added there.
    let mut steps = Vec::new();
    let mut removed_before: HashMap<Option<usize>, Vec<StepDiff>> = HashMap::new();
    let mut next_matched = vec![None; old.steps.len()];
    let mut next = None;
    for o in (0..old.steps.len()).rev() {
        next_matched[o] = next;
        if let Some(n) = matching.steps[o] {
            next = Some(n);
        }
    }
    for (o, step) in old.steps.iter().enumerate() {
        if matching.steps[o].is_some() {
            continue;
        }
        summary.steps_removed += 1;
        let anchor = next_matched[o];
        let mut diff = step_diff(Status::Removed, step);
        for (i, action) in step.actions.iter().enumerate() {
            if !matching.actions.contains_key(&(o, i)) {
                summary.actions_removed += 1;
                summary.expectations_removed += action.expect.len() + action.findings.len();
                diff.actions.push(removed_action(action));
            }
        }
        removed_before.entry(anchor).or_default().push(diff);
    }
    for (n, diff) in diffs.into_iter().enumerate() {
        if matching.steps_back[n].is_some() {
            steps.extend(removed_before.remove(&Some(n)).unwrap_or_default());
        }
        steps.extend(diff);
    }
    steps.extend(removed_before.remove(&None).unwrap_or_default());
    // What newly changes AWS first, then what may newly run as root.
    attention.sort_by_key(|a| a.kind == AttentionKind::RunsAsRoot);

    PlanDiff {
        title: new.title.clone(),
        old_title: (old.title != new.title).then(|| old.title.clone()),
        new_guide: false,
        removed_guide: false,
        attention,
        summary,
        steps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bind::check::check_source;
    use crate::parse::source::Source;

    fn plan(text: &str) -> Plan {
        let checked = check_source(Source::new("t.md", text));
        Plan::new(checked.runbook.as_ref().expect("checks"))
    }

    const GUIDE: &str = "# T\n\n## Who\n\n```sts.get-caller-identity id=me\n```\n\n## Open the console\n\nDo it.\n\n## List\n\n```iam.list-mfa-devices\nuser = \"{{ me.user_name }}\"\n```\n";

    #[test]
    fn a_manual_step_alone_in_its_gap_is_renamed() {
        let new = GUIDE.replace("## Open the console", "## Sign in to the console");
        let diff = compare(&plan(GUIDE), &plan(&new));
        assert_eq!(diff.summary.steps_renamed, 1, "{diff:#?}");
        assert_eq!(diff.steps[0].old_id.as_deref(), Some("open-the-console"));
        assert_eq!(diff.steps[0].id, "sign-in-to-the-console");
    }

    #[test]
    fn a_step_replaced_by_another_kind_is_removed_and_added() {
        let new = GUIDE.replace(
            "## Open the console\n\nDo it.\n",
            "## Count\n\n```iam.list-users\n```\n",
        );
        let diff = compare(&plan(GUIDE), &plan(&new));
        assert_eq!(
            (diff.summary.steps_added, diff.summary.steps_removed),
            (1, 1),
            "{diff:#?}"
        );
        // The added one first, then the removed one, both where they are in the guide.
        assert_eq!(diff.steps[0].change, Status::Added);
        assert_eq!(diff.steps[1].change, Status::Removed);
    }

    #[test]
    fn a_generated_action_renamed_by_its_step_is_not_a_change() {
        let new = GUIDE.replace("## List", "## List devices");
        let diff = compare(&plan(GUIDE), &plan(&new));
        assert_eq!(diff.summary.steps_renamed, 1, "{diff:#?}");
        assert!(diff.steps[0].actions.is_empty(), "{diff:#?}");
    }

    #[test]
    fn loops_confirmations_findings_and_parts_are_compared() {
        let old = "# T\n\n## Who\n\n```sts.get-caller-identity id=me\n```\n\n## Devices\n\n```iam.list-mfa-devices id=devices\nuser = \"{{ me.user_name }}\"\nexpect = [{ check = \"count >= 1\", finding = \"none\" }]\n```\n\n```iam.deactivate-mfa-device id=off\nfor_each = \"devices.devices\"\nuser = \"{{ me.user_name }}\"\nserial_number = \"{{ item.serial_number }}\"\n```\n";
        let new = old
            .replace("## Devices", "## Part\n\n### Devices")
            .replace(
                "```iam.list-mfa-devices id=devices",
                "```iam.list-mfa-devices id=devices confirm",
            )
            .replace("finding = \"none\"", "finding = \"no device\"")
            .replace(
                "for_each = \"devices.devices\"\n",
                "for_each = \"devices.devices\"\nas = \"device\"\n",
            )
            .replace("{{ item.serial_number }}", "{{ device.serial_number }}");
        let diff = compare(&plan(old), &plan(&new));
        let step = &diff.steps[0];
        assert_eq!(step.id, "devices", "{diff:#?}");
        assert_eq!(
            step.part_change,
            Some(Change {
                old: None,
                new: Some("Part".into())
            })
        );
        let (list, off) = (&step.actions[0], &step.actions[1]);
        assert_eq!(
            list.confirm,
            Some(Change {
                old: false,
                new: true
            })
        );
        assert_eq!(list.findings_added, ["count >= 1 (finding: no device)"]);
        assert_eq!(list.findings_removed, ["count >= 1 (finding: none)"]);
        assert_eq!(
            off.for_each,
            Some(Change {
                old: Some("item in devices.devices".into()),
                new: Some("device in devices.devices".into())
            })
        );
        assert_eq!(off.params.len(), 1, "{off:#?}");
        assert_eq!(diff.summary.steps_changed, 1);
        assert!(diff.attention.is_empty(), "{:#?}", diff.attention);
    }

    #[test]
    fn a_new_title_is_a_change() {
        let diff = compare(&plan(GUIDE), &plan(&GUIDE.replace("# T", "# Title")));
        assert!(diff.changed());
        assert_eq!(diff.old_title.as_deref(), Some("T"));
        assert!(diff.steps.is_empty());
    }

    #[test]
    fn the_same_plan_has_no_change() {
        let diff = compare(&plan(GUIDE), &plan(GUIDE));
        assert!(!diff.changed());
        assert_eq!(diff.summary, Summary::default());
    }

    #[test]
    fn moved_keeps_the_longest_run_in_order() {
        assert!(moved(&[0, 1, 2, 3]).is_empty());
        assert_eq!(moved(&[1, 2, 3, 0]), BTreeSet::from([0]));
        assert_eq!(moved(&[0, 3, 1, 2]), BTreeSet::from([3]));
    }

    #[test]
    fn root_is_excluded_only_by_a_not_is_root_part() {
        assert!(excludes_root(["not me.is_root"].into_iter()));
        assert!(excludes_root(
            ["x.count > 0 and not me.is_root"].into_iter()
        ));
        assert!(!excludes_root(["me.is_root"].into_iter()));
        assert!(!excludes_root(["not me.is_root or x.ok"].into_iter()));
        assert!(!excludes_root(
            ["x.ok or y.ok and not me.is_root"].into_iter()
        ));
        assert!(!excludes_root(std::iter::empty()));
    }
}
