//! What a limit is: a [`Quota`] per window, and the [`Policy`] that keys
//! requests to buckets under it.

#[allow(clippy::wildcard_imports)]
use super::*;

/// How many requests a client may send per window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Quota {
    pub(super) limit: NonZeroU32,
    pub(super) window: Duration,
}

impl Quota {
    /// `limit` requests per `window`.
    ///
    /// # Panics
    ///
    /// If `limit` is 0 or `window` is shorter than a second (the `RateLimit`
    /// headers count in whole seconds).
    pub fn new(limit: u32, window: Duration) -> Self {
        let limit = NonZeroU32::new(limit).expect("a quota allows at least one request");
        assert!(
            window >= Duration::from_secs(1),
            "a quota's window is at least one second"
        );
        Quota { limit, window }
    }

    /// `limit` requests per second.
    ///
    /// # Panics
    ///
    /// If `limit` is 0.
    pub fn per_second(limit: u32) -> Self {
        Quota::new(limit, Duration::from_secs(1))
    }

    /// `limit` requests per minute.
    ///
    /// # Panics
    ///
    /// If `limit` is 0.
    pub fn per_minute(limit: u32) -> Self {
        Quota::new(limit, Duration::from_secs(60))
    }

    /// `limit` requests per hour.
    ///
    /// # Panics
    ///
    /// If `limit` is 0.
    pub fn per_hour(limit: u32) -> Self {
        Quota::new(limit, Duration::from_secs(3600))
    }

    /// The number of requests per window (`q`).
    pub fn limit(&self) -> u32 {
        self.limit.get()
    }

    /// The window.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// The time in which one request comes back: `window / limit`.
    pub fn interval(&self) -> Duration {
        (self.window / self.limit.get()).max(Duration::from_nanos(1))
    }

    /// The window in whole seconds, rounded up (`w`).
    pub fn window_secs(&self) -> u64 {
        ceil_secs(self.window)
    }
}

/// A request's key for a per-key policy.
type KeyFn = dyn Fn(&Parts) -> Option<String> + Send + Sync;

#[derive(Clone)]
pub(super) enum Keying {
    ClientIp { ipv6_prefix: u8 },
    Custom(Arc<KeyFn>),
}

/// A named quota and how requests are grouped into its buckets.
#[derive(Clone)]
pub struct Policy {
    pub(super) name: Arc<str>,
    pub(super) quota: Quota,
    pub(super) keying: Keying,
}

impl Policy {
    /// One bucket per client IP ([`ClientIp`]); IPv6 clients are grouped
    /// by /64, the block one subscriber usually holds (see
    /// [`Policy::ipv6_prefix`]).
    ///
    /// # Panics
    ///
    /// If `name` is empty or not printable ASCII (it is sent in the headers).
    pub fn per_ip(name: &str, quota: Quota) -> Self {
        Policy {
            name: checked_name(name),
            quota,
            keying: Keying::ClientIp { ipv6_prefix: 64 },
        }
    }

    /// One bucket per key that `key` finds in the request head; requests
    /// without one are not subject to this policy.
    ///
    /// ```
    /// use errcat_axum::rate_limit::{Policy, Quota, header};
    ///
    /// let by_key = Policy::per_key("per-key", Quota::per_minute(100), header("x-api-key"));
    /// // Or by what authentication put in the extensions:
    /// #[derive(Clone)]
    /// struct Tenant(String);
    /// let by_tenant = Policy::per_key("per-tenant", Quota::per_minute(1000), |parts| {
    ///     parts.extensions.get::<Tenant>().map(|t| t.0.clone())
    /// });
    /// ```
    ///
    /// # Panics
    ///
    /// If `name` is empty or not printable ASCII (it is sent in the headers).
    pub fn per_key(
        name: &str,
        quota: Quota,
        key: impl Fn(&Parts) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        Policy {
            name: checked_name(name),
            quota,
            keying: Keying::Custom(Arc::new(key)),
        }
    }

    /// For a per-IP policy, the prefix length by which IPv6 clients are
    /// grouped (default 64; 128 for one bucket per address). No effect on
    /// per-key policies.
    #[must_use]
    pub fn ipv6_prefix(mut self, bits: u8) -> Self {
        if let Keying::ClientIp { ipv6_prefix } = &mut self.keying {
            *ipv6_prefix = bits.min(128);
        }
        self
    }

    /// The policy's name, as sent in the headers.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The policy's quota.
    pub fn quota(&self) -> Quota {
        self.quota
    }

    pub(super) fn bucket(&self, parts: &Parts, fingerprint: &Fingerprint) -> Option<BucketKey> {
        match &self.keying {
            Keying::ClientIp { ipv6_prefix } => parts
                .extensions
                .get::<ClientIp>()
                .map(|ip| BucketKey::Ip(mask(ip.0, *ipv6_prefix))),
            Keying::Custom(key) => {
                let key = key(parts)?;
                Some(BucketKey::Key(fingerprint.of(key.as_bytes())))
            }
        }
    }

    /// The policy as a `RateLimit-Policy` item: `"name";q=100;w=60`.
    pub(super) fn policy_item(&self, out: &mut String) {
        use fmt::Write;
        sf_string(out, &self.name);
        let _ = write!(
            out,
            ";q={};w={}",
            self.quota.limit(),
            self.quota.window_secs()
        );
    }
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keying = match self.keying {
            Keying::ClientIp { ipv6_prefix } => format!("client ip (IPv6 /{ipv6_prefix})"),
            Keying::Custom(_) => "key".to_owned(),
        };
        f.debug_struct("Policy")
            .field("name", &self.name)
            .field("quota", &self.quota)
            .field("by", &keying)
            .finish()
    }
}

pub(super) fn checked_name(name: &str) -> Arc<str> {
    assert!(
        !name.is_empty() && name.bytes().all(|b| (0x20..=0x7e).contains(&b)),
        "a rate limit policy's name is printable ASCII: {name:?}"
    );
    name.into()
}
