//! Round trips through gw-provision's own client modules (`keeper::auth`, `vault`, `ksm`, `pam`)
//! against the sandbox: login, create, find, share, mint, list, redeem, remove.

use gw_provision::keeper::auth::{self, LoginOptions, LoginOutcome, Session};
use gw_provision::keeper::crypto::{b64url_decode, EcPublicKey};
use gw_provision::keeper::ksm::{self, RedeemOptions};
use gw_provision::keeper::transport::{Transport, TransportOptions};
use gw_provision::keeper::vault::{self, DefaultPermissions};
use gw_provision::keeper::{pam, server::Server};
use gw_provision::sandbox::{start, Descriptor, RunningSandbox, SandboxOptions};

async fn sandbox() -> (RunningSandbox, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = start(SandboxOptions::new(dir.path())).await.unwrap();
    (sandbox, dir)
}

fn server_key(descriptor: &Descriptor) -> (i32, EcPublicKey) {
    let point = b64url_decode(&descriptor.server_public_key).unwrap();
    (
        descriptor.server_key_id,
        EcPublicKey::from_uncompressed(&point).unwrap(),
    )
}

async fn login(descriptor: &Descriptor) -> Session {
    let mut options = TransportOptions::new(descriptor.host.parse::<Server>().unwrap());
    options.custom_server_key = Some(server_key(descriptor));
    options.ca_cert_pem = Some(descriptor.ca_cert_pem.clone());
    let transport = Transport::new(options).unwrap();
    let outcome = auth::login_with_password(
        &transport,
        None,
        &descriptor.user,
        &descriptor.password,
        &LoginOptions::default(),
    )
    .await
    .unwrap();
    match outcome {
        LoginOutcome::LoggedIn(session) => *session,
        other => panic!("expected a session, got {other:?}"),
    }
}

#[tokio::test]
async fn client_logs_in_creates_finds_shares_mints_lists_redeems_and_removes() {
    let (sb, _dir) = sandbox().await;
    let descriptor = sb.descriptor().clone();
    let session = login(&descriptor).await;

    let folder = vault::add_shared_folder(&session, "Gateway SF", DefaultPermissions::default())
        .await
        .unwrap();
    let app = ksm::add_application(&session, "Gateway App").await.unwrap();

    let snapshot = vault::sync_down(&session).await.unwrap();
    let found = snapshot
        .find_shared_folder("Gateway SF")
        .expect("folder found by name");
    assert_eq!(
        (found.uid, &found.key, found.at_root),
        (folder.uid, &folder.key, true)
    );
    let found_app = snapshot
        .find_application("Gateway App")
        .expect("app found by title");
    assert_eq!((found_app.uid, &found_app.key), (app.uid, &app.key));

    ksm::share_folder(&session, &app, &folder, true)
        .await
        .unwrap();
    let info = ksm::get_app_info(&session, &app.uid).await.unwrap();
    assert_eq!(info.shares.len(), 1);
    assert!(info.shares[0].editable);

    let gateway = ksm::add_gateway_client(&session, &app, "GW-1", 60)
        .await
        .unwrap();
    let gateways = pam::get_controllers(&session).await.unwrap();
    assert_eq!(gateways.len(), 1);
    assert_eq!(gateways[0].name, "GW-1");
    assert!(!gateways[0].is_initialized);

    let options = RedeemOptions {
        hostname: Some(descriptor.host.clone()),
        server_public_key: Some(server_key(&descriptor)),
        ca_cert_pem: Some(descriptor.ca_cert_pem.clone()),
    };
    let config = ksm::redeem(&gateway.token, &options).await.unwrap();
    assert_eq!(config.app_key, app.key);
    assert!(
        ksm::redeem(&gateway.token, &options).await.is_err(),
        "a token redeems once"
    );
    let gateways = pam::get_controllers(&session).await.unwrap();
    assert!(gateways[0].is_initialized);

    pam::remove_controller(&session, &gateways[0].uid)
        .await
        .unwrap();
    assert!(pam::get_controllers(&session).await.unwrap().is_empty());
    let info = ksm::get_app_info(&session, &app.uid).await.unwrap();
    assert!(
        info.clients.is_empty(),
        "removing the gateway removes its KSM client"
    );

    ksm::remove_shares(&session, &app.uid, &[folder.uid])
        .await
        .unwrap();
    assert!(ksm::get_app_info(&session, &app.uid)
        .await
        .unwrap()
        .shares
        .is_empty());
    session.logout().await.unwrap();
}

#[tokio::test]
async fn client_resumes_with_its_clone_code_after_registering_the_device_data_key() {
    let (sb, _dir) = sandbox().await;
    let descriptor = sb.descriptor().clone();
    let session = login(&descriptor).await;
    session.register_data_key_for_device().await.unwrap();
    let device = session
        .device_credentials()
        .cloned()
        .expect("device credentials");
    let transport = session.transport().clone();
    let outcome = auth::resume_login(&transport, device, &LoginOptions::default())
        .await
        .unwrap();
    match outcome {
        LoginOutcome::LoggedIn(resumed) => assert_eq!(resumed.data_key(), session.data_key()),
        other => panic!("expected a resumed session, got {other:?}"),
    }
}
