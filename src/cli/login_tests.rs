//! Login steps that cannot be reached without a terminal through the binary: an SSO device
//! waiting for its data key (REQUIRES_DEVICE_ENCRYPTED_DATA_KEY) comes only after a Cloud SSO
//! token was pasted, so its non-interactive answer is checked here against a real sandbox.

use super::*;
use crate::cli::exit::ExitStatus;
use crate::keeper::auth::{self, LoginOptions};
use crate::keeper::crypto::{b64url_decode, EcPublicKey};
use crate::keeper::transport::{Transport, TransportOptions};
use crate::sandbox::admin_client::AdminClient;
use crate::sandbox::{self, ApprovalChannel, NewUser, SandboxOptions};

#[tokio::test]
async fn sso_device_approval_without_a_terminal_fails_fast_naming_the_admin_console() {
    let dir = tempfile::tempdir().unwrap();
    let running = sandbox::start(SandboxOptions::new(dir.path().join("state")))
        .await
        .unwrap();
    let descriptor = running.descriptor().clone();
    let admin = AdminClient::new(&descriptor).unwrap();
    let mut user = NewUser::new("sso@example.com", "pw");
    user.cloud_sso = true;
    user.device_approval = Some(ApprovalChannel::Push);
    admin.add_user(&user).await.unwrap();
    let mut options = TransportOptions::new(descriptor.host.parse().unwrap());
    let point = b64url_decode(&descriptor.server_public_key).unwrap();
    options.custom_server_key = Some((
        descriptor.server_key_id,
        EcPublicKey::from_uncompressed(&point).unwrap(),
    ));
    options.ca_cert_pem = Some(descriptor.ca_cert_pem.clone());
    let transport = Transport::new(options).unwrap();
    let LoginOutcome::NeedsSso(redirect) = auth::start_login(
        &transport,
        None,
        "sso@example.com",
        &LoginOptions::default(),
    )
    .await
    .unwrap() else {
        panic!("expected REDIRECT_CLOUD_SSO")
    };
    let login = redirect.start_cloud_login().unwrap();
    let token = admin.sso_token(login.url()).await.unwrap();
    let outcome = login.complete(&token).await.unwrap();
    assert!(matches!(outcome, LoginOutcome::NeedsDeviceDataKey(_)));

    let error = complete(outcome, &mut LoginContext::new(Ui::non_interactive()))
        .await
        .unwrap_err();

    assert_eq!(error.status, ExitStatus::Login);
    assert!(error.message.contains("approval of this device for SSO"));
    assert!(error.hint.unwrap_or_default().contains("Admin Console"));
    running.shutdown().await.unwrap();
}
