//! `login`, `logout`, `whoami`.

use crate::cli::args::{GlobalArgs, LoginArgs, OutputFormat};
use crate::cli::connect;
use crate::cli::exit::{CliError, ExitStatus};
use crate::cli::json_doc;
use crate::cli::wizard;
use crate::cli::Ui;
use crate::keeper::auth::policy::RESTRICT_PERSISTENT_LOGIN;
use crate::keeper::auth::Session;

/// `login`: logs in and saves the device and its session. Persistent login ("Stay logged in",
/// an account-wide setting) is turned on only with the user's consent: asked in a terminal,
/// `--persistent-login` otherwise, never when the role's `restrict_persistent_login` forbids it
/// (as Commander's `this-device persistent-login on` checks). Without it the saved config
/// still keeps the approved device, so later runs need the password but no new approval.
pub async fn login(global: &GlobalArgs, ui: Ui, args: LoginArgs) -> Result<(), CliError> {
    let mut connection = connect::connect_for_login(global, ui).await?;
    let session = &connection.session;
    let already_on = session
        .account_summary()
        .settings
        .as_ref()
        .is_some_and(|s| s.persistent_login);
    let restricted = session.policy().restricts(RESTRICT_PERSISTENT_LOGIN);
    let wanted = if restricted {
        false
    } else if already_on || args.persistent_login {
        true
    } else if ui.interactive {
        ask_persistent_login().await?
    } else {
        false
    };
    let result = enable_persistent_login(session, already_on, wanted).await;
    let server = connection.server_json();
    let Some(config) = connection.config.as_mut() else {
        return result.map(|_| ());
    };
    if let Err(error) = result {
        // The clone code just saved resumes nothing without the device's data key: drop it, so
        // the config does not promise a session it cannot give.
        config.forget_session();
        connect::save_config(config)?;
        return Err(error);
    }
    if !wanted {
        config.forget_session();
        connect::save_config(config)?;
    }
    if connection.sandbox {
        // Logged in again: the sandbox's demo account is usable by every command once more.
        crate::cli::demo_logout::clear();
    }
    if ui.output == OutputFormat::Json {
        json_doc::print(serde_json::json!({
            "user": connection.session.username(),
            "server": server,
            "config": config.describe(),
            "persistent_login": wanted,
        }));
    }
    eprintln!(
        "Logged in as {} on {}",
        connection.session.username(),
        connection.server_label
    );
    eprintln!("Saved this device in {}", config.describe());
    if wanted {
        eprintln!("Persistent login is on: later runs resume this session without a password.");
    } else if restricted {
        eprintln!(
            "Your enterprise role restricts persistent login (restrict_persistent_login): later \
             runs need the password (KEEPER_PASSWORD or a prompt); the device stays approved."
        );
    } else {
        eprintln!(
            "Persistent login is off: later runs need the password (KEEPER_PASSWORD or a prompt); \
             the device stays approved. Turn it on with `gw-provision login --persistent-login`."
        );
    }
    Ok(())
}

/// Persistent login needs the account setting and the data key wrapped for this device
/// (protocol-transport-login.md §4.8). Each failure is reported: `login` must not claim a
/// session it did not save.
async fn enable_persistent_login(
    session: &Session,
    already_on: bool,
    wanted: bool,
) -> Result<bool, CliError> {
    if !wanted {
        return Ok(false);
    }
    if !already_on {
        session.set_persistent_login(true).await.map_err(|e| {
            let error: CliError = e.into();
            error.context("turning on persistent login failed")
        })?;
    }
    session.register_data_key_for_device().await.map_err(|e| {
        let error: CliError = e.into();
        error.context("registering this device's data key for persistent login failed")
    })?;
    Ok(true)
}

async fn ask_persistent_login() -> Result<bool, CliError> {
    tokio::task::spawn_blocking(|| {
        crate::cli::prompt::say(
            "Persistent login (\"Stay logged in\") lets later runs resume this session without the \
             master password, until you log out or the account's logout timer ends it. It is an \
             account-wide setting: it applies to every device of the account.",
        );
        wizard::confirm_question("Turn on persistent login for this account?", true)
    })
    .await
    .map_err(|e| CliError::new(ExitStatus::Internal, format!("prompt: {e}")))?
}

/// `logout`: ends the session on the server and forgets it locally (the clone code); the device
/// stays registered, so the next login needs no new approval.
///
/// JSON: `{"logged_out": false}` when there was no session; else `"logged_out": true` and
/// `session_removed` (false when the config is read-only and still holds it).
pub async fn logout(global: &GlobalArgs, ui: Ui) -> Result<(), CliError> {
    // The demo account logs itself in on every command; the logout is recorded so it doesn't.
    let demo = connect::demo_descriptor(global)?;
    let was_demo = match &demo {
        Some(descriptor) => {
            let was = !crate::cli::demo_logout::is_logged_out(&descriptor.host);
            crate::cli::demo_logout::mark(&descriptor.host)?;
            was
        }
        None => false,
    };
    let saved = connect::resume_saved(global).await?;
    let (mut config, session) = (saved.config, saved.session);
    let report = |logged_out: bool, removed: bool, config: &str| {
        if ui.output == OutputFormat::Json {
            json_doc::print(serde_json::json!({
                "logged_out": logged_out,
                "session_removed": removed,
                "config": config,
            }));
        }
    };
    if !config.has_session() {
        report(was_demo, false, &config.describe());
        if was_demo {
            eprintln!(
                "Logged out of the sandbox's demo account; `gw-provision login` logs in again."
            );
        } else {
            eprintln!("Not logged in.");
        }
        return Ok(());
    }
    if let Some(session) = session {
        // Best effort: a session the server already ended is as good as ended.
        if let Err(e) = session.logout().await {
            tracing::info!("logout on the server failed: {e}");
        }
    }
    if !config.is_writable() {
        report(true, false, &config.describe());
        eprintln!(
            "Logged out on the server; the session in {} cannot be removed from here: unset it.",
            config.describe()
        );
        return Ok(());
    }
    config.forget_session();
    connect::save_config(&mut config)?;
    report(true, true, &config.describe());
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
        OutputFormat::Json => json_doc::print(serde_json::json!({
            "user": connection.session.username(),
            "server": connection.server_json(),
        })),
        OutputFormat::Text => println!(
            "{} on {}",
            connection.session.username(),
            connection.server_label
        ),
    }
    Ok(())
}
