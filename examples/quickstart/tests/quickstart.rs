//! The quickstart service over real TCP on loopback: its error responses
//! are catalog envelopes valid against its OpenAPI document's schema, and the
//! error id of a response finds the error's record in the SQLite error log.

use std::time::Duration;

use errcat::store::{ErrorLog, Store};
use errcat_quickstart::{app, errors};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const BOUND: Duration = Duration::from_secs(10);

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: serde_json::Value,
}

impl Response {
    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
    }
}

/// Sends one HTTP/1.1 request on a new connection and reads the whole
/// response (the request asks the server to close the connection).
async fn send(addr: std::net::SocketAddr, method: &str, path: &str, body: &str) -> Response {
    let exchange = async {
        let mut conn = TcpStream::connect(addr).await.expect("connect");
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        conn.write_all(request.as_bytes()).await.expect("write");
        let mut raw = Vec::new();
        conn.read_to_end(&mut raw).await.expect("read");
        raw
    };
    let raw = tokio::time::timeout(BOUND, exchange)
        .await
        .expect("the response within 10 s");
    let text = String::from_utf8(raw).expect("UTF-8 response");
    let (head, body) = text.split_once("\r\n\r\n").expect("head and body");
    let mut lines = head.lines();
    let status_line = lines.next().expect("status line");
    let status = status_line[9..12].parse().expect("status code");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let body = serde_json::from_str(body)
        .unwrap_or_else(|e| panic!("body of {status_line} is not JSON ({e}): {body}"));
    Response {
        status,
        headers,
        body,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_answer_in_the_catalog_envelope_and_are_found_in_the_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("errors.db").display());
    let store = Store::connect(&url).await.expect("SQLite error log");
    let log = ErrorLog::spawn(store.clone(), Default::default());
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(errcat::axum::serve::serve(
        listener,
        app(log.clone()),
        Default::default(),
        async {
            let _ = stopped.await;
        },
    ));

    let res = send(addr, "GET", "/todos/42", "").await;
    assert_eq!(res.status, 404);
    assert_eq!(res.header("content-type"), "application/problem+json");
    let error_id = res.body["error_id"].as_str().expect("error_id").to_owned();
    let request_id = res.header("x-request-id").to_owned();
    assert_eq!(
        res.body,
        serde_json::json!({
            "type": "about:blank",
            "title": "Todo not found",
            "status": 404,
            "detail": "Todo 42 not found",
            "instance": "/todos/42",
            "code": "TODO_NOT_FOUND",
            "category": "NOT_FOUND",
            "error_id": error_id,
            "request_id": request_id,
        })
    );

    // The OpenAPI document is served, and the error bodies the service
    // sends are valid against its envelope schema.
    let spec = send(addr, "GET", "/openapi.json", "").await;
    assert_eq!(spec.status, 200);
    let served = errcat_quickstart::openapi()
        .expect("document")
        .to_json()
        .expect("JSON");
    assert_eq!(
        spec.body,
        serde_json::from_str::<serde_json::Value>(&served).expect("JSON")
    );
    let envelope = jsonschema::draft202012::new(&spec.body["components"]["schemas"]["Error"])
        .expect("the envelope's schema compiles");
    assert!(envelope.is_valid(&res.body), "{}", res.body);

    // Every error the service answers is one of its catalog's.
    for (method, path, body, status, code) in [
        ("POST", "/todos", r#"{"title": " "}"#, 422, "TITLE_EMPTY"),
        ("POST", "/todos", r#"{"title": "#, 400, "INVALID_JSON"),
        (
            "POST",
            "/todos",
            r#"{"name": "x"}"#,
            400,
            "VALIDATION_ERROR",
        ),
        ("GET", "/nowhere", "", 404, "NOT_FOUND"),
        ("DELETE", "/todos", "", 405, "METHOD_NOT_ALLOWED"),
    ] {
        let res = send(addr, method, path, body).await;
        assert_eq!(
            (res.status, res.body["code"].as_str()),
            (status, Some(code)),
            "{method} {path} {body}: {}",
            res.body
        );
        assert!(
            errors::CATALOG.get(code).is_some(),
            "{code} not in the catalog"
        );
        assert!(envelope.is_valid(&res.body), "{}", res.body);
    }

    // The writer batches off the request path: wait (bounded) for the row.
    let found = tokio::time::timeout(BOUND, async {
        loop {
            if let Some(record) = store.by_error_id(&error_id).await.expect("lookup") {
                return record;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the error's record within 10 s");
    assert_eq!(
        (
            found.code.as_str(),
            found.status,
            found.request_id.as_str(),
            found.path.as_str()
        ),
        ("TODO_NOT_FOUND", 404, request_id.as_str(), "/todos/42")
    );

    stop.send(()).expect("server running");
    server.await.expect("server task").expect("served");
    let stats = log.shutdown().await;
    assert_eq!(stats.dropped, 0);
}
