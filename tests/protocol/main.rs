//! Byte-level vectors (crypto, protobuf, vault) and the transport and login edge cases against
//! a scripted Keeper on wiremock (`support::fake_keeper`).

#[path = "../support/mod.rs"]
mod support;

mod login_wiremock;
mod transport_wiremock;
mod vectors_crypto;
mod vectors_pam_config;
mod vectors_proto;
mod vectors_vault;
