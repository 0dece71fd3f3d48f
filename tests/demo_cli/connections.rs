//! Connections: slow and idle ones are closed, surplus ones wait in the
//! backlog, and an answer sent before the body was read closes its
//! connection openly.

use std::io::{Read, Write};
use std::net::TcpStream;

use super::*;

/// Reads one response from a keep-alive connection: (status, head), the body
/// skipped by its `Content-Length`.
fn read_response(s: &mut TcpStream) -> (u16, String) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            other => panic!("connection ended in a response head: {other:?} after {head:?}"),
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let len: usize = header(&head, "content-length").map_or(0, |v| v.parse().unwrap());
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head)
}

/// Whether the server has closed `s` (a read sees the end or a reset)
/// within `limit`.
fn closed_within(s: &mut TcpStream, limit: Duration) -> bool {
    s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    let start = Instant::now();
    while start.elapsed() < limit {
        if read_says_closed(s) {
            return true;
        }
    }
    false
}

/// One read of `s`: whether the server has closed it (the end, or a reset).
/// Bytes, or a read that times out, are no close.
fn read_says_closed(s: &mut TcpStream) -> bool {
    let mut buf = [0u8; 4096];
    match s.read(&mut buf) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    }
}

/// Slowloris: connections that trickle header bytes are closed when the
/// header read timeout runs out, and a normal client is served meanwhile;
/// an idle keep-alive connection is closed after the same time.
#[test]
fn demo_closes_slow_and_idle_connections() {
    const SLOW: usize = 50;
    let dir = tempfile::tempdir().unwrap();
    let demo = start_with(
        &dir.path().join("demo.db"),
        &["--header-read-timeout", "1s", "--max-connections", "64"],
    );
    let addr = demo.addr.clone();
    let slow: Vec<_> = (0..SLOW)
        .map(|i| {
            let addr = addr.clone();
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(&addr).unwrap();
                s.set_read_timeout(Some(Duration::from_millis(100)))
                    .unwrap();
                let start = Instant::now();
                let _ = s.write_all(b"GET /api/health HTTP/1.1\r\nHost: slow\r\n");
                while start.elapsed() < Duration::from_secs(8) {
                    // One more header line every 100 ms: never a whole head.
                    let _ = s.write_all(
                        format!("X-Slow-{i}: {}\r\n", start.elapsed().as_millis()).as_bytes(),
                    );
                    if read_says_closed(&mut s) {
                        return Some(start.elapsed());
                    }
                }
                None
            })
        })
        .collect();
    // Served while the slow connections are open.
    std::thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    let (status, _, _) = get(&addr, "/api/health", &[]);
    let normal = t.elapsed();
    assert_eq!(status, 200);
    assert!(
        normal < Duration::from_millis(500),
        "a normal request took {normal:?}"
    );
    let mut closed: Vec<Duration> = slow
        .into_iter()
        .map(|h| {
            h.join()
                .unwrap()
                .expect("a slow connection was never closed")
        })
        .collect();
    closed.sort();
    eprintln!(
        "{SLOW} slow connections closed after {:?}..{:?}; a normal request took {normal:?}",
        closed[0],
        closed[SLOW - 1]
    );
    assert!(closed[0] >= Duration::from_millis(900), "{closed:?}");
    assert!(closed[SLOW - 1] < Duration::from_millis(2500), "{closed:?}");

    // Idle keep-alive: served, then closed after the same timeout.
    let mut s = TcpStream::connect(&addr).unwrap();
    s.write_all(b"GET /api/health HTTP/1.1\r\nHost: idle\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut s).0, 200);
    let idle = Instant::now();
    assert!(
        closed_within(&mut s, Duration::from_secs(3)),
        "an idle connection stayed open"
    );
    let idle = idle.elapsed();
    eprintln!("an idle keep-alive connection was closed after {idle:?}");
    assert!(idle >= Duration::from_millis(900), "{idle:?}");
}

/// The connection cap: with every slot held by slow clients, the next
/// client waits in the backlog and is served once the header timeout frees
/// a slot (instead of the server taking connections without bound).
#[test]
fn demo_caps_connections() {
    let dir = tempfile::tempdir().unwrap();
    let demo = start_with(
        &dir.path().join("demo.db"),
        &["--header-read-timeout", "1s", "--max-connections", "4"],
    );
    let addr = demo.addr.clone();
    let held: Vec<TcpStream> = (0..4)
        .map(|_| {
            let mut s = TcpStream::connect(&addr).unwrap();
            s.write_all(b"GET /api/health HTTP/1.1\r\n").unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let t = Instant::now();
    let (status, _, _) = get(&addr, "/api/health", &[]);
    let waited = t.elapsed();
    eprintln!("with 4 of 4 slots held, a request was served after {waited:?}");
    assert_eq!(status, 200);
    assert!(
        waited >= Duration::from_millis(500) && waited < Duration::from_millis(2500),
        "{waited:?}"
    );
    drop(held);
}

/// Keep-alive after an early answer: a request answered before its body
/// was read (415, 413, 401 from the head) says `Connection: close`, so a
/// client never writes its next request into a closed connection; a request
/// whose body was read keeps the connection.
#[test]
fn demo_early_answers_close_the_connection_openly() {
    let dir = tempfile::tempdir().unwrap();
    let demo = start(&dir.path().join("demo.db"));
    let addr = demo.addr.clone();
    let key = errcat_demo::DEMO_API_KEY;
    let body = r#"{"events": [{"type": "click", "user_id": "u1", "timestamp": 1}]}"#;
    let cases = [
        (
            format!(
                "POST /api/events HTTP/1.1\r\nHost: k\r\nX-API-Key: {key}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n",
                body.len()
            ),
            415,
        ),
        (
            format!(
                "POST /api/events HTTP/1.1\r\nHost: k\r\nX-API-Key: {key}\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n"
            ),
            413,
        ),
        (
            format!(
                "POST /api/events HTTP/1.1\r\nHost: k\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            ),
            401,
        ),
    ];
    for (head, want) in cases {
        let mut s = TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        // The head only: the body comes after the answer.
        s.write_all(head.as_bytes()).unwrap();
        let (status, reply) = read_response(&mut s);
        assert_eq!(status, want, "{reply}");
        let told = header(&reply, "connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let _ = s.write_all(body.as_bytes());
        if !told {
            // Not told to close: the connection must then keep working.
            s.write_all(b"GET /api/health HTTP/1.1\r\nHost: k\r\n\r\n")
                .unwrap();
            assert_eq!(
                read_response(&mut s).0,
                200,
                "{want}: reused connection failed"
            );
        } else {
            assert!(
                closed_within(&mut s, Duration::from_secs(2)),
                "{want}: said close, stayed open"
            );
        }
        assert!(
            told,
            "{want} answered before its body was read without Connection: close:\n{reply}"
        );
    }
    // A request whose body is read keeps its connection (no close), also
    // when it is a validation error.
    let mut s = TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let bad = r#"{"events": [{"type": 1}]}"#;
    for (sent, want) in [(body, 202), (body, 202), (bad, 400), (body, 202)] {
        s.write_all(
            format!("POST /api/events HTTP/1.1\r\nHost: k\r\nX-API-Key: {key}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{sent}", sent.len()).as_bytes(),
        )
        .unwrap();
        let (status, reply) = read_response(&mut s);
        assert_eq!(status, want, "{reply}");
        assert!(header(&reply, "connection").is_none(), "{reply}");
    }
    s.write_all(b"GET /api/health HTTP/1.1\r\nHost: k\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut s).0, 200);
}
