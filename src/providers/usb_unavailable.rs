//! The security keys of a runbook built without the `usb` cargo feature (no
//! `ctap-hid-fido2`, so no libudev needed to build it): every call fails with
//! [`KeyError::NotBuiltIn`], whose next step says how to get a build with USB keys. A guide
//! still checks, plans, renders and runs everything else; the sandbox's software key
//! works as always.

use crate::providers::security_key::{
    Assertion, Credential, KeyDescriptor, KeyError, KeyInfo, SecurityKeys,
};
use crate::secret::Secret;

/// USB security keys in a build that has no USB support.
#[derive(Clone, Copy, Debug, Default)]
pub struct UsbUnavailable;

impl SecurityKeys for UsbUnavailable {
    /// Not an empty list: "no key plugged in" would have the person plug one in and wait.
    fn list(&self) -> Result<Vec<KeyDescriptor>, KeyError> {
        Err(KeyError::NotBuiltIn)
    }

    fn info(&self, _: &KeyDescriptor) -> Result<KeyInfo, KeyError> {
        Err(KeyError::NotBuiltIn)
    }

    fn wink(&self, _: &KeyDescriptor) -> Result<(), KeyError> {
        Err(KeyError::NotBuiltIn)
    }

    fn make_credential(
        &self,
        _: &KeyDescriptor,
        _: &str,
        _: &[u8; 32],
        _: Option<&Secret>,
    ) -> Result<Credential, KeyError> {
        Err(KeyError::NotBuiltIn)
    }

    fn get_assertion(
        &self,
        _: &KeyDescriptor,
        _: &str,
        _: &[u8; 32],
        _: &[u8],
        _: Option<&Secret>,
    ) -> Result<Assertion, KeyError> {
        Err(KeyError::NotBuiltIn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_call_says_the_build_has_no_usb_support() {
        let keys = UsbUnavailable;
        let key = KeyDescriptor {
            path: "/dev/hidraw0".into(),
            product: "a key".into(),
        };
        assert!(matches!(keys.list(), Err(KeyError::NotBuiltIn)));
        assert!(matches!(keys.info(&key), Err(KeyError::NotBuiltIn)));
        assert!(matches!(keys.wink(&key), Err(KeyError::NotBuiltIn)));
        assert!(matches!(
            keys.make_credential(&key, "aws.amazon.com", &[0; 32], None),
            Err(KeyError::NotBuiltIn)
        ));
        assert!(matches!(
            keys.get_assertion(&key, "aws.amazon.com", &[0; 32], b"id", None),
            Err(KeyError::NotBuiltIn)
        ));
        assert!(
            KeyError::NotBuiltIn
                .to_string()
                .contains("without USB security key support")
        );
    }
}
