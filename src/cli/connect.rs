//! Getting a logged-in [`Session`]: from the in-process sandbox, a running sandbox's descriptor,
//! or a real Keeper account (saved device and session, or user and password).

use super::args::GlobalArgs;
use super::exit::{CliError, ExitStatus};
use super::Ui;
use crate::keeper::auth::{self, DeviceCredentials, LoginOptions, Session};
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
            CliError::new(
                ExitStatus::Usage,
                "cannot find a data directory for the sandbox",
            )
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
    let session = login_password(transport, &descriptor.user, &password).await?;
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
    let config_path = config_path(global)?;
    let saved = load_credentials(&config_path)?;
    let server: Server = match (&global.server, &saved) {
        (Some(text), _) => text.parse().map_err(|e| {
            CliError::new(ExitStatus::Usage, format!("--server: {e}")).hint(
                "use a region (US, EU, AU, CA, JP, GOV) or a host name such as keepersecurity.com",
            )
        })?,
        (None, Some(saved)) => saved.server.clone(),
        (None, None) => Server::default(),
    };
    // A saved device belongs to the server (and account) that issued it.
    let device = saved.filter(|s| {
        s.server == server
            && global.user.as_deref().is_none_or(|u| {
                s.username
                    .as_deref()
                    .is_some_and(|su| su.eq_ignore_ascii_case(u))
            })
    });
    let transport = Transport::new(TransportOptions::new(server.clone()))?;
    let options = LoginOptions::default();

    // Persistent login: a saved clone code logs in without a password.
    let mut outcome = None;
    if let Some(device) = device.clone().filter(|d| d.clone_code.is_some()) {
        match auth::resume_login(&transport, device, &options).await {
            Ok(resumed) => outcome = Some(resumed),
            Err(e) => tracing::info!("persistent login unavailable: {e}"),
        }
    }
    let outcome = match outcome {
        Some(outcome) => outcome,
        None => {
            let user = match (&global.user, &device) {
                (Some(user), _) => user.clone(),
                (None, Some(DeviceCredentials { username: Some(user), .. })) => user.clone(),
                (None, _) if ui.interactive => prompt_user()?,
                (None, _) => {
                    return Err(CliError::new(
                        ExitStatus::Login,
                        "not logged in and no Keeper user given",
                    )
                    .hint("pass --user (or KEEPER_USER) with KEEPER_PASSWORD, or run `gw-provision login` once"))
                }
            };
            auth::start_login(&transport, device, &user, &options).await?
        }
    };
    let session = super::login::complete(outcome, ui).await?;
    if let Some(credentials) = session.device_credentials() {
        // The clone code rotates on every login; keep the newest (only when a config exists or
        // the user asked to be remembered by running `login`).
        if config_path.exists() {
            save_credentials(&config_path, credentials)?;
        }
    }
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

async fn login_password(
    transport: Transport,
    user: &str,
    password: &str,
) -> Result<Session, CliError> {
    let outcome =
        auth::login_with_password(&transport, None, user, password, &LoginOptions::default())
            .await?;
    super::login::complete(outcome, Ui::non_interactive()).await
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
