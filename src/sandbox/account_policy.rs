//! The login requirements of a sandbox account as it keeps them (second factors, device
//! approval, SSO, a home region, a lock; created from a `NewUser` in `new_user.rs`), and the
//! per-device memory they need:
//! approved devices, devices waiting for approval with their e-mail code, devices whose second
//! factor is remembered, and devices that must type the password again after `expire-sessions`.
//!
//! Everything here is persisted with the account, so an offline `sandbox approve-device --state`
//! sees the devices a running sandbox left waiting.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::keeper::crypto::{aes_gcm_encrypt, auth_hash_v1, keyhash_v2, random_bytes, AesKey};

use super::new_user::EnforcementValue;
use super::state::{b64bytes, now_ms};

/// Keeper's domain string for the BY_ALTERNATE data-key hash (protocol notes §4.6).
const ALTERNATE_DATA_KEY_DOMAIN: &str = "data_key";
/// A requested e-mail code stays valid this long, like Keeper's device-approval e-mails.
const EMAIL_CODE_TTL_MS: i64 = 24 * 60 * 60 * 1000;
/// Devices waiting for approval that are remembered per account (the oldest are dropped).
const MAX_PENDING_DEVICES: usize = 64;

/// How the account's owner approves a new device; both channels are always accepted, this only
/// records which one the account is meant to exercise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApprovalChannel {
    /// A code e-mailed by `request_device_verification`.
    Email,
    /// A Keeper Push to the owner's other devices (`2fa_send_push`, TWO_FA_PUSH_KEEPER).
    Push,
}

/// A second factor an account can require after its password (`TwoFactorChannelType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TwoFactorMethod {
    /// An authenticator app (needs `totp_secret`).
    Totp,
    /// A code sent by text message after `2fa_send_push` TWO_FA_PUSH_SMS.
    Sms,
    /// Duo Security: a push approved out of band, or a passcode.
    Duo,
    /// An RSA SecurID code.
    Rsa,
    /// A Keeper Push to the owner's other devices, approved out of band.
    KeeperPush,
    /// A WebAuthn security key (offered, never accepted: the sandbox checks no assertions).
    Webauthn,
}

impl TwoFactorMethod {
    /// Whether the method takes a typed code the sandbox keeps (`two_factor_code`).
    pub fn has_fixed_code(self) -> bool {
        matches!(
            self,
            TwoFactorMethod::Sms | TwoFactorMethod::Duo | TwoFactorMethod::Rsa
        )
    }
}

/// The login requirements of one account and the device memory they need (persisted).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct AccountPolicy {
    /// Authenticator secret; `Some` = TOTP is required after the password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp_secret: Option<TotpSecret>,
    /// Device approval for devices not yet approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_approval: Option<ApprovalChannel>,
    /// Second factors besides the authenticator (SMS, Duo, RSA, Keeper Push, security key).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub two_factor: Vec<TwoFactorMethod>,
    /// The code SMS, Duo and RSA accept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub two_factor_code: Option<String>,
    /// Backup codes not used yet.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub backup_codes: Vec<String>,
    /// The last second-factor answer (`2fa_validate`) and the pushes asked for, for tests.
    #[serde(default, skip_serializing_if = "TwoFactorLog::is_empty")]
    pub two_factor_log: TwoFactorLog,
    /// SSO account with a master password: NORMAL logins are sent to SSO.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternate: Option<AlternatePassword>,
    /// Cloud SSO account: logins go through the identity provider (`/__sandbox/sso-login`).
    #[serde(default)]
    pub cloud_sso: bool,
    /// Every login ends in LICENSE_EXPIRED.
    #[serde(default)]
    pub license_expired: bool,
    /// Home host (`host[:port]`, lower case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Every login ends in ACCOUNT_LOCKED.
    #[serde(default)]
    pub locked: bool,
    /// Devices approved for this account.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approved_devices: Vec<TokenBytes>,
    /// Devices waiting for approval.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending_devices: Vec<PendingDevice>,
    /// Devices whose second factor is remembered, until when.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remembered_devices: Vec<RememberedDevice>,
    /// Devices whose clone code needs the password once more (their sessions were expired).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub password_required: Vec<TokenBytes>,
    /// Enterprise role enforcements, returned in `account_summary` and enforced by the sandbox.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub enforcements: BTreeMap<String, EnforcementValue>,
}

impl AccountPolicy {
    /// Whether a role governs the account: it has boolean enforcements (Commander's test).
    pub fn is_enterprise(&self) -> bool {
        self.enforcements
            .values()
            .any(|v| matches!(v, EnforcementValue::Boolean(_)))
    }

    /// Whether an `allow_*` enforcement lets the user act, as Keeper's clients read it: outside
    /// an enterprise always, inside only when the key is present and true.
    pub fn allows(&self, key: &str) -> bool {
        !self.is_enterprise()
            || matches!(
                self.enforcements.get(key),
                Some(EnforcementValue::Boolean(true))
            )
    }
}

/// What the clients sent on the second-factor endpoints, as the admin route shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorLog {
    /// `TwoFactorPushType` names of `2fa_send_push` requests (newest last, at most 16).
    #[serde(default)]
    pub pushes: Vec<String>,
    /// The last accepted `2fa_validate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_answer: Option<TwoFactorAnswer>,
}

/// One accepted `2fa_validate`: what the client said, not the code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorAnswer {
    /// `TwoFactorValueType` number.
    pub value_type: i32,
    /// `channel_uid`, base64url (empty when the client sent none).
    pub channel_uid: String,
    /// `expireIn` as requested (`TwoFactorExpiration` number), before the channel's cap.
    pub expire_in: i32,
}

impl TwoFactorLog {
    /// Nothing was sent yet.
    pub fn is_empty(&self) -> bool {
        self.pushes.is_empty() && self.last_answer.is_none()
    }

    /// Notes a push request.
    pub fn push(&mut self, name: &str) {
        if self.pushes.len() >= 16 {
            self.pushes.remove(0);
        }
        self.pushes.push(name.to_owned());
    }
}

/// A device token stored as base64url.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TokenBytes(#[serde(with = "b64bytes")] pub Vec<u8>);

/// An authenticator secret (raw bytes), redacted in Debug.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TotpSecret(#[serde(with = "b64bytes::zeroizing")] pub Zeroizing<Vec<u8>>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(<redacted>)")
    }
}

/// The `alternate` salt of an SSO account's master password and the data key wrapped under it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AlternatePassword {
    /// Salt offered as `Salt{name: "alternate"}`.
    #[serde(with = "b64bytes")]
    pub salt: Vec<u8>,
    /// PBKDF2 iterations for both the auth hash and the data-key hash.
    pub iterations: u32,
    /// Expected `authResponse`.
    #[serde(with = "b64bytes")]
    pub auth_hash: Vec<u8>,
    /// Data key, AES-GCM under keyhash_v2("data_key", password, salt, iterations) (BY_ALTERNATE).
    #[serde(with = "b64bytes")]
    pub encrypted_data_key: Vec<u8>,
}

impl AlternatePassword {
    /// Derives the alternate salt, hash and wrapped data key for `password`.
    pub fn create(password: &str, data_key: &AesKey, iterations: u32) -> Self {
        let salt = random_bytes(16);
        let key = keyhash_v2(ALTERNATE_DATA_KEY_DOMAIN, password, &salt, iterations);
        AlternatePassword {
            auth_hash: auth_hash_v1(password, &salt, iterations).to_vec(),
            encrypted_data_key: aes_gcm_encrypt(&key, data_key.as_bytes()),
            salt,
            iterations,
        }
    }
}

/// A device that reached DEVICE_APPROVAL_REQUIRED and is not approved yet.
#[derive(Clone, Serialize, Deserialize)]
pub struct PendingDevice {
    /// The device.
    #[serde(with = "b64bytes")]
    pub device_token: Vec<u8>,
    /// The e-mailed code, once `request_device_verification` asked for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_code: Option<String>,
    /// When the code was sent, ms.
    #[serde(default)]
    pub email_code_sent_ms: i64,
    /// Wrong codes tried against this device's code; too many void it.
    #[serde(default)]
    pub failed_codes: u8,
    /// Whether a Keeper Push approval was requested.
    #[serde(default)]
    pub push_requested: bool,
    /// When the device first asked, ms.
    pub since_ms: i64,
}

impl std::fmt::Debug for PendingDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingDevice")
            .field("push_requested", &self.push_requested)
            .finish_non_exhaustive()
    }
}

impl PendingDevice {
    /// The e-mail code if it is still valid.
    pub fn live_email_code(&self, now: i64) -> Option<&str> {
        self.email_code
            .as_deref()
            .filter(|_| now - self.email_code_sent_ms <= EMAIL_CODE_TTL_MS)
    }
}

/// A device whose second factor is remembered until `until_ms` (`i64::MAX` = forever).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RememberedDevice {
    /// The device.
    #[serde(with = "b64bytes")]
    pub device_token: Vec<u8>,
    /// Deadline, ms.
    pub until_ms: i64,
}

impl AccountPolicy {
    /// True when `device` may log in without an approval.
    pub fn device_approved(&self, device: &[u8]) -> bool {
        self.device_approval.is_none() || self.approved_devices.iter().any(|d| d.0 == device)
    }

    /// Records `device` as waiting for approval (once).
    pub fn note_pending(&mut self, device: &[u8]) -> &mut PendingDevice {
        let index = match self
            .pending_devices
            .iter()
            .position(|p| p.device_token == device)
        {
            Some(index) => index,
            None => {
                if self.pending_devices.len() >= MAX_PENDING_DEVICES {
                    self.pending_devices.remove(0);
                }
                self.pending_devices.push(PendingDevice {
                    device_token: device.to_vec(),
                    email_code: None,
                    email_code_sent_ms: 0,
                    failed_codes: 0,
                    push_requested: false,
                    since_ms: now_ms(),
                });
                self.pending_devices.len() - 1
            }
        };
        &mut self.pending_devices[index]
    }

    /// Approves `device`: it logs in without approval from now on.
    pub fn approve(&mut self, device: &[u8]) {
        self.pending_devices.retain(|p| p.device_token != device);
        if !self.approved_devices.iter().any(|d| d.0 == device) {
            self.approved_devices.push(TokenBytes(device.to_vec()));
        }
    }

    /// Approves every waiting device and returns their tokens.
    pub fn approve_all_pending(&mut self) -> Vec<Vec<u8>> {
        let tokens: Vec<Vec<u8>> = self
            .pending_devices
            .iter()
            .map(|p| p.device_token.clone())
            .collect();
        for token in &tokens {
            self.approve(token);
        }
        tokens
    }

    /// True when the second factor of `device` is remembered now.
    pub fn two_factor_remembered(&self, device: &[u8], now: i64) -> bool {
        self.remembered_devices
            .iter()
            .any(|r| r.device_token == device && r.until_ms > now)
    }

    /// Remembers the second factor of `device` until `until_ms`.
    pub fn remember_two_factor(&mut self, device: &[u8], until_ms: i64) {
        let now = now_ms();
        self.remembered_devices
            .retain(|r| r.device_token != device && r.until_ms > now);
        self.remembered_devices.push(RememberedDevice {
            device_token: device.to_vec(),
            until_ms,
        });
    }

    /// True when the clone code of `device` must not resume a session without the password.
    pub fn password_required(&self, device: &[u8]) -> bool {
        self.password_required.iter().any(|d| d.0 == device)
    }

    /// Clears the password requirement of `device` (it just logged in with the password).
    pub fn password_entered(&mut self, device: &[u8]) {
        self.password_required.retain(|d| d.0 != device);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keeper::crypto::aes_gcm_decrypt;

    #[test]
    fn alternate_password_wraps_the_data_key_under_keyhash_v2() {
        let data_key = AesKey::generate();
        let alternate = AlternatePassword::create("pw", &data_key, 1000);
        let key = keyhash_v2("data_key", "pw", &alternate.salt, 1000);
        let opened = aes_gcm_decrypt(&key, &alternate.encrypted_data_key).unwrap();
        assert_eq!(opened.as_slice(), data_key.as_bytes());
        assert_eq!(
            alternate.auth_hash,
            auth_hash_v1("pw", &alternate.salt, 1000).to_vec()
        );
    }

    #[test]
    fn approving_pending_devices_moves_them_to_approved() {
        let mut policy = AccountPolicy {
            device_approval: Some(ApprovalChannel::Email),
            ..AccountPolicy::default()
        };
        assert!(!policy.device_approved(b"dev"));
        policy.note_pending(b"dev").email_code = Some("123456".into());
        policy.note_pending(b"dev");
        assert_eq!(policy.pending_devices.len(), 1);
        assert_eq!(policy.approve_all_pending(), vec![b"dev".to_vec()]);
        assert!(policy.device_approved(b"dev") && policy.pending_devices.is_empty());
    }

    #[test]
    fn a_remembered_second_factor_expires() {
        let mut policy = AccountPolicy::default();
        let now = now_ms();
        policy.remember_two_factor(b"dev", now + 1000);
        assert!(policy.two_factor_remembered(b"dev", now));
        assert!(!policy.two_factor_remembered(b"dev", now + 2000));
        assert!(!policy.two_factor_remembered(b"other", now));
    }
}
