//! Looking at the vault, and carrying out a [`Plan`] step by step.
//!
//! Each step is a single Keeper call that either happens or not, so a run cut short (an error,
//! Ctrl-C) leaves whole objects behind; the next run observes them and reuses them.

use super::inputs::{ProvisionInputs, TargetOs};
use super::install::{self, GatewayCredential, InstallInstructions};
use super::plan::{make_plan, Action, GatewayStep, Observed, ObservedApplication};
use super::plan::{ObservedFolder, ObservedGateway, Plan, PlanError, Step};
use crate::keeper::auth::Session;
use crate::keeper::ksm::{self, KsmConfig, KsmError, OneTimeToken, RedeemOptions};
use crate::keeper::pam::{self, PamError};
use crate::keeper::proto::enterprise::AppClientType;
use crate::keeper::uid::Uid;
use crate::keeper::vault::VaultSnapshot;
use crate::keeper::vault::{self, Application, DefaultPermissions, SharedFolder, VaultError};

/// The steps of the flow, for progress display and error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepKind {
    /// Reading the vault (sync, app info, gateways).
    Observe,
    /// Step 1.
    SharedFolder,
    /// Step 2.
    Application,
    /// Step 3.
    Share,
    /// Step 4.
    Gateway,
    /// Redeeming the token into a gateway config (docker/kubernetes).
    Config,
}

impl StepKind {
    /// What the step does, as shown next to a spinner.
    pub fn describe(self) -> &'static str {
        match self {
            StepKind::Observe => "Reading the vault",
            StepKind::SharedFolder => "Shared folder",
            StepKind::Application => "KSM application",
            StepKind::Share => "Can Edit share",
            StepKind::Gateway => "Gateway",
            StepKind::Config => "Gateway config",
        }
    }
}

/// Receives progress; the CLI draws spinners with it, tests and JSON mode ignore it.
pub trait Progress {
    /// A step began.
    fn started(&self, step: StepKind);
    /// A step finished with `action`, describing the object (e.g. its name).
    fn finished(&self, step: StepKind, action: Action, detail: &str);
}

/// A [`Progress`] that shows nothing.
pub struct Silent;

impl Progress for Silent {
    fn started(&self, _: StepKind) {}
    fn finished(&self, _: StepKind, _: Action, _: &str) {}
}

/// Why provisioning stopped.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    /// The plan could not be made (conflict, ambiguity, bad combination).
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// A vault call failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// A KSM call failed.
    #[error(transparent)]
    Ksm(#[from] KsmError),
    /// A PAM call failed.
    #[error(transparent)]
    Pam(#[from] PamError),
    /// A step failed after earlier steps changed the vault; they stay, and a re-run reuses them.
    #[error(
        "{step} failed: {source}\n{done}; re-run the same command to finish: it reuses what exists"
    )]
    Incomplete {
        /// The step that failed.
        step: &'static str,
        /// What the earlier steps made, as a sentence.
        done: String,
        /// The failure.
        source: Box<ProvisionError>,
    },
}

impl ProvisionError {
    /// The underlying failure, looking through [`ProvisionError::Incomplete`].
    pub fn root(&self) -> &ProvisionError {
        match self {
            ProvisionError::Incomplete { source, .. } => source.root(),
            other => other,
        }
    }
}

/// One object of the result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// Its UID (`None` in a dry run when it would be created).
    pub uid: Option<Uid>,
    /// Its name or title.
    pub name: String,
    /// What happened to it.
    pub action: Action,
}

/// The gateway part of the result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatewayOutcome {
    /// Its name.
    pub name: String,
    /// Its target.
    pub os: TargetOs,
    /// What happened to it.
    pub action: Action,
    /// Its controller UID when known.
    pub uid: Option<Uid>,
}

/// Everything a run produced.
#[derive(Debug)]
pub struct Outcome {
    /// Step 1.
    pub shared_folder: Resolved,
    /// Step 2.
    pub application: Resolved,
    /// Step 3.
    pub share_action: Action,
    /// Step 4.
    pub gateway: GatewayOutcome,
    /// The one-time access token (absent with `--existing` and in dry runs).
    pub token: Option<OneTimeToken>,
    /// When the token stops being redeemable.
    pub token_expires_at: Option<time::OffsetDateTime>,
    /// The base64 gateway config (docker/kubernetes).
    pub config: Option<KsmConfig>,
    /// What to run on the gateway host (absent in dry runs).
    pub install: Option<InstallInstructions>,
    /// What the account's policy holds back (e.g. rotation), from the plan.
    pub warnings: Vec<String>,
}

/// What the vault holds, with the keys the steps need.
pub struct Observation {
    snapshot: VaultSnapshot,
    observed: Observed,
}

impl Observation {
    /// The shared folders and applications found, for the wizard's pick lists.
    pub fn observed(&self) -> &Observed {
        &self.observed
    }
}

/// Syncs the vault: the shared folders and applications it holds, with their keys.
pub async fn sync(session: &Session) -> Result<Observation, ProvisionError> {
    let snapshot = vault::sync_down(session).await?;
    let observed = Observed {
        folders: snapshot
            .shared_folders
            .iter()
            .map(|f| ObservedFolder {
                uid: f.uid,
                name: f.name.clone(),
                at_root: f.at_root,
            })
            .collect(),
        applications: snapshot
            .applications
            .iter()
            .map(|a| ObservedApplication {
                uid: a.uid,
                title: a.title.clone(),
            })
            .collect(),
        policy: session.policy(),
        ..Observed::default()
    };
    Ok(Observation { snapshot, observed })
}

/// When the chosen application exists, reads its share of the chosen folder and its gateways.
pub async fn inspect(
    session: &Session,
    observation: &mut Observation,
    inputs: &ProvisionInputs,
) -> Result<(), ProvisionError> {
    let snapshot = &observation.snapshot;
    let observed = &mut observation.observed;
    let apps: Vec<&Application> = snapshot
        .applications
        .iter()
        .filter(|a| a.title == inputs.application.as_str())
        .collect();
    let [app] = apps.as_slice() else {
        // None: nothing to inspect; several: planning reports the ambiguity.
        return Ok(());
    };
    let info = ksm::get_app_info(session, &app.uid).await?;
    let folder = snapshot
        .shared_folders
        .iter()
        .find(|f| f.at_root && f.name == inputs.shared_folder.as_str());
    observed.share_editable = folder.and_then(|folder| {
        info.shares
            .iter()
            .find(|s| s.secret_uid == folder.uid)
            .map(|s| s.editable)
    });
    // Gateways are matched from the application's clients alone (no `pam/get_controllers`
    // before the first write, as Commander's `pam gateway new` needs none): only gateway-type
    // clients count, so an ordinary KSM device that shares a gateway's name is never touched.
    observed.gateways = gateway_clients(&info);
    Ok(())
}

/// The application's gateway-type clients (`DISCOVERY_AND_ROTATION_CONTROLLER`).
pub fn gateway_clients(info: &ksm::AppInfo) -> Vec<ObservedGateway> {
    info.clients
        .iter()
        .filter(|c| c.app_client_type == AppClientType::DiscoveryAndRotationController as i32)
        .map(|c| ObservedGateway {
            name: c.name.clone(),
            controller_uid: None,
            client_id: Some(c.client_id.clone()),
            initialized: c.first_access > 0,
            created_ms: c.created_on,
        })
        .collect()
}

/// Plans against an observation.
pub fn plan(observation: &Observation, inputs: &ProvisionInputs) -> Result<Plan, PlanError> {
    make_plan(inputs, &observation.observed)
}

/// The outcome a dry run reports: every action in its "would" form, no token.
pub fn dry_run(plan: &Plan) -> Outcome {
    let inputs = &plan.inputs;
    let folder_uid = match plan.shared_folder {
        Step::Reuse(uid) => Some(uid),
        Step::Create => None,
    };
    let app_uid = match plan.application {
        Step::Reuse(uid) => Some(uid),
        Step::Create => None,
    };
    Outcome {
        shared_folder: Resolved {
            uid: folder_uid,
            name: inputs.shared_folder.to_string(),
            action: plan.shared_folder.action().hypothetical(),
        },
        application: Resolved {
            uid: app_uid,
            name: inputs.application.to_string(),
            action: plan.application.action().hypothetical(),
        },
        share_action: plan.share.hypothetical(),
        gateway: GatewayOutcome {
            name: inputs.gateway.to_string(),
            os: inputs.os,
            action: plan.gateway.action().hypothetical(),
            uid: gateway_uid(&plan.gateway),
        },
        token: None,
        token_expires_at: None,
        config: None,
        install: None,
        warnings: plan.warnings.clone(),
    }
}

fn gateway_uid(step: &GatewayStep) -> Option<Uid> {
    match step {
        GatewayStep::KeepExisting(g) => g.controller_uid,
        GatewayStep::Create | GatewayStep::Replace(_) => None,
    }
}

/// Tracks what earlier steps changed, so a later failure can say what stays behind.
#[derive(Default)]
struct Done(Vec<String>);

impl Done {
    fn fail(&self, step: StepKind, error: impl Into<ProvisionError>) -> ProvisionError {
        let error = error.into();
        if self.0.is_empty() {
            return error;
        }
        ProvisionError::Incomplete {
            step: step.describe(),
            done: format!("Already done: {}", self.0.join(", ")),
            source: Box::new(error),
        }
    }
}

/// Carries out the plan. `redeem` is used only for docker/kubernetes targets.
pub async fn execute(
    session: &Session,
    observation: &Observation,
    plan: &Plan,
    redeem: &RedeemOptions,
    progress: &dyn Progress,
) -> Result<Outcome, ProvisionError> {
    let inputs = &plan.inputs;
    let mut done = Done::default();

    progress.started(StepKind::SharedFolder);
    let folder: SharedFolder = match plan.shared_folder {
        Step::Reuse(uid) => find_folder(&observation.snapshot, uid)?,
        Step::Create => {
            let created = vault::add_shared_folder(
                session,
                inputs.shared_folder.as_str(),
                DefaultPermissions::default(),
            )
            .await
            .map_err(|e| done.fail(StepKind::SharedFolder, e))?;
            done.0.push(format!(
                "created shared folder '{}' ({})",
                created.name, created.uid
            ));
            created
        }
    };
    progress.finished(
        StepKind::SharedFolder,
        plan.shared_folder.action(),
        &folder.name,
    );

    progress.started(StepKind::Application);
    let app: Application = match plan.application {
        Step::Reuse(uid) => find_application(&observation.snapshot, uid)?,
        Step::Create => {
            let created = ksm::add_application(session, inputs.application.as_str())
                .await
                .map_err(|e| done.fail(StepKind::Application, e))?;
            done.0.push(format!(
                "created application '{}' ({})",
                created.title, created.uid
            ));
            created
        }
    };
    progress.finished(StepKind::Application, plan.application.action(), &app.title);

    progress.started(StepKind::Share);
    match plan.share {
        Action::Reused => {}
        Action::Updated => {
            // Keeper has no "edit share" call: Commander and the SDK remove and re-add it.
            ksm::remove_shares(session, &app.uid, &[folder.uid])
                .await
                .map_err(|e| done.fail(StepKind::Share, e))?;
            ksm::share_folder(session, &app, &folder, true)
                .await
                .map_err(|e| {
                    done.0.push("removed the read-only share".to_string());
                    done.fail(StepKind::Share, e)
                })?;
            done.0.push("made the share Can Edit".to_string());
        }
        _ => {
            ksm::share_folder(session, &app, &folder, true)
                .await
                .map_err(|e| done.fail(StepKind::Share, e))?;
            done.0
                .push("shared the folder with the application (Can Edit)".to_string());
        }
    }
    progress.finished(StepKind::Share, plan.share, "Can Edit");

    progress.started(StepKind::Gateway);
    let mut token = None;
    let mut token_expires_at = None;
    let gateway_uid = match &plan.gateway {
        GatewayStep::KeepExisting(existing) => existing.controller_uid,
        step => {
            if let GatewayStep::Replace(old) = step {
                remove_gateway(session, &app.uid, old)
                    .await
                    .map_err(|e| done.fail(StepKind::Gateway, e))?;
                done.0
                    .push(format!("removed the old gateway '{}'", old.name));
            }
            let minted = ksm::add_gateway_client(
                session,
                &app,
                inputs.gateway.as_str(),
                inputs.token_expiry_minutes,
            )
            .await
            .map_err(|e| done.fail(StepKind::Gateway, e))?;
            done.0.push(format!("created gateway '{}'", inputs.gateway));
            token_expires_at = Some(minted.expires_at);
            token = Some(minted.token);
            // Keeper assigns the controller UID when the client is added but does not return it;
            // like Commander's `pam gateway new`, no extra request is spent to look it up.
            None
        }
    };
    progress.finished(
        StepKind::Gateway,
        plan.gateway.action(),
        inputs.gateway.as_str(),
    );

    let mut config = None;
    let install = match (&token, inputs.os.needs_config()) {
        (Some(token), true) => {
            progress.started(StepKind::Config);
            let redeemed = ksm::redeem(token, redeem)
                .await
                .map_err(|e| done.fail(StepKind::Config, e))?;
            let encoded = redeemed.to_base64();
            progress.finished(StepKind::Config, Action::Created, "base64");
            let install = install::render(inputs.os, GatewayCredential::Config(&encoded));
            config = Some(redeemed);
            install
        }
        (Some(token), false) => {
            install::render(inputs.os, GatewayCredential::Token(token.expose()))
        }
        (None, _) => install::render(inputs.os, GatewayCredential::Existing),
    };

    Ok(Outcome {
        shared_folder: Resolved {
            uid: Some(folder.uid),
            name: folder.name.clone(),
            action: plan.shared_folder.action(),
        },
        application: Resolved {
            uid: Some(app.uid),
            name: app.title.clone(),
            action: plan.application.action(),
        },
        share_action: plan.share,
        gateway: GatewayOutcome {
            name: inputs.gateway.to_string(),
            os: inputs.os,
            action: plan.gateway.action(),
            uid: gateway_uid,
        },
        token,
        token_expires_at,
        config,
        install: Some(install),
        warnings: plan.warnings.clone(),
    })
}

fn find_folder(snapshot: &VaultSnapshot, uid: Uid) -> Result<SharedFolder, ProvisionError> {
    snapshot
        .shared_folders
        .iter()
        .find(|f| f.uid == uid)
        .cloned()
        .ok_or(ProvisionError::Vault(VaultError::NotFound(format!(
            "shared folder {uid}"
        ))))
}

fn find_application(snapshot: &VaultSnapshot, uid: Uid) -> Result<Application, ProvisionError> {
    snapshot
        .applications
        .iter()
        .find(|a| a.uid == uid)
        .cloned()
        .ok_or(ProvisionError::Vault(VaultError::NotFound(format!(
            "application {uid}"
        ))))
}

/// Removes a gateway as Commander's `pam gateway remove` does: through `pam/remove_controller`.
/// Then the application's clients are read again, and only if the server left this gateway's
/// own KSM client behind (same client id, or the one gateway-type client of that name) is that
/// one client removed. A gateway known only as a client (no controller row) is removed as a
/// client.
pub async fn remove_gateway(
    session: &Session,
    app_uid: &Uid,
    gateway: &ObservedGateway,
) -> Result<(), ProvisionError> {
    let controller_uid = match gateway.controller_uid {
        Some(uid) => Some(uid),
        None => find_controller(session, app_uid, &gateway.name).await?,
    };
    if let Some(uid) = &controller_uid {
        pam::remove_controller(session, uid).await?;
    }
    let info = ksm::get_app_info(session, app_uid).await?;
    let lower = gateway.name.to_lowercase();
    let left: Vec<ObservedGateway> = gateway_clients(&info)
        .into_iter()
        .filter(|c| match (&gateway.client_id, &c.client_id) {
            (Some(want), Some(have)) => want == have,
            _ => c.name.to_lowercase() == lower,
        })
        .collect();
    if let [client] = left.as_slice() {
        if let Some(client_id) = &client.client_id {
            ksm::remove_clients(session, app_uid, std::slice::from_ref(client_id)).await?;
        }
    }
    Ok(())
}

/// The controller UID of the gateway `name` in application `app_uid`, from `pam/get_controllers`.
async fn find_controller(
    session: &Session,
    app_uid: &Uid,
    name: &str,
) -> Result<Option<Uid>, ProvisionError> {
    let lower = name.to_lowercase();
    let controllers = pam::get_controllers(session).await?;
    let mut matching = controllers.into_iter().filter(|g| {
        g.application_uid == *app_uid && g.name.to_lowercase() == lower && g.is_gateway_type()
    });
    Ok(match (matching.next(), matching.next()) {
        (Some(one), None) => Some(one.uid),
        _ => None,
    })
}
