//! Gateway clients of a KSM application and their One-Time Access Tokens
//! (`vault/app_client_add`, `vault/app_client_remove`).
//! Facts: protocol-vault-ksm-gateway.md §4.1, §4.2, §4.4; peer-call-sequences.md §2.5.

use std::ops::RangeInclusive;

use time::OffsetDateTime;

use super::apps::now_ms;
use super::token::OneTimeToken;
use super::KsmError;
use crate::keeper::auth::Session;
use crate::keeper::crypto::aes_gcm_encrypt;
use crate::keeper::proto::authentication::{AddAppClientRequest, Device, RemoveAppClientsRequest};
use crate::keeper::proto::enterprise::AppClientType;
use crate::keeper::uid::Uid;
use crate::keeper::vault::Application;

/// Token lifetimes Commander and the SDK accept for `pam gateway new -e` (minutes).
pub const FIRST_ACCESS_EXPIRY_MINUTES: RangeInclusive<u32> = 1..=1440;

/// A gateway client just added to an application, with the token only this process knows.
#[derive(Debug)]
pub struct NewGatewayClient {
    /// The One-Time Access Token to hand to the gateway.
    pub token: OneTimeToken,
    /// The 64-byte client id Keeper stores (for `app_client_remove`).
    pub client_id: Vec<u8>,
    /// `Device.encryptedDeviceToken` from the reply; `pam/get_controllers` lists its std b64.
    pub device_token: Vec<u8>,
    /// When the token stops being redeemable.
    pub expires_at: OffsetDateTime,
}

/// Builds the `AddAppClientRequest` for a gateway named `name` holding `token`.
///
/// `clientId` = HMAC-SHA512(secret, "KEEPER_SECRETS_MANAGER_CLIENT_ID"); `encryptedAppKey` =
/// GCM(appKey, secret). Gateways never lock the IP and never set `accessExpireOn` (CMD
/// `gateway_helper.py::create_gateway`).
pub fn add_app_client_request(
    app: &Application,
    token: &OneTimeToken,
    name: &str,
    first_access_expire_on_ms: i64,
) -> AddAppClientRequest {
    AddAppClientRequest {
        app_record_uid: app.uid.as_bytes().to_vec(),
        encrypted_app_key: aes_gcm_encrypt(token.secret(), app.key.as_bytes()),
        client_id: token.client_id().to_vec(),
        lock_ip: false,
        first_access_expire_on: first_access_expire_on_ms,
        access_expire_on: 0,
        id: name.to_owned(),
        app_client_type: AppClientType::DiscoveryAndRotationController as i32,
    }
}

/// Adds a PAM gateway client to `app` and mints its One-Time Access Token.
///
/// The token prefix is the session's region code, or its host for other servers, as Commander
/// prints it.
pub async fn add_gateway_client(
    session: &Session,
    app: &Application,
    name: &str,
    first_access_expiry_minutes: u32,
) -> Result<NewGatewayClient, KsmError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(KsmError::InvalidInput("the gateway name is empty".into()));
    }
    if !FIRST_ACCESS_EXPIRY_MINUTES.contains(&first_access_expiry_minutes) {
        return Err(KsmError::InvalidInput(format!(
            "token expiry must be between {} and {} minutes, got {first_access_expiry_minutes}",
            FIRST_ACCESS_EXPIRY_MINUTES.start(),
            FIRST_ACCESS_EXPIRY_MINUTES.end()
        )));
    }
    let token = OneTimeToken::generate(session.server().token_prefix());
    let expires_on_ms = now_ms().saturating_add(i64::from(first_access_expiry_minutes) * 60_000);
    add_gateway_client_with_token(session, app, name, token, expires_on_ms).await
}

/// When a token minted now for `minutes` stops being redeemable (ms since the epoch).
pub fn first_access_expiry(minutes: u32) -> i64 {
    now_ms().saturating_add(i64::from(minutes) * 60_000)
}

/// Adds a gateway client for a token the caller minted (and may have kept) beforehand, so a run
/// whose reply is lost can still show the token the server now holds.
pub async fn add_gateway_client_with_token(
    session: &Session,
    app: &Application,
    name: &str,
    token: OneTimeToken,
    expires_on_ms: i64,
) -> Result<NewGatewayClient, KsmError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(KsmError::InvalidInput("the gateway name is empty".into()));
    }
    let request = add_app_client_request(app, &token, name, expires_on_ms);
    let device: Device = session
        .execute_proto("vault/app_client_add", &request)
        .await?;
    if device.encrypted_device_token.is_empty() {
        // Commander cannot build a token from such a reply either (peer-call-sequences.md §2.5).
        return Err(KsmError::BadResponse(
            "app_client_add: the reply carries no device token".into(),
        ));
    }
    let expires_at =
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(expires_on_ms) * 1_000_000)
            .map_err(|_| KsmError::BadResponse("token expiry out of range".into()))?;
    Ok(NewGatewayClient {
        client_id: request.client_id,
        token,
        device_token: device.encrypted_device_token,
        expires_at,
    })
}

/// Removes clients (by 64-byte client id) from an application.
pub async fn remove_clients(
    session: &Session,
    app: &Uid,
    client_ids: &[Vec<u8>],
) -> Result<(), KsmError> {
    let request = RemoveAppClientsRequest {
        app_record_uid: app.as_bytes().to_vec(),
        clients: client_ids.to_vec(),
    };
    session
        .execute_proto::<_, ()>("vault/app_client_remove", &request)
        .await
        .map_err(KsmError::from)
}
