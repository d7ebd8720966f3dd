//! The HTTP client (reqwest + rustls) and the mapping of its failures onto
//! [`TransportError::Network`] / [`TransportError::Tls`] / [`TransportError::NotTls`].

use std::time::Duration;

use super::error::TransportError;
use super::Failure;

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
        check_ca_certificate(pem)?;
        let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
            .map_err(|e| TransportError::InvalidCaCertificate(format!("not valid PEM: {e}")))?;
        builder = builder.tls_certs_merge(certs);
    }
    builder
        .build()
        .map_err(|e| TransportError::InvalidRequest(format!("cannot build HTTP client: {e}")))
}

/// Checks that `pem` holds at least one certificate a TLS client can trust: PEM that decodes,
/// DER that parses as an X.509 certificate. reqwest alone accepts garbage between the PEM
/// markers and only fails later, when every request does.
pub fn check_ca_certificate(pem: &str) -> Result<(), TransportError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;

    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        let cert =
            cert.map_err(|e| TransportError::InvalidCaCertificate(format!("not valid PEM: {e}")))?;
        roots.add(cert).map_err(|e| {
            TransportError::InvalidCaCertificate(format!("not an X.509 certificate: {e}"))
        })?;
    }
    if roots.is_empty() {
        return Err(TransportError::InvalidCaCertificate(
            "the PEM contains no certificate".to_owned(),
        ));
    }
    Ok(())
}

/// Classifies a reqwest failure: TLS problems apart from everything else on the connection,
/// and among TLS problems a peer that does not speak TLS at all.
pub(crate) fn classify_error(error: reqwest::Error, host: &str) -> TransportError {
    let error = error.without_url();
    let detail = error_chain(&error);
    let host = host.to_owned();
    match tls_error(&error) {
        Some(rustls::Error::InvalidMessage(_)) => TransportError::NotTls { host, detail },
        Some(_) => TransportError::Tls { host, detail },
        None => TransportError::Network { host, detail },
    }
}

/// A failed round trip as the retry loop sees it: [`Failure::Transient`] when the request may
/// merely have met a bad moment (a timeout, a connection closed or reset after it was made),
/// `Err` when trying again cannot help (refused, unknown host, TLS, a bad request).
pub(crate) fn failed_round_trip(
    error: reqwest::Error,
    host: &str,
) -> Result<Failure, TransportError> {
    let reason = transient_reason(&error);
    let error = classify_error(error, host);
    match reason {
        Some(reason) if matches!(error, TransportError::Network { .. }) => {
            Ok(Failure::Transient { error, reason })
        }
        _ => Err(error),
    }
}

/// Why a failure is worth another attempt, in a few words for the log; `None` when it is not.
fn transient_reason(error: &reqwest::Error) -> Option<String> {
    if error.is_timeout() {
        return Some("timed out".to_owned());
    }
    // A connect error (refused, no such host) does not go away in seconds; the others happened
    // on an established connection: the server or something in between dropped it.
    if error.is_connect() || error.is_builder() || error.is_redirect() || error.is_status() {
        return None;
    }
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::ConnectionReset {
                return Some("connection reset".to_owned());
            }
        }
        current = next_source(e);
    }
    Some("connection closed without a reply".to_owned())
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

/// The first rustls error in the chain, if any.
fn tls_error<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        current = next_source(e);
    }
    None
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
        assert!(tls_error(&io).is_some());
        let plain = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert!(tls_error(&plain).is_none());
    }

    #[test]
    fn pem_with_garbage_inside_the_markers_is_not_a_ca() {
        let garbage = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(matches!(
            check_ca_certificate(garbage),
            Err(TransportError::InvalidCaCertificate(_))
        ));
        assert!(matches!(
            check_ca_certificate(""),
            Err(TransportError::InvalidCaCertificate(_))
        ));
    }

    #[test]
    fn invalid_ca_pem_is_rejected() {
        let result = build_client(
            Duration::from_secs(1),
            Duration::from_secs(1),
            Some("not a certificate"),
            "test",
        );
        assert!(matches!(
            result,
            Err(TransportError::InvalidCaCertificate(_))
        ));
    }
}
