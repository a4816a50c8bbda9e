//! chrF and chrF++ (Popović 2015, 2017) exactly as sacrebleu 2.6.0 computes them.
//!
//! Character n-grams of orders 1..=`char_order` (whitespace removed unless `whitespace`), plus word
//! n-grams of orders 1..=`word_order` for chrF++ (one leading or trailing ASCII punctuation character
//! split off each word). With several references, each segment keeps the statistics of the reference
//! with the best sentence-level F. The corpus score macro-averages precision and recall over the orders
//! that have n-grams on both sides, then takes one F-beta (sacrebleu ≥ 2.0); `eps_smoothing` instead
//! averages per-order F scores with ε = 1e-16 (chrF++.py, NLTK, Moses).

use crate::MetricsError;
use crate::ngram::{FxMap, NgramClasses};
use crate::pystr;
use crate::score::{MetricSignature, Score};

/// chrF's options; `Default` is sacrebleu's `CHRF()`; chrF++ is `word_order = 2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chrf {
    /// Character n-gram order (6).
    pub char_order: usize,
    /// Word n-gram order (0; 2 for chrF++).
    pub word_order: usize,
    /// Recall weight β (2).
    pub beta: u32,
    /// Lowercase first.
    pub lowercase: bool,
    /// Keep whitespace in character n-grams.
    pub whitespace: bool,
    /// Average per-order F with ε smoothing instead of the effective-order average.
    pub eps_smoothing: bool,
}

impl Default for Chrf {
    fn default() -> Self {
        Chrf {
            char_order: 6,
            word_order: 0,
            beta: 2,
            lowercase: false,
            whitespace: false,
            eps_smoothing: false,
        }
    }
}

impl Chrf {
    /// chrF++: `word_order = 2`.
    pub fn plus_plus() -> Self {
        Chrf {
            word_order: 2,
            ..Chrf::default()
        }
    }

    /// `chrF2`, `chrF2++`: `chrF{beta}` and one `+` per word order.
    pub fn name(&self) -> String {
        format!("chrF{}{}", self.beta, "+".repeat(self.word_order))
    }

    /// Total number of orders (character + word).
    pub fn order(&self) -> usize {
        self.char_order + self.word_order
    }

    /// The signature for `nrefs` references.
    pub fn signature(&self, nrefs: usize) -> MetricSignature {
        MetricSignature::new(nrefs)
            .with("case", "c", if self.lowercase { "lc" } else { "mixed" })
            .with("eff", "e", if self.eps_smoothing { "no" } else { "yes" })
            .with("nc", "nc", self.char_order.to_string())
            .with("nw", "nw", self.word_order.to_string())
            .with("space", "s", if self.whitespace { "yes" } else { "no" })
    }

    /// sacrebleu's `_compute_f_score` over `[hyp, ref, match]` triples, one per order.
    pub fn f_score(&self, stats: &[[u64; 3]]) -> f64 {
        let eps = 1e-16;
        let mut score = 0.0f64;
        let mut effective_order = 0u32;
        let factor = f64::from(self.beta) * f64::from(self.beta);
        let (mut avg_prec, mut avg_rec) = (0.0f64, 0.0f64);
        for &[n_hyp, n_ref, n_match] in stats.iter().take(self.order()) {
            let prec = if n_hyp > 0 {
                n_match as f64 / n_hyp as f64
            } else {
                eps
            };
            let rec = if n_ref > 0 {
                n_match as f64 / n_ref as f64
            } else {
                eps
            };
            let denom = factor * prec + rec;
            score += if denom > 0.0 {
                (1.0 + factor) * prec * rec / denom
            } else {
                eps
            };
            if n_hyp > 0 && n_ref > 0 {
                avg_prec += prec;
                avg_rec += rec;
                effective_order += 1;
            }
        }
        if self.eps_smoothing {
            return 100.0 * score / self.order() as f64;
        }
        if effective_order == 0 {
            avg_prec = 0.0;
            avg_rec = 0.0;
        } else {
            avg_prec /= f64::from(effective_order);
            avg_rec /= f64::from(effective_order);
        }
        if avg_prec + avg_rec != 0.0 {
            let mut s = (1.0 + factor) * avg_prec * avg_rec;
            s /= (factor * avg_prec) + avg_rec;
            100.0 * s
        } else {
            0.0
        }
    }

    fn preprocess<'a>(&self, s: &'a str) -> std::borrow::Cow<'a, str> {
        if self.lowercase {
            std::borrow::Cow::Owned(pystr::lower(s))
        } else {
            std::borrow::Cow::Borrowed(s)
        }
    }

    fn chars(&self, s: &str, out: &mut Vec<u32>) {
        out.clear();
        if self.whitespace {
            out.extend(s.chars().map(u32::from));
        } else {
            out.extend(s.chars().filter(|&c| !pystr::is_space(c)).map(u32::from));
        }
    }

    /// Statistics of one segment: the best reference's `[hyp, ref, match]` per order.
    pub(crate) fn stats_pre(
        &self,
        hyp: &str,
        refs: &[&str],
        sc: &mut ChrfScratch,
    ) -> Vec<[u64; 3]> {
        let k = refs.len() + 1;
        let mut per_ref = vec![Vec::with_capacity(self.order()); refs.len()];
        sc.seqs.resize_with(k, Vec::new);
        sc.seqs.truncate(k);
        self.chars(hyp, &mut sc.seqs[0]);
        for (i, r) in refs.iter().enumerate() {
            self.chars(r, &mut sc.seqs[i + 1]);
        }
        count_orders(
            &sc.seqs,
            self.char_order,
            &mut sc.classes,
            &mut sc.cnt,
            &mut per_ref,
        );
        if self.word_order > 0 {
            let words: Vec<Vec<&str>> = std::iter::once(hyp)
                .chain(refs.iter().copied())
                .map(remove_punctuation)
                .collect();
            let mut vocab: FxMap<&str, u32> =
                FxMap::with_capacity_and_hasher(64, Default::default());
            for (i, ws) in words.iter().enumerate() {
                let out = &mut sc.seqs[i];
                out.clear();
                for w in ws {
                    let next = vocab.len() as u32;
                    out.push(*vocab.entry(w).or_insert(next));
                }
            }
            count_orders(
                &sc.seqs,
                self.word_order,
                &mut sc.classes,
                &mut sc.cnt,
                &mut per_ref,
            );
        }
        let mut best: Vec<[u64; 3]> = Vec::new();
        let mut best_f = -1.0f64;
        for stats in per_ref {
            let f = self.f_score(&stats);
            if f > best_f {
                best_f = f;
                best = stats;
            }
        }
        best
    }

    /// Statistics of one segment.
    pub fn segment_stats<S: AsRef<str>>(&self, hyp: &str, refs: &[S]) -> Vec<[u64; 3]> {
        let refs: Vec<_> = refs.iter().map(|r| self.preprocess(r.as_ref())).collect();
        let refs: Vec<&str> = refs.iter().map(|r| r.as_ref()).collect();
        let hyp = self.preprocess(hyp);
        self.stats_pre(&hyp, &refs, &mut ChrfScratch::default())
    }

    /// Statistics of every segment. `refs` are reference streams, each as long as `hyps`.
    pub fn corpus_stats<S: AsRef<str> + Sync, R: AsRef<str> + Sync>(
        &self,
        hyps: &[S],
        refs: &[Vec<R>],
    ) -> Result<Vec<Vec<[u64; 3]>>, MetricsError> {
        crate::check_lengths(hyps.len(), refs)?;
        Ok(crate::par_map_segments(
            hyps.len(),
            ChrfScratch::default,
            |sc, i| {
                let rs: Vec<_> = refs
                    .iter()
                    .map(|r| self.preprocess(r[i].as_ref()))
                    .collect();
                let rs: Vec<&str> = rs.iter().map(|r| r.as_ref()).collect();
                let h = self.preprocess(hyps[i].as_ref());
                self.stats_pre(&h, &rs, sc)
            },
        ))
    }

    /// Sums segment statistics.
    pub fn sum_stats(&self, stats: &[Vec<[u64; 3]>]) -> Vec<[u64; 3]> {
        let mut t = vec![[0u64; 3]; self.order()];
        for s in stats {
            for (a, b) in t.iter_mut().zip(s) {
                for j in 0..3 {
                    a[j] += b[j];
                }
            }
        }
        t
    }

    /// Corpus chrF.
    pub fn corpus_score<S: AsRef<str> + Sync, R: AsRef<str> + Sync>(
        &self,
        hyps: &[S],
        refs: &[Vec<R>],
    ) -> Result<Score, MetricsError> {
        let stats = self.corpus_stats(hyps, refs)?;
        Ok(Score::new(
            self.name(),
            self.f_score(&self.sum_stats(&stats)),
        ))
    }

    /// Sentence chrF of every segment (in parallel for large inputs).
    pub fn sentence_scores<S: AsRef<str> + Sync, R: AsRef<str> + Sync>(
        &self,
        hyps: &[S],
        refs: &[Vec<R>],
    ) -> Result<Vec<Score>, MetricsError> {
        Ok(self
            .corpus_stats(hyps, refs)?
            .iter()
            .map(|s| Score::new(self.name(), self.f_score(s)))
            .collect())
    }

    /// Sentence chrF of one hypothesis against its references.
    pub fn sentence_score<S: AsRef<str>>(&self, hyp: &str, refs: &[S]) -> Score {
        Score::new(self.name(), self.f_score(&self.segment_stats(hyp, refs)))
    }
}

/// Scratch space for chrF statistics.
#[derive(Default)]
pub(crate) struct ChrfScratch {
    classes: NgramClasses,
    seqs: Vec<Vec<u32>>,
    cnt: Vec<u32>,
}

/// Appends `[hyp, ref, match]` for orders 1..=`max_order` of sequence 0 against each other sequence.
fn count_orders(
    seqs: &[Vec<u32>],
    max_order: usize,
    classes: &mut NgramClasses,
    cnt: &mut Vec<u32>,
    per_ref: &mut [Vec<[u64; 3]>],
) {
    let slices: Vec<&[u32]> = seqs.iter().map(Vec::as_slice).collect();
    classes.reset(&slices);
    for _ in 0..max_order {
        classes.advance(&slices);
        let c = classes.n_classes;
        let hyp = classes.of(0);
        for (ri, out) in per_ref.iter_mut().enumerate() {
            let r = classes.of(ri + 1);
            cnt.clear();
            cnt.resize(c, 0);
            for &k in r {
                cnt[k as usize] += 1;
            }
            let mut matched = 0u64;
            for &k in hyp {
                let slot = &mut cnt[k as usize];
                if *slot > 0 {
                    *slot -= 1;
                    matched += 1;
                }
            }
            let n_ref = r.len() as u64;
            let n_hyp = if n_ref > 0 { hyp.len() as u64 } else { 0 };
            out.push([n_hyp, n_ref, matched]);
        }
    }
}

/// sacrebleu's `_remove_punctuation`: words of `split()`, with one trailing (else leading) ASCII
/// punctuation character split off words longer than one character.
fn remove_punctuation(sent: &str) -> Vec<&str> {
    let is_p = |c: char| c.is_ascii_punctuation();
    let mut out = Vec::new();
    for w in pystr::split(sent) {
        let mut it = w.chars();
        let first = it.next();
        let last = it.next_back();
        match (first, last) {
            (Some(_), None) | (None, _) => out.push(w),
            (Some(f), Some(l)) => {
                if is_p(l) {
                    out.push(&w[..w.len() - 1]);
                    out.push(&w[w.len() - 1..]);
                } else if is_p(f) {
                    out.push(&w[..1]);
                    out.push(&w[1..]);
                } else {
                    out.push(w);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn punctuation_split() {
        assert_eq!(
            remove_punctuation("a, (b c. ?! é"),
            ["a", ",", "(", "b", "c", ".", "?", "!", "é"]
        );
    }
}
