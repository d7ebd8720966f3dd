//! The channel to Keeper's router ("krouter", `https://connect.<host>/api/user/<path>`), which
//! holds the PAM DAGs (a configuration's settings) and talks to gateways.
//!
//! Facts (Commander 18.1.8 `commands/pam/router_helper.py::_post_request_to_router`,
//! `keeper_dag/connection/commander.py`): every call is a POST with two headers,
//! `TransmissionKey: std-b64(transmission key sealed to the server key)` and
//! `Authorization: KeeperUser std-b64(GCM(session token, transmission key))`. A protobuf body is
//! GCM-encrypted with the transmission key; the reply is a `RouterResponse` (an empty body is
//! code 0) whose payload is GCM-encrypted with the same key, or JSON. The DAG's own calls
//! (`sync`) send and receive plain JSON under the same headers.

use std::time::Duration;

use prost::Message;
use zeroize::Zeroizing;

use super::{count_request, http, ErrorBody, SessionToken, Transport, TransportError};
use crate::keeper::crypto::{aes_gcm_decrypt, aes_gcm_encrypt, b64_std_encode, AesKey};
use crate::keeper::proto::router::{RouterResponse, RouterResponseCode};
use crate::keeper::server::Server;

/// What a router call sends.
#[derive(Clone, Copy)]
pub enum RouterBody<'a> {
    /// A protobuf message, sent GCM-encrypted with the transmission key.
    Proto(&'a [u8]),
    /// Plain JSON (the DAG endpoints), sent as is.
    Json(&'a [u8]),
}

/// The router's base URL for `server` when none is configured: `https://connect.<host>`, except
/// GovCloud production, whose router drops the `govcloud.` label (Commander
/// `constants.py::get_keeper_host_for_services`).
pub fn default_router_url(server: &Server) -> String {
    let host = server.host();
    match host.strip_prefix("govcloud.") {
        Some(rest) if rest == "keepersecurity.us" => format!("https://connect.{rest}"),
        _ => format!("https://connect.{host}"),
    }
}

impl Transport {
    /// The router's base URL: the configured one (a sandbox, `KROUTER_URL`) or
    /// [`default_router_url`] of the current server.
    pub fn router_url(&self) -> String {
        match &self.options().router_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => default_router_url(&self.server()),
        }
    }

    /// POSTs to `<router>/api/user/<path>`. A protobuf call returns the decrypted payload of the
    /// `RouterResponse` (empty when none); a JSON call returns the reply body. A response code
    /// other than `RRC_OK` is a [`TransportError::Keeper`] carrying the code's name.
    pub async fn execute_router(
        &self,
        path: &str,
        body: RouterBody<'_>,
        session_token: &SessionToken,
    ) -> Result<Vec<u8>, TransportError> {
        let server_key = self.current_server_key()?;
        let transmission_key = AesKey::generate();
        let sealed_key = server_key
            .encrypt_transmission_key(&transmission_key)
            .map_err(|e| TransportError::InvalidRequest(format!("cannot seal key: {e}")))?;
        let token = Zeroizing::new(b64_std_encode(&aes_gcm_encrypt(
            &transmission_key,
            session_token.as_bytes(),
        )));
        let (payload, is_proto) = match body {
            RouterBody::Proto(bytes) => (aes_gcm_encrypt(&transmission_key, bytes), true),
            RouterBody::Json(bytes) => (bytes.to_vec(), false),
        };
        let url = format!("{}/api/user/{path}", self.router_url());
        let host = url_host(&url);
        tracing::debug!(path, "router POST");
        count_request();
        let mut request = self
            .http_client()
            .post(&url)
            .header("TransmissionKey", b64_std_encode(&sealed_key))
            .header("Authorization", format!("KeeperUser {}", token.as_str()))
            .timeout(ROUTER_TIMEOUT)
            .body(payload);
        if !is_proto {
            request = request.header(reqwest::header::CONTENT_TYPE, "application/json");
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => return Err(router_round_trip_error(e, &host)),
        };
        let status = response.status().as_u16();
        let is_json = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.trim()
                    .to_ascii_lowercase()
                    .starts_with("application/json")
            });
        let bytes = response
            .bytes()
            .await
            .map_err(|e| router_round_trip_error(e, &host))?;
        tracing::debug!(path, status, "router response");
        if status >= 400 {
            return Err(match ErrorBody::parse(&bytes) {
                Some(body) => body.into_error(),
                None => TransportError::Http { status },
            });
        }
        if !is_proto || is_json {
            return Ok(bytes.to_vec());
        }
        open_router_response(&transmission_key, &bytes)
    }
}

/// Router calls are few and small; a stuck router should fail the step, not hang the run.
const ROUTER_TIMEOUT: Duration = Duration::from_secs(60);

/// Reads a `RouterResponse` (an empty body is code 0 without payload) and decrypts its payload.
pub fn open_router_response(
    transmission_key: &AesKey,
    body: &[u8],
) -> Result<Vec<u8>, TransportError> {
    let response = RouterResponse::decode(body)
        .map_err(|e| TransportError::BadResponse(format!("router reply: {e}")))?;
    if response.response_code != RouterResponseCode::RrcOk as i32 {
        let code = RouterResponseCode::try_from(response.response_code)
            .map(|c| c.name().to_owned())
            .unwrap_or_else(|_| format!("RRC_{}", response.response_code));
        return Err(TransportError::Keeper {
            code,
            message: response.error_message,
            additional_info: None,
        });
    }
    if response.encrypted_payload.is_empty() {
        return Ok(Vec::new());
    }
    aes_gcm_decrypt(transmission_key, &response.encrypted_payload).map_err(|_| {
        TransportError::BadResponse(
            "router payload does not decrypt with the transmission key".into(),
        )
    })
}

fn url_host(url: &str) -> String {
    url.split("://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or(url)
        .to_owned()
}

/// A router call is never re-sent (a settings write is a write): every failure is final.
fn router_round_trip_error(error: reqwest::Error, host: &str) -> TransportError {
    http::classify_error(error, host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn router_is_connect_dot_host_and_govcloud_drops_its_label() {
        let host = |h: &str| default_router_url(&Server::from_host(h).unwrap());
        assert_eq!(
            host("keepersecurity.com"),
            "https://connect.keepersecurity.com"
        );
        assert_eq!(
            host("keepersecurity.eu"),
            "https://connect.keepersecurity.eu"
        );
        assert_eq!(
            host("govcloud.keepersecurity.us"),
            "https://connect.keepersecurity.us"
        );
        assert_eq!(
            host("govcloud.dev.keepersecurity.us"),
            "https://connect.govcloud.dev.keepersecurity.us"
        );
    }

    #[test]
    fn empty_router_reply_is_ok_without_payload_and_a_code_is_an_error() {
        let tk = AesKey::generate();
        assert_eq!(open_router_response(&tk, &[]).unwrap(), Vec::<u8>::new());
        let refused = RouterResponse {
            response_code: RouterResponseCode::RrcNotAllowed as i32,
            error_message: "rotation is not enabled".into(),
            encrypted_payload: Vec::new(),
        };
        let err = open_router_response(&tk, &refused.encode_to_vec()).unwrap_err();
        assert_eq!(err.keeper_code(), Some("RRC_NOT_ALLOWED"));
        let ok = RouterResponse {
            response_code: 0,
            error_message: String::new(),
            encrypted_payload: aes_gcm_encrypt(&tk, b"payload"),
        };
        assert_eq!(
            open_router_response(&tk, &ok.encode_to_vec()).unwrap(),
            b"payload"
        );
    }
}
