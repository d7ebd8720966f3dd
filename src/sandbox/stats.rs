//! Request counting for `GET|DELETE /__sandbox/stats`: Keeper API requests (`api/rest/*`, including
//! `sm/v1/*`) by endpoint since the sandbox started or the counts were last reset.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Keeper API requests served, by endpoint (the path after `api/rest/`, e.g. `vault/sync_down`).
///
/// Admin routes are not counted. Requests are counted on arrival, so a request that an injected
/// fault fails or drops still counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestStats {
    /// All requests counted.
    pub total: u64,
    /// Requests per endpoint.
    pub requests: BTreeMap<String, u64>,
}

impl RequestStats {
    /// Counts one request to `endpoint`.
    pub fn count(&mut self, endpoint: &str) {
        self.total += 1;
        match self.requests.get_mut(endpoint) {
            Some(n) => *n += 1,
            None => {
                self.requests.insert(endpoint.to_owned(), 1);
            }
        }
    }

    /// Requests to `endpoint` (0 if none).
    pub fn get(&self, endpoint: &str) -> u64 {
        self.requests.get(endpoint).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_endpoint_and_in_total() {
        let mut stats = RequestStats::default();
        stats.count("vault/sync_down");
        stats.count("vault/sync_down");
        stats.count("authentication/start_login");
        assert_eq!(stats.total, 3);
        assert_eq!(stats.get("vault/sync_down"), 2);
        assert_eq!(stats.get("authentication/start_login"), 1);
        assert_eq!(stats.get("keep_alive"), 0);
    }
}
