//! Device registration and the credentials a client keeps between runs
//! (protocol-transport-login.md §4.4, §4.8–§4.9).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

use super::AuthError;
use crate::keeper::crypto::{b64url_decode, b64url_encode, EcPrivateKey, EcPublicKey};
use crate::keeper::proto::authentication::{
    Device, DeviceRegistrationRequest, RegisterDeviceInRegionRequest,
};
use crate::keeper::server::Server;
use crate::keeper::transport::{Transport, TransportError};

/// The device name shown in the user's device list when none is configured.
pub const DEFAULT_DEVICE_NAME: &str = "gw-provision";

/// `additional_info` of `device_not_registered` when the token exists but in another region.
pub const NOT_REGISTERED_IN_REGION: &str = "invalid device token, not registered in this region";

/// The opaque `encryptedDeviceToken` the server issued for this device.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceToken(Vec<u8>);

impl DeviceToken {
    /// Wraps the bytes from `Device.encryptedDeviceToken`.
    pub fn new(bytes: Vec<u8>) -> Self {
        DeviceToken(bytes)
    }

    /// The bytes to send back as `encryptedDeviceToken`.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for DeviceToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceToken(<redacted>)")
    }
}

/// The clone code of the last successful login; with the device key it resumes a session
/// without the password ("persistent login"), so it is as secret as a password.
#[derive(Clone, PartialEq, Eq)]
pub struct CloneCode(Zeroizing<Vec<u8>>);

impl CloneCode {
    /// Wraps the bytes from `LoginResponse.cloneCode`.
    pub fn new(bytes: Vec<u8>) -> Self {
        CloneCode(Zeroizing::new(bytes))
    }

    /// The bytes to send as `StartLoginRequest.cloneCode`.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for CloneCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CloneCode(<redacted>)")
    }
}

/// Everything a client persists about its registered device, serialized with b64url values
/// like Commander's `config.json` (`server`, `device_token`, `private_key`, `user`, `clone_code`).
#[derive(Clone, Serialize, Deserialize)]
pub struct DeviceCredentials {
    /// The server the device token was issued by (updated on region redirect).
    pub server: Server,
    /// The device token.
    #[serde(with = "b64url_device_token")]
    pub device_token: DeviceToken,
    /// The device's P-256 private key (32-byte scalar).
    #[serde(rename = "private_key", with = "b64url_ec_private_key")]
    pub device_private_key: EcPrivateKey,
    /// The account last logged in from this device.
    #[serde(rename = "user", default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Clone code of the last login, for resuming without a password.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "b64url_clone_code"
    )]
    pub clone_code: Option<CloneCode>,
}

impl DeviceCredentials {
    /// The device public key (65-byte uncompressed point on the wire).
    pub fn device_public_key(&self) -> EcPublicKey {
        self.device_private_key.public_key()
    }
}

impl std::fmt::Debug for DeviceCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceCredentials")
            .field("server", &self.server)
            .field("device_token", &self.device_token)
            .field("device_private_key", &self.device_private_key)
            .field("username", &self.username)
            .field("clone_code", &self.clone_code)
            .finish()
    }
}

/// Registers a new device (fresh P-256 key) with the transport's current server.
pub async fn register_device(
    transport: &Transport,
    device_name: &str,
) -> Result<DeviceCredentials, AuthError> {
    let device_private_key = EcPrivateKey::generate();
    let request = DeviceRegistrationRequest {
        client_version: transport.client_version().to_owned(),
        device_name: device_name.to_owned(),
        device_public_key: device_private_key.public_key().to_uncompressed(),
        ..DeviceRegistrationRequest::default()
    };
    let device: Device = transport
        .execute_proto("authentication/register_device", &request, None)
        .await?;
    if device.encrypted_device_token.is_empty() {
        return Err(AuthError::BadResponse(
            "register_device returned no device token".to_owned(),
        ));
    }
    Ok(DeviceCredentials {
        server: transport.server(),
        device_token: DeviceToken::new(device.encrypted_device_token),
        device_private_key,
        username: None,
        clone_code: None,
    })
}

/// Makes an existing device token known to the transport's current server (after a region
/// redirect). "Public key already exists" means it already is, as the Python SDK treats it.
pub async fn register_device_in_region(
    transport: &Transport,
    device: &DeviceCredentials,
    device_name: &str,
) -> Result<(), AuthError> {
    let request = RegisterDeviceInRegionRequest {
        encrypted_device_token: device.device_token.as_bytes().to_vec(),
        client_version: transport.client_version().to_owned(),
        device_name: device_name.to_owned(),
        device_public_key: device.device_public_key().to_uncompressed(),
        ..RegisterDeviceInRegionRequest::default()
    };
    match transport
        .execute_rest(
            "authentication/register_device_in_region",
            Some(prost::Message::encode_to_vec(&request)),
            None,
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(TransportError::Keeper { message, .. })
            if message
                .to_ascii_lowercase()
                .contains("public key already exists") =>
        {
            Ok(())
        }
        Err(error) => Err(error.into()),
    }
}

mod b64url_device_token {
    use super::*;

    pub fn serialize<S: Serializer>(token: &DeviceToken, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&b64url_encode(token.as_bytes()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DeviceToken, D::Error> {
        let text = String::deserialize(d)?;
        let bytes = b64url_decode(&text)
            .map_err(|_| serde::de::Error::custom("device_token is not base64url"))?;
        if bytes.is_empty() {
            return Err(serde::de::Error::custom("device_token is empty"));
        }
        Ok(DeviceToken::new(bytes))
    }
}

mod b64url_ec_private_key {
    use super::*;

    pub fn serialize<S: Serializer>(key: &EcPrivateKey, s: S) -> Result<S::Ok, S::Error> {
        let bytes = key.to_bytes();
        let text = Zeroizing::new(b64url_encode(&bytes));
        s.serialize_str(&text)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<EcPrivateKey, D::Error> {
        let text = Zeroizing::new(String::deserialize(d)?);
        let bytes = Zeroizing::new(
            b64url_decode(&text)
                .map_err(|_| serde::de::Error::custom("private_key is not base64url"))?,
        );
        EcPrivateKey::from_bytes(&bytes)
            .map_err(|_| serde::de::Error::custom("private_key is not a P-256 private key"))
    }
}

mod b64url_clone_code {
    use super::*;

    pub fn serialize<S: Serializer>(code: &Option<CloneCode>, s: S) -> Result<S::Ok, S::Error> {
        match code {
            Some(code) => s.serialize_str(&Zeroizing::new(b64url_encode(code.as_bytes()))),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<CloneCode>, D::Error> {
        let Some(text) = Option::<String>::deserialize(d)? else {
            return Ok(None);
        };
        let text = Zeroizing::new(text);
        if text.is_empty() {
            return Ok(None);
        }
        let bytes = b64url_decode(&text)
            .map_err(|_| serde::de::Error::custom("clone_code is not base64url"))?;
        Ok(Some(CloneCode::new(bytes)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials() -> DeviceCredentials {
        DeviceCredentials {
            server: "eu".parse().unwrap(),
            device_token: DeviceToken::new(vec![1, 2, 3]),
            device_private_key: EcPrivateKey::generate(),
            username: Some("admin@example.com".into()),
            clone_code: Some(CloneCode::new(b"clone-secret".to_vec())),
        }
    }

    #[test]
    fn credentials_round_trip_through_json_with_commander_key_names() {
        let original = credentials();
        let json = serde_json::to_value(&original).unwrap();
        assert_eq!(json["server"], "keepersecurity.eu");
        assert_eq!(json["device_token"], "AQID");
        assert_eq!(json["user"], "admin@example.com");
        assert!(json["private_key"].as_str().unwrap().len() == 43);

        let back: DeviceCredentials = serde_json::from_value(json).unwrap();
        assert_eq!(back.server, original.server);
        assert_eq!(back.device_token, original.device_token);
        assert_eq!(back.clone_code, original.clone_code);
        assert_eq!(
            back.device_public_key().to_uncompressed(),
            original.device_public_key().to_uncompressed()
        );
    }

    #[test]
    fn debug_output_hides_token_key_and_clone_code() {
        let debug = format!("{:?}", credentials());
        assert!(!debug.contains("clone-secret"));
        assert!(debug.contains("DeviceToken(<redacted>)"));
        assert!(debug.contains("CloneCode(<redacted>)"));
        assert!(debug.contains("admin@example.com"));
    }

    #[test]
    fn missing_clone_code_and_user_are_optional() {
        let mut json = serde_json::to_value(credentials()).unwrap();
        let object = json.as_object_mut().unwrap();
        object.remove("clone_code");
        object.remove("user");
        let back: DeviceCredentials = serde_json::from_value(json).unwrap();
        assert!(back.clone_code.is_none() && back.username.is_none());
    }

    #[test]
    fn corrupt_private_key_is_rejected_without_echoing_it() {
        let mut json = serde_json::to_value(credentials()).unwrap();
        json["private_key"] = "AAAA".into();
        let error = serde_json::from_value::<DeviceCredentials>(json).unwrap_err();
        assert!(error.to_string().contains("private_key"));
        assert!(!error.to_string().contains("AAAA"));
    }
}
