//! https with rustls (feature `rustls`): the bundled Mozilla roots
//! (`webpki-roots`, compiled in; no system store is read, nothing is
//! downloaded), aws-lc-rs for the cryptography (the provider reqwest's `rustls` feature builds), and CAs of your own on top.
//!
//! [`Client::new`](crate::Client::new) already speaks https with the
//! bundled roots. To trust a private CA as well (a staging server, a
//! self-signed certificate), pass its PEM:
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let catalog = errcat_catalog::Catalog::from_str("", "errors.toml").unwrap();
//! use errcat_client::{Client, Parser, RetryPolicy};
//!
//! let pem = std::fs::read("ca.pem")?;
//! let client = Client::new("https://api.internal", Parser::new(&catalog), RetryPolicy::default())
//!     .with_ca_pem(&pem)?;
//! // Or with reqwest's other settings: the same TLS configuration, preconfigured.
//! let http = reqwest::Client::builder()
//!     .tls_backend_preconfigured(errcat_client::tls::config(Some(&pem))?)
//!     .timeout(std::time::Duration::from_secs(10))
//!     .build()?;
//! # let _ = (client, http);
//! # Ok(())
//! # }
//! ```

use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// A CA that could not be used.
#[derive(Debug)]
pub struct TlsError(String);

impl std::fmt::Display for TlsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TlsError {}

impl TlsError {
    pub(crate) fn new(message: String) -> Self {
        TlsError(message)
    }
}

/// The certificates of a PEM file (`-----BEGIN CERTIFICATE-----` blocks);
/// an error when there are none or one is broken.
///
/// # Errors
///
/// No certificate in `pem`, or a block that is not one.
pub fn certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError(format!("not a PEM certificate ({e})")))?;
    if certs.is_empty() {
        return Err(TlsError(
            "no PEM certificate (-----BEGIN CERTIFICATE-----) in it".to_owned(),
        ));
    }
    Ok(certs)
}

/// The aws-lc-rs provider every configuration here uses.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// A rustls client configuration trusting the bundled Mozilla roots and
/// the certificates of `extra_ca_pem`, for
/// `reqwest::ClientBuilder::tls_backend_preconfigured` or `tokio-rustls`.
///
/// # Errors
///
/// `extra_ca_pem` holds no certificate, or one rustls refuses as a root.
pub fn config(extra_ca_pem: Option<&[u8]>) -> Result<rustls::ClientConfig, TlsError> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(pem) = extra_ca_pem {
        for cert in certificates(pem)? {
            roots
                .add(cert)
                .map_err(|e| TlsError(format!("cannot trust this certificate: {e}")))?;
        }
    }
    Ok(rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// A `reqwest` client builder speaking https with `config`.
pub(crate) fn http(config: rustls::ClientConfig) -> reqwest::ClientBuilder {
    reqwest::Client::builder().tls_backend_preconfigured(config)
}
