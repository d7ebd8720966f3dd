//! The sandbox's decoding of `sm/v1` JSON request bodies (after the envelope): client keys, the
//! endpoint's payload DTO and its fields.
#![no_main]

use gw_provision::fuzzing::sandbox_sm_body;
use libfuzzer_sys::fuzz_target;

const ENDPOINTS: [&str; 6] = [
    "get_secret",
    "get_folders",
    "create_secret",
    "update_secret",
    "finalize_secret_update",
    "rollback_secret_update",
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let endpoint = ENDPOINTS[usize::from(selector) % ENDPOINTS.len()];
    let _ = sandbox_sm_body(endpoint, body);
});
