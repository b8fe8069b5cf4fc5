//! A software FIDO2 security key for tests and the sandbox, NOT written by us: the CTAP2
//! authenticator is 1Password's [`passkey-authenticator`](https://docs.rs/passkey-authenticator)
//! (its RustCrypto backend makes the ES256 keys and signatures); requests and responses are
//! its `passkey-types` CTAP2 types. Our code only adapts it to [`SecurityKeys`]: a private
//! current-thread tokio runtime drives the async authenticator, user presence is granted
//! automatically (as if the user touched the key at once), and the key can be "plugged in"
//! late to test code that waits for a key.
//!
//! Limitations: the authenticator implements no clientPin (PIN) protocol and no built-in
//! user verification, so the key reports no PIN (`pin_set: false`), refuses a PIN with
//! [`KeyError::Unsupported`], and never sets the UV flag. Credentials live in memory only.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use coset::iana;
use passkey_authenticator::{
    Authenticator, CredentialStore, MemoryStore, StoreInfo, UiHint, UserCheck, UserValidationMethod,
};
use passkey_crypto::AvailableBackend;
use passkey_types::Passkey;
use passkey_types::ctap2::make_credential::{
    Options as MakeCredentialOptions, PublicKeyCredentialRpEntity, PublicKeyCredentialUserEntity,
};
use passkey_types::ctap2::{
    Aaguid, Ctap2Error, StatusCode, get_assertion, get_info::Version, make_credential,
};
use passkey_types::webauthn;

use crate::fido::verify;
use crate::providers::security_key::{
    Assertion, Credential, KeyDescriptor, KeyError, KeyInfo, SecurityKeys,
};
use crate::secret::Secret;

/// The software key's AAGUID, `fd75f934-6a9e-4978-872e-6113e170f07c` (a random UUID of our
/// own, so the key is recognisable; it is in no FIDO metadata).
pub const SOFTWARE_KEY_AAGUID: [u8; 16] = [
    0xfd, 0x75, 0xf9, 0x34, 0x6a, 0x9e, 0x49, 0x78, 0x87, 0x2e, 0x61, 0x13, 0xe1, 0x70, 0xf0, 0x7c,
];

type SoftAuthenticator = Authenticator<RpBoundStore, AutoPresence, AvailableBackend>;

/// One software security key (`software:0`), backed by `passkey-authenticator`.
///
/// `Send + Sync`: the trait takes `&self`, so the authenticator (and its credential store)
/// sits behind a [`Mutex`], and the plugged-in state is atomic; share it with [`std::sync::Arc`]
/// to plug it in from another thread while something waits for it.
///
/// Every call blocks on a private current-thread tokio runtime. Called from inside another
/// tokio runtime, the work moves to a scoped thread (a runtime can't block inside another).
pub struct SoftwareKeys {
    runtime: tokio::runtime::Runtime,
    authenticator: Mutex<SoftAuthenticator>,
    plugged_in: AtomicBool,
    /// Whether the simulated user touches the key when asked (see [`SoftwareKeys::set_touch`]).
    touch: Arc<AtomicBool>,
    /// `list()` calls left before the key plugs itself in (see [`SoftwareKeys::plugs_in_after`]).
    lists_before_plug_in: AtomicUsize,
}

impl SoftwareKeys {
    /// The path of the one software key.
    pub const PATH: &'static str = "software:0";
    /// The product name the software key reports.
    pub const PRODUCT: &'static str = "runbook software key (passkey-authenticator)";

    /// A software key, plugged in.
    ///
    /// # Panics
    ///
    /// If the operating system refuses the resources of a tokio current-thread runtime.
    pub fn new() -> SoftwareKeys {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread tokio runtime for the software security key");
        let touch = Arc::new(AtomicBool::new(true));
        let mut authenticator = Authenticator::new(
            Aaguid::from(SOFTWARE_KEY_AAGUID),
            RpBoundStore::default(),
            AutoPresence {
                touch: Arc::clone(&touch),
            },
            AvailableBackend,
        );
        // Count signatures, as USB keys do (the library's default is no counter).
        authenticator.set_make_credentials_with_signature_counter(true);
        SoftwareKeys {
            runtime,
            authenticator: Mutex::new(authenticator),
            plugged_in: AtomicBool::new(true),
            touch,
            lists_before_plug_in: AtomicUsize::new(0),
        }
    }

    /// A software key that is not plugged in yet: `list()` returns nothing until
    /// [`SoftwareKeys::plug_in`].
    pub fn unplugged() -> SoftwareKeys {
        let keys = SoftwareKeys::new();
        keys.unplug();
        keys
    }

    /// A software key that plugs itself in after `lists` calls to `list()` that found
    /// nothing: a deterministic way to test code that polls for a key, with no threads or
    /// sleeps. `plugs_in_after(0)` is plugged in from the start.
    pub fn plugs_in_after(lists: usize) -> SoftwareKeys {
        let keys = SoftwareKeys::new();
        if lists > 0 {
            keys.unplug();
            keys.lists_before_plug_in.store(lists, Ordering::SeqCst);
        }
        keys
    }

    /// Plug the key in (its credentials are kept while unplugged).
    pub fn plug_in(&self) {
        self.lists_before_plug_in.store(0, Ordering::SeqCst);
        self.plugged_in.store(true, Ordering::SeqCst);
    }

    /// Unplug the key: `list()` returns nothing and operations fail with [`KeyError::NoKey`].
    pub fn unplug(&self) {
        self.plugged_in.store(false, Ordering::SeqCst);
    }

    /// Whether the simulated user touches the key when it asks (the default). With `false`,
    /// the user-validation hook reports no presence, the authenticator refuses with
    /// CTAP2_ERR_OPERATION_DENIED, and operations fail with [`KeyError::TouchTimeout`].
    pub fn set_touch(&self, touch: bool) {
        self.touch.store(touch, Ordering::SeqCst);
    }

    /// Whether the key is plugged in now.
    pub fn is_plugged_in(&self) -> bool {
        self.plugged_in.load(Ordering::SeqCst)
    }

    /// The descriptor `list()` returns for the software key.
    pub fn descriptor() -> KeyDescriptor {
        KeyDescriptor {
            path: SoftwareKeys::PATH.into(),
            product: SoftwareKeys::PRODUCT.into(),
        }
    }

    /// How many credentials the key holds (each `make_credential` adds one).
    pub fn credential_count(&self) -> usize {
        self.lock().store().credentials.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SoftAuthenticator> {
        // A panic while the lock was held leaves no broken invariant in a credential map.
        self.authenticator
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs a future of the authenticator to completion on the private runtime.
    fn block_on<F: Future + Send>(&self, future: F) -> F::Output
    where
        F::Output: Send,
    {
        if tokio::runtime::Handle::try_current().is_ok() {
            std::thread::scope(|scope| {
                scope
                    .spawn(|| self.runtime.block_on(future))
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
        } else {
            self.runtime.block_on(future)
        }
    }

    /// The key must be ours and plugged in.
    fn check(&self, key: &KeyDescriptor) -> Result<(), KeyError> {
        if key.path != SoftwareKeys::PATH || !self.is_plugged_in() {
            return Err(KeyError::NoKey);
        }
        Ok(())
    }
}

impl Default for SoftwareKeys {
    fn default() -> SoftwareKeys {
        SoftwareKeys::new()
    }
}

impl std::fmt::Debug for SoftwareKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoftwareKeys")
            .field("plugged_in", &self.is_plugged_in())
            .finish_non_exhaustive()
    }
}

impl SecurityKeys for SoftwareKeys {
    fn list(&self) -> Result<Vec<KeyDescriptor>, KeyError> {
        if !self.is_plugged_in() {
            let before = self.lists_before_plug_in.fetch_update(
                Ordering::SeqCst,
                Ordering::SeqCst,
                |left| left.checked_sub(1),
            );
            if before == Ok(1) {
                // This call finds nothing; the next one finds the key.
                self.plug_in();
            }
            return Ok(Vec::new());
        }
        Ok(vec![SoftwareKeys::descriptor()])
    }

    /// From the authenticator's CTAP2 getInfo: AAGUID, versions, and `clientPin` (absent,
    /// so `pin_set` is false).
    fn info(&self, key: &KeyDescriptor) -> Result<KeyInfo, KeyError> {
        self.check(key)?;
        let authenticator = self.lock();
        let info = self.block_on(authenticator.get_info());
        let versions = info
            .versions
            .iter()
            .map(|version| match version {
                Version::FIDO_2_0 => "FIDO_2_0".to_string(),
                Version::FIDO_2_1 => "FIDO_2_1".to_string(),
                Version::Unknown(other) => other.clone(),
            })
            .collect();
        let pin_set = info
            .options
            .as_ref()
            .and_then(|options| options.client_pin)
            .unwrap_or(false);
        Ok(KeyInfo {
            aaguid: uuid_string(&info.aaguid.0),
            versions,
            pin_set,
            pin_retries: None,
        })
    }

    /// Nothing to blink.
    fn wink(&self, key: &KeyDescriptor) -> Result<(), KeyError> {
        self.check(key)
    }

    /// CTAP2 authenticatorMakeCredential through `passkey-authenticator`: ES256, user
    /// presence, no user verification, `client_data_hash` passed as is.
    fn make_credential(
        &self,
        key: &KeyDescriptor,
        rp_id: &str,
        client_data_hash: &[u8; 32],
        pin: Option<&Secret>,
    ) -> Result<Credential, KeyError> {
        self.check(key)?;
        refuse_pin(pin)?;
        let request = make_credential::Request {
            client_data_hash: client_data_hash.to_vec().into(),
            rp: PublicKeyCredentialRpEntity {
                id: rp_id.into(),
                name: None,
            },
            user: webauthn::PublicKeyCredentialUserEntity {
                id: b"runbook-self-test".to_vec().into(),
                name: "runbook self-test".into(),
                display_name: "runbook self-test".into(),
            },
            pub_key_cred_params: vec![iana::Algorithm::ES256.into()],
            exclude_list: None,
            extensions: None,
            options: MakeCredentialOptions {
                rk: false,
                up: true,
                uv: false,
            },
            pin_auth: None,
            pin_protocol: None,
        };
        let mut authenticator = self.lock();
        let response = self
            .block_on(authenticator.make_credential(request))
            .map_err(key_error)?;
        // Read the credential from the raw bytes, as a relying party would.
        let attested =
            verify::attested_credential(&response.auth_data.to_vec()).map_err(|error| {
                KeyError::Other(format!("unexpected makeCredential answer: {error}"))
            })?;
        let algorithm = verify::cose_algorithm(&attested.public_key_cose)
            .map_err(|error| KeyError::Other(format!("unexpected credential key: {error}")))?;
        Ok(Credential {
            id: attested.credential_id,
            public_key_cose: attested.public_key_cose,
            algorithm,
        })
    }

    /// CTAP2 authenticatorGetAssertion through `passkey-authenticator`: the signature covers
    /// `authenticator_data || client_data_hash`, with `client_data_hash` passed as is.
    fn get_assertion(
        &self,
        key: &KeyDescriptor,
        rp_id: &str,
        client_data_hash: &[u8; 32],
        credential_id: &[u8],
        pin: Option<&Secret>,
    ) -> Result<Assertion, KeyError> {
        self.check(key)?;
        refuse_pin(pin)?;
        let request = get_assertion::Request {
            rp_id: rp_id.into(),
            client_data_hash: client_data_hash.to_vec().into(),
            allow_list: Some(vec![webauthn::PublicKeyCredentialDescriptor {
                ty: webauthn::PublicKeyCredentialType::PublicKey,
                id: credential_id.to_vec().into(),
                transports: None,
            }]),
            extensions: None,
            options: get_assertion::Options {
                up: true,
                uv: false,
            },
            pin_auth: None,
            pin_protocol: None,
        };
        let mut authenticator = self.lock();
        let response = self
            .block_on(authenticator.get_assertion(request))
            .map_err(key_error)?;
        Ok(Assertion {
            authenticator_data: response.auth_data.to_vec(),
            signature: response.signature.into(),
        })
    }
}

fn refuse_pin(pin: Option<&Secret>) -> Result<(), KeyError> {
    match pin {
        Some(_) => Err(KeyError::Unsupported(
            "a PIN: the software key has none (passkey-authenticator implements no clientPin); \
             continue without a PIN"
                .into(),
        )),
        None => Ok(()),
    }
}

/// Maps a CTAP2 status from the authenticator to what the guide tells the user.
fn key_error(status: StatusCode) -> KeyError {
    match status {
        StatusCode::Known(Ctap2Error::NoCredentials | Ctap2Error::InvalidCredential) => {
            KeyError::Other("the key holds no such credential for this site".into())
        }
        StatusCode::Known(Ctap2Error::UnsupportedAlgorithm) => {
            KeyError::Unsupported("ES256 (ECDSA P-256) credentials".into())
        }
        StatusCode::Known(
            error @ (Ctap2Error::UnsupportedOption
            | Ctap2Error::InvalidOption
            | Ctap2Error::PinAuthInvalid),
        ) => KeyError::Unsupported(format!("the requested options ({error:?})")),
        StatusCode::Known(
            Ctap2Error::OperationDenied | Ctap2Error::UserActionTimeout | Ctap2Error::ActionTimeout,
        ) => KeyError::TouchTimeout,
        StatusCode::Known(Ctap2Error::PuatRequired) => KeyError::PinRequired,
        StatusCode::Known(Ctap2Error::PinBlocked) => KeyError::PinBlocked,
        other => {
            let description = format!("{other:?}");
            let code = u8::from(other);
            KeyError::Other(format!("CTAP2 error {code:#04x} ({description})"))
        }
    }
}

/// `8-4-4-4-12` lowercase hex.
fn uuid_string(bytes: &[u8; 16]) -> String {
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// User presence, granted at once unless [`SoftwareKeys::set_touch`] turned it off; no
/// user verification (the "touch" of the software key).
struct AutoPresence {
    touch: Arc<AtomicBool>,
}

#[async_trait::async_trait]
impl UserValidationMethod for AutoPresence {
    type PasskeyItem = Passkey;

    async fn check_user<'a>(
        &self,
        _hint: UiHint<'a, Passkey>,
        presence: bool,
        _verification: bool,
    ) -> Result<UserCheck, Ctap2Error> {
        Ok(UserCheck {
            presence: presence && self.touch.load(Ordering::SeqCst),
            verification: false,
        })
    }

    fn is_presence_enabled(&self) -> bool {
        true
    }

    fn is_verification_enabled(&self) -> Option<bool> {
        None
    }
}

/// The library's in-memory store, but credentials answer only for the relying party they
/// were made for (as on a real key; `MemoryStore` itself ignores the rp id).
#[derive(Default)]
struct RpBoundStore {
    credentials: MemoryStore,
}

#[async_trait::async_trait]
impl CredentialStore for RpBoundStore {
    type PasskeyItem = Passkey;

    async fn find_credentials(
        &self,
        ids: Option<&[webauthn::PublicKeyCredentialDescriptor]>,
        rp_id: &str,
        user_handle: Option<&[u8]>,
    ) -> Result<Vec<Passkey>, StatusCode> {
        let found: Vec<Passkey> = self
            .credentials
            .find_credentials(ids, rp_id, user_handle)
            .await?
            .into_iter()
            .filter(|passkey| passkey.rp_id == rp_id)
            .collect();
        if found.is_empty() {
            return Err(Ctap2Error::NoCredentials.into());
        }
        Ok(found)
    }

    async fn save_credential(
        &mut self,
        credential: Passkey,
        user: PublicKeyCredentialUserEntity,
        rp: PublicKeyCredentialRpEntity,
        options: MakeCredentialOptions,
    ) -> Result<(), StatusCode> {
        self.credentials
            .save_credential(credential, user, rp, options)
            .await
    }

    async fn update_credential(&mut self, credential: &Passkey) -> Result<(), StatusCode> {
        self.credentials.update_credential(credential).await
    }

    async fn get_info(&self) -> StoreInfo {
        self.credentials.get_info().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fido::verify::{VerifyError, authenticator_flags, rp_id_hash_matches, verify_es256};
    use sha2::{Digest, Sha256};

    const RP_ID: &str = "runbook.invalid";

    fn client_data_hash(text: &str) -> [u8; 32] {
        Sha256::digest(text.as_bytes()).into()
    }

    #[test]
    fn is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<SoftwareKeys>();
    }

    #[test]
    fn lists_one_key_and_reports_getinfo() {
        let keys = SoftwareKeys::new();
        let listed = keys.list().unwrap();
        assert_eq!(
            listed,
            vec![KeyDescriptor {
                path: "software:0".into(),
                product: "runbook software key (passkey-authenticator)".into(),
            }]
        );
        let info = keys.info(&listed[0]).unwrap();
        assert_eq!(info.aaguid, "fd75f934-6a9e-4978-872e-6113e170f07c");
        assert_eq!(info.versions, vec!["FIDO_2_0", "FIDO_2_1"]);
        assert!(!info.pin_set);
        assert_eq!(info.pin_retries, None);
        assert_eq!(keys.wink(&listed[0]), Ok(()));
    }

    #[test]
    fn a_credential_and_an_assertion_verify_independently() {
        let keys = SoftwareKeys::new();
        let key = SoftwareKeys::descriptor();
        let registration = client_data_hash("registration");
        let credential = keys
            .make_credential(&key, RP_ID, &registration, None)
            .unwrap();
        assert_eq!(credential.algorithm, -7);
        assert!(!credential.id.is_empty());
        assert_eq!(keys.credential_count(), 1);

        let challenge = client_data_hash("login");
        let assertion = keys
            .get_assertion(&key, RP_ID, &challenge, &credential.id, None)
            .unwrap();
        // The library signs the client data hash as given.
        assert_eq!(keys.signed_hash(&challenge), challenge);
        assert_eq!(
            verify_es256(
                &credential.public_key_cose,
                &assertion.authenticator_data,
                &challenge,
                &assertion.signature
            ),
            Ok(())
        );
        let flags = authenticator_flags(&assertion.authenticator_data).unwrap();
        assert!(flags.user_present);
        assert!(!flags.user_verified);
        assert!(!flags.attested_credential_data);
        assert!(rp_id_hash_matches(&assertion.authenticator_data, RP_ID));
        assert!(!rp_id_hash_matches(
            &assertion.authenticator_data,
            "example.com"
        ));
    }

    #[test]
    fn tampering_or_another_client_data_hash_fails_verification() {
        let keys = SoftwareKeys::new();
        let key = SoftwareKeys::descriptor();
        let credential = keys
            .make_credential(&key, RP_ID, &client_data_hash("registration"), None)
            .unwrap();
        let challenge = client_data_hash("login");
        let assertion = keys
            .get_assertion(&key, RP_ID, &challenge, &credential.id, None)
            .unwrap();
        let verify = |data: &[u8], hash: &[u8; 32], signature: &[u8]| {
            verify_es256(&credential.public_key_cose, data, hash, signature)
        };
        assert_eq!(
            verify(
                &assertion.authenticator_data,
                &challenge,
                &assertion.signature
            ),
            Ok(())
        );

        let mut signature = assertion.signature.clone();
        *signature.last_mut().unwrap() ^= 0x01;
        assert_eq!(
            verify(&assertion.authenticator_data, &challenge, &signature),
            Err(VerifyError::BadSignature)
        );

        let mut data = assertion.authenticator_data.clone();
        data[32] ^= 0x04; // claim user verification
        assert_eq!(
            verify(&data, &challenge, &assertion.signature),
            Err(VerifyError::BadSignature)
        );

        assert_eq!(
            verify(
                &assertion.authenticator_data,
                &client_data_hash("another login"),
                &assertion.signature
            ),
            Err(VerifyError::BadSignature)
        );
    }

    #[test]
    fn credentials_are_bound_to_their_relying_party() {
        let keys = SoftwareKeys::new();
        let key = SoftwareKeys::descriptor();
        let credential = keys.make_credential(&key, RP_ID, &[1; 32], None).unwrap();
        let error = keys
            .get_assertion(&key, "example.com", &[2; 32], &credential.id, None)
            .unwrap_err();
        assert!(matches!(error, KeyError::Other(_)), "{error}");
        let error = keys
            .get_assertion(&key, RP_ID, &[2; 32], b"no such credential", None)
            .unwrap_err();
        assert!(matches!(error, KeyError::Other(_)), "{error}");
    }

    #[test]
    fn the_signature_counter_increases() {
        let keys = SoftwareKeys::new();
        let key = SoftwareKeys::descriptor();
        let credential = keys.make_credential(&key, RP_ID, &[1; 32], None).unwrap();
        let counter = |hash: &[u8; 32]| {
            let assertion = keys
                .get_assertion(&key, RP_ID, hash, &credential.id, None)
                .unwrap();
            verify::signature_counter(&assertion.authenticator_data).unwrap()
        };
        let first = counter(&[2; 32]);
        let second = counter(&[3; 32]);
        assert!(first >= 1, "{first}");
        assert_eq!(second, first + 1);
    }

    #[test]
    fn no_touch_is_a_touch_timeout() {
        let keys = SoftwareKeys::new();
        let key = SoftwareKeys::descriptor();
        let credential = keys.make_credential(&key, RP_ID, &[1; 32], None).unwrap();
        keys.set_touch(false);
        assert_eq!(
            keys.make_credential(&key, RP_ID, &[1; 32], None),
            Err(KeyError::TouchTimeout)
        );
        assert_eq!(
            keys.get_assertion(&key, RP_ID, &[2; 32], &credential.id, None),
            Err(KeyError::TouchTimeout)
        );
        assert_eq!(keys.credential_count(), 1);
        keys.set_touch(true);
        assert!(
            keys.get_assertion(&key, RP_ID, &[2; 32], &credential.id, None)
                .is_ok()
        );
    }

    #[test]
    fn a_pin_is_refused_clearly() {
        let keys = SoftwareKeys::new();
        let error = keys
            .make_credential(
                &SoftwareKeys::descriptor(),
                RP_ID,
                &[0; 32],
                Some(&Secret::new("123456")),
            )
            .unwrap_err();
        assert!(matches!(error, KeyError::Unsupported(_)));
        assert!(!error.to_string().contains("123456"));
    }

    #[test]
    fn an_unplugged_key_lists_none_until_plugged_in() {
        let keys = SoftwareKeys::unplugged();
        assert_eq!(keys.list().unwrap(), vec![]);
        assert_eq!(keys.info(&SoftwareKeys::descriptor()), Err(KeyError::NoKey));
        assert_eq!(
            keys.make_credential(&SoftwareKeys::descriptor(), RP_ID, &[0; 32], None),
            Err(KeyError::NoKey)
        );
        keys.plug_in();
        assert_eq!(keys.list().unwrap(), vec![SoftwareKeys::descriptor()]);
        assert!(keys.info(&SoftwareKeys::descriptor()).is_ok());

        let other = KeyDescriptor {
            path: "/dev/hidraw0".into(),
            product: "YubiKey".into(),
        };
        assert_eq!(keys.wink(&other), Err(KeyError::NoKey));
    }

    #[test]
    fn plugs_in_after_a_number_of_empty_lists() {
        let keys = SoftwareKeys::plugs_in_after(2);
        assert!(keys.list().unwrap().is_empty());
        assert!(keys.list().unwrap().is_empty());
        assert_eq!(keys.list().unwrap().len(), 1);
        assert_eq!(keys.list().unwrap().len(), 1);
        assert_eq!(SoftwareKeys::plugs_in_after(0).list().unwrap().len(), 1);
    }

    #[test]
    fn can_be_plugged_in_from_another_thread_while_polling() {
        let keys = Arc::new(SoftwareKeys::unplugged());
        let plugger = {
            let keys = Arc::clone(&keys);
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(20));
                keys.plug_in();
            })
        };
        let mut polls = 0;
        while keys.list().unwrap().is_empty() {
            polls += 1;
            assert!(polls < 500, "the key never appeared");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        plugger.join().unwrap();
    }

    #[test]
    fn works_when_called_from_inside_a_tokio_runtime() {
        let keys = SoftwareKeys::new();
        let outer = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let info = outer.block_on(async { keys.info(&SoftwareKeys::descriptor()) });
        assert!(info.is_ok());
    }
}
