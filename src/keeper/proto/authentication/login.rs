//! Login v3 and device messages of package `Authentication`.

use super::enums::*;

/// `authentication/register_device` body: announces a new device and its P-256 public key.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct DeviceRegistrationRequest {
    #[prost(string, tag = "1")]
    pub client_version: String,
    #[prost(string, tag = "2")]
    pub device_name: String,
    #[prost(bytes = "vec", tag = "3")]
    pub device_public_key: Vec<u8>,
    #[prost(string, tag = "4")]
    pub device_platform: String,
    #[prost(enumeration = "ClientFormFactor", tag = "5")]
    pub client_form_factor: i32,
    #[prost(string, tag = "6")]
    pub username: String,
}

/// Opaque device token: reply of `register_device` and of `vault/app_client_add`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Device {
    #[prost(bytes = "vec", tag = "1")]
    pub encrypted_device_token: Vec<u8>,
}

/// `authentication/register_device_in_region` body, sent after a region redirect.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct RegisterDeviceInRegionRequest {
    #[prost(bytes = "vec", tag = "1")]
    pub encrypted_device_token: Vec<u8>,
    #[prost(string, tag = "2")]
    pub client_version: String,
    #[prost(string, tag = "3")]
    pub device_name: String,
    #[prost(bytes = "vec", tag = "4")]
    pub device_public_key: Vec<u8>,
    #[prost(string, tag = "5")]
    pub device_platform: String,
    #[prost(enumeration = "ClientFormFactor", tag = "6")]
    pub client_form_factor: i32,
}

/// `authentication/update_device` body (rename a device).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct DeviceUpdateRequest {
    #[prost(bytes = "vec", tag = "1")]
    pub encrypted_device_token: Vec<u8>,
    #[prost(string, tag = "2")]
    pub client_version: String,
    #[prost(string, tag = "3")]
    pub device_name: String,
    #[prost(bytes = "vec", tag = "4")]
    pub device_public_key: Vec<u8>,
    #[prost(enumeration = "DeviceStatus", tag = "5")]
    pub device_status: i32,
    #[prost(string, tag = "6")]
    pub device_platform: String,
    #[prost(enumeration = "ClientFormFactor", tag = "7")]
    pub client_form_factor: i32,
}

/// `authentication/start_login` body: starts or resumes a Login v3 flow.
#[derive(Clone, PartialEq, ::prost::Message)]
#[prost(skip_debug)]
pub struct StartLoginRequest {
    #[prost(bytes = "vec", tag = "1")]
    pub encrypted_device_token: Vec<u8>,
    #[prost(string, tag = "2")]
    pub username: String,
    #[prost(string, tag = "3")]
    pub client_version: String,
    #[prost(bytes = "vec", tag = "4")]
    pub message_session_uid: Vec<u8>,
    #[prost(bytes = "vec", tag = "5")]
    pub encrypted_login_token: Vec<u8>,
    #[prost(enumeration = "LoginType", tag = "6")]
    pub login_type: i32,
    #[prost(int32, tag = "7")]
    pub mc_enterprise_id: i32,
    #[prost(enumeration = "LoginMethod", tag = "8")]
    pub login_method: i32,
    #[prost(bool, tag = "9")]
    pub force_new_login: bool,
    #[prost(bytes = "vec", tag = "10")]
    pub clone_code: Vec<u8>,
    #[prost(string, tag = "11")]
    pub v2_two_factor_token: String,
    #[prost(bytes = "vec", tag = "12")]
    pub account_uid: Vec<u8>,
    #[prost(bytes = "vec", tag = "13")]
    pub from_session_token: Vec<u8>,
}

redacted_debug!(StartLoginRequest {
    username,
    client_version,
    login_type,
    login_method,
    force_new_login
});

/// Reply of `start_login` / `validate_auth_hash`: the login state and what the next step needs.
#[derive(Clone, PartialEq, ::prost::Message)]
#[prost(skip_debug)]
pub struct LoginResponse {
    #[prost(enumeration = "LoginState", tag = "1")]
    pub login_state: i32,
    #[prost(bytes = "vec", tag = "2")]
    pub account_uid: Vec<u8>,
    #[prost(string, tag = "3")]
    pub primary_username: String,
    #[prost(bytes = "vec", tag = "4")]
    pub encrypted_data_key: Vec<u8>,
    #[prost(enumeration = "EncryptedDataKeyType", tag = "5")]
    pub encrypted_data_key_type: i32,
    #[prost(bytes = "vec", tag = "6")]
    pub encrypted_login_token: Vec<u8>,
    #[prost(bytes = "vec", tag = "7")]
    pub encrypted_session_token: Vec<u8>,
    #[prost(enumeration = "SessionTokenType", tag = "8")]
    pub session_token_type: i32,
    #[prost(string, tag = "9")]
    pub message: String,
    #[prost(string, tag = "10")]
    pub url: String,
    #[prost(message, repeated, tag = "11")]
    pub channels: Vec<TwoFactorChannelInfo>,
    #[prost(message, repeated, tag = "12")]
    pub salt: Vec<Salt>,
    #[prost(bytes = "vec", tag = "13")]
    pub clone_code: Vec<u8>,
    #[prost(string, tag = "14")]
    pub state_specific_value: String,
    #[prost(string, tag = "15")]
    pub sso_client_version: String,
    #[prost(string, tag = "16")]
    pub session_token_type_modifier: String,
    #[prost(message, optional, tag = "17")]
    pub keys_info: Option<crate::keeper::proto::account_summary::KeysInfo>,
    #[prost(bytes = "vec", tag = "18")]
    pub client_key: Vec<u8>,
}

redacted_debug!(LoginResponse {
    login_state,
    primary_username,
    encrypted_data_key_type,
    session_token_type,
    message,
    url,
    channels,
    salt
});

/// Password salt and iteration count offered for the auth-hash step.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Salt {
    #[prost(int32, tag = "1")]
    pub iterations: i32,
    #[prost(bytes = "vec", tag = "2")]
    pub salt: Vec<u8>,
    #[prost(int32, tag = "3")]
    pub algorithm: i32,
    #[prost(bytes = "vec", tag = "4")]
    pub uid: Vec<u8>,
    #[prost(string, tag = "5")]
    pub name: String,
}

/// One second-factor channel the user may use.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct TwoFactorChannelInfo {
    #[prost(enumeration = "TwoFactorChannelType", tag = "1")]
    pub channel_type: i32,
    #[prost(bytes = "vec", tag = "2")]
    pub channel_uid: Vec<u8>,
    #[prost(string, tag = "3")]
    pub channel_name: String,
    #[prost(string, tag = "4")]
    pub challenge: String,
    #[prost(string, repeated, tag = "5")]
    pub capabilities: Vec<String>,
    #[prost(string, tag = "6")]
    pub phone_number: String,
    #[prost(enumeration = "TwoFactorExpiration", tag = "7")]
    pub max_expiration: i32,
    #[prost(int64, tag = "8")]
    pub created_on: i64,
    #[prost(enumeration = "TwoFactorExpiration", tag = "9")]
    pub last_frequency: i32,
    #[prost(bytes = "vec", tag = "10")]
    pub challenge_token: Vec<u8>,
}

/// `authentication/validate_auth_hash` body: proves knowledge of the master password.
#[derive(Clone, PartialEq, ::prost::Message)]
#[prost(skip_debug)]
pub struct ValidateAuthHashRequest {
    #[prost(enumeration = "PasswordMethod", tag = "1")]
    pub password_method: i32,
    #[prost(bytes = "vec", tag = "2")]
    pub auth_response: Vec<u8>,
    #[prost(bytes = "vec", tag = "3")]
    pub encrypted_login_token: Vec<u8>,
}

redacted_debug!(ValidateAuthHashRequest { password_method });

/// `authentication/2fa_send_push` body: asks the server to push or text a code.
#[derive(Clone, PartialEq, ::prost::Message)]
#[prost(skip_debug)]
pub struct TwoFactorSendPushRequest {
    #[prost(bytes = "vec", tag = "1")]
    pub encrypted_login_token: Vec<u8>,
    #[prost(enumeration = "TwoFactorPushType", tag = "2")]
    pub push_type: i32,
    #[prost(bytes = "vec", tag = "3")]
    pub channel_uid: Vec<u8>,
    #[prost(enumeration = "TwoFactorExpiration", tag = "4")]
    pub expire_in: i32,
}

redacted_debug!(TwoFactorSendPushRequest {
    push_type,
    expire_in
});

/// `authentication/2fa_validate` body: submits a second-factor code.
#[derive(Clone, PartialEq, ::prost::Message)]
#[prost(skip_debug)]
pub struct TwoFactorValidateRequest {
    #[prost(bytes = "vec", tag = "1")]
    pub encrypted_login_token: Vec<u8>,
    #[prost(enumeration = "TwoFactorValueType", tag = "2")]
    pub value_type: i32,
    #[prost(string, tag = "3")]
    pub value: String,
    #[prost(bytes = "vec", tag = "4")]
    pub channel_uid: Vec<u8>,
    #[prost(enumeration = "TwoFactorExpiration", tag = "5")]
    pub expire_in: i32,
    #[prost(bytes = "vec", tag = "6")]
    pub challenge_token: Vec<u8>,
}

redacted_debug!(TwoFactorValidateRequest {
    value_type,
    expire_in
});

/// Reply of `2fa_validate`: the login token to resume with.
#[derive(Clone, PartialEq, ::prost::Message)]
#[prost(skip_debug)]
pub struct TwoFactorValidateResponse {
    #[prost(bytes = "vec", tag = "1")]
    pub encrypted_login_token: Vec<u8>,
}

redacted_debug!(TwoFactorValidateResponse {});

/// `request_device_verification` / `request_device_admin_approval` body.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct DeviceVerificationRequest {
    #[prost(bytes = "vec", tag = "1")]
    pub encrypted_device_token: Vec<u8>,
    #[prost(string, tag = "2")]
    pub username: String,
    #[prost(string, tag = "3")]
    pub verification_channel: String,
    #[prost(bytes = "vec", tag = "4")]
    pub message_session_uid: Vec<u8>,
    #[prost(string, tag = "5")]
    pub client_version: String,
}

/// Reply of the device verification requests.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct DeviceVerificationResponse {
    #[prost(bytes = "vec", tag = "1")]
    pub encrypted_device_token: Vec<u8>,
    #[prost(string, tag = "2")]
    pub username: String,
    #[prost(bytes = "vec", tag = "3")]
    pub message_session_uid: Vec<u8>,
    #[prost(string, tag = "4")]
    pub client_version: String,
    #[prost(enumeration = "DeviceStatus", tag = "5")]
    pub device_status: i32,
}

/// `validate_device_verification_code` body: the emailed device approval code.
#[derive(Clone, PartialEq, ::prost::Message)]
#[prost(skip_debug)]
pub struct ValidateDeviceVerificationCodeRequest {
    #[prost(string, tag = "1")]
    pub username: String,
    #[prost(string, tag = "2")]
    pub client_version: String,
    #[prost(string, tag = "3")]
    pub verification_code: String,
    #[prost(bytes = "vec", tag = "4")]
    pub message_session_uid: Vec<u8>,
    #[prost(bytes = "vec", tag = "5")]
    pub encrypted_device_token: Vec<u8>,
}

redacted_debug!(ValidateDeviceVerificationCodeRequest {
    username,
    client_version
});

/// `register_encrypted_data_key_for_device` body: enables persistent login on this device.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct RegisterDeviceDataKeyRequest {
    #[prost(bytes = "vec", tag = "1")]
    pub encrypted_device_token: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    pub encrypted_device_data_key: Vec<u8>,
}

/// `setting/set_user_setting` body (e.g. `persistent_login`).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct UserSettingRequest {
    #[prost(string, tag = "1")]
    pub setting: String,
    #[prost(string, tag = "2")]
    pub value: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_login_messages_shows_no_token_clone_code_hash_or_code() {
        let secret = vec![0xAB; 16];
        let response = LoginResponse {
            primary_username: "user@example.com".into(),
            encrypted_login_token: secret.clone(),
            encrypted_session_token: secret.clone(),
            clone_code: secret.clone(),
            encrypted_data_key: secret.clone(),
            ..Default::default()
        };
        let start = StartLoginRequest {
            encrypted_login_token: secret.clone(),
            clone_code: secret.clone(),
            from_session_token: secret.clone(),
            ..Default::default()
        };
        let hash = ValidateAuthHashRequest {
            auth_response: secret.clone(),
            ..Default::default()
        };
        let code = TwoFactorValidateRequest {
            value: "913577".into(),
            ..Default::default()
        };
        let email_code = ValidateDeviceVerificationCodeRequest {
            verification_code: "K7Q2XW".into(),
            ..Default::default()
        };
        let text = format!("{response:?} {start:?} {hash:?} {code:?} {email_code:?}");
        assert!(text.contains("user@example.com"), "{text}");
        assert!(!text.contains("171"), "{text}"); // 0xAB as a Vec<u8> element
        assert!(
            !text.contains("913577") && !text.contains("K7Q2XW"),
            "{text}"
        );
    }
}
