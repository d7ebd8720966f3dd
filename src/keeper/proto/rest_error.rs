//! The plaintext JSON error body Keeper returns on `api/rest` (and `sm/v1`) failures.
//!
//! Both Python clients read these keys loosely (`dict.get`), and the server is not consistent
//! about types: `key_id` arrives as a number on `api/rest` and as a string in KSM tests
//! (`{"error":"key","key_id":"2"}`). The parser here is therefore tolerant: wrong-typed
//! optional keys become `None` or their text form instead of failing the whole body.

use serde::{Deserialize, Deserializer, Serialize};

/// `{"error": <code>, "message": <text>, ...}` from an HTTP ≥ 400 (or JSON-typed 200) reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestErrorBody {
    /// Machine-readable code, e.g. `key`, `throttled`, `region_redirect`, `session_token_expired`.
    #[serde(deserialize_with = "lenient_string")]
    pub error: String,
    /// Human-readable text; throttling hints ("try again in 1 minute") live here.
    #[serde(
        default,
        deserialize_with = "lenient_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub message: Option<String>,
    /// Server key id to retry with after `error == "key"`; a number or a decimal string.
    #[serde(
        default,
        deserialize_with = "lenient_opt_i32",
        skip_serializing_if = "Option::is_none"
    )]
    pub key_id: Option<i32>,
    /// EC key id to pair with the QRC key after a QRC `error == "key"`.
    #[serde(
        default,
        deserialize_with = "lenient_opt_i32",
        skip_serializing_if = "Option::is_none"
    )]
    pub qrc_ec_key_id: Option<i32>,
    /// New host after `error == "region_redirect"`.
    #[serde(
        default,
        deserialize_with = "lenient_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub region_host: Option<String>,
    /// Extra detail; distinguishes the two `device_not_registered` cases.
    #[serde(
        default,
        deserialize_with = "lenient_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub additional_info: Option<String>,
    /// Seconds to wait before retrying (KSM throttling).
    #[serde(
        default,
        deserialize_with = "lenient_opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub retry_after: Option<i64>,
    /// Server-side location of the failure (diagnostic only).
    #[serde(
        default,
        deserialize_with = "lenient_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub location: Option<String>,
    /// Request path echoed by the server (diagnostic only).
    #[serde(
        default,
        deserialize_with = "lenient_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub path: Option<String>,
}

impl RestErrorBody {
    /// Builds a body with only `error` and `message`, as the sandbox answers most failures.
    pub fn new(error: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            message: Some(message.into()),
            key_id: None,
            qrc_ec_key_id: None,
            region_host: None,
            additional_info: None,
            retry_after: None,
            location: None,
            path: None,
        }
    }

    /// Parses an error body; `None` when it is not a JSON object with an `error` key.
    ///
    /// Never fails loudly: a proxy's HTML page or a truncated body is simply "not a Keeper error".
    pub fn parse(body: &[u8]) -> Option<Self> {
        parse_object(body)
    }

    /// The message, or an empty string when the server sent none.
    pub fn message_or_empty(&self) -> &str {
        self.message.as_deref().unwrap_or("")
    }
}

/// Deserializes `body` as `T` only when it is a well-formed JSON object. Read straight into a
/// struct, serde would also take a JSON array, and would skip unknown keys without checking
/// that their strings are UTF-8 (found by the `error_bodies` fuzz target).
pub(crate) fn parse_object<T: serde::de::DeserializeOwned>(body: &[u8]) -> Option<T> {
    match serde_json::from_slice(body).ok()? {
        value @ serde_json::Value::Object(_) => serde_json::from_value(value).ok(),
        _ => None,
    }
}

/// Reads a JSON value that should be text: strings as-is, other scalars as their JSON text.
fn value_to_string(value: serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

/// Reads a JSON value that should be an integer: numbers, or strings holding a decimal integer.
fn value_to_i64(value: &serde_json::Value) -> Option<i64> {
    match value {
        serde_json::Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Deserializes any scalar as a `String` (null becomes the empty string).
pub(crate) fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(value_to_string(value).unwrap_or_default())
}

/// Deserializes any scalar as `Option<String>`; null becomes `None`.
pub(crate) fn lenient_opt_string<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(value_to_string(value))
}

/// Deserializes a number or numeric string as `Option<i64>`; anything else becomes `None`.
pub(crate) fn lenient_opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(value_to_i64(&value))
}

/// Deserializes a number or numeric string as `Option<i32>`; out-of-range or other becomes `None`.
pub(crate) fn lenient_opt_i32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(value_to_i64(&value).and_then(|n| i32::try_from(n).ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_id_is_read_from_a_number_or_a_string() {
        let numeric = RestErrorBody::parse(br#"{"error":"key","key_id":8}"#).unwrap();
        let text = RestErrorBody::parse(br#"{"error":"key","key_id":"2"}"#).unwrap();
        assert_eq!((numeric.key_id, text.key_id), (Some(8), Some(2)));
    }

    #[test]
    fn unparseable_optional_keys_do_not_reject_the_body() {
        let body = RestErrorBody::parse(
            br#"{"error":"throttled","message":null,"key_id":"x","retry_after":"12","additional_info":{"a":1}}"#,
        )
        .unwrap();
        assert_eq!(body.error, "throttled");
        assert_eq!(body.message, None);
        assert_eq!(body.key_id, None);
        assert_eq!(body.retry_after, Some(12));
        assert_eq!(body.additional_info.as_deref(), Some(r#"{"a":1}"#));
    }

    #[test]
    fn body_without_error_key_is_not_a_keeper_error() {
        assert_eq!(RestErrorBody::parse(br#"{"message":"hi"}"#), None);
        assert_eq!(RestErrorBody::parse(b"<html>bad gateway</html>"), None);
    }

    #[test]
    fn json_array_is_not_a_keeper_error() {
        assert_eq!(RestErrorBody::parse(br#"["key", "m", 8]"#), None);
    }

    #[test]
    fn body_with_invalid_utf8_in_an_unknown_key_is_not_a_keeper_error() {
        assert_eq!(
            RestErrorBody::parse(b"{\"error\":\"key\",\"x\":\"ht\x98t\"}"),
            None
        );
    }

    #[test]
    fn ksm_test_error_body_keeps_path_and_location() {
        let body = RestErrorBody::parse(
            br#"{"path": "https://x/api/rest/sm/v1/get_secret, POST, python-requests/2.25.1", "additional_info": "", "location": "default exception manager - api validation exception", "error": "access_denied", "message": "Signature is invalid"}"#,
        )
        .unwrap();
        assert_eq!(body.error, "access_denied");
        assert_eq!(body.message_or_empty(), "Signature is invalid");
        assert!(body.path.is_some() && body.location.is_some());
        assert_eq!(body.additional_info.as_deref(), Some(""));
    }

    #[test]
    fn region_redirect_serializes_without_absent_keys() {
        let mut body = RestErrorBody::new("region_redirect", "moved");
        body.region_host = Some("keepersecurity.eu".into());
        let json = serde_json::to_string(&body).unwrap();
        assert_eq!(
            json,
            r#"{"error":"region_redirect","message":"moved","region_host":"keepersecurity.eu"}"#
        );
    }
}
