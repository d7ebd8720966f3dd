//! Moving a record from the vault root into a shared folder, as Commander's `mv` does
//! (`commands/folder.py::FolderMoveCommand`): the v2 `move` command names the record, where it
//! comes from (`user_folder`: the root) and the shared folder, and carries the record key wrapped
//! with the shared folder key (GCM for version 3+ records) as its transition key.

use serde_json::{json, Value};

use super::{SharedFolder, VaultError};
use crate::keeper::auth::Session;
use crate::keeper::crypto::{aes_gcm_encrypt, b64url_encode, AesKey};
use crate::keeper::uid::Uid;

/// The v2 `move` command that puts a root record into the root of `folder`.
pub fn move_to_shared_folder_command(
    record: &Uid,
    record_key: &AesKey,
    folder: &SharedFolder,
) -> Value {
    let transition_key = b64url_encode(&aes_gcm_encrypt(&folder.key, record_key.as_bytes()));
    json!({
        "command": "move",
        "link": false,
        "move": [{
            "uid": record.to_string(),
            "type": "record",
            "cascade": false,
            "from_type": "user_folder",
        }],
        "to_type": "shared_folder",
        "to_uid": folder.uid.to_string(),
        "transition_keys": [{"uid": record.to_string(), "key": transition_key}],
    })
}

/// Moves a record from the vault root into `folder`.
pub async fn move_record_to_shared_folder(
    session: &Session,
    record: &Uid,
    record_key: &AesKey,
    folder: &SharedFolder,
) -> Result<(), VaultError> {
    session
        .execute_v2_command(move_to_shared_folder_command(record, record_key, folder))
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keeper::crypto::{aes_gcm_decrypt, b64url_decode};

    #[test]
    fn move_carries_the_record_key_wrapped_by_the_folder_key() {
        let folder = SharedFolder {
            uid: Uid::generate(),
            name: "Lab".into(),
            key: AesKey::generate(),
            at_root: true,
        };
        let (record, key) = (Uid::generate(), AesKey::generate());
        let command = move_to_shared_folder_command(&record, &key, &folder);
        assert_eq!(command["to_uid"], folder.uid.to_string());
        assert_eq!(command["move"][0]["from_type"], "user_folder");
        let wrapped =
            b64url_decode(command["transition_keys"][0]["key"].as_str().unwrap()).unwrap();
        assert_eq!(
            aes_gcm_decrypt(&folder.key, &wrapped).unwrap(),
            key.as_bytes().to_vec()
        );
    }
}
