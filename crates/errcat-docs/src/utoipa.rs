//! errcat's error responses in a [utoipa](https://docs.rs/utoipa) document
//! (feature `utoipa`).
//!
//! [`ErrorResponses`] is a [`Modify`]: it adds the components of
//! [`openapi`](crate::openapi) (the envelope's schema `Error` and one
//! response `Error{status}` per status, an example per public code) to a
//! document that utoipa derived from a service's handlers, and gives each
//! operation the error responses that errcat's boundary layer and extractors
//! can answer it with:
//!
//! | operation | error responses (by the catalog's standard roles) |
//! |---|---|
//! | every one | `method_not_allowed`, `internal_error` (a panic, a foreign 5xx), `upstream_timeout` (the layer's deadline; see [`ErrorResponses::timeout_error`]) |
//! | with a request body | `invalid_json`, `validation_error`, `unsupported_media_type`, `payload_too_large` (errcat's `Json`) |
//! | with path or query parameters | `validation_error` (errcat's `Path` and `Query`) |
//! | declaring a 4xx/5xx response without content | that status's `Error{status}`, keeping the description |
//!
//! A role's status is the one the catalog gives it (a catalog may move
//! `validation_error` to 422); statuses without a public error are left out,
//! and a response an operation already has is kept. The names `Error` and
//! `Error{status}` are errcat's: components of those names are replaced.
//!
//! ```
//! use utoipa::Modify;
//!
//! let catalog = errcat_catalog::Catalog::from_str(r#"
//! [api]
//! name = "Todos"
//! envelope = "problem"
//! [[errors]]
//! code = "TODO_NOT_FOUND"
//! status = 404
//! message = "Todo {todo_id} not found"
//! params = { todo_id = "string" }
//! "#, "errors.toml").unwrap();
//! let mut doc = utoipa::openapi::OpenApi::default();
//! errcat_docs::utoipa::ErrorResponses::new(&catalog).unwrap().modify(&mut doc);
//! let responses = &doc.components.unwrap().responses;
//! assert!(responses.contains_key("Error404") && responses.contains_key("Error500"));
//! ```

use std::collections::BTreeMap;
use std::fmt;

use ::utoipa::Modify;
use ::utoipa::openapi::path::{Operation, Parameter, ParameterIn};
use ::utoipa::openapi::{OpenApi, Ref, RefOr, Response, Schema};
use errcat_catalog::Catalog;
use serde_json::{Value, json};

/// The roles every operation can be answered with (and the timeout's).
const EVERY_OPERATION: [&str; 2] = ["method_not_allowed", "internal_error"];
/// The roles of an operation with a request body.
const WITH_BODY: [&str; 4] = [
    "invalid_json",
    "validation_error",
    "unsupported_media_type",
    "payload_too_large",
];
/// The roles of an operation with path or query parameters.
const WITH_PARAMS: [&str; 1] = ["validation_error"];

/// A catalog's error responses, ready to merge into a utoipa [`OpenApi`].
#[derive(Clone)]
pub struct ErrorResponses {
    schema: RefOr<Schema>,
    /// `Error{status}` by status.
    responses: BTreeMap<u16, RefOr<Response>>,
    /// The status of each standard role whose status has a response.
    statuses: BTreeMap<String, u16>,
    timeout_role: Option<String>,
}

/// A component of errcat's OpenAPI output that utoipa's model cannot hold.
#[derive(Debug)]
pub struct ConvertError {
    /// The component: `schemas.Error` or `responses.Error{status}`.
    pub component: String,
    /// What utoipa's model refused.
    pub source: serde_json::Error,
}

impl fmt::Display for ConvertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "errcat's OpenAPI component `{}` does not fit utoipa's model: {}",
            self.component, self.source
        )
    }
}

impl std::error::Error for ConvertError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

impl ErrorResponses {
    /// The error responses of `catalog`, as [`openapi`](crate::openapi) writes
    /// them, in utoipa's model.
    ///
    /// # Errors
    ///
    /// A [`ConvertError`] if a component does not deserialize into utoipa's
    /// model (errcat's output is plain OpenAPI 3.1, so this names a gap
    /// between the two, not a fault of the catalog).
    pub fn new(catalog: &Catalog) -> Result<Self, ConvertError> {
        let doc = crate::openapi(catalog);
        let components = &doc["components"];
        let schema = convert("schemas.Error", for_utoipa(&components["schemas"]["Error"]))?;
        let mut responses = BTreeMap::new();
        if let Some(all) = components["responses"].as_object() {
            for (name, response) in all {
                let Some(status) = name.strip_prefix("Error").and_then(|s| s.parse().ok()) else {
                    continue;
                };
                let component = format!("responses.{name}");
                responses.insert(status, convert(&component, response.clone())?);
            }
        }
        let statuses = errcat_catalog::standard_roles()
            .filter_map(|role| {
                let status = catalog.standard(&role)?.status?;
                responses.contains_key(&status).then_some((role, status))
            })
            .collect();
        Ok(ErrorResponses {
            schema,
            responses,
            statuses,
            timeout_role: Some("upstream_timeout".to_owned()),
        })
    }

    /// The standard role the layer answers a timeout with, as set with
    /// `ErrcatLayer::timeout_error` (`upstream_timeout`, 504, by default);
    /// `None` when the layer has no timeout.
    ///
    /// ```
    /// # use utoipa::Modify;
    /// # let catalog = errcat_catalog::Catalog::from_str("[api]\nname = \"T\"", "errors.toml").unwrap();
    /// let errors = errcat_docs::utoipa::ErrorResponses::new(&catalog)
    ///     .unwrap()
    ///     .timeout_error(Some("service_unavailable"));
    /// # let _ = errors;
    /// ```
    #[must_use]
    pub fn timeout_error(mut self, role: Option<&str>) -> Self {
        self.timeout_role = role.map(str::to_owned);
        self
    }

    /// The statuses errcat adds to `op` (whose path item has the parameters
    /// `shared`), ascending: those of its roles (see the module's table) and
    /// its own 4xx/5xx responses that have no content.
    fn statuses_of(&self, shared: &[RefOr<Parameter>], op: &Operation) -> Vec<u16> {
        let mut roles: Vec<&str> = EVERY_OPERATION.to_vec();
        roles.extend(self.timeout_role.as_deref());
        if op.request_body.is_some() {
            roles.extend(WITH_BODY);
        }
        let in_path_or_query = |p: &RefOr<Parameter>| match p {
            RefOr::T(p) => matches!(p.parameter_in, ParameterIn::Path | ParameterIn::Query),
            RefOr::Ref(_) => false,
        };
        let mut params = shared.iter().chain(op.parameters.iter().flatten());
        if params.any(in_path_or_query) {
            roles.extend(WITH_PARAMS);
        }
        let mut out: Vec<u16> = roles
            .iter()
            .filter_map(|r| self.statuses.get(*r).copied())
            .collect();
        for (key, response) in &op.responses.responses {
            if let (Ok(status), RefOr::T(r)) = (key.parse::<u16>(), response)
                && status >= 400
                && r.content.is_empty()
                && self.responses.contains_key(&status)
            {
                out.push(status);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Adds the error responses to one operation.
    fn add_to(&self, shared: &[RefOr<Parameter>], op: &mut Operation) {
        for status in self.statuses_of(shared, op) {
            let key = status.to_string();
            let mut reference = Ref::from_response_name(format!("Error{status}"));
            match op.responses.responses.get(&key) {
                // The operation's own description of the status stays.
                Some(RefOr::T(r)) if r.content.is_empty() => {
                    reference.description = r.description.clone();
                }
                Some(_) => continue,
                None => {}
            }
            op.responses.responses.insert(key, RefOr::Ref(reference));
        }
    }
}

impl Modify for ErrorResponses {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components
            .schemas
            .insert("Error".to_owned(), self.schema.clone());
        for (status, response) in &self.responses {
            components
                .responses
                .insert(format!("Error{status}"), response.clone());
        }
        for item in openapi.paths.paths.values_mut() {
            let shared = item.parameters.clone().unwrap_or_default();
            let ops = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
                &mut item.query,
            ];
            for op in ops.into_iter().flatten() {
                self.add_to(&shared, op);
            }
        }
    }
}

fn convert<T: serde::de::DeserializeOwned>(component: &str, v: Value) -> Result<T, ConvertError> {
    serde_json::from_value(v).map_err(|source| ConvertError {
        component: component.to_owned(),
        source,
    })
}

/// The same schema in the keywords utoipa's model has: `const: v` as
/// `enum: [v]`, `items` (any item) spelled out beside `prefixItems`, and
/// `type: null` (utoipa's "any type", written back as no `type`) where there
/// is no `type`: utoipa reads an array only with `items`, and a schema that
/// is not `anyOf`/`oneOf`/`allOf` only with a `type`.
pub(crate) fn for_utoipa(schema: &Value) -> Value {
    let Value::Object(o) = schema else {
        return schema.clone();
    };
    let all = |v: &Value| match v {
        Value::Array(items) => Value::Array(items.iter().map(for_utoipa).collect()),
        other => other.clone(),
    };
    let mut out = serde_json::Map::new();
    for (k, child) in o {
        let (key, value) = match k.as_str() {
            "const" => ("enum", Value::Array(vec![child.clone()])),
            "items" | "additionalProperties" | "not" | "contains" | "propertyNames" => {
                (k.as_str(), for_utoipa(child))
            }
            "prefixItems" | "anyOf" | "oneOf" | "allOf" => (k.as_str(), all(child)),
            "properties" | "patternProperties" | "$defs" => (
                k.as_str(),
                match child {
                    Value::Object(props) => Value::Object(
                        props
                            .iter()
                            .map(|(name, s)| (name.clone(), for_utoipa(s)))
                            .collect(),
                    ),
                    other => other.clone(),
                },
            ),
            _ => (k.as_str(), child.clone()),
        };
        out.insert(key.to_owned(), value);
    }
    if out.contains_key("prefixItems") && !out.contains_key("items") {
        out.insert("items".to_owned(), json!({ "type": null }));
    }
    let composite = ["anyOf", "oneOf", "allOf"]
        .iter()
        .any(|k| out.contains_key(*k));
    if !composite && !out.contains_key("type") {
        out.insert("type".to_owned(), Value::Null);
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests;
