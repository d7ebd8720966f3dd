//! A test double of Keeper's `api/rest` server on top of wiremock: it decrypts each request with
//! its own server key (ECIES + AES-GCM, exactly like the real server) and encrypts the handler's
//! reply under the request's transmission key.
#![allow(dead_code)]

pub mod account;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use gw_provision::keeper::crypto::{
    aes_gcm_decrypt, aes_gcm_encrypt, ecies_decrypt, AesKey, EcPrivateKey,
};
use gw_provision::keeper::proto::authentication::{ApiRequest, ApiRequestPayload};
use gw_provision::keeper::server::Server;
use gw_provision::keeper::transport::{Transport, TransportOptions, UrlScheme};
use prost::Message;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The key id the fake server's key is known by.
pub const FAKE_KEY_ID: i32 = 42;

/// One decrypted request as the fake server saw it.
#[derive(Debug, Clone)]
pub struct Call {
    pub endpoint: String,
    pub public_key_id: i32,
    pub locale: String,
    pub payload: Vec<u8>,
    pub session_token: Vec<u8>,
    pub api_version: i32,
}

/// What a handler answers.
pub enum Reply {
    /// HTTP 200 with this message, AES-GCM-encrypted under the transmission key.
    Message(Vec<u8>),
    /// HTTP 200 with an empty body.
    Empty,
    /// A plaintext JSON error body with this status.
    Error(u16, serde_json::Value),
    /// HTTP 200, encrypted like `Message`, then one byte of the tag flipped.
    Tampered(Vec<u8>),
    /// Anything else, sent as is.
    Raw(ResponseTemplate),
}

impl Reply {
    /// Encodes a protobuf reply.
    pub fn proto(message: &impl Message) -> Reply {
        Reply::Message(message.encode_to_vec())
    }

    /// A Keeper JSON error with `error` and `message`.
    pub fn keeper_error(status: u16, code: &str, message: &str) -> Reply {
        Reply::Error(
            status,
            serde_json::json!({"error": code, "message": message}),
        )
    }
}

/// A wiremock server that speaks the Keeper envelope.
pub struct FakeKeeper {
    pub mock: MockServer,
    pub key: EcPrivateKey,
    calls: Arc<Mutex<Vec<Call>>>,
}

impl FakeKeeper {
    /// Starts a server with a fresh key.
    pub async fn start() -> FakeKeeper {
        FakeKeeper::start_with_key(EcPrivateKey::generate()).await
    }

    /// Starts a server with `key`, e.g. a second region sharing the first one's key.
    pub async fn start_with_key(key: EcPrivateKey) -> FakeKeeper {
        FakeKeeper {
            mock: MockServer::start().await,
            key,
            calls: Arc::default(),
        }
    }

    /// `127.0.0.1:<port>` as a server.
    pub fn server(&self) -> Server {
        Server::from_host(&self.mock.address().to_string()).expect("loopback address")
    }

    /// Options for a transport that reaches this server over plain HTTP with its key, and
    /// waits at most 10 ms when throttled.
    pub fn options(&self) -> TransportOptions {
        let mut options = TransportOptions::new(self.server());
        options.scheme = UrlScheme::HttpLoopbackOnly;
        options.custom_server_key = Some((FAKE_KEY_ID, self.key.public_key()));
        options.max_throttle_wait = Duration::from_millis(10);
        options.connect_timeout = Duration::from_secs(5);
        options.read_timeout = Duration::from_secs(10);
        options
    }

    /// A transport built from [`FakeKeeper::options`].
    pub fn transport(&self) -> Transport {
        Transport::new(self.options()).expect("transport")
    }

    /// Answers `endpoint` with `handler` (later mounts for the same endpoint take precedence
    /// only when earlier ones are exhausted, as in wiremock).
    pub async fn on<F>(&self, endpoint: &str, handler: F)
    where
        F: Fn(&Call) -> Reply + Send + Sync + 'static,
    {
        let responder = Handler {
            endpoint: endpoint.to_owned(),
            key: self.key.clone(),
            calls: self.calls.clone(),
            handler,
        };
        Mock::given(method("POST"))
            .and(path(format!("/api/rest/{endpoint}")))
            .respond_with(responder)
            .mount(&self.mock)
            .await;
    }

    /// Every decrypted request so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().expect("calls").clone()
    }

    /// The endpoints called so far, in order.
    pub fn endpoints(&self) -> Vec<String> {
        self.calls().into_iter().map(|c| c.endpoint).collect()
    }
}

struct Handler<F> {
    endpoint: String,
    key: EcPrivateKey,
    calls: Arc<Mutex<Vec<Call>>>,
    handler: F,
}

impl<F> Respond for Handler<F>
where
    F: Fn(&Call) -> Reply + Send + Sync + 'static,
{
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let Some((call, transmission_key)) = open_request(&self.key, &self.endpoint, &request.body)
        else {
            return ResponseTemplate::new(400).set_body_json(
                serde_json::json!({"error": "bad_request", "message": "cannot decrypt"}),
            );
        };
        self.calls.lock().expect("calls").push(call.clone());
        match (self.handler)(&call) {
            Reply::Message(bytes) => ResponseTemplate::new(200)
                .set_body_bytes(aes_gcm_encrypt(&transmission_key, &bytes)),
            Reply::Empty => ResponseTemplate::new(200),
            Reply::Error(status, body) => ResponseTemplate::new(status).set_body_json(body),
            Reply::Tampered(bytes) => {
                let mut body = aes_gcm_encrypt(&transmission_key, &bytes);
                let last = body.len() - 1;
                body[last] ^= 0x01;
                ResponseTemplate::new(200).set_body_bytes(body)
            }
            Reply::Raw(template) => template,
        }
    }
}

/// Decrypts an `ApiRequest` the way Keeper's server does.
pub fn open_request(key: &EcPrivateKey, endpoint: &str, body: &[u8]) -> Option<(Call, AesKey)> {
    let request = ApiRequest::decode(body).ok()?;
    let transmission_key = ecies_decrypt(key, &request.encrypted_transmission_key).ok()?;
    let transmission_key = AesKey::from_slice(&transmission_key).ok()?;
    let inner = aes_gcm_decrypt(&transmission_key, &request.encrypted_payload).ok()?;
    let inner = ApiRequestPayload::decode(inner.as_slice()).ok()?;
    let call = Call {
        endpoint: endpoint.to_owned(),
        public_key_id: request.public_key_id,
        locale: request.locale,
        payload: inner.payload,
        session_token: inner.encrypted_session_token,
        api_version: inner.api_version,
    };
    Some((call, transmission_key))
}

// --- the other servers the tests need, all built here -------------------------------------
//
// This file is the one place a test builds a server that stands in for Keeper: the scripted
// wiremock Keeper above, a bare wiremock server for transport edge cases, a TLS server with a
// self-signed certificate, and a TCP peer that is not TLS at all.

/// A wiremock server with nothing mounted, for transport edge cases that script raw replies.
pub async fn bare_server() -> MockServer {
    MockServer::start().await
}

/// A loopback port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A one-connection-at-a-time HTTPS server with a self-signed `localhost` certificate that
/// answers every request with an empty 200. Returns its port and the certificate PEM.
pub async fn start_tls_server() -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_pem = certified.cert.pem();
    let cert_der = certified.cert.der().clone();
    let key_der =
        rustls::pki_types::PrivateKeyDer::try_from(certified.key_pair.serialize_der()).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert_der], key_der)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut received = Vec::new();
                let mut buffer = [0u8; 4096];
                // Read the head and the Content-Length body, then answer.
                loop {
                    let Ok(n) = tls.read(&mut buffer).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    received.extend_from_slice(&buffer[..n]);
                    let text = String::from_utf8_lossy(&received).to_ascii_lowercase();
                    if let Some(head_end) = text.find("\r\n\r\n") {
                        let length = text[..head_end]
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if received.len() >= head_end + 4 + length {
                            break;
                        }
                    }
                }
                let _ = tls
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (port, cert_pem)
}

/// A TCP listener on 127.0.0.1 that answers every connection with `reply` and closes it.
pub fn not_tls_server(reply: Vec<u8>) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut hello = [0u8; 512];
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(2)));
            let _ = std::io::Read::read(&mut stream, &mut hello);
            let _ = std::io::Write::write_all(&mut stream, &reply);
            let _ = std::io::Write::flush(&mut stream);
        }
    });
    port
}
