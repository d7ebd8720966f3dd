//! `sandbox serve` in the foreground: the sandbox announces itself only once it listens (its
//! pid file, then its descriptor, each written atomically), serves until SIGINT, SIGTERM or
//! `POST /__sandbox/shutdown`, then saves and takes the two files away.
//!
//! The descriptor appearing is the readiness signal scripts and `sandbox start` wait for, so it
//! must never be seen half-written or before the port accepts connections.

use std::path::{Path, PathBuf};

use super::{start, Descriptor, SandboxError, SandboxOptions};

/// What a served sandbox announced: where it is, and who it is.
#[derive(Debug, Clone)]
pub struct Served {
    /// How to reach it.
    pub descriptor: Descriptor,
    /// The descriptor file.
    pub descriptor_path: PathBuf,
    /// The file holding the serving process's id (next to the descriptor).
    pub pid_path: PathBuf,
    /// The serving process's id.
    pub pid: u32,
}

/// The pid file that belongs to a descriptor file: `sandbox.json` → `sandbox.pid`.
pub fn pid_path(descriptor: &Path) -> PathBuf {
    descriptor.with_extension("pid")
}

/// Runs a sandbox until SIGINT, SIGTERM or a shutdown request, then shuts down cleanly.
///
/// Once listening it writes the pid file and then the descriptor (mode 0600, atomically) and
/// calls `ready`; on the way out it removes both, unless another sandbox has taken them over.
pub async fn serve_until_stopped(
    opts: SandboxOptions,
    descriptor_path: &Path,
    ready: impl FnOnce(&Served),
) -> Result<(), SandboxError> {
    let sandbox = start(opts).await?;
    let json = serde_json::to_string_pretty(sandbox.descriptor())
        .map_err(|e| SandboxError::Task(e.to_string()))?;
    let served = Served {
        descriptor: sandbox.descriptor().clone(),
        descriptor_path: descriptor_path.to_path_buf(),
        pid_path: pid_path(descriptor_path),
        pid: std::process::id(),
    };
    let written = |path: &Path, bytes: &[u8]| {
        write_private_file(path, bytes).map_err(|source| SandboxError::Descriptor {
            path: path.to_path_buf(),
            source,
        })
    };
    written(&served.pid_path, format!("{}\n", served.pid).as_bytes())?;
    written(descriptor_path, json.as_bytes())?;
    tracing::info!(url = %served.descriptor.url, "sandbox serving");
    ready(&served);
    let stopped = tokio::select! {
        signal = wait_for_signal() => signal,
        () = sandbox.stop_requested() => Ok(()),
    };
    let result = sandbox.shutdown().await;
    withdraw(&served);
    stopped?;
    result
}

/// Removes the descriptor and pid file, but only while the pid file is still this process's:
/// a sandbox started later with the same descriptor keeps its own.
fn withdraw(served: &Served) {
    let ours = std::fs::read_to_string(&served.pid_path)
        .is_ok_and(|text| text.trim() == served.pid.to_string());
    if ours {
        let _ = std::fs::remove_file(&served.descriptor_path);
        let _ = std::fs::remove_file(&served.pid_path);
    }
}

async fn wait_for_signal() -> Result<(), SandboxError> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(SandboxError::Signal)?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result.map_err(SandboxError::Signal),
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.map_err(SandboxError::Signal)
    }
}

/// Writes `bytes` to `path` with mode 0600 via a temp file and rename.
fn write_private_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "descriptor".to_string());
    let temp = path.with_file_name(format!(".{file_name}.tmp"));
    // A leftover (or planted) temp file keeps its own mode and owner: start from a fresh one.
    let _ = std::fs::remove_file(&temp);
    let mut options = std::fs::OpenOptions::new();
    options.create_new(true).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&temp)?;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| {
            drop(file);
            std::fs::rename(&temp, path)
        });
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn descriptor_is_0600_even_over_a_world_readable_leftover_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sandbox.json");
        let temp = dir.path().join(".sandbox.json.tmp");
        std::fs::write(&temp, b"old").unwrap();
        std::fs::set_permissions(&temp, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private_file(&path, b"{\"password\":\"x\"}").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(!temp.exists());
    }
}
