//! Bearer JWTs, verified by [`jsonwebtoken`], each failure its own catalog
//! code.
//!
//! Build a [`JwtAuth`] once, install it with
//! [`axum::Extension`]`(jwt_auth)`, and take [`Claims<C>`] in the handlers
//! that need a caller. The extractor reads `Authorization: Bearer <token>`,
//! verifies it and rejects with the catalog's error for the failure:
//!
//! | failure | standard role |
//! |---|---|
//! | no `Authorization` header, or another scheme (`Basic …`) | `missing_token` |
//! | `Bearer` without a token, not three parts, bad base64url or JSON, a missing `exp`, a claim of the wrong type, claims that do not fit `C`, a `crit` header | `malformed_token` |
//! | a signature that does not verify | `invalid_token_signature` |
//! | `alg: none`, an algorithm outside the allowed list, algorithm confusion (an `HS256` token against an `RS256` key) | `invalid_token_signature` |
//! | `exp` reached (leeway 0 by default) | `expired_token` |
//! | `nbf` in the future | `token_not_yet_valid` |
//! | `aud` missing or not an accepted audience | `invalid_token_audience` |
//! | `iss` missing or not an accepted issuer | `invalid_token_issuer` |
//! | the [`RevocationCheck`] says so | `revoked_token` |
//!
//! The catalog's entries carry the `WWW-Authenticate` header of RFC 6750.
//! The `jsonwebtoken` error is kept as the error's internal cause, for the
//! logs; it is never rendered.
//!
//! A token whose algorithm is refused answers `invalid_token_signature`:
//! from the API's side its signature cannot be trusted, whatever it claims
//! to be, and one code for "not signed the way this API signs" tells an
//! attacker nothing about which check failed.
//!
//! Unlike `jsonwebtoken`'s own defaults (60 s leeway, `nbf` not checked,
//! no audience required), a [`JwtAuth`] has no leeway unless you give one,
//! always checks `nbf`, requires `exp`, and requires `aud` and `iss` once
//! accepted values are set. A token is expired from the second of its
//! `exp` on (RFC 7519: the time must be *before* `exp`).
//!
//! ```no_run
//! use axum::{Extension, Router, routing::get};
//! use errcat_axum::ErrcatLayer;
//! use errcat_axum::jwt::{Claims, JwtAuth};
//!
//! #[derive(serde::Deserialize)]
//! struct Caller { sub: String }
//!
//! async fn me(Claims(caller): Claims<Caller>) -> String {
//!     caller.sub
//! }
//!
//! # async fn run() {
//! let auth = JwtAuth::hs256(b"a secret of at least 32 bytes, please!")
//!     .audience(["https://api.shop.example"])
//!     .issuer(["https://auth.shop.example"])
//!     .revocation(|jti: Option<&str>, _sub: Option<&str>| jti == Some("revoked-at-sign-out"));
//! let catalog = errcat_catalog::Catalog::from_path("errors.toml").unwrap();
//! let app = Router::new()
//!     .route("/me", get(me))
//!     .layer(Extension(auth))
//!     .layer(ErrcatLayer::new(errcat_render::Renderer::new(catalog)));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await.unwrap();
//! axum::serve(listener, app).await.unwrap();
//! # }
//! ```
//!
//! Issuing a token (for tests and demos) and verifying it:
//!
//! ```
//! use errcat_axum::jwt::JwtAuth;
//!
//! let auth = JwtAuth::hs256(b"a secret of at least 32 bytes, please!").audience(["api"]);
//! let exp = jsonwebtoken::get_current_timestamp() + 60;
//! let token = auth.issue(&serde_json::json!({"sub": "u_1", "aud": "api", "exp": exp})).unwrap();
//! let claims: serde_json::Value = auth.verify(&token).unwrap();
//! assert_eq!(claims["sub"], "u_1");
//!
//! let err = auth.verify::<serde_json::Value>("not-a-jwt").unwrap_err();
//! assert_eq!(err.role(), Some("malformed_token"));
//! ```

use std::fmt;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use errcat_render::Error;
use http::HeaderMap;
use http::request::Parts;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Header, Validation};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};

/// The largest leeway accepted, in seconds (one day); larger values are
/// capped.
pub const MAX_LEEWAY: u64 = 86_400;

/// Tells whether a verified token was revoked (at sign-out, after a
/// password change, …).
///
/// It runs on every authenticated request, after the signature and the
/// claims have been checked, inside the request's task: it must be fast and
/// must not block, typically a look-up in an in-memory set that a
/// background task keeps in sync with the store of revocations. It is
/// synchronous on purpose: a network round trip per request belongs in a
/// cache refreshed out of band, not in the extractor.
///
/// Any `Fn(Option<&str>, Option<&str>) -> bool` is a check:
///
/// ```
/// use std::collections::HashSet;
/// use std::sync::{Arc, RwLock};
/// use errcat_axum::jwt::JwtAuth;
///
/// let revoked: Arc<RwLock<HashSet<String>>> = Arc::default();
/// let set = Arc::clone(&revoked);
/// let auth = JwtAuth::hs256(b"a secret of at least 32 bytes, please!").revocation(
///     move |jti: Option<&str>, _sub: Option<&str>| jti.is_some_and(|j| set.read().unwrap().contains(j)),
/// );
/// revoked.write().unwrap().insert("tok_123".to_owned());
/// ```
pub trait RevocationCheck: Send + Sync + 'static {
    /// Whether the token with this `jti` and `sub` (each absent if the token
    /// has none, or it is not a string) is revoked.
    fn is_revoked(&self, jti: Option<&str>, subject: Option<&str>) -> bool;
}

impl<F> RevocationCheck for F
where
    F: Fn(Option<&str>, Option<&str>) -> bool + Send + Sync + 'static,
{
    fn is_revoked(&self, jti: Option<&str>, subject: Option<&str>) -> bool {
        self(jti, subject)
    }
}

#[derive(Clone)]
struct Inner {
    key: DecodingKey,
    validation: Validation,
    signing: Option<EncodingKey>,
    revocation: Option<Arc<dyn RevocationCheck>>,
}

/// How bearer JWTs are verified: the key, the allowed algorithms, the
/// accepted audiences and issuers, the leeway and the revocation check.
///
/// Cheap to clone. Install it with `.layer(axum::Extension(auth))` for the
/// [`Claims`] extractor, or call [`JwtAuth::verify`] /
/// [`JwtAuth::authenticate`] directly.
#[derive(Clone)]
pub struct JwtAuth {
    inner: Arc<Inner>,
}

impl fmt::Debug for JwtAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = &self.inner.validation;
        f.debug_struct("JwtAuth")
            .field("algorithms", &v.algorithms)
            .field("audience", &v.aud)
            .field("issuer", &v.iss)
            .field("leeway", &v.leeway)
            .field("revocation", &self.inner.revocation.is_some())
            .field("signing", &self.inner.signing.is_some())
            .finish_non_exhaustive()
    }
}

impl JwtAuth {
    /// Verifies tokens signed with `key` by one of `algorithms` (an explicit
    /// list: the token's own `alg` header is only accepted if it is listed).
    ///
    /// No leeway, `exp` required and checked, `nbf` checked when present, no
    /// audience or issuer accepted yet (a token that carries an `aud` is
    /// refused until [`JwtAuth::audience`] is set).
    ///
    /// # Panics
    ///
    /// If `algorithms` is empty, or one of them is not of the key's family
    /// (an HMAC algorithm for an RSA key, …): no token could ever verify.
    pub fn new(key: DecodingKey, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        let algorithms: Vec<Algorithm> = algorithms.into_iter().collect();
        assert!(
            !algorithms.is_empty(),
            "JwtAuth needs at least one allowed algorithm"
        );
        for alg in &algorithms {
            assert!(
                alg.family() == key.family(),
                "JwtAuth: {alg:?} cannot be verified with a {:?} key",
                key.family()
            );
        }
        let mut validation = Validation::new(algorithms[0]);
        validation.algorithms = algorithms;
        validation.leeway = 0;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = true;
        validation.set_required_spec_claims(&["exp"]);
        JwtAuth {
            inner: Arc::new(Inner {
                key,
                validation,
                signing: None,
                revocation: None,
            }),
        }
    }

    /// HS256 with a shared secret, which also signs [`JwtAuth::issue`]d
    /// tokens. Use a random secret of at least 32 bytes.
    pub fn hs256(secret: &[u8]) -> Self {
        JwtAuth::new(DecodingKey::from_secret(secret), [Algorithm::HS256])
            .signing_key(EncodingKey::from_secret(secret))
    }

    fn inner_mut(&mut self) -> &mut Inner {
        Arc::make_mut(&mut self.inner)
    }

    /// The accepted audiences: a token's `aud` (a string or an array) must
    /// name one of them, and a token without `aud` is refused.
    #[must_use]
    pub fn audience<I, S>(mut self, audiences: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let v = &mut self.inner_mut().validation;
        v.aud = Some(audiences.into_iter().map(Into::into).collect());
        v.required_spec_claims.insert("aud".to_owned());
        self
    }

    /// The accepted issuers: a token's `iss` must be one of them, and a token
    /// without `iss` is refused.
    #[must_use]
    pub fn issuer<I, S>(mut self, issuers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let v = &mut self.inner_mut().validation;
        v.iss = Some(issuers.into_iter().map(Into::into).collect());
        v.required_spec_claims.insert("iss".to_owned());
        self
    }

    /// Clock skew tolerated on `exp` and `nbf`, in seconds (default 0, at
    /// most [`MAX_LEEWAY`]).
    #[must_use]
    pub fn leeway(mut self, seconds: u64) -> Self {
        self.inner_mut().validation.leeway = seconds.min(MAX_LEEWAY);
        self
    }

    /// The revocation check, asked about every token that is otherwise
    /// valid.
    #[must_use]
    pub fn revocation(mut self, check: impl RevocationCheck) -> Self {
        self.inner_mut().revocation = Some(Arc::new(check));
        self
    }

    /// The key [`JwtAuth::issue`] signs with.
    #[must_use]
    pub fn signing_key(mut self, key: EncodingKey) -> Self {
        self.inner_mut().signing = Some(key);
        self
    }

    /// Signs `claims` with the signing key and the first allowed algorithm
    /// (for tests, demos, and services that mint their own tokens). Nothing
    /// is added to the claims: put `exp`, `aud`, `iss` in them yourself.
    ///
    /// # Errors
    ///
    /// If no signing key was set, or it does not fit the algorithm.
    pub fn issue<T: Serialize>(&self, claims: &T) -> Result<String, jsonwebtoken::errors::Error> {
        let key = self.inner.signing.as_ref().ok_or_else(|| {
            jsonwebtoken::errors::Error::from(ErrorKind::Signing(
                "no signing key: call JwtAuth::signing_key".to_owned(),
            ))
        })?;
        jsonwebtoken::encode(
            &Header::new(self.inner.validation.algorithms[0]),
            claims,
            key,
        )
    }

    /// Verifies the bearer token in `headers` (see the [module](self) for
    /// what each failure answers).
    ///
    /// # Errors
    ///
    /// The catalog error for the first check that fails.
    pub fn authenticate<C: DeserializeOwned>(&self, headers: &HeaderMap) -> Result<C, Error> {
        let token = bearer_token(headers)?;
        self.verify(token)
    }

    /// Verifies a token and deserializes its claims into `C`.
    ///
    /// # Errors
    ///
    /// The catalog error for the first check that fails, in this order:
    /// shape and algorithm, signature, claims (`exp`, `nbf`, `iss`, `aud`),
    /// revocation, and last the claims' fit to `C` (`malformed_token`).
    pub fn verify<C: DeserializeOwned>(&self, token: &str) -> Result<C, Error> {
        let inner = &*self.inner;
        let data = jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(
            token,
            &inner.key,
            &inner.validation,
        )
        .map_err(|e| self.classify(token, e))?;
        if data.header.crit.as_ref().is_some_and(|c| !c.is_empty()) {
            // RFC 7515 §4.1.11: extensions the API does not understand.
            return Err(Error::standard("malformed_token").with_source(cause(
                "the token's `crit` header names extensions this API does not support",
            )));
        }
        let claims = data.claims;
        // jsonwebtoken accepts a token during the second of its `exp`; RFC
        // 7519 wants the current time before it.
        let exp = claims.get("exp").and_then(|v| {
            v.as_u64()
                .or_else(|| v.as_f64().map(|f| f.round().max(0.0) as u64))
        });
        if let Some(exp) = exp
            && exp.saturating_add(inner.validation.leeway) <= jsonwebtoken::get_current_timestamp()
        {
            return Err(Error::standard("expired_token").with_source(
                jsonwebtoken::errors::Error::from(ErrorKind::ExpiredSignature),
            ));
        }
        if let Some(check) = &inner.revocation {
            let text = |name: &str| claims.get(name).and_then(serde_json::Value::as_str);
            let (jti, sub) = (text("jti"), text("sub"));
            if check.is_revoked(jti, sub) {
                return Err(Error::standard("revoked_token").with_source(cause(format!(
                    "token revoked (jti {}, sub {})",
                    jti.unwrap_or("-"),
                    sub.unwrap_or("-")
                ))));
            }
        }
        serde_json::from_value(serde_json::Value::Object(claims))
            .map_err(|e| Error::standard("malformed_token").with_source(e))
    }

    /// The catalog error for a `jsonwebtoken` failure.
    fn classify(&self, token: &str, e: jsonwebtoken::errors::Error) -> Error {
        let role = match e.kind() {
            ErrorKind::InvalidSignature
            | ErrorKind::InvalidAlgorithm
            | ErrorKind::MissingAlgorithm => "invalid_token_signature",
            ErrorKind::ExpiredSignature => "expired_token",
            ErrorKind::ImmatureSignature => "token_not_yet_valid",
            ErrorKind::InvalidAudience => "invalid_token_audience",
            ErrorKind::InvalidIssuer => "invalid_token_issuer",
            ErrorKind::MissingRequiredClaim(c) if c == "aud" => "invalid_token_audience",
            ErrorKind::MissingRequiredClaim(c) if c == "iss" => "invalid_token_issuer",
            ErrorKind::InvalidToken
            | ErrorKind::MissingRequiredClaim(_)
            | ErrorKind::InvalidClaimFormat(_)
            | ErrorKind::Utf8(_) => "malformed_token",
            // The header may be well-formed JSON naming an algorithm that
            // jsonwebtoken does not even know (`none`, `HS1`): refused.
            ErrorKind::Base64(_) | ErrorKind::Json(_) => match header_alg(token) {
                Some(alg) if !self.allows(&alg) => "invalid_token_signature",
                _ => "malformed_token",
            },
            // The configured key does not parse: the server's fault.
            ErrorKind::InvalidEcdsaKey
            | ErrorKind::InvalidEddsaKey
            | ErrorKind::InvalidRsaKey(_)
            | ErrorKind::InvalidKeyFormat => "internal_error",
            // Anything else fails closed.
            _ => "invalid_token_signature",
        };
        Error::standard(role).with_source(e)
    }

    fn allows(&self, alg: &str) -> bool {
        alg.parse::<Algorithm>()
            .is_ok_and(|a| self.inner.validation.algorithms.contains(&a))
    }
}

/// The claims of a verified bearer token: the extractor of this module.
///
/// It takes the [`JwtAuth`] from the request's extensions (install it with
/// `.layer(axum::Extension(auth))`); without one it answers
/// `internal_error`, with the missing extension as the internal cause.
///
/// ```
/// use errcat_axum::jwt::Claims;
///
/// #[derive(serde::Deserialize)]
/// struct Caller { sub: String, role: String }
///
/// async fn handler(Claims(caller): Claims<Caller>) -> String {
///     format!("{} ({})", caller.sub, caller.role)
/// }
/// # let _: axum::routing::MethodRouter = axum::routing::get(handler);
/// ```
#[derive(Clone, Debug)]
pub struct Claims<C>(pub C);

impl<C, S> FromRequestParts<S> for Claims<C>
where
    C: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let auth = parts.extensions.get::<JwtAuth>().ok_or_else(|| {
            Error::standard("internal_error").with_source(cause(
                "no JwtAuth in the request extensions: add .layer(axum::Extension(jwt_auth)) to the router",
            ))
        })?;
        auth.authenticate(&parts.headers).map(Claims)
    }
}

/// The token of `Authorization: Bearer <token>`.
fn bearer_token(headers: &HeaderMap) -> Result<&str, Error> {
    let mut values = headers.get_all(http::header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Err(Error::standard("missing_token").with_source(cause("no Authorization header")));
    };
    if values.next().is_some() {
        return Err(Error::standard("malformed_token")
            .with_source(cause("more than one Authorization header")));
    }
    let Ok(value) = value.to_str() else {
        return Err(Error::standard("malformed_token")
            .with_source(cause("the Authorization header is not visible ASCII")));
    };
    let value = value.trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Error::standard("missing_token")
            .with_source(cause("the Authorization header is not a Bearer token")));
    }
    let token = rest.trim_start_matches(' ');
    if token.is_empty() || token.contains(' ') {
        return Err(Error::standard("malformed_token")
            .with_source(cause("the Bearer credentials are not one token")));
    }
    Ok(token)
}

/// The `alg` of a token's header, if the header is base64url JSON with a
/// string `alg`. Read only to classify a failure, never to verify.
fn header_alg(token: &str) -> Option<String> {
    let header = token.split('.').next()?;
    let json = base64url_decode(header)?;
    let value: serde_json::Value = serde_json::from_slice(&json).ok()?;
    value.get("alg")?.as_str().map(str::to_owned)
}

/// Unpadded base64url, as in JWS (RFC 7515 §2). `None` on any other byte.
fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in text.as_bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn cause(text: impl Into<String>) -> std::io::Error {
    std::io::Error::other(text.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url() {
        assert_eq!(
            base64url_decode("eyJhbGciOiJub25lIn0").as_deref(),
            Some(&br#"{"alg":"none"}"#[..])
        );
        assert_eq!(base64url_decode("").as_deref(), Some(&b""[..]));
        assert_eq!(base64url_decode("-_8").as_deref(), Some(&[0xfb, 0xff][..]));
        assert_eq!(base64url_decode("a+b"), None);
        assert_eq!(base64url_decode("ab=="), None);
    }

    #[test]
    fn bearer_parsing() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(http::header::AUTHORIZATION, v.parse().unwrap());
            m
        };
        assert_eq!(bearer_token(&h("Bearer abc")).unwrap(), "abc");
        assert_eq!(bearer_token(&h("bearer   abc")).unwrap(), "abc");
        let role = |r: Result<&str, Error>| r.unwrap_err().role();
        assert_eq!(role(bearer_token(&HeaderMap::new())), Some("missing_token"));
        assert_eq!(
            role(bearer_token(&h("Basic dXNlcjpwYXNz"))),
            Some("missing_token")
        );
        assert_eq!(role(bearer_token(&h("Bearer"))), Some("malformed_token"));
        assert_eq!(
            role(bearer_token(&h("Bearer a b"))),
            Some("malformed_token")
        );
        let mut twice = h("Bearer a");
        twice.append(http::header::AUTHORIZATION, "Bearer b".parse().unwrap());
        assert_eq!(role(bearer_token(&twice)), Some("malformed_token"));
    }

    #[test]
    #[should_panic(expected = "cannot be verified")]
    fn algorithms_must_fit_the_key() {
        let _ = JwtAuth::new(DecodingKey::from_secret(b"k"), [Algorithm::RS256]);
    }
}
