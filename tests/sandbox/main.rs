//! Tests of the library client and of the raw Keeper protocol against the in-process sandbox.

#[path = "../support/mod.rs"]
mod support;

mod sandbox_accounts;
mod sandbox_api;
mod sandbox_faults;
mod sandbox_logins;
mod sandbox_provisioning;
mod sandbox_roundtrip;
mod sandbox_store;
