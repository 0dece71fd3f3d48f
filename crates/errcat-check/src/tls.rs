//! https for the probes (feature `rustls`): one rustls configuration for
//! reqwest and the oversized probe's own connection: the bundled roots,
//! `--cacert`, or with `--insecure` no verification at all.

use std::sync::Arc;

use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

use crate::{CheckError, Options};

/// The configuration `--cacert` and `--insecure` ask for.
pub(crate) fn config(args: &Options) -> Result<Arc<rustls::ClientConfig>, CheckError> {
    if args.insecure {
        let provider = errcat_client::tls::provider();
        let config = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| CheckError::Usage(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
            .with_no_client_auth();
        return Ok(Arc::new(config));
    }
    let pem = match &args.cacert {
        Some(path) => Some(std::fs::read(path).map_err(|e| {
            CheckError::Usage(format!("cannot read --cacert {}: {e}", path.display()))
        })?),
        None => None,
    };
    errcat_client::tls::config(pem.as_deref())
        .map(Arc::new)
        .map_err(|e| {
            CheckError::Usage(format!(
                "cannot use --cacert {}: {e}",
                args.cacert
                    .as_deref()
                    .unwrap_or(std::path::Path::new(""))
                    .display()
            ))
        })
}

/// Whether `e`, or what it wraps, is rustls refusing the server's
/// certificate; its words (`UnknownIssuer`, `NotValidForName`…) if so.
pub(crate) fn certificate_refused(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    if let Some(rustls::Error::InvalidCertificate(why)) = e.downcast_ref::<rustls::Error>() {
        return Some(format!("{why:?}"));
    }
    // An io::Error's `source` skips the error it wraps: look inside.
    if let Some(inner) = e
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
        && let Some(why) = certificate_refused(inner)
    {
        return Some(why);
    }
    if let Some(why) = e.source().and_then(certificate_refused) {
        return Some(why);
    }
    // Wrapped where no downcast reaches: rustls's own words.
    e.to_string()
        .split_once("invalid peer certificate: ")
        .map(|(_, why)| why.to_owned())
}

/// The usage error of a refused certificate: what rustls said and the fix.
pub(crate) fn refused_message(host: &str, why: &str) -> String {
    format!(
        "the TLS certificate of {host} is not trusted ({why}); pass --cacert FILE with the CA \
         that signed it (PEM) to trust it in addition to the bundled roots, or --insecure to \
         skip the check (never against a production API)"
    )
}

/// `--insecure`: every certificate is accepted; signatures are still
/// checked so the handshake itself stays sound.
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
