//! `input.*`: values the user gives (`--var name=value`, a prompt, or a default).

use crate::bind::action::{ActionDef, Typed};

pub mod text;

pub const ACTIONS: &[&dyn ActionDef] = &[&Typed::<text::Text>::DEF];
