//! Interop: Keeper's OFFICIAL Rust KSM SDK (`keeper-secrets-manager-core` 17.3, blocking) redeems
//! a gw-provision one-time access token against `gw-provision sandbox serve`.
//!
//! The SDK is blocking and builds its own reqwest blocking client, so these are plain `#[test]`s,
//! never inside a tokio runtime.
//!
//! The SDK drops the port from the hostname: `helpers::get_servers` keeps only
//! `Url::host_str()`, so `127.0.0.1:PORT` becomes `https://127.0.0.1/api/rest/sm/v1/…` (port 443).
//! The tests therefore give the SDK an HTTP proxy (its own `proxy_url` option) that tunnels every
//! CONNECT to the sandbox's real port, so the SDK's whole HTTP, TLS and crypto stack still runs.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use crate::support::interop::{commander_share_read_only, interop_python, provision, split_token};
use crate::support::ServedSandbox;
use keeper_secrets_manager_core::dto::dtos::RecordCreate;
use keeper_secrets_manager_core::dto::field_structs::Login;
use keeper_secrets_manager_core::{
    ClientOptionsBuilder, InMemoryKeyValueStorage, KSMRError, KvStoreType, SecretsManager,
};

/// A loopback HTTP CONNECT proxy that tunnels every connection to one address, whatever port the
/// client asked for; it records the CONNECT targets it saw.
struct TunnelToSandbox {
    addr: SocketAddr,
    targets: Arc<Mutex<Vec<String>>>,
}

impl TunnelToSandbox {
    fn start(sandbox: SocketAddr) -> TunnelToSandbox {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let targets = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&targets);
        // The accept loop lives as long as the test process; every test binds its own proxy.
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let seen = Arc::clone(&seen);
                std::thread::spawn(move || tunnel(client, sandbox, &seen));
            }
        });
        TunnelToSandbox { addr, targets }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn targets(&self) -> Vec<String> {
        self.targets.lock().expect("targets").clone()
    }
}

fn tunnel(mut client: TcpStream, sandbox: SocketAddr, seen: &Mutex<Vec<String>>) {
    // Read the request head: `CONNECT host:port HTTP/1.1` … blank line.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
        match client.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head);
    let mut first = head.lines().next().unwrap_or("").split_whitespace();
    if first.next() != Some("CONNECT") {
        let _ = client.write_all(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n");
        return;
    }
    seen.lock()
        .expect("targets")
        .push(first.next().unwrap_or("").to_string());
    let Ok(upstream) = TcpStream::connect(sandbox) else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
        return;
    };
    if client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .is_err()
    {
        return;
    }
    let (Ok(mut client_read), Ok(mut upstream_write)) = (client.try_clone(), upstream.try_clone())
    else {
        return;
    };
    let mut upstream_read = upstream;
    let up = std::thread::spawn(move || {
        let _ = std::io::copy(&mut client_read, &mut upstream_write);
        let _ = upstream_write.shutdown(Shutdown::Write);
    });
    let _ = std::io::copy(&mut upstream_read, &mut client);
    let _ = client.shutdown(Shutdown::Write);
    let _ = up.join();
}

/// The official SDK, pointed at the sandbox: bare secret + hostname (the token's host has a
/// port), the sandbox's server key, TLS checks off, in-memory config, and the tunnel.
fn ksm_client(
    descriptor: &serde_json::Value,
    token: &str,
    proxy: &TunnelToSandbox,
) -> SecretsManager {
    let (host, secret) = split_token(token);
    assert_eq!(
        host,
        descriptor["host"].as_str().expect("host"),
        "the token names the sandbox"
    );
    let storage = InMemoryKeyValueStorage::new(None).expect("in-memory config");
    let mut options = ClientOptionsBuilder::new(KvStoreType::InMemory(storage))
        .token(secret)
        .hostname(host)
        .insecure_skip_verify(true)
        .proxy_url(&proxy.url())
        .build();
    options.set_server_public_key(
        descriptor["server_public_key"]
            .as_str()
            .expect("server key"),
    );
    options.set_server_public_key_id(&descriptor["server_key_id"].to_string());
    SecretsManager::new(options).expect("SecretsManager::new")
}

fn sandbox_addr(descriptor: &serde_json::Value) -> SocketAddr {
    descriptor["host"]
        .as_str()
        .expect("host")
        .parse()
        .expect("host is IP:PORT")
}

fn login_record(title: &str) -> RecordCreate {
    let mut record = RecordCreate::new("login", title, None);
    record.append_standard_fields(Login::new("interop-user".to_string(), None, None, None));
    record
}

#[test]
fn rust_ksm_sdk_redeems_the_token_lists_the_folder_and_creates_a_record_through_the_editable_share()
{
    let sandbox = ServedSandbox::start();
    let made = provision(&sandbox, "Rust KSM", "Rust KSM App", "rust-gw");
    let proxy = TunnelToSandbox::start(sandbox_addr(&sandbox.descriptor));
    let mut ksm = ksm_client(&sandbox.descriptor, &made.token, &proxy);

    let redeemed = ksm
        .get_secrets_full_response(Vec::new())
        .expect("redeem (get_secret)");
    let secret_folders: Vec<&str> = redeemed.folders.iter().map(|f| f.uid.as_str()).collect();
    assert_eq!(secret_folders, vec![made.folder_uid.as_str()]);

    let folders = ksm.get_folders().expect("get_folders");
    let listed: Vec<(&str, &str)> = folders
        .iter()
        .map(|f| (f.folder_uid.as_str(), f.name.as_str()))
        .collect();
    assert_eq!(
        listed,
        vec![(made.folder_uid.as_str(), made.folder.as_str())]
    );

    let created = ksm
        .create_secret(&made.folder_uid, login_record("rust-interop"))
        .expect("create_secret");
    let read_back = ksm.get_secrets(vec![created.clone()]).expect("read back");
    assert_eq!(read_back.len(), 1, "exactly the created record");
    let record = &read_back[0];
    assert_eq!(
        (record.uid.as_str(), record.title.as_str()),
        (created.as_str(), "rust-interop")
    );
    assert_eq!(record.record_type, "login");
    assert_eq!(record.folder_uid, made.folder_uid);
    assert_eq!(
        record
            .get_standard_field_value("login", true)
            .expect("login field"),
        serde_json::json!("interop-user")
    );

    assert!(
        !proxy.targets().is_empty(),
        "the SDK's calls went through the tunnel"
    );
}

#[test]
fn rust_ksm_sdk_is_refused_when_creating_through_a_read_only_share() {
    // gw-provision only makes editable shares; Commander makes the read-only one.
    let Some(python) = interop_python() else {
        return;
    };
    let sandbox = ServedSandbox::start();
    let made = provision(&sandbox, "Rust RW", "Rust RO App", "rust-gw");
    let read_only_uid = commander_share_read_only(&python, &sandbox, "Rust RO", &made.app);
    let proxy = TunnelToSandbox::start(sandbox_addr(&sandbox.descriptor));
    let mut ksm = ksm_client(&sandbox.descriptor, &made.token, &proxy);

    ksm.get_secrets(Vec::new()).expect("redeem (get_secret)");
    let folders = ksm.get_folders().expect("get_folders");
    assert!(
        folders.iter().any(|f| f.folder_uid == read_only_uid),
        "the read-only folder is listed"
    );
    let refused = ksm.create_secret(&read_only_uid, login_record("must-not-exist"));

    match refused {
        Err(KSMRError::HTTPError(message)) => {
            assert!(
                message.starts_with("Error: "),
                "refused by the server as a JSON error: {message}"
            )
        }
        other => panic!(
            "create_secret through a read-only share must be refused by the server, got {other:?}"
        ),
    }
    let all = ksm.get_secrets(Vec::new()).expect("list after refusal");
    assert!(
        all.iter().all(|r| r.title != "must-not-exist"),
        "the refused record is absent"
    );
    // The editable share still works for the same client.
    ksm.create_secret(&made.folder_uid, login_record("still-allowed"))
        .expect("editable share");
}
