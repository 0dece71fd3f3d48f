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

/// The `error_id` of each record of a JSON listing, in order.
fn error_ids(listing: &serde_json::Value) -> Vec<&str> {
    listing
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["error_id"].as_str().unwrap())
        .collect()
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
    a.message = Some("Template tpl_9 not found".into());
    a.response = Some(errcat_store::SentResponse {
        status: 404,
        headers: vec![("retry-after".into(), "30".into())],
        body: r#"{"error":{"code":4041}}"#.into(),
        body_bytes: 23,
    });
    a.violations = vec![errcat_store::Violation {
        path: "events.0.type".into(),
        message: "unknown variant `teleport`".into(),
        reason: None,
    }];
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
        "GET /templates/{id} — the client's request: Template tpl_9 not found\n",
        "  sent        HTTP 404\n",
        "              retry-after: 30\n",
        "  sent body   {\"error\":{\"code\":4041}}\n",
        "  violation   events.0.type: unknown variant `teleport`\n",
        "\nFor support:\n",
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
    let ids = error_ids(&v);
    assert_eq!(ids, ["err-a", "err-b"]);
    assert_eq!(v[1]["panic_location"], "src/main.rs:3:5");
    assert_eq!(v[0]["response"]["headers"][0][1], "30");
    assert_eq!(v[0]["violations"][0]["path"], "events.0.type");
    assert_eq!(v[0]["next_move"], "client");
    assert_eq!(v[1]["next_move"], "server");

    // The id as pasted: quoted, with a header's name, in another case.
    for pasted in ["\"err-a\"", "X-Request-Id: REQ-1", "  'ERR-A'  "] {
        let out = errcat(&["lookup", pasted, "--store", &url], &[]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{pasted}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stdout).contains("  error id    err-a\n"),
            "{pasted}"
        );
    }

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
    let ids = error_ids(&v);
    assert_eq!(ids, ["err-b", "err-a"]);
    let out = errcat(
        &["errors", "--store", &url, "--code", "TEMPLATE_NOT_FOUND"],
        &[],
    );
    let table = text(&out.stdout);
    assert_eq!(table.lines().count(), 4, "{table}");
    assert!(table.ends_with("2 errors\n"), "{table}");

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

/// Bytes a terminal acts on: C0 controls but newline and tab, DEL, and the C1
/// controls (U+0080–U+009F, `0xC2 0x80`–`0xC2 0x9F` in UTF-8).
fn terminal_controls(out: &[u8]) -> Vec<(usize, u8)> {
    let mut found = Vec::new();
    for (i, &b) in out.iter().enumerate() {
        let c1 = b == 0xC2 && out.get(i + 1).is_some_and(|n| (0x80..=0x9F).contains(n));
        if (b < 0x20 && b != b'\n' && b != b'\t') || b == 0x7F || c1 {
            found.push((i, b));
        }
    }
    found
}

#[tokio::test]
async fn stored_control_characters_are_printed_visibly() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("errcat.db").display());
    let store = Store::connect(&url).await.unwrap();
    // Every text field a client can reach, with a title change, a screen
    // clear, a carriage return, DEL and a C1 CSI.
    let evil = "\u{1b}]0;PWNED\u{7}\u{1b}[2J\r\u{7f}\u{9b}31m";
    let mut r = ErrorRecord::new("err-evil", "req-evil", "INVALID_JSON", 400);
    r.timestamp_ms = unix_ms(std::time::SystemTime::now());
    r.method = "POST".into();
    r.path = format!("/api/auth/login{evil}");
    r.route = Some(format!("/r{evil}"));
    r.trace_id = Some(format!("t{evil}"));
    r.tenant = Some(format!("acme{evil}"));
    r.principal = Some(format!("p{evil}"));
    r.client_ip = Some(format!("ip{evil}"));
    r.user_agent = Some(format!("ua{evil}"));
    r.causes = vec![format!("cause{evil}\nsecond line")];
    r.panic_message = Some(format!("boom{evil}"));
    r.panic_location = Some(format!("src/x.rs{evil}"));
    r.headers = vec![("x-evil".into(), format!("v{evil}"))];
    r.body_excerpt = Some(format!("{{\"email\":\"{evil}\",\"password\":"));
    store.insert_batch(&[r]).await.unwrap();
    store.close().await;

    for args in [
        &["lookup", "err-evil"][..],
        &["lookup", "req-evil", "--format", "json"],
        &["errors"],
        &["errors", "--format", "json"],
    ] {
        let mut argv = args.to_vec();
        argv.extend(["--store", &url]);
        let out = errcat(&argv, &[]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert!(!out.stdout.is_empty());
        let bad = terminal_controls(&out.stdout);
        assert!(
            bad.is_empty(),
            "{argv:?} printed raw controls {bad:?}:\n{}",
            text(&out.stdout)
        );
    }
    // Shown, not dropped: support still sees what was sent.
    let page = text(&errcat(&["lookup", "err-evil", "--store", &url], &[]).stdout);
    assert!(
        page.contains(
            r#"  body        {"email":"\u{1b}]0;PWNED\u{7}\u{1b}[2J\r\u{7f}\u{9b}31m","password":"#
        ),
        "{page}"
    );
    assert!(
        page.contains("  header      x-evil: v\\u{1b}]0;PWNED"),
        "{page}"
    );
    // A newline in a cause stays a newline, indented under the field so it
    // cannot pose as a line of the page.
    assert!(
        page.contains("  cause       cause\\u{1b}]0;PWNED\\u{7}\\u{1b}[2J\\r\\u{7f}\\u{9b}31m\n              second line\n"),
        "{page}"
    );
    // JSON stays JSON and round-trips the stored value.
    let out = errcat(
        &["lookup", "err-evil", "--format", "json", "--store", &url],
        &[],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["user_agent"], format!("ua{evil}"));
}

/// `errcat lookup` of an error id the log sampled out in an error storm
/// says so, and `errcat stats` still counts every error.
#[tokio::test]
async fn lookup_explains_an_id_sampled_out_in_a_storm() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("errcat.db").display());
    let store = Store::connect(&url).await.unwrap();
    let log = errcat_store::ErrorLog::spawn(
        store.clone(),
        errcat_store::WriterConfig {
            storm: errcat_store::Storm {
                busy_budget: 0.0,
                keep_first: 1,
                ..errcat_store::Storm::default()
            },
            ..errcat_store::WriterConfig::default()
        },
    );
    let ms = unix_ms(std::time::SystemTime::now()) - 120_000;
    let mut sampled = Vec::new();
    for i in 0..25u32 {
        let id = format!("{ms:012x}7{i:03x}8{i:015x}");
        let mut r = ErrorRecord::new(&id, format!("req-{i}"), "TEMPLATE_NOT_FOUND", 404);
        r.timestamp_ms = ms;
        if log.record(r) == errcat_store::Recorded::SampledOut {
            sampled.push(id);
        }
    }
    log.shutdown().await;
    store.close().await;
    assert_eq!(sampled.len(), 24);

    let out = errcat(&["lookup", &sampled[3], "--store", &url], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.starts_with(&format!(
            "errcat: no error or request with id `{}` in the error log\n\
             Not kept: the log sampled errors in an error storm at ",
            sampled[3]
        )),
        "{err}"
    );
    assert!(
        err.ends_with(
            "\n  24 of 25 TEMPLATE_NOT_FOUND (404) on no matching route that minute were not recorded\n"
        ),
        "{err}"
    );

    let out = errcat(
        &[
            "stats", "--since", "10m", "--store", &url, "--format", "json",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        stats["totals"],
        serde_json::json!([{"code": "TEMPLATE_NOT_FOUND", "count": 25}]),
        "every error counted: {stats}"
    );
}
