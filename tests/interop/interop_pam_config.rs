//! Interop: Keeper's Commander 18.1.8 finds the PAM configuration `new --pam-config` made —
//! the version-6 record in the shared folder naming the gateway and the folder, listed by
//! `pam config list` with its settings (read from the DAG through the router), and bound to the
//! gateway by `pam/get_configuration_controller` — and a re-run reuses it.

use crate::support::interop::{interop_python, python_home, run_script};
use crate::support::{json, new_args, run, stderr, ServedSandbox};

fn new_with_pam(sandbox: &ServedSandbox, extra: &[&str]) -> serde_json::Value {
    let mut command = sandbox.command();
    command.args(new_args(
        "Interop PAM",
        "Interop PAM App",
        "pam-gw",
        "linux",
    ));
    command.args(["--pam-config", "Lab Config"]);
    command.args(extra);
    let output = run(command);
    assert!(output.status.success(), "new: {}", stderr(&output));
    json(&output)
}

fn commander_check(
    sandbox: &ServedSandbox,
    python: &std::path::Path,
    doc: &serde_json::Value,
) -> serde_json::Value {
    let descriptor = sandbox.descriptor_path.to_string_lossy().into_owned();
    let text = |pointer: &str| {
        doc.pointer(pointer)
            .and_then(|v| v.as_str())
            .unwrap()
            .to_owned()
    };
    run_script(
        python,
        &python_home(sandbox),
        "commander_pam_config.py",
        &[
            "--descriptor",
            &descriptor,
            "--title",
            "Lab Config",
            "--gateway-uid",
            &text("/gateway/uid"),
            "--folder-uid",
            &text("/shared_folder/uid"),
        ],
        &[],
    )
    .doc
}

#[test]
fn commander_finds_one_local_pam_configuration_bound_to_the_gateway_and_a_rerun_reuses_it() {
    let Some(python) = interop_python() else {
        return;
    };
    let sandbox = ServedSandbox::start();
    let made = new_with_pam(
        &sandbox,
        &[
            "--connections",
            "on",
            "--tunneling",
            "on",
            "--rotation",
            "on",
        ],
    );
    assert_eq!(made["pam_configuration"]["action"], "created");
    let config_uid = made["pam_configuration"]["uid"].clone();

    let seen = commander_check(&sandbox, &python, &made);
    assert_eq!(seen["config_uid"], config_uid);
    assert_eq!(seen["record_type"], "pamNetworkConfiguration");
    assert_eq!(seen["bound_gateway_uid"], made["gateway"]["uid"]);
    assert_eq!(seen["bound_gateway_name"], "pam-gw");
    assert_eq!(seen["listed_gateway_uid"], made["gateway"]["uid"]);
    assert_eq!(
        seen["allowed_settings"]["connections"], true,
        "settings as `pam config list -v` reads them: {seen}"
    );
    assert_eq!(seen["allowed_settings"]["tunneling"], true);
    assert_eq!(seen["allowed_settings"]["rotation"], true);
    assert!(
        seen["peer_errors"].as_array().is_some_and(Vec::is_empty),
        "{seen}"
    );

    // The gateway runs now; a re-run for it keeps the configuration.
    let again = new_with_pam(&sandbox, &["--existing"]);
    assert_eq!(again["pam_configuration"]["action"], "reused");
    assert_eq!(again["pam_configuration"]["uid"], config_uid);
    let seen = commander_check(&sandbox, &python, &again);
    assert_eq!(seen["config_uid"], config_uid, "still exactly one");
}

#[test]
fn a_configuration_commanders_pam_config_new_made_is_reused_by_a_rerun_for_its_gateway() {
    let Some(python) = interop_python() else {
        return;
    };
    let sandbox = ServedSandbox::start();
    // The gateway first, without a configuration; then Commander makes one for it.
    let mut command = sandbox.command();
    command.args(new_args(
        "Interop PAM",
        "Interop PAM App",
        "pam-gw",
        "linux",
    ));
    let output = run(command);
    assert!(output.status.success(), "new: {}", stderr(&output));
    let descriptor = sandbox.descriptor_path.to_string_lossy().into_owned();
    let made = run_script(
        &python,
        &python_home(&sandbox),
        "commander_pam_config_new.py",
        &[
            "--descriptor",
            &descriptor,
            "--title",
            "Lab Config",
            "--gateway",
            "pam-gw",
            "--folder",
            "Interop PAM",
        ],
        &[],
    )
    .doc;
    assert!(
        made["peer_errors"].as_array().is_some_and(Vec::is_empty),
        "{made}"
    );

    let again = new_with_pam(&sandbox, &["--existing"]);
    assert_eq!(again["pam_configuration"]["action"], "reused", "{again}");
    assert_eq!(again["pam_configuration"]["uid"], made["config_uid"]);
    assert_eq!(
        again["pam_configuration"]["settings"],
        serde_json::json!({"connections": true, "tunneling": true, "rotation": true, "recording": false}),
        "the switches Commander wrote, read back from the DAG"
    );
}
