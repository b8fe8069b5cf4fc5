//! [`Document`] + action registry → [`Runbook`], or every problem in one pass.
//!
//! Binding resolves each action block to its definition, parses its TOML body into typed
//! parameters, and checks every template reference: it must name an input or an output of
//! an action that runs earlier, and secrets may only flow into parameters that accept them.

use std::collections::HashMap;
use std::path::Path;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::action::{ActionDef, Exports, Param};
use crate::actions;
use crate::diagnostic::{self, Diagnostic, did_you_mean, list};
use crate::document::{ActionBlock, Block, Document, Section};
use crate::markdown;
use crate::runbook::{BoundAction, Runbook, Step};
use crate::source::{Source, Span};
use crate::template;

/// Body keys every action accepts, handled here rather than by the action.
pub const WHEN: &str = "when";
pub const EXPECT: &str = "expect";
/// Info-string attributes after the action name.
const ATTRIBUTES: &[&str] = &["id", "confirm"];

/// The result of binding: a runbook when there were no errors, and every diagnostic
/// (errors and warnings) in file order.
#[derive(Debug)]
pub struct Bound {
    pub runbook: Option<Runbook>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Something a template can refer to: an input or an action with an `id=`.
struct Symbol {
    /// Position of the defining action in run order.
    index: usize,
    def: &'static dyn ActionDef,
    span: Span,
    step: String,
}

/// An action block found in a step, before its body is bound.
struct Found<'d> {
    block: &'d ActionBlock,
    step: usize,
    def: Option<&'static dyn ActionDef>,
    id: Option<String>,
    confirm: bool,
}

/// One step as found in the document, before binding.
struct FoundStep<'d> {
    section: &'d Section,
    id: String,
    part: Option<String>,
}

pub fn bind(source: &Source, document: &Document) -> Bound {
    let mut binder = Binder {
        source,
        diagnostics: Vec::new(),
        symbols: HashMap::new(),
    };
    let runbook = binder.bind(document);
    let mut diagnostics = binder.diagnostics;
    diagnostic::sort(&mut diagnostics);
    let has_errors = diagnostics.iter().any(Diagnostic::is_error);
    Bound {
        runbook: if has_errors { None } else { runbook },
        diagnostics,
    }
}

struct Binder<'s> {
    source: &'s Source,
    diagnostics: Vec<Diagnostic>,
    symbols: HashMap<String, Symbol>,
}

impl Binder<'_> {
    fn bind(&mut self, document: &Document) -> Option<Runbook> {
        self.check_images(document);
        for block in &document.intro {
            self.outside_step(block, "before the first step");
        }
        let mut steps = Vec::new();
        for section in &document.sections {
            self.collect_steps(section, None, &mut steps);
        }
        if steps.is_empty() && document.title.is_some() {
            let title = document.title.as_ref().map(|t| t.span).unwrap_or_default();
            self.diagnostics.push(
                Diagnostic::error("no-steps", "the runbook has no steps")
                    .label(title, "a title with nothing to do")
                    .help("add a `## Heading` for each step; a heading with sub-headings groups steps into a part"),
            );
        }
        self.check_step_ids(&steps);

        let found = self.find_actions(&steps);
        let mut bound_steps: Vec<Step> = steps
            .iter()
            .map(|step| Step {
                id: step.id.clone(),
                title: step.section.heading.text.clone(),
                part: step.part.clone(),
                line: self.source.line(step.section.heading.span.start),
                span: step.section.span,
                prose: step
                    .section
                    .blocks
                    .iter()
                    .filter(|block| matches!(block, Block::Prose(_)))
                    .map(Block::span)
                    .collect(),
                actions: Vec::new(),
            })
            .collect();
        for (index, found) in found.iter().enumerate() {
            if let Some(action) = self.bind_action(index, found, &steps[found.step]) {
                bound_steps[found.step].actions.push(action);
            }
        }
        Some(Runbook {
            title: document
                .title
                .as_ref()
                .map(|t| t.text.clone())
                .unwrap_or_default(),
            steps: bound_steps,
        })
    }

    fn collect_steps<'d>(
        &mut self,
        section: &'d Section,
        part: Option<&str>,
        steps: &mut Vec<FoundStep<'d>>,
    ) {
        if section.is_leaf() {
            steps.push(FoundStep {
                section,
                id: markdown::step_id(&section.heading.text),
                part: part.map(str::to_string),
            });
            return;
        }
        for block in &section.blocks {
            self.outside_step(block, "in a part's introduction, which is not a step");
        }
        for child in &section.children {
            self.collect_steps(child, Some(&section.heading.text), steps);
        }
    }

    fn outside_step(&mut self, block: &Block, where_: &str) {
        if let Block::Action(action) = block {
            self.diagnostics.push(
                Diagnostic::error(
                    "action-outside-step",
                    format!("action block `{}` is {where_}", action.name),
                )
                .label(action.name_span, "this would never run")
                .help("move it under the step heading it belongs to"),
            );
        }
    }

    fn check_step_ids(&mut self, steps: &[FoundStep<'_>]) {
        let mut seen: HashMap<&str, &FoundStep<'_>> = HashMap::new();
        for step in steps {
            let heading = &step.section.heading;
            if step.id.is_empty() {
                self.diagnostics.push(
                    Diagnostic::error("empty-step-id", "this heading gives the step an empty id")
                        .label(heading.span, "no letters or digits")
                        .help("use words in the heading; the step id is its slug"),
                );
                continue;
            }
            if let Some(first) = seen.get(step.id.as_str()) {
                self.diagnostics.push(
                    Diagnostic::error(
                        "duplicate-step",
                        format!("two steps have the id `{}`", step.id),
                    )
                    .label(heading.span, "second step with this id")
                    .secondary(first.section.heading.span, "first step with this id")
                    .help("step ids are heading slugs and must be unique; reword one heading"),
                );
            } else {
                seen.insert(&step.id, step);
            }
        }
    }

    /// Every action block in run order, with its definition and attributes resolved, and
    /// every `id=` registered as a symbol.
    fn find_actions<'d>(&mut self, steps: &[FoundStep<'d>]) -> Vec<Found<'d>> {
        let mut found = Vec::new();
        for (step_index, step) in steps.iter().enumerate() {
            for block in &step.section.blocks {
                let Block::Action(block) = block else {
                    continue;
                };
                let def = self.resolve_action(block);
                let (id, confirm) = self.attributes(block, def);
                let index = found.len();
                if let (Some(id), Some(def)) = (&id, def) {
                    let span = block.attribute("id").map_or(block.name_span, |a| a.span);
                    if let Some(first) = self.symbols.get(id) {
                        self.diagnostics.push(
                            Diagnostic::error(
                                "duplicate-id",
                                format!("two actions have the id `{id}`"),
                            )
                            .label(span, "second use of this id")
                            .secondary(first.span, "first use")
                            .help(
                                "ids name the outputs later blocks refer to; each must be unique",
                            ),
                        );
                    } else {
                        self.symbols.insert(
                            id.clone(),
                            Symbol {
                                index,
                                def,
                                span,
                                step: step.id.clone(),
                            },
                        );
                    }
                }
                found.push(Found {
                    block,
                    step: step_index,
                    def,
                    id,
                    confirm,
                });
            }
        }
        found
    }

    fn resolve_action(&mut self, block: &ActionBlock) -> Option<&'static dyn ActionDef> {
        if let Some(def) = actions::find(&block.name) {
            return Some(def);
        }
        let all = actions::all();
        let mut diagnostic =
            Diagnostic::error("unknown-action", format!("unknown action `{}`", block.name))
                .label(block.name_span, "no action has this name");
        diagnostic = match did_you_mean(&block.name, all.iter().map(|a| a.name())) {
            Some(name) => diagnostic.help(format!("did you mean `{name}`?")),
            None => diagnostic.help(
                "`runbook actions` lists every action; to show a block as plain code, use an info string without a dot (e.g. `text`)",
            ),
        };
        self.diagnostics.push(diagnostic);
        None
    }

    /// The block's `id` and whether it asks for confirmation.
    fn attributes(
        &mut self,
        block: &ActionBlock,
        def: Option<&'static dyn ActionDef>,
    ) -> (Option<String>, bool) {
        let mut id = None;
        let mut confirm = false;
        for attribute in &block.attributes {
            match (attribute.key.as_str(), &attribute.value) {
                ("id", Some(value)) if is_identifier(value) => id = Some(value.clone()),
                ("id", Some(value)) => self.diagnostics.push(
                    Diagnostic::error("invalid-id", format!("`{value}` is not a valid id"))
                        .label(attribute.span, "ids are referred to in templates")
                        .help(format!(
                            "use letters, digits and `_`, starting with a letter: `id={}`",
                            value.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
                        )),
                ),
                ("id", None) => self.diagnostics.push(
                    Diagnostic::error("invalid-id", "`id` needs a value")
                        .label(attribute.span, "no value")
                        .help("write `id=name`"),
                ),
                ("confirm", None) => confirm = true,
                ("confirm", Some(_)) => self.diagnostics.push(
                    Diagnostic::error("invalid-attribute", "`confirm` takes no value")
                        .label(attribute.span, "write just `confirm`"),
                ),
                (key, _) => {
                    let mut diagnostic = Diagnostic::error(
                        "unknown-attribute",
                        format!("unknown attribute `{key}`"),
                    )
                    .label(attribute.span, "not an attribute")
                    .note(format!("action blocks take {}", list(ATTRIBUTES)));
                    if let Some(name) = did_you_mean(key, ATTRIBUTES.iter().copied()) {
                        diagnostic = diagnostic.help(format!("did you mean `{name}`?"));
                    }
                    self.diagnostics.push(diagnostic);
                }
            }
        }
        if let Some(def) = def
            && def.needs_id()
            && id.is_none()
            && block.attribute("id").is_none()
        {
            self.diagnostics.push(
                Diagnostic::error("missing-id", format!("`{}` needs an id", def.name()))
                    .label(block.name_span, "no `id=`")
                    .help(format!("name it, e.g. `{} id=device_name`; later blocks use `{{{{ device_name }}}}`", def.name())),
            );
        }
        (id, confirm)
    }

    fn bind_action(
        &mut self,
        index: usize,
        found: &Found<'_>,
        step: &FoundStep<'_>,
    ) -> Option<BoundAction> {
        let def = found.def?;
        let block = found.block;
        let base = block.body_span.start;
        let errors_before = self.error_count();

        let (mut table, toml_errors) = DeTable::parse_recoverable(&block.body);
        if !toml_errors.is_empty() {
            for error in toml_errors {
                let span = error
                    .span()
                    .map_or(block.body_span, |r| Span::from(r).shift(base));
                self.diagnostics.push(
                    Diagnostic::error(
                        "invalid-toml",
                        format!("invalid TOML: {}", error.message().trim()),
                    )
                    .label(span, "here")
                    .help("an action block's body is TOML: one `key = \"value\"` per line"),
                );
            }
            return None;
        }
        let when = table.get_mut().remove(WHEN);
        let expect = table.get_mut().remove(EXPECT);
        let when = when
            .and_then(|value| self.expression_strings(WHEN, value, base))
            .and_then(|v| v.into_iter().next());
        let expect = expect
            .and_then(|value| self.expression_strings(EXPECT, value, base))
            .unwrap_or_default();

        let params = actions::params(def);
        let complete = self.check_keys(def, params, block, table.get_ref());
        let json = to_json(table.get_ref());
        self.check_references(index, def, params, block, table.get_ref());
        let visible = VisibleThrough::Before(index);
        if let Some((expr, span)) = &when {
            self.check_expression(expr, *span, visible, None);
        }
        for (expr, span) in &expect {
            self.check_expression(expr, *span, VisibleThrough::Including(index), Some(def));
        }
        if !complete {
            return None;
        }
        let key_spans: HashMap<String, Span> = table
            .get_ref()
            .iter()
            .map(|(key, value)| {
                (
                    key.get_ref().to_string(),
                    Span::new(key.span().start, value.span().end).shift(base),
                )
            })
            .collect();
        let typed = match def.bind(toml::de::Deserializer::from(table)) {
            Ok(typed) => typed,
            Err(error) => {
                let span = error
                    .span()
                    .map_or(block.body_span, |r| Span::from(r).shift(base));
                self.diagnostics.push(
                    Diagnostic::error(
                        "invalid-parameter",
                        format!("invalid parameter: {}", error.message().trim()),
                    )
                    .label(span, "here")
                    .help(format!(
                        "`runbook actions` shows each parameter of `{}` and its type",
                        def.name()
                    )),
                );
                return None;
            }
        };
        for problem in def.check(&typed) {
            let span = key_spans
                .get(problem.param)
                .copied()
                .unwrap_or(block.name_span);
            self.diagnostics.push(
                Diagnostic::error(
                    "invalid-parameter",
                    format!("invalid `{}`: {}", problem.param, problem.message),
                )
                .label(span, "here"),
            );
        }
        if self.error_count() > errors_before {
            return None;
        }
        Some(BoundAction {
            id: found.id.clone().unwrap_or_else(|| {
                let n = 1 + self_index_in_step(step, block);
                format!("{}-{n}", step.id)
            }),
            explicit_id: found.id.is_some(),
            def,
            line: self.source.line(block.span.start),
            span: block.span,
            params: json,
            typed,
            when: when.map(|(expr, _)| expr),
            expect: expect.into_iter().map(|(expr, _)| expr).collect(),
            confirm: found.confirm,
        })
    }

    fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    /// Unknown parameters (with "did you mean") and missing required ones. Returns whether
    /// the keys are right, so typed binding won't report the same problems again.
    fn check_keys(
        &mut self,
        def: &dyn ActionDef,
        params: &[Param],
        block: &ActionBlock,
        table: &DeTable<'_>,
    ) -> bool {
        let base = block.body_span.start;
        let mut complete = true;
        let names: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
        // A misspelt required parameter is reported once, as misspelt, not also as missing.
        let mut suggested = Vec::new();
        for (key, _) in table.iter() {
            let name = key.get_ref().as_ref();
            if names.contains(&name) {
                continue;
            }
            complete = false;
            let mut diagnostic = Diagnostic::error(
                "unknown-parameter",
                format!("`{}` has no parameter `{name}`", def.name()),
            )
            .label(Span::from(key.span()).shift(base), "unknown parameter");
            diagnostic = if names.is_empty() {
                diagnostic.note(format!("`{}` takes no parameters", def.name()))
            } else {
                diagnostic.note(format!("valid parameters: {}", list(&names)))
            };
            if let Some(suggestion) =
                did_you_mean(name, names.iter().copied().chain([WHEN, EXPECT]))
            {
                diagnostic = diagnostic.help(format!("did you mean `{suggestion}`?"));
                suggested.push(suggestion);
            }
            self.diagnostics.push(diagnostic);
        }
        for param in params.iter().filter(|p| p.required) {
            if table.get(param.name.as_str()).is_none() && !suggested.contains(&param.name.as_str())
            {
                complete = false;
                self.diagnostics.push(
                    Diagnostic::error(
                        "missing-parameter",
                        format!("`{}` needs the parameter `{}`", def.name(), param.name),
                    )
                    .label(
                        block.name_span,
                        format!("`{}` missing from this block", param.name),
                    )
                    .help(format!(
                        "add `{} = …` ({}): {}",
                        param.name, param.ty, param.description
                    )),
                );
            }
        }
        complete
    }

    /// Every template in every string value refers only to what is defined earlier, and
    /// secrets go only into parameters that accept them.
    fn check_references(
        &mut self,
        index: usize,
        def: &dyn ActionDef,
        params: &[Param],
        block: &ActionBlock,
        table: &DeTable<'_>,
    ) {
        let base = block.body_span.start;
        for (key, value) in table.iter() {
            let param = params.iter().find(|p| p.name == key.get_ref().as_ref());
            let accepts_secret = param.is_some_and(|p| p.secret);
            let mut strings = Vec::new();
            collect_strings(value, &mut strings);
            for (text, span) in strings {
                let span = Span::from(span).shift(base);
                let references = match template::template_references(&text) {
                    Ok(references) => references,
                    Err(error) => {
                        self.diagnostics.push(
                            Diagnostic::error(
                                "invalid-template",
                                format!("invalid template: {}", error.message),
                            )
                            .label(span, "in this value")
                            .help("templates look like `{{ id.output }}` or `{{ input }}`"),
                        );
                        continue;
                    }
                };
                for reference in references {
                    let at = self.reference_span(span, &reference);
                    let usage = Usage::Param {
                        action: def.name(),
                        param: key.get_ref().as_ref(),
                        accepts_secret,
                    };
                    self.resolve(&reference, at, VisibleThrough::Before(index), None, usage);
                }
            }
        }
    }

    fn check_expression(
        &mut self,
        expr: &str,
        span: Span,
        visible: VisibleThrough,
        own: Option<&dyn ActionDef>,
    ) {
        match template::expression_references(expr) {
            Ok(references) => {
                for reference in references {
                    let at = self.reference_span(span, &reference);
                    self.resolve(&reference, at, visible, own, Usage::Expression);
                }
            }
            Err(error) => self.diagnostics.push(
                Diagnostic::error(
                    "invalid-expression",
                    format!("invalid expression: {}", error.message),
                )
                .label(span, "in this expression")
                .help("expressions look like `me.is_root` or `count >= 2`"),
            ),
        }
    }

    /// The strings of `when = "…"` or `expect = ["…", …]`, with their file spans.
    fn expression_strings(
        &mut self,
        key: &str,
        value: Spanned<DeValue<'_>>,
        base: usize,
    ) -> Option<Vec<(String, Span)>> {
        let span = Span::from(value.span()).shift(base);
        let strings = match value.get_ref() {
            DeValue::String(text) => Some(vec![(text.to_string(), span)]),
            DeValue::Array(items) if key == EXPECT => items
                .iter()
                .map(|item| {
                    item.get_ref()
                        .as_str()
                        .map(|s| (s.to_string(), Span::from(item.span()).shift(base)))
                })
                .collect(),
            _ => None,
        };
        if strings.is_none() {
            let expected = if key == EXPECT {
                "a string or a list of strings"
            } else {
                "a string"
            };
            self.diagnostics.push(
                Diagnostic::error("invalid-parameter", format!("`{key}` must be {expected}"))
                    .label(span, format!("found {}", value.get_ref().type_str()))
                    .help(format!(
                        "write an expression in quotes, e.g. `{key} = \"me.is_root\"`"
                    )),
            );
        }
        strings
    }

    /// Where a reference appears inside a value, for a precise caret.
    fn reference_span(&self, value: Span, reference: &str) -> Span {
        let raw = self.source.slice(value);
        let root = reference.split('.').next().unwrap_or(reference);
        [reference, root]
            .iter()
            .find_map(|needle| {
                raw.find(needle)
                    .map(|i| Span::new(value.start + i, value.start + i + needle.len()))
            })
            .unwrap_or(value)
    }

    fn resolve(
        &mut self,
        reference: &str,
        at: Span,
        visible: VisibleThrough,
        own: Option<&dyn ActionDef>,
        usage: Usage<'_>,
    ) {
        let mut parts = reference.split('.');
        let root = parts.next().unwrap_or_default();
        let field = parts.next();
        if let Some(own) = own
            && let Some(output) = own.output(root)
        {
            self.check_secret(reference, output.secret, at, &usage);
            return;
        }
        let Some(symbol) = self.symbols.get(root) else {
            let mut diagnostic =
                Diagnostic::error("undefined-reference", format!("`{root}` is not defined"))
                    .label(at, "not an input or an action id");
            let mut candidates: Vec<&str> = self.symbols.keys().map(String::as_str).collect();
            if let Some(own) = own {
                candidates.extend(own.outputs().iter().map(|o| o.name));
            }
            candidates.sort();
            diagnostic = match did_you_mean(root, candidates) {
                Some(name) => diagnostic.help(format!("did you mean `{name}`?")),
                None => diagnostic.help(format!(
                    "declare it with an `input.text id={root}` block, or give the action that produces it `id={root}`"
                )),
            };
            self.diagnostics.push(diagnostic);
            return;
        };
        if !visible.sees(symbol.index) {
            let line = self.source.line(symbol.span.start);
            let diagnostic = Diagnostic::error(
                "forward-reference",
                format!("`{root}` is used before it is defined"),
            )
            .label(at, "used here")
            .secondary(symbol.span, format!("defined later, in step `{}`", symbol.step))
            .help(format!("actions run in document order: move this block below line {line}, or the definition above it"));
            self.diagnostics.push(diagnostic);
            return;
        }
        let def = symbol.def;
        match (def.exports(), field) {
            (Exports::Value, None) => {}
            (Exports::Value, Some(field)) => self.diagnostics.push(
                Diagnostic::error(
                    "unknown-output",
                    format!("`{root}` is a single value and has no `{field}`"),
                )
                .label(at, "not a field")
                .help(format!("write `{{{{ {root} }}}}`")),
            ),
            (Exports::Fields, None) => self.diagnostics.push(
                Diagnostic::error(
                    "unknown-output",
                    format!("`{root}` is an action; refer to one of its outputs"),
                )
                .label(at, "needs `.output`")
                .note(format!(
                    "`{}` outputs {}",
                    def.name(),
                    list(def.outputs().iter().map(|o| format!("{root}.{}", o.name)))
                )),
            ),
            (Exports::Fields, Some(field)) => match def.output(field) {
                Some(output) => self.check_secret(reference, output.secret, at, &usage),
                None => {
                    let names = def.outputs().iter().map(|o| o.name);
                    let mut diagnostic = Diagnostic::error(
                        "unknown-output",
                        format!("`{}` has no output `{field}`", def.name()),
                    )
                    .label(at, "unknown output")
                    .note(format!(
                        "`{root}` (`{}`) outputs {}",
                        def.name(),
                        list(names.clone())
                    ));
                    if let Some(name) = did_you_mean(field, names) {
                        diagnostic = diagnostic.help(format!("did you mean `{root}.{name}`?"));
                    }
                    self.diagnostics.push(diagnostic);
                }
            },
        }
    }

    fn check_secret(&mut self, reference: &str, secret: bool, at: Span, usage: &Usage<'_>) {
        if !secret {
            return;
        }
        let (message, label) = match usage {
            Usage::Param {
                accepts_secret: true,
                ..
            } => return,
            Usage::Param { action, param, .. } => (
                format!(
                    "secret `{reference}` is interpolated into `{param}`, a plain parameter of `{action}`"
                ),
                "secret used here",
            ),
            Usage::Expression => (
                format!("secret `{reference}` is used in an expression"),
                "secret used here",
            ),
        };
        self.diagnostics.push(
            Diagnostic::error("secret-interpolation", message)
                .label(at, label)
                .note("secrets are never interpolated into plain text, printed or written anywhere")
                .help("pass it only to a parameter that accepts secrets (`secret` in `runbook actions`)"),
        );
    }

    fn check_images(&mut self, document: &Document) {
        let base = self.source.path().parent().unwrap_or(Path::new(""));
        let mut blocks: Vec<&Block> = document.intro.iter().collect();
        let mut stack: Vec<&Section> = document.sections.iter().collect();
        while let Some(section) = stack.pop() {
            blocks.extend(section.blocks.iter());
            stack.extend(section.children.iter());
        }
        let mut missing = Vec::new();
        for block in blocks {
            let Block::Prose(prose) = block else { continue };
            for image in &prose.images {
                if image.url.contains("://")
                    || image.url.starts_with("data:")
                    || image.url.starts_with('#')
                {
                    continue;
                }
                let path = base.join(&image.url);
                if !path.is_file() {
                    missing.push(
                        Diagnostic::warning(
                            "missing-image",
                            format!("image `{}` not found", image.url),
                        )
                        .label(image.span, "this figure")
                        .note(format!("looked for `{}`", path.display()))
                        .help("image paths are relative to the runbook's folder"),
                    );
                }
            }
        }
        self.diagnostics.extend(missing);
    }
}

/// Which actions' outputs a reference may see.
#[derive(Clone, Copy)]
enum VisibleThrough {
    /// Those before action `n` (parameters and `when`).
    Before(usize),
    /// Those up to and including action `n` (`expect`, which runs after it).
    Including(usize),
}

impl VisibleThrough {
    fn sees(self, index: usize) -> bool {
        match self {
            VisibleThrough::Before(n) => index < n,
            VisibleThrough::Including(n) => index <= n,
        }
    }
}

/// Where a reference is used, to decide whether a secret may go there.
enum Usage<'a> {
    Param {
        action: &'static str,
        param: &'a str,
        accepts_secret: bool,
    },
    Expression,
}

fn is_identifier(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_alphabetic())
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn self_index_in_step(step: &FoundStep<'_>, block: &ActionBlock) -> usize {
    step.section
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::Action(action) => Some(action),
            Block::Prose(_) => None,
        })
        .position(|action| action.span == block.span)
        .unwrap_or(0)
}

fn collect_strings(value: &Spanned<DeValue<'_>>, out: &mut Vec<(String, std::ops::Range<usize>)>) {
    match value.get_ref() {
        DeValue::String(text) => out.push((text.to_string(), value.span())),
        DeValue::Array(items) => items.iter().for_each(|item| collect_strings(item, out)),
        DeValue::Table(table) => table
            .iter()
            .for_each(|(_, item)| collect_strings(item, out)),
        _ => {}
    }
}

fn to_json(table: &DeTable<'_>) -> serde_json::Value {
    fn value(item: &DeValue<'_>) -> serde_json::Value {
        match item {
            DeValue::String(s) => serde_json::Value::String(s.to_string()),
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix()).map_or_else(
                |_| serde_json::Value::String(i.to_string()),
                serde_json::Value::from,
            ),
            DeValue::Float(f) => f
                .as_str()
                .parse::<f64>()
                .map_or(serde_json::Value::Null, serde_json::Value::from),
            DeValue::Boolean(b) => serde_json::Value::Bool(*b),
            DeValue::Datetime(d) => serde_json::Value::String(d.to_string()),
            DeValue::Array(items) => items.iter().map(|item| value(item.get_ref())).collect(),
            DeValue::Table(table) => to_json(table),
        }
    }
    serde_json::Value::Object(
        table
            .iter()
            .map(|(key, item)| (key.get_ref().to_string(), value(item.get_ref())))
            .collect(),
    )
}
