//! Vocabulary composition, as Qtok classifies it (Chelombitko, Safronov & Komissarov 2024; PyPI `qtok`
//! 0.11.0, `qtoklib/tokenizer.py` and `classification.py`).
//!
//! Qtok reads a `tokenizer.json`'s `model.vocab` and decodes each entry: byte-level vocabularies
//! (detected, as Qtok does, by the absence of the Cyrillic bigram "ма" in the file) through the GPT-2
//! byte map, with entries that are not whole UTF-8 becoming `<0y…>`; other vocabularies keep their text,
//! with the most frequent marker (`▁`, tab) at the start of an entry read as a space, `<0xNN>` pieces as
//! the byte's map character, and single map characters as `0XNN`. Added tokens are then merged in. Each
//! distinct decoded token falls into one of [`CATEGORIES`]; alphabetic categories also carry a script,
//! the first word of the Unicode character name (LATIN, CYRILLIC, CJK, …) when it is in Qtok's list.
//!
//! Known difference: character names come from the `unicode_names2` crate, a newer Unicode version than
//! the Python that runs Qtok; characters assigned since then have names here and not there.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use crate::TokenizeError;

/// Qtok's categories, in its table order.
pub const CATEGORIES: [&str; 12] = [
    "control_tokens",
    "pure_unicode",
    "char_alpha",
    "spaced_alpha",
    "inner_alpha",
    "char_other",
    "spaced_other",
    "inner_other",
    "unicode_flanks",
    "char_errors",
    "spaced_errors",
    "inner_errors",
];

/// The first words of Unicode names that Qtok counts as alphabetic scripts (`LANGUAGES`).
const SCRIPTS: &[&str] = &[
    "ADLAM",
    "CHAKMA",
    "OL",
    "BAMUM",
    "OGHAM",
    "BOPOMOFO",
    "COPTIC",
    "RUNIC",
    "HALFWIDTH",
    "MODI",
    "KAITHI",
    "LEPCHA",
    "SHAVIAN",
    "LIMBU",
    "BATAK",
    "PHOENICIAN",
    "GLAGOLITIC",
    "MANDAIC",
    "BALINESE",
    "SAMARITAN",
    "PHAGS-PA",
    "OLD",
    "BLACK-LETTER",
    "SUNDANESE",
    "INSCRIPTIONAL",
    "LISU",
    "CHAM",
    "TAGALOG",
    "DESERET",
    "TAGBANWA",
    "BUGINESE",
    "THAANA",
    "MONGOLIAN",
    "DINGBAT",
    "JAVANESE",
    "EGYPTIAN",
    "GEORGIAN",
    "NKO",
    "TIFINAGH",
    "GURMUKHI",
    "BENGALI",
    "SINHALA",
    "ORIYA",
    "TAI",
    "KANGXI",
    "CANADIAN",
    "CHEROKEE",
    "LAO",
    "TELUGU",
    "SYRIAC",
    "TAMIL",
    "BRAILLE",
    "ETHIOPIC",
    "MYANMAR",
    "HEBREW",
    "ARABIC",
    "TIBETAN",
    "HIRAGANA",
    "CYRILLIC",
    "GREEK",
    "CJK",
    "LATIN",
    "KATAKANA",
    "KHMER",
    "THAI",
    "ARMENIAN",
    "YI",
    "HANGUL",
    "GOTHIC",
    "MALAYALAM",
    "DEVANAGARI",
    "GUJARATI",
    "KANNADA",
    "MEETEI",
    "ARABIC-INDIC",
];

const HTML_TAGS: &[&str] = &[
    "br", "h1", "h2", "h3", "h4", "h5", "h6", "b", "img", "li", "tr", "td", "p", "th", "u", "em",
];

/// GPT-2's byte → char map (`bytes_to_unicode`).
fn byte_to_char() -> [char; 256] {
    let mut map = ['\0'; 256];
    let printable = |b: u8| (0x21..=0x7E).contains(&b) || (0xA1..=0xAC).contains(&b) || b >= 0xAE;
    let mut n = 0u32;
    for b in 0..=255u8 {
        map[b as usize] = if printable(b) {
            char::from(b)
        } else {
            n += 1;
            char::from_u32(0x100 + n - 1).unwrap_or('\0')
        };
    }
    map
}

/// The distinct tokens of a `tokenizer.json` as Qtok decodes them (`load_vocab`).
pub fn qtok_tokens(path: &Path) -> Result<Vec<String>, TokenizeError> {
    let text = std::fs::read_to_string(path).map_err(|source| TokenizeError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let corrupt = |reason: &str| TokenizeError::Corrupt {
        path: path.to_path_buf(),
        expected: "HF tokenizer.json with a `model.vocab` object (Qtok's input)",
        reason: reason.to_string(),
    };
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| corrupt(&e.to_string()))?;
    let vocab = json
        .get("model")
        .and_then(|m| m.get("vocab"))
        .and_then(|v| v.as_object())
        .ok_or_else(|| corrupt("no `model.vocab` object (unigram vocabularies are lists)"))?;
    // The most frequent marker, ties to the larger code point; Ġ means "byte-level, no replacement".
    let count = |s: &str| text.matches(s).count();
    let replace = [("\t", count("\t")), ("Ġ", count("Ġ")), ("▁", count("▁"))]
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(b.0)))
        .map(|(s, _)| s)
        .filter(|&s| s != "Ġ");
    let byte_level = !text.contains("ма");
    let added: Vec<String> = json
        .get("added_tokens")
        .and_then(|a| a.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|t| t.get("content").and_then(|c| c.as_str()))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    Ok(decode_qtok(
        vocab.keys().map(String::as_str),
        replace,
        byte_level,
        &added,
    ))
}

/// The same decoding for a byte-level vocabulary given as raw bytes (tiktoken ranks): each entry is
/// written in GPT-2's byte map, as its tokenizer.json would hold it, then decoded as Qtok does.
pub fn qtok_tokens_from_bytes<'a>(
    entries: impl Iterator<Item = &'a [u8]>,
    added: &[String],
) -> Vec<String> {
    let b2c = byte_to_char();
    let raws: Vec<String> = entries
        .map(|b| b.iter().map(|&x| b2c[x as usize]).collect())
        .collect();
    decode_qtok(raws.iter().map(String::as_str), None, true, added)
}

/// Python's `eval` of a `<0x…>` piece's inner text, for the integer literals it can be.
fn eval_int(s: &str) -> Option<u32> {
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return u32::from_str_radix(h, 16).ok();
    }
    if !s.is_empty() && s.bytes().all(|b| b == b'0') {
        return Some(0);
    }
    if s.starts_with('0') {
        return None;
    }
    s.parse().ok()
}

fn decode_qtok<'a>(
    raws: impl Iterator<Item = &'a str>,
    replace: Option<&str>,
    byte_level: bool,
    added: &[String],
) -> Vec<String> {
    let b2c = byte_to_char();
    let mut c2b = std::collections::HashMap::new();
    for (b, &c) in b2c.iter().enumerate() {
        c2b.insert(c, b as u8);
    }
    let mut out: HashSet<String> = HashSet::new();
    for raw in raws {
        let mut raw = raw.to_string();
        if let Some(r) = replace {
            if raw.starts_with(r) && raw.chars().count() > 1 {
                let rest = &raw[r.len()..];
                raw = format!("{}{rest}", if byte_level { "Ġ" } else { " " });
            }
        }
        if raw.starts_with("<0") && matches!(raw.chars().nth(2), Some('x' | 'X')) {
            let chars: Vec<char> = raw.chars().collect();
            let inner: String = chars[1..chars.len() - 1].iter().collect();
            if let Some(b) = eval_int(&inner).filter(|&b| b < 256) {
                out.insert(b2c[b as usize].to_string());
                continue;
            }
        }
        let token = if byte_level {
            let bytes: Vec<u8> = raw
                .chars()
                .map(|c| c2b.get(&c).copied().unwrap_or(0xFF))
                .collect();
            match std::str::from_utf8(&bytes) {
                Ok(s) if !s.contains('\u{FFFD}') => s.to_string(),
                _ => format!("<0y{raw}>"),
            }
        } else {
            let mut it = raw.chars();
            match (it.next(), it.next()) {
                (Some(c), None) if c2b.contains_key(&c) => format!("0X{:X}", c2b[&c]),
                _ => raw,
            }
        };
        out.insert(token);
    }
    for a in added {
        out.insert(a.clone());
    }
    let mut v: Vec<String> = out.into_iter().collect();
    v.sort_unstable();
    v
}

/// First word of a character's Unicode name; `None` for characters without a name.
fn name_head(c: char) -> Option<String> {
    let name = unicode_names2::name(c)?.to_string();
    name.split_whitespace().next().map(str::to_string)
}

/// Qtok's category of a decoded token, and the script for alphabetic categories.
pub fn classify(token: &str) -> (&'static str, Option<String>) {
    let chars: Vec<char> = token.chars().collect();
    let b2c = byte_to_char();
    if chars.len() == 1 {
        let c = chars[0];
        if b2c.contains(&c) {
            return ("pure_unicode", None);
        }
        return match name_head(c) {
            None => ("char_errors", None),
            Some(h) if SCRIPTS.contains(&h.as_str()) => ("char_alpha", Some(h)),
            Some(_) => ("char_other", None),
        };
    }
    let heads =
        |cs: &[char]| -> Option<HashSet<String>> { cs.iter().map(|&c| name_head(c)).collect() };
    if chars.first() == Some(&' ') {
        let Some(hits) = heads(&chars[1..]) else {
            return ("spaced_errors", None);
        };
        return single_script(hits, "spaced_alpha", "spaced_other");
    }
    let n = chars.len();
    let angled = chars[0] == '<' && chars[n - 1] == '>' && !token.contains("<0y");
    let squared = chars[0] == '[' && chars[n - 1] == ']';
    if angled || squared {
        let inner: String = chars[1..n - 1].iter().collect();
        let inner = inner.to_lowercase().replace('/', "");
        if !HTML_TAGS.contains(&inner.as_str()) {
            return ("control_tokens", None);
        }
    }
    if token.starts_with("<0y") {
        return ("unicode_flanks", None);
    }
    let Some(hits) = heads(&chars) else {
        return ("inner_errors", None);
    };
    single_script(hits, "inner_alpha", "inner_other")
}

fn single_script(
    hits: HashSet<String>,
    alpha: &'static str,
    other: &'static str,
) -> (&'static str, Option<String>) {
    if hits.len() == 1 {
        if let Some(h) = hits.into_iter().next() {
            if SCRIPTS.contains(&h.as_str()) {
                return (alpha, Some(h));
            }
        }
    }
    (other, None)
}

/// Category and script counts of one vocabulary.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VocabStats {
    /// Distinct decoded tokens.
    pub tokens: usize,
    /// Count per category, in [`CATEGORIES`] order.
    pub categories: [usize; 12],
    /// Alphabetic tokens per (category, script).
    pub scripts: BTreeMap<(String, String), usize>,
}

/// Classifies every token of a vocabulary.
pub fn vocab_stats(tokens: &[String]) -> VocabStats {
    let mut s = VocabStats {
        tokens: tokens.len(),
        ..VocabStats::default()
    };
    for t in tokens {
        let (cat, script) = classify(t);
        if let Some(i) = CATEGORIES.iter().position(|&c| c == cat) {
            s.categories[i] += 1;
        }
        if let Some(sc) = script {
            *s.scripts.entry((cat.to_string(), sc)).or_insert(0) += 1;
        }
    }
    s
}

/// What each Qtok category means, for table rows.
fn category_description(cat: &str) -> &'static str {
    match cat {
        "control_tokens" => "control tokens (<…>, […])",
        "pure_unicode" => "single bytes",
        "char_alpha" => "single letters of a script",
        "spaced_alpha" => "space + letters of one script",
        "inner_alpha" => "letters of one script, no space",
        "char_other" => "single other characters",
        "spaced_other" => "space + mixed/other characters",
        "inner_other" => "mixed/other characters, no space",
        "unicode_flanks" => "partial UTF-8 (<0y…>)",
        "char_errors" => "single unnamed characters",
        "spaced_errors" => "space + unnamed characters",
        _ => "unnamed characters, no space",
    }
}

/// Qtok's vocabulary tables for several tokenizers: category counts and shares, alphabetic tokens per
/// script (share of each tokenizer's alphabetic tokens), and the decoded tokens each pair shares.
pub fn vocab_tables(
    tokenizers: &[&dyn crate::Tokenizer],
) -> Result<Vec<xling_core::LangTable>, TokenizeError> {
    use rayon::prelude::*;
    use xling_core::Signature;
    use xling_core::table::{Better, Cell, Column, ColumnKind, LangTable, Row};

    let decoded: Vec<Vec<String>> = tokenizers
        .par_iter()
        .map(|t| t.qtok_tokens())
        .collect::<Result<_, _>>()?;
    let stats: Vec<VocabStats> = decoded.par_iter().map(|d| vocab_stats(d)).collect();
    let ids: Vec<String> = tokenizers
        .iter()
        .map(|t| format!("{}={}", t.name(), t.identity()))
        .collect();
    let sig = |what: &str| {
        Signature::new("tokenizers-vocab")
            .with("table", what)
            .with("method", "qtok-0.11.0")
            .with("tok", ids.join(","))
    };
    let table_err = |e: xling_core::table::TableError| TokenizeError::Encode {
        name: "vocabulary table".into(),
        reason: e.to_string(),
    };

    // 1. Categories.
    let mut cols = Vec::new();
    for t in tokenizers {
        cols.push(
            Column::new(
                &format!("{}.count", t.name()),
                &format!("{} tokens", t.name()),
                ColumnKind::Int,
                Better::Neither,
                "Distinct decoded vocabulary entries in the category (Qtok).",
            )
            .charted(false),
        );
        cols.push(Column::new(
            &format!("{}.share", t.name()),
            &format!("{} share", t.name()),
            ColumnKind::Percent { decimals: 2 },
            Better::Neither,
            "Share of the tokenizer's vocabulary.",
        ));
    }
    let mut cat_table = LangTable::new(
        "Vocabulary composition (Qtok categories)",
        cols,
        sig("categories"),
    );
    for (c, cat) in CATEGORIES.iter().enumerate() {
        let mut cells = Vec::new();
        for s in &stats {
            cells.push(Cell::Int(s.categories[c] as i64));
            cells.push(if s.tokens > 0 {
                Cell::Float(s.categories[c] as f64 / s.tokens as f64)
            } else {
                Cell::Missing
            });
        }
        cat_table
            .push(Row {
                key: cat.to_string(),
                name: category_description(cat).into(),
                script: "Zyyy".into(),
                cells,
            })
            .map_err(table_err)?;
    }
    cat_table.notes.push(
        "Rows are Qtok's token categories, not languages; counts are of distinct decoded entries (added tokens included), as the qtok package counts them."
            .into(),
    );

    // 2. Scripts of alphabetic tokens.
    let mut scripts: Vec<String> = stats
        .iter()
        .flat_map(|s| s.scripts.keys().map(|(_, sc)| sc.clone()))
        .collect();
    scripts.sort_unstable();
    scripts.dedup();
    let per_script = |s: &VocabStats, sc: &str| -> usize {
        s.scripts
            .iter()
            .filter(|((_, x), _)| x == sc)
            .map(|(_, n)| n)
            .sum()
    };
    let alpha_total = |s: &VocabStats| -> usize { s.scripts.values().sum() };
    let mut cols = Vec::new();
    for t in tokenizers {
        cols.push(
            Column::new(
                &format!("{}.alpha", t.name()),
                &format!("{} tokens", t.name()),
                ColumnKind::Int,
                Better::Neither,
                "Alphabetic tokens (single letter, spaced or inner) of the script.",
            )
            .charted(false),
        );
        cols.push(Column::new(
            &format!("{}.alpha_share", t.name()),
            &format!("{} share", t.name()),
            ColumnKind::Percent { decimals: 2 },
            Better::Neither,
            "Share of the tokenizer's alphabetic tokens.",
        ));
    }
    let mut script_table = LangTable::new(
        "Vocabulary scripts (Qtok, alphabetic tokens)",
        cols,
        sig("scripts"),
    );
    for sc in &scripts {
        let mut cells = Vec::new();
        for s in &stats {
            let n = per_script(s, sc);
            cells.push(Cell::Int(n as i64));
            let tot = alpha_total(s);
            cells.push(if tot > 0 {
                Cell::Float(n as f64 / tot as f64)
            } else {
                Cell::Missing
            });
        }
        script_table
            .push(Row {
                key: sc.clone(),
                name: format!("{} script (Unicode name)", sc.to_lowercase()),
                script: "Zyyy".into(),
                cells,
            })
            .map_err(table_err)?;
    }
    script_table.sort_by_column(
        &format!("{}.alpha", tokenizers.first().map_or("", |t| t.name())),
        true,
    );
    script_table.notes.push(
        "Script = first word of the Unicode character name, for the scripts Qtok lists (LATIN, CYRILLIC, CJK, …).".into(),
    );

    // 3. Shared tokens.
    let sets: Vec<HashSet<&str>> = decoded
        .iter()
        .map(|d| d.iter().map(String::as_str).collect())
        .collect();
    let mut cols = vec![
        Column::new(
            "vocab",
            "distinct tokens",
            ColumnKind::Int,
            Better::Neither,
            "Distinct decoded vocabulary entries.",
        )
        .charted(false),
    ];
    for t in tokenizers {
        cols.push(
            Column::new(
                &format!("shared.{}", t.name()),
                &format!("shared with {}", t.name()),
                ColumnKind::Int,
                Better::Neither,
                "Decoded entries the two tokenizers share.",
            )
            .charted(false),
        );
    }
    let mut shared = LangTable::new(
        "Vocabulary overlap (decoded tokens shared)",
        cols,
        sig("shared"),
    );
    for (i, t) in tokenizers.iter().enumerate() {
        let mut cells = vec![Cell::Int(sets[i].len() as i64)];
        for s in &sets {
            cells.push(Cell::Int(sets[i].intersection(s).count() as i64));
        }
        shared
            .push(Row {
                key: t.name().to_string(),
                name: t.identity(),
                script: "Zyyy".into(),
                cells,
            })
            .map_err(table_err)?;
    }
    if sets.len() > 1 {
        let all = sets[0]
            .iter()
            .filter(|t| sets[1..].iter().all(|s| s.contains(*t)))
            .count();
        shared.notes.push(format!(
            "{all} decoded tokens are in every tokenizer's vocabulary."
        ));
    }
    Ok(vec![cat_table, script_table, shared])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_like_qtok() {
        assert_eq!(classify("a"), ("pure_unicode", None));
        assert_eq!(classify("я"), ("char_alpha", Some("CYRILLIC".into())));
        assert_eq!(classify(" the"), ("spaced_alpha", Some("LATIN".into())));
        assert_eq!(classify("ing"), ("inner_alpha", Some("LATIN".into())));
        assert_eq!(classify("<|endoftext|>"), ("control_tokens", None));
        assert_eq!(classify("<br>").0, "inner_other");
        assert_eq!(classify("<0yĠà¤>"), ("unicode_flanks", None));
        assert_eq!(classify("\u{0}\u{1}"), ("inner_errors", None));
        assert_eq!(classify("中文"), ("inner_alpha", Some("CJK".into())));
    }
}
