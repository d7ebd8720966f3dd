//! Per-server shared context, the JSON error replies, and the reply kinds handlers return.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::keeper::crypto::{AesKey, EcPrivateKey};

use super::envelope::{seal, EnvelopeError, SERVER_KEY_ID};
use super::faults::{Fault, FaultPlan};
use super::state::{now_ms, State};
use super::stats::RequestStats;
use super::store::StateStore;

/// A session unused for this long expires, like Keeper's default 60-minute logout timer.
pub const SESSION_IDLE_MS: i64 = 60 * 60 * 1000;

/// Everything the request handlers share.
pub struct Shared {
    /// The sandbox state; never held across an `.await`.
    pub state: Arc<RwLock<State>>,
    /// The locked state directory.
    pub store: Arc<StateStore>,
    /// Private key for server key id 7.
    pub server_key: EcPrivateKey,
    /// Injected faults.
    pub faults: Mutex<FaultPlan>,
    /// Logins in progress (between `start_login` and LOGGED_IN), by login token.
    pub logins: Mutex<HashMap<Vec<u8>, PendingLogin>>,
    /// Keeper API requests served, by endpoint (`/__sandbox/stats`).
    pub stats: Mutex<RequestStats>,
    /// Raised by `POST /__sandbox/shutdown` (`gw-provision sandbox stop`); a foreground
    /// `sandbox serve` waits on it beside SIGINT/SIGTERM.
    pub stop: Arc<tokio::sync::Notify>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Shared(<sandbox state>)")
    }
}

/// A login between `start_login` and LOGGED_IN (device approval, password, second factor).
#[derive(Debug, Clone)]
pub struct PendingLogin {
    /// Index of the account in `State::accounts`.
    pub account: usize,
    /// Device that started the login.
    pub device_token: Vec<u8>,
    /// Deadline, ms.
    pub expires_ms: i64,
    /// Which steps (password, second factor) this login has passed.
    pub progress: super::login_steps::LoginProgress,
}

impl Shared {
    /// Read access to the state (a poisoned lock still holds consistent data: writers never panic midway).
    pub fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Write access to the state.
    pub fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Marks the state as changed so the next save writes it.
    pub fn changed(&self) {
        self.store.mark_changed();
    }

    /// The fault plan.
    pub fn faults(&self) -> MutexGuard<'_, FaultPlan> {
        self.faults.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The request counts.
    pub fn stats(&self) -> MutexGuard<'_, RequestStats> {
        self.stats.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The pending logins.
    pub fn logins(&self) -> MutexGuard<'_, HashMap<Vec<u8>, PendingLogin>> {
        self.logins.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Resolves a session token to its account index, refreshing its idle timer.
    pub fn session_account(&self, token: &[u8]) -> Result<usize, ApiError> {
        if token.is_empty() {
            return Err(ApiError::bad_request(
                "this endpoint requires a session token",
            ));
        }
        let now = now_ms();
        let mut state = self.write();
        for (index, account) in state.accounts.iter_mut().enumerate() {
            let Some(position) = account
                .sessions
                .iter()
                .position(|s| constant_time_eq(&s.token, token))
            else {
                continue;
            };
            if now - account.sessions[position].last_used_ms > SESSION_IDLE_MS {
                account.sessions.remove(position);
                self.changed();
                return Err(ApiError::session_expired());
            }
            account.sessions[position].last_used_ms = now;
            return Ok(index);
        }
        Err(ApiError::session_expired())
    }
}

/// Compares secrets without an early exit.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A successful reply, encrypted under the request's transmission key unless empty.
#[derive(Debug)]
pub enum Reply {
    /// HTTP 200 with an empty body ("no response message").
    Empty,
    /// A serialized protobuf message.
    Message(Vec<u8>),
    /// A JSON document (v2 commands, `sm/v1`).
    Json(Value),
}

impl Reply {
    /// Encodes a protobuf reply.
    pub fn message(message: &impl prost::Message) -> Self {
        Self::Message(message.encode_to_vec())
    }

    /// Builds the HTTP response, encrypting the body under `transmission_key`.
    pub fn into_response(self, transmission_key: &AesKey) -> Response {
        let plaintext = match self {
            Reply::Empty => return StatusCode::OK.into_response(),
            Reply::Message(bytes) => bytes,
            Reply::Json(value) => value.to_string().into_bytes(),
        };
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/octet-stream")],
            seal(transmission_key, &plaintext),
        )
            .into_response()
    }
}

/// A JSON error reply `{"error", "message", ...}` as Keeper's servers send it (notes 01 §1.5).
///
/// Commander reads `error` and `message` with plain key lookups, so both are always present.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    body: Value,
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error with the given status, code and message.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: json!({"error": code, "message": message.into()}),
            retry_after: None,
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The `message` of the body.
    pub fn message(&self) -> String {
        self.body["message"].as_str().unwrap_or_default().to_owned()
    }

    /// Adds an extra key to the body.
    pub fn with(mut self, key: &str, value: Value) -> Self {
        if let Some(object) = self.body.as_object_mut() {
            object.insert(key.to_string(), value);
        }
        self
    }

    /// HTTP 400 `bad_request`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// HTTP 401 `key` naming the key id the sandbox serves.
    pub fn key(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "key", message).with("key_id", json!(SERVER_KEY_ID))
    }

    /// HTTP 401 `session_token_expired`: the client must log in again.
    pub fn session_expired() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "session_token_expired",
            "Session token has expired or is invalid",
        )
    }

    /// HTTP 403 `access_denied`.
    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "access_denied", message)
    }

    /// HTTP 404 naming an endpoint the sandbox does not implement.
    pub fn unknown_endpoint(endpoint: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("endpoint {endpoint} is not implemented by the sandbox"),
        )
        .with("endpoint", json!(endpoint))
    }

    /// HTTP 500 for a failure inside the sandbox itself.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", message)
    }

    /// The reply an injected fault produces (`Drop` is handled by the connection, not here).
    pub fn from_fault(fault: Fault) -> Self {
        match fault {
            // Drop, LostReply and Hang are carried out on the connection (server.rs); should one
            // ever get here, a 500 is the nearest reply.
            Fault::Http500 | Fault::Drop | Fault::LostReply | Fault::Hang => {
                Self::internal("injected fault: internal server error")
            }
            Fault::Throttle { retry_after_secs } => {
                let mut error = Self::new(
                    StatusCode::FORBIDDEN,
                    "throttled",
                    format!("Please try again in {retry_after_secs} seconds"),
                )
                .with("retry_after", json!(retry_after_secs));
                error.retry_after = Some(retry_after_secs);
                error
            }
            Fault::SessionExpired => Self::session_expired(),
        }
    }
}

impl From<EnvelopeError> for ApiError {
    fn from(error: EnvelopeError) -> Self {
        match error {
            EnvelopeError::WrongKeyId(_) | EnvelopeError::TransmissionKey => {
                Self::key(error.to_string())
            }
            EnvelopeError::BadSignature => Self::access_denied(error.to_string()),
            EnvelopeError::Malformed(_) | EnvelopeError::MissingHeader(_) => {
                Self::bad_request(error.to_string())
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body)).into_response();
        if let Some(seconds) = self.retry_after {
            if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

/// Decodes a protobuf request body, mapping failure to `bad_request` as a real server does.
pub fn decode<M: prost::Message + Default>(bytes: &[u8], what: &str) -> Result<M, ApiError> {
    M::decode(bytes).map_err(|_| ApiError::bad_request(format!("malformed {what} payload")))
}
