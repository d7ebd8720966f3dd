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

mod renewal;
mod sandbox_target;
use renewal::{AccountRenewal, PasswordRenewal};
use sandbox_target::{
    b64_config_set, connect_demo, logged_in_to, open_sandbox, sandbox_transport, wants_account,
    SandboxTarget,
};
pub use sandbox_target::{demo_descriptor, read_descriptor};

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
