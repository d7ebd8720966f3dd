//! `gw-provision apply -f FILE`: many gateways from a manifest, in one login and one sync.

use crate::support::{json, run, stderr, ServedSandbox};
use std::path::{Path, PathBuf};

fn manifest(dir: &Path, app: &str, names: impl IntoIterator<Item = String>) -> PathBuf {
    let mut text =
        format!("[defaults]\nfolder = \"{app} Folder\"\napp = \"{app}\"\nos = \"linux\"\n");
    for name in names {
        text.push_str(&format!("\n[[gateway]]\nname = \"{name}\"\n"));
    }
    let path = dir.join(format!("{}.toml", app.replace(' ', "-")));
    std::fs::write(&path, text).expect("write manifest");
    path
}

fn names(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("edge-{i:03}")).collect()
}

fn apply(sandbox: &ServedSandbox, file: &Path, extra: &[&str]) -> std::process::Output {
    let mut command = sandbox.command();
    command
        .args(["--output", "json", "apply", "-f"])
        .arg(file)
        .args(extra);
    run(command)
}

fn gateway_names(sandbox: &ServedSandbox, app: &str) -> Vec<String> {
    let mut command = sandbox.command();
    command.args(["--output", "json", "gateway", "list"]);
    let out = run(command);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut names: Vec<String> = json(&out)["gateways"]
        .as_array()
        .expect("array")
        .iter()
        .filter(|g| g["application"] == app)
        .map(|g| g["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn fifty_gateways_in_one_run_then_nothing_then_prune_removes_exactly_the_dropped_ten() {
    let sandbox = ServedSandbox::start();
    let dir = tempfile::tempdir().unwrap();
    let file = manifest(dir.path(), "Fleet App", names(0..50));
    // As an administrator would: `login` once (persistent login), then apply.
    let mut login = sandbox.command();
    login.arg("login");
    let logged_in = run(login);
    assert!(logged_in.status.success(), "{}", stderr(&logged_in));

    sandbox.reset_stats();
    let first = apply(&sandbox, &file, &[]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let doc = json(&first);
    assert_eq!(doc["summary"]["created"], 50, "{doc}");
    assert!(doc["gateways"][0]["token"].as_str().is_some());
    assert!(doc["gateways"][0]["install_command"].as_str().is_some());
    let counted = sandbox.stats();
    let total = counted["total"].as_u64().unwrap();
    // 8 + N: the saved session resumes (start_login, account_summary), then sync_down, the
    // folder (execute_v2_command), application_add, the incremental sync_down that looks for a
    // concurrent run's twin of the new folder and application, app_share_add, 50 ×
    // app_client_add, and ONE get_app_info: the gateway twin check done once for the
    // application after all 50 were added (`new` does one per gateway).
    assert_eq!(total, 8 + 50, "{counted}");
    assert_eq!(
        counted["requests"]["authentication/register_device"],
        serde_json::Value::Null,
        "{counted}"
    );
    assert_eq!(counted["requests"]["vault/app_client_add"], 50, "{counted}");
    assert_eq!(counted["requests"]["vault/get_app_info"], 1, "{counted}");
    assert_eq!(gateway_names(&sandbox, "Fleet App").len(), 50);

    let second = apply(&sandbox, &file, &[]);
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    let doc = json(&second);
    assert_eq!(doc["summary"]["created"], 0, "{doc}");
    assert_eq!(doc["summary"]["reused"], 50, "{doc}");
    assert!(doc["gateways"][0]["token"].is_null());

    let kept = manifest(dir.path(), "Fleet App", names(10..50));
    let without_yes = apply(&sandbox, &kept, &["--prune"]);
    assert_eq!(
        without_yes.status.code(),
        Some(2),
        "{}",
        stderr(&without_yes)
    );
    let pruned = apply(&sandbox, &kept, &["--prune", "--yes"]);
    assert_eq!(pruned.status.code(), Some(0), "{}", stderr(&pruned));
    let doc = json(&pruned);
    assert_eq!(doc["summary"]["removed"], 10, "{doc}");
    assert_eq!(gateway_names(&sandbox, "Fleet App"), names(10..50));
}

#[test]
fn dry_run_and_plan_change_nothing() {
    let sandbox = ServedSandbox::start();
    let dir = tempfile::tempdir().unwrap();
    let file = manifest(dir.path(), "Dry App", names(0..3));
    let dry = apply(&sandbox, &file, &["--dry-run"]);
    assert_eq!(dry.status.code(), Some(0), "{}", stderr(&dry));
    assert_eq!(json(&dry)["gateways"][0]["action"], "would-create");
    let mut command = sandbox.command();
    command.args(["plan", "-f"]).arg(&file);
    let plan = run(command);
    assert!(plan.status.success(), "{}", stderr(&plan));
    assert!(String::from_utf8_lossy(&plan.stdout).contains("3 created"));
    assert!(gateway_names(&sandbox, "Dry App").is_empty());
}

#[test]
fn manifest_errors_name_file_line_and_key_before_any_request() {
    let sandbox = ServedSandbox::start();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(
        &file,
        "[defaults]\nfolder = \"F\"\napp = \"A\"\nos = \"linux\"\n\n[[gateway]]\nname = \"a\"\nos = \"solaris\"\n",
    )
    .unwrap();
    sandbox.reset_stats();
    let out = apply(&sandbox, &file, &[]);
    assert_eq!(out.status.code(), Some(2));
    let message = stderr(&out);
    assert!(message.contains("bad.toml:8: os: "), "{message}");
    std::fs::write(&file, "[[gateway]]\nname = \"a\"\ncolour = \"red\"\n").unwrap();
    let out = apply(&sandbox, &file, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("bad.toml:3: "), "{}", stderr(&out));
    assert!(stderr(&out).contains("colour"), "{}", stderr(&out));
    assert_eq!(sandbox.stats()["total"], 0);
}

#[test]
fn a_failed_gateway_exits_8_with_its_reason_and_a_reapply_finishes_the_rest() {
    let sandbox = ServedSandbox::start();
    let dir = tempfile::tempdir().unwrap();
    let file = manifest(dir.path(), "Partial App", names(0..6));
    // Writes are never retried: exactly one gateway's app_client_add fails.
    sandbox.inject_fault("vault/app_client_add", "http_500", 1);
    let out = apply(&sandbox, &file, &[]);
    assert_eq!(out.status.code(), Some(8), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["summary"]["created"], 5, "{doc}");
    assert_eq!(doc["summary"]["failed"], 1, "{doc}");
    let failed: Vec<&serde_json::Value> = doc["gateways"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["action"] == "failed")
        .collect();
    assert!(
        failed[0]["error"]
            .as_str()
            .unwrap()
            .contains("injected fault"),
        "{doc}"
    );
    assert!(
        stderr(&out).contains("some gateways failed"),
        "{}",
        stderr(&out)
    );

    let again = apply(&sandbox, &file, &[]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    let doc = json(&again);
    assert_eq!(
        (
            doc["summary"]["created"].as_u64(),
            doc["summary"]["reused"].as_u64()
        ),
        (Some(1), Some(5)),
        "{doc}"
    );
    assert_eq!(gateway_names(&sandbox, "Partial App"), names(0..6));
}

#[test]
fn out_dir_holds_one_private_file_per_gateway_and_an_index() {
    let sandbox = ServedSandbox::start();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mixed.toml");
    std::fs::write(
        &file,
        "[defaults]\nfolder = \"Mixed\"\napp = \"Mixed App\"\n\n[[gateway]]\nname = \"lin\"\nos = \"linux\"\n\n[[gateway]]\nname = \"win\"\nos = \"windows\"\n\n[[gateway]]\nname = \"k1\"\nos = \"kubernetes\"\n\n[[gateway]]\nname = \"k2\"\nos = \"kubernetes\"\n",
    )
    .unwrap();
    let out_dir = dir.path().join("out");
    let out = apply(&sandbox, &file, &["--out-dir", out_dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for name in [
        "lin.sh",
        "win.token",
        "k1.yaml",
        "k2.yaml",
        "index.json",
        "kubernetes-secrets.yaml",
    ] {
        let path = out_dir.join(name);
        assert!(path.exists(), "{name}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{name}");
        }
    }
    let secrets = std::fs::read_to_string(out_dir.join("kubernetes-secrets.yaml")).unwrap();
    assert_eq!(secrets.matches("kind: Secret").count(), 2);
    // Each Kubernetes gateway's printed install uses the Secret its file holds and a release
    // of its own: run one after the other in the shared namespace, neither undoes the other.
    let doc = json(&out);
    for (index, slug) in [(2, "k1"), (3, "k2")] {
        let install = doc["gateways"][index]["install_command"].as_str().unwrap();
        let secret = format!("keeper-gateway-config-{slug}");
        assert!(secrets.contains(&format!("name: {secret}\n")), "{secrets}");
        assert!(
            install.contains(&format!("create secret generic {secret} ")),
            "{install}"
        );
        assert!(
            install.contains(&format!(
                "helm install keeper-gateway-{slug} keeper/keeper-gateway"
            )),
            "{install}"
        );
        assert!(install.ends_with(&format!("gateway.existingSecret={secret}")));
    }
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("index.json")).unwrap())
            .unwrap();
    assert_eq!(index["gateways"].as_array().unwrap().len(), 4);
}

#[test]
fn schema_is_json_with_every_gateway_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = crate::support::gw(dir.path());
    command.args(["apply", "--schema"]);
    let out = run(command);
    assert!(out.status.success(), "{}", stderr(&out));
    let schema = json(&out);
    assert!(schema["properties"]["gateway"]["items"]["properties"]["token_expiry"].is_object());
}

#[test]
fn replace_re_mints_only_the_named_gateway() {
    let sandbox = ServedSandbox::start();
    let dir = tempfile::tempdir().unwrap();
    let file = manifest(dir.path(), "Replace App", names(0..2));
    assert_eq!(apply(&sandbox, &file, &[]).status.code(), Some(0));
    let out = apply(&sandbox, &file, &["--replace", "EDGE-001", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["summary"]["replaced"], 1, "{doc}");
    assert_eq!(doc["summary"]["reused"], 1, "{doc}");
    assert!(doc["gateways"][1]["token"].as_str().is_some(), "{doc}");
    assert_eq!(gateway_names(&sandbox, "Replace App"), names(0..2));
}

#[test]
fn progress_is_plain_lines_on_stderr_in_a_log_and_stdout_carries_only_the_result() {
    let sandbox = ServedSandbox::start();
    let dir = tempfile::tempdir().unwrap();
    let file = manifest(dir.path(), "Lines App", names(0..20));
    let mut command = sandbox.command();
    command.args(["apply", "-f"]).arg(&file);
    let out = run(command);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    // Every tenth of the way, not a line per gateway.
    assert!(err.contains("gateways: 2/20 done"), "{err}");
    assert!(err.contains("gateways: 20/20 done"), "{err}");
    assert!(!err.contains("gateways: 3/20 done"), "{err}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("gateways: "), "{stdout}");
    assert!(stdout.contains("edge-019"), "{stdout}");
}

#[cfg(unix)]
#[test]
fn a_terminal_shows_a_bar_with_done_of_total() {
    use assert_cmd::cargo::cargo_bin;
    let sandbox = ServedSandbox::start();
    let dir = tempfile::tempdir().unwrap();
    let file = manifest(dir.path(), "Bar App", names(0..200));
    let mut command = sandbox.terminal_command(cargo_bin("gw-provision"));
    command
        .arg("--sandbox-descriptor")
        .arg(&sandbox.descriptor_path)
        .args(["apply", "--yes", "-f"])
        .arg(&file);
    let mut p = expectrl::Session::spawn(command).expect("spawn in a pty");
    p.set_expect_timeout(Some(std::time::Duration::from_secs(60)));
    p.expect(expectrl::Regex(r"Gateways \[[^\]]*\] \d+/200"))
        .expect("the fleet bar");
    p.expect("Totals:").expect("the summary");
    p.expect(expectrl::Eof).expect("exit");
}
