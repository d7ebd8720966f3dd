//! The client side of the `api/rest` envelope: an HTTP-200 body opened with the transmission key.
#![no_main]

use gw_provision::keeper::crypto::{aes_gcm_encrypt_with_nonce, AesKey};
use gw_provision::keeper::transport::envelope::open_response;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(key) = AesKey::from_slice(&[7; 32]) else {
        return;
    };
    // The body exactly as the network delivers it: almost always a clean BadResponse.
    let _ = open_response(&key, data);
    // A body that was sealed under the key must open to what was sealed.
    let sealed = aes_gcm_encrypt_with_nonce(&key, &[1; 12], data);
    let opened = open_response(&key, &sealed).expect("a sealed body opens");
    assert_eq!(opened, data);
});
