//! Text with values, URLs and violation maps: whatever a parameter, a
//! request id or a violation holds (quotes, backslashes, control
//! characters, emoji, `/ # ? %`), the body is valid JSON, says exactly what
//! was given, keeps URLs well formed, and reads back to the same values.

use errcat_catalog::Catalog;
use errcat_catalog::template::value::percent_decode;
use errcat_client::Parser;
use errcat_render::{Error, FieldViolation, RenderOptions, Renderer};
use proptest::prelude::*;

const CATALOG: &str = r#"
[api]
name = "Templates"
envelope = "t"

[envelopes.t]
body = '''
{"code": "$code",
 "text": "[x] ${params.v} :: ${message}",
 "url": "https://docs.test/e/${code|kebab}/${params.v}?id=${request_id}",
 "errors": {"$each": "violations", "key": "$path", "group": true, "do": "$message"},
 "causes": {"$each": "violations", "do": "${path}: ${message}"}}
'''

[[errors]]
code = "BAD_THING"
status = 400
message = "Bad {v}"
params = { v = "string" }
"#;

/// Text with the characters that break naive templating.
fn nasty() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            4 => any::<char>().prop_map(String::from),
            1 => Just("\"".to_owned()),
            1 => Just("\\".to_owned()),
            1 => Just("\u{0}\u{1f}\n\t".to_owned()),
            1 => Just("🦀".to_owned()),
            1 => Just("/#?%&=".to_owned()),
            1 => Just("${code}".to_owned()),
            1 => Just(": ".to_owned()),
        ],
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

fn path() -> impl Strategy<Value = String> {
    "[a-z]{1,4}(\\.[a-z0-9]{1,4}){0,2}"
}

/// Violations grouped by path in first-appearance order, as a keyed
/// `$each` with `group` lists them.
fn grouped(vs: &[FieldViolation]) -> Vec<FieldViolation> {
    let mut out: Vec<FieldViolation> = Vec::new();
    let mut order: Vec<&str> = Vec::new();
    for v in vs {
        if !order.contains(&v.path.as_str()) {
            order.push(&v.path);
        }
    }
    for p in order {
        out.extend(vs.iter().filter(|v| v.path == p).cloned());
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn values_in_text_and_urls_round_trip(
        v in nasty(),
        rid in nasty(),
        violations in proptest::collection::vec((path(), nasty()), 0..6),
    ) {
        let catalog = Catalog::from_str(CATALOG, "errors.toml").unwrap();
        let renderer = Renderer::new(catalog.clone());
        let violations: Vec<FieldViolation> = violations
            .into_iter()
            .map(|(p, m)| FieldViolation::new(p, m))
            .collect();
        let err = Error::new("BAD_THING")
            .with_param("v", v.clone())
            .with_violations(violations.clone());
        let out = renderer.render(&err, &RenderOptions { request_id: Some(&rid), ..Default::default() });
        let body: serde_json::Value = serde_json::from_slice(&out.body)
            .map_err(|e| TestCaseError::fail(format!("invalid JSON: {e}: {}", String::from_utf8_lossy(&out.body))))?;

        // The text says exactly what was given.
        let text = format!("[x] {v} :: Bad {v}");
        prop_assert_eq!(body["text"].as_str(), Some(text.as_str()));

        // Values cannot change the URL's structure, and decode back.
        let url = body["url"].as_str().unwrap();
        let rest = url.strip_prefix("https://docs.test/e/bad-thing/").unwrap();
        let (seg, query) = rest.split_once("?id=").unwrap();
        prop_assert!(
            (seg.to_owned() + query).bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)),
            "{}", url
        );
        prop_assert_eq!(percent_decode(seg), Some(v.clone()));
        prop_assert_eq!(percent_decode(query), Some(rid.clone()));

        // One key per field, messages in order.
        let map = body["errors"].as_object().unwrap();
        let mut paths: Vec<&str> = violations.iter().map(|v| v.path.as_str()).collect();
        paths.dedup();
        let mut unique = paths.clone();
        unique.sort_unstable();
        unique.dedup();
        prop_assert_eq!(map.len(), unique.len());

        // The client reads it all back.
        let e = Parser::new(&catalog).parse_body(out.status, &out.body);
        prop_assert_eq!(e.code.as_deref(), Some("BAD_THING"));
        prop_assert_eq!(e.request_id.as_deref(), Some(rid.as_str()));
        prop_assert_eq!(e.violations, grouped(&violations));
    }
}
