//! `atelier-app`: the Atelier service. Accounts, tokens, uploads, jobs, results, retention
//! and the HTTP API, over a store (SQLite now) and an encrypted blob store.
//!
//! Data flows one way: http → services → store/blobs. The engine knows nothing of this crate.

pub mod accounts;
pub mod analytics;
pub mod backends;
pub mod billing;
pub mod blobs;
pub mod cli;
pub mod config;
pub mod domain;
pub mod http;
pub mod i18n;
pub mod jobs;
pub mod mail;
pub mod mail_compose;
pub mod media;
pub mod operator;
pub mod policies;
pub mod privacy;
pub mod prompts;
pub mod reports;
pub mod server;
pub mod services;
pub mod storage;
pub mod store;
pub mod support;
pub mod sweeper;
pub mod throttle;
pub mod web;

#[cfg(test)]
pub(crate) mod testing;
