//! `keeper::transport` against a wiremock double of Keeper's `api/rest` server: envelope,
//! key-id switching, throttling, typed errors, broken responses and unreachable hosts.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::fake_keeper::{self, bare_server, closed_port, start_tls_server};
use crate::support::fake_keeper::{FakeKeeper, Reply, FAKE_KEY_ID};
use gw_provision::keeper::crypto::{b64url_decode, b64url_encode, AesKey};
use gw_provision::keeper::proto::authentication::{ApiRequest, LoginResponse, StartLoginRequest};
use gw_provision::keeper::server::Server;
use gw_provision::keeper::transport::envelope::open_response;
use gw_provision::keeper::transport::{
    SessionToken, Transport, TransportError, TransportOptions, UrlScheme,
};
use prost::Message;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const ENDPOINT: &str = "authentication/start_login";

/// A transport to `server` with Keeper's built-in key table (no custom key) over plain HTTP.
fn builtin_key_transport(server: &MockServer) -> Transport {
    let mut options =
        TransportOptions::new(Server::from_host(&server.address().to_string()).unwrap());
    options.scheme = UrlScheme::HttpLoopbackOnly;
    options.max_throttle_wait = Duration::from_millis(10);
    Transport::new(options).unwrap()
}

/// Records the outer `publicKeyId` of each request and answers from a script.
struct KeyIdScript {
    seen: Arc<Mutex<Vec<i32>>>,
    script: fn(usize) -> ResponseTemplate,
}

impl Respond for KeyIdScript {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let outer = ApiRequest::decode(request.body.as_slice()).unwrap();
        let mut seen = self.seen.lock().unwrap();
        seen.push(outer.public_key_id);
        (self.script)(seen.len())
    }
}

async fn mount_key_script(
    server: &MockServer,
    script: fn(usize) -> ResponseTemplate,
) -> Arc<Mutex<Vec<i32>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    Mock::given(method("POST"))
        .and(path(format!("/api/rest/{ENDPOINT}")))
        .respond_with(KeyIdScript {
            seen: seen.clone(),
            script,
        })
        .mount(server)
        .await;
    seen
}

#[tokio::test]
async fn key_error_switches_to_the_requested_key_id_and_retries() {
    let server = bare_server().await;
    let seen = mount_key_script(&server, |n| match n {
        1 => ResponseTemplate::new(401)
            .set_body_json(serde_json::json!({"error": "key", "key_id": 8})),
        _ => ResponseTemplate::new(200),
    })
    .await;
    let transport = builtin_key_transport(&server);

    let body = transport
        .execute_rest(ENDPOINT, Some(vec![1]), None)
        .await
        .unwrap();

    assert!(body.is_empty());
    assert_eq!(*seen.lock().unwrap(), vec![7, 8]);
    assert_eq!(
        transport.server_key_id(),
        8,
        "the working id is kept for the next call"
    );
}

#[tokio::test]
async fn key_errors_stop_after_three_switches() {
    let server = bare_server().await;
    let seen = mount_key_script(&server, |n| {
        let next = 8 + n as i32; // always a different, valid id
        ResponseTemplate::new(401)
            .set_body_json(serde_json::json!({"error": "key", "key_id": next}))
    })
    .await;
    let transport = builtin_key_transport(&server);

    let error = transport
        .execute_rest(ENDPOINT, None, None)
        .await
        .unwrap_err();

    assert!(
        matches!(error, TransportError::ServerKeyRejected { .. }),
        "{error:?}"
    );
    assert_eq!(
        seen.lock().unwrap().len(),
        4,
        "first try plus three retries"
    );
}

#[tokio::test]
async fn key_error_with_a_custom_server_key_is_surfaced_without_retry() {
    let fake = FakeKeeper::start().await;
    fake.on(ENDPOINT, |_| {
        Reply::Error(401, serde_json::json!({"error": "key", "key_id": 7}))
    })
    .await;

    let error = fake
        .transport()
        .execute_rest(ENDPOINT, None, None)
        .await
        .unwrap_err();

    assert!(
        matches!(error, TransportError::ServerKeyRejected { key_id: 7 }),
        "{error:?}"
    );
    assert_eq!(fake.calls().len(), 1);
}

#[tokio::test]
async fn request_is_encrypted_to_the_server_key_and_reply_decrypted() {
    let fake = FakeKeeper::start().await;
    fake.on(ENDPOINT, |call| {
        let request = StartLoginRequest::decode(call.payload.as_slice()).unwrap();
        Reply::proto(&LoginResponse {
            login_state: 13,
            primary_username: request.username,
            ..LoginResponse::default()
        })
    })
    .await;
    let token = SessionToken::new(b"session".to_vec());
    let request = StartLoginRequest {
        username: "admin@example.com".into(),
        ..StartLoginRequest::default()
    };

    let response: LoginResponse = fake
        .transport()
        .execute_proto(ENDPOINT, &request, Some(&token))
        .await
        .unwrap();

    assert_eq!(response.login_state, 13);
    assert_eq!(response.primary_username, "admin@example.com");
    let call = &fake.calls()[0];
    assert_eq!(
        (call.public_key_id, call.locale.as_str()),
        (FAKE_KEY_ID, "en_US")
    );
    assert_eq!(call.session_token, b"session");
}

#[tokio::test]
async fn every_request_uses_a_fresh_transmission_key() {
    let fake = FakeKeeper::start().await;
    let keys = Arc::new(Mutex::new(Vec::new()));
    let server_key = fake.key.clone();
    let recorded = keys.clone();
    Mock::given(method("POST"))
        .respond_with(move |request: &Request| {
            let (_, tk) = fake_keeper::open_request(&server_key, ENDPOINT, &request.body).unwrap();
            recorded.lock().unwrap().push(tk.as_bytes().to_vec());
            ResponseTemplate::new(200)
        })
        .mount(&fake.mock)
        .await;
    let transport = fake.transport();

    transport.execute_rest(ENDPOINT, None, None).await.unwrap();
    transport.execute_rest(ENDPOINT, None, None).await.unwrap();

    let keys = keys.lock().unwrap();
    assert_eq!(keys.len(), 2);
    assert_ne!(keys[0], keys[1]);
}

#[tokio::test]
async fn throttled_with_retry_after_waits_that_long_then_succeeds() {
    let fake = FakeKeeper::start().await;
    let attempts = Arc::new(AtomicUsize::new(0));
    let counter = attempts.clone();
    fake.on(ENDPOINT, move |_| {
        if counter.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::Raw(
                ResponseTemplate::new(403)
                    .insert_header("Retry-After", "1")
                    .set_body_json(serde_json::json!({"error": "throttled", "message": "Please try again in 1 minute"})),
            )
        } else {
            Reply::Message(b"ok".to_vec())
        }
    })
    .await;
    let mut options = fake.options();
    options.max_throttle_wait = Duration::from_secs(5);
    let transport = Transport::new(options).unwrap();

    let started = Instant::now();
    let body = transport.execute_rest(ENDPOINT, None, None).await.unwrap();

    assert_eq!(body, b"ok");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(1),
        "Retry-After (1 s) wins over the message (1 min): {waited:?}"
    );
    assert!(waited < Duration::from_secs(5), "{waited:?}");
}

#[tokio::test]
async fn throttled_more_than_three_times_is_a_throttled_error() {
    let fake = FakeKeeper::start().await;
    fake.on(ENDPOINT, |_| {
        Reply::keeper_error(403, "throttled", "Please try again in 1 minute")
    })
    .await;

    let error = fake
        .transport()
        .execute_rest(ENDPOINT, None, None)
        .await
        .unwrap_err();

    assert!(
        matches!(error, TransportError::Throttled { retries: 3 }),
        "{error:?}"
    );
    assert_eq!(fake.calls().len(), 4);
}

#[tokio::test]
async fn http_429_without_a_body_is_throttling_too() {
    let fake = FakeKeeper::start().await;
    let attempts = Arc::new(AtomicUsize::new(0));
    let counter = attempts.clone();
    fake.on(ENDPOINT, move |_| {
        match counter.fetch_add(1, Ordering::SeqCst) {
            0 => Reply::Raw(ResponseTemplate::new(429)),
            _ => Reply::Empty,
        }
    })
    .await;

    fake.transport()
        .execute_rest(ENDPOINT, None, None)
        .await
        .unwrap();

    assert_eq!(fake.calls().len(), 2);
}

#[tokio::test]
async fn json_error_bodies_map_to_typed_errors() {
    type Check = fn(&TransportError) -> bool;
    let cases: Vec<(serde_json::Value, Check)> = vec![
        (
            serde_json::json!({"error": "session_token_expired", "message": "expired"}),
            |e| matches!(e, TransportError::SessionExpired),
        ),
        (
            serde_json::json!({"error": "region_redirect", "message": "moved", "region_host": "keepersecurity.eu"}),
            |e| matches!(e, TransportError::RegionRedirect { host } if host == "keepersecurity.eu"),
        ),
        (
            serde_json::json!({"error": "device_not_registered", "message": "x", "additional_info": ""}),
            |e| {
                matches!(
                    e,
                    TransportError::DeviceNotRegistered {
                        additional_info: None
                    }
                )
            },
        ),
        (
            serde_json::json!({"error": "auth_failed", "message": "bad"}),
            |e| matches!(e, TransportError::AuthFailed),
        ),
        (
            serde_json::json!({"error": "restricted_client_type", "message": "Not allowed", "additional_info": "role"}),
            |e| {
                matches!(e, TransportError::Keeper { code, message, additional_info }
                if code == "restricted_client_type" && message == "Not allowed" && additional_info.as_deref() == Some("role"))
            },
        ),
    ];
    for (body, check) in cases {
        let fake = FakeKeeper::start().await;
        let reply = body.clone();
        fake.on(ENDPOINT, move |_| Reply::Error(400, reply.clone()))
            .await;

        let error = fake
            .transport()
            .execute_rest(ENDPOINT, None, None)
            .await
            .unwrap_err();

        assert!(check(&error), "{body} gave {error:?}");
    }
}

#[tokio::test]
async fn json_on_http_200_is_an_error_not_ciphertext() {
    let fake = FakeKeeper::start().await;
    fake.on(ENDPOINT, |_| {
        Reply::Error(
            200,
            serde_json::json!({"error": "bad_request", "message": "no"}),
        )
    })
    .await;

    let error = fake
        .transport()
        .execute_rest(ENDPOINT, None, None)
        .await
        .unwrap_err();

    assert!(
        matches!(error, TransportError::Keeper { ref code, .. } if code == "bad_request"),
        "{error:?}"
    );
}

#[tokio::test]
async fn non_json_500_is_an_http_error() {
    let fake = FakeKeeper::start().await;
    fake.on(ENDPOINT, |_| {
        Reply::Raw(ResponseTemplate::new(500).set_body_string("<html>oops</html>"))
    })
    .await;

    let error = fake
        .transport()
        .execute_rest(ENDPOINT, None, None)
        .await
        .unwrap_err();

    assert!(
        matches!(error, TransportError::Http { status: 500 }),
        "{error:?}"
    );
}

#[tokio::test]
async fn truncated_ciphertext_is_a_bad_response() {
    let fake = FakeKeeper::start().await;
    fake.on(ENDPOINT, |_| {
        Reply::Raw(ResponseTemplate::new(200).set_body_bytes(vec![1, 2, 3, 4, 5]))
    })
    .await;

    let error = fake
        .transport()
        .execute_rest(ENDPOINT, None, None)
        .await
        .unwrap_err();

    assert!(matches!(error, TransportError::BadResponse(_)), "{error:?}");
}

#[tokio::test]
async fn tampered_ciphertext_is_a_bad_response() {
    let fake = FakeKeeper::start().await;
    fake.on(ENDPOINT, |_| {
        Reply::Tampered(b"a perfectly good reply".to_vec())
    })
    .await;

    let error = fake
        .transport()
        .execute_rest(ENDPOINT, None, None)
        .await
        .unwrap_err();

    assert!(matches!(error, TransportError::BadResponse(_)), "{error:?}");
}

#[tokio::test]
async fn reply_that_is_not_the_expected_message_is_a_bad_response() {
    let fake = FakeKeeper::start().await;
    fake.on(ENDPOINT, |_| Reply::Message(vec![0xff, 0xff, 0xff]))
        .await;

    let result: Result<LoginResponse, _> = fake
        .transport()
        .execute_proto(ENDPOINT, &StartLoginRequest::default(), None)
        .await;

    assert!(
        matches!(result, Err(TransportError::BadResponse(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn unreachable_port_is_a_network_error() {
    let port = closed_port();
    let mut options =
        TransportOptions::new(Server::from_host(&format!("127.0.0.1:{port}")).unwrap());
    options.scheme = UrlScheme::HttpLoopbackOnly;
    let transport = Transport::new(options).unwrap();

    let error = transport
        .execute_rest(ENDPOINT, None, None)
        .await
        .unwrap_err();

    assert!(matches!(error, TransportError::Network { .. }), "{error:?}");
    assert!(error.is_connection_error());
}

#[tokio::test]
async fn v2_command_carries_client_version_token_and_username() {
    let fake = FakeKeeper::start().await;
    fake.on("vault/execute_v2_command", |call| {
        let command: serde_json::Value = serde_json::from_slice(&call.payload).unwrap();
        assert_eq!(command["command"], "folder_add");
        assert_eq!(command["client_version"], "c18.1.0");
        assert_eq!(command["username"], "admin@example.com");
        assert_eq!(
            b64url_decode(command["session_token"].as_str().unwrap()).unwrap(),
            call.session_token
        );
        Reply::Message(br#"{"result":"success","revision":5}"#.to_vec())
    })
    .await;
    let token = SessionToken::new(b"st".to_vec());

    let reply = fake
        .transport()
        .execute_v2_command(
            &token,
            "Admin@Example.com",
            serde_json::json!({"command": "folder_add"}),
        )
        .await
        .unwrap();

    assert_eq!(reply["revision"], 5);
    assert_eq!(
        fake.calls()[0].session_token,
        b"st",
        "also sent as encryptedSessionToken"
    );
}

#[tokio::test]
async fn v2_command_failure_keeps_result_code_and_message() {
    let fake = FakeKeeper::start().await;
    fake.on("vault/execute_v2_command", |_| {
        Reply::Message(
            br#"{"result":"fail","result_code":"exists","message":"Folder exists"}"#.to_vec(),
        )
    })
    .await;

    let error = fake
        .transport()
        .execute_v2_command(
            &SessionToken::new(vec![1]),
            "u",
            serde_json::json!({"command": "folder_add"}),
        )
        .await
        .unwrap_err();

    assert!(
        matches!(&error, TransportError::Keeper { code, message, .. } if code == "exists" && message == "Folder exists"),
        "{error:?}"
    );
}

#[test]
fn commander_start_login_response_decrypts_with_the_vector_transmission_key() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/keeper-vectors.json"
    ))
    .unwrap();
    let vectors: serde_json::Value = serde_json::from_str(&text).unwrap();
    let v = &vectors["rest_start_login"];
    let b64 = |key: &str| b64url_decode(v[key].as_str().unwrap()).unwrap();
    let transmission_key = AesKey::from_slice(&b64("expect_transmission_key")).unwrap();

    let plaintext = open_response(&transmission_key, &b64("response_body")).unwrap();

    assert_eq!(
        b64url_encode(&plaintext),
        v["response_plaintext_login_response"].as_str().unwrap()
    );
    let response = LoginResponse::decode(plaintext.as_slice()).unwrap();
    assert_eq!(response.login_state, 13, "REQUIRES_AUTH_HASH");
    assert!(!response.salt.is_empty());
}

#[test]
fn commander_start_login_request_opens_with_the_vector_server_key() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/keeper-vectors.json"
    ))
    .unwrap();
    let vectors: serde_json::Value = serde_json::from_str(&text).unwrap();
    let v = &vectors["rest_start_login"];
    let b64 = |key: &str| b64url_decode(v[key].as_str().unwrap()).unwrap();
    let server_key =
        gw_provision::keeper::crypto::EcPrivateKey::from_bytes(&b64("server_private_key")).unwrap();

    let (call, transmission_key) =
        fake_keeper::open_request(&server_key, ENDPOINT, &b64("api_request")).unwrap();

    assert_eq!(
        transmission_key.as_bytes().to_vec(),
        b64("expect_transmission_key")
    );
    let request = StartLoginRequest::decode(call.payload.as_slice()).unwrap();
    assert_eq!(
        request.username,
        v["expect_start_login"]["username"].as_str().unwrap()
    );
}

fn tls_transport(port: u16, ca_cert_pem: Option<String>) -> Transport {
    let mut options =
        TransportOptions::new(Server::from_host(&format!("localhost:{port}")).unwrap());
    options.ca_cert_pem = ca_cert_pem;
    options.custom_server_key = Some((
        FAKE_KEY_ID,
        gw_provision::keeper::crypto::EcPrivateKey::generate().public_key(),
    ));
    Transport::new(options).unwrap()
}

#[tokio::test]
async fn untrusted_certificate_is_a_tls_error_not_a_network_error() {
    let (port, _) = start_tls_server().await;

    let error = tls_transport(port, None)
        .execute_rest(ENDPOINT, None, None)
        .await
        .unwrap_err();

    assert!(matches!(error, TransportError::Tls { .. }), "{error:?}");
    assert!(error.is_connection_error());
}

#[tokio::test]
async fn extra_ca_certificate_makes_the_server_trusted() {
    let (port, cert_pem) = start_tls_server().await;

    let body = tls_transport(port, Some(cert_pem))
        .execute_rest(ENDPOINT, None, None)
        .await
        .unwrap();

    assert!(body.is_empty());
}
