//! The `new` wizard in a pseudo-terminal, answered like a person would.
#![cfg(unix)]

use crate::support::ServedSandbox;
use assert_cmd::cargo::cargo_bin;
use expectrl::{Eof, Session};
use std::process::Command;
use std::time::Duration;

const DOWN: &str = "\x1b[B";
const ENTER: &str = "\r";

fn wizard(sandbox: &ServedSandbox, extra: &[&str]) -> Session {
    let mut command = Command::new(cargo_bin("gw-provision"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", sandbox.dir.path())
        .env("TERM", "xterm")
        .env("NO_COLOR", "1")
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
    p.expect("Where will the gateway run?").unwrap();
    p.send(DOWN).unwrap(); // macOS
    p.send(ENTER).unwrap();
    p.expect("New or existing gateway?").unwrap();
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

    // The second time, the folder and app are offered as existing choices.
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
