//! RSA PKCS#1 v1.5 encryption with DER PKCS#1 keys (legacy server keys, `ENCRYPTED_BY_PUBLIC_KEY`).

use ::rsa::pkcs1::{
    DecodeRsaPrivateKey, DecodeRsaPublicKey, EncodeRsaPrivateKey, EncodeRsaPublicKey,
};
use ::rsa::traits::PublicKeyParts;
use ::rsa::Pkcs1v15Encrypt;
use rand::rngs::OsRng;
use zeroize::Zeroizing;

use super::CryptoError;

/// An RSA private key (the account's legacy key pair); zeroized on drop by the `rsa` crate.
#[derive(Clone)]
pub struct RsaPrivateKey(::rsa::RsaPrivateKey);

impl RsaPrivateKey {
    /// Generates a 2048-bit key, the size Keeper accounts use.
    pub fn generate_2048() -> Result<Self, CryptoError> {
        ::rsa::RsaPrivateKey::new(&mut OsRng, 2048)
            .map(Self)
            .map_err(|_| CryptoError::InvalidKey("RSA"))
    }

    /// Parses a DER PKCS#1 `RSAPrivateKey`, Keeper's encoding.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, CryptoError> {
        ::rsa::RsaPrivateKey::from_pkcs1_der(der)
            .map(Self)
            .map_err(|_| CryptoError::InvalidKey("RSA PKCS#1 private"))
    }

    /// Serializes as DER PKCS#1 `RSAPrivateKey`.
    pub fn to_pkcs1_der(&self) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        self.0
            .to_pkcs1_der()
            .map(|doc| Zeroizing::new(doc.as_bytes().to_vec()))
            .map_err(|_| CryptoError::KeyEncoding)
    }

    /// Returns the matching public key.
    pub fn public_key(&self) -> RsaPublicKey {
        RsaPublicKey(self.0.to_public_key())
    }
}

impl std::fmt::Debug for RsaPrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RsaPrivateKey(<redacted>)")
    }
}

/// An RSA public key (legacy server keys 1–6, other users' keys).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RsaPublicKey(::rsa::RsaPublicKey);

impl RsaPublicKey {
    /// Parses a DER PKCS#1 `RSAPublicKey`, Keeper's encoding.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, CryptoError> {
        ::rsa::RsaPublicKey::from_pkcs1_der(der)
            .map(Self)
            .map_err(|_| CryptoError::InvalidKey("RSA PKCS#1 public"))
    }

    /// Serializes as DER PKCS#1 `RSAPublicKey`.
    pub fn to_pkcs1_der(&self) -> Result<Vec<u8>, CryptoError> {
        self.0
            .to_pkcs1_der()
            .map(|doc| doc.as_bytes().to_vec())
            .map_err(|_| CryptoError::KeyEncoding)
    }
}

/// Encrypts with RSAES-PKCS1-v1_5 (not OAEP, as Keeper requires).
pub fn rsa_encrypt(key: &RsaPublicKey, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    key.0
        .encrypt(&mut OsRng, Pkcs1v15Encrypt, plaintext)
        .map_err(|_| CryptoError::Encrypt)
}

/// Decrypts RSAES-PKCS1-v1_5, first left-padding short ciphertexts with zeros to the modulus length.
///
/// Keeper has 2047-bit keys and JS clients that emit 255-byte ciphertexts; both Python clients pad
/// (CMD `crypto.py` decrypt_rsa, SDK test_rsa_invalid_key).
pub fn rsa_decrypt(key: &RsaPrivateKey, ciphertext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let size = key.0.size();
    if ciphertext.is_empty() || ciphertext.len() > size {
        return Err(CryptoError::InvalidLength {
            what: "RSA ciphertext",
            actual: ciphertext.len(),
        });
    }
    let mut padded = vec![0u8; size - ciphertext.len()];
    padded.extend_from_slice(ciphertext);
    key.0
        .decrypt(Pkcs1v15Encrypt, &padded)
        .map_err(|_| CryptoError::Decrypt)
}
