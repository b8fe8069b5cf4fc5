//! Ctrl-C at every kind of prompt the guide asks, in a real terminal (tmux), against the
//! local emulator: the run stops at once (exit 130 within a few seconds), leaves the
//! terminal as it found it (echo and line editing on, the cursor shown, the normal
//! screen), keeps its journal, and deletes a virtual device it created but never enabled.
//!
//! The prompt kinds: text input (`input.text`), yes/no confirmation (before a change, and
//! the offer of the manual-entry key on the enrolment screen), "press Enter" (the
//! enrolment screen, the console hand-off), hidden code entry (`totp.consecutive-codes`,
//! both codes, and `totp.read-code`); and, for comparison, the console hand-off's polling,
//! which is no prompt.

use std::time::Duration;

use runbook::totp;

use crate::moto::{User, user};
use crate::terminal::{THINK, Tmux, quote, run_script_around, unix_now};

/// How long a run may take to end after Ctrl-C: a timeout, not a measurement.
const STOP: Duration = Duration::from_secs(5);

/// Before the run: the script's shell outlives Ctrl-C (a trap, which the run does not
/// inherit), so that it can report.
const BEFORE: &str = "trap 'true' INT";

/// After the run, in the same terminal: the modes the run left it in, e.g.
/// `STTY: isig icanon echo`.
const AFTER: &str = "echo STTY: $(stty -a | tr ' ;' '\\n\\n' | grep -xE -- '-?(isig|icanon|echo)')";

/// A step done in the console (the guide reaches its hand-off only with a security key).
const CONSOLE: &str = "tests/fixtures/run/console.md";

/// What the run says when Ctrl-C stops it.
const STOPPED: &str = "✗ interrupted by Ctrl-C";

struct Run {
    tmux: Tmux,
    user: User,
    dir: tempfile::TempDir,
}

/// `runbook run ARGS` as a new user `name`, in tmux.
fn start(name: &str, args: &[&str]) -> Run {
    start_in(tempfile::tempdir().unwrap(), user(name), args)
}

fn start_in(dir: tempfile::TempDir, user: User, args: &[&str]) -> Run {
    let script = run_script_around(dir.path(), &user, args, BEFORE, AFTER);
    let tmux = Tmux::start(
        dir.path(),
        &user.name,
        &format!("sh {}", quote(&script.display().to_string())),
    );
    Run { tmux, user, dir }
}

/// The prompt for the device name, with its default.
fn name_prompt(run: &Run) -> String {
    format!(
        "Name for the virtual MFA device [{}-DuoMobile]:",
        run.user.name
    )
}

impl Run {
    /// Press Ctrl-C; the run must end within [`STOP`] with exit 130, the terminal
    /// restored, saying why, with its journal kept. Returns the screen.
    #[track_caller]
    fn interrupt(&self, at_prompt: bool) -> String {
        let screen = self.stop(1);
        assert!(screen.contains(STOPPED), "{screen}");
        assert!(!screen.contains("cancelled"), "{screen}");
        if at_prompt {
            // At a prompt the run stops now, not "after the current action".
            assert!(
                !screen.contains("Stopping after the current action"),
                "{screen}"
            );
        }
        let journals = std::fs::read_dir(self.dir.path().join("state/journals"))
            .map(|entries| entries.count())
            .unwrap_or(0);
        assert_eq!(journals, 1, "the journal was not kept:\n{screen}");
        screen
    }

    /// Press Ctrl-C `times` times, a moment apart (two at once would be one signal);
    /// the run must end within [`STOP`] with exit 130 and the terminal restored. Returns
    /// the screen.
    #[track_caller]
    fn stop(&self, times: usize) -> String {
        std::thread::sleep(THINK);
        for n in 0..times {
            if n > 0 {
                std::thread::sleep(Duration::from_millis(30));
            }
            self.tmux.keys(&["C-c"]);
        }
        self.tmux
            .wait_until_within(STOP, "the run to end after Ctrl-C", |screen| {
                screen.lines().any(|line| line.starts_with("EXIT:"))
            });
        let screen = self.tmux.wait_until("the terminal's modes", |screen| {
            screen.lines().any(|line| line.starts_with("STTY:"))
        });
        assert!(screen.lines().any(|line| line == "EXIT:130"), "{screen}");
        let modes: Vec<&str> = screen
            .lines()
            .find_map(|line| line.strip_prefix("STTY:"))
            .unwrap_or_default()
            .split_whitespace()
            .collect();
        for mode in ["echo", "icanon", "isig"] {
            assert!(
                modes.contains(&mode),
                "the terminal was left without `{mode}` ({modes:?}):\n{screen}"
            );
        }
        assert_eq!(
            self.tmux.format("#{cursor_flag}"),
            "1",
            "the cursor was left hidden:\n{screen}"
        );
        assert_eq!(
            self.tmux.format("#{alternate_on}"),
            "0",
            "the terminal was left on its alternate screen:\n{screen}"
        );
        screen
    }

    /// The device this run created was deleted again: no orphan, nothing enabled.
    #[track_caller]
    fn assert_device_deleted(&self, screen: &str) {
        let serial = format!("arn:aws:iam::123456789012:mfa/{}-DuoMobile", self.user.name);
        assert!(
            screen.contains(&format!(
                "deleted {serial}: this run created it but never enabled it"
            )),
            "{screen}"
        );
        assert_eq!(self.user.orphans(), Vec::<String>::new(), "{screen}");
        assert!(
            !self
                .user
                .devices()
                .iter()
                .any(|d| d.serial_number.contains(":mfa/")),
            "{screen}"
        );
    }

    /// From the start of the guide to the enrolment screen: the default name, yes.
    fn to_enrolment(&self) {
        self.tmux.wait_for_prompt(&name_prompt(self));
        self.tmux.press("Enter");
        self.tmux.wait_for_prompt("Go ahead? [y/N]");
        self.tmux.answer("y");
        self.tmux
            .wait_for_prompt("Can't scan it? Show the key for manual entry? [y/N]");
    }

    /// On to the first code: no manual-entry key, then Enter at the enrolment screen.
    fn to_codes(&self) {
        self.to_enrolment();
        self.tmux.answer("n");
        self.tmux
            .wait_for_prompt("Once the app shows the new account (press Enter):");
        self.tmux.press("Enter");
        self.tmux.wait_for_prompt("MFA code 1 (from Duo Mobile):");
    }
}

/// The seed of `user`'s device `name`, as the emulator (unlike AWS) lists it.
fn seed(user: &User, name: &str) -> totp::Seed {
    let text = user
        .emulator_seed(name)
        .expect("the emulator lists the device with its seed");
    totp::parse_seed(&text).unwrap()
}

#[test]
fn ctrl_c_at_the_text_input() {
    let run = start("int-text", &["runbooks/aws-mfa.md"]);
    run.tmux.wait_for_prompt(&name_prompt(&run));
    run.interrupt(true);
}

#[test]
fn ctrl_c_at_the_confirmation_before_a_change() {
    let run = start("int-confirm", &["runbooks/aws-mfa.md"]);
    run.tmux.wait_for_prompt(&name_prompt(&run));
    run.tmux.press("Enter");
    run.tmux.wait_for_prompt("Go ahead? [y/N]");
    run.interrupt(true);
    assert_eq!(run.user.orphans(), Vec::<String>::new());
}

#[test]
fn ctrl_c_at_the_offer_of_the_manual_entry_key() {
    let run = start("int-offer", &["runbooks/aws-mfa.md"]);
    run.to_enrolment();
    let screen = run.interrupt(true);
    run.assert_device_deleted(&screen);
}

#[test]
fn ctrl_c_at_press_enter_on_the_enrolment_screen() {
    let run = start("int-enter", &["runbooks/aws-mfa.md"]);
    run.to_enrolment();
    run.tmux.answer("n");
    run.tmux
        .wait_for_prompt("Once the app shows the new account (press Enter):");
    let screen = run.interrupt(true);
    run.assert_device_deleted(&screen);
}

#[test]
fn ctrl_c_at_hidden_code_1() {
    let run = start("int-code1", &["runbooks/aws-mfa.md"]);
    run.to_codes();
    let screen = run.interrupt(true);
    run.assert_device_deleted(&screen);
}

#[test]
fn ctrl_c_at_hidden_code_2() {
    let run = start("int-code2", &["runbooks/aws-mfa.md"]);
    run.to_codes();
    run.tmux.enter("123456");
    run.tmux
        .wait_for_prompt("MFA code 2 (wait for the next code):");
    let screen = run.interrupt(true);
    run.assert_device_deleted(&screen);
}

#[test]
fn ctrl_c_twice_at_hidden_code_entry_quits_with_the_terminal_restored() {
    let run = start("int-twice", &["runbooks/aws-mfa.md"]);
    run.to_codes();
    // The second may come before the run has stopped: it quits at once, but not before
    // putting the terminal back.
    run.stop(2);
}

#[test]
fn ctrl_c_at_the_confirmation_before_enabling() {
    let run = start("int-enable", &["runbooks/aws-mfa.md"]);
    run.to_codes();
    let seed = seed(&run.user, &format!("{}-DuoMobile", run.user.name));
    let (now, next) = seed.consecutive_codes(unix_now());
    run.tmux.enter(now.expose());
    run.tmux
        .wait_for_prompt("MFA code 2 (wait for the next code):");
    run.tmux.enter(next.expose());
    run.tmux.wait_for_prompt_after(
        "Go ahead? [y/N]",
        "two consecutive codes, checked against the seed",
        1,
    );
    let screen = run.interrupt(true);
    run.assert_device_deleted(&screen);
}

#[test]
fn ctrl_c_at_the_sign_in_code() {
    // Part 1 unattended, then the sign-in check by hand: its code prompt.
    let dir = tempfile::tempdir().unwrap();
    let user = user("int-login");
    user.run(
        "runbooks/aws-mfa.md",
        &dir.path().join("state"),
        &["--yes", "--to", "set-up-the-authenticator-app"],
        &[],
    )
    .assert_code(0);
    let run = start_in(
        dir,
        user,
        &["runbooks/aws-mfa.md", "--only", "using-mfa-at-login"],
    );
    run.tmux
        .wait_for_prompt("A new code from Duo Mobile, to test signing in:");
    run.interrupt(true);
    // The enabled device is the user's, and stays.
    run.user
        .assert_one_device("after Ctrl-C at the sign-in code");
}

#[test]
fn ctrl_c_at_the_console_hand_off() {
    let run = start("int-console", &[CONSOLE]);
    run.tmux
        .wait_for_prompt("Done in the console? (press Enter):");
    run.interrupt(true);
}

#[test]
fn ctrl_c_while_polling_after_the_console_hand_off() {
    let run = start("int-poll", &[CONSOLE]);
    run.tmux
        .wait_for_prompt("Done in the console? (press Enter):");
    run.tmux.press("Enter");
    run.tmux.wait_until("the poll for the new key", |screen| {
        screen.contains("Waiting for a new security key to show up in IAM")
    });
    run.interrupt(false);
}
