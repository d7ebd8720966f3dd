//! The `--output json` contract (issue 13, item 6): every command prints exactly one JSON object
//! on stdout, with `schema_version`, typed values, millisecond RFC 3339 timestamps and the
//! server as an object, and each real output validates against its published schema in
//! docs/json-schema/. Failures print `{"error": {code, exit, message, hint}}` on stdout while
//! the human line stays on stderr.

use crate::support::login::{account, Admin, PASSWORD};
use crate::support::{assert_matches_schema, json, new_args, run, stderr, ServedSandbox};
use serde_json::Value;
use std::process::Output;

/// stdout is exactly one JSON object (one line), which is returned.
fn one_object(output: &Output) -> Value {
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        text.trim_end().lines().count(),
        1,
        "stdout is not one line:\n{text}\nstderr:\n{}",
        stderr(output)
    );
    let doc = json(output);
    assert!(doc.is_object(), "{doc}");
    assert_eq!(doc["schema_version"], 1, "{doc}");
    doc
}

fn ok(mut command: std::process::Command) -> Value {
    let output = command.output().expect("run");
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    one_object(&output)
}

#[test]
fn new_prints_one_object_that_matches_its_schema_for_every_os() {
    let sandbox = ServedSandbox::start();
    for (gateway, os) in [
        ("edge-linux", "linux"),
        ("edge-windows", "windows"),
        ("edge-docker", "docker"),
        ("edge-k8s", "kubernetes"),
    ] {
        let doc = ok({
            let mut c = sandbox.command();
            c.args(new_args("F", "A", gateway, os));
            c
        });
        assert_matches_schema("new", &doc);
        assert_eq!(doc["server"]["sandbox"], true, "{doc}");
        assert_eq!(doc["server"]["region"], Value::Null, "{doc}");
        assert_eq!(doc["server"]["host"], sandbox.descriptor["host"], "{doc}");
    }
    let dry = ok({
        let mut c = sandbox.command();
        c.args(new_args("F", "A", "edge-dry", "linux"))
            .arg("--dry-run");
        c
    });
    assert_matches_schema("new", &dry);
    assert_eq!(dry["dry_run"], true);
    for dry_run in [true, false] {
        let with_pam = ok({
            let mut c = sandbox.command();
            c.args(new_args("F", "A", "edge-pam", "linux")).args([
                "--pam-config",
                "Lab Config",
                "--tunneling",
                "on",
            ]);
            if dry_run {
                c.arg("--dry-run");
            }
            c
        });
        assert_matches_schema("new", &with_pam);
        assert_eq!(with_pam["pam_configuration"]["settings"]["tunneling"], true);
    }
}

#[test]
fn token_expiry_is_rfc3339_utc_with_milliseconds() {
    let sandbox = ServedSandbox::start();
    let doc = ok({
        let mut c = sandbox.command();
        c.args(new_args("F", "A", "edge-1", "linux"));
        c
    });
    let expires = doc["token_expires_at"].as_str().expect("expiry");
    assert_eq!(expires.len(), "2026-11-30T21:01:32.671Z".len(), "{expires}");
    assert_eq!(&expires[19..20], ".", "{expires}");
    assert!(expires.ends_with('Z'), "{expires}");
}

#[test]
fn apply_prints_one_object_that_matches_its_schema_with_new_s_field_names() {
    let sandbox = ServedSandbox::start();
    let manifest = sandbox.dir.path().join("gateways.toml");
    std::fs::write(
        &manifest,
        "[defaults]\nfolder = \"F\"\napp = \"A\"\nos = \"linux\"\n\n\
         [[gateway]]\nname = \"edge-1\"\n\n[[gateway]]\nname = \"edge-2\"\nos = \"docker\"\n\n\
         [[gateway]]\nname = \"edge-3\"\nos = \"windows\"\npam_config = \"Edge 3 Config\"\n",
    )
    .unwrap();
    let doc = ok({
        let mut c = sandbox.command();
        c.args(["--output", "json", "apply", "-f"]).arg(&manifest);
        c
    });
    assert_matches_schema("apply", &doc);
    let with_pam = doc["gateways"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "edge-3")
        .unwrap();
    assert_eq!(
        with_pam["pam_configuration"]["title"], "Edge 3 Config",
        "{doc}"
    );
    let new = ok({
        let mut c = sandbox.command();
        c.args(new_args("F", "A", "edge-4", "docker"));
        c
    });
    // The fields a fleet gateway shares with `new` have the same names and types.
    let fleet_gateway = &doc["gateways"][1];
    for field in ["token_expires_at", "install_command", "config"] {
        assert_eq!(
            fleet_gateway[field].is_string(),
            new[field].is_string(),
            "{field}: {fleet_gateway} vs {new}"
        );
    }
    assert_eq!(doc["server"], new["server"]);

    let again = ok({
        let mut c = sandbox.command();
        c.args(["--output", "json", "plan", "-f"]).arg(&manifest);
        c
    });
    assert_matches_schema("apply", &again);
    assert_eq!(again["summary"]["reused"], 3, "{again}");
}

#[test]
fn list_commands_print_one_object_with_typed_rows() {
    let sandbox = ServedSandbox::start();
    ok({
        let mut c = sandbox.command();
        c.args(new_args("F", "A", "edge-1", "linux"));
        c
    });
    let gateways = ok({
        let mut c = sandbox.command();
        c.args(["gateway", "list", "--output", "json"]);
        c
    });
    assert_matches_schema("gateway-list", &gateways);
    let row = &gateways["gateways"][0];
    assert_eq!(row["name"], "edge-1");
    assert_eq!(row["initialized"], false, "a boolean, not a string: {row}");
    assert_eq!(row["application"], "A");

    let apps = ok({
        let mut c = sandbox.command();
        c.args(["app", "list", "--output", "json"]);
        c
    });
    assert_matches_schema("app-list", &apps);
    assert_eq!(apps["applications"][0]["title"], "A");

    let removed = ok({
        let mut c = sandbox.command();
        c.args(["gateway", "remove", "edge-1", "--yes", "--output", "json"]);
        c
    });
    assert_matches_schema("gateway-remove", &removed);
    assert_eq!(removed["removed"]["name"], "edge-1");
}

#[test]
fn whoami_login_and_logout_print_objects_that_match_their_schemas() {
    let sandbox = ServedSandbox::start();
    let demo = ok({
        let mut c = sandbox.command();
        c.args(["whoami", "--output", "json"]);
        c
    });
    assert_matches_schema("whoami", &demo);
    assert_eq!(demo["server"]["sandbox"], true);

    Admin::new(&sandbox).add_user("plain@example.com", serde_json::json!({}));
    let home = tempfile::tempdir().unwrap();
    let login = ok({
        let mut c = account(&sandbox, home.path(), "plain@example.com");
        c.env("KEEPER_PASSWORD", PASSWORD)
            .args(["login", "--output", "json"]);
        c
    });
    assert_matches_schema("login", &login);
    assert_eq!(login["user"], "plain@example.com");
    assert_eq!(login["persistent_login"], true);

    let whoami = ok({
        let mut c = account(&sandbox, home.path(), "plain@example.com");
        c.args(["whoami", "--output", "json"]);
        c
    });
    assert_matches_schema("whoami", &whoami);
    assert_eq!(whoami["user"], "plain@example.com");

    let logout = ok({
        let mut c = account(&sandbox, home.path(), "plain@example.com");
        c.args(["logout", "--output", "json"]);
        c
    });
    assert_matches_schema("logout", &logout);
    assert_eq!(logout["logged_out"], true);
    assert_eq!(logout["session_removed"], true);

    let again = ok({
        let mut c = account(&sandbox, home.path(), "plain@example.com");
        c.args(["logout", "--output", "json"]);
        c
    });
    assert_matches_schema("logout", &again);
    assert_eq!(again["logged_out"], false);
}

#[test]
fn a_failure_prints_the_error_object_on_stdout_and_the_line_on_stderr() {
    let sandbox = ServedSandbox::start();
    ok({
        let mut c = sandbox.command();
        c.args(new_args("F", "A", "edge-1", "linux"));
        c
    });
    let output = run({
        let mut c = sandbox.command();
        c.args(new_args("F", "A", "edge-1", "linux"));
        c
    });
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    let doc = one_object(&output);
    assert_matches_schema("error", &doc);
    assert_eq!(doc["error"]["code"], "gateway_exists");
    assert_eq!(doc["error"]["exit"], 4);
    assert!(doc["error"]["hint"]
        .as_str()
        .is_some_and(|h| h.contains("--replace")));
    assert!(stderr(&output).contains("error: "), "{}", stderr(&output));
}

#[test]
fn a_usage_error_is_json_when_json_was_asked_for() {
    let sandbox = ServedSandbox::start();
    let missing = run({
        let mut c = sandbox.command();
        c.args([
            "new",
            "--non-interactive",
            "--output",
            "json",
            "--folder",
            "F",
        ]);
        c
    });
    assert_eq!(missing.status.code(), Some(2));
    let doc = one_object(&missing);
    assert_matches_schema("error", &doc);
    assert_eq!(doc["error"]["code"], "missing_input");

    let refused_by_clap = run({
        let mut c = sandbox.command();
        c.args(["--output", "json", "new", "--os", "plan9"]);
        c
    });
    assert_eq!(refused_by_clap.status.code(), Some(2));
    let doc = one_object(&refused_by_clap);
    assert_matches_schema("error", &doc);
    assert_eq!(doc["error"]["code"], "usage");
    assert!(
        doc["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("plan9")),
        "{doc}"
    );
}

#[test]
fn the_error_object_never_holds_the_password_it_was_given() {
    let sandbox = ServedSandbox::start();
    Admin::new(&sandbox).add_user("plain@example.com", serde_json::json!({}));
    let home = tempfile::tempdir().unwrap();
    let wrong = "wrong-Pa55word-that-must-not-leak";
    let output = run({
        let mut c = account(&sandbox, home.path(), "plain@example.com");
        c.env("KEEPER_PASSWORD", wrong)
            .args(["login", "--output", "json"]);
        c
    });
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let doc = one_object(&output);
    assert_matches_schema("error", &doc);
    assert_eq!(doc["error"]["code"], "wrong_password");
    assert!(!doc.to_string().contains(wrong), "{doc}");
    assert!(!stderr(&output).contains(wrong));
}
