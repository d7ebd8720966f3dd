//! `new --token-file`: the secret the gateway host needs goes to a file, never to stdout.

use crate::cli::exit::{CliError, ExitStatus};
use crate::provision::install::{self, GatewayCredential};
use crate::provision::{Outcome, TargetOs};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The directory `path` lives in (`.` for a bare file name).
pub fn directory(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Writes the token (docker/kubernetes: the base64 gateway config) to `path` and takes it out
/// of `outcome`, whose install instructions then show a placeholder. `None` when the run has
/// no secret to write (`--existing`, a dry run).
pub fn write(path: &Path, outcome: &mut Outcome) -> Result<Option<PathBuf>, CliError> {
    let os = outcome.gateway.os;
    let secret = match (&outcome.config, &outcome.token) {
        (Some(config), _) => config.to_base64(),
        (None, Some(token)) => zeroize::Zeroizing::new(token.expose().to_owned()),
        (None, None) => return Ok(None),
    };
    write_private(path, secret.as_bytes()).map_err(|e| {
        CliError::new(
            ExitStatus::Internal,
            format!("cannot write the token to {}: {e}", path.display()),
        )
        .hint("the gateway was provisioned; re-run with --replace and a writable --token-file")
    })?;
    outcome.token = None;
    outcome.config = None;
    if outcome.install.is_some() {
        outcome.install = Some(install::render(os, placeholder(os)));
    }
    Ok(Some(path.to_owned()))
}

/// What the install instructions show instead of the secret.
fn placeholder(os: TargetOs) -> GatewayCredential<'static> {
    match os {
        TargetOs::Docker | TargetOs::Kubernetes => GatewayCredential::Config("<CONFIG>"),
        _ => GatewayCredential::Token("<TOKEN>"),
    }
}

/// Mode 0600 from the start (a temporary file in the same directory), then renamed over
/// `path`: a reader sees the old file or the whole new one, never a part.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = tempfile::Builder::new()
        .prefix(".gw-provision-token")
        .tempfile_in(directory(path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_file_is_private_and_holds_exactly_the_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "old").unwrap();
        write_private(&path, b"US:secret").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "US:secret");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file is left behind");
    }

    #[test]
    fn a_bare_file_name_lives_in_the_current_directory() {
        assert_eq!(directory(Path::new("token")), Path::new("."));
        assert_eq!(directory(Path::new("/tmp/token")), Path::new("/tmp"));
    }
}
