//! `sts.*`: AWS Security Token Service calls.

use crate::bind::action::{ActionDef, Typed};

pub mod assume_role;
pub mod get_caller_identity;
pub mod get_session_token;

pub const ACTIONS: &[&dyn ActionDef] = &[
    &Typed::<get_caller_identity::GetCallerIdentity>::DEF,
    &Typed::<get_session_token::GetSessionToken>::DEF,
    &Typed::<assume_role::AssumeRole>::DEF,
];
