//! `keeper::proto` against bytes made by Keeper's own Python clients (`tests/data/keeper-vectors.json`):
//! every message decodes into our hand-written prost structs, every field we can cross-check
//! matches the vector's other entries, and re-encoding gives back the exact bytes.
//! The JSON wire types are checked against the shapes the KSM SDKs send.

use gw_provision::keeper::crypto::{
    aes_cbc_decrypt, aes_gcm_decrypt, b64_std_decode, b64url_decode, ecies_decrypt, hmac_sha512,
    AesKey, EcPrivateKey,
};
use gw_provision::keeper::proto::authentication::{
    AddAppClientRequest, AddAppSharesRequest, ApiRequest, ApiRequestPayload, AppShareAdd,
    ApplicationShareType, LoginMethod, LoginResponse, LoginState, LoginType, StartLoginRequest,
};
use gw_provision::keeper::proto::enterprise::AppClientType;
use gw_provision::keeper::proto::ksm_json::{
    CreatePayload, GetFoldersResponse, GetPayload, KsmErrorBody, KsmFolder, KsmRecord,
    SecretsManagerResponse, UpdatePayload,
};
use gw_provision::keeper::proto::pam::{PamController, PamControllersResponse};
use gw_provision::keeper::proto::records::{ApplicationAddRequest, RecordKeyType};
use gw_provision::keeper::proto::vault::{CacheStatus, SyncDownResponse};
use prost::Message;
use serde_json::{json, Value};

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/keeper-vectors.json"
    );
    let text = std::fs::read_to_string(path).expect("vectors file");
    serde_json::from_str(&text).expect("vectors JSON")
}

/// Decodes the b64url string at a dotted path of the vectors file.
fn bytes(v: &Value, path: &str) -> Vec<u8> {
    b64url_decode(text(v, path)).expect("b64url vector")
}

fn text<'a>(v: &'a Value, path: &str) -> &'a str {
    path.split('.')
        .fold(v, |node, key| &node[key])
        .as_str()
        .unwrap_or_else(|| panic!("vector {path} missing"))
}

fn key(v: &Value, path: &str) -> AesKey {
    AesKey::from_slice(&bytes(v, path)).expect("32-byte key")
}

/// Decodes `encoded` as `M`, asserts re-encoding is byte-identical, and returns the message.
fn decode_exact<M: Message + Default>(encoded: &[u8]) -> M {
    let message = M::decode(encoded).expect("decodes");
    assert_eq!(message.encode_to_vec(), encoded, "re-encoding differs");
    message
}

#[test]
fn application_add_request_carries_the_app_uid_and_gcm_wrapped_app_key() {
    let v = vectors();
    let request: ApplicationAddRequest = decode_exact(&bytes(&v, "proto.application_add_request"));

    assert_eq!(request.app_uid, bytes(&v, "proto.app_uid"));
    let app_key = aes_gcm_decrypt(&key(&v, "proto.data_key"), &request.record_key).unwrap();
    assert_eq!(app_key, bytes(&v, "proto.app_key"));
    let data = aes_gcm_decrypt(&key(&v, "proto.app_key"), &request.data).unwrap();
    let data: Value = serde_json::from_slice(&data).unwrap();
    assert_eq!(data["type"], "app");
    assert_eq!(data["title"], text(&v, "sync_down.expect.app_title"));
    assert!(request.client_modified_time > 1_600_000_000_000);
    assert_eq!(request.audit, None);
}

#[test]
fn add_app_shares_request_shares_the_folder_as_editable_with_its_key_under_the_app_key() {
    let v = vectors();
    let request: AddAppSharesRequest = decode_exact(&bytes(&v, "proto.add_app_shares_request"));

    assert_eq!(request.app_record_uid, bytes(&v, "proto.app_uid"));
    assert_eq!(request.shares.len(), 1);
    let share = &request.shares[0];
    assert_eq!(share.secret_uid, bytes(&v, "proto.shared_folder_uid"));
    assert_eq!(share.share_type(), ApplicationShareType::ShareTypeFolder);
    assert!(share.editable);
    let folder_key = aes_gcm_decrypt(&key(&v, "proto.app_key"), &share.encrypted_secret_key);
    assert_eq!(folder_key.unwrap(), bytes(&v, "proto.shared_folder_key"));
}

#[test]
fn add_app_client_request_registers_a_gateway_whose_token_secret_unwraps_the_app_key() {
    let v = vectors();
    let request: AddAppClientRequest = decode_exact(&bytes(&v, "proto.add_app_client_request"));
    let secret = bytes(&v, "proto.token_secret");

    assert_eq!(request.app_record_uid, bytes(&v, "proto.app_uid"));
    let app_key = aes_gcm_decrypt(
        &AesKey::from_slice(&secret).unwrap(),
        &request.encrypted_app_key,
    );
    assert_eq!(app_key.unwrap(), bytes(&v, "proto.app_key"));
    assert_eq!(
        request.client_id,
        hmac_sha512(&secret, b"KEEPER_SECRETS_MANAGER_CLIENT_ID").to_vec()
    );
    assert_eq!(request.client_id, bytes(&v, "ksm_client_id.client_id"));
    assert!(!request.lock_ip);
    assert!(request.first_access_expire_on > 1_600_000_000_000);
    assert_eq!(request.access_expire_on, 0);
    assert!(!request.id.is_empty());
    assert_eq!(
        request.app_client_type(),
        AppClientType::DiscoveryAndRotationController
    );
}

#[test]
fn pam_controllers_response_lists_the_gateway_of_the_app() {
    let v = vectors();
    let response: PamControllersResponse =
        decode_exact(&bytes(&v, "proto.pam_controllers_response"));
    let client = AddAppClientRequest::decode(&*bytes(&v, "proto.add_app_client_request")).unwrap();

    assert_eq!(response.controllers.len(), 1);
    let gateway = &response.controllers[0];
    assert_eq!(gateway.controller_uid.len(), 16);
    assert_eq!(gateway.controller_name, client.id);
    assert_eq!(gateway.application_uid, bytes(&v, "proto.app_uid"));
    assert_eq!(
        gateway.app_client_type(),
        AppClientType::DiscoveryAndRotationController
    );
    assert!(b64_std_decode(&gateway.device_token).is_ok());
    assert!(gateway.created > 1_600_000_000_000);
}

#[test]
fn pam_controller_newer_sdk_fields_use_tags_11_and_12() {
    let controller = PamController {
        max_instance_count: 1,
        last_seen: 1,
        ..Default::default()
    };
    assert_eq!(controller.encode_to_vec(), vec![0x58, 0x01, 0x60, 0x01]);
}

#[test]
fn app_share_add_has_no_field_one() {
    let share = AppShareAdd {
        secret_uid: vec![0xAA],
        ..Default::default()
    };
    assert_eq!(share.encode_to_vec(), vec![0x12, 0x01, 0xAA]);
}

#[test]
fn start_login_response_asks_for_the_auth_hash_with_the_master_salt() {
    let v = vectors();
    let response: LoginResponse = decode_exact(&bytes(
        &v,
        "rest_start_login.response_plaintext_login_response",
    ));

    assert_eq!(response.login_state(), LoginState::RequiresAuthHash);
    assert!(!response.encrypted_login_token.is_empty());
    assert_eq!(response.salt.len(), 1);
    let salt = &response.salt[0];
    assert_eq!(salt.name, "Master");
    assert_eq!(salt.iterations, 1000);
    assert_eq!(salt.salt.len(), 16);
    assert!(response.encrypted_session_token.is_empty());
}

#[test]
fn logged_in_state_is_99() {
    assert_eq!(LoginState::try_from(99), Ok(LoginState::LoggedIn));
    assert!(LoginState::try_from(11).is_err());
}

#[test]
fn start_login_api_request_envelope_decodes_and_reencodes() {
    let v = vectors();
    let request: ApiRequest = decode_exact(&bytes(&v, "rest_start_login.api_request"));

    assert_eq!(request.public_key_id, 7);
    assert_eq!(request.locale, "en_US");
    assert_eq!(request.encrypted_transmission_key.len(), 125);
    assert!(request.encrypted_payload.len() > 28);
    assert_eq!(request.qrc_message_key, None);
    assert_eq!(request.encryption_type, 0);
}

#[test]
fn start_login_inner_messages_decode_to_the_expected_fields() {
    let v = vectors();
    let request = ApiRequest::decode(&*bytes(&v, "rest_start_login.api_request")).unwrap();
    let server_key =
        EcPrivateKey::from_bytes(&bytes(&v, "rest_start_login.server_private_key")).unwrap();
    let transmission_key = ecies_decrypt(&server_key, &request.encrypted_transmission_key).unwrap();
    assert_eq!(
        transmission_key,
        bytes(&v, "rest_start_login.expect_transmission_key")
    );
    let transmission_key = AesKey::from_slice(&transmission_key).unwrap();
    let payload = aes_gcm_decrypt(&transmission_key, &request.encrypted_payload).unwrap();

    let payload: ApiRequestPayload = decode_exact(&payload);
    assert!(payload.encrypted_session_token.is_empty());
    let login: StartLoginRequest = decode_exact(&payload.payload);
    let expect = "rest_start_login.expect_start_login";
    assert_eq!(
        login.client_version,
        text(&v, &format!("{expect}.clientVersion"))
    );
    assert_eq!(login.username, text(&v, &format!("{expect}.username")));
    assert_eq!(
        login.encrypted_device_token,
        bytes(&v, &format!("{expect}.encryptedDeviceToken"))
    );
    assert_eq!(
        login.message_session_uid,
        bytes(&v, &format!("{expect}.messageSessionUid"))
    );
    assert_eq!(login.login_type(), LoginType::Normal);
    assert_eq!(login.login_method(), LoginMethod::ExistingAccount);
}

#[test]
fn sync_down_response_holds_the_shared_folder_and_the_v5_application() {
    let v = vectors();
    let response: SyncDownResponse = decode_exact(&bytes(&v, "sync_down.response"));
    let data_key = key(&v, "sync_down.data_key");

    assert!(!response.has_more);
    assert_eq!(response.cache_status(), CacheStatus::Keep);
    assert!(!response.continuation_token.is_empty());

    let folder = &response.shared_folders[0];
    assert_eq!(
        folder.shared_folder_uid,
        bytes(&v, "sync_down.expect.shared_folder_uid")
    );
    assert_eq!(folder.key_type(), RecordKeyType::EncryptedByDataKey);
    let folder_key = aes_cbc_decrypt(&data_key, &folder.shared_folder_key).unwrap();
    assert_eq!(folder_key, bytes(&v, "sync_down.expect.shared_folder_key"));
    let name = aes_cbc_decrypt(&AesKey::from_slice(&folder_key).unwrap(), &folder.name).unwrap();
    assert_eq!(
        String::from_utf8(name).unwrap(),
        text(&v, "sync_down.expect.shared_folder_name")
    );
    let placement = &response.user_folder_shared_folders[0];
    assert_eq!(placement.shared_folder_uid, folder.shared_folder_uid);
    assert!(
        placement.folder_uid.is_empty(),
        "shared folder sits at root"
    );

    let app = &response.records[0];
    assert_eq!(app.record_uid, bytes(&v, "sync_down.expect.app_uid"));
    assert_eq!(app.version, 5);
    let meta = &response.record_meta_data[0];
    assert_eq!(meta.record_uid, app.record_uid);
    assert_eq!(meta.record_key_type(), RecordKeyType::EncryptedByDataKeyGcm);
    let app_key = aes_gcm_decrypt(&data_key, &meta.record_key).unwrap();
    assert_eq!(app_key, bytes(&v, "sync_down.expect.app_key"));
    let data = aes_gcm_decrypt(&AesKey::from_slice(&app_key).unwrap(), &app.data).unwrap();
    let data: Value = serde_json::from_slice(&data).unwrap();
    assert_eq!(data["title"], text(&v, "sync_down.expect.app_title"));
}

#[test]
fn ksm_sdk_get_secret_body_parses_as_get_payload_and_reserializes_every_key() {
    let v = vectors();
    let tk = key(&v, "ksm_get_secret_request.expect_transmission_key");
    let body = aes_gcm_decrypt(&tk, &bytes(&v, "ksm_get_secret_request.body")).unwrap();
    let sent: Value = serde_json::from_slice(&body).unwrap();

    let payload: GetPayload = serde_json::from_value(sent.clone()).unwrap();
    assert_eq!(
        payload.client_id,
        text(&v, "ksm_get_secret_request.expect_client_id_std_b64")
    );
    assert!(payload.client_version.starts_with("mp"));
    assert_eq!(
        b64_std_decode(payload.public_key.as_deref().unwrap())
            .unwrap()
            .len(),
        65
    );
    assert_eq!(payload.requested_records, None);
    assert_eq!(serde_json::to_value(&payload).unwrap(), sent);
}

#[test]
fn get_payload_accepts_nulls_and_missing_keys() {
    let python = r#"{
    "clientVersion": "mp17.3.0",
    "clientId": "DutwfCtMJeK3xTgbzRNwdfqFLFD4oNUAIB71EndVepgX/ck8h5Fu1+HeNQ3gwne9uIRvHXF2+Wf+71MLNXBDcA==",
    "publicKey": null,
    "requestedRecords": ["m31m_UMl8uX38Apji6Hqig"],
    "requestedFolders": null,
    "requestLinks": null
}"#;
    let minimal = r#"{"clientVersion":"mr17.3.0","clientId":"abc"}"#;
    let python: GetPayload = serde_json::from_str(python).unwrap();
    let minimal: GetPayload = serde_json::from_str(minimal).unwrap();
    assert_eq!(
        python.requested_records,
        Some(vec!["m31m_UMl8uX38Apji6Hqig".to_string()])
    );
    assert_eq!((minimal.public_key, minimal.request_links), (None, None));
    let out = serde_json::to_value(&python).unwrap();
    assert_eq!(
        out["publicKey"],
        Value::Null,
        "nulls are sent, like the Python SDK"
    );
}

#[test]
fn secrets_response_always_serializes_records_and_folders_arrays() {
    let response = SecretsManagerResponse {
        encrypted_app_key: None,
        app_owner_public_key: None,
        app_data: None,
        records: vec![],
        folders: vec![KsmFolder {
            folder_uid: "rdQ6Gh9tW7rxOKQmlJsHDQ".into(),
            folder_key: "a2V5".into(),
            records: vec![],
            parent_uid: None,
            name: None,
        }],
        expires_on: None,
        warnings: None,
    };
    let out = serde_json::to_value(&response).unwrap();
    assert_eq!(
        out,
        json!({"records": [], "folders": [
            {"folderUid": "rdQ6Gh9tW7rxOKQmlJsHDQ", "folderKey": "a2V5", "records": []}]})
    );
}

#[test]
fn binding_reply_round_trips_with_app_keys_and_editable_records() {
    let reply = json!({
        "encryptedAppKey": "abc", "appOwnerPublicKey": "BPub", "appData": "ZGF0YQ",
        "records": null,
        "folders": [{"folderUid": "f", "folderKey": "Zms=", "parentUid": "p", "name": "n",
            "records": [{"recordUid": "r", "recordKey": "cms=", "data": "ZA==", "revision": 3,
                "isEditable": true, "files": [], "innerFolderUid": "i"}]}],
        "expiresOn": 1764464400000i64, "warnings": ["w"]
    });
    let parsed: SecretsManagerResponse = serde_json::from_value(reply).unwrap();
    assert_eq!(parsed.encrypted_app_key.as_deref(), Some("abc"));
    assert!(parsed.records.is_empty());
    let record: &KsmRecord = &parsed.folders[0].records[0];
    assert_eq!((record.revision, record.is_editable), (Some(3), Some(true)));
    let again: SecretsManagerResponse =
        serde_json::from_value(serde_json::to_value(&parsed).unwrap()).unwrap();
    assert_eq!(again, parsed);
}

#[test]
fn create_payload_matches_the_python_sdk_keys() {
    let sent = json!({"clientVersion": "mp17.3.0", "clientId": "id", "recordUid": "r",
        "recordKey": "rk", "folderUid": "f", "folderKey": "fk", "data": "d", "subFolderUid": null});
    let payload: CreatePayload = serde_json::from_value(sent.clone()).unwrap();
    assert_eq!(payload.sub_folder_uid, None);
    assert_eq!(serde_json::to_value(&payload).unwrap(), sent);
}

#[test]
fn update_payload_reads_rotation_transactions_and_links_to_remove() {
    let sent = json!({"clientVersion": "mp17.3.0", "clientId": "id", "recordUid": "r",
        "data": "d", "revision": 4, "transactionType": "rotation", "links2Remove": ["x"]});
    let payload: UpdatePayload = serde_json::from_value(sent.clone()).unwrap();
    assert_eq!(payload.revision, Some(4));
    assert_eq!(payload.transaction_type.as_deref(), Some("rotation"));
    assert_eq!(serde_json::to_value(&payload).unwrap(), sent);
}

#[test]
fn get_folders_reply_tolerates_null_folders() {
    let empty: GetFoldersResponse = serde_json::from_str(r#"{"folders":null}"#).unwrap();
    let one: GetFoldersResponse = serde_json::from_str(
        r#"{"folders":[{"folderUid":"s","folderKey":"k","parent":"p","data":"d"}]}"#,
    )
    .unwrap();
    assert!(empty.folders.is_empty());
    assert_eq!(one.folders[0].parent.as_deref(), Some("p"));
    assert_eq!(serde_json::to_string(&empty).unwrap(), r#"{"folders":[]}"#);
}

#[test]
fn ksm_error_code_prefers_result_code_and_reads_string_key_ids() {
    let key = KsmErrorBody::parse(br#"{"error":"key","key_id":"2"}"#).unwrap();
    let both = KsmErrorBody::parse(br#"{"result_code":"throttled","error":"x","retry_after":11}"#)
        .unwrap();
    assert_eq!((key.code(), key.key_id), (Some("key"), Some(2)));
    assert_eq!(
        (both.code(), both.retry_after),
        (Some("throttled"), Some(11))
    );
}
