//! Wire messages the sandbox answers but the client never sends, so `keeper::proto` lacks them.
//!
//! Field numbers come from Commander 18.1.8's `proto/record_pb2.py` descriptors (package `Records`).

/// `vault/get_records_details` body (Commander's `secrets-manager share add` / `app get`).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct GetRecordDataWithAccessInfoRequest {
    #[prost(int64, tag = "1")]
    pub client_time: i64,
    #[prost(bytes = "vec", repeated, tag = "2")]
    pub record_uid: Vec<Vec<u8>>,
    #[prost(int32, tag = "3")]
    pub record_details_include: i32,
}

/// Reply of `vault/get_records_details`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct GetRecordDataWithAccessInfoResponse {
    #[prost(message, repeated, tag = "1")]
    pub record_data_with_access_info: Vec<RecordDataWithAccessInfo>,
    #[prost(bytes = "vec", repeated, tag = "2")]
    pub no_permission_record_uid: Vec<Vec<u8>>,
}

/// Who can reach one record.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct RecordDataWithAccessInfo {
    #[prost(bytes = "vec", tag = "1")]
    pub record_uid: Vec<u8>,
    #[prost(message, repeated, tag = "3")]
    pub user_permission: Vec<UserPermission>,
    #[prost(message, repeated, tag = "4")]
    pub shared_folder_permission: Vec<SharedFolderPermission>,
}

/// One user's rights on a record.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct UserPermission {
    #[prost(string, tag = "1")]
    pub username: String,
    #[prost(bool, tag = "2")]
    pub owner: bool,
    #[prost(bool, tag = "3")]
    pub share_admin: bool,
    #[prost(bool, tag = "4")]
    pub sharable: bool,
    #[prost(bool, tag = "5")]
    pub editable: bool,
    #[prost(bytes = "vec", tag = "8")]
    pub account_uid: Vec<u8>,
}

/// A shared folder's rights on a record.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct SharedFolderPermission {
    #[prost(bytes = "vec", tag = "1")]
    pub shared_folder_uid: Vec<u8>,
    #[prost(bool, tag = "2")]
    pub resharable: bool,
    #[prost(bool, tag = "3")]
    pub editable: bool,
    #[prost(int64, tag = "4")]
    pub revision: i64,
}
