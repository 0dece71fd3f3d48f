//! An axum app over https on 127.0.0.1, with a self-signed certificate for
//! `127.0.0.1` and `localhost` made on the spot (rcgen): the TLS tests of
//! the client and of `errcat check`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// A running https server.
#[derive(Debug)]
pub struct TlsServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its certificate (PEM): self-signed, so also the CA to trust.
    pub cert_pem: String,
}

/// Serves `app` over https on a fresh port of 127.0.0.1 (a task on the
/// current runtime). A handshake a client gives up on is dropped; the
/// next connection is served.
///
/// # Panics
///
/// When the certificate cannot be made or the port bound.
pub async fn serve_tls(app: Router) -> TlsServer {
    let cert =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .expect("a self-signed certificate");
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_no_client_auth()
    .with_single_cert(vec![cert.cert.der().clone()], key)
    .expect("the certificate and its key");
    let listener = Tls {
        tcp: TcpListener::bind("127.0.0.1:0").await.expect("a port"),
        acceptor: TlsAcceptor::from(Arc::new(config)),
    };
    let addr = listener.tcp.local_addr().expect("the address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    TlsServer {
        addr,
        cert_pem: cert.cert.pem(),
    }
}

struct Tls {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for Tls {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else {
                continue;
            };
            // Handshakes one at a time: enough for tests, bounded by a timeout.
            let handshake = self.acceptor.accept(tcp);
            if let Ok(Ok(tls)) =
                tokio::time::timeout(std::time::Duration::from_secs(5), handshake).await
            {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}
