//! Escaping and query strings.
//!
//! Everything the console shows from the error log is attacker-controlled
//! (paths, headers, user agents, causes): it goes through [`esc`] in text and
//! attributes, and through [`pct`] inside links.

use std::fmt::Write as _;

/// HTML-escapes `s` for text and for quoted attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    esc_into(&mut out, s);
    out
}

/// Appends `s`, HTML-escaped, to `out` (control characters show as
/// U+FFFD).
pub(crate) use errcat_docs::escape_html_into as esc_into;

/// Percent-encodes everything but RFC 3986 unreserved characters, for a
/// query value, a path segment or a fragment.
pub fn pct(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Decodes `%XX` and `+` (a query value); invalid escapes are kept as they are.
pub(crate) fn pct_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The `name=value` pairs of a raw query string, decoded, in order.
pub(crate) fn parse_query(raw: Option<&str>) -> Vec<(String, String)> {
    raw.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (n, v) = p.split_once('=').unwrap_or((p, ""));
            (pct_decode(n), pct_decode(v))
        })
        .collect()
}

/// The first non-empty value of `name`, trimmed.
pub(crate) fn param<'q>(q: &'q [(String, String)], name: &str) -> Option<&'q str> {
    q.iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.trim())
        .find(|v| !v.is_empty())
}

/// A query string (`?a=1&b=2`, or empty) from pairs; values are percent-encoded.
pub(crate) fn query_string<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (n, v) in pairs {
        out.push(if out.is_empty() { '?' } else { '&' });
        out.push_str(&pct(n));
        out.push('=');
        out.push_str(&pct(v));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text_and_attributes() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(esc("a\u{0}b\u{1b}c\td"), "a\u{FFFD}b\u{FFFD}c\td");
    }

    #[test]
    fn percent_encodes_all_but_unreserved() {
        assert_eq!(pct("AUTH_FAILED"), "AUTH_FAILED");
        assert_eq!(pct("a b&c=d#\"<>/é"), "a%20b%26c%3Dd%23%22%3C%3E%2F%C3%A9");
        assert_eq!(pct_decode("a%20b%26c+d%zz%4"), "a b&c d%zz%4");
        assert_eq!(pct_decode(&pct("x/é &\"")), "x/é &\"");
        assert_eq!(pct_decode("%41"), "A");
    }

    #[test]
    fn parses_queries() {
        let q = parse_query(Some("id=a%2Fb&code=&code=X&flag"));
        assert_eq!(
            q,
            vec![
                ("id".to_owned(), "a/b".to_owned()),
                ("code".to_owned(), String::new()),
                ("code".to_owned(), "X".to_owned()),
                ("flag".to_owned(), String::new()),
            ]
        );
        assert_eq!(param(&q, "code"), Some("X"));
        assert_eq!(param(&q, "flag"), None);
        assert_eq!(query_string([("a", "1 2"), ("b", "&")]), "?a=1%202&b=%26");
        assert_eq!(query_string([]), "");
    }
}
