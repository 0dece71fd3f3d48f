//! Running the `errcat` binary from the repository root and showing what it
//! printed.

use std::path::Path;
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `errcat ARGS…`, run in the repository root.
pub fn errcat(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_errcat"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The exit code, stdout and stderr, for a failed assertion.
pub fn show(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    )
}

/// A fresh temporary folder.
pub fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Writes `body` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, body: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p.display().to_string()
}

/// `errcat docs --catalog CATALOG --out OUT --format FORMAT`.
pub fn docs(catalog: &str, out: &Path, format: &str) -> Output {
    errcat(&[
        "docs",
        "--catalog",
        catalog,
        "--out",
        out.to_str().unwrap(),
        "--format",
        format,
    ])
}
