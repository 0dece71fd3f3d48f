//! W3C trace context over real TCP: a valid `traceparent`'s trace id goes
//! into the error event; an invalid one (wrong version, all-zero ids,
//! uppercase hex, 10 KB, two headers) is ignored and never echoed; every
//! error gets a trace id. A tower-http request id is reused, and so is the
//! trace id an outer layer puts in the request's extensions.

mod common;

use axum::Router;
use axum::routing::get;
use common::{Events, renderer, send, serve};
use errcat_axum::ErrcatLayer;

const GOOD: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

async fn app(events: &Events) -> std::net::SocketAddr {
    let app = Router::new()
        .route("/ok", get(|| async { "ok" }))
        .layer(events.layer(ErrcatLayer::new(renderer())));
    serve(app).await
}

fn is_trace_id(t: &str) -> bool {
    t.len() == 32
        && t.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_traceparent_names_the_trace_and_invalid_ones_are_ignored() {
    let events = Events::default();
    let addr = app(&events).await;

    let r = send(addr, "GET", "/nowhere", &[("traceparent", GOOD)], b"").await;
    assert_eq!(r.status, 404);
    let e = events.take();
    assert_eq!(
        e[0].trace_id.as_deref(),
        Some("4bf92f3577b34da6a3ce929d0e0e4736")
    );

    let long = format!("00-{}", "a".repeat(10_000));
    let bad: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "wrong version",
            vec![(
                "traceparent",
                "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            )],
        ),
        (
            "zero trace id",
            vec![(
                "traceparent",
                "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            )],
        ),
        (
            "zero parent id",
            vec![(
                "traceparent",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            )],
        ),
        (
            "uppercase",
            vec![(
                "traceparent",
                "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",
            )],
        ),
        ("10 KB", vec![("traceparent", long.as_str())]),
        (
            "two headers",
            vec![("traceparent", GOOD), ("traceparent", GOOD)],
        ),
        ("none", vec![]),
    ];
    for (what, headers) in &bad {
        let r = send(addr, "GET", "/nowhere", headers, b"").await;
        assert_eq!(r.status, 404, "{what}");
        let e = events.take();
        let t = e[0].trace_id.clone().unwrap_or_default();
        assert!(is_trace_id(&t), "{what}: a new trace id, got {t:?}");
        assert_ne!(t, "4bf92f3577b34da6a3ce929d0e0e4736", "{what}");
        // Never echoed: not in the body, not in a header.
        for (_, v) in headers {
            assert!(
                !r.text().contains(&v[3..35.min(v.len())]),
                "{what}: {}",
                r.text()
            );
            assert!(
                r.headers
                    .iter()
                    .all(|(_, h)| !h.contains(&v[3..35.min(v.len())])),
                "{what}"
            );
        }
    }
    // A success gets no trace id made for it (nothing is recorded).
    let r = send(addr, "GET", "/ok", &[("traceparent", GOOD)], b"").await;
    assert_eq!(r.status, 200);
    assert!(events.take().is_empty());
}

#[cfg(feature = "tower-http-request-id")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tower_http_request_id_is_the_request_id() {
    use tower_http::request_id::{MakeRequestId, RequestId, SetRequestIdLayer};

    #[derive(Clone)]
    struct Fixed;
    impl MakeRequestId for Fixed {
        fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
            Some(RequestId::new(axum::http::HeaderValue::from_static(
                "from-tower-http-1",
            )))
        }
    }

    let events = Events::default();
    // tower-http's layer outside errcat's: it runs first.
    let app = Router::new()
        .route("/ok", get(|| async { "ok" }))
        .layer(events.layer(ErrcatLayer::new(renderer())))
        .layer(SetRequestIdLayer::new(
            axum::http::HeaderName::from_static("x-upstream-id"),
            Fixed,
        ));
    let addr = serve(app).await;
    let r = send(addr, "GET", "/nowhere", &[], b"").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("x-request-id"), Some("from-tower-http-1"));
    assert_eq!(r.json()["request_id"], "from-tower-http-1");
    assert_eq!(&*events.take()[0].request_id, "from-tower-http-1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outer_layers_trace_id_is_the_errors_over_the_traceparent() {
    use axum::extract::Request;
    use axum::middleware::{Next, from_fn};
    use errcat_axum::trace::TraceId;

    const OUTER: &str = "0af7651916cd43dd8448eb211c80319c";
    let events = Events::default();
    // The outer layer reads the id to set from a test header.
    let app = Router::new()
        .route("/ok", get(|| async { "ok" }))
        .layer(events.layer(ErrcatLayer::new(renderer())))
        .layer(from_fn(|mut req: Request, next: Next| async move {
            if let Some(v) = req.headers().get("x-test-trace") {
                let id = v.to_str().unwrap().to_owned();
                req.extensions_mut().insert(TraceId(id));
            }
            next.run(req).await
        }));
    let addr = serve(app).await;
    for (what, outer, traceparent, expected) in [
        (
            "outer over traceparent",
            Some(OUTER),
            Some(GOOD),
            Some(OUTER),
        ),
        ("outer alone", Some(OUTER), None, Some(OUTER)),
        (
            "an invalid outer one is ignored",
            Some("0AF7651916CD43DD8448EB211C80319C"),
            Some(GOOD),
            Some("4bf92f3577b34da6a3ce929d0e0e4736"),
        ),
        (
            "all zero is ignored",
            Some("00000000000000000000000000000000"),
            None,
            None,
        ),
    ] {
        let mut headers = Vec::new();
        headers.extend(outer.map(|o| ("x-test-trace", o)));
        headers.extend(traceparent.map(|t| ("traceparent", t)));
        let r = send(addr, "GET", "/nowhere", &headers, b"").await;
        assert_eq!(r.status, 404, "{what}");
        let t = events.take()[0].trace_id.clone().unwrap_or_default();
        match expected {
            Some(e) => assert_eq!(t, e, "{what}"),
            None => {
                assert!(is_trace_id(&t), "{what}: a new trace id, got {t:?}");
                assert_ne!(t, "00000000000000000000000000000000", "{what}");
            }
        }
    }
}
