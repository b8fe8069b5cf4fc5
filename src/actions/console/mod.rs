//! `console.*`: steps only the AWS console can do, handed to the user and then verified
//! through the API.

use crate::bind::action::{ActionDef, Typed};

pub mod handoff;

pub const ACTIONS: &[&dyn ActionDef] = &[&Typed::<handoff::Handoff>::DEF];
