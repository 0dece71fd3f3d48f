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
#[derive(Clone)]
pub struct RequestId(Repr);

#[derive(Clone)]
enum Repr {
    /// A generated id, kept inline: copies of it (the request's extension,
    /// the layer's own) are plain copies, without a shared buffer whose
    /// reference count every clone and drop would touch.
    Generated { len: u8, text: [u8; GENERATED_MAX] },
    /// An id in a header value's shared bytes: a safe inbound id (those
    /// of the request header), or a generated one too long to keep inline.
    Shared(HeaderValue),
}

/// The longest generated id: a hyphenated UUID (ULIDs have 26 characters,
/// 63-bit decimals at most 19).
const GENERATED_MAX: usize = uuid::fmt::Hyphenated::LENGTH;

impl RequestId {
    /// The longest inbound id that is echoed.
    pub const MAX_LEN: usize = 128;

    /// The id as text.
    pub fn as_str(&self) -> &str {
        // Only visible ASCII is ever stored (checked inbound, generated ids are ASCII).
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }

    fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Generated { len, text } => &text[..usize::from(*len)],
            Repr::Shared(value) => value.as_bytes(),
        }
    }

    /// The id as a header value.
    pub fn header_value(&self) -> HeaderValue {
        match &self.0 {
            Repr::Generated { .. } => HeaderValue::from_bytes(self.as_bytes())
                .unwrap_or_else(|_| HeaderValue::from_static("invalid")),
            Repr::Shared(value) => value.clone(),
        }
    }

    /// An inbound id, already checked with [`RequestId::is_safe`].
    pub(crate) fn inbound(value: HeaderValue) -> Self {
        RequestId(Repr::Shared(value))
    }

    /// A new id in `scheme`, the catalog's scheme of error ids, made with
    /// the generator of `errcat_render::id`.
    pub(crate) fn generate(scheme: IdScheme) -> Self {
        if scheme == IdScheme::UuidV7 {
            let mut text = [0; GENERATED_MAX];
            errcat_render::id::uuid_v7()
                .hyphenated()
                .encode_lower(&mut text);
            return RequestId(Repr::Generated {
                len: GENERATED_MAX as u8,
                text,
            });
        }
        Self::generated(errcat_render::id::new_id(scheme))
    }

    /// A new id from text that is known to be safe.
    fn generated(id: String) -> Self {
        let mut text = [0; GENERATED_MAX];
        match text.get_mut(..id.len()) {
            Some(room) => {
                room.copy_from_slice(id.as_bytes());
                RequestId(Repr::Generated {
                    len: id.len() as u8,
                    text,
                })
            }
            None => RequestId(Repr::Shared(
                HeaderValue::from_maybe_shared(bytes::Bytes::from(id))
                    .unwrap_or_else(|_| HeaderValue::from_static("invalid")),
            )),
        }
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

impl PartialEq for RequestId {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for RequestId {}

impl std::hash::Hash for RequestId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RequestId").field(&self.as_str()).finish()
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
        // The header carries the same text; an inbound id with that text is
        // the same id.
        assert_eq!(a.header_value(), a.as_str());
        assert_eq!(a, RequestId::inbound(a.header_value()));
        assert_ne!(a, b);
        assert_eq!(format!("{a:?}"), format!("RequestId({:?})", a.as_str()));
        assert_eq!(RequestId::generate(IdScheme::Ulid).as_str().len(), 26);
        assert!(
            RequestId::generate(IdScheme::Decimal63)
                .as_str()
                .parse::<u64>()
                .is_ok()
        );
    }
}
