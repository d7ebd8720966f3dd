//! `gw-provision sandbox add-user` / `approve-device` through the real binary, against a running
//! sandbox (admin routes via `--sandbox-descriptor`) and a stopped one (`--state`); and what a
//! served sandbox logs: the e-mail code, no other secret.

use crate::support::accounts::{
    current_code, password, session, user, Fixture, PASSWORD, TOTP_SECRET,
};
use gw_provision::keeper::auth::{self, LoginOptions, LoginOutcome, TwoFactorExpiration};
use gw_provision::keeper::crypto::{b64url_decode, EcPublicKey};
use gw_provision::keeper::server::Server;
use gw_provision::keeper::transport::{Transport, TransportOptions};
use gw_provision::sandbox::admin_client::AdminClient;
use gw_provision::sandbox::{self, ApprovalChannel, SandboxOptions};
use std::path::Path;
use std::process::{Command, Output};
use zeroize::Zeroizing;

fn gw(home: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gw-provision"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("NO_COLOR", "1")
        .env("CI", "true")
        // `login` turns persistent login on only with consent; these runs give it (tests of the
        // default remove the variable).
        .env("GW_PROVISION_PERSISTENT_LOGIN", "true")
        .stdin(std::process::Stdio::null());
    command
}

/// Runs the binary off the async runtime so the in-process sandbox keeps serving.
async fn run(command: Command) -> Output {
    let mut command = command;
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test]
async fn add_user_offline_then_the_served_account_logs_in() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let mut command = gw(dir.path());
    command.args([
        "sandbox",
        "add-user",
        "--email",
        "off@example.com",
        "--password",
        PASSWORD,
    ]);
    command.arg("--state").arg(&state);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output));

    let sandbox = sandbox::start(SandboxOptions::new(&state)).await.unwrap();
    let fx = Fixture {
        admin: AdminClient::new(sandbox.descriptor()).unwrap(),
        sandbox,
        dir,
    };
    session(password(fx.start_login(None, "off@example.com").await).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_add_user_on_a_running_sandbox_says_to_use_the_descriptor() {
    let fx = Fixture::start().await;
    let mut command = gw(fx.dir.path());
    command.args([
        "sandbox",
        "add-user",
        "--email",
        "x@example.com",
        "--password",
        PASSWORD,
    ]);
    command.arg("--state").arg(fx.dir.path().join("state"));

    let output = run(command).await;

    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        text(&output).contains("in use by a running sandbox"),
        "{}",
        text(&output)
    );
    assert!(
        text(&output).contains("--sandbox-descriptor"),
        "{}",
        text(&output)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_adds_a_user_and_prints_then_approves_its_pending_email_code() {
    let fx = Fixture::start().await;
    let descriptor = fx.dir.path().join("descriptor.json");
    std::fs::write(
        &descriptor,
        serde_json::to_string(fx.sandbox.descriptor()).unwrap(),
    )
    .unwrap();
    let admin_command = |args: &[&str]| {
        let mut command = gw(fx.dir.path());
        command
            .arg("--sandbox-descriptor")
            .arg(&descriptor)
            .args(args);
        command
    };
    let added = run(admin_command(&[
        "sandbox",
        "add-user",
        "--email",
        "cli@example.com",
        "--password",
        PASSWORD,
        "--device-approval",
        "email",
        "--totp-secret",
        TOTP_SECRET,
    ]))
    .await;
    assert!(added.status.success(), "{}", text(&added));
    let again = run(admin_command(&[
        "sandbox",
        "add-user",
        "--email",
        "cli@example.com",
        "--password",
        "x",
    ]))
    .await;
    assert_eq!(again.status.code(), Some(4), "{}", text(&again));

    let LoginOutcome::NeedsDeviceApproval(step) = fx.start_login(None, "cli@example.com").await
    else {
        panic!("expected device approval")
    };
    step.request_email_code().await.unwrap();
    let code = run(admin_command(&[
        "sandbox",
        "approve-device",
        "--email",
        "cli@example.com",
        "--code-only",
    ]))
    .await;
    assert!(code.status.success(), "{}", text(&code));
    let code = String::from_utf8(code.stdout).unwrap();
    assert_eq!(code.trim().len(), 6, "{code:?}");

    let approved = run(admin_command(&[
        "sandbox",
        "approve-device",
        "--email",
        "cli@example.com",
    ]))
    .await;
    assert!(approved.status.success(), "{}", text(&approved));
    assert!(text(&approved).contains(code.trim()), "{}", text(&approved));
    let next = password(step.resume().await.unwrap()).await;
    assert!(matches!(next, LoginOutcome::NeedsTwoFactor(_)), "{next:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn served_sandbox_logs_the_email_code_and_no_other_secret() {
    let dir = tempfile::tempdir().unwrap();
    let descriptor_path = dir.path().join("descriptor.json");
    let log_path = dir.path().join("serve.log");
    let mut child = gw(dir.path())
        .args(["-vv", "sandbox", "serve", "--state"])
        .arg(dir.path().join("state"))
        .arg("--descriptor")
        .arg(&descriptor_path)
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let descriptor: sandbox::Descriptor = loop {
        if let Some(d) = std::fs::read_to_string(&descriptor_path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
        {
            break d;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let admin = AdminClient::new(&descriptor).unwrap();
    let mut account = user("log@example.com");
    account.device_approval = Some(ApprovalChannel::Email);
    account.totp_secret = Some(Zeroizing::new(TOTP_SECRET.into()));
    admin.add_user(&account).await.unwrap();

    let point = b64url_decode(&descriptor.server_public_key).unwrap();
    let mut options = TransportOptions::new(descriptor.host.parse::<Server>().unwrap());
    options.custom_server_key = Some((7, EcPublicKey::from_uncompressed(&point).unwrap()));
    options.ca_cert_pem = Some(descriptor.ca_cert_pem.clone());
    let transport = Transport::new(options).unwrap();
    let outcome = auth::start_login(
        &transport,
        None,
        "log@example.com",
        &LoginOptions::default(),
    )
    .await
    .unwrap();
    let LoginOutcome::NeedsDeviceApproval(step) = outcome else {
        panic!("expected device approval")
    };
    step.request_email_code().await.unwrap();
    let code = admin.device_approvals("log@example.com").await.unwrap()[0]
        .email_code
        .clone()
        .unwrap();
    step.validate_email_code(&code).await.unwrap();
    let LoginOutcome::NeedsTwoFactor(two_factor) = password(step.resume().await.unwrap()).await
    else {
        panic!("expected the second factor")
    };
    let channel = two_factor.channels()[0].clone();
    let session = session(
        two_factor
            .submit_code(
                &channel,
                &current_code(),
                TwoFactorExpiration::TwoFaExpNever,
            )
            .await
            .unwrap(),
    );
    session.register_data_key_for_device().await.unwrap();
    let clone_code = session
        .device_credentials()
        .and_then(|d| d.clone_code.clone())
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();

    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(log.contains(&code), "the e-mail code is logged:\n{log}");
    let mut secrets = vec![
        PASSWORD.to_owned(),
        TOTP_SECRET.to_owned(),
        descriptor.password.clone(),
    ];
    secrets.extend(
        [
            clone_code.as_bytes(),
            session.session_token().as_bytes(),
            session.data_key().as_bytes(),
        ]
        .iter()
        .flat_map(|bytes| {
            [
                gw_provision::keeper::crypto::b64url_encode(bytes),
                gw_provision::keeper::crypto::b64_std_encode(bytes),
            ]
        }),
    );
    for secret in secrets {
        assert!(!log.contains(&secret), "a secret is in the log:\n{log}");
    }
}
