//! The sandbox's TLS identity: a private CA plus a leaf certificate for `127.0.0.1` and `localhost`.
//!
//! A CA + leaf pair (rather than one self-signed leaf) is what strict verifiers want: webpki refuses
//! a CA certificate used as an end entity, and OpenSSL's `X509_STRICT` (Python 3.13's default)
//! wants basic constraints on the anchor and an authority key id on the leaf. The descriptor hands
//! out the CA certificate; clients add it as their only trust root.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::state::b64bytes;

/// Why the TLS identity could not be created or loaded.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// rcgen failed to generate a key or sign a certificate.
    #[error("certificate generation failed: {0}")]
    Generate(#[from] rcgen::Error),
    /// rustls rejected the stored certificate or key.
    #[error("TLS configuration rejected: {0}")]
    Config(#[from] rustls::Error),
}

/// The persisted TLS material: what a restarted sandbox needs to present the same certificate.
#[derive(Clone, Serialize, Deserialize)]
pub struct TlsIdentity {
    /// PEM of the private CA that signed the leaf; this is the descriptor's `ca_cert_pem`.
    pub ca_cert_pem: String,
    /// DER of the leaf certificate presented to clients.
    #[serde(with = "b64bytes")]
    pub leaf_cert_der: Vec<u8>,
    /// PKCS#8 DER of the leaf's private key.
    #[serde(with = "b64bytes::zeroizing")]
    pub leaf_key_pkcs8: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("leaf_key_pkcs8", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl TlsIdentity {
    /// Creates a fresh CA and a leaf valid for `127.0.0.1`, `::1` and `localhost`.
    pub fn generate() -> Result<Self, TlsError> {
        let ca_key = KeyPair::generate()?;
        let mut ca_params = CertificateParams::default();
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "gw-provision sandbox CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca_params.self_signed(&ca_key)?;

        let leaf_key = KeyPair::generate()?;
        let mut leaf_params = CertificateParams::new(vec!["localhost".to_string()])?;
        leaf_params
            .distinguished_name
            .push(DnType::CommonName, "gw-provision sandbox");
        leaf_params
            .subject_alt_names
            .push(SanType::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()));
        leaf_params
            .subject_alt_names
            .push(SanType::IpAddress(std::net::Ipv6Addr::LOCALHOST.into()));
        leaf_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        leaf_params.use_authority_key_identifier_extension = true;
        let leaf_cert = leaf_params.signed_by(&leaf_key, &ca_cert, &ca_key)?;

        Ok(Self {
            ca_cert_pem: ca_cert.pem(),
            leaf_cert_der: leaf_cert.der().to_vec(),
            leaf_key_pkcs8: Zeroizing::new(leaf_key.serialize_der()),
        })
    }

    /// Builds the rustls server configuration, pinned to the aws-lc-rs provider.
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, TlsError> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.leaf_key_pkcs8.to_vec()));
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(vec![CertificateDer::from(self.leaf_cert_der.clone())], key)?;
        // Only HTTP/1.1 is served; advertising it keeps ALPN-aware clients from trying h2.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_identity_builds_a_server_config() {
        let identity = TlsIdentity::generate().unwrap();
        assert!(identity
            .ca_cert_pem
            .starts_with("-----BEGIN CERTIFICATE-----"));
        identity.server_config().unwrap();
    }
}
