//! The One-Time Access Token a gateway redeems: `<REGION or host>:<b64url secret>`.
//!
//! The secret is the only thing that binds a new KSM client; the server never sees it
//! (protocol-vault-ksm-gateway.md §4.1–§4.2), so the token is treated like a password:
//! redacted `Debug`, no `Display`, and an explicit [`OneTimeToken::expose`] to print it.

use std::str::FromStr;

use zeroize::Zeroizing;

use crate::keeper::crypto::{b64url_decode, b64url_encode, hmac_sha512, AesKey};

/// Message HMAC'd with the token secret to derive the client id (KSM `_generate_client_id`).
const CLIENT_ID_MESSAGE: &[u8] = b"KEEPER_SECRETS_MANAGER_CLIENT_ID";

/// Why a token string could not be parsed; never echoes the secret.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// The text was empty after trimming.
    #[error("the one-time access token is empty")]
    Empty,
    /// The part before the last `:` was empty.
    #[error("the one-time access token has an empty region/host prefix")]
    EmptyPrefix,
    /// The secret part was not URL-safe base64.
    #[error("the one-time access token secret is not base64url")]
    SecretEncoding,
    /// The secret did not decode to 32 bytes.
    #[error("the one-time access token secret must be 32 bytes, got {0}")]
    SecretLength(usize),
}

/// A One-Time Access Token: an optional region/host prefix plus the 32-byte client secret.
#[derive(Clone)]
pub struct OneTimeToken {
    prefix: Option<String>,
    secret: AesKey,
    /// The canonical text (`PREFIX:SECRET` or `SECRET`), kept so it can be lent out as `&str`.
    text: Zeroizing<String>,
}

impl OneTimeToken {
    /// Makes a fresh token for `prefix` (a region code such as `US`, or a host), as Commander does.
    pub fn generate(prefix: impl Into<String>) -> Self {
        Self::from_parts(Some(prefix.into()), AesKey::generate())
    }

    /// Assembles a token from a known prefix (or none, for a bare secret) and secret.
    pub fn from_parts(prefix: Option<String>, secret: AesKey) -> Self {
        let encoded = Zeroizing::new(b64url_encode(secret.as_bytes()));
        let text = match &prefix {
            Some(prefix) => Zeroizing::new(format!("{prefix}:{}", encoded.as_str())),
            None => encoded,
        };
        Self {
            prefix,
            secret,
            text,
        }
    }

    /// The region code or host the token names, if it carries one.
    pub fn prefix(&self) -> Option<&str> {
        self.prefix.as_deref()
    }

    /// The 32-byte client secret (also the AES key of `encryptedAppKey`).
    pub fn secret(&self) -> &AesKey {
        &self.secret
    }

    /// The 64-byte KSM client id: HMAC-SHA512(secret, "KEEPER_SECRETS_MANAGER_CLIENT_ID").
    pub fn client_id(&self) -> [u8; 64] {
        hmac_sha512(self.secret.as_bytes(), CLIENT_ID_MESSAGE)
    }

    /// The secret alone as b64url, the form KSM SDKs accept together with a separate hostname.
    pub fn expose_secret(&self) -> &str {
        self.text
            .rsplit_once(':')
            .map_or(self.text.as_str(), |(_, secret)| secret)
    }

    /// The full token text, for the one place that is allowed to print it.
    pub fn expose(&self) -> &str {
        &self.text
    }
}

impl std::fmt::Debug for OneTimeToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OneTimeToken")
            .field("prefix", &self.prefix)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl FromStr for OneTimeToken {
    type Err = TokenError;

    /// Parses `PREFIX:SECRET` or a bare `SECRET`.
    ///
    /// Splits on the *last* colon: a host prefix may carry a port (`127.0.0.1:8443:secret`),
    /// and b64url never contains `:`. (KSM SDKs split on every colon, which breaks such tokens,
    /// protocol-vault-ksm-gateway.md §4.2.) The 4-part IL5 form is not supported.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text.is_empty() {
            return Err(TokenError::Empty);
        }
        let (prefix, secret_text) = match text.rsplit_once(':') {
            Some(("", _)) => return Err(TokenError::EmptyPrefix),
            Some((prefix, secret)) => (Some(prefix.to_owned()), secret),
            None => (None, text),
        };
        let bytes =
            Zeroizing::new(b64url_decode(secret_text).map_err(|_| TokenError::SecretEncoding)?);
        let secret =
            AesKey::from_slice(&bytes).map_err(|_| TokenError::SecretLength(bytes.len()))?;
        Ok(Self::from_parts(prefix, secret))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET_B64: &str = "aohIcilVqaHIeIRS-4SwF2YuKQVM0zjrNe1yNb9SzVg";

    #[test]
    fn region_token_round_trips_through_text() {
        let token: OneTimeToken = format!("US:{SECRET_B64}").parse().unwrap();
        assert_eq!(token.prefix(), Some("US"));
        assert_eq!(token.expose(), format!("US:{SECRET_B64}"));
    }

    #[test]
    fn host_with_port_prefix_is_kept_whole() {
        let token: OneTimeToken = format!("127.0.0.1:8443:{SECRET_B64}").parse().unwrap();
        assert_eq!(token.prefix(), Some("127.0.0.1:8443"));
        assert_eq!(token.expose_secret(), SECRET_B64);
    }

    #[test]
    fn bare_secret_has_no_prefix() {
        let token: OneTimeToken = SECRET_B64.parse().unwrap();
        assert_eq!(token.prefix(), None);
        assert_eq!(token.expose(), SECRET_B64);
    }

    #[test]
    fn surrounding_whitespace_is_ignored() {
        let token: OneTimeToken = format!("  EU:{SECRET_B64}\n").parse().unwrap();
        assert_eq!(token.prefix(), Some("EU"));
    }

    #[test]
    fn malformed_tokens_are_rejected() {
        assert_eq!("".parse::<OneTimeToken>().unwrap_err(), TokenError::Empty);
        assert_eq!(
            format!(":{SECRET_B64}")
                .parse::<OneTimeToken>()
                .unwrap_err(),
            TokenError::EmptyPrefix
        );
        assert_eq!(
            "US:not*base64".parse::<OneTimeToken>().unwrap_err(),
            TokenError::SecretEncoding
        );
        assert_eq!(
            "US:AAAA".parse::<OneTimeToken>().unwrap_err(),
            TokenError::SecretLength(3)
        );
    }

    #[test]
    fn debug_output_never_contains_the_secret() {
        let token: OneTimeToken = format!("US:{SECRET_B64}").parse().unwrap();
        let debug = format!("{token:?}");
        assert!(!debug.contains(SECRET_B64));
        assert!(debug.contains("redacted"));
    }

    #[test]
    fn client_id_matches_the_official_client_vector() {
        let token: OneTimeToken = SECRET_B64.parse().unwrap();
        assert_eq!(
            b64url_encode(&token.client_id()),
            "DutwfCtMJeK3xTgbzRNwdfqFLFD4oNUAIB71EndVepgX_ck8h5Fu1-HeNQ3gwne9uIRvHXF2-Wf-71MLNXBDcA"
        );
    }

    #[test]
    fn generated_tokens_differ_and_parse_back() {
        let a = OneTimeToken::generate("US");
        let b = OneTimeToken::generate("US");
        assert_ne!(a.secret(), b.secret());
        let parsed: OneTimeToken = a.expose().parse().unwrap();
        assert_eq!(parsed.secret(), a.secret());
    }
}
