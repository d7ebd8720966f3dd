//! The interactive login steps, one type per state that needs the user
//! (protocol-transport-login.md §4.5). Each step answers the server and returns the next
//! [`LoginOutcome`]; a step can be retried (e.g. after a mistyped password).

use prost::Message;
use zeroize::Zeroizing;

use super::device::DeviceCredentials;
use super::login::{salt_iterations, LoginFlow, Pending};
use super::outcome::{LoginOutcome, TwoFactorChannel};
use super::AuthError;
use crate::keeper::crypto::auth_hash_v1;
use crate::keeper::proto::authentication::{
    DeviceVerificationRequest, LoginResponse, LoginType, PasswordMethod, Salt, TwoFactorExpiration,
    TwoFactorPushType, TwoFactorSendPushRequest, TwoFactorValidateRequest,
    TwoFactorValidateResponse, TwoFactorValueType, ValidateAuthHashRequest,
    ValidateDeviceVerificationCodeRequest,
};

/// `REQUIRES_AUTH_HASH`: prove the master password.
pub struct PasswordStep {
    flow: LoginFlow,
    login_token: Vec<u8>,
    salts: Vec<Salt>,
}

impl std::fmt::Debug for PasswordStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordStep")
            .field("username", &self.flow.username)
            .finish_non_exhaustive()
    }
}

impl PasswordStep {
    pub(crate) fn new(flow: LoginFlow, login_token: Vec<u8>, salts: Vec<Salt>) -> Self {
        PasswordStep {
            flow,
            login_token,
            salts,
        }
    }

    /// The account being logged in.
    pub fn username(&self) -> &str {
        &self.flow.username
    }

    /// The device credentials to persist so far.
    pub fn device_credentials(&self) -> &DeviceCredentials {
        &self.flow.device
    }

    /// Sends the auth hash of `password`; a wrong password is [`AuthError::WrongPassword`]
    /// and this step can be tried again.
    pub async fn verify(&self, password: &str) -> Result<LoginOutcome, AuthError> {
        let salt = self
            .chosen_salt()
            .cloned()
            .ok_or_else(|| AuthError::BadResponse("no password salt offered".to_owned()))?;
        let iterations = salt_iterations(&salt)?;
        let auth_hash = Zeroizing::new(auth_hash_v1(password, &salt.salt, iterations));
        let request = ValidateAuthHashRequest {
            password_method: PasswordMethod::Entered as i32,
            auth_response: auth_hash.to_vec(),
            encrypted_login_token: self.login_token.clone(),
        };
        let response: LoginResponse = self
            .flow
            .transport
            .execute_proto("authentication/validate_auth_hash", &request, None)
            .await?;
        let mut flow = self.flow.clone();
        flow.password = Some(Zeroizing::new(password.to_owned()));
        flow.salt = Some(salt);
        flow.run(Pending::Response(Box::new(response))).await
    }

    /// The salt to hash with: `alternate` for an ALTERNATE login, else `Master`, else the first
    /// (the Python SDK's rule).
    fn chosen_salt(&self) -> Option<&Salt> {
        let wanted = if self.flow.login_type == LoginType::Alternate {
            "alternate"
        } else {
            "master"
        };
        self.salts
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(wanted))
            .or_else(|| self.salts.first())
    }
}

/// `REQUIRES_2FA`: a second factor on one of the offered channels.
pub struct TwoFactorStep {
    flow: LoginFlow,
    login_token: Vec<u8>,
    channels: Vec<TwoFactorChannel>,
}

impl std::fmt::Debug for TwoFactorStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwoFactorStep")
            .field("channels", &self.channels)
            .finish_non_exhaustive()
    }
}

impl TwoFactorStep {
    pub(crate) fn new(
        flow: LoginFlow,
        login_token: Vec<u8>,
        channels: Vec<TwoFactorChannel>,
    ) -> Self {
        TwoFactorStep {
            flow,
            login_token,
            channels,
        }
    }

    /// The channels the server offered (may be empty: then only a backup code works).
    pub fn channels(&self) -> &[TwoFactorChannel] {
        &self.channels
    }

    /// The account being logged in.
    pub fn username(&self) -> &str {
        &self.flow.username
    }

    /// The device credentials to persist so far.
    pub fn device_credentials(&self) -> &DeviceCredentials {
        &self.flow.device
    }

    /// Asks the server to push a code or an approval request (`2fa_send_push`).
    pub async fn send_push(
        &self,
        channel: &TwoFactorChannel,
        push: TwoFactorPushType,
    ) -> Result<(), AuthError> {
        let request = TwoFactorSendPushRequest {
            encrypted_login_token: self.login_token.clone(),
            push_type: push as i32,
            channel_uid: channel.uid.clone(),
            expire_in: TwoFactorExpiration::TwoFaExpImmediately as i32,
        };
        self.flow
            .transport
            .execute_rest(
                "authentication/2fa_send_push",
                Some(request.encode_to_vec()),
                None,
            )
            .await?;
        Ok(())
    }

    /// Submits a code for `channel` and continues the login with the new login token.
    pub async fn submit_code(
        &self,
        channel: &TwoFactorChannel,
        code: &str,
        remember: TwoFactorExpiration,
    ) -> Result<LoginOutcome, AuthError> {
        let request = TwoFactorValidateRequest {
            encrypted_login_token: self.login_token.clone(),
            value_type: channel.kind.value_type() as i32,
            value: code.trim().to_owned(),
            channel_uid: channel.uid.clone(),
            expire_in: remember as i32,
            ..TwoFactorValidateRequest::default()
        };
        validate_and_resume(&self.flow, &self.login_token, request).await
    }

    /// Continues after a push was approved on another device.
    pub async fn resume(&self) -> Result<LoginOutcome, AuthError> {
        self.flow
            .clone()
            .run(resume_with(self.login_token.clone()))
            .await
    }
}

/// `DEVICE_APPROVAL_REQUIRED` or `REQUIRES_DEVICE_ENCRYPTED_DATA_KEY`: approve this device
/// by email code, Keeper push, or (SSO) an administrator, then resume.
pub struct DeviceApprovalStep {
    flow: LoginFlow,
    login_token: Vec<u8>,
}

impl std::fmt::Debug for DeviceApprovalStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceApprovalStep")
            .field("username", &self.flow.username)
            .finish_non_exhaustive()
    }
}

impl DeviceApprovalStep {
    pub(crate) fn new(flow: LoginFlow, login_token: Vec<u8>) -> Self {
        DeviceApprovalStep { flow, login_token }
    }

    /// The device credentials to persist so far.
    pub fn device_credentials(&self) -> &DeviceCredentials {
        &self.flow.device
    }

    /// The account being logged in.
    pub fn username(&self) -> &str {
        &self.flow.username
    }

    /// Emails a verification code (`request_device_verification`, channel `email`).
    pub async fn request_email_code(&self) -> Result<(), AuthError> {
        let request = self.verification_request("email");
        self.post(
            "authentication/request_device_verification",
            request.encode_to_vec(),
        )
        .await
    }

    /// Submits the emailed code (`validate_device_verification_code`); then call [`Self::resume`].
    pub async fn validate_email_code(&self, code: &str) -> Result<(), AuthError> {
        let request = ValidateDeviceVerificationCodeRequest {
            username: self.flow.username.clone(),
            client_version: self.flow.transport.client_version().to_owned(),
            verification_code: code.trim().to_owned(),
            message_session_uid: self.flow.message_session_uid.clone(),
            encrypted_device_token: self.flow.device.device_token.as_bytes().to_vec(),
        };
        self.post(
            "authentication/validate_device_verification_code",
            request.encode_to_vec(),
        )
        .await
    }

    /// Sends a Keeper push approval request to the user's other devices.
    pub async fn send_keeper_push(&self) -> Result<(), AuthError> {
        let request = TwoFactorSendPushRequest {
            encrypted_login_token: self.login_token.clone(),
            push_type: TwoFactorPushType::TwoFaPushKeeper as i32,
            ..TwoFactorSendPushRequest::default()
        };
        self.post("authentication/2fa_send_push", request.encode_to_vec())
            .await
    }

    /// Sends a code through the account's own second factor (SMS, …) to approve this device
    /// (`2fa_send_push` with push type NONE, as Commander's "2FA Push").
    pub async fn send_two_factor_code(&self) -> Result<(), AuthError> {
        let request = TwoFactorSendPushRequest {
            encrypted_login_token: self.login_token.clone(),
            ..TwoFactorSendPushRequest::default()
        };
        self.post("authentication/2fa_send_push", request.encode_to_vec())
            .await
    }

    /// Approves this device with a second-factor code (`2fa_validate`, value type CODE_NONE) and
    /// continues the login.
    pub async fn validate_two_factor_code(&self, code: &str) -> Result<LoginOutcome, AuthError> {
        let request = TwoFactorValidateRequest {
            encrypted_login_token: self.login_token.clone(),
            value_type: TwoFactorValueType::TwoFaCodeNone as i32,
            value: code.trim().to_owned(),
            ..TwoFactorValidateRequest::default()
        };
        validate_and_resume(&self.flow, &self.login_token, request).await
    }

    /// Asks the enterprise administrator to approve this device (SSO accounts).
    pub async fn request_admin_approval(&self) -> Result<(), AuthError> {
        let request = self.verification_request("");
        self.post(
            "authentication/request_device_admin_approval",
            request.encode_to_vec(),
        )
        .await
    }

    /// Continues the login once the device was approved.
    pub async fn resume(&self) -> Result<LoginOutcome, AuthError> {
        self.flow
            .clone()
            .run(resume_with(self.login_token.clone()))
            .await
    }

    fn verification_request(&self, channel: &str) -> DeviceVerificationRequest {
        DeviceVerificationRequest {
            encrypted_device_token: self.flow.device.device_token.as_bytes().to_vec(),
            username: self.flow.username.clone(),
            verification_channel: channel.to_owned(),
            message_session_uid: self.flow.message_session_uid.clone(),
            client_version: self.flow.transport.client_version().to_owned(),
        }
    }

    async fn post(&self, endpoint: &str, body: Vec<u8>) -> Result<(), AuthError> {
        self.flow
            .transport
            .execute_rest(endpoint, Some(body), None)
            .await?;
        Ok(())
    }
}

/// `2fa_validate`, then resume with the login token it returns (or the current one).
async fn validate_and_resume(
    flow: &LoginFlow,
    login_token: &[u8],
    request: TwoFactorValidateRequest,
) -> Result<LoginOutcome, AuthError> {
    let response: TwoFactorValidateResponse = flow
        .transport
        .execute_proto("authentication/2fa_validate", &request, None)
        .await?;
    let login_token = if response.encrypted_login_token.is_empty() {
        login_token.to_vec()
    } else {
        response.encrypted_login_token
    };
    flow.clone().run(resume_with(login_token)).await
}

fn resume_with(login_token: Vec<u8>) -> Pending {
    Pending::Start {
        login_token: Some(login_token),
        clone_code: None,
    }
}
