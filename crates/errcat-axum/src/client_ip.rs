//! The client's address: the socket's, or `X-Forwarded-For` behind trusted proxies.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use ipnet::IpNet;

/// The client's IP address, in the request's extensions.
///
/// It is the socket's peer address. `X-Forwarded-For` is read only when the
/// peer is a configured trusted proxy, and then from the right: the first
/// address that is not itself a trusted proxy is the client. A forged
/// header from anyone else is ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

pub(crate) fn resolve(
    extensions: &http::Extensions,
    headers: &http::HeaderMap,
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())?;
    if !trusted.iter().any(|n| n.contains(&peer)) {
        return Some(peer);
    }
    let mut client = peer;
    for value in headers.get_all("x-forwarded-for").iter().rev() {
        let Ok(text) = value.to_str() else {
            return Some(client);
        };
        for hop in text.rsplit(',') {
            let Ok(ip) = hop.trim().parse::<IpAddr>() else {
                return Some(client);
            };
            client = ip;
            if !trusted.iter().any(|n| n.contains(&ip)) {
                return Some(client);
            }
        }
    }
    Some(client)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(peer: &str, xff: Option<&str>) -> http::request::Parts {
        let mut b = http::Request::builder();
        if let Some(x) = xff {
            b = b.header("x-forwarded-for", x);
        }
        let (mut parts, ()) = b.body(()).unwrap().into_parts();
        parts
            .extensions
            .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        parts
    }

    fn resolve(parts: &http::request::Parts, trusted: &[IpNet]) -> Option<IpAddr> {
        super::resolve(&parts.extensions, &parts.headers, trusted)
    }

    #[test]
    fn forwarded_for_only_behind_trusted_proxies() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        // Untrusted peer: the header is ignored.
        assert_eq!(
            resolve(&parts("203.0.113.9:5000", Some("1.2.3.4")), &trusted),
            ip("203.0.113.9")
        );
        // Trusted proxy: the rightmost untrusted hop is the client.
        assert_eq!(
            resolve(
                &parts("10.0.0.2:5000", Some("6.6.6.6, 198.51.100.7, 10.0.0.3")),
                &trusted
            ),
            ip("198.51.100.7")
        );
        // Garbage in the header stops at the last good address.
        assert_eq!(
            resolve(&parts("10.0.0.2:5000", Some("nonsense")), &trusted),
            ip("10.0.0.2")
        );
        assert_eq!(
            resolve(&parts("10.0.0.2:5000", None), &trusted),
            ip("10.0.0.2")
        );
    }
}
