//! Package `SsoCloud` (ssocloud.proto): the Cloud SSO request carried in the identity provider
//! URL and the response SSO Connect hands back as a "login token". The client builds the first
//! and opens the second; the sandbox does the reverse, so both use these definitions.

/// `SsoCloud.SsoCloudRequest`, carried (sealed to the server key) in the SSO URL's `payload=`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct SsoCloudRequest {
    #[prost(bytes = "vec", tag = "1")]
    pub message_session_uid: Vec<u8>,
    #[prost(string, tag = "2")]
    pub client_version: String,
    #[prost(bool, tag = "3")]
    pub embedded: bool,
    #[prost(bool, tag = "4")]
    pub json: bool,
    #[prost(string, tag = "5")]
    pub dest: String,
    #[prost(string, tag = "6")]
    pub idp_session_id: String,
    #[prost(bool, tag = "7")]
    pub force_login: bool,
    #[prost(string, tag = "8")]
    pub username: String,
    #[prost(bool, tag = "9")]
    pub detached: bool,
}

/// `SsoCloud.SsoCloudResponse`, what the login token decrypts to. Its tokens are secret, so its
/// `Debug` shows only the command, e-mail and provider.
#[derive(Clone, PartialEq, ::prost::Message)]
#[prost(skip_debug)]
pub struct SsoCloudResponse {
    #[prost(string, tag = "1")]
    pub command: String,
    #[prost(bytes = "vec", tag = "2")]
    pub message_session_uid: Vec<u8>,
    #[prost(string, tag = "3")]
    pub email: String,
    #[prost(bytes = "vec", tag = "4")]
    pub encrypted_login_token: Vec<u8>,
    #[prost(string, tag = "5")]
    pub provider_name: String,
    #[prost(string, tag = "6")]
    pub idp_session_id: String,
    #[prost(bytes = "vec", tag = "7")]
    pub encrypted_session_token: Vec<u8>,
    #[prost(string, tag = "8")]
    pub error_token: String,
}

super::redacted_debug!(SsoCloudResponse {
    command,
    email,
    provider_name
});
