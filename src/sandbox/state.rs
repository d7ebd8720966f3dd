//! What the sandbox remembers: its server identity, accounts, devices, sessions and vaults.
//!
//! Everything a client encrypted is stored as the ciphertext it sent, so serving a large vault never
//! re-encrypts anything. Every vault object carries the vault revision at which it last changed;
//! `sync_down` pages by revision and UID (see `vault.rs`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::keeper::crypto::{
    aes_cbc_encrypt, aes_gcm_encrypt, auth_hash_v1, b64url_encode, create_encryption_params,
    random_bytes, AesKey, CryptoError, EcPrivateKey,
};
use crate::keeper::proto::records::RecordKeyType;
use crate::keeper::uid::Uid;

use super::tls::{TlsError, TlsIdentity};
use super::tracked::TrackedMap;

/// Version of the state file layout; bumped on incompatible changes.
pub const STATE_FORMAT: u32 = 1;

/// Username of the account seeded at first start.
pub const DEMO_USERNAME: &str = "demo@sandbox.gw-provision.test";

// PBKDF2 iterations for the seeded account's auth hash and encryption params. Real accounts use
// 1,000,000; the sandbox uses 1,000 so that every login in a test suite or benchmark costs
// milliseconds instead of a second. Clients take the count from the server, so nothing else changes.
const DEMO_ITERATIONS: u32 = 1_000;

/// Why the initial state could not be created.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// A cryptographic step (key generation, wrapping) failed.
    #[error("key generation failed: {0}")]
    Crypto(#[from] CryptoError),
    /// The TLS identity could not be created.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// RSA key generation or conversion failed.
    #[error("RSA key generation failed: {0}")]
    Rsa(String),
}

/// The whole persisted state of one sandbox.
#[derive(Debug, Serialize, Deserialize)]
pub struct State {
    /// Layout version, [`STATE_FORMAT`].
    pub format: u32,
    /// The server key and TLS certificate, created once so restarts keep the same descriptor.
    pub server: ServerIdentity,
    /// Devices registered through `authentication/register_device`, by token.
    pub devices: Vec<Device>,
    /// User accounts; the first is the seeded demo account.
    pub accounts: Vec<Account>,
}

/// The sandbox's own keys.
#[derive(Serialize, Deserialize)]
pub struct ServerIdentity {
    /// 32-byte P-256 scalar serving key id 7 for `api/rest` and `sm/v1`.
    #[serde(with = "b64bytes::zeroizing")]
    pub ec_private_key: Zeroizing<Vec<u8>>,
    /// TLS CA and leaf certificate.
    pub tls: TlsIdentity,
}

impl std::fmt::Debug for ServerIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerIdentity(<redacted>)")
    }
}

/// A registered client device.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Device {
    /// Opaque token returned as `Device.encryptedDeviceToken`.
    #[serde(with = "b64bytes")]
    pub token: Vec<u8>,
    /// 65-byte P-256 public key the client registered.
    #[serde(with = "b64bytes")]
    pub public_key: Vec<u8>,
    /// Device name as the client sent it.
    pub name: String,
    /// Client version string as the client sent it.
    pub client_version: String,
    /// Host names the device is registered in (`register_device`, `register_device_in_region`);
    /// empty = everywhere (state written before regions were tracked).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
}

/// A user account and its vault.
#[derive(Serialize, Deserialize)]
pub struct Account {
    /// Account UID (`LoginResponse.accountUid`).
    pub account_uid: Uid,
    /// Primary username, lower case.
    pub username: String,
    /// The demo password, kept so the descriptor can repeat it after a restart.
    #[serde(with = "secret_string")]
    pub password: Zeroizing<String>,
    /// Salt of the auth hash (`LoginResponse.salt`).
    #[serde(with = "b64bytes")]
    pub auth_salt: Vec<u8>,
    /// PBKDF2 iterations of the auth hash.
    pub auth_iterations: u32,
    /// Expected `authResponse` of `validate_auth_hash`.
    #[serde(with = "b64bytes")]
    pub auth_hash: Vec<u8>,
    /// 100-byte BY_PASSWORD encryption params wrapping the data key.
    #[serde(with = "b64bytes")]
    pub encryption_params: Vec<u8>,
    /// The data key itself: a real server never has it, the sandbox keeps it only to seed records.
    #[serde(with = "b64bytes::zeroizing")]
    pub data_key: Zeroizing<Vec<u8>>,
    /// Client key, AES-CBC under the data key.
    #[serde(with = "b64bytes")]
    pub encrypted_client_key: Vec<u8>,
    /// RSA public key, PKCS#1 DER.
    #[serde(with = "b64bytes")]
    pub rsa_public_key: Vec<u8>,
    /// RSA private key (PKCS#1 DER), AES-CBC under the data key.
    #[serde(with = "b64bytes")]
    pub encrypted_rsa_private_key: Vec<u8>,
    /// ECC public key, 65-byte point; also the KSM `appOwnerPublicKey`.
    #[serde(with = "b64bytes")]
    pub ecc_public_key: Vec<u8>,
    /// ECC private scalar, AES-GCM under the data key.
    #[serde(with = "b64bytes")]
    pub encrypted_ecc_private_key: Vec<u8>,
    /// Per-device login material (device data key, clone code).
    pub device_links: Vec<DeviceLink>,
    /// Live sessions.
    pub sessions: Vec<Session>,
    /// User settings set through `setting/set_user_setting`.
    pub settings: BTreeMap<String, String>,
    /// The account's vault.
    pub vault: Vault,
    /// Login requirements (2FA, device approval, SSO, region, lock) and their device memory.
    #[serde(default)]
    pub policy: super::account_policy::AccountPolicy,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("account_uid", &self.account_uid)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// What an account knows about one of its devices.
#[derive(Clone, Serialize, Deserialize)]
pub struct DeviceLink {
    /// The device's token.
    #[serde(with = "b64bytes")]
    pub device_token: Vec<u8>,
    /// Data key ECIES-wrapped to the device key (`register_encrypted_data_key_for_device`).
    #[serde(with = "b64bytes::option")]
    pub encrypted_data_key: Option<Vec<u8>>,
    /// The clone code handed out at the last login from this device; rotated on every login.
    #[serde(with = "b64bytes::option")]
    pub clone_code: Option<Vec<u8>>,
}

/// A logged-in session.
#[derive(Clone, Serialize, Deserialize)]
pub struct Session {
    /// Opaque session token (`encryptedSessionToken`).
    #[serde(with = "b64bytes::zeroizing")]
    pub token: Zeroizing<Vec<u8>>,
    /// Device that logged in.
    #[serde(with = "b64bytes")]
    pub device_token: Vec<u8>,
    /// Creation time, ms since the epoch.
    pub created_ms: i64,
    /// Last use, ms since the epoch (idle sessions expire).
    pub last_used_ms: i64,
}

/// One account's vault: folders, records, KSM applications and gateways.
///
/// Only `revision` is part of the account's own row; each map entry is a row of its own in the
/// store (`store.rs`), which writes exactly the entries the maps recorded as changed. The maps are
/// read from JSON only when importing a legacy `state.json`.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Vault {
    /// Bumped on every change; objects carry the revision of their last change.
    pub revision: i64,
    /// User (non-shared) folders.
    #[serde(default, skip_serializing)]
    pub user_folders: TrackedMap<Uid, UserFolder>,
    /// Shared folders owned by the account.
    #[serde(default, skip_serializing)]
    pub shared_folders: TrackedMap<Uid, SharedFolder>,
    /// Records (v3 typed records and v5 applications).
    #[serde(default, skip_serializing)]
    pub records: TrackedMap<Uid, Record>,
    /// KSM application state (shares, clients), keyed by the app's v5 record UID.
    #[serde(default, skip_serializing)]
    pub apps: TrackedMap<Uid, App>,
    /// PAM gateways (controllers), keyed by controller UID.
    #[serde(default, skip_serializing)]
    pub controllers: TrackedMap<Uid, Controller>,
    /// PAM configurations beyond their v6 record (binding, DAG settings), keyed by record UID.
    #[serde(default, skip_serializing)]
    pub pam_configurations: TrackedMap<Uid, PamConfiguration>,
}

/// What Keeper keeps of a PAM configuration outside its record: the gateway it is bound to
/// (`pam/set_configuration_controller`) and the `allowedSettings` of its DAG vertex, written by
/// the router's `configure_network_graph` (merged key by key, as krouter does).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PamConfiguration {
    /// The bound gateway (controller UID).
    pub controller: Option<Uid>,
    /// The DAG's `allowedSettings` object.
    #[serde(default)]
    pub allowed_settings: serde_json::Map<String, serde_json::Value>,
    /// Bumped on each settings write: the DAG sync point.
    #[serde(default)]
    pub sync_point: i64,
}

impl Vault {
    /// Starts a change: returns the revision the changed object must carry.
    pub fn bump(&mut self) -> i64 {
        self.revision += 1;
        self.revision
    }
}

/// A user folder as `folder_add` created it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserFolder {
    /// Revision of the last change.
    pub revision: i64,
    /// Parent user folder; `None` = vault root.
    pub parent: Option<Uid>,
    /// Folder key, AES-CBC under the data key.
    #[serde(with = "b64bytes")]
    pub key: Vec<u8>,
    /// Encrypted folder data (name JSON).
    #[serde(with = "b64bytes")]
    pub data: Vec<u8>,
}

/// A shared folder as `folder_add` created it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SharedFolder {
    /// Revision of the last change.
    pub revision: i64,
    /// User folder holding it; `None` = vault root.
    pub parent: Option<Uid>,
    /// Shared folder key as the client wrapped it.
    #[serde(with = "b64bytes")]
    pub key: Vec<u8>,
    /// `RecordKeyType` of `key`.
    pub key_type: i32,
    /// Encrypted folder data (JSON with the name).
    #[serde(with = "b64bytes")]
    pub data: Vec<u8>,
    /// Encrypted folder name.
    #[serde(with = "b64bytes")]
    pub name: Vec<u8>,
    /// Default "can manage records" permission.
    pub default_manage_records: bool,
    /// Default "can manage users" permission.
    pub default_manage_users: bool,
    /// Default "can edit" permission.
    pub default_can_edit: bool,
    /// Default "can share" permission.
    pub default_can_reshare: bool,
}

/// A record: a v3 typed record or a v5 KSM application.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    /// Revision of the last change.
    pub revision: i64,
    /// Record version: 3 (typed record) or 5 (application).
    pub version: i32,
    /// Client-side modification time, ms.
    pub client_modified_time: i64,
    /// Record data, AES-GCM under the record key.
    #[serde(with = "b64bytes")]
    pub data: Vec<u8>,
    /// Record key as held by the owner.
    #[serde(with = "b64bytes")]
    pub owner_key: Vec<u8>,
    /// `RecordKeyType` of `owner_key`.
    pub owner_key_type: i32,
    /// Shared folder holding the record, with the record key wrapped by the folder key.
    pub shared_folder: Option<FolderPlacement>,
}

/// A record's place inside a shared folder.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FolderPlacement {
    /// The shared folder.
    pub shared_folder_uid: Uid,
    /// Record key, AES-GCM under the shared folder key (60 bytes).
    #[serde(with = "b64bytes")]
    pub record_key: Vec<u8>,
}

/// KSM application state beyond its v5 record.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct App {
    /// Secrets (shared folders or records) shared with the app.
    pub shares: Vec<AppShare>,
    /// Client devices (KSM clients and gateways).
    pub clients: Vec<AppClient>,
}

/// A secret shared with an application.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppShare {
    /// Shared folder or record UID.
    pub secret_uid: Uid,
    /// `ApplicationShareType`.
    pub share_type: i32,
    /// Folder or record key, AES-GCM under the app key.
    #[serde(with = "b64bytes")]
    pub encrypted_secret_key: Vec<u8>,
    /// Whether the app may edit ("Can Edit").
    pub editable: bool,
    /// Creation time, ms.
    pub created_on: i64,
}

/// An application client (device) created by `app_client_add`.
#[derive(Clone, Serialize, Deserialize)]
pub struct AppClient {
    /// Client name (`id`).
    pub id: String,
    /// HMAC-SHA512 of the one-time token secret (64 bytes).
    #[serde(with = "b64bytes")]
    pub client_id: Vec<u8>,
    /// App key, AES-GCM under the token secret.
    #[serde(with = "b64bytes")]
    pub encrypted_app_key: Vec<u8>,
    /// Whether the first caller's IP is locked in.
    pub lock_ip: bool,
    /// Deadline of the first (binding) call, ms.
    pub first_access_expire_on: i64,
    /// Deadline of any access, ms; 0 = never.
    pub access_expire_on: i64,
    /// `AppClientType`.
    pub app_client_type: i32,
    /// Creation time, ms.
    pub created_on: i64,
    /// Token returned as `Device.encryptedDeviceToken`.
    #[serde(with = "b64bytes")]
    pub device_token: Vec<u8>,
    /// Public key bound at first access.
    #[serde(with = "b64bytes::option")]
    pub public_key: Option<Vec<u8>>,
    /// First access time, ms; 0 = never.
    pub first_access: i64,
    /// Last access time, ms.
    pub last_access: i64,
    /// IP of the binding call.
    pub ip_address: String,
}

impl std::fmt::Debug for AppClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppClient")
            .field("id", &self.id)
            .field("app_client_type", &self.app_client_type)
            .finish_non_exhaustive()
    }
}

/// A PAM gateway row, created with its KSM client by `app_client_add`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Controller {
    /// Gateway name (the client's `id`).
    pub name: String,
    /// The KSM application.
    pub app_uid: Uid,
    /// The KSM client behind the gateway.
    #[serde(with = "b64bytes")]
    pub client_id: Vec<u8>,
    /// Std base64 of the client's device token, as Commander matches it.
    pub device_token: String,
    /// `AppClientType`.
    pub app_client_type: i32,
    /// Creation time, ms.
    pub created: i64,
    /// Last change, ms.
    pub last_modified: i64,
    /// Set once the gateway redeemed its one-time token.
    pub initialized: bool,
}

/// Current time in ms since the epoch, the unit of every Keeper timestamp.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl State {
    /// Creates the first-start state: server key, TLS identity and the demo account.
    pub fn create() -> Result<Self, StateError> {
        let password = Zeroizing::new(b64url_encode(&random_bytes(15)));
        Ok(Self {
            format: STATE_FORMAT,
            server: ServerIdentity {
                ec_private_key: EcPrivateKey::generate().to_bytes(),
                tls: TlsIdentity::generate()?,
            },
            devices: Vec::new(),
            accounts: vec![Account::create(DEMO_USERNAME, &password)?],
        })
    }

    /// Finds the account whose username matches, case-insensitively as Keeper does.
    pub fn account_index(&self, username: &str) -> Option<usize> {
        self.accounts
            .iter()
            .position(|a| a.username.eq_ignore_ascii_case(username.trim()))
    }
}

impl Account {
    /// Creates an account with fresh keys, wrapped the way a Keeper client would wrap them.
    pub fn create(username: &str, password: &str) -> Result<Self, StateError> {
        let data_key = AesKey::generate();
        let auth_salt = random_bytes(16);
        let ecc = EcPrivateKey::generate();
        let (rsa_public, rsa_private) = generate_rsa()?;
        Ok(Self {
            account_uid: Uid::generate(),
            username: username.to_ascii_lowercase(),
            password: Zeroizing::new(password.to_string()),
            auth_hash: auth_hash_v1(password, &auth_salt, DEMO_ITERATIONS).to_vec(),
            auth_salt,
            auth_iterations: DEMO_ITERATIONS,
            encryption_params: create_encryption_params(password, &data_key, DEMO_ITERATIONS),
            encrypted_client_key: aes_cbc_encrypt(&data_key, &random_bytes(32)),
            rsa_public_key: rsa_public,
            encrypted_rsa_private_key: aes_cbc_encrypt(&data_key, &rsa_private),
            ecc_public_key: ecc.public_key().to_uncompressed(),
            encrypted_ecc_private_key: aes_gcm_encrypt(&data_key, &ecc.to_bytes()),
            data_key: Zeroizing::new(data_key.as_bytes().to_vec()),
            device_links: Vec::new(),
            sessions: Vec::new(),
            settings: BTreeMap::new(),
            vault: Vault::default(),
            policy: Default::default(),
        })
    }

    /// Adds `count` v3 login records at the vault root, for benchmarks and paging tests.
    pub fn seed_records(&mut self, count: usize) -> Result<(), StateError> {
        let data_key = AesKey::from_slice(&self.data_key)?;
        let now = now_ms();
        let revision = self.vault.bump();
        for i in 0..count {
            let record_key = AesKey::generate();
            let json = serde_json::json!({
                "title": format!("Seeded record {i}"),
                "type": "login",
                "fields": [
                    {"type": "login", "value": [format!("user{i}")]},
                    {"type": "password", "value": [b64url_encode(&random_bytes(12))]},
                    {"type": "url", "value": [format!("https://host{i}.example.test")]},
                ],
                "custom": [],
                "notes": "",
            });
            self.vault.records.insert(
                Uid::generate(),
                Record {
                    revision,
                    version: 3,
                    client_modified_time: now,
                    data: aes_gcm_encrypt(&record_key, json.to_string().as_bytes()),
                    owner_key: aes_gcm_encrypt(&data_key, record_key.as_bytes()),
                    owner_key_type: RecordKeyType::EncryptedByDataKeyGcm as i32,
                    shared_folder: None,
                },
            );
        }
        Ok(())
    }
}

/// Generates the account RSA-2048 pair as (public PKCS#1 DER, private PKCS#1 DER).
///
/// aws-lc-rs (through rcgen) generates the key: the pure-Rust generator takes many seconds in
/// debug builds, and every test starts a fresh sandbox.
fn generate_rsa() -> Result<(Vec<u8>, Zeroizing<Vec<u8>>), StateError> {
    use rsa::pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey};
    use rsa::pkcs8::DecodePrivateKey;

    let pair = rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
        .map_err(|e| StateError::Rsa(e.to_string()))?;
    let pkcs8 = Zeroizing::new(pair.serialize_der());
    let key =
        rsa::RsaPrivateKey::from_pkcs8_der(&pkcs8).map_err(|e| StateError::Rsa(e.to_string()))?;
    let private = key
        .to_pkcs1_der()
        .map_err(|e| StateError::Rsa(e.to_string()))?;
    let public = key
        .to_public_key()
        .to_pkcs1_der()
        .map_err(|e| StateError::Rsa(e.to_string()))?;
    Ok((
        public.as_bytes().to_vec(),
        Zeroizing::new(private.as_bytes().to_vec()),
    ))
}

/// Serde adapters storing binary fields as unpadded base64url text.
pub mod b64bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::keeper::crypto::{b64url_decode, b64url_encode};

    /// Writes bytes as base64url.
    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&b64url_encode(bytes))
    }

    /// Reads base64url into bytes.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        b64url_decode(&text).map_err(serde::de::Error::custom)
    }

    /// The same for optional fields (`null` = absent).
    pub mod option {
        use super::*;

        /// Writes `Some(bytes)` as base64url, `None` as null.
        pub fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
            match bytes {
                Some(b) => super::serialize(b, s),
                None => s.serialize_none(),
            }
        }

        /// Reads base64url or null.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
            let text = <Option<std::borrow::Cow<'de, str>>>::deserialize(d)?;
            text.map(|t| b64url_decode(&t).map_err(serde::de::Error::custom))
                .transpose()
        }
    }

    /// The same for secrets held in `Zeroizing` buffers.
    pub mod zeroizing {
        use super::*;
        use zeroize::Zeroizing;

        /// Writes the secret as base64url.
        pub fn serialize<S: Serializer>(
            bytes: &Zeroizing<Vec<u8>>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            super::serialize(bytes, s)
        }

        /// Reads base64url into a zeroizing buffer.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Zeroizing<Vec<u8>>, D::Error> {
            super::deserialize(d).map(Zeroizing::new)
        }
    }
}

/// Serde adapter for a secret string held in a `Zeroizing` buffer.
pub mod secret_string {
    use serde::{Deserialize, Deserializer, Serializer};
    use zeroize::Zeroizing;

    /// Writes the secret as a plain JSON string (the state file is private to its owner).
    pub fn serialize<S: Serializer>(text: &Zeroizing<String>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(text)
    }

    /// Reads a JSON string into a zeroizing buffer.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Zeroizing<String>, D::Error> {
        String::deserialize(d).map(Zeroizing::new)
    }
}
