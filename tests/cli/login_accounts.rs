//! Real-account login through the binary, against a sandbox used only as the transport:
//! saved device and session, persistent login, clone-code rotation, Commander's config.json,
//! the base64 config for CI, and every login state without a terminal (exit 3, no hang).

use crate::support::login::{
    config_path, endpoints_called, library_device, read_config, run_within, write_commander_config,
};
use crate::support::{self, gw, new_args, stderr, ServedSandbox};
use gw_provision::keeper::crypto::b64_std_encode;
use serde_json::json;
use std::path::Path;
use std::process::Command;

/// The seeded demo account through the account path: `--config` makes it an account run.
fn seeded(sandbox: &ServedSandbox, home: &Path, config: &Path) -> Command {
    let mut command = gw(home);
    command
        .arg("--sandbox-descriptor")
        .arg(&sandbox.descriptor_path)
        .arg("--config")
        .arg(config);
    command
}

fn ok(command: Command) -> std::process::Output {
    let output = run_within(command);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    output
}

fn exit_code(output: &std::process::Output) -> i32 {
    output.status.code().expect("exit code")
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn totp_helper_matches_the_rfc_6238_sha1_vectors() {
    // RFC 6238 appendix B, SHA-1 secret "12345678901234567890", last 6 of the 8 digits.
    let secret = b"12345678901234567890";
    assert_eq!(support::login::totp(secret, 59), "287082");
    assert_eq!(support::login::totp(secret, 1_111_111_109), "081804");
    assert_eq!(support::login::totp(secret, 2_000_000_000), "279037");
    assert_eq!(
        support::login::base32_decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
        secret
    );
}

#[test]
fn login_saves_the_device_and_session_atomically_with_mode_0600() {
    let sandbox = ServedSandbox::start();
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("gw.json");

    ok({
        let mut c = seeded(&sandbox, home.path(), &config);
        c.arg("login");
        c
    });

    let saved = read_config(&config);
    assert_eq!(saved["server"], sandbox.descriptor["host"]);
    assert_eq!(saved["user"], sandbox.descriptor["user"]);
    for key in ["device_token", "private_key", "clone_code"] {
        assert!(saved[key].as_str().is_some_and(|v| !v.is_empty()), "{key}");
    }
    #[cfg(unix)]
    assert_eq!(mode(&config), 0o600);
    let leftovers = std::fs::read_dir(home.path()).unwrap().count();
    assert_eq!(leftovers, 1, "no temporary file is left next to the config");
}

#[test]
fn next_run_resumes_the_saved_session_without_a_password() {
    let sandbox = ServedSandbox::start();
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("gw.json");
    ok({
        let mut c = seeded(&sandbox, home.path(), &config);
        c.arg("login");
        c
    });

    let output = ok({
        let mut c = seeded(&sandbox, home.path(), &config);
        c.args(["whoami", "-vv"]);
        c
    });

    let called = endpoints_called(&output);
    assert!(
        called.contains(&"authentication/start_login".to_owned()),
        "{called:?}"
    );
    assert!(
        !called
            .iter()
            .any(|e| e == "authentication/validate_auth_hash"
                || e == "authentication/register_device"),
        "{called:?}"
    );
}

#[test]
fn every_login_rewrites_the_clone_code_and_the_new_one_works() {
    let sandbox = ServedSandbox::start();
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("gw.json");
    ok({
        let mut c = seeded(&sandbox, home.path(), &config);
        c.arg("login");
        c
    });
    let mut seen = vec![read_config(&config)["clone_code"].clone()];

    for _ in 0..2 {
        let output = ok({
            let mut c = seeded(&sandbox, home.path(), &config);
            c.args(["whoami", "-vv"]);
            c
        });
        assert!(
            !endpoints_called(&output).contains(&"authentication/validate_auth_hash".to_owned())
        );
        let clone_code = read_config(&config)["clone_code"].clone();
        assert!(
            !seen.contains(&clone_code),
            "the clone code rotated and was saved"
        );
        seen.push(clone_code);
    }
}

#[test]
fn only_login_creates_a_config_other_commands_keep_an_existing_one_current() {
    let sandbox = ServedSandbox::start();
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("gw.json");

    ok({
        let mut c = seeded(&sandbox, home.path(), &config);
        c.arg("whoami");
        c
    });
    assert!(!config.exists(), "whoami must not create a config");

    ok({
        let mut c = seeded(&sandbox, home.path(), &config);
        c.arg("login");
        c
    });
    let after_login = read_config(&config)["clone_code"].clone();
    ok({
        let mut c = seeded(&sandbox, home.path(), &config);
        c.args(new_args("Login Folder", "Login App", "edge-1", "linux"));
        c
    });
    assert_ne!(
        read_config(&config)["clone_code"],
        after_login,
        "new saved the rotated code"
    );
}

#[test]
fn logout_ends_the_session_and_forgets_only_the_clone_code() {
    let sandbox = ServedSandbox::start();
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("gw.json");
    ok({
        let mut c = seeded(&sandbox, home.path(), &config);
        c.arg("login");
        c
    });
    let device_token = read_config(&config)["device_token"].clone();

    let logout = ok({
        let mut c = seeded(&sandbox, home.path(), &config);
        c.args(["logout", "-vv"]);
        c
    });

    assert!(endpoints_called(&logout).contains(&"vault/logout_v3".to_owned()));
    let saved = read_config(&config);
    assert!(saved.get("clone_code").is_none());
    assert_eq!(
        saved["device_token"], device_token,
        "the device stays registered"
    );
    let again = ok({
        let mut c = seeded(&sandbox, home.path(), &config);
        c.args(["logout"]);
        c
    });
    assert!(stderr(&again).contains("Not logged in"));
}

#[test]
fn commander_config_is_reused_in_place_and_gets_the_rotated_clone_code() {
    let sandbox = ServedSandbox::start();
    let home = tempfile::tempdir().unwrap();
    let user = sandbox.descriptor["user"].as_str().unwrap();
    let password = sandbox.descriptor["password"].as_str().unwrap();
    let device = library_device(&sandbox, user, password);
    let commander = home.path().join("commander-config.json");
    write_commander_config(&commander, &device);
    let before = read_config(&commander);

    let output = ok({
        let mut c = gw(home.path());
        c.arg("--sandbox-descriptor")
            .arg(&sandbox.descriptor_path)
            .arg("--keeper-config")
            .arg(&commander)
            .args(["whoami", "--output", "json", "-vv"]);
        c
    });

    let called = endpoints_called(&output);
    assert!(
        !called
            .iter()
            .any(|e| e == "authentication/register_device"
                || e == "authentication/validate_auth_hash"),
        "{called:?}"
    );
    let after = read_config(&commander);
    assert_ne!(after["clone_code"], before["clone_code"]);
    for key in [
        "server",
        "user",
        "device_token",
        "private_key",
        "debug",
        "logout_timer",
        "commands",
        "proxy",
    ] {
        assert_eq!(after[key], before[key], "{key} is kept");
    }
    #[cfg(unix)]
    assert_eq!(mode(&commander), 0o640, "Commander's file keeps its mode");
    assert!(
        !config_path(home.path()).exists(),
        "no second copy of the device"
    );
}

#[test]
fn commanders_default_config_is_used_when_gw_provision_has_none() {
    let home = tempfile::tempdir().unwrap();
    let commander = home.path().join("elsewhere.json");
    std::fs::write(
        &commander,
        json!({"server": "127.0.0.1:1", "user": "admin@example.com"}).to_string(),
    )
    .unwrap();

    let output = run_within({
        let mut c = gw(home.path());
        c.env("KEEPER_CONFIG_FILE", &commander).arg("whoami");
        c
    });

    // The server and user came from Commander's file: the run got as far as connecting to it.
    assert_eq!(exit_code(&output), 6, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("127.0.0.1:1"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn base64_config_in_the_environment_logs_in_without_a_home_and_stays_unchanged() {
    let sandbox = ServedSandbox::start();
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("gw.json");
    ok({
        let mut c = seeded(&sandbox, home.path(), &config);
        c.arg("login");
        c
    });
    let text = std::fs::read_to_string(&config).unwrap();
    let encoded = b64_std_encode(text.as_bytes());

    let mut command = Command::new(assert_cmd::cargo::cargo_bin("gw-provision"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("CI", "true")
        .env("NO_COLOR", "1")
        // `login` turns persistent login on only with consent; these runs give it (tests of the
        // default remove the variable).
        .env("GW_PROVISION_PERSISTENT_LOGIN", "true")
        .env("GW_PROVISION_CONFIG_B64", &encoded)
        .arg("--sandbox-descriptor")
        .arg(&sandbox.descriptor_path)
        .args(["whoami", "--output", "json", "-vv"]);
    let output = ok(command);

    assert_eq!(support::json(&output)["user"], sandbox.descriptor["user"]);
    assert!(!endpoints_called(&output).contains(&"authentication/validate_auth_hash".to_owned()));
    assert_eq!(std::fs::read_to_string(&config).unwrap(), text);

    let login = run_within({
        let mut c = gw(home.path());
        c.env("GW_PROVISION_CONFIG_B64", &encoded)
            .arg("--sandbox-descriptor")
            .arg(&sandbox.descriptor_path)
            .arg("login");
        c
    });
    assert_eq!(
        exit_code(&login),
        2,
        "login cannot save into an environment variable"
    );
    assert!(stderr(&login).contains("GW_PROVISION_CONFIG_B64"));
}

#[test]
fn a_corrupt_config_is_a_usage_error_that_quotes_no_value() {
    let sandbox = ServedSandbox::start();
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("gw.json");
    std::fs::write(
        &config,
        r#"{"device_token":"AQID","private_key":"c2VjcmV0LWtleQ"}"#,
    )
    .unwrap();

    let output = run_within({
        let mut c = seeded(&sandbox, home.path(), &config);
        c.arg("whoami");
        c
    });

    assert_eq!(exit_code(&output), 2, "{}", stderr(&output));
    assert!(stderr(&output).contains("private_key"));
    assert!(!stderr(&output).contains("c2VjcmV0LWtleQ"));
}
