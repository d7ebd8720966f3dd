//! Keeper wire types: hand-written prost structs (one module per Keeper proto package) and the
//! serde types of the JSON channels (KSM `sm/v1`, v2 commands, REST error bodies).
//!
//! Wire types are dumb: they carry bytes and `i32` enum values exactly as on the wire. Meaning
//! (UIDs, keys, tokens) is given by typed wrappers elsewhere in `keeper`.

/// Implements `Debug` for a prost message that carries a secret (login or session token, clone
/// code, auth hash, typed code), showing only the listed harmless fields. The message must opt
/// out of prost's own `Debug` with `#[prost(skip_debug)]`.
macro_rules! redacted_debug {
    ($ty:ident { $($field:ident),* $(,)? }) => {
        impl ::std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(stringify!($ty))
                    $(.field(stringify!($field), &self.$field))*
                    .finish_non_exhaustive()
            }
        }
    };
}
pub(crate) use redacted_debug;

pub mod account_summary;
pub mod authentication;
pub mod enterprise;
pub mod pam;
pub mod records;
pub mod router;
pub mod sso_cloud;
pub mod vault;

pub mod ksm_json;
pub mod rest_error;
pub mod v2;
