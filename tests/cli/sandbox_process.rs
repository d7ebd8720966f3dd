//! `gw-provision sandbox serve` as a process: SIGTERM shuts it down cleanly, and `kill -9` after
//! an acknowledged change loses nothing and corrupts nothing. Unix only: it sends POSIX signals.
#![cfg(unix)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::sandbox::Wire;
use gw_provision::keeper::crypto::{aes_cbc_encrypt, b64url_encode, AesKey};
use gw_provision::keeper::uid::Uid;
use gw_provision::sandbox::Descriptor;
use serde_json::json;

fn serve(state: &Path, descriptor: &Path) -> Child {
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

fn wait_for_descriptor(path: &Path) -> Descriptor {
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

fn wait_exit(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "the sandbox did not exit");
        std::thread::sleep(Duration::from_millis(50));
    }
}

async fn add_folder(descriptor: &Descriptor, name: &str) -> Uid {
    let wire = Wire::new(descriptor);
    let login = wire.login(descriptor).await;
    let uid = Uid::generate();
    let key = AesKey::generate();
    let reply = wire
        .v2(
            &login.session,
            &login.username,
            json!({
                "command": "folder_add",
                "folder_uid": uid.to_string(),
                "folder_type": "shared_folder",
                "key": b64url_encode(&aes_cbc_encrypt(&login.data_key, key.as_bytes())),
                "data": b64url_encode(&aes_cbc_encrypt(&key, json!({"name": name}).to_string().as_bytes())),
            }),
        )
        .await;
    assert_eq!(reply["result"], "success");
    uid
}

async fn folder_uids(descriptor: &Descriptor) -> Vec<Vec<u8>> {
    let wire = Wire::new(descriptor);
    let login = wire.login(descriptor).await;
    wire.sync_all(&login.session)
        .await
        .iter()
        .flat_map(|p| p.shared_folders.iter().map(|f| f.shared_folder_uid.clone()))
        .collect()
}

#[tokio::test]
async fn kill_9_after_an_acknowledged_change_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (state, file) = (dir.path().join("state"), dir.path().join("sandbox.json"));
    let mut child = serve(&state, &file);
    let before = wait_for_descriptor(&file);
    let uid = add_folder(&before, "survives kill -9").await;
    child.kill().unwrap();
    wait_exit(&mut child);

    let mut child = serve(&state, &file);
    let after = wait_for_descriptor(&file);
    assert_eq!(after.server_public_key, before.server_public_key);
    assert!(folder_uids(&after).await.contains(&uid.as_bytes().to_vec()));
    child.kill().unwrap();
    wait_exit(&mut child);
}

#[tokio::test]
async fn sigterm_exits_zero_and_releases_the_state_lock() {
    let dir = tempfile::tempdir().unwrap();
    let (state, file) = (dir.path().join("state"), dir.path().join("sandbox.json"));
    let mut child = serve(&state, &file);
    wait_for_descriptor(&file);
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert!(wait_exit(&mut child).success());

    let mut again = serve(&state, &file);
    wait_for_descriptor(&file);
    again.kill().unwrap();
    wait_exit(&mut again);
}

#[tokio::test]
async fn descriptor_file_is_private_to_its_owner() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (state, file) = (dir.path().join("state"), dir.path().join("sandbox.json"));
    let mut child = serve(&state, &file);
    wait_for_descriptor(&file);
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    child.kill().unwrap();
    wait_exit(&mut child);
}
