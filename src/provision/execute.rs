//! Carrying out a [`Plan`] step by step.
//!
//! Each step is a single Keeper call that either happens or not, so a run cut short (an error,
//! Ctrl-C) leaves whole objects behind; the next run observes them and reuses them.

use super::converge::{lost_to_twin, settle_twins};
use super::inputs::{ProvisionInputs, TargetOs};
use super::install::{self, GatewayCredential, InstallInstructions};
use super::kept::{KeepError, KeptToken, TokenKeeper};
use super::observe::{gateway_clients, Observation};
use super::pam_config::{dry_run_outcome, PamConfigOutcome};
use super::plan::{make_plan, Action, GatewayStep, GroupSteps, Plan, PlanError, Step};
pub use super::remove::remove_gateway;
use crate::keeper::auth::Session;
use crate::keeper::ksm::{self, KsmConfig, KsmError, OneTimeToken, RedeemOptions};
use crate::keeper::pam::PamError;
use crate::keeper::router::RouterError;
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
    /// Step 5: the PAM configuration.
    PamConfig,
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
            StepKind::PamConfig => "PAM config",
        }
    }
}

/// Receives progress; the CLI draws spinners with it, tests and JSON mode ignore it.
pub trait Progress {
    /// A step began.
    fn started(&self, step: StepKind);
    /// A step finished with `action`, describing the object (e.g. its name).
    fn finished(&self, step: StepKind, action: Action, detail: &str);
    /// `apply` is about to add or replace `total` gateways of one application, a few at a time.
    fn gateways_started(&self, _total: usize) {}
    /// One of them is done (created, or failed).
    fn gateway_done(&self) {}
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
    /// A call to Keeper's router (the PAM configuration's settings) failed.
    #[error(transparent)]
    Router(#[from] RouterError),
    /// The new gateway's token could not be kept before creating it.
    #[error(transparent)]
    Keep(#[from] KeepError),
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
    /// What this run did that the user should know of (a twin settled, a kept token shown).
    pub notes: Vec<String>,
    /// Step 5: the PAM configuration, when one was asked for.
    pub pam_config: Option<PamConfigOutcome>,
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
        notes: Vec::new(),
        pam_config: inputs
            .pam_config
            .as_ref()
            .zip(plan.pam_config.as_ref())
            .map(|(wanted, step)| dry_run_outcome(wanted, step)),
    }
}

fn gateway_uid(step: &GatewayStep) -> Option<Uid> {
    match step {
        GatewayStep::KeepExisting(g) => g.controller_uid,
        _ => None,
    }
}

/// Tracks what earlier steps changed, so a later failure can say what stays behind.
#[derive(Default)]
pub(crate) struct Done(pub(crate) Vec<String>);

impl Done {
    pub(crate) fn fail(&self, step: StepKind, error: impl Into<ProvisionError>) -> ProvisionError {
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

/// Carries out the plan. `redeem` is used only for docker/kubernetes targets; `keeper` holds
/// the new gateway's token from before the write that registers it until the CLI has shown it.
pub async fn execute(
    session: &Session,
    observation: &mut Observation,
    plan: &Plan,
    redeem: &RedeemOptions,
    keeper: &dyn TokenKeeper,
    progress: &dyn Progress,
) -> Result<Outcome, ProvisionError> {
    let inputs = &plan.inputs;
    let mut done = Done::default();
    let mut notes = Vec::new();
    let steps = GroupSteps {
        shared_folder: plan.shared_folder.clone(),
        application: plan.application.clone(),
        share: plan.share,
        warnings: Vec::new(),
    };
    let group = ensure_group(
        session,
        observation,
        (inputs.shared_folder.as_str(), inputs.application.as_str()),
        &steps,
        (&mut done, &mut notes),
        progress,
    )
    .await?;

    progress.started(StepKind::Gateway);
    let minted = gateway_step(
        session,
        &group.app,
        (inputs, &plan.gateway, None),
        keeper,
        (&mut done, &mut notes),
        Verify::Now,
    )
    .await?;
    progress.finished(
        StepKind::Gateway,
        plan.gateway.action(),
        inputs.gateway.as_str(),
    );
    let (token, token_expires_at, gateway_uid) = match minted {
        Minted::Token {
            token, expires_at, ..
        } => (Some(token), Some(expires_at), None),
        Minted::Kept(uid) => (None, None, uid),
    };
    let (config, install) = credential(inputs.os, token.as_ref(), redeem, progress)
        .await
        .map_err(|e| done.fail(StepKind::Config, e))?;

    let (pam_config, gateway_uid) = match (&inputs.pam_config, &plan.pam_config) {
        (Some(wanted), Some(step)) => {
            let target = super::pam_config::Target {
                folder: &group.folder,
                app: &group.app.uid,
                gateway: inputs.gateway.as_str(),
                known_controller: gateway_uid.or(observation.observed.gateway_controller),
            };
            let (made, controller) = super::pam_config::run_step(
                session,
                &observation.snapshot,
                (wanted, step),
                &target,
                &mut done,
                progress,
            )
            .await?;
            (Some(made), Some(controller))
        }
        _ => (None, gateway_uid),
    };

    Ok(Outcome {
        shared_folder: Resolved {
            uid: Some(group.folder.uid),
            name: group.folder.name.clone(),
            action: group.folder_action,
        },
        application: Resolved {
            uid: Some(group.app.uid),
            name: group.app.title.clone(),
            action: group.app_action,
        },
        share_action: group.share_action,
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
        notes,
        pam_config,
    })
}

/// The shared folder, application and share one group of gateways uses, as made or found.
pub(crate) struct EnsuredGroup {
    pub(crate) folder: SharedFolder,
    pub(crate) app: Application,
    pub(crate) folder_action: Action,
    pub(crate) app_action: Action,
    pub(crate) share_action: Action,
}

/// Steps 1–3 for one (shared folder, application) pair: made or reused once, however many
/// gateways follow; a twin a concurrent run made at the same time is settled here.
pub(crate) async fn ensure_group(
    session: &Session,
    observation: &mut Observation,
    (folder_name, app_title): (&str, &str),
    steps: &GroupSteps,
    (done, notes): (&mut Done, &mut Vec<String>),
    progress: &dyn Progress,
) -> Result<EnsuredGroup, ProvisionError> {
    progress.started(StepKind::SharedFolder);
    let mut folder: SharedFolder = match steps.shared_folder {
        Step::Reuse(uid) => find_folder(&observation.snapshot, uid)?,
        Step::Create => {
            let created =
                vault::add_shared_folder(session, folder_name, DefaultPermissions::default())
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
        steps.shared_folder.action(),
        &folder.name,
    );

    progress.started(StepKind::Application);
    let mut app: Application = match steps.application {
        Step::Reuse(uid) => find_application(&observation.snapshot, uid)?,
        Step::Create => {
            let created = ksm::add_application(session, app_title)
                .await
                .map_err(|e| done.fail(StepKind::Application, e))?;
            done.0.push(format!(
                "created application '{}' ({})",
                created.title, created.uid
            ));
            created
        }
    };
    progress.finished(
        StepKind::Application,
        steps.application.action(),
        &app.title,
    );

    let (mut folder_action, mut app_action) =
        (steps.shared_folder.action(), steps.application.action());
    if steps.shared_folder == Step::Create || steps.application == Step::Create {
        let twins = settle_twins(session, observation, steps, &folder, &app)
            .await
            .map_err(|e| done.fail(StepKind::Application, e))?;
        if let Some(winner) = twins.folder {
            notes.push(format!(
                "another run created shared folder '{}' at the same time: using the first ({}), ours was removed",
                winner.name, winner.uid
            ));
            folder = winner;
            folder_action = Action::Reused;
        }
        if let Some(winner) = twins.application {
            notes.push(format!(
                "another run created application '{}' at the same time: using the first ({}), ours was removed",
                winner.title, winner.uid
            ));
            app = winner;
            app_action = Action::Reused;
        }
    }
    // After a twin was settled the winner's share may exist already; Keeper answers a second
    // `app_share_add` with "Duplicate share", which counts as success.
    let share_action = steps.share;

    progress.started(StepKind::Share);
    match share_action {
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
    progress.finished(StepKind::Share, share_action, "Can Edit");
    Ok(EnsuredGroup {
        folder,
        app,
        folder_action,
        app_action,
        share_action,
    })
}

/// What the host needs: the gateway config redeemed from a new token (docker/kubernetes) and
/// the install command; with no token (`existing`), the upgrade command.
pub(crate) async fn credential(
    os: TargetOs,
    token: Option<&OneTimeToken>,
    redeem: &RedeemOptions,
    progress: &dyn Progress,
) -> Result<(Option<KsmConfig>, InstallInstructions), ProvisionError> {
    Ok(match (token, os.needs_config()) {
        (Some(token), true) => {
            progress.started(StepKind::Config);
            let redeemed = ksm::redeem(token, redeem).await?;
            let encoded = redeemed.to_base64();
            progress.finished(StepKind::Config, Action::Created, "base64");
            let install = install::render(os, GatewayCredential::Config(&encoded));
            (Some(redeemed), install)
        }
        (Some(token), false) => (
            None,
            install::render(os, GatewayCredential::Token(token.expose())),
        ),
        (None, _) => (None, install::render(os, GatewayCredential::Existing)),
    })
}

/// What the gateway step produced.
pub(crate) enum Minted {
    /// A token to show (new, or kept by an earlier run that never showed it).
    Token {
        token: OneTimeToken,
        expires_at: time::OffsetDateTime,
        /// The client id of a gateway this run added (`None`: a kept token shown).
        added: Option<Vec<u8>>,
    },
    /// `--existing`: no token; the controller UID when known.
    Kept(Option<Uid>),
}

/// When the gateway step looks for a twin a concurrent run added under the same name.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verify {
    /// Right after adding it (one `get_app_info`): `new`.
    Now,
    /// Later, once for the whole application (`apply`, see `fleet::settle_gateway_twins`).
    Later,
}

/// Step 4 for one gateway: remove the old one if replacing, keep the new token, add the client.
///
/// `prekept` is a token the caller already kept for this gateway (`apply` keeps a whole
/// group's tokens in one durable write); without one, the token is made and kept here.
pub(crate) async fn gateway_step(
    session: &Session,
    app: &Application,
    (inputs, step, prekept): (&ProvisionInputs, &GatewayStep, Option<KeptToken>),
    keeper: &dyn TokenKeeper,
    (done, notes): (&mut Done, &mut Vec<String>),
    verify: Verify,
) -> Result<Minted, ProvisionError> {
    let name = inputs.gateway.as_str();
    let old = match step {
        GatewayStep::KeepExisting(existing) => return Ok(Minted::Kept(existing.controller_uid)),
        GatewayStep::Finish(_) => {
            let kept = keeper.find(&app.uid, name).ok_or_else(|| {
                done.fail(
                    StepKind::Gateway,
                    KsmError::NotFound(format!("the kept token of gateway '{name}'")),
                )
            })?;
            notes.push(format!(
                "gateway '{name}' was created by an earlier run that never showed its token: here it is"
            ));
            return Ok(Minted::Token {
                expires_at: ms_to_time(kept.expires_at_ms),
                token: kept.token,
                added: None,
            });
        }
        GatewayStep::Create => None,
        GatewayStep::Replace(old) => Some(old),
        GatewayStep::ReplaceUnshown(old) => {
            notes.push(format!(
                "gateway '{name}' was created by an earlier run whose token was never shown and can no longer be used: replaced it"
            ));
            Some(old)
        }
    };
    if let Some(old) = old {
        remove_gateway(session, &app.uid, old)
            .await
            .map_err(|e| done.fail(StepKind::Gateway, e))?;
        keeper.forget(&app.uid, name);
        done.0
            .push(format!("removed the old gateway '{}'", old.name));
    }

    let kept = match prekept {
        Some(kept) => kept,
        None => {
            let kept = new_token(session, app, inputs);
            keeper
                .keep(&kept)
                .map_err(|e| done.fail(StepKind::Gateway, e))?;
            kept
        }
    };
    let expires_at_ms = kept.expires_at_ms;
    let minted =
        ksm::add_gateway_client_with_token(session, app, name, kept.token.clone(), expires_at_ms)
            .await
            .map_err(|e| done.fail(StepKind::Gateway, e))?;
    done.0.push(format!("created gateway '{name}'"));

    if verify == Verify::Now {
        // Converge with a run that added a gateway of the same name at the same time.
        let info = ksm::get_app_info(session, &app.uid)
            .await
            .map_err(|e| done.fail(StepKind::Gateway, e))?;
        if lost_to_twin(&gateway_clients(&info), name, &minted.client_id) {
            ksm::remove_clients(session, &app.uid, std::slice::from_ref(&minted.client_id))
                .await
                .map_err(|e| done.fail(StepKind::Gateway, e))?;
            keeper.forget(&app.uid, name);
            done.0.pop();
            return Err(done.fail(
                StepKind::Gateway,
                PlanError::GatewayExists {
                    name: name.to_owned(),
                    application: app.title.clone(),
                },
            ));
        }
    }
    Ok(Minted::Token {
        token: minted.token,
        expires_at: minted.expires_at,
        added: Some(minted.client_id),
    })
}

/// A new One-Time Access Token for `inputs`' gateway in `app`, made on this machine and not yet
/// kept.
pub(crate) fn new_token(
    session: &Session,
    app: &Application,
    inputs: &ProvisionInputs,
) -> KeptToken {
    KeptToken {
        app_uid: app.uid,
        gateway: inputs.gateway.as_str().to_owned(),
        token: OneTimeToken::generate(session.server().token_prefix()),
        expires_at_ms: ksm::first_access_expiry(inputs.token_expiry_minutes),
    }
}

fn ms_to_time(ms: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
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
