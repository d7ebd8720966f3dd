//! The sandbox side of connecting: which sandbox (`--sandbox` starts one in-process,
//! `--sandbox-descriptor` names a running one), whether the run uses its seeded demo account,
//! and the transport that trusts its CA and server key.

use super::*;

/// A sandbox to talk to, and the in-process server when `--sandbox` started one.
pub(super) struct SandboxTarget {
    pub(super) descriptor: Descriptor,
    pub(super) running: Option<RunningSandbox>,
}

pub(super) async fn open_sandbox(global: &GlobalArgs) -> Result<Option<SandboxTarget>, CliError> {
    if global.sandbox {
        let running = sandbox::start(SandboxOptions {
            listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            state_dir: default_sandbox_dir()?,
            faults: None,
        })
        .await
        .map_err(|e| CliError::new(ExitStatus::Internal, format!("sandbox: {e}")))?;
        return Ok(Some(SandboxTarget {
            descriptor: running.descriptor().clone(),
            running: Some(running),
        }));
    }
    match &global.sandbox_descriptor {
        Some(path) => Ok(Some(SandboxTarget {
            descriptor: read_descriptor(path)?,
            running: None,
        })),
        None => Ok(None),
    }
}

/// The descriptor of `--sandbox-descriptor` when this run would use its seeded demo account.
pub fn demo_descriptor(global: &GlobalArgs) -> Result<Option<Descriptor>, CliError> {
    let Some(path) = &global.sandbox_descriptor else {
        return Ok(None);
    };
    let descriptor = read_descriptor(path)?;
    Ok((!wants_account(global, &descriptor, Purpose::Use)).then_some(descriptor))
}

/// True when a sandbox run should go through the real-account path (see the module docs).
pub(super) fn wants_account(
    global: &GlobalArgs,
    descriptor: &Descriptor,
    purpose: Purpose,
) -> bool {
    purpose != Purpose::Use
        || global.config.is_some()
        || global.keeper_config.is_some()
        || b64_config_set()
        || global
            .user
            .as_deref()
            .is_some_and(|u| !u.trim().eq_ignore_ascii_case(&descriptor.user))
}

/// True when `gw-provision login` saved a resumable session for this sandbox's demo account:
/// later runs resume it (start_login + account_summary) instead of registering a new device and
/// sending the password, as a run against a real account does after `login`.
pub(super) fn logged_in_to(global: &GlobalArgs, descriptor: &Descriptor) -> bool {
    let Ok(home) = descriptor.host.parse::<Server>() else {
        return false;
    };
    load_config(global, true)
        .ok()
        .and_then(|config| config.device_credentials())
        .is_some_and(|device| {
            device.clone_code.is_some()
                && same_sandbox(&device.server, &home)
                && device
                    .username
                    .as_deref()
                    .is_some_and(|user| user.eq_ignore_ascii_case(&descriptor.user))
        })
}

pub(super) fn b64_config_set() -> bool {
    std::env::var_os(CONFIG_B64_ENV).is_some_and(|v| !v.is_empty())
}

/// The descriptor `sandbox serve` wrote at `path`.
pub fn read_descriptor(path: &Path) -> Result<Descriptor, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::new(
            ExitStatus::Usage,
            format!("cannot read sandbox descriptor {}: {e}", path.display()),
        )
        .hint("start one with `gw-provision sandbox serve --descriptor FILE`")
    })?;
    serde_json::from_str(&text).map_err(|e| {
        CliError::new(
            ExitStatus::Usage,
            format!("{} is not a sandbox descriptor: {e}", path.display()),
        )
    })
}

/// Transport settings for a sandbox: its host, its CA and its server key.
pub(super) fn sandbox_transport(
    descriptor: &Descriptor,
    server: Server,
) -> Result<(TransportOptions, RedeemOptions), CliError> {
    let bad = |e: &dyn std::fmt::Display| {
        CliError::new(ExitStatus::Usage, format!("sandbox descriptor: {e}"))
    };
    let key_bytes = b64url_decode(&descriptor.server_public_key).map_err(|e| bad(&e))?;
    let key = EcPublicKey::from_uncompressed(&key_bytes).map_err(|e| bad(&e))?;
    // Checked here so the message names the descriptor, not a failing HTTPS client.
    check_ca_certificate(&descriptor.ca_cert_pem).map_err(|e| {
        let detail = match e {
            TransportError::InvalidCaCertificate(detail) => detail,
            other => other.to_string(),
        };
        CliError::new(
            ExitStatus::Usage,
            format!("the sandbox descriptor's CA certificate (ca_cert_pem) is invalid: {detail}"),
        )
        .hint("use the descriptor `gw-provision sandbox serve --descriptor FILE` wrote, unedited")
    })?;
    // The sandbox serves the router's paths itself, on the same host and port.
    let router_url = format!("https://{}", server.host());
    let mut options = TransportOptions::new(server);
    options.custom_server_key = Some((descriptor.server_key_id, key.clone()));
    options.ca_cert_pem = Some(descriptor.ca_cert_pem.clone());
    options.router_url = Some(router_url);
    let redeem = RedeemOptions {
        hostname: Some(descriptor.host.clone()),
        server_public_key: Some((descriptor.server_key_id, key)),
        ca_cert_pem: Some(descriptor.ca_cert_pem.clone()),
    };
    Ok((options, redeem))
}

pub(super) async fn connect_demo(target: SandboxTarget) -> Result<Connection, CliError> {
    let descriptor = &target.descriptor;
    let server: Server = descriptor
        .host
        .parse()
        .map_err(|e| CliError::new(ExitStatus::Usage, format!("sandbox descriptor: {e}")))?;
    let (options, redeem) = sandbox_transport(descriptor, server)?;
    let transport = Transport::new(options)?;
    // An explicit KEEPER_PASSWORD is the one tried, for the demo account too.
    let password = Zeroizing::new(
        std::env::var("KEEPER_PASSWORD")
            .ok()
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| descriptor.password.clone()),
    );
    let options = LoginOptions::default();
    let login =
        || auth::login_with_password(&transport, None, &descriptor.user, &password, &options);
    // A session ended between its login and its first use is simply logged in again, once.
    let outcome = match login().await {
        Err(AuthError::Transport(TransportError::SessionExpired)) => login().await?,
        other => other?,
    };
    let session = login::complete(outcome, &mut LoginContext::new(Ui::non_interactive())).await?;
    let renewal = PasswordRenewal {
        transport: session.transport().clone(),
        username: descriptor.user.clone(),
        password,
    };
    let session = session.with_renewal(Arc::new(renewal));
    Ok(Connection {
        session,
        redeem,
        server_label: format!("sandbox ({})", descriptor.host),
        config: None,
        sandbox: true,
        _sandbox: target.running,
    })
}
