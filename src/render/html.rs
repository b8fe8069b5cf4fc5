//! The HTML page: a model of the guide (prose as sanitised HTML, actions as cards) handed
//! to the theme's templates. The page needs no network: CSS and the copy button's script
//! are inline, and a Content Security Policy allows nothing else unless `--allow-html`.

use std::collections::{HashMap, HashSet};

use base64::Engine;
use minijinja::Value;
use minijinja::value::Serde;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::actions;
use crate::bind::action::Exports;
use crate::bind::runbook::{BoundAction, Step, StepKind};
use crate::parse::document::{Block, Section};
use crate::parse::markdown;
use crate::parse::source::Span;
use crate::parse::template;
use crate::render::items::{StepItem, run_of, step_items};
use crate::render::prose;
use crate::render::references;
use crate::render::words;
use crate::render::{Input, RenderError, Rendering};

#[derive(Serialize)]
struct PageModel {
    title: String,
    title_html: Value,
    /// The runbook's file name (`aws-mfa.md`).
    source_name: String,
    intro: Vec<Value>,
    inputs: Vec<Input>,
    sections: Vec<SectionModel>,
    stats: Stats,
    /// The copy button's script, and the policy that allows exactly it.
    script: Value,
    /// Our own text (no quotes), so not escaped: the policy reads as written.
    csp: Option<Value>,
    allow_html: bool,
}

#[derive(Serialize)]
struct Stats {
    steps: usize,
    manual: usize,
    automated: usize,
    actions: usize,
    changes: usize,
}

/// A part (a heading with sub-headings) or a step, in document order.
#[derive(Serialize)]
struct SectionModel {
    /// `part` or `step`.
    kind: &'static str,
    id: String,
    /// The GitHub anchor of the heading, when it differs from `id`, so links written for
    /// GitHub still land.
    alias: Option<String>,
    /// The heading level as written (2 for `##`).
    level: u8,
    title: String,
    title_html: Value,
    /// A part's own prose, before its first sub-heading.
    intro: Vec<Value>,
    children: Vec<SectionModel>,
    /// For steps: `manual` or `automated`.
    step_kind: Option<StepKind>,
    /// The step's conditions, as written.
    conditions: Vec<String>,
    /// For a step included from another guide: that guide (`aws-mfa.md`), and a link to
    /// the step in it.
    from: Option<String>,
    from_link: Option<String>,
    line: usize,
    items: Vec<ItemModel>,
    actions: usize,
    changes: usize,
}

#[derive(Serialize)]
struct ItemModel {
    /// `prose` or `action`.
    kind: &'static str,
    html: Option<Value>,
    action: Option<ActionModel>,
}

#[derive(Serialize)]
struct ActionModel {
    id: String,
    /// The card's element id: `action-<id>`.
    html_id: String,
    name: &'static str,
    namespace: &'static str,
    summary_html: Value,
    mutating: bool,
    /// What a mutating action changes: `AWS`, `a local file`.
    changes: &'static str,
    confirm: bool,
    when: Option<String>,
    when_html: Option<Value>,
    /// `for_each`: the list and the item's name (escaped by the template).
    for_each: Option<(String, String)>,
    expect: Vec<String>,
    expect_html: Option<Value>,
    params: Vec<ParamModel>,
    outputs: Vec<OutputModel>,
    aws_cli: Option<String>,
    /// The heading level a card title would have (one below its step's).
    level: u8,
}

#[derive(Serialize)]
struct ParamModel {
    name: String,
    /// The value as a reader sees it: templates as `<placeholders>`.
    value: String,
    /// The value as written, when it holds a template.
    template: Option<String>,
    description_html: Value,
    secret: bool,
}

#[derive(Serialize)]
struct OutputModel {
    /// How later blocks refer to it: `duo.serial_number`, or `device_name` for an input.
    reference: String,
    #[serde(rename = "type")]
    ty: String,
    secret: bool,
    description: &'static str,
}

pub fn page(rendering: &Rendering<'_>) -> Result<String, RenderError> {
    let source = rendering.source;
    let document = rendering.document;
    let runbook = rendering.runbook;
    let options = rendering.prose_options(false);
    let title_html = match &document.title {
        Some(title) => prose::heading_to_html(source.slice(title.span), &options),
        None => words::escape_html(&runbook.title),
    };
    let intro = prose_blocks(rendering, &document.intro, false);

    let mut ids = Ids {
        used: runbook.steps.iter().map(|s| s.id.clone()).collect(),
        next: HashMap::new(),
    };
    // Each leaf section's step, found by its span in one lookup (a search of every step
    // for each section made a page of many steps quadratic).
    let steps: HashMap<Span, &Step> = runbook.steps.iter().map(|step| (step.span, step)).collect();
    let sections = document
        .sections
        .iter()
        .map(|section| section_model(rendering, section, &steps, &mut ids))
        .collect();

    let actions: Vec<&BoundAction> = runbook.actions().map(|(_, a)| a).collect();
    let manual = runbook
        .steps
        .iter()
        .filter(|s| s.kind() == StepKind::Manual)
        .count();
    let stats = Stats {
        steps: runbook.steps.len(),
        manual,
        automated: runbook.steps.len() - manual,
        actions: actions.len(),
        changes: actions
            .iter()
            .filter(|a| a.def.mutating() && a.def.changes() == "AWS")
            .count(),
    };

    let mut model = PageModel {
        title: runbook.title.clone(),
        title_html: Value::from_safe_string(title_html),
        source_name: rendering.source_name.clone(),
        intro,
        inputs: rendering.inputs.clone(),
        sections,
        stats,
        script: Value::from(()),
        csp: None,
        allow_html: rendering.allow_html,
    };
    let script = rendering
        .theme
        .render("copy.js", Value::from(Serde(&model)))
        .map_err(|error| template_error(rendering, "copy.js", error))?;
    if !rendering.allow_html {
        model.csp = Some(Value::from_safe_string(policy(&script)));
    }
    model.script = Value::from_safe_string(script);
    rendering
        .theme
        .render("page.html", Value::from(Serde(&model)))
        .map_err(|error| template_error(rendering, "page.html", error))
}

/// One action block as its card (`action.html`), on its own.
pub fn action_card(rendering: &Rendering<'_>, action: &BoundAction) -> Result<String, RenderError> {
    let model = action_model(action, 3, &rendering.used);
    rendering
        .theme
        .render(
            "action.html",
            minijinja::context! { action => Value::from(Serde(&model)) },
        )
        .map_err(|error| template_error(rendering, "action.html", error))
}

pub(crate) fn template_error(
    rendering: &Rendering<'_>,
    name: &str,
    error: minijinja::Error,
) -> RenderError {
    let mut message = format!("{error:#}");
    if let Some(name) = error.name() {
        message = format!("{message} (in {name})");
    }
    RenderError::Template {
        template: rendering.theme.origin(name),
        message,
    }
}

/// The Content Security Policy: images from the page's folder (and the web), inline
/// styles, and exactly this script.
fn policy(script: &str) -> String {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script.as_bytes()));
    format!(
        "default-src 'none'; img-src 'self' file: data: https: http:; style-src 'unsafe-inline'; script-src 'sha256-{hash}'; base-uri 'none'; form-action 'none'"
    )
}

/// Prose blocks outside steps (the intro, a part's introduction) as one run.
fn prose_blocks(rendering: &Rendering<'_>, blocks: &[Block], checklist: bool) -> Vec<Value> {
    let prose = blocks.iter().filter_map(|block| match block {
        Block::Prose(prose) => Some(prose.span),
        Block::Action(_) => None,
    });
    run_of(prose)
        .map(|span| prose_html(rendering, span, checklist))
        .into_iter()
        .collect()
}

fn prose_html(
    rendering: &Rendering<'_>,
    span: crate::parse::source::Span,
    checklist: bool,
) -> Value {
    let options = rendering.prose_options(checklist);
    Value::from_safe_string(references::to_html(rendering.source.slice(span), |text| {
        prose::to_html(text, &options)
    }))
}

/// The element ids given out so far, and for each id taken, the next suffix to try.
struct Ids {
    used: HashSet<String>,
    next: HashMap<String, usize>,
}

fn section_model(
    rendering: &Rendering<'_>,
    section: &Section,
    steps: &HashMap<Span, &Step>,
    ids: &mut Ids,
) -> SectionModel {
    let options = rendering.prose_options(false);
    let title_html = Value::from_safe_string(prose::heading_to_html(
        rendering.source.slice(section.heading.span),
        &options,
    ));
    let level = section.heading.level.clamp(2, 6);
    let step = section
        .is_leaf()
        .then(|| steps.get(&section.span).copied())
        .flatten();
    let Some(step) = step else {
        let id = unique(markdown::slug(&section.heading.text), ids);
        return SectionModel {
            kind: "part",
            id,
            alias: None,
            level,
            title: section.heading.text.clone(),
            title_html,
            intro: prose_blocks(rendering, &section.blocks, false),
            children: section
                .children
                .iter()
                .map(|child| section_model(rendering, child, steps, ids))
                .collect(),
            step_kind: None,
            conditions: Vec::new(),
            from: None,
            from_link: None,
            line: rendering.source.line(section.heading.span.start),
            items: Vec::new(),
            actions: 0,
            changes: 0,
        };
    };
    let github = markdown::slug(&section.heading.text);
    let alias = (github != step.id && !github.is_empty() && ids.used.insert(github.clone()))
        .then_some(github);
    SectionModel {
        kind: "step",
        id: step.id.clone(),
        alias,
        level,
        title: step.title.clone(),
        title_html,
        intro: Vec::new(),
        children: Vec::new(),
        step_kind: Some(step.kind()),
        conditions: step.conditions.clone(),
        from: step.file.clone(),
        from_link: step.file.as_ref().map(|file| format!("{file}#{}", step.id)),
        line: step.line,
        items: step_model_items(rendering, step, level),
        actions: step.actions.len(),
        changes: step
            .actions
            .iter()
            .filter(|a| a.def.mutating() && a.def.changes() == "AWS")
            .count(),
    }
}

/// `id`, or `id-1`, `id-2`… if taken (as GitHub does). The search for a free suffix
/// starts after the last one given for `id`, so many parts of one name stay linear.
fn unique(id: String, ids: &mut Ids) -> String {
    let id = if id.is_empty() {
        "section".to_string()
    } else {
        id
    };
    if ids.used.insert(id.clone()) {
        return id;
    }
    let next = ids.next.entry(id.clone()).or_insert(1);
    let found = (*next..)
        .map(|n| (n, format!("{id}-{n}")))
        .find(|(_, candidate)| ids.used.insert(candidate.clone()))
        .expect("an unused id");
    *next = found.0 + 1;
    found.1
}

fn step_model_items(rendering: &Rendering<'_>, step: &Step, level: u8) -> Vec<ItemModel> {
    step_items(step)
        .into_iter()
        .map(|item| match item {
            StepItem::Prose(span) => ItemModel {
                kind: "prose",
                html: Some(prose_html(rendering, span, true)),
                action: None,
            },
            StepItem::Action(action) => ItemModel {
                kind: "action",
                html: None,
                action: Some(action_model(action, (level + 1).min(6), &rendering.used)),
            },
        })
        .collect()
}

fn action_model(action: &BoundAction, level: u8, used: &HashSet<String>) -> ActionModel {
    let def = action.def;
    let described = actions::params(def);
    // In the order the action declares them, as `runbook actions` lists them.
    let mut written: Vec<(&String, &serde_json::Value)> = action
        .params()
        .as_object()
        .map(|object| object.iter().collect())
        .unwrap_or_default();
    written.sort_by_key(|(name, _)| {
        described
            .iter()
            .position(|p| &p.name == *name)
            .unwrap_or(usize::MAX)
    });
    let params = written
        .into_iter()
        .map(|(name, value)| {
            let param = described.iter().find(|p| &p.name == name);
            let (value, template) = readable(value);
            ParamModel {
                name: name.clone(),
                value,
                template,
                description_html: Value::from_safe_string(words::backticks_to_html(
                    param.map_or("", |p| p.description.as_str()),
                )),
                secret: param.is_some_and(|p| p.secret),
            }
        })
        .collect();
    // The outputs later blocks use, so a reader can follow a `<placeholder>` back here.
    let outputs = match def.exports() {
        Exports::Value => def
            .outputs()
            .first()
            .filter(|_| used.contains(&action.id))
            .map(|output| OutputModel {
                reference: action.id.clone(),
                ty: output.ty.to_string(),
                secret: output.secret,
                description: output.description,
            })
            .into_iter()
            .collect(),
        Exports::Fields => def
            .outputs()
            .iter()
            .map(|output| (format!("{}.{}", action.id, output.name), output))
            .filter(|(reference, _)| used.contains(reference))
            .map(|(reference, output)| OutputModel {
                reference,
                ty: output.ty.to_string(),
                secret: output.secret,
                description: output.description,
            })
            .collect(),
    };
    ActionModel {
        id: action.id.clone(),
        html_id: format!("action-{}", action.id),
        name: def.name(),
        namespace: def.namespace(),
        summary_html: Value::from_safe_string(words::to_html(&words::summary(action))),
        mutating: def.mutating(),
        changes: def.changes(),
        confirm: action.confirm,
        when: action.when.clone(),
        when_html: action
            .when
            .as_deref()
            .map(|when| Value::from_safe_string(words::to_html(&words::condition(when)))),
        for_each: action
            .for_each
            .as_ref()
            .map(|each| (each.list.clone(), each.name.clone())),
        expect: action.expect.clone(),
        expect_html: (!action.expect.is_empty())
            .then(|| Value::from_safe_string(words::to_html(&words::all_of(&action.expect)))),
        params,
        outputs,
        aws_cli: action.aws_cli(),
        level,
    }
}

/// A parameter value as a reader sees it, and the template it was written as (if any).
pub fn readable(value: &serde_json::Value) -> (String, Option<String>) {
    match value {
        serde_json::Value::String(text) if template::is_template(text) => {
            (template::placeholder(text), Some(text.clone()))
        }
        serde_json::Value::String(text) => (text.clone(), None),
        serde_json::Value::Array(items) => {
            let parts: Vec<(String, Option<String>)> = items.iter().map(readable).collect();
            let templated = parts.iter().any(|(_, t)| t.is_some());
            let shown = parts
                .into_iter()
                .map(|(value, _)| value)
                .collect::<Vec<_>>()
                .join(", ");
            (shown, templated.then(|| value.to_string()))
        }
        other => (other.to_string(), None),
    }
}
