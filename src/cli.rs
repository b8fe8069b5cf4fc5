//! The command line: argument parsing, output, and the exit-code policy (in one place).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::bind::catalog;
use crate::bind::check::{self, Checked};
use crate::bind::plan::Plan;
use crate::diff;
use crate::providers::aws::AwsOptions;
use crate::render;
use crate::run::executor::Selection;
use crate::run::runner::{self, RunRequest, RunResult};
use crate::sanitize::escape;
use crate::testing::{self, TestRequest, TestResult};

/// Exit codes, the same for every command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Everything checked out (warnings allowed).
    Success = 0,
    /// A runbook is invalid or unreadable, or a step failed.
    Failure = 1,
    /// The command line was wrong, or output could not be written.
    Usage = 2,
    /// `runbook run` finished, but some of the guide's checks could not run (listed).
    Unverified = 3,
    /// `runbook run` finished, and the guide's checks reported findings (listed).
    Findings = 4,
    /// `runbook diff --exit-code`: the guides' automation differs.
    Differs = 5,
    /// Stopped by Ctrl-C (the journal keeps what finished).
    Interrupted = 130,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

const EXAMPLES: &str = "\
Examples:
  runbook run runbooks/aws-mfa.md --sandbox   try the guide on a local AWS emulator
  runbook run runbooks/aws-mfa.md             set up MFA on your AWS account, step by step
  runbook check runbooks/*.md                 check every runbook; exit 1 on any error
  runbook plan runbooks/aws-mfa.md            what a run will do, step by step
  runbook plan runbooks/aws-mfa.md --format json > plan.json
  runbook actions                             the actions a runbook can use
  runbook actions --format markdown           their full reference (docs/actions.md)
  runbook test runbooks/*.md                  run each guide on test backends, compare with its snapshots
  runbook render runbooks/*.md --out site     each guide as an HTML page, with its figures
  runbook diff --git origin/main runbooks/aws-mfa.md   what a change does to the guide's automation
  runbook completions bash > ~/.local/share/bash-completion/completions/runbook
  runbook man --dir ~/.local/share/man/man1   a man page per command
  runbook mdbook                              (in book.toml) the guides inside an mdBook
  runbook lsp                                 (started by an editor) check's diagnostics as you type
  runbook schema iam.enable-mfa-device        the JSON Schema of an action's body

A runbook is a Markdown guide: the `#` heading is the title; every heading without
sub-headings is a step; a heading with sub-headings is a part that groups steps. Fenced code
blocks whose info string names an action (```iam.enable-mfa-device id=x) are bound to typed
actions.
Exit codes: 0 ok, 1 invalid runbook or failed step, 2 usage or output error, 3 finished
but some checks could not run (listed), 4 finished with findings (listed), 5 `diff
--exit-code` found a change, 130 Ctrl-C.";

/// `runbook --version`: the version, and whether this build has USB security keys.
#[cfg(feature = "usb")]
const LONG_VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\nUSB security keys: yes");
#[cfg(not(feature = "usb"))]
const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "\nUSB security keys: no (built without the `usb` feature; the sandbox's software key works)"
);

#[derive(Debug, Parser)]
#[command(
    name = "runbook",
    version,
    long_version = LONG_VERSION,
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
    /// Run a guide: show each step, do what its action blocks say, verify the result.
    ///
    /// Every change to AWS is shown first, with the equivalent AWS CLI command, and
    /// confirmed (or previewed with --dry-run). A journal records what finished, without
    /// any secret, so an interrupted run resumes where it stopped; a finished guide run
    /// again reports that there is nothing to do. With --sandbox the whole guide runs
    /// against a local AWS emulator with stand-ins for the phone: no account needed; each
    /// sandbox run starts a new, empty emulator, so it runs the whole guide again.
    #[command(after_help = RUN_EXAMPLES)]
    Run(RunArgs),
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
    /// Test guides: run each on test backends and compare with its snapshots.
    ///
    /// Each guide runs on a local AWS emulator, with a software security key, a fixed
    /// clock and the answers in `<guide>.test.toml` (inputs, answers to questions, what
    /// exists before the run; or several `[[scenario]]`s, each from its own state). Its
    /// normalised transcript (steps, actions with their parameters, AWS calls and
    /// results, outputs, assertions; no secrets, no times, no account ids) is compared
    /// with `<guide>.transcript` (a scenario's with `<guide>.<scenario>.transcript`), and
    /// its JSON plan with `<guide>.plan.json`. A difference is shown as a diff naming the
    /// step and the call, and fails; a failed run's transcript is left as
    /// `<snapshot>.new`. A missing snapshot is written, except in CI (CI=true), where
    /// snapshots are never written.
    #[command(after_help = TEST_EXAMPLES)]
    Test {
        /// Runbook files (Markdown).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Accept the changes: rewrite snapshots that differ (not in CI).
        #[arg(long)]
        update: bool,
    },
    /// Render guides as documentation: an HTML page, or plain Markdown for any wiki.
    ///
    /// Each runbook must check without errors. HTML: the whole guide with a table of
    /// contents, steps as checklists, and each action block as a card saying what it does,
    /// whether it changes AWS, and the equivalent AWS CLI command (template values as
    /// <placeholders>) with a copy button; no network needed to view it. Markdown: the guide
    /// with each action block replaced by its CLI command or a sentence. Every local image
    /// is copied next to the page, keeping its path relative to the runbook's folder
    /// without leading `../` (`../images2/a.png` → DIR/images2/a.png); a missing image is an
    /// error. Raw HTML in a runbook is sanitised unless --allow-html.
    #[command(after_help = RENDER_EXAMPLES)]
    Render(RenderArgs),
    /// Compare two versions of a guide: what changes in what a run does.
    ///
    /// Builds both versions' plans and compares them: steps added, removed, renamed or
    /// moved; actions added, removed or moved; parameters, conditions and expectations
    /// changed, with the AWS CLI equivalent before and after. An action that newly changes
    /// AWS, or may newly run as the root user, is flagged first. Prose and line numbers
    /// are not compared. Give OLD NEW, or --git REV and the guides to compare with that
    /// revision (a guide not in REV is new; one in REV but gone is removed). If a version does not check, its diagnostics
    /// are shown and the command exits 1.
    #[command(after_help = DIFF_EXAMPLES)]
    Diff(DiffArgs),
    /// List the actions runbooks can use.
    ///
    /// `--format markdown` prints the full reference with every parameter and output;
    /// it is what docs/actions.md holds.
    Actions {
        #[arg(long, value_enum, default_value_t = CatalogFormat::Text)]
        format: CatalogFormat,
    },
    /// The mdBook preprocessor: guides in a book, with the cards `runbook render` draws.
    ///
    /// Register it in the book's book.toml; mdBook then runs it on every build. A chapter
    /// with action blocks (or `<!-- runbook: … -->` directives) is checked like `runbook
    /// render` checks a guide; its action blocks become cards (what it does, whether it
    /// changes AWS, the equivalent AWS CLI command with a copy button) and its prose stays
    /// Markdown for mdBook's theme. A chapter with errors fails the book build with
    /// `runbook check`'s diagnostics. Other chapters pass through untouched. (mdBook
    /// first asks `runbook mdbook supports RENDERER`: only `html` gets the cards.)
    #[command(after_help = MDBOOK_EXAMPLES)]
    Mdbook {
        #[command(subcommand)]
        query: Option<MdbookQuery>,
    },
    /// Print the JSON Schema for the body of an action block (or for every action).
    ///
    /// Its parameters with their types and descriptions, and the keys every action takes
    /// (`when`, `expect`, `for_each`, `as`): for editors and TOML tools. `runbook check`
    /// checks more (references, types of templates, conditions).
    #[command(after_help = SCHEMA_EXAMPLES)]
    Schema {
        /// The action, e.g. iam.enable-mfa-device (`runbook actions` lists them).
        #[arg(
            value_name = "ACTION",
            required_unless_present = "all",
            conflicts_with = "all"
        )]
        action: Option<String>,
        /// Every action's schema, in one JSON object keyed by action name.
        #[arg(long)]
        all: bool,
    },
    /// Serve the Language Server Protocol on stdin and stdout, for an editor.
    ///
    /// The editor starts it (see the README's Editor support): it shows `runbook check`'s
    /// diagnostics as a guide is typed, and an action's reference or a value's type and
    /// origin on hover. It never calls AWS, the network or another program.
    Lsp,
    /// Print a shell completion script for runbook to stdout.
    ///
    /// Generated from this very command line, so it completes every command and option
    /// of this version. Save it where your shell looks for completions, then start a new
    /// shell.
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions {
        /// The shell to complete in.
        #[arg(value_enum, value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Write the manual pages: one per command (runbook.1, runbook-run.1, ...).
    ///
    /// Generated from this very command line. Without --dir, the top page (runbook.1) is
    /// printed to stdout, e.g. `runbook man | man -l -`.
    #[command(after_help = MAN_EXAMPLES)]
    Man {
        /// Write every page to this folder (created if needed) instead, e.g.
        /// ~/.local/share/man/man1.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum MdbookQuery {
    /// Exit 0 if the cards can be made for RENDERER (mdBook asks before each build):
    /// `html` only; other renderers get the chapters as written. Part of mdBook's
    /// protocol, not for people, so hidden from --help and the man pages.
    #[command(hide = true)]
    Supports {
        #[arg(value_name = "RENDERER")]
        renderer: String,
    },
}

const MDBOOK_EXAMPLES: &str = "\
In book.toml:
  [preprocessor.runbook]
  command = \"runbook mdbook\"
  # theme = \"runbook-theme\"   # optional: a folder with your own action.html, mdbook.css, copy.js
Then put (or symlink) the guides and their images under the book's src/ folder, list them
in SUMMARY.md, and run `mdbook build` as usual.";

const COMPLETIONS_EXAMPLES: &str = "\
Where to put the script:
  bash:        runbook completions bash > ~/.local/share/bash-completion/completions/runbook
  zsh:         runbook completions zsh > ~/.zfunc/_runbook
               (any folder in $fpath, named _runbook; e.g. add `fpath=(~/.zfunc $fpath)`
               before `compinit` in ~/.zshrc)
  fish:        runbook completions fish > ~/.config/fish/completions/runbook.fish
  powershell:  runbook completions powershell >> $PROFILE
  elvish:      runbook completions elvish >> ~/.config/elvish/rc.elv";

const MAN_EXAMPLES: &str = "\
Examples:
  runbook man | man -l -                      read the top page now
  runbook man --dir ~/.local/share/man/man1   install every page; then `man runbook-run`";

const RUN_EXAMPLES: &str = "\
Examples:
  runbook run runbooks/aws-mfa.md --sandbox --yes --to set-up-the-authenticator-app
  runbook run runbooks/aws-mfa.md --profile dev --var device_name=AlicePhone
  runbook run runbooks/aws-mfa.md --dry-run
  runbook run runbooks/aws-mfa.md --output json --yes --sandbox | jq .event";

const TEST_EXAMPLES: &str = "\
Examples:
  runbook test runbooks/aws-mfa.md            check the guide against its snapshots
  runbook test runbooks/*.md --update         accept the changes (then review and commit them)
  CI=true runbook test runbooks/*.md          as CI runs it: snapshots are read-only";

const DIFF_EXAMPLES: &str = "\
Examples:
  runbook diff old/aws-mfa.md runbooks/aws-mfa.md
  runbook diff --git HEAD runbooks/aws-mfa.md                  your uncommitted edits
  runbook diff --git origin/main runbooks/*.md --format markdown > comment.md
  runbook diff --git origin/main runbooks/*.md --exit-code     exit 5 if automation changed";

const RENDER_EXAMPLES: &str = "\
Examples:
  runbook render runbooks/aws-mfa.md --out site                site/aws-mfa.html and its images
  runbook render runbooks/*.md --out wiki --format markdown    plain Markdown pages
  runbook render runbooks/aws-mfa.md --out site --theme mine   templates from mine/ first
Templates a --theme folder can replace, file by file:
  page.html toc.html about.html step.html action.html style.css copy.js";

#[derive(Debug, clap::Args)]
struct RenderArgs {
    /// Runbook files (Markdown).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// The folder to write the pages and their images to (created if needed).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    #[arg(long, value_enum, default_value_t = RenderFormat::Html)]
    format: RenderFormat,
    /// A folder of templates replacing the built-in ones, file by file.
    #[arg(long, value_name = "DIR")]
    theme: Option<PathBuf>,
    /// Keep raw HTML from the runbooks as written instead of sanitising it (trusted
    /// runbooks only; the page then has no Content Security Policy).
    #[arg(long)]
    allow_html: bool,
}

#[derive(Debug, clap::Args)]
struct DiffArgs {
    /// OLD NEW; with --git, the guides (as they are now) to compare with REV.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Compare each FILE with its version in this git revision (`git show REV:FILE`).
    #[arg(long, value_name = "REV")]
    git: Option<String>,
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    format: DiffFormat,
    /// Exit 5 when some guide's automation changed (like `git diff --exit-code`).
    #[arg(long)]
    exit_code: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum DiffFormat {
    /// For a terminal.
    Text,
    /// GitHub-flavoured Markdown, for a pull-request comment.
    Markdown,
    /// For tools (`diff_version` 1, in the README).
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum RenderFormat {
    Html,
    Markdown,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// The runbook file.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Give an input's value instead of being asked (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    vars: Vec<(String, String)>,
    /// Confirm every change without asking (unattended); inputs take --var or their default.
    #[arg(long, short = 'y')]
    yes: bool,
    /// Change nothing: run the read-only checks and show what each change would be.
    #[arg(long)]
    dry_run: bool,
    /// Start at this step (by id; `runbook plan` lists them).
    #[arg(long, value_name = "STEP", conflicts_with = "only")]
    from: Option<String>,
    /// Stop after this step.
    #[arg(long, value_name = "STEP", conflicts_with = "only")]
    to: Option<String>,
    /// Run just this step.
    #[arg(long, value_name = "STEP")]
    only: Option<String>,
    /// `json` prints one event per line on stdout (no secrets in them).
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    output: OutputFormat,
    /// Use a local AWS emulator (moto, installed into .venv on first use) and stand-ins
    /// for the phone and the console. Never touches real AWS.
    #[arg(long, conflicts_with_all = ["profile", "endpoint_url"])]
    sandbox: bool,
    /// The AWS profile to use (SSO profiles work).
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
    /// The AWS region (IAM is global; default: your configuration, else us-east-1).
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
    /// Send AWS calls here instead (also AWS_ENDPOINT_URL), e.g. a local emulator.
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// Give up on an AWS call after this many seconds without an answer (per attempt;
    /// calls are retried with backoff).
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    aws_timeout: u64,
    /// Forget the journal of an earlier run and start over.
    #[arg(long)]
    restart: bool,
    /// Where journals are kept (default: $XDG_STATE_HOME/runbook or ~/.local/state/runbook).
    #[arg(long, value_name = "DIR", env = "RUNBOOK_STATE_DIR")]
    state_dir: Option<PathBuf>,
    /// Also hand a new virtual MFA device's enrolment key (its `otpauth://` URI) to this
    /// file, created with mode 0600 (an existing file is never overwritten), or to a pipe,
    /// e.g. `--seed-file >(pass insert -m aws/mfa)`, so a password manager or secret store
    /// can take it. Needed to enrol a device when no terminal can show its QR code (output
    /// redirected, or `--output json` without a terminal on stderr): AWS shows the seed
    /// only once, so without a taker the run refuses to create the device.
    #[arg(long, value_name = "PATH", value_parser = parse_seed_file)]
    seed_file: Option<PathBuf>,
}

fn parse_seed_file(text: &str) -> Result<PathBuf, String> {
    if text.is_empty() || text == "-" {
        return Err("give a file or pipe path; the seed is never written to stdout".into());
    }
    Ok(PathBuf::from(text))
}

fn parse_var(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_string(), value.to_string())),
        _ => Err(format!("expected NAME=VALUE, got `{text}`")),
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum OutputFormat {
    Human,
    Json,
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

/// The command line's definition, as clap sees it (for completions, man pages and tests).
pub fn definition() -> clap::Command {
    use clap::CommandFactory;
    Cli::command()
}

/// Parse arguments, run the command, and map the outcome to an exit code.
pub fn main() -> ExitCode {
    crate::secret::forbid_core_dumps();
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
        Command::Run(args) => {
            let request = RunRequest {
                file: args.file,
                vars: args.vars.into_iter().collect(),
                yes: args.yes,
                dry_run: args.dry_run,
                selection: Selection {
                    from: args.from,
                    to: args.to,
                    only: args.only,
                },
                json: matches!(args.output, OutputFormat::Json),
                sandbox: args.sandbox,
                aws: AwsOptions {
                    region: args.region,
                    profile: args.profile,
                    endpoint_url: args.endpoint_url,
                    call_timeout: Some(std::time::Duration::from_secs(args.aws_timeout)),
                    ..AwsOptions::default()
                },
                restart: args.restart,
                state_dir: args.state_dir,
                seed_file: args.seed_file,
            };
            match runner::run(request) {
                RunResult::Ok => Exit::Success,
                RunResult::Unverified => Exit::Unverified,
                RunResult::Findings => Exit::Findings,
                RunResult::Invalid | RunResult::Failed => Exit::Failure,
                RunResult::Interrupted => Exit::Interrupted,
                RunResult::Usage(_) => Exit::Usage,
            }
        }
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
                    if !print(&escape(&line)) {
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
            // Text for people, with the runbook's control characters escaped; JSON exact.
            let text = match format {
                PlanFormat::Text => escape(&plan.to_text()).into_owned(),
                PlanFormat::Json => plan.to_json(),
            };
            if print(text.trim_end()) {
                Exit::Success
            } else {
                Exit::Usage
            }
        }
        Command::Test { files, update } => match testing::run(TestRequest { files, update }) {
            TestResult::Passed => Exit::Success,
            TestResult::Failed => Exit::Failure,
            TestResult::Output(_) => Exit::Usage,
        },
        Command::Render(args) => render_files(args),
        Command::Mdbook { query } => mdbook(query),
        Command::Schema { action, all } => schema(action.as_deref(), all),
        Command::Lsp => match crate::lsp::serve_stdio() {
            Ok(()) => Exit::Success,
            Err(error) => {
                eprintln!("error: {error}");
                Exit::Usage
            }
        },
        Command::Diff(args) => diff_files(args),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut definition(), "runbook", &mut script);
            let mut stdout = std::io::stdout().lock();
            if stdout
                .write_all(&script)
                .and_then(|()| stdout.flush())
                .is_ok()
            {
                Exit::Success
            } else {
                Exit::Usage
            }
        }
        Command::Man { dir } => man_pages(dir),
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

/// `runbook man`: the top page to stdout, or every command's page into a folder.
fn man_pages(dir: Option<PathBuf>) -> Exit {
    let mut top = definition().disable_help_subcommand(true);
    top.build();
    let Some(dir) = dir else {
        let mut page = Vec::new();
        let mut stdout = std::io::stdout().lock();
        let written = clap_mangen::Man::new(top)
            .render(&mut page)
            .and_then(|()| stdout.write_all(&page))
            .and_then(|()| stdout.flush());
        return if written.is_ok() {
            Exit::Success
        } else {
            Exit::Usage
        };
    };
    fn write_all(cmd: &clap::Command, dir: &std::path::Path) -> std::io::Result<Vec<PathBuf>> {
        let mut written = vec![clap_mangen::Man::new(cmd.clone()).generate_to(dir)?];
        for sub in cmd.get_subcommands().filter(|sub| !sub.is_hide_set()) {
            written.extend(write_all(sub, dir)?);
        }
        Ok(written)
    }
    match std::fs::create_dir_all(&dir).and_then(|()| write_all(&top, &dir)) {
        Ok(pages) => {
            for page in pages {
                if !print(&escape(&format!("wrote {}", page.display()))) {
                    return Exit::Usage;
                }
            }
            Exit::Success
        }
        Err(error) => {
            let _ = writeln!(
                anstream::stderr(),
                "error: cannot write the man pages to {}: {}\nhelp: give --dir a folder you can write to",
                escape(&dir.display().to_string()),
                escape(&error.to_string())
            );
            Exit::Usage
        }
    }
}

/// `runbook diff`: check both versions of each guide and compare their plans.
fn diff_files(args: DiffArgs) -> Exit {
    let mut guides = Vec::new();
    match &args.git {
        None => {
            let [old, new] = args.files.as_slice() else {
                let _ = writeln!(
                    anstream::stderr(),
                    "error: give two files, OLD NEW (got {})\nhelp: `runbook diff old.md new.md`, or `runbook diff --git REV FILE...` to compare with a git revision",
                    args.files.len()
                );
                return Exit::Usage;
            };
            let old = check::check_file(old);
            let new = check::check_file(new);
            report_errors(&old);
            report_errors(&new);
            guides.push(diff::guide(&new.path, Some(&old), Some(&new)));
        }
        Some(rev) => {
            for file in &args.files {
                let limit = crate::parse::source::MAX_FILE_BYTES;
                let old = match crate::providers::git::show(rev, file, limit) {
                    Ok(bytes) => bytes.map(|bytes| {
                        let name = PathBuf::from(format!("{rev}:{}", file.display()));
                        check::check_bytes(&name, bytes)
                    }),
                    Err(error) => {
                        let _ = writeln!(
                            anstream::stderr(),
                            "error: {}\nhelp: {}",
                            escape(&error.to_string()),
                            error.help()
                        );
                        return Exit::Usage;
                    }
                };
                // A guide in REV but gone now is removed (not a file that cannot be read).
                let new = (old.is_none() || file.exists()).then(|| check::check_file(file));
                for checked in old.iter().chain(&new) {
                    report_errors(checked);
                }
                let name = file.display().to_string();
                guides.push(diff::guide(&name, old.as_ref(), new.as_ref()));
            }
        }
    }
    let report = diff::Report::new(guides);
    let text = match args.format {
        DiffFormat::Text => escape(&diff::text::render(&report)).into_owned(),
        DiffFormat::Markdown => escape(&diff::markdown::render(&report)).into_owned(),
        DiffFormat::Json => report.to_json(),
    };
    if !print(text.trim_end()) {
        Exit::Usage
    } else if report.invalid {
        Exit::Failure
    } else if report.changed && args.exit_code {
        Exit::Differs
    } else {
        Exit::Success
    }
}

/// `runbook render`: check each runbook, render it, write it and its figures.
fn render_files(args: RenderArgs) -> Exit {
    let theme = match render::Theme::load(args.theme.as_deref()) {
        Ok(theme) => theme,
        Err(error) => {
            let _ = writeln!(anstream::stderr(), "error: {}", escape(&error.to_string()));
            return Exit::Usage;
        }
    };
    let options = render::Options {
        format: match args.format {
            RenderFormat::Html => render::Format::Html,
            RenderFormat::Markdown => render::Format::Markdown,
        },
        allow_html: args.allow_html,
    };
    let mut site = render::Site::new(&args.out);
    let mut exit = Exit::Success;
    for file in args.files {
        let checked = render::check_file(&file);
        report(&checked);
        if checked.errors() > 0 {
            exit = Exit::Failure;
            continue;
        }
        let written = render::render(&checked, &options, &theme).and_then(|page| site.write(&page));
        match written {
            Ok(written) => {
                let figures = match written.figures {
                    0 => String::new(),
                    1 => " and 1 image".to_string(),
                    n => format!(" and {n} images"),
                };
                if !print(&escape(&format!(
                    "rendered {} → {}{figures}",
                    checked.path,
                    written.page.display()
                ))) {
                    return Exit::Usage;
                }
            }
            Err(render::RenderError::Invalid) => exit = Exit::Failure,
            Err(error) => {
                let _ = writeln!(anstream::stderr(), "error: {}", escape(&error.to_string()));
                return Exit::Usage;
            }
        }
    }
    exit
}

/// `runbook mdbook`: mdBook's preprocessor protocol on stdin and stdout.
fn mdbook(query: Option<MdbookQuery>) -> Exit {
    if let Some(MdbookQuery::Supports { renderer }) = query {
        return if render::mdbook::supports(&renderer) {
            Exit::Success
        } else {
            Exit::Failure
        };
    }
    let mut stderr = anstream::stderr();
    let (context, mut book) = match mdbook_preprocessor::parse_input(std::io::stdin().lock()) {
        Ok(input) => input,
        Err(error) => {
            let _ = writeln!(
                stderr,
                "error: `runbook mdbook` reads what mdBook sends a preprocessor on stdin ({}); register it in book.toml (see `runbook mdbook --help`) and run `mdbook build`",
                escape(&format!("{error:#}"))
            );
            return Exit::Usage;
        }
    };
    let theme_dir = match context.config.get::<PathBuf>("preprocessor.runbook.theme") {
        Ok(dir) => dir.map(|dir| context.root.join(dir)),
        Err(error) => {
            let _ = writeln!(
                stderr,
                "error: book.toml: [preprocessor.runbook] theme: {}",
                escape(&format!("{error:#}"))
            );
            return Exit::Usage;
        }
    };
    let theme = match render::Theme::load(theme_dir.as_deref()) {
        Ok(theme) => theme,
        Err(error) => {
            let _ = writeln!(stderr, "error: {}", escape(&error.to_string()));
            return Exit::Usage;
        }
    };
    let src = context.root.join(&context.config.book.src);
    let done = match render::mdbook::preprocess(&mut book, &src, &theme) {
        Ok(done) => done,
        Err(error) => {
            let _ = writeln!(stderr, "error: {}", escape(&error.to_string()));
            return Exit::Usage;
        }
    };
    for checked in &done.checked {
        report(checked);
    }
    if done.errors() > 0 {
        let _ = writeln!(
            stderr,
            "error: {} guide chapter{} of the book {} errors (above); fix them (`runbook check FILE` shows the same), then build again",
            done.checked.iter().filter(|c| c.errors() > 0).count(),
            plural(done.checked.iter().filter(|c| c.errors() > 0).count()),
            if done.checked.iter().filter(|c| c.errors() > 0).count() == 1 {
                "has"
            } else {
                "have"
            },
        );
        return Exit::Failure;
    }
    let mut stdout = std::io::stdout().lock();
    match serde_json::to_writer(&mut stdout, &book).map(|()| stdout.flush()) {
        Ok(Ok(())) => Exit::Success,
        _ => Exit::Usage,
    }
}

/// [`report`] for a runbook with errors; its warnings alone are not worth showing (a
/// diff compares plans, which warnings do not change).
fn report_errors(checked: &Checked) {
    if checked.errors() > 0 {
        report(checked);
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
    let _ = checked.write_diagnostics(true, &mut stderr);
    let _ = writeln!(stderr, "{}\n", escape(&summary));
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Print a line to stdout; false if stdout is gone (e.g. a closed pipe).
const SCHEMA_EXAMPLES: &str = "\
Examples:
  runbook schema iam.enable-mfa-device     the body of an iam.enable-mfa-device block
  runbook schema --all > runbook-actions.schema.json";

/// `runbook schema`: one action's body schema, or all of them.
fn schema(action: Option<&str>, all: bool) -> Exit {
    let value = match action {
        Some(name) if !all => match crate::actions::find(name) {
            Some(action) => catalog::schema(action),
            None => {
                let names: Vec<&str> = crate::actions::all().iter().map(|a| a.name()).collect();
                let mut message = format!("error: there is no action `{}`", escape(name));
                match crate::parse::diagnostic::did_you_mean(name, names) {
                    Some(close) => message.push_str(&format!("\nhelp: did you mean `{close}`?")),
                    None => message.push_str("\nhelp: `runbook actions` lists every action"),
                }
                eprintln!("{message}");
                return Exit::Usage;
            }
        },
        _ => catalog::schemas(),
    };
    let text = serde_json::to_string_pretty(&value).expect("a schema serialises");
    if print(&text) {
        Exit::Success
    } else {
        Exit::Usage
    }
}

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
