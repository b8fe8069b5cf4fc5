//! `runbook completions SHELL` and `runbook man`: generated from the CLI definition, and
//! checked against it (every current subcommand, not a fixed list).

use std::path::Path;
use std::process::Command;

use crate::harness::Test;

/// The visible subcommands of the current CLI, with their one-line about text.
fn subcommands() -> Vec<(String, String)> {
    runbook::cli::definition()
        .get_subcommands()
        .filter(|sub| !sub.is_hide_set())
        .map(|sub| {
            let about = sub
                .get_about()
                .expect("every command has an about")
                .to_string();
            (sub.get_name().to_string(), about)
        })
        .collect()
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

fn script(shell: &str) -> String {
    let output = Test::new().args(["completions", shell]).run();
    output.assert_code(0);
    assert!(output.stderr.is_empty(), "stderr: {}", output.stderr);
    output.stdout
}

#[test]
fn completions_name_every_subcommand() {
    let subs = subcommands();
    assert!(subs.len() >= 8, "too few subcommands: {subs:?}");
    let bash = script("bash");
    let fish = script("fish");
    for (name, _) in &subs {
        assert!(
            bash.contains(&format!("runbook,{name})")),
            "bash completion lacks `{name}`"
        );
        assert!(
            fish.contains(&format!("-a \"{name}\"")),
            "fish completion lacks `{name}`"
        );
    }
    for shell in ["zsh", "powershell", "elvish"] {
        let text = script(shell);
        for (name, _) in &subs {
            assert!(
                text.contains(name.as_str()),
                "{shell} completion lacks `{name}`"
            );
        }
    }
}

#[test]
fn completions_bash_script_is_valid_registers_and_completes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("runbook.bash");
    std::fs::write(&path, script("bash")).unwrap();
    let syntax = Command::new("bash").arg("-n").arg(&path).output().unwrap();
    assert!(
        syntax.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&syntax.stderr)
    );
    // Source it, check it registered, and ask it what follows `runbook `, `runbook run --dr`
    // and `runbook completions `, as bash itself would on Tab.
    let probe = r#"
        source "$1" || exit 9
        complete -p runbook || exit 8
        ask() { COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
                COMPREPLY=(); _runbook runbook "${COMP_WORDS[-1]}" "${COMP_WORDS[-2]}"
                echo "$1 ${COMP_WORDS[1]}: ${COMPREPLY[*]}"; }
        ask runbook ""
        ask runbook run --dr
        ask runbook completions ""
    "#;
    let output = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", probe, "probe"])
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("complete -o bashdefault -o default -o nosort -F _runbook runbook"),
        "not registered:\n{stdout}"
    );
    let lines: Vec<&str> = stdout.lines().collect();
    let top = lines.iter().find(|l| l.starts_with("runbook : ")).unwrap();
    let offered: Vec<&str> = top["runbook : ".len()..].split_whitespace().collect();
    for (name, _) in subcommands() {
        assert!(
            offered.contains(&name.as_str()),
            "Tab lacks `{name}`: {top}"
        );
    }
    assert!(
        lines.contains(&"runbook run: --dry-run"),
        "`runbook run --dr<Tab>`:\n{stdout}"
    );
    let shells = lines
        .iter()
        .find(|l| l.starts_with("runbook completions:"))
        .unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        assert!(shells.contains(shell), "{shells}");
    }
}

#[test]
fn completions_fish_script_is_valid_if_fish_is_installed() {
    let fish = script("fish");
    assert!(fish.contains("complete -c runbook"), "{fish}");
    if !on_path("fish") {
        return; // the script's content is checked above and in completions_name_every_subcommand
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("runbook.fish");
    std::fs::write(&path, fish).unwrap();
    let status = Command::new("fish").arg("-n").arg(&path).status().unwrap();
    assert!(status.success());
}

#[test]
fn completions_help_says_where_to_put_the_script() {
    let output = Test::new().args(["completions", "--help"]).run();
    output.assert_code(0);
    for needle in [
        "~/.local/share/bash-completion/completions/runbook",
        "_runbook",
        "$fpath",
        "~/.config/fish/completions/runbook.fish",
    ] {
        assert!(
            output.stdout.contains(needle),
            "lacks `{needle}`:\n{}",
            output.stdout
        );
    }
}

#[test]
fn completions_for_an_unknown_shell_is_a_usage_error() {
    let output = Test::new().args(["completions", "tcsh"]).run();
    output.assert_code(2);
    assert!(
        output.stderr.contains("possible values"),
        "{}",
        output.stderr
    );
}

fn assert_page(path: &Path, title: &str, about: &str) {
    let page = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        page.lines()
            .any(|l| l.starts_with(&format!(".TH {title} 1 "))),
        "{} lacks its .TH header:\n{page}",
        path.display()
    );
    // roff escapes `-` as `\-`; compare with that undone.
    let text = page.replace("\\-", "-");
    assert!(text.contains(about), "{} lacks `{about}`", path.display());
    if on_path("groff") {
        // -k: preconv for UTF-8 (e.g. `→`); -ww: every warning; -z: no output.
        let output = Command::new("groff")
            .args(["-k", "-man", "-Tutf8", "-ww", "-z"])
            .arg(path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success() && stderr.is_empty(),
            "groff on {}: {stderr}",
            path.display()
        );
    }
}

#[test]
fn man_dir_writes_a_page_per_subcommand() {
    let test = Test::new();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man/man1");
    let output = test.args(["man", "--dir", out.to_str().unwrap()]).run();
    output.assert_code(0);
    let top = runbook::cli::definition();
    assert_page(
        &out.join("runbook.1"),
        "runbook",
        &top.get_about().unwrap().to_string(),
    );
    let subs = subcommands();
    for (name, about) in &subs {
        let page = out.join(format!("runbook-{name}.1"));
        assert_page(&page, &format!("runbook-{name}"), about);
        assert!(
            output.stdout.contains(&format!("runbook-{name}.1")),
            "not reported: {}",
            output.stdout
        );
    }
    // Nothing else: no page for clap's `help` pseudo-command.
    let count = std::fs::read_dir(&out).unwrap().count();
    assert_eq!(count, subs.len() + 1, "{}", output.stdout);
}

#[test]
fn man_without_dir_prints_the_top_page() {
    let output = Test::new().args(["man"]).run();
    output.assert_code(0);
    assert!(
        output.stdout.contains(".TH runbook 1 "),
        "{}",
        output.stdout
    );
    let text = output.stdout.replace("\\-", "-");
    for (name, _) in subcommands() {
        assert!(
            text.contains(&format!("runbook-{name}(1)")),
            "lacks {name}:\n{text}"
        );
    }
}

#[test]
fn man_dir_that_cannot_be_written_is_a_usage_error() {
    let test = Test::new().file("taken", "a file, not a folder");
    let output = test.args(["man", "--dir", "taken"]).run();
    output.assert_code(2);
    assert!(output.stderr.contains("help:"), "{}", output.stderr);
}
