//! Kept token secrets: the write-ahead record that makes the gateway step converge.
//!
//! A gateway's One-Time Access Token is made on this machine before `vault/app_client_add`
//! registers it. If the reply to that write is lost, or the Docker/Kubernetes redeem fails, the
//! server holds a gateway whose token nobody has seen. So the token is kept (by the CLI: a 0600
//! file written atomically beside the config) before the write and forgotten once it has been
//! shown; a re-run that finds the gateway together with its kept token finishes the job instead
//! of refusing with "already exists".

use crate::keeper::ksm::OneTimeToken;
use crate::keeper::uid::Uid;

/// A token minted for a gateway and not yet shown.
#[derive(Clone, Debug)]
pub struct KeptToken {
    /// The application the gateway belongs to.
    pub app_uid: Uid,
    /// The gateway name as given.
    pub gateway: String,
    /// The token (its `Debug` is redacted).
    pub token: OneTimeToken,
    /// When the token stops being redeemable (ms since the epoch).
    pub expires_at_ms: i64,
}

impl KeptToken {
    /// The KSM client id the server stores for this token.
    pub fn client_id(&self) -> Vec<u8> {
        self.token.client_id().to_vec()
    }

    /// Whether the token can no longer be redeemed at `now_ms`.
    pub fn expired_at(&self, now_ms: i64) -> bool {
        now_ms >= self.expires_at_ms
    }
}

/// Why a token could not be kept; the gateway step does not start without it.
#[derive(Clone, Debug, thiserror::Error)]
#[error("cannot keep the new gateway's token safe before creating it: {0}")]
pub struct KeepError(pub String);

/// Where kept tokens live. The provisioning flow only calls these; the CLI decides the place.
pub trait TokenKeeper: Send + Sync {
    /// Keeps `kept` durably (before the write that registers it).
    fn keep(&self, kept: &KeptToken) -> Result<(), KeepError>;
    /// The token kept for gateway `gateway` (any case) of application `app_uid`.
    fn find(&self, app_uid: &Uid, gateway: &str) -> Option<KeptToken>;
    /// Forgets it (shown, or its gateway removed).
    fn forget(&self, app_uid: &Uid, gateway: &str);
    /// Keeps all of `kept` durably, at once: for a fleet, one durable write instead of one per
    /// gateway (a file system sync costs milliseconds).
    fn keep_all(&self, kept: &[KeptToken]) -> Result<(), KeepError> {
        kept.iter().try_for_each(|one| self.keep(one))
    }
    /// Forgets all of `gone` (application, gateway) at once.
    fn forget_all(&self, gone: &[(Uid, String)]) {
        for (app_uid, gateway) in gone {
            self.forget(app_uid, gateway);
        }
    }
}

/// Keeps nothing: for callers that show the token at once and accept the risk (tests, tools).
pub struct KeepNothing;

impl TokenKeeper for KeepNothing {
    fn keep(&self, _: &KeptToken) -> Result<(), KeepError> {
        Ok(())
    }
    fn find(&self, _: &Uid, _: &str) -> Option<KeptToken> {
        None
    }
    fn forget(&self, _: &Uid, _: &str) {}
}
