//! Support's view of real failures of the demo, in headless Chromium.

use super::*;

/// The error id in a problem+json body.
fn error_id(body: &str) -> String {
    json(body)["error_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no error_id: {body}"))
        .to_owned()
}

/// Support's view of real failures, in headless Chromium through
/// tests/browser/support.mjs: a panic, a validation error, malformed JSON
/// and a rate-limit error looked up, ids pasted loosely, 100 identical
/// errors in one group, a 390 px phone and dark mode. The per-key limit is
/// lowered so that a short burst on loopback meets it.
#[test]
fn demo_console_shows_support_what_happened_in_chromium() {
    let Some(chromium) = common::browser::tools("the demo support browser test") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // Its log of 100 and more error responses is not the test's output.
    let demo = launch(
        &dir.path().join("demo.db"),
        &["--per-ip-per-minute", "1000", "--per-key-per-minute", "3"],
        &[],
        Stdio::null(),
    );
    let addr = demo.addr.clone();

    let (status, _, body) = get(&addr, "/api/debug/panic", &[]);
    assert_eq!(status, 500, "{body}");
    let panic = error_id(&body);
    let (status, head, body) = post_json(
        &addr,
        "/api/events",
        &[("X-API-Key", errcat_demo::DEMO_API_KEY)],
        r#"{"events": [{"type": "teleport", "user_id": "u1", "timestamp": 1}]}"#,
    );
    assert_eq!(status, 400, "{body}");
    let validation = error_id(&body);
    let validation_request = header(&head, "x-request-id").unwrap().to_owned();
    let (status, _, body) = post_json(
        &addr,
        "/api/auth/login",
        &[],
        r#"{"email": "bob@acme.test", "password": "#,
    );
    assert_eq!(status, 400, "{body}");
    let invalid_json = error_id(&body);
    // A bounded burst with one key: the fourth request within the minute
    // is over the lowered per-key limit.
    let mut rate_limited = None;
    for _ in 0..10 {
        let (status, head, body) =
            post_json(&addr, "/api/events", &[("X-API-Key", "ek_burst_key")], "{}");
        if status == 429 {
            assert!(header(&head, "retry-after").is_some(), "{head}");
            rate_limited = Some(error_id(&body));
            break;
        }
        assert_eq!(status, 401, "{body}");
    }
    let rate_limited = rate_limited.expect("no 429 within 10 requests over a limit of 3");
    // 100 identical failures: no token.
    const REPEATED: usize = 100;
    for _ in 0..REPEATED {
        let (status, _, body) = get(&addr, "/api/me", &[]);
        assert_eq!(
            (status, json(&body)["code"].as_str()),
            (401, Some("MISSING_TOKEN"))
        );
    }
    eventually("all errors are in the log", || {
        let (_, _, page) = get(&addr, "/console/recent?code=MISSING_TOKEN", &[]);
        page.contains(&format!("<td class=\"num\">{REPEATED}</td>"))
            && [&panic, &validation, &invalid_json, &rate_limited]
                .iter()
                .all(|id| get(&addr, &format!("/console/lookup?id={id}"), &[]).0 == 200)
    });

    let shots = root().join("target/demo-console-shots");
    let _ = std::fs::remove_dir_all(&shots);
    let ids = serde_json::json!({
        "panic": panic,
        "validation": validation,
        "validation_request": validation_request,
        "invalid_json": invalid_json,
        "rate_limited": rate_limited,
        "repeated": {"code": "MISSING_TOKEN", "route": "/api/me", "count": REPEATED},
    });
    let base = format!("http://{addr}");
    let ids = ids.to_string();
    common::browser::run(
        "support.mjs",
        &chromium,
        &[base.as_ref(), shots.as_os_str(), ids.as_ref()],
        &shots,
        &[
            "lookup-panic.png",
            "lookup-validation.png",
            "lookup-rate-limited.png",
            "recent-grouped.png",
            "phone-lookup-validation.png",
            "dark-lookup-validation.png",
        ],
    );
}
