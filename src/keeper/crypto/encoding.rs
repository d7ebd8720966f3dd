//! Base64 in the two flavours Keeper uses: URL-safe unpadded (UIDs, JSON) and standard padded (KSM).

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;

use super::CryptoError;

const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_encode_padding(false)
    .with_decode_padding_mode(DecodePaddingMode::Indifferent);

// Keeper's Python clients strip `=` when encoding but tolerate it when decoding, so we accept both.
const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);
const STANDARD_LENIENT: GeneralPurpose =
    GeneralPurpose::new(&alphabet::STANDARD, LENIENT.with_encode_padding(true));

/// Encodes as URL-safe base64 without padding, Keeper's form for UIDs and binary JSON fields.
pub fn b64url_encode(bytes: &[u8]) -> String {
    URL_SAFE_LENIENT.encode(bytes)
}

/// Decodes URL-safe base64, with or without `=` padding.
pub fn b64url_decode(text: &str) -> Result<Vec<u8>, CryptoError> {
    URL_SAFE_LENIENT
        .decode(text)
        .map_err(|_| CryptoError::Encoding)
}

/// Encodes as standard base64 with padding, the form KSM uses for client ids and headers.
pub fn b64_std_encode(bytes: &[u8]) -> String {
    STANDARD_LENIENT.encode(bytes)
}

/// Decodes standard base64, with or without `=` padding.
pub fn b64_std_decode(text: &str) -> Result<Vec<u8>, CryptoError> {
    STANDARD_LENIENT
        .decode(text)
        .map_err(|_| CryptoError::Encoding)
}
