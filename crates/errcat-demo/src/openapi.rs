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

fn ops() -> Vec<Op> {
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
    let template = object(
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
    );
    let new_object = object(
        &[
            ("template_id", string()),
            ("wallet", string()),
            ("properties", json!({"type": "object"})),
        ],
        &["template_id", "wallet"],
    );
    let transfer = object(&[("to_wallet", string())], &["to_wallet"]);
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
    let events = object(
        &[(
            "events",
            json!({"type": "array", "minItems": 1, "maxItems": EVENTS_MAX, "items": event}),
        )],
        &["events"],
    );
    let maintenance = object(
        &[
            ("enabled", json!({"type": "boolean"})),
            ("retry_after", optional_integer(0, u64::MAX)),
        ],
        &["enabled"],
    );
    let max_timeout_ms =
        u64::try_from(crate::Config::default().webhook_timeout.as_millis()).unwrap_or(u64::MAX);
    let endpoint = object(
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
    );
    let webhook = json!({"type": "object"});
    vec![
        Op {
            method: "get",
            path: "/api/health",
            summary: "Health",
            auth: Auth::None,
            body: None,
            success: 200,
            errors: &[429],
        },
        Op {
            method: "post",
            path: "/api/auth/login",
            summary: "Sign in with email and password",
            auth: Auth::None,
            body: Some(login),
            success: 200,
            errors: &[400, 401, 413, 415, 429],
        },
        Op {
            method: "post",
            path: "/api/auth/token",
            summary: "Exchange a personal access token for a JWT",
            auth: Auth::None,
            body: Some(exchange),
            success: 200,
            errors: &[400, 401, 413, 415, 429],
        },
        Op {
            method: "post",
            path: "/api/auth/refresh",
            summary: "Exchange a refresh token (single use)",
            auth: Auth::None,
            body: Some(refresh),
            success: 200,
            errors: &[400, 401, 413, 415, 429],
        },
        Op {
            method: "post",
            path: "/api/auth/revoke",
            summary: "Revoke the caller's token",
            auth: Auth::Bearer,
            body: None,
            success: 204,
            errors: &[401, 429, 503],
        },
        Op {
            method: "get",
            path: "/api/me",
            summary: "The caller",
            auth: Auth::Bearer,
            body: None,
            success: 200,
            errors: &[401, 429],
        },
        Op {
            method: "get",
            path: "/api/templates",
            summary: "List the team's templates",
            auth: Auth::Bearer,
            body: None,
            success: 200,
            errors: &[400, 401, 403, 429],
        },
        Op {
            method: "post",
            path: "/api/templates",
            summary: "Create a template (editor)",
            auth: Auth::Bearer,
            body: Some(template),
            success: 201,
            errors: &[400, 401, 403, 409, 413, 415, 429, 503],
        },
        Op {
            method: "get",
            path: "/api/templates/{id}",
            summary: "A template",
            auth: Auth::Bearer,
            body: None,
            success: 200,
            errors: &[401, 403, 404, 429],
        },
        Op {
            method: "delete",
            path: "/api/templates/{id}",
            summary: "Delete a template (admin)",
            auth: Auth::Bearer,
            body: None,
            success: 204,
            errors: &[401, 403, 404, 409, 429, 503],
        },
        Op {
            method: "get",
            path: "/api/wallets",
            summary: "The team's wallets",
            auth: Auth::Bearer,
            body: None,
            success: 200,
            errors: &[401, 403, 429],
        },
        Op {
            method: "post",
            path: "/api/objects",
            summary: "Mint an object from a template (editor)",
            auth: Auth::Bearer,
            body: Some(new_object),
            success: 201,
            errors: &[400, 401, 403, 404, 413, 415, 422, 429, 503],
        },
        Op {
            method: "get",
            path: "/api/objects/{id}",
            summary: "An object",
            auth: Auth::Bearer,
            body: None,
            success: 200,
            errors: &[401, 403, 404, 429],
        },
        Op {
            method: "post",
            path: "/api/objects/{id}/lock",
            summary: "Lock an object (editor)",
            auth: Auth::Bearer,
            body: None,
            success: 200,
            errors: &[401, 403, 404, 422, 429, 503],
        },
        Op {
            method: "post",
            path: "/api/objects/{id}/unlock",
            summary: "Unlock an object (editor)",
            auth: Auth::Bearer,
            body: None,
            success: 200,
            errors: &[401, 403, 404, 422, 429, 503],
        },
        Op {
            method: "post",
            path: "/api/objects/{id}/transfer",
            summary: "Transfer an object to a wallet (editor; Idempotency-Key)",
            auth: Auth::Bearer,
            body: Some(transfer),
            success: 200,
            errors: &[400, 401, 403, 404, 409, 413, 415, 422, 429, 503],
        },
        Op {
            method: "post",
            path: "/api/objects/{id}/burn",
            summary: "Burn an object (admin)",
            auth: Auth::Bearer,
            body: None,
            success: 200,
            errors: &[401, 403, 404, 422, 429, 503],
        },
        Op {
            method: "post",
            path: "/api/events",
            summary: "Send a batch of 1-100 events",
            auth: Auth::ApiKey,
            body: Some(events),
            success: 202,
            errors: &[400, 401, 403, 413, 415, 429, 503],
        },
        Op {
            method: "post",
            path: "/api/webhooks/shopify",
            summary: "Incoming Shopify webhook (X-Shopify-Hmac-Sha256)",
            auth: Auth::Shopify,
            body: Some(webhook.clone()),
            success: 200,
            errors: &[401, 413, 429, 503],
        },
        Op {
            method: "post",
            path: "/api/webhooks/stripe",
            summary: "Incoming Stripe webhook (Stripe-Signature)",
            auth: Auth::Stripe,
            body: Some(webhook),
            success: 200,
            errors: &[401, 413, 429, 503],
        },
        Op {
            method: "post",
            path: "/api/webhook-endpoints",
            summary: "Register an outgoing webhook endpoint (admin)",
            auth: Auth::Bearer,
            body: Some(endpoint),
            success: 201,
            errors: &[400, 401, 403, 413, 415, 429, 503],
        },
        Op {
            method: "post",
            path: "/api/webhook-endpoints/{id}/test",
            summary: "Deliver a test event (admin)",
            auth: Auth::Bearer,
            body: None,
            success: 200,
            errors: &[401, 403, 404, 429, 502, 503, 504],
        },
        Op {
            method: "post",
            path: "/api/integrations/{provider}/sync",
            summary: "Sync an integration (editor)",
            auth: Auth::Bearer,
            body: None,
            success: 200,
            errors: &[401, 403, 404, 429, 502, 503],
        },
        Op {
            method: "put",
            path: "/api/admin/maintenance",
            summary: "Maintenance mode (admin)",
            auth: Auth::Bearer,
            body: Some(maintenance),
            success: 200,
            errors: &[400, 401, 403, 413, 415, 429],
        },
    ]
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
        let entry = paths.entry(op.path.to_owned()).or_insert_with(|| json!({}));
        entry[op.method] = operation;
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
