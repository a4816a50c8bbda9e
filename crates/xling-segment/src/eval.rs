//! Evaluation with the protocol of "Where's the Point?" (WtP, Minixhofer et al. 2023) and SaT
//! (Frohmann et al. 2024), as implemented in `wtpsplit.evaluation`:
//!
//! 1. every gold sentence is preprocessed: U+200F removed, leading `-` and surrounding whitespace stripped,
//!    NFKC, runs of whitespace collapsed to one space;
//! 2. the sentences are joined with the language's separator (a space, or nothing for scripts written
//!    without spaces: Han, Japanese, Thai, Lao, Khmer, Myanmar, Tibetan);
//! 3. the gold label positions are the character offsets just after each separator (the end of the text
//!    for the last sentence); predicted positions are the cumulative character lengths of the predicted
//!    segments;
//! 4. precision, recall and F1 are computed over positions (binary, sklearn's `f1_score`); the end of the
//!    text counts, as in wtpsplit. Scores are averaged over languages (macro).
//!
//! The corrupted setting lower-cases the text and removes every punctuation character (Unicode general
//! category P*) before joining, like wtpsplit's `corrupt(…, do_lowercase=True, do_remove_punct=True)`.

use std::collections::HashSet;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use icu_normalizer::ComposingNormalizerBorrowed;
use icu_properties::CodePointMapData;
use icu_properties::props::{GeneralCategory, GeneralCategoryGroup};
use serde::Serialize;
use xling_core::corpus::lines::LineReader;
use xling_core::{CorpusError, Language, Script, registry};

/// Position scores of one language.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Scores {
    /// Gold boundaries found.
    pub tp: usize,
    /// Predicted boundaries that are not gold.
    pub fp: usize,
    /// Gold boundaries missed.
    pub fn_: usize,
}

impl Scores {
    /// `tp / (tp + fp)`, 0 when nothing was predicted.
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }

    /// `tp / (tp + fn)`, 0 when there is no gold boundary.
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }

    /// Harmonic mean of precision and recall, 0 when both are 0 (sklearn's `zero_division=0`).
    pub fn f1(&self) -> f64 {
        ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn_)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// The gold sentences of one language.
#[derive(Debug, Clone)]
pub struct GoldSet {
    /// Row key (the language code, or the file stem when the language is unknown).
    pub key: String,
    /// The language, when the file name says it.
    pub lang: Option<&'static Language>,
    /// Where the sentences came from.
    pub source: PathBuf,
    /// The sentences, in order, as written in the file.
    pub sentences: Vec<String>,
}

/// wtpsplit's sentence preprocessing: drop U+200F, strip a leading `-` and surrounding whitespace, NFKC,
/// collapse whitespace runs to one space.
pub fn preprocess(sentence: &str) -> String {
    let s = sentence.replace('\u{200F}', "");
    let s = s.trim_start_matches('-').trim();
    let nfkc = ComposingNormalizerBorrowed::new_nfkc().normalize(s);
    let mut out = String::with_capacity(nfkc.len());
    let mut in_space = false;
    for c in nfkc.chars() {
        if c.is_whitespace() {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            out.push(c);
            in_space = false;
        }
    }
    out
}

/// Lower-cases and removes punctuation (general category P*): the "corrupted" evaluation setting.
pub fn corrupt(sentence: &str) -> String {
    let gc = CodePointMapData::<GeneralCategory>::new();
    sentence
        .chars()
        .filter(|c| !GeneralCategoryGroup::Punctuation.contains(gc.get(*c)))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The separator between sentences in running text: nothing for scripts written without spaces.
pub fn separator(lang: Option<&Language>) -> &'static str {
    let unspaced = [
        "Hans", "Hant", "Hani", "Jpan", "Thai", "Laoo", "Khmr", "Mymr", "Tibt",
    ];
    match lang {
        Some(l) if unspaced.iter().any(|s| Script::parse(s) == Some(l.script)) => "",
        _ => " ",
    }
}

/// Joins preprocessed sentences and returns the text with the gold boundary positions (in characters).
pub fn gold_text(sentences: &[String], sep: &str) -> (String, HashSet<usize>) {
    let sep_chars = sep.chars().count();
    let mut text = String::new();
    let mut gold = HashSet::new();
    let mut pos = 0;
    for (i, s) in sentences.iter().enumerate() {
        if i > 0 {
            text.push_str(sep);
        }
        text.push_str(s);
        pos += s.chars().count() + if i > 0 { sep_chars } else { 0 };
        // The label sits after the separator that follows the sentence; the last sentence has none.
        gold.insert(if i + 1 < sentences.len() {
            pos + sep_chars
        } else {
            pos
        });
    }
    (text, gold)
}

/// Scores predicted segment ends (byte offsets into `text`) against gold positions (characters).
pub fn score(text: &str, gold: &HashSet<usize>, predicted_byte_ends: &[usize]) -> Scores {
    let mut predicted = HashSet::new();
    let mut chars = 0;
    let mut last = 0;
    for &end in predicted_byte_ends {
        chars += text.get(last..end).map_or(0, |s| s.chars().count());
        last = end;
        predicted.insert(chars);
    }
    let tp = predicted.intersection(gold).count();
    Scores {
        tp,
        fp: predicted.len() - tp,
        fn_: gold.len() - tp,
    }
}

/// Reads gold sentences: a directory of files, or one file. A `.tsv` file needs a header with a `text`
/// column (UD-PUD's `doc_id sent_id text`); any other file has one sentence per line. The language comes
/// from the file name (`en_pud.tsv` → English, `hin_Deva.txt` → Hindi); blank lines are skipped.
pub fn read_gold(path: &Path) -> Result<Vec<GoldSet>, CorpusError> {
    let meta = std::fs::metadata(path).map_err(|e| io_err(path, e))?;
    let files: Vec<PathBuf> = if meta.is_dir() {
        let mut v: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| io_err(path, e))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("tsv" | "txt"))
            })
            .filter(|p| p.file_name().and_then(|n| n.to_str()) != Some("index.tsv"))
            .collect();
        v.sort();
        v
    } else {
        vec![path.to_path_buf()]
    };
    if files.is_empty() {
        return Err(CorpusError::Unrecognised(path.to_path_buf()));
    }
    files.iter().map(|f| read_gold_file(f)).collect()
}

fn io_err(path: &Path, e: std::io::Error) -> CorpusError {
    if e.kind() == std::io::ErrorKind::NotFound {
        CorpusError::NotFound(path.to_path_buf())
    } else {
        CorpusError::Io {
            path: path.to_path_buf(),
            source: e,
        }
    }
}

fn read_gold_file(path: &Path) -> Result<GoldSet, CorpusError> {
    let f = File::open(path).map_err(|e| io_err(path, e))?;
    let tsv = path.extension().and_then(|e| e.to_str()) == Some("tsv");
    let mut text_col: Option<usize> = None;
    let mut sentences = Vec::new();
    let mut any = false;
    for line in LineReader::new(BufReader::new(f), path) {
        let line = line?;
        any = true;
        if tsv && text_col.is_none() {
            let col = line.text.split('\t').position(|c| c.trim() == "text");
            text_col = Some(col.ok_or_else(|| CorpusError::Malformed {
                path: path.to_path_buf(),
                line: line.number,
                message: "the header must name a `text` column".into(),
            })?);
            continue;
        }
        let text = match text_col {
            Some(c) => line
                .text
                .split('\t')
                .nth(c)
                .ok_or_else(|| CorpusError::Malformed {
                    path: path.to_path_buf(),
                    line: line.number,
                    message: format!("no column {} (the `text` column)", c + 1),
                })?,
            None => line.text.as_str(),
        };
        if !text.trim().is_empty() {
            sentences.push(text.to_string());
        }
    }
    if !any {
        return Err(CorpusError::Empty(path.to_path_buf()));
    }
    if sentences.is_empty() {
        return Err(CorpusError::OnlyBlank(path.to_path_buf()));
    }
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let lang = [stem, stem.split(['_', '.']).next().unwrap_or("")]
        .iter()
        .find_map(|q| registry().resolve(q).ok())
        .map(|r| r.lang);
    let key = lang.map_or_else(|| stem.to_string(), |l| l.code.clone());
    Ok(GoldSet {
        key,
        lang,
        source: path.to_path_buf(),
        sentences,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preprocessing_matches_wtpsplit() {
        assert_eq!(preprocess("- Hello\u{200F}   world\t!  "), "Hello world !");
        assert_eq!(preprocess("ﬁne ＡＢ"), "fine AB");
    }

    #[test]
    fn gold_positions_follow_the_separator() {
        let s = vec!["Ab.".to_string(), "Cd.".to_string()];
        let (text, gold) = gold_text(&s, " ");
        assert_eq!(text, "Ab. Cd.");
        assert_eq!(gold, HashSet::from([4, 7]));
        let (text, gold) = gold_text(&s, "");
        assert_eq!(text, "Ab.Cd.");
        assert_eq!(gold, HashSet::from([3, 6]));
    }

    #[test]
    fn scores() {
        let (text, gold) = gold_text(&["a.".to_string(), "b.".to_string(), "c.".to_string()], " ");
        // Predict after "a. " and at the end: 2 TP, 1 FN.
        let s = score(&text, &gold, &[3, text.len()]);
        assert_eq!(
            s,
            Scores {
                tp: 2,
                fp: 0,
                fn_: 1
            }
        );
        assert!((s.f1() - 0.8).abs() < 1e-12);
        assert_eq!(
            Scores {
                tp: 0,
                fp: 0,
                fn_: 0
            }
            .f1(),
            0.0
        );
    }

    #[test]
    fn corruption_lowercases_and_drops_punctuation() {
        assert_eq!(corrupt("Hello, World! «Ça» 3.5"), "hello world ça 35");
        assert_eq!(corrupt("你好。"), "你好");
    }
}
