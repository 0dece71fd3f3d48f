//! Round trips: every seed catalog's errors, rendered by errcat-render in the
//! catalog's envelope, RFC 9457 and AIP-193, parse back to the fields they
//! were rendered from.

use std::time::Duration;

use errcat_catalog::{Catalog, FieldViolation};
use errcat_client::{ApiError, Parser};
use errcat_render::{Error, ParamValue, RenderOptions, Renderer, example_error};
use http::{HeaderMap, HeaderName, HeaderValue};
use proptest::prelude::*;

fn catalogs() -> Vec<(String, Catalog)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/catalogs");
    let mut out: Vec<(String, Catalog)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| {
            let c = Catalog::from_path(&p).unwrap();
            (p.file_name().unwrap().to_string_lossy().into_owned(), c)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(out.len(), 5, "the five seed catalogs");
    out
}

/// The variables an envelope's body template uses (all of them for the
/// built-in envelopes).
fn vars(catalog: &Catalog, envelope: &str) -> Vec<String> {
    match catalog.envelope(envelope) {
        Some(e) => {
            let mut v = Vec::new();
            e.body_tpl
                .visit_vars(&mut |r, _| v.push(r.name().into_owned()));
            v
        }
        None => [
            "code",
            "numeric_code",
            "category",
            "message",
            "field_violations",
            "error_id",
            "request_id",
            "retry_after",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain(
            (envelope == "problem")
                .then(|| vec!["title".to_owned(), "details_raw".to_owned()])
                .into_iter()
                .flatten(),
        )
        .collect(),
    }
}

fn headers(pairs: &[(String, String)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (n, v) in pairs {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(n.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            h.append(n, v);
        }
    }
    h
}

fn expected_message(catalog: &Catalog, err: &Error, retry_after: Option<u64>) -> String {
    let def = catalog.get(err.code()).unwrap();
    def.message.format(|p| match err.param(p) {
        Some(v) => Some(v.to_text()),
        None if p == "retry_after" => retry_after.map(|s| s.to_string()),
        None => None,
    })
}

/// Renders `err` in `envelope`, parses it back and checks every field the
/// envelope carries.
#[allow(clippy::too_many_arguments)]
fn round_trip(
    name: &str,
    catalog: &Catalog,
    renderer: &Renderer,
    parser: &Parser,
    err: &Error,
    envelope: &str,
    error_id: &str,
    request_id: Option<&str>,
) -> Result<(), TestCaseError> {
    let def = catalog.get(err.code()).unwrap();
    let out = renderer.render(
        err,
        &RenderOptions {
            envelope: Some(envelope),
            error_id: Some(error_id),
            request_id,
            ..Default::default()
        },
    );
    let ctx = format!(
        "{name} {} in {envelope}: {}",
        def.code,
        String::from_utf8_lossy(&out.body)
    );
    let parsed: ApiError = parser.parse(out.status, &headers(&out.headers), &out.body);
    let vars = vars(catalog, envelope);
    let has = |v: &str| vars.iter().any(|x| x == v);

    prop_assert_eq!(parsed.status, out.status, "{}", ctx);
    let retry_after = out
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("retry-after"))
        .map(|(_, v)| v.parse::<u64>().unwrap());
    prop_assert_eq!(
        parsed.retry_after,
        retry_after.map(Duration::from_secs),
        "{}",
        ctx
    );
    if has("message") {
        let m = expected_message(catalog, err, retry_after);
        prop_assert_eq!(parsed.message.as_deref(), Some(m.as_str()), "{}", ctx);
    }
    // The code, from the body, the numeric code or (Dxtra) the message.
    prop_assert_eq!(parsed.code.as_deref(), Some(def.code.as_str()), "{}", ctx);
    prop_assert_eq!(parsed.numeric_code, def.numeric_code, "{}", ctx);
    prop_assert_eq!(
        parsed.category.as_deref(),
        Some(def.category.as_str()),
        "{}",
        ctx
    );
    prop_assert_eq!(parsed.title.as_deref(), Some(def.title.as_str()), "{}", ctx);
    prop_assert_eq!(parsed.retryable, def.retryable, "{}", ctx);
    if has("error_id") {
        prop_assert_eq!(parsed.error_id.as_deref(), Some(error_id), "{}", ctx);
    }
    if has("request_id") {
        prop_assert_eq!(parsed.request_id.as_deref(), request_id, "{}", ctx);
    }
    let (violations, details) = expected_violations(catalog, envelope, err, &vars);
    prop_assert_eq!(&parsed.violations, &violations, "{}", ctx);
    prop_assert_eq!(parsed.details, details, "{}", ctx);
    Ok(())
}

/// The violations and details `err` reads back as from `envelope`: those
/// the envelope carries, each with only the fields its violation shape has.
fn expected_violations(
    catalog: &Catalog,
    envelope: &str,
    err: &Error,
    vars: &[String],
) -> (Vec<FieldViolation>, Option<serde_json::Value>) {
    let has = |v: &str| vars.iter().any(|x| x == v);
    let (violations, details): (Vec<FieldViolation>, Option<serde_json::Value>) =
        if has("field_violations") {
            let d = if has("details_raw") {
                err.details().cloned()
            } else {
                None
            };
            (err.violations().to_vec(), d)
        } else if has("details") {
            match err.details() {
                Some(d) if d.as_object().is_some_and(|m| m.is_empty()) => (Vec::new(), None),
                Some(d) => (Vec::new(), Some(d.clone())),
                None => (err.violations().iter().take(1).cloned().collect(), None),
            }
        } else {
            (Vec::new(), None)
        };
    // Envelopes whose violation shape lacks a field drop it.
    let keeps = |field: &str| match catalog.envelope(envelope) {
        Some(e) => {
            let mut r = false;
            e.violation_tpl
                .visit_vars(&mut |v, _| r |= v.name() == field);
            r
        }
        None => true,
    };
    let (path, message, reason) = (keeps("path"), keeps("message"), keeps("reason"));
    let violations = violations
        .iter()
        .map(|v| FieldViolation {
            path: if path { v.path.clone() } else { String::new() },
            message: if message {
                v.message.clone()
            } else {
                String::new()
            },
            reason: if reason { v.reason.clone() } else { None },
        })
        .collect();
    (violations, details)
}

fn envelopes(catalog: &Catalog) -> Vec<String> {
    let mut e = vec![
        catalog.api.envelope.clone(),
        "problem".to_owned(),
        "google".to_owned(),
    ];
    e.dedup();
    e.sort();
    e.dedup();
    e
}

#[test]
fn every_seed_error_round_trips_with_its_example_values() {
    for (name, catalog) in catalogs() {
        let renderer = Renderer::new(catalog.clone());
        let parser = Parser::new(&catalog);
        for def in catalog.errors.iter().filter(|d| d.status.is_some()) {
            let err = example_error(def);
            for env in envelopes(&catalog) {
                round_trip(
                    &name,
                    &catalog,
                    &renderer,
                    &parser,
                    &err,
                    &env,
                    "01J2Z8E6Q4",
                    Some("req-7"),
                )
                .unwrap();
            }
        }
    }
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 ._-]{0,16}",
        "\\PC{0,12}",
        Just("\"quoted\" \\ {braces}".to_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn rendered_errors_parse_back(
        cat in 0usize..5,
        pick in any::<prop::sample::Index>(),
        params in prop::collection::vec(text(), 0..4),
        violations in prop::collection::vec((text(), text(), prop::option::of("[a-z_]{1,10}")), 0..3),
        error_id in "[A-Za-z0-9-]{1,26}",
        request_id in prop::option::of("[A-Za-z0-9_-]{1,20}"),
    ) {
        let all = catalogs();
        let (name, catalog) = &all[cat];
        let renderer = Renderer::new(catalog.clone());
        let parser = Parser::new(catalog);
        let sendable: Vec<_> = catalog.errors.iter().filter(|d| d.status.is_some()).collect();
        let def = sendable[pick.index(sendable.len())];
        let mut err = Error::new(def.code.clone());
        for (i, p) in def.params.iter().enumerate() {
            let v = match p.ty {
                errcat_catalog::ParamType::String => {
                    ParamValue::Str(params.get(i).cloned().unwrap_or_default().into())
                }
                _ => ParamValue::Int(i as i64 + 1),
            };
            err = err.with_param(p.name.clone(), v);
        }
        err = err.with_violations(violations.into_iter().map(|(path, message, reason)| FieldViolation {
            path,
            message,
            reason,
        }));
        for env in envelopes(catalog) {
            // Dxtra's body has only the message: the code is found from it,
            // which only works when no other error's message can match.
            if catalog.api.envelope == "dxtra" && env == "dxtra" && !def.params.is_empty() {
                continue;
            }
            round_trip(name, catalog, &renderer, &parser, &err, &env, &error_id, request_id.as_deref())?;
        }
    }
}
