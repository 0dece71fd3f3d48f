//! OpenAPI 3.1 components: the envelope's schema and one response per status.

use std::collections::BTreeMap;

use errcat_catalog::Catalog;
use errcat_render::reason_phrase;
use serde_json::{Map, Value, json};

use crate::example::{Example, Examples};

/// Merges the JSON Schema inferred from `v` into `schema`.
fn infer(schema: &mut Value, v: &Value, first: bool) {
    let ty = match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let s = schema.as_object_mut().expect("schemas are objects");
    // The `type`: a string, or a list when examples differ.
    let mut types: Vec<String> = match s.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    if types.iter().any(|t| t == "number") && ty == "integer" {
        // An integer is a number.
    } else if !types.iter().any(|t| t == ty) {
        if ty == "number" {
            types.retain(|t| t != "integer");
        }
        types.push(ty.to_owned());
    }
    s.insert(
        "type".into(),
        if types.len() == 1 {
            Value::String(types.remove(0))
        } else {
            Value::Array(types.into_iter().map(Value::String).collect())
        },
    );
    match v {
        Value::Object(o) => {
            let had_props = s.contains_key("properties");
            let props = s
                .entry("properties")
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .expect("properties is an object");
            for (k, child) in o {
                let entry = props.entry(k.clone()).or_insert_with(|| json!({}));
                infer(entry, child, first);
            }
            // Required: the keys every example has.
            let required: Vec<Value> = if first || !had_props {
                o.keys().map(|k| Value::String(k.clone())).collect()
            } else {
                s.get("required")
                    .and_then(Value::as_array)
                    .map(|r| {
                        r.iter()
                            .filter(|k| k.as_str().is_some_and(|k| o.contains_key(k)))
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default()
            };
            s.insert("required".into(), Value::Array(required));
        }
        Value::Array(items) => {
            let entry = s.entry("items").or_insert_with(|| json!({}));
            for item in items {
                infer(entry, item, false);
            }
        }
        _ => {}
    }
}

/// OpenAPI 3.1 components for the catalog's errors: `schemas.Error` (the
/// default envelope's body, inferred from every example) and one
/// `responses.Error{status}` per status, with one example per public code.
pub fn openapi(catalog: &Catalog) -> Value {
    let examples = Examples::new(catalog);
    let mut by_status: BTreeMap<u16, Vec<(&errcat_catalog::ErrorDef, Example)>> = BTreeMap::new();
    for e in crate::public_errors(catalog) {
        if let Some(ex) = examples.of(e) {
            by_status.entry(ex.status).or_default().push((e, ex));
        }
    }
    // A custom envelope's schema comes from its template (every body it
    // can render is valid); the built-in ones' from their examples.
    let mut schema = match catalog.envelope(&catalog.api.envelope) {
        Some(env) => crate::schema::envelope_schema(env),
        None => json!({}),
    };
    if catalog.envelope(&catalog.api.envelope).is_none() {
        let mut first = true;
        for (_, ex) in by_status.values().flatten() {
            infer(&mut schema, &ex.body, first);
            first = false;
        }
    }
    if let Some(s) = schema.as_object_mut() {
        s.insert(
            "description".into(),
            Value::String(format!("An error response of {}.", catalog.api.name)),
        );
    }
    let mut responses = Map::new();
    for (status, list) in &by_status {
        let media = list[0].1.content_type.clone();
        let mut headers = Map::new();
        for (_, ex) in list {
            for (name, _) in &ex.headers {
                headers.entry(name.clone()).or_insert_with(|| {
                    json!({"schema": {"type": "string"}, "description": format!("Sent with some {status} errors.")})
                });
            }
        }
        let mut exs = Map::new();
        for (e, ex) in list {
            let mut o = Map::new();
            o.insert("summary".into(), Value::String(e.title.clone()));
            if let Some(d) = &e.description {
                o.insert("description".into(), Value::String(d.clone()));
            }
            o.insert("value".into(), ex.body.clone());
            exs.insert(e.code.clone(), Value::Object(o));
        }
        let codes: Vec<&str> = list.iter().map(|(e, _)| e.code.as_str()).collect();
        let mut resp = Map::new();
        resp.insert(
            "description".into(),
            Value::String(format!(
                "{} {}: {}",
                status,
                reason_phrase(*status),
                codes.join(", ")
            )),
        );
        if !headers.is_empty() {
            resp.insert("headers".into(), Value::Object(headers));
        }
        resp.insert(
            "content".into(),
            json!({ media: { "schema": {"$ref": "#/components/schemas/Error"}, "examples": exs } }),
        );
        responses.insert(format!("Error{status}"), Value::Object(resp));
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": format!("{} errors", catalog.api.name),
            "version": catalog.api.version.clone().unwrap_or_else(|| "0".into()),
        },
        "paths": {},
        "components": {
            "schemas": { "Error": schema },
            "responses": responses,
        },
    })
}
