//! The guided `new` wizard: asks only for what the flags did not give, then confirms.

use super::exit::{CliError, ExitStatus};
use crate::provision::inputs::{InputError, Name, TargetOs};
use crate::provision::plan::Observed;
use dialoguer::theme::ColorfulTheme;
use dialoguer::{Confirm, Input, Select};

/// What the flags gave; `None` means "ask".
#[derive(Debug, Clone, Default)]
pub struct Partial {
    /// `--folder`.
    pub folder: Option<Name>,
    /// `--app`.
    pub app: Option<Name>,
    /// `--gateway`.
    pub gateway: Option<Name>,
    /// `--os`.
    pub os: Option<TargetOs>,
    /// `--existing` (asked only when not given and the OS has an upgrade path).
    pub existing: Option<bool>,
    /// `--pam-config TITLE` (`Some(Some)`), `--no-pam-config` (`Some(None)`), or ask (`None`).
    pub pam_config: Option<Option<Name>>,
}

/// The wizard's answers.
#[derive(Debug, Clone)]
pub struct Answers {
    /// Shared folder name.
    pub folder: Name,
    /// Application title.
    pub app: Name,
    /// Gateway name.
    pub gateway: Name,
    /// Target.
    pub os: TargetOs,
    /// Existing gateway.
    pub existing: bool,
    /// The PAM configuration's title, when one is to be made.
    pub pam_config: Option<Name>,
}

const CREATE_FOLDER: &str = "+ Create a new shared folder…";
const CREATE_APP: &str = "+ Create a new KSM application…";

fn prompt_error(error: dialoguer::Error) -> CliError {
    match error {
        dialoguer::Error::IO(e) if e.kind() == std::io::ErrorKind::Interrupted => {
            CliError::interrupted()
        }
        dialoguer::Error::IO(e) => CliError::new(ExitStatus::Usage, format!("cannot prompt: {e}"))
            .hint("pass every input as a flag with --non-interactive"),
    }
}

fn ask_name(what: &'static str, prompt: &str, default: Option<&str>) -> Result<Name, CliError> {
    let theme = ColorfulTheme::default();
    let mut input = Input::<String>::with_theme(&theme)
        .with_prompt(prompt)
        .validate_with(|text: &String| -> Result<(), InputError> {
            Name::parse(what, text).map(|_| ())
        });
    if let Some(default) = default {
        input = input.default(default.to_string());
    }
    let text = input.interact_text().map_err(prompt_error)?;
    Name::parse(what, &text).map_err(|e| CliError::new(ExitStatus::Usage, e.to_string()))
}

fn pick_or_create(
    what: &'static str,
    prompt: &str,
    existing: Vec<String>,
    create_label: &str,
    default_new: &str,
) -> Result<Name, CliError> {
    let theme = ColorfulTheme::default();
    let mut items = existing;
    items.sort();
    items.dedup();
    items.push(create_label.to_string());
    let choice = Select::with_theme(&theme)
        .with_prompt(prompt)
        .items(&items)
        .default(0)
        .interact()
        .map_err(prompt_error)?;
    match items.get(choice) {
        Some(item) if item != create_label => {
            Name::parse(what, item).map_err(|e| CliError::new(ExitStatus::Usage, e.to_string()))
        }
        _ => ask_name(what, &format!("New {what}"), Some(default_new)),
    }
}

/// Runs the wizard over the vault's current contents.
pub fn run(
    partial: Partial,
    observed: &Observed,
    default_gateway: &str,
) -> Result<Answers, CliError> {
    let folder = match partial.folder {
        Some(name) => name,
        None => pick_or_create(
            "shared folder name",
            "Shared folder for the gateway's records",
            observed
                .folders
                .iter()
                .filter(|f| f.at_root)
                .map(|f| f.name.clone())
                .collect(),
            CREATE_FOLDER,
            "Gateway Lab",
        )?,
    };
    let app = match partial.app {
        Some(name) => name,
        None => pick_or_create(
            "application title",
            "KSM application",
            observed
                .applications
                .iter()
                .map(|a| a.title.clone())
                .collect(),
            CREATE_APP,
            "Gateway Lab App",
        )?,
    };
    let gateway = match partial.gateway {
        Some(name) => name,
        None => ask_name("gateway name", "Gateway name", Some(default_gateway))?,
    };
    let os = match partial.os {
        Some(os) => os,
        None => {
            let labels = ["Linux", "macOS", "Windows", "Docker", "Kubernetes (Helm)"];
            let choice = Select::with_theme(&ColorfulTheme::default())
                .with_prompt("Where will the gateway run?")
                .items(&labels)
                .default(0)
                .interact()
                .map_err(prompt_error)?;
            TargetOs::ALL
                .get(choice)
                .copied()
                .unwrap_or(TargetOs::Linux)
        }
    };
    let existing = match partial.existing {
        Some(existing) => existing,
        None if os.needs_config() => false,
        None => {
            let choice = Select::with_theme(&ColorfulTheme::default())
                .with_prompt("New or existing gateway?")
                .items(&[
                    "New gateway (mint a one-time access token)",
                    "Existing gateway (upgrade command, no token)",
                ])
                .default(0)
                .interact()
                .map_err(prompt_error)?;
            choice == 1
        }
    };
    let pam_config = match partial.pam_config {
        Some(answer) => answer,
        None => {
            // A new gateway does nothing until a PAM configuration points at it; an existing
            // one most likely has its configuration already.
            let create =
                confirm_question("Create a PAM configuration for this gateway?", !existing)?;
            if create {
                let default = format!("{gateway} Configuration");
                Some(ask_name(
                    "PAM configuration title",
                    "PAM configuration title",
                    Some(&default),
                )?)
            } else {
                None
            }
        }
    };
    Ok(Answers {
        folder,
        app,
        gateway,
        os,
        existing,
        pam_config,
    })
}

/// Shows the summary and asks to go ahead.
pub fn confirm(summary: &str) -> Result<bool, CliError> {
    eprintln!("\n{summary}");
    Confirm::with_theme(&ColorfulTheme::default())
        .with_prompt("Go ahead?")
        .default(true)
        .interact()
        .map_err(prompt_error)
}

/// Asks before removing something; the default is no, as `gh repo delete` and `kubectl` prompts
/// do. The prompt blocks on the terminal, so it runs off the async threads.
pub async fn confirm_removal(question: String) -> Result<bool, CliError> {
    tokio::task::spawn_blocking(move || confirm_question(&question, false))
        .await
        .map_err(|e| CliError::new(ExitStatus::Internal, format!("prompt: {e}")))?
}

/// A yes/no question with a default.
pub fn confirm_question(question: &str, default: bool) -> Result<bool, CliError> {
    Confirm::with_theme(&ColorfulTheme::default())
        .with_prompt(question)
        .default(default)
        .interact()
        .map_err(prompt_error)
}
