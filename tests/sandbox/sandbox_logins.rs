//! The second factors and SSO flows a sandbox account can require beyond an authenticator
//! (SMS, Duo push and passcode, RSA SecurID, Keeper Push, security key, backup codes, Cloud SSO
//! with a pasted login token, an expired license), driven through `keeper::auth` with the codes,
//! push approvals and SSO sign-in taken from the admin routes.

use crate::support::accounts::{keeper_code, password, session, user, Fixture};
use gw_provision::keeper::auth::{
    LoginDenied, LoginOutcome, TwoFactorExpiration, TwoFactorKind, TwoFactorPushType, TwoFactorStep,
};
use gw_provision::keeper::crypto::b64url_encode;
use gw_provision::sandbox::admin_client::AdminClientError;
use gw_provision::sandbox::{ApprovalChannel, NewUser, TwoFactorMethod};
use zeroize::Zeroizing;

const DAY_MS: i64 = 24 * 3600 * 1000;

fn now_ms() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    i64::try_from(now.as_millis()).unwrap()
}

fn with_two_factor(email: &str, methods: &[TwoFactorMethod], code: Option<&str>) -> NewUser {
    let mut account = user(email);
    account.two_factor = methods.to_vec();
    account.two_factor_code = code.map(|c| Zeroizing::new(c.to_owned()));
    account
}

/// Logs `email` in up to its second-factor step.
async fn two_factor_step(fx: &Fixture, email: &str) -> TwoFactorStep {
    match password(fx.start_login(None, email).await).await {
        LoginOutcome::NeedsTwoFactor(step) => step,
        other => panic!("expected the second factor, got {other:?}"),
    }
}

#[tokio::test]
async fn sms_code_is_sent_then_accepted_as_code_sms_and_remembered_at_most_24_hours() {
    let fx = Fixture::start().await;
    fx.add(with_two_factor(
        "sms@example.com",
        &[TwoFactorMethod::Sms],
        None,
    ))
    .await;
    let step = two_factor_step(&fx, "sms@example.com").await;
    let channel = step.channels()[0].clone();
    assert_eq!(channel.kind, TwoFactorKind::Sms);
    assert_eq!(
        channel.max_expiration,
        Some(TwoFactorExpiration::TwoFaExp24Hours)
    );
    assert!(!channel.phone_number.is_empty());

    step.send_push(&channel, TwoFactorPushType::TwoFaPushSms)
        .await
        .unwrap();
    let status = fx.admin.two_factor("sms@example.com").await.unwrap();
    let code = status.code.expect("a random SMS code");
    assert_eq!(status.pushes, ["sms"]);
    let wrong = if code == "000000" { "000001" } else { "000000" };
    assert_eq!(
        keeper_code(
            step.submit_code(&channel, wrong, TwoFactorExpiration::TwoFaExpNever)
                .await
                .unwrap_err()
        ),
        "invalid_totp"
    );
    session(
        step.submit_code(&channel, &code, TwoFactorExpiration::TwoFaExpNever)
            .await
            .unwrap(),
    );

    let status = fx.admin.two_factor("sms@example.com").await.unwrap();
    let answer = status.last_answer.unwrap();
    assert_eq!((answer.value_type, answer.expire_in), (2, 5), "CODE_SMS");
    assert_eq!(answer.channel_uid, b64url_encode(&channel.uid));
    let until = status.remembered[0].1 - now_ms();
    assert!(
        (DAY_MS - 60_000..=DAY_MS).contains(&until),
        "capped: {until}"
    );
}

#[tokio::test]
async fn a_push_type_or_value_type_of_another_channel_is_refused() {
    let fx = Fixture::start().await;
    fx.add(with_two_factor(
        "rsa@example.com",
        &[TwoFactorMethod::Rsa],
        Some("246810"),
    ))
    .await;
    let step = two_factor_step(&fx, "rsa@example.com").await;
    let mut channel = step.channels()[0].clone();
    assert_eq!(channel.kind, TwoFactorKind::RsaSecurId);

    let push = step
        .send_push(&channel, TwoFactorPushType::TwoFaPushSms)
        .await
        .unwrap_err();
    assert_eq!(keeper_code(push), "bad_request");
    channel.kind = TwoFactorKind::Sms; // CODE_SMS on the RSA channel
    let wrong_type = step
        .submit_code(&channel, "246810", TwoFactorExpiration::TwoFaExpImmediately)
        .await
        .unwrap_err();
    assert_eq!(keeper_code(wrong_type), "bad_request");
    channel.kind = TwoFactorKind::RsaSecurId;
    session(
        step.submit_code(&channel, "246810", TwoFactorExpiration::TwoFaExpImmediately)
            .await
            .unwrap(),
    );
    let status = fx.admin.two_factor("rsa@example.com").await.unwrap();
    assert_eq!(status.last_answer.unwrap().value_type, 4, "CODE_RSA");
    assert!(status.remembered.is_empty(), "asked at every login");
}

#[tokio::test]
async fn duo_push_waits_for_approve_push_and_a_duo_passcode_is_code_duo() {
    let fx = Fixture::start().await;
    fx.add(with_two_factor(
        "duo@example.com",
        &[TwoFactorMethod::Duo],
        Some("135790"),
    ))
    .await;
    let step = two_factor_step(&fx, "duo@example.com").await;
    let channel = step.channels()[0].clone();
    assert_eq!(channel.kind, TwoFactorKind::Duo);
    assert!(channel.capabilities.iter().any(|c| c == "push"));

    step.send_push(&channel, TwoFactorPushType::TwoFaPushDuoPush)
        .await
        .unwrap();
    assert!(matches!(
        step.resume().await.unwrap(),
        LoginOutcome::NeedsTwoFactor(_)
    ));
    assert_eq!(
        fx.admin
            .two_factor("duo@example.com")
            .await
            .unwrap()
            .pushes_waiting,
        1
    );
    assert_eq!(fx.admin.approve_push("duo@example.com").await.unwrap(), 1);
    session(step.resume().await.unwrap());

    let again = two_factor_step(&fx, "duo@example.com").await;
    session(
        again
            .submit_code(&channel, "135790", TwoFactorExpiration::TwoFaExpImmediately)
            .await
            .unwrap(),
    );
    let status = fx.admin.two_factor("duo@example.com").await.unwrap();
    assert_eq!(status.pushes, ["duo_push"]);
    assert_eq!(status.last_answer.unwrap().value_type, 3, "CODE_DUO");
}

#[tokio::test]
async fn keeper_push_second_factor_passes_once_the_push_is_approved() {
    let fx = Fixture::start().await;
    fx.add(with_two_factor(
        "kpush@example.com",
        &[TwoFactorMethod::KeeperPush],
        None,
    ))
    .await;
    let step = two_factor_step(&fx, "kpush@example.com").await;
    let channel = step.channels()[0].clone();
    assert_eq!(channel.kind, TwoFactorKind::KeeperPush);
    assert_eq!(fx.admin.approve_push("kpush@example.com").await.unwrap(), 0);

    step.send_push(&channel, TwoFactorPushType::TwoFaPushKeeper)
        .await
        .unwrap();
    assert_eq!(fx.admin.approve_push("kpush@example.com").await.unwrap(), 1);

    session(step.resume().await.unwrap());
    assert_eq!(
        fx.admin
            .two_factor("kpush@example.com")
            .await
            .unwrap()
            .pushes,
        ["keeper"]
    );
}

#[tokio::test]
async fn backup_codes_alone_list_no_channel_and_each_works_once() {
    let fx = Fixture::start().await;
    let mut account = user("backup@example.com");
    account.backup_codes = vec!["backup-1234".into(), "backup-5678".into()];
    fx.add(account).await;
    let step = two_factor_step(&fx, "backup@example.com").await;
    assert!(step.channels().is_empty());
    let backup = gw_provision::keeper::auth::TwoFactorChannel {
        kind: TwoFactorKind::Backup,
        uid: Vec::new(),
        name: String::new(),
        phone_number: String::new(),
        capabilities: Vec::new(),
        max_expiration: None,
    };

    session(
        step.submit_code(
            &backup,
            "backup-1234",
            TwoFactorExpiration::TwoFaExpImmediately,
        )
        .await
        .unwrap(),
    );
    let again = two_factor_step(&fx, "backup@example.com").await;
    let used = again
        .submit_code(
            &backup,
            "backup-1234",
            TwoFactorExpiration::TwoFaExpImmediately,
        )
        .await
        .unwrap_err();

    assert_eq!(keeper_code(used), "invalid_totp");
    let status = fx.admin.two_factor("backup@example.com").await.unwrap();
    assert_eq!(status.backup_codes, ["backup-5678"]);
    assert_eq!(status.last_answer.unwrap().value_type, 0, "CODE_NONE");
}

#[tokio::test]
async fn security_key_account_offers_only_a_webauthn_channel() {
    let fx = Fixture::start().await;
    fx.add(with_two_factor(
        "key@example.com",
        &[TwoFactorMethod::Webauthn],
        None,
    ))
    .await;
    let step = two_factor_step(&fx, "key@example.com").await;
    let kinds: Vec<_> = step.channels().iter().map(|c| c.kind).collect();
    assert_eq!(kinds, [TwoFactorKind::WebAuthn]);
}

#[tokio::test]
async fn expired_license_is_denied_as_license_expired() {
    let fx = Fixture::start().await;
    let mut account = user("expired@example.com");
    account.license_expired = true;
    fx.add(account).await;

    let outcome = fx.start_login(None, "expired@example.com").await;

    assert!(
        matches!(
            outcome,
            LoginOutcome::Denied {
                reason: LoginDenied::LicenseExpired,
                ..
            }
        ),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn inconsistent_two_factor_options_are_bad_request() {
    let fx = Fixture::start().await;
    let totp_without_secret = with_two_factor("a@example.com", &[TwoFactorMethod::Totp], None);
    let mut code_without_channel = user("b@example.com");
    code_without_channel.two_factor_code = Some(Zeroizing::new("123456".into()));

    for bad in [totp_without_secret, code_without_channel] {
        let error = fx.admin.add_user(&bad).await.unwrap_err();
        assert!(
            matches!(&error, AdminClientError::Refused { status: 400, .. }),
            "{error:?}"
        );
    }
}

fn cloud_sso(email: &str) -> NewUser {
    let mut account = user(email);
    account.cloud_sso = true;
    account
}

#[tokio::test]
async fn cloud_sso_token_from_the_identity_provider_logs_in_with_the_device_key() {
    let fx = Fixture::start().await;
    fx.add(cloud_sso("cloud@example.com")).await;
    let LoginOutcome::NeedsSso(redirect) = fx.start_login(None, "cloud@example.com").await else {
        panic!("expected REDIRECT_CLOUD_SSO")
    };
    assert!(!redirect.on_premises);
    let login = redirect.start_cloud_login().unwrap();

    let token = fx.admin.sso_token(login.url()).await.unwrap();
    let session = session(login.complete(&token).await.unwrap());

    assert_eq!(session.username(), "cloud@example.com");
    assert!(session.ecc_private_key().is_some(), "the data key opened");
}

#[tokio::test]
async fn sso_token_for_an_account_without_cloud_sso_is_refused() {
    let fx = Fixture::start().await;
    fx.add(cloud_sso("cloud@example.com")).await;
    let mut master = user("master@example.com");
    master.sso_master_password = true;
    fx.add(master).await;
    let LoginOutcome::NeedsSso(redirect) = fx.start_login(None, "master@example.com").await else {
        panic!("expected REDIRECT_CLOUD_SSO")
    };
    let login = redirect.start_cloud_login().unwrap();

    let error = fx.admin.sso_token(login.url()).await.unwrap_err();
    let no_payload = fx.admin.sso_token("https://x/").await.unwrap_err();

    for error in [error, no_payload] {
        assert!(
            matches!(&error, AdminClientError::Refused { status: 400, .. }),
            "{error:?}"
        );
    }
}

#[tokio::test]
async fn cloud_sso_on_a_new_device_waits_for_the_data_key_until_an_admin_approves() {
    let fx = Fixture::start().await;
    let mut account = cloud_sso("sso-device@example.com");
    account.device_approval = Some(ApprovalChannel::Push);
    fx.add(account).await;
    let LoginOutcome::NeedsSso(redirect) = fx.start_login(None, "sso-device@example.com").await
    else {
        panic!("expected REDIRECT_CLOUD_SSO")
    };
    let login = redirect.start_cloud_login().unwrap();
    let token = fx.admin.sso_token(login.url()).await.unwrap();

    let LoginOutcome::NeedsDeviceDataKey(step) = login.complete(&token).await.unwrap() else {
        panic!("expected REQUIRES_DEVICE_ENCRYPTED_DATA_KEY")
    };
    step.request_admin_approval().await.unwrap();
    assert!(matches!(
        step.resume().await.unwrap(),
        LoginOutcome::NeedsDeviceDataKey(_)
    ));
    fx.admin
        .approve_device("sso-device@example.com")
        .await
        .unwrap();

    assert_eq!(
        session(step.resume().await.unwrap()).username(),
        "sso-device@example.com"
    );
}

/// `SsoCloud.SsoCloudRequest` fields the sandbox reads (username) and echoes.
#[derive(Clone, PartialEq, prost::Message)]
struct SsoCloudRequest {
    #[prost(bytes = "vec", tag = "1")]
    message_session_uid: Vec<u8>,
    #[prost(string, tag = "8")]
    username: String,
}

/// `SsoCloud.SsoCloudResponse` fields the client reads.
#[derive(Clone, PartialEq, prost::Message)]
struct SsoCloudResponse {
    #[prost(string, tag = "3")]
    email: String,
    #[prost(bytes = "vec", tag = "4")]
    encrypted_login_token: Vec<u8>,
}

#[tokio::test]
async fn sso_login_token_resumes_only_with_login_method_after_sso() {
    use gw_provision::keeper::auth::register_device;
    use gw_provision::keeper::crypto::{aes_gcm_decrypt, b64url_decode, AesKey, EcPublicKey};
    use gw_provision::keeper::proto::authentication::{
        LoginMethod, LoginResponse, LoginState, StartLoginRequest,
    };
    use gw_provision::keeper::transport::envelope::{seal_request, RequestPayload};
    use gw_provision::keeper::transport::{ServerKey, ServerPublicKey};
    use prost::Message;

    let fx = Fixture::start().await;
    fx.add(cloud_sso("cloud@example.com")).await;
    let descriptor = fx.sandbox.descriptor();
    let point = b64url_decode(&descriptor.server_public_key).unwrap();
    let server_key = ServerKey::new(
        descriptor.server_key_id,
        ServerPublicKey::Ec(EcPublicKey::from_uncompressed(&point).unwrap()),
    );
    let transmission_key = AesKey::generate();
    let request = SsoCloudRequest {
        message_session_uid: vec![7; 16],
        username: "cloud@example.com".into(),
    };
    let sealed = seal_request(
        &server_key,
        &transmission_key,
        &RequestPayload {
            payload: &request.encode_to_vec(),
            session_token: None,
            api_version: 3,
        },
        "en_US",
    )
    .unwrap();
    let url = format!(
        "https://idp.example/login?payload={}",
        b64url_encode(&sealed)
    );
    let token = fx.admin.sso_token(&url).await.unwrap();
    let opened = aes_gcm_decrypt(&transmission_key, &b64url_decode(&token).unwrap()).unwrap();
    let response = SsoCloudResponse::decode(opened.as_slice()).unwrap();
    assert_eq!(response.email, "cloud@example.com");
    let transport = fx.transport();
    let device = register_device(&transport, "test").await.unwrap();
    let start = |method: LoginMethod| StartLoginRequest {
        encrypted_device_token: device.device_token.as_bytes().to_vec(),
        username: "cloud@example.com".into(),
        encrypted_login_token: response.encrypted_login_token.clone(),
        login_method: method as i32,
        ..StartLoginRequest::default()
    };

    let existing = transport
        .execute_proto::<_, LoginResponse>(
            "authentication/start_login",
            &start(LoginMethod::ExistingAccount),
            None,
        )
        .await
        .unwrap_err();
    let after_sso: LoginResponse = transport
        .execute_proto(
            "authentication/start_login",
            &start(LoginMethod::AfterSso),
            None,
        )
        .await
        .unwrap();

    assert!(existing.to_string().contains("AFTER_SSO"), "{existing}");
    assert_eq!(after_sso.login_state, LoginState::LoggedIn as i32);
}
