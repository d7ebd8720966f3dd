//! Looking at the vault: one sync, the chosen application's shares and gateway clients, the
//! account's policy and any token this machine kept for the gateway.

use super::execute::ProvisionError;
use super::inputs::ProvisionInputs;
use super::kept::TokenKeeper;
use super::plan::{KeptGateway, Observed, ObservedApplication, ObservedFolder, ObservedGateway};
use crate::keeper::auth::Session;
use crate::keeper::ksm;
use crate::keeper::proto::enterprise::AppClientType;
use crate::keeper::vault::{VaultSnapshot, VaultSync};

/// What the vault holds, with the keys the steps need, and the sync to look again with.
pub struct Observation {
    pub(crate) snapshot: VaultSnapshot,
    pub(crate) observed: Observed,
    pub(crate) vault: VaultSync,
}

impl Observation {
    /// The shared folders and applications found, for the wizard's pick lists.
    pub fn observed(&self) -> &Observed {
        &self.observed
    }
}

/// Syncs the vault: the shared folders and applications it holds, with their keys.
pub async fn sync(session: &Session) -> Result<Observation, ProvisionError> {
    let mut vault = VaultSync::default();
    let snapshot = vault.sync(session).await?;
    let observed = Observed {
        folders: snapshot
            .shared_folders
            .iter()
            .map(|f| ObservedFolder {
                uid: f.uid,
                name: f.name.clone(),
                at_root: f.at_root,
                revision: snapshot.revisions.get(&f.uid).copied().unwrap_or(0),
            })
            .collect(),
        applications: snapshot
            .applications
            .iter()
            .map(|a| ObservedApplication {
                uid: a.uid,
                title: a.title.clone(),
                revision: snapshot.revisions.get(&a.uid).copied().unwrap_or(0),
            })
            .collect(),
        policy: session.policy(),
        ..Observed::default()
    };
    Ok(Observation {
        snapshot,
        observed,
        vault,
    })
}

/// When the chosen application exists, reads its share of the chosen folder and its gateways,
/// and looks up a token this machine kept for the gateway.
pub async fn inspect(
    session: &Session,
    observation: &mut Observation,
    inputs: &ProvisionInputs,
    keeper: &dyn TokenKeeper,
) -> Result<(), ProvisionError> {
    let snapshot = &observation.snapshot;
    let observed = &mut observation.observed;
    if let Some(wanted) = &inputs.pam_config {
        observed.pam_configs =
            super::pam_config::observe_pam_configs(session, snapshot, wanted.title.as_str())
                .await?;
    }
    // The application the plan will use: the oldest of any twins (as `plan::make_plan` picks).
    let app = snapshot
        .applications
        .iter()
        .filter(|a| a.title == inputs.application.as_str())
        .min_by_key(|a| (snapshot.revisions.get(&a.uid).copied().unwrap_or(0), a.uid));
    let Some(app) = app else {
        return Ok(());
    };
    let info = ksm::get_app_info(session, &app.uid).await?;
    let folder = snapshot
        .shared_folders
        .iter()
        .filter(|f| f.at_root && f.name == inputs.shared_folder.as_str())
        .min_by_key(|f| (snapshot.revisions.get(&f.uid).copied().unwrap_or(0), f.uid));
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
    // Whether a configuration with the title is ours needs our gateway's controller UID; ask
    // `pam/get_controllers` for it only then.
    let has_gateway =
        crate::provision::plan::find_gateway(&observed.gateways, inputs.gateway.as_str()).is_some();
    if !observed.pam_configs.is_empty() && has_gateway {
        observed.gateway_controller =
            super::pam_config::controller_uid(session, &app.uid, inputs.gateway.as_str()).await?;
    }
    let now = crate::keeper::ksm::first_access_expiry(0);
    observed.kept = keeper
        .find(&app.uid, inputs.gateway.as_str())
        .map(|kept| KeptGateway {
            client_id: kept.client_id(),
            expired: kept.expired_at(now),
        });
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
