//! What `POST /__sandbox/users` and `sandbox add-user` ask for (`NewUser`, the admin-route JSON
//! contract), and turning it into an account with fresh keys and its `AccountPolicy`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::keeper::crypto::AesKey;

use super::account_policy::{
    AccountPolicy, AlternatePassword, ApprovalChannel, TotpSecret, TwoFactorMethod,
};
use super::state::{secret_string, Account, State, StateError};
use super::totp::{base32_decode, Base32Error};

/// What `POST /__sandbox/users` and `sandbox add-user` create; the JSON keys are the contract.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// Login e-mail; stored lower-cased.
    pub email: String,
    /// Master password.
    #[serde(with = "secret_string")]
    pub password: Zeroizing<String>,
    /// Base32 secret of an authenticator app; the account then requires a TOTP code.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "optional_secret"
    )]
    pub totp_secret: Option<Zeroizing<String>>,
    /// Second factors other than (or besides) the authenticator; `totp` needs `totp_secret`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub two_factor: Vec<TwoFactorMethod>,
    /// The code SMS, Duo and RSA accept; a random six digits when absent (admin route shows it).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "optional_secret"
    )]
    pub two_factor_code: Option<Zeroizing<String>>,
    /// One-time backup codes; with no other second factor, REQUIRES_2FA lists no channel.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub backup_codes: Vec<String>,
    /// New devices must be approved first (by e-mail code or Keeper Push).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_approval: Option<ApprovalChannel>,
    /// An SSO account that logs in with its master password (`LoginType.ALTERNATE`).
    #[serde(default)]
    pub sso_master_password: bool,
    /// A Cloud SSO account: NORMAL logins get REDIRECT_CLOUD_SSO and continue with the login
    /// token of `POST /__sandbox/sso-login` (what SSO Connect shows after the sign-in).
    #[serde(default)]
    pub cloud_sso: bool,
    /// The account's license has expired: every login ends in LICENSE_EXPIRED.
    #[serde(default)]
    pub license_expired: bool,
    /// The account's home host (`HOST[:PORT]`); logins arriving elsewhere are redirected there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region_redirect: Option<String>,
    /// The account is locked: every login ends in ACCOUNT_LOCKED.
    #[serde(default)]
    pub locked: bool,
    /// Enterprise role enforcements (`allow_pam_gateway: true`, …); any makes an enterprise user.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub enforcements: BTreeMap<String, EnforcementValue>,
}

/// One role enforcement's value, as `login/account_summary` carries it by type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EnforcementValue {
    /// `enforcements.booleans`.
    Boolean(bool),
    /// `enforcements.longs`.
    Long(i64),
    /// `enforcements.strings`.
    Text(String),
}

impl EnforcementValue {
    /// Reads `true`/`false`, a whole number, or else text (`sandbox add-user --enforcement K=V`).
    pub fn parse(text: &str) -> EnforcementValue {
        match text.trim() {
            "true" => EnforcementValue::Boolean(true),
            "false" => EnforcementValue::Boolean(false),
            t => t
                .parse::<i64>()
                .map(EnforcementValue::Long)
                .unwrap_or_else(|_| EnforcementValue::Text(t.to_owned())),
        }
    }
}

impl NewUser {
    /// A password-only account.
    pub fn new(email: impl Into<String>, password: impl Into<String>) -> Self {
        NewUser {
            email: email.into(),
            password: Zeroizing::new(password.into()),
            totp_secret: None,
            two_factor: Vec::new(),
            two_factor_code: None,
            backup_codes: Vec::new(),
            device_approval: None,
            sso_master_password: false,
            cloud_sso: false,
            license_expired: false,
            region_redirect: None,
            locked: false,
            enforcements: BTreeMap::new(),
        }
    }
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .field(
                "totp_secret",
                &self.totp_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("two_factor", &self.two_factor)
            .field(
                "two_factor_code",
                &self.two_factor_code.as_ref().map(|_| "<redacted>"),
            )
            .field("backup_codes", &self.backup_codes.len())
            .field("device_approval", &self.device_approval)
            .field("sso_master_password", &self.sso_master_password)
            .field("cloud_sso", &self.cloud_sso)
            .field("license_expired", &self.license_expired)
            .field("region_redirect", &self.region_redirect)
            .field("locked", &self.locked)
            .finish()
    }
}

/// Why an account could not be added.
#[derive(Debug, thiserror::Error)]
pub enum AddUserError {
    /// The e-mail is empty or not an address.
    #[error("{0:?} is not an e-mail address")]
    InvalidEmail(String),
    /// The password is empty.
    #[error("the password is empty")]
    EmptyPassword,
    /// The TOTP secret is not base32.
    #[error(transparent)]
    TotpSecret(#[from] Base32Error),
    /// The second-factor options do not fit together.
    #[error("two-factor options: {0}")]
    TwoFactor(&'static str),
    /// The home host is not `HOST[:PORT]`.
    #[error("region_redirect {0:?} is not HOST[:PORT]")]
    InvalidRegion(String),
    /// An account with this e-mail exists.
    #[error("an account {0} already exists")]
    Exists(String),
    /// Key generation failed.
    #[error(transparent)]
    Create(#[from] StateError),
}

/// Checks `user` and creates its account with fresh keys (slow: RSA key generation).
pub fn create_account(user: &NewUser) -> Result<Account, AddUserError> {
    let email = user.email.trim().to_ascii_lowercase();
    if email.is_empty()
        || !email.contains('@')
        || email.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(AddUserError::InvalidEmail(user.email.clone()));
    }
    if user.password.is_empty() {
        return Err(AddUserError::EmptyPassword);
    }
    let totp_secret = user
        .totp_secret
        .as_deref()
        .map(|s| base32_decode(s).map(TotpSecret))
        .transpose()?;
    let mut two_factor = user.two_factor.clone();
    two_factor.sort();
    two_factor.dedup();
    let wants_totp = two_factor.contains(&TwoFactorMethod::Totp);
    if wants_totp && totp_secret.is_none() {
        return Err(AddUserError::TwoFactor("totp needs a totp_secret"));
    }
    two_factor.retain(|m| *m != TwoFactorMethod::Totp);
    let two_factor_code = match user.two_factor_code.as_deref().map(|c| c.trim()) {
        Some("") => return Err(AddUserError::TwoFactor("the two_factor_code is empty")),
        Some(code) if two_factor.iter().any(|m| m.has_fixed_code()) => Some(code.to_owned()),
        Some(_) => {
            return Err(AddUserError::TwoFactor(
                "a two_factor_code needs sms, duo or rsa",
            ))
        }
        None if two_factor.iter().any(|m| m.has_fixed_code()) => {
            Some(super::login_steps::six_digits())
        }
        None => None,
    };
    let backup_codes: Vec<String> = user
        .backup_codes
        .iter()
        .map(|c| c.trim().to_owned())
        .collect();
    if backup_codes.iter().any(String::is_empty) {
        return Err(AddUserError::TwoFactor("a backup code is empty"));
    }
    let region = user
        .region_redirect
        .as_deref()
        .map(|r| normalize_host(r).ok_or_else(|| AddUserError::InvalidRegion(r.to_owned())))
        .transpose()?;
    let mut account = Account::create(&email, &user.password)?;
    let alternate = if user.sso_master_password {
        let data_key = AesKey::from_slice(&account.data_key).map_err(StateError::from)?;
        Some(AlternatePassword::create(
            &user.password,
            &data_key,
            account.auth_iterations,
        ))
    } else {
        None
    };
    account.policy = AccountPolicy {
        totp_secret,
        two_factor,
        two_factor_code,
        backup_codes,
        device_approval: user.device_approval,
        alternate,
        cloud_sso: user.cloud_sso,
        license_expired: user.license_expired,
        region,
        locked: user.locked,
        enforcements: user
            .enforcements
            .iter()
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.clone()))
            .collect(),
        ..AccountPolicy::default()
    };
    Ok(account)
}

/// Adds a created account unless its e-mail is taken.
pub fn insert_account(state: &mut State, account: Account) -> Result<(), AddUserError> {
    if state.account_index(&account.username).is_some() {
        return Err(AddUserError::Exists(account.username));
    }
    state.accounts.push(account);
    Ok(())
}

/// Lower-cases `HOST[:PORT]` and checks its shape; `None` if it is not one.
pub fn normalize_host(text: &str) -> Option<String> {
    let text = text.trim().to_ascii_lowercase();
    let (host, port) = match text.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => (host, Some(port)),
        Some(_) => return None,
        None => (text.as_str(), None),
    };
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|n| n > 0));
    (host_ok && port_ok).then_some(text)
}

/// True when a request addressed to `request_host` (a Host header) reached `home`
/// (`host[:port]`); without a port in `home` only the host names are compared.
pub fn same_host(request_host: &str, home: &str) -> bool {
    let request = request_host.trim().to_ascii_lowercase();
    if home.contains(':') {
        return request == home;
    }
    let name = request
        .rsplit_once(':')
        .map_or(request.as_str(), |(h, _)| h);
    name == home
}

mod optional_secret {
    use serde::{Deserialize, Deserializer, Serializer};
    use zeroize::Zeroizing;

    pub fn serialize<S: Serializer>(
        text: &Option<Zeroizing<String>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match text {
            Some(text) => s.serialize_str(text),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Zeroizing<String>>, D::Error> {
        Ok(Option::<String>::deserialize(d)?.map(Zeroizing::new))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_json_with_every_option_parses_and_unknown_keys_are_refused() {
        let user: NewUser = serde_json::from_str(
            r#"{"email":"a@example.com","password":"pw","totp_secret":"JBSWY3DPEHPK3PXP",
                "device_approval":"push","sso_master_password":true,
                "region_redirect":"localhost:8443","locked":false}"#,
        )
        .unwrap();
        assert_eq!(user.device_approval, Some(ApprovalChannel::Push));
        assert!(user.sso_master_password);
        assert!(serde_json::from_str::<NewUser>(
            r#"{"email":"a@example.com","password":"pw","totp":"x"}"#
        )
        .is_err());
    }

    #[test]
    fn debug_of_a_new_user_hides_the_password_and_totp_secret() {
        let mut user = NewUser::new("a@example.com", "hunter2-secret");
        user.totp_secret = Some(Zeroizing::new("JBSWY3DPEHPK3PXP".into()));
        let debug = format!("{user:?}");
        assert!(!debug.contains("hunter2-secret") && !debug.contains("JBSWY3DPEHPK3PXP"));
    }

    #[test]
    fn hosts_are_checked_and_compared_with_or_without_a_port() {
        assert_eq!(
            normalize_host("LocalHost:8443").as_deref(),
            Some("localhost:8443")
        );
        assert_eq!(
            normalize_host("keepersecurity.eu").as_deref(),
            Some("keepersecurity.eu")
        );
        for bad in ["", "a b", "host:0", "host:x", "a:1:2", "https://x"] {
            assert_eq!(normalize_host(bad), None, "{bad}");
        }
        assert!(same_host("localhost:8443", "localhost:8443"));
        assert!(!same_host("127.0.0.1:8443", "localhost:8443"));
        assert!(same_host("LOCALHOST:1", "localhost"));
        assert!(!same_host("127.0.0.1:1", "localhost"));
    }
}
