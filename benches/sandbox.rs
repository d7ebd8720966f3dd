//! Sandbox throughput and memory.
//!
//! * `start_login + full sync_down` over loopback TLS against a 10,000-record vault (10 pages of
//!   1,000 records; 11 requests per iteration, so requests/s = 11 / time per iteration).
//! * One write (`folder_add`, a v2 command, acknowledged only once committed) in an empty vault
//!   and in a vault of 100,000 records: a write must not cost more as the vault grows.
//! * Memory: before the timed runs, a sandbox with a 100,000-record vault is started, logged into
//!   and fully synced; its resident memory (VmRSS, and the peak VmHWM) must stay under 256 MiB.

#[path = "../tests/support/sandbox.rs"]
mod sandbox_support;

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use gw_provision::keeper::crypto::ecies_encrypt;
use gw_provision::keeper::crypto::{aes_cbc_encrypt, b64url_encode, AesKey};
use gw_provision::keeper::proto::authentication::{
    LoginResponse, RegisterDeviceDataKeyRequest, StartLoginRequest,
};
use gw_provision::keeper::uid::Uid;
use gw_provision::sandbox::{seed_records, start, SandboxOptions};
use sandbox_support::Wire;
use serde_json::json;

const BENCH_RECORDS: usize = 10_000;
const MEMORY_RECORDS: usize = 100_000;
const MEMORY_LIMIT_KIB: u64 = 256 * 1024;

fn proc_status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn memory_check(rt: &tokio::runtime::Runtime) {
    let dir = tempfile::tempdir().unwrap();
    let seeded = Instant::now();
    seed_records(dir.path(), MEMORY_RECORDS).unwrap();
    let seed_time = seeded.elapsed();
    rt.block_on(async {
        let started = Instant::now();
        let sandbox = start(SandboxOptions::new(dir.path())).await.unwrap();
        let start_time = started.elapsed();
        let wire = Wire::new(sandbox.descriptor());
        let login = wire.login(sandbox.descriptor()).await;
        let synced = Instant::now();
        let (pages, records) = wire.sync_count(&login.session).await;
        let sync_time = synced.elapsed();
        assert_eq!(records, MEMORY_RECORDS);
        let rss = proc_status_kib("VmRSS:").unwrap_or(0);
        let peak = proc_status_kib("VmHWM:").unwrap_or(0);
        println!(
            "memory: {MEMORY_RECORDS} records: seed {seed_time:.2?}, start {start_time:.2?}, \
             full sync ({} pages) {sync_time:.2?}; VmRSS {} MiB, VmHWM {} MiB (limit {} MiB)",
            pages,
            rss / 1024,
            peak / 1024,
            MEMORY_LIMIT_KIB / 1024
        );
        assert!(rss < MEMORY_LIMIT_KIB, "VmRSS {rss} KiB exceeds the limit");
        sandbox.shutdown().await.unwrap();
    });
}

fn login_and_sync(c: &mut Criterion, rt: &tokio::runtime::Runtime) {
    let dir = tempfile::tempdir().unwrap();
    seed_records(dir.path(), BENCH_RECORDS).unwrap();
    let (sandbox, wire, session, device) = rt.block_on(async {
        let sandbox = start(SandboxOptions::new(dir.path())).await.unwrap();
        let wire = Wire::new(sandbox.descriptor());
        let login = wire.login(sandbox.descriptor()).await;
        (sandbox, wire, login.session, login.device)
    });
    let user = sandbox.descriptor().user.clone();
    let mut group = c.benchmark_group("sandbox");
    group.throughput(Throughput::Elements(
        1 + (BENCH_RECORDS / gw_provision_page()) as u64,
    ));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("start_login + sync_down 10k records (11 requests)", |b| {
        b.iter(|| {
            rt.block_on(async {
                let started = wire.start_login(&device, &user).await;
                assert_eq!(started.login_state, 13);
                let (pages, _) = wire.sync_count(&session).await;
                assert_eq!(pages, BENCH_RECORDS / gw_provision_page());
            })
        })
    });
    group.finish();
    rt.block_on(sandbox.shutdown()).unwrap();
}

/// Concurrent clients per iteration of the resumed-run benchmark.
const CLIENTS: usize = 8;

/// What a fleet of already-synced clients costs the sandbox: each of `CLIENTS` concurrent
/// clients, each with its own device, resumes its session with its clone code (`start_login`,
/// answered LOGGED_IN with a rotated clone code and a new session) and sends an incremental
/// `sync_down` (the continuation token of its last full sync) to a 10,000-record vault. Unlike
/// the full sync above, the bytes per request are small, so this measures the sandbox's
/// per-request cost (envelope ECDH, AES-GCM, TLS, dispatch, the store) rather than the size of a
/// 1,000-record page.
fn resumed_runs(c: &mut Criterion, rt: &tokio::runtime::Runtime) {
    struct Client {
        device: Vec<u8>,
        clone_code: Vec<u8>,
        token: Vec<u8>,
    }
    let dir = tempfile::tempdir().unwrap();
    seed_records(dir.path(), BENCH_RECORDS).unwrap();
    let (sandbox, wire, mut clients) = rt.block_on(async {
        let sandbox = start(SandboxOptions::new(dir.path())).await.unwrap();
        let wire = Wire::new(sandbox.descriptor());
        let mut clients = Vec::new();
        for _ in 0..CLIENTS {
            let login = wire.login(sandbox.descriptor()).await;
            // Persistent login for this device, so its clone code resumes the session.
            let _: LoginResponse = wire
                .call(
                    "authentication/register_encrypted_data_key_for_device",
                    &RegisterDeviceDataKeyRequest {
                        encrypted_device_token: login.device.clone(),
                        encrypted_device_data_key: ecies_encrypt(
                            &login.device_key.public_key(),
                            login.data_key.as_bytes(),
                        ),
                    },
                    Some(&login.session),
                )
                .await
                .unwrap();
            let mut token = Vec::new();
            loop {
                let page = wire.sync_from(&login.session, &token).await;
                token = page.continuation_token;
                if !page.has_more {
                    break;
                }
            }
            clients.push(Client {
                device: login.device,
                clone_code: login.clone_code,
                token,
            });
        }
        (sandbox, wire, clients)
    });
    let user = sandbox.descriptor().user.clone();
    let mut group = c.benchmark_group("sandbox");
    group.throughput(Throughput::Elements(2 * CLIENTS as u64));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function(
        "8 concurrent × (resumed start_login + incremental sync_down), 10k records",
        |b| {
            b.iter(|| {
                rt.block_on(async {
                    let runs = clients.iter_mut().map(|client| {
                        let (wire, user) = (&wire, &user);
                        async move {
                            let resumed: LoginResponse = wire
                                .call(
                                    "authentication/start_login",
                                    &StartLoginRequest {
                                        encrypted_device_token: client.device.clone(),
                                        username: user.clone(),
                                        clone_code: client.clone_code.clone(),
                                        client_version: "c18.1.0".into(),
                                        login_method: 1,
                                        ..Default::default()
                                    },
                                    None,
                                )
                                .await
                                .unwrap();
                            assert_eq!(resumed.login_state, 99, "LOGGED_IN");
                            client.clone_code = resumed.clone_code;
                            let page = wire
                                .sync_from(&resumed.encrypted_session_token, &client.token)
                                .await;
                            assert!(page.records.is_empty() && !page.has_more);
                            client.token = page.continuation_token;
                        }
                    });
                    futures_util::future::join_all(runs).await;
                })
            })
        },
    );
    group.finish();
    rt.block_on(sandbox.shutdown()).unwrap();
}

fn write_latency(c: &mut Criterion, rt: &tokio::runtime::Runtime, records: usize) {
    let dir = tempfile::tempdir().unwrap();
    if records > 0 {
        seed_records(dir.path(), records).unwrap();
    }
    let (sandbox, wire, login) = rt.block_on(async {
        let sandbox = start(SandboxOptions::new(dir.path())).await.unwrap();
        let wire = Wire::new(sandbox.descriptor());
        let login = wire.login(sandbox.descriptor()).await;
        (sandbox, wire, login)
    });
    let mut group = c.benchmark_group("sandbox write");
    group.sample_size(50);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function(format!("folder_add, vault of {records} records"), |b| {
        b.iter(|| {
            rt.block_on(async {
                let key = AesKey::generate();
                let name = json!({"name": "bench"}).to_string();
                let reply = wire
                    .v2(
                        &login.session,
                        &login.username,
                        json!({
                            "command": "folder_add",
                            "folder_uid": Uid::generate().to_string(),
                            "folder_type": "shared_folder",
                            "key": b64url_encode(&aes_cbc_encrypt(&login.data_key, key.as_bytes())),
                            "data": b64url_encode(&aes_cbc_encrypt(&key, name.as_bytes())),
                        }),
                    )
                    .await;
                assert_eq!(reply["result"], "success");
            })
        })
    });
    group.finish();
    rt.block_on(sandbox.shutdown()).unwrap();
}

/// Records per `sync_down` page served by the sandbox.
fn gw_provision_page() -> usize {
    1_000
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    if std::env::var_os("BENCH_SKIP_MEMORY").is_none() {
        memory_check(&rt);
    }
    let mut criterion = Criterion::default().configure_from_args();
    login_and_sync(&mut criterion, &rt);
    resumed_runs(&mut criterion, &rt);
    write_latency(&mut criterion, &rt, 0);
    write_latency(&mut criterion, &rt, MEMORY_RECORDS);
    criterion.final_summary();
}
