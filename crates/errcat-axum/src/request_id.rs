//! Request ids: echoed when safe, generated otherwise.

use std::fmt;
use std::sync::Arc;

/// The id of a request, in its extensions and its response's `X-Request-Id`.
///
/// An inbound id is kept only if it is 1 to 128 visible ASCII characters;
/// anything else (CR/LF, spaces, control or non-ASCII bytes, 10 KB) is
/// replaced by a new id, so that logs and responses never carry what a
/// client smuggled in.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RequestId(pub(crate) Arc<str>);

impl RequestId {
    /// The longest inbound id that is echoed.
    pub const MAX_LEN: usize = 128;

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
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
        f.write_str(&self.0)
    }
}
