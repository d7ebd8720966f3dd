//! Which requests may be sent again after a transient failure, and how long to wait first.
//!
//! A request is re-sent only when sending it twice cannot change anything: a read. A write whose
//! reply was lost may already have been applied (the sandbox's `lost_reply` fault shows exactly
//! that), so re-sending it could create a second application or a second gateway client; the
//! caller sees the error instead and the provisioning flow's re-run converges on what exists.

use std::sync::Arc;
use std::time::Duration;

/// Whether a request can be repeated without changing anything on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotence {
    /// Changes nothing: safe to re-send after a 5xx, a dropped connection or a timeout.
    Read,
    /// Changes state, or binds something once (a one-time token): never re-sent blindly.
    Write,
}

/// The endpoints that only read. Everything else — including `sm/v1/get_secret`, which binds a
/// one-time access token to the first client that presents it, and the login steps, whose
/// `encryptedLoginToken` moves the login state machine on — is a [`Idempotence::Write`].
///
/// `vault/execute_v2_command` is absent on purpose: the same endpoint carries writes
/// (`folder_add`), so it is judged a write as a whole.
pub const READ_ENDPOINTS: &[&str] = &[
    "vault/sync_down",
    "vault/get_app_info",
    "vault/get_applications_summary",
    "vault/get_records_details",
    "vault/get_record_types",
    "pam/get_controllers",
    "pam/get_configuration_controller",
    "login/account_summary",
];

/// The one place that decides whether `endpoint` (the path after `/api/rest/`) is a read.
pub fn idempotence(endpoint: &str) -> Idempotence {
    if READ_ENDPOINTS.contains(&endpoint.trim_start_matches('/')) {
        Idempotence::Read
    } else {
        Idempotence::Write
    }
}

/// Capped exponential back-off with jitter for re-sending reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait before the first retry (before jitter).
    pub base_delay: Duration,
    /// No wait is longer than this.
    pub max_delay: Duration,
    /// Attempts in all, the first one included; 1 turns retries off.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    /// 500 ms, doubling, capped at 8 s, five attempts: about 7.5 s of waiting at most, enough to
    /// ride out a load balancer swapping a node without hiding a server that is really down.
    fn default() -> Self {
        RetryPolicy {
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_attempts: 5,
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1-based): `base·2^(retry−1)`, capped, then scaled by
    /// `jitter` in [0, 1] into the upper half (`wait/2 … wait`), so clients that failed together
    /// do not come back together, and no wait collapses to nothing.
    pub fn delay(&self, retry: u32, jitter: f64) -> Duration {
        let exponent = retry.saturating_sub(1).min(20);
        let full = self
            .base_delay
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay);
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            1.0
        };
        full.mul_f64(0.5 + jitter / 2.0)
    }
}

/// What the transport tells a [`RetryHook`] before it waits to re-send a read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryNotice {
    /// The endpoint being re-sent, e.g. `vault/sync_down`.
    pub endpoint: String,
    /// The attempt about to be made (2 for the first retry).
    pub attempt: u32,
    /// Attempts allowed in all.
    pub max_attempts: u32,
    /// How long the transport waits before that attempt.
    pub wait: Duration,
    /// Why the previous attempt failed ("HTTP 500", "connection closed", …).
    pub reason: String,
    /// Keeper asked the client to slow down (`throttled`, 429): nothing failed, the request
    /// is simply sent again later, reads and writes alike.
    pub throttled: bool,
}

impl std::fmt::Display for RetryNotice {
    /// "retrying vault/sync_down in 2 s (3/5): HTTP 500".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "retrying {} in {} ({}/{}): {}",
            self.endpoint,
            format_wait(self.wait),
            self.attempt,
            self.max_attempts,
            self.reason
        )
    }
}

/// A wait for people: whole seconds from one second up, milliseconds below.
pub fn format_wait(wait: Duration) -> String {
    if wait >= Duration::from_secs(1) {
        format!("{} s", (wait.as_millis() + 500) / 1000)
    } else {
        format!("{} ms", wait.as_millis())
    }
}

/// Called before each retry of a read, e.g. to show "retrying in 2 s (3/5)" on a spinner.
pub type RetryHook = Arc<dyn Fn(&RetryNotice) + Send + Sync>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_listed_and_everything_else_is_a_write() {
        for read in [
            "vault/sync_down",
            "vault/get_app_info",
            "pam/get_controllers",
            "login/account_summary",
        ] {
            assert_eq!(idempotence(read), Idempotence::Read, "{read}");
        }
        for write in [
            "sm/v1/get_secret",
            "vault/application_add",
            "vault/app_client_add",
            "vault/execute_v2_command",
            "authentication/start_login",
            "pam/remove_controller",
        ] {
            assert_eq!(idempotence(write), Idempotence::Write, "{write}");
        }
    }

    #[test]
    fn delay_doubles_from_the_base_and_stops_at_the_cap() {
        let policy = RetryPolicy::default();
        let full: Vec<_> = (1..=6).map(|n| policy.delay(n, 1.0)).collect();
        assert_eq!(
            full,
            [500, 1000, 2000, 4000, 8000, 8000].map(Duration::from_millis)
        );
        assert_eq!(policy.delay(40, 1.0), Duration::from_secs(8), "no overflow");
    }

    #[test]
    fn jitter_keeps_the_wait_in_the_upper_half() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay(3, 0.0), Duration::from_secs(1));
        assert_eq!(policy.delay(3, 0.5), Duration::from_millis(1500));
        assert_eq!(policy.delay(3, 7.0), Duration::from_secs(2), "clamped");
        assert_eq!(policy.delay(3, f64::NAN), Duration::from_secs(2));
    }

    #[test]
    fn notice_reads_as_the_log_line() {
        let notice = RetryNotice {
            endpoint: "vault/sync_down".into(),
            attempt: 3,
            max_attempts: 5,
            wait: Duration::from_millis(1900),
            reason: "HTTP 500".into(),
            throttled: false,
        };
        assert_eq!(
            notice.to_string(),
            "retrying vault/sync_down in 2 s (3/5): HTTP 500"
        );
        assert_eq!(format_wait(Duration::from_millis(250)), "250 ms");
    }
}
