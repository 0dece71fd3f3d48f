//! Sign-in, personal access tokens, refresh tokens, revocation, and the
//! `Caller` extractor.

use std::marker::PhantomData;
use std::sync::LazyLock;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use errcat_axum::Json;
use errcat_axum::jwt::{Claims, JwtAuth};
use errcat_axum::roles::RoleOrder;
use errcat_render::Error;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

use crate::errors;
use crate::state::{AppState, Refresh};
use crate::{DEMO_JWT_SECRET, DEMO_PASSWORD, DEMO_USERS, DemoUser, random_hex};

/// The audience of the API's access tokens.
pub const AUDIENCE: &str = "errcat-demo";
/// The issuer of the API's access tokens.
pub const ISSUER: &str = "errcat-demo";

use crate::openapi::TOKEN_TTL_MAX as MAX_TTL;
/// Refresh tokens live a day.
const REFRESH_TTL_MS: u64 = 86_400_000;

static ROLES: LazyLock<RoleOrder> = LazyLock::new(|| RoleOrder::new(["viewer", "editor", "admin"]));

/// The claims of an access token.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TokenClaims {
    /// The user's email.
    pub sub: String,
    /// The user's team.
    pub team: String,
    /// The user's role in the team.
    pub role: String,
    /// [`AUDIENCE`], alone or among others.
    pub aud: Audience,
    /// [`ISSUER`].
    pub iss: String,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Not before, seconds since the epoch.
    pub nbf: u64,
    /// Issued at.
    pub iat: u64,
    /// The token's id, for revocation.
    pub jti: String,
}

/// A token's `aud`: one audience or several (RFC 7519 §4.1.3). The
/// signature check has already required [`AUDIENCE`] among them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    /// `"aud": "errcat-demo"`.
    One(String),
    /// `"aud": ["errcat-demo", "another-api"]`.
    Many(Vec<String>),
}

impl From<&str> for Audience {
    fn from(aud: &str) -> Self {
        Audience::One(aud.to_owned())
    }
}

/// The authenticated user of a request (a valid Bearer JWT). Sets the
/// tenant and principal the error log records.
#[derive(Clone, Debug)]
pub(crate) struct Caller {
    pub(crate) email: String,
    pub(crate) team: String,
    pub(crate) role: String,
    pub(crate) jti: String,
}

impl Caller {
    /// `insufficient_role` unless the caller's role is at least `required`.
    fn require(&self, required: &str) -> Result<(), Error> {
        ROLES.require(&self.role, required)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Claims(claims) = Claims::<TokenClaims>::from_request_parts(parts, state).await?;
        crate::record_caller(parts, Some(&claims.team), &claims.sub);
        Ok(Caller {
            email: claims.sub,
            team: claims.team,
            role: claims.role,
            jti: claims.jti,
        })
    }
}

/// A role a handler requires, checked by [`Authorized`].
pub(crate) trait Role {
    /// Its name in [`ROLES`].
    const NAME: &'static str;
}

/// The viewer role (read).
pub(crate) struct Viewer;
/// The editor role (write).
pub(crate) struct Editor;
/// The admin role (delete, configure).
pub(crate) struct Admin;

impl Role for Viewer {
    const NAME: &'static str = "viewer";
}
impl Role for Editor {
    const NAME: &'static str = "editor";
}
impl Role for Admin {
    const NAME: &'static str = "admin";
}

/// A [`Caller`] whose role is at least `R`. An extractor of the request
/// head: listed before the body, it answers `INSUFFICIENT_ROLE` before the
/// body is read or validated, so that a caller without the permission
/// learns nothing about what a valid request looks like (permission
/// before content, as AIP-193 orders them).
pub(crate) struct Authorized<R>(pub(crate) Caller, pub(crate) PhantomData<R>);

impl<S: Send + Sync, R: Role> FromRequestParts<S> for Authorized<R> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require(R::NAME)?;
        Ok(Authorized(caller, PhantomData))
    }
}

fn now_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn signer() -> JwtAuth {
    JwtAuth::hs256(DEMO_JWT_SECRET)
}

fn ct_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// The lifetime a caller asked for, checked.
fn ttl(state: &AppState, expires_in: Option<u64>) -> Result<u64, Error> {
    match expires_in {
        None => Ok(state.config().token_ttl.as_secs().max(1)),
        Some(s) if (1..=MAX_TTL).contains(&s) => Ok(s),
        Some(_) => Err(errors::validation_error().with_violation(
            "expires_in",
            format!("must be between 1 and {MAX_TTL} seconds"),
        )),
    }
}

/// A new access token and refresh token for `user`.
fn issue(state: &AppState, user: &DemoUser, ttl: u64) -> Result<Value, Error> {
    let now = now_s();
    let claims = TokenClaims {
        sub: user.email.to_owned(),
        team: user.team.to_owned(),
        role: user.role.to_owned(),
        aud: AUDIENCE.into(),
        iss: ISSUER.to_owned(),
        exp: now + ttl,
        nbf: now,
        iat: now,
        jti: random_hex(12),
    };
    let token = signer()
        .issue(&claims)
        .map_err(|e| errors::internal_error().with_source(e.to_string()))?;
    let refresh_token = format!("rt_{}", random_hex(24));
    state.db().refresh.insert(
        refresh_token.clone(),
        Refresh {
            email: user.email.to_owned(),
            access_jti: claims.jti.clone(),
            expires_ms: now * 1000 + REFRESH_TTL_MS,
        },
    );
    Ok(json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": ttl,
        "refresh_token": refresh_token,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Login {
    email: String,
    password: String,
    #[serde(default, deserialize_with = "crate::int::opt_u64")]
    expires_in: Option<u64>,
}

/// `POST /api/auth/login`: email and password → access and refresh tokens.
pub(crate) async fn login(
    State(state): State<AppState>,
    Json(body): Json<Login>,
) -> Result<axum::Json<Value>, Error> {
    let ttl = ttl(&state, body.expires_in)?;
    // Compare the password even for an unknown email, so that timing does
    // not tell which emails exist.
    let password_ok = ct_eq(&body.password, DEMO_PASSWORD);
    let user = DEMO_USERS.iter().find(|u| ct_eq(u.email, &body.email));
    match user {
        Some(user) if password_ok => Ok(axum::Json(issue(&state, user, ttl)?)),
        _ => Err(errors::invalid_credentials().with_source("unknown email or wrong password")),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Exchange {
    personal_access_token: String,
    #[serde(default, deserialize_with = "crate::int::opt_u64")]
    expires_in: Option<u64>,
}

/// `POST /api/auth/token`: a personal access token → a JWT (1 hour).
pub(crate) async fn exchange(
    State(state): State<AppState>,
    Json(body): Json<Exchange>,
) -> Result<axum::Json<Value>, Error> {
    let ttl = ttl(&state, body.expires_in)?;
    let mut found = None;
    for user in &DEMO_USERS {
        if ct_eq(user.pat, &body.personal_access_token) {
            found = Some(user);
        }
    }
    match found {
        Some(user) => Ok(axum::Json(issue(&state, user, ttl)?)),
        None => {
            Err(errors::invalid_personal_access_token()
                .with_source("unknown personal access token"))
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RefreshBody {
    refresh_token: String,
}

/// `POST /api/auth/refresh`: a refresh token (single use) → a new pair.
pub(crate) async fn refresh(
    State(state): State<AppState>,
    Json(body): Json<RefreshBody>,
) -> Result<axum::Json<Value>, Error> {
    let entry = state.db().refresh.remove(&body.refresh_token);
    let Some(entry) = entry else {
        return Err(errors::invalid_refresh_token().with_source("unknown or already used"));
    };
    if entry.expires_ms < now_s() * 1000 {
        return Err(errors::invalid_refresh_token().with_source("expired"));
    }
    if state.is_revoked(&entry.access_jti) {
        return Err(errors::invalid_refresh_token().with_source("the session was revoked"));
    }
    let user = DEMO_USERS
        .iter()
        .find(|u| u.email == entry.email)
        .ok_or_else(|| errors::invalid_refresh_token().with_source("the user is gone"))?;
    let ttl = state.config().token_ttl.as_secs().max(1);
    Ok(axum::Json(issue(&state, user, ttl)?))
}

/// `POST /api/auth/revoke`: revokes the caller's access token and the
/// refresh tokens issued with it.
pub(crate) async fn revoke(State(state): State<AppState>, caller: Caller) -> StatusCode {
    state.revoke(&caller.jti);
    state.db().refresh.retain(|_, r| r.access_jti != caller.jti);
    StatusCode::NO_CONTENT
}

/// `GET /api/me`.
pub(crate) async fn me(caller: Caller) -> axum::Json<Value> {
    axum::Json(json!({"email": caller.email, "team": caller.team, "role": caller.role}))
}
