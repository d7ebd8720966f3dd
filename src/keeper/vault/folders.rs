//! Creating a shared folder at the vault root (v2 command `folder_add`).
//! Facts: protocol-vault-ksm-gateway.md §1.1; peer-call-sequences.md §2.1.

use serde::Serialize;

use super::{SharedFolder, VaultError};
use crate::keeper::auth::Session;
use crate::keeper::crypto::{aes_cbc_encrypt, b64url_encode, AesKey};
use crate::keeper::proto::v2::{FolderAddCommand, FolderType};
use crate::keeper::uid::Uid;

/// The default permissions a new shared folder gives its members.
///
/// All four are sent explicitly, as the Python SDK does (Commander omits the false ones).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DefaultPermissions {
    /// Members may manage users by default.
    pub manage_users: bool,
    /// Members may manage records by default.
    pub manage_records: bool,
    /// Members may edit records by default.
    pub can_edit: bool,
    /// Members may re-share records by default.
    pub can_share: bool,
}

/// The `data` JSON of a folder.
#[derive(Serialize)]
struct FolderData<'a> {
    name: &'a str,
}

/// Builds the `folder_add` command for a shared folder at the vault root.
///
/// `key` = CBC(folderKey, dataKey); `name` = CBC(name, folderKey); `data` = CBC(`{"name":..}`,
/// folderKey) — the folder-side layouts are all AES-CBC (Commander `FolderMakeCommand`).
pub fn folder_add_command(
    uid: &Uid,
    folder_key: &AesKey,
    name: &str,
    data_key: &AesKey,
    defaults: DefaultPermissions,
) -> FolderAddCommand {
    // Serializing one string cannot fail.
    let data = serde_json::to_vec(&FolderData { name }).unwrap_or_default();
    FolderAddCommand {
        command: FolderAddCommand::COMMAND.to_owned(),
        folder_uid: uid.to_string(),
        folder_type: FolderType::SharedFolder,
        key: b64url_encode(&aes_cbc_encrypt(data_key, folder_key.as_bytes())),
        data: b64url_encode(&aes_cbc_encrypt(folder_key, &data)),
        name: Some(b64url_encode(&aes_cbc_encrypt(folder_key, name.as_bytes()))),
        parent_uid: None,
        shared_folder_uid: None,
        manage_users: Some(defaults.manage_users),
        manage_records: Some(defaults.manage_records),
        can_edit: Some(defaults.can_edit),
        can_share: Some(defaults.can_share),
    }
}

/// Creates a shared folder at the vault root and returns it with its fresh key.
///
/// Keeper does not refuse duplicate names; finding an existing folder first is the caller's job
/// (see [`super::VaultSnapshot::find_shared_folder`]).
pub async fn add_shared_folder(
    session: &Session,
    name: &str,
    defaults: DefaultPermissions,
) -> Result<SharedFolder, VaultError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(VaultError::InvalidInput(
            "the shared folder name is empty".into(),
        ));
    }
    let folder = SharedFolder {
        uid: Uid::generate(),
        name: name.to_owned(),
        key: AesKey::generate(),
        at_root: true,
    };
    let command = folder_add_command(&folder.uid, &folder.key, name, session.data_key(), defaults);
    let command = serde_json::to_value(&command)
        .map_err(|e| VaultError::InvalidInput(format!("cannot serialize folder_add: {e}")))?;
    session.execute_v2_command(command).await?;
    Ok(folder)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keeper::crypto::{aes_cbc_decrypt, b64url_decode};

    #[test]
    fn folder_add_wraps_the_key_with_the_data_key_and_names_with_the_folder_key() {
        let data_key = AesKey::generate();
        let folder_key = AesKey::generate();
        let uid = Uid::generate();
        let command = folder_add_command(
            &uid,
            &folder_key,
            "Lab ✓",
            &data_key,
            DefaultPermissions::default(),
        );

        let unwrap =
            |text: &str, key: &AesKey| aes_cbc_decrypt(key, &b64url_decode(text).unwrap()).unwrap();
        assert_eq!(unwrap(&command.key, &data_key), folder_key.as_bytes());
        assert_eq!(
            unwrap(command.name.as_deref().unwrap(), &folder_key),
            "Lab ✓".as_bytes()
        );
        assert_eq!(
            unwrap(&command.data, &folder_key),
            "{\"name\":\"Lab ✓\"}".as_bytes()
        );
        assert_eq!(command.folder_uid, uid.to_string());
        assert_eq!(command.parent_uid, None);
    }

    #[test]
    fn all_four_default_permissions_are_sent_even_when_false() {
        let command = folder_add_command(
            &Uid::generate(),
            &AesKey::generate(),
            "x",
            &AesKey::generate(),
            DefaultPermissions {
                can_edit: true,
                ..DefaultPermissions::default()
            },
        );
        let json = serde_json::to_value(&command).unwrap();
        assert_eq!(json["command"], "folder_add");
        assert_eq!(json["folder_type"], "shared_folder");
        assert_eq!(json["manage_users"], false);
        assert_eq!(json["manage_records"], false);
        assert_eq!(json["can_edit"], true);
        assert_eq!(json["can_share"], false);
    }
}
