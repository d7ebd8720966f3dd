//! The sandbox's SQLite store and request counting, driven through gw-provision's own Keeper
//! client: every acknowledged write survives `kill -9` of `gw-provision sandbox serve`, a legacy
//! `state.json` directory keeps serving its vault, and `/__sandbox/stats` counts Keeper API
//! requests per endpoint but not admin routes.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gw_provision::keeper::auth::{self, LoginOptions, LoginOutcome, Session};
use gw_provision::keeper::crypto::{b64url_decode, EcPublicKey};
use gw_provision::keeper::ksm;
use gw_provision::keeper::transport::{Transport, TransportOptions};
use gw_provision::keeper::uid::Uid;
use gw_provision::keeper::vault::{self, DefaultPermissions};
use gw_provision::sandbox::admin_client::AdminClient;
use gw_provision::sandbox::{start, Descriptor, SandboxOptions};

/// Logs the descriptor's demo account in with a fresh device.
async fn login(descriptor: &Descriptor) -> Session {
    let key = b64url_decode(&descriptor.server_public_key).unwrap();
    let mut options = TransportOptions::new(descriptor.host.parse().unwrap());
    options.custom_server_key = Some((
        descriptor.server_key_id,
        EcPublicKey::from_uncompressed(&key).unwrap(),
    ));
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
        other => panic!("the demo account should log in at once, got {other:?}"),
    }
}

#[cfg(unix)]
mod process {
    use super::*;

    pub fn serve(state: &Path, descriptor: &Path) -> Child {
        let _ = std::fs::remove_file(descriptor);
        Command::new(env!("CARGO_BIN_EXE_gw-provision"))
            .args(["sandbox", "serve", "--state"])
            .arg(state)
            .arg("--descriptor")
            .arg(descriptor)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    }

    pub fn wait_for_descriptor(path: &Path) -> Descriptor {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(text) = std::fs::read_to_string(path) {
                if let Ok(descriptor) = serde_json::from_str(&text) {
                    return descriptor;
                }
            }
            assert!(Instant::now() < deadline, "the sandbox wrote no descriptor");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `kill -9`, then reap the child.
    pub fn kill_9(child: &mut Child) {
        child.kill().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "the sandbox did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[cfg(unix)]
#[tokio::test]
async fn every_acknowledged_write_survives_kill_9() {
    use process::*;
    let dir = tempfile::tempdir().unwrap();
    let (state, file) = (dir.path().join("state"), dir.path().join("sandbox.json"));
    let mut child = serve(&state, &file);
    let descriptor = wait_for_descriptor(&file);
    let session = login(&descriptor).await;
    let mut folders = Vec::new();
    for i in 0..20 {
        let name = format!("acknowledged {i}");
        let folder = vault::add_shared_folder(&session, &name, DefaultPermissions::default())
            .await
            .unwrap();
        folders.push(folder.uid);
    }
    let app = ksm::add_application(&session, "acknowledged app")
        .await
        .unwrap();
    // No shutdown: the process dies between requests, with every reply above already received.
    kill_9(&mut child);

    let mut child = serve(&state, &file);
    let after = wait_for_descriptor(&file);
    assert_eq!(after.server_public_key, descriptor.server_public_key);
    let snapshot = vault::sync_down(&login(&after).await).await.unwrap();
    let kept: Vec<Uid> = snapshot.shared_folders.iter().map(|f| f.uid).collect();
    for uid in &folders {
        assert!(kept.contains(uid), "shared folder {uid} was lost");
    }
    assert!(snapshot.applications.iter().any(|a| a.uid == app.uid));
    kill_9(&mut child);
}

#[tokio::test]
async fn stats_count_keeper_requests_per_endpoint_but_not_admin_routes() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = start(SandboxOptions::new(dir.path())).await.unwrap();
    let admin = AdminClient::new(sandbox.descriptor()).unwrap();
    let session = login(sandbox.descriptor()).await;
    let logged_in = admin.stats().await.unwrap();
    assert_eq!(logged_in.get("authentication/start_login"), 1);
    assert_eq!(logged_in.get("authentication/validate_auth_hash"), 1);
    assert_eq!(logged_in.total, logged_in.requests.values().sum::<u64>());

    admin.reset_stats().await.unwrap();
    vault::sync_down(&session).await.unwrap();
    vault::sync_down(&session).await.unwrap();
    admin
        .device_approvals(&sandbox.descriptor().user)
        .await
        .unwrap();
    let stats = admin.stats().await.unwrap();
    // An empty vault is one page: one request per sync; the admin calls are not counted.
    assert_eq!(stats.total, 2, "{stats:?}");
    assert_eq!(stats.get("vault/sync_down"), 2);
    assert_eq!(stats.requests.len(), 1, "{stats:?}");

    admin.reset_stats().await.unwrap();
    assert_eq!(admin.stats().await.unwrap().total, 0);
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn stats_count_ksm_requests_under_their_sm_v1_path() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = start(SandboxOptions::new(dir.path())).await.unwrap();
    let admin = AdminClient::new(sandbox.descriptor()).unwrap();
    let http = reqwest::Client::builder()
        .tls_certs_merge(
            reqwest::Certificate::from_pem_bundle(sandbox.descriptor().ca_cert_pem.as_bytes())
                .unwrap(),
        )
        .build()
        .unwrap();
    // A malformed KSM call is refused, but it is still a request to that endpoint.
    let url = format!("{}/api/rest/sm/v1/get_secret", sandbox.descriptor().url);
    let refused = http.post(url).body("{}").send().await.unwrap();
    assert!(!refused.status().is_success());
    let stats = admin.stats().await.unwrap();
    assert_eq!(stats.get("sm/v1/get_secret"), 1, "{stats:?}");
    assert_eq!(stats.total, 1);
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_sandbox_restarted_in_process_keeps_writes_made_before_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = start(SandboxOptions::new(dir.path())).await.unwrap();
    let session = login(sandbox.descriptor()).await;
    let folder = vault::add_shared_folder(&session, "kept", DefaultPermissions::default())
        .await
        .unwrap();
    sandbox.shutdown().await.unwrap();

    let sandbox = start(SandboxOptions::new(dir.path())).await.unwrap();
    let snapshot = vault::sync_down(&login(sandbox.descriptor()).await)
        .await
        .unwrap();
    assert!(snapshot.shared_folders.iter().any(|f| f.uid == folder.uid));
    assert!(dir.path().join("state.sqlite3").exists());
    assert!(!dir.path().join("state.json").exists());
    sandbox.shutdown().await.unwrap();
}
