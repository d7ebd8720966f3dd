//! The client side of Keeper's `api/rest` transport: one encrypted POST per call, typed errors,
//! key-id switching and throttling back-off (protocol-transport-login.md §1–§2).
//!
//! Layout: [`envelope`] is the wire codec (pure), [`server_keys`] the server key table,
//! [`error`] the error type, `http` the reqwest client, [`retry`] which requests may be re-sent
//! and when, and this module the retry loop.

pub mod envelope;
pub mod error;
pub(crate) mod http;
pub mod retry;
pub mod router;
pub mod server_keys;
mod v2;

use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use prost::Message;
use zeroize::Zeroizing;

use self::envelope::RequestPayload;
pub(crate) use self::error::{parse_throttle_message, ErrorBody};
pub(crate) use self::v2::read_v2_reply;
use crate::keeper::crypto::{b64url_encode, AesKey, EcPublicKey};
use crate::keeper::server::Server;

pub use self::error::TransportError;
pub use self::http::check_ca_certificate;
pub use self::retry::{idempotence, Idempotence, RetryHook, RetryNotice, RetryPolicy};
pub use self::server_keys::{ServerKey, ServerPublicKey, DEFAULT_SERVER_KEY_ID};

/// The client version sent with every request: Commander 18.1.8's `rest_api.CLIENT_VERSION`
/// (PyPI `keepercommander==18.1.8`, the release our interop tests pin). Keeper's servers gate
/// features on it, so it tracks the Commander release we match, not our own version.
pub const CLIENT_VERSION: &str = "c18.1.0";
/// The locale both official clients send by default.
pub const DEFAULT_LOCALE: &str = "en_US";
/// How often a request is retried after a `key` error or after throttling (each).
pub const MAX_RETRIES: u32 = 3;

/// Keeper API requests this process has sent (every round trip, retries included), for the
/// count printed at `-v`. Process-wide on purpose: a run makes one or two transports (login,
/// redeem) and the count is about the run.
static REQUESTS_SENT: AtomicU64 = AtomicU64::new(0);

/// How many Keeper API requests this process has sent so far.
pub fn requests_sent() -> u64 {
    REQUESTS_SENT.load(Ordering::Relaxed)
}

/// Counts one request towards [`requests_sent`] (the KSM redeem channel counts itself too).
pub(crate) fn count_request() {
    REQUESTS_SENT.fetch_add(1, Ordering::Relaxed);
}

/// URL scheme for the REST endpoint; production is always HTTPS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UrlScheme {
    /// `https://` — the only scheme used against real servers.
    #[default]
    Https,
    /// `http://` — allowed only for loopback hosts, so tests can use plain-HTTP mock servers.
    HttpLoopbackOnly,
}

/// How to reach the server and how patient to be.
#[derive(Debug, Clone)]
pub struct TransportOptions {
    /// The server (region or host) to talk to.
    pub server: Server,
    /// A server key to use instead of Keeper's built-in table (a sandbox); only its id is valid.
    pub custom_server_key: Option<(i32, EcPublicKey)>,
    /// An extra CA certificate (PEM) to trust, e.g. the sandbox's self-signed CA.
    pub ca_cert_pem: Option<String>,
    /// TCP + TLS connect timeout.
    pub connect_timeout: Duration,
    /// Timeout for each read of the response.
    pub read_timeout: Duration,
    /// Upper bound for one throttling back-off sleep.
    pub max_throttle_wait: Duration,
    /// How reads are re-sent after a 5xx, a dropped connection or a timeout (writes never are).
    pub retry: RetryPolicy,
    /// `ApiRequest.locale`.
    pub locale: String,
    /// `clientVersion` sent in login requests and v2 commands.
    pub client_version: String,
    /// URL scheme; leave at HTTPS outside tests.
    pub scheme: UrlScheme,
    /// The router's base URL (`https://host[:port]`) when it is not `connect.<host>`: a sandbox
    /// serves the router paths itself; Commander's `KROUTER_URL` names another.
    pub router_url: Option<String>,
}

impl TransportOptions {
    /// Defaults (15 s connect, 120 s read, 60 s max throttle wait, [`RetryPolicy::default`])
    /// for `server`.
    pub fn new(server: Server) -> Self {
        TransportOptions {
            server,
            custom_server_key: None,
            ca_cert_pem: None,
            connect_timeout: Duration::from_secs(15),
            read_timeout: Duration::from_secs(120),
            max_throttle_wait: Duration::from_secs(60),
            retry: RetryPolicy::default(),
            locale: DEFAULT_LOCALE.to_owned(),
            client_version: CLIENT_VERSION.to_owned(),
            scheme: UrlScheme::Https,
            router_url: None,
        }
    }
}

impl Default for TransportOptions {
    fn default() -> Self {
        TransportOptions::new(Server::default())
    }
}

/// The raw session-token bytes from `LoginResponse.encryptedSessionToken`; opaque to the client.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(Zeroizing<Vec<u8>>);

impl SessionToken {
    /// Wraps the bytes the server sent.
    pub fn new(bytes: Vec<u8>) -> Self {
        SessionToken(Zeroizing::new(bytes))
    }

    /// The bytes to send as `ApiRequestPayload.encryptedSessionToken`.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The b64url form JSON commands carry in `session_token`.
    pub fn to_b64url(&self) -> Zeroizing<String> {
        Zeroizing::new(b64url_encode(&self.0))
    }
}

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(<redacted>)")
    }
}

/// A connection to one Keeper server; cheap to clone (shared state behind an `Arc`).
#[derive(Clone)]
pub struct Transport {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    options: TransportOptions,
    /// Changes on a region redirect.
    server: RwLock<Server>,
    /// The key id that last worked; starts at 7 (or the custom key's id).
    key_id: AtomicI32,
    /// Told about every retry of a read (the CLI's spinner); shared by clones.
    retry_hook: RwLock<Option<RetryHook>>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("server", &self.server())
            .field("server_key_id", &self.server_key_id())
            .finish()
    }
}

impl Transport {
    /// Builds the HTTP client; fails only on invalid options (e.g. a malformed CA PEM).
    pub fn new(options: TransportOptions) -> Result<Transport, TransportError> {
        let client = http::build_client(
            options.connect_timeout,
            options.read_timeout,
            options.ca_cert_pem.as_deref(),
            &format!("gw-provision/{}", env!("CARGO_PKG_VERSION")),
        )?;
        let key_id = match &options.custom_server_key {
            Some((id, _)) => *id,
            None => DEFAULT_SERVER_KEY_ID,
        };
        Ok(Transport {
            inner: Arc::new(Inner {
                client,
                server: RwLock::new(options.server.clone()),
                options,
                key_id: AtomicI32::new(key_id),
                retry_hook: RwLock::new(None),
            }),
        })
    }

    /// The server requests currently go to.
    pub fn server(&self) -> Server {
        match self.inner.server.read() {
            Ok(server) => server.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Points this transport (and all its clones) at another server, e.g. after a region redirect.
    pub fn set_server(&self, server: Server) {
        match self.inner.server.write() {
            Ok(mut guard) => *guard = server,
            Err(poisoned) => *poisoned.into_inner() = server,
        }
    }

    /// Calls `hook` before every retry of a read, on this transport and all its clones (`None`
    /// removes it). The retry is also logged at info level either way.
    pub fn set_retry_hook(&self, hook: Option<RetryHook>) {
        match self.inner.retry_hook.write() {
            Ok(mut guard) => *guard = hook,
            Err(poisoned) => *poisoned.into_inner() = hook,
        }
    }

    /// The server key id the next request will use.
    pub fn server_key_id(&self) -> i32 {
        self.inner.key_id.load(Ordering::Relaxed)
    }

    /// The options this transport was built with.
    pub fn options(&self) -> &TransportOptions {
        &self.inner.options
    }

    /// The HTTP client, shared with the router channel.
    pub(crate) fn http_client(&self) -> &reqwest::Client {
        &self.inner.client
    }

    /// `clientVersion` to put in login requests.
    pub fn client_version(&self) -> &str {
        &self.inner.options.client_version
    }

    /// POSTs `payload` to `endpoint` (e.g. `authentication/start_login`) and returns the
    /// decrypted response bytes (empty when the server sent no message).
    pub async fn execute_rest(
        &self,
        endpoint: &str,
        payload: Option<Vec<u8>>,
        session_token: Option<&SessionToken>,
    ) -> Result<Vec<u8>, TransportError> {
        self.execute_rest_versioned(endpoint, payload, session_token, 0)
            .await
    }

    /// Like [`Transport::execute_rest`], also setting `ApiRequestPayload.apiVersion` (0 = unset).
    pub async fn execute_rest_versioned(
        &self,
        endpoint: &str,
        payload: Option<Vec<u8>>,
        session_token: Option<&SessionToken>,
        api_version: i32,
    ) -> Result<Vec<u8>, TransportError> {
        let payload = Zeroizing::new(payload.unwrap_or_default());
        let request = RequestPayload {
            payload: &payload,
            session_token: session_token.map(SessionToken::as_bytes),
            api_version,
        };
        let mut key_retries = 0;
        let mut throttle_retries = 0;
        let mut attempt = 1;
        loop {
            let sent = self.send_once(endpoint, &request).await?;
            let error = match sent {
                Attempt::Done(body) => return Ok(body),
                Attempt::Failed(error) => error,
            };
            match error {
                Failure::Key { key_id } => {
                    let next = self.switch_key(key_id, key_retries)?;
                    key_retries += 1;
                    tracing::debug!(endpoint, key_id = next, "server asked for another key id");
                }
                Failure::Throttled { hint } => {
                    if throttle_retries >= MAX_RETRIES {
                        return Err(TransportError::Throttled {
                            retries: throttle_retries,
                        });
                    }
                    throttle_retries += 1;
                    let wait =
                        throttle_wait(hint, throttle_retries, self.inner.options.max_throttle_wait);
                    tracing::debug!(endpoint, wait_ms = wait.as_millis() as u64, "throttled");
                    // Throttling can last many seconds: a person watching a spinner is told why.
                    self.notify_retry(&RetryNotice {
                        endpoint: endpoint.to_owned(),
                        attempt: throttle_retries + 1,
                        max_attempts: MAX_RETRIES + 1,
                        wait,
                        reason: "throttled".to_owned(),
                        throttled: true,
                    });
                    tokio::time::sleep(wait).await;
                }
                Failure::Transient { error, reason } => {
                    let policy = self.inner.options.retry;
                    if idempotence(endpoint) == Idempotence::Write || attempt >= policy.max_attempts
                    {
                        return Err(error);
                    }
                    attempt += 1;
                    let notice = RetryNotice {
                        endpoint: endpoint.to_owned(),
                        attempt,
                        max_attempts: policy.max_attempts,
                        wait: policy.delay(attempt - 1, rand::random::<f64>()),
                        reason,
                        throttled: false,
                    };
                    self.notify_retry(&notice);
                    tokio::time::sleep(notice.wait).await;
                }
                Failure::Final(error) => return Err(error),
            }
        }
    }

    /// Logs a retry (visible at `-v`) and tells the hook, if any.
    fn notify_retry(&self, notice: &RetryNotice) {
        tracing::info!("{notice}");
        let hook = match self.inner.retry_hook.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        if let Some(hook) = hook {
            hook(notice);
        }
    }

    /// Encodes `request`, POSTs it to `endpoint` and decodes the response message
    /// (an empty response decodes to `Rs::default()`).
    pub async fn execute_proto<Rq, Rs>(
        &self,
        endpoint: &str,
        request: &Rq,
        session_token: Option<&SessionToken>,
    ) -> Result<Rs, TransportError>
    where
        Rq: Message,
        Rs: Message + Default,
    {
        let body = self
            .execute_rest(endpoint, Some(request.encode_to_vec()), session_token)
            .await?;
        Rs::decode(body.as_slice()).map_err(|e| {
            TransportError::BadResponse(format!("{endpoint} response is not a valid message: {e}"))
        })
    }

    /// The server key to encrypt the next request's transmission key to.
    fn current_server_key(&self) -> Result<ServerKey, TransportError> {
        if let Some((id, key)) = &self.inner.options.custom_server_key {
            return Ok(ServerKey::new(*id, ServerPublicKey::Ec(key.clone())));
        }
        let id = self.server_key_id();
        ServerKey::builtin(id).ok_or(TransportError::ServerKeyRejected { key_id: id })
    }

    /// Reacts to `{"error":"key","key_id":N}`: switch to N if that can help, else give up.
    fn switch_key(
        &self,
        requested: Option<i32>,
        retries_so_far: u32,
    ) -> Result<i32, TransportError> {
        let current = self.server_key_id();
        let Some(requested) = requested else {
            return Err(TransportError::ServerKeyRejected { key_id: current });
        };
        let usable = self.inner.options.custom_server_key.is_none()
            && requested != current
            && ServerKey::builtin(requested).is_some()
            && retries_so_far < MAX_RETRIES;
        if !usable {
            return Err(TransportError::ServerKeyRejected { key_id: requested });
        }
        self.inner.key_id.store(requested, Ordering::Relaxed);
        Ok(requested)
    }

    /// The URL of `endpoint` on the current server.
    fn url(&self, server: &Server, endpoint: &str) -> Result<String, TransportError> {
        let host = server.host();
        let scheme = match self.inner.options.scheme {
            UrlScheme::Https => "https",
            UrlScheme::HttpLoopbackOnly if is_loopback(host) => "http",
            UrlScheme::HttpLoopbackOnly => {
                return Err(TransportError::InvalidRequest(format!(
                    "plain HTTP is only allowed to loopback hosts, not {host}"
                )))
            }
        };
        Ok(format!("{scheme}://{host}/api/rest/{endpoint}"))
    }

    /// One HTTP round trip with a fresh transmission key.
    async fn send_once(
        &self,
        endpoint: &str,
        request: &RequestPayload<'_>,
    ) -> Result<Attempt, TransportError> {
        let server = self.server();
        let server_key = self.current_server_key()?;
        let transmission_key = AesKey::generate();
        let body = envelope::seal_request(
            &server_key,
            &transmission_key,
            request,
            &self.inner.options.locale,
        )?;
        let url = self.url(&server, endpoint)?;
        tracing::debug!(endpoint, key_id = server_key.id(), "POST");
        count_request();

        let response = match self
            .inner
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(body)
            .send()
            .await
        {
            Ok(response) => response,
            Err(e) => return http::failed_round_trip(e, server.host()).map(Attempt::Failed),
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
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let bytes = match response.bytes().await {
            Ok(bytes) => bytes,
            Err(e) => return http::failed_round_trip(e, server.host()).map(Attempt::Failed),
        };
        tracing::debug!(endpoint, status, "response");

        if status == 200 && !is_json {
            return envelope::open_response(&transmission_key, &bytes).map(Attempt::Done);
        }
        if !is_json {
            if status == 429 {
                return Ok(Attempt::Failed(Failure::Throttled { hint: retry_after }));
            }
            return Ok(Attempt::Failed(server_failure(
                status,
                TransportError::Http { status },
            )));
        }
        // Keeper answers errors (and, per Commander, sometimes a 200) with plaintext JSON.
        let Some(body) = ErrorBody::parse(&bytes) else {
            if status == 200 {
                return Err(TransportError::BadResponse(format!(
                    "{endpoint} answered with unexpected JSON"
                )));
            }
            return Ok(Attempt::Failed(server_failure(
                status,
                TransportError::Http { status },
            )));
        };
        let failure = match body.code.as_str() {
            "key" => Failure::Key {
                key_id: body.key_id,
            },
            "throttled" => Failure::Throttled {
                hint: retry_after
                    .or(body.retry_after.map(Duration::from_secs))
                    .or_else(|| parse_throttle_message(&body.message)),
            },
            _ if status == 429 => Failure::Throttled { hint: retry_after },
            _ => server_failure(status, body.into_error()),
        };
        Ok(Attempt::Failed(failure))
    }
}

/// The result of one round trip that did not fail at the connection level.
enum Attempt {
    Done(Vec<u8>),
    Failed(Failure),
}

/// A failed round trip, sorted by how the retry loop reacts to it.
pub(crate) enum Failure {
    /// `key`: re-send to another server key.
    Key { key_id: Option<i32> },
    /// `throttled` or 429: wait and re-send, reads and writes alike (nothing was done).
    Throttled { hint: Option<Duration> },
    /// A 5xx, a dropped connection or a timeout: only a read is re-sent.
    Transient {
        error: TransportError,
        /// Short text for the retry log line ("HTTP 500").
        reason: String,
    },
    /// Anything else: returned as is.
    Final(TransportError),
}

/// A failure status other than `key`/`throttled`: a 5xx is transient, the rest final.
fn server_failure(status: u16, error: TransportError) -> Failure {
    if (500..600).contains(&status) {
        Failure::Transient {
            error,
            reason: format!("HTTP {status}"),
        }
    } else {
        Failure::Final(error)
    }
}

/// How long to sleep before throttling retry number `attempt` (1-based): the server's hint if it
/// gave one, else 30·2^(attempt−1) s as the Python SDK does; never more than `cap`.
pub(crate) fn throttle_wait(hint: Option<Duration>, attempt: u32, cap: Duration) -> Duration {
    let backoff =
        || Duration::from_secs(30u64.saturating_mul(1 << attempt.saturating_sub(1).min(16)));
    hint.unwrap_or_else(backoff).min(cap)
}

/// `localhost`, `127.x.y.z` or `[::1]`, with or without a port.
fn is_loopback(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_wait_honours_the_hint_and_the_cap() {
        let cap = Duration::from_secs(60);
        assert_eq!(
            throttle_wait(Some(Duration::from_secs(5)), 1, cap),
            Duration::from_secs(5)
        );
        assert_eq!(throttle_wait(Some(Duration::from_secs(600)), 1, cap), cap);
        assert_eq!(throttle_wait(None, 1, cap), Duration::from_secs(30));
        assert_eq!(throttle_wait(None, 2, cap), cap);
        assert_eq!(
            throttle_wait(None, 3, Duration::from_millis(5)),
            Duration::from_millis(5)
        );
    }

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(is_loopback("localhost:8080"));
        assert!(is_loopback("127.0.0.1:1"));
        assert!(is_loopback("[::1]:443"));
        assert!(!is_loopback("keepersecurity.com"));
        assert!(!is_loopback("10.0.0.1:80"));

        let mut options = TransportOptions::new(Server::default());
        options.scheme = UrlScheme::HttpLoopbackOnly;
        let transport = Transport::new(options).unwrap();
        assert!(matches!(
            transport.url(&Server::default(), "x"),
            Err(TransportError::InvalidRequest(_))
        ));
    }

    #[test]
    fn production_url_is_https_api_rest() {
        let transport = Transport::new(TransportOptions::default()).unwrap();
        assert_eq!(
            transport
                .url(&transport.server(), "authentication/start_login")
                .unwrap(),
            "https://keepersecurity.com/api/rest/authentication/start_login"
        );
    }

    #[test]
    fn session_token_debug_is_redacted() {
        let token = SessionToken::new(b"secret-token".to_vec());
        assert_eq!(format!("{token:?}"), "SessionToken(<redacted>)");
    }

    #[test]
    fn custom_key_id_is_the_starting_key() {
        let mut options = TransportOptions::default();
        let key = crate::keeper::crypto::EcPrivateKey::generate().public_key();
        options.custom_server_key = Some((3, key));
        let transport = Transport::new(options).unwrap();
        assert_eq!(transport.server_key_id(), 3);
        assert!(matches!(
            transport.switch_key(Some(8), 0),
            Err(TransportError::ServerKeyRejected { key_id: 8 })
        ));
    }

    #[test]
    fn key_switch_is_refused_for_same_unknown_or_exhausted_ids() {
        let transport = Transport::new(TransportOptions::default()).unwrap();
        assert!(transport.switch_key(Some(7), 0).is_err(), "same id");
        assert!(transport.switch_key(Some(99), 0).is_err(), "unknown id");
        assert!(
            transport.switch_key(Some(8), MAX_RETRIES).is_err(),
            "exhausted"
        );
        assert_eq!(transport.switch_key(Some(8), 0).unwrap(), 8);
        assert_eq!(transport.server_key_id(), 8);
    }
}
