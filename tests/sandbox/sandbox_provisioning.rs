//! The provisioning flow against the sandbox at the wire level, then token redemption on sm/v1.

use crate::support::sandbox::{
    add_gateway, folder_and_app, gw_provision_now, in_an_hour, share, Login, TestSandbox, Token,
    Vault, Wire,
};
use gw_provision::keeper::crypto::{
    aes_gcm_decrypt, aes_gcm_encrypt, b64_std_decode, b64_std_encode, b64url_decode, ecies_encrypt,
    AesKey, EcPrivateKey, EcPublicKey,
};
use gw_provision::keeper::proto::authentication::{
    GetAppInfoRequest, GetAppInfoResponse, GetApplicationsSummaryResponse, RemoveAppSharesRequest,
};
use gw_provision::keeper::proto::pam::{
    PamControllersResponse, PamGenericUidRequest, PamRemoveControllerResponse,
};
use gw_provision::keeper::uid::Uid;
use prost::Message;
use serde_json::{json, Value};

fn get_payload(token: &Token, public_key: Option<&EcPrivateKey>) -> Value {
    json!({
        "clientVersion": "mp17.3.0",
        "clientId": b64_std_encode(&token.client_id),
        "publicKey": public_key.map(|k| b64_std_encode(&k.public_key().to_uncompressed())),
        "requestedRecords": null,
        "requestedFolders": null,
        "requestLinks": null,
    })
}

#[tokio::test]
async fn sync_down_shows_the_new_folder_and_app_as_commander_needs_them() {
    let sb = TestSandbox::start().await;
    let wire = sb.wire();
    let login = wire.login(sb.descriptor()).await;
    let vault = folder_and_app(&wire, &login).await;
    let pages = wire.sync_all(&login.session).await;
    let page = &pages[0];
    assert_eq!(page.cache_status, 1, "a first sync clears the cache");
    let sf = &page.shared_folders[0];
    assert_eq!(sf.shared_folder_uid, vault.folder_uid.as_bytes().to_vec());
    assert_eq!(sf.key_type, 1);
    let folder_key =
        gw_provision::keeper::crypto::aes_cbc_decrypt(&login.data_key, &sf.shared_folder_key)
            .unwrap();
    assert_eq!(folder_key, vault.folder_key.as_bytes().to_vec());
    assert!(
        page.user_folder_shared_folders[0].folder_uid.is_empty(),
        "at root"
    );
    let owner = &page.shared_folder_users[0];
    assert!(owner.username == login.username && owner.manage_users);
    let app = page.records.iter().find(|r| r.version == 5).unwrap();
    let meta = page
        .record_meta_data
        .iter()
        .find(|m| m.record_uid == app.record_uid)
        .unwrap();
    assert_eq!(meta.record_key_type, 3);
    let app_key = aes_gcm_decrypt(&login.data_key, &meta.record_key).unwrap();
    let data: Value = serde_json::from_slice(
        &aes_gcm_decrypt(&AesKey::from_slice(&app_key).unwrap(), &app.data).unwrap(),
    )
    .unwrap();
    assert_eq!(data["title"], "Gateway App");

    let again = wire
        .sync_from(&login.session, &pages.last().unwrap().continuation_token)
        .await;
    assert!(
        again.shared_folders.is_empty() && again.records.is_empty(),
        "nothing changed since"
    );
}

#[tokio::test]
async fn unknown_v2_command_fails_by_name() {
    let sb = TestSandbox::start().await;
    let wire = sb.wire();
    let login = wire.login(sb.descriptor()).await;
    let reply = wire
        .v2(
            &login.session,
            &login.username,
            json!({"command": "record_update"}),
        )
        .await;
    assert_eq!(reply["result"], "fail");
    assert!(reply["message"].as_str().unwrap().contains("record_update"));
}

#[tokio::test]
async fn duplicate_share_is_refused_with_commanders_message_and_remove_then_add_changes_editable() {
    let sb = TestSandbox::start().await;
    let wire = sb.wire();
    let login = wire.login(sb.descriptor()).await;
    let vault = folder_and_app(&wire, &login).await;
    share(&wire, &login, &vault, false).await.unwrap();
    let err = share(&wire, &login, &vault, true).await.unwrap_err();
    assert_eq!(err["message"], "Duplicate share, already added");

    let remove = RemoveAppSharesRequest {
        app_record_uid: vault.app_uid.as_bytes().to_vec(),
        shares: vec![vault.folder_uid.as_bytes().to_vec()],
    };
    wire.rest(
        "vault/app_share_remove",
        &remove.encode_to_vec(),
        Some(&login.session),
    )
    .await
    .unwrap();
    share(&wire, &login, &vault, true).await.unwrap();
    let info: GetAppInfoResponse = wire
        .call(
            "vault/get_app_info",
            &GetAppInfoRequest {
                app_record_uid: vec![vault.app_uid.as_bytes().to_vec()],
            },
            Some(&login.session),
        )
        .await
        .unwrap();
    let shares = &info.app_info[0].shares;
    assert_eq!(shares.len(), 1);
    assert!(shares[0].editable && shares[0].share_type == 1);
}

#[tokio::test]
async fn gateway_token_redeems_once_and_initializes_its_controller() {
    let sb = TestSandbox::start().await;
    let wire = sb.wire();
    let login = wire.login(sb.descriptor()).await;
    let vault = folder_and_app(&wire, &login).await;
    share(&wire, &login, &vault, true).await.unwrap();
    let token = Token::generate();
    let device = add_gateway(&wire, &login, &vault, &token, in_an_hour()).await;
    assert!(!device.encrypted_device_token.is_empty());

    let controllers: PamControllersResponse = wire
        .call("pam/get_controllers", &(), Some(&login.session))
        .await
        .unwrap();
    let gateway = &controllers.controllers[0];
    assert_eq!(gateway.controller_name, "GW-1");
    assert_eq!(
        gateway.device_token,
        b64_std_encode(&device.encrypted_device_token)
    );
    assert_eq!(gateway.application_uid, vault.app_uid.as_bytes().to_vec());
    assert!(!gateway.is_initialized);

    let client_key = EcPrivateKey::generate();
    let bound = wire
        .ksm(
            "get_secret",
            &get_payload(&token, Some(&client_key)),
            &client_key,
        )
        .await
        .unwrap()
        .unwrap();
    let wrapped_app_key = b64url_decode(bound["encryptedAppKey"].as_str().unwrap()).unwrap();
    assert!(!bound["encryptedAppKey"].as_str().unwrap().contains('='));
    let app_key = aes_gcm_decrypt(&token.secret_key(), &wrapped_app_key).unwrap();
    assert_eq!(app_key, vault.app_key.as_bytes().to_vec());
    let owner = b64url_decode(bound["appOwnerPublicKey"].as_str().unwrap()).unwrap();
    EcPublicKey::from_uncompressed(&owner).unwrap();
    let folder = &bound["folders"][0];
    assert_eq!(folder["folderUid"], vault.folder_uid.to_string());
    assert!(folder["records"].is_array());
    let folder_key = b64_std_decode(folder["folderKey"].as_str().unwrap()).unwrap();
    assert_eq!(
        aes_gcm_decrypt(&vault.app_key, &folder_key).unwrap(),
        vault.folder_key.as_bytes().to_vec()
    );
    assert!(bound["records"].is_array());

    let follow_up = wire
        .ksm("get_secret", &get_payload(&token, None), &client_key)
        .await
        .unwrap()
        .unwrap();
    assert!(
        follow_up.get("encryptedAppKey").is_none(),
        "the app key goes out once"
    );

    let thief = EcPrivateKey::generate();
    let err = wire
        .ksm("get_secret", &get_payload(&token, Some(&thief)), &thief)
        .await
        .unwrap_err();
    assert_eq!((err.status, err.code()), (403, "access_denied"));

    let controllers: PamControllersResponse = wire
        .call("pam/get_controllers", &(), Some(&login.session))
        .await
        .unwrap();
    assert!(controllers.controllers[0].is_initialized);
}

#[tokio::test]
async fn expired_token_is_refused() {
    let sb = TestSandbox::start().await;
    let wire = sb.wire();
    let login = wire.login(sb.descriptor()).await;
    let vault = folder_and_app(&wire, &login).await;
    let token = Token::generate();
    add_gateway(&wire, &login, &vault, &token, gw_provision_now() - 1).await;
    let key = EcPrivateKey::generate();
    let err = wire
        .ksm("get_secret", &get_payload(&token, Some(&key)), &key)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "access_denied");
    assert!(err.body["message"].as_str().unwrap().contains("expired"));
}

#[tokio::test]
async fn signature_by_another_key_is_refused() {
    let sb = TestSandbox::start().await;
    let wire = sb.wire();
    let login = wire.login(sb.descriptor()).await;
    let vault = folder_and_app(&wire, &login).await;
    let token = Token::generate();
    add_gateway(&wire, &login, &vault, &token, in_an_hour()).await;
    let claimed = EcPrivateKey::generate();
    let err = wire
        .ksm(
            "get_secret",
            &get_payload(&token, Some(&claimed)),
            &EcPrivateKey::generate(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "access_denied");
    assert_eq!(err.body["message"], "Signature is invalid");
}

/// Binds a fresh gateway client and returns its key and the owner's public key.
async fn bound_client(
    wire: &Wire,
    login: &Login,
    vault: &Vault,
) -> (Token, EcPrivateKey, EcPublicKey) {
    let token = Token::generate();
    add_gateway(wire, login, vault, &token, in_an_hour()).await;
    let key = EcPrivateKey::generate();
    let reply = wire
        .ksm("get_secret", &get_payload(&token, Some(&key)), &key)
        .await
        .unwrap()
        .unwrap();
    let owner = b64url_decode(reply["appOwnerPublicKey"].as_str().unwrap()).unwrap();
    (token, key, EcPublicKey::from_uncompressed(&owner).unwrap())
}

fn create_payload(token: &Token, vault: &Vault, owner: &EcPublicKey, record_uid: &Uid) -> Value {
    let record_key = AesKey::generate();
    json!({
        "clientVersion": "mp17.3.0",
        "clientId": b64_std_encode(&token.client_id),
        "recordUid": record_uid.to_string(),
        "recordKey": b64_std_encode(&ecies_encrypt(owner, record_key.as_bytes())),
        "folderUid": vault.folder_uid.to_string(),
        "folderKey": b64_std_encode(&aes_gcm_encrypt(&vault.folder_key, record_key.as_bytes())),
        "data": b64_std_encode(&aes_gcm_encrypt(&record_key, br#"{"title":"made by KSM","type":"login","fields":[]}"#)),
        "subFolderUid": null,
    })
}

#[tokio::test]
async fn create_secret_through_an_editable_share_is_listed_with_padded_std_base64() {
    let sb = TestSandbox::start().await;
    let wire = sb.wire();
    let login = wire.login(sb.descriptor()).await;
    let vault = folder_and_app(&wire, &login).await;
    share(&wire, &login, &vault, true).await.unwrap();
    let (token, key, owner) = bound_client(&wire, &login, &vault).await;
    let record_uid = Uid::generate();
    let created = wire
        .ksm(
            "create_secret",
            &create_payload(&token, &vault, &owner, &record_uid),
            &key,
        )
        .await
        .unwrap();
    assert!(created.is_none(), "empty 200");

    let reply = wire
        .ksm("get_secret", &get_payload(&token, None), &key)
        .await
        .unwrap()
        .unwrap();
    let record = &reply["folders"][0]["records"][0];
    assert_eq!(record["recordUid"], record_uid.to_string());
    assert_eq!(record["isEditable"], true);
    for field in ["recordKey", "data"] {
        let text = record[field].as_str().unwrap();
        assert_eq!(text.len() % 4, 0, "{field} must be padded std base64");
        assert!(!text.contains('-') && !text.contains('_'));
    }
    let record_key = aes_gcm_decrypt(
        &vault.folder_key,
        &b64_std_decode(record["recordKey"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    let data = aes_gcm_decrypt(
        &AesKey::from_slice(&record_key).unwrap(),
        &b64_std_decode(record["data"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    assert!(String::from_utf8(data).unwrap().contains("made by KSM"));

    let pages = wire.sync_all(&login.session).await;
    let sfr = pages
        .iter()
        .flat_map(|p| &p.shared_folder_records)
        .find(|r| r.record_uid == record_uid.as_bytes().to_vec());
    assert!(sfr.is_some(), "Commander sees the KSM record in its folder");
}

#[tokio::test]
async fn create_and_update_through_a_read_only_share_are_access_denied() {
    let sb = TestSandbox::start().await;
    let wire = sb.wire();
    let login = wire.login(sb.descriptor()).await;
    let vault = folder_and_app(&wire, &login).await;
    share(&wire, &login, &vault, true).await.unwrap();
    let (token, key, owner) = bound_client(&wire, &login, &vault).await;
    let record_uid = Uid::generate();
    wire.ksm(
        "create_secret",
        &create_payload(&token, &vault, &owner, &record_uid),
        &key,
    )
    .await
    .unwrap();

    let remove = RemoveAppSharesRequest {
        app_record_uid: vault.app_uid.as_bytes().to_vec(),
        shares: vec![vault.folder_uid.as_bytes().to_vec()],
    };
    wire.rest(
        "vault/app_share_remove",
        &remove.encode_to_vec(),
        Some(&login.session),
    )
    .await
    .unwrap();
    share(&wire, &login, &vault, false).await.unwrap();

    let err = wire
        .ksm(
            "create_secret",
            &create_payload(&token, &vault, &owner, &Uid::generate()),
            &key,
        )
        .await
        .unwrap_err();
    assert_eq!((err.status, err.code()), (403, "access_denied"));
    let update = json!({
        "clientVersion": "mp17.3.0",
        "clientId": b64_std_encode(&token.client_id),
        "recordUid": record_uid.to_string(),
        "data": b64_std_encode(b"whatever"),
        "revision": null,
        "transactionType": null,
        "links2Remove": null,
    });
    let err = wire.ksm("update_secret", &update, &key).await.unwrap_err();
    assert_eq!((err.status, err.code()), (403, "access_denied"));
}

#[tokio::test]
async fn remove_controller_also_removes_the_ksm_client() {
    let sb = TestSandbox::start().await;
    let wire = sb.wire();
    let login = wire.login(sb.descriptor()).await;
    let vault = folder_and_app(&wire, &login).await;
    add_gateway(&wire, &login, &vault, &Token::generate(), in_an_hour()).await;
    let controllers: PamControllersResponse = wire
        .call("pam/get_controllers", &(), Some(&login.session))
        .await
        .unwrap();
    let uid = controllers.controllers[0].controller_uid.clone();
    let removed: PamRemoveControllerResponse = wire
        .call(
            "pam/remove_controller",
            &PamGenericUidRequest { uid: uid.clone() },
            Some(&login.session),
        )
        .await
        .unwrap();
    assert!(removed.controllers.is_empty(), "no failure entries");
    let info: GetAppInfoResponse = wire
        .call(
            "vault/get_app_info",
            &GetAppInfoRequest {
                app_record_uid: vec![vault.app_uid.as_bytes().to_vec()],
            },
            Some(&login.session),
        )
        .await
        .unwrap();
    assert!(info.app_info[0].clients.is_empty());
    let again: PamRemoveControllerResponse = wire
        .call(
            "pam/remove_controller",
            &PamGenericUidRequest { uid },
            Some(&login.session),
        )
        .await
        .unwrap();
    assert_eq!(
        again.controllers.len(),
        1,
        "removing twice reports the failure"
    );
}

#[tokio::test]
async fn applications_summary_counts_shares_and_clients() {
    let sb = TestSandbox::start().await;
    let wire = sb.wire();
    let login = wire.login(sb.descriptor()).await;
    let vault = folder_and_app(&wire, &login).await;
    share(&wire, &login, &vault, true).await.unwrap();
    add_gateway(&wire, &login, &vault, &Token::generate(), in_an_hour()).await;
    let summary: GetApplicationsSummaryResponse = wire
        .call("vault/get_applications_summary", &(), Some(&login.session))
        .await
        .unwrap();
    let app = &summary.application_summary[0];
    assert_eq!(app.app_record_uid, vault.app_uid.as_bytes().to_vec());
    assert_eq!((app.folder_shares, app.client_count), (1, 1));
}

#[tokio::test]
async fn get_secret_honours_requested_records() {
    let sb = TestSandbox::start().await;
    let wire = sb.wire();
    let login = wire.login(sb.descriptor()).await;
    let vault = folder_and_app(&wire, &login).await;
    share(&wire, &login, &vault, true).await.unwrap();
    let (token, key, owner) = bound_client(&wire, &login, &vault).await;
    let (first, second) = (Uid::generate(), Uid::generate());
    for uid in [&first, &second] {
        wire.ksm(
            "create_secret",
            &create_payload(&token, &vault, &owner, uid),
            &key,
        )
        .await
        .unwrap();
    }
    let mut payload = get_payload(&token, None);
    payload["requestedRecords"] = json!([second.to_string()]);
    let reply = wire
        .ksm("get_secret", &payload, &key)
        .await
        .unwrap()
        .unwrap();
    let records = reply["folders"][0]["records"].as_array().unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["recordUid"], second.to_string());
}
