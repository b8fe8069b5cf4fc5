//! docs/actions.md is generated from the registry and must not go stale.

use crate::harness::{Test, root};

#[test]
fn docs_actions_md_is_up_to_date() {
    let output = Test::new().args(["actions", "--format", "markdown"]).run();
    output.assert_code(0);
    let path = root().join("docs/actions.md");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if std::env::var_os("RUNBOOK_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &output.stdout).unwrap();
        return;
    }
    assert!(
        committed == output.stdout,
        "docs/actions.md is stale; regenerate it with\n  cargo run -q -- actions --format markdown > docs/actions.md"
    );
}

#[test]
fn actions_lists_every_action_once() {
    let output = Test::new().args(["actions"]).run();
    output.assert_code(0);
    for action in runbook::actions::all() {
        let lines = output
            .stdout
            .lines()
            .filter(|l| l.trim_start().starts_with(&format!("{} ", action.name())))
            .count();
        assert_eq!(
            lines,
            1,
            "`{}` listed {lines} times:\n{}",
            action.name(),
            output.stdout
        );
    }
}

#[test]
fn catalogue_declares_the_guides_actions() {
    let names: Vec<&str> = runbook::actions::all().iter().map(|a| a.name()).collect();
    for name in [
        "sts.get-caller-identity",
        "iam.list-mfa-devices",
        "iam.list-virtual-mfa-devices",
        "iam.create-virtual-mfa-device",
        "iam.enable-mfa-device",
        "iam.resync-mfa-device",
        "iam.deactivate-mfa-device",
        "iam.delete-virtual-mfa-device",
        "iam.get-mfa-device",
        "iam.get-account-summary",
        "sts.get-session-token",
    ] {
        assert!(names.contains(&name), "missing `{name}`");
    }
    let create = runbook::actions::find("iam.create-virtual-mfa-device").unwrap();
    assert!(create.mutating());
    assert!(create.output("seed").unwrap().secret);
    assert!(!create.output("serial_number").unwrap().secret);
    let params: Vec<String> = create.params().into_iter().map(|p| p.name).collect();
    assert_eq!(params, ["name", "path", "user"]);
    let enable = runbook::actions::find("iam.enable-mfa-device").unwrap();
    assert!(
        enable
            .params()
            .iter()
            .filter(|p| p.name.starts_with("code"))
            .all(|p| p.secret && p.required)
    );
    for name in [
        "iam.list-mfa-devices",
        "sts.get-caller-identity",
        "iam.get-mfa-device",
    ] {
        assert!(!runbook::actions::find(name).unwrap().mutating(), "{name}");
    }
}

#[test]
fn no_action_uses_a_reserved_key() {
    for action in runbook::actions::all() {
        for param in action.params() {
            assert!(
                param.name != runbook::bind::binder::WHEN
                    && param.name != runbook::bind::binder::EXPECT,
                "{} declares reserved parameter `{}`",
                action.name(),
                param.name
            );
        }
    }
}
