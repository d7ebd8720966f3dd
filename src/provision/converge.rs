//! Convergence of concurrent runs, through the server alone.
//!
//! Runs on different machines cannot share a lock, and Keeper does not refuse a second shared
//! folder, application or gateway of the same name. So a run that *created* one of these looks
//! again right after: when a twin of the same name appeared, the oldest (lowest sync revision, or
//! earliest `createdOn` for a gateway client), then the lowest UID, is the one every run keeps.
//! A loser removes only what it created itself in this run and carries on with the winner — it
//! never removes anything it did not make. Every object a later run sees was made before its
//! own look, so exactly one survives.

use std::collections::BTreeMap;

use super::execute::ProvisionError;
use super::observe::Observation;
use super::plan::{GroupSteps, ObservedGateway, Step};
use crate::keeper::auth::Session;
use crate::keeper::uid::Uid;
use crate::keeper::vault::{self, Application, RootObject, SharedFolder};

/// Of objects named alike, the one every run keeps: the oldest, then the lowest UID. `revisions`
/// misses objects a sync has not shown yet; those count as newest.
pub fn winner<'a>(
    candidates: impl IntoIterator<Item = &'a Uid>,
    revisions: &BTreeMap<Uid, i64>,
) -> Option<Uid> {
    candidates
        .into_iter()
        .min_by_key(|uid| (revisions.get(uid).copied().unwrap_or(i64::MAX), **uid))
        .copied()
}

/// Of gateway clients named alike, the one every run keeps: the earliest created, then the
/// lowest client id.
pub fn winning_gateway(twins: &[ObservedGateway]) -> Option<&ObservedGateway> {
    twins
        .iter()
        .min_by(|a, b| (a.created_ms, &a.client_id).cmp(&(b.created_ms, &b.client_id)))
}

/// Whether another gateway-type client named `name` (any case) is older than ours, so ours must go.
pub(crate) fn lost_to_twin(clients: &[ObservedGateway], name: &str, ours: &[u8]) -> bool {
    let lower = name.to_lowercase();
    let twins: Vec<ObservedGateway> = clients
        .iter()
        .filter(|g| g.name.to_lowercase() == lower)
        .cloned()
        .collect();
    twins.len() > 1 && winning_gateway(&twins).and_then(|w| w.client_id.as_deref()) != Some(ours)
}

/// Twins a concurrent run made of what this run created, already settled.
#[derive(Default)]
pub(crate) struct Twins {
    /// The older shared folder to use instead of ours (ours was removed).
    pub folder: Option<SharedFolder>,
    /// The older application to use instead of ours (ours was removed).
    pub application: Option<Application>,
}

/// Looks again (one incremental sync) for shared folders and applications named like those this
/// run just created; where an older twin exists, removes ours and returns the twin.
pub(crate) async fn settle_twins(
    session: &Session,
    observation: &mut Observation,
    steps: &GroupSteps,
    folder: &SharedFolder,
    app: &Application,
) -> Result<Twins, ProvisionError> {
    let fresh = observation.vault.sync(session).await?;
    let mut twins = Twins::default();
    let mut ours_to_remove = Vec::new();
    if steps.shared_folder == Step::Create {
        let named: Vec<&SharedFolder> = fresh
            .shared_folders
            .iter()
            .filter(|f| f.at_root && f.name == folder.name)
            .collect();
        let best = winner(
            named.iter().map(|f| &f.uid).chain([&folder.uid]),
            &fresh.revisions,
        );
        if let Some(best) = best.filter(|b| *b != folder.uid) {
            twins.folder = named.into_iter().find(|f| f.uid == best).cloned();
            ours_to_remove.push(RootObject::SharedFolder(folder.uid));
        }
    }
    if steps.application == Step::Create {
        let named: Vec<&Application> = fresh
            .applications
            .iter()
            .filter(|a| a.title == app.title)
            .collect();
        let best = winner(
            named.iter().map(|a| &a.uid).chain([&app.uid]),
            &fresh.revisions,
        );
        if let Some(best) = best.filter(|b| *b != app.uid) {
            twins.application = named.into_iter().find(|a| a.uid == best).cloned();
            ours_to_remove.push(RootObject::Record(app.uid));
        }
    }
    vault::delete_from_root(session, &ours_to_remove).await?;
    observation.snapshot = fresh;
    Ok(twins)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_twin_wins_then_the_lowest_uid() {
        let (a, b, c) = (Uid::generate(), Uid::generate(), Uid::generate());
        let revisions = BTreeMap::from([(a, 7), (b, 5), (c, 5)]);
        let expected = if b < c { b } else { c };
        assert_eq!(winner([&a, &b, &c], &revisions), Some(expected));
        // Every run agrees, whatever order it saw them in.
        assert_eq!(winner([&c, &a, &b], &revisions), Some(expected));
    }

    #[test]
    fn an_object_the_sync_did_not_show_counts_as_newest() {
        let (seen, unseen) = (Uid::generate(), Uid::generate());
        let revisions = BTreeMap::from([(seen, 9)]);
        assert_eq!(winner([&unseen, &seen], &revisions), Some(seen));
    }

    #[test]
    fn the_earliest_gateway_client_wins() {
        let make = |created_ms, id: u8| ObservedGateway {
            name: "edge-1".into(),
            controller_uid: None,
            client_id: Some(vec![id; 64]),
            initialized: false,
            created_ms,
        };
        let twins = [make(20, 1), make(10, 9), make(10, 3)];
        assert_eq!(
            winning_gateway(&twins).unwrap().client_id,
            Some(vec![3; 64])
        );
    }
}
