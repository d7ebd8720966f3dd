//! The sandbox's server side of both request envelopes, on raw bytes: `api/rest` (ApiRequest
//! protobuf, ECIES-wrapped transmission key, AES-GCM payload) and `sm/v1` (three headers, an
//! AES-GCM body and an ECDSA signature).
//!
//! The first byte picks a mode: raw input, or input placed inside a correctly sealed envelope so
//! the fuzzer reaches the decoders behind the cryptography.
#![no_main]

use std::sync::OnceLock;

use gw_provision::fuzzing::{sandbox_open_ksm, sandbox_open_rest};
use gw_provision::keeper::crypto::{
    aes_gcm_encrypt_with_nonce, b64_std_encode, ecdsa_sign, ecies_encrypt, AesKey, EcPrivateKey,
};
use gw_provision::keeper::proto::authentication::ApiRequest;
use gw_provision::sandbox::SERVER_KEY_ID;
use libfuzzer_sys::fuzz_target;
use prost::Message;

struct Keys {
    server: EcPrivateKey,
    client: EcPrivateKey,
    transmission: AesKey,
    /// The transmission key sealed to the server key once, so every run is deterministic.
    wrapped: Vec<u8>,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let server = EcPrivateKey::from_bytes(&[0x22; 32]).expect("a valid scalar");
        let client = EcPrivateKey::from_bytes(&[0x33; 32]).expect("a valid scalar");
        let transmission = AesKey::from_slice(&[0x44; 32]).expect("32 bytes");
        let wrapped = ecies_encrypt(&server.public_key(), transmission.as_bytes());
        Keys {
            server,
            client,
            transmission,
            wrapped,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let keys = keys();
    let client_public = keys.client.public_key().to_uncompressed();
    match selector % 4 {
        0 => drop(sandbox_open_rest(&keys.server, rest)),
        1 => {
            // A well-sealed ApiRequest whose inner ApiRequestPayload bytes are the input.
            let request = ApiRequest {
                encrypted_transmission_key: keys.wrapped.clone(),
                public_key_id: SERVER_KEY_ID,
                locale: "en_US".to_owned(),
                encrypted_payload: aes_gcm_encrypt_with_nonce(&keys.transmission, &[0; 12], rest),
                ..ApiRequest::default()
            };
            drop(sandbox_open_rest(&keys.server, &request.encode_to_vec()));
        }
        2 => {
            // Headers and body as raw text: `PublicKeyId\nTransmissionKey\nAuthorization\nbody`.
            let mut parts = rest.splitn(4, |&b| b == b'\n');
            let mut header = || {
                parts
                    .next()
                    .map(|p| String::from_utf8_lossy(p).into_owned())
            };
            let (id, tk, auth) = (header(), header(), header());
            let body = parts.next().unwrap_or_default();
            drop(sandbox_open_ksm(
                &keys.server,
                id.as_deref(),
                tk.as_deref(),
                auth.as_deref(),
                body,
                &client_public,
            ));
        }
        _ => {
            // A correctly sealed and signed sm/v1 request whose JSON payload is the input.
            let body = aes_gcm_encrypt_with_nonce(&keys.transmission, &[0; 12], rest);
            let mut signed = keys.wrapped.clone();
            signed.extend_from_slice(&body);
            let authorization = format!(
                "Signature {}",
                b64_std_encode(&ecdsa_sign(&keys.client, &signed))
            );
            let payload = sandbox_open_ksm(
                &keys.server,
                Some("7"),
                Some(&b64_std_encode(&keys.wrapped)),
                Some(&authorization),
                &body,
                &client_public,
            )
            .expect("a well-sealed request opens");
            assert_eq!(payload, rest);
        }
    }
});
