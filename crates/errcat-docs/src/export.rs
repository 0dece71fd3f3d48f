//! The resolved catalog as JSON.

use errcat_catalog::{Catalog, ErrorDef, Origin, Visibility};
use serde_json::{Map, Value, json};

fn opt<T: Into<Value>>(v: Option<T>) -> Value {
    v.map_or(Value::Null, Into::into)
}

pub(crate) fn error_json(e: &ErrorDef) -> Value {
    json!({
        "code": e.code,
        "numeric_code": opt(e.numeric_code),
        "status": opt(e.status),
        "category": e.category,
        "title": e.title,
        "message": e.message.raw,
        "params": e.params.iter().map(|p| json!({
            "name": p.name,
            "type": p.ty.as_str(),
            "description": opt(p.description.clone()),
            "example": p.example.clone().unwrap_or(Value::Null),
        })).collect::<Vec<_>>(),
        "description": opt(e.description.clone()),
        "causes": e.causes,
        "resolution": e.resolution,
        "links": e.links.iter().map(|l| json!({"title": l.title, "url": l.url})).collect::<Vec<_>>(),
        "retryable": e.retryable,
        "retry_after": opt(e.retry_after),
        "retry_advice": opt(e.retry_advice.clone()),
        "headers": e.headers.iter().map(|(n, v)| (n.clone(), Value::String(v.raw.clone()))).collect::<Map<_, _>>(),
        "since": opt(e.since.clone()),
        "deprecated": opt(e.deprecated.clone()),
        "replaced_by": opt(e.replaced_by.clone()),
        "translations": e.translations.iter().map(|t| json!({
            "locale": t.locale,
            "title": opt(t.title.clone()),
            "message": opt(t.message.as_ref().map(|m| m.raw.clone())),
        })).collect::<Vec<_>>(),
        "visibility": match e.visibility { Visibility::Public => "public", Visibility::Internal => "internal" },
        "standard": e.standard,
        "origin": match e.origin { Origin::Standard => "standard", Origin::User => "user" },
    })
}

/// The resolved catalog (standard errors merged, defaults filled in) as
/// JSON: `api`, `categories`, `errors`, `guides`, `envelopes`.
pub fn export_json(catalog: &Catalog) -> Value {
    let a = &catalog.api;
    json!({
        "api": {
            "name": a.name,
            "version": opt(a.version.clone()),
            "docs_url": opt(a.docs_url.clone()),
            "domain": opt(a.domain.clone()),
            "envelope": a.envelope,
            "error_id": a.error_id.as_str(),
            "locale": a.locale,
            "standard_public": a.standard_public,
        },
        "categories": catalog.categories.iter().map(|c| json!({
            "name": c.name,
            "description": c.description,
            "statuses": c.statuses.iter().map(ToString::to_string).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "errors": catalog.errors.iter().map(error_json).collect::<Vec<_>>(),
        "guides": catalog.guides.iter().map(|g| json!({
            "id": g.id, "title": g.title, "body": g.body, "category": opt(g.category.clone()),
        })).collect::<Vec<_>>(),
        "envelopes": catalog.envelopes.iter().map(|e| json!({
            "name": e.name, "media_type": e.media_type, "body": e.body, "violation": e.violation,
        })).collect::<Vec<_>>(),
    })
}
