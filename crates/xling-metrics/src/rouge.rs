//! ROUGE-L (Lin 2004) equal to Google's `rouge-score` 0.1.2 (`RougeScorer(["rougeL"])`, no stemmer).
//!
//! Its tokenizer lowercases, replaces every run of characters other than ASCII `a-z0-9` by a space and
//! splits: text in other scripts has no tokens at all (a limitation of the reference package that we keep,
//! since scores must match). Precision and recall are the longest common subsequence over the prediction
//! and target lengths; F is their harmonic mean; 0 when either side has no tokens.

use crate::pystr;

/// Precision, recall and F-measure, as `rouge_score.scoring.Score`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RougeScore {
    /// LCS / prediction length.
    pub precision: f64,
    /// LCS / target length.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub fmeasure: f64,
}

/// `rouge_score.tokenize.tokenize(text, None)`.
pub fn tokenize(text: &str) -> Vec<String> {
    let lower = pystr::lower(text);
    lower
        .split(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

fn lcs(a: &[String], b: &[String]) -> usize {
    let mut prev = vec![0usize; b.len() + 1];
    let mut cur = vec![0usize; b.len() + 1];
    for x in a {
        for (j, y) in b.iter().enumerate() {
            cur[j + 1] = if x == y {
                prev[j] + 1
            } else {
                prev[j + 1].max(cur[j])
            };
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// ROUGE-L of `prediction` against `target`.
pub fn rouge_l(target: &str, prediction: &str) -> RougeScore {
    let (t, p) = (tokenize(target), tokenize(prediction));
    if t.is_empty() || p.is_empty() {
        return RougeScore::default();
    }
    let l = lcs(&t, &p) as f64;
    let precision = l / p.len() as f64;
    let recall = l / t.len() as f64;
    let fmeasure = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    RougeScore {
        precision,
        recall,
        fmeasure,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_rouge_score() {
        assert_eq!(
            tokenize("The cat's 2 HATS—über"),
            ["the", "cat", "s", "2", "hats", "ber"]
        );
        let s = rouge_l("the cat sat on the mat", "the cat lay on the mat");
        assert!((s.fmeasure - 5.0 / 6.0).abs() < 1e-15);
        assert_eq!(rouge_l("", "a"), RougeScore::default());
    }
}
