//! `runbook schema`: the JSON Schema of an action's body, from the same declaration
//! `runbook check` binds bodies with.

use serde_json::Value;

use crate::harness::Test;

fn schema(args: &[&str]) -> Value {
    let output = Test::new()
        .args(["schema"])
        .args(args.iter().copied())
        .run();
    output.assert_code(0);
    serde_json::from_str(&output.stdout).unwrap()
}

#[test]
fn one_action_has_its_parameters_and_the_common_keys() {
    let schema = schema(&["iam.enable-mfa-device"]);
    assert_eq!(schema["title"], "iam.enable-mfa-device");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(schema["additionalProperties"], false);
    let keys: Vec<&str> = schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "user",
            "serial_number",
            "code1",
            "code2",
            "when",
            "expect",
            "for_each",
            "as"
        ]
    );
    assert_eq!(
        schema["required"],
        serde_json::json!(["user", "serial_number", "code1", "code2"])
    );
    assert_eq!(schema["properties"]["code1"]["x-secret"], true);
}

/// Every key of every body in the shipped guides is a property of its action's schema,
/// and every required property is set (or the block is an input that asks for it).
#[test]
fn all_schemas_describe_the_shipped_guides() {
    let all = schema(&["--all"]);
    let actions = Test::new().args(["actions"]).run();
    actions.assert_code(0);
    let names = all.as_object().unwrap();
    assert!(names.len() > 10, "{names:?}");
    for name in names.keys() {
        assert!(actions.stdout.contains(name.as_str()), "{name}");
    }
    let mut bodies = 0;
    for entry in std::fs::read_dir(crate::harness::root().join("runbooks")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            let Some(info) = line.strip_prefix("```") else {
                continue;
            };
            let name = info.split_whitespace().next().unwrap_or_default();
            let Some(schema) = all.get(name) else {
                continue;
            };
            let body: String = lines
                .by_ref()
                .take_while(|l| !l.starts_with("```"))
                .map(|l| format!("{l}\n"))
                .collect();
            let table: toml::Table = toml::from_str(&body).unwrap();
            for key in table.keys() {
                assert!(
                    schema["properties"].get(key).is_some(),
                    "{}: `{key}` of {name} is not in its schema",
                    path.display()
                );
            }
            for required in schema["required"].as_array().into_iter().flatten() {
                assert!(
                    table.contains_key(required.as_str().unwrap()),
                    "{}: {name} lacks `{required}`",
                    path.display()
                );
            }
            bodies += 1;
        }
    }
    assert!(bodies > 20, "{bodies}");
}

#[test]
fn an_unknown_action_gets_a_suggestion() {
    let output = Test::new().args(["schema", "iam.enable-mfa-devise"]).run();
    output.assert_code(2);
    assert!(
        output
            .stderr
            .contains("there is no action `iam.enable-mfa-devise`"),
        "{}",
        output.stderr
    );
    assert!(
        output
            .stderr
            .contains("did you mean `iam.enable-mfa-device`?"),
        "{}",
        output.stderr
    );
    // Neither an action nor --all: clap says what is missing.
    Test::new().args(["schema"]).run().assert_code(2);
}
