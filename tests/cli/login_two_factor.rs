//! Second-factor channels other than an authenticator app, in a pseudo-terminal against a
//! served sandbox: the channel menu, SMS (a code sent first), Duo Push and passcode, RSA SecurID,
//! Keeper Push, a backup code when no channel is listed, and the "remember" durations a channel
//! allows. The codes and push approvals come from the sandbox's admin routes.
#![cfg(unix)]

use crate::support::login::{Admin, Pty, PASSWORD};
use crate::support::ServedSandbox;
use gw_provision::keeper::crypto::b64url_encode;
use serde_json::{json, Value};
use std::time::{SystemTime, UNIX_EPOCH};

const ENV: [(&str, &str); 1] = [("KEEPER_PASSWORD", PASSWORD)];
const DAY_MS: i64 = 24 * 3600 * 1000;

/// A sandbox with one account `email` added with `options`, and a terminal logging it in.
fn login(
    options: Value,
    email: &str,
    args: &[&str],
) -> (ServedSandbox, Admin, Pty, tempfile::TempDir) {
    let sandbox = ServedSandbox::start();
    let admin = Admin::new(&sandbox);
    admin.add_user(email, options);
    let home = tempfile::tempdir().unwrap();
    let mut all = vec!["--user", email];
    all.extend_from_slice(args);
    let p = Pty::spawn(&sandbox.descriptor_path, home.path(), &ENV, &all);
    (sandbox, admin, p, home)
}

fn now_ms() -> i64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    i64::try_from(now.as_millis()).unwrap()
}

#[test]
fn sms_is_chosen_from_the_menu_a_code_is_sent_and_remembering_is_capped_by_the_channel() {
    let options = json!({
        "totp_secret": "JBSWY3DPEHPK3PXP",
        "two_factor": ["sms"],
        "two_factor_code": "777000"
    });
    let (_sandbox, admin, mut p, _home) = login(options, "sms@example.com", &["login"]);
    p.expect("Two-factor authentication");
    p.choose("code by text message (Phone +1 ***-***-0123)", 1);
    p.expect("A code was sent by text message");
    p.expect("Remember this device?");
    p.choose("Remember this device for 24 hours", 2); // the longest the channel allows
    p.expect("Two-factor code");
    p.line("777000");
    p.expect("Logged in as sms@example.com");
    assert_eq!(p.finish(), 0, "{}", p.transcript);

    assert!(!p.transcript.contains("Remember this device for 30 days"));
    let two_factor = admin.two_factor("sms@example.com");
    assert_eq!(two_factor["pushes"], json!(["sms"]), "TWO_FA_PUSH_SMS");
    let answer = &two_factor["last_answer"];
    assert_eq!(
        (answer["value_type"].as_i64(), answer["expire_in"].as_i64()),
        (Some(2), Some(3)),
        "CODE_SMS, 24 hours"
    );
    // The SMS channel's uid: the account UID and "-sms" (the sandbox refuses other channels').
    let uid = answer["channel_uid"].as_str().unwrap();
    assert!(uid.len() > b64url_encode(&[0; 16]).len(), "{uid}");
    let left = two_factor["remembered"][0][1].as_i64().unwrap() - now_ms();
    assert!((DAY_MS - 60_000..=DAY_MS).contains(&left), "{left}");
}

#[test]
fn duo_push_is_sent_and_the_login_resumes_once_approved() {
    let (_sandbox, admin, mut p, _home) = login(
        json!({"two_factor": ["duo"]}),
        "duo@example.com",
        &["login"],
    );
    p.expect("Duo");
    p.choose("Enter a Duo passcode", 0); // push
    p.expect("then press Enter");
    assert_eq!(admin.approve_push("duo@example.com"), 1);
    p.line("");
    p.expect("Logged in as duo@example.com");
    assert_eq!(p.finish(), 0, "{}", p.transcript);

    assert_eq!(
        admin.two_factor("duo@example.com")["pushes"],
        json!(["duo_push"]),
        "TWO_FA_PUSH_DUO_PUSH"
    );
}

#[test]
fn duo_passcode_and_rsa_code_are_typed_with_their_value_types() {
    for (method, menu, value_type) in [("duo", Some("Enter a Duo passcode"), 3), ("rsa", None, 4)] {
        let email = format!("{method}@example.com");
        let options = json!({"two_factor": [method], "two_factor_code": "135790"});
        let (_sandbox, admin, mut p, _home) =
            login(options, &email, &["--remember-device", "login", "login"]);
        if let Some(menu) = menu {
            p.choose(menu, 1);
        }
        p.expect("Two-factor code");
        p.line("135790");
        p.expect(&format!("Logged in as {email}"));
        assert_eq!(p.finish(), 0, "{}", p.transcript);

        let answer = &admin.two_factor(&email)["last_answer"];
        assert_eq!(answer["value_type"], value_type, "{method}");
        assert_eq!(answer["expire_in"], 0, "{method}");
    }
}

#[test]
fn keeper_push_second_factor_waits_for_the_approval() {
    let (_sandbox, admin, mut p, _home) = login(
        json!({"two_factor": ["keeper-push"]}),
        "kpush@example.com",
        &["login"],
    );
    p.expect("Keeper Push to another device");
    p.expect("then press Enter");
    assert_eq!(admin.approve_push("kpush@example.com"), 1);
    p.line("");
    p.expect("Logged in as kpush@example.com");
    assert_eq!(p.finish(), 0, "{}", p.transcript);
    assert_eq!(
        admin.two_factor("kpush@example.com")["pushes"],
        json!(["keeper"])
    );
}

#[test]
fn with_no_channel_listed_a_backup_code_is_asked_for() {
    let (_sandbox, admin, mut p, _home) = login(
        json!({"backup_codes": ["backup-1234"]}),
        "backup@example.com",
        &["--remember-device", "login", "login"],
    );
    p.expect("backup code");
    p.expect("Two-factor code");
    p.line("backup-1234");
    p.expect("Logged in as backup@example.com");
    assert_eq!(p.finish(), 0, "{}", p.transcript);

    let two_factor = admin.two_factor("backup@example.com");
    let answer = &two_factor["last_answer"];
    assert_eq!(
        (answer["value_type"].as_i64(), answer["expire_in"].as_i64()),
        (Some(0), Some(0)),
        "CODE_NONE, ask at every login"
    );
    assert_eq!(
        two_factor["backup_codes"],
        json!([]),
        "a backup code works once"
    );
}
