//! Package `Records` (record.proto): application creation and record key types.

/// `vault/application_add` body: creates a KSM application as a v5 record.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct ApplicationAddRequest {
    #[prost(bytes = "vec", tag = "1")]
    pub app_uid: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    pub record_key: Vec<u8>,
    #[prost(int64, tag = "3")]
    pub client_modified_time: i64,
    #[prost(bytes = "vec", tag = "4")]
    pub data: Vec<u8>,
    #[prost(message, optional, tag = "5")]
    pub audit: Option<RecordAudit>,
}

/// Optional enterprise audit data attached to a new record.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct RecordAudit {
    #[prost(int32, tag = "1")]
    pub version: i32,
    #[prost(bytes = "vec", tag = "2")]
    pub data: Vec<u8>,
}

/// How a record, folder or team key is wrapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Enumeration)]
#[repr(i32)]
pub enum RecordKeyType {
    /// Keeper `NO_KEY`.
    NoKey = 0,
    /// Keeper `ENCRYPTED_BY_DATA_KEY`.
    EncryptedByDataKey = 1,
    /// Keeper `ENCRYPTED_BY_PUBLIC_KEY`.
    EncryptedByPublicKey = 2,
    /// Keeper `ENCRYPTED_BY_DATA_KEY_GCM`.
    EncryptedByDataKeyGcm = 3,
    /// Keeper `ENCRYPTED_BY_PUBLIC_KEY_ECC`.
    EncryptedByPublicKeyEcc = 4,
    /// Keeper `ENCRYPTED_BY_ROOT_KEY_CBC`.
    EncryptedByRootKeyCbc = 5,
    /// Keeper `ENCRYPTED_BY_ROOT_KEY_GCM`.
    EncryptedByRootKeyGcm = 6,
}

/// Who is notified when a time-limited share expires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Enumeration)]
#[repr(i32)]
pub enum TimerNotificationType {
    /// Keeper `NOTIFICATION_OFF`.
    NotificationOff = 0,
    /// Keeper `NOTIFY_OWNER`.
    NotifyOwner = 1,
    /// Keeper `NOTIFY_PRIVILEGED_USERS`.
    NotifyPrivilegedUsers = 2,
}
