//! The KSM redemption side, `api/rest/sm/v1/*`: token binding, secrets, folders, create and update.
//!
//! A client is found by `clientId`. Its first request must carry `publicKey`: that binds the client
//! (the one-time token is then spent), marks its gateway initialized, and is the only reply that
//! carries `encryptedAppKey`. Later requests are verified against the bound key (notes 02 §5.5).

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::keeper::crypto::{b64_std_decode, b64_std_encode, b64url_encode, AesKey};
use crate::keeper::proto::authentication::ApplicationShareType;
use crate::keeper::proto::ksm_json::{
    CreatePayload, GetFoldersResponse, GetPayload, KsmFolder, KsmFolderInfo, KsmRecord,
    SecretsManagerResponse, UpdatePayload,
};
use crate::keeper::proto::records::RecordKeyType;
use crate::keeper::uid::Uid;

use super::context::{ApiError, Reply, Shared};
use super::envelope::{open_ksm, KsmHeaders};
use super::server::Peer;
use super::state::{now_ms, Account, App, AppShare, FolderPlacement, Record};

const ENDPOINTS: &[&str] = &[
    "get_secret",
    "get_folders",
    "create_secret",
    "update_secret",
    "finalize_secret_update",
    "rollback_secret_update",
];

/// Handles one `sm/v1/<endpoint>` request.
pub async fn handle(
    shared: &Arc<Shared>,
    endpoint: &str,
    headers: &HeaderMap,
    peer: Option<Peer>,
    body: &[u8],
) -> Response {
    if !ENDPOINTS.contains(&endpoint) {
        return ApiError::unknown_endpoint(&format!("sm/v1/{endpoint}")).into_response();
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let ksm_headers = KsmHeaders {
        public_key_id: header("PublicKeyId"),
        transmission_key: header("TransmissionKey"),
        authorization: header("Authorization"),
    };
    let request = match open_ksm(&shared.server_key, ksm_headers, body) {
        Ok(request) => request,
        Err(error) => return ApiError::from(error).into_response(),
    };
    let key: &AesKey = &request.transmission_key;
    let json: Value = match serde_json::from_slice(&request.payload) {
        Ok(json) => json,
        Err(_) => return ApiError::bad_request("payload is not JSON").into_response(),
    };
    let peer_ip = peer.map(|Peer(addr)| addr.ip());
    let caller = match authenticate(shared, &json, peer_ip, |public_key| {
        request.verify(public_key).map_err(ApiError::from)
    }) {
        Ok(caller) => caller,
        Err(error) => return error.into_response(),
    };
    let reply = match endpoint {
        "get_secret" => parse(json).and_then(|p| get_secret(shared, &caller, &p)),
        "get_folders" => get_folders(shared, &caller),
        "create_secret" => parse(json).and_then(|p| create_secret(shared, &caller, p)),
        "update_secret" => parse(json).and_then(|p| update_secret(shared, &caller, p)),
        _ => Ok(Reply::Empty),
    };
    match reply {
        Ok(reply) => reply.into_response(key),
        Err(error) => error.into_response(),
    }
}

fn parse<T: DeserializeOwned>(json: Value) -> Result<T, ApiError> {
    serde_json::from_value(json).map_err(|e| ApiError::bad_request(format!("invalid payload: {e}")))
}

/// Reads `clientId` and the optional `publicKey` (both std b64) from a request body.
fn client_keys(json: &Value) -> Result<(Vec<u8>, Option<Vec<u8>>), ApiError> {
    let client_id = json["clientId"]
        .as_str()
        .and_then(|text| b64_std_decode(text).ok())
        .ok_or_else(|| ApiError::bad_request("clientId is missing or not base64"))?;
    let offered_key = match json["publicKey"].as_str().filter(|t| !t.is_empty()) {
        Some(text) => Some(
            b64_std_decode(text).map_err(|_| ApiError::bad_request("publicKey is not base64"))?,
        ),
        None => None,
    };
    Ok((client_id, offered_key))
}

/// Decodes an `sm/v1` JSON body as [`handle`] does, without touching any state: the client keys,
/// the endpoint's payload and its fields. For the fuzz targets (`crate::fuzzing`).
pub(crate) fn decode_body(endpoint: &str, payload: &[u8]) -> Result<(), ApiError> {
    let json: Value = serde_json::from_slice(payload)
        .map_err(|_| ApiError::bad_request("payload is not JSON"))?;
    client_keys(&json)?;
    match endpoint {
        "get_secret" => parse::<GetPayload>(json).map(drop),
        "create_secret" => parse::<CreatePayload>(json).and_then(|p| NewRecord::read(&p).map(drop)),
        "update_secret" => {
            parse::<UpdatePayload>(json).and_then(|p| RecordUpdate::read(&p).map(drop))
        }
        _ => Ok(()),
    }
}

/// The authenticated client behind a request.
struct Caller {
    account: usize,
    app_uid: Uid,
    client_id: Vec<u8>,
    just_bound: bool,
}

/// Finds the client by `clientId`, verifies the signature, and binds it on first use.
fn authenticate(
    shared: &Arc<Shared>,
    json: &Value,
    peer_ip: Option<IpAddr>,
    verify: impl Fn(&[u8]) -> Result<(), ApiError>,
) -> Result<Caller, ApiError> {
    let (client_id, offered_key) = client_keys(json)?;
    let now = now_ms();
    let ip = peer_ip.map(|ip| ip.to_string()).unwrap_or_default();
    let mut state = shared.write();
    let (account, app_uid, index) = state
        .accounts
        .iter()
        .enumerate()
        .find_map(|(a, account)| {
            account.vault.apps.iter().find_map(|(uid, app)| {
                let index = app.clients.iter().position(|c| c.client_id == client_id)?;
                Some((a, *uid, index))
            })
        })
        .ok_or_else(|| ApiError::access_denied("Unable to validate application access"))?;
    let vault = &mut state.accounts[account].vault;
    let Some(client) = vault
        .apps
        .get_mut(&app_uid)
        .map(|app| &mut app.clients[index])
    else {
        return Err(ApiError::internal("client vanished"));
    };
    let just_bound = match (&client.public_key, &offered_key) {
        (None, None) => {
            return Err(ApiError::access_denied(
                "the first request of a client must carry its publicKey",
            ))
        }
        (None, Some(offered)) => {
            verify(offered)?;
            if now > client.first_access_expire_on {
                return Err(ApiError::access_denied(
                    "the one-time access token has expired",
                ));
            }
            client.public_key = Some(offered.clone());
            client.first_access = now;
            client.ip_address = ip.clone();
            true
        }
        // A repeat of the binding call by the same key pair (its reply was lost) binds again.
        (Some(bound), Some(offered)) if bound == offered => {
            verify(bound)?;
            true
        }
        (Some(_), Some(offered)) => {
            verify(offered)?;
            return Err(ApiError::access_denied(
                "the one-time access token has already been used",
            ));
        }
        (Some(bound), None) => {
            verify(bound)?;
            false
        }
    };
    if client.access_expire_on != 0 && now > client.access_expire_on {
        return Err(ApiError::access_denied("the client's access has expired"));
    }
    if client.lock_ip && !client.ip_address.is_empty() && client.ip_address != ip {
        return Err(ApiError::access_denied(
            "the client is locked to another IP address",
        ));
    }
    client.last_access = now;
    if just_bound {
        for controller in vault.controllers.values_mut() {
            if controller.client_id == client_id {
                controller.initialized = true;
                controller.last_modified = now;
            }
        }
        shared.changed();
    }
    Ok(Caller {
        account,
        app_uid,
        client_id,
        just_bound,
    })
}

fn uid_set(list: &Option<Vec<String>>) -> Option<HashSet<&str>> {
    list.as_ref()
        .map(|l| l.iter().map(String::as_str).collect())
}

fn ksm_record(uid: &Uid, record: &Record, wrapped_key: &[u8], editable: bool) -> KsmRecord {
    KsmRecord {
        record_uid: uid.to_string(),
        // Std b64 *with* padding: the Rust SDK decodes these with a padding-required engine.
        record_key: Some(b64_std_encode(wrapped_key)),
        data: b64_std_encode(&record.data),
        revision: Some(record.revision),
        is_editable: Some(editable),
        files: None,
        inner_folder_uid: None,
        folder_uid: None,
        links: None,
    }
}

fn app_of<'a>(account: &'a Account, caller: &Caller) -> Result<&'a App, ApiError> {
    account
        .vault
        .apps
        .get(&caller.app_uid)
        .ok_or_else(|| ApiError::access_denied("the application no longer exists"))
}

fn get_secret(
    shared: &Arc<Shared>,
    caller: &Caller,
    payload: &GetPayload,
) -> Result<Reply, ApiError> {
    let state = shared.read();
    let account = &state.accounts[caller.account];
    let vault = &account.vault;
    let app = app_of(account, caller)?;
    let wanted_records = uid_set(&payload.requested_records);
    let wanted_folders = uid_set(&payload.requested_folders);
    let record_wanted = |uid: &Uid| {
        wanted_records
            .as_ref()
            .is_none_or(|w| w.contains(uid.to_string().as_str()))
    };
    let mut folders = Vec::new();
    let mut records = Vec::new();
    for share in &app.shares {
        if share.share_type == ApplicationShareType::ShareTypeFolder as i32 {
            let folder_uid = share.secret_uid.to_string();
            if !vault.shared_folders.contains_key(&share.secret_uid)
                || wanted_folders
                    .as_ref()
                    .is_some_and(|w| !w.contains(folder_uid.as_str()))
            {
                continue;
            }
            let folder_records: Vec<KsmRecord> = vault
                .records
                .iter()
                .filter_map(|(uid, record)| {
                    let placement = record.shared_folder.as_ref()?;
                    // KSM SDKs only unwrap GCM (60-byte) record keys inside folders.
                    (placement.shared_folder_uid == share.secret_uid
                        && placement.record_key.len() == 60
                        && record_wanted(uid))
                    .then(|| ksm_record(uid, record, &placement.record_key, share.editable))
                })
                .collect();
            if wanted_records.is_some() && folder_records.is_empty() {
                continue;
            }
            folders.push(KsmFolder {
                folder_uid,
                folder_key: b64_std_encode(&share.encrypted_secret_key),
                records: folder_records,
                parent_uid: None,
                name: None,
            });
        } else if let Some(record) = vault.records.get(&share.secret_uid) {
            if record_wanted(&share.secret_uid) {
                records.push(ksm_record(
                    &share.secret_uid,
                    record,
                    &share.encrypted_secret_key,
                    share.editable,
                ));
            }
        }
    }
    let client = app.clients.iter().find(|c| c.client_id == caller.client_id);
    // The app key goes out only on the binding reply: the SDK fails if it sees it again.
    let (encrypted_app_key, app_owner_public_key) = match (caller.just_bound, client) {
        (true, Some(client)) => (
            Some(b64url_encode(&client.encrypted_app_key)),
            Some(b64url_encode(&account.ecc_public_key)),
        ),
        _ => (None, None),
    };
    let response = SecretsManagerResponse {
        encrypted_app_key,
        app_owner_public_key,
        app_data: vault
            .records
            .get(&caller.app_uid)
            .map(|r| b64url_encode(&r.data)),
        records,
        folders,
        expires_on: client.map(|c| c.access_expire_on).filter(|&t| t > 0),
        warnings: None,
    };
    serde_json::to_value(response)
        .map(Reply::Json)
        .map_err(|e| ApiError::internal(e.to_string()))
}

fn get_folders(shared: &Arc<Shared>, caller: &Caller) -> Result<Reply, ApiError> {
    let state = shared.read();
    let account = &state.accounts[caller.account];
    let app = app_of(account, caller)?;
    let folders = app
        .shares
        .iter()
        .filter(|s| s.share_type == ApplicationShareType::ShareTypeFolder as i32)
        .filter_map(|share| {
            let folder = account.vault.shared_folders.get(&share.secret_uid)?;
            Some(KsmFolderInfo {
                folder_uid: share.secret_uid.to_string(),
                folder_key: b64_std_encode(&share.encrypted_secret_key),
                // folder_add's data is CBC(JSON{"name"}, folder key): what the SDK expects here.
                data: (!folder.data.is_empty()).then(|| b64_std_encode(&folder.data)),
                parent: None,
            })
        })
        .collect();
    serde_json::to_value(GetFoldersResponse { folders })
        .map(Reply::Json)
        .map_err(|e| ApiError::internal(e.to_string()))
}

fn folder_share<'a>(app: &'a App, folder: &Uid) -> Option<&'a AppShare> {
    app.shares.iter().find(|s| {
        s.share_type == ApplicationShareType::ShareTypeFolder as i32 && s.secret_uid == *folder
    })
}

fn read_only() -> ApiError {
    ApiError::access_denied("the application has read-only access to this secret")
}

fn std_bytes(text: &str, what: &str) -> Result<Vec<u8>, ApiError> {
    b64_std_decode(text).map_err(|_| ApiError::bad_request(format!("{what} is not base64")))
}

/// The decoded fields of a `create_secret` body.
struct NewRecord {
    record_uid: Uid,
    folder_uid: Uid,
    owner_key: Vec<u8>,
    folder_key: Vec<u8>,
    data: Vec<u8>,
}

impl NewRecord {
    fn read(payload: &CreatePayload) -> Result<NewRecord, ApiError> {
        let record_uid: Uid = payload
            .record_uid
            .parse()
            .map_err(|_| ApiError::bad_request("recordUid is not a UID"))?;
        let folder_uid: Uid = payload
            .folder_uid
            .parse()
            .map_err(|_| ApiError::bad_request("folderUid is not a UID"))?;
        if payload
            .sub_folder_uid
            .as_deref()
            .is_some_and(|s| !s.is_empty())
        {
            return Err(ApiError::bad_request(
                "sub-folders are not supported by the sandbox",
            ));
        }
        Ok(NewRecord {
            record_uid,
            folder_uid,
            owner_key: std_bytes(&payload.record_key, "recordKey")?,
            folder_key: std_bytes(&payload.folder_key, "folderKey")?,
            data: std_bytes(&payload.data, "data")?,
        })
    }
}

/// The decoded fields of an `update_secret` body.
struct RecordUpdate {
    record_uid: Uid,
    data: Vec<u8>,
}

impl RecordUpdate {
    fn read(payload: &UpdatePayload) -> Result<RecordUpdate, ApiError> {
        let record_uid: Uid = payload
            .record_uid
            .parse()
            .map_err(|_| ApiError::bad_request("recordUid is not a UID"))?;
        Ok(RecordUpdate {
            record_uid,
            data: std_bytes(&payload.data, "data")?,
        })
    }
}

fn create_secret(
    shared: &Arc<Shared>,
    caller: &Caller,
    payload: CreatePayload,
) -> Result<Reply, ApiError> {
    let NewRecord {
        record_uid,
        folder_uid,
        owner_key,
        folder_key,
        data,
    } = NewRecord::read(&payload)?;
    let mut state = shared.write();
    let account = &mut state.accounts[caller.account];
    let app = app_of(account, caller)?;
    let share = folder_share(app, &folder_uid).ok_or_else(|| {
        ApiError::access_denied(format!(
            "folder {folder_uid} is not shared with the application"
        ))
    })?;
    if !share.editable {
        return Err(read_only());
    }
    let vault = &mut account.vault;
    if vault.records.contains_key(&record_uid) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "exists",
            format!("record {record_uid} already exists"),
        ));
    }
    let revision = vault.bump();
    vault.records.insert(
        record_uid,
        Record {
            revision,
            version: 3,
            client_modified_time: now_ms(),
            data,
            // KSM wraps the record key to the owner's ECC key (notes 04 §3.6).
            owner_key,
            owner_key_type: RecordKeyType::EncryptedByPublicKeyEcc as i32,
            shared_folder: Some(FolderPlacement {
                shared_folder_uid: folder_uid,
                record_key: folder_key,
            }),
        },
    );
    shared.changed();
    Ok(Reply::Empty)
}

fn update_secret(
    shared: &Arc<Shared>,
    caller: &Caller,
    payload: UpdatePayload,
) -> Result<Reply, ApiError> {
    let RecordUpdate { record_uid, data } = RecordUpdate::read(&payload)?;
    let mut state = shared.write();
    let account = &mut state.accounts[caller.account];
    let app = app_of(account, caller)?;
    let record = account.vault.records.get(&record_uid).ok_or_else(|| {
        ApiError::access_denied(format!(
            "record {record_uid} is not shared with the application"
        ))
    })?;
    let shares: Vec<&AppShare> = app
        .shares
        .iter()
        .filter(|s| {
            let folder = record.shared_folder.as_ref().map(|p| p.shared_folder_uid);
            s.secret_uid == record_uid || Some(s.secret_uid) == folder
        })
        .collect();
    if shares.is_empty() {
        return Err(ApiError::access_denied(format!(
            "record {record_uid} is not shared with the application"
        )));
    }
    if !shares.iter().any(|s| s.editable) {
        return Err(read_only());
    }
    if payload.revision.is_some_and(|r| r != record.revision) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "out_of_sync",
            "the record changed since it was read; fetch it again",
        ));
    }
    let vault = &mut account.vault;
    let revision = vault.bump();
    if let Some(record) = vault.records.get_mut(&record_uid) {
        record.data = data;
        record.revision = revision;
        record.client_modified_time = now_ms();
    }
    shared.changed();
    Ok(Reply::Empty)
}
