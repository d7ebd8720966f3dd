//! Interop of logins and persistent sessions with Keeper's OFFICIAL Commander (18.1.8) on
//! sandbox accounts that have login requirements switched on (issue 5):
//! a session gw-provision saved in Commander's config.json is resumed by Commander without a
//! password, and the other way round; Commander passes the sandbox's e-mail device approval,
//! authenticator code, SSO master password and region redirect. Script:
//! `tests/interop/commander_persistent.py`; harness and setup: `tests/interop/README.md`.

use crate::support::interop::{interop_python, python_home, run_script, ScriptRun};
use crate::support::{gw, json, stderr, ServedSandbox};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PASSWORD: &str = "interop login password 1";
const TOTP_SECRET: &str = "JBSWY3DPEHPK3PXP";

/// The binary pointed at `sandbox`, with its own HOME under `home`.
fn gw_at(sandbox: &ServedSandbox, home: &Path) -> Command {
    let mut command = gw(home);
    command
        .arg("--sandbox-descriptor")
        .arg(&sandbox.descriptor_path);
    command
}

fn ok(mut command: Command) -> Output {
    let output = command.output().expect("run gw-provision");
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    output
}

/// `sandbox add-user` through the running sandbox's admin route.
fn add_user(sandbox: &ServedSandbox, email: &str, options: &[&str]) {
    let mut command = gw_at(sandbox, sandbox.dir.path());
    command.args([
        "sandbox",
        "add-user",
        "--email",
        email,
        "--password",
        PASSWORD,
    ]);
    command.args(options);
    ok(command);
}

/// The endpoints a `-vv` run of gw-provision called, in order.
fn endpoints_called(output: &Output) -> Vec<String> {
    stderr(output)
        .lines()
        .filter(|l| l.contains(" POST "))
        .filter_map(|l| l.split("endpoint=\"").nth(1))
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

fn commander(
    python: &Path,
    sandbox: &ServedSandbox,
    args: &[&str],
    totp_secret: Option<&str>,
) -> ScriptRun {
    let descriptor = sandbox.descriptor_path.to_string_lossy().into_owned();
    let mut all = vec!["--descriptor", descriptor.as_str()];
    all.extend_from_slice(args);
    let mut env = vec![("GW_INTEROP_PASSWORD", PASSWORD)];
    if let Some(secret) = totp_secret {
        env.push(("GW_INTEROP_TOTP_SECRET", secret));
    }
    let run = run_script(
        python,
        &python_home(sandbox),
        "commander_persistent.py",
        &all,
        &env,
    );
    let errors = run.doc["peer_errors"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(errors.is_empty(), "Commander logged errors: {errors:?}");
    run
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("config file")).expect("json")
}

fn config_in(sandbox: &ServedSandbox, name: &str) -> PathBuf {
    python_home(sandbox).join(name)
}

#[test]
fn commander_resumes_the_session_gw_provision_saved_in_its_config_json() {
    let Some(python) = interop_python() else {
        return;
    };
    let sandbox = ServedSandbox::start();
    add_user(&sandbox, "shared@example.com", &[]);
    let config = config_in(&sandbox, "config.json");
    let home = sandbox.dir.path().join("gw-home");

    ok({
        let mut c = gw_at(&sandbox, &home);
        c.env("KEEPER_PASSWORD", PASSWORD)
            .args(["--user", "shared@example.com", "--keeper-config"])
            .arg(&config)
            .arg("login");
        c
    });
    let saved = read_json(&config);
    assert_eq!(saved["user"], "shared@example.com");
    assert_eq!(saved["server"], sandbox.descriptor["host"]);

    // Commander on its own device, with the password, into the same account.
    let own = commander(
        &python,
        &sandbox,
        &["--mode", "password", "--user", "shared@example.com"],
        None,
    );
    assert_eq!(own.doc["user"], "shared@example.com");

    // Commander resumes gw-provision's session from the config.json: no password, no new device.
    let resumed = commander(
        &python,
        &sandbox,
        &["--mode", "resume", "--config", &config.to_string_lossy()],
        None,
    );
    let called = strings(&resumed.doc["endpoints"]);
    assert_eq!(resumed.doc["user"], "shared@example.com");
    assert!(
        !called
            .iter()
            .any(|e| e == "authentication/validate_auth_hash"
                || e == "authentication/register_device"),
        "{called:?}"
    );
    assert_eq!(resumed.doc["device_token_kept"], true);
    assert_eq!(resumed.doc["clone_code_rotated"], true);

    // ...and gw-provision goes on from the clone code Commander rotated into the file.
    let again = ok({
        let mut c = gw_at(&sandbox, &home);
        c.arg("--keeper-config")
            .arg(&config)
            .args(["whoami", "--output", "json", "-vv"]);
        c
    });
    assert_eq!(json(&again)["user"], "shared@example.com");
    assert!(!endpoints_called(&again).contains(&"authentication/validate_auth_hash".to_owned()));
}

#[test]
fn gw_provision_resumes_commanders_persistent_login_without_password_approval_or_code() {
    let Some(python) = interop_python() else {
        return;
    };
    let sandbox = ServedSandbox::start();
    add_user(
        &sandbox,
        "admin@example.com",
        &["--device-approval", "email", "--totp-secret", TOTP_SECRET],
    );
    let config = config_in(&sandbox, "commander-config.json");

    // Commander logs in through the e-mail approval and the authenticator code, then turns on
    // persistent login for its device (`this-device persistent-login on`).
    let first = commander(
        &python,
        &sandbox,
        &[
            "--mode",
            "password",
            "--user",
            "admin@example.com",
            "--config",
            &config.to_string_lossy(),
            "--persistent-login",
        ],
        Some(TOTP_SECRET),
    );
    assert_eq!(
        first.doc["answers"],
        serde_json::json!(["device_approval_email", "two_factor_totp"])
    );
    assert_eq!(
        first.doc["persistent_login"],
        serde_json::json!({"setting": true, "device_data_key": true})
    );
    let commander_device = read_json(&config)["device_token"].clone();

    let home = sandbox.dir.path().join("gw-home");
    let whoami = ok({
        let mut c = gw_at(&sandbox, &home);
        c.arg("--keeper-config")
            .arg(&config)
            .args(["whoami", "--output", "json", "-vv"]);
        c
    });

    assert_eq!(json(&whoami)["user"], "admin@example.com");
    let called = endpoints_called(&whoami);
    assert!(
        !called
            .iter()
            .any(|e| e == "authentication/validate_auth_hash"
                || e == "authentication/register_device"
                || e.contains("device_verification")
                || e == "authentication/2fa_validate"),
        "{called:?}"
    );
    let after = read_json(&config);
    assert_eq!(after["device_token"], commander_device);

    // Commander picks up the clone code gw-provision rotated into its file.
    let back = commander(
        &python,
        &sandbox,
        &["--mode", "resume", "--config", &config.to_string_lossy()],
        None,
    );
    assert_eq!(back.doc["user"], "admin@example.com");
    assert_eq!(back.doc["clone_code_rotated"], true);
}

#[test]
fn commander_logs_in_to_an_sso_account_with_its_master_password() {
    let Some(python) = interop_python() else {
        return;
    };
    let sandbox = ServedSandbox::start();
    add_user(&sandbox, "sso@example.com", &["--sso-master-password"]);

    let run = commander(
        &python,
        &sandbox,
        &[
            "--mode",
            "password",
            "--user",
            "sso@example.com",
            "--sso-master-password",
        ],
        None,
    );

    assert_eq!(
        run.doc["answers"],
        serde_json::json!(["sso_master_password"])
    );
    assert_eq!(run.doc["user"], "sso@example.com");
}

#[test]
fn commander_follows_the_region_redirect_to_the_accounts_home_host() {
    let Some(python) = interop_python() else {
        return;
    };
    let sandbox = ServedSandbox::start();
    let port = sandbox.descriptor["host"]
        .as_str()
        .and_then(|h| h.rsplit(':').next())
        .expect("port")
        .to_owned();
    let home_host = format!("localhost:{port}");
    add_user(
        &sandbox,
        "eu@example.com",
        &["--region-redirect", &home_host],
    );

    let run = commander(
        &python,
        &sandbox,
        &["--mode", "password", "--user", "eu@example.com"],
        None,
    );

    assert_eq!(run.doc["server"], home_host.as_str());
    assert!(strings(&run.doc["endpoints"])
        .contains(&"authentication/register_device_in_region".to_owned()));
}
