//! W3C trace context: the trace id of a valid inbound `traceparent`, or a
//! new one, so that support can go from an error id to its trace.
//!
//! A layer outside errcat's that starts the request's trace (an
//! OpenTelemetry middleware, see `docs/tracing.md`) puts that trace's id in
//! the request's extensions as a [`TraceId`]; errors then carry the trace
//! that is exported, also when the request came without a `traceparent`.

use http::HeaderValue;
use http::header::HeaderName;

/// The W3C `traceparent` request header.
pub const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");

/// The trace a request belongs to, in its extensions: the error's trace id,
/// over the `traceparent` header's (a handler's
/// [`ErrorContext::set_trace_id`](crate::ErrorContext::set_trace_id) still
/// comes first). Only 32 lowercase hex digits, not all zero (the W3C and
/// OpenTelemetry form) count; anything else is ignored.
///
/// ```
/// # async fn otel_context(
/// #     mut req: axum::extract::Request,
/// #     next: axum::middleware::Next,
/// # ) -> axum::response::Response {
/// // In a middleware outside `ErrcatLayer`, with the request's span's trace id:
/// let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
/// req.extensions_mut().insert(errcat_axum::trace::TraceId(trace_id.to_owned()));
/// next.run(req).await
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceId(pub String);

/// Whether `id` is 32 lowercase hex digits, not all zero.
fn valid(id: &[u8]) -> bool {
    id.len() == 32
        && id
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
        && id.iter().any(|&b| b != b'0')
}

/// The trace id of a `traceparent` value, if it is a valid version-00 one:
/// `00-` 32 lowercase hex digits (not all zero) `-` 16 (not all zero) `-`
/// 2, nothing more. Anything else is ignored, never echoed.
///
/// ```
/// use errcat_axum::trace::trace_id;
/// let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
/// assert_eq!(trace_id(tp.as_bytes()), Some("4bf92f3577b34da6a3ce929d0e0e4736"));
/// assert_eq!(trace_id(b"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), None);
/// assert_eq!(trace_id(b"00-00000000000000000000000000000000-00f067aa0ba902b7-01"), None);
/// assert_eq!(trace_id(b"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"), None);
/// ```
pub fn trace_id(value: &[u8]) -> Option<&str> {
    let hex = |s: &[u8]| {
        s.iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
    };
    let nonzero = |s: &[u8]| s.iter().any(|&b| b != b'0');
    if value.len() != 55 || &value[..3] != b"00-" || value[35] != b'-' || value[52] != b'-' {
        return None;
    }
    let (trace, parent, flags) = (&value[3..35], &value[36..52], &value[53..55]);
    if !(valid(trace) && hex(parent) && hex(flags) && nonzero(parent)) {
        return None;
    }
    std::str::from_utf8(trace).ok()
}

/// The trace id of a request's [`TraceId`] extension, if valid.
pub(crate) fn from_extension(extensions: &http::Extensions) -> Option<Box<str>> {
    extensions
        .get::<TraceId>()
        .filter(|t| valid(t.0.as_bytes()))
        .map(|t| t.0.as_str().into())
}

/// The trace id of the request's one `traceparent` header, if valid.
pub(crate) fn inbound(value: Option<&HeaderValue>) -> Option<String> {
    value
        .and_then(|v| trace_id(v.as_bytes()))
        .map(str::to_owned)
}

/// A new trace id: 32 lowercase hex digits from a random UUID.
pub(crate) fn new_trace_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_valid_version_00_values_count() {
        let good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert!(trace_id(good.as_bytes()).is_some());
        let bad = [
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
            "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
            "",
        ];
        for b in bad {
            assert_eq!(trace_id(b.as_bytes()), None, "{b}");
        }
        assert_eq!(trace_id(&[b'0'; 10_000]), None);
        for (id, ok) in [
            ("4bf92f3577b34da6a3ce929d0e0e4736", true),
            ("00000000000000000000000000000000", false),
            ("4BF92F3577B34DA6A3CE929D0E0E4736", false),
            ("4bf92f3577b34da6a3ce929d0e0e47", false),
            ("", false),
        ] {
            let mut ext = http::Extensions::new();
            ext.insert(TraceId(id.to_owned()));
            assert_eq!(from_extension(&ext).is_some(), ok, "{id}");
        }
        assert_eq!(from_extension(&http::Extensions::new()), None);
        let t = new_trace_id();
        assert_eq!(t.len(), 32);
        assert!(trace_id(format!("00-{t}-00f067aa0ba902b7-01").as_bytes()).is_some());
    }
}
