//! `ValidJson` and garde reports over a real TCP listener.

#![cfg(feature = "garde")]

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;

use axum::Router;
use axum::routing::post;
use common::{post_json, send, serve};
use errcat_axum::ErrcatLayer;
use errcat_axum::validation::{ValidJson, dotted, from_report};
use garde::Validate;
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize, Validate)]
struct Order {
    #[garde(length(min = 1, max = 20))]
    name: String,
    #[garde(dive)]
    customer: Customer,
    #[garde(length(min = 1, max = 3), dive)]
    items: Vec<Item>,
    #[garde(dive)]
    labels: BTreeMap<String, Label>,
    #[garde(dive)]
    gift: Option<Gift>,
}

#[derive(Deserialize, Validate)]
struct Customer {
    #[garde(ascii, length(min = 2))]
    handle: String,
    #[garde(range(min = 18))]
    age: u8,
}

#[derive(Deserialize, Validate)]
struct Item {
    // Named like the JSON field: garde uses the Rust name (see the module docs).
    #[garde(length(min = 1))]
    r#type: String,
    #[garde(range(min = 1, max = 100))]
    qty: u32,
    #[garde(inner(length(min = 1)))]
    tags: Vec<String>,
}

#[derive(Deserialize, Validate)]
struct Label {
    #[garde(length(max = 8))]
    value: String,
}

#[derive(Deserialize, Validate)]
struct Gift {
    #[garde(length(max = 10))]
    message: String,
}

async fn app() -> SocketAddr {
    let app = Router::new()
        .route(
            "/orders",
            post(|ValidJson(o): ValidJson<Order>| async move {
                format!("{} x{}", o.name, o.items.len())
            }),
        )
        .layer(ErrcatLayer::new(common::renderer()));
    serve(app).await
}

fn valid() -> serde_json::Value {
    json!({
        "name": "order-1",
        "customer": {"handle": "ada", "age": 36},
        "items": [
            {"type": "book", "qty": 2, "tags": ["paper"]},
            {"type": "pen", "qty": 1, "tags": []}
        ],
        "labels": {"env": {"value": "prod"}},
        "gift": null
    })
}

#[tokio::test]
async fn a_valid_body_reaches_the_handler() {
    let addr = app().await;
    let r = post_json(addr, "/orders", valid().to_string().as_bytes()).await;
    assert_eq!((r.status, r.text().as_str()), (200, "order-1 x2"));
}

#[tokio::test]
async fn every_problem_is_a_field_violation_dotted_from_the_root() {
    let addr = app().await;
    let body = json!({
        "name": "",
        // "é" is not ASCII, but two bytes: long enough.
        "customer": {"handle": "\u{e9}", "age": 12},
        "items": [
            {"type": "book", "qty": 2, "tags": ["ok"]},
            {"type": "", "qty": 500, "tags": ["fine", ""]}
        ],
        "labels": {"env": {"value": "production"}, "team": {"value": "core"}},
        "gift": {"message": "happy birthday to you"}
    });
    let r = post_json(addr, "/orders", body.to_string().as_bytes()).await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let v = r.json();
    assert_eq!(v["code"], "VALIDATION_ERROR");
    assert_eq!(
        v["errors"],
        // garde's order (its derive visits the fields in an order of its own).
        json!([
            {"path": "customer.age", "message": "lower than 18", "reason": "invalid_value"},
            {"path": "customer.handle", "message": "not ascii", "reason": "invalid_value"},
            {"path": "gift.message", "message": "length is greater than 10", "reason": "invalid_value"},
            {"path": "items.1.qty", "message": "greater than 100", "reason": "invalid_value"},
            {"path": "items.1.type", "message": "length is lower than 1", "reason": "invalid_value"},
            {"path": "items.1.tags.1", "message": "length is lower than 1", "reason": "invalid_value"},
            {"path": "labels.env.value", "message": "length is greater than 8", "reason": "invalid_value"},
            {"path": "name", "message": "length is lower than 1", "reason": "invalid_value"},
        ]),
        "{v:#}"
    );
}

#[tokio::test]
async fn list_length_is_reported_on_the_list() {
    let addr = app().await;
    let mut body = valid();
    body["items"] = json!([]);
    let r = post_json(addr, "/orders", body.to_string().as_bytes()).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["errors"],
        json!([{"path": "items", "message": "length is lower than 1", "reason": "invalid_value"}])
    );
}

#[tokio::test]
async fn reading_the_body_is_the_json_extractors_job() {
    let addr = app().await;
    // Syntax.
    let r = post_json(addr, "/orders", b"{\"name\": ").await;
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (400, Some("INVALID_JSON"))
    );
    // Shape: serde's error, with the JSON name of the field.
    let mut body = valid();
    body["items"][1]["qty"] = json!("two");
    let r = post_json(addr, "/orders", body.to_string().as_bytes()).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["errors"][0]["path"], "items.1.qty");
    assert_eq!(r.json()["errors"][0]["reason"], "invalid_type");
    // A missing field is not garde's to report.
    let mut body = valid();
    body["customer"].as_object_mut().unwrap().remove("age");
    let r = post_json(addr, "/orders", body.to_string().as_bytes()).await;
    assert_eq!(r.json()["errors"][0]["path"], "customer.age");
    assert_eq!(r.json()["errors"][0]["reason"], "missing_field");
    // Media type.
    let r = send(addr, "POST", "/orders", &[], valid().to_string().as_bytes()).await;
    assert_eq!(r.status, 415);
}

#[test]
fn paths_and_reports_without_a_server() {
    let root = garde::Path::empty();
    assert_eq!(dotted(&root), "$");
    let p = root.join("events").join(0usize).join("type");
    assert_eq!(p.to_string(), "events[0].type");
    assert_eq!(dotted(&p), "events.0.type");
    // A list at the root.
    assert_eq!(dotted(&garde::Path::new(3usize).join("name")), "3.name");

    let mut report = garde::Report::new();
    report.append(root.clone(), garde::Error::new("passwords do not match"));
    report.append(p, garde::Error::new("unknown type"));
    let err = from_report(&report);
    assert_eq!(err.code(), "VALIDATION_ERROR");
    assert_eq!(err.role(), Some("validation_error"));
    let got: Vec<_> = err
        .violations()
        .iter()
        .map(|v| (v.path.as_str(), v.message.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("$", "passwords do not match"),
            ("events.0.type", "unknown type")
        ]
    );
}
