//! `errcat check` against real servers on 127.0.0.1: a conformant errcat-axum
//! API and a plain axum API that breaks every rule (`conformance.rs`),
//! hostile servers (hanging, resetting, streaming 100 MB) and URLs it cannot
//! check (`hostile.rs`), and https (`tls.rs`). Here: the shop they serve,
//! its catalog and spec, and running the binary.

mod conformance;
mod hostile;
mod tls;

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use errcat_axum::ErrcatLayer;
use errcat_axum::api_key::{ApiKey, ApiKeyRecord, ApiKeys};
use errcat_axum::rate_limit::{Policy, Quota, RateLimitLayer};
use errcat_catalog::Catalog;
use errcat_render::{Error, Renderer};
use serde_json::Value;

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

/// The arguments probing `url` with `openapi.json` of the working folder
/// and `key` as the API key, then `more`.
fn spec_args<'a>(url: &'a str, key: &'a str, more: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![url, "--openapi", "openapi.json", "--api-key", key];
    args.extend_from_slice(more);
    args
}

/// Checks the exit code, showing both streams when it differs.
fn exits(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
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
