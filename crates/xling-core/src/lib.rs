//! # xling-core
//!
//! The shared vocabulary of every xling verb. This crate owns:
//!
//! - [`lang`]: the language registry (FLORES-200 codes, ISO 639-1/3, ISO 15924 scripts, BCP-47 tags,
//!   English names, macrolanguage links, speaker counts) and the resolution of user queries to languages;
//! - [`script`]: the ISO 15924 [`Script`](script::Script) code type and script names;
//! - [`corpus`]: streaming readers for parallel and monolingual corpora (FLORES, NTREX-128, UDHR, TSV,
//!   JSONL, plain text, stdin) and the embedded `flores200-sample`;
//! - [`table`]: the per-language results table ([`LangTable`](table::LangTable)) every verb produces;
//! - [`signature`]: sacrebleu-style signatures that make a table reproducible.
//!
//! It computes no metric itself: capability crates (`xling-text`, …) turn corpora into tables, and
//! `xling-report` renders them. Nothing here prints, exits or reads environment variables.

pub mod corpus;
pub mod lang;
pub mod script;
pub mod signature;
pub mod table;

pub use corpus::{Corpus, CorpusError};
pub use lang::{LangError, Language, Registry, Resolved, registry};
pub use script::Script;
pub use signature::Signature;
pub use table::{Better, Cell, Column, ColumnKind, LangTable, Row};

/// The xling version, as printed in every signature.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
