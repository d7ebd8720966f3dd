//! Server side of Keeper's two request envelopes, on raw bytes so vectors can pin them.
//!
//! * `api/rest`: an `ApiRequest` protobuf whose transmission key is ECIES-wrapped to the server key
//!   and whose `ApiRequestPayload` is AES-GCM under that key (notes 01 §1.2–1.4).
//! * `api/rest/sm/v1`: headers `PublicKeyId`, `TransmissionKey` (std b64 ECIES) and
//!   `Authorization: Signature <std b64 DER ECDSA>` over `encryptedKey ‖ body` (notes 02 §5.3).
//!
//! Replies in both are AES-GCM under the request's transmission key.

use prost::Message;

use crate::keeper::crypto::{
    aes_gcm_decrypt, aes_gcm_encrypt, b64_std_decode, ecdsa_verify, ecies_decrypt, AesKey,
    EcPrivateKey, EcPublicKey,
};
use crate::keeper::proto::authentication::{ApiRequest, ApiRequestPayload};

/// The only server key id the sandbox serves (its own P-256 key, not Keeper's key 7).
pub const SERVER_KEY_ID: i32 = 7;

/// Why a request envelope was rejected; each maps to the JSON error a real server sends.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvelopeError {
    /// The request names a server key the sandbox does not have.
    #[error("unknown server public key id {0}")]
    WrongKeyId(i32),
    /// The transmission key does not decrypt under the server key.
    #[error("the transmission key cannot be decrypted with server key {SERVER_KEY_ID}")]
    TransmissionKey,
    /// The body is not the protobuf, base64 or ciphertext it should be.
    #[error("malformed request: {0}")]
    Malformed(&'static str),
    /// A KSM header is missing.
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    /// The KSM request signature does not verify.
    #[error("Signature is invalid")]
    BadSignature,
}

/// A decrypted `api/rest` request.
pub struct RestRequest {
    /// Key for the reply.
    pub transmission_key: AesKey,
    /// The inner payload: endpoint body and session token.
    pub payload: ApiRequestPayload,
}

impl std::fmt::Debug for RestRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestRequest")
            .field("payload_len", &self.payload.payload.len())
            .finish_non_exhaustive()
    }
}

/// Opens an `api/rest` request body with the server's private key.
pub fn open_rest(server_key: &EcPrivateKey, body: &[u8]) -> Result<RestRequest, EnvelopeError> {
    let request =
        ApiRequest::decode(body).map_err(|_| EnvelopeError::Malformed("ApiRequest protobuf"))?;
    if request.public_key_id != SERVER_KEY_ID {
        return Err(EnvelopeError::WrongKeyId(request.public_key_id));
    }
    let transmission_key =
        unwrap_transmission_key(server_key, &request.encrypted_transmission_key)?;
    let plain = aes_gcm_decrypt(&transmission_key, &request.encrypted_payload)
        .map_err(|_| EnvelopeError::Malformed("encryptedPayload does not decrypt"))?;
    let payload = ApiRequestPayload::decode(plain.as_slice())
        .map_err(|_| EnvelopeError::Malformed("ApiRequestPayload protobuf"))?;
    Ok(RestRequest {
        transmission_key,
        payload,
    })
}

/// Encrypts a reply body under the request's transmission key.
pub fn seal(transmission_key: &AesKey, plaintext: &[u8]) -> Vec<u8> {
    aes_gcm_encrypt(transmission_key, plaintext)
}

/// A decrypted `sm/v1` request whose signature is still to be checked against the client's key.
pub struct KsmRequest {
    /// Key for the reply.
    pub transmission_key: AesKey,
    /// The JSON payload bytes.
    pub payload: Vec<u8>,
    signed: Vec<u8>,
    signature: Vec<u8>,
}

impl std::fmt::Debug for KsmRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KsmRequest")
            .field("payload_len", &self.payload.len())
            .finish_non_exhaustive()
    }
}

/// The three `sm/v1` headers, as received.
#[derive(Debug, Clone, Copy, Default)]
pub struct KsmHeaders<'a> {
    /// `PublicKeyId`.
    pub public_key_id: Option<&'a str>,
    /// `TransmissionKey`.
    pub transmission_key: Option<&'a str>,
    /// `Authorization`.
    pub authorization: Option<&'a str>,
}

/// Opens an `sm/v1` request: checks the key id, unwraps the transmission key, decrypts the body.
pub fn open_ksm(
    server_key: &EcPrivateKey,
    headers: KsmHeaders<'_>,
    body: &[u8],
) -> Result<KsmRequest, EnvelopeError> {
    let key_id = headers
        .public_key_id
        .ok_or(EnvelopeError::MissingHeader("PublicKeyId"))?;
    let key_id: i32 = key_id
        .trim()
        .parse()
        .map_err(|_| EnvelopeError::Malformed("PublicKeyId is not a number"))?;
    if key_id != SERVER_KEY_ID {
        return Err(EnvelopeError::WrongKeyId(key_id));
    }
    let wrapped = b64_std_decode(
        headers
            .transmission_key
            .ok_or(EnvelopeError::MissingHeader("TransmissionKey"))?
            .trim(),
    )
    .map_err(|_| EnvelopeError::Malformed("TransmissionKey is not base64"))?;
    let signature = headers
        .authorization
        .ok_or(EnvelopeError::MissingHeader("Authorization"))?
        .trim()
        .strip_prefix("Signature ")
        .ok_or(EnvelopeError::Malformed("Authorization is not a Signature"))?;
    let signature = b64_std_decode(signature.trim())
        .map_err(|_| EnvelopeError::Malformed("signature is not base64"))?;
    let transmission_key = unwrap_transmission_key(server_key, &wrapped)?;
    let payload = aes_gcm_decrypt(&transmission_key, body)
        .map_err(|_| EnvelopeError::Malformed("body does not decrypt"))?;
    let mut signed = wrapped;
    signed.extend_from_slice(body);
    Ok(KsmRequest {
        transmission_key,
        payload,
        signed,
        signature,
    })
}

impl KsmRequest {
    /// Verifies the request signature with the client's 65-byte public key.
    pub fn verify(&self, client_public_key: &[u8]) -> Result<(), EnvelopeError> {
        let key = EcPublicKey::from_uncompressed(client_public_key)
            .map_err(|_| EnvelopeError::BadSignature)?;
        ecdsa_verify(&key, &self.signed, &self.signature).map_err(|_| EnvelopeError::BadSignature)
    }
}

pub(crate) fn unwrap_transmission_key(
    server_key: &EcPrivateKey,
    wrapped: &[u8],
) -> Result<AesKey, EnvelopeError> {
    let raw = ecies_decrypt(server_key, wrapped).map_err(|_| EnvelopeError::TransmissionKey)?;
    AesKey::from_slice(&raw).map_err(|_| EnvelopeError::TransmissionKey)
}

#[cfg(test)]
#[path = "envelope_tests.rs"]
mod tests;
