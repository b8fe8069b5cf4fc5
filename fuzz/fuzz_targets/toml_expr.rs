//! The TOML/expression layer. When the input's first line names an action, the rest is the
//! body of an action block of that action; otherwise its first byte picks the action and
//! the whole input is the body. The block is bound (TOML parsing, unknown and missing
//! parameters, typed binding, per-action checks, template references) in a small runbook
//! that defines an input and an action to refer to. The body, whole and line by line, also
//! goes through template reference scanning, `when`/`expect` expression parsing,
//! placeholders and run-time evaluation against a scope holding secrets, whose values
//! must never change what plain rendering or evaluation gives.

#![no_main]

use libfuzzer_sys::fuzz_target;
use runbook::actions;
use runbook::bind::check::check_source;
use runbook::parse::parser;
use runbook::secret::Secret;
use runbook::parse::source::Source;
use runbook::parse::template;
use runbook::run::values::{Outputs, Scope, Value};

mod common;

/// Two values for the same secrets: plain results must not depend on which one is held.
const SECRETS: [&str; 2] = ["JBSWY3DPEHPK3PXP", "GEZDGNBVGY3TQOJQGEZDGNBV"];

fn scope(secret: &str) -> Scope {
    let mut scope = Scope::default();
    scope.set_value("name", Value::plain("Duo Mobile"));
    let mut me = Outputs::new();
    me.insert("user_name".into(), Value::plain("alice"));
    me.insert("account".into(), Value::plain("123456789012"));
    me.insert("is_root".into(), Value::plain(false));
    scope.set_outputs("me", me);
    let mut duo = Outputs::new();
    duo.insert(
        "serial_number".into(),
        Value::plain("arn:aws:iam::123456789012:mfa/duo"),
    );
    duo.insert("seed".into(), Value::Secret(Secret::new(secret)));
    duo.insert("gone".into(), Value::Unavailable("not kept".into()));
    scope.set_outputs("duo", duo);
    scope.set_skipped("root", "when: me.is_root");
    scope
}

fn sorted_names(names: &[String]) {
    assert!(names.windows(2).all(|pair| pair[0] < pair[1]), "{names:?}");
    assert!(names.iter().all(|name| !name.is_empty()), "{names:?}");
}

/// What minijinja itself finds in a template and an expression (`None`: it rejects it).
/// `template` may answer from its own faster scanner; it must give the same answers.
fn minijinja_references(text: &str) -> [Option<Vec<String>>; 2] {
    let sorted = |names: std::collections::HashSet<String>| {
        let mut names: Vec<String> = names.into_iter().collect();
        names.sort();
        names
    };
    let env = minijinja::Environment::empty();
    // What the limits reject (statements, nesting too deep) the library rejects before
    // minijinja sees it (whose parser would overflow the stack on deep nesting).
    let template = if !template::is_template(text) {
        Some(Vec::new())
    } else if template::template_limits(text).is_err() {
        None
    } else {
        env.template_from_str(text)
            .ok()
            .map(|t| sorted(t.undeclared_variables(true)))
    };
    let expression = if template::expression_limits(text).is_err() {
        None
    } else {
        env.compile_expression(text)
            .ok()
            .map(|e| sorted(e.undeclared_variables(true)))
    };
    [template, expression]
}

fn templates(scopes: &[(Scope, Outputs); 2], text: &str) {
    let is_template = template::is_template(text);
    let [template_truth, expression_truth] = minijinja_references(text);
    let references = template::template_references(text);
    assert_eq!(references.as_ref().ok(), template_truth.as_ref(), "template {text:?}");
    let expression = template::expression_references(text);
    assert_eq!(expression.as_ref().ok(), expression_truth.as_ref(), "expression {text:?}");
    match references {
        Ok(names) => {
            sorted_names(&names);
            assert!(is_template || names.is_empty());
        }
        Err(error) => {
            assert!(is_template && !error.message.is_empty());
            // minijinja reports an unexpected end of input one byte past the end.
            if let Some(range) = error.range {
                assert!(
                    range.start <= range.end && range.start <= text.len(),
                    "{range:?} in {text:?}"
                );
            }
        }
    }
    if let Ok(names) = expression {
        sorted_names(&names);
    }
    let placeholder = template::placeholder(text);
    if !text.contains("{{") {
        assert_eq!(placeholder, text);
    }

    // Run time: what plain templates and expressions give never depends on a secret.
    let [first, second] = scopes.each_ref().map(|scope| run_time(scope, text));
    assert_eq!(first, second, "a secret's value leaks through {text:?}");
}

/// Everything plain that run-time resolution of `text` produces.
fn run_time(scope: &(Scope, Outputs), text: &str) -> [String; 3] {
    let (scope, own) = scope;
    [
        format!("{:?}", scope.render(text)),
        format!("{:?}", scope.evaluate(text, Some(own))),
        format!("{:?}", scope.resolve_secret(text).map(|_| "a secret")),
    ]
}

/// The body inside a fence longer than any run of backticks in it, so it stays one block.
fn runbook(action: &str, body: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest.max(2) + 1);
    let newline = if body.is_empty() || body.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    format!(
        "# Fuzz\n\n## Name\n\n```input.text id=name\nprompt = \"Name\"\n```\n\n\
         ## Who\n\n```sts.get-caller-identity id=me\n```\n\n\
         ## Step\n\n{fence}{action} id=x\n{body}{newline}{fence}\n"
    )
}

fuzz_target!(|data: &[u8]| {
    let Some(&selector) = data.first() else {
        return;
    };
    let text = String::from_utf8_lossy(data);
    let (name, rest) = text.split_once('\n').unwrap_or((&text, ""));
    let (def, body) = match actions::find(name) {
        Some(def) => (def, rest),
        None => {
            let all = actions::all();
            (all[usize::from(selector) % all.len()], &*text)
        }
    };

    let scopes = SECRETS.map(|secret| {
        let mut own = Outputs::new();
        own.insert("count".into(), Value::plain(2));
        own.insert("code".into(), Value::Secret(Secret::new(secret)));
        (scope(secret), own)
    });
    templates(&scopes, body);
    for line in body.lines().take(32) {
        templates(&scopes, line);
    }

    let source = Source::new("fuzz/toml_expr.md", runbook(def.name(), body));
    common::assert_document(&source, &parser::parse(&source).document);
    let checked = check_source(source);
    common::assert_checked(&checked);
    for diagnostic in &checked.diagnostics {
        // The wrapper is a valid runbook: only the body can be wrong.
        assert!(
            !matches!(
                diagnostic.code,
                "unclosed-fence" | "nested-action" | "unknown-action" | "missing-id" | "no-steps"
            ),
            "{}",
            checked.render_diagnostics(false)
        );
    }
    if let Some(runbook) = &checked.runbook {
        let step = runbook.steps.last().expect("the wrapper's step");
        assert_eq!(step.actions.len(), 1);
        assert_eq!(step.actions[0].def.name(), def.name());
    }
});
