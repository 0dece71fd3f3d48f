//! Parsing small error bodies, against a baseline measured in the same run:
//! `serde_json::from_slice` into a hand-written `#[derive(Deserialize)]`
//! struct of the same envelope (which knows the shape at compile time and
//! does no catalog lookup).
//!
//! - `parse_custom`: a SaaS-envelope 400 with two field violations, read
//!   through the catalog's compiled template (`Parser::parse_body`), and the
//!   same with headers (`Parser::parse`: `X-Request-Id`, `Retry-After`).
//! - `parse_problem`: an RFC 9457 body (the catalog's fallback reader).
//!
//! After criterion's runs, `main` reads criterion's estimates and prints one
//! ratio line per pair, with bodies per second on this core.
//!
//! Run with `cargo bench -p errcat-client --bench parse`.

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{Criterion, criterion_group};
use errcat_catalog::Catalog;
use errcat_client::Parser;
use http::{HeaderMap, HeaderValue};
use serde::Deserialize;

const CATALOG: &str = r#"
[api]
name = "SaaS API"
docs_url = "https://docs.example.com/api/error-codes"
envelope = "saas"

[envelopes.saas]
body = '{"error": {"message": "$message", "statusCode": "$status", "code": "$code", "category": "$category", "details": "$field_violations"}}'
violation = '{"path": "$path", "message": "$message"}'

[[errors]]
code = "EVENT_VALIDATION_FAILED"
status = 400
category = "VALIDATION"
title = "Event validation failed"
message = "The events sent to {endpoint} failed validation"
params = { endpoint = "string" }
"#;

const SAAS: &[u8] = br#"{"error":{"message":"The events sent to POST /api/sdk/events failed validation","statusCode":400,"code":"EVENT_VALIDATION_FAILED","category":"VALIDATION","details":[{"path":"events.0.type","message":"Invalid enum value"},{"path":"events.1.timestamp","message":"Expected an ISO 8601 date-time"}]}}"#;

const PROBLEM: &[u8] = br#"{"type":"https://docs.example.com/api/error-codes#EVENT_VALIDATION_FAILED","title":"Event validation failed","status":400,"detail":"The events sent to POST /api/sdk/events failed validation","code":"EVENT_VALIDATION_FAILED","category":"VALIDATION","error_id":"01JQ4ZK6N7V3M0X8T2R5Y9C1DW","request_id":"req_8f14e45fceea167a"}"#;

#[derive(Deserialize)]
#[allow(dead_code)]
struct SaasBody {
    error: SaasError,
}

#[derive(Deserialize)]
#[allow(dead_code)]
#[serde(rename_all = "camelCase")]
struct SaasError {
    message: String,
    status_code: u16,
    code: String,
    category: String,
    details: Vec<SaasViolation>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct SaasViolation {
    path: String,
    message: String,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Problem {
    #[serde(rename = "type")]
    type_uri: String,
    title: String,
    status: u16,
    detail: String,
    code: String,
    category: String,
    error_id: String,
    request_id: Option<String>,
}

/// The groups and the pairs (errcat bench, baseline bench) compared in each.
const PAIRS: [(&str, &str, &str); 3] = [
    ("parse_custom", "errcat_parse_body", "serde_derive"),
    ("parse_custom", "errcat_parse_with_headers", "serde_derive"),
    ("parse_problem", "errcat_parse_body", "serde_derive"),
];

fn bench_parse(c: &mut Criterion) {
    let catalog = Catalog::from_str(CATALOG, "errors.toml").unwrap();
    let parser = Parser::new(&catalog);
    // The readers must understand the bodies, or the comparison is moot.
    let e = parser.parse_body(400, SAAS);
    assert_eq!(e.code.as_deref(), Some("EVENT_VALIDATION_FAILED"));
    assert_eq!(e.violations.len(), 2);
    let p = parser.parse_body(400, PROBLEM);
    assert_eq!(p.format, errcat_client::Format::Problem);
    assert_eq!(p.error_id.as_deref(), Some("01JQ4ZK6N7V3M0X8T2R5Y9C1DW"));

    let mut headers = HeaderMap::new();
    headers.insert(
        "x-request-id",
        HeaderValue::from_static("req_8f14e45fceea167a"),
    );
    headers.insert("retry-after", HeaderValue::from_static("2"));
    headers.insert("content-type", HeaderValue::from_static("application/json"));

    let mut group = c.benchmark_group("parse_custom");
    group.bench_function("errcat_parse_body", |b| {
        b.iter(|| parser.parse_body(black_box(400), black_box(SAAS)))
    });
    group.bench_function("errcat_parse_with_headers", |b| {
        b.iter(|| parser.parse(black_box(400), black_box(&headers), black_box(SAAS)))
    });
    group.bench_function("serde_derive", |b| {
        b.iter(|| serde_json::from_slice::<SaasBody>(black_box(SAAS)).unwrap())
    });
    group.finish();

    let mut group = c.benchmark_group("parse_problem");
    group.bench_function("errcat_parse_body", |b| {
        b.iter(|| parser.parse_body(black_box(400), black_box(PROBLEM)))
    });
    group.bench_function("serde_derive", |b| {
        b.iter(|| serde_json::from_slice::<Problem>(black_box(PROBLEM)).unwrap())
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_parse
}

use errcat_bench_support::criterion_ratio;

use criterion_ratio::print_ratio;

fn print_ratios(started: SystemTime) {
    println!();
    for (group, errcat, baseline) in PAIRS {
        print_ratio(
            group,
            errcat,
            (errcat, baseline),
            started,
            |(e, e_median), (b, b_median)| {
                format!(
                    "errcat/serde_derive = {:.2}x (errcat {e:.0} ns = {:.2} M bodies/s, baseline {b:.0} ns = {:.2} M bodies/s; median ratio {:.2}x)",
                    e / b,
                    1e3 / e,
                    1e3 / b,
                    e_median / b_median
                )
            },
        );
    }
}

fn main() {
    let started = SystemTime::now();
    benches();
    criterion_ratio::finish(started, print_ratios);
}
