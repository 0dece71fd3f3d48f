//! errcat: the error system of an HTTP API, defined once in `errors.toml`.
//!
//! Write the catalog once; get typed constructors (this crate's
//! [`catalog!`] macro), responses in RFC 9457 problem+json, Google AIP-193 or
//! your API's own envelope (byte-exact), and from the `errcat` command a lint,
//! explanations and rendered examples.
//!
//! ```
//! mod errors {
//!     errcat::catalog!("tests/data/errors.toml");
//! }
//!
//! let err = errors::template_not_found("tpl_42");
//! let out = errors::RENDERER.render(&err, &errcat::RenderOptions {
//!     error_id: Some("e-1"),
//!     ..Default::default()
//! });
//! assert_eq!(out.status, 404);
//! assert_eq!(
//!     String::from_utf8(out.body).unwrap(),
//!     r#"{"error":{"code":4041,"message":"Template tpl_42 not found","details":{}}}"#
//! );
//! // Codes parse into a typed enum; a newer server's codes are kept, not lost.
//! assert_eq!(errors::Code::parse("TEMPLATE_NOT_FOUND"), errors::Code::TemplateNotFound);
//! assert_eq!(errors::Code::from_numeric(4041), Some(errors::Code::TemplateNotFound));
//! assert_eq!(errors::Code::parse("NEW_CODE"), errors::Code::Unknown("NEW_CODE".into()));
//! ```
//!
//! The crates behind it: [`errcat_catalog`] (the format, loader and lint) and
//! [`errcat_render`] (envelopes). The format is described in `docs/catalog.md`.

pub use errcat_catalog::{self as catalog_format, Catalog, FieldViolation};
pub use errcat_macros::catalog;
pub use errcat_render::{
    Error, ParamValue, RenderOptions, Rendered, Renderer, example_error, reason_phrase,
};

#[doc(hidden)]
pub mod __private {
    use errcat_catalog::Catalog;

    /// Loads the catalog text the macro embedded; the macro already checked it
    /// with the same code, so this cannot fail unless the file was edited
    /// between the check and the build.
    pub fn load_embedded(text: &str, name: &str) -> Catalog {
        match Catalog::from_str(text, name) {
            Ok(c) => c,
            Err(report) => panic!("errcat: {name} changed after it was checked:\n{report}"),
        }
    }
}
