//! No password, data key, device key, clone code or session token is ever printed: every login
//! path runs at `-vvv` and its whole output is searched for those values (b64url, base64, hex).

use crate::support::login::{
    account, all_output, config_path, run_within, totp_now, Admin, Pty, Secrets, PASSWORD,
};
use crate::support::{gw, new_args, stderr, ServedSandbox};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs commands, keeps their output, and learns the secrets they created along the way.
struct Recorder<'a> {
    sandbox: &'a ServedSandbox,
    secrets: Secrets,
    outputs: Vec<(String, String)>,
    configs: Vec<PathBuf>,
    state_secrets: usize,
}

impl<'a> Recorder<'a> {
    fn new(sandbox: &'a ServedSandbox) -> Recorder<'a> {
        let mut secrets = Secrets::default();
        secrets.text("the test password", PASSWORD);
        secrets.text(
            "the seeded password",
            sandbox.descriptor["password"].as_str().unwrap(),
        );
        Recorder {
            sandbox,
            secrets,
            outputs: Vec::new(),
            configs: Vec::new(),
            state_secrets: 0,
        }
    }

    fn watch_config(&mut self, path: &Path) {
        self.configs.push(path.to_path_buf());
    }

    fn learn(&mut self) {
        for path in &self.configs {
            self.secrets.learn_config(path);
        }
        self.state_secrets += self.secrets.learn_sandbox_state(self.sandbox);
    }

    fn run(&mut self, label: &str, mut command: Command) -> Output {
        command.arg("-vvv");
        let output = run_within(command);
        self.outputs.push((label.to_owned(), all_output(&output)));
        self.learn();
        output
    }

    fn ok(&mut self, label: &str, command: Command) {
        let output = self.run(label, command);
        assert!(output.status.success(), "{label}: {}", stderr(&output));
    }

    fn terminal(&mut self, label: &str, pty: Pty) {
        self.outputs.push((label.to_owned(), pty.transcript));
        self.learn();
    }

    fn check(self) {
        assert!(
            self.state_secrets > 0,
            "no session token or data key found to search for"
        );
        for (label, output) in &self.outputs {
            assert!(
                output.contains("TRACE") || output.contains("DEBUG"),
                "{label} ran at -vvv"
            );
            self.secrets.assert_absent(output, label);
        }
    }
}

fn seeded(sandbox: &ServedSandbox, home: &Path, config: &Path) -> Command {
    let mut command = gw(home);
    command
        .arg("--sandbox-descriptor")
        .arg(&sandbox.descriptor_path)
        .arg("--config")
        .arg(config);
    command
}

#[test]
fn seeded_account_paths_print_no_secret_at_trace_level() {
    let sandbox = ServedSandbox::start();
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("gw.json");
    let mut recorder = Recorder::new(&sandbox);
    recorder.watch_config(&config);

    recorder.ok("demo new", {
        let mut c = sandbox.command();
        c.args(new_args("Demo F", "Demo A", "demo-1", "linux"));
        c
    });
    recorder.ok("login", {
        let mut c = seeded(&sandbox, home.path(), &config);
        c.arg("login");
        c
    });
    recorder.ok("whoami by clone code", {
        let mut c = seeded(&sandbox, home.path(), &config);
        c.arg("whoami");
        c
    });
    recorder.ok("new by clone code", {
        let mut c = seeded(&sandbox, home.path(), &config);
        c.args(new_args("F", "A", "edge-1", "docker"));
        c
    });
    let encoded = gw_provision::keeper::crypto::b64_std_encode(&std::fs::read(&config).unwrap());
    recorder.secrets.text("the base64 config", &encoded);
    recorder.ok("base64 config", {
        let mut c = gw(home.path());
        c.env("GW_PROVISION_CONFIG_B64", &encoded)
            .arg("--sandbox-descriptor")
            .arg(&sandbox.descriptor_path)
            .arg("whoami");
        c
    });
    recorder.ok("logout", {
        let mut c = seeded(&sandbox, home.path(), &config);
        c.arg("logout");
        c
    });
    let mut wrong = sandbox.descriptor.clone();
    wrong["password"] = "a-wrong-password-value".into();
    recorder
        .secrets
        .text("a wrong password", "a-wrong-password-value");
    let wrong_path = home.path().join("wrong.json");
    std::fs::write(&wrong_path, wrong.to_string()).unwrap();
    let failed = recorder.run("wrong password", {
        let mut c = gw(home.path());
        c.arg("--sandbox-descriptor").arg(&wrong_path).arg("whoami");
        c
    });
    assert_eq!(failed.status.code(), Some(3));

    recorder.check();
}

#[test]
fn every_login_path_prints_no_secret_at_trace_level() {
    let sandbox = ServedSandbox::start();
    let admin = Admin::new(&sandbox);
    let totp_secret = "JBSWY3DPEHPK3PXP";
    let port = sandbox.descriptor["host"]
        .as_str()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned();
    admin.add_user("plain@example.com", json!({}));
    admin.add_user("totp@example.com", json!({ "totp_secret": totp_secret }));
    admin.add_user("approve@example.com", json!({"device_approval": "email"}));
    admin.add_user("sso@example.com", json!({"sso_master_password": true}));
    admin.add_user(
        "eu@example.com",
        json!({"region_redirect": format!("localhost:{port}")}),
    );
    admin.add_user("locked@example.com", json!({"locked": true}));
    let mut recorder = Recorder::new(&sandbox);
    recorder.secrets.text("the TOTP secret", totp_secret);

    // Each account in its own home, so each has its own saved config to learn secrets from.
    let homes: Vec<_> = (0..6).map(|_| tempfile::tempdir().unwrap()).collect();
    for home in &homes {
        recorder.watch_config(&config_path(home.path()));
    }
    let with_password = |home: &Path, email: &str, args: &[&str]| {
        let mut c = account(&sandbox, home, email);
        c.env("KEEPER_PASSWORD", PASSWORD).args(args);
        c
    };

    recorder.ok(
        "password login",
        with_password(homes[0].path(), "plain@example.com", &["login"]),
    );
    recorder.ok("resume", {
        let mut c = account(&sandbox, homes[0].path(), "plain@example.com");
        c.arg("whoami");
        c
    });
    admin.expire_sessions("plain@example.com");
    recorder.run("expired, no password", {
        let mut c = account(&sandbox, homes[0].path(), "plain@example.com");
        c.arg("whoami");
        c
    });
    recorder.ok(
        "expired, password",
        with_password(homes[0].path(), "plain@example.com", &["whoami"]),
    );
    recorder.ok(
        "sso master password",
        with_password(
            homes[1].path(),
            "sso@example.com",
            &["login", "--sso-master-password"],
        ),
    );
    recorder.ok(
        "region redirect",
        with_password(homes[2].path(), "eu@example.com", &["login"]),
    );
    recorder.run(
        "locked",
        with_password(homes[3].path(), "locked@example.com", &["login"]),
    );
    recorder.run(
        "two-factor, no terminal",
        with_password(homes[4].path(), "totp@example.com", &["login"]),
    );
    recorder.run(
        "approval, no terminal",
        with_password(homes[5].path(), "approve@example.com", &["login"]),
    );

    let env = [("KEEPER_PASSWORD", PASSWORD)];
    let mut p = Pty::spawn(
        &sandbox.descriptor_path,
        homes[4].path(),
        &env,
        &[
            "-vvv",
            "--user",
            "totp@example.com",
            "--remember-device",
            "30d",
            "login",
        ],
    );
    p.expect("Two-factor code");
    p.line(&totp_now(totp_secret));
    p.expect("Logged in as");
    assert_eq!(p.finish(), 0, "{}", p.transcript);
    recorder.terminal("two-factor in a terminal", p);

    let mut p = Pty::spawn(
        &sandbox.descriptor_path,
        homes[5].path(),
        &env,
        &["-vvv", "--user", "approve@example.com", "login"],
    );
    p.expect("Approve this device by");
    p.choose("Use my two-factor code", 0);
    p.expect("Code from the e-mail");
    p.line(&admin.email_code("approve@example.com"));
    p.expect("Logged in as");
    assert_eq!(p.finish(), 0, "{}", p.transcript);
    recorder.terminal("device approval in a terminal", p);

    recorder.check();
}

#[test]
fn the_search_finds_a_secret_in_each_encoding() {
    use gw_provision::keeper::crypto::{b64_std_encode, b64url_encode};
    let value = [0xfb; 20];
    let mut secrets = Secrets::default();
    secrets.bytes("key", &value);
    let hex: String = value.iter().map(|b| format!("{b:02x}")).collect();
    for printed in [b64_std_encode(&value), b64url_encode(&value), hex] {
        let found =
            std::panic::catch_unwind(|| secrets.assert_absent(&format!("x{printed}x"), "t"));
        assert!(found.is_err(), "{printed} was not recognised");
    }
}
