//! A fleet: four `errcat demo` processes, each on its own port, sharing one
//! PostgreSQL error log and one Redis rate limiter. A quota of 600 requests
//! a minute per API key holds across them under a concurrent burst, whose
//! 429s are all counted in the log; every error of every process is found
//! by `errcat lookup` and by each other process's console; killing one
//! process loses nothing that any of them wrote, and the others keep
//! answering and recording.
//!
//! It needs PostgreSQL and Redis (tests/common/services.rs): without them,
//! outside CI, it prints why it is skipped; under `CI=true` it fails.

#![cfg(all(feature = "demo", feature = "redis"))]

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::cli::{root, show};
use common::http::{get, header, json, post_json};
use common::services::{self, PgSchema};
use errcat_demo::DEMO_API_KEY;

/// The processes of the fleet.
const PROCESSES: usize = 4;
/// Requests a minute per API key, for the whole fleet.
const QUOTA: usize = 600;
/// The allowed error on the quota: 1%.
const TOLERANCE: usize = QUOTA / 100;
/// GCRA gives one request of the quota back every window / quota.
const REFILL_EVERY: Duration = Duration::from_millis(60_000 / QUOTA as u64);
/// The burst: requests with one API key, spread evenly over the processes…
const BURST: usize = 1000;
/// …each process sent them by this many concurrent clients.
const CLIENTS_PER_PROCESS: usize = 4;
/// The longest any wait may take.
const DEADLINE: Duration = Duration::from_secs(20);
/// A valid events batch: a request the per-key limit counts, cheap to answer.
const EVENTS: &str = r#"{"events": [{"type": "click", "user_id": "fleet", "timestamp": 1}]}"#;

/// A running `errcat demo`, killed on drop (a failed assertion included).
struct Demo {
    child: Child,
    addr: String,
    stderr: PathBuf,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Demo {
    /// The end of what it logged, for a failed assertion.
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.stderr).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Whether the rate limiter ever let a request through uncounted
    /// (Redis failed or was slower than its timeout: the layer fails open).
    fn limiter_failed(&self) -> bool {
        std::fs::read_to_string(&self.stderr)
            .unwrap_or_default()
            .contains("rate limit backend failed")
    }
}

/// Starts the fleet: every process spawned first, then each waited for
/// until it answers.
fn start_fleet(store: &str, redis: &str, prefix: &str, dir: &Path) -> Vec<Demo> {
    let mut started = Vec::new();
    for i in 0..PROCESSES {
        let stderr = dir.join(format!("demo-{i}.log"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_errcat"))
            .args(["demo", "--addr", "127.0.0.1:0", "--store", store])
            .args(["--rate-limit-store", redis, "--rate-limit-prefix", prefix])
            .args(["--per-key-per-minute", &QUOTA.to_string()])
            .args(["--per-ip-per-minute", "1000000"])
            .current_dir(root())
            .env_remove("ERRCAT_STORE")
            .env_remove("ERRCAT_CONSOLE_TOKEN")
            .env_remove("ERRCAT_RATE_LIMIT_STORE")
            .env_remove("ERRCAT_RATE_LIMIT_PREFIX")
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        // The first line names the address; the rest is drained so that the
        // child never blocks on a full pipe.
        let (tx, rx) = mpsc::channel();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        std::thread::spawn(move || {
            let _ = tx.send(lines.next().and_then(Result::ok));
            for _ in lines {}
        });
        started.push((
            Demo {
                child,
                addr: String::new(),
                stderr,
            },
            rx,
        ));
    }
    let since = Instant::now();
    let mut fleet = Vec::new();
    for (mut demo, rx) in started {
        let first = rx
            .recv_timeout(DEADLINE.saturating_sub(since.elapsed()))
            .ok()
            .flatten()
            .unwrap_or_default();
        demo.addr = first
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("first line {first:?}; log:\n{}", demo.log_tail()))
            .to_owned();
        fleet.push(demo);
    }
    for demo in &fleet {
        eventually("every process answers", || {
            get(&demo.addr, "/api/health", &[]).0 == 200
        });
    }
    fleet
}

/// Polls `f` until it is true, for at most [`DEADLINE`].
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < DEADLINE,
            "not within {DEADLINE:?}: {what}"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// One answer of the burst.
struct Answer {
    process: usize,
    status: u16,
    head: String,
    body: String,
}

/// [`BURST`] requests with the demo API key, a share of each process
/// sent by its [`CLIENTS_PER_PROCESS`] clients at once; the answers and the
/// time from the first request to the last answer.
fn burst(fleet: &[Demo]) -> (Vec<Answer>, Duration) {
    let per_process = BURST / PROCESSES;
    let started = Instant::now();
    let answers = std::thread::scope(|s| {
        let mut clients = Vec::new();
        for (process, demo) in fleet.iter().enumerate() {
            for c in 0..CLIENTS_PER_PROCESS {
                let n = per_process / CLIENTS_PER_PROCESS
                    + usize::from(c < per_process % CLIENTS_PER_PROCESS);
                let addr = demo.addr.as_str();
                clients.push(s.spawn(move || {
                    (0..n)
                        .map(|_| {
                            let (status, head, body) = post_json(
                                addr,
                                "/api/events",
                                &[("X-API-Key", DEMO_API_KEY)],
                                EVENTS,
                            );
                            Answer {
                                process,
                                status,
                                head,
                                body,
                            }
                        })
                        .collect::<Vec<_>>()
                }));
            }
        }
        clients
            .into_iter()
            .flat_map(|c| c.join().unwrap())
            .collect::<Vec<_>>()
    });
    (answers, started.elapsed())
}

/// An error a process answered.
#[derive(Debug)]
struct Made {
    process: usize,
    error_id: String,
    request_id: String,
    code: String,
}

/// The ids of an error `process` answered, checked to be `expected`.
fn ids_of(
    process: usize,
    (status, head, body): (u16, String, String),
    expected: (u16, &str),
) -> Made {
    let v = json(&body);
    let code = v["code"].as_str().unwrap_or_default().to_owned();
    assert_eq!(
        (status, code.as_str()),
        expected,
        "process {process}: {body}"
    );
    let request_id = header(&head, "x-request-id").unwrap().to_owned();
    assert_eq!(v["request_id"], request_id.as_str(), "{body}");
    Made {
        process,
        error_id: v["error_id"].as_str().unwrap().to_owned(),
        request_id,
        code,
    }
}

/// `GET path` on a process: a 404.
fn not_found(fleet: &[Demo], process: usize, path: &str) -> Made {
    let answer = get(&fleet[process].addr, path, &[]);
    ids_of(process, answer, (404, "NOT_FOUND"))
}

/// A sign-in asking for a token that expires at once, on a process: a
/// validation error.
fn invalid_login(fleet: &[Demo], process: usize) -> Made {
    let answer = post_json(
        &fleet[process].addr,
        "/api/auth/login",
        &[],
        r#"{"email": "alice@acme.test", "password": "demo-password", "expires_in": 0}"#,
    );
    ids_of(process, answer, (400, "VALIDATION_ERROR"))
}

/// A few errors on each process: two 404s and a validation error.
fn errors_on_each(fleet: &[Demo]) -> Vec<Made> {
    (0..fleet.len())
        .flat_map(|p| {
            [
                not_found(fleet, p, &format!("/api/fleet/{p}/first")),
                not_found(fleet, p, &format!("/api/fleet/{p}/second")),
                invalid_login(fleet, p),
            ]
        })
        .collect()
}

/// Whether the console of `demo` finds the error (by its id, or by its
/// request id).
fn console_finds(demo: &Demo, id: &str, error_id: &str) -> bool {
    let (status, _, page) = get(&demo.addr, &format!("/console/lookup?id={id}"), &[]);
    status == 200 && page.contains(error_id)
}

/// `errcat lookup ID --store URL --format json`: the codes of the errors it
/// found (none: exit 1).
fn cli_lookup(store: &str, id: &str) -> Vec<(String, String)> {
    let out = Command::new(env!("CARGO_BIN_EXE_errcat"))
        .args(["lookup", id, "--store", store, "--format", "json"])
        .current_dir(root())
        .env_remove("ERRCAT_STORE")
        .output()
        .unwrap();
    match out.status.code() {
        Some(0) => {}
        Some(1) => return Vec::new(),
        _ => panic!("errcat lookup {id}: {}", show(&out)),
    }
    let found: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    found
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["error_id"].as_str().unwrap().to_owned(),
                r["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Every error of `made` is found by `errcat lookup` (by error id, and the
/// first one also by request id) and by the console of every process in
/// `consoles` but the one that answered it.
fn all_found(store: &str, fleet: &[Demo], consoles: &[usize], made: &[Made]) {
    for (i, m) in made.iter().enumerate() {
        assert_eq!(
            cli_lookup(store, &m.error_id),
            [(m.error_id.clone(), m.code.clone())],
            "errcat lookup {m:?}"
        );
        if i == 0 {
            assert!(
                cli_lookup(store, &m.request_id).contains(&(m.error_id.clone(), m.code.clone())),
                "errcat lookup by request id {m:?}"
            );
        }
        for &c in consoles.iter().filter(|&&c| c != m.process) {
            assert!(
                console_finds(&fleet[c], &m.error_id, &m.error_id),
                "process {c}'s console does not find {m:?}"
            );
        }
    }
}

/// `errcat ARGS --store STORE --format json`, which must succeed, as JSON.
fn errcat_json(args: &[&str], store: &str) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_errcat"))
        .args(args)
        .args(["--store", store, "--format", "json"])
        .current_dir(root())
        .env_remove("ERRCAT_STORE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// How many `code` errors the log counted (`errcat stats` by the minute:
/// exact, whether their records were kept or sampled out in a storm).
fn counted(store: &str, code: &str) -> u64 {
    let stats = errcat_json(&["stats", "--since", "30m", "--bucket", "1m"], store);
    stats["totals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["code"] == code)
        .map_or(0, |t| t["count"].as_u64().unwrap())
}

/// The error ids of the `RATE_LIMITED` errors in the log (`errcat errors`).
fn rate_limited_in_log(store: &str) -> BTreeSet<String> {
    let list = errcat_json(
        &["errors", "--code", "RATE_LIMITED", "--limit", "1000"],
        store,
    );
    list.as_array()
        .unwrap()
        .iter()
        .map(|r| r["error_id"].as_str().unwrap().to_owned())
        .collect()
}

/// The `r` (requests left) of the `"per-key"` item of a `RateLimit` header.
fn per_key_left(head: &str) -> Option<u64> {
    header(head, "ratelimit")?
        .split(',')
        .map(str::trim)
        .find(|item| item.starts_with("\"per-key\""))?
        .split(';')
        .find_map(|p| p.strip_prefix("r="))?
        .parse()
        .ok()
}

/// The requests GCRA gives back over `d`, at one every [`REFILL_EVERY`].
fn refilled(d: Duration) -> usize {
    usize::try_from(d.as_nanos() / REFILL_EVERY.as_nanos()).unwrap()
}

#[test]
fn a_fleet_shares_one_quota_and_one_error_log() {
    const TEST: &str = "the fleet test";
    let Some(postgres) = services::postgres_url(TEST) else {
        return;
    };
    let Some(redis) = services::redis_url(TEST) else {
        return;
    };
    let test_started = Instant::now();
    // Dropped after the fleet: the processes are gone before their schema.
    let schema = PgSchema::create(&postgres, "errcat_test_fleet");
    let prefix = format!("{}:", services::unique("errcat-test-fleet"));
    let dir = tempfile::tempdir().unwrap();
    let mut fleet = start_fleet(&schema.url, &redis, &prefix, dir.path());
    let store = schema.url.as_str();
    let ready = test_started.elapsed();

    // a. One quota across the fleet.
    let (answers, took) = burst(&fleet);
    let burst_ended = Instant::now();
    assert_eq!(answers.len(), BURST);
    let mut refused_ids = BTreeSet::new();
    let mut per_process = [(0usize, 0usize); PROCESSES];
    for a in &answers {
        match a.status {
            202 => per_process[a.process].0 += 1,
            429 => {
                per_process[a.process].1 += 1;
                let v = json(&a.body);
                assert_eq!(v["code"], "RATE_LIMITED", "{}", a.body);
                assert_eq!(v["status"], 429, "{}", a.body);
                assert_eq!(
                    header(&a.head, "content-type"),
                    Some("application/problem+json"),
                    "{}",
                    a.head
                );
                let retry_after: u64 = header(&a.head, "retry-after")
                    .and_then(|s| s.parse().ok())
                    .unwrap_or_else(|| panic!("no Retry-After:\n{}", a.head));
                assert!((1..=60).contains(&retry_after), "{}", a.head);
                assert_eq!(v["retry_after"], retry_after, "{}", a.body);
                assert_eq!(per_key_left(&a.head), Some(0), "{}", a.head);
                assert_eq!(
                    header(&a.head, "x-request-id"),
                    v["request_id"].as_str(),
                    "{}",
                    a.head
                );
                refused_ids.insert(v["error_id"].as_str().unwrap().to_owned());
            }
            other => panic!(
                "process {} answered {other}:\n{}\n{}\n{}",
                a.process,
                a.head,
                a.body,
                fleet[a.process].log_tail()
            ),
        }
    }
    let admitted: usize = per_process.iter().map(|p| p.0).sum();
    eprintln!(
        "fleet: {admitted} of {BURST} requests admitted in {took:?}, {} expected \
         (admitted, refused per process: {per_process:?}); ready in {ready:?}",
        QUOTA + refilled(took)
    );
    for (p, demo) in fleet.iter().enumerate() {
        assert!(
            !demo.limiter_failed(),
            "process {p} let requests through uncounted:\n{}",
            demo.log_tail()
        );
    }
    assert!(
        took < Duration::from_secs(20),
        "the burst took {took:?}, not well inside the minute"
    );
    // A fresh key may spend the whole quota at once; GCRA then gives one
    // request back every 100 ms, which the rest of the burst takes. One
    // limiter for the whole fleet admits that and no more, to within 1%
    // (a limiter per process would admit every request of the burst).
    let expected = QUOTA + refilled(took);
    assert!(
        (expected - TOLERANCE..=expected + TOLERANCE).contains(&admitted),
        "{admitted} of {BURST} admitted in {took:?}: a quota of {QUOTA} a minute for the fleet \
         admits {expected} (±{TOLERANCE}) in that time"
    );
    assert_eq!(refused_ids.len(), BURST - admitted, "error ids are unique");
    // Every 429 of every process is counted in the one log, exactly. Their
    // records are all kept unless a process's log sampled them as an error
    // storm (docs/error-log.md): then at least its first ten of the minute
    // are, and an id not kept is explained when looked up.
    let refused = BURST - admitted;
    eventually("every 429 of the burst is counted in the error log", || {
        counted(store, "RATE_LIMITED") == refused as u64
    });
    let kept = rate_limited_in_log(store);
    let first_ones: usize = per_process.iter().map(|&(_, r)| r.min(10)).sum();
    eprintln!(
        "fleet: {refused} 429s counted in the log, {} of them recorded",
        kept.len()
    );
    assert!(
        kept.is_subset(&refused_ids),
        "records of 429s never answered"
    );
    assert!(
        kept.len() >= first_ones,
        "{} of {refused} 429s recorded, fewer than the first ten of each process ({first_ones})",
        kept.len()
    );
    if let Some(id) = refused_ids.difference(&kept).next() {
        let out = Command::new(env!("CARGO_BIN_EXE_errcat"))
            .args(["lookup", id, "--store", store])
            .current_dir(root())
            .env_remove("ERRCAT_STORE")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", show(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("Not kept"),
            "{}",
            show(&out)
        );
    }

    // b. Every error of every process, found from any of them. (A few of a
    // kind per process and minute: kept in an error storm too.)
    let made = errors_on_each(&fleet);
    eventually("the console of the next process finds every error", || {
        made.iter().all(|m| {
            console_finds(
                &fleet[(m.process + 1) % PROCESSES],
                &m.error_id,
                &m.error_id,
            )
        })
    });
    let everyone: Vec<usize> = (0..PROCESSES).collect();
    all_found(store, &fleet, &everyone, &made);
    // By request id in a console too.
    let m = &made[made.len() - 1];
    assert!(
        console_finds(&fleet[0], &m.request_id, &m.error_id),
        "{m:?}"
    );

    // c. One process killed (SIGKILL) after its last error was written.
    let victim = PROCESSES - 1;
    let survivors: Vec<usize> = (0..victim).collect();
    let last = not_found(&fleet, victim, "/api/fleet/last-before-kill");
    eventually("the victim's last error is written", || {
        !cli_lookup(store, &last.error_id).is_empty()
    });
    fleet[victim].child.kill().unwrap();
    fleet[victim].child.wait().unwrap();
    assert_eq!(
        get(&fleet[victim].addr, "/api/health", &[]).0,
        0,
        "the killed process still answers"
    );
    let mut before: Vec<Made> = made;
    before.push(last);
    all_found(store, &fleet, &survivors, &before);
    assert_eq!(counted(store, "RATE_LIMITED"), refused as u64);
    assert!(rate_limited_in_log(store).is_superset(&kept));
    // The survivors keep answering and recording…
    let after: Vec<Made> = survivors
        .iter()
        .map(|&p| not_found(&fleet, p, "/api/fleet/after-kill"))
        .collect();
    eventually("the survivors' consoles find their new errors", || {
        after.iter().all(|m| {
            survivors
                .iter()
                .all(|&c| console_finds(&fleet[c], &m.error_id, &m.error_id))
        })
    });
    all_found(store, &fleet, &survivors, &after);
    // …and still share the quota the burst spent: what is left of it is
    // what GCRA gave back since, not a fresh key's 599.
    for &p in &survivors {
        let (status, head, body) = post_json(
            &fleet[p].addr,
            "/api/events",
            &[("X-API-Key", DEMO_API_KEY)],
            EVENTS,
        );
        assert!(matches!(status, 202 | 429), "{status}: {body}");
        let left = per_key_left(&head).unwrap_or_else(|| panic!("no RateLimit:\n{head}"));
        let most = refilled(burst_ended.elapsed()) + TOLERANCE;
        assert!(
            usize::try_from(left).unwrap() <= most,
            "process {p}: {left} requests left of the spent quota (at most {most})"
        );
    }
    for &p in &survivors {
        assert!(!fleet[p].limiter_failed(), "{}", fleet[p].log_tail());
    }
    let total = test_started.elapsed();
    eprintln!("fleet: the whole test took {total:?}");
    assert!(total < Duration::from_secs(60), "the test took {total:?}");
    drop(fleet);
    drop(schema);
}
