//! The KSM client configuration a redeemed token produces, in the JSON form the KSM SDKs load.
//!
//! Key names and encodings follow the SDKs' config storage (protocol-vault-ksm-gateway.md §4.3,
//! §5.2): camelCase keys, binary values as standard base64 with padding, `serverPublicKeyId` as
//! a decimal string, and the optional custom `serverPublicKey` as b64url (how the SDKs read it).

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::keeper::crypto::{
    b64_std_decode, b64_std_encode, b64url_decode, b64url_encode, AesKey, EcPrivateKey, EcPublicKey,
};

/// Why a KSM config could not be read; names the field, never its value.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// The text was not JSON (or not base64 of JSON) with the expected keys.
    #[error("not a KSM config: {0}")]
    Malformed(String),
    /// A required key was missing or empty.
    #[error("KSM config key `{0}` is missing or empty")]
    Missing(&'static str),
    /// A key's value did not decode to what it must hold.
    #[error("KSM config key `{0}` is invalid")]
    Invalid(&'static str),
}

/// A bound KSM client: everything the gateway (or any KSM SDK) needs to call `sm/v1`.
#[derive(Clone)]
pub struct KsmConfig {
    /// Host the client talks to (`keepersecurity.com`, or `host:port` for a sandbox).
    pub hostname: String,
    /// The 64-byte client id, HMAC-SHA512 of the token secret.
    pub client_id: [u8; 64],
    /// The client's P-256 signing key, generated at redemption.
    pub private_key: EcPrivateKey,
    /// Which Keeper server key encrypts transmission keys (KSM default 10).
    pub server_public_key_id: i32,
    /// The KSM application key, decrypted from `encryptedAppKey` with the token secret.
    pub app_key: AesKey,
    /// The application owner's ECC public key; KSM needs it to create records.
    pub app_owner_public_key: Option<EcPublicKey>,
    /// A custom server public key (sandbox or isolated deployment) overriding the built-in table.
    pub server_public_key: Option<EcPublicKey>,
}

/// The on-disk JSON shape, field order as Commander's `--config-init json` prints it.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConfigJson {
    hostname: String,
    client_id: String,
    private_key: String,
    server_public_key_id: String,
    app_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    app_owner_public_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    server_public_key: Option<String>,
}

impl KsmConfig {
    /// Serializes to the KSM config JSON (pretty-printed), as `--config-init json` emits it.
    pub fn to_json(&self) -> Zeroizing<String> {
        let json = ConfigJson {
            hostname: self.hostname.clone(),
            client_id: b64_std_encode(&self.client_id),
            private_key: b64_std_encode(&self.private_key.to_pkcs8_der()),
            server_public_key_id: self.server_public_key_id.to_string(),
            app_key: b64_std_encode(self.app_key.as_bytes()),
            app_owner_public_key: self
                .app_owner_public_key
                .as_ref()
                .map(|key| b64_std_encode(&key.to_uncompressed())),
            server_public_key: self
                .server_public_key
                .as_ref()
                .map(|key| b64url_encode(&key.to_uncompressed())),
        };
        let json = Zeroizing::new(json);
        // Serializing a struct of strings cannot fail.
        Zeroizing::new(serde_json::to_string_pretty(&*json).unwrap_or_default())
    }

    /// Standard base64 of the JSON text: what `--config-init b64` prints and `KSM_CONFIG` accepts.
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(b64_std_encode(self.to_json().as_bytes()))
    }

    /// Reads a KSM config JSON, validating it the way Commander's `validate_ksm_config_dict` does.
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        // serde_json quotes a mistyped value (a whole config given as a JSON string, say).
        if !text.trim_start().starts_with('{') {
            return Err(ConfigError::Malformed("not a JSON object".into()));
        }
        let json: Zeroizing<ConfigJson> = Zeroizing::new(
            serde_json::from_str(text).map_err(|e| ConfigError::Malformed(e.to_string()))?,
        );
        let hostname = non_empty(&json.hostname, "hostname")?.to_owned();
        let client_id = decode_std(&json.client_id, "clientId")?;
        let client_id: [u8; 64] = client_id
            .as_slice()
            .try_into()
            .map_err(|_| ConfigError::Invalid("clientId"))?;
        let private_key =
            EcPrivateKey::from_pkcs8_der(&decode_std(&json.private_key, "privateKey")?)
                .map_err(|_| ConfigError::Invalid("privateKey"))?;
        let server_public_key_id = non_empty(&json.server_public_key_id, "serverPublicKeyId")?
            .parse()
            .map_err(|_| ConfigError::Invalid("serverPublicKeyId"))?;
        let app_key = AesKey::from_slice(&decode_std(&json.app_key, "appKey")?)
            .map_err(|_| ConfigError::Invalid("appKey"))?;
        let app_owner_public_key = match json.app_owner_public_key.as_deref() {
            None | Some("") => None,
            Some(text) => Some(
                decode_either(text)
                    .and_then(|bytes| EcPublicKey::from_uncompressed(&bytes).ok())
                    .ok_or(ConfigError::Invalid("appOwnerPublicKey"))?,
            ),
        };
        let server_public_key = match json.server_public_key.as_deref() {
            None | Some("") => None,
            Some(text) => Some(
                decode_either(text)
                    .and_then(|bytes| EcPublicKey::from_uncompressed(&bytes).ok())
                    .ok_or(ConfigError::Invalid("serverPublicKey"))?,
            ),
        };
        Ok(Self {
            hostname,
            client_id,
            private_key,
            server_public_key_id,
            app_key,
            app_owner_public_key,
            server_public_key,
        })
    }

    /// Reads the base64 form (`KSM_CONFIG`), falling back to plain JSON like the SDKs do.
    pub fn from_base64_or_json(text: &str) -> Result<Self, ConfigError> {
        let text = text.trim();
        if text.starts_with('{') {
            return Self::from_json(text);
        }
        let bytes = Zeroizing::new(
            b64_std_decode(text).map_err(|_| ConfigError::Malformed("not base64".into()))?,
        );
        let json = std::str::from_utf8(&bytes)
            .map_err(|_| ConfigError::Malformed("base64 does not hold UTF-8 JSON".into()))?;
        Self::from_json(json)
    }
}

impl std::fmt::Debug for KsmConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KsmConfig")
            .field("hostname", &self.hostname)
            .field("server_public_key_id", &self.server_public_key_id)
            .field("private_key", &self.private_key)
            .field("app_key", &self.app_key)
            .field("custom_server_key", &self.server_public_key.is_some())
            .finish_non_exhaustive()
    }
}

/// The encoded private key and app key are secrets too; wipe them when the DTO goes away.
impl Zeroize for ConfigJson {
    fn zeroize(&mut self) {
        self.private_key.zeroize();
        self.app_key.zeroize();
    }
}

fn non_empty<'a>(value: &'a str, key: &'static str) -> Result<&'a str, ConfigError> {
    if value.trim().is_empty() {
        Err(ConfigError::Missing(key))
    } else {
        Ok(value.trim())
    }
}

fn decode_std(value: &str, key: &'static str) -> Result<Zeroizing<Vec<u8>>, ConfigError> {
    let value = non_empty(value, key)?;
    b64_std_decode(value)
        .map(Zeroizing::new)
        .map_err(|_| ConfigError::Invalid(key))
}

/// Public keys turn up in either alphabet across SDKs and versions; accept both.
fn decode_either(value: &str) -> Option<Vec<u8>> {
    b64_std_decode(value).or_else(|_| b64url_decode(value)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> KsmConfig {
        KsmConfig {
            hostname: "keepersecurity.com".into(),
            client_id: [7u8; 64],
            private_key: EcPrivateKey::generate(),
            server_public_key_id: 10,
            app_key: AesKey::generate(),
            app_owner_public_key: Some(EcPrivateKey::generate().public_key()),
            server_public_key: None,
        }
    }

    #[test]
    fn json_has_the_ksm_sdk_keys_with_std_base64_values() {
        let config = sample();
        let value: serde_json::Value = serde_json::from_str(&config.to_json()).unwrap();
        let object = value.as_object().unwrap();
        let keys: Vec<&str> = object.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "hostname",
                "clientId",
                "privateKey",
                "serverPublicKeyId",
                "appKey",
                "appOwnerPublicKey"
            ]
        );
        assert_eq!(object["serverPublicKeyId"], "10");
        assert_eq!(object["clientId"], b64_std_encode(&[7u8; 64]));
        assert_eq!(object["appKey"], b64_std_encode(config.app_key.as_bytes()));
        assert!(object["clientId"].as_str().unwrap().ends_with("=="));
    }

    #[test]
    fn json_round_trips() {
        let mut config = sample();
        config.server_public_key = Some(EcPrivateKey::generate().public_key());
        let back = KsmConfig::from_json(&config.to_json()).unwrap();
        assert_eq!(back.hostname, config.hostname);
        assert_eq!(back.client_id, config.client_id);
        assert_eq!(back.app_key, config.app_key);
        assert_eq!(back.private_key.to_bytes(), config.private_key.to_bytes());
        assert_eq!(back.app_owner_public_key, config.app_owner_public_key);
        assert_eq!(back.server_public_key, config.server_public_key);
    }

    #[test]
    fn base64_form_is_std_base64_of_the_json() {
        let config = sample();
        let b64 = config.to_base64();
        let decoded = b64_std_decode(&b64).unwrap();
        assert_eq!(decoded, config.to_json().as_bytes());
        let back = KsmConfig::from_base64_or_json(&b64).unwrap();
        assert_eq!(back.app_key, config.app_key);
    }

    #[test]
    fn missing_or_short_fields_are_named() {
        let config = sample();
        let mut value: serde_json::Value = serde_json::from_str(&config.to_json()).unwrap();
        value["appKey"] = "".into();
        assert_eq!(
            KsmConfig::from_json(&value.to_string()).unwrap_err(),
            ConfigError::Missing("appKey")
        );
        value["appKey"] = b64_std_encode(config.app_key.as_bytes()).into();
        value["clientId"] = b64_std_encode(&[1u8; 32]).into();
        assert_eq!(
            KsmConfig::from_json(&value.to_string()).unwrap_err(),
            ConfigError::Invalid("clientId")
        );
    }

    #[test]
    fn a_config_given_as_a_json_string_is_refused_without_quoting_it() {
        let quoted = serde_json::to_string(&*sample().to_json()).unwrap();
        let error = KsmConfig::from_json(&quoted).unwrap_err().to_string();
        assert!(
            !error.contains("privateKey") && !error.contains("appKey"),
            "{error}"
        );
    }

    #[test]
    fn debug_output_hides_keys() {
        let config = sample();
        let debug = format!("{config:?}");
        assert!(!debug.contains(&b64_std_encode(config.app_key.as_bytes())));
        assert!(debug.contains("redacted"));
    }
}
