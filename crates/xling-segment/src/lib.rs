//! # xling-segment
//!
//! Sentence segmentation for every language in the registry. This crate owns:
//!
//! - [`rules`]: a rule-based segmenter (sentence terminators of all scripts, abbreviations, numbers,
//!   ellipses, quotes and brackets) whose segments cover the input exactly;
//! - [`model`]: a punctuation-agnostic boundary model (the WtP idea) that xling trains itself
//!   (`xling segment train`) and embeds;
//! - [`eval`]: evaluation with the WtP/SaT protocol (binary F1 over character boundary positions,
//!   language-specific separators, macro average over languages), on clean and corrupted text;
//! - [`evaluate`]: the per-language results table of `xling segment eval`.

pub mod abbreviations;
pub mod eval;
pub mod model;
pub mod rules;

use xling_core::Signature;
use xling_core::signature::DataHasher;
use xling_core::table::{Better, Cell, Column, ColumnKind, LangTable, Row, TableError};

pub use model::BoundaryModel;
pub use rules::RuleSegmenter;

/// A segmentation method.
#[derive(Debug, Clone, Copy)]
pub enum Method<'a> {
    /// The rule-based segmenter.
    Rules,
    /// A boundary model, with an optional threshold overriding the model's own.
    Model(&'a BoundaryModel, Option<f32>),
}

impl Method<'_> {
    /// Segment end offsets (bytes) of `text` for a language.
    pub fn boundaries(&self, text: &str, lang: Option<&xling_core::Language>) -> Vec<usize> {
        match self {
            Method::Rules => RuleSegmenter::new(lang).boundaries(text),
            Method::Model(m, t) => m.boundaries(text, *t),
        }
    }

    /// Name and parameters for signatures.
    pub fn describe(&self) -> String {
        match self {
            Method::Rules => "rules".to_string(),
            Method::Model(m, t) => format!("model[t={:.2}]", t.unwrap_or(m.threshold)),
        }
    }
}

/// Options of an evaluation run.
#[derive(Debug, Clone, Default)]
pub struct EvalOptions {
    /// Lower-case and strip punctuation from the gold text first (the punctuation-agnostic setting).
    pub corrupt: bool,
    /// Name of the gold data, for the signature.
    pub gold_name: String,
}

/// Evaluates a segmentation method on gold sentence sets: one row per language with F1, precision and
/// recall; the macro average in the notes.
pub fn evaluate(
    gold: &[eval::GoldSet],
    method: Method<'_>,
    opts: &EvalOptions,
) -> Result<LangTable, TableError> {
    let columns = vec![
        Column::new(
            "sentences",
            "sentences",
            ColumnKind::Int,
            Better::Neither,
            "Gold sentences.",
        )
        .charted(false),
        Column::new(
            "f1",
            "F1",
            ColumnKind::Percent { decimals: 1 },
            Better::Higher,
            "Binary F1 over boundary positions (WtP protocol).",
        ),
        Column::new(
            "precision",
            "precision",
            ColumnKind::Percent { decimals: 1 },
            Better::Higher,
            "Predicted boundaries that are gold.",
        )
        .charted(false),
        Column::new(
            "recall",
            "recall",
            ColumnKind::Percent { decimals: 1 },
            Better::Higher,
            "Gold boundaries predicted.",
        )
        .charted(false),
    ];
    let mut hasher = DataHasher::new();
    let mut rows = Vec::new();
    let mut f1s = Vec::new();
    for set in gold {
        let sep = eval::separator(set.lang);
        let sentences: Vec<String> = set
            .sentences
            .iter()
            .map(|s| {
                if opts.corrupt {
                    eval::preprocess(&eval::corrupt(&eval::preprocess(s)))
                } else {
                    eval::preprocess(s)
                }
            })
            .filter(|s| !s.is_empty())
            .collect();
        hasher.update(&set.key);
        sentences.iter().for_each(|s| hasher.update(s));
        let (text, gold_pos) = eval::gold_text(&sentences, sep);
        let predicted = method.boundaries(&text, set.lang);
        let s = eval::score(&text, &gold_pos, &predicted);
        f1s.push(s.f1());
        rows.push(Row {
            key: set.key.clone(),
            name: set
                .lang
                .map_or_else(|| "unknown language".to_string(), |l| l.name.clone()),
            script: set
                .lang
                .map_or_else(|| "Zzzz".to_string(), |l| l.script.to_string()),
            cells: vec![
                Cell::Int(sentences.len() as i64),
                Cell::Float(s.f1()),
                Cell::Float(s.precision()),
                Cell::Float(s.recall()),
            ],
        });
    }
    let signature = Signature::new("segment-eval")
        .with("mode", method.describe())
        .with("gold", &opts.gold_name)
        .with("corrupt", if opts.corrupt { "lc+nopunct" } else { "no" })
        .with("protocol", "wtp")
        .with_data(hasher.finish());
    let title = format!(
        "Sentence segmentation: {}{}",
        opts.gold_name,
        if opts.corrupt { " (corrupted)" } else { "" }
    );
    let mut table = LangTable::new(title, columns, signature);
    for r in rows {
        table.push(r)?;
    }
    let macro_f1 = if f1s.is_empty() {
        0.0
    } else {
        f1s.iter().sum::<f64>() / f1s.len() as f64
    };
    table.notes.push(format!(
        "Macro F1 over {} languages: {:.1}%.",
        f1s.len(),
        macro_f1 * 100.0
    ));
    Ok(table)
}

/// Byte ranges of the segments that end at `boundaries` (as returned by the segmenters): consecutive,
/// covering the text from 0 to the last boundary.
pub fn ranges(boundaries: &[usize]) -> Vec<std::ops::Range<usize>> {
    let mut start = 0;
    boundaries
        .iter()
        .map(|&end| {
            let r = start..end;
            start = end;
            r
        })
        .collect()
}

/// Whether the text has sentence-final punctuation (the Unicode `Sentence_Terminal` property): where it
/// has none, the rules cannot find boundaries and `auto` mode uses the model.
pub fn has_sentence_punctuation(text: &str) -> bool {
    let terminal =
        icu_properties::CodePointSetData::new::<icu_properties::props::SentenceTerminal>();
    text.chars().any(|c| terminal.contains(c))
}
