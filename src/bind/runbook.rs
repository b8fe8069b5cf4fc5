//! The bound runbook: steps in run order, each action resolved to its definition with
//! typed, checked parameters. What `plan`, `run` and `render` work from.

use std::sync::OnceLock;

use serde::Serialize;

use crate::bind::action::{ActionDef, BoundParams};
use crate::bind::binder::{AS, EXPECT, FOR_EACH, WHEN};
use crate::parse::body;
use crate::parse::source::Span;

#[derive(Debug)]
pub struct Runbook {
    pub title: String,
    pub steps: Vec<Step>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepKind {
    /// Shown to the user, who confirms it is done.
    Manual,
    /// Has action blocks that do or verify the work.
    Automated,
    /// Only explains (`<!-- runbook: info = true -->`): shown, nothing to confirm.
    Info,
}

#[derive(Debug)]
pub struct Step {
    /// The heading's GitHub slug without numbering: `choose-authenticator-app`.
    pub id: String,
    /// The heading text: `2. Choose Authenticator App`.
    pub title: String,
    /// The enclosing part's heading, if any.
    pub part: Option<String>,
    /// Line of the heading, in `file` for an included step.
    pub line: usize,
    /// The file the step was included from (`runbooks/aws-mfa.md`); `None` for the guide's own.
    pub file: Option<String>,
    /// The whole section, heading to the next heading.
    pub span: Span,
    /// The step's prose blocks (everything but its action blocks), in order.
    pub prose: Vec<Span>,
    pub actions: Vec<BoundAction>,
    /// It runs only when all of these hold (`<!-- runbook: when = "…" -->` on it or on
    /// its parts, outermost first).
    pub conditions: Vec<String>,
    /// It only explains: no confirmation asked.
    pub info: bool,
}

impl Step {
    pub fn kind(&self) -> StepKind {
        if self.info {
            StepKind::Info
        } else if self.actions.is_empty() {
            StepKind::Manual
        } else {
            StepKind::Automated
        }
    }
}

/// A check that, when false, is reported as a finding (an audit's result), not a failure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The condition that should hold.
    pub check: String,
    /// What to report when it does not.
    pub finding: String,
}

/// `for_each = "LIST"` (with `as = "NAME"`): the action runs once per item of the list,
/// with the item as `NAME` (default `item`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ForEach {
    /// The expression giving the list.
    pub list: String,
    /// The name the item has in the action's parameters, `when` and `expect`.
    #[serde(rename = "as")]
    pub name: String,
}

#[derive(Clone)]
pub struct BoundAction {
    /// The block's `id=`, or `<step-id>-<n>` when it has none.
    pub id: String,
    /// Whether `id` was written in the runbook (and so can be referred to).
    pub explicit_id: bool,
    pub def: &'static dyn ActionDef,
    pub line: usize,
    pub span: Span,
    /// The block's TOML body as written.
    pub body: Box<str>,
    /// [`BoundAction::params`], made on first use: `check` never needs it, and on a large
    /// runbook building it was a tenth of binding.
    pub(crate) params: OnceLock<serde_json::Value>,
    /// The body deserialised into the action's `Params` type.
    pub typed: BoundParams,
    /// Run only when this expression is true.
    pub when: Option<String>,
    /// Assertions on the outputs, checked after the action runs: the run stops when one
    /// is false.
    pub expect: Vec<String>,
    /// Checks that report a finding when false, and let the run go on.
    pub findings: Vec<Finding>,
    /// Ask before running even if the action does not mutate anything.
    pub confirm: bool,
    /// Run once per item of a list.
    pub for_each: Option<ForEach>,
    /// The document blocks its parameters name ([`crate::bind::documents`]): each
    /// block's id and its text, exactly as in the guide.
    pub documents: Vec<(String, String)>,
}

impl std::fmt::Debug for BoundAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoundAction")
            .field("id", &self.id)
            .field("action", &self.def.name())
            .field("line", &self.line)
            .field("params", self.params())
            .finish_non_exhaustive()
    }
}

impl BoundAction {
    /// The body's parameters as JSON, in the body's order, templates unresolved; without
    /// `when` and `expect`, which are [`BoundAction::when`] and [`BoundAction::expect`].
    pub fn params(&self) -> &serde_json::Value {
        self.params
            .get_or_init(|| body::params_json(&self.body, &[WHEN, EXPECT, FOR_EACH, AS]))
    }

    /// The equivalent AWS CLI command, with template values as placeholders.
    pub fn aws_cli(&self) -> Option<String> {
        self.def.aws_cli(&self.typed).map(|cli| cli.to_string())
    }
}

impl Runbook {
    pub fn actions(&self) -> impl Iterator<Item = (&Step, &BoundAction)> {
        self.steps
            .iter()
            .flat_map(|step| step.actions.iter().map(move |action| (step, action)))
    }
}
