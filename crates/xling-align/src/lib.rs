//! Cross-lingual alignment of a language model's hidden states: MEXA (Kargaran et al., 2025).
//!
//! What this crate owns:
//! - sentence embeddings from every hidden state of a local model (xling-model): the position-weighted
//!   mean (SGPT-style, weights `1..T`, MEXA's default) and the last token ([`extract`]);
//! - the MEXA alignment score: over `n` parallel sentences, the share whose pivot/target cosine is
//!   strictly the largest of its row **and** of its column in the `n × n` cosine matrix ([`mexa`]),
//!   for every layer, with mean or max pooling over layers ([`Pooling`]);
//! - NumPy `.npy` dumps of the embeddings ([`npy`]) so results can be checked or reused;
//! - validation against task scores ([`validate`]): Pearson and Spearman with bootstrap intervals
//!   between MEXA-estimated and actual per-language scores.
//!
//! The reference (cisnlp/Mexa) encodes one sentence at a time and compares pairs with scalar SciPy
//! cosine calls. Here sentences run in right-padded, length-sorted batches (padding cannot leak into
//! real positions under causal attention), and each layer's cosine matrix comes from unit vectors in one
//! pass. Cosines are computed in f64 from the f32 embeddings with SciPy's formula (`uv / sqrt(uu·vv)`,
//! distance clipped to `[0, 2]`), so the scores equal a NumPy/SciPy run on the dumped embeddings in
//! float64 (tested). The reference passes float32 arrays to SciPy, whose dot products then round to
//! float32; decisions can differ from it only where a margin is below float32 resolution.

pub mod npy;
pub mod validate;

use std::fmt;
use std::str::FromStr;

use xling_model::candle_core::IndexOp;
use xling_model::{Model, ModelError};

/// How a sentence embedding is made from one layer's token states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Embedding {
    /// Position-weighted mean, weight `t` for token `t = 1..T` (BOS included, weight 1).
    #[default]
    Weighted,
    /// The last token's state.
    Last,
}

impl Embedding {
    /// The name used on the command line and in signatures.
    pub fn name(self) -> &'static str {
        match self {
            Embedding::Weighted => "weighted",
            Embedding::Last => "last",
        }
    }
}

impl fmt::Display for Embedding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Embedding {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "weighted" | "mean" => Ok(Embedding::Weighted),
            "last" | "last-token" => Ok(Embedding::Last),
            _ => Err(format!(
                "unknown embedding {s:?}: expected weighted or last"
            )),
        }
    }
}

/// How per-layer scores become one score per language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pooling {
    /// Mean over all layers, the embedding layer included (MEXA's "ARC style").
    #[default]
    Mean,
    /// Maximum over layers (MEXA's "Belebele style").
    Max,
}

impl Pooling {
    /// The name used on the command line and in signatures.
    pub fn name(self) -> &'static str {
        match self {
            Pooling::Mean => "mean",
            Pooling::Max => "max",
        }
    }

    /// Pools per-layer scores.
    pub fn pool(self, per_layer: &[f64]) -> f64 {
        if per_layer.is_empty() {
            return f64::NAN;
        }
        match self {
            Pooling::Mean => per_layer.iter().sum::<f64>() / per_layer.len() as f64,
            Pooling::Max => per_layer.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    }
}

impl fmt::Display for Pooling {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Pooling {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "mean" => Ok(Pooling::Mean),
            "max" => Ok(Pooling::Max),
            _ => Err(format!("unknown pooling {s:?}: expected mean or max")),
        }
    }
}

/// Sentence embeddings of one language at every layer: `layers × sentences × dim`, row-major f32.
#[derive(Debug, Clone, PartialEq)]
pub struct Embeddings {
    /// Number of hidden states (model layers + 1).
    pub layers: usize,
    /// Number of sentences.
    pub sentences: usize,
    /// Width of one vector.
    pub dim: usize,
    /// The values.
    pub data: Vec<f32>,
}

impl Embeddings {
    /// All zeros.
    pub fn zeros(layers: usize, sentences: usize, dim: usize) -> Self {
        Embeddings {
            layers,
            sentences,
            dim,
            data: vec![0.0; layers * sentences * dim],
        }
    }

    /// One sentence's vector at one layer.
    pub fn vector(&self, layer: usize, sentence: usize) -> &[f32] {
        let at = (layer * self.sentences + sentence) * self.dim;
        &self.data[at..at + self.dim]
    }

    fn vector_mut(&mut self, layer: usize, sentence: usize) -> &mut [f32] {
        let at = (layer * self.sentences + sentence) * self.dim;
        &mut self.data[at..at + self.dim]
    }
}

/// Both embeddings of one language, from one pass over the model.
#[derive(Debug, Clone, PartialEq)]
pub struct SentenceStates {
    /// Position-weighted means.
    pub weighted: Embeddings,
    /// Last-token states.
    pub last: Embeddings,
    /// Tokens run through the model (BOS included).
    pub tokens: usize,
}

impl SentenceStates {
    /// The embeddings of one kind.
    pub fn get(&self, kind: Embedding) -> &Embeddings {
        match kind {
            Embedding::Weighted => &self.weighted,
            Embedding::Last => &self.last,
        }
    }
}

/// Extraction settings.
#[derive(Debug, Clone)]
pub struct ExtractOptions {
    /// Upper bound on `sequences × padded length` per forward pass.
    pub max_batch_tokens: usize,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        ExtractOptions {
            max_batch_tokens: 1024,
        }
    }
}

/// Runs every sentence through the model and pools each hidden state both ways.
///
/// Sentences are stripped of surrounding whitespace (as the reference does) and encoded with the
/// model's conventions (BOS first). `progress` is called with the number of sentences finished so far.
pub fn extract(
    model: &Model,
    sentences: &[&str],
    opts: &ExtractOptions,
    progress: &mut dyn FnMut(usize),
) -> Result<SentenceStates, ModelError> {
    let encoded: Vec<Vec<u32>> = sentences
        .iter()
        .map(|s| model.encode(s.trim()))
        .collect::<Result<_, _>>()?;
    let layers = model.info().n_layers + 1;
    let dim = model.info().hidden_size;
    let n = sentences.len();
    let mut weighted = Embeddings::zeros(layers, n, dim);
    let mut last = Embeddings::zeros(layers, n, dim);
    let tokens = encoded.iter().map(Vec::len).sum();

    // Longest first, so that each batch pads little and the first batch shows the peak memory.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(encoded[i].len()));
    let mut done = 0;
    let mut start = 0;
    while start < order.len() {
        let width = encoded[order[start]].len().max(1);
        let fit = (opts.max_batch_tokens / width).max(1);
        let chunk = &order[start..(start + fit).min(order.len())];
        let seqs: Vec<&[u32]> = chunk.iter().map(|&i| encoded[i].as_slice()).collect();
        let out = model.forward(&seqs, true)?;
        for (layer, h) in out.hidden.iter().enumerate() {
            for (b, &i) in chunk.iter().enumerate() {
                let t = encoded[i].len();
                let states: Vec<Vec<f32>> = h.i((b, ..t))?.to_vec2()?;
                let denom = (t * (t + 1) / 2) as f64;
                let w = weighted.vector_mut(layer, i);
                for (k, slot) in w.iter_mut().enumerate() {
                    let s: f64 = states
                        .iter()
                        .enumerate()
                        .map(|(p, row)| (p + 1) as f64 * f64::from(row[k]))
                        .sum();
                    *slot = (s / denom) as f32;
                }
                last.vector_mut(layer, i).copy_from_slice(&states[t - 1]);
            }
        }
        done += chunk.len();
        progress(done);
        start += chunk.len();
    }
    Ok(SentenceStates {
        weighted,
        last,
        tokens,
    })
}

/// SciPy's cosine similarity `1 - cosine(u, v)`: `uv / sqrt(uu·vv)` in f64, the distance clipped to
/// `[0, 2]`.
pub fn cosine(u: &[f32], v: &[f32]) -> f64 {
    let (mut uv, mut uu, mut vv) = (0f64, 0f64, 0f64);
    for (&a, &b) in u.iter().zip(v) {
        let (a, b) = (f64::from(a), f64::from(b));
        uv += a * b;
        uu += a * a;
        vv += b * b;
    }
    let dist = (1.0 - uv / (uu * vv).sqrt()).clamp(0.0, 2.0);
    1.0 - dist
}

/// MEXA at one layer: the share of the first `n = min(|pivot|, |target|)` sentences whose pivot/target
/// cosine is strictly greater than every other entry of its row and of its column.
pub fn mexa(pivot: &Embeddings, target: &Embeddings, layer: usize) -> f64 {
    let n = pivot.sentences.min(target.sentences);
    if n == 0 {
        return f64::NAN;
    }
    let mut c = vec![0f64; n * n];
    for i in 0..n {
        let p = pivot.vector(layer, i);
        for j in 0..n {
            c[i * n + j] = cosine(p, target.vector(layer, j));
        }
    }
    let hits = (0..n)
        .filter(|&i| {
            let d = c[i * n + i];
            (0..n).all(|j| j == i || (d > c[i * n + j] && d > c[j * n + i]))
        })
        .count();
    hits as f64 / n as f64
}

/// MEXA at every layer.
pub fn mexa_layers(pivot: &Embeddings, target: &Embeddings) -> Vec<f64> {
    (0..pivot.layers.min(target.layers))
        .map(|l| mexa(pivot, target, l))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emb(vectors: &[&[f32]]) -> Embeddings {
        Embeddings {
            layers: 1,
            sentences: vectors.len(),
            dim: vectors[0].len(),
            data: vectors.iter().flat_map(|v| v.iter().copied()).collect(),
        }
    }

    #[test]
    fn identical_sets_align_perfectly_and_shuffled_ones_do_not() {
        let p = emb(&[&[1.0, 0.0, 0.0], &[0.0, 1.0, 0.0], &[0.0, 0.0, 1.0]]);
        assert_eq!(mexa(&p, &p, 0), 1.0);
        let shuffled = emb(&[&[0.0, 1.0, 0.0], &[1.0, 0.0, 0.0], &[0.0, 0.0, 1.0]]);
        assert!((mexa(&p, &shuffled, 0) - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn ties_fail_and_the_column_counts_too() {
        // Row 0's diagonal ties with (0,1): a failure under the strict comparison.
        let p = emb(&[&[1.0, 0.0], &[0.0, 1.0]]);
        let t = emb(&[&[1.0, 1.0], &[1.0, 1.0]]);
        assert_eq!(mexa(&p, &t, 0), 0.0);
        // Each row's best is its diagonal, but column 1 is won by row 0: sentence 1 fails.
        let p = emb(&[&[1.0, 0.0], &[0.6, 0.8]]);
        let t = emb(&[&[1.0, 0.05], &[0.9, 0.436]]);
        let c01 = cosine(p.vector(0, 0), t.vector(0, 1));
        let c11 = cosine(p.vector(0, 1), t.vector(0, 1));
        let c10 = cosine(p.vector(0, 1), t.vector(0, 0));
        assert!(c11 > c10 && c01 > c11, "{c01} {c11} {c10}");
        assert_eq!(mexa(&p, &t, 0), 0.5);
    }

    #[test]
    fn pooling_and_names() {
        assert_eq!(Pooling::Mean.pool(&[0.0, 0.5, 1.0]), 0.5);
        assert_eq!(Pooling::Max.pool(&[0.0, 0.5, 1.0]), 1.0);
        assert!(Pooling::Mean.pool(&[]).is_nan());
        assert_eq!("last".parse::<Embedding>(), Ok(Embedding::Last));
        assert!(
            "cls"
                .parse::<Embedding>()
                .unwrap_err()
                .contains("weighted or last")
        );
        assert!("min".parse::<Pooling>().is_err());
    }
}
