//! Checks what a FIDO security key returned, independently of the libraries that talk to
//! keys (`ctap-hid-fido2` for USB keys, `passkey-authenticator` for the software key):
//! the COSE public key is parsed with `coset`, the signature is checked with RustCrypto's
//! `p256`, and the authenticator data is read byte by byte here, following
//! [WebAuthn §6.1](https://www.w3.org/TR/webauthn-3/#sctn-authenticator-data):
//!
//! ```text
//! rpIdHash (32) | flags (1) | signCount (4, big-endian) | [attestedCredentialData] | [extensions]
//! attestedCredentialData = aaguid (16) | credentialIdLength (2) | credentialId | credentialPublicKey (COSE_Key, CBOR)
//! ```
//!
//! An assertion signature is ECDSA over `authenticatorData || clientDataHash`.

use std::io::Cursor;

use coset::cbor::value::Value;
use coset::iana::{self, EnumI64};
use coset::{Algorithm, CborSerializable, CoseKey, KeyType, Label, RegisteredLabelWithPrivate};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};

/// The COSE algorithm identifier of ES256 (ECDSA with SHA-256 on P-256).
pub const COSE_ALG_ES256: i64 = -7;

/// Length of the fixed part of authenticator data: rpIdHash, flags, signCount.
const FIXED_LEN: usize = 32 + 1 + 4;

/// Why a key's answer does not check out.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The authenticator data is shorter than its fixed part (or than what it announces).
    #[error("authenticator data is malformed: {0}")]
    MalformedAuthenticatorData(String),
    /// The public key is not a CBOR-encoded COSE_Key.
    #[error("the public key is not a valid COSE_Key: {0}")]
    MalformedKey(String),
    /// The COSE key type is not EC2 (2).
    #[error("unsupported COSE key type {0}: only EC2 (2) keys are supported")]
    UnsupportedKeyType(String),
    /// The COSE algorithm is not ES256 (-7).
    #[error("unsupported COSE algorithm {0}: only ES256 (-7) is supported")]
    UnsupportedAlgorithm(String),
    /// The curve is not P-256 (1).
    #[error("unsupported elliptic curve {0}: only P-256 (1) is supported")]
    UnsupportedCurve(String),
    /// A required COSE_Key parameter is absent.
    #[error("the COSE key has no {0} parameter")]
    MissingParameter(&'static str),
    /// A coordinate is not a 32-byte string.
    #[error("the COSE key's {name} coordinate must be a 32-byte string (got {got})")]
    BadCoordinate {
        /// `x` or `y`.
        name: &'static str,
        /// What was found instead.
        got: String,
    },
    /// x and y are not a point on P-256.
    #[error("the COSE key's x and y are not a point on the P-256 curve")]
    InvalidPoint,
    /// The signature is not an ASN.1 DER ECDSA signature.
    #[error("the signature is not a DER-encoded ECDSA signature")]
    MalformedSignature,
    /// The signature does not verify.
    #[error(
        "the signature does not match the authenticator data and client data hash for this public key"
    )]
    BadSignature,
}

/// The flags byte of authenticator data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flags {
    /// UP (bit 0): the user was present (touched the key).
    pub user_present: bool,
    /// UV (bit 2): the user was verified (PIN or biometrics).
    pub user_verified: bool,
    /// AT (bit 6): attested credential data follows (makeCredential).
    pub attested_credential_data: bool,
    /// ED (bit 7): extension data follows.
    pub extension_data: bool,
}

/// The attested credential data in the authenticator data of a makeCredential response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttestedCredential {
    /// The authenticator model.
    pub aaguid: [u8; 16],
    /// The new credential's id.
    pub credential_id: Vec<u8>,
    /// The credential's public key, exactly the COSE_Key bytes the key sent.
    pub public_key_cose: Vec<u8>,
}

/// Verifies an ES256 assertion: `der_signature` must be a valid ECDSA P-256/SHA-256
/// signature, by the key in `public_key_cose`, over `authenticator_data || client_data_hash`.
///
/// `public_key_cose` must be a COSE_Key with kty EC2 (2), alg ES256 (-7), crv P-256 (1)
/// and 32-byte x and y; anything else is a clear [`VerifyError`]. This checks the
/// signature only: check the flags with [`authenticator_flags`] and the relying party with
/// [`rp_id_hash_matches`].
pub fn verify_es256(
    public_key_cose: &[u8],
    authenticator_data: &[u8],
    client_data_hash: &[u8; 32],
    der_signature: &[u8],
) -> Result<(), VerifyError> {
    let key = es256_verifying_key(public_key_cose)?;
    authenticator_flags(authenticator_data)?;
    let signature =
        Signature::from_der(der_signature).map_err(|_| VerifyError::MalformedSignature)?;
    let mut message = Vec::with_capacity(authenticator_data.len() + client_data_hash.len());
    message.extend_from_slice(authenticator_data);
    message.extend_from_slice(client_data_hash);
    key.verify(&message, &signature)
        .map_err(|_| VerifyError::BadSignature)
}

/// The COSE algorithm of a COSE_Key (its `alg`, label 3), e.g. `-7` for ES256.
pub fn cose_algorithm(public_key_cose: &[u8]) -> Result<i64, VerifyError> {
    let key = parse_cose_key(public_key_cose)?;
    match key.alg {
        Some(RegisteredLabelWithPrivate::Assigned(alg)) => Ok(alg.to_i64()),
        Some(RegisteredLabelWithPrivate::PrivateUse(alg)) => Ok(alg),
        Some(RegisteredLabelWithPrivate::Text(text)) => {
            Err(VerifyError::UnsupportedAlgorithm(format!("{text:?}")))
        }
        None => Err(VerifyError::MissingParameter("alg (3)")),
    }
}

/// The flags byte of `authenticator_data`.
pub fn authenticator_flags(authenticator_data: &[u8]) -> Result<Flags, VerifyError> {
    check_fixed_part(authenticator_data)?;
    let flags = authenticator_data[32];
    Ok(Flags {
        user_present: flags & 0x01 != 0,
        user_verified: flags & 0x04 != 0,
        attested_credential_data: flags & 0x40 != 0,
        extension_data: flags & 0x80 != 0,
    })
}

/// The signature counter of `authenticator_data` (0 when the key keeps no counter).
pub fn signature_counter(authenticator_data: &[u8]) -> Result<u32, VerifyError> {
    check_fixed_part(authenticator_data)?;
    let bytes: [u8; 4] = authenticator_data[33..37]
        .try_into()
        .expect("four bytes after the length check");
    Ok(u32::from_be_bytes(bytes))
}

/// Whether the first 32 bytes of `authenticator_data` are SHA-256 of `rp_id`, i.e. the
/// key answered for this relying party. False when the data is shorter than 32 bytes.
pub fn rp_id_hash_matches(authenticator_data: &[u8], rp_id: &str) -> bool {
    let expected = Sha256::digest(rp_id.as_bytes());
    authenticator_data.len() >= 32 && authenticator_data[..32] == expected[..]
}

/// The attested credential data (AAGUID, credential id, COSE public key) of the
/// authenticator data returned by makeCredential. The public key bytes are cut out exactly
/// as sent (the CBOR item is measured, not re-encoded).
pub fn attested_credential(authenticator_data: &[u8]) -> Result<AttestedCredential, VerifyError> {
    let flags = authenticator_flags(authenticator_data)?;
    if !flags.attested_credential_data {
        return Err(VerifyError::MalformedAuthenticatorData(
            "the AT flag is not set: there is no attested credential data".into(),
        ));
    }
    let rest = &authenticator_data[FIXED_LEN..];
    if rest.len() < 18 {
        return Err(VerifyError::MalformedAuthenticatorData(format!(
            "attested credential data is {} bytes, at least 18 expected",
            rest.len()
        )));
    }
    let aaguid: [u8; 16] = rest[..16].try_into().expect("16 bytes after the check");
    let id_len = usize::from(u16::from_be_bytes([rest[16], rest[17]]));
    let rest = &rest[18..];
    if rest.len() < id_len {
        return Err(VerifyError::MalformedAuthenticatorData(format!(
            "credential id length is {id_len} but only {} bytes follow",
            rest.len()
        )));
    }
    let (credential_id, rest) = rest.split_at(id_len);
    let mut cursor = Cursor::new(rest);
    let _: Value = coset::cbor::de::from_reader(&mut cursor).map_err(|error| {
        VerifyError::MalformedAuthenticatorData(format!("credential public key: {error}"))
    })?;
    let key_len = usize::try_from(cursor.position()).expect("a position within a slice");
    Ok(AttestedCredential {
        aaguid,
        credential_id: credential_id.to_vec(),
        public_key_cose: rest[..key_len].to_vec(),
    })
}

fn check_fixed_part(authenticator_data: &[u8]) -> Result<(), VerifyError> {
    if authenticator_data.len() < FIXED_LEN {
        return Err(VerifyError::MalformedAuthenticatorData(format!(
            "{} bytes, at least {FIXED_LEN} expected (rpIdHash, flags, signCount)",
            authenticator_data.len()
        )));
    }
    Ok(())
}

fn parse_cose_key(public_key_cose: &[u8]) -> Result<CoseKey, VerifyError> {
    CoseKey::from_slice(public_key_cose)
        .map_err(|error| VerifyError::MalformedKey(error.to_string()))
}

/// Parses an ES256 COSE_Key into a P-256 verifying key, checking kty, alg, crv, x and y.
fn es256_verifying_key(public_key_cose: &[u8]) -> Result<VerifyingKey, VerifyError> {
    let key = parse_cose_key(public_key_cose)?;
    match &key.kty {
        KeyType::Assigned(iana::KeyType::EC2) => {}
        KeyType::Assigned(other) => {
            return Err(VerifyError::UnsupportedKeyType(format!(
                "{} ({other:?})",
                other.to_i64()
            )));
        }
        other => return Err(VerifyError::UnsupportedKeyType(format!("{other:?}"))),
    }
    match &key.alg {
        Some(Algorithm::Assigned(iana::Algorithm::ES256)) => {}
        Some(Algorithm::Assigned(other)) => {
            return Err(VerifyError::UnsupportedAlgorithm(format!(
                "{} ({other:?})",
                other.to_i64()
            )));
        }
        Some(other) => return Err(VerifyError::UnsupportedAlgorithm(format!("{other:?}"))),
        None => return Err(VerifyError::MissingParameter("alg (3)")),
    }
    let param = |label: iana::Ec2KeyParameter| {
        key.params
            .iter()
            .find(|(l, _)| *l == Label::Int(label.to_i64()))
            .map(|(_, value)| value)
    };
    match param(iana::Ec2KeyParameter::Crv) {
        Some(Value::Integer(crv)) if i128::from(*crv) == 1 => {}
        Some(Value::Integer(crv)) => {
            return Err(VerifyError::UnsupportedCurve(i128::from(*crv).to_string()));
        }
        Some(other) => return Err(VerifyError::UnsupportedCurve(format!("{other:?}"))),
        None => return Err(VerifyError::MissingParameter("crv (-1)")),
    }
    let coordinate = |name: &'static str, label| match param(label) {
        Some(Value::Bytes(bytes)) if bytes.len() == 32 => Ok(bytes.as_slice()),
        Some(Value::Bytes(bytes)) => Err(VerifyError::BadCoordinate {
            name,
            got: format!("{} bytes", bytes.len()),
        }),
        Some(other) => Err(VerifyError::BadCoordinate {
            name,
            got: format!("{other:?}"),
        }),
        None => Err(VerifyError::MissingParameter(name)),
    };
    let x = coordinate("x (-2)", iana::Ec2KeyParameter::X)?;
    let y = coordinate("y (-3)", iana::Ec2KeyParameter::Y)?;
    let mut sec1 = Vec::with_capacity(65);
    sec1.push(0x04);
    sec1.extend_from_slice(x);
    sec1.extend_from_slice(y);
    VerifyingKey::from_sec1_bytes(&sec1).map_err(|_| VerifyError::InvalidPoint)
}

#[cfg(test)]
mod tests {
    use super::*;
    use coset::CoseKeyBuilder;
    use p256::ecdsa::SigningKey;
    use p256::ecdsa::signature::Signer;

    const RP_ID: &str = "signin.aws.amazon.com";

    /// A fixed P-256 key, so the vector is reproducible.
    fn signing_key() -> SigningKey {
        let scalar: [u8; 32] = Sha256::digest(b"runbook fido_verify test key").into();
        SigningKey::from_slice(&scalar).unwrap()
    }

    fn xy(key: &SigningKey) -> (Vec<u8>, Vec<u8>) {
        let point = key.verifying_key().to_sec1_point(false);
        let bytes = point.as_bytes();
        assert_eq!(bytes.len(), 65);
        (bytes[1..33].to_vec(), bytes[33..65].to_vec())
    }

    fn cose_key(key: &SigningKey) -> Vec<u8> {
        let (x, y) = xy(key);
        CoseKeyBuilder::new_ec2_pub_key(iana::EllipticCurve::P_256, x, y)
            .algorithm(iana::Algorithm::ES256)
            .build()
            .to_vec()
            .unwrap()
    }

    /// A COSE_Key map written by hand, so unusual keys can be built.
    fn raw_cose(entries: Vec<(i64, Value)>) -> Vec<u8> {
        let map = Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (Value::Integer(k.into()), v))
                .collect(),
        );
        let mut bytes = Vec::new();
        coset::cbor::ser::into_writer(&map, &mut bytes).unwrap();
        bytes
    }

    fn assertion_data(flags: u8, counter: u32) -> Vec<u8> {
        let mut data = Sha256::digest(RP_ID.as_bytes()).to_vec();
        data.push(flags);
        data.extend_from_slice(&counter.to_be_bytes());
        data
    }

    fn sign(key: &SigningKey, authenticator_data: &[u8], client_data_hash: &[u8; 32]) -> Vec<u8> {
        let mut message = authenticator_data.to_vec();
        message.extend_from_slice(client_data_hash);
        let signature: Signature = key.sign(&message);
        signature.to_der().as_bytes().to_vec()
    }

    #[test]
    fn a_signature_made_with_p256_verifies() {
        let key = signing_key();
        let data = assertion_data(0x05, 7);
        let hash = [0x42; 32];
        let signature = sign(&key, &data, &hash);
        assert_eq!(
            verify_es256(&cose_key(&key), &data, &hash, &signature),
            Ok(())
        );
        assert_eq!(cose_algorithm(&cose_key(&key)), Ok(COSE_ALG_ES256));
    }

    #[test]
    fn changing_any_signed_byte_fails() {
        let key = signing_key();
        let data = assertion_data(0x01, 1);
        let hash = [0x42; 32];
        let signature = sign(&key, &data, &hash);
        let cose = cose_key(&key);

        let mut tampered_data = data.clone();
        tampered_data[36] ^= 1;
        assert_eq!(
            verify_es256(&cose, &tampered_data, &hash, &signature),
            Err(VerifyError::BadSignature)
        );
        assert_eq!(
            verify_es256(&cose, &data, &[0x43; 32], &signature),
            Err(VerifyError::BadSignature)
        );

        // Flip a bit of s (the last byte of the DER encoding): still DER, no longer valid.
        let mut tampered_signature = signature.clone();
        *tampered_signature.last_mut().unwrap() ^= 1;
        assert_eq!(
            verify_es256(&cose, &data, &hash, &tampered_signature),
            Err(VerifyError::BadSignature)
        );

        let other_key = cose_key(&SigningKey::from_slice(&[7; 32]).unwrap());
        assert_eq!(
            verify_es256(&other_key, &data, &hash, &signature),
            Err(VerifyError::BadSignature)
        );
    }

    #[test]
    fn malformed_signatures_and_data_are_reported() {
        let key = signing_key();
        let data = assertion_data(0x01, 1);
        let hash = [0; 32];
        let signature = sign(&key, &data, &hash);
        let cose = cose_key(&key);
        assert_eq!(
            verify_es256(&cose, &data, &hash, &signature[..signature.len() - 1]),
            Err(VerifyError::MalformedSignature)
        );
        // A raw r||s signature is not DER.
        let raw: Signature = Signature::from_der(&signature).unwrap();
        assert_eq!(
            verify_es256(&cose, &data, &hash, &raw.to_bytes()),
            Err(VerifyError::MalformedSignature)
        );
        assert!(matches!(
            verify_es256(&cose, &data[..36], &hash, &signature),
            Err(VerifyError::MalformedAuthenticatorData(_))
        ));
    }

    #[test]
    fn cose_keys_other_than_es256_p256_are_rejected_clearly() {
        let (x, y) = xy(&signing_key());
        let data = assertion_data(0x01, 0);
        let check = |cose: Vec<u8>| verify_es256(&cose, &data, &[0; 32], &[0x30, 0x00]);
        let ec2 = |alg: i64, crv: i64| {
            raw_cose(vec![
                (1, Value::Integer(2.into())),
                (3, Value::Integer(alg.into())),
                (-1, Value::Integer(crv.into())),
                (-2, Value::Bytes(x.clone())),
                (-3, Value::Bytes(y.clone())),
            ])
        };

        let error = check(ec2(-8, 1)).unwrap_err();
        assert!(matches!(error, VerifyError::UnsupportedAlgorithm(_)));
        assert!(error.to_string().contains("-8"), "{error}");
        assert!(error.to_string().contains("only ES256 (-7)"), "{error}");
        assert!(matches!(
            check(ec2(-257, 1)),
            Err(VerifyError::UnsupportedAlgorithm(_))
        ));
        assert_eq!(
            check(ec2(-7, 2)),
            Err(VerifyError::UnsupportedCurve("2".into()))
        );

        // An Ed25519 key (kty OKP).
        let okp = raw_cose(vec![
            (1, Value::Integer(1.into())),
            (3, Value::Integer((-8).into())),
            (-1, Value::Integer(6.into())),
            (-2, Value::Bytes(vec![0; 32])),
        ]);
        let error = check(okp).unwrap_err();
        assert!(
            matches!(error, VerifyError::UnsupportedKeyType(_)),
            "{error}"
        );
        assert!(error.to_string().contains("only EC2 (2)"), "{error}");

        let no_alg = raw_cose(vec![
            (1, Value::Integer(2.into())),
            (-1, Value::Integer(1.into())),
            (-2, Value::Bytes(x.clone())),
            (-3, Value::Bytes(y.clone())),
        ]);
        assert_eq!(check(no_alg), Err(VerifyError::MissingParameter("alg (3)")));

        let short_x = raw_cose(vec![
            (1, Value::Integer(2.into())),
            (3, Value::Integer((-7).into())),
            (-1, Value::Integer(1.into())),
            (-2, Value::Bytes(x[..31].to_vec())),
            (-3, Value::Bytes(y.clone())),
        ]);
        assert_eq!(
            check(short_x),
            Err(VerifyError::BadCoordinate {
                name: "x (-2)",
                got: "31 bytes".into()
            })
        );

        // Compressed form (y is the sign bit) is not what WebAuthn uses for ES256.
        let compressed = raw_cose(vec![
            (1, Value::Integer(2.into())),
            (3, Value::Integer((-7).into())),
            (-1, Value::Integer(1.into())),
            (-2, Value::Bytes(x.clone())),
            (-3, Value::Bool(true)),
        ]);
        assert!(matches!(
            check(compressed),
            Err(VerifyError::BadCoordinate { name: "y (-3)", .. })
        ));

        let mut off_curve = y.clone();
        off_curve[31] ^= 1;
        let off_curve = raw_cose(vec![
            (1, Value::Integer(2.into())),
            (3, Value::Integer((-7).into())),
            (-1, Value::Integer(1.into())),
            (-2, Value::Bytes(x.clone())),
            (-3, Value::Bytes(off_curve)),
        ]);
        assert_eq!(check(off_curve), Err(VerifyError::InvalidPoint));

        assert!(matches!(
            check(vec![0xff, 0x00]),
            Err(VerifyError::MalformedKey(_))
        ));
        let mut trailing = cose_key(&signing_key());
        trailing.push(0x00);
        assert!(matches!(check(trailing), Err(VerifyError::MalformedKey(_))));
    }

    #[test]
    fn flags_counter_and_rp_id_hash_are_read_from_the_bytes() {
        let data = assertion_data(0x05, 0x0102_0304);
        assert_eq!(
            authenticator_flags(&data),
            Ok(Flags {
                user_present: true,
                user_verified: true,
                attested_credential_data: false,
                extension_data: false,
            })
        );
        assert_eq!(signature_counter(&data), Ok(0x0102_0304));
        assert!(rp_id_hash_matches(&data, RP_ID));
        assert!(!rp_id_hash_matches(&data, "aws.amazon.com"));
        assert!(!rp_id_hash_matches(&data[..31], RP_ID));

        let flags = authenticator_flags(&assertion_data(0xC0, 0)).unwrap();
        assert!(!flags.user_present && !flags.user_verified);
        assert!(flags.attested_credential_data && flags.extension_data);
        assert!(authenticator_flags(&[0; 36]).is_err());
        assert!(signature_counter(&[0; 36]).is_err());
    }

    #[test]
    fn attested_credential_data_is_cut_out_exactly() {
        let key = signing_key();
        let cose = cose_key(&key);
        let aaguid = [0xAB; 16];
        let credential_id = vec![9, 8, 7, 6, 5];
        let mut data = assertion_data(0x41 | 0x80, 0);
        data.extend_from_slice(&aaguid);
        data.extend_from_slice(&(credential_id.len() as u16).to_be_bytes());
        data.extend_from_slice(&credential_id);
        data.extend_from_slice(&cose);
        // Extensions follow the key: {"credProtect": 2}.
        let mut extensions = Vec::new();
        coset::cbor::ser::into_writer(
            &Value::Map(vec![(
                Value::Text("credProtect".into()),
                Value::Integer(2.into()),
            )]),
            &mut extensions,
        )
        .unwrap();
        data.extend_from_slice(&extensions);

        let attested = attested_credential(&data).unwrap();
        assert_eq!(attested.aaguid, aaguid);
        assert_eq!(attested.credential_id, credential_id);
        assert_eq!(attested.public_key_cose, cose);

        assert!(attested_credential(&assertion_data(0x01, 0)).is_err());
        let cut = &data[..FIXED_LEN + 18 + 2];
        assert!(matches!(
            attested_credential(cut),
            Err(VerifyError::MalformedAuthenticatorData(_))
        ));
        let cut = &data[..FIXED_LEN + 18 + credential_id.len() + 10];
        assert!(matches!(
            attested_credential(cut),
            Err(VerifyError::MalformedAuthenticatorData(_))
        ));
    }
}
