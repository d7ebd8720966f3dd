//! `login`, `logout`, `whoami`.

use crate::cli::args::{GlobalArgs, OutputFormat};
use crate::cli::connect;
use crate::cli::exit::CliError;
use crate::cli::Ui;

/// `login`: logs in, turns on persistent login for this device and saves the device and session,
/// so later runs resume without a password.
pub async fn login(global: &GlobalArgs, ui: Ui) -> Result<(), CliError> {
    let connection = connect::connect_for_login(global, ui).await?;
    let session = &connection.session;
    // Persistent login needs the account setting and the data key wrapped for this device
    // (protocol-transport-login.md §4.8). An account whose policy forbids it still logs in.
    let persistent = match session.set_persistent_login(true).await {
        Ok(()) => true,
        Err(e) => {
            tracing::info!("persistent login not enabled: {e}");
            false
        }
    };
    if let Err(e) = session.register_data_key_for_device().await {
        tracing::info!("device data key not registered: {e}");
    }
    eprintln!(
        "Logged in as {} on {}",
        session.username(),
        connection.server_label
    );
    if let Some(config) = &connection.config {
        eprintln!("Saved this device and its session in {config}");
    }
    if !persistent {
        eprintln!(
            "Persistent login is off for this account: later runs will ask for the password."
        );
    }
    Ok(())
}

/// `logout`: ends the session on the server and forgets it locally (the clone code); the device
/// stays registered, so the next login needs no new approval.
pub async fn logout(global: &GlobalArgs, _ui: Ui) -> Result<(), CliError> {
    let saved = connect::resume_saved(global).await?;
    let (mut config, session) = (saved.config, saved.session);
    if !config.has_session() {
        eprintln!("Not logged in.");
        return Ok(());
    }
    if let Some(session) = session {
        // Best effort: a session the server already ended is as good as ended.
        if let Err(e) = session.logout().await {
            tracing::info!("logout on the server failed: {e}");
        }
    }
    if !config.is_writable() {
        eprintln!(
            "Logged out on the server; the session in {} cannot be removed from here: unset it.",
            config.describe()
        );
        return Ok(());
    }
    config.forget_session();
    connect::save_config(&mut config)?;
    eprintln!(
        "Logged out; the device stays registered in {}",
        config.describe()
    );
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
