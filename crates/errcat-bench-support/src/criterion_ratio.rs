//! Shared by errcat's criterion benches: reads the
//! estimates criterion wrote in this run, so that each bench can print its
//! ratio against a baseline measured in the same run.

use std::path::PathBuf;
use std::time::SystemTime;

/// Where criterion writes its results: `$CRITERION_HOME`, else
/// `$CARGO_TARGET_DIR/criterion`, else the workspace's `target/criterion`.
pub fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir).join("criterion"),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/criterion"),
    }
}

/// The mean and median of one benchmark in nanoseconds, if this run
/// measured it (estimates from an earlier run are refused).
pub fn estimates_ns(group: &str, bench: &str, started: SystemTime) -> Result<(f64, f64), String> {
    let path = criterion_dir()
        .join(group)
        .join(bench)
        .join("new/estimates.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("no estimates at {}: {e}", path.display()))?;
    let fresh = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .is_ok_and(|t| t >= started);
    if !fresh {
        return Err(format!(
            "{} is from an earlier run (this run did not measure {group}/{bench})",
            path.display()
        ));
    }
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let get = |stat: &str| {
        v[stat]["point_estimate"]
            .as_f64()
            .ok_or_else(|| format!("{}: no {stat}.point_estimate", path.display()))
    };
    Ok((get("mean")?, get("median")?))
}

/// Prints `ratio {group}/{label} ` and `measured` of the (mean, median)
/// estimates of `errcat` and `baseline` in `group`, or why this run has
/// none.
#[allow(dead_code)]
pub fn print_ratio(
    group: &str,
    label: &str,
    (errcat, baseline): (&str, &str),
    started: SystemTime,
    measured: impl FnOnce((f64, f64), (f64, f64)) -> String,
) {
    match (
        estimates_ns(group, errcat, started),
        estimates_ns(group, baseline, started),
    ) {
        (Ok(e), Ok(b)) => println!("ratio {group}/{label} {}", measured(e, b)),
        (Err(why), _) | (_, Err(why)) => {
            println!("ratio {group}/{label}: not available ({why})");
        }
    }
}

/// A duration in nanoseconds, for people.
#[allow(dead_code)]
pub fn human(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{:.2} ms", ns / 1e6)
    }
}

/// Runs criterion's summary, then `print_ratios` when this run measured
/// (`cargo bench`); `cargo test --benches` runs each bench once in test mode
/// and writes no estimates.
pub fn finish(started: SystemTime, print_ratios: impl FnOnce(SystemTime)) {
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
    let args: Vec<String> = std::env::args().collect();
    let measuring = args.iter().any(|a| a == "--bench")
        && !args
            .iter()
            .any(|a| matches!(a.as_str(), "--test" | "--list" | "--profile-time"));
    if measuring {
        print_ratios(started);
    } else {
        println!("(test mode: no estimates measured, ratios not printed)");
    }
}
