//! # xling-tokenize
//!
//! Tokenizer fairness and quality across languages: the `xling tokenizers` verb and the report card's
//! parity columns. This crate owns:
//!
//! - [`Tokenizer`]: one small trait over every tokenizer format, with adapters for HF `tokenizer.json`
//!   files (the `tokenizers` crate), tiktoken rank files (`.tiktoken`), the built-in `o200k_base` and
//!   `cl100k_base` encodings (embedded by `tiktoken-rs`, no download) and SentencePiece `.model` files
//!   (`sentencepiece-rust`). [`load`] turns a user's spec into one.
//! - [`words`]: the word units that fertility and continued-word metrics count (whitespace words, or
//!   UAX #29 word boundaries for scripts written without spaces).
//! - [`metrics`]: per-language corpus metrics from one encoding of each language — total tokens, token
//!   premium (Petrov et al. 2023), fertility, proportion of continued words and single-token retention
//!   (Rust et al. 2021), characters and bytes per token, unknown and byte-token rates, Rényi and Shannon
//!   efficiency (Zouhar et al. 2023, identical to `tokenization-scorer`), normalized sequence length.
//! - [`vocab`]: vocabulary composition as Qtok classifies it (categories, scripts), and tokens shared
//!   across tokenizers.
//! - [`tokenizers_table`]: the per-language [`LangTable`](xling_core::LangTable) with one column group per
//!   tokenizer and its signature.
//!
//! - [`hub`]: hub ids (`hf:org/name`) fetched into a cache, only when the caller passes hub options.
//!
//! Nothing here prints, exits or reads environment variables; the network is used only by [`hub`], when
//! asked.

pub mod hf;
pub mod hub;
pub mod metrics;
pub mod spm;
pub mod table;
pub mod tiktoken;
pub mod vocab;
pub mod words;

use std::path::{Path, PathBuf};

pub use metrics::{LangStats, Params, renyi_efficiency, shannon_efficiency};
pub use table::{TableOptions, TokenizeTableError, tokenizers_table};

/// The names of the built-in tokenizers, accepted by [`load`].
pub const BUILTIN: &[&str] = &["o200k_base", "cl100k_base"];

/// Why a tokenizer could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum TokenizeError {
    /// The spec is neither a built-in name nor an existing file.
    #[error(
        "unknown tokenizer '{0}': expected a built-in name ({builtin}), a tokenizer.json file, a .tiktoken rank file or a SentencePiece .model file",
        builtin = BUILTIN.join(", ")
    )]
    Unknown(String),
    /// A file could not be read.
    #[error("cannot read tokenizer file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file is not what its name promises.
    #[error("{path}: not a valid {expected}: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What was expected (`HF tokenizer.json`, `tiktoken rank file`).
        expected: &'static str,
        /// What went wrong.
        reason: String,
    },
    /// A file kind xling does not read (yet).
    #[error("{path}: unsupported tokenizer format ({reason})")]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A hub id could not be resolved.
    #[error("{id}: {reason}")]
    Hub {
        /// The hub id.
        id: String,
        /// What went wrong.
        reason: String,
    },
    /// Encoding failed.
    #[error("tokenizer {name}: encoding failed: {reason}")]
    Encode {
        /// The tokenizer.
        name: String,
        /// The underlying error.
        reason: String,
    },
}

/// One encoded text: token ids and, for each token, its byte span in the input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Encoded {
    /// Token ids, in order.
    pub ids: Vec<u32>,
    /// Byte offsets `(start, end)` of each token in the input text (or in [`Encoded::normalized`] when
    /// set); empty when the tokenizer cannot say. Tokens that cover part of a character (byte fallback,
    /// byte-level fragments) carry the span of the whole character.
    pub offsets: Vec<(usize, usize)>,
    /// The tokenizer's normalized text, when the offsets refer to it rather than to the input (a
    /// normalizer such as NFC changed the text).
    pub normalized: Option<String>,
}

/// What a vocabulary entry is, for the unknown and byte-token rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenClass {
    /// An ordinary token: one or more whole characters.
    #[default]
    Normal,
    /// The unknown token (`<unk>`): content the tokenizer could not represent.
    Unknown,
    /// A byte token: a byte-fallback piece (`<0xE1>`) or a byte-level entry that is not whole UTF-8
    /// characters — the tokenizer fell back to bytes for this text.
    Byte,
    /// A control or added special token.
    Special,
}

/// A tokenizer, whatever its file format.
///
/// Encoding never adds special tokens (BOS/EOS): counts are of the text's own tokens, which is what
/// `tokenizers.encode(text, add_special_tokens=False)` and `tiktoken.encode_ordinary` give.
pub trait Tokenizer: Send + Sync {
    /// Display name (`o200k_base`, `llama3`).
    fn name(&self) -> &str;
    /// A short identity for signatures: format, and a content hash for files (`json:1a2b3c4d`).
    fn identity(&self) -> String;
    /// Number of ids, added tokens included.
    fn vocab_size(&self) -> usize;
    /// Encodes a text with byte offsets.
    fn encode(&self, text: &str) -> Result<Encoded, TokenizeError>;
    /// Which library encodes (`tiktoken-rs`, `tokenizers 1.0-rc`, …), for timing reports.
    fn engine(&self) -> String {
        String::new()
    }
    /// Token ids of `text` and the table of every id's bytes, for callers that align tokens to the
    /// text themselves ([`metrics`]): cheaper than [`Tokenizer::encode`], which stores an offset per
    /// token. `None` when the adapter has no byte table.
    fn encode_ids(&self, text: &str) -> Result<Option<(Vec<u32>, &TokenBytes)>, TokenizeError> {
        let _ = text;
        Ok(None)
    }
    /// [`Tokenizer::encode`] of `text` whose ids [`Tokenizer::encode_ids`] already gave: adapters
    /// that can, work out the offsets from them without encoding again.
    fn encode_known(&self, text: &str, ids: Vec<u32>) -> Result<Encoded, TokenizeError> {
        let _ = ids;
        self.encode(text)
    }
    /// The text the tokens of `text` spell when the tokenizer's normalizer rewrites it (an NFC
    /// normalizer on text that is not NFC), for callers that align tokens themselves ([`metrics`]);
    /// `None` when it leaves `text` as it is or the adapter cannot say.
    fn normalized(&self, text: &str) -> Result<Option<String>, TokenizeError> {
        let _ = text;
        Ok(None)
    }
    /// Only the number of tokens: the bare encode that metrics are timed against.
    fn count(&self, text: &str) -> Result<usize, TokenizeError> {
        Ok(self.encode(text)?.ids.len())
    }
    /// The class of every id, indexed by id (length [`Tokenizer::vocab_size`]).
    fn classes(&self) -> &[TokenClass];
    /// The bytes a vocabulary entry stands for (after undoing byte-level and `▁` conventions), when known.
    fn token_bytes(&self, id: u32) -> Option<Vec<u8>>;
    /// The distinct vocabulary entries as Qtok decodes them, for its classification ([`vocab`]).
    fn qtok_tokens(&self) -> Result<Vec<String>, TokenizeError>;
}

/// Loads a tokenizer from a spec: a built-in name (`o200k_base`, `cl100k_base`), a `tokenizer.json`
/// file, or a `.tiktoken` rank file. `NAME=SPEC` sets the display name; otherwise it is the built-in
/// name, or derived from the path (the file stem, or the folder for files named `tokenizer.json`).
pub fn load(spec: &str) -> Result<Box<dyn Tokenizer>, TokenizeError> {
    load_with_hub(spec, None, &mut |_| {})
}

/// [`load`], also accepting hub ids (`hf:org/name[@revision]`) when `hub` is given: the tokenizer file
/// comes from the cache, revalidated or downloaded ([`hub::resolve`]; `notify` is told before any
/// download and of any fallback to the cache).
/// Without `hub`, a hub id is an error that says how to allow it.
pub fn load_with_hub(
    spec: &str,
    hub: Option<&hub::HubOptions>,
    notify: &mut dyn FnMut(&str),
) -> Result<Box<dyn Tokenizer>, TokenizeError> {
    if let Some(id) = hub::HubId::parse(spec.split_once('=').map_or(spec, |(_, s)| s)) {
        let id = id?;
        let name = spec
            .split_once('=')
            .map_or_else(|| id.name().to_string(), |(n, _)| n.to_string());
        let Some(opts) = hub else {
            return Err(TokenizeError::Hub {
                id: spec.to_string(),
                reason: "hub ids need the hub options (the xling CLI provides them)".into(),
            });
        };
        let path = hub::resolve(&id, opts, notify)?;
        return load(&format!("{name}={}", path.display()));
    }
    let (name, spec) = match spec.split_once('=') {
        Some((n, s)) if !n.is_empty() && !n.contains(['/', '\\']) => (Some(n.to_string()), s),
        _ => (None, spec),
    };
    if let Some(tk) = tiktoken::Tiktoken::builtin(spec, name.as_deref())? {
        return Ok(Box::new(tk));
    }
    let path = Path::new(spec);
    if !path.is_file() {
        return Err(TokenizeError::Unknown(spec.to_string()));
    }
    let name = name.unwrap_or_else(|| name_from_path(path));
    let lower = spec.to_ascii_lowercase();
    if lower.ends_with(".tiktoken") {
        Ok(Box::new(tiktoken::Tiktoken::from_rank_file(path, name)?))
    } else if lower.ends_with(".json") {
        Ok(Box::new(hf::HfTokenizer::from_file(path, name)?))
    } else if lower.ends_with(".model") {
        Ok(Box::new(spm::SpmTokenizer::from_file(path, name)?))
    } else {
        Err(TokenizeError::Unsupported {
            path: path.to_path_buf(),
            reason:
                "expected a tokenizer.json (HF), a .tiktoken rank file or a SentencePiece .model"
                    .into(),
        })
    }
}

/// A display name for a tokenizer file: its stem, or for generic stems (`tokenizer.json`) the nearest
/// folder name that says more (`…/tokenizer-llama3/models/tokenizer.json` → `llama3`).
pub fn name_from_path(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !stem.is_empty() && stem != "tokenizer" {
        return stem;
    }
    let generic = [
        "models",
        "model",
        "tokenizer",
        "package",
        "snapshots",
        ".",
        "",
    ];
    let mut dir = path.parent();
    while let Some(d) = dir {
        let n = d
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !generic.contains(&n.as_str()) {
            return n.strip_prefix("tokenizer-").unwrap_or(&n).to_string();
        }
        dir = d.parent();
    }
    "tokenizer".to_string()
}

/// The bytes of every id in one contiguous buffer (see [`Tokenizer::encode_ids`]): the per-token lookups of the metrics stay in cache
/// (a `Vec<Vec<u8>>` of 200k entries costs a cache miss or two per token).
#[derive(Debug, Clone, Default)]
pub struct TokenBytes {
    data: Vec<u8>,
    /// Per id: `(start, end)` in `data`; `start == u32::MAX` for ids without bytes.
    spans: Vec<(u32, u32)>,
    /// Per id: the byte length, [`TokenBytes::NO_BYTES`] for ids without bytes, or
    /// [`TokenBytes::LONG`] for lengths that do not fit (then `spans` has it). A quarter of `spans`'
    /// size: the per-token length lookups of the metrics stay in cache.
    lens: Vec<u16>,
    /// Whether every encoding's tokens spell its input byte for byte by construction (byte-level BPE
    /// and tiktoken without a normalizer): then aligners need only the tokens' lengths, and check that
    /// they add up to the input's.
    exact: bool,
}

impl TokenBytes {
    /// From the bytes of ids `0..n` (`None` for ids without bytes); `exact` when the encoder spells
    /// its input byte for byte by construction.
    pub(crate) fn new<'a>(
        entries: impl IntoIterator<Item = Option<&'a [u8]>>,
        exact: bool,
    ) -> TokenBytes {
        let mut t = TokenBytes {
            exact,
            ..TokenBytes::default()
        };
        for e in entries {
            match e {
                Some(b) => {
                    let start = t.data.len() as u32;
                    t.data.extend_from_slice(b);
                    t.spans.push((start, t.data.len() as u32));
                    t.lens
                        .push(u16::try_from(b.len()).map_or(Self::LONG, |l| l.min(Self::LONG)));
                }
                None => {
                    t.spans.push((u32::MAX, 0));
                    t.lens.push(Self::NO_BYTES);
                }
            }
        }
        // Padding, so that 16 bytes can be read from the start of any entry.
        t.data.extend_from_slice(&[0; 16]);
        t
    }

    /// The start of `id`'s bytes in [`TokenBytes::data`] and their length; `None` without bytes.
    #[inline]
    pub(crate) fn span(&self, id: u32) -> Option<(usize, usize)> {
        match self.spans.get(id as usize) {
            Some(&(s, e)) if s != u32::MAX => Some((s as usize, (e - s) as usize)),
            _ => None,
        }
    }

    /// Every entry's bytes back to back, followed by 16 bytes of padding.
    #[inline]
    pub(crate) fn data(&self) -> &[u8] {
        &self.data
    }

    /// In [`TokenBytes::lens`]: the id has no bytes.
    pub(crate) const NO_BYTES: u16 = u16::MAX;
    /// In [`TokenBytes::lens`]: the length is this or more; [`TokenBytes::byte_len`] has it.
    pub(crate) const LONG: u16 = u16::MAX - 1;

    /// The compact length of every id (see the field).
    #[inline]
    pub(crate) fn lens(&self) -> &[u16] {
        &self.lens
    }

    /// The bytes of `id`, if it has any.
    #[inline]
    pub fn get(&self, id: u32) -> Option<&[u8]> {
        let &(s, e) = self.spans.get(id as usize)?;
        if s == u32::MAX {
            return None;
        }
        self.data.get(s as usize..e as usize)
    }

    /// Whether encodings spell their input byte for byte by construction (see the field).
    pub fn exact(&self) -> bool {
        self.exact
    }

    /// The number of bytes of `id`, if it has bytes.
    #[inline]
    pub fn byte_len(&self, id: u32) -> Option<usize> {
        match self.spans.get(id as usize) {
            Some(&(s, e)) if s != u32::MAX => Some((e - s) as usize),
            _ => None,
        }
    }

    /// The number of bytes of `id` (0 without bytes).
    #[inline]
    pub(crate) fn len_of(&self, id: u32) -> usize {
        match self.spans.get(id as usize) {
            Some(&(s, e)) if s != u32::MAX => (e - s) as usize,
            _ => 0,
        }
    }
}

/// Byte offsets of tokens whose bytes spell `text` exactly, in order; `None` as soon as one does not
/// (unknown bytes, or a normalizer that changed the text). Tokens that cover part of a character get the
/// whole character's span.
pub(crate) fn offsets_from_bytes<'a>(
    text: &str,
    ids: &[u32],
    bytes_of: impl Fn(u32) -> Option<&'a [u8]>,
) -> Option<Vec<(usize, usize)>> {
    let t = text.as_bytes();
    let mut offsets = Vec::with_capacity(ids.len());
    let mut pos = 0usize;
    for &id in ids {
        let b = bytes_of(id)?;
        let end = pos + b.len();
        // Tokens are a few bytes: an inlined comparison beats a call to memcmp per token.
        let seg = t.get(pos..end)?;
        if !seg.iter().zip(b).all(|(x, y)| x == y) {
            return None;
        }
        offsets.push((floor_char(text, pos), ceil_char(text, end)));
        pos = end;
    }
    (pos == t.len()).then_some(offsets)
}

pub(crate) fn floor_char(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

pub(crate) fn ceil_char(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Short content hash of a file's bytes: the first 8 hex digits of SHA-256.
pub(crate) fn short_hash(bytes: &[u8]) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(bytes);
    d.iter().take(4).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_paths() {
        assert_eq!(
            name_from_path(Path::new("/x/tokenizer-llama3/models/tokenizer.json")),
            "llama3"
        );
        assert_eq!(name_from_path(Path::new("/x/qwen.tiktoken")), "qwen");
        assert_eq!(name_from_path(Path::new("tokenizer.json")), "tokenizer");
    }

    #[test]
    fn unknown_spec_lists_builtins() {
        let e = load("o300k")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("o200k_base, cl100k_base"), "{e}");
    }

    #[test]
    fn corrupt_files_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let json = dir.path().join("broken.json");
        std::fs::write(&json, "{\"model\": 3").unwrap();
        let e = load(json.to_str().unwrap()).err().unwrap().to_string();
        assert!(
            e.contains("broken.json") && e.contains("tokenizer.json"),
            "{e}"
        );
        let tt = dir.path().join("o200k_base.tiktoken");
        std::fs::write(&tt, "not base64!! x\n").unwrap();
        let e = load(tt.to_str().unwrap()).err().unwrap().to_string();
        assert!(
            e.contains("o200k_base.tiktoken") && e.contains("line 1"),
            "{e}"
        );
        let m = dir.path().join("sp.model");
        std::fs::write(&m, "x").unwrap();
        let e = load(m.to_str().unwrap()).err().unwrap().to_string();
        assert!(
            e.contains("sp.model") && e.contains("SentencePiece .model"),
            "{e}"
        );
    }
}
