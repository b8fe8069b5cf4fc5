//! FIDO pieces shared by the security-key providers and the run stage (a leaf: it uses
//! nothing else of the crate).

pub mod verify;
