//! `gw-provision sandbox …`: the emulator in the foreground, and its accounts: add one with login
//! requirements, approve its waiting devices, read its second factor, sign in at its SSO. Account commands talk to a running sandbox through
//! its admin routes (`--sandbox-descriptor`) or edit a stopped one's state directory (`--state`).

use std::path::PathBuf;

use serde_json::json;
use zeroize::Zeroizing;

use crate::cli::args::{DeviceApprovalArg, GlobalArgs, OutputFormat, SandboxCommand, TwoFactorArg};
use crate::cli::exit::{CliError, ExitStatus};
use crate::cli::json_doc;
use crate::cli::Ui;
use crate::sandbox::admin_client::{AdminClient, AdminClientError};
use crate::sandbox::{
    self, AddUserError, AdminError, ApprovalChannel, EnforcementValue, NewUser, PendingApproval,
    PersistError, SandboxError, TwoFactorMethod,
};

/// Runs a sandbox command.
pub async fn run(global: &GlobalArgs, ui: Ui, command: SandboxCommand) -> Result<(), CliError> {
    match command {
        SandboxCommand::Serve(args) => super::sandbox_serve::serve(ui, args).await,
        SandboxCommand::Start(args) => super::sandbox_serve::start(ui, args).await,
        SandboxCommand::Stop { descriptor } => {
            super::sandbox_serve::stop(global, ui, descriptor).await
        }
        SandboxCommand::AddUser {
            email,
            password,
            totp_secret,
            two_factor,
            two_factor_code,
            backup_code,
            device_approval,
            cloud_sso,
            license_expired,
            region_redirect,
            locked,
            enforcement,
            state,
        } => {
            let user = NewUser {
                email,
                password: Zeroizing::new(password),
                totp_secret: totp_secret.map(Zeroizing::new),
                two_factor: two_factor
                    .iter()
                    .map(|m| match m {
                        TwoFactorArg::Totp => TwoFactorMethod::Totp,
                        TwoFactorArg::Sms => TwoFactorMethod::Sms,
                        TwoFactorArg::Duo => TwoFactorMethod::Duo,
                        TwoFactorArg::Rsa => TwoFactorMethod::Rsa,
                        TwoFactorArg::KeeperPush => TwoFactorMethod::KeeperPush,
                        TwoFactorArg::Webauthn => TwoFactorMethod::Webauthn,
                    })
                    .collect(),
                two_factor_code: two_factor_code.map(Zeroizing::new),
                backup_codes: backup_code,
                cloud_sso,
                license_expired,
                device_approval: device_approval.map(|d| match d {
                    DeviceApprovalArg::Email => ApprovalChannel::Email,
                    DeviceApprovalArg::Push => ApprovalChannel::Push,
                }),
                sso_master_password: global.sso_master_password,
                region_redirect,
                locked,
                enforcements: enforcement
                    .iter()
                    .map(|(k, v)| (k.clone(), EnforcementValue::parse(v)))
                    .collect(),
            };
            add_user(global, ui, user, state).await
        }
        SandboxCommand::ApproveDevice {
            email,
            code_only,
            state,
        } => approve_device(global, ui, &email, code_only, state).await,
        SandboxCommand::TwoFactor {
            email,
            approve_push,
            state,
        } => two_factor(global, ui, &email, approve_push, state).await,
        SandboxCommand::SsoToken { url } => sso_token(global, ui, &url).await,
    }
}

async fn two_factor(
    global: &GlobalArgs,
    ui: Ui,
    email: &str,
    approve_push: bool,
    state: Option<PathBuf>,
) -> Result<(), CliError> {
    let (status, approved) = match target(global, state)? {
        Target::Running(client) => {
            let approved = if approve_push {
                Some(
                    client
                        .approve_push(email)
                        .await
                        .map_err(admin_client_error)?,
                )
            } else {
                None
            };
            let status = client.two_factor(email).await.map_err(admin_client_error)?;
            (status, approved)
        }
        Target::Stopped(_) if approve_push => {
            return Err(CliError::new(
                ExitStatus::Usage,
                "--approve-push needs the running sandbox",
            )
            .hint("add --sandbox-descriptor FILE (a push waits only in a running sandbox)"))
        }
        Target::Stopped(dir) => {
            let owned = email.to_owned();
            let status = blocking(move || sandbox::two_factor_status(&dir, &owned))
                .await
                .map_err(sandbox_error)?;
            (status, None)
        }
    };
    if ui.output == OutputFormat::Json {
        let mut value = serde_json::to_value(&status).unwrap_or_default();
        if let (Some(n), Some(object)) = (approved, value.as_object_mut()) {
            object.insert("approved".to_owned(), json!(n));
        }
        json_doc::print(value);
        return Ok(());
    }
    if let Some(n) = approved {
        println!("Approved {n} waiting push(es) of {email}");
    }
    match &status.code {
        Some(code) => println!("{code}"),
        None if approved.is_none() => {
            return Err(CliError::new(
                ExitStatus::NotFound,
                format!("{email} has no SMS, Duo or RSA code"),
            )
            .hint("add the account with --two-factor sms|duo|rsa"))
        }
        None => {}
    }
    Ok(())
}

async fn sso_token(global: &GlobalArgs, ui: Ui, url: &str) -> Result<(), CliError> {
    let Target::Running(client) = target(global, None)? else {
        return Err(CliError::new(
            ExitStatus::Usage,
            "sandbox sso-token needs the running sandbox",
        )
        .hint("add --sandbox-descriptor FILE"));
    };
    let token = client.sso_token(url).await.map_err(admin_client_error)?;
    match ui.output {
        OutputFormat::Json => json_doc::print(json!({ "token": token })),
        OutputFormat::Text => println!("{token}"),
    }
    Ok(())
}

/// Where an account command acts: a running sandbox, or a stopped one's state directory.
enum Target {
    Running(AdminClient),
    Stopped(PathBuf),
}

/// `--state` wins (it names this command's directory); else the descriptor; else the default dir.
fn target(global: &GlobalArgs, state: Option<PathBuf>) -> Result<Target, CliError> {
    if let Some(dir) = state {
        return Ok(Target::Stopped(dir));
    }
    if let Some(path) = &global.sandbox_descriptor {
        let client = AdminClient::new(&crate::cli::connect::read_descriptor(path)?)
            .map_err(admin_client_error)?;
        return Ok(Target::Running(client));
    }
    Ok(Target::Stopped(crate::cli::connect::default_sandbox_dir()?))
}

async fn add_user(
    global: &GlobalArgs,
    ui: Ui,
    user: NewUser,
    state: Option<PathBuf>,
) -> Result<(), CliError> {
    let email = user.email.trim().to_ascii_lowercase();
    let requirements = requirements(&user);
    match target(global, state)? {
        Target::Running(client) => client.add_user(&user).await.map_err(admin_client_error)?,
        Target::Stopped(dir) => blocking(move || sandbox::add_user(&dir, &user))
            .await
            .map_err(sandbox_error)?,
    }
    match ui.output {
        OutputFormat::Json => json_doc::print(
            json!({ "email": email, "requirements": requirements, "action": "created" }),
        ),
        OutputFormat::Text if requirements.is_empty() => {
            println!("Added sandbox account {email} (password only)")
        }
        OutputFormat::Text => println!(
            "Added sandbox account {email} ({})",
            requirements.join(", ")
        ),
    }
    Ok(())
}

/// The account's login requirements in words, for the confirmation line.
fn requirements(user: &NewUser) -> Vec<String> {
    let mut out = Vec::new();
    if user.locked {
        out.push("locked".to_owned());
    }
    for (key, value) in &user.enforcements {
        let value = match value {
            EnforcementValue::Boolean(b) => b.to_string(),
            EnforcementValue::Long(n) => n.to_string(),
            EnforcementValue::Text(t) => t.clone(),
        };
        out.push(format!("enforcement {key}={value}"));
    }
    if let Some(host) = &user.region_redirect {
        out.push(format!("home region {host}"));
    }
    if user.sso_master_password {
        out.push("SSO with master password".to_owned());
    }
    match user.device_approval {
        Some(ApprovalChannel::Email) => out.push("device approval by e-mail code".to_owned()),
        Some(ApprovalChannel::Push) => out.push("device approval by Keeper Push".to_owned()),
        None => {}
    }
    if user.totp_secret.is_some() {
        out.push("authenticator code".to_owned());
    }
    for method in &user.two_factor {
        let text = match method {
            TwoFactorMethod::Totp => continue,
            TwoFactorMethod::Sms => "SMS code",
            TwoFactorMethod::Duo => "Duo",
            TwoFactorMethod::Rsa => "RSA SecurID code",
            TwoFactorMethod::KeeperPush => "Keeper Push",
            TwoFactorMethod::Webauthn => "security key",
        };
        out.push(text.to_owned());
    }
    if !user.backup_codes.is_empty() {
        out.push(format!("{} backup code(s)", user.backup_codes.len()));
    }
    if user.cloud_sso {
        out.push("Cloud SSO".to_owned());
    }
    if user.license_expired {
        out.push("license expired".to_owned());
    }
    out
}

async fn approve_device(
    global: &GlobalArgs,
    ui: Ui,
    email: &str,
    code_only: bool,
    state: Option<PathBuf>,
) -> Result<(), CliError> {
    let owned = email.to_owned();
    let devices = match (target(global, state)?, code_only) {
        (Target::Running(client), true) => client.device_approvals(email).await,
        (Target::Running(client), false) => client.approve_device(email).await,
        (Target::Stopped(dir), true) => {
            return print_devices(
                ui,
                email,
                code_only,
                blocking(move || sandbox::device_approvals(&dir, &owned))
                    .await
                    .map_err(sandbox_error)?,
            )
        }
        (Target::Stopped(dir), false) => {
            return print_devices(
                ui,
                email,
                code_only,
                blocking(move || sandbox::approve_devices(&dir, &owned))
                    .await
                    .map_err(sandbox_error)?,
            )
        }
    }
    .map_err(admin_client_error)?;
    print_devices(ui, email, code_only, devices)
}

fn print_devices(
    ui: Ui,
    email: &str,
    code_only: bool,
    devices: Vec<PendingApproval>,
) -> Result<(), CliError> {
    let codes: Vec<&str> = devices
        .iter()
        .filter_map(|d| d.email_code.as_deref())
        .collect();
    if ui.output == OutputFormat::Json {
        let key = if code_only { "pending" } else { "approved" };
        json_doc::print(json!({ "email": email, key: devices }));
        return Ok(());
    }
    if code_only {
        if codes.is_empty() {
            return Err(CliError::new(
                ExitStatus::NotFound,
                format!("no e-mail code is waiting for {email}"),
            )
            .hint("choose the e-mail code at the login prompt first, then run this again"));
        }
        for code in codes {
            println!("{code}");
        }
        return Ok(());
    }
    for device in &devices {
        let name = if device.device_name.is_empty() {
            "a device"
        } else {
            device.device_name.as_str()
        };
        match &device.email_code {
            Some(code) => println!("Approved {name} (its e-mail code was {code})"),
            None => println!("Approved {name}"),
        }
    }
    if devices.is_empty() {
        println!("No device of {email} was waiting for approval");
    }
    Ok(())
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, SandboxError> + Send + 'static,
) -> Result<T, SandboxError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| SandboxError::Task(e.to_string()))?
}

pub(super) fn sandbox_error(error: SandboxError) -> CliError {
    match error {
        SandboxError::State(PersistError::Locked(dir)) => CliError::new(
            ExitStatus::Usage,
            format!(
                "the sandbox state {} is in use by a running sandbox",
                dir.display()
            ),
        )
        .hint(
            "talk to the running sandbox instead: add --sandbox-descriptor FILE (and no --state)",
        ),
        SandboxError::Admin(AdminError::UnknownAccount(email)) => {
            CliError::new(ExitStatus::NotFound, format!("no sandbox account {email}"))
                .hint("add it with `gw-provision sandbox add-user`")
        }
        SandboxError::Admin(AdminError::AddUser(AddUserError::Exists(email))) => CliError::new(
            ExitStatus::Conflict,
            format!("a sandbox account {email} already exists"),
        ),
        SandboxError::Admin(AdminError::AddUser(AddUserError::Create(e))) => {
            CliError::new(ExitStatus::Internal, format!("sandbox: {e}"))
        }
        SandboxError::Admin(AdminError::AddUser(e)) => {
            CliError::new(ExitStatus::Usage, e.to_string())
        }
        other => CliError::new(ExitStatus::Internal, format!("sandbox: {other}")),
    }
}

fn admin_client_error(error: AdminClientError) -> CliError {
    match &error {
        AdminClientError::Descriptor(_) => CliError::new(ExitStatus::Usage, error.to_string()),
        AdminClientError::Unreachable { .. } => {
            CliError::new(ExitStatus::Network, error.to_string())
                .hint("is `gw-provision sandbox serve` still running for this descriptor?")
        }
        AdminClientError::Refused { code, .. } => {
            let status = match code.as_str() {
                "exists" => ExitStatus::Conflict,
                "not_found" => ExitStatus::NotFound,
                "bad_request" => ExitStatus::Usage,
                _ => ExitStatus::Internal,
            };
            CliError::new(status, error.to_string())
        }
        AdminClientError::BadReply(_) => CliError::new(ExitStatus::Internal, error.to_string()),
    }
}
