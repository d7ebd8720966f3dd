//! Keeper's official Rust KSM SDK (`keeper-secrets-manager-core`) against the sandbox: it must
//! redeem a gateway token, list the shared folder, and create a record through an editable share.

use crate::support::sandbox::{add_gateway, folder_and_app, in_an_hour, share, TestSandbox, Token};
use gw_provision::keeper::crypto::{b64_std_encode, b64url_encode};
use gw_provision::sandbox::Descriptor;
use keeper_secrets_manager_core::dto::dtos::RecordCreate;
use keeper_secrets_manager_core::dto::payload::{
    EncryptedPayload, KsmHttpResponse, TransmissionKey,
};
use keeper_secrets_manager_core::{
    ClientOptions, InMemoryKeyValueStorage, KSMRError, KvStoreType, SecretsManager,
};

/// Builds the SDK the way a gateway pointed at the sandbox would: bare token secret, hostname
/// separately (a `host:port:` prefix would be misparsed), the sandbox key as custom key id 7.
///
/// The SDK keeps only the host of its hostname (`helpers.rs::get_servers` drops the port), so
/// the HTTP hop goes through its custom-post hook, which re-sends the SDK's exact headers and
/// body to the sandbox's port with full TLS verification against the sandbox CA. Everything
/// else — envelope crypto, signing, reply parsing and decryption — is the SDK's own code.
fn sdk(descriptor: &Descriptor, token: &Token) -> SecretsManager {
    let mut options = ClientOptions::new_client_options_with_token(
        b64url_encode(&token.secret),
        KvStoreType::InMemory(InMemoryKeyValueStorage::new(None).unwrap()),
    );
    options.hostname = Some(descriptor.host.clone());
    options.set_server_public_key(&descriptor.server_public_key);
    options.set_server_public_key_id(&descriptor.server_key_id.to_string());
    let base = descriptor.url.clone();
    let ca = reqwest::Certificate::from_pem(descriptor.ca_cert_pem.as_bytes()).unwrap();
    let http = reqwest::blocking::Client::builder()
        .tls_certs_merge([ca])
        .build()
        .unwrap();
    options.set_custom_post_function(
        move |url: String, key: TransmissionKey, payload: EncryptedPayload| {
            let path = url
                .split_once("/api/rest/")
                .map(|(_, p)| p)
                .unwrap_or_default();
            let response = http
                .post(format!("{base}/api/rest/{path}"))
                .header("Content-Type", "application/octet-stream")
                .header("PublicKeyId", key.public_key_id.clone())
                .header("TransmissionKey", b64_std_encode(&key.encrypted_key))
                .header(
                    "Authorization",
                    format!("Signature {}", b64_std_encode(payload.signature.as_bytes())),
                )
                .body(payload.encrypted_payload)
                .send()
                .map_err(|e| KSMRError::HTTPError(e.to_string()))?;
            let status = response.status().as_u16();
            let body = response
                .bytes()
                .map_err(|e| KSMRError::HTTPError(e.to_string()))?;
            let text = String::from_utf8_lossy(&body).to_string();
            Ok(KsmHttpResponse::new(status, body.to_vec(), text))
        },
    );
    SecretsManager::new(options).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_sdk_redeems_lists_and_creates_through_an_editable_share() {
    let sb = TestSandbox::start().await;
    let wire = sb.wire();
    let login = wire.login(sb.descriptor()).await;
    let vault = folder_and_app(&wire, &login).await;
    share(&wire, &login, &vault, true).await.unwrap();
    let token = Token::generate();
    add_gateway(&wire, &login, &vault, &token, in_an_hour()).await;

    let descriptor = sb.descriptor().clone();
    let folder_uid = vault.folder_uid.to_string();
    let (folders, created, listed) = tokio::task::spawn_blocking(move || {
        let mut sm = sdk(&descriptor, &token);
        let first = sm.get_secrets(Vec::new()).expect("binding get_secret");
        assert!(first.is_empty());
        let folders = sm.get_folders().expect("get_folders");
        let record = RecordCreate::new("login", "created by the Rust SDK", None);
        let created = sm
            .create_secret(&folder_uid, record)
            .expect("create_secret");
        let listed = sm.get_secrets(Vec::new()).expect("get_secret after create");
        (folders, created, listed)
    })
    .await
    .unwrap();

    assert_eq!(folders.len(), 1);
    assert_eq!(folders[0].folder_uid, vault.folder_uid.to_string());
    assert_eq!(folders[0].name, "Gateway SF");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].uid, created);
    assert_eq!(listed[0].title, "created by the Rust SDK");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_sdk_create_through_a_read_only_share_fails() {
    let sb = TestSandbox::start().await;
    let wire = sb.wire();
    let login = wire.login(sb.descriptor()).await;
    let vault = folder_and_app(&wire, &login).await;
    share(&wire, &login, &vault, false).await.unwrap();
    let token = Token::generate();
    add_gateway(&wire, &login, &vault, &token, in_an_hour()).await;

    let descriptor = sb.descriptor().clone();
    let folder_uid = vault.folder_uid.to_string();
    let error = tokio::task::spawn_blocking(move || {
        let mut sm = sdk(&descriptor, &token);
        sm.get_secrets(Vec::new()).expect("binding get_secret");
        let record = RecordCreate::new("login", "should not exist", None);
        sm.create_secret(&folder_uid, record).unwrap_err()
    })
    .await
    .unwrap();
    assert!(error.to_string().contains("access_denied"), "{error}");
}
