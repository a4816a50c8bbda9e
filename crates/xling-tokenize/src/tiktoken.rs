//! tiktoken encodings: the built-in `o200k_base` and `cl100k_base` (embedded in `tiktoken-rs`, no
//! download) and `.tiktoken` rank files (`base64(token) rank` per line).
//!
//! A rank file carries no split pattern, so the pattern is chosen by the file's name: a file named after
//! an OpenAI encoding (`o200k_base.tiktoken`, `cl100k_base.tiktoken`, `p50k_base`, `r50k_base`) gets that
//! encoding's pattern; any other name is an error that says so, never a silent guess.

use std::path::Path;

use base64::Engine as _;
use rustc_hash::FxHashMap;
use tiktoken_rs::CoreBPE;

use crate::{Encoded, TokenClass, TokenizeError, Tokenizer};

// The split patterns of Python tiktoken's `tiktoken_ext.openai_public` (o200k from tiktoken-rs, which
// embeds the same string).
const O200K_PATTERN: &str = tiktoken_rs::O200K_BASE_PAT_STR;
const CL100K_PATTERN: &str = r"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s";
const GPT2_PATTERN: &str =
    r"'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s";

/// Split pattern and special tokens of a named OpenAI encoding.
fn known_encoding(stem: &str) -> Option<(&'static str, Vec<(&'static str, u32)>)> {
    Some(match stem {
        "o200k_base" => (
            O200K_PATTERN,
            vec![("<|endoftext|>", 199_999), ("<|endofprompt|>", 200_018)],
        ),
        "cl100k_base" => (
            CL100K_PATTERN,
            vec![
                ("<|endoftext|>", 100_257),
                ("<|fim_prefix|>", 100_258),
                ("<|fim_middle|>", 100_259),
                ("<|fim_suffix|>", 100_260),
                ("<|endofprompt|>", 100_276),
            ],
        ),
        "r50k_base" | "p50k_base" | "gpt2" => (GPT2_PATTERN, vec![("<|endoftext|>", 50_256)]),
        _ => return None,
    })
}

/// A tiktoken encoding.
pub struct Tiktoken {
    name: String,
    identity: String,
    bpe: CoreBPE,
    /// Bytes of each ordinary rank, indexed by rank (empty for gaps).
    bytes: Vec<Vec<u8>>,
    /// The same bytes in one buffer, for the per-token lookups of [`Tokenizer::encode`].
    flat: crate::TokenBytes,
    classes: Vec<TokenClass>,
    specials: Vec<String>,
}

impl Tiktoken {
    /// The built-in encoding called `spec`, if it is one (`Ok(None)` otherwise).
    pub fn builtin(spec: &str, name: Option<&str>) -> Result<Option<Tiktoken>, TokenizeError> {
        let bpe: &CoreBPE = match spec {
            "o200k_base" => tiktoken_rs::o200k_base_singleton(),
            "cl100k_base" => tiktoken_rs::cl100k_base_singleton(),
            _ => return Ok(None),
        };
        let mut bytes = Vec::new();
        while let Ok(b) = bpe.decode_bytes(&[bytes.len() as u32]) {
            bytes.push(b);
        }
        let specials: Vec<(String, u32)> = known_encoding(spec)
            .map(|(_, s)| s.into_iter().map(|(t, i)| (t.to_string(), i)).collect())
            .unwrap_or_default();
        Ok(Some(Tiktoken::assemble(
            name.unwrap_or(spec).to_string(),
            format!("tiktoken-rs:{spec}"),
            bpe.clone(),
            bytes,
            &specials,
        )))
    }

    /// Reads a `.tiktoken` rank file; the split pattern comes from the file's name (see the module docs).
    pub fn from_rank_file(path: &Path, name: String) -> Result<Tiktoken, TokenizeError> {
        let corrupt = |reason: String| TokenizeError::Corrupt {
            path: path.to_path_buf(),
            expected: "tiktoken rank file (`base64-token rank` per line)",
            reason,
        };
        let data = std::fs::read(path).map_err(|source| TokenizeError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let text = std::str::from_utf8(&data).map_err(|e| corrupt(format!("not UTF-8 ({e})")))?;
        let mut encoder: FxHashMap<Vec<u8>, u32> = FxHashMap::default();
        let mut bytes: Vec<Vec<u8>> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let (tok, rank) = line
                .split_once(' ')
                .ok_or_else(|| corrupt(format!("line {}: expected `token rank`", i + 1)))?;
            let tok = base64::engine::general_purpose::STANDARD
                .decode(tok)
                .map_err(|e| corrupt(format!("line {}: bad base64 ({e})", i + 1)))?;
            let rank: u32 = rank
                .trim()
                .parse()
                .map_err(|_| corrupt(format!("line {}: bad rank '{rank}'", i + 1)))?;
            if rank as usize > 10_000_000 {
                return Err(corrupt(format!(
                    "line {}: rank {rank} is implausibly large",
                    i + 1
                )));
            }
            if encoder.insert(tok.clone(), rank).is_some() {
                return Err(corrupt(format!("line {}: duplicate token", i + 1)));
            }
            let r = rank as usize;
            if bytes.len() <= r {
                bytes.resize(r + 1, Vec::new());
            }
            if !bytes[r].is_empty() {
                return Err(corrupt(format!("line {}: duplicate rank {rank}", i + 1)));
            }
            bytes[r] = tok;
        }
        if encoder.is_empty() {
            return Err(corrupt("no ranks".into()));
        }
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some((pattern, specials)) = known_encoding(&stem) else {
            return Err(TokenizeError::Unsupported {
                path: path.to_path_buf(),
                reason: format!(
                    "a .tiktoken file carries no split pattern and '{stem}' is not a known encoding; \
                     name the file o200k_base, cl100k_base, p50k_base or r50k_base.tiktoken after the \
                     encoding whose pattern it uses"
                ),
            });
        };
        let mut special_map = FxHashMap::default();
        for (t, i) in &specials {
            special_map.insert(t.to_string(), *i);
        }
        let bpe = CoreBPE::new(encoder, special_map, pattern)
            .map_err(|e| corrupt(format!("cannot build the encoder: {e}")))?;
        let specials: Vec<(String, u32)> = specials
            .into_iter()
            .map(|(t, i)| (t.to_string(), i))
            .collect();
        Ok(Tiktoken::assemble(
            name,
            format!("tiktoken:{}", crate::short_hash(&data)),
            bpe,
            bytes,
            &specials,
        ))
    }

    fn assemble(
        name: String,
        identity: String,
        bpe: CoreBPE,
        bytes: Vec<Vec<u8>>,
        specials: &[(String, u32)],
    ) -> Tiktoken {
        let size = specials
            .iter()
            .map(|(_, i)| *i as usize + 1)
            .max()
            .unwrap_or(0)
            .max(bytes.len());
        let mut classes: Vec<TokenClass> = bytes
            .iter()
            .map(|b| {
                if std::str::from_utf8(b).is_ok() {
                    TokenClass::Normal
                } else {
                    TokenClass::Byte
                }
            })
            .collect();
        classes.resize(size, TokenClass::Special);
        for (_, i) in specials {
            classes[*i as usize] = TokenClass::Special;
        }
        Tiktoken {
            name,
            identity,
            bpe,
            // Ordinary tiktoken encodings are byte-level: the tokens spell the text byte for byte.
            flat: crate::TokenBytes::new(bytes.iter().map(|b| Some(b.as_slice())), true),
            bytes,
            classes,
            specials: specials.iter().map(|(t, _)| t.clone()).collect(),
        }
    }

    /// The rank file of this encoding (`base64 rank` lines, ordinary ranks only), as tiktoken reads it.
    pub fn rank_file(&self) -> String {
        let mut out = String::new();
        for (r, b) in self.bytes.iter().enumerate() {
            if !b.is_empty() {
                out.push_str(&base64::engine::general_purpose::STANDARD.encode(b));
                out.push(' ');
                out.push_str(&r.to_string());
                out.push('\n');
            }
        }
        out
    }
}

impl Tiktoken {
    /// The encoding of `text` with the byte spans of `ids` (byte-level pieces of one character get
    /// the whole character's span, as HF does).
    fn offsets_of(&self, text: &str, ids: Vec<u32>) -> Encoded {
        let mut offsets = Vec::with_capacity(ids.len());
        let mut pos = 0usize;
        for &id in &ids {
            let len = self.flat.len_of(id);
            // Byte-level pieces of one character get that character's whole span, as HF does.
            let start = crate::floor_char(text, pos);
            let end = crate::ceil_char(text, pos + len);
            offsets.push((start, end));
            pos += len;
        }
        Encoded {
            ids,
            offsets,
            normalized: None,
        }
    }
}

impl Tokenizer for Tiktoken {
    fn name(&self) -> &str {
        &self.name
    }

    fn identity(&self) -> String {
        self.identity.clone()
    }

    fn vocab_size(&self) -> usize {
        self.classes.len()
    }

    fn encode(&self, text: &str) -> Result<Encoded, TokenizeError> {
        Ok(self.offsets_of(text, self.bpe.encode_ordinary(text)))
    }

    fn encode_ids(
        &self,
        text: &str,
    ) -> Result<Option<(Vec<u32>, &crate::TokenBytes)>, TokenizeError> {
        Ok(Some((self.bpe.encode_ordinary(text), &self.flat)))
    }

    fn encode_known(&self, text: &str, ids: Vec<u32>) -> Result<Encoded, TokenizeError> {
        Ok(self.offsets_of(text, ids))
    }

    fn engine(&self) -> String {
        "tiktoken-rs 0.12".to_string()
    }

    fn count(&self, text: &str) -> Result<usize, TokenizeError> {
        Ok(self.bpe.encode_ordinary(text).len())
    }

    fn classes(&self) -> &[TokenClass] {
        &self.classes
    }

    fn token_bytes(&self, id: u32) -> Option<Vec<u8>> {
        self.bytes
            .get(id as usize)
            .filter(|b| !b.is_empty())
            .cloned()
    }

    fn qtok_tokens(&self) -> Result<Vec<String>, TokenizeError> {
        Ok(crate::vocab::qtok_tokens_from_bytes(
            self.bytes
                .iter()
                .filter(|b| !b.is_empty())
                .map(Vec::as_slice),
            &self.specials,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_o200k_matches_known_ids() {
        let t = Tiktoken::builtin("o200k_base", None).unwrap().unwrap();
        let e = t.encode("hello world").unwrap();
        assert_eq!(e.ids, vec![24912, 2375]);
        assert_eq!(e.offsets, vec![(0, 5), (5, 11)]);
        assert_eq!(t.vocab_size(), 200_019);
        assert_eq!(t.classes()[199_999], TokenClass::Special);
    }

    #[test]
    fn rank_file_round_trips() {
        let t = Tiktoken::builtin("cl100k_base", None).unwrap().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("cl100k_base.tiktoken");
        std::fs::write(&p, t.rank_file()).unwrap();
        let f = Tiktoken::from_rank_file(&p, "f".into()).unwrap();
        let text = "Tokenizers charge some languages more: हिन्दी, ဗမာစာ, 中文.";
        assert_eq!(t.encode(text).unwrap(), f.encode(text).unwrap());
        let other = dir.path().join("mine.tiktoken");
        std::fs::write(&other, t.rank_file()).unwrap();
        let e = Tiktoken::from_rank_file(&other, "m".into())
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("mine.tiktoken") && e.contains("split pattern"),
            "{e}"
        );
    }

    #[test]
    fn byte_pieces_get_the_character_span() {
        let t = Tiktoken::builtin("cl100k_base", None).unwrap().unwrap();
        let text = "ဗမာ";
        let e = t.encode(text).unwrap();
        assert!(e.ids.len() > 3);
        for (s, end) in &e.offsets {
            assert!(text.is_char_boundary(*s) && text.is_char_boundary(*end));
        }
        assert!(
            e.ids
                .iter()
                .any(|&i| t.classes()[i as usize] == TokenClass::Byte)
        );
    }
}
