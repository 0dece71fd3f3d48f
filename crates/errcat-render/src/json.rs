//! Small writers for JSON into a byte buffer.

/// Appends `s` as a JSON string literal, escaped.
#[inline]
pub(crate) fn str(buf: &mut Vec<u8>, s: &str) {
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *buf, s);
}

/// Appends `s` as an escaped JSON string, precomputed.
pub(crate) fn quoted(s: &str) -> Box<[u8]> {
    let mut buf = Vec::with_capacity(s.len() + 2);
    str(&mut buf, s);
    buf.into_boxed_slice()
}

#[inline]
pub(crate) fn int(buf: &mut Vec<u8>, i: impl itoa::Integer) {
    buf.extend_from_slice(itoa::Buffer::new().format(i).as_bytes());
}

pub(crate) fn value(buf: &mut Vec<u8>, v: &serde_json::Value) {
    let _ = serde_json::to_writer(&mut *buf, v);
}

/// Appends `"key":` for a key that needs no escaping (a literal of errcat's).
#[inline]
pub(crate) fn key(buf: &mut Vec<u8>, first: &mut bool, key: &[u8]) {
    if !std::mem::take(first) {
        buf.push(b',');
    }
    buf.push(b'"');
    buf.extend_from_slice(key);
    buf.extend_from_slice(b"\":");
}
