//! A local HTTPS emulator of the Keeper API subset gw-provision uses.
//!
//! It speaks the real wire protocol (`api/rest` protobuf envelopes and `sm/v1` KSM JSON) with its
//! own P-256 server key (id 7) and its own TLS CA, so Keeper's official clients accept it once
//! pointed at the descriptor. State lives in one directory (an SQLite database, one row per object),
//! locked while a sandbox runs.
//! Built only on `keeper::crypto`, `keeper::proto` and `keeper::uid`, never on the client code.

mod account_policy;
mod admin;
pub mod admin_client;
pub(crate) mod context;
pub(crate) mod envelope;
pub mod faults;
mod ksm;
mod login;
mod login_steps;
mod new_user;
mod pam;
mod pam_config;
mod router;
mod serve;
mod server;
pub(crate) mod sm;
mod sso;
mod state;
mod stats;
mod store;
mod tls;
pub mod totp;
mod tracked;
mod two_factor;
mod vault;
mod wire;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::keeper::crypto::{b64url_encode, EcPrivateKey};

pub use account_policy::{ApprovalChannel, TwoFactorAnswer, TwoFactorMethod};
pub use admin::{AdminError, PendingApproval, TwoFactorStatus};
pub use envelope::SERVER_KEY_ID;
pub use faults::{Fault, FaultPlan, FaultPlanError, FaultRule};
pub use new_user::{AddUserError, EnforcementValue, NewUser};
pub use serve::{pid_path, serve_until_stopped, Served};
pub use stats::RequestStats;
pub use store::PersistError;

/// Why the sandbox could not start, run or stop.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The state directory is locked, unreadable or could not be written.
    #[error(transparent)]
    State(#[from] PersistError),
    /// The stored server key or certificate is unusable.
    #[error("stored server identity is invalid: {0}")]
    Identity(String),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// Requested address.
        addr: SocketAddr,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The descriptor file could not be written.
    #[error("cannot write descriptor {path}: {source}")]
    Descriptor {
        /// The file.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// Waiting for SIGINT/SIGTERM failed.
    #[error("cannot wait for a shutdown signal: {0}")]
    Signal(std::io::Error),
    /// A blocking task failed to run.
    #[error("sandbox task failed: {0}")]
    Task(String),
    /// An admin operation (add a user, approve devices, …) was refused.
    #[error(transparent)]
    Admin(#[from] AdminError),
}

/// How to run a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// Listen address; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Directory holding the state database and the lock.
    pub state_dir: PathBuf,
    /// Faults to inject from the start.
    pub faults: Option<FaultPlan>,
}

impl SandboxOptions {
    /// Options for `127.0.0.1:0` with the given state directory and no faults.
    pub fn new(state_dir: impl Into<PathBuf>) -> Self {
        Self {
            listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            state_dir: state_dir.into(),
            faults: None,
        }
    }
}

/// What a client needs to talk to a running sandbox; written as JSON with exactly these keys.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Descriptor {
    /// `https://127.0.0.1:PORT`.
    pub url: String,
    /// `127.0.0.1:PORT`.
    pub host: String,
    /// PEM of the CA that signed the server certificate; trust only this.
    pub ca_cert_pem: String,
    /// Server key id to use for `api/rest` and `sm/v1` (always 7).
    pub server_key_id: i32,
    /// Server public key, b64url of the 65-byte uncompressed P-256 point.
    pub server_public_key: String,
    /// Username of the seeded demo account.
    pub user: String,
    /// Password of the seeded demo account.
    pub password: String,
}

impl std::fmt::Debug for Descriptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Descriptor")
            .field("url", &self.url)
            .field("host", &self.host)
            .field("server_key_id", &self.server_key_id)
            .field("server_public_key", &self.server_public_key)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// A sandbox serving in the background; dropping it stops the server without a final save.
pub struct RunningSandbox {
    descriptor: Descriptor,
    stop: Arc<tokio::sync::Notify>,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    state: Arc<RwLock<state::State>>,
    store: Arc<store::StateStore>,
}

/// Starts a sandbox: locks and loads (or creates) the state, binds, and serves in the background.
pub async fn start(opts: SandboxOptions) -> Result<RunningSandbox, SandboxError> {
    let dir = opts.state_dir.clone();
    let (store, state) = tokio::task::spawn_blocking(move || store::StateStore::open(&dir))
        .await
        .map_err(|e| SandboxError::Task(e.to_string()))??;
    let server_key = EcPrivateKey::from_bytes(&state.server.ec_private_key)
        .map_err(|e| SandboxError::Identity(e.to_string()))?;
    let tls = state
        .server
        .tls
        .server_config()
        .map_err(|e| SandboxError::Identity(e.to_string()))?;
    let listener = tokio::net::TcpListener::bind(opts.listen)
        .await
        .map_err(|source| SandboxError::Bind {
            addr: opts.listen,
            source,
        })?;
    let local = listener.local_addr().map_err(|source| SandboxError::Bind {
        addr: opts.listen,
        source,
    })?;
    let descriptor = describe(&state, &server_key, local);
    let stop = Arc::new(tokio::sync::Notify::new());
    let state = Arc::new(RwLock::new(state));
    let store = Arc::new(store);
    let shared = Arc::new(context::Shared {
        state: Arc::clone(&state),
        store: Arc::clone(&store),
        server_key,
        faults: Mutex::new(opts.faults.unwrap_or_default()),
        logins: Mutex::new(Default::default()),
        stats: Mutex::new(RequestStats::default()),
        stop: Arc::clone(&stop),
    });
    let (shutdown, shutdown_rx) = watch::channel(false);
    let task = tokio::spawn(server::serve(
        listener,
        tokio_rustls::TlsAcceptor::from(tls),
        shared,
        shutdown_rx,
    ));
    Ok(RunningSandbox {
        descriptor,
        stop,
        shutdown,
        task: Some(task),
        state,
        store,
    })
}

fn describe(state: &state::State, key: &EcPrivateKey, local: SocketAddr) -> Descriptor {
    // A wildcard listen address is reachable on loopback; clients need a concrete host.
    let reachable = if local.ip().is_unspecified() {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), local.port())
    } else {
        local
    };
    let demo = state.accounts.first();
    Descriptor {
        url: format!("https://{reachable}"),
        host: reachable.to_string(),
        ca_cert_pem: state.server.tls.ca_cert_pem.clone(),
        server_key_id: SERVER_KEY_ID,
        server_public_key: b64url_encode(&key.public_key().to_uncompressed()),
        user: demo.map(|a| a.username.clone()).unwrap_or_default(),
        password: demo.map(|a| a.password.to_string()).unwrap_or_default(),
    }
}

impl std::fmt::Debug for RunningSandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningSandbox")
            .field("descriptor", &self.descriptor)
            .finish_non_exhaustive()
    }
}

impl RunningSandbox {
    /// How to reach this sandbox.
    pub fn descriptor(&self) -> &Descriptor {
        &self.descriptor
    }

    /// Resolves once `POST /__sandbox/shutdown` asked this sandbox to stop.
    pub async fn stop_requested(&self) {
        self.stop.notified().await;
    }

    /// Stops accepting, drains connections, and flushes the state to disk.
    pub async fn shutdown(mut self) -> Result<(), SandboxError> {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            task.await.map_err(|e| SandboxError::Task(e.to_string()))?;
        }
        self.store.mark_changed();
        self.store.save(&self.state).await?;
        Ok(())
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// Adds `count` v3 records to the demo account of the sandbox state in `state_dir` (tests, benches).
///
/// Runs without a server; the directory must not be in use by a running sandbox.
pub fn seed_records(state_dir: &Path, count: usize) -> Result<(), SandboxError> {
    let (store, mut state) = store::StateStore::open(state_dir)?;
    if let Some(account) = state.accounts.first_mut() {
        account
            .seed_records(count)
            .map_err(|e| SandboxError::Identity(e.to_string()))?;
    }
    store.write_changes(&mut state)?;
    Ok(())
}

/// Adds an account with login requirements to the state in `state_dir` (server stopped).
///
/// A running sandbox holds the directory's lock: use its admin route (`admin_client`) instead.
pub fn add_user(state_dir: &Path, user: &NewUser) -> Result<(), SandboxError> {
    let (store, mut state) = store::StateStore::open(state_dir)?;
    if state.account_index(&user.email).is_some() {
        let email = user.email.trim().to_ascii_lowercase();
        return Err(AdminError::AddUser(AddUserError::Exists(email)).into());
    }
    let account = new_user::create_account(user).map_err(AdminError::from)?;
    new_user::insert_account(&mut state, account).map_err(AdminError::from)?;
    store.write_changes(&mut state)?;
    Ok(())
}

/// The devices of `email` waiting for approval in the state in `state_dir` (server stopped).
pub fn device_approvals(
    state_dir: &Path,
    email: &str,
) -> Result<Vec<PendingApproval>, SandboxError> {
    let (_store, state) = store::StateStore::open(state_dir)?;
    Ok(admin::pending_approvals(&state, Some(email))?)
}

/// The second factor of `email` (server stopped): its code, backup codes, what clients sent.
pub fn two_factor_status(state_dir: &Path, email: &str) -> Result<TwoFactorStatus, SandboxError> {
    let (_store, state) = store::StateStore::open(state_dir)?;
    Ok(admin::two_factor_status(&state, email)?)
}

/// Approves every device of `email` waiting for approval (server stopped); returns them.
pub fn approve_devices(
    state_dir: &Path,
    email: &str,
) -> Result<Vec<PendingApproval>, SandboxError> {
    let (store, mut state) = store::StateStore::open(state_dir)?;
    let approved = admin::approve_devices(&mut state, email)?;
    store.write_changes(&mut state)?;
    Ok(approved)
}

/// Ends the sessions of `email`, or of every account (server stopped); returns how many.
pub fn expire_sessions(state_dir: &Path, email: Option<&str>) -> Result<usize, SandboxError> {
    let (store, mut state) = store::StateStore::open(state_dir)?;
    let expired = admin::expire_sessions(&mut state, email)?;
    store.write_changes(&mut state)?;
    Ok(expired)
}
