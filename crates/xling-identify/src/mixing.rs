//! Code-switching: span-level language labels for mixed text, and the usual mixing statistics.
//!
//! Each word gets the model's probabilities for the word on its own; words without letters (numbers,
//! punctuation, emoji) are language-independent. The candidate languages are the best labels of windows
//! of four words (stride two) and the top labels of the whole text; single words are too short to
//! propose languages of their own. A word's label is the candidate maximising the log-probability of the
//! word alone plus that of its context (the text from `window` words before it to `window` after), and runs shorter than `min_words` words are merged into the previous span (or the next, at the
//! start). Statistics, over the final word labels:
//!
//! - **Code-Mixing Index** (Das & Gambäck 2014): `CMI = 100 × (1 − max_L n_L / (n − u))` for `n − u > 0`,
//!   where `n` counts words, `u` language-independent words and `n_L` words in language `L` (0 when all
//!   words are language-independent);
//! - **switch-point fraction**: switches between consecutive language-tagged words / (tagged words − 1);
//! - **M-index** (Barnett et al. 2000): `(1 − Σ p_L²) / ((k − 1) Σ p_L²)` over the `k` languages with
//!   word shares `p_L` (0 for one language).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::Identifier;

/// A run of words in one language.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Span {
    /// Byte offset of the first word.
    pub start: usize,
    /// Byte offset just after the last word.
    pub end: usize,
    /// FLORES-200 code.
    pub lang: String,
    /// Words in the span.
    pub words: usize,
}

/// The spans of a text and its mixing statistics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mixing {
    /// Language spans in text order (language-independent words join the span around them).
    pub spans: Vec<Span>,
    /// Code-Mixing Index, 0–100.
    pub cmi: f64,
    /// Share of adjacent tagged-word pairs whose languages differ.
    pub switch_fraction: f64,
    /// M-index (0 for monolingual text, 1 for an even mix).
    pub m_index: f64,
    /// Words per language.
    pub words: BTreeMap<String, usize>,
    /// Language-independent words.
    pub independent: usize,
}

/// Options of the span labelling.
#[derive(Debug, Clone, Copy)]
pub struct SpanOptions {
    /// Neighbours on each side in the smoothing window.
    pub window: usize,
    /// Shortest span kept, in words.
    pub min_words: usize,
    /// Top labels of the whole text taken as candidates.
    pub candidates: usize,
}

impl Default for SpanOptions {
    fn default() -> Self {
        SpanOptions {
            window: 1,
            min_words: 2,
            candidates: 3,
        }
    }
}

/// Labels the words of `text` and computes its mixing statistics.
pub fn mixing(ident: &Identifier<'_>, text: &str, opts: &SpanOptions) -> Mixing {
    let model = ident.model;
    let words: Vec<(usize, &str)> = word_offsets(text);
    let mut tagged: Vec<bool> = words.iter().map(|(_, w)| crate::has_letters(w)).collect();
    // Candidates: the best label of every window of four words (stride two) and the whole text's top
    // labels; a single word is too short to propose a language of its own.
    let mut cands: Vec<usize> = Vec::new();
    // The best label of a text, if the model has one (none for a window without letters).
    let best = |t: &str| -> Option<usize> {
        let p = model.probabilities(t);
        (0..p.len())
            .max_by(|a, b| p[*a].total_cmp(&p[*b]))
            .filter(|&b| p[b] > 0.0)
    };
    let mut push = |c: usize| {
        if !cands.contains(&c) {
            cands.push(c);
        }
    };
    {
        let p = model.probabilities(text);
        let mut idx: Vec<usize> = (0..p.len()).filter(|&i| p[i] > 0.0).collect();
        idx.sort_by(|a, b| p[*b].total_cmp(&p[*a]));
        idx.into_iter()
            .take(opts.candidates.max(1))
            .for_each(&mut push);
    }
    let mut w = 0;
    while w < words.len() {
        let hi = (w + 4).min(words.len());
        let start = words[w].0;
        let end = words[hi - 1].0 + words[hi - 1].1.len();
        if let Some(b) = best(&text[start..end]) {
            push(b);
        }
        if hi == words.len() {
            break;
        }
        w += 2;
    }
    if cands.is_empty() {
        // The model knows no language here (letters only of scripts it has no label for).
        tagged.iter_mut().for_each(|t| *t = false);
    }
    let tagged_idx: Vec<usize> = (0..words.len()).filter(|&i| tagged[i]).collect();
    let mut labels: Vec<Option<usize>> = vec![None; words.len()];
    for (pos, &i) in tagged_idx.iter().enumerate() {
        // The word in context: the text from `window` tagged words before it to `window` after.
        let lo = tagged_idx[pos.saturating_sub(opts.window)];
        let hi = tagged_idx[(pos + opts.window).min(tagged_idx.len() - 1)];
        let ctx = model.probabilities(&text[words[lo].0..words[hi].0 + words[hi].1.len()]);
        // The word's own probabilities, computed here rather than kept for every word (a long text
        // would hold one vector of all labels per word).
        let own = model.probabilities(words[i].1);
        let best = cands
            .iter()
            .copied()
            .max_by(|&a, &b| {
                let score = |c: usize| ctx[c].max(1e-9).ln() + own[c].max(1e-9).ln();
                score(a).total_cmp(&score(b))
            })
            .unwrap_or(0);
        labels[i] = Some(best);
    }
    merge_short_runs(&mut labels, &tagged_idx, opts.min_words);

    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for l in labels.iter().flatten() {
        *counts.entry(model.labels()[*l].clone()).or_insert(0) += 1;
    }
    let n_tagged = tagged_idx.len();
    let independent = words.len() - n_tagged;
    let max = counts.values().copied().max().unwrap_or(0);
    let cmi = if n_tagged == 0 {
        0.0
    } else {
        100.0 * (1.0 - max as f64 / n_tagged as f64)
    };
    let switches = tagged_idx
        .windows(2)
        .filter(|w| labels[w[0]] != labels[w[1]])
        .count();
    let switch_fraction = if n_tagged < 2 {
        0.0
    } else {
        switches as f64 / (n_tagged - 1) as f64
    };
    let k = counts.len();
    let sum_sq: f64 = counts
        .values()
        .map(|&c| (c as f64 / n_tagged.max(1) as f64).powi(2))
        .sum();
    let m_index = if k < 2 || sum_sq == 0.0 {
        0.0
    } else {
        (1.0 - sum_sq) / ((k - 1) as f64 * sum_sq)
    };

    // Spans: consecutive words with the same label; language-independent words join the current span.
    let mut spans: Vec<Span> = Vec::new();
    for (i, (start, w)) in words.iter().enumerate() {
        let end = start + w.len();
        match (labels[i], spans.last_mut()) {
            (None, Some(s)) => s.end = end,
            (Some(l), Some(s)) if s.lang == model.labels()[l] => {
                s.end = end;
                s.words += 1;
            }
            (Some(l), _) => spans.push(Span {
                start: *start,
                end,
                lang: model.labels()[l].clone(),
                words: 1,
            }),
            (None, None) => {}
        }
    }
    Mixing {
        spans,
        cmi,
        switch_fraction,
        m_index,
        words: counts,
        independent,
    }
}

/// Whitespace-separated words with their byte offsets.
fn word_offsets(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push((s, &text[s..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, &text[s..]));
    }
    out
}

/// Relabels runs of fewer than `min` tagged words: the leftmost short run takes the label of the run
/// before it (the run after it, at the start), runs of one label join, and so on until no short run
/// is left beside another run.
///
/// One pass, left to right: the runs kept so far are all long, so the next short run is the leftmost
/// one and joins the last kept run (as does a run with the same label); a short run at the start joins
/// the runs after it until the joined run is long. Linear in the words (relabelling one run at a time
/// and recounting the runs after each would be quadratic on a long line).
fn merge_short_runs(labels: &mut [Option<usize>], tagged: &[usize], min: usize) {
    if min <= 1 || tagged.is_empty() {
        return;
    }
    // Runs over the tagged words: (length, label).
    let mut runs: Vec<(usize, Option<usize>)> = Vec::new();
    for &i in tagged {
        match runs.last_mut() {
            Some(r) if r.1 == labels[i] => r.0 += 1,
            _ => runs.push((1, labels[i])),
        }
    }
    let mut rest = runs.into_iter();
    let Some(mut first) = rest.next() else {
        return;
    };
    let mut kept: Vec<(usize, Option<usize>)> = Vec::new();
    while first.0 < min {
        match rest.next() {
            Some(next) => first = (first.0 + next.0, next.1),
            None => break,
        }
    }
    kept.push(first);
    for run in rest {
        match kept.last_mut() {
            Some(last) if last.1 == run.1 || run.0 < min => last.0 += run.0,
            _ => kept.push(run),
        }
    }
    let mut words = tagged.iter();
    for (len, label) in kept {
        for &i in words.by_ref().take(len) {
            labels[i] = label;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_with_offsets() {
        assert_eq!(
            word_offsets("  ab c\td "),
            vec![(2, "ab"), (5, "c"), (7, "d")]
        );
    }

    /// The rule as first written: relabel the leftmost short run, recount the runs, repeat.
    fn merge_short_runs_reference(labels: &mut [Option<usize>], tagged: &[usize], min: usize) {
        if min <= 1 || tagged.is_empty() {
            return;
        }
        let runs = |labels: &[Option<usize>]| -> Vec<(usize, usize, Option<usize>)> {
            let mut v: Vec<(usize, usize, Option<usize>)> = Vec::new();
            for (p, &i) in tagged.iter().enumerate() {
                match v.last_mut() {
                    Some(r) if r.2 == labels[i] => r.1 += 1,
                    _ => v.push((p, 1, labels[i])),
                }
            }
            v
        };
        loop {
            let r = runs(labels);
            if r.len() < 2 {
                return;
            }
            let Some(k) = r.iter().position(|run| run.1 < min) else {
                return;
            };
            let target = if k > 0 { r[k - 1].2 } else { r[1].2 };
            for p in r[k].0..r[k].0 + r[k].1 {
                labels[tagged[p]] = target;
            }
        }
    }

    #[test]
    fn one_pass_merge_equals_the_repeated_rule() {
        let mut state = 0x853C_49E6_748F_EA9Bu64;
        let mut next = |m: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % m
        };
        for round in 0..3000 {
            let n = 1 + next(30) as usize;
            let langs = 1 + next(4);
            // Untagged words (None) between tagged ones, as in a real text.
            let labels: Vec<Option<usize>> = (0..n)
                .map(|_| (next(5) > 0).then(|| next(langs) as usize))
                .collect();
            let tagged: Vec<usize> = (0..n).filter(|&i| labels[i].is_some()).collect();
            let min = 1 + round % 4;
            let mut want = labels.clone();
            merge_short_runs_reference(&mut want, &tagged, min);
            let mut got = labels.clone();
            merge_short_runs(&mut got, &tagged, min);
            assert_eq!(got, want, "{labels:?} min {min}");
        }
    }

    #[test]
    fn merging_a_long_alternating_line_is_linear() {
        // Two million words alternating every word: the repeated rule would recount the runs a
        // million times (hours); one pass takes well under a second even unoptimised.
        let n = 2_000_000;
        let mut labels: Vec<Option<usize>> = (0..n).map(|i| Some(i % 2)).collect();
        let tagged: Vec<usize> = (0..n).collect();
        let t = std::time::Instant::now();
        merge_short_runs(&mut labels, &tagged, 2);
        assert!(labels.iter().all(|l| *l == Some(1)), "one language left");
        assert!(t.elapsed().as_secs() < 20, "{:?}", t.elapsed());
    }

    #[test]
    fn short_runs_merge_into_the_previous_one() {
        let tagged = [0, 1, 2, 3, 4];
        let mut l = vec![Some(0), Some(0), Some(1), Some(0), Some(0)];
        merge_short_runs(&mut l, &tagged, 2);
        assert_eq!(l, vec![Some(0); 5]);
        let mut l = vec![Some(1), Some(0), Some(0), Some(0), Some(2)];
        merge_short_runs(&mut l, &tagged, 2);
        assert_eq!(l, vec![Some(0); 5]);
    }

    #[test]
    fn statistics_of_a_mixed_sentence() {
        let model = crate::embedded().unwrap();
        let ident = Identifier::new(model, 0.0);
        let text = "Yesterday I went to the market with my friends und dann haben wir zusammen Kuchen gegessen";
        let m = mixing(&ident, text, &SpanOptions::default());
        assert_eq!(m.spans.len(), 2, "{m:?}");
        assert_eq!(m.spans[0].lang, "eng_Latn");
        assert_eq!(m.spans[1].lang, "deu_Latn");
        // The switch is found to within a word ("friends" may go either way).
        let second = &text[m.spans[1].start..m.spans[1].end];
        assert!(
            second.ends_with("und dann haben wir zusammen Kuchen gegessen")
                && m.spans[1].words <= 8,
            "{second}"
        );
        assert!((m.switch_fraction - 1.0 / 15.0).abs() < 1e-12);
        let (en, de) = (m.words["eng_Latn"] as f64, m.words["deu_Latn"] as f64);
        assert_eq!(en + de, 16.0);
        assert!(
            (m.cmi - 100.0 * (1.0 - en.max(de) / 16.0)).abs() < 1e-9,
            "{}",
            m.cmi
        );
        let sq = (en / 16.0).powi(2) + (de / 16.0).powi(2);
        assert!((m.m_index - (1.0 - sq) / sq).abs() < 1e-9);
        let mono = mixing(
            &ident,
            "This sentence is entirely in English and nothing else",
            &SpanOptions::default(),
        );
        assert_eq!((mono.spans.len(), mono.cmi, mono.m_index), (1, 0.0, 0.0));
    }
}
