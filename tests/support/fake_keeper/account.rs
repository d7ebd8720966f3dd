//! A fake Keeper account behind [`FakeKeeper`]: device registration, password login
//! (BY_PASSWORD / BY_ALTERNATE), clone-code resume, account summary, data-key registration, logout.

use std::sync::{Arc, Mutex};

use gw_provision::keeper::crypto::{
    aes_gcm_encrypt, auth_hash_v1, create_encryption_params, ecies_encrypt, keyhash_v2, AesKey,
    EcPrivateKey, EcPublicKey,
};
use gw_provision::keeper::proto::account_summary::{
    AccountSummaryElements, KeysInfo, License, Settings,
};
use gw_provision::keeper::proto::authentication::{
    Device, DeviceRegistrationRequest, LoginResponse, RegisterDeviceInRegionRequest, Salt,
    StartLoginRequest, ValidateAuthHashRequest,
};
use prost::Message;

use super::{FakeKeeper, Reply};

pub const USERNAME: &str = "admin@example.com";
pub const PASSWORD: &str = "correct horse battery staple";
pub const ITERATIONS: u32 = 1000;
pub const MASTER_SALT: [u8; 16] = [5; 16];
pub const ALTERNATE_SALT: [u8; 16] = [6; 16];

/// The one account the fake server knows, and what it remembers between calls.
pub struct Account {
    pub data_key: AesKey,
    pub ecc: EcPrivateKey,
    state: Mutex<AccountState>,
}

#[derive(Default)]
struct AccountState {
    devices: Vec<(Vec<u8>, Vec<u8>)>,
    clone_code: Vec<u8>,
    logins: usize,
    data_key_registrations: usize,
}

impl Account {
    pub fn new() -> Arc<Account> {
        Arc::new(Account {
            data_key: AesKey::generate(),
            ecc: EcPrivateKey::generate(),
            state: Mutex::default(),
        })
    }

    fn device_public_key(&self, token: &[u8]) -> Option<EcPublicKey> {
        let state = self.state.lock().unwrap();
        let (_, key) = state.devices.iter().find(|(t, _)| t == token)?;
        EcPublicKey::from_uncompressed(key).ok()
    }

    /// LOGGED_IN with a new session token and clone code.
    fn logged_in(&self, key_type: i32, encrypted_data_key: Vec<u8>) -> Reply {
        let mut state = self.state.lock().unwrap();
        state.logins += 1;
        state.clone_code = format!("clone-{}", state.logins).into_bytes();
        Reply::proto(&LoginResponse {
            login_state: 99,
            primary_username: USERNAME.into(),
            encrypted_session_token: b"session".to_vec(),
            encrypted_data_key_type: key_type,
            encrypted_data_key,
            clone_code: state.clone_code.clone(),
            ..LoginResponse::default()
        })
    }
}

pub fn salts() -> Vec<Salt> {
    vec![
        Salt {
            iterations: ITERATIONS as i32,
            salt: MASTER_SALT.to_vec(),
            name: "Master".into(),
            ..Salt::default()
        },
        Salt {
            iterations: ITERATIONS as i32,
            salt: ALTERNATE_SALT.to_vec(),
            name: "alternate".into(),
            ..Salt::default()
        },
    ]
}

pub fn requires_auth_hash() -> Reply {
    Reply::proto(&LoginResponse {
        login_state: 13,
        encrypted_login_token: b"login-token".to_vec(),
        salt: salts(),
        ..LoginResponse::default()
    })
}

/// Mounts the account's endpoints (after any overrides the test mounted first).
pub async fn serve_account(fake: &FakeKeeper, account: &Arc<Account>) {
    let a = account.clone();
    fake.on("authentication/register_device", move |call| {
        let request = DeviceRegistrationRequest::decode(call.payload.as_slice()).unwrap();
        let mut state = a.state.lock().unwrap();
        let token = format!("device-{}", state.devices.len()).into_bytes();
        state
            .devices
            .push((token.clone(), request.device_public_key));
        Reply::proto(&Device {
            encrypted_device_token: token,
        })
    })
    .await;
    let a = account.clone();
    fake.on("authentication/register_device_in_region", move |call| {
        let request = RegisterDeviceInRegionRequest::decode(call.payload.as_slice()).unwrap();
        a.state
            .lock()
            .unwrap()
            .devices
            .push((request.encrypted_device_token, request.device_public_key));
        Reply::Empty
    })
    .await;
    let a = account.clone();
    fake.on("authentication/start_login", move |call| {
        let request = StartLoginRequest::decode(call.payload.as_slice()).unwrap();
        let Some(device_key) = a.device_public_key(&request.encrypted_device_token) else {
            return Reply::Error(400, serde_json::json!({"error": "device_not_registered", "message": "no", "additional_info": ""}));
        };
        let clone_code_matches = {
            let state = a.state.lock().unwrap();
            !request.clone_code.is_empty() && request.clone_code == state.clone_code
        };
        if clone_code_matches {
            return a.logged_in(1, ecies_encrypt(&device_key, a.data_key.as_bytes()));
        }
        requires_auth_hash()
    })
    .await;
    let a = account.clone();
    fake.on("authentication/validate_auth_hash", move |call| {
        let request = ValidateAuthHashRequest::decode(call.payload.as_slice()).unwrap();
        assert_eq!(request.encrypted_login_token, b"login-token");
        if request.auth_response == auth_hash_v1(PASSWORD, &MASTER_SALT, ITERATIONS) {
            a.logged_in(
                2,
                create_encryption_params(PASSWORD, &a.data_key, ITERATIONS),
            )
        } else if request.auth_response == auth_hash_v1(PASSWORD, &ALTERNATE_SALT, ITERATIONS) {
            let key = keyhash_v2("data_key", PASSWORD, &ALTERNATE_SALT, ITERATIONS);
            a.logged_in(3, aes_gcm_encrypt(&key, a.data_key.as_bytes()))
        } else {
            Reply::keeper_error(401, "auth_failed", "Invalid username or password")
        }
    })
    .await;
    let a = account.clone();
    fake.on("login/account_summary", move |call| {
        assert_eq!(call.session_token, b"session");
        Reply::proto(&AccountSummaryElements {
            settings: Some(Settings::default()),
            license: Some(License::default()),
            keys_info: Some(KeysInfo {
                encrypted_ecc_private_key: aes_gcm_encrypt(&a.data_key, &a.ecc.to_bytes()),
                ecc_public_key: a.ecc.public_key().to_uncompressed(),
                ..KeysInfo::default()
            }),
            ..AccountSummaryElements::default()
        })
    })
    .await;
    let a = account.clone();
    fake.on(
        "authentication/register_encrypted_data_key_for_device",
        move |call| {
            assert_eq!(call.session_token, b"session");
            let mut state = a.state.lock().unwrap();
            state.data_key_registrations += 1;
            if state.data_key_registrations == 1 {
                Reply::Empty
            } else {
                Reply::keeper_error(400, "device_data_key_exists", "exists")
            }
        },
    )
    .await;
    fake.on("setting/set_user_setting", |call| {
        assert_eq!(call.session_token, b"session");
        Reply::Empty
    })
    .await;
    fake.on("vault/logout_v3", |call| {
        assert_eq!(call.session_token, b"session");
        Reply::Empty
    })
    .await;
}
