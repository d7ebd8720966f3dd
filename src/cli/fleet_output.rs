//! Rendering an `apply` run: one JSON object, a text table with totals, and `--out-dir` (per
//! gateway what its host needs, `index.json`, `kubernetes-secrets.yaml`).

use std::path::Path;

use serde_json::{json, Value};

use super::layout::boxed;
use super::output::rfc3339;
use crate::provision::fleet::{FleetOutcome, GatewayReport};
use crate::provision::install::{kubernetes_secret_named, InstallInstructions, KubernetesNames};
use crate::provision::{Action, TargetOs};

/// Totals by action; dry-run actions count as what they would be.
#[derive(Default, Debug, PartialEq, Eq)]
pub struct Summary {
    created: usize,
    reused: usize,
    replaced: usize,
    removed: usize,
    failed: usize,
}

fn summary(outcome: &FleetOutcome) -> Summary {
    let mut totals = Summary::default();
    for gateway in &outcome.gateways {
        let slot = match (gateway.error.is_some(), gateway.action) {
            (true, _) => &mut totals.failed,
            (_, Action::Created | Action::WouldCreate) => &mut totals.created,
            (_, Action::Replaced | Action::WouldReplace) => &mut totals.replaced,
            (_, Action::Removed | Action::WouldRemove) => &mut totals.removed,
            _ => &mut totals.reused,
        };
        *slot += 1;
    }
    totals
}

fn action_word(gateway: &GatewayReport) -> Value {
    match &gateway.error {
        Some(_) => Value::String("failed".into()),
        None => json!(gateway.action),
    }
}

/// The JSON document `apply --output json` prints. Field names follow `new`'s (README,
/// docs/json-schema/apply.json); `server` is the [`super::json_doc::server`] object.
pub fn fleet_json(outcome: &FleetOutcome, server: Value, dry_run: bool) -> Value {
    let gateways: Vec<Value> = outcome.gateways.iter().map(gateway_json).collect();
    let groups: Vec<Value> = outcome
        .groups
        .iter()
        .map(|g| {
            let mut group = json!({
                "shared_folder": {"name": g.folder.0, "action": g.folder.1, "uid": g.folder.2.map(|u| u.to_string())},
                "application": {"name": g.app.0, "action": g.app.1, "uid": g.app.2.map(|u| u.to_string())},
                "share": {"editable": true, "action": g.share},
            });
            if let (Some(error), Some(object)) = (&g.error, group.as_object_mut()) {
                object.insert("error".into(), Value::String(error.clone()));
            }
            group
        })
        .collect();
    let totals = summary(outcome);
    json!({
        "gateways": gateways,
        "groups": groups,
        "summary": {
            "created": totals.created,
            "reused": totals.reused,
            "replaced": totals.replaced,
            "removed": totals.removed,
            "failed": totals.failed,
        },
        "server": server,
        "dry_run": dry_run,
        "warnings": outcome.warnings,
        "notes": outcome.notes,
    })
}

fn gateway_json(gateway: &GatewayReport) -> Value {
    // As `new`: a docker/kubernetes token was spent on this machine; the config is what counts.
    let redeemed = gateway.config.is_some();
    let mut doc = json!({
        "name": gateway.name,
        "os": gateway.os.map(TargetOs::as_str),
        "folder": gateway.folder,
        "app": gateway.app,
        "action": action_word(gateway),
        "uid": gateway.uid.map(|u| u.to_string()),
        "token": gateway.token.as_ref().filter(|_| !redeemed).map(|t| t.expose().to_string()),
        "token_expires_at": gateway.token_expires_at.filter(|_| !redeemed).map(rfc3339),
        "install_command": gateway.install.as_ref().and_then(|i| i.command.clone()),
    });
    if let Some(object) = doc.as_object_mut() {
        if redeemed {
            object.insert("token_redeemed".into(), Value::Bool(true));
        }
        // As `new` prints it: Windows has no command to run, only the installer's silent line.
        if let Some(silent) = gateway
            .install
            .as_ref()
            .and_then(|i| i.windows_silent_install_command.clone())
        {
            object.insert(
                "windows_silent_install_command".into(),
                Value::String(silent),
            );
        }
        if let Some(config) = &gateway.config {
            object.insert(
                "config".into(),
                Value::String(config.to_base64().to_string()),
            );
        }
        if let Some(error) = &gateway.error {
            object.insert("error".into(), Value::String(error.clone()));
        }
        if !gateway.notes.is_empty() {
            object.insert("notes".into(), json!(gateway.notes));
        }
        if let Some(pam) = &gateway.pam_config {
            object.insert(
                "pam_configuration".into(),
                super::output::pam_config_json(pam),
            );
        }
    }
    doc
}

/// The human text for stdout: the groups, a table of gateways, totals, then per gateway what
/// to run on its host, and the failures with their reasons.
pub fn fleet_text(outcome: &FleetOutcome, dry_run: bool, width: Option<usize>) -> String {
    let mut out = String::new();
    let title = if dry_run {
        "Dry run: nothing was changed"
    } else if outcome.failed() > 0 {
        "Some gateways failed"
    } else {
        "Gateways provisioned"
    };
    out.push_str(&boxed(title, width));
    let mut table = super::output::Table {
        headings: vec!["Kind", "Name", "Action", "UID"],
        rows: Vec::new(),
    };
    for group in &outcome.groups {
        for (kind, (name, action, uid)) in [
            ("shared folder", &group.folder),
            ("application", &group.app),
        ] {
            table.rows.push(vec![
                kind.into(),
                name.clone(),
                action.as_str().into(),
                uid.map(|u| u.to_string()).unwrap_or_default(),
            ]);
        }
        table.rows.push(vec![
            "share".into(),
            format!("{} → {}", group.folder.0, group.app.0),
            group.share.as_str().into(),
            String::new(),
        ]);
    }
    out.push_str(&table.to_text());
    out.push('\n');
    let table = super::output::Table {
        headings: vec!["Gateway", "OS", "Application", "Action", "UID"],
        rows: outcome
            .gateways
            .iter()
            .map(|g| {
                vec![
                    g.name.clone(),
                    g.os.map(|o| o.to_string()).unwrap_or_else(|| "-".into()),
                    g.app.clone(),
                    if g.error.is_some() {
                        "failed".into()
                    } else {
                        g.action.as_str().into()
                    },
                    g.uid.map(|u| u.to_string()).unwrap_or_default(),
                ]
            })
            .collect(),
    };
    out.push_str(&table.to_text());
    let pam: Vec<&GatewayReport> = outcome
        .gateways
        .iter()
        .filter(|g| g.pam_config.is_some())
        .collect();
    if !pam.is_empty() {
        out.push('\n');
        let table = super::output::Table {
            headings: vec!["PAM configuration", "Gateway", "Action", "UID", "Settings"],
            rows: pam
                .iter()
                .filter_map(|g| {
                    let p = g.pam_config.as_ref()?;
                    Some(vec![
                        format!("{} ({})", p.title, p.environment),
                        g.name.clone(),
                        p.action.as_str().into(),
                        p.uid.map(|u| u.to_string()).unwrap_or_default(),
                        super::output::settings_text(&p.settings),
                    ])
                })
                .collect(),
        };
        out.push_str(&table.to_text());
    }
    let t = summary(outcome);
    let label = if dry_run {
        "Totals (dry run)"
    } else {
        "Totals"
    };
    out.push_str(&format!(
        "\n{label}: {} created, {} reused, {} replaced, {} removed, {} failed\n",
        t.created, t.reused, t.replaced, t.removed, t.failed
    ));
    for gateway in outcome.gateways.iter().filter(|g| g.install.is_some()) {
        let Some(install) = &gateway.install else {
            continue;
        };
        let expires = match (gateway.token_expires_at, &gateway.config) {
            (_, Some(_)) => " (its token was redeemed into this config)".to_string(),
            (Some(at), None) => format!(" (token expires {})", rfc3339(at)),
            (None, None) => String::new(),
        };
        out.push_str(&format!(
            "\n{} ({}){expires}:\n  {}\n",
            gateway.name,
            gateway.os.map(|o| o.to_string()).unwrap_or_default(),
            // docker/kubernetes: a few whole commands, one per line.
            host_line(install).replace('\n', "\n  ")
        ));
    }
    let reused = outcome
        .gateways
        .iter()
        .filter(|g| g.error.is_none() && g.action == Action::Reused && g.install.is_none())
        .count();
    if reused > 0 {
        out.push_str(&format!(
            "\n{reused} gateway(s) already existed and were reused: a token is shown only once, when it is made; use --replace NAME to mint a new one.\n"
        ));
    }
    let failures: Vec<&GatewayReport> = outcome
        .gateways
        .iter()
        .filter(|g| g.error.is_some())
        .collect();
    if !failures.is_empty() {
        out.push_str("\nFailed:\n");
        for failed in failures {
            out.push_str(&format!(
                "  {} ({}): {}\n",
                failed.name,
                failed.app,
                failed.error.as_deref().unwrap_or_default()
            ));
        }
    }
    out
}

/// Writes `--out-dir`: per gateway with something to hand over, one 0600 file (written
/// atomically), `index.json`, and `kubernetes-secrets.yaml` with every Kubernetes Secret.
pub fn write_out_dir(dir: &Path, outcome: &FleetOutcome) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    let mut index = Vec::new();
    let mut secrets = Vec::new();
    for gateway in &outcome.gateways {
        let artifact = artifact(gateway);
        if let Some((file, text)) = &artifact {
            write_private(&dir.join(file), text)?;
            if gateway.os == Some(TargetOs::Kubernetes) {
                secrets.push(text.clone());
            }
        }
        let mut entry = json!({
            "name": gateway.name,
            "os": gateway.os.map(TargetOs::as_str),
            "folder": gateway.folder,
            "app": gateway.app,
            "action": action_word(gateway),
            "uid": gateway.uid.map(|u| u.to_string()),
            "token_expires_at": gateway.token_expires_at.map(rfc3339),
            "file": artifact.as_ref().map(|(file, _)| file.clone()),
        });
        if let Some(object) = entry.as_object_mut() {
            if let Some(error) = &gateway.error {
                object.insert("error".into(), Value::String(error.clone()));
            }
            if gateway.os == Some(TargetOs::Kubernetes) && artifact.is_some() {
                // helm install … --set gateway.existingSecret=<this name>
                object.insert(
                    "secret_name".into(),
                    json!(KubernetesNames::for_gateway(&gateway.slug).secret),
                );
            }
        }
        index.push(entry);
    }
    if !secrets.is_empty() {
        write_private(&dir.join("kubernetes-secrets.yaml"), &secrets.join("---\n"))?;
    }
    let index = json!({ "gateways": index });
    write_private(
        &dir.join("index.json"),
        &serde_json::to_string_pretty(&index).unwrap_or_default(),
    )
}

/// The one line for the gateway host: its command, or on Windows (whose installer asks for the
/// token) the installer's silent line.
fn host_line(install: &InstallInstructions) -> &str {
    install
        .command
        .as_deref()
        .or(install.windows_silent_install_command.as_deref())
        .unwrap_or_default()
}

/// The file a gateway's host needs, by target: an install script (linux/macos), the token
/// (windows), a Docker env file, or a Kubernetes Secret. `None` when there is nothing to hand
/// over (a reused gateway, a failure).
fn artifact(gateway: &GatewayReport) -> Option<(String, String)> {
    let slug = &gateway.slug;
    let install = gateway.install.as_ref()?;
    let os = gateway.os?;
    let config = gateway.config.as_ref().map(|c| c.to_base64());
    Some(match (os, config) {
        (TargetOs::Linux | TargetOs::Macos, _) => (
            format!("{slug}.sh"),
            format!(
                "#!/bin/sh\n# Keeper Gateway '{}': run on its host{}\nset -e\n{}\n",
                gateway.name.replace('\n', " "),
                gateway
                    .token_expires_at
                    .map(|at| format!(" before {}", rfc3339(at)))
                    .unwrap_or_default(),
                host_line(install)
            ),
        ),
        (TargetOs::Windows, _) => match &gateway.token {
            Some(token) => (format!("{slug}.token"), format!("{}\n", token.expose())),
            None => (format!("{slug}.cmd"), format!("{}\r\n", host_line(install))),
        },
        (TargetOs::Docker, Some(config)) => (
            format!("{slug}.env"),
            format!("GATEWAY_CONFIG={}\nACCEPT_EULA=Y\n", config.as_str()),
        ),
        (TargetOs::Kubernetes, Some(config)) => (
            format!("{slug}.yaml"),
            kubernetes_secret_named(&KubernetesNames::for_gateway(slug).secret, config.as_str()),
        ),
        (TargetOs::Docker | TargetOs::Kubernetes, None) => return None,
    })
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    // NamedTempFile is created 0600; renaming it over an older file is atomic.
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut file, text.as_bytes())?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}
