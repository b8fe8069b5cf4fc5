//! `totp.*`: the authenticator app side of a virtual MFA device (RFC 6238 codes).

use crate::action::{ActionDef, Typed};

pub mod consecutive_codes;
pub mod read_code;
pub mod show_enrolment;

pub const ACTIONS: &[&dyn ActionDef] = &[
    &Typed::<consecutive_codes::ConsecutiveCodes>::DEF,
    &Typed::<read_code::ReadCode>::DEF,
    &Typed::<show_enrolment::ShowEnrolment>::DEF,
];
