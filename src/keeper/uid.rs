//! Keeper UIDs: 16 random bytes, written as 22 characters of unpadded base64url.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::keeper::crypto::{b64url_decode, b64url_encode, random_bytes, CryptoError};

const UID_LEN: usize = 16;
const UID_TEXT_LEN: usize = 22;

/// The identifier of a record, folder, shared folder, application or gateway.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uid([u8; UID_LEN]);

impl Uid {
    /// Generates a UID whose text form never starts with `-` or `_`, like Keeper's `generate_uid`.
    ///
    /// Those characters come from a first byte with its top 5 bits set; clearing the top bit of such
    /// a byte keeps UIDs safe to pass as command-line arguments (CMD/SDK `utils.py` generate_uid).
    pub fn generate() -> Self {
        let mut bytes = [0u8; UID_LEN];
        bytes.copy_from_slice(&random_bytes(UID_LEN));
        if bytes[0] & 0xF8 == 0xF8 {
            bytes[0] &= 0x7F;
        }
        Self(bytes)
    }

    /// Wraps exactly 16 raw bytes, as UIDs travel in protobuf messages.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, CryptoError> {
        bytes
            .try_into()
            .map(Self)
            .map_err(|_| CryptoError::InvalidLength {
                what: "UID",
                actual: bytes.len(),
            })
    }

    /// Returns the raw 16 bytes for protobuf fields.
    pub fn as_bytes(&self) -> &[u8; UID_LEN] {
        &self.0
    }
}

impl fmt::Display for Uid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&b64url_encode(&self.0))
    }
}

impl fmt::Debug for Uid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uid({self})")
    }
}

impl FromStr for Uid {
    type Err = CryptoError;

    /// Parses the 22-character base64url form.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.len() != UID_TEXT_LEN {
            return Err(CryptoError::InvalidLength {
                what: "UID text",
                actual: text.len(),
            });
        }
        Self::from_slice(&b64url_decode(text)?)
    }
}

impl Serialize for Uid {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Uid {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}
