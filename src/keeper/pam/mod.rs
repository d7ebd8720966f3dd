//! PAM gateways (Keeper's "controllers"): list them and remove one; PAM configurations
//! (`configuration`): create the record and bind it to a gateway.
//! Facts: protocol-vault-ksm-gateway.md §4.5–§4.7.

pub mod configuration;

pub use configuration::{Environment, NewConfiguration};

use crate::keeper::auth::Session;
use crate::keeper::crypto::{b64_std_decode, b64url_decode};
use crate::keeper::proto::pam::{
    PamController, PamControllersResponse, PamGenericUidRequest, PamRemoveControllerResponse,
};
use crate::keeper::refusal::Failure;
use crate::keeper::transport::TransportError;
use crate::keeper::uid::Uid;

/// Why a PAM call failed; carries Keeper's code and message, never keys or tokens.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PamError {
    /// The request never got a Keeper answer (network, TLS, session, throttling, …).
    #[error(transparent)]
    Transport(TransportError),
    /// Keeper refused the call with this code and message.
    #[error("Keeper refused the request: {code}: {message}")]
    Refused {
        /// Keeper's error code.
        code: String,
        /// Keeper's message.
        message: String,
    },
    /// The gateway does not exist or is not visible to this user.
    #[error("gateway not found: {0}")]
    NotFound(String),
    /// Keeper's answer was not what the protocol promises.
    #[error("unexpected answer from Keeper: {0}")]
    BadResponse(String),
    /// Keeper answered `remove_controller` with a failure entry for this gateway.
    #[error("Keeper did not remove gateway {uid}: {message}")]
    RemoveFailed {
        /// The gateway (controller) UID.
        uid: Uid,
        /// Keeper's reason.
        message: String,
    },
}

/// A PAM gateway as `pam/get_controllers` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gateway {
    /// The controller UID.
    pub uid: Uid,
    /// The gateway name (the client `id` given at `app_client_add`).
    pub name: String,
    /// The KSM application the gateway belongs to.
    pub application_uid: Uid,
    /// Whether the gateway has redeemed its token and connected.
    pub is_initialized: bool,
    /// Creation time (ms since the epoch).
    pub created: i64,
    /// The device token bytes; equal to `NewGatewayClient::device_token` of the client that made it.
    pub device_token: Vec<u8>,
    /// `PAMController.appClientType` (0 when the server leaves it unset).
    pub app_client_type: i32,
}

impl Gateway {
    /// Converts the wire form; `None` when a UID is malformed.
    pub fn from_proto(row: &PamController) -> Option<Gateway> {
        Some(Gateway {
            uid: Uid::from_slice(&row.controller_uid).ok()?,
            name: row.controller_name.clone(),
            application_uid: Uid::from_slice(&row.application_uid).ok()?,
            is_initialized: row.is_initialized,
            created: row.created,
            device_token: decode_device_token(&row.device_token),
            app_client_type: row.app_client_type,
        })
    }

    /// Whether the row is a gateway (discovery-and-rotation controller). Older servers leave the
    /// type unset on controller rows, which are gateways by definition, so unset counts too.
    pub fn is_gateway_type(&self) -> bool {
        self.app_client_type == 0
            || self.app_client_type
                == crate::keeper::proto::enterprise::AppClientType::DiscoveryAndRotationController
                    as i32
    }
}

/// `PAMController.deviceToken` is the std b64 of `Device.encryptedDeviceToken` (Commander matches
/// them that way, protocol-vault-ksm-gateway.md §4.5); decode it so both compare as bytes.
fn decode_device_token(text: &str) -> Vec<u8> {
    b64_std_decode(text)
        .or_else(|_| b64url_decode(text))
        .unwrap_or_else(|_| text.as_bytes().to_vec())
}

/// Lists every gateway the user can see.
pub async fn get_controllers(session: &Session) -> Result<Vec<Gateway>, PamError> {
    let body = session.execute_rest("pam/get_controllers", None).await?;
    let response = <PamControllersResponse as prost::Message>::decode(body.as_slice())
        .map_err(|e| TransportError::BadResponse(format!("pam/get_controllers: {e}")))?;
    Ok(response
        .controllers
        .iter()
        .filter_map(|row| {
            let gateway = Gateway::from_proto(row);
            if gateway.is_none() {
                tracing::debug!("pam/get_controllers: entry with a malformed UID skipped");
            }
            gateway
        })
        .collect())
}

/// Removes a gateway; Keeper reports a failure as an entry for the UID in its reply.
pub async fn remove_controller(session: &Session, uid: &Uid) -> Result<(), PamError> {
    let request = PamGenericUidRequest {
        uid: uid.as_bytes().to_vec(),
    };
    let response: PamRemoveControllerResponse = session
        .execute_proto("pam/remove_controller", &request)
        .await?;
    check_removal(uid, &response)
}

/// Turns a `PAMRemoveControllerResponse` into success or the failure it reports.
pub fn check_removal(uid: &Uid, response: &PamRemoveControllerResponse) -> Result<(), PamError> {
    match response
        .controllers
        .iter()
        .find(|entry| entry.controller_uid == uid.as_bytes())
    {
        Some(entry) => Err(PamError::RemoveFailed {
            uid: *uid,
            message: entry.message.clone(),
        }),
        None => Ok(()),
    }
}

impl From<TransportError> for PamError {
    /// Lifts Keeper's refusals out of the transport error; PAM has no "already exists".
    fn from(error: TransportError) -> Self {
        match Failure::from(error) {
            Failure::Transport(error) => PamError::Transport(error),
            Failure::NotFound(message) => PamError::NotFound(message),
            Failure::Conflict { code, message } | Failure::Refused { code, message } => {
                PamError::Refused { code, message }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keeper::crypto::b64_std_encode;
    use crate::keeper::proto::pam::PamRemoveController;

    #[test]
    fn device_token_std_b64_decodes_to_the_app_client_add_bytes() {
        let bytes = vec![0xFB, 0xFF, 0x01, 0x3E];
        assert_eq!(decode_device_token(&b64_std_encode(&bytes)), bytes);
    }

    #[test]
    fn removal_entry_for_the_uid_is_a_failure_and_others_are_ignored() {
        let uid = Uid::generate();
        let other = Uid::generate();
        let entry = |u: &Uid| PamRemoveController {
            controller_uid: u.as_bytes().to_vec(),
            message: "gateway is in use".into(),
        };
        let failed = PamRemoveControllerResponse {
            controllers: vec![entry(&uid)],
        };
        let unrelated = PamRemoveControllerResponse {
            controllers: vec![entry(&other)],
        };
        assert!(matches!(
            check_removal(&uid, &failed),
            Err(PamError::RemoveFailed { message, .. }) if message == "gateway is in use"
        ));
        assert!(check_removal(&uid, &unrelated).is_ok());
        assert!(check_removal(&uid, &PamRemoveControllerResponse::default()).is_ok());
    }
}
