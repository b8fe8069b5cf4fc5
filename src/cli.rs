//! The command line: argument parsing, output, and the exit-code policy (in one place).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::catalog;
use crate::check::{self, Checked};
use crate::plan::Plan;

/// Exit codes, the same for every command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Everything checked out (warnings allowed).
    Success = 0,
    /// A runbook is invalid or unreadable, or a step failed.
    Failure = 1,
    /// The command line was wrong, or output could not be written.
    Usage = 2,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

const EXAMPLES: &str = "\
Examples:
  runbook check runbooks/*.md                 check every runbook; exit 1 on any error
  runbook plan runbooks/aws-mfa.md            what a run will do, step by step
  runbook plan runbooks/aws-mfa.md --format json > plan.json
  runbook actions                             the actions a runbook can use
  runbook actions --format markdown           their full reference (docs/actions.md)

A runbook is a Markdown guide: `##`/`###` headings are steps, and fenced code blocks whose
info string names an action (```iam.enable-mfa-device id=x) are bound to typed actions.
Exit codes: 0 ok, 1 invalid runbook or failed step, 2 usage or output error.";

#[derive(Debug, Parser)]
#[command(
    name = "runbook",
    version,
    about = "Check, plan and run Markdown runbooks whose code blocks are typed actions",
    after_long_help = EXAMPLES,
    after_help = "Run `runbook --help` for examples."
)]
struct Cli {
    /// When to colour diagnostics (NO_COLOR is honoured; never when not a terminal).
    #[arg(long, value_enum, default_value_t = Color::Auto, global = true)]
    color: Color,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check runbooks for errors without running anything.
    ///
    /// Parses each file, binds every action block to its action, type-checks its TOML body
    /// and every `{{ reference }}`, and prints rustc-style diagnostics for all problems at
    /// once. Exits 1 if any file has an error; warnings (e.g. a missing image) don't fail.
    Check {
        /// Runbook files (Markdown).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Show what a run would do, step by step, without doing it.
    ///
    /// The plan is deterministic (no clock, machine or account in it), so it can be
    /// committed and diffed in review. `--format json` is documented in the README.
    Plan {
        /// The runbook file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
        format: PlanFormat,
    },
    /// List the actions runbooks can use.
    ///
    /// `--format markdown` prints the full reference with every parameter and output;
    /// it is what docs/actions.md holds.
    Actions {
        #[arg(long, value_enum, default_value_t = CatalogFormat::Text)]
        format: CatalogFormat,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum PlanFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum CatalogFormat {
    Text,
    Markdown,
}

/// Parse arguments, run the command, and map the outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                Exit::Usage
            } else {
                Exit::Success
            }
            .into();
        }
    };
    match cli.color {
        Color::Auto => {}
        Color::Always => anstream::ColorChoice::Always.write_global(),
        Color::Never => anstream::ColorChoice::Never.write_global(),
    }
    run(cli.command).into()
}

fn run(command: Command) -> Exit {
    match command {
        Command::Check { files } => {
            let mut exit = Exit::Success;
            for file in files {
                let checked = check::check_file(&file);
                report(&checked);
                if checked.errors() > 0 {
                    exit = Exit::Failure;
                } else if let Some(runbook) = &checked.runbook {
                    let actions = runbook.actions().count();
                    let warnings = match checked.warnings() {
                        0 => String::new(),
                        1 => ", 1 warning".to_string(),
                        n => format!(", {n} warnings"),
                    };
                    let line = format!(
                        "ok: {} ({} step{}, {} action{}{warnings})",
                        checked.path,
                        runbook.steps.len(),
                        plural(runbook.steps.len()),
                        actions,
                        plural(actions),
                    );
                    if !print(&line) {
                        return Exit::Usage;
                    }
                }
            }
            exit
        }
        Command::Plan { file, format } => {
            let checked = check::check_file(&file);
            report(&checked);
            let Some(runbook) = &checked.runbook else {
                return Exit::Failure;
            };
            let plan = Plan::new(runbook);
            let text = match format {
                PlanFormat::Text => plan.to_text(),
                PlanFormat::Json => plan.to_json(),
            };
            if print(text.trim_end()) {
                Exit::Success
            } else {
                Exit::Usage
            }
        }
        Command::Actions { format } => {
            let text = match format {
                CatalogFormat::Text => catalog::text(),
                CatalogFormat::Markdown => catalog::markdown(),
            };
            if print(text.trim_end()) {
                Exit::Success
            } else {
                Exit::Usage
            }
        }
    }
}

/// Diagnostics go to stderr, styled when it is a terminal.
fn report(checked: &Checked) {
    if checked.diagnostics.is_empty() {
        return;
    }
    let mut stderr = anstream::stderr();
    let summary = match (checked.errors(), checked.warnings()) {
        (0, w) => format!("{}: {w} warning{}", checked.path, plural(w)),
        (e, 0) => format!("{}: {e} error{}", checked.path, plural(e)),
        (e, w) => format!(
            "{}: {e} error{}, {w} warning{}",
            checked.path,
            plural(e),
            plural(w)
        ),
    };
    let _ = write!(stderr, "{}", checked.render_diagnostics(true));
    let _ = writeln!(stderr, "{summary}\n");
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Print a line to stdout; false if stdout is gone (e.g. a closed pipe).
fn print(text: &str) -> bool {
    let mut stdout = anstream::stdout().lock();
    writeln!(stdout, "{text}").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_valid() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
