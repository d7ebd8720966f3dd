//! What an `apply` run did or would do, per group and per gateway; `dry_run` builds it from the
//! plan alone.

use super::fleet::{FleetPlan, GroupPlan};
use super::inputs::{ProvisionInputs, TargetOs};
use super::install::{render_kubernetes, InstallInstructions, KubernetesNames};
use super::pam_config::{dry_run_outcome, PamConfigOutcome};
use super::plan::{Action, GatewayStep, ObservedGateway, Step};
use crate::keeper::ksm::{KsmConfig, OneTimeToken};
use crate::keeper::uid::Uid;
use std::collections::BTreeSet;

/// What happened to one gateway of the run.
#[derive(Debug)]
pub struct GatewayReport {
    /// Its name.
    pub name: String,
    /// Its target (`None` for a gateway `--prune` removed: the vault does not record it).
    pub os: Option<TargetOs>,
    /// The shared folder of its group.
    pub folder: String,
    /// The application title.
    pub app: String,
    /// The application's UID, when it exists.
    pub app_uid: Option<Uid>,
    /// What happened (or would happen); meaningless when `error` is set.
    pub action: Action,
    /// Its controller UID when known (reused or removed gateways).
    pub uid: Option<Uid>,
    /// A new token (created, replaced, or kept by an earlier run and shown now).
    pub token: Option<OneTimeToken>,
    /// When the token stops being redeemable.
    pub token_expires_at: Option<time::OffsetDateTime>,
    /// The redeemed gateway config (docker/kubernetes).
    pub config: Option<KsmConfig>,
    /// What the host runs.
    pub install: Option<InstallInstructions>,
    /// Why it failed; the rest of the run went on.
    pub error: Option<String>,
    /// What the user should know (a kept token shown, a token that cannot be shown again).
    pub notes: Vec<String>,
    /// Its PAM configuration, when the manifest asks for one.
    pub pam_config: Option<PamConfigOutcome>,
    /// Its name in a form safe for files and Kubernetes (lower-case letters, digits, `-`),
    /// unique in the run: it names the gateway's `--out-dir` file and, for Kubernetes, its
    /// Secret and Helm release. Set by [`FleetOutcome::name_hosts`].
    pub slug: String,
}

/// What happened to one (shared folder, application) pair.
#[derive(Debug)]
pub struct GroupReport {
    /// The shared folder name, action and UID.
    pub folder: (String, Action, Option<Uid>),
    /// The application title, action and UID.
    pub app: (String, Action, Option<Uid>),
    /// The Can Edit share's action.
    pub share: Action,
    /// Why the group's steps failed (its gateways then failed too).
    pub error: Option<String>,
}

/// Everything an `apply` run did or would do.
#[derive(Debug, Default)]
pub struct FleetOutcome {
    /// Per group.
    pub groups: Vec<GroupReport>,
    /// Per gateway, in manifest order, then the removed ones.
    pub gateways: Vec<GatewayReport>,
    /// What the account's policy holds back.
    pub warnings: Vec<String>,
    /// What happened that the user should know (twins settled).
    pub notes: Vec<String>,
}

impl FleetOutcome {
    /// Gateways that failed.
    pub fn failed(&self) -> usize {
        self.gateways.iter().filter(|g| g.error.is_some()).count()
    }

    /// Gives each gateway its slug and each Kubernetes gateway its own Secret and Helm release
    /// (`execute` rendered Keeper's names, which many gateways in one namespace cannot share).
    pub(crate) fn name_hosts(&mut self) {
        let mut taken = BTreeSet::new();
        for gateway in &mut self.gateways {
            gateway.slug = unique_slug(&gateway.name, &mut taken);
            if let (Some(TargetOs::Kubernetes), Some(config), Some(_)) =
                (gateway.os, &gateway.config, &gateway.install)
            {
                gateway.install = Some(render_kubernetes(
                    config.to_base64().as_str(),
                    &KubernetesNames::for_gateway(&gateway.slug),
                ));
            }
        }
    }
}

/// Longest slug kept from a name: `keeper-gateway-<slug>-<n>` stays within Helm's 53-character
/// release names.
const SLUG_CHARS: usize = 30;

/// A file- and Kubernetes-safe form of a gateway name (lower-case letters, digits, `-`),
/// unique among `taken`.
fn unique_slug(name: &str, taken: &mut BTreeSet<String>) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug: String = slug.trim_matches('-').chars().take(SLUG_CHARS).collect();
    let mut slug = slug.trim_end_matches('-').to_owned();
    if slug.is_empty() {
        slug = "gateway".into();
    }
    let mut candidate = slug.clone();
    let mut n = 2;
    while !taken.insert(candidate.clone()) {
        candidate = format!("{slug}-{n}");
        n += 1;
    }
    candidate
}

pub(crate) fn report(
    inputs: &ProvisionInputs,
    action: Action,
    app_uid: Option<Uid>,
) -> GatewayReport {
    GatewayReport {
        os: Some(inputs.os),
        ..nothing_yet(
            inputs.gateway.to_string(),
            (
                inputs.shared_folder.to_string(),
                inputs.application.to_string(),
            ),
            app_uid,
            action,
        )
    }
}

pub(crate) fn removal_report(
    group: &GroupPlan,
    gateway: &ObservedGateway,
    action: Action,
) -> GatewayReport {
    let app_uid = match group.steps.application {
        Step::Reuse(uid) => Some(uid),
        Step::Create => None,
    };
    GatewayReport {
        uid: gateway.controller_uid,
        ..nothing_yet(
            gateway.name.clone(),
            (group.folder.clone(), group.app.clone()),
            app_uid,
            action,
        )
    }
}

/// A gateway's report before anything is known of it but where it belongs and what happens.
fn nothing_yet(
    name: String,
    (folder, app): (String, String),
    app_uid: Option<Uid>,
    action: Action,
) -> GatewayReport {
    GatewayReport {
        name,
        os: None,
        folder,
        app,
        app_uid,
        action,
        uid: None,
        token: None,
        token_expires_at: None,
        config: None,
        install: None,
        error: None,
        notes: Vec::new(),
        pam_config: None,
        slug: String::new(),
    }
}

/// The outcome `--dry-run` and `plan` report: every action in its "would" form, no token.
pub fn dry_run(plan: &FleetPlan) -> FleetOutcome {
    let mut outcome = FleetOutcome {
        warnings: plan.warnings.clone(),
        ..FleetOutcome::default()
    };
    for group in &plan.groups {
        let uid = |step: &Step<Uid>| match step {
            Step::Reuse(uid) => Some(*uid),
            Step::Create => None,
        };
        outcome.groups.push(GroupReport {
            folder: (
                group.folder.clone(),
                group.steps.shared_folder.action().hypothetical(),
                uid(&group.steps.shared_folder),
            ),
            app: (
                group.app.clone(),
                group.steps.application.action().hypothetical(),
                uid(&group.steps.application),
            ),
            share: group.steps.share.hypothetical(),
            error: None,
        });
        for ((inputs, step), pam) in group.gateways.iter().zip(&group.pam_configs) {
            let mut one = report(
                inputs,
                step.action().hypothetical(),
                uid(&group.steps.application),
            );
            one.uid = existing_uid(step);
            one.pam_config = inputs
                .pam_config
                .as_ref()
                .zip(pam.as_ref())
                .map(|(wanted, step)| dry_run_outcome(wanted, step));
            outcome.gateways.push(one);
        }
        for gone in &group.removals {
            outcome
                .gateways
                .push(removal_report(group, gone, Action::WouldRemove));
        }
    }
    outcome.name_hosts();
    outcome
}

fn existing_uid(step: &GatewayStep) -> Option<Uid> {
    match step {
        GatewayStep::KeepExisting(g) => g.controller_uid,
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_safe_unique_and_short_enough_for_a_helm_release() {
        let mut taken = BTreeSet::new();
        assert_eq!(unique_slug("Edge 1/Prod", &mut taken), "edge-1-prod");
        assert_eq!(unique_slug("edge-1-prod", &mut taken), "edge-1-prod-2");
        assert_eq!(unique_slug("ÄÖ", &mut taken), "gateway");
        let long = unique_slug(&"a-".repeat(60), &mut taken);
        assert!(long.len() <= SLUG_CHARS && !long.ends_with('-'), "{long}");
        let release = KubernetesNames::for_gateway(&unique_slug(&"a-".repeat(60), &mut taken));
        assert!(release.release.len() <= 53, "{}", release.release);
    }
}
