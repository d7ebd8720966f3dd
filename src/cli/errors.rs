//! The mapping from every library error to a [`CliError`]: exit code, message and hint.
//! This is the only place that knows which failure gets which exit code.

use super::exit::{CliError, ErrorCode, ExitStatus};
use crate::keeper::auth::AuthError;
use crate::keeper::ksm::KsmError;
use crate::keeper::pam::PamError;
use crate::keeper::router::RouterError;
use crate::keeper::transport::TransportError;
use crate::keeper::vault::VaultError;
use crate::provision::{PlanError, ProvisionError};

impl From<TransportError> for CliError {
    fn from(error: TransportError) -> CliError {
        let message = error.to_string();
        match error {
            TransportError::Network { .. } => CliError::new(ExitStatus::Network, message)
                .hint("check the server name and your network connection, then re-run"),
            TransportError::Tls { .. } => CliError::new(ExitStatus::Network, message)
                .hint("the server's certificate is not trusted; check the host name and any proxy")
                .with_code(ErrorCode::Tls),
            TransportError::NotTls { ref host, .. } => {
                let hint = format!(
                    "the server at {host} did not answer as Keeper's API (not TLS, or not an \
                     HTTPS server); check the host and port"
                );
                CliError::new(ExitStatus::Network, message)
                    .hint(hint)
                    .with_code(ErrorCode::Tls)
            }
            TransportError::InvalidCaCertificate(_) => CliError::new(ExitStatus::Usage, message),
            TransportError::Throttled { .. } => CliError::new(ExitStatus::Refused, message)
                .hint("Keeper limits request rates; wait a minute and re-run")
                .with_code(ErrorCode::Throttled),
            TransportError::SessionExpired => CliError::new(ExitStatus::Login, message)
                .hint("run `gw-provision login` again")
                .with_code(ErrorCode::SessionExpired),
            TransportError::AuthFailed => CliError::new(ExitStatus::Login, message)
                .hint("check the master password (KEEPER_PASSWORD)")
                .with_code(ErrorCode::WrongPassword),
            TransportError::RegionRedirect { .. } | TransportError::DeviceNotRegistered { .. } => {
                CliError::new(ExitStatus::Login, message)
                    .hint("run `gw-provision login` to register this device")
            }
            TransportError::ServerKeyRejected { .. } => CliError::new(ExitStatus::Network, message)
                .hint("the server is not a Keeper server gw-provision knows; check --server"),
            TransportError::Keeper { ref code, .. } => keeper_code(code, message),
            TransportError::Http { .. } => CliError::new(ExitStatus::Refused, message),
            TransportError::BadResponse(_) => CliError::new(ExitStatus::Network, message)
                .hint("the answer was damaged in transit or did not come from Keeper; re-run"),
            _ => CliError::new(ExitStatus::Internal, message),
        }
    }
}

/// Keeper's own error codes: permission and licence problems are refusals (7), a few mean the
/// session is gone (3).
fn keeper_code(code: &str, message: String) -> CliError {
    match code {
        "session_token" | "session_token_expired" | "bad_session" | "login_token_expired" => {
            CliError::new(ExitStatus::Login, message)
                .hint("run `gw-provision login` again")
                .with_code(ErrorCode::SessionExpired)
        }
        "throttled" => CliError::new(ExitStatus::Refused, message).with_code(ErrorCode::Throttled),
        "doesnt_exist" | "not_found" => CliError::new(ExitStatus::NotFound, message),
        "access_denied" | "forbidden" | "restricted_client_type" => {
            CliError::new(ExitStatus::Refused, message)
                .hint("the account lacks the permission (a KSM/PAM role or licence) for this step")
        }
        _ => CliError::new(ExitStatus::Refused, message),
    }
}

impl From<AuthError> for CliError {
    fn from(error: AuthError) -> CliError {
        match error {
            AuthError::Transport(inner) => inner.into(),
            AuthError::WrongPassword => CliError::new(ExitStatus::Login, "wrong password")
                .hint("check the master password (KEEPER_PASSWORD)")
                .with_code(ErrorCode::WrongPassword),
            other => CliError::new(ExitStatus::Login, format!("login failed: {other}")),
        }
    }
}

impl From<VaultError> for CliError {
    fn from(error: VaultError) -> CliError {
        let message = error.to_string();
        match error {
            VaultError::Transport(inner) => inner.into(),
            VaultError::Refused { code, .. } => keeper_code(&code, message),
            VaultError::Conflict(_) => CliError::new(ExitStatus::Conflict, message),
            VaultError::NotFound(_) => CliError::new(ExitStatus::NotFound, message),
            VaultError::InvalidInput(_) => CliError::new(ExitStatus::Usage, message),
            _ => CliError::new(ExitStatus::Internal, message),
        }
    }
}

impl From<KsmError> for CliError {
    fn from(error: KsmError) -> CliError {
        let message = error.to_string();
        match error {
            KsmError::Transport(inner) => inner.into(),
            KsmError::Refused { code, .. } => keeper_code(&code, message),
            KsmError::Conflict(_) => CliError::new(ExitStatus::Conflict, message),
            KsmError::NotFound(_) => CliError::new(ExitStatus::NotFound, message),
            KsmError::InvalidInput(_) => CliError::new(ExitStatus::Usage, message),
            _ => CliError::new(ExitStatus::Internal, message),
        }
    }
}

impl From<PamError> for CliError {
    fn from(error: PamError) -> CliError {
        let message = error.to_string();
        match error {
            PamError::Transport(inner) => inner.into(),
            PamError::Refused { code, .. } => keeper_code(&code, message),
            PamError::NotFound(_) => CliError::new(ExitStatus::NotFound, message),
            _ => CliError::new(ExitStatus::Refused, message),
        }
    }
}

impl From<PlanError> for CliError {
    fn from(error: PlanError) -> CliError {
        let message = error.to_string();
        match error {
            PlanError::GatewayExists { .. } => CliError::new(ExitStatus::Conflict, message)
                .hint(
                    "pass --replace to remove it and issue a new token, or choose another --gateway name",
                )
                .with_code(ErrorCode::GatewayExists),
            PlanError::GatewayMissing { .. } => CliError::new(ExitStatus::NotFound, message)
                .hint("drop --existing to provision a new gateway"),
            PlanError::ExistingNeedsToken { .. } => CliError::new(ExitStatus::Usage, message)
                .hint("drop --existing, or use --os linux/macos/windows for an upgrade command"),
            PlanError::PamConfigurationConflict { .. } => CliError::new(ExitStatus::Conflict, message)
                .hint("pass --replace to remove it and create one for this gateway, or choose another --pam-config title"),
            PlanError::NotAllowed { .. } => {
                let hint = error.admin_console_hint().unwrap_or_default();
                CliError::new(ExitStatus::Refused, message)
                    .hint(hint)
                    .with_code(ErrorCode::NotAllowed)
            }
        }
    }
}

impl From<ProvisionError> for CliError {
    fn from(error: ProvisionError) -> CliError {
        match error {
            ProvisionError::Plan(e) => e.into(),
            ProvisionError::Vault(e) => e.into(),
            ProvisionError::Ksm(e) => e.into(),
            ProvisionError::Pam(e) => e.into(),
            ProvisionError::Router(e) => match e {
                RouterError::Transport(inner) => inner.into(),
                RouterError::Refused { ref code, .. } => {
                    let code = code.clone();
                    keeper_code(&code, e.to_string())
                }
                other => CliError::new(ExitStatus::Refused, other.to_string()),
            },
            ProvisionError::Keep(e) => CliError::new(ExitStatus::Internal, e.to_string()).hint(
                "check that the config directory is writable; nothing was sent for the gateway",
            ),
            ProvisionError::Incomplete { step, done, source } => {
                let inner: CliError = (*source).into();
                let code = inner.code();
                CliError::new(inner.status, format!("{step} failed: {}", inner.message))
                    .hint(format!(
                        "{done}. Re-run the same command to finish: it reuses what exists{}",
                        inner.hint.map(|h| format!(" ({h})")).unwrap_or_default()
                    ))
                    .with_code(code)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_failures_exit_6() {
        let error = TransportError::Network {
            host: "h".into(),
            detail: "refused".into(),
        };
        assert_eq!(CliError::from(error).status, ExitStatus::Network);
    }

    #[test]
    fn a_peer_that_is_not_tls_exits_6_without_blaming_the_certificate() {
        let cli = CliError::from(TransportError::NotTls {
            host: "127.0.0.1:8080".into(),
            detail: "received corrupt message".into(),
        });
        assert_eq!(cli.status, ExitStatus::Network);
        let hint = cli.hint.unwrap();
        assert!(
            hint.contains("127.0.0.1:8080 did not answer as Keeper's API"),
            "{hint}"
        );
        assert!(!hint.contains("certificate"), "{hint}");
    }

    #[test]
    fn keeper_refusals_exit_7_with_the_code_in_the_message() {
        let error = TransportError::Keeper {
            code: "access_denied".into(),
            message: "no".into(),
            additional_info: None,
        };
        let cli = CliError::from(error);
        assert_eq!(cli.status, ExitStatus::Refused);
        assert!(cli.message.contains("access_denied"));
    }

    #[test]
    fn incomplete_keeps_the_inner_exit_code_and_says_rerun() {
        let error = ProvisionError::Incomplete {
            step: "KSM application",
            done: "Already done: created shared folder 'F' (x)".into(),
            source: Box::new(ProvisionError::Vault(VaultError::Transport(
                TransportError::Http { status: 500 },
            ))),
        };
        let cli = CliError::from(error);
        assert_eq!(cli.status, ExitStatus::Refused);
        assert!(cli.hint.unwrap().contains("created shared folder 'F'"));
    }

    #[test]
    fn gateway_conflict_exits_4_and_hints_replace() {
        let cli = CliError::from(PlanError::GatewayExists {
            name: "g".into(),
            application: "a".into(),
        });
        assert_eq!(cli.status, ExitStatus::Conflict);
        assert!(cli.hint.unwrap().contains("--replace"));
    }
}
