//! gw-provision: provision a Keeper Gateway end to end against Keeper's REST API.
//!
//! Layers point one way: `cli` → `provision` → `keeper`; the `sandbox` reuses only
//! `keeper::crypto` and `keeper::proto`.
#![forbid(unsafe_code)]

pub mod cli;
#[doc(hidden)]
pub mod fuzzing;
pub mod keeper;
pub mod provision;
pub mod sandbox;
