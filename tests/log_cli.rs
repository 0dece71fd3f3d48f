//! `errcat lookup`, `errcat errors` and `errcat stats` against a real SQLite error log.

use std::process::{Command, Output};

use errcat_store::{ErrorRecord, Store, unix_ms};

fn errcat(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_errcat"));
    c.args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("ERRCAT_STORE");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

async fn seeded() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("errcat.db").display());
    let store = Store::connect(&url).await.unwrap();
    let now = unix_ms(std::time::SystemTime::now());
    let mut a = ErrorRecord::new("err-a", "req-1", "TEMPLATE_NOT_FOUND", 404);
    a.timestamp_ms = now - 60_000;
    a.category = "OBJECT".into();
    a.method = "GET".into();
    a.path = "/templates/tpl_9".into();
    a.route = Some("/templates/{id}".into());
    a.tenant = Some("acme".into());
    a.causes = vec!["no rows".into()];
    a.headers = vec![("authorization".into(), "[REDACTED]".into())];
    let mut b = ErrorRecord::new("err-b", "req-1", "INTERNAL_ERROR", 500);
    b.timestamp_ms = now - 30_000;
    b.panic_message = Some("index out of bounds".into());
    b.panic_location = Some("src/main.rs:3:5".into());
    let mut c = ErrorRecord::new("err-c", "req-2", "TEMPLATE_NOT_FOUND", 404);
    c.timestamp_ms = now - 10 * 86_400_000;
    store.insert_batch(&[a, b, c]).await.unwrap();
    store.close().await;
    (dir, url)
}

#[tokio::test]
async fn lookup_prints_a_support_page() {
    let (_dir, url) = seeded().await;
    let out = errcat(
        &[
            "lookup",
            "err-a",
            "--store",
            &url,
            "--catalog",
            "examples/catalogs/004-dual.toml",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let page = text(&out.stdout);
    for line in [
        "404 TEMPLATE_NOT_FOUND Template not found\n",
        "  error id    err-a\n",
        "  request id  req-1\n",
        "  request     GET /templates/tpl_9  (route /templates/{id})\n",
        "  tenant      acme  principal -\n",
        "  cause       no rows\n",
        "  header      authorization: [REDACTED]\n",
        "\nWhat it means:\n  The template_id you provided does not exist.\n",
        "\nResolution:\n  1. Verify the ID matches a template in your org.\n",
    ] {
        assert!(page.contains(line), "missing {line:?} in:\n{page}");
    }
    assert!(page.contains(" (1 min ago)\n"), "{page}");

    // A request id finds every error of the request; ERRCAT_STORE is read.
    let out = errcat(
        &["lookup", "req-1", "--format", "json"],
        &[("ERRCAT_STORE", &url)],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["error_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["err-a", "err-b"]);
    assert_eq!(v[1]["panic_location"], "src/main.rs:3:5");

    let out = errcat(&["lookup", "nope", "--store", &url], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "errcat: no error or request with id `nope` in the error log\n"
    );
}

#[tokio::test]
async fn errors_and_stats() {
    let (_dir, url) = seeded().await;
    let out = errcat(
        &[
            "errors", "--store", &url, "--since", "1h", "--format", "json",
        ],
        &[],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["error_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["err-b", "err-a"]);
    let out = errcat(
        &["errors", "--store", &url, "--code", "TEMPLATE_NOT_FOUND"],
        &[],
    );
    let table = text(&out.stdout);
    assert_eq!(table.lines().count(), 4, "{table}");
    assert!(table.ends_with("2 error(s)\n"), "{table}");

    let out = errcat(
        &[
            "stats", "--store", &url, "--since", "24h", "--format", "json",
        ],
        &[],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["totals"],
        serde_json::json!([{"code": "INTERNAL_ERROR", "count": 1}, {"code": "TEMPLATE_NOT_FOUND", "count": 1}])
    );
    let out = errcat(&["stats", "--store", &url, "--since", "30d"], &[]);
    assert!(text(&out.stdout).contains("  TEMPLATE_NOT_FOUND                      2  ########################################\n"), "{}", text(&out.stdout));
}

#[test]
fn missing_store_and_bad_durations_are_usage_errors() {
    let out = errcat(
        &["errors", "--store", "sqlite:///nonexistent/dir/errcat.db"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "errcat: no error log at sqlite:///nonexistent/dir/errcat.db (pass --store URL or set ERRCAT_STORE; `errcat demo` writes errcat.db here)\n"
    );
    let out = errcat(
        &["stats", "--since", "1w", "--store", "sqlite::memory:"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "errcat: `1w` is not a duration: use a number and s, m, h or d (`15m`, `24h`)\n"
    );
}
