//! Loading and linting a 10,000-error catalog, against a baseline measured in
//! the same run: `toml::from_str::<toml::Value>` of the same text (the raw
//! TOML parse, with no spans, decoding, standard-catalog merge or lint).
//!
//! Targets: load (`Catalog::from_str`) under 100 ms, lint
//! (`Catalog::lint_str`) under 200 ms.
//!
//! Then what `errcat lint` does for a catalog of the same size with 1,000
//! findings (one unused parameter in every tenth error): the lint and its
//! output, graphical (as on a terminal, without color), JSON and plain
//! (one line a finding), each against the clean catalog's in the same run.
//! Target: under 300 ms in each format. Both catalogs are written to
//! `target/errcat-bench-lint-{clean,noisy}.toml`, so that the `errcat lint`
//! binary can be timed on them too (`hyperfine 'errcat lint FILE'`).
//!
//! After criterion's runs, `main` reads criterion's estimates and prints the
//! ratios and the figures against the targets.
//!
//! Run with `cargo bench -p errcat-catalog --bench load`.

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{Criterion, SamplingMode, criterion_group};
use errcat_catalog::Catalog;

const ERRORS: usize = 10_000;
const GROUP: &str = "catalog_load";
const OUTPUT_GROUP: &str = "lint_output";
/// One error in this many declares a parameter its message never uses.
const UNUSED_EVERY: usize = 10;
/// What `errcat lint` prints: the formats it has.
const FORMATS: [&str; 3] = ["graphical", "json", "plain"];
const LOAD_TARGET_MS: f64 = 100.0;
const LINT_TARGET_MS: f64 = 200.0;
const OUTPUT_TARGET_MS: f64 = 300.0;

const AREAS: [&str; 10] = [
    "ACCOUNT",
    "BILLING",
    "CATALOG",
    "ANALYTICS",
    "MESSAGING",
    "IDENTITY",
    "STORAGE",
    "SEARCH",
    "WORKFLOW",
    "PARTNER",
];

const NOUNS: [&str; 50] = [
    "ORDER",
    "INVOICE",
    "CUSTOMER",
    "PRODUCT",
    "CART",
    "PAYMENT",
    "REFUND",
    "SHIPMENT",
    "WEBHOOK",
    "TEMPLATE",
    "CAMPAIGN",
    "SEGMENT",
    "AUDIENCE",
    "REPORT",
    "EXPORT",
    "IMPORT",
    "FILE",
    "FOLDER",
    "PROJECT",
    "TEAM",
    "MEMBER",
    "ROLE",
    "POLICY",
    "TOKEN",
    "SESSION",
    "DEVICE",
    "EVENT",
    "METRIC",
    "ALERT",
    "DASHBOARD",
    "WIDGET",
    "QUERY",
    "DATASET",
    "MODEL",
    "JOB",
    "SCHEDULE",
    "TASK",
    "COMMENT",
    "ATTACHMENT",
    "TAG",
    "LABEL",
    "COUPON",
    "DISCOUNT",
    "PLAN",
    "SUBSCRIPTION",
    "LICENSE",
    "DOMAIN",
    "CERTIFICATE",
    "ENDPOINT",
    "INTEGRATION",
];

/// One kind of failure: code suffix, status, category, title (`{N}` is the
/// noun), message (`{n}` is the noun; the `{param}` stays), the parameter and
/// its type.
struct Condition {
    suffix: &'static str,
    status: u16,
    category: &'static str,
    title: &'static str,
    message: &'static str,
    param: &'static str,
    ty: &'static str,
}

const fn cond(
    suffix: &'static str,
    status: u16,
    category: &'static str,
    title: &'static str,
    message: &'static str,
    param: &'static str,
    ty: &'static str,
) -> Condition {
    Condition {
        suffix,
        status,
        category,
        title,
        message,
        param,
        ty,
    }
}

#[rustfmt::skip]
const CONDITIONS: [Condition; 20] = [
    cond("NOT_FOUND", 404, "NOT_FOUND", "{N} not found", "The {n} {id} was not found", "id", "string"),
    cond("ALREADY_EXISTS", 409, "CONFLICT", "{N} already exists", "A {n} named {name} already exists", "name", "string"),
    cond("INVALID", 400, "VALIDATION", "Invalid {n}", "The {n} is invalid: {reason}", "reason", "string"),
    cond("FORBIDDEN", 403, "AUTH", "{N} access denied", "You may not access the {n} {id}", "id", "string"),
    cond("RATE_LIMITED", 429, "RATE_LIMIT", "Too many {n} requests", "Too many {n} requests; retry in {retry_after} seconds", "retry_after", "integer"),
    cond("LOCKED", 423, "CONFLICT", "{N} locked", "The {n} {id} is locked by another operation", "id", "string"),
    cond("DELETED", 410, "NOT_FOUND", "{N} deleted", "The {n} {id} was deleted", "id", "string"),
    cond("QUOTA_EXCEEDED", 422, "CONFLICT", "{N} quota exceeded", "Your plan allows at most {limit} of this {n}", "limit", "integer"),
    cond("MODIFIED", 412, "CONFLICT", "{N} modified", "The {n} changed since version {version}", "version", "string"),
    cond("TOO_LARGE", 413, "VALIDATION", "{N} too large", "The {n} exceeds {max_bytes} bytes", "max_bytes", "integer"),
    cond("UNSUPPORTED_TYPE", 415, "VALIDATION", "Unsupported {n} type", "Content type {content_type} is not supported for this {n}", "content_type", "string"),
    cond("UNAUTHENTICATED", 401, "AUTH", "{N} needs authentication", "Sign in to use the {n} {id}", "id", "string"),
    cond("PAYMENT_REQUIRED", 402, "BILLING", "{N} needs a paid plan", "The {feature} feature of this {n} needs a paid plan", "feature", "string"),
    cond("WRONG_STATE", 409, "CONFLICT", "{N} in the wrong state", "The {n} is {state}; it must be active", "state", "string"),
    cond("PROVIDER_FAILED", 502, "INTEGRATION", "{N} provider failed", "The {provider} provider of this {n} failed", "provider", "string"),
    cond("UNAVAILABLE", 503, "EXTERNAL_SERVICE", "{N} unavailable", "The {n} service is unavailable in {region}", "region", "string"),
    cond("TIMEOUT", 504, "INTEGRATION", "{N} timed out", "The {n} request timed out after {timeout_ms} ms", "timeout_ms", "integer"),
    cond("FAILED", 500, "INTERNAL", "{N} failed", "Processing the {n} {id} failed unexpectedly", "id", "string"),
    cond("INVALID_FIELD", 422, "VALIDATION", "Invalid {n} field", "The field {field} of this {n} is invalid", "field", "string"),
    cond("STORAGE_FULL", 507, "STORAGE", "{N} storage full", "No space left to store the {n} {id}", "id", "string"),
];

/// `ORDER` → `order`, `Order`.
fn words(noun: &str) -> (String, String) {
    let lower = noun.to_ascii_lowercase().replace('_', " ");
    let mut upper = lower.clone();
    upper[..1].make_ascii_uppercase();
    (lower, upper)
}

/// A realistic catalog with `n` errors: every error has a code, numeric code,
/// status, category, title, a message with one parameter, description,
/// causes and resolution; a few categories of its own. With `unused_every`,
/// one error in that many also declares a `trace` parameter its message
/// never uses (one `unused-param` warning each).
fn catalog_toml(n: usize, unused_every: Option<usize>) -> String {
    let mut s = String::with_capacity(n * 700);
    s.push_str(
        r#"[api]
name = "Big API"
version = "2.3.0"
docs_url = "https://docs.example.com/errors"
domain = "api.example.com"

[categories.BILLING]
description = "Payment, plan and invoice errors"
statuses = [402]

[categories.INTEGRATION]
description = "A connected provider failed"
statuses = [502, 504]

[categories.STORAGE]
description = "Storage quota errors"
statuses = [507]
"#,
    );
    let mut i = 0;
    'outer: for area in AREAS {
        for noun in NOUNS {
            let (lower, upper) = words(noun);
            let area_lower = area.to_ascii_lowercase();
            for c in &CONDITIONS {
                if i == n {
                    break 'outer;
                }
                let title = c.title.replace("{N}", &upper).replace("{n}", &lower);
                let message = c.message.replace("{n}", &lower);
                let _ = write!(
                    s,
                    r#"
[[errors]]
code = "{area}_{noun}_{suffix}"
numeric_code = {numeric}
status = {status}
category = "{category}"
title = "{title}"
message = "{message}"
params = {{ {param} = "{ty}"{unused} }}
description = "The {area_lower} service could not handle the {lower}: {title_lower}."
causes = ["The {lower} was changed by another request", "The request used stale data", "A limit of the {area_lower} service was reached"]
resolution = ["Read the {lower} again and retry.", "Check the `{param}` value.", "See https://docs.example.com/{area_lower}/{lower} for the rules."]
"#,
                    suffix = c.suffix,
                    numeric = 100_000 + i,
                    status = c.status,
                    category = c.category,
                    param = c.param,
                    ty = c.ty,
                    unused = if unused_every.is_some_and(|k| i % k == 0) {
                        ", trace = \"string\""
                    } else {
                        ""
                    },
                    title_lower = title.to_ascii_lowercase(),
                );
                if c.status == 429 {
                    s.push_str("retry_after = 30\n");
                }
                i += 1;
            }
        }
    }
    assert_eq!(i, n, "not enough code combinations for {n} errors");
    s
}

fn bench_load(c: &mut Criterion) {
    let text = catalog_toml(ERRORS, None);
    let report = Catalog::lint_str(&text, "errors.toml");
    let (errors, warnings) = report.counts();
    let catalog = Catalog::from_str(&text, "errors.toml").unwrap_or_else(|report| {
        let first: Vec<String> = report
            .diagnostics
            .iter()
            .take(5)
            .map(|d| format!("{}: {}", d.code, d.message))
            .collect();
        panic!("the generated catalog does not load: {first:#?}");
    });
    println!(
        "catalog: {} bytes, {} errors ({} with the standard ones); lint: {errors} error(s), {warnings} warning(s)",
        text.len(),
        ERRORS,
        catalog.errors.len(),
    );
    for d in report.diagnostics.iter().take(5) {
        println!("  {} {}: {}", d.severity.as_str(), d.code, d.message);
    }
    drop(catalog);

    let mut group = c.benchmark_group(GROUP);
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    group.bench_function("errcat_load", |b| {
        b.iter_with_large_drop(|| Catalog::from_str(black_box(&text), "errors.toml"));
    });
    group.bench_function("errcat_lint", |b| {
        b.iter_with_large_drop(|| Catalog::lint_str(black_box(&text), "errors.toml"));
    });
    group.bench_function("toml_value", |b| {
        b.iter_with_large_drop(|| toml::from_str::<toml::Value>(black_box(&text)));
    });
    group.finish();
}

/// `errcat lint`'s work for `text`: the lint, then its output in `format`.
fn lint_output(text: &str, format: &str) -> String {
    let report = Catalog::lint_str(text, "errors.toml");
    match format {
        "graphical" => {
            let mut out = String::new();
            report.write_graphical(false, &mut out).unwrap();
            out
        }
        "json" => serde_json::to_string_pretty(&report.to_json()).unwrap(),
        _ => report.to_string(),
    }
}

fn bench_lint_output(c: &mut Criterion) {
    let clean = catalog_toml(ERRORS, None);
    let noisy = catalog_toml(ERRORS, Some(UNUSED_EVERY));
    let (clean_n, noisy_n) = (
        Catalog::lint_str(&clean, "errors.toml").diagnostics.len(),
        Catalog::lint_str(&noisy, "errors.toml").diagnostics.len(),
    );
    assert_eq!(
        noisy_n - clean_n,
        ERRORS / UNUSED_EVERY,
        "the noisy catalog's findings"
    );
    let target = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target");
    for (name, text) in [("clean", &clean), ("noisy", &noisy)] {
        let path = target.join(format!("errcat-bench-lint-{name}.toml"));
        if let Err(e) = std::fs::write(&path, text) {
            println!("could not write {}: {e}", path.display());
        }
    }
    for format in FORMATS {
        println!(
            "lint output {format}: clean {} bytes ({clean_n} findings), noisy {} bytes ({noisy_n} findings)",
            lint_output(&clean, format).len(),
            lint_output(&noisy, format).len(),
        );
    }
    let mut group = c.benchmark_group(OUTPUT_GROUP);
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for format in FORMATS {
        for (name, text) in [("clean", &clean), ("noisy", &noisy)] {
            group.bench_function(format!("{format}_{name}"), |b| {
                b.iter_with_large_drop(|| lint_output(black_box(text), format));
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_load, bench_lint_output);

// ---- Ratios from criterion's estimates. ----

use errcat_bench_support::criterion_ratio;

/// The mean of one benchmark of this run, in nanoseconds.
fn mean_ns(bench: &str, started: SystemTime) -> Result<f64, String> {
    group_mean_ns(GROUP, bench, started)
}

fn group_mean_ns(group: &str, bench: &str, started: SystemTime) -> Result<f64, String> {
    criterion_ratio::estimates_ns(group, bench, started).map(|(mean, _)| mean)
}

fn print_ratios(started: SystemTime) {
    println!();
    let baseline = mean_ns("toml_value", started);
    for (what, bench, target_ms) in [
        ("load", "errcat_load", LOAD_TARGET_MS),
        ("lint", "errcat_lint", LINT_TARGET_MS),
    ] {
        match (mean_ns(bench, started), baseline.clone()) {
            (Ok(e), Ok(b)) => {
                let ms = e / 1e6;
                println!(
                    "ratio {GROUP}/{what} errcat/toml_value = {:.2}x (errcat {ms:.2} ms, baseline {:.2} ms)",
                    e / b,
                    b / 1e6
                );
                println!(
                    "target {what} {ERRORS} errors: {ms:.2} ms (target < {target_ms:.0} ms: {})",
                    if ms < target_ms { "met" } else { "MISSED" }
                );
            }
            (Err(why), _) | (_, Err(why)) => {
                println!("ratio {GROUP}/{what}: not available ({why})");
            }
        }
    }
    for format in FORMATS {
        let clean = group_mean_ns(OUTPUT_GROUP, &format!("{format}_clean"), started);
        let noisy = group_mean_ns(OUTPUT_GROUP, &format!("{format}_noisy"), started);
        match (noisy, clean) {
            (Ok(n), Ok(c)) => {
                println!(
                    "ratio {OUTPUT_GROUP}/{format} {}_findings/clean = {:.2}x (with findings {:.2} ms, clean {:.2} ms)",
                    ERRORS / UNUSED_EVERY,
                    n / c,
                    n / 1e6,
                    c / 1e6
                );
                println!(
                    "target lint output {format}, {ERRORS} errors, {} findings: {:.2} ms (target < {OUTPUT_TARGET_MS:.0} ms: {})",
                    ERRORS / UNUSED_EVERY,
                    n / 1e6,
                    if n / 1e6 < OUTPUT_TARGET_MS {
                        "met"
                    } else {
                        "MISSED"
                    }
                );
            }
            (Err(why), _) | (_, Err(why)) => {
                println!("ratio {OUTPUT_GROUP}/{format}: not available ({why})");
            }
        }
    }
}

fn main() {
    let started = SystemTime::now();
    benches();
    criterion_ratio::finish(started, print_ratios);
}
