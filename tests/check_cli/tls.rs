//! `errcat check` over https against a server with a certificate made in
//! the test.

use axum::Router;
use errcat_bench_support::tls_server::serve_tls;
use errcat_catalog::Catalog;

use super::{API_KEY, CATALOG, SPEC, check, exits, probes, row, shop, spec_args, text};

/// https against the shop on 127.0.0.1 with a certificate made in the test:
/// passes with `--cacert`, is a usage error naming `--cacert` without it,
/// and passes with a loud warning under `--insecure`; the oversized probe
/// goes over TLS too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_cacert_passes_and_an_untrusted_certificate_names_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("errors.toml"), CATALOG).unwrap();
    std::fs::write(dir.path().join("openapi.json"), SPEC).unwrap();
    let server = serve_tls(shop(Catalog::from_str(CATALOG, "errors.toml").unwrap())).await;
    std::fs::write(dir.path().join("cert.pem"), &server.cert_pem).unwrap();
    let url = format!("https://{}", server.addr);

    // Trusted, then unverified: every probe passes, the oversized one
    // over its own TLS connection; only --insecure warns.
    for trust in [&["--cacert", "cert.pem"][..], &["--insecure"][..]] {
        let mut more = trust.to_vec();
        more.extend(["--format", "json"]);
        let args = spec_args(&url, API_KEY, &more);
        let (out, _) = check(dir.path(), &args).await;
        let stderr = text(&out.stderr);
        exits(&out, 0);
        let probes = probes(&out);
        for name in ["base", "unknown-route", "malformed-json", "oversized"] {
            assert_eq!(row(&probes, name)["verdict"], "ok", "{name}: {probes:#?}");
        }
        assert_eq!(row(&probes, "oversized")["status"], 413, "{probes:#?}");
        let warned = "errcat: WARNING: --insecure: TLS certificates are NOT verified";
        let in_report = "--insecure: the API's TLS certificate was not verified";
        let insecure = trust[0] == "--insecure";
        assert_eq!(stderr.contains(warned), insecure, "{stderr}");
        assert_eq!(text(&out.stdout).contains(in_report), insecure);
    }

    let (out, _) = check(dir.path(), &[&url]).await;
    exits(&out, 2);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "the TLS certificate of {} is not trusted (UnknownIssuer)",
            server.addr.ip()
        )) && stderr.contains("pass --cacert FILE"),
        "{stderr}"
    );
    assert_eq!(text(&out.stdout), "");

    // A PEM of another certificate does not help.
    let other = serve_tls(Router::new()).await;
    std::fs::write(dir.path().join("other.pem"), &other.cert_pem).unwrap();
    let (out, _) = check(dir.path(), &[&url, "--cacert", "other.pem"]).await;
    exits(&out, 2);
    assert!(
        text(&out.stderr).contains("--cacert"),
        "{}",
        text(&out.stderr)
    );
    std::fs::write(dir.path().join("empty.pem"), "").unwrap();
    let (out, _) = check(dir.path(), &[&url, "--cacert", "empty.pem"]).await;
    exits(&out, 2);
    assert!(
        text(&out.stderr).contains("cannot use --cacert empty.pem: no PEM certificate"),
        "{}",
        text(&out.stderr)
    );
}
