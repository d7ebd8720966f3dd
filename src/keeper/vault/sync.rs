//! Pure processing of `vault/sync_down` pages into a [`VaultSnapshot`].
//!
//! [`SyncBuilder`] is fed page by page and keeps only what the provisioning flow needs, still
//! encrypted: shared folders (+ team-held keys and placement) and version-5 (application)
//! records with their metadata. Decryption happens once, in [`SyncBuilder::finish`], and touches
//! only shared folders and v5 records — never other records' data — so a 100,000-record vault
//! costs a few map inserts per record (protocol-vault-ksm-gateway.md §1.2, §2.2, §7 step 1).
//!
//! Entries whose keys do not decrypt are skipped, as Commander does (`sync_down.py`), and logged
//! by UID only.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Application, PamConfigurationRecord, SharedFolder, VaultSnapshot};
use crate::keeper::crypto::{
    aes_cbc_decrypt, aes_gcm_decrypt, ecies_decrypt, rsa_decrypt, AesKey, CryptoError,
    EcPrivateKey, RsaPrivateKey,
};
use crate::keeper::proto::records::RecordKeyType;
use crate::keeper::proto::vault::{CacheStatus, SyncDownResponse};
use crate::keeper::uid::Uid;

/// Record version Keeper uses for KSM application records (CMD `vault.py`: v5 = ApplicationRecord).
const APPLICATION_RECORD_VERSION: i32 = 5;
/// Record version of PAM configuration records (CMD `PAMConfigurationNewCommand`: `TypedRecord(version=6)`).
const PAM_CONFIGURATION_RECORD_VERSION: i32 = 6;

/// The account keys that root every key in a sync: the data key plus the optional key pairs.
#[derive(Clone, Copy)]
pub struct VaultKeys<'a> {
    /// The user's 32-byte data key.
    pub data_key: &'a AesKey,
    /// The account RSA private key, for keys of type `ENCRYPTED_BY_PUBLIC_KEY`.
    pub rsa_private_key: Option<&'a RsaPrivateKey>,
    /// The account ECC private key, for keys of type `ENCRYPTED_BY_PUBLIC_KEY_ECC`.
    pub ecc_private_key: Option<&'a EcPrivateKey>,
}

/// An encrypted key as it arrives: bytes plus Keeper's `RecordKeyType` number.
#[derive(Clone, Default)]
struct WrappedKey {
    bytes: Vec<u8>,
    key_type: i32,
}

#[derive(Clone, Default)]
struct RawSharedFolder {
    key: Option<WrappedKey>,
    name: Vec<u8>,
    data: Vec<u8>,
    revision: i64,
}

#[derive(Clone, Default)]
struct RawTeam {
    key: WrappedKey,
    rsa_private_key: Vec<u8>,
    ecc_private_key: Vec<u8>,
    shared_folder_keys: BTreeMap<Uid, WrappedKey>,
}

/// Accumulates sync pages (still encrypted) and turns them into a snapshot at the end.
#[derive(Default)]
pub struct SyncBuilder {
    shared_folders: BTreeMap<Uid, RawSharedFolder>,
    /// Shared folder → sits at the vault root (vs inside a user folder).
    placements: BTreeMap<Uid, bool>,
    teams: BTreeMap<Uid, RawTeam>,
    /// Encrypted `data` of version-5 records only.
    application_records: BTreeMap<Uid, Vec<u8>>,
    /// Record keys from `recordMetaData`; kept for every record because metadata and the record
    /// itself may arrive on different pages, but only v5 ones are ever decrypted.
    record_keys: BTreeMap<Uid, WrappedKey>,
    /// Revision of each version-5 record (when it was added: orders twins made by a race).
    application_revisions: BTreeMap<Uid, i64>,
    /// Encrypted `data` and revision of version-6 (PAM configuration) records.
    configuration_records: BTreeMap<Uid, (Vec<u8>, i64)>,
    /// Record → (shared folder, record key wrapped by the folder key), from `sharedFolderRecords`.
    folder_records: BTreeMap<Uid, (Uid, Vec<u8>)>,
}

impl SyncBuilder {
    /// An empty builder, for a full sync.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies one `SyncDownResponse` page: `CLEAR` resets, then removals, then additions.
    pub fn apply(&mut self, page: &SyncDownResponse) {
        if page.cache_status == CacheStatus::Clear as i32 {
            *self = Self::default();
        }
        self.apply_removals(page);

        for team in &page.teams {
            let Some(team_uid) = uid_of(&team.team_uid, "team") else {
                continue;
            };
            let entry = self.teams.entry(team_uid).or_default();
            entry.key = WrappedKey {
                bytes: team.team_key.clone(),
                key_type: team.team_key_type,
            };
            entry.rsa_private_key = team.team_private_key.clone();
            entry.ecc_private_key = team.team_ecc_private_key.clone();
            for removed in &team.removed_shared_folders {
                if let Some(uid) = uid_of(removed, "team shared folder") {
                    entry.shared_folder_keys.remove(&uid);
                }
            }
            for sf_key in &team.shared_folder_keys {
                if let Some(uid) = uid_of(&sf_key.shared_folder_uid, "team shared folder") {
                    entry.shared_folder_keys.insert(
                        uid,
                        WrappedKey {
                            bytes: sf_key.shared_folder_key.clone(),
                            key_type: sf_key.key_type,
                        },
                    );
                }
            }
        }

        for folder in &page.shared_folders {
            let Some(uid) = uid_of(&folder.shared_folder_uid, "shared folder") else {
                continue;
            };
            let entry = self.shared_folders.entry(uid).or_default();
            // An empty key means the folder is reached through a team (resolved in `finish`).
            entry.key = (!folder.shared_folder_key.is_empty()).then(|| WrappedKey {
                bytes: folder.shared_folder_key.clone(),
                key_type: folder.key_type,
            });
            entry.name = folder.name.clone();
            entry.data = folder.data.clone();
            entry.revision = folder.revision;
        }

        for link in &page.user_folder_shared_folders {
            if let Some(uid) = uid_of(&link.shared_folder_uid, "shared folder") {
                self.placements
                    .insert(uid, is_root_folder_uid(&link.folder_uid));
            }
        }

        for meta in &page.record_meta_data {
            if let Some(uid) = uid_of(&meta.record_uid, "record") {
                self.record_keys.insert(
                    uid,
                    WrappedKey {
                        bytes: meta.record_key.clone(),
                        key_type: meta.record_key_type,
                    },
                );
            }
        }

        for record in &page.records {
            let Some(uid) = uid_of(&record.record_uid, "record") else {
                continue;
            };
            if record.version == APPLICATION_RECORD_VERSION {
                self.application_records.insert(uid, record.data.clone());
                self.application_revisions.insert(uid, record.revision);
            } else {
                self.application_records.remove(&uid);
            }
            if record.version == PAM_CONFIGURATION_RECORD_VERSION {
                self.configuration_records
                    .insert(uid, (record.data.clone(), record.revision));
            } else {
                self.configuration_records.remove(&uid);
            }
        }

        for link in &page.shared_folder_records {
            let record = uid_of(&link.record_uid, "record");
            let folder = uid_of(&link.shared_folder_uid, "shared folder");
            if let (Some(record), Some(folder)) = (record, folder) {
                self.folder_records
                    .insert(record, (folder, link.record_key.clone()));
            }
        }
    }

    fn apply_removals(&mut self, page: &SyncDownResponse) {
        for uid in page
            .removed_records
            .iter()
            .filter_map(|b| uid_of(b, "record"))
        {
            self.application_records.remove(&uid);
            self.record_keys.remove(&uid);
            self.application_revisions.remove(&uid);
            self.configuration_records.remove(&uid);
            self.folder_records.remove(&uid);
        }
        for link in &page.removed_shared_folder_records {
            if let Some(uid) = uid_of(&link.record_uid, "record") {
                if self
                    .folder_records
                    .get(&uid)
                    .map(|(f, _)| f.as_bytes().as_slice())
                    == Some(link.shared_folder_uid.as_slice())
                {
                    self.folder_records.remove(&uid);
                }
            }
        }
        for uid in page.removed_teams.iter().filter_map(|b| uid_of(b, "team")) {
            self.teams.remove(&uid);
        }
        // Commander drops only the user's own key: a team may still grant the folder.
        for uid in page
            .removed_shared_folders
            .iter()
            .filter_map(|b| uid_of(b, "shared folder"))
        {
            if let Some(folder) = self.shared_folders.get_mut(&uid) {
                folder.key = None;
            }
        }
        for link in &page.removed_user_folder_shared_folders {
            if let Some(uid) = uid_of(&link.shared_folder_uid, "shared folder") {
                self.placements.remove(&uid);
            }
        }
    }

    /// Decrypts shared folders and application records into the snapshot.
    pub fn finish(&self, keys: &VaultKeys<'_>) -> VaultSnapshot {
        let team_folder_keys = self.team_shared_folder_keys(keys);
        let mut shared_folders = Vec::with_capacity(self.shared_folders.len());
        for (uid, raw) in &self.shared_folders {
            let own_key = raw
                .key
                .as_ref()
                .map(|wrapped| decrypt_shared_folder_key(wrapped, keys));
            let key = match own_key {
                Some(Ok(key)) => Some(key),
                Some(Err(error)) => {
                    tracing::debug!(%uid, %error, "shared folder key does not decrypt");
                    team_folder_keys.get(uid).cloned()
                }
                None => team_folder_keys.get(uid).cloned(),
            };
            let Some(key) = key else {
                tracing::debug!(%uid, "no usable key for shared folder; skipped");
                continue;
            };
            shared_folders.push(SharedFolder {
                uid: *uid,
                name: shared_folder_name(uid, raw, &key),
                at_root: self.placements.get(uid).copied().unwrap_or(false),
                key,
            });
        }

        let applications = self
            .application_records
            .iter()
            .filter_map(|(uid, data)| self.decrypt_application(uid, data, keys))
            .collect();

        let revisions = self
            .shared_folders
            .iter()
            .map(|(uid, raw)| (*uid, raw.revision))
            .chain(self.application_revisions.iter().map(|(u, r)| (*u, *r)))
            .collect();
        let pam_configurations = self
            .configuration_records
            .iter()
            .filter_map(|(uid, (data, revision))| {
                self.decrypt_configuration(uid, data, *revision, &shared_folders, keys)
            })
            .collect();
        VaultSnapshot {
            shared_folders,
            applications,
            revisions,
            pam_configurations,
        }
    }

    /// Decrypts a version-6 record with the owner's key, else the shared folder's copy of it.
    fn decrypt_configuration(
        &self,
        uid: &Uid,
        data: &[u8],
        revision: i64,
        folders: &[SharedFolder],
        keys: &VaultKeys<'_>,
    ) -> Option<PamConfigurationRecord> {
        let placement = self.folder_records.get(uid);
        let from_folder = || {
            let (folder_uid, wrapped) = placement?;
            let folder = folders.iter().find(|f| f.uid == *folder_uid)?;
            let plain = zeroize::Zeroizing::new(aes_gcm_decrypt(&folder.key, wrapped).ok()?);
            AesKey::from_slice(&plain).ok()
        };
        let key = self
            .record_keys
            .get(uid)
            .and_then(|wrapped| decrypt_account_key(wrapped, keys).ok())
            .or_else(from_folder)
            .or_else(|| {
                tracing::debug!(%uid, "PAM configuration key does not decrypt; skipped");
                None
            })?;
        let plain = zeroize::Zeroizing::new(aes_gcm_decrypt(&key, data).ok()?);
        let json: TypedRecordData = serde_json::from_slice(plain.trim_ascii_end())
            .map_err(|_| tracing::debug!(%uid, "PAM configuration data is not JSON"))
            .ok()?;
        let resources = json
            .fields
            .iter()
            .find(|f| f.kind == "pamResources")
            .and_then(|f| f.value.first());
        let uid_at = |name: &str| {
            resources
                .and_then(|r| r.get(name))
                .and_then(serde_json::Value::as_str)
                .and_then(|text| text.parse::<Uid>().ok())
        };
        Some(PamConfigurationRecord {
            uid: *uid,
            title: json.title,
            record_type: json.kind,
            controller_uid: uid_at("controllerUid"),
            folder_uid: uid_at("folderUid"),
            shared_folder: placement.map(|(folder, _)| *folder),
            key,
            revision,
        })
    }

    /// Decrypts every team's key, then the shared-folder keys the team holds.
    fn team_shared_folder_keys(&self, keys: &VaultKeys<'_>) -> BTreeMap<Uid, AesKey> {
        let mut out = BTreeMap::new();
        for (team_uid, team) in &self.teams {
            let team_key = match decrypt_account_key(&team.key, keys) {
                Ok(key) => key,
                Err(error) => {
                    tracing::debug!(%team_uid, %error, "team key does not decrypt");
                    continue;
                }
            };
            // Team key pairs are wrapped by the team key: RSA PKCS#1 with CBC, the ECC scalar
            // with GCM (CMD `sync_down.py`, "Decrypting team keys").
            let team_rsa = (!team.rsa_private_key.is_empty())
                .then(|| aes_cbc_decrypt(&team_key, &team.rsa_private_key))
                .and_then(Result::ok)
                .and_then(|der| RsaPrivateKey::from_pkcs1_der(&zeroize::Zeroizing::new(der)).ok());
            let team_ecc = (!team.ecc_private_key.is_empty())
                .then(|| aes_gcm_decrypt(&team_key, &team.ecc_private_key))
                .and_then(Result::ok)
                .and_then(|raw| EcPrivateKey::from_bytes(&zeroize::Zeroizing::new(raw)).ok());
            let team_keys = VaultKeys {
                data_key: &team_key,
                rsa_private_key: team_rsa.as_ref(),
                ecc_private_key: team_ecc.as_ref(),
            };
            for (sf_uid, wrapped) in &team.shared_folder_keys {
                if out.contains_key(sf_uid) {
                    continue;
                }
                match decrypt_account_key(wrapped, &team_keys) {
                    Ok(key) => {
                        out.insert(*sf_uid, key);
                    }
                    Err(error) => {
                        tracing::debug!(%team_uid, %sf_uid, %error, "team shared folder key does not decrypt");
                    }
                }
            }
        }
        out
    }

    fn decrypt_application(
        &self,
        uid: &Uid,
        data: &[u8],
        keys: &VaultKeys<'_>,
    ) -> Option<Application> {
        let Some(wrapped) = self.record_keys.get(uid) else {
            tracing::debug!(%uid, "application record without metadata; skipped");
            return None;
        };
        let key = decrypt_account_key(wrapped, keys)
            .map_err(
                |error| tracing::debug!(%uid, %error, "application record key does not decrypt"),
            )
            .ok()?;
        // Version 3+ records are GCM; Commander pads the JSON with spaces, so trim before parsing.
        let plain = zeroize::Zeroizing::new(
            aes_gcm_decrypt(&key, data)
                .map_err(|error| tracing::debug!(%uid, %error, "application data does not decrypt"))
                .ok()?,
        );
        let json: AppData = serde_json::from_slice(plain.trim_ascii_end())
            .map_err(|_| tracing::debug!(%uid, "application data is not JSON"))
            .ok()?;
        (json.kind == "app").then(|| Application {
            uid: *uid,
            title: json.title,
            key,
        })
    }
}

/// The JSON of a typed record's `data`, as far as a PAM configuration needs it.
#[derive(Deserialize)]
struct TypedRecordData {
    #[serde(default)]
    title: String,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    fields: Vec<TypedField>,
}

#[derive(Deserialize)]
struct TypedField {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    value: Vec<serde_json::Value>,
}

/// The JSON inside a v5 record's `data`.
#[derive(Deserialize)]
struct AppData {
    #[serde(default)]
    title: String,
    #[serde(rename = "type", default)]
    kind: String,
}

/// Decrypts a key wrapped for the account (shared folder, team or record key) by its
/// `RecordKeyType` number: 1 CBC / 3 GCM with the data key, 2 RSA, 4 ECIES with the ECC key.
pub fn decrypt_keeper_key(
    encrypted: &[u8],
    key_type: i32,
    keys: &VaultKeys<'_>,
) -> Result<AesKey, CryptoError> {
    unwrap_key(encrypted, key_type, keys, false)
}

fn decrypt_account_key(wrapped: &WrappedKey, keys: &VaultKeys<'_>) -> Result<AesKey, CryptoError> {
    unwrap_key(&wrapped.bytes, wrapped.key_type, keys, false)
}

/// Shared folder keys of an unknown type fall back to CBC with the data key, like Commander.
fn decrypt_shared_folder_key(
    wrapped: &WrappedKey,
    keys: &VaultKeys<'_>,
) -> Result<AesKey, CryptoError> {
    unwrap_key(&wrapped.bytes, wrapped.key_type, keys, true)
}

/// `keys` are the account's keys, or a team's (its team key in the `data_key` place).
fn unwrap_key(
    encrypted: &[u8],
    key_type: i32,
    keys: &VaultKeys<'_>,
    cbc_fallback: bool,
) -> Result<AesKey, CryptoError> {
    let symmetric = keys.data_key;
    let plain = match RecordKeyType::try_from(key_type) {
        Ok(RecordKeyType::EncryptedByDataKey) => aes_cbc_decrypt(symmetric, encrypted)?,
        Ok(RecordKeyType::EncryptedByPublicKey) => rsa_decrypt(
            keys.rsa_private_key
                .ok_or(CryptoError::InvalidKey("missing RSA private"))?,
            encrypted,
        )?,
        Ok(RecordKeyType::EncryptedByDataKeyGcm) => aes_gcm_decrypt(symmetric, encrypted)?,
        Ok(RecordKeyType::EncryptedByPublicKeyEcc) => ecies_decrypt(
            keys.ecc_private_key
                .ok_or(CryptoError::InvalidKey("missing ECC private"))?,
            encrypted,
        )?,
        _ if cbc_fallback => aes_cbc_decrypt(symmetric, encrypted)?,
        _ => return Err(CryptoError::InvalidKey("unsupported key type")),
    };
    AesKey::from_slice(&zeroize::Zeroizing::new(plain))
}

/// `name` (CBC) first, then the `data` JSON `name`, else the UID — Commander's order.
fn shared_folder_name(uid: &Uid, raw: &RawSharedFolder, key: &AesKey) -> String {
    if !raw.name.is_empty() {
        if let Some(name) = aes_cbc_decrypt(key, &raw.name)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
        {
            return name;
        }
    }
    if !raw.data.is_empty() {
        #[derive(Deserialize)]
        struct FolderData {
            name: String,
        }
        if let Some(data) = aes_cbc_decrypt(key, &raw.data)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<FolderData>(bytes.trim_ascii_end()).ok())
        {
            return data.name;
        }
    }
    uid.to_string()
}

/// Empty means the vault root; Commander also treats a UID with 10 leading or trailing zero
/// bytes as a placeholder for the root (`sync_down.py::convert_user_folder_shared_folder`).
fn is_root_folder_uid(folder_uid: &[u8]) -> bool {
    const ZEROS: [u8; 10] = [0; 10];
    folder_uid.is_empty() || folder_uid.starts_with(&ZEROS) || folder_uid.ends_with(&ZEROS)
}

fn uid_of(bytes: &[u8], what: &'static str) -> Option<Uid> {
    match Uid::from_slice(bytes) {
        Ok(uid) => Some(uid),
        Err(_) => {
            tracing::debug!(
                what,
                len = bytes.len(),
                "malformed UID in sync_down; skipped"
            );
            None
        }
    }
}

#[cfg(test)]
#[path = "sync_tests.rs"]
mod tests;
