//! Exact match and token F1 with the SQuAD v1.1 normalisation (Rajpurkar et al. 2016), as in the official
//! `evaluate-v1.1.py`: lowercase, remove ASCII punctuation, remove the articles `a`, `an`, `the` (whole
//! words), collapse whitespace. F1 counts the tokens shared by prediction and answer (multiset
//! intersection); both take the maximum over the gold answers.

use std::collections::HashMap;

use crate::pystr;

/// SQuAD's `normalize_answer`.
pub fn normalize_answer(s: &str) -> String {
    let lower = pystr::lower(s);
    let no_punc: String = lower
        .chars()
        .filter(|c| !c.is_ascii_punctuation())
        .collect();
    // `re.sub(r'\b(a|an|the)\b', ' ', text)`: whole words between Unicode word boundaries.
    let chars: Vec<char> = no_punc.chars().collect();
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = String::with_capacity(no_punc.len());
    let mut i = 0;
    while i < chars.len() {
        let at_boundary = i == 0 || !is_word(chars[i - 1]);
        let mut matched = 0;
        if at_boundary {
            for art in ["the", "an", "a"] {
                let n = art.len();
                if i + n <= chars.len()
                    && chars[i..i + n].iter().copied().eq(art.chars())
                    && (i + n == chars.len() || !is_word(chars[i + n]))
                {
                    matched = n;
                    break;
                }
            }
        }
        if matched > 0 {
            out.push(' ');
            i += matched;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    pystr::join_split(&out)
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
    let p = normalize_answer(prediction);
    let g = normalize_answer(answer);
    let pt: Vec<&str> = pystr::split(&p).collect();
    let gt: Vec<&str> = pystr::split(&g).collect();
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
}
