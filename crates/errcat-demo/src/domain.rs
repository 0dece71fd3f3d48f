//! Templates, objects and wallets (tenant-scoped, role-checked), the
//! maintenance switch, health, and the panic demonstration.

use std::collections::BTreeMap;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use errcat_axum::roles::scoped_with;
use errcat_axum::{Json, Path, Query};
use errcat_render::Error;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::{Admin, Authorized, Caller, Editor, Viewer};
use crate::errors;
use crate::openapi::{NAME_TRIMMED, PAGE_MAX, TEMPLATE_NAME_MAX};
use crate::state::{AppState, Object, Template};

/// `GET /`: where things are.
pub(crate) async fn index() -> axum::Json<Value> {
    axum::Json(json!({
        "name": "errcat reference API",
        "api": "/api",
        "health": "/api/health",
        "openapi": "/api/openapi.json",
        "errors": "/errors",
        "console": "/console",
    }))
}

/// `GET /api/health`.
pub(crate) async fn health() -> axum::Json<Value> {
    axum::Json(json!({"status": "ok"}))
}

/// `GET /api/debug/panic`: a handler that panics, to show that the client
/// gets the catalog's `INTERNAL_ERROR` with ids only while the panic message
/// and location go to the error log, and that the server keeps serving.
pub(crate) async fn panic() -> &'static str {
    let ledger: Vec<u64> = Vec::new();
    // Indexing an empty ledger: the kind of bug a panic handler exists for.
    let first = ledger[0];
    if first > 0 { "unreachable" } else { "ok" }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Maintenance {
    enabled: bool,
    #[serde(default, deserialize_with = "crate::int::opt_u64")]
    retry_after: Option<u64>,
}

/// `PUT /api/admin/maintenance` (admin): while enabled, every write except
/// this one and sign-in answers `SERVICE_UNAVAILABLE` with `Retry-After`.
pub(crate) async fn set_maintenance(
    State(state): State<AppState>,
    _admin: Authorized<Admin>,
    Json(body): Json<Maintenance>,
) -> Result<axum::Json<Value>, Error> {
    let retry_after = body.retry_after.unwrap_or(60).clamp(1, 3600);
    state.set_maintenance(body.enabled.then_some(retry_after));
    Ok(axum::Json(
        json!({"maintenance": body.enabled, "retry_after": retry_after}),
    ))
}

/// Refuses writes during maintenance.
pub(crate) async fn maintenance_gate(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let exempt = path.ends_with("/admin/maintenance") || path.contains("/auth/");
    let write = !matches!(*request.method(), Method::GET | Method::HEAD);
    match state.maintenance() {
        Some(retry_after) if write && !exempt => errors::service_unavailable()
            .with_retry_after(retry_after)
            .with_source("maintenance mode is on")
            .into_response(),
        _ => next.run(request).await,
    }
}

fn template_json(t: &Template) -> Value {
    json!({"id": t.id, "name": t.name, "schema": t.schema})
}

fn object_json(o: &Object) -> Value {
    json!({
        "id": o.id,
        "template_id": o.template_id,
        "wallet": o.wallet,
        "properties": o.properties,
        "locked": o.locked,
        "burned": o.burned,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Page {
    limit: Option<u32>,
}

/// `GET /api/templates?limit=N` (viewer).
pub(crate) async fn list_templates(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<Viewer>,
    Query(page): Query<Page>,
) -> Result<axum::Json<Value>, Error> {
    let limit = page.limit.unwrap_or(50);
    if !(1..=PAGE_MAX).contains(&limit) {
        return Err(errors::validation_error()
            .with_violation("limit", format!("must be between 1 and {PAGE_MAX}")));
    }
    let db = state.db();
    let items: Vec<Value> = db
        .templates
        .iter()
        .filter(|t| t.team == caller.team)
        .take(limit as usize)
        .map(template_json)
        .collect();
    Ok(axum::Json(json!({ "templates": items })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewTemplate {
    name: String,
    schema: BTreeMap<String, String>,
}

const TYPES: [&str; 4] = ["string", "integer", "number", "boolean"];

fn check_schema(schema: &BTreeMap<String, String>) -> Result<(), Error> {
    if schema.is_empty() {
        return Err(errors::invalid_template_schema(
            "the schema has no properties",
        ));
    }
    for (name, ty) in schema {
        let ok_name = (1..=64).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok_name {
            return Err(errors::invalid_template_schema(
                "property names are 1-64 characters of a-z, 0-9 and _",
            ));
        }
        if !TYPES.contains(&ty.as_str()) {
            return Err(errors::invalid_template_schema(
                "property types are string, integer, number or boolean",
            ));
        }
    }
    Ok(())
}

/// `POST /api/templates` (editor).
pub(crate) async fn create_template(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<Editor>,
    Json(body): Json<NewTemplate>,
) -> Result<(StatusCode, axum::Json<Value>), Error> {
    let name = body.name.trim_matches(NAME_TRIMMED);
    if name.is_empty() || body.name.chars().count() > TEMPLATE_NAME_MAX {
        return Err(errors::validation_error().with_violation(
            "name",
            format!("must be 1-{TEMPLATE_NAME_MAX} characters, not only spaces"),
        ));
    }
    check_schema(&body.schema)?;
    let mut db = state.db();
    if db
        .templates
        .iter()
        .any(|t| t.team == caller.team && t.name.eq_ignore_ascii_case(name))
    {
        return Err(errors::duplicate_template_name(name.to_owned()));
    }
    let template = Template {
        id: db.next("tpl"),
        team: caller.team.clone(),
        name: name.to_owned(),
        schema: body.schema,
    };
    let out = template_json(&template);
    db.templates.push(template);
    Ok((StatusCode::CREATED, axum::Json(out)))
}

fn find_template(state: &AppState, caller: &Caller, id: &str) -> Result<Template, Error> {
    let found = state.db().templates.iter().find(|t| t.id == id).cloned();
    scoped_with(
        found,
        |t| &t.team,
        &caller.team,
        || errors::template_not_found(id.to_owned()),
    )
}

/// `GET /api/templates/{id}` (viewer).
pub(crate) async fn get_template(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<Viewer>,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, Error> {
    Ok(axum::Json(template_json(&find_template(
        &state, &caller, &id,
    )?)))
}

/// `DELETE /api/templates/{id}` (admin): refused while objects use it.
pub(crate) async fn delete_template(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<Admin>,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    let template = find_template(&state, &caller, &id)?;
    let mut db = state.db();
    let in_use = db
        .objects
        .iter()
        .filter(|o| o.template_id == template.id && !o.burned)
        .count();
    if in_use > 0 {
        return Err(errors::template_in_use(template.id, in_use as i64));
    }
    db.templates.retain(|t| t.id != template.id);
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/wallets` (viewer).
pub(crate) async fn list_wallets(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<Viewer>,
) -> Result<axum::Json<Value>, Error> {
    let db = state.db();
    let wallets: Vec<&str> = db
        .wallets
        .iter()
        .filter(|(_, team)| *team == caller.team)
        .map(|(id, _)| id.as_str())
        .collect();
    Ok(axum::Json(json!({ "wallets": wallets })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewObject {
    template_id: String,
    wallet: String,
    #[serde(default)]
    properties: serde_json::Map<String, Value>,
}

fn type_fits(ty: &str, v: &Value) -> bool {
    match ty {
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        _ => false,
    }
}

/// `POST /api/objects` (editor): mint an object from a template; its
/// properties are validated against the template's schema.
pub(crate) async fn create_object(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<Editor>,
    Json(body): Json<NewObject>,
) -> Result<(StatusCode, axum::Json<Value>), Error> {
    let template = find_template(&state, &caller, &body.template_id)?;
    let mut violations = errors::validation_error();
    let mut bad = false;
    for (name, value) in &body.properties {
        match template.schema.get(name) {
            None => {
                bad = true;
                violations = violations
                    .with_violation(format!("properties.{name}"), "not in the template's schema");
            }
            Some(ty) if !type_fits(ty, value) => {
                bad = true;
                violations = violations
                    .with_violation(format!("properties.{name}"), format!("must be a {ty}"));
            }
            Some(_) => {}
        }
    }
    if bad {
        return Err(violations);
    }
    let mut db = state.db();
    if !db
        .wallets
        .iter()
        .any(|(id, team)| *id == body.wallet && *team == caller.team)
    {
        return Err(errors::wallet_not_found(body.wallet));
    }
    let object = Object {
        id: db.next("obj"),
        team: caller.team.clone(),
        template_id: template.id,
        properties: Value::Object(body.properties),
        wallet: body.wallet,
        locked: false,
        burned: false,
    };
    let out = object_json(&object);
    db.objects.push(object);
    Ok((StatusCode::CREATED, axum::Json(out)))
}

/// Runs `f` on the caller's object `id`, or answers `OBJECT_NOT_FOUND`.
fn with_object<T>(
    state: &AppState,
    caller: &Caller,
    id: &str,
    f: impl FnOnce(&mut Object, &[(String, String)]) -> Result<T, Error>,
) -> Result<T, Error> {
    let mut db = state.db();
    let db = &mut *db;
    let found = db.objects.iter_mut().find(|o| o.id == id);
    let object = scoped_with(
        found,
        |o| &o.team,
        &caller.team,
        || errors::object_not_found(id.to_owned()),
    )?;
    f(object, &db.wallets)
}

/// `GET /api/objects/{id}` (viewer).
pub(crate) async fn get_object(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<Viewer>,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, Error> {
    with_object(&state, &caller, &id, |o, _| Ok(axum::Json(object_json(o))))
}

fn live(o: &Object) -> Result<(), Error> {
    if o.burned {
        return Err(errors::state_violation().with_source(format!("object {} is burned", o.id)));
    }
    Ok(())
}

/// `POST /api/objects/{id}/lock` (editor).
pub(crate) async fn lock_object(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<Editor>,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, Error> {
    set_lock(&state, &caller, &id, true)
}

/// `POST /api/objects/{id}/unlock` (editor).
pub(crate) async fn unlock_object(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<Editor>,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, Error> {
    set_lock(&state, &caller, &id, false)
}

fn set_lock(
    state: &AppState,
    caller: &Caller,
    id: &str,
    locked: bool,
) -> Result<axum::Json<Value>, Error> {
    with_object(state, caller, id, |o, _| {
        live(o)?;
        o.locked = locked;
        Ok(axum::Json(object_json(o)))
    })
}

/// `POST /api/objects/{id}/burn` (admin).
pub(crate) async fn burn_object(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<Admin>,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, Error> {
    with_object(&state, &caller, &id, |o, _| {
        live(o)?;
        if o.locked {
            return Err(errors::object_locked(o.id.clone()));
        }
        o.burned = true;
        Ok(axum::Json(object_json(o)))
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Transfer {
    to_wallet: String,
}

/// `POST /api/objects/{id}/transfer` (editor). With an `Idempotency-Key`,
/// a retry returns the first answer; the same key with another body is a
/// `CONFLICT`.
pub(crate) async fn transfer_object(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<Editor>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Transfer>,
) -> Result<axum::Json<Value>, Error> {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(|k| (caller.team.clone(), k.to_owned()));
    let fingerprint = format!("{id}\n{}", body.to_wallet);
    if let Some(key) = &key
        && let Some((seen, answer)) = state.db().idempotency.get(key)
    {
        if *seen == fingerprint {
            return Ok(axum::Json(answer.clone()));
        }
        return Err(errors::conflict()
            .with_source("the Idempotency-Key was already used with a different request"));
    }
    let answer = with_object(&state, &caller, &id, |o, wallets| {
        live(o)?;
        if o.locked {
            return Err(errors::object_locked(o.id.clone()));
        }
        if !wallets
            .iter()
            .any(|(w, team)| *w == body.to_wallet && *team == caller.team)
        {
            return Err(errors::wallet_not_found(body.to_wallet.clone()));
        }
        o.wallet = body.to_wallet.clone();
        Ok(object_json(o))
    })?;
    if let Some(key) = key {
        state
            .db()
            .idempotency
            .insert(key, (fingerprint, answer.clone()));
    }
    Ok(axum::Json(answer))
}
