//! Signatures: the parameters that reproduce a table, in sacrebleu's `key:value|…` style.
//!
//! A signature names the verb, every parameter that changes a number, a short hash of the input data, and
//! the xling version, e.g. `xling:report|corpus:flores200-sample|base:eng_Latn|data:3f9a1c2e|version:0.1.0`.
//! Two tables with equal signatures were computed the same way from the same data.

use std::fmt;

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The reproducibility signature of one [`LangTable`](crate::LangTable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signature {
    /// The verb that produced the table (`report`, `tokenizers`, `score`).
    pub verb: String,
    /// Every parameter that changes a number, in the order they are printed.
    pub params: Vec<(String, String)>,
    /// Short hash of the input data (see [`DataHasher`]); empty when not applicable.
    pub data: String,
    /// The xling version.
    pub version: String,
}

impl Signature {
    /// A signature for `verb` with no parameters yet.
    pub fn new(verb: impl Into<String>) -> Self {
        Signature {
            verb: verb.into(),
            params: Vec::new(),
            data: String::new(),
            version: crate::VERSION.to_string(),
        }
    }

    /// Adds a parameter (builder style). Keys and values must not contain `|`; any such character is
    /// replaced by `/` so the signature stays parseable.
    pub fn with(mut self, key: impl Into<String>, value: impl fmt::Display) -> Self {
        let clean = |s: String| s.replace('|', "/");
        self.params
            .push((clean(key.into()), clean(value.to_string())));
        self
    }

    /// Sets the data hash (builder style).
    pub fn with_data(mut self, hash: impl Into<String>) -> Self {
        self.data = hash.into();
        self
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "xling:{}", self.verb)?;
        for (k, v) in &self.params {
            write!(f, "|{k}:{v}")?;
        }
        if !self.data.is_empty() {
            write!(f, "|data:{}", self.data)?;
        }
        write!(f, "|version:{}", self.version)
    }
}

/// Incremental hash of a corpus' content, giving the short `data:` field of a signature.
///
/// Feed it each language's code and segments in a fixed order; the result is the first 8 hex digits of
/// SHA-256 over length-prefixed fields, so neither field boundaries nor order can collide silently.
#[derive(Default, Clone)]
pub struct DataHasher(Sha256);

impl DataHasher {
    /// A fresh hasher.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one field.
    pub fn update(&mut self, field: &str) {
        self.0.update((field.len() as u64).to_le_bytes());
        self.0.update(field.as_bytes());
    }

    /// The short hex digest (8 characters).
    pub fn finish(self) -> String {
        let digest = self.0.finalize();
        digest.iter().take(4).map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_in_sacrebleu_style() {
        let s = Signature::new("report")
            .with("corpus", "flores200-sample")
            .with("base", "eng_Latn")
            .with_data("0123abcd");
        assert_eq!(
            s.to_string(),
            format!(
                "xling:report|corpus:flores200-sample|base:eng_Latn|data:0123abcd|version:{}",
                crate::VERSION
            )
        );
    }

    #[test]
    fn pipes_in_values_are_escaped() {
        let s = Signature::new("x").with("path", "a|b");
        assert!(s.to_string().contains("|path:a/b|"));
    }

    #[test]
    fn data_hash_depends_on_boundaries_and_order() {
        let h = |parts: &[&str]| {
            let mut d = DataHasher::new();
            parts.iter().for_each(|p| d.update(p));
            d.finish()
        };
        assert_eq!(h(&["ab", "c"]).len(), 8);
        assert_ne!(h(&["ab", "c"]), h(&["a", "bc"]));
        assert_ne!(h(&["a", "b"]), h(&["b", "a"]));
        assert_eq!(h(&["a", "b"]), h(&["a", "b"]));
    }
}
