//! The vault/KSM/PAM client layer pinned to vectors made by Keeper's official clients
//! (`tests/data/keeper-vectors.json`), and its calls against a wiremock double of Keeper.
//! Hand-built sync pages for every key path are unit tests in `src/keeper/vault/sync_tests.rs`.

use crate::support::fake_keeper::{FakeKeeper, Reply};
use gw_provision::keeper::auth::{Session, SessionParts};
use gw_provision::keeper::crypto::{
    aes_cbc_encrypt, aes_gcm_decrypt, b64_std_decode, b64url_decode, AesKey, EcPrivateKey,
};
use gw_provision::keeper::ksm::{self, KsmConfig, KsmError, OneTimeToken};
use gw_provision::keeper::pam::{self, PamError};
use gw_provision::keeper::proto::authentication::{
    AddAppClientRequest, AddAppSharesRequest, ApplicationShareType, Device,
};
use gw_provision::keeper::proto::enterprise::AppClientType;
use gw_provision::keeper::proto::pam::{
    PamControllersResponse, PamRemoveController, PamRemoveControllerResponse,
};
use gw_provision::keeper::proto::records::{ApplicationAddRequest, RecordKeyType};
use gw_provision::keeper::proto::vault::{
    SharedFolder as SharedFolderRow, SyncDownRequest, SyncDownResponse,
};
use gw_provision::keeper::transport::SessionToken;
use gw_provision::keeper::uid::Uid;
use gw_provision::keeper::vault::{
    self, Application, DefaultPermissions, SharedFolder, SyncBuilder, VaultError, VaultKeys,
};
use prost::Message;
use serde_json::Value;

fn vectors() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/keeper-vectors.json"
    ))
    .expect("vectors file");
    serde_json::from_str(&text).expect("vectors JSON")
}

fn b64(value: &Value) -> Vec<u8> {
    b64url_decode(value.as_str().expect("string")).expect("b64url")
}

fn key(value: &Value) -> AesKey {
    AesKey::from_slice(&b64(value)).expect("32-byte key")
}

fn uid(value: &Value) -> Uid {
    value.as_str().expect("string").parse().expect("uid")
}

// ---- the official vector ----------------------------------------------------------------------

#[test]
fn official_sync_down_yields_the_shared_folder_and_app_with_their_keys() {
    let v = vectors();
    let sync = &v["sync_down"];
    let expect = &sync["expect"];
    let response = SyncDownResponse::decode(b64(&sync["response"]).as_slice()).expect("decodes");
    let data_key = key(&sync["data_key"]);

    let mut builder = SyncBuilder::new();
    builder.apply(&response);
    let snapshot = builder.finish(&VaultKeys {
        data_key: &data_key,
        rsa_private_key: None,
        ecc_private_key: None,
    });

    let folder = snapshot
        .find_shared_folder(expect["shared_folder_name"].as_str().unwrap())
        .expect("shared folder found by its non-ASCII name");
    assert_eq!(folder.uid, uid(&expect["shared_folder_uid"]));
    assert_eq!(folder.key, key(&expect["shared_folder_key"]));

    let app = snapshot
        .find_application(expect["app_title"].as_str().unwrap())
        .expect("application found by title");
    assert_eq!(app.uid, uid(&expect["app_uid"]));
    assert_eq!(app.key, key(&expect["app_key"]));
}

// ---- KSM request building against the official encodings --------------------------------------

/// The application and shared folder the `proto` vectors were built with.
fn proto_app_and_folder(v: &Value) -> (Application, SharedFolder) {
    let p = &v["proto"];
    let app = Application {
        uid: uid(&p["app_uid"]),
        title: "PAM Lab App".into(),
        key: key(&p["app_key"]),
    };
    let folder = SharedFolder {
        uid: uid(&p["shared_folder_uid"]),
        name: "PAM Lab — Ressources ✓".into(),
        key: key(&p["shared_folder_key"]),
        at_root: true,
    };
    (app, folder)
}

#[test]
fn application_add_request_matches_commander_field_by_field() {
    let v = vectors();
    let p = &v["proto"];
    let (app, _) = proto_app_and_folder(&v);
    let data_key = key(&p["data_key"]);
    let official =
        ApplicationAddRequest::decode(b64(&p["application_add_request"]).as_slice()).unwrap();

    let ours = ksm::application_add_request(
        &app.uid,
        &app.key,
        &app.title,
        &data_key,
        official.client_modified_time,
    );

    assert_eq!(ours.app_uid, official.app_uid);
    assert_eq!(ours.client_modified_time, official.client_modified_time);
    assert_eq!(ours.audit, official.audit);
    // Ciphertexts differ by nonce; what they decrypt to must not.
    assert_eq!(
        aes_gcm_decrypt(&data_key, &ours.record_key).unwrap(),
        aes_gcm_decrypt(&data_key, &official.record_key).unwrap()
    );
    let json = |data: &[u8]| -> Value {
        serde_json::from_slice(&aes_gcm_decrypt(&app.key, data).unwrap()).unwrap()
    };
    assert_eq!(json(&ours.data), json(&official.data));
    assert_eq!(
        json(&ours.data),
        serde_json::json!({"title": "PAM Lab App", "type": "app"})
    );
}

#[test]
fn app_share_add_request_matches_commander_byte_for_byte_apart_from_the_nonce() {
    let v = vectors();
    let (app, folder) = proto_app_and_folder(&v);
    let official_bytes = b64(&v["proto"]["add_app_shares_request"]);
    let official = AddAppSharesRequest::decode(official_bytes.as_slice()).unwrap();

    let mut ours = ksm::app_share_add_request(&app, &folder, true);

    let (share, official_share) = (&ours.shares[0], &official.shares[0]);
    assert_eq!(
        share.share_type,
        ApplicationShareType::ShareTypeFolder as i32
    );
    assert!(share.editable);
    assert_eq!(
        aes_gcm_decrypt(&app.key, &share.encrypted_secret_key).unwrap(),
        aes_gcm_decrypt(&app.key, &official_share.encrypted_secret_key).unwrap()
    );
    ours.shares[0].encrypted_secret_key = official_share.encrypted_secret_key.clone();
    assert_eq!(ours.encode_to_vec(), official_bytes);
}

#[test]
fn add_app_client_request_matches_commander_byte_for_byte_apart_from_the_nonce() {
    let v = vectors();
    let p = &v["proto"];
    let (app, _) = proto_app_and_folder(&v);
    let official_bytes = b64(&p["add_app_client_request"]);
    let official = AddAppClientRequest::decode(official_bytes.as_slice()).unwrap();
    let token = OneTimeToken::from_parts(Some("US".into()), key(&p["token_secret"]));

    let mut ours =
        ksm::add_app_client_request(&app, &token, &official.id, official.first_access_expire_on);

    assert_eq!(ours.id, "lab-gw-1");
    assert_eq!(ours.client_id, official.client_id);
    assert_eq!(
        ours.app_client_type,
        AppClientType::DiscoveryAndRotationController as i32
    );
    assert!(!ours.lock_ip);
    assert_eq!(ours.access_expire_on, 0);
    assert_eq!(
        aes_gcm_decrypt(token.secret(), &ours.encrypted_app_key).unwrap(),
        app.key.as_bytes()
    );
    ours.encrypted_app_key = official.encrypted_app_key.clone();
    assert_eq!(ours.encode_to_vec(), official_bytes);
}

#[test]
fn official_pam_controllers_response_lists_the_gateway_of_the_app() {
    let v = vectors();
    let p = &v["proto"];
    let response =
        PamControllersResponse::decode(b64(&p["pam_controllers_response"]).as_slice()).unwrap();

    let gateways: Vec<_> = response
        .controllers
        .iter()
        .filter_map(gw_provision::keeper::pam::Gateway::from_proto)
        .collect();

    assert_eq!(gateways.len(), 1);
    assert_eq!(gateways[0].name, "lab-gw-1");
    assert_eq!(gateways[0].application_uid, uid(&p["app_uid"]));
    assert_eq!(
        gateways[0].device_token,
        b64_std_decode(&response.controllers[0].device_token).unwrap()
    );
}

// ---- tokens and configs -----------------------------------------------------------------------

#[test]
fn official_token_parses_to_the_official_client_id() {
    let v = vectors();
    let vector = &v["ksm_client_id"];

    let token: OneTimeToken = vector["token"].as_str().unwrap().parse().unwrap();

    assert_eq!(token.prefix(), Some("US"));
    assert_eq!(
        token.secret().as_bytes().as_slice(),
        b64(&vector["token_secret"])
    );
    assert_eq!(token.client_id().to_vec(), b64(&vector["client_id"]));
    assert_eq!(token.expose(), vector["token"].as_str().unwrap());
}

#[test]
fn sandbox_host_token_keeps_the_port_in_its_prefix() {
    let secret = AesKey::generate();
    let token = OneTimeToken::from_parts(Some("127.0.0.1:8443".into()), secret.clone());

    let parsed: OneTimeToken = token.expose().parse().unwrap();

    assert_eq!(parsed.prefix(), Some("127.0.0.1:8443"));
    assert_eq!(parsed.secret(), &secret);
}

#[test]
fn ksm_config_json_uses_sdk_key_names_and_std_base64() {
    let config = KsmConfig {
        hostname: "127.0.0.1:8443".into(),
        client_id: [9u8; 64],
        private_key: EcPrivateKey::generate(),
        server_public_key_id: 10,
        app_key: AesKey::generate(),
        app_owner_public_key: None,
        server_public_key: Some(EcPrivateKey::generate().public_key()),
    };

    let json: Value = serde_json::from_str(&config.to_json()).unwrap();

    assert_eq!(json["hostname"], "127.0.0.1:8443");
    assert_eq!(json["serverPublicKeyId"], "10");
    assert_eq!(
        b64_std_decode(json["clientId"].as_str().unwrap()).unwrap(),
        vec![9u8; 64]
    );
    assert_eq!(
        b64_std_decode(json["appKey"].as_str().unwrap()).unwrap(),
        config.app_key.as_bytes()
    );
    let private = EcPrivateKey::from_pkcs8_der(
        &b64_std_decode(json["privateKey"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(private.to_bytes(), config.private_key.to_bytes());
    assert!(json.get("appOwnerPublicKey").is_none());
    assert_eq!(
        b64url_decode(json["serverPublicKey"].as_str().unwrap())
            .unwrap()
            .len(),
        65
    );
}

#[test]
fn ksm_config_base64_loads_in_the_official_rust_sdk() {
    use keeper_secrets_manager_core::config_keys::ConfigKeys;
    use keeper_secrets_manager_core::crypto::CryptoUtils;
    use keeper_secrets_manager_core::storage::KeyValueStorage;
    use keeper_secrets_manager_core::utils::base64_to_bytes;
    use keeper_secrets_manager_core::InMemoryKeyValueStorage;

    let config = KsmConfig {
        hostname: "keepersecurity.com".into(),
        client_id: [3u8; 64],
        private_key: EcPrivateKey::generate(),
        server_public_key_id: 10,
        app_key: AesKey::generate(),
        app_owner_public_key: Some(EcPrivateKey::generate().public_key()),
        server_public_key: None,
    };

    let storage = InMemoryKeyValueStorage::new(Some(config.to_base64().to_string())).unwrap();

    let get = |key| storage.get(key).unwrap().unwrap();
    assert_eq!(get(ConfigKeys::KeyHostname), "keepersecurity.com");
    assert_eq!(get(ConfigKeys::KeyServerPublicKeyId), "10");
    assert_eq!(
        base64_to_bytes(&get(ConfigKeys::KeyClientId)).unwrap(),
        vec![3u8; 64]
    );
    assert_eq!(
        base64_to_bytes(&get(ConfigKeys::KeyAppKey)).unwrap(),
        config.app_key.as_bytes()
    );
    let public = CryptoUtils::extract_public_key_bytes(&get(ConfigKeys::KeyPrivateKey)).unwrap();
    assert_eq!(public, config.private_key.public_key().to_uncompressed());
    let owner = base64_to_bytes(&get(ConfigKeys::KeyOwnerPublicKey)).unwrap();
    assert_eq!(
        Some(owner),
        config.app_owner_public_key.map(|k| k.to_uncompressed())
    );
}

// ---- calls against a double of Keeper's api/rest ---------------------------------------------

/// A session on `fake` for an account with only a data key.
fn session(fake: &FakeKeeper, data_key: AesKey) -> Session {
    Session::from_parts(SessionParts {
        transport: fake.transport(),
        session_token: SessionToken::new(b"session-token".to_vec()),
        username: "admin@example.com".into(),
        account_uid: Vec::new(),
        data_key,
        rsa_private_key: None,
        ecc_private_key: None,
        ecc_public_key: None,
        device: None,
        account_summary: Default::default(),
    })
}

fn app_and_folder() -> (Application, SharedFolder) {
    let app = Application {
        uid: Uid::generate(),
        title: "App".into(),
        key: AesKey::generate(),
    };
    let folder = SharedFolder {
        uid: Uid::generate(),
        name: "Folder".into(),
        key: AesKey::generate(),
        at_root: true,
    };
    (app, folder)
}

#[tokio::test]
async fn sync_down_follows_continuation_tokens_until_has_more_is_false() {
    let fake = FakeKeeper::start().await;
    let data_key = AesKey::generate();
    let (sf_uid, sf_key) = (Uid::generate(), AesKey::generate());
    let row = SharedFolderRow {
        shared_folder_uid: sf_uid.as_bytes().to_vec(),
        shared_folder_key: aes_cbc_encrypt(&data_key, sf_key.as_bytes()),
        key_type: RecordKeyType::EncryptedByDataKey as i32,
        name: aes_cbc_encrypt(&sf_key, b"Second page"),
        ..Default::default()
    };
    fake.on("vault/sync_down", move |call| {
        let request = SyncDownRequest::decode(call.payload.as_slice()).unwrap();
        Reply::proto(&match request.continuation_token.as_slice() {
            b"" => SyncDownResponse {
                continuation_token: b"page-2".to_vec(),
                has_more: true,
                ..Default::default()
            },
            _ => SyncDownResponse {
                continuation_token: b"done".to_vec(),
                shared_folders: vec![row.clone()],
                ..Default::default()
            },
        })
    })
    .await;

    let snapshot = vault::sync_down(&session(&fake, data_key)).await.unwrap();

    assert_eq!(
        snapshot.find_shared_folder("Second page").map(|sf| sf.uid),
        Some(sf_uid)
    );
    let tokens: Vec<Vec<u8>> = fake
        .calls()
        .iter()
        .map(|c| {
            SyncDownRequest::decode(c.payload.as_slice())
                .unwrap()
                .continuation_token
        })
        .collect();
    assert_eq!(tokens, [b"".to_vec(), b"page-2".to_vec()]);
}

#[tokio::test]
async fn sync_down_that_has_more_without_a_new_token_fails_instead_of_looping() {
    let fake = FakeKeeper::start().await;
    fake.on("vault/sync_down", |_| {
        Reply::proto(&SyncDownResponse {
            has_more: true,
            ..Default::default()
        })
    })
    .await;

    let result = vault::sync_down(&session(&fake, AesKey::generate())).await;

    assert!(
        matches!(result, Err(VaultError::BadResponse(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn add_shared_folder_sends_folder_add_at_root_with_all_four_defaults() {
    let fake = FakeKeeper::start().await;
    fake.on("vault/execute_v2_command", |_| {
        Reply::Message(br#"{"result":"success"}"#.to_vec())
    })
    .await;
    let data_key = AesKey::generate();

    let folder = vault::add_shared_folder(
        &session(&fake, data_key.clone()),
        "Gateway Lab",
        DefaultPermissions {
            manage_records: true,
            ..DefaultPermissions::default()
        },
    )
    .await
    .unwrap();

    let sent: Value = serde_json::from_slice(&fake.calls()[0].payload).unwrap();
    assert_eq!(sent["command"], "folder_add");
    assert_eq!(sent["folder_type"], "shared_folder");
    assert_eq!(sent["folder_uid"], folder.uid.to_string());
    assert!(sent.get("parent_uid").is_none());
    assert_eq!(
        (
            &sent["manage_users"],
            &sent["manage_records"],
            &sent["can_edit"],
            &sent["can_share"]
        ),
        (
            &Value::Bool(false),
            &Value::Bool(true),
            &Value::Bool(false),
            &Value::Bool(false)
        )
    );
    let wrapped = b64url_decode(sent["key"].as_str().unwrap()).unwrap();
    let unwrapped = gw_provision::keeper::crypto::aes_cbc_decrypt(&data_key, &wrapped).unwrap();
    assert_eq!(unwrapped, folder.key.as_bytes());
    assert!(folder.at_root);
}

#[tokio::test]
async fn refused_folder_add_carries_keepers_code() {
    let fake = FakeKeeper::start().await;
    fake.on("vault/execute_v2_command", |_| {
        Reply::Message(
            br#"{"result":"fail","result_code":"access_denied","message":"no"}"#.to_vec(),
        )
    })
    .await;

    let result = vault::add_shared_folder(
        &session(&fake, AesKey::generate()),
        "x",
        DefaultPermissions::default(),
    )
    .await;

    assert!(
        matches!(&result, Err(VaultError::Refused { code, .. }) if code == "access_denied"),
        "{result:?}"
    );
}

#[tokio::test]
async fn duplicate_share_counts_as_shared() {
    let fake = FakeKeeper::start().await;
    fake.on("vault/app_share_add", |_| {
        Reply::keeper_error(400, "bad_request", "Duplicate share, already added")
    })
    .await;
    let (app, folder) = app_and_folder();

    let result = ksm::share_folder(&session(&fake, AesKey::generate()), &app, &folder, true).await;

    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn other_share_refusals_keep_their_code() {
    let fake = FakeKeeper::start().await;
    fake.on("vault/app_share_add", |_| {
        Reply::keeper_error(403, "access_denied", "not the owner")
    })
    .await;
    let (app, folder) = app_and_folder();

    let result = ksm::share_folder(&session(&fake, AesKey::generate()), &app, &folder, true).await;

    assert!(
        matches!(&result, Err(KsmError::Refused { code, .. }) if code == "access_denied"),
        "{result:?}"
    );
}

#[tokio::test]
async fn gateway_client_token_names_the_server_and_binds_to_the_app_key() {
    let fake = FakeKeeper::start().await;
    fake.on("vault/app_client_add", |_| {
        Reply::proto(&Device {
            encrypted_device_token: vec![7; 64],
        })
    })
    .await;
    let (app, _) = app_and_folder();
    let before = time::OffsetDateTime::now_utc();

    let client = ksm::add_gateway_client(&session(&fake, AesKey::generate()), &app, "lab-gw", 30)
        .await
        .unwrap();

    let sent = AddAppClientRequest::decode(fake.calls()[0].payload.as_slice()).unwrap();
    assert_eq!(client.token.prefix(), Some(fake.server().host()));
    assert_eq!(sent.client_id, client.token.client_id().to_vec());
    assert_eq!(sent.client_id, client.client_id);
    assert_eq!(sent.id, "lab-gw");
    assert_eq!(
        aes_gcm_decrypt(client.token.secret(), &sent.encrypted_app_key).unwrap(),
        app.key.as_bytes()
    );
    assert_eq!(client.device_token, vec![7; 64]);
    let minutes = (client.expires_at - before).whole_minutes();
    assert!((29..=30).contains(&minutes), "{minutes}");
    assert_eq!(
        sent.first_access_expire_on,
        (client.expires_at.unix_timestamp_nanos() / 1_000_000) as i64
    );
}

#[tokio::test]
async fn token_expiry_outside_one_to_1440_minutes_is_rejected_before_any_call() {
    let fake = FakeKeeper::start().await;
    let session = session(&fake, AesKey::generate());
    let (app, _) = app_and_folder();

    for minutes in [0, 1441] {
        let result = ksm::add_gateway_client(&session, &app, "gw", minutes).await;
        assert!(
            matches!(result, Err(KsmError::InvalidInput(_))),
            "{minutes}: {result:?}"
        );
    }
    assert!(fake.calls().is_empty());
}

#[tokio::test]
async fn remove_controller_reply_naming_the_gateway_is_a_failure() {
    let fake = FakeKeeper::start().await;
    let uid = Uid::generate();
    let reply = PamRemoveControllerResponse {
        controllers: vec![PamRemoveController {
            controller_uid: uid.as_bytes().to_vec(),
            message: "controller is online".into(),
        }],
    };
    fake.on("pam/remove_controller", move |_| Reply::proto(&reply))
        .await;

    let result = pam::remove_controller(&session(&fake, AesKey::generate()), &uid).await;

    assert!(
        matches!(&result, Err(PamError::RemoveFailed { message, .. }) if message == "controller is online"),
        "{result:?}"
    );
}

#[tokio::test]
async fn app_info_is_typed_and_a_missing_entry_reads_as_empty() {
    use gw_provision::keeper::proto::authentication::{
        AppClient, AppInfo, AppShare, GetAppInfoResponse,
    };
    let fake = FakeKeeper::start().await;
    let (app, folder) = app_and_folder();
    let listed = app.uid;
    let reply = GetAppInfoResponse {
        app_info: vec![AppInfo {
            app_record_uid: listed.as_bytes().to_vec(),
            shares: vec![AppShare {
                secret_uid: folder.uid.as_bytes().to_vec(),
                share_type: ApplicationShareType::ShareTypeFolder as i32,
                editable: true,
                ..Default::default()
            }],
            clients: vec![AppClient {
                id: "lab-gw".into(),
                client_id: vec![5; 64],
                app_client_type: AppClientType::DiscoveryAndRotationController as i32,
                first_access_expire_on: 42,
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    fake.on("vault/get_app_info", move |_| Reply::proto(&reply))
        .await;
    let session = session(&fake, AesKey::generate());

    let info = ksm::get_app_info(&session, &app.uid).await.unwrap();
    let other = ksm::get_app_info(&session, &Uid::generate()).await.unwrap();

    let share = info.share_of(&folder.uid).unwrap();
    assert_eq!(
        (share.share_type, share.editable),
        (ksm::ShareType::Folder, true)
    );
    let client = &info.clients[0];
    assert!(client.is_gateway() && !client.is_bound());
    assert_eq!(
        (client.name.as_str(), client.first_access_expire_on),
        ("lab-gw", 42)
    );
    assert!(other.shares.is_empty() && other.clients.is_empty());
}
