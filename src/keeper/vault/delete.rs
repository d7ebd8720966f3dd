//! Removing objects from the vault root the way Commander's `rmdir` and `rm` do: the v2
//! `pre_delete` command names the objects and returns a token, and `delete` with that token
//! carries it out (`commands/folder.py` FolderRemoveCommand, `commands/record.py`).

use serde_json::{json, Value};

use super::VaultError;
use crate::keeper::auth::Session;
use crate::keeper::uid::Uid;

/// What kind of root object is removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RootObject {
    /// A shared folder placed at the vault root.
    SharedFolder(Uid),
    /// A record at the vault root (a KSM application is a version-5 record).
    Record(Uid),
    /// A record at the root of a shared folder (a PAM configuration).
    FolderRecord {
        /// The record.
        record: Uid,
        /// The shared folder holding it.
        folder: Uid,
    },
}

impl RootObject {
    fn to_json(self) -> Value {
        let (uid, kind) = match self {
            RootObject::SharedFolder(uid) => (uid, "shared_folder"),
            RootObject::Record(uid) => (uid, "record"),
            // Commander's `rm` names the folder a record is removed from, and says
            // `shared_folder_folder` for any folder that is not the user's (`commands/record.py`
            // RecordRemoveCommand).
            RootObject::FolderRecord { record, folder } => {
                return json!({
                    "object_uid": record.to_string(),
                    "object_type": "record",
                    "from_uid": folder.to_string(),
                    "from_type": "shared_folder_folder",
                    "delete_resolution": "unlink",
                })
            }
        };
        json!({
            "object_uid": uid.to_string(),
            "object_type": kind,
            "from_type": "user_folder",
            "delete_resolution": "unlink",
        })
    }
}

/// Removes `objects` from the vault root: `pre_delete`, then `delete` with its token.
pub async fn delete_from_root(session: &Session, objects: &[RootObject]) -> Result<(), VaultError> {
    if objects.is_empty() {
        return Ok(());
    }
    let request = json!({
        "command": "pre_delete",
        "objects": objects.iter().map(|o| o.to_json()).collect::<Vec<_>>(),
    });
    let reply = session.execute_v2_command(request).await?;
    let token = reply
        .pointer("/pre_delete_response/pre_delete_token")
        .and_then(Value::as_str)
        .ok_or_else(|| VaultError::BadResponse("pre_delete returned no pre_delete_token".into()))?
        .to_owned();
    session
        .execute_v2_command(json!({"command": "delete", "pre_delete_token": token}))
        .await?;
    Ok(())
}
