//! Keeper's official clients against the sandbox: the Python KSM SDK and Commander (scripts
//! beside this file, see README.md here) and the Rust KSM SDK.

#[path = "../support/mod.rs"]
mod support;

mod interop_login;
mod interop_pam_config;
mod interop_python;
mod interop_rust_ksm;
mod sandbox_ksm_sdk;
