//! Shared by the interop tests: finds the Python that has Keeper's official clients, runs the
//! scripts in `tests/interop/`, and provisions with the real binary against a served sandbox.
//!
//! Python comes from `GW_PROVISION_INTEROP_PYTHON` (set by `.ci/run`); when that is unset a venv
//! is made in `target/interop-venv` from `tests/interop/requirements.txt`. If neither works the
//! test fails, unless `GW_PROVISION_SKIP_INTEROP=1`.
#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::{json, new_args, run, stderr, ServedSandbox};

/// How long one interop script may run before it is killed (Commander logs in on every run).
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(300);

/// The interop Python, or `None` when it is unavailable and `GW_PROVISION_SKIP_INTEROP=1`.
///
/// Panics with the reason when it is unavailable and skipping was not asked for.
pub fn interop_python() -> Option<PathBuf> {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match PYTHON.get_or_init(find_or_make_python) {
        Ok(python) => Some(python.clone()),
        Err(reason) if std::env::var("GW_PROVISION_SKIP_INTEROP").as_deref() == Ok("1") => {
            eprintln!("SKIPPED (GW_PROVISION_SKIP_INTEROP=1): {reason}");
            None
        }
        Err(reason) => panic!(
            "Keeper's official Python clients are not available for the interop tests:\n{reason}\n\
             Set GW_PROVISION_INTEROP_PYTHON to a python that has tests/interop/requirements.txt \
             installed, or allow `python3 -m venv` + pip to reach PyPI, or set \
             GW_PROVISION_SKIP_INTEROP=1 to skip these tests."
        ),
    }
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn requirements_file() -> PathBuf {
    manifest_dir().join("tests/interop/requirements.txt")
}

/// `(package, version)` pins from requirements.txt (`name==version` lines).
fn pinned_versions() -> Result<Vec<(String, String)>, String> {
    let path = requirements_file();
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(text
        .lines()
        .map(|line| line.split('#').next().unwrap_or("").trim())
        .filter_map(|line| line.split_once("=="))
        .map(|(name, version)| (name.trim().to_string(), version.trim().to_string()))
        .collect())
}

fn find_or_make_python() -> Result<PathBuf, String> {
    let pins = pinned_versions()?;
    if let Some(python) = std::env::var_os("GW_PROVISION_INTEROP_PYTHON") {
        let python = PathBuf::from(python);
        return check_versions(&python, &pins)
            .map(|()| python.clone())
            .map_err(|e| format!("GW_PROVISION_INTEROP_PYTHON={}: {e}", python.display()));
    }
    // The integration-test tmp dir is `<target>/tmp`, so this honours CARGO_TARGET_DIR.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| manifest_dir().join("target"));
    let venv = target.join("interop-venv");
    let python = venv_python(&venv);
    if python.exists() && check_versions(&python, &pins).is_ok() {
        return Ok(python);
    }
    if !python.exists() {
        run_setup(
            Command::new("python3").args(["-m", "venv"]).arg(&venv),
            "python3 -m venv",
        )?;
    }
    run_setup(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(requirements_file()),
        "pip install -r tests/interop/requirements.txt",
    )?;
    check_versions(&python, &pins).map(|()| python)
}

fn venv_python(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    }
}

fn run_setup(command: &mut Command, what: &str) -> Result<(), String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{what}: cannot start: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// Checks that `python` has exactly the pinned versions of Keeper's clients.
fn check_versions(python: &Path, pins: &[(String, String)]) -> Result<(), String> {
    let names: Vec<&str> = pins.iter().map(|(name, _)| name.as_str()).collect();
    let script = "import importlib.metadata as m, sys\n\
                  for n in sys.argv[1:]:\n    print(m.version(n))";
    let output = Command::new(python)
        .args(["-c", script])
        .args(&names)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if !output.status.success() {
        return Err(format!(
            "the pinned packages are not installed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let found = String::from_utf8_lossy(&output.stdout);
    for ((name, pinned), installed) in pins.iter().zip(found.lines()) {
        if installed.trim() != pinned {
            return Err(format!(
                "{name} is {installed}, requirements.txt pins {pinned}"
            ));
        }
    }
    Ok(())
}

/// What one interop script printed, parsed.
pub struct ScriptRun {
    /// The one JSON object from stdout.
    pub doc: serde_json::Value,
    /// stderr (Commander's prints, warnings, tracebacks).
    pub stderr: String,
}

/// Runs `tests/interop/<script>` with `args` in a clean environment and a private HOME.
///
/// `secret_env` values go through the environment, not argv, so they never show in `ps`.
/// Panics when the script fails, showing its JSON verdict and stderr.
pub fn run_script(
    python: &Path,
    home: &Path,
    script: &str,
    args: &[&str],
    secret_env: &[(&str, &str)],
) -> ScriptRun {
    let script_path = manifest_dir().join("tests/interop").join(script);
    let mut command = Command::new(python);
    command
        .arg(&script_path)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("LANG", "C.UTF-8")
        // No __pycache__ in the source tree; no urllib3 warning per unverified request.
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONWARNINGS", "ignore")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in secret_env {
        command.env(key, value);
    }
    let output = output_with_timeout(command, SCRIPT_TIMEOUT, script);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let doc: serde_json::Value = stdout
        .lines()
        .rev()
        .find(|line| line.trim_start().starts_with('{'))
        .and_then(|line| serde_json::from_str(line).ok())
        .unwrap_or_else(|| {
            panic!(
                "{script} printed no JSON ({}).\nstdout:\n{stdout}\nstderr:\n{stderr}",
                output.status
            )
        });
    assert!(
        output.status.success() && doc["ok"] == true,
        "{script} failed ({}) at step {}: {}\nverdict: {doc}\nstderr:\n{stderr}",
        output.status,
        doc["step"],
        doc["error"],
    );
    eprintln!("{script}: {doc}");
    ScriptRun { doc, stderr }
}

/// Like `Command::output`, but kills the child after `timeout`.
fn output_with_timeout(mut command: Command, timeout: Duration, what: &str) -> Output {
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for script") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let err = String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned();
            panic!("{what} did not finish within {timeout:?}; stderr:\n{err}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
    }
}

/// What `gw-provision new` made.
pub struct Provisioned {
    /// Shared folder name and UID.
    pub folder: String,
    pub folder_uid: String,
    /// Application title and UID.
    pub app: String,
    pub app_uid: String,
    /// Gateway name and UID.
    pub gateway: String,
    pub gateway_uid: String,
    /// The one-time access token, `HOST:PORT:SECRET`.
    pub token: String,
}

/// Runs `gw-provision --sandbox-descriptor … new` and returns what it reported.
pub fn provision(sandbox: &ServedSandbox, folder: &str, app: &str, gateway: &str) -> Provisioned {
    let mut command = sandbox.command();
    command.args(new_args(folder, app, gateway, "linux"));
    let output = run(command);
    assert!(
        output.status.success(),
        "gw-provision new failed: {}",
        stderr(&output)
    );
    let doc = json(&output);
    let text = |pointer: &str| {
        doc.pointer(pointer)
            .and_then(|v| v.as_str())
            .unwrap_or_else(|| panic!("`new` JSON lacks {pointer}"))
            .to_string()
    };
    // `new` does not spend a request on the new gateway's controller UID (Commander's `pam
    // gateway new` does not either); `gateway list` shows it, and Commander must agree with it.
    let listed = run({
        let mut command = sandbox.command();
        command.args(["gateway", "list", "--output", "json"]);
        command
    });
    assert!(listed.status.success(), "gateway list: {}", stderr(&listed));
    let rows = json(&listed);
    let gateway_uid = rows["gateways"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|row| row["name"] == gateway)
        .and_then(|row| row["uid"].as_str())
        .unwrap_or_else(|| panic!("`gateway list` lacks {gateway}: {rows}"))
        .to_string();
    Provisioned {
        folder: folder.to_string(),
        folder_uid: text("/shared_folder/uid"),
        app: app.to_string(),
        app_uid: text("/application/uid"),
        gateway: gateway.to_string(),
        gateway_uid,
        token: text("/token"),
    }
}

/// The token's host and secret; the host carries a port, so split on the LAST ':'.
pub fn split_token(token: &str) -> (&str, &str) {
    token.rsplit_once(':').expect("token is HOST:SECRET")
}

/// A private HOME for the Python clients inside the sandbox's temp dir.
pub fn python_home(sandbox: &ServedSandbox) -> PathBuf {
    let home = sandbox.dir.path().join("python-home");
    std::fs::create_dir_all(&home).expect("python home");
    home
}

/// Shares a new shared folder `folder` read-only with `app`, through Commander; returns its UID.
pub fn commander_share_read_only(
    python: &Path,
    sandbox: &ServedSandbox,
    folder: &str,
    app: &str,
) -> String {
    let descriptor = sandbox.descriptor_path.to_string_lossy().into_owned();
    let run = run_script(
        python,
        &python_home(sandbox),
        "commander_share_readonly.py",
        &[
            "--descriptor",
            &descriptor,
            "--folder",
            folder,
            "--app",
            app,
        ],
        &[],
    );
    assert_eq!(run.doc["editable"], false, "{}", run.doc);
    run.doc["folder_uid"]
        .as_str()
        .expect("folder_uid")
        .to_string()
}
