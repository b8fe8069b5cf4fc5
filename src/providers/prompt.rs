//! The person at the terminal, behind a trait: questions, confirmations and codes come
//! from a real terminal or from a script (tests, `runbook test`).

use std::collections::VecDeque;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::sanitize::escape;
use crate::secret::Secret;

/// Why a question got no answer.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PromptError {
    #[error("no terminal to ask on ({0}); pass the answer on the command line or use --yes")]
    NotInteractive(String),
    #[error("cancelled")]
    Cancelled,
    /// Ctrl-C while the question was asked (or before it).
    #[error("interrupted by Ctrl-C")]
    Interrupted,
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

/// Questions on the real terminal (stderr), through dialoguer. Questions and defaults
/// come from the runbook: their control characters are shown escaped.
///
/// **Ctrl-C.** A question is asked on a helper thread while the calling thread waits for
/// the answer and watches `interrupted` (set by the run's Ctrl-C handler). Hidden entry
/// reads a line with signals on, so there Ctrl-C is a signal that the read never sees;
/// yes/no and text questions read keys in raw mode, where Ctrl-C is a key that ends the
/// question with an error. Either way the question ends at once with
/// [`PromptError::Interrupted`], and whenever a question ends without an answer the
/// terminal is put back as it was before it: its modes (echo, line editing, signals), the
/// cursor shown (yes/no questions hide it), the cursor on a new line.
pub struct TerminalPrompt {
    interrupted: &'static AtomicBool,
}

impl TerminalPrompt {
    /// Questions on the terminal that stop when `interrupted` is set.
    pub fn new(interrupted: &'static AtomicBool) -> TerminalPrompt {
        TerminalPrompt { interrupted }
    }

    /// Ask with `question` on a helper thread; see [`TerminalPrompt`].
    fn ask<T: Send + 'static>(
        &self,
        question: &str,
        ask: impl FnOnce() -> dialoguer::Result<T> + Send + 'static,
    ) -> Result<T, PromptError> {
        if !self.interactive() {
            return Err(PromptError::NotInteractive(question.to_string()));
        }
        if self.interrupted.load(Ordering::SeqCst) {
            return Err(PromptError::Interrupted);
        }
        *lock(&SAVED_MODES) = terminal_modes();
        ASKING.store(true, Ordering::SeqCst);
        let (sender, receiver) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("prompt".into())
            .spawn(move || {
                let _ = sender.send(ask());
            });
        let outcome = match spawned {
            Ok(_) => loop {
                match receiver.recv_timeout(POLL) {
                    Ok(Ok(answer)) => break Ok(answer),
                    Ok(Err(error)) => break Err(self.why(&error)),
                    Err(RecvTimeoutError::Timeout) if self.interrupted.load(Ordering::SeqCst) => {
                        break Err(PromptError::Interrupted);
                    }
                    Err(RecvTimeoutError::Timeout) => {}
                    // The question panicked.
                    Err(RecvTimeoutError::Disconnected) => break Err(PromptError::Cancelled),
                }
            },
            Err(_) => Err(PromptError::Cancelled),
        };
        match outcome {
            Ok(answer) => {
                lock(&SAVED_MODES).take();
                ASKING.store(false, Ordering::SeqCst);
                Ok(answer)
            }
            Err(error) => {
                restore_terminal();
                if std::io::stderr().is_terminal() {
                    let _ = std::io::stderr().write_all(b"\n");
                }
                ASKING.store(false, Ordering::SeqCst);
                Err(error)
            }
        }
    }

    /// What a question that failed with `error` means.
    fn why(&self, error: &dialoguer::Error) -> PromptError {
        let dialoguer::Error::IO(io) = error;
        if io.kind() != std::io::ErrorKind::Interrupted {
            return PromptError::Cancelled;
        }
        // Ctrl-C as a key (raw mode): the terminal library raised SIGINT, whose handler
        // sets the flag on its own thread. Wait for it (briefly), so the handler knows a
        // question was being asked and so that the flag tells the rest of the run.
        let deadline = Instant::now() + Duration::from_secs(1);
        while !self.interrupted.load(Ordering::SeqCst) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        PromptError::Interrupted
    }
}

/// How often a waiting question looks at the Ctrl-C flag.
const POLL: Duration = Duration::from_millis(50);

/// The terminal's modes before the question being asked, while it is asked.
static SAVED_MODES: Mutex<Option<libc::termios>> = Mutex::new(None);

/// Whether a question is being asked on the terminal now.
static ASKING: AtomicBool = AtomicBool::new(false);

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The modes of the terminal questions are read from (stdin, see
/// [`Prompt::interactive`]), if it is one.
fn terminal_modes() -> Option<libc::termios> {
    let mut modes = std::mem::MaybeUninit::<libc::termios>::uninit();
    // SAFETY: tcgetattr fills the termios it is given, or fails and we don't read it.
    let read = unsafe { libc::tcgetattr(libc::STDIN_FILENO, modes.as_mut_ptr()) };
    // SAFETY: tcgetattr succeeded, so it initialised `modes`.
    (read == 0).then(|| unsafe { modes.assume_init() })
}

/// Whether a question is being asked on the terminal now (for the Ctrl-C handler: then
/// the question itself stops the run, at once).
pub fn asking() -> bool {
    ASKING.load(Ordering::SeqCst)
}

/// Put the terminal back as it was before the question being asked, if one is: its modes
/// (echo, line editing, signals); and show the cursor. For a question that ended without
/// an answer, and for a process about to exit (a second Ctrl-C).
pub fn restore_terminal() {
    if let Some(modes) = lock(&SAVED_MODES).take() {
        // SAFETY: tcsetattr with modes tcgetattr returned for the same descriptor.
        unsafe {
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &modes);
        }
    }
    if std::io::stderr().is_terminal() {
        let mut stderr = std::io::stderr();
        let _ = stderr.write_all(SHOW_CURSOR.as_bytes());
        let _ = stderr.flush();
    }
}

/// DECTCEM: show the cursor.
const SHOW_CURSOR: &str = "\u{1b}[?25h";

impl Prompt for TerminalPrompt {
    fn interactive(&self) -> bool {
        std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
    }

    fn text(&mut self, question: &str, default: Option<&str>) -> Result<String, PromptError> {
        let prompt = escape(question).into_owned();
        let default = default.map(str::to_string);
        self.ask(question, move || match default {
            Some(default) if escape(&default) != default.as_str() => {
                // dialoguer would show the default (and report the answer) as it is: show
                // both escaped, and take the default itself on Enter.
                let answer = dialoguer::Input::<String>::new()
                    .with_prompt(format!("{prompt} [{}]", escape(&default)))
                    .allow_empty(true)
                    .report(false)
                    .interact_text()?;
                let value = if answer.is_empty() { default } else { answer };
                dialoguer::console::Term::stderr()
                    .write_line(&format!("{prompt}: {}", escape(&value)))?;
                Ok(value)
            }
            Some(default) => dialoguer::Input::<String>::new()
                .with_prompt(prompt)
                .default(default)
                .interact_text(),
            None => dialoguer::Input::<String>::new()
                .with_prompt(prompt)
                .interact_text(),
        })
    }

    /// `y` or `n` only chooses and Enter answers (Enter alone takes the default): a key
    /// that answered at once would leave the Enter typed after it for the next question,
    /// which it would answer with its default (a loop asks several times in a row).
    fn confirm(&mut self, question: &str, default: bool) -> Result<bool, PromptError> {
        let prompt = escape(question).into_owned();
        self.ask(question, move || {
            let theme = YesNo { default };
            dialoguer::Confirm::with_theme(&theme)
                .with_prompt(prompt)
                .default(default)
                // The theme shows the default itself: dialoguer would show the choice
                // typed so far as if it were the default.
                .show_default(false)
                .wait_for_newline(true)
                .interact()
        })
    }

    fn secret(&mut self, question: &str) -> Result<Secret, PromptError> {
        let prompt = escape(question).into_owned();
        // Wrapped on the helper thread: an answer that comes after Ctrl-C is dropped there.
        self.ask(question, move || {
            dialoguer::Password::new()
                .with_prompt(prompt)
                .interact()
                .map(Secret::new)
        })
    }

    fn wait(&mut self, message: &str) -> Result<(), PromptError> {
        let prompt = format!("{} (press Enter)", escape(message));
        self.ask(message, move || {
            dialoguer::Input::<String>::new()
                .with_prompt(prompt)
                .allow_empty(true)
                .interact_text()
        })
        .map(|_| ())
    }
}

/// How a yes/no question looks on the terminal: `Go ahead? [y/N] ` (the default in
/// capitals), then, once `y` or `n` is typed, `Go ahead? [y/N] y (press Enter)`; answered,
/// `Go ahead? yes` (dialoguer's own line).
struct YesNo {
    default: bool,
}

impl dialoguer::theme::Theme for YesNo {
    fn format_confirm_prompt(
        &self,
        f: &mut dyn std::fmt::Write,
        prompt: &str,
        chosen: Option<bool>,
    ) -> std::fmt::Result {
        let hint = if self.default { "[Y/n]" } else { "[y/N]" };
        write!(f, "{prompt} {hint} ")?;
        match chosen {
            Some(yes) => write!(f, "{} (press Enter)", if yes { "y" } else { "n" }),
            None => Ok(()),
        }
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

#[cfg(test)]
mod tests {
    use dialoguer::theme::Theme;

    use super::YesNo;

    fn shown(default: bool, chosen: Option<bool>) -> String {
        let mut line = String::new();
        YesNo { default }
            .format_confirm_prompt(&mut line, "Go ahead?", chosen)
            .unwrap();
        line
    }

    #[test]
    fn a_yes_no_question_shows_its_default_then_the_key_typed_and_that_enter_answers() {
        assert_eq!(shown(false, None), "Go ahead? [y/N] ");
        assert_eq!(shown(true, None), "Go ahead? [Y/n] ");
        // The key typed is shown as typed, the default's hint unchanged.
        assert_eq!(shown(false, Some(true)), "Go ahead? [y/N] y (press Enter)");
        assert_eq!(shown(false, Some(false)), "Go ahead? [y/N] n (press Enter)");
        assert_eq!(shown(true, Some(false)), "Go ahead? [Y/n] n (press Enter)");
    }
}
