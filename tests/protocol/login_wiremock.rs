//! `keeper::auth` Login v3 against a wiremock double of Keeper: device registration, password
//! login (BY_PASSWORD / BY_ALTERNATE), clone-code resume, region redirect, and the typed
//! outcomes of the other login states.

use crate::support::fake_keeper::account::{
    requires_auth_hash, serve_account, Account, PASSWORD, USERNAME,
};
use crate::support::fake_keeper::{FakeKeeper, Reply};
use gw_provision::keeper::auth::{
    login_with_password, resume_login, start_login, AuthError, DeviceCredentials, LoginDenied,
    LoginOptions, LoginOutcome, Session, SessionRestriction, TwoFactorExpiration, TwoFactorKind,
};
use gw_provision::keeper::crypto::EcPrivateKey;
use gw_provision::keeper::proto::authentication::{
    LoginResponse, StartLoginRequest, TwoFactorChannelInfo, TwoFactorValidateRequest,
    TwoFactorValidateResponse,
};
use gw_provision::keeper::transport::TransportError;
use prost::Message;

fn logged_in(outcome: LoginOutcome) -> Box<Session> {
    match outcome {
        LoginOutcome::LoggedIn(session) => session,
        other => panic!("expected LoggedIn, got {other:?}"),
    }
}

async fn password_login(fake: &FakeKeeper, device: Option<DeviceCredentials>) -> Box<Session> {
    let outcome = login_with_password(
        &fake.transport(),
        device,
        "Admin@Example.com",
        PASSWORD,
        &LoginOptions::default(),
    )
    .await
    .unwrap();
    logged_in(outcome)
}

#[tokio::test]
async fn password_login_on_a_new_device_decrypts_the_data_key_and_ecc_key() {
    let fake = FakeKeeper::start().await;
    let account = Account::new();
    serve_account(&fake, &account).await;

    let session = password_login(&fake, None).await;

    assert_eq!(session.data_key(), &account.data_key);
    assert_eq!(session.username(), USERNAME);
    assert_eq!(
        session.ecc_private_key().unwrap().to_bytes(),
        account.ecc.to_bytes()
    );
    assert_eq!(
        session.ecc_public_key().unwrap().to_uncompressed(),
        account.ecc.public_key().to_uncompressed()
    );
    assert!(session.rsa_private_key().is_none());
    assert_eq!(session.server(), &fake.server());
    let device = session.device_credentials().unwrap();
    assert_eq!(device.clone_code.as_ref().unwrap().as_bytes(), b"clone-1");
    assert_eq!(device.username.as_deref(), Some(USERNAME));
    assert_eq!(
        fake.endpoints(),
        [
            "authentication/register_device",
            "authentication/start_login",
            "authentication/validate_auth_hash",
            "login/account_summary"
        ]
    );
}

#[tokio::test]
async fn start_login_sends_the_documented_fields() {
    let fake = FakeKeeper::start().await;
    serve_account(&fake, &Account::new()).await;

    password_login(&fake, None).await;

    let call = fake
        .calls()
        .into_iter()
        .find(|c| c.endpoint == "authentication/start_login")
        .unwrap();
    let request = StartLoginRequest::decode(call.payload.as_slice()).unwrap();
    assert_eq!(request.username, USERNAME, "lower-cased");
    assert_eq!(
        request.client_version,
        gw_provision::keeper::transport::CLIENT_VERSION
    );
    assert_eq!(request.client_version, "c18.1.0");
    assert_eq!(request.message_session_uid.len(), 16);
    assert_eq!(
        (request.login_type, request.login_method),
        (0, 1),
        "NORMAL, EXISTING_ACCOUNT"
    );
    assert_eq!(request.encrypted_device_token, b"device-0");
    assert!(call.session_token.is_empty());
}

#[tokio::test]
async fn wrong_password_is_an_error_and_the_step_can_be_retried() {
    let fake = FakeKeeper::start().await;
    serve_account(&fake, &Account::new()).await;
    let LoginOutcome::NeedsPassword(step) =
        start_login(&fake.transport(), None, USERNAME, &LoginOptions::default())
            .await
            .unwrap()
    else {
        panic!("expected NeedsPassword");
    };

    let wrong = step.verify("not the password").await;
    let right = step.verify(PASSWORD).await.unwrap();

    assert!(matches!(wrong, Err(AuthError::WrongPassword)), "{wrong:?}");
    logged_in(right);
}

#[tokio::test]
async fn alternate_login_hashes_with_the_alternate_salt_and_decrypts_by_alternate() {
    let fake = FakeKeeper::start().await;
    let account = Account::new();
    serve_account(&fake, &account).await;
    let options = LoginOptions {
        alternate_password: true,
        ..LoginOptions::default()
    };

    let outcome = login_with_password(&fake.transport(), None, USERNAME, PASSWORD, &options)
        .await
        .unwrap();

    assert_eq!(logged_in(outcome).data_key(), &account.data_key);
    let start = &fake.calls()[1];
    assert_eq!(
        StartLoginRequest::decode(start.payload.as_slice())
            .unwrap()
            .login_type,
        3,
        "ALTERNATE"
    );
}

#[tokio::test]
async fn clone_code_resumes_without_password_by_device_public_key() {
    let fake = FakeKeeper::start().await;
    let account = Account::new();
    serve_account(&fake, &account).await;
    let first = password_login(&fake, None).await;
    let device = first.device_credentials().unwrap().clone();
    let stored: DeviceCredentials =
        serde_json::from_str(&serde_json::to_string(&device).unwrap()).unwrap();

    let outcome = resume_login(&fake.transport(), stored, &LoginOptions::default())
        .await
        .unwrap();

    let session = logged_in(outcome);
    assert_eq!(session.data_key(), &account.data_key);
    assert_eq!(
        session
            .device_credentials()
            .unwrap()
            .clone_code
            .as_ref()
            .unwrap()
            .as_bytes(),
        b"clone-2"
    );
    let resume = fake
        .calls()
        .into_iter()
        .rfind(|c| c.endpoint == "authentication/start_login")
        .unwrap();
    let request = StartLoginRequest::decode(resume.payload.as_slice()).unwrap();
    assert_eq!(
        request.username, "",
        "Commander sends the clone code without a username"
    );
    assert_eq!(request.clone_code, b"clone-1");
}

#[tokio::test]
async fn resume_without_a_clone_code_is_an_error() {
    let fake = FakeKeeper::start().await;
    let mut device = password_login_device(&fake).await;
    device.clone_code = None;

    let result = resume_login(&fake.transport(), device, &LoginOptions::default()).await;

    assert!(matches!(result, Err(AuthError::NoCloneCode)), "{result:?}");
}

async fn password_login_device(fake: &FakeKeeper) -> DeviceCredentials {
    serve_account(fake, &Account::new()).await;
    password_login(fake, None)
        .await
        .device_credentials()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn unknown_device_token_registers_a_new_device_and_retries() {
    let fake = FakeKeeper::start().await;
    serve_account(&fake, &Account::new()).await;
    let stale = DeviceCredentials {
        server: fake.server(),
        device_token: gw_provision::keeper::auth::DeviceToken::new(b"forgotten".to_vec()),
        device_private_key: EcPrivateKey::generate(),
        username: Some(USERNAME.into()),
        clone_code: None,
    };

    let session = password_login(&fake, Some(stale)).await;

    assert_eq!(
        session
            .device_credentials()
            .unwrap()
            .device_token
            .as_bytes(),
        b"device-0"
    );
    assert_eq!(
        &fake.endpoints()[..3],
        [
            "authentication/start_login",
            "authentication/register_device",
            "authentication/start_login"
        ]
    );
}

#[tokio::test]
async fn region_redirect_moves_to_the_new_host_registers_in_region_and_retries_once() {
    let home = FakeKeeper::start().await;
    let account = Account::new();
    serve_account(&home, &account).await;
    let first = FakeKeeper::start_with_key(home.key.clone()).await;
    let home_host = home.server().host().to_owned();
    first
        .on("authentication/start_login", move |_| {
            Reply::Error(400, serde_json::json!({"error": "region_redirect", "message": "moved", "region_host": home_host}))
        })
        .await;
    serve_account(&first, &Account::new()).await;
    let transport = first.transport();
    // The device exists in the first region only.
    let device = gw_provision::keeper::auth::register_device(&first.transport(), "test")
        .await
        .unwrap();

    let outcome = login_with_password(
        &transport,
        Some(device),
        USERNAME,
        PASSWORD,
        &LoginOptions::default(),
    )
    .await
    .unwrap();

    let session = logged_in(outcome);
    assert_eq!(session.server(), &home.server());
    assert_eq!(session.device_credentials().unwrap().server, home.server());
    assert_eq!(
        &home.endpoints()[..3],
        [
            "authentication/register_device_in_region",
            "authentication/start_login",
            "authentication/validate_auth_hash"
        ]
    );
}

#[tokio::test]
async fn a_region_redirect_drops_the_clone_code_and_logs_in_by_name_there() {
    let home = FakeKeeper::start().await;
    serve_account(&home, &Account::new()).await;
    let first = FakeKeeper::start_with_key(home.key.clone()).await;
    let home_host = home.server().host().to_owned();
    first
        .on("authentication/start_login", move |_| {
            Reply::Error(400, serde_json::json!({"error": "region_redirect", "message": "moved", "region_host": home_host}))
        })
        .await;
    serve_account(&first, &Account::new()).await;
    let mut device = gw_provision::keeper::auth::register_device(&first.transport(), "test")
        .await
        .unwrap();
    device.clone_code = Some(gw_provision::keeper::auth::CloneCode::new(
        b"bound-to-the-first-region".to_vec(),
    ));
    device.username = Some(USERNAME.to_owned());

    // Whatever the home region answers, what matters is what was asked of it.
    let _ = resume_login(&first.transport(), device, &LoginOptions::default()).await;

    let at_first = first
        .calls()
        .into_iter()
        .find(|c| c.endpoint == "authentication/start_login")
        .expect("start_login at the first host");
    let sent = StartLoginRequest::decode(at_first.payload.as_slice()).unwrap();
    assert!(
        !sent.clone_code.is_empty(),
        "the first try resumes by clone code"
    );
    let at_home = home
        .calls()
        .into_iter()
        .find(|c| c.endpoint == "authentication/start_login")
        .expect("start_login retried at home");
    let retried = StartLoginRequest::decode(at_home.payload.as_slice()).unwrap();
    assert!(
        retried.clone_code.is_empty(),
        "Commander drops the clone code after a redirect"
    );
    assert_eq!(retried.username, USERNAME);
}

#[tokio::test]
async fn a_second_region_redirect_is_returned_as_an_outcome() {
    let fake = FakeKeeper::start().await;
    let own_host = fake.server().host().to_owned();
    fake.on("authentication/start_login", move |_| {
        Reply::proto(&LoginResponse {
            login_state: 8,
            state_specific_value: own_host.clone(),
            ..LoginResponse::default()
        })
    })
    .await;
    serve_account(&fake, &Account::new()).await;

    let outcome = start_login(&fake.transport(), None, USERNAME, &LoginOptions::default())
        .await
        .unwrap();

    assert!(
        matches!(outcome, LoginOutcome::RegionRedirect { ref host } if host == fake.server().host()),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn two_factor_lists_channels_and_a_valid_code_continues_the_login() {
    let fake = FakeKeeper::start().await;
    fake.on("authentication/start_login", |call| {
        let request = StartLoginRequest::decode(call.payload.as_slice()).unwrap();
        if request.encrypted_login_token == b"after-2fa" {
            return requires_auth_hash();
        }
        Reply::proto(&LoginResponse {
            login_state: 12,
            encrypted_login_token: b"2fa-token".to_vec(),
            channels: vec![TwoFactorChannelInfo {
                channel_type: 1,
                channel_uid: b"totp".to_vec(),
                channel_name: "Authenticator".into(),
                ..TwoFactorChannelInfo::default()
            }],
            ..LoginResponse::default()
        })
    })
    .await;
    fake.on("authentication/2fa_validate", |call| {
        let request = TwoFactorValidateRequest::decode(call.payload.as_slice()).unwrap();
        assert_eq!(
            (
                request.value.as_str(),
                request.value_type,
                request.channel_uid.as_slice()
            ),
            ("123456", 1, &b"totp"[..])
        );
        assert_eq!(request.encrypted_login_token, b"2fa-token");
        Reply::proto(&TwoFactorValidateResponse {
            encrypted_login_token: b"after-2fa".to_vec(),
        })
    })
    .await;
    serve_account(&fake, &Account::new()).await;

    let LoginOutcome::NeedsTwoFactor(step) =
        start_login(&fake.transport(), None, USERNAME, &LoginOptions::default())
            .await
            .unwrap()
    else {
        panic!("expected NeedsTwoFactor");
    };
    let channel = step.channels()[0].clone();
    assert_eq!(
        (channel.kind, channel.name.as_str()),
        (TwoFactorKind::Totp, "Authenticator")
    );
    let LoginOutcome::NeedsPassword(password) = step
        .submit_code(
            &channel,
            " 123456 ",
            TwoFactorExpiration::TwoFaExpImmediately,
        )
        .await
        .unwrap()
    else {
        panic!("expected NeedsPassword after 2FA");
    };
    logged_in(password.verify(PASSWORD).await.unwrap());
}

#[tokio::test]
async fn other_login_states_are_typed_outcomes() {
    type Check = fn(&LoginOutcome) -> bool;
    let cases: Vec<(LoginResponse, Check)> = vec![
        (
            LoginResponse {
                login_state: 2,
                ..LoginResponse::default()
            },
            |o| matches!(o, LoginOutcome::NeedsDeviceApproval(_)),
        ),
        (
            LoginResponse {
                login_state: 17,
                ..LoginResponse::default()
            },
            |o| matches!(o, LoginOutcome::NeedsDeviceDataKey(_)),
        ),
        (
            LoginResponse {
                login_state: 9,
                url: "https://sso.example/".into(),
                ..LoginResponse::default()
            },
            |o| matches!(o, LoginOutcome::NeedsSso(sso) if sso.url == "https://sso.example/" && !sso.on_premises),
        ),
        (
            LoginResponse {
                login_state: 4,
                message: "locked".into(),
                ..LoginResponse::default()
            },
            |o| matches!(o, LoginOutcome::Denied { reason: LoginDenied::AccountLocked, message } if message == "locked"),
        ),
        (
            LoginResponse {
                login_state: 7,
                ..LoginResponse::default()
            },
            |o| {
                matches!(
                    o,
                    LoginOutcome::Denied {
                        reason: LoginDenied::LicenseExpired,
                        ..
                    }
                )
            },
        ),
        (
            LoginResponse {
                login_state: 13,
                ..LoginResponse::default()
            },
            |o| {
                matches!(
                    o,
                    LoginOutcome::Denied {
                        reason: LoginDenied::AccountRecoveryRequired,
                        ..
                    }
                )
            },
        ),
        (
            LoginResponse {
                login_state: 20,
                ..LoginResponse::default()
            },
            |o| {
                matches!(
                    o,
                    LoginOutcome::Denied {
                        reason: LoginDenied::Unsupported(20),
                        ..
                    }
                )
            },
        ),
    ];
    for (response, check) in cases {
        let fake = FakeKeeper::start().await;
        let reply = response.clone();
        fake.on("authentication/start_login", move |_| Reply::proto(&reply))
            .await;
        serve_account(&fake, &Account::new()).await;

        let outcome = start_login(&fake.transport(), None, USERNAME, &LoginOptions::default())
            .await
            .unwrap();

        assert!(
            check(&outcome),
            "state {} gave {outcome:?}",
            response.login_state
        );
    }
}

#[tokio::test]
async fn restricted_session_token_is_not_a_login() {
    let fake = FakeKeeper::start().await;
    fake.on("authentication/validate_auth_hash", |_| {
        Reply::proto(&LoginResponse {
            login_state: 99,
            session_token_type: 1,
            encrypted_session_token: b"s".to_vec(),
            ..LoginResponse::default()
        })
    })
    .await;
    serve_account(&fake, &Account::new()).await;

    let outcome = login_with_password(
        &fake.transport(),
        None,
        USERNAME,
        PASSWORD,
        &LoginOptions::default(),
    )
    .await
    .unwrap();

    assert!(
        matches!(
            outcome,
            LoginOutcome::Restricted {
                restriction: SessionRestriction::AccountRecovery,
                ..
            }
        ),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn data_key_registration_tolerates_device_data_key_exists_and_logout_sends_the_token() {
    let fake = FakeKeeper::start().await;
    serve_account(&fake, &Account::new()).await;
    let session = password_login(&fake, None).await;

    session.register_data_key_for_device().await.unwrap();
    session.register_data_key_for_device().await.unwrap();
    session.logout().await.unwrap();

    assert_eq!(fake.endpoints().last().unwrap(), "vault/logout_v3");
}

#[tokio::test]
async fn session_calls_carry_the_session_token() {
    let fake = FakeKeeper::start().await;
    serve_account(&fake, &Account::new()).await;
    fake.on("vault/execute_v2_command", |call| {
        assert_eq!(call.session_token, b"session");
        Reply::Message(br#"{"result":"success"}"#.to_vec())
    })
    .await;
    let session = password_login(&fake, None).await;

    let reply = session
        .execute_v2_command(serde_json::json!({"command": "sync_down"}))
        .await
        .unwrap();
    let missing = session.execute_rest("vault/nonexistent", None).await;

    assert_eq!(reply["result"], "success");
    assert!(
        matches!(missing, Err(TransportError::Http { status: 404 })),
        "{missing:?}"
    );
}
