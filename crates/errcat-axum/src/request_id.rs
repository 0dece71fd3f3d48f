//! Request ids: echoed when safe, generated otherwise.

use std::fmt;

use http::HeaderValue;

/// The id of a request, in its extensions and its response's `X-Request-Id`.
///
/// An inbound id is kept only if it is 1 to 128 visible ASCII characters;
/// anything else (CR/LF, spaces, control or non-ASCII bytes, 10 KB) is
/// replaced by a new id, so that logs and responses never carry what a
/// client smuggled in.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RequestId(pub(crate) HeaderValue);

impl RequestId {
    /// The longest inbound id that is echoed.
    pub const MAX_LEN: usize = 128;

    /// The id as text.
    pub fn as_str(&self) -> &str {
        // Only visible ASCII is ever stored (checked inbound, generated ids are ASCII).
        self.0.to_str().unwrap_or_default()
    }

    /// The id as a header value (a cheap clone).
    pub fn header_value(&self) -> HeaderValue {
        self.0.clone()
    }

    /// A new id from text that is known to be safe.
    pub(crate) fn generated(id: String) -> Self {
        let value = HeaderValue::from_maybe_shared(bytes::Bytes::from(id))
            .unwrap_or_else(|_| HeaderValue::from_static("invalid"));
        RequestId(value)
    }

    /// Whether an inbound value may be used as the request id.
    ///
    /// ```
    /// use errcat_axum::RequestId;
    ///
    /// assert!(RequestId::is_safe(b"req-7f3a"));
    /// assert!(!RequestId::is_safe(b"a\r\nSet-Cookie: x"));
    /// assert!(!RequestId::is_safe(b"has space"));
    /// assert!(!RequestId::is_safe(&[b'a'; 129]));
    /// ```
    pub fn is_safe(value: &[u8]) -> bool {
        !value.is_empty()
            && value.len() <= Self::MAX_LEN
            && value.iter().all(|b| (0x21..=0x7e).contains(b))
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
