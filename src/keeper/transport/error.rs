//! Transport errors, and the classification of Keeper's JSON error bodies
//! (protocol-transport-login.md §1.5–§1.6).

use std::time::Duration;

use crate::keeper::proto::rest_error::RestErrorBody;
use crate::keeper::proto::v2::V2Response;

/// Why a call to Keeper's REST API failed.
///
/// Messages carry Keeper's error code and text, never payloads, keys or tokens.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// Connection refused, DNS failure, timeout or a dropped connection.
    #[error("network error talking to {host}: {detail}")]
    Network {
        /// The host that could not be reached.
        host: String,
        /// What went wrong, as reported by the HTTP stack.
        detail: String,
    },
    /// The TLS handshake failed (untrusted or invalid certificate, protocol mismatch).
    #[error("TLS error talking to {host}: {detail}")]
    Tls {
        /// The host whose certificate or handshake failed.
        host: String,
        /// What went wrong, as reported by rustls.
        detail: String,
    },
    /// The peer answered the TLS handshake with something that is not TLS: a plain-HTTP server,
    /// or another service on that port.
    #[error("the server at {host} did not answer with TLS: {detail}")]
    NotTls {
        /// The host that answered.
        host: String,
        /// What rustls made of the answer.
        detail: String,
    },
    /// The extra CA certificate to trust (`TransportOptions::ca_cert_pem`) is unusable.
    #[error("the CA certificate is invalid: {0}")]
    InvalidCaCertificate(String),
    /// An HTTP error status without a Keeper JSON body (e.g. from a proxy).
    #[error("HTTP status {status} from the Keeper server")]
    Http {
        /// The HTTP status code.
        status: u16,
    },
    /// The server kept throttling the client after the allowed retries.
    #[error("throttled by the Keeper server after {retries} retries; try again later")]
    Throttled {
        /// How many times the request was retried.
        retries: u32,
    },
    /// The session token is no longer valid; log in again.
    #[error("the session has expired; log in again")]
    SessionExpired,
    /// The account lives in another region; continue on `host`.
    #[error("the account is served by {host}")]
    RegionRedirect {
        /// The host of the account's region.
        host: String,
    },
    /// The device token is unknown to this server (or to this region).
    #[error("device is not registered{}", additional_info.as_deref().map(|i| format!(": {i}")).unwrap_or_default())]
    DeviceNotRegistered {
        /// Keeper's `additional_info`, which tells "not in this region" apart from "unknown".
        additional_info: Option<String>,
    },
    /// Wrong password (or auth hash).
    #[error("authentication failed: wrong password")]
    AuthFailed,
    /// The server wants a transmission-key id this client cannot use.
    #[error("the server rejected the transmission key and asked for key id {key_id}, which this client cannot use")]
    ServerKeyRejected {
        /// The key id the server asked for.
        key_id: i32,
    },
    /// Any other error Keeper reported, with its code and message.
    #[error("Keeper error {code}: {message}{}", additional_info.as_deref().map(|i| format!(" ({i})")).unwrap_or_default())]
    Keeper {
        /// Keeper's error code (`error` or `result_code`), e.g. `bad_request`.
        code: String,
        /// Keeper's human-readable message.
        message: String,
        /// Keeper's `additional_info`, when present.
        additional_info: Option<String>,
    },
    /// The response could not be decrypted or decoded.
    #[error("invalid response from the Keeper server: {0}")]
    BadResponse(String),
    /// The request could not be built (bad options, key encryption failure).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
}

impl TransportError {
    /// True for connection-level failures (network or TLS) that the CLI reports as "unreachable".
    pub fn is_connection_error(&self) -> bool {
        matches!(
            self,
            TransportError::Network { .. }
                | TransportError::Tls { .. }
                | TransportError::NotTls { .. }
        )
    }

    /// Keeper's error code when the server reported one (`key`, `throttled`, `bad_request`, …).
    pub fn keeper_code(&self) -> Option<&str> {
        match self {
            TransportError::Keeper { code, .. } => Some(code),
            TransportError::SessionExpired => Some("session_token_expired"),
            TransportError::RegionRedirect { .. } => Some("region_redirect"),
            TransportError::DeviceNotRegistered { .. } => Some("device_not_registered"),
            TransportError::AuthFailed => Some("auth_failed"),
            TransportError::Throttled { .. } => Some("throttled"),
            TransportError::ServerKeyRejected { .. } => Some("key"),
            _ => None,
        }
    }
}

/// A Keeper error (REST error body or failed v2 reply) reduced to what the client reacts to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ErrorBody {
    pub code: String,
    pub message: String,
    pub additional_info: Option<String>,
    pub key_id: Option<i32>,
    pub region_host: Option<String>,
    pub retry_after: Option<u64>,
}

impl ErrorBody {
    /// Parses a plaintext REST error body; `None` when it is not one (e.g. a proxy's page).
    pub fn parse(body: &[u8]) -> Option<ErrorBody> {
        // serde would also accept a JSON array as a struct; only an object is an error body.
        let value: serde_json::Value = serde_json::from_slice(body).ok()?;
        if !value.is_object() {
            return None;
        }
        serde_json::from_value::<RestErrorBody>(value)
            .ok()
            .map(ErrorBody::from)
    }

    /// The failure described by a v2 command reply whose `result` is not `success`.
    pub fn from_v2(reply: V2Response) -> ErrorBody {
        ErrorBody {
            code: reply.result_code.unwrap_or_default(),
            message: reply.message.unwrap_or_default(),
            ..ErrorBody::default()
        }
    }

    /// Maps the body onto the typed error the rest of the client reacts to.
    ///
    /// `key` and `throttled` are normally handled by the retry loop; they only reach
    /// this point when retries are exhausted or impossible.
    pub fn into_error(self) -> TransportError {
        match self.code.as_str() {
            "session_token_expired" => TransportError::SessionExpired,
            "auth_failed" => TransportError::AuthFailed,
            "device_not_registered" => TransportError::DeviceNotRegistered {
                additional_info: self.additional_info,
            },
            "region_redirect" => match self.region_host {
                Some(host) => TransportError::RegionRedirect { host },
                None => self.into_keeper(),
            },
            "throttled" => TransportError::Throttled { retries: 0 },
            "key" => match self.key_id {
                Some(key_id) => TransportError::ServerKeyRejected { key_id },
                None => self.into_keeper(),
            },
            _ => self.into_keeper(),
        }
    }

    fn into_keeper(self) -> TransportError {
        TransportError::Keeper {
            code: if self.code.is_empty() {
                "unknown_error".to_owned()
            } else {
                self.code
            },
            message: self.message,
            additional_info: self.additional_info,
        }
    }
}

impl From<RestErrorBody> for ErrorBody {
    fn from(body: RestErrorBody) -> Self {
        ErrorBody {
            code: body.error,
            message: body.message.unwrap_or_default(),
            additional_info: body.additional_info.filter(|s| !s.is_empty()),
            key_id: body.key_id,
            region_host: body.region_host.filter(|s| !s.is_empty()),
            retry_after: body.retry_after.and_then(|n| u64::try_from(n).ok()),
        }
    }
}

/// Reads a wait hint like "Please try again in 1 minute" or "retry in 30 seconds".
///
/// Takes the first `<number> second(s)` or `<number> minute(s)`, case-insensitively, as both
/// Python clients do (protocol-transport-login.md §1.6).
pub(crate) fn parse_throttle_message(message: &str) -> Option<Duration> {
    let lower = message.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words.windows(2).find_map(|pair| {
        let amount: u64 = pair[0].parse().ok()?;
        match pair[1] {
            "second" | "seconds" | "sec" | "secs" => Some(Duration::from_secs(amount)),
            "minute" | "minutes" | "min" | "mins" => {
                Some(Duration::from_secs(amount.saturating_mul(60)))
            }
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_error_carries_the_requested_key_id() {
        let body = ErrorBody::parse(br#"{"error":"key","key_id":8}"#).unwrap();
        assert_eq!(body.key_id, Some(8));
        assert!(matches!(
            body.into_error(),
            TransportError::ServerKeyRejected { key_id: 8 }
        ));
    }

    #[test]
    fn key_id_may_be_a_string() {
        let body = ErrorBody::parse(br#"{"error":"key","key_id":"9"}"#).unwrap();
        assert_eq!(body.key_id, Some(9));
    }

    #[test]
    fn known_codes_map_to_typed_variants() {
        type Check = fn(&TransportError) -> bool;
        let cases: [(&[u8], Check); 4] = [
            (br#"{"error":"session_token_expired","message":"x"}"#, |e| {
                matches!(e, TransportError::SessionExpired)
            }),
            (br#"{"error":"auth_failed","message":"x"}"#, |e| {
                matches!(e, TransportError::AuthFailed)
            }),
            (
                br#"{"error":"region_redirect","message":"x","region_host":"keepersecurity.eu"}"#,
                |e| matches!(e, TransportError::RegionRedirect { host } if host == "keepersecurity.eu"),
            ),
            (
                br#"{"error":"device_not_registered","message":"x","additional_info":"invalid device token, not registered in this region"}"#,
                |e| matches!(e, TransportError::DeviceNotRegistered { additional_info: Some(i) } if i.contains("this region")),
            ),
        ];
        for (body, check) in cases {
            let error = ErrorBody::parse(body).unwrap().into_error();
            assert!(check(&error), "{error:?}");
        }
    }

    #[test]
    fn other_codes_keep_code_message_and_additional_info() {
        let error = ErrorBody::parse(
            br#"{"error":"bad_request","message":"Bad things","additional_info":"field x"}"#,
        )
        .unwrap()
        .into_error();
        let TransportError::Keeper {
            code,
            message,
            additional_info,
        } = &error
        else {
            panic!("{error:?}");
        };
        assert_eq!(code, "bad_request");
        assert_eq!(message, "Bad things");
        assert_eq!(additional_info.as_deref(), Some("field x"));
        assert_eq!(
            error.to_string(),
            "Keeper error bad_request: Bad things (field x)"
        );
    }

    #[test]
    fn non_object_json_is_not_an_error_body() {
        assert_eq!(ErrorBody::parse(b"[1,2]"), None);
        assert_eq!(ErrorBody::parse(b"<html>"), None);
    }

    #[test]
    fn throttle_message_minutes_and_seconds() {
        assert_eq!(
            parse_throttle_message("Please try again in 1 minute"),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_throttle_message("Throttled. Retry in 45 Seconds."),
            Some(Duration::from_secs(45))
        );
        assert_eq!(parse_throttle_message("slow down"), None);
    }
}
