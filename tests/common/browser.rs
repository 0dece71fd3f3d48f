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
