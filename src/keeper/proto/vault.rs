//! Package `Vault` (SyncDown.proto): the vault sync, trimmed to folders, records, teams and KSM notices.
//! Field numbers follow Commander's `proto/SyncDown_pb2.py`; unmodelled fields are skipped by prost.

/// `vault/sync_down` body; feed `continuationToken` back while `hasMore`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct SyncDownRequest {
    #[prost(bytes = "vec", tag = "1")]
    pub continuation_token: Vec<u8>,
    #[prost(int32, tag = "2")]
    pub data_version: i32,
    #[prost(bool, tag = "3")]
    pub debug: bool,
}

/// Reply of `vault/sync_down`; only the parts a provisioning client needs are modelled.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct SyncDownResponse {
    #[prost(bytes = "vec", tag = "1")]
    pub continuation_token: Vec<u8>,
    #[prost(bool, tag = "2")]
    pub has_more: bool,
    #[prost(enumeration = "CacheStatus", tag = "3")]
    pub cache_status: i32,
    #[prost(message, repeated, tag = "4")]
    pub user_folders: Vec<UserFolder>,
    #[prost(message, repeated, tag = "5")]
    pub shared_folders: Vec<SharedFolder>,
    #[prost(message, repeated, tag = "6")]
    pub user_folder_shared_folders: Vec<UserFolderSharedFolder>,
    #[prost(message, repeated, tag = "7")]
    pub shared_folder_folders: Vec<SharedFolderFolder>,
    #[prost(message, repeated, tag = "8")]
    pub records: Vec<Record>,
    #[prost(message, repeated, tag = "9")]
    pub record_meta_data: Vec<RecordMetaData>,
    #[prost(message, repeated, tag = "10")]
    pub non_shared_data: Vec<NonSharedData>,
    #[prost(message, repeated, tag = "11")]
    pub record_links: Vec<RecordLink>,
    #[prost(message, repeated, tag = "12")]
    pub user_folder_records: Vec<UserFolderRecord>,
    #[prost(message, repeated, tag = "13")]
    pub shared_folder_records: Vec<SharedFolderRecord>,
    #[prost(message, repeated, tag = "14")]
    pub shared_folder_folder_records: Vec<SharedFolderFolderRecord>,
    #[prost(message, repeated, tag = "15")]
    pub shared_folder_users: Vec<SharedFolderUser>,
    #[prost(message, repeated, tag = "16")]
    pub shared_folder_teams: Vec<SharedFolderTeam>,
    #[prost(bytes = "vec", repeated, tag = "17")]
    pub record_add_audit_data: Vec<Vec<u8>>,
    #[prost(message, repeated, tag = "18")]
    pub teams: Vec<Team>,
    #[prost(message, repeated, tag = "19")]
    pub sharing_changes: Vec<SharingChange>,
    #[prost(bytes = "vec", repeated, tag = "27")]
    pub removed_user_folders: Vec<Vec<u8>>,
    #[prost(bytes = "vec", repeated, tag = "28")]
    pub removed_shared_folders: Vec<Vec<u8>>,
    #[prost(message, repeated, tag = "29")]
    pub removed_user_folder_shared_folders: Vec<UserFolderSharedFolder>,
    #[prost(message, repeated, tag = "30")]
    pub removed_shared_folder_folders: Vec<SharedFolderFolder>,
    #[prost(bytes = "vec", repeated, tag = "31")]
    pub removed_records: Vec<Vec<u8>>,
    #[prost(message, repeated, tag = "32")]
    pub removed_record_links: Vec<RecordLink>,
    #[prost(message, repeated, tag = "33")]
    pub removed_user_folder_records: Vec<UserFolderRecord>,
    #[prost(message, repeated, tag = "34")]
    pub removed_shared_folder_records: Vec<SharedFolderRecord>,
    #[prost(message, repeated, tag = "35")]
    pub removed_shared_folder_folder_records: Vec<SharedFolderFolderRecord>,
    #[prost(message, repeated, tag = "36")]
    pub removed_shared_folder_users: Vec<SharedFolderUser>,
    #[prost(message, repeated, tag = "37")]
    pub removed_shared_folder_teams: Vec<SharedFolderTeam>,
    #[prost(bytes = "vec", repeated, tag = "38")]
    pub removed_teams: Vec<Vec<u8>>,
    #[prost(message, repeated, tag = "39")]
    pub ksm_app_shares: Vec<KsmChange>,
    #[prost(message, repeated, tag = "40")]
    pub ksm_app_clients: Vec<KsmChange>,
    #[prost(message, repeated, tag = "44")]
    pub users: Vec<User>,
    #[prost(bytes = "vec", repeated, tag = "45")]
    pub removed_users: Vec<Vec<u8>>,
}

/// Whether the client must drop its cached vault before applying a sync page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Enumeration)]
#[repr(i32)]
pub enum CacheStatus {
    /// Keeper `KEEP`.
    Keep = 0,
    /// Keeper `CLEAR`.
    Clear = 1,
}

/// A folder of the user's own vault.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct UserFolder {
    #[prost(bytes = "vec", tag = "1")]
    pub folder_uid: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    pub parent_uid: Vec<u8>,
    #[prost(bytes = "vec", tag = "3")]
    pub user_folder_key: Vec<u8>,
    #[prost(
        enumeration = "crate::keeper::proto::records::RecordKeyType",
        tag = "4"
    )]
    pub key_type: i32,
    #[prost(int64, tag = "5")]
    pub revision: i64,
    #[prost(bytes = "vec", tag = "6")]
    pub data: Vec<u8>,
}

/// A shared folder with its wrapped key, encrypted name and default permissions.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct SharedFolder {
    #[prost(bytes = "vec", tag = "1")]
    pub shared_folder_uid: Vec<u8>,
    #[prost(int64, tag = "2")]
    pub revision: i64,
    #[prost(bytes = "vec", tag = "3")]
    pub shared_folder_key: Vec<u8>,
    #[prost(
        enumeration = "crate::keeper::proto::records::RecordKeyType",
        tag = "4"
    )]
    pub key_type: i32,
    #[prost(bytes = "vec", tag = "5")]
    pub data: Vec<u8>,
    #[prost(bool, tag = "6")]
    pub default_manage_records: bool,
    #[prost(bool, tag = "7")]
    pub default_manage_users: bool,
    #[prost(bool, tag = "8")]
    pub default_can_edit: bool,
    #[prost(bool, tag = "9")]
    pub default_can_reshare: bool,
    #[prost(enumeration = "CacheStatus", tag = "10")]
    pub cache_status: i32,
    #[prost(string, tag = "11")]
    pub owner: String,
    #[prost(bytes = "vec", tag = "12")]
    pub owner_account_uid: Vec<u8>,
    #[prost(bytes = "vec", tag = "13")]
    pub name: Vec<u8>,
}

/// Placement of a shared folder inside a user folder (empty `folderUid` = root).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct UserFolderSharedFolder {
    #[prost(bytes = "vec", tag = "1")]
    pub folder_uid: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    pub shared_folder_uid: Vec<u8>,
    #[prost(int64, tag = "3")]
    pub revision: i64,
}

/// A sub-folder inside a shared folder.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct SharedFolderFolder {
    #[prost(bytes = "vec", tag = "1")]
    pub shared_folder_uid: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    pub folder_uid: Vec<u8>,
    #[prost(bytes = "vec", tag = "3")]
    pub parent_uid: Vec<u8>,
    #[prost(bytes = "vec", tag = "4")]
    pub shared_folder_folder_key: Vec<u8>,
    #[prost(
        enumeration = "crate::keeper::proto::records::RecordKeyType",
        tag = "5"
    )]
    pub key_type: i32,
    #[prost(int64, tag = "6")]
    pub revision: i64,
    #[prost(bytes = "vec", tag = "7")]
    pub data: Vec<u8>,
}

/// A shared folder key held through a team.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct SharedFolderKey {
    #[prost(bytes = "vec", tag = "1")]
    pub shared_folder_uid: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    pub shared_folder_key: Vec<u8>,
    #[prost(
        enumeration = "crate::keeper::proto::records::RecordKeyType",
        tag = "3"
    )]
    pub key_type: i32,
}

/// A team the user belongs to, with its wrapped keys.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Team {
    #[prost(bytes = "vec", tag = "1")]
    pub team_uid: Vec<u8>,
    #[prost(string, tag = "2")]
    pub name: String,
    #[prost(bytes = "vec", tag = "3")]
    pub team_key: Vec<u8>,
    #[prost(
        enumeration = "crate::keeper::proto::records::RecordKeyType",
        tag = "4"
    )]
    pub team_key_type: i32,
    #[prost(bytes = "vec", tag = "5")]
    pub team_private_key: Vec<u8>,
    #[prost(bool, tag = "6")]
    pub restrict_edit: bool,
    #[prost(bool, tag = "7")]
    pub restrict_share: bool,
    #[prost(bool, tag = "8")]
    pub restrict_view: bool,
    #[prost(bytes = "vec", repeated, tag = "9")]
    pub removed_shared_folders: Vec<Vec<u8>>,
    #[prost(message, repeated, tag = "10")]
    pub shared_folder_keys: Vec<SharedFolderKey>,
    #[prost(bytes = "vec", tag = "11")]
    pub team_ecc_private_key: Vec<u8>,
    #[prost(bytes = "vec", tag = "12")]
    pub team_ecc_public_key: Vec<u8>,
}

/// A record; version 5 is a KSM application.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Record {
    #[prost(bytes = "vec", tag = "1")]
    pub record_uid: Vec<u8>,
    #[prost(int64, tag = "2")]
    pub revision: i64,
    #[prost(int32, tag = "3")]
    pub version: i32,
    #[prost(bool, tag = "4")]
    pub shared: bool,
    #[prost(int64, tag = "5")]
    pub client_modified_time: i64,
    #[prost(bytes = "vec", tag = "6")]
    pub data: Vec<u8>,
    #[prost(bytes = "vec", tag = "7")]
    pub extra: Vec<u8>,
    #[prost(string, tag = "8")]
    pub udata: String,
    #[prost(int64, tag = "9")]
    pub file_size: i64,
    #[prost(int64, tag = "10")]
    pub thumbnail_size: i64,
}

/// A parent/child record link.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct RecordLink {
    #[prost(bytes = "vec", tag = "1")]
    pub parent_record_uid: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    pub child_record_uid: Vec<u8>,
    #[prost(bytes = "vec", tag = "3")]
    pub record_key: Vec<u8>,
    #[prost(int64, tag = "4")]
    pub revision: i64,
}

/// A record placed in a user folder.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct UserFolderRecord {
    #[prost(bytes = "vec", tag = "1")]
    pub folder_uid: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    pub record_uid: Vec<u8>,
    #[prost(int64, tag = "3")]
    pub revision: i64,
}

/// A record placed in a shared-folder sub-folder.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct SharedFolderFolderRecord {
    #[prost(bytes = "vec", tag = "1")]
    pub shared_folder_uid: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    pub folder_uid: Vec<u8>,
    #[prost(bytes = "vec", tag = "3")]
    pub record_uid: Vec<u8>,
    #[prost(int64, tag = "4")]
    pub revision: i64,
}

/// Per-user data of a record.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct NonSharedData {
    #[prost(bytes = "vec", tag = "1")]
    pub record_uid: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    pub data: Vec<u8>,
}

/// The user's wrapped key and permissions for a record.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct RecordMetaData {
    #[prost(bytes = "vec", tag = "1")]
    pub record_uid: Vec<u8>,
    #[prost(bool, tag = "2")]
    pub owner: bool,
    #[prost(bytes = "vec", tag = "3")]
    pub record_key: Vec<u8>,
    #[prost(
        enumeration = "crate::keeper::proto::records::RecordKeyType",
        tag = "4"
    )]
    pub record_key_type: i32,
    #[prost(bool, tag = "5")]
    pub can_share: bool,
    #[prost(bool, tag = "6")]
    pub can_edit: bool,
    #[prost(bytes = "vec", tag = "7")]
    pub owner_account_uid: Vec<u8>,
    #[prost(int64, tag = "8")]
    pub expiration: i64,
    #[prost(
        enumeration = "crate::keeper::proto::records::TimerNotificationType",
        tag = "9"
    )]
    pub expiration_notification_type: i32,
    #[prost(string, tag = "10")]
    pub owner_username: String,
}

/// A change of a record's shared flag.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct SharingChange {
    #[prost(bytes = "vec", tag = "1")]
    pub record_uid: Vec<u8>,
    #[prost(bool, tag = "2")]
    pub shared: bool,
}

/// A record inside a shared folder, its key wrapped with the shared folder key.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct SharedFolderRecord {
    #[prost(bytes = "vec", tag = "1")]
    pub shared_folder_uid: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    pub record_uid: Vec<u8>,
    #[prost(bytes = "vec", tag = "3")]
    pub record_key: Vec<u8>,
    #[prost(bool, tag = "4")]
    pub can_share: bool,
    #[prost(bool, tag = "5")]
    pub can_edit: bool,
    #[prost(bytes = "vec", tag = "6")]
    pub owner_account_uid: Vec<u8>,
    #[prost(int64, tag = "7")]
    pub expiration: i64,
    #[prost(bool, tag = "8")]
    pub owner: bool,
    #[prost(
        enumeration = "crate::keeper::proto::records::TimerNotificationType",
        tag = "9"
    )]
    pub expiration_notification_type: i32,
    #[prost(string, tag = "10")]
    pub owner_username: String,
    #[prost(bool, tag = "11")]
    pub rotate_on_expiration: bool,
}

/// A user member of a shared folder.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct SharedFolderUser {
    #[prost(bytes = "vec", tag = "1")]
    pub shared_folder_uid: Vec<u8>,
    #[prost(string, tag = "2")]
    pub username: String,
    #[prost(bool, tag = "3")]
    pub manage_records: bool,
    #[prost(bool, tag = "4")]
    pub manage_users: bool,
    #[prost(bytes = "vec", tag = "5")]
    pub account_uid: Vec<u8>,
    #[prost(int64, tag = "6")]
    pub expiration: i64,
    #[prost(
        enumeration = "crate::keeper::proto::records::TimerNotificationType",
        tag = "7"
    )]
    pub expiration_notification_type: i32,
    #[prost(bool, tag = "8")]
    pub rotate_on_expiration: bool,
}

/// A team member of a shared folder.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct SharedFolderTeam {
    #[prost(bytes = "vec", tag = "1")]
    pub shared_folder_uid: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    pub team_uid: Vec<u8>,
    #[prost(string, tag = "3")]
    pub name: String,
    #[prost(bool, tag = "4")]
    pub manage_records: bool,
    #[prost(bool, tag = "5")]
    pub manage_users: bool,
    #[prost(int64, tag = "6")]
    pub expiration: i64,
    #[prost(
        enumeration = "crate::keeper::proto::records::TimerNotificationType",
        tag = "7"
    )]
    pub expiration_notification_type: i32,
    #[prost(bool, tag = "8")]
    pub rotate_on_expiration: bool,
}

/// Notice that a KSM application share or client changed.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct KsmChange {
    #[prost(bytes = "vec", tag = "1")]
    pub app_record_uid: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    pub detail_id: Vec<u8>,
    #[prost(bool, tag = "3")]
    pub removed: bool,
    #[prost(
        enumeration = "crate::keeper::proto::enterprise::AppClientType",
        tag = "4"
    )]
    pub app_client_type: i32,
    #[prost(int64, tag = "5")]
    pub expiration: i64,
}

/// Account UID to username mapping.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct User {
    #[prost(bytes = "vec", tag = "1")]
    pub account_uid: Vec<u8>,
    #[prost(string, tag = "2")]
    pub username: String,
}
