//! The punctuation-agnostic segmenter: a character-context model that predicts whether a sentence starts
//! at each candidate position, after the idea of "Where's the Point?" (WtP, Minixhofer et al. 2023):
//! learn boundaries from text whose sentence ends are known, with punctuation and casing randomly removed
//! so the model cannot rely on them.
//!
//! WtP trains a character-level transformer; xling trains a hashed-feature logistic regression, small
//! enough to train on this machine in seconds and to embed in the binary. Candidate positions are the
//! starts of words (after whitespace) and, in scripts written without spaces, every character. Features
//! are the characters and words around the position (hashed into 2^20 weights): the last one to three
//! non-space characters, the next one to three characters, the previous and next words, their
//! suffix/prefix, case and punctuation classes, and the character pair across the position.
//!
//! The model file is little-endian: magic `XLSG`, format version `u32`, buckets `u32`, threshold `f32`,
//! scale `f32`, then one `i8` per weight (weight = `i8 × scale`: 8-bit quantization changes a logit by
//! at most 0.5 × scale per feature); the embedded copy is zstd-compressed.

use std::collections::HashSet;

use icu_properties::CodePointMapData;
use icu_properties::props::{GeneralCategory, GeneralCategoryGroup};

use crate::eval::{self, GoldSet};

const MAGIC: &[u8; 4] = b"XLSG";
const FORMAT_VERSION: u32 = 2;
const HEADER: usize = 20;

/// Errors loading a model file.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// Not an xling segmentation model.
    #[error(
        "not an xling segmentation model (expected the magic bytes XLSG and format version {FORMAT_VERSION})"
    )]
    Format,
    /// The file is shorter than its header says.
    #[error("the model file is truncated: {got} bytes, {want} expected")]
    Truncated {
        /// Bytes present.
        got: usize,
        /// Bytes expected.
        want: usize,
    },
    /// The compressed embedded model could not be decompressed.
    #[error("the embedded model is corrupt: {0}")]
    Compressed(String),
}

/// A trained boundary model.
#[derive(Debug, Clone)]
pub struct BoundaryModel {
    weights: Vec<f32>,
    mask: u64,
    /// Probability above which a candidate position becomes a boundary.
    pub threshold: f32,
}

/// Training settings.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// log2 of the number of hashed weights.
    pub bits: u32,
    /// Passes over the data.
    pub epochs: usize,
    /// Probability that a block of sentences is lower-cased and stripped of punctuation.
    pub corrupt_prob: f64,
    /// Sentences per training block.
    pub block: usize,
    /// Adagrad learning rate.
    pub learning_rate: f32,
    /// Seed of the corruption and shuffling decisions.
    pub seed: u64,
    /// Share of blocks held out to choose the threshold.
    pub holdout: f64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            bits: 22,
            epochs: 3,
            corrupt_prob: 0.5,
            block: 8,
            learning_rate: 0.2,
            seed: 42,
            holdout: 0.05,
        }
    }
}

/// What training reports.
#[derive(Debug, Clone)]
pub struct TrainReport {
    /// Training blocks.
    pub blocks: usize,
    /// Candidate positions seen per epoch.
    pub positions: usize,
    /// Threshold chosen on the held-out blocks.
    pub threshold: f32,
    /// F1 on the held-out blocks at that threshold.
    pub holdout_f1: f64,
}

/// A small deterministic generator (SplitMix64) for corruption and shuffling.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Characters of scripts written without spaces between words.
fn unspaced(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF      // Thai, Lao
        | 0x0F00..=0x0FFF    // Tibetan
        | 0x1000..=0x109F    // Myanmar
        | 0x1780..=0x17FF    // Khmer
        | 0x3040..=0x30FF    // Hiragana, Katakana
        | 0x3400..=0x4DBF    // CJK Extension A
        | 0x4E00..=0x9FFF    // CJK
        | 0xF900..=0xFAFF
        | 0x3000..=0x303F    // CJK punctuation
        | 0xFF00..=0xFFEF    // full-width forms
        | 0x20000..=0x3134F)
}

/// Candidate boundary positions (character indices where a sentence could start) of a text.
fn candidates(cs: &[char]) -> Vec<usize> {
    (1..cs.len())
        .filter(|&p| {
            let (a, b) = (cs[p - 1], cs[p]);
            (a.is_whitespace() && !b.is_whitespace())
                || (!a.is_whitespace() && !b.is_whitespace() && (unspaced(a) || unspaced(b)))
        })
        .collect()
}

fn mix(mut h: u64, x: u64) -> u64 {
    h ^= x
        .wrapping_add(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(h << 6)
        .wrapping_add(h >> 2);
    h.wrapping_mul(0x0000_0100_0000_01B3)
}

fn hash_chars(template: u64, chars: impl Iterator<Item = char>) -> u64 {
    chars.fold(mix(0xcbf2_9ce4_8422_2325, template), |h, c| {
        mix(h, c as u64)
    })
}

fn class(c: Option<char>, punct: &dyn Fn(char) -> bool) -> u64 {
    match c {
        None => 0,
        Some(c) if c.is_uppercase() => 1,
        Some(c) if c.is_lowercase() => 2,
        Some(c) if c.is_numeric() => 3,
        Some(c) if punct(c) => 4,
        Some(c) if c.is_alphabetic() => 5,
        Some(_) => 6,
    }
}

/// The hashed feature ids of position `p`.
fn features(cs: &[char], p: usize, out: &mut Vec<u64>) {
    out.clear();
    let gc = CodePointMapData::<GeneralCategory>::new();
    let punct = |c: char| GeneralCategoryGroup::Punctuation.contains(gc.get(c));
    // Left context: skip the whitespace before p.
    let mut l = p;
    while l > 0 && cs[l - 1].is_whitespace() {
        l -= 1;
    }
    let spaced = l < p;
    let left = &cs[..l];
    let right = &cs[p..];
    let lw_start = left
        .iter()
        .rposition(|c| c.is_whitespace())
        .map_or(0, |i| i + 1);
    let lword = &left[lw_start..];
    let rword_end = right
        .iter()
        .position(|c| c.is_whitespace())
        .unwrap_or(right.len());
    let rword = &right[..rword_end];
    let lower = |s: &[char], n: usize| -> Vec<char> {
        s.iter().take(n).flat_map(|c| c.to_lowercase()).collect()
    };
    let last = |n: usize| left[left.len().saturating_sub(n)..].iter().copied();
    let first = |n: usize| right.iter().take(n).copied();
    out.push(1); // bias
    out.push(hash_chars(2 + u64::from(spaced), last(1)));
    out.push(hash_chars(4 + u64::from(spaced), last(2)));
    out.push(hash_chars(6, last(3)));
    out.push(hash_chars(7, first(1)));
    out.push(hash_chars(8, first(2)));
    out.push(hash_chars(9, first(3)));
    out.push(hash_chars(10 + u64::from(spaced), last(1).chain(first(1))));
    out.push(hash_chars(12, last(2).chain(first(2))));
    if !lword.is_empty() {
        let lw = lower(&lword[lword.len().saturating_sub(12)..], 12);
        out.push(hash_chars(13, lw.iter().copied()));
        out.push(hash_chars(
            14,
            lw[lw.len().saturating_sub(3)..].iter().copied(),
        ));
    }
    if !rword.is_empty() {
        let rw = lower(rword, 12);
        out.push(hash_chars(15, rw.iter().copied()));
        out.push(hash_chars(16, rw.iter().take(3).copied()));
    }
    // The words one further out on each side.
    let before = &left[..lw_start];
    let mut b_end = before.len();
    while b_end > 0 && before[b_end - 1].is_whitespace() {
        b_end -= 1;
    }
    let lw2_start = before[..b_end]
        .iter()
        .rposition(|c| c.is_whitespace())
        .map_or(0, |i| i + 1);
    if b_end > lw2_start {
        out.push(hash_chars(
            18,
            lower(&before[lw2_start..b_end], 12).into_iter(),
        ));
    }
    let after = &right[rword_end..];
    let a_start = after
        .iter()
        .position(|c| !c.is_whitespace())
        .unwrap_or(after.len());
    let a_end = after[a_start..]
        .iter()
        .position(|c| c.is_whitespace())
        .map_or(after.len(), |i| a_start + i);
    if a_end > a_start {
        out.push(hash_chars(
            19,
            lower(&after[a_start..a_end], 12).into_iter(),
        ));
    }
    if !lword.is_empty() && !rword.is_empty() {
        let pair = lower(&lword[lword.len().saturating_sub(6)..], 6)
            .into_iter()
            .chain(['|'])
            .chain(lower(rword, 6));
        out.push(hash_chars(20, pair));
    }
    let lc = class(left.last().copied(), &punct);
    let rc = class(right.first().copied(), &punct);
    out.push(mix(mix(17, lc), rc * 2 + u64::from(spaced)));
}

impl BoundaryModel {
    fn new(bits: u32) -> Self {
        BoundaryModel {
            weights: vec![0.0; 1 << bits],
            mask: (1u64 << bits) - 1,
            threshold: 0.5,
        }
    }

    fn score(&self, feats: &[u64]) -> f32 {
        let z: f32 = feats
            .iter()
            .map(|f| self.weights[(f & self.mask) as usize])
            .sum();
        1.0 / (1.0 + (-z).exp())
    }

    /// Boundary probabilities of every candidate position (character indices) of `text`.
    pub fn probabilities(&self, text: &str) -> Vec<(usize, f32)> {
        let cs: Vec<char> = text.chars().collect();
        let mut feats = Vec::with_capacity(24);
        candidates(&cs)
            .into_iter()
            .map(|p| {
                features(&cs, p, &mut feats);
                (p, self.score(&feats))
            })
            .collect()
    }

    /// The byte offsets at which segments end (as [`RuleSegmenter::boundaries`](crate::RuleSegmenter)),
    /// with boundaries where the probability exceeds `threshold` (the model's own when `None`). A newline
    /// is always a boundary.
    pub fn boundaries(&self, text: &str, threshold: Option<f32>) -> Vec<usize> {
        let t = threshold.unwrap_or(self.threshold);
        let mut out = Vec::new();
        // Segment line by line: the newline is a boundary of its own.
        let mut line_start = 0;
        for line in text.split_inclusive('\n') {
            let body = line.trim_end_matches('\n');
            let char_to_byte: Vec<usize> = body.char_indices().map(|(b, _)| b).collect();
            for (p, prob) in self.probabilities(body) {
                if prob > t {
                    out.push(line_start + char_to_byte[p]);
                }
            }
            line_start += line.len();
            if line.ends_with('\n') && line_start < text.len() {
                out.push(line_start);
            }
        }
        if !text.is_empty() {
            out.push(text.len());
        }
        out.dedup();
        out
    }

    /// Serializes the model (uncompressed), quantizing the weights to 8 bits.
    pub fn to_bytes(&self) -> Vec<u8> {
        let max = self.weights.iter().fold(0f32, |m, w| m.max(w.abs()));
        let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
        let mut out = Vec::with_capacity(HEADER + self.weights.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(self.weights.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.threshold.to_le_bytes());
        out.extend_from_slice(&scale.to_le_bytes());
        out.extend(
            self.weights
                .iter()
                .map(|w| ((w / scale).round().clamp(-127.0, 127.0) as i8) as u8),
        );
        out
    }

    /// Reads a model written by [`BoundaryModel::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ModelError> {
        let u32_at = |i: usize| {
            bytes
                .get(i..i + 4)
                .and_then(|b| b.try_into().ok())
                .map(u32::from_le_bytes)
        };
        if bytes.get(..4) != Some(MAGIC.as_slice()) || u32_at(4) != Some(FORMAT_VERSION) {
            return Err(ModelError::Format);
        }
        let n = u32_at(8).ok_or(ModelError::Format)? as usize;
        let threshold = f32::from_bits(u32_at(12).ok_or(ModelError::Format)?);
        let scale = f32::from_bits(u32_at(16).ok_or(ModelError::Format)?);
        if !n.is_power_of_two() || !threshold.is_finite() || !scale.is_finite() {
            return Err(ModelError::Format);
        }
        let want = HEADER + n;
        if bytes.len() != want {
            return Err(ModelError::Truncated {
                got: bytes.len(),
                want,
            });
        }
        let weights = bytes[HEADER..]
            .iter()
            .map(|&b| f32::from(b as i8) * scale)
            .collect();
        Ok(BoundaryModel {
            weights,
            mask: n as u64 - 1,
            threshold,
        })
    }
}

/// One training example block: the joined text and its gold positions (characters).
struct Block {
    chars: Vec<char>,
    gold: HashSet<usize>,
    corrupted: bool,
}

fn make_blocks(data: &[GoldSet], opts: &TrainOptions, rng: &mut Rng) -> Vec<Block> {
    let mut blocks = Vec::new();
    for set in data {
        let sep = eval::separator(set.lang);
        for chunk in set.sentences.chunks(opts.block.max(1)) {
            let corrupt = rng.unit() < opts.corrupt_prob;
            let sentences: Vec<String> = chunk
                .iter()
                .map(|s| {
                    if corrupt {
                        eval::preprocess(&eval::corrupt(&eval::preprocess(s)))
                    } else {
                        eval::preprocess(s)
                    }
                })
                .filter(|s| !s.is_empty())
                .collect();
            if sentences.len() < 2 {
                continue;
            }
            let (text, gold) = eval::gold_text(&sentences, sep);
            let chars: Vec<char> = text.chars().collect();
            let n = chars.len();
            // The end of the text is not a candidate (it is always a boundary).
            blocks.push(Block {
                chars,
                gold: gold.into_iter().filter(|&g| g < n).collect(),
                corrupted: corrupt,
            });
        }
    }
    blocks
}

/// Trains a model on gold sentence sets (consecutive sentences of running text).
pub fn train(data: &[GoldSet], opts: &TrainOptions) -> (BoundaryModel, TrainReport) {
    let mut rng = Rng(opts.seed);
    let mut blocks = make_blocks(data, opts, &mut rng);
    // Shuffle (Fisher–Yates) so languages interleave, then hold out a share for the threshold.
    for i in (1..blocks.len()).rev() {
        let j = (rng.next() % (i as u64 + 1)) as usize;
        blocks.swap(i, j);
    }
    let held = ((blocks.len() as f64) * opts.holdout).round() as usize;
    let (holdout, train_blocks) = blocks.split_at(held.min(blocks.len()));
    let mut model = BoundaryModel::new(opts.bits);
    let mut g2 = vec![1e-6f32; model.weights.len()];
    let mut feats = Vec::with_capacity(24);
    let mut positions = 0;
    for _ in 0..opts.epochs {
        positions = 0;
        for b in train_blocks {
            for p in candidates(&b.chars) {
                features(&b.chars, p, &mut feats);
                let y = if b.gold.contains(&p) { 1.0 } else { 0.0 };
                let g = model.score(&feats) - y;
                for f in &feats {
                    let i = (f & model.mask) as usize;
                    g2[i] += g * g;
                    model.weights[i] -= opts.learning_rate * g / g2[i].sqrt();
                }
                positions += 1;
            }
        }
    }
    // Threshold: the best F1 over a grid on the held-out blocks without punctuation (with punctuation,
    // `auto` mode uses the rules), or on all held-out blocks when none is corrupted.
    let mut scored: Vec<(f32, bool)> = Vec::new();
    let mut gold_total = 0;
    let any_corrupted = holdout.iter().any(|b| b.corrupted);
    for b in holdout.iter().filter(|b| b.corrupted || !any_corrupted) {
        gold_total += b.gold.len();
        for p in candidates(&b.chars) {
            features(&b.chars, p, &mut feats);
            scored.push((model.score(&feats), b.gold.contains(&p)));
        }
    }
    let (mut best_t, mut best_f1) = (0.5f32, 0.0f64);
    for k in 1..100 {
        let t = k as f32 / 100.0;
        let tp = scored.iter().filter(|(s, y)| *s > t && *y).count();
        let fp = scored.iter().filter(|(s, y)| *s > t && !*y).count();
        let f1 = if gold_total == 0 {
            0.0
        } else {
            2.0 * tp as f64 / (2 * tp + fp + (gold_total - tp)) as f64
        };
        if f1 > best_f1 {
            (best_t, best_f1) = (t, f1);
        }
    }
    model.threshold = best_t;
    let report = TrainReport {
        blocks: train_blocks.len(),
        positions,
        threshold: best_t,
        holdout_f1: best_f1,
    };
    (model, report)
}

/// The model embedded in the binary (trained by `scripts/train-segmenter` on the FLORES-200 dev subset
/// and NTREX-128, never on the UD-PUD evaluation data), decoded once.
pub fn embedded() -> Result<&'static BoundaryModel, ModelError> {
    static MODEL: std::sync::OnceLock<Result<BoundaryModel, String>> = std::sync::OnceLock::new();
    static BYTES: &[u8] = include_bytes!("../data/segmenter.bin.zst");
    MODEL
        .get_or_init(|| {
            let raw = zstd::decode_all(BYTES).map_err(|e| e.to_string())?;
            BoundaryModel::from_bytes(&raw).map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| ModelError::Compressed(e.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use xling_core::registry;

    fn toy() -> Vec<GoldSet> {
        let sentences: Vec<String> = (0..400)
            .map(|i| format!("The cat number {i} sat on the mat. "))
            .map(|s| s.trim().trim_end_matches('.').to_string() + ".")
            .collect();
        vec![GoldSet {
            key: "eng_Latn".into(),
            lang: registry().get("eng_Latn"),
            source: "toy".into(),
            sentences,
        }]
    }

    #[test]
    fn learns_a_boundary_without_punctuation() {
        let opts = TrainOptions {
            bits: 16,
            epochs: 2,
            corrupt_prob: 1.0,
            ..TrainOptions::default()
        };
        let (model, report) = train(&toy(), &opts);
        assert!(report.holdout_f1 > 0.9, "{report:?}");
        let text = "the cat number 1 sat on the mat the cat number 2 sat on the mat";
        let b = model.boundaries(text, None);
        assert_eq!(b, vec![text.find("the cat number 2").unwrap(), text.len()]);
    }

    #[test]
    fn round_trips_and_rejects_garbage() {
        let opts = TrainOptions {
            bits: 10,
            epochs: 1,
            ..TrainOptions::default()
        };
        let (model, _) = train(&toy(), &opts);
        let bytes = model.to_bytes();
        let back = BoundaryModel::from_bytes(&bytes).unwrap();
        let max = model.weights.iter().fold(0f32, |m, w| m.max(w.abs()));
        assert!(
            back.weights
                .iter()
                .zip(&model.weights)
                .all(|(a, b)| (a - b).abs() <= max / 254.0 + 1e-6)
        );
        assert_eq!(back.threshold, model.threshold);
        assert!(matches!(
            BoundaryModel::from_bytes(b"nope"),
            Err(ModelError::Format)
        ));
        assert!(matches!(
            BoundaryModel::from_bytes(&bytes[..100]),
            Err(ModelError::Truncated { .. })
        ));
    }

    #[test]
    fn embedded_model_loads_and_splits_unpunctuated_text() {
        let m = embedded().unwrap();
        assert!(m.threshold > 0.0 && m.threshold < 1.0);
        let text = "the president said on monday that the talks had failed he will travel to paris next week to meet the prime minister";
        let b = m.boundaries(text, None);
        assert_eq!(b.last(), Some(&text.len()));
    }

    #[test]
    fn unspaced_scripts_have_a_candidate_per_character() {
        let cs: Vec<char> = "我爱北京 hello world".chars().collect();
        assert_eq!(candidates(&cs), vec![1, 2, 3, 5, 11]);
    }
}
