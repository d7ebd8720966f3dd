//! PAM configurations: `pam/add_configuration_record`, the gateway binding, the v2 `move` that
//! puts the new record into its shared folder, and the router's DAG calls for its settings.
//!
//! The record is stored like any other (a version-6 `Record`, at the vault root until moved), so
//! `sync_down` serves it to gw-provision and to Commander alike; the binding and the DAG's
//! `allowedSettings` live beside it (`state::PamConfiguration`).

use std::sync::Arc;

use serde_json::{json, Value};

use crate::keeper::crypto::{b64_std_encode, b64url_decode};
use crate::keeper::proto::pam::{
    ConfigurationAddRequest, PamConfigurationController, PamController, PamGenericUidRequest,
};
use crate::keeper::proto::records::RecordKeyType;
use crate::keeper::proto::router::PamNetworkConfigurationRequest;
use crate::keeper::proto::v2::V2Response;
use crate::keeper::uid::Uid;

use super::context::{decode, ApiError, Reply, Shared};
use super::state::{now_ms, FolderPlacement, PamConfiguration, Record};

/// Version of PAM configuration records (Commander `TypedRecord(version=6)`).
const CONFIGURATION_VERSION: i32 = 6;

/// `pam/add_configuration_record`: stores the v6 record at the vault root, owner key wrapped by
/// the data key with GCM (as `recordKey` was sent).
pub fn add_configuration_record(
    shared: &Arc<Shared>,
    account: usize,
    body: &[u8],
) -> Result<Reply, ApiError> {
    let request: ConfigurationAddRequest = decode(body, "ConfigurationAddRequest")?;
    let uid = Uid::from_slice(&request.configuration_uid)
        .map_err(|_| ApiError::bad_request("configurationUid must be 16 bytes"))?;
    if request.record_key.is_empty() || request.data.is_empty() {
        return Err(ApiError::bad_request(
            "a configuration needs recordKey and data",
        ));
    }
    let mut state = shared.write();
    let vault = &mut state.accounts[account].vault;
    if vault.records.contains_key(&uid) {
        return Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "record_exists",
            format!("record {uid} already exists"),
        ));
    }
    let revision = vault.bump();
    vault.records.insert(
        uid,
        Record {
            revision,
            version: CONFIGURATION_VERSION,
            client_modified_time: now_ms(),
            data: request.data,
            owner_key: request.record_key,
            owner_key_type: RecordKeyType::EncryptedByDataKeyGcm as i32,
            shared_folder: None,
        },
    );
    vault
        .pam_configurations
        .insert(uid, PamConfiguration::default());
    drop(state);
    shared.changed();
    Ok(Reply::Empty)
}

/// `pam/set_configuration_controller`: binds a configuration to one of the account's gateways.
pub fn set_configuration_controller(
    shared: &Arc<Shared>,
    account: usize,
    body: &[u8],
) -> Result<Reply, ApiError> {
    let request: PamConfigurationController = decode(body, "PAMConfigurationController")?;
    let (Ok(config), Ok(controller)) = (
        Uid::from_slice(&request.configuration_uid),
        Uid::from_slice(&request.controller_uid),
    ) else {
        return Err(ApiError::bad_request("UIDs must be 16 bytes"));
    };
    let mut state = shared.write();
    let vault = &mut state.accounts[account].vault;
    if !vault.controllers.contains_key(&controller) {
        return Err(not_found(format!("controller {controller}")));
    }
    let Some(entry) = vault.pam_configurations.get_mut(&config) else {
        return Err(not_found(format!("configuration {config}")));
    };
    entry.controller = Some(controller);
    drop(state);
    shared.changed();
    Ok(Reply::Empty)
}

/// `pam/get_configuration_controller`: the bound gateway as a `PAMController`.
pub fn get_configuration_controller(
    shared: &Arc<Shared>,
    account: usize,
    body: &[u8],
) -> Result<Reply, ApiError> {
    let request: PamGenericUidRequest = decode(body, "PAMGenericUidRequest")?;
    let config =
        Uid::from_slice(&request.uid).map_err(|_| ApiError::bad_request("uid must be 16 bytes"))?;
    let state = shared.read();
    let vault = &state.accounts[account].vault;
    let bound = vault
        .pam_configurations
        .get(&config)
        .and_then(|c| c.controller);
    let Some((uid, controller)) =
        bound.and_then(|uid| vault.controllers.get(&uid).map(|c| (uid, c)))
    else {
        return Err(not_found(format!("no gateway is bound to {config}")));
    };
    Ok(Reply::message(&PamController {
        controller_uid: uid.as_bytes().to_vec(),
        controller_name: controller.name.clone(),
        device_token: controller.device_token.clone(),
        device_name: controller.name.clone(),
        created: controller.created,
        last_modified: controller.last_modified,
        application_uid: controller.app_uid.as_bytes().to_vec(),
        app_client_type: controller.app_client_type,
        is_initialized: controller.initialized,
        max_instance_count: 1,
        ..PamController::default()
    }))
}

fn not_found(message: String) -> ApiError {
    ApiError::new(axum::http::StatusCode::NOT_FOUND, "not_found", message)
}

/// v2 `move` of records from the vault root into the root of a shared folder, the only move a
/// provisioning client makes (Commander `mv` of a new PAM configuration). The transition key is
/// the record key wrapped by the shared folder key.
pub fn move_records(shared: &Arc<Shared>, account: usize, command: &Value) -> V2Response {
    if command["to_type"] != "shared_folder" {
        return V2Response::failure(
            "not_supported",
            "the sandbox moves records into a shared folder only",
        );
    }
    let Some(folder) = command["to_uid"]
        .as_str()
        .and_then(|u| u.parse::<Uid>().ok())
    else {
        return V2Response::failure("bad_request", "move needs to_uid");
    };
    let keys: Vec<(String, Vec<u8>)> = command["transition_keys"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| {
            Some((
                k["uid"].as_str()?.to_owned(),
                b64url_decode(k["key"].as_str()?).ok()?,
            ))
        })
        .collect();
    let moves: Option<Vec<Uid>> = command["move"]
        .as_array()
        .map(|moves| {
            moves
                .iter()
                .map(|m| {
                    (m["type"] == "record")
                        .then(|| m["uid"].as_str()?.parse::<Uid>().ok())
                        .flatten()
                })
                .collect()
        })
        .unwrap_or(None);
    let Some(moves) = moves.filter(|m| !m.is_empty()) else {
        return V2Response::failure("bad_request", "move needs records to move");
    };
    let mut state = shared.write();
    let vault = &mut state.accounts[account].vault;
    if !vault.shared_folders.contains_key(&folder) {
        return V2Response::failure("not_found", format!("shared folder {folder} not found"));
    }
    for uid in &moves {
        let key = keys.iter().find(|(k, _)| *k == uid.to_string());
        match (vault.records.get(uid), key) {
            (None, _) => {
                return V2Response::failure("not_found", format!("record {uid} not found"))
            }
            (Some(_), None) => {
                return V2Response::failure("bad_request", format!("no transition key for {uid}"))
            }
            _ => {}
        }
    }
    let revision = vault.bump();
    for uid in moves {
        let key = keys
            .iter()
            .find(|(k, _)| *k == uid.to_string())
            .map(|(_, key)| key.clone())
            .unwrap_or_default();
        if let Some(record) = vault.records.get_mut(&uid) {
            record.revision = revision;
            record.shared_folder = Some(FolderPlacement {
                shared_folder_uid: folder,
                record_key: key,
            });
        }
    }
    drop(state);
    shared.changed();
    V2Response::success()
}

/// Router `configure_network_graph`: merges the sent `allowedSettings` into the configuration's.
pub fn configure_network_graph(
    shared: &Arc<Shared>,
    account: usize,
    payload: &[u8],
) -> Result<(), ApiError> {
    let request: PamNetworkConfigurationRequest =
        decode(payload, "PAMNetworkConfigurationRequest")?;
    let uid = Uid::from_slice(&request.record_uid)
        .map_err(|_| ApiError::bad_request("recordUid must be 16 bytes"))?;
    let settings: serde_json::Map<String, Value> = request
        .network_settings
        .as_ref()
        .filter(|s| !s.allowed_settings.is_empty())
        .map(|s| serde_json::from_slice(&s.allowed_settings))
        .transpose()
        .map_err(|_| ApiError::bad_request("allowedSettings is not a JSON object"))?
        .unwrap_or_default();
    let mut state = shared.write();
    let vault = &mut state.accounts[account].vault;
    let Some(entry) = vault.pam_configurations.get_mut(&uid) else {
        return Err(not_found(format!("configuration {uid}")));
    };
    entry.allowed_settings.extend(settings);
    entry.sync_point += 1;
    drop(state);
    shared.changed();
    Ok(())
}

/// Router DAG `sync` (JSON): the configuration's vertex with one DATA edge at path `meta`
/// holding `{"allowedSettings": …}` unencrypted, as Commander's DAG writes and reads it. A stream
/// with nothing written answers sync point 0 (an empty graph).
pub fn dag_sync(shared: &Arc<Shared>, account: usize, body: &[u8]) -> Result<Value, ApiError> {
    let query: Value = serde_json::from_slice(body)
        .map_err(|_| ApiError::bad_request("sync query is not JSON"))?;
    let stream = query["streamId"].as_str().unwrap_or_default().to_owned();
    let since = query["syncPoint"].as_i64().unwrap_or(0);
    let state = shared.read();
    let vault = &state.accounts[account].vault;
    let entry = stream
        .parse::<Uid>()
        .ok()
        .and_then(|uid| vault.pam_configurations.get(&uid))
        .filter(|e| e.sync_point > 0);
    let Some(entry) = entry else {
        return Ok(json!({"syncPoint": 0, "data": [], "hasMore": false}));
    };
    if since >= entry.sync_point {
        return Ok(json!({"syncPoint": entry.sync_point, "data": [], "hasMore": false}));
    }
    let content = json!({"allowedSettings": entry.allowed_settings}).to_string();
    Ok(json!({
        "syncPoint": entry.sync_point,
        "hasMore": false,
        "data": [{
            "type": "data",
            "ref": {"type": "pam_network", "value": stream, "name": null},
            "parentRef": null,
            "content": b64_std_encode(content.as_bytes()).trim_end_matches('='),
            "path": "meta",
        }],
    }))
}
