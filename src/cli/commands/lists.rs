//! `gateway list`, `gateway remove`, `app list`.

use crate::cli::args::{GlobalArgs, OutputFormat};
use crate::cli::connect;
use crate::cli::exit::{CliError, ExitStatus};
use crate::cli::output::{rfc3339, Table};
use crate::cli::Ui;
use crate::keeper::pam::{self, Gateway};
use crate::keeper::vault;
use crate::provision::execute::remove_gateway;
use crate::provision::plan::ObservedGateway;
use std::collections::HashMap;

fn print_table(ui: Ui, table: &Table) {
    match ui.output {
        OutputFormat::Json => println!("{}", table.to_json()),
        OutputFormat::Text => print!("{}", table.to_text()),
    }
}

fn created(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map(rfc3339)
        .unwrap_or_default()
}

/// `gateway list`: every gateway with its application.
pub async fn gateway_list(global: &GlobalArgs, ui: Ui) -> Result<(), CliError> {
    let connection = connect::connect(global, ui).await?;
    let snapshot = vault::sync_down(&connection.session).await?;
    let titles: HashMap<_, _> = snapshot
        .applications
        .iter()
        .map(|a| (a.uid, a.title.clone()))
        .collect();
    let gateways = pam::get_controllers(&connection.session).await?;
    let table = Table {
        headings: vec!["Name", "UID", "Application", "Initialized", "Created"],
        rows: gateways
            .iter()
            .map(|g| {
                vec![
                    g.name.clone(),
                    g.uid.to_string(),
                    titles
                        .get(&g.application_uid)
                        .cloned()
                        .unwrap_or_else(|| g.application_uid.to_string()),
                    g.is_initialized.to_string(),
                    created(g.created),
                ]
            })
            .collect(),
    };
    print_table(ui, &table);
    Ok(())
}

/// `gateway remove NAME|UID`.
pub async fn gateway_remove(global: &GlobalArgs, ui: Ui, wanted: &str) -> Result<(), CliError> {
    let connection = connect::connect(global, ui).await?;
    let gateways = pam::get_controllers(&connection.session).await?;
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
    let gateway = match matches.as_slice() {
        [one] => *one,
        [] => {
            return Err(
                CliError::new(ExitStatus::NotFound, format!("no gateway named '{wanted}'"))
                    .hint("see `gw-provision gateway list`"),
            )
        }
        many => {
            return Err(CliError::new(
                ExitStatus::Conflict,
                format!("{} gateways are named '{wanted}'", many.len()),
            )
            .hint("remove it by UID (see `gw-provision gateway list`)"))
        }
    };
    let info =
        crate::keeper::ksm::get_app_info(&connection.session, &gateway.application_uid).await?;
    let client_id = info
        .clients
        .iter()
        .find(|c| c.name.to_lowercase() == gateway.name.to_lowercase())
        .map(|c| c.client_id.clone());
    let observed = ObservedGateway {
        name: gateway.name.clone(),
        controller_uid: Some(gateway.uid),
        client_id,
        initialized: gateway.is_initialized,
    };
    remove_gateway(&connection.session, &gateway.application_uid, &observed).await?;
    match ui.output {
        OutputFormat::Json => println!(
            "{}",
            serde_json::json!({"removed": {"name": gateway.name, "uid": gateway.uid.to_string()}})
        ),
        OutputFormat::Text => eprintln!("Removed gateway '{}' ({})", gateway.name, gateway.uid),
    }
    Ok(())
}

/// `app list`: every KSM application.
pub async fn app_list(global: &GlobalArgs, ui: Ui) -> Result<(), CliError> {
    let connection = connect::connect(global, ui).await?;
    let snapshot = vault::sync_down(&connection.session).await?;
    let mut apps: Vec<_> = snapshot.applications.iter().collect();
    apps.sort_by(|a, b| a.title.cmp(&b.title));
    let table = Table {
        headings: vec!["Title", "UID"],
        rows: apps
            .iter()
            .map(|a| vec![a.title.clone(), a.uid.to_string()])
            .collect(),
    };
    print_table(ui, &table);
    Ok(())
}
