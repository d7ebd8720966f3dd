//! AES-256-GCM ("aes v2") and AES-256-CBC ("aes v1") in Keeper's layouts.
//!
//! GCM: `nonce(12) ‖ ciphertext ‖ tag(16)`, no AAD. CBC: `iv(16) ‖ ciphertext`, PKCS#7 except in
//! encryption params, which are unpadded (protocol-transport-login.md §5).

use ::aes::cipher::block_padding::{NoPadding, Pkcs7};
use ::aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use aes_gcm::aead::Aead;
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};

use super::keys::random_bytes;
use super::{AesKey, CryptoError};

type CbcEnc = cbc::Encryptor<::aes::Aes256>;
type CbcDec = cbc::Decryptor<::aes::Aes256>;

const GCM_NONCE_LEN: usize = 12;
const GCM_TAG_LEN: usize = 16;
const CBC_IV_LEN: usize = 16;
const BLOCK_LEN: usize = 16;

fn random_array<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&random_bytes(N));
    out
}

/// Encrypts with AES-256-GCM under a fresh random nonce; output is `nonce ‖ ct ‖ tag`.
pub fn aes_gcm_encrypt(key: &AesKey, plaintext: &[u8]) -> Vec<u8> {
    aes_gcm_encrypt_with_nonce(key, &random_array::<GCM_NONCE_LEN>(), plaintext)
}

/// Encrypts with AES-256-GCM under a caller-chosen nonce (for vectors; never reuse a nonce).
pub fn aes_gcm_encrypt_with_nonce(key: &AesKey, nonce: &[u8; 12], plaintext: &[u8]) -> Vec<u8> {
    let cipher = Aes256Gcm::new(key.as_bytes().into());
    // GCM encryption only fails past its 64 GiB per-message limit, far beyond any Keeper payload.
    #[allow(clippy::expect_used)]
    let sealed = cipher
        .encrypt(Nonce::from_slice(nonce), plaintext)
        .expect("AES-GCM plaintext exceeds 64 GiB");
    let mut out = Vec::with_capacity(GCM_NONCE_LEN + sealed.len());
    out.extend_from_slice(nonce);
    out.extend_from_slice(&sealed);
    out
}

/// Decrypts `nonce ‖ ct ‖ tag`; fails on a short input, wrong key or any tampering.
pub fn aes_gcm_decrypt(key: &AesKey, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if data.len() < GCM_NONCE_LEN + GCM_TAG_LEN {
        return Err(CryptoError::InvalidLength {
            what: "AES-GCM input",
            actual: data.len(),
        });
    }
    let (nonce, sealed) = data.split_at(GCM_NONCE_LEN);
    Aes256Gcm::new(key.as_bytes().into())
        .decrypt(Nonce::from_slice(nonce), sealed)
        .map_err(|_| CryptoError::Decrypt)
}

/// Encrypts with AES-256-CBC/PKCS#7 under a fresh random IV; output is `iv ‖ ct`.
pub fn aes_cbc_encrypt(key: &AesKey, plaintext: &[u8]) -> Vec<u8> {
    aes_cbc_encrypt_with_iv(key, &random_array::<CBC_IV_LEN>(), plaintext)
}

/// Encrypts with AES-256-CBC/PKCS#7 under a caller-chosen IV (for vectors).
pub fn aes_cbc_encrypt_with_iv(key: &AesKey, iv: &[u8; 16], plaintext: &[u8]) -> Vec<u8> {
    let ct =
        CbcEnc::new(key.as_bytes().into(), iv.into()).encrypt_padded_vec_mut::<Pkcs7>(plaintext);
    let mut out = Vec::with_capacity(CBC_IV_LEN + ct.len());
    out.extend_from_slice(iv);
    out.extend_from_slice(&ct);
    out
}

fn split_cbc(data: &[u8]) -> Result<(&[u8; 16], &[u8]), CryptoError> {
    let body_len = data.len().saturating_sub(CBC_IV_LEN);
    if data.len() < CBC_IV_LEN + BLOCK_LEN || !body_len.is_multiple_of(BLOCK_LEN) {
        return Err(CryptoError::InvalidLength {
            what: "AES-CBC input",
            actual: data.len(),
        });
    }
    let (iv, ct) = data.split_at(CBC_IV_LEN);
    let iv: &[u8; 16] = iv.try_into().map_err(|_| CryptoError::InvalidLength {
        what: "AES-CBC IV",
        actual: iv.len(),
    })?;
    Ok((iv, ct))
}

/// Decrypts `iv ‖ ct` and strips PKCS#7 padding; fails on bad length or padding.
pub fn aes_cbc_decrypt(key: &AesKey, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let (iv, ct) = split_cbc(data)?;
    CbcDec::new(key.as_bytes().into(), iv.into())
        .decrypt_padded_vec_mut::<Pkcs7>(ct)
        .map_err(|_| CryptoError::Decrypt)
}

/// Encrypts block-aligned data with AES-256-CBC and no padding (encryption params); `iv ‖ ct`.
pub fn aes_cbc_encrypt_no_padding(
    key: &AesKey,
    iv: &[u8; 16],
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    if !plaintext.len().is_multiple_of(BLOCK_LEN) {
        return Err(CryptoError::InvalidLength {
            what: "unpadded AES-CBC plaintext",
            actual: plaintext.len(),
        });
    }
    let ct = CbcEnc::new(key.as_bytes().into(), iv.into())
        .encrypt_padded_vec_mut::<NoPadding>(plaintext);
    let mut out = Vec::with_capacity(CBC_IV_LEN + ct.len());
    out.extend_from_slice(iv);
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Decrypts `iv ‖ ct` with AES-256-CBC and no padding removal (encryption params).
pub fn aes_cbc_decrypt_no_padding(key: &AesKey, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let (iv, ct) = split_cbc(data)?;
    CbcDec::new(key.as_bytes().into(), iv.into())
        .decrypt_padded_vec_mut::<NoPadding>(ct)
        .map_err(|_| CryptoError::Decrypt)
}
