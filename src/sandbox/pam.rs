//! PAM gateway (controller) listing and removal.

use std::sync::Arc;

use crate::keeper::proto::pam::{
    PamController, PamControllersResponse, PamGenericUidRequest, PamRemoveController,
    PamRemoveControllerResponse,
};
use crate::keeper::uid::Uid;

use super::context::{decode, ApiError, Reply, Shared};

/// `pam/get_controllers`: every gateway of the account's applications.
pub fn get_controllers(shared: &Arc<Shared>, account: usize) -> Result<Reply, ApiError> {
    let state = shared.read();
    let controllers = state.accounts[account]
        .vault
        .controllers
        .iter()
        .map(|(uid, c)| PamController {
            controller_uid: uid.as_bytes().to_vec(),
            controller_name: c.name.clone(),
            device_token: c.device_token.clone(),
            device_name: c.name.clone(),
            node_id: 0,
            created: c.created,
            last_modified: c.last_modified,
            application_uid: c.app_uid.as_bytes().to_vec(),
            app_client_type: c.app_client_type,
            is_initialized: c.initialized,
            max_instance_count: 1,
            last_seen: 0,
        })
        .collect();
    Ok(Reply::message(&PamControllersResponse { controllers }))
}

/// `pam/remove_controller`: removes the gateway and its KSM client.
///
/// Success is an empty list; an entry for the UID means the removal failed (notes 02 §4.7).
pub fn remove_controller(
    shared: &Arc<Shared>,
    account: usize,
    body: &[u8],
) -> Result<Reply, ApiError> {
    let request: PamGenericUidRequest = decode(body, "PAMGenericUidRequest")?;
    let failed = |message: &str| {
        Reply::message(&PamRemoveControllerResponse {
            controllers: vec![PamRemoveController {
                controller_uid: request.uid.clone(),
                message: message.to_string(),
            }],
        })
    };
    let Ok(uid) = Uid::from_slice(&request.uid) else {
        return Ok(failed("controller UID must be 16 bytes"));
    };
    let mut state = shared.write();
    let vault = &mut state.accounts[account].vault;
    let Some(controller) = vault.controllers.remove(&uid) else {
        return Ok(failed("Controller not found"));
    };
    if let Some(app) = vault.apps.get_mut(&controller.app_uid) {
        app.clients.retain(|c| c.client_id != controller.client_id);
    }
    shared.changed();
    Ok(Reply::message(&PamRemoveControllerResponse::default()))
}
