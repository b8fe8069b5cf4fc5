//! The answers file of a guide, for `runbook test`: `runbooks/aws-mfa.md` →
//! `runbooks/aws-mfa.test.toml`. It sets the scene of a test run (the emulator's user, the
//! fixed clock, unattended or scripted, the sandbox's stand-ins, a security key, what
//! exists before the run) and plays the person: inputs, and the answers to every question
//! in the order the run asks them. Codes are typed from the test's stand-in phone, which
//! knows the seed of the device the run created, or of one the set-up enabled (never
//! written anywhere).
//!
//! ```toml
//! user = "alice"          # the IAM user created on the emulator (default `alice`)
//! clock = 1704067200      # the fixed clock, Unix seconds (default 2024-01-01T00:00:00Z)
//! yes = true              # unattended, like `runbook run --yes` (default true)
//! sandbox = true          # stand-ins for the phone and the console (default true)
//! security_key = true     # a software security key is plugged in (default true)
//! expect = "ok"           # "ok", "failed", "unverified" or "findings" (default "ok")
//!
//! [vars]                  # inputs, like `--var NAME=VALUE` (each an input of the guide)
//! device_name = "alice-phone"
//!
//! [setup]                 # before the run ([`crate::testing::setup`])
//! unassigned_devices = ["alice-DuoMobile"]
//! virtual_devices = ["alice-Phone"]   # enabled; the phone knows the seed
//! security_keys = ["alice-YubiKey"]   # registered u2f serials
//! console_password = true
//! phone_clock_offset = 120            # the phone's clock runs 2 minutes ahead
//! users = [{ name = "bob", console_password = true }]
//! # another user's credentials, e.g. for an offboarding guide:
//! # users = [{ name = "bob", access_keys = ["Active", "Inactive"],
//! #           virtual_devices = ["bob-phone"], security_keys = ["bob-key"] }]
//!
//! [[answer]]              # one per question, in order (with yes = false)
//! question = "MFA code 1" # optional: the question asked must contain this
//! value = "{{ totp.wrong }}"
//! ```
//!
//! Or several `[[scenario]]` tables, each with a `name` and any of the keys above
//! (`[scenario.setup]`, `[[scenario.answer]]`, …); what a scenario leaves out comes from
//! the top of the file, then the defaults ([`TestFile`]).
//!
//! Answer values: text as typed; `""` presses Enter (the default, or "no" to a yes/no
//! question); `y`/`yes`; and, for codes, `{{ totp.current }}`, `{{ totp.previous }}`,
//! `{{ totp.next }}` (the codes of the seed of the last device created, at the fixed
//! clock's time when asked) or `{{ totp.wrong }}` (a well-formed code that matches none
//! of the nearby windows).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::bind::runbook::Runbook;
use crate::providers::prompt::{Prompt, PromptError};
use crate::providers::{AccessKeyStatus, Clock};
use crate::secret::Secret;
use crate::testing::transcript::Recorder;
use crate::totp::{self, Seed};

/// 2024-01-01T00:00:00Z: the default fixed clock.
pub const DEFAULT_CLOCK: u64 = 1_704_067_200;

/// The default IAM user on the emulator.
pub const DEFAULT_USER: &str = "alice";

/// How a test run must end.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    #[default]
    Ok,
    Failed,
    /// Finished, with checks that could not run.
    Unverified,
    /// Finished, with findings.
    Findings,
}

impl Expect {
    pub fn as_str(self) -> &'static str {
        match self {
            Expect::Ok => "ok",
            Expect::Failed => "failed",
            Expect::Unverified => "unverified",
            Expect::Findings => "findings",
        }
    }
}

/// The answers file, parsed.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answers {
    #[serde(default = "default_user")]
    pub user: String,
    #[serde(default = "default_clock")]
    pub clock: u64,
    #[serde(default = "yes")]
    pub yes: bool,
    #[serde(default = "yes")]
    pub sandbox: bool,
    #[serde(default = "yes")]
    pub security_key: bool,
    #[serde(default)]
    pub expect: Expect,
    #[serde(default)]
    pub vars: BTreeMap<String, String>,
    #[serde(default)]
    pub setup: Setup,
    #[serde(default, rename = "answer")]
    pub answers: Vec<Answer>,
}

/// What exists before the run.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Setup {
    /// Virtual MFA devices created (as the user) and left unassigned, as an interrupted
    /// earlier setup would leave them.
    #[serde(default)]
    pub unassigned_devices: Vec<String>,
    /// Virtual MFA devices created and enabled on the user; the stand-in phone knows the
    /// seed (of the last one), so later code questions can be answered.
    #[serde(default)]
    pub virtual_devices: Vec<String>,
    /// Security keys registered on the user (`arn:aws:iam::<account>:u2f/user/<user>/<name>`).
    #[serde(default)]
    pub security_keys: Vec<String>,
    /// The user has a console password (a login profile; the password is never shown).
    #[serde(default)]
    pub console_password: bool,
    /// Other IAM users in the account.
    #[serde(default)]
    pub users: Vec<SetupUser>,
    /// How many seconds the stand-in phone's clock is ahead of the test's clock (negative:
    /// behind): its codes are those of that time, as a phone whose clock drifted shows
    /// them (default 0).
    #[serde(default)]
    pub phone_clock_offset: i64,
    /// IAM groups in the account (empty, made by the run's user).
    #[serde(default)]
    pub groups: Vec<String>,
    /// Customer managed policies already in the account.
    #[serde(default)]
    pub policies: Vec<SetupPolicy>,
}

/// A customer managed policy created before the run (at the path `/`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetupPolicy {
    pub name: String,
    /// Its document: the id of a document block the guide's actions send
    /// (```` ```json id=NAME ````), so it is the guide's own text…
    pub document: Option<String>,
    /// …or this JSON text, e.g. an older version that differs from the guide's.
    pub json: Option<String>,
    /// Attached to the run's user.
    #[serde(default)]
    pub attached_to_user: bool,
    /// Attached to these groups (of `groups`).
    #[serde(default)]
    pub attached_to_groups: Vec<String>,
}

/// Another IAM user created before the run.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetupUser {
    pub name: String,
    /// With a console password (a login profile).
    #[serde(default)]
    pub console_password: bool,
    /// Access keys created for the user, one per entry, each with that status
    /// (`"Active"` or `"Inactive"`; IAM allows two). Their secrets are discarded.
    #[serde(default)]
    pub access_keys: Vec<AccessKeyStatus>,
    /// Virtual MFA devices created and enabled on the user (nobody keeps their seeds).
    #[serde(default)]
    pub virtual_devices: Vec<String>,
    /// Security keys registered on the user (`arn:aws:iam::<account>:u2f/user/<name>/<key>`).
    #[serde(default)]
    pub security_keys: Vec<String>,
}

/// One scripted answer.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// Text the question must contain; a mismatch fails the test.
    pub question: Option<String>,
    pub value: String,
}

fn default_user() -> String {
    DEFAULT_USER.to_string()
}

fn default_clock() -> u64 {
    DEFAULT_CLOCK
}

fn yes() -> bool {
    true
}

impl Default for Answers {
    fn default() -> Answers {
        Answers {
            user: default_user(),
            clock: DEFAULT_CLOCK,
            yes: true,
            sandbox: true,
            security_key: true,
            expect: Expect::Ok,
            vars: BTreeMap::new(),
            setup: Setup::default(),
            answers: Vec::new(),
        }
    }
}

/// The answers file of `guide`: the same name with `.test.toml` for `.md`.
pub fn path_for(guide: &Path) -> PathBuf {
    guide.with_extension("test.toml")
}

/// One run of a guide under test: the whole answers file, or one of its `[[scenario]]`s.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// `None` for a file without `[[scenario]]` tables.
    pub name: Option<String>,
    pub answers: Answers,
}

/// The answers file of a guide: its scenarios (one, unnamed, without `[[scenario]]`).
#[derive(Clone, Debug)]
pub struct TestFile {
    /// `None` when the guide has no answers file (the defaults are used).
    pub path: Option<PathBuf>,
    pub scenarios: Vec<Scenario>,
}

/// The answers file and its `[[scenario]]` tables, as written: every key optional, so a
/// scenario can take the file's. (A macro, as serde's `flatten` cannot deny unknown keys.)
macro_rules! raw_tables {
    ($($(#[$meta:meta])* $field:ident: $ty:ty,)*) => {
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct RawFile {
            $($(#[$meta])* $field: Option<$ty>,)*
            #[serde(default)]
            scenario: Vec<RawScenario>,
        }

        /// One `[[scenario]]` table.
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct RawScenario {
            name: String,
            $($(#[$meta])* $field: Option<$ty>,)*
        }

        /// The keys a file and a scenario share.
        #[derive(Debug, Default)]
        struct RawFields {
            $($field: Option<$ty>,)*
        }

        impl RawFile {
            fn split(self) -> (RawFields, Vec<RawScenario>) {
                (RawFields { $($field: self.$field,)* }, self.scenario)
            }
        }

        impl RawScenario {
            fn split(self) -> (String, RawFields) {
                (self.name, RawFields { $($field: self.$field,)* })
            }
        }
    };
}

raw_tables! {
    user: String,
    clock: u64,
    yes: bool,
    sandbox: bool,
    security_key: bool,
    expect: Expect,
    vars: BTreeMap<String, String>,
    setup: Setup,
    #[serde(rename = "answer")]
    answers: Vec<Answer>,
}

/// Every key a file or scenario may have, for did-you-mean.
const FILE_KEYS: &[&str] = &[
    "user",
    "clock",
    "yes",
    "sandbox",
    "security_key",
    "expect",
    "vars",
    "setup",
    "answer",
    "scenario",
    "name",
    "unassigned_devices",
    "virtual_devices",
    "security_keys",
    "console_password",
    "users",
    "access_keys",
    "question",
    "value",
];

impl RawFields {
    /// These keys, each taken from `self` or else from `file`, or else the default.
    fn resolve(self, file: &RawFields) -> Answers {
        let default = Answers::default();
        Answers {
            user: self
                .user
                .or_else(|| file.user.clone())
                .unwrap_or(default.user),
            clock: self.clock.or(file.clock).unwrap_or(default.clock),
            yes: self.yes.or(file.yes).unwrap_or(default.yes),
            sandbox: self.sandbox.or(file.sandbox).unwrap_or(default.sandbox),
            security_key: self
                .security_key
                .or(file.security_key)
                .unwrap_or(default.security_key),
            expect: self.expect.or(file.expect).unwrap_or(default.expect),
            vars: {
                let mut vars = file.vars.clone().unwrap_or_default();
                vars.extend(self.vars.unwrap_or_default());
                vars
            },
            setup: self
                .setup
                .or_else(|| file.setup.clone())
                .unwrap_or_default(),
            answers: self
                .answers
                .or_else(|| file.answers.clone())
                .unwrap_or_default(),
        }
    }
}

/// A TOML error, with a did-you-mean for an unknown key.
fn explain(error: &toml::de::Error) -> String {
    let mut message = error.to_string();
    if let Some(rest) = error.message().strip_prefix("unknown field `")
        && let Some(key) = rest.split('`').next()
        && let Some(suggestion) =
            crate::parse::diagnostic::did_you_mean(key, FILE_KEYS.iter().copied())
    {
        message = format!("{}\nhelp: did you mean `{suggestion}`?", message.trim_end());
    }
    message
}

/// A scenario's name becomes part of a file name: `<guide>.<name>.transcript`.
fn scenario_name_ok(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && !name.starts_with('-')
}

impl TestFile {
    /// The answers file next to `guide`, or the defaults when there is none. Errors are
    /// one line (or a TOML snippet) naming the file (and the scenario).
    pub fn load(guide: &Path) -> Result<TestFile, String> {
        let path = path_for(guide);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(TestFile {
                    path: None,
                    scenarios: vec![Scenario {
                        name: None,
                        answers: Answers::default(),
                    }],
                });
            }
            Err(error) => return Err(format!("cannot read {}: {error}", path.display())),
        };
        let raw: RawFile = toml::from_str(&text)
            .map_err(|error| format!("{}: {}", path.display(), explain(&error)))?;
        let shown = path.display();
        let (file, raw_scenarios) = raw.split();
        let mut scenarios = Vec::new();
        if raw_scenarios.is_empty() {
            scenarios.push(Scenario {
                name: None,
                answers: RawFields::default().resolve(&file),
            });
        }
        let mut names = BTreeSet::new();
        for scenario in raw_scenarios {
            let (name, fields) = scenario.split();
            if !scenario_name_ok(&name) {
                return Err(format!(
                    "{shown}: scenario name `{name}` is not usable in a file name: use 1–64 lower-case letters, digits, `-` or `_` (e.g. `with-device`)"
                ));
            }
            if !names.insert(name.clone()) {
                return Err(format!(
                    "{shown}: two scenarios are named `{name}`: give each its own name (its transcript is <guide>.{name}.transcript)"
                ));
            }
            scenarios.push(Scenario {
                name: Some(name),
                answers: fields.resolve(&file),
            });
        }
        for scenario in &scenarios {
            scenario
                .answers
                .validate()
                .map_err(|message| match &scenario.name {
                    Some(name) => format!("{shown}: scenario `{name}`: {message}"),
                    None => format!("{shown}: {message}"),
                })?;
        }
        Ok(TestFile {
            path: Some(path),
            scenarios,
        })
    }
}

impl TestFile {
    /// Every `[vars]` name must be an input of the guide (an `input.text` block's id).
    pub fn check_vars(
        &self,
        runbook: &Runbook,
        file: &Path,
        answers_label: &str,
    ) -> Result<(), String> {
        let inputs: Vec<&str> = runbook
            .actions()
            .filter(|(_, action)| action.def.name() == "input.text")
            .map(|(_, action)| action.id.as_str())
            .collect();
        for scenario in &self.scenarios {
            for name in scenario.answers.vars.keys() {
                if inputs.contains(&name.as_str()) {
                    continue;
                }
                let place = match &scenario.name {
                    Some(scenario) => format!("{answers_label}, scenario {scenario}"),
                    None => answers_label.to_string(),
                };
                let help =
                    match crate::parse::diagnostic::did_you_mean(name, inputs.iter().copied()) {
                        Some(suggestion) => format!("did you mean `{suggestion}`?"),
                        None if inputs.is_empty() => {
                            "the guide has no inputs (`input.text` blocks)".into()
                        }
                        None => format!(
                            "its inputs are {}",
                            inputs
                                .iter()
                                .map(|input| format!("`{input}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    };
                return Err(format!(
                    "{place}: [vars] `{name}` is not an input of {}: {help}",
                    file.display()
                ));
            }
        }
        Ok(())
    }
}

impl Answers {
    fn validate(&self) -> Result<(), String> {
        let name_ok = |name: &str| {
            (1..=64).contains(&name.len())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
        };
        if !name_ok(&self.user) {
            return Err(format!(
                "`user = \"{}\"` is not an IAM user name (1–64 letters, digits or +=,.@_-)",
                self.user
            ));
        }
        let setup = &self.setup;
        for (key, names) in [
            ("unassigned_devices", &setup.unassigned_devices),
            ("virtual_devices", &setup.virtual_devices),
            ("security_keys", &setup.security_keys),
        ] {
            if let Some(name) = names.iter().find(|name| !name_ok(name)) {
                return Err(format!(
                    "`setup.{key}`: `{name}` is not a device name (1–64 letters, digits or +=,.@_-)"
                ));
            }
        }
        for user in &setup.users {
            if !name_ok(&user.name) {
                return Err(format!(
                    "`setup.users`: `{}` is not an IAM user name (1–64 letters, digits or +=,.@_-)",
                    user.name
                ));
            }
            if let Some(name) = user
                .virtual_devices
                .iter()
                .chain(&user.security_keys)
                .find(|name| !name_ok(name))
            {
                return Err(format!(
                    "`setup.users`: `{name}` (of `{}`) is not a device name (1–64 letters, digits or +=,.@_-)",
                    user.name
                ));
            }
            if user.access_keys.len() > 2 {
                return Err(format!(
                    "`setup.users`: `{}` has {} access keys; IAM allows at most 2 per user",
                    user.name,
                    user.access_keys.len()
                ));
            }
            if user.name == self.user {
                return Err(format!(
                    "`setup.users`: `{}` is the user the run acts as, created anyway; for its console password write `setup.console_password = true`",
                    user.name
                ));
            }
        }
        for answer in &self.answers {
            let value = answer.value.trim();
            if value.starts_with("{{") && code_kind(value).is_none() {
                return Err(format!(
                    "answer `{}`: the codes are {{{{ totp.current }}}}, {{{{ totp.previous }}}}, {{{{ totp.next }}}} and {{{{ totp.wrong }}}}",
                    answer.value
                ));
            }
        }
        Ok(())
    }
}

/// Which code a `{{ totp.* }}` answer means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CodeKind {
    Previous,
    Current,
    Next,
    Wrong,
}

fn code_kind(value: &str) -> Option<CodeKind> {
    let inner = value.strip_prefix("{{")?.strip_suffix("}}")?.trim();
    Some(match inner {
        "totp.previous" => CodeKind::Previous,
        "totp.current" => CodeKind::Current,
        "totp.next" => CodeKind::Next,
        "totp.wrong" => CodeKind::Wrong,
        _ => return None,
    })
}

/// The test's stand-in phone: it learns the seed of each device the run creates (from
/// the AWS answer, in memory only) and shows codes for it.
#[derive(Default)]
pub struct Phone {
    seed: RefCell<Option<Secret>>,
    /// Seconds its clock is ahead of the test's (`setup.phone_clock_offset`).
    clock_offset: std::cell::Cell<i64>,
}

impl Phone {
    pub fn scan(&self, seed: &Secret) {
        *self.seed.borrow_mut() = Some(seed.clone());
    }

    /// Set the phone's clock `seconds` ahead of the test's clock (negative: behind).
    pub fn set_clock_offset(&self, seconds: i64) {
        self.clock_offset.set(seconds);
    }

    fn code(&self, kind: CodeKind, now: u64) -> Result<Secret, String> {
        let now = now.saturating_add_signed(self.clock_offset.get());
        let seed = self.seed.borrow();
        let seed = seed
            .as_ref()
            .ok_or("no device was created before this code was asked for")?;
        let seed = totp::parse_seed(seed.expose()).map_err(|error| error.to_string())?;
        let step = totp::STEP_SECONDS;
        Ok(match kind {
            CodeKind::Previous => seed.code_at(now.saturating_sub(step)),
            CodeKind::Current => seed.code_at(now),
            CodeKind::Next => seed.code_at(now + step),
            CodeKind::Wrong => wrong_code(&seed, now),
        })
    }
}

/// A six-digit code that matches none of the windows within 10 of `now` (wider than any
/// skew a check allows), so it is wrong whatever the seed.
fn wrong_code(seed: &Seed, now: u64) -> Secret {
    let window = Seed::window(now);
    let near: BTreeSet<String> = (window.saturating_sub(10)..=window + 10)
        .map(|w| seed.code_at(w * totp::STEP_SECONDS).expose().to_string())
        .collect();
    let code = (0..1_000_000u32)
        .map(|n| format!("{:06}", (n * 7919 + 123_456) % 1_000_000))
        .find(|code| !near.contains(code))
        .expect("21 windows cannot use every code");
    Secret::new(code)
}

/// The person, scripted: answers in order, each checked against its question; every
/// question and answer is recorded (secret answers as the script wrote them, e.g.
/// `{{ totp.current }}`, never the code).
pub struct ScriptedAnswers<'a> {
    answers: VecDeque<Answer>,
    file: String,
    phone: &'a Phone,
    clock: &'a dyn Clock,
    recorder: &'a Recorder,
    /// What went wrong with the script (a question with no answer, or the wrong one).
    pub problems: Vec<String>,
}

impl<'a> ScriptedAnswers<'a> {
    pub fn new(
        answers: &Answers,
        file: &str,
        phone: &'a Phone,
        clock: &'a dyn Clock,
        recorder: &'a Recorder,
    ) -> ScriptedAnswers<'a> {
        ScriptedAnswers {
            answers: answers.answers.iter().cloned().collect(),
            file: file.to_string(),
            phone,
            clock,
            recorder,
            problems: Vec::new(),
        }
    }

    /// Answers nobody asked for.
    pub fn unused(&self) -> Vec<String> {
        self.answers
            .iter()
            .map(|a| match &a.question {
                Some(question) => format!("“{}” for a question containing “{question}”", a.value),
                None => format!("“{}”", a.value),
            })
            .collect()
    }

    fn next(&mut self, kind: &str, question: &str) -> Result<Answer, PromptError> {
        let problem = match self.answers.pop_front() {
            None => format!(
                "the run asked “{question}” but {} has no answer left for it",
                self.file
            ),
            Some(answer) => match &answer.question {
                Some(expected) if !question.contains(expected.as_str()) => format!(
                    "the next answer in {} is for a question containing “{expected}”, but the run asked “{question}”",
                    self.file
                ),
                _ => {
                    return Ok(answer);
                }
            },
        };
        self.recorder.note(format!(
            "ask {kind} {} → no scripted answer",
            quote(question)
        ));
        self.problems.push(problem.clone());
        Err(PromptError::NotInteractive(problem))
    }

    fn record(&self, kind: &str, question: &str, answer: &str) {
        self.recorder.note(format!(
            "ask {kind} {} → {}",
            quote(question),
            quote(answer)
        ));
    }
}

fn quote(text: &str) -> String {
    serde_json::to_string(text).expect("strings serialise")
}

impl Prompt for ScriptedAnswers<'_> {
    fn interactive(&self) -> bool {
        true
    }

    fn text(&mut self, question: &str, default: Option<&str>) -> Result<String, PromptError> {
        let answer = self.next("text", question)?;
        self.record("text", question, &answer.value);
        Ok(match (answer.value.as_str(), default) {
            ("", Some(default)) => default.to_string(),
            _ => answer.value,
        })
    }

    fn confirm(&mut self, question: &str, default: bool) -> Result<bool, PromptError> {
        let answer = self.next("yes/no", question)?;
        self.record("yes/no", question, &answer.value);
        Ok(match answer.value.trim() {
            "" => default,
            value => matches!(value.to_ascii_lowercase().as_str(), "y" | "yes"),
        })
    }

    fn secret(&mut self, question: &str) -> Result<Secret, PromptError> {
        let answer = self.next("secret", question)?;
        let value = answer.value.trim();
        let Some(kind) = code_kind(value) else {
            self.record("secret", question, "<secret>");
            return Ok(Secret::new(answer.value));
        };
        self.record("secret", question, value);
        match self.phone.code(kind, self.clock.now()) {
            Ok(code) => Ok(code),
            Err(reason) => {
                let problem = format!("`{value}` in {}: {reason}", self.file);
                self.problems.push(problem.clone());
                Err(PromptError::NotInteractive(problem))
            }
        }
    }

    fn wait(&mut self, message: &str) -> Result<(), PromptError> {
        let answer = self.next("wait", message)?;
        self.record("wait", message, &answer.value);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_without_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = TestFile::load(&dir.path().join("guide.md")).unwrap();
        assert!(file.path.is_none());
        let [
            Scenario {
                name: None,
                answers,
            },
        ] = &file.scenarios[..]
        else {
            panic!("{:?}", file.scenarios)
        };
        assert_eq!(answers.user, "alice");
        assert_eq!(answers.clock, DEFAULT_CLOCK);
        assert!(answers.yes && answers.sandbox && answers.security_key);
        assert_eq!(answers.expect, Expect::Ok);
    }

    #[test]
    fn the_file_next_to_the_guide_is_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("guide.test.toml"),
            "user = \"bob\"\nyes = false\nexpect = \"failed\"\n[vars]\nname = \"x\"\n[setup]\nunassigned_devices = [\"bob-Phone\"]\n[[answer]]\nquestion = \"Name\"\nvalue = \"\"\n[[answer]]\nvalue = \"{{ totp.wrong }}\"\n",
        )
        .unwrap();
        let file = TestFile::load(&dir.path().join("guide.md")).unwrap();
        assert_eq!(file.path.unwrap(), dir.path().join("guide.test.toml"));
        let [
            Scenario {
                name: None,
                answers,
            },
        ] = &file.scenarios[..]
        else {
            panic!("{:?}", file.scenarios)
        };
        assert_eq!(answers.user, "bob");
        assert!(!answers.yes);
        assert_eq!(answers.expect, Expect::Failed);
        assert_eq!(answers.vars["name"], "x");
        assert_eq!(answers.setup.unassigned_devices, ["bob-Phone"]);
        assert_eq!(answers.answers.len(), 2);
    }

    #[test]
    fn mistakes_are_reported_with_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let guide = dir.path().join("g.md");
        for (text, wanted) in [
            ("usr = \"x\"\n", "unknown field `usr`"),
            ("usr = \"x\"\n", "help: did you mean `user`?"),
            (
                "[[scenario]]\nname = \"a\"\nexpct = \"ok\"\n",
                "help: did you mean `expect`?",
            ),
            ("[[scenario]]\nuser = \"bob\"\n", "missing field `name`"),
            (
                "[[scenario]]\nname = \"A b\"\n",
                "scenario name `A b` is not usable in a file name",
            ),
            (
                "[[scenario]]\nname = \"a\"\n[[scenario]]\nname = \"a\"\n",
                "two scenarios are named `a`",
            ),
            (
                "[[scenario]]\nname = \"a\"\nuser = \"a b\"\n",
                "scenario `a`: `user = \"a b\"` is not an IAM user name",
            ),
            (
                "[setup]\nvirtual_devices = [\"a/b\"]\n",
                "`setup.virtual_devices`: `a/b` is not a device name",
            ),
            (
                "[setup]\nusers = [{ name = \"alice\" }]\n",
                "`alice` is the user the run acts as",
            ),
            ("user = \"a b\"\n", "is not an IAM user name"),
            ("[[answer]]\nvalue = \"{{ totp.now }}\"\n", "the codes are"),
            ("expect = \"maybe\"\n", "unknown variant `maybe`"),
        ] {
            std::fs::write(dir.path().join("g.test.toml"), text).unwrap();
            let error = TestFile::load(&guide).unwrap_err();
            assert!(error.contains("g.test.toml"), "{error}");
            assert!(error.contains(wanted), "{text}: {error}");
        }
    }

    #[test]
    fn scenarios_take_the_files_keys_unless_they_set_their_own() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("guide.test.toml"),
            "user = \"bob\"\nyes = false\n[vars]\nname = \"x\"\nother = \"o\"\n\n[[scenario]]\nname = \"fresh\"\n\n[[scenario]]\nname = \"with-device\"\nyes = true\nexpect = \"failed\"\nvars = { name = \"y\" }\n[scenario.setup]\nvirtual_devices = [\"bob-Phone\"]\nsecurity_keys = [\"bob-Key\"]\nconsole_password = true\nusers = [{ name = \"carol\", console_password = true }]\n[[scenario.answer]]\nvalue = \"{{ totp.current }}\"\n",
        )
        .unwrap();
        let file = TestFile::load(&dir.path().join("guide.md")).unwrap();
        let names: Vec<_> = file.scenarios.iter().map(|s| s.name.as_deref()).collect();
        assert_eq!(names, [Some("fresh"), Some("with-device")]);
        let (fresh, device) = (&file.scenarios[0].answers, &file.scenarios[1].answers);
        assert_eq!((fresh.user.as_str(), fresh.yes), ("bob", false));
        assert_eq!(fresh.expect, Expect::Ok);
        assert!(fresh.setup.virtual_devices.is_empty() && fresh.answers.is_empty());
        assert_eq!((device.user.as_str(), device.yes), ("bob", true));
        assert_eq!(device.expect, Expect::Failed);
        assert_eq!(
            (device.vars["name"].as_str(), device.vars["other"].as_str()),
            ("y", "o")
        );
        assert_eq!(device.setup.virtual_devices, ["bob-Phone"]);
        assert_eq!(device.setup.security_keys, ["bob-Key"]);
        assert!(device.setup.console_password);
        assert_eq!(device.setup.users[0].name, "carol");
        assert!(device.setup.users[0].console_password);
        assert_eq!(device.answers.len(), 1);
    }

    #[test]
    fn a_drifted_phone_shows_the_codes_of_its_own_clock() {
        let text = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
        let seed = totp::parse_seed(text).unwrap();
        let phone = Phone::default();
        phone.scan(&Secret::new(text));
        let now = DEFAULT_CLOCK;
        assert_eq!(
            phone.code(CodeKind::Current, now).unwrap(),
            seed.code_at(now)
        );
        phone.set_clock_offset(120);
        assert_eq!(
            phone.code(CodeKind::Current, now).unwrap(),
            seed.code_at(now + 120)
        );
        assert_eq!(
            phone.code(CodeKind::Previous, now).unwrap(),
            seed.code_at(now + 90)
        );
        phone.set_clock_offset(-60);
        assert_eq!(
            phone.code(CodeKind::Next, now).unwrap(),
            seed.code_at(now - 30)
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("g.test.toml"),
            "[setup]\nvirtual_devices = [\"alice-Phone\"]\nphone_clock_offset = -90\n",
        )
        .unwrap();
        let file = TestFile::load(&dir.path().join("g.md")).unwrap();
        assert_eq!(file.scenarios[0].answers.setup.phone_clock_offset, -90);
    }

    #[test]
    fn a_wrong_code_matches_no_nearby_window() {
        let seed = totp::parse_seed("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").unwrap();
        let now = DEFAULT_CLOCK;
        let wrong = wrong_code(&seed, now);
        assert_eq!(wrong.expose().len(), 6);
        assert!(seed.verify(&wrong, now, 10).is_err());
    }
}
