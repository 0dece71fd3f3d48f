//! Ordered roles and tenant scope.
//!
//! - [`RoleOrder`] ranks role names from the least to the most privileged;
//!   [`RoleOrder::require`] answers `insufficient_role` (403) naming the
//!   required role in its `required_role` parameter.
//! - [`scoped`] answers a resource of another tenant exactly like a missing
//!   one (`not_found`, the same body apart from the ids), so that ids of
//!   other tenants cannot be probed.
//!
//! Check the role *before* loading the resource, then scope what was
//! loaded: a caller without the permission gets the same 403 whether or
//! not the resource exists, as AIP-193 asks (permission before existence),
//! and a caller of another tenant cannot tell its resources from missing
//! ones.
//!
//! ```
//! use errcat_axum::roles::{RoleOrder, scoped};
//!
//! #[derive(Debug)]
//! struct Doc { tenant: String, title: String }
//!
//! let roles = RoleOrder::new(["viewer", "editor", "admin"]);
//! let load = |id: &str| (id == "d1").then(|| Doc { tenant: "acme".into(), title: "Q3".into() });
//!
//! // An editor of acme reads d1.
//! roles.require("editor", "viewer").unwrap();
//! let doc = scoped(load("d1"), |d: &Doc| &d.tenant, "acme").unwrap();
//! assert_eq!(doc.title, "Q3");
//!
//! // A viewer may not delete.
//! let err = roles.require("viewer", "admin").unwrap_err();
//! assert_eq!(err.role(), Some("insufficient_role"));
//! assert_eq!(err.param("required_role").unwrap().to_text(), "admin");
//!
//! // Another tenant's d1 and a missing d9 are the same error.
//! let foreign = scoped(load("d1"), |d: &Doc| &d.tenant, "globex").unwrap_err();
//! let missing = scoped(load("d9"), |d: &Doc| &d.tenant, "globex").unwrap_err();
//! assert_eq!((foreign.role(), missing.role()), (Some("not_found"), Some("not_found")));
//! assert_eq!(foreign.params(), missing.params());
//! ```

use std::fmt;
use std::sync::Arc;

use errcat_render::Error;

/// Role names from the least to the most privileged: a role satisfies a
/// requirement if it ranks at or above it. Cheap to clone.
///
/// Names are compared exactly (case-sensitive). A caller's role that is not
/// in the order has no privilege at all: it ranks below every listed role,
/// so it satisfies no requirement. A required role that is not in the order
/// is satisfied by nobody (a typo fails closed).
#[derive(Clone, PartialEq, Eq)]
pub struct RoleOrder {
    names: Arc<[Box<str>]>,
}

impl fmt::Debug for RoleOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.names.iter()).finish()
    }
}

impl RoleOrder {
    /// The roles, least privileged first. A name listed twice keeps its
    /// first rank.
    pub fn new<I, S>(lowest_first: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        RoleOrder {
            names: lowest_first
                .into_iter()
                .map(|s| Box::from(s.as_ref()))
                .collect(),
        }
    }

    /// The rank of a role (0 for the least privileged), `None` if unknown.
    pub fn rank(&self, role: &str) -> Option<usize> {
        self.names.iter().position(|n| &**n == role)
    }

    /// The roles, least privileged first.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(|n| &**n)
    }

    /// Whether a caller with role `actual` may do what needs `required`.
    pub fn allows(&self, actual: &str, required: &str) -> bool {
        match (self.rank(actual), self.rank(required)) {
            (Some(a), Some(r)) => a >= r,
            _ => false,
        }
    }

    /// `Ok` if `actual` ranks at or above `required`.
    ///
    /// # Errors
    ///
    /// `insufficient_role` (403) with the parameter `required_role` set to
    /// `required`; the internal cause names the caller's role.
    pub fn require(&self, actual: &str, required: &str) -> Result<(), Error> {
        if self.allows(actual, required) {
            return Ok(());
        }
        let why = match (self.rank(actual), self.rank(required)) {
            (_, None) => format!("required role {required:?} is not in the role order"),
            (None, _) => format!("caller role {actual:?} is not in the role order"),
            _ => format!("caller role {actual:?} is below {required:?}"),
        };
        Err(Error::standard("insufficient_role")
            .with_param("required_role", required.to_owned())
            .with_source(std::io::Error::other(why)))
    }
}

/// The resource, if it was found and belongs to `caller_tenant`; otherwise
/// the catalog's `not_found`, the same error whether it is missing or
/// another tenant's (only the internal cause tells them apart, in the
/// logs).
///
/// # Errors
///
/// `not_found` (404) for a missing or foreign resource.
pub fn scoped<T>(
    found: Option<T>,
    owner: impl FnOnce(&T) -> &str,
    caller_tenant: &str,
) -> Result<T, Error> {
    scoped_with(found, owner, caller_tenant, || Error::standard("not_found"))
}

/// Like [`scoped`], with the API's own not-found error (for example
/// `TEMPLATE_NOT_FOUND` with the id the caller asked for): `not_found` is
/// called in both cases, so both answers are the same.
///
/// ```
/// use errcat_axum::roles::scoped_with;
///
/// let err = scoped_with(Some(("tpl_1", "acme")), |t| t.1, "globex", || {
///     errcat_render::Error::new("TEMPLATE_NOT_FOUND").with_param("template_id", "tpl_1")
/// })
/// .unwrap_err();
/// assert_eq!(err.code(), "TEMPLATE_NOT_FOUND");
/// ```
///
/// # Errors
///
/// `not_found()` for a missing or foreign resource.
pub fn scoped_with<T>(
    found: Option<T>,
    owner: impl FnOnce(&T) -> &str,
    caller_tenant: &str,
    not_found: impl FnOnce() -> Error,
) -> Result<T, Error> {
    let why = match found {
        None => "no such resource",
        Some(item) => {
            if owner(&item) == caller_tenant {
                return Ok(item);
            }
            "the resource belongs to another tenant"
        }
    };
    Err(not_found().with_source(std::io::Error::other(why)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_and_unknown_roles() {
        let r = RoleOrder::new(["viewer", "editor", "admin"]);
        assert!(r.allows("admin", "viewer"));
        assert!(r.allows("editor", "editor"));
        assert!(!r.allows("viewer", "editor"));
        // Unknown caller roles satisfy nothing, not even the lowest role.
        assert!(!r.allows("guest", "viewer"));
        assert!(!r.allows("Admin", "viewer"));
        // Unknown requirements are satisfied by nobody.
        assert!(!r.allows("admin", "root"));
        let e = r.require("admin", "root").unwrap_err();
        assert_eq!(e.param("required_role").unwrap().to_text(), "root");
        assert!(e.cause_chain()[0].contains("not in the role order"));
    }

    #[test]
    fn scope_hides_foreign_resources() {
        let own = scoped(Some(("x", "acme")), |t| t.1, "acme").unwrap();
        assert_eq!(own.0, "x");
        let foreign = scoped(Some(("x", "acme")), |t| t.1, "globex").unwrap_err();
        let missing = scoped(None::<(&str, &str)>, |t| t.1, "globex").unwrap_err();
        assert_eq!(foreign.code(), missing.code());
        assert_eq!(foreign.params(), missing.params());
        assert_ne!(foreign.cause_chain(), missing.cause_chain());
    }
}
