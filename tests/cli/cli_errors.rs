//! Bad input, unreachable servers, wrong passwords and injected faults: each gets one clear
//! line, the documented exit code, and a re-run that converges without duplicates.

use crate::support::{assert_no_result, gw, json, new_args, run, stderr, ServedSandbox};

fn expect_usage_error(args: &[&str], needle: &str) {
    let home = tempfile::tempdir().unwrap();
    let mut command = gw(home.path());
    command.args(args);
    let output = run(command);
    assert_eq!(
        output.status.code(),
        Some(2),
        "{args:?}: {}",
        stderr(&output)
    );
    assert!(
        stderr(&output)
            .to_lowercase()
            .contains(&needle.to_lowercase()),
        "{args:?}: stderr should mention {needle:?}: {}",
        stderr(&output)
    );
    assert_no_result(&output);
}

#[test]
fn empty_name_is_a_usage_error() {
    expect_usage_error(
        &[
            "new",
            "--folder",
            "",
            "--app",
            "A",
            "--gateway",
            "g",
            "--os",
            "linux",
        ],
        "must not be empty",
    );
}

#[test]
fn name_over_255_bytes_is_a_usage_error() {
    let long = "x".repeat(256);
    expect_usage_error(
        &[
            "new",
            "--folder",
            "F",
            "--app",
            &long,
            "--gateway",
            "g",
            "--os",
            "linux",
        ],
        "255 bytes",
    );
}

#[test]
fn name_with_control_character_is_a_usage_error() {
    expect_usage_error(
        &[
            "new",
            "--folder",
            "F",
            "--app",
            "A",
            "--gateway",
            "g\u{7}",
            "--os",
            "linux",
        ],
        "control character",
    );
}

#[test]
fn token_expiry_out_of_range_is_a_usage_error() {
    expect_usage_error(&["new", "--token-expiry", "0"], "token-expiry");
    expect_usage_error(&["new", "--token-expiry", "5000"], "token-expiry");
}

#[test]
fn unknown_os_is_a_usage_error() {
    expect_usage_error(&["new", "--os", "solaris"], "solaris");
}

#[test]
fn missing_input_when_non_interactive_names_the_flag() {
    expect_usage_error(
        &["new", "--app", "A", "--gateway", "g", "--os", "linux"],
        "--folder",
    );
    expect_usage_error(
        &["new", "--folder", "F", "--app", "A", "--gateway", "g"],
        "--os",
    );
}

#[test]
fn server_that_is_not_a_region_or_host_is_a_usage_error() {
    let home = tempfile::tempdir().unwrap();
    let mut command = gw(home.path());
    command
        .args(new_args("F", "A", "g", "linux"))
        .args(["--server", "not a host/"])
        .env("KEEPER_USER", "a@example.com")
        .env("KEEPER_PASSWORD", "x");
    let output = run(command);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("--server"));
}

#[test]
fn server_word_that_is_no_region_is_a_usage_error_listing_the_regions() {
    let home = tempfile::tempdir().unwrap();
    let mut command = gw(home.path());
    command.args(["--server", "europe", "whoami"]);
    let output = run(command);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("US, EU, AU, CA, JP, GOV"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn server_with_a_sandbox_descriptor_is_a_usage_error() {
    let sandbox = ServedSandbox::start();
    let mut command = sandbox.command();
    command.args(["--server", "EU", "whoami"]);
    let output = run(command);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("--server"), "{}", stderr(&output));
}

#[test]
fn server_variable_with_the_in_process_sandbox_is_a_usage_error() {
    let home = tempfile::tempdir().unwrap();
    let mut command = gw(home.path());
    command
        .env("KEEPER_SERVER", "EU")
        .args(["--sandbox", "whoami"]);
    let output = run(command);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("KEEPER_SERVER"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn unreachable_host_is_a_network_error() {
    let home = tempfile::tempdir().unwrap();
    let mut command = gw(home.path());
    command
        .args(new_args("F", "A", "g", "linux"))
        .args(["--server", "127.0.0.1:1"])
        .env("KEEPER_USER", "a@example.com")
        .env("KEEPER_PASSWORD", "x");
    let output = run(command);
    assert_eq!(output.status.code(), Some(6), "{}", stderr(&output));
}

#[test]
fn no_credentials_when_non_interactive_is_a_login_error() {
    let home = tempfile::tempdir().unwrap();
    let mut command = gw(home.path());
    command.args(new_args("F", "A", "g", "linux"));
    let output = run(command);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(stderr(&output).contains("gw-provision login"));
}

#[test]
fn wrong_password_is_a_login_error_and_changes_nothing() {
    let sandbox = ServedSandbox::start();
    let mut wrong = sandbox.descriptor.clone();
    wrong["password"] = serde_json::Value::String("not-the-password".into());
    let wrong_path = sandbox.dir.path().join("wrong.json");
    std::fs::write(&wrong_path, wrong.to_string()).unwrap();
    let mut command = gw(sandbox.dir.path());
    command
        .arg("--sandbox-descriptor")
        .arg(&wrong_path)
        .args(new_args("F", "A", "g", "linux"));
    let output = run(command);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        !stderr(&output).contains("not-the-password"),
        "password leaked"
    );

    let apps = run({
        let mut c = sandbox.command();
        c.args(["app", "list", "--output", "json"]);
        c
    });
    assert_eq!(json(&apps)["applications"], serde_json::json!([]));
}

/// Injects a fault into one step's endpoint, checks the failure says what was left behind, then
/// re-runs and checks that everything converges to one folder, one app, one gateway.
fn fault_then_rerun_converges(endpoint: &str, fault: &str, expect_code: i32) {
    let sandbox = ServedSandbox::start();
    sandbox.inject_fault(endpoint, fault, 1);
    let failed = run({
        let mut c = sandbox.command();
        c.args(new_args("F", "A", "edge-1", "linux"));
        c
    });
    assert_eq!(
        failed.status.code(),
        Some(expect_code),
        "{endpoint}: {}",
        stderr(&failed)
    );
    assert_no_result(&failed);

    let rerun = run({
        let mut c = sandbox.command();
        c.args(new_args("F", "A", "edge-1", "linux"));
        c
    });
    assert!(
        rerun.status.success(),
        "{endpoint}: rerun: {}",
        stderr(&rerun)
    );
    let doc = json(&rerun);
    assert!(doc["token"].is_string());

    let apps = json(&run({
        let mut c = sandbox.command();
        c.args(["app", "list", "--output", "json"]);
        c
    }));
    assert_eq!(
        apps["applications"].as_array().unwrap().len(),
        1,
        "{endpoint}: one app: {apps}"
    );
    let gateways = json(&run({
        let mut c = sandbox.command();
        c.args(["gateway", "list", "--output", "json"]);
        c
    }));
    assert_eq!(
        gateways["gateways"].as_array().unwrap().len(),
        1,
        "{endpoint}: one gateway: {gateways}"
    );
    // A third run finds the folder, app and share, and the gateway as a conflict.
    let third = run({
        let mut c = sandbox.command();
        c.args(new_args("F", "A", "edge-1", "linux"));
        c
    });
    assert_eq!(
        third.status.code(),
        Some(4),
        "{endpoint}: {}",
        stderr(&third)
    );
}

#[test]
fn rerun_after_folder_failure_converges() {
    fault_then_rerun_converges("vault/execute_v2_command", "http_500", 7);
}

#[test]
fn rerun_after_application_failure_reuses_folder() {
    fault_then_rerun_converges("vault/application_add", "http_500", 7);
}

#[test]
fn rerun_after_share_failure_reuses_app() {
    fault_then_rerun_converges("vault/app_share_add", "drop", 6);
}

#[test]
fn rerun_after_gateway_failure_reuses_share() {
    fault_then_rerun_converges("vault/app_client_add", "http_500", 7);
}

#[test]
fn failure_after_folder_step_says_what_stays_and_to_rerun() {
    let sandbox = ServedSandbox::start();
    sandbox.inject_fault("vault/application_add", "http_500", 1);
    let failed = run({
        let mut c = sandbox.command();
        c.args(new_args("F", "A", "edge-1", "linux"));
        c
    });
    let text = stderr(&failed);
    assert!(text.contains("created shared folder 'F'"), "{text}");
    assert!(text.to_lowercase().contains("re-run"), "{text}");
}

#[test]
fn throttling_is_retried_transparently() {
    let sandbox = ServedSandbox::start();
    sandbox.inject_fault("vault/sync_down", "throttle", 1);
    let output = run({
        let mut c = sandbox.command();
        c.args(new_args("F", "A", "edge-1", "linux"));
        c
    });
    assert!(output.status.success(), "{}", stderr(&output));
}
