//! The `sandbox` subcommands' flags: running the emulator and shaping its accounts.

use clap::{Subcommand, ValueEnum};
use std::path::PathBuf;

/// `gw-provision sandbox …`
#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Run the sandbox in the foreground until Ctrl-C, SIGTERM or `sandbox stop`; prints one
    /// "ready" line once it listens.
    Serve(ServeArgs),
    /// Start the sandbox in the background and return once it is ready (same line as serve);
    /// its pid is kept next to the descriptor for `sandbox stop`.
    Start(ServeArgs),
    /// Stop a sandbox started with `sandbox start` (or `serve`) and wait until it has saved.
    Stop {
        /// The running sandbox's descriptor (default: --sandbox-descriptor, else DIR/descriptor.json
        /// of the default state directory).
        #[arg(long, value_name = "FILE")]
        descriptor: Option<PathBuf>,
    },
    /// Add a sandbox account, optionally with login requirements (second factors and backup
    /// codes, device approval, SSO master password with the global --sso-master-password, Cloud
    /// SSO, home region, lock, expired license).
    /// Talks to the running sandbox of --sandbox-descriptor, or edits a stopped one's --state.
    AddUser {
        /// The account's e-mail.
        #[arg(long, value_name = "EMAIL")]
        email: String,
        /// The account's master password.
        #[arg(long, value_name = "PASSWORD")]
        password: String,
        /// Require an authenticator code after the password; the app's base32 secret.
        #[arg(long, value_name = "BASE32")]
        totp_secret: Option<String>,
        /// Require this second factor after the password (repeatable): `totp` (with
        /// --totp-secret), `sms`, `duo`, `rsa` (a code: --two-factor-code or a random one shown by
        /// `sandbox two-factor`), `keeper-push` (approved with `sandbox two-factor --approve-push`),
        /// `webauthn` (a security key the sandbox never accepts).
        #[arg(long, value_enum, value_name = "METHOD")]
        two_factor: Vec<TwoFactorArg>,
        /// The code SMS, Duo and RSA accept (default: six random digits).
        #[arg(long, value_name = "CODE")]
        two_factor_code: Option<String>,
        /// A one-time backup code (repeatable); alone, the second-factor step lists no channel.
        #[arg(long, value_name = "CODE")]
        backup_code: Vec<String>,
        /// New devices must be approved first, by e-mail code or Keeper Push.
        #[arg(long, value_enum, value_name = "HOW")]
        device_approval: Option<DeviceApprovalArg>,
        /// A Cloud SSO account: logins go to the identity provider; `sandbox sso-token URL` is
        /// the sign-in and prints the login token to paste.
        #[arg(long)]
        cloud_sso: bool,
        /// The account's license has expired: every login is refused.
        #[arg(long)]
        license_expired: bool,
        /// The account lives on this host: logins elsewhere are redirected there.
        #[arg(long, value_name = "HOST[:PORT]")]
        region_redirect: Option<String>,
        /// Every login of the account is refused as locked.
        #[arg(long)]
        locked: bool,
        /// An enterprise role enforcement as Keeper sends it in the account summary, e.g.
        /// `allow_pam_gateway=true` (repeatable; any enforcement makes an enterprise user, who
        /// then needs allow_secrets_manager and allow_pam_gateway set to provision).
        #[arg(long, value_name = "KEY=VALUE", value_parser = parse_enforcement)]
        enforcement: Vec<(String, String)>,
        /// Edit the state directory of a stopped sandbox instead (default: the --sandbox one).
        #[arg(long, value_name = "DIR")]
        state: Option<PathBuf>,
    },
    /// Approve every device waiting for approval of an account (as a Keeper Push approval
    /// does), printing the e-mail codes the sandbox sent them.
    ApproveDevice {
        /// The account's e-mail.
        #[arg(long, value_name = "EMAIL")]
        email: String,
        /// Only print the pending e-mail codes, one per line; approve nothing.
        #[arg(long)]
        code_only: bool,
        /// Edit the state directory of a stopped sandbox instead (default: the --sandbox one).
        #[arg(long, value_name = "DIR")]
        state: Option<PathBuf>,
    },
    /// Show an account's second factor: the code SMS, Duo and RSA accept, unused backup codes
    /// and the pushes asked for; with --approve-push, approve the Duo / Keeper pushes waiting.
    TwoFactor {
        /// The account's e-mail.
        #[arg(long, value_name = "EMAIL")]
        email: String,
        /// Approve the Duo Push / Keeper Push logins of the account wait for (running sandbox).
        #[arg(long)]
        approve_push: bool,
        /// Read the state directory of a stopped sandbox instead (default: the --sandbox one).
        #[arg(long, value_name = "DIR")]
        state: Option<PathBuf>,
    },
    /// Sign in at the identity provider of a Cloud SSO login: give the URL the login showed
    /// (with its payload=); prints the login token to paste (needs --sandbox-descriptor).
    SsoToken {
        /// The URL shown by the login.
        #[arg(value_name = "URL")]
        url: String,
    },
}

/// How `sandbox serve` and `sandbox start` run the sandbox.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: std::net::SocketAddr,
    /// Directory holding the sandbox's state (default: the XDG data directory).
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// Where to write the descriptor JSON (mode 0600, atomically, once listening; default:
    /// DIR/descriptor.json of the state directory). The pid goes next to it (FILE.pid).
    #[arg(long, value_name = "FILE")]
    pub descriptor: Option<PathBuf>,
    /// JSON file describing faults to inject (for testing recovery).
    #[arg(long, value_name = "FILE")]
    pub faults: Option<PathBuf>,
}

/// `sandbox add-user --two-factor`: a second factor of the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TwoFactorArg {
    /// An authenticator app (needs --totp-secret).
    Totp,
    /// A code by text message.
    Sms,
    /// Duo Security: push or passcode.
    Duo,
    /// An RSA SecurID code.
    Rsa,
    /// A Keeper Push to another device.
    KeeperPush,
    /// A WebAuthn security key.
    Webauthn,
}

/// `KEY=VALUE` of `sandbox add-user --enforcement`.
fn parse_enforcement(text: &str) -> Result<(String, String), String> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| format!("'{text}' is not KEY=VALUE (e.g. allow_pam_gateway=true)"))?;
    let key = key.trim();
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!(
            "'{key}' is not an enforcement name (letters, digits, _)"
        ));
    }
    Ok((key.to_ascii_lowercase(), value.trim().to_owned()))
}

/// `sandbox add-user --device-approval`: how the account approves a new device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeviceApprovalArg {
    /// A code e-mailed to the account (read it with `sandbox approve-device --code-only`).
    Email,
    /// A Keeper Push approved from another device (`sandbox approve-device`).
    Push,
}
