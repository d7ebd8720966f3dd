//! What a login attempt ends in: a session, an interactive step, or a typed refusal
//! (protocol-transport-login.md §4.3, §4.5).

use std::fmt;

use super::device::DeviceCredentials;
use super::session::Session;
use super::sso::SsoRedirect;
use super::steps::{DeviceApprovalStep, PasswordStep, TwoFactorStep};
use crate::keeper::proto::authentication::{
    LoginState, SessionTokenType, TwoFactorChannelInfo, TwoFactorChannelType, TwoFactorExpiration,
    TwoFactorValueType,
};

/// The result of one login round: logged in, or what the server needs next.
#[derive(Debug)]
pub enum LoginOutcome {
    /// Logged in; the session carries the decrypted keys.
    LoggedIn(Box<Session>),
    /// The server wants the master password (`REQUIRES_AUTH_HASH`).
    NeedsPassword(PasswordStep),
    /// The server wants a second factor on one of the listed channels (`REQUIRES_2FA`).
    NeedsTwoFactor(TwoFactorStep),
    /// This device must be approved first (`DEVICE_APPROVAL_REQUIRED`).
    NeedsDeviceApproval(DeviceApprovalStep),
    /// An SSO device has no data key yet and needs push or admin approval
    /// (`REQUIRES_DEVICE_ENCRYPTED_DATA_KEY`).
    NeedsDeviceDataKey(DeviceApprovalStep),
    /// The account logs in through SSO: Cloud SSO with a pasted token, or its master password.
    NeedsSso(SsoRedirect),
    /// The account was redirected to another region twice in one login.
    RegionRedirect {
        /// The host the server pointed to.
        host: String,
    },
    /// Login succeeded but only into a restricted session this client cannot use.
    Restricted {
        /// Why the session is restricted.
        restriction: SessionRestriction,
        /// The server's message, if any.
        message: String,
    },
    /// The server refused the login.
    Denied {
        /// Why.
        reason: LoginDenied,
        /// The server's message, if any.
        message: String,
    },
}

impl LoginOutcome {
    /// The device credentials to persist after this round, when the outcome carries them.
    pub fn device_credentials(&self) -> Option<&DeviceCredentials> {
        match self {
            LoginOutcome::LoggedIn(session) => session.device_credentials(),
            LoginOutcome::NeedsPassword(step) => Some(step.device_credentials()),
            LoginOutcome::NeedsTwoFactor(step) => Some(step.device_credentials()),
            LoginOutcome::NeedsDeviceApproval(step) | LoginOutcome::NeedsDeviceDataKey(step) => {
                Some(step.device_credentials())
            }
            LoginOutcome::NeedsSso(step) => Some(step.device_credentials()),
            _ => None,
        }
    }
}

/// Why the server refused a login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginDenied {
    /// `DEVICE_LOCKED`: an administrator locked this device.
    DeviceLocked,
    /// `ACCOUNT_LOCKED`: the account is locked.
    AccountLocked,
    /// `DEVICE_ACCOUNT_LOCKED`: the account is locked on this device.
    DeviceAccountLocked,
    /// `UPGRADE`: the server wants a newer client.
    UpgradeRequired,
    /// `LICENSE_EXPIRED`: the subscription has expired.
    LicenseExpired,
    /// `REQUIRES_ACCOUNT_CREATION`: there is no such account yet.
    AccountCreationRequired,
    /// `LOGIN_TOKEN_EXPIRED`: the interactive login took too long; start again.
    LoginTokenExpired,
    /// No password salt was offered: the account must be recovered in Keeper's own apps.
    AccountRecoveryRequired,
    /// The server asked for the username, but none is known (clone-code resume).
    UsernameRequired,
    /// A login state this client does not handle (passkeys, …), by its number.
    Unsupported(i32),
}

impl LoginDenied {
    /// Maps a terminal login state; `None` for states that are not refusals.
    pub(crate) fn from_state(state: i32) -> Option<LoginDenied> {
        Some(match LoginState::try_from(state).ok()? {
            LoginState::DeviceLocked => LoginDenied::DeviceLocked,
            LoginState::AccountLocked => LoginDenied::AccountLocked,
            LoginState::DeviceAccountLocked => LoginDenied::DeviceAccountLocked,
            LoginState::Upgrade => LoginDenied::UpgradeRequired,
            LoginState::LicenseExpired => LoginDenied::LicenseExpired,
            LoginState::RequiresAccountCreation => LoginDenied::AccountCreationRequired,
            LoginState::LoginTokenExpired => LoginDenied::LoginTokenExpired,
            _ => return None,
        })
    }
}

impl fmt::Display for LoginDenied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoginDenied::DeviceLocked => f.write_str("this device is locked"),
            LoginDenied::AccountLocked => f.write_str("the account is locked"),
            LoginDenied::DeviceAccountLocked => f.write_str("the account is locked on this device"),
            LoginDenied::UpgradeRequired => f.write_str("the server requires a newer client"),
            LoginDenied::LicenseExpired => f.write_str("the account's license has expired"),
            LoginDenied::AccountCreationRequired => f.write_str("the account does not exist"),
            LoginDenied::LoginTokenExpired => f.write_str("the login took too long; start again"),
            LoginDenied::AccountRecoveryRequired => {
                f.write_str("the account needs recovery in a Keeper app")
            }
            LoginDenied::UsernameRequired => f.write_str("the server needs the username"),
            LoginDenied::Unsupported(state) => {
                write!(f, "login state {state} is not supported by this client")
            }
        }
    }
}

/// Why a logged-in session is restricted (`LoginResponse.sessionTokenType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionRestriction {
    /// The master password must be changed first.
    AccountRecovery,
    /// Account-transfer consent is needed first.
    ShareAccount,
    /// The subscription expired (`PURCHASE`, `RESTRICT`, `EXPIRED_BUT_ALLOWED_TO_SYNC`).
    Expired,
    /// An invitation must be accepted first.
    AcceptInvite,
    /// Any other restricted token type, by its number.
    Other(i32),
}

impl SessionRestriction {
    /// `None` for an unrestricted session.
    pub(crate) fn from_token_type(token_type: i32) -> Option<SessionRestriction> {
        let Ok(kind) = SessionTokenType::try_from(token_type) else {
            return Some(SessionRestriction::Other(token_type));
        };
        Some(match kind {
            SessionTokenType::NoRestriction => return None,
            SessionTokenType::AccountRecovery => SessionRestriction::AccountRecovery,
            SessionTokenType::ShareAccount => SessionRestriction::ShareAccount,
            SessionTokenType::Purchase
            | SessionTokenType::Restrict
            | SessionTokenType::ExpiredButAllowedToSync => SessionRestriction::Expired,
            SessionTokenType::AcceptInvite | SessionTokenType::AcceptFamilyInvite => {
                SessionRestriction::AcceptInvite
            }
            _ => SessionRestriction::Other(token_type),
        })
    }
}

impl fmt::Display for SessionRestriction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionRestriction::AccountRecovery => {
                f.write_str("the master password must be changed in a Keeper app")
            }
            SessionRestriction::ShareAccount => {
                f.write_str("account transfer must be accepted in a Keeper app")
            }
            SessionRestriction::Expired => f.write_str("the account's subscription has expired"),
            SessionRestriction::AcceptInvite => {
                f.write_str("an invitation must be accepted in a Keeper app")
            }
            SessionRestriction::Other(kind) => write!(f, "restricted session (type {kind})"),
        }
    }
}

/// The kind of a second-factor channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TwoFactorKind {
    /// Authenticator app code.
    Totp,
    /// Code sent by text message.
    Sms,
    /// Duo Security (push, text or call).
    Duo,
    /// RSA SecurID code.
    RsaSecurId,
    /// One of the account's backup codes.
    Backup,
    /// A U2F security key (not supported by this client).
    U2f,
    /// A WebAuthn security key (not supported by this client).
    WebAuthn,
    /// Keeper push to another logged-in device.
    KeeperPush,
    /// Keeper DNA (smart watch).
    Dna,
    /// A channel type this client does not know, by its number.
    Other(i32),
}

impl TwoFactorKind {
    fn from_channel_type(channel_type: i32) -> TwoFactorKind {
        match TwoFactorChannelType::try_from(channel_type) {
            Ok(TwoFactorChannelType::TwoFaCtTotp) => TwoFactorKind::Totp,
            Ok(TwoFactorChannelType::TwoFaCtSms) => TwoFactorKind::Sms,
            Ok(TwoFactorChannelType::TwoFaCtDuo) => TwoFactorKind::Duo,
            Ok(TwoFactorChannelType::TwoFaCtRsa) => TwoFactorKind::RsaSecurId,
            Ok(TwoFactorChannelType::TwoFaCtBackup) => TwoFactorKind::Backup,
            Ok(TwoFactorChannelType::TwoFaCtU2f) => TwoFactorKind::U2f,
            Ok(TwoFactorChannelType::TwoFaCtWebauthn) => TwoFactorKind::WebAuthn,
            Ok(TwoFactorChannelType::TwoFaCtKeeper) => TwoFactorKind::KeeperPush,
            Ok(TwoFactorChannelType::TwoFaCtDna) => TwoFactorKind::Dna,
            _ => TwoFactorKind::Other(channel_type),
        }
    }

    /// `TwoFactorValidateRequest.valueType` for a code typed for this channel (§4.3).
    pub(crate) fn value_type(self) -> TwoFactorValueType {
        match self {
            TwoFactorKind::Totp => TwoFactorValueType::TwoFaCodeTotp,
            TwoFactorKind::Sms => TwoFactorValueType::TwoFaCodeSms,
            TwoFactorKind::Duo => TwoFactorValueType::TwoFaCodeDuo,
            TwoFactorKind::RsaSecurId => TwoFactorValueType::TwoFaCodeRsa,
            TwoFactorKind::WebAuthn => TwoFactorValueType::TwoFaRespWebauthn,
            TwoFactorKind::Dna => TwoFactorValueType::TwoFaCodeDna,
            _ => TwoFactorValueType::TwoFaCodeNone,
        }
    }
}

/// One second-factor channel the server offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwoFactorChannel {
    /// What kind of channel this is.
    pub kind: TwoFactorKind,
    /// `channel_uid`, echoed when sending a push or a code.
    pub uid: Vec<u8>,
    /// The channel's display name.
    pub name: String,
    /// Masked phone number for SMS/Duo channels.
    pub phone_number: String,
    /// Duo capabilities (`push`, `sms`, `phone`).
    pub capabilities: Vec<String>,
    /// The longest "remember this device" the channel allows; `None` when the server set none.
    pub max_expiration: Option<TwoFactorExpiration>,
}

impl From<&TwoFactorChannelInfo> for TwoFactorChannel {
    fn from(info: &TwoFactorChannelInfo) -> Self {
        TwoFactorChannel {
            kind: TwoFactorKind::from_channel_type(info.channel_type),
            uid: info.channel_uid.clone(),
            name: info.channel_name.clone(),
            phone_number: info.phone_number.clone(),
            capabilities: info.capabilities.clone(),
            // 0 (IMMEDIATELY) is also proto3's "unset": read it as no limit, the server clamps.
            max_expiration: TwoFactorExpiration::try_from(info.max_expiration)
                .ok()
                .filter(|e| *e != TwoFactorExpiration::TwoFaExpImmediately),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_states_map_to_denials() {
        assert_eq!(LoginDenied::from_state(4), Some(LoginDenied::AccountLocked));
        assert_eq!(
            LoginDenied::from_state(7),
            Some(LoginDenied::LicenseExpired)
        );
        assert_eq!(LoginDenied::from_state(99), None);
    }

    #[test]
    fn only_no_restriction_is_unrestricted() {
        assert_eq!(SessionRestriction::from_token_type(0), None);
        assert_eq!(
            SessionRestriction::from_token_type(1),
            Some(SessionRestriction::AccountRecovery)
        );
        assert_eq!(
            SessionRestriction::from_token_type(3),
            Some(SessionRestriction::Expired)
        );
        assert_eq!(
            SessionRestriction::from_token_type(77),
            Some(SessionRestriction::Other(77))
        );
    }

    #[test]
    fn totp_channel_validates_with_code_totp() {
        let info = TwoFactorChannelInfo {
            channel_type: TwoFactorChannelType::TwoFaCtTotp as i32,
            ..TwoFactorChannelInfo::default()
        };
        let channel = TwoFactorChannel::from(&info);
        assert_eq!(channel.kind, TwoFactorKind::Totp);
        assert_eq!(channel.kind.value_type(), TwoFactorValueType::TwoFaCodeTotp);
    }
}
