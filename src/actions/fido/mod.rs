//! `fido.*`: the FIDO2/U2F security key, prepared and checked locally before the console
//! registers it (AWS registers security keys only through WebAuthn in the console).

use crate::bind::action::{ActionDef, Typed};
use crate::providers::security_key::{KeyDescriptor, KeyError};
use crate::run::context::{Context, RunError};

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

/// Product names for a few well-known authenticator models (AAGUIDs from the makers'
/// FIDO metadata). Unknown models show the name the key reports over USB.
pub const KNOWN_AAGUIDS: &[(&str, &str)] = &[
    ("cb69481e-8ff7-4039-93ec-0a2729a154a8", "YubiKey 5 Series"),
    ("ee882879-721c-4913-9775-3dfcce97072a", "YubiKey 5 Series"),
    (
        "fa2b99dc-9e39-4257-8f92-4a30d23c4118",
        "YubiKey 5 Series with NFC",
    ),
    (
        "2fc0579f-8113-47ea-b116-bb5a8db9202a",
        "YubiKey 5 Series with NFC",
    ),
];

/// The product name for an AAGUID, if it is a known model.
pub fn product(aaguid: &str) -> Option<&'static str> {
    KNOWN_AAGUIDS
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(aaguid))
        .map(|(_, name)| *name)
}

/// How the key is labelled in messages (the sandbox's software key is a stand-in).
pub fn label(ctx: &crate::run::context::Context<'_>) -> &'static str {
    if ctx.mode().sandbox {
        "[sandbox stand-in key] "
    } else {
        ""
    }
}

/// The key a FIDO action uses ([`Context::key`]). A dry run never waits for hardware: with
/// no key plugged in, the action is reported as what it would do.
pub fn key_or_dry_run(ctx: &mut Context<'_>, what: &str) -> Result<KeyDescriptor, RunError> {
    match ctx.key() {
        Err(RunError::Key(KeyError::NoKey)) if ctx.mode().dry_run => Err(RunError::DryRun {
            what: format!("{what} (no security key is plugged in)"),
        }),
        other => other,
    }
}
