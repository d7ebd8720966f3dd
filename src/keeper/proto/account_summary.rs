//! Package `AccountSummary`: the post-login account summary, trimmed to the fields the client reads.

/// `login/account_summary` body.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct AccountSummaryRequest {
    #[prost(int32, tag = "1")]
    pub summary_version: i32,
    #[prost(bool, tag = "2")]
    pub include_recent_activity: bool,
}

/// Reply of `login/account_summary`: wrapped user keys, settings, license, enforcements.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct AccountSummaryElements {
    #[prost(bytes = "vec", tag = "1")]
    pub client_key: Vec<u8>,
    #[prost(message, optional, tag = "2")]
    pub settings: Option<Settings>,
    #[prost(message, optional, tag = "3")]
    pub keys_info: Option<KeysInfo>,
    #[prost(bool, tag = "5")]
    pub is_enterprise_admin: bool,
    #[prost(message, optional, tag = "6")]
    pub license: Option<License>,
    #[prost(message, optional, tag = "8")]
    pub enforcements: Option<Enforcements>,
    #[prost(message, repeated, tag = "9")]
    pub images: Vec<KeyValue>,
    #[prost(message, optional, tag = "10")]
    pub personal_license: Option<License>,
    #[prost(bool, tag = "11")]
    pub fix_shared_folder_records: bool,
    #[prost(string, repeated, tag = "12")]
    pub usernames: Vec<String>,
    #[prost(message, repeated, tag = "13")]
    pub devices: Vec<DeviceInfo>,
    #[prost(bool, tag = "14")]
    pub is_share_admin: bool,
    #[prost(bool, tag = "15")]
    pub account_recovery: bool,
    #[prost(bool, tag = "16")]
    pub account_recovery_prompt: bool,
    #[prost(int32, tag = "17")]
    pub min_master_password_length_no_prompt: i32,
    #[prost(bool, tag = "18")]
    pub forbid_key_type2: bool,
    #[prost(bool, tag = "19")]
    pub forbid_key_type1: bool,
    #[prost(string, repeated, tag = "20")]
    pub disallowed_features: Vec<String>,
}

/// Account settings the client reads (logout timer, persistent login).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Settings {
    #[prost(int64, tag = "26")]
    pub logout_timer: i64,
    #[prost(bool, tag = "27")]
    pub persistent_login: bool,
    #[prost(bool, tag = "29")]
    pub share_data_key_with_ecc_public_key: bool,
    #[prost(bool, tag = "30")]
    pub share_data_key_with_device_public_key: bool,
    #[prost(int32, tag = "36")]
    pub logout_timer_minutes: i32,
}

/// The user's wrapped RSA and ECC private keys.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct KeysInfo {
    #[prost(bytes = "vec", tag = "1")]
    pub encryption_params: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    pub encrypted_data_key: Vec<u8>,
    #[prost(double, tag = "3")]
    pub data_key_backup_date: f64,
    #[prost(bytes = "vec", tag = "4")]
    pub user_auth_uid: Vec<u8>,
    #[prost(bytes = "vec", tag = "5")]
    pub encrypted_private_key: Vec<u8>,
    #[prost(bytes = "vec", tag = "6")]
    pub encrypted_ecc_private_key: Vec<u8>,
    #[prost(bytes = "vec", tag = "7")]
    pub ecc_public_key: Vec<u8>,
}

/// License facts the client reads (account type, enterprise id, BreachWatch).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct License {
    #[prost(int32, tag = "13")]
    pub account_type: i32,
    #[prost(int32, tag = "15")]
    pub enterprise_id: i32,
    #[prost(bool, tag = "18")]
    pub breach_watch_feature_disable: bool,
    #[prost(bytes = "vec", tag = "19")]
    pub account_uid: Vec<u8>,
    #[prost(bool, tag = "23")]
    pub breach_watch_enabled: bool,
}

/// Enterprise role enforcements, by value type.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Enforcements {
    #[prost(message, repeated, tag = "1")]
    pub strings: Vec<KeyValue>,
    #[prost(message, repeated, tag = "2")]
    pub booleans: Vec<KeyValueBoolean>,
    #[prost(message, repeated, tag = "3")]
    pub longs: Vec<KeyValueLong>,
    #[prost(message, repeated, tag = "4")]
    pub jsons: Vec<KeyValue>,
}

/// String-valued key/value pair.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct KeyValue {
    #[prost(string, tag = "1")]
    pub key: String,
    #[prost(string, tag = "2")]
    pub value: String,
}

/// Boolean-valued key/value pair.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct KeyValueBoolean {
    #[prost(string, tag = "1")]
    pub key: String,
    #[prost(bool, tag = "2")]
    pub value: bool,
}

/// Integer-valued key/value pair.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct KeyValueLong {
    #[prost(string, tag = "1")]
    pub key: String,
    #[prost(int64, tag = "2")]
    pub value: i64,
}

/// One of the user's devices, with whether its data key is registered.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct DeviceInfo {
    #[prost(bytes = "vec", tag = "1")]
    pub encrypted_device_token: Vec<u8>,
    #[prost(string, tag = "2")]
    pub device_name: String,
    #[prost(
        enumeration = "crate::keeper::proto::authentication::DeviceStatus",
        tag = "3"
    )]
    pub device_status: i32,
    #[prost(bytes = "vec", tag = "4")]
    pub device_public_key: Vec<u8>,
    #[prost(string, tag = "6")]
    pub client_version: String,
    #[prost(bool, tag = "10")]
    pub encrypted_data_key_present: bool,
}
