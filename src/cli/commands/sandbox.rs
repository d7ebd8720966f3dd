//! `gw-provision sandbox …`: the emulator in the foreground.

use crate::cli::args::SandboxCommand;
use crate::cli::exit::{CliError, ExitStatus};
use crate::sandbox::{self, FaultPlan, SandboxOptions};

/// Runs a sandbox command.
pub async fn run(command: SandboxCommand) -> Result<(), CliError> {
    match command {
        SandboxCommand::Serve {
            listen,
            state,
            descriptor,
            faults,
        } => {
            let state_dir = match state {
                Some(dir) => dir,
                None => crate::cli::connect::default_sandbox_dir()?,
            };
            let faults = match faults {
                Some(path) => Some(FaultPlan::load(&path).map_err(|e| {
                    CliError::new(ExitStatus::Usage, format!("cannot read faults file: {e}"))
                })?),
                None => None,
            };
            let options = SandboxOptions {
                listen,
                state_dir,
                faults,
            };
            sandbox::serve_until_signal(options, descriptor)
                .await
                .map_err(|e| CliError::new(ExitStatus::Internal, format!("sandbox: {e}")))
        }
    }
}
