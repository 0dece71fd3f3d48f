//! The JSON Schema (2020-12, as OpenAPI 3.1 uses) of a custom envelope,
//! derived from its template: every body the envelope can render is valid.

use errcat_catalog::EnvelopeDef;
use errcat_catalog::template::{Alt, Each, Expr, Filter, If, Piece, Text, Tpl, Var};
use serde_json::{Map, Value, json};

/// The schema of an envelope's bodies.
///
/// ```
/// let catalog = errcat_catalog::Catalog::from_str(r#"
/// [api]
/// envelope = "slack"
/// [envelopes.slack]
/// status = 200
/// body = '{"ok": false, "error": "$code"}'
/// "#, "errors.toml").unwrap();
/// let schema = errcat_docs::schema::envelope_schema(&catalog.envelopes[0]);
/// assert_eq!(schema["properties"]["ok"], serde_json::json!({"const": false}));
/// assert_eq!(schema["required"], serde_json::json!(["ok", "error"]));
/// ```
pub fn envelope_schema(env: &EnvelopeDef) -> Value {
    Schemas { env }.of(&env.body_tpl)
}

struct Schemas<'a> {
    env: &'a EnvelopeDef,
}

/// Whether a part may be left out of its object or array.
fn omittable(t: &Tpl) -> bool {
    match t {
        Tpl::Value { optional, .. } => *optional,
        Tpl::If(i) => i.otherwise.as_ref().is_none_or(omittable) || omittable(&i.then),
        Tpl::Each(e) => e.otherwise.as_ref().is_some_and(omittable),
        _ => false,
    }
}

fn any_of(mut schemas: Vec<Value>) -> Value {
    schemas.dedup();
    if schemas.len() == 1 {
        return schemas.remove(0);
    }
    json!({ "anyOf": schemas })
}

impl Schemas<'_> {
    fn of(&self, t: &Tpl) -> Value {
        match t {
            Tpl::Lit(v) => json!({ "const": v }),
            Tpl::Value { expr, .. } => self.expr(expr),
            Tpl::Text(text) => text_schema(text),
            Tpl::Array(items) => {
                let all_there = items.iter().all(|i| !omittable(i));
                if all_there {
                    json!({
                        "type": "array",
                        "prefixItems": items.iter().map(|i| self.of(i)).collect::<Vec<_>>(),
                        "minItems": items.len(),
                        "maxItems": items.len(),
                    })
                } else {
                    json!({
                        "type": "array",
                        "items": any_of(items.iter().map(|i| self.of(i)).collect()),
                        "maxItems": items.len(),
                    })
                }
            }
            Tpl::Object(members) => {
                let mut props = Map::new();
                let mut required = Vec::new();
                for (k, v) in members {
                    props.insert(k.clone(), self.of(v));
                    if !omittable(v) {
                        required.push(Value::String(k.clone()));
                    }
                }
                json!({ "type": "object", "properties": props, "required": required })
            }
            Tpl::Each(each) => self.each(each),
            Tpl::If(i) => {
                let If {
                    then, otherwise, ..
                } = &**i;
                let mut alts = vec![self.of(then)];
                if let Some(o) = otherwise {
                    alts.push(self.of(o));
                }
                any_of(alts)
            }
        }
    }

    fn each(&self, each: &Each) -> Value {
        let item = self.of(&each.item);
        let shape = match (&each.key, each.group) {
            (None, _) => json!({ "type": "array", "items": item }),
            (Some(_), true) => json!({
                "type": "object",
                "additionalProperties": { "type": "array", "items": item, "minItems": 1 },
            }),
            (Some(_), false) => json!({ "type": "object", "additionalProperties": item }),
        };
        match &each.otherwise {
            Some(o) => any_of(vec![shape, self.of(o)]),
            None => shape,
        }
    }

    fn expr(&self, e: &Expr) -> Value {
        let mut alts: Vec<Value> = Vec::new();
        let mut nullable = true;
        for alt in &e.alts {
            let (schema, can_be_null) = match alt {
                Alt::Lit(s) => (json!({ "const": s }), false),
                Alt::Var { var, filters } => self.var(var, filters),
            };
            alts.push(schema);
            if !can_be_null {
                nullable = false;
                break;
            }
        }
        if nullable {
            alts.push(json!({ "type": "null" }));
        }
        any_of(alts)
    }

    /// A variable's schema after its filters, and whether it can be null.
    fn var(&self, var: &Var, filters: &[Filter]) -> (Value, bool) {
        let string = || json!({ "type": "string" });
        let nullable = matches!(
            var,
            Var::NumericCode
                | Var::RequestId
                | Var::Instance
                | Var::Method
                | Var::RetryAfter
                | Var::DocUrl
                | Var::Reason
                | Var::Path
                | Var::Param(_)
                | Var::RequestHeader(_)
                | Var::ReasonPhrase
        );
        if let Some(last) = filters.iter().rev().find(|f| !matches!(f, Filter::Raw)) {
            return (
                match last {
                    Filter::Unix | Filter::UnixMs => json!({ "type": "integer" }),
                    Filter::Segments(_) => json!({
                        "type": "array",
                        "items": { "type": ["string", "integer"] },
                    }),
                    _ => string(),
                },
                nullable,
            );
        }
        let schema = match var {
            Var::Status => json!({ "type": "integer", "minimum": 100, "maximum": 599 }),
            Var::NumericCode | Var::RetryAfter => json!({ "type": "integer" }),
            Var::Timestamp => json!({ "type": "string", "format": "date-time" }),
            Var::Details => json!({ "type": "object" }),
            Var::Params => json!({ "type": "object" }),
            Var::Param(_) => json!({ "type": ["string", "number", "boolean"] }),
            Var::FieldViolations | Var::Violations => {
                json!({ "type": "array", "items": self.of(&self.env.violation_tpl) })
            }
            _ => string(),
        };
        (schema, nullable)
    }
}

/// A string template: a string matching its literal parts.
fn text_schema(text: &Text) -> Value {
    let mut pattern = String::from("^");
    for p in &text.pieces {
        match p {
            Piece::Lit(s) => pattern.push_str(&regex_escape(s)),
            Piece::Expr(_) => pattern.push_str("[\\s\\S]*"),
        }
    }
    pattern.push('$');
    json!({ "type": "string", "pattern": pattern })
}

fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$/".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
