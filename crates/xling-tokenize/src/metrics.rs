//! Per-language corpus metrics from one encoding of each language's text.
//!
//! Petrov et al. (2023)'s protocol: a language's segments are joined with a single space and tokenized
//! once. Every metric below comes from that one encoding, so measuring costs little more than encoding.
//!
//! - tokens `len_T(L)`, premium `len_T(L) / len_T(base)`; a language whose unknown-token share exceeds
//!   [`UNKNOWN_THRESHOLD`] is excluded from the premium (Petrov's `THRESHOLD_FOR_TOO_MANY_UNKNOWN`);
//! - fertility = tokens / words, proportion of continued words (words with ≥ 2 tokens), single-token
//!   retention (words that are exactly one token) — a token belongs to the word holding its first
//!   non-space byte ([`crate::words`] says what a word is);
//! - characters and UTF-8 bytes per token; unknown and byte-token rates ([`crate::TokenClass`]);
//! - Rényi efficiency `H_α(p) / log2 |V|` with `H_α = log2(Σ p_i^α) / (1 − α)` and Shannon efficiency
//!   `−Σ p log2 p / log2 |V|` over the unigram distribution of token ids, `|V|` the number of distinct
//!   ids observed — exactly `tokenization-scorer`'s definitions (Zouhar et al. 2023).

use crate::words::WordUnit;
use crate::{TokenClass, TokenizeError, Tokenizer};

/// Above this unknown-token share a language is excluded from the premium (Petrov et al. 2023).
pub const UNKNOWN_THRESHOLD: f64 = 0.1;

/// Parameters of the metrics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// The order α of the Rényi efficiency (2.5, as Zouhar et al. 2023 recommend).
    pub alpha: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params { alpha: 2.5 }
    }
}

/// The counts and efficiencies of one tokenizer on one language.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LangStats {
    /// Tokens of the joined text.
    pub tokens: usize,
    /// Unicode characters of the joined text.
    pub chars: usize,
    /// UTF-8 bytes of the joined text.
    pub bytes: usize,
    /// Words (in the language's [`WordUnit`]).
    pub words: usize,
    /// Words split into two or more tokens.
    pub continued: usize,
    /// Words that are exactly one token.
    pub single: usize,
    /// Unknown tokens.
    pub unknown: usize,
    /// Byte tokens (byte fallback, byte-level fragments of a character).
    pub byte_tokens: usize,
    /// Rényi efficiency at [`Params::alpha`]; `None` with fewer than two distinct tokens.
    pub renyi: Option<f64>,
    /// Shannon efficiency; `None` with fewer than two distinct tokens.
    pub shannon: Option<f64>,
    /// Whether tokens could be aligned to words (the tokenizer gave offsets); without it the
    /// continued-word and single-token shares are unknown.
    pub aligned: bool,
}

impl LangStats {
    fn ratio(a: usize, b: usize) -> Option<f64> {
        (b > 0).then(|| a as f64 / b as f64)
    }
    /// Tokens per word.
    pub fn fertility(&self) -> Option<f64> {
        Self::ratio(self.tokens, self.words)
    }
    /// Share of words split into ≥ 2 tokens.
    pub fn continued_share(&self) -> Option<f64> {
        Self::ratio(self.continued, self.words).filter(|_| self.aligned)
    }
    /// Share of words that are a single token.
    pub fn single_share(&self) -> Option<f64> {
        Self::ratio(self.single, self.words).filter(|_| self.aligned)
    }
    /// Characters per token.
    pub fn chars_per_token(&self) -> Option<f64> {
        Self::ratio(self.chars, self.tokens)
    }
    /// UTF-8 bytes per token.
    pub fn bytes_per_token(&self) -> Option<f64> {
        Self::ratio(self.bytes, self.tokens)
    }
    /// Share of unknown tokens.
    pub fn unknown_share(&self) -> Option<f64> {
        Self::ratio(self.unknown, self.tokens)
    }
    /// Share of byte tokens.
    pub fn byte_share(&self) -> Option<f64> {
        Self::ratio(self.byte_tokens, self.tokens)
    }
    /// Whether the language is excluded from the premium (unknown share above the threshold).
    pub fn excluded(&self) -> bool {
        self.unknown_share().is_some_and(|u| u > UNKNOWN_THRESHOLD)
    }
}

/// Joins segments with a single space (Petrov et al.'s protocol).
pub fn join_segments<'a>(segments: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for (i, s) in segments.into_iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(s);
    }
    out
}

/// Measures one tokenizer on one language's joined text, with the words already cut in `unit`.
pub fn lang_stats(
    tk: &dyn Tokenizer,
    text: &str,
    unit: WordUnit,
    words: &[(usize, usize)],
    params: &Params,
) -> Result<LangStats, TokenizeError> {
    // Fast path: the ids and the tokens' bytes, aligned to the words in one pass without an offset
    // per token. When the tokens do not spell the text (a normalizer changed it), the adapter works
    // out offsets from the same ids.
    let (ids, per_word, aligned) = match tk.encode_ids(text)? {
        Some((ids, table)) => match align_spelled(text, &ids, table, words) {
            Some(per_word) => (ids, per_word, true),
            None => align_encoded(tk.encode_known(text, ids)?, unit, text, words),
        },
        None => align_encoded(tk.encode(text)?, unit, text, words),
    };
    let classes = tk.classes();
    let (mut unknown, mut byte_tokens) = (0, 0);
    for &id in &ids {
        match classes.get(id as usize).copied().unwrap_or_default() {
            TokenClass::Unknown => unknown += 1,
            TokenClass::Byte => byte_tokens += 1,
            _ => {}
        }
    }
    let (renyi, shannon) = efficiencies(&token_frequencies(&ids, classes.len()), params.alpha);
    Ok(LangStats {
        tokens: ids.len(),
        chars: text.chars().count(),
        bytes: text.len(),
        words: per_word.len(),
        continued: per_word.iter().filter(|&&n| n >= 2).count(),
        single: per_word.iter().filter(|&&n| n == 1).count(),
        unknown,
        byte_tokens,
        renyi,
        shannon,
        aligned,
    })
}

/// Counts tokens per word. Each token is anchored at its first non-whitespace byte; tokens come in
/// text order, so the words are walked forward, searching only when a token goes back.
struct WordWalk<'w> {
    words: &'w [(usize, usize)],
    per_word: Vec<u32>,
    w: usize,
}

impl<'w> WordWalk<'w> {
    fn new(words: &'w [(usize, usize)]) -> Self {
        WordWalk {
            words,
            per_word: vec![0; words.len()],
            w: 0,
        }
    }

    /// Adds a token spanning bytes `s..e` of `text` (whole characters).
    #[inline]
    fn token(&mut self, text: &str, s: usize, e: usize) {
        let Some(anchor) = (s..e).find(|&i| !is_space_byte_at(text, i)) else {
            return;
        };
        let words = self.words;
        if self.w > 0 && anchor < words[self.w - 1].1 {
            self.w = words.partition_point(|&(_, we)| we <= anchor);
        }
        while words.get(self.w).is_some_and(|&(_, we)| we <= anchor) {
            self.w += 1;
        }
        if let Some(&(ws, _)) = words.get(self.w) {
            if ws <= anchor {
                self.per_word[self.w] += 1;
            }
        }
    }
}

/// Tokens per word when the tokens' bytes spell `text` exactly (token spans widened to whole
/// characters, as [`crate::Encoded::offsets`] are); `None` as soon as they do not.
fn align_spelled(
    text: &str,
    ids: &[u32],
    table: &crate::TokenBytes,
    words: &[(usize, usize)],
) -> Option<Vec<u32>> {
    let t = text.as_bytes();
    let mut walk = WordWalk::new(words);
    let mut pos = 0usize;
    if table.exact() {
        // The tokens spell the text by construction: their lengths place them, and must add up.
        for &id in ids {
            let end = pos + table.byte_len(id)?;
            if end > t.len() {
                return None;
            }
            walk.token(
                text,
                crate::floor_char(text, pos),
                crate::ceil_char(text, end),
            );
            pos = end;
        }
    } else {
        for &id in ids {
            let b = table.get(id)?;
            let end = pos + b.len();
            // Tokens are a few bytes: an inlined comparison beats a call to memcmp per token.
            let seg = t.get(pos..end)?;
            if !seg.iter().zip(b).all(|(x, y)| x == y) {
                return None;
            }
            walk.token(
                text,
                crate::floor_char(text, pos),
                crate::ceil_char(text, end),
            );
            pos = end;
        }
    }
    (pos == t.len()).then_some(walk.per_word)
}

/// Tokens per word from an encoding's offsets (into its normalized text, whose words are cut anew,
/// when it has one), and whether the offsets allowed aligning at all.
fn align_encoded(
    enc: crate::Encoded,
    unit: WordUnit,
    text: &str,
    words: &[(usize, usize)],
) -> (Vec<u32>, Vec<u32>, bool) {
    let norm_words;
    let (wtext, words) = match &enc.normalized {
        Some(n) => {
            norm_words = unit.spans(n);
            (n.as_str(), norm_words.as_slice())
        }
        None => (text, words),
    };
    let mut walk = WordWalk::new(words);
    let aligned = enc.offsets.len() == enc.ids.len();
    if aligned {
        for &(s, e) in &enc.offsets {
            walk.token(wtext, s.min(wtext.len()), e.min(wtext.len()));
        }
    }
    (enc.ids, walk.per_word, aligned)
}

/// Whether byte `i` of `text` starts a whitespace character (`char::is_whitespace`).
#[inline]
fn is_space_byte_at(text: &str, i: usize) -> bool {
    match text.as_bytes()[i] {
        b if b < 0x80 => matches!(b, b'\t'..=b'\r' | b' '),
        // The lead bytes of every non-ASCII White_Space character (U+0085, U+00A0, U+1680,
        // U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000); others need no decoding.
        0xC2 | 0xE1 | 0xE2 | 0xE3 => {
            text.is_char_boundary(i) && text[i..].chars().next().is_some_and(char::is_whitespace)
        }
        _ => false,
    }
}

thread_local! {
    /// Per-id counters, reused across calls on the same thread and left all zero after each.
    static COUNTS: std::cell::RefCell<Vec<u32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The frequency of every distinct id of `ids` (in first-appearance order), counted in a per-thread
/// table of `vocab` counters that is zeroed again as the frequencies are read out: no allocation or
/// scan of the whole vocabulary per call.
fn token_frequencies(ids: &[u32], vocab: usize) -> Vec<u64> {
    COUNTS.with(|cell| {
        let mut counts = cell.borrow_mut();
        let need = ids
            .iter()
            .map(|&i| i as usize + 1)
            .max()
            .unwrap_or(0)
            .max(vocab);
        if counts.len() < need {
            counts.resize(need, 0);
        }
        for &id in ids {
            counts[id as usize] += 1;
        }
        let mut freqs = Vec::new();
        for &id in ids {
            let c = std::mem::take(&mut counts[id as usize]);
            if c > 0 {
                freqs.push(u64::from(c));
            }
        }
        freqs
    })
}

/// Rényi (order `alpha`) and Shannon efficiency of token frequencies, summed largest first so the
/// result does not depend on the order they come in.
fn efficiencies(freqs: &[u64], alpha: f64) -> (Option<f64>, Option<f64>) {
    let mut freqs = freqs.to_vec();
    freqs.sort_unstable_by(|a, b| b.cmp(a));
    (renyi_efficiency(&freqs, alpha), shannon_efficiency(&freqs))
}

/// Rényi efficiency of token frequencies: `log2(Σ p_i^α) / (1 − α) / log2 |V|` with `|V|` the number of
/// distinct tokens; α = 1 gives the Shannon efficiency. `None` for fewer than two distinct tokens.
pub fn renyi_efficiency(freqs: &[u64], alpha: f64) -> Option<f64> {
    if alpha == 1.0 {
        return shannon_efficiency(freqs);
    }
    let (total, v) = totals(freqs)?;
    let sum: f64 = freqs
        .iter()
        .filter(|&&f| f > 0)
        .map(|&f| (f as f64 / total).powf(alpha))
        .sum();
    Some(sum.log2() / (1.0 - alpha) / v.log2())
}

/// Shannon efficiency of token frequencies: `−Σ p log2 p / log2 |V|`. `None` for fewer than two distinct
/// tokens.
pub fn shannon_efficiency(freqs: &[u64]) -> Option<f64> {
    let (total, v) = totals(freqs)?;
    let h: f64 = freqs
        .iter()
        .filter(|&&f| f > 0)
        .map(|&f| {
            let p = f as f64 / total;
            -p * p.log2()
        })
        .sum();
    Some(h / v.log2())
}

fn totals(freqs: &[u64]) -> Option<(f64, f64)> {
    let v = freqs.iter().filter(|&&f| f > 0).count();
    let total: u64 = freqs.iter().sum();
    (v >= 2).then_some((total as f64, v as f64))
}

/// Cuts the words of a text in a unit (re-exported for callers that cache spans).
pub fn word_spans(unit: WordUnit, text: &str) -> Vec<(usize, usize)> {
    unit.spans(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn freqs(text: &str) -> Vec<u64> {
        let mut m = std::collections::HashMap::new();
        for w in text.split_whitespace() {
            *m.entry(w).or_insert(0u64) += 1;
        }
        m.into_values().collect()
    }

    /// tokenization-scorer's own test vectors (`tokenization_scorer/test.py`).
    #[test]
    fn space_bytes_match_char_is_whitespace() {
        // Every whitespace character, and every character next to it, on either side of a letter.
        let mut text = String::new();
        for c in (0..0x3100u32).filter_map(char::from_u32) {
            text.push(c);
            text.push('a');
        }
        for (i, c) in text.char_indices() {
            assert_eq!(
                is_space_byte_at(&text, i),
                c.is_whitespace(),
                "U+{:04X}",
                c as u32
            );
            for j in i + 1..i + c.len_utf8() {
                assert!(!is_space_byte_at(&text, j), "inside U+{:04X}", c as u32);
            }
        }
    }

    #[test]
    fn frequencies_leave_the_counters_zeroed() {
        let ids = [5u32, 1, 5, 9, 5, 1];
        let mut f = token_frequencies(&ids, 4);
        f.sort_unstable();
        assert_eq!(f, [1, 2, 3]);
        // The second call sees clean counters.
        let mut f = token_frequencies(&[9, 9], 4);
        f.sort_unstable();
        assert_eq!(f, [2]);
        assert_eq!(token_frequencies(&[], 4), Vec::<u64>::new());
    }

    #[test]
    fn tokenization_scorer_vectors() {
        let t1 = freqs("pick @@ed pick @@l @@ed pick @@les");
        let t2 = freqs("pick @@e @@d pick @@l @@e @@d pick @@l @@e @@s");
        let close = |a: f64, b: f64| assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        close(renyi_efficiency(&t1, 2.5).unwrap(), 0.8265064834225245);
        close(renyi_efficiency(&t2, 2.5).unwrap(), 0.9204840242168808);
        close(shannon_efficiency(&t1).unwrap(), 0.9211854965885544);
        close(shannon_efficiency(&t2).unwrap(), 0.9609557933859342);
        close(renyi_efficiency(&t1, 1.0).unwrap(), 0.9211854965885544);
        assert_eq!(renyi_efficiency(&[5], 2.5), None);
    }
}
