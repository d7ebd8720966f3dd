//! P-256 keys, Keeper's ECIES (ephemeral ECDH → SHA-256 → AES-GCM) and ECDSA/SHA-256.
//!
//! Encodings follow Keeper: private keys as 32-byte big-endian scalars (KSM also uses PKCS#8 DER),
//! public keys as 65-byte uncompressed SEC1 points (protocol-transport-login.md §1.3.2, §5).

use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use p256::{PublicKey, SecretKey};
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use super::aes::{aes_gcm_decrypt, aes_gcm_encrypt};
use super::{AesKey, CryptoError};

const UNCOMPRESSED_LEN: usize = 65;

/// A P-256 private key (device key, account ECC key, KSM client key); zeroized on drop.
#[derive(Clone)]
pub struct EcPrivateKey(SecretKey);

impl EcPrivateKey {
    /// Generates a fresh random key pair.
    pub fn generate() -> Self {
        Self(SecretKey::random(&mut OsRng))
    }

    /// Parses a raw 32-byte big-endian scalar, Keeper's private-key encoding.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        if bytes.len() != 32 {
            return Err(CryptoError::InvalidKeyLength {
                expected: 32,
                actual: bytes.len(),
            });
        }
        SecretKey::from_slice(bytes)
            .map(Self)
            .map_err(|_| CryptoError::InvalidKey("P-256 private"))
    }

    /// Returns the raw 32-byte big-endian scalar.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.0.to_bytes().to_vec())
    }

    /// Derives the matching public key.
    pub fn public_key(&self) -> EcPublicKey {
        EcPublicKey(self.0.public_key())
    }

    /// Serializes as PKCS#8 DER, the form KSM configs store (`privateKey`).
    pub fn to_pkcs8_der(&self) -> Zeroizing<Vec<u8>> {
        // Encoding a valid P-256 key into PKCS#8 cannot fail; an empty result would fail parsing loudly.
        Zeroizing::new(
            self.0
                .to_pkcs8_der()
                .map(|doc| doc.as_bytes().to_vec())
                .unwrap_or_default(),
        )
    }

    /// Parses a PKCS#8 DER private key, as found in KSM configs.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, CryptoError> {
        SecretKey::from_pkcs8_der(der)
            .map(Self)
            .map_err(|_| CryptoError::InvalidKey("P-256 PKCS#8"))
    }
}

impl std::fmt::Debug for EcPrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EcPrivateKey(<redacted>)")
    }
}

/// A P-256 public key (server key, device key, recipient of a shared key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EcPublicKey(PublicKey);

impl EcPublicKey {
    /// Parses a 65-byte uncompressed SEC1 point (`0x04 ‖ X ‖ Y`), Keeper's public-key encoding.
    pub fn from_uncompressed(bytes: &[u8]) -> Result<Self, CryptoError> {
        if bytes.len() != UNCOMPRESSED_LEN || bytes[0] != 0x04 {
            return Err(CryptoError::InvalidKey("P-256 uncompressed public"));
        }
        PublicKey::from_sec1_bytes(bytes)
            .map(Self)
            .map_err(|_| CryptoError::InvalidKey("P-256 uncompressed public"))
    }

    /// Serializes as a 65-byte uncompressed SEC1 point.
    pub fn to_uncompressed(&self) -> Vec<u8> {
        self.0.to_encoded_point(false).as_bytes().to_vec()
    }
}

/// Keeper's ECIES key: SHA-256 of the raw ECDH X coordinate, with no salt or info.
fn ecies_key(private: &SecretKey, peer: &PublicKey) -> AesKey {
    let shared = p256::ecdh::diffie_hellman(private.to_nonzero_scalar(), peer.as_affine());
    let mut digest = Sha256::digest(shared.raw_secret_bytes());
    let key = AesKey::from_array(digest.into());
    digest.zeroize();
    key
}

/// Encrypts to a public key: `ephemeral pub(65) ‖ nonce(12) ‖ ct ‖ tag(16)`.
pub fn ecies_encrypt(recipient: &EcPublicKey, plaintext: &[u8]) -> Vec<u8> {
    let ephemeral = SecretKey::random(&mut OsRng);
    let mut out = ephemeral
        .public_key()
        .to_encoded_point(false)
        .as_bytes()
        .to_vec();
    let key = ecies_key(&ephemeral, &recipient.0);
    out.extend_from_slice(&aes_gcm_encrypt(&key, plaintext));
    out
}

/// Decrypts Keeper ECIES data with the recipient's private key.
pub fn ecies_decrypt(key: &EcPrivateKey, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if data.len() < UNCOMPRESSED_LEN {
        return Err(CryptoError::InvalidLength {
            what: "ECIES input",
            actual: data.len(),
        });
    }
    let (ephemeral, sealed) = data.split_at(UNCOMPRESSED_LEN);
    let ephemeral = EcPublicKey::from_uncompressed(ephemeral)?;
    let aes_key = ecies_key(&key.0, &ephemeral.0);
    aes_gcm_decrypt(&aes_key, sealed)
}

/// Signs with ECDSA P-256/SHA-256 (deterministic, RFC 6979); returns a DER signature.
pub fn ecdsa_sign(key: &EcPrivateKey, message: &[u8]) -> Vec<u8> {
    let signature: Signature = SigningKey::from(&key.0).sign(message);
    signature.to_der().as_bytes().to_vec()
}

/// Verifies a DER ECDSA P-256/SHA-256 signature; high-S signatures (as OpenSSL makes) are accepted.
pub fn ecdsa_verify(
    key: &EcPublicKey,
    message: &[u8],
    der_signature: &[u8],
) -> Result<(), CryptoError> {
    let signature =
        Signature::from_der(der_signature).map_err(|_| CryptoError::InvalidSignature)?;
    let signature = signature.normalize_s().unwrap_or(signature);
    VerifyingKey::from(&key.0)
        .verify(message, &signature)
        .map_err(|_| CryptoError::InvalidSignature)
}
