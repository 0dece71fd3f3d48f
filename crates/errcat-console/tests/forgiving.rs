//! The console reads input the way support pastes and types it, and groups
//! alike errors.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use errcat_catalog::Catalog;
use errcat_console::Console;
use errcat_store::{ErrorRecord, Store};
use tower::ServiceExt as _;

const ID: &str = "0190b6c2-7c1e-7d2a-9f3b-2f6e4c1a9b10";
const REQ: &str = "5f0c6a8e-1d2b-4c3a-8e9f-0a1b2c3d4e5f";

async fn app() -> Router {
    let store = Store::connect("sqlite::memory:").await.unwrap();
    let mut records = Vec::new();
    let mut r = ErrorRecord::new(ID, REQ, "invalid_json", 400);
    r.category = "VALIDATION".into();
    r.tenant = Some("ACME".into());
    r.route = Some("/api/integrations/{provider}/sync".into());
    r.path = "/api/integrations/shopify/sync".into();
    r.message = Some("Body is not JSON".into());
    r.timestamp_ms -= 5 * 60_000;
    records.push(r);
    for i in 0..100 {
        let mut r = ErrorRecord::new(
            format!("tok-{i:03}"),
            format!("treq-{i}"),
            "MISSING_TOKEN",
            401,
        );
        r.category = "AUTH".into();
        r.route = Some("/api/templates".into());
        r.path = "/api/templates".into();
        r.message = Some("No token".into());
        r.timestamp_ms -= i * 1000;
        records.push(r);
    }
    store.insert_batch(&records).await.unwrap();
    let catalog = Catalog::from_str(
        "[api]\nname = \"T\"\n\n[[errors]]\ncode = \"invalid_json\"\nstatus = 400\nmessage = \"m\"\n\n\
         [[errors]]\ncode = \"MISSING_TOKEN\"\nstatus = 401\nmessage = \"No token\"\n",
        "t.toml",
    )
    .map_err(|r| r.to_string())
    .unwrap();
    Console::new(store, Arc::new(catalog)).router()
}

async fn get(app: &Router, uri: &str) -> (StatusCode, String) {
    let res = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

fn q(s: &str) -> String {
    errcat_console::percent_encode(s)
}

#[tokio::test]
async fn ids_are_found_however_they_are_pasted() {
    let app = app().await;
    for pasted in [
        format!("\"{ID}\""),
        format!("  {ID}  "),
        format!("\"error_id\": \"{ID}\","),
        ID.to_uppercase(),
        ID.replace('-', ""),
    ] {
        let (status, body) = get(&app, &format!("/console/lookup?id={}", q(&pasted))).await;
        assert_eq!(status, StatusCode::OK, "{pasted}: {body}");
        assert!(body.contains("What the client received"), "{pasted}");
        assert!(body.contains("invalid_json"), "{pasted}");
    }
    for pasted in [
        format!("x-request-id: {REQ}"),
        format!("X-Request-Id: {}", REQ.to_uppercase()),
    ] {
        let (status, body) = get(&app, &format!("/console/lookup?id={}", q(&pasted))).await;
        assert_eq!(status, StatusCode::OK, "{pasted}: {body}");
        assert!(
            body.contains("1 error recorded for this request"),
            "{pasted}: {body}"
        );
    }
    let (status, body) = get(&app, "/console/lookup?id=nothing-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("Looked for:"), "{body}");
}

#[tokio::test]
async fn filters_are_forgiving() {
    let app = app().await;
    for filter in [
        "code=INVALID_JSON",
        "code=invalid_json",
        "tenant=acme",
        "route=/api/integrations/shopify/sync",
        "route=/api/integrations/{provider}/sync",
        "status=4xx&code=invalid_json",
        "status=400-404&code=Invalid_Json",
        "since=30m&code=invalid_json",
        "since=2h&until=1m&code=invalid_json",
        "since=7d&code=invalid_json",
        "since=2020-01-01T00:00:00Z&code=invalid_json",
    ] {
        let (status, body) = get(&app, &format!("/console/recent?view=list&{filter}")).await;
        assert_eq!(status, StatusCode::OK, "{filter}: {body}");
        assert!(body.contains(ID), "{filter} finds nothing: {body}");
        assert!(!body.contains("tok-000"), "{filter} finds too much");
    }
}

#[tokio::test]
async fn a_bad_filter_reshows_the_form_with_the_reason() {
    let app = app().await;
    for (filter, reason) in [
        ("status=4x", "is not a status, a class or a range"),
        ("since=yesterday", "is not a time"),
        (
            "since=1h&until=2h",
            "<code>until</code> is not after <code>since</code>",
        ),
    ] {
        let (status, body) =
            get(&app, &format!("/console/recent?code=invalid_json&{filter}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{filter}");
        assert!(
            body.contains("<form class=\"filters\""),
            "{filter}: no form"
        );
        assert!(body.contains("role=\"alert\""), "{filter}: {body}");
        assert!(
            body.contains(&reason.replace('`', "&#x60;")) || body.contains(reason),
            "{filter}: {body}"
        );
        assert!(
            body.contains("value=\"invalid_json\""),
            "{filter}: the typed values stay"
        );
        assert!(body.contains("aria-invalid=\"true\""), "{filter}");
    }
}

#[tokio::test]
async fn alike_errors_are_one_group() {
    let app = app().await;
    let (status, body) = get(&app, "/console/recent").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.contains("101 errors in 2 groups in the last 24 hours"),
        "{body}"
    );
    let row = body
        .split("<tr>")
        .find(|r| r.contains("MISSING_TOKEN</a>"))
        .expect("a MISSING_TOKEN group");
    assert!(row.contains("<td class=\"num\">100</td>"), "{row}");
    assert!(row.contains("all 100 →"), "{row}");
    assert!(row.contains("<svg class=\"spark\""), "{row}");
    assert_eq!(body.matches("MISSING_TOKEN</a>").count(), 1, "{body}");
    // The group opens its occurrences.
    let (status, body) = get(
        &app,
        "/console/recent?view=list&code=MISSING_TOKEN&route=%2Fapi%2Ftemplates&message=No%20token",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("50 errors on this page"), "{body}");
}

/// An error id the log did not keep in an error storm: the lookup says so,
/// with how many like it that minute were counted but not recorded.
#[tokio::test]
async fn an_id_sampled_out_in_a_storm_is_explained() {
    let store = Store::connect("sqlite::memory:").await.unwrap();
    let log = errcat_store::ErrorLog::spawn(
        store.clone(),
        errcat_store::WriterConfig {
            storm: errcat_store::Storm {
                busy_budget: 0.0,
                keep_first: 2,
                ..errcat_store::Storm::default()
            },
            ..errcat_store::WriterConfig::default()
        },
    );
    let ms = errcat_store::unix_ms(std::time::SystemTime::now());
    let mut sampled = Vec::new();
    for i in 0..40u32 {
        // A UUIDv7 of this minute.
        let id = format!("{ms:012x}7{i:03x}8{i:015x}");
        let mut r = ErrorRecord::new(&id, format!("sreq-{i}"), "NOT_FOUND", 404);
        r.timestamp_ms = ms;
        r.route = Some("/a/{id}".into());
        if log.record(r) == errcat_store::Recorded::SampledOut {
            sampled.push(id);
        }
    }
    log.shutdown().await;
    assert_eq!(sampled.len(), 38);
    let catalog = Catalog::from_str("[api]\nname = \"T\"\n", "t.toml")
        .map_err(|r| r.to_string())
        .unwrap();
    let app = Console::new(store, Arc::new(catalog)).router();
    let id = &sampled[10];
    for pasted in [id.clone(), format!("\"error_id\": \"{id}\"")] {
        let (status, page) = get(&app, &format!("/console/lookup?id={}", q(&pasted))).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{pasted}");
        assert!(
            page.contains("Not kept: the log sampled errors in an error storm at "),
            "{page}"
        );
        assert!(
            page.contains("38 of 40 NOT_FOUND (404) on /a/{id} that minute were not recorded"),
            "{page}"
        );
    }
    // An id of no minute the log sampled is plainly not found.
    let (status, page) = get(&app, "/console/lookup?id=nothing-like-it").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!page.contains("Not kept"), "{page}");
}

/// A window holding more errors than a grouping reads: the page says which
/// errors its groups count, and the alert in it is not lost.
#[tokio::test]
async fn a_grouping_cut_short_says_from_when_it_counts() {
    let store = Store::connect("sqlite::memory:").await.unwrap();
    let now = errcat_store::unix_ms(std::time::SystemTime::now());
    let n = errcat_store::GROUP_SCAN + 20;
    let records: Vec<ErrorRecord> = (0..n)
        .map(|i| {
            let mut r = ErrorRecord::new(
                format!("many-{i:06}"),
                format!("mreq-{i}"),
                "NOT_FOUND",
                404,
            );
            // One every 5 s, the newest a minute ago.
            r.timestamp_ms = now - 60_000 - 5_000 * i;
            r.route = Some(format!("/a{}/{{id}}", i % 150));
            r
        })
        .collect();
    for chunk in records.chunks(5_000) {
        store.insert_batch(chunk).await.unwrap();
    }
    let catalog = Catalog::from_str("[api]\nname = \"T\"\n", "t.toml")
        .map_err(|r| r.to_string())
        .unwrap();
    let app = Console::new(store, Arc::new(catalog)).router();
    let (status, body) = get(&app, "/console/recent?since=7d").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.contains(
            "10,000 errors in 150 groups, most recently seen first. The 100 seen last are shown.</p>"
        ),
        "{body}"
    );
    // The oldest one read is error GROUP_SCAN - 1, 13.9 hours ago.
    assert!(body.contains("Grouped from the errors since "), "{body}");
    assert!(
        body.contains(" (13 h ago) only: the window holds more than a grouping reads."),
        "{body}"
    );
    // A window holding fewer says nothing of the kind.
    let (status, body) = get(&app, "/console/recent?since=1h").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(!body.contains("Grouped from the errors since"), "{body}");
}
