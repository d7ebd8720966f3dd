//! What an `apply` run did or would do, per group and per gateway; `dry_run` builds it from the
//! plan alone.

use super::fleet::{FleetPlan, GroupPlan};
use super::inputs::{ProvisionInputs, TargetOs};
use super::install::InstallInstructions;
use super::pam_config::{dry_run_outcome, PamConfigOutcome};
use super::plan::{Action, GatewayStep, ObservedGateway, Step};
use crate::keeper::ksm::{KsmConfig, OneTimeToken};
use crate::keeper::uid::Uid;

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
}

pub(crate) fn report(
    inputs: &ProvisionInputs,
    action: Action,
    app_uid: Option<Uid>,
) -> GatewayReport {
    GatewayReport {
        name: inputs.gateway.to_string(),
        os: Some(inputs.os),
        folder: inputs.shared_folder.to_string(),
        app: inputs.application.to_string(),
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
    }
}

pub(crate) fn removal_report(
    group: &GroupPlan,
    gateway: &ObservedGateway,
    action: Action,
) -> GatewayReport {
    GatewayReport {
        os: None,
        uid: gateway.controller_uid,
        ..report_named(group, &gateway.name, action)
    }
}

fn report_named(group: &GroupPlan, name: &str, action: Action) -> GatewayReport {
    GatewayReport {
        name: name.to_owned(),
        os: None,
        folder: group.folder.clone(),
        app: group.app.clone(),
        app_uid: match group.steps.application {
            Step::Reuse(uid) => Some(uid),
            Step::Create => None,
        },
        action,
        uid: None,
        token: None,
        token_expires_at: None,
        config: None,
        install: None,
        error: None,
        notes: Vec::new(),
        pam_config: None,
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
    outcome
}

fn existing_uid(step: &GatewayStep) -> Option<Uid> {
    match step {
        GatewayStep::KeepExisting(g) => g.controller_uid,
        _ => None,
    }
}
