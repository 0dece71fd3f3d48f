//! The JSON extractor decides `invalid_json` by the body's syntax alone:
//! any body that is JSON never gets `invalid_json`, whatever its values do
//! to the target type; any body that is not JSON always does.

use std::collections::BTreeMap;

use errcat_axum::from_json_slice;
use proptest::prelude::*;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
enum Kind {
    PageView,
    Click,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
enum Shape {
    Dot,
    Circle(f64),
    Rect { w: u32, h: u32 },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Event {
    #[serde(rename = "type")]
    kind: Kind,
    user_id: String,
    timestamp: i64,
    #[serde(default)]
    shape: Option<Shape>,
    #[serde(default)]
    tags: Vec<char>,
    #[serde(default)]
    properties: BTreeMap<String, Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Batch {
    events: Vec<Event>,
    #[serde(default)]
    dry_run: Option<bool>,
    #[serde(default)]
    pair: Option<(u8, String)>,
}

/// The code a body gets as `T`: `None` when it is accepted.
fn code<T: serde::de::DeserializeOwned>(body: &[u8]) -> Option<String> {
    from_json_slice::<T>(body)
        .err()
        .map(|e| e.code().to_owned())
}

/// The code a body gets as each target type.
fn codes(body: &[u8]) -> Vec<Option<String>> {
    vec![
        code::<Batch>(body),
        code::<Event>(body),
        code::<Kind>(body),
        code::<Shape>(body),
        code::<Vec<u8>>(body),
        code::<Value>(body),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,8}".prop_map(Value::from),
        prop_oneof![
            Just("page_view"),
            Just("click"),
            Just("Dot"),
            Just("Circle"),
            Just("Rect"),
            Just("type"),
            Just("x")
        ]
        .prop_map(Value::from),
    ]
}

/// Any JSON value, at most four levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("events".to_owned()),
                        Just("type".to_owned()),
                        Just("user_id".to_owned()),
                        Just("timestamp".to_owned()),
                        Just("shape".to_owned()),
                        Just("Circle".to_owned()),
                        Just("Rect".to_owned()),
                        Just("w".to_owned()),
                        ".{0,6}",
                    ],
                    inner
                ),
                0..6
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// JSON shaped like a batch, with any value in each place, so that every
/// field's deserializer meets wrong kinds of values.
fn batch_like() -> impl Strategy<Value = Value> {
    let event = (any_json(), any_json(), any_json(), any_json(), any_json()).prop_map(
        |(kind, user, ts, shape, tags)| {
            json!({"type": kind, "user_id": user, "timestamp": ts, "shape": shape, "tags": tags})
        },
    );
    (prop::collection::vec(event, 0..3), any_json())
        .prop_map(|(events, pair)| json!({"events": events, "pair": pair}))
}

/// A body as a client may write it: compact or pretty, with whitespace
/// around it.
fn text(v: &Value, pretty: bool, pad: &str) -> Vec<u8> {
    let body = if pretty {
        serde_json::to_string_pretty(v).unwrap()
    } else {
        v.to_string()
    };
    format!("{pad}{body}{pad}").into_bytes()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn json_bodies_are_never_invalid_json(
        v in prop_oneof![any_json(), batch_like()],
        pretty in any::<bool>(),
        pad in prop_oneof![Just(""), Just(" "), Just("\n\t ")],
    ) {
        let body = text(&v, pretty, pad);
        for (target, code) in codes(&body).into_iter().enumerate() {
            prop_assert_ne!(
                code.as_deref(),
                Some("INVALID_JSON"),
                "target {} called JSON invalid: {}",
                target,
                String::from_utf8_lossy(&body)
            );
        }
    }

    #[test]
    fn broken_bodies_are_always_invalid_json(
        v in prop_oneof![any_json(), batch_like()],
        pretty in any::<bool>(),
        cut in any::<prop::sample::Index>(),
        junk in prop_oneof![Just("}"), Just("]"), Just(","), Just("x"), Just("{"), Just("\"")],
        trailing in any::<bool>(),
    ) {
        // An object or array cut anywhere before its last byte misses its
        // closing bracket; any value followed by junk is not one value.
        let whole = text(&v, pretty, "");
        let body = if trailing || !(v.is_object() || v.is_array()) {
            let mut b = whole;
            b.extend_from_slice(b" ");
            b.extend_from_slice(junk.as_bytes());
            b
        } else {
            whole[..cut.index(whole.len())].to_vec()
        };
        for (target, code) in codes(&body).into_iter().enumerate() {
            prop_assert_eq!(
                code.as_deref(),
                Some("INVALID_JSON"),
                "target {} did not call broken JSON invalid: {}",
                target,
                String::from_utf8_lossy(&body)
            );
        }
    }
}

/// Issue 16, item 9: a number where an event type belongs is a violation at
/// `events.0.type`, not "expected value at line 1 column 22".
#[test]
fn a_number_for_an_enum_is_a_violation_at_its_path() {
    let err = from_json_slice::<Batch>(br#"{"events": [{"type": 1}]}"#).unwrap_err();
    assert_eq!(err.code(), "VALIDATION_ERROR");
    assert_eq!(err.violations().len(), 1);
    assert_eq!(err.violations()[0].path, "events.0.type");
    assert_eq!(err.violations()[0].reason.as_deref(), Some("invalid_type"));
    for body in [
        r#"{"events": [{"type": "click", "user_id": "u", "timestamp": 1, "shape": 5}]}"#,
        r#"{"events": [{"type": [], "user_id": "u", "timestamp": 1}]}"#,
        r#"{"events": [{"type": null, "user_id": "u", "timestamp": 1}]}"#,
    ] {
        let err = from_json_slice::<Batch>(body.as_bytes()).unwrap_err();
        assert_eq!(err.code(), "VALIDATION_ERROR", "{body}");
        assert!(
            err.violations()[0].path.starts_with("events.0."),
            "{body}: {:?}",
            err.violations()
        );
    }
    // Not UTF-8 is not JSON (RFC 8259 §8.1), for every target.
    let body = b"{\"events\": [{\"type\": \"\xff\xfe\"}]}";
    for code in codes(body) {
        assert_eq!(code.as_deref(), Some("INVALID_JSON"));
    }
    // Deeper than serde_json's 128 levels is still JSON.
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    for code in codes(deep.as_bytes()) {
        assert_ne!(code.as_deref(), Some("INVALID_JSON"));
    }
    // Still broken JSON: the same position-bearing reason as before.
    let err = from_json_slice::<Batch>(br#"{"events": [{"type": 1}"#).unwrap_err();
    assert_eq!(err.code(), "INVALID_JSON");
}
