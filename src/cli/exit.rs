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

impl ExitStatus {
    /// The error code a failure of this status has when nothing more specific is known.
    fn default_code(self) -> ErrorCode {
        match self {
            ExitStatus::Ok => ErrorCode::Cancelled,
            ExitStatus::Internal => ErrorCode::Internal,
            ExitStatus::Usage => ErrorCode::Usage,
            ExitStatus::Login => ErrorCode::LoginRequired,
            ExitStatus::Conflict => ErrorCode::Conflict,
            ExitStatus::NotFound => ErrorCode::NotFound,
            ExitStatus::Network => ErrorCode::Network,
            ExitStatus::Refused => ErrorCode::Refused,
            ExitStatus::SomeFailed => ErrorCode::SomeFailed,
            ExitStatus::Interrupted => ErrorCode::Interrupted,
        }
    }
}

/// The stable, machine-readable name of a failure (`error.code` in `--output json`). Scripts
/// branch on it where the exit code is too coarse (a throttled run and an enterprise refusal
/// both exit 7); the names are a public contract (docs/json-schema/error.json), so a variant is
/// added, never renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The user declined a confirmation (exit 0, not an error).
    Cancelled,
    /// A bug or an unexpected state.
    Internal,
    /// A bad flag or value.
    Usage,
    /// An input that non-interactive mode cannot ask for.
    MissingInput,
    /// A removal that needs `--yes` without a terminal.
    ConfirmationRequired,
    /// No session, or a login step that needs a person.
    LoginRequired,
    /// The master password was wrong.
    WrongPassword,
    /// The server ended the session.
    SessionExpired,
    /// A generic conflict.
    Conflict,
    /// The gateway exists and `--replace` was not given.
    GatewayExists,
    /// Something named does not exist.
    NotFound,
    /// The network failed.
    Network,
    /// TLS failed: an untrusted certificate, or a peer that does not speak TLS.
    Tls,
    /// Keeper refused the request.
    Refused,
    /// The enterprise role does not allow the step.
    NotAllowed,
    /// Keeper kept throttling after the retries.
    Throttled,
    /// `apply`: some gateways failed.
    SomeFailed,
    /// Ctrl-C.
    Interrupted,
}

impl ErrorCode {
    /// The snake_case name printed in `error.code`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Cancelled => "cancelled",
            ErrorCode::Internal => "internal",
            ErrorCode::Usage => "usage",
            ErrorCode::MissingInput => "missing_input",
            ErrorCode::ConfirmationRequired => "confirmation_required",
            ErrorCode::LoginRequired => "login_required",
            ErrorCode::WrongPassword => "wrong_password",
            ErrorCode::SessionExpired => "session_expired",
            ErrorCode::Conflict => "conflict",
            ErrorCode::GatewayExists => "gateway_exists",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Network => "network",
            ErrorCode::Tls => "tls",
            ErrorCode::Refused => "refused",
            ErrorCode::NotAllowed => "not_allowed",
            ErrorCode::Throttled => "throttled",
            ErrorCode::SomeFailed => "some_failed",
            ErrorCode::Interrupted => "interrupted",
        }
    }
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
    /// A more specific name than the status gives (see [`CliError::code`]).
    specific: Option<ErrorCode>,
}

impl CliError {
    /// A failure with an exit status and message.
    pub fn new(status: ExitStatus, message: impl Into<String>) -> CliError {
        CliError {
            status,
            message: message.into(),
            hint: None,
            specific: None,
        }
    }

    /// Names the kind of failure more precisely than its exit status does.
    pub fn with_code(mut self, code: ErrorCode) -> CliError {
        self.specific = Some(code);
        self
    }

    /// The failure's stable name: the specific one, else the one of its exit status.
    pub fn code(&self) -> ErrorCode {
        self.specific.unwrap_or_else(|| self.status.default_code())
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
            "pass {flag}, or run in a terminal (stdin and stderr) without --non-interactive or CI"
        ))
        .with_code(ErrorCode::MissingInput)
    }

    /// Ctrl-C.
    pub fn interrupted() -> CliError {
        CliError::new(ExitStatus::Interrupted, "interrupted").hint(
            "each step is whole or not done: what the lines above say was created stays; re-run the same command to finish — it reuses what exists and shows a token this machine kept",
        )
        .with_code(ErrorCode::Interrupted)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}
