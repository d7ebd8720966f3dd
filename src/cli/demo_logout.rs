//! `logout` for a sandbox's seeded demo account. Every command logs the demo account in by
//! itself (its password is in the descriptor) and saves nothing, so without a record of the
//! logout the next `whoami` would silently log it in again, as if `logout` had done nothing.
//!
//! The record is one line per sandbox host (`127.0.0.1:PORT`) in
//! `$XDG_CONFIG_HOME/gw-provision/sandbox-logged-out`; `login` against a sandbox clears it.
//! A new sandbox (a new port) starts logged in, as a fresh sandbox should.

use std::path::PathBuf;

use super::exit::{CliError, ExitStatus};

fn record() -> Option<PathBuf> {
    dirs::config_dir().map(|dir| dir.join("gw-provision").join("sandbox-logged-out"))
}

fn hosts() -> Vec<String> {
    record()
        .and_then(|path| std::fs::read_to_string(path).ok())
        .map(|text| text.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// True when the demo account of the sandbox at `host` was logged out.
pub fn is_logged_out(host: &str) -> bool {
    hosts().iter().any(|h| h == host)
}

/// Records that the demo account of the sandbox at `host` logged out.
pub fn mark(host: &str) -> Result<(), CliError> {
    let Some(path) = record() else {
        return Err(CliError::new(
            ExitStatus::Usage,
            "cannot find a config directory to record the logout in",
        )
        .hint("set XDG_CONFIG_HOME or HOME"));
    };
    if is_logged_out(host) {
        return Ok(());
    }
    let mut lines = hosts();
    lines.push(host.to_owned());
    let written = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(&path, lines.join("\n") + "\n"));
    written.map_err(|e| {
        CliError::new(
            ExitStatus::Internal,
            format!("cannot record the logout in {}: {e}", path.display()),
        )
    })
}

/// Forgets every recorded demo logout (after a `login` against a sandbox).
pub fn clear() {
    if let Some(path) = record() {
        let _ = std::fs::remove_file(path);
    }
}

/// The error of a demo-account run after its logout: not logged in (exit 3).
pub fn not_logged_in(host: &str) -> CliError {
    CliError::new(
        ExitStatus::Login,
        format!("not logged in to the sandbox at {host} (you logged out)"),
    )
    .hint("run `gw-provision login` (KEEPER_PASSWORD: the descriptor's password) to log in again")
}
