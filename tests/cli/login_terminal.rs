//! The login prompts in a pseudo-terminal against the sandbox, answered like a person would:
//! device approval by e-mail code and by Keeper Push, a TOTP code computed from the account's
//! secret (RFC 6238) with "remember this device", the SSO master password, and an expired
//! session met in the `new` wizard.
#![cfg(unix)]

use crate::support::login::{
    account, config_path, endpoints_called, read_config, run_within, totp_now, Admin, Pty, PASSWORD,
};
use crate::support::{stderr, ServedSandbox};
use serde_json::json;

fn pty(sandbox: &ServedSandbox, home: &std::path::Path, email: &str, args: &[&str]) -> Pty {
    let mut all = vec!["--user", email];
    all.extend_from_slice(args);
    Pty::spawn(&sandbox.descriptor_path, home, &[], &all)
}

/// Answers the password prompt, wherever it comes in the flow.
fn password(p: &mut Pty) {
    p.expect("Master password for");
    p.line(PASSWORD);
}

#[test]
fn device_approval_by_email_code_in_a_terminal_then_no_approval_next_time() {
    let sandbox = ServedSandbox::start();
    let admin = Admin::new(&sandbox);
    admin.add_user("approve@example.com", json!({"device_approval": "email"}));
    let home = tempfile::tempdir().unwrap();

    let mut p = pty(&sandbox, home.path(), "approve@example.com", &["login"]);
    p.expect("Approve this device by");
    p.choose("Use my two-factor code", 0); // e-mail me a code
    p.expect("Code from the e-mail");
    p.line(&admin.email_code("approve@example.com"));
    password(&mut p);
    p.expect("Logged in as approve@example.com");
    assert_eq!(p.finish(), 0, "{}", p.transcript);

    // The approved device logs in again by password with no approval step.
    let logout = run_within({
        let mut c = account(&sandbox, home.path(), "approve@example.com");
        c.arg("logout");
        c
    });
    assert!(logout.status.success(), "{}", stderr(&logout));
    let again = run_within({
        let mut c = account(&sandbox, home.path(), "approve@example.com");
        c.env("KEEPER_PASSWORD", PASSWORD).args(["whoami", "-vv"]);
        c
    });
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(!endpoints_called(&again)
        .iter()
        .any(|e| e.contains("device_verification")));
}

#[test]
fn device_approval_by_keeper_push_in_a_terminal() {
    let sandbox = ServedSandbox::start();
    let admin = Admin::new(&sandbox);
    admin.add_user("push@example.com", json!({"device_approval": "push"}));
    let home = tempfile::tempdir().unwrap();

    let mut p = pty(&sandbox, home.path(), "push@example.com", &["login"]);
    p.expect("Approve this device by");
    p.choose("Use my two-factor code", 1); // Keeper Push
    p.expect("then press Enter");
    admin.approve_device("push@example.com");
    p.line("");
    password(&mut p);
    p.expect("Logged in as push@example.com");
    assert_eq!(p.finish(), 0, "{}", p.transcript);
    assert!(read_config(&config_path(home.path()))["clone_code"].is_string());
}

#[test]
fn totp_in_a_terminal_and_remembering_the_device_skips_it_next_time() {
    let sandbox = ServedSandbox::start();
    let secret = "JBSWY3DPEHPK3PXP";
    Admin::new(&sandbox).add_user("totp@example.com", json!({ "totp_secret": secret }));
    let home = tempfile::tempdir().unwrap();

    let mut p = pty(&sandbox, home.path(), "totp@example.com", &["login"]);
    // The server may ask for the password before or after the second factor. ("? " marks an
    // open prompt; a finished one is repeated with "✔ ".)
    while p.expect_any(&["? Master password for", "? Remember this device?"]) == 0 {
        p.line(PASSWORD);
    }
    p.choose("Remember this device forever", 3); // 30 days
    p.expect("Two-factor code");
    p.line(&totp_now(secret));
    if p.expect_any(&["? Master password for", "Logged in as totp@example.com"]) == 0 {
        p.line(PASSWORD);
        p.expect("Logged in as totp@example.com");
    }
    assert_eq!(p.finish(), 0, "{}", p.transcript);

    // Without the clone code, a password login from this device needs no code.
    let logout = run_within({
        let mut c = account(&sandbox, home.path(), "totp@example.com");
        c.arg("logout");
        c
    });
    assert!(logout.status.success(), "{}", stderr(&logout));
    let again = run_within({
        let mut c = account(&sandbox, home.path(), "totp@example.com");
        c.env("KEEPER_PASSWORD", PASSWORD).arg("whoami");
        c
    });
    assert!(again.status.success(), "{}", stderr(&again));
}

#[test]
fn sso_user_picks_the_master_password_in_a_terminal() {
    let sandbox = ServedSandbox::start();
    Admin::new(&sandbox).add_user("sso@example.com", json!({"sso_master_password": true}));
    let home = tempfile::tempdir().unwrap();

    let mut p = pty(&sandbox, home.path(), "sso@example.com", &["login"]);
    p.expect("SSO login");
    p.choose("with the SSO master password instead", 1);
    password(&mut p);
    p.expect("Logged in as sso@example.com");
    assert_eq!(p.finish(), 0, "{}", p.transcript);
    assert_eq!(
        read_config(&config_path(home.path()))["sso_master_password"],
        true
    );
}

#[test]
fn expired_session_asks_for_the_password_in_the_wizard_then_provisions() {
    let sandbox = ServedSandbox::start();
    let admin = Admin::new(&sandbox);
    admin.add_user("plain@example.com", json!({}));
    let home = tempfile::tempdir().unwrap();
    let login = run_within({
        let mut c = account(&sandbox, home.path(), "plain@example.com");
        c.env("KEEPER_PASSWORD", PASSWORD).arg("login");
        c
    });
    assert!(login.status.success(), "{}", stderr(&login));
    admin.expire_sessions("plain@example.com");

    let mut p = pty(
        &sandbox,
        home.path(),
        "plain@example.com",
        &["new", "--folder", "F", "--app", "A", "--os", "linux"],
    );
    password(&mut p);
    p.expect("Gateway name");
    p.line("g-1");
    // A new application has no gateways: new or existing is not asked.
    p.expect("Create a PAM configuration for this gateway?");
    p.send("n");
    p.expect("Go ahead?");
    p.send("y");
    p.expect("sudo bash -s -- --token");
    assert_eq!(p.finish(), 0, "{}", p.transcript);
}
