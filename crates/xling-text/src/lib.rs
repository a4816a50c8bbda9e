//! # xling-text
//!
//! Text analysis that needs no model. This crate owns:
//!
//! - [`script_profile`]: the Unicode-script make-up of a text: share of characters per script (ISO 15924
//!   via the Unicode Script property), dominant script, UTF-8 bytes per character, and purity against a
//!   language's expected writing system, and [`scripts_table`] (the table of `xling scripts`);
//! - [`bytes`]: byte counts and the *byte premium* of a language relative to a base language on parallel
//!   text (Arnett et al. 2024).
//!
//! Later capabilities (normalisation, romanization, segmentation, language ID) join here or split into
//! their own crates once they have weight of their own (see ARCHITECTURE.md).

pub mod bytes;
pub mod script_profile;
pub mod scripts_table;

pub use bytes::byte_premium;
pub use script_profile::ScriptProfile;
pub use scripts_table::scripts_table;
