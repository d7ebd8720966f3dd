//! The HTTP client (reqwest + rustls) and the mapping of its failures onto
//! [`TransportError::Network`] / [`TransportError::Tls`].

use std::time::Duration;

use super::error::TransportError;

/// Builds the shared HTTP client: rustls, configured timeouts, no redirects (a redirected POST
/// would silently become a GET), and optionally one extra trusted CA (the sandbox's).
pub(crate) fn build_client(
    connect_timeout: Duration,
    read_timeout: Duration,
    ca_cert_pem: Option<&str>,
    user_agent: &str,
) -> Result<reqwest::Client, TransportError> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .read_timeout(read_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(user_agent);
    if let Some(pem) = ca_cert_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes()).map_err(|e| {
            TransportError::InvalidRequest(format!("CA certificate is not valid PEM: {e}"))
        })?;
        if certs.is_empty() {
            return Err(TransportError::InvalidRequest(
                "CA certificate PEM contains no certificate".to_owned(),
            ));
        }
        builder = builder.tls_certs_merge(certs);
    }
    builder
        .build()
        .map_err(|e| TransportError::InvalidRequest(format!("cannot build HTTP client: {e}")))
}

/// Classifies a reqwest failure: TLS problems apart from everything else on the connection.
pub(crate) fn classify_error(error: reqwest::Error, host: &str) -> TransportError {
    let error = error.without_url();
    let detail = error_chain(&error);
    if is_tls_error(&error) {
        TransportError::Tls {
            host: host.to_owned(),
            detail,
        }
    } else {
        TransportError::Network {
            host: host.to_owned(),
            detail,
        }
    }
}

/// Joins an error and its sources into one line ("error sending request: connection refused").
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![error.to_string()];
    let mut current = error.source();
    while let Some(source) = current {
        let text = source.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = next_source(source);
    }
    parts.join(": ")
}

/// True when any error in the chain is a rustls error.
fn is_tls_error(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if e.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        current = next_source(e);
    }
    false
}

/// Like `Error::source`, but also steps into the payload of an `io::Error`, whose own
/// `source()` skips the wrapped error (that is where hyper puts the rustls error).
fn next_source<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a (dyn std::error::Error + 'static)> {
    if let Some(io) = error.downcast_ref::<std::io::Error>() {
        if let Some(inner) = io.get_ref() {
            return Some(inner);
        }
    }
    error.source()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rustls_error_inside_io_error_is_tls() {
        let io = std::io::Error::other(rustls::Error::General("bad certificate".into()));
        assert!(is_tls_error(&io));
        let plain = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert!(!is_tls_error(&plain));
    }

    #[test]
    fn invalid_ca_pem_is_rejected() {
        let result = build_client(
            Duration::from_secs(1),
            Duration::from_secs(1),
            Some("not a certificate"),
            "test",
        );
        assert!(matches!(result, Err(TransportError::InvalidRequest(_))));
    }
}
