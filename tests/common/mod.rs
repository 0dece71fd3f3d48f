//! Helpers shared by the black-box tests of the `errcat` binary.

#![allow(dead_code, unreachable_pub)]

pub mod browser;
pub mod cli;
pub mod http;
pub mod services;
