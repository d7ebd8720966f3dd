//! `gateway list`, `gateway remove`, `app list`.

use crate::cli::args::{GlobalArgs, OutputFormat};
use crate::cli::connect;
use crate::cli::exit::{CliError, ExitStatus};
use crate::cli::json_doc;
use crate::cli::output::Table;
use crate::cli::wizard;
use crate::cli::Ui;
use crate::keeper::pam::{self, Gateway};
use crate::keeper::vault;
use crate::provision::execute::remove_gateway;
use crate::provision::plan::{require_gateway_management, ObservedGateway};
use std::collections::HashMap;

/// `gateway list`: every gateway with its application. JSON: `{"gateways": [{name, uid,
/// application, initialized (boolean), created (RFC 3339, null when Keeper gave none)}]}`.
pub async fn gateway_list(global: &GlobalArgs, ui: Ui) -> Result<(), CliError> {
    let connection = connect::connect(global, ui).await?;
    let snapshot = vault::sync_down(&connection.session).await?;
    let titles: HashMap<_, _> = snapshot
        .applications
        .iter()
        .map(|a| (a.uid, a.title.clone()))
        .collect();
    let gateways = pam::get_controllers(&connection.session).await?;
    let application = |g: &Gateway| {
        titles
            .get(&g.application_uid)
            .cloned()
            .unwrap_or_else(|| g.application_uid.to_string())
    };
    // Keeper leaves `created` 0 for a controller it has no date for: that is "unknown", not 1970.
    let created = |g: &Gateway| {
        (g.created > 0)
            .then(|| json_doc::timestamp_ms(g.created))
            .flatten()
    };
    match ui.output {
        OutputFormat::Json => {
            let rows: Vec<_> = gateways
                .iter()
                .map(|g| {
                    serde_json::json!({
                        "name": g.name,
                        "uid": g.uid.to_string(),
                        "application": application(g),
                        "initialized": g.is_initialized,
                        "created": created(g),
                    })
                })
                .collect();
            json_doc::print(serde_json::json!({ "gateways": rows }));
        }
        OutputFormat::Text => {
            let table = Table {
                headings: vec!["Name", "UID", "Application", "Initialized", "Created"],
                rows: gateways
                    .iter()
                    .map(|g| {
                        vec![
                            g.name.clone(),
                            g.uid.to_string(),
                            application(g),
                            g.is_initialized.to_string(),
                            created(g).unwrap_or_default(),
                        ]
                    })
                    .collect(),
            };
            print!("{}", table.to_text());
        }
    }
    Ok(())
}

/// `gateway remove NAME|UID`: as Commander's `pam gateway remove`, the gateway is found among
/// the controllers (gateway-type clients only) by UID or case-insensitive name and removed
/// through `pam/remove_controller`; an ordinary KSM client of the same name is never touched.
pub async fn gateway_remove(
    global: &GlobalArgs,
    ui: Ui,
    wanted: &str,
    yes: bool,
) -> Result<(), CliError> {
    if !yes && !ui.interactive {
        return Err(removal_needs_yes(&format!("removing gateway '{wanted}'")));
    }
    let connection = connect::connect(global, ui).await?;
    let session = &connection.session;
    require_gateway_management(&session.policy(), false)?;
    let gateways: Vec<Gateway> = pam::get_controllers(session)
        .await?
        .into_iter()
        .filter(Gateway::is_gateway_type)
        .collect();
    let gateway = pick_gateway(&gateways, wanted)?;
    if !yes {
        let snapshot = vault::sync_down(session).await?;
        let app = snapshot
            .application(&gateway.application_uid)
            .map(|a| a.title.clone())
            .unwrap_or_else(|| gateway.application_uid.to_string());
        let question = format!(
            "Remove gateway '{}' ({}) of application '{}'? It {}",
            gateway.name,
            gateway.uid,
            app,
            if gateway.is_initialized {
                "has been initialized: the host running it will stop working"
            } else {
                "has never been initialized"
            }
        );
        if !wizard::confirm_removal(question).await? {
            // The user's choice: exit 0, reported (text and JSON) like any declined question.
            return Err(CliError::new(ExitStatus::Ok, "Nothing was removed."));
        }
    }
    let observed = ObservedGateway {
        name: gateway.name.clone(),
        controller_uid: Some(gateway.uid),
        client_id: None,
        initialized: gateway.is_initialized,
        created_ms: gateway.created,
    };
    remove_gateway(session, &gateway.application_uid, &observed).await?;
    match ui.output {
        OutputFormat::Json => json_doc::print(
            serde_json::json!({"removed": {"name": gateway.name, "uid": gateway.uid.to_string()}}),
        ),
        OutputFormat::Text => eprintln!("Removed gateway '{}' ({})", gateway.name, gateway.uid),
    }
    Ok(())
}

/// The one gateway `wanted` names: its controller UID, else its name (case-insensitive).
fn pick_gateway<'a>(gateways: &'a [Gateway], wanted: &str) -> Result<&'a Gateway, CliError> {
    let by_uid: Vec<&Gateway> = gateways
        .iter()
        .filter(|g| g.uid.to_string() == wanted)
        .collect();
    let matches = if by_uid.is_empty() {
        let lower = wanted.to_lowercase();
        gateways
            .iter()
            .filter(|g| g.name.to_lowercase() == lower)
            .collect()
    } else {
        by_uid
    };
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(
            CliError::new(ExitStatus::NotFound, format!("no gateway named '{wanted}'"))
                .hint("see `gw-provision gateway list`; only gateways are removed here, not other KSM clients"),
        ),
        many => Err(CliError::new(
            ExitStatus::Conflict,
            format!("{} gateways are named '{wanted}'", many.len()),
        )
        .hint("remove it by UID (see `gw-provision gateway list`)")),
    }
}

/// A removal without a terminal to confirm it: a usage error, so nothing is removed by accident.
pub fn removal_needs_yes(what: &str) -> CliError {
    CliError::new(
        ExitStatus::Usage,
        format!("{what} needs confirmation, and there is no terminal to ask"),
    )
    .hint("pass --yes (-y) to confirm the removal")
    .with_code(crate::cli::exit::ErrorCode::ConfirmationRequired)
}

/// `app list`: every KSM application. JSON: `{"applications": [{title, uid}]}`.
pub async fn app_list(global: &GlobalArgs, ui: Ui) -> Result<(), CliError> {
    let connection = connect::connect(global, ui).await?;
    let snapshot = vault::sync_down(&connection.session).await?;
    let mut apps: Vec<_> = snapshot.applications.iter().collect();
    apps.sort_by(|a, b| a.title.cmp(&b.title));
    match ui.output {
        OutputFormat::Json => {
            let rows: Vec<_> = apps
                .iter()
                .map(|a| serde_json::json!({"title": a.title, "uid": a.uid.to_string()}))
                .collect();
            json_doc::print(serde_json::json!({ "applications": rows }));
        }
        OutputFormat::Text => {
            let table = Table {
                headings: vec!["Title", "UID"],
                rows: apps
                    .iter()
                    .map(|a| vec![a.title.clone(), a.uid.to_string()])
                    .collect(),
            };
            print!("{}", table.to_text());
        }
    }
    Ok(())
}
