//! A fastText model's dictionary (words, then labels) and the features of a line of text: the ids
//! of its known words, the hashed character n-grams of every word wrapped in `<` `>`, and hashed word
//! n-grams, exactly as the `fasttext` package computes them for `predict`.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::read::Reader;
use super::{Args, FastTextError};

/// The token fastText appends at the end of a line.
pub(crate) const EOS: &[u8] = b"</s>";
/// The prefix that marks a label token.
pub(crate) const LABEL_PREFIX: &[u8] = b"__label__";

/// 32-bit FNV-1a over the bytes, each byte sign-extended first (fastText hashes `char`s, which are
/// signed on the platforms its models come from).
#[inline]
pub(crate) fn hash(bytes: &[u8]) -> u32 {
    let mut h: u32 = 2_166_136_261;
    for &b in bytes {
        h ^= b as i8 as i32 as u32;
        h = h.wrapping_mul(16_777_619);
    }
    h
}

/// Hasher for `i32` keys that are already hashes.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_i32(&mut self, i: i32) {
        self.0 = u64::from(i as u32).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) word: Vec<u8>,
    pub(crate) count: i64,
    pub(crate) is_label: bool,
}

/// Words and labels of a model, with the pruned n-gram index of quantized models.
#[derive(Debug, Clone)]
pub(crate) struct Dictionary {
    pub(crate) entries: Vec<Entry>,
    pub(crate) nwords: usize,
    pub(crate) nlabels: usize,
    /// −1: no pruning; 0: no n-gram kept; > 0: `pruneidx` maps kept n-gram ids to their new rows.
    prune_size: i64,
    pruneidx: HashMap<i32, i32, BuildHasherDefault<IdHasher>>,
    /// Open-addressing table from a word's hash to its entry (−1 = empty), a power of two long.
    table: Vec<i32>,
    minn: usize,
    maxn: usize,
    bucket: u32,
    word_ngrams: usize,
}

impl Dictionary {
    pub(crate) fn load(r: &mut Reader<'_>, args: &Args) -> Result<Self, FastTextError> {
        const WHAT: &str = "the dictionary";
        let size = r.i32(WHAT)?;
        let nwords = r.i32(WHAT)?;
        let nlabels = r.i32(WHAT)?;
        let _ntokens = r.i64(WHAT)?;
        let prune_size = r.i64(WHAT)?;
        if size < 0
            || nwords < 0
            || nlabels < 0
            || i64::from(nwords) + i64::from(nlabels) != i64::from(size)
        {
            return Err(FastTextError::Invalid(format!(
                "the dictionary has {size} entries for {nwords} words and {nlabels} labels"
            )));
        }
        let (size, nwords, nlabels) = (size as usize, nwords as usize, nlabels as usize);
        // Each entry takes at least 10 bytes (NUL, count, type): do not trust `size` beyond the file.
        let mut entries = Vec::with_capacity(size.min(r.remaining() / 10));
        for i in 0..size {
            let word = r.cstr("a dictionary entry")?.to_vec();
            let count = r.i64("a dictionary entry")?;
            let kind = r.u8("a dictionary entry")?;
            let is_label = match kind {
                0 => false,
                1 => true,
                k => {
                    return Err(FastTextError::Invalid(format!(
                        "dictionary entry {i} has type {k}, expected 0 (word) or 1 (label)"
                    )));
                }
            };
            if is_label != (i >= nwords) {
                return Err(FastTextError::Invalid(format!(
                    "dictionary entry {i} is a {}, but words come first ({nwords}) and labels after",
                    if is_label { "label" } else { "word" }
                )));
            }
            entries.push(Entry {
                word,
                count,
                is_label,
            });
        }
        let mut pruneidx = HashMap::default();
        if prune_size > 0 {
            if prune_size > (r.remaining() / 8) as i64 {
                return Err(FastTextError::Truncated {
                    what: "the pruned n-gram index",
                    offset: 0,
                    need: (prune_size as usize).saturating_mul(8),
                    have: r.remaining(),
                });
            }
            for _ in 0..prune_size {
                let from = r.i32("the pruned n-gram index")?;
                let to = r.i32("the pruned n-gram index")?;
                if to < 0 {
                    return Err(FastTextError::Invalid(format!(
                        "the pruned n-gram index maps n-gram {from} to row {to}"
                    )));
                }
                pruneidx.insert(from, to);
            }
        }
        let cap = (size * 2).max(2).next_power_of_two();
        let mut d = Dictionary {
            entries,
            nwords,
            nlabels,
            prune_size,
            pruneidx,
            table: vec![-1; cap],
            minn: args.minn.max(0) as usize,
            maxn: args.maxn.max(0) as usize,
            bucket: args.bucket.max(0) as u32,
            word_ngrams: args.word_ngrams.max(1) as usize,
        };
        for i in 0..size {
            let h = hash(&d.entries[i].word);
            let slot = d.slot(&d.entries[i].word, h);
            d.table[slot] = i as i32;
        }
        Ok(d)
    }

    #[inline]
    fn slot(&self, word: &[u8], h: u32) -> usize {
        let mask = self.table.len() - 1;
        let mut s = h as usize & mask;
        loop {
            let id = self.table[s];
            if id < 0 || self.entries[id as usize].word == word {
                return s;
            }
            s = (s + 1) & mask;
        }
    }

    /// Entry id of a word, or −1.
    #[inline]
    fn id(&self, word: &[u8], h: u32) -> i32 {
        self.table[self.slot(word, h)]
    }

    /// The largest input-matrix row a feature can have, plus one.
    pub(crate) fn rows_needed(&self) -> usize {
        let ngrams = if self.prune_size > 0 {
            self.pruneidx
                .values()
                .map(|&v| v as usize + 1)
                .max()
                .unwrap_or(0)
        } else if self.prune_size == 0 || (self.maxn == 0 && self.word_ngrams <= 1) {
            0
        } else {
            self.bucket as usize
        };
        self.nwords + ngrams
    }

    /// Label counts, in label order (the hierarchical softmax tree is built from them).
    pub(crate) fn label_counts(&self) -> Vec<i64> {
        self.entries[self.nwords..]
            .iter()
            .map(|e| e.count)
            .collect()
    }

    #[inline]
    fn push_hash(&self, out: &mut impl FnMut(i32), id: i32) {
        if self.prune_size == 0 || id < 0 {
            return;
        }
        let id = if self.prune_size > 0 {
            match self.pruneidx.get(&id) {
                Some(&to) => to,
                None => return,
            }
        } else {
            id
        };
        out(self.nwords as i32 + id);
    }

    /// Hashed character n-grams (`minn`..=`maxn` characters, not the lone `<` or `>`) of a word
    /// already wrapped in `<` `>`.
    fn subwords(&self, word: &[u8], out: &mut impl FnMut(i32)) {
        if self.maxn == 0 || self.bucket == 0 {
            return;
        }
        let len = word.len();
        for i in 0..len {
            if word[i] & 0xC0 == 0x80 {
                continue;
            }
            let mut h: u32 = 2_166_136_261;
            let mut j = i;
            let mut n = 1;
            while j < len && n <= self.maxn {
                // One character: its lead byte and continuation bytes.
                loop {
                    h ^= word[j] as i8 as i32 as u32;
                    h = h.wrapping_mul(16_777_619);
                    j += 1;
                    if j >= len || word[j] & 0xC0 != 0x80 {
                        break;
                    }
                }
                if n >= self.minn && !(n == 1 && (i == 0 || j == len)) {
                    self.push_hash(out, (h % self.bucket) as i32);
                }
                n += 1;
            }
        }
    }

    /// The feature rows of one line of text (what fastText's `predict` sees after the Python
    /// package appends `\n`): tokens split at ASCII space, tab, LF, VT, FF, CR and NUL, up to the
    /// first newline, then the end-of-sentence token. Each row goes to `out` in fastText's order, as it
    /// is found, so that a long line needs no list of its features (only one hash per token, for the
    /// word n-grams).
    pub(crate) fn line_features(
        &self,
        text: &str,
        scratch: &mut Scratch,
        mut out: impl FnMut(i32),
    ) {
        let out = &mut out;
        let hashes = &mut scratch.hashes;
        hashes.clear();
        let bytes = text.as_bytes();
        let line = match bytes.iter().position(|&b| b == b'\n') {
            Some(p) => &bytes[..p],
            None => bytes,
        };
        let is_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r' | 0);
        let tokens = line
            .split(is_space)
            .filter(|t| !t.is_empty())
            .chain(std::iter::once(EOS));
        for token in tokens {
            let h = hash(token);
            let wid = self.id(token, h);
            let is_label = if wid < 0 {
                token.starts_with(LABEL_PREFIX)
            } else {
                self.entries[wid as usize].is_label
            };
            if !is_label {
                if wid >= 0 {
                    out(wid);
                }
                if token != EOS && (wid < 0 || self.maxn > 0) {
                    let w = &mut scratch.word;
                    w.clear();
                    w.reserve(token.len() + 2);
                    w.push(b'<');
                    w.extend_from_slice(token);
                    w.push(b'>');
                    self.subwords(w, out);
                }
                hashes.push(h as i32);
            }
            if token == EOS {
                break;
            }
        }
        self.word_ngrams(out, hashes);
    }

    fn word_ngrams(&self, out: &mut impl FnMut(i32), hashes: &[i32]) {
        if self.word_ngrams <= 1 || self.bucket == 0 {
            return;
        }
        let bucket = u64::from(self.bucket);
        for i in 0..hashes.len() {
            let mut h = hashes[i] as i64 as u64;
            for &hj in hashes
                .iter()
                .take((i + self.word_ngrams).min(hashes.len()))
                .skip(i + 1)
            {
                h = h.wrapping_mul(116_049_371).wrapping_add(hj as i64 as u64);
                self.push_hash(out, (h % bucket) as i32);
            }
        }
    }
}

/// Reusable buffers for [`Dictionary::line_features`].
#[derive(Default)]
pub(crate) struct Scratch {
    hashes: Vec<i32>,
    word: Vec<u8>,
}
