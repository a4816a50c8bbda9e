//! Exact match and token F1 with the SQuAD v1.1 normalisation (Rajpurkar et al. 2016), as in the official
//! `evaluate-v1.1.py`: lowercase, remove ASCII punctuation, remove the articles `a`, `an`, `the` (whole
//! words), collapse whitespace. F1 counts the tokens shared by prediction and answer (multiset
//! intersection); both take the maximum over the gold answers.
//!
//! The MLQA variants ([`normalize_answer_mlqa`], [`exact_match_mlqa`], [`token_f1_mlqa`]) follow MLQA's
//! `mlqa_evaluation_v1.py` (Lewis et al. 2020) for its seven languages ([`MlqaLang`]): lowercase; remove
//! every character of a Unicode punctuation category (`P*`) and ASCII punctuation (`string.punctuation`,
//! which adds the symbols `$ + < = > ^ | ~` and the backtick); remove whole-word articles per language — English `a an the`, Spanish
//! `un una unos unas el la los las`, Vietnamese `của là cái chiếc những`, German `ein eine einen einem
//! eines einer der die das den dem des`, none for Hindi and Chinese — and, for Arabic, every occurrence
//! of `ال` (the script's regular expression `\sال^|ال` can only ever match its second branch); then split
//! on whitespace, Chinese also around each character of U+4E00..U+9FA5, and join with single spaces.
//!
//! "Whole word" is Python's `\b`: word characters are letters and numbers (general categories `L*`,
//! `N*`) and `_`; combining marks are not. Categories come from ICU, Python 3.11's from Unicode 14:
//! characters assigned since then may differ.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use icu_properties::CodePointMapData;
use icu_properties::props::GeneralCategory;

use crate::MetricsError;
use crate::pystr;

/// Python's `re` word character (`\w` on `str`): letters, numbers and `_`.
fn is_word(c: char) -> bool {
    use GeneralCategory as G;
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    matches!(
        CodePointMapData::<GeneralCategory>::new().get(c),
        G::UppercaseLetter
            | G::LowercaseLetter
            | G::TitlecaseLetter
            | G::ModifierLetter
            | G::OtherLetter
            | G::DecimalNumber
            | G::LetterNumber
            | G::OtherNumber
    )
}

/// `re.sub(r'\b(w1|w2|…)\b', ' ', text)` for words made of word characters: a maximal run of word
/// characters equal to one of `words` becomes a space.
fn remove_words(text: &str, words: &[&str]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run_start: Option<usize> = None;
    let flush = |out: &mut String, run: &str| {
        if words.contains(&run) {
            out.push(' ');
        } else {
            out.push_str(run);
        }
    };
    for (i, c) in text.char_indices() {
        if is_word(c) {
            run_start.get_or_insert(i);
        } else {
            if let Some(st) = run_start.take() {
                flush(&mut out, &text[st..i]);
            }
            out.push(c);
        }
    }
    if let Some(st) = run_start {
        flush(&mut out, &text[st..]);
    }
    out
}

/// SQuAD's `normalize_answer`.
pub fn normalize_answer(s: &str) -> String {
    let lower = pystr::lower(s);
    let no_punc: String = lower
        .chars()
        .filter(|c| !c.is_ascii_punctuation())
        .collect();
    pystr::join_split(&remove_words(&no_punc, &["a", "an", "the"]))
}

/// A language of MLQA's evaluation script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MlqaLang {
    /// English.
    En,
    /// Spanish.
    Es,
    /// Hindi.
    Hi,
    /// Vietnamese.
    Vi,
    /// German.
    De,
    /// Arabic.
    Ar,
    /// Chinese.
    Zh,
}

impl MlqaLang {
    /// Every language, in MLQA's order.
    pub const ALL: [MlqaLang; 7] = [
        MlqaLang::En,
        MlqaLang::Es,
        MlqaLang::Hi,
        MlqaLang::Vi,
        MlqaLang::De,
        MlqaLang::Ar,
        MlqaLang::Zh,
    ];

    /// The ISO 639-1 code MLQA uses.
    pub fn code(self) -> &'static str {
        match self {
            MlqaLang::En => "en",
            MlqaLang::Es => "es",
            MlqaLang::Hi => "hi",
            MlqaLang::Vi => "vi",
            MlqaLang::De => "de",
            MlqaLang::Ar => "ar",
            MlqaLang::Zh => "zh",
        }
    }

    fn articles(self) -> &'static [&'static str] {
        match self {
            MlqaLang::En => &["a", "an", "the"],
            MlqaLang::Es => &["un", "una", "unos", "unas", "el", "la", "los", "las"],
            MlqaLang::Vi => &["của", "là", "cái", "chiếc", "những"],
            MlqaLang::De => &[
                "ein", "eine", "einen", "einem", "eines", "einer", "der", "die", "das", "den",
                "dem", "des",
            ],
            MlqaLang::Hi | MlqaLang::Ar | MlqaLang::Zh => &[],
        }
    }
}

impl fmt::Display for MlqaLang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for MlqaLang {
    type Err = MetricsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MlqaLang::ALL
            .into_iter()
            .find(|l| l.code() == s)
            .ok_or_else(|| MetricsError::UnknownQaLanguage {
                name: s.to_string(),
                valid: MlqaLang::ALL.map(MlqaLang::code).join(", "),
            })
    }
}

/// Whether MLQA removes `c` as punctuation: a `P*` general category or ASCII punctuation.
fn is_mlqa_punct(c: char) -> bool {
    use GeneralCategory as G;
    c.is_ascii_punctuation()
        || matches!(
            CodePointMapData::<GeneralCategory>::new().get(c),
            G::ConnectorPunctuation
                | G::DashPunctuation
                | G::OpenPunctuation
                | G::ClosePunctuation
                | G::InitialPunctuation
                | G::FinalPunctuation
                | G::OtherPunctuation
        )
}

/// MLQA's `normalize_answer(s, lang)` (see the [module documentation](self)).
pub fn normalize_answer_mlqa(s: &str, lang: MlqaLang) -> String {
    let lower = pystr::lower(s);
    let no_punc: String = lower.chars().filter(|&c| !is_mlqa_punct(c)).collect();
    let no_art = match lang {
        MlqaLang::Ar => no_punc.replace("ال", " "),
        MlqaLang::Hi | MlqaLang::Zh => no_punc,
        _ => remove_words(&no_punc, lang.articles()),
    };
    if lang == MlqaLang::Zh {
        let mut spaced = String::with_capacity(no_art.len() * 2);
        for c in no_art.chars() {
            if ('\u{4e00}'..='\u{9fa5}').contains(&c) {
                spaced.push(' ');
                spaced.push(c);
                spaced.push(' ');
            } else {
                spaced.push(c);
            }
        }
        return pystr::join_split(&spaced);
    }
    pystr::join_split(&no_art)
}

/// MLQA's exact match: 1.0 when the normalised prediction equals a normalised gold answer.
pub fn exact_match_mlqa<S: AsRef<str>>(prediction: &str, answers: &[S], lang: MlqaLang) -> f64 {
    let p = normalize_answer_mlqa(prediction, lang);
    if answers
        .iter()
        .any(|a| normalize_answer_mlqa(a.as_ref(), lang) == p)
    {
        1.0
    } else {
        0.0
    }
}

/// MLQA's token F1 against the best gold answer.
pub fn token_f1_mlqa<S: AsRef<str>>(prediction: &str, answers: &[S], lang: MlqaLang) -> f64 {
    let p = normalize_answer_mlqa(prediction, lang);
    answers
        .iter()
        .map(|a| f1_tokens(&p, &normalize_answer_mlqa(a.as_ref(), lang)))
        .fold(0.0, f64::max)
}

/// 1.0 when the normalised prediction equals a normalised gold answer, else 0.0.
pub fn exact_match<S: AsRef<str>>(prediction: &str, answers: &[S]) -> f64 {
    let p = normalize_answer(prediction);
    if answers.iter().any(|a| normalize_answer(a.as_ref()) == p) {
        1.0
    } else {
        0.0
    }
}

fn f1_one(prediction: &str, answer: &str) -> f64 {
    f1_tokens(&normalize_answer(prediction), &normalize_answer(answer))
}

/// SQuAD's F1 of two normalised answers: shared tokens (multiset) over prediction and gold lengths.
fn f1_tokens(p: &str, g: &str) -> f64 {
    let pt: Vec<&str> = pystr::split(p).collect();
    let gt: Vec<&str> = pystr::split(g).collect();
    let mut counts: HashMap<&str, i64> = HashMap::new();
    for t in &gt {
        *counts.entry(t).or_default() += 1;
    }
    let mut same = 0i64;
    for t in &pt {
        if let Some(c) = counts.get_mut(t)
            && *c > 0
        {
            *c -= 1;
            same += 1;
        }
    }
    if same == 0 {
        return 0.0;
    }
    let precision = same as f64 / pt.len() as f64;
    let recall = same as f64 / gt.len() as f64;
    (2.0 * precision * recall) / (precision + recall)
}

/// Token F1 against the best gold answer.
pub fn token_f1<S: AsRef<str>>(prediction: &str, answers: &[S]) -> f64 {
    answers
        .iter()
        .map(|a| f1_one(prediction, a.as_ref()))
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squad_semantics() {
        assert_eq!(normalize_answer("The  Eiffel Tower!"), "eiffel tower");
        assert_eq!(normalize_answer("an apple, a theory; the"), "apple theory");
        assert_eq!(normalize_answer("Athens"), "athens");
        assert_eq!(
            exact_match("the Eiffel tower", &["Eiffel Tower", "Paris"]),
            1.0
        );
        assert_eq!(exact_match("tower", &["Eiffel Tower"]), 0.0);
        let f = token_f1("the big Eiffel tower", &["Eiffel Tower in Paris"]);
        // shared 2 tokens; P = 2/3, R = 2/4
        assert!((f - 2.0 * (2.0 / 3.0) * 0.5 / (2.0 / 3.0 + 0.5)).abs() < 1e-15);
        assert_eq!(token_f1("x", &["y"]), 0.0);
        // "a" is an article: "b b" against "b b b" gives P = 1, R = 2/3.
        assert_eq!(token_f1("a b b", &["b b b"]), 0.8);
    }

    #[test]
    fn mlqa_documented_behaviour() {
        use MlqaLang::*;
        assert_eq!(normalize_answer_mlqa("¿El Niño?", Es), "niño");
        assert_eq!(
            normalize_answer_mlqa("Die «Zeit» – das Blatt", De),
            "zeit blatt"
        );
        assert_eq!(normalize_answer_mlqa("القاهرة", Ar), "قاهرة");
        assert_eq!(
            normalize_answer_mlqa("北京 大学，2008年", Zh),
            "北 京 大 学 2008 年"
        );
        assert_eq!(normalize_answer_mlqa("the_end", En), "theend");
        assert_eq!(normalize_answer_mlqa("_the end", En), "end");
        assert_eq!(normalize_answer_mlqa("the1 theory", En), "the1 theory");
        assert_eq!(normalize_answer_mlqa("Là cái nhà", Vi), "nhà");
        assert_eq!(
            "fr".parse::<MlqaLang>()
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default(),
            "unknown MLQA language 'fr' (valid: en, es, hi, vi, de, ar, zh)"
        );
        assert_eq!(exact_match_mlqa("la Casa", &["casa"], Es), 1.0);
        assert_eq!(
            token_f1_mlqa("北京", &["北京大学"], Zh),
            2.0 * 1.0 * 0.5 / 1.5
        );
    }
}
