//! Secrets (the TOTP seed, codes): kept in memory only, zeroised on drop, redacted in
//! `Debug` and `Display`, and impossible to serialise (no `Serialize` impl).

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// A secret string. The only way to the text is [`Secret::expose`], which makes every
/// use greppable.
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    pub fn new(text: impl Into<String>) -> Secret {
        Secret(SecretString::from(text.into()))
    }

    /// The secret text. Use it only to hand the secret to what needs it (AWS, the TOTP
    /// algorithm, the on-screen QR code); never to print, log or store it.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Secret) -> bool {
        // Not constant-time; secrets are compared only in tests and local checks.
        self.expose() == other.expose()
    }
}

/// Keep secrets out of core dumps: the process holds seeds and codes in memory, and a core
/// file (after a crash or SIGABRT) would write them to disk. Sets the core size limit to 0
/// (soft and hard, so children such as the emulator inherit it) and marks the process not
/// dumpable, which also stops other processes of the same user from attaching a debugger
/// to read its memory. Called first thing in `main`.
pub fn forbid_core_dumps() {
    let none = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain system calls on this process, with valid arguments.
    unsafe {
        libc::setrlimit(libc::RLIMIT_CORE, &none);
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_are_redacted() {
        let secret = Secret::new("JBSWY3DPEHPK3PXP");
        assert_eq!(format!("{secret:?}"), "Secret([redacted])");
        assert_eq!(format!("{secret}"), "[redacted]");
        assert_eq!(secret.expose(), "JBSWY3DPEHPK3PXP");
    }
}
