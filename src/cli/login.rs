//! Driving a login to a session: answering the steps a person can answer at a terminal, and
//! failing fast (exit 3, one line saying which step and how to pre-approve) when nobody can.

use super::exit::{CliError, ExitStatus};
use super::Ui;
use crate::keeper::auth::{AuthError, LoginOutcome, Session};
use zeroize::Zeroizing;

/// Attempts at the master password before giving up, as in Keeper's own clients.
const PASSWORD_ATTEMPTS: usize = 3;

/// Answers login steps until logged in, or explains why that cannot happen here.
pub async fn complete(mut outcome: LoginOutcome, ui: Ui) -> Result<Session, CliError> {
    let mut attempts = 0;
    loop {
        outcome = match outcome {
            LoginOutcome::LoggedIn(session) => return Ok(*session),
            LoginOutcome::NeedsPassword(step) => {
                attempts += 1;
                let from_env =
                    attempts == 1 && std::env::var("KEEPER_PASSWORD").is_ok_and(|p| !p.is_empty());
                let password = if from_env {
                    Zeroizing::new(std::env::var("KEEPER_PASSWORD").unwrap_or_default())
                } else if ui.interactive && attempts <= PASSWORD_ATTEMPTS {
                    prompt_password(step.username()).await?
                } else if ui.interactive {
                    return Err(CliError::new(ExitStatus::Login, "wrong password")
                        .hint("check the master password and try again"));
                } else {
                    return Err(needs_person(
                        "the master password",
                        "set KEEPER_PASSWORD, or run `gw-provision login` once on a workstation \
                         and give CI the saved config",
                    ));
                };
                match step.verify(&password).await {
                    Ok(next) => next,
                    Err(AuthError::WrongPassword) if ui.interactive => {
                        eprintln!("Wrong password.");
                        LoginOutcome::NeedsPassword(step)
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            LoginOutcome::NeedsTwoFactor(_) => return Err(needs_person(
                "two-factor authentication",
                "run `gw-provision login` once in a terminal and choose to remember this device",
            )),
            LoginOutcome::NeedsDeviceApproval(_) => {
                return Err(needs_person(
                    "approval of this new device",
                    "run `gw-provision login` once in a terminal (e-mail code or Keeper Push), \
                     or approve the device in the Admin Console",
                ))
            }
            LoginOutcome::NeedsDeviceDataKey(_) => {
                return Err(needs_person(
                    "SSO device approval",
                    "approve this device from another logged-in device or the Admin Console",
                ))
            }
            LoginOutcome::NeedsSso(_) => {
                return Err(needs_person(
                    "an SSO sign-in",
                    "log in with an SSO master password (--sso-master-password), or use a \
                     service account with a master password",
                ))
            }
            LoginOutcome::RegionRedirect { host } => {
                return Err(CliError::new(
                    ExitStatus::Login,
                    format!("the account is served by {host}"),
                )
                .hint(format!("re-run with --server {host}")))
            }
            LoginOutcome::Restricted { restriction, .. } => {
                return Err(CliError::new(
                    ExitStatus::Login,
                    format!("login succeeded into a restricted session: {restriction:?}"),
                )
                .hint("finish the account's pending step in the Keeper Web Vault"))
            }
            LoginOutcome::Denied { reason, .. } => {
                return Err(
                    CliError::new(ExitStatus::Login, format!("login refused: {reason}"))
                        .hint("contact your Keeper administrator"),
                )
            }
        };
    }
}

fn needs_person(step: &str, how: &str) -> CliError {
    CliError::new(
        ExitStatus::Login,
        format!("login needs {step}, which cannot be done without a person"),
    )
    .hint(how.to_string())
}

async fn prompt_password(user: &str) -> Result<Zeroizing<String>, CliError> {
    let prompt = format!("Master password for {user}");
    tokio::task::spawn_blocking(move || {
        dialoguer::Password::new()
            .with_prompt(prompt)
            .interact()
            .map(Zeroizing::new)
            .map_err(|e| CliError::new(ExitStatus::Login, format!("cannot prompt: {e}")))
    })
    .await
    .map_err(|e| CliError::new(ExitStatus::Internal, format!("prompt: {e}")))?
}
