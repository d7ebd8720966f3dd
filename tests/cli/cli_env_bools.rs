//! Boolean flags read their environment variables the way most tools write them: `1`/`0`,
//! `true`/`false`, `yes`/`no`, `on`/`off`, in any case.

use crate::support::{json, new_args, run, stderr, ServedSandbox};

#[test]
fn non_interactive_variable_set_to_one_is_accepted() {
    let sandbox = ServedSandbox::start();
    let output = run({
        let mut c = sandbox.command();
        c.env("GW_PROVISION_NON_INTERACTIVE", "1")
            .args(["whoami", "--output", "json"]);
        c
    });
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert_eq!(json(&output)["user"], sandbox.descriptor["user"]);
}

#[test]
fn boolean_variables_take_any_case_of_on_and_off_words() {
    let sandbox = ServedSandbox::start();
    for (name, value) in [
        ("GW_PROVISION_NON_INTERACTIVE", "TRUE"),
        ("GW_PROVISION_NON_INTERACTIVE", "On"),
        ("GW_PROVISION_NON_INTERACTIVE", "no"),
        ("GW_PROVISION_NON_INTERACTIVE", "0"),
        ("GW_PROVISION_SSO_MASTER_PASSWORD", "false"),
        ("GW_PROVISION_SANDBOX", "off"),
        ("GW_PROVISION_PERSISTENT_LOGIN", ""),
    ] {
        let output = run({
            let mut c = sandbox.command();
            c.env(name, value).arg("whoami");
            c
        });
        assert!(
            output.status.success(),
            "{name}={value:?} failed: {}",
            stderr(&output)
        );
    }
}

#[test]
fn dry_run_variable_set_to_yes_makes_new_a_dry_run() {
    let sandbox = ServedSandbox::start();
    let output = run({
        let mut c = sandbox.command();
        c.env("GW_PROVISION_DRY_RUN", "yes")
            .args(new_args("F", "A", "edge-1", "linux"));
        c
    });
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let doc = json(&output);
    assert_eq!(doc["dry_run"], true);
    assert_eq!(doc["gateway"]["action"], "would-create");
}

#[test]
fn dry_run_variable_set_to_off_provisions() {
    let sandbox = ServedSandbox::start();
    let output = run({
        let mut c = sandbox.command();
        c.env("GW_PROVISION_DRY_RUN", "off")
            .args(new_args("F", "A", "edge-1", "linux"));
        c
    });
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let doc = json(&output);
    assert_eq!(doc["dry_run"], false);
    assert_eq!(doc["gateway"]["action"], "created");
}

#[test]
fn boolean_variable_with_another_word_is_a_usage_error_naming_it() {
    let sandbox = ServedSandbox::start();
    let output = run({
        let mut c = sandbox.command();
        c.env("GW_PROVISION_DRY_RUN", "maybe")
            .args(new_args("F", "A", "edge-1", "linux"));
        c
    });
    assert_eq!(output.status.code(), Some(2), "stderr: {}", stderr(&output));
    assert!(stderr(&output).contains("maybe"), "{}", stderr(&output));
}
