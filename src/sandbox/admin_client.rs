//! A client for a running sandbox's admin routes (`admin.rs`), trusting only the descriptor's CA:
//! what `gw-provision sandbox add-user --sandbox-descriptor FILE` and tests use.

use std::time::Duration;

use serde_json::{json, Value};

use super::admin::{PendingApproval, TwoFactorStatus};
use super::new_user::NewUser;
use super::stats::RequestStats;
use super::Descriptor;

const TIMEOUT: Duration = Duration::from_secs(60);

/// Why an admin call failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminClientError {
    /// The client could not be built from the descriptor (bad CA PEM).
    #[error("sandbox descriptor: {0}")]
    Descriptor(String),
    /// The sandbox could not be reached.
    #[error("cannot reach the sandbox at {url}: {detail}")]
    Unreachable {
        /// The sandbox URL.
        url: String,
        /// What failed.
        detail: String,
    },
    /// The sandbox answered with an error (`exists`, `not_found`, `bad_request`, …).
    #[error("the sandbox refused: {code}: {message}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The `error` key.
        code: String,
        /// The `message` key.
        message: String,
    },
    /// The reply was not the JSON expected.
    #[error("unexpected reply from the sandbox: {0}")]
    BadReply(String),
}

/// Calls the admin routes of the sandbox a descriptor describes.
#[derive(Debug, Clone)]
pub struct AdminClient {
    http: reqwest::Client,
    url: String,
}

impl AdminClient {
    /// A client for `descriptor`'s sandbox, trusting its CA.
    pub fn new(descriptor: &Descriptor) -> Result<Self, AdminClientError> {
        let certs = reqwest::Certificate::from_pem_bundle(descriptor.ca_cert_pem.as_bytes())
            .map_err(|e| AdminClientError::Descriptor(format!("CA certificate: {e}")))?;
        let http = reqwest::Client::builder()
            .tls_certs_only(certs)
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| AdminClientError::Descriptor(e.to_string()))?;
        Ok(AdminClient {
            http,
            url: descriptor.url.trim_end_matches('/').to_owned(),
        })
    }

    /// `POST /__sandbox/users`: adds an account; an existing e-mail is `Refused { code: "exists" }`.
    pub async fn add_user(&self, user: &NewUser) -> Result<(), AdminClientError> {
        let body = serde_json::to_value(user)
            .map_err(|e| AdminClientError::BadReply(format!("cannot encode the user: {e}")))?;
        self.call(reqwest::Method::POST, "users", Some(body))
            .await?;
        Ok(())
    }

    /// `GET /__sandbox/device-approvals`: devices of `email` waiting for approval.
    pub async fn device_approvals(
        &self,
        email: &str,
    ) -> Result<Vec<PendingApproval>, AdminClientError> {
        let route = format!("device-approvals?email={}", query_escape(email));
        let reply = self.call(reqwest::Method::GET, &route, None).await?;
        list(reply, "pending")
    }

    /// `POST /__sandbox/approve-device`: approves every waiting device of `email`.
    pub async fn approve_device(
        &self,
        email: &str,
    ) -> Result<Vec<PendingApproval>, AdminClientError> {
        let body = json!({ "email": email });
        let reply = self
            .call(reqwest::Method::POST, "approve-device", Some(body))
            .await?;
        list(reply, "approved")
    }

    /// `POST /__sandbox/expire-sessions`: ends the sessions of `email`, or of every account.
    pub async fn expire_sessions(&self, email: Option<&str>) -> Result<u64, AdminClientError> {
        let body = json!({ "email": email });
        let reply = self
            .call(reqwest::Method::POST, "expire-sessions", Some(body))
            .await?;
        reply["expired"]
            .as_u64()
            .ok_or_else(|| AdminClientError::BadReply("no `expired` count".to_owned()))
    }

    /// `GET /__sandbox/two-factor`: the code SMS, Duo and RSA accept, backup codes, pushes sent.
    pub async fn two_factor(&self, email: &str) -> Result<TwoFactorStatus, AdminClientError> {
        let route = format!("two-factor?email={}", query_escape(email));
        let reply = self.call(reqwest::Method::GET, &route, None).await?;
        serde_json::from_value(reply)
            .map_err(|e| AdminClientError::BadReply(format!("two-factor: {e}")))
    }

    /// `POST /__sandbox/approve-push`: approves the Duo / Keeper pushes logins of `email` wait for.
    pub async fn approve_push(&self, email: &str) -> Result<u64, AdminClientError> {
        let body = json!({ "email": email });
        let reply = self
            .call(reqwest::Method::POST, "approve-push", Some(body))
            .await?;
        reply["approved"]
            .as_u64()
            .ok_or_else(|| AdminClientError::BadReply("no `approved` count".to_owned()))
    }

    /// `POST /__sandbox/sso-login`: signs in at the identity provider with the URL a Cloud SSO
    /// login shows (with its `payload=`) and returns the login token SSO Connect would show.
    pub async fn sso_token(&self, url: &str) -> Result<String, AdminClientError> {
        let body = json!({ "url": url });
        let reply = self
            .call(reqwest::Method::POST, "sso-login", Some(body))
            .await?;
        reply["token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| AdminClientError::BadReply("no `token`".to_owned()))
    }

    /// `GET /__sandbox/stats`: Keeper API requests served, by endpoint.
    pub async fn stats(&self) -> Result<RequestStats, AdminClientError> {
        let reply = self.call(reqwest::Method::GET, "stats", None).await?;
        serde_json::from_value(reply).map_err(|e| AdminClientError::BadReply(format!("stats: {e}")))
    }

    /// `POST /__sandbox/shutdown`: asks a served sandbox to stop (it saves and exits).
    pub async fn shutdown(&self) -> Result<(), AdminClientError> {
        self.call(reqwest::Method::POST, "shutdown", None).await?;
        Ok(())
    }

    /// `DELETE /__sandbox/stats`: resets the request counts.
    pub async fn reset_stats(&self) -> Result<(), AdminClientError> {
        self.call(reqwest::Method::DELETE, "stats", None).await?;
        Ok(())
    }

    async fn call(
        &self,
        method: reqwest::Method,
        route: &str,
        body: Option<Value>,
    ) -> Result<Value, AdminClientError> {
        let mut request = self
            .http
            .request(method, format!("{}/__sandbox/{route}", self.url));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let unreachable = |e: reqwest::Error| AdminClientError::Unreachable {
            url: self.url.clone(),
            detail: e.without_url().to_string(),
        };
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        let text = response.text().await.map_err(unreachable)?;
        let value: Value = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).map_err(|_| {
                AdminClientError::BadReply(format!("HTTP {status} with a body that is not JSON"))
            })?
        };
        if !status.is_success() {
            return Err(AdminClientError::Refused {
                status: status.as_u16(),
                code: value["error"].as_str().unwrap_or("unknown").to_owned(),
                message: value["message"].as_str().unwrap_or_default().to_owned(),
            });
        }
        Ok(value)
    }
}

fn list(mut reply: Value, key: &str) -> Result<Vec<PendingApproval>, AdminClientError> {
    serde_json::from_value(reply[key].take())
        .map_err(|e| AdminClientError::BadReply(format!("`{key}`: {e}")))
}

/// Percent-encodes a query value (e-mails contain `@` and maybe `+`).
fn query_escape(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
