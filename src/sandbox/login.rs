//! Login v3: device registration, start/resume, auth hash, clone-code resume, account summary.

use std::sync::Arc;

use axum::http::StatusCode;
use serde_json::json;

use crate::keeper::crypto::{random_bytes, EcPublicKey};
use crate::keeper::proto::account_summary::{
    AccountSummaryElements, DeviceInfo, Enforcements, KeyValue, KeyValueBoolean, KeyValueLong,
    KeysInfo, License, Settings,
};
use crate::keeper::proto::authentication::{
    Device as DeviceMessage, DeviceRegistrationRequest, DeviceStatus, EncryptedDataKeyType,
    LoginMethod, LoginResponse, LoginState, LoginType, PasswordMethod,
    RegisterDeviceDataKeyRequest, SessionTokenType, StartLoginRequest, UserSettingRequest,
    ValidateAuthHashRequest,
};

use super::context::{
    constant_time_eq, decode, ApiError, PendingLogin, Reply, Shared, SESSION_IDLE_MS,
};
use super::login_steps::{self, CloneGate, LoginProgress};
use super::new_user::EnforcementValue;
use super::state::{now_ms, Device, DeviceLink, Session, State};

const MAX_SESSIONS_PER_ACCOUNT: usize = 256;

/// `authentication/register_device`: remembers the device key and hands out an opaque token.
/// The device is registered in the region (host name) it registered with.
pub fn register_device(shared: &Arc<Shared>, host: &str, body: &[u8]) -> Result<Reply, ApiError> {
    let request: DeviceRegistrationRequest = decode(body, "DeviceRegistrationRequest")?;
    EcPublicKey::from_uncompressed(&request.device_public_key)
        .map_err(|_| ApiError::bad_request("devicePublicKey is not a P-256 point"))?;
    let token = random_bytes(64);
    shared.write().devices.push(Device {
        token: token.clone(),
        public_key: request.device_public_key,
        name: request.device_name,
        client_version: request.client_version,
        regions: vec![login_steps::host_name(host)],
    });
    shared.changed();
    Ok(Reply::message(&DeviceMessage {
        encrypted_device_token: token,
    }))
}

/// HTTP 400 `device_not_registered` (with the `additional_info` key Commander reads).
pub fn device_not_registered() -> ApiError {
    // Commander reads `additional_info` with a plain key lookup (notes 04 §1.1), so it must be present.
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "device_not_registered",
        "This device is not registered",
    )
    .with("additional_info", json!(""))
}

/// `authentication/start_login`: starts or resumes a login (username, login token or clone code);
/// `login_steps::advance` decides the state it is in.
pub fn start_login(shared: &Arc<Shared>, host: &str, body: &[u8]) -> Result<Reply, ApiError> {
    let request: StartLoginRequest = decode(body, "StartLoginRequest")?;
    let device = request.encrypted_device_token.clone();
    if !shared.read().devices.iter().any(|d| d.token == device) {
        return Err(device_not_registered());
    }
    login_steps::check_device_region(shared, &device, host)?;
    let alternate = request.login_type == LoginType::Alternate as i32;
    if !request.clone_code.is_empty() {
        if let Some((account, data_key)) = clone_code_link(shared, &device, &request.clone_code) {
            match login_steps::clone_code_gate(shared, account, &device, host) {
                CloneGate::Resume => {
                    return Ok(Reply::message(&logged_in(
                        shared,
                        account,
                        &device,
                        data_key,
                        EncryptedDataKeyType::ByDevicePublicKey,
                    )))
                }
                CloneGate::Respond(reply) => return Ok(reply),
                CloneGate::Password => {
                    return login_steps::advance(
                        shared,
                        host,
                        random_bytes(32),
                        new_login(shared, account, device, alternate),
                    )
                }
            }
        }
    }
    // A resume sends the login token and (Commander) the username too: the token wins.
    let resumed = (!request.encrypted_login_token.is_empty())
        .then(|| login_steps::pending_login(shared, &request.encrypted_login_token))
        .transpose()?
        .map(|mut p| {
            // A Cloud SSO login token belongs to no device until one resumes with it.
            if p.device_token.is_empty() {
                if request.login_method != LoginMethod::AfterSso as i32 {
                    return Err(ApiError::bad_request(
                        "a login token from SSO resumes with loginMethod AFTER_SSO",
                    ));
                }
                p.device_token = device.clone();
            }
            Ok(p)
        })
        .transpose()?
        .filter(|p| p.device_token == device);
    if let Some(mut pending) = resumed {
        pending.progress.alternate |= alternate && has_alternate(shared, pending.account);
        return login_steps::advance(shared, host, request.encrypted_login_token, pending);
    }
    if request.username.is_empty() {
        if !request.encrypted_login_token.is_empty() {
            return Err(login_steps::login_token_expired());
        }
        return Ok(Reply::message(&LoginResponse {
            login_state: LoginState::RequiresUsername as i32,
            ..Default::default()
        }));
    }
    let Some(account) = shared.read().account_index(&request.username) else {
        return Ok(Reply::message(&LoginResponse {
            login_state: LoginState::RequiresAccountCreation as i32,
            message: "No account exists for this username".to_string(),
            ..Default::default()
        }));
    };
    let pending = new_login(shared, account, device, alternate);
    login_steps::advance(shared, host, random_bytes(32), pending)
}

fn has_alternate(shared: &Shared, account: usize) -> bool {
    shared.read().accounts[account].policy.alternate.is_some()
}

fn new_login(shared: &Shared, account: usize, device: Vec<u8>, alternate: bool) -> PendingLogin {
    PendingLogin {
        account,
        device_token: device,
        expires_ms: 0,
        progress: LoginProgress {
            alternate: alternate && has_alternate(shared, account),
            ..LoginProgress::default()
        },
    }
}

/// The account and device data key a clone code of `device` belongs to.
fn clone_code_link(
    shared: &Arc<Shared>,
    device: &[u8],
    clone_code: &[u8],
) -> Option<(usize, Vec<u8>)> {
    let state = shared.read();
    state
        .accounts
        .iter()
        .enumerate()
        .find_map(|(index, account)| {
            account.device_links.iter().find_map(|link| {
                let matches = link.device_token == device
                    && link
                        .clone_code
                        .as_deref()
                        .is_some_and(|code| constant_time_eq(code, clone_code));
                match (&link.encrypted_data_key, matches) {
                    (Some(key), true) => Some((index, key.clone())),
                    _ => None,
                }
            })
        })
}

/// `authentication/validate_auth_hash`: checks the password hash (the `alternate` one for an SSO
/// master-password login), then the login moves on to its next gate.
pub fn validate_auth_hash(
    shared: &Arc<Shared>,
    host: &str,
    body: &[u8],
) -> Result<Reply, ApiError> {
    let request: ValidateAuthHashRequest = decode(body, "ValidateAuthHashRequest")?;
    if request.password_method != PasswordMethod::Entered as i32 {
        return Err(ApiError::bad_request(
            "only entered passwords are supported",
        ));
    }
    let mut pending = login_steps::pending_login(shared, &request.encrypted_login_token)?;
    let expected = {
        let state = shared.read();
        let account = &state.accounts[pending.account];
        match account.policy.alternate.as_ref() {
            Some(alternate) if pending.progress.alternate => alternate.auth_hash.clone(),
            _ => account.auth_hash.clone(),
        }
    };
    if !constant_time_eq(&expected, &request.auth_response) {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "auth_failed",
            "Invalid username and/or password",
        ));
    }
    pending.progress.password_verified = true;
    login_steps::advance(shared, host, request.encrypted_login_token, pending)
}

/// Opens a session and rotates the device's clone code.
pub fn logged_in(
    shared: &Arc<Shared>,
    account_index: usize,
    device: &[u8],
    encrypted_data_key: Vec<u8>,
    key_type: EncryptedDataKeyType,
) -> LoginResponse {
    let now = now_ms();
    let session_token = random_bytes(48);
    let clone_code = random_bytes(16);
    let mut state = shared.write();
    let account = &mut state.accounts[account_index];
    account
        .sessions
        .retain(|s| now - s.last_used_ms <= SESSION_IDLE_MS);
    if account.sessions.len() >= MAX_SESSIONS_PER_ACCOUNT {
        account.sessions.remove(0);
    }
    account.sessions.push(Session {
        token: zeroize::Zeroizing::new(session_token.clone()),
        device_token: device.to_vec(),
        created_ms: now,
        last_used_ms: now,
    });
    link_mut(&mut account.device_links, device).clone_code = Some(clone_code.clone());
    shared.changed();
    LoginResponse {
        login_state: LoginState::LoggedIn as i32,
        account_uid: account.account_uid.as_bytes().to_vec(),
        primary_username: account.username.clone(),
        encrypted_data_key,
        encrypted_data_key_type: key_type as i32,
        encrypted_session_token: session_token,
        session_token_type: SessionTokenType::NoRestriction as i32,
        clone_code,
        ..Default::default()
    }
}

fn link_mut<'a>(links: &'a mut Vec<DeviceLink>, device: &[u8]) -> &'a mut DeviceLink {
    let index = match links.iter().position(|l| l.device_token == device) {
        Some(index) => index,
        None => {
            links.push(DeviceLink {
                device_token: device.to_vec(),
                encrypted_data_key: None,
                clone_code: None,
            });
            links.len() - 1
        }
    };
    &mut links[index]
}

/// `authentication/register_encrypted_data_key_for_device`: enables clone-code resume.
pub fn register_data_key_for_device(
    shared: &Arc<Shared>,
    account: usize,
    body: &[u8],
) -> Result<Reply, ApiError> {
    let request: RegisterDeviceDataKeyRequest = decode(body, "RegisterDeviceDataKeyRequest")?;
    if request.encrypted_device_data_key.is_empty() {
        return Err(ApiError::bad_request("encryptedDeviceDataKey is empty"));
    }
    let mut state = shared.write();
    if !state
        .devices
        .iter()
        .any(|d| d.token == request.encrypted_device_token)
    {
        return Err(device_not_registered());
    }
    let link = link_mut(
        &mut state.accounts[account].device_links,
        &request.encrypted_device_token,
    );
    if link.encrypted_data_key.is_some() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "device_data_key_exists",
            "A data key is already registered for this device",
        ));
    }
    link.encrypted_data_key = Some(request.encrypted_device_data_key);
    shared.changed();
    Ok(Reply::Empty)
}

/// `login/account_summary`: keys, settings and license, enough for Commander and the SDK.
pub fn account_summary(shared: &Arc<Shared>, account: usize) -> Result<Reply, ApiError> {
    let state = shared.read();
    Ok(Reply::message(&summary(&state, account)))
}

fn summary(state: &State, index: usize) -> AccountSummaryElements {
    let account = &state.accounts[index];
    let devices = account
        .device_links
        .iter()
        .filter_map(|link| {
            let device = state
                .devices
                .iter()
                .find(|d| d.token == link.device_token)?;
            Some(DeviceInfo {
                encrypted_device_token: device.token.clone(),
                device_name: device.name.clone(),
                device_status: DeviceStatus::DeviceOk as i32,
                device_public_key: device.public_key.clone(),
                client_version: device.client_version.clone(),
                encrypted_data_key_present: link.encrypted_data_key.is_some(),
            })
        })
        .collect();
    // `settings` and `license` must be present even when empty: Commander indexes them (notes 04 §1.2).
    // Enforcements are sent only for accounts given some (`sandbox add-user --enforcement`);
    // enterprise flags and BreachWatch stay unset to keep clients on the plain path.
    AccountSummaryElements {
        client_key: account.encrypted_client_key.clone(),
        settings: Some(Settings {
            logout_timer: SESSION_IDLE_MS,
            persistent_login: account
                .settings
                .get("persistent_login")
                .is_some_and(|v| v == "1"),
            ..Default::default()
        }),
        keys_info: Some(KeysInfo {
            encryption_params: account.encryption_params.clone(),
            encrypted_private_key: account.encrypted_rsa_private_key.clone(),
            encrypted_ecc_private_key: account.encrypted_ecc_private_key.clone(),
            ecc_public_key: account.ecc_public_key.clone(),
            ..Default::default()
        }),
        license: Some(License {
            account_uid: account.account_uid.as_bytes().to_vec(),
            ..Default::default()
        }),
        devices,
        enforcements: enforcements(&account.policy.enforcements),
        ..Default::default()
    }
}

/// The account's role enforcements by value type, as `AccountSummary.Enforcements` carries them.
fn enforcements(
    values: &std::collections::BTreeMap<String, EnforcementValue>,
) -> Option<Enforcements> {
    if values.is_empty() {
        return None;
    }
    let mut out = Enforcements::default();
    for (key, value) in values {
        let key = key.clone();
        match value {
            EnforcementValue::Boolean(value) => {
                out.booleans.push(KeyValueBoolean { key, value: *value })
            }
            EnforcementValue::Long(value) => out.longs.push(KeyValueLong { key, value: *value }),
            EnforcementValue::Text(value) => out.strings.push(KeyValue {
                key,
                value: value.clone(),
            }),
        }
    }
    Some(out)
}

/// `vault/logout_v3`: ends the session.
pub fn logout(shared: &Arc<Shared>, token: &[u8]) -> Result<Reply, ApiError> {
    let account = shared.session_account(token)?;
    let mut state = shared.write();
    state.accounts[account]
        .sessions
        .retain(|s| !constant_time_eq(&s.token, token));
    shared.changed();
    Ok(Reply::Empty)
}

/// `setting/set_user_setting`: stores a user setting such as `persistent_login`.
pub fn set_user_setting(
    shared: &Arc<Shared>,
    account: usize,
    body: &[u8],
) -> Result<Reply, ApiError> {
    let request: UserSettingRequest = decode(body, "UserSettingRequest")?;
    if request.setting.is_empty() {
        return Err(ApiError::bad_request("setting name is empty"));
    }
    let mut state = shared.write();
    let restricted = matches!(
        state.accounts[account]
            .policy
            .enforcements
            .get("restrict_persistent_login"),
        Some(EnforcementValue::Boolean(true))
    );
    if restricted && request.setting == "persistent_login" && request.value == "1" {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "restricted_by_enforcement",
            "persistent login is restricted by your enterprise role enforcement",
        ));
    }
    state.accounts[account]
        .settings
        .insert(request.setting, request.value);
    drop(state);
    shared.changed();
    Ok(Reply::Empty)
}
