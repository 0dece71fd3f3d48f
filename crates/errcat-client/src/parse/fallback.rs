//! Bodies of no envelope of the catalog: AIP-193's details and the
//! common JSON shapes (`code`, `message`, `error`…).

use std::time::Duration;

use errcat_catalog::FieldViolation;
use serde_json::Value;

use super::{ApiError, Format};

/// AIP-193 details: `ErrorInfo`, `BadRequest`, `RetryInfo`, `RequestInfo`.
pub(super) fn google_details(details: &Value, e: &mut ApiError) {
    let Value::Array(items) = details else { return };
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    for item in items {
        let ty = item.get("@type").and_then(Value::as_str).unwrap_or("");
        let ty = ty.rsplit('.').next().unwrap_or("");
        match ty {
            "ErrorInfo" => {
                e.code = s(item, "reason");
                if let Some(m) = item.get("metadata") {
                    e.category = s(m, "category");
                    e.error_id = s(m, "error_id");
                    e.numeric_code = s(m, "numeric_code").and_then(|n| n.parse().ok());
                }
            }
            "BadRequest" => {
                if let Some(Value::Array(vs)) = item.get("fieldViolations") {
                    e.violations = vs
                        .iter()
                        .map(|v| FieldViolation {
                            path: s(v, "field").unwrap_or_default(),
                            message: s(v, "description").unwrap_or_default(),
                            reason: s(v, "reason"),
                        })
                        .collect();
                }
            }
            "RetryInfo" => {
                e.retry_after = item
                    .get("retryDelay")
                    .and_then(Value::as_str)
                    .and_then(|d| d.strip_suffix('s'))
                    .and_then(|d| d.parse::<f64>().ok())
                    .filter(|d| d.is_finite() && *d >= 0.0)
                    .map(|d| Duration::from_secs_f64(d.min(1e12)));
            }
            "RequestInfo" => e.request_id = s(item, "requestId"),
            _ => {}
        }
    }
}

/// Some other JSON error: `code`/`error_code`, `message`/`error`/`detail`,
/// `request_id`, at the top or under `error`. Fills only what `e` lacks.
pub(super) fn generic_json(body: &[u8], e: &mut ApiError) -> Format {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return Format::Unreadable;
    };
    let s = |v: &Value, keys: &[&str]| {
        keys.iter().find_map(|k| match v.get(k)? {
            Value::String(s) => Some(s.clone()),
            _ => None,
        })
    };
    let inner = match v.get("error") {
        Some(o @ Value::Object(_)) => o,
        _ => &v,
    };
    if e.code.is_none() {
        e.code = s(inner, &["code", "error_code", "errorCode"]);
    }
    if e.numeric_code.is_none() {
        e.numeric_code = inner.get("code").and_then(Value::as_i64);
    }
    if e.message.is_none() {
        e.message = s(
            inner,
            &[
                "message",
                "detail",
                "error_description",
                "description",
                "title",
            ],
        )
        .or_else(|| s(&v, &["error", "message"]));
    }
    if e.request_id.is_none() {
        e.request_id =
            s(inner, &["request_id", "requestId"]).or_else(|| s(&v, &["request_id", "requestId"]));
    }
    Format::Json
}
