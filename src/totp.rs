//! TOTP (RFC 6238) for AWS virtual MFA devices: the seed, its codes, checking typed
//! codes, the `otpauth://` enrolment URI and a QR code drawn in the terminal.
//!
//! AWS virtual MFA devices use the authenticator defaults: HMAC-SHA1, 6 digits and a
//! 30-second step. `CreateVirtualMFADevice` returns the seed as base32 text
//! (`Base32StringSeed`: 64 characters, 40 bytes of key material), and `EnableMFADevice`
//! wants two codes from adjacent windows T and T+1.
//!
//! Everything derived from the seed (the seed itself, its codes, the `otpauth://` URI)
//! is handed out as a [`Secret`], and no [`TotpError`] message contains secret material
//! or echoes what was typed.

use std::fmt::{self, Write as _};

use qrcode::render::unicode::Dense1x2;
use qrcode::{Color, EcLevel, QrCode};
use zeroize::{Zeroize, Zeroizing};

use crate::secret::Secret;

/// Digits in a code (AWS virtual MFA).
pub const DIGITS: usize = 6;

/// Length of a time step (a "window") in seconds (AWS virtual MFA).
pub const STEP_SECONDS: u64 = 30;

/// Our default issuer in the `otpauth://` URI: the name the authenticator app shows.
pub const DEFAULT_ISSUER: &str = "AWS";

/// The issuer AWS's own console puts in its enrolment QR code (its account name there is
/// `user@account`).
pub const AWS_CONSOLE_ISSUER: &str = "Amazon Web Services";

/// The shortest seed accepted, in bytes: RFC 4226 requires at least 128 bits.
pub const MIN_SEED_BYTES: usize = 16;

/// The longest seed accepted, in bytes (an AWS seed is 40). The bound keeps every
/// `otpauth://` URI small enough to draw as a QR code.
pub const MAX_SEED_BYTES: usize = 128;

/// The longest issuer or account name accepted in an `otpauth://` URI, in bytes.
pub const MAX_LABEL_BYTES: usize = 128;

/// The largest clock skew, in windows either side, that [`Seed::verify`] and
/// [`Seed::verify_consecutive`] search; larger requests are reduced to this.
pub const MAX_SKEW_WINDOWS: u64 = 10;

/// What [`qr_terminal`] returns when the URI does not fit in any QR code.
const QR_TOO_LONG: &str =
    "(the otpauth URI is too long for a QR code: enter the manual-entry key in the app instead)";

/// Why a seed, a code or an enrolment label was refused. No message contains the seed,
/// a code or the text that was typed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TotpError {
    /// The seed text has no characters besides spaces and `=` padding.
    #[error(
        "the MFA seed is empty: paste the Base32StringSeed that CreateVirtualMFADevice returned"
    )]
    EmptySeed,
    /// The seed text has a character outside the base32 alphabet.
    #[error(
        "the MFA seed is not base32: character {position} (not counting spaces) is not a letter \
         A-Z or a digit 2-7; copy the Base32StringSeed again, exactly (base32 has no 0, 1, 8 or 9)"
    )]
    SeedNotBase32 {
        /// 1-based position of the offending character, spaces not counted.
        position: usize,
    },
    /// The seed text has a length no base32 text can have.
    #[error(
        "the MFA seed has a length that no base32 text has, so it was probably cut off: \
         copy the whole Base32StringSeed again"
    )]
    SeedTruncated,
    /// The seed decodes to fewer than [`MIN_SEED_BYTES`] bytes.
    #[error(
        "the MFA seed holds only {bits} bits of key, and TOTP needs at least 128 (an AWS seed \
         is 64 base32 characters, 320 bits): copy the whole Base32StringSeed again"
    )]
    SeedTooShort {
        /// Bits of key material found.
        bits: usize,
    },
    /// The seed decodes to more than [`MAX_SEED_BYTES`] bytes.
    #[error(
        "the MFA seed holds {bits} bits of key, more than the 1024 accepted (an AWS seed is \
         320 bits): check that only the Base32StringSeed was pasted"
    )]
    SeedTooLong {
        /// Bits of key material found.
        bits: usize,
    },
    /// A code is not 6 digits.
    #[error(
        "a code is 6 digits (spaces and dashes are ignored): type the code the authenticator \
         app shows"
    )]
    InvalidCode,
    /// One of the two codes given to [`Seed::verify_consecutive`] is not 6 digits.
    #[error(
        "code {which}: a code is 6 digits (spaces and dashes are ignored): type the code the \
         authenticator app shows"
    )]
    InvalidCodeInPair {
        /// Which code: 1 or 2.
        which: u8,
    },
    /// The code is well formed but matches no window near the current time.
    #[error(
        "the code does not match this MFA seed at the current time (searched {skew_windows} \
         30-second step(s) either side): check that the code comes from the app entry just \
         added, and that the clocks of the phone and of this computer are right"
    )]
    WrongCode {
        /// The skew that was searched, in windows either side of the current one.
        skew_windows: u64,
    },
    /// The first of two consecutive codes matches no window near the current time.
    #[error(
        "code 1 does not match this MFA seed at the current time: check that it comes from the \
         app entry just added, and that the clocks of the phone and of this computer are right"
    )]
    FirstCodeWrong,
    /// The second of two consecutive codes matches no window near the current time.
    #[error(
        "code 2 does not match this MFA seed at the current time: enter the code that the same \
         app entry shows right after code 1, promptly (a code lasts 30 seconds)"
    )]
    SecondCodeWrong,
    /// Neither of two consecutive codes matches a window near the current time.
    #[error(
        "neither code matches this MFA seed at the current time: check that the codes come \
         from the app entry just added (scan the QR code again if in doubt), and that the \
         clocks of the phone and of this computer are right"
    )]
    BothCodesWrong,
    /// The same code was given twice.
    #[error(
        "code 1 and code 2 are the same: after entering code 1, wait until the app shows a new \
         code (up to 30 seconds) and enter that one as code 2"
    )]
    SameCodeTwice,
    /// Both codes are right, but their windows are not T and T+1.
    #[error(
        "both codes are right but they are not consecutive: code 2 must be the very next code \
         after code 1; enter the code on screen, wait until it changes, then enter the new one"
    )]
    NotConsecutive {
        /// The window code 1 matched (the one nearest the current time).
        first_window: u64,
        /// The window code 2 matched (the one nearest the current time).
        second_window: u64,
    },
    /// An issuer or account name for the `otpauth://` URI is empty.
    #[error("the {field} of the authenticator entry is empty: give a name")]
    EmptyLabel {
        /// `"issuer"` or `"account name"`.
        field: &'static str,
    },
    /// An issuer or account name for the `otpauth://` URI contains `:`, the separator
    /// between the two in the URI's label.
    #[error(
        "the {field} of the authenticator entry contains ':', which the otpauth URI reserves: \
         choose a name without it"
    )]
    ColonInLabel {
        /// `"issuer"` or `"account name"`.
        field: &'static str,
    },
    /// An issuer or account name for the `otpauth://` URI is longer than
    /// [`MAX_LABEL_BYTES`].
    #[error(
        "the {field} of the authenticator entry is longer than {max} bytes: choose a shorter name"
    )]
    LabelTooLong {
        /// `"issuer"` or `"account name"`.
        field: &'static str,
        /// The limit in bytes.
        max: usize,
    },
}

/// A TOTP seed: the decoded key bytes of a virtual MFA device, SHA1, 6 digits, 30-second
/// step. The key is zeroised on drop; `Debug` is redacted; there is no `Display` and no
/// `Serialize`. Make one with [`parse_seed`].
#[derive(Clone)]
pub struct Seed {
    /// Holds the key (zeroised on drop, redacted `Debug`) and computes HMAC-SHA1 codes.
    totp: totp_rs::Totp,
}

impl fmt::Debug for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Seed([redacted])")
    }
}

/// Parse a base32 seed, such as the `Base32StringSeed` from `CreateVirtualMFADevice`.
///
/// Spaces (any whitespace) are ignored, lowercase is accepted, and trailing `=` padding
/// may be present or not. The key must be 16 to 128 bytes long.
///
/// # Errors
///
/// [`TotpError::EmptySeed`], [`TotpError::SeedNotBase32`], [`TotpError::SeedTruncated`],
/// [`TotpError::SeedTooShort`] or [`TotpError::SeedTooLong`]; none echoes the input.
pub fn parse_seed(text: &str) -> Result<Seed, TotpError> {
    let mut normalized = Zeroizing::new(String::with_capacity(text.len()));
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        normalized.push(c.to_ascii_uppercase());
    }
    let unpadded = normalized.trim_end_matches('=');
    // The 5-bit value of each character.
    let mut values = Zeroizing::new(Vec::with_capacity(unpadded.len()));
    for (index, c) in unpadded.chars().enumerate() {
        match base32_value(c) {
            Some(value) => values.push(value),
            None => {
                return Err(TotpError::SeedNotBase32 {
                    position: index + 1,
                });
            }
        }
    }
    if values.is_empty() {
        return Err(TotpError::EmptySeed);
    }
    // A base32 text's last group of 8 characters holds 2, 4, 5, 7 or 8 of them (1, 2, 3,
    // 4 or 5 bytes); any other length is a cut-off copy.
    if matches!(values.len() % 8, 1 | 3 | 6) {
        return Err(TotpError::SeedTruncated);
    }
    let len = values.len() * 5 / 8;
    if len < MIN_SEED_BYTES {
        return Err(TotpError::SeedTooShort { bits: len * 8 });
    }
    if len > MAX_SEED_BYTES {
        return Err(TotpError::SeedTooLong { bits: len * 8 });
    }

    let mut bytes = Zeroizing::new(Vec::with_capacity(len));
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &value in values.iter() {
        buffer = ((buffer << 5) | u32::from(value)) & 0x1fff;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            bytes.push((buffer >> bits) as u8);
        }
    }
    buffer.zeroize();
    debug_assert_eq!(bytes.len(), len);

    let totp = totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(DIGITS as u8)
        .with_step_duration(STEP_SECONDS)
        .with_skew(0)
        .with_secret(totp_rs::Secret::from(&bytes[..]))
        .build()
        // Length, digits and step are checked above; a refusal can only mean a short key.
        .map_err(|_| TotpError::SeedTooShort { bits: len * 8 })?;
    Ok(Seed { totp })
}

/// Reduce a typed code to its 6 digits: spaces and dashes are dropped (`123 456` and
/// `123-456` are `123456`); what is left must be exactly 6 ASCII digits.
///
/// # Errors
///
/// [`TotpError::InvalidCode`] ("a code is 6 digits"), which does not echo the input.
pub fn normalize_code(input: &str) -> Result<Secret, TotpError> {
    let mut code = String::with_capacity(DIGITS);
    for c in input.chars() {
        if c.is_whitespace() || c == '-' {
            continue;
        }
        if !c.is_ascii_digit() || code.len() == DIGITS {
            code.zeroize();
            return Err(TotpError::InvalidCode);
        }
        code.push(c);
    }
    if code.len() != DIGITS {
        code.zeroize();
        return Err(TotpError::InvalidCode);
    }
    Ok(Secret::new(code))
}

impl Seed {
    /// The code at a time: 6 digits, zero-padded (RFC 6238, SHA1, 30-second step).
    #[must_use]
    pub fn code_at(&self, unix_seconds: u64) -> Secret {
        let token = self.totp.generate(unix_seconds);
        // Exactly DIGITS long, so no reallocation leaves a copy behind.
        let mut code = String::with_capacity(DIGITS);
        write!(code, "{token}").expect("writing to a String cannot fail");
        Secret::new(code)
    }

    /// The window (time step) number of a time: T = `unix_seconds / 30`.
    #[must_use]
    pub fn window(unix_seconds: u64) -> u64 {
        unix_seconds / STEP_SECONDS
    }

    /// The key as canonical base32: uppercase, unpadded.
    #[must_use]
    pub fn base32(&self) -> Secret {
        let bytes = self.totp.secret().as_bytes();
        let mut text = String::with_capacity((bytes.len() * 8).div_ceil(5));
        let mut buffer: u32 = 0;
        let mut bits = 0;
        for &byte in bytes {
            buffer = ((buffer << 8) | u32::from(byte)) & 0xfff;
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                text.push(BASE32_ALPHABET[(buffer >> bits) as usize & 0x1f] as char);
            }
        }
        if bits > 0 {
            text.push(BASE32_ALPHABET[(buffer << (5 - bits)) as usize & 0x1f] as char);
        }
        buffer.zeroize();
        Secret::new(text)
    }

    /// The key for typing into an authenticator app by hand: canonical base32 in blocks of
    /// 4 separated by spaces (`ABCD EFGH ...`), as the apps show it. Apps ignore the
    /// spaces.
    #[must_use]
    pub fn manual_entry_key(&self) -> Secret {
        let base32 = self.base32();
        let base32 = base32.expose();
        let mut text = String::with_capacity(base32.len() + base32.len().saturating_sub(1) / 4);
        for (i, c) in base32.chars().enumerate() {
            if i > 0 && i % 4 == 0 {
                text.push(' ');
            }
            text.push(c);
        }
        Secret::new(text)
    }

    /// Check a code against windows T-skew..=T+skew around the time (T =
    /// [`Seed::window`]), comparing in constant time; spaces and dashes in the code are
    /// ignored. `skew_windows` above [`MAX_SKEW_WINDOWS`] is reduced to it. Returns the
    /// matched window (the one nearest T if, rarely, several match).
    ///
    /// # Errors
    ///
    /// [`TotpError::InvalidCode`] if the code is not 6 digits, [`TotpError::WrongCode`] if
    /// it matches no window searched.
    pub fn verify(
        &self,
        code: &Secret,
        unix_seconds: u64,
        skew_windows: u64,
    ) -> Result<u64, TotpError> {
        let code = normalize_code(code.expose())?;
        let now = Self::window(unix_seconds);
        let skew = skew_windows.min(MAX_SKEW_WINDOWS);
        nearest(&self.matching_windows(&code, now, skew), now)
            .ok_or(TotpError::WrongCode { skew_windows: skew })
    }

    /// Check the two codes `EnableMFADevice` needs: each must match a window within
    /// `skew_windows` of the time (as in [`Seed::verify`]), and code 2's window must be
    /// the one right after code 1's. Returns the two windows.
    ///
    /// # Errors
    ///
    /// [`TotpError::InvalidCodeInPair`] if a code is not 6 digits,
    /// [`TotpError::SameCodeTwice`], [`TotpError::FirstCodeWrong`],
    /// [`TotpError::SecondCodeWrong`], [`TotpError::BothCodesWrong`], or
    /// [`TotpError::NotConsecutive`] if both are right but not from adjacent windows.
    pub fn verify_consecutive(
        &self,
        code1: &Secret,
        code2: &Secret,
        unix_seconds: u64,
        skew_windows: u64,
    ) -> Result<(u64, u64), TotpError> {
        let code1 = normalize_code(code1.expose())
            .map_err(|_| TotpError::InvalidCodeInPair { which: 1 })?;
        let code2 = normalize_code(code2.expose())
            .map_err(|_| TotpError::InvalidCodeInPair { which: 2 })?;
        if constant_time_eq(code1.expose().as_bytes(), code2.expose().as_bytes()) {
            return Err(TotpError::SameCodeTwice);
        }
        let now = Self::window(unix_seconds);
        let skew = skew_windows.min(MAX_SKEW_WINDOWS);
        let first = self.matching_windows(&code1, now, skew);
        let second = self.matching_windows(&code2, now, skew);
        match (nearest(&first, now), nearest(&second, now)) {
            (None, None) => Err(TotpError::BothCodesWrong),
            (None, Some(_)) => Err(TotpError::FirstCodeWrong),
            (Some(_), None) => Err(TotpError::SecondCodeWrong),
            (Some(first_window), Some(second_window)) => {
                let pairs: Vec<u64> = first
                    .iter()
                    .map(|&window| window + 1)
                    .filter(|window| second.contains(window))
                    .collect();
                match nearest(&pairs, now) {
                    Some(window) => Ok((window - 1, window)),
                    None => Err(TotpError::NotConsecutive {
                        first_window,
                        second_window,
                    }),
                }
            }
        }
    }

    /// The codes for the current window T and the next, T+1, for unattended runs (a
    /// sandbox, tests) where nobody types codes from an app.
    ///
    /// Both are accepted by `EnableMFADevice` right away: AWS wants two codes from
    /// consecutive windows and accepts T and T+1 together (its check tolerates a window of
    /// clock skew). AWS refuses a code it has already seen, so the next code used with
    /// this device (a sign-in, a session) must come from window T+2 or later.
    #[must_use]
    pub fn consecutive_codes(&self, unix_seconds: u64) -> (Secret, Secret) {
        (
            self.code_at(unix_seconds),
            self.code_at(unix_seconds.saturating_add(STEP_SECONDS)),
        )
    }

    /// The `otpauth://` URI authenticator apps enrol from (Google's Key URI format):
    /// `otpauth://totp/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30`,
    /// issuer and account percent-encoded (all but `A-Z a-z 0-9 - . _ ~`), the secret
    /// canonical unpadded base32. Our issuer is [`DEFAULT_ISSUER`]; AWS's console uses
    /// [`AWS_CONSOLE_ISSUER`] with the account `user@account`.
    ///
    /// # Errors
    ///
    /// [`TotpError::EmptyLabel`], [`TotpError::ColonInLabel`] (`:` separates issuer and
    /// account in the label, so neither may contain it) or [`TotpError::LabelTooLong`].
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> Result<Secret, TotpError> {
        check_label("issuer", issuer)?;
        check_label("account name", account)?;
        let secret = self.base32();
        let secret = secret.expose();
        let parameters = "&algorithm=SHA1&digits=6&period=30";
        let len = "otpauth://totp/".len()
            + 2 * percent_encoded_len(issuer)
            + 1
            + percent_encoded_len(account)
            + "?secret=".len()
            + secret.len()
            + "&issuer=".len()
            + parameters.len();
        // Sized exactly, so no reallocation leaves a copy of the secret behind.
        let mut uri = String::with_capacity(len);
        uri.push_str("otpauth://totp/");
        percent_encode_into(&mut uri, issuer);
        uri.push(':');
        percent_encode_into(&mut uri, account);
        uri.push_str("?secret=");
        uri.push_str(secret);
        uri.push_str("&issuer=");
        percent_encode_into(&mut uri, issuer);
        uri.push_str(parameters);
        debug_assert_eq!(uri.len(), len);
        Ok(Secret::new(uri))
    }

    /// The windows within `skew` of `now` whose code equals `code`, in increasing order.
    /// Every window is compared (in constant time), whatever matches.
    fn matching_windows(&self, code: &Secret, now: u64, skew: u64) -> Vec<u64> {
        let last = now.saturating_add(skew).min(u64::MAX / STEP_SECONDS);
        (now.saturating_sub(skew)..=last)
            .filter(|&window| {
                let expected = self.code_at(window * STEP_SECONDS);
                constant_time_eq(expected.expose().as_bytes(), code.expose().as_bytes())
            })
            .collect()
    }
}

/// The window nearest `now` (the earlier of two as near).
fn nearest(windows: &[u64], now: u64) -> Option<u64> {
    windows
        .iter()
        .copied()
        .min_by_key(|window| window.abs_diff(now))
}

/// The QR code of an `otpauth://` URI, drawn with Unicode half blocks (two module rows
/// per line, [`Dense1x2`]) for an authenticator app to scan off the terminal, with the
/// standard 4-module quiet zone.
///
/// It is drawn for the usual light-text-on-dark-background terminal: a character cell's
/// glyph (`█`, `▀`, `▄`) lights up light modules and the quiet zone, while dark modules
/// are left as blank background, so dark modules look dark. On a dark-on-light terminal
/// the code shows inverted, which most phone scanners still read; otherwise enter the
/// [manual-entry key](Seed::manual_entry_key).
///
/// The returned text encodes the secret. Write it only to a terminal (a TTY) for the
/// person enrolling to scan; never log, store or serialise it. A URI too long for any QR
/// code (none that [`Seed::otpauth_uri`] makes) gives a one-line note instead.
#[must_use]
pub fn qr_terminal(uri: &Secret) -> String {
    match qr_code(uri) {
        Some(code) => code
            .render::<Dense1x2>()
            .dark_color(Dense1x2::Light)
            .light_color(Dense1x2::Dark)
            .quiet_zone(true)
            .build(),
        None => QR_TOO_LONG.to_owned(),
    }
}

/// The modules of the QR code that [`qr_terminal`] draws, row by row, without the quiet
/// zone; `true` is dark. Empty if the URI is too long for any QR code. Like the URI, the
/// matrix encodes the secret: for tests and drawing only.
#[must_use]
pub fn qr_matrix(uri: &Secret) -> Vec<Vec<bool>> {
    let Some(code) = qr_code(uri) else {
        return Vec::new();
    };
    let width = code.width();
    code.to_colors()
        .chunks(width)
        .map(|row| row.iter().map(|&color| color == Color::Dark).collect())
        .collect()
}

/// The QR code of a URI: error correction M (15%), or L where M does not fit.
fn qr_code(uri: &Secret) -> Option<QrCode> {
    let data = uri.expose().as_bytes();
    QrCode::with_error_correction_level(data, EcLevel::M)
        .or_else(|_| QrCode::with_error_correction_level(data, EcLevel::L))
        .ok()
}

/// RFC 4648 base32 alphabet.
const BASE32_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// The value of an uppercase base32 character.
fn base32_value(c: char) -> Option<u8> {
    match c {
        'A'..='Z' => Some(c as u8 - b'A'),
        '2'..='7' => Some(c as u8 - b'2' + 26),
        _ => None,
    }
}

/// Whether two byte strings are equal, taking the same time whichever bytes differ (the
/// length is not hidden: codes are always 6 digits).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(difference) == 0
}

/// Check an issuer or account name for the `otpauth://` label.
fn check_label(field: &'static str, value: &str) -> Result<(), TotpError> {
    if value.is_empty() {
        Err(TotpError::EmptyLabel { field })
    } else if value.contains(':') {
        Err(TotpError::ColonInLabel { field })
    } else if value.len() > MAX_LABEL_BYTES {
        Err(TotpError::LabelTooLong {
            field,
            max: MAX_LABEL_BYTES,
        })
    } else {
        Ok(())
    }
}

/// Whether a byte stays as it is in a percent-encoded URI component (RFC 3986
/// unreserved).
fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

/// The length of `text` percent-encoded.
fn percent_encoded_len(text: &str) -> usize {
    text.bytes()
        .map(|byte| if is_unreserved(byte) { 1 } else { 3 })
        .sum()
}

/// Append `text` percent-encoded (UTF-8, every byte but the unreserved ones as `%XX`).
fn percent_encode_into(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for byte in text.bytes() {
        if is_unreserved(byte) {
            out.push(byte as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(byte >> 4)] as char);
            out.push(HEX[usize::from(byte & 0xf)] as char);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::*;

    /// RFC 6238 appendix B's SHA1 key, ASCII "12345678901234567890", in base32.
    const RFC_SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    fn secret(text: &str) -> Secret {
        Secret::new(text)
    }

    fn rfc_seed() -> Seed {
        parse_seed(RFC_SEED).unwrap()
    }

    /// A fixed pseudo-random seed of `len` bytes (splitmix64), as base32 built by hand so
    /// the test does not rely on `Seed::base32`.
    fn fixed_seed_bytes(mut state: u64, len: usize) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(len);
        while bytes.len() < len {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            bytes.extend(z.to_be_bytes().iter().take(len - bytes.len()));
        }
        bytes
    }

    /// Reference base32 (RFC 4648, unpadded) by way of bit strings.
    fn reference_base32(bytes: &[u8]) -> String {
        let bits: String = bytes.iter().map(|b| format!("{b:08b}")).collect();
        bits.as_bytes()
            .chunks(5)
            .map(|chunk| {
                let mut group = String::from_utf8(chunk.to_vec()).unwrap();
                while group.len() < 5 {
                    group.push('0');
                }
                BASE32_ALPHABET[usize::from_str_radix(&group, 2).unwrap()] as char
            })
            .collect()
    }

    #[test]
    fn rfc_6238_sha1_vectors() {
        let seed = rfc_seed();
        for (time, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ] {
            assert_eq!(seed.code_at(time).expose(), code, "at {time}");
        }
    }

    fn oathtool(base32: &str, unix_seconds: u64) -> String {
        let output = Command::new("oathtool")
            .args([
                "--totp=SHA1",
                "--digits=6",
                "--time-step-size=30s",
                "--base32",
            ])
            .arg(format!("--now=@{unix_seconds}"))
            .arg(base32)
            .output()
            .unwrap_or_else(|error| {
                panic!("cannot run oathtool ({error}): run scripts/setup.sh to install it")
            });
        assert!(
            output.status.success(),
            "oathtool failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }

    #[test]
    fn codes_match_oathtool() {
        let times = [
            0,
            59,
            1_111_111_109,
            1_700_000_000,
            1_700_000_029,
            1_700_000_030,
            2_000_000_000,
            4_102_444_800,
        ];
        // 40-byte seeds as AWS issues them, plus other lengths (partial base32 groups).
        let seeds = [
            (0x0123_4567_89ab_cdef, 40),
            (0xfeed_face_cafe_beef, 40),
            (0x5eed_0000_0000_0001, 40),
            (42, 20),
            (7, 26),
            (99, 33),
        ];
        for (state, len) in seeds {
            let bytes = fixed_seed_bytes(state, len);
            let base32 = reference_base32(&bytes);
            let seed = parse_seed(&base32).unwrap();
            assert_eq!(seed.base32().expose(), base32);
            for time in times {
                assert_eq!(
                    seed.code_at(time).expose(),
                    oathtool(&base32, time),
                    "seed {base32} at {time}"
                );
            }
        }
    }

    #[test]
    fn window_is_thirty_second_steps() {
        assert_eq!(Seed::window(0), 0);
        assert_eq!(Seed::window(29), 0);
        assert_eq!(Seed::window(30), 1);
        assert_eq!(Seed::window(1_700_000_000), 56_666_666);
    }

    #[test]
    fn parse_seed_accepts_spaces_lowercase_and_padding() {
        let canonical = rfc_seed().base32();
        assert_eq!(canonical.expose(), RFC_SEED);
        for text in [
            "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ",
            "gezdgnbvgy3tqojqgezdgnbvgy3tqojq",
            "  gezd GNBV\tgy3t QOJQ\ngezdgnbvGY3TQOJQ  ",
        ] {
            assert_eq!(parse_seed(text).unwrap().base32(), canonical, "{text:?}");
        }
        // 26 bytes: 42 base32 characters, padded to 48 or not.
        let bytes = fixed_seed_bytes(7, 26);
        let unpadded = reference_base32(&bytes);
        assert_eq!(unpadded.len(), 42);
        let padded = format!("{unpadded}======");
        let seed = parse_seed(&padded).unwrap();
        assert_eq!(seed.base32().expose(), unpadded);
        assert_eq!(seed.totp.secret().as_bytes(), &bytes[..]);
        assert_eq!(
            parse_seed(&unpadded.to_lowercase())
                .unwrap()
                .base32()
                .expose(),
            unpadded
        );
    }

    #[test]
    fn parse_seed_rejects_bad_input_without_echoing_it() {
        let cases = [
            ("", TotpError::EmptySeed),
            ("   \n ", TotpError::EmptySeed),
            ("========", TotpError::EmptySeed),
            (
                "GEZDGNBVGY3TQOJ0GEZDGNBVGY3TQOJQ",
                TotpError::SeedNotBase32 { position: 16 },
            ),
            (
                "gezd gnbv gy3t qoj! gezd gnbv gy3t qojq",
                TotpError::SeedNotBase32 { position: 16 },
            ),
            (
                "GEZDGNBV=GY3TQOJQGEZDGNBVGY3TQOJQ",
                TotpError::SeedNotBase32 { position: 9 },
            ),
            (
                "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQG",
                TotpError::SeedTruncated,
            ),
            ("GEZDGNBVGY3TQOJQGEZDGNBVGY3", TotpError::SeedTruncated),
            ("JBSWY3DPEHPK3PXP", TotpError::SeedTooShort { bits: 80 }),
            (&"A".repeat(208), TotpError::SeedTooLong { bits: 1040 }),
        ];
        for (text, expected) in cases {
            let error = parse_seed(text).unwrap_err();
            assert_eq!(error, expected, "{text:?}");
            let message = error.to_string();
            let debug = format!("{error:?}");
            for needle in text.split_whitespace().filter(|part| part.len() >= 4) {
                assert!(!message.contains(needle), "{message:?} echoes {needle:?}");
                assert!(!debug.contains(needle), "{debug:?} echoes {needle:?}");
            }
        }
        // A typical mistake: a seed with a 0 for an O; the message names no characters.
        let message = parse_seed("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PX0")
            .unwrap_err()
            .to_string();
        assert!(
            !message.contains("JBSWY3DP") && !message.contains("PX0"),
            "{message}"
        );
    }

    #[test]
    fn manual_entry_key_is_grouped_by_four() {
        let seed = rfc_seed();
        assert_eq!(
            seed.manual_entry_key().expose(),
            "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ"
        );
        let seed = parse_seed(&reference_base32(&fixed_seed_bytes(7, 26))).unwrap();
        let key = seed.manual_entry_key();
        let groups: Vec<&str> = key.expose().split(' ').collect();
        assert_eq!(groups.len(), 11);
        assert!(groups[..10].iter().all(|group| group.len() == 4));
        assert_eq!(groups[10].len(), 2);
        assert_eq!(groups.concat(), seed.base32().expose());
        // The key reads back to the same seed.
        assert_eq!(parse_seed(key.expose()).unwrap().base32(), seed.base32());
    }

    #[test]
    fn normalize_code_cases() {
        for (input, code) in [
            ("123456", "123456"),
            ("123 456", "123456"),
            ("123-456", "123456"),
            (" 012 345 ", "012345"),
            ("0-0-0-0-0-0", "000000"),
        ] {
            assert_eq!(normalize_code(input).unwrap().expose(), code, "{input:?}");
        }
        for input in [
            "",
            "12345",
            "1234567",
            "12345a",
            "abcdef",
            "123.456",
            "+12345",
            "１２３４５６",
            "12 34 5",
            "123456 7",
        ] {
            let error = normalize_code(input).unwrap_err();
            assert_eq!(error, TotpError::InvalidCode, "{input:?}");
            let message = error.to_string();
            assert!(message.contains("a code is 6 digits"), "{message}");
            if !input.trim().is_empty() {
                assert!(
                    !message.contains(input.trim()),
                    "{message:?} echoes {input:?}"
                );
            }
        }
    }

    #[test]
    fn verify_accepts_codes_within_the_skew() {
        let seed = rfc_seed();
        let now = 1_700_000_015;
        let t = Seed::window(now);
        assert_eq!(seed.verify(&seed.code_at(now), now, 0), Ok(t));
        assert_eq!(seed.verify(&seed.code_at(now - 30), now, 1), Ok(t - 1));
        assert_eq!(seed.verify(&seed.code_at(now + 30), now, 1), Ok(t + 1));
        // Formatting is forgiven.
        let code = seed.code_at(now);
        let spaced = format!("{} {}", &code.expose()[..3], &code.expose()[3..]);
        assert_eq!(seed.verify(&secret(&spaced), now, 0), Ok(t));
    }

    #[test]
    fn verify_rejects_codes_outside_the_skew_and_malformed_codes() {
        let seed = rfc_seed();
        let now = 1_700_000_015;
        assert_eq!(
            seed.verify(&seed.code_at(now - 30), now, 0),
            Err(TotpError::WrongCode { skew_windows: 0 })
        );
        assert_eq!(
            seed.verify(&seed.code_at(now + 60), now, 1),
            Err(TotpError::WrongCode { skew_windows: 1 })
        );
        // The skew is capped.
        assert_eq!(
            seed.verify(&seed.code_at(now + 30 * 11), now, u64::MAX),
            Err(TotpError::WrongCode {
                skew_windows: MAX_SKEW_WINDOWS
            })
        );
        assert_eq!(
            seed.verify(&secret("12345"), now, 1),
            Err(TotpError::InvalidCode)
        );
        // A code that is no window's: pick one that differs from all nearby codes.
        let nearby: Vec<String> = (0..3)
            .map(|i| seed.code_at(now - 30 + 30 * i).expose().to_owned())
            .collect();
        let wrong = (0..)
            .map(|n: u32| format!("{n:06}"))
            .find(|code| !nearby.contains(code))
            .unwrap();
        let error = seed.verify(&secret(&wrong), now, 1).unwrap_err();
        assert_eq!(error, TotpError::WrongCode { skew_windows: 1 });
        assert!(!error.to_string().contains(&wrong));
        // Near the epoch the window range is clipped, not wrapped.
        assert_eq!(seed.verify(&seed.code_at(0), 0, 2), Ok(0));
    }

    #[test]
    fn verify_consecutive_accepts_adjacent_windows() {
        let seed = rfc_seed();
        let now = 1_700_000_015;
        let t = Seed::window(now);
        let (code1, code2) = seed.consecutive_codes(now);
        assert_eq!(code1, seed.code_at(now));
        assert_eq!(code2, seed.code_at(now + 30));
        assert_eq!(
            seed.verify_consecutive(&code1, &code2, now, 1),
            Ok((t, t + 1))
        );
        // Typed from the app: the previous code and the current one.
        let previous = seed.code_at(now - 30);
        let current = seed.code_at(now);
        assert_eq!(
            seed.verify_consecutive(&previous, &current, now, 1),
            Ok((t - 1, t))
        );
    }

    #[test]
    fn verify_consecutive_failures_are_distinct() {
        let seed = rfc_seed();
        let now = 1_700_000_015;
        let t = Seed::window(now);
        let code = |window: u64| seed.code_at(window * 30);
        let nearby: Vec<String> = (t - 3..=t + 3)
            .map(|w| code(w).expose().to_owned())
            .collect();
        let wrong = secret(
            &(0..)
                .map(|n: u32| format!("{n:06}"))
                .find(|code| !nearby.contains(code))
                .unwrap(),
        );

        assert_eq!(
            seed.verify_consecutive(&wrong, &code(t), now, 1),
            Err(TotpError::FirstCodeWrong)
        );
        assert_eq!(
            seed.verify_consecutive(&code(t), &wrong, now, 1),
            Err(TotpError::SecondCodeWrong)
        );
        let wrong2 = secret(
            &(0..)
                .map(|n: u32| format!("{n:06}"))
                .filter(|code| !nearby.contains(code))
                .nth(1)
                .unwrap(),
        );
        assert_eq!(
            seed.verify_consecutive(&wrong, &wrong2, now, 1),
            Err(TotpError::BothCodesWrong)
        );
        assert_eq!(
            seed.verify_consecutive(&code(t), &code(t), now, 1),
            Err(TotpError::SameCodeTwice)
        );
        // Same digits, differently formatted, are still the same code.
        let spaced = secret(&format!(
            "{} {}",
            &code(t).expose()[..3],
            &code(t).expose()[3..]
        ));
        assert_eq!(
            seed.verify_consecutive(&code(t), &spaced, now, 1),
            Err(TotpError::SameCodeTwice)
        );
        // Reversed order, and a gap of two windows.
        assert_eq!(
            seed.verify_consecutive(&code(t), &code(t - 1), now, 1),
            Err(TotpError::NotConsecutive {
                first_window: t,
                second_window: t - 1
            })
        );
        assert_eq!(
            seed.verify_consecutive(&code(t - 1), &code(t + 1), now, 1),
            Err(TotpError::NotConsecutive {
                first_window: t - 1,
                second_window: t + 1
            })
        );
        // Malformed codes say which.
        assert_eq!(
            seed.verify_consecutive(&secret("12"), &code(t), now, 1),
            Err(TotpError::InvalidCodeInPair { which: 1 })
        );
        assert_eq!(
            seed.verify_consecutive(&code(t), &secret("1234567"), now, 1),
            Err(TotpError::InvalidCodeInPair { which: 2 })
        );
        // No message carries a code.
        for (a, b) in [(&wrong, &code(t)), (&code(t), &wrong), (&code(t), &code(t))] {
            let message = seed
                .verify_consecutive(a, b, now, 1)
                .unwrap_err()
                .to_string();
            assert!(!message.contains(a.expose()) && !message.contains(b.expose()));
        }
    }

    #[test]
    fn constant_time_eq_compares_bytes() {
        assert!(constant_time_eq(b"123456", b"123456"));
        assert!(!constant_time_eq(b"123456", b"123457"));
        assert!(!constant_time_eq(b"123456", b"023456"));
        assert!(!constant_time_eq(b"123456", b"12345"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn otpauth_uri_format() {
        let seed = rfc_seed();
        assert_eq!(
            seed.otpauth_uri(DEFAULT_ISSUER, "alice@123456789012")
                .unwrap()
                .expose(),
            "otpauth://totp/AWS:alice%40123456789012?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=AWS&algorithm=SHA1&digits=6&period=30"
        );
        assert_eq!(
            seed.otpauth_uri(AWS_CONSOLE_ISSUER, "bob.o'neil+ops@123456789012")
                .unwrap()
                .expose(),
            "otpauth://totp/Amazon%20Web%20Services:bob.o%27neil%2Bops%40123456789012\
             ?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Amazon%20Web%20Services\
             &algorithm=SHA1&digits=6&period=30"
        );
        assert_eq!(
            seed.otpauth_uri("Ünïcode & Co", "é/x").unwrap().expose(),
            "otpauth://totp/%C3%9Cn%C3%AFcode%20%26%20Co:%C3%A9%2Fx\
             ?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=%C3%9Cn%C3%AFcode%20%26%20Co\
             &algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn otpauth_uri_reads_back_with_totp_rs() {
        let bytes = fixed_seed_bytes(0xfeed_face_cafe_beef, 40);
        let seed = parse_seed(&reference_base32(&bytes)).unwrap();
        let uri = seed
            .otpauth_uri(AWS_CONSOLE_ISSUER, "alice@123456789012")
            .unwrap();
        let totp = totp_rs::Totp::from_url(uri.expose()).unwrap();
        assert_eq!(totp.secret().as_bytes(), &bytes[..]);
        assert_eq!(totp.issuer(), Some(AWS_CONSOLE_ISSUER));
        assert_eq!(totp.account_name(), "alice@123456789012");
        assert_eq!(totp.algorithm(), totp_rs::Algorithm::SHA1);
        assert_eq!(totp.digits(), 6);
        assert_eq!(totp.step(), 30);
    }

    #[test]
    fn otpauth_uri_rejects_bad_labels() {
        let seed = rfc_seed();
        assert_eq!(
            seed.otpauth_uri("AWS", "alice:123"),
            Err(TotpError::ColonInLabel {
                field: "account name"
            })
        );
        assert_eq!(
            seed.otpauth_uri("A:WS", "alice"),
            Err(TotpError::ColonInLabel { field: "issuer" })
        );
        assert_eq!(
            seed.otpauth_uri("", "alice"),
            Err(TotpError::EmptyLabel { field: "issuer" })
        );
        assert_eq!(
            seed.otpauth_uri("AWS", ""),
            Err(TotpError::EmptyLabel {
                field: "account name"
            })
        );
        assert_eq!(
            seed.otpauth_uri("AWS", &"a".repeat(MAX_LABEL_BYTES + 1)),
            Err(TotpError::LabelTooLong {
                field: "account name",
                max: MAX_LABEL_BYTES
            })
        );
        let message = seed
            .otpauth_uri("AWS", "alice:123")
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("':'") && message.contains("account name"),
            "{message}"
        );
    }

    /// Decode a QR code from a grid of modules (`true` = dark), surrounded by `margin`
    /// modules of `margin_dark` colour, rasterised at 4 pixels per module.
    fn decode_modules(grid: &[Vec<bool>], margin: usize, margin_dark: bool) -> String {
        const SCALE: usize = 4;
        let size = grid.len();
        assert!(
            grid.iter().all(|row| row.len() == size),
            "grid is not square"
        );
        let side = (size + 2 * margin) * SCALE;
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
            let (x, y) = (x / SCALE, y / SCALE);
            let inside =
                (margin..margin + size).contains(&x) && (margin..margin + size).contains(&y);
            let dark = if inside {
                grid[y - margin][x - margin]
            } else {
                margin_dark
            };
            if dark { 0 } else { 255 }
        });
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "expected one QR code in the image");
        grids[0].decode().expect("the QR code decodes").1
    }

    /// Read the modules back out of `qr_terminal`'s text: each character holds an upper
    /// and a lower module; a glyph half is lit (a light module), a blank half is terminal
    /// background (a dark module).
    fn parse_terminal(text: &str) -> Vec<Vec<bool>> {
        let mut rows = Vec::new();
        for line in text.lines() {
            let (upper, lower): (Vec<bool>, Vec<bool>) = line
                .chars()
                .map(|c| match c {
                    ' ' => (true, true),
                    '▀' => (false, true),
                    '▄' => (true, false),
                    '█' => (false, false),
                    other => panic!("unexpected character {other:?} in the QR drawing"),
                })
                .unzip();
            rows.push(upper);
            rows.push(lower);
        }
        let width = rows[0].len();
        assert!(
            rows.iter().all(|row| row.len() == width),
            "ragged QR drawing"
        );
        // An odd number of module rows leaves the last line's lower half unused.
        assert!(
            rows.len() == width || rows.len() == width + 1,
            "drawing is not square"
        );
        rows.truncate(width);
        rows
    }

    fn sample_uris() -> Vec<Secret> {
        let seed = parse_seed(&reference_base32(&fixed_seed_bytes(
            0x0123_4567_89ab_cdef,
            40,
        )))
        .unwrap();
        vec![
            seed.otpauth_uri(DEFAULT_ISSUER, "alice@123456789012")
                .unwrap(),
            seed.otpauth_uri(AWS_CONSOLE_ISSUER, "admin-with-a-long-name@123456789012")
                .unwrap(),
            rfc_seed().otpauth_uri("AWS", "x@1").unwrap(),
        ]
    }

    #[test]
    fn qr_matrix_round_trips() {
        for uri in sample_uris() {
            let matrix = qr_matrix(&uri);
            assert!(!matrix.is_empty());
            // The standard quiet zone (4 light modules) around it.
            assert_eq!(decode_modules(&matrix, 4, false), uri.expose());
        }
    }

    #[test]
    fn qr_terminal_round_trips() {
        for uri in sample_uris() {
            let drawing = qr_terminal(&uri);
            let grid = parse_terminal(&drawing);
            let matrix = qr_matrix(&uri);
            let quiet = (grid.len() - matrix.len()) / 2;
            assert!(quiet >= 2, "quiet zone of {quiet} modules");
            // The quiet zone is light, the rest is exactly the matrix (dark as dark).
            for (y, row) in grid.iter().enumerate() {
                for (x, &dark) in row.iter().enumerate() {
                    let inner = (quiet..quiet + matrix.len()).contains(&x)
                        && (quiet..quiet + matrix.len()).contains(&y);
                    let expected = inner && matrix[y - quiet][x - quiet];
                    assert_eq!(dark, expected, "module ({x}, {y})");
                }
            }
            // Scanned off a dark terminal background, and off a white page.
            assert_eq!(decode_modules(&grid, 4, true), uri.expose());
            assert_eq!(decode_modules(&grid, 4, false), uri.expose());
        }
    }

    #[test]
    fn qr_of_a_uri_too_long_is_a_note() {
        let uri = secret(&"x".repeat(5000));
        assert!(qr_matrix(&uri).is_empty());
        assert_eq!(qr_terminal(&uri), QR_TOO_LONG);
    }

    #[test]
    fn debug_is_redacted() {
        let seed = rfc_seed();
        let debug = format!("{seed:?}");
        assert_eq!(debug, "Seed([redacted])");
        assert_eq!(format!("{:?}", seed.base32()), "Secret([redacted])");
        assert_eq!(format!("{:?}", seed.code_at(59)), "Secret([redacted])");
    }
}
