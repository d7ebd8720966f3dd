//! The provisioning plan: what exists, what will be created, reused, updated or replaced.
//!
//! Planning is pure: it looks at what the vault holds (an [`Observed`]) and the user's
//! [`ProvisionInputs`], and decides every step before anything is changed. That is what makes
//! `--dry-run` honest and lets a conflict stop the run before the first write.

use super::inputs::{ProvisionInputs, TargetOs};
use super::pam_config::{check_rotation_policy, plan_pam_config, ObservedPamConfig, PamConfigStep};
use crate::keeper::auth::policy::{
    AccountPolicy, ALLOW_PAM_GATEWAY, ALLOW_ROTATE_CREDENTIALS, ALLOW_SECRETS_MANAGER,
};
use crate::keeper::uid::Uid;
use serde::Serialize;

/// What one step did, or would do under `--dry-run`. Serialized as in the JSON output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Made new.
    Created,
    /// Already there, left alone.
    Reused,
    /// Already there, changed (a read-only share made editable).
    Updated,
    /// Removed and made anew (`--replace`).
    Replaced,
    /// Dry run: would be made new.
    WouldCreate,
    /// Dry run: already there, would be left alone.
    WouldReuse,
    /// Dry run: would be changed.
    WouldUpdate,
    /// Dry run: would be removed and made anew.
    WouldReplace,
    /// Removed (`apply --prune`).
    Removed,
    /// Dry run: would be removed.
    WouldRemove,
}

impl Action {
    /// The dry-run form of this action.
    pub fn hypothetical(self) -> Action {
        match self {
            Action::Created | Action::WouldCreate => Action::WouldCreate,
            Action::Reused | Action::WouldReuse => Action::WouldReuse,
            Action::Updated | Action::WouldUpdate => Action::WouldUpdate,
            Action::Replaced | Action::WouldReplace => Action::WouldReplace,
            Action::Removed | Action::WouldRemove => Action::WouldRemove,
        }
    }

    /// The word shown in text output.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Created => "created",
            Action::Reused => "reused",
            Action::Updated => "updated",
            Action::Replaced => "replaced",
            Action::WouldCreate => "would create",
            Action::WouldReuse => "would reuse",
            Action::WouldUpdate => "would update",
            Action::WouldReplace => "would replace",
            Action::Removed => "removed",
            Action::WouldRemove => "would remove",
        }
    }
}

/// A shared folder the vault already holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedFolder {
    /// Its UID.
    pub uid: Uid,
    /// Its decrypted name.
    pub name: String,
    /// Whether it sits at the vault root.
    pub at_root: bool,
    /// The sync revision it was written at (orders twins: the lower is the older).
    pub revision: i64,
}

/// A KSM application the vault already holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedApplication {
    /// Its record UID.
    pub uid: Uid,
    /// Its title.
    pub title: String,
    /// The sync revision it was written at (orders twins: the lower is the older).
    pub revision: i64,
}

/// A gateway (KSM client of the discovery-and-rotation controller type) in the chosen
/// application, as `get_app_info` lists it; ordinary KSM clients never match a gateway name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedGateway {
    /// Its name.
    pub name: String,
    /// Controller UID, when `pam/get_controllers` listed it.
    pub controller_uid: Option<Uid>,
    /// KSM client id, when `get_app_info` listed it.
    pub client_id: Option<Vec<u8>>,
    /// Whether a gateway has redeemed its token.
    pub initialized: bool,
    /// When it was added (ms since the epoch; 0 = unknown).
    pub created_ms: i64,
}

/// What the vault holds that bears on the plan.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observed {
    /// Every shared folder.
    pub folders: Vec<ObservedFolder>,
    /// Every KSM application.
    pub applications: Vec<ObservedApplication>,
    /// The chosen application's share of the chosen folder: `None` when there is none,
    /// else whether it is editable. Only meaningful when both exist.
    pub share_editable: Option<bool>,
    /// Gateways of the chosen application.
    pub gateways: Vec<ObservedGateway>,
    /// The account's enterprise role enforcements.
    pub policy: AccountPolicy,
    /// A token this machine kept for the chosen gateway and never showed (see `provision::kept`).
    pub kept: Option<KeptGateway>,
    /// PAM configurations titled as asked (only looked for when one is asked for).
    pub pam_configs: Vec<ObservedPamConfig>,
    /// The chosen gateway's controller UID, looked up when a PAM configuration may need it.
    pub gateway_controller: Option<Uid>,
}

/// What the plan needs to know of a kept token: which client it belongs to, and whether it
/// can still be redeemed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeptGateway {
    /// The KSM client id of the kept token.
    pub client_id: Vec<u8>,
    /// Whether its first-access window has passed.
    pub expired: bool,
}

/// Why no plan could be made; each maps to a documented exit code.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    /// A gateway of this name exists and `--replace` was not given.
    #[error("a gateway named '{name}' already exists in application '{application}'")]
    GatewayExists {
        /// The gateway name.
        name: String,
        /// The application title.
        application: String,
    },
    /// `--existing` names a gateway that is not there.
    #[error("no gateway named '{name}' exists in application '{application}'")]
    GatewayMissing {
        /// The gateway name.
        name: String,
        /// The application title.
        application: String,
    },
    /// `--existing` cannot produce a Docker or Kubernetes config: that needs a new token.
    #[error("--existing does not apply to {os}: a {os} gateway config needs a new one-time token")]
    ExistingNeedsToken {
        /// The target.
        os: TargetOs,
    },
    /// A PAM configuration with the title exists for another gateway (or environment).
    #[error("a PAM configuration titled '{title}' already exists: {reason}")]
    PamConfigurationConflict {
        /// The title.
        title: String,
        /// Why it cannot be reused.
        reason: String,
    },
    /// The account's enterprise role does not allow a step the plan needs.
    #[error("{what} is not allowed by your enterprise role enforcement ({enforcement}); nothing was changed")]
    NotAllowed {
        /// What the plan needed, in words ("Keeper Secrets Manager", "Gateway management").
        what: &'static str,
        /// The enforcement key that is missing or off.
        enforcement: &'static str,
    },
}

impl PlanError {
    /// For a policy refusal: the Admin Console setting that would allow it.
    pub fn admin_console_hint(&self) -> Option<String> {
        match self {
            PlanError::NotAllowed { enforcement, .. } => Some(format!(
                "ask a Keeper administrator to turn on {} for your role (Admin Console > Admin > Roles > Enforcement Policies > {})",
                admin_console_label(enforcement),
                admin_console_section(enforcement)
            )),
            _ => None,
        }
    }
}

/// The Admin Console's name for an enforcement, as the role policy screen shows it.
fn admin_console_label(enforcement: &str) -> &'static str {
    match enforcement {
        ALLOW_SECRETS_MANAGER => {
            "\"Can create applications and manage secrets\" (ALLOW_SECRETS_MANAGER)"
        }
        ALLOW_PAM_GATEWAY => {
            "\"Can create, deploy, and manage Keeper Gateways\" (ALLOW_PAM_GATEWAY)"
        }
        ALLOW_ROTATE_CREDENTIALS => "\"Can rotate credentials\" (ALLOW_ROTATE_CREDENTIALS)",
        _ => "the enforcement",
    }
}

fn admin_console_section(enforcement: &str) -> &'static str {
    match enforcement {
        ALLOW_SECRETS_MANAGER => "Vault Features",
        _ => "Privileged Access Manager",
    }
}

/// Checks the role enforcements the plan's changes need, with Commander's semantics: the
/// gateway step needs `allow_pam_gateway` (Commander's `pam gateway new`/`remove` gate) and every
/// Secrets Manager change `allow_secrets_manager`. A plan that changes nothing needs neither.
fn preflight(plan: &Plan, policy: &AccountPolicy) -> Result<(), PlanError> {
    let changes_gateway = !matches!(plan.gateway, GatewayStep::KeepExisting(_));
    let changes_ksm =
        plan.application == Step::Create || plan.share != Action::Reused || changes_gateway;
    check_policy(changes_ksm, changes_gateway, policy)
}

/// The enforcements a set of changes needs: `allow_secrets_manager` for any Secrets Manager
/// change, `allow_pam_gateway` for adding, replacing or removing a gateway.
pub fn check_policy(
    changes_ksm: bool,
    changes_gateway: bool,
    policy: &AccountPolicy,
) -> Result<(), PlanError> {
    if changes_ksm && !policy.allows(ALLOW_SECRETS_MANAGER) {
        return Err(PlanError::NotAllowed {
            what: "Keeper Secrets Manager",
            enforcement: ALLOW_SECRETS_MANAGER,
        });
    }
    if changes_gateway {
        require_gateway_management(policy, false)?;
    }
    Ok(())
}

/// Refuses unless the role allows gateway management (`allow_pam_gateway`, Commander's gate
/// before `pam gateway new`/`remove`) and, with `with_secrets_manager`, Secrets Manager too —
/// for the checks made before any question or request.
pub fn require_gateway_management(
    policy: &AccountPolicy,
    with_secrets_manager: bool,
) -> Result<(), PlanError> {
    if with_secrets_manager && !policy.allows(ALLOW_SECRETS_MANAGER) {
        return Err(PlanError::NotAllowed {
            what: "Keeper Secrets Manager",
            enforcement: ALLOW_SECRETS_MANAGER,
        });
    }
    if !policy.allows(ALLOW_PAM_GATEWAY) {
        return Err(PlanError::NotAllowed {
            what: "Gateway management",
            enforcement: ALLOW_PAM_GATEWAY,
        });
    }
    Ok(())
}

/// What the account's role will hold back although provisioning can go on, said up front.
pub fn policy_warnings(policy: &AccountPolicy) -> Vec<String> {
    let mut warnings = Vec::new();
    if !policy.allows_rotation() {
        warnings.push(format!(
            "your role lacks {ALLOW_ROTATE_CREDENTIALS}: the gateway can be provisioned, but it cannot rotate passwords until an administrator allows rotation"
        ));
    }
    warnings
}

/// The decided steps, in execution order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The inputs the plan was made for.
    pub inputs: ProvisionInputs,
    /// Step 1.
    pub shared_folder: Step<Uid>,
    /// Step 2.
    pub application: Step<Uid>,
    /// Step 3: the share's action (`Created`, `Updated` or `Reused`).
    pub share: Action,
    /// Step 4.
    pub gateway: GatewayStep,
    /// Step 5, when a PAM configuration is asked for.
    pub pam_config: Option<PamConfigStep>,
    /// What the account's policy will hold back (said before anything changes).
    pub warnings: Vec<String>,
}

/// A step that reuses an existing object or creates one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step<T> {
    /// Reuse the object with this id.
    Reuse(T),
    /// Create it.
    Create,
}

impl<T> Step<T> {
    /// The action this step takes when executed.
    pub fn action(&self) -> Action {
        match self {
            Step::Reuse(_) => Action::Reused,
            Step::Create => Action::Created,
        }
    }
}

/// What happens to the gateway.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GatewayStep {
    /// Add a new gateway client and mint its token.
    Create,
    /// Remove this gateway, then add a new one (`--replace`).
    Replace(ObservedGateway),
    /// Leave this gateway alone and print the upgrade command (`--existing`).
    KeepExisting(ObservedGateway),
    /// An earlier run on this machine created this gateway and never showed its token (a lost
    /// reply, a failed redeem): show the kept token now.
    Finish(ObservedGateway),
    /// Like `Finish`, but the kept token expired (or was spent by a failed redeem): the gateway
    /// nobody ever received is replaced by a new one, with no question asked.
    ReplaceUnshown(ObservedGateway),
}

impl GatewayStep {
    /// The action this step takes when executed.
    pub fn action(&self) -> Action {
        match self {
            GatewayStep::Create | GatewayStep::Finish(_) => Action::Created,
            GatewayStep::Replace(_) | GatewayStep::ReplaceUnshown(_) => Action::Replaced,
            GatewayStep::KeepExisting(_) => Action::Reused,
        }
    }
}

/// Decides every step. Nothing is written; a conflict is reported before any change.
pub fn make_plan(inputs: &ProvisionInputs, observed: &Observed) -> Result<Plan, PlanError> {
    if inputs.existing && inputs.os.needs_config() {
        return Err(PlanError::ExistingNeedsToken { os: inputs.os });
    }
    let group = plan_group(
        inputs.shared_folder.as_str(),
        inputs.application.as_str(),
        observed,
    )?;
    let gateway = plan_gateway(
        inputs,
        &group.application,
        &observed.gateways,
        observed.kept.as_ref(),
        ExistingGateway::Conflict,
    )?;
    let mut warnings: Vec<String> = policy_warnings(&observed.policy)
        .into_iter()
        .chain(group.warnings)
        .collect();
    let pam_config = match &inputs.pam_config {
        Some(wanted) => {
            let (step, more) = plan_pam_config(
                inputs,
                wanted,
                &gateway,
                observed.gateway_controller,
                &observed.pam_configs,
            )?;
            check_rotation_policy(wanted, &step, &observed.policy)?;
            warnings.extend(more);
            Some(step)
        }
        None => None,
    };
    let plan = Plan {
        inputs: inputs.clone(),
        shared_folder: group.shared_folder,
        application: group.application,
        share: group.share,
        gateway,
        pam_config,
        warnings,
    };
    preflight(&plan, &observed.policy)?;
    Ok(plan)
}

/// The steps shared by every gateway of one (shared folder, application) pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupSteps {
    /// Step 1.
    pub shared_folder: Step<Uid>,
    /// Step 2.
    pub application: Step<Uid>,
    /// Step 3: the share's action (`Created`, `Updated` or `Reused`).
    pub share: Action,
    /// Twins found and settled (the oldest is used), said before anything changes.
    pub warnings: Vec<String>,
}

/// Decides the folder, application and share steps of one (folder, application) pair;
/// `observed.share_editable` must describe this pair.
pub fn plan_group(
    folder_name: &str,
    app_title: &str,
    observed: &Observed,
) -> Result<GroupSteps, PlanError> {
    let folders: Vec<&ObservedFolder> = observed
        .folders
        .iter()
        .filter(|f| f.at_root && f.name == folder_name)
        .collect();
    let mut warnings = Vec::new();
    // Twins (made by a race, or by a person) are settled the way every run settles them: the
    // oldest, then the lowest UID, is used (see `provision::converge`).
    let shared_folder = match oldest(folders.iter().map(|f| (f.uid, f.revision))) {
        None => Step::Create,
        Some(uid) => {
            if folders.len() > 1 {
                warnings.push(format!(
                    "{} shared folders are named '{folder_name}' at the vault root; using the oldest ({uid})",
                    folders.len()
                ));
            }
            Step::Reuse(uid)
        }
    };

    let apps: Vec<&ObservedApplication> = observed
        .applications
        .iter()
        .filter(|a| a.title == app_title)
        .collect();
    let application = match oldest(apps.iter().map(|a| (a.uid, a.revision))) {
        None => Step::Create,
        Some(uid) => {
            if apps.len() > 1 {
                warnings.push(format!(
                    "{} KSM applications are titled '{app_title}'; using the oldest ({uid})",
                    apps.len()
                ));
            }
            Step::Reuse(uid)
        }
    };

    // A share can only exist when both the folder and the application already do.
    let share = match (&shared_folder, &application, observed.share_editable) {
        (Step::Reuse(_), Step::Reuse(_), Some(true)) => Action::Reused,
        (Step::Reuse(_), Step::Reuse(_), Some(false)) => Action::Updated,
        _ => Action::Created,
    };
    Ok(GroupSteps {
        shared_folder,
        application,
        share,
        warnings,
    })
}

/// What a gateway that exists already (and was not asked to be replaced) means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExistingGateway {
    /// `new`: a conflict (exit 4) unless `--replace` or `--existing`.
    Conflict,
    /// `apply`: the desired state holds already; reuse it (its token cannot be shown again).
    Reuse,
}

/// Decides the gateway step for `inputs` given the application's gateways and the token this
/// machine kept for it, if any.
pub fn plan_gateway(
    inputs: &ProvisionInputs,
    application: &Step<Uid>,
    gateways: &[ObservedGateway],
    kept: Option<&KeptGateway>,
    when_exists: ExistingGateway,
) -> Result<GatewayStep, PlanError> {
    let app_title = inputs.application.as_str();
    let existing_gateway = match application {
        Step::Reuse(_) => find_gateway(gateways, inputs.gateway.as_str()),
        Step::Create => None,
    };
    let kept = existing_gateway
        .as_ref()
        .and_then(|found| kept.filter(|k| found.client_id.as_ref() == Some(&k.client_id)));
    Ok(match (existing_gateway, inputs.existing, inputs.replace) {
        (Some(found), true, _) => GatewayStep::KeepExisting(found),
        (Some(found), false, false) if kept.is_some() => {
            if kept.is_some_and(|k| k.expired) || found.initialized {
                GatewayStep::ReplaceUnshown(found)
            } else {
                GatewayStep::Finish(found)
            }
        }
        (None, true, _) => {
            return Err(PlanError::GatewayMissing {
                name: inputs.gateway.to_string(),
                application: app_title.to_string(),
            })
        }
        (Some(found), false, true) => GatewayStep::Replace(found),
        (Some(found), false, false) if when_exists == ExistingGateway::Reuse => {
            GatewayStep::KeepExisting(found)
        }
        (Some(_), false, false) => {
            return Err(PlanError::GatewayExists {
                name: inputs.gateway.to_string(),
                application: app_title.to_string(),
            })
        }
        (None, false, _) => GatewayStep::Create,
    })
}

/// The oldest of objects named alike: lowest revision, then lowest UID.
fn oldest(candidates: impl Iterator<Item = (Uid, i64)>) -> Option<Uid> {
    candidates
        .min_by_key(|(uid, revision)| (*revision, *uid))
        .map(|(uid, _)| uid)
}

/// Gateway names compare case-insensitively, as Commander's `pam gateway` commands do, so that
/// `Edge-1` and `edge-1` are not provisioned side by side by accident.
pub fn find_gateway(gateways: &[ObservedGateway], name: &str) -> Option<ObservedGateway> {
    let lower = name.to_lowercase();
    let mut matching = gateways.iter().filter(|g| g.name.to_lowercase() == lower);
    let first = matching.next()?.clone();
    // The same gateway may be listed twice (as a KSM client and as a controller): merge them.
    Some(matching.fold(first, |mut merged, other| {
        merged.controller_uid = merged.controller_uid.or(other.controller_uid);
        if merged.client_id.is_none() {
            merged.client_id = other.client_id.clone();
        }
        merged.initialized |= other.initialized;
        merged.created_ms = merged.created_ms.max(other.created_ms);
        merged
    }))
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
