//! Fault injection: make the next N calls to an endpoint fail, so client retry paths can be tested.
//!
//! A plan is JSON, read from `--faults FILE` or posted to the loopback-only admin route
//! `POST /__sandbox/faults`:
//!
//! ```json
//! {"rules": [
//!   {"endpoint": "vault/sync_down", "count": 2, "fault": "http_500"},
//!   {"endpoint": "sm/v1/get_secret", "fault": "throttle", "retry_after_secs": 1},
//!   {"endpoint": "vault/application_add", "fault": "lost_reply"},
//!   {"endpoint": "vault/get_app_info", "fault": "hang"},
//!   {"endpoint": "*", "fault": "drop"}
//! ]}
//! ```
//!
//! `endpoint` is the path after `/api/rest/` (or `*` for any); `count` defaults to 1.
//!
//! `drop` and `lost_reply` look the same to the client (the connection closes without a reply);
//! the difference is on the server: `drop` never runs the request, `lost_reply` runs it and saves
//! the change first. Together they show why a client may re-send a read but not a write.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// What an injected failure looks like to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case")]
pub enum Fault {
    /// HTTP 500 with a JSON error body.
    #[serde(rename = "http_500")]
    Http500,
    /// The connection is closed without any response; the request is not handled.
    Drop,
    /// The request is handled and its change saved, then the connection is closed without the
    /// reply: a write that happened although the client saw a network error.
    LostReply,
    /// The request is accepted and never answered; the client has to time out.
    Hang,
    /// HTTP 403 `throttled` with a `Retry-After` header.
    Throttle {
        /// Seconds announced in `Retry-After` and in the message.
        #[serde(default = "default_retry_after")]
        retry_after_secs: u64,
    },
    /// HTTP 401 `session_token_expired`.
    SessionExpired,
}

fn default_retry_after() -> u64 {
    1
}

fn default_count() -> u32 {
    1
}

/// One rule: fail the next `count` calls to `endpoint` with `fault`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRule {
    /// Endpoint path after `/api/rest/`, e.g. `vault/sync_down` or `sm/v1/get_secret`; `*` = any.
    pub endpoint: String,
    /// How many calls still fail.
    #[serde(default = "default_count")]
    pub count: u32,
    /// The failure.
    #[serde(flatten)]
    pub fault: Fault,
}

/// An ordered list of fault rules; the first matching rule with calls left fires.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultPlan {
    /// The rules, in priority order.
    #[serde(default)]
    pub rules: Vec<FaultRule>,
}

/// Why a fault plan could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FaultPlanError {
    /// The file could not be read.
    #[error("cannot read fault plan {path}: {source}")]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The JSON does not describe a plan.
    #[error("invalid fault plan: {0}")]
    Parse(#[from] serde_json::Error),
}

impl FaultPlan {
    /// Parses a plan from JSON text.
    pub fn from_json(text: &str) -> Result<Self, FaultPlanError> {
        Ok(serde_json::from_str(text)?)
    }

    /// Reads a plan from a `--faults FILE`.
    pub fn load(path: &Path) -> Result<Self, FaultPlanError> {
        let text = std::fs::read_to_string(path).map_err(|source| FaultPlanError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json(&text)
    }

    /// Consumes one call of the first rule matching `endpoint`, returning its fault.
    pub fn take(&mut self, endpoint: &str) -> Option<Fault> {
        let endpoint = endpoint.trim_start_matches('/');
        let index = self.rules.iter().position(|rule| {
            rule.count > 0
                && (rule.endpoint == "*" || rule.endpoint.trim_start_matches('/') == endpoint)
        })?;
        let rule = &mut self.rules[index];
        rule.count -= 1;
        let fault = rule.fault;
        if rule.count == 0 {
            self.rules.remove(index);
        }
        Some(fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_json_parses_every_fault_kind_with_default_count() {
        let plan = FaultPlan::from_json(
            r#"{"rules":[
                {"endpoint":"vault/sync_down","count":2,"fault":"http_500"},
                {"endpoint":"sm/v1/get_secret","fault":"throttle","retry_after_secs":3},
                {"endpoint":"keep_alive","fault":"session_expired"},
                {"endpoint":"*","fault":"drop"},
                {"endpoint":"vault/application_add","fault":"lost_reply"},
                {"endpoint":"vault/get_app_info","fault":"hang","count":3}]}"#,
        )
        .unwrap();
        assert_eq!(plan.rules.len(), 6);
        assert_eq!(plan.rules[4].fault, Fault::LostReply);
        assert_eq!((plan.rules[5].fault, plan.rules[5].count), (Fault::Hang, 3));
        assert_eq!(plan.rules[0].count, 2);
        assert_eq!(
            plan.rules[1].fault,
            Fault::Throttle {
                retry_after_secs: 3
            }
        );
        assert_eq!(plan.rules[2].count, 1);
        assert_eq!(plan.rules[3].fault, Fault::Drop);
    }

    #[test]
    fn rule_fires_exactly_count_times_then_disappears() {
        let mut plan = FaultPlan::from_json(
            r#"{"rules":[{"endpoint":"vault/sync_down","count":2,"fault":"http_500"}]}"#,
        )
        .unwrap();
        assert_eq!(plan.take("authentication/start_login"), None);
        assert_eq!(plan.take("vault/sync_down"), Some(Fault::Http500));
        assert_eq!(plan.take("vault/sync_down"), Some(Fault::Http500));
        assert_eq!(plan.take("vault/sync_down"), None);
        assert!(plan.rules.is_empty());
    }

    #[test]
    fn unknown_fault_kind_is_a_parse_error() {
        assert!(FaultPlan::from_json(r#"{"rules":[{"endpoint":"x","fault":"explode"}]}"#).is_err());
    }
}
