//! What the locked dependency graph promises (all features, every
//! platform): the workspace's `rust-version` is not below the highest
//! `rust-version` of its dependencies, so the floor it promises is one the
//! lock can build with; and SQLite is linked once, through one driver.

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

/// `cargo metadata` of the locked workspace, all features.
fn metadata() -> serde_json::Value {
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
    serde_json::from_slice(&out.stdout).expect("metadata JSON")
}

#[test]
fn rust_version_is_at_least_every_locked_dependencys() {
    let meta = metadata();
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

#[test]
fn sqlite_is_linked_once_through_one_driver() {
    let meta = metadata();
    let packages = meta["packages"].as_array().expect("packages");
    let named = |name: &str| {
        packages
            .iter()
            .filter(|p| p["name"] == name)
            .map(|p| p["version"].as_str().unwrap_or("?").to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        named("libsqlite3-sys").len(),
        1,
        "one libsqlite3-sys: {:?}",
        named("libsqlite3-sys")
    );
    assert_eq!(named("rusqlite").len(), 1, "{:?}", named("rusqlite"));
    // sqlx is the PostgreSQL driver only.
    assert!(
        named("sqlx-sqlite").is_empty(),
        "sqlx's SQLite driver is linked"
    );
    // Who depends on libsqlite3-sys: rusqlite alone.
    let resolve = meta["resolve"]["nodes"].as_array().expect("resolve");
    let users: Vec<&str> = resolve
        .iter()
        .filter(|n| {
            n["deps"]
                .as_array()
                .is_some_and(|d| d.iter().any(|d| d["name"] == "libsqlite3_sys"))
        })
        .filter_map(|n| n["id"].as_str())
        .collect();
    assert!(
        !users.is_empty() && users.iter().all(|id| id.contains("rusqlite")),
        "libsqlite3-sys used by {users:?}"
    );
}
