//! HF `tokenizer.json` files, through the `tokenizers` crate.
//!
//! Two versions work together. `tokenizers` 1.0.0-rc (pure Rust, a SIMD pre-tokenizer for the GPT-2,
//! Llama 3, Qwen and o200k split patterns) encodes: it is 3–12× faster than 0.23 and gives the same ids.
//! It reads only canonical (`"version": "2.0"`) files, so the file is canonicalised in memory first, and
//! its ids are checked against 0.23 on a probe text at load. 0.23 (pure-Rust `fancy-regex` backend)
//! reads the vocabulary metadata (decoder, added tokens, unknown token, normalizer) and encodes whatever
//! the rc cannot load (regex patterns its pre-tokenizer does not cover) or gets wrong on the probe.
//!
//! Padding and truncation configured in the file are switched off: counts are of the whole text. Token
//! bytes undo the conventions of the vocabulary: the GPT-2 byte-to-unicode map for byte-level BPE
//! (Llama 3, Qwen, GPT-4o), `<0xNN>` byte-fallback pieces and the `▁` space marker (Llama 2, Gemma).

use std::path::Path;

use tokenizers::DecoderWrapper;
use tokenizers::ModelWrapper;
use tokenizers::Normalizer as _;

use crate::{Encoded, TokenClass, TokenizeError, Tokenizer};

/// A tokenizer read from a `tokenizer.json` file.
pub struct HfTokenizer {
    name: String,
    path: std::path::PathBuf,
    identity: String,
    inner: tokenizers::Tokenizer,
    fast: Option<tokenizers1::pipeline::PipelineTokenizer>,
    fast_note: Option<String>,
    bytes: Vec<Option<Vec<u8>>>,
    flat: crate::TokenBytes,
    classes: Vec<TokenClass>,
    /// Whether the file's only normalizer is NFC (then [`Tokenizer::normalized`] uses ICU4X's NFC,
    /// several times faster than the `unicode-normalization` iterators the encoders use).
    nfc_only: bool,
}

/// Whether a normalizer is NFC alone (possibly inside a one-element sequence).
fn is_nfc_only(n: &tokenizers::NormalizerWrapper) -> bool {
    use tokenizers::NormalizerWrapper as N;
    match n {
        N::NFC(_) => true,
        N::Sequence(s) => matches!(s.as_ref(), [only] if is_nfc_only(only)),
        _ => false,
    }
}

/// The inverse of GPT-2's `bytes_to_unicode`: printable Latin-1 bytes stand for themselves, the other 68
/// bytes were shifted to U+0100 onwards.
fn byte_level_inverse() -> std::collections::HashMap<char, u8> {
    let mut printable: Vec<u8> = (0x21..=0x7E)
        .chain(0xA1..=0xAC)
        .chain(0xAE..=0xFF)
        .collect();
    let mut map: std::collections::HashMap<char, u8> =
        printable.iter().map(|&b| (char::from(b), b)).collect();
    let mut n = 0u32;
    for b in 0..=255u8 {
        if !printable.contains(&b) {
            if let Some(c) = char::from_u32(256 + n) {
                map.insert(c, b);
            }
            n += 1;
        }
    }
    printable.clear();
    map
}

fn decoder_has(d: &DecoderWrapper, want: fn(&DecoderWrapper) -> bool) -> bool {
    match d {
        DecoderWrapper::Sequence(s) => s.get_decoders().iter().any(|d| decoder_has(d, want)),
        other => want(other),
    }
}

/// `<0xNN>` → the byte.
fn byte_fallback_piece(tok: &str) -> Option<u8> {
    let hex = tok.strip_prefix("<0x")?.strip_suffix('>')?;
    if hex.len() == 2 {
        u8::from_str_radix(hex, 16).ok()
    } else {
        None
    }
}

impl HfTokenizer {
    /// Reads a `tokenizer.json` file.
    pub fn from_file(path: &Path, name: String) -> Result<HfTokenizer, TokenizeError> {
        let data = std::fs::read(path).map_err(|source| TokenizeError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let corrupt = |reason: String| TokenizeError::Corrupt {
            path: path.to_path_buf(),
            expected: "HF tokenizer.json",
            reason,
        };
        let mut inner =
            tokenizers::Tokenizer::from_bytes(&data).map_err(|e| corrupt(e.to_string()))?;
        inner.with_padding(None);
        inner
            .with_truncation(None)
            .map_err(|e| corrupt(e.to_string()))?;

        let (byte_level, byte_fallback) = match inner.get_decoder() {
            Some(d) => (
                decoder_has(d, |d| matches!(d, DecoderWrapper::ByteLevel(_))),
                decoder_has(d, |d| matches!(d, DecoderWrapper::ByteFallback(_))),
            ),
            None => (false, false),
        };
        let unk: Option<String> = match inner.get_model() {
            ModelWrapper::BPE(b) => b.unk_token.clone(),
            other => serde_json::to_value(other).ok().and_then(|v| {
                if let Some(t) = v.get("unk_token").and_then(|t| t.as_str()) {
                    return Some(t.to_string());
                }
                let id = v.get("unk_id")?.as_u64()?;
                v.get("vocab")?
                    .get(usize::try_from(id).ok()?)?
                    .get(0)?
                    .as_str()
                    .map(str::to_string)
            }),
        };
        let unk_id = unk.as_deref().and_then(|u| inner.token_to_id(u));

        let vocab = inner.get_vocab(true);
        let size = vocab.values().map(|&i| i as usize + 1).max().unwrap_or(0);
        let inverse = byte_level.then(byte_level_inverse);
        let mut bytes: Vec<Option<Vec<u8>>> = vec![None; size];
        let mut classes = vec![TokenClass::Normal; size];
        let added = inner.get_added_tokens_decoder();
        for (tok, &id) in &vocab {
            let i = id as usize;
            let is_added = added.contains_key(&id);
            let b: Vec<u8> = if is_added {
                if byte_level {
                    tok.as_bytes().to_vec()
                } else {
                    tok.replace('\u{2581}', " ").into_bytes()
                }
            } else if let (true, Some(b)) = (byte_fallback, byte_fallback_piece(tok)) {
                classes[i] = TokenClass::Byte;
                vec![b]
            } else if let Some(inv) = &inverse {
                let mut out = Vec::with_capacity(tok.len());
                for c in tok.chars() {
                    match inv.get(&c) {
                        Some(&b) => out.push(b),
                        None => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
                    }
                }
                if std::str::from_utf8(&out).is_err() {
                    classes[i] = TokenClass::Byte;
                }
                out
            } else {
                tok.replace('\u{2581}', " ").into_bytes()
            };
            bytes[i] = Some(b);
        }
        for (id, t) in &added {
            if t.special {
                if let Some(c) = classes.get_mut(*id as usize) {
                    *c = TokenClass::Special;
                }
            }
        }
        if let Some(u) = unk_id.and_then(|u| classes.get_mut(u as usize)) {
            *u = TokenClass::Unknown;
        }
        let (fast, fast_note) = match load_fast(&data, &inner) {
            Ok(f) => (Some(f), None),
            Err(note) => (None, Some(note)),
        };
        let nfc_only = inner.get_normalizer().is_some_and(is_nfc_only);
        // Byte-level BPE without a normalizer spells its input byte for byte, by construction.
        let exact = byte_level && inner.get_normalizer().is_none();
        let flat = crate::TokenBytes::new(bytes.iter().map(|b| b.as_deref()), exact);
        Ok(HfTokenizer {
            flat,
            name,
            path: path.to_path_buf(),
            identity: format!("json:{}", crate::short_hash(&data)),
            inner,
            fast,
            fast_note,
            bytes,
            classes,
            nfc_only,
        })
    }

    /// The ids of `text` without special tokens, from the fast encoder when it loaded.
    fn ids(&self, text: &str) -> Result<Vec<u32>, TokenizeError> {
        match &self.fast {
            Some(f) => {
                let mut toks = Vec::with_capacity(text.len() / 2 + 16);
                f.encode_into(
                    text,
                    &tokenizers1::pipeline::EncodeOptions::no_specials(),
                    &mut toks,
                )
                .map_err(|e| self.encode_error(e.to_string()))?;
                // Same layout: collected in place, no second buffer.
                Ok(toks.into_iter().map(|t| t.id()).collect())
            }
            None => self
                .inner
                .encode_fast(text, false)
                .map(|e| e.get_ids().to_vec())
                .map_err(|e| self.encode_error(e.to_string())),
        }
    }

    fn encode_error(&self, reason: String) -> TokenizeError {
        TokenizeError::Encode {
            name: self.name.clone(),
            reason,
        }
    }
}

/// A text in many scripts, with digits, runs of spaces, newlines, punctuation and emoji: the rc's ids
/// must equal 0.23's on it before the rc is trusted with a file.
const PROBE: &str = "Hello, world!  It's 2024-11-26:\t12345 tokens\n\n  ünïcödé — “quotes” \
    Всеобщая декларация прав человека. 人人生而自由，在尊严和权利上一律平等。すべての人間は、生まれながらにして自由であり、\
    सभी मनुष्यों को गौरव और अधिकारों के मामले में जन्मजात स्वतन्त्रता प्राप्त है। มนุษย์ทั้งหลายเกิดมามีอิสระ \
    ሁሉም የሰው ልጆች ነጻ 모든 인간은 태어날 때부터 자유로우며 كل الناس يولدون أحراراً 🙂👍🏽 x=y+1;   \u{200b}end ";

/// The rc encoder of a `tokenizer.json`, or why it is not used.
fn load_fast(
    data: &[u8],
    reference: &tokenizers::Tokenizer,
) -> Result<tokenizers1::pipeline::PipelineTokenizer, String> {
    let text = std::str::from_utf8(data).map_err(|e| format!("not UTF-8: {e}"))?;
    let canonical = tokenizers1::canonicalize_str(text).map_err(|e| e.to_string())?;
    let fast = tokenizers1::from_json(&canonical).map_err(|e| e.to_string())?;
    let mut toks = Vec::new();
    fast.encode_into(
        PROBE,
        &tokenizers1::pipeline::EncodeOptions::no_specials(),
        &mut toks,
    )
    .map_err(|e| e.to_string())?;
    let want = reference
        .encode_fast(PROBE, false)
        .map_err(|e| e.to_string())?;
    if tokenizers1::pipeline::PipelineToken::cast_slice(&toks) != want.get_ids() {
        return Err("1.0-rc ids differ from 0.23 on the probe text".into());
    }
    Ok(fast)
}

impl Tokenizer for HfTokenizer {
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
        self.encode_known(text, ids)
    }

    fn encode_ids(
        &self,
        text: &str,
    ) -> Result<Option<(Vec<u32>, &crate::TokenBytes)>, TokenizeError> {
        Ok(Some((self.ids(text)?, &self.flat)))
    }

    fn encode_known(&self, text: &str, ids: Vec<u32>) -> Result<Encoded, TokenizeError> {
        // The offsets come from the tokens' bytes, which must spell the text exactly (they do unless
        // a normalizer changed it or a token is unknown). Otherwise fall back to the offsets
        // `tokenizers` 0.23 tracks.
        let bytes_of = |id: u32| self.flat.get(id);
        if let Some(offsets) = crate::offsets_from_bytes(text, &ids, bytes_of) {
            return Ok(Encoded {
                ids,
                offsets,
                normalized: None,
            });
        }
        // A normalizer (NFC) changed the text: the tokens spell the normalized text instead. The rc's
        // own normalizers say what it tokenized; 0.23's `NormalizedString` (slower: it tracks an
        // alignment per byte) is the fallback.
        if let Some(f) = &self.fast {
            if let Ok(std::borrow::Cow::Owned(norm)) =
                tokenizers1::pipeline::normalize_all(f.get_normalizers(), text, 0)
            {
                if let Some(offsets) = crate::offsets_from_bytes(&norm, &ids, bytes_of) {
                    return Ok(Encoded {
                        ids,
                        offsets,
                        normalized: Some(norm),
                    });
                }
            }
        }
        if let Some(n) = self.inner.get_normalizer() {
            let mut ns = tokenizers::NormalizedString::from(text);
            if n.normalize(&mut ns).is_ok() {
                let norm = ns.get();
                if let Some(offsets) = crate::offsets_from_bytes(norm, &ids, bytes_of) {
                    return Ok(Encoded {
                        ids,
                        offsets,
                        normalized: Some(norm.to_string()),
                    });
                }
            }
        }
        let e = self
            .inner
            .encode(text, false)
            .map_err(|e| self.encode_error(e.to_string()))?;
        Ok(Encoded {
            ids: e.get_ids().to_vec(),
            offsets: e.get_offsets().to_vec(),
            normalized: None,
        })
    }

    fn normalized(&self, text: &str) -> Result<Option<String>, TokenizeError> {
        // Callers check that the tokens spell what this returns, so a normalizer that disagrees
        // with the encoder's (another Unicode version) costs a fallback, never a wrong alignment.
        if self.nfc_only {
            return Ok(
                match icu_normalizer::ComposingNormalizerBorrowed::new_nfc().normalize(text) {
                    std::borrow::Cow::Owned(norm) => Some(norm),
                    std::borrow::Cow::Borrowed(_) => None,
                },
            );
        }
        // What `encode_known` tries first when the tokens do not spell `text`: the rc's own
        // normalizers, which say what it tokenized.
        Ok(self.fast.as_ref().and_then(|f| {
            match tokenizers1::pipeline::normalize_all(f.get_normalizers(), text, 0) {
                Ok(std::borrow::Cow::Owned(norm)) => Some(norm),
                _ => None,
            }
        }))
    }

    fn engine(&self) -> String {
        match &self.fast_note {
            None => "tokenizers 1.0.0-rc.3".to_string(),
            Some(why) => format!("tokenizers 0.23 ({why})"),
        }
    }

    fn count(&self, text: &str) -> Result<usize, TokenizeError> {
        match &self.fast {
            Some(f) => {
                let mut toks = Vec::with_capacity(text.len() / 2 + 16);
                f.encode_into(
                    text,
                    &tokenizers1::pipeline::EncodeOptions::no_specials(),
                    &mut toks,
                )
                .map_err(|e| self.encode_error(e.to_string()))?;
                Ok(toks.len())
            }
            None => self
                .inner
                .encode_fast(text, false)
                .map(|e| e.len())
                .map_err(|e| self.encode_error(e.to_string())),
        }
    }

    fn classes(&self) -> &[TokenClass] {
        &self.classes
    }

    fn token_bytes(&self, id: u32) -> Option<Vec<u8>> {
        self.bytes.get(id as usize).cloned().flatten()
    }

    fn qtok_tokens(&self) -> Result<Vec<String>, TokenizeError> {
        crate::vocab::qtok_tokens(&self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_level_map_is_a_bijection() {
        let m = byte_level_inverse();
        assert_eq!(m.len(), 256);
        assert_eq!(m[&'Ġ'], b' ');
        assert_eq!(m[&'a'], b'a');
        let mut seen: Vec<u8> = m.values().copied().collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 256);
    }

    #[test]
    fn byte_fallback_pieces() {
        assert_eq!(byte_fallback_piece("<0xE1>"), Some(0xE1));
        assert_eq!(byte_fallback_piece("<0xE>"), None);
        assert_eq!(byte_fallback_piece("<unk>"), None);
    }
}
