//! The answers file of a guide, for `runbook test`: `runbooks/aws-mfa.md` →
//! `runbooks/aws-mfa.test.toml`. It sets the scene of a test run (the emulator's user, the
//! fixed clock, unattended or scripted, the sandbox's stand-ins, a security key, devices
//! that already exist) and plays the person: inputs, and the answers to every question in
//! the order the run asks them. Codes are typed from the test's stand-in phone, which
//! knows the seed of the device the run created (never written anywhere).
//!
//! ```toml
//! user = "alice"          # the IAM user created on the emulator (default `alice`)
//! clock = 1704067200      # the fixed clock, Unix seconds (default 2024-01-01T00:00:00Z)
//! yes = true              # unattended, like `runbook run --yes` (default true)
//! sandbox = true          # stand-ins for the phone and the console (default true)
//! security_key = true     # a software security key is plugged in (default true)
//! expect = "ok"           # how the run must end: "ok" or "failed" (default "ok")
//!
//! [vars]                  # inputs, like `--var NAME=VALUE`
//! device_name = "alice-phone"
//!
//! [setup]                 # before the run, as the user
//! unassigned_devices = ["alice-DuoMobile"]
//!
//! [[answer]]              # one per question, in order (with yes = false)
//! question = "MFA code 1" # optional: the question asked must contain this
//! value = "{{ totp.wrong }}"
//! ```
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

use crate::providers::Clock;
use crate::providers::prompt::{Prompt, PromptError};
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

impl Answers {
    /// The answers file next to `guide`, or the defaults when there is none. Errors are
    /// one line (or a TOML snippet) naming the file.
    pub fn load(guide: &Path) -> Result<(Answers, Option<PathBuf>), String> {
        let path = path_for(guide);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok((Answers::default(), None));
            }
            Err(error) => return Err(format!("cannot read {}: {error}", path.display())),
        };
        let answers: Answers =
            toml::from_str(&text).map_err(|error| format!("{}: {error}", path.display()))?;
        answers
            .validate()
            .map_err(|message| format!("{}: {message}", path.display()))?;
        Ok((answers, Some(path)))
    }

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
        if let Some(name) = self
            .setup
            .unassigned_devices
            .iter()
            .find(|name| !name_ok(name))
        {
            return Err(format!(
                "`setup.unassigned_devices`: `{name}` is not a device name (1–64 letters, digits or +=,.@_-)"
            ));
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
}

impl Phone {
    pub fn scan(&self, seed: &Secret) {
        *self.seed.borrow_mut() = Some(seed.clone());
    }

    fn code(&self, kind: CodeKind, now: u64) -> Result<Secret, String> {
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
        let (answers, path) = Answers::load(&dir.path().join("guide.md")).unwrap();
        assert!(path.is_none());
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
        let (answers, path) = Answers::load(&dir.path().join("guide.md")).unwrap();
        assert_eq!(path.unwrap(), dir.path().join("guide.test.toml"));
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
            ("user = \"a b\"\n", "is not an IAM user name"),
            ("[[answer]]\nvalue = \"{{ totp.now }}\"\n", "the codes are"),
            ("expect = \"maybe\"\n", "unknown variant `maybe`"),
        ] {
            std::fs::write(dir.path().join("g.test.toml"), text).unwrap();
            let error = Answers::load(&guide).unwrap_err();
            assert!(error.contains("g.test.toml"), "{error}");
            assert!(error.contains(wanted), "{text}: {error}");
        }
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
