//! `errcat demo`, black-box: the binary starts the reference API with its
//! SQLite error log, docs and console; an error a request gets is found
//! again from its id; `errcat check` finds nothing wrong with it.

#![cfg(feature = "demo")]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A running `errcat demo`, killed on drop.
struct Demo {
    child: Child,
    addr: String,
    banner: Vec<String>,
    ready: Duration,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(db: &Path) -> Demo {
    start_with(db, &[])
}

fn start_with(db: &Path, extra: &[&str]) -> Demo {
    launch(db, extra, &[], Stdio::inherit())
}

/// Starts `errcat demo` with extra arguments and environment, its stderr
/// going to `stderr`.
fn launch(db: &Path, extra: &[&str], env: &[(&str, &str)], stderr: Stdio) -> Demo {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_errcat"))
        .args(["demo", "--addr", "127.0.0.1:0", "--store"])
        .arg(format!("sqlite://{}", db.display()))
        .args(extra)
        .current_dir(root())
        .env_remove("ERRCAT_STORE")
        .env_remove("ERRCAT_CONSOLE_TOKEN")
        .env_remove("RUST_LOG")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().expect("a first line").unwrap();
    let addr = first
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("first line: {first}"))
        .to_owned();
    // Ready: the first request answered.
    loop {
        if get(&addr, "/api/health", &[]).0 == 200 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "never ready");
        std::thread::sleep(Duration::from_millis(5));
    }
    let ready = started.elapsed();
    let mut banner = vec![first];
    // The banner ends with the line about the console.
    for line in lines.by_ref() {
        let line = line.unwrap();
        let done = line.contains("Ctrl-C");
        banner.push(line);
        if done {
            break;
        }
    }
    // Keep draining stdout so that the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Demo {
        child,
        addr,
        banner,
        ready,
    }
}

/// A request over a plain TCP connection: (status, headers, body); status 0
/// when nothing listens.
fn request(addr: &str, raw: &str, body: &[u8]) -> (u16, String, String) {
    // Not listening yet: status 0.
    let Ok(mut s) = TcpStream::connect(addr) else {
        return (0, String::new(), String::new());
    };
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(raw.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_owned(), body.to_owned())
}

fn get(addr: &str, path: &str, headers: &[(&str, &str)]) -> (u16, String, String) {
    let mut raw = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        raw.push_str(&format!("{k}: {v}\r\n"));
    }
    raw.push_str("\r\n");
    request(addr, &raw, b"")
}

fn post_json(
    addr: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
    let mut raw = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        raw.push_str(&format!("{k}: {v}\r\n"));
    }
    raw.push_str("\r\n");
    request(addr, &raw, body.as_bytes())
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// Polls `f` until it is true (the error log writes in the background).
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < Duration::from_secs(10), "never: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

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
    ] {
        assert!(banner.contains(needle), "banner lacks {needle}:\n{banner}");
    }
    assert_eq!(banner.matches("curl -i").count(), 3, "{banner}");

    // The three curl lines of the banner produce errors.
    let addr = demo.addr.clone();
    let (status, head, body) = post_json(
        &addr,
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
        &addr,
        "/api/auth/login",
        &[],
        r#"{"email": "bob@acme.test", "password": "#,
    );
    assert_eq!(
        (status, json(&body)["code"].as_str()),
        (400, Some("INVALID_JSON"))
    );
    let (status, _, body) = get(&addr, "/api/debug/panic", &[]);
    let panic = json(&body);
    assert_eq!(
        (status, panic["code"].as_str()),
        (500, Some("INTERNAL_ERROR"))
    );
    assert!(!body.contains("index out of bounds"), "{body}");
    let panic_id = panic["error_id"].as_str().unwrap().to_owned();

    // The docs and the console are served next to the API.
    let (status, _, body) = get(&addr, "/errors", &[]);
    assert_eq!(status, 200);
    assert!(body.contains(r#"id="OBJECT_LOCKED""#));

    // The error log has the errors, found again from either id.
    eventually("the validation error is in the log", || {
        get(&addr, &format!("/console/lookup?id={error_id}"), &[]).0 == 200
    });
    let (_, _, page) = get(&addr, &format!("/console/lookup?id={error_id}"), &[]);
    assert!(page.contains("VALIDATION_ERROR"), "{page}");
    assert!(page.contains("/api/events"), "{page}");
    let (status, _, page) = get(&addr, &format!("/console/lookup?id={request_id}"), &[]);
    assert_eq!(status, 200);
    assert!(page.contains(&error_id), "{page}");
    eventually("the panic is in the log", || {
        get(&addr, &format!("/console/lookup?id={panic_id}"), &[]).0 == 200
    });
    let (_, _, page) = get(&addr, &format!("/console/lookup?id={panic_id}"), &[]);
    assert!(
        page.contains("index out of bounds"),
        "the panic message is for support: {page}"
    );

    // The same log, through the CLI.
    let out = Command::new(env!("CARGO_BIN_EXE_errcat"))
        .args(["lookup", &error_id, "--format", "json", "--store"])
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
        text.contains("VALIDATION_ERROR") && text.contains(&request_id),
        "{text}"
    );

    // `errcat check` against the running demo: every probe passes, quickly.
    let (status, _, body) = post_json(
        &addr,
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

    // SIGTERM: the writer flushes and the process exits 0.
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

/// The error id in a problem+json body.
fn error_id(body: &str) -> String {
    json(body)["error_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no error_id: {body}"))
        .to_owned()
}

/// Support's view of real failures, in headless Chromium through
/// tests/browser/support.mjs: a panic, a validation error, malformed JSON
/// and a rate-limit error looked up, ids pasted loosely, 100 identical
/// errors in one group, a 390 px phone and dark mode. The per-key limit is
/// lowered so that a short burst on loopback meets it.
#[test]
fn demo_console_shows_support_what_happened_in_chromium() {
    let Some(chromium) = common::browser::tools("the demo support browser test") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // Its log of 100 and more error responses is not the test's output.
    let demo = launch(
        &dir.path().join("demo.db"),
        &["--per-ip-per-minute", "1000", "--per-key-per-minute", "3"],
        &[],
        Stdio::null(),
    );
    let addr = demo.addr.clone();

    let (status, _, body) = get(&addr, "/api/debug/panic", &[]);
    assert_eq!(status, 500, "{body}");
    let panic = error_id(&body);
    let (status, head, body) = post_json(
        &addr,
        "/api/events",
        &[("X-API-Key", errcat_demo::DEMO_API_KEY)],
        r#"{"events": [{"type": "teleport", "user_id": "u1", "timestamp": 1}]}"#,
    );
    assert_eq!(status, 400, "{body}");
    let validation = error_id(&body);
    let validation_request = header(&head, "x-request-id").unwrap().to_owned();
    let (status, _, body) = post_json(
        &addr,
        "/api/auth/login",
        &[],
        r#"{"email": "bob@acme.test", "password": "#,
    );
    assert_eq!(status, 400, "{body}");
    let invalid_json = error_id(&body);
    // A bounded burst with one key: the fourth request within the minute
    // is over the lowered per-key limit.
    let mut rate_limited = None;
    for _ in 0..10 {
        let (status, head, body) =
            post_json(&addr, "/api/events", &[("X-API-Key", "ek_burst_key")], "{}");
        if status == 429 {
            assert!(header(&head, "retry-after").is_some(), "{head}");
            rate_limited = Some(error_id(&body));
            break;
        }
        assert_eq!(status, 401, "{body}");
    }
    let rate_limited = rate_limited.expect("no 429 within 10 requests over a limit of 3");
    // 100 identical failures: no token.
    const REPEATED: usize = 100;
    for _ in 0..REPEATED {
        let (status, _, body) = get(&addr, "/api/me", &[]);
        assert_eq!(
            (status, json(&body)["code"].as_str()),
            (401, Some("MISSING_TOKEN"))
        );
    }
    eventually("all errors are in the log", || {
        let (_, _, page) = get(&addr, "/console/recent?code=MISSING_TOKEN", &[]);
        page.contains(&format!("<td class=\"num\">{REPEATED}</td>"))
            && [&panic, &validation, &invalid_json, &rate_limited]
                .iter()
                .all(|id| get(&addr, &format!("/console/lookup?id={id}"), &[]).0 == 200)
    });

    let shots = root().join("target/demo-console-shots");
    let _ = std::fs::remove_dir_all(&shots);
    let ids = serde_json::json!({
        "panic": panic,
        "validation": validation,
        "validation_request": validation_request,
        "invalid_json": invalid_json,
        "rate_limited": rate_limited,
        "repeated": {"code": "MISSING_TOKEN", "route": "/api/me", "count": REPEATED},
    });
    let out = Command::new("node")
        .arg(common::browser::dir().join("support.mjs"))
        .arg(format!("http://{addr}"))
        .arg(&shots)
        .arg(ids.to_string())
        .env("CHROMIUM", &chromium)
        .current_dir(common::browser::dir())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert_eq!(
        out.status.code(),
        Some(0),
        "browser checks failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(" 0 failed"), "{stdout}");
    for shot in [
        "lookup-panic.png",
        "lookup-validation.png",
        "lookup-rate-limited.png",
        "recent-grouped.png",
        "phone-lookup-validation.png",
        "dark-lookup-validation.png",
    ] {
        assert!(shots.join(shot).exists(), "no {shot}");
    }
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

/// Reads one response from a keep-alive connection: (status, head), the body
/// skipped by its `Content-Length`.
fn read_response(s: &mut TcpStream) -> (u16, String) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            other => panic!("connection ended in a response head: {other:?} after {head:?}"),
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let len: usize = header(&head, "content-length").map_or(0, |v| v.parse().unwrap());
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head)
}

/// Whether the server has closed `s` (a read sees the end or a reset)
/// within `limit`.
fn closed_within(s: &mut TcpStream, limit: Duration) -> bool {
    s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    let start = Instant::now();
    while start.elapsed() < limit {
        if read_says_closed(s) {
            return true;
        }
    }
    false
}

/// One read of `s`: whether the server has closed it (the end, or a reset).
/// Bytes, or a read that times out, are no close.
fn read_says_closed(s: &mut TcpStream) -> bool {
    let mut buf = [0u8; 4096];
    match s.read(&mut buf) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    }
}

/// Slowloris: connections that trickle header bytes are closed when the
/// header read timeout runs out, and a normal client is served meanwhile;
/// an idle keep-alive connection is closed after the same time.
#[test]
fn demo_closes_slow_and_idle_connections() {
    const SLOW: usize = 50;
    let dir = tempfile::tempdir().unwrap();
    let demo = start_with(
        &dir.path().join("demo.db"),
        &["--header-read-timeout", "1s", "--max-connections", "64"],
    );
    let addr = demo.addr.clone();
    let slow: Vec<_> = (0..SLOW)
        .map(|i| {
            let addr = addr.clone();
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(&addr).unwrap();
                s.set_read_timeout(Some(Duration::from_millis(100)))
                    .unwrap();
                let start = Instant::now();
                let _ = s.write_all(b"GET /api/health HTTP/1.1\r\nHost: slow\r\n");
                while start.elapsed() < Duration::from_secs(8) {
                    // One more header line every 100 ms: never a whole head.
                    let _ = s.write_all(
                        format!("X-Slow-{i}: {}\r\n", start.elapsed().as_millis()).as_bytes(),
                    );
                    if read_says_closed(&mut s) {
                        return Some(start.elapsed());
                    }
                }
                None
            })
        })
        .collect();
    // Served while the slow connections are open.
    std::thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    let (status, _, _) = get(&addr, "/api/health", &[]);
    let normal = t.elapsed();
    assert_eq!(status, 200);
    assert!(
        normal < Duration::from_millis(500),
        "a normal request took {normal:?}"
    );
    let mut closed: Vec<Duration> = slow
        .into_iter()
        .map(|h| {
            h.join()
                .unwrap()
                .expect("a slow connection was never closed")
        })
        .collect();
    closed.sort();
    eprintln!(
        "{SLOW} slow connections closed after {:?}..{:?}; a normal request took {normal:?}",
        closed[0],
        closed[SLOW - 1]
    );
    assert!(closed[0] >= Duration::from_millis(900), "{closed:?}");
    assert!(closed[SLOW - 1] < Duration::from_millis(2500), "{closed:?}");

    // Idle keep-alive: served, then closed after the same timeout.
    let mut s = TcpStream::connect(&addr).unwrap();
    s.write_all(b"GET /api/health HTTP/1.1\r\nHost: idle\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut s).0, 200);
    let idle = Instant::now();
    assert!(
        closed_within(&mut s, Duration::from_secs(3)),
        "an idle connection stayed open"
    );
    let idle = idle.elapsed();
    eprintln!("an idle keep-alive connection was closed after {idle:?}");
    assert!(idle >= Duration::from_millis(900), "{idle:?}");
}

/// The connection cap: with every slot held by slow clients, the next
/// client waits in the backlog and is served once the header timeout frees
/// a slot (instead of the server taking connections without bound).
#[test]
fn demo_caps_connections() {
    let dir = tempfile::tempdir().unwrap();
    let demo = start_with(
        &dir.path().join("demo.db"),
        &["--header-read-timeout", "1s", "--max-connections", "4"],
    );
    let addr = demo.addr.clone();
    let held: Vec<TcpStream> = (0..4)
        .map(|_| {
            let mut s = TcpStream::connect(&addr).unwrap();
            s.write_all(b"GET /api/health HTTP/1.1\r\n").unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let t = Instant::now();
    let (status, _, _) = get(&addr, "/api/health", &[]);
    let waited = t.elapsed();
    eprintln!("with 4 of 4 slots held, a request was served after {waited:?}");
    assert_eq!(status, 200);
    assert!(
        waited >= Duration::from_millis(500) && waited < Duration::from_millis(2500),
        "{waited:?}"
    );
    drop(held);
}

/// Keep-alive after an early answer: a request answered before its body
/// was read (415, 413, 401 from the head) says `Connection: close`, so a
/// client never writes its next request into a closed connection; a request
/// whose body was read keeps the connection.
#[test]
fn demo_early_answers_close_the_connection_openly() {
    let dir = tempfile::tempdir().unwrap();
    let demo = start(&dir.path().join("demo.db"));
    let addr = demo.addr.clone();
    let key = errcat_demo::DEMO_API_KEY;
    let body = r#"{"events": [{"type": "click", "user_id": "u1", "timestamp": 1}]}"#;
    let cases = [
        (
            format!(
                "POST /api/events HTTP/1.1\r\nHost: k\r\nX-API-Key: {key}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n",
                body.len()
            ),
            415,
        ),
        (
            format!(
                "POST /api/events HTTP/1.1\r\nHost: k\r\nX-API-Key: {key}\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n"
            ),
            413,
        ),
        (
            format!(
                "POST /api/events HTTP/1.1\r\nHost: k\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            ),
            401,
        ),
    ];
    for (head, want) in cases {
        let mut s = TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        // The head only: the body comes after the answer.
        s.write_all(head.as_bytes()).unwrap();
        let (status, reply) = read_response(&mut s);
        assert_eq!(status, want, "{reply}");
        let told = header(&reply, "connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let _ = s.write_all(body.as_bytes());
        if !told {
            // Not told to close: the connection must then keep working.
            s.write_all(b"GET /api/health HTTP/1.1\r\nHost: k\r\n\r\n")
                .unwrap();
            assert_eq!(
                read_response(&mut s).0,
                200,
                "{want}: reused connection failed"
            );
        } else {
            assert!(
                closed_within(&mut s, Duration::from_secs(2)),
                "{want}: said close, stayed open"
            );
        }
        assert!(
            told,
            "{want} answered before its body was read without Connection: close:\n{reply}"
        );
    }
    // A request whose body is read keeps its connection (no close), also
    // when it is a validation error.
    let mut s = TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let bad = r#"{"events": [{"type": 1}]}"#;
    for (sent, want) in [(body, 202), (body, 202), (bad, 400), (body, 202)] {
        s.write_all(
            format!("POST /api/events HTTP/1.1\r\nHost: k\r\nX-API-Key: {key}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{sent}", sent.len()).as_bytes(),
        )
        .unwrap();
        let (status, reply) = read_response(&mut s);
        assert_eq!(status, want, "{reply}");
        assert!(header(&reply, "connection").is_none(), "{reply}");
    }
    s.write_all(b"GET /api/health HTTP/1.1\r\nHost: k\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut s).0, 200);
}

/// Issue 16, item 1, end to end: control characters sent in a body reach
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
    // The panic: one event from the panic hook, one from the layer.
    eventually("the panic's events", || {
        let lines = lines.lock().unwrap();
        event(&lines, "panicked").is_some() && event(&lines, "request failed").is_some()
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
    // RUST_LOG=debug lets DEBUG events through.
    assert!(
        lines
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.contains(r#""level":"DEBUG""#)),
        "no DEBUG event"
    );

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
        sqlx::query("DROP TABLE errcat_errors")
            .execute(sqlite.pool())
            .await
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
