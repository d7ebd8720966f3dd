//! Keeper's cryptographic primitives with the exact byte layouts its servers and clients use.
//!
//! Every function here is pinned by vectors produced by Keeper's own clients
//! (`tests/vectors_crypto.rs`). Key material lives in zeroizing newtypes with a redacted `Debug`.

mod aes;
mod ecc;
mod encoding;
mod kdf;
mod keys;
mod rsa;

pub use self::aes::{
    aes_cbc_decrypt, aes_cbc_decrypt_no_padding, aes_cbc_encrypt, aes_cbc_encrypt_no_padding,
    aes_cbc_encrypt_with_iv, aes_gcm_decrypt, aes_gcm_encrypt, aes_gcm_encrypt_with_nonce,
};
pub use self::ecc::{
    ecdsa_sign, ecdsa_verify, ecies_decrypt, ecies_encrypt, EcPrivateKey, EcPublicKey,
};
pub use self::encoding::{b64_std_decode, b64_std_encode, b64url_decode, b64url_encode};
pub use self::kdf::{
    auth_hash_v1, create_encryption_params, decrypt_encryption_params, hmac_sha256, hmac_sha512,
    keyhash_v2, pbkdf2_sha256, pbkdf2_sha512,
};
pub use self::keys::{random_bytes, AesKey};
pub use self::rsa::{rsa_decrypt, rsa_encrypt, RsaPrivateKey, RsaPublicKey};

/// Why a cryptographic operation failed; never carries key bytes or plaintext.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CryptoError {
    /// A key had the wrong length for its algorithm.
    #[error("invalid key length: expected {expected} bytes, got {actual}")]
    InvalidKeyLength {
        /// Length the algorithm needs.
        expected: usize,
        /// Length that was supplied.
        actual: usize,
    },
    /// Key bytes did not parse as a valid key of the expected kind.
    #[error("invalid {0} key")]
    InvalidKey(&'static str),
    /// Input was too short or not block-aligned for the cipher layout.
    #[error("invalid {what} length: {actual} bytes")]
    InvalidLength {
        /// Which input was malformed.
        what: &'static str,
        /// Its actual length.
        actual: usize,
    },
    /// Authentication tag, padding or mirror check failed (wrong key or tampered data).
    #[error("decryption failed")]
    Decrypt,
    /// RSA encryption failed (message too long for the key).
    #[error("RSA encryption failed")]
    Encrypt,
    /// An ECDSA signature was malformed or did not verify.
    #[error("invalid signature")]
    InvalidSignature,
    /// Text was not valid base64 of the expected alphabet.
    #[error("invalid base64 encoding")]
    Encoding,
    /// A key could not be serialized.
    #[error("key encoding failed")]
    KeyEncoding,
    /// An encryption-params blob had an unsupported version byte.
    #[error("unsupported encryption params version {0}")]
    UnsupportedVersion(u8),
}
