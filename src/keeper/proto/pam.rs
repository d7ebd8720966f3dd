//! Package `PAM` (pam.proto): gateway (controller) listing and removal, PAM configuration
//! records and their gateway binding. Field numbers from Commander 18.1.8 `proto/pam_pb2.py`.

/// Reply of `pam/get_controllers`: the gateways the user can see.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct PamControllersResponse {
    #[prost(message, repeated, tag = "1")]
    pub controllers: Vec<PamController>,
}

/// One gateway (controller); fields 11 and 12 come from the newer SDK proto.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct PamController {
    #[prost(bytes = "vec", tag = "1")]
    pub controller_uid: Vec<u8>,
    #[prost(string, tag = "2")]
    pub controller_name: String,
    #[prost(string, tag = "3")]
    pub device_token: String,
    #[prost(string, tag = "4")]
    pub device_name: String,
    #[prost(int64, tag = "5")]
    pub node_id: i64,
    #[prost(int64, tag = "6")]
    pub created: i64,
    #[prost(int64, tag = "7")]
    pub last_modified: i64,
    #[prost(bytes = "vec", tag = "8")]
    pub application_uid: Vec<u8>,
    #[prost(
        enumeration = "crate::keeper::proto::enterprise::AppClientType",
        tag = "9"
    )]
    pub app_client_type: i32,
    #[prost(bool, tag = "10")]
    pub is_initialized: bool,
    #[prost(int32, tag = "11")]
    pub max_instance_count: i32,
    #[prost(int64, tag = "12")]
    pub last_seen: i64,
}

/// Request carrying one UID, e.g. `pam/remove_controller`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct PamGenericUidRequest {
    #[prost(bytes = "vec", tag = "1")]
    pub uid: Vec<u8>,
}

/// Reply of `pam/remove_controller`; an entry for the requested UID means it failed.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct PamRemoveControllerResponse {
    #[prost(message, repeated, tag = "1")]
    pub controllers: Vec<PamRemoveController>,
}

/// Per-controller failure reason of a removal.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct PamRemoveController {
    #[prost(bytes = "vec", tag = "1")]
    pub controller_uid: Vec<u8>,
    #[prost(string, tag = "2")]
    pub message: String,
}

/// `pam/add_configuration_record` body: a new PAM configuration as a version-6 record
/// (Commander `pam_pb2.ConfigurationAddRequest`). `record_key` is GCM(record key, data key),
/// `data` GCM(record JSON, record key).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct ConfigurationAddRequest {
    #[prost(bytes = "vec", tag = "1")]
    pub configuration_uid: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    pub record_key: Vec<u8>,
    #[prost(bytes = "vec", tag = "3")]
    pub data: Vec<u8>,
    #[prost(message, repeated, tag = "4")]
    pub record_links: Vec<RecordLink>,
    #[prost(message, optional, tag = "5")]
    pub audit: Option<crate::keeper::proto::records::RecordAudit>,
}

/// `Records.RecordLink`: a child record with its key wrapped by the parent's (unused by a new
/// local configuration, modelled so the field number is taken).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct RecordLink {
    #[prost(bytes = "vec", tag = "1")]
    pub record_uid: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    pub record_key: Vec<u8>,
}

/// `pam/set_configuration_controller` body: binds a configuration to a gateway.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct PamConfigurationController {
    #[prost(bytes = "vec", tag = "1")]
    pub configuration_uid: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    pub controller_uid: Vec<u8>,
}
