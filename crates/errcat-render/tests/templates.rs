//! Bad input to the newer template constructs: bodies stay valid JSON and
//! bounded, whatever the error carries.

use errcat_catalog::Catalog;
use errcat_render::{
    Error, FieldViolation, MAX_PARAM_CHARS, MAX_VIOLATIONS, RenderOptions, Renderer,
};

const CATALOG: &str = r#"
[api]
name = "T"
envelope = "keyed"

[envelopes.keyed]
body = '{"errors": {"$each": "violations", "key": "$path", "group": true, "do": "$message"}, "text": "id ${params.id}"}'

[envelopes.first]
body = '{"errors": {"$each": "violations", "key": "$path", "do": {"m": "$message", "r": "$reason?"}}}'

[envelopes.list]
body = '{"errors": {"$each": "violations", "once_if_empty": true, "do": {"code": "$reason ?? code", "field": "$path?", "at": "$path|segments:body"}}}'

[[errors]]
code = "BAD"
status = 400
message = "Bad {id}"
params = { id = "string" }
"#;

fn renderer() -> Renderer {
    Renderer::new(Catalog::from_str(CATALOG, "errors.toml").unwrap())
}

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(bytes)))
}

#[test]
fn a_hundred_thousand_violations_give_a_bounded_valid_body() {
    let violations: Vec<FieldViolation> = (0..100_000)
        .map(|i| FieldViolation::new(format!("items.{}", i % 5000), format!("bad {i}")))
        .collect();
    let err = Error::new("BAD")
        .with_param("id", "1")
        .with_violations(violations);
    for envelope in ["keyed", "first", "list", "problem", "google"] {
        let out = renderer().render(
            &err,
            &RenderOptions {
                envelope: Some(envelope),
                ..Default::default()
            },
        );
        let body = json(&out.body);
        let text = body.to_string();
        let count = text
            .matches("bad ")
            .count()
            .max(text.matches("\"items.").count());
        assert!(count <= MAX_VIOLATIONS, "{envelope}: {count} messages");
        assert!(count >= MAX_VIOLATIONS / 5, "{envelope}: {count} messages");
        assert!(
            out.body.len() < 200_000,
            "{envelope}: {} bytes",
            out.body.len()
        );
    }
}

#[test]
fn a_keyed_map_never_repeats_a_key() {
    let err = Error::new("BAD").with_param("id", "1").with_violations([
        FieldViolation::new("a", "one"),
        FieldViolation::new("b", "two"),
        FieldViolation::new("a", "three"),
    ]);
    let out = renderer().render(
        &err,
        &RenderOptions {
            envelope: Some("keyed"),
            ..Default::default()
        },
    );
    assert_eq!(
        std::str::from_utf8(&out.body).unwrap(),
        r#"{"errors":{"a":["one","three"],"b":["two"]},"text":"id 1"}"#
    );
    let out = renderer().render(
        &err,
        &RenderOptions {
            envelope: Some("first"),
            ..Default::default()
        },
    );
    assert_eq!(
        std::str::from_utf8(&out.body).unwrap(),
        r#"{"errors":{"a":{"m":"one"},"b":{"m":"two"}}}"#
    );
}

#[test]
fn items_without_violations_and_with_them() {
    let r = renderer();
    let opts = RenderOptions {
        envelope: Some("list"),
        ..Default::default()
    };
    let out = r.render(&Error::new("BAD").with_param("id", "1"), &opts);
    assert_eq!(
        std::str::from_utf8(&out.body).unwrap(),
        r#"{"errors":[{"code":"BAD","at":null}]}"#
    );
    let mut v = FieldViolation::new("items.0.name", "too long");
    v.reason = Some("TOO_LONG".into());
    let out = r.render(
        &Error::new("BAD").with_param("id", "1").with_violations([v]),
        &opts,
    );
    assert_eq!(
        std::str::from_utf8(&out.body).unwrap(),
        r#"{"errors":[{"code":"TOO_LONG","field":"items.0.name","at":["body","items",0,"name"]}]}"#
    );
}

#[test]
fn long_parameters_are_cut_with_an_ellipsis() {
    let long = "x".repeat(5000);
    let out = renderer().render(
        &Error::new("BAD").with_param("id", long.clone()),
        &RenderOptions::default(),
    );
    let body = json(&out.body);
    let text = body["text"].as_str().unwrap();
    assert_eq!(text, format!("id {}…", "x".repeat(MAX_PARAM_CHARS)));
    let out = renderer().render(
        &Error::new("BAD").with_param("id", long),
        &RenderOptions {
            envelope: Some("problem"),
            ..Default::default()
        },
    );
    let detail = json(&out.body)["detail"].as_str().unwrap().to_owned();
    assert_eq!(detail, format!("Bad {}…", "x".repeat(MAX_PARAM_CHARS)));
}
