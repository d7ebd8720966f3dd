//! Every login state of accounts the sandbox adds (issue 5 sandbox contract), through the binary
//! without a terminal: password only, device approval, two-factor, SSO master password, region
//! redirect, locked account and an expired session. Steps that need a person end in exit 3 at once.

use crate::support::login::{
    account, config_path, endpoints_called, library_device, read_config, run_within,
    write_commander_config, Admin, PASSWORD,
};
use crate::support::{self, gw, stderr, ServedSandbox};
use serde_json::{json, Value};
use std::process::Command;

fn ok(command: Command) -> std::process::Output {
    let output = run_within(command);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    output
}

fn exit_code(output: &std::process::Output) -> i32 {
    output.status.code().expect("exit code")
}

#[test]
fn password_only_account_logs_in_with_keeper_password_and_resumes_without_it() {
    let sandbox = ServedSandbox::start();
    let home = tempfile::tempdir().unwrap();
    Admin::new(&sandbox).add_user("plain@example.com", json!({}));

    ok({
        let mut c = account(&sandbox, home.path(), "plain@example.com");
        c.env("KEEPER_PASSWORD", PASSWORD).arg("login");
        c
    });
    let output = ok({
        let mut c = account(&sandbox, home.path(), "plain@example.com");
        c.args(["whoami", "--output", "json"]);
        c
    });

    assert_eq!(support::json(&output)["user"], "plain@example.com");
    assert_eq!(
        read_config(&config_path(home.path()))["user"],
        "plain@example.com"
    );
}

/// Runs `args` for `email` without a terminal and checks it fails fast with exit 3 naming `step`.
fn fails_fast(
    sandbox: &ServedSandbox,
    email: &str,
    env: &[(&str, &str)],
    args: &[&str],
    step: &str,
) -> String {
    let home = tempfile::tempdir().unwrap();
    let output = run_within({
        let mut c = account(sandbox, home.path(), email);
        c.envs(env.iter().copied()).args(args);
        c
    });
    let text = stderr(&output);
    assert_eq!(exit_code(&output), 3, "{text}");
    let error_lines: Vec<_> = text.lines().filter(|l| l.contains("error:")).collect();
    assert_eq!(error_lines.len(), 1, "{text}");
    assert!(error_lines[0].contains(step), "{text}");
    assert!(text.contains("hint:"), "{text}");
    text
}

#[test]
fn missing_password_without_a_terminal_fails_fast_with_exit_3() {
    let sandbox = ServedSandbox::start();
    Admin::new(&sandbox).add_user("plain@example.com", json!({}));
    let text = fails_fast(
        &sandbox,
        "plain@example.com",
        &[],
        &["whoami"],
        "master password",
    );
    assert!(text.contains("KEEPER_PASSWORD"));
}

#[test]
fn device_approval_without_a_terminal_fails_fast_with_exit_3() {
    let sandbox = ServedSandbox::start();
    let admin = Admin::new(&sandbox);
    admin.add_user("approve@example.com", json!({"device_approval": "email"}));
    let text = fails_fast(
        &sandbox,
        "approve@example.com",
        &[("KEEPER_PASSWORD", PASSWORD)],
        &["login"],
        "approval of this new device",
    );
    assert!(text.contains("gw-provision login"));
}

#[test]
fn device_approved_out_of_band_is_used_on_the_next_run() {
    let sandbox = ServedSandbox::start();
    let admin = Admin::new(&sandbox);
    admin.add_user("approve@example.com", json!({"device_approval": "push"}));
    let home = tempfile::tempdir().unwrap();
    let first = run_within({
        let mut c = account(&sandbox, home.path(), "approve@example.com");
        c.env("KEEPER_PASSWORD", PASSWORD).arg("login");
        c
    });
    assert_eq!(exit_code(&first), 3, "{}", stderr(&first));
    let device = read_config(&config_path(home.path()))["device_token"].clone();

    admin.approve_device("approve@example.com");
    ok({
        let mut c = account(&sandbox, home.path(), "approve@example.com");
        c.env("KEEPER_PASSWORD", PASSWORD).arg("login");
        c
    });

    assert_eq!(
        read_config(&config_path(home.path()))["device_token"],
        device
    );
}

#[test]
fn two_factor_without_a_terminal_fails_fast_with_exit_3() {
    let sandbox = ServedSandbox::start();
    Admin::new(&sandbox).add_user(
        "totp@example.com",
        json!({"totp_secret": "JBSWY3DPEHPK3PXP"}),
    );
    let text = fails_fast(
        &sandbox,
        "totp@example.com",
        &[("KEEPER_PASSWORD", PASSWORD)],
        &["login"],
        "two-factor",
    );
    assert!(text.contains("--remember-device"));
}

#[test]
fn sso_without_a_terminal_fails_fast_and_names_the_master_password_flag() {
    let sandbox = ServedSandbox::start();
    Admin::new(&sandbox).add_user("sso@example.com", json!({"sso_master_password": true}));
    let text = fails_fast(
        &sandbox,
        "sso@example.com",
        &[("KEEPER_PASSWORD", PASSWORD)],
        &["login"],
        "SSO",
    );
    assert!(text.contains("--sso-master-password"));
}

#[test]
fn sso_master_password_logs_in_with_the_alternate_password_and_is_remembered() {
    let sandbox = ServedSandbox::start();
    Admin::new(&sandbox).add_user("sso@example.com", json!({"sso_master_password": true}));
    let home = tempfile::tempdir().unwrap();

    ok({
        let mut c = account(&sandbox, home.path(), "sso@example.com");
        c.env("KEEPER_PASSWORD", PASSWORD)
            .args(["login", "--sso-master-password"]);
        c
    });
    assert_eq!(
        read_config(&config_path(home.path()))["sso_master_password"],
        true
    );

    // Later runs log in the same way without the flag: first by clone code, then by password.
    ok({
        let mut c = account(&sandbox, home.path(), "sso@example.com");
        c.arg("whoami");
        c
    });
    ok({
        let mut c = account(&sandbox, home.path(), "sso@example.com");
        c.arg("logout");
        c
    });
    ok({
        let mut c = account(&sandbox, home.path(), "sso@example.com");
        c.env("KEEPER_PASSWORD", PASSWORD).arg("whoami");
        c
    });
}

#[test]
fn region_redirect_moves_the_device_to_the_home_host_and_keeps_it_there() {
    let sandbox = ServedSandbox::start();
    let port = sandbox.descriptor["host"]
        .as_str()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned();
    let home_host = format!("localhost:{port}");
    Admin::new(&sandbox).add_user("eu@example.com", json!({"region_redirect": home_host}));
    let home = tempfile::tempdir().unwrap();

    ok({
        let mut c = account(&sandbox, home.path(), "eu@example.com");
        c.env("KEEPER_PASSWORD", PASSWORD).arg("login");
        c
    });
    assert_eq!(
        read_config(&config_path(home.path()))["server"],
        home_host.as_str()
    );

    let output = ok({
        let mut c = account(&sandbox, home.path(), "eu@example.com");
        c.args(["whoami", "-vv"]);
        c
    });
    let called = endpoints_called(&output);
    assert!(
        !called.contains(&"authentication/validate_auth_hash".to_owned()),
        "{called:?}"
    );
}

#[test]
fn locked_account_is_refused_with_exit_3_and_says_so() {
    let sandbox = ServedSandbox::start();
    Admin::new(&sandbox).add_user("locked@example.com", json!({"locked": true}));
    let text = fails_fast(
        &sandbox,
        "locked@example.com",
        &[("KEEPER_PASSWORD", PASSWORD)],
        &["whoami"],
        "locked",
    );
    assert!(text.contains("administrator"));
}

#[test]
fn expired_session_without_a_terminal_exits_3_naming_the_password() {
    let sandbox = ServedSandbox::start();
    let admin = Admin::new(&sandbox);
    admin.add_user("plain@example.com", json!({}));
    let home = tempfile::tempdir().unwrap();
    ok({
        let mut c = account(&sandbox, home.path(), "plain@example.com");
        c.env("KEEPER_PASSWORD", PASSWORD).arg("login");
        c
    });

    admin.expire_sessions("plain@example.com");
    let output = run_within({
        let mut c = account(&sandbox, home.path(), "plain@example.com");
        c.arg("whoami");
        c
    });

    assert_eq!(exit_code(&output), 3, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("master password"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn expired_session_with_keeper_password_logs_in_again_and_saves_the_new_session() {
    let sandbox = ServedSandbox::start();
    let admin = Admin::new(&sandbox);
    admin.add_user("plain@example.com", json!({}));
    let home = tempfile::tempdir().unwrap();
    ok({
        let mut c = account(&sandbox, home.path(), "plain@example.com");
        c.env("KEEPER_PASSWORD", PASSWORD).arg("login");
        c
    });
    admin.expire_sessions("plain@example.com");
    let before = read_config(&config_path(home.path()))["clone_code"].clone();

    ok({
        let mut c = account(&sandbox, home.path(), "plain@example.com");
        c.env("KEEPER_PASSWORD", PASSWORD).arg("whoami");
        c
    });

    assert_ne!(read_config(&config_path(home.path()))["clone_code"], before);
}

#[test]
fn commander_device_of_an_approval_account_needs_no_new_approval() {
    let sandbox = ServedSandbox::start();
    Admin::new(&sandbox).add_user("admin@example.com", json!({"device_approval": "email"}));
    let device = library_device(&sandbox, "admin@example.com", PASSWORD);
    let home = tempfile::tempdir().unwrap();
    let commander = home.path().join("config.json");
    write_commander_config(&commander, &device);
    let mut with_password: Value = read_config(&commander);
    with_password["password"] = PASSWORD.into();
    with_password.as_object_mut().unwrap().remove("clone_code");
    std::fs::write(&commander, with_password.to_string()).unwrap();

    // No clone code: the password from Commander's file logs the approved device in.
    let output = ok({
        let mut c = gw(home.path());
        c.arg("--sandbox-descriptor")
            .arg(&sandbox.descriptor_path)
            .arg("--keeper-config")
            .arg(&commander)
            .args(["whoami", "-vv"]);
        c
    });

    let called = endpoints_called(&output);
    assert!(
        !called
            .iter()
            .any(|e| e.contains("device_verification") || e == "authentication/register_device"),
        "{called:?}"
    );
    let after = read_config(&commander);
    assert_eq!(
        after["password"], PASSWORD,
        "Commander's password key is kept"
    );
    assert!(after["clone_code"].is_string());
}
