//! The workspace's `rust-version` is not below the highest `rust-version`
//! of its locked dependencies (all features, every platform), so the floor
//! it promises is one the lock can build with.

use std::process::Command;

/// `1.94` or `1.94.0` as (major, minor, patch).
fn version(s: &str) -> (u64, u64, u64) {
    let mut parts = s.split('.').map(|p| {
        p.parse::<u64>()
            .unwrap_or_else(|e| panic!("rust-version {s:?}: {e}"))
    });
    let mut next = || parts.next().unwrap_or(0);
    (next(), next(), next())
}

#[test]
fn rust_version_is_at_least_every_locked_dependencys() {
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--locked",
            "--all-features",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata JSON");
    let members = meta["workspace_members"].as_array().expect("members");
    let packages = meta["packages"].as_array().expect("packages");
    let rust_version = |p: &serde_json::Value| p["rust_version"].as_str().map(version);
    let (ours, theirs): (Vec<_>, Vec<_>) =
        packages.iter().partition(|p| members.contains(&p["id"]));
    let declared = rust_version(
        ours.iter()
            .find(|p| p["name"] == "errcat")
            .expect("the errcat package"),
    )
    .expect("errcat declares rust-version");
    let (floor, by) = theirs
        .iter()
        .filter_map(|p| Some((rust_version(p)?, p["name"].as_str()?)))
        .max()
        .expect("dependencies declare rust-version");
    assert!(
        declared >= floor,
        "the workspace says rust-version {declared:?}, but {by} needs {floor:?}: \
         raise `rust-version` in the root Cargo.toml"
    );
    // Every member inherits the one workspace value.
    for p in ours {
        assert_eq!(rust_version(p), Some(declared), "{}", p["name"]);
    }
}
