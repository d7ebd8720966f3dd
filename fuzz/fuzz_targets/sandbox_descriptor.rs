//! The sandbox descriptor file a client is pointed at (`--sandbox FILE`), read as the CLI reads it:
//! the JSON, then the server key and the host it names.
#![no_main]

use gw_provision::keeper::crypto::{b64url_decode, EcPublicKey};
use gw_provision::keeper::server::Server;
use gw_provision::sandbox::Descriptor;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(descriptor) = serde_json::from_str::<Descriptor>(text) else {
        return;
    };
    if let Ok(bytes) = b64url_decode(&descriptor.server_public_key) {
        drop(EcPublicKey::from_uncompressed(&bytes));
    }
    drop(descriptor.host.parse::<Server>());
    drop(descriptor.url.parse::<Server>());
    let json = serde_json::to_string(&descriptor).expect("a descriptor serializes");
    let again: Descriptor = serde_json::from_str(&json).expect("a written descriptor reads back");
    assert!(again == descriptor);
});
