use super::*;

#[test]
fn error_body_reads_result_code_before_error() {
    let body =
        KsmErrorBody::parse(br#"{"result_code":"throttled","error":"x","key_id":"7"}"#).unwrap();
    assert_eq!((body.code(), body.key_id), (Some("throttled"), Some(7)));
}

/// Found by the `error_bodies` fuzz target: serde skipped the unknown key's string without
/// checking it, so a body that is not JSON text parsed as an error.
#[test]
fn error_body_with_invalid_utf8_in_an_unknown_key_is_refused() {
    let body = b"{\"path\": \"htt\x98t\", \"error\": \"access_denied\", \"message\": \"Signature is invalid\"}";
    assert_eq!(KsmErrorBody::parse(body), None);
}

#[test]
fn json_array_is_not_an_error_body() {
    assert_eq!(KsmErrorBody::parse(br#"["throttled"]"#), None);
    assert_eq!(KsmErrorBody::parse(b"[]"), None);
}
