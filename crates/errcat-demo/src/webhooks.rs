//! Incoming webhooks (signed), outgoing webhook delivery (with a timeout),
//! the demo's webhook receiver, and integration syncs (an upstream call).

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use errcat_axum::upstream::Upstream;
use errcat_axum::webhook::VerifiedBody;
use errcat_axum::{Json, Path, Query};
use errcat_render::Error;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::{Admin, Authorized, Editor};
use crate::errors;
use crate::state::{AppState, Endpoint};

/// `POST /api/webhooks/shopify` and `/api/webhooks/stripe`: the body is
/// accepted only with a valid signature of the provider's secret.
pub(crate) async fn incoming(VerifiedBody(body): VerifiedBody) -> axum::Json<Value> {
    axum::Json(json!({"received": true, "bytes": body.len()}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewEndpoint {
    url: String,
    #[serde(default, deserialize_with = "crate::int::opt_u64")]
    timeout_ms: Option<u64>,
}

/// Only the demo's own machine receives deliveries: a reference API that
/// posts to any URL it is given would be an open proxy.
fn allowed_url(url: &str) -> bool {
    ["http://127.0.0.1:", "http://localhost:"]
        .iter()
        .any(|p| url.starts_with(p))
        && url.chars().count() <= crate::openapi::URL_MAX
        && !url.contains(['@', ' ', '\r', '\n'])
}

/// `POST /api/webhook-endpoints` (admin): register where events are sent.
pub(crate) async fn create_endpoint(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<Admin>,
    Json(body): Json<NewEndpoint>,
) -> Result<(StatusCode, axum::Json<Value>), Error> {
    let max = u64::try_from(state.config().webhook_timeout.as_millis()).unwrap_or(u64::MAX);
    let mut invalid = errors::validation_error();
    let mut bad = false;
    if !allowed_url(&body.url) {
        bad = true;
        invalid = invalid.with_violation(
            "url",
            "must be an http://127.0.0.1:PORT/ or http://localhost:PORT/ URL",
        );
    }
    let timeout_ms = body.timeout_ms.unwrap_or(max);
    if !(1..=max).contains(&timeout_ms) {
        bad = true;
        invalid = invalid.with_violation("timeout_ms", format!("must be between 1 and {max}"));
    }
    if bad {
        return Err(invalid);
    }
    let mut db = state.db();
    let endpoint = Endpoint {
        id: db.next("whe"),
        team: caller.team.clone(),
        url: body.url,
        timeout_ms,
    };
    let out = json!({"id": endpoint.id, "url": endpoint.url, "timeout_ms": endpoint.timeout_ms});
    db.endpoints.push(endpoint);
    Ok((StatusCode::CREATED, axum::Json(out)))
}

/// `POST /api/webhook-endpoints/{id}/test` (admin): delivers a test event
/// now. The endpoint failing is `EXTERNAL_SERVICE_ERROR` (502); not
/// answering within its timeout is `UPSTREAM_TIMEOUT` (504).
pub(crate) async fn test_endpoint(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<Admin>,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, Error> {
    let found = state.db().endpoints.iter().find(|e| e.id == id).cloned();
    let endpoint = errcat_axum::roles::scoped(found, |e| &e.team, &caller.team)?;
    let upstream = Upstream::named(
        format!("webhook {}", endpoint.id),
        Duration::from_millis(endpoint.timeout_ms),
    );
    let event = json!({"type": "webhook.test", "team": caller.team});
    let status = upstream
        .call(async {
            let response = state
                .0
                .http
                .post(&endpoint.url)
                .header("content-type", "application/json")
                .body(event.to_string())
                .send()
                .await?;
            let status = response.status();
            if status.is_success() {
                Ok::<u16, BoxError>(status.as_u16())
            } else {
                Err(format!("{} answered {status}", endpoint.url).into())
            }
        })
        .await?;
    Ok(axum::Json(
        json!({"delivered": true, "endpoint": endpoint.id, "status": status}),
    ))
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SinkParams {
    delay_ms: Option<u64>,
    status: Option<u16>,
}

/// `POST /api/webhook-sink?delay_ms=N&status=S`: a receiver for trying
/// deliveries — answers `S` (default 200) after `N` ms (at most 35 s).
pub(crate) async fn sink(Query(p): Query<SinkParams>) -> Result<StatusCode, Error> {
    let status = match p.status {
        None => StatusCode::OK,
        Some(s) => StatusCode::from_u16(s)
            .ok()
            .filter(|s| s.is_success() || s.is_server_error() || s.is_client_error())
            .ok_or_else(|| {
                errors::validation_error().with_violation("status", "must be 200-599")
            })?,
    };
    let delay = p.delay_ms.unwrap_or(0).min(35_000);
    tokio::time::sleep(Duration::from_millis(delay)).await;
    Ok(status)
}

/// `POST /api/integrations/{provider}/sync` (editor): pulls from a
/// third-party API. Mailchimp is down in the demo, so its sync answers
/// `EXTERNAL_SERVICE_ERROR` with the provider's failure in the log only.
pub(crate) async fn sync_integration(
    _editor: Authorized<Editor>,
    Path(provider): Path<String>,
) -> Result<axum::Json<Value>, Error> {
    const LIMIT: Duration = Duration::from_secs(5);
    let synced = match provider.as_str() {
        "shopify" => {
            Upstream::new("shopify", LIMIT)
                .call(async { Ok::<_, BoxError>(12) })
                .await?
        }
        "stripe" => {
            Upstream::new("stripe", LIMIT)
                .call(async { Ok::<_, BoxError>(3) })
                .await?
        }
        "mailchimp" => {
            Upstream::new("mailchimp", LIMIT)
                .call(async {
                    Err::<u32, BoxError>(
                        "GET https://us21.api.mailchimp.test/3.0/lists: 503 Service Unavailable"
                            .into(),
                    )
                })
                .await?
        }
        _ => return Err(errors::not_found().with_source(format!("no integration {provider:?}"))),
    };
    Ok(axum::Json(json!({"provider": provider, "synced": synced})))
}
