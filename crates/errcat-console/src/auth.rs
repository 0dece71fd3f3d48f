//! The console token: `Authorization: Bearer T`, a `?token=T` that becomes a
//! cookie, compared in constant time.

use axum::http::{HeaderMap, header};
use subtle::ConstantTimeEq;

use crate::html::{pct, pct_decode};

/// The cookie that carries the token after `?token=T`.
pub(crate) const COOKIE: &str = "errcat_console_token";

/// Whether `given` is `expected`, in time independent of where they differ.
pub(crate) fn token_eq(given: &str, expected: &str) -> bool {
    bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

/// What a request presents: a bearer token, else the console cookie.
pub(crate) fn presented(headers: &HeaderMap) -> Option<String> {
    let bearer = headers
        .get_all(header::AUTHORIZATION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| rest.trim().to_owned())
        });
    bearer.or_else(|| {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|c| {
                let (n, v) = c.trim().split_once('=')?;
                (n == COOKIE).then(|| pct_decode(v))
            })
    })
}

/// The `Set-Cookie` value that remembers `token` for this browser session.
pub(crate) fn set_cookie(token: &str) -> String {
    format!("{COOKIE}={}; Path=/; HttpOnly; SameSite=Strict", pct(token))
}

/// A new random token: 24 bytes from the OS, as 48 hex digits.
///
/// # Panics
///
/// If the operating system has no random source.
pub fn random_token() -> String {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in pairs {
            h.append(n.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn compares_tokens() {
        assert!(token_eq("s3cret", "s3cret"));
        assert!(!token_eq("s3cre", "s3cret"));
        assert!(!token_eq("s3crex", "s3cret"));
        assert!(!token_eq("", "s3cret"));
    }

    #[test]
    fn reads_bearer_then_cookie() {
        assert_eq!(
            presented(&headers(&[(header::AUTHORIZATION, "Bearer abc ")])),
            Some("abc".to_owned())
        );
        assert_eq!(
            presented(&headers(&[(header::AUTHORIZATION, "bearer abc")])),
            Some("abc".to_owned())
        );
        assert_eq!(
            presented(&headers(&[(header::AUTHORIZATION, "Basic YWJj")])),
            None
        );
        assert_eq!(
            presented(&headers(&[(
                header::COOKIE,
                "a=1; errcat_console_token=x%20y; b=2"
            )])),
            Some("x y".to_owned())
        );
        assert_eq!(
            presented(&headers(&[
                (header::COOKIE, "errcat_console_token=fromcookie"),
                (header::AUTHORIZATION, "Bearer frombearer"),
            ])),
            Some("frombearer".to_owned())
        );
        assert_eq!(presented(&HeaderMap::new()), None);
    }

    #[test]
    fn cookie_round_trips_and_is_strict() {
        let c = set_cookie("a b;c");
        assert_eq!(
            c,
            "errcat_console_token=a%20b%3Bc; Path=/; HttpOnly; SameSite=Strict"
        );
        let value = c.split(';').next().unwrap();
        assert_eq!(
            presented(&headers(&[(header::COOKIE, value)])),
            Some("a b;c".to_owned())
        );
    }

    #[test]
    fn random_tokens_are_long_and_differ() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 48);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
