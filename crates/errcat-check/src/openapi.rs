//! Reading an OpenAPI 3.0/3.1 document (JSON): the operations to probe,
//! their security, and request bodies built from their schemas.

use serde_json::{Map, Value, json};

/// The methods an OpenAPI path item may declare.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// How deep `$ref`s and nested schemas are followed.
const MAX_DEPTH: usize = 12;

/// The operations of a spec, in document order.
#[derive(Debug, Default)]
pub(super) struct Spec {
    pub(super) ops: Vec<Operation>,
    /// The path of `servers[0].url` (`/api/v1`), or empty.
    pub(super) prefix: String,
    /// The headers of the `apiKey` schemes in a header, in document order.
    pub(super) api_key_headers: Vec<String>,
}

/// One operation.
#[derive(Debug, Clone)]
pub(super) struct Operation {
    /// Upper case: `POST`.
    pub(super) method: String,
    /// The template as in the spec: `/items/{id}`.
    pub(super) template: String,
    /// The template with placeholder values: `/items/1`.
    pub(super) path: String,
    /// Every method the path item declares, upper case.
    pub(super) path_methods: Vec<String>,
    /// The `application/json` request body schema, resolved.
    pub(super) body: Option<Value>,
    /// The security alternatives (any one of them suffices); empty when the
    /// operation needs no credentials.
    pub(super) security: Vec<Vec<Scheme>>,
}

impl Operation {
    /// Whether the path has parameters.
    pub(super) fn has_params(&self) -> bool {
        self.template.contains('{')
    }
}

/// A security scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Scheme {
    /// `type: apiKey, in: header` with the header name.
    ApiKeyHeader(String),
    /// `type: http, scheme: bearer` (and oauth2/openIdConnect, sent as bearer tokens).
    Bearer,
    /// A scheme errcat check cannot send (basic, apiKey in query or cookie…).
    Unsupported(String),
}

impl Scheme {
    /// A short label: `api-key X-API-Key`, `bearer`.
    pub(super) fn label(&self) -> String {
        match self {
            Scheme::ApiKeyHeader(h) => format!("api key {h}"),
            Scheme::Bearer => "bearer".to_owned(),
            Scheme::Unsupported(s) => s.clone(),
        }
    }
}

/// Reads a spec.
pub(super) fn parse(doc: &Value) -> Result<Spec, String> {
    let version = doc.get("openapi").and_then(Value::as_str).unwrap_or("");
    if !version.starts_with("3.") {
        return Err(if doc.get("swagger").is_some() {
            "Swagger 2.0 is not supported: convert the spec to OpenAPI 3.x".to_owned()
        } else {
            "not an OpenAPI 3.x document (no `openapi: 3.x` member)".to_owned()
        });
    }
    let prefix = server_prefix(doc);
    let schemes = doc
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object);
    let root_security = doc.get("security");
    let mut api_key_headers = Vec::new();
    for (name, s) in schemes.into_iter().flatten() {
        if let Scheme::ApiKeyHeader(h) = scheme(name, resolve(doc, s)) {
            api_key_headers.push(h);
        }
    }
    let mut ops = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return Ok(Spec {
            ops,
            prefix,
            api_key_headers,
        });
    };
    for (template, item) in paths {
        let item = resolve(doc, item);
        let path_methods: Vec<String> = METHODS
            .iter()
            .filter(|m| item.get(**m).is_some_and(Value::is_object))
            .map(|m| m.to_ascii_uppercase())
            .collect();
        for m in METHODS {
            let Some(op) = item.get(m).filter(|o| o.is_object()) else {
                continue;
            };
            let params = path_params(doc, item, op);
            let security = op
                .get("security")
                .or(root_security)
                .map(|s| security(doc, s, schemes))
                .unwrap_or_default();
            ops.push(Operation {
                method: m.to_ascii_uppercase(),
                template: template.clone(),
                path: fill_path(template, &params),
                path_methods: path_methods.clone(),
                body: json_body_schema(doc, op).cloned(),
                security,
            });
        }
    }
    Ok(Spec {
        ops,
        prefix,
        api_key_headers,
    })
}

/// Follows `$ref`s inside the document.
pub(super) fn resolve<'a>(doc: &'a Value, mut v: &'a Value) -> &'a Value {
    for _ in 0..MAX_DEPTH {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) if r.starts_with('#') => match doc.pointer(&r[1..]) {
                Some(target) => v = target,
                None => return &Value::Null,
            },
            _ => return v,
        }
    }
    &Value::Null
}

fn server_prefix(doc: &Value) -> String {
    let Some(server) = doc.pointer("/servers/0") else {
        return String::new();
    };
    let mut url = server
        .get("url")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    if let Some(vars) = server.get("variables").and_then(Value::as_object) {
        for (name, var) in vars {
            if let Some(d) = var.get("default").and_then(Value::as_str) {
                url = url.replace(&format!("{{{name}}}"), d);
            }
        }
    }
    let path = match url.find("://") {
        Some(i) => url[i + 3..].find('/').map_or("", |j| &url[i + 3 + j..]),
        None => url.as_str(),
    };
    let path = path.trim_end_matches('/');
    if path.contains('{') || !path.starts_with('/') {
        return String::new();
    }
    path.to_owned()
}

/// The path parameters' schemas, by name (operation level overrides path level).
fn path_params<'a>(doc: &'a Value, item: &'a Value, op: &'a Value) -> Vec<(String, &'a Value)> {
    let mut out: Vec<(String, &Value)> = Vec::new();
    for list in [item.get("parameters"), op.get("parameters")]
        .into_iter()
        .flatten()
        .filter_map(Value::as_array)
    {
        for p in list {
            let p = resolve(doc, p);
            if p.get("in").and_then(Value::as_str) != Some("path") {
                continue;
            }
            let Some(name) = p.get("name").and_then(Value::as_str) else {
                continue;
            };
            let schema = resolve(doc, p.get("schema").unwrap_or(&Value::Null));
            out.retain(|(n, _)| n != name);
            out.push((name.to_owned(), schema));
        }
    }
    out
}

/// The template with every `{param}` replaced by a placeholder of its type.
pub(super) fn fill_path(template: &str, params: &[(String, &Value)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        let name = &rest[start + 1..start + len];
        let schema = params.iter().find(|(n, _)| n == name).map(|(_, s)| *s);
        out.push_str(&placeholder(schema));
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    out
}

fn placeholder(schema: Option<&Value>) -> String {
    let Some(s) = schema else {
        return "errcat-check".to_owned();
    };
    match (type_name(s), s.get("format").and_then(Value::as_str)) {
        (Some("integer" | "number"), _) => "1".to_owned(),
        (_, Some("uuid")) => "00000000-0000-4000-8000-000000000000".to_owned(),
        _ => match s.get("enum").and_then(|e| e.get(0)).and_then(Value::as_str) {
            Some(v) => v.to_owned(),
            None => "errcat-check".to_owned(),
        },
    }
}

fn json_body_schema<'a>(doc: &'a Value, op: &'a Value) -> Option<&'a Value> {
    let body = resolve(doc, op.get("requestBody")?);
    let content = body.get("content")?.as_object()?;
    let media = content
        .get("application/json")
        .or_else(|| {
            content
                .iter()
                .find(|(k, _)| k.starts_with("application/") && k.ends_with("+json"))
                .map(|(_, v)| v)
        })
        .or_else(|| {
            content
                .iter()
                .find(|(k, _)| k.starts_with("application/json"))
                .map(|(_, v)| v)
        })?;
    Some(resolve(doc, media.get("schema").unwrap_or(&Value::Null)))
}

fn security(doc: &Value, reqs: &Value, schemes: Option<&Map<String, Value>>) -> Vec<Vec<Scheme>> {
    let Some(reqs) = reqs.as_array() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for req in reqs {
        let Some(req) = req.as_object() else { continue };
        if req.is_empty() {
            // `{}`: anonymous access is one of the alternatives.
            return Vec::new();
        }
        let alt = req
            .keys()
            .map(|name| {
                let s = schemes
                    .and_then(|m| m.get(name))
                    .map_or(&Value::Null, |s| resolve(doc, s));
                scheme(name, s)
            })
            .collect();
        out.push(alt);
    }
    out
}

fn scheme(name: &str, s: &Value) -> Scheme {
    let field = |k: &str| s.get(k).and_then(Value::as_str).unwrap_or("");
    match field("type") {
        "apiKey" if field("in") == "header" && !field("name").is_empty() => {
            Scheme::ApiKeyHeader(field("name").to_owned())
        }
        "http" if field("scheme").eq_ignore_ascii_case("bearer") => Scheme::Bearer,
        "oauth2" | "openIdConnect" => Scheme::Bearer,
        "apiKey" => Scheme::Unsupported(format!("{name} (api key in {})", field("in"))),
        "http" => Scheme::Unsupported(format!("{name} (http {})", field("scheme"))),
        t => Scheme::Unsupported(format!("{name} ({t})")),
    }
}

/// The schema's type: `type`, the first non-null of a 3.1 type list, or
/// inferred from `properties`/`items`.
fn type_name(s: &Value) -> Option<&str> {
    match s.get("type") {
        Some(Value::String(t)) => Some(t),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null"),
        _ if s.get("properties").is_some() => Some("object"),
        _ if s.get("items").is_some() => Some("array"),
        _ => None,
    }
}

/// A valid-looking value for `schema`.
pub(super) fn example(doc: &Value, schema: &Value) -> Value {
    example_at(doc, schema, 0)
}

fn example_at(doc: &Value, schema: &Value, depth: usize) -> Value {
    let s = resolve(doc, schema);
    if depth > MAX_DEPTH {
        return Value::Null;
    }
    for k in ["const", "example", "default"] {
        if let Some(v) = s.get(k) {
            return v.clone();
        }
    }
    if let Some(v) = s.get("examples").and_then(|e| e.get(0)) {
        return v.clone();
    }
    if let Some(v) = s.get("enum").and_then(|e| e.get(0)) {
        return v.clone();
    }
    if let Some(all) = s.get("allOf").and_then(Value::as_array) {
        let mut merged = Map::new();
        for part in all {
            match example_at(doc, part, depth + 1) {
                Value::Object(m) => merged.extend(m),
                other if all.len() == 1 => return other,
                _ => {}
            }
        }
        if s.get("properties").is_none() {
            return Value::Object(merged);
        }
    }
    for k in ["oneOf", "anyOf"] {
        if let Some(first) = s.get(k).and_then(|v| v.get(0)) {
            return example_at(doc, first, depth + 1);
        }
    }
    match type_name(s) {
        Some("string") => string_example(s),
        Some("integer") => json!(number_min(s).unwrap_or(1.0).ceil() as i64),
        Some("number") => json!(number_min(s).unwrap_or(1.0)),
        Some("boolean") => json!(true),
        Some("array") => {
            let item = s.get("items").unwrap_or(&Value::Null);
            let n = s
                .get("minItems")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .clamp(1, 3);
            Value::Array((0..n).map(|_| example_at(doc, item, depth + 1)).collect())
        }
        Some("null") => Value::Null,
        _ => {
            let mut m = Map::new();
            for (name, prop) in properties(doc, s, &mut Vec::new()) {
                m.insert(name, example_at(doc, &prop, depth + 1));
            }
            Value::Object(m)
        }
    }
}

fn number_min(s: &Value) -> Option<f64> {
    let min = s.get("minimum").and_then(Value::as_f64);
    let ex = s.get("exclusiveMinimum").and_then(Value::as_f64);
    match (min, ex) {
        (_, Some(e)) => Some(e + 1.0),
        (Some(m), None) => Some(m.max(1.0)),
        (None, None) => None,
    }
    .map(|v| match s.get("maximum").and_then(Value::as_f64) {
        Some(max) if v > max => max,
        _ => v,
    })
}

fn string_example(s: &Value) -> Value {
    let base = match s.get("format").and_then(Value::as_str) {
        Some("uuid") => "00000000-0000-4000-8000-000000000000",
        Some("email") => "check@example.com",
        Some("date-time") => "2024-01-01T00:00:00Z",
        Some("date") => "2024-01-01",
        Some("time") => "00:00:00Z",
        Some("uri" | "url") => "https://example.com/",
        Some("hostname") => "example.com",
        Some("ipv4") => "192.0.2.1",
        Some("ipv6") => "2001:db8::1",
        _ => "errcat",
    };
    let mut v = base.to_owned();
    let min = s.get("minLength").and_then(Value::as_u64).unwrap_or(0);
    let min = usize::try_from(min.min(1024)).unwrap_or(0);
    while v.len() < min {
        v.push('x');
    }
    if let Some(max) = s.get("maxLength").and_then(Value::as_u64) {
        let max = usize::try_from(max).unwrap_or(usize::MAX).max(1);
        v.truncate(max);
    }
    Value::String(v)
}

/// The properties the example includes: the required ones, or all of them
/// when none is required (`allOf` parts included).
fn properties(doc: &Value, s: &Value, seen: &mut Vec<*const Value>) -> Vec<(String, Value)> {
    let s = resolve(doc, s);
    if seen.contains(&std::ptr::from_ref(s)) || seen.len() > MAX_DEPTH {
        return Vec::new();
    }
    seen.push(std::ptr::from_ref(s));
    let mut out: Vec<(String, Value)> = Vec::new();
    if let Some(all) = s.get("allOf").and_then(Value::as_array) {
        for part in all {
            out.extend(properties(doc, part, seen));
        }
    }
    let required: Vec<&str> = s
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(props) = s.get("properties").and_then(Value::as_object) {
        for (name, prop) in props {
            if required.is_empty() || required.contains(&name.as_str()) {
                out.push((name.clone(), prop.clone()));
            }
        }
    }
    out
}

/// A body with one field of the wrong type, and what was changed.
pub(super) fn wrong_body(doc: &Value, schema: &Value) -> (Value, String) {
    let valid = example(doc, schema);
    let props = properties(doc, schema, &mut Vec::new());
    // A field whose type is known, so the wrong one surely is wrong.
    let typed = props.iter().find_map(|(name, prop)| {
        let p = resolve(doc, prop);
        let t = type_name(p)?;
        let nullable = p.get("nullable") == Some(&Value::Bool(true));
        (!nullable && t != "null").then(|| (name.clone(), t.to_owned()))
    });
    match (valid, typed) {
        (Value::Object(mut m), Some((name, t))) => {
            let wrong = wrong_value(&t);
            let note = format!("`{name}` ({t}) sent as {}", json_type(&wrong));
            m.insert(name, wrong);
            (Value::Object(m), note)
        }
        (Value::Object(_), None) => (
            json!(["errcat"]),
            "an array where an object is expected".to_owned(),
        ),
        (Value::Array(_), _) => (
            json!({"errcat": 1}),
            "an object where an array is expected".to_owned(),
        ),
        (Value::String(_), _) => (
            json!(12345),
            "a number where a string is expected".to_owned(),
        ),
        (other, _) => {
            let wrong = json!({"errcat": 1});
            let note = format!("an object where {} is expected", json_type(&other));
            (wrong, note)
        }
    }
}

fn wrong_value(t: &str) -> Value {
    match t {
        "string" => json!(12345),
        "integer" | "number" => json!("not-a-number"),
        "boolean" => json!("not-a-boolean"),
        "array" => json!("not-an-array"),
        _ => json!("not-an-object"),
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Value {
        json!({
            "openapi": "3.1.0",
            "servers": [{"url": "https://api.example.com/v1/"}],
            "security": [{"key": []}],
            "components": {
                "securitySchemes": {
                    "key": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                    "jwt": {"type": "http", "scheme": "bearer"}
                },
                "schemas": {
                    "Base": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "minLength": 8}}},
                    "Item": {"allOf": [{"$ref": "#/components/schemas/Base"}, {"type": "object", "required": ["price"], "properties": {"price": {"type": ["integer", "null"], "minimum": 5}, "tags": {"type": "array"}}}]}
                },
                "parameters": {"Id": {"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}}
            },
            "paths": {
                "/items": {
                    "get": {"security": []},
                    "post": {"requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}}}
                },
                "/items/{id}/tags/{tag}": {
                    "parameters": [{"$ref": "#/components/parameters/Id"}],
                    "delete": {"security": [{"key": []}, {"jwt": []}]}
                }
            }
        })
    }

    #[test]
    fn reads_operations_security_and_prefix() {
        let d = doc();
        let spec = parse(&d).unwrap();
        assert_eq!(spec.prefix, "/v1");
        assert_eq!(spec.api_key_headers, ["X-API-Key"]);
        let ops: Vec<(&str, &str, &str, usize)> = spec
            .ops
            .iter()
            .map(|o| {
                (
                    o.method.as_str(),
                    o.template.as_str(),
                    o.path.as_str(),
                    o.security.len(),
                )
            })
            .collect();
        assert_eq!(
            ops,
            [
                ("GET", "/items", "/items", 0),
                ("POST", "/items", "/items", 1),
                (
                    "DELETE",
                    "/items/{id}/tags/{tag}",
                    "/items/1/tags/errcat-check",
                    2
                ),
            ]
        );
        assert_eq!(spec.ops[2].security[1], vec![Scheme::Bearer]);
        assert_eq!(spec.ops[0].path_methods, ["GET", "POST"]);
    }

    #[test]
    fn builds_valid_and_wrong_bodies() {
        let d = doc();
        let spec = parse(&d).unwrap();
        let schema = spec.ops[1].body.as_ref().unwrap();
        assert_eq!(example(&d, schema), json!({"name": "errcatxx", "price": 5}));
        let (wrong, note) = wrong_body(&d, schema);
        assert_eq!(wrong, json!({"name": 12345, "price": 5}));
        assert_eq!(note, "`name` (string) sent as a number");
    }

    #[test]
    fn rejects_swagger_2() {
        assert!(
            parse(&json!({"swagger": "2.0"}))
                .unwrap_err()
                .contains("Swagger 2.0")
        );
    }
}
