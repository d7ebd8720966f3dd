//! The router paths (`/api/user/<path>`), which the sandbox serves on its own port (clients are
//! pointed at it with `KROUTER_URL` or the descriptor).
//!
//! Requests carry `TransmissionKey` (std-b64 of the transmission key sealed to the server key)
//! and `Authorization: KeeperUser std-b64(GCM(session token, transmission key))`; protobuf
//! bodies are GCM-encrypted with the transmission key, the DAG's JSON is not (Commander
//! `router_helper.py::_post_request_to_router`, `keeper_dag/connection/commander.py`).

use std::sync::Arc;

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use prost::Message;

use crate::keeper::crypto::{aes_gcm_decrypt, b64_std_decode, AesKey};
use crate::keeper::proto::router::{RouterResponse, RouterResponseCode};

use super::context::{ApiError, Shared};
use super::envelope::unwrap_transmission_key;
use super::pam_config;

/// Answers one router call.
pub fn handle(shared: &Arc<Shared>, path: &str, headers: &HeaderMap, body: &[u8]) -> Response {
    match path {
        "configure_network_graph" => {
            let result = authenticate(shared, headers).and_then(|(key, account)| {
                let payload = aes_gcm_decrypt(&key, body)
                    .map_err(|_| ApiError::bad_request("body does not decrypt"))?;
                pam_config::configure_network_graph(shared, account, &payload)
            });
            match result {
                Ok(()) => router_reply(RouterResponseCode::RrcOk, ""),
                Err(error) if error.status() == StatusCode::UNAUTHORIZED => error.into_response(),
                Err(error) => router_reply(RouterResponseCode::RrcBadRequest, &error.message()),
            }
        }
        "sync" => {
            let result = authenticate(shared, headers)
                .and_then(|(_, account)| pam_config::dag_sync(shared, account, body));
            match result {
                Ok(value) => (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "application/json")],
                    value.to_string(),
                )
                    .into_response(),
                Err(error) => error.into_response(),
            }
        }
        // `pam gateway list` asks which gateways are online first; an empty 200 means "none
        // online" (notes 04 §2.6). Other router calls are answered the same way.
        _ => StatusCode::OK.into_response(),
    }
}

/// The transmission key and the account of the session the headers carry.
fn authenticate(shared: &Arc<Shared>, headers: &HeaderMap) -> Result<(AesKey, usize), ApiError> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .ok_or_else(|| ApiError::bad_request(format!("missing {name} header")))
    };
    let sealed = b64_std_decode(header("TransmissionKey")?)
        .map_err(|_| ApiError::bad_request("TransmissionKey is not base64"))?;
    let key = unwrap_transmission_key(&shared.server_key, &sealed)
        .map_err(|_| ApiError::key("the transmission key does not decrypt"))?;
    let token = header("Authorization")?
        .strip_prefix("KeeperUser ")
        .and_then(|t| b64_std_decode(t.trim()).ok())
        .and_then(|t| aes_gcm_decrypt(&key, &t).ok())
        .ok_or_else(ApiError::session_expired)?;
    Ok((key, shared.session_account(&token)?))
}

fn router_reply(code: RouterResponseCode, message: &str) -> Response {
    let body = RouterResponse {
        response_code: code as i32,
        error_message: message.to_owned(),
        encrypted_payload: Vec::new(),
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/octet-stream")],
        body.encode_to_vec(),
    )
        .into_response()
}
