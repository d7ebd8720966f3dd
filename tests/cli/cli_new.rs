//! `gw-provision new` through the real binary against a sandbox: the flow, idempotency,
//! `--replace`, `--dry-run`, `--existing`, the JSON schema, and the other commands.

use crate::support::{assert_no_result, json, new_args, run, stderr, ServedSandbox};

#[test]
fn first_run_creates_everything_and_prints_a_token_and_install_command() {
    let sandbox = ServedSandbox::start();
    let mut command = sandbox.command();
    command.args(new_args(
        "Gateway Lab",
        "Gateway Lab App",
        "edge-1",
        "linux",
    ));
    let output = run(command);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let doc = json(&output);

    assert_eq!(doc["shared_folder"]["name"], "Gateway Lab");
    assert_eq!(doc["shared_folder"]["action"], "created");
    assert_eq!(doc["shared_folder"]["uid"].as_str().map(str::len), Some(22));
    assert_eq!(doc["application"]["name"], "Gateway Lab App");
    assert_eq!(doc["application"]["action"], "created");
    assert_eq!(doc["application"]["uid"].as_str().map(str::len), Some(22));
    assert_eq!(doc["share"]["editable"], true);
    assert_eq!(doc["share"]["action"], "created");
    assert_eq!(doc["gateway"]["name"], "edge-1");
    assert_eq!(doc["gateway"]["os"], "linux");
    assert_eq!(doc["gateway"]["action"], "created");
    let token = doc["token"].as_str().expect("token");
    let host = sandbox.descriptor["host"].as_str().unwrap();
    assert!(
        token.starts_with(&format!("{host}:")),
        "token prefix: {token}"
    );
    assert_eq!(token.rsplit(':').next().map(str::len), Some(43));
    let expires = doc["token_expires_at"].as_str().expect("expiry");
    assert!(
        time::OffsetDateTime::parse(expires, &time::format_description::well_known::Rfc3339)
            .is_ok()
    );
    assert_eq!(
        doc["install_command"],
        format!(
            "curl -fsSL https://keepersecurity.com/pam/install | sudo bash -s -- --token {token}"
        )
    );
    assert!(doc.get("config").is_none());
    assert_eq!(
        doc["server"],
        serde_json::json!({"region": null, "host": host, "sandbox": true})
    );
}

#[test]
fn second_run_reuses_folder_app_share_and_reports_gateway_conflict() {
    let sandbox = ServedSandbox::start();
    let first = run({
        let mut c = sandbox.command();
        c.args(new_args("F", "A", "edge-1", "linux"));
        c
    });
    assert!(first.status.success(), "stderr: {}", stderr(&first));
    let second = run({
        let mut c = sandbox.command();
        c.args(new_args("F", "A", "edge-1", "linux"));
        c
    });
    assert_eq!(second.status.code(), Some(4), "stderr: {}", stderr(&second));
    assert!(stderr(&second).contains("--replace"));
    let error = assert_no_result(&second);
    assert_eq!(
        error["code"], "gateway_exists",
        "only the error for a failure"
    );

    let third = run({
        let mut c = sandbox.command();
        c.args(new_args("F", "A", "edge-2", "linux"));
        c
    });
    assert!(third.status.success(), "stderr: {}", stderr(&third));
    let doc = json(&third);
    let first = json(&first);
    assert_eq!(doc["shared_folder"]["action"], "reused");
    assert_eq!(doc["shared_folder"]["uid"], first["shared_folder"]["uid"]);
    assert_eq!(doc["application"]["action"], "reused");
    assert_eq!(doc["application"]["uid"], first["application"]["uid"]);
    assert_eq!(doc["share"]["action"], "reused");
    assert_eq!(doc["gateway"]["action"], "created");
}

#[test]
fn replace_issues_a_new_token_for_the_same_gateway() {
    let sandbox = ServedSandbox::start();
    let first = run({
        let mut c = sandbox.command();
        c.args(new_args("F", "A", "edge-1", "linux"));
        c
    });
    assert!(first.status.success(), "stderr: {}", stderr(&first));
    let replaced = run({
        let mut c = sandbox.command();
        c.args(new_args("F", "A", "edge-1", "linux"))
            .args(["--replace", "--yes"]);
        c
    });
    assert!(replaced.status.success(), "stderr: {}", stderr(&replaced));
    let (first, replaced) = (json(&first), json(&replaced));
    assert_eq!(replaced["gateway"]["action"], "replaced");
    assert_ne!(replaced["token"], first["token"]);

    let list = run({
        let mut c = sandbox.command();
        c.args(["gateway", "list", "--output", "json"]);
        c
    });
    assert!(list.status.success(), "stderr: {}", stderr(&list));
    let gateways = json(&list);
    let named: Vec<_> = gateways["gateways"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["name"] == "edge-1")
        .collect();
    assert_eq!(
        named.len(),
        1,
        "exactly one edge-1 after --replace: {gateways}"
    );
}

#[test]
fn dry_run_changes_nothing() {
    let sandbox = ServedSandbox::start();
    let dry = run({
        let mut c = sandbox.command();
        c.args(new_args("F", "A", "edge-1", "linux"))
            .arg("--dry-run");
        c
    });
    assert!(dry.status.success(), "stderr: {}", stderr(&dry));
    let doc = json(&dry);
    assert_eq!(doc["shared_folder"]["action"], "would-create");
    assert_eq!(doc["application"]["action"], "would-create");
    assert_eq!(doc["share"]["action"], "would-create");
    assert_eq!(doc["gateway"]["action"], "would-create");
    assert!(doc["shared_folder"]["uid"].is_null());
    assert!(doc.get("token").is_none());

    let apps = run({
        let mut c = sandbox.command();
        c.args(["app", "list", "--output", "json"]);
        c
    });
    assert_eq!(json(&apps)["applications"], serde_json::json!([]));

    let real = run({
        let mut c = sandbox.command();
        c.args(new_args("F", "A", "edge-1", "linux"));
        c
    });
    assert_eq!(json(&real)["shared_folder"]["action"], "created");
}

#[test]
fn existing_gateway_prints_upgrade_command_without_token() {
    let sandbox = ServedSandbox::start();
    let first = run({
        let mut c = sandbox.command();
        c.args(new_args("F", "A", "edge-1", "macos"));
        c
    });
    assert!(first.status.success(), "stderr: {}", stderr(&first));
    let existing = run({
        let mut c = sandbox.command();
        c.args(new_args("F", "A", "edge-1", "macos"))
            .arg("--existing");
        c
    });
    assert!(existing.status.success(), "stderr: {}", stderr(&existing));
    let doc = json(&existing);
    assert!(doc.get("token").is_none());
    assert!(doc.get("token_expires_at").is_none());
    assert_eq!(doc["gateway"]["action"], "reused");
    assert_eq!(
        doc["install_command"],
        "curl -fsSL https://keepersecurity.com/pam/install | sudo bash -s --"
    );
}

#[test]
fn windows_json_has_no_install_command_but_the_token_and_the_silent_install_line() {
    let sandbox = ServedSandbox::start();
    let output = run({
        let mut c = sandbox.command();
        c.args(new_args("F", "A", "win-1", "windows"));
        c
    });
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let doc = json(&output);
    let token = doc["token"].as_str().expect("token");
    assert!(doc["install_command"].is_null(), "{doc}");
    assert_eq!(
        doc["windows_silent_install_command"],
        format!(
            "keeper-gateway_windows_x86_64.exe /verysilent /suppressmsgboxes /norestart /token={token}"
        )
    );
}

#[test]
fn windows_text_labels_the_token_and_points_to_the_installer() {
    let sandbox = ServedSandbox::start();
    let output = run({
        let mut c = sandbox.command();
        c.args([
            "new",
            "--non-interactive",
            "--folder",
            "F",
            "--app",
            "A",
            "--gateway",
            "win-1",
            "--os",
            "windows",
        ]);
        c
    });
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("One-Time Access Token (expires"), "{text}");
    assert!(text.contains("Keeper Gateway download page"), "{text}");
    assert!(text.contains("when the installer asks for it"), "{text}");
    assert!(text.contains("Or install silently"), "{text}");
    assert!(
        !text.contains("Run this on the gateway host"),
        "a token is not something to run: {text}"
    );
}

#[test]
fn docker_redeems_the_token_into_a_base64_gateway_config() {
    let sandbox = ServedSandbox::start();
    let output = run({
        let mut c = sandbox.command();
        c.args(new_args("F", "A", "dock-1", "docker"));
        c
    });
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let doc = json(&output);
    let config = doc["config"].as_str().expect("config");
    use base64::Engine;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(config)
        .expect("config is base64");
    let config_json: serde_json::Value = serde_json::from_slice(&decoded).expect("config is JSON");
    for key in [
        "hostname",
        "clientId",
        "privateKey",
        "serverPublicKeyId",
        "appKey",
    ] {
        assert!(
            config_json[key].as_str().is_some_and(|v| !v.is_empty()),
            "config has {key}: {config_json}"
        );
    }
    let command = doc["install_command"].as_str().unwrap();
    assert!(command.contains(&format!("GATEWAY_CONFIG=\"{config}\"")));
    assert!(command.ends_with("keeper/gateway:latest"));
    // The token was spent on the redeem: it is not offered beside the config.
    assert!(doc.get("token").is_none(), "{doc}");
    assert_eq!(doc["token_redeemed"], true);

    // Redemption happened locally, so the gateway shows as initialized.
    let list = run({
        let mut c = sandbox.command();
        c.args(["gateway", "list", "--output", "json"]);
        c
    });
    let gateways = json(&list);
    let gateway = gateways["gateways"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "dock-1")
        .expect("listed");
    assert_eq!(gateway["initialized"], true);
}

#[test]
fn gateway_remove_by_name_then_not_found() {
    let sandbox = ServedSandbox::start();
    let first = run({
        let mut c = sandbox.command();
        c.args(new_args("F", "A", "edge-1", "linux"));
        c
    });
    assert!(first.status.success(), "stderr: {}", stderr(&first));
    let removed = run({
        let mut c = sandbox.command();
        c.args(["gateway", "remove", "edge-1", "--yes"]);
        c
    });
    assert!(removed.status.success(), "stderr: {}", stderr(&removed));
    let again = run({
        let mut c = sandbox.command();
        c.args(["gateway", "remove", "edge-1", "--yes"]);
        c
    });
    assert_eq!(again.status.code(), Some(5), "stderr: {}", stderr(&again));
    // With the gateway gone, `new` can create it again without --replace.
    let recreated = run({
        let mut c = sandbox.command();
        c.args(new_args("F", "A", "edge-1", "linux"));
        c
    });
    assert!(recreated.status.success(), "stderr: {}", stderr(&recreated));
}

#[test]
fn whoami_names_the_sandbox_account() {
    let sandbox = ServedSandbox::start();
    let output = run({
        let mut c = sandbox.command();
        c.args(["whoami", "--output", "json"]);
        c
    });
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert_eq!(json(&output)["user"], sandbox.descriptor["user"]);
}

/// The text of a `new --os OS` run against `sandbox`.
fn text_of(sandbox: &ServedSandbox, gateway: &str, os: &str) -> String {
    let output = run({
        let mut c = sandbox.command();
        c.args([
            "new",
            "--non-interactive",
            "--folder",
            "F",
            "--app",
            "A",
            "--gateway",
            gateway,
            "--os",
            os,
        ]);
        c
    });
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn docker_text_says_the_token_was_redeemed_and_prints_the_config_once() {
    let sandbox = ServedSandbox::start();
    let text = text_of(&sandbox, "dock-1", "docker");
    let host = sandbox.descriptor["host"].as_str().unwrap();
    assert!(
        !text
            .lines()
            .any(|l| l.trim_start().starts_with(&format!("{host}:"))),
        "the spent token is not shown: {text}"
    );
    assert!(
        text.contains("One-Time Access Token: redeemed here into the gateway config below"),
        "{text}"
    );
    let config = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("export GATEWAY_CONFIG=\""))
        .and_then(|rest| rest.strip_suffix('"'))
        .expect("the config, once");
    assert_eq!(text.matches(config).count(), 1, "{text}");
    assert!(text.contains("GATEWAY_CONFIG: ${GATEWAY_CONFIG}"), "{text}");
    assert!(
        text.contains("https://raw.githubusercontent.com/Keeper-Security/KeeperPAM/main/gateway/docker-seccomp.json"),
        "where docker-seccomp.json comes from: {text}"
    );
}

#[test]
fn kubernetes_text_creates_the_namespace_then_the_secret_then_installs_with_helm() {
    let sandbox = ServedSandbox::start();
    let text = text_of(&sandbox, "k8s-1", "kubernetes");
    let position = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("{needle:?} missing: {text}"))
    };
    let namespace = position("kubectl create namespace keeper-gateway");
    let secret = position("kubectl create secret generic keeper-gateway-config");
    let apply = position("| kubectl apply -f -");
    let helm = position("helm install keeper-gateway");
    assert!(
        namespace < secret && secret < apply && apply < helm,
        "{text}"
    );
    let config = text[secret..]
        .split("--from-literal=gateway-config=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the config");
    assert_eq!(
        text.matches(config).count(),
        1,
        "the config is printed once: {text}"
    );
    assert!(
        text.contains("redeemed here into the gateway config"),
        "{text}"
    );
}
