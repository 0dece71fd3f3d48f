//! `errcat serve` as a black box: a real SQLite error log, the binary on a
//! free port, raw HTTP/1.1 requests, and headless Chromium through
//! tests/browser/console.mjs.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use errcat_store::{ErrorRecord, Store, unix_ms};

const CATALOG: &str = "examples/catalogs/003-saas.toml";
const MINUTE: i64 = 60_000;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A temporary SQLite error log with a hostile record, a two-error request,
/// 60 rate-limit errors over the last 20 hours and one 10-day-old error.
struct Log {
    _dir: tempfile::TempDir,
    url: String,
}

fn seeded() -> Log {
    seeded_with(|_| Vec::new())
}

/// The three strings each hostile field carries: a script, an attribute
/// break-out with an image, a `javascript:` URL.
const XSS: [&str; 3] = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(2)>",
    "javascript:alert(3)",
];

/// [`seeded`]'s records and those `extra` makes from the time now.
fn seeded_with(extra: impl FnOnce(i64) -> Vec<ErrorRecord>) -> Log {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("errcat.db").display());
    let now = unix_ms(SystemTime::now());
    let mut records = Vec::new();

    let mut a = ErrorRecord::new("err-hostile", "req-1", "AUTH_FAILED", 401);
    a.timestamp_ms = now - 2 * MINUTE;
    a.category = "AUTH".into();
    a.method = "POST".into();
    a.route = Some("/v1/login".into());
    a.path = "/<script>alert(1)</script>".into();
    a.tenant = Some("acme".into());
    a.principal = Some("user_42".into());
    a.client_ip = Some("203.0.113.0".into());
    a.user_agent = Some("\"><img src=x onerror=alert(2)>".into());
    a.headers = vec![
        ("authorization".into(), "[REDACTED]".into()),
        ("x-evil".into(), "\"><img onerror=alert(3)>".into()),
    ];
    a.body_excerpt = Some("{\"password\": \"[REDACTED]\", \"x\": \"</pre><script>\"}".into());
    a.causes = vec!["invalid password for user_42".into()];
    a.latency_us = 12_345;
    records.push(a);

    let mut b = ErrorRecord::new("err-panic", "req-1", "INTERNAL_ERROR", 500);
    b.timestamp_ms = now - MINUTE;
    b.category = "INTERNAL".into();
    b.route = Some("/v1/login".into());
    b.path = "/v1/login".into();
    b.panic_message = Some("index out of bounds".into());
    b.panic_location = Some("src/login.rs:3:5".into());
    b.source = "panic".into();
    records.push(b);

    let mut c = ErrorRecord::new("err-user", "req-2", "USER_NOT_FOUND", 404);
    c.timestamp_ms = now - 3 * 3_600_000;
    c.category = "NOT_FOUND".into();
    c.route = Some("/v1/users/{id}".into());
    c.path = "/v1/users/u_9".into();
    c.tenant = Some("globex".into());
    records.push(c);

    for i in 0..60 {
        let mut r = ErrorRecord::new(
            format!("err-rate-{i:02}"),
            format!("req-rate-{i:02}"),
            "RATE_LIMITED",
            429,
        );
        r.timestamp_ms = now - 5 * MINUTE - i * 20 * MINUTE;
        r.category = "RATE_LIMIT".into();
        r.route = Some("/v1/events".into());
        r.path = "/v1/events".into();
        r.tenant = Some("acme".into());
        records.push(r);
    }

    let mut old = ErrorRecord::new("err-old", "req-old", "USER_NOT_FOUND", 404);
    old.timestamp_ms = now - 10 * 86_400_000;
    records.push(old);
    records.extend(extra(now));

    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let store = Store::connect(&url).await.unwrap();
            store.insert_batch(&records).await.unwrap();
            store.close().await;
        });
    Log { _dir: dir, url }
}

/// The running `errcat serve`; killed when dropped, so no test leaves it behind.
struct Server {
    child: Child,
    addr: SocketAddr,
    console_url: String,
    docs_url: String,
    ready: Duration,
    _stdout: BufReader<ChildStdout>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(store: &str, addr: &str, env: &[(&str, &str)]) -> Server {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_errcat"));
    cmd.args([
        "serve",
        "--addr",
        addr,
        "--store",
        store,
        "--catalog",
        CATALOG,
    ])
    .current_dir(root())
    .env_remove("ERRCAT_STORE")
    .env_remove("ERRCAT_CONSOLE_TOKEN")
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let start = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let ready = start.elapsed();
    let Some(url) = line.trim_end().strip_prefix("listening on http://") else {
        let _ = child.kill();
        panic!("first line is not `listening on http://HOST:PORT`: {line:?}");
    };
    let bound: SocketAddr = url.parse().unwrap();
    // 0.0.0.0 is reached through loopback.
    let addr = SocketAddr::from(([127, 0, 0, 1], bound.port()));
    let mut next = || {
        let mut l = String::new();
        stdout.read_line(&mut l).unwrap();
        l.trim_end().to_owned()
    };
    let console = next();
    let docs = next();
    let console_url = console
        .strip_prefix("console: ")
        .unwrap_or_else(|| panic!("second line: {console:?}"))
        .to_owned();
    let docs_url = docs
        .strip_prefix("docs:    ")
        .unwrap_or_else(|| panic!("third line: {docs:?}"))
        .to_owned();
    assert!(
        console_url.starts_with(&format!("http://{bound}/console")),
        "{console_url}"
    );
    assert!(
        docs_url.starts_with(&format!("http://{bound}/errors")),
        "{docs_url}"
    );
    Server {
        child,
        addr,
        console_url,
        docs_url,
        ready,
        _stdout: stdout,
    }
}

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The error ids the page links to, in order, without repeats.
    fn ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for part in self
            .body
            .split("<a class=\"id\" href=\"/console/lookup?id=")
            .skip(1)
        {
            let id = part[..part.find('"').unwrap()].to_owned();
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        ids
    }
}

/// One HTTP/1.1 request with `Connection: close`.
fn request(addr: SocketAddr, method: &str, target: &str, headers: &[(&str, &str)]) -> Reply {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    if method == "POST" {
        req.push_str("Content-Length: 0\r\n");
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.to_ascii_lowercase(), v.trim().to_owned())
        })
        .collect();
    assert!(
        !headers
            .iter()
            .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked")),
        "unexpected chunked body"
    );
    Reply {
        status,
        headers,
        body: body.to_owned(),
    }
}

fn get(addr: SocketAddr, target: &str) -> Reply {
    request(addr, "GET", target, &[])
}

use errcat_bench_support::chart::chart_bars as bars;

#[test]
fn serve_console_lookup_list_chart_and_limits() {
    let log = seeded();
    let srv = serve(&log.url, "127.0.0.1:0", &[]);
    eprintln!(
        "errcat serve readiness (spawn to `listening on`): {:.0?}",
        srv.ready
    );
    assert!(
        srv.ready < Duration::from_secs(5),
        "ready after {:?}",
        srv.ready
    );
    let base = format!("http://{}", srv.addr);
    assert_eq!(srv.console_url, format!("{base}/console"));
    assert_eq!(srv.docs_url, format!("{base}/errors"));
    let a = srv.addr;

    // Lookup by error id: the whole support page, escaped, with headers.
    let r = get(a, "/console/lookup?id=err-hostile");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let csp = r.header("content-security-policy").unwrap();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(
        !csp.contains("script-src"),
        "console pages allow no script: {csp}"
    );
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
    for want in [
        "<a class=\"code\" href=\"/errors#AUTH_FAILED\"",
        "<code>POST /&lt;script&gt;alert(1)&lt;/script&gt;</code>",
        "<dd>&quot;&gt;&lt;img src=x onerror=alert(2)&gt;</dd>",
        "<td><code>&quot;&gt;&lt;img onerror=alert(3)&gt;</code></td>",
        "<th scope=\"row\">authorization</th><td><code>[REDACTED]</code></td>",
        "&lt;/pre&gt;&lt;script&gt;",
        "<dd>/v1/login</dd>",
        "<dd>acme</dd>",
        "<dd>user_42</dd>",
        "<dd>203.0.113.0</dd>",
        "<dd>12.3 ms</dd>",
        "<dd>AUTH</dd>",
        "<code>invalid password for user_42</code>",
        "<a href=\"/console/lookup?id=req-1\"><code>req-1</code></a>",
    ] {
        assert!(r.body.contains(want), "missing {want} in\n{}", r.body);
    }
    for bad in ["<script", "<img"] {
        assert!(!r.body.contains(bad), "unescaped {bad} in\n{}", r.body);
    }

    // Lookup by request id: both of its errors, in full.
    let r = get(a, "/console/lookup?id=req-1");
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body
            .contains("2 errors recorded for this request, in time order"),
        "{}",
        r.body
    );
    assert_eq!(
        r.ids(),
        ["err-hostile", "err-panic"],
        "in the order they happened"
    );
    assert!(
        r.body
            .contains("<code>index out of bounds</code> at <code>src/login.rs:3:5</code>")
    );
    assert!(r.body.contains("href=\"/errors#INTERNAL_ERROR\""));

    // Unknown ids: a 404 page that shows the id escaped.
    let r = get(a, "/console/lookup?id=%3Cnope%3E");
    assert_eq!(r.status, 404);
    assert!(
        r.body
            .contains("No error id, request id or trace id <code>&lt;nope&gt;</code>"),
        "{}",
        r.body
    );

    // Recent errors: newest first, filters, paging with the store's cursor.
    let r = get(a, "/console/recent?view=list");
    assert_eq!(r.status, 200);
    let ids = r.ids();
    assert_eq!(ids.len(), 50);
    assert_eq!(&ids[..3], ["err-panic", "err-hostile", "err-rate-00"]);
    let r = get(a, "/console/recent?view=list&tenant=globex");
    assert_eq!(r.ids(), ["err-user"]);
    let r = get(a, "/console/recent?view=list&status=500");
    assert_eq!(r.ids(), ["err-panic"]);
    let r = get(
        a,
        "/console/recent?view=list&route=%2Fv1%2Flogin&code=AUTH_FAILED",
    );
    assert_eq!(r.ids(), ["err-hostile"]);
    let r = get(a, "/console/recent?view=list&code=USER_NOT_FOUND");
    assert_eq!(r.ids(), ["err-user", "err-old"]);
    let r = get(a, "/console/recent?view=list&code=USER_NOT_FOUND&since=7d");
    assert_eq!(r.ids(), ["err-user"]);
    let r = get(a, "/console/recent?view=list&code=USER_NOT_FOUND&until=1d");
    assert_eq!(r.ids(), ["err-old"]);
    let r = get(a, "/console/recent?status=teapot");
    assert_eq!(r.status, 400);

    let first = get(a, "/console/recent?view=list&code=RATE_LIMITED");
    let page1 = first.ids();
    assert_eq!(page1.len(), 50);
    let next = first
        .body
        .split("<a rel=\"next\" href=\"")
        .nth(1)
        .map(|s| s[..s.find('"').unwrap()].replace("&amp;", "&"))
        .expect("an Older link");
    assert!(
        next.starts_with("/console/recent?view=list&code=RATE_LIMITED&after="),
        "{next}"
    );
    let second = get(a, &next);
    let page2 = second.ids();
    assert_eq!(page2.len(), 10);
    assert!(!second.body.contains("rel=\"next\""));
    let all: Vec<String> = page1.into_iter().chain(page2).collect();
    let want: Vec<String> = (0..60).map(|i| format!("err-rate-{i:02}")).collect();
    assert_eq!(all, want);

    // The chart: one series per code, bars with height, totals per code.
    let r = get(a, "/console/chart?range=24h");
    assert_eq!(r.status, 200);
    let svg = &r.body[r.body.find("<svg").unwrap()..r.body.find("</svg>").unwrap() + 6];
    let b = bars(svg);
    let mut totals: BTreeMap<String, i64> = BTreeMap::new();
    for (code, n, h) in &b {
        assert!(*h > 0, "a bar of {code} has no height");
        *totals.entry(code.clone()).or_default() += n;
    }
    let want: BTreeMap<String, i64> = [
        ("AUTH_FAILED", 1),
        ("INTERNAL_ERROR", 1),
        ("RATE_LIMITED", 60),
        ("USER_NOT_FOUND", 1),
    ]
    .into_iter()
    .map(|(c, n)| (c.to_owned(), n))
    .collect();
    assert_eq!(totals, want);
    assert_eq!(svg.matches("class=\"legend-item\"").count(), 4);
    assert!(svg.contains("<a href=\"/errors#RATE_LIMITED\">"));
    assert!(svg.contains("class=\"xlabel\"") && svg.contains("class=\"ylabel\""));
    let r = get(a, "/console/chart?range=1h");
    let b = bars(&r.body);
    assert_eq!(b.iter().map(|x| x.1).sum::<i64>(), 5, "{b:?}");

    // The reference, with its own CSP.
    let r = get(a, "/errors");
    assert_eq!(r.status, 200);
    assert!(r.body.contains("id=\"AUTH_FAILED\""));
    assert!(
        r.header("content-security-policy")
            .unwrap()
            .contains("script-src 'unsafe-inline'")
    );

    // `/` leads to the console.
    let r = get(a, "/");
    assert_eq!((r.status, r.header("location")), (303, Some("/console")));

    // Read-only.
    for (m, t) in [
        ("POST", "/console/lookup?id=err-hostile"),
        ("DELETE", "/console"),
        ("PUT", "/errors"),
    ] {
        let r = request(a, m, t, &[]);
        assert_eq!(r.status, 405, "{m} {t}");
        assert_eq!(r.header("allow"), Some("GET, HEAD"));
    }
    let r = request(a, "HEAD", "/console/recent", &[]);
    assert_eq!((r.status, r.body.as_str()), (200, ""));

    // SIGTERM ends it with exit 0.
    let mut srv = srv;
    let killed = Command::new("kill")
        .args(["-TERM", &srv.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = srv.child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "errcat serve ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
}

#[test]
fn serve_beyond_loopback_needs_the_printed_token() {
    let log = seeded();
    let srv = serve(&log.url, "0.0.0.0:0", &[]);
    let a = srv.addr;
    let token = srv
        .console_url
        .split_once("/console?token=")
        .map(|(_, t)| t.to_owned())
        .unwrap_or_else(|| panic!("no token in {}", srv.console_url));
    assert!(token.len() >= 32, "{token}");
    assert!(srv.docs_url.ends_with(&format!("/errors?token={token}")));

    for t in [
        "/console",
        "/console/lookup?id=err-hostile",
        "/console/chart",
        "/errors",
    ] {
        let r = get(a, t);
        assert_eq!(r.status, 401, "{t}");
        assert!(
            !r.body.contains("err-hostile") && !r.body.contains("AUTH_FAILED"),
            "{}",
            r.body
        );
        assert!(r.header("content-security-policy").is_some());
    }
    let wrong = format!("Bearer {}x", &token);
    assert_eq!(
        request(a, "GET", "/console", &[("Authorization", &wrong)]).status,
        401
    );
    assert_eq!(get(a, "/console?token=wrong").status, 401);

    let bearer = format!("Bearer {token}");
    let r = request(
        a,
        "GET",
        "/console/lookup?id=err-hostile",
        &[("Authorization", &bearer)],
    );
    assert_eq!(r.status, 200);
    assert!(r.body.contains("href=\"/errors#AUTH_FAILED\""));

    let r = get(a, &format!("/console/recent?token={token}&tenant=globex"));
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/console/recent?tenant=globex"));
    let cookie = r.header("set-cookie").unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap();
    let r = request(
        a,
        "GET",
        "/console/recent?view=list&tenant=globex",
        &[("Cookie", pair)],
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.ids(), ["err-user"]);
    assert_eq!(
        request(a, "GET", "/errors", &[("Cookie", pair)]).status,
        200
    );
}

#[test]
fn serve_loopback_with_a_token_from_the_environment() {
    let log = seeded();
    let srv = serve(
        &log.url,
        "127.0.0.1:0",
        &[("ERRCAT_CONSOLE_TOKEN", "t0ken")],
    );
    assert!(
        srv.console_url.ends_with("/console?token=t0ken"),
        "{}",
        srv.console_url
    );
    assert_eq!(get(srv.addr, "/console").status, 401);
    let r = request(
        srv.addr,
        "GET",
        "/console",
        &[("Authorization", "Bearer t0ken")],
    );
    assert_eq!(r.status, 200);
    // The `?token=` redirect never leaves this origin: `//host/…` as a
    // request target is not echoed as a network-path `Location`.
    let r = get(srv.addr, "//evil.example/console?token=t0ken&x=1");
    assert_eq!(r.status, 303, "{r:?}");
    assert_eq!(r.header("location"), Some("/console?x=1"));
    let r = get(srv.addr, "/console/recent?token=t0ken");
    assert_eq!(r.header("location"), Some("/console/recent"));
}

#[test]
fn serve_refuses_a_missing_error_log() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("nope.db").display());
    let out = Command::new(env!("CARGO_BIN_EXE_errcat"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--store",
            &url,
            "--catalog",
            CATALOG,
        ])
        .current_dir(root())
        .env_remove("ERRCAT_CONSOLE_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no error log at"), "{err}");
    assert!(!dir.path().join("nope.db").exists());
}

/// A validation error whose every client-controlled field, and the
/// response and message sent, carry [`XSS`]: newest in the log, so it is on
/// every page.
fn hostile_validation(now: i64) -> Vec<ErrorRecord> {
    let all = XSS.join(" ");
    let mut r = ErrorRecord::new("err-xss", "req-xss", "VALIDATION_ERROR", 400);
    r.timestamp_ms = now - 30_000;
    r.category = "VALIDATION".into();
    r.method = "POST".into();
    r.route = Some(format!("/v1/x/{}", XSS[0]));
    r.path = format!("/v1/x/{}", XSS[0]);
    r.trace_id = Some(XSS[2].into());
    r.tenant = Some(XSS[2].into());
    r.principal = Some(XSS[1].into());
    r.user_agent = Some(all.clone());
    r.headers = vec![("x-evil".into(), all.clone())];
    r.body_excerpt = Some(all.clone());
    r.message = Some(format!("Invalid field {all}"));
    let body = serde_json::json!({"code": "VALIDATION_ERROR", "message": all, "errors": [{"path": XSS[0], "message": XSS[1]}]})
        .to_string();
    r.response = Some(errcat_store::SentResponse {
        status: 400,
        headers: vec![
            ("content-type".into(), "application/problem+json".into()),
            ("link".into(), format!("<{}>", XSS[2])),
            ("x-evil".into(), XSS[1].into()),
        ],
        body_bytes: body.len() as u64,
        body,
    });
    r.violations = vec![errcat_store::Violation {
        path: XSS[0].into(),
        message: XSS[1].into(),
        reason: Some(XSS[2].into()),
    }];
    vec![r]
}

/// Drives the console in headless Chromium through tests/browser/console.mjs
/// (playwright-core): lookup, the reference link, request ids, the chart,
/// grouped and listed recent errors, filters and ids typed loosely, hostile
/// text on every page, a 390 px phone and dark mode, with a token. Needs `chromium`, `node` and `npm ci` in
/// tests/browser; under CI=true a missing piece fails the test.
#[test]
fn browser_console_works_in_chromium() {
    let Some(chromium) = common::browser::tools("the console browser test") else {
        return;
    };
    let log = seeded_with(hostile_validation);
    let srv = serve(
        &log.url,
        "127.0.0.1:0",
        &[("ERRCAT_CONSOLE_TOKEN", "browser-t0ken")],
    );
    let shots = root().join("target/console-shots");
    let _ = std::fs::remove_dir_all(&shots);
    let addr = format!("http://{}", srv.addr);
    common::browser::run(
        "console.mjs",
        &chromium,
        &[
            addr.as_ref(),
            "err-hostile".as_ref(),
            "req-1".as_ref(),
            shots.as_os_str(),
            "browser-t0ken".as_ref(),
        ],
        &shots,
        &[
            "lookup.png",
            "recent-grouped.png",
            "recent-list.png",
            "chart.png",
            "phone-lookup.png",
            "dark-chart.png",
        ],
    );
}

/// A window holding more errors than a grouping reads, in headless Chromium
/// through tests/browser/grouping.mjs: the note saying from when the groups
/// count, the count line, a 390 px phone.
#[test]
fn browser_grouping_cut_short_is_said() {
    let Some(chromium) = common::browser::tools("the grouping browser test") else {
        return;
    };
    // Three days ago, one every 5 s over 150 routes: more than a grouping reads.
    let log = seeded_with(|now| {
        (0..errcat_store::GROUP_SCAN + 20)
            .map(|i| {
                let mut r = ErrorRecord::new(
                    format!("err-many-{i:06}"),
                    format!("req-many-{i}"),
                    "USER_NOT_FOUND",
                    404,
                );
                r.timestamp_ms = now - 3 * 86_400_000 - 5_000 * i;
                r.route = Some(format!("/v1/r{}/{{id}}", i % 150));
                r.path = format!("/v1/r{}/{i}", i % 150);
                r
            })
            .collect()
    });
    let srv = serve(&log.url, "127.0.0.1:0", &[]);
    let shots = root().join("target/grouping-shots");
    let _ = std::fs::remove_dir_all(&shots);
    let addr = format!("http://{}", srv.addr);
    let stdout = common::browser::run(
        "grouping.mjs",
        &chromium,
        &[addr.as_ref(), shots.as_os_str()],
        &shots,
        &["grouping-cut.png", "phone-grouping-cut.png"],
    );
    assert!(stdout.contains("4 passed, 0 failed"), "{stdout}");
}

#[test]
fn serve_answers_503_when_the_error_log_breaks() {
    let log = seeded();
    let srv = serve(&log.url, "127.0.0.1:0", &[]);
    assert_eq!(get(srv.addr, "/console/lookup?id=err-user").status, 200);
    // Break the database under the running server: drop its tables from
    // another connection (every connection sees the schema change on its
    // next statement, so no cached page can still answer).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = errcat_store::Store::connect(&log.url).await.unwrap();
        let errcat_store::Store::Sqlite(db) = &store else {
            unreachable!("a SQLite URL")
        };
        rusqlite::Connection::open(db.path().expect("a SQLite file"))
            .and_then(|c| c.execute_batch("DROP TABLE errcat_errors; DROP TABLE errcat_counts"))
            .unwrap();
        store.close().await;
    });
    for t in [
        "/console",
        "/console/lookup?id=err-hostile",
        "/console/recent?code=AUTH_FAILED",
        "/console/chart",
    ] {
        let r = get(srv.addr, t);
        assert_eq!(r.status, 503, "{t}: {}", r.body);
        assert!(
            r.body.contains("The error log is unavailable."),
            "{}",
            r.body
        );
        let lower = r.body.to_lowercase();
        for detail in ["sqlite", "database", "malformed", "errcat.db"] {
            assert!(!lower.contains(detail), "{t} shows `{detail}`: {}", r.body);
        }
    }
    // The reference needs no error log; the server is still up.
    assert_eq!(get(srv.addr, "/errors").status, 200);
}
