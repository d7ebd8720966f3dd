//! The account's enterprise role enforcements, read from `login/account_summary`, with the
//! semantics Keeper's own clients give them.
//!
//! Commander 18.1.8 (`commands/workflow/helpers.py::is_pam_action_allowed_by_enforcement`, used by
//! `ensure_gateway_management_allowed` before `pam gateway new`/`remove`) and the Web Vault
//! (`!!enforcements.<key>`) agree: an account whose summary carries no boolean enforcements is
//! not governed by an enterprise role and is allowed everything; an enterprise user is allowed an
//! `allow_*` action only when its key is present and true. Keeper's summary leaves out keys whose
//! value is false, so an absent key means "not allowed".

use std::collections::BTreeMap;

use crate::keeper::proto::account_summary::AccountSummaryElements;

/// `allow_secrets_manager`: the role may use Keeper Secrets Manager (applications, clients).
pub const ALLOW_SECRETS_MANAGER: &str = "allow_secrets_manager";
/// `allow_pam_gateway`: the role may create and remove gateways.
pub const ALLOW_PAM_GATEWAY: &str = "allow_pam_gateway";
/// `allow_rotate_credentials`: the role may rotate credentials (what Commander checks).
pub const ALLOW_ROTATE_CREDENTIALS: &str = "allow_rotate_credentials";
/// `allow_pam_rotation`: the legacy umbrella rotation enforcement.
pub const ALLOW_PAM_ROTATION: &str = "allow_pam_rotation";
/// `restrict_persistent_login`: the role forbids "Stay logged in".
pub const RESTRICT_PERSISTENT_LOGIN: &str = "restrict_persistent_login";

/// The boolean role enforcements of the logged-in user.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountPolicy {
    booleans: BTreeMap<String, bool>,
}

impl AccountPolicy {
    /// Reads the boolean enforcements of an account summary.
    pub fn from_summary(summary: &AccountSummaryElements) -> Self {
        let booleans = summary
            .enforcements
            .iter()
            .flat_map(|e| e.booleans.iter())
            .map(|kv| (kv.key.to_ascii_lowercase(), kv.value))
            .collect();
        AccountPolicy { booleans }
    }

    /// A policy from `(key, value)` pairs, as a role would send them.
    pub fn from_booleans<'a>(pairs: impl IntoIterator<Item = (&'a str, bool)>) -> Self {
        AccountPolicy {
            booleans: pairs
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect(),
        }
    }

    /// Whether an enterprise role governs the account (it sent boolean enforcements).
    pub fn is_enterprise(&self) -> bool {
        !self.booleans.is_empty()
    }

    /// Whether an `allow_*` enforcement lets the user act: always outside an enterprise, else
    /// only when the key is present and true.
    pub fn allows(&self, key: &str) -> bool {
        !self.is_enterprise() || self.booleans.get(key).copied().unwrap_or(false)
    }

    /// Whether a `restrict_*` enforcement is on (present and true).
    pub fn restricts(&self, key: &str) -> bool {
        self.booleans.get(key).copied().unwrap_or(false)
    }

    /// Whether the role lets the user rotate credentials: `allow_rotate_credentials`, as
    /// Commander's `pam action rotate` and the Web Vault's rotate button check it.
    pub fn allows_rotation(&self) -> bool {
        self.allows(ALLOW_ROTATE_CREDENTIALS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keeper::proto::account_summary::{Enforcements, KeyValueBoolean};

    fn summary(booleans: &[(&str, bool)]) -> AccountSummaryElements {
        AccountSummaryElements {
            enforcements: Some(Enforcements {
                booleans: booleans
                    .iter()
                    .map(|(k, v)| KeyValueBoolean {
                        key: k.to_string(),
                        value: *v,
                    })
                    .collect(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_personal_account_is_allowed_everything() {
        let policy = AccountPolicy::from_summary(&AccountSummaryElements::default());
        assert!(!policy.is_enterprise());
        assert!(policy.allows(ALLOW_PAM_GATEWAY));
        assert!(policy.allows(ALLOW_SECRETS_MANAGER));
        assert!(!policy.restricts(RESTRICT_PERSISTENT_LOGIN));
    }

    #[test]
    fn empty_enforcements_are_a_personal_account() {
        let policy = AccountPolicy::from_summary(&summary(&[]));
        assert!(policy.allows(ALLOW_PAM_GATEWAY));
    }

    #[test]
    fn an_enterprise_user_needs_the_key_present_and_true() {
        let policy = AccountPolicy::from_summary(&summary(&[("allow_secrets_manager", true)]));
        assert!(policy.is_enterprise());
        assert!(policy.allows(ALLOW_SECRETS_MANAGER));
        assert!(!policy.allows(ALLOW_PAM_GATEWAY), "absent key denies");
        let policy = AccountPolicy::from_summary(&summary(&[
            ("allow_secrets_manager", true),
            ("allow_pam_gateway", false),
        ]));
        assert!(!policy.allows(ALLOW_PAM_GATEWAY), "false denies");
    }

    #[test]
    fn restrictions_need_the_key_true() {
        let policy = AccountPolicy::from_summary(&summary(&[("restrict_persistent_login", true)]));
        assert!(policy.restricts(RESTRICT_PERSISTENT_LOGIN));
        let policy = AccountPolicy::from_summary(&summary(&[("restrict_persistent_login", false)]));
        assert!(!policy.restricts(RESTRICT_PERSISTENT_LOGIN));
    }

    #[test]
    fn keys_compare_case_insensitively() {
        let policy = AccountPolicy::from_booleans([("ALLOW_PAM_GATEWAY", true)]);
        assert!(policy.allows(ALLOW_PAM_GATEWAY));
    }
}
