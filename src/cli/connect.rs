//! Getting a logged-in [`Session`]: the seeded demo account of a sandbox, or a Keeper account
//! with its saved device and session (persistent login), falling back to a login driven by
//! [`super::login`].
//!
//! Sandbox runs use the demo account unless the command names an account (`login`, `logout`,
//! `--user` other than the seeded one, `--config`, `--keeper-config`, `GW_PROVISION_CONFIG_B64`):
//! then the sandbox only provides the transport (host, CA, server key) and the real-account path
//! runs unchanged, with its own default config file (`sandbox-config.json`) so a sandbox device
//! never overwrites a real one.

use super::args::GlobalArgs;
use super::config::{
    self, AccountConfig, ConfigChoice, ConfigError, ConfigSource, COMMANDER_CONFIG_ENV,
    CONFIG_B64_ENV,
};
use super::demo_logout;
use super::exit::{CliError, ExitStatus};
use super::login::{self, LoginContext};
use super::Ui;
use crate::keeper::auth::{
    self, AuthError, DeviceCredentials, LoginDenied, LoginOptions, LoginOutcome, Session,
    SessionRenewal,
};
use crate::keeper::crypto::{b64url_decode, EcPublicKey};
use crate::keeper::ksm::RedeemOptions;
use crate::keeper::server::Server;
use crate::keeper::transport::{
    check_ca_certificate, SessionToken, Transport, TransportError, TransportOptions,
};
use crate::sandbox::{self, Descriptor, RunningSandbox, SandboxOptions};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use zeroize::Zeroizing;

/// A logged-in session and what else the run needs to know about where it is connected.
pub struct Connection {
    /// The session.
    pub session: Session,
    /// How to reach the same server's KSM endpoints (docker/kubernetes config).
    pub redeem: RedeemOptions,
    /// The server as shown in output (`US`, a host, or `sandbox (127.0.0.1:PORT)`).
    pub server_label: String,
    /// The config this account login used (`None` for a sandbox's demo account).
    pub config: Option<AccountConfig>,
    /// The server is a sandbox: its tokens are not valid on Keeper.
    pub sandbox: bool,
    /// Keeps an in-process sandbox alive for the length of the run.
    _sandbox: Option<RunningSandbox>,
}

impl Connection {
    /// The server for `--output json` (`{region, host, sandbox}`), as the session ended up
    /// (after a region redirect, the account's home region).
    pub fn server_json(&self) -> serde_json::Value {
        super::json_doc::server(self.session.server(), self.sandbox)
    }
}

/// Why the session is wanted, which decides whether the config is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// Any command: an existing config is kept up to date (the rotated clone code), none is made.
    Use,
    /// `login`: the device and session are always saved.
    Login,
}

/// Where `--sandbox` keeps its state: `$XDG_DATA_HOME/gw-provision/sandbox`.
pub fn default_sandbox_dir() -> Result<PathBuf, CliError> {
    dirs::data_dir()
        .map(|dir| dir.join("gw-provision").join("sandbox"))
        .ok_or_else(|| {
            CliError::new(
                ExitStatus::Usage,
                "cannot find a data directory for the sandbox",
            )
            .hint("set XDG_DATA_HOME or HOME, or run `gw-provision sandbox serve --state DIR`")
        })
}

/// Logs in as the command line says; rewrites an existing config with the rotated clone code.
pub async fn connect(global: &GlobalArgs, ui: Ui) -> Result<Connection, CliError> {
    connect_with(global, ui, Purpose::Use).await
}

/// Logs in for `gw-provision login`: the device and session are saved even without a config yet.
pub async fn connect_for_login(global: &GlobalArgs, ui: Ui) -> Result<Connection, CliError> {
    connect_with(global, ui, Purpose::Login).await
}

async fn connect_with(
    global: &GlobalArgs,
    ui: Ui,
    purpose: Purpose,
) -> Result<Connection, CliError> {
    let sandbox = open_sandbox(global).await?;
    match sandbox {
        Some(target)
            if !wants_account(global, &target.descriptor, purpose)
                && !logged_in_to(global, &target.descriptor) =>
        {
            if demo_logout::is_logged_out(&target.descriptor.host) {
                return Err(demo_logout::not_logged_in(&target.descriptor.host));
            }
            connect_demo(target).await
        }
        sandbox => connect_account(global, ui, purpose, sandbox).await,
    }
}

/// The saved config and, when its clone code still works, the session it resumes (for `logout`).
pub struct Saved {
    /// The config.
    pub config: AccountConfig,
    /// The resumed session, if the server still honours the clone code.
    pub session: Option<Session>,
    /// Keeps an in-process sandbox alive while the session is used.
    _sandbox: Option<RunningSandbox>,
}

/// Loads the account config and resumes its session without ever asking for a password.
pub async fn resume_saved(global: &GlobalArgs) -> Result<Saved, CliError> {
    let sandbox = open_sandbox(global).await?;
    let account = prepare_account(global, sandbox.as_ref().map(|t| &t.descriptor))?;
    let running = sandbox.and_then(|t| t.running);
    let Some(device) = account.device.clone().filter(|d| d.clone_code.is_some()) else {
        return Ok(Saved {
            config: account.config,
            session: None,
            _sandbox: running,
        });
    };
    let session =
        match auth::resume_login(&account.transport, device, &LoginOptions::default()).await {
            Ok(LoginOutcome::LoggedIn(session)) => Some(*session),
            Ok(_) => None,
            Err(e) => {
                tracing::info!("the saved session could not be resumed: {e}");
                None
            }
        };
    Ok(Saved {
        config: account.config,
        session,
        _sandbox: running,
    })
}

/// A sandbox to talk to, and the in-process server when `--sandbox` started one.
struct SandboxTarget {
    descriptor: Descriptor,
    running: Option<RunningSandbox>,
}

async fn open_sandbox(global: &GlobalArgs) -> Result<Option<SandboxTarget>, CliError> {
    if global.sandbox {
        let running = sandbox::start(SandboxOptions {
            listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            state_dir: default_sandbox_dir()?,
            faults: None,
        })
        .await
        .map_err(|e| CliError::new(ExitStatus::Internal, format!("sandbox: {e}")))?;
        return Ok(Some(SandboxTarget {
            descriptor: running.descriptor().clone(),
            running: Some(running),
        }));
    }
    match &global.sandbox_descriptor {
        Some(path) => Ok(Some(SandboxTarget {
            descriptor: read_descriptor(path)?,
            running: None,
        })),
        None => Ok(None),
    }
}

/// The descriptor of `--sandbox-descriptor` when this run would use its seeded demo account.
pub fn demo_descriptor(global: &GlobalArgs) -> Result<Option<Descriptor>, CliError> {
    let Some(path) = &global.sandbox_descriptor else {
        return Ok(None);
    };
    let descriptor = read_descriptor(path)?;
    Ok((!wants_account(global, &descriptor, Purpose::Use)).then_some(descriptor))
}

/// True when a sandbox run should go through the real-account path (see the module docs).
fn wants_account(global: &GlobalArgs, descriptor: &Descriptor, purpose: Purpose) -> bool {
    purpose != Purpose::Use
        || global.config.is_some()
        || global.keeper_config.is_some()
        || b64_config_set()
        || global
            .user
            .as_deref()
            .is_some_and(|u| !u.trim().eq_ignore_ascii_case(&descriptor.user))
}

/// True when `gw-provision login` saved a resumable session for this sandbox's demo account:
/// later runs resume it (start_login + account_summary) instead of registering a new device and
/// sending the password, as a run against a real account does after `login`.
fn logged_in_to(global: &GlobalArgs, descriptor: &Descriptor) -> bool {
    let Ok(home) = descriptor.host.parse::<Server>() else {
        return false;
    };
    load_config(global, true)
        .ok()
        .and_then(|config| config.device_credentials())
        .is_some_and(|device| {
            device.clone_code.is_some()
                && same_sandbox(&device.server, &home)
                && device
                    .username
                    .as_deref()
                    .is_some_and(|user| user.eq_ignore_ascii_case(&descriptor.user))
        })
}

fn b64_config_set() -> bool {
    std::env::var_os(CONFIG_B64_ENV).is_some_and(|v| !v.is_empty())
}

fn read_descriptor(path: &Path) -> Result<Descriptor, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::new(
            ExitStatus::Usage,
            format!("cannot read sandbox descriptor {}: {e}", path.display()),
        )
        .hint("start one with `gw-provision sandbox serve --descriptor FILE`")
    })?;
    serde_json::from_str(&text).map_err(|e| {
        CliError::new(
            ExitStatus::Usage,
            format!("{} is not a sandbox descriptor: {e}", path.display()),
        )
    })
}

/// Transport settings for a sandbox: its host, its CA and its server key.
fn sandbox_transport(
    descriptor: &Descriptor,
    server: Server,
) -> Result<(TransportOptions, RedeemOptions), CliError> {
    let bad = |e: &dyn std::fmt::Display| {
        CliError::new(ExitStatus::Usage, format!("sandbox descriptor: {e}"))
    };
    let key_bytes = b64url_decode(&descriptor.server_public_key).map_err(|e| bad(&e))?;
    let key = EcPublicKey::from_uncompressed(&key_bytes).map_err(|e| bad(&e))?;
    // Checked here so the message names the descriptor, not a failing HTTPS client.
    check_ca_certificate(&descriptor.ca_cert_pem).map_err(|e| {
        let detail = match e {
            TransportError::InvalidCaCertificate(detail) => detail,
            other => other.to_string(),
        };
        CliError::new(
            ExitStatus::Usage,
            format!("the sandbox descriptor's CA certificate (ca_cert_pem) is invalid: {detail}"),
        )
        .hint("use the descriptor `gw-provision sandbox serve --descriptor FILE` wrote, unedited")
    })?;
    // The sandbox serves the router's paths itself, on the same host and port.
    let router_url = format!("https://{}", server.host());
    let mut options = TransportOptions::new(server);
    options.custom_server_key = Some((descriptor.server_key_id, key.clone()));
    options.ca_cert_pem = Some(descriptor.ca_cert_pem.clone());
    options.router_url = Some(router_url);
    let redeem = RedeemOptions {
        hostname: Some(descriptor.host.clone()),
        server_public_key: Some((descriptor.server_key_id, key)),
        ca_cert_pem: Some(descriptor.ca_cert_pem.clone()),
    };
    Ok((options, redeem))
}

async fn connect_demo(target: SandboxTarget) -> Result<Connection, CliError> {
    let descriptor = &target.descriptor;
    let server: Server = descriptor
        .host
        .parse()
        .map_err(|e| CliError::new(ExitStatus::Usage, format!("sandbox descriptor: {e}")))?;
    let (options, redeem) = sandbox_transport(descriptor, server)?;
    let transport = Transport::new(options)?;
    // An explicit KEEPER_PASSWORD is the one tried, for the demo account too.
    let password = Zeroizing::new(
        std::env::var("KEEPER_PASSWORD")
            .ok()
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| descriptor.password.clone()),
    );
    let options = LoginOptions::default();
    let login =
        || auth::login_with_password(&transport, None, &descriptor.user, &password, &options);
    // A session ended between its login and its first use is simply logged in again, once.
    let outcome = match login().await {
        Err(AuthError::Transport(TransportError::SessionExpired)) => login().await?,
        other => other?,
    };
    let session = login::complete(outcome, &mut LoginContext::new(Ui::non_interactive())).await?;
    let renewal = PasswordRenewal {
        transport: session.transport().clone(),
        username: descriptor.user.clone(),
        password,
    };
    let session = session.with_renewal(Arc::new(renewal));
    Ok(Connection {
        session,
        redeem,
        server_label: format!("sandbox ({})", descriptor.host),
        config: None,
        sandbox: true,
        _sandbox: target.running,
    })
}

/// Everything an account login starts from.
struct Account {
    config: AccountConfig,
    transport: Transport,
    /// The saved device for this server, with its clone code only if it belongs to the account.
    device: Option<DeviceCredentials>,
    redeem: RedeemOptions,
    label: String,
    /// The sandbox's seeded account and password, when running against a sandbox.
    seeded: Option<(String, Zeroizing<String>)>,
}

fn prepare_account(global: &GlobalArgs, sandbox: Option<&Descriptor>) -> Result<Account, CliError> {
    let config = load_config(global, sandbox.is_some())?;
    let saved = config.device_credentials();
    let (options, device, redeem, label, seeded) = match sandbox {
        None => {
            let server = match &global.server {
                Some(server) => server.clone(),
                None => config.server().cloned().unwrap_or_default(),
            };
            // A saved device belongs to the server that issued it.
            let device = saved.filter(|d| d.server == server);
            let label = server.to_string();
            let mut options = TransportOptions::new(server);
            // Commander's override of the router's address (`constants.py::get_router_host`).
            options.router_url = std::env::var("KROUTER_URL")
                .ok()
                .filter(|url| !url.trim().is_empty());
            (options, device, RedeemOptions::default(), label, None)
        }
        Some(descriptor) => {
            let home: Server = descriptor.host.parse().map_err(|e| {
                CliError::new(ExitStatus::Usage, format!("sandbox descriptor: {e}"))
            })?;
            let device = saved.filter(|d| same_sandbox(&d.server, &home));
            // After a region redirect the device lives on another name of the same sandbox.
            let server = device.as_ref().map_or(home, |d| d.server.clone());
            let (options, redeem) = sandbox_transport(descriptor, server)?;
            let seeded = (
                descriptor.user.clone(),
                Zeroizing::new(descriptor.password.clone()),
            );
            let label = format!("sandbox ({})", descriptor.host);
            (options, device, redeem, label, Some(seeded))
        }
    };
    // The device serves any account; its clone code only the account it was issued to.
    let device = device.map(|mut device| {
        if let Some(user) = &global.user {
            let same = device
                .username
                .as_deref()
                .is_some_and(|saved| saved.eq_ignore_ascii_case(user.trim()));
            if !same {
                device.clone_code = None;
                device.username = None;
            }
        }
        device
    });
    Ok(Account {
        config,
        transport: Transport::new(options)?,
        device,
        redeem,
        label,
        seeded,
    })
}

async fn connect_account(
    global: &GlobalArgs,
    ui: Ui,
    purpose: Purpose,
    sandbox: Option<SandboxTarget>,
) -> Result<Connection, CliError> {
    let mut account = prepare_account(global, sandbox.as_ref().map(|t| &t.descriptor))?;
    let is_sandbox = sandbox.is_some();
    if purpose == Purpose::Login && !account.config.is_writable() {
        return Err(CliError::new(
            ExitStatus::Usage,
            format!("`login` saves the session, but the config comes from {CONFIG_B64_ENV}, which is read-only"),
        )
        .hint("unset it, or pass --config FILE"));
    }
    // The rule for writing: `login` always saves; any other command only keeps an existing
    // config up to date (the clone code rotates on every login), and never creates one.
    let save =
        account.config.is_writable() && (purpose == Purpose::Login || account.config.exists());
    if !save && account.config.exists() {
        tracing::info!(
            "the rotated clone code is not saved: {} is read-only",
            account.config.describe()
        );
    }
    let alternate = global.sso_master_password || account.config.sso_master_password();
    let options = LoginOptions {
        alternate_password: alternate,
        ..LoginOptions::default()
    };

    let mut outcome = None;
    if let Some(device) = account.device.clone().filter(|d| d.clone_code.is_some()) {
        match auth::resume_login(&account.transport, device, &options).await {
            Ok(LoginOutcome::Denied {
                reason: LoginDenied::UsernameRequired,
                ..
            }) => tracing::info!("persistent login needs the username; logging in again"),
            Ok(resumed) => outcome = Some(resumed),
            Err(AuthError::Transport(e)) if e.is_connection_error() => return Err(e.into()),
            Err(e) => {
                tracing::info!("persistent login unavailable ({e}); logging in again");
                if ui.interactive {
                    eprintln!("The saved session has ended; log in again.");
                }
            }
        }
    }
    let outcome = match outcome {
        Some(outcome) => outcome,
        None => {
            let user = account_user(global, &account, ui).await?;
            auth::start_login(&account.transport, account.device.clone(), &user, &options).await?
        }
    };
    if save {
        // Keep a newly registered device at once, so an approval given elsewhere (Admin
        // Console, e-mail link) counts for it on the next run.
        if let Some(credentials) = outcome.device_credentials() {
            let known = account.device.as_ref().map(|d| &d.device_token);
            if known != Some(&credentials.device_token) {
                let mut device = credentials.clone();
                device.clone_code = None;
                account.config.update(&device);
                save_config(&mut account.config)?;
            }
        }
    }

    let mut ctx = LoginContext::new(ui);
    ctx.remember = global.remember_device;
    ctx.passwords = password_presets(global, &account);
    let session = login::complete(outcome, &mut ctx).await?;
    if save {
        if let Some(credentials) = session.device_credentials() {
            account.config.update(credentials);
        }
        if alternate || ctx.switched_to_sso_master_password {
            account.config.set_sso_master_password();
        }
        save_config(&mut account.config)?;
    }
    // A session the server ends mid-run is renewed without a person: by the device's clone
    // code, else KEEPER_PASSWORD (never a prompt in the middle of the work).
    let renewal = AccountRenewal {
        transport: session.transport().clone(),
        username: session.username().to_owned(),
        device: std::sync::Mutex::new(session.device_credentials().cloned()),
        password: std::env::var("KEEPER_PASSWORD")
            .ok()
            .filter(|p| !p.is_empty())
            .map(Zeroizing::new),
        options,
        // The renewed login rotates the clone code: write it back where this run saves.
        config: save.then(|| account.config.source().clone()),
    };
    let session = session.with_renewal(Arc::new(renewal));
    Ok(Connection {
        session,
        redeem: account.redeem,
        server_label: account.label,
        config: Some(account.config),
        sandbox: is_sandbox,
        _sandbox: sandbox.and_then(|t| t.running),
    })
}

/// Renews a session by logging in with a known password (the sandbox's demo account).
struct PasswordRenewal {
    transport: Transport,
    username: String,
    password: Zeroizing<String>,
}

impl SessionRenewal for PasswordRenewal {
    fn renew(&self) -> Pin<Box<dyn Future<Output = Result<SessionToken, AuthError>> + Send + '_>> {
        Box::pin(async move {
            let outcome = auth::login_with_password(
                &self.transport,
                None,
                &self.username,
                &self.password,
                &LoginOptions::default(),
            )
            .await?;
            logged_in_token(outcome)
        })
    }
}

/// Renews an account's session with its device: the clone code first, then KEEPER_PASSWORD.
struct AccountRenewal {
    transport: Transport,
    username: String,
    device: std::sync::Mutex<Option<DeviceCredentials>>,
    password: Option<Zeroizing<String>>,
    options: LoginOptions,
    /// The config to keep current with the rotated clone code (`None`: not saved by this run).
    config: Option<ConfigSource>,
}

impl SessionRenewal for AccountRenewal {
    fn renew(&self) -> Pin<Box<dyn Future<Output = Result<SessionToken, AuthError>> + Send + '_>> {
        Box::pin(async move {
            let device = self.device.lock().ok().and_then(|d| d.clone());
            if let Some(device) = device.clone().filter(|d| d.clone_code.is_some()) {
                if let Ok(LoginOutcome::LoggedIn(session)) =
                    auth::resume_login(&self.transport, device, &self.options).await
                {
                    self.remember(&session);
                    return Ok(session.session_token());
                }
            }
            let password = self.password.as_ref().ok_or_else(|| {
                AuthError::BadResponse(
                    "no saved session and no KEEPER_PASSWORD to log in again".into(),
                )
            })?;
            let outcome = auth::login_with_password(
                &self.transport,
                device,
                &self.username,
                password,
                &self.options,
            )
            .await?;
            if let LoginOutcome::LoggedIn(session) = &outcome {
                self.remember(session);
            }
            logged_in_token(outcome)
        })
    }
}

impl AccountRenewal {
    fn remember(&self, session: &Session) {
        let Some(device) = session.device_credentials() else {
            return;
        };
        if let Ok(mut slot) = self.device.lock() {
            *slot = Some(device.clone());
        }
        // Re-read the file (another key may have changed) and write the new clone code into it.
        let saved = self.config.clone().map(|source| {
            let mut config = AccountConfig::load(source)?;
            config.update(device);
            config.save()
        });
        if let Some(Err(error)) = saved {
            tracing::warn!("the renewed session could not be saved: {error}");
        }
    }
}

fn logged_in_token(outcome: LoginOutcome) -> Result<SessionToken, AuthError> {
    match outcome {
        LoginOutcome::LoggedIn(session) => Ok(session.session_token()),
        _ => Err(AuthError::BadResponse(
            "logging in again needs a person (a second factor or an approval)".into(),
        )),
    }
}

/// The account to log in: `--user`, the config's, the sandbox's seeded one, or asked.
async fn account_user(global: &GlobalArgs, account: &Account, ui: Ui) -> Result<String, CliError> {
    if let Some(user) = global.user.as_deref().or(account.config.user()) {
        return Ok(user.trim().to_owned());
    }
    if let Some((user, _)) = &account.seeded {
        return Ok(user.clone());
    }
    if ui.interactive {
        return login::ask_email().await;
    }
    Err(
        CliError::new(ExitStatus::Login, "not logged in and no Keeper user given").hint(
            "pass --user (or KEEPER_USER) with KEEPER_PASSWORD, or run `gw-provision login` once",
        ),
    )
}

/// The one password to try before asking: `KEEPER_PASSWORD` when given; only without it the
/// config's `password`, and for a sandbox's seeded account its known password. An explicit
/// password is never replaced by another after it fails: each wrong attempt counts towards
/// the account's lockout, so a wrong one ends the run (or goes to the prompt in a terminal).
fn password_presets(global: &GlobalArgs, account: &Account) -> Vec<Zeroizing<String>> {
    if let Some(password) = std::env::var("KEEPER_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
    {
        return vec![Zeroizing::new(password)];
    }
    if let Some(password) = account.config.password() {
        return vec![Zeroizing::new(password.to_owned())];
    }
    if let Some((seeded, password)) = &account.seeded {
        let user = global.user.as_deref().or(account.config.user());
        if user.is_none_or(|u| u.trim().eq_ignore_ascii_case(seeded)) {
            return vec![password.clone()];
        }
    }
    Vec::new()
}

/// True when `saved` names the same sandbox as `home`: a loopback name with the same port
/// (a region redirect inside one sandbox moves the device from 127.0.0.1 to localhost).
fn same_sandbox(saved: &Server, home: &Server) -> bool {
    if saved == home {
        return true;
    }
    let split = |server: &Server| -> Option<(String, String)> {
        let (host, port) = server.host().rsplit_once(':')?;
        Some((host.to_ascii_lowercase(), port.to_owned()))
    };
    let loopback = |host: &str| host == "localhost" || host == "[::1]" || host.starts_with("127.");
    match (split(saved), split(home)) {
        (Some((a, pa)), Some((b, pb))) => pa == pb && loopback(&a) && loopback(&b),
        _ => false,
    }
}

fn load_config(global: &GlobalArgs, sandbox: bool) -> Result<AccountConfig, CliError> {
    let file_name = if sandbox {
        "sandbox-config.json"
    } else {
        "config.json"
    };
    let choice = ConfigChoice {
        config: global.config.clone(),
        keeper_config: global.keeper_config.clone(),
        config_b64: b64_config_set(),
        default_path: dirs::config_dir().map(|dir| dir.join("gw-provision").join(file_name)),
        // Never reach for an admin's real Commander config from a sandbox run.
        commander_default: if sandbox {
            None
        } else {
            commander_default_path()
        },
    };
    let source = config::resolve(&choice).ok_or_else(|| {
        CliError::new(ExitStatus::Usage, "cannot find a config directory")
            .hint("pass --config FILE or set GW_PROVISION_CONFIG")
    })?;
    AccountConfig::load(source).map_err(config_error)
}

/// Commander's config: `KEEPER_CONFIG_FILE`, else `~/.keeper/config.json`.
fn commander_default_path() -> Option<PathBuf> {
    match std::env::var_os(COMMANDER_CONFIG_ENV).filter(|v| !v.is_empty()) {
        Some(path) => Some(PathBuf::from(path)),
        None => dirs::home_dir().map(|home| home.join(".keeper").join("config.json")),
    }
}

/// Writes the config, as an error the user sees when it fails.
pub fn save_config(config: &mut AccountConfig) -> Result<(), CliError> {
    config.save().map_err(config_error)
}

fn config_error(error: ConfigError) -> CliError {
    let message = error.to_string();
    match error {
        ConfigError::Write { .. } | ConfigError::ReadOnly => {
            CliError::new(ExitStatus::Internal, message)
                .hint("check the directory's permissions and free space, or pass --config FILE")
        }
        ConfigError::ExternalStorage { .. } => CliError::new(ExitStatus::Usage, message).hint(
            "export a plain config with Commander, or log in with `gw-provision login` instead",
        ),
        _ => CliError::new(ExitStatus::Usage, message)
            .hint("fix or remove the file, then run `gw-provision login`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_with_the_same_port_are_the_same_sandbox() {
        let home: Server = "127.0.0.1:8443".parse().unwrap();
        assert!(same_sandbox(&"localhost:8443".parse().unwrap(), &home));
        assert!(same_sandbox(&home, &home));
        assert!(!same_sandbox(&"localhost:9443".parse().unwrap(), &home));
        assert!(!same_sandbox(&"keepersecurity.com".parse().unwrap(), &home));
        assert!(!same_sandbox(&"evil.example:8443".parse().unwrap(), &home));
    }
}
