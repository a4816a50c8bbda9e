//! Answer extraction from generations, and the normalisation exact match compares with.
//!
//! Follows lm-evaluation-harness's MGSM filters: `strict-match` takes the number after an answer
//! phrase ("The answer is …", chain of thought) or the whole trimmed response (direct answers);
//! `flexible-extract` takes the last number-like span of the response. xling also maps the decimal
//! digits of other scripts (Bengali, Devanagari, Thai, Telugu, Arabic-Indic, full-width …) to ASCII
//! first — a model answering "১৮" in Bengali is right — and says so in the results.

use regex::Regex;
use serde::Serialize;

/// How an extractor finds the answer.
#[derive(Debug, Clone)]
pub enum ExtractKind {
    /// The whole response, trimmed (lm-evaluation-harness `remove_whitespace` + `take_first`).
    Whole,
    /// The number after one of these phrases (`The answer is`), the first occurrence.
    AfterPhrase(Vec<String>),
    /// The last number-like span (`flexible-extract`).
    LastNumber,
    /// The first capture group (or whole match) of a regular expression, the first match.
    Regex(Regex),
}

/// A named answer extractor: gives the metric `exact_match,<name>`.
#[derive(Debug, Clone, Serialize)]
pub struct Extractor {
    /// Filter name (`strict-match`, `flexible-extract`).
    pub name: String,
    /// How it works.
    #[serde(skip)]
    pub kind: ExtractKind,
}

impl Extractor {
    /// A named extractor.
    pub fn new(name: &str, kind: ExtractKind) -> Self {
        Extractor {
            name: name.to_string(),
            kind,
        }
    }

    /// The extracted answer, or `[invalid]` when nothing matches (lm-evaluation-harness's fallback).
    pub fn extract(&self, response: &str) -> String {
        let text = ascii_digits(response);
        let found = match &self.kind {
            ExtractKind::Whole => Some(text.trim().to_string()),
            ExtractKind::AfterPhrase(phrases) => phrases.iter().find_map(|p| {
                let at = text.find(p.as_str())?;
                first_number(&text[at + p.len()..])
            }),
            ExtractKind::LastNumber => last_number(&text),
            ExtractKind::Regex(re) => re.captures(&text).and_then(|c| {
                c.get(1)
                    .or_else(|| c.get(0))
                    .map(|m| m.as_str().to_string())
            }),
        };
        found.unwrap_or_else(|| "[invalid]".to_string())
    }
}

fn number_re() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    // lm-evaluation-harness's flexible-extract pattern for MGSM: `(-?[$0-9.,]{2,})|(-?[0-9]+)`.
    RE.get_or_init(|| Regex::new(r"(-?[$0-9.,]{2,})|(-?[0-9]+)").expect("static regex"))
}

fn first_number(text: &str) -> Option<String> {
    number_re()
        .find_iter(text)
        .map(|m| m.as_str().to_string())
        .find(|s| s.chars().any(|c| c.is_ascii_digit()))
}

fn last_number(text: &str) -> Option<String> {
    number_re()
        .find_iter(text)
        .map(|m| m.as_str().to_string())
        .filter(|s| s.chars().any(|c| c.is_ascii_digit()))
        .last()
}

/// Maps the decimal digits of other scripts to ASCII digits.
pub fn ascii_digits(s: &str) -> String {
    const ZEROS: [u32; 14] = [
        0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6,
        0x0D66, 0x0E50, 0x0ED0,
    ];
    const MORE: [u32; 5] = [0x0F20, 0x1040, 0x17E0, 0x1810, 0xFF10];
    s.chars()
        .map(|c| {
            let u = c as u32;
            for z in ZEROS.iter().chain(MORE.iter()) {
                if (*z..*z + 10).contains(&u) {
                    return char::from(b'0' + (u - z) as u8);
                }
            }
            c
        })
        .collect()
}

/// Normalises an answer for exact match as lm-evaluation-harness's MGSM config does: commas, `$` and
/// a final `.` removed, whitespace trimmed, case folded; digits of other scripts mapped to ASCII.
pub fn normalize_answer(s: &str) -> String {
    let mut t: String = ascii_digits(s)
        .chars()
        .filter(|&c| c != ',' && c != '$')
        .collect::<String>()
        .trim()
        .to_lowercase();
    if let Some(stripped) = t.strip_suffix('.') {
        t = stripped.to_string();
    }
    t.trim().to_string()
}

/// Cuts a generation before the earliest stop string.
pub fn cut_at_stop(text: &str, until: &[String]) -> String {
    let end = until
        .iter()
        .filter(|u| !u.is_empty())
        .filter_map(|u| text.find(u.as_str()))
        .min()
        .unwrap_or(text.len());
    text[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extractors_follow_the_mgsm_filters() {
        let strict = Extractor::new(
            "strict-match",
            ExtractKind::AfterPhrase(vec!["The answer is".into()]),
        );
        let flex = Extractor::new("flexible-extract", ExtractKind::LastNumber);
        let r = "She has 16 - 3 - 4 = 9 eggs. 9 * 2 = 18. The answer is $18.";
        assert_eq!(normalize_answer(&strict.extract(r)), "18");
        assert_eq!(normalize_answer(&flex.extract(r)), "18");
        assert_eq!(strict.extract("no phrase 12"), "[invalid]");
        assert_eq!(flex.extract("nothing"), "[invalid]");
        assert_eq!(
            normalize_answer(&flex.extract("total 70,000 dollars")),
            "70000"
        );
        assert_eq!(normalize_answer(&flex.extract("উত্তর ১৮")), "18");
        let whole = Extractor::new("strict-match", ExtractKind::Whole);
        assert_eq!(normalize_answer(&whole.extract(" 18.\n")), "18");
    }

    #[test]
    fn stop_strings_cut_at_the_earliest() {
        let u = vec!["\n\n".to_string(), "Question:".to_string()];
        assert_eq!(cut_at_stop("18\nQuestion: x\n\ny", &u), "18\n");
        assert_eq!(cut_at_stop("18", &u), "18");
    }
}
