//! The errcat reference API: a small multi-tenant service whose every error
//! comes from one catalog, `errors.toml`, and is reachable by some request.
//!
//! It covers the domains of the five public error references errcat was
//! built from:
//!
//! - **auth**: API keys (`X-API-Key`), password login returning a JWT that
//!   expires, exchange of a personal access token for a JWT, single-use
//!   refresh tokens, revocation;
//! - **teams** with roles viewer < editor < admin and tenant isolation (a
//!   resource of another team answers exactly like a missing one);
//! - **templates** with schemas (duplicate name 409, template in use 409,
//!   invalid schema 400), **objects** minted from them (not found 404,
//!   locked 422, transfer to a missing wallet 422, burned: state violation
//!   422) and idempotent transfers;
//! - an **events batch** validated with paths like `events.0.type`;
//! - **incoming webhooks** with signatures (Shopify-style HMAC, Stripe's
//!   `Stripe-Signature`), **outgoing webhook delivery** with a timeout
//!   (30 s by default → 504), an **upstream integration** call → 502;
//! - **rate limits** per IP and per API key (in memory, or shared by
//!   several processes: [`RateLimitStore`]), a maintenance switch (503),
//!   `GET /api/health`, and `GET /api/openapi.json`.
//!
//! Everything is built from errcat's public crates: the catalog's typed
//! constructors (`errcat::catalog!`), the `errcat-axum` layer and building
//! blocks, and an error observer (the CLI's `errcat demo` passes the SQLite
//! error log).
//!
//! State lives in memory and starts with demo data ([`DEMO_USERS`],
//! [`DEMO_API_KEY`]).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post, put};
use errcat_axum::ErrcatLayer;
use errcat_axum::api_key::{ApiKeyRecord, ApiKeys};
use errcat_axum::jwt::JwtAuth;
use errcat_axum::rate_limit::{self, Backend, Policy, Quota, RateLimitLayer};
use errcat_axum::webhook::WebhookVerifier;

mod auth;
mod domain;
mod events;
mod int;
mod openapi;
mod state;
mod webhooks;

pub use auth::{AUDIENCE, Audience, ISSUER, TokenClaims};
pub use state::DemoUser;

/// The catalog's typed constructors and `Code` enum, generated from
/// `errors.toml` at compile time.
pub mod errors {
    errcat::catalog!("errors.toml");
}

/// The catalog, as compiled in.
pub fn catalog() -> errcat_catalog::Catalog {
    errors::CATALOG.clone()
}

/// The catalog's source text, for tools that want the file itself.
pub const CATALOG_TOML: &str = include_str!("../errors.toml");

/// The secret the demo signs its JWTs with. It is public on purpose, so
/// that anyone can craft tokens (expired, for another audience, …) and see
/// each error; a real service loads its secret from its environment.
pub const DEMO_JWT_SECRET: &[u8] = b"errcat-demo-secret: public, for demonstration only";

/// The demo's API key (full access to team `acme`'s events).
pub const DEMO_API_KEY: &str = "ek_demo_acme_4f9a2c7e1b";
/// A read-only API key of team `acme` (sending events is forbidden).
pub const DEMO_READ_ONLY_API_KEY: &str = "ek_demo_acme_readonly_77d1";
/// The secret of the Shopify-style webhook (`X-Shopify-Hmac-Sha256`).
pub const DEMO_SHOPIFY_SECRET: &str = "whsec_demo_shopify";
/// The secret of the Stripe-style webhook (`Stripe-Signature`).
pub const DEMO_STRIPE_SECRET: &str = "whsec_demo_stripe";
/// The password of every demo user.
pub const DEMO_PASSWORD: &str = "demo-password";

/// The demo's users: (email, team, role, personal access token).
pub const DEMO_USERS: [DemoUser; 4] = [
    DemoUser {
        email: "alice@acme.test",
        team: "acme",
        role: "admin",
        pat: "pat_demo_alice_0c1d",
    },
    DemoUser {
        email: "bob@acme.test",
        team: "acme",
        role: "editor",
        pat: "pat_demo_bob_5e2a",
    },
    DemoUser {
        email: "carol@acme.test",
        team: "acme",
        role: "viewer",
        pat: "pat_demo_carol_9b3f",
    },
    DemoUser {
        email: "dave@globex.test",
        team: "globex",
        role: "admin",
        pat: "pat_demo_dave_1a7c",
    },
];

/// How the reference API is set up.
#[derive(Clone, Debug)]
pub struct Config {
    /// Requests per minute per client IP (default 100, as seed 002's API).
    pub per_ip_per_minute: u32,
    /// Requests per minute per API key (default 600, as seed 003's API).
    pub per_key_per_minute: u32,
    /// Where the rate limit buckets live (default: this process's memory).
    pub rate_limit_store: RateLimitStore,
    /// The largest request body (default 256 KiB).
    pub body_limit: usize,
    /// The handler time limit of the boundary layer (default 40 s, above the
    /// webhook delivery timeout).
    pub handler_timeout: Duration,
    /// The longest outgoing webhook delivery (default 30 s, as seed 004's).
    pub webhook_timeout: Duration,
    /// The lifetime of access tokens when the caller asks for none (1 h).
    pub token_ttl: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            per_ip_per_minute: 100,
            per_key_per_minute: 600,
            rate_limit_store: RateLimitStore::Memory,
            body_limit: 256 * 1024,
            handler_timeout: Duration::from_secs(40),
            webhook_timeout: Duration::from_secs(30),
            token_ttl: Duration::from_secs(3600),
        }
    }
}

/// Where the rate limit buckets live.
#[derive(Clone, Default)]
pub enum RateLimitStore {
    /// This process's memory: each process has its own quotas.
    #[default]
    Memory,
    /// A backend that several processes share, so that a quota holds across
    /// all of them: `errcat_axum::rate_limit::RedisBackend` (feature `redis`
    /// of errcat-axum), with the same Redis and key prefix in every process.
    Shared(Arc<dyn Backend>),
}

impl fmt::Debug for RateLimitStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RateLimitStore::Memory => f.write_str("Memory"),
            RateLimitStore::Shared(_) => f.write_str("Shared(..)"),
        }
    }
}

/// The reference API as a router, with the boundary layer applied.
///
/// `layer` lets the caller add observers (an error log, metrics) to the
/// boundary layer before it wraps the routes; pass `|l| l` for none.
pub fn router(config: Config, layer: impl FnOnce(ErrcatLayer) -> ErrcatLayer) -> Router {
    let state = state::AppState::new(config.clone());
    let api = routes()
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            domain::maintenance_gate,
        ))
        .layer(axum::Extension(jwt(&state)))
        .layer(axum::Extension(api_keys()))
        .layer(rate_limits(&config))
        .with_state(state);

    let renderer = errcat_render::Renderer::new(catalog());
    let boundary = layer(
        ErrcatLayer::new(renderer)
            .body_limit(config.body_limit)
            .timeout(Some(config.handler_timeout)),
    );
    Router::new()
        .route("/", get(domain::index))
        .nest("/api", api)
        .layer(boundary)
}

/// The API's routes, under `/api`.
fn routes() -> Router<state::AppState> {
    let shopify = WebhookVerifier::shopify(DEMO_SHOPIFY_SECRET);
    let stripe = WebhookVerifier::stripe(DEMO_STRIPE_SECRET);
    Router::new()
        .route("/health", get(domain::health))
        .route("/openapi.json", get(openapi::spec))
        .route("/auth/login", post(auth::login))
        .route("/auth/token", post(auth::exchange))
        .route("/auth/refresh", post(auth::refresh))
        .route("/auth/revoke", post(auth::revoke))
        .route("/me", get(auth::me))
        .route(
            "/templates",
            get(domain::list_templates).post(domain::create_template),
        )
        .route(
            "/templates/{id}",
            get(domain::get_template).delete(domain::delete_template),
        )
        .route("/wallets", get(domain::list_wallets))
        .route("/objects", post(domain::create_object))
        .route("/objects/{id}", get(domain::get_object))
        .route("/objects/{id}/lock", post(domain::lock_object))
        .route("/objects/{id}/unlock", post(domain::unlock_object))
        .route("/objects/{id}/transfer", post(domain::transfer_object))
        .route("/objects/{id}/burn", post(domain::burn_object))
        .route("/events", post(events::ingest))
        .route(
            "/webhooks/shopify",
            post(webhooks::incoming).layer(axum::Extension(shopify)),
        )
        .route(
            "/webhooks/stripe",
            post(webhooks::incoming).layer(axum::Extension(stripe)),
        )
        .route("/webhook-endpoints", post(webhooks::create_endpoint))
        .route(
            "/webhook-endpoints/{id}/test",
            post(webhooks::test_endpoint),
        )
        .route("/webhook-sink", post(webhooks::sink))
        .route(
            "/integrations/{provider}/sync",
            post(webhooks::sync_integration),
        )
        .route("/admin/maintenance", put(domain::set_maintenance))
        .route("/debug/panic", get(domain::panic))
}

/// Bearer tokens: the demo's key, audience and issuer, and the state's
/// revocations.
fn jwt(state: &state::AppState) -> JwtAuth {
    let state = state.clone();
    JwtAuth::hs256(DEMO_JWT_SECRET)
        .audience([AUDIENCE])
        .issuer([ISSUER])
        .revocation(move |jti: Option<&str>, _sub: Option<&str>| {
            jti.is_some_and(|j| state.is_revoked(j))
        })
}

/// The demo's two API keys for the `acme` tenant: one that writes events,
/// one that only reads.
fn api_keys() -> ApiKeys {
    ApiKeys::new([
        ApiKeyRecord::new("key_acme_full", ApiKeys::hash(DEMO_API_KEY))
            .with_tenant("acme")
            .with_role("events:write"),
        ApiKeyRecord::new("key_acme_readonly", ApiKeys::hash(DEMO_READ_ONLY_API_KEY))
            .with_tenant("acme")
            .with_role("events:read"),
    ])
}

/// Requests per minute per client address and per API key, in the
/// configured store.
fn rate_limits(config: &Config) -> RateLimitLayer {
    let layer = match &config.rate_limit_store {
        RateLimitStore::Memory => RateLimitLayer::memory(),
        RateLimitStore::Shared(backend) => RateLimitLayer::new(Arc::clone(backend)),
    };
    layer
        .policy(Policy::per_ip(
            "per-ip",
            Quota::per_minute(config.per_ip_per_minute),
        ))
        .policy(Policy::per_key(
            "per-key",
            Quota::per_minute(config.per_key_per_minute),
            rate_limit::header("x-api-key"),
        ))
}

/// Serves `router` on `listener` until `shutdown` completes, with the
/// limits of `limits` (a header read timeout that also closes idle
/// keep-alive connections, and a connection cap: see
/// [`errcat_axum::serve`]) and the peer address available to the boundary
/// layer (for per-IP rate limits and the error log).
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: errcat_axum::serve::ServeConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    errcat_axum::serve::serve(listener, router, limits, shutdown).await
}

/// Records the caller's tenant and principal for the error log, on the
/// request's `ErrorContext` (present under the boundary layer).
pub(crate) fn record_caller(
    parts: &axum::http::request::Parts,
    tenant: Option<&str>,
    principal: &str,
) {
    if let Some(ctx) = parts.extensions.get::<errcat_axum::ErrorContext>() {
        ctx.set_principal(principal);
        if let Some(tenant) = tenant {
            ctx.set_tenant(tenant);
        }
    }
}

/// A hex string of `n` random bytes, for tokens and ids.
pub(crate) fn random_hex(n: usize) -> String {
    let mut buf = vec![0u8; n];
    // The OS RNG failing is not recoverable for a token issuer.
    getrandom::fill(&mut buf).expect("the operating system's random number generator failed");
    hex::encode(buf)
}
