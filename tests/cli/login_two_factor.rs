//! Second-factor channels other than an authenticator app, in a pseudo-terminal against the
//! scripted Keeper double: the channel menu, SMS (a code sent first), Duo Push, a backup code
//! when no channel is listed, and the "remember" durations a channel allows.
#![cfg(unix)]

use crate::support::double::{login_token, state, totp_channel, Double};
use crate::support::fake_keeper::account::{requires_auth_hash, PASSWORD, USERNAME};
use crate::support::fake_keeper::Reply;
use gw_provision::keeper::proto::authentication::{
    LoginResponse, TwoFactorChannelInfo, TwoFactorSendPushRequest, TwoFactorValidateRequest,
    TwoFactorValidateResponse,
};
use prost::Message;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

const ENV: [(&str, &str); 1] = [("KEEPER_PASSWORD", PASSWORD)];

/// start_login asks for a second factor on `channels` until a code or push passed.
fn two_factor_double(channels: Vec<TwoFactorChannelInfo>, passed: Arc<AtomicBool>) -> Double {
    let double = Double::start();
    let flag = passed.clone();
    double.on("authentication/start_login", move |call| {
        if login_token(call) == b"after-2fa" || flag.load(Ordering::SeqCst) {
            return requires_auth_hash();
        }
        Reply::proto(&LoginResponse {
            channels: channels.clone(),
            ..state(12)
        })
    });
    double.on("authentication/2fa_validate", |_| {
        Reply::proto(&TwoFactorValidateResponse {
            encrypted_login_token: b"after-2fa".to_vec(),
        })
    });
    double
}

fn sms_channel() -> TwoFactorChannelInfo {
    TwoFactorChannelInfo {
        channel_type: 2,
        channel_uid: b"sms".to_vec(),
        channel_name: "Phone".into(),
        phone_number: "+1 ***-***-0123".into(),
        max_expiration: 3, // 24 hours at most
        ..TwoFactorChannelInfo::default()
    }
}

fn sent_push_types(double: &Double) -> Vec<i32> {
    double
        .calls("authentication/2fa_send_push")
        .iter()
        .map(|c| {
            TwoFactorSendPushRequest::decode(c.payload.as_slice())
                .unwrap()
                .push_type
        })
        .collect()
}

fn validated(double: &Double) -> TwoFactorValidateRequest {
    let calls = double.calls("authentication/2fa_validate");
    TwoFactorValidateRequest::decode(calls[0].payload.as_slice()).unwrap()
}

#[test]
fn sms_is_chosen_from_the_menu_a_code_is_sent_and_remembering_is_capped_by_the_channel() {
    let double = two_factor_double(
        vec![totp_channel(), sms_channel()],
        Arc::new(AtomicBool::new(false)),
    );
    double.on("authentication/2fa_send_push", |_| Reply::Empty);
    double.serve_account();

    let mut p = double.pty(&ENV, &["--user", USERNAME, "login"]);
    p.expect("Two-factor authentication");
    p.choose("code by text message (Phone +1 ***-***-0123)", 1);
    p.expect("A code was sent by text message");
    p.expect("Remember this device?");
    p.choose("Remember this device for 24 hours", 2); // the longest the channel allows
    p.expect("Two-factor code");
    p.line("777000");
    p.expect("Logged in as admin@example.com");
    assert_eq!(p.finish(), 0, "{}", p.transcript);

    assert!(!p.transcript.contains("Remember this device for 30 days"));
    assert_eq!(sent_push_types(&double), [1], "TWO_FA_PUSH_SMS");
    let request = validated(&double);
    assert_eq!(
        (
            request.value.as_str(),
            request.value_type,
            request.channel_uid.as_slice(),
            request.expire_in
        ),
        ("777000", 2, &b"sms"[..], 3),
        "CODE_SMS on the SMS channel, 24 hours"
    );
}

#[test]
fn duo_push_is_sent_and_the_login_resumes_once_approved() {
    let passed = Arc::new(AtomicBool::new(false));
    let duo = TwoFactorChannelInfo {
        channel_type: 3,
        channel_uid: b"duo".to_vec(),
        capabilities: vec!["push".into(), "sms".into()],
        ..TwoFactorChannelInfo::default()
    };
    let double = two_factor_double(vec![duo], passed.clone());
    double.on("authentication/2fa_send_push", |_| Reply::Empty);
    double.serve_account();

    let mut p = double.pty(&ENV, &["--user", USERNAME, "login"]);
    p.expect("Duo");
    p.choose("Enter a Duo passcode", 0); // push
    p.expect("then press Enter");
    passed.store(true, Ordering::SeqCst);
    p.line("");
    p.expect("Logged in as admin@example.com");
    assert_eq!(p.finish(), 0, "{}", p.transcript);

    assert_eq!(sent_push_types(&double), [3], "TWO_FA_PUSH_DUO_PUSH");
}

#[test]
fn with_no_channel_listed_a_backup_code_is_asked_for() {
    let double = two_factor_double(Vec::new(), Arc::new(AtomicBool::new(false)));
    double.serve_account();

    let mut p = double.pty(
        &ENV,
        &["--user", USERNAME, "--remember-device", "login", "login"],
    );
    p.expect("backup code");
    p.expect("Two-factor code");
    p.line("backup-1234");
    p.expect("Logged in as admin@example.com");
    assert_eq!(p.finish(), 0, "{}", p.transcript);

    let request = validated(&double);
    assert_eq!(
        (
            request.value.as_str(),
            request.value_type,
            request.expire_in
        ),
        ("backup-1234", 0, 0),
        "CODE_NONE, ask at every login"
    );
}
