//! `GET /api/openapi.json`: the API's paths, with the error responses that
//! `errcat_docs::openapi` derives from the catalog as components.

use std::sync::LazyLock;

use axum::http::header;
use axum::response::IntoResponse;
use serde_json::{Map, Value, json};

static SPEC: LazyLock<String> = LazyLock::new(|| build().to_string());

// The limits the handlers check, here so that the request schemas state the
// same numbers (the schemathesis step of `.ci/run` and the reference API
// tests check the two against each other).

/// The longest access token lifetime a caller may ask for (`expires_in`).
pub(crate) const TOKEN_TTL_MAX: u64 = 86_400;
/// The largest page of `GET /api/templates?limit=`.
pub(crate) const PAGE_MAX: u32 = 100;
/// The longest template name, in characters.
pub(crate) const TEMPLATE_NAME_MAX: usize = 100;
/// Template property names.
pub(crate) const PROPERTY_NAME_PATTERN: &str = "^[a-z0-9_]{1,64}$";
/// The longest event `user_id`, in characters.
pub(crate) const USER_ID_MAX: usize = 64;
/// The most events in one batch.
pub(crate) const EVENTS_MAX: usize = 100;
/// The longest webhook endpoint URL, in characters.
pub(crate) const URL_MAX: usize = 2048;
/// The characters a template name must have one of (it is trimmed of the
/// others, which JSON Schema regex engines all read alike).
pub(crate) const NAME_TRIMMED: [char; 5] = [' ', '\t', '\n', '\u{c}', '\r'];

/// Serves the document.
pub(crate) async fn spec() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], SPEC.as_str())
}

fn string() -> Value {
    json!({"type": "string"})
}

/// An optional integer field: `Option<u64>` and friends accept `null`.
fn optional_integer(min: u64, max: u64) -> Value {
    json!({"type": ["integer", "null"], "minimum": min, "maximum": max})
}

fn object(props: &[(&str, Value)], required: &[&str]) -> Value {
    let properties: Map<String, Value> = props
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

/// What an operation needs.
#[derive(Clone, Copy)]
enum Auth {
    None,
    Bearer,
    ApiKey,
    Shopify,
    Stripe,
}

struct Op {
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    auth: Auth,
    body: Option<Value>,
    /// The status of a success.
    success: u16,
    errors: &'static [u16],
}

/// The operations of the reference API, one line each so that the table
/// reads as one: method, path, summary, what it needs, its body's schema,
/// its success status and its error statuses.
#[rustfmt::skip]
fn ops() -> Vec<Op> {
    let b = Bodies::new();
    vec![
        op("get", "/api/health", "Health", Auth::None, None, 200, &[429]),
        op("post", "/api/auth/login", "Sign in with email and password", Auth::None, Some(&b.login), 200, &[400, 401, 413, 415, 429]),
        op("post", "/api/auth/token", "Exchange a personal access token for a JWT", Auth::None, Some(&b.exchange), 200, &[400, 401, 413, 415, 429]),
        op("post", "/api/auth/refresh", "Exchange a refresh token (single use)", Auth::None, Some(&b.refresh), 200, &[400, 401, 413, 415, 429]),
        op("post", "/api/auth/revoke", "Revoke the caller's token", Auth::Bearer, None, 204, &[401, 429, 503]),
        op("get", "/api/me", "The caller", Auth::Bearer, None, 200, &[401, 429]),
        op("get", "/api/templates", "List the team's templates", Auth::Bearer, None, 200, &[400, 401, 403, 429]),
        op("post", "/api/templates", "Create a template (editor)", Auth::Bearer, Some(&b.template), 201, &[400, 401, 403, 409, 413, 415, 429, 503]),
        op("get", "/api/templates/{id}", "A template", Auth::Bearer, None, 200, &[401, 403, 404, 429]),
        op("delete", "/api/templates/{id}", "Delete a template (admin)", Auth::Bearer, None, 204, &[401, 403, 404, 409, 429, 503]),
        op("get", "/api/wallets", "The team's wallets", Auth::Bearer, None, 200, &[401, 403, 429]),
        op("post", "/api/objects", "Mint an object from a template (editor)", Auth::Bearer, Some(&b.new_object), 201, &[400, 401, 403, 404, 413, 415, 422, 429, 503]),
        op("get", "/api/objects/{id}", "An object", Auth::Bearer, None, 200, &[401, 403, 404, 429]),
        op("post", "/api/objects/{id}/lock", "Lock an object (editor)", Auth::Bearer, None, 200, &[401, 403, 404, 422, 429, 503]),
        op("post", "/api/objects/{id}/unlock", "Unlock an object (editor)", Auth::Bearer, None, 200, &[401, 403, 404, 422, 429, 503]),
        op("post", "/api/objects/{id}/transfer", "Transfer an object to a wallet (editor; Idempotency-Key)", Auth::Bearer, Some(&b.transfer), 200, &[400, 401, 403, 404, 409, 413, 415, 422, 429, 503]),
        op("post", "/api/objects/{id}/burn", "Burn an object (admin)", Auth::Bearer, None, 200, &[401, 403, 404, 422, 429, 503]),
        op("post", "/api/events", "Send a batch of 1-100 events", Auth::ApiKey, Some(&b.events), 202, &[400, 401, 403, 413, 415, 429, 503]),
        op("post", "/api/webhooks/shopify", "Incoming Shopify webhook (X-Shopify-Hmac-Sha256)", Auth::Shopify, Some(&b.webhook), 200, &[401, 413, 429, 503]),
        op("post", "/api/webhooks/stripe", "Incoming Stripe webhook (Stripe-Signature)", Auth::Stripe, Some(&b.webhook), 200, &[401, 413, 429, 503]),
        op("post", "/api/webhook-endpoints", "Register an outgoing webhook endpoint (admin)", Auth::Bearer, Some(&b.endpoint), 201, &[400, 401, 403, 413, 415, 429, 503]),
        op("post", "/api/webhook-endpoints/{id}/test", "Deliver a test event (admin)", Auth::Bearer, None, 200, &[401, 403, 404, 429, 502, 503, 504]),
        op("post", "/api/integrations/{provider}/sync", "Sync an integration (editor)", Auth::Bearer, None, 200, &[401, 403, 404, 429, 502, 503]),
        op("put", "/api/admin/maintenance", "Maintenance mode (admin)", Auth::Bearer, Some(&b.maintenance), 200, &[400, 401, 403, 413, 415, 429]),
    ]
}

/// An operation of the table.
fn op(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    auth: Auth,
    body: Option<&Value>,
    success: u16,
    errors: &'static [u16],
) -> Op {
    Op {
        method,
        path,
        summary,
        auth,
        body: body.cloned(),
        success,
        errors,
    }
}

/// The request bodies' schemas.
struct Bodies {
    login: Value,
    exchange: Value,
    refresh: Value,
    template: Value,
    new_object: Value,
    transfer: Value,
    events: Value,
    webhook: Value,
    endpoint: Value,
    maintenance: Value,
}

impl Bodies {
    fn new() -> Self {
        let login = object(
            &[
                ("email", string()),
                ("password", string()),
                ("expires_in", optional_integer(1, TOKEN_TTL_MAX)),
            ],
            &["email", "password"],
        );
        let exchange = object(
            &[
                ("personal_access_token", string()),
                ("expires_in", optional_integer(1, TOKEN_TTL_MAX)),
            ],
            &["personal_access_token"],
        );
        let refresh = object(&[("refresh_token", string())], &["refresh_token"]);
        let new_object = object(
            &[
                ("template_id", string()),
                ("wallet", string()),
                ("properties", json!({"type": "object"})),
            ],
            &["template_id", "wallet"],
        );
        let transfer = object(&[("to_wallet", string())], &["to_wallet"]);
        let maintenance = object(
            &[
                ("enabled", json!({"type": "boolean"})),
                ("retry_after", optional_integer(0, u64::MAX)),
            ],
            &["enabled"],
        );
        let webhook = json!({"type": "object"});
        let template = template_schema();
        let events = events_schema();
        let endpoint = endpoint_schema();
        Self {
            login,
            exchange,
            refresh,
            template,
            new_object,
            transfer,
            events,
            webhook,
            endpoint,
            maintenance,
        }
    }
}

/// `POST /api/templates`: a name and each property's type.
fn template_schema() -> Value {
    object(
        &[
            (
                "name",
                json!({
                    "type": "string",
                    "minLength": 1,
                    "maxLength": TEMPLATE_NAME_MAX,
                    "pattern": "[^ \\t\\n\\f\\r]",
                }),
            ),
            (
                "schema",
                json!({
                    "type": "object",
                    "minProperties": 1,
                    // `$` also matches before a final newline in Python's
                    // `re` (which schemathesis validates with): no newline.
                    "propertyNames": {"pattern": PROPERTY_NAME_PATTERN, "not": {"pattern": "\\n"}},
                    "additionalProperties": {"type": "string", "enum": ["string", "integer", "number", "boolean"]},
                }),
            ),
        ],
        &["name", "schema"],
    )
}

/// `POST /api/events`: a batch of analytics events.
fn events_schema() -> Value {
    let event = object(
        &[
            (
                "type",
                json!({"type": "string", "enum": ["page_view", "click", "signup", "purchase"]}),
            ),
            (
                "user_id",
                json!({"type": "string", "minLength": 1, "maxLength": USER_ID_MAX}),
            ),
            (
                "timestamp",
                json!({"type": "integer", "minimum": 0, "maximum": i64::MAX}),
            ),
            ("properties", json!({"type": "object"})),
        ],
        &["type", "user_id", "timestamp"],
    );
    object(
        &[(
            "events",
            json!({"type": "array", "minItems": 1, "maxItems": EVENTS_MAX, "items": event}),
        )],
        &["events"],
    )
}

/// `POST /api/webhook-endpoints`: a loopback URL and a timeout.
fn endpoint_schema() -> Value {
    let max_timeout_ms =
        u64::try_from(crate::Config::default().webhook_timeout.as_millis()).unwrap_or(u64::MAX);
    object(
        &[
            (
                "url",
                json!({
                    "type": "string",
                    "maxLength": URL_MAX,
                    "pattern": "^http://(127\\.0\\.0\\.1|localhost):",
                    "not": {"pattern": "[@ \\r\\n]"},
                }),
            ),
            ("timeout_ms", optional_integer(1, max_timeout_ms)),
        ],
        &["url"],
    )
}

fn build() -> Value {
    let mut doc = errcat_docs::openapi(&crate::catalog());
    doc["info"] = json!({
        "title": "errcat reference API",
        "version": "1.0",
        "description": "Every error response is described by the catalog at /errors.",
    });
    let defined: Vec<String> = doc["components"]["responses"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let mut paths = Map::new();
    for op in ops() {
        let (path, method) = (op.path, op.method);
        let operation = operation(op, &defined);
        let entry = paths.entry(path.to_owned()).or_insert_with(|| json!({}));
        entry[method] = operation;
    }
    doc["paths"] = Value::Object(paths);
    doc["components"]["securitySchemes"] = json!({
        "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
        "shopifySignature": {"type": "apiKey", "in": "header", "name": "X-Shopify-Hmac-Sha256"},
        "stripeSignature": {"type": "apiKey", "in": "header", "name": "Stripe-Signature"},
    });
    doc
}

/// One operation of the document: its success and the catalog's error
/// responses it can answer (each one `defined` in the components), its
/// security, body and parameters.
fn operation(op: Op, defined: &[String]) -> Value {
    let mut responses = Map::new();
    let description = match op.success {
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        _ => "OK",
    };
    responses.insert(op.success.to_string(), json!({"description": description}));
    let mut statuses: Vec<u16> = op.errors.to_vec();
    statuses.push(405);
    statuses.push(500);
    for status in statuses {
        let name = format!("Error{status}");
        if defined.contains(&name) {
            responses.insert(
                status.to_string(),
                json!({"$ref": format!("#/components/responses/{name}")}),
            );
        }
    }
    let mut operation = json!({
        "summary": op.summary,
        "operationId": format!("{}{}", op.method, op.path.replace(['/', '{', '}', '-'], "_")),
        "responses": responses,
    });
    let security = match op.auth {
        Auth::None => None,
        Auth::Bearer => Some("bearer"),
        Auth::ApiKey => Some("apiKey"),
        Auth::Shopify => Some("shopifySignature"),
        Auth::Stripe => Some("stripeSignature"),
    };
    if let Some(s) = security {
        operation["security"] = json!([{ s: [] }]);
    }
    if let Some(schema) = op.body {
        operation["requestBody"] = json!({
            "required": true,
            "content": {"application/json": {"schema": schema}},
        });
    }
    let params: Vec<Value> = ["id", "provider"]
        .iter()
        .filter(|p| op.path.contains(&format!("{{{p}}}")))
        .map(|p| json!({"name": p, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect();
    let mut params = params;
    if op.method == "get" && op.path == "/api/templates" {
        params.push(json!({
            "name": "limit",
            "in": "query",
            "required": false,
            "schema": {"type": "integer", "minimum": 1, "maximum": PAGE_MAX},
        }));
    }
    if !params.is_empty() {
        operation["parameters"] = Value::Array(params);
    }
    operation
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_route_is_described_and_refs_resolve() {
        let doc = super::build();
        let text = doc.to_string();
        for r in text.split("\"$ref\":\"#/components/responses/").skip(1) {
            let name = &r[..r.find('"').unwrap()];
            assert!(
                doc["components"]["responses"].get(name).is_some(),
                "dangling $ref {name}"
            );
        }
        assert_eq!(doc["paths"].as_object().unwrap().len(), 22);
        assert_eq!(
            doc["paths"]["/api/events"]["post"]["security"][0]["apiKey"],
            serde_json::json!([])
        );
    }
}
