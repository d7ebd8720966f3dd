//! Logging in again when a session ends mid-run: with the demo account's password, or with an
//! account's device (its clone code first, then KEEPER_PASSWORD), keeping the config current.

use super::*;

/// Renews a session by logging in with a known password (the sandbox's demo account).
pub(super) struct PasswordRenewal {
    pub(super) transport: Transport,
    pub(super) username: String,
    pub(super) password: Zeroizing<String>,
}

impl SessionRenewal for PasswordRenewal {
    fn renew(&self) -> Pin<Box<dyn Future<Output = Result<SessionToken, AuthError>> + Send + '_>> {
        Box::pin(async move {
            let outcome = auth::login_with_password(
                &self.transport,
                None,
                &self.username,
                &self.password,
                &LoginOptions::default(),
            )
            .await?;
            logged_in_token(outcome)
        })
    }
}

/// Renews an account's session with its device: the clone code first, then KEEPER_PASSWORD.
pub(super) struct AccountRenewal {
    pub(super) transport: Transport,
    pub(super) username: String,
    pub(super) device: std::sync::Mutex<Option<DeviceCredentials>>,
    pub(super) password: Option<Zeroizing<String>>,
    pub(super) options: LoginOptions,
    /// The config to keep current with the rotated clone code (`None`: not saved by this run).
    pub(super) config: Option<ConfigSource>,
}

impl SessionRenewal for AccountRenewal {
    fn renew(&self) -> Pin<Box<dyn Future<Output = Result<SessionToken, AuthError>> + Send + '_>> {
        Box::pin(async move {
            let device = self.device.lock().ok().and_then(|d| d.clone());
            if let Some(device) = device.clone().filter(|d| d.clone_code.is_some()) {
                if let Ok(LoginOutcome::LoggedIn(session)) =
                    auth::resume_login(&self.transport, device, &self.options).await
                {
                    self.remember(&session);
                    return Ok(session.session_token());
                }
            }
            let password = self.password.as_ref().ok_or_else(|| {
                AuthError::BadResponse(
                    "no saved session and no KEEPER_PASSWORD to log in again".into(),
                )
            })?;
            let outcome = auth::login_with_password(
                &self.transport,
                device,
                &self.username,
                password,
                &self.options,
            )
            .await?;
            if let LoginOutcome::LoggedIn(session) = &outcome {
                self.remember(session);
            }
            logged_in_token(outcome)
        })
    }
}

impl AccountRenewal {
    fn remember(&self, session: &Session) {
        let Some(device) = session.device_credentials() else {
            return;
        };
        if let Ok(mut slot) = self.device.lock() {
            *slot = Some(device.clone());
        }
        // Re-read the file (another key may have changed) and write the new clone code into it.
        let saved = self.config.clone().map(|source| {
            let mut config = AccountConfig::load(source)?;
            config.update(device);
            config.save()
        });
        if let Some(Err(error)) = saved {
            tracing::warn!("the renewed session could not be saved: {error}");
        }
    }
}

pub(super) fn logged_in_token(outcome: LoginOutcome) -> Result<SessionToken, AuthError> {
    match outcome {
        LoginOutcome::LoggedIn(session) => Ok(session.session_token()),
        _ => Err(AuthError::BadResponse(
            "logging in again needs a person (a second factor or an approval)".into(),
        )),
    }
}
