//! `errcat demo`, black-box: the binary starts the reference API with its
//! SQLite error log, docs and console; an error a request gets is found
//! again from its id; `errcat check` finds nothing wrong with it
//! (`serving.rs`); slow, idle and surplus connections are closed or wait,
//! and early answers close theirs openly (`connections.rs`). Here: starting
//! the demo and talking to it.

#![cfg(feature = "demo")]

#[path = "../common/mod.rs"]
mod common;
mod connections;
mod serving;
mod support;

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
