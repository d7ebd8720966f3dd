//! Driving a login to a session: answering, at a terminal, every step a person can answer
//! (password, two-factor code or push, device approval, SSO), and failing fast when nobody can:
//! exit 3 with one line saying which step, and a hint saying how to pre-approve it.
//!
//! Codes and passwords are read with prompts that run off the async threads (so Ctrl-C is still
//! seen) and are never echoed, logged or put in an error message.

use super::args::RememberDevice;
use super::exit::{CliError, ErrorCode, ExitStatus};
use super::prompt::{self, Typed};
use super::Ui;
use crate::keeper::auth::{
    AuthError, DeviceApprovalStep, LoginDenied, LoginOutcome, PasswordStep, Session,
    SessionRestriction, SsoRedirect, TwoFactorChannel, TwoFactorExpiration, TwoFactorKind,
    TwoFactorPushType, TwoFactorStep,
};
use crate::keeper::transport::TransportError;
use zeroize::Zeroizing;

/// Attempts at a typed password or code before giving up, as in Keeper's own clients.
const ATTEMPTS: usize = 3;

/// What a login may use besides the person at the terminal.
pub struct LoginContext {
    /// Prompts are allowed.
    pub ui: Ui,
    /// Passwords to try, in order, before asking (`KEEPER_PASSWORD`, the config's `password`).
    pub passwords: Vec<Zeroizing<String>>,
    /// `--remember-device`; asked in a terminal when `None`.
    pub remember: Option<RememberDevice>,
    /// Set when the login switched to the SSO master password, to remember that in the config.
    pub switched_to_sso_master_password: bool,
}

impl LoginContext {
    /// A context with no preset answers.
    pub fn new(ui: Ui) -> LoginContext {
        LoginContext {
            ui,
            passwords: Vec::new(),
            remember: None,
            switched_to_sso_master_password: false,
        }
    }
}

/// Answers login steps until logged in, or explains why that cannot happen here.
pub async fn complete(
    mut outcome: LoginOutcome,
    ctx: &mut LoginContext,
) -> Result<Session, CliError> {
    let mut prompted_passwords = 0;
    loop {
        outcome = match outcome {
            LoginOutcome::LoggedIn(session) => return Ok(*session),
            LoginOutcome::NeedsPassword(step) => {
                answer_password(&step, ctx, &mut prompted_passwords).await?
            }
            LoginOutcome::NeedsTwoFactor(step) => answer_two_factor(&step, ctx).await?,
            LoginOutcome::NeedsDeviceApproval(step) => answer_device_approval(&step, ctx).await?,
            LoginOutcome::NeedsDeviceDataKey(step) => answer_device_data_key(&step, ctx).await?,
            LoginOutcome::NeedsSso(step) => answer_sso(&step, ctx).await?,
            LoginOutcome::RegionRedirect { host } => {
                return Err(CliError::new(
                    ExitStatus::Login,
                    format!("the account is served by {host}, which redirected again"),
                )
                .hint(format!("re-run with --server {host}")))
            }
            LoginOutcome::Restricted { restriction, .. } => return Err(restricted(restriction)),
            LoginOutcome::Denied { reason, .. } => return Err(denied(reason)),
        };
    }
}

async fn answer_password(
    step: &PasswordStep,
    ctx: &mut LoginContext,
    prompted: &mut usize,
) -> Result<LoginOutcome, CliError> {
    let mut preset_failed = false;
    loop {
        let password = if !ctx.passwords.is_empty() {
            ctx.passwords.remove(0)
        } else if ctx.ui.interactive && *prompted < ATTEMPTS {
            *prompted += 1;
            ask_secret(format!("Master password for {}", step.username())).await?
        } else if ctx.ui.interactive || preset_failed {
            return Err(CliError::new(ExitStatus::Login, "wrong password")
                .hint("check the master password (KEEPER_PASSWORD) and try again")
                .with_code(ErrorCode::WrongPassword));
        } else {
            return Err(needs_person(
                &format!("the master password of {}", step.username()),
                "set KEEPER_PASSWORD, or run `gw-provision login` once in a terminal so later runs \
                 resume its saved session without a password",
            ));
        };
        match step.verify(&password).await {
            Ok(next) => return Ok(next),
            Err(AuthError::WrongPassword) => {
                preset_failed = true;
                if ctx.ui.interactive {
                    eprintln!("Wrong password.");
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
}

async fn answer_two_factor(
    step: &TwoFactorStep,
    ctx: &LoginContext,
) -> Result<LoginOutcome, CliError> {
    let offered = step.channels();
    let mut usable: Vec<TwoFactorChannel> = offered
        .iter()
        .filter(|c| usable_kind(c.kind))
        .cloned()
        .collect();
    let security_key = offered
        .iter()
        .any(|c| matches!(c.kind, TwoFactorKind::U2f | TwoFactorKind::WebAuthn));
    if usable.is_empty() && security_key {
        return Err(CliError::new(
            ExitStatus::Login,
            "the account's second factor is a hardware security key, which gw-provision cannot use",
        )
        .hint(
            "add an authenticator app or backup codes in the Keeper Web Vault, or log in once with \
             Keeper Commander (it supports security keys) and reuse its config with --keeper-config",
        ));
    }
    if !ctx.ui.interactive {
        return Err(needs_person(
            "a two-factor code",
            "run `gw-provision login` once in a terminal and remember this device \
             (--remember-device 30d or forever), then give CI the saved config",
        ));
    }
    if usable.is_empty() {
        // No channel listed: Keeper still accepts one of the account's backup codes.
        usable.push(TwoFactorChannel {
            kind: TwoFactorKind::Backup,
            uid: Vec::new(),
            name: String::new(),
            phone_number: String::new(),
            capabilities: Vec::new(),
            max_expiration: None,
        });
    }
    let channel = if usable.len() == 1 {
        usable.remove(0)
    } else {
        let labels = usable.iter().map(channel_label).collect();
        let index = ask_choice("Two-factor authentication".into(), labels).await?;
        usable.remove(index)
    };
    prompt::say(&format!(
        "Two-factor authentication: {}",
        channel_label(&channel)
    ));
    match channel.kind {
        TwoFactorKind::KeeperPush => {
            return push_and_resume(step, &channel, TwoFactorPushType::TwoFaPushKeeper).await
        }
        TwoFactorKind::Duo if channel.capabilities.iter().any(|c| c == "push") => {
            let items = vec![
                "Send a Duo Push".to_owned(),
                "Enter a Duo passcode".to_owned(),
            ];
            if ask_choice("Duo".into(), items).await? == 0 {
                return push_and_resume(step, &channel, TwoFactorPushType::TwoFaPushDuoPush).await;
            }
        }
        TwoFactorKind::Sms => {
            // As in Commander: a failed send still lets a code already received be typed.
            match step
                .send_push(&channel, TwoFactorPushType::TwoFaPushSms)
                .await
            {
                Ok(()) => eprintln!("A code was sent by text message."),
                Err(AuthError::Transport(e)) if e.is_connection_error() => {
                    return Err(AuthError::Transport(e).into())
                }
                Err(e) => eprintln!("The text message could not be sent ({e})."),
            }
        }
        _ => {}
    }
    let remember = remember_for(&channel, ctx.remember).await?;
    for attempt in 1..=ATTEMPTS {
        let code = ask_text("Two-factor code".into()).await?;
        match step.submit_code(&channel, &code, remember).await {
            Ok(next) => return Ok(next),
            Err(e) if not_accepted(&e) && attempt < ATTEMPTS => {
                eprintln!("The code was not accepted; try again.")
            }
            Err(e) if not_accepted(&e) => break,
            Err(e) => return Err(e.into()),
        }
    }
    Err(
        CliError::new(ExitStatus::Login, "the two-factor code was not accepted")
            .hint("check the device's clock and the code, then run the command again"),
    )
}

async fn push_and_resume(
    step: &TwoFactorStep,
    channel: &TwoFactorChannel,
    push: TwoFactorPushType,
) -> Result<LoginOutcome, CliError> {
    step.send_push(channel, push).await?;
    wait_enter("Approve the request on your device, then press Enter".into()).await?;
    let next = step.resume().await?;
    if matches!(next, LoginOutcome::NeedsTwoFactor(_)) {
        eprintln!("Not approved yet.");
    }
    Ok(next)
}

async fn answer_device_approval(
    step: &DeviceApprovalStep,
    ctx: &LoginContext,
) -> Result<LoginOutcome, CliError> {
    if !ctx.ui.interactive {
        return Err(needs_person(
            "approval of this new device",
            "run `gw-provision login` once in a terminal (e-mail code or Keeper Push) and give CI \
             the saved config (the file, or GW_PROVISION_CONFIG_B64), or approve the device in \
             the Admin Console",
        ));
    }
    prompt::say(&format!(
        "This device must be approved before {} can log in from it.",
        step.username()
    ));
    let items = vec![
        "E-mail me a code".to_owned(),
        "Send a Keeper Push to my other devices".to_owned(),
        "Use my two-factor code".to_owned(),
    ];
    match ask_choice("Approve this device by".into(), items).await? {
        0 => {
            step.request_email_code().await?;
            eprintln!("A code was sent to {}.", step.username());
            for attempt in 1..=ATTEMPTS {
                let code = ask_text("Code from the e-mail".into()).await?;
                match step.validate_email_code(&code).await {
                    Ok(()) => return Ok(step.resume().await?),
                    Err(e) if not_accepted(&e) && attempt < ATTEMPTS => {
                        eprintln!("The code was not accepted; try again.")
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            Err(CliError::new(
                ExitStatus::Login,
                "the e-mail code was not accepted",
            ))
        }
        1 => {
            step.send_keeper_push().await?;
            wait_enter(
                "Approve this device on one of your logged-in devices, then press Enter".into(),
            )
            .await?;
            let next = step.resume().await?;
            if matches!(next, LoginOutcome::NeedsDeviceApproval(_)) {
                eprintln!("Not approved yet.");
            }
            Ok(next)
        }
        _ => {
            if let Err(e) = step.send_two_factor_code().await {
                // An authenticator app needs no push; only SMS-style channels do.
                tracing::info!("no two-factor push sent: {e}");
            }
            let code = ask_text("Two-factor code".into()).await?;
            Ok(step.validate_two_factor_code(&code).await?)
        }
    }
}

async fn answer_device_data_key(
    step: &DeviceApprovalStep,
    ctx: &LoginContext,
) -> Result<LoginOutcome, CliError> {
    if !ctx.ui.interactive {
        return Err(needs_person(
            "approval of this device for SSO",
            "run `gw-provision login` once in a terminal to send a Keeper Push, or have an \
             administrator approve the device in the Admin Console",
        ));
    }
    let items = vec![
        "Send a Keeper Push to my other devices".to_owned(),
        "Ask my Keeper administrator".to_owned(),
    ];
    if ask_choice("Approve this SSO device by".into(), items).await? == 0 {
        step.send_keeper_push().await?;
    } else {
        step.request_admin_approval().await?;
    }
    wait_enter("When the device is approved, press Enter".into()).await?;
    Ok(step.resume().await?)
}

async fn answer_sso(step: &SsoRedirect, ctx: &mut LoginContext) -> Result<LoginOutcome, CliError> {
    if !ctx.ui.interactive {
        return Err(needs_person(
            "an SSO sign-in in a browser",
            "if the account has an SSO master password, pass --sso-master-password with \
             KEEPER_PASSWORD; otherwise run `gw-provision login` once in a terminal and reuse \
             its saved session",
        ));
    }
    let cloud = if step.on_premises {
        prompt::say("This account uses on-premises SSO Connect, which gw-provision cannot drive.");
        None
    } else {
        let cloud = step.start_cloud_login()?;
        prompt::say(&format!(
            "Sign in with your identity provider at:\n\n  {}\n\nthen click \"Copy login token\" \
             and paste the token here.",
            cloud.url()
        ));
        Some(cloud)
    };
    let mut items = vec!["Log in with the SSO master password instead".to_owned()];
    if cloud.is_some() {
        items.insert(0, "Paste the token shown after signing in".to_owned());
    }
    let choice = ask_choice("SSO login".into(), items).await?;
    let Some(cloud) = cloud.filter(|_| choice == 0) else {
        ctx.switched_to_sso_master_password = true;
        return Ok(step.login_with_master_password().await?);
    };
    for attempt in 1..=ATTEMPTS {
        let token = ask_secret("SSO login token".into()).await?;
        match cloud.complete(&token).await {
            Ok(next) => return Ok(next),
            Err(AuthError::InvalidSsoToken(why)) if attempt < ATTEMPTS => {
                eprintln!("That token cannot be used: {why}.")
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(CliError::new(
        ExitStatus::Login,
        "no usable SSO token was pasted",
    ))
}

/// Asks for the account e-mail.
pub async fn ask_email() -> Result<String, CliError> {
    Ok(ask_text("Keeper e-mail".into()).await?.trim().to_owned())
}

fn usable_kind(kind: TwoFactorKind) -> bool {
    matches!(
        kind,
        TwoFactorKind::Totp
            | TwoFactorKind::Sms
            | TwoFactorKind::Duo
            | TwoFactorKind::RsaSecurId
            | TwoFactorKind::Backup
            | TwoFactorKind::KeeperPush
            | TwoFactorKind::Dna
    )
}

fn channel_label(channel: &TwoFactorChannel) -> String {
    let kind = match channel.kind {
        TwoFactorKind::Totp => "authenticator app code",
        TwoFactorKind::Sms => "code by text message",
        TwoFactorKind::Duo => "Duo Security",
        TwoFactorKind::RsaSecurId => "RSA SecurID code",
        TwoFactorKind::Backup => "backup code",
        TwoFactorKind::KeeperPush => "Keeper Push to another device",
        TwoFactorKind::Dna => "Keeper DNA (watch)",
        _ => "other",
    };
    let detail = [channel.name.as_str(), channel.phone_number.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if detail.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind} ({detail})")
    }
}

/// The "remember this device" duration: the flag, or a question; never more than the channel allows.
async fn remember_for(
    channel: &TwoFactorChannel,
    flag: Option<RememberDevice>,
) -> Result<TwoFactorExpiration, CliError> {
    let all = [
        (
            "Ask at every login",
            TwoFactorExpiration::TwoFaExpImmediately,
        ),
        (
            "Remember this device for 12 hours",
            TwoFactorExpiration::TwoFaExp12Hours,
        ),
        (
            "Remember this device for 24 hours",
            TwoFactorExpiration::TwoFaExp24Hours,
        ),
        (
            "Remember this device for 30 days",
            TwoFactorExpiration::TwoFaExp30Days,
        ),
        (
            "Remember this device forever",
            TwoFactorExpiration::TwoFaExpNever,
        ),
    ];
    let limit = channel
        .max_expiration
        .unwrap_or(TwoFactorExpiration::TwoFaExpNever);
    let allowed: Vec<_> = all.into_iter().filter(|(_, e)| *e <= limit).collect();
    if let Some(flag) = flag {
        let wanted = match flag {
            RememberDevice::Login => TwoFactorExpiration::TwoFaExpImmediately,
            RememberDevice::Hours12 => TwoFactorExpiration::TwoFaExp12Hours,
            RememberDevice::Hours24 => TwoFactorExpiration::TwoFaExp24Hours,
            RememberDevice::Days30 => TwoFactorExpiration::TwoFaExp30Days,
            RememberDevice::Forever => TwoFactorExpiration::TwoFaExpNever,
        };
        return Ok(wanted.min(limit));
    }
    let labels = allowed
        .iter()
        .map(|(label, _)| (*label).to_owned())
        .collect();
    let index = ask_choice("Remember this device?".into(), labels).await?;
    Ok(allowed
        .get(index)
        .map(|(_, e)| *e)
        .unwrap_or(TwoFactorExpiration::TwoFaExpImmediately))
}

/// A typed answer the server rejected (wrong code): worth another try. Anything else is not.
fn not_accepted(error: &AuthError) -> bool {
    match error {
        AuthError::WrongPassword => true,
        AuthError::Transport(TransportError::Keeper { code, .. }) => code != "login_token_expired",
        _ => false,
    }
}

fn needs_person(step: &str, how: &str) -> CliError {
    CliError::new(
        ExitStatus::Login,
        format!(
            "login needs {step}, which needs a person at a terminal (running non-interactively)"
        ),
    )
    .hint(how.to_string())
}

fn restricted(restriction: SessionRestriction) -> CliError {
    let hint = match restriction {
        SessionRestriction::Expired => {
            "renew the Keeper subscription (or ask your administrator), then log in again"
        }
        _ => "finish the account's pending step in the Keeper Web Vault, then log in again",
    };
    CliError::new(
        ExitStatus::Login,
        format!("the login was accepted but the session is restricted: {restriction}"),
    )
    .hint(hint)
}

fn denied(reason: LoginDenied) -> CliError {
    let hint = match reason {
        LoginDenied::AccountLocked | LoginDenied::DeviceAccountLocked => {
            "ask your Keeper administrator to unlock the account (Admin Console), then log in again"
        }
        LoginDenied::DeviceLocked => {
            "an administrator locked this device; remove the saved config to register a new one, or ask them to unlock it"
        }
        LoginDenied::LicenseExpired => "renew the Keeper licence (or ask your administrator), then log in again",
        LoginDenied::UpgradeRequired => "install a newer gw-provision",
        LoginDenied::AccountCreationRequired => "check the e-mail address (--user / KEEPER_USER)",
        LoginDenied::LoginTokenExpired => "the login took too long; run the command again",
        LoginDenied::AccountRecoveryRequired => "recover the account in the Keeper Web Vault first",
        LoginDenied::UsernameRequired => "pass --user (or KEEPER_USER)",
        LoginDenied::Unsupported(_) => {
            "log in once with the Keeper Web Vault or Commander to finish this step, or use a master password"
        }
    };
    CliError::new(ExitStatus::Login, format!("login refused: {reason}")).hint(hint)
}

fn prompt_error(error: std::io::Error) -> CliError {
    if error.kind() == std::io::ErrorKind::Interrupted {
        return CliError::interrupted();
    }
    CliError::new(ExitStatus::Login, format!("cannot prompt: {error}"))
        .hint("run in a terminal, or pass --non-interactive with KEEPER_PASSWORD")
}

/// Runs a blocking prompt off the async threads, so the Ctrl-C handler still runs.
async fn blocking<T: Send + 'static>(
    prompt: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, CliError> {
    tokio::task::spawn_blocking(prompt)
        .await
        .map_err(|e| CliError::new(ExitStatus::Internal, format!("prompt: {e}")))?
        .map_err(prompt_error)
}

async fn ask_secret(question: String) -> Result<Zeroizing<String>, CliError> {
    blocking(move || prompt::secret(&question)).await
}

/// A line of text that must not be empty (a code, an e-mail address).
async fn ask_text(question: String) -> Result<Zeroizing<String>, CliError> {
    blocking(move || {
        let not_empty = |text: &str| match text.trim() {
            "" => Err("nothing was typed".to_owned()),
            _ => Ok(()),
        };
        match prompt::text(&question, None, false, not_empty)? {
            Typed::Text(text) => Ok(Zeroizing::new(text)),
            Typed::Back => Err(std::io::Error::other("no text")),
        }
    })
    .await
}

async fn wait_enter(question: String) -> Result<(), CliError> {
    blocking(move || prompt::text(&question, None, false, |_| Ok(())).map(|_| ())).await
}

async fn ask_choice(question: String, items: Vec<String>) -> Result<usize, CliError> {
    blocking(move || {
        prompt::select(&question, &items, 0, false)?
            .ok_or_else(|| std::io::Error::other("no choice"))
    })
    .await
}

#[cfg(test)]
#[path = "login_tests.rs"]
mod tests;
