//! JSON bodies of the Keeper Secrets Manager API (`/api/rest/sm/v1/<path>`).
//!
//! Request shapes follow the KSM Python SDK (`dto/payload.py`), which sends **every** key with
//! nulls included; the Rust SDK omits some. So requests serialize nulls like Python and
//! deserialize missing keys and nulls alike. Reply shapes follow what both SDKs require
//! (`core.py::fetch_and_decrypt_secrets`, Rust `core.rs`): `records`/`folders` must be arrays,
//! `encryptedAppKey` must appear only on the binding reply.
//!
//! Base64 flavours matter to the SDKs: record/folder key and data fields are std b64 with
//! padding; `encryptedAppKey`, `appOwnerPublicKey` and `appData` are b64url without padding.
//! These types carry the strings as-is; encoding is the caller's job.

use serde::{Deserialize, Deserializer, Serialize};

use super::rest_error::{lenient_opt_i32, lenient_opt_i64, lenient_opt_string, parse_object};

/// Deserializes a missing or `null` array as an empty `Vec`.
fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// Body of `get_secret` and `get_folders`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetPayload {
    /// SDK id and version, e.g. `mp17.3.0` (Python) or `mr17.3.0` (Rust).
    pub client_version: String,
    /// Std b64 of HMAC-SHA512(token secret, "KEEPER_SECRETS_MANAGER_CLIENT_ID").
    pub client_id: String,
    /// Std b64 of the client's 65-byte P-256 public key; sent only until the app key is known.
    #[serde(default)]
    pub public_key: Option<String>,
    /// Record UIDs to return; `None` = all.
    #[serde(default)]
    pub requested_records: Option<Vec<String>>,
    /// Folder UIDs to return; `None` = all.
    #[serde(default)]
    pub requested_folders: Option<Vec<String>>,
    /// Asks for linked records (SDK 16.7+).
    #[serde(default)]
    pub request_links: Option<bool>,
}

/// Reply of `get_secret`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretsManagerResponse {
    /// B64url of GCM(appKey, token secret); present on the binding (first) reply only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted_app_key: Option<String>,
    /// B64url of the app owner's 65-byte ECC public key; sent with `encrypted_app_key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_owner_public_key: Option<String>,
    /// B64url of GCM(JSON{title,type}, appKey): the application record's data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_data: Option<String>,
    /// Records shared directly with the application. Always serialized: the Rust SDK requires it.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub records: Vec<KsmRecord>,
    /// Shared folders of the application. Always serialized: the Rust SDK requires it.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub folders: Vec<KsmFolder>,
    /// When the client's access expires (ms epoch).
    #[serde(
        default,
        deserialize_with = "lenient_opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub expires_on: Option<i64>,
    /// Server warnings the SDK logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<String>>,
}

/// One record in a `get_secret` reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KsmRecord {
    /// Record UID (b64url).
    pub record_uid: String,
    /// Std b64 of GCM(recordKey, K), K = folder key or app key; absent means recordKey = K.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_key: Option<String>,
    /// Std b64 of GCM(UTF-8 record JSON, recordKey).
    pub data: String,
    /// Record revision, checked by `update_secret`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<i64>,
    /// Whether the share lets this application edit the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_editable: Option<bool>,
    /// Attached files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<Vec<KsmFile>>,
    /// Sub-folder of the shared folder that holds the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inner_folder_uid: Option<String>,
    /// Enclosing folder UID, when the server states it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder_uid: Option<String>,
    /// Linked records (requested with `requestLinks`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Vec<KsmLink>>,
}

/// A file attached to a KSM record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KsmFile {
    /// File UID.
    pub file_uid: String,
    /// Std b64 of the file key wrapped with the record key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_key: Option<String>,
    /// Std b64 of the encrypted file metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// Download URL of the content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Download URL of the thumbnail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_url: Option<String>,
}

/// A record link in a KSM record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KsmLink {
    /// Linked record UID.
    pub record_uid: String,
    /// Encrypted link data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// Link path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// One shared folder in a `get_secret` reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KsmFolder {
    /// Shared folder UID.
    pub folder_uid: String,
    /// Std b64 of GCM(sharedFolderKey, appKey), i.e. `AppShareAdd.encryptedSecretKey`.
    pub folder_key: String,
    /// Records of the folder. Always serialized: the Python SDK drops a folder without it.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub records: Vec<KsmRecord>,
    /// Parent folder UID, for sub-folders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_uid: Option<String>,
    /// Folder name, when the server sends it in clear.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Reply of `get_folders`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetFoldersResponse {
    /// Folders the application can see. Always serialized: the Rust SDK requires it.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub folders: Vec<KsmFolderInfo>,
}

/// One folder in a `get_folders` reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KsmFolderInfo {
    /// Folder UID.
    pub folder_uid: String,
    /// Std b64: GCM(sfKey, appKey) at the top, CBC(subKey, parent key) for sub-folders.
    pub folder_key: String,
    /// Std b64 of CBC(JSON{"name"}, folderKey); without it the SDK shows an empty name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// Parent folder UID; absent for a top-level shared folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

/// Body of `create_secret`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatePayload {
    /// SDK id and version.
    pub client_version: String,
    /// Std b64 client id.
    pub client_id: String,
    /// New record UID (b64url).
    pub record_uid: String,
    /// Std b64 of ECIES(recordKey, appOwnerPublicKey).
    pub record_key: String,
    /// Shared folder that receives the record.
    pub folder_uid: String,
    /// Std b64 of GCM(recordKey, sharedFolderKey).
    pub folder_key: String,
    /// Std b64 of GCM(UTF-8 record JSON, recordKey).
    pub data: String,
    /// Sub-folder inside the shared folder; Python sends `null` when unused.
    #[serde(default)]
    pub sub_folder_uid: Option<String>,
}

/// Body of `update_secret`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdatePayload {
    /// SDK id and version.
    pub client_version: String,
    /// Std b64 client id.
    pub client_id: String,
    /// Record being updated.
    pub record_uid: String,
    /// Std b64 of GCM(UTF-8 record JSON, recordKey).
    pub data: String,
    /// Revision the client last saw; the server rejects a mismatch.
    #[serde(default, deserialize_with = "lenient_opt_i64")]
    pub revision: Option<i64>,
    /// `general` or `rotation`; rotation must be finalized or rolled back.
    #[serde(default)]
    pub transaction_type: Option<String>,
    /// File UIDs to unlink.
    #[serde(default, rename = "links2Remove")]
    pub links_to_remove: Option<Vec<String>>,
}

/// Body of `finalize_secret_update` and `rollback_secret_update`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompleteTransactionPayload {
    /// SDK id and version.
    pub client_version: String,
    /// Std b64 client id.
    pub client_id: String,
    /// Record whose rotation transaction completes.
    pub record_uid: String,
}

/// Plain JSON error body of a non-200 `sm/v1` reply.
///
/// The SDKs take `result_code`, else `error`, as the code; `key_id` is a number or a string.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct KsmErrorBody {
    /// Code, preferred over `error` when both are present.
    #[serde(
        default,
        deserialize_with = "lenient_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub result_code: Option<String>,
    /// Code, e.g. `key`, `throttled`, `access_denied`, `invalid_client_version`.
    #[serde(
        default,
        deserialize_with = "lenient_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub error: Option<String>,
    /// Human-readable text.
    #[serde(
        default,
        deserialize_with = "lenient_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub message: Option<String>,
    /// Server key id to retry with after `key`.
    #[serde(
        default,
        deserialize_with = "lenient_opt_i32",
        skip_serializing_if = "Option::is_none"
    )]
    pub key_id: Option<i32>,
    /// Seconds to wait after `throttled`.
    #[serde(
        default,
        deserialize_with = "lenient_opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub retry_after: Option<i64>,
    /// Extra detail.
    #[serde(
        default,
        deserialize_with = "lenient_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub additional_info: Option<String>,
}

impl KsmErrorBody {
    /// Builds `{"error": code, "message": message}`, the shape the sandbox answers with.
    pub fn new(error: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            error: Some(error.into()),
            message: Some(message.into()),
            ..Self::default()
        }
    }

    /// Parses an error body; `None` when it is not a JSON object.
    pub fn parse(body: &[u8]) -> Option<Self> {
        parse_object(body)
    }

    /// The code the SDKs act on: `result_code`, else `error`.
    pub fn code(&self) -> Option<&str> {
        self.result_code.as_deref().or(self.error.as_deref())
    }
}

#[cfg(test)]
#[path = "ksm_json_tests.rs"]
mod tests;
