//! The login prompts of the real binary, in a pseudo-terminal, against the wiremock Keeper double
//! (`tests/fake_keeper`) behind a TLS front: each login state is scripted exactly, so the test
//! checks what the CLI sends (code, "remember" duration, login type, SSO token) and what it shows.
#![cfg(unix)]

use crate::support::double::{login_token, state, totp_channel, Double};
use crate::support::fake_keeper::account::{requires_auth_hash, PASSWORD, USERNAME};
use crate::support::fake_keeper::Reply;
use crate::support::login::run_within;
use crate::support::stderr;
use gw_provision::keeper::crypto::{
    aes_gcm_decrypt, aes_gcm_encrypt, b64url_decode, b64url_encode, ecies_decrypt, AesKey,
};
use gw_provision::keeper::proto::authentication::{
    ApiRequest, LoginResponse, StartLoginRequest, TwoFactorChannelInfo, TwoFactorSendPushRequest,
    TwoFactorValidateRequest, TwoFactorValidateResponse, ValidateDeviceVerificationCodeRequest,
};
use prost::Message;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

const ENTER: &str = "\r";

#[test]
fn totp_in_a_terminal_sends_the_code_and_the_chosen_remember_duration() {
    let double = Double::start();
    double.on("authentication/start_login", |call| {
        if login_token(call) == b"after-2fa" {
            return requires_auth_hash();
        }
        Reply::proto(&LoginResponse {
            channels: vec![totp_channel()],
            ..state(12)
        })
    });
    double.on("authentication/2fa_validate", |_| {
        Reply::proto(&TwoFactorValidateResponse {
            encrypted_login_token: b"after-2fa".to_vec(),
        })
    });
    double.serve_account();

    let mut p = double.pty(&[], &["--user", USERNAME, "login"]);
    p.expect("Remember this device?");
    p.choose("Remember this device forever", 3); // 30 days
    p.expect("Two-factor code");
    p.line("123456");
    p.expect("Master password for admin@example.com");
    p.line(PASSWORD);
    p.expect("Logged in as admin@example.com");
    assert_eq!(p.finish(), 0, "{}", p.transcript);

    let validate = &double.calls("authentication/2fa_validate")[0];
    let request = TwoFactorValidateRequest::decode(validate.payload.as_slice()).unwrap();
    assert_eq!((request.value.as_str(), request.expire_in), ("123456", 4));
    assert!(
        !p.transcript.contains(PASSWORD),
        "the password is not echoed"
    );
}

#[test]
fn a_rejected_code_is_asked_again_and_the_flag_sets_the_duration() {
    let double = Double::start();
    double.on("authentication/start_login", |call| {
        if login_token(call) == b"after-2fa" {
            return requires_auth_hash();
        }
        Reply::proto(&LoginResponse {
            channels: vec![totp_channel()],
            ..state(12)
        })
    });
    double.on("authentication/2fa_validate", |call| {
        let request = TwoFactorValidateRequest::decode(call.payload.as_slice()).unwrap();
        if request.value != "654321" {
            return Reply::keeper_error(400, "invalid_totp", "Invalid code");
        }
        Reply::proto(&TwoFactorValidateResponse {
            encrypted_login_token: b"after-2fa".to_vec(),
        })
    });
    double.serve_account();

    let env = [("KEEPER_PASSWORD", PASSWORD)];
    let mut p = double.pty(
        &env,
        &["--user", USERNAME, "--remember-device", "forever", "whoami"],
    );
    p.expect("Two-factor code");
    p.line("111111");
    p.expect("not accepted");
    p.line("654321");
    p.expect("admin@example.com on sandbox");
    assert_eq!(p.finish(), 0, "{}", p.transcript);

    let validates = double.calls("authentication/2fa_validate");
    let last = TwoFactorValidateRequest::decode(validates[1].payload.as_slice()).unwrap();
    assert_eq!(last.expire_in, 5, "forever = TWO_FA_EXP_NEVER");
}

/// start_login answers DEVICE_APPROVAL_REQUIRED until `approved`, then asks for the password.
fn approval_double(approved: Arc<AtomicBool>) -> Double {
    let double = Double::start();
    let flag = approved.clone();
    double.on("authentication/start_login", move |_| {
        if flag.load(Ordering::SeqCst) {
            requires_auth_hash()
        } else {
            Reply::proto(&state(2))
        }
    });
    double
}

#[test]
fn device_approval_by_email_code_in_a_terminal() {
    let approved = Arc::new(AtomicBool::new(false));
    let double = approval_double(approved.clone());
    double.on("authentication/request_device_verification", |_| {
        Reply::Empty
    });
    let flag = approved.clone();
    double.on(
        "authentication/validate_device_verification_code",
        move |call| {
            let request =
                ValidateDeviceVerificationCodeRequest::decode(call.payload.as_slice()).unwrap();
            if request.verification_code != "246810" {
                return Reply::keeper_error(400, "invalid_code", "Invalid code");
            }
            flag.store(true, Ordering::SeqCst);
            Reply::Empty
        },
    );
    double.serve_account();

    let env = [("KEEPER_PASSWORD", PASSWORD)];
    let mut p = double.pty(&env, &["--user", USERNAME, "login"]);
    p.expect("Approve this device by");
    p.choose("Use my two-factor code", 0); // e-mail
    p.expect("Code from the e-mail");
    p.line("000000");
    p.expect("not accepted");
    p.line("246810");
    p.expect("Logged in as admin@example.com");
    assert_eq!(p.finish(), 0, "{}", p.transcript);
    assert!(double.config()["clone_code"].is_string());
}

#[test]
fn device_approval_by_keeper_push_waits_for_the_person_then_resumes() {
    let approved = Arc::new(AtomicBool::new(false));
    let double = approval_double(approved.clone());
    double.on("authentication/2fa_send_push", |call| {
        let request = TwoFactorSendPushRequest::decode(call.payload.as_slice()).unwrap();
        assert_eq!(request.push_type, 2, "TWO_FA_PUSH_KEEPER");
        Reply::Empty
    });
    double.serve_account();

    let env = [("KEEPER_PASSWORD", PASSWORD)];
    let mut p = double.pty(&env, &["--user", USERNAME, "login"]);
    p.expect("Approve this device by");
    p.choose("Use my two-factor code", 1);
    p.expect("then press Enter");
    p.line(""); // not approved yet: asked again
    p.expect("Not approved yet");
    p.expect("Approve this device by");
    p.choose("Use my two-factor code", 1);
    p.expect("then press Enter");
    approved.store(true, Ordering::SeqCst);
    p.line("");
    p.expect("Logged in as admin@example.com");
    assert_eq!(p.finish(), 0, "{}", p.transcript);
}

#[test]
fn sso_account_in_a_terminal_can_switch_to_its_master_password() {
    let double = Double::start();
    double.on("authentication/start_login", |call| {
        let request = StartLoginRequest::decode(call.payload.as_slice()).unwrap();
        if request.login_type == 3 {
            return requires_auth_hash();
        }
        Reply::proto(&LoginResponse {
            url: "https://sso.example/login".into(),
            ..state(9)
        })
    });
    double.serve_account();

    let env = [("KEEPER_PASSWORD", PASSWORD)];
    let mut p = double.pty(&env, &["--user", USERNAME, "login"]);
    p.expect("https://sso.example/login?payload=");
    p.expect("SSO login");
    p.choose("with the SSO master password instead", 1);
    p.expect("Logged in as admin@example.com");
    assert_eq!(p.finish(), 0, "{}", p.transcript);
    assert_eq!(double.config()["sso_master_password"], true);
}

/// `SsoCloud.SsoCloudResponse`, as SSO Connect encrypts it into the token.
#[derive(Clone, PartialEq, prost::Message)]
struct SsoCloudResponse {
    #[prost(string, tag = "3")]
    email: String,
    #[prost(bytes = "vec", tag = "4")]
    encrypted_login_token: Vec<u8>,
}

#[test]
fn cloud_sso_token_pasted_in_a_terminal_continues_the_login_after_sso() {
    let double = Double::start();
    double.on("authentication/start_login", |call| {
        let request = StartLoginRequest::decode(call.payload.as_slice()).unwrap();
        if request.encrypted_login_token == b"from-sso" {
            assert_eq!(request.login_method, 3, "AFTER_SSO");
            return requires_auth_hash();
        }
        Reply::proto(&LoginResponse {
            url: "https://sso.example/login".into(),
            ..state(9)
        })
    });
    double.serve_account();

    let env = [("KEEPER_PASSWORD", PASSWORD)];
    let mut p = double.pty(&env, &["--user", USERNAME, "login"]);
    p.expect("payload=");
    p.expect("SSO login");
    p.expect("with the SSO master password instead");
    let url_tail = p.transcript.rsplit("payload=").next().unwrap().to_owned();
    let payload: String = url_tail
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    let request = ApiRequest::decode(b64url_decode(&payload).unwrap().as_slice()).unwrap();
    let key = ecies_decrypt(&double.fake.key, &request.encrypted_transmission_key).unwrap();
    let key = AesKey::from_slice(&key).unwrap();
    assert!(aes_gcm_decrypt(&key, &request.encrypted_payload).is_ok());
    let token = b64url_encode(&aes_gcm_encrypt(
        &key,
        &SsoCloudResponse {
            email: USERNAME.into(),
            encrypted_login_token: b"from-sso".to_vec(),
        }
        .encode_to_vec(),
    ));
    std::thread::sleep(std::time::Duration::from_millis(300));
    p.send(ENTER); // paste the token
    p.expect("SSO login token");
    p.line(&token);
    p.expect("Logged in as admin@example.com");
    assert_eq!(p.finish(), 0, "{}", p.transcript);
}

#[test]
fn expired_saved_session_asks_for_the_password_again_in_a_terminal() {
    let double = Double::start();
    let expired = Arc::new(AtomicBool::new(false));
    let flag = expired.clone();
    double.on("authentication/start_login", move |call| {
        let request = StartLoginRequest::decode(call.payload.as_slice()).unwrap();
        if !request.clone_code.is_empty() && flag.load(Ordering::SeqCst) {
            return Reply::keeper_error(401, "session_token_expired", "Session expired");
        }
        requires_auth_hash()
    });
    double.serve_account();
    let first = run_within({
        let mut c = double.command();
        c.env("KEEPER_PASSWORD", PASSWORD).arg("login");
        c
    });
    assert!(first.status.success(), "{}", stderr(&first));
    expired.store(true, Ordering::SeqCst);

    let without_terminal = run_within({
        let mut c = double.command();
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

    let mut p = double.pty(&[], &["--user", USERNAME, "whoami"]);
    p.expect("saved session has ended");
    p.expect("Master password for admin@example.com");
    p.line("not the password");
    p.expect("Wrong password");
    p.line(PASSWORD);
    p.expect("admin@example.com on sandbox");
    assert_eq!(p.finish(), 0, "{}", p.transcript);
}

#[test]
fn the_wizard_asks_for_the_master_password_and_ctrl_c_there_exits_130() {
    let double = Double::start();
    double.serve_account();
    let mut p = double.pty(&[], &["--user", USERNAME, "new"]);
    p.expect("Master password for admin@example.com");
    p.send("\x03");
    assert_eq!(p.finish(), 130, "{}", p.transcript);
}

#[test]
fn each_step_that_needs_a_person_fails_fast_without_a_terminal() {
    let cases: Vec<(LoginResponse, &str, &str)> = vec![
        (
            LoginResponse {
                channels: vec![totp_channel()],
                ..state(12)
            },
            "two-factor",
            "--remember-device",
        ),
        (
            state(2),
            "approval of this new device",
            "gw-provision login",
        ),
        (
            state(17),
            "approval of this device for SSO",
            "Admin Console",
        ),
        (
            LoginResponse {
                url: "https://sso.example/".into(),
                ..state(9)
            },
            "SSO",
            "--sso-master-password",
        ),
        (state(4), "the account is locked", "unlock"),
        (state(7), "license has expired", "renew"),
        (
            LoginResponse {
                channels: vec![TwoFactorChannelInfo {
                    channel_type: 7,
                    ..TwoFactorChannelInfo::default()
                }],
                ..state(12)
            },
            "hardware security key",
            "--keeper-config",
        ),
    ];
    for (response, step, hint) in cases {
        let double = Double::start();
        let reply = response.clone();
        double.on("authentication/start_login", move |_| Reply::proto(&reply));
        double.serve_account();

        let output = run_within({
            let mut c = double.command();
            c.env("KEEPER_PASSWORD", PASSWORD).arg("login");
            c
        });

        let text = stderr(&output);
        assert_eq!(
            output.status.code(),
            Some(3),
            "state {}: {text}",
            response.login_state
        );
        let error = text
            .lines()
            .find(|l| l.contains("error:"))
            .unwrap_or_default();
        assert!(
            error.contains(step),
            "state {}: {text}",
            response.login_state
        );
        assert!(
            text.contains(hint),
            "state {}: {text}",
            response.login_state
        );
    }
}
