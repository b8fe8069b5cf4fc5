//! `fido.*`: the FIDO2/U2F security key, prepared and checked locally before the console
//! registers it (AWS registers security keys only through WebAuthn in the console).

use crate::action::{ActionDef, Typed};

pub mod blink;
pub mod key_info;
pub mod self_test;
pub mod wait_for_key;

pub const ACTIONS: &[&dyn ActionDef] = &[
    &Typed::<blink::Blink>::DEF,
    &Typed::<key_info::KeyInfo>::DEF,
    &Typed::<self_test::SelfTest>::DEF,
    &Typed::<wait_for_key::WaitForKey>::DEF,
];
