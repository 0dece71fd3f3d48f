//! Small writers for JSON into a byte buffer.

/// Appends `s` as a JSON string literal, escaped.
#[inline]
pub(crate) fn str(buf: &mut Vec<u8>, s: &str) {
    buf.push(b'"');
    escape(buf, s);
    buf.push(b'"');
}

/// Appends the JSON escape of `s` (without quotes), byte for byte what
/// `serde_json` writes: `"`, `\\` and control characters are escaped,
/// everything else is copied.
#[inline]
pub(crate) fn escape(buf: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    // Most texts need no escape: check all bytes without branching (the
    // compiler vectorizes this), then copy them in one go.
    let needs = bytes.iter().fold(false, |acc, &b| {
        acc | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if !needs {
        buf.extend_from_slice(bytes);
        return;
    }
    escape_slow(buf, bytes);
}

#[cold]
fn escape_slow(buf: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => {
                buf.extend_from_slice(&bytes[start..i]);
                buf.extend_from_slice(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[(b >> 4) as usize],
                    HEX[(b & 0xf) as usize],
                ]);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        buf.extend_from_slice(&bytes[start..i]);
        buf.extend_from_slice(esc);
        start = i + 1;
    }
    buf.extend_from_slice(&bytes[start..]);
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        /// The escaper writes exactly what serde_json writes.
        #[test]
        fn escape_matches_serde_json(s in any::<String>()) {
            let mut buf = Vec::new();
            super::str(&mut buf, &s);
            prop_assert_eq!(String::from_utf8(buf).unwrap(), serde_json::to_string(&s).unwrap());
        }
    }

    #[test]
    fn escapes_every_control_character() {
        let s: String = (0u8..0x20)
            .map(char::from)
            .chain(['"', '\\', '\u{7f}', 'é'])
            .collect();
        let mut buf = Vec::new();
        super::str(&mut buf, &s);
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            serde_json::to_string(&s).unwrap()
        );
    }
}
