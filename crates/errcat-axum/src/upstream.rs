//! Outgoing calls: a failure is the catalog's `external_service_error`
//! (502), a call that takes too long `upstream_timeout` (504), and what went
//! wrong (the upstream's URL, its message) stays in the log.
//!
//! ```no_run
//! use std::time::Duration;
//! use errcat_axum::upstream::{self, Upstream};
//!
//! async fn charge(amount: u64) -> Result<String, std::io::Error> {
//!     // An HTTP client, a database, a queue…
//!     Err(std::io::Error::other(format!("POST https://pay.internal/charges ({amount}): 503")))
//! }
//!
//! async fn checkout() -> Result<String, errcat_render::Error> {
//!     // The cause goes to the log and the error observers; the client sees
//!     // the catalog's EXTERNAL_SERVICE_ERROR.
//!     let receipt = upstream::call(Duration::from_secs(2), charge(1299)).await?;
//!     // Or named, so that the log says which upstream failed:
//!     const PAYMENTS: Upstream = Upstream::new("payments", Duration::from_secs(2));
//!     let _again = PAYMENTS.call(charge(1299)).await?;
//!     Ok(receipt)
//! }
//! ```
//!
//! At the timeout the call's future is dropped, which cancels it: the
//! client libraries in common use (hyper, reqwest, sqlx, redis) clean up
//! after a dropped request.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::time::Duration;

use errcat_render::Error;

type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Runs an outgoing call with a time limit.
///
/// # Errors
///
/// `external_service_error` (502) if the call fails, with the failure as
/// the internal cause; `upstream_timeout` (504) if it has not finished
/// after `timeout`.
pub async fn call<T, E>(
    timeout: Duration,
    fut: impl Future<Output = Result<T, E>>,
) -> Result<T, Error>
where
    E: Into<Cause>,
{
    run(None, timeout, fut).await
}

async fn run<T, E>(
    upstream: Option<&Cow<'static, str>>,
    timeout: Duration,
    fut: impl Future<Output = Result<T, E>>,
) -> Result<T, Error>
where
    E: Into<Cause>,
{
    match tokio::time::timeout(timeout, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(
            Error::standard("external_service_error").with_source(UpstreamError {
                upstream: upstream.cloned(),
                kind: Kind::Failed(e.into()),
            }),
        ),
        Err(_) => Err(
            Error::standard("upstream_timeout").with_source(UpstreamError {
                upstream: upstream.cloned(),
                kind: Kind::TimedOut(timeout),
            }),
        ),
    }
}

/// A named upstream with its time limit, for calls whose failures the log
/// should attribute (`upstream "payments" failed`).
#[derive(Clone, Debug)]
pub struct Upstream {
    name: Cow<'static, str>,
    timeout: Duration,
}

impl Upstream {
    /// An upstream called `name`, whose calls may take up to `timeout`.
    pub const fn new(name: &'static str, timeout: Duration) -> Self {
        Upstream {
            name: Cow::Borrowed(name),
            timeout,
        }
    }

    /// An upstream whose name is known at run time.
    pub fn named(name: impl Into<Cow<'static, str>>, timeout: Duration) -> Self {
        Upstream {
            name: name.into(),
            timeout,
        }
    }

    /// The upstream's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The time limit of a call.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Runs a call to this upstream (see [`call`]).
    ///
    /// # Errors
    ///
    /// `external_service_error` (502) or `upstream_timeout` (504).
    pub async fn call<T, E>(&self, fut: impl Future<Output = Result<T, E>>) -> Result<T, Error>
    where
        E: Into<Cause>,
    {
        run(Some(&self.name), self.timeout, fut).await
    }
}

#[derive(Debug)]
enum Kind {
    Failed(Cause),
    TimedOut(Duration),
}

/// The internal cause of an upstream error: which upstream, and whether it
/// failed (its error is the next cause) or timed out.
#[derive(Debug)]
pub struct UpstreamError {
    upstream: Option<Cow<'static, str>>,
    kind: Kind,
}

impl UpstreamError {
    /// The upstream's name, if the call was made through an [`Upstream`].
    pub fn upstream(&self) -> Option<&str> {
        self.upstream.as_deref()
    }

    /// Whether the call timed out (rather than failed).
    pub fn is_timeout(&self) -> bool {
        matches!(self.kind, Kind::TimedOut(_))
    }
}

impl fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.upstream {
            Some(name) => write!(f, "upstream {name:?}")?,
            None => f.write_str("upstream call")?,
        }
        match self.kind {
            Kind::Failed(_) => f.write_str(" failed"),
            Kind::TimedOut(t) => write!(f, " did not finish within {} ms", t.as_millis()),
        }
    }
}

impl std::error::Error for UpstreamError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            Kind::Failed(e) => Some(&**e),
            Kind::TimedOut(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn failures_and_timeouts() {
        let ok = call(Duration::from_secs(1), async { Ok::<_, std::io::Error>(7) }).await;
        assert_eq!(ok.unwrap(), 7);

        let err = call(Duration::from_secs(1), async {
            Err::<(), _>(std::io::Error::other("GET http://10.0.0.7/x: refused"))
        })
        .await
        .unwrap_err();
        assert_eq!(err.role(), Some("external_service_error"));
        assert_eq!(
            err.cause_chain(),
            ["upstream call failed", "GET http://10.0.0.7/x: refused"]
        );

        let slow = Upstream::new("search", Duration::from_millis(20));
        let err = slow
            .call(async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                Ok::<_, String>(())
            })
            .await
            .unwrap_err();
        assert_eq!(err.role(), Some("upstream_timeout"));
        assert_eq!(
            err.cause_chain(),
            ["upstream \"search\" did not finish within 20 ms"]
        );
        let cause = std::error::Error::source(&err)
            .unwrap()
            .downcast_ref::<UpstreamError>()
            .unwrap();
        assert!(cause.is_timeout());
        assert_eq!(cause.upstream(), Some("search"));
    }
}
