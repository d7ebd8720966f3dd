//! Vault-side KSM endpoints: applications, their shares and their clients (gateways included).

use std::sync::Arc;

use axum::http::StatusCode;

use crate::keeper::crypto::{b64_std_encode, random_bytes};
use crate::keeper::proto::authentication::{
    AddAppClientRequest, AddAppSharesRequest, AppClient as AppClientMessage, AppInfo,
    AppShare as AppShareMessage, ApplicationShareType, ApplicationSummary, Device,
    GetAppInfoRequest, GetAppInfoResponse, GetApplicationsSummaryResponse, RemoveAppClientsRequest,
    RemoveAppSharesRequest,
};
use crate::keeper::proto::enterprise::AppClientType;
use crate::keeper::proto::records::{ApplicationAddRequest, RecordKeyType};
use crate::keeper::uid::Uid;

use super::context::{decode, ApiError, Reply, Shared};
use super::state::{now_ms, App, AppClient, AppShare, Controller, Record, Vault};

const DEFAULT_FIRST_ACCESS_MS: i64 = 60 * 60 * 1000;

fn uid(bytes: &[u8], what: &str) -> Result<Uid, ApiError> {
    Uid::from_slice(bytes)
        .map_err(|_| ApiError::bad_request(format!("{what} is not a 16-byte UID")))
}

fn app_not_found(app: &Uid) -> ApiError {
    ApiError::access_denied(format!("application {app} does not exist or is not yours"))
}

/// 403 `access_denied` when the account's enterprise role does not allow `enforcement`.
fn refuse_unless_allowed(
    account: &super::state::Account,
    enforcement: &str,
) -> Result<(), ApiError> {
    if account.policy.allows(enforcement) {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        "access_denied",
        format!("not allowed by your enterprise role enforcement ({enforcement})"),
    ))
}

fn app_mut<'a>(vault: &'a mut Vault, app: &Uid) -> Result<&'a mut App, ApiError> {
    vault.apps.get_mut(app).ok_or_else(|| app_not_found(app))
}

/// `vault/application_add`: stores the application as a v5 record keyed by its GCM record key.
pub fn application_add(
    shared: &Arc<Shared>,
    account: usize,
    body: &[u8],
) -> Result<Reply, ApiError> {
    let request: ApplicationAddRequest = decode(body, "ApplicationAddRequest")?;
    let app_uid = uid(&request.app_uid, "app_uid")?;
    if request.record_key.is_empty() || request.data.is_empty() {
        return Err(ApiError::bad_request(
            "application_add needs record_key and data",
        ));
    }
    let mut state = shared.write();
    refuse_unless_allowed(&state.accounts[account], "allow_secrets_manager")?;
    let vault = &mut state.accounts[account].vault;
    if vault.records.contains_key(&app_uid) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "exists",
            format!("record {app_uid} already exists"),
        ));
    }
    let revision = vault.bump();
    vault.records.insert(
        app_uid,
        Record {
            revision,
            version: 5,
            client_modified_time: request.client_modified_time,
            data: request.data,
            owner_key: request.record_key,
            // Both clients wrap the app key with AES-GCM under the data key (notes 02 §2.1).
            owner_key_type: RecordKeyType::EncryptedByDataKeyGcm as i32,
            shared_folder: None,
        },
    );
    vault.apps.insert(app_uid, App::default());
    shared.changed();
    Ok(Reply::Empty)
}

/// `vault/get_applications_summary`: every application with its counters.
pub fn applications_summary(shared: &Arc<Shared>, account: usize) -> Result<Reply, ApiError> {
    let now = now_ms();
    let state = shared.read();
    let account = &state.accounts[account];
    let vault = &account.vault;
    let application_summary = vault
        .apps
        .iter()
        .map(|(app_uid, app)| {
            let folder_shares: Vec<&AppShare> = app
                .shares
                .iter()
                .filter(|s| s.share_type == ApplicationShareType::ShareTypeFolder as i32)
                .collect();
            let folder_records = vault
                .records
                .values()
                .filter(|r| {
                    r.shared_folder.as_ref().is_some_and(|p| {
                        folder_shares
                            .iter()
                            .any(|s| s.secret_uid == p.shared_folder_uid)
                    })
                })
                .count();
            ApplicationSummary {
                app_record_uid: app_uid.as_bytes().to_vec(),
                last_access: app.clients.iter().map(|c| c.last_access).max().unwrap_or(0),
                record_shares: count(app.shares.len() - folder_shares.len()),
                folder_shares: count(folder_shares.len()),
                folder_records: count(folder_records),
                client_count: count(app.clients.len()),
                expired_client_count: count(app.clients.iter().filter(|c| expired(c, now)).count()),
                username: account.username.clone(),
                app_data: vault
                    .records
                    .get(app_uid)
                    .map(|r| r.data.clone())
                    .unwrap_or_default(),
            }
        })
        .collect();
    Ok(Reply::message(&GetApplicationsSummaryResponse {
        application_summary,
    }))
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Whether a client can no longer be used: unredeemed past its deadline, or past its access expiry.
pub fn expired(client: &AppClient, now: i64) -> bool {
    (client.public_key.is_none() && client.first_access_expire_on < now)
        || (client.access_expire_on != 0 && client.access_expire_on < now)
}

/// `vault/get_app_info`: shares and clients of each requested application.
pub fn get_app_info(shared: &Arc<Shared>, account: usize, body: &[u8]) -> Result<Reply, ApiError> {
    let request: GetAppInfoRequest = decode(body, "GetAppInfoRequest")?;
    let state = shared.read();
    let vault = &state.accounts[account].vault;
    let mut app_info = Vec::with_capacity(request.app_record_uid.len());
    for raw in &request.app_record_uid {
        let app_uid = uid(raw, "appRecordUid")?;
        let app = vault
            .apps
            .get(&app_uid)
            .ok_or_else(|| app_not_found(&app_uid))?;
        app_info.push(AppInfo {
            app_record_uid: raw.clone(),
            shares: app
                .shares
                .iter()
                .map(|s| AppShareMessage {
                    secret_uid: s.secret_uid.as_bytes().to_vec(),
                    share_type: s.share_type,
                    editable: s.editable,
                    created_on: s.created_on,
                    data: Vec::new(),
                })
                .collect(),
            clients: app.clients.iter().map(client_message).collect(),
            is_external_share: false,
        });
    }
    Ok(Reply::message(&GetAppInfoResponse { app_info }))
}

fn client_message(client: &AppClient) -> AppClientMessage {
    AppClientMessage {
        id: client.id.clone(),
        client_id: client.client_id.clone(),
        created_on: client.created_on,
        first_access: client.first_access,
        last_access: client.last_access,
        public_key: client.public_key.clone().unwrap_or_default(),
        lock_ip: client.lock_ip,
        ip_address: client.ip_address.clone(),
        first_access_expire_on: client.first_access_expire_on,
        access_expire_on: client.access_expire_on,
        app_client_type: client.app_client_type,
        can_edit: false,
    }
}

/// `vault/app_share_add`: shares folders or records with an application.
pub fn app_share_add(shared: &Arc<Shared>, account: usize, body: &[u8]) -> Result<Reply, ApiError> {
    let request: AddAppSharesRequest = decode(body, "AddAppSharesRequest")?;
    let app_uid = uid(&request.app_record_uid, "appRecordUid")?;
    let now = now_ms();
    let mut state = shared.write();
    let vault = &mut state.accounts[account].vault;
    let mut new_shares = Vec::with_capacity(request.shares.len());
    for share in request.shares {
        let secret_uid = uid(&share.secret_uid, "secretUid")?;
        let exists = if share.share_type == ApplicationShareType::ShareTypeFolder as i32 {
            vault.shared_folders.contains_key(&secret_uid)
        } else if share.share_type == ApplicationShareType::ShareTypeRecord as i32 {
            vault
                .records
                .get(&secret_uid)
                .is_some_and(|r| r.version != 5)
        } else {
            return Err(ApiError::bad_request("unknown shareType"));
        };
        if !exists {
            return Err(ApiError::access_denied(format!(
                "secret {secret_uid} does not exist or is not yours"
            )));
        }
        if share.encrypted_secret_key.is_empty() {
            return Err(ApiError::bad_request("encryptedSecretKey is empty"));
        }
        new_shares.push(AppShare {
            secret_uid,
            share_type: share.share_type,
            encrypted_secret_key: share.encrypted_secret_key,
            editable: share.editable,
            created_on: now,
        });
    }
    let app = app_mut(vault, &app_uid)?;
    for share in &new_shares {
        if app.shares.iter().any(|s| s.secret_uid == share.secret_uid) {
            // Commander matches this exact message and carries on (notes 04 §2.3).
            return Err(ApiError::bad_request("Duplicate share, already added"));
        }
    }
    app.shares.extend(new_shares);
    shared.changed();
    Ok(Reply::Empty)
}

/// `vault/app_share_remove`: unshares secrets from an application.
pub fn app_share_remove(
    shared: &Arc<Shared>,
    account: usize,
    body: &[u8],
) -> Result<Reply, ApiError> {
    let request: RemoveAppSharesRequest = decode(body, "RemoveAppSharesRequest")?;
    let app_uid = uid(&request.app_record_uid, "appRecordUid")?;
    let mut state = shared.write();
    let app = app_mut(&mut state.accounts[account].vault, &app_uid)?;
    app.shares.retain(|s| {
        !request
            .shares
            .iter()
            .any(|r| r.as_slice() == s.secret_uid.as_bytes())
    });
    shared.changed();
    Ok(Reply::Empty)
}

/// `vault/app_client_add`: registers a one-time-token client; gateways also get a controller row.
pub fn app_client_add(
    shared: &Arc<Shared>,
    account: usize,
    body: &[u8],
) -> Result<Reply, ApiError> {
    let request: AddAppClientRequest = decode(body, "AddAppClientRequest")?;
    let app_uid = uid(&request.app_record_uid, "appRecordUid")?;
    if request.client_id.len() != 64 {
        return Err(ApiError::bad_request(
            "clientId must be the 64-byte HMAC-SHA512",
        ));
    }
    if request.encrypted_app_key.is_empty() {
        return Err(ApiError::bad_request("encryptedAppKey is empty"));
    }
    let now = now_ms();
    let device_token = random_bytes(64);
    let mut state = shared.write();
    refuse_unless_allowed(&state.accounts[account], "allow_secrets_manager")?;
    if request.app_client_type == AppClientType::DiscoveryAndRotationController as i32 {
        // What Keeper's server is expected to do behind Commander's client-side gate.
        refuse_unless_allowed(&state.accounts[account], "allow_pam_gateway")?;
    }
    let client_taken = state.accounts.iter().any(|a| {
        a.vault
            .apps
            .values()
            .any(|app| app.clients.iter().any(|c| c.client_id == request.client_id))
    });
    if client_taken {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "exists",
            "a client with this clientId already exists",
        ));
    }
    let vault = &mut state.accounts[account].vault;
    let app = app_mut(vault, &app_uid)?;
    app.clients.push(AppClient {
        id: request.id.clone(),
        client_id: request.client_id.clone(),
        encrypted_app_key: request.encrypted_app_key,
        lock_ip: request.lock_ip,
        first_access_expire_on: if request.first_access_expire_on > 0 {
            request.first_access_expire_on
        } else {
            now + DEFAULT_FIRST_ACCESS_MS
        },
        access_expire_on: request.access_expire_on,
        app_client_type: request.app_client_type,
        created_on: now,
        device_token: device_token.clone(),
        public_key: None,
        first_access: 0,
        last_access: 0,
        ip_address: String::new(),
    });
    let is_gateway = request.app_client_type
        == AppClientType::DiscoveryAndRotationController as i32
        || request.app_client_type == AppClientType::KcmController as i32;
    if is_gateway {
        // The gateway row exists from creation on; Commander finds it again by matching
        // `deviceToken` with the std b64 of the returned token (notes 02 §4.5).
        vault.controllers.insert(
            Uid::generate(),
            Controller {
                name: request.id,
                app_uid,
                client_id: request.client_id,
                device_token: b64_std_encode(&device_token),
                app_client_type: request.app_client_type,
                created: now,
                last_modified: now,
                initialized: false,
            },
        );
    }
    shared.changed();
    Ok(Reply::message(&Device {
        encrypted_device_token: device_token,
    }))
}

/// `vault/app_client_remove`: deletes clients (and their gateway rows) by client id.
pub fn app_client_remove(
    shared: &Arc<Shared>,
    account: usize,
    body: &[u8],
) -> Result<Reply, ApiError> {
    let request: RemoveAppClientsRequest = decode(body, "RemoveAppClientsRequest")?;
    let app_uid = uid(&request.app_record_uid, "appRecordUid")?;
    let mut state = shared.write();
    let vault = &mut state.accounts[account].vault;
    let app = app_mut(vault, &app_uid)?;
    app.clients
        .retain(|c| !request.clients.contains(&c.client_id));
    vault
        .controllers
        .retain(|_, c| !(c.app_uid == app_uid && request.clients.contains(&c.client_id)));
    shared.changed();
    Ok(Reply::Empty)
}
