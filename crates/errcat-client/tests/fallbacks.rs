//! Bodies errcat did not render: RFC 9457 from other servers, Google APIs,
//! OAuth-style JSON, proxies' HTML and text.

use std::time::Duration;

use errcat_client::{Format, Parser};
use http::HeaderMap;

#[test]
fn rfc_9457_examples() {
    // RFC 9457, section 3.
    let body = br#"{
     "type": "https://example.com/probs/out-of-credit",
     "title": "You do not have enough credit.",
     "detail": "Your current balance is 30, but that costs 50.",
     "instance": "/account/12345/msgs/abc",
     "balance": 30,
     "accounts": ["/account/12345", "/account/67890"]
    }"#;
    let e = Parser::generic().parse(403, &HeaderMap::new(), body);
    assert_eq!(e.format, Format::Problem);
    assert_eq!(e.title.as_deref(), Some("You do not have enough credit."));
    assert_eq!(
        e.message.as_deref(),
        Some("Your current balance is 30, but that costs 50.")
    );
    assert_eq!(e.code, None);

    // Section 3 again: validation errors as an extension member.
    let body = br##"{
     "type": "https://example.net/validation-error",
     "title": "Your request is not valid.",
     "errors": [
       {"detail": "must be a positive integer", "pointer": "#/age"},
       {"path": "profile.color", "message": "must be 'green', 'red' or 'blue'"}
     ]
    }"##;
    let e = Parser::generic().parse(422, &HeaderMap::new(), body);
    assert_eq!(e.format, Format::Problem);
    assert_eq!(e.violations.len(), 1, "{:?}", e.violations);
    assert_eq!(e.violations[0].path, "profile.color");
}

#[test]
fn google_api_errors() {
    let body = br#"{
      "error": {
        "code": 429,
        "message": "Quota exceeded for quota metric 'Queries'.",
        "status": "RESOURCE_EXHAUSTED",
        "details": [
          {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "RATE_LIMIT_EXCEEDED",
           "domain": "googleapis.com", "metadata": {"service": "translate.googleapis.com"}},
          {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1.5s"},
          {"@type": "type.googleapis.com/google.rpc.BadRequest",
           "fieldViolations": [{"field": "q", "description": "too long"}]}
        ]
      }
    }"#;
    let e = Parser::generic().parse(429, &HeaderMap::new(), body);
    assert_eq!(e.format, Format::Google);
    assert_eq!(e.code.as_deref(), Some("RATE_LIMIT_EXCEEDED"));
    assert_eq!(e.retry_after, Some(Duration::from_millis(1500)));
    assert_eq!(e.violations[0].path, "q");
    assert_eq!(e.violations[0].message, "too long");
}

#[test]
fn other_json_shapes() {
    let p = Parser::generic();
    let e = p.parse(
        400,
        &HeaderMap::new(),
        br#"{"error_code":"bad_thing","message":"Bad thing","request_id":"r-9"}"#,
    );
    assert_eq!(e.format, Format::Json);
    assert_eq!(e.code.as_deref(), Some("bad_thing"));
    assert_eq!(e.message.as_deref(), Some("Bad thing"));
    assert_eq!(e.request_id.as_deref(), Some("r-9"));

    let e = p.parse(
        400,
        &HeaderMap::new(),
        br#"{"error":"invalid_grant","error_description":"Token expired"}"#,
    );
    assert_eq!(e.message.as_deref(), Some("Token expired"));

    let e = p.parse(
        404,
        &HeaderMap::new(),
        br#"{"error":{"code":"NOPE","message":"No."}}"#,
    );
    assert_eq!(
        (e.code.as_deref(), e.message.as_deref()),
        (Some("NOPE"), Some("No."))
    );
}

#[test]
fn proxies_html_and_text() {
    let p = Parser::generic();
    let mut headers = HeaderMap::new();
    headers.insert(
        "retry-after",
        "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
    );
    let e = p.parse(
        502,
        &headers,
        b"<html><head><title>502 Bad Gateway</title></head></html>",
    );
    assert_eq!(e.format, Format::Text);
    assert!(e.message.unwrap().contains("502 Bad Gateway"));
    // A date in the past: retry now.
    assert_eq!(e.retry_after, Some(Duration::ZERO));
    assert_eq!(p.parse(503, &HeaderMap::new(), b"").format, Format::Empty);
}
