//! Runs converge: many `new` processes started together against one account (each with its own
//! home, as CI jobs on different machines), and every step of `new` under every fault the sandbox
//! can inject, followed by a re-run — one folder, one application, one gateway per name, and the
//! token shown.

use crate::account_respect::{block_on, library_session};
use crate::support::{gw, json, new_args, stderr, ServedSandbox};
use gw_provision::keeper::auth::Session;
use gw_provision::keeper::ksm;
use gw_provision::keeper::proto::enterprise::AppClientType;
use gw_provision::keeper::vault;
use std::process::{Child, Output, Stdio};

/// A library session of the sandbox's demo account, to count what the runs made.
fn demo_session(sandbox: &ServedSandbox) -> Session {
    let d = &sandbox.descriptor;
    library_session(
        sandbox,
        d["user"].as_str().unwrap(),
        d["password"].as_str().unwrap(),
    )
}

/// Starts `new` for `gateway` in a home of its own, without waiting for it.
fn spawn_new(
    sandbox: &ServedSandbox,
    home: &std::path::Path,
    folder: &str,
    app: &str,
    gateway: &str,
) -> Child {
    let mut command = gw(home);
    command
        .arg("--sandbox-descriptor")
        .arg(&sandbox.descriptor_path)
        .args(new_args(folder, app, gateway, "linux"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command.spawn().expect("spawn gw-provision")
}

/// What the vault holds under these names: (root folders named `folder`, applications titled
/// `app`, gateway clients per name, whether the share is editable).
struct Census {
    folders: usize,
    apps: usize,
    gateways: Vec<String>,
    editable_share: bool,
}

fn census(session: &Session, folder: &str, app: &str) -> Census {
    let snapshot = block_on(vault::sync_down(session)).unwrap();
    let folders: Vec<_> = snapshot
        .shared_folders
        .iter()
        .filter(|f| f.at_root && f.name == folder)
        .collect();
    let apps: Vec<_> = snapshot
        .applications
        .iter()
        .filter(|a| a.title == app)
        .collect();
    let (gateways, editable_share) = match (apps.as_slice(), folders.as_slice()) {
        ([one], [f]) => {
            let info = block_on(ksm::get_app_info(session, &one.uid)).unwrap();
            let mut names: Vec<String> = info
                .clients
                .iter()
                .filter(|c| {
                    c.app_client_type == AppClientType::DiscoveryAndRotationController as i32
                })
                .map(|c| c.name.clone())
                .collect();
            names.sort();
            let editable = info
                .shares
                .iter()
                .any(|s| s.secret_uid == f.uid && s.editable);
            (names, editable)
        }
        _ => (Vec::new(), false),
    };
    Census {
        folders: folders.len(),
        apps: apps.len(),
        gateways,
        editable_share,
    }
}

#[test]
fn eight_runs_started_together_end_with_one_folder_one_app_and_each_gateway_once() {
    let sandbox = ServedSandbox::start();
    let homes: Vec<_> = (0..8).map(|_| tempfile::tempdir().unwrap()).collect();
    let children: Vec<Child> = homes
        .iter()
        .enumerate()
        .map(|(i, home)| {
            spawn_new(
                &sandbox,
                home.path(),
                "Race",
                "Race App",
                &format!("edge-{i}"),
            )
        })
        .collect();
    let outputs: Vec<Output> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    for output in &outputs {
        assert!(output.status.success(), "stderr: {}", stderr(output));
        assert!(
            json(output)["token"].is_string(),
            "every run shows its token"
        );
    }
    let session = demo_session(&sandbox);
    let seen = census(&session, "Race", "Race App");
    assert_eq!(
        (seen.folders, seen.apps),
        (1, 1),
        "one folder, one application"
    );
    assert!(seen.editable_share);
    let expected: Vec<String> = (0..8).map(|i| format!("edge-{i}")).collect();
    assert_eq!(seen.gateways, expected, "each gateway exactly once");
}

#[test]
fn eight_runs_racing_for_one_gateway_name_leave_exactly_one_gateway() {
    let sandbox = ServedSandbox::start();
    let homes: Vec<_> = (0..8).map(|_| tempfile::tempdir().unwrap()).collect();
    let children: Vec<Child> = homes
        .iter()
        .map(|home| spawn_new(&sandbox, home.path(), "Race", "Race App", "edge-1"))
        .collect();
    let outputs: Vec<Output> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let codes: Vec<Option<i32>> = outputs.iter().map(|o| o.status.code()).collect();
    for output in &outputs {
        let code = output.status.code();
        assert!(
            code == Some(0) || code == Some(4),
            "a run exits 0 or 4 (lost the race), got {code:?}: {}",
            stderr(output)
        );
    }
    assert!(codes.contains(&Some(0)), "one run wins: {codes:?}");
    let session = demo_session(&sandbox);
    let seen = census(&session, "Race", "Race App");
    assert_eq!((seen.folders, seen.apps), (1, 1));
    assert_eq!(seen.gateways, vec!["edge-1".to_owned()]);
}

/// The endpoints `new` calls, in order, with whether each is a read the client may repeat.
const STEPS: [(&str, bool); 7] = [
    ("login/account_summary", true),
    ("vault/sync_down", true),
    ("vault/execute_v2_command", false),
    ("vault/application_add", false),
    ("vault/app_share_add", false),
    ("vault/app_client_add", false),
    ("vault/get_app_info", true),
];

/// The exit code a run faulted once at `endpoint` must end with.
fn expected_exit(fault: &str, read: bool) -> i32 {
    match (fault, read) {
        // Throttling is waited out; an ended session is renewed and the refused request sent
        // again; reads are repeated after a 5xx, a drop or a lost reply.
        ("throttle" | "session_expired", _) | (_, true) => 0,
        ("http_500", false) => 7,
        // The connection closed with no reply: a network failure.
        (_, false) => 6,
    }
}

/// Every step × every fault: the faulted run's exit code, then (when it failed) a re-run with the
/// same arguments converges — one folder, one application, one Can Edit share, one gateway —
/// and exactly one of the two runs showed the token.
fn fault_matrix(fault: &str) {
    let sandbox = ServedSandbox::start();
    let session = demo_session(&sandbox);
    for (i, (endpoint, read)) in STEPS.iter().enumerate() {
        let (folder, app) = (format!("F{i}"), format!("A{i}"));
        let home = tempfile::tempdir().unwrap();
        sandbox.inject_fault(endpoint, fault, 1);
        let first = spawn_new(&sandbox, home.path(), &folder, &app, "edge-1")
            .wait_with_output()
            .unwrap();
        let expected = expected_exit(fault, *read);
        assert_eq!(
            first.status.code(),
            Some(expected),
            "{fault} at {endpoint}: {}",
            stderr(&first)
        );
        let mut tokens = usize::from(first.status.success());
        if !first.status.success() {
            let again = spawn_new(&sandbox, home.path(), &folder, &app, "edge-1")
                .wait_with_output()
                .unwrap();
            assert!(
                again.status.success(),
                "re-run after {fault} at {endpoint}: {}",
                stderr(&again)
            );
            assert!(
                json(&again)["token"].is_string(),
                "the re-run shows the token"
            );
            tokens += 1;
        }
        assert_eq!(tokens, 1);
        let seen = census(&session, &folder, &app);
        assert_eq!(
            (seen.folders, seen.apps, seen.editable_share),
            (1, 1, true),
            "{fault} at {endpoint}"
        );
        assert_eq!(
            seen.gateways,
            vec!["edge-1".to_owned()],
            "{fault} at {endpoint}"
        );
    }
}

#[test]
fn every_step_survives_an_http_500_and_a_rerun_converges() {
    fault_matrix("http_500");
}

#[test]
fn every_step_survives_a_dropped_connection_and_a_rerun_converges() {
    fault_matrix("drop");
}

#[test]
fn every_step_survives_a_lost_reply_and_a_rerun_converges() {
    fault_matrix("lost_reply");
}

#[test]
fn every_step_survives_throttling() {
    fault_matrix("throttle");
}

#[test]
fn every_step_survives_an_ended_session_by_logging_in_again() {
    fault_matrix("session_expired");
}

#[test]
fn a_saved_session_ended_mid_run_is_renewed_by_the_device_and_the_run_goes_on() {
    let sandbox = ServedSandbox::start();
    let mut add = sandbox.command();
    add.args([
        "sandbox",
        "add-user",
        "--email",
        "saved@example.com",
        "--password",
        "saved password 1",
    ]);
    assert!(add.output().unwrap().status.success());
    let mut login = sandbox.command();
    login
        .env("KEEPER_PASSWORD", "saved password 1")
        .args(["--user", "saved@example.com", "login"]);
    let login = login.output().unwrap();
    assert!(login.status.success(), "stderr: {}", stderr(&login));

    // No password from here on: only the saved session and its device.
    sandbox.inject_fault("vault/get_app_info", "session_expired", 1);
    for gateway in ["edge-1", "edge-2"] {
        let mut run = sandbox.command();
        run.args(["-v", "--user", "saved@example.com"])
            .args(new_args("F", "A", gateway, "linux"));
        let output = run.output().unwrap();
        assert!(output.status.success(), "stderr: {}", stderr(&output));
        assert!(json(&output)["token"].is_string());
    }
}
