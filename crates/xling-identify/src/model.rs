//! xling's own language-identification model: a fastText-style linear classifier (Joulin et al. 2017,
//! "Bag of Tricks for Efficient Text Classification") over hashed character n-grams and words.
//!
//! A text becomes the mean of the embedding rows of its features (lower-cased words and the 1–4-grams of
//! `<word>` with boundary marks, hashed into `buckets` rows of `dim` floats); a softmax layer maps that
//! vector to the labels (FLORES-200 codes, so the script is part of the label). Training is plain SGD with
//! a linearly decaying learning rate, as fastText's `supervised` mode does, single-threaded and seeded so
//! that it is reproducible.
//!
//! **Script consistency.** At prediction time (not in training) the softmax runs only over the labels
//! whose writing system occurs in the text: a label's script is the one in its code (`xxx_Scrp`, or the
//! registry's script for the code), expanded to the Unicode Script values text in it consists of
//! ([`Script::unicode_scripts`]: `Hans`/`Hant` → Han, `Jpan` → Han, Hiragana, Katakana, `Kore` → Hangul,
//! Han), and a script occurs when at least one letter of the text (an alphabetic character) has that
//! Script property value ([`crate::letter_scripts`]). Characters of the Common, Inherited and Unknown
//! scripts (digits, punctuation, spaces, symbols, combining marks shared by scripts) count for no script.
//! Every label of a script that occurs stays a candidate, whatever its share of the letters, so a label
//! is only excluded when the text has not a single letter of its script; the probabilities are
//! renormalised over the candidates (the softmax of their scores alone). Han characters alone leave the
//! four Han-writing labels (Simplified and Traditional Chinese, Cantonese, Japanese) to the model. A text
//! without letters of any script, or only of scripts no label is written in, gets probability 0 for every
//! label (the identifier answers `und`). Without this, rare characters' n-grams fall on hashed rows
//! trained for other languages, and a single Han character could come out as Arabic. Labels whose script
//! is not known are never excluded.
//!
//! File format (little-endian): magic `XLID`, format version `u32`, `dim` `u32`, `buckets` `u32`, label
//! count `u32`, the labels as `u16` length + UTF-8, then the embeddings as one `f32` scale per row and
//! `dim` `i8` per row, then the output matrix as `f32` (labels × dim). The embedded copy is
//! zstd-compressed.

use xling_core::{Script, registry};

const MAGIC: &[u8; 4] = b"XLID";
const FORMAT_VERSION: u32 = 1;

/// Errors loading a model file.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// Not an xling LID model.
    #[error(
        "not an xling language-identification model (expected magic XLID, format version {FORMAT_VERSION})"
    )]
    Format,
    /// The file ends early.
    #[error("the model file is truncated")]
    Truncated,
    /// The compressed embedded model is corrupt.
    #[error("the embedded model is corrupt: {0}")]
    Compressed(String),
}

/// A trained classifier.
#[derive(Debug, Clone)]
pub struct LidModel {
    /// Label of each output row (FLORES-200 codes).
    pub labels: Vec<String>,
    dim: usize,
    buckets: usize,
    emb: Vec<f32>,
    out: Vec<f32>,
    /// Per label, the Unicode Script values its text consists of (empty: script unknown).
    label_scripts: Vec<Vec<Script>>,
}

/// The Unicode Script values text with each label consists of: from the registry's script of the code,
/// else the code's `_Scrp` suffix; empty where neither names a writing system.
fn label_scripts(labels: &[String]) -> Vec<Vec<Script>> {
    labels
        .iter()
        .map(|l| {
            registry()
                .get(l)
                .map(|lang| lang.script)
                .or_else(|| l.rsplit_once('_').and_then(|(_, s)| Script::parse(s)))
                .filter(|s| !s.is_neutral())
                .map(|s| s.unicode_scripts())
                .unwrap_or_default()
        })
        .collect()
}

/// Training settings.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Embedding size.
    pub dim: usize,
    /// log2 of the number of hashed feature rows.
    pub bits: u32,
    /// Passes over the data.
    pub epochs: usize,
    /// Initial learning rate (decays linearly to 0).
    pub learning_rate: f32,
    /// Seed of the initialisation and the shuffling.
    pub seed: u64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            dim: 32,
            bits: 17,
            epochs: 10,
            learning_rate: 0.5,
            seed: 7,
        }
    }
}

/// SplitMix64: small, seeded, reproducible.
pub(crate) struct Rng(pub u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn uniform(&mut self, scale: f32) -> f32 {
        ((self.next() >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * scale
    }
}

fn fnv(template: u8, bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ u64::from(template);
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    h
}

/// Hashed feature ids of a text (before reduction modulo the bucket count): each lower-cased word, and
/// the character 1- to 4-grams of the word wrapped in `<` `>` (the first 200 characters of a longer
/// word). At most 4,000 features per text, plus those of the word that reaches the limit: words after
/// it are not read, so the cost of a very long text is bounded by the words it needs.
///
/// Words are lower-cased one at a time, which equals lower-casing the whole text first: the only
/// context-dependent mapping (final sigma) looks at neighbouring letters, never across whitespace.
pub fn features(text: &str, out: &mut Vec<u64>) {
    out.clear();
    let mut chars: Vec<char> = Vec::with_capacity(64);
    let mut buf = [0u8; 16];
    for word in text.split_whitespace() {
        if out.len() >= 4000 {
            break;
        }
        let word = word.to_lowercase();
        out.push(fnv(0, word.as_bytes()));
        chars.clear();
        chars.push('<');
        chars.extend(word.chars().take(200));
        chars.push('>');
        for n in 1..=4usize {
            for w in chars.windows(n) {
                if n == 1 && (w[0] == '<' || w[0] == '>') {
                    continue;
                }
                let mut len = 0;
                for c in w {
                    len += c.encode_utf8(&mut buf[len..]).len();
                }
                out.push(fnv(n as u8, &buf[..len]));
            }
        }
    }
}

impl LidModel {
    fn new(labels: Vec<String>, dim: usize, bits: u32, rng: &mut Rng) -> Self {
        let buckets = 1usize << bits;
        // Embedding rows start at zero, so rows no feature reaches stay zero and the file compresses; the
        // output layer starts small and random to break the symmetry.
        let scale = 1.0 / dim as f32;
        let emb = vec![0.0; buckets * dim];
        let out = (0..labels.len() * dim)
            .map(|_| rng.uniform(scale))
            .collect();
        LidModel {
            label_scripts: label_scripts(&labels),
            labels,
            dim,
            buckets,
            emb,
            out,
        }
    }

    fn hidden(&self, feats: &[u64], h: &mut [f32]) {
        h.iter_mut().for_each(|x| *x = 0.0);
        if feats.is_empty() {
            return;
        }
        for f in feats {
            let row = (*f as usize & (self.buckets - 1)) * self.dim;
            for (x, e) in h.iter_mut().zip(&self.emb[row..row + self.dim]) {
                *x += e;
            }
        }
        let inv = 1.0 / feats.len() as f32;
        h.iter_mut().for_each(|x| *x *= inv);
    }

    fn softmax(&self, h: &[f32], probs: &mut [f32]) {
        self.softmax_over(h, probs, |_| true);
    }

    /// Softmax over the labels `allowed` accepts; the others get probability 0.
    fn softmax_over(&self, h: &[f32], probs: &mut [f32], allowed: impl Fn(usize) -> bool) {
        let mut max = f32::NEG_INFINITY;
        for (k, p) in probs.iter_mut().enumerate() {
            if !allowed(k) {
                *p = f32::NEG_INFINITY;
                continue;
            }
            *p = self.out[k * self.dim..(k + 1) * self.dim]
                .iter()
                .zip(h)
                .map(|(a, b)| a * b)
                .sum();
            max = max.max(*p);
        }
        if max == f32::NEG_INFINITY {
            probs.iter_mut().for_each(|p| *p = 0.0);
            return;
        }
        let mut sum = 0.0;
        for p in probs.iter_mut() {
            *p = (*p - max).exp();
            sum += *p;
        }
        probs.iter_mut().for_each(|p| *p /= sum);
    }

    /// Whether label `k` is written in one of `scripts` (or its script is unknown).
    fn label_allowed(&self, k: usize, scripts: &[Script]) -> bool {
        let own = &self.label_scripts[k];
        own.is_empty() || own.iter().any(|s| scripts.contains(s))
    }

    /// Label probabilities of a text, in label order, over the labels whose script occurs in the text
    /// (see the module documentation); the other labels get 0. A text without letters of any script,
    /// or only of scripts no label is written in, gives 0 for every label.
    pub fn probabilities(&self, text: &str) -> Vec<f32> {
        let scripts = crate::letter_scripts(text);
        let mut p = vec![0.0; self.labels.len()];
        if scripts.is_empty() {
            return p;
        }
        let mut feats = Vec::new();
        features(text, &mut feats);
        let mut h = vec![0.0; self.dim];
        self.hidden(&feats, &mut h);
        self.softmax_over(&h, &mut p, |k| self.label_allowed(k, &scripts));
        p
    }

    /// Label probabilities of a text over all labels, whatever its scripts (what the model learnt, as
    /// training sees it). Text without any word gives a uniform distribution.
    pub fn unrestricted_probabilities(&self, text: &str) -> Vec<f32> {
        let mut feats = Vec::new();
        features(text, &mut feats);
        let mut h = vec![0.0; self.dim];
        self.hidden(&feats, &mut h);
        let mut p = vec![0.0; self.labels.len()];
        self.softmax(&h, &mut p);
        p
    }

    /// The `k` most probable labels with their probabilities, best first; only labels with a
    /// probability above 0 (fewer than `k`, or none, when the text's scripts leave fewer).
    pub fn predict(&self, text: &str, k: usize) -> Vec<(&str, f32)> {
        crate::top_k_of(&self.probabilities(text), k)
            .into_iter()
            .filter(|(_, p)| *p > 0.0)
            .map(|(i, p)| (self.labels[i].as_str(), p))
            .collect()
    }

    /// Serializes the model, quantizing each embedding row to 8 bits with its own scale.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        for v in [
            FORMAT_VERSION,
            self.dim as u32,
            self.buckets as u32,
            self.labels.len() as u32,
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for l in &self.labels {
            out.extend_from_slice(&(l.len() as u16).to_le_bytes());
            out.extend_from_slice(l.as_bytes());
        }
        for row in self.emb.chunks(self.dim) {
            let max = row.iter().fold(0f32, |m, x| m.max(x.abs()));
            let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
            out.extend_from_slice(&scale.to_le_bytes());
            out.extend(
                row.iter()
                    .map(|x| ((x / scale).round().clamp(-127.0, 127.0) as i8) as u8),
            );
        }
        for x in &self.out {
            out.extend_from_slice(&x.to_le_bytes());
        }
        out
    }

    /// Reads a model written by [`LidModel::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ModelError> {
        let mut r = Reader { bytes, pos: 0 };
        if r.take(4)? != MAGIC || r.u32()? != FORMAT_VERSION {
            return Err(ModelError::Format);
        }
        let dim = r.u32()? as usize;
        let buckets = r.u32()? as usize;
        let n = r.u32()? as usize;
        if dim == 0 || dim > 1024 || !buckets.is_power_of_two() || n == 0 || n > 100_000 {
            return Err(ModelError::Format);
        }
        let mut labels = Vec::with_capacity(n);
        for _ in 0..n {
            let len = u16::from_le_bytes([r.byte()?, r.byte()?]) as usize;
            labels.push(String::from_utf8(r.take(len)?.to_vec()).map_err(|_| ModelError::Format)?);
        }
        let mut emb = Vec::with_capacity(buckets * dim);
        for _ in 0..buckets {
            let scale =
                f32::from_le_bytes(r.take(4)?.try_into().map_err(|_| ModelError::Truncated)?);
            emb.extend(r.take(dim)?.iter().map(|&b| f32::from(b as i8) * scale));
        }
        let out: Vec<f32> = r
            .take(n * dim * 4)?
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        if r.pos != bytes.len() {
            return Err(ModelError::Format);
        }
        Ok(LidModel {
            label_scripts: label_scripts(&labels),
            labels,
            dim,
            buckets,
            emb,
            out,
        })
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ModelError> {
        let s = self
            .bytes
            .get(self.pos..self.pos + n)
            .ok_or(ModelError::Truncated)?;
        self.pos += n;
        Ok(s)
    }
    fn byte(&mut self) -> Result<u8, ModelError> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, ModelError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// Trains a classifier on `(label index, text)` examples.
pub fn train(labels: Vec<String>, examples: &[(usize, String)], opts: &TrainOptions) -> LidModel {
    let mut rng = Rng(opts.seed);
    let mut model = LidModel::new(labels, opts.dim, opts.bits, &mut rng);
    let n_labels = model.labels.len();
    let dim = model.dim;
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let total = (examples.len() * opts.epochs).max(1) as f32;
    let mut step = 0usize;
    let mut feats = Vec::new();
    let mut h = vec![0.0f32; dim];
    let mut probs = vec![0.0f32; n_labels];
    let mut grad_h = vec![0.0f32; dim];
    for _ in 0..opts.epochs {
        for i in (1..order.len()).rev() {
            let j = (rng.next() % (i as u64 + 1)) as usize;
            order.swap(i, j);
        }
        for &e in &order {
            let (label, text) = &examples[e];
            let lr = opts.learning_rate * (1.0 - step as f32 / total);
            step += 1;
            features(text, &mut feats);
            if feats.is_empty() {
                continue;
            }
            model.hidden(&feats, &mut h);
            model.softmax(&h, &mut probs);
            grad_h.iter_mut().for_each(|g| *g = 0.0);
            for (k, (p, row)) in probs.iter().zip(model.out.chunks_mut(dim)).enumerate() {
                let g = p - if k == *label { 1.0 } else { 0.0 };
                if g.abs() < 1e-6 {
                    continue;
                }
                for ((gh, w), x) in grad_h.iter_mut().zip(row.iter_mut()).zip(&h) {
                    *gh += g * *w;
                    *w -= lr * g * x;
                }
            }
            let scale = lr / feats.len() as f32;
            for f in &feats {
                let row = (*f as usize & (model.buckets - 1)) * dim;
                for (x, g) in model.emb[row..row + dim].iter_mut().zip(&grad_h) {
                    *x -= scale * g;
                }
            }
        }
    }
    model
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> (Vec<String>, Vec<(usize, String)>) {
        let labels = vec![
            "eng_Latn".to_string(),
            "fra_Latn".to_string(),
            "rus_Cyrl".to_string(),
        ];
        let en = [
            "the cat sat on the mat",
            "where is the station",
            "i like green apples",
            "this is a good day",
        ];
        let fr = [
            "le chat est sur le tapis",
            "où est la gare",
            "j'aime les pommes vertes",
            "c'est une belle journée",
        ];
        let ru = [
            "кошка сидит на ковре",
            "где вокзал",
            "я люблю зелёные яблоки",
            "это хороший день",
        ];
        let mut ex = Vec::new();
        for _ in 0..20 {
            ex.extend(en.iter().map(|t| (0, t.to_string())));
            ex.extend(fr.iter().map(|t| (1, t.to_string())));
            ex.extend(ru.iter().map(|t| (2, t.to_string())));
        }
        (labels, ex)
    }

    #[test]
    fn learns_and_round_trips() {
        let (labels, ex) = toy();
        let opts = TrainOptions {
            dim: 8,
            bits: 12,
            epochs: 5,
            ..TrainOptions::default()
        };
        let m = train(labels, &ex, &opts);
        assert_eq!(m.predict("the apples are green", 1)[0].0, "eng_Latn");
        assert_eq!(m.predict("la gare est belle", 1)[0].0, "fra_Latn");
        assert_eq!(m.predict("зелёный день", 1)[0].0, "rus_Cyrl");
        let back = LidModel::from_bytes(&m.to_bytes()).unwrap();
        assert_eq!(back.predict("la gare est belle", 1)[0].0, "fra_Latn");
        let p: f32 = back.probabilities("le chat").iter().sum();
        assert!((p - 1.0).abs() < 1e-4);
    }

    #[test]
    fn rejects_foreign_and_truncated_files() {
        assert!(matches!(
            LidModel::from_bytes(b"PK\x03\x04 not a model"),
            Err(ModelError::Format)
        ));
        let (labels, ex) = toy();
        let m = train(
            labels,
            &ex[..10],
            &TrainOptions {
                dim: 4,
                bits: 8,
                epochs: 1,
                ..TrainOptions::default()
            },
        );
        let bytes = m.to_bytes();
        assert!(matches!(
            LidModel::from_bytes(&bytes[..bytes.len() - 3]),
            Err(ModelError::Truncated)
        ));
    }

    /// The features as first written: the whole text lower-cased, then split.
    fn features_of_lowered_text(text: &str) -> Vec<u64> {
        let mut out = Vec::new();
        let lower = text.to_lowercase();
        let mut buf = [0u8; 16];
        for word in lower.split_whitespace() {
            if out.len() >= 4000 {
                break;
            }
            out.push(fnv(0, word.as_bytes()));
            let mut chars = vec!['<'];
            chars.extend(word.chars().take(200));
            chars.push('>');
            for n in 1..=4usize {
                for w in chars.windows(n) {
                    if n == 1 && (w[0] == '<' || w[0] == '>') {
                        continue;
                    }
                    let mut len = 0;
                    for c in w {
                        len += c.encode_utf8(&mut buf[len..]).len();
                    }
                    out.push(fnv(n as u8, &buf[..len]));
                }
            }
        }
        out
    }

    #[test]
    fn lowercasing_word_by_word_equals_lowercasing_the_text() {
        let mut texts: Vec<String> = [
            "ΟΔΟΣ ΟΔΟΣ. ΣΑΣ Σ ΑΣ\u{301} Σ\u{301}Α",
            "İSTANBUL ıI Straße STRASSE ǅEMAL Ǆ",
            "A\u{85}B\u{2003}C\u{3000}D\u{a0}E\u{1680}F",
            "ΑΣ\u{200b} ΑΣ\u{ad}",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        texts.push("ΣΑΣ ".repeat(2000));
        let corpus = xling_core::Corpus::embedded_sample()
            .unwrap()
            .load()
            .unwrap();
        for s in &corpus.streams {
            texts.extend(s.segments.iter().take(3).map(|g| g.text.to_uppercase()));
        }
        let mut f = Vec::new();
        for t in &texts {
            features(t, &mut f);
            assert_eq!(f, features_of_lowered_text(t), "{t}");
        }
    }

    #[test]
    fn empty_text_has_no_features() {
        let mut f = Vec::new();
        features("   ", &mut f);
        assert!(f.is_empty());
        features("ab", &mut f);
        // word + 2 unigrams + 3 bigrams ("<a", "ab", "b>") + 2 trigrams + 1 four-gram
        assert_eq!(f.len(), 1 + 2 + 3 + 2 + 1);
    }
}
