//! # xling-card
//!
//! The main job, `xling report`: a multilingual *report card* of a parallel corpus, one row per language.
//! This crate owns the composition of that table — which columns it has, how each is computed from the
//! capability crates, and its signature. Each later capability adds its columns here (tokenizer parity is
//! next), so one command keeps giving the whole picture.
//!
//! Columns today, all from `xling-text`: segments, characters, UTF-8 bytes, bytes per character, byte
//! premium against a base language (Arnett et al. 2024), expected and dominant script, and script purity.

use xling_core::corpus::LoadedCorpus;
use xling_core::table::{Better, Cell, Column, ColumnKind, LangTable, Row, TableError};
use xling_core::{LangError, Signature, registry};
use xling_text::{ScriptProfile, byte_premium};

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
    /// The base language query did not resolve.
    #[error("base language: {0}")]
    Base(#[from] LangError),
    /// The chosen base language is not in the corpus.
    #[error(
        "base language {base} is not in corpus {corpus}; choose one of its languages with --base"
    )]
    BaseMissing {
        /// The base code.
        base: String,
        /// The corpus.
        corpus: String,
    },
    /// The corpus has no streams.
    #[error("corpus {0} has no languages")]
    NoLanguages(String),
    /// A table invariant failed (duplicate key).
    #[error(transparent)]
    Table(#[from] TableError),
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
}

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
}

/// Builds the report card of a loaded corpus.
pub fn report_card(corpus: &LoadedCorpus, opts: &CardOptions) -> Result<LangTable, CardError> {
    if corpus.streams.is_empty() {
        return Err(CardError::NoLanguages(corpus.name.clone()));
    }
    let base_lang = registry().resolve(&opts.base)?.lang;
    let base = corpus
        .streams
        .iter()
        .find(|s| s.variety.key == base_lang.code)
        .or_else(|| {
            corpus
                .streams
                .iter()
                .find(|s| s.variety.lang.is_some_and(|l| l.code == base_lang.code))
        });
    if base.is_none() && opts.base_required {
        return Err(CardError::BaseMissing {
            base: base_lang.code.clone(),
            corpus: corpus.name.clone(),
        });
    }
    let base_key = base.map_or(base_lang.code.clone(), |b| b.variety.key.clone());

    let signature = Signature::new("report")
        .with("corpus", &corpus.name)
        .with("langs", corpus.streams.len())
        .with("base", &base_key)
        .with("bytes", "utf8-no-eol")
        .with_data(corpus.data_hash());
    let mut table = LangTable::new(
        format!("Report card: {}", corpus.name),
        card_columns(&base_key),
        signature,
    );

    let mut off_script = Vec::new();
    for s in &corpus.streams {
        let profile = ScriptProfile::of_segments(s.segments.iter().map(|g| g.text.as_str()));
        let expected = s.variety.lang.map(|l| l.script);
        let premium = base.and_then(|b| byte_premium(&s.segments, &b.segments).ratio());
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
        let cells = vec![
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
        Some(_) => table.notes.push(format!(
            "Byte premium is relative to {base_key} over the segments both languages have."
        )),
        None => table.notes.push(format!(
            "The corpus has no {base_key}: byte premium is not computed (choose a base with --base)."
        )),
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
            Err(CardError::BaseMissing { .. })
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
