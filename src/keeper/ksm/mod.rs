//! Keeper Secrets Manager: applications, folder shares, gateway clients, their One-Time Access
//! Tokens, and redeeming a token into a KSM config.
//!
//! The vault-side calls go through the session's `api/rest` transport; redemption speaks
//! `sm/v1` as a KSM SDK would. Facts: protocol-vault-ksm-gateway.md §2–§5.

pub mod apps;
pub mod clients;
pub mod config;
pub mod redeem;
pub mod shares;
pub mod token;

pub use apps::{
    add_application, application_add_request, get_app_info, list_applications, AppClient, AppInfo,
    AppShare, ApplicationSummary, ShareType,
};
pub use clients::{
    add_app_client_request, add_gateway_client, add_gateway_client_with_token, first_access_expiry,
    remove_clients, NewGatewayClient, FIRST_ACCESS_EXPIRY_MINUTES,
};
pub use config::{ConfigError, KsmConfig};
pub use redeem::{redeem, RedeemOptions, KSM_CLIENT_VERSION};
pub use shares::{app_share_add_request, remove_shares, share_folder};
pub use token::{OneTimeToken, TokenError};

use crate::keeper::crypto::CryptoError;
use crate::keeper::refusal::Failure;
use crate::keeper::transport::TransportError;

/// Why a KSM call failed; carries Keeper's code and message, never keys or tokens.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KsmError {
    /// The request never got a Keeper answer (network, TLS, session, throttling, …).
    #[error(transparent)]
    Transport(TransportError),
    /// Keeper refused the call with this code and message.
    #[error("Keeper refused the request: {code}: {message}")]
    Refused {
        /// Keeper's error code (`access_denied`, `bad_request`, …).
        code: String,
        /// Keeper's message.
        message: String,
    },
    /// Keeper says the thing already exists.
    #[error("already exists: {0}")]
    Conflict(String),
    /// The application (or another named object) does not exist or is not visible.
    #[error("not found: {0}")]
    NotFound(String),
    /// An argument was out of range (empty name, token expiry, missing host).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Keeper's answer was not what the protocol promises.
    #[error("unexpected answer from Keeper: {0}")]
    BadResponse(String),
    /// A key did not decrypt (wrong key, corrupted data).
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// A One-Time Access Token could not be parsed.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// A KSM config could not be read.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

impl From<TransportError> for KsmError {
    /// Lifts Keeper's refusals out of the transport error, so callers match on one place.
    fn from(error: TransportError) -> Self {
        match Failure::from(error) {
            Failure::Transport(error) => KsmError::Transport(error),
            Failure::Conflict { message, .. } => KsmError::Conflict(message),
            Failure::NotFound(message) => KsmError::NotFound(message),
            Failure::Refused { code, message } => KsmError::Refused { code, message },
        }
    }
}
