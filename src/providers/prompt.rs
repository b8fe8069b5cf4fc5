//! The person at the terminal, behind a trait: questions, confirmations and codes come
//! from a real terminal or from a script (tests, `runbook test`).

use std::collections::VecDeque;
use std::io::IsTerminal;

use crate::secret::Secret;

/// Why a question got no answer.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PromptError {
    #[error("no terminal to ask on ({0}); pass the answer on the command line or use --yes")]
    NotInteractive(String),
    #[error("cancelled")]
    Cancelled,
}

pub trait Prompt {
    /// Whether a person can answer.
    fn interactive(&self) -> bool;
    /// Ask for text; an empty answer takes the default.
    fn text(&mut self, question: &str, default: Option<&str>) -> Result<String, PromptError>;
    /// Ask yes/no.
    fn confirm(&mut self, question: &str, default: bool) -> Result<bool, PromptError>;
    /// Ask for a secret (a code): not echoed.
    fn secret(&mut self, question: &str) -> Result<Secret, PromptError>;
    /// Wait until the person says a manual step is done.
    fn wait(&mut self, message: &str) -> Result<(), PromptError>;
}

/// Questions on the real terminal (stderr), through dialoguer.
pub struct TerminalPrompt;

fn cancelled(_: dialoguer::Error) -> PromptError {
    PromptError::Cancelled
}

impl Prompt for TerminalPrompt {
    fn interactive(&self) -> bool {
        std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
    }

    fn text(&mut self, question: &str, default: Option<&str>) -> Result<String, PromptError> {
        if !self.interactive() {
            return Err(PromptError::NotInteractive(question.to_string()));
        }
        let mut input = dialoguer::Input::<String>::new().with_prompt(question);
        if let Some(default) = default {
            input = input.default(default.to_string());
        }
        input.interact_text().map_err(cancelled)
    }

    fn confirm(&mut self, question: &str, default: bool) -> Result<bool, PromptError> {
        if !self.interactive() {
            return Err(PromptError::NotInteractive(question.to_string()));
        }
        dialoguer::Confirm::new()
            .with_prompt(question)
            .default(default)
            .interact()
            .map_err(cancelled)
    }

    fn secret(&mut self, question: &str) -> Result<Secret, PromptError> {
        if !self.interactive() {
            return Err(PromptError::NotInteractive(question.to_string()));
        }
        dialoguer::Password::new()
            .with_prompt(question)
            .interact()
            .map(Secret::new)
            .map_err(cancelled)
    }

    fn wait(&mut self, message: &str) -> Result<(), PromptError> {
        if !self.interactive() {
            return Err(PromptError::NotInteractive(message.to_string()));
        }
        dialoguer::Input::<String>::new()
            .with_prompt(format!("{message} (press Enter)"))
            .allow_empty(true)
            .interact_text()
            .map(|_| ())
            .map_err(cancelled)
    }
}

/// Answers from a script, in order; for tests and unattended runs.
#[derive(Default)]
pub struct ScriptedPrompt {
    answers: VecDeque<String>,
    /// Every question asked, for assertions.
    pub asked: Vec<String>,
}

impl ScriptedPrompt {
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(answers: I) -> ScriptedPrompt {
        ScriptedPrompt {
            answers: answers.into_iter().map(Into::into).collect(),
            asked: Vec::new(),
        }
    }

    fn next(&mut self, question: &str) -> Result<String, PromptError> {
        self.asked.push(question.to_string());
        self.answers.pop_front().ok_or_else(|| {
            PromptError::NotInteractive(format!("no scripted answer for: {question}"))
        })
    }
}

impl Prompt for ScriptedPrompt {
    fn interactive(&self) -> bool {
        true
    }

    fn text(&mut self, question: &str, default: Option<&str>) -> Result<String, PromptError> {
        let answer = self.next(question)?;
        Ok(match (answer.as_str(), default) {
            ("", Some(default)) => default.to_string(),
            _ => answer,
        })
    }

    fn confirm(&mut self, question: &str, default: bool) -> Result<bool, PromptError> {
        Ok(match self.next(question)?.as_str() {
            "" => default,
            answer => matches!(answer, "y" | "yes"),
        })
    }

    fn secret(&mut self, question: &str) -> Result<Secret, PromptError> {
        self.next(question).map(Secret::new)
    }

    fn wait(&mut self, message: &str) -> Result<(), PromptError> {
        self.next(message).map(|_| ())
    }
}
