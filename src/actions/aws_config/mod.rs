//! `aws-config.*`: the AWS CLI's local configuration file (`~/.aws/config`).

use crate::bind::action::{ActionDef, Typed};

pub mod set_profile;

pub const ACTIONS: &[&dyn ActionDef] = &[&Typed::<set_profile::SetProfile>::DEF];
