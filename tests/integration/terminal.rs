//! The guide in a real terminal (tmux), answered as a person would: Part 1 of
//! `runbooks/aws-mfa.md` against the local emulator, with the text input and its default,
//! the y/N confirmations (a key, then Enter), the enrolment QR code (read back off the
//! screen and decoded), the manual-entry key, and hidden code entry (a wrong pair refused,
//! a right one taken); and `runbooks/remove-mfa-devices.md`, whose loop asks several
//! times in a row (the Enter after `y` answers one question, never the next).
//!
//! It drives the guide itself rather than `tests/fixtures/run/part1.md`: that fixture has
//! no `totp.show-enrolment` block, so it never draws a QR code.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use runbook::totp;

use crate::harness::{BIN, root};
use crate::moto::{User, endpoint, user};

/// The longest any one thing may take to show up on the screen.
pub(crate) const WAIT: Duration = Duration::from_secs(20);

/// A pause after a prompt shows up and before typing, as a person would make: the prompt
/// is drawn a moment before the terminal is switched to raw or no-echo mode.
pub(crate) const THINK: Duration = Duration::from_millis(200);

/// A tmux server of our own (a private socket in `dir`, no user configuration) with one
/// session, killed when dropped, panics included.
pub(crate) struct Tmux {
    socket: PathBuf,
    session: String,
}

impl Tmux {
    /// Start `command` in a detached 200×80 session.
    pub(crate) fn start(dir: &Path, name: &str, command: &str) -> Tmux {
        let tmux = Tmux {
            socket: dir.join("tmux.sock"),
            session: name.to_string(),
        };
        let output = tmux.command(&[
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            "200",
            "-y",
            "80",
            command,
        ]);
        assert!(
            output.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        tmux
    }

    pub(crate) fn command(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .args(["-u", "-f", "/dev/null", "-S"])
            .arg(&self.socket)
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("run tmux (scripts/setup.sh installs it)")
    }

    /// Everything the pane shows, scrollback included: characters only, no escapes,
    /// wrapped lines joined, blank lines at the bottom dropped.
    pub(crate) fn screen(&self) -> String {
        let output = self.command(&["capture-pane", "-p", "-J", "-S", "-", "-t", &self.session]);
        assert!(
            output.status.success(),
            "tmux capture-pane failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = String::from_utf8(output.stdout).expect("the pane is UTF-8");
        text.trim_end().to_string()
    }

    /// Poll the screen until `ready` holds; panic with the screen after [`WAIT`].
    #[track_caller]
    pub(crate) fn wait_until(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        self.wait_until_within(WAIT, what, ready)
    }

    /// Poll the screen until `ready` holds; panic with the screen after `limit`.
    #[track_caller]
    pub(crate) fn wait_until_within(
        &self,
        limit: Duration,
        what: &str,
        ready: impl Fn(&str) -> bool,
    ) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            if start.elapsed() > limit {
                panic!(
                    "waited {:.1} s for {what}; the terminal shows:\n{screen}",
                    limit.as_secs_f64()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A tmux format evaluated for the pane, e.g. `#{cursor_flag}` (1: the cursor is shown).
    pub(crate) fn format(&self, format: &str) -> String {
        let output = self.command(&["display-message", "-p", "-t", &self.session, format]);
        assert!(
            output.status.success(),
            "tmux display-message failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    /// Wait until the terminal waits at `prompt` (its last line starts with it).
    #[track_caller]
    pub(crate) fn wait_for_prompt(&self, prompt: &str) -> String {
        self.wait_until(&format!("the prompt `{prompt}`"), |screen| {
            last_line(screen).starts_with(prompt)
        })
    }

    /// Wait until the terminal waits at `prompt`, after `text` has been shown `times`
    /// times in all.
    #[track_caller]
    pub(crate) fn wait_for_prompt_after(&self, prompt: &str, text: &str, times: usize) -> String {
        self.wait_until(
            &format!("the prompt `{prompt}` after `{text}` (×{times})"),
            |screen| last_line(screen).starts_with(prompt) && screen.matches(text).count() >= times,
        )
    }

    /// Type text literally (after a moment's thought).
    pub(crate) fn type_text(&self, text: &str) {
        std::thread::sleep(THINK);
        self.keys(&["-l", text]);
    }

    /// Press named keys (`Enter`) or single characters (`y`).
    pub(crate) fn press(&self, key: &str) {
        std::thread::sleep(THINK);
        self.keys(&[key]);
    }

    /// Answer a yes/no question: `y` or `n`, then Enter, typed quickly, as a person
    /// does: the Enter must answer this question, never the next one.
    pub(crate) fn answer(&self, key: &str) {
        std::thread::sleep(THINK);
        self.keys(&[key, "Enter"]);
    }

    /// Type a code and press Enter.
    pub(crate) fn enter(&self, text: &str) {
        self.type_text(text);
        self.keys(&["Enter"]);
    }

    pub(crate) fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", self.session.as_str()];
        args.extend_from_slice(keys);
        let output = self.command(&args);
        assert!(
            output.status.success(),
            "tmux send-keys failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command(&["kill-server"]);
        let _ = std::fs::remove_file(&self.socket);
    }
}

pub(crate) fn last_line(screen: &str) -> &str {
    screen.lines().last().unwrap_or("")
}

/// Quote for `sh`.
pub(crate) fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// A script that runs `runbook run ARGS` as `user` in a clean environment (`env -i`:
/// nothing of the developer's AWS setup or the test hooks leaks in), then prints its exit
/// code and keeps the pane open for the last look.
pub(crate) fn run_script(dir: &Path, user: &User, args: &[&str]) -> PathBuf {
    run_script_around(dir, user, args, "", "")
}

/// [`run_script`], with shell lines run in the same terminal `before` the run and `after`
/// its exit code is printed (and before the last look).
pub(crate) fn run_script_around(
    dir: &Path,
    user: &User,
    args: &[&str],
    before: &str,
    after: &str,
) -> PathBuf {
    let (key_id, secret) = user.keys();
    let state = dir.join("state");
    let vars = [
        ("PATH", std::env::var("PATH").unwrap_or_default()),
        ("HOME", dir.display().to_string()),
        ("LANG", "C.UTF-8".to_string()),
        ("AWS_ACCESS_KEY_ID", key_id),
        ("AWS_SECRET_ACCESS_KEY", secret),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ("AWS_CONFIG_FILE", "/nonexistent".to_string()),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent".to_string()),
    ];
    let mut line = String::from("env -i TERM=\"$TERM\"");
    for (name, value) in vars {
        line += &format!(" {name}={}", quote(&value));
    }
    line += &format!(" {} run", quote(BIN));
    for arg in args {
        line += &format!(" {}", quote(arg));
    }
    line += &format!(
        " --endpoint-url {} --state-dir {}",
        quote(endpoint()),
        quote(&state.display().to_string())
    );
    let script = format!(
        "cd {}\n{before}\n{line}\necho EXIT:$?\n{after}\nsleep 30\n",
        quote(&root().display().to_string())
    );
    let path = dir.join("run.sh");
    std::fs::write(&path, script).unwrap();
    path
}

/// The QR code drawn under `intro`, read back into modules (`true` is dark). Each
/// character holds two modules, upper and lower; a lit half (`▀`, `▄`, `█`) is a light
/// module, a blank half (terminal background) a dark one.
fn qr_modules(screen: &str, intro: &str) -> Vec<Vec<bool>> {
    let lines: Vec<&str> = screen
        .lines()
        .skip_while(|line| !line.contains(intro))
        .skip(1)
        .take_while(|line| {
            !line.is_empty() && line.chars().all(|c| matches!(c, ' ' | '▀' | '▄' | '█'))
        })
        .collect();
    assert!(
        !lines.is_empty(),
        "no QR code under `{intro}`; the terminal shows:\n{screen}"
    );
    let mut rows = Vec::new();
    for line in lines {
        let (upper, lower): (Vec<bool>, Vec<bool>) = line
            .chars()
            .map(|c| match c {
                ' ' => (true, true),
                '▀' => (false, true),
                '▄' => (true, false),
                _ => (false, false),
            })
            .unzip();
        rows.push(upper);
        rows.push(lower);
    }
    let width = rows[0].len();
    assert!(
        rows.iter().all(|row| row.len() == width),
        "ragged QR code on the screen:\n{screen}"
    );
    // An odd number of module rows leaves the last line's lower half unused.
    assert!(
        rows.len() == width || rows.len() == width + 1,
        "the QR code on the screen is not square ({width} wide, {} high):\n{screen}",
        rows.len()
    );
    rows.truncate(width);
    // The quiet zone: light all round.
    assert!(
        rows[0].iter().all(|dark| !dark) && rows.iter().all(|row| !row[0] && !row[width - 1]),
        "no light quiet zone around the QR code:\n{screen}"
    );
    rows
}

/// Scan the modules as a camera would see them (4 pixels a module, dark as black).
fn decode_qr(modules: &[Vec<bool>]) -> String {
    const SCALE: usize = 4;
    let side = modules.len() * SCALE;
    let mut image =
        rqrr::PreparedImage::prepare_from_bitmap(side, side, |x, y| modules[y / SCALE][x / SCALE]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "expected one QR code on the screen");
    grids[0].decode().expect("the QR code decodes").1
}

/// Whether `code` occurs as a token of its own (not inside a longer run of digits).
fn shows_code(screen: &str, code: &str) -> bool {
    screen.match_indices(code).any(|(i, _)| {
        let before = screen[..i].chars().next_back();
        let after = screen[i + code.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_digit()) && !after.is_some_and(|c| c.is_ascii_digit())
    })
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn part1_of_the_guide_in_a_real_terminal() {
    let started = Instant::now();
    let user = user("terminal");
    let dir = tempfile::tempdir().unwrap();
    let script = run_script(
        dir.path(),
        &user,
        &[
            "runbooks/aws-mfa.md",
            "--to",
            "set-up-the-authenticator-app",
        ],
    );
    let tmux = Tmux::start(
        dir.path(),
        "terminal",
        &format!("sh {}", quote(&script.display().to_string())),
    );

    // The device name: a text input with the default in brackets. A name IAM refuses is
    // refused here, with the rule, and asked again; Enter takes the default.
    let name_prompt = "Name for the virtual MFA device [terminal-DuoMobile]:";
    tmux.wait_for_prompt(name_prompt);
    tmux.type_text("Duo Mobile");
    tmux.press("Enter");
    let refused = "! `Duo Mobile` is not valid: IAM device names allow letters, digits and +=,.@_- but no spaces.";
    tmux.wait_for_prompt_after(name_prompt, refused, 1);
    tmux.press("Enter");

    // Creating the device: shown with its CLI equivalent, then y/N (a key, then Enter).
    let screen = tmux.wait_for_prompt("Go ahead? [y/N]");
    assert!(
        screen.contains("Name for the virtual MFA device: terminal-DuoMobile\n"),
        "{screen}"
    );
    assert!(
        screen.contains("→ create the virtual MFA device `terminal-DuoMobile`\n    $ aws iam create-virtual-mfa-device --virtual-mfa-device-name terminal-DuoMobile"),
        "{screen}"
    );
    tmux.answer("y");

    // The QR code, on the terminal's alternate screen, before the offer of the
    // manual-entry key.
    let screen = tmux.wait_for_prompt("Can't scan it? Show the key for manual entry? [y/N]");

    // The emulator (unlike AWS) lists seeds: the test's way to know the real one.
    let seed_text = user
        .emulator_seed("terminal-DuoMobile")
        .expect("the emulator lists the device with its seed");
    let seed_base32 = seed_text.trim_end_matches('=').to_ascii_uppercase();
    let seed = totp::parse_seed(&seed_text).unwrap();

    let intro =
        "Scan this with Duo Mobile (or any authenticator app): “AWS: terminal@123456789012”";
    let uri = decode_qr(&qr_modules(&screen, intro));
    let (label, query) = uri
        .strip_prefix("otpauth://totp/")
        .and_then(|rest| rest.split_once('?'))
        .unwrap_or_else(|| panic!("not an otpauth://totp/ URI: {uri}"));
    assert_eq!(label, "AWS:terminal%40123456789012", "{uri}");
    let parameters: Vec<(&str, &str)> = query
        .split('&')
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .collect();
    let secret = parameters
        .iter()
        .find(|(name, _)| *name == "secret")
        .map(|(_, value)| *value)
        .unwrap_or_else(|| panic!("no secret= in the QR code's URI: {uri}"));
    assert!(
        secret == seed_base32,
        "the QR code's secret is not the device's seed"
    );
    for expected in [
        ("issuer", "AWS"),
        ("algorithm", "SHA1"),
        ("digits", "6"),
        ("period", "30"),
    ] {
        assert!(parameters.contains(&expected), "{expected:?} in {uri}");
    }
    tmux.answer("y");

    // The manual-entry key: the seed in blocks of 4, still on the private screen.
    let scanned = "Once the app shows the new account (press Enter):";
    let screen = tmux.wait_for_prompt(scanned);
    assert!(
        screen.contains("Can't scan it? Show the key for manual entry? yes\n"),
        "{screen}"
    );
    let key_label = "Key for manual entry (time-based, 6 digits): ";
    let key = screen
        .lines()
        .find_map(|line| line.trim().strip_prefix(key_label))
        .unwrap_or_else(|| panic!("no manual-entry key; the terminal shows:\n{screen}"));
    let blocks: Vec<&str> = key.split(' ').collect();
    assert!(
        blocks[..blocks.len() - 1].iter().all(|b| b.len() == 4)
            && (1..=4).contains(&blocks[blocks.len() - 1].len()),
        "the manual-entry key is not in blocks of 4 ({} blocks)",
        blocks.len()
    );
    assert!(
        blocks.concat() == seed_base32,
        "the manual-entry key is not the device's seed"
    );
    tmux.enter("");

    // Back on the normal screen: the QR code and the key are gone, scrollback included.
    let screen = tmux.wait_for_prompt("MFA code 1 (from Duo Mobile):");
    assert!(
        screen.contains(
            "enrolment QR code shown for AWS: terminal@123456789012, then cleared from the screen"
        ),
        "{screen}"
    );
    assert!(screen.contains("Go ahead? yes\n"), "{screen}");
    assert!(
        screen.contains("created arn:aws:iam::123456789012:mfa/terminal-DuoMobile"),
        "{screen}"
    );
    assert!(
        !screen.contains(key_label),
        "the key is still on screen:\n{screen}"
    );
    assert!(
        !screen.contains(intro),
        "the QR code is still on screen:\n{screen}"
    );

    // The codes, typed hidden. Each pair is taken from the seed the moment it is typed:
    // the codes of the current window T and of T+1, which the local check (windows T-1..T+1
    // around the time it checks) accepts even if a new window starts while typing.
    let code1_prompt = "MFA code 1 (from Duo Mobile):";
    let code2_prompt = "MFA code 2 (wait for the next code):";
    let mut typed = Vec::new();
    let mut type_pair = |first: &str, second: &str| {
        tmux.enter(first);
        tmux.wait_for_prompt(code2_prompt);
        tmux.enter(second);
        typed.extend([first.to_string(), second.to_string()]);
    };

    // 1. The same code twice: refused, asked again.
    let (now, _) = seed.consecutive_codes(unix_now());
    type_pair(now.expose(), now.expose());
    let same = "code 1 and code 2 are the same: after entering code 1, wait until the app shows a new code (up to 30 seconds) and enter that one as code 2; try again";
    tmux.wait_for_prompt_after(code1_prompt, same, 1);

    // 2. Two right codes in the wrong order: refused, asked again.
    let (now, next) = seed.consecutive_codes(unix_now());
    type_pair(next.expose(), now.expose());
    let order = "both codes are right but they are not consecutive: code 2 must be the very next code after code 1; enter the code on screen, wait until it changes, then enter the new one; try again";
    tmux.wait_for_prompt_after(code1_prompt, order, 1);

    // 3. The right pair: taken, and enabling asks first.
    let (now, next) = seed.consecutive_codes(unix_now());
    type_pair(now.expose(), next.expose());
    let enable =
        "→ enable arn:aws:iam::123456789012:mfa/terminal-DuoMobile for terminal with the two codes";
    let screen = tmux.wait_for_prompt_after("Go ahead? [y/N]", enable, 1);
    assert!(
        screen.contains("two consecutive codes, checked against the seed"),
        "{screen}"
    );
    assert_eq!(
        screen
            .matches("MFA code 1 (from Duo Mobile): [hidden]\n")
            .count(),
        3,
        "{screen}"
    );
    assert_eq!(
        screen
            .matches("MFA code 2 (wait for the next code): [hidden]\n")
            .count(),
        3,
        "{screen}"
    );
    assert!(
        screen
            .contains("--authentication-code1 <codes-code1> --authentication-code2 <codes-code2>"),
        "{screen}"
    );
    tmux.answer("y");

    let screen = tmux.wait_until("the run to end", |screen| {
        screen.lines().any(|line| line.starts_with("EXIT:"))
    });
    assert!(screen.lines().any(|line| line == "EXIT:0"), "{screen}");
    assert!(
        screen.contains("enabled arn:aws:iam::123456789012:mfa/terminal-DuoMobile for terminal"),
        "{screen}"
    );
    assert!(
        screen.contains("terminal has 1 MFA device(s): 1 virtual"),
        "{screen}"
    );
    // Typed codes are never echoed.
    for code in &typed {
        assert!(!shows_code(&screen, code), "a typed code is on the screen");
    }
    drop(tmux);
    user.assert_one_device("after the run in a terminal");
    eprintln!(
        "the run in a terminal took {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// A loop asks before each change, one question right after the other: `y` then Enter
/// answers one confirmation, and the next one is still asked (the Enter does not answer
/// it with its default, No). Two devices to deactivate, then one to delete: three
/// confirmations, each answered `y` + Enter, and the run removes both devices.
#[test]
fn y_then_enter_answers_one_confirmation_and_the_next_is_still_asked() {
    use runbook::providers::{Assignment, Iam};
    use runbook::secret::Secret;
    let user = user("yenter");
    let iam = user.provider();
    let phone = iam
        .create_virtual_mfa_device("yenter-phone", None)
        .unwrap()
        .serial_number;
    // The emulator takes any well-formed codes, and a `u2f` serial.
    let (one, two) = (Secret::new("123456"), Secret::new("654321"));
    iam.enable_mfa_device(&user.name, &phone, &one, &two)
        .unwrap();
    let key = "arn:aws:iam::123456789012:u2f/user/yenter/yenter-key";
    iam.enable_mfa_device(&user.name, key, &one, &two).unwrap();
    assert_eq!(user.devices().len(), 2);

    let dir = tempfile::tempdir().unwrap();
    let script = run_script(
        dir.path(),
        &user,
        &[
            "runbooks/remove-mfa-devices.md",
            "--var",
            "user_name=yenter",
        ],
    );
    let tmux = Tmux::start(
        dir.path(),
        "yenter",
        &format!("sh {}", quote(&script.display().to_string())),
    );
    let question = "Go ahead? [y/N]";
    let deactivate = "→ deactivate arn:aws:iam::123456789012:";
    // The `n`th confirmation shown after `text`, or the run's end (which then fails).
    let asked = |text: &str, n: usize| {
        let screen = tmux.wait_until(&format!("confirmation {n} after `{text}`"), |screen| {
            screen.contains("EXIT:")
                || (last_line(screen).starts_with(question) && screen.matches(text).count() >= n)
        });
        assert!(!screen.contains("EXIT:"), "the run ended:\n{screen}");
        screen
    };

    asked(deactivate, 1);
    tmux.answer("y");
    // The second deactivation is asked, and waits for its own answer.
    asked(deactivate, 2);
    std::thread::sleep(Duration::from_secs(1));
    let screen = tmux.screen();
    assert!(last_line(&screen).starts_with(question), "{screen}");
    assert!(!screen.contains("was not confirmed"), "{screen}");
    assert_eq!(screen.matches("Go ahead? yes\n").count(), 1, "{screen}");
    // A key only chooses: it is shown, and the question waits for Enter.
    tmux.press("y");
    tmux.wait_until("the key typed shown", |screen| {
        last_line(screen).starts_with("Go ahead? [y/N] y (press Enter)")
    });
    std::thread::sleep(THINK);
    assert_eq!(tmux.screen().matches("Go ahead? yes\n").count(), 1);
    tmux.press("Enter");

    asked("→ delete the unassigned", 1);
    tmux.answer("y");
    let screen = tmux.wait_until("the run to end", |screen| {
        screen.lines().any(|line| line.starts_with("EXIT:"))
    });
    assert!(screen.lines().any(|line| line == "EXIT:0"), "{screen}");
    assert_eq!(screen.matches("Go ahead? yes\n").count(), 3, "{screen}");
    assert!(!screen.contains("Go ahead? no"), "{screen}");
    assert!(
        screen.contains("yenter has 0 MFA device(s) now."),
        "{screen}"
    );
    drop(tmux);
    assert!(user.devices().is_empty(), "{:?}", user.devices());
    assert!(
        !iam.list_virtual_mfa_devices(Assignment::Any)
            .unwrap()
            .iter()
            .any(|device| device.serial_number == phone),
        "the virtual device was not deleted"
    );
}

/// `--output json --yes` with stdout going to a file but stderr on a terminal: a person is
/// there, so the QR code is drawn on stderr (stdout carries only the events), and the
/// device is enrolled; the events hold no seed.
#[test]
fn json_output_draws_the_qr_code_on_the_terminal_stderr() {
    let user = user("jsontty");
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.jsonl");
    let script = run_script(
        dir.path(),
        &user,
        &[
            "runbooks/aws-mfa.md",
            "--to",
            "set-up-the-authenticator-app",
            "--yes",
            "--output",
            "json",
        ],
    );
    // stdout to a file: only stderr is the terminal.
    let text = std::fs::read_to_string(&script).unwrap().replace(
        "\necho EXIT:$?",
        &format!(" > {}\necho EXIT:$?", quote(&events.display().to_string())),
    );
    std::fs::write(&script, text).unwrap();
    let tmux = Tmux::start(
        dir.path(),
        "jsontty",
        &format!("sh {}", quote(&script.display().to_string())),
    );
    let screen = tmux.wait_until("the run's end", |screen| screen.contains("EXIT:"));
    assert!(screen.contains("EXIT:0"), "{screen}");
    let intro = "Scan this with Duo Mobile (or any authenticator app): “AWS: jsontty@123456789012”";
    let uri = decode_qr(&qr_modules(&screen, intro));
    let seed_text = user.emulator_seed("jsontty-DuoMobile").unwrap();
    let secret = seed_text.trim_end_matches('=').to_ascii_uppercase();
    assert!(uri.contains(&format!("secret={secret}")), "{uri}");
    let events = std::fs::read_to_string(&events).unwrap();
    assert!(
        events.lines().all(|line| line.starts_with("{\"event\":")),
        "{events}"
    );
    assert!(!events.contains(&secret), "the seed reached the events");
    assert_eq!(user.devices().len(), 1);
}
