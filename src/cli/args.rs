//! Every flag, with its help text and environment variable, in one place. The man page and shell
//! completions are generated from these definitions.

use crate::keeper::server::Server;
use clap::builder::{BoolishValueParser, PossibleValue, TypedValueParser};
use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};
use std::ffi::OsStr;
use std::path::PathBuf;

mod sandbox_args;
pub use sandbox_args::{DeviceApprovalArg, SandboxCommand, ServeArgs, TwoFactorArg};

/// The value parser of every boolean flag, used for its environment variable: `1`/`0`,
/// `true`/`false`, `yes`/`no`, `on`/`off` in any case, and empty as off. clap's default takes only
/// `true`/`false`, so `GW_PROVISION_NON_INTERACTIVE=1` — what most tools accept — failed every
/// command with a usage error.
#[derive(Debug, Clone, Copy, Default)]
pub struct EnvBool(BoolishValueParser);

impl EnvBool {
    /// The parser.
    pub fn new() -> EnvBool {
        EnvBool(BoolishValueParser::new())
    }

    /// The rule on its own, for variables that are not flags (`CI`): `None` when `value` is
    /// neither empty nor a boolean word.
    pub fn parse_word(value: &OsStr) -> Option<bool> {
        let word = value.to_str()?.trim().to_ascii_lowercase();
        match word.as_str() {
            "" | "0" | "false" | "no" | "off" | "n" | "f" => Some(false),
            "1" | "true" | "yes" | "on" | "y" | "t" => Some(true),
            _ => None,
        }
    }
}

impl TypedValueParser for EnvBool {
    type Value = bool;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<bool, clap::Error> {
        if value.is_empty() {
            return Ok(false);
        }
        self.0.parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        self.0.possible_values()
    }
}

/// Exit codes, shown at the end of `--help` and in the README.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0    done
  1    internal error
  2    usage: bad flag or value, or a missing input when non-interactive
  3    login required or failed (incl. a step that needs a person when non-interactive)
  4    conflict: the gateway exists (use --replace), or a name is ambiguous
  5    not found
  6    network or TLS error
  7    refused by Keeper (permission, licence, throttled after retries, other API errors)
  8    apply: some gateways failed (the others were provisioned; re-run to finish)
  130  interrupted (Ctrl-C)";

/// Examples shown by `new --help` and its man page.
pub const NEW_EXAMPLES: &str = "\
Examples:
  # The wizard, in a terminal: it asks for the folder, application, gateway and OS
  gw-provision new

  # A Linux gateway from a script or CI, as JSON
  gw-provision new --non-interactive --output json --folder \"PAM Lab\" \\
    --app \"PAM Lab App\" --gateway edge-1 --os linux

  # Offline against the built-in sandbox: what a Docker gateway would need, changing nothing
  gw-provision new --sandbox --os docker --dry-run";

fn new_after_help() -> String {
    format!("{NEW_EXAMPLES}\n\n{EXIT_CODES_HELP}")
}

/// Provision a Keeper Gateway end to end: shared folder, KSM application with Can Edit,
/// gateway and its one-time access token or install command.
#[derive(Debug, Parser)]
#[command(name = "gw-provision", version, about, after_help = EXIT_CODES_HELP)]
pub struct Cli {
    /// Options that apply to every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The conflicts between flags that clap cannot see: a boolean flag whose variable says off
    /// (`GW_PROVISION_SANDBOX=0`) is still "present" to clap's `conflicts_with`, so these are
    /// checked on the parsed values. Exit 2 like every usage error.
    pub fn check_conflicts(&self) -> Result<(), clap::Error> {
        use clap::CommandFactory;
        let conflict = |message: &str| {
            Err(Cli::command().error(clap::error::ErrorKind::ArgumentConflict, message))
        };
        let sandbox = self.global.sandbox || self.global.sandbox_descriptor.is_some();
        if sandbox && self.global.server.is_some() {
            return conflict(
                "--server (KEEPER_SERVER) cannot be used with --sandbox or \
                 --sandbox-descriptor: the sandbox is the server; drop --server or unset \
                 KEEPER_SERVER",
            );
        }
        if self.global.sandbox && self.global.sandbox_descriptor.is_some() {
            return conflict(
                "--sandbox (GW_PROVISION_SANDBOX) cannot be used with --sandbox-descriptor: \
                 the first starts a sandbox in-process, the second names one already running",
            );
        }
        if let Command::New(new) = &self.command {
            if new.existing && new.token_file.is_some() {
                return conflict(
                    "--existing cannot be used with --token-file: --existing mints no token",
                );
            }
            if new.existing && new.replace {
                return conflict(
                    "--existing cannot be used with --replace: --existing keeps the gateway \
                     the host runs, --replace makes a new one",
                );
            }
        }
        Ok(())
    }
}

/// Options that apply to every command.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Output format: human text on stdout, or one JSON object on stdout.
    #[arg(long, short = 'o', global = true, value_enum, default_value_t = OutputFormat::Text, env = "GW_PROVISION_OUTPUT")]
    pub output: OutputFormat,

    /// When to use colour on stderr.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, env = "GW_PROVISION_COLOR")]
    pub color: ColorChoice,

    /// Never prompt; a missing input is a usage error. On automatically when stdin is not a
    /// terminal or CI is set.
    #[arg(
        long,
        visible_alias = "no-input",
        global = true,
        value_parser = EnvBool::new(), action = ArgAction::SetTrue, env = "GW_PROVISION_NON_INTERACTIVE"
    )]
    pub non_interactive: bool,

    /// Run against the built-in sandbox (a local emulator of Keeper's API), started in-process.
    #[arg(
        long,
        global = true,
        value_parser = EnvBool::new(), action = ArgAction::SetTrue, env = "GW_PROVISION_SANDBOX"
    )]
    pub sandbox: bool,

    /// Run against a `gw-provision sandbox serve` described by this descriptor file.
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        env = "GW_PROVISION_SANDBOX_DESCRIPTOR"
    )]
    pub sandbox_descriptor: Option<PathBuf>,

    /// Keeper region (US, EU, AU, CA, JP, GOV) or host name. Not with --sandbox or
    /// --sandbox-descriptor: the sandbox is the server.
    #[arg(long, global = true, value_name = "REGION|HOST", env = "KEEPER_SERVER",
          value_parser = parse_server)]
    pub server: Option<Server>,

    /// Keeper account e-mail.
    #[arg(
        long,
        short = 'u',
        global = true,
        value_name = "EMAIL",
        env = "KEEPER_USER"
    )]
    pub user: Option<String>,

    /// Where gw-provision keeps its device and session (default: the XDG config directory).
    /// CI without a home directory: put the file, base64-encoded, in GW_PROVISION_CONFIG_B64.
    #[arg(long, global = true, value_name = "FILE", env = "GW_PROVISION_CONFIG")]
    pub config: Option<PathBuf>,

    /// Reuse Keeper Commander's config.json (device, session, server) and write the rotated clone
    /// code back into it. Default: KEEPER_CONFIG_FILE or ~/.keeper/config.json when present and
    /// gw-provision has no config of its own.
    #[arg(long, global = true, value_name = "FILE", conflicts_with = "config")]
    pub keeper_config: Option<PathBuf>,

    /// Log an SSO user in with the account's master password instead of the identity provider.
    #[arg(long, global = true, value_parser = EnvBool::new(), action = ArgAction::SetTrue, env = "GW_PROVISION_SSO_MASTER_PASSWORD")]
    pub sso_master_password: bool,

    /// How long a two-factor code keeps this device remembered (asked in a terminal otherwise).
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "DURATION",
        env = "GW_PROVISION_REMEMBER_DEVICE"
    )]
    pub remember_device: Option<RememberDevice>,

    /// More detail on stderr (-v: info, -vv: debug, -vvv: trace). Secrets are never logged.
    #[arg(long, short = 'v', global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Provision a gateway: ensure the shared folder, the application and its Can Edit share,
    /// add the gateway and print its token or install command.
    #[command(after_help = new_after_help())]
    New(NewArgs),
    /// Provision every gateway of a manifest (TOML) with one login: plan, then apply.
    /// Idempotent: gateways that exist are reused.
    Apply(ApplyArgs),
    /// Print what `apply` would do for a manifest (create / reuse / replace / remove); change
    /// nothing.
    Plan(PlanArgs),
    /// Log in and remember this device.
    Login(LoginArgs),
    /// End the session on the server and forget it locally.
    Logout,
    /// Show who is logged in, and where.
    Whoami,
    /// List or remove gateways.
    #[command(subcommand)]
    Gateway(GatewayCommand),
    /// List KSM applications.
    #[command(subcommand)]
    App(AppCommand),
    /// Run or manage the built-in sandbox.
    #[command(subcommand)]
    Sandbox(SandboxCommand),
    /// Print shell completions.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to stdout, or write one page per command into a directory.
    Man {
        /// Write gw-provision.1, gw-provision-new.1, gw-provision-gateway-remove.1, … here
        /// (mode 0644) instead of printing the top page.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

/// Flags of `gw-provision new`.
#[derive(Debug, Args, Clone)]
pub struct NewArgs {
    /// Shared folder name (at the vault root; reused when it exists).
    #[arg(long, value_name = "NAME", env = "GW_PROVISION_FOLDER")]
    pub folder: Option<String>,

    /// KSM application title (reused when it exists).
    #[arg(long, value_name = "NAME", env = "GW_PROVISION_APP")]
    pub app: Option<String>,

    /// Gateway name.
    #[arg(long, value_name = "NAME", env = "GW_PROVISION_GATEWAY")]
    pub gateway: Option<String>,

    /// Where the gateway will run.
    #[arg(long, value_enum, env = "GW_PROVISION_OS")]
    pub os: Option<OsArg>,

    /// The machine already runs a gateway: print the upgrade command, mint no token.
    #[arg(long, value_parser = EnvBool::new(), action = ArgAction::SetTrue, env = "GW_PROVISION_EXISTING")]
    pub existing: bool,

    /// If a gateway with this name exists, remove it and create a new one.
    #[arg(long, value_parser = EnvBool::new(), action = ArgAction::SetTrue, env = "GW_PROVISION_REPLACE")]
    pub replace: bool,

    /// Minutes the one-time access token stays redeemable (1–1440).
    #[arg(long, value_name = "MINUTES", default_value_t = 60, env = "GW_PROVISION_TOKEN_EXPIRY",
          value_parser = clap::value_parser!(u32).range(1..=1440))]
    pub token_expiry: u32,

    /// Write the one-time access token (for docker and kubernetes: the gateway config) to this
    /// file, mode 0600, instead of printing it; the install command shows a placeholder.
    #[arg(long, value_name = "FILE", env = "GW_PROVISION_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,

    /// Print what would be created or reused, and change nothing.
    #[arg(long, value_parser = EnvBool::new(), action = ArgAction::SetTrue, env = "GW_PROVISION_DRY_RUN")]
    pub dry_run: bool,

    /// Do not ask for confirmation: the wizard's plan, and the removal --replace makes
    /// (required for --replace when there is no terminal).
    #[arg(long, short = 'y', value_parser = EnvBool::new(), action = ArgAction::SetTrue, env = "GW_PROVISION_YES")]
    pub yes: bool,

    /// The PAM configuration's settings.
    #[command(flatten)]
    pub pam: PamConfigArgs,
}

/// Flags of the PAM configuration step (`new`), as Commander's `pam config new` takes them.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "PAM configuration")]
pub struct PamConfigArgs {
    /// Also create (or reuse) a PAM configuration with this title for the gateway, in the
    /// shared folder (Commander's `pam config new`). The wizard asks when it is not given.
    #[arg(long, value_name = "TITLE", env = "GW_PROVISION_PAM_CONFIG")]
    pub pam_config: Option<String>,

    /// Do not create a PAM configuration, and do not ask.
    #[arg(long, conflicts_with = "pam_config")]
    pub no_pam_config: bool,

    /// Where the configuration's resources live. Only `local` (a local network, no cloud
    /// credentials) is provisioned; the cloud environments are refused.
    #[arg(long, value_enum, value_name = "ENV", default_value_t = PamEnvironmentArg::Local, env = "GW_PROVISION_PAM_ENVIRONMENT")]
    pub pam_environment: PamEnvironmentArg,

    /// Connections (interactive sessions through the gateway). Default: Keeper's (off).
    #[arg(long, value_enum, value_name = "on|off")]
    pub connections: Option<Switch>,

    /// Tunneling (port forwards). Default: Keeper's (off).
    #[arg(long, value_enum, value_name = "on|off")]
    pub tunneling: Option<Switch>,

    /// Password rotation. Default: Keeper's (on); needs the role's rotation enforcement.
    #[arg(long, value_enum, value_name = "on|off")]
    pub rotation: Option<Switch>,

    /// Session recording of connections. Default: Keeper's (off).
    #[arg(long, value_enum, value_name = "on|off")]
    pub recording: Option<Switch>,
}

impl PamConfigArgs {
    /// Whether any switch was given.
    pub fn any_switch(&self) -> bool {
        self.connections.is_some()
            || self.tunneling.is_some()
            || self.rotation.is_some()
            || self.recording.is_some()
    }
}

/// `--pam-environment`: Commander's `--environment` choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PamEnvironmentArg {
    /// A local network (`pamNetworkConfiguration`).
    Local,
    /// AWS (refused: needs cloud credentials).
    Aws,
    /// Azure (refused: needs cloud credentials).
    Azure,
    /// Google Cloud (refused: needs cloud credentials).
    Gcp,
    /// An Active Directory domain (refused: needs an administrative credential).
    Domain,
    /// Oracle Cloud (refused: needs cloud credentials).
    Oci,
}

/// An on/off switch of the PAM configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    /// On.
    On,
    /// Off.
    Off,
}

/// Flags of `gw-provision apply`.
#[derive(Debug, Args, Clone)]
pub struct ApplyArgs {
    /// The manifest: `[defaults]` and one `[[gateway]]` per gateway (see --schema).
    #[arg(
        long,
        short = 'f',
        value_name = "FILE",
        required_unless_present = "schema"
    )]
    pub file: Option<PathBuf>,

    /// Print the plan, and change nothing.
    #[arg(long, value_parser = EnvBool::new(), action = ArgAction::SetTrue, env = "GW_PROVISION_DRY_RUN")]
    pub dry_run: bool,

    /// Remove the gateways of the manifest's applications that it no longer lists (asks
    /// first in a terminal; --yes without one).
    #[arg(long)]
    pub prune: bool,

    /// Remove these gateways and create them anew, with new tokens (asks first in a terminal;
    /// --yes without one).
    #[arg(long, value_name = "NAME", num_args = 1..)]
    pub replace: Vec<String>,

    /// Confirm the removals --prune and --replace make (required without a terminal).
    #[arg(long, short = 'y', value_parser = EnvBool::new(), action = ArgAction::SetTrue, env = "GW_PROVISION_YES")]
    pub yes: bool,

    /// Write per gateway what its host needs (install script, token, Docker env file,
    /// Kubernetes Secret; mode 0600), plus index.json and kubernetes-secrets.yaml.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,

    /// Print the manifest's JSON Schema and exit.
    #[arg(long, exclusive = true)]
    pub schema: bool,
}

/// Flags of `gw-provision plan`.
#[derive(Debug, Args, Clone)]
pub struct PlanArgs {
    /// The manifest.
    #[arg(long, short = 'f', value_name = "FILE")]
    pub file: PathBuf,

    /// Include the removals `apply --prune` would make.
    #[arg(long)]
    pub prune: bool,

    /// Include the replacements `apply --replace NAME…` would make.
    #[arg(long, value_name = "NAME", num_args = 1..)]
    pub replace: Vec<String>,
}

/// Flags of `gw-provision login`.
#[derive(Debug, Args, Clone)]
pub struct LoginArgs {
    /// Turn on persistent login ("Stay logged in") for the account, so later runs need no
    /// password. Asked in a terminal; without one, only this flag turns it on.
    #[arg(long, value_parser = EnvBool::new(), action = ArgAction::SetTrue, env = "GW_PROVISION_PERSISTENT_LOGIN")]
    pub persistent_login: bool,
}

/// Target platforms for `--os`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OsArg {
    /// Linux (install script).
    Linux,
    /// macOS (install script).
    Macos,
    /// Windows (installer; prints the token).
    Windows,
    /// Docker (base64 gateway config).
    Docker,
    /// Kubernetes (Secret + Helm chart).
    Kubernetes,
}

/// `gw-provision gateway …`
#[derive(Debug, Subcommand)]
pub enum GatewayCommand {
    /// List gateways.
    List,
    /// Remove a gateway by name or UID (asks first in a terminal; --yes otherwise).
    Remove {
        /// Gateway name or controller UID.
        gateway: String,
        /// Remove without asking (required when there is no terminal).
        #[arg(long, short = 'y', value_parser = EnvBool::new(), action = ArgAction::SetTrue, env = "GW_PROVISION_YES")]
        yes: bool,
    },
}

/// `gw-provision app …`
#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// List KSM applications.
    List,
}

/// `--server`: a region code or a host name. A single word that is neither (`europe`) is a
/// mistaken region far more often than an intranet host, so it is refused with the regions
/// listed; a host name has a dot (or is `localhost` or an IP literal).
fn parse_server(text: &str) -> Result<Server, String> {
    const REGIONS: &str = "use a region (US, EU, AU, CA, JP, GOV) or a host name such as \
                           keepersecurity.eu";
    let server: Server = text.parse().map_err(|e| format!("{e}; {REGIONS}"))?;
    if let Server::Host(host) = &server {
        let name = host.split(':').next().unwrap_or_default();
        let ip_v6 = host.starts_with('[');
        if !ip_v6 && !name.contains('.') && name != "localhost" {
            let guess = match name {
                "europe" | "eur" | "eu-central" => " (did you mean EU?)",
                "usa" | "america" | "united-states" => " (did you mean US?)",
                "australia" | "aus" => " (did you mean AU?)",
                "canada" | "can" => " (did you mean CA?)",
                "japan" | "jpn" => " (did you mean JP?)",
                "government" | "govcloud" | "fedramp" => " (did you mean GOV?)",
                _ => "",
            };
            return Err(format!("'{text}' is not a Keeper region{guess}; {REGIONS}"));
        }
    }
    Ok(server)
}

/// `--remember-device`: Keeper's "remember this device" durations for two-factor codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RememberDevice {
    /// Ask for a code at every login.
    Login,
    /// 12 hours.
    #[value(name = "12h")]
    Hours12,
    /// 24 hours.
    #[value(name = "24h")]
    Hours24,
    /// 30 days.
    #[value(name = "30d")]
    Days30,
    /// Until the device is removed.
    Forever,
}

/// `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Human-readable text.
    Text,
    /// One JSON object on stdout.
    Json,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stderr is a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

#[cfg(test)]
#[path = "args_tests.rs"]
mod tests;
