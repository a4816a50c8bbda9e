//! The `xling tokenizers` table: one row per language, one column group per tokenizer.

use std::time::{Duration, Instant};

use rayon::prelude::*;
use xling_core::Signature;
use xling_core::corpus::BaseError;
use xling_core::corpus::{Alignment, LoadedCorpus};
use xling_core::table::{Better, Cell, Column, ColumnKind, LangTable, Row, TableError};

use crate::metrics::{LangStats, Params, UNKNOWN_THRESHOLD, join_segments, lang_stats};
use crate::words::{WordMethod, WordUnit};
use crate::{TokenizeError, Tokenizer};

/// Options of [`tokenizers_table`].
#[derive(Debug, Clone)]
pub struct TableOptions {
    /// Base language of the premium (`eng_Latn` by default); any registry query.
    pub base: String,
    /// Whether the user chose the base: then a corpus without it is an error rather than a note.
    pub base_required: bool,
    /// Metric parameters (Rényi α).
    pub params: Params,
    /// Index of the reference tokenizer of the normalized sequence length (the first by default).
    pub reference: usize,
    /// How words of unspaced scripts are cut (ICU dictionaries by default).
    pub words: WordMethod,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            base: "eng_Latn".into(),
            base_required: false,
            params: Params::default(),
            reference: 0,
            words: WordMethod::default(),
        }
    }
}

/// Why the table could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TokenizeTableError {
    /// The base language does not resolve or is not in the corpus.
    #[error(transparent)]
    Base(#[from] BaseError),
    /// No tokenizer was given.
    #[error("no tokenizer given")]
    NoTokenizer,
    /// The corpus has no streams.
    #[error("corpus {0} has no languages")]
    NoLanguages(String),
    /// Two tokenizers share a display name.
    #[error("two tokenizers are both called '{0}'; name them with NAME=PATH")]
    DuplicateName(String),
    /// Encoding failed.
    #[error(transparent)]
    Tokenize(#[from] TokenizeError),
    /// A table invariant failed.
    #[error(transparent)]
    Table(#[from] TableError),
}

/// The metrics of every tokenizer on every language of a corpus, before they become a table.
#[derive(Debug, Clone)]
pub struct CorpusStats {
    /// Per stream (corpus order): the word unit used.
    pub units: Vec<WordUnit>,
    /// Per stream, per tokenizer.
    pub stats: Vec<Vec<LangStats>>,
    /// Index of the base stream, if the corpus has it.
    pub base: Option<usize>,
    /// The base key (present in the corpus or not).
    pub base_key: String,
}

impl CorpusStats {
    /// Token premium of stream `s` for tokenizer `t`: `None` without a base, or when either side is
    /// excluded for too many unknown tokens.
    pub fn premium(&self, s: usize, t: usize) -> Option<f64> {
        let b = &self.stats[self.base?][t];
        let l = &self.stats[s][t];
        if b.excluded() || l.excluded() || b.tokens == 0 {
            return None;
        }
        Some(l.tokens as f64 / b.tokens as f64)
    }
}

fn find_base(
    corpus: &LoadedCorpus,
    base: &str,
    required: bool,
) -> Result<(Option<usize>, String), TokenizeTableError> {
    Ok(corpus.find_base(base, required)?)
}

/// The joined text of stream `s` (Petrov et al.'s protocol).
fn joined(corpus: &LoadedCorpus, s: usize) -> String {
    join_segments(corpus.streams[s].segments.iter().map(|g| g.text.as_str()))
}

/// Measures every tokenizer on every language, in parallel over languages and, within a language,
/// over tokenizers: each language's text is joined and its words cut once, by the task that then
/// measures it, so word segmentation overlaps with other languages' encoding (no barrier between
/// the two), and a language's text and words are freed as soon as it is done.
pub fn corpus_stats(
    corpus: &LoadedCorpus,
    tokenizers: &[&dyn Tokenizer],
    opts: &TableOptions,
) -> Result<CorpusStats, TokenizeTableError> {
    if tokenizers.is_empty() {
        return Err(TokenizeTableError::NoTokenizer);
    }
    if corpus.streams.is_empty() {
        return Err(TokenizeTableError::NoLanguages(corpus.name.clone()));
    }
    let (base, base_key) = find_base(corpus, &opts.base, opts.base_required)?;
    let per_lang: Vec<(WordUnit, Vec<LangStats>)> = (0..corpus.streams.len())
        .into_par_iter()
        .map(|s| {
            let text = joined(corpus, s);
            let unit = WordUnit::for_script_with(corpus.streams[s].variety.script(), opts.words);
            let spans = unit.spans(&text);
            let stats = tokenizers
                .par_iter()
                .map(|tk| lang_stats(*tk, &text, unit, &spans, &opts.params))
                .collect::<Result<Vec<_>, _>>()?;
            Ok::<_, TokenizeError>((unit, stats))
        })
        .collect::<Result<_, _>>()?;
    let (units, stats) = per_lang.into_iter().unzip();
    Ok(CorpusStats {
        units,
        stats,
        base,
        base_key,
    })
}

/// Times the bare encoding (token counts only) of every language by every tokenizer, with the same
/// parallel layout as [`corpus_stats`] (each language's text joined by its task): the baseline that
/// the metrics' cost is compared with.
pub fn time_bare_encode(
    corpus: &LoadedCorpus,
    tokenizers: &[&dyn Tokenizer],
) -> Result<(Duration, usize), TokenizeError> {
    let start = Instant::now();
    let total: usize = (0..corpus.streams.len())
        .into_par_iter()
        .map(|s| {
            let text = joined(corpus, s);
            tokenizers
                .par_iter()
                .map(|tk| tk.count(&text))
                .sum::<Result<usize, _>>()
        })
        .sum::<Result<usize, _>>()?;
    Ok((start.elapsed(), total))
}

/// Column ids of one tokenizer's group: `<name>.<metric>`.
pub mod metric {
    /// Total tokens.
    pub const TOKENS: &str = "tokens";
    /// Token premium vs the base language.
    pub const PREMIUM: &str = "premium";
    /// Normalized sequence length vs the reference tokenizer.
    pub const NSL: &str = "nsl";
    /// Tokens per word.
    pub const FERTILITY: &str = "fertility";
    /// Proportion of continued words.
    pub const CONTINUED: &str = "continued";
    /// Single-token retention rate.
    pub const SINGLE: &str = "single";
    /// Characters per token.
    pub const CHARS_PER_TOKEN: &str = "chars_per_token";
    /// Bytes per token.
    pub const BYTES_PER_TOKEN: &str = "bytes_per_token";
    /// Unknown-token share.
    pub const UNKNOWN: &str = "unknown";
    /// Byte-token share.
    pub const BYTE_TOKENS: &str = "byte_tokens";
    /// Rényi efficiency.
    pub const RENYI: &str = "renyi";
    /// Shannon efficiency.
    pub const SHANNON: &str = "shannon";
}

fn group_columns(t: &str, base: &str, alpha: f64, reference: Option<&str>) -> Vec<Column> {
    use metric::*;
    let id = |m: &str| format!("{t}.{m}");
    let h = |m: &str| format!("{t} {m}");
    let f = |d: u8| ColumnKind::Float { decimals: d };
    let p = |d: u8| ColumnKind::Percent { decimals: d };
    let mut cols = vec![
        Column::new(&id(TOKENS), &h("tokens"), ColumnKind::Int, Better::Neither,
            "Tokens of the language's segments joined with single spaces, tokenized once, no special tokens.")
            .unit("tokens").charted(false),
        Column::new(&id(PREMIUM), &h("premium"), f(2), Better::Lower, &format!(
            "Tokens divided by those of {base} on the same content (Petrov et al. 2023); empty when more than \
             {:.0}% of either side's tokens are unknown.", UNKNOWN_THRESHOLD * 100.0))
            .unit("×"),
    ];
    if let Some(r) = reference {
        cols.push(Column::new(&id(NSL), &h("NSL"), f(3), Better::Lower, &format!(
            "Normalized sequence length: tokens divided by those of the reference tokenizer {r} on the same text.")).charted(false));
    }
    cols.extend([
        Column::new(&id(FERTILITY), &h("fertility"), f(2), Better::Lower,
            "Tokens per word (Rust et al. 2021); the words column says what a word is.").unit("tokens/word").charted(false),
        Column::new(&id(CONTINUED), &h("continued"), p(1), Better::Lower,
            "Proportion of continued words: words split into two or more tokens.").charted(false),
        Column::new(&id(SINGLE), &h("single"), p(1), Better::Higher,
            "Single-token retention rate: words encoded as exactly one token.").charted(false),
        Column::new(&id(CHARS_PER_TOKEN), &h("chars/token"), f(2), Better::Higher,
            "Unicode characters per token.").unit("chars/token").charted(false),
        Column::new(&id(BYTES_PER_TOKEN), &h("bytes/token"), f(2), Better::Higher,
            "UTF-8 bytes per token (compression).").unit("bytes/token").charted(false),
        Column::new(&id(UNKNOWN), &h("unk"), p(2), Better::Lower,
            "Share of unknown tokens (content the vocabulary cannot represent).").charted(false),
        Column::new(&id(BYTE_TOKENS), &h("byte tokens"), p(1), Better::Lower,
            "Share of byte tokens: byte-fallback pieces or byte-level fragments of a character.").charted(false),
        Column::new(&id(RENYI), &h(&format!("Rényi {alpha}")), f(3), Better::Higher, &format!(
            "Rényi efficiency of order {alpha} of the token distribution over the observed vocabulary (Zouhar et al. 2023; = tokenization-scorer).")).charted(false),
        Column::new(&id(SHANNON), &h("Shannon"), f(3), Better::Higher,
            "Shannon efficiency: entropy of the token distribution over log2 of the observed vocabulary.").charted(false),
    ]);
    cols
}

/// Builds the per-language tokenizer table of a loaded corpus.
pub fn tokenizers_table(
    corpus: &LoadedCorpus,
    tokenizers: &[&dyn Tokenizer],
    opts: &TableOptions,
) -> Result<LangTable, TokenizeTableError> {
    let mut names: Vec<&str> = tokenizers.iter().map(|t| t.name()).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(TokenizeTableError::DuplicateName(w[0].to_string()));
    }
    let cs = corpus_stats(corpus, tokenizers, opts)?;
    let reference = (tokenizers.len() > 1).then(|| opts.reference.min(tokenizers.len() - 1));
    let alpha = opts.params.alpha;

    let units: Vec<&str> = {
        let mut u: Vec<&str> = cs.units.iter().map(|u| u.label()).collect();
        u.sort_unstable();
        u.dedup();
        u
    };
    let mut signature = Signature::new("tokenizers")
        .with("corpus", &corpus.name)
        .with("langs", corpus.streams.len())
        .with("base", &cs.base_key)
        .with("join", "space")
        .with("special", "no")
        .with("words", units.join("+"))
        .with("alpha", alpha);
    let ids: Vec<String> = tokenizers
        .iter()
        .map(|t| format!("{}={}", t.name(), t.identity()))
        .collect();
    signature = signature.with("tok", ids.join(","));
    if let Some(r) = reference {
        signature = signature.with("nsl_ref", tokenizers[r].name());
    }
    let signature = signature.with_data(corpus.data_hash());

    let mut columns = vec![
        Column::new(
            "words",
            "words",
            ColumnKind::Int,
            Better::Neither,
            "Words of the joined text, in the unit of the next column.",
        )
        .charted(false),
        Column::new(
            "word_unit",
            "word unit",
            ColumnKind::Text,
            Better::Neither,
            "How words are cut: whitespace; ICU-dictionary (ICU4X's dictionary word segmenter) for Han, Japanese, Thai, Lao, Khmer and Myanmar; UAX#29 word boundaries (no dictionary: Han is one word per character) for Tibetan, or for all unspaced scripts with --word-segmenter uax29.",
        ),
    ];
    for t in tokenizers {
        columns.extend(group_columns(
            t.name(),
            &cs.base_key,
            alpha,
            reference.map(|r| tokenizers[r].name()),
        ));
    }
    let title = format!(
        "Tokenizers: {} on {}",
        tokenizers
            .iter()
            .map(|t| t.name())
            .collect::<Vec<_>>()
            .join(", "),
        corpus.name
    );
    let mut table = LangTable::new(title, columns, signature);

    let mut excluded: Vec<String> = Vec::new();
    for (s, stream) in corpus.streams.iter().enumerate() {
        let first = &cs.stats[s][0];
        let mut cells = vec![
            Cell::Int(first.words as i64),
            Cell::Text(cs.units[s].label().to_string()),
        ];
        let opt = |v: Option<f64>| v.map_or(Cell::Missing, Cell::Float);
        for (t, tk) in tokenizers.iter().enumerate() {
            let st = &cs.stats[s][t];
            if st.excluded() {
                excluded.push(format!(
                    "{} for {} ({:.1}% unknown)",
                    stream.variety.key,
                    tk.name(),
                    st.unknown_share().unwrap_or(0.0) * 100.0
                ));
            }
            cells.push(Cell::Int(st.tokens as i64));
            cells.push(opt(cs.premium(s, t)));
            if let Some(r) = reference {
                let rt = cs.stats[s][r].tokens;
                cells.push(opt((rt > 0).then(|| st.tokens as f64 / rt as f64)));
            }
            cells.extend([
                opt(st.fertility()),
                opt(st.continued_share()),
                opt(st.single_share()),
                opt(st.chars_per_token()),
                opt(st.bytes_per_token()),
                opt(st.unknown_share()),
                opt(st.byte_share()),
                opt(st.renyi),
                opt(st.shannon),
            ]);
        }
        table.push(Row {
            key: stream.variety.key.clone(),
            name: stream.variety.name().to_string(),
            script: stream.variety.script().to_string(),
            cells,
        })?;
    }

    match cs.base {
        Some(_) => table.notes.push(format!(
            "Premium: tokens relative to {} with each language's segments joined by single spaces and \
             tokenized once, without special tokens (Petrov et al. 2023's protocol).",
            cs.base_key
        )),
        None => table.notes.push(format!(
            "The corpus has no {}: premiums are not computed (choose a base with --base).",
            cs.base_key
        )),
    }
    if !matches!(corpus.alignment, Alignment::Lines | Alignment::Ids) {
        table.notes.push(
            "The corpus is not fully parallel: premiums compare whole texts of different content."
                .into(),
        );
    }
    if !excluded.is_empty() {
        table.notes.push(format!(
            "Excluded from the premium (more than {:.0}% unknown tokens, Petrov et al.): {}.",
            UNKNOWN_THRESHOLD * 100.0,
            excluded.join("; ")
        ));
    }
    let words_note = match opts.words {
        WordMethod::Dictionary => {
            "Words: whitespace-separated; ICU4X dictionary segments (letters or digits) for Han, \
             Japanese, Thai, Lao, Khmer and Myanmar script; UAX #29 segments for Tibetan"
        }
        WordMethod::Uax29 => {
            "Words: whitespace-separated, or UAX #29 segments for Han, Japanese, Thai, Lao, Khmer, \
             Myanmar and Tibetan script"
        }
    };
    table.notes.push(format!(
        "{words_note}; the word unit column says which per language. Rényi α = {alpha} over the \
         observed vocabulary."
    ));
    Ok(table)
}
