//! `sandbox serve`, `sandbox start`, `sandbox stop`: the sandbox as a foreground process, as a
//! background one a script starts and stops without sleeping, and one ready line for both.
//!
//! As `docker run -d` and `kubectl wait` users expect: `start` returns only once the sandbox
//! answers (its descriptor is written after it listens), prints the same line `serve` prints,
//! and `stop` returns only once the sandbox has saved its state and released its directory.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::cli::args::{GlobalArgs, OutputFormat, ServeArgs};
use crate::cli::exit::{CliError, ExitStatus};
use crate::cli::json_doc;
use crate::cli::Ui;
use crate::sandbox::admin_client::{AdminClient, AdminClientError};
use crate::sandbox::{self, Descriptor, FaultPlan, PersistError, SandboxError, SandboxOptions};

/// How long `start` waits for the sandbox to listen (a cold state directory makes its CA and
/// keys first) and `stop` for it to save.
const WAIT: Duration = Duration::from_secs(60);

/// `sandbox serve`: runs in the foreground; Ctrl-C, SIGTERM and `sandbox stop` end it with exit 0.
pub async fn serve(ui: Ui, args: ServeArgs) -> Result<(), CliError> {
    let (options, descriptor) = options(&args)?;
    sandbox::serve_until_stopped(options, &descriptor, |served| {
        ready(
            ui,
            &served.descriptor,
            &served.descriptor_path,
            served.pid,
            false,
        )
    })
    .await
    .map_err(serve_error)
}

/// `sandbox start`: `serve` as a background process (its own process group, so the terminal's
/// Ctrl-C does not reach it; its log in FILE.log next to the descriptor), returning once ready.
pub async fn start(ui: Ui, args: ServeArgs) -> Result<(), CliError> {
    let (_, descriptor_path) = options(&args)?;
    if let Some(descriptor) = read(&descriptor_path) {
        if answers(&descriptor).await {
            return Err(CliError::new(
                ExitStatus::Conflict,
                format!("a sandbox is already running for {}", descriptor_path.display()),
            )
            .hint(format!(
                "stop it with `gw-provision sandbox stop --descriptor {}`, or pass another --descriptor",
                descriptor_path.display()
            )));
        }
    }
    // Whatever is left there belongs to a sandbox that is gone: its descriptor must not be
    // mistaken for the new one's readiness.
    let _ = std::fs::remove_file(&descriptor_path);
    let _ = std::fs::remove_file(sandbox::pid_path(&descriptor_path));
    let log_path = descriptor_path.with_extension("log");
    let log = std::fs::File::create(&log_path).map_err(|e| {
        CliError::new(
            ExitStatus::Usage,
            format!("cannot write {}: {e}", log_path.display()),
        )
    })?;
    let exe = std::env::current_exe().map_err(|e| {
        CliError::new(
            ExitStatus::Internal,
            format!("cannot find this program: {e}"),
        )
    })?;
    let mut command = std::process::Command::new(exe);
    command
        .args(["sandbox", "serve", "--listen", &args.listen.to_string()])
        .arg("--descriptor")
        .arg(&descriptor_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log);
    if let Some(state) = &args.state {
        command.arg("--state").arg(state);
    }
    if let Some(faults) = &args.faults {
        command.arg("--faults").arg(faults);
    }
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command.spawn().map_err(|e| {
        CliError::new(
            ExitStatus::Internal,
            format!("cannot start the sandbox: {e}"),
        )
    })?;
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(descriptor) = read(&descriptor_path) {
            ready(ui, &descriptor, &descriptor_path, child.id(), true);
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            let last = std::fs::read_to_string(&log_path)
                .ok()
                .and_then(|log| log.lines().last().map(str::to_owned))
                .unwrap_or_default();
            return Err(CliError::new(
                ExitStatus::Internal,
                format!("the sandbox exited ({status}) before it was ready: {last}"),
            )
            .hint(format!("its log is {}", log_path.display())));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            return Err(CliError::new(
                ExitStatus::Internal,
                format!("the sandbox was not ready within {} s", WAIT.as_secs()),
            )
            .hint(format!("its log is {}", log_path.display())));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `sandbox stop`: asks the sandbox of the descriptor to shut down (its admin route, so a
/// recycled pid is never signalled) and waits until it has withdrawn its descriptor.
pub async fn stop(
    global: &GlobalArgs,
    ui: Ui,
    descriptor: Option<PathBuf>,
) -> Result<(), CliError> {
    let descriptor_path = match descriptor.or_else(|| global.sandbox_descriptor.clone()) {
        Some(path) => path,
        None => default_descriptor(&crate::cli::connect::default_sandbox_dir()?),
    };
    let not_running = |why: &str| {
        CliError::new(
            ExitStatus::NotFound,
            format!(
                "no sandbox is running for {}: {why}",
                descriptor_path.display()
            ),
        )
        .hint("start one with `gw-provision sandbox start --descriptor FILE`")
    };
    let Some(descriptor) = read(&descriptor_path) else {
        return Err(not_running("there is no descriptor"));
    };
    let pid_path = sandbox::pid_path(&descriptor_path);
    let pid = std::fs::read_to_string(&pid_path)
        .ok()
        .and_then(|text| text.trim().parse::<u32>().ok());
    let client = AdminClient::new(&descriptor)
        .map_err(|e| CliError::new(ExitStatus::Usage, e.to_string()))?;
    match client.shutdown().await {
        Ok(()) => {}
        Err(AdminClientError::Unreachable { .. }) => {
            // Killed without a chance to clean up: its files only mislead the next run.
            let _ = std::fs::remove_file(&descriptor_path);
            let _ = std::fs::remove_file(&pid_path);
            return Err(not_running(&format!(
                "nothing answers at {} (its stale descriptor was removed)",
                descriptor.host
            )));
        }
        Err(e) => return Err(CliError::new(ExitStatus::Internal, e.to_string())),
    }
    let deadline = Instant::now() + WAIT;
    while descriptor_path.exists() {
        if Instant::now() > deadline {
            return Err(CliError::new(
                ExitStatus::Internal,
                format!(
                    "the sandbox was asked to stop but still runs after {} s",
                    WAIT.as_secs()
                ),
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    match ui.output {
        OutputFormat::Json => json_doc::print(json!({
            "stopped": true,
            "pid": pid,
            "descriptor": descriptor_path.to_string_lossy(),
        })),
        OutputFormat::Text => match pid {
            Some(pid) => eprintln!("sandbox stopped (pid {pid})"),
            None => eprintln!("sandbox stopped"),
        },
    }
    Ok(())
}

/// The one line (or object) saying the sandbox listens: what scripts wait for.
fn ready(ui: Ui, descriptor: &Descriptor, path: &Path, pid: u32, detached: bool) {
    match ui.output {
        OutputFormat::Json => json_doc::print(json!({
            "ready": true,
            "url": descriptor.url,
            "host": descriptor.host,
            "descriptor": path.to_string_lossy(),
            "pid": pid,
            "detached": detached,
        })),
        OutputFormat::Text => println!(
            "sandbox ready on {} (descriptor: {})",
            descriptor.url,
            path.display()
        ),
    }
}

fn options(args: &ServeArgs) -> Result<(SandboxOptions, PathBuf), CliError> {
    let state_dir = match &args.state {
        Some(dir) => dir.clone(),
        None => crate::cli::connect::default_sandbox_dir()?,
    };
    let faults = match &args.faults {
        Some(path) => Some(FaultPlan::load(path).map_err(|e| {
            CliError::new(ExitStatus::Usage, format!("cannot read faults file: {e}"))
        })?),
        None => None,
    };
    let descriptor = args
        .descriptor
        .clone()
        .unwrap_or_else(|| default_descriptor(&state_dir));
    let options = SandboxOptions {
        listen: args.listen,
        state_dir,
        faults,
    };
    Ok((options, descriptor))
}

/// `descriptor.json` in the state directory, so each state has its own.
fn default_descriptor(state_dir: &Path) -> PathBuf {
    state_dir.join("descriptor.json")
}

/// The descriptor at `path`, once it is whole (it is renamed into place, never half-written).
fn read(path: &Path) -> Option<Descriptor> {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
}

/// True when a sandbox answers at the descriptor's address with the descriptor's CA.
async fn answers(descriptor: &Descriptor) -> bool {
    match AdminClient::new(descriptor) {
        Ok(client) => client.stats().await.is_ok(),
        Err(_) => false,
    }
}

fn serve_error(error: SandboxError) -> CliError {
    match error {
        SandboxError::State(PersistError::Locked(dir)) => CliError::new(
            ExitStatus::Conflict,
            format!(
                "the sandbox state {} is in use by a running sandbox",
                dir.display()
            ),
        )
        .hint("stop it with `gw-provision sandbox stop`, or pass another --state DIR"),
        SandboxError::Bind { .. } => CliError::new(ExitStatus::Usage, error.to_string())
            .hint("choose another --listen address, or port 0 for any free port"),
        other => CliError::new(ExitStatus::Internal, format!("sandbox: {other}")),
    }
}
