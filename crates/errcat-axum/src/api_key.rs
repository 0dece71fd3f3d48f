//! API keys in a header, checked against stored SHA-256 hashes in constant
//! time.
//!
//! The server keeps, for each key it issued, an id, what the key may do
//! (tenant, role) and the SHA-256 hash of the key, never the key itself.
//! [`ApiKeys`] hashes the presented key and compares the hash with *every*
//! stored hash using [`subtle`]'s constant-time equality, without stopping
//! at a match, so the time taken says nothing about which key, if any,
//! matched.
//!
//! - no header (or an empty one) → `missing_api_key`;
//! - a key that matches no stored hash, or more than one header →
//!   `invalid_api_key`.
//!
//! The presented key is never logged, put in an error's cause, or echoed
//! in a response.
//!
//! A plain SHA-256 is right for API keys because they are long random
//! strings (generate at least 128 bits with a CSPRNG); it is not a way to
//! store passwords.
//!
//! ```no_run
//! use axum::{Extension, Router, routing::get};
//! use errcat_axum::ErrcatLayer;
//! use errcat_axum::api_key::{ApiKey, ApiKeyRecord, ApiKeys};
//!
//! async fn whoami(ApiKey(key): ApiKey) -> String {
//!     format!("{} of {}", key.id, key.tenant.as_deref().unwrap_or("-"))
//! }
//!
//! # async fn run() {
//! // The hash, as stored when the key was issued: ApiKeys::hash_hex(&key).
//! let stored = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
//! let keys = ApiKeys::new([ApiKeyRecord::from_hex("key_1", stored)
//!     .unwrap()
//!     .with_tenant("acme")
//!     .with_role("editor")]);
//! let catalog = errcat_catalog::Catalog::from_path("errors.toml").unwrap();
//! let app = Router::new()
//!     .route("/whoami", get(whoami))
//!     .layer(Extension(keys))
//!     .layer(ErrcatLayer::new(errcat_render::Renderer::new(catalog)));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await.unwrap();
//! axum::serve(listener, app).await.unwrap();
//! # }
//! ```
//!
//! Checking a key directly:
//!
//! ```
//! use errcat_axum::api_key::{ApiKeyRecord, ApiKeys};
//!
//! let keys = ApiKeys::new([ApiKeyRecord::new("key_1", ApiKeys::hash("sk_live_4f9a")).with_tenant("acme")]);
//! assert_eq!(keys.find(b"sk_live_4f9a").unwrap().id, "key_1");
//! assert!(keys.find(b"sk_live_0000").is_none());
//! ```

use std::fmt;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use errcat_render::Error;
use http::header::HeaderName;
use http::request::Parts;
use http::{HeaderMap, HeaderValue};
use sha2::{Digest, Sha256};
use subtle::{ConditionallySelectable, ConstantTimeEq};

/// The default header: `X-API-Key`.
pub const DEFAULT_HEADER: HeaderName = HeaderName::from_static("x-api-key");

/// One issued key: its id, what it may do, and the SHA-256 hash of the key.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    /// The key's id (safe to log and show: `key_1`, not the key).
    pub id: String,
    /// The tenant the key belongs to.
    pub tenant: Option<String>,
    /// The role the key acts with (see [`crate::roles`]).
    pub role: Option<String>,
    hash: [u8; 32],
}

impl ApiKeyRecord {
    /// A record with the key's SHA-256 hash (from [`ApiKeys::hash`]).
    pub fn new(id: impl Into<String>, sha256: [u8; 32]) -> Self {
        ApiKeyRecord {
            id: id.into(),
            tenant: None,
            role: None,
            hash: sha256,
        }
    }

    /// A record with the key's SHA-256 hash in hex (from [`ApiKeys::hash_hex`]).
    ///
    /// # Errors
    ///
    /// If `sha256_hex` is not 64 hex digits.
    pub fn from_hex(id: impl Into<String>, sha256_hex: &str) -> Result<Self, hex::FromHexError> {
        let mut hash = [0u8; 32];
        hex::decode_to_slice(sha256_hex.trim(), &mut hash)?;
        Ok(ApiKeyRecord::new(id, hash))
    }

    /// Sets the tenant.
    #[must_use]
    pub fn with_tenant(mut self, tenant: impl Into<String>) -> Self {
        self.tenant = Some(tenant.into());
        self
    }

    /// Sets the role.
    #[must_use]
    pub fn with_role(mut self, role: impl Into<String>) -> Self {
        self.role = Some(role.into());
        self
    }

    /// The SHA-256 hash of the key.
    pub fn sha256(&self) -> &[u8; 32] {
        &self.hash
    }
}

impl fmt::Debug for ApiKeyRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeyRecord")
            .field("id", &self.id)
            .field("tenant", &self.tenant)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// The stored keys and the header they are read from. Cheap to clone.
///
/// Install it with `.layer(axum::Extension(keys))` for the [`ApiKey`]
/// extractor, or call [`ApiKeys::authenticate`] directly.
#[derive(Clone)]
pub struct ApiKeys {
    records: Arc<[ApiKeyRecord]>,
    header: HeaderName,
}

impl fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeys")
            .field("header", &self.header)
            .field("records", &self.records)
            .finish()
    }
}

impl ApiKeys {
    /// The keys, read from [`DEFAULT_HEADER`]. Ids should be unique; if two
    /// records have the same hash the later one is matched.
    pub fn new(records: impl IntoIterator<Item = ApiKeyRecord>) -> Self {
        ApiKeys {
            records: records.into_iter().collect(),
            header: DEFAULT_HEADER,
        }
    }

    /// Reads the key from `name` instead of `X-API-Key`.
    #[must_use]
    pub fn header(mut self, name: HeaderName) -> Self {
        self.header = name;
        self
    }

    /// The header the key is read from.
    pub fn header_name(&self) -> &HeaderName {
        &self.header
    }

    /// The stored records.
    pub fn records(&self) -> &[ApiKeyRecord] {
        &self.records
    }

    /// The SHA-256 hash of a key, as stored in an [`ApiKeyRecord`].
    pub fn hash(key: impl AsRef<[u8]>) -> [u8; 32] {
        Sha256::digest(key.as_ref()).into()
    }

    /// The SHA-256 hash of a key in lower-case hex, for storage.
    ///
    /// ```
    /// assert_eq!(
    ///     errcat_axum::api_key::ApiKeys::hash_hex("test"),
    ///     "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    /// );
    /// ```
    pub fn hash_hex(key: impl AsRef<[u8]>) -> String {
        hex::encode(Self::hash(key))
    }

    /// The record whose hash is the presented key's. Every stored hash is
    /// compared in constant time, with no early exit.
    pub fn find(&self, presented: &[u8]) -> Option<&ApiKeyRecord> {
        let hash = Self::hash(presented);
        // 0: no match; i + 1: record i.
        let mut found = 0u32;
        for (i, record) in self.records.iter().enumerate() {
            let index = u32::try_from(i + 1).unwrap_or(u32::MAX);
            found.conditional_assign(&index, record.hash.ct_eq(&hash));
        }
        let index = usize::try_from(found).ok()?.checked_sub(1)?;
        self.records.get(index)
    }

    /// The record of the key in `headers`.
    ///
    /// # Errors
    ///
    /// `missing_api_key` without the header (or with an empty one);
    /// `invalid_api_key` if it matches no record or is sent twice.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<&ApiKeyRecord, Error> {
        let mut values = headers.get_all(&self.header).iter();
        let value = values
            .next()
            .map(HeaderValue::as_bytes)
            .filter(|v| !v.is_empty());
        let Some(value) = value else {
            return Err(Error::standard("missing_api_key")
                .with_source(cause(format!("no {} header", self.header))));
        };
        if values.next().is_some() {
            return Err(Error::standard("invalid_api_key")
                .with_source(cause(format!("more than one {} header", self.header))));
        }
        self.find(value).ok_or_else(|| {
            Error::standard("invalid_api_key")
                .with_source(cause("the presented API key matches no stored key"))
        })
    }
}

/// The record of the request's API key: the extractor of this module.
///
/// It takes the [`ApiKeys`] from the request's extensions (install them
/// with `.layer(axum::Extension(keys))`); without them it answers
/// `internal_error`, with the missing extension as the internal cause.
#[derive(Clone, Debug)]
pub struct ApiKey(pub ApiKeyRecord);

impl<S> FromRequestParts<S> for ApiKey
where
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let keys = parts.extensions.get::<ApiKeys>().ok_or_else(|| {
            Error::standard("internal_error").with_source(cause(
                "no ApiKeys in the request extensions: add .layer(axum::Extension(api_keys)) to the router",
            ))
        })?;
        keys.authenticate(&parts.headers).cloned().map(ApiKey)
    }
}

fn cause(text: impl Into<String>) -> std::io::Error {
    std::io::Error::other(text.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_any_position_and_nothing_else() {
        let keys = ApiKeys::new(
            ["a", "b", "c"].map(|k| ApiKeyRecord::new(format!("id_{k}"), ApiKeys::hash(k))),
        );
        for k in ["a", "b", "c"] {
            assert_eq!(keys.find(k.as_bytes()).unwrap().id, format!("id_{k}"));
        }
        assert!(keys.find(b"d").is_none());
        assert!(keys.find(b"").is_none());
        assert!(ApiKeys::new([]).find(b"a").is_none());
    }

    #[test]
    fn hex_round_trip_and_debug_hides_the_hash() {
        let r = ApiKeyRecord::from_hex("k", &ApiKeys::hash_hex("secret")).unwrap();
        assert_eq!(r.sha256(), &ApiKeys::hash("secret"));
        assert!(ApiKeyRecord::from_hex("k", "abc").is_err());
        let debug = format!("{r:?}");
        assert!(
            !debug.contains(&ApiKeys::hash_hex("secret")[..8]),
            "{debug}"
        );
    }
}
