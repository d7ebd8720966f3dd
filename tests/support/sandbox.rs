//! A hand-rolled Keeper wire client for the sandbox tests: built from `keeper::crypto` and
//! `keeper::proto` only, so the sandbox is checked independently of the client code.
#![allow(dead_code)]

use gw_provision::keeper::crypto::{
    aes_cbc_encrypt, aes_gcm_decrypt, aes_gcm_encrypt, b64_std_encode, b64url_decode,
    b64url_encode, decrypt_encryption_params, ecdsa_sign, ecies_encrypt, hmac_sha512, random_bytes,
    AesKey, EcPrivateKey, EcPublicKey,
};
use gw_provision::keeper::proto::authentication::{
    AddAppClientRequest, AddAppSharesRequest, ApiRequest, ApiRequestPayload, AppShareAdd, Device,
    DeviceRegistrationRequest, LoginResponse, StartLoginRequest, ValidateAuthHashRequest,
};
use gw_provision::keeper::proto::records::ApplicationAddRequest;
use gw_provision::keeper::proto::vault::{SyncDownRequest, SyncDownResponse};
use gw_provision::keeper::uid::Uid;
use gw_provision::sandbox::{start, Descriptor, RunningSandbox, SandboxOptions};
use prost::Message;
use serde_json::json;
use serde_json::Value;

/// A sandbox on a fresh temp state dir, kept alive with it.
pub struct TestSandbox {
    pub sandbox: RunningSandbox,
    pub dir: tempfile::TempDir,
}

impl TestSandbox {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let sandbox = start(SandboxOptions::new(dir.path().join("state")))
            .await
            .unwrap();
        Self { sandbox, dir }
    }

    pub fn descriptor(&self) -> &Descriptor {
        self.sandbox.descriptor()
    }

    pub fn wire(&self) -> Wire {
        Wire::new(self.descriptor())
    }
}

/// An HTTP error reply: status and JSON body.
#[derive(Debug)]
pub struct HttpError {
    pub status: u16,
    pub body: Value,
    pub retry_after: Option<String>,
}

impl HttpError {
    pub fn code(&self) -> &str {
        self.body["error"].as_str().unwrap_or("")
    }
}

pub struct Wire {
    pub http: reqwest::Client,
    pub url: String,
    pub server_key: EcPublicKey,
    pub key_id: i32,
}

impl Wire {
    pub fn new(descriptor: &Descriptor) -> Self {
        let certs =
            reqwest::Certificate::from_pem_bundle(descriptor.ca_cert_pem.as_bytes()).unwrap();
        let http = reqwest::Client::builder()
            .tls_certs_merge(certs)
            .build()
            .unwrap();
        let key = b64url_decode(&descriptor.server_public_key).unwrap();
        Self {
            http,
            url: descriptor.url.clone(),
            server_key: EcPublicKey::from_uncompressed(&key).unwrap(),
            key_id: descriptor.server_key_id,
        }
    }

    /// Builds an `ApiRequest` body for `payload`.
    pub fn envelope(&self, key: &AesKey, payload: &[u8], session: Option<&[u8]>) -> Vec<u8> {
        let inner = ApiRequestPayload {
            payload: payload.to_vec(),
            encrypted_session_token: session.map(<[u8]>::to_vec).unwrap_or_default(),
            ..Default::default()
        };
        ApiRequest {
            encrypted_transmission_key: ecies_encrypt(&self.server_key, key.as_bytes()),
            public_key_id: self.key_id,
            locale: "en_US".into(),
            encrypted_payload: aes_gcm_encrypt(key, &inner.encode_to_vec()),
            ..Default::default()
        }
        .encode_to_vec()
    }

    /// POSTs raw bytes to `/api/rest/<endpoint>`.
    pub async fn post_raw(&self, endpoint: &str, body: Vec<u8>) -> reqwest::Response {
        self.http
            .post(format!("{}/api/rest/{endpoint}", self.url))
            .header("Content-Type", "application/octet-stream")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// Calls an `api/rest` endpoint and returns the decrypted reply bytes.
    pub async fn rest(
        &self,
        endpoint: &str,
        payload: &[u8],
        session: Option<&[u8]>,
    ) -> Result<Vec<u8>, HttpError> {
        let key = AesKey::generate();
        let response = self
            .post_raw(endpoint, self.envelope(&key, payload, session))
            .await;
        read_reply(response, &key).await
    }

    pub async fn call<Rs: Message + Default>(
        &self,
        endpoint: &str,
        request: &impl Message,
        session: Option<&[u8]>,
    ) -> Result<Rs, HttpError> {
        let bytes = self
            .rest(endpoint, &request.encode_to_vec(), session)
            .await?;
        Ok(Rs::decode(bytes.as_slice()).unwrap())
    }

    pub async fn register_device(&self) -> (EcPrivateKey, Vec<u8>) {
        let key = EcPrivateKey::generate();
        let device: Device = self
            .call(
                "authentication/register_device",
                &DeviceRegistrationRequest {
                    client_version: "c18.1.0".into(),
                    device_name: "sandbox test".into(),
                    device_public_key: key.public_key().to_uncompressed(),
                    ..Default::default()
                },
                None,
            )
            .await
            .unwrap();
        (key, device.encrypted_device_token)
    }

    pub async fn start_login(&self, device: &[u8], username: &str) -> LoginResponse {
        self.call(
            "authentication/start_login",
            &StartLoginRequest {
                encrypted_device_token: device.to_vec(),
                username: username.into(),
                client_version: "c18.1.0".into(),
                login_method: 1,
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap()
    }

    /// Password login; returns the LOGGED_IN reply or the error of `validate_auth_hash`.
    pub async fn password_login(
        &self,
        device: &[u8],
        username: &str,
        password: &str,
    ) -> Result<LoginResponse, HttpError> {
        let started = self.start_login(device, username).await;
        assert_eq!(started.login_state, 13, "REQUIRES_AUTH_HASH");
        let salt = &started.salt[0];
        let auth_hash = gw_provision::keeper::crypto::auth_hash_v1(
            password,
            &salt.salt,
            u32::try_from(salt.iterations).unwrap(),
        );
        self.call(
            "authentication/validate_auth_hash",
            &ValidateAuthHashRequest {
                password_method: 0,
                auth_response: auth_hash.to_vec(),
                encrypted_login_token: started.encrypted_login_token,
            },
            None,
        )
        .await
    }

    /// Registers a device and logs in as the demo user.
    pub async fn login(&self, descriptor: &Descriptor) -> Login {
        let (device_key, device) = self.register_device().await;
        let response = self
            .password_login(&device, &descriptor.user, &descriptor.password)
            .await
            .unwrap();
        assert_eq!(response.login_state, 99, "LOGGED_IN");
        let data_key =
            decrypt_encryption_params(&descriptor.password, &response.encrypted_data_key).unwrap();
        Login {
            session: response.encrypted_session_token,
            data_key,
            device,
            device_key,
            clone_code: response.clone_code,
            username: response.primary_username,
        }
    }

    /// Runs a full `sync_down` loop; returns every page.
    pub async fn sync_all(&self, session: &[u8]) -> Vec<SyncDownResponse> {
        let mut pages = Vec::new();
        let mut token = Vec::new();
        loop {
            let page: SyncDownResponse = self
                .call(
                    "vault/sync_down",
                    &SyncDownRequest {
                        continuation_token: token.clone(),
                        ..Default::default()
                    },
                    Some(session),
                )
                .await
                .unwrap();
            token = page.continuation_token.clone();
            let more = page.has_more;
            pages.push(page);
            if !more {
                return pages;
            }
        }
    }

    /// Runs a full `sync_down` loop keeping nothing; returns (pages, records).
    pub async fn sync_count(&self, session: &[u8]) -> (usize, usize) {
        let (mut pages, mut records) = (0, 0);
        let mut token = Vec::new();
        loop {
            let page = self.sync_from(session, &token).await;
            pages += 1;
            records += page.records.len();
            if !page.has_more {
                return (pages, records);
            }
            token = page.continuation_token;
        }
    }

    /// One `sync_down` call continuing from `token`.
    pub async fn sync_from(&self, session: &[u8], token: &[u8]) -> SyncDownResponse {
        self.call(
            "vault/sync_down",
            &SyncDownRequest {
                continuation_token: token.to_vec(),
                ..Default::default()
            },
            Some(session),
        )
        .await
        .unwrap()
    }

    /// Sends a v2 JSON command the way Commander does (session only inside the JSON).
    pub async fn v2(&self, session: &[u8], username: &str, mut command: Value) -> Value {
        command["session_token"] = Value::String(b64url_encode(session));
        command["username"] = Value::String(username.into());
        command["client_version"] = Value::String("c18.1.0".into());
        let bytes = self
            .rest(
                "vault/execute_v2_command",
                command.to_string().as_bytes(),
                None,
            )
            .await
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    /// Calls `sm/v1/<endpoint>` as a KSM SDK does; `Ok(None)` = empty 200.
    pub async fn ksm(
        &self,
        endpoint: &str,
        payload: &Value,
        client_key: &EcPrivateKey,
    ) -> Result<Option<Value>, HttpError> {
        let key = AesKey::generate();
        let wrapped = ecies_encrypt(&self.server_key, key.as_bytes());
        let body = aes_gcm_encrypt(&key, payload.to_string().as_bytes());
        let signature = ecdsa_sign(client_key, &[wrapped.as_slice(), body.as_slice()].concat());
        let response = self
            .http
            .post(format!("{}/api/rest/sm/v1/{endpoint}", self.url))
            .header("Content-Type", "application/octet-stream")
            .header("PublicKeyId", self.key_id.to_string())
            .header("TransmissionKey", b64_std_encode(&wrapped))
            .header(
                "Authorization",
                format!("Signature {}", b64_std_encode(&signature)),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        let bytes = read_reply(response, &key).await?;
        Ok((!bytes.is_empty()).then(|| serde_json::from_slice(&bytes).unwrap()))
    }
}

async fn read_reply(response: reqwest::Response, key: &AesKey) -> Result<Vec<u8>, HttpError> {
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let json = response
        .headers()
        .get("content-type")
        .is_some_and(|v| v.as_bytes() == b"application/json");
    let bytes = response.bytes().await.unwrap();
    if status != 200 {
        assert!(json, "error replies are JSON (status {status})");
        return Err(HttpError {
            status,
            body: serde_json::from_slice(&bytes).unwrap(),
            retry_after,
        });
    }
    assert!(!json, "a 200 reply is never plaintext JSON");
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    Ok(aes_gcm_decrypt(key, &bytes).unwrap())
}

/// A logged-in demo session.
pub struct Login {
    pub session: Vec<u8>,
    pub data_key: AesKey,
    pub device: Vec<u8>,
    pub device_key: EcPrivateKey,
    pub clone_code: Vec<u8>,
    pub username: String,
}

/// A one-time token made the way Commander makes it: secret, client id, app key under the secret.
pub struct Token {
    pub secret: Vec<u8>,
    pub client_id: Vec<u8>,
}

impl Token {
    pub fn generate() -> Self {
        let secret = random_bytes(32);
        let client_id = hmac_sha512(&secret, b"KEEPER_SECRETS_MANAGER_CLIENT_ID").to_vec();
        Self { secret, client_id }
    }

    pub fn secret_key(&self) -> AesKey {
        AesKey::from_slice(&self.secret).unwrap()
    }
}

pub struct Vault {
    pub folder_uid: Uid,
    pub folder_key: AesKey,
    pub app_uid: Uid,
    pub app_key: AesKey,
}

/// Creates a shared folder and an application the way Commander does.
pub async fn folder_and_app(wire: &Wire, login: &Login) -> Vault {
    let folder_uid = Uid::generate();
    let folder_key = AesKey::generate();
    let reply = wire
        .v2(
            &login.session,
            &login.username,
            json!({
                "command": "folder_add",
                "folder_uid": folder_uid.to_string(),
                "folder_type": "shared_folder",
                "key": b64url_encode(&aes_cbc_encrypt(&login.data_key, folder_key.as_bytes())),
                "data": b64url_encode(&aes_cbc_encrypt(&folder_key, br#"{"name":"Gateway SF"}"#)),
                "name": b64url_encode(&aes_cbc_encrypt(&folder_key, b"Gateway SF")),
                "manage_users": true, "manage_records": true, "can_edit": true, "can_share": true,
            }),
        )
        .await;
    assert_eq!(reply["result"], "success", "{reply}");

    let app_uid = Uid::generate();
    let app_key = AesKey::generate();
    let request = ApplicationAddRequest {
        app_uid: app_uid.as_bytes().to_vec(),
        record_key: aes_gcm_encrypt(&login.data_key, app_key.as_bytes()),
        client_modified_time: 1,
        data: aes_gcm_encrypt(&app_key, br#"{"title":"Gateway App","type":"app"}"#),
        audit: None,
    };
    wire.rest(
        "vault/application_add",
        &request.encode_to_vec(),
        Some(&login.session),
    )
    .await
    .unwrap();
    Vault {
        folder_uid,
        folder_key,
        app_uid,
        app_key,
    }
}

pub async fn share(wire: &Wire, login: &Login, vault: &Vault, editable: bool) -> Result<(), Value> {
    let request = AddAppSharesRequest {
        app_record_uid: vault.app_uid.as_bytes().to_vec(),
        shares: vec![AppShareAdd {
            secret_uid: vault.folder_uid.as_bytes().to_vec(),
            share_type: 1,
            encrypted_secret_key: aes_gcm_encrypt(&vault.app_key, vault.folder_key.as_bytes()),
            editable,
        }],
    };
    wire.rest(
        "vault/app_share_add",
        &request.encode_to_vec(),
        Some(&login.session),
    )
    .await
    .map(|_| ())
    .map_err(|e| e.body)
}

pub async fn add_gateway(
    wire: &Wire,
    login: &Login,
    vault: &Vault,
    token: &Token,
    expire_on: i64,
) -> Device {
    let request = AddAppClientRequest {
        app_record_uid: vault.app_uid.as_bytes().to_vec(),
        encrypted_app_key: aes_gcm_encrypt(&token.secret_key(), vault.app_key.as_bytes()),
        client_id: token.client_id.clone(),
        lock_ip: false,
        first_access_expire_on: expire_on,
        access_expire_on: 0,
        id: "GW-1".into(),
        app_client_type: 2,
    };
    wire.call("vault/app_client_add", &request, Some(&login.session))
        .await
        .unwrap()
}

pub fn in_an_hour() -> i64 {
    gw_provision_now() + 3_600_000
}

pub fn gw_provision_now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}
