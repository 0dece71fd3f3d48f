//! What the headless-Chromium tests need: Debian's `chromium`, `node`, and
//! `playwright-core` installed by `npm ci` in tests/browser.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The browser tests' folder.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

fn chromium() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("CHROMIUM") {
        return Some(PathBuf::from(p)).filter(|p| p.exists());
    }
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// The Chromium binary when everything a browser test needs is installed.
/// Otherwise `None` after printing why the test is skipped; under `CI=true`
/// a missing piece fails the test instead.
pub fn tools(test: &str) -> Option<PathBuf> {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    let node_ok = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let chromium = chromium();
    let missing = if chromium.is_none() {
        Some("chromium is not installed (apt-get install -y chromium)")
    } else if !node_ok {
        Some("node is not installed")
    } else if !dir().join("node_modules/playwright-core").exists() {
        Some("playwright-core is not installed (run `npm ci` in tests/browser)")
    } else {
        None
    };
    if let Some(why) = missing {
        assert!(!ci, "{test} cannot run under CI: {why}");
        eprintln!("skipping {test}: {why}");
        return None;
    }
    chromium
}

/// Runs the browser script `script` (in tests/browser) with `args` and the
/// Chromium binary; asserts that it exits 0 with `N passed, 0 failed` and
/// left each of `shots` in `shot_dir`. Returns what it printed.
#[allow(dead_code)]
pub fn run(
    script: &str,
    chromium: &Path,
    args: &[&std::ffi::OsStr],
    shot_dir: &Path,
    shots: &[&str],
) -> String {
    let out = Command::new("node")
        .arg(dir().join(script))
        .args(args)
        .env("CHROMIUM", chromium)
        .current_dir(dir())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    println!("{stdout}");
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{script}: browser checks failed:\n{stdout}"
    );
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
    for shot in shots {
        assert!(shot_dir.join(shot).exists(), "{script}: no {shot}");
    }
    stdout
}
