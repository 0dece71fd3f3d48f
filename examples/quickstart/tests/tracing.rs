//! The quickstart's spans exported with OpenTelemetry (docs/tracing.md): a
//! middleware outside errcat's layer starts the request's span in the
//! caller's trace (its `traceparent`) and hands errcat that trace's id; the
//! layer's `request` span is its child, with the error's id and trace id, and
//! the error's event carries its code. An in-memory exporter collects them.

use std::time::Duration;

use axum::extract::Request;
use axum::middleware::{Next, from_fn};
use axum::response::Response;
use errcat::axum::trace::TraceId;
use errcat::store::{ErrorLog, Store};
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::{TraceContextExt, TracerProvider};
use opentelemetry::{KeyValue, Value};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;

const BOUND: Duration = Duration::from_secs(10);
const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

/// A request's headers, as OpenTelemetry's propagators read them.
struct Headers<'a>(&'a axum::http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// Starts the request's span in the caller's trace (a new one without a
/// valid `traceparent`) and tells errcat its trace id.
async fn otel_context(mut req: Request, next: Next) -> Response {
    let parent = TraceContextPropagator::new().extract(&Headers(req.headers()));
    let span = tracing::info_span!("http", method = %req.method(), path = req.uri().path());
    span.set_parent(parent).expect("the span is new");
    let trace_id = span.context().span().span_context().trace_id().to_string();
    req.extensions_mut().insert(TraceId(trace_id));
    next.run(req).instrument(span).await
}

/// One request on a new connection: the status, the `x-request-id` header and
/// the JSON body.
async fn send(
    addr: std::net::SocketAddr,
    path: &str,
    traceparent: Option<&str>,
) -> (u16, String, serde_json::Value) {
    let exchange = async {
        let mut conn = TcpStream::connect(addr).await.expect("connect");
        let tp = traceparent
            .map(|t| format!("traceparent: {t}\r\n"))
            .unwrap_or_default();
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{tp}\r\n");
        conn.write_all(request.as_bytes()).await.expect("write");
        let mut raw = Vec::new();
        conn.read_to_end(&mut raw).await.expect("read");
        String::from_utf8(raw).expect("UTF-8")
    };
    let text = tokio::time::timeout(BOUND, exchange)
        .await
        .expect("a response within 10 s");
    let (head, body) = text.split_once("\r\n\r\n").expect("head and body");
    let request_id = head
        .lines()
        .find_map(|l| l.strip_prefix("x-request-id: "))
        .expect("x-request-id")
        .to_owned();
    (
        head[9..12].parse().expect("status"),
        request_id,
        serde_json::from_str(body).expect("JSON body"),
    )
}

fn attr<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a Value> {
    attrs
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

fn text(s: &str) -> Value {
    Value::from(s.to_owned())
}

/// The exported spans of one trace, once both ended (bounded wait).
async fn spans_of(exporter: &InMemorySpanExporter, trace: &str) -> (SpanData, SpanData) {
    tokio::time::timeout(BOUND, async {
        loop {
            let spans = exporter.get_finished_spans().expect("spans");
            let find = |name: &str| {
                spans
                    .iter()
                    .find(|s| s.name == name && s.span_context.trace_id().to_string() == trace)
            };
            if let (Some(http), Some(request)) = (find("http"), find("request")) {
                return (http.clone(), request.clone());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no http and request spans of trace {trace} within 10 s"))
}

// One thread: the subscriber set for this test sees the server's spans.
#[tokio::test(flavor = "current_thread")]
async fn an_errors_spans_are_exported_in_its_trace_with_its_code_and_ids() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let otel = tracing_opentelemetry::layer().with_tracer(provider.tracer("quickstart"));
    let _subscriber = tracing::subscriber::set_default(tracing_subscriber::registry().with(otel));

    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("errors.db").display());
    let store = Store::connect(&url).await.expect("SQLite error log");
    let log = ErrorLog::spawn(store.clone(), Default::default());
    let app = errcat_quickstart::app(log.clone()).layer(from_fn(otel_context));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(errcat::axum::serve::serve(
        listener,
        app,
        Default::default(),
        async {
            let _ = stopped.await;
        },
    ));

    // A caller's trace: the spans are in it, the middleware's a child of the
    // caller's span and errcat's a child of the middleware's.
    let traceparent = format!("00-{TRACE}-{CALLER_SPAN}-01");
    let (status, request_id, body) = send(addr, "/todos/42", Some(&traceparent)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("TODO_NOT_FOUND"))
    );
    let error_id = body["error_id"].as_str().expect("error_id");
    let (http, request) = spans_of(&exporter, TRACE).await;
    assert_eq!(http.parent_span_id.to_string(), CALLER_SPAN);
    assert_eq!(request.parent_span_id, http.span_context.span_id());
    for (key, expected) in [
        ("error_id", text(error_id)),
        ("trace_id", text(TRACE)),
        ("request_id", text(&request_id)),
        ("route", text("/todos/{id}")),
    ] {
        assert_eq!(
            attr(&request.attributes, key),
            Some(&expected),
            "request span's {key}"
        );
    }
    let events: Vec<&str> = request
        .events
        .events
        .iter()
        .map(|e| e.name.as_ref())
        .collect();
    assert_eq!(events, ["request rejected"]);
    let event = &request.events.events[0].attributes;
    for (key, expected) in [
        ("code", text("TODO_NOT_FOUND")),
        ("status", Value::I64(404)),
        ("error_id", text(error_id)),
        ("request_id", text(&request_id)),
    ] {
        assert_eq!(attr(event, key), Some(&expected), "error event's {key}");
    }

    // No traceparent: a new trace, and the error's trace id (in the span and
    // in the error log) is that trace's, the one exported.
    let (status, _, body) = send(addr, "/todos/7", None).await;
    assert_eq!(status, 404);
    let error_id = body["error_id"].as_str().expect("error_id").to_owned();
    let record = tokio::time::timeout(BOUND, async {
        loop {
            if let Some(r) = store.by_error_id(&error_id).await.expect("lookup") {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the error's record within 10 s");
    let trace = record.trace_id.expect("a trace id in the log");
    assert_ne!(trace, TRACE);
    let (http, request) = spans_of(&exporter, &trace).await;
    assert_eq!(
        http.parent_span_id,
        opentelemetry::trace::SpanId::INVALID,
        "a root span"
    );
    assert_eq!(request.parent_span_id, http.span_context.span_id());
    assert_eq!(attr(&request.attributes, "trace_id"), Some(&text(&trace)));
    assert_eq!(
        attr(&request.attributes, "error_id"),
        Some(&text(&error_id))
    );

    stop.send(()).expect("server running");
    server.await.expect("server task").expect("served");
    log.shutdown().await;
    provider.shutdown().expect("tracer provider shut down");
}
