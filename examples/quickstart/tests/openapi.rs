//! The quickstart's OpenAPI document: utoipa's paths from the handlers'
//! annotations, each with the error responses errcat answers it with, and
//! every example body valid against the schema it is documented with.

use errcat_quickstart::{errors, openapi};
use serde_json::{Value, json};

fn document() -> Value {
    let doc = openapi().expect("the catalog's components fit utoipa's model");
    serde_json::from_str(&doc.to_json().expect("the document as JSON")).expect("JSON")
}

fn error(status: u16) -> Value {
    json!({"$ref": format!("#/components/responses/Error{status}")})
}

fn with_description(mut r: Value, description: &str) -> Value {
    r["description"] = json!(description);
    r
}

#[test]
fn each_operation_lists_the_errors_it_can_answer() {
    let doc = document();
    // POST /todos: a JSON body (invalid JSON and validation 400, 413, 415),
    // its own 422, and what every route can get (405, 500, 504).
    assert_eq!(
        doc["paths"]["/todos"]["post"]["responses"],
        json!({
            "201": {"description": "Created."},
            "400": error(400),
            "405": error(405),
            "413": error(413),
            "415": error(415),
            "422": with_description(error(422), "The title is empty."),
            "500": error(500),
            "504": error(504),
        })
    );
    // GET /todos/{id}: a path parameter (validation, 400) and its own 404.
    assert_eq!(
        doc["paths"]["/todos/{id}"]["get"]["responses"],
        json!({
            "400": error(400),
            "404": with_description(error(404), "No todo has this id."),
            "405": error(405),
            "500": error(500),
            "504": error(504),
        })
    );
    // Every reference resolves.
    let responses = doc["components"]["responses"]
        .as_object()
        .expect("responses");
    for op in doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|i| i.as_object().unwrap().values())
    {
        for r in op["responses"].as_object().unwrap().values() {
            if let Some(target) = r["$ref"].as_str() {
                let name = target
                    .strip_prefix("#/components/responses/")
                    .expect(target);
                assert!(responses.contains_key(name), "{target} is not a component");
            }
        }
    }
    // utoipa's own schema is still there beside errcat's.
    assert!(doc["components"]["schemas"]["NewTodo"].is_object());
}

/// The schema a response's content points at.
fn schema_of<'a>(doc: &'a Value, content: &'a Value) -> &'a Value {
    let schema = &content["schema"];
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.strip_prefix("#/components/schemas/").expect(r);
            &doc["components"]["schemas"][name]
        }
        None => schema,
    }
}

#[test]
fn every_example_body_is_valid_against_its_schema() {
    let doc = document();
    let mut codes = Vec::new();
    for (name, response) in doc["components"]["responses"].as_object().unwrap() {
        for (media, content) in response["content"].as_object().unwrap() {
            let schema = schema_of(&doc, content);
            let validator = jsonschema::draft202012::new(schema)
                .unwrap_or_else(|e| panic!("{name} {media}: the schema does not compile: {e}"));
            for (code, example) in content["examples"].as_object().unwrap() {
                let errors: Vec<String> = validator
                    .iter_errors(&example["value"])
                    .map(|e| format!("{} at {}", e, e.instance_path()))
                    .collect();
                assert!(
                    errors.is_empty(),
                    "{name} {code}: {errors:?}\n{}",
                    example["value"]
                );
                codes.push(code.clone());
            }
            // The schema is not vacuous: a body without its status is refused.
            let first = content["examples"]
                .as_object()
                .unwrap()
                .values()
                .next()
                .unwrap();
            let mut broken = first["value"].clone();
            broken.as_object_mut().unwrap().remove("status");
            assert!(!validator.is_valid(&broken), "{name}: {broken}");
        }
    }
    // One example per public error that has a status.
    let mut expected: Vec<String> = errors::CATALOG
        .errors
        .iter()
        .filter(|e| e.is_public() && e.status.is_some())
        .map(|e| e.code.clone())
        .collect();
    codes.sort();
    expected.sort();
    assert_eq!(codes, expected);
}
