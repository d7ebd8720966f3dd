//! The login prompts of the real binary in a pseudo-terminal against a served sandbox, with the
//! sandbox checking what the CLI sends (the code and its value type, the "remember" duration,
//! the login type, AFTER_SSO with the pasted Cloud SSO token) and the admin routes showing it:
//! retries after a wrong code, a push not yet approved, the SSO choices, an ended session,
//! Ctrl-C in the wizard, and every step that needs a person failing fast without a terminal.
#![cfg(unix)]

use crate::support::login::{
    account, base32_decode, config_path, read_config, run_within, totp, totp_now, Admin, Pty,
    PASSWORD,
};
use crate::support::{stderr, ServedSandbox};
use serde_json::{json, Value};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

const ENTER: &str = "\r";
const SECRET: &str = "JBSWY3DPEHPK3PXP";
const DAY_MS: i64 = 24 * 3600 * 1000;

fn pty(
    sandbox: &ServedSandbox,
    home: &Path,
    env: &[(&str, &str)],
    email: &str,
    args: &[&str],
) -> Pty {
    let mut all = vec!["--user", email];
    all.extend_from_slice(args);
    Pty::spawn(&sandbox.descriptor_path, home, env, &all)
}

fn now_ms() -> i64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    i64::try_from(now.as_millis()).unwrap()
}

/// A six-digit code the authenticator of `SECRET` does not show now (nor ±1 step).
fn wrong_totp() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let secret = base32_decode(SECRET);
    let valid: Vec<String> = [now - 60, now - 30, now, now + 30, now + 60]
        .iter()
        .map(|t| totp(&secret, *t))
        .collect();
    (0..10)
        .map(|n| format!("00000{n}"))
        .find(|c| !valid.contains(c))
        .unwrap()
}

/// How long the device of the last second-factor answer is remembered, ms from now.
fn remembered_for(two_factor: &Value) -> i64 {
    two_factor["remembered"][0][1]
        .as_i64()
        .expect("a remembered device")
        - now_ms()
}

#[test]
fn totp_in_a_terminal_sends_the_code_and_the_chosen_remember_duration() {
    let sandbox = ServedSandbox::start();
    let admin = Admin::new(&sandbox);
    admin.add_user("totp@example.com", json!({ "totp_secret": SECRET }));
    let home = tempfile::tempdir().unwrap();

    let mut p = pty(&sandbox, home.path(), &[], "totp@example.com", &["login"]);
    p.expect("Master password for totp@example.com");
    p.line(PASSWORD);
    p.expect("Remember this device?");
    p.choose("Remember this device forever", 3); // 30 days
    p.expect("Two-factor code");
    p.line(&format!("  {}  ", totp_now(SECRET)));
    p.expect("Logged in as totp@example.com");
    assert_eq!(p.finish(), 0, "{}", p.transcript);

    let two_factor = admin.two_factor("totp@example.com");
    let answer = &two_factor["last_answer"];
    assert_eq!(
        (answer["value_type"].as_i64(), answer["expire_in"].as_i64()),
        (Some(1), Some(4))
    );
    let days = remembered_for(&two_factor);
    assert!(
        (30 * DAY_MS - 60_000..=30 * DAY_MS).contains(&days),
        "{days}"
    );
    assert!(
        !p.transcript.contains(PASSWORD),
        "the password is not echoed"
    );
}

#[test]
fn a_rejected_code_is_asked_again_and_the_flag_sets_the_duration() {
    let sandbox = ServedSandbox::start();
    let admin = Admin::new(&sandbox);
    admin.add_user("totp@example.com", json!({ "totp_secret": SECRET }));
    let home = tempfile::tempdir().unwrap();

    let env = [("KEEPER_PASSWORD", PASSWORD)];
    let mut p = pty(
        &sandbox,
        home.path(),
        &env,
        "totp@example.com",
        &["--remember-device", "forever", "whoami"],
    );
    p.expect("Two-factor code");
    p.line(&wrong_totp());
    p.expect("not accepted");
    p.line(&totp_now(SECRET));
    p.expect("totp@example.com on sandbox");
    assert_eq!(p.finish(), 0, "{}", p.transcript);

    let two_factor = admin.two_factor("totp@example.com");
    assert_eq!(
        two_factor["last_answer"]["expire_in"], 5,
        "forever = TWO_FA_EXP_NEVER"
    );
    assert_eq!(two_factor["remembered"][0][1], i64::MAX);
}

#[test]
fn device_approval_by_email_code_in_a_terminal() {
    let sandbox = ServedSandbox::start();
    let admin = Admin::new(&sandbox);
    admin.add_user("approve@example.com", json!({"device_approval": "email"}));
    let home = tempfile::tempdir().unwrap();

    let env = [("KEEPER_PASSWORD", PASSWORD)];
    let mut p = pty(
        &sandbox,
        home.path(),
        &env,
        "approve@example.com",
        &["login"],
    );
    p.expect("Approve this device by");
    p.choose("Use my two-factor code", 0); // e-mail
    p.expect("Code from the e-mail");
    let code = admin.email_code("approve@example.com");
    p.line(if code == "000000" { "000001" } else { "000000" });
    p.expect("not accepted");
    p.line(&code);
    p.expect("Logged in as approve@example.com");
    assert_eq!(p.finish(), 0, "{}", p.transcript);
    assert!(read_config(&config_path(home.path()))["clone_code"].is_string());
}

#[test]
fn device_approval_by_keeper_push_waits_for_the_person_then_resumes() {
    let sandbox = ServedSandbox::start();
    let admin = Admin::new(&sandbox);
    admin.add_user("push@example.com", json!({"device_approval": "push"}));
    let home = tempfile::tempdir().unwrap();

    let env = [("KEEPER_PASSWORD", PASSWORD)];
    let mut p = pty(&sandbox, home.path(), &env, "push@example.com", &["login"]);
    p.expect("Approve this device by");
    p.choose("Use my two-factor code", 1);
    p.expect("then press Enter");
    p.line(""); // not approved yet: asked again
    p.expect("Not approved yet");
    p.expect("Approve this device by");
    p.choose("Use my two-factor code", 1);
    p.expect("then press Enter");
    admin.approve_device("push@example.com");
    p.line("");
    p.expect("Logged in as push@example.com");
    assert_eq!(p.finish(), 0, "{}", p.transcript);
    assert_eq!(
        admin.two_factor("push@example.com")["pushes"],
        json!(["keeper", "keeper"])
    );
}

#[test]
fn sso_account_in_a_terminal_can_switch_to_its_master_password() {
    let sandbox = ServedSandbox::start();
    let admin = Admin::new(&sandbox);
    admin.add_user("sso@example.com", json!({"sso_master_password": true}));
    let home = tempfile::tempdir().unwrap();

    let env = [("KEEPER_PASSWORD", PASSWORD)];
    let mut p = pty(&sandbox, home.path(), &env, "sso@example.com", &["login"]);
    p.expect("/sso/saml/login/sandbox?payload=");
    p.expect("SSO login");
    p.choose("with the SSO master password instead", 1);
    p.expect("Logged in as sso@example.com");
    assert_eq!(p.finish(), 0, "{}", p.transcript);
    assert_eq!(
        read_config(&config_path(home.path()))["sso_master_password"],
        true
    );
}

/// The identity-provider URL the login printed (with its `payload=`).
fn sso_url(transcript: &str) -> String {
    let start = transcript.rfind("https://").expect("an SSO URL");
    transcript[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect()
}

/// Starts a Cloud SSO login in a terminal, signs in at the sandbox's identity provider and
/// pastes the token.
fn paste_sso_token(p: &mut Pty, admin: &Admin) {
    p.expect("payload=");
    p.expect("SSO login");
    p.expect("with the SSO master password instead");
    let token = admin.sso_token(&sso_url(&p.transcript));
    std::thread::sleep(std::time::Duration::from_millis(300));
    p.send(ENTER); // paste the token
    p.expect("SSO login token");
    p.line(&token);
}

#[test]
fn cloud_sso_token_pasted_in_a_terminal_continues_the_login_after_sso() {
    let sandbox = ServedSandbox::start();
    let admin = Admin::new(&sandbox);
    admin.add_user("cloud@example.com", json!({"cloud_sso": true}));
    let home = tempfile::tempdir().unwrap();

    // The sandbox accepts the token's login only with loginMethod AFTER_SSO.
    let mut p = pty(&sandbox, home.path(), &[], "cloud@example.com", &["login"]);
    paste_sso_token(&mut p, &admin);
    p.expect("Logged in as cloud@example.com");
    assert_eq!(p.finish(), 0, "{}", p.transcript);
    assert!(read_config(&config_path(home.path()))["clone_code"].is_string());
}

#[test]
fn cloud_sso_device_waits_for_its_admin_approval_in_a_terminal() {
    let sandbox = ServedSandbox::start();
    let admin = Admin::new(&sandbox);
    admin.add_user(
        "cloud@example.com",
        json!({"cloud_sso": true, "device_approval": "push"}),
    );
    let home = tempfile::tempdir().unwrap();

    let mut p = pty(&sandbox, home.path(), &[], "cloud@example.com", &["login"]);
    paste_sso_token(&mut p, &admin);
    p.expect("Approve this SSO device by");
    p.choose("Ask my Keeper administrator", 1);
    p.expect("When the device is approved, press Enter");
    admin.approve_device("cloud@example.com");
    p.line("");
    p.expect("Logged in as cloud@example.com");
    assert_eq!(p.finish(), 0, "{}", p.transcript);
}

#[test]
fn expired_saved_session_asks_for_the_password_again_in_a_terminal() {
    let sandbox = ServedSandbox::start();
    let admin = Admin::new(&sandbox);
    admin.add_user("plain@example.com", json!({}));
    let home = tempfile::tempdir().unwrap();
    let first = run_within({
        let mut c = account(&sandbox, home.path(), "plain@example.com");
        c.env("KEEPER_PASSWORD", PASSWORD).arg("login");
        c
    });
    assert!(first.status.success(), "{}", stderr(&first));
    // Keeper refuses the saved session's clone code as expired.
    sandbox.inject_fault("authentication/start_login", "session_expired", 1);

    let without_terminal = run_within({
        let mut c = account(&sandbox, home.path(), "plain@example.com");
        c.arg("whoami");
        c
    });
    assert_eq!(
        without_terminal.status.code(),
        Some(3),
        "{}",
        stderr(&without_terminal)
    );
    assert!(stderr(&without_terminal).contains("master password"));

    sandbox.inject_fault("authentication/start_login", "session_expired", 1);
    let mut p = pty(&sandbox, home.path(), &[], "plain@example.com", &["whoami"]);
    p.expect("saved session has ended");
    p.expect("Master password for plain@example.com");
    p.line("not the password");
    p.expect("Wrong password");
    p.line(PASSWORD);
    p.expect("plain@example.com on sandbox");
    assert_eq!(p.finish(), 0, "{}", p.transcript);
}

#[test]
fn the_wizard_asks_for_the_master_password_and_ctrl_c_there_exits_130() {
    let sandbox = ServedSandbox::start();
    Admin::new(&sandbox).add_user("plain@example.com", json!({}));
    let home = tempfile::tempdir().unwrap();
    let mut p = pty(&sandbox, home.path(), &[], "plain@example.com", &["new"]);
    p.expect("Master password for plain@example.com");
    p.send("\x03");
    assert_eq!(p.finish(), 130, "{}", p.transcript);
}

#[test]
fn each_step_that_needs_a_person_fails_fast_without_a_terminal() {
    let sandbox = ServedSandbox::start();
    let admin = Admin::new(&sandbox);
    // (account options, the step named in the error, the hint). An SSO device waiting for its
    // data key is reached only after a pasted token: `cli::login` unit tests cover it.
    let cases = [
        (
            json!({ "totp_secret": SECRET }),
            "two-factor",
            "--remember-device",
        ),
        (
            json!({"device_approval": "email"}),
            "approval of this new device",
            "gw-provision login",
        ),
        (json!({"cloud_sso": true}), "SSO", "--sso-master-password"),
        (json!({"locked": true}), "the account is locked", "unlock"),
        (
            json!({"license_expired": true}),
            "license has expired",
            "renew",
        ),
        (
            json!({"two_factor": ["webauthn"]}),
            "hardware security key",
            "--keeper-config",
        ),
    ];
    for (index, (options, step, hint)) in cases.into_iter().enumerate() {
        let email = format!("person-{index}@example.com");
        admin.add_user(&email, options.clone());
        let home = tempfile::tempdir().unwrap();

        let output = run_within({
            let mut c = account(&sandbox, home.path(), &email);
            c.env("KEEPER_PASSWORD", PASSWORD).arg("login");
            c
        });

        let text = stderr(&output);
        assert_eq!(output.status.code(), Some(3), "{options}: {text}");
        let error = text
            .lines()
            .find(|l| l.contains("error:"))
            .unwrap_or_default();
        assert!(error.contains(step), "{options}: {text}");
        assert!(text.contains(hint), "{options}: {text}");
    }
}
