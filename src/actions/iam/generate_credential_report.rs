//! `iam.generate-credential-report`: asks IAM for a fresh credential report and waits,
//! polling, until it is ready (bounded by `timeout_seconds`).

use schemars::JsonSchema;
use serde::Deserialize;

use crate::bind::action::{Action, AwsCli, Output, OutputType, Problem};
use crate::providers::ReportState;
use crate::run::context::{Context, Outcome, RunError};

pub struct GenerateCredentialReport;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// How long to wait for the report, in seconds (default 120, at most 3600).
    pub timeout_seconds: Option<u32>,
    /// Seconds between checks (default 2).
    pub poll_seconds: Option<u32>,
}

impl Action for GenerateCredentialReport {
    type Params = Params;
    const NAME: &'static str = "iam.generate-credential-report";
    const SUMMARY: &'static str = "Asks IAM for a credential report and waits until it is ready. IAM makes a new one at most every 4 hours; until then it keeps the last.";
    // It changes no user, key or device: IAM only (re)computes a report.
    const MUTATING: bool = false;
    const OUTPUTS: &'static [Output] = &[Output::new(
        "state",
        OutputType::String,
        "`COMPLETE` once the report is ready (the run fails if it is not within `timeout_seconds`).",
    )];

    fn aws_cli(_: &Params) -> Option<AwsCli> {
        Some(AwsCli::new("iam", "generate-credential-report"))
    }

    fn check(params: &Params) -> Vec<Problem> {
        let mut problems = Vec::new();
        if let Some(timeout) = params.timeout_seconds
            && !(1..=3600).contains(&timeout)
        {
            problems.push(Problem::new(
                "timeout_seconds",
                format!("{timeout} s is not a wait IAM needs: use 1 to 3600 (a report takes seconds to minutes)"),
            ));
        }
        if params.poll_seconds == Some(0) {
            problems.push(Problem::new(
                "poll_seconds",
                "wait at least 1 s between checks; 0 would call IAM in a tight loop",
            ));
        }
        if let (Some(timeout), Some(poll)) = (params.timeout_seconds, params.poll_seconds)
            && poll > timeout
        {
            problems.push(Problem::new(
                "poll_seconds",
                format!("polling every {poll} s never checks within the {timeout} s timeout: make poll_seconds smaller"),
            ));
        }
        problems
    }

    fn run(params: &Params, ctx: &mut Context<'_>) -> Result<Outcome, RunError> {
        let timeout = u64::from(params.timeout_seconds.unwrap_or(120));
        let poll = u64::from(params.poll_seconds.unwrap_or(2)).max(1);
        let deadline = ctx.clock().now() + timeout;
        loop {
            let state = ctx.wait("Asking IAM for the credential report…", |ctx| {
                ctx.iam().generate_credential_report()
            })?;
            if state == ReportState::Complete {
                return Ok(
                    Outcome::new("the credential report is ready").output("state", "COMPLETE")
                );
            }
            let now = ctx.clock().now();
            if now >= deadline {
                return Err(RunError::failed(
                    format!("IAM did not finish the credential report within {timeout} s"),
                    "run again in a minute (the run resumes at this step), or allow longer with `timeout_seconds`",
                ));
            }
            let (remaining, wait) = (deadline - now, poll.min(deadline - now));
            ctx.sleep(wait, |left| {
                let left = remaining - (wait - left);
                format!("Waiting for IAM to finish the credential report… ({left} s left; Ctrl-C to stop)")
            })?;
        }
    }
}
