//! Closeloop's common crate: the pure domain rules, and the thin layer every function shares to
//! reach DynamoDB, SNS and SES.

pub mod campaigns;
pub mod config;
pub mod deps;
pub mod domain;
pub mod error;
pub mod flows;
pub mod keys;
pub mod lambda;
pub mod messaging;
pub mod notify;
pub mod store;
pub mod stream;
pub mod web;

pub use config::Config;
pub use deps::Deps;
pub use error::{Error, Result};
pub use store::Store;
