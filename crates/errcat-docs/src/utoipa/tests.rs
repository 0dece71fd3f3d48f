use std::path::Path;

use ::utoipa::Modify;
use ::utoipa::openapi::OpenApi;
use errcat_catalog::Catalog;
use serde_json::{Value, json};

use super::{ErrorResponses, for_utoipa};

fn catalogs() -> Vec<(String, Catalog)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut out = Vec::new();
    for dir in ["examples/catalogs", "examples/envelopes"] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        for f in files {
            let c = Catalog::from_path(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            out.push((f.display().to_string(), c));
        }
    }
    for f in [
        "examples/quickstart/errors.toml",
        "crates/errcat-demo/errors.toml",
    ] {
        out.push((f.to_owned(), Catalog::from_path(root.join(f)).unwrap()));
    }
    out
}

/// Every keyword of errcat's components survives utoipa's model: what utoipa
/// writes back is errcat's output, with `const` spelled as `enum` and `items:
/// {}` (any item) beside `prefixItems`.
#[test]
fn components_keep_every_keyword_in_utoipas_model() {
    for (name, catalog) in catalogs() {
        let ours = crate::openapi(&catalog);
        let theirs = ErrorResponses::new(&catalog).unwrap_or_else(|e| {
            panic!(
                "{name}: {e}\n{}",
                for_utoipa(&ours["components"]["schemas"]["Error"])
            )
        });
        let mut doc = OpenApi::default();
        theirs.modify(&mut doc);
        let written = serde_json::to_value(&doc.components).unwrap();
        let expected_schema =
            without_null_types(for_utoipa(&ours["components"]["schemas"]["Error"]));
        assert_eq!(
            written["schemas"]["Error"], expected_schema,
            "{name}: the envelope's schema"
        );
        assert_eq!(
            written["responses"], ours["components"]["responses"],
            "{name}: the responses"
        );
    }
}

/// What utoipa writes for `type: null`: no `type`.
fn without_null_types(v: Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.into_iter()
                .filter(|(k, v)| !(k == "type" && v.is_null()))
                .map(|(k, v)| (k, without_null_types(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(without_null_types).collect()),
        other => other,
    }
}

#[test]
fn schemas_are_spelled_in_utoipas_keywords() {
    let ours = json!({
        "type": "object",
        "properties": {
            "const": {"const": false},
            "pair": {"type": "array", "prefixItems": [{"const": 1}, {"type": "string"}]},
            "either": {"anyOf": [{"const": "a"}, {"type": "null"}]},
        },
        "required": ["const"],
    });
    assert_eq!(
        for_utoipa(&ours),
        json!({
            "type": "object",
            "properties": {
                "const": {"enum": [false], "type": null},
                "pair": {
                    "type": "array",
                    "prefixItems": [{"enum": [1], "type": null}, {"type": "string"}],
                    "items": {"type": null},
                },
                "either": {"anyOf": [{"enum": ["a"], "type": null}, {"type": "null"}]},
            },
            "required": ["const"],
        })
    );
}

fn spec(paths: Value) -> OpenApi {
    serde_json::from_value(json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": paths,
    }))
    .unwrap()
}

fn responses_of(doc: &OpenApi, path: &str, method: &str) -> Value {
    serde_json::to_value(doc).unwrap()["paths"][path][method]["responses"].clone()
}

fn error(status: u16) -> Value {
    json!({"$ref": format!("#/components/responses/Error{status}")})
}

/// One long test on purpose: every kind of operation in one document, each
/// checked against the exact responses it gets.
#[test]
fn operations_get_the_errors_the_layer_and_extractors_answer() {
    let catalog = Catalog::from_str(
        r#"
[api]
name = "Todos"
envelope = "problem"
[[errors]]
code = "TODO_NOT_FOUND"
status = 404
message = "Todo {todo_id} not found"
params = { todo_id = "string" }
[[errors]]
code = "VALIDATION_ERROR"
status = 422
message = "Invalid"
"#,
        "errors.toml",
    )
    .unwrap();
    let mut doc = spec(json!({
        "/todos": {
            "post": {
                "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                "responses": {"201": {"description": "Created"}},
            },
            "get": {"responses": {"200": {"description": "OK"}}},
        },
        "/todos/{id}": {
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "get": {"responses": {
                "200": {"description": "OK"},
                "404": {"description": "No todo has this id."},
            }},
            "delete": {"responses": {
                "204": {"description": "Deleted"},
                "418": {"description": "A teapot"},
                "500": {"description": "Ours", "content": {"text/plain": {}}},
            }},
        },
    }));
    ErrorResponses::new(&catalog).unwrap().modify(&mut doc);
    let ok = json!({"description": "OK"});
    // Every operation: 405, 500 and 504 (the deadline).
    assert_eq!(
        responses_of(&doc, "/todos", "get"),
        json!({"200": ok, "405": error(405), "500": error(500), "504": error(504)})
    );
    // A body: invalid JSON (400), validation (422 in this catalog), 413, 415.
    assert_eq!(
        responses_of(&doc, "/todos", "post"),
        json!({
            "201": {"description": "Created"},
            "400": error(400), "405": error(405), "413": error(413), "415": error(415),
            "422": error(422), "500": error(500), "504": error(504),
        })
    );
    // A path parameter (on the path item): validation; a declared 404 keeps
    // its description and points at the catalog's response.
    let mut not_found = error(404);
    not_found["description"] = json!("No todo has this id.");
    assert_eq!(
        responses_of(&doc, "/todos/{id}", "get"),
        json!({
            "200": ok, "404": not_found, "405": error(405), "422": error(422),
            "500": error(500), "504": error(504),
        })
    );
    // A declared status without a public error (418 here) and one with its
    // own content stay as they are.
    assert_eq!(
        responses_of(&doc, "/todos/{id}", "delete"),
        json!({
            "204": {"description": "Deleted"},
            "405": error(405),
            "418": {"description": "A teapot"},
            "422": error(422),
            "500": {"description": "Ours", "content": {"text/plain": {}}},
            "504": error(504),
        })
    );
    // Another timeout role, or none.
    let get = || spec(json!({"/todos": {"get": {"responses": {"200": {"description": "OK"}}}}}));
    let mut doc = get();
    let errors = ErrorResponses::new(&catalog).unwrap();
    errors
        .clone()
        .timeout_error(Some("service_unavailable"))
        .modify(&mut doc);
    assert_eq!(
        responses_of(&doc, "/todos", "get"),
        json!({"200": ok, "405": error(405), "500": error(500), "503": error(503)})
    );
    let mut doc = get();
    errors.timeout_error(None).modify(&mut doc);
    assert_eq!(
        responses_of(&doc, "/todos", "get"),
        json!({"200": ok, "405": error(405), "500": error(500)})
    );
}

#[test]
fn components_are_errcats_and_the_documents_own_stay() {
    let catalog = Catalog::from_str("[api]\nname = \"T\"", "errors.toml").unwrap();
    let mut doc: OpenApi = serde_json::from_value(json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {},
        "components": {
            "schemas": {"Todo": {"type": "object"}, "Error": {"type": "string"}},
            "responses": {"Error404": {"description": "stale"}},
        },
    }))
    .unwrap();
    ErrorResponses::new(&catalog).unwrap().modify(&mut doc);
    let components = serde_json::to_value(&doc.components).unwrap();
    assert_eq!(components["schemas"]["Todo"], json!({"type": "object"}));
    let ours = crate::openapi(&catalog);
    assert_eq!(
        components["responses"]["Error404"],
        ours["components"]["responses"]["Error404"]
    );
    assert_eq!(
        components["responses"], ours["components"]["responses"],
        "errcat's responses, nothing else"
    );
    assert_eq!(
        components["schemas"]["Error"],
        without_null_types(for_utoipa(&ours["components"]["schemas"]["Error"]))
    );
}
