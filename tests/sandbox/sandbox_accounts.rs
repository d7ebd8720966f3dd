//! Sandbox accounts with each login requirement switched on, driven end to end through
//! gw-provision's client layer (`keeper::auth`), with the e-mail code and the push approval
//! taken from the sandbox's admin routes (`sandbox::admin_client`). The same through the real
//! binary: `tests/sandbox_accounts_cli.rs`.

use crate::support::accounts::{
    current_code, full_login, keeper_code, password, session, user, Fixture, PASSWORD, TOTP_SECRET,
};
use gw_provision::keeper::auth::{
    self, LoginDenied, LoginOptions, LoginOutcome, TwoFactorExpiration, TwoFactorKind,
};
use gw_provision::keeper::transport::TransportError;
use gw_provision::keeper::vault;
use gw_provision::sandbox::admin_client::AdminClientError;
use gw_provision::sandbox::ApprovalChannel;
use zeroize::Zeroizing;

#[tokio::test]
async fn added_account_has_the_full_key_set_and_syncs() {
    let fx = Fixture::start().await;
    fx.add(user("plain@example.com")).await;

    let session = session(password(fx.start_login(None, "Plain@Example.com").await).await);

    assert_eq!(session.username(), "plain@example.com");
    assert!(session.rsa_private_key().is_some() && session.ecc_private_key().is_some());
    vault::sync_down(&session).await.unwrap();
}

#[tokio::test]
async fn adding_an_existing_email_is_refused_as_exists_409() {
    let fx = Fixture::start().await;
    fx.add(user("dup@example.com")).await;

    let error = fx
        .admin
        .add_user(&user("DUP@example.com"))
        .await
        .unwrap_err();

    assert!(
        matches!(&error, AdminClientError::Refused { status: 409, code, .. } if code == "exists"),
        "{error:?}"
    );
}

#[tokio::test]
async fn invalid_account_options_are_bad_request() {
    let fx = Fixture::start().await;
    let mut bad_secret = user("a@example.com");
    bad_secret.totp_secret = Some(Zeroizing::new("not base32!".into()));
    let mut bad_region = user("b@example.com");
    bad_region.region_redirect = Some("https://x/".into());

    for bad in [bad_secret, bad_region, user("no-at-sign")] {
        let error = fx.admin.add_user(&bad).await.unwrap_err();
        assert!(
            matches!(&error, AdminClientError::Refused { status: 400, .. }),
            "{error:?}"
        );
    }
}

#[tokio::test]
async fn device_approval_by_email_code_then_resume_reaches_the_password() {
    let fx = Fixture::start().await;
    let mut account = user("mail@example.com");
    account.device_approval = Some(ApprovalChannel::Email);
    fx.add(account).await;

    let LoginOutcome::NeedsDeviceApproval(step) = fx.start_login(None, "mail@example.com").await
    else {
        panic!("expected device approval")
    };
    step.request_email_code().await.unwrap();
    let pending = fx.admin.device_approvals("mail@example.com").await.unwrap();
    assert_eq!(pending.len(), 1);
    let code = pending[0].email_code.clone().expect("an e-mail code");
    assert_eq!(code.len(), 6);

    let wrong = step.validate_email_code("000000x").await.unwrap_err();
    assert_eq!(keeper_code(wrong), "invalid_verification_code");
    step.validate_email_code(&code).await.unwrap();
    let session = session(password(step.resume().await.unwrap()).await);

    assert_eq!(session.username(), "mail@example.com");
    assert!(fx
        .admin
        .device_approvals("mail@example.com")
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn five_wrong_email_codes_void_the_code_until_a_new_one_is_requested() {
    let fx = Fixture::start().await;
    let mut account = user("guess@example.com");
    account.device_approval = Some(ApprovalChannel::Email);
    fx.add(account).await;
    let LoginOutcome::NeedsDeviceApproval(step) = fx.start_login(None, "guess@example.com").await
    else {
        panic!("expected device approval")
    };
    step.request_email_code().await.unwrap();
    let code = fx
        .admin
        .device_approvals("guess@example.com")
        .await
        .unwrap()[0]
        .email_code
        .clone()
        .unwrap();
    let wrong = if code == "000000" { "000001" } else { "000000" };

    for _ in 0..5 {
        assert!(step.validate_email_code(wrong).await.is_err());
    }

    assert!(step.validate_email_code(&code).await.is_err());
    step.request_email_code().await.unwrap();
    let fresh = fx
        .admin
        .device_approvals("guess@example.com")
        .await
        .unwrap()[0]
        .email_code
        .clone()
        .expect("a new code");
    step.validate_email_code(&fresh).await.unwrap();
}

#[tokio::test]
async fn keeper_push_waits_until_the_admin_route_approves_the_device() {
    let fx = Fixture::start().await;
    let mut account = user("push@example.com");
    account.device_approval = Some(ApprovalChannel::Push);
    fx.add(account).await;

    let LoginOutcome::NeedsDeviceApproval(step) = fx.start_login(None, "push@example.com").await
    else {
        panic!("expected device approval")
    };
    step.send_keeper_push().await.unwrap();
    assert!(matches!(
        step.resume().await.unwrap(),
        LoginOutcome::NeedsDeviceApproval(_)
    ));
    let approved = fx.admin.approve_device("push@example.com").await.unwrap();
    assert_eq!(approved.len(), 1);
    assert!(approved[0].push_requested);

    let outcome = step.resume().await.unwrap();
    let device = step.device_credentials().clone();
    session(password(outcome).await);

    // Commander restarts from scratch after an approval: the device stays approved.
    let again = fx.start_login(Some(device), "push@example.com").await;
    assert!(matches!(again, LoginOutcome::NeedsPassword(_)), "{again:?}");
    // Another device of the same account still needs its own approval.
    let other = fx.start_login(None, "push@example.com").await;
    assert!(
        matches!(other, LoginOutcome::NeedsDeviceApproval(_)),
        "{other:?}"
    );
}

#[tokio::test]
async fn totp_account_asks_for_the_code_after_the_password_and_rejects_a_wrong_one() {
    let fx = Fixture::start().await;
    let mut account = user("totp@example.com");
    account.totp_secret = Some(Zeroizing::new(TOTP_SECRET.into()));
    fx.add(account).await;

    let LoginOutcome::NeedsTwoFactor(step) =
        password(fx.start_login(None, "totp@example.com").await).await
    else {
        panic!("expected the second factor")
    };
    assert_eq!(step.channels().len(), 1);
    let channel = step.channels()[0].clone();
    assert_eq!(channel.kind, TwoFactorKind::Totp);

    let wrong = step
        .submit_code(&channel, "000000", TwoFactorExpiration::TwoFaExpImmediately)
        .await
        .unwrap_err();
    assert_eq!(keeper_code(wrong), "invalid_totp");
    let outcome = step
        .submit_code(
            &channel,
            &current_code(),
            TwoFactorExpiration::TwoFaExpImmediately,
        )
        .await
        .unwrap();
    let device = session(outcome).device_credentials().cloned().unwrap();

    // Not remembered: the same device is asked again.
    let next = password(fx.start_login(Some(device), "totp@example.com").await).await;
    assert!(matches!(next, LoginOutcome::NeedsTwoFactor(_)), "{next:?}");
}

#[tokio::test]
async fn totp_remembered_for_30_days_is_not_asked_again_on_that_device() {
    let fx = Fixture::start().await;
    let mut account = user("remember@example.com");
    account.totp_secret = Some(Zeroizing::new(TOTP_SECRET.into()));
    fx.add(account).await;

    let LoginOutcome::NeedsTwoFactor(step) =
        password(fx.start_login(None, "remember@example.com").await).await
    else {
        panic!("expected the second factor")
    };
    let channel = step.channels()[0].clone();
    let outcome = step
        .submit_code(
            &channel,
            &current_code(),
            TwoFactorExpiration::TwoFaExp30Days,
        )
        .await
        .unwrap();
    let device = session(outcome).device_credentials().cloned().unwrap();

    let again = password(fx.start_login(Some(device), "remember@example.com").await).await;
    session(again);
}

#[tokio::test]
async fn sso_account_is_sent_to_cloud_sso_and_logs_in_with_its_master_password() {
    let fx = Fixture::start().await;
    let mut account = user("sso@example.com");
    account.sso_master_password = true;
    fx.add(account).await;

    let LoginOutcome::NeedsSso(redirect) = fx.start_login(None, "sso@example.com").await else {
        panic!("expected an SSO redirect")
    };
    assert!(redirect.url.starts_with("https://") && !redirect.on_premises);

    let outcome = redirect.login_with_master_password().await.unwrap();
    let session = session(password(outcome).await);

    assert_eq!(session.username(), "sso@example.com");
    vault::sync_down(&session).await.unwrap();
}

#[tokio::test]
async fn alternate_login_of_an_sso_account_goes_straight_to_the_alternate_salt() {
    let fx = Fixture::start().await;
    let mut account = user("sso2@example.com");
    account.sso_master_password = true;
    fx.add(account).await;
    let options = LoginOptions {
        alternate_password: true,
        ..LoginOptions::default()
    };

    let outcome = auth::login_with_password(
        &fx.transport(),
        None,
        "sso2@example.com",
        PASSWORD,
        &options,
    )
    .await
    .unwrap();

    session(outcome);
}

#[tokio::test]
async fn region_redirect_moves_the_login_and_the_device_to_the_home_host() {
    let fx = Fixture::start().await;
    let home = format!("localhost:{}", fx.port());
    let mut account = user("eu@example.com");
    account.region_redirect = Some(home.clone());
    fx.add(account).await;

    let session = session(password(fx.start_login(None, "eu@example.com").await).await);

    assert_eq!(session.server().host(), home);
    let device = session.device_credentials().cloned().unwrap();
    assert_eq!(device.server.host(), home);
    // The device now lives on the home host: a login there needs no redirect.
    let again = auth::start_login(
        &fx.transport_to(&home),
        Some(device),
        "eu@example.com",
        &LoginOptions::default(),
    )
    .await
    .unwrap();
    assert!(matches!(again, LoginOutcome::NeedsPassword(_)), "{again:?}");
}

#[tokio::test]
async fn device_registered_on_another_host_is_registered_in_region_before_login() {
    let fx = Fixture::start().await;
    fx.add(user("plain@example.com")).await;
    let device = auth::register_device(&fx.transport(), "test")
        .await
        .unwrap();
    let localhost = fx.transport_to(&format!("localhost:{}", fx.port()));

    let outcome = auth::start_login(
        &localhost,
        Some(device),
        "plain@example.com",
        &LoginOptions::default(),
    )
    .await
    .unwrap();

    session(password(outcome).await);
}

#[tokio::test]
async fn locked_account_is_denied_as_account_locked() {
    let fx = Fixture::start().await;
    let mut account = user("locked@example.com");
    account.locked = true;
    fx.add(account).await;

    let outcome = fx.start_login(None, "locked@example.com").await;

    assert!(
        matches!(
            outcome,
            LoginOutcome::Denied {
                reason: LoginDenied::AccountLocked,
                ..
            }
        ),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn persistent_login_resumes_an_added_account_without_password_approval_or_code() {
    let fx = Fixture::start().await;
    let mut account = user("stay@example.com");
    account.device_approval = Some(ApprovalChannel::Email);
    account.totp_secret = Some(Zeroizing::new(TOTP_SECRET.into()));
    fx.add(account).await;
    let first = full_login(&fx, "stay@example.com").await;
    first.set_persistent_login(true).await.unwrap();
    first.register_data_key_for_device().await.unwrap();
    let device = first.device_credentials().cloned().unwrap();

    let resumed = session(
        auth::resume_login(&fx.transport(), device, &LoginOptions::default())
            .await
            .unwrap(),
    );

    assert_eq!(resumed.data_key(), first.data_key());
    assert!(
        resumed
            .account_summary()
            .settings
            .as_ref()
            .unwrap()
            .persistent_login
    );
}

#[tokio::test]
async fn expired_sessions_are_401_and_the_clone_code_asks_for_the_password_once() {
    let fx = Fixture::start().await;
    fx.add(user("expire@example.com")).await;
    let first = session(password(fx.start_login(None, "expire@example.com").await).await);
    first.register_data_key_for_device().await.unwrap();
    let device = first.device_credentials().cloned().unwrap();

    assert_eq!(
        fx.admin
            .expire_sessions(Some("expire@example.com"))
            .await
            .unwrap(),
        1
    );

    let error = first.execute_rest("keep_alive", None).await.unwrap_err();
    assert!(matches!(error, TransportError::SessionExpired), "{error:?}");
    let outcome = auth::resume_login(&fx.transport(), device, &LoginOptions::default())
        .await
        .unwrap();
    let again = session(password(outcome).await);
    let device = again.device_credentials().cloned().unwrap();
    let resumed = auth::resume_login(&fx.transport(), device, &LoginOptions::default())
        .await
        .unwrap();
    session(resumed);
}

#[tokio::test]
async fn admin_routes_answer_404_for_an_unknown_account() {
    let fx = Fixture::start().await;

    for error in [
        fx.admin
            .device_approvals("ghost@example.com")
            .await
            .unwrap_err(),
        fx.admin
            .approve_device("ghost@example.com")
            .await
            .unwrap_err(),
    ] {
        assert!(
            matches!(&error, AdminClientError::Refused { status: 404, code, .. } if code == "not_found"),
            "{error:?}"
        );
    }
}
