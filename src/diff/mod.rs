//! **diff**: two checked versions of a guide → what changes in what a run does
//! (`runbook diff`), as text, Markdown for a pull-request comment, or JSON.
//! Takes: bind's `Checked` and `Plan`. Gives: [`Report`] and its renderings.
//! Never uses: run, providers, testing or actions; nothing in a diff depends on the clock,
//! the machine or an account, only on the two plans (and the file name it was given).
//!
//! How the two plans are matched (README, "Reviewing guide changes"):
//! - Steps by id (the heading's slug). A step whose id is gone is matched to a new one
//!   as a rename when they share a written action id (`id=duo`), or else when it is the
//!   only unmatched step on each side between the same matched neighbours, of the same
//!   kind, with the same actions in the same order. Otherwise it is removed and added.
//!   (Not by title: the id is the title's slug, so a new id means a new title.)
//! - Actions by written id, anywhere in the guide (so an action moved to another step is
//!   a move); the rest within a matched step by action name, in order.
//! - Moves: the longest run of matched steps (actions) kept in order stays put; the
//!   others are reported as moved.
//! - Line numbers and prose are not compared: a prose-only edit is "no automation change".

use serde::Serialize;

use crate::bind::check::Checked;
use crate::bind::plan::Plan;

mod compare;
pub mod markdown;
pub mod text;

pub use compare::{
    ActionDiff, ActionMoved, Attention, AttentionKind, Change, Moved, ParamChange, PlanDiff,
    Status, StepDiff, Summary, compare,
};

/// Bumped when the JSON diff changes incompatibly.
pub const DIFF_VERSION: u32 = 1;

/// Every guide compared by one `runbook diff`.
#[derive(Debug, Serialize)]
pub struct Report {
    pub diff_version: u32,
    /// Some guide's automation changed.
    pub changed: bool,
    /// Some version of a guide does not check: nothing was compared for it.
    pub invalid: bool,
    pub guides: Vec<GuideReport>,
}

impl Report {
    pub fn new(guides: Vec<GuideReport>) -> Report {
        Report {
            diff_version: DIFF_VERSION,
            changed: guides
                .iter()
                .any(|g| g.diff.as_ref().is_some_and(PlanDiff::changed)),
            invalid: guides.iter().any(|g| g.invalid.is_some()),
            guides,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a diff always serialises") + "\n"
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GuideStatus {
    Unchanged,
    Changed,
    Invalid,
}

/// One guide: its diff, or why there is none.
#[derive(Debug, Serialize)]
pub struct GuideReport {
    /// The file as given on the command line (the new version's).
    pub file: String,
    pub status: GuideStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<PlanDiff>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invalid: Option<Invalid>,
}

/// The versions that do not check, with their errors (rendered, without colour).
#[derive(Debug, Serialize)]
pub struct Invalid {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<Vec<String>>,
}

/// Compare two checked versions of a guide; `old` is `None` when the guide is new (it
/// did not exist in the revision compared with), `new` when it is removed.
pub fn guide(file: &str, old: Option<&Checked>, new: Option<&Checked>) -> GuideReport {
    let failing = |checked: &Checked| {
        (checked.errors() > 0 || checked.runbook.is_none()).then(|| {
            checked
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .map(|d| d.render(checked.source.as_ref(), false, &checked.path))
                .collect::<Vec<_>>()
        })
    };
    let invalid = Invalid {
        old: old.and_then(failing),
        new: new.and_then(failing),
    };
    if invalid.old.is_some() || invalid.new.is_some() {
        return GuideReport {
            file: file.to_string(),
            status: GuideStatus::Invalid,
            diff: None,
            invalid: Some(invalid),
        };
    }
    let plan = |checked: &Checked| Plan::new(checked.runbook.as_ref().expect("checked above"));
    // A missing side is an empty plan with the other's title.
    let empty = |other: &Plan| Plan {
        plan_version: other.plan_version,
        title: other.title.clone(),
        inputs: Vec::new(),
        steps: Vec::new(),
    };
    let diff = match (old, new) {
        (Some(old), Some(new)) => compare(&plan(old), &plan(new)),
        (None, Some(new)) => {
            let new = plan(new);
            let mut diff = compare(&empty(&new), &new);
            diff.new_guide = true;
            diff
        }
        (Some(old), None) => {
            let old = plan(old);
            let mut diff = compare(&old, &empty(&old));
            diff.removed_guide = true;
            diff
        }
        // Neither version: nothing to compare (the command line never asks this).
        (None, None) => {
            let nothing = Plan {
                plan_version: crate::bind::plan::PLAN_VERSION,
                title: String::new(),
                inputs: Vec::new(),
                steps: Vec::new(),
            };
            compare(&nothing, &empty(&nothing))
        }
    };
    GuideReport {
        file: file.to_string(),
        status: if diff.changed() {
            GuideStatus::Changed
        } else {
            GuideStatus::Unchanged
        },
        diff: Some(diff),
        invalid: None,
    }
}
