//! A step's prose with the run's values filled in: each `{{ … }}` tag of a paragraph or a
//! code block that is not an action block becomes its value, or, when the value is not
//! known (its action has not run yet, was skipped, or is secret), a readable placeholder
//! (`‹me.user_name›`). Filling in never fails the run.

use std::borrow::Cow;

use crate::parse::template::{self, ProseTag};
use crate::run::values::Scope;

/// `text` (a prose block as written) with its tags filled in from `scope`.
pub fn fill<'t>(text: &'t str, scope: &Scope) -> Cow<'t, str> {
    let tags = template::prose_tags(text);
    if tags.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for range in tags {
        out.push_str(&text[at..range.start]);
        let tag = &text[range.clone()];
        match template::prose_tag(tag) {
            ProseTag::Literal(literal) => out.push_str(literal),
            // A secret is never a plain value: `render` refuses it, so it is a placeholder.
            ProseTag::Expression(expr) => match scope.render(tag) {
                Ok(value) => out.push_str(&value),
                Err(_) => {
                    out.push('‹');
                    out.push_str(expr);
                    out.push('›');
                }
            },
        }
        at = range.end;
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::values::{Outputs, Value};
    use crate::secret::Secret;

    #[test]
    fn values_are_filled_in_and_the_rest_is_a_placeholder() {
        let mut scope = Scope::default();
        let mut me = Outputs::new();
        me.insert("arn".into(), Value::plain("arn:aws:iam::123:user/alice"));
        scope.set_outputs("me", me);
        let mut duo = Outputs::new();
        duo.insert(
            "seed".into(),
            Value::Secret(Secret::new("JBSWY3DPEHPK3PXP")),
        );
        scope.set_outputs("duo", duo);
        scope.set_skipped("key", "not root");
        let text = "mfa_serial = {{ me.arn }}\nseed {{ duo.seed }}, key {{ key.serial_number }}, later {{ later.x }}, {{ '{{' }} x }}";
        assert_eq!(
            fill(text, &scope),
            "mfa_serial = arn:aws:iam::123:user/alice\nseed ‹duo.seed›, key ‹key.serial_number›, later ‹later.x›, {{ x }}"
        );
        assert!(matches!(fill("no tags", &scope), Cow::Borrowed("no tags")));
    }
}
