//! The action registry: every namespace's list of actions, in one static slice each.
//! Adding an action is one file in its namespace's folder plus one line in its list.

use std::sync::OnceLock;

use crate::bind::action::{ActionDef, Param};

pub mod aws_config;
pub mod console;
pub mod fido;
pub mod iam;
pub mod input;
pub mod sts;
pub mod totp;

/// Every namespace's actions.
const NAMESPACES: &[&[&dyn ActionDef]] = &[
    input::ACTIONS,
    sts::ACTIONS,
    iam::ACTIONS,
    totp::ACTIONS,
    fido::ACTIONS,
    console::ACTIONS,
    aws_config::ACTIONS,
];

/// All registered actions, sorted by name.
pub fn all() -> Vec<&'static dyn ActionDef> {
    let mut actions: Vec<&'static dyn ActionDef> = NAMESPACES
        .iter()
        .flat_map(|namespace| namespace.iter().copied())
        .collect();
    actions.sort_by_key(|action| action.name());
    actions
}

/// The action with this exact name.
pub fn find(name: &str) -> Option<&'static dyn ActionDef> {
    NAMESPACES
        .iter()
        .flat_map(|namespace| namespace.iter().copied())
        .find(|action| action.name() == name)
}

/// An action's parameters, computed from its schema once per process.
pub fn params(action: &dyn ActionDef) -> &'static [Param] {
    // A list, not a map: for a score of names, comparing them is quicker than hashing one.
    static PARAMS: OnceLock<Vec<(&'static str, Vec<Param>)>> = OnceLock::new();
    let name = action.name();
    PARAMS
        .get_or_init(|| all().into_iter().map(|a| (a.name(), a.params())).collect())
        .iter()
        .find(|(action, _)| *action == name)
        .map_or(&[], |(_, params)| params.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_in_their_namespace_folder() {
        let actions = all();
        let mut names: Vec<&str> = actions.iter().map(|a| a.name()).collect();
        names.dedup();
        assert_eq!(names.len(), actions.len(), "duplicate action names");
        for action in &actions {
            assert!(
                crate::parse::parser::is_action_name(action.name()),
                "{}",
                action.name()
            );
            assert!(
                !action.summary().is_empty(),
                "{} has no summary",
                action.name()
            );
        }
    }

    #[test]
    fn every_param_is_documented() {
        for action in all() {
            for param in action.params() {
                assert!(
                    !param.description.is_empty(),
                    "{}: parameter `{}` has no doc comment",
                    action.name(),
                    param.name
                );
            }
        }
    }

    #[test]
    fn iam_and_sts_actions_have_a_cli_equivalent_in_their_docs() {
        for action in all() {
            let aws = matches!(action.namespace(), "iam" | "sts");
            let outputs_documented = action.outputs().iter().all(|o| !o.description.is_empty());
            assert!(
                outputs_documented,
                "{} has an undocumented output",
                action.name()
            );
            if aws {
                assert!(action.summary().ends_with('.'), "{}", action.name());
            }
        }
    }
}
