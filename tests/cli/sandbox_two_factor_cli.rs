//! `gw-provision sandbox add-user --two-factor … / --backup-code / --cloud-sso`, `sandbox
//! two-factor` and `sandbox sso-token` through the real binary: against a stopped sandbox
//! (`--state`) and a served one (`--sandbox-descriptor`), including a Cloud SSO login whose
//! token comes from `sandbox sso-token`.

use crate::support::login::{Admin, PASSWORD};
use crate::support::{gw, json, run, stderr, ServedSandbox};
use serde_json::json;

fn ok(output: std::process::Output) -> std::process::Output {
    assert!(output.status.success(), "{}", stderr(&output));
    output
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn add_user_with_sms_and_backup_codes_offline_then_two_factor_prints_the_code() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let add = ok(run({
        let mut c = gw(dir.path());
        c.args([
            "sandbox",
            "add-user",
            "--email",
            "sms@example.com",
            "--password",
            PASSWORD,
        ])
        .args(["--two-factor", "sms", "--two-factor-code", "424242"])
        .args(["--backup-code", "b-1", "--backup-code", "b-2"])
        .arg("--state")
        .arg(&state);
        c
    }));
    assert!(
        stdout(&add).contains("SMS code, 2 backup code(s)"),
        "{}",
        stdout(&add)
    );

    let code = ok(run({
        let mut c = gw(dir.path());
        c.args([
            "sandbox",
            "two-factor",
            "--email",
            "sms@example.com",
            "--state",
        ])
        .arg(&state);
        c
    }));
    assert_eq!(stdout(&code).trim(), "424242");
    let status = ok(run({
        let mut c = gw(dir.path());
        c.args([
            "--output",
            "json",
            "sandbox",
            "two-factor",
            "--email",
            "sms@example.com",
        ])
        .arg("--state")
        .arg(&state);
        c
    }));
    let status = json(&status);
    assert_eq!(status["methods"], json!(["sms"]));
    assert_eq!(status["backup_codes"], json!(["b-1", "b-2"]));
}

#[test]
fn approve_push_and_sso_token_need_the_running_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    ok(run({
        let mut c = gw(dir.path());
        c.args([
            "sandbox",
            "add-user",
            "--email",
            "duo@example.com",
            "--password",
            PASSWORD,
        ])
        .args(["--two-factor", "duo", "--state"])
        .arg(&state);
        c
    }));

    let push = run({
        let mut c = gw(dir.path());
        c.args([
            "sandbox",
            "two-factor",
            "--email",
            "duo@example.com",
            "--approve-push",
        ])
        .arg("--state")
        .arg(&state);
        c
    });
    let sso = run({
        let mut c = gw(dir.path());
        c.args(["sandbox", "sso-token", "https://127.0.0.1:1/x?payload=abc"]);
        c
    });

    for output in [push, sso] {
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        assert!(
            stderr(&output).contains("--sandbox-descriptor"),
            "{}",
            stderr(&output)
        );
    }
}

#[test]
fn served_sandbox_adds_a_duo_account_and_approve_push_finds_no_waiting_push() {
    let sandbox = ServedSandbox::start();
    ok(run({
        let mut c = sandbox.command();
        c.args([
            "sandbox",
            "add-user",
            "--email",
            "duo@example.com",
            "--password",
            PASSWORD,
        ])
        .args(["--two-factor", "duo", "--two-factor-code", "135790"]);
        c
    }));

    let output = ok(run({
        let mut c = sandbox.command();
        c.args([
            "sandbox",
            "two-factor",
            "--email",
            "duo@example.com",
            "--approve-push",
        ]);
        c
    }));

    assert_eq!(
        stdout(&output),
        "Approved 0 waiting push(es) of duo@example.com\n135790\n"
    );
}

#[cfg(unix)]
#[test]
fn cloud_sso_login_in_a_terminal_with_the_token_from_sandbox_sso_token() {
    use crate::support::login::Pty;
    let sandbox = ServedSandbox::start();
    ok(run({
        let mut c = sandbox.command();
        c.args([
            "sandbox",
            "add-user",
            "--email",
            "cloud@example.com",
            "--password",
            PASSWORD,
        ])
        .arg("--cloud-sso");
        c
    }));
    let home = tempfile::tempdir().unwrap();

    let mut p = Pty::spawn(
        &sandbox.descriptor_path,
        home.path(),
        &[],
        &["--user", "cloud@example.com", "login"],
    );
    p.expect("with the SSO master password instead");
    let start = p.transcript.rfind("https://").expect("an SSO URL");
    let url: String = p.transcript[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    let token = ok(run({
        let mut c = sandbox.command();
        c.args(["sandbox", "sso-token", &url]);
        c
    }));
    std::thread::sleep(std::time::Duration::from_millis(300));
    p.send("\r");
    p.expect("SSO login token");
    p.line(stdout(&token).trim());
    p.expect("Logged in as cloud@example.com");
    assert_eq!(p.finish(), 0, "{}", p.transcript);
    assert!(
        Admin::new(&sandbox).two_factor("cloud@example.com")["methods"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}
