use serde_json::json;

use super::*;

fn problems(v: serde_json::Value, scope: Scope) -> Vec<String> {
    build(&v, scope)
        .1
        .into_iter()
        .map(|p| {
            format!(
                "{}{}: {}",
                if p.warning { "warning " } else { "" },
                p.code,
                p.message
            )
        })
        .collect()
}

#[test]
fn the_name_lists_and_the_parser_agree() {
    for name in BODY_VARS {
        assert!(Var::parse(name, false).is_some(), "{name}");
        assert_eq!(Var::parse(name, false).unwrap().name(), *name);
    }
    for name in VIOLATION_VARS {
        assert!(Var::parse(name, true).is_some(), "{name}");
    }
    assert_eq!(Var::parse("nope", false), None);
    assert_eq!(Var::parse("reason", false), None);
    assert_eq!(Var::parse("params.", false), None);
    assert_eq!(
        Var::parse("request_header.Client-Request-Id", false),
        Some(Var::RequestHeader("client-request-id".into()))
    );
}

#[test]
fn the_first_language_compiles_as_before() {
    let (t, p) = build(
        &json!({"ok": false, "err": "$code", "n": "$numeric_code?", "cost": "$$5", "text": "Error: $message"}),
        Scope::Body,
    );
    assert!(p.is_empty(), "{p:?}");
    let Tpl::Object(members) = &t else {
        panic!("{t:?}")
    };
    assert_eq!(members[0], ("ok".into(), Tpl::Lit(json!(false))));
    assert_eq!(
        members[1].1,
        Tpl::Value {
            expr: Expr::var(Var::Code),
            optional: false
        }
    );
    assert!(matches!(&members[2].1, Tpl::Value { optional: true, .. }));
    assert_eq!(members[3].1, Tpl::Lit(json!("$5")));
    assert_eq!(members[4].1, Tpl::Lit(json!("Error: $message")));
    assert!(t.is_simple());
}

#[test]
fn new_constructs_compile() {
    let v = json!({
        "type": "https://docs.example.com/errors/${code|kebab}",
        "status": "${status}",
        "errors": {"$each": "violations", "key": "$path", "group": true, "do": "$message", "else": "[API] ${message}"},
        "source": {"$if": "violations", "then": {"pointer": "${code}"}},
        "items": {"$each": "violations", "once_if_empty": true, "do": {"code": "$reason ?? code", "at": "$path|segments:body"}},
        "$$each": 1
    });
    let (t, p) = build(&v, Scope::Body);
    assert!(p.is_empty(), "{p:?}");
    let Tpl::Object(m) = &t else { panic!() };
    let Tpl::Text(url) = &m[0].1 else { panic!() };
    assert!(url.url);
    let Tpl::Text(status) = &m[1].1 else { panic!() };
    assert!(!status.url);
    assert!(matches!(&m[2].1, Tpl::Each(e) if e.group && e.key.is_some() && e.otherwise.is_some()));
    assert!(matches!(&m[3].1, Tpl::If(_)));
    assert!(matches!(&m[4].1, Tpl::Each(e) if e.once_if_empty));
    assert_eq!(m[5].0, "$each");
    assert!(!t.is_simple());
}

#[test]
fn mistakes_are_named() {
    let cases: Vec<(serde_json::Value, &str)> = vec![
        (
            json!({"a": "[x] ${mesage}"}),
            "unknown-variable: unknown template variable `$mesage`",
        ),
        (
            json!({"a": "x ${code"}),
            "invalid-template: `${` without its closing `}`",
        ),
        (
            json!({"a": "see ${details}"}),
            "invalid-template: `${details}` is an object or a list: it cannot be part of a string",
        ),
        (
            json!({"a": {"$each": "violations", "key": "$status", "group": true, "do": "$message"}}),
            "invalid-template: `$status` is not text: a key, a header or a URL must be a string",
        ),
        (
            json!({"a": {"$each": "params", "do": 1}}),
            "invalid-template: `$each` goes over `violations`, not \"params\"",
        ),
        (
            json!({"a": {"$each": "violations"}}),
            "invalid-template: `$each` needs `do`: the template of one item",
        ),
        (
            json!({"a": {"$if": "violations", "then": 1, "when": 2}}),
            "invalid-template: unknown key `when` in `$if`",
        ),
        (
            json!({"$schema": 1}),
            "invalid-template: unknown template operator `$schema`",
        ),
        (
            json!({"a": "$path"}),
            "unknown-variable: unknown template variable `$path`",
        ),
        (
            json!({"a": "$code|unix"}),
            "invalid-template: `$code` is not a time: a time filter applies to `$timestamp`",
        ),
        (
            json!({"a": "${path|segments}"}),
            "unknown-variable: unknown template variable `$path`",
        ),
        (
            json!({"a": "${code}${message}"}),
            "warning ambiguous-template: `${code}` and `${message}` touch: a client reading the text back cannot tell where one ends",
        ),
        (
            json!({"a": {"$each": "violations", "key": "$path", "do": "$message"}}),
            "warning ambiguous-template: a keyed `$each` without `group` keeps only the first violation of each field",
        ),
    ];
    for (v, want) in cases {
        let got = problems(v.clone(), Scope::Body);
        assert_eq!(got.first().map(String::as_str), Some(want), "{v}: {got:?}");
    }
    let got = problems(json!({"a": "${path|segments}"}), Scope::Violation);
    assert_eq!(
        got,
        ["invalid-template: `${path|segments}` makes an array: it cannot be part of a string"]
    );
}

#[test]
fn text_templates_render_with_url_encoding() {
    let (t, p) = build_text(
        "https://x.test/e/${code|kebab}?q=${params.q}&r=${params.q|raw}",
        Scope::Body,
    );
    assert!(p.is_empty(), "{p:?}");
    let got = t.render_text(&mut |v| match v {
        Var::Code => Some("CARD_DECLINED".into()),
        Var::Param(_) => Some("a b&c".into()),
        _ => None,
    });
    assert_eq!(
        got.as_deref(),
        Some("https://x.test/e/card-declined?q=a%20b%26c&r=a b&c")
    );
}
