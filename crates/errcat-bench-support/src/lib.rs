//! What errcat's criterion benches and load harnesses share (a
//! dev-dependency, never published): [`criterion_ratio`] prints each
//! bench's ratio against a baseline measured in the same run; with the
//! `apps` feature, [`shop_app`] is the app they serve and [`peer_app`] the
//! reference stacks they compare errcat with (see `docs/boundary.md`).
//! For tests: [`loopback`] serves an app on 127.0.0.1 (feature `loopback`),
//! [`tls_server`] over https with a self-signed certificate (feature `tls`),
//! [`chart`] reads the console's chart back.

pub mod chart;
pub mod criterion_ratio;
#[cfg(feature = "loopback")]
pub mod loopback;
#[cfg(feature = "apps")]
pub mod peer_app;
#[cfg(feature = "apps")]
pub mod shop_app;
#[cfg(feature = "tls")]
pub mod tls_server;
