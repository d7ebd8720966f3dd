//! Getting a logged-in [`Session`]: from the in-process sandbox, a running sandbox's descriptor,
//! or a real Keeper account (saved device and session, or user and password).

use super::args::GlobalArgs;
use super::exit::{CliError, ExitStatus};
use super::Ui;
use crate::keeper::auth::{self, DeviceCredentials, LoginOutcome, Session};
use crate::keeper::crypto::{b64url_decode, EcPublicKey};
use crate::keeper::ksm::RedeemOptions;
use crate::keeper::server::Server;
use crate::keeper::transport::{Transport, TransportOptions};
use crate::sandbox::{self, Descriptor, RunningSandbox, SandboxOptions};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// A logged-in session and what else the run needs to know about where it is connected.
pub struct Connection {
    /// The session.
    pub session: Session,
    /// How to reach the same server's KSM endpoints (docker/kubernetes config).
    pub redeem: RedeemOptions,
    /// The server as shown in output (`US`, a host, or `sandbox (127.0.0.1:PORT)`).
    pub server_label: String,
    /// Keeps an in-process sandbox alive for the length of the run.
    _sandbox: Option<RunningSandbox>,
}

/// Where `--sandbox` keeps its state: `$XDG_DATA_HOME/gw-provision/sandbox`.
pub fn default_sandbox_dir() -> Result<PathBuf, CliError> {
    dirs::data_dir()
        .map(|dir| dir.join("gw-provision").join("sandbox"))
        .ok_or_else(|| {
            CliError::new(ExitStatus::Usage, "cannot find a data directory for the sandbox")
                .hint("set XDG_DATA_HOME or HOME, or run `gw-provision sandbox serve --state DIR`")
        })
}

/// Where gw-provision keeps its device and session for real accounts.
pub fn config_path(global: &GlobalArgs) -> Result<PathBuf, CliError> {
    match &global.config {
        Some(path) => Ok(path.clone()),
        None => dirs::config_dir()
            .map(|dir| dir.join("gw-provision").join("config.json"))
            .ok_or_else(|| {
                CliError::new(ExitStatus::Usage, "cannot find a config directory")
                    .hint("pass --config FILE or set GW_PROVISION_CONFIG")
            }),
    }
}

/// Logs in as the command line says.
pub async fn connect(global: &GlobalArgs, ui: Ui) -> Result<Connection, CliError> {
    if global.sandbox {
        let running = sandbox::start(SandboxOptions {
            listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            state_dir: default_sandbox_dir()?,
            faults: None,
        })
        .await
        .map_err(|e| CliError::new(ExitStatus::Internal, format!("sandbox: {e}")))?;
        let descriptor = running.descriptor().clone();
        let mut connection = connect_descriptor(&descriptor).await?;
        connection._sandbox = Some(running);
        return Ok(connection);
    }
    if let Some(path) = &global.sandbox_descriptor {
        let descriptor = read_descriptor(path)?;
        return connect_descriptor(&descriptor).await;
    }
    connect_account(global, ui).await
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

async fn connect_descriptor(descriptor: &Descriptor) -> Result<Connection, CliError> {
    let server: Server = descriptor
        .host
        .parse()
        .map_err(|e| CliError::new(ExitStatus::Usage, format!("sandbox descriptor: {e}")))?;
    let key_bytes = b64url_decode(&descriptor.server_public_key)
        .map_err(|e| CliError::new(ExitStatus::Usage, format!("sandbox descriptor: {e}")))?;
    let key = EcPublicKey::from_uncompressed(&key_bytes)
        .map_err(|e| CliError::new(ExitStatus::Usage, format!("sandbox descriptor: {e}")))?;
    let mut options = TransportOptions::new(server.clone());
    options.custom_server_key = Some((descriptor.server_key_id, key.clone()));
    options.ca_cert_pem = Some(descriptor.ca_cert_pem.clone());
    let transport = Transport::new(options)?;
    let password = Zeroizing::new(descriptor.password.clone());
    let session = login_password(transport, &descriptor.user, &password, None, false).await?;
    Ok(Connection {
        session,
        redeem: RedeemOptions {
            hostname: Some(descriptor.host.clone()),
            server_public_key: Some((descriptor.server_key_id, key)),
            ca_cert_pem: Some(descriptor.ca_cert_pem.clone()),
        },
        server_label: format!("sandbox ({})", descriptor.host),
        _sandbox: None,
    })
}

async fn connect_account(global: &GlobalArgs, ui: Ui) -> Result<Connection, CliError> {
    let saved = load_credentials(&config_path(global)?)?;
    let server: Server = match (&global.server, &saved) {
        (Some(text), _) => text.parse().map_err(|e| {
            CliError::new(ExitStatus::Usage, format!("--server: {e}"))
                .hint("use a region (US, EU, AU, CA, JP, GOV) or a host name such as keepersecurity.com")
        })?,
        (None, Some(saved)) => saved.server.parse().map_err(|e| {
            CliError::new(ExitStatus::Usage, format!("saved server: {e}"))
        })?,
        (None, None) => Server::default(),
    };
    let user = match (&global.user, &saved) {
        (Some(user), _) => user.clone(),
        (None, Some(saved)) => saved.username.clone(),
        (None, None) if ui.interactive => prompt_user()?,
        (None, None) => {
            return Err(CliError::new(ExitStatus::Login, "not logged in and no Keeper user given")
                .hint("pass --user (or KEEPER_USER) with KEEPER_PASSWORD, or run `gw-provision login` once"))
        }
    };
    let transport = Transport::new(TransportOptions::new(server.clone()))?;
    let password = match std::env::var("KEEPER_PASSWORD") {
        Ok(password) if !password.is_empty() => Zeroizing::new(password),
        _ if ui.interactive => prompt_password(&user)?,
        _ => {
            return Err(CliError::new(ExitStatus::Login, "a password is needed to log in")
                .hint("set KEEPER_PASSWORD, or run `gw-provision login` once on a workstation"))
        }
    };
    let device = saved.filter(|s| s.server == server.to_string());
    let session = login_password(transport, &user, &password, device, true).await?;
    Ok(Connection {
        redeem: RedeemOptions::default(),
        server_label: server.to_string(),
        session,
        _sandbox: None,
    })
}

fn prompt_user() -> Result<String, CliError> {
    dialoguer::Input::<String>::new()
        .with_prompt("Keeper e-mail")
        .interact_text()
        .map_err(|e| CliError::new(ExitStatus::Login, format!("cannot prompt: {e}")))
}

fn prompt_password(user: &str) -> Result<Zeroizing<String>, CliError> {
    dialoguer::Password::new()
        .with_prompt(format!("Master password for {user}"))
        .interact()
        .map(Zeroizing::new)
        .map_err(|e| CliError::new(ExitStatus::Login, format!("cannot prompt: {e}")))
}

async fn login_password(
    transport: Transport,
    user: &str,
    password: &str,
    device: Option<DeviceCredentials>,
    _persist: bool,
) -> Result<Session, CliError> {
    match auth::login_with_password(transport, user, password, device).await? {
        LoginOutcome::LoggedIn(session) => Ok(*session),
        other => Err(CliError::new(
            ExitStatus::Login,
            format!("login needs a step gw-provision cannot complete yet: {other}"),
        )
        .hint("complete it once with Keeper Commander or the Web Vault on this device")),
    }
}

/// Reads the saved device and session, if any.
pub fn load_credentials(path: &Path) -> Result<Option<DeviceCredentials>, CliError> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
            CliError::new(
                ExitStatus::Usage,
                format!("{} is not a gw-provision config: {e}", path.display()),
            )
            .hint("remove it and run `gw-provision login` again")
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CliError::new(
            ExitStatus::Usage,
            format!("cannot read {}: {e}", path.display()),
        )),
    }
}

/// Saves the device and session atomically, readable only by the owner (it holds the device's
/// private key and clone code).
pub fn save_credentials(path: &Path, credentials: &DeviceCredentials) -> Result<(), CliError> {
    let fail = |e: &dyn std::fmt::Display| {
        CliError::new(
            ExitStatus::Internal,
            format!("cannot save {}: {e}", path.display()),
        )
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| fail(&e))?;
    let text = Zeroizing::new(serde_json::to_string_pretty(credentials).map_err(|e| fail(&e))?);
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(|e| fail(&e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| fail(&e))?;
    }
    use std::io::Write;
    file.write_all(text.as_bytes()).map_err(|e| fail(&e))?;
    file.as_file().sync_all().map_err(|e| fail(&e))?;
    file.persist(path).map_err(|e| fail(&e.error))?;
    Ok(())
}
