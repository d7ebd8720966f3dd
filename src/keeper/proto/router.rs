//! Package `Router` (router.proto): the envelope of Keeper's router ("krouter") replies and the
//! PAM configuration settings request. Field numbers from Commander 18.1.8 `proto/router_pb2.py`.

/// Every router reply that is not JSON: a code, a message and a payload encrypted with the
/// request's transmission key (Commander `router_helper.py::_post_request_to_router`).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct RouterResponse {
    #[prost(enumeration = "RouterResponseCode", tag = "1")]
    pub response_code: i32,
    #[prost(string, tag = "2")]
    pub error_message: String,
    #[prost(bytes = "vec", tag = "3")]
    pub encrypted_payload: Vec<u8>,
}

/// `Router.RouterResponseCode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Enumeration)]
#[repr(i32)]
pub enum RouterResponseCode {
    /// `RRC_OK`.
    RrcOk = 0,
    /// `RRC_GENERAL_ERROR`.
    RrcGeneralError = 1,
    /// `RRC_NOT_ALLOWED`.
    RrcNotAllowed = 2,
    /// `RRC_BAD_REQUEST`.
    RrcBadRequest = 3,
    /// `RRC_TIMEOUT`.
    RrcTimeout = 4,
    /// `RRC_BAD_STATE`.
    RrcBadState = 5,
    /// `RRC_CONTROLLER_DOWN`.
    RrcControllerDown = 6,
    /// `RRC_WRONG_INSTANCE`.
    RrcWrongInstance = 7,
    /// `RRC_NOT_ALLOWED_ENFORCEMENT_NOT_ENABLED`.
    RrcNotAllowedEnforcementNotEnabled = 8,
    /// `RRC_NOT_ALLOWED_PAM_CONFIG_FEATURES_NOT_ENABLED`.
    RrcNotAllowedPamConfigFeaturesNotEnabled = 9,
}

impl RouterResponseCode {
    /// Keeper's name of the code, e.g. `RRC_NOT_ALLOWED`.
    pub fn name(self) -> &'static str {
        match self {
            RouterResponseCode::RrcOk => "RRC_OK",
            RouterResponseCode::RrcGeneralError => "RRC_GENERAL_ERROR",
            RouterResponseCode::RrcNotAllowed => "RRC_NOT_ALLOWED",
            RouterResponseCode::RrcBadRequest => "RRC_BAD_REQUEST",
            RouterResponseCode::RrcTimeout => "RRC_TIMEOUT",
            RouterResponseCode::RrcBadState => "RRC_BAD_STATE",
            RouterResponseCode::RrcControllerDown => "RRC_CONTROLLER_DOWN",
            RouterResponseCode::RrcWrongInstance => "RRC_WRONG_INSTANCE",
            RouterResponseCode::RrcNotAllowedEnforcementNotEnabled => {
                "RRC_NOT_ALLOWED_ENFORCEMENT_NOT_ENABLED"
            }
            RouterResponseCode::RrcNotAllowedPamConfigFeaturesNotEnabled => {
                "RRC_NOT_ALLOWED_PAM_CONFIG_FEATURES_NOT_ENABLED"
            }
        }
    }
}

/// Body of the router's `configure_network_graph`: a configuration's settings, written to its
/// DAG by the router (Commander `TunnelGraph.py::TunnelDAG.edit_tunneling_config`).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct PamNetworkConfigurationRequest {
    #[prost(bytes = "vec", tag = "1")]
    pub record_uid: Vec<u8>,
    #[prost(message, optional, tag = "2")]
    pub network_settings: Option<PamNetworkSettings>,
}

/// `Router.PAMNetworkSettings`; `allowed_settings` is the JSON of the `allowedSettings` object.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct PamNetworkSettings {
    #[prost(bytes = "vec", tag = "1")]
    pub allowed_settings: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    pub idp_config_uid: Vec<u8>,
    #[prost(bytes = "vec", tag = "3")]
    pub admin_uid: Vec<u8>,
}
