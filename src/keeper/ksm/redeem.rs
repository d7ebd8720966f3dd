//! Redeeming a One-Time Access Token into a KSM config: the KSM SDK's binding `sm/v1/get_secret`.
//!
//! `sm/v1` is a different envelope from `api/rest` (no protobuf, an ECDSA signature instead of
//! a session), so it is spoken here directly with reqwest. Facts: protocol-vault-ksm-gateway.md
//! §4.3, §5.1–§5.5; peer-call-sequences.md §3.1.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use zeroize::Zeroizing;

use super::config::KsmConfig;
use super::token::OneTimeToken;
use super::KsmError;
use crate::keeper::crypto::{
    aes_gcm_decrypt, aes_gcm_encrypt, b64_std_encode, b64url_decode, ecdsa_sign, ecies_encrypt,
    AesKey, EcPrivateKey, EcPublicKey,
};
use crate::keeper::proto::ksm_json::{GetPayload, KsmErrorBody, SecretsManagerResponse};
use crate::keeper::server::Server;
use crate::keeper::transport::{http, ServerKey, ServerPublicKey, TransportError};

/// The Rust KSM SDK's client version; the real server only accepts registered SDK versions.
pub const KSM_CLIENT_VERSION: &str = "mr17.3.0";
/// The server key id KSM SDKs start with (`keeper_globals.py`).
pub const KSM_DEFAULT_SERVER_KEY_ID: i32 = 10;
/// Key switches and throttling waits allowed before giving up (each).
const MAX_RETRIES: u32 = 3;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
const READ_TIMEOUT: Duration = Duration::from_secs(60);
const MAX_THROTTLE_WAIT: Duration = Duration::from_secs(60);

/// Where and how to redeem; the defaults suit Keeper's production servers.
#[derive(Debug, Clone, Default)]
pub struct RedeemOptions {
    /// Host (`host[:port]`) to use instead of the token's prefix, e.g. a sandbox.
    pub hostname: Option<String>,
    /// Server key id and public key to use instead of Keeper's built-in KSM key table.
    pub server_public_key: Option<(i32, EcPublicKey)>,
    /// Extra CA certificate (PEM) to trust, as for the vault transport.
    pub ca_cert_pem: Option<String>,
}

/// Binds a new KSM client with `token` and returns its config (client key, app key, hostname).
///
/// Sends one `get_secret` exactly as the KSM SDK's first call does: a fresh P-256 client key,
/// its public key in the body, the body GCM-sealed under a transmission key that is ECIES-sealed
/// to the server key, and an ECDSA signature over both. The reply's `encryptedAppKey` is
/// decrypted with the token secret.
pub async fn redeem(token: &OneTimeToken, options: &RedeemOptions) -> Result<KsmConfig, KsmError> {
    let hostname = resolve_hostname(token, options)?;
    let client = http_client(options.ca_cert_pem.as_deref())?;
    let client_key = EcPrivateKey::generate();
    let client_id = token.client_id();
    let payload = GetPayload {
        client_version: KSM_CLIENT_VERSION.to_owned(),
        client_id: b64_std_encode(&client_id),
        public_key: Some(b64_std_encode(&client_key.public_key().to_uncompressed())),
        requested_records: None,
        requested_folders: None,
        request_links: None,
    };
    let payload = serde_json::to_vec_pretty(&payload)
        .map_err(|e| KsmError::InvalidInput(format!("cannot serialize get_secret: {e}")))?;

    let mut key_id = options
        .server_public_key
        .as_ref()
        .map_or(KSM_DEFAULT_SERVER_KEY_ID, |(id, _)| *id);
    let url = format!("https://{hostname}/api/rest/sm/v1/get_secret");
    let (mut key_retries, mut throttle_retries) = (0, 0);
    let reply = loop {
        let server_key = match &options.server_public_key {
            Some((_, key)) => key.clone(),
            None => builtin_ksm_key(key_id).ok_or(TransportError::ServerKeyRejected { key_id })?,
        };
        let request = seal(&server_key, key_id, &client_key, &payload);
        match post(&client, &url, &hostname, request).await? {
            Reply::Body(body) => break body,
            Reply::Key(Some(next))
                if options.server_public_key.is_none()
                    && next != key_id
                    && builtin_ksm_key(next).is_some()
                    && key_retries < MAX_RETRIES =>
            {
                key_retries += 1;
                key_id = next;
            }
            Reply::Key(asked) => {
                return Err(TransportError::ServerKeyRejected {
                    key_id: asked.unwrap_or(key_id),
                }
                .into())
            }
            Reply::Throttled(wait) if throttle_retries < MAX_RETRIES => {
                throttle_retries += 1;
                tokio::time::sleep(wait.min(MAX_THROTTLE_WAIT)).await;
            }
            Reply::Throttled(_) => {
                return Err(TransportError::Throttled {
                    retries: throttle_retries,
                }
                .into())
            }
        }
    };

    let binding = Binding {
        hostname,
        client_key,
        server_public_key_id: key_id,
        server_public_key: options
            .server_public_key
            .as_ref()
            .map(|(_, key)| key.clone()),
    };
    config_from_reply(token, binding, &reply)
}

/// What the client knows about its side of the binding before the reply arrives.
pub(crate) struct Binding {
    pub(crate) hostname: String,
    pub(crate) client_key: EcPrivateKey,
    pub(crate) server_public_key_id: i32,
    pub(crate) server_public_key: Option<EcPublicKey>,
}

/// Reads the binding reply: `encryptedAppKey` (GCM under the token secret) is required,
/// `appOwnerPublicKey` optional; both are b64url, padding optional (§5.5).
pub(crate) fn config_from_reply(
    token: &OneTimeToken,
    binding: Binding,
    reply: &[u8],
) -> Result<KsmConfig, KsmError> {
    let response: SecretsManagerResponse = serde_json::from_slice(reply)
        .map_err(|e| KsmError::BadResponse(format!("get_secret reply is not the KSM JSON: {e}")))?;
    let encrypted_app_key =
        response
            .encrypted_app_key
            .as_deref()
            .ok_or_else(|| KsmError::Refused {
                code: "already_bound".into(),
                message: "Keeper returned no application key; the token was probably already used"
                    .into(),
            })?;
    let app_key = decode_url_safe(encrypted_app_key)
        .and_then(|bytes| aes_gcm_decrypt(token.secret(), &bytes).ok())
        .map(Zeroizing::new)
        .and_then(|plain| AesKey::from_slice(&plain).ok())
        .ok_or_else(|| {
            KsmError::BadResponse("encryptedAppKey does not decrypt with the token".into())
        })?;
    let app_owner_public_key = match response.app_owner_public_key.as_deref() {
        None | Some("") => None,
        Some(text) => Some(
            decode_url_safe(text)
                .and_then(|bytes| EcPublicKey::from_uncompressed(&bytes).ok())
                .ok_or_else(|| {
                    KsmError::BadResponse("appOwnerPublicKey is not a P-256 key".into())
                })?,
        ),
    };
    Ok(KsmConfig {
        hostname: binding.hostname,
        client_id: token.client_id(),
        private_key: binding.client_key,
        server_public_key_id: binding.server_public_key_id,
        app_key,
        app_owner_public_key,
        server_public_key: binding.server_public_key,
    })
}

/// The host to talk to: the override, else the token's region (`US` → keepersecurity.com) or host.
fn resolve_hostname(token: &OneTimeToken, options: &RedeemOptions) -> Result<String, KsmError> {
    let text = options
        .hostname
        .as_deref()
        .or(token.prefix())
        .ok_or_else(|| KsmError::InvalidInput("the token names no host; give a hostname".into()))?;
    let server: Server = text
        .parse()
        .map_err(|e| KsmError::InvalidInput(format!("token host: {e}")))?;
    Ok(server.host().to_owned())
}

/// KSM's key table: ids 7–18 are Keeper's EC server keys; 1–6 all alias key 7 (`keeper_globals.py`).
fn builtin_ksm_key(id: i32) -> Option<EcPublicKey> {
    let id = if (1..=6).contains(&id) { 7 } else { id };
    match ServerKey::builtin(id)?.key() {
        ServerPublicKey::Ec(key) => Some(key.clone()),
        ServerPublicKey::Rsa(_) => None,
    }
}

/// One sealed `sm/v1` request: the transmission key it used and the HTTP parts to send.
struct SealedRequest {
    transmission_key: AesKey,
    headers: HeaderMap,
    body: Vec<u8>,
}

fn seal(
    server_key: &EcPublicKey,
    key_id: i32,
    client_key: &EcPrivateKey,
    payload: &[u8],
) -> SealedRequest {
    let transmission_key = AesKey::generate();
    let encrypted_key = ecies_encrypt(server_key, transmission_key.as_bytes());
    let body = aes_gcm_encrypt(&transmission_key, payload);
    let mut signed = encrypted_key.clone();
    signed.extend_from_slice(&body);
    let signature = ecdsa_sign(client_key, &signed);

    let mut headers = HeaderMap::new();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(
        HeaderName::from_static("publickeyid"),
        HeaderValue::from(key_id),
    );
    // Base64 text is always a valid header value, so these conversions cannot fail.
    if let Ok(value) = HeaderValue::from_str(&b64_std_encode(&encrypted_key)) {
        headers.insert(HeaderName::from_static("transmissionkey"), value);
    }
    if let Ok(value) = HeaderValue::from_str(&format!("Signature {}", b64_std_encode(&signature))) {
        headers.insert(AUTHORIZATION, value);
    }
    SealedRequest {
        transmission_key,
        headers,
        body,
    }
}

/// What one round trip produced.
enum Reply {
    /// HTTP 200, decrypted.
    Body(Zeroizing<Vec<u8>>),
    /// `{"error":"key","key_id":N}`: retry with another server key.
    Key(Option<i32>),
    /// `{"error":"throttled"}`: wait and retry.
    Throttled(Duration),
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    host: &str,
    request: SealedRequest,
) -> Result<Reply, KsmError> {
    crate::keeper::transport::count_request();
    let response = client
        .post(url)
        .headers(request.headers)
        .body(request.body)
        .send()
        .await
        .map_err(|e| network_error(e, host))?;
    let status = response.status().as_u16();
    let bytes = response.bytes().await.map_err(|e| network_error(e, host))?;
    if status == 200 {
        if bytes.is_empty() {
            return Err(KsmError::BadResponse(
                "get_secret answered with an empty body".into(),
            ));
        }
        return aes_gcm_decrypt(&request.transmission_key, &bytes)
            .map(|plain| Reply::Body(Zeroizing::new(plain)))
            .map_err(|_| KsmError::BadResponse("get_secret reply does not decrypt".into()));
    }
    let Some(error) = KsmErrorBody::parse(&bytes) else {
        return Err(TransportError::Http { status }.into());
    };
    match error.code() {
        Some("key") => Ok(Reply::Key(error.key_id)),
        Some("throttled") => Ok(Reply::Throttled(Duration::from_secs(
            error
                .retry_after
                .and_then(|s| u64::try_from(s).ok())
                .unwrap_or(10),
        ))),
        code => Err(KsmError::Refused {
            code: code.unwrap_or("unknown_error").to_owned(),
            message: error.message.unwrap_or_default(),
        }),
    }
}

/// KSM SDKs read these three fields with or without padding, in either alphabet.
fn decode_url_safe(text: &str) -> Option<Vec<u8>> {
    let normalized: String = text
        .trim()
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            other => other,
        })
        .collect();
    b64url_decode(&normalized).ok()
}

/// The HTTP client for `sm/v1`: the transport's (rustls, timeouts, no redirects, extra CA).
fn http_client(ca_cert_pem: Option<&str>) -> Result<reqwest::Client, KsmError> {
    Ok(http::build_client(
        CONNECT_TIMEOUT,
        READ_TIMEOUT,
        ca_cert_pem,
        concat!("gw-provision/", env!("CARGO_PKG_VERSION")),
    )?)
}

/// Sorts a reqwest failure into the transport's TLS / network errors.
fn network_error(error: reqwest::Error, host: &str) -> KsmError {
    KsmError::Transport(http::classify_error(error, host))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keeper::crypto::{aes_gcm_decrypt, ecdsa_verify, ecies_decrypt};

    #[test]
    fn builtin_key_ids_follow_the_ksm_table() {
        assert_eq!(builtin_ksm_key(1), builtin_ksm_key(7));
        assert!(builtin_ksm_key(10).is_some());
        assert!(builtin_ksm_key(18).is_some());
        assert!(builtin_ksm_key(19).is_none());
        assert!(builtin_ksm_key(0).is_none());
    }

    #[test]
    fn hostname_comes_from_override_then_region_then_host_prefix() {
        let secret = "aohIcilVqaHIeIRS-4SwF2YuKQVM0zjrNe1yNb9SzVg";
        let region: OneTimeToken = format!("EU:{secret}").parse().unwrap();
        let host: OneTimeToken = format!("sandbox.test:8443:{secret}").parse().unwrap();
        let bare: OneTimeToken = secret.parse().unwrap();
        let none = RedeemOptions::default();
        let sandbox = RedeemOptions {
            hostname: Some("127.0.0.1:9443".into()),
            ..RedeemOptions::default()
        };
        assert_eq!(
            resolve_hostname(&region, &none).unwrap(),
            "keepersecurity.eu"
        );
        assert_eq!(resolve_hostname(&host, &none).unwrap(), "sandbox.test:8443");
        assert_eq!(
            resolve_hostname(&region, &sandbox).unwrap(),
            "127.0.0.1:9443"
        );
        assert!(matches!(
            resolve_hostname(&bare, &none),
            Err(KsmError::InvalidInput(_))
        ));
    }

    #[test]
    fn sealed_request_opens_with_the_server_key_and_verifies_with_the_client_key() {
        let server = EcPrivateKey::generate();
        let client = EcPrivateKey::generate();
        let sealed = seal(&server.public_key(), 10, &client, b"{\"clientId\":\"x\"}");

        let header = |name: &str| {
            sealed
                .headers
                .get(name)
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned()
        };
        assert_eq!(header("publickeyid"), "10");
        assert_eq!(header("content-type"), "application/octet-stream");
        let encrypted_key =
            crate::keeper::crypto::b64_std_decode(&header("transmissionkey")).unwrap();
        let transmission_key =
            AesKey::from_slice(&ecies_decrypt(&server, &encrypted_key).unwrap()).unwrap();
        assert_eq!(transmission_key, sealed.transmission_key);
        assert_eq!(
            aes_gcm_decrypt(&transmission_key, &sealed.body).unwrap(),
            b"{\"clientId\":\"x\"}"
        );

        let signature = header("authorization");
        let signature =
            crate::keeper::crypto::b64_std_decode(signature.strip_prefix("Signature ").unwrap())
                .unwrap();
        let mut signed = encrypted_key.clone();
        signed.extend_from_slice(&sealed.body);
        ecdsa_verify(&client.public_key(), &signed, &signature).unwrap();
    }

    fn binding() -> Binding {
        Binding {
            hostname: "sandbox.test:8443".into(),
            client_key: EcPrivateKey::generate(),
            server_public_key_id: 7,
            server_public_key: None,
        }
    }

    #[test]
    fn binding_reply_yields_the_app_key_and_owner_key() {
        let token = OneTimeToken::generate("sandbox.test:8443");
        let app_key = AesKey::generate();
        let owner = EcPrivateKey::generate().public_key();
        let reply = serde_json::json!({
            "encryptedAppKey": crate::keeper::crypto::b64url_encode(&aes_gcm_encrypt(token.secret(), app_key.as_bytes())),
            "appOwnerPublicKey": crate::keeper::crypto::b64url_encode(&owner.to_uncompressed()),
            "records": [],
            "folders": [],
        });
        let binding = binding();
        let client_public = binding.client_key.public_key();

        let config = config_from_reply(&token, binding, reply.to_string().as_bytes()).unwrap();

        assert_eq!(config.app_key, app_key);
        assert_eq!(config.app_owner_public_key, Some(owner));
        assert_eq!(config.client_id, token.client_id());
        assert_eq!(config.private_key.public_key(), client_public);
        assert_eq!(config.hostname, "sandbox.test:8443");
        assert_eq!(config.server_public_key_id, 7);
    }

    #[test]
    fn reply_without_app_key_means_the_token_was_used() {
        let token = OneTimeToken::generate("US");
        let reply = br#"{"records": null, "folders": null}"#;

        let error = config_from_reply(&token, binding(), reply).unwrap_err();

        assert!(matches!(error, KsmError::Refused { code, .. } if code == "already_bound"));
    }

    #[test]
    fn app_key_for_another_token_is_a_bad_response() {
        let token = OneTimeToken::generate("US");
        let other = OneTimeToken::generate("US");
        let wrapped = aes_gcm_encrypt(other.secret(), AesKey::generate().as_bytes());
        let reply = serde_json::json!({
            "encryptedAppKey": crate::keeper::crypto::b64url_encode(&wrapped),
        });

        let error = config_from_reply(&token, binding(), reply.to_string().as_bytes()).unwrap_err();

        assert!(matches!(error, KsmError::BadResponse(_)));
    }

    #[test]
    fn app_fields_decode_in_either_alphabet_with_or_without_padding() {
        let bytes: Vec<u8> = (0..=60).collect();
        let url = crate::keeper::crypto::b64url_encode(&bytes);
        let std = b64_std_encode(&bytes);
        assert_eq!(decode_url_safe(&url), Some(bytes.clone()));
        assert_eq!(decode_url_safe(&std), Some(bytes));
    }
}
