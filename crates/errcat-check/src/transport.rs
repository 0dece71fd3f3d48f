//! Sending probes: through reqwest, and the oversized body over a raw
//! connection (TCP, or TLS over it for https with the same rustls
//! configuration) so it can be streamed and an early answer read.

use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::verify::Reply;

/// The rustls configuration of https connections (none without `rustls`).
#[cfg(feature = "rustls")]
pub(super) type TlsConfig = std::sync::Arc<rustls::ClientConfig>;
/// The rustls configuration of https connections (none without `rustls`).
#[cfg(not(feature = "rustls"))]
pub(super) type TlsConfig = std::convert::Infallible;

/// A request to send.
#[derive(Debug, Clone)]
pub(super) struct Request {
    pub(super) method: Method,
    pub(super) url: Url,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Option<Vec<u8>>,
}

/// Why no response could be read.
#[derive(Debug)]
pub(super) struct Failure {
    pub(super) reason: String,
    /// The connection could not be made at all (refused, DNS).
    pub(super) connect: bool,
    /// The server's TLS certificate was refused: `reason` names the fix.
    pub(super) certificate: bool,
}

impl Failure {
    /// A reset or an early close, as when a pooled connection was closed by
    /// the server before the request went out.
    pub(super) fn reused_connection_lost(&self) -> bool {
        !self.connect
            && (self.reason == "connection reset"
                || self.reason == "connection closed before a complete response")
    }

    pub(super) fn new(reason: impl Into<String>) -> Self {
        Failure {
            reason: reason.into(),
            connect: false,
            certificate: false,
        }
    }

    /// A connection that could not be made: refused, DNS, or (with
    /// `rustls`) a certificate that is not trusted.
    fn connect(reason: String, host: &str, e: &(dyn std::error::Error + 'static)) -> Self {
        #[cfg(feature = "rustls")]
        if let Some(why) = super::tls::certificate_refused(e) {
            return Failure {
                reason: super::tls::refused_message(host, &why),
                connect: true,
                certificate: true,
            };
        }
        let _ = (host, e);
        Failure {
            reason,
            connect: true,
            certificate: false,
        }
    }
}

/// `3 s`, `500 ms`.
pub(super) fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else if d.as_secs() == 0 {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// Sends `req` and reads at most `max_read` body bytes, within `timeout`.
pub(super) async fn send(
    client: &reqwest::Client,
    req: &Request,
    timeout: Duration,
    max_read: usize,
) -> Result<Reply, Failure> {
    let attempt = async {
        let mut b = client.request(req.method.clone(), req.url.clone());
        for (k, v) in &req.headers {
            b = b.header(k.as_str(), v.as_str());
        }
        if let Some(body) = &req.body {
            b = b.body(body.clone());
        }
        let mut resp = b.send().await.map_err(|e| classify(&e))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let mut body = Vec::new();
        let mut truncated = false;
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    let room = max_read - body.len();
                    if chunk.len() > room {
                        body.extend_from_slice(&chunk[..room]);
                        truncated = true;
                        break;
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    let f = classify(&e);
                    return Err(Failure::new(format!(
                        "{} while reading the body of a {status}",
                        f.reason
                    )));
                }
            }
        }
        Ok(Reply {
            status,
            headers,
            body,
            truncated,
        })
    };
    match tokio::time::timeout(timeout, attempt).await {
        Ok(r) => r,
        Err(_) => Err(Failure::new(format!(
            "timed out after {}",
            seconds(timeout)
        ))),
    }
}

/// Describes a reqwest error by its cause: `connection reset`, `connection refused`….
fn classify(e: &reqwest::Error) -> Failure {
    let mut chain: Vec<String> = Vec::new();
    let mut kind = None;
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        chain.push(s.to_string());
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            kind = Some(io.kind());
        }
        source = s.source();
    }
    let text = chain.join(": ").to_ascii_lowercase();
    use std::io::ErrorKind as K;
    let reason = match kind {
        Some(K::ConnectionRefused) => "connection refused".to_owned(),
        Some(K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe) => {
            "connection reset".to_owned()
        }
        Some(K::TimedOut) => "connection timed out".to_owned(),
        _ if text.contains("connection reset") || text.contains("broken pipe") => {
            "connection reset".to_owned()
        }
        _ if text.contains("refused") => "connection refused".to_owned(),
        _ if text.contains("closed before message completed") || text.contains("eof") => {
            "connection closed before a complete response".to_owned()
        }
        _ => chain.last().cloned().unwrap_or_else(|| e.to_string()),
    };
    if e.is_connect() {
        let host = e.url().and_then(Url::host_str).unwrap_or("the API");
        return Failure::connect(reason, host, e);
    }
    Failure::new(reason)
}

/// How the oversized probe's body starts (`{"pad":"aaaa…"}`).
pub(super) const OVERSIZED_START: &[u8] = br#"{"pad":"aaaaaaaaaaaaaaaa"#;

/// Sends `method url` with a JSON body of `size` bytes, written in chunks
/// while the answer is read: a server may answer 413 as soon as it sees
/// `Content-Length`, and close without reading the rest.
pub(super) async fn send_oversized(
    req: &Request,
    tls: Option<TlsConfig>,
    size: u64,
    timeout: Duration,
    max_read: usize,
) -> Result<Reply, Failure> {
    match tokio::time::timeout(timeout, oversized(req, tls, size, max_read)).await {
        Ok(r) => r,
        Err(_) => Err(Failure::new(format!(
            "timed out after {}",
            seconds(timeout)
        ))),
    }
}

async fn oversized(
    req: &Request,
    tls: Option<TlsConfig>,
    size: u64,
    max_read: usize,
) -> Result<Reply, Failure> {
    let url = &req.url;
    let host = url.host_str().unwrap_or("localhost");
    let port = url.port_or_known_default().unwrap_or(80);
    let host_port = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let stream = tokio::net::TcpStream::connect(&host_port)
        .await
        .map_err(|e| Failure::connect(io_reason(&e), host, &e))?;
    match (url.scheme(), tls) {
        #[cfg(feature = "rustls")]
        ("https", Some(tls)) => {
            let name = rustls::pki_types::ServerName::try_from(host.to_owned())
                .map_err(|e| Failure::new(format!("`{host}` is not a TLS server name ({e})")))?;
            let stream = tokio_rustls::TlsConnector::from(tls)
                .connect(name, stream)
                .await
                .map_err(|e| Failure::connect(io_reason(&e), host, &e))?;
            exchange(stream, req, &host_port, size, max_read).await
        }
        ("https", _) => Err(Failure::new("https needs the `rustls` feature")),
        _ => exchange(stream, req, &host_port, size, max_read).await,
    }
}

/// Writes the head and the body of `size` bytes on `stream` while reading
/// the answer.
async fn exchange<S>(
    stream: S,
    req: &Request,
    host_port: &str,
    size: u64,
    max_read: usize,
) -> Result<Reply, Failure>
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (mut rd, mut wr) = tokio::io::split(stream);
    let head = oversized_head(req, host_port, size);
    let writer = tokio::spawn(async move {
        wr.write_all(head.as_bytes()).await?;
        write_padding(&mut wr, size).await?;
        wr.flush().await?;
        // The write half is kept open (no half-close): some servers take
        // a shut-down write side for a client that went away.
        Ok::<_, std::io::Error>(wr)
    });
    let result = read_response(&mut rd, max_read).await;
    let write_error = if writer.is_finished() {
        match writer.await {
            Ok(Err(e)) => Some(e),
            // Dropped (and closed) only once the response is read.
            Ok(Ok(wr)) => {
                drop(wr);
                None
            }
            Err(_) => None,
        }
    } else {
        writer.abort();
        None
    };
    match result {
        Ok(r) => Ok(r),
        Err(e) => Err(Failure::new(match write_error {
            Some(w) => format!("{} while sending the body (no response)", io_reason(&w)),
            None => e,
        })),
    }
}

/// The head of the oversized request: the request's own headers, a JSON
/// content type and a `Content-Length` of `size`.
fn oversized_head(req: &Request, host_port: &str, size: u64) -> String {
    let url = &req.url;
    let mut target = url.path().to_owned();
    if let Some(q) = url.query() {
        target.push('?');
        target.push_str(q);
    }
    let mut head = format!(
        "{} {target} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {size}\r\nConnection: close\r\nUser-Agent: errcat-check\r\n",
        req.method,
        url.host_str()
            .map_or(host_port.to_owned(), |h| match url.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_owned(),
            }),
    );
    for (k, v) in &req.headers {
        if !k.eq_ignore_ascii_case("content-type") {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    head.push_str("\r\n");
    head
}

/// `size` bytes of `{"pad":"aaaa…"}`: JSON, so only its size is wrong.
async fn write_padding(wr: &mut (impl AsyncWrite + Unpin), size: u64) -> std::io::Result<()> {
    let mut chunk = vec![b'a'; 64 * 1024];
    let mut sent: u64 = 0;
    while sent < size {
        let n = usize::try_from((size - sent).min(chunk.len() as u64)).unwrap_or(chunk.len());
        let buf = &mut chunk[..n];
        buf.fill(b'a');
        for (i, b) in buf.iter_mut().enumerate() {
            let at = sent + i as u64;
            if at < 8 {
                *b = br#"{"pad":""#[usize::try_from(at).unwrap_or(0)];
            } else if size.checked_sub(2) == Some(at) {
                *b = b'"';
            } else if size.checked_sub(1) == Some(at) {
                *b = b'}';
            }
        }
        wr.write_all(buf).await?;
        sent += n as u64;
    }
    Ok(())
}

fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::ConnectionRefused => "connection refused".to_owned(),
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => "connection reset".to_owned(),
        K::UnexpectedEof => "connection closed before a complete response".to_owned(),
        _ => e.to_string(),
    }
}

/// Reads one HTTP/1.1 response: head, then a body by `Content-Length`,
/// chunked, or up to the close, at most `max_read` bytes of it.
async fn read_response(
    rd: &mut (impl AsyncRead + Unpin),
    max_read: usize,
) -> Result<Reply, String> {
    const MAX_HEAD: usize = 64 * 1024;
    let mut buf = Vec::with_capacity(8 * 1024);
    let mut tmp = vec![0u8; 16 * 1024];
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i;
        }
        if buf.len() > MAX_HEAD {
            return Err(format!("response head larger than {MAX_HEAD} bytes"));
        }
        let n = rd.read(&mut tmp).await.map_err(|e| io_reason(&e))?;
        if n == 0 {
            return Err("connection closed before a complete response".to_owned());
        }
        buf.extend_from_slice(&tmp[..n]);
    };
    let (status, headers) = parse_head(&String::from_utf8_lossy(&buf[..head_end]))?;
    let mut rest = buf.split_off(head_end + 4);
    let length: Option<usize> = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    let chunked = headers
        .get("transfer-encoding")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    // Read until the body is complete, the limit is passed, or the close.
    let limit = max_read.saturating_add(1);
    loop {
        let done = match length {
            Some(len) => rest.len() >= len,
            None if chunked => {
                find(&rest, b"0\r\n\r\n").is_some_and(|i| i == 0 || rest[i - 1] == b'\n')
            }
            None => false,
        };
        if done || rest.len() >= limit.saturating_add(if chunked { 1024 } else { 0 }) {
            break;
        }
        match rd.read(&mut tmp).await {
            Ok(0) => break,
            Ok(n) => rest.extend_from_slice(&tmp[..n]),
            Err(e) if rest.is_empty() && length.is_some_and(|l| l > 0) => {
                return Err(format!(
                    "{} while reading the body of a {status}",
                    io_reason(&e)
                ));
            }
            Err(_) => break,
        }
    }
    let mut body = if chunked { dechunk(&rest) } else { rest };
    if let Some(len) = length {
        body.truncate(len);
    }
    let truncated = body.len() > max_read || length.is_some_and(|l| l > max_read);
    body.truncate(max_read);
    Ok(Reply {
        status,
        headers,
        body,
        truncated,
    })
}

/// The status and headers of a response head (without its blank line);
/// header lines that are not valid HTTP are left out.
fn parse_head(head: &str) -> Result<(u16, HeaderMap), String> {
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("not an HTTP response: `{status_line}`"))?;
    let mut headers = HeaderMap::new();
    for line in lines {
        if let Some((k, v)) = line.split_once(':')
            && let (Ok(k), Ok(v)) = (
                HeaderName::from_bytes(k.trim().as_bytes()),
                HeaderValue::from_str(v.trim()),
            )
        {
            headers.append(k, v);
        }
    }
    Ok((status, headers))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Decodes a chunked body (as much of it as is there).
fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = find(data, b"\r\n") {
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size_text = size_text.split(';').next().unwrap_or("").trim().to_owned();
        let Ok(size) = usize::from_str_radix(&size_text, 16) else {
            break;
        };
        data = &data[line_end + 2..];
        if size == 0 {
            break;
        }
        let take = size.min(data.len());
        out.extend_from_slice(&data[..take]);
        if take < size || data.len() < size + 2 {
            break;
        }
        data = &data[size + 2..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dechunks_and_formats_seconds() {
        assert_eq!(dechunk(b"3\r\nabc\r\n2;x=1\r\nde\r\n0\r\n\r\n"), b"abcde");
        assert_eq!(dechunk(b"5\r\nab"), b"ab");
        assert_eq!(seconds(Duration::from_secs(3)), "3 s");
        assert_eq!(seconds(Duration::from_millis(500)), "500 ms");
        assert_eq!(seconds(Duration::from_millis(1500)), "1.5 s");
    }
}
