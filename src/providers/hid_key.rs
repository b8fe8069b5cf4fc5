//! Real FIDO security keys on USB (HID), through [`ctap-hid-fido2`](https://docs.rs/ctap-hid-fido2).
//!
//! **Client data hash.** `ctap-hid-fido2` takes a *challenge* and sends
//! `SHA-256(challenge)` to the key as the CTAP2 `clientDataHash`; its public API has no way
//! to send a hash as is (the raw CTAPHID transport is private). [`HidKeys`] passes the
//! `client_data_hash` it is given as that challenge, so a USB key signs
//! `authenticator_data || SHA-256(client_data_hash)`, not
//! `authenticator_data || client_data_hash` as [`SecurityKeys::get_assertion`] documents.
//! [`HidKeys`] overrides [`SecurityKeys::signed_hash`] to say so: verify a key's assertion
//! against the hash it really signed:
//!
//! ```ignore
//! let signed = keys.signed_hash(&client_data_hash);
//! verify::verify_es256(&credential.public_key_cose, &assertion.authenticator_data, &signed, &assertion.signature)?;
//! ```
//!
//! For the local self-test this costs nothing (hashing the client data hash again keeps it
//! fresh and bound to the request); code that verifies must use `signed_hash`.
//!
//! **Output.** The library's debug log (`enable_log`) and its "touch the sensor" keep-alive
//! message are switched off ([`LibCfg`]). A few `println!`s in the library are
//! unconditional and can reach stdout: when a key's answer holds a CBOR member the library
//! doesn't know (`parse_cbor_member - unknown info …` in getInfo, `- unknown field in pin
//! retries response` in getPINRetries, `- anything error` / `Anything Extension!` in
//! makeCredential/getAssertion answers). Panics inside the library (it indexes answers
//! without checks) are caught and reported as [`KeyError::Other`].

use std::panic::{self, AssertUnwindSafe};
use std::time::{Duration, Instant};

use ctap_hid_fido2::fidokey::{GetAssertionArgsBuilder, MakeCredentialArgsBuilder};
use ctap_hid_fido2::{FidoKeyHid, FidoKeyHidFactory, HidParam, LibCfg};
use sha2::{Digest, Sha256};

use crate::fido::verify;
use crate::providers::security_key::{
    Assertion, Credential, KeyDescriptor, KeyError, KeyInfo, SecurityKeys,
};
use crate::secret::Secret;

/// An error that arrives this long after the request while the key still reported
/// "processing"/"waiting for a touch" means the library gave up waiting for the touch.
const TOUCH_WAIT: Duration = Duration::from_secs(25);

/// The USB security keys plugged into this machine (HID usage page 0xF1D0), through
/// `ctap-hid-fido2`. Each call opens the key, does one thing and closes it.
///
/// On Linux the user needs read/write access to `/dev/hidraw*` for the key (the udev rules
/// shipped with libfido2 or by the key's maker); without it opening fails with a message
/// that says so.
#[derive(Clone)]
pub struct HidKeys {
    cfg: LibCfg,
}

impl HidKeys {
    /// USB keys, with all of the library's own output switched off.
    pub fn new() -> HidKeys {
        let mut cfg = LibCfg::init()
            .with_enable_log(false)
            .with_keep_alive_msg_to_stderr(true);
        cfg.enable_keep_alive_msg = false;
        cfg.keep_alive_msg = String::new();
        HidKeys { cfg }
    }

    /// The `clientDataHash` a USB key actually signs when [`HidKeys`] is given
    /// `client_data_hash`: `SHA-256(client_data_hash)`, because `ctap-hid-fido2` hashes the
    /// "challenge" it is given (see the module documentation). Pass this to
    /// [`verify::verify_es256`] for assertions from [`HidKeys`].
    pub fn signed_client_data_hash(client_data_hash: &[u8; 32]) -> [u8; 32] {
        Sha256::digest(client_data_hash).into()
    }

    fn open(&self, key: &KeyDescriptor) -> Result<FidoKeyHid, KeyError> {
        let param = hid_param(&key.path)?;
        guard(|| FidoKeyHidFactory::create_by_params(&[param], &self.cfg))?
            .map_err(|error| open_error(&key.path, &error))
    }
}

impl Default for HidKeys {
    fn default() -> HidKeys {
        HidKeys::new()
    }
}

impl std::fmt::Debug for HidKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HidKeys")
    }
}

impl SecurityKeys for HidKeys {
    fn list(&self) -> Result<Vec<KeyDescriptor>, KeyError> {
        let devices = guard(ctap_hid_fido2::get_fidokey_devices)?;
        let mut keys: Vec<KeyDescriptor> = Vec::new();
        for device in devices {
            let path = match &device.param {
                HidParam::Path(path) => path.clone(),
                HidParam::VidPid { vid, pid } => format!("hid:{vid:04x}:{pid:04x}"),
            };
            if keys.iter().any(|key| key.path == path) {
                continue;
            }
            let product = match device.product_string.trim() {
                "" => format!("FIDO security key {:04x}:{:04x}", device.vid, device.pid),
                name => name.to_string(),
            };
            keys.push(KeyDescriptor { path, product });
        }
        Ok(keys)
    }

    /// CTAP2 getInfo (AAGUID, versions, `clientPin`) and, when a PIN is set, getPINRetries.
    /// A U2F-only key (no CTAP2) reports its U2F version and an all-zero AAGUID.
    fn info(&self, key: &KeyDescriptor) -> Result<KeyInfo, KeyError> {
        let device = self.open(key)?;
        let started = Instant::now();
        let info = match guard(|| device.get_info())? {
            Ok(info) => info,
            Err(error) => {
                if classify(&error) == Failure::Status(CTAP1_ERR_INVALID_COMMAND)
                    && let Ok(Ok(version)) = guard(|| device.get_info_u2f())
                {
                    return Ok(KeyInfo {
                        aaguid: uuid_string(&[0; 16]),
                        versions: vec![version.trim().to_string()],
                        pin_set: false,
                        pin_retries: None,
                    });
                }
                return Err(key_error(&error, &device, started));
            }
        };
        let pin_set = info
            .options
            .iter()
            .any(|(name, value)| name == "clientPin" && *value);
        let pin_retries = if pin_set {
            match guard(|| device.get_pin_retries())? {
                Ok(retries) => u32::try_from(retries).ok(),
                Err(error) => match key_error(&error, &device, started) {
                    removed @ (KeyError::Removed | KeyError::NoKey) => return Err(removed),
                    _ => None,
                },
            }
        } else {
            None
        };
        let aaguid = match <[u8; 16]>::try_from(info.aaguid.as_slice()) {
            Ok(bytes) => uuid_string(&bytes),
            Err(_) => {
                return Err(KeyError::Other(format!(
                    "the key reported a {}-byte AAGUID (16 expected)",
                    info.aaguid.len()
                )));
            }
        };
        Ok(KeyInfo {
            aaguid,
            versions: info.versions.clone(),
            pin_set,
            pin_retries,
        })
    }

    /// CTAPHID_WINK. Keys without the wink capability ignore it (no error).
    fn wink(&self, key: &KeyDescriptor) -> Result<(), KeyError> {
        let device = self.open(key)?;
        let started = Instant::now();
        guard(|| device.wink())?.map_err(|error| key_error(&error, &device, started))
    }

    /// `SHA-256(client_data_hash)`: `ctap-hid-fido2` hashes the challenge it is given (see
    /// the module documentation and [`HidKeys::signed_client_data_hash`]).
    fn signed_hash(&self, client_data_hash: &[u8; 32]) -> [u8; 32] {
        HidKeys::signed_client_data_hash(client_data_hash)
    }

    /// CTAP2 makeCredential: a non-resident ES256 credential, user presence (one touch),
    /// the PIN when given (no UV option otherwise). `client_data_hash` goes to the library
    /// as its challenge: the key receives `SHA-256(client_data_hash)` (see the module
    /// documentation).
    fn make_credential(
        &self,
        key: &KeyDescriptor,
        rp_id: &str,
        client_data_hash: &[u8; 32],
        pin: Option<&Secret>,
    ) -> Result<Credential, KeyError> {
        let device = self.open(key)?;
        let builder = MakeCredentialArgsBuilder::new(rp_id, client_data_hash);
        let args = match pin {
            Some(pin) => builder.pin(pin.expose()),
            None => builder.without_pin_and_uv(),
        }
        .build();
        let started = Instant::now();
        let attestation = guard(|| device.make_credential_with_args(&args))?
            .map_err(|error| key_error(&error, &device, started))?;
        // Read the credential from the raw authenticator data ourselves.
        let attested = verify::attested_credential(&attestation.auth_data).map_err(|error| {
            KeyError::Other(format!("unexpected makeCredential answer: {error}"))
        })?;
        let algorithm = verify::cose_algorithm(&attested.public_key_cose)
            .map_err(|error| KeyError::Other(format!("unexpected credential key: {error}")))?;
        if algorithm != verify::COSE_ALG_ES256 {
            return Err(KeyError::Unsupported(format!(
                "ES256 credentials (the key made COSE algorithm {algorithm})"
            )));
        }
        Ok(Credential {
            id: attested.credential_id,
            public_key_cose: attested.public_key_cose,
            algorithm,
        })
    }

    /// CTAP2 getAssertion for `credential_id`, user presence (one touch), the PIN when
    /// given. The signature covers `authenticator_data || SHA-256(client_data_hash)`:
    /// verify with [`SecurityKeys::signed_hash`].
    fn get_assertion(
        &self,
        key: &KeyDescriptor,
        rp_id: &str,
        client_data_hash: &[u8; 32],
        credential_id: &[u8],
        pin: Option<&Secret>,
    ) -> Result<Assertion, KeyError> {
        let device = self.open(key)?;
        let builder =
            GetAssertionArgsBuilder::new(rp_id, client_data_hash).add_credential_id(credential_id);
        let args = match pin {
            Some(pin) => builder.pin(pin.expose()),
            None => builder.without_pin_and_uv(),
        }
        .build();
        let started = Instant::now();
        let mut assertions = guard(|| device.get_assertion_with_args(&args))?
            .map_err(|error| key_error(&error, &device, started))?;
        if assertions.is_empty() {
            return Err(KeyError::Other("the key returned no assertion".into()));
        }
        let assertion = assertions.swap_remove(0);
        Ok(Assertion {
            authenticator_data: assertion.auth_data,
            signature: assertion.signature,
        })
    }
}

/// Runs a library call, turning a panic inside it into an error. Whatever the library
/// prints (it `println!`s answers it does not understand) goes to stderr, never stdout,
/// which belongs to our output (`--output json` events).
fn guard<T>(call: impl FnOnce() -> T) -> Result<T, KeyError> {
    let _stdout = StdoutToStderr::new();
    panic::catch_unwind(AssertUnwindSafe(call)).map_err(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|text| text.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        KeyError::Other(format!("the USB key library failed: {message}"))
    })
}

/// While alive, file descriptor 1 (stdout) points at stderr; dropping it restores stdout.
struct StdoutToStderr {
    saved: Option<i32>,
}

impl StdoutToStderr {
    fn new() -> StdoutToStderr {
        use std::io::Write;
        let _ = std::io::stdout().flush();
        // SAFETY: dup/dup2 on the process's own standard descriptors; on failure the
        // descriptors are left as they were.
        let saved = unsafe {
            let saved = libc::dup(1);
            if saved >= 0 && libc::dup2(2, 1) < 0 {
                libc::close(saved);
                -1
            } else {
                saved
            }
        };
        StdoutToStderr {
            saved: (saved >= 0).then_some(saved),
        }
    }
}

impl Drop for StdoutToStderr {
    fn drop(&mut self) {
        use std::io::Write;
        let _ = std::io::stdout().flush();
        if let Some(saved) = self.saved {
            // SAFETY: restores the descriptor saved in `new` and closes the copy.
            unsafe {
                libc::dup2(saved, 1);
                libc::close(saved);
            }
        }
    }
}

fn hid_param(path: &str) -> Result<HidParam, KeyError> {
    if let Some(ids) = path.strip_prefix("hid:") {
        let parsed = ids.split_once(':').and_then(|(vid, pid)| {
            Some(HidParam::VidPid {
                vid: u16::from_str_radix(vid, 16).ok()?,
                pid: u16::from_str_radix(pid, 16).ok()?,
            })
        });
        return parsed.ok_or(KeyError::NoKey);
    }
    if path.starts_with("software:") {
        return Err(KeyError::NoKey);
    }
    Ok(HidParam::Path(path.to_string()))
}

fn open_error(path: &str, error: &anyhow::Error) -> KeyError {
    if path.starts_with('/') && !std::path::Path::new(path).exists() {
        return KeyError::NoKey;
    }
    KeyError::Other(format!(
        "cannot open the security key at {path} ({error}): on Linux, check that your user may \
         use it (install the udev rules for FIDO keys, e.g. libfido2's 70-u2f.rules), then \
         unplug it and plug it in again"
    ))
}

const CTAP1_ERR_INVALID_COMMAND: u8 = 0x01;
const CTAP1_ERR_INVALID_PARAMETER: u8 = 0x02;
const CTAP1_ERR_CHANNEL_BUSY: u8 = 0x06;
const CTAP2_ERR_UNSUPPORTED_ALGORITHM: u8 = 0x26;
const CTAP2_ERR_OPERATION_DENIED: u8 = 0x27;
const CTAP2_ERR_UNSUPPORTED_OPTION: u8 = 0x2B;
const CTAP2_ERR_KEEPALIVE_CANCEL: u8 = 0x2D;
const CTAP2_ERR_NO_CREDENTIALS: u8 = 0x2E;
const CTAP2_ERR_USER_ACTION_TIMEOUT: u8 = 0x2F;
const CTAP2_ERR_PIN_INVALID: u8 = 0x31;
const CTAP2_ERR_PIN_BLOCKED: u8 = 0x32;
const CTAP2_ERR_PIN_AUTH_BLOCKED: u8 = 0x34;
const CTAP2_ERR_PIN_NOT_SET: u8 = 0x35;
const CTAP2_ERR_PIN_REQUIRED: u8 = 0x36;
const CTAP2_ERR_PIN_POLICY_VIOLATION: u8 = 0x37;
const CTAP2_ERR_ACTION_TIMEOUT: u8 = 0x3A;
const CTAP2_ERR_UV_BLOCKED: u8 = 0x3C;

/// What a `ctap-hid-fido2` error message says happened. The library reports everything as
/// `anyhow` text, so this reads the text it writes (`ctaphid.rs` in 3.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Failure {
    /// The key answered with this CTAP status (or CTAPHID error) byte.
    Status(u8),
    /// Reading from or writing to the device failed: it went away.
    Io,
    /// Anything else.
    Other,
}

fn classify(error: &anyhow::Error) -> Failure {
    let text = format!("{error:#}");
    if let Some(rest) = text.split("response_status err = 0x").nth(1) {
        let hex: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
        if let Ok(status) = u8::from_str_radix(&hex, 16) {
            return Failure::Status(status);
        }
    }
    if text.contains("read err") || text.contains("read error") || text.contains("write error") {
        return Failure::Io;
    }
    Failure::Other
}

/// Maps a library error to what the guide tells the user; reads the PIN retries from the
/// key after a wrong PIN.
fn key_error(error: &anyhow::Error, device: &FidoKeyHid, started: Instant) -> KeyError {
    failure_to_key_error(
        classify(error),
        &format!("{error:#}"),
        started.elapsed(),
        || match guard(|| device.get_pin_retries()) {
            Ok(Ok(retries)) => u32::try_from(retries).ok(),
            _ => None,
        },
    )
}

fn failure_to_key_error(
    failure: Failure,
    text: &str,
    elapsed: Duration,
    pin_retries: impl FnOnce() -> Option<u32>,
) -> KeyError {
    let status = match failure {
        Failure::Io => return KeyError::Removed,
        Failure::Other => return KeyError::Other(text.to_string()),
        Failure::Status(status) => status,
    };
    match status {
        // The library stops waiting after ~500 keep-alives and reports the last keep-alive
        // status (1 = processing, 2 = waiting for a touch) as if it were an error code.
        CTAP1_ERR_INVALID_COMMAND | CTAP1_ERR_INVALID_PARAMETER if elapsed >= TOUCH_WAIT => {
            KeyError::TouchTimeout
        }
        CTAP1_ERR_INVALID_COMMAND => KeyError::Unsupported(
            "FIDO2 (CTAP2) commands: this key speaks only U2F, so the local self-test can't run on it"
                .into(),
        ),
        CTAP1_ERR_CHANNEL_BUSY => KeyError::Other(
            "the key is busy with another program (a browser?): close it and try again".into(),
        ),
        CTAP2_ERR_UNSUPPORTED_ALGORITHM => {
            KeyError::Unsupported("ES256 (ECDSA P-256) credentials".into())
        }
        CTAP2_ERR_UNSUPPORTED_OPTION => {
            KeyError::Unsupported(format!("an option of the request ({text})"))
        }
        // OPERATION_DENIED: the user did not confirm (some keys answer it on a timeout).
        CTAP2_ERR_OPERATION_DENIED
        | CTAP2_ERR_KEEPALIVE_CANCEL
        | CTAP2_ERR_USER_ACTION_TIMEOUT
        | CTAP2_ERR_ACTION_TIMEOUT => KeyError::TouchTimeout,
        CTAP2_ERR_NO_CREDENTIALS => {
            KeyError::Other("the key holds no such credential for this site".into())
        }
        CTAP2_ERR_PIN_INVALID => match pin_retries() {
            Some(0) => KeyError::PinBlocked,
            Some(retries) => KeyError::WrongPin { retries },
            None => KeyError::Other("wrong PIN".into()),
        },
        CTAP2_ERR_PIN_BLOCKED => KeyError::PinBlocked,
        CTAP2_ERR_PIN_AUTH_BLOCKED => KeyError::Other(
            "too many wrong PINs in a row: unplug the key, plug it in again, and retry".into(),
        ),
        CTAP2_ERR_PIN_NOT_SET => KeyError::Other(
            "a PIN was given but this key has none: continue without a PIN".into(),
        ),
        CTAP2_ERR_PIN_REQUIRED => KeyError::PinRequired,
        CTAP2_ERR_PIN_POLICY_VIOLATION => {
            KeyError::Other("the key rejected the PIN: it breaks the key's PIN policy".into())
        }
        CTAP2_ERR_UV_BLOCKED => KeyError::Other(
            "the key's built-in user verification is blocked: use its PIN".into(),
        ),
        _ => KeyError::Other(text.to_string()),
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

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::anyhow;

    const QUICK: Duration = Duration::from_millis(50);

    fn map(message: &str, elapsed: Duration, retries: Option<u32>) -> KeyError {
        let error = anyhow!(message.to_string());
        failure_to_key_error(classify(&error), &format!("{error:#}"), elapsed, || retries)
    }

    #[test]
    fn is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<HidKeys>();
    }

    #[test]
    fn the_library_error_texts_are_classified() {
        assert_eq!(
            classify(&anyhow!(
                "response_status err = 0x31 CTAP2_ERR_PIN_INVALID   PIN Invalid."
            )),
            Failure::Status(0x31)
        );
        assert_eq!(
            classify(&anyhow!("response_status err = 0x7")),
            Failure::Status(0x07)
        );
        assert_eq!(classify(&anyhow!("read err = 0xFE")), Failure::Io);
        assert_eq!(classify(&anyhow!("write error")), Failure::Io);
        assert_eq!(
            classify(&anyhow!("Nonce verification failed")),
            Failure::Other
        );
    }

    #[test]
    fn ctap_statuses_map_to_key_errors() {
        let pin_invalid = "response_status err = 0x31 CTAP2_ERR_PIN_INVALID   PIN Invalid.";
        assert_eq!(
            map(pin_invalid, QUICK, Some(5)),
            KeyError::WrongPin { retries: 5 }
        );
        assert_eq!(map(pin_invalid, QUICK, Some(0)), KeyError::PinBlocked);
        assert!(matches!(map(pin_invalid, QUICK, None), KeyError::Other(_)));
        assert_eq!(
            map(
                "response_status err = 0x32 CTAP2_ERR_PIN_BLOCKED PIN Blocked.",
                QUICK,
                None
            ),
            KeyError::PinBlocked
        );
        assert_eq!(
            map(
                "response_status err = 0x36 CTAP2_ERR_PIN_REQUIRED",
                QUICK,
                None
            ),
            KeyError::PinRequired
        );
        assert_eq!(
            map(
                "response_status err = 0x2F CTAP2_ERR_USER_ACTION_TIMEOUT",
                QUICK,
                None
            ),
            KeyError::TouchTimeout
        );
        assert_eq!(
            map(
                "response_status err = 0x27 CTAP2_ERR_OPERATION_DENIED",
                QUICK,
                None
            ),
            KeyError::TouchTimeout
        );
        assert!(matches!(
            map(
                "response_status err = 0x01 CTAP1_ERR_INVALID_COMMAND",
                QUICK,
                None
            ),
            KeyError::Unsupported(_)
        ));
        // The library's keep-alive loop ran out: the "status" is the keep-alive status.
        assert_eq!(
            map(
                "response_status err = 0x02 CTAP1_ERR_INVALID_PARAMETER",
                Duration::from_secs(55),
                None
            ),
            KeyError::TouchTimeout
        );
        assert!(matches!(
            map(
                "response_status err = 0x26 CTAP2_ERR_UNSUPPORTED_ALGORITHM",
                QUICK,
                None
            ),
            KeyError::Unsupported(_)
        ));
        assert_eq!(map("read err = 0xFE", QUICK, None), KeyError::Removed);
        assert!(matches!(
            map("response_status err = 0x34 CTAP2_ERR_PIN_AUTH_BLOCKED", QUICK, None),
            KeyError::Other(message) if message.contains("unplug")
        ));
    }

    #[test]
    fn paths_and_open_errors() {
        assert!(matches!(hid_param("/dev/hidraw3"), Ok(HidParam::Path(p)) if p == "/dev/hidraw3"));
        assert!(matches!(
            hid_param("hid:1050:0407"),
            Ok(HidParam::VidPid {
                vid: 0x1050,
                pid: 0x0407
            })
        ));
        assert!(matches!(hid_param("hid:zz"), Err(KeyError::NoKey)));
        assert!(matches!(hid_param("software:0"), Err(KeyError::NoKey)));
        assert_eq!(
            open_error(
                "/dev/hidraw-that-does-not-exist",
                &anyhow!("Failed to open device.")
            ),
            KeyError::NoKey
        );
        assert!(matches!(
            open_error("/dev/null", &anyhow!("Failed to open device.")),
            KeyError::Other(message) if message.contains("udev")
        ));
        assert_eq!(
            uuid_string(&[
                0xcb, 0x69, 0x48, 0x1e, 0x8f, 0xf7, 0x40, 0x39, 0x93, 0xec, 0x0a, 0x27, 0x29, 0xa1,
                0x54, 0xa8
            ]),
            "cb69481e-8ff7-4039-93ec-0a2729a154a8"
        );
    }

    #[test]
    fn the_signed_hash_is_sha256_of_the_given_hash() {
        let given = [7; 32];
        let expected: [u8; 32] = Sha256::digest([7; 32]).into();
        assert_eq!(HidKeys::signed_client_data_hash(&given), expected);
        assert_eq!(HidKeys::new().signed_hash(&given), expected);
    }

    #[test]
    fn listing_never_panics() {
        // With no key plugged in (CI) the list is empty; a failure of the HID layer is an
        // error value, never a panic.
        match HidKeys::new().list() {
            Ok(keys) => assert!(keys.iter().all(|key| !key.path.is_empty())),
            Err(error) => assert!(matches!(error, KeyError::Other(_)), "{error}"),
        }
    }

    /// The whole self-test on real hardware.
    ///
    /// Plug in one FIDO2 key, run
    /// `cargo test --lib hid_key -- --ignored --nocapture`,
    /// and touch the key twice when it blinks (once to make the credential, once to sign).
    /// If the key has a PIN, set `RUNBOOK_TEST_KEY_PIN` in the environment (wrong PINs count
    /// against the key's retries).
    #[test]
    #[ignore = "needs a FIDO2 security key: plug one in, run `cargo test --lib hid_key -- --ignored --nocapture`, touch it twice"]
    fn self_test_with_a_real_key() {
        let keys = HidKeys::new();
        let listed = keys.list().unwrap();
        eprintln!("keys: {listed:?}");
        let key = listed.first().expect("no FIDO key found: plug one in");

        let info = keys.info(key).unwrap();
        eprintln!("info: {info:?}");
        keys.wink(key).unwrap();

        let pin = std::env::var("RUNBOOK_TEST_KEY_PIN").ok().map(Secret::new);
        if info.pin_set && pin.is_none() {
            eprintln!("the key has a PIN; if it needs it, set RUNBOOK_TEST_KEY_PIN");
        }
        let rp_id = "runbook.invalid";

        eprintln!("touch the key (1/2: make a credential)…");
        let registration: [u8; 32] = Sha256::digest(b"runbook hid self-test registration").into();
        let credential = keys
            .make_credential(key, rp_id, &registration, pin.as_ref())
            .unwrap();
        assert_eq!(credential.algorithm, -7);

        eprintln!("touch the key (2/2: sign)…");
        let challenge: [u8; 32] = Sha256::digest(b"runbook hid self-test assertion").into();
        let assertion = keys
            .get_assertion(key, rp_id, &challenge, &credential.id, pin.as_ref())
            .unwrap();

        let signed = keys.signed_hash(&challenge);
        verify::verify_es256(
            &credential.public_key_cose,
            &assertion.authenticator_data,
            &signed,
            &assertion.signature,
        )
        .unwrap();
        // The hash we were given is not what the key signed (see the module docs).
        assert!(
            verify::verify_es256(
                &credential.public_key_cose,
                &assertion.authenticator_data,
                &challenge,
                &assertion.signature,
            )
            .is_err()
        );
        let flags = verify::authenticator_flags(&assertion.authenticator_data).unwrap();
        assert!(flags.user_present);
        assert!(verify::rp_id_hash_matches(
            &assertion.authenticator_data,
            rp_id
        ));
        eprintln!(
            "verified: ES256, user present, counter {}",
            verify::signature_counter(&assertion.authenticator_data).unwrap()
        );
    }
}
