//! KSM application shares, clients, info and summary messages of package `Authentication`.

/// `vault/app_share_add` body: shares records or shared folders with a KSM application.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct AddAppSharesRequest {
    #[prost(bytes = "vec", tag = "1")]
    pub app_record_uid: Vec<u8>,
    #[prost(message, repeated, tag = "2")]
    pub shares: Vec<AppShareAdd>,
}

/// One share to add; there is no field 1 on the wire.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct AppShareAdd {
    #[prost(bytes = "vec", tag = "2")]
    pub secret_uid: Vec<u8>,
    #[prost(enumeration = "ApplicationShareType", tag = "3")]
    pub share_type: i32,
    #[prost(bytes = "vec", tag = "4")]
    pub encrypted_secret_key: Vec<u8>,
    #[prost(bool, tag = "5")]
    pub editable: bool,
}

/// `vault/app_share_remove` body: secret UIDs to unshare from an application.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct RemoveAppSharesRequest {
    #[prost(bytes = "vec", tag = "1")]
    pub app_record_uid: Vec<u8>,
    #[prost(bytes = "vec", repeated, tag = "2")]
    pub shares: Vec<Vec<u8>>,
}

/// `vault/get_app_info` body: application UIDs to describe.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct GetAppInfoRequest {
    #[prost(bytes = "vec", repeated, tag = "1")]
    pub app_record_uid: Vec<Vec<u8>>,
}

/// Reply of `vault/get_app_info`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct GetAppInfoResponse {
    #[prost(message, repeated, tag = "1")]
    pub app_info: Vec<AppInfo>,
}

/// Shares and clients of one KSM application.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct AppInfo {
    #[prost(bytes = "vec", tag = "1")]
    pub app_record_uid: Vec<u8>,
    #[prost(message, repeated, tag = "2")]
    pub shares: Vec<AppShare>,
    #[prost(message, repeated, tag = "3")]
    pub clients: Vec<AppClient>,
    #[prost(bool, tag = "4")]
    pub is_external_share: bool,
}

/// One record or shared folder shared with an application.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct AppShare {
    #[prost(bytes = "vec", tag = "1")]
    pub secret_uid: Vec<u8>,
    #[prost(enumeration = "ApplicationShareType", tag = "2")]
    pub share_type: i32,
    #[prost(bool, tag = "3")]
    pub editable: bool,
    #[prost(int64, tag = "4")]
    pub created_on: i64,
    #[prost(bytes = "vec", tag = "5")]
    pub data: Vec<u8>,
}

/// One client device (or gateway) of an application.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct AppClient {
    #[prost(string, tag = "1")]
    pub id: String,
    #[prost(bytes = "vec", tag = "2")]
    pub client_id: Vec<u8>,
    #[prost(int64, tag = "3")]
    pub created_on: i64,
    #[prost(int64, tag = "4")]
    pub first_access: i64,
    #[prost(int64, tag = "5")]
    pub last_access: i64,
    #[prost(bytes = "vec", tag = "6")]
    pub public_key: Vec<u8>,
    #[prost(bool, tag = "7")]
    pub lock_ip: bool,
    #[prost(string, tag = "8")]
    pub ip_address: String,
    #[prost(int64, tag = "9")]
    pub first_access_expire_on: i64,
    #[prost(int64, tag = "10")]
    pub access_expire_on: i64,
    #[prost(
        enumeration = "crate::keeper::proto::enterprise::AppClientType",
        tag = "11"
    )]
    pub app_client_type: i32,
    #[prost(bool, tag = "12")]
    pub can_edit: bool,
}

/// Reply of `vault/get_applications_summary`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct GetApplicationsSummaryResponse {
    #[prost(message, repeated, tag = "1")]
    pub application_summary: Vec<ApplicationSummary>,
}

/// Counters for one KSM application visible to the user.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct ApplicationSummary {
    #[prost(bytes = "vec", tag = "1")]
    pub app_record_uid: Vec<u8>,
    #[prost(int64, tag = "2")]
    pub last_access: i64,
    #[prost(int32, tag = "3")]
    pub record_shares: i32,
    #[prost(int32, tag = "4")]
    pub folder_shares: i32,
    #[prost(int32, tag = "5")]
    pub folder_records: i32,
    #[prost(int32, tag = "6")]
    pub client_count: i32,
    #[prost(int32, tag = "7")]
    pub expired_client_count: i32,
    #[prost(string, tag = "8")]
    pub username: String,
    #[prost(bytes = "vec", tag = "9")]
    pub app_data: Vec<u8>,
}

/// `vault/app_client_add` body: registers a client whose secret becomes the one-time access token.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct AddAppClientRequest {
    #[prost(bytes = "vec", tag = "1")]
    pub app_record_uid: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    pub encrypted_app_key: Vec<u8>,
    #[prost(bytes = "vec", tag = "3")]
    pub client_id: Vec<u8>,
    #[prost(bool, tag = "4")]
    pub lock_ip: bool,
    #[prost(int64, tag = "5")]
    pub first_access_expire_on: i64,
    #[prost(int64, tag = "6")]
    pub access_expire_on: i64,
    #[prost(string, tag = "7")]
    pub id: String,
    #[prost(
        enumeration = "crate::keeper::proto::enterprise::AppClientType",
        tag = "8"
    )]
    pub app_client_type: i32,
}

/// `vault/app_client_remove` body: client ids to remove from an application.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct RemoveAppClientsRequest {
    #[prost(bytes = "vec", tag = "1")]
    pub app_record_uid: Vec<u8>,
    #[prost(bytes = "vec", repeated, tag = "2")]
    pub clients: Vec<Vec<u8>>,
}

/// What an `AppShare` points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Enumeration)]
#[repr(i32)]
pub enum ApplicationShareType {
    /// Keeper `SHARE_TYPE_RECORD`.
    ShareTypeRecord = 0,
    /// Keeper `SHARE_TYPE_FOLDER`.
    ShareTypeFolder = 1,
}
