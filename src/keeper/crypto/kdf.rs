//! Password hashing (PBKDF2, Keeper's keyhash v1/v2), HMAC, and the BY_PASSWORD "encryption params" blob.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};
use zeroize::{Zeroize, Zeroizing};

use super::aes::{aes_cbc_decrypt_no_padding, aes_cbc_encrypt_no_padding};
use super::keys::random_bytes;
use super::{AesKey, CryptoError};

const PARAMS_VERSION: u8 = 1;
const PARAMS_LEN: usize = 100;
const MAX_PARAMS_ITERATIONS: u32 = 0x00FF_FFFF;

/// PBKDF2-HMAC-SHA256 of `out_len` bytes (`derive_key_v1`, auth hash, encryption params).
pub fn pbkdf2_sha256(
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    out_len: usize,
) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(vec![0u8; out_len]);
    pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, &mut out);
    out
}

/// PBKDF2-HMAC-SHA512 of `out_len` bytes (the inner step of `derive_keyhash_v2`).
pub fn pbkdf2_sha512(
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    out_len: usize,
) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(vec![0u8; out_len]);
    pbkdf2::pbkdf2_hmac::<Sha512>(password, salt, iterations, &mut out);
    out
}

/// Keeper's login auth hash (`derive_keyhash_v1`): SHA-256(PBKDF2-HMAC-SHA256(pw, salt, it, 32)).
pub fn auth_hash_v1(password: &str, salt: &[u8], iterations: u32) -> [u8; 32] {
    let derived = pbkdf2_sha256(password.as_bytes(), salt, iterations, 32);
    Sha256::digest(derived.as_slice()).into()
}

/// Keeper's `derive_keyhash_v2`: HMAC-SHA256(key = PBKDF2-HMAC-SHA512(domain ‖ pw, salt, it, 64), msg = domain).
///
/// With domain `data_key` this is the BY_ALTERNATE data-key wrapping key.
pub fn keyhash_v2(domain: &str, password: &str, salt: &[u8], iterations: u32) -> AesKey {
    let mut input = Zeroizing::new(Vec::with_capacity(domain.len() + password.len()));
    input.extend_from_slice(domain.as_bytes());
    input.extend_from_slice(password.as_bytes());
    let derived = pbkdf2_sha512(&input, salt, iterations, 64);
    let mut mac = hmac_sha256(&derived, domain.as_bytes());
    let key = AesKey::from_array(mac);
    mac.zeroize();
    key
}

/// HMAC-SHA512 (KSM client id from a one-time token secret, BreachWatch hashes).
pub fn hmac_sha512(key: &[u8], message: &[u8]) -> [u8; 64] {
    // HMAC accepts keys of any length, so construction cannot fail.
    let mut mac = <Hmac<Sha512> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// HMAC-SHA256 (keyhash v2, biometric auth hash).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so construction cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Builds the 100-byte BY_PASSWORD blob wrapping `data_key` under `password` with fresh salt and IV.
///
/// Layout: `0x01 ‖ iterations (24-bit BE) ‖ salt(16) ‖ iv(16) ‖ CBC-nopad(dataKey ‖ dataKey)`.
/// Iterations above 2^24−1 do not fit the field and are clamped to it.
pub fn create_encryption_params(password: &str, data_key: &AesKey, iterations: u32) -> Vec<u8> {
    let mut salt = [0u8; 16];
    salt.copy_from_slice(&random_bytes(16));
    let mut iv = [0u8; 16];
    iv.copy_from_slice(&random_bytes(16));
    create_encryption_params_with(password, data_key, iterations, &salt, &iv)
}

/// [`create_encryption_params`] with a fixed salt and IV, so vectors can pin the output.
pub(crate) fn create_encryption_params_with(
    password: &str,
    data_key: &AesKey,
    iterations: u32,
    salt: &[u8; 16],
    iv: &[u8; 16],
) -> Vec<u8> {
    let iterations = iterations.min(MAX_PARAMS_ITERATIONS);
    let key_bytes = pbkdf2_sha256(password.as_bytes(), salt, iterations, 32);
    let mut key = [0u8; 32];
    key.copy_from_slice(&key_bytes);
    let key = AesKey::from_array(key);

    let mut mirrored = Zeroizing::new(Vec::with_capacity(64));
    mirrored.extend_from_slice(data_key.as_bytes());
    mirrored.extend_from_slice(data_key.as_bytes());

    let mut out = Vec::with_capacity(PARAMS_LEN);
    out.push(PARAMS_VERSION);
    out.extend_from_slice(&iterations.to_be_bytes()[1..]);
    out.extend_from_slice(salt);
    // 64 bytes are block-aligned, so unpadded CBC cannot fail here.
    if let Ok(iv_and_ct) = aes_cbc_encrypt_no_padding(&key, iv, &mirrored) {
        out.extend_from_slice(&iv_and_ct);
    }
    out
}

/// Recovers the data key from a BY_PASSWORD blob; a wrong password fails the mirror check.
pub fn decrypt_encryption_params(password: &str, blob: &[u8]) -> Result<AesKey, CryptoError> {
    if blob.len() != PARAMS_LEN {
        return Err(CryptoError::InvalidLength {
            what: "encryption params",
            actual: blob.len(),
        });
    }
    if blob[0] != PARAMS_VERSION {
        return Err(CryptoError::UnsupportedVersion(blob[0]));
    }
    let iterations = u32::from_be_bytes([0, blob[1], blob[2], blob[3]]);
    let salt = &blob[4..20];
    let key_bytes = pbkdf2_sha256(password.as_bytes(), salt, iterations, 32);
    let key = AesKey::from_slice(&key_bytes)?;
    let mirrored = Zeroizing::new(aes_cbc_decrypt_no_padding(&key, &blob[20..])?);
    let (first, second) = mirrored.split_at(32);
    let differs = first
        .iter()
        .zip(second.iter())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    if mirrored.len() != 64 || differs != 0 {
        return Err(CryptoError::Decrypt);
    }
    AesKey::from_slice(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keeper::crypto::{b64url_decode, b64url_encode};

    /// protocol-transport-login.md §6.2: CMD `create_encryption_params` with fixed salt and IV.
    #[test]
    fn encryption_params_with_fixed_salt_and_iv_match_commander() {
        let salt: [u8; 16] = b64url_decode("Ozv5_XSBgw-XSrDosp8Y1A")
            .unwrap()
            .try_into()
            .unwrap();
        let iv: [u8; 16] = std::array::from_fn(|i| i as u8);
        let data_key = AesKey::from_array(std::array::from_fn(|i| i as u8));
        let blob =
            create_encryption_params_with("q2rXmNBFeLwAEX55hVVTfg", &data_key, 1000, &salt, &iv);
        assert_eq!(
            b64url_encode(&blob),
            "AQAD6Ds7-f10gYMPl0qw6LKfGNQAAQIDBAUGBwgJCgsMDQ4PIwQnxEVxW7fcHsn90_by3CWp5Grwvh3nILtR65g_43EcJFXOMyL4c2RDC34RQ7Q8y4b3lg25aqux2gwvQo2QPw"
        );
    }
}
