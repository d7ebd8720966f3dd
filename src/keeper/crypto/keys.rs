//! The AES key newtype and the OS random source.

use rand::rngs::OsRng;
use rand::RngCore;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::CryptoError;

/// A 256-bit AES key (data key, record key, transmission key, ...); wiped from memory on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct AesKey([u8; 32]);

impl AesKey {
    /// Generates a fresh random key, as Keeper's `generate_aes_key` does (32 OS-random bytes).
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// Wraps exactly 32 bytes; Keeper AES keys are always 256-bit.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, CryptoError> {
        let array: [u8; 32] = bytes
            .try_into()
            .map_err(|_| CryptoError::InvalidKeyLength {
                expected: 32,
                actual: bytes.len(),
            })?;
        Ok(Self(array))
    }

    /// Wraps a fixed-size array; crate-internal because callers normally hold slices.
    pub(super) fn from_array(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Exposes the raw key bytes, for wrapping the key under another key.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for AesKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AesKey(<redacted>)")
    }
}

/// Compares without an early exit, so equality checks leak no timing about key bytes.
impl PartialEq for AesKey {
    fn eq(&self, other: &Self) -> bool {
        self.0
            .iter()
            .zip(other.0.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

impl Eq for AesKey {}

/// Returns `n` bytes from the OS random source (nonces, salts, UIDs, token secrets).
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut out = vec![0u8; n];
    OsRng.fill_bytes(&mut out);
    out
}
