//! RFC 6238 time-based one-time codes (HMAC-SHA1, 6 digits, 30-second steps), the kind every
//! authenticator app produces from a base32 secret, so a sandbox account can demand one.

use hmac::{Hmac, Mac};
use zeroize::Zeroizing;

/// Length of one time step, seconds.
pub const STEP_SECONDS: u64 = 30;
/// Steps either side of now that are still accepted, for clock drift (RFC 6238 §5.2).
const ACCEPTED_DRIFT_STEPS: u64 = 1;

/// Why a base32 secret was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Base32Error {
    /// A character outside the RFC 4648 base32 alphabet (the character is not quoted: it is secret).
    #[error("the TOTP secret is not base32 (A-Z, 2-7)")]
    InvalidCharacter,
    /// Nothing left after removing padding and spaces.
    #[error("the TOTP secret is empty")]
    Empty,
}

/// Decodes RFC 4648 base32, ignoring case, spaces and `=` padding, as authenticator apps do.
pub fn base32_decode(text: &str) -> Result<Zeroizing<Vec<u8>>, Base32Error> {
    let mut out = Zeroizing::new(Vec::with_capacity(text.len() * 5 / 8));
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for c in text
        .bytes()
        .filter(|c| *c != b'=' && !c.is_ascii_whitespace())
    {
        let value = match c.to_ascii_uppercase() {
            upper @ b'A'..=b'Z' => upper - b'A',
            digit @ b'2'..=b'7' => digit - b'2' + 26,
            _ => return Err(Base32Error::InvalidCharacter),
        };
        buffer = (buffer << 5) | u32::from(value);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    if out.is_empty() {
        return Err(Base32Error::Empty);
    }
    Ok(out)
}

/// The 6-digit code for time step `counter` (RFC 4226 HOTP over the step number).
pub fn code_at_step(secret: &[u8], counter: u64) -> String {
    // HMAC accepts keys of any length, so this cannot fail; an empty code never matches.
    let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let value = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    format!("{:06}", value % 1_000_000)
}

/// The code an authenticator shows at `unix_seconds`.
pub fn code_at(secret: &[u8], unix_seconds: u64) -> String {
    code_at_step(secret, unix_seconds / STEP_SECONDS)
}

/// True when `code` is the code of the current step or of one step either side.
pub fn verify(secret: &[u8], code: &str, unix_seconds: u64) -> bool {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let now = unix_seconds / STEP_SECONDS;
    let first = now.saturating_sub(ACCEPTED_DRIFT_STEPS);
    (first..=now + ACCEPTED_DRIFT_STEPS).fold(false, |found, step| {
        // Compare every candidate, without an early exit.
        found
            | super::context::constant_time_eq(
                code_at_step(secret, step).as_bytes(),
                code.as_bytes(),
            )
    })
}

/// Seconds since the epoch, the clock TOTP codes are computed against.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 appendix B, SHA-1 key "12345678901234567890": the last 6 of the 8 published digits.
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn codes_match_the_rfc_6238_sha1_vectors() {
        assert_eq!(code_at(RFC_SECRET, 59), "287082");
        assert_eq!(code_at(RFC_SECRET, 1_111_111_109), "081804");
        assert_eq!(code_at(RFC_SECRET, 1_111_111_111), "050471");
        assert_eq!(code_at(RFC_SECRET, 1_234_567_890), "005924");
        assert_eq!(code_at(RFC_SECRET, 2_000_000_000), "279037");
        assert_eq!(code_at(RFC_SECRET, 20_000_000_000), "353130");
    }

    #[test]
    fn base32_decodes_the_rfc_secret_ignoring_case_spaces_and_padding() {
        let secret = base32_decode("gezdgnbv gy3tqojq GEZDGNBVGY3TQOJQ====").unwrap();
        assert_eq!(secret.as_slice(), RFC_SECRET);
    }

    #[test]
    fn base32_rejects_characters_outside_the_alphabet_and_empty_text() {
        assert_eq!(
            base32_decode("JBSWY3DP1").unwrap_err(),
            Base32Error::InvalidCharacter
        );
        assert_eq!(base32_decode(" == ").unwrap_err(), Base32Error::Empty);
    }

    #[test]
    fn a_code_one_step_old_or_early_is_accepted_two_steps_is_not() {
        let now = 1_111_111_109;
        assert!(verify(RFC_SECRET, &code_at(RFC_SECRET, now), now));
        assert!(verify(RFC_SECRET, &code_at(RFC_SECRET, now - 30), now));
        assert!(verify(RFC_SECRET, &code_at(RFC_SECRET, now + 30), now));
        assert!(!verify(RFC_SECRET, &code_at(RFC_SECRET, now - 60), now));
        assert!(!verify(RFC_SECRET, &code_at(RFC_SECRET, now + 60), now));
    }

    #[test]
    fn malformed_codes_never_match() {
        let now = 59;
        assert!(!verify(RFC_SECRET, "", now));
        assert!(!verify(RFC_SECRET, "28708", now));
        assert!(!verify(RFC_SECRET, "2870822", now));
        assert!(!verify(RFC_SECRET, "28708a", now));
        assert!(verify(RFC_SECRET, " 287082 ", now));
    }
}
