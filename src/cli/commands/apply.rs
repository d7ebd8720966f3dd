//! `gw-provision apply -f FILE` and `gw-provision plan -f FILE`: a fleet of gateways from a
//! manifest, with one login and one vault sync.

use std::path::Path;

use crate::cli::args::{ApplyArgs, GlobalArgs, OutputFormat, PlanArgs};
use crate::cli::commands::lists::removal_needs_yes;
use crate::cli::connect;
use crate::cli::exit::{CliError, ExitStatus};
use crate::cli::kept_tokens::FileTokenKeeper;
use crate::cli::progress::{ProgressMode, StepProgress};
use crate::cli::wizard;
use crate::cli::Ui;
use crate::cli::{fleet_output, json_doc, layout};
use crate::keeper::uid::Uid;
use crate::provision::fleet::{self, FleetPlan};
use crate::provision::manifest;
use crate::provision::plan::GatewayStep;
use crate::provision::Progress;
use crate::provision::{KeepNothing, ProvisionInputs, StepKind, TokenKeeper};

impl From<PlanArgs> for ApplyArgs {
    fn from(args: PlanArgs) -> ApplyArgs {
        ApplyArgs {
            file: Some(args.file),
            dry_run: true,
            prune: args.prune,
            replace: args.replace,
            yes: false,
            out_dir: None,
            schema: false,
        }
    }
}

/// Runs `apply` (and `plan`, which is `apply --dry-run`).
pub async fn run(global: &GlobalArgs, ui: Ui, args: ApplyArgs) -> Result<(), CliError> {
    if args.schema {
        println!(
            "{}",
            serde_json::to_string_pretty(&manifest::json_schema()).unwrap_or_default()
        );
        return Ok(());
    }
    let Some(file) = args.file.as_deref() else {
        return Err(CliError::missing("--file", "the manifest"));
    };
    let desired = read_manifest(file, &args.replace)?;
    let removes = args.prune || !args.replace.is_empty();
    if removes && !args.dry_run && !args.yes && !ui.interactive {
        // As `gateway remove`: nothing is removed without a confirmation, checked before any request.
        let what = if args.prune { "--prune" } else { "--replace" };
        return Err(removal_needs_yes(&format!("the removals of {what}")));
    }

    let connection = connect::connect(global, ui).await?;
    let session = &connection.session;
    let progress = std::sync::Arc::new(StepProgress::new(progress_mode(ui)));
    session
        .transport()
        .set_retry_hook(Some(progress.retry_hook()));
    let keeper: Box<dyn TokenKeeper> = match FileTokenKeeper::for_account(
        session.server().host(),
        session.username(),
    ) {
        Some(keeper) => Box::new(keeper),
        None => {
            tracing::warn!(
                    "no config directory: new gateways' tokens are not kept, so a lost reply cannot be finished by a re-run"
                );
            Box::new(KeepNothing)
        }
    };

    progress.started(StepKind::Observe);
    let mut observed = fleet::observe(session, &desired, keeper.as_ref())
        .await
        .inspect_err(|_| progress.abandon())?;
    progress.abandon();
    let plan = fleet::make_fleet_plan(&desired, &observed, args.prune)?;
    if ui.output == OutputFormat::Text {
        for warning in &plan.warnings {
            eprintln!("{} {warning}", console::style("warning:").yellow().bold());
        }
    }

    if args.dry_run {
        let outcome = fleet::dry_run(&plan);
        print(ui, &outcome, connection.server_json(), true);
        return Ok(());
    }
    if !args.yes {
        confirm_removals(ui, &plan).await?;
    }
    let outcome = fleet::execute(
        session,
        &mut observed,
        &plan,
        &connection.redeem,
        keeper.as_ref(),
        progress.as_ref(),
    )
    .await;
    progress.abandon();
    print(ui, &outcome, connection.server_json(), false);
    if let Some(dir) = &args.out_dir {
        fleet_output::write_out_dir(dir, &outcome).map_err(|e| {
            CliError::new(
                ExitStatus::Internal,
                format!("cannot write {}: {e}", dir.display()),
            )
            .hint("the tokens were printed above and are kept until shown; re-run with another --out-dir to write them")
        })?;
    }
    // Shown (and written): the kept tokens have done their job.
    let shown: Vec<(Uid, String)> = outcome
        .gateways
        .iter()
        .filter(|g| g.token.is_some())
        .filter_map(|g| Some((g.app_uid?, g.name.clone())))
        .collect();
    keeper.forget_all(&shown);
    match outcome.failed() {
        0 => Ok(()),
        failed => Err(CliError::new(
            ExitStatus::SomeFailed,
            format!(
                "some gateways failed: {failed} of {}; every other gateway was provisioned",
                outcome.gateways.len()
            ),
        )
        .hint("each failure and its reason is listed above; re-run the same command to finish: it reuses what exists")),
    }
}

/// Reads and validates the manifest; `--replace` names must be in it.
fn read_manifest(file: &Path, replace: &[String]) -> Result<Vec<ProvisionInputs>, CliError> {
    let shown = file.display().to_string();
    let text = std::fs::read_to_string(file)
        .map_err(|e| CliError::new(ExitStatus::Usage, format!("cannot read {shown}: {e}")))?;
    let parsed = manifest::parse(&shown, &text)
        .map_err(|e| CliError::new(ExitStatus::Usage, e.to_string()))?;
    let mut desired: Vec<ProvisionInputs> = parsed.gateways.into_iter().map(|g| g.inputs).collect();
    for name in replace {
        let lower = name.to_lowercase();
        let mut found = false;
        for inputs in desired
            .iter_mut()
            .filter(|d| d.gateway.as_str().to_lowercase() == lower)
        {
            inputs.replace = true;
            found = true;
        }
        if !found {
            return Err(CliError::new(
                ExitStatus::Usage,
                format!("--replace: '{name}' is not a gateway of {shown}"),
            ));
        }
    }
    Ok(desired)
}

/// In a terminal, `--prune` and `--replace` ask before removing (default no), naming each.
async fn confirm_removals(ui: Ui, plan: &FleetPlan) -> Result<(), CliError> {
    let mut names = Vec::new();
    for group in &plan.groups {
        for gone in &group.removals {
            names.push(format!("remove '{}' of '{}'", gone.name, group.app));
        }
        for (inputs, step) in &group.gateways {
            if let GatewayStep::Replace(old) = step {
                names.push(format!(
                    "replace '{}' of '{}'{}",
                    old.name,
                    inputs.application,
                    if old.initialized {
                        " (initialized: its host stops working)"
                    } else {
                        ""
                    }
                ));
            }
        }
    }
    if names.is_empty() {
        return Ok(());
    }
    if !ui.interactive {
        return Err(removal_needs_yes("removing gateways"));
    }
    let question = format!("{}?", names.join(", "));
    if wizard::confirm_removal(question).await? {
        Ok(())
    } else {
        Err(CliError::new(ExitStatus::Ok, "nothing was changed"))
    }
}

fn print(ui: Ui, outcome: &fleet::FleetOutcome, server: serde_json::Value, dry_run: bool) {
    match ui.output {
        OutputFormat::Json => json_doc::print(fleet_output::fleet_json(outcome, server, dry_run)),
        OutputFormat::Text => {
            print!(
                "{}",
                fleet_output::fleet_text(outcome, dry_run, layout::stdout_width(ui.stdout_tty))
            );
            let minted = outcome
                .gateways
                .iter()
                .any(|g| g.token_expires_at.is_some());
            if let (true, Some(host)) =
                (minted && server["sandbox"] == true, server["host"].as_str())
            {
                print!("\n{}", crate::cli::output::sandbox_note(host).trim_start());
            }
        }
    }
}

fn progress_mode(ui: Ui) -> ProgressMode {
    match (ui.output, ui.stderr_tty) {
        (OutputFormat::Json, _) => ProgressMode::Quiet,
        (OutputFormat::Text, true) => ProgressMode::Spinner,
        (OutputFormat::Text, false) => ProgressMode::Lines,
    }
}
