//! `garde` validation reports as catalog errors (feature `garde`).
//!
//! [`ValidJson`] reads a body like [`Json`] (same rejections: 415, 413,
//! `invalid_json`, `validation_error` for serde's errors) and then runs
//! `garde`; a failed validation becomes the catalog's `validation_error`
//! (400) with one field violation per problem, its path dotted from the root
//! like the [`Json`] extractor's (`events.0.type`) and its message garde's.
//!
//! ```
//! use garde::Validate;
//!
//! #[derive(Validate)]
//! struct Batch {
//!     #[garde(length(min = 1), dive)]
//!     events: Vec<Event>,
//! }
//!
//! #[derive(Validate)]
//! struct Event {
//!     #[garde(length(min = 1))]
//!     r#type: String,
//! }
//!
//! let batch = Batch { events: vec![Event { r#type: "click".into() }, Event { r#type: String::new() }] };
//! let err = errcat_axum::validation::from_report(&batch.validate().unwrap_err());
//! assert_eq!(err.code(), "VALIDATION_ERROR");
//! assert_eq!(err.violations()[0].path, "events.1.type");
//! assert_eq!(err.violations()[0].message, "length is lower than 1");
//! ```
//!
//! ## Field names
//!
//! garde names a field after the Rust field (`r#type` is `type`, as in
//! serde), never after serde's `rename` or `rename_all`; garde 0.23 accepts
//! `#[garde(rename = …)]` but does not apply it. Where a JSON name differs
//! from the Rust one, the path names the Rust field: keep the two the same,
//! or map the names with [`from_report_with`].

use axum::extract::{FromRequest, Request};
use errcat_catalog::FieldViolation;
use errcat_render::Error;
use garde::Validate;
use garde::error::Kind;
use serde::de::DeserializeOwned;

use crate::Json;

/// The `reason` of every violation made from a garde report: garde's
/// messages say what is wrong, but carry no machine-readable rule name.
pub const REASON: &str = "invalid_value";

/// The catalog's `validation_error` with one field violation per problem of
/// `report`, in garde's order.
pub fn from_report(report: &garde::Report) -> Error {
    from_report_with(report, str::to_owned)
}

/// [`from_report`], with each field name passed through `name` (map keys and
/// list indexes are left as they are): for JSON names that differ from the
/// Rust fields', such as serde's `rename_all = "camelCase"`.
///
/// ```
/// let mut report = garde::Report::new();
/// let path = garde::Path::new("billing_address").join("postal_code");
/// report.append(path, garde::Error::new("length is lower than 3"));
/// let camel = |s: &str| {
///     let mut out = String::new();
///     for (i, part) in s.split('_').enumerate() {
///         let mut c = part.chars();
///         match c.next() {
///             Some(f) if i > 0 => {
///                 out.extend(f.to_uppercase());
///                 out.push_str(c.as_str());
///             }
///             _ => out.push_str(part),
///         }
///     }
///     out
/// };
/// let err = errcat_axum::validation::from_report_with(&report, camel);
/// assert_eq!(err.violations()[0].path, "billingAddress.postalCode");
/// ```
pub fn from_report_with(report: &garde::Report, name: impl Fn(&str) -> String) -> Error {
    Error::standard("validation_error").with_violations(report.iter().map(|(path, error)| {
        FieldViolation {
            path: dotted_with(path, &name),
            message: error.message().to_owned(),
            reason: Some(REASON.to_owned()),
        }
    }))
}

/// A garde path dotted from the root: `events[1].type` → `events.1.type`;
/// the root itself (a check on the whole value) is `$`, as in [`Json`]'s
/// violations.
pub fn dotted(path: &garde::Path) -> String {
    dotted_with(path, &str::to_owned)
}

fn dotted_with(path: &garde::Path, name: &dyn Fn(&str) -> String) -> String {
    let mut out = String::new();
    // garde's components, innermost first. `__iter` is garde's own way to
    // walk them (its `Display` is bracketed and loses key boundaries); the
    // dependency is pinned to one minor version.
    for (kind, component) in path.__iter().rev() {
        let part = match kind {
            // A wrapper without a key of its own (`Option`, a newtype).
            Kind::None => continue,
            Kind::Index => component.to_string(),
            // A raw identifier (`r#type`) is named without its prefix, as serde does.
            Kind::Key => name(component.strip_prefix("r#").unwrap_or(component)),
        };
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(&part);
    }
    if out.is_empty() {
        out.push('$');
    }
    out
}

/// Validates `value` with a default context, as a catalog error.
pub fn validate<T>(value: &T) -> Result<(), Error>
where
    T: Validate + ?Sized,
    T::Context: Default,
{
    value.validate().map_err(|report| from_report(&report))
}

/// A JSON body read like [`Json`] and then validated with `garde`
/// (`T::Context::default()`). Its rejections are [`Json`]'s, then
/// `validation_error` (400) with a field violation per problem.
///
/// ```no_run
/// use axum::{Router, routing::post};
/// use errcat_axum::validation::ValidJson;
///
/// #[derive(serde::Deserialize, garde::Validate)]
/// struct NewTemplate {
///     #[garde(length(min = 1, max = 64))]
///     name: String,
/// }
///
/// async fn create(ValidJson(t): ValidJson<NewTemplate>) -> String {
///     t.name
/// }
///
/// let app: Router = Router::new().route("/templates", post(create));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct ValidJson<T>(pub T);

impl<T, S> FromRequest<S> for ValidJson<T>
where
    T: DeserializeOwned + Validate,
    T::Context: Default,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(value) = Json::<T>::from_request(req, state).await?;
        validate(&value)?;
        Ok(ValidJson(value))
    }
}
