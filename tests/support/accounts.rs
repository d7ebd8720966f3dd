//! Shared by the sandbox-account tests: an in-process sandbox with its admin client, and the
//! login steps every test walks through (password, current TOTP code).
#![allow(dead_code)]

use gw_provision::keeper::auth::{
    self, DeviceCredentials, LoginOptions, LoginOutcome, Session, TwoFactorExpiration,
};
use gw_provision::keeper::crypto::{b64url_decode, EcPublicKey};
use gw_provision::keeper::server::Server;
use gw_provision::keeper::transport::{Transport, TransportError, TransportOptions};
use gw_provision::sandbox::admin_client::AdminClient;
use gw_provision::sandbox::totp;
use gw_provision::sandbox::{self, NewUser, RunningSandbox, SandboxOptions};

pub const PASSWORD: &str = "correct horse battery staple";
pub const TOTP_SECRET: &str = "JBSWY3DPEHPK3PXP";

/// An in-process sandbox on a fresh state dir, with a client for its admin routes.
pub struct Fixture {
    pub sandbox: RunningSandbox,
    pub admin: AdminClient,
    pub dir: tempfile::TempDir,
}

impl Fixture {
    pub async fn start() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let sandbox = sandbox::start(SandboxOptions::new(dir.path().join("state")))
            .await
            .unwrap();
        let admin = AdminClient::new(sandbox.descriptor()).unwrap();
        Fixture {
            sandbox,
            admin,
            dir,
        }
    }

    pub async fn add(&self, user: NewUser) {
        self.admin.add_user(&user).await.unwrap();
    }

    /// A transport to the sandbox under `host` (the descriptor's, or e.g. `localhost:PORT`).
    pub fn transport_to(&self, host: &str) -> Transport {
        let descriptor = self.sandbox.descriptor();
        let point = b64url_decode(&descriptor.server_public_key).unwrap();
        let mut options = TransportOptions::new(host.parse::<Server>().unwrap());
        options.custom_server_key = Some((
            descriptor.server_key_id,
            EcPublicKey::from_uncompressed(&point).unwrap(),
        ));
        options.ca_cert_pem = Some(descriptor.ca_cert_pem.clone());
        Transport::new(options).unwrap()
    }

    pub fn transport(&self) -> Transport {
        self.transport_to(&self.sandbox.descriptor().host)
    }

    pub fn port(&self) -> String {
        let host = &self.sandbox.descriptor().host;
        host.rsplit(':').next().unwrap().to_owned()
    }

    pub async fn start_login(
        &self,
        device: Option<DeviceCredentials>,
        email: &str,
    ) -> LoginOutcome {
        auth::start_login(&self.transport(), device, email, &LoginOptions::default())
            .await
            .unwrap()
    }
}

pub fn user(email: &str) -> NewUser {
    NewUser::new(email, PASSWORD)
}

pub fn current_code() -> String {
    let secret = totp::base32_decode(TOTP_SECRET).unwrap();
    totp::code_at(&secret, totp::unix_now())
}

pub async fn password(outcome: LoginOutcome) -> LoginOutcome {
    match outcome {
        LoginOutcome::NeedsPassword(step) => step.verify(PASSWORD).await.unwrap(),
        other => panic!("expected the password step, got {other:?}"),
    }
}

pub fn session(outcome: LoginOutcome) -> Session {
    match outcome {
        LoginOutcome::LoggedIn(session) => *session,
        other => panic!("expected a session, got {other:?}"),
    }
}

pub fn keeper_code(error: auth::AuthError) -> String {
    match error {
        auth::AuthError::Transport(TransportError::Keeper { code, .. }) => code,
        other => panic!("expected a Keeper error, got {other:?}"),
    }
}

/// Logs in through every requirement of `email` (approval by push, TOTP remembered never).
pub async fn full_login(fx: &Fixture, email: &str) -> Session {
    let mut outcome = fx.start_login(None, email).await;
    loop {
        outcome = match outcome {
            LoginOutcome::NeedsDeviceApproval(step) => {
                step.send_keeper_push().await.unwrap();
                fx.admin.approve_device(email).await.unwrap();
                step.resume().await.unwrap()
            }
            LoginOutcome::NeedsPassword(step) => step.verify(PASSWORD).await.unwrap(),
            LoginOutcome::NeedsTwoFactor(step) => {
                let channel = step.channels()[0].clone();
                step.submit_code(
                    &channel,
                    &current_code(),
                    TwoFactorExpiration::TwoFaExpNever,
                )
                .await
                .unwrap()
            }
            LoginOutcome::LoggedIn(session) => return *session,
            other => panic!("unexpected step {other:?}"),
        }
    }
}
