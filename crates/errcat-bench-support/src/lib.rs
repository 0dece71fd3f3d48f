//! What errcat's criterion benches and load harnesses share (a
//! dev-dependency, never published): [`criterion_ratio`] prints each
//! bench's ratio against a baseline measured in the same run; with the
//! `apps` feature, [`shop_app`] is the app they serve and [`peer_app`] the
//! reference stacks they compare errcat with (see `docs/boundary.md`).

pub mod criterion_ratio;
#[cfg(feature = "apps")]
pub mod peer_app;
#[cfg(feature = "apps")]
pub mod shop_app;
#[cfg(feature = "tls")]
pub mod tls_server;
