//! A conformant errcat-axum API passes every probe; a plain axum API that
//! breaks every rule fails each with its violation named; APIs in public
//! envelopes pass too.

use std::path::Path;
use std::time::Duration;

use axum::Router;
use axum::http::{Method, StatusCode};
use axum::routing::{any, get};
use errcat_catalog::Catalog;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{API_KEY, CATALOG, SPEC, check, exits, probes, row, shop, spec_args, text};
use errcat_bench_support::loopback::serve;

/// One row of a JSON report, as the conformance test compares it.
#[derive(Debug, PartialEq)]
struct Row {
    probe: String,
    method: String,
    path: String,
    status: u64,
    /// `-` when the answer has no code.
    code: String,
    verdict: String,
}

impl Row {
    fn of(p: &Value) -> Self {
        Self {
            probe: p["probe"].as_str().unwrap().to_owned(),
            method: p["method"].as_str().unwrap().to_owned(),
            path: p["path"].as_str().unwrap().to_owned(),
            status: p["status"].as_u64().unwrap_or(0),
            code: p["code"].as_str().unwrap_or("-").to_owned(),
            verdict: p["verdict"].as_str().unwrap().to_owned(),
        }
    }

    fn ok(probe: &str, method: &str, path: &str, status: u64, code: &str) -> Self {
        Self {
            probe: probe.to_owned(),
            method: method.to_owned(),
            path: path.to_owned(),
            status,
            code: code.to_owned(),
            verdict: "ok".to_owned(),
        }
    }
}

/// A folder with the shop's catalog and spec, and the shop served from it.
async fn conformant_shop() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("errors.toml"), CATALOG).unwrap();
    std::fs::write(dir.path().join("openapi.json"), SPEC).unwrap();
    let addr = serve(shop(Catalog::from_str(CATALOG, "errors.toml").unwrap())).await;
    (dir, format!("http://{addr}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conformant_api_passes_every_probe() {
    let (dir, url) = conformant_shop().await;
    let (out, took) = check(
        dir.path(),
        &spec_args(&url, API_KEY, &["--burst", "--format", "json"]),
    )
    .await;
    eprintln!("conformant check (JSON) took {took:?}");
    let stdout = text(&out.stdout);
    exits(&out, 0);
    let probes = probes(&out);
    let seen: Vec<Row> = probes.iter().map(Row::of).collect();
    let unknown = seen[1].path.as_str();
    let expected = [
        Row::ok("base", "GET", "/", 200, "-"),
        Row::ok("unknown-route", "GET", unknown, 404, "NOT_FOUND"),
        Row::ok("wrong-method", "PATCH", "/items", 405, "METHOD_NOT_ALLOWED"),
        Row::ok("malformed-json", "POST", "/items", 400, "INVALID_JSON"),
        Row::ok("wrong-type", "POST", "/items", 400, "VALIDATION_ERROR"),
        Row::ok("oversized", "POST", "/items", 413, "PAYLOAD_TOO_LARGE"),
        Row::ok(
            "missing-credentials",
            "GET",
            "/items/1",
            401,
            "MISSING_TOKEN",
        ),
        Row::ok(
            "invalid-credentials (bearer)",
            "GET",
            "/items/1",
            401,
            "MALFORMED_TOKEN",
        ),
        Row::ok(
            "invalid-credentials (api key X-API-Key)",
            "POST",
            "/items",
            401,
            "INVALID_API_KEY",
        ),
        Row::ok("burst", "GET", "/items", 429, "RATE_LIMITED"),
    ];
    assert_eq!(seen, expected, "{stdout}");
    assert!(unknown.starts_with("/errcat-check-"), "{unknown}");
    assert_eq!(
        row(&probes, "wrong-type")["note"],
        "`name` (string) sent as a number"
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

/// The table, with the spec read from the API and no credentials.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conformant_api_passes_in_the_table_with_the_spec_it_serves() {
    let (dir, url) = conformant_shop().await;
    let spec_url = format!("{url}/openapi.json");
    let (out, took) = check(dir.path(), &[&url, "--openapi", &spec_url]).await;
    eprintln!("conformant check (table, no credentials) took {took:?}");
    let stdout = text(&out.stdout);
    exits(&out, 0);
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

/// A plain axum API that breaks every rule: a panic and SQL in its 500s,
/// plain-text bodies, a 405 without `Allow`; a folder with the spec.
async fn non_conformant() -> (tempfile::TempDir, String) {
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
    (dir, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_conformant_api_fails_with_each_violation_named() {
    let (dir, url) = non_conformant().await;

    let (out, took) = check(dir.path(), &spec_args(&url, "k", &["--format", "json"])).await;
    eprintln!("non-conformant check took {took:?}");
    exits(&out, 1);
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
}

/// The table names the violations too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_table_names_a_non_conformant_apis_violations() {
    let (dir, url) = non_conformant().await;
    let (out, _) = check(dir.path(), &spec_args(&url, "k", &[])).await;
    let stdout = text(&out.stdout);
    exits(&out, 1);
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
            &spec_args(
                &url,
                API_KEY,
                &["--catalog", path.to_str().unwrap(), "--format", "json"],
            ),
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
