//! Vault endpoints: paged `sync_down` and the legacy v2 `folder_add` command.
//!
//! The continuation token is opaque to clients: `SBX1 ‖ since(8) ‖ upto(8) [‖ cursor uid(16)]`.
//! A sync sends everything whose revision is above `since`; records page in UID order, 1,000 per
//! page. The last page returns a token without a cursor whose `upto` — the vault revision when the
//! sync began — is the next sync's `since`, so changes made while paging are sent next time.

use std::ops::Bound;
use std::sync::Arc;

use serde_json::{json, Value};

use crate::keeper::crypto::{b64url_decode, b64url_encode};
use crate::keeper::proto::records::RecordKeyType;
use crate::keeper::proto::v2::{FolderAddCommand, FolderType, V2Response};
use crate::keeper::proto::vault as pb;
use crate::keeper::uid::Uid;

use super::context::{decode, ApiError, Reply, Shared};
use super::envelope::RestRequest;
use super::state::{Account, SharedFolder, UserFolder};
use super::wire;

/// Records per `sync_down` page.
pub const SYNC_PAGE_SIZE: usize = 1_000;
const TOKEN_MAGIC: &[u8; 4] = b"SBX1";

/// Where a sync stands, decoded from the continuation token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SyncToken {
    since: i64,
    upto: i64,
    cursor: Option<Uid>,
}

impl SyncToken {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(36);
        out.extend_from_slice(TOKEN_MAGIC);
        out.extend_from_slice(&self.since.to_be_bytes());
        out.extend_from_slice(&self.upto.to_be_bytes());
        if let Some(cursor) = &self.cursor {
            out.extend_from_slice(cursor.as_bytes());
        }
        out
    }

    /// Parses a token; anything unrecognized means "start over", as a real server does.
    fn decode(bytes: &[u8]) -> Option<Self> {
        let rest = bytes.strip_prefix(TOKEN_MAGIC)?;
        let since = i64::from_be_bytes(rest.get(0..8)?.try_into().ok()?);
        let upto = i64::from_be_bytes(rest.get(8..16)?.try_into().ok()?);
        let cursor = match rest.len() {
            16 => None,
            32 => Some(Uid::from_slice(&rest[16..32]).ok()?),
            _ => return None,
        };
        Some(Self {
            since,
            upto,
            cursor,
        })
    }
}

/// `vault/sync_down`: one page of changes.
pub fn sync_down(shared: &Arc<Shared>, account: usize, body: &[u8]) -> Result<Reply, ApiError> {
    let request: pb::SyncDownRequest = decode(body, "SyncDownRequest")?;
    let state = shared.read();
    let account = &state.accounts[account];
    Ok(Reply::message(&sync_page(
        account,
        SyncToken::decode(&request.continuation_token),
    )))
}

fn sync_page(account: &Account, token: Option<SyncToken>) -> pb::SyncDownResponse {
    let vault = &account.vault;
    let mut response = pb::SyncDownResponse::default();
    let (since, upto, cursor) = match token {
        None => {
            response.cache_status = pb::CacheStatus::Clear as i32;
            (0, vault.revision, None)
        }
        Some(SyncToken {
            upto, cursor: None, ..
        }) => (upto, vault.revision, None),
        Some(SyncToken {
            since,
            upto,
            cursor: Some(cursor),
        }) => (since, upto, Some(cursor)),
    };
    if cursor.is_none() {
        add_folders(account, since, &mut response);
    }
    let start = match cursor {
        Some(cursor) => Bound::Excluded(cursor),
        None => Bound::Unbounded,
    };
    let mut changed = vault
        .records
        .range((start, Bound::Unbounded))
        .filter(|(_, record)| record.revision > since);
    let mut last = None;
    for (uid, record) in changed.by_ref().take(SYNC_PAGE_SIZE) {
        add_record(account, uid, record, &mut response);
        // A record moved from the root into a shared folder (a new PAM configuration) must
        // leave the root of a client that synced it there before.
        if since > 0 && record.shared_folder.is_some() && record.version != 5 {
            response
                .removed_user_folder_records
                .push(pb::UserFolderRecord {
                    folder_uid: Vec::new(),
                    record_uid: uid.as_bytes().to_vec(),
                    revision: record.revision,
                });
        }
        last = Some(*uid);
    }
    let more = changed.next().is_some();
    response.has_more = more;
    response.continuation_token = SyncToken {
        since,
        upto,
        cursor: if more { last } else { None },
    }
    .encode();
    response
}

fn add_folders(account: &Account, since: i64, response: &mut pb::SyncDownResponse) {
    let vault = &account.vault;
    let account_uid = account.account_uid.as_bytes().to_vec();
    if since == 0 {
        response.users.push(pb::User {
            account_uid: account_uid.clone(),
            username: account.username.clone(),
        });
    }
    for (uid, folder) in vault
        .user_folders
        .iter()
        .filter(|(_, f)| f.revision > since)
    {
        response.user_folders.push(pb::UserFolder {
            folder_uid: uid.as_bytes().to_vec(),
            parent_uid: folder
                .parent
                .map(|p| p.as_bytes().to_vec())
                .unwrap_or_default(),
            user_folder_key: folder.key.clone(),
            key_type: RecordKeyType::EncryptedByDataKey as i32,
            revision: folder.revision,
            data: folder.data.clone(),
        });
    }
    for (uid, folder) in vault
        .shared_folders
        .iter()
        .filter(|(_, f)| f.revision > since)
    {
        let sf_uid = uid.as_bytes().to_vec();
        response.shared_folders.push(pb::SharedFolder {
            shared_folder_uid: sf_uid.clone(),
            revision: folder.revision,
            shared_folder_key: folder.key.clone(),
            key_type: folder.key_type,
            data: folder.data.clone(),
            default_manage_records: folder.default_manage_records,
            default_manage_users: folder.default_manage_users,
            default_can_edit: folder.default_can_edit,
            default_can_reshare: folder.default_can_reshare,
            owner: account.username.clone(),
            owner_account_uid: account_uid.clone(),
            name: folder.name.clone(),
            ..Default::default()
        });
        // Placement in the tree is what lets Commander find the folder by name (notes 04 §2.7).
        response
            .user_folder_shared_folders
            .push(pb::UserFolderSharedFolder {
                folder_uid: folder
                    .parent
                    .map(|p| p.as_bytes().to_vec())
                    .unwrap_or_default(),
                shared_folder_uid: sf_uid.clone(),
                revision: folder.revision,
            });
        // Commander's `share add` crashes unless the owner is listed with manageUsers (notes 04 §2.3).
        response.shared_folder_users.push(pb::SharedFolderUser {
            shared_folder_uid: sf_uid,
            username: account.username.clone(),
            manage_records: true,
            manage_users: true,
            account_uid: account_uid.clone(),
            ..Default::default()
        });
    }
}

fn add_record(
    account: &Account,
    uid: &Uid,
    record: &super::state::Record,
    response: &mut pb::SyncDownResponse,
) {
    let record_uid = uid.as_bytes().to_vec();
    let account_uid = account.account_uid.as_bytes().to_vec();
    response.records.push(pb::Record {
        record_uid: record_uid.clone(),
        revision: record.revision,
        version: record.version,
        shared: record.shared_folder.is_some(),
        client_modified_time: record.client_modified_time,
        data: record.data.clone(),
        ..Default::default()
    });
    response.record_meta_data.push(pb::RecordMetaData {
        record_uid: record_uid.clone(),
        owner: true,
        record_key: record.owner_key.clone(),
        record_key_type: record.owner_key_type,
        can_share: true,
        can_edit: true,
        owner_account_uid: account_uid.clone(),
        owner_username: account.username.clone(),
        ..Default::default()
    });
    match &record.shared_folder {
        Some(placement) => {
            let sf_uid = placement.shared_folder_uid.as_bytes().to_vec();
            response.shared_folder_records.push(pb::SharedFolderRecord {
                shared_folder_uid: sf_uid.clone(),
                record_uid: record_uid.clone(),
                record_key: placement.record_key.clone(),
                can_share: true,
                can_edit: true,
                owner_account_uid: account_uid,
                owner: true,
                owner_username: account.username.clone(),
                ..Default::default()
            });
            response
                .shared_folder_folder_records
                .push(pb::SharedFolderFolderRecord {
                    shared_folder_uid: sf_uid,
                    folder_uid: Vec::new(),
                    record_uid,
                    revision: record.revision,
                });
        }
        // Applications (v5) live outside the folder tree.
        None if record.version != 5 => response.user_folder_records.push(pb::UserFolderRecord {
            folder_uid: Vec::new(),
            record_uid,
            revision: record.revision,
        }),
        None => {}
    }
}

/// `vault/execute_v2_command`: only `folder_add` is implemented; anything else fails by name.
pub fn execute_v2_command(shared: &Arc<Shared>, request: &RestRequest) -> Result<Reply, ApiError> {
    let command: Value = serde_json::from_slice(&request.payload.payload)
        .map_err(|_| ApiError::bad_request("execute_v2_command payload is not JSON"))?;
    // Commander sends the session only inside the JSON; the SDK sends both (notes 04 §4).
    let token = if request.payload.encrypted_session_token.is_empty() {
        command["session_token"]
            .as_str()
            .and_then(|t| b64url_decode(t).ok())
            .unwrap_or_default()
    } else {
        request.payload.encrypted_session_token.clone()
    };
    let account = shared.session_account(&token)?;
    let name = command["command"].as_str().unwrap_or("").to_string();
    let reply = match name.as_str() {
        FolderAddCommand::COMMAND => match serde_json::from_value::<FolderAddCommand>(command) {
            Ok(folder) => folder_add(shared, account, folder),
            Err(error) => {
                V2Response::failure("bad_request", format!("invalid folder_add: {error}"))
            }
        },
        "pre_delete" => pre_delete(shared, account, &command),
        "move" => super::pam_config::move_records(shared, account, &command),
        "delete" => delete(shared, account, &command),
        "" => V2Response::failure("bad_request", "the command object has no \"command\""),
        other => V2Response::failure(
            "unknown_command",
            format!("command {other} is not implemented by the sandbox"),
        ),
    };
    serde_json::to_value(reply)
        .map(Reply::Json)
        .map_err(|e| ApiError::internal(e.to_string()))
}

fn folder_add(shared: &Arc<Shared>, account: usize, command: FolderAddCommand) -> V2Response {
    let decoded = (|| {
        let uid: Uid = command.folder_uid.parse().ok()?;
        let key = b64url_decode(&command.key).ok()?;
        let data = b64url_decode(&command.data).ok()?;
        let name = match &command.name {
            Some(name) => b64url_decode(name).ok()?,
            None => Vec::new(),
        };
        let parent = match &command.parent_uid {
            Some(parent) if !parent.is_empty() => Some(parent.parse::<Uid>().ok()?),
            _ => None,
        };
        Some((uid, key, data, name, parent))
    })();
    let Some((uid, key, data, name, parent)) = decoded else {
        return V2Response::failure("bad_request", "folder_add has a malformed uid, key or data");
    };
    if key.is_empty() {
        return V2Response::failure("bad_request", "folder_add needs a folder key");
    }
    let mut state = shared.write();
    let vault = &mut state.accounts[account].vault;
    if vault.user_folders.contains_key(&uid) || vault.shared_folders.contains_key(&uid) {
        return V2Response::failure("exists", format!("folder {uid} already exists"));
    }
    if let Some(parent) = parent {
        if !vault.user_folders.contains_key(&parent) {
            return V2Response::failure(
                "bad_request",
                "parent_uid must be a user folder (shared folders cannot be nested)",
            );
        }
    }
    let revision = vault.bump();
    match command.folder_type {
        FolderType::SharedFolder => {
            vault.shared_folders.insert(
                uid,
                SharedFolder {
                    revision,
                    parent,
                    key,
                    // folder_add wraps the key with AES-CBC under the data key (notes 02 §1.1).
                    key_type: RecordKeyType::EncryptedByDataKey as i32,
                    data,
                    name,
                    default_manage_records: command.manage_records.unwrap_or(false),
                    default_manage_users: command.manage_users.unwrap_or(false),
                    default_can_edit: command.can_edit.unwrap_or(false),
                    default_can_reshare: command.can_share.unwrap_or(false),
                },
            );
        }
        FolderType::UserFolder => {
            vault.user_folders.insert(
                uid,
                UserFolder {
                    revision,
                    parent,
                    key,
                    data,
                },
            );
        }
        FolderType::SharedFolderFolder => {
            return V2Response::failure(
                "not_supported",
                "folder_add of a shared_folder_folder is not implemented by the sandbox",
            );
        }
    }
    shared.changed();
    let mut reply = V2Response::success();
    reply.extra.insert("revision".into(), json!(revision));
    reply
}

/// The objects a `pre_delete` named, from `object_uid`/`object_type` (Commander's shapes).
fn delete_objects(command: &Value) -> Option<Vec<(Uid, bool)>> {
    command["objects"]
        .as_array()?
        .iter()
        .map(|o| {
            let uid = o["object_uid"].as_str()?.parse::<Uid>().ok()?;
            match o["object_type"].as_str()? {
                "shared_folder" => Some((uid, true)),
                "record" => Some((uid, false)),
                _ => None,
            }
        })
        .collect()
}

/// v2 `pre_delete`: checks the objects and answers a token naming them, plus the summary
/// Commander prints. The token is the object list itself (the sandbox keeps no pending state).
fn pre_delete(shared: &Arc<Shared>, account: usize, command: &Value) -> V2Response {
    let Some(objects) = delete_objects(command).filter(|o| !o.is_empty()) else {
        return V2Response::failure(
            "bad_request",
            "pre_delete needs objects with object_uid and object_type shared_folder or record",
        );
    };
    let state = shared.read();
    let vault = &state.accounts[account].vault;
    for (uid, is_folder) in &objects {
        let known = if *is_folder {
            vault.shared_folders.contains_key(uid)
        } else {
            vault.records.contains_key(uid)
        };
        if !known {
            return V2Response::failure("not_found", format!("object {uid} was not found"));
        }
    }
    let token = b64url_encode(command["objects"].to_string().as_bytes());
    let mut reply = V2Response::success();
    reply.extra.insert(
        "pre_delete_response".into(),
        json!({
            "pre_delete_token": token,
            "would_delete": {"deletion_summary": [format!("{} object(s) will be removed", objects.len())]},
        }),
    );
    reply
}

/// v2 `delete`: removes what the `pre_delete` token names — a shared folder (with the app
/// shares that point at it) or a record (an application with its shares, clients, gateways).
fn delete(shared: &Arc<Shared>, account: usize, command: &Value) -> V2Response {
    let objects = command["pre_delete_token"]
        .as_str()
        .and_then(|t| b64url_decode(t).ok())
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .and_then(|objects| delete_objects(&json!({ "objects": objects })));
    let Some(objects) = objects else {
        return V2Response::failure("bad_request", "invalid pre_delete_token");
    };
    let mut state = shared.write();
    let vault = &mut state.accounts[account].vault;
    vault.bump();
    for (uid, is_folder) in objects {
        if is_folder {
            vault.shared_folders.remove(&uid);
            for app in vault.apps.values_mut() {
                app.shares.retain(|s| s.secret_uid != uid);
            }
        } else {
            vault.records.remove(&uid);
            vault.pam_configurations.remove(&uid);
            vault.apps.remove(&uid);
            vault.controllers.retain(|_, c| c.app_uid != uid);
        }
    }
    drop(state);
    shared.changed();
    V2Response::success()
}

/// `vault/get_records_details`: the owner's permissions on each requested record.
///
/// Commander calls it during `secrets-manager share add` and `app get` and only logs a failure,
/// but a clean answer keeps its log quiet (notes 04 §2.3).
pub fn get_records_details(
    shared: &Arc<Shared>,
    account: usize,
    body: &[u8],
) -> Result<Reply, ApiError> {
    let request: wire::GetRecordDataWithAccessInfoRequest =
        decode(body, "GetRecordDataWithAccessInfoRequest")?;
    let state = shared.read();
    let account = &state.accounts[account];
    let mut response = wire::GetRecordDataWithAccessInfoResponse::default();
    for raw in request.record_uid {
        let record = Uid::from_slice(&raw)
            .ok()
            .and_then(|uid| account.vault.records.get(&uid));
        let Some(record) = record else {
            response.no_permission_record_uid.push(raw);
            continue;
        };
        response
            .record_data_with_access_info
            .push(wire::RecordDataWithAccessInfo {
                record_uid: raw,
                user_permission: vec![wire::UserPermission {
                    username: account.username.clone(),
                    owner: true,
                    share_admin: false,
                    sharable: true,
                    editable: true,
                    account_uid: account.account_uid.as_bytes().to_vec(),
                }],
                shared_folder_permission: record
                    .shared_folder
                    .iter()
                    .map(|p| wire::SharedFolderPermission {
                        shared_folder_uid: p.shared_folder_uid.as_bytes().to_vec(),
                        resharable: true,
                        editable: true,
                        revision: record.revision,
                    })
                    .collect(),
            });
    }
    Ok(Reply::message(&response))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_token_round_trips_with_and_without_cursor() {
        for cursor in [None, Some(Uid::generate())] {
            let token = SyncToken {
                since: 3,
                upto: 9,
                cursor,
            };
            assert_eq!(SyncToken::decode(&token.encode()), Some(token));
        }
    }

    #[test]
    fn foreign_continuation_token_means_a_full_sync() {
        assert_eq!(SyncToken::decode(b"something else entirely"), None);
        assert_eq!(SyncToken::decode(b""), None);
    }

    #[test]
    fn large_vault_pages_then_a_resync_from_the_final_token_is_empty() {
        let mut account = Account::create("pager@example.test", "pw").unwrap();
        account.seed_records(2_500).unwrap();
        let mut token = None;
        let mut pages = Vec::new();
        loop {
            let page = sync_page(&account, token);
            pages.push(page.records.len());
            token = SyncToken::decode(&page.continuation_token);
            if !page.has_more {
                break;
            }
        }
        assert_eq!(pages, vec![1_000, 1_000, 500]);
        let again = sync_page(&account, token);
        assert!(again.records.is_empty() && !again.has_more);
    }
}
