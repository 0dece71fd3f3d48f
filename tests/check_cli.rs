//! `errcat check` against real servers on 127.0.0.1: a conformant errcat-axum
//! API, a plain axum API that breaks every rule, hostile servers (hanging,
//! resetting, streaming 100 MB), and URLs it cannot check.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::routing::{any, get};
use errcat_axum::ErrcatLayer;
use errcat_axum::api_key::{ApiKey, ApiKeyRecord, ApiKeys};
use errcat_axum::rate_limit::{Policy, Quota, RateLimitLayer};
use errcat_catalog::Catalog;
use errcat_render::{Error, Renderer};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const CATALOG: &str = r#"
[api]
name = "Shop"
docs_url = "https://docs.example.com/errors"

[[errors]]
code = "ITEM_NOT_FOUND"
status = 404
message = "Item {item_id} not found"
params = { item_id = "string" }
"#;

const SPEC: &str = r##"{
  "openapi": "3.1.0",
  "info": {"title": "Shop", "version": "1"},
  "servers": [{"url": "/"}],
  "components": {
    "securitySchemes": {
      "key": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
      "token": {"type": "http", "scheme": "bearer"}
    },
    "schemas": {
      "NewItem": {
        "type": "object",
        "required": ["name", "price"],
        "properties": {"name": {"type": "string"}, "price": {"type": "integer", "minimum": 0}}
      }
    }
  },
  "paths": {
    "/items": {
      "get": {"responses": {"200": {"description": "items"}}},
      "post": {
        "security": [{"key": []}],
        "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewItem"}}}},
        "responses": {"201": {"description": "created"}}
      }
    },
    "/items/{id}": {
      "get": {
        "security": [{"token": []}],
        "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "an item"}}
      }
    }
  }
}"##;

const API_KEY: &str = "sk_test_errcat_check";

#[derive(serde::Deserialize)]
struct NewItem {
    name: String,
    price: u32,
}

async fn create(
    ApiKey(_): ApiKey,
    errcat_axum::Json(item): errcat_axum::Json<NewItem>,
) -> (StatusCode, String) {
    (
        StatusCode::CREATED,
        format!("{} at {}", item.name, item.price),
    )
}

async fn item(
    axum::extract::Path(id): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Result<String, Error> {
    match headers.get("authorization").and_then(|v| v.to_str().ok()) {
        None => Err(Error::standard("missing_token")),
        Some("Bearer good-token") => Err(Error::new("ITEM_NOT_FOUND").with_param("item_id", id)),
        Some(_) => Err(Error::standard("malformed_token")),
    }
}

/// Serves `app` on a fresh port, with the peer address for rate limits.
async fn serve(app: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    addr
}

/// Runs `errcat check` in `dir` off the runtime, so the servers keep serving.
async fn check(dir: &Path, args: &[&str]) -> (Output, Duration) {
    let dir = dir.to_path_buf();
    let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let start = Instant::now();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_errcat"))
            .arg("check")
            .args(&args)
            .current_dir(&dir)
            .output()
            .unwrap();
        (out, start.elapsed())
    })
    .await
    .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The probes of a `--format json` report.
fn probes(out: &Output) -> Vec<Value> {
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(&out.stdout)));
    v["probes"].as_array().unwrap().clone()
}

fn row<'a>(probes: &'a [Value], name: &str) -> &'a Value {
    probes
        .iter()
        .find(|p| p["probe"] == name)
        .unwrap_or_else(|| panic!("no probe {name} in {probes:#?}"))
}

fn shop(catalog: Catalog) -> Router {
    let keys = ApiKeys::new([ApiKeyRecord::new("key_1", ApiKeys::hash(API_KEY))]);
    Router::new()
        .route("/", get(|| async { "shop" }))
        .route("/items", get(|| async { "[]" }).post(create))
        .route("/items/{id}", get(item))
        .route("/openapi.json", get(|| async { SPEC }))
        .layer(axum::Extension(keys))
        .layer(RateLimitLayer::memory().policy(Policy::per_ip("per-ip", Quota::per_minute(40))))
        .layer(ErrcatLayer::new(Renderer::new(catalog)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conformant_api_passes_every_probe() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("errors.toml"), CATALOG).unwrap();
    std::fs::write(dir.path().join("openapi.json"), SPEC).unwrap();
    let addr = serve(shop(Catalog::from_str(CATALOG, "errors.toml").unwrap())).await;
    let url = format!("http://{addr}");

    let (out, took) = check(
        dir.path(),
        &[
            &url,
            "--openapi",
            "openapi.json",
            "--api-key",
            API_KEY,
            "--burst",
            "--format",
            "json",
        ],
    )
    .await;
    eprintln!("conformant check (JSON) took {took:?}");
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    let probes = probes(&out);
    let seen: Vec<(String, String, String, u64, String, String)> = probes
        .iter()
        .map(|p| {
            (
                p["probe"].as_str().unwrap().to_owned(),
                p["method"].as_str().unwrap().to_owned(),
                p["path"].as_str().unwrap().to_owned(),
                p["status"].as_u64().unwrap_or(0),
                p["code"].as_str().unwrap_or("-").to_owned(),
                p["verdict"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("base", "GET", "/", 200, "-"),
        ("unknown-route", "GET", "", 404, "NOT_FOUND"),
        ("wrong-method", "PATCH", "/items", 405, "METHOD_NOT_ALLOWED"),
        ("malformed-json", "POST", "/items", 400, "INVALID_JSON"),
        ("wrong-type", "POST", "/items", 400, "VALIDATION_ERROR"),
        ("oversized", "POST", "/items", 413, "PAYLOAD_TOO_LARGE"),
        (
            "missing-credentials",
            "GET",
            "/items/1",
            401,
            "MISSING_TOKEN",
        ),
        (
            "invalid-credentials (bearer)",
            "GET",
            "/items/1",
            401,
            "MALFORMED_TOKEN",
        ),
        (
            "invalid-credentials (api key X-API-Key)",
            "POST",
            "/items",
            401,
            "INVALID_API_KEY",
        ),
        ("burst", "GET", "/items", 429, "RATE_LIMITED"),
    ];
    let expected: Vec<(String, String, String, u64, String, String)> = expected
        .iter()
        .map(|(p, m, path, s, c)| {
            let path = if p == &"unknown-route" {
                seen[1].2.clone()
            } else {
                (*path).to_owned()
            };
            (
                (*p).to_owned(),
                (*m).to_owned(),
                path,
                *s,
                (*c).to_owned(),
                "ok".to_owned(),
            )
        })
        .collect();
    assert_eq!(seen, expected, "{stdout}");
    assert!(seen[1].2.starts_with("/errcat-check-"), "{}", seen[1].2);
    assert_eq!(
        row(&probes, "wrong-type")["note"],
        "`name` (string) sent as a number"
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");

    // The table, on a fresh server (the burst used up the quota), with the
    // spec read from the API.
    let addr = serve(shop(Catalog::from_str(CATALOG, "errors.toml").unwrap())).await;
    let url = format!("http://{addr}");
    let spec_url = format!("{url}/openapi.json");
    let (out, took) = check(dir.path(), &[&url, "--openapi", &spec_url]).await;
    eprintln!("conformant check (table, no credentials) took {took:?}");
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        "catalog: errors.toml (found in the current directory; pass --catalog to choose): 28 errors, envelope `problem`",
        "{stdout}"
    );
    assert!(lines[1].starts_with("PROBE "), "{stdout}");
    assert!(lines[1].ends_with("VERDICT  REASON"), "{stdout}");
    assert!(
        stdout.contains("401/403 accepted (pass --api-key)"),
        "without a key, body probes stop at the key check: {stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "9 probes of {url}/: 9 ok, 0 failed, 0 skipped in "
        )),
        "{stdout}"
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_conformant_api_fails_with_each_violation_named() {
    let app = Router::new()
        .route(
            "/",
            get(|| async {
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "thread 'main' panicked at src/db.rs:42:7:\nSELECT * FROM items WHERE id = 1",
                )
            }),
        )
        .route("/items", any(items_by_hand))
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found") });
    let addr = serve(app).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("openapi.json"), SPEC).unwrap();
    let url = format!("http://{addr}/");

    let (out, took) = check(
        dir.path(),
        &[
            &url,
            "--openapi",
            "openapi.json",
            "--api-key",
            "k",
            "--format",
            "json",
        ],
    )
    .await;
    eprintln!("non-conformant check took {took:?}");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let probes = probes(&out);
    let reasons = |name: &str| -> Vec<String> {
        row(&probes, name)["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        reasons("base"),
        [
            "expected a status below 500, got 500",
            "plain-text body, not a catalog envelope",
            "leaks internals: a Rust panic (`panicked at`) in the body",
        ]
    );
    assert_eq!(
        reasons("unknown-route"),
        ["plain-text body, not a catalog envelope"]
    );
    assert_eq!(
        reasons("wrong-method"),
        [
            "405 without an Allow header",
            "plain-text body, not a catalog envelope",
        ]
    );
    assert_eq!(
        reasons("malformed-json"),
        [
            "expected 400/422, got 500",
            "plain-text body, not a catalog envelope",
            "leaks internals: an SQL error (`syntax error at or near`) in the body",
        ]
    );
    for p in &probes {
        assert_eq!(p["verdict"], "fail", "every probe fails: {p:#}");
    }
    // The catalog names no request id header: its absence is one warning.
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["warnings"].as_array().unwrap().len(), 1, "{doc:#}");
    assert!(
        doc["warnings"][0]
            .as_str()
            .unwrap()
            .starts_with("no X-Request-Id header on 9 of 9 responses"),
        "{doc:#}"
    );

    // The table names the violations too.
    let (out, _) = check(
        dir.path(),
        &[&url, "--openapi", "openapi.json", "--api-key", "k"],
    )
    .await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let wrong = stdout
        .lines()
        .find(|l| l.starts_with("wrong-method"))
        .unwrap();
    assert!(
        wrong.contains("PATCH") && wrong.contains(" 405 ") && wrong.contains("FAIL"),
        "{wrong}"
    );
    assert!(
        wrong.ends_with("405 without an Allow header; plain-text body, not a catalog envelope (sent: /items declares GET, POST)"),
        "{wrong}"
    );
    assert!(
        stdout.contains(": 0 ok, 9 failed, 0 skipped in "),
        "{stdout}"
    );
}

/// `/items` routed by hand: 405 without `Allow`, SQL in a 500.
async fn items_by_hand(method: Method) -> (StatusCode, &'static str) {
    match method {
        Method::GET => (StatusCode::OK, "[]"),
        Method::POST => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "ERROR: syntax error at or near \"{\"",
        ),
        _ => (StatusCode::METHOD_NOT_ALLOWED, "method not allowed"),
    }
}

/// A raw server: `each` runs for every accepted connection.
async fn raw_server<F, Fut>(each: F) -> SocketAddr
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(each(stream));
        }
    });
    addr
}

async fn read_head(stream: &mut tokio::net::TcpStream) {
    let mut buf = [0u8; 4096];
    let mut seen = Vec::new();
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_server_is_reported_within_the_limits() {
    let addr = raw_server(|mut s| async move {
        read_head(&mut s).await;
        tokio::time::sleep(Duration::from_secs(120)).await;
        drop(s);
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://{addr}");
    let (out, took) = check(dir.path(), &[&url, "--timeout", "1s", "--time-limit", "4s"]).await;
    eprintln!("hanging server check took {took:?}");
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    assert!(took < Duration::from_secs(4), "took {took:?}");
    let base = stdout.lines().find(|l| l.starts_with("base")).unwrap();
    assert!(
        base.contains("FAIL") && base.ends_with("timed out after 1 s"),
        "{base}"
    );
    let unknown = stdout
        .lines()
        .find(|l| l.starts_with("unknown-route"))
        .unwrap();
    assert!(unknown.ends_with("timed out after 1 s"), "{unknown}");

    // The total limit stops a check whose requests would each fit.
    let (out, took) = check(
        dir.path(),
        &[
            &url,
            "--timeout",
            "20s",
            "--time-limit",
            "2s",
            "--format",
            "json",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(took < Duration::from_secs(4), "took {took:?}");
    let probes = probes(&out);
    assert_eq!(
        row(&probes, "base")["reasons"][0],
        "not finished: the time limit of 2 s was reached"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resetting_server_is_reported() {
    let addr = raw_server(|mut s| async move {
        read_head(&mut s).await;
        #[allow(deprecated)]
        let _ = s.set_linger(Some(Duration::ZERO));
        drop(s);
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://{addr}");
    let (out, took) = check(dir.path(), &[&url, "--burst", "--format", "json"]).await;
    eprintln!("resetting server check took {took:?}");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let probes = probes(&out);
    assert_eq!(row(&probes, "base")["reasons"][0], "connection reset");
    assert_eq!(
        row(&probes, "unknown-route")["reasons"][0],
        "connection reset"
    );
    let burst = row(&probes, "burst")["reasons"][0]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        burst.starts_with("no 429 after ") && burst.ends_with("failed: connection reset"),
        "{burst}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100_mb_body_is_cut_at_the_read_limit() {
    let addr = raw_server(|mut s| async move {
        read_head(&mut s).await;
        let head = "HTTP/1.1 404 Not Found\r\nContent-Type: application/problem+json\r\nX-Request-Id: r1\r\nContent-Length: 104857600\r\n\r\n";
        if s.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let chunk = vec![b' '; 64 * 1024];
        for _ in 0..1600 {
            if s.write_all(&chunk).await.is_err() {
                return;
            }
        }
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://{addr}");
    let (out, took) = check(dir.path(), &[&url, "--format", "json"]).await;
    eprintln!("100 MB server check took {took:?}");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let probes = probes(&out);
    assert_eq!(
        row(&probes, "unknown-route")["reasons"],
        serde_json::json!(["body larger than 1048576 bytes, stopped reading"])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_and_bad_scheme_urls_are_usage_errors() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let (out, _) = check(dir.path(), &[&url]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    assert_eq!(
        text(&out.stderr),
        format!(
            "errcat: note: no errors.toml here; using errcat's standard catalog\n\
             errcat: cannot reach {url}/: connection refused (is the API running?)\n"
        )
    );
    assert_eq!(text(&out.stdout), "");

    let (out, _) = check(dir.path(), &["ftp://api.example.com"]).await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("unsupported scheme `ftp`; pass an http:// or https:// URL"),
        "{stderr}"
    );
}

/// https against the shop on 127.0.0.1 with a certificate made in the test:
/// passes with `--cacert`, is a usage error naming `--cacert` without it,
/// and passes with a loud warning under `--insecure`; the oversized probe
/// goes over TLS too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_cacert_passes_and_an_untrusted_certificate_names_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("errors.toml"), CATALOG).unwrap();
    std::fs::write(dir.path().join("openapi.json"), SPEC).unwrap();
    let server = errcat_bench_support::tls_server::serve_tls(shop(
        Catalog::from_str(CATALOG, "errors.toml").unwrap(),
    ))
    .await;
    std::fs::write(dir.path().join("cert.pem"), &server.cert_pem).unwrap();
    let url = format!("https://{}", server.addr);
    let probe_args = [
        "--openapi",
        "openapi.json",
        "--api-key",
        API_KEY,
        "--format",
        "json",
    ];

    // Trusted, then unverified: every probe passes, the oversized one
    // over its own TLS connection; only --insecure warns.
    for trust in [&["--cacert", "cert.pem"][..], &["--insecure"][..]] {
        let mut args = vec![url.as_str()];
        args.extend_from_slice(trust);
        args.extend(probe_args);
        let (out, _) = check(dir.path(), &args).await;
        let stderr = text(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}\n{stderr}",
            text(&out.stdout)
        );
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
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
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
    let other = errcat_bench_support::tls_server::serve_tls(Router::new()).await;
    std::fs::write(dir.path().join("other.pem"), &other.cert_pem).unwrap();
    let (out, _) = check(dir.path(), &[&url, "--cacert", "other.pem"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("--cacert"),
        "{}",
        text(&out.stderr)
    );
    std::fs::write(dir.path().join("empty.pem"), "").unwrap();
    let (out, _) = check(dir.path(), &[&url, "--cacert", "empty.pem"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("cannot use --cacert empty.pem: no PEM certificate"),
        "{}",
        text(&out.stderr)
    );
}

/// The layer serves errors in public APIs' envelopes over TCP (Slack's,
/// sent with 200 and `ok: false`; JSON:API's, one object per problem in
/// `application/vnd.api+json`), and `errcat check` reads them as errors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apis_in_public_envelopes_pass_the_probe() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (name, wire) in [("slack-web", Some(200)), ("json-api", None)] {
        let path = root.join(format!("examples/envelopes/{name}.toml"));
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("openapi.json"), SPEC).unwrap();
        let addr = serve(shop(Catalog::from_path(&path).unwrap())).await;
        let url = format!("http://{addr}");

        // The response itself, as a client sees it.
        let res = reqwest_get(&format!("{url}/nowhere")).await;
        match wire {
            Some(w) => {
                assert_eq!(res.0, w, "{name}");
                assert_eq!(res.2, r#"{"ok":false,"error":"not_found"}"#, "{name}");
            }
            None => {
                assert_eq!(res.0, 404, "{name}");
                assert_eq!(res.1.as_deref(), Some("application/vnd.api+json"), "{name}");
                assert!(
                    res.2
                        .starts_with(r#"{"errors":[{"status":"404","code":"not_found","#),
                    "{name}: {}",
                    res.2
                );
            }
        }

        let (out, _) = check(
            dir.path(),
            &[
                &url,
                "--catalog",
                path.to_str().unwrap(),
                "--openapi",
                "openapi.json",
                "--api-key",
                API_KEY,
                "--format",
                "json",
            ],
        )
        .await;
        let stdout = text(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {stdout}\n{}",
            text(&out.stderr)
        );
        let probes = probes(&out);
        for p in &probes {
            assert_eq!(p["verdict"], "ok", "{name}: {p:#}");
        }
        let unknown = row(&probes, "unknown-route");
        assert_eq!(unknown["code"], "not_found", "{name}");
        assert_eq!(unknown["status"], wire.unwrap_or(404), "{name}");
        let wrong = row(&probes, "wrong-type");
        let expected_code = if name == "slack-web" {
            "invalid_arguments"
        } else {
            "invalid_attribute"
        };
        assert_eq!(wrong["code"], expected_code, "{name}");
    }
}

/// A GET over a plain TCP connection: status, content type, body.
async fn reqwest_get(url: &str) -> (u16, Option<String>, String) {
    let url = url.strip_prefix("http://").unwrap();
    let (host, path) = url.split_once('/').unwrap();
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    stream
        .write_all(
            format!("GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let status = head[9..12].parse().unwrap();
    let content_type = head
        .lines()
        .find_map(|l| l.strip_prefix("content-type: "))
        .map(str::to_owned);
    (status, content_type, body.to_owned())
}

/// A server that resets a kept-alive connection instead of answering its
/// second request (as some do after an error): the probe that reused it is
/// sent again on a new connection, and no row reports the lost connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_alive_connection_closed_by_the_server_is_retried_once() {
    let addr = raw_server(|mut s| async move {
        read_head(&mut s).await;
        let body = r#"{"type":"about:blank","title":"Not found","status":404,"detail":"No such thing","code":"NOT_FOUND","category":"NOT_FOUND","error_id":"e1"}"#;
        let head = format!(
            "HTTP/1.1 404 Not Found\r\ncontent-type: application/problem+json\r\nx-request-id: r1\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        let _ = s.write_all(head.as_bytes()).await;
        let _ = s.write_all(body.as_bytes()).await;
        // The next request on this connection is read, then the
        // connection is reset without an answer.
        read_head(&mut s).await;
        // A zero linger resets the connection on drop; nothing blocks.
        #[allow(deprecated)]
        let _ = s.set_linger(Some(Duration::ZERO));
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = check(
        dir.path(),
        &[&format!("http://{addr}/"), "--format", "json"],
    )
    .await;
    let probes = probes(&out);
    assert!(probes.len() >= 2, "{probes:#?}");
    for p in &probes {
        let reasons = p["reasons"].to_string();
        assert!(!reasons.contains("connection"), "{p:#}");
        if p["verdict"] != "skip" && p["probe"] != "wrong-method" {
            assert_eq!(p["status"], 404, "{p:#}");
        }
    }
}
