//! The Keeper client layer: crypto, wire types, transport, login and the vault/KSM/PAM calls.
//! Nothing here prints, prompts or knows about clap.

pub mod auth;
pub mod crypto;
pub mod ksm;
pub mod pam;
pub mod proto;
mod refusal;
pub mod router;
pub mod server;
pub mod transport;
pub mod uid;
pub mod vault;
