//! Sharing a shared folder with a KSM application (`vault/app_share_add`, `vault/app_share_remove`).
//! Facts: protocol-vault-ksm-gateway.md §3.1; peer-call-sequences.md §2.3.

use super::KsmError;
use crate::keeper::auth::Session;
use crate::keeper::crypto::aes_gcm_encrypt;
use crate::keeper::proto::authentication::{
    AddAppSharesRequest, AppShareAdd, ApplicationShareType, RemoveAppSharesRequest,
};
use crate::keeper::transport::TransportError;
use crate::keeper::uid::Uid;
use crate::keeper::vault::{Application, SharedFolder};

/// The message Keeper answers when the secret is already shared; Commander logs it and goes on.
const DUPLICATE_SHARE_MESSAGE: &str = "Duplicate share, already added";

/// Builds the `AddAppSharesRequest` sharing `folder` with `app`.
///
/// `encryptedSecretKey` = GCM(sharedFolderKey, appKey): the app's clients unwrap the folder key
/// with the app key they received at redemption.
pub fn app_share_add_request(
    app: &Application,
    folder: &SharedFolder,
    editable: bool,
) -> AddAppSharesRequest {
    AddAppSharesRequest {
        app_record_uid: app.uid.as_bytes().to_vec(),
        shares: vec![AppShareAdd {
            secret_uid: folder.uid.as_bytes().to_vec(),
            share_type: ApplicationShareType::ShareTypeFolder as i32,
            encrypted_secret_key: aes_gcm_encrypt(&app.key, folder.key.as_bytes()),
            editable,
        }],
    }
}

/// Shares a shared folder with an application ("Can Edit" when `editable`).
///
/// An existing share is left as it is (Keeper reports a duplicate, treated as success); to change
/// `editable` call [`remove_shares`] first, as Commander does.
pub async fn share_folder(
    session: &Session,
    app: &Application,
    folder: &SharedFolder,
    editable: bool,
) -> Result<(), KsmError> {
    let request = app_share_add_request(app, folder, editable);
    match session
        .execute_proto::<_, ()>("vault/app_share_add", &request)
        .await
    {
        Ok(()) => Ok(()),
        Err(error) if is_duplicate_share(&error) => {
            tracing::debug!(app = %app.uid, folder = %folder.uid, "share already exists");
            Ok(())
        }
        Err(error) => Err(error.into()),
    }
}

/// Removes the shares of `secrets` (shared folder or record UIDs) from an application.
pub async fn remove_shares(session: &Session, app: &Uid, secrets: &[Uid]) -> Result<(), KsmError> {
    let request = RemoveAppSharesRequest {
        app_record_uid: app.as_bytes().to_vec(),
        shares: secrets.iter().map(|uid| uid.as_bytes().to_vec()).collect(),
    };
    session
        .execute_proto::<_, ()>("vault/app_share_remove", &request)
        .await
        .map_err(KsmError::from)
}

fn is_duplicate_share(error: &TransportError) -> bool {
    matches!(error, TransportError::Keeper { message, .. } if message.trim() == DUPLICATE_SHARE_MESSAGE)
}
