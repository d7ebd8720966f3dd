//! Keeper Login v3 with a master password, device registration and persistent login
//! (protocol-transport-login.md §4).
//!
//! [`device`] registers the device and holds the credentials to persist, [`login`] is the login
//! state machine (one type per interactive step), [`session`] the logged-in result.

pub mod device;
mod login;
mod outcome;
pub mod policy;
pub mod session;
mod sso;
mod steps;

pub use self::device::{
    register_device, register_device_in_region, CloneCode, DeviceCredentials, DeviceToken,
    DEFAULT_DEVICE_NAME,
};
pub use self::login::{login_with_password, resume_login, start_login, LoginOptions};
pub use self::outcome::{
    LoginDenied, LoginOutcome, SessionRestriction, TwoFactorChannel, TwoFactorKind,
};
pub use self::policy::AccountPolicy;
pub use self::session::{Session, SessionParts, SessionRenewal};
pub use self::sso::{CloudSsoLogin, SsoRedirect};
pub use self::steps::{DeviceApprovalStep, PasswordStep, TwoFactorStep};
/// Wire enums the 2FA step takes as arguments (push kind, "remember this device" duration).
pub use crate::keeper::proto::authentication::{TwoFactorExpiration, TwoFactorPushType};

use crate::keeper::crypto::CryptoError;
use crate::keeper::server::ServerParseError;
use crate::keeper::transport::TransportError;

/// Why a login (or a session-level auth call) failed outright.
///
/// Interactive steps (2FA, device approval, SSO …) are not errors: they come back as a
/// `LoginOutcome`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The request failed in transport (network, TLS, throttling, Keeper error …).
    #[error(transparent)]
    Transport(TransportError),
    /// The server rejected the password (`auth_failed`).
    #[error("wrong password")]
    WrongPassword,
    /// A key from the server could not be decrypted or parsed.
    #[error("cannot decrypt the {what}: {source}")]
    Crypto {
        /// Which key failed.
        what: &'static str,
        /// The underlying crypto failure (never carries key bytes).
        source: CryptoError,
    },
    /// The data key came in a form this client cannot decrypt (e.g. biometrics).
    #[error("the data key type {0} is not supported")]
    UnsupportedDataKeyType(i32),
    /// The data key is password-protected but no password was given in this login.
    #[error("the server needs the master password to release the data key")]
    PasswordRequired,
    /// The server sent a host that is not a valid server name.
    #[error("the server redirected to an invalid host: {0}")]
    InvalidRedirect(ServerParseError),
    /// An operation needs the device credentials, but the session has none.
    #[error("this session has no registered device")]
    NoDevice,
    /// A clone-code resume was requested without a stored clone code.
    #[error("no clone code is stored for this device; log in with the password")]
    NoCloneCode,
    /// The server's reply was missing something the protocol requires.
    #[error("unexpected reply from the Keeper server: {0}")]
    BadResponse(String),
    /// The token pasted after an SSO sign-in cannot be used (the reason never quotes it).
    #[error("the SSO token cannot be used: {0}")]
    InvalidSsoToken(&'static str),
    /// A login path this client does not implement.
    #[error("{0} is not supported by gw-provision")]
    Unsupported(&'static str),
}

impl From<TransportError> for AuthError {
    fn from(error: TransportError) -> Self {
        match error {
            TransportError::AuthFailed => AuthError::WrongPassword,
            other => AuthError::Transport(other),
        }
    }
}
