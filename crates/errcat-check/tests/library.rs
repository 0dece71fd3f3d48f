//! The probe as a library: `errcat_check::run` against a server on
//! loopback that answers every request with the same RFC 9457 404.

use std::io::{Read, Write};
use std::net::TcpListener;

use errcat_catalog::Catalog;
use errcat_check::{CheckError, Options, OutputFormat};

/// A server answering every request with `status` and a problem body
/// (one request per connection).
fn serve(status: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(64) {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let body = r#"{"type":"about:blank","title":"Not found","status":404,"detail":"Route not found","code":"NOT_FOUND","category":"NOT_FOUND","error_id":"e1","request_id":"r1"}"#;
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\ncontent-type: application/problem+json\r\nx-request-id: r1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}")
}

#[test]
fn run_reports_each_probe_and_whether_all_passed() {
    let url = serve("404 Not Found");
    let catalog = Catalog::from_str("[api]\nname = \"T\"\n", "errors.toml").unwrap();
    let mut options = Options::new(&url);
    options.format = OutputFormat::Json;
    let mut out = Vec::new();
    let passed = errcat_check::run(&options, catalog, "a test catalog", &mut out).unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        report["catalog"],
        "a test catalog: 27 errors, envelope `problem`"
    );
    let probes = report["probes"].as_array().unwrap();
    let unknown = probes
        .iter()
        .find(|p| p["probe"] == "unknown-route")
        .unwrap();
    assert_eq!(unknown["verdict"], "ok", "{unknown:#}");
    assert_eq!(unknown["code"], "NOT_FOUND");
    // The base URL answers 404 too, which a base URL should not.
    let base = probes.iter().find(|p| p["probe"] == "base").unwrap();
    assert_eq!(base["status"], 404);
    assert_eq!(passed, report["passed"].as_bool().unwrap());
}

#[test]
fn usage_errors_name_the_fix() {
    let catalog = Catalog::from_str("[api]\nname = \"T\"\n", "errors.toml").unwrap();
    let mut options = Options::new("ftp://example.test");
    options.skip.push("nope".into());
    match errcat_check::run(&options, catalog.clone(), "t", &mut Vec::new()) {
        Err(CheckError::Usage(m)) => assert!(m.contains("unsupported scheme `ftp`"), "{m}"),
        other => panic!("{other:?}"),
    }
    let mut options = Options::new("http://127.0.0.1:9");
    options.skip.push("nope".into());
    match errcat_check::run(&options, catalog, "t", &mut Vec::new()) {
        Err(CheckError::Usage(m)) => assert!(m.contains("`--skip nope`: no such probe"), "{m}"),
        other => panic!("{other:?}"),
    }
}
