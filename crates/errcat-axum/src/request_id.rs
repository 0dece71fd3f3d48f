//! Request ids: echoed when safe, generated otherwise.

use std::fmt;

use errcat_catalog::IdScheme;
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

    /// A new id in `scheme`, the catalog's scheme of error ids.
    ///
    /// A UUIDv7 (the default scheme) is made with the generator
    /// `errcat_render::id::new_id` uses, and written into a buffer that the
    /// header value owns: one allocation, shared by the id's clones (in the
    /// request's extensions, the layer's log fields and the response header)
    /// rather than a `String` and then a second allocation at the first clone.
    pub(crate) fn generate(scheme: IdScheme) -> Self {
        if scheme == IdScheme::UuidV7 {
            let mut text = UuidText([0; uuid::fmt::Hyphenated::LENGTH]);
            uuid::Uuid::now_v7().hyphenated().encode_lower(&mut text.0);
            if let Ok(value) = HeaderValue::from_maybe_shared(bytes::Bytes::from_owner(text)) {
                return RequestId(value);
            }
        }
        Self::generated(errcat_render::id::new_id(scheme))
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

/// A hyphenated UUID's text, owned by the `Bytes` of a header value.
struct UuidText([u8; uuid::fmt::Hyphenated::LENGTH]);

impl AsRef<[u8]> for UuidText {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_follow_the_scheme() {
        let a = RequestId::generate(IdScheme::UuidV7);
        let b = RequestId::generate(IdScheme::UuidV7);
        assert_ne!(a, b);
        for id in [&a, &b] {
            let s = id.as_str();
            assert_eq!(s.len(), 36, "{s}");
            assert_eq!(&s[14..15], "7", "version 7: {s}");
            assert!(uuid::Uuid::parse_str(s).is_ok(), "{s}");
            assert!(RequestId::is_safe(s.as_bytes()));
        }
        // Time-ordered, like the error ids.
        assert!(a.as_str() < b.as_str());
        assert_eq!(RequestId::generate(IdScheme::Ulid).as_str().len(), 26);
        assert!(
            RequestId::generate(IdScheme::Decimal63)
                .as_str()
                .parse::<u64>()
                .is_ok()
        );
    }
}
