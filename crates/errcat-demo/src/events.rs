//! The events batch endpoint (API key, validated with paths like
//! `events.0.type`).

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use errcat_axum::api_key::ApiKey;
use errcat_axum::validation::ValidJson;
use errcat_render::Error;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::errors;

/// What an event can be.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum EventType {
    PageView,
    Click,
    Signup,
    Purchase,
}

#[derive(Debug, Deserialize, garde::Validate)]
#[serde(deny_unknown_fields)]
pub(crate) struct Event {
    #[garde(skip)]
    #[serde(rename = "type")]
    kind: EventType,
    #[garde(length(chars, min = 1, max = crate::openapi::USER_ID_MAX))]
    user_id: String,
    /// Milliseconds since the epoch.
    #[garde(range(min = 0))]
    #[serde(deserialize_with = "crate::int::i64")]
    timestamp: i64,
    #[garde(skip)]
    #[serde(default)]
    properties: serde_json::Map<String, Value>,
}

#[derive(Debug, Deserialize, garde::Validate)]
#[serde(deny_unknown_fields)]
pub(crate) struct Batch {
    #[garde(length(min = 1, max = crate::openapi::EVENTS_MAX), dive)]
    events: Vec<Event>,
}

/// The request's API key, allowed to write events; records its id and
/// tenant for the error log before the body is read, so that a rejected
/// body is logged with them. A read-only key is refused here, from the
/// request head, before the body is read or validated (permission before
/// content).
pub(crate) struct Key;

impl<S: Send + Sync> FromRequestParts<S> for Key {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ApiKey(key) = ApiKey::from_request_parts(parts, state).await?;
        crate::record_caller(parts, key.tenant.as_deref(), &key.id);
        if key.role.as_deref() != Some("events:write") {
            return Err(errors::forbidden().with_source(format!("key {} may only read", key.id)));
        }
        Ok(Key)
    }
}

/// `POST /api/events` with `X-API-Key`: accepts 1–100 events.
pub(crate) async fn ingest(
    _key: Key,
    ValidJson(batch): ValidJson<Batch>,
) -> Result<(StatusCode, axum::Json<Value>), Error> {
    let kinds: Vec<&'static str> = batch
        .events
        .iter()
        .map(|e| match e.kind {
            EventType::PageView => "page_view",
            EventType::Click => "click",
            EventType::Signup => "signup",
            EventType::Purchase => "purchase",
        })
        .collect();
    let users: std::collections::BTreeSet<&str> =
        batch.events.iter().map(|e| e.user_id.as_str()).collect();
    let first = batch.events.iter().map(|e| e.timestamp).min();
    let properties: usize = batch.events.iter().map(|e| e.properties.len()).sum();
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(json!({
            "accepted": kinds.len(),
            "types": kinds,
            "users": users.len(),
            "first_timestamp": first,
            "properties": properties,
        })),
    ))
}
