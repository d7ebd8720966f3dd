//! JSON bodies of the legacy `vault/execute_v2_command` channel.
//!
//! The transport adds `client_version`, `session_token` and `username` to every command object;
//! the types here carry only the command's own keys (Commander `commands/folder.py`,
//! Python SDK `vault/folder_management.py`).

use serde::{Deserialize, Serialize};

use super::rest_error::{lenient_opt_string, lenient_string};

/// Kind of folder created by `folder_add`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FolderType {
    /// A folder of the user's own vault.
    UserFolder,
    /// A shared folder (at root or inside a user folder; never nested).
    SharedFolder,
    /// A sub-folder inside a shared folder.
    SharedFolderFolder,
}

/// The `folder_add` command; binary values are b64url without padding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderAddCommand {
    /// Always `"folder_add"`.
    pub command: String,
    /// New folder UID.
    pub folder_uid: String,
    /// What kind of folder to create.
    pub folder_type: FolderType,
    /// Folder key wrapped with AES-CBC: by the data key (shared/user folder) or by the
    /// shared folder key (`shared_folder_folder`).
    pub key: String,
    /// AES-CBC of `{"name": …}` under the folder key.
    pub data: String,
    /// AES-CBC of the UTF-8 name under the folder key; shared folders only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Parent user folder; absent for the vault root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_uid: Option<String>,
    /// Enclosing shared folder; only for `shared_folder_folder`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_folder_uid: Option<String>,
    /// Default "manage users" permission of a shared folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manage_users: Option<bool>,
    /// Default "manage records" permission of a shared folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manage_records: Option<bool>,
    /// Default "can edit" permission of a shared folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_edit: Option<bool>,
    /// Default "can share" permission of a shared folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_share: Option<bool>,
}

impl FolderAddCommand {
    /// The `command` value of this body.
    pub const COMMAND: &'static str = "folder_add";
}

/// Generic reply of a v2 command: `{"result": "success"|"fail", "result_code", "message", …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct V2Response {
    /// `"success"` on success; anything else is a failure.
    #[serde(default, deserialize_with = "lenient_string")]
    pub result: String,
    /// Failure code (e.g. `throttled`, `exists`), when present.
    #[serde(
        default,
        deserialize_with = "lenient_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub result_code: Option<String>,
    /// Human-readable text, when present.
    #[serde(
        default,
        deserialize_with = "lenient_opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub message: Option<String>,
    /// Command-specific keys, kept so callers can read them without another type.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl V2Response {
    /// A bare success reply, as the sandbox answers `folder_add`.
    pub fn success() -> Self {
        Self {
            result: "success".into(),
            result_code: None,
            message: None,
            extra: serde_json::Map::new(),
        }
    }

    /// A failure reply with a code and message.
    pub fn failure(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            result: "fail".into(),
            result_code: Some(code.into()),
            message: Some(message.into()),
            extra: serde_json::Map::new(),
        }
    }

    /// True when `result == "success"`, the only check both Keeper clients make.
    pub fn is_success(&self) -> bool {
        self.result == "success"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_folder_add_serializes_keeper_key_names() {
        let cmd = FolderAddCommand {
            command: FolderAddCommand::COMMAND.into(),
            folder_uid: "rdQ6Gh9tW7rxOKQmlJsHDQ".into(),
            folder_type: FolderType::SharedFolder,
            key: "k".into(),
            data: "d".into(),
            name: Some("n".into()),
            parent_uid: None,
            shared_folder_uid: None,
            manage_users: Some(false),
            manage_records: Some(true),
            can_edit: Some(true),
            can_share: Some(false),
        };
        let value = serde_json::to_value(&cmd).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"command": "folder_add", "folder_uid": "rdQ6Gh9tW7rxOKQmlJsHDQ",
                "folder_type": "shared_folder", "key": "k", "data": "d", "name": "n",
                "manage_users": false, "manage_records": true, "can_edit": true, "can_share": false})
        );
    }

    #[test]
    fn commander_folder_add_with_transport_keys_parses() {
        let json = r#"{"command":"folder_add","folder_uid":"abc","folder_type":"shared_folder",
            "key":"k","data":"d","name":"n","can_edit":true,"client_version":"c18.0.0",
            "session_token":"t","username":"u@x","client_time":1,"locale":"en_US","device_id":"Commander"}"#;
        let cmd: FolderAddCommand = serde_json::from_str(json).unwrap();
        assert_eq!(cmd.folder_type, FolderType::SharedFolder);
        assert_eq!(
            (cmd.can_edit, cmd.manage_users, cmd.parent_uid),
            (Some(true), None, None)
        );
    }

    #[test]
    fn v2_reply_success_and_failure_are_distinguished() {
        let ok: V2Response = serde_json::from_str(r#"{"result":"success","revision":5}"#).unwrap();
        let fail: V2Response = serde_json::from_str(
            r#"{"result":"fail","result_code":"exists","message":"Folder exists"}"#,
        )
        .unwrap();
        assert!(ok.is_success());
        assert_eq!(ok.extra.get("revision"), Some(&serde_json::json!(5)));
        assert!(!fail.is_success());
        assert_eq!(fail.result_code.as_deref(), Some("exists"));
    }

    #[test]
    fn success_reply_serializes_minimal_json() {
        let json = serde_json::to_string(&V2Response::success()).unwrap();
        assert_eq!(json, r#"{"result":"success"}"#);
    }
}
