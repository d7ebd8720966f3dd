//! The server side of Login v3's gates, in Keeper's order: account lock, home region, SSO,
//! device approval, password, second factor (protocol-transport-login.md §4.5). `advance`
//! decides the next state of a login; the step endpoints (e-mail code, Keeper Push, TOTP,
//! register in region) move a login past its gate.

use std::sync::Arc;

use axum::http::StatusCode;
use serde_json::json;

use crate::keeper::proto::authentication::{
    DeviceStatus, DeviceVerificationRequest, DeviceVerificationResponse, EncryptedDataKeyType,
    LoginResponse, LoginState, RegisterDeviceInRegionRequest, Salt, TwoFactorChannelInfo,
    ValidateDeviceVerificationCodeRequest,
};

use super::context::{constant_time_eq, decode, ApiError, PendingLogin, Reply, Shared};
use super::login::{device_not_registered, logged_in};
use super::new_user::same_host;
use super::state::{now_ms, Account};
use super::two_factor;
use crate::keeper::crypto::{ecies_encrypt, EcPublicKey};

/// How long a login token stays usable between steps.
pub const LOGIN_TOKEN_TTL_MS: i64 = 10 * 60 * 1000;
/// Logins in progress across all accounts; more is a client stuck in a loop.
const MAX_PENDING_LOGINS: usize = 4096;
/// Wrong second-factor codes one login may send before it is dropped.
const MAX_CODE_ATTEMPTS: u8 = 5;
/// Keeper's `additional_info` for a device token unknown in the region it was sent to.
const NOT_REGISTERED_IN_REGION: &str = "invalid device token, not registered in this region";

/// Which gates a login in progress has passed.
#[derive(Debug, Clone, Default)]
pub struct LoginProgress {
    /// An SSO account logging in with its master password (`LoginType.ALTERNATE`).
    pub alternate: bool,
    /// `validate_auth_hash` accepted the password.
    pub password_verified: bool,
    /// `2fa_validate` accepted a code.
    pub two_factor_passed: bool,
    /// Wrong codes so far.
    pub failed_codes: u8,
    /// The Cloud SSO sign-in passed (the login token came from `/__sandbox/sso-login`).
    pub sso: bool,
    /// A Duo or Keeper Push waits for `approve-push`, with the `expireIn` it was sent with.
    pub push_waiting: Option<i32>,
}

/// The gate a login stands at.
enum Gate {
    Locked,
    LicenseExpired,
    Redirect(String),
    Sso,
    DeviceApproval,
    /// An SSO login from a device that holds no data key yet.
    DeviceDataKey,
    Password(Vec<Salt>),
    TwoFactor(Vec<TwoFactorChannelInfo>),
    LoggedIn(Vec<u8>, EncryptedDataKeyType),
}

/// The host name of a `Host` header value (`host:port` or `[v6]:port`).
pub fn host_name(host: &str) -> String {
    let host = host.trim().to_ascii_lowercase();
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or_default().to_owned();
    }
    host.rsplit_once(':')
        .map_or(host.as_str(), |(name, _)| name)
        .to_owned()
}

/// `device_not_registered` when the device was registered only in other regions (hosts).
pub fn check_device_region(shared: &Shared, device: &[u8], host: &str) -> Result<(), ApiError> {
    let name = host_name(host);
    let state = shared.read();
    let known = state
        .devices
        .iter()
        .find(|d| d.token == device)
        .is_some_and(|d| d.regions.is_empty() || d.regions.contains(&name));
    if known {
        Ok(())
    } else {
        Err(device_not_registered().with("additional_info", json!(NOT_REGISTERED_IN_REGION)))
    }
}

/// Decides where a login stands and answers with that state, keeping it under `login_token`
/// while it needs more steps.
pub fn advance(
    shared: &Arc<Shared>,
    host: &str,
    login_token: Vec<u8>,
    pending: PendingLogin,
) -> Result<Reply, ApiError> {
    let gate = {
        let mut state = shared.write();
        let device_key = state
            .devices
            .iter()
            .find(|d| d.token == pending.device_token)
            .map(|d| d.public_key.clone());
        let account = &mut state.accounts[pending.account];
        let gate = gate_of(account, &pending, host, device_key.as_deref())?;
        if matches!(gate, Gate::DeviceApproval | Gate::DeviceDataKey) {
            account.policy.note_pending(&pending.device_token);
            shared.changed();
        }
        gate
    };
    let state_only = |login_state: LoginState, message: &str| LoginResponse {
        login_state: login_state as i32,
        message: message.to_owned(),
        ..LoginResponse::default()
    };
    let response = match gate {
        Gate::Locked => {
            shared.logins().remove(&login_token);
            state_only(
                LoginState::AccountLocked,
                "This account is locked; contact your Keeper administrator",
            )
        }
        Gate::LicenseExpired => {
            shared.logins().remove(&login_token);
            state_only(
                LoginState::LicenseExpired,
                "The license of this account has expired",
            )
        }
        Gate::Redirect(home) => {
            shared.logins().remove(&login_token);
            LoginResponse {
                state_specific_value: home,
                ..state_only(LoginState::RegionRedirect, "")
            }
        }
        Gate::LoggedIn(data_key, key_type) => {
            shared.logins().remove(&login_token);
            {
                let mut state = shared.write();
                state.accounts[pending.account]
                    .policy
                    .password_entered(&pending.device_token);
            }
            logged_in(
                shared,
                pending.account,
                &pending.device_token,
                data_key,
                key_type,
            )
        }
        waiting => {
            let username = shared.read().accounts[pending.account].username.clone();
            let sso_url = super::sso::sso_url(host);
            remember_login(shared, login_token.clone(), pending)?;
            let base = LoginResponse {
                encrypted_login_token: login_token,
                primary_username: username,
                ..LoginResponse::default()
            };
            match waiting {
                Gate::Sso => LoginResponse {
                    login_state: LoginState::RedirectCloudSso as i32,
                    url: sso_url,
                    ..base
                },
                Gate::DeviceApproval => LoginResponse {
                    login_state: LoginState::DeviceApprovalRequired as i32,
                    ..base
                },
                Gate::DeviceDataKey => LoginResponse {
                    login_state: LoginState::RequiresDeviceEncryptedDataKey as i32,
                    ..base
                },
                Gate::Password(salt) => LoginResponse {
                    login_state: LoginState::RequiresAuthHash as i32,
                    salt,
                    ..base
                },
                Gate::TwoFactor(channels) => LoginResponse {
                    login_state: LoginState::Requires2fa as i32,
                    channels,
                    ..base
                },
                _ => return Err(ApiError::internal("unexpected login gate")),
            }
        }
    };
    Ok(Reply::message(&response))
}

fn gate_of(
    account: &Account,
    pending: &PendingLogin,
    host: &str,
    device_key: Option<&[u8]>,
) -> Result<Gate, ApiError> {
    let policy = &account.policy;
    let device = &pending.device_token;
    let progress = &pending.progress;
    if policy.locked {
        return Ok(Gate::Locked);
    }
    if policy.license_expired {
        return Ok(Gate::LicenseExpired);
    }
    if let Some(home) = policy.region.as_deref().filter(|h| !same_host(host, h)) {
        return Ok(Gate::Redirect(home.to_owned()));
    }
    let sso_account = policy.alternate.is_some() || policy.cloud_sso;
    if sso_account && !progress.alternate && !progress.sso {
        return Ok(Gate::Sso);
    }
    if !policy.device_approved(device) {
        return Ok(if progress.sso {
            Gate::DeviceDataKey
        } else {
            Gate::DeviceApproval
        });
    }
    if progress.sso {
        // The identity provider vouched for the user: the data key goes to the device
        // (BY_DEVICE_PUBLIC_KEY, protocol notes §4.10), the password and 2FA gates are the IdP's.
        let key = device_key
            .and_then(|k| EcPublicKey::from_uncompressed(k).ok())
            .ok_or_else(|| ApiError::internal("the device has no usable public key"))?;
        return Ok(Gate::LoggedIn(
            ecies_encrypt(&key, &account.data_key),
            EncryptedDataKeyType::ByDevicePublicKey,
        ));
    }
    let alternate = policy.alternate.as_ref().filter(|_| progress.alternate);
    if !progress.password_verified {
        let salt = match alternate {
            Some(alt) => salt("alternate", &alt.salt, alt.iterations, account),
            None => salt(
                "Master",
                &account.auth_salt,
                account.auth_iterations,
                account,
            ),
        };
        return Ok(Gate::Password(vec![salt]));
    }
    let needs_code = two_factor::required(account)
        && !progress.two_factor_passed
        && !policy.two_factor_remembered(device, now_ms());
    if needs_code {
        return Ok(Gate::TwoFactor(two_factor::channels(account)));
    }
    Ok(match alternate {
        Some(alt) => Gate::LoggedIn(
            alt.encrypted_data_key.clone(),
            EncryptedDataKeyType::ByAlternate,
        ),
        None => Gate::LoggedIn(
            account.encryption_params.clone(),
            EncryptedDataKeyType::ByPassword,
        ),
    })
}

fn salt(name: &str, salt: &[u8], iterations: u32, account: &Account) -> Salt {
    Salt {
        iterations: i32::try_from(iterations).unwrap_or(i32::MAX),
        salt: salt.to_vec(),
        algorithm: 2,
        uid: account.account_uid.as_bytes().to_vec(),
        name: name.to_owned(),
    }
}

/// What a clone-code resume may do for this account and device.
pub enum CloneGate {
    /// Log in with the device's data key.
    Resume,
    /// Answer with this state instead (locked, region redirect).
    Respond(Reply),
    /// The code is known but the sessions were expired: start a password login.
    Password,
}

/// Applies the lock, the home region and an `expire-sessions` to a clone-code resume.
pub fn clone_code_gate(shared: &Shared, account: usize, device: &[u8], host: &str) -> CloneGate {
    let state = shared.read();
    let policy = &state.accounts[account].policy;
    if policy.locked {
        return CloneGate::Respond(Reply::message(&LoginResponse {
            login_state: LoginState::AccountLocked as i32,
            message: "This account is locked; contact your Keeper administrator".to_owned(),
            ..LoginResponse::default()
        }));
    }
    if let Some(home) = policy.region.as_deref().filter(|h| !same_host(host, h)) {
        return CloneGate::Respond(Reply::message(&LoginResponse {
            login_state: LoginState::RegionRedirect as i32,
            state_specific_value: home.to_owned(),
            ..LoginResponse::default()
        }));
    }
    if policy.password_required(device) {
        CloneGate::Password
    } else {
        CloneGate::Resume
    }
}

/// Stores a login in progress under `token`, refusing when too many are open.
pub fn remember_login(
    shared: &Shared,
    token: Vec<u8>,
    mut pending: PendingLogin,
) -> Result<(), ApiError> {
    let now = now_ms();
    pending.expires_ms = now + LOGIN_TOKEN_TTL_MS;
    let mut logins = shared.logins();
    logins.retain(|_, p| p.expires_ms > now);
    if logins.len() >= MAX_PENDING_LOGINS && !logins.contains_key(&token) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "throttled",
            "Too many logins in progress; try again in 60 seconds",
        ));
    }
    logins.insert(token, pending);
    Ok(())
}

/// The login in progress under `token`, or `login_token_expired`.
pub fn pending_login(shared: &Shared, token: &[u8]) -> Result<PendingLogin, ApiError> {
    shared
        .logins()
        .get(token)
        .filter(|p| p.expires_ms > now_ms())
        .cloned()
        .ok_or_else(login_token_expired)
}

/// HTTP 400 `login_token_expired`: the client must start the login again.
pub fn login_token_expired() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "login_token_expired",
        "The login token has expired; start the login again",
    )
}

/// `authentication/request_device_verification`: "e-mails" a code (logged, and listed by the
/// admin route `GET /__sandbox/device-approvals`).
pub fn request_device_verification(shared: &Arc<Shared>, body: &[u8]) -> Result<Reply, ApiError> {
    let request: DeviceVerificationRequest = decode(body, "DeviceVerificationRequest")?;
    let channel = request.verification_channel.to_ascii_lowercase();
    if channel != "email" && channel != "email_resend" {
        return Err(ApiError::bad_request(format!(
            "verification channel {channel:?} is not available; use email"
        )));
    }
    let now = now_ms();
    let mut state = shared.write();
    let index = account_of(&state, &request.username)?;
    let account = &mut state.accounts[index];
    let status = if account
        .policy
        .device_approved(&request.encrypted_device_token)
    {
        DeviceStatus::DeviceOk
    } else {
        let username = account.username.clone();
        let pending = account.policy.note_pending(&request.encrypted_device_token);
        if pending.live_email_code(now).is_none() {
            pending.email_code = Some(six_digits());
            pending.email_code_sent_ms = now;
            pending.failed_codes = 0;
        }
        let code = pending.email_code.clone().unwrap_or_default();
        shared.changed();
        // The sandbox's stand-in for the e-mail: logged on purpose, like the text-message code.
        tracing::info!(email = %username, code = %code, "sandbox e-mail: device approval code");
        DeviceStatus::DeviceNeedsApproval
    };
    Ok(Reply::message(&DeviceVerificationResponse {
        encrypted_device_token: request.encrypted_device_token,
        username: request.username,
        message_session_uid: request.message_session_uid,
        client_version: request.client_version,
        device_status: status as i32,
    }))
}

/// `authentication/validate_device_verification_code`: the e-mailed code approves its device.
pub fn validate_device_verification_code(
    shared: &Arc<Shared>,
    body: &[u8],
) -> Result<Reply, ApiError> {
    let request: ValidateDeviceVerificationCodeRequest =
        decode(body, "ValidateDeviceVerificationCodeRequest")?;
    let now = now_ms();
    let code = request.verification_code.trim();
    let mut state = shared.write();
    let index = account_of(&state, &request.username)?;
    let policy = &mut state.accounts[index].policy;
    // Commander sends no device token: any waiting device of the account with this code.
    let device = policy
        .pending_devices
        .iter()
        .filter(|p| {
            request.encrypted_device_token.is_empty()
                || p.device_token == request.encrypted_device_token
        })
        .find(|p| {
            p.live_email_code(now)
                .is_some_and(|c| constant_time_eq(c.as_bytes(), code.as_bytes()))
        })
        .map(|p| p.device_token.clone());
    let Some(device) = device else {
        // Every live code of the account counts the miss; after a few the codes are void and
        // a new e-mail must be requested, as a real server stops guessing.
        for pending in policy
            .pending_devices
            .iter_mut()
            .filter(|p| p.live_email_code(now).is_some())
        {
            pending.failed_codes = pending.failed_codes.saturating_add(1);
            if pending.failed_codes >= MAX_CODE_ATTEMPTS {
                pending.email_code = None;
            }
        }
        shared.changed();
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_verification_code",
            "The verification code is invalid or has expired",
        ));
    };
    policy.approve(&device);
    shared.changed();
    Ok(Reply::Empty)
}

/// `authentication/request_device_admin_approval`: an SSO device asks the enterprise
/// administrator for its data key; `POST /__sandbox/approve-device` is that administrator.
pub fn request_device_admin_approval(shared: &Arc<Shared>, body: &[u8]) -> Result<Reply, ApiError> {
    let request: DeviceVerificationRequest = decode(body, "DeviceVerificationRequest")?;
    let mut state = shared.write();
    let index = account_of(&state, &request.username)?;
    let policy = &mut state.accounts[index].policy;
    let status = if policy.device_approved(&request.encrypted_device_token) {
        DeviceStatus::DeviceOk
    } else {
        policy.note_pending(&request.encrypted_device_token);
        shared.changed();
        tracing::info!(
            email = %request.username,
            "sandbox admin approval requested (POST /__sandbox/approve-device)"
        );
        DeviceStatus::DeviceNeedsApproval
    };
    Ok(Reply::message(&DeviceVerificationResponse {
        encrypted_device_token: request.encrypted_device_token,
        username: request.username,
        message_session_uid: request.message_session_uid,
        client_version: request.client_version,
        device_status: status as i32,
    }))
}

/// `authentication/register_device_in_region`: makes a device known on this host.
pub fn register_device_in_region(
    shared: &Arc<Shared>,
    host: &str,
    body: &[u8],
) -> Result<Reply, ApiError> {
    let request: RegisterDeviceInRegionRequest = decode(body, "RegisterDeviceInRegionRequest")?;
    let mut state = shared.write();
    let Some(device) = state
        .devices
        .iter_mut()
        .find(|d| d.token == request.encrypted_device_token)
    else {
        return Err(device_not_registered());
    };
    if !request.device_public_key.is_empty() && request.device_public_key != device.public_key {
        return Err(ApiError::bad_request(
            "devicePublicKey is not the key this device registered",
        ));
    }
    let name = host_name(host);
    if !device.regions.is_empty() && !device.regions.contains(&name) {
        device.regions.push(name);
        shared.changed();
    }
    Ok(Reply::Empty)
}

fn account_of(state: &super::state::State, username: &str) -> Result<usize, ApiError> {
    state
        .account_index(username)
        .ok_or_else(|| ApiError::bad_request("No account exists for this username"))
}

/// A random six-digit code, the shape of Keeper's e-mailed device codes.
pub(super) fn six_digits() -> String {
    use rand::Rng;
    format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_drop_the_port_and_lower_case() {
        assert_eq!(host_name("LocalHost:8443"), "localhost");
        assert_eq!(host_name("127.0.0.1"), "127.0.0.1");
        assert_eq!(host_name("[::1]:8443"), "::1");
    }

    #[test]
    fn email_codes_are_six_digits() {
        for _ in 0..20 {
            let code = six_digits();
            assert_eq!(code.len(), 6);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
    }
}
