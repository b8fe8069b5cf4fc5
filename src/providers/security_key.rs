//! FIDO security keys, behind a trait: the real USB key (ctap-hid-fido2) and a software
//! authenticator written by someone else (for tests and the sandbox) both implement it.
//! What the guide needs from a key: find it, read its info, make it blink, and a local
//! self-test (make a credential, get an assertion) whose signature we verify ourselves.

use crate::secret::Secret;

/// A key found on this machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyDescriptor {
    /// How to reach it again (a HID path such as `/dev/hidraw3`, or `software:<n>`).
    pub path: String,
    /// The product name the key reports (or the software authenticator's name).
    pub product: String,
}

/// What a key says about itself (CTAP2 authenticatorGetInfo and PIN state).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyInfo {
    /// The authenticator model, as a UUID string.
    pub aaguid: String,
    /// Protocol versions, e.g. `FIDO_2_0`, `FIDO_2_1`, `U2F_V2`.
    pub versions: Vec<String>,
    /// Whether a PIN is set (`clientPin` option).
    pub pin_set: bool,
    /// PIN attempts left, when a PIN is set and the key says.
    pub pin_retries: Option<u32>,
}

/// A credential made by `make_credential`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
    pub id: Vec<u8>,
    /// The credential's public key, COSE-encoded (CBOR map), from the attested data.
    pub public_key_cose: Vec<u8>,
    /// The COSE algorithm (-7 = ES256).
    pub algorithm: i64,
}

/// An assertion from `get_assertion`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assertion {
    /// The authenticator data the signature covers (with the client data hash).
    pub authenticator_data: Vec<u8>,
    /// DER-encoded signature over `authenticator_data || signed_hash(client_data_hash)`
    /// (see [`SecurityKeys::signed_hash`]).
    pub signature: Vec<u8>,
}

/// Why a key operation failed, with messages that say what to do.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("no security key found: plug one into a USB port")]
    NoKey,
    #[error("the security key was removed during the operation: plug it in again")]
    Removed,
    #[error("this security key needs its PIN")]
    PinRequired,
    #[error("wrong PIN ({retries} attempts left before the key locks)")]
    WrongPin { retries: u32 },
    #[error(
        "the key's PIN is blocked: reset the key with its maker's tool (this erases its credentials)"
    )]
    PinBlocked,
    #[error("no touch: touch the key's button or gold disc when it blinks")]
    TouchTimeout,
    #[error("this key does not support what is needed: {0}")]
    Unsupported(String),
    #[error("security key error: {0}")]
    Other(String),
    #[error(
        "this runbook was built without USB security key support (the `usb` cargo feature is off)"
    )]
    NotBuiltIn,
}

/// Security keys on this machine.
pub trait SecurityKeys {
    /// The keys plugged in now.
    fn list(&self) -> Result<Vec<KeyDescriptor>, KeyError>;
    fn info(&self, key: &KeyDescriptor) -> Result<KeyInfo, KeyError>;
    /// Make the key blink (CTAPHID_WINK).
    fn wink(&self, key: &KeyDescriptor) -> Result<(), KeyError>;
    /// Make a throwaway ES256 credential for `rp_id`, with user presence (a touch).
    fn make_credential(
        &self,
        key: &KeyDescriptor,
        rp_id: &str,
        client_data_hash: &[u8; 32],
        pin: Option<&Secret>,
    ) -> Result<Credential, KeyError>;
    /// The client data hash the key really signs when given `client_data_hash` (some
    /// libraries hash what they are given once more), for verifying its signatures.
    fn signed_hash(&self, client_data_hash: &[u8; 32]) -> [u8; 32] {
        *client_data_hash
    }

    /// Sign `client_data_hash` with the credential, with user presence (a touch).
    fn get_assertion(
        &self,
        key: &KeyDescriptor,
        rp_id: &str,
        client_data_hash: &[u8; 32],
        credential_id: &[u8],
        pin: Option<&Secret>,
    ) -> Result<Assertion, KeyError>;
}

/// No security keys at all: what a machine without USB access sees.
pub struct NoKeys;

impl SecurityKeys for NoKeys {
    fn list(&self) -> Result<Vec<KeyDescriptor>, KeyError> {
        Ok(Vec::new())
    }

    fn info(&self, _: &KeyDescriptor) -> Result<KeyInfo, KeyError> {
        Err(KeyError::NoKey)
    }

    fn wink(&self, _: &KeyDescriptor) -> Result<(), KeyError> {
        Err(KeyError::NoKey)
    }

    fn make_credential(
        &self,
        _: &KeyDescriptor,
        _: &str,
        _: &[u8; 32],
        _: Option<&Secret>,
    ) -> Result<Credential, KeyError> {
        Err(KeyError::NoKey)
    }

    fn get_assertion(
        &self,
        _: &KeyDescriptor,
        _: &str,
        _: &[u8; 32],
        _: &[u8],
        _: Option<&Secret>,
    ) -> Result<Assertion, KeyError> {
        Err(KeyError::NoKey)
    }
}
