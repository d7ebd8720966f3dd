//! The PAM configuration step: after the gateway, a configuration titled as asked, in the shared
//! folder, naming and bound to the gateway, with its connections / tunneling / rotation /
//! recording switches — what Commander's `pam config new --environment local` makes.
//!
//! Like the other steps it is observed (the vault's version-6 records, their bindings), planned
//! (pure: create, reuse, finish, update, replace or conflict) and executed. A run cut short
//! between the writes (record made, not moved or not bound) is finished by the next run: a
//! configuration with the title that is bound to no gateway, or to ours, is claimed.

use super::execute::{Done, Progress, ProvisionError, StepKind};
use super::inputs::{Name, ProvisionInputs};
use super::plan::{Action, GatewayStep, PlanError};
use crate::keeper::auth::policy::{AccountPolicy, ALLOW_ROTATE_CREDENTIALS};
use crate::keeper::auth::Session;
use crate::keeper::pam::{self, configuration, Environment, PamError};
use crate::keeper::router::{self, AllowedSettings};
use crate::keeper::uid::Uid;
use crate::keeper::vault::{self, PamConfigurationRecord, RootObject, SharedFolder, VaultSnapshot};

/// What the user asked for: a configuration of this title, environment and switches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PamConfigInputs {
    /// The configuration's title.
    pub title: Name,
    /// Where its resources live; only `local` is provisioned today.
    pub environment: Environment,
    /// The switches to write; unset ones keep Keeper's defaults.
    pub settings: AllowedSettings,
}

/// A PAM configuration the vault holds under the asked title.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedPamConfig {
    /// The record UID.
    pub uid: Uid,
    /// Its record type.
    pub record_type: String,
    /// The gateway it is bound to (`pam/get_configuration_controller`), if any.
    pub bound: Option<Uid>,
    /// The gateway its `pamResources` names.
    pub named: Option<Uid>,
    /// The shared folder holding it; `None` at the vault root.
    pub shared_folder: Option<Uid>,
    /// Its switches as the DAG holds them (`None`: none written, or the router was not read).
    pub settings: Option<AllowedSettings>,
    /// The sync revision it was written at (orders twins).
    pub revision: i64,
}

/// What the plan does with the PAM configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PamConfigStep {
    /// Create the record, move it into the folder, write the switches, bind it.
    Create,
    /// Bound to our gateway with the asked switches: leave it alone.
    Reuse(ObservedPamConfig),
    /// Bound to our gateway; write the switches that differ.
    UpdateSettings(ObservedPamConfig),
    /// Left unfinished by an earlier run (at the root, or bound to no gateway): finish it.
    Finish(ObservedPamConfig),
    /// Bound to another gateway (or of another environment) and `--replace`: remove it and
    /// create a new one.
    Replace(ObservedPamConfig),
    /// `--existing` and bound to another gateway: left alone, as the host's setup stands.
    KeepExisting(ObservedPamConfig),
}

impl PamConfigStep {
    /// The action this step takes when executed.
    pub fn action(&self) -> Action {
        match self {
            PamConfigStep::Create => Action::Created,
            PamConfigStep::Reuse(_) | PamConfigStep::KeepExisting(_) => Action::Reused,
            PamConfigStep::UpdateSettings(_) | PamConfigStep::Finish(_) => Action::Updated,
            PamConfigStep::Replace(_) => Action::Replaced,
        }
    }

    /// Whether the step writes anything.
    pub fn writes(&self) -> bool {
        !matches!(
            self,
            PamConfigStep::Reuse(_) | PamConfigStep::KeepExisting(_)
        )
    }

    /// The configuration this step starts from, if one exists.
    pub fn existing(&self) -> Option<&ObservedPamConfig> {
        match self {
            PamConfigStep::Create => None,
            PamConfigStep::Reuse(c)
            | PamConfigStep::UpdateSettings(c)
            | PamConfigStep::Finish(c)
            | PamConfigStep::Replace(c)
            | PamConfigStep::KeepExisting(c) => Some(c),
        }
    }
}

/// Decides the PAM configuration step. `ours` is the controller UID of the gateway when it
/// survives this run (reused or finished); a gateway this run creates has none yet.
pub fn plan_pam_config(
    inputs: &ProvisionInputs,
    wanted: &PamConfigInputs,
    gateway: &GatewayStep,
    ours: Option<Uid>,
    found: &[ObservedPamConfig],
) -> Result<(PamConfigStep, Vec<String>), PlanError> {
    let ours = match gateway {
        GatewayStep::KeepExisting(_) | GatewayStep::Finish(_) => ours,
        _ => None,
    };
    let mut warnings = Vec::new();
    // Of several with the title, the one bound to our gateway, else the oldest.
    let chosen = found
        .iter()
        .find(|c| ours.is_some() && c.bound == ours)
        .or_else(|| found.iter().min_by_key(|c| (c.revision, c.uid)));
    let Some(config) = chosen else {
        return Ok((PamConfigStep::Create, warnings));
    };
    if found.len() > 1 {
        warnings.push(format!(
            "{} PAM configurations are titled '{}'; using {}",
            found.len(),
            wanted.title,
            config.uid
        ));
    }
    let title = wanted.title.to_string();
    let other = |gateway: Option<Uid>, reason: String| {
        if inputs.existing && gateway.is_some() {
            Ok(PamConfigStep::KeepExisting(config.clone()))
        } else if inputs.replace {
            Ok(PamConfigStep::Replace(config.clone()))
        } else {
            Err(PlanError::PamConfigurationConflict {
                title: title.clone(),
                reason,
            })
        }
    };
    if config.record_type != wanted.environment.record_type() {
        let step = other(
            config.bound,
            format!(
                "it is a {} configuration, not {}",
                config.record_type,
                wanted.environment.record_type()
            ),
        )?;
        return Ok((step, warnings));
    }
    let step = match (config.bound, config.named) {
        (Some(bound), _) if Some(bound) == ours => {
            let holds = wanted
                .settings
                .satisfied_by(&config.settings.unwrap_or_default());
            if config.shared_folder.is_none() && !inputs.existing {
                PamConfigStep::Finish(config.clone())
            } else if inputs.existing || holds {
                // `--existing` leaves a bound configuration alone.
                PamConfigStep::Reuse(config.clone())
            } else {
                PamConfigStep::UpdateSettings(config.clone())
            }
        }
        (Some(bound), _) => other(
            Some(bound),
            format!("it is bound to another gateway ({bound})"),
        )?,
        // Bound to none: an earlier run stopped before binding it — ours unless it names
        // another gateway that still exists is not known here, so only the UID is compared.
        (None, Some(named)) if Some(named) != ours && ours.is_some() => other(
            None,
            format!("it names another gateway ({named}) and is bound to none"),
        )?,
        (None, _) => PamConfigStep::Finish(config.clone()),
    };
    if matches!(step, PamConfigStep::KeepExisting(_)) {
        warnings.push(format!(
            "PAM configuration '{}' is bound to another gateway; --existing leaves it alone",
            wanted.title
        ));
    }
    Ok((step, warnings))
}

/// A PAM configuration with rotation on needs the role's rotation enforcement
/// (`allow_rotate_credentials`, Commander's `_is_rotation_allowed_by_enforcement`).
pub fn check_rotation_policy(
    wanted: &PamConfigInputs,
    step: &PamConfigStep,
    policy: &AccountPolicy,
) -> Result<(), PlanError> {
    if step.writes() && wanted.settings.rotation_on() && !policy.allows_rotation() {
        return Err(PlanError::NotAllowed {
            what: "A PAM configuration with rotation on",
            enforcement: ALLOW_ROTATE_CREDENTIALS,
        });
    }
    Ok(())
}

/// The vault's configurations titled `title`, with their bindings and (for the one a run may
/// reuse) the switches the router holds; the router is asked only when one exists.
pub async fn observe_pam_configs(
    session: &Session,
    snapshot: &VaultSnapshot,
    title: &str,
) -> Result<Vec<ObservedPamConfig>, ProvisionError> {
    let mut found = Vec::new();
    for record in snapshot
        .pam_configurations
        .iter()
        .filter(|c| c.title == title)
    {
        let bound = configuration::get_configuration_controller(session, &record.uid).await?;
        let settings = match router::read_allowed_settings(session, &record.uid).await {
            Ok(settings) => settings,
            Err(error) => {
                tracing::info!(uid = %record.uid, %error, "PAM configuration settings not read");
                None
            }
        };
        found.push(ObservedPamConfig {
            uid: record.uid,
            record_type: record.record_type.clone(),
            bound,
            named: record.controller_uid,
            shared_folder: record.shared_folder,
            settings,
            revision: record.revision,
        });
    }
    Ok(found)
}

/// The gateway's controller UID, from `pam/get_controllers`: the gateway of this name in this
/// application (the gateway step leaves exactly one). `app_client_add` does not return it.
pub async fn controller_uid(
    session: &Session,
    app: &Uid,
    gateway: &str,
) -> Result<Option<Uid>, PamError> {
    let lower = gateway.to_lowercase();
    Ok(pam::get_controllers(session)
        .await?
        .into_iter()
        .filter(|g| g.application_uid == *app && g.name.to_lowercase() == lower)
        .max_by_key(|g| g.created)
        .map(|g| g.uid))
}

/// The PAM configuration part of a run's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PamConfigOutcome {
    /// Its title.
    pub title: String,
    /// Its UID (`None` in a dry run when it would be created).
    pub uid: Option<Uid>,
    /// Its environment.
    pub environment: Environment,
    /// Its switches as they stand after the run (unset ones at Keeper's defaults).
    pub settings: AllowedSettings,
    /// What happened to it.
    pub action: Action,
}

/// The outcome a dry run reports for the step.
pub fn dry_run_outcome(wanted: &PamConfigInputs, step: &PamConfigStep) -> PamConfigOutcome {
    let existing = step.existing();
    let settings = match step {
        PamConfigStep::Reuse(c) | PamConfigStep::KeepExisting(c) => c.settings.unwrap_or_default(),
        PamConfigStep::UpdateSettings(c) | PamConfigStep::Finish(c) => {
            wanted.settings.merged_over(&c.settings.unwrap_or_default())
        }
        _ => wanted.settings,
    };
    PamConfigOutcome {
        title: wanted.title.to_string(),
        uid: existing
            .filter(|_| !matches!(step, PamConfigStep::Replace(_)))
            .map(|c| c.uid),
        environment: wanted.environment,
        settings,
        action: step.action().hypothetical(),
    }
}

/// Where the PAM configuration step of `new` works: the group's folder and application, the
/// gateway's name, and its controller UID when already known (a reused gateway).
pub(crate) struct Target<'a> {
    pub(crate) folder: &'a SharedFolder,
    pub(crate) app: &'a Uid,
    pub(crate) gateway: &'a str,
    pub(crate) known_controller: Option<Uid>,
}

/// Step 5 of `new`: finds the gateway's controller UID (one `pam/get_controllers` unless the
/// step writes nothing and it is known), then carries the step out. Returns the outcome and the
/// controller UID.
pub(crate) async fn run_step(
    session: &Session,
    snapshot: &VaultSnapshot,
    (wanted, step): (&PamConfigInputs, &PamConfigStep),
    target: &Target<'_>,
    done: &mut Done,
    progress: &dyn Progress,
) -> Result<(PamConfigOutcome, Uid), ProvisionError> {
    progress.started(StepKind::PamConfig);
    let controller = match target.known_controller {
        Some(uid) if !step.writes() => uid,
        _ => controller_uid(session, target.app, target.gateway)
            .await
            .map_err(|e| done.fail(StepKind::PamConfig, e))?
            .ok_or_else(|| {
                done.fail(
                    StepKind::PamConfig,
                    PamError::NotFound(format!(
                        "gateway '{}' in pam/get_controllers",
                        target.gateway
                    )),
                )
            })?,
    };
    let made = ensure_pam_config(
        session,
        wanted,
        step,
        (target.folder, &controller),
        snapshot,
        done,
    )
    .await?;
    progress.finished(StepKind::PamConfig, made.action, wanted.title.as_str());
    Ok((made, controller))
}

/// Carries out the step for a gateway whose controller UID is `controller`, in `folder`.
pub(crate) async fn ensure_pam_config(
    session: &Session,
    wanted: &PamConfigInputs,
    step: &PamConfigStep,
    (folder, controller): (&SharedFolder, &Uid),
    snapshot: &VaultSnapshot,
    done: &mut Done,
) -> Result<PamConfigOutcome, ProvisionError> {
    let fail = |done: &Done, e: ProvisionError| done.fail(StepKind::PamConfig, e);
    let outcome = |uid: Uid, settings: AllowedSettings| PamConfigOutcome {
        title: wanted.title.to_string(),
        uid: Some(uid),
        environment: wanted.environment,
        settings,
        action: step.action(),
    };
    match step {
        PamConfigStep::Reuse(c) | PamConfigStep::KeepExisting(c) => {
            Ok(outcome(c.uid, c.settings.unwrap_or_default()))
        }
        PamConfigStep::UpdateSettings(c) => {
            write_settings(session, &c.uid, &wanted.settings)
                .await
                .map_err(|e| fail(done, e))?;
            done.0.push(format!(
                "updated the settings of PAM configuration '{}'",
                wanted.title
            ));
            let merged = wanted.settings.merged_over(&c.settings.unwrap_or_default());
            Ok(outcome(c.uid, merged))
        }
        PamConfigStep::Finish(c) => {
            if c.shared_folder.is_none() {
                let record = find_record(snapshot, &c.uid).map_err(|e| fail(done, e))?;
                vault::move_record_to_shared_folder(session, &c.uid, &record.key, folder)
                    .await
                    .map_err(|e| fail(done, e.into()))?;
            }
            write_settings(session, &c.uid, &wanted.settings)
                .await
                .map_err(|e| fail(done, e))?;
            configuration::set_configuration_controller(session, &c.uid, controller)
                .await
                .map_err(|e| fail(done, e.into()))?;
            done.0
                .push(format!("finished PAM configuration '{}'", wanted.title));
            let merged = wanted.settings.merged_over(&c.settings.unwrap_or_default());
            Ok(outcome(c.uid, merged))
        }
        PamConfigStep::Create | PamConfigStep::Replace(_) => {
            if let PamConfigStep::Replace(old) = step {
                let object = match old.shared_folder {
                    Some(sf) => RootObject::FolderRecord {
                        record: old.uid,
                        folder: sf,
                    },
                    None => RootObject::Record(old.uid),
                };
                vault::delete_from_root(session, &[object])
                    .await
                    .map_err(|e| fail(done, e.into()))?;
                done.0.push(format!(
                    "removed the old PAM configuration '{}'",
                    wanted.title
                ));
            }
            let created = configuration::add_configuration_record(
                session,
                wanted.title.as_str(),
                wanted.environment,
                controller,
                &folder.uid,
            )
            .await
            .map_err(|e| fail(done, e.into()))?;
            done.0.push(format!(
                "created PAM configuration '{}' ({})",
                wanted.title, created.uid
            ));
            vault::move_record_to_shared_folder(session, &created.uid, &created.key, folder)
                .await
                .map_err(|e| fail(done, e.into()))?;
            write_settings(session, &created.uid, &wanted.settings)
                .await
                .map_err(|e| fail(done, e))?;
            configuration::set_configuration_controller(session, &created.uid, controller)
                .await
                .map_err(|e| fail(done, e.into()))?;
            Ok(outcome(created.uid, wanted.settings))
        }
    }
}

/// Writes the switches that are set; none set writes nothing, as Commander does.
async fn write_settings(
    session: &Session,
    uid: &Uid,
    settings: &AllowedSettings,
) -> Result<(), ProvisionError> {
    if settings.any_set() {
        router::configure_network_graph(session, uid, settings).await?;
    }
    Ok(())
}

fn find_record<'a>(
    snapshot: &'a VaultSnapshot,
    uid: &Uid,
) -> Result<&'a PamConfigurationRecord, ProvisionError> {
    snapshot
        .pam_configurations
        .iter()
        .find(|c| c.uid == *uid)
        .ok_or_else(|| {
            ProvisionError::Vault(vault::VaultError::NotFound(format!(
                "PAM configuration {uid}"
            )))
        })
}

#[cfg(test)]
#[path = "pam_config_tests.rs"]
mod tests;
