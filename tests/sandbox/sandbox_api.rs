//! The sandbox as a server: descriptor, state directory, login, session and error behaviour.

use crate::support::sandbox::{TestSandbox, Wire};
use gw_provision::keeper::crypto::{aes_gcm_encrypt, ecies_decrypt, ecies_encrypt, AesKey};
use gw_provision::keeper::proto::account_summary::{AccountSummaryElements, AccountSummaryRequest};
use gw_provision::keeper::proto::authentication::{
    ApiRequest, LoginResponse, RegisterDeviceDataKeyRequest, StartLoginRequest,
};
use gw_provision::sandbox::{start, SandboxError, SandboxOptions};
use prost::Message;

#[tokio::test]
async fn descriptor_json_has_exactly_the_documented_keys_and_debug_hides_the_password() {
    let sb = TestSandbox::start().await;
    let d = sb.descriptor();
    let json = serde_json::to_value(d).unwrap();
    let mut keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "ca_cert_pem",
            "host",
            "password",
            "server_key_id",
            "server_public_key",
            "url",
            "user"
        ]
    );
    assert_eq!(d.server_key_id, 7);
    assert_eq!(d.url, format!("https://{}", d.host));
    assert!(d.host.starts_with("127.0.0.1:"));
    assert_eq!(
        gw_provision::keeper::crypto::b64url_decode(&d.server_public_key)
            .unwrap()
            .len(),
        65
    );
    assert!(!format!("{d:?}").contains(&d.password));
}

#[tokio::test]
async fn restarted_sandbox_keeps_its_descriptor_except_the_port() {
    let dir = tempfile::tempdir().unwrap();
    let first = start(SandboxOptions::new(dir.path())).await.unwrap();
    let before = first.descriptor().clone();
    first.shutdown().await.unwrap();
    let second = start(SandboxOptions::new(dir.path())).await.unwrap();
    let after = second.descriptor().clone();
    assert_eq!(
        (
            &before.ca_cert_pem,
            &before.server_public_key,
            &before.user,
            &before.password
        ),
        (
            &after.ca_cert_pem,
            &after.server_public_key,
            &after.user,
            &after.password
        )
    );
    second.shutdown().await.unwrap();
}

#[tokio::test]
async fn second_sandbox_on_a_locked_state_dir_fails_with_a_clear_error() {
    let sb = TestSandbox::start().await;
    let err = start(SandboxOptions::new(sb.dir.path().join("state")))
        .await
        .unwrap_err();
    assert!(matches!(err, SandboxError::State(_)), "{err}");
    assert!(
        err.to_string().contains("in use by another sandbox"),
        "{err}"
    );
}

#[tokio::test]
async fn demo_account_logs_in_and_gets_a_usable_account_summary() {
    let sb = TestSandbox::start().await;
    let wire = sb.wire();
    let login = wire.login(sb.descriptor()).await;
    assert_eq!(login.username, sb.descriptor().user);
    assert!(!login.clone_code.is_empty());
    let summary: AccountSummaryElements = wire
        .call(
            "login/account_summary",
            &AccountSummaryRequest {
                summary_version: 3,
                include_recent_activity: false,
            },
            Some(&login.session),
        )
        .await
        .unwrap();
    assert!(summary.settings.is_some() && summary.license.is_some());
    let keys = summary.keys_info.unwrap();
    let ecc = gw_provision::keeper::crypto::aes_gcm_decrypt(
        &login.data_key,
        &keys.encrypted_ecc_private_key,
    )
    .unwrap();
    let ecc = gw_provision::keeper::crypto::EcPrivateKey::from_bytes(&ecc).unwrap();
    assert_eq!(ecc.public_key().to_uncompressed(), keys.ecc_public_key);
    let rsa =
        gw_provision::keeper::crypto::aes_cbc_decrypt(&login.data_key, &keys.encrypted_private_key)
            .unwrap();
    gw_provision::keeper::crypto::RsaPrivateKey::from_pkcs1_der(&rsa).unwrap();
}

#[tokio::test]
async fn wrong_password_is_auth_failed() {
    let sb = TestSandbox::start().await;
    let wire = sb.wire();
    let (_, device) = wire.register_device().await;
    let err = wire
        .password_login(&device, &sb.descriptor().user, "not the password")
        .await
        .unwrap_err();
    assert_eq!((err.status, err.code()), (401, "auth_failed"));
    assert!(err.body["message"].is_string());
}

#[tokio::test]
async fn unregistered_device_gets_device_not_registered_with_additional_info() {
    let sb = TestSandbox::start().await;
    let err = sb
        .wire()
        .call::<LoginResponse>(
            "authentication/start_login",
            &StartLoginRequest {
                encrypted_device_token: vec![1; 64],
                username: sb.descriptor().user.clone(),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "device_not_registered");
    assert_eq!(err.body["additional_info"], "");
}

#[tokio::test]
async fn request_under_another_key_id_gets_key_error_naming_key_7() {
    let sb = TestSandbox::start().await;
    let mut wire = sb.wire();
    wire.key_id = 8;
    let err = wire
        .rest("authentication/register_device", b"", None)
        .await
        .unwrap_err();
    assert_eq!((err.status, err.code()), (401, "key"));
    assert_eq!(err.body["key_id"], 7);
}

#[tokio::test]
async fn transmission_key_for_keepers_real_key_gets_key_error() {
    let sb = TestSandbox::start().await;
    let wire = sb.wire();
    let stranger = gw_provision::keeper::crypto::EcPrivateKey::generate();
    let key = AesKey::generate();
    let body = ApiRequest {
        encrypted_transmission_key: ecies_encrypt(&stranger.public_key(), key.as_bytes()),
        public_key_id: 7,
        encrypted_payload: aes_gcm_encrypt(&key, b""),
        ..Default::default()
    };
    let response = wire
        .post_raw("authentication/start_login", body.encode_to_vec())
        .await;
    assert_eq!(response.status(), 401);
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        (json["error"].as_str(), json["key_id"].as_i64()),
        (Some("key"), Some(7))
    );
}

#[tokio::test]
async fn malformed_protobuf_is_bad_request_json_not_a_hang() {
    let sb = TestSandbox::start().await;
    let response = sb
        .wire()
        .post_raw("vault/sync_down", b"\x0a\xff\xff\xff".to_vec())
        .await;
    assert_eq!(response.status(), 400);
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(json["error"], "bad_request");
}

#[tokio::test]
async fn malformed_endpoint_payload_is_bad_request() {
    let sb = TestSandbox::start().await;
    let err = sb
        .wire()
        .rest("authentication/start_login", b"\xff\xff\xff\xff", None)
        .await
        .unwrap_err();
    assert_eq!((err.status, err.code()), (400, "bad_request"));
}

#[tokio::test]
async fn unknown_endpoint_error_names_the_endpoint() {
    let sb = TestSandbox::start().await;
    let err = sb
        .wire()
        .rest("vault/no_such_thing", b"", None)
        .await
        .unwrap_err();
    assert_eq!(err.status, 404);
    assert!(err.body["message"]
        .as_str()
        .unwrap()
        .contains("vault/no_such_thing"));
}

#[tokio::test]
async fn oversized_body_is_refused_with_json() {
    let sb = TestSandbox::start().await;
    let response = sb
        .wire()
        .post_raw("vault/sync_down", vec![0u8; 5 * 1024 * 1024])
        .await;
    assert_eq!(response.status(), 413);
    let json: serde_json::Value = response.json().await.unwrap();
    assert!(json["message"].is_string());
}

#[tokio::test]
async fn unknown_session_token_is_session_token_expired_and_missing_one_is_bad_request() {
    let sb = TestSandbox::start().await;
    let wire = sb.wire();
    let err = wire
        .rest("keep_alive", b"", Some(&[9u8; 48]))
        .await
        .unwrap_err();
    assert_eq!((err.status, err.code()), (401, "session_token_expired"));
    let err = wire.rest("keep_alive", b"", None).await.unwrap_err();
    assert_eq!((err.status, err.code()), (400, "bad_request"));
}

#[tokio::test]
async fn logout_ends_the_session() {
    let sb = TestSandbox::start().await;
    let wire = sb.wire();
    let login = wire.login(sb.descriptor()).await;
    wire.rest("keep_alive", b"", Some(&login.session))
        .await
        .unwrap();
    wire.rest("vault/logout_v3", b"", Some(&login.session))
        .await
        .unwrap();
    let err = wire
        .rest("keep_alive", b"", Some(&login.session))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "session_token_expired");
}

async fn resume(wire: &Wire, device: &[u8], clone_code: &[u8]) -> LoginResponse {
    wire.call(
        "authentication/start_login",
        &StartLoginRequest {
            encrypted_device_token: device.to_vec(),
            client_version: "c18.1.0".into(),
            login_method: 1,
            clone_code: clone_code.to_vec(),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn clone_code_resumes_with_the_device_data_key_and_rotates_every_login() {
    let sb = TestSandbox::start().await;
    let wire = sb.wire();
    let login = wire.login(sb.descriptor()).await;
    let wrapped = ecies_encrypt(&login.device_key.public_key(), login.data_key.as_bytes());
    wire.rest(
        "authentication/register_encrypted_data_key_for_device",
        &RegisterDeviceDataKeyRequest {
            encrypted_device_token: login.device.clone(),
            encrypted_device_data_key: wrapped,
        }
        .encode_to_vec(),
        Some(&login.session),
    )
    .await
    .unwrap();

    let resumed = resume(&wire, &login.device, &login.clone_code).await;
    assert_eq!(resumed.login_state, 99, "LOGGED_IN");
    assert_eq!(resumed.encrypted_data_key_type, 1, "BY_DEVICE_PUBLIC_KEY");
    let data_key = ecies_decrypt(&login.device_key, &resumed.encrypted_data_key).unwrap();
    assert_eq!(data_key, login.data_key.as_bytes().to_vec());
    assert_ne!(resumed.clone_code, login.clone_code);

    let stale = resume(&wire, &login.device, &login.clone_code).await;
    assert_ne!(
        stale.login_state, 99,
        "a used clone code must not log in again"
    );
}

#[tokio::test]
async fn second_data_key_registration_for_a_device_is_device_data_key_exists() {
    let sb = TestSandbox::start().await;
    let wire = sb.wire();
    let login = wire.login(sb.descriptor()).await;
    let body = RegisterDeviceDataKeyRequest {
        encrypted_device_token: login.device.clone(),
        encrypted_device_data_key: vec![4; 125],
    }
    .encode_to_vec();
    let endpoint = "authentication/register_encrypted_data_key_for_device";
    wire.rest(endpoint, &body, Some(&login.session))
        .await
        .unwrap();
    let err = wire
        .rest(endpoint, &body, Some(&login.session))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "device_data_key_exists");
}

#[tokio::test]
async fn sessions_and_vault_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let first = start(SandboxOptions::new(dir.path())).await.unwrap();
    let descriptor = first.descriptor().clone();
    let login = Wire::new(&descriptor).login(&descriptor).await;
    first.shutdown().await.unwrap();

    let second = start(SandboxOptions::new(dir.path())).await.unwrap();
    let wire = Wire::new(second.descriptor());
    wire.rest("keep_alive", b"", Some(&login.session))
        .await
        .unwrap();
    second.shutdown().await.unwrap();
}

#[tokio::test]
async fn seeded_vault_syncs_in_pages_of_1000_records() {
    let dir = tempfile::tempdir().unwrap();
    gw_provision::sandbox::seed_records(dir.path(), 2_500).unwrap();
    let sb = start(SandboxOptions::new(dir.path())).await.unwrap();
    let wire = Wire::new(sb.descriptor());
    let login = wire.login(sb.descriptor()).await;
    let pages = wire.sync_all(&login.session).await;
    let sizes: Vec<usize> = pages.iter().map(|p| p.records.len()).collect();
    assert_eq!(sizes, [1_000, 1_000, 500]);
    let first = &pages[0];
    let meta = &first.record_meta_data[0];
    let key =
        gw_provision::keeper::crypto::aes_gcm_decrypt(&login.data_key, &meta.record_key).unwrap();
    let record = first
        .records
        .iter()
        .find(|r| r.record_uid == meta.record_uid)
        .unwrap();
    let data = gw_provision::keeper::crypto::aes_gcm_decrypt(
        &AesKey::from_slice(&key).unwrap(),
        &record.data,
    )
    .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&data).unwrap();
    assert_eq!(json["type"], "login");
    sb.shutdown().await.unwrap();
}
