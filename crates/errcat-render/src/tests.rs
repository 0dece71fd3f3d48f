//! Exact-output tests of the renderers.

use std::time::{Duration, UNIX_EPOCH};

use errcat_catalog::{Catalog, FieldViolation};

use crate::{Error, RenderOptions, Rendered, Renderer};

const CATALOG: &str = r#"
[api]
name = "Shop"
docs_url = "https://shop.example/errors"
domain = "shop.example"

[envelopes.flat]
body = '{"ok": false, "err": "$code", "n": "$numeric_code?", "rid": "$request_id?", "at": "$timestamp", "why": "$field_violations", "cost": "$$5", "ra": "$retry_after"}'
violation = '{"at": "$path", "msg": "$message", "r": "$reason?"}'

[[errors]]
code = "TEMPLATE_NOT_FOUND"
numeric_code = 4041
status = 404
title = "Template not found"
message = "Template {template_id} not found"
params = { template_id = "string" }
description = "d"
resolution = "r"
links = [{ title = "Templates", url = "https://shop.example/templates" }]
translations.de = { title = "Vorlage nicht gefunden", message = "Vorlage {template_id} nicht gefunden" }
"#;

fn renderer() -> Renderer {
    Renderer::new(Catalog::from_str(CATALOG, "errors.toml").unwrap())
}

fn opts() -> RenderOptions<'static> {
    RenderOptions {
        error_id: Some("E1"),
        request_id: Some("R1"),
        timestamp: Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
        ..RenderOptions::default()
    }
}

fn typical() -> Error {
    Error::new("TEMPLATE_NOT_FOUND")
        .with_param("template_id", "tpl_1")
        .with_violations([
            FieldViolation::new("events.0.type", "Invalid enum value"),
            FieldViolation {
                path: "email".into(),
                message: "must be an email".into(),
                reason: Some("format".into()),
            },
        ])
}

fn body(r: &Rendered) -> &str {
    std::str::from_utf8(&r.body).unwrap()
}

#[test]
fn problem_json() {
    let out = renderer().render(
        &typical(),
        &RenderOptions {
            instance: Some("/t/1"),
            ..opts()
        },
    );
    assert_eq!(out.status, 404);
    assert_eq!(&*out.content_type, "application/problem+json");
    assert_eq!(out.headers, Vec::<(String, String)>::new());
    assert_eq!(
        body(&out),
        r#"{"type":"https://shop.example/errors#TEMPLATE_NOT_FOUND","title":"Template not found","status":404,"detail":"Template tpl_1 not found","instance":"/t/1","code":"TEMPLATE_NOT_FOUND","numeric_code":4041,"category":"NOT_FOUND","error_id":"E1","request_id":"R1","errors":[{"path":"events.0.type","message":"Invalid enum value"},{"path":"email","message":"must be an email","reason":"format"}]}"#
    );
}

#[test]
fn google_aip_193() {
    let out = renderer().render(
        &typical(),
        &RenderOptions {
            envelope: Some("google"),
            ..opts()
        },
    );
    assert_eq!(&*out.content_type, "application/json");
    let expected = serde_json::json!({"error": {
        "code": 404,
        "message": "Template tpl_1 not found",
        "status": "NOT_FOUND",
        "details": [
            {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "TEMPLATE_NOT_FOUND", "domain": "shop.example",
             "metadata": {"template_id": "tpl_1", "category": "NOT_FOUND", "error_id": "E1", "numeric_code": "4041"}},
            {"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [
                {"field": "events.0.type", "description": "Invalid enum value"},
                {"field": "email", "description": "must be an email", "reason": "format"}]},
            {"@type": "type.googleapis.com/google.rpc.RequestInfo", "requestId": "R1", "servingData": "error_id=E1"},
            {"@type": "type.googleapis.com/google.rpc.Help", "links": [
                {"description": "TEMPLATE_NOT_FOUND reference", "url": "https://shop.example/errors#TEMPLATE_NOT_FOUND"},
                {"description": "Templates", "url": "https://shop.example/templates"}]},
            {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en", "message": "Template tpl_1 not found"}
        ]
    }});
    assert_eq!(body(&out), serde_json::to_string(&expected).unwrap());
}

#[test]
fn custom_template_with_optional_members() {
    let r = renderer();
    let out = r.render(
        &typical(),
        &RenderOptions {
            envelope: Some("flat"),
            ..opts()
        },
    );
    assert_eq!(
        body(&out),
        r#"{"ok":false,"err":"TEMPLATE_NOT_FOUND","n":4041,"rid":"R1","at":"2023-11-14T22:13:20.000Z","why":[{"at":"events.0.type","msg":"Invalid enum value"},{"at":"email","msg":"must be an email","r":"format"}],"cost":"$5","ra":null}"#
    );
    // Without a request id or numeric code the optional members disappear.
    let out = r.render(
        &Error::new("NOT_FOUND"),
        &RenderOptions {
            envelope: Some("flat"),
            request_id: None,
            ..opts()
        },
    );
    assert_eq!(
        body(&out),
        r#"{"ok":false,"err":"NOT_FOUND","at":"2023-11-14T22:13:20.000Z","why":[],"cost":"$5","ra":null}"#
    );
}

#[test]
fn locale_falls_back_by_language_then_default() {
    let r = renderer();
    let err = Error::new("TEMPLATE_NOT_FOUND").with_param("template_id", "x");
    for (locale, title, detail, lang) in [
        (
            Some("de-CH"),
            "Vorlage nicht gefunden",
            "Vorlage x nicht gefunden",
            Some("de"),
        ),
        (
            Some("de"),
            "Vorlage nicht gefunden",
            "Vorlage x nicht gefunden",
            Some("de"),
        ),
        (
            Some("fr"),
            "Template not found",
            "Template x not found",
            None,
        ),
        (None, "Template not found", "Template x not found", None),
    ] {
        let out = r.render(&err, &RenderOptions { locale, ..opts() });
        let v: serde_json::Value = serde_json::from_slice(&out.body).unwrap();
        assert_eq!(
            (v["title"].as_str(), v["detail"].as_str()),
            (Some(title), Some(detail)),
            "{locale:?}"
        );
        let content_language = out
            .headers
            .iter()
            .find(|(n, _)| n == "Content-Language")
            .map(|(_, v)| v.as_str());
        assert_eq!(content_language, lang);
    }
}

#[test]
fn headers_from_the_catalog() {
    let r = renderer();
    let out = r.render(
        &Error::new("RATE_LIMITED")
            .with_param("retry_after", 7)
            .with_retry_after(7),
        &opts(),
    );
    assert_eq!(
        (out.status, out.headers.clone()),
        (429, vec![("Retry-After".to_owned(), "7".to_owned())])
    );
    let out = r.render(
        &Error::new("METHOD_NOT_ALLOWED").with_param("allow", "GET, POST"),
        &opts(),
    );
    assert_eq!(
        out.headers,
        vec![("Allow".to_owned(), "GET, POST".to_owned())]
    );
    let out = r.render(&Error::new("EXPIRED_TOKEN"), &opts());
    assert_eq!(
        out.headers,
        vec![(
            "WWW-Authenticate".to_owned(),
            r#"Bearer error="invalid_token", error_description="expired""#.to_owned()
        )]
    );
    // A parameter cannot inject a header line.
    let out = r.render(
        &Error::new("METHOD_NOT_ALLOWED").with_param("allow", "GET\r\nSet-Cookie: x=1"),
        &opts(),
    );
    assert_eq!(
        out.headers,
        vec![("Allow".to_owned(), "GET  Set-Cookie: x=1".to_owned())]
    );
}

#[test]
fn retry_after_fills_the_message_when_no_parameter_is_given() {
    let out = renderer().render(&Error::new("RATE_LIMITED"), &opts());
    let v: serde_json::Value = serde_json::from_slice(&out.body).unwrap();
    assert_eq!(v["detail"], "Too many requests, retry after 60 seconds");
    assert_eq!(v["retry_after"], 60);
    assert_eq!(
        out.headers,
        vec![("Retry-After".to_owned(), "60".to_owned())]
    );
}

#[test]
fn unknown_codes_render_as_internal_error_without_leaking() {
    let err = Error::new("NO_SUCH_CODE")
        .with_param("sql", "SELECT * FROM users")
        .with_source(std::io::Error::other(
            "/srv/app/db.rs:12 connection refused",
        ));
    let out = renderer().render(&err, &opts());
    assert_eq!((out.status, &*out.code), (500, "INTERNAL_ERROR"));
    assert_eq!(
        body(&out),
        r#"{"type":"https://shop.example/errors#INTERNAL_ERROR","title":"Internal server error","status":500,"detail":"An unexpected error occurred","code":"INTERNAL_ERROR","category":"INTERNAL","error_id":"E1","request_id":"R1"}"#
    );
}

#[test]
fn hostile_parameter_values_are_escaped() {
    let nasty = "quote\" back\\slash \u{0} \u{1f} tab\t line\n emoji 😀 \u{2028}";
    let err = Error::new("TEMPLATE_NOT_FOUND").with_param("template_id", nasty);
    let expected = format!("Template {nasty} not found");
    let r = renderer();
    let problem = r.render(&err, &opts());
    let v: serde_json::Value = serde_json::from_slice(&problem.body).unwrap();
    assert_eq!(v["detail"].as_str(), Some(expected.as_str()));
    assert!(
        body(&problem).contains(r#"quote\" back\\slash \u0000 \u001f tab\t line\n emoji 😀"#),
        "{}",
        body(&problem)
    );
    let google = r.render(
        &err,
        &RenderOptions {
            envelope: Some("google"),
            ..opts()
        },
    );
    let v: serde_json::Value = serde_json::from_slice(&google.body).unwrap();
    assert_eq!(v["error"]["message"].as_str(), Some(expected.as_str()));
    assert_eq!(
        v["error"]["details"][0]["metadata"]["template_id"].as_str(),
        Some(nasty)
    );
}

#[test]
fn error_ids_are_generated_in_the_catalog_scheme() {
    let out = renderer().render(&Error::new("NOT_FOUND"), &RenderOptions::default());
    assert_eq!(
        out.error_id.len(),
        36,
        "uuidv7 by default: {}",
        out.error_id
    );
    let v: serde_json::Value = serde_json::from_slice(&out.body).unwrap();
    assert_eq!(v["error_id"].as_str(), Some(out.error_id.as_str()));
}

mod props {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Every rendered body is valid JSON whose values round-trip.
        #[test]
        fn bodies_are_json_and_values_round_trip(
            id in any::<String>(),
            path in any::<String>(),
            msg in any::<String>(),
            rid in any::<String>(),
            envelope in prop::sample::select(vec!["problem", "google", "flat"]),
        ) {
            let err = Error::new("TEMPLATE_NOT_FOUND").with_param("template_id", id.clone()).with_violation(path.clone(), msg.clone());
            let out = renderer().render(&err, &RenderOptions { envelope: Some(envelope), request_id: Some(&rid), ..opts() });
            let v: serde_json::Value = serde_json::from_slice(&out.body).expect("valid JSON");
            let detail = format!("Template {id} not found");
            match envelope {
                "problem" => {
                    prop_assert_eq!(v["detail"].as_str(), Some(detail.as_str()));
                    prop_assert_eq!(v["request_id"].as_str(), Some(rid.as_str()));
                    prop_assert_eq!(v["errors"][0]["path"].as_str(), Some(path.as_str()));
                    prop_assert_eq!(v["errors"][0]["message"].as_str(), Some(msg.as_str()));
                }
                "google" => {
                    prop_assert_eq!(v["error"]["message"].as_str(), Some(detail.as_str()));
                    prop_assert_eq!(v["error"]["details"][0]["metadata"]["template_id"].as_str(), Some(id.as_str()));
                    prop_assert_eq!(v["error"]["details"][1]["fieldViolations"][0]["field"].as_str(), Some(path.as_str()));
                }
                _ => {
                    prop_assert_eq!(v["rid"].as_str(), Some(rid.as_str()));
                    prop_assert_eq!(v["why"][0]["at"].as_str(), Some(path.as_str()));
                    prop_assert_eq!(v["why"][0]["msg"].as_str(), Some(msg.as_str()));
                }
            }
        }
    }
}

#[test]
fn the_message_as_text_is_what_the_body_says() {
    let catalog = Catalog::from_str(
        "[api]\nname = \"t\"\n\n[[errors]]\ncode = \"SLOW\"\nstatus = 429\nmessage = \"Wait {retry_after} s for \\\"{what}\\\"\"\nparams = { what = \"string\", retry_after = \"integer\" }\nretry_after = 30\n",
        "t.toml",
    )
    .map_err(|r| r.to_string())
    .unwrap();
    let r = Renderer::new(catalog);
    let e = Error::new("SLOW").with_param("what", "a<b>");
    assert_eq!(r.message(&e), "Wait 30 s for \"a<b>\"");
    let body = String::from_utf8(r.render(&e, &RenderOptions::default()).body).unwrap();
    assert!(body.contains(r#"Wait 30 s for \"a<b>\""#), "{body}");
    // An unknown code is sent as the internal error, with its message.
    let internal = r.message(&r.standard("internal"));
    assert_eq!(
        r.message(&Error::new("NOPE").with_param("what", "x")),
        internal
    );
    // A missing parameter stays a placeholder, as in the body.
    assert_eq!(
        r.message(&Error::new("SLOW").with_retry_after(5)),
        "Wait 5 s for \"{what}\""
    );
}
