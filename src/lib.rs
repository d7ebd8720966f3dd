//! gw-provision: provision a Keeper Gateway end to end against Keeper's REST API.
//!
//! Layers point one way: `cli` → `provision` → `keeper`; the `sandbox` reuses only
//! `keeper::crypto` and `keeper::proto`.
#![forbid(unsafe_code)]

// pub mod cli; (enabled once the client layer lands)
pub mod keeper;
// pub mod provision; (enabled once the client layer lands)
pub mod sandbox;
