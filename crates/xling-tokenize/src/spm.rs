//! SentencePiece `.model` files, through the pure-Rust `sentencepiece-rust` crate (BPE and unigram
//! models; ids identical to Python `sentencepiece` 0.2.3).
//!
//! Offsets: SentencePiece normalizes the text (NFKC-style rules, a `▁` dummy prefix, spaces as `▁`)
//! and reports no offsets, so they are recovered by matching the pieces' bytes (`▁` read as a space,
//! `<0xNN>` as the byte) against the original text, letting spaces differ. When a piece cannot be
//! matched (the normalizer rewrote a character, or an unknown piece), the encoding has no offsets and
//! the word-level metrics of that language are left empty.

use std::path::Path;

use sentencepiece_rust::{PieceType, SentencePieceProcessor};

use crate::{Encoded, TokenClass, TokenizeError, Tokenizer};

/// A SentencePiece model.
pub struct SpmTokenizer {
    name: String,
    identity: String,
    inner: SentencePieceProcessor,
    bytes: Vec<Vec<u8>>,
    classes: Vec<TokenClass>,
}

fn byte_piece(p: &str) -> Option<u8> {
    let hex = p.strip_prefix("<0x")?.strip_suffix('>')?;
    u8::from_str_radix(hex, 16).ok()
}

impl SpmTokenizer {
    /// Reads a SentencePiece `.model` file.
    pub fn from_file(path: &Path, name: String) -> Result<SpmTokenizer, TokenizeError> {
        let data = std::fs::read(path).map_err(|source| TokenizeError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let inner =
            SentencePieceProcessor::from_bytes(&data).map_err(|e| TokenizeError::Corrupt {
                path: path.to_path_buf(),
                expected: "SentencePiece .model (ModelProto)",
                reason: e.to_string(),
            })?;
        let vocab = inner.vocab();
        let n = inner.piece_size();
        let mut bytes = Vec::with_capacity(n);
        let mut classes = Vec::with_capacity(n);
        for id in 0..n as i32 {
            let piece = inner.id_to_piece(id).unwrap_or("");
            let kind = vocab.kind(id).unwrap_or(PieceType::Normal);
            let (b, c) = match kind {
                PieceType::Unknown => (Vec::new(), TokenClass::Unknown),
                PieceType::Control | PieceType::Unused => (Vec::new(), TokenClass::Special),
                PieceType::Byte => (
                    byte_piece(piece).map_or_else(Vec::new, |b| vec![b]),
                    TokenClass::Byte,
                ),
                PieceType::Normal | PieceType::UserDefined => (
                    piece.replace('\u{2581}', " ").into_bytes(),
                    TokenClass::Normal,
                ),
            };
            bytes.push(b);
            classes.push(c);
        }
        Ok(SpmTokenizer {
            name,
            identity: format!("spm:{}", crate::short_hash(&data)),
            inner,
            bytes,
            classes,
        })
    }

    fn ids(&self, text: &str) -> Result<Vec<u32>, TokenizeError> {
        let ids = self.inner.encode(text).map_err(|e| TokenizeError::Encode {
            name: self.name.clone(),
            reason: e.to_string(),
        })?;
        Ok(ids.into_iter().map(|i| i.max(0) as u32).collect())
    }
}

/// Offsets of pieces whose bytes spell `text` up to whitespace; `None` when a piece does not match.
fn lenient_offsets(text: &str, ids: &[u32], bytes: &[Vec<u8>]) -> Option<Vec<(usize, usize)>> {
    let t = text.as_bytes();
    let mut pos = 0usize;
    let mut out = Vec::with_capacity(ids.len());
    for &id in ids {
        let b = bytes.get(id as usize)?;
        if b.is_empty() {
            return None;
        }
        let core: &[u8] = {
            let k = b.iter().take_while(|&&x| x == b' ').count();
            &b[k..]
        };
        let start = pos;
        if core.is_empty() {
            // A piece of spaces only: it covers the spaces here, if any.
            while pos < t.len() && t[pos].is_ascii_whitespace() {
                pos += 1;
            }
            out.push((start, pos));
            continue;
        }
        while pos < t.len() && t[pos].is_ascii_whitespace() && core[0] != t[pos] {
            pos += 1;
        }
        let end = pos + core.len();
        if t.get(pos..end)? != core {
            return None;
        }
        out.push((crate::floor_char(text, start), crate::ceil_char(text, end)));
        pos = end;
    }
    t[pos..].iter().all(u8::is_ascii_whitespace).then_some(out)
}

impl Tokenizer for SpmTokenizer {
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
        let ids = self.ids(text)?;
        let offsets = lenient_offsets(text, &ids, &self.bytes);
        Ok(match offsets {
            Some(offsets) => Encoded {
                ids,
                offsets,
                normalized: None,
            },
            None => Encoded {
                offsets: Vec::new(),
                ids,
                normalized: None,
            },
        })
    }

    fn engine(&self) -> String {
        "sentencepiece-rust 0.1".to_string()
    }

    fn count(&self, text: &str) -> Result<usize, TokenizeError> {
        Ok(self.ids(text)?.len())
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
        // Qtok reads tokenizer.json only; decode the pieces as it does for SentencePiece-style vocabularies.
        let mut v: Vec<String> = (0..self.inner.piece_size() as i32)
            .filter_map(|id| self.inner.id_to_piece(id))
            .map(|p| match p.strip_prefix('\u{2581}') {
                Some(rest) if !rest.is_empty() => format!(" {rest}"),
                _ => p.to_string(),
            })
            .collect();
        v.sort_unstable();
        v.dedup();
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_offsets_skip_the_dummy_prefix() {
        let bytes = vec![
            b" Hello".to_vec(),
            b",".to_vec(),
            b" world".to_vec(),
            vec![0xE0],
        ];
        let text = "Hello, world";
        assert_eq!(
            lenient_offsets(text, &[0, 1, 2], &bytes),
            Some(vec![(0, 5), (5, 6), (6, 12)])
        );
        assert_eq!(lenient_offsets("Hi", &[0], &bytes), None);
    }
}
