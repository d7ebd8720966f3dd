//! Doing to the account only what Keeper's own clients do: role enforcements refused before any
//! change, gateway removal as Commander's `pam gateway remove`, persistent login only with
//! consent, one explicit password, and the requests a run costs.

use crate::support::{gw, json, new_args, run, stderr, ServedSandbox};
use gw_provision::keeper::auth::{self, LoginOptions, LoginOutcome, Session};
use gw_provision::keeper::crypto::{b64url_decode, random_bytes, EcPublicKey};
use gw_provision::keeper::ksm;
use gw_provision::keeper::proto::authentication::AddAppClientRequest;
use gw_provision::keeper::proto::enterprise::AppClientType;
use gw_provision::keeper::server::Server;
use gw_provision::keeper::transport::{Transport, TransportOptions};
use gw_provision::keeper::uid::Uid;
use gw_provision::keeper::vault;
use prost::Message;
use std::process::{Command, Output};

const PASSWORD: &str = "enterprise password 1";

/// Adds a sandbox account with these `--enforcement KEY=VALUE` pairs.
fn add_user(sandbox: &ServedSandbox, email: &str, enforcements: &[&str]) {
    let mut command = sandbox.command();
    command.args([
        "sandbox",
        "add-user",
        "--email",
        email,
        "--password",
        PASSWORD,
    ]);
    for e in enforcements {
        command.args(["--enforcement", e]);
    }
    let output = run(command);
    assert!(output.status.success(), "add-user: {}", stderr(&output));
}

/// The binary as `email`, with its password in the environment.
fn as_user(sandbox: &ServedSandbox, email: &str) -> Command {
    let mut command = sandbox.command();
    command
        .env("KEEPER_PASSWORD", PASSWORD)
        .args(["--user", email]);
    command
}

/// A library session of `email`, to look at the vault the way a second client would.
pub(crate) fn library_session(sandbox: &ServedSandbox, email: &str, password: &str) -> Session {
    let d = &sandbox.descriptor;
    let point = b64url_decode(d["server_public_key"].as_str().unwrap()).unwrap();
    let mut options = TransportOptions::new(d["host"].as_str().unwrap().parse::<Server>().unwrap());
    options.custom_server_key = Some((
        d["server_key_id"].as_i64().unwrap() as i32,
        EcPublicKey::from_uncompressed(&point).unwrap(),
    ));
    options.ca_cert_pem = Some(d["ca_cert_pem"].as_str().unwrap().to_owned());
    let transport = Transport::new(options).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let outcome = runtime
        .block_on(auth::login_with_password(
            &transport,
            None,
            email,
            password,
            &LoginOptions::default(),
        ))
        .unwrap();
    match outcome {
        LoginOutcome::LoggedIn(session) => *session,
        other => panic!("expected a session, got {other:?}"),
    }
}

pub(crate) fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Runtime::new().unwrap().block_on(future)
}

/// Keeper API requests the run reported at -v ("N Keeper API requests").
fn requests_of(output: &Output) -> u64 {
    let text = stderr(output);
    text.lines()
        .find_map(|l| {
            let at = l.find(" Keeper API requests")?;
            l[..at].rsplit(' ').next()?.parse().ok()
        })
        .unwrap_or_else(|| panic!("no request count in:\n{text}"))
}

#[test]
fn enterprise_user_without_gateway_management_is_refused_before_anything_is_created() {
    let sandbox = ServedSandbox::start();
    add_user(
        &sandbox,
        "nogw@example.com",
        &["allow_secrets_manager=true"],
    );
    let output = run({
        let mut c = as_user(&sandbox, "nogw@example.com");
        c.args(new_args("Gateways", "Gateways App", "edge-1", "linux"));
        c
    });
    assert_eq!(output.status.code(), Some(7), "stderr: {}", stderr(&output));
    let text = stderr(&output);
    assert!(text.contains("allow_pam_gateway"), "{text}");
    assert!(
        text.contains("ALLOW_PAM_GATEWAY"),
        "hint names the enforcement: {text}"
    );

    let session = library_session(&sandbox, "nogw@example.com", PASSWORD);
    let snapshot = block_on(vault::sync_down(&session)).unwrap();
    assert!(snapshot.shared_folders.is_empty(), "no folder was made");
    assert!(snapshot.applications.is_empty(), "no application was made");
}

#[test]
fn enterprise_user_without_secrets_manager_is_refused_before_anything_is_created() {
    let sandbox = ServedSandbox::start();
    add_user(&sandbox, "noksm@example.com", &["allow_pam_gateway=true"]);
    let output = run({
        let mut c = as_user(&sandbox, "noksm@example.com");
        c.args(new_args("Gateways", "Gateways App", "edge-1", "linux"));
        c
    });
    assert_eq!(output.status.code(), Some(7), "stderr: {}", stderr(&output));
    assert!(stderr(&output).contains("allow_secrets_manager"));
    let session = library_session(&sandbox, "noksm@example.com", PASSWORD);
    let snapshot = block_on(vault::sync_down(&session)).unwrap();
    assert!(snapshot.shared_folders.is_empty());
    assert!(snapshot.applications.is_empty());
}

#[test]
fn enterprise_user_with_both_allowed_is_served_and_warned_about_rotation() {
    let sandbox = ServedSandbox::start();
    add_user(
        &sandbox,
        "ok@example.com",
        &["allow_secrets_manager=true", "allow_pam_gateway=true"],
    );
    let output = run({
        let mut c = as_user(&sandbox, "ok@example.com");
        c.args(new_args("Gateways", "Gateways App", "edge-1", "linux"));
        c
    });
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let doc = json(&output);
    assert_eq!(doc["gateway"]["action"], "created");
    let warnings = doc["warnings"].as_array().expect("warnings");
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("allow_rotate_credentials")),
        "{warnings:?}"
    );
}

#[test]
fn the_sandbox_itself_refuses_a_gateway_client_the_role_does_not_allow() {
    let sandbox = ServedSandbox::start();
    add_user(
        &sandbox,
        "ksmonly@example.com",
        &["allow_secrets_manager=true"],
    );
    let session = library_session(&sandbox, "ksmonly@example.com", PASSWORD);
    let app = block_on(ksm::add_application(&session, "App")).unwrap();
    let refused = block_on(ksm::add_gateway_client(&session, &app, "edge-1", 60)).unwrap_err();
    assert!(
        matches!(&refused, ksm::KsmError::Refused { code, .. } if code == "access_denied"),
        "{refused:?}"
    );
}

/// An ordinary KSM device (not a gateway) in `app`, named `name`.
fn add_ordinary_client(session: &Session, app: Uid, name: &str) {
    let request = AddAppClientRequest {
        app_record_uid: app.as_bytes().to_vec(),
        encrypted_app_key: random_bytes(60),
        client_id: random_bytes(64),
        lock_ip: false,
        first_access_expire_on: 0,
        access_expire_on: 0,
        id: name.to_owned(),
        app_client_type: AppClientType::General as i32,
    };
    block_on(session.execute_rest("vault/app_client_add", Some(request.encode_to_vec()))).unwrap();
}

fn client_types(session: &Session, app: Uid) -> Vec<(String, i32)> {
    let info = block_on(ksm::get_app_info(session, &app)).unwrap();
    info.clients
        .iter()
        .map(|c| (c.name.clone(), c.app_client_type))
        .collect()
}

#[test]
fn gateway_remove_removes_the_gateway_and_leaves_an_ordinary_client_of_the_same_name() {
    let sandbox = ServedSandbox::start();
    let made = run({
        let mut c = sandbox.command();
        c.args(new_args("F", "A", "edge-1", "linux"));
        c
    });
    assert!(made.status.success(), "stderr: {}", stderr(&made));
    let app: Uid = json(&made)["application"]["uid"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let d = &sandbox.descriptor;
    let session = library_session(
        &sandbox,
        d["user"].as_str().unwrap(),
        d["password"].as_str().unwrap(),
    );
    add_ordinary_client(&session, app, "edge-1");
    add_ordinary_client(&session, app, "device-only");

    let removed = run({
        let mut c = sandbox.command();
        c.args(["gateway", "remove", "edge-1", "--yes"]);
        c
    });
    assert!(removed.status.success(), "stderr: {}", stderr(&removed));
    let general = AppClientType::General as i32;
    let mut left = client_types(&session, app);
    left.sort();
    assert_eq!(
        left,
        vec![
            ("device-only".to_owned(), general),
            ("edge-1".to_owned(), general)
        ]
    );

    // A name that only an ordinary client has is not a gateway: exit 5, nothing changes.
    let not_a_gateway = run({
        let mut c = sandbox.command();
        c.args(["gateway", "remove", "device-only", "--yes"]);
        c
    });
    assert_eq!(not_a_gateway.status.code(), Some(5));
    assert_eq!(client_types(&session, app).len(), 2);
}

#[test]
fn removals_without_a_terminal_need_yes() {
    let sandbox = ServedSandbox::start();
    let made = run({
        let mut c = sandbox.command();
        c.args(new_args("F", "A", "edge-1", "linux"));
        c
    });
    assert!(made.status.success(), "stderr: {}", stderr(&made));
    let remove = run({
        let mut c = sandbox.command();
        c.args(["gateway", "remove", "edge-1"]);
        c
    });
    assert_eq!(remove.status.code(), Some(2));
    assert!(stderr(&remove).contains("--yes"), "{}", stderr(&remove));
    let replace = run({
        let mut c = sandbox.command();
        c.args(new_args("F", "A", "edge-1", "linux"))
            .arg("--replace");
        c
    });
    assert_eq!(replace.status.code(), Some(2));
    assert!(stderr(&replace).contains("--yes"));
    // Nothing was removed: the gateway is still listed.
    let list = run({
        let mut c = sandbox.command();
        c.args(["gateway", "list", "--output", "json"]);
        c
    });
    assert_eq!(json(&list)["gateways"].as_array().map(Vec::len), Some(1));
}

#[test]
fn login_of_a_role_that_restricts_persistent_login_never_turns_it_on() {
    let sandbox = ServedSandbox::start();
    add_user(
        &sandbox,
        "strict@example.com",
        &["restrict_persistent_login=true"],
    );
    let login = run({
        let mut c = as_user(&sandbox, "strict@example.com");
        c.args(["login", "--persistent-login"]);
        c
    });
    assert!(login.status.success(), "stderr: {}", stderr(&login));
    assert!(stderr(&login).contains("restrict_persistent_login"));
    let session = library_session(&sandbox, "strict@example.com", PASSWORD);
    let summary = session.account_summary();
    assert!(
        !summary.settings.as_ref().unwrap().persistent_login,
        "the account setting stays off"
    );
    // The device is kept (no new approval next time) but no session is promised.
    let whoami = run({
        let mut c = sandbox.command();
        c.args(["--user", "strict@example.com", "whoami"]);
        c
    });
    assert_eq!(whoami.status.code(), Some(3), "{}", stderr(&whoami));
}

#[test]
fn login_without_consent_keeps_the_device_and_asks_for_the_password_later() {
    let sandbox = ServedSandbox::start();
    add_user(&sandbox, "plain@example.com", &[]);
    let login = run({
        let mut c = as_user(&sandbox, "plain@example.com");
        c.env_remove("GW_PROVISION_PERSISTENT_LOGIN").arg("login");
        c
    });
    assert!(login.status.success(), "stderr: {}", stderr(&login));
    assert!(stderr(&login).contains("Persistent login is off"));
    let session = library_session(&sandbox, "plain@example.com", PASSWORD);
    assert!(
        !session
            .account_summary()
            .settings
            .as_ref()
            .unwrap()
            .persistent_login
    );
    let config: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            sandbox
                .dir
                .path()
                .join("config/gw-provision/sandbox-config.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert!(config.get("device_token").is_some(), "the device is kept");
    assert!(config.get("clone_code").is_none(), "no session is promised");
    // With the password, the same device logs in again with no new approval.
    let again = run({
        let mut c = as_user(&sandbox, "plain@example.com");
        c.arg("whoami");
        c
    });
    assert!(again.status.success(), "stderr: {}", stderr(&again));
}

#[test]
fn a_wrong_keeper_password_is_tried_once_and_exits_3_even_for_the_demo_account() {
    let sandbox = ServedSandbox::start();
    let user = sandbox.descriptor["user"].as_str().unwrap().to_owned();
    let output = run({
        let mut c = sandbox.command();
        c.env("KEEPER_PASSWORD", "wrong-password")
            .args(["-v", "login", "--user", &user]);
        c
    });
    assert_eq!(output.status.code(), Some(3), "stderr: {}", stderr(&output));
    // register_device, start_login, one validate_auth_hash.
    assert_eq!(requests_of(&output), 3, "{}", stderr(&output));
    let demo = run({
        let mut c = sandbox.command();
        c.env("KEEPER_PASSWORD", "wrong-password")
            .args(new_args("F", "A", "edge-1", "linux"));
        c
    });
    assert_eq!(demo.status.code(), Some(3), "stderr: {}", stderr(&demo));
}

#[test]
fn a_first_run_costs_at_most_11_requests_and_a_resumed_run_adding_a_gateway_at_most_6() {
    let sandbox = ServedSandbox::start();
    let first = run({
        let mut c = sandbox.command();
        c.arg("-v").args(new_args("F", "A", "edge-1", "linux"));
        c
    });
    assert!(first.status.success(), "stderr: {}", stderr(&first));
    // 9 to log in and create, plus the two looks that settle twins of a concurrent run.
    assert!(requests_of(&first) <= 11, "{}", stderr(&first));

    // An account with a saved session (the seeded demo account logs in afresh on every run).
    add_user(&sandbox, "saved@example.com", &[]);
    let login = run({
        let mut c = as_user(&sandbox, "saved@example.com");
        c.arg("login");
        c
    });
    assert!(login.status.success(), "stderr: {}", stderr(&login));
    let setup = run({
        let mut c = sandbox.command();
        c.args(["--user", "saved@example.com"])
            .args(new_args("F", "A", "edge-1", "linux"));
        c
    });
    assert!(setup.status.success(), "stderr: {}", stderr(&setup));
    let resumed = run({
        let mut c = sandbox.command();
        c.args(["-v", "--user", "saved@example.com"])
            .args(new_args("F", "A", "edge-2", "linux"));
        c
    });
    assert!(resumed.status.success(), "stderr: {}", stderr(&resumed));
    assert!(requests_of(&resumed) <= 6, "{}", stderr(&resumed));
    assert_eq!(json(&resumed)["application"]["action"], "reused");
}

#[test]
fn the_sandbox_counts_what_a_first_and_a_resumed_run_cost_per_endpoint() {
    let sandbox = ServedSandbox::start();
    add_user(&sandbox, "counted@example.com", &[]);
    let login = run({
        let mut c = as_user(&sandbox, "counted@example.com");
        c.arg("login");
        c
    });
    assert!(login.status.success(), "stderr: {}", stderr(&login));

    sandbox.reset_stats();
    let first = run({
        let mut c = sandbox.command();
        c.args(["--user", "counted@example.com"])
            .args(new_args("F", "A", "edge-1", "linux"));
        c
    });
    assert!(first.status.success(), "stderr: {}", stderr(&first));
    let stats = sandbox.stats();
    let count = |endpoint: &str| stats["requests"][endpoint].as_u64().unwrap_or(0);
    // Resume, summary, sync; folder, app, the look for twins, share, client, the look again: 9
    // (a fresh device adds register_device and validate_auth_hash).
    assert_eq!(count("authentication/start_login"), 1, "{stats}");
    assert_eq!(
        count("vault/sync_down"),
        2,
        "one sync and one incremental look: {stats}"
    );
    assert_eq!(count("vault/app_client_add"), 1);
    assert_eq!(
        count("pam/get_controllers"),
        0,
        "no controller lookup: {stats}"
    );
    assert_eq!(count("setting/set_user_setting"), 0);
    assert_eq!(stats["total"], 9, "{stats}");

    sandbox.reset_stats();
    let resumed = run({
        let mut c = sandbox.command();
        c.args(["--user", "counted@example.com"])
            .args(new_args("F", "A", "edge-2", "linux"));
        c
    });
    assert!(resumed.status.success(), "stderr: {}", stderr(&resumed));
    let stats = sandbox.stats();
    assert!(stats["total"].as_u64().unwrap() <= 6, "{stats}");
    assert_eq!(
        stats["requests"]["pam/get_controllers"]
            .as_u64()
            .unwrap_or(0),
        0
    );
}

#[test]
fn a_removal_without_yes_is_refused_before_any_request() {
    let home = tempfile::tempdir().unwrap();
    let output = run({
        let mut c = gw(home.path());
        c.args(["-v", "gateway", "remove", "x"]);
        c
    });
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(requests_of(&output), 0);
}
