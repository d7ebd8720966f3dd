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

/// A background sandbox of `sandbox start`, killed on drop if a test left it running.
struct Started {
    descriptor: std::path::PathBuf,
}

impl Drop for Started {
    fn drop(&mut self) {
        let pid = std::fs::read_to_string(self.descriptor.with_extension("pid"));
        if let Ok(pid) = pid {
            let _ = Command::new("kill").args(["-9", pid.trim()]).status();
        }
    }
}

fn gw_in(home: &Path, args: &[&str]) -> std::process::Output {
    let mut command = crate::support::gw(home);
    command.args(args);
    command.output().unwrap()
}

#[test]
fn serve_prints_one_ready_line_once_the_descriptor_and_pid_file_are_written() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let (state, file) = (dir.path().join("state"), dir.path().join("sandbox.json"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_gw-provision"))
        .args(["sandbox", "serve", "--state"])
        .arg(&state)
        .arg("--descriptor")
        .arg(&file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    // At the moment the line appears, the descriptor is whole and the pid is recorded.
    let descriptor: Descriptor =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(
        line,
        format!(
            "sandbox ready on {} (descriptor: {})\n",
            descriptor.url,
            file.display()
        )
    );
    let pid = std::fs::read_to_string(dir.path().join("sandbox.pid")).unwrap();
    assert_eq!(pid.trim(), child.id().to_string());
    child.kill().unwrap();
    wait_exit(&mut child);
}

#[test]
fn ctrl_c_ends_serve_with_exit_0_without_a_rerun_hint_and_takes_its_files_away() {
    let dir = tempfile::tempdir().unwrap();
    let (state, file) = (dir.path().join("state"), dir.path().join("sandbox.json"));
    let child = Command::new(env!("CARGO_BIN_EXE_gw-provision"))
        .args(["sandbox", "serve", "--state"])
        .arg(&state)
        .arg("--descriptor")
        .arg(&file)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_descriptor(&file);
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("re-run"), "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
    assert!(
        !file.exists(),
        "the descriptor of a stopped sandbox is removed"
    );
    assert!(!dir.path().join("sandbox.pid").exists());
}

#[test]
fn start_returns_once_ready_so_the_next_command_needs_no_sleep_and_stop_ends_it() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("sb.json");
    let descriptor = file.to_str().unwrap();
    let _guard = Started {
        descriptor: file.clone(),
    };
    let started = gw_in(
        home.path(),
        &["sandbox", "start", "--descriptor", descriptor],
    );
    let stdout = String::from_utf8_lossy(&started.stdout);
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );
    assert!(
        stdout.starts_with("sandbox ready on https://127.0.0.1:"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with(&format!("(descriptor: {descriptor})\n")),
        "{stdout}"
    );

    // No sleep: the sandbox answers as soon as `start` has returned.
    let whoami = gw_in(home.path(), &["--sandbox-descriptor", descriptor, "whoami"]);
    assert!(
        whoami.status.success(),
        "{}",
        String::from_utf8_lossy(&whoami.stderr)
    );

    let twice = gw_in(
        home.path(),
        &["sandbox", "start", "--descriptor", descriptor],
    );
    assert_eq!(twice.status.code(), Some(4), "a second start is a conflict");

    let stopped = gw_in(
        home.path(),
        &["sandbox", "stop", "--descriptor", descriptor],
    );
    assert!(
        stopped.status.success(),
        "{}",
        String::from_utf8_lossy(&stopped.stderr)
    );
    assert!(String::from_utf8_lossy(&stopped.stderr).contains("sandbox stopped (pid "));
    assert!(!file.exists());

    let again = gw_in(
        home.path(),
        &["sandbox", "stop", "--descriptor", descriptor],
    );
    assert_eq!(again.status.code(), Some(5));
    assert!(
        String::from_utf8_lossy(&again.stderr)
            .contains(&format!("no sandbox is running for {descriptor}")),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

#[test]
fn start_and_stop_print_objects_that_match_their_schemas() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("sb.json");
    let descriptor = file.to_str().unwrap();
    let _guard = Started {
        descriptor: file.clone(),
    };
    let started = gw_in(
        home.path(),
        &[
            "--output",
            "json",
            "sandbox",
            "start",
            "--descriptor",
            descriptor,
        ],
    );
    let ready = crate::support::json(&started);
    crate::support::assert_matches_schema("sandbox-ready", &ready);
    assert_eq!(ready["detached"], true);
    let pid = std::fs::read_to_string(file.with_extension("pid")).unwrap();
    assert_eq!(ready["pid"].to_string(), pid.trim());

    let stopped = gw_in(
        home.path(),
        &[
            "--output",
            "json",
            "sandbox",
            "stop",
            "--descriptor",
            descriptor,
        ],
    );
    let doc = crate::support::json(&stopped);
    crate::support::assert_matches_schema("sandbox-stop", &doc);
    assert_eq!(doc["pid"], ready["pid"]);
}

#[test]
fn whoami_after_logout_says_not_logged_in_until_login() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("sb.json");
    let descriptor = file.to_str().unwrap();
    let _guard = Started {
        descriptor: file.clone(),
    };
    assert!(gw_in(
        home.path(),
        &["sandbox", "start", "--descriptor", descriptor]
    )
    .status
    .success());
    let with = |args: &[&str]| {
        let mut all = vec!["--sandbox-descriptor", descriptor];
        all.extend_from_slice(args);
        gw_in(home.path(), &all)
    };
    assert!(with(&["whoami"]).status.success());

    let logout = with(&["logout"]);
    assert!(logout.status.success());

    let whoami = with(&["whoami"]);
    let stderr = String::from_utf8_lossy(&whoami.stderr);
    assert_eq!(whoami.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("not logged in"), "{stderr}");

    let password: Descriptor =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let mut login = crate::support::gw(home.path());
    login.env("KEEPER_PASSWORD", &password.password).args([
        "--sandbox-descriptor",
        descriptor,
        "login",
    ]);
    let login = login.output().unwrap();
    assert!(
        login.status.success(),
        "{}",
        String::from_utf8_lossy(&login.stderr)
    );
    assert!(with(&["whoami"]).status.success());
    assert!(gw_in(
        home.path(),
        &["sandbox", "stop", "--descriptor", descriptor]
    )
    .status
    .success());
}
