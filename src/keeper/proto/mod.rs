//! Keeper wire types: hand-written prost structs (one module per Keeper proto package) and the
//! serde types of the JSON channels (KSM `sm/v1`, v2 commands, REST error bodies).
//!
//! Wire types are dumb: they carry bytes and `i32` enum values exactly as on the wire. Meaning
//! (UIDs, keys, tokens) is given by typed wrappers elsewhere in `keeper`.

pub mod account_summary;
pub mod authentication;
pub mod enterprise;
pub mod pam;
pub mod records;
pub mod vault;

pub mod ksm_json;
pub mod rest_error;
pub mod v2;
