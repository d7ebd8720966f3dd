//! Rendering results: one JSON object, or human text. Results go to stdout; messages and
//! progress go to stderr.

use super::layout::{boxed, fill, summary_rows, SummaryRow};
use crate::provision::pam_config::PamConfigOutcome;
use crate::provision::{Action, Outcome, TargetOs};
use serde_json::{json, Value};
use std::path::Path;

/// The JSON document `new --output json` prints. Field names are a public contract (README,
/// docs/json-schema/new.json); `server` is the [`super::json_doc::server`] object.
/// With `token_file` (the secret was written there) `token` and `config` are absent.
pub fn outcome_json(
    outcome: &Outcome,
    server: Value,
    dry_run: bool,
    token_file: Option<&Path>,
) -> Value {
    let mut doc = json!({
        "shared_folder": resolved(&outcome.shared_folder.uid, &outcome.shared_folder.name, outcome.shared_folder.action),
        "application": resolved(&outcome.application.uid, &outcome.application.name, outcome.application.action),
        "share": { "editable": true, "action": outcome.share_action },
        "gateway": {
            "name": outcome.gateway.name,
            "os": outcome.gateway.os.as_str(),
            "action": outcome.gateway.action,
            "uid": outcome.gateway.uid.map(|u| u.to_string()),
        },
        "server": server,
        "dry_run": dry_run,
        "warnings": outcome.warnings,
    });
    let Some(object) = doc.as_object_mut() else {
        return doc;
    };
    if redeems_token(outcome.gateway.os) {
        // Spent on this machine: the config is what the host needs (Keeper's advice: offer
        // the token or the config, never both).
        if outcome.token_expires_at.is_some() {
            object.insert("token_redeemed".into(), Value::Bool(true));
        }
    } else {
        if let Some(token) = &outcome.token {
            object.insert("token".into(), Value::String(token.expose().to_string()));
        }
        if let Some(expires) = outcome.token_expires_at {
            object.insert("token_expires_at".into(), Value::String(rfc3339(expires)));
        }
    }
    if let Some(path) = token_file {
        object.insert("token_file".into(), json!(path.to_string_lossy()));
    }
    if let Some(install) = &outcome.install {
        // null for Windows: its installer asks for the token; there is nothing to run but the
        // installer, whose unattended line is the separate field.
        object.insert("install_command".into(), json!(install.command));
        if let Some(silent) = &install.windows_silent_install_command {
            object.insert("windows_silent_install_command".into(), json!(silent));
        }
    }
    if let Some(config) = &outcome.config {
        object.insert(
            "config".into(),
            Value::String(config.to_base64().to_string()),
        );
    }
    if let Some(pam) = &outcome.pam_config {
        object.insert("pam_configuration".into(), pam_config_json(pam));
    }
    doc
}

/// The `pam_configuration` object: title, UID, environment, record type, effective switches.
pub fn pam_config_json(pam: &PamConfigOutcome) -> Value {
    let settings: serde_json::Map<String, Value> = pam
        .settings
        .effective()
        .into_iter()
        .map(|(name, on)| (name.to_owned(), Value::Bool(on)))
        .collect();
    json!({
        "title": pam.title,
        "uid": pam.uid.map(|u| u.to_string()),
        "environment": pam.environment.as_str(),
        "record_type": pam.environment.record_type(),
        "action": pam.action,
        "settings": settings,
    })
}

/// The switches in words: `connections on, tunneling on, rotation on, recording off`.
pub fn settings_text(settings: &crate::keeper::router::AllowedSettings) -> String {
    settings
        .effective()
        .iter()
        .map(|(name, on)| format!("{name} {}", if *on { "on" } else { "off" }))
        .collect::<Vec<_>>()
        .join(", ")
}

fn resolved(uid: &Option<crate::keeper::uid::Uid>, name: &str, action: Action) -> Value {
    json!({ "uid": uid.map(|u| u.to_string()), "name": name, "action": action })
}

/// RFC 3339 in UTC with milliseconds, the form `token_expires_at` promises.
pub fn rfc3339(at: time::OffsetDateTime) -> String {
    super::json_doc::timestamp(at)
}

/// The human text for stdout: a summary table, then what to run on the gateway host. With
/// `token_file` (the secret was written there) the text says so instead of showing it. With
/// `sandbox` (its host) the token is marked as the sandbox's: it looks like Keeper's, but
/// Keeper would refuse it.
pub fn outcome_text(
    outcome: &Outcome,
    dry_run: bool,
    width: Option<usize>,
    token_file: Option<&Path>,
    sandbox: Option<&str>,
) -> String {
    let mut out = String::new();
    let title = if dry_run {
        "Dry run: nothing was changed".to_string()
    } else if outcome.token.is_some() {
        format!("Gateway '{}' provisioned", outcome.gateway.name)
    } else {
        format!("Gateway '{}' ready", outcome.gateway.name)
    };
    out.push_str(&boxed(&title, width));
    let row =
        |label, name: String, action: Action, uid: Option<crate::keeper::uid::Uid>| SummaryRow {
            label,
            name,
            action: action.as_str().to_owned(),
            uid: uid.map(|u| u.to_string()),
        };
    let mut rows = vec![
        row(
            "Shared folder",
            outcome.shared_folder.name.clone(),
            outcome.shared_folder.action,
            outcome.shared_folder.uid,
        ),
        row(
            "Application",
            outcome.application.name.clone(),
            outcome.application.action,
            outcome.application.uid,
        ),
        row("Share", "Can Edit".to_string(), outcome.share_action, None),
        row(
            "Gateway",
            format!("{} ({})", outcome.gateway.name, outcome.gateway.os),
            outcome.gateway.action,
            outcome.gateway.uid,
        ),
    ];
    if let Some(pam) = &outcome.pam_config {
        rows.push(row(
            "PAM config",
            format!("{} ({})", pam.title, pam.environment),
            pam.action,
            pam.uid,
        ));
        rows.push(SummaryRow {
            label: "PAM settings",
            name: settings_text(&pam.settings),
            action: String::new(),
            uid: None,
        });
    }
    out.push_str(&summary_rows(&rows, width));
    out.push_str(&token_text(outcome, token_file, sandbox));
    if let Some(install) = &outcome.install {
        if let Some(command) = &install.command {
            out.push_str(if outcome.gateway.os == TargetOs::Kubernetes {
                "\nRun these in order, where kubectl and helm reach your cluster:\n\n"
            } else {
                "\nRun this on the gateway host:\n\n"
            });
            for line in command.lines() {
                out.push_str(&format!("  {line}\n"));
            }
        }
        if let Some(steps) = &install.steps {
            out.push_str(&format!("\n{}\n", fill(steps, width.unwrap_or(96).min(96))));
        }
        if let Some(silent) = &install.windows_silent_install_command {
            out.push_str("\nOr install silently (in an elevated prompt on the gateway host):\n\n");
            out.push_str(&format!("  {silent}\n"));
        }
        for extra in &install.extras {
            out.push_str(&format!("\n{}:\n\n", capitalize(extra.title)));
            for line in extra.body.lines() {
                out.push_str(&format!("  {line}\n"));
            }
        }
    }
    // On a terminal, prose is filled to its width; the indented lines (the token, commands)
    // are left whole, to be copied.
    match width {
        Some(width) => fill(&out, width),
        None => out,
    }
}

/// What the text says about the token: the token itself, or for docker/kubernetes that it was
/// redeemed into the config (a token works once: shown, it would look usable but is spent), or
/// where `--token-file` put the secret.
fn token_text(outcome: &Outcome, token_file: Option<&Path>, sandbox: Option<&str>) -> String {
    let Some(expires) = outcome.token_expires_at else {
        return String::new();
    };
    let redeemed = redeems_token(outcome.gateway.os);
    let mut out = match (redeemed, token_file) {
        (true, Some(path)) => format!(
            "\nOne-Time Access Token: redeemed here into the gateway config, which was written to \
             {} (shown as <CONFIG> below)\n",
            path.display()
        ),
        (true, None) => {
            "\nOne-Time Access Token: redeemed here into the gateway config below (a token \
             works only once).\nThe gateway config is a long-lived credential: treat it like a \
             password.\n"
                .to_string()
        }
        (false, Some(path)) => format!(
            "\nOne-Time Access Token (expires {}): token written to {} (shown as <TOKEN> below)\n",
            rfc3339(expires),
            path.display()
        ),
        (false, None) => format!(
            "\nOne-Time Access Token (expires {}):\n  {}\n",
            rfc3339(expires),
            outcome
                .token
                .as_ref()
                .map(|t| t.expose().to_string())
                .unwrap_or_default()
        ),
    };
    if let Some(host) = sandbox {
        out.push_str(&sandbox_note(host));
    }
    out
}

/// Docker and Kubernetes hosts take a gateway config: the token is redeemed on this machine.
pub fn redeems_token(os: TargetOs) -> bool {
    matches!(os, TargetOs::Docker | TargetOs::Kubernetes)
}

/// The line under a token (or config) the sandbox minted.
pub fn sandbox_note(host: &str) -> String {
    format!("  note: minted by the sandbox at {host}; not valid on Keeper\n")
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A table of rows for list commands' text (their JSON is typed, per command).
#[derive(Debug)]
pub struct Table {
    /// Column headings.
    pub headings: Vec<&'static str>,
    /// Rows of cells, one per heading.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// Renders the table as aligned text.
    pub fn to_text(&self) -> String {
        let mut widths: Vec<usize> = self.headings.iter().map(|h| h.len()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(cell.chars().count());
                }
            }
        }
        let mut out = String::new();
        let line = |cells: Vec<&str>, out: &mut String| {
            let parts: Vec<String> = cells
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let w = widths.get(i).copied().unwrap_or(0);
                    format!("{c:<w$}")
                })
                .collect();
            out.push_str(parts.join("  ").trim_end());
            out.push('\n');
        };
        line(self.headings.to_vec(), &mut out);
        for row in &self.rows {
            line(row.iter().map(String::as_str).collect(), &mut out);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_columns() {
        let table = Table {
            headings: vec!["Name", "UID"],
            rows: vec![
                vec!["a".into(), "1".into()],
                vec!["long".into(), "2".into()],
            ],
        };
        assert_eq!(table.to_text(), "Name  UID\na     1\nlong  2\n");
    }
}
