//! Transient failures and bad input: reads are re-sent after a 5xx, a dropped connection or a
//! timeout, writes never are; the sandbox's `lost_reply` and `hang` faults; a peer that is not
//! TLS; a descriptor with an unusable CA; names with invisible format characters.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::fake_keeper::{not_tls_server, FakeKeeper, Reply};
use crate::support::{assert_no_result, gw, json, new_args, run, stderr, ServedSandbox};
use gw_provision::keeper::auth::{self, LoginOptions, LoginOutcome};
use gw_provision::keeper::crypto::{b64url_decode, b64url_encode, EcPrivateKey, EcPublicKey};
use gw_provision::keeper::server::Server;
use gw_provision::keeper::transport::{
    RetryNotice, RetryPolicy, Transport, TransportError, TransportOptions,
};
use gw_provision::sandbox::{start, Descriptor, Fault, FaultPlan, FaultRule, SandboxOptions};
use serde_json::json;
use wiremock::ResponseTemplate;

/// Retries with waits of a few milliseconds, so the tests do not sleep for seconds.
fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(4),
        max_attempts: 5,
    }
}

/// A fake Keeper whose `endpoint` answers the scripted replies in turn, then an empty 200.
async fn scripted(endpoint: &str, script: Vec<fn() -> Reply>) -> (FakeKeeper, Transport) {
    let fake = FakeKeeper::start().await;
    let calls = AtomicUsize::new(0);
    fake.on(endpoint, move |_| {
        let n = calls.fetch_add(1, Ordering::SeqCst);
        script.get(n).map_or(Reply::Empty, |reply| reply())
    })
    .await;
    let mut options = fake.options();
    options.retry = quick_retries();
    options.read_timeout = Duration::from_millis(300);
    let transport = Transport::new(options).unwrap();
    (fake, transport)
}

fn http_500() -> Reply {
    Reply::keeper_error(500, "internal", "boom")
}

/// Collects what the retry hook is told.
fn record_retries(transport: &Transport) -> Arc<Mutex<Vec<RetryNotice>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    transport.set_retry_hook(Some(Arc::new(move |notice: &RetryNotice| {
        sink.lock().unwrap().push(notice.clone())
    })));
    seen
}

#[tokio::test]
async fn a_read_is_resent_after_http_500_and_the_hook_hears_of_it() {
    let (fake, transport) = scripted("vault/sync_down", vec![http_500]).await;
    let seen = record_retries(&transport);

    transport
        .execute_rest("vault/sync_down", None, None)
        .await
        .unwrap();

    assert_eq!(fake.endpoints().len(), 2);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        (
            seen[0].attempt,
            seen[0].max_attempts,
            seen[0].reason.as_str()
        ),
        (2, 5, "HTTP 500")
    );
}

#[tokio::test]
async fn a_read_is_resent_after_a_proxy_502_without_a_keeper_body() {
    let (fake, transport) = scripted(
        "pam/get_controllers",
        vec![|| Reply::Raw(ResponseTemplate::new(502).set_body_string("bad gateway"))],
    )
    .await;

    transport
        .execute_rest("pam/get_controllers", None, None)
        .await
        .unwrap();

    assert_eq!(fake.endpoints().len(), 2);
}

#[tokio::test]
async fn a_read_is_resent_after_a_read_timeout() {
    let (fake, transport) = scripted(
        "vault/get_app_info",
        vec![|| Reply::Raw(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))],
    )
    .await;
    let seen = record_retries(&transport);

    transport
        .execute_rest("vault/get_app_info", None, None)
        .await
        .unwrap();

    assert_eq!(fake.endpoints().len(), 2);
    assert_eq!(seen.lock().unwrap()[0].reason, "timed out");
}

#[tokio::test]
async fn a_read_gives_up_after_five_attempts_with_the_last_error() {
    let (fake, transport) = scripted("login/account_summary", vec![http_500; 9]).await;

    let error = transport
        .execute_rest("login/account_summary", None, None)
        .await
        .unwrap_err();

    assert_eq!(fake.endpoints().len(), 5);
    assert!(
        matches!(error, TransportError::Keeper { ref code, .. } if code == "internal"),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_write_is_never_resent_after_http_500() {
    for write in [
        "vault/app_client_add",
        "sm/v1/get_secret",
        "vault/execute_v2_command",
    ] {
        let (fake, transport) = scripted(write, vec![http_500]).await;
        let seen = record_retries(&transport);

        let error = transport.execute_rest(write, None, None).await.unwrap_err();

        assert!(matches!(error, TransportError::Keeper { .. }), "{error:?}");
        assert_eq!(fake.endpoints().len(), 1, "{write}");
        assert!(seen.lock().unwrap().is_empty(), "{write}");
    }
}

#[tokio::test]
async fn a_refusal_on_a_read_is_not_retried() {
    let (fake, transport) = scripted(
        "vault/sync_down",
        vec![|| Reply::keeper_error(403, "access_denied", "no")],
    )
    .await;

    let error = transport
        .execute_rest("vault/sync_down", None, None)
        .await
        .unwrap_err();

    assert_eq!(error.keeper_code(), Some("access_denied"));
    assert_eq!(fake.endpoints().len(), 1);
}

// --- the sandbox's own faults, through the library ---

/// A sandbox with `rules` armed from the start, and transport options that reach it.
async fn sandbox_with(
    rules: Vec<FaultRule>,
    read_timeout: Duration,
) -> (
    gw_provision::sandbox::RunningSandbox,
    tempfile::TempDir,
    TransportOptions,
) {
    let dir = tempfile::tempdir().unwrap();
    let mut options = SandboxOptions::new(dir.path().join("state"));
    options.faults = Some(FaultPlan { rules });
    let sandbox = start(options).await.unwrap();
    let descriptor = sandbox.descriptor();
    let mut transport = TransportOptions::new(descriptor.host.parse::<Server>().unwrap());
    let key = b64url_decode(&descriptor.server_public_key).unwrap();
    transport.custom_server_key = Some((
        descriptor.server_key_id,
        EcPublicKey::from_uncompressed(&key).unwrap(),
    ));
    transport.ca_cert_pem = Some(descriptor.ca_cert_pem.clone());
    transport.read_timeout = read_timeout;
    transport.retry = quick_retries();
    (sandbox, dir, transport)
}

fn rule(endpoint: &str, fault: Fault) -> FaultRule {
    FaultRule {
        endpoint: endpoint.into(),
        count: 1,
        fault,
    }
}

#[tokio::test]
async fn hang_makes_the_client_time_out() {
    let (sandbox, _dir, options) = sandbox_with(
        vec![rule("authentication/register_device", Fault::Hang)],
        Duration::from_millis(400),
    )
    .await;
    let transport = Transport::new(options).unwrap();

    let started = Instant::now();
    let error = auth::register_device(&transport, "hang-test")
        .await
        .unwrap_err();

    let auth::AuthError::Transport(error) = error else {
        panic!("{error:?}");
    };
    assert!(matches!(error, TransportError::Network { .. }), "{error:?}");
    assert!(error.to_string().contains("timed out"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(10));
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_hung_read_is_resent_after_the_timeout_and_the_login_completes() {
    let (sandbox, _dir, options) = sandbox_with(
        vec![rule("login/account_summary", Fault::Hang)],
        Duration::from_secs(3),
    )
    .await;
    let descriptor: Descriptor = sandbox.descriptor().clone();
    let transport = Transport::new(options).unwrap();

    let outcome = auth::login_with_password(
        &transport,
        None,
        &descriptor.user,
        &descriptor.password,
        &LoginOptions::default(),
    )
    .await
    .unwrap();

    assert!(matches!(outcome, LoginOutcome::LoggedIn(_)));
    sandbox.shutdown().await.unwrap();
}

// --- the sandbox's faults, through the binary ---

/// A blocking client for the sandbox's fault route.
fn admin(sandbox: &ServedSandbox) -> (reqwest::blocking::Client, String) {
    (sandbox.admin_client(), sandbox.admin_url("faults"))
}

fn set_plan(sandbox: &ServedSandbox, plan: serde_json::Value) {
    let (client, url) = admin(sandbox);
    let response = client.post(url).json(&plan).send().unwrap();
    assert_eq!(response.status(), 204);
}

/// The rules that have not fired yet (each with the calls it still fails).
fn plan_left(sandbox: &ServedSandbox) -> serde_json::Value {
    let (client, url) = admin(sandbox);
    client
        .get(url)
        .send()
        .unwrap()
        .json::<serde_json::Value>()
        .unwrap()["rules"]
        .clone()
}

fn provision(sandbox: &ServedSandbox, gateway: &str) -> std::process::Output {
    let mut command = sandbox.command();
    command.arg("-v").args(new_args("F", "A", gateway, "linux"));
    run(command)
}

/// One `http_500` then one `drop` on `endpoint`: `command` still succeeds, both faults fired,
/// and `-v` shows the retries.
fn read_faults_are_survived_by(endpoint: &str, command: &[&str]) {
    let sandbox = ServedSandbox::start();
    // A first run makes the application, so the next `new` reads it (`vault/get_app_info`).
    let first = provision(&sandbox, "edge-0");
    assert!(first.status.success(), "{}", stderr(&first));
    set_plan(
        &sandbox,
        json!({"rules": [
            {"endpoint": endpoint, "fault": "http_500"},
            {"endpoint": endpoint, "fault": "drop"}
        ]}),
    );

    let output = run({
        let mut c = sandbox.command();
        c.arg("-v").args(command);
        c
    });

    assert!(output.status.success(), "{endpoint}: {}", stderr(&output));
    assert_eq!(
        plan_left(&sandbox),
        json!([]),
        "{endpoint}: both faults fired"
    );
    let log = stderr(&output);
    assert!(log.contains(&format!("retrying {endpoint} in ")), "{log}");
    assert!(log.contains("(2/5): HTTP 500"), "{log}");
    assert!(log.contains("(3/5): connection closed"), "{log}");
}

fn read_faults_are_survived(endpoint: &str) {
    read_faults_are_survived_by(endpoint, &new_args("F", "A", "edge-1", "linux"));
}

#[test]
fn new_survives_a_500_and_a_drop_on_sync_down() {
    read_faults_are_survived("vault/sync_down");
}

#[test]
fn new_survives_a_500_and_a_drop_on_get_app_info() {
    read_faults_are_survived("vault/get_app_info");
}

#[test]
fn new_survives_a_500_and_a_drop_on_account_summary() {
    read_faults_are_survived("login/account_summary");
}

/// `new` finds gateways through the application's clients; `gateway list` reads the controllers.
#[test]
fn gateway_list_survives_a_500_and_a_drop_on_get_controllers() {
    read_faults_are_survived_by(
        "pam/get_controllers",
        &["gateway", "list", "--output", "json"],
    );
}

/// Two faults armed on the write `vault/app_client_add`: the run fails with `code`, and one
/// fault is left, so the client sent the write exactly once.
fn write_fault_is_not_retried(fault: &str, code: i32) {
    let sandbox = ServedSandbox::start();
    set_plan(
        &sandbox,
        json!({"rules": [{"endpoint": "vault/app_client_add", "fault": fault, "count": 2}]}),
    );

    let output = provision(&sandbox, "edge-1");

    assert_eq!(output.status.code(), Some(code), "{}", stderr(&output));
    let left = plan_left(&sandbox);
    assert_eq!(left[0]["count"], 1, "sent once: {left}");
    assert!(!stderr(&output).contains("retrying"), "{}", stderr(&output));
}

#[test]
fn a_500_on_app_client_add_is_not_retried() {
    write_fault_is_not_retried("http_500", 7);
}

#[test]
fn a_drop_on_app_client_add_is_not_retried() {
    write_fault_is_not_retried("drop", 6);
}

#[test]
fn lost_reply_on_application_add_leaves_the_application_created() {
    let sandbox = ServedSandbox::start();
    sandbox.inject_fault("vault/application_add", "lost_reply", 1);

    let failed = provision(&sandbox, "edge-1");

    assert_eq!(failed.status.code(), Some(6), "{}", stderr(&failed));
    assert_no_result(&failed);
    let apps = json(&run({
        let mut c = sandbox.command();
        c.args(["app", "list", "--output", "json"]);
        c
    }));
    let titles: Vec<_> = apps["applications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|app| app["title"].clone())
        .collect();
    assert_eq!(titles, vec![json!("A")], "{apps}");
    // The re-run finds the application the lost reply was about instead of making another.
    let rerun = provision(&sandbox, "edge-1");
    assert!(rerun.status.success(), "{}", stderr(&rerun));
    assert_eq!(json(&rerun)["application"]["action"], "reused");
}

// --- a peer that is not TLS ---

fn plain_http_reply() -> Vec<u8> {
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello".to_vec()
}

/// Random bytes whose first byte is not a TLS record type (20–24), so they cannot start a record.
fn random_reply() -> Vec<u8> {
    let mut bytes = gw_provision::keeper::crypto::random_bytes(256);
    if (20..=24).contains(&bytes[0]) {
        bytes[0] = 0xA5;
    }
    bytes
}

#[tokio::test]
async fn plain_http_or_garbage_instead_of_tls_is_not_tls() {
    for reply in [plain_http_reply(), random_reply()] {
        let port = not_tls_server(reply);
        let options =
            TransportOptions::new(Server::from_host(&format!("127.0.0.1:{port}")).unwrap());
        let transport = Transport::new(options).unwrap();

        let error = transport
            .execute_rest("authentication/start_login", None, None)
            .await
            .unwrap_err();

        assert!(matches!(error, TransportError::NotTls { .. }), "{error:?}");
        assert!(error.is_connection_error());
    }
}

fn new_against(port: u16) -> std::process::Output {
    let home = tempfile::tempdir().unwrap();
    let mut command = gw(home.path());
    command
        .args(new_args("F", "A", "g", "linux"))
        .args(["--server", &format!("127.0.0.1:{port}")])
        .env("KEEPER_USER", "a@example.com")
        .env("KEEPER_PASSWORD", "x");
    run(command)
}

#[test]
fn plain_http_server_exits_6_saying_it_is_not_keepers_api() {
    let output = new_against(not_tls_server(plain_http_reply()));

    assert_eq!(output.status.code(), Some(6), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(
        text.contains("did not answer as Keeper's API (not TLS, or not an HTTPS server)"),
        "{text}"
    );
    assert!(!text.contains("not trusted"), "{text}");
}

#[test]
fn garbage_instead_of_tls_exits_6_saying_it_is_not_keepers_api() {
    let output = new_against(not_tls_server(random_reply()));

    assert_eq!(output.status.code(), Some(6), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(text.contains("did not answer as Keeper's API"), "{text}");
    assert!(!text.contains("not trusted"), "{text}");
}

// --- bad input ---

#[test]
fn descriptor_with_an_invalid_ca_exits_2_and_says_so() {
    let home = tempfile::tempdir().unwrap();
    let key = EcPrivateKey::generate().public_key().to_uncompressed();
    for ca in [
        "not a certificate",
        "-----BEGIN CERTIFICATE-----\nAAAAAAAA\n-----END CERTIFICATE-----\n",
    ] {
        let path = home.path().join("descriptor.json");
        let descriptor = json!({
            "url": "https://127.0.0.1:1", "host": "127.0.0.1:1", "ca_cert_pem": ca,
            "server_key_id": 7, "server_public_key": b64url_encode(&key),
            "user": "demo@example.com", "password": "x"
        });
        std::fs::write(&path, descriptor.to_string()).unwrap();
        let mut command = gw(home.path());
        command
            .arg("--sandbox-descriptor")
            .arg(&path)
            .args(new_args("F", "A", "g", "linux"));

        let output = run(command);

        assert_eq!(output.status.code(), Some(2), "{ca}: {}", stderr(&output));
        assert!(
            stderr(&output)
                .contains("sandbox descriptor's CA certificate (ca_cert_pem) is invalid"),
            "{}",
            stderr(&output)
        );
    }
}

#[test]
fn names_with_unicode_format_characters_exit_2_naming_the_flag() {
    for (flag, name, code_point) in [
        ("--gateway", "edge\u{202E}1", "U+202E"),
        ("--folder", "Lab\u{200B}", "U+200B"),
        ("--app", "\u{FEFF}App", "U+FEFF"),
    ] {
        let home = tempfile::tempdir().unwrap();
        let value =
            |this: &'static str, default: &'static str| if this == flag { name } else { default };
        let args = [
            "new",
            "--non-interactive",
            "--os",
            "linux",
            "--folder",
            value("--folder", "F"),
            "--app",
            value("--app", "A"),
            "--gateway",
            value("--gateway", "g"),
        ];
        let mut command = gw(home.path());
        command.args(args);

        let output = run(command);

        assert_eq!(output.status.code(), Some(2), "{flag}: {}", stderr(&output));
        let text = stderr(&output);
        assert!(text.contains(flag) && text.contains(code_point), "{text}");
    }
}
