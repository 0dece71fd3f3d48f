//! The API's data, in memory, seeded with demo records.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use crate::Config;

/// A demo user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoUser {
    /// Sign-in email.
    pub email: &'static str,
    /// The team (tenant).
    pub team: &'static str,
    /// `viewer`, `editor` or `admin`.
    pub role: &'static str,
    /// The personal access token, exchanged for a JWT at `POST /api/auth/token`.
    pub pat: &'static str,
}

#[derive(Clone, Debug)]
pub(crate) struct Template {
    pub(crate) id: String,
    pub(crate) team: String,
    pub(crate) name: String,
    pub(crate) schema: BTreeMap<String, String>,
}

#[derive(Clone, Debug)]
pub(crate) struct Object {
    pub(crate) id: String,
    pub(crate) team: String,
    pub(crate) template_id: String,
    pub(crate) properties: serde_json::Value,
    pub(crate) wallet: String,
    pub(crate) locked: bool,
    pub(crate) burned: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct Endpoint {
    pub(crate) id: String,
    pub(crate) team: String,
    pub(crate) url: String,
    pub(crate) timeout_ms: u64,
}

#[derive(Clone, Debug)]
pub(crate) struct Refresh {
    pub(crate) email: String,
    pub(crate) access_jti: String,
    pub(crate) expires_ms: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Db {
    pub(crate) templates: Vec<Template>,
    pub(crate) objects: Vec<Object>,
    pub(crate) wallets: Vec<(String, String)>,
    pub(crate) endpoints: Vec<Endpoint>,
    pub(crate) refresh: HashMap<String, Refresh>,
    /// (team, Idempotency-Key) → (request body, response body).
    pub(crate) idempotency: HashMap<(String, String), (String, serde_json::Value)>,
    next_id: u64,
}

impl Db {
    pub(crate) fn next(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}_{}", self.next_id)
    }

    fn seeded() -> Db {
        let mut db = Db {
            next_id: 100,
            ..Db::default()
        };
        for (id, team) in [
            ("wal_acme_1", "acme"),
            ("wal_acme_2", "acme"),
            ("wal_globex_1", "globex"),
        ] {
            db.wallets.push((id.to_owned(), team.to_owned()));
        }
        let schema = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>()
        };
        db.templates.push(Template {
            id: "tpl_1".into(),
            team: "acme".into(),
            name: "Sneaker".into(),
            schema: schema(&[("serial", "string"), ("size", "number")]),
        });
        db.templates.push(Template {
            id: "tpl_2".into(),
            team: "globex".into(),
            name: "Bond".into(),
            schema: schema(&[("isin", "string")]),
        });
        let object = |id: &str, team: &str, tpl: &str, wallet: &str, locked, burned| Object {
            id: id.into(),
            team: team.into(),
            template_id: tpl.into(),
            properties: serde_json::json!({}),
            wallet: wallet.into(),
            locked,
            burned,
        };
        db.objects
            .push(object("obj_1", "acme", "tpl_1", "wal_acme_1", false, false));
        db.objects
            .push(object("obj_2", "acme", "tpl_1", "wal_acme_1", true, false));
        db.objects
            .push(object("obj_3", "acme", "tpl_1", "wal_acme_2", false, true));
        db.objects.push(object(
            "obj_4",
            "globex",
            "tpl_2",
            "wal_globex_1",
            false,
            false,
        ));
        db
    }
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) config: Config,
    db: Mutex<Db>,
    revoked: RwLock<HashSet<String>>,
    /// Retry-After seconds while in maintenance, 0 when not: read on every
    /// request, so an atomic rather than a lock.
    maintenance: AtomicU64,
    /// The client of outgoing webhook deliveries (one connection pool).
    pub(crate) http: reqwest::Client,
}

/// The state handlers share; cheap to clone.
#[derive(Clone, Debug)]
pub(crate) struct AppState(pub(crate) Arc<Inner>);

impl AppState {
    pub(crate) fn new(config: Config) -> Self {
        AppState(Arc::new(Inner {
            config,
            db: Mutex::new(Db::seeded()),
            revoked: RwLock::default(),
            maintenance: AtomicU64::new(0),
            http: reqwest::Client::new(),
        }))
    }

    /// The data, locked. Never held across an `.await`.
    pub(crate) fn db(&self) -> MutexGuard<'_, Db> {
        self.0.db.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn config(&self) -> &Config {
        &self.0.config
    }

    pub(crate) fn is_revoked(&self, jti: &str) -> bool {
        self.0
            .revoked
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(jti)
    }

    pub(crate) fn revoke(&self, jti: &str) {
        self.0
            .revoked
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(jti.to_owned());
    }

    pub(crate) fn maintenance(&self) -> Option<u64> {
        Some(self.0.maintenance.load(Ordering::Relaxed)).filter(|&s| s > 0)
    }

    /// `retry_after` must be at least 1 second when set.
    pub(crate) fn set_maintenance(&self, retry_after: Option<u64>) {
        self.0
            .maintenance
            .store(retry_after.unwrap_or(0), Ordering::Relaxed);
    }
}
