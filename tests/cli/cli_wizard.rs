//! The `new` wizard in a pseudo-terminal, answered like a person would.
#![cfg(unix)]

use crate::support::ServedSandbox;
use assert_cmd::cargo::cargo_bin;
use expectrl::{Eof, Session};
use std::time::Duration;

const DOWN: &str = "\x1b[B";
const ENTER: &str = "\r";

fn wizard(sandbox: &ServedSandbox, extra: &[&str]) -> Session {
    let mut command = sandbox.terminal_command(cargo_bin("gw-provision"));
    command
        .arg("--sandbox-descriptor")
        .arg(&sandbox.descriptor_path)
        .arg("new")
        .args(extra);
    let mut session = Session::spawn(command).expect("spawn in a pty");
    session.set_expect_timeout(Some(Duration::from_secs(60)));
    session
}

fn exit_code(session: &mut Session) -> i32 {
    match session.get_process_mut().wait().expect("wait") {
        expectrl::WaitStatus::Exited(_, code) => code,
        other => panic!("unexpected status {other:?}"),
    }
}

#[test]
fn wizard_asks_for_each_input_then_provisions() {
    let sandbox = ServedSandbox::start();
    let mut p = wizard(&sandbox, &[]);
    p.expect("Shared folder for the gateway").unwrap();
    p.send(ENTER).unwrap(); // the only choice: create a new one
    p.expect("New shared folder name").unwrap();
    p.send("Wizard Folder").unwrap();
    p.send(ENTER).unwrap();
    p.expect("KSM application").unwrap();
    p.send(ENTER).unwrap();
    p.expect("New application title").unwrap();
    p.send("Wizard App").unwrap();
    p.send(ENTER).unwrap();
    p.expect("Gateway name").unwrap();
    p.send("wiz-1").unwrap();
    p.send(ENTER).unwrap();
    // A new application has no gateways: nothing to ask about new or existing.
    p.expect("Where will the gateway run?").unwrap();
    p.send(DOWN).unwrap(); // macOS
    p.send(ENTER).unwrap();
    p.expect("Create a PAM configuration for this gateway?")
        .unwrap();
    p.send("y").unwrap();
    p.expect("PAM configuration title").unwrap();
    p.send(ENTER).unwrap(); // the default, "wiz-1 Configuration"
    p.expect("PAM config").unwrap(); // the plan's row
    p.expect("Go ahead?").unwrap();
    p.send("y").unwrap();
    p.expect("wiz-1 Configuration (local)").unwrap();
    p.expect("sudo bash -s -- --token").unwrap();
    p.expect(Eof).unwrap();
    assert_eq!(exit_code(&mut p), 0);

    // The second time, the folder and app are offered as existing choices, and the
    // application now has a gateway: new or existing is asked before anything else.
    let mut p = wizard(&sandbox, &["--gateway", "wiz-2", "--os", "linux"]);
    p.expect("Wizard Folder").unwrap();
    p.send(ENTER).unwrap();
    p.expect("Wizard App").unwrap();
    p.send(ENTER).unwrap();
    p.expect("New or existing gateway?").unwrap();
    p.send(ENTER).unwrap();
    p.expect("Create a PAM configuration for this gateway?")
        .unwrap();
    p.send("n").unwrap();
    p.expect("Go ahead?").unwrap();
    p.send("y").unwrap();
    p.expect("reused").unwrap();
    p.expect(Eof).unwrap();
    assert_eq!(exit_code(&mut p), 0);
}

#[test]
fn ctrl_c_at_a_prompt_exits_130() {
    let sandbox = ServedSandbox::start();
    let mut p = wizard(&sandbox, &[]);
    p.expect("Shared folder for the gateway").unwrap();
    p.send("\x03").unwrap();
    p.expect(Eof).unwrap();
    assert_eq!(exit_code(&mut p), 130);
}

const ESC: &str = "\x1b";

/// A non-interactive `new` that makes `gateway` in folder F, application A.
fn provision(sandbox: &ServedSandbox, gateway: &str) {
    let output = crate::support::run({
        let mut c = sandbox.command();
        c.args(crate::support::new_args("F", "A", gateway, "linux"));
        c
    });
    assert!(
        output.status.success(),
        "{}",
        crate::support::stderr(&output)
    );
}

#[test]
fn a_taken_gateway_name_is_asked_about_instead_of_ending_the_wizard() {
    let sandbox = ServedSandbox::start();
    provision(&sandbox, "edge-1");
    let mut p = wizard(
        &sandbox,
        &[
            "--folder",
            "F",
            "--app",
            "A",
            "--os",
            "linux",
            "--no-pam-config",
        ],
    );
    p.expect("New or existing gateway?").unwrap();
    p.send(ENTER).unwrap(); // new
    p.expect("Gateway name").unwrap();
    p.send("edge-1").unwrap();
    p.send(ENTER).unwrap();
    p.expect(
        "edge-1 exists (never initialized, created just now): replace it, or choose another name",
    )
    .unwrap();
    p.send(ENTER).unwrap(); // choose another name
    p.expect("Gateway name").unwrap();
    p.send("edge-2").unwrap();
    p.send(ENTER).unwrap();
    p.expect("Go ahead?").unwrap();
    p.send("y").unwrap();
    p.expect("Gateway 'edge-2' provisioned").unwrap();
    p.expect(Eof).unwrap();
    assert_eq!(exit_code(&mut p), 0);

    // Replacing it is the other answer; the plan says so before "Go ahead?".
    let mut p = wizard(
        &sandbox,
        &[
            "--folder",
            "F",
            "--app",
            "A",
            "--os",
            "linux",
            "--no-pam-config",
        ],
    );
    p.expect("New or existing gateway?").unwrap();
    p.send(ENTER).unwrap();
    p.expect("Gateway name").unwrap();
    p.send("edge-1").unwrap();
    p.send(ENTER).unwrap();
    p.expect("replace it, or choose another name").unwrap();
    p.send(DOWN).unwrap();
    p.send(ENTER).unwrap();
    p.expect("would replace").unwrap();
    p.expect("Go ahead?").unwrap();
    p.send("y").unwrap();
    p.expect("replaced").unwrap();
    p.expect(Eof).unwrap();
    assert_eq!(exit_code(&mut p), 0);
}

#[test]
fn an_existing_gateway_is_picked_from_the_application_s_gateways() {
    let sandbox = ServedSandbox::start();
    provision(&sandbox, "edge-1");
    provision(&sandbox, "edge-2");
    let mut p = wizard(
        &sandbox,
        &["--folder", "F", "--app", "A", "--no-pam-config"],
    );
    p.expect("New or existing gateway?").unwrap();
    p.send(DOWN).unwrap();
    p.send(ENTER).unwrap(); // existing
    p.expect("Which gateway?").unwrap();
    p.expect("edge-1 (never initialized, created just now)")
        .unwrap();
    p.expect("edge-2 (never initialized, created just now)")
        .unwrap();
    p.send(DOWN).unwrap();
    p.send(ENTER).unwrap(); // edge-2
    p.expect("Where will the gateway run?").unwrap();
    p.send(ENTER).unwrap(); // Linux
    p.expect("Go ahead?").unwrap();
    p.send("y").unwrap();
    p.expect("Gateway 'edge-2' ready").unwrap();
    p.expect("sudo bash -s --").unwrap();
    p.expect(Eof).unwrap();
    assert_eq!(exit_code(&mut p), 0);
}

#[test]
fn create_a_new_shared_folder_offers_a_name_that_is_not_taken_and_esc_goes_back() {
    let sandbox = ServedSandbox::start();
    let output = crate::support::run({
        let mut c = sandbox.command();
        c.args(crate::support::new_args(
            "Gateway Lab",
            "A",
            "edge-1",
            "linux",
        ));
        c
    });
    assert!(output.status.success());
    let mut p = wizard(&sandbox, &[]);
    p.expect("Shared folder for the gateway").unwrap();
    p.send(DOWN).unwrap();
    p.send(ENTER).unwrap(); // + Create a new shared folder…
    p.expect("New shared folder name (Gateway Lab 2)").unwrap();
    // Esc at the name goes back to the list; Esc there leaves the wizard, changing nothing.
    p.send(ESC).unwrap();
    p.expect("Shared folder for the gateway").unwrap();
    p.send(ENTER).unwrap(); // Gateway Lab
    p.expect("KSM application").unwrap();
    p.send(ESC).unwrap(); // back to the folder
    p.expect("Shared folder for the gateway").unwrap();
    p.send(ESC).unwrap();
    p.expect("cancelled; nothing was changed").unwrap();
    p.expect(Eof).unwrap();
    assert_eq!(exit_code(&mut p), 0);
}

#[test]
fn the_plan_names_the_account_and_server_before_go_ahead() {
    let sandbox = ServedSandbox::start();
    let user = sandbox.descriptor["user"].as_str().unwrap();
    let host = sandbox.descriptor["host"].as_str().unwrap();
    let mut p = wizard(
        &sandbox,
        &[
            "--folder",
            "F",
            "--app",
            "A",
            "--gateway",
            "edge-1",
            "--no-pam-config",
        ],
    );
    p.expect("Where will the gateway run?").unwrap();
    p.send(ENTER).unwrap();
    p.expect(format!("Plan for {user} on {host} (sandbox):").as_str())
        .unwrap();
    p.expect("Go ahead?").unwrap();
    p.send("n").unwrap();
    p.expect("nothing was changed").unwrap();
    p.expect(Eof).unwrap();
    assert_eq!(exit_code(&mut p), 0);
}

#[test]
fn a_throttled_request_says_why_on_the_spinner() {
    let sandbox = ServedSandbox::start();
    let plan = serde_json::json!({"rules": [
        {"endpoint": "vault/sync_down", "fault": "throttle", "retry_after_secs": 2}
    ]});
    assert!(sandbox
        .admin_client()
        .post(sandbox.admin_url("faults"))
        .json(&plan)
        .send()
        .unwrap()
        .status()
        .is_success());
    let mut p = wizard(
        &sandbox,
        &[
            "--folder",
            "F",
            "--app",
            "A",
            "--gateway",
            "edge-1",
            "--os",
            "linux",
        ],
    );
    p.expect("Keeper asked us to slow down; retrying in 2 s")
        .unwrap();
    p.expect("Gateway 'edge-1' provisioned").unwrap();
    p.expect(Eof).unwrap();
    assert_eq!(exit_code(&mut p), 0);
}

#[test]
fn declining_go_ahead_with_json_output_prints_the_cancelled_object() {
    let sandbox = ServedSandbox::start();
    let mut p = wizard(
        &sandbox,
        &[
            "--output",
            "json",
            "--folder",
            "F",
            "--app",
            "A",
            "--gateway",
            "edge-1",
            "--no-pam-config",
        ],
    );
    p.expect("Where will the gateway run?").unwrap();
    p.send(ENTER).unwrap();
    p.expect("Go ahead?").unwrap();
    p.send("n").unwrap();
    p.expect(r#"{"cancelled":true,"message":"cancelled; nothing was changed","schema_version":1}"#)
        .unwrap();
    p.expect(Eof).unwrap();
    assert_eq!(exit_code(&mut p), 0);
}

#[test]
fn with_stderr_redirected_no_question_is_asked() {
    // stdin and stdout are the terminal, stderr a file: the questions would be drawn where
    // nobody sees them (and console reads no key for them), so the run is non-interactive.
    let sandbox = ServedSandbox::start();
    let log = sandbox.dir.path().join("stderr.log");
    let mut command = sandbox.terminal_command("sh");
    command
        .arg("-c")
        .arg(r#""$0" --sandbox-descriptor "$1" new --gateway quiet-1 2>"$2""#)
        .arg(cargo_bin("gw-provision"))
        .arg(&sandbox.descriptor_path)
        .arg(&log);
    let mut p = Session::spawn(command).expect("spawn in a pty");
    p.set_expect_timeout(Some(Duration::from_secs(60)));
    // No question: the missing folder is a usage error at once, naming the flag and why.
    p.expect(Eof).unwrap();
    assert_eq!(exit_code(&mut p), 2);
    let stderr = std::fs::read_to_string(&log).unwrap();
    assert!(
        !stderr.contains("Shared folder for the gateway"),
        "{stderr}"
    );
    assert!(
        stderr.contains("required in non-interactive mode"),
        "{stderr}"
    );
    assert!(stderr.contains("--folder"), "{stderr}");
    assert!(stderr.contains("stdin and stderr"), "{stderr}");
}
