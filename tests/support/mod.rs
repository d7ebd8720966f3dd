//! The one support tree every integration test binary includes (`#[path = "../support/mod.rs"]
//! mod support;`): this module's helpers drive the real binary against a served sandbox; the
//! submodules hold the rest.
#![allow(dead_code)]

pub mod accounts;
pub mod fake_keeper;
pub mod interop;
pub mod login;
pub mod sandbox;

use assert_cmd::cargo::CommandCargoExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A `gw-provision sandbox serve` child process, killed on drop.
pub struct ServedSandbox {
    child: Child,
    /// Temporary directory holding state and descriptor.
    pub dir: tempfile::TempDir,
    /// The descriptor file.
    pub descriptor_path: PathBuf,
    /// The parsed descriptor.
    pub descriptor: serde_json::Value,
}

impl ServedSandbox {
    /// Starts a sandbox with fresh state and waits for its descriptor.
    pub fn start() -> ServedSandbox {
        let dir = tempfile::tempdir().expect("tempdir");
        let descriptor_path = dir.path().join("descriptor.json");
        let child = Command::cargo_bin("gw-provision")
            .expect("binary")
            .args(["sandbox", "serve", "--state"])
            .arg(dir.path().join("state"))
            .arg("--descriptor")
            .arg(&descriptor_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn sandbox");
        let deadline = Instant::now() + Duration::from_secs(60);
        let descriptor = loop {
            if let Ok(text) = std::fs::read_to_string(&descriptor_path) {
                if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
                    break value;
                }
            }
            assert!(
                Instant::now() < deadline,
                "sandbox did not write its descriptor"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        ServedSandbox {
            child,
            dir,
            descriptor_path,
            descriptor,
        }
    }

    /// A command for the binary pointed at this sandbox, non-interactive, with its own HOME.
    pub fn command(&self) -> Command {
        let mut command = gw(self.dir.path());
        command
            .arg("--sandbox-descriptor")
            .arg(&self.descriptor_path);
        command
    }

    /// `program` (the binary, or a shell around it) as a person's terminal runs it: nothing of
    /// the test's environment but PATH, this sandbox's directory as HOME, an xterm, no colour.
    pub fn terminal_command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("TERM", "xterm")
            .env("NO_COLOR", "1");
        command
    }

    /// A blocking HTTPS client that trusts this sandbox's CA, for its loopback admin routes.
    pub fn admin_client(&self) -> reqwest::blocking::Client {
        let ca = self.descriptor["ca_cert_pem"].as_str().expect("ca");
        reqwest::blocking::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(ca.as_bytes()).expect("ca pem"))
            .build()
            .expect("client")
    }

    /// The URL of admin route `route` (`faults`, `stats`, …).
    pub fn admin_url(&self, route: &str) -> String {
        format!(
            "{}/__sandbox/{route}",
            self.descriptor["url"].as_str().expect("url")
        )
    }

    /// Keeper API requests per endpoint since start or the last reset (`GET /__sandbox/stats`).
    pub fn stats(&self) -> serde_json::Value {
        let response = self
            .admin_client()
            .get(self.admin_url("stats"))
            .send()
            .expect("stats");
        assert!(response.status().is_success(), "{}", response.status());
        response.json().expect("stats json")
    }

    /// Sets the request counts to zero (`DELETE /__sandbox/stats`).
    pub fn reset_stats(&self) {
        let response = self
            .admin_client()
            .delete(self.admin_url("stats"))
            .send()
            .expect("reset");
        assert!(response.status().is_success(), "{}", response.status());
    }

    /// Makes the next `count` calls to `endpoint` fail with `fault` (see `sandbox::faults`).
    pub fn inject_fault(&self, endpoint: &str, fault: &str, count: u32) {
        let body =
            serde_json::json!({"rules": [{"endpoint": endpoint, "fault": fault, "count": count}]});
        let response = self
            .admin_client()
            .post(self.admin_url("faults"))
            .json(&body)
            .send()
            .expect("admin route");
        assert!(
            response.status().is_success(),
            "fault not accepted: {}",
            response.status()
        );
    }
}

impl Drop for ServedSandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The binary with a private HOME/XDG dirs under `home`, non-interactive, no colour.
pub fn gw(home: &Path) -> Command {
    let mut command = Command::cargo_bin("gw-provision").expect("binary");
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("NO_COLOR", "1")
        .env("CI", "true")
        // `login` turns persistent login on only with consent; these runs give it (tests of the
        // default remove the variable).
        .env("GW_PROVISION_PERSISTENT_LOGIN", "true")
        .stdin(Stdio::null());
    command
}

/// Runs and returns the output.
pub fn run(mut command: Command) -> Output {
    command.output().expect("run gw-provision")
}

/// Parses stdout as one JSON object.
pub fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// A failed run's stdout holds no result: nothing (text), or with `--output json` only the
/// `{"error": …}` object, whose `exit` is the run's exit code. Returns that object's `error`.
pub fn assert_no_result(output: &Output) -> serde_json::Value {
    if output.stdout.is_empty() {
        return serde_json::Value::Null;
    }
    let doc = json(output);
    let keys: Vec<&String> = doc
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(
        keys,
        ["error", "schema_version"],
        "only the error object: {doc}"
    );
    assert_eq!(
        doc["error"]["exit"].as_i64(),
        output.status.code().map(i64::from),
        "{doc}"
    );
    doc["error"].clone()
}

/// Checks `doc` against docs/json-schema/`name`.json (formats included), and that every
/// top-level field it prints is documented there.
pub fn assert_matches_schema(name: &str, doc: &serde_json::Value) {
    let path = format!(
        "{}/docs/json-schema/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("schema file")).expect("json");
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{name}.json is not a valid schema: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{name}: {errors:#?}\n{doc:#}");
    if let (Some(fields), Some(declared)) = (doc.as_object(), schema["properties"].as_object()) {
        for field in fields.keys() {
            assert!(
                declared.contains_key(field),
                "{name}: `{field}` is printed but not documented in {name}.json"
            );
        }
    }
}

/// stderr as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The `new` arguments for a fixed folder/app/gateway.
pub fn new_args<'a>(folder: &'a str, app: &'a str, gateway: &'a str, os: &'a str) -> Vec<&'a str> {
    vec![
        "new",
        "--non-interactive",
        "--output",
        "json",
        "--folder",
        folder,
        "--app",
        app,
        "--gateway",
        gateway,
        "--os",
        os,
    ]
}
