//! The client over https against an errcat server on 127.0.0.1 with a
//! self-signed certificate: refused until its CA is trusted.

use axum::Router;
use axum::routing::get;
use errcat_axum::ErrcatLayer;
use errcat_bench_support::tls_server::serve_tls;
use errcat_catalog::Catalog;
use errcat_client::{Client, ClientError, Parser, RetryPolicy};
use errcat_render::{Error, Renderer};

const CATALOG: &str = r#"
[api]
name = "Shop"

[[errors]]
code = "ITEM_NOT_FOUND"
status = 404
message = "Item not found"
"#;

fn catalog() -> Catalog {
    Catalog::from_str(CATALOG, "errors.toml").unwrap()
}

async fn server() -> errcat_bench_support::tls_server::TlsServer {
    let app = Router::new()
        .route(
            "/items/1",
            get(|| async { Err::<&str, _>(Error::new("ITEM_NOT_FOUND")) }),
        )
        .route("/", get(|| async { "shop" }))
        .layer(ErrcatLayer::new(Renderer::new(catalog())));
    serve_tls(app).await
}

fn new_client(url: &str) -> Client {
    Client::new(url, Parser::new(&catalog()), RetryPolicy::never())
}

#[tokio::test]
async fn a_trusted_ca_gives_typed_errors_over_https() {
    let server = server().await;
    let url = format!("https://{}", server.addr);
    let client = new_client(&url)
        .with_ca_pem(server.cert_pem.as_bytes())
        .unwrap();
    let ok = client.send(client.get("/")).await.unwrap();
    assert_eq!(ok.text().await.unwrap(), "shop");
    let e = client.send(client.get("/items/1")).await.unwrap_err();
    let api = e.api().unwrap_or_else(|| panic!("not an API error: {e:?}"));
    assert_eq!(api.status, 404);
    assert_eq!(api.code.as_deref(), Some("ITEM_NOT_FOUND"));

    // The same configuration through reqwest's own builder.
    let http = reqwest::Client::builder()
        .tls_backend_preconfigured(
            errcat_client::tls::config(Some(server.cert_pem.as_bytes())).unwrap(),
        )
        .build()
        .unwrap();
    let client = new_client(&url).with_http(http);
    let e = client.send(client.get("/items/1")).await.unwrap_err();
    assert_eq!(
        e.api().and_then(|a| a.code.as_deref()),
        Some("ITEM_NOT_FOUND")
    );
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused() {
    let server = server().await;
    let url = format!("https://{}", server.addr);
    // The bundled roots only: the self-signed certificate is not among them.
    let plain = new_client(&url);
    let e = plain.send(plain.get("/")).await.unwrap_err();
    let ClientError::Transport(t) = &e else {
        panic!("not a transport error: {e:?}");
    };
    let chain = format!("{:?}", t);
    assert!(chain.contains("UnknownIssuer"), "{chain}");

    // Another self-signed certificate as the CA: still not trusted.
    let other = serve_tls(Router::new()).await;
    let wrong = new_client(&url)
        .with_ca_pem(other.cert_pem.as_bytes())
        .unwrap();
    let e = wrong.send(wrong.get("/")).await.unwrap_err();
    assert!(matches!(e, ClientError::Transport(_)), "{e:?}");
}

#[test]
fn a_pem_without_certificates_is_an_error() {
    let e = new_client("https://127.0.0.1:1")
        .with_ca_pem(b"not a certificate")
        .unwrap_err();
    assert!(e.to_string().contains("no PEM certificate"), "{e}");
    let e = errcat_client::tls::certificates(
        b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
    )
    .unwrap_err();
    assert!(e.to_string().contains("not a PEM certificate"), "{e}");
}
