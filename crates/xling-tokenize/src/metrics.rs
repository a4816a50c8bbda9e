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
    let classes = tk.classes();
    // Fast path: the ids and the tokens' bytes; the ids are counted and the tokens aligned to the
    // words without an offset per token (`Scratch::spelled`). When the tokens do not spell the text,
    // a normalizer changed it: they may spell the tokenizer's normalized text (NFC), whose words are
    // cut anew. Otherwise the adapter works out offsets from the same ids.
    let known = match tk.encode_ids(text)? {
        Some((ids, table)) => {
            let fast = with_scratch(|s| s.spelled(text, &ids, table, words, classes, params));
            if let Some(stats) = fast {
                return Ok(finish(stats, text));
            }
            if let Some(norm) = tk.normalized(text)? {
                let norm_words = unit.spans(&norm);
                let fast =
                    with_scratch(|s| s.spelled(&norm, &ids, table, &norm_words, classes, params));
                if let Some(stats) = fast {
                    return Ok(finish(stats, text));
                }
            }
            Some(ids)
        }
        None => None,
    };
    let enc = match known {
        Some(ids) => tk.encode_known(text, ids)?,
        None => tk.encode(text)?,
    };
    let (ids, per_word, aligned) = align_encoded(enc, unit, text, words);
    let mut stats = with_scratch(|s| s.counted(&ids, classes, params));
    stats.words = per_word.len();
    stats.continued = per_word.iter().filter(|&&n| n >= 2).count();
    stats.single = per_word.iter().filter(|&&n| n == 1).count();
    stats.aligned = aligned;
    Ok(finish(stats, text))
}

/// Adds the counts that depend on the input text only.
fn finish(mut stats: LangStats, text: &str) -> LangStats {
    stats.chars = text.chars().count();
    stats.bytes = text.len();
    stats
}

thread_local! {
    /// Per-thread buffers of [`lang_stats`], reused across calls.
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// Runs `f` on this thread's scratch buffers. `f` must not call out to a tokenizer (which might run
/// rayon work, and with it another `lang_stats`, on this thread).
fn with_scratch<T>(f: impl FnOnce(&mut Scratch) -> T) -> T {
    SCRATCH.with(|cell| f(&mut cell.borrow_mut()))
}

/// Buffers of the counting and aligning passes, left clean (counters all zero) after every call:
/// no allocation, and no scan of the whole vocabulary, per language.
#[derive(Default)]
struct Scratch {
    /// Per id: occurrences in the current text.
    counts: Vec<u32>,
    /// The distinct ids of the current text in first-appearance order (the first `n` entries of a
    /// pass; the rest is stale).
    distinct: Vec<u32>,
    /// Per token of the current text: its byte length, `u32::MAX` for ids without bytes.
    lens: Vec<u32>,
    /// Per token of the current text, for tables that are not exact: where its bytes start in
    /// [`crate::TokenBytes::data`].
    starts: Vec<u32>,
    /// Per frequency: how many distinct ids occur that often.
    hist: Vec<u32>,
}

impl Scratch {
    /// Counts `ids` (see [`Scratch::bump`]) and returns the number of distinct ids; with `table`,
    /// also gathers each token's byte length into `self.lens`. The lookups of one token do not
    /// depend on the previous token's, so the processor overlaps their cache misses.
    fn count(&mut self, ids: &[u32], vocab: usize, table: Option<&crate::TokenBytes>) -> usize {
        if self.counts.len() < vocab {
            self.counts.resize(vocab, 0);
        }
        if self.distinct.len() < ids.len() {
            self.distinct.resize(ids.len(), 0);
        }
        let mut n = 0;
        match table {
            Some(table) if !table.exact() => {
                // The bytes will be compared: gather where they are.
                self.lens.clear();
                self.lens.reserve(ids.len());
                self.starts.clear();
                self.starts.reserve(ids.len());
                for &id in ids {
                    let (start, len) = table.span(id).map_or((0, u32::MAX), |(s, l)| {
                        (s as u32, u32::try_from(l).unwrap_or(u32::MAX))
                    });
                    self.lens.push(len);
                    self.starts.push(start);
                    n += self.bump(id, n);
                }
            }
            Some(table) => {
                let lens = table.lens();
                self.lens.clear();
                self.lens.reserve(ids.len());
                for &id in ids {
                    let len = match lens.get(id as usize).copied() {
                        Some(l) if l < crate::TokenBytes::LONG => u32::from(l),
                        Some(crate::TokenBytes::LONG) => table
                            .byte_len(id)
                            .and_then(|l| u32::try_from(l).ok())
                            .unwrap_or(u32::MAX),
                        _ => u32::MAX,
                    };
                    self.lens.push(len);
                    n += self.bump(id, n);
                }
            }
            None => {
                for &id in ids {
                    n += self.bump(id, n);
                }
            }
        }
        n
    }

    /// Counts one occurrence of `id`; 1 when it is the first (recorded as distinct id `n`), else 0.
    #[inline]
    fn bump(&mut self, id: u32, n: usize) -> usize {
        let i = id as usize;
        if i >= self.counts.len() {
            self.counts.resize(i + 1, 0);
        }
        let c = &mut self.counts[i];
        let first = usize::from(*c == 0);
        *c += 1;
        // Written unconditionally and kept only when new: no branch to mispredict.
        self.distinct[n] = id;
        first
    }

    /// Reads out and zeroes the counters of the `n` distinct ids: the stats' token, unknown and
    /// byte-token counts and the efficiencies.
    fn read_out(
        &mut self,
        n: usize,
        tokens: usize,
        classes: &[TokenClass],
        params: &Params,
    ) -> LangStats {
        let mut stats = LangStats {
            tokens,
            ..LangStats::default()
        };
        let mut max = 0;
        for &id in &self.distinct[..n] {
            let c = std::mem::take(&mut self.counts[id as usize]) as usize;
            match classes.get(id as usize).copied().unwrap_or_default() {
                TokenClass::Unknown => stats.unknown += c,
                TokenClass::Byte => stats.byte_tokens += c,
                _ => {}
            }
            if self.hist.len() <= c {
                self.hist.resize(c + 1, 0);
            }
            self.hist[c] += 1;
            max = max.max(c);
        }
        // The frequencies, largest first, as runs of equal values.
        let mut runs: Vec<(u64, usize)> = Vec::new();
        for f in (1..=max).rev() {
            let m = std::mem::take(&mut self.hist[f]);
            if m > 0 {
                runs.push((f as u64, m as usize));
            }
        }
        (stats.renyi, stats.shannon) = efficiencies(&runs, tokens, params.alpha);
        stats
    }

    /// Stats of `ids` (no word alignment).
    fn counted(&mut self, ids: &[u32], classes: &[TokenClass], params: &Params) -> LangStats {
        let n = self.count(ids, classes.len(), None);
        self.read_out(n, ids.len(), classes, params)
    }

    /// Stats of `ids` aligned to `words` when the tokens' bytes spell `text` exactly (token spans
    /// widened to whole characters, as [`crate::Encoded::offsets`] are); `None` (counters clean) as
    /// soon as they do not. Three passes: the ids counted and their lengths gathered; the spelling
    /// checked (lengths add up; bytes equal for tables that are not exact); the tokens anchored to
    /// words, reading the text, the lengths and the words in order with nothing looked up per token.
    fn spelled(
        &mut self,
        text: &str,
        ids: &[u32],
        table: &crate::TokenBytes,
        words: &[(usize, usize)],
        classes: &[TokenClass],
        params: &Params,
    ) -> Option<LangStats> {
        let n = self.count(ids, classes.len(), Some(table));
        if !self.spells(text, table) {
            for &id in &self.distinct[..n] {
                self.counts[id as usize] = 0;
            }
            return None;
        }
        let mut stats = self.read_out(n, ids.len(), classes, params);
        let (continued, single) = self.anchor_words(text, words);
        stats.words = words.len();
        stats.continued = continued;
        stats.single = single;
        stats.aligned = true;
        Some(stats)
    }

    /// Whether the tokens spell `text`: their lengths (`self.lens`) add up to its length and, for
    /// tables that are not exact, their bytes (from `self.starts`) equal it.
    fn spells(&self, text: &str, table: &crate::TokenBytes) -> bool {
        let t = text.as_bytes();
        let mut pos = 0usize;
        if table.exact() {
            for &len in &self.lens {
                if len == u32::MAX {
                    return false;
                }
                pos += len as usize;
            }
            return pos == t.len();
        }
        let data = table.data();
        // Compared 16 bytes at a time under a mask, differences accumulated: no branch per token to
        // mispredict (tokens are a few bytes, and their bytes a cache miss away).
        let load = |b: &[u8], i: usize| {
            b.get(i..)
                .and_then(|r| r.first_chunk::<16>())
                .map(|c| u128::from_le_bytes(*c))
        };
        let mut differ = 0u128;
        for (&len, &start) in self.lens.iter().zip(&self.starts) {
            if len == u32::MAX {
                return false;
            }
            let (len, start) = (len as usize, start as usize);
            let end = pos + len;
            match (load(t, pos), load(data, start)) {
                (Some(a), Some(b)) if len <= 16 => {
                    let keep = u128::MAX.checked_shr(128 - 8 * len as u32).unwrap_or(0);
                    differ |= (a ^ b) & keep;
                }
                // Long tokens and the last bytes of the text: an ordinary comparison.
                _ => {
                    if t.get(pos..end) != data.get(start..start + len) {
                        return false;
                    }
                }
            }
            pos = end;
        }
        differ == 0 && pos == t.len()
    }

    /// Words split into two or more tokens, and words that are one token, of tokens that spell
    /// `text` with the lengths in `self.lens`. Each token is anchored at its first non-whitespace
    /// byte (see [`WordWalk`]); anchors never go back when the tokens spell the text, so one forward
    /// walk over the words counts each word's tokens as it passes.
    fn anchor_words(&self, text: &str, words: &[(usize, usize)]) -> (usize, usize) {
        let t = text.as_bytes();
        let (mut continued, mut single) = (0, 0);
        // The word anchors are looked for in, and how many it has so far; past the last word, a
        // word that begins and ends nowhere.
        let (mut w, mut here) = (0usize, 0u32);
        let word = |w: usize| words.get(w).copied().unwrap_or((usize::MAX, usize::MAX));
        let (mut ws, mut we) = word(0);
        let mut pos = 0usize;
        for &len in &self.lens {
            let end = pos + len as usize;
            // Most tokens start at a character that is not whitespace, or at an ASCII space and
            // then such a character: their anchor needs no search (see `plain_start`).
            let space = usize::from(t.get(pos) == Some(&b' '));
            let anchor = match t.get(pos + space) {
                Some(&c) if plain_start(c) && end > pos + space => pos + space,
                _ => {
                    let (s, e) = (crate::floor_char(text, pos), crate::ceil_char(text, end));
                    match (s..e).find(|&i| !is_space_byte_at(text, i)) {
                        Some(a) => a,
                        None => {
                            pos = end;
                            continue;
                        }
                    }
                }
            };
            pos = end;
            // Words ending before the anchor are done (usually none or one).
            while we <= anchor {
                continued += usize::from(here >= 2);
                single += usize::from(here == 1);
                here = 0;
                w += 1;
                (ws, we) = word(w);
            }
            here += u32::from(ws <= anchor);
        }
        if w < words.len() {
            continued += usize::from(here >= 2);
            single += usize::from(here == 1);
        }
        (continued, single)
    }
}

/// Rényi (order `alpha`) and Shannon efficiency of the token frequencies given as runs
/// `(frequency, how many ids)`, largest first, over `total` tokens: the same sums, term by term in
/// the same order, as [`renyi_efficiency`] and [`shannon_efficiency`] of the frequencies sorted
/// largest first — so the result does not depend on the order ids come in — with each distinct
/// frequency's power and logarithm computed once.
fn efficiencies(runs: &[(u64, usize)], total: usize, alpha: f64) -> (Option<f64>, Option<f64>) {
    let v: usize = runs.iter().map(|&(_, m)| m).sum();
    if v < 2 {
        return (None, None);
    }
    let (total, v) = (total as f64, v as f64);
    let sum = |term: &dyn Fn(f64) -> f64| -> f64 {
        runs.iter()
            .flat_map(|&(f, m)| std::iter::repeat_n(term(f as f64 / total), m))
            .sum()
    };
    let shannon = sum(&|p| -p * p.log2()) / v.log2();
    let renyi = if alpha == 1.0 {
        shannon
    } else {
        sum(&|p| p.powf(alpha)).log2() / (1.0 - alpha) / v.log2()
    };
    (Some(renyi), Some(shannon))
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

/// Whether a byte starts a character that is not whitespace (`char::is_whitespace`): not a UTF-8
/// continuation byte, and not a byte that may start a whitespace character
/// ([`crate::words::MAY_START_SPACE`]). At such a byte [`is_space_byte_at`] is false.
#[inline]
fn plain_start(c: u8) -> bool {
    (c as i8) >= -0x40 && !crate::words::MAY_START_SPACE[usize::from(c)]
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
    fn counting_leaves_the_scratch_clean() {
        let classes = [TokenClass::Normal; 4];
        let p = Params::default();
        let mut s = Scratch::default();
        // Ids beyond the vocabulary grow the counters.
        let st = s.counted(&[5, 1, 5, 9, 5, 1], &classes, &p);
        let want = sorted_efficiencies(&[3, 2, 1], p.alpha);
        assert_eq!((st.tokens, st.renyi, st.shannon), (6, want.0, want.1));
        assert!(s.counts.iter().chain(&s.hist).all(|&c| c == 0));
        // The next text sees clean counters.
        let st = s.counted(&[9, 9], &classes, &p);
        assert_eq!((st.tokens, st.renyi, st.shannon), (2, None, None));
        let st = s.counted(&[], &classes, &p);
        assert_eq!((st.tokens, st.renyi), (0, None));
        assert!(s.counts.iter().chain(&s.hist).all(|&c| c == 0));
    }

    /// The old definition: frequencies sorted largest first, then the public functions.
    fn sorted_efficiencies(freqs: &[u64], alpha: f64) -> (Option<f64>, Option<f64>) {
        let mut f = freqs.to_vec();
        f.sort_unstable_by(|a, b| b.cmp(a));
        (renyi_efficiency(&f, alpha), shannon_efficiency(&f))
    }

    #[test]
    fn runs_equal_sorted_frequencies_bit_for_bit() {
        // Pseudo-random Zipf-like frequencies with many ties.
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for alpha in [2.5, 1.0, 0.5, 3.0] {
            for n in [2usize, 3, 50, 4000] {
                let freqs: Vec<u64> = (0..n)
                    .map(|i| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        1 + (x % 1000) / (i as u64 + 1)
                    })
                    .collect();
                let mut runs: Vec<(u64, usize)> = Vec::new();
                let mut sorted = freqs.clone();
                sorted.sort_unstable_by(|a, b| b.cmp(a));
                for f in sorted {
                    match runs.last_mut() {
                        Some(r) if r.0 == f => r.1 += 1,
                        _ => runs.push((f, 1)),
                    }
                }
                let total = freqs.iter().sum::<u64>() as usize;
                let (r, s) = efficiencies(&runs, total, alpha);
                let (wr, ws) = sorted_efficiencies(&freqs, alpha);
                assert_eq!(r.map(f64::to_bits), wr.map(f64::to_bits), "{alpha} {n}");
                assert_eq!(s.map(f64::to_bits), ws.map(f64::to_bits), "{alpha} {n}");
            }
        }
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
