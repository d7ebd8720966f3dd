//! `new --pam-config`: the PAM configuration step through the real binary against a served
//! sandbox — create, reuse on a re-run, conflict with another gateway's configuration,
//! `--replace`, `--dry-run`, the cloud environments and the rotation enforcement.

use crate::support::{json, new_args, run, stderr, ServedSandbox};
use std::process::Output;

/// `new` for (folder, app, gateway) with a PAM configuration and extra flags.
fn new_with_pam(sandbox: &ServedSandbox, gateway: &str, title: &str, extra: &[&str]) -> Output {
    let mut command = sandbox.command();
    command.args(new_args("PAM Lab", "PAM Lab App", gateway, "linux"));
    command.args(["--pam-config", title]);
    command.args(extra);
    run(command)
}

fn gateway_uid(sandbox: &ServedSandbox, name: &str) -> String {
    let listed = run({
        let mut c = sandbox.command();
        c.args(["gateway", "list", "--output", "json"]);
        c
    });
    assert!(listed.status.success(), "{}", stderr(&listed));
    json(&listed)["gateways"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|row| row["name"] == name)
        .and_then(|row| row["uid"].as_str())
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("gateway {name} not listed"))
}

#[test]
fn pam_config_is_created_bound_to_the_new_gateway_with_the_asked_settings() {
    let sandbox = ServedSandbox::start();
    let output = new_with_pam(
        &sandbox,
        "edge-1",
        "Lab Config",
        &[
            "--connections",
            "on",
            "--tunneling",
            "on",
            "--rotation",
            "on",
        ],
    );
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let doc = json(&output);
    let pam = &doc["pam_configuration"];
    assert_eq!(pam["title"], "Lab Config");
    assert_eq!(pam["action"], "created");
    assert_eq!(pam["environment"], "local");
    assert_eq!(pam["record_type"], "pamNetworkConfiguration");
    assert_eq!(pam["uid"].as_str().map(str::len), Some(22));
    assert_eq!(
        pam["settings"],
        serde_json::json!({"connections": true, "tunneling": true, "rotation": true, "recording": false})
    );
    // The controller UID was looked up for the configuration, so the gateway's is known now.
    assert_eq!(doc["gateway"]["uid"], gateway_uid(&sandbox, "edge-1"));
}

#[test]
fn pam_config_rerun_with_existing_reuses_it_and_changes_nothing() {
    let sandbox = ServedSandbox::start();
    let first = new_with_pam(&sandbox, "edge-1", "Lab Config", &["--tunneling", "on"]);
    assert!(first.status.success(), "stderr: {}", stderr(&first));
    let second = new_with_pam(&sandbox, "edge-1", "Lab Config", &["--existing"]);
    assert!(second.status.success(), "stderr: {}", stderr(&second));
    let (first, second) = (json(&first), json(&second));
    assert_eq!(second["pam_configuration"]["action"], "reused");
    assert_eq!(
        second["pam_configuration"]["uid"],
        first["pam_configuration"]["uid"]
    );
    assert_eq!(second["pam_configuration"]["settings"]["tunneling"], true);
}

#[test]
fn pam_config_rerun_with_existing_leaves_the_switches_alone() {
    let sandbox = ServedSandbox::start();
    let first = new_with_pam(&sandbox, "edge-1", "Lab Config", &["--connections", "on"]);
    assert!(first.status.success(), "stderr: {}", stderr(&first));
    let mut command = sandbox.command();
    command.args(["new", "--non-interactive", "--output", "json"]);
    command.args([
        "--folder",
        "PAM Lab",
        "--app",
        "PAM Lab App",
        "--gateway",
        "edge-1",
    ]);
    command.args(["--os", "linux", "--existing", "--pam-config", "Lab Config"]);
    // `--existing` leaves a bound configuration alone, switches and all.
    command.args(["--connections", "off"]);
    let second = run(command);
    assert!(second.status.success(), "stderr: {}", stderr(&second));
    assert_eq!(json(&second)["pam_configuration"]["action"], "reused");
    assert_eq!(
        json(&second)["pam_configuration"]["settings"]["connections"],
        true
    );
}

#[test]
fn pam_config_of_another_gateway_is_a_conflict_exit_4_before_any_change() {
    let sandbox = ServedSandbox::start();
    let first = new_with_pam(&sandbox, "edge-1", "Lab Config", &[]);
    assert!(first.status.success(), "stderr: {}", stderr(&first));
    let second = new_with_pam(&sandbox, "edge-2", "Lab Config", &[]);
    assert_eq!(second.status.code(), Some(4), "stderr: {}", stderr(&second));
    let text = stderr(&second);
    assert!(
        text.contains("Lab Config") && text.contains("--replace"),
        "{text}"
    );
    // Refused at planning: the second gateway was not created either.
    let listed = run({
        let mut c = sandbox.command();
        c.args(["gateway", "list", "--output", "json"]);
        c
    });
    assert!(!String::from_utf8_lossy(&listed.stdout).contains("edge-2"));
}

#[test]
fn pam_config_replace_removes_the_other_gateways_configuration_and_binds_a_new_one() {
    let sandbox = ServedSandbox::start();
    let first = new_with_pam(&sandbox, "edge-1", "Lab Config", &[]);
    assert!(first.status.success(), "stderr: {}", stderr(&first));
    let second = new_with_pam(&sandbox, "edge-2", "Lab Config", &["--replace", "--yes"]);
    assert!(second.status.success(), "stderr: {}", stderr(&second));
    let (first, second) = (json(&first), json(&second));
    assert_eq!(second["pam_configuration"]["action"], "replaced");
    assert_ne!(
        second["pam_configuration"]["uid"],
        first["pam_configuration"]["uid"]
    );
    assert_eq!(second["gateway"]["uid"], gateway_uid(&sandbox, "edge-2"));
    // Only one configuration with the title is left: a third run for edge-2 reuses it.
    let third = new_with_pam(&sandbox, "edge-2", "Lab Config", &["--existing"]);
    assert!(third.status.success(), "stderr: {}", stderr(&third));
    let third = json(&third);
    assert_eq!(third["pam_configuration"]["action"], "reused");
    assert_eq!(
        third["pam_configuration"]["uid"],
        second["pam_configuration"]["uid"]
    );
}

#[test]
fn pam_config_dry_run_says_create_then_reuse_and_changes_nothing() {
    let sandbox = ServedSandbox::start();
    let dry = new_with_pam(&sandbox, "edge-1", "Lab Config", &["--dry-run"]);
    assert!(dry.status.success(), "stderr: {}", stderr(&dry));
    let doc = json(&dry);
    assert_eq!(doc["pam_configuration"]["action"], "would-create");
    assert!(doc["pam_configuration"]["uid"].is_null());

    let made = new_with_pam(&sandbox, "edge-1", "Lab Config", &[]);
    assert!(made.status.success(), "stderr: {}", stderr(&made));
    let dry = new_with_pam(
        &sandbox,
        "edge-1",
        "Lab Config",
        &["--existing", "--dry-run"],
    );
    assert!(dry.status.success(), "stderr: {}", stderr(&dry));
    let doc = json(&dry);
    assert_eq!(doc["pam_configuration"]["action"], "would-reuse");
    assert_eq!(
        doc["pam_configuration"]["uid"],
        json(&made)["pam_configuration"]["uid"]
    );

    let mut text = sandbox.command();
    text.args(["new", "--non-interactive", "--output", "text", "--dry-run"]);
    text.args([
        "--folder",
        "PAM Lab",
        "--app",
        "PAM Lab App",
        "--gateway",
        "edge-2",
    ]);
    text.args(["--os", "linux", "--pam-config", "Other Config"]);
    let text = run(text);
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(
        stdout.contains("PAM config") && stdout.contains("Other Config (local)"),
        "{stdout}"
    );
    assert!(stdout.contains("would create"), "{stdout}");
}

#[test]
fn pam_config_cloud_environments_are_refused_as_usage_errors() {
    let sandbox = ServedSandbox::start();
    let output = new_with_pam(&sandbox, "edge-1", "AWS", &["--pam-environment", "aws"]);
    assert_eq!(output.status.code(), Some(2), "stderr: {}", stderr(&output));
    assert!(stderr(&output).contains("local"), "{}", stderr(&output));
}

#[test]
fn pam_config_switches_without_a_title_are_a_usage_error() {
    let sandbox = ServedSandbox::start();
    let mut command = sandbox.command();
    command.args(new_args("PAM Lab", "PAM Lab App", "edge-1", "linux"));
    command.args(["--rotation", "off"]);
    let output = run(command);
    assert_eq!(output.status.code(), Some(2), "stderr: {}", stderr(&output));
    assert!(stderr(&output).contains("--pam-config"));
}

#[test]
fn pam_config_with_rotation_is_refused_exit_7_when_the_role_disallows_rotation() {
    let sandbox = ServedSandbox::start();
    let add = run({
        let mut c = sandbox.command();
        c.args(["sandbox", "add-user", "--email", "norot@example.com"]);
        c.args(["--password", "enterprise password 1"]);
        c.args(["--enforcement", "allow_secrets_manager=true"]);
        c.args(["--enforcement", "allow_pam_gateway=true"]);
        c
    });
    assert!(add.status.success(), "{}", stderr(&add));
    let as_user = |extra: &[&str]| {
        let mut c = sandbox.command();
        c.env("KEEPER_PASSWORD", "enterprise password 1")
            .args(["--user", "norot@example.com"]);
        c.args(new_args("PAM Lab", "PAM Lab App", "edge-1", "linux"));
        c.args(["--pam-config", "Lab Config"]);
        c.args(extra);
        run(c)
    };
    let refused = as_user(&[]);
    assert_eq!(
        refused.status.code(),
        Some(7),
        "stderr: {}",
        stderr(&refused)
    );
    assert!(stderr(&refused).contains("allow_rotate_credentials"));
    // Nothing was written: the same run with rotation off creates the folder fresh.
    let allowed = as_user(&["--rotation", "off"]);
    assert!(allowed.status.success(), "stderr: {}", stderr(&allowed));
    let doc = json(&allowed);
    assert_eq!(doc["shared_folder"]["action"], "created");
    assert_eq!(doc["pam_configuration"]["settings"]["rotation"], false);
}

#[test]
fn pam_config_in_a_fleet_manifest_is_created_per_gateway_then_reused_by_a_reapply() {
    let sandbox = ServedSandbox::start();
    let file = sandbox.dir.path().join("fleet.toml");
    std::fs::write(
        &file,
        "[defaults]\nfolder = \"PAM Fleet\"\napp = \"PAM Fleet App\"\nos = \"linux\"\ntunneling = true\n\n\
         [[gateway]]\nname = \"edge-1\"\npam_config = \"Edge 1 Config\"\n\n\
         [[gateway]]\nname = \"edge-2\"\n",
    )
    .unwrap();
    let apply = |extra: &[&str]| {
        let mut command = sandbox.command();
        command
            .args(["--output", "json", "apply", "-f"])
            .arg(&file)
            .args(extra);
        run(command)
    };
    let dry = apply(&["--dry-run"]);
    assert!(dry.status.success(), "stderr: {}", stderr(&dry));
    let doc = json(&dry);
    assert_eq!(
        doc["gateways"][0]["pam_configuration"]["action"],
        "would-create"
    );
    assert!(doc["gateways"][1].get("pam_configuration").is_none());

    let first = apply(&[]);
    assert!(first.status.success(), "stderr: {}", stderr(&first));
    let first = json(&first);
    let pam = &first["gateways"][0]["pam_configuration"];
    assert_eq!(pam["action"], "created");
    assert_eq!(pam["settings"]["tunneling"], true);
    assert_eq!(first["gateways"][0]["uid"], gateway_uid(&sandbox, "edge-1"));

    let again = apply(&[]);
    assert!(again.status.success(), "stderr: {}", stderr(&again));
    let again = json(&again);
    assert_eq!(
        again["gateways"][0]["pam_configuration"]["action"],
        "reused"
    );
    assert_eq!(again["gateways"][0]["pam_configuration"]["uid"], pam["uid"]);
}

#[test]
fn pam_config_rerun_after_a_failed_binding_binds_the_same_record_and_shows_the_kept_token() {
    let sandbox = ServedSandbox::start();
    sandbox.inject_fault("pam/set_configuration_controller", "http_500", 1);
    let failed = new_with_pam(&sandbox, "edge-1", "Lab Config", &["--rotation", "on"]);
    assert!(!failed.status.success(), "the binding failed");
    let text = stderr(&failed);
    assert!(
        text.contains("PAM configuration") && text.contains("Re-run"),
        "{text}"
    );

    // The same command again: the record made before is finished, not duplicated, and the
    // gateway's token, never shown, is shown now.
    let again = new_with_pam(&sandbox, "edge-1", "Lab Config", &["--rotation", "on"]);
    assert!(again.status.success(), "stderr: {}", stderr(&again));
    let again = json(&again);
    assert_eq!(again["pam_configuration"]["action"], "updated");
    assert!(
        again["token"].is_string(),
        "the kept token is shown: {again}"
    );
    let uid = again["pam_configuration"]["uid"].clone();

    let check = new_with_pam(&sandbox, "edge-1", "Lab Config", &["--existing"]);
    assert!(check.status.success(), "stderr: {}", stderr(&check));
    let check = json(&check);
    assert_eq!(
        check["pam_configuration"]["action"], "reused",
        "now bound: {check}"
    );
    assert_eq!(check["pam_configuration"]["uid"], uid);
    let warnings = check["warnings"].to_string();
    assert!(!warnings.contains("are titled"), "no twin: {warnings}");
}
