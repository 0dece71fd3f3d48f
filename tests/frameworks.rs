//! `errcat check` against real apps in other languages, started on
//! loopback: a FastAPI app (PyPI) and an Express app (npm), each probed with
//! its framework's catalog from `examples/frameworks/`. A conformant app
//! passes; the same app with three planted defects (`ERRCAT_DEFECTS=1`: a
//! wrong status, a leaked stack trace, an oversized body echoed back) fails
//! naming exactly those three.
//!
//! The apps need `fastapi` and `uvicorn` (pip) and `tests/apps/express`'s
//! `npm ci`; `.ci/run` installs both. Elsewhere a missing one is skipped,
//! saying why; under `CI=true` it fails.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `Ok` when the tool is there; otherwise the test is skipped (or, in CI, fails).
fn available(what: &str, probe: &mut Command) -> bool {
    let ok = probe
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{what} is missing: .ci/run installs it"
        );
        eprintln!(
            "skipped: {what} is missing (pip install fastapi uvicorn; cd tests/apps/express && npm ci)"
        );
    }
    ok
}

/// A started app, killed when dropped.
struct App {
    child: Child,
    url: String,
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `cmd` and waits (at most 30 s) for its `listening on URL` line.
fn start(mut cmd: Command, defects: bool) -> App {
    if defects {
        cmd.env("ERRCAT_DEFECTS", "1");
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(if defects {
            Stdio::null()
        } else {
            Stdio::inherit()
        })
        .spawn()
        .expect("the app starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("listening on ") {
                let _ = tx.send(url.to_owned());
            }
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the app says where it listens within 30 s");
    App { child, url }
}

fn check(app: &App, catalog: &str, extra: &[&str]) -> Output {
    let catalog: PathBuf = root().join("examples/frameworks").join(catalog);
    Command::new(env!("CARGO_BIN_EXE_errcat"))
        .arg("check")
        .arg(&app.url)
        .arg("--catalog")
        .arg(catalog)
        .arg("--openapi")
        .arg(format!("{}/openapi.json", app.url))
        .args(extra)
        .args(["--format", "json"])
        .output()
        .unwrap()
}

/// The failing probes, each with its reasons.
fn failing(out: &Output) -> Vec<(String, Vec<String>)> {
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    doc["probes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["verdict"] == "fail")
        .map(|p| {
            (
                p["probe"].as_str().unwrap().to_owned(),
                p["reasons"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r.as_str().unwrap().to_owned())
                    .collect(),
            )
        })
        .collect()
}

/// The three planted defects, each named.
fn assert_three_defects(out: &Output, leak: &str) {
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let failing = failing(out);
    let names: BTreeSet<&str> = failing.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "base",
            "invalid-credentials (api key X-API-Key)",
            "oversized"
        ]),
        "{failing:#?}"
    );
    let reasons = |probe: &str| {
        failing
            .iter()
            .find(|(n, _)| n == probe)
            .unwrap()
            .1
            .join("; ")
    };
    assert!(reasons("base").contains(leak), "{}", reasons("base"));
    assert!(
        reasons("invalid-credentials (api key X-API-Key)")
            .contains("`INVALID_API_KEY` has status 401 in the catalog, the response 403"),
        "{}",
        reasons("invalid-credentials (api key X-API-Key)")
    );
    assert!(
        reasons("oversized").contains("the body echoes the request's"),
        "{}",
        reasons("oversized")
    );
}

fn fastapi() -> Command {
    let mut c = Command::new("python3");
    c.arg(root().join("tests/apps/fastapi/serve.py"));
    c
}

fn express() -> Command {
    let mut c = Command::new("node");
    c.arg(root().join("tests/apps/express/app.js"));
    c
}

/// The app passes with its catalog; with its planted defects it fails,
/// naming exactly those.
fn conformant_then_defective(app: fn() -> Command, catalog: &str, args: &[&str], leak: &str) {
    let running = start(app(), false);
    let out = check(&running, catalog, args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    drop(running);
    let running = start(app(), true);
    assert_three_defects(&check(&running, catalog, args), leak);
}

#[test]
fn a_fastapi_app_passes_and_its_planted_defects_are_named() {
    if available(
        "FastAPI (python3 -c 'import fastapi, uvicorn')",
        Command::new("python3").args(["-c", "import fastapi, uvicorn"]),
    ) {
        conformant_then_defective(
            fastapi,
            "fastapi.toml",
            &["--api-key", "sk_test_fastapi"],
            "a Python traceback",
        );
    }
}

#[test]
fn an_express_app_passes_and_its_planted_defects_are_named() {
    if available(
        "Express (node and tests/apps/express/node_modules)",
        Command::new("node")
            .arg("-e")
            .arg("require('express')")
            .current_dir(root().join("tests/apps/express")),
    ) {
        conformant_then_defective(
            express,
            "express.toml",
            &["--api-key", "sk_test_express", "--max-body", "1048576"],
            "leaks internals",
        );
    }
}

/// Each framework catalog reads its framework's documented bodies back to
/// the right code (and violations), with no server needed.
#[test]
fn framework_catalogs_read_their_frameworks_bodies() {
    let cases: &[(&str, u16, &str, &str, &[&str])] = &[
        (
            "fastapi.toml",
            404,
            r#"{"detail":"Not Found"}"#,
            "NOT_FOUND",
            &[],
        ),
        (
            "fastapi.toml",
            401,
            r#"{"detail":"Not authenticated"}"#,
            "NOT_AUTHENTICATED",
            &[],
        ),
        (
            "fastapi.toml",
            422,
            r#"{"detail":[{"type":"missing","loc":["body","name"],"msg":"Field required","input":{}},{"type":"int_parsing","loc":["body","items",0,"qty"],"msg":"Input should be a valid integer","input":"x"}]}"#,
            "VALIDATION_ERROR",
            &["name", "items.0.qty"],
        ),
        (
            "django-rest-framework.toml",
            400,
            r#"{"name":["This field is required."],"price":["A valid integer is required.","Ensure this value is greater than or equal to 0."]}"#,
            "INVALID",
            &["name", "price", "price"],
        ),
        (
            "django-rest-framework.toml",
            404,
            r#"{"detail":"Not found."}"#,
            "NOT_FOUND",
            &[],
        ),
        (
            "django-rest-framework.toml",
            405,
            r#"{"detail":"Method \"PATCH\" not allowed."}"#,
            "METHOD_NOT_ALLOWED",
            &[],
        ),
        (
            "django-rest-framework.toml",
            403,
            r#"{"detail":"Authentication credentials were not provided."}"#,
            "NOT_AUTHENTICATED",
            &[],
        ),
        (
            "spring-boot.toml",
            404,
            r#"{"timestamp":"2024-05-01T10:00:00.000+00:00","status":404,"error":"Not Found","path":"/api/orders/42"}"#,
            "NOT_FOUND",
            &[],
        ),
        (
            "spring-boot.toml",
            400,
            r#"{"timestamp":"2024-05-01T10:00:00.000+00:00","status":400,"error":"Bad Request","path":"/api/orders"}"#,
            "BAD_REQUEST",
            &[],
        ),
        (
            "express.toml",
            401,
            r#"{"error":{"code":"INVALID_API_KEY","message":"The API key is not valid"}}"#,
            "INVALID_API_KEY",
            &[],
        ),
    ];
    for (catalog, status, body, code, paths) in cases {
        let path = root().join("examples/frameworks").join(catalog);
        let catalog_ = errcat_catalog::Catalog::from_path(&path).unwrap();
        let e = errcat_client::Parser::new(&catalog_).parse_body(*status, body.as_bytes());
        assert_eq!(e.code.as_deref(), Some(*code), "{catalog}: {body}");
        let got: Vec<&str> = e.violations.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(got, *paths, "{catalog}: {body}");
        assert!(e.complete, "{catalog}: {body} read only in part");
    }
}
