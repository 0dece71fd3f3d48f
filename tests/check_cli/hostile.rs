//! Servers that hang, reset, stream 100 MB or drop a kept-alive
//! connection, and URLs that cannot be checked: each is reported, within
//! the time limits.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::{check, exits, probes, row, text};

/// A raw server: `each` runs for every accepted connection.
async fn raw_server<F, Fut>(each: F) -> SocketAddr
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(each(stream));
        }
    });
    addr
}

async fn read_head(stream: &mut tokio::net::TcpStream) {
    let mut buf = [0u8; 4096];
    let mut seen = Vec::new();
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_server_is_reported_within_the_limits() {
    let addr = raw_server(|mut s| async move {
        read_head(&mut s).await;
        tokio::time::sleep(Duration::from_secs(120)).await;
        drop(s);
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://{addr}");
    let (out, took) = check(dir.path(), &[&url, "--timeout", "1s", "--time-limit", "4s"]).await;
    eprintln!("hanging server check took {took:?}");
    let stdout = text(&out.stdout);
    exits(&out, 1);
    assert!(took < Duration::from_secs(4), "took {took:?}");
    let base = stdout.lines().find(|l| l.starts_with("base")).unwrap();
    assert!(
        base.contains("FAIL") && base.ends_with("timed out after 1 s"),
        "{base}"
    );
    let unknown = stdout
        .lines()
        .find(|l| l.starts_with("unknown-route"))
        .unwrap();
    assert!(unknown.ends_with("timed out after 1 s"), "{unknown}");

    // The total limit stops a check whose requests would each fit.
    let (out, took) = check(
        dir.path(),
        &[
            &url,
            "--timeout",
            "20s",
            "--time-limit",
            "2s",
            "--format",
            "json",
        ],
    )
    .await;
    exits(&out, 1);
    assert!(took < Duration::from_secs(4), "took {took:?}");
    let probes = probes(&out);
    assert_eq!(
        row(&probes, "base")["reasons"][0],
        "not finished: the time limit of 2 s was reached"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resetting_server_is_reported() {
    let addr = raw_server(|mut s| async move {
        read_head(&mut s).await;
        #[allow(deprecated)]
        let _ = s.set_linger(Some(Duration::ZERO));
        drop(s);
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://{addr}");
    let (out, took) = check(dir.path(), &[&url, "--burst", "--format", "json"]).await;
    eprintln!("resetting server check took {took:?}");
    exits(&out, 1);
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let probes = probes(&out);
    assert_eq!(row(&probes, "base")["reasons"][0], "connection reset");
    assert_eq!(
        row(&probes, "unknown-route")["reasons"][0],
        "connection reset"
    );
    let burst = row(&probes, "burst")["reasons"][0]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        burst.starts_with("no 429 after ") && burst.ends_with("failed: connection reset"),
        "{burst}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100_mb_body_is_cut_at_the_read_limit() {
    let addr = raw_server(|mut s| async move {
        read_head(&mut s).await;
        let head = "HTTP/1.1 404 Not Found\r\nContent-Type: application/problem+json\r\nX-Request-Id: r1\r\nContent-Length: 104857600\r\n\r\n";
        if s.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let chunk = vec![b' '; 64 * 1024];
        for _ in 0..1600 {
            if s.write_all(&chunk).await.is_err() {
                return;
            }
        }
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://{addr}");
    let (out, took) = check(dir.path(), &[&url, "--format", "json"]).await;
    eprintln!("100 MB server check took {took:?}");
    exits(&out, 1);
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let probes = probes(&out);
    assert_eq!(
        row(&probes, "unknown-route")["reasons"],
        serde_json::json!(["body larger than 1048576 bytes, stopped reading"])
    );
}

/// A server that resets a kept-alive connection instead of answering its
/// second request (as some do after an error): the probe that reused it is
/// sent again on a new connection, and no row reports the lost connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_alive_connection_closed_by_the_server_is_retried_once() {
    let addr = raw_server(|mut s| async move {
        read_head(&mut s).await;
        let body = r#"{"type":"about:blank","title":"Not found","status":404,"detail":"No such thing","code":"NOT_FOUND","category":"NOT_FOUND","error_id":"e1"}"#;
        let head = format!(
            "HTTP/1.1 404 Not Found\r\ncontent-type: application/problem+json\r\nx-request-id: r1\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        let _ = s.write_all(head.as_bytes()).await;
        let _ = s.write_all(body.as_bytes()).await;
        // The next request on this connection is read, then the
        // connection is reset without an answer.
        read_head(&mut s).await;
        // A zero linger resets the connection on drop; nothing blocks.
        #[allow(deprecated)]
        let _ = s.set_linger(Some(Duration::ZERO));
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = check(
        dir.path(),
        &[&format!("http://{addr}/"), "--format", "json"],
    )
    .await;
    let probes = probes(&out);
    assert!(probes.len() >= 2, "{probes:#?}");
    for p in &probes {
        let reasons = p["reasons"].to_string();
        assert!(!reasons.contains("connection"), "{p:#}");
        if p["verdict"] != "skip" && p["probe"] != "wrong-method" {
            assert_eq!(p["status"], 404, "{p:#}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_and_bad_scheme_urls_are_usage_errors() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let (out, _) = check(dir.path(), &[&url]).await;
    exits(&out, 2);
    assert_eq!(
        text(&out.stderr),
        format!(
            "errcat: note: no errors.toml here; using errcat's standard catalog\n\
             errcat: cannot reach {url}/: connection refused (is the API running?)\n"
        )
    );
    assert_eq!(text(&out.stdout), "");

    let (out, _) = check(dir.path(), &["ftp://api.example.com"]).await;
    exits(&out, 2);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("unsupported scheme `ftp`; pass an http:// or https:// URL"),
        "{stderr}"
    );
}
