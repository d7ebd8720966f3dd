//! Loopback-only admin routes for tests and demos: add accounts with login requirements, read
//! the e-mail codes the sandbox "sent", approve devices as a Keeper Push would, and expire
//! sessions. The same operations work offline on a stopped sandbox's state (`mod.rs`).
//!
//! ```text
//! POST /__sandbox/users              {"email","password",...}  → 201 | 409 exists
//! GET  /__sandbox/device-approvals?email=E                     → {"pending":[{device_token,email_code,...}]}
//! POST /__sandbox/approve-device     {"email"}                 → {"approved":[...]}
//! POST /__sandbox/expire-sessions    {"email"?}                → {"expired":N}
//! GET  /__sandbox/two-factor?email=E                           → {"code","backup_codes","pushes",...}
//! POST /__sandbox/approve-push       {"email"}                 → {"approved":N} (Duo / Keeper Push)
//! POST /__sandbox/sso-login          {"url"}                   → {"email","token"} (Cloud SSO)
//! GET  /__sandbox/stats                                        → {"total":N,"requests":{"vault/sync_down":n,…}}
//! DELETE /__sandbox/stats                                      → 204 (counts reset)
//! POST /__sandbox/shutdown                                     → 202 (a served sandbox stops)
//! ```

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::keeper::crypto::b64url_encode;

use super::account_policy::{TwoFactorAnswer, TwoFactorMethod};
use super::context::{ApiError, Shared};
use super::new_user::{create_account, insert_account, AddUserError, NewUser};
use super::state::{now_ms, State};

/// A device waiting for approval, as the admin routes and `sandbox approve-device` show it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingApproval {
    /// The account.
    pub email: String,
    /// The device token, base64url.
    pub device_token: String,
    /// The device name it registered with.
    #[serde(default)]
    pub device_name: String,
    /// The e-mailed code, once the device asked for one (and while it is valid).
    pub email_code: Option<String>,
    /// Whether the device asked for a Keeper Push approval.
    #[serde(default)]
    pub push_requested: bool,
}

impl std::fmt::Debug for PendingApproval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingApproval")
            .field("email", &self.email)
            .field("device_name", &self.device_name)
            .field(
                "email_code",
                &self.email_code.as_ref().map(|_| "<redacted>"),
            )
            .field("push_requested", &self.push_requested)
            .finish_non_exhaustive()
    }
}

/// An account's second factor as `GET /__sandbox/two-factor` shows it: the code an SMS, Duo or
/// RSA prompt accepts, unused backup codes, and what the clients sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorStatus {
    /// The account.
    pub email: String,
    /// Its second factors (`totp`, `sms`, `duo`, `rsa`, `keeper-push`, `webauthn`).
    pub methods: Vec<TwoFactorMethod>,
    /// The code SMS, Duo and RSA accept.
    pub code: Option<String>,
    /// Backup codes not used yet.
    pub backup_codes: Vec<String>,
    /// Push types asked for by `2fa_send_push` (`sms`, `duo_push`, `keeper`, …), newest last.
    pub pushes: Vec<String>,
    /// Logins waiting for a Duo or Keeper Push approval (`approve-push`).
    pub pushes_waiting: usize,
    /// The last accepted `2fa_validate`: value type, channel, requested `expireIn`.
    pub last_answer: Option<TwoFactorAnswer>,
    /// Devices whose second factor is remembered: device token (base64url) and until when (ms).
    pub remembered: Vec<(String, i64)>,
}

/// Why an admin operation on the state failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No account has this e-mail.
    #[error("no sandbox account {0}")]
    UnknownAccount(String),
    /// The account could not be added.
    #[error(transparent)]
    AddUser(#[from] AddUserError),
}

/// The devices of `email` (or of every account) waiting for approval.
pub fn pending_approvals(
    state: &State,
    email: Option<&str>,
) -> Result<Vec<PendingApproval>, AdminError> {
    let now = now_ms();
    let accounts = selected(state, email)?;
    Ok(accounts
        .into_iter()
        .flat_map(|index| {
            let account = &state.accounts[index];
            account.policy.pending_devices.iter().map(move |pending| {
                let device_name = state
                    .devices
                    .iter()
                    .find(|d| d.token == pending.device_token)
                    .map(|d| d.name.clone())
                    .unwrap_or_default();
                PendingApproval {
                    email: account.username.clone(),
                    device_token: b64url_encode(&pending.device_token),
                    device_name,
                    email_code: pending.live_email_code(now).map(str::to_owned),
                    push_requested: pending.push_requested,
                }
            })
        })
        .collect())
}

/// Approves every device of `email` waiting for approval; returns them.
pub fn approve_devices(state: &mut State, email: &str) -> Result<Vec<PendingApproval>, AdminError> {
    let pending = pending_approvals(state, Some(email))?;
    for index in selected(state, Some(email))? {
        state.accounts[index].policy.approve_all_pending();
    }
    Ok(pending)
}

/// Ends the sessions of `email` (or of every account); their clone codes then need the password
/// once, as after Keeper's logout timer. Returns how many sessions ended.
pub fn expire_sessions(state: &mut State, email: Option<&str>) -> Result<usize, AdminError> {
    let mut expired = 0;
    for index in selected(state, email)? {
        let account = &mut state.accounts[index];
        expired += account.sessions.len();
        account.sessions.clear();
        let linked: Vec<Vec<u8>> = account
            .device_links
            .iter()
            .filter(|l| l.clone_code.is_some())
            .map(|l| l.device_token.clone())
            .collect();
        for device in linked {
            if !account.policy.password_required(&device) {
                account
                    .policy
                    .password_required
                    .push(super::account_policy::TokenBytes(device));
            }
        }
    }
    Ok(expired)
}

/// The second factor of `email` (offline: no push can be waiting in a stopped sandbox).
pub fn two_factor_status(state: &State, email: &str) -> Result<TwoFactorStatus, AdminError> {
    let index = state
        .account_index(email)
        .ok_or_else(|| AdminError::UnknownAccount(email.trim().to_ascii_lowercase()))?;
    let account = &state.accounts[index];
    let policy = &account.policy;
    Ok(TwoFactorStatus {
        email: account.username.clone(),
        methods: super::two_factor::methods(account),
        code: policy.two_factor_code.clone(),
        backup_codes: policy.backup_codes.clone(),
        pushes: policy.two_factor_log.pushes.clone(),
        pushes_waiting: 0,
        last_answer: policy.two_factor_log.last_answer.clone(),
        remembered: policy
            .remembered_devices
            .iter()
            .map(|r| (b64url_encode(&r.device_token), r.until_ms))
            .collect(),
    })
}

fn selected(state: &State, email: Option<&str>) -> Result<Vec<usize>, AdminError> {
    match email {
        Some(email) => state
            .account_index(email)
            .map(|i| vec![i])
            .ok_or_else(|| AdminError::UnknownAccount(email.trim().to_ascii_lowercase())),
        None => Ok((0..state.accounts.len()).collect()),
    }
}

/// Serves `/__sandbox/<route>` (other than `faults`); `None` for an unknown route.
pub async fn handle(
    shared: &Arc<Shared>,
    route: &str,
    method: &Method,
    uri: &Uri,
    body: Body,
) -> Option<Response> {
    let response = match (route, method) {
        ("users", &Method::POST) => add_user(shared, body).await,
        ("device-approvals", &Method::GET) => {
            let email = query_value(uri, "email");
            let state = shared.read();
            pending_approvals(&state, email.as_deref())
                .map(|pending| axum::Json(json!({ "pending": pending })).into_response())
                .map_err(ApiError::from)
        }
        ("approve-device", &Method::POST) => match read_json::<EmailBody>(body).await {
            Ok(EmailBody { email: Some(email) }) => {
                let result = approve_devices(&mut shared.write(), &email);
                shared.changed();
                result
                    .map(|approved| axum::Json(json!({ "approved": approved })).into_response())
                    .map_err(ApiError::from)
            }
            Ok(_) => Err(ApiError::bad_request("approve-device needs {\"email\"}")),
            Err(error) => Err(error),
        },
        ("expire-sessions", &Method::POST) => match read_json::<EmailBody>(body).await {
            Ok(EmailBody { email }) => {
                let result = expire_sessions(&mut shared.write(), email.as_deref());
                shared.changed();
                result
                    .map(|n| axum::Json(json!({ "expired": n })).into_response())
                    .map_err(ApiError::from)
            }
            Err(error) => Err(error),
        },
        ("two-factor", &Method::GET) => {
            let email = query_value(uri, "email").unwrap_or_default();
            let status = two_factor_status(&shared.read(), &email);
            status
                .map(|mut status| {
                    if let Some(index) = shared.read().account_index(&email) {
                        status.pushes_waiting = super::two_factor::pushes_waiting(shared, index);
                    }
                    axum::Json(status).into_response()
                })
                .map_err(ApiError::from)
        }
        ("approve-push", &Method::POST) => match read_json::<EmailBody>(body).await {
            Ok(EmailBody { email: Some(email) }) => {
                let index = shared.read().account_index(&email);
                index
                    .map(|index| super::two_factor::approve_pushes(shared, index))
                    .map(|n| axum::Json(json!({ "approved": n })).into_response())
                    .ok_or_else(|| {
                        ApiError::from(AdminError::UnknownAccount(
                            email.trim().to_ascii_lowercase(),
                        ))
                    })
            }
            Ok(_) => Err(ApiError::bad_request("approve-push needs {\"email\"}")),
            Err(error) => Err(error),
        },
        ("sso-login", &Method::POST) => match read_json::<UrlBody>(body).await {
            Ok(UrlBody { url }) => super::sso::sign_in(shared, &url).map(|(email, token)| {
                axum::Json(json!({ "email": email, "token": token })).into_response()
            }),
            Err(error) => Err(error),
        },
        ("stats", &Method::GET) => Ok(axum::Json(shared.stats().clone()).into_response()),
        ("stats", &Method::DELETE) => {
            *shared.stats() = Default::default();
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        // The way `sandbox stop` ends a served sandbox: through the descriptor's own CA and
        // port, so it can only reach the sandbox it describes, never a process that reused a
        // stale pid; and it works where there are no POSIX signals.
        ("shutdown", &Method::POST) => {
            shared.stop.notify_one();
            Ok((
                StatusCode::ACCEPTED,
                axum::Json(json!({ "stopping": true })),
            )
                .into_response())
        }
        (
            "users" | "device-approvals" | "approve-device" | "expire-sessions" | "stats"
            | "two-factor" | "approve-push" | "sso-login" | "shutdown",
            _,
        ) => Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "bad_request",
            format!("/__sandbox/{route} does not take {method}"),
        )),
        _ => return None,
    };
    Some(match response {
        Ok(response) => response,
        Err(error) => error.into_response(),
    })
}

async fn add_user(shared: &Arc<Shared>, body: Body) -> Result<Response, ApiError> {
    let user: NewUser = read_json(body).await?;
    if shared.read().account_index(&user.email).is_some() {
        return Err(AdminError::AddUser(AddUserError::Exists(
            user.email.trim().to_ascii_lowercase(),
        ))
        .into());
    }
    // RSA key generation takes a moment: keep it off the request threads.
    let account = tokio::task::spawn_blocking(move || create_account(&user))
        .await
        .map_err(|e| ApiError::internal(format!("account creation failed: {e}")))?
        .map_err(AdminError::from)?;
    let (email, uid) = (account.username.clone(), account.account_uid.to_string());
    insert_account(&mut shared.write(), account).map_err(AdminError::from)?;
    shared.changed();
    tracing::info!(%email, "sandbox account added");
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({ "email": email, "account_uid": uid })),
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmailBody {
    #[serde(default)]
    email: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UrlBody {
    url: String,
}

async fn read_json<T: serde::de::DeserializeOwned>(body: Body) -> Result<T, ApiError> {
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map_err(|_| ApiError::bad_request("admin request body is too large or was cut off"))?;
    let bytes = if bytes.iter().all(u8::is_ascii_whitespace) {
        &b"{}"[..]
    } else {
        &bytes[..]
    };
    // serde's messages name fields and positions, never values.
    serde_json::from_slice(bytes).map_err(|e| ApiError::bad_request(format!("invalid JSON: {e}")))
}

/// The percent-decoded value of `name` in the query of `uri`.
fn query_value(uri: &Uri, name: &str) -> Option<String> {
    uri.query()?.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then(|| percent_decode(value))
    })
}

fn percent_decode(text: &str) -> String {
    let hex = |b: u8| {
        char::from(b)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match bytes.get(i..i + 3) {
            Some([b'%', high, low]) => hex(*high).zip(hex(*low)).map(|(h, l)| h << 4 | l),
            _ => None,
        };
        match (escaped, bytes[i]) {
            (Some(byte), _) => {
                out.push(byte);
                i += 3;
            }
            (None, b'+') => {
                out.push(b' ');
                i += 1;
            }
            (None, other) => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl From<AdminError> for ApiError {
    fn from(error: AdminError) -> Self {
        match &error {
            AdminError::UnknownAccount(_) => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", error.to_string())
            }
            AdminError::AddUser(AddUserError::Exists(_)) => {
                ApiError::new(StatusCode::CONFLICT, "exists", error.to_string())
            }
            AdminError::AddUser(AddUserError::Create(_)) => ApiError::internal(error.to_string()),
            AdminError::AddUser(_) => ApiError::bad_request(error.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_decoded() {
        let uri: Uri = "/__sandbox/device-approvals?x=1&email=a%2Bb%40example.com"
            .parse()
            .unwrap();
        assert_eq!(
            query_value(&uri, "email").as_deref(),
            Some("a+b@example.com")
        );
        assert_eq!(query_value(&uri, "missing"), None);
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
