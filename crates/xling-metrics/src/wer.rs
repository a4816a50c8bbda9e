//! Word and character error rates, equal to `jiwer` 4.0.0's `wer` and `cer` with their default transforms.
//!
//! WER: in each sentence runs of two or more whitespace characters become one space (`\s\s+` → ` `), the
//! ends are stripped, and words are split on the space character; CER: the stripped sentence's characters
//! (spaces included). The rate is the summed Levenshtein distance over the summed reference length; with
//! no reference tokens at all jiwer returns the number of insertions, and so do we. (jiwer's MER, WIL and
//! WIP depend on which optimal alignment rapidfuzz picks, so they are not offered.)

use crate::MetricsError;
use crate::ngram::FxMap;
use crate::pystr;

/// jiwer's `wer_default` word list of one sentence.
pub fn jiwer_words(s: &str) -> Vec<&str> {
    // `re.sub(r"\s\s+", " ", s)`, `strip()`, `split(" ")` without empty words: a single whitespace
    // character other than the space does not separate words, a run of two or more does.
    let s = pystr::strip(s);
    let mut words = Vec::new();
    let mut start = 0;
    let mut iter = s.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        let run_end = |it: &mut std::iter::Peekable<std::str::CharIndices<'_>>| {
            let mut n = 1;
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = it.peek() {
                if !pystr::is_space(d) {
                    break;
                }
                n += 1;
                end = j + d.len_utf8();
                it.next();
            }
            (n, end)
        };
        if pystr::is_space(c) {
            let (n, end) = run_end(&mut iter);
            if n >= 2 || c == ' ' {
                if i > start {
                    words.push(&s[start..i]);
                }
                start = end;
            }
        }
    }
    if start < s.len() {
        words.push(&s[start..]);
    }
    words
}

fn word_ids<'a>(ws: &[&'a str], vocab: &mut FxMap<&'a str, u32>) -> Vec<u32> {
    ws.iter()
        .map(|w| {
            let next = vocab.len() as u32;
            *vocab.entry(w).or_insert(next)
        })
        .collect()
}

fn levenshtein<T: PartialEq>(a: &[T], b: &[T], row: &mut Vec<usize>) -> usize {
    row.clear();
    row.extend(0..=b.len());
    for (i, x) in a.iter().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, y) in b.iter().enumerate() {
            let up = row[j + 1];
            let v = if x == y {
                diag
            } else {
                1 + diag.min(up).min(row[j])
            };
            diag = up;
            row[j + 1] = v;
        }
    }
    row[b.len()]
}

fn check(n_ref: usize, n_hyp: usize) -> Result<(), MetricsError> {
    if n_ref != n_hyp {
        return Err(MetricsError::LengthMismatch {
            index: 0,
            got: n_ref,
            expected: n_hyp,
        });
    }
    Ok(())
}

/// `jiwer.wer(references, hypotheses)`.
pub fn wer<R: AsRef<str>, H: AsRef<str>>(
    references: &[R],
    hypotheses: &[H],
) -> Result<f64, MetricsError> {
    check(references.len(), hypotheses.len())?;
    let (mut edits, mut n_ref, mut n_hyp) = (0usize, 0usize, 0usize);
    let mut row = Vec::new();
    for (r, h) in references.iter().zip(hypotheses) {
        let (rw, hw) = (jiwer_words(r.as_ref()), jiwer_words(h.as_ref()));
        let mut vocab: FxMap<&str, u32> = FxMap::default();
        let ri = word_ids(&rw, &mut vocab);
        let hi = word_ids(&hw, &mut vocab);
        edits += levenshtein(&ri, &hi, &mut row);
        n_ref += ri.len();
        n_hyp += hi.len();
    }
    Ok(rate(edits, n_ref, n_hyp))
}

/// `jiwer.cer(references, hypotheses)`.
pub fn cer<R: AsRef<str>, H: AsRef<str>>(
    references: &[R],
    hypotheses: &[H],
) -> Result<f64, MetricsError> {
    check(references.len(), hypotheses.len())?;
    let (mut edits, mut n_ref, mut n_hyp) = (0usize, 0usize, 0usize);
    let mut row = Vec::new();
    for (r, h) in references.iter().zip(hypotheses) {
        let rc: Vec<char> = pystr::strip(r.as_ref()).chars().collect();
        let hc: Vec<char> = pystr::strip(h.as_ref()).chars().collect();
        edits += levenshtein(&rc, &hc, &mut row);
        n_ref += rc.len();
        n_hyp += hc.len();
    }
    Ok(rate(edits, n_ref, n_hyp))
}

fn rate(edits: usize, n_ref: usize, n_hyp: usize) -> f64 {
    if n_ref == 0 {
        // jiwer: "wer = num_insertions" when there are no reference words.
        n_hyp as f64
    } else {
        edits as f64 / n_ref as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_jiwer() {
        assert_eq!(jiwer_words(" a\tb  c \u{a0}d "), ["a\tb", "c", "d"]);
        assert_eq!(wer(&[""], &["a b"]).ok(), Some(2.0));
        assert_eq!(wer(&["", "a"], &["x", "a"]).ok(), Some(1.0));
        assert_eq!(cer(&["ab"], &["a b"]).ok(), Some(0.5));
        assert_eq!(wer(&["a\tb  c"], &["a\tb c"]).ok(), Some(0.0));
        assert_eq!(wer(&[""], &[""]).ok(), Some(0.0));
        assert_eq!(
            wer(&["the cat sat"], &["the bat sat down"]).ok(),
            Some(2.0 / 3.0)
        );
    }
}
