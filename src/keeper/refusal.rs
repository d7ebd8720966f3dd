//! Keeper's refusals, read once for the vault, KSM and PAM calls so their errors agree.

use crate::keeper::transport::TransportError;

/// A failed Keeper call, with Keeper's refusal lifted out of the transport error and classified.
pub(crate) enum Failure {
    /// The request never got a Keeper answer (network, TLS, session, throttling, …).
    Transport(TransportError),
    /// Keeper says the thing already exists.
    Conflict {
        /// Keeper's error code.
        code: String,
        /// Keeper's message.
        message: String,
    },
    /// Keeper does not know the UID or object.
    NotFound(String),
    /// Any other refusal: permission, licence, validation.
    Refused {
        /// Keeper's error code.
        code: String,
        /// Keeper's message.
        message: String,
    },
}

impl From<TransportError> for Failure {
    /// Keeper's codes are not documented; these are the spellings its clients test for.
    fn from(error: TransportError) -> Self {
        let TransportError::Keeper { code, message, .. } = error else {
            return Failure::Transport(error);
        };
        let lower_code = code.to_ascii_lowercase();
        if lower_code.contains("exists")
            || lower_code.contains("duplicate")
            || message.to_ascii_lowercase().starts_with("duplicate")
        {
            Failure::Conflict { code, message }
        } else if lower_code.contains("not_found") {
            Failure::NotFound(message)
        } else {
            Failure::Refused { code, message }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keeper(code: &str, message: &str) -> Failure {
        Failure::from(TransportError::Keeper {
            code: code.into(),
            message: message.into(),
            additional_info: None,
        })
    }

    #[test]
    fn exists_and_duplicate_spellings_are_conflicts() {
        assert!(matches!(
            keeper("record_exists", "x"),
            Failure::Conflict { .. }
        ));
        assert!(matches!(
            keeper("DUPLICATE_name", "x"),
            Failure::Conflict { .. }
        ));
        assert!(matches!(
            keeper("bad_request", "Duplicate share"),
            Failure::Conflict { .. }
        ));
    }

    #[test]
    fn not_found_codes_are_not_found_and_the_rest_are_refusals() {
        assert!(matches!(keeper("app_not_found", "x"), Failure::NotFound(_)));
        assert!(
            matches!(keeper("access_denied", "x"), Failure::Refused { code, .. } if code == "access_denied")
        );
    }

    #[test]
    fn answers_that_are_not_keeper_refusals_stay_transport_errors() {
        let failure = Failure::from(TransportError::Http { status: 500 });
        assert!(matches!(
            failure,
            Failure::Transport(TransportError::Http { status: 500 })
        ));
    }
}
