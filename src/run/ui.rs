//! What a run shows: styled text for people (stdout), or one JSON event per line for
//! tools (`--output json`), and a spinner on anything that waits. Nothing secret is ever
//! passed here: events carry only plain values.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use anstyle::{AnsiColor, Effects, Style};
use serde_json::json;

use crate::sanitize::escape;

const ENTER_PRIVATE_SCREEN: &str = "\u{1b}[?1049h\u{1b}[H\u{1b}[2J";
const LEAVE_PRIVATE_SCREEN: &str = "\u{1b}[2J\u{1b}[?1049l";

/// Whether the terminal is on the alternate screen [`Ui::enter_private_screen`] switched
/// to, and through which stream: 0 not, 1 stdout (human output), 2 stderr (`--output json`).
static PRIVATE_SCREEN: AtomicU8 = AtomicU8::new(0);

/// For a process about to exit (a second Ctrl-C): clear and leave the alternate screen if
/// the run is on it, so the terminal is left as it was.
pub fn leave_private_screen_now() {
    let written = match PRIVATE_SCREEN.swap(0, Ordering::SeqCst) {
        1 => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(LEAVE_PRIVATE_SCREEN.as_bytes())
                .and_then(|()| stdout.flush())
        }
        2 => {
            let mut stderr = std::io::stderr().lock();
            stderr
                .write_all(LEAVE_PRIVATE_SCREEN.as_bytes())
                .and_then(|()| stderr.flush())
        }
        _ => Ok(()),
    };
    let _ = written;
}

/// How a run reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputMode {
    Human,
    Json,
}

const STEP: Style = Style::new().effects(Effects::BOLD);
const OK: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Green)));
const WARN: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Yellow)));
const ERR: Style = Style::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)))
    .effects(Effects::BOLD);
const DIM: Style = Style::new().effects(Effects::DIMMED);

/// The run's output. Human text goes to stdout, except in JSON mode, where stdout carries
/// only events and human text goes to stderr.
pub struct Ui {
    mode: OutputMode,
    /// Captured output, for tests.
    capture: Option<Vec<u8>>,
}

impl Ui {
    pub fn new(mode: OutputMode) -> Ui {
        Ui {
            mode,
            capture: None,
        }
    }

    /// A UI that records everything it would print.
    pub fn capturing(mode: OutputMode) -> Ui {
        Ui {
            mode,
            capture: Some(Vec::new()),
        }
    }

    /// What a capturing UI recorded, colours stripped.
    pub fn captured(&self) -> String {
        let bytes = self.capture.as_deref().unwrap_or_default();
        anstream::adapter::strip_str(&String::from_utf8_lossy(bytes)).to_string()
    }

    pub fn mode(&self) -> OutputMode {
        self.mode
    }

    fn write_human(&mut self, text: &str) {
        if let Some(capture) = &mut self.capture {
            if self.mode == OutputMode::Human {
                capture.extend_from_slice(text.as_bytes());
            }
            return;
        }
        let result = match self.mode {
            OutputMode::Human => write!(anstream::stdout(), "{text}"),
            OutputMode::Json => write!(anstream::stderr(), "{text}"),
        };
        let _ = result;
    }

    /// One event line (JSON mode only).
    pub fn event(&mut self, event: serde_json::Value) {
        if self.mode != OutputMode::Json {
            return;
        }
        let line = serde_json::to_string(&event).expect("events serialise") + "\n";
        match &mut self.capture {
            Some(capture) => capture.extend_from_slice(line.as_bytes()),
            None => {
                let mut stdout = std::io::stdout().lock();
                let _ = stdout.write_all(line.as_bytes());
                let _ = stdout.flush();
            }
        }
    }

    /// Plain text for people. Control characters in it are shown escaped
    /// ([`crate::sanitize::escape`]): the text may hold a runbook's words or AWS's.
    pub fn text(&mut self, text: &str) {
        self.write_human(&escape(text));
    }

    /// Text already styled by our own code, whose pieces from elsewhere were escaped
    /// where it was made (a step's prose, [`crate::run::terminal::step_prose`]).
    pub fn styled(&mut self, text: &str) {
        self.write_human(text);
    }

    /// The columns prose is wrapped to: the terminal's width when the human text goes to
    /// a terminal; `None` (no wrapping) into a pipe, a file or a capture.
    pub fn prose_width(&self) -> Option<usize> {
        if self.capture.is_some() {
            return None;
        }
        let size = match self.mode {
            OutputMode::Human if std::io::stdout().is_terminal() => {
                terminal_size::terminal_size_of(std::io::stdout())
            }
            OutputMode::Json if std::io::stderr().is_terminal() => {
                terminal_size::terminal_size_of(std::io::stderr())
            }
            _ => None,
        };
        size.map(|(terminal_size::Width(width), _)| usize::from(width))
    }

    pub fn step_header(&mut self, index: usize, total: usize, title: &str, part: Option<&str>) {
        let title = escape(title);
        let part = part
            .map(escape)
            .map(|p| format!("{}{p}{}\n", DIM.render(), DIM.render_reset()))
            .unwrap_or_default();
        self.write_human(&format!(
            "\n{part}{}━━ {title}{}  {}(step {index} of {total}){}\n",
            STEP.render(),
            STEP.render_reset(),
            DIM.render(),
            DIM.render_reset()
        ));
    }

    pub fn ok(&mut self, text: &str) {
        let text = escape(text);
        self.write_human(&format!("  {}✓{} {text}\n", OK.render(), OK.render_reset()));
    }

    pub fn skipped(&mut self, text: &str) {
        let text = escape(text);
        self.write_human(&format!(
            "  {}–{} {text}\n",
            DIM.render(),
            DIM.render_reset()
        ));
    }

    /// Rows (the first one the header) as aligned columns, indented like details; each
    /// cell escaped. Human output only.
    pub fn table(&mut self, rows: &[Vec<String>]) {
        let rows = rows
            .iter()
            .map(|row| {
                row.iter()
                    .map(|cell| escape(cell).replace('\n', " "))
                    .collect()
            })
            .collect();
        for line in crate::run::terminal::columns(rows) {
            self.write_human(&format!("    {line}\n"));
        }
    }

    pub fn warn(&mut self, text: &str) {
        let text = escape(text);
        self.write_human(&format!(
            "  {}!{} {text}\n",
            WARN.render(),
            WARN.render_reset()
        ));
    }

    pub fn error(&mut self, text: &str, next_step: Option<&str>) {
        let text = escape(text);
        self.write_human(&format!(
            "  {}✗ {text}{}\n",
            ERR.render(),
            ERR.render_reset()
        ));
        if let Some(next) = next_step {
            self.write_human(&format!("    next: {}\n", escape(next)));
        }
    }

    pub fn detail(&mut self, text: &str) {
        for line in escape(text).lines() {
            self.write_human(&format!(
                "    {}{line}{}\n",
                DIM.render(),
                DIM.render_reset()
            ));
        }
    }

    /// Why something secret (the enrolment QR code) can't be shown to a person now, or
    /// `None` when it can: human output on a terminal (stdout), or with `--output json`,
    /// stderr on a terminal (stdout carries the events).
    pub fn secret_blocked(&self) -> Option<&'static str> {
        if self.capture.is_some() {
            return Some("this run's output is recorded, not shown to anyone");
        }
        match self.mode {
            OutputMode::Human if !std::io::stdout().is_terminal() => {
                Some("output is not a terminal (stdout goes to a pipe or a file)")
            }
            OutputMode::Json if !std::io::stderr().is_terminal() => Some(
                "`--output json` keeps stdout for events, and stderr, where the QR code would be drawn, is not a terminal",
            ),
            _ => None,
        }
    }

    /// Show something secret (the enrolment QR code, the manual-entry key) — only on a
    /// terminal, never into a pipe, a file or a capture. Returns whether it was shown.
    pub fn show_secret(&mut self, text: &str) -> bool {
        if self.secret_blocked().is_some() {
            return false;
        }
        let shown = match self.mode {
            OutputMode::Human => {
                let mut stdout = std::io::stdout().lock();
                stdout
                    .write_all(text.as_bytes())
                    .and_then(|()| stdout.flush())
            }
            OutputMode::Json => {
                let mut stderr = std::io::stderr().lock();
                stderr
                    .write_all(text.as_bytes())
                    .and_then(|()| stderr.flush())
            }
        };
        shown.is_ok()
    }

    /// Switch the terminal to its alternate screen (as pagers do), so what is shown next
    /// leaves no trace in the scrollback once [`Ui::leave_private_screen`] is called.
    /// Only on a terminal; returns whether it switched.
    pub fn enter_private_screen(&mut self) -> bool {
        let entered = self.show_secret(ENTER_PRIVATE_SCREEN);
        let stream = match (entered, self.mode) {
            (false, _) => 0,
            (true, OutputMode::Human) => 1,
            (true, OutputMode::Json) => 2,
        };
        PRIVATE_SCREEN.store(stream, Ordering::SeqCst);
        entered
    }

    pub fn leave_private_screen(&mut self) {
        if PRIVATE_SCREEN.swap(0, Ordering::SeqCst) != 0 {
            self.show_secret(LEAVE_PRIVATE_SCREEN);
        }
    }

    /// Run `work` with a spinner on stderr when it is a terminal.
    pub fn wait<T>(&self, message: &str, work: impl FnOnce() -> T) -> T {
        if self.capture.is_some() || !std::io::stderr().is_terminal() {
            return work();
        }
        let spinner =
            indicatif::ProgressBar::new_spinner().with_message(escape(message).into_owned());
        spinner.enable_steady_tick(Duration::from_millis(100));
        let result = work();
        spinner.finish_and_clear();
        result
    }

    pub fn run_event(&mut self, event: &str, fields: serde_json::Value) {
        let mut object = json!({ "event": event });
        if let (Some(map), serde_json::Value::Object(fields)) = (object.as_object_mut(), fields) {
            map.extend(fields);
        }
        self.event(object);
    }
}
