//! Removing gateways, as Commander's `pam gateway remove` does: `gateway remove`, `new
//! --replace` and `apply --prune` all go through here.

use super::execute::ProvisionError;
use super::observe::gateway_clients;
use super::plan::ObservedGateway;
use crate::keeper::auth::Session;
use crate::keeper::ksm;
use crate::keeper::pam;
use crate::keeper::uid::Uid;

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
