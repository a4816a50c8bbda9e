//! # xling-identify
//!
//! Language identification for the 204 FLORES-200 languages. This crate owns:
//!
//! - [`model`]: xling's own fastText-style classifier over hashed character n-grams, its trainer
//!   (`xling identify train`) and its file format;
//! - [`fasttext`]: pure-Rust inference for supervised fastText `.bin`/`.ftz` models (lid.176, GlotLID,
//!   OpenLID), equal to the `fasttext` Python package's predictions;
//! - [`Classifier`]: what the identifier needs from a model, implemented by both; [`load_model`]
//!   reads either kind of file;
//! - [`Identifier`]: the embedded model plus a script short-circuit (a script only one FLORES-200
//!   language uses decides alone) and a confidence threshold below which the answer is `und`; text
//!   without a letter of any script ([`letter_scripts`] empty: blank, digits, punctuation, symbols,
//!   control characters, NULs) is `und` whatever the model. The built-in model also only considers the
//!   labels whose script occurs in the text (see [`model`]);
//! - [`mixing`]: code-switching spans and mixing statistics (CMI, switch-point fraction, M-index);
//! - [`fidelity`]: how often texts are in the language they were expected in (a model answering in
//!   English when asked in Swahili);
//! - [`training_examples`]: labelled text from corpora, restricted to the model's labels;
//! - [`evaluate`]: per-language precision, recall, F1 and false-positive rate (GlotLID's metrics), macro
//!   averages and the most frequent confusions, as a [`LangTable`].

pub mod fasttext;
pub mod mixing;
pub mod model;

use std::collections::{BTreeMap, HashMap};

use xling_core::corpus::{LoadedCorpus, LoadedStream};
use xling_core::signature::DataHasher;
use xling_core::table::{Better, Cell, Column, ColumnKind, LangTable, Row, TableError};
use xling_core::{Script, Signature, registry};

pub use fasttext::{FastText, FastTextError};
pub use model::{LidModel, ModelError};

/// A language classifier: labels and, for a text, their probabilities.
pub trait Classifier: std::fmt::Debug + Send + Sync {
    /// Label of each output (xling language codes where known).
    fn labels(&self) -> &[String];
    /// The `k` best labels of a text as `(label index, probability)`, best first. May give fewer
    /// than `k` (or none) when the model finds nothing.
    fn top_k(&self, text: &str, k: usize) -> Vec<(usize, f32)>;
    /// The probability of every label, in label order.
    fn probabilities(&self, text: &str) -> Vec<f32>;
    /// Whether the identifier may answer alone for text in a script only one label uses. xling's own
    /// model was built for it; an external model's answers are given as the model gives them.
    fn script_shortcut(&self) -> bool {
        true
    }
}

impl Classifier for LidModel {
    fn labels(&self) -> &[String] {
        &self.labels
    }
    fn top_k(&self, text: &str, k: usize) -> Vec<(usize, f32)> {
        // Labels of scripts absent from the text have probability 0: never among the answers.
        let mut top = top_k_of(&LidModel::probabilities(self, text), k);
        top.retain(|(_, p)| *p > 0.0);
        top
    }
    fn probabilities(&self, text: &str) -> Vec<f32> {
        LidModel::probabilities(self, text)
    }
}

/// The scripts of a text's letters, each once, in order of first appearance: the Unicode Script
/// property values of its alphabetic characters, leaving out Common (`Zyyy`), Inherited (`Zinh`) and
/// Unknown (`Zzzz`), which belong to no one writing system. Empty when the text has no letter of any
/// script (blank, digits, punctuation, symbols, emoji, control characters, NULs).
pub fn letter_scripts(text: &str) -> Vec<Script> {
    let mut found: Vec<Script> = Vec::new();
    let mut last: Option<Script> = None;
    for c in text.chars() {
        let s = if c.is_ascii() {
            if !c.is_ascii_alphabetic() {
                continue;
            }
            Script::LATIN
        } else {
            if !c.is_alphabetic() {
                continue;
            }
            let s = Script::of_char(c);
            if s.is_neutral() {
                continue;
            }
            s
        };
        if last != Some(s) {
            last = Some(s);
            if !found.contains(&s) {
                found.push(s);
            }
        }
    }
    found
}

/// Whether a text has at least one letter of some script (see [`letter_scripts`]); stops at the first.
pub fn has_letters(text: &str) -> bool {
    text.chars().any(|c| {
        if c.is_ascii() {
            c.is_ascii_alphabetic()
        } else {
            c.is_alphabetic() && !Script::of_char(c).is_neutral()
        }
    })
}

/// The `k` largest probabilities with their indices, best first; equal probabilities in index order
/// (what a stable sort of all of them would give, without sorting them all).
fn top_k_of(p: &[f32], k: usize) -> Vec<(usize, f32)> {
    let mut best: Vec<(usize, f32)> = Vec::with_capacity(k + 1);
    for (i, &v) in p.iter().enumerate() {
        if best.len() == k && best.last().is_none_or(|l| v.total_cmp(&l.1).is_le()) {
            continue;
        }
        let at = best.partition_point(|b| b.1.total_cmp(&v).is_ge());
        best.insert(at, (i, v));
        best.truncate(k);
    }
    best
}

impl Classifier for FastText {
    fn labels(&self) -> &[String] {
        FastText::labels(self)
    }
    fn top_k(&self, text: &str, k: usize) -> Vec<(usize, f32)> {
        self.predict(text, k)
    }
    fn probabilities(&self, text: &str) -> Vec<f32> {
        FastText::probabilities(self, text)
    }
    fn script_shortcut(&self) -> bool {
        false
    }
}

/// A model read from a file: xling's own format or a fastText one.
#[derive(Debug, Clone)]
pub enum Model {
    /// A model from `xling identify train`.
    Xling(LidModel),
    /// A supervised fastText model (`.bin` or `.ftz`).
    FastText(Box<FastText>),
}

impl Model {
    /// The model as a [`Classifier`].
    pub fn classifier(&self) -> &dyn Classifier {
        match self {
            Model::Xling(m) => m,
            Model::FastText(m) => m.as_ref(),
        }
    }
}

/// Why a model file could not be used: the file, and what is wrong with it.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read model file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// A fastText file that is not a usable model.
    #[error("{path}: {source}")]
    FastText {
        /// The file.
        path: String,
        /// What is wrong.
        source: FastTextError,
    },
    /// An xling model file that is not a usable model.
    #[error("{path}: {source}")]
    Xling {
        /// The file.
        path: String,
        /// What is wrong.
        source: ModelError,
    },
    /// Neither kind of model.
    #[error(
        "{path}: not an xling language-identification model (magic XLID, from `xling identify train`) nor a fastText .bin/.ftz model (magic bytes ba 16 4f 2f); found {found}"
    )]
    Unknown {
        /// The file.
        path: String,
        /// The first bytes, described.
        found: String,
    },
}

/// Reads a model file, telling the two formats apart by their first bytes.
pub fn load_model(path: &std::path::Path) -> Result<Model, LoadError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
        path: name.clone(),
        source,
    })?;
    model_from_bytes(&bytes, &name)
}

/// Reads a model from a file's bytes; `name` names the file in errors.
pub fn model_from_bytes(bytes: &[u8], name: &str) -> Result<Model, LoadError> {
    if fasttext::is_fasttext(bytes) {
        return FastText::from_bytes(bytes)
            .map(|m| Model::FastText(Box::new(m)))
            .map_err(|source| LoadError::FastText {
                path: name.to_string(),
                source,
            });
    }
    if bytes.starts_with(b"XLID") {
        return LidModel::from_bytes(bytes)
            .map(Model::Xling)
            .map_err(|source| LoadError::Xling {
                path: name.to_string(),
                source,
            });
    }
    let head: Vec<String> = bytes.iter().take(4).map(|b| format!("{b:02x}")).collect();
    Err(LoadError::Unknown {
        path: name.to_string(),
        found: if bytes.is_empty() {
            "an empty file".into()
        } else {
            format!("bytes {}", head.join(" "))
        },
    })
}

/// The label for "undetermined": empty text, or no label confident enough.
pub const UND: &str = "und";

/// The model embedded in the binary (trained by `scripts/train-lid`), decoded once.
pub fn embedded() -> Result<&'static LidModel, ModelError> {
    static MODEL: std::sync::OnceLock<Result<LidModel, String>> = std::sync::OnceLock::new();
    static BYTES: &[u8] = include_bytes!("../data/lid.bin.zst");
    MODEL
        .get_or_init(|| {
            let raw = zstd::decode_all(BYTES).map_err(|e| e.to_string())?;
            LidModel::from_bytes(&raw).map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| ModelError::Compressed(e.clone()))
}

/// One prediction.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Prediction {
    /// FLORES-200 code, or `und`.
    pub lang: String,
    /// Probability of the label (1 for a script short-circuit).
    pub prob: f32,
}

/// A language identifier: a model, the script short-circuit and a threshold.
#[derive(Debug, Clone)]
pub struct Identifier<'m> {
    pub(crate) model: &'m dyn Classifier,
    /// Below this top probability the answer is `und` (0 disables).
    pub threshold: f32,
    /// Script → the only label written in it.
    unique_script: HashMap<Script, usize>,
}

impl<'m> Identifier<'m> {
    /// An identifier over `model` with the given threshold.
    pub fn new(model: &'m dyn Classifier, threshold: f32) -> Self {
        let mut by_script: HashMap<Script, Vec<usize>> = HashMap::new();
        let labels = if model.script_shortcut() {
            model.labels()
        } else {
            &[]
        };
        for (i, l) in labels.iter().enumerate() {
            if let Some(lang) = registry().get(l) {
                for s in lang.script.unicode_scripts() {
                    by_script.entry(s).or_default().push(i);
                }
            }
        }
        let unique_script = by_script
            .into_iter()
            .filter(|(_, v)| v.len() == 1)
            .map(|(s, v)| (s, v[0]))
            .collect();
        Identifier {
            model,
            threshold,
            unique_script,
        }
    }

    /// The `k` best labels of a text. Empty text, and text without a letter of any script (only
    /// digits, punctuation, symbols, control characters or NULs: [`has_letters`]), gives `und` with
    /// probability 1, whatever the model; text whose letters are all in a script that only one label
    /// uses gives that label with probability 1 (xling's own model only). When the model has no
    /// label to offer (the built-in model, for letters only of scripts none of its labels is written
    /// in) or its best is below the threshold, the answer is `und` with the model's best probability.
    pub fn identify(&self, text: &str, k: usize) -> Vec<Prediction> {
        if text.trim().is_empty() || !has_letters(text) {
            return vec![Prediction {
                lang: UND.into(),
                prob: 1.0,
            }];
        }
        if let Some(i) = self.single_script_label(text) {
            return vec![Prediction {
                lang: self.model.labels()[i].clone(),
                prob: 1.0,
            }];
        }
        let preds = self.model.top_k(text, k.max(1));
        if preds.first().is_none_or(|(_, p)| *p < self.threshold) {
            return vec![Prediction {
                lang: UND.into(),
                prob: preds.first().map_or(0.0, |p| p.1),
            }];
        }
        preds
            .into_iter()
            .map(|(l, p)| Prediction {
                lang: self.model.labels()[l].clone(),
                prob: p,
            })
            .collect()
    }

    fn single_script_label(&self, text: &str) -> Option<usize> {
        let mut found: Option<Script> = None;
        let mut letters = 0;
        for c in text.chars().filter(|c| c.is_alphabetic()) {
            let s = Script::of_char(c);
            if s.is_neutral() {
                continue;
            }
            letters += 1;
            match found {
                // A script several labels use can never decide alone: stop reading.
                None if !self.unique_script.contains_key(&s) => return None,
                None => found = Some(s),
                Some(f) if f == s => {}
                Some(_) => return None,
            }
        }
        (letters >= 1).then_some(())?;
        found.and_then(|s| self.unique_script.get(&s).copied())
    }
}

/// Output-language fidelity: of the texts that should be in a language, the share identified as it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Fidelity {
    /// Texts checked.
    pub total: usize,
    /// Texts identified as their expected language.
    pub matched: usize,
    /// Per expected language: (texts, matched, the most frequent other answer).
    pub by_lang: BTreeMap<String, (usize, usize, Option<String>)>,
}

impl Fidelity {
    /// `matched / total` (1 for no texts).
    pub fn rate(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            self.matched as f64 / self.total as f64
        }
    }
}

/// Checks `(text, expected FLORES code)` pairs. Expected codes are compared after resolving them in the
/// registry, so `sw` and `swh_Latn` are the same expectation.
pub fn fidelity<'a>(
    ident: &Identifier<'_>,
    items: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Fidelity {
    let mut f = Fidelity {
        total: 0,
        matched: 0,
        by_lang: BTreeMap::new(),
    };
    let mut others: HashMap<String, HashMap<String, usize>> = HashMap::new();
    for (text, expected) in items {
        let want = registry()
            .resolve(expected)
            .map_or_else(|_| expected.to_string(), |r| r.lang.code.clone());
        let got = ident.identify(text, 1).remove(0).lang;
        f.total += 1;
        let e = f.by_lang.entry(want.clone()).or_insert((0, 0, None));
        e.0 += 1;
        if got == want {
            f.matched += 1;
            e.1 += 1;
        } else {
            *others.entry(want).or_default().entry(got).or_insert(0) += 1;
        }
    }
    for (lang, o) in others {
        if let Some(e) = f.by_lang.get_mut(&lang) {
            e.2 = o
                .into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
                .map(|(l, _)| l);
        }
    }
    f
}

/// Labelled examples from corpora: every segment of every stream whose language is one of `labels`,
/// at most `cap` per stream (the first ones), long segments cut to `max_chars` characters at a word
/// boundary. Returns the examples and how many each label got.
pub fn training_examples(
    corpora: &[LoadedCorpus],
    labels: &[String],
    cap: usize,
    max_chars: usize,
) -> (Vec<(usize, String)>, BTreeMap<String, usize>) {
    let index: HashMap<&str, usize> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i))
        .collect();
    let mut out = Vec::new();
    let mut counts = BTreeMap::new();
    for c in corpora {
        for s in &c.streams {
            let Some(&label) = s.variety.lang.and_then(|l| index.get(l.code.as_str())) else {
                continue;
            };
            let mut n = 0;
            for seg in &s.segments {
                if n >= cap {
                    break;
                }
                let text = seg.text.trim();
                if text.is_empty() {
                    continue;
                }
                let cut = if text.chars().count() > max_chars {
                    let end = text
                        .char_indices()
                        .nth(max_chars)
                        .map_or(text.len(), |(b, _)| b);
                    let head = &text[..end];
                    head.rfind(char::is_whitespace).map_or(head, |w| &head[..w])
                } else {
                    text
                };
                out.push((label, cut.to_string()));
                n += 1;
            }
            *counts.entry(labels[label].clone()).or_insert(0) += n;
        }
    }
    (out, counts)
}

/// Evaluates an identifier on a labelled corpus (each stream's language is the gold label): per gold
/// language precision, recall, F1 and false-positive rate over all predictions, plus the confusions.
/// Streams in languages the model has no label for are left out and named in the notes.
pub fn evaluate(
    ident: &Identifier<'_>,
    corpus: &LoadedCorpus,
    model_name: &str,
) -> Result<LangTable, TableError> {
    // Only languages the model has a label for can be scored; the others are listed in the notes.
    let known: std::collections::HashSet<&str> =
        ident.model.labels().iter().map(String::as_str).collect();
    let (streams, skipped): (Vec<&LoadedStream>, Vec<&LoadedStream>) =
        corpus.streams.iter().partition(|s| {
            s.variety
                .lang
                .is_some_and(|l| known.contains(l.code.as_str()))
        });
    let mut gold_of = Vec::new();
    let mut pred_of = Vec::new();
    let mut hasher = DataHasher::new();
    for s in &streams {
        let gold = s
            .variety
            .lang
            .map_or_else(|| s.variety.key.clone(), |l| l.code.clone());
        hasher.update(&s.variety.key);
        for seg in &s.segments {
            hasher.update(&seg.text);
            let p = ident.identify(&seg.text, 1).remove(0).lang;
            gold_of.push(gold.clone());
            pred_of.push(p);
        }
    }
    let total = gold_of.len();
    let mut tp: HashMap<&str, usize> = HashMap::new();
    let mut gold_n: HashMap<&str, usize> = HashMap::new();
    let mut pred_n: HashMap<&str, usize> = HashMap::new();
    let mut confusions: HashMap<(&str, &str), usize> = HashMap::new();
    for (g, p) in gold_of.iter().zip(&pred_of) {
        *gold_n.entry(g).or_default() += 1;
        *pred_n.entry(p).or_default() += 1;
        if g == p {
            *tp.entry(g).or_default() += 1;
        } else {
            *confusions.entry((g, p)).or_default() += 1;
        }
    }
    let columns = vec![
        Column::new(
            "n",
            "lines",
            ColumnKind::Int,
            Better::Neither,
            "Evaluation lines of the language.",
        )
        .charted(false),
        Column::new(
            "f1",
            "F1",
            ColumnKind::Percent { decimals: 1 },
            Better::Higher,
            "Harmonic mean of precision and recall.",
        ),
        Column::new(
            "precision",
            "precision",
            ColumnKind::Percent { decimals: 1 },
            Better::Higher,
            "Lines predicted as the language that are.",
        )
        .charted(false),
        Column::new(
            "recall",
            "recall",
            ColumnKind::Percent { decimals: 1 },
            Better::Higher,
            "Lines of the language predicted as it.",
        )
        .charted(false),
        Column::new(
            "fpr",
            "FPR",
            ColumnKind::Percent { decimals: 3 },
            Better::Lower,
            "False-positive rate FP / (FP + TN), GlotLID's metric.",
        )
        .charted(false),
        Column::new(
            "confused_with",
            "confused with",
            ColumnKind::Text,
            Better::Neither,
            "Most frequent wrong prediction.",
        ),
    ];
    let signature = Signature::new("identify-eval")
        .with("model", model_name)
        .with("threshold", format!("{:.2}", ident.threshold))
        .with("corpus", &corpus.name)
        .with_data(hasher.finish());
    let mut table = LangTable::new(
        format!("Language identification: {}", corpus.name),
        columns,
        signature,
    );
    let mut f1s = Vec::new();
    for s in &streams {
        let g = s
            .variety
            .lang
            .map_or(s.variety.key.as_str(), |l| l.code.as_str());
        if table.row(&s.variety.key).is_some() {
            continue;
        }
        let t = *tp.get(g).unwrap_or(&0);
        let gn = *gold_n.get(g).unwrap_or(&0);
        let pn = *pred_n.get(g).unwrap_or(&0);
        let precision = if pn == 0 { 0.0 } else { t as f64 / pn as f64 };
        let recall = if gn == 0 { 0.0 } else { t as f64 / gn as f64 };
        let f1 = if t == 0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        let fp = pn - t;
        let negatives = total - gn;
        let fpr = if negatives == 0 {
            0.0
        } else {
            fp as f64 / negatives as f64
        };
        let worst = confusions
            .iter()
            .filter(|((gg, _), _)| *gg == g)
            .max_by_key(|(k, n)| (**n, std::cmp::Reverse(k.1)));
        f1s.push(f1);
        table.push(Row {
            key: s.variety.key.clone(),
            name: s.variety.name().to_string(),
            script: s.variety.script().to_string(),
            cells: vec![
                Cell::Int(gn as i64),
                Cell::Float(f1),
                Cell::Float(precision),
                Cell::Float(recall),
                Cell::Float(fpr),
                worst.map_or(Cell::Missing, |((_, p), n)| {
                    Cell::Text(format!("{p} ({n})"))
                }),
            ],
        })?;
    }
    let macro_f1 = if f1s.is_empty() {
        0.0
    } else {
        f1s.iter().sum::<f64>() / f1s.len() as f64
    };
    let correct: usize = tp.values().sum();
    if !skipped.is_empty() {
        let keys: Vec<&str> = skipped
            .iter()
            .take(12)
            .map(|s| s.variety.key.as_str())
            .collect();
        let more = skipped.len().saturating_sub(keys.len());
        table.notes.push(format!(
            "Not scored: {} streams in languages the model has no label for ({}{}).",
            skipped.len(),
            keys.join(", "),
            if more > 0 {
                format!(", … {more} more")
            } else {
                String::new()
            }
        ));
    }
    table.notes.push(format!(
        "Macro F1 over {} languages: {:.1}%; accuracy {:.1}% of {total} lines.",
        f1s.len(),
        macro_f1 * 100.0,
        if total == 0 {
            0.0
        } else {
            correct as f64 * 100.0 / total as f64
        }
    ));
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::top_k_of;

    #[test]
    fn top_k_equals_a_stable_full_sort() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for round in 0..500 {
            let n = 1 + round % 40;
            let p: Vec<f32> = (0..n)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    // Few distinct values, so that ties are common.
                    (state % 7) as f32 / 7.0
                })
                .collect();
            let mut idx: Vec<usize> = (0..n).collect();
            idx.sort_by(|a, b| p[*b].total_cmp(&p[*a]).then(a.cmp(b)));
            for k in [0, 1, 3, n, n + 2] {
                let want: Vec<(usize, f32)> = idx.iter().take(k).map(|&i| (i, p[i])).collect();
                assert_eq!(top_k_of(&p, k), want, "{p:?} k={k}");
            }
        }
    }
}
