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

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::http::{get, header, json, post_json};

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

/// Polls `f` until it is true (the error log writes in the background).
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < Duration::from_secs(10), "never: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}
