//! Package `Authentication` (Keeper's APIRequest.proto): the `api/rest` envelope, Login v3,
//! and the KSM application share/client/info messages.
//!
//! Field numbers follow the serialized descriptors in Commander's `proto/APIRequest_pb2.py`;
//! the few fields only present in the newer Python SDK proto are marked on their struct.

mod apps;
mod enums;
mod login;

pub use apps::*;
pub use enums::*;
pub use login::*;

/// Outer `api/rest` request, sent in clear: wrapped transmission key plus the encrypted `ApiRequestPayload`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct ApiRequest {
    #[prost(bytes = "vec", tag = "1")]
    pub encrypted_transmission_key: Vec<u8>,
    #[prost(int32, tag = "2")]
    pub public_key_id: i32,
    #[prost(string, tag = "3")]
    pub locale: String,
    #[prost(bytes = "vec", tag = "4")]
    pub encrypted_payload: Vec<u8>,
    #[prost(int32, tag = "5")]
    pub encryption_type: i32,
    #[prost(string, tag = "6")]
    pub recaptcha: String,
    #[prost(string, tag = "7")]
    pub sub_environment: String,
    #[prost(message, optional, tag = "8")]
    pub qrc_message_key: Option<QrcMessageKey>,
}

/// Inner request, AES-GCM under the transmission key: endpoint body plus session token.
#[derive(Clone, PartialEq, ::prost::Message)]
#[prost(skip_debug)]
pub struct ApiRequestPayload {
    #[prost(bytes = "vec", tag = "1")]
    pub payload: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    pub encrypted_session_token: Vec<u8>,
    #[prost(bytes = "vec", tag = "3")]
    pub time_token: Vec<u8>,
    #[prost(int32, tag = "4")]
    pub api_version: i32,
}

redacted_debug!(ApiRequestPayload { api_version });

/// Hybrid (ECDH + ML-KEM) wrapping of the transmission key, used with QRC key ids 107/124/136.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct QrcMessageKey {
    #[prost(bytes = "vec", tag = "1")]
    pub client_ec_public_key: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    pub ml_kem_encapsulated_key: Vec<u8>,
    #[prost(bytes = "vec", tag = "3")]
    pub data: Vec<u8>,
    #[prost(int32, tag = "4")]
    pub msg_version: i32,
    #[prost(int32, tag = "5")]
    pub ec_key_id: i32,
}
