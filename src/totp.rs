//! TOTP (RFC 6238) for virtual MFA devices. (Being written.)
