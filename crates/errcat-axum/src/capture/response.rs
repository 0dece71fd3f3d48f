//! The response an error was sent as, made fit for the error log: what the
//! client received, with the same secrets redacted as in the request.

use bytes::Bytes;
use http::HeaderMap;

use super::{Capture, header_text, redact_cards};
use crate::event::SentResponse;

impl Capture {
    /// The response as the error log keeps it: headers in order (secret
    /// ones redacted, values cut at 512 characters) and the body exactly as
    /// sent unless it carries a secret — a JSON field with a secret name or
    /// a card number, which an application can put in a message parameter —
    /// in which case that value is replaced by [`REDACTED`](super::REDACTED).
    pub(crate) fn sent_response(
        &self,
        names: &SecretNames,
        status: u16,
        headers: &HeaderMap,
        body: Bytes,
    ) -> SentResponse {
        let headers = headers
            .iter()
            .map(|(name, value)| {
                let secret = self
                    .secret_headers
                    .iter()
                    .any(|s| s.eq_ignore_ascii_case(name.as_str()));
                (name.as_str().to_owned(), header_text(value, secret))
            })
            .collect();
        SentResponse {
            status,
            headers,
            body: self.redact_sent_body(names, body),
        }
    }

    /// The body unchanged (the same bytes, not a copy) when it holds no
    /// secret; otherwise redacted.
    fn redact_sent_body(&self, names: &SecretNames, body: Bytes) -> Bytes {
        if names.may_be_in(&body)
            && let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(&body)
        {
            let before = v.clone();
            self.redact_json(&mut v, 0);
            if v != before {
                return Bytes::from(v.to_string());
            }
        }
        let text = String::from_utf8_lossy(&body);
        match redact_cards(&text) {
            std::borrow::Cow::Borrowed(_) => body,
            std::borrow::Cow::Owned(redacted) => Bytes::from(redacted),
        }
    }
}

/// [`Capture::secret_fields`] made ready, once per layer, to search a
/// response body for.
#[derive(Clone, Debug, Default)]
pub(crate) struct SecretNames(Vec<memchr::memmem::Finder<'static>>);

impl SecretNames {
    pub(crate) fn of(capture: &Capture) -> Self {
        SecretNames(
            capture
                .secret_fields
                .iter()
                .filter(|f| !f.is_empty())
                .map(|f| memchr::memmem::Finder::new(f.as_bytes()).into_owned())
                .collect(),
        )
    }

    /// Whether a body could hold a field with a secret name: one of them
    /// appears in it (lower case, `_` and `-` left out, as field names are
    /// compared), or it has a JSON escape that could spell one. Most error
    /// bodies do not, and skip the JSON parse.
    fn may_be_in(&self, body: &[u8]) -> bool {
        if memchr::memmem::find(body, b"\\u").is_some() {
            return true;
        }
        let norm: Vec<u8> = body
            .iter()
            .filter(|b| !matches!(b, b'_' | b'-'))
            .map(u8::to_ascii_lowercase)
            .collect();
        self.0.iter().any(|f| f.find(&norm).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::REDACTED;

    #[test]
    fn a_body_without_secrets_is_kept_byte_for_byte() {
        let c = Capture::default();
        let body = Bytes::from_static(b"{\"error\":{\"message\":\"x\",  \"statusCode\":400}}");
        let sent = c.sent_response(&SecretNames::of(&c), 400, &HeaderMap::new(), body.clone());
        assert_eq!(sent.body, body);
        assert_eq!(sent.body.as_ptr(), body.as_ptr(), "not copied");
    }

    #[test]
    fn secrets_in_the_body_and_headers_are_redacted() {
        let c = Capture::default();
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", "30".parse().unwrap());
        headers.insert("x-api-key", "ek_live_123".parse().unwrap());
        let body = Bytes::from_static(
            b"{\"message\":\"card 4111111111111111 refused\",\"token\":\"abc\"}",
        );
        let sent = c.sent_response(&SecretNames::of(&c), 402, &headers, body);
        let text = std::str::from_utf8(&sent.body).unwrap();
        assert!(
            !text.contains("4111111111111111") && !text.contains("abc"),
            "{text}"
        );
        assert!(text.contains(REDACTED), "{text}");
        assert_eq!(
            sent.headers,
            vec![
                ("retry-after".to_owned(), "30".to_owned()),
                ("x-api-key".to_owned(), REDACTED.to_owned())
            ]
        );
        let escaped = c.sent_response(
            &SecretNames::of(&c),
            400,
            &HeaderMap::new(),
            Bytes::from_static(b"{\"pass\\u0077ord\":\"hunter2\"}"),
        );
        assert!(
            !std::str::from_utf8(&escaped.body)
                .unwrap()
                .contains("hunter2")
        );
        let plain = c.sent_response(
            &SecretNames::of(&c),
            500,
            &HeaderMap::new(),
            Bytes::from_static(b"pay 4111 1111 1111 1111 now"),
        );
        assert!(
            !std::str::from_utf8(&plain.body)
                .unwrap()
                .contains("1111 1111")
        );
    }
}
