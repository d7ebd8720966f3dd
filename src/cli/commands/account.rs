//! `login`, `logout`, `whoami`.

use crate::cli::args::{GlobalArgs, OutputFormat};
use crate::cli::connect;
use crate::cli::exit::{CliError, ExitStatus};
use crate::cli::Ui;

/// `login`: logs in and saves this device (and session) for later runs.
pub async fn login(global: &GlobalArgs, ui: Ui) -> Result<(), CliError> {
    let connection = connect::connect(global, ui).await?;
    if !(global.sandbox || global.sandbox_descriptor.is_some()) {
        let path = connect::config_path(global)?;
        let session = &connection.session;
        // Best effort: accounts whose policy forbids persistent login still log in each time.
        if let Err(e) = session.set_persistent_login(true).await {
            tracing::info!("persistent login not enabled: {e}");
        }
        if let Err(e) = session.register_data_key_for_device().await {
            tracing::info!("device data key not registered: {e}");
        }
        if let Some(credentials) = session.device_credentials() {
            connect::save_credentials(&path, credentials)?;
        }
    }
    eprintln!(
        "Logged in as {} on {}",
        connection.session.username(),
        connection.server_label
    );
    Ok(())
}

/// `logout`: ends the session on the server and forgets it locally.
pub async fn logout(global: &GlobalArgs, ui: Ui) -> Result<(), CliError> {
    if global.sandbox || global.sandbox_descriptor.is_some() {
        eprintln!("The sandbox keeps no session between runs; nothing to log out of.");
        return Ok(());
    }
    let path = connect::config_path(global)?;
    if connect::load_credentials(&path)?.is_none() {
        eprintln!("Not logged in.");
        return Ok(());
    }
    // Best effort on the server: a session that already expired is as good as ended.
    if let Ok(connection) = connect::connect(
        global,
        Ui {
            interactive: false,
            ..ui
        },
    )
    .await
    {
        let _ = connection.session.logout().await;
    }
    std::fs::remove_file(&path).map_err(|e| {
        CliError::new(
            ExitStatus::Internal,
            format!("cannot remove {}: {e}", path.display()),
        )
    })?;
    eprintln!("Logged out; removed {}", path.display());
    Ok(())
}

/// `whoami`: the account and server of the current session.
pub async fn whoami(global: &GlobalArgs, ui: Ui) -> Result<(), CliError> {
    let connection = connect::connect(global, ui).await?;
    match ui.output {
        OutputFormat::Json => println!(
            "{}",
            serde_json::json!({
                "user": connection.session.username(),
                "server": connection.server_label,
            })
        ),
        OutputFormat::Text => println!(
            "{} on {}",
            connection.session.username(),
            connection.server_label
        ),
    }
    Ok(())
}
