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
    let enc = tk.encode(text)?;
    // Offsets into the tokenizer's normalized text: cut that text's words instead.
    let norm_words;
    let (wtext, words) = match &enc.normalized {
        Some(n) => {
            norm_words = unit.spans(n);
            (n.as_str(), norm_words.as_slice())
        }
        None => (text, words),
    };
    let words_total = words.len();
    let classes = tk.classes();
    let mut per_word = vec![0u32; words.len()];
    let mut unknown = 0;
    let mut byte_tokens = 0;
    let bytes = wtext.as_bytes();
    let mut w = 0usize;
    let aligned = enc.offsets.len() == enc.ids.len();
    for (k, &id) in enc.ids.iter().enumerate() {
        match classes.get(id as usize).copied().unwrap_or_default() {
            TokenClass::Unknown => unknown += 1,
            TokenClass::Byte => byte_tokens += 1,
            _ => {}
        }
        let Some(&(s, e)) = enc.offsets.get(k).filter(|_| aligned) else {
            continue;
        };
        // The token's anchor: its first non-whitespace byte.
        let e = e.min(bytes.len());
        let Some(anchor) =
            (s..e).find(|&i| !bytes[i].is_ascii_whitespace() && !is_space_at(wtext, i))
        else {
            continue;
        };
        // Tokens come in text order: walk the words, searching only when a token goes back.
        if w > 0 && anchor < words[w - 1].1 {
            w = words.partition_point(|&(_, we)| we <= anchor);
        }
        while words.get(w).is_some_and(|&(_, we)| we <= anchor) {
            w += 1;
        }
        if let Some(&(ws, _)) = words.get(w) {
            if ws <= anchor {
                per_word[w] += 1;
            }
        }
    }
    let (renyi, shannon) = efficiencies(&token_frequencies(&enc.ids, classes.len()), params.alpha);
    Ok(LangStats {
        tokens: enc.ids.len(),
        chars: text.chars().count(),
        bytes: text.len(),
        words: words_total,
        continued: per_word.iter().filter(|&&n| n >= 2).count(),
        single: per_word.iter().filter(|&&n| n == 1).count(),
        unknown,
        byte_tokens,
        renyi,
        shannon,
        aligned,
    })
}

/// Whether a (non-ASCII) whitespace character starts at byte `i`.
fn is_space_at(text: &str, i: usize) -> bool {
    text.is_char_boundary(i) && text[i..].chars().next().is_some_and(char::is_whitespace)
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
