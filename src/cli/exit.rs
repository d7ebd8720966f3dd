//! The one place where failures become exit codes and one-line messages with a hint.

use std::fmt;

/// Documented exit codes (README, `--help`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitStatus {
    /// Done.
    Ok = 0,
    /// A bug or an unexpected state.
    Internal = 1,
    /// Bad flag or value, or a missing input when non-interactive.
    Usage = 2,
    /// Login required or failed, including a step that needs a person.
    Login = 3,
    /// Gateway exists without `--replace`, or an ambiguous name.
    Conflict = 4,
    /// Something named does not exist.
    NotFound = 5,
    /// Network or TLS failure.
    Network = 6,
    /// Keeper refused: permission, licence, throttling, other API errors.
    Refused = 7,
    /// `apply`: some gateways failed; the others were provisioned.
    SomeFailed = 8,
    /// Ctrl-C.
    Interrupted = 130,
}

/// A failure as the user sees it: what went wrong, how to fix it, and the exit code.
#[derive(Debug)]
pub struct CliError {
    /// The exit code.
    pub status: ExitStatus,
    /// One line saying what went wrong (no secrets).
    pub message: String,
    /// One line saying what to do about it.
    pub hint: Option<String>,
}

impl CliError {
    /// A failure with an exit status and message.
    pub fn new(status: ExitStatus, message: impl Into<String>) -> CliError {
        CliError {
            status,
            message: message.into(),
            hint: None,
        }
    }

    /// Adds the fix.
    pub fn hint(mut self, hint: impl Into<String>) -> CliError {
        self.hint = Some(hint.into());
        self
    }

    /// Prefixes the message with what was being done ("turning on persistent login failed: …").
    pub fn context(mut self, what: &str) -> CliError {
        self.message = format!("{what}: {}", self.message);
        self
    }

    /// A usage error naming the flag that is missing.
    pub fn missing(flag: &str, what: &str) -> CliError {
        CliError::new(
            ExitStatus::Usage,
            format!("{what} is required in non-interactive mode"),
        )
        .hint(format!(
            "pass {flag}, or run in a terminal without --non-interactive"
        ))
    }

    /// Ctrl-C.
    pub fn interrupted() -> CliError {
        CliError::new(ExitStatus::Interrupted, "interrupted").hint(
            "each step is whole or not done: what the lines above say was created stays; re-run the same command to finish — it reuses what exists and shows a token this machine kept",
        )
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}
