//! The provisioning flow as a plan of steps: ensure shared folder → ensure application →
//! ensure Can Edit share → add gateway client → render the install command.
//!
//! The wizard, the flags, `--dry-run` and JSON output all drive this same code.

pub mod converge;
pub mod execute;
pub mod fleet;
pub mod fleet_report;
pub mod inputs;
pub mod install;
pub mod kept;
pub mod manifest;
pub mod observe;
pub mod pam_config;
pub mod plan;
pub mod remove;

pub use execute::{dry_run, execute, Outcome, Progress, ProvisionError, Silent, StepKind};
pub use inputs::{Name, ProvisionInputs, TargetOs};
pub use kept::{KeepNothing, KeptToken, TokenKeeper};
pub use observe::{inspect, sync, Observation};
pub use plan::{make_plan, Action, Plan, PlanError};
