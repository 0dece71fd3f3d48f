//! A catalog as written, before resolution: every field optional and
//! located, and the keys each table may have.

use crate::decode::Span;
use crate::model::{
    Example, IdScheme, Link, Message, Param, Retain, StatusRange, Translation, Visibility,
};
use crate::template;

/// A value with the span it came from.
#[derive(Clone, Debug)]
pub(crate) struct At<T> {
    pub(crate) value: T,
    pub(crate) span: Span,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct RawApi {
    pub(crate) name: Option<String>,
    pub(crate) version: Option<String>,
    pub(crate) docs_url: Option<String>,
    pub(crate) domain: Option<String>,
    pub(crate) envelope: Option<At<String>>,
    pub(crate) error_id: Option<IdScheme>,
    pub(crate) locale: Option<String>,
    pub(crate) standard_public: Option<bool>,
    /// `Some(None)`: no request id header.
    pub(crate) request_id_header: Option<Option<String>>,
    pub(crate) doc_url: Option<template::Tpl>,
}

#[derive(Clone, Debug)]
pub(crate) struct RawCategory {
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) statuses: Vec<StatusRange>,
    pub(crate) span: Span,
}

/// An error entry as written: every field optional, so that an entry can
/// override a standard one field by field.
#[derive(Clone, Debug, Default)]
pub(crate) struct RawError {
    pub(crate) code: Option<At<String>>,
    pub(crate) numeric_code: Option<At<i64>>,
    pub(crate) status: Option<At<u16>>,
    pub(crate) category: Option<At<String>>,
    pub(crate) title: Option<String>,
    pub(crate) message: Option<At<Message>>,
    pub(crate) params: Option<At<Vec<Param>>>,
    pub(crate) description: Option<String>,
    pub(crate) causes: Option<Vec<String>>,
    pub(crate) resolution: Option<Vec<String>>,
    pub(crate) support: Option<String>,
    pub(crate) links: Option<Vec<Link>>,
    pub(crate) retryable: Option<bool>,
    pub(crate) retry_after: Option<u64>,
    pub(crate) retry_advice: Option<String>,
    pub(crate) headers: Option<Vec<(String, Message)>>,
    pub(crate) since: Option<String>,
    pub(crate) deprecated: Option<String>,
    pub(crate) replaced_by: Option<At<String>>,
    pub(crate) example: Option<Example>,
    pub(crate) translations: Option<Vec<Translation>>,
    pub(crate) visibility: Option<Visibility>,
    pub(crate) retain: Option<Retain>,
    pub(crate) standard: Option<At<Vec<String>>>,
    pub(crate) doc_url: Option<template::Tpl>,
    pub(crate) span: Option<Span>,
}

#[derive(Clone, Debug)]
pub(crate) struct RawGuide {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) body: String,
    pub(crate) category: Option<At<String>>,
}

#[derive(Clone, Debug)]
pub(crate) struct RawEnvelope {
    pub(crate) name: String,
    pub(crate) media_type: String,
    pub(crate) body: serde_json::Value,
    pub(crate) violation: serde_json::Value,
    pub(crate) body_tpl: template::Tpl,
    pub(crate) violation_tpl: template::Tpl,
    pub(crate) status: Option<u16>,
    pub(crate) headers: Vec<(String, template::Tpl)>,
    pub(crate) codes_by_status: Vec<(u16, At<String>)>,
    pub(crate) span: Span,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct RawCatalog {
    pub(crate) api: RawApi,
    pub(crate) api_span: Option<Span>,
    pub(crate) categories: Vec<RawCategory>,
    pub(crate) errors: Vec<RawError>,
    pub(crate) guides: Vec<RawGuide>,
    pub(crate) envelopes: Vec<RawEnvelope>,
    pub(crate) docs: crate::docs::RawDocs,
}

pub(crate) const TOP_KEYS: &[&str] = &[
    "$schema",
    "api",
    "categories",
    "errors",
    "guides",
    "envelopes",
    "docs",
];
pub(crate) const API_KEYS: &[&str] = &[
    "name",
    "version",
    "docs_url",
    "domain",
    "envelope",
    "error_id",
    "locale",
    "standard_errors",
    "request_id_header",
    "doc_url",
];
pub(crate) const CATEGORY_KEYS: &[&str] = &["description", "statuses"];
pub(crate) const ERROR_KEYS: &[&str] = &[
    "code",
    "numeric_code",
    "status",
    "category",
    "title",
    "message",
    "params",
    "description",
    "causes",
    "resolution",
    "support",
    "links",
    "retryable",
    "retry_after",
    "retry_advice",
    "headers",
    "since",
    "deprecated",
    "replaced_by",
    "example",
    "translations",
    "visibility",
    "retain",
    "standard",
    "doc_url",
];
/// Whether `key` is in [`ERROR_KEYS`]: a `match`, for the keys of every
/// error entry.
pub(crate) fn is_error_key(key: &str) -> bool {
    matches!(
        key,
        "code"
            | "numeric_code"
            | "status"
            | "category"
            | "title"
            | "message"
            | "params"
            | "description"
            | "causes"
            | "resolution"
            | "support"
            | "links"
            | "retryable"
            | "retry_after"
            | "retry_advice"
            | "headers"
            | "since"
            | "deprecated"
            | "replaced_by"
            | "example"
            | "translations"
            | "visibility"
            | "retain"
            | "standard"
            | "doc_url"
    )
}
pub(crate) const PARAM_KEYS: &[&str] = &["type", "description", "example"];
pub(crate) const LINK_KEYS: &[&str] = &["title", "url"];
pub(crate) const EXAMPLE_KEYS: &[&str] = &["params", "details", "violations"];
pub(crate) const VIOLATION_KEYS: &[&str] = &["path", "message", "reason"];
pub(crate) const TRANSLATION_KEYS: &[&str] = &["title", "message"];
pub(crate) const GUIDE_KEYS: &[&str] = &["id", "title", "body", "category"];
pub(crate) const ENVELOPE_KEYS: &[&str] = &[
    "media_type",
    "body",
    "violation",
    "status",
    "headers",
    "codes_by_status",
];
