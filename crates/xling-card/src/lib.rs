//! # xling-card
//!
//! The main job, `xling report`: a multilingual *report card* of a parallel corpus, one row per language.
//! This crate owns the composition of that table — which columns it has, how each is computed from the
//! capability crates, and its signature. Each later capability adds its columns here (tokenizer parity is
//! next), so one command keeps giving the whole picture.
//!
//! Columns today: from `xling-text`, segments, characters, UTF-8 bytes, bytes per character, byte
//! premium against a base language (Arnett et al. 2024), expected and dominant script, and script purity;
//! from `xling-tokenize`, the token premium (parity, Petrov et al. 2023) of the embedded `o200k_base`
//! (GPT-4o) and `cl100k_base` (GPT-4) tokenizers.

use xling_core::Signature;
use xling_core::corpus::BaseError;
use xling_core::corpus::LoadedCorpus;
use xling_core::table::{Better, Cell, Column, ColumnKind, LangTable, Row, TableError};
use xling_text::{ScriptProfile, byte_premium};
use xling_tokenize::Tokenizer;
use xling_tokenize::table::{TableOptions, TokenizeTableError, corpus_stats};

/// Options of the report card.
#[derive(Debug, Clone)]
pub struct CardOptions {
    /// The base language of the byte premium (`eng_Latn` by default); any registry query.
    pub base: String,
    /// Whether the user chose the base: then a corpus without it is an error rather than a note.
    pub base_required: bool,
}

impl Default for CardOptions {
    fn default() -> Self {
        CardOptions {
            base: "eng_Latn".to_string(),
            base_required: false,
        }
    }
}

/// Why a report card could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CardError {
    /// The base language does not resolve or is not in the corpus.
    #[error(transparent)]
    Base(#[from] BaseError),
    /// The corpus has no streams.
    #[error("corpus {0} has no languages")]
    NoLanguages(String),
    /// A table invariant failed (duplicate key).
    #[error(transparent)]
    Table(#[from] TableError),
    /// The token premium could not be computed.
    #[error(transparent)]
    Tokenize(#[from] TokenizeTableError),
    /// A built-in tokenizer failed to load.
    #[error(transparent)]
    Tokenizer(#[from] xling_tokenize::TokenizeError),
}

/// The report card's column ids, in display order.
pub mod columns {
    /// Segments (lines, articles).
    pub const SEGMENTS: &str = "segments";
    /// Unicode characters.
    pub const CHARS: &str = "chars";
    /// UTF-8 bytes.
    pub const BYTES: &str = "bytes";
    /// UTF-8 bytes per character.
    pub const BYTES_PER_CHAR: &str = "bytes_per_char";
    /// Bytes relative to the base language on the same segments.
    pub const BYTE_PREMIUM: &str = "byte_premium";
    /// The language's expected writing system.
    pub const SCRIPT: &str = "script";
    /// The most frequent script in the text.
    pub const DOMINANT_SCRIPT: &str = "dominant_script";
    /// Share of script-bearing characters in the expected writing system.
    pub const SCRIPT_PURITY: &str = "script_purity";
    /// Token premium of the `o200k_base` tokenizer (GPT-4o).
    pub const O200K_PREMIUM: &str = "o200k_premium";
    /// Token premium of the `cl100k_base` tokenizer (GPT-4).
    pub const CL100K_PREMIUM: &str = "cl100k_premium";
}

/// The built-in tokenizers whose parity the card reports, with their column ids and model names.
const PARITY_TOKENIZERS: &[(&str, &str, &str)] = &[
    ("o200k_base", columns::O200K_PREMIUM, "GPT-4o"),
    ("cl100k_base", columns::CL100K_PREMIUM, "GPT-4"),
];

fn card_columns(base: &str) -> Vec<Column> {
    use columns::*;
    vec![
        Column::new(SEGMENTS, "segments", ColumnKind::Int, Better::Neither, "Segments (lines) read for the language.")
            .charted(false),
        Column::new(CHARS, "chars", ColumnKind::Int, Better::Neither, "Unicode characters (scalar values), whitespace included.")
            .unit("chars"),
        Column::new(BYTES, "bytes", ColumnKind::Int, Better::Neither, "UTF-8 bytes, without line terminators.")
            .unit("bytes"),
        Column::new(
            BYTES_PER_CHAR,
            "bytes/char",
            ColumnKind::Float { decimals: 3 },
            Better::Lower,
            "UTF-8 bytes per character: 1 for ASCII, 2 for most alphabets, 3 for most Asian and African scripts.",
        )
        .unit("bytes/char"),
        Column::new(
            BYTE_PREMIUM,
            "byte premium",
            ColumnKind::Float { decimals: 3 },
            Better::Lower,
            &format!(
                "UTF-8 bytes of the language divided by those of {base} on the same parallel segments \
                 (Arnett et al. 2024): how much more storage, and byte-level context, the same content costs."
            ),
        )
        .unit("×"),
        Column::new(SCRIPT, "script", ColumnKind::Text, Better::Neither, "Expected writing system (ISO 15924) from the language registry."),
        Column::new(
            DOMINANT_SCRIPT,
            "dominant",
            ColumnKind::Text,
            Better::Neither,
            "Most frequent Unicode script among the text's letters (digits and punctuation excluded).",
        ),
        Column::new(
            SCRIPT_PURITY,
            "script purity",
            ColumnKind::Percent { decimals: 1 },
            Better::Higher,
            "Share of script-bearing characters (letters and marks) in the expected writing system.",
        ),
    ]
    .into_iter()
    .chain(PARITY_TOKENIZERS.iter().map(|(name, id, model)| {
        Column::new(
            id,
            &format!("{} premium", name.trim_end_matches("_base")),
            ColumnKind::Float { decimals: 2 },
            Better::Lower,
            &format!(
                "Token premium of {name} ({model}'s tokenizer): its tokens for the language divided by its \
                 tokens for {base}, segments joined with single spaces and tokenized once (Petrov et al. 2023)."
            ),
        )
        .unit("×")
    }))
    .collect()
}

/// Builds the report card of a loaded corpus.
pub fn report_card(corpus: &LoadedCorpus, opts: &CardOptions) -> Result<LangTable, CardError> {
    if corpus.streams.is_empty() {
        return Err(CardError::NoLanguages(corpus.name.clone()));
    }
    let (base_idx, base_key) = corpus.find_base(&opts.base, opts.base_required)?;
    let base = base_idx.map(|i| &corpus.streams[i]);
    // Byte premiums pair segments by id: meaningless when the languages' segments are not translations.
    let parallel = corpus.alignment != xling_core::corpus::Alignment::Unaligned;

    let signature = Signature::new("report")
        .with("corpus", &corpus.name)
        .with("langs", corpus.streams.len())
        .with("base", &base_key)
        .with("bytes", "utf8-no-eol")
        .with("tokens", "o200k_base+cl100k_base/join:space")
        .with_data(corpus.data_hash());
    let mut table = LangTable::new(
        format!("Report card: {}", corpus.name),
        card_columns(&base_key),
        signature,
    );

    let tokenizers = PARITY_TOKENIZERS
        .iter()
        .map(|(name, _, _)| xling_tokenize::load(name))
        .collect::<Result<Vec<_>, _>>()?;
    let tks: Vec<&dyn Tokenizer> = tokenizers.iter().map(|t| t.as_ref()).collect();
    let tok_stats = corpus_stats(
        corpus,
        &tks,
        &TableOptions {
            base: base_key.clone(),
            ..TableOptions::default()
        },
    )?;

    let mut off_script = Vec::new();
    for (i, s) in corpus.streams.iter().enumerate() {
        let profile = ScriptProfile::of_segments(s.segments.iter().map(|g| g.text.as_str()));
        let expected = s.variety.lang.map(|l| l.script);
        let premium = base
            .filter(|_| parallel)
            .and_then(|b| byte_premium(&s.segments, &b.segments).ratio());
        let dominant = profile.dominant();
        if let (Some(e), Some(_)) = (expected, dominant) {
            if !profile.matches(e) {
                off_script.push(format!(
                    "{} (expected {e}, found {})",
                    s.variety.key,
                    profile.summary(2)
                ));
            }
        }
        let mut cells = vec![
            Cell::Int(s.segments.len() as i64),
            Cell::Int(profile.chars as i64),
            Cell::Int(profile.bytes as i64),
            Cell::Float(profile.bytes_per_char()),
            premium.map_or(Cell::Missing, Cell::Float),
            expected.map_or(Cell::Missing, |e| Cell::Text(e.to_string())),
            dominant.map_or(Cell::Missing, |d| Cell::Text(d.to_string())),
            expected
                .and_then(|e| profile.purity(e))
                .map_or(Cell::Missing, Cell::Float),
        ];
        for t in 0..tks.len() {
            cells.push(tok_stats.premium(i, t).map_or(Cell::Missing, Cell::Float));
        }
        table.push(Row {
            key: s.variety.key.clone(),
            name: s.variety.name().to_string(),
            script: expected.map_or_else(
                || dominant.map_or("Zzzz".into(), |d| d.to_string()),
                |e| e.to_string(),
            ),
            cells,
        })?;
    }

    match base {
        Some(_) if !parallel => table.notes.push(
            "The corpus is not parallel (no segment ids): byte premium is not computed.".to_string(),
        ),
        Some(_) => table.notes.push(format!(
            "Byte premium is relative to {base_key} over the segments both languages have."
        )),
        None => table.notes.push(format!(
            "The corpus has no {base_key}: byte premium is not computed (choose a base with --base)."
        )),
    }
    if base.is_some() {
        table.notes.push(format!(
            "Token premiums (o200k, cl100k): tokens relative to {base_key}, each language's segments joined \
             with single spaces and tokenized once without special tokens (Petrov et al. 2023)."
        ));
    }
    if !off_script.is_empty() {
        table.notes.push(format!(
            "Dominant script differs from the expected one: {}.",
            off_script.join("; ")
        ));
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;
    use xling_core::Corpus;
    use xling_core::table::Cell;

    fn sample(langs: &[&str]) -> LoadedCorpus {
        let mut c = Corpus::embedded_sample().unwrap();
        c.select(langs).unwrap();
        c.load().unwrap()
    }

    #[test]
    fn english_is_the_unit_of_byte_premium() {
        let t = report_card(
            &sample(&["eng_Latn", "hin_Deva", "zho_Hans"]),
            &CardOptions::default(),
        )
        .unwrap();
        assert_eq!(
            t.get("eng_Latn", columns::BYTE_PREMIUM),
            Some(&Cell::Float(1.0))
        );
        let hin = t
            .get("hin_Deva", columns::BYTE_PREMIUM)
            .and_then(Cell::as_f64)
            .unwrap();
        assert!(hin > 2.0 && hin < 3.5, "{hin}");
        assert_eq!(
            t.get("hin_Deva", columns::DOMINANT_SCRIPT),
            Some(&Cell::Text("Deva".into()))
        );
        assert_eq!(
            t.get("zho_Hans", columns::DOMINANT_SCRIPT),
            Some(&Cell::Text("Hani".into()))
        );
        let purity = t
            .get("zho_Hans", columns::SCRIPT_PURITY)
            .and_then(Cell::as_f64)
            .unwrap();
        assert!(purity > 0.9, "{purity}");
        for col in [columns::O200K_PREMIUM, columns::CL100K_PREMIUM] {
            assert_eq!(t.get("eng_Latn", col), Some(&Cell::Float(1.0)));
            let p = t.get("hin_Deva", col).and_then(Cell::as_f64).unwrap();
            assert!(p > 1.2 && p < 6.0, "{col} {p}");
        }
        let o = t
            .get("hin_Deva", columns::O200K_PREMIUM)
            .and_then(Cell::as_f64);
        let c = t
            .get("hin_Deva", columns::CL100K_PREMIUM)
            .and_then(Cell::as_f64);
        assert!(
            o < c,
            "o200k should charge Hindi less than cl100k: {o:?} vs {c:?}"
        );
        assert!(
            t.signature
                .to_string()
                .starts_with("xling:report|corpus:flores200-sample|langs:3|base:eng_Latn|")
        );
    }

    #[test]
    fn missing_base_is_a_note_or_an_error() {
        let corpus = sample(&["hin_Deva", "mya_Mymr"]);
        let t = report_card(&corpus, &CardOptions::default()).unwrap();
        assert_eq!(
            t.get("hin_Deva", columns::BYTE_PREMIUM),
            Some(&Cell::Missing)
        );
        assert!(t.notes[0].contains("no eng_Latn"));
        let opts = CardOptions {
            base: "eng".into(),
            base_required: true,
        };
        assert!(matches!(
            report_card(&corpus, &opts),
            Err(CardError::Base(BaseError::Missing { .. }))
        ));
        let opts = CardOptions {
            base: "hi".into(),
            base_required: true,
        };
        let t = report_card(&corpus, &opts).unwrap();
        assert_eq!(
            t.get("hin_Deva", columns::BYTE_PREMIUM),
            Some(&Cell::Float(1.0))
        );
    }
}
