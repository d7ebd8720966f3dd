//! The guided `new` wizard: asks only for what the flags did not give, then confirms.
//! Esc goes back one question (on the first, it leaves: nothing changed, exit 0).

use super::exit::{CliError, ExitStatus};
use super::prompt::{self, Typed};
use crate::provision::inputs::{InputError, Name, TargetOs};
use crate::provision::plan::Observed;

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
    /// The person chose to replace the gateway of that name (the wizard asked: that question
    /// is the removal's confirmation).
    pub replace: bool,
    /// The PAM configuration's title, when one is to be made.
    pub pam_config: Option<Name>,
}

/// A gateway the account already has, for the wizard's "existing" list and name check.
#[derive(Debug, Clone)]
pub struct KnownGateway {
    /// The application's title.
    pub app: String,
    /// The gateway's name.
    pub name: String,
    /// Whether it has redeemed its token.
    pub initialized: bool,
    /// When it was added (ms since the epoch; 0 = unknown).
    pub created_ms: i64,
}

impl KnownGateway {
    /// "initialized, created 3 days ago".
    fn describe(&self, now_ms: i64) -> String {
        let state = if self.initialized {
            "initialized"
        } else {
            "never initialized"
        };
        match self.created_ms {
            0 => state.to_owned(),
            ms => format!("{state}, created {}", ago(now_ms.saturating_sub(ms))),
        }
    }
}

/// "just now", "5 minutes ago", "3 hours ago", "3 days ago".
fn ago(ms: i64) -> String {
    let minutes = ms / 60_000;
    let (n, unit) = match minutes {
        m if m < 1 => return "just now".to_owned(),
        m if m < 60 => (m, "minute"),
        m if m < 60 * 24 => (m / 60, "hour"),
        m => (m / (60 * 24), "day"),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

const CREATE_FOLDER: &str = "+ Create a new shared folder…";
const CREATE_APP: &str = "+ Create a new KSM application…";

fn io_error(e: std::io::Error) -> CliError {
    if e.kind() == std::io::ErrorKind::Interrupted {
        return CliError::interrupted();
    }
    CliError::new(ExitStatus::Usage, format!("cannot prompt: {e}"))
        .hint("pass every input as a flag with --non-interactive")
}

/// Esc on the first question: the person left the wizard; nothing was changed (exit 0).
fn left() -> CliError {
    CliError::new(ExitStatus::Ok, "cancelled; nothing was changed")
}

/// A name typed at the prompt; `None` when Esc was pressed.
fn ask_name(
    what: &'static str,
    prompt: &str,
    default: Option<&str>,
) -> Result<Option<Name>, CliError> {
    let typed = prompt::text(prompt, default, true, |text| {
        Name::parse(what, text)
            .map(|_| ())
            .map_err(|e: InputError| e.to_string())
    })
    .map_err(io_error)?;
    match typed {
        Typed::Back => Ok(None),
        Typed::Text(text) => Name::parse(what, &text)
            .map(Some)
            .map_err(|e| CliError::new(ExitStatus::Usage, e.to_string())),
    }
}

/// One choice from `items`; `None` when Esc (or `q`) was pressed.
fn select(prompt: &str, items: &[String], default: usize) -> Result<Option<usize>, CliError> {
    prompt::select(prompt, items, default, true).map_err(io_error)
}

/// The order a person expects of names: case aside, and numbers by value (`edge-2` before
/// `edge-10`, where plain string order puts `edge-10` first).
fn natural_order(a: &str, b: &str) -> std::cmp::Ordering {
    fn runs(text: &str) -> Vec<(bool, String)> {
        let mut runs: Vec<(bool, String)> = Vec::new();
        for c in text.chars().flat_map(char::to_lowercase) {
            let digit = c.is_ascii_digit();
            match runs.last_mut() {
                Some((was_digit, run)) if *was_digit == digit => run.push(c),
                _ => runs.push((digit, c.to_string())),
            }
        }
        runs
    }
    let key = |(digit, run): &(bool, String)| {
        // Numbers compare by value: fewer digits (leading zeros aside) is smaller.
        let trimmed = if *digit {
            run.trim_start_matches('0')
        } else {
            run
        };
        (
            !*digit,
            if *digit { trimmed.len() } else { 0 },
            trimmed.to_owned(),
        )
    };
    let (a_runs, b_runs) = (runs(a), runs(b));
    a_runs
        .iter()
        .map(key)
        .cmp(b_runs.iter().map(key))
        .then_with(|| a.cmp(b))
}

/// `base`, or `base 2`, `base 3`… : the first that no existing item is named, so "+ Create
/// a new…" never offers a name that would be reused instead of created.
fn unused_name(base: &str, taken: &[String]) -> String {
    let free = |name: &str| !taken.iter().any(|t| t.eq_ignore_ascii_case(name));
    (1..)
        .map(|n| match n {
            1 => base.to_owned(),
            n => format!("{base} {n}"),
        })
        .find(|name| free(name))
        .unwrap_or_else(|| base.to_owned())
}

/// Picks an existing item or creates one (asking its name). `None` when Esc left the list.
fn pick_or_create(
    what: &'static str,
    prompt: &str,
    existing: Vec<String>,
    create_label: &str,
    default_new: &str,
) -> Result<Option<Name>, CliError> {
    let mut items = existing;
    items.sort_by(|a, b| natural_order(a, b));
    items.dedup();
    let default_new = unused_name(default_new, &items);
    items.push(create_label.to_string());
    let mark = prompt::answers_shown();
    loop {
        let Some(choice) = select(prompt, &items, 0)? else {
            return Ok(None);
        };
        match items.get(choice) {
            Some(item) if item != create_label => {
                return Name::parse(what, item)
                    .map(Some)
                    .map_err(|e| CliError::new(ExitStatus::Usage, e.to_string()))
            }
            // Esc at the name goes back to the list.
            _ => {
                if let Some(name) = ask_name(what, &format!("New {what}"), Some(&default_new))? {
                    return Ok(Some(name));
                }
                prompt::take_back_answers(mark).map_err(io_error)?;
            }
        }
    }
}

/// The questions, in the order they are asked; Esc goes back to the previous one asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Folder,
    App,
    NewOrExisting,
    Gateway,
    Os,
    PamConfig,
}

/// Runs the wizard over the vault's current contents and the account's gateways (`known`).
///
/// The order is what a person decides first: where (folder, application), then a new gateway
/// or one that exists (picked from the application's gateways), then its name, then the OS.
/// A new name that is taken is asked about at once (replace it, or choose another) instead of
/// ending the run at the plan. Esc (or `q` in a list) goes back one question.
pub fn run(
    partial: Partial,
    observed: &Observed,
    known: &[KnownGateway],
    default_gateway: &str,
) -> Result<Answers, CliError> {
    let now_ms = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
    let mut folder = partial.folder.clone();
    let mut app = partial.app.clone();
    let mut gateway = partial.gateway.clone();
    let mut os = partial.os;
    let mut existing = partial.existing;
    let mut replace = false;
    let mut pam_config = partial.pam_config.clone().flatten();
    // The questions asked, each with the answers on screen before it (to erase back to).
    let mut asked: Vec<(Step, usize)> = Vec::new();
    let mut step = Some(Step::Folder);
    while let Some(current) = step {
        let mark = prompt::answers_shown();
        // Whether this step put a question to the person: Esc goes back to those only.
        let mut prompted = true;
        let answered = match current {
            Step::Folder if partial.folder.is_some() => {
                prompted = false;
                true
            }
            Step::Folder => {
                folder = pick_or_create(
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
                )?;
                folder.is_some()
            }
            Step::App if partial.app.is_some() => {
                prompted = false;
                true
            }
            Step::App => {
                app = pick_or_create(
                    "application title",
                    "KSM application",
                    observed
                        .applications
                        .iter()
                        .map(|a| a.title.clone())
                        .collect(),
                    CREATE_APP,
                    "Gateway Lab App",
                )?;
                app.is_some()
            }
            Step::NewOrExisting => {
                let in_app = app_gateways(known, app.as_ref());
                let possible = !in_app.is_empty() && !os.is_some_and(TargetOs::needs_config);
                if partial.existing.is_some() || !possible {
                    existing = partial.existing.or(Some(false));
                    prompted = false;
                    true
                } else {
                    let items = [
                        "New gateway (mint a one-time access token)".to_owned(),
                        "Existing gateway (upgrade command, no token)".to_owned(),
                    ];
                    let choice = select("New or existing gateway?", &items, 0)?;
                    existing = choice.map(|c| c == 1);
                    choice.is_some()
                }
            }
            Step::Gateway => {
                let in_app = app_gateways(known, app.as_ref());
                let picked =
                    if existing == Some(true) && partial.gateway.is_none() && !in_app.is_empty() {
                        pick_gateway(&in_app, now_ms)?
                    } else {
                        new_gateway_name(partial.gateway.clone(), &in_app, default_gateway, now_ms)?
                    };
                match picked {
                    Some((name, replaces)) => {
                        // A --gateway name that is free was not asked about.
                        prompted = replaces
                            || partial.gateway.as_ref().map(Name::as_str) != Some(name.as_str());
                        gateway = Some(name);
                        replace = replaces;
                        true
                    }
                    None => false,
                }
            }
            Step::Os if partial.os.is_some() => {
                prompted = false;
                true
            }
            Step::Os => {
                // An existing gateway is upgraded in place: only the hosts with an upgrade path.
                let choices: Vec<TargetOs> = TargetOs::ALL
                    .into_iter()
                    .filter(|o| existing != Some(true) || !o.needs_config())
                    .collect();
                let labels: Vec<String> = choices.iter().map(|o| os_label(*o).to_owned()).collect();
                let choice = select("Where will the gateway run?", &labels, 0)?;
                os = choice.and_then(|c| choices.get(c).copied());
                os.is_some()
            }
            Step::PamConfig if partial.pam_config.is_some() => {
                prompted = false;
                true
            }
            Step::PamConfig => {
                // A new gateway does nothing until a PAM configuration points at it; an existing
                // one most likely has its configuration already.
                let create = prompt::confirm(
                    "Create a PAM configuration for this gateway?",
                    Some(existing != Some(true)),
                    true,
                )
                .map_err(io_error)?;
                match create {
                    None => false,
                    Some(false) => {
                        pam_config = None;
                        true
                    }
                    Some(true) => {
                        let default = format!(
                            "{} Configuration",
                            gateway.as_ref().map(Name::as_str).unwrap_or("Gateway")
                        );
                        pam_config = ask_name(
                            "PAM configuration title",
                            "PAM configuration title",
                            Some(&default),
                        )?;
                        pam_config.is_some()
                    }
                }
            }
        };
        step = if answered {
            if prompted {
                asked.push((current, mark));
            }
            next(current)
        } else {
            // Back to the previous question that was asked, erasing its answer; before the
            // first, leave.
            match asked.pop() {
                Some((previous, mark)) => {
                    prompt::take_back_answers(mark).map_err(io_error)?;
                    Some(previous)
                }
                None => return Err(left()),
            }
        };
    }
    match (folder, app, gateway, os) {
        (Some(folder), Some(app), Some(gateway), Some(os)) => Ok(Answers {
            folder,
            app,
            gateway,
            os,
            existing: existing.unwrap_or(false),
            replace,
            pam_config,
        }),
        _ => Err(CliError::new(
            ExitStatus::Internal,
            "the wizard ended without every answer",
        )),
    }
}

fn next(step: Step) -> Option<Step> {
    match step {
        Step::Folder => Some(Step::App),
        Step::App => Some(Step::NewOrExisting),
        Step::NewOrExisting => Some(Step::Gateway),
        Step::Gateway => Some(Step::Os),
        Step::Os => Some(Step::PamConfig),
        Step::PamConfig => None,
    }
}

fn os_label(os: TargetOs) -> &'static str {
    match os {
        TargetOs::Linux => "Linux",
        TargetOs::Macos => "macOS",
        TargetOs::Windows => "Windows",
        TargetOs::Docker => "Docker",
        TargetOs::Kubernetes => "Kubernetes (Helm)",
    }
}

/// The gateways of the application `app` (none for a new application).
fn app_gateways<'a>(known: &'a [KnownGateway], app: Option<&Name>) -> Vec<&'a KnownGateway> {
    let Some(app) = app else {
        return Vec::new();
    };
    let mut gateways: Vec<&KnownGateway> = known.iter().filter(|g| g.app == app.as_str()).collect();
    gateways.sort_by(|a, b| natural_order(&a.name, &b.name));
    gateways
}

/// The existing gateway to upgrade, picked from the application's list.
fn pick_gateway(in_app: &[&KnownGateway], now_ms: i64) -> Result<Option<(Name, bool)>, CliError> {
    let items: Vec<String> = in_app
        .iter()
        .map(|g| format!("{} ({})", g.name, g.describe(now_ms)))
        .collect();
    let Some(choice) = select("Which gateway?", &items, 0)? else {
        return Ok(None);
    };
    let Some(gateway) = in_app.get(choice) else {
        return Ok(None);
    };
    Name::parse("gateway name", &gateway.name)
        .map(|name| Some((name, false)))
        .map_err(|e| CliError::new(ExitStatus::Usage, e.to_string()))
}

/// A new gateway's name (typed, or `given` by --gateway); a taken one is asked about: replace
/// it, or choose another name. The `bool` says "replace".
fn new_gateway_name(
    given: Option<Name>,
    in_app: &[&KnownGateway],
    default_gateway: &str,
    now_ms: i64,
) -> Result<Option<(Name, bool)>, CliError> {
    let mut typed = given;
    loop {
        let name = match typed.take() {
            Some(name) => name,
            None => match ask_name("gateway name", "Gateway name", Some(default_gateway))? {
                Some(name) => name,
                None => return Ok(None),
            },
        };
        let lower = name.as_str().to_lowercase();
        let Some(taken) = in_app.iter().find(|g| g.name.to_lowercase() == lower) else {
            return Ok(Some((name, false)));
        };
        let question = format!(
            "{} exists ({}): replace it, or choose another name",
            taken.name,
            taken.describe(now_ms)
        );
        let items = [
            "Choose another name".to_owned(),
            format!("Replace {} (remove it and mint a new token)", taken.name),
        ];
        // Another name, or Esc: the name is asked again.
        if select(&question, &items, 0)? == Some(1) {
            return Ok(Some((name, true)));
        }
    }
}

/// Shows the summary and asks to go ahead.
pub fn confirm(summary: &str) -> Result<bool, CliError> {
    eprintln!();
    prompt::say(summary);
    confirm_question("Go ahead?", true)
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
    prompt::confirm(question, Some(default), false)
        .map(|answer| answer.unwrap_or(default))
        .map_err(io_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_listed_with_their_numbers_in_order() {
        let mut names = vec![
            "edge-10", "Edge-2", "edge-1", "alpha", "edge-02b", "edge-2a",
        ];
        names.sort_by(|a, b| natural_order(a, b));
        assert_eq!(
            names,
            ["alpha", "edge-1", "Edge-2", "edge-2a", "edge-02b", "edge-10"]
        );
    }
}
