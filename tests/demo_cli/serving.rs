//! The demo serves the API, its docs and console, logs its errors (found
//! again by id, in the console and the CLI), passes `errcat check`, and
//! stops cleanly; a busy port is a clear error.

use super::*;

#[test]
fn demo_serves_logs_and_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let mut demo = start(&db);
    eprintln!("errcat demo ready in {} ms", demo.ready.as_millis());
    let banner = demo.banner.join("\n");
    for needle in [
        "/errors",
        "/console",
        "/api/openapi.json",
        errcat_demo::DEMO_API_KEY,
        "curl -i",
        "sqlite://",
        "600/min per API key, in this process's memory",
    ] {
        assert!(banner.contains(needle), "banner lacks {needle}:\n{banner}");
    }
    assert_eq!(banner.matches("curl -i").count(), 3, "{banner}");

    let addr = demo.addr.clone();
    let ids = the_banner_requests_fail(&addr);
    the_log_finds_them(&addr, &db, &ids);
    errcat_check_passes(&addr);
    stops_on_sigterm(&mut demo);
}

/// The ids of the errors the banner's requests produced.
struct Ids {
    /// The validation error's.
    error_id: String,
    /// The validation error's request.
    request_id: String,
    /// The panic's.
    panic_id: String,
}

/// The three curl lines of the banner produce errors.
fn the_banner_requests_fail(addr: &str) -> Ids {
    let (status, head, body) = post_json(
        addr,
        "/api/events",
        &[("X-API-Key", errcat_demo::DEMO_API_KEY)],
        r#"{"events": [{"type": "teleport", "user_id": "u1", "timestamp": 1}]}"#,
    );
    assert_eq!(status, 400, "{body}");
    let v = json(&body);
    assert_eq!(v["code"], "VALIDATION_ERROR");
    assert_eq!(v["errors"][0]["path"], "events.0.type");
    assert_eq!(
        header(&head, "content-type"),
        Some("application/problem+json")
    );
    let error_id = v["error_id"].as_str().unwrap().to_owned();
    let request_id = header(&head, "x-request-id").unwrap().to_owned();
    assert_eq!(v["request_id"], request_id.as_str());

    let (status, _, body) = post_json(
        addr,
        "/api/auth/login",
        &[],
        r#"{"email": "bob@acme.test", "password": "#,
    );
    assert_eq!(
        (status, json(&body)["code"].as_str()),
        (400, Some("INVALID_JSON"))
    );
    let (status, _, body) = get(addr, "/api/debug/panic", &[]);
    let panic = json(&body);
    assert_eq!(
        (status, panic["code"].as_str()),
        (500, Some("INTERNAL_ERROR"))
    );
    assert!(!body.contains("index out of bounds"), "{body}");
    let panic_id = panic["error_id"].as_str().unwrap().to_owned();
    Ids {
        error_id,
        request_id,
        panic_id,
    }
}

/// The docs and the console are served next to the API; the error log has
/// the errors, found again from either id, in the console and the CLI.
fn the_log_finds_them(addr: &str, db: &Path, ids: &Ids) {
    let Ids {
        error_id,
        request_id,
        panic_id,
    } = ids;
    let (status, _, body) = get(addr, "/errors", &[]);
    assert_eq!(status, 200);
    assert!(body.contains(r#"id="OBJECT_LOCKED""#));

    // The error log has the errors, found again from either id.
    eventually("the validation error is in the log", || {
        get(addr, &format!("/console/lookup?id={error_id}"), &[]).0 == 200
    });
    let (_, _, page) = get(addr, &format!("/console/lookup?id={error_id}"), &[]);
    assert!(page.contains("VALIDATION_ERROR"), "{page}");
    assert!(page.contains("/api/events"), "{page}");
    let (status, _, page) = get(addr, &format!("/console/lookup?id={request_id}"), &[]);
    assert_eq!(status, 200);
    assert!(page.contains(error_id.as_str()), "{page}");
    eventually("the panic is in the log", || {
        get(addr, &format!("/console/lookup?id={panic_id}"), &[]).0 == 200
    });
    let (_, _, page) = get(addr, &format!("/console/lookup?id={panic_id}"), &[]);
    assert!(
        page.contains("index out of bounds"),
        "the panic message is for support: {page}"
    );

    // The same log, through the CLI.
    let out = Command::new(env!("CARGO_BIN_EXE_errcat"))
        .args(["lookup", error_id, "--format", "json", "--store"])
        .arg(format!("sqlite://{}", db.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let found = json(&String::from_utf8_lossy(&out.stdout));
    let text = found.to_string();
    assert!(
        text.contains("VALIDATION_ERROR") && text.contains(request_id.as_str()),
        "{text}"
    );
}

/// `errcat check` against the running demo: every probe passes, quickly.
fn errcat_check_passes(addr: &str) {
    let (status, _, body) = post_json(
        addr,
        "/api/auth/login",
        &[],
        r#"{"email": "alice@acme.test", "password": "demo-password"}"#,
    );
    assert_eq!(status, 200, "{body}");
    let token = json(&body)["access_token"].as_str().unwrap().to_owned();
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_errcat"))
        .arg("check")
        .arg(format!("http://{addr}/api"))
        .args(["--catalog", "crates/errcat-demo/errors.toml", "--openapi"])
        .arg(format!("http://{addr}/api/openapi.json"))
        .args([
            "--api-key",
            errcat_demo::DEMO_API_KEY,
            "--bearer",
            &token,
            "--burst",
        ])
        .current_dir(root())
        .output()
        .unwrap();
    let took = started.elapsed();
    let table = String::from_utf8_lossy(&out.stdout);
    println!("{table}");
    eprintln!("errcat check of the demo took {} ms", took.as_millis());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{table}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(took < Duration::from_secs(10), "{took:?}");
    for probe in [
        "unknown-route",
        "wrong-method",
        "malformed-json",
        "wrong-type",
        "oversized",
        "missing-credentials",
        "burst",
    ] {
        assert!(table.contains(probe), "no {probe} row:\n{table}");
    }
    assert!(table.contains("INVALID_JSON"), "{table}");
    assert!(table.contains("RATE_LIMITED"), "{table}");
}

/// SIGTERM: the writer flushes and the process exits 0.
fn stops_on_sigterm(demo: &mut Demo) {
    let pid = demo.child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = demo.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "demo did not stop"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
}

#[test]
fn demo_refuses_a_busy_port_with_a_clear_message() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_errcat"))
        .args(["demo", "--addr", &addr, "--store"])
        .arg(format!("sqlite://{}", dir.path().join("d.db").display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot listen on") && err.contains("--addr"),
        "{err}"
    );
}

/// A rate limit store the demo cannot use stops it before it listens, with
/// exit 2 and a message naming the flag: a URL that is no store, one that
/// is no Redis URL, and a Redis where nothing listens.
#[cfg(feature = "redis")]
#[test]
fn demo_refuses_a_rate_limit_store_it_cannot_use() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite://{}", dir.path().join("d.db").display());
    let nothing_there = format!("redis://:hunter2@127.0.0.1:{closed}");
    for (url, says) in [
        ("memcached://127.0.0.1:11211", "is not a rate limit store"),
        ("redis://127.0.0.1:6379/not-a-db", "is not a Redis URL"),
        (nothing_there.as_str(), "cannot reach the rate limit store"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_errcat"))
            .args(["demo", "--addr", "127.0.0.1:0", "--store", &store])
            .args(["--rate-limit-store", url])
            .env_remove("ERRCAT_RATE_LIMIT_STORE")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{url}: {err}");
        assert!(
            err.contains(says) && err.contains("--rate-limit-store"),
            "{url}: {err}"
        );
        assert!(!err.contains("hunter2"), "the password is shown: {err}");
        assert!(out.stdout.is_empty(), "{url}: it listened");
    }
}

/// End to end: control characters sent in a body reach
/// the error log, and `errcat lookup` prints them visibly.
#[test]
fn demo_lookup_of_a_hostile_body_prints_no_control_character() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let demo = start(&db);
    let (status, _, body) = post_json(
        &demo.addr,
        "/api/auth/login",
        &[],
        "{\"email\":\"\u{1b}]0;PWNED\u{7}\u{1b}[2J\",\"password\":",
    );
    assert_eq!(status, 400, "{body}");
    let error_id = json(&body)["error_id"].as_str().unwrap().to_owned();
    let lookup = || {
        Command::new(env!("CARGO_BIN_EXE_errcat"))
            .args(["lookup", &error_id, "--store"])
            .arg(format!("sqlite://{}", db.display()))
            .output()
            .unwrap()
    };
    eventually("the error is in the log", || lookup().status.success());
    let out = lookup().stdout;
    let page = String::from_utf8_lossy(&out);
    assert!(page.contains("\\u{1b}]0;PWNED\\u{7}\\u{1b}[2J"), "{page}");
    let raw: Vec<u8> = out
        .iter()
        .copied()
        .filter(|&b| (b < 0x20 && b != b'\n' && b != b'\t') || b == 0x7f)
        .collect();
    assert!(raw.is_empty(), "raw controls {raw:?} in:\n{page}");
}

/// The JSON log events on a child's stderr, read as they come; any line
/// that is not a JSON object fails the test that reads it.
fn json_events(child: &mut Child) -> std::sync::Arc<std::sync::Mutex<Vec<String>>> {
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = lines.clone();
    let stderr = BufReader::new(child.stderr.take().expect("stderr piped"));
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    lines
}

/// The first event whose `fields.message` is `message`.
fn event(lines: &[String], message: &str) -> Option<serde_json::Value> {
    lines
        .iter()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l)
                .unwrap_or_else(|e| panic!("a log line that is not JSON ({e}): {l}"))
        })
        .find(|e| e["fields"]["message"] == message)
}

#[test]
fn demo_logs_panics_errors_and_error_log_failures_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let mut demo = launch(
        &db,
        &["--log-format", "json"],
        &[("RUST_LOG", "debug")],
        Stdio::piped(),
    );
    let lines = json_events(&mut demo.child);
    assert_eq!(get(&demo.addr, "/api/debug/panic", &[]).0, 500);
    assert_eq!(get(&demo.addr, "/nowhere", &[]).0, 404);
    // The panic: one event from the panic hook, one from the layer; then
    // the 404's (the events reach the pipe in their own time).
    eventually("the panic's and the 404's events", || {
        let lines = lines.lock().unwrap();
        event(&lines, "panicked").is_some()
            && event(&lines, "request failed").is_some()
            && event(&lines, "request rejected").is_some()
    });
    let (hook, failed, rejected) = {
        let lines = lines.lock().unwrap();
        (
            event(&lines, "panicked").unwrap(),
            event(&lines, "request failed").unwrap(),
            event(&lines, "request rejected"),
        )
    };
    let panic = "index out of bounds: the len is 0 but the index is 0";
    assert_eq!(
        (
            &hook["level"],
            &hook["fields"]["panic"],
            &hook["span"]["route"]
        ),
        (&"ERROR".into(), &panic.into(), &"/api/debug/panic".into()),
        "{hook}"
    );
    assert_eq!(
        (&failed["fields"]["code"], &failed["fields"]["panic"]),
        (&"INTERNAL_ERROR".into(), &panic.into()),
        "{failed}"
    );
    let rejected = rejected.expect("the 404's event");
    assert_eq!(
        (&rejected["level"], &rejected["fields"]["code"]),
        (&"WARN".into(), &"NOT_FOUND".into()),
        "{rejected}"
    );
    // RUST_LOG=debug lets DEBUG events through: the error log's writer
    // says so of each batch.
    eventually("a DEBUG event of the error log's writer", || {
        lines.lock().unwrap().iter().any(|l| {
            l.contains(r#""level":"DEBUG""#) && l.contains("errcat error log batch written")
        })
    });

    // Break the error log under the running server: the writer's failure is
    // an event too.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = errcat_store::Store::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        let errcat_store::Store::Sqlite(sqlite) = &store else {
            unreachable!("a SQLite URL")
        };
        rusqlite::Connection::open(sqlite.path().expect("a SQLite file"))
            .and_then(|c| c.execute_batch("DROP TABLE errcat_errors"))
            .unwrap();
        store.close().await;
    });
    assert_eq!(get(&demo.addr, "/nowhere-else", &[]).0, 404);
    eventually("the writer's failure", || {
        let lines = lines.lock().unwrap();
        lines
            .iter()
            .any(|l| l.contains("errcat error log") && l.contains("no such table"))
    });
}
