//! Many gateways in one run (`gw-provision apply`): observe once, plan every gateway, then
//! carry out the plan with the same steps as `new`.
//!
//! Gateways are grouped by (shared folder, application): each group's folder, application and
//! Can Edit share are ensured once ([`ensure_group`]), then its gateways are added a few at a
//! time ([`gateway_step`]). The twin check `new` does after each gateway is done once per
//! application after all of its gateways were added: one `get_app_info` instead of N.

use std::collections::{BTreeSet, HashMap};

use futures_util::stream::{self, StreamExt};

use super::converge::lost_to_twin;
use super::execute::{credential, ensure_group, gateway_step, new_token};
use super::execute::{Done, Minted, Progress, ProvisionError, StepKind, Verify};
pub use super::fleet_report::{dry_run, FleetOutcome, GatewayReport, GroupReport};
use super::fleet_report::{removal_report, report};
use super::inputs::ProvisionInputs;
use super::kept::{KeepError, KeptToken, TokenKeeper};
use super::observe::{gateway_clients, Observation};
use super::pam_config::{
    check_rotation_policy, controller_uid, ensure_pam_config, observe_pam_configs, plan_pam_config,
    ObservedPamConfig, PamConfigStep,
};
use super::plan::{check_policy, find_gateway, plan_gateway, plan_group, policy_warnings};
use super::plan::{Action, ExistingGateway, GatewayStep, GroupSteps, KeptGateway, Observed};
use super::plan::{ObservedGateway, PlanError, Step};
use super::remove::remove_gateway;
use crate::keeper::auth::Session;
use crate::keeper::ksm::{self, RedeemOptions};
use crate::keeper::pam;
use crate::keeper::uid::Uid;

/// How many gateways are added (or removed) at the same time. Keeper throttles bursts; the
/// transport waits a `throttled` out, and four in flight keep a thousand gateways to minutes.
pub const CONCURRENCY: usize = 4;

/// What the vault holds for the manifest's applications.
pub struct FleetObservation {
    /// The one sync of the run, reused by the folder/application steps.
    pub observation: Observation,
    /// Per existing application: its shares (secret UID → editable) and gateways.
    apps: HashMap<Uid, (HashMap<Uid, bool>, Vec<ObservedGateway>)>,
    /// Tokens this machine kept and never showed, by (application, lower-case gateway name).
    kept: HashMap<(Uid, String), KeptGateway>,
    /// PAM configurations with the titles the manifest asks for, by title.
    pam_configs: HashMap<String, Vec<ObservedPamConfig>>,
}

/// One sync, one `get_app_info` per existing application of the manifest, one
/// `pam/get_controllers` when any exists (for the UIDs of reused gateways and `--prune`), and
/// the kept tokens of the manifest's gateways.
pub async fn observe(
    session: &Session,
    desired: &[ProvisionInputs],
    keeper: &dyn TokenKeeper,
) -> Result<FleetObservation, ProvisionError> {
    let observation = super::observe::sync(session).await?;
    let mut apps = HashMap::new();
    let titles: BTreeSet<&str> = desired.iter().map(|d| d.application.as_str()).collect();
    for title in titles {
        let matching: Vec<&Uid> = observation
            .snapshot
            .applications
            .iter()
            .filter(|a| a.title == title)
            .map(|a| &a.uid)
            .collect();
        // None: nothing to read; several: planning reports the ambiguity.
        if let [uid] = matching.as_slice() {
            let info = ksm::get_app_info(session, uid).await?;
            let shares = info
                .shares
                .iter()
                .map(|s| (s.secret_uid, s.editable))
                .collect();
            apps.insert(**uid, (shares, gateway_clients(&info)));
        }
    }
    if apps.values().any(|(_, gateways)| !gateways.is_empty()) {
        let controllers = pam::get_controllers(session).await?;
        for (app_uid, (_, gateways)) in apps.iter_mut() {
            for gateway in gateways.iter_mut() {
                let lower = gateway.name.to_lowercase();
                let mut matching = controllers.iter().filter(|c| {
                    c.application_uid == *app_uid
                        && c.is_gateway_type()
                        && c.name.to_lowercase() == lower
                });
                if let (Some(one), None) = (matching.next(), matching.next()) {
                    gateway.controller_uid = Some(one.uid);
                }
            }
        }
    }
    let now = ksm::first_access_expiry(0);
    let mut kept = HashMap::new();
    for inputs in desired {
        for app_uid in apps.keys() {
            if let Some(token) = keeper.find(app_uid, inputs.gateway.as_str()) {
                let entry = KeptGateway {
                    client_id: token.client_id(),
                    expired: token.expired_at(now),
                };
                kept.insert((*app_uid, inputs.gateway.as_str().to_lowercase()), entry);
            }
        }
    }
    let mut pam_configs = HashMap::new();
    let titles: BTreeSet<&str> = desired
        .iter()
        .filter_map(|d| d.pam_config.as_ref())
        .map(|w| w.title.as_str())
        .collect();
    for title in titles {
        let found = observe_pam_configs(session, &observation.snapshot, title).await?;
        pam_configs.insert(title.to_owned(), found);
    }
    Ok(FleetObservation {
        observation,
        apps,
        kept,
        pam_configs,
    })
}

/// One (shared folder, application) pair and what happens to it and its gateways.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupPlan {
    /// The shared folder name.
    pub folder: String,
    /// The application title.
    pub app: String,
    /// Steps 1–3.
    pub steps: GroupSteps,
    /// Step 4, per gateway of the manifest.
    pub gateways: Vec<(ProvisionInputs, GatewayStep)>,
    /// Step 5 of each gateway of `gateways` (same order), when it asks for a PAM configuration.
    pub pam_configs: Vec<Option<PamConfigStep>>,
    /// `--prune`: gateways of the application the manifest no longer lists.
    pub removals: Vec<ObservedGateway>,
}

/// The whole run, decided before any change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FleetPlan {
    /// Groups in manifest order.
    pub groups: Vec<GroupPlan>,
    /// What the account's policy holds back.
    pub warnings: Vec<String>,
}

/// Decides every step of every gateway. `prune` adds the removal of the gateways of the
/// manifest's applications that it does not list.
pub fn make_fleet_plan(
    desired: &[ProvisionInputs],
    observed: &FleetObservation,
    prune: bool,
) -> Result<FleetPlan, PlanError> {
    let base = &observed.observation.observed;
    let mut groups: Vec<GroupPlan> = Vec::new();
    let mut pruned_apps = BTreeSet::new();
    let mut warnings = policy_warnings(&base.policy);
    for inputs in desired {
        let (folder, app) = (inputs.shared_folder.as_str(), inputs.application.as_str());
        let index = match groups
            .iter()
            .position(|g| g.folder == folder && g.app == app)
        {
            Some(index) => index,
            None => {
                let steps = group_steps(folder, app, base, &observed.apps)?;
                let removals = match (&steps.application, prune) {
                    (Step::Reuse(uid), true) if pruned_apps.insert(*uid) => {
                        unlisted(desired, app, observed.apps.get(uid))
                    }
                    _ => Vec::new(),
                };
                groups.push(GroupPlan {
                    folder: folder.to_owned(),
                    app: app.to_owned(),
                    steps,
                    gateways: Vec::new(),
                    pam_configs: Vec::new(),
                    removals,
                });
                groups.len() - 1
            }
        };
        let group = &mut groups[index];
        let (gateways, kept) = match &group.steps.application {
            Step::Reuse(uid) => (
                observed.apps.get(uid).map(|(_, g)| g.as_slice()),
                observed
                    .kept
                    .get(&(*uid, inputs.gateway.as_str().to_lowercase())),
            ),
            Step::Create => (None, None),
        };
        let step = plan_gateway(
            inputs,
            &group.steps.application,
            gateways.unwrap_or_default(),
            kept,
            ExistingGateway::Reuse,
        )?;
        let pam_step = match &inputs.pam_config {
            Some(wanted) => {
                let ours = find_gateway(gateways.unwrap_or_default(), inputs.gateway.as_str())
                    .and_then(|g| g.controller_uid);
                let found = observed
                    .pam_configs
                    .get(wanted.title.as_str())
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                let (pam_step, more) = plan_pam_config(inputs, wanted, &step, ours, found)?;
                check_rotation_policy(wanted, &pam_step, &base.policy)?;
                warnings.extend(more);
                Some(pam_step)
            }
            None => None,
        };
        group.gateways.push((inputs.clone(), step));
        group.pam_configs.push(pam_step);
    }
    let changes_gateway = groups.iter().any(|g| {
        !g.removals.is_empty()
            || g.gateways
                .iter()
                .any(|(_, step)| !matches!(step, GatewayStep::KeepExisting(_)))
    });
    let changes_ksm = changes_gateway
        || groups
            .iter()
            .any(|g| g.steps.application == Step::Create || g.steps.share != Action::Reused);
    check_policy(changes_ksm, changes_gateway, &base.policy)?;
    Ok(FleetPlan { groups, warnings })
}

fn group_steps(
    folder: &str,
    app: &str,
    base: &Observed,
    apps: &HashMap<Uid, (HashMap<Uid, bool>, Vec<ObservedGateway>)>,
) -> Result<GroupSteps, PlanError> {
    let folder_uid = unique(
        base.folders
            .iter()
            .filter(|f| f.at_root && f.name == folder)
            .map(|f| f.uid),
    );
    let app_uid = unique(
        base.applications
            .iter()
            .filter(|a| a.title == app)
            .map(|a| a.uid),
    );
    let share_editable = match (folder_uid, app_uid) {
        (Some(f), Some(a)) => apps.get(&a).and_then(|(shares, _)| shares.get(&f).copied()),
        _ => None,
    };
    let observed = Observed {
        share_editable,
        ..base.clone()
    };
    plan_group(folder, app, &observed)
}

fn unique(mut uids: impl Iterator<Item = Uid>) -> Option<Uid> {
    match (uids.next(), uids.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

/// The gateways of application `app` that the manifest does not list (names compare
/// case-insensitively, as everywhere).
fn unlisted(
    desired: &[ProvisionInputs],
    app: &str,
    observed: Option<&(HashMap<Uid, bool>, Vec<ObservedGateway>)>,
) -> Vec<ObservedGateway> {
    let listed: BTreeSet<String> = desired
        .iter()
        .filter(|d| d.application.as_str() == app)
        .map(|d| d.gateway.as_str().to_lowercase())
        .collect();
    let names: BTreeSet<String> = observed
        .map(|(_, gateways)| gateways.iter().map(|g| g.name.to_lowercase()).collect())
        .unwrap_or_default();
    names
        .into_iter()
        .filter(|name| !listed.contains(name))
        .filter_map(|name| find_gateway(&observed?.1, &name))
        .collect()
}

fn one_line(error: &ProvisionError) -> String {
    error.to_string().replace('\n', " ")
}

/// Carries out the plan: every gateway that can be provisioned is; a failure is reported on its
/// gateway (or on its group's gateways when the group's own steps failed) and the run goes on.
pub async fn execute(
    session: &Session,
    observed: &mut FleetObservation,
    plan: &FleetPlan,
    redeem: &RedeemOptions,
    keeper: &dyn TokenKeeper,
    progress: &dyn Progress,
) -> FleetOutcome {
    let mut outcome = FleetOutcome {
        warnings: plan.warnings.clone(),
        ..FleetOutcome::default()
    };
    for group in &plan.groups {
        let mut done = Done::default();
        let ensured = ensure_group(
            session,
            &mut observed.observation,
            (&group.folder, &group.app),
            &group.steps,
            (&mut done, &mut outcome.notes),
            progress,
        )
        .await;
        let ensured = match ensured {
            Ok(ensured) => ensured,
            Err(e) => {
                let why = one_line(&e);
                outcome.groups.push(GroupReport {
                    folder: (
                        group.folder.clone(),
                        group.steps.shared_folder.action(),
                        None,
                    ),
                    app: (group.app.clone(), group.steps.application.action(), None),
                    share: group.steps.share,
                    error: Some(why.clone()),
                });
                for (inputs, step) in &group.gateways {
                    let mut failed = report(inputs, step.action(), None);
                    failed.error = Some(why.clone());
                    outcome.gateways.push(failed);
                }
                continue;
            }
        };
        outcome.groups.push(GroupReport {
            folder: (
                ensured.folder.name.clone(),
                ensured.folder_action,
                Some(ensured.folder.uid),
            ),
            app: (
                ensured.app.title.clone(),
                ensured.app_action,
                Some(ensured.app.uid),
            ),
            share: ensured.share_action,
            error: None,
        });
        let app = &ensured.app;

        progress.started(StepKind::Gateway);
        let prekept = keep_new_tokens(session, app, &group.gateways, keeper);
        progress.gateways_started(group.gateways.len());
        let mut minted: Vec<(usize, Result<Minted, ProvisionError>, Vec<String>)> =
            stream::iter(group.gateways.iter().zip(prekept).enumerate())
                .map(|(index, ((inputs, step), prekept))| async move {
                    let (mut done, mut notes) = (Done::default(), Vec::new());
                    let prekept = match prekept {
                        Prekept::Token(kept) => Some(kept),
                        Prekept::Failed(e) => {
                            progress.gateway_done();
                            return (index, Err(done.fail(StepKind::Gateway, e)), notes);
                        }
                        Prekept::No => None,
                    };
                    let result = gateway_step(
                        session,
                        app,
                        (inputs, step, prekept),
                        keeper,
                        (&mut done, &mut notes),
                        Verify::Later,
                    )
                    .await;
                    progress.gateway_done();
                    (index, result, notes)
                })
                .buffer_unordered(CONCURRENCY)
                .collect()
                .await;
        minted.sort_by_key(|(index, _, _)| *index);
        settle_gateway_twins(session, app, &mut minted, keeper).await;

        let reports = stream::iter(minted.into_iter().zip(&group.gateways))
            .map(|((_, result, notes), (inputs, step))| async move {
                let mut one = report(inputs, step.action(), Some(app.uid));
                one.notes = notes;
                match result {
                    Err(e) => one.error = Some(one_line(&e)),
                    Ok(Minted::Kept(uid)) => {
                        one.uid = uid;
                        if inputs.existing {
                            let rendered = credential(inputs.os, None, redeem, &super::Silent).await;
                            one.install = rendered.ok().map(|(_, install)| install);
                        } else {
                            one.notes.push("already provisioned: its one-time token was shown when it was created and cannot be shown again (re-mint it with --replace NAME)".into());
                        }
                    }
                    Ok(Minted::Token {
                        token, expires_at, ..
                    }) => match credential(inputs.os, Some(&token), redeem, &super::Silent).await {
                        Ok((config, install)) => {
                            one.config = config;
                            one.install = Some(install);
                            one.token = Some(token);
                            one.token_expires_at = Some(expires_at);
                        }
                        Err(e) => {
                            one.error = Some(format!(
                                "the gateway was created, but its config could not be made ({}); re-run to finish it with the kept token",
                                one_line(&e)
                            ));
                        }
                    },
                }
                one
            })
            .buffered(CONCURRENCY)
            .collect::<Vec<_>>()
            .await;
        for one in reports.iter().filter(|one| one.error.is_none()) {
            progress.finished(StepKind::Gateway, one.action, &one.name);
        }
        let mut reports = reports;
        pam_configs_of_group(session, group, &ensured, observed, &mut reports, progress).await;
        outcome.gateways.extend(reports);

        let removed = stream::iter(&group.removals)
            .map(|gone| async move {
                let mut one = removal_report(group, gone, Action::Removed);
                if let Err(e) = remove_gateway(session, &app.uid, gone).await {
                    one.error = Some(one_line(&e));
                } else {
                    keeper.forget(&app.uid, &gone.name);
                }
                one
            })
            .buffered(CONCURRENCY)
            .collect::<Vec<_>>()
            .await;
        outcome.gateways.extend(removed);
    }
    outcome.name_hosts();
    outcome
}

/// A group's token for one gateway, kept before the group's first `app_client_add`.
enum Prekept {
    /// Kept with the others: `gateway_step` uses it.
    Token(KeptToken),
    /// The one durable write failed, so this gateway is not started.
    Failed(KeepError),
    /// Not a plain create (a replacement forgets the old gateway's token first, so it keeps
    /// its own new one afterwards), or nothing to mint.
    No,
}

/// Makes the tokens of the group's new gateways and keeps them all in one durable write, so a
/// thousand gateways cost one file system sync instead of a thousand.
fn keep_new_tokens(
    session: &Session,
    app: &crate::keeper::vault::Application,
    gateways: &[(ProvisionInputs, GatewayStep)],
    keeper: &dyn TokenKeeper,
) -> Vec<Prekept> {
    let tokens: Vec<Option<KeptToken>> = gateways
        .iter()
        .map(|(inputs, step)| {
            matches!(step, GatewayStep::Create).then(|| new_token(session, app, inputs))
        })
        .collect();
    let all: Vec<KeptToken> = tokens.iter().flatten().cloned().collect();
    let failure = if all.is_empty() {
        None
    } else {
        keeper.keep_all(&all).err()
    };
    tokens
        .into_iter()
        .map(|token| match (token, &failure) {
            (None, _) => Prekept::No,
            (Some(_), Some(e)) => Prekept::Failed(e.clone()),
            (Some(kept), None) => Prekept::Token(kept),
        })
        .collect()
}

/// Step 5 for the group's gateways that ask for a PAM configuration and were provisioned: one
/// controller UID look-up each (the gateway step leaves one gateway per name), then the step
/// itself; a failure is reported on its gateway.
async fn pam_configs_of_group(
    session: &Session,
    group: &GroupPlan,
    ensured: &super::execute::EnsuredGroup,
    observed: &FleetObservation,
    reports: &mut [GatewayReport],
    progress: &dyn Progress,
) {
    let planned = group.gateways.iter().zip(&group.pam_configs);
    for (one, ((inputs, _), step)) in reports.iter_mut().zip(planned) {
        let (Some(wanted), Some(step)) = (&inputs.pam_config, step) else {
            continue;
        };
        if one.error.is_some() {
            continue;
        }
        progress.started(StepKind::PamConfig);
        let controller = match one.uid {
            Some(uid) if !step.writes() => Ok(Some(uid)),
            _ => controller_uid(session, &ensured.app.uid, inputs.gateway.as_str()).await,
        };
        let controller = match controller {
            Ok(Some(uid)) => uid,
            Ok(None) => {
                one.error = Some(format!(
                    "PAM configuration '{}': gateway '{}' is not listed by pam/get_controllers",
                    wanted.title, inputs.gateway
                ));
                continue;
            }
            Err(e) => {
                one.error = Some(one_line(&ProvisionError::from(e)));
                continue;
            }
        };
        one.uid = Some(controller);
        let mut done = Done::default();
        match ensure_pam_config(
            session,
            wanted,
            step,
            (&ensured.folder, &controller),
            &observed.observation.snapshot,
            &mut done,
        )
        .await
        {
            Ok(made) => {
                progress.finished(StepKind::PamConfig, made.action, wanted.title.as_str());
                one.pam_config = Some(made);
            }
            Err(e) => one.error = Some(one_line(&e)),
        }
    }
}

/// The twin check of [`gateway_step`], once for all gateways this run added to `app`: one
/// `get_app_info`; a gateway of ours that lost to an older one of the same name (a concurrent
/// run) is removed and reported as a conflict.
async fn settle_gateway_twins(
    session: &Session,
    app: &crate::keeper::vault::Application,
    minted: &mut [(usize, Result<Minted, ProvisionError>, Vec<String>)],
    keeper: &dyn TokenKeeper,
) {
    let added: Vec<&Vec<u8>> = minted
        .iter()
        .filter_map(|(_, result, _)| match result {
            Ok(Minted::Token {
                added: Some(id), ..
            }) => Some(id),
            _ => None,
        })
        .collect();
    if added.is_empty() {
        return;
    }
    let clients = match ksm::get_app_info(session, &app.uid).await {
        Ok(info) => gateway_clients(&info),
        // Not fatal: the gateways exist and their tokens are kept; a later run's check (or
        // `new`'s) settles any twin. Say so rather than fail the gateways.
        Err(e) => {
            tracing::warn!("could not look for twins of the new gateways: {e}");
            return;
        }
    };
    let mut losers = Vec::new();
    for (_, result, _) in minted.iter_mut() {
        let (name, id) = match result {
            Ok(Minted::Token {
                added: Some(id), ..
            }) => (token_owner(&clients, id), id.clone()),
            _ => continue,
        };
        let Some(name) = name else { continue };
        if lost_to_twin(&clients, &name, &id) {
            losers.push(id);
            keeper.forget(&app.uid, &name);
            *result = Err(PlanError::GatewayExists {
                name,
                application: app.title.clone(),
            }
            .into());
        }
    }
    if !losers.is_empty() {
        if let Err(e) = ksm::remove_clients(session, &app.uid, &losers).await {
            tracing::warn!("could not remove gateways that lost to a twin: {e}");
        }
    }
}

/// The name of the client with id `id`.
fn token_owner(clients: &[ObservedGateway], id: &[u8]) -> Option<String> {
    clients
        .iter()
        .find(|c| c.client_id.as_deref() == Some(id))
        .map(|c| c.name.clone())
}
