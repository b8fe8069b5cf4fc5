//! `runbook plan` of the real guide: every section of the guide with its actions,
//! deterministic, in text and JSON.

use serde_json::Value;

use crate::harness::{Test, root};

fn plan(format: &str) -> String {
    let output = Test::new()
        .current_dir(root())
        .args(["plan", "runbooks/aws-mfa.md", "--format", format])
        .run();
    output.assert_code(0);
    output.stdout
}

#[test]
fn text_plan_snapshot() {
    insta::assert_snapshot!(plan("text"));
}

#[test]
fn json_plan_snapshot() {
    insta::assert_snapshot!(plan("json"));
}

#[test]
fn plan_is_deterministic() {
    assert_eq!(plan("json"), plan("json"));
    assert_eq!(plan("text"), plan("text"));
}

#[test]
fn json_plan_covers_every_section_of_the_guide() {
    let plan: Value = serde_json::from_str(&plan("json")).expect("valid JSON");
    assert_eq!(
        plan["title"],
        "AWS Multi-Factor Authentication (MFA) Setup: Duo Mobile and Security Key"
    );
    let steps = plan["steps"].as_array().unwrap();
    let ids: Vec<&str> = steps.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "prerequisites",
            "open-my-security-credentials",
            "choose-authenticator-app",
            "set-up-the-authenticator-app",
            "return-to-my-security-credentials",
            "select-security-key",
            "using-mfa-at-login",
            "summary",
        ]
    );
    // The guide's headings carry no-break spaces; compare with plain ones.
    let parts: Vec<Option<String>> = steps
        .iter()
        .map(|s| s["part"].as_str().map(|p| p.replace('\u{a0}', " ")))
        .collect();
    assert_eq!(parts[0], None);
    assert!(
        parts[1..4]
            .iter()
            .all(|p| p.as_deref().unwrap().starts_with("Part 1 "))
    );
    assert!(
        parts[4..6]
            .iter()
            .all(|p| p.as_deref().unwrap().starts_with("Part 2 "))
    );
    assert_eq!(&parts[6..], [None, None]);

    for step in steps {
        for key in ["id", "title", "part", "line", "kind", "actions"] {
            assert!(step.get(key).is_some(), "step lacks `{key}`: {step}");
        }
        assert!(matches!(
            step["kind"].as_str(),
            Some("manual" | "automated")
        ));
        for action in step["actions"].as_array().unwrap() {
            for key in ["id", "action", "line", "mutating", "params", "outputs"] {
                assert!(action.get(key).is_some(), "action lacks `{key}`: {action}");
            }
        }
    }
    let actions: Vec<&str> = steps
        .iter()
        .flat_map(|s| s["actions"].as_array().unwrap())
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    for name in [
        "sts.get-caller-identity",
        "iam.list-mfa-devices",
        "iam.create-virtual-mfa-device",
        "iam.enable-mfa-device",
        "sts.get-session-token",
        "totp.show-enrolment",
        "totp.consecutive-codes",
        "totp.read-code",
        "fido.wait-for-key",
        "fido.self-test",
        "console.handoff",
        "iam.get-mfa-device",
        "iam.get-account-summary",
    ] {
        assert!(actions.contains(&name), "the plan lacks `{name}`");
    }
}

#[test]
fn mutating_actions_are_marked_and_have_a_cli_equivalent() {
    let plan: Value = serde_json::from_str(&plan("json")).unwrap();
    let actions: Vec<&Value> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["actions"].as_array().unwrap())
        .collect();
    let mutating: Vec<&str> = actions
        .iter()
        .filter(|a| a["mutating"] == true)
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        mutating,
        ["iam.create-virtual-mfa-device", "iam.enable-mfa-device"]
    );
    for action in actions {
        let name = action["action"].as_str().unwrap();
        if name.starts_with("iam.") || name.starts_with("sts.") {
            let cli = action["aws_cli"]
                .as_str()
                .unwrap_or_else(|| panic!("{name} has no aws_cli"));
            assert!(cli.starts_with(&format!("aws {} ", &name[..3])), "{cli}");
        }
    }
}

#[test]
fn secrets_are_declared_secret_and_shown_only_as_placeholders() {
    let text = plan("json");
    let plan: Value = serde_json::from_str(&text).unwrap();
    let create = plan["steps"][2]["actions"][1].clone();
    assert_eq!(create["action"], "iam.create-virtual-mfa-device");
    let seed = create["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "seed")
        .unwrap();
    assert_eq!(seed["secret"], true);
    let enable = &plan["steps"][3]["actions"][2];
    assert_eq!(enable["action"], "iam.enable-mfa-device");
    assert!(
        enable["aws_cli"]
            .as_str()
            .unwrap()
            .contains("--authentication-code1 <codes-code1>")
    );
}

#[test]
fn manual_steps_are_planned_as_manual() {
    let output = Test::new()
        .file("r.md", "# T\n\n## Open the console\n\nClick **Sign in**.\n\n## Who am I\n\n```sts.get-caller-identity id=me\n```\n")
        .args(["plan", "r.md", "--format", "json"])
        .run();
    output.assert_code(0);
    let plan: Value = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(plan["steps"][0]["kind"], "manual");
    assert_eq!(plan["steps"][0]["actions"], serde_json::json!([]));
    assert_eq!(plan["steps"][1]["kind"], "automated");
    assert_eq!(plan["steps"][1]["line"], 7);
}
