//! [`Document`] + action registry → [`Runbook`], or every problem in one pass.
//!
//! Binding resolves each action block to its definition, parses its TOML body into typed
//! parameters, and checks every template reference: it must name an input or an output of
//! an action that runs earlier, and secrets may only flow into parameters that accept them.

use foldhash::{HashMap, HashMapExt};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::OnceLock;

use toml::Spanned;
use toml::de::DeValue;

use crate::actions;
use crate::bind::action::{ActionDef, Exports, Param};
use crate::bind::documents::{self, DocumentBlock};
use crate::bind::figure;
use crate::bind::runbook::{BoundAction, Finding, ForEach, Runbook, Step};
use crate::bind::types;
use crate::parse::body::{self, Body};
use crate::parse::diagnostic::{self, Diagnostic, did_you_mean, did_you_mean_within, list};
use crate::parse::document::{ActionBlock, Block, Directive, Document, Section};
use crate::parse::markdown;
use crate::parse::source::{Source, Span};
use crate::parse::{expr, template};

/// Body keys every action accepts, handled here rather than by the action.
pub const WHEN: &str = "when";
pub const FOR_EACH: &str = "for_each";
pub const AS: &str = "as";
pub const EXPECT: &str = "expect";
/// Info-string attributes after the action name.
pub const ATTRIBUTES: &[&str] = &["id", "confirm"];

/// The result of binding: a runbook when there were no errors, and every diagnostic
/// (errors and warnings) in file order.
#[derive(Debug)]
pub struct Bound {
    pub runbook: Option<Runbook>,
    pub diagnostics: Vec<Diagnostic>,
}

/// The `{{ a.b }}` tags of a value: a few at most, kept without allocating.
type SimpleReferences<'t> = smallvec::SmallVec<[(&'t str, std::ops::Range<usize>); 4]>;

/// Conditions, written canonically; shared, as most actions run under their step's.
type Conditions = Rc<Vec<Rc<str>>>;
/// For each condition: as written, and where.
type Origins = Rc<Vec<(Rc<str>, Span)>>;

/// A name an expression reads: the name, where, and the expression's own conditions there.
type Use = (String, std::ops::Range<usize>, Vec<String>);

/// An expression's tree, with what the binder reads from it more than once.
struct Parsed {
    /// The expression as written.
    text: Rc<str>,
    expr: expr::Expr,
    /// Its top-level conditions (see [`conjuncts`]), for the guards of what it guards.
    conjuncts: std::cell::OnceCell<Vec<Rc<str>>>,
    /// Its references (see [`expr::Expr::references`]).
    references: std::cell::OnceCell<Vec<String>>,
    /// The names it reads, where, and under which of its own conditions (see
    /// [`guarded_uses`]).
    uses: std::cell::OnceCell<Vec<Use>>,
}

impl Parsed {
    fn conjuncts(&self) -> &[Rc<str>] {
        self.conjuncts
            .get_or_init(|| conjuncts(&self.expr).into_iter().map(Rc::from).collect())
    }

    fn references(&self) -> &[String] {
        self.references.get_or_init(|| self.expr.references())
    }

    fn uses(&self) -> &[Use] {
        self.uses.get_or_init(|| {
            let mut uses = Vec::new();
            guarded_uses(&self.expr, Vec::new(), &mut uses);
            uses.into_iter()
                .map(|(root, range, extra)| (root.to_string(), range, extra))
                .collect()
        })
    }
}

/// Something a template can refer to: an input or an action with an `id=`.
struct Symbol {
    /// Position of the defining action in run order.
    index: usize,
    def: &'static dyn ActionDef,
    span: Span,
    /// The step it is in (an index into the steps).
    step: usize,
    /// The conditions it runs under (its `when`, split at `and`), written canonically: a
    /// use of its outputs must be under all of them too.
    guard: Conditions,
    /// For each condition of `guard`: the condition as written, and where.
    origins: Origins,
    /// A `for_each` action: its outputs are lists, one value per item.
    looped: bool,
}

/// An action block found in a step, before its body is bound.
struct Found<'d> {
    block: &'d ActionBlock<'d>,
    def: Option<&'static dyn ActionDef>,
    id: Option<&'d str>,
    confirm: bool,
}

/// One step as found in the document, before binding.
struct FoundStep<'d> {
    section: &'d Section<'d>,
    id: String,
    part: Option<&'d str>,
    /// `<!-- runbook … -->` comments of its parts (outermost first), then its own.
    directives: Vec<&'d Directive<'d>>,
}

pub fn bind(source: &Source, document: &Document) -> Bound {
    let mut binder = Binder {
        source,
        diagnostics: Vec::new(),
        symbols: HashMap::new(),
        steps: Vec::new(),
        action_line: 1,
        block: None,
        deferring: true,
        deferred: Vec::new(),
        figures: None,
        loop_var: None,
        expressions: HashMap::new(),
        actions_collected: 0,
        guard: Conditions::default(),
        origins: Origins::default(),
        step_guard: Conditions::default(),
        step_origins: Origins::default(),
        no_guard: Default::default(),
        ids: None,
        suggestion_budget: SUGGESTION_BUDGET,
        misplaced: Vec::new(),
        document: None,
        document_blocks: None,
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

struct Binder<'s, 'd> {
    source: &'s Source,
    /// The document, for [`Binder::document_blocks`].
    document: Option<&'d Document<'d>>,
    /// Its fenced blocks with an `id=`, found when an action first names one.
    document_blocks: Option<Vec<DocumentBlock<'s>>>,
    diagnostics: Vec<Diagnostic>,
    /// Every action `id=`, borrowed from the document. foldhash rather than std's SipHash:
    /// on a large runbook, hashing ids was a tenth of binding.
    symbols: HashMap<&'d str, Symbol>,
    /// The bound steps, which bound actions are added to.
    steps: Vec<Step>,
    /// The line of the last action bound.
    action_line: usize,
    /// The block being bound.
    block: Option<&'d ActionBlock<'d>>,
    /// Whether references to ids not seen yet are put off (while the steps are read).
    deferring: bool,
    /// References put off, settled once every id is known.
    deferred: Vec<Deferred>,
    /// Every id, sorted: the candidates for "did you mean" on an undefined reference, made
    /// once (when the first is reported, after every id is known).
    ids: Option<Vec<&'d str>>,
    /// How many more candidates "did you mean" may compare for undefined references.
    suggestion_budget: usize,
    /// The conditions the action being bound runs under (see [`Symbol::guard`]), and
    /// where each is written.
    guard: Conditions,
    origins: Origins,
    /// The conditions of the step being bound (its own `when` and its parts').
    step_guard: Conditions,
    step_origins: Origins,
    /// No condition, shared rather than allocated for each action and step.
    no_guard: (Conditions, Origins),
    /// The action blocks of the steps collected so far (while the steps are read).
    actions_collected: usize,
    /// The item of the `for_each` action being bound: its name and type.
    loop_var: Option<(String, types::Type)>,
    /// Every expression that parsed within the limits, by its text: guides repeat their
    /// conditions (`not me.is_root` on every enrolment action), each parsed once.
    expressions: HashMap<Box<str>, Rc<Parsed>>,
    /// Where the runbook's figures may come from (found on the first local image), and
    /// what each image path checked so far came to.
    figures: Option<Figures>,
    /// The ids of action blocks outside any step (each already an `action-outside-step`
    /// error): a reference to one is not reported again as undefined.
    misplaced: Vec<String>,
}

/// The guide's tree and the verdict on each image path seen.
struct Figures {
    folder: PathBuf,
    root: PathBuf,
    checked: HashMap<String, Option<figure::FigureError>>,
}

/// The most candidates "did you mean" compares for the undefined references of one
/// runbook, in all: far more than a real runbook needs (its ids times its undefined
/// references), while a file of thousands of undefined references among thousands of ids
/// (every reference against every id: quadratic) stops suggesting once it is spent.
pub const SUGGESTION_BUDGET: usize = 100_000;

/// A reference to an id not seen yet when its block was bound.
struct Deferred {
    reference: String,
    at: Span,
    visible: VisibleThrough,
    own: Option<&'static dyn ActionDef>,
    /// The action, parameter and whether it accepts a secret, for [`Usage::Param`].
    param: Option<(&'static str, String, bool)>,
}

impl<'d> Binder<'_, 'd> {
    fn bind(&mut self, document: &'d Document) -> Option<Runbook> {
        self.document = Some(document);
        // Each block is visited once, in file order: on a large runbook every pass over the
        // document reads it from memory again.
        for block in &document.intro {
            self.check_images(block);
            self.outside_step(block, "before the first step");
            if let Block::Prose(prose) = block {
                self.check_prose(prose.span, 0);
            }
        }
        let mut steps = Vec::new();
        for directive in &document.stray_directives {
            self.diagnostics.push(
                Diagnostic::error(
                    "directive-outside-step",
                    "a `<!-- runbook … -->` comment before the first step belongs to no step",
                )
                .label(directive.span, "this comment")
                .help("put it right under the heading of the step (or part) it is about"),
            );
        }
        for section in &document.sections {
            self.collect_steps(section, None, &[], &mut steps);
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

        let mut line = 1;
        // Sized once: growing the symbol table rehashes every id again.
        self.symbols.reserve(document.action_blocks);
        self.steps.reserve_exact(steps.len());
        // One pass over the steps, binding each action as it is found: a second pass would
        // read a large document from memory again. A reference to an id not seen yet is
        // settled at the end, when every id is known (a later one is a forward reference).
        let mut index = 0;
        for (step_index, step) in steps.iter().enumerate() {
            // Steps are in file order.
            line = self.source.line_from(line, step.section.heading.span.start);
            let blocks = &step.section.blocks;
            let actions = blocks
                .iter()
                .filter(|block| matches!(block, Block::Action(_)))
                .count();
            let (conditions, info) = self.step_settings(step, index, actions);
            self.steps.push(Step {
                id: step.id.clone(),
                title: step.section.heading.text.clone(),
                part: step.part.map(str::to_string),
                line,
                file: self.source.included_name_at(step.section.span.start),
                span: step.section.span,
                prose: Vec::with_capacity(blocks.len() - actions),
                actions: Vec::with_capacity(actions),
                conditions,
                info,
            });
            for block in blocks {
                self.check_images(block);
                match block {
                    Block::Prose(_) => self.steps[step_index].prose.push(block.span()),
                    Block::Action(block) => {
                        let found = self.find_action(step_index, block, index);
                        if let Some(action) = self.bind_action(index, &found, step) {
                            self.steps[step_index].actions.push(action);
                        }
                        index += 1;
                    }
                }
            }
            self.check_step_prose(step_index, index);
        }
        self.deferring = false;
        for deferred in std::mem::take(&mut self.deferred) {
            let usage = match &deferred.param {
                Some((action, param, accepts_secret)) => Usage::Param {
                    action,
                    param,
                    accepts_secret: *accepts_secret,
                },
                None => Usage::Expression,
            };
            self.resolve(
                &deferred.reference,
                deferred.at,
                deferred.visible,
                deferred.own,
                usage,
            );
        }
        Some(Runbook {
            title: document
                .title
                .as_ref()
                .map(|t| t.text.clone())
                .unwrap_or_default(),
            steps: std::mem::take(&mut self.steps),
        })
    }

    fn collect_steps(
        &mut self,
        section: &'d Section<'d>,
        part: Option<&'d str>,
        inherited: &[&'d Directive<'d>],
        steps: &mut Vec<FoundStep<'d>>,
    ) {
        let mut directives = inherited.to_vec();
        directives.extend(section.directives.iter());
        if section.is_leaf() {
            self.actions_collected += section
                .blocks
                .iter()
                .filter(|block| matches!(block, Block::Action(_)))
                .count();
            steps.push(FoundStep {
                section,
                id: markdown::step_id(&section.heading.text),
                part,
                directives,
            });
            return;
        }
        // The actions before this part: what its introduction's references may see
        // (settled with the other late references, once every id is known).
        let actions_before = self.actions_collected;
        for block in &section.blocks {
            self.check_images(block);
            self.outside_step(block, "in a part's introduction, which is not a step");
            if let Block::Prose(prose) = block {
                self.check_prose(prose.span, actions_before);
            }
        }
        for child in &section.children {
            self.collect_steps(child, Some(&section.heading.text), &directives, steps);
        }
    }

    /// A step's settings from its (and its parts') `<!-- runbook … -->` comments: the
    /// conditions it runs under (checked, and made the step's guard) and whether it only
    /// explains. `index` is the run position of its first action.
    fn step_settings(
        &mut self,
        step: &FoundStep<'d>,
        index: usize,
        actions: usize,
    ) -> (Vec<String>, bool) {
        if !self.step_guard.is_empty() {
            self.step_guard = Rc::clone(&self.no_guard.0);
            self.step_origins = Rc::clone(&self.no_guard.1);
        }
        let mut conditions = Vec::new();
        let mut info = false;
        const KEYS: &[&str] = &["when", "info", "include"];
        for directive in &step.directives {
            let own = step
                .section
                .directives
                .iter()
                .any(|d| std::ptr::eq(d, *directive));
            let base = directive.body_span.start;
            let (table, errors) = body::parse(directive.body);
            self.toml_errors(
                errors,
                directive.body_span,
                ("invalid-directive", "invalid `<!-- runbook … -->` comment"),
                "write TOML after `runbook:`, e.g. `<!-- runbook: when = \"not me.is_root\" -->`",
            );
            for (key, value) in table.iter() {
                let name = key.get_ref().as_ref();
                let key_span = Span::from(key.span()).shift(base);
                let value_span = Span::from(value.span()).shift(base);
                match (name, value.get_ref()) {
                    ("when", DeValue::String(text)) => {
                        let context = self.step_guard.clone();
                        let parsed = self.check_expression(
                            text,
                            value_span,
                            VisibleThrough::Before(index),
                            None,
                            &context,
                        );
                        if let Some(parsed) = parsed {
                            for condition in parsed.conjuncts().iter().cloned() {
                                Rc::make_mut(&mut self.step_guard).push(condition);
                                Rc::make_mut(&mut self.step_origins)
                                    .push((Rc::clone(&parsed.text), value_span));
                            }
                        }
                        conditions.push(text.to_string());
                    }
                    // Put in place by the parser (`parse::include`), which checked it.
                    ("include", _) => {}
                    ("info", DeValue::Boolean(flag)) if own => info = *flag,
                    ("info", DeValue::Boolean(_)) => self.diagnostics.push(
                        Diagnostic::error("invalid-directive", "`info` is for a step, not a part")
                            .label(key_span, "on a part")
                            .help("put `<!-- runbook: info = true -->` under each step heading that only explains"),
                    ),
                    ("when" | "info", other) => self.diagnostics.push(
                        Diagnostic::error(
                            "invalid-directive",
                            format!(
                                "`{name}` must be {}, not {}",
                                if name == "when" { "a condition in quotes" } else { "true or false" },
                                other.type_str()
                            ),
                        )
                        .label(value_span, "here")
                        .help(if name == "when" {
                            "e.g. `<!-- runbook: when = \"not me.is_root\" -->`"
                        } else {
                            "e.g. `<!-- runbook: info = true -->`"
                        }),
                    ),
                    _ => {
                        let suggestion = did_you_mean(name, KEYS.iter().copied());
                        self.diagnostics.push(
                            Diagnostic::error(
                                "invalid-directive",
                                format!("`<!-- runbook … -->` has no setting `{name}`"),
                            )
                            .label(key_span, "unknown setting")
                            .help(match suggestion {
                                Some(s) => format!("did you mean `{s}`? the settings are `when` (a condition), `info` (the step only explains) and `include` (steps of another guide)"),
                                None => "the settings are `when` (a condition), `info` (the step only explains) and `include` (steps of another guide)".to_string(),
                            }),
                        );
                    }
                }
            }
        }
        if info && actions > 0 {
            let directive = step
                .section
                .directives
                .last()
                .map_or(step.section.heading.span, |d| d.span);
            self.diagnostics.push(
                Diagnostic::error(
                    "info-with-actions",
                    "a step marked `info` (it only explains) has action blocks",
                )
                .label(directive, "marked as only explaining")
                .help("remove `info = true`, or move the action blocks to a step of their own"),
            );
        }
        (conditions, info)
    }

    fn outside_step(&mut self, block: &Block, where_: &str) {
        if let Block::Action(action) = block {
            let mut diagnostic = Diagnostic::error(
                "action-outside-step",
                format!("action block `{}` is {where_}", action.name),
            )
            .label(action.name_span, "this would never run")
            .help("move it under the step heading it belongs to");
            if let Some(id) = action.attribute("id").and_then(|id| id.value) {
                diagnostic = diagnostic.note(format!(
                    "uses of `{id}` are checked once the block is in a step"
                ));
                self.misplaced.push(id.to_string());
            }
            self.diagnostics.push(diagnostic);
        }
    }

    fn check_step_ids(&mut self, steps: &[FoundStep<'_>]) {
        let mut seen: HashMap<&str, &FoundStep<'_>> = HashMap::with_capacity(steps.len());
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

    /// An action block, in run order, with its definition and attributes resolved, and its
    /// `id=` registered as a symbol.
    fn find_action(&mut self, step: usize, block: &'d ActionBlock, index: usize) -> Found<'d> {
        let def = self.resolve_action(block);
        let (id, confirm) = self.attributes(block, def);
        if let (Some(id), Some(def)) = (&id, def) {
            let span = block.attribute("id").map_or(block.name_span, |a| a.span);
            if let Some(first) = self.symbols.get(*id) {
                self.diagnostics.push(
                    Diagnostic::error("duplicate-id", format!("two actions have the id `{id}`"))
                        .label(span, "second use of this id")
                        .secondary(first.span, "first use")
                        .help("ids name the outputs later blocks refer to; each must be unique"),
                );
            } else {
                self.symbols.insert(
                    id,
                    Symbol {
                        index,
                        def,
                        span,
                        step,
                        guard: Rc::clone(&self.no_guard.0),
                        origins: Rc::clone(&self.no_guard.1),
                        looped: false,
                    },
                );
            }
        }
        Found {
            block,
            def,
            id,
            confirm,
        }
    }

    fn resolve_action(&mut self, block: &ActionBlock) -> Option<&'static dyn ActionDef> {
        if let Some(def) = actions::find(block.name) {
            return Some(def);
        }
        let all = actions::all();
        let mut diagnostic =
            Diagnostic::error("unknown-action", format!("unknown action `{}`", block.name))
                .label(block.name_span, "no action has this name");
        diagnostic = match did_you_mean(block.name, all.iter().map(|a| a.name())) {
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
        block: &'d ActionBlock<'d>,
        def: Option<&'static dyn ActionDef>,
    ) -> (Option<&'d str>, bool) {
        let mut id = None;
        let mut confirm = false;
        for attribute in &block.attributes {
            match (attribute.key, attribute.value) {
                ("id", Some(value)) if is_identifier(value) => id = Some(value),
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

    /// TOML syntax errors in a body at `body` (a block's or a `<!-- runbook … -->`
    /// comment's), each at its span: `code` and the message's start, then `help`.
    fn toml_errors(
        &mut self,
        errors: Vec<toml::de::Error>,
        body: Span,
        (code, what): (&'static str, &str),
        help: &str,
    ) {
        for error in errors {
            let span = error
                .span()
                .map_or(body, |r| Span::from(r).shift(body.start));
            self.diagnostics.push(
                Diagnostic::error(code, format!("{what}: {}", error.message().trim()))
                    .label(span, "here")
                    .help(help),
            );
        }
    }

    fn bind_action(
        &mut self,
        index: usize,
        found: &Found<'d>,
        step: &FoundStep<'_>,
    ) -> Option<BoundAction> {
        let def = found.def?;
        let block = found.block;
        let base = block.body_span.start;
        self.block = Some(block);
        let diagnostics_before = self.diagnostics.len();

        let (mut table, toml_errors) = body::parse(block.body);
        if !toml_errors.is_empty() {
            self.toml_errors(
                toml_errors,
                block.body_span,
                ("invalid-toml", "invalid TOML"),
                "an action block's body is TOML: one `key = \"value\"` per line",
            );
            return None;
        }
        self.loop_var = None;
        let when = table.remove(WHEN);
        let expect = table.remove(EXPECT);
        let mut for_each = self.for_each(&mut table, base, index);
        if for_each.is_some() && matches!(def.exports(), Exports::Value) {
            self.diagnostics.push(
                Diagnostic::error(
                    "invalid-parameter",
                    format!(
                        "`{}` gives one value: it cannot run once per item",
                        def.name()
                    ),
                )
                .label(block.name_span, "no `for_each` here")
                .help(
                    "loop over actions that call AWS or a key; ask for one input before the loop",
                ),
            );
            for_each = None;
            self.loop_var = None;
        }
        let when = when.and_then(|value| match value.get_ref() {
            // The usual case, without a list of one.
            DeValue::String(text) => Some((text.to_string(), Span::from(value.span()).shift(base))),
            _ => self
                .expression_strings(WHEN, value, base)
                .and_then(|v| v.into_iter().next()),
        });
        let (expect, findings) = expect
            .map(|value| self.expectations(value, base))
            .unwrap_or_default();

        // The action's conditions (its step's, then its own), before its values are
        // checked against them.
        self.guard = self.step_guard.clone();
        self.origins = self.step_origins.clone();
        let when_parsed = when.as_ref().and_then(|(text, _)| self.parsed(text));
        if let (Some((_, span)), Some(parsed)) = (&when, &when_parsed) {
            for condition in parsed.conjuncts().iter().cloned() {
                Rc::make_mut(&mut self.guard).push(condition);
                Rc::make_mut(&mut self.origins).push((Rc::clone(&parsed.text), *span));
            }
        }
        if let Some(id) = found.id
            && let Some(symbol) = self.symbols.get_mut(id)
            && symbol.index == index
        {
            // A loop's `when` is per item: its collected outputs exist whenever its step
            // runs (lists, empty when no item ran).
            let (guard, origins) = if for_each.is_some() {
                (&self.step_guard, &self.step_origins)
            } else {
                (&self.guard, &self.origins)
            };
            symbol.guard = guard.clone();
            symbol.origins = origins.clone();
            symbol.looped = for_each.is_some();
        }
        let params = actions::params(def);
        let complete = self.check_keys(def, params, block, &table);
        self.check_references(index, def, params, block, &table);
        let visible = VisibleThrough::Before(index);
        if let Some((expr, span)) = &when {
            // A `when` is evaluated whether or not the action then runs (once its step runs).
            let context = self.step_guard.clone();
            match &when_parsed {
                Some(parsed) => {
                    let want = types::Want::Condition;
                    self.check_parsed(parsed, expr, *span, visible, None, &context, want);
                }
                _ => {
                    self.check_expression(expr, *span, visible, None, &context);
                }
            }
        }
        let guard = self.guard.clone();
        for (expr, span) in expect
            .iter()
            .map(|(e, s)| (e, s))
            .chain(findings.iter().map(|(e, s, _)| (e, s)))
        {
            self.check_expression(
                expr,
                *span,
                VisibleThrough::Including(index),
                Some(def),
                &guard,
            );
        }
        // A finding's text may name what it is about: `"{{ user.user }} has no MFA"`.
        for (_, _, (text, span)) in &findings {
            self.check_template(text, *span, index, Usage::Prose);
        }
        self.loop_var = None;
        if !complete {
            return None;
        }
        // Straight from the table when it gives the same params; toml's deserializer says
        // what is wrong.
        let plain_bound = body::is_plain(&table)
            .then(|| def.bind_plain(&table))
            .flatten();
        let bound = match plain_bound {
            Some(typed) => Ok(typed),
            None => def.bind(toml::de::Deserializer::from(table.into_table())),
        };
        let typed = match bound {
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
            let span = problem
                .within
                .clone()
                .and_then(|within| string_span_within(block, problem.param, within))
                .or_else(|| param_span(block, problem.param))
                .unwrap_or(block.name_span);
            let mut diagnostic = Diagnostic::error(
                "invalid-parameter",
                format!("invalid `{}`: {}", problem.param, problem.message),
            )
            .label(span, "here");
            if let Some(help) = problem.help {
                diagnostic = diagnostic.help(help);
            }
            self.diagnostics.push(diagnostic);
        }
        let documents = self.documents(def, &typed, block);
        if self.diagnostics[diagnostics_before..]
            .iter()
            .any(Diagnostic::is_error)
        {
            return None;
        }
        Some(BoundAction {
            id: found.id.map_or_else(
                || {
                    let n = 1 + self_index_in_step(step, block);
                    format!("{}-{n}", step.id)
                },
                str::to_string,
            ),
            explicit_id: found.id.is_some(),
            def,
            line: {
                // Actions are bound in file order.
                self.action_line = self.source.line_from(self.action_line, block.span.start);
                self.action_line
            },
            span: block.span,
            body: block.body.into(),
            params: OnceLock::new(),
            typed,
            when: when.map(|(expr, _)| expr),
            expect: expect.into_iter().map(|(expr, _)| expr).collect(),
            findings: findings
                .into_iter()
                .map(|(check, _, (finding, _))| Finding { check, finding })
                .collect(),
            confirm: found.confirm,
            for_each,
            documents,
        })
    }

    /// The document blocks the action's parameters name, each checked
    /// ([`documents::resolve`]): their ids and texts.
    fn documents(
        &mut self,
        def: &'static dyn ActionDef,
        typed: &crate::bind::action::BoundParams,
        block: &ActionBlock<'_>,
    ) -> Vec<(String, String)> {
        let wanted = def.documents(typed);
        if wanted.is_empty() {
            return Vec::new();
        }
        let (source, document) = (self.source, self.document);
        let blocks = self.document_blocks.get_or_insert_with(|| {
            document.map_or_else(Vec::new, |document| documents::collect(source, document))
        });
        let mut found = Vec::new();
        for (param, name) in wanted {
            let reference = param_span(block, param).unwrap_or(block.name_span);
            match documents::resolve(blocks, &name, reference) {
                Ok(document) => found.push((name, document.text.to_string())),
                Err(diagnostic) => self.diagnostics.push(*diagnostic),
            }
        }
        found
    }

    /// `for_each = "LIST"` and `as = "NAME"`: checked (a list, a free name), and the item
    /// made visible to the rest of the action as [`Binder::loop_var`].
    fn for_each(
        &mut self,
        table: &mut crate::parse::body::Body<'_>,
        base: usize,
        index: usize,
    ) -> Option<ForEach> {
        let list = table.remove(FOR_EACH);
        let name = table.remove(AS);
        let Some(list) = list else {
            if let Some(name) = name {
                self.diagnostics.push(
                    Diagnostic::error("invalid-parameter", "`as` names the item of a `for_each`, and this action has none")
                        .label(Span::from(name.span()).shift(base), "no `for_each` here")
                        .help("add `for_each = \"devices.devices\"` to run the action once per item, or remove `as`"),
                );
            }
            return None;
        };
        let span = Span::from(list.span()).shift(base);
        let DeValue::String(text) = list.get_ref() else {
            self.diagnostics.push(
                Diagnostic::error(
                    "invalid-parameter",
                    "`for_each` must be a string: an expression giving a list",
                )
                .label(span, format!("found {}", list.get_ref().type_str()))
                .help("write e.g. `for_each = \"devices.devices\"`"),
            );
            return None;
        };
        let text = text.to_string();
        let item = match &name {
            None => "item".to_string(),
            Some(value) => {
                let at = Span::from(value.span()).shift(base);
                match value.get_ref() {
                    DeValue::String(n)
                        if is_identifier(n) && !self.symbols.contains_key(n.as_ref()) =>
                    {
                        n.to_string()
                    }
                    DeValue::String(n) if is_identifier(n) => {
                        self.diagnostics.push(
                            Diagnostic::error(
                                "invalid-parameter",
                                format!("`as = \"{n}\"` hides the action or input `{n}`"),
                            )
                            .label(at, "already an id")
                            .help("name the item something else, e.g. `as = \"device\"`"),
                        );
                        return None;
                    }
                    _ => {
                        self.diagnostics.push(
                            Diagnostic::error("invalid-parameter", "`as` must be a name: letters, digits and `_`")
                                .label(at, "not a name")
                                .help("write e.g. `as = \"device\"`; the action then uses `{{ device.serial_number }}`"),
                        );
                        return None;
                    }
                }
            }
        };
        let ty = self.check_list(&text, span, index);
        self.loop_var = Some((item.clone(), ty));
        Some(ForEach {
            list: text,
            name: item,
        })
    }

    /// A `for_each` list: its references, that it is a list, and what its items are.
    fn check_list(&mut self, text: &str, span: Span, index: usize) -> types::Type {
        let visible = VisibleThrough::Before(index);
        let before = self.diagnostics.len();
        let context = self.step_guard.clone();
        let parsed =
            self.check_expression_as(text, span, visible, None, &context, types::Want::List);
        if self.diagnostics[before..].iter().any(Diagnostic::is_error) {
            return types::Type::Any;
        }
        let Some(parsed) = parsed else {
            return types::Type::Any;
        };
        let lookup = |name: &str| self.named(name, visible, None);
        match types::check(&parsed.expr, types::Want::List, &lookup, &mut Vec::new()) {
            types::Type::List(item) => *item,
            _ => types::Type::Any,
        }
    }

    /// Unknown parameters (with "did you mean") and missing required ones. Returns whether
    /// the keys are right, so typed binding won't report the same problems again.
    fn check_keys(
        &mut self,
        def: &dyn ActionDef,
        params: &[Param],
        block: &ActionBlock,
        table: &Body<'_>,
    ) -> bool {
        let base = block.body_span.start;
        let mut complete = true;
        // A misspelt required parameter is reported once, as misspelt, not also as missing.
        let mut suggested = Vec::new();
        for (key, _) in table.iter() {
            let name = key.get_ref().as_ref();
            if params.iter().any(|p| p.name == name) {
                continue;
            }
            complete = false;
            let names: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
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
            if let Some(suggestion) = did_you_mean(
                name,
                params.iter().map(|p| p.name.as_str()).chain([WHEN, EXPECT]),
            ) {
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
        table: &Body<'_>,
    ) {
        let base = block.body_span.start;
        for (key, value) in table.iter() {
            let param = params.iter().find(|p| p.name == key.get_ref().as_ref());
            let usage = Usage::Param {
                action: def.name(),
                param: key.get_ref().as_ref(),
                accepts_secret: param.is_some_and(|p| p.secret),
            };
            // Most values are one string: no list to collect.
            if let DeValue::String(text) = value.get_ref() {
                let span = Span::from(value.span()).shift(base);
                self.check_template(text, span, index, usage);
                continue;
            }
            let mut strings = Vec::new();
            collect_strings(value, &mut strings);
            for (text, span) in strings {
                self.check_template(text, Span::from(span).shift(base), index, usage);
            }
        }
    }

    /// One string value of a parameter, at `span` in the file.
    fn check_template(&mut self, text: &str, span: Span, index: usize, usage: Usage<'_>) {
        // The language's own parser: its errors say what to write instead. `{{ a.b }}` tags
        // only (most values) need no parse and are within every limit.
        let parts = match simple_references(text) {
            Some(references) => Err(references),
            None if template::is_template(text)
                && let Err(limit) = template::template_limits(text) =>
            {
                self.limit_exceeded(&limit, text, span);
                return;
            }
            None => match expr::parse_template(text) {
                Ok(parts) => Ok(parts),
                Err(error) => {
                    self.syntax_error(
                        "template",
                        text,
                        span,
                        error,
                        "templates look like `{{ id.output }}` or `{{ input }}`",
                    );
                    return;
                }
            },
        };
        // Each reference once, in order.
        match &parts {
            Err(references) => {
                let shift = self.text_offset(span, text);
                for (at, (reference, range)) in references.iter().enumerate() {
                    if references[..at].iter().any(|(seen, _)| seen == reference) {
                        continue;
                    }
                    let at = match shift {
                        Some(shift) => Span::new(
                            span.start + shift + range.start,
                            span.start + shift + range.end,
                        ),
                        // The string has escapes: its text is found in the file's.
                        None => self.reference_span(span, reference),
                    };
                    self.resolve(reference, at, VisibleThrough::Before(index), None, usage);
                }
            }
            Ok(parts) => {
                let mut references: Vec<String> = Vec::new();
                for part in parts {
                    if let expr::Part::Expr(expr) = part {
                        for reference in expr.references() {
                            if !references.contains(&reference) {
                                references.push(reference);
                            }
                        }
                    }
                }
                for reference in &references {
                    let at = self.reference_span(span, reference);
                    self.resolve(reference, at, VisibleThrough::Before(index), None, usage);
                }
            }
        }
        // Secrets go only where they are accepted; their text form is not the point there.
        if matches!(
            usage,
            Usage::Param {
                accepts_secret: true,
                ..
            }
        ) {
            return;
        }
        let visible = VisibleThrough::Before(index);
        let mut errors = Vec::new();
        match &parts {
            // `{{ a.b }}` only: the type of each is looked up, nothing to parse.
            Err(references) => {
                for (reference, range) in references {
                    let ty = self.reference_type(reference, visible, None);
                    if let Some(ty) =
                        ty.filter(|ty| matches!(ty, types::Type::List(_) | types::Type::Record(_)))
                    {
                        errors.push(types::TypeError {
                            code: "not-text",
                            message: format!("{ty} cannot be put into text"),
                            span: range.clone(),
                            help: types::not_text_help(reference, &ty),
                        });
                    }
                }
            }
            Ok(parts) => {
                for part in parts {
                    if let expr::Part::Expr(expr) = part {
                        let lookup = |name: &str| self.named(name, visible, None);
                        types::check(expr, types::Want::Text, &lookup, &mut errors);
                    }
                }
            }
        }
        self.type_errors(errors, text, span);
        let context = self.guard.clone();
        match &parts {
            Err(references) => {
                for (reference, range) in references {
                    let root = split_dot(reference).0;
                    self.check_guard(root, text, span, range.clone(), (&context, &[]), visible);
                }
            }
            Ok(parts) => {
                for part in parts {
                    if let expr::Part::Expr(expr) = part {
                        let mut uses = Vec::new();
                        guarded_uses(expr, Vec::new(), &mut uses);
                        for (root, range, extra) in uses {
                            self.check_guard(root, text, span, range, (&context, &extra), visible);
                        }
                    }
                }
            }
        }
    }

    /// The prose of step `step` (its paragraphs, lists and code blocks that are not action
    /// blocks), once its actions are bound: a reference there may use any output of this
    /// step or an earlier one (prose is shown after the actions before it have run, and
    /// in the run shows a placeholder for what is not known yet), under the step's
    /// conditions.
    fn check_step_prose(&mut self, step: usize, visible_before: usize) {
        if self.steps[step].prose.is_empty() {
            return;
        }
        self.guard = self.step_guard.clone();
        self.block = None;
        for at in 0..self.steps[step].prose.len() {
            let span = self.steps[step].prose[at];
            self.check_prose(span, visible_before);
        }
    }

    /// Every `{{ … }}` tag of a prose block at `span`, checked as a parameter's template
    /// would be, seeing the outputs of actions before `visible_before`.
    fn check_prose(&mut self, span: Span, visible_before: usize) {
        let source = self.source;
        let text = source.slice(span);
        for range in template::prose_tags(text) {
            let tag = &text[range.clone()];
            if let template::ProseTag::Literal(_) = template::prose_tag(tag) {
                continue;
            }
            let at = Span::new(span.start + range.start, span.start + range.end);
            let before = self.diagnostics.len();
            self.check_template(tag, at, visible_before, Usage::Prose);
            // Text has no `when` of its own: its step's condition is what guards it.
            for diagnostic in &mut self.diagnostics[before..] {
                if diagnostic.code == "possibly-skipped"
                    && let Some((_, when)) = diagnostic.message.split_once("it runs only when ")
                {
                    diagnostic.help = Some(format!(
                        "mention it only in a step that runs under the same condition: put `<!-- runbook: when = \"{}\" -->` under this step's heading",
                        when.trim_matches('`')
                    ));
                }
            }
        }
    }

    /// Report type problems found in `text`, the TOML string at `span`.
    fn type_errors(&mut self, errors: Vec<types::TypeError>, text: &str, span: Span) {
        for error in errors {
            let at = self.inner_span(span, text, error.span.clone());
            self.diagnostics.push(
                Diagnostic::error(error.code, error.message)
                    .label(at, "here")
                    .help(error.help),
            );
        }
    }

    /// What a name is to the type checker, where it is used (`visible`), with an action's
    /// own outputs (`own`, in `expect`) first.
    fn named(
        &self,
        name: &str,
        visible: VisibleThrough,
        own: Option<&'static dyn ActionDef>,
    ) -> Option<types::Named> {
        if let Some(output) = own.and_then(|def| def.output(name)) {
            return Some(types::Named::Value(types::Type::of_output(output)));
        }
        if let Some((item, ty)) = &self.loop_var
            && item == name
        {
            return Some(types::Named::Value(ty.clone()));
        }
        let symbol = self.symbols.get(name)?;
        if !visible.sees(symbol.index) {
            return None;
        }
        Some(match symbol.def.exports() {
            Exports::Value => types::Named::Value(types::Type::Str),
            Exports::Fields if symbol.looped => types::Named::Collected(symbol.def.outputs()),
            Exports::Fields => types::Named::Fields(symbol.def.outputs()),
        })
    }

    /// The type of a simple reference (`a` or `a.b`), when it is known and visible.
    fn reference_type(
        &self,
        reference: &str,
        visible: VisibleThrough,
        own: Option<&'static dyn ActionDef>,
    ) -> Option<types::Type> {
        let (root, field) = split_dot(reference);
        match (self.named(root, visible, own)?, field) {
            (types::Named::Value(ty), None) => Some(ty),
            (types::Named::Fields(outputs), Some(field)) => outputs
                .iter()
                .find(|output| output.name == field)
                .map(types::Type::of_output),
            (types::Named::Collected(outputs), Some(field)) => outputs
                .iter()
                .find(|output| output.name == field)
                .map(|output| types::Type::List(Box::new(types::Type::of_output(output)))),
            _ => None,
        }
    }

    /// Where `text` (the TOML string at `span`, or prose) starts after `span.start`, when it
    /// is written as its text: 0 for prose, 1 for a quoted string without escapes.
    fn text_offset(&self, span: Span, text: &str) -> Option<usize> {
        let raw = self.source.slice(span);
        if raw.len() == text.len() {
            (raw == text).then_some(0)
        } else {
            (raw.len() == text.len() + 2 && raw.get(1..raw.len() - 1) == Some(text)).then_some(1)
        }
    }

    /// Where `range` of `text` (the TOML string at `span`) is in the file: exact when the
    /// string is written as its text (no escapes), else the whole value.
    fn inner_span(&self, span: Span, text: &str, range: std::ops::Range<usize>) -> Span {
        let raw = self.source.slice(span);
        if raw == text {
            // Prose: the text is the file's.
            return Span::new(
                span.start + range.start.min(text.len()),
                span.start + range.end.min(text.len()),
            );
        }
        if raw.len() == text.len() + 2 && raw.get(1..raw.len() - 1) == Some(text) {
            Span::new(
                span.start + 1 + range.start.min(text.len()),
                span.start + 1 + range.end.min(text.len()),
            )
        } else {
            span
        }
    }

    /// An `invalid-template`/`invalid-expression` error at the parser's span in `text`
    /// (the TOML string at `span`), with its help or `usual`.
    fn syntax_error(
        &mut self,
        what: &str,
        text: &str,
        span: Span,
        error: expr::SyntaxError,
        usual: &str,
    ) {
        let at = self.inner_span(span, text, error.span.clone());
        let code = if what == "template" {
            "invalid-template"
        } else {
            "invalid-expression"
        };
        self.diagnostics.push(
            Diagnostic::error(code, format!("invalid {what}: {}", error.message))
                .label(at, "here")
                .help(error.help.unwrap_or_else(|| usual.to_string())),
        );
    }

    fn check_expression(
        &mut self,
        expr: &str,
        span: Span,
        visible: VisibleThrough,
        own: Option<&'static dyn ActionDef>,
        context: &[Rc<str>],
    ) -> Option<Rc<Parsed>> {
        self.check_expression_as(expr, span, visible, own, context, types::Want::Condition)
    }

    /// Check `expr` as `want`; returns its tree when it parses, for the caller's guards.
    fn check_expression_as(
        &mut self,
        expr: &str,
        span: Span,
        visible: VisibleThrough,
        own: Option<&'static dyn ActionDef>,
        context: &[Rc<str>],
        want: types::Want,
    ) -> Option<Rc<Parsed>> {
        let parsed = self.parse_expression(expr, span)?;
        self.check_parsed(&parsed, expr, span, visible, own, context, want);
        Some(parsed)
    }

    /// An expression's tree when it parses within the limits, parsed once per text.
    fn parsed(&mut self, expr: &str) -> Option<Rc<Parsed>> {
        if let Some(parsed) = self.expressions.get(expr) {
            return Some(Rc::clone(parsed));
        }
        template::expression_limits(expr).ok()?;
        let parsed = Rc::new(Parsed {
            text: Rc::from(expr),
            expr: expr::parse_expression(expr).ok()?,
            conjuncts: Default::default(),
            references: Default::default(),
            uses: Default::default(),
        });
        self.expressions.insert(expr.into(), Rc::clone(&parsed));
        Some(parsed)
    }

    /// An expression's tree, or its syntax error (or limit) reported.
    fn parse_expression(&mut self, expr: &str, span: Span) -> Option<Rc<Parsed>> {
        if let Some(parsed) = self.parsed(expr) {
            return Some(parsed);
        }
        if let Err(limit) = template::expression_limits(expr) {
            self.limit_exceeded(&limit, expr, span);
            return None;
        }
        // Not within the limits, or not parsed: say why.
        if let Err(error) = expr::parse_expression(expr) {
            self.syntax_error(
                "expression",
                expr,
                span,
                error,
                "expressions look like `me.is_root` or `count >= 2`",
            );
        }
        None
    }

    /// The checks of an expression that parsed: its references, types and guards.
    #[allow(clippy::too_many_arguments)]
    fn check_parsed(
        &mut self,
        parsed: &Parsed,
        expr: &str,
        span: Span,
        visible: VisibleThrough,
        own: Option<&'static dyn ActionDef>,
        context: &[Rc<str>],
        want: types::Want,
    ) {
        for reference in parsed.references() {
            let at = self.reference_span(span, reference);
            self.resolve(reference, at, visible, own, Usage::Expression);
        }
        let mut errors = Vec::new();
        let lookup = |name: &str| self.named(name, visible, own);
        types::check(&parsed.expr, want, &lookup, &mut errors);
        self.type_errors(errors, expr, span);
        for (root, range, extra) in parsed.uses() {
            if own.is_some_and(|def| def.output(root).is_some()) {
                continue;
            }
            self.check_guard(root, expr, span, range.clone(), (context, extra), visible);
        }
    }

    /// A use of `root`'s outputs (at `range` of `text`, the TOML string at `span`) under
    /// the conditions `context` (the value's, and the expression's own around the use):
    /// when `root` may have been skipped there, say so.
    fn check_guard(
        &mut self,
        root: &str,
        text: &str,
        span: Span,
        range: std::ops::Range<usize>,
        (context, extra): (&[Rc<str>], &[String]),
        visible: VisibleThrough,
    ) {
        let Some(symbol) = self.symbols.get(root) else {
            return;
        };
        if !visible.sees(symbol.index) {
            return;
        }
        let Some(missing) = symbol.guard.iter().position(|condition| {
            !context.contains(condition) && !extra.iter().any(|e| **e == **condition)
        }) else {
            return;
        };
        let (when, when_span) = symbol.origins[missing].clone();
        let at = self.inner_span(span, text, range);
        self.diagnostics.push(
            Diagnostic::error(
                "possibly-skipped",
                format!("`{root}` may not have run here: it runs only when `{when}`"),
            )
            .label(at, "used here, where that may be false")
            .secondary(when_span, "its condition")
            .help(format!(
                "use it only where `{root}` ran: add `when = \"{when}\"` to this action, or guard the use, e.g. `{when} and …`"
            )),
        );
    }

    /// A template or expression (`text`, the TOML string at `span`) that a limit rejects.
    fn limit_exceeded(&mut self, limit: &template::Limit, text: &str, span: Span) {
        // Where in the file: exact when the TOML string is written as its text (no escapes).
        let raw = self.source.slice(span);
        let range = limit.range();
        let at = if raw.len() == text.len() + 2 && raw.get(1..raw.len() - 1) == Some(text) {
            Span::new(
                span.start + 1 + range.start,
                span.start + 1 + range.end.min(text.len()),
            )
        } else {
            span
        };
        let diagnostic = match limit {
            template::Limit::TooDeep { .. } => Diagnostic::error("nesting-too-deep", limit.message())
                .label(at, format!("level {} starts here", template::MAX_NESTING + 1))
                .help("templates are references such as `{{ id.output }}`, and conditions as simple as `not me.is_root` or `count >= 2`: write a shorter expression"),
            template::Limit::Statement { .. } => Diagnostic::error("template-statement", limit.message())
                .label(at, "a statement")
                .help("write a value with `{{ … }}` references, e.g. `{{ duo.serial_number }}`; for a literal `{%`, write `{{ '{%' }}`"),
        };
        self.diagnostics.push(diagnostic);
    }

    /// `expect = [...]`: preconditions (`"count >= 1"`: the run stops when false) and
    /// findings (`{ check = "count >= 1", finding = "no MFA device" }`: reported, and the
    /// run goes on), each with its file span.
    #[allow(clippy::type_complexity)]
    fn expectations(
        &mut self,
        value: Spanned<DeValue<'_>>,
        base: usize,
    ) -> (Vec<(String, Span)>, Vec<(String, Span, (String, Span))>) {
        let mut expect = Vec::new();
        let mut findings = Vec::new();
        let span = Span::from(value.span()).shift(base);
        let help = "write `expect = [\"count >= 1\"]`, or for a finding that does not stop the run, `expect = [{ check = \"count >= 1\", finding = \"no MFA device\" }]`";
        let items: Vec<&Spanned<DeValue<'_>>> = match value.get_ref() {
            DeValue::String(text) => {
                expect.push((text.to_string(), span));
                return (expect, findings);
            }
            DeValue::Array(items) => items.iter().collect(),
            other => {
                self.diagnostics.push(
                    Diagnostic::error(
                        "invalid-parameter",
                        "`expect` must be a string or a list of strings",
                    )
                    .label(span, format!("found {}", other.type_str()))
                    .help(help),
                );
                return (expect, findings);
            }
        };
        for item in items {
            let item_span = Span::from(item.span()).shift(base);
            match item.get_ref() {
                DeValue::String(text) => expect.push((text.to_string(), item_span)),
                DeValue::Table(table) => {
                    let mut check = None;
                    let mut finding = None;
                    // A `check` of the wrong type is reported as such, not as missing too.
                    let has_check = table.iter().any(|(key, _)| key.get_ref() == "check");
                    for (key, value) in table.iter() {
                        let key_span = Span::from(key.span()).shift(base);
                        match (key.get_ref().as_ref(), value.get_ref()) {
                            ("check", DeValue::String(text)) => {
                                check =
                                    Some((text.to_string(), Span::from(value.span()).shift(base)));
                            }
                            ("finding", DeValue::String(text)) => {
                                finding =
                                    Some((text.to_string(), Span::from(value.span()).shift(base)));
                            }
                            (name @ ("check" | "finding"), other) => self.diagnostics.push(
                                Diagnostic::error(
                                    "invalid-parameter",
                                    format!("`{name}` must be a string, not {}", other.type_str()),
                                )
                                .label(Span::from(value.span()).shift(base), "here")
                                .help(help),
                            ),
                            (name, _) => {
                                let suggestion = did_you_mean(name, ["check", "finding"]);
                                self.diagnostics.push(
                                    Diagnostic::error(
                                        "invalid-parameter",
                                        format!("an expectation has no `{name}`"),
                                    )
                                    .label(key_span, "unknown key")
                                    .help(match suggestion {
                                        Some(s) => format!("did you mean `{s}`? an expectation has `check` (the condition) and `finding` (what to report when it is false)"),
                                        None => "an expectation has `check` (the condition) and `finding` (what to report when it is false)".to_string(),
                                    }),
                                );
                            }
                        }
                    }
                    match (check, finding) {
                        (Some((check, at)), Some(finding)) => findings.push((check, at, finding)),
                        (Some((check, at)), None) => expect.push((check, at)),
                        (None, _) if has_check => {}
                        (None, _) => self.diagnostics.push(
                            Diagnostic::error(
                                "invalid-parameter",
                                "this expectation has no `check`",
                            )
                            .label(item_span, "here")
                            .help(help),
                        ),
                    }
                }
                other => self.diagnostics.push(
                    Diagnostic::error(
                        "invalid-parameter",
                        format!(
                            "an expectation is a string or a table, not {}",
                            other.type_str()
                        ),
                    )
                    .label(item_span, "here")
                    .help(help),
                ),
            }
        }
        (expect, findings)
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
        // The body as the block holds it is the same text as the file's, and closer at hand
        // than the file's text (which a large file's parse left long out of the cache).
        let raw = match self.block {
            Some(block)
                if block.body_span.start <= value.start && value.end <= block.body_span.end =>
            {
                let base = block.body_span.start;
                &block.body[value.start - base..value.end - base]
            }
            _ => self.source.slice(value),
        };
        let at = |needle: &str| {
            find(raw, needle).map(|i| Span::new(value.start + i, value.start + i + needle.len()))
        };
        at(reference)
            .or_else(|| at(split_dot(reference).0))
            .unwrap_or(value)
    }

    fn resolve(
        &mut self,
        reference: &str,
        at: Span,
        visible: VisibleThrough,
        own: Option<&'static dyn ActionDef>,
        usage: Usage<'_>,
    ) {
        let (root, rest) = split_dot(reference);
        let field = rest.map(|rest| split_dot(rest).0);
        // The item of a `for_each`: its fields are checked by the type checker.
        if let Some((item, ty)) = &self.loop_var
            && item == root
        {
            if let (types::Type::Record(fields), Some(field)) = (ty, field)
                && !fields.iter().any(|f| f.name == field)
            {
                let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
                let help = match did_you_mean(field, names.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`? the fields are: {}", names.join(", ")),
                    None => format!("the fields are: {}", names.join(", ")),
                };
                let diagnostic = Diagnostic::error(
                    "unknown-field",
                    format!("`{item}` (an item of the `for_each` list) has no field `{field}`"),
                )
                .label(at, "unknown field")
                .help(help);
                self.diagnostics.push(diagnostic);
            }
            return;
        }
        if let Some(own) = own
            && let Some(output) = own.output(root)
        {
            self.check_secret(reference, output.secret, at, &usage);
            return;
        }
        let Some(symbol) = self.symbols.get(root) else {
            if self.misplaced.iter().any(|id| id == root) {
                // Already reported where the mistake is: see `outside_step`.
                return;
            }
            if self.deferring {
                self.deferred.push(Deferred {
                    reference: reference.to_string(),
                    at,
                    visible,
                    own,
                    param: match usage {
                        Usage::Param {
                            action,
                            param,
                            accepts_secret,
                        } => Some((action, param.to_string(), accepts_secret)),
                        Usage::Expression | Usage::Prose => None,
                    },
                });
                return;
            }
            let mut diagnostic =
                Diagnostic::error("undefined-reference", format!("`{root}` is not defined"))
                    .label(at, "not an input or an action id");
            let symbols = &self.symbols;
            let ids = self.ids.get_or_insert_with(|| {
                let mut ids: Vec<&str> = symbols.keys().copied().collect();
                ids.sort_unstable();
                ids
            });
            let own_outputs = own
                .into_iter()
                .flat_map(|own| own.outputs().iter().map(|o| o.name));
            let candidates = own_outputs.chain(ids.iter().copied());
            diagnostic = match did_you_mean_within(root, candidates, &mut self.suggestion_budget) {
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
            .secondary(
                symbol.span,
                format!("defined later, in step `{}`", self.steps[symbol.step].id),
            )
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
            Usage::Prose => {
                self.diagnostics.push(
                    Diagnostic::error(
                        "secret-in-prose",
                        format!("secret `{reference}` is in the guide's text, where everyone would see it"),
                    )
                    .label(at, "secret shown here")
                    .note("prose and code blocks are printed by `runbook run` and published by `runbook render`; secrets are never shown")
                    .help("remove it from the text; pass it only to a parameter that accepts secrets (`secret` in `runbook actions`)"),
                );
                return;
            }
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

    /// Images in a block that a page could not show, or must not publish: a missing file
    /// is a warning (`runbook render` makes it an error); a path outside the guide's tree,
    /// a file that is not an image, or one too large is an error.
    fn check_images(&mut self, block: &Block) {
        let Block::Prose(prose) = block else { return };
        for image in &prose.images {
            if !figure::is_local(&image.url) {
                continue;
            }
            let figures = self.figures.get_or_insert_with(|| {
                let folder = self
                    .source
                    .path()
                    .parent()
                    .unwrap_or(Path::new(""))
                    .to_path_buf();
                Figures {
                    root: figure::guide_root(&folder),
                    folder,
                    checked: HashMap::new(),
                }
            });
            let problem = figures.checked.entry(image.url.clone()).or_insert_with(|| {
                figure::resolve(&figures.root, &figures.folder, &image.url).err()
            });
            let Some(problem) = &*problem else { continue };
            let diagnostic = match problem {
                figure::FigureError::Missing { path, .. } => {
                    Diagnostic::warning(problem.code(), problem.to_string())
                        .label(image.span, "this figure")
                        .note(format!("looked for `{}`", path.display()))
                }
                _ => Diagnostic::error(problem.code(), problem.to_string())
                    .label(image.span, "this figure")
                    .note("`runbook render` copies every figure next to the page, so only image files of the guide's own are allowed"),
            };
            self.diagnostics.push(diagnostic.help(problem.help()));
        }
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
#[derive(Clone, Copy)]
enum Usage<'a> {
    Param {
        action: &'static str,
        param: &'a str,
        accepts_secret: bool,
    },
    Expression,
    /// Prose or a code block that is not an action block: shown, so never a secret.
    Prose,
}

/// An expression's top-level conditions (`a and b` → `a`, `b`), written canonically.
fn conjuncts(expr: &expr::Expr) -> Vec<String> {
    match &expr.kind {
        expr::Kind::Binary(expr::BinOp::And, left, right) => {
            let mut all = conjuncts(left);
            all.extend(conjuncts(right));
            all
        }
        _ => vec![expr.to_string()],
    }
}

/// The canonical form of `not expr`.
fn negated(expr: &expr::Expr) -> String {
    match &expr.kind {
        expr::Kind::Not(inner) => inner.to_string(),
        _ => format!("not ({expr})"),
    }
}

/// Every name an expression reads, with where and under which conditions it is read:
/// the right side of `a and b` only when `a`, of `a or b` only when `not a`, the branches
/// of `x if c else y` only when `c` (or `not c`).
fn guarded_uses<'e>(
    expr: &'e expr::Expr,
    context: Vec<String>,
    out: &mut Vec<(&'e str, std::ops::Range<usize>, Vec<String>)>,
) {
    use expr::Kind;
    match &expr.kind {
        Kind::Name(name) => out.push((name, expr.span.clone(), context)),
        Kind::Attr(value, _, _) => guarded_uses(value, context, out),
        Kind::Index(value, index) => {
            guarded_uses(value, context.clone(), out);
            guarded_uses(index, context, out);
        }
        Kind::Str(_) | Kind::Int(_) | Kind::Bool(_) | Kind::None => {}
        Kind::List(items) => {
            for item in items {
                guarded_uses(item, context.clone(), out);
            }
        }
        Kind::Not(inner) | Kind::Neg(inner) => guarded_uses(inner, context, out),
        Kind::Binary(op @ (expr::BinOp::And | expr::BinOp::Or), left, right) => {
            guarded_uses(left, context.clone(), out);
            let mut then = context;
            if *op == expr::BinOp::And {
                then.extend(conjuncts(left));
            } else {
                then.push(negated(left));
            }
            guarded_uses(right, then, out);
        }
        Kind::Binary(_, left, right) => {
            guarded_uses(left, context.clone(), out);
            guarded_uses(right, context, out);
        }
        Kind::If {
            then,
            cond,
            otherwise,
        } => {
            guarded_uses(cond, context.clone(), out);
            let mut when_true = context.clone();
            when_true.extend(conjuncts(cond));
            guarded_uses(then, when_true, out);
            if let Some(otherwise) = otherwise {
                let mut when_false = context;
                when_false.push(negated(cond));
                guarded_uses(otherwise, when_false, out);
            }
        }
        Kind::Filter { value, args, .. } => {
            guarded_uses(value, context.clone(), out);
            for arg in args {
                guarded_uses(arg, context.clone(), out);
            }
        }
    }
}

/// The references of a template made only of text and `{{ a }}` / `{{ a.b }}` tags, with
/// their ranges in the text; `None` for anything else (which is parsed).
fn simple_references(text: &str) -> Option<SimpleReferences<'_>> {
    let mut references = SimpleReferences::new();
    let mut at = 0;
    let bytes = text.as_bytes();
    while let Some(open) = memchr::memchr(b'{', &bytes[at..]).map(|i| at + i) {
        let next = bytes.get(open + 1);
        if matches!(next, Some(b'%' | b'#')) {
            return None;
        }
        if next != Some(&b'{') {
            at = open + 1;
            continue;
        }
        let close = memchr::memmem::find(&bytes[open + 2..], b"}}").map(|i| open + 2 + i)?;
        let inner = &text[open + 2..close];
        let reference = inner.trim();
        let (root, field) = split_dot(reference);
        if !is_identifier(root) || field.is_some_and(|f| !is_identifier(f)) {
            return None;
        }
        let start = open + 2 + (inner.len() - inner.trim_start().len());
        references.push((reference, start..start + reference.len()));
        at = close + 2;
    }
    Some(references)
}

/// Whether `text` can be a block's id (`id=duo`): ASCII letters, digits and `_`, from a letter.
pub fn is_identifier(text: &str) -> bool {
    text.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Where a parameter is written in a block's body, from its key to the end of its value,
/// for a diagnostic about its value. The body is parsed again: this is only needed when
/// there is a problem to report.
fn param_span(block: &ActionBlock, param: &str) -> Option<Span> {
    if param == WHEN || param == EXPECT {
        return None;
    }
    let (table, _) = body::parse(block.body);
    table
        .iter()
        .find(|(key, _)| key.get_ref() == param)
        .map(|(key, value)| {
            Span::new(key.span().start, value.span().end).shift(block.body_span.start)
        })
}

/// The bytes `within` of a parameter's string value, where the source holds the string
/// as written (a one-line literal `'…'`, or `"…"` without escapes): else `None`, and the
/// diagnostic points at the whole parameter.
fn string_span_within(
    block: &ActionBlock,
    param: &str,
    within: std::ops::Range<usize>,
) -> Option<Span> {
    let (table, _) = body::parse(block.body);
    let (_, value) = table.iter().find(|(key, _)| key.get_ref() == param)?;
    let raw = block.body.get(value.span())?;
    let quote = raw.chars().next().filter(|&c| c == '\'' || c == '"')?;
    let content = raw.strip_prefix(quote)?.strip_suffix(quote)?;
    let as_written = !content.starts_with(quote) && (quote == '\'' || !content.contains('\\'));
    (as_written && within.start <= within.end && within.end <= content.len()).then(|| {
        Span::new(within.start + 1, within.end + 1)
            .shift(value.span().start + block.body_span.start)
    })
}

/// `haystack.find(needle)`, without the setup cost of `str`'s substring search, which
/// dominates for the short values references are looked up in.
fn find(haystack: &str, needle: &str) -> Option<usize> {
    let (haystack, needle) = (haystack.as_bytes(), needle.as_bytes());
    let Some((&first, _)) = needle.split_first() else {
        return Some(0);
    };
    let mut from = 0;
    while let Some(i) = haystack[from..].iter().position(|&b| b == first) {
        let at = from + i;
        if haystack[at..].starts_with(needle) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// `text` up to its first `.`, and what follows that dot: `reference.split('.')` without
/// the searcher.
fn split_dot(text: &str) -> (&str, Option<&str>) {
    match text.bytes().position(|b| b == b'.') {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    }
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

fn collect_strings<'t>(
    value: &'t Spanned<DeValue<'_>>,
    out: &mut Vec<(&'t str, std::ops::Range<usize>)>,
) {
    match value.get_ref() {
        DeValue::String(text) => out.push((text, value.span())),
        DeValue::Array(items) => items.iter().for_each(|item| collect_strings(item, out)),
        DeValue::Table(table) => table
            .iter()
            .for_each(|(_, item)| collect_strings(item, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Wherever binding through JSON succeeds, binding through toml succeeds with the same
    /// params: every action, each parameter given each kind of value, alone and among the
    /// others set to strings.
    #[test]
    fn plain_binding_matches_toml_binding() {
        const VALUES: &[&str] = &[
            "\"text\"",
            "\"{{ me.user_name }}\"",
            "\"\"",
            "true",
            "false",
            "[\"a\", \"b\"]",
            "[]",
            "[true]",
            "\"Any\"",
            "\"Assigned\"",
            "\"security-key\"",
            "\"virtual-mfa\"",
            "\"12\"",
        ];
        let mut agreed = 0;
        for def in actions::all() {
            let params = actions::params(def);
            for (i, param) in params.iter().enumerate() {
                for value in VALUES {
                    let alone = format!("{} = {value}\n", param.name);
                    let among: String = params
                        .iter()
                        .enumerate()
                        .map(|(j, other)| match i == j {
                            true => format!("{} = {value}\n", other.name),
                            false => format!("{} = \"x\"\n", other.name),
                        })
                        .collect();
                    for body in [alone, among] {
                        let (table, errors) = toml::de::DeTable::parse_recoverable(&body);
                        assert!(errors.is_empty(), "{body}");
                        let (parsed, _) = body::parse(&body);
                        if !body::is_plain(&parsed) {
                            continue;
                        }
                        let by_plain = def.bind_plain(&parsed);
                        let by_toml = def.bind(toml::de::Deserializer::from(table));
                        match (by_plain, by_toml) {
                            (Some(plain), Ok(toml)) => {
                                agreed += 1;
                                assert_eq!(def.debug_params(&plain), def.debug_params(&toml));
                            }
                            (Some(_), Err(error)) => {
                                panic!(
                                    "{}: the table binds what toml rejects ({error}):\n{body}",
                                    def.name()
                                )
                            }
                            (None, _) => {}
                        }
                    }
                }
            }
        }
        assert!(agreed > 100, "{agreed}");
    }

    /// Thousands of undefined references among thousands of ids: "did you mean" compares
    /// at most [`SUGGESTION_BUDGET`] candidates in all (every reference against every id
    /// was 9 million comparisons here), and the first references still get their
    /// suggestion.
    #[test]
    fn suggestions_for_undefined_references_are_bounded() {
        let mut text = String::from("# T\n\n");
        for k in 0..3_000 {
            text.push_str(&format!(
                "## Step {k}\n\n```input.text id=name_{k}\nprompt = \"Name\"\n```\n\n\
                 ```iam.list-mfa-devices\nuser = \"{{{{ nme_{k} }}}}\"\n```\n\n"
            ));
        }
        let source = Source::new("t.md", text);
        let parsed = crate::parse::parser::parse(&source);
        diagnostic::COMPARISONS.with(|count| count.set(0));
        let bound = bind(&source, &parsed.document);
        let comparisons = diagnostic::COMPARISONS.with(|count| count.get());
        let undefined: Vec<&Diagnostic> = bound
            .diagnostics
            .iter()
            .filter(|d| d.code == "undefined-reference")
            .collect();
        assert_eq!(undefined.len(), 3_000);
        // Every reference against every id would be 9,000,000.
        assert!(comparisons <= 100_000, "{comparisons} comparisons");
        assert_eq!(SUGGESTION_BUDGET, 100_000);
        assert_eq!(undefined[0].help.as_deref(), Some("did you mean `name_0`?"));
    }

    #[test]
    fn find_and_split_dot_match_str() {
        let texts = [
            "",
            "a",
            "aa",
            "a.b",
            "a.b.c",
            "ab.",
            ".",
            "\"{{ x.y }}-{{ x }}\"",
            "ñé.ü",
        ];
        for haystack in texts {
            for needle in texts {
                assert_eq!(
                    find(haystack, needle),
                    haystack.find(needle),
                    "{haystack:?} {needle:?}"
                );
            }
            let mut parts = haystack.split('.');
            let (root, rest) = split_dot(haystack);
            assert_eq!(Some(root), parts.next());
            assert_eq!(rest.map(|rest| split_dot(rest).0), parts.next());
        }
    }
}
