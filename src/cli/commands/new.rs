//! `gw-provision new`: the whole flow, from flags or the wizard.

use crate::cli::args::{
    GlobalArgs, NewArgs, OsArg, OutputFormat, PamConfigArgs, PamEnvironmentArg, Switch,
};
use crate::cli::commands::lists::removal_needs_yes;
use crate::cli::connect;
use crate::cli::exit::{CliError, ExitStatus};
use crate::cli::kept_tokens::FileTokenKeeper;
use crate::cli::layout::{self, summary_rows, SummaryRow};
use crate::cli::progress::{ProgressMode, StepProgress};
use crate::cli::wizard::{self, Partial};
use crate::cli::Ui;
use crate::cli::{json_doc, output};
use crate::keeper::auth::policy::{AccountPolicy, ALLOW_ROTATE_CREDENTIALS};
use crate::keeper::pam::Environment;
use crate::keeper::router::AllowedSettings;
use crate::provision::pam_config::PamConfigInputs;
use crate::provision::plan::{require_gateway_management, GatewayStep, ObservedGateway};
use crate::provision::PlanError;
use crate::provision::TokenKeeper;
use crate::provision::{self, KeepNothing, Name, Progress, ProvisionInputs, StepKind, TargetOs};
use std::path::Path;
use std::sync::Arc;

mod token_file;

/// Demo defaults for `--sandbox`, the newcomer's first run.
const DEMO_FOLDER: &str = "Gateway Lab";
const DEMO_APP: &str = "Gateway Lab App";

/// Runs `new`.
pub async fn run(global: &GlobalArgs, ui: Ui, args: NewArgs) -> Result<(), CliError> {
    let mut partial = Partial {
        folder: parse_name("--folder", "shared folder name", args.folder.as_deref())?,
        app: parse_name("--app", "application title", args.app.as_deref())?,
        gateway: parse_name("--gateway", "gateway name", args.gateway.as_deref())?,
        os: args.os.map(target_os),
        existing: args.existing.then_some(true),
        pam_config: if args.pam.no_pam_config {
            Some(None)
        } else {
            parse_name(
                "--pam-config",
                "PAM configuration title",
                args.pam.pam_config.as_deref(),
            )?
            .map(Some)
        },
    };
    let environment = pam_environment(args.pam.pam_environment)?;
    if !ui.interactive {
        fill_non_interactive(&mut partial, global.sandbox)?;
    }
    if let Some(path) = &args.token_file {
        check_token_file(path)?;
    }

    let connection = connect::connect(global, ui).await?;
    let session = &connection.session;
    let progress = Arc::new(StepProgress::new(progress_mode(ui)));
    session
        .transport()
        .set_retry_hook(Some(progress.retry_hook()));

    progress.started(StepKind::Observe);
    let mut observation = provision::sync(session)
        .await
        .inspect_err(|_| progress.abandon())?;
    progress.abandon();
    // Say up front, before any question, what the account's role will not allow.
    if partial.existing != Some(true) {
        require_gateway_management(&observation.observed().policy, true)?;
    }
    let rotation_wanted = args.pam.pam_config.is_some() && args.pam.rotation != Some(Switch::Off);
    if rotation_wanted && !observation.observed().policy.allows_rotation() {
        // Refused before any question: the configuration asked for needs rotation.
        return Err(PlanError::NotAllowed {
            what: "A PAM configuration with rotation on",
            enforcement: ALLOW_ROTATE_CREDENTIALS,
        }
        .into());
    }
    if ui.output == OutputFormat::Text {
        for warning in provision::plan::policy_warnings(&observation.observed().policy) {
            eprintln!("{} {warning}", console::style("warning:").yellow().bold());
        }
    }

    let asked = partial.folder.is_none()
        || partial.app.is_none()
        || partial.gateway.is_none()
        || partial.os.is_none();
    if !asked {
        partial.existing.get_or_insert(false);
        // Only the wizard asks about a PAM configuration; flags alone make one only when named.
        partial.pam_config.get_or_insert(None);
    }
    // The wizard lists an application's gateways and checks a new name against them.
    let known = if ui.interactive && asked {
        known_gateways(session, observation.observed()).await
    } else {
        Vec::new()
    };
    // Prompts block on the terminal: run them off the async threads so Ctrl-C is still seen.
    let observed = observation.observed().clone();
    let answers = tokio::task::spawn_blocking(move || {
        wizard::run(partial, &observed, &known, &fresh_gateway_name())
    })
    .await
    .map_err(|e| CliError::new(ExitStatus::Internal, format!("wizard: {e}")))??;
    let replace_chosen = answers.replace;
    let inputs = ProvisionInputs {
        shared_folder: answers.folder,
        application: answers.app,
        gateway: answers.gateway,
        os: answers.os,
        existing: answers.existing,
        replace: args.replace || answers.replace,
        token_expiry_minutes: args.token_expiry,
        pam_config: pam_inputs(answers.pam_config, environment, &args.pam)?,
    };
    if let Some(wanted) = &inputs.pam_config {
        check_pam_rotation(wanted, &observation.observed().policy)?;
    }

    let keeper: Box<dyn TokenKeeper> = match FileTokenKeeper::for_account(
        session.server().host(),
        session.username(),
    ) {
        Some(keeper) => Box::new(keeper),
        None => {
            tracing::warn!(
                    "no config directory: the new gateway's token is not kept, so a lost reply cannot be finished by a re-run"
                );
            Box::new(KeepNothing)
        }
    };
    progress.started(StepKind::Observe);
    provision::inspect(session, &mut observation, &inputs, keeper.as_ref())
        .await
        .inspect_err(|_| progress.abandon())?;
    progress.abandon();
    let plan = provision::execute::plan(&observation, &inputs)?;

    if args.dry_run {
        let outcome = provision::dry_run(&plan);
        return print_outcome(ui, &outcome, connection.server_json(), true, None);
    }
    if let GatewayStep::Replace(old) = &plan.gateway {
        // The wizard's "replace it" was asked with the gateway's state: that was the question.
        if !args.yes && !replace_chosen {
            confirm_replace(ui, old, plan.inputs.application.as_str()).await?;
        }
    }
    if ui.interactive && asked && !args.yes {
        let summary = describe_plan(
            &plan,
            &account_line(&connection),
            layout::stderr_width(ui.stderr_tty),
        );
        let confirmed = tokio::task::spawn_blocking(move || wizard::confirm(&summary))
            .await
            .map_err(|e| CliError::new(ExitStatus::Internal, format!("wizard: {e}")))??;
        if !confirmed {
            return Err(CliError::new(
                ExitStatus::Ok,
                "cancelled; nothing was changed",
            ));
        }
    }
    let mut outcome = provision::execute(
        session,
        &mut observation,
        &plan,
        &connection.redeem,
        keeper.as_ref(),
        progress.as_ref(),
    )
    .await
    .inspect_err(|_| progress.abandon())?;
    if ui.output == OutputFormat::Text {
        for note in &outcome.notes {
            eprintln!("{} {note}", console::style("note:").cyan().bold());
        }
    }
    let token_file = match &args.token_file {
        Some(path) => token_file::write(path, &mut outcome)?,
        None => None,
    };
    print_outcome(
        ui,
        &outcome,
        connection.server_json(),
        false,
        token_file.as_deref(),
    )?;
    // Shown (or written): the kept token has done its job.
    if let Some(app) = outcome.application.uid {
        keeper.forget(&app, plan.inputs.gateway.as_str());
    }
    Ok(())
}

/// `--replace` removes a gateway: ask first in a terminal; without one, `--yes` is required.
async fn confirm_replace(ui: Ui, old: &ObservedGateway, app: &str) -> Result<(), CliError> {
    let what = format!("replacing gateway '{}'", old.name);
    if !ui.interactive {
        return Err(removal_needs_yes(&what));
    }
    let question = format!(
        "Replace gateway '{}' of application '{}'? The old one is removed{}",
        old.name,
        app,
        if old.initialized {
            ", and the host running it (initialized) stops working"
        } else {
            " (never initialized)"
        }
    );
    if wizard::confirm_removal(question).await? {
        Ok(())
    } else {
        Err(CliError::new(ExitStatus::Ok, "nothing was changed"))
    }
}

/// Validates a name given as `flag`; the message starts with the flag, so the user knows which.
fn parse_name(flag: &str, what: &'static str, raw: Option<&str>) -> Result<Option<Name>, CliError> {
    raw.map(|raw| Name::parse(what, raw))
        .transpose()
        .map_err(|e| CliError::new(ExitStatus::Usage, format!("{flag}: {e}")))
}

fn target_os(os: OsArg) -> TargetOs {
    match os {
        OsArg::Linux => TargetOs::Linux,
        OsArg::Macos => TargetOs::Macos,
        OsArg::Windows => TargetOs::Windows,
        OsArg::Docker => TargetOs::Docker,
        OsArg::Kubernetes => TargetOs::Kubernetes,
    }
}

/// `--pam-environment`: only a local network is provisioned; a cloud environment needs
/// credentials gw-provision does not take, so it is refused before anything is asked or sent.
fn pam_environment(arg: PamEnvironmentArg) -> Result<Environment, CliError> {
    let environment = match arg {
        PamEnvironmentArg::Local => return Ok(Environment::Local),
        PamEnvironmentArg::Aws => Environment::Aws,
        PamEnvironmentArg::Azure => Environment::Azure,
        PamEnvironmentArg::Gcp => Environment::Gcp,
        PamEnvironmentArg::Domain => Environment::Domain,
        PamEnvironmentArg::Oci => Environment::Oci,
    };
    Err(CliError::new(
        ExitStatus::Usage,
        format!(
            "--pam-environment {environment}: gw-provision creates local-network PAM configurations only; a {environment} configuration needs credentials it does not take"
        ),
    )
    .hint(format!(
        "use --pam-environment local, or create it with Commander: pam config new --environment {environment} …"
    )))
}

/// The PAM configuration inputs from the answered title and the switches.
fn pam_inputs(
    title: Option<Name>,
    environment: Environment,
    args: &PamConfigArgs,
) -> Result<Option<PamConfigInputs>, CliError> {
    let on = |switch: Option<Switch>| switch.map(|s| s == Switch::On);
    let Some(title) = title else {
        if args.any_switch() {
            return Err(CliError::new(
                ExitStatus::Usage,
                "--connections, --tunneling, --rotation and --recording set a PAM configuration's switches; they need --pam-config TITLE",
            ));
        }
        return Ok(None);
    };
    Ok(Some(PamConfigInputs {
        title,
        environment,
        settings: AllowedSettings {
            connections: on(args.connections),
            tunneling: on(args.tunneling),
            rotation: on(args.rotation),
            recording: on(args.recording),
        },
    }))
}

/// A configuration with rotation on needs the rotation enforcement: refused before the plan.
fn check_pam_rotation(wanted: &PamConfigInputs, policy: &AccountPolicy) -> Result<(), CliError> {
    if wanted.settings.rotation_on() && !policy.allows_rotation() {
        return Err(PlanError::NotAllowed {
            what: "A PAM configuration with rotation on",
            enforcement: ALLOW_ROTATE_CREDENTIALS,
        }
        .into());
    }
    Ok(())
}

/// Non-interactive runs never prompt: a missing input is a usage error naming its flag, except
/// under `--sandbox`, where the demo defaults let a newcomer's first command just work.
fn fill_non_interactive(partial: &mut Partial, sandbox: bool) -> Result<(), CliError> {
    let demo = |text: &str, what: &'static str| Name::parse(what, text).ok();
    if partial.folder.is_none() {
        partial.folder = sandbox
            .then(|| demo(DEMO_FOLDER, "shared folder name"))
            .flatten();
    }
    if partial.app.is_none() {
        partial.app = sandbox
            .then(|| demo(DEMO_APP, "application title"))
            .flatten();
    }
    if partial.gateway.is_none() && sandbox {
        partial.gateway = demo(&fresh_gateway_name(), "gateway name");
    }
    if partial.os.is_none() && sandbox {
        partial.os = Some(TargetOs::Linux);
    }
    let missing = [
        (
            partial.folder.is_none(),
            "--folder",
            "the shared folder name",
        ),
        (partial.app.is_none(), "--app", "the application title"),
        (partial.gateway.is_none(), "--gateway", "the gateway name"),
        (partial.os.is_none(), "--os", "the gateway's OS"),
    ];
    if let Some((_, flag, what)) = missing.into_iter().find(|(m, _, _)| *m) {
        return Err(CliError::missing(flag, what));
    }
    partial.existing.get_or_insert(false);
    partial.pam_config.get_or_insert(None);
    Ok(())
}

/// A gateway name that is new on every run, so the sandbox demo can be re-run as is.
fn fresh_gateway_name() -> String {
    let suffix = crate::keeper::crypto::random_bytes(3);
    format!(
        "gateway-{}",
        suffix
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    )
}

fn progress_mode(ui: Ui) -> ProgressMode {
    match (ui.output, ui.stderr_tty) {
        (OutputFormat::Json, _) => ProgressMode::Quiet,
        (OutputFormat::Text, true) => ProgressMode::Spinner,
        (OutputFormat::Text, false) => ProgressMode::Lines,
    }
}

/// "admin@example.com on keepersecurity.com (US)": whose vault the plan changes, and where.
fn account_line(connection: &connect::Connection) -> String {
    let server = connection.session.server();
    let place = match (server.region(), connection.sandbox) {
        (_, true) => "sandbox".to_owned(),
        (Some(region), false) => region.code().to_owned(),
        (None, false) => "custom server".to_owned(),
    };
    format!(
        "{} on {} ({place})",
        connection.session.username(),
        server.host()
    )
}

/// The account's gateways by application title, for the wizard. Only a person is waiting
/// for it (one `pam/get_controllers`); a failure just leaves the lists empty, and the plan
/// still checks the name.
async fn known_gateways(
    session: &crate::keeper::auth::Session,
    observed: &provision::plan::Observed,
) -> Vec<wizard::KnownGateway> {
    let gateways = match crate::keeper::pam::get_controllers(session).await {
        Ok(gateways) => gateways,
        Err(e) => {
            tracing::info!("cannot list the gateways for the wizard: {e}");
            return Vec::new();
        }
    };
    gateways
        .into_iter()
        .filter(crate::keeper::pam::Gateway::is_gateway_type)
        .filter_map(|g| {
            let app = observed
                .applications
                .iter()
                .find(|a| a.uid == g.application_uid)?;
            Some(wizard::KnownGateway {
                app: app.title.clone(),
                name: g.name,
                initialized: g.is_initialized,
                created_ms: g.created,
            })
        })
        .collect()
}

/// The plan shown before "Go ahead?", fitted to the terminal (`width`) it is shown on.
fn describe_plan(plan: &provision::Plan, account: &str, width: Option<usize>) -> String {
    let inputs = &plan.inputs;
    let row = |label, name: String, action: provision::Action| SummaryRow {
        label,
        name,
        action: action.hypothetical().as_str().to_owned(),
        uid: None,
    };
    let mut rows = vec![
        row(
            "Shared folder",
            inputs.shared_folder.to_string(),
            plan.shared_folder.action(),
        ),
        row(
            "Application",
            inputs.application.to_string(),
            plan.application.action(),
        ),
        row("Share", "Can Edit".to_string(), plan.share),
        row(
            "Gateway",
            format!("{} ({})", inputs.gateway, inputs.os),
            plan.gateway.action(),
        ),
    ];
    if let (Some(wanted), Some(step)) = (&inputs.pam_config, &plan.pam_config) {
        rows.push(row(
            "PAM config",
            format!("{} ({})", wanted.title, wanted.environment),
            step.action(),
        ));
    }
    format!("Plan for {account}:\n{}", summary_rows(&rows, width))
}

fn print_outcome(
    ui: Ui,
    outcome: &provision::Outcome,
    server: serde_json::Value,
    dry_run: bool,
    token_file: Option<&Path>,
) -> Result<(), CliError> {
    match ui.output {
        OutputFormat::Json => {
            json_doc::print(output::outcome_json(outcome, server, dry_run, token_file));
        }
        OutputFormat::Text => {
            let text = output::outcome_text(
                outcome,
                dry_run,
                layout::stdout_width(ui.stdout_tty),
                token_file,
                sandbox_host(&server).as_deref(),
            );
            print!("{text}");
        }
    }
    Ok(())
}

/// The host of a sandbox server object (`{"sandbox": true, "host"}`), for the token's note.
fn sandbox_host(server: &serde_json::Value) -> Option<String> {
    (server["sandbox"] == true)
        .then(|| server["host"].as_str().map(str::to_owned))
        .flatten()
}

/// `--token-file` must name a file in an existing directory: checked before anything is
/// created, so a typo costs no gateway.
fn check_token_file(path: &Path) -> Result<(), CliError> {
    let dir = token_file::directory(path);
    if path.is_dir() || !dir.is_dir() {
        return Err(CliError::new(
            ExitStatus::Usage,
            format!(
                "--token-file: {} is not a file in an existing directory",
                path.display()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_interactive_without_folder_names_the_flag() {
        let mut partial = Partial::default();
        let err = fill_non_interactive(&mut partial, false).unwrap_err();
        assert_eq!(err.status, ExitStatus::Usage);
        assert!(err.hint.unwrap().contains("--folder"));
    }

    #[test]
    fn sandbox_fills_demo_defaults() {
        let mut partial = Partial::default();
        fill_non_interactive(&mut partial, true).unwrap();
        assert_eq!(partial.folder.unwrap().as_str(), DEMO_FOLDER);
        assert_eq!(partial.app.unwrap().as_str(), DEMO_APP);
        assert_eq!(partial.os, Some(TargetOs::Linux));
        assert!(partial.gateway.unwrap().as_str().starts_with("gateway-"));
    }

    #[test]
    fn fresh_gateway_names_differ() {
        assert_ne!(fresh_gateway_name(), fresh_gateway_name());
    }
}
