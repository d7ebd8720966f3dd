//! Keeper's plaintext JSON error bodies: `api/rest` (RestErrorBody and the transport's reading of
//! it, including the throttling hint) and `sm/v1` (KsmErrorBody).
#![no_main]

use gw_provision::fuzzing::{throttle_message, transport_error_body};
use gw_provision::keeper::proto::ksm_json::KsmErrorBody;
use gw_provision::keeper::proto::rest_error::RestErrorBody;
use libfuzzer_sys::fuzz_target;

/// Both parsers promise `None` for anything but a JSON object.
fn is_json_object(data: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(data).is_ok_and(|v| v.is_object())
}

fuzz_target!(|data: &[u8]| {
    if let Some(body) = RestErrorBody::parse(data) {
        assert!(is_json_object(data), "RestErrorBody from a non-object");
        // What we parse we can write, and reading it back gives the same body.
        let json = serde_json::to_vec(&body).expect("an error body serializes");
        assert_eq!(RestErrorBody::parse(&json).as_ref(), Some(&body));
        let _ = body.message_or_empty();
    }
    if let Some(body) = KsmErrorBody::parse(data) {
        assert!(is_json_object(data), "KsmErrorBody from a non-object");
        let _ = body.code();
        let json = serde_json::to_vec(&body).expect("a KSM error body serializes");
        assert_eq!(KsmErrorBody::parse(&json).as_ref(), Some(&body));
    }
    drop(transport_error_body(data));
    let _ = throttle_message(&String::from_utf8_lossy(data));
});
