//! Entry points for the `cargo fuzz` targets in `fuzz/`: the decoders of outside bytes that are
//! not public API, each wrapped without changing what it does. Not part of the library's
//! interface; see docs/fuzzing.md.

use std::time::Duration;

use crate::cli::config::{decode_b64_config, AccountConfig, ConfigKind, ConfigSource};
use crate::keeper::auth::session::decrypt_account_keys;
use crate::keeper::crypto::{AesKey, EcPrivateKey};
use crate::keeper::ksm::redeem::{config_from_reply, Binding};
use crate::keeper::ksm::{KsmConfig, KsmError, OneTimeToken};
use crate::keeper::proto::account_summary::AccountSummaryElements;
use crate::keeper::transport::{parse_throttle_message, read_v2_reply, ErrorBody, TransportError};
use crate::sandbox::envelope::{open_ksm, open_rest, EnvelopeError, KsmHeaders};

/// `api/rest` error body → the typed error the transport acts on; `None` if not a Keeper error.
pub fn transport_error_body(body: &[u8]) -> Option<TransportError> {
    ErrorBody::parse(body).map(ErrorBody::into_error)
}

/// The wait hint in a throttling message ("try again in 1 minute").
pub fn throttle_message(message: &str) -> Option<Duration> {
    parse_throttle_message(message)
}

/// A `vault/execute_v2_command` reply body: the JSON on success, else the error it maps to.
pub fn v2_reply(body: &[u8]) -> Result<serde_json::Value, TransportError> {
    read_v2_reply("fuzz", body)?.map_err(ErrorBody::into_error)
}

/// The binding `sm/v1/get_secret` reply, read with `token` as redemption reads it.
pub fn ksm_binding_reply(
    token: &OneTimeToken,
    client_key: EcPrivateKey,
    reply: &[u8],
) -> Result<KsmConfig, KsmError> {
    let binding = Binding {
        hostname: "keepersecurity.com".to_owned(),
        client_key,
        server_public_key_id: 10,
        server_public_key: None,
    };
    config_from_reply(token, binding, reply)
}

/// The account keys of a `login/account_summary` reply, decrypted with `data_key`.
pub fn account_keys(summary: &AccountSummaryElements, data_key: &AesKey) -> Result<(), String> {
    decrypt_account_keys(summary, data_key)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// gw-provision's config file (or Commander's `config.json` when `commander`), parsed and
/// rendered back as `save` would write it.
pub fn account_config(commander: bool, text: &str) -> Result<String, String> {
    let kind = if commander {
        ConfigKind::Commander
    } else {
        ConfigKind::GwProvision
    };
    let source = ConfigSource::File {
        path: "fuzz-config.json".into(),
        kind,
    };
    let config = AccountConfig::from_text(source, text).map_err(|e| e.to_string())?;
    config.render().map(|text| text.to_string())
}

/// The value of `GW_PROVISION_CONFIG_B64` (base64 or plain JSON), decoded to config text.
pub fn config_b64(raw: &str) -> Result<String, String> {
    decode_b64_config(raw)
        .map(|text| text.to_string())
        .map_err(|e| e.to_string())
}

/// The sandbox's server side of the `api/rest` envelope: the inner payload on success.
pub fn sandbox_open_rest(server_key: &EcPrivateKey, body: &[u8]) -> Result<Vec<u8>, EnvelopeError> {
    open_rest(server_key, body).map(|request| request.payload.payload)
}

/// The sandbox's server side of the `sm/v1` envelope: the decrypted JSON payload on success,
/// after checking the signature against `client_public_key`.
pub fn sandbox_open_ksm(
    server_key: &EcPrivateKey,
    public_key_id: Option<&str>,
    transmission_key: Option<&str>,
    authorization: Option<&str>,
    body: &[u8],
    client_public_key: &[u8],
) -> Result<Vec<u8>, EnvelopeError> {
    let headers = KsmHeaders {
        public_key_id,
        transmission_key,
        authorization,
    };
    let request = open_ksm(server_key, headers, body)?;
    request.verify(client_public_key)?;
    Ok(request.payload)
}

/// The sandbox's decoding of an `sm/v1` JSON body for `endpoint`; true when it is accepted.
pub fn sandbox_sm_body(endpoint: &str, payload: &[u8]) -> bool {
    crate::sandbox::sm::decode_body(endpoint, payload).is_ok()
}
