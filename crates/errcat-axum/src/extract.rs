//! Extractors whose rejections are catalog errors: `Json`, `Query`, `Path`.

use axum::extract::{FromRequest, FromRequestParts, Request};
use errcat_catalog::FieldViolation;
use errcat_render::Error;
use http::request::Parts;
use serde::de::DeserializeOwned;

use crate::layer::DEFAULT_BODY_LIMIT;

/// The body limit of errcat's extractors, set by the layer in the request's
/// extensions when it is not [`DEFAULT_BODY_LIMIT`]; without one, readers
/// use [`DEFAULT_BODY_LIMIT`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyLimit(pub usize);

/// A rejection: the catalog's error for a standard role, whatever the
/// catalog calls it.
fn standard(role: &'static str) -> Error {
    Error::standard(role)
}

/// A JSON body, with rejections from the catalog:
///
/// - no `Content-Type: application/json` (or `+json`) → `unsupported_media_type` (415);
/// - a body over the [`BodyLimit`] → `payload_too_large` (413);
/// - a syntax error → `invalid_json` (400) naming the line and column;
/// - a missing field, a wrong type, an unknown enum variant, a bad number →
///   `validation_error` (400) with one field violation whose path is dotted
///   from the root (`events.0.type`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let json = req
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|m| m.trim().to_ascii_lowercase())
            .is_some_and(|m| {
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            });
        if !json {
            return Err(
                standard("unsupported_media_type").with_param("expected", "application/json")
            );
        }
        let limit = req
            .extensions()
            .get::<BodyLimit>()
            .map_or(DEFAULT_BODY_LIMIT, |l| l.0);
        let too_large = || standard("payload_too_large").with_param("limit", limit as u64);
        let declared = req
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        let bytes = match axum::body::to_bytes(req.into_body(), limit).await {
            Ok(b) => b,
            Err(e) => {
                let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&e);
                let mut is_limit = false;
                while let Some(c) = cause {
                    is_limit |= c.is::<http_body_util::LengthLimitError>();
                    cause = c.source();
                }
                return Err(if is_limit {
                    too_large()
                } else {
                    standard("invalid_json")
                        .with_param("reason", "the body could not be read")
                        .with_source(e)
                });
            }
        };
        from_json_slice(&bytes).map(Json)
    }
}

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        match serde_json::to_vec(&self.0) {
            Ok(body) => (
                [(
                    http::header::CONTENT_TYPE,
                    http::HeaderValue::from_static("application/json"),
                )],
                body,
            )
                .into_response(),
            Err(e) => standard("internal_error").with_source(e).into_response(),
        }
    }
}

/// Deserializes JSON into `T`, turning failures into catalog errors (see [`Json`]).
///
/// ```
/// #[derive(serde::Deserialize, Debug)]
/// struct Batch { events: Vec<Event> }
/// #[derive(serde::Deserialize, Debug)]
/// struct Event { #[serde(rename = "type")] kind: Kind }
/// #[derive(serde::Deserialize, Debug)]
/// #[serde(rename_all = "snake_case")]
/// enum Kind { PageView, Click }
///
/// let err = errcat_axum::from_json_slice::<Batch>(br#"{"events": [{"type": "scroll"}]}"#).unwrap_err();
/// assert_eq!(err.code(), "VALIDATION_ERROR");
/// assert_eq!(err.violations()[0].path, "events.0.type");
/// assert_eq!(err.violations()[0].reason.as_deref(), Some("unknown_variant"));
///
/// // Broken JSON is `invalid_json` even after a data error earlier in the body.
/// let err = errcat_axum::from_json_slice::<Batch>(b"{\"events\": [{\"type\": 7}").unwrap_err();
/// assert_eq!(err.code(), "INVALID_JSON");
///
/// let err = errcat_axum::from_json_slice::<Batch>(b"{\"events\": [}").unwrap_err();
/// assert_eq!(err.code(), "INVALID_JSON");
/// assert_eq!(err.param("reason").unwrap().to_text(), "expected value at line 1 column 13");
/// ```
pub fn from_json_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(v) => v,
        Err(e) => {
            // Whether the body is JSON decides, not the category of the
            // error `T` met first: a body that is not JSON is `invalid_json`
            // even when the deserializer met a data error (an unknown field,
            // a wrong type) before it reached the broken part; and a body
            // that is JSON is never `invalid_json`, even when serde_json
            // calls a wrong type a syntax error (a number where an enum
            // belongs is "expected value").
            // JSON is UTF-8 (RFC 8259 §8.1), which skipping a string with
            // `IgnoredAny` does not check.
            if let Err(utf8) = std::str::from_utf8(bytes) {
                return Err(standard("invalid_json").with_param(
                    "reason",
                    format!("invalid UTF-8 at byte {}", utf8.valid_up_to()),
                ));
            }
            return Err(
                match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
                    Err(syntax) if syntax.classify() != serde_json::error::Category::Data => {
                        standard("invalid_json").with_param("reason", syntax.to_string())
                    }
                    _ => json_error(e),
                },
            );
        }
    };
    if let Err(e) = de.end() {
        return Err(standard("invalid_json").with_param("reason", e.to_string()));
    }
    Ok(value)
}

/// The violation for an error `T` met in a body that is JSON (whatever
/// serde_json's category: the body's syntax was checked already).
fn json_error(e: serde_path_to_error::Error<serde_json::Error>) -> Error {
    let path = dotted(e.path());
    let inner = e.into_inner();
    let text = inner.to_string();
    let message = if inner.classify() == serde_json::error::Category::Data {
        strip_position(&text)
    } else if text.starts_with("recursion limit exceeded") {
        "nested too deeply: more than 128 levels".to_owned()
    } else {
        // serde_json's "expected value" for a valid value of the wrong kind
        // (a number where an enum variant belongs).
        "invalid type: a value of another type is expected here".to_owned()
    };
    let reason = reason_of(&message);
    let path = match (path.as_str(), reason) {
        // A missing field is reported on its object; name the field itself.
        (p, "missing_field") => join(p, &between_backticks(&message).unwrap_or_default()),
        (p, _) => p.to_owned(),
    };
    one_violation(path, "$", message, reason)
}

/// The catalog's `validation_error` with one violation at `path` (`root`
/// when the path is empty).
fn one_violation(path: String, root: &str, message: String, reason: &str) -> Error {
    standard("validation_error").with_violations([FieldViolation {
        path: if path.is_empty() {
            root.to_owned()
        } else {
            path
        },
        message,
        reason: Some(reason.to_owned()),
    }])
}

fn join(base: &str, field: &str) -> String {
    match (base.is_empty(), field.is_empty()) {
        (true, _) => field.to_owned(),
        (false, true) => base.to_owned(),
        (false, false) => format!("{base}.{field}"),
    }
}

fn between_backticks(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let end = message[start..].find('`')? + start;
    Some(message[start..end].to_owned())
}

/// `events[0].type` → `events.0.type`.
fn dotted(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        let part = match seg {
            Segment::Seq { index } => index.to_string(),
            Segment::Map { key } => key.clone(),
            Segment::Enum { variant } => variant.clone(),
            Segment::Unknown => "?".to_owned(),
        };
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(&part);
    }
    out
}

/// serde's message without " at line L column C" (the path says where).
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// A machine-readable reason from a serde message.
fn reason_of(message: &str) -> &'static str {
    if message.starts_with("missing field") {
        "missing_field"
    } else if message.starts_with("unknown variant") {
        "unknown_variant"
    } else if message.starts_with("unknown field") {
        "unknown_field"
    } else if message.starts_with("invalid type") {
        "invalid_type"
    } else if message.starts_with("invalid length") {
        "invalid_length"
    } else if message.starts_with("duplicate field") {
        "duplicate_field"
    } else if message.starts_with("nested too deeply") {
        "too_deep"
    } else {
        "invalid_value"
    }
}

/// A query string, with rejections from the catalog: `validation_error`
/// (400) with a field violation per bad parameter.
#[derive(Clone, Copy, Debug, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(Query)
            .map_err(|e| {
                let path = dotted(e.path());
                let message = e.into_inner().to_string();
                let reason = reason_of(&message);
                let path = if reason == "missing_field" {
                    between_backticks(&message).unwrap_or(path)
                } else {
                    path
                };
                one_violation(path, "query", message, reason)
            })
    }
}

/// Path parameters, with rejections from the catalog: `validation_error`
/// (400) with a field violation named after the parameter.
#[derive(Clone, Copy, Debug, Default)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::path::ErrorKind;
        use axum::extract::rejection::PathRejection;
        let names: Vec<String> =
            match axum::extract::RawPathParams::from_request_parts(parts, state).await {
                Ok(raw) => raw.iter().map(|(k, _)| k.to_owned()).collect(),
                Err(_) => Vec::new(),
            };
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                let message = e.body_text();
                let (path, reason) = match e.kind() {
                    ErrorKind::ParseErrorAtKey { key, .. }
                    | ErrorKind::DeserializeError { key, .. } => (key.clone(), "invalid_value"),
                    ErrorKind::InvalidUtf8InPathParam { key } => (key.clone(), "invalid_utf8"),
                    ErrorKind::ParseErrorAtIndex { index, .. } => {
                        (index.to_string(), "invalid_value")
                    }
                    _ if names.len() == 1 => (names[0].clone(), "invalid_value"),
                    _ => ("path".to_owned(), "invalid_value"),
                };
                let message = message
                    .split_once(": ")
                    .map_or(message.clone(), |(_, m)| m.to_owned());
                Err(
                    standard("validation_error").with_violations([FieldViolation {
                        path,
                        message,
                        reason: Some(reason.to_owned()),
                    }]),
                )
            }
            Err(other) => {
                Err(standard("internal_error")
                    .with_source(std::io::Error::other(other.body_text())))
            }
        }
    }
}
