//! The `api/rest` envelope codec: building an encrypted `ApiRequest` and opening the encrypted
//! response (protocol-transport-login.md §1.2–§1.5). Pure functions, no I/O, so the wire format
//! can be pinned by vectors apart from the HTTP retry logic.

use prost::Message;
use zeroize::Zeroizing;

use super::error::TransportError;
use super::server_keys::ServerKey;
use crate::keeper::crypto::{aes_gcm_decrypt, aes_gcm_encrypt, AesKey};
use crate::keeper::proto::authentication::{ApiRequest, ApiRequestPayload};

/// What goes inside the encrypted `ApiRequestPayload`.
#[derive(Default)]
pub struct RequestPayload<'a> {
    /// The serialized endpoint request (protobuf, or UTF-8 JSON for v2 commands).
    pub payload: &'a [u8],
    /// Raw session-token bytes, once logged in.
    pub session_token: Option<&'a [u8]>,
    /// `ApiRequestPayload.apiVersion`, for the few endpoints that need one; 0 = unset.
    pub api_version: i32,
}

/// Builds the serialized `ApiRequest`: the transmission key sealed to `server_key`, and the
/// payload AES-GCM-encrypted under the transmission key.
pub fn seal_request(
    server_key: &ServerKey,
    transmission_key: &AesKey,
    payload: &RequestPayload<'_>,
    locale: &str,
) -> Result<Vec<u8>, TransportError> {
    let inner = ApiRequestPayload {
        payload: payload.payload.to_vec(),
        encrypted_session_token: payload
            .session_token
            .map(<[u8]>::to_vec)
            .unwrap_or_default(),
        time_token: Vec::new(),
        api_version: payload.api_version,
    };
    // The plaintext holds the session token: keep it in a zeroizing buffer.
    let plaintext = Zeroizing::new(inner.encode_to_vec());
    let mut inner = inner;
    zeroize::Zeroize::zeroize(&mut inner.encrypted_session_token);
    zeroize::Zeroize::zeroize(&mut inner.payload);

    let encrypted_transmission_key = server_key
        .encrypt_transmission_key(transmission_key)
        .map_err(|e| {
            TransportError::InvalidRequest(format!("cannot seal transmission key: {e}"))
        })?;
    let request = ApiRequest {
        encrypted_transmission_key,
        public_key_id: server_key.id(),
        locale: locale.to_owned(),
        encrypted_payload: aes_gcm_encrypt(transmission_key, &plaintext),
        ..ApiRequest::default()
    };
    Ok(request.encode_to_vec())
}

/// Decrypts an HTTP-200 response body (nonce‖ciphertext‖tag under the transmission key).
/// An empty body means "no response message" and stays empty.
pub fn open_response(transmission_key: &AesKey, body: &[u8]) -> Result<Vec<u8>, TransportError> {
    if body.is_empty() {
        return Ok(Vec::new());
    }
    aes_gcm_decrypt(transmission_key, body).map_err(|_| {
        TransportError::BadResponse(format!(
            "response of {} bytes could not be decrypted with the transmission key (truncated or tampered)",
            body.len()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keeper::crypto::{aes_gcm_encrypt, b64url_decode, ecies_decrypt, EcPrivateKey};
    use crate::keeper::proto::authentication::LoginResponse;
    use crate::keeper::transport::server_keys::ServerPublicKey;

    fn vector(name: &str) -> serde_json::Value {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/keeper-vectors.json"
        ))
        .unwrap();
        let all: serde_json::Value = serde_json::from_str(&text).unwrap();
        all[name].clone()
    }

    fn b64(value: &serde_json::Value) -> Vec<u8> {
        b64url_decode(value.as_str().unwrap()).unwrap()
    }

    #[test]
    fn commander_start_login_response_opens_with_its_transmission_key() {
        let v = vector("rest_start_login");
        let tk = AesKey::from_slice(&b64(&v["expect_transmission_key"])).unwrap();
        let plaintext = open_response(&tk, &b64(&v["response_body"])).unwrap();
        assert_eq!(plaintext, b64(&v["response_plaintext_login_response"]));
        let response = LoginResponse::decode(plaintext.as_slice()).unwrap();
        assert_eq!(response.login_state, 13, "REQUIRES_AUTH_HASH");
    }

    #[test]
    fn sealed_request_opens_with_the_server_private_key() {
        let server = EcPrivateKey::generate();
        let key = ServerKey::new(42, ServerPublicKey::Ec(server.public_key()));
        let tk = AesKey::generate();
        let body = seal_request(
            &key,
            &tk,
            &RequestPayload {
                payload: b"hello",
                session_token: Some(b"token"),
                api_version: 1,
            },
            "en_US",
        )
        .unwrap();

        let request = ApiRequest::decode(body.as_slice()).unwrap();
        assert_eq!(request.public_key_id, 42);
        assert_eq!(request.locale, "en_US");
        let opened_tk = ecies_decrypt(&server, &request.encrypted_transmission_key).unwrap();
        assert_eq!(opened_tk.as_slice(), tk.as_bytes());
        let inner = aes_gcm_decrypt(&tk, &request.encrypted_payload).unwrap();
        let inner = ApiRequestPayload::decode(inner.as_slice()).unwrap();
        assert_eq!(inner.payload, b"hello");
        assert_eq!(inner.encrypted_session_token, b"token");
        assert_eq!(inner.api_version, 1);
    }

    #[test]
    fn truncated_or_tampered_response_is_a_bad_response_not_a_panic() {
        let tk = AesKey::generate();
        let mut body = aes_gcm_encrypt(&tk, b"payload");
        assert!(matches!(
            open_response(&tk, &body[..10]),
            Err(TransportError::BadResponse(_))
        ));
        let last = body.len() - 1;
        body[last] ^= 1;
        assert!(matches!(
            open_response(&tk, &body),
            Err(TransportError::BadResponse(_))
        ));
    }

    #[test]
    fn empty_response_is_an_empty_message() {
        assert_eq!(
            open_response(&AesKey::generate(), b"").unwrap(),
            Vec::<u8>::new()
        );
    }
}
