//! Helpers for the login tests: sandbox accounts through the admin routes (issue 5 contract),
//! RFC 6238 codes, runs with a deadline, pseudo-terminal sessions with a transcript, and the
//! secrets a run must never print.
#![allow(dead_code)]

use super::{gw, ServedSandbox};
use assert_cmd::cargo::cargo_bin;
use gw_provision::keeper::auth::{self, DeviceCredentials, LoginOptions, LoginOutcome};
use gw_provision::keeper::crypto::{b64url_decode, b64url_encode, EcPublicKey};
use gw_provision::keeper::transport::{Transport, TransportOptions};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Password of every account the tests add.
pub const PASSWORD: &str = "Tr0ub4dor&3-login-tests";
/// How long a command may take before the test calls it a hang.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// The sandbox's loopback-only admin routes.
pub struct Admin {
    client: reqwest::blocking::Client,
    url: String,
}

impl Admin {
    /// A client trusting the sandbox's CA.
    pub fn new(sandbox: &ServedSandbox) -> Admin {
        let ca = sandbox.descriptor["ca_cert_pem"].as_str().expect("ca");
        let client = reqwest::blocking::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(ca.as_bytes()).expect("ca pem"))
            .build()
            .expect("client");
        let url = sandbox.descriptor["url"].as_str().expect("url").to_owned();
        Admin { client, url }
    }

    fn post(&self, route: &str, body: Value) -> reqwest::blocking::Response {
        let response = self
            .client
            .post(format!("{}/__sandbox/{route}", self.url))
            .json(&body)
            .send()
            .expect("admin route");
        response
    }

    /// Adds an account: `{"email", "password"}` plus the contract's options.
    pub fn add_user(&self, email: &str, options: Value) {
        let mut body = json!({"email": email, "password": PASSWORD});
        if let (Some(body), Some(options)) = (body.as_object_mut(), options.as_object()) {
            body.extend(options.clone());
        }
        let response = self.post("users", body);
        assert_eq!(response.status().as_u16(), 201, "add user {email}");
    }

    /// The e-mail code of the newest pending device approval of `email`.
    pub fn email_code(&self, email: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let reply: Value = self
                .client
                .get(format!(
                    "{}/__sandbox/device-approvals?email={}",
                    self.url,
                    query_escape(email)
                ))
                .send()
                .expect("device approvals")
                .json()
                .expect("json");
            let code = reply["pending"]
                .as_array()
                .and_then(|p| p.iter().rev().find_map(|d| d["email_code"].as_str()));
            if let Some(code) = code {
                return code.to_owned();
            }
            assert!(
                Instant::now() < deadline,
                "no e-mail code for {email}: {reply}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Approves every pending device of `email` (what a Keeper Push approval does).
    pub fn approve_device(&self, email: &str) {
        let response = self.post("approve-device", json!({ "email": email }));
        assert!(response.status().is_success(), "approve {email}");
    }

    /// `GET /__sandbox/two-factor`: the SMS/Duo/RSA code, backup codes, pushes, last answer.
    pub fn two_factor(&self, email: &str) -> Value {
        self.client
            .get(format!(
                "{}/__sandbox/two-factor?email={}",
                self.url,
                query_escape(email)
            ))
            .send()
            .expect("two-factor")
            .json()
            .expect("json")
    }

    /// Approves the Duo / Keeper pushes the logins of `email` wait for; returns how many.
    pub fn approve_push(&self, email: &str) -> u64 {
        let reply: Value = self
            .post("approve-push", json!({ "email": email }))
            .json()
            .expect("json");
        reply["approved"].as_u64().expect("approved count")
    }

    /// Signs in at the identity provider with a Cloud SSO login's URL; the token to paste.
    pub fn sso_token(&self, url: &str) -> String {
        let response = self.post("sso-login", json!({ "url": url }));
        assert_eq!(response.status().as_u16(), 200, "sso-login {url}");
        let reply: Value = response.json().expect("json");
        reply["token"].as_str().expect("token").to_owned()
    }

    /// Ends every session of `email` on the server.
    pub fn expire_sessions(&self, email: &str) {
        let response = self.post("expire-sessions", json!({ "email": email }));
        assert!(response.status().is_success(), "expire sessions of {email}");
    }
}

/// Logs `email` in with the library (approving the device by push when asked) and enables
/// persistent login, as a Commander user who ran `this-device persistent-login on` would have.
pub fn library_device(sandbox: &ServedSandbox, email: &str, password: &str) -> DeviceCredentials {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let descriptor = &sandbox.descriptor;
    let key = b64url_decode(descriptor["server_public_key"].as_str().unwrap()).unwrap();
    let mut options = TransportOptions::new(descriptor["host"].as_str().unwrap().parse().unwrap());
    options.custom_server_key = Some((
        descriptor["server_key_id"].as_i64().unwrap() as i32,
        EcPublicKey::from_uncompressed(&key).unwrap(),
    ));
    options.ca_cert_pem = Some(descriptor["ca_cert_pem"].as_str().unwrap().to_owned());
    let transport = Transport::new(options).unwrap();
    let mut outcome = runtime
        .block_on(auth::start_login(
            &transport,
            None,
            email,
            &LoginOptions::default(),
        ))
        .unwrap();
    loop {
        outcome = match outcome {
            LoginOutcome::NeedsDeviceApproval(step) => {
                runtime.block_on(step.send_keeper_push()).unwrap();
                Admin::new(sandbox).approve_device(email);
                runtime.block_on(step.resume()).unwrap()
            }
            LoginOutcome::NeedsPassword(step) => runtime.block_on(step.verify(password)).unwrap(),
            LoginOutcome::LoggedIn(session) => {
                runtime
                    .block_on(session.set_persistent_login(true))
                    .unwrap();
                runtime
                    .block_on(session.register_data_key_for_device())
                    .unwrap();
                return session.device_credentials().unwrap().clone();
            }
            other => panic!("unexpected login step {other:?}"),
        }
    }
}

/// A config.json as Commander writes it, with keys gw-provision does not know.
pub fn write_commander_config(path: &Path, device: &DeviceCredentials) {
    let config = json!({
        "server": device.server.host(),
        "user": device.username,
        "device_token": b64url_encode(device.device_token.as_bytes()),
        "private_key": b64url_encode(&device.device_private_key.to_bytes()),
        "clone_code": b64url_encode(device.clone_code.as_ref().unwrap().as_bytes()),
        "debug": false,
        "logout_timer": 60,
        "commands": ["sync-down"],
        "proxy": null
    });
    std::fs::write(path, serde_json::to_string_pretty(&config).unwrap()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o640)).unwrap();
    }
}

/// The binary pointed at `sandbox` for account `email`, with its own home, non-interactive.
pub fn account(sandbox: &ServedSandbox, home: &Path, email: &str) -> Command {
    let mut command = gw(home);
    command
        .arg("--sandbox-descriptor")
        .arg(&sandbox.descriptor_path)
        .args(["--user", email]);
    command
}

/// Where a sandbox account run keeps its config by default.
pub fn config_path(home: &Path) -> PathBuf {
    home.join("config")
        .join("gw-provision")
        .join("sandbox-config.json")
}

/// The saved config as JSON.
pub fn read_config(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("config file")).expect("json")
}

/// Runs `command`, failing the test if it is still running after [`DEADLINE`] (a hang).
pub fn run_within(mut command: Command) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn gw-provision");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut buffer = Vec::new();
        let _ = stdout.read_to_end(&mut buffer);
        buffer
    });
    let err = std::thread::spawn(move || {
        let mut buffer = Vec::new();
        let _ = stderr.read_to_end(&mut buffer);
        buffer
    });
    let deadline = Instant::now() + DEADLINE;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("gw-provision hung for {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    }
}

/// stdout and stderr of a run, for searching.
pub fn all_output(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The endpoints a `-vv` run logged, in order.
pub fn endpoints_called(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|l| l.contains(" POST "))
        .filter_map(|l| l.split("endpoint=\"").nth(1))
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

/// RFC 4648 base32 (the alphabet authenticator apps use), case-insensitive, padding ignored.
pub fn base32_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits = 0u64;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text
        .bytes()
        .filter(|c| *c != b'=' && !c.is_ascii_whitespace())
    {
        let value = ALPHABET
            .iter()
            .position(|a| *a == c.to_ascii_uppercase())
            .expect("base32 character") as u64;
        bits = (bits << 5) | value;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    out
}

/// RFC 6238 TOTP: HMAC-SHA1 over the 30-second counter, dynamic truncation, 6 digits.
pub fn totp(secret: &[u8], unix_seconds: u64) -> String {
    let counter = unix_seconds / 30;
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret).expect("any key length");
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[19] & 0x0f) as usize;
    let value = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    format!("{:06}", value % 1_000_000)
}

/// The current code for a base32 secret, waiting out the last seconds of a period so the code
/// is still valid when the server checks it.
pub fn totp_now(secret_base32: &str) -> String {
    let now = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock")
            .as_secs()
    };
    if now() % 30 > 26 {
        std::thread::sleep(Duration::from_secs(4));
    }
    totp(&base32_decode(secret_base32), now())
}

/// A run of the binary in a pseudo-terminal, with everything it printed kept.
pub struct Pty {
    session: expectrl::Session,
    /// Everything read so far.
    pub transcript: String,
    /// Everything read so far, as the bytes the terminal got.
    raw: Vec<u8>,
}

impl Pty {
    /// Spawns the binary in a terminal against the sandbox `descriptor` with `args`.
    pub fn spawn(descriptor: &Path, home: &Path, env: &[(&str, &str)], args: &[&str]) -> Pty {
        let mut command = Command::new(cargo_bin("gw-provision"));
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("TERM", "xterm")
            .env("NO_COLOR", "1")
            // `login` turns persistent login on only with consent; these runs give it (tests of the
            // default remove the variable).
            .env("GW_PROVISION_PERSISTENT_LOGIN", "true")
            .arg("--sandbox-descriptor")
            .arg(descriptor)
            .args(args);
        for (key, value) in env {
            command.env(key, value);
        }
        let mut session = expectrl::Session::spawn(command).expect("spawn in a pty");
        session.set_expect_timeout(Some(DEADLINE));
        Pty {
            session,
            transcript: String::new(),
            raw: Vec::new(),
        }
    }

    /// Makes the terminal `columns` wide and `rows` high (the program reads the size at each
    /// drawing, so resizing before the first prompt is seen is in time).
    pub fn resize(&mut self, columns: u16, rows: u16) {
        self.session
            .get_process_mut()
            .set_window_size(columns, rows)
            .expect("set the window size");
    }

    /// What a `columns`-wide terminal shows after everything read so far, row by row (a
    /// screen of `rows`, none of which may scroll off: size it to the run).
    pub fn screen(&self, columns: u16, rows: u16) -> Vec<String> {
        let size = |n: u16| std::num::NonZeroU16::new(n).expect("a screen has rows and columns");
        let mut terminal = vt100::Parser::new(size(rows), size(columns), 0);
        terminal.process(&self.raw);
        let screen = terminal.screen();
        screen.rows(0, columns).collect()
    }

    /// Every row a `columns` × `rows` terminal showed, the ones scrolled off the top first.
    pub fn history(&self, columns: u16, rows: u16) -> Vec<String> {
        let size = |n: u16| std::num::NonZeroU16::new(n).expect("a screen has rows and columns");
        let mut terminal = vt100::Parser::new(size(rows), size(columns), 100_000);
        terminal.process(&self.raw);
        let screen = terminal.screen_mut();
        let scrolled = screen.scrollback_len();
        let mut lines = Vec::new();
        // Scrolled back by `offset`, the top row is the offset-th row from the end of the
        // scrollback.
        for offset in (1..=scrolled).rev() {
            screen.set_scrollback(offset);
            lines.extend(screen.rows(0, columns).next());
        }
        screen.set_scrollback(0);
        lines.extend(screen.rows(0, columns));
        lines
    }

    fn keep(&mut self, captures: &expectrl::Captures) {
        self.raw.extend_from_slice(captures.as_bytes());
        self.transcript
            .push_str(&String::from_utf8_lossy(captures.before()));
        for m in captures.matches() {
            self.transcript.push_str(&String::from_utf8_lossy(m));
        }
    }

    /// Waits for `text`.
    pub fn expect(&mut self, text: &str) {
        match self.session.expect(text) {
            Ok(captures) => self.keep(&captures),
            Err(e) => panic!(
                "waiting for {text:?}: {e}\ntranscript:\n{}",
                self.transcript
            ),
        }
    }

    /// Waits for the first of `texts` and returns its index.
    pub fn expect_any(&mut self, texts: &[&str]) -> usize {
        let pattern = texts
            .iter()
            .map(|t| regex_escape(t))
            .collect::<Vec<_>>()
            .join("|");
        let captures = match self.session.expect(expectrl::Regex(pattern.as_str())) {
            Ok(captures) => captures,
            Err(e) => panic!(
                "waiting for {texts:?}: {e}\ntranscript:\n{}",
                self.transcript
            ),
        };
        self.keep(&captures);
        let found =
            String::from_utf8_lossy(captures.matches().next().unwrap_or_default()).into_owned();
        texts
            .iter()
            .position(|t| found == *t)
            .expect("one of the texts matched")
    }

    /// Picks the item `downs` rows below the first in a menu whose last item is `last_item`:
    /// waits for the menu to be drawn and to read keys (keys typed before that may be lost).
    pub fn choose(&mut self, last_item: &str, downs: usize) {
        self.expect(last_item);
        std::thread::sleep(Duration::from_millis(300));
        for _ in 0..downs {
            self.send("\x1b[B");
            std::thread::sleep(Duration::from_millis(50));
        }
        self.send("\r");
    }

    /// Types `text` (no Enter).
    pub fn send(&mut self, text: &str) {
        self.session.send(text).expect("send");
    }

    /// Types `text` and Enter, once the prompt had a moment to start reading.
    pub fn line(&mut self, text: &str) {
        std::thread::sleep(Duration::from_millis(150));
        self.session.send(text).expect("send");
        self.session.send("\r").expect("send enter");
    }

    /// Waits for the end and returns the exit code.
    pub fn finish(&mut self) -> i32 {
        match self.session.expect(expectrl::Eof) {
            Ok(captures) => self.keep(&captures),
            Err(e) => panic!("waiting for the end: {e}\ntranscript:\n{}", self.transcript),
        }
        match self.session.get_process_mut().wait().expect("wait") {
            expectrl::WaitStatus::Exited(_, code) => code,
            other => panic!("unexpected status {other:?}"),
        }
    }
}

/// Percent-encodes a query value (e-mail addresses contain `@` and maybe `+`).
fn query_escape(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escape = "\\.+*?()|[]{}^$".contains(c);
            escape.then_some('\\').into_iter().chain(std::iter::once(c))
        })
        .collect()
}

/// Secret values a run must never print, in every encoding they could be printed in.
#[derive(Default)]
pub struct Secrets {
    needles: Vec<(String, String)>,
}

impl Secrets {
    /// Adds a text secret (a password).
    pub fn text(&mut self, what: &str, value: &str) {
        self.needles.push((what.to_owned(), value.to_owned()));
    }

    /// Adds a binary secret as b64url, standard base64 and hex.
    pub fn bytes(&mut self, what: &str, value: &[u8]) {
        use gw_provision::keeper::crypto::{b64_std_encode, b64url_encode};
        if value.len() < 8 {
            return;
        }
        let hex: String = value.iter().map(|b| format!("{b:02x}")).collect();
        for encoded in [b64url_encode(value), b64_std_encode(value), hex] {
            self.needles.push((what.to_owned(), encoded));
        }
    }

    /// Adds the device key and clone code of a saved config.
    pub fn learn_config(&mut self, path: &Path) {
        use gw_provision::keeper::crypto::b64url_decode;
        let Ok(text) = std::fs::read_to_string(path) else {
            return;
        };
        let config: Value = serde_json::from_str(&text).expect("config json");
        for key in ["private_key", "clone_code"] {
            if let Some(value) = config[key].as_str() {
                self.bytes(key, &b64url_decode(value).expect("b64url"));
            }
        }
    }

    /// Adds every session token and data key in the sandbox's state database (its account rows).
    pub fn learn_sandbox_state(&mut self, sandbox: &ServedSandbox) -> usize {
        use gw_provision::keeper::crypto::b64url_decode;
        let path = sandbox.dir.path().join("state").join("state.sqlite3");
        let db =
            rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .expect("state database");
        let mut rows = db
            .prepare("SELECT json FROM objects WHERE kind = 'account'")
            .expect("account rows");
        let accounts: Vec<Value> = rows
            .query_map([], |row| row.get::<_, String>(0))
            .expect("account rows")
            .map(|json| serde_json::from_str(&json.expect("row")).expect("json"))
            .collect();
        let mut found = 0;
        for account in &accounts {
            if let Some(key) = account["data_key"].as_str() {
                self.bytes("data key", &b64url_decode(key).expect("b64url"));
                found += 1;
            }
            for session in account["sessions"].as_array().into_iter().flatten() {
                if let Some(token) = session["token"].as_str() {
                    self.bytes("session token", &b64url_decode(token).expect("b64url"));
                    found += 1;
                }
            }
        }
        found
    }

    /// Fails if any secret appears in `output`.
    pub fn assert_absent(&self, output: &str, context: &str) {
        for (what, needle) in &self.needles {
            assert!(
                !output.contains(needle.as_str()),
                "{what} appears in the output of {context}"
            );
        }
    }

    /// How many encodings are being searched for.
    pub fn len(&self) -> usize {
        self.needles.len()
    }
}
