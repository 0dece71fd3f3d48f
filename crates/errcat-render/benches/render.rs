//! Rendering a typical error (one parameter, two field violations) in the
//! `problem` envelope and in a custom template envelope, and an error with
//! four violations (two on one field) in a custom envelope with text values
//! and violations keyed by field, against a baseline measured in the same
//! run: `serde_json` serializing a hand-written `#[derive(Serialize)]` struct
//! that produces exactly the same bytes.
//!
//! The baseline does the per-request work errcat cannot precompute: it formats
//! the message with the parameter (`format!`) and serializes the dynamic
//! values; the code, title, category and type URI are string literals, as a
//! hand-written error type would have them.
//!
//! The keyed case (`render_text_keyed`) renders
//! `{"type": "https://api.example.com/errors/${code|kebab}", "summary":
//! "[ERROR] ${message}", "request": "req:${request_id}", "errors": {"$each":
//! "violations", "key": "$path", "group": true, "do": "$message"}}`. Its
//! baseline builds `summary` and `request` with `format!` on each iteration,
//! has the type URI as a literal (the code is known where the error is
//! written, so hand-written code has its kebab-case URI as a constant), and
//! groups the violations into a `Vec<(&str, Vec<&str>)>` in order of first
//! appearance (a linear search per violation), serialized as a JSON object
//! with `Serializer::collect_map`; no `BTreeMap`, so the order does not
//! depend on how the field names sort.
//!
//! `render_into` (reused buffer) is compared with `serde_json::to_writer` into
//! a reused buffer; `render` (allocating) with `serde_json::to_vec`. After
//! criterion's runs, `main` reads criterion's estimates and prints one ratio
//! line per pair.
//!
//! Run with `cargo bench -p errcat-render --bench render`.

use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use criterion::{Criterion, criterion_group};
use errcat_catalog::{Catalog, FieldViolation};
use errcat_render::{Error, RenderOptions, Renderer};
use serde::Serialize;

const CATALOG: &str = r#"
[api]
name = "SaaS API"
docs_url = "https://docs.example.com/api/error-codes"

[envelopes.saas]
body = '{"error": {"message": "$message", "statusCode": "$status", "code": "$code", "category": "$category", "details": "$field_violations"}}'
violation = '{"path": "$path", "message": "$message"}'

[envelopes.keyed]
body = '''
{"type": "https://api.example.com/errors/${code|kebab}", "summary": "[ERROR] ${message}", "request": "req:${request_id}",
 "errors": {"$each": "violations", "key": "$path", "group": true, "do": "$message"}}
'''

[[errors]]
code = "EVENT_VALIDATION_FAILED"
status = 400
category = "VALIDATION"
title = "Event validation failed"
message = "The events sent to {endpoint} failed validation"
params = { endpoint = "string" }
description = "One or more events in the batch do not match the event schema."
resolution = ["Check the `details` array for the field paths and messages."]
"#;

const CODE: &str = "EVENT_VALIDATION_FAILED";
const PARAM: &str = "POST /api/sdk/events";
const VIOLATIONS: [(&str, &str); 2] = [
    ("events.0.type", "Invalid enum value"),
    ("events.1.timestamp", "Expected an ISO 8601 date-time"),
];
/// The keyed case's violations: four, the first and third on one field.
const KEYED_VIOLATIONS: [(&str, &str); 4] = [
    ("events.0.type", "Invalid enum value"),
    ("events.1.timestamp", "Expected an ISO 8601 date-time"),
    ("events.0.type", "Required for track events"),
    ("events.2.userId", "Expected a string, received null"),
];
const ERROR_ID: &str = "01JQ4ZK6N7V3M0X8T2R5Y9C1DW";
const REQUEST_ID: &str = "req_8f14e45fceea167a";

/// The groups (each with its envelope) and the pairs (errcat bench,
/// baseline bench) compared in each.
const GROUPS: [(&str, &str); 3] = [
    ("render_problem", "problem"),
    ("render_custom", "saas"),
    ("render_text_keyed", "keyed"),
];
const PAIRS: [(&str, &str, &str); 2] = [
    ("render_into", "errcat_render_into", "serde_to_writer"),
    ("render", "errcat_render", "serde_to_vec"),
];

/// The error an envelope's group renders.
fn error_for(envelope: &str) -> Error {
    let violations: &[(&str, &str)] = match envelope {
        "keyed" => &KEYED_VIOLATIONS,
        _ => &VIOLATIONS,
    };
    Error::new(CODE)
        .with_param("endpoint", PARAM)
        .with_violations(
            violations
                .iter()
                .map(|(path, message)| FieldViolation::new(*path, *message)),
        )
}

fn options(envelope: &str) -> RenderOptions<'_> {
    RenderOptions {
        envelope: Some(envelope),
        error_id: Some(ERROR_ID),
        request_id: Some(REQUEST_ID),
        timestamp: Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
        ..RenderOptions::default()
    }
}

// ---- The baseline: hand-written serde structs. ----

/// What a hand-written error type holds at run time: the parameter and the
/// violations (owned strings, like errcat's `FieldViolation`).
struct Input {
    endpoint: String,
    violations: Vec<Violation>,
}

#[derive(Serialize)]
struct Violation {
    path: String,
    message: String,
}

/// What the baseline holds for an envelope's group (the same values as
/// [`error_for`]).
fn input_for(envelope: &str) -> Input {
    let violations: &[(&str, &str)] = match envelope {
        "keyed" => &KEYED_VIOLATIONS,
        _ => &VIOLATIONS,
    };
    Input {
        endpoint: PARAM.to_owned(),
        violations: violations
            .iter()
            .map(|(path, message)| Violation {
                path: (*path).to_owned(),
                message: (*message).to_owned(),
            })
            .collect(),
    }
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    type_uri: &'static str,
    title: &'static str,
    status: u16,
    detail: String,
    code: &'static str,
    category: &'static str,
    error_id: &'a str,
    request_id: &'a str,
    errors: &'a [Violation],
}

impl<'a> Problem<'a> {
    fn new(input: &'a Input) -> Self {
        Problem {
            type_uri: "https://docs.example.com/api/error-codes#EVENT_VALIDATION_FAILED",
            title: "Event validation failed",
            status: 400,
            detail: format!("The events sent to {} failed validation", input.endpoint),
            code: CODE,
            category: "VALIDATION",
            error_id: ERROR_ID,
            request_id: REQUEST_ID,
            errors: &input.violations,
        }
    }
}

#[derive(Serialize)]
struct SaasBody<'a> {
    error: SaasError<'a>,
}

#[derive(Serialize)]
struct SaasError<'a> {
    message: String,
    #[serde(rename = "statusCode")]
    status_code: u16,
    code: &'static str,
    category: &'static str,
    details: &'a [Violation],
}

impl<'a> SaasBody<'a> {
    fn new(input: &'a Input) -> Self {
        SaasBody {
            error: SaasError {
                message: format!("The events sent to {} failed validation", input.endpoint),
                status_code: 400,
                code: CODE,
                category: "VALIDATION",
                details: &input.violations,
            },
        }
    }
}

#[derive(Serialize)]
struct KeyedBody<'a> {
    #[serde(rename = "type")]
    type_uri: &'static str,
    summary: String,
    request: String,
    errors: ByField<'a>,
}

/// Each field's messages, fields in order of first appearance; serialized
/// as an object.
struct ByField<'a>(Vec<(&'a str, Vec<&'a str>)>);

impl<'a> ByField<'a> {
    fn new(violations: &'a [Violation]) -> Self {
        let mut fields: Vec<(&str, Vec<&str>)> = Vec::new();
        for v in violations {
            match fields.iter_mut().find(|(path, _)| *path == v.path) {
                Some((_, messages)) => messages.push(&v.message),
                None => fields.push((&v.path, vec![&v.message])),
            }
        }
        ByField(fields)
    }
}

impl Serialize for ByField<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(path, messages)| (path, messages)))
    }
}

impl<'a> KeyedBody<'a> {
    fn new(input: &'a Input) -> Self {
        KeyedBody {
            type_uri: "https://api.example.com/errors/event-validation-failed",
            summary: format!(
                "[ERROR] The events sent to {} failed validation",
                input.endpoint
            ),
            request: format!("req:{REQUEST_ID}"),
            errors: ByField::new(&input.violations),
        }
    }
}

/// The baseline's body for an envelope.
fn baseline_to_writer(envelope: &str, input: &Input, buf: &mut Vec<u8>) {
    let r = match envelope {
        "problem" => serde_json::to_writer(&mut *buf, &Problem::new(input)),
        "keyed" => serde_json::to_writer(&mut *buf, &KeyedBody::new(input)),
        _ => serde_json::to_writer(&mut *buf, &SaasBody::new(input)),
    };
    r.expect("serializing into a Vec cannot fail");
}

fn baseline_to_vec(envelope: &str, input: &Input) -> Vec<u8> {
    let r = match envelope {
        "problem" => serde_json::to_vec(&Problem::new(input)),
        "keyed" => serde_json::to_vec(&KeyedBody::new(input)),
        _ => serde_json::to_vec(&SaasBody::new(input)),
    };
    r.expect("serializing into a Vec cannot fail")
}

/// The baseline is honest only if it writes exactly errcat's bytes.
fn assert_same_bytes(renderer: &Renderer) {
    for (_, envelope) in GROUPS {
        let err = &error_for(envelope);
        let input = &input_for(envelope);
        let opts = options(envelope);
        let errcat = renderer.render(err, &opts).body;
        let mut into = Vec::new();
        let _ = renderer.render_into(err, &opts, &mut into);
        let mut writer = Vec::new();
        baseline_to_writer(envelope, input, &mut writer);
        let vec = baseline_to_vec(envelope, input);
        let show = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        assert_eq!(show(&into), show(&errcat), "{envelope}: render_into");
        assert_eq!(show(&writer), show(&errcat), "{envelope}: to_writer");
        assert_eq!(show(&vec), show(&errcat), "{envelope}: to_vec");
        println!(
            "{envelope} body: {} bytes, identical to the baseline's",
            errcat.len()
        );
    }
}

fn bench_render(c: &mut Criterion) {
    let renderer = Renderer::new(Catalog::from_str(CATALOG, "errors.toml").expect("bench catalog"));
    assert_same_bytes(&renderer);

    for (group_name, envelope) in GROUPS {
        let err = error_for(envelope);
        let input = input_for(envelope);
        let opts = options(envelope);
        let mut group = c.benchmark_group(group_name);
        group
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3));
        let mut buf = Vec::with_capacity(1024);
        group.bench_function("errcat_render_into", |b| {
            b.iter(|| {
                buf.clear();
                renderer.render_into(black_box(&err), black_box(&opts), &mut buf)
            });
        });
        group.bench_function("serde_to_writer", |b| {
            b.iter(|| {
                buf.clear();
                baseline_to_writer(black_box(envelope), black_box(&input), &mut buf);
                buf.len()
            });
        });
        group.bench_function("errcat_render", |b| {
            b.iter(|| renderer.render(black_box(&err), black_box(&opts)));
        });
        group.bench_function("serde_to_vec", |b| {
            b.iter(|| baseline_to_vec(black_box(envelope), black_box(&input)));
        });
        group.finish();
    }
}

criterion_group!(benches, bench_render);

use errcat_bench_support::criterion_ratio;

use criterion_ratio::{human, print_ratio};

fn print_ratios(started: SystemTime) {
    println!();
    for (group, _) in GROUPS {
        for (what, errcat, baseline) in PAIRS {
            // The mean is the headline; the median ratio is less swayed by
            // outliers on a busy machine.
            print_ratio(
                group,
                what,
                (errcat, baseline),
                started,
                |(e, e_median), (b, b_median)| {
                    format!(
                        "errcat/serde_derive = {:.2}x (errcat {}, baseline {}; median ratio {:.2}x)",
                        e / b,
                        human(e),
                        human(b),
                        e_median / b_median
                    )
                },
            );
        }
    }
}

fn main() {
    let started = SystemTime::now();
    benches();
    criterion_ratio::finish(started, print_ratios);
}
