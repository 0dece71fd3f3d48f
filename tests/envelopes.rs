//! The error bodies of well-known public APIs (`tests/data/envelopes/corpus.json`),
//! each written as a catalog under `examples/envelopes/NAME.toml`: every case
//! renders its exact body, status and listed headers, and reads back through
//! the client to the inputs it was rendered from. A case added to the corpus
//! is tested without new code.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::SystemTime;

use errcat_catalog::Catalog;
use errcat_catalog::template::Var;
use errcat_client::Parser;
use errcat_render::{Error, FieldViolation, ParamValue, RenderOptions, Rendered, Renderer};
use serde::Deserialize;

#[derive(Deserialize)]
struct Api {
    name: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    status: u16,
    headers: BTreeMap<String, String>,
    inputs: Inputs,
    body: String,
}

#[derive(Deserialize)]
struct Inputs {
    code: String,
    #[serde(default)]
    params: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    violations: Vec<Violation>,
    error_id: Option<String>,
    request_id: Option<String>,
    client_request_id: Option<String>,
    timestamp: Option<String>,
    instance: Option<String>,
}

#[derive(Deserialize)]
struct Violation {
    path: String,
    message: String,
    reason: Option<String>,
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn corpus() -> Vec<Api> {
    let text = std::fs::read_to_string(root().join("tests/data/envelopes/corpus.json"))
        .expect("tests/data/envelopes/corpus.json");
    serde_json::from_str(&text).expect("the corpus is valid")
}

fn catalog(api: &str) -> Catalog {
    let path = root().join(format!("examples/envelopes/{api}.toml"));
    Catalog::from_path(&path).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()))
}

fn error_of(inputs: &Inputs) -> Error {
    let mut err = Error::new(inputs.code.clone());
    for (name, value) in &inputs.params {
        err = err.with_param(name.clone(), ParamValue::from_json(value));
    }
    err.with_violations(inputs.violations.iter().map(|v| FieldViolation {
        path: v.path.clone(),
        message: v.message.clone(),
        reason: v.reason.clone(),
    }))
}

fn render(renderer: &Renderer, inputs: &Inputs) -> Rendered {
    let time: Option<SystemTime> = inputs
        .timestamp
        .as_deref()
        .map(|t| humantime::parse_rfc3339(t).expect("an RFC 3339 time"));
    let echoed: Vec<(&str, &str)> = inputs
        .client_request_id
        .as_deref()
        .map(|id| ("client-request-id", id))
        .into_iter()
        .collect();
    renderer.render(
        &error_of(inputs),
        &RenderOptions {
            error_id: inputs.error_id.as_deref(),
            request_id: inputs.request_id.as_deref(),
            instance: inputs.instance.as_deref(),
            timestamp: time,
            request_headers: &echoed,
            ..Default::default()
        },
    )
}

/// The response headers as a server sends them: the content type, the
/// request id under the catalog's header, and the rendered ones.
fn response_headers(renderer: &Renderer, out: &Rendered, inputs: &Inputs) -> axum::http::HeaderMap {
    let mut h = axum::http::HeaderMap::new();
    h.insert("content-type", out.content_type.parse().unwrap());
    if let (Some(name), Some(id)) = (renderer.request_id_header(), &inputs.request_id) {
        h.insert(
            axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            id.parse().unwrap(),
        );
    }
    for (n, v) in &out.headers {
        h.append(
            axum::http::HeaderName::from_bytes(n.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    h
}

#[test]
fn every_case_renders_exactly() {
    let mut failures = Vec::new();
    let mut count = 0;
    for api in corpus() {
        let renderer = Renderer::new(catalog(&api.name));
        for (i, case) in api.cases.iter().enumerate() {
            count += 1;
            let out = render(&renderer, &case.inputs);
            let body = String::from_utf8(out.body.clone()).unwrap();
            let at = format!("{} case {i} ({})", api.name, case.inputs.code);
            if body != case.body {
                failures.push(format!(
                    "{at}: body\n  expected {}\n  got      {body}",
                    case.body
                ));
            }
            if out.status != case.status {
                failures.push(format!(
                    "{at}: status {} expected, got {}",
                    case.status, out.status
                ));
            }
            let headers = response_headers(&renderer, &out, &case.inputs);
            for (name, want) in &case.headers {
                let got = headers.get(name.as_str()).and_then(|v| v.to_str().ok());
                if got != Some(want.as_str()) {
                    failures.push(format!(
                        "{at}: header {name}: expected {want:?}, got {got:?}"
                    ));
                }
            }
        }
    }
    assert!(count >= 20, "the corpus has {count} cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_case_reads_back_to_its_inputs() {
    let mut failures = Vec::new();
    for api in corpus() {
        let catalog = catalog(&api.name);
        let parser = Parser::new(&catalog);
        let renderer = Renderer::new(catalog.clone());
        let env = catalog
            .envelope(&catalog.api.envelope)
            .expect("a custom envelope");
        let carries = |v: &Var| env.body_tpl.uses(v) || env.violation_tpl.uses(v);
        for (i, case) in api.cases.iter().enumerate() {
            let inputs = &case.inputs;
            let out = render(&renderer, inputs);
            let headers = response_headers(&renderer, &out, inputs);
            let e = parser.parse(case.status, &headers, case.body.as_bytes());
            let at = format!("{} case {i} ({})", api.name, inputs.code);
            if e.code.as_deref() != Some(inputs.code.as_str()) {
                failures.push(format!("{at}: code {:?}", e.code));
            }
            let want: Vec<FieldViolation> = inputs
                .violations
                .iter()
                .map(|v| FieldViolation {
                    path: v.path.clone(),
                    message: v.message.clone(),
                    reason: v.reason.clone().filter(|_| carries(&Var::Reason)),
                })
                .collect();
            if e.violations != want {
                failures.push(format!(
                    "{at}: violations {:?}, expected {want:?}",
                    e.violations
                ));
            }
            if let Some(id) = &inputs.error_id
                && carries(&Var::ErrorId)
                && e.error_id.as_deref() != Some(id.as_str())
            {
                failures.push(format!("{at}: error id {:?}", e.error_id));
            }
            if let Some(id) = &inputs.request_id
                && e.request_id.as_deref() != Some(id.as_str())
            {
                failures.push(format!("{at}: request id {:?}", e.request_id));
            }
            if inputs.violations.is_empty() && carries(&Var::Message) && e.message.is_none() {
                failures.push(format!("{at}: no message"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_envelope_catalog_lints_without_errors() {
    for api in corpus() {
        let path = root().join(format!("examples/envelopes/{}.toml", api.name));
        let text = std::fs::read_to_string(&path).unwrap();
        let report = Catalog::lint_str(&text, &path.display().to_string());
        let errors: Vec<String> = report
            .diagnostics
            .iter()
            .filter(|d| d.severity == errcat_catalog::Severity::Error)
            .map(|d| format!("{}: {}", d.code, d.message))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", api.name);
    }
}

#[test]
fn every_body_validates_against_the_exported_schema() {
    let mut failures = Vec::new();
    for api in corpus() {
        let catalog = catalog(&api.name);
        let spec = errcat_docs::openapi(&catalog);
        let schema = &spec["components"]["schemas"]["Error"];
        let validator = jsonschema::draft202012::new(schema)
            .unwrap_or_else(|e| panic!("{}: the schema is not valid: {e}\n{schema:#}", api.name));
        for (i, case) in api.cases.iter().enumerate() {
            let body: serde_json::Value = serde_json::from_str(&case.body).unwrap();
            for e in validator.iter_errors(&body) {
                failures.push(format!(
                    "{} case {i}: {e} at {}",
                    api.name,
                    e.instance_path()
                ));
            }
        }
        // A body of another shape does not pass.
        let other = serde_json::json!({"unrelated": true, "errors": 7});
        if validator.is_valid(&other) && !api.cases.is_empty() {
            failures.push(format!("{}: the schema accepts any object", api.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
