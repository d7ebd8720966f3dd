//! `new --token-file`: the secret goes to a private file, never to stdout.

use crate::support::{json, new_args, run, stderr, ServedSandbox};

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn token_file_holds_the_token_with_mode_0600_and_json_omits_it() {
    let sandbox = ServedSandbox::start();
    let path = sandbox.dir.path().join("edge-1.token");
    let output = run({
        let mut c = sandbox.command();
        c.args(new_args("F", "A", "edge-1", "linux"))
            .arg("--token-file")
            .arg(&path);
        c
    });
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let token = std::fs::read_to_string(&path).expect("token file");
    let host = sandbox.descriptor["host"].as_str().unwrap();
    assert!(token.starts_with(&format!("{host}:")), "{token}");
    #[cfg(unix)]
    assert_eq!(mode(&path), 0o600);

    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        !stdout.contains(&token),
        "the token leaked to stdout: {stdout}"
    );
    let doc = json(&output);
    assert!(doc.get("token").is_none(), "{doc}");
    assert_eq!(doc["token_file"], path.to_string_lossy().as_ref());
    assert!(doc["install_command"].as_str().unwrap().contains("<TOKEN>"));
}

#[test]
fn token_file_text_says_where_the_token_went() {
    let sandbox = ServedSandbox::start();
    let path = sandbox.dir.path().join("win.token");
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
            "--token-file",
        ])
        .arg(&path);
        c
    });
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let token = std::fs::read_to_string(&path).expect("token file");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("token written to {}", path.display())),
        "{stdout}"
    );
    assert!(
        !stdout.contains(&token),
        "the token leaked to stdout: {stdout}"
    );
}

#[test]
fn token_file_holds_the_docker_config_and_json_omits_it() {
    let sandbox = ServedSandbox::start();
    let path = sandbox.dir.path().join("dock.config");
    let output = run({
        let mut c = sandbox.command();
        c.args(new_args("F", "A", "dock-1", "docker"))
            .arg("--token-file")
            .arg(&path);
        c
    });
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let config = std::fs::read_to_string(&path).expect("config file");
    #[cfg(unix)]
    assert_eq!(mode(&path), 0o600);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains(&config), "the config leaked to stdout");
    let doc = json(&output);
    assert!(
        doc.get("config").is_none() && doc.get("token").is_none(),
        "{doc}"
    );
    assert_eq!(doc["token_file"], path.to_string_lossy().as_ref());
}

#[test]
fn token_file_in_a_missing_directory_is_a_usage_error_before_any_change() {
    let sandbox = ServedSandbox::start();
    let path = sandbox.dir.path().join("no-such-dir").join("token");
    let output = run({
        let mut c = sandbox.command();
        c.args(new_args("F", "A", "edge-1", "linux"))
            .arg("--token-file")
            .arg(&path);
        c
    });
    assert_eq!(output.status.code(), Some(2), "stderr: {}", stderr(&output));
    let apps = run({
        let mut c = sandbox.command();
        c.args(["app", "list", "--output", "json"]);
        c
    });
    assert_eq!(json(&apps)["applications"], serde_json::json!([]));
}
