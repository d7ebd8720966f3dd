//! A FakeKeeper (`support::fake_keeper`) behind a TLS front, described by a sandbox-style
//! descriptor, so the real binary's account path can be pointed at a scripted Keeper.
#![allow(dead_code)]

use super::fake_keeper::account::{serve_account, Account, USERNAME};
use super::fake_keeper::{self, FakeKeeper, Reply, FAKE_KEY_ID};
use super::login::{read_config, Pty};
use gw_provision::keeper::crypto::b64url_encode;
use gw_provision::keeper::proto::authentication::{
    LoginResponse, StartLoginRequest, TwoFactorChannelInfo,
};
use prost::Message;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A FakeKeeper reachable over HTTPS, described by a sandbox-style descriptor so the binary's
/// account path (`--user` other than the descriptor's) talks to it.
pub struct Double {
    pub runtime: tokio::runtime::Runtime,
    pub fake: FakeKeeper,
    dir: tempfile::TempDir,
    descriptor_path: PathBuf,
}

impl Double {
    pub fn start() -> Double {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let fake = runtime.block_on(FakeKeeper::start());
        let target = *fake.mock.address();
        let (port, ca_pem) = runtime.block_on(tls_front(target));
        let dir = tempfile::tempdir().unwrap();
        let descriptor_path = dir.path().join("double.json");
        let descriptor = serde_json::json!({
            "url": format!("https://127.0.0.1:{port}"),
            "host": format!("127.0.0.1:{port}"),
            "ca_cert_pem": ca_pem,
            "server_key_id": FAKE_KEY_ID,
            "server_public_key": b64url_encode(&fake.key.public_key().to_uncompressed()),
            "user": "seeded@double.test",
            "password": "unused"
        });
        std::fs::write(&descriptor_path, descriptor.to_string()).unwrap();
        Double {
            runtime,
            fake,
            dir,
            descriptor_path,
        }
    }

    pub fn on<F>(&self, endpoint: &str, handler: F)
    where
        F: Fn(&fake_keeper::Call) -> Reply + Send + Sync + 'static,
    {
        self.runtime.block_on(self.fake.on(endpoint, handler));
    }

    /// Mounts the fake account (after the scripted overrides).
    pub fn serve_account(&self) {
        self.runtime
            .block_on(serve_account(&self.fake, &Account::new()));
    }

    pub fn home(&self) -> &Path {
        self.dir.path()
    }

    pub fn pty(&self, env: &[(&str, &str)], args: &[&str]) -> Pty {
        Pty::spawn(&self.descriptor_path, self.home(), env, args)
    }

    pub fn command(&self) -> std::process::Command {
        let mut command = super::gw(self.home());
        command
            .arg("--sandbox-descriptor")
            .arg(&self.descriptor_path)
            .args(["--user", USERNAME]);
        command
    }

    pub fn calls(&self, endpoint: &str) -> Vec<fake_keeper::Call> {
        self.fake
            .calls()
            .into_iter()
            .filter(|c| c.endpoint == endpoint)
            .collect()
    }

    pub fn config(&self) -> serde_json::Value {
        read_config(&super::login::config_path(self.home()))
    }
}

/// Terminates TLS with a fresh CA and forwards the bytes to the plain-HTTP wiremock server.
async fn tls_front(target: std::net::SocketAddr) -> (u16, String) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, SanType};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::default();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf_params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    leaf_params
        .subject_alt_names
        .push(SanType::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()));
    let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::try_from(leaf_key.serialize_der()).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], key)
        .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut upstream) = tokio::net::TcpStream::connect(target).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut upstream).await;
            });
        }
    });
    (port, ca.pem())
}

pub fn login_token(call: &fake_keeper::Call) -> Vec<u8> {
    StartLoginRequest::decode(call.payload.as_slice())
        .unwrap()
        .encrypted_login_token
}

pub fn totp_channel() -> TwoFactorChannelInfo {
    TwoFactorChannelInfo {
        channel_type: 1,
        channel_uid: b"totp".to_vec(),
        channel_name: "Authenticator".into(),
        ..TwoFactorChannelInfo::default()
    }
}

pub fn state(login_state: i32) -> LoginResponse {
    LoginResponse {
        login_state,
        encrypted_login_token: b"step-token".to_vec(),
        ..LoginResponse::default()
    }
}
