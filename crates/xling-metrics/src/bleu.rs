//! BLEU (Papineni et al. 2002) exactly as sacrebleu 2.6.0 computes it.
//!
//! Per segment: optional lowercasing, tokenization of the right-stripped line, word n-grams of orders
//! 1..=4, clipping by the maximum count over the references, and the closest reference length (the
//! shorter one on ties). Corpus statistics are the sums over segments; the score applies the brevity
//! penalty and one of Chen & Cherry's smoothing methods.

use std::fmt;
use std::str::FromStr;

use crate::MetricsError;
use crate::ngram::{FxMap, NgramClasses};
use crate::pystr;
use crate::score::{MetricSignature, Score};
use crate::tokenize::Tokenizer;

/// The maximum n-gram order (sacrebleu's `MAX_NGRAM_ORDER`).
pub const MAX_NGRAM_ORDER: usize = 4;

/// BLEU smoothing (Chen & Cherry 2014).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Smooth {
    /// No smoothing.
    None,
    /// Method 1: a zero count becomes `value` (default 0.1).
    Floor,
    /// Method 2: add `value` (default 1) to counts and totals of orders > 1.
    AddK,
    /// Method 3, NIST (mteval-v13a): halve the precision for each further zero count.
    #[default]
    Exp,
}

impl Smooth {
    /// All methods, by sacrebleu name.
    pub const ALL: [Smooth; 4] = [Smooth::None, Smooth::Floor, Smooth::AddK, Smooth::Exp];

    /// sacrebleu's name.
    pub fn name(self) -> &'static str {
        match self {
            Smooth::None => "none",
            Smooth::Floor => "floor",
            Smooth::AddK => "add-k",
            Smooth::Exp => "exp",
        }
    }

    /// sacrebleu's default value, where the method takes one.
    pub fn default_value(self) -> Option<f64> {
        match self {
            Smooth::Floor => Some(0.1),
            Smooth::AddK => Some(1.0),
            Smooth::None | Smooth::Exp => None,
        }
    }
}

impl fmt::Display for Smooth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Smooth {
    type Err = MetricsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Smooth::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| MetricsError::UnknownSmoothMethod {
                name: s.to_string(),
                valid: Smooth::ALL.map(Smooth::name).join(", "),
            })
    }
}

/// BLEU's options; `Default` is sacrebleu's `BLEU()`.
#[derive(Debug, Clone, PartialEq)]
pub struct Bleu {
    /// Lowercase hypotheses and references first.
    pub lowercase: bool,
    /// The tokenizer.
    pub tokenize: Tokenizer,
    /// The smoothing method.
    pub smooth_method: Smooth,
    /// The smoothing value; `None` takes the method's default.
    pub smooth_value: Option<f64>,
    /// Stop at the highest order with n-grams (recommended for sentence-level BLEU).
    pub effective_order: bool,
}

impl Default for Bleu {
    fn default() -> Self {
        Bleu {
            lowercase: false,
            tokenize: Tokenizer::Thirteen13a,
            smooth_method: Smooth::Exp,
            smooth_value: None,
            effective_order: false,
        }
    }
}

/// BLEU's sufficient statistics of one segment or a corpus:
/// `[hyp_len, ref_len, correct_1..4, total_1..4]` as in sacrebleu.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BleuStats {
    /// Hypothesis length in tokens.
    pub hyp_len: u64,
    /// Closest reference length in tokens.
    pub ref_len: u64,
    /// Clipped n-gram matches per order.
    pub correct: [u64; MAX_NGRAM_ORDER],
    /// Hypothesis n-grams per order.
    pub total: [u64; MAX_NGRAM_ORDER],
}

impl std::ops::AddAssign for BleuStats {
    fn add_assign(&mut self, o: Self) {
        self.hyp_len += o.hyp_len;
        self.ref_len += o.ref_len;
        for n in 0..MAX_NGRAM_ORDER {
            self.correct[n] += o.correct[n];
            self.total[n] += o.total[n];
        }
    }
}

/// A BLEU score with its details.
#[derive(Debug, Clone, PartialEq)]
pub struct BleuScore {
    /// The score in [0, 100].
    pub score: f64,
    /// Precision per order, in percent (after smoothing).
    pub precisions: [f64; MAX_NGRAM_ORDER],
    /// Brevity penalty.
    pub bp: f64,
    /// Hypothesis length.
    pub sys_len: u64,
    /// Reference length.
    pub ref_len: u64,
}

impl BleuScore {
    /// `hyp_len / ref_len`, 0 without reference tokens.
    pub fn ratio(&self) -> f64 {
        if self.ref_len == 0 {
            0.0
        } else {
            self.sys_len as f64 / self.ref_len as f64
        }
    }

    /// sacrebleu's verbose part: `82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)`.
    pub fn verbose(&self) -> String {
        let p: Vec<String> = self.precisions.iter().map(|p| format!("{p:.1}")).collect();
        format!(
            "{} (BP = {:.3} ratio = {:.3} hyp_len = {} ref_len = {})",
            p.join("/"),
            self.bp,
            self.ratio(),
            self.sys_len,
            self.ref_len
        )
    }

    /// As a generic [`Score`].
    pub fn to_score(&self) -> Score {
        Score {
            name: "BLEU".into(),
            score: self.score,
            verbose: self.verbose(),
            confidence: None,
        }
    }
}

fn my_log(x: f64) -> f64 {
    if x == 0.0 { -9999999999.0 } else { x.ln() }
}

/// Per-thread scratch space for segment statistics.
#[derive(Default)]
pub(crate) struct BleuScratch {
    classes: NgramClasses,
    ids: Vec<Vec<u32>>,
    ref_max: Vec<u32>,
    ref_cnt: Vec<u32>,
}

impl Bleu {
    /// Lowercases (optionally) and tokenizes one segment, as sacrebleu's `_preprocess_segment`.
    pub fn preprocess(&self, sent: &str) -> String {
        if self.lowercase {
            self.tokenize.tokenize(pystr::rstrip(&pystr::lower(sent)))
        } else {
            self.tokenize.tokenize(pystr::rstrip(sent))
        }
    }

    /// [`Bleu::preprocess`] up to whitespace: the same tokens, for the statistics.
    fn preprocess_for_stats(&self, sent: &str) -> String {
        if self.lowercase {
            self.tokenize
                .tokenize_unjoined(pystr::rstrip(&pystr::lower(sent)))
        } else {
            self.tokenize.tokenize_unjoined(pystr::rstrip(sent))
        }
    }

    /// The signature for `nrefs` references.
    pub fn signature(&self, nrefs: usize) -> MetricSignature {
        let mut smooth = self.smooth_method.name().to_string();
        if let Some(def) = self.smooth_method.default_value() {
            smooth = format!("{smooth}[{:.2}]", self.smooth_value.unwrap_or(def));
        }
        MetricSignature::new(nrefs)
            .with("case", "c", if self.lowercase { "lc" } else { "mixed" })
            .with("eff", "e", if self.effective_order { "yes" } else { "no" })
            .with("tok", "tok", self.tokenize.name())
            .with("smooth", "s", smooth)
    }

    /// Statistics of one segment from already preprocessed (tokenized) hypothesis and references.
    pub(crate) fn stats_tokenized(
        &self,
        hyp: &str,
        refs: &[String],
        sc: &mut BleuScratch,
    ) -> BleuStats {
        let mut vocab: FxMap<&str, u32> = FxMap::with_capacity_and_hasher(64, Default::default());
        sc.ids.resize_with(refs.len() + 1, Vec::new);
        sc.ids.truncate(refs.len() + 1);
        intern_tokens(hyp, &mut vocab, &mut sc.ids[0]);
        for (k, r) in refs.iter().enumerate() {
            intern_tokens(r, &mut vocab, &mut sc.ids[k + 1]);
        }
        let hyp_len = sc.ids[0].len() as u64;
        // Closest reference length, the shorter on ties.
        let mut closest: Option<(u64, u64)> = None;
        for ids in &sc.ids[1..] {
            let len = ids.len() as u64;
            let diff = len.abs_diff(hyp_len);
            closest = match closest {
                None => Some((diff, len)),
                Some((d, l)) if diff < d || (diff == d && len < l) => Some((diff, len)),
                keep => keep,
            };
        }
        let ref_len = closest.map_or(0, |(_, l)| l);
        let seqs: Vec<&[u32]> = sc.ids.iter().map(Vec::as_slice).collect();
        let mut st = BleuStats {
            hyp_len,
            ref_len,
            ..BleuStats::default()
        };
        // Interned token ids are already the order-1 classes.
        sc.classes.reset_unigrams(&seqs, vocab.len());
        for n in 0..MAX_NGRAM_ORDER {
            if seqs[0].len() <= n {
                break;
            }
            if n > 0 {
                sc.classes.advance(&seqs);
            }
            let c = sc.classes.n_classes;
            sc.ref_max.clear();
            sc.ref_max.resize(c, 0);
            for ri in 1..seqs.len() {
                sc.ref_cnt.clear();
                sc.ref_cnt.resize(c, 0);
                for &k in sc.classes.of(ri) {
                    sc.ref_cnt[k as usize] += 1;
                }
                for (m, &x) in sc.ref_max.iter_mut().zip(&sc.ref_cnt) {
                    *m = (*m).max(x);
                }
            }
            let hyp_classes = sc.classes.of(0);
            st.total[n] = hyp_classes.len() as u64;
            let mut correct = 0u64;
            for &k in hyp_classes {
                // Each occurrence counts once until the clip is reached.
                let k = k as usize;
                if sc.ref_max[k] > 0 {
                    correct += 1;
                    sc.ref_max[k] -= 1;
                }
            }
            st.correct[n] = correct;
        }
        st
    }

    /// Statistics of one segment.
    pub fn segment_stats<S: AsRef<str>>(&self, hyp: &str, refs: &[S]) -> BleuStats {
        let refs: Vec<String> = refs
            .iter()
            .map(|r| self.preprocess_for_stats(r.as_ref()))
            .collect();
        let hyp = self.preprocess_for_stats(hyp);
        self.stats_tokenized(&hyp, &refs, &mut BleuScratch::default())
    }

    /// The score from (summed) statistics: sacrebleu's `compute_bleu`.
    pub fn compute(&self, st: &BleuStats) -> BleuScore {
        let smooth_value = self
            .smooth_value
            .or(self.smooth_method.default_value())
            .unwrap_or(0.0);
        let (sys_len, ref_len) = (st.hyp_len, st.ref_len);
        let mut bp = 1.0;
        if sys_len < ref_len {
            bp = if sys_len > 0 {
                (1.0 - ref_len as f64 / sys_len as f64).exp()
            } else {
                0.0
            };
        }
        let mut precisions = [0.0f64; MAX_NGRAM_ORDER];
        let result = |score: f64, precisions: [f64; MAX_NGRAM_ORDER]| BleuScore {
            score,
            precisions,
            bp,
            sys_len,
            ref_len,
        };
        if st.correct.iter().all(|&c| c == 0) {
            return result(0.0, precisions);
        }
        let mut correct = st.correct.map(|c| c as f64);
        let mut total = st.total.map(|c| c as f64);
        let mut smooth_mteval = 1.0f64;
        let mut eff_order = MAX_NGRAM_ORDER;
        for n in 1..=MAX_NGRAM_ORDER {
            if self.smooth_method == Smooth::AddK && n > 1 {
                correct[n - 1] += smooth_value;
                total[n - 1] += smooth_value;
            }
            if total[n - 1] == 0.0 {
                break;
            }
            if self.effective_order {
                eff_order = n;
            }
            if correct[n - 1] == 0.0 {
                match self.smooth_method {
                    Smooth::Exp => {
                        smooth_mteval *= 2.0;
                        precisions[n - 1] = 100.0 / (smooth_mteval * total[n - 1]);
                    }
                    Smooth::Floor => precisions[n - 1] = 100.0 * smooth_value / total[n - 1],
                    Smooth::None | Smooth::AddK => {}
                }
            } else {
                precisions[n - 1] = 100.0 * correct[n - 1] / total[n - 1];
            }
        }
        let mut sum = 0.0f64;
        for p in &precisions[..eff_order] {
            sum += my_log(*p);
        }
        let score = bp * (sum / eff_order as f64).exp();
        result(score, precisions)
    }

    /// Statistics of every segment. `refs` are reference streams, each as long as `hyps`.
    pub fn corpus_stats<S: AsRef<str> + Sync, R: AsRef<str> + Sync>(
        &self,
        hyps: &[S],
        refs: &[Vec<R>],
    ) -> Result<Vec<BleuStats>, MetricsError> {
        crate::check_lengths(hyps.len(), refs)?;
        Ok(crate::par_map_segments(
            hyps.len(),
            BleuScratch::default,
            |sc, i| {
                let rs: Vec<String> = refs
                    .iter()
                    .map(|r| self.preprocess_for_stats(r[i].as_ref()))
                    .collect();
                let h = self.preprocess_for_stats(hyps[i].as_ref());
                self.stats_tokenized(&h, &rs, sc)
            },
        ))
    }

    /// Corpus BLEU: statistics summed over segments.
    pub fn corpus_score<S: AsRef<str> + Sync, R: AsRef<str> + Sync>(
        &self,
        hyps: &[S],
        refs: &[Vec<R>],
    ) -> Result<BleuScore, MetricsError> {
        let stats = self.corpus_stats(hyps, refs)?;
        Ok(self.compute(&sum_stats(&stats)))
    }

    /// Sentence BLEU of every segment (in parallel for large inputs).
    pub fn sentence_scores<S: AsRef<str> + Sync, R: AsRef<str> + Sync>(
        &self,
        hyps: &[S],
        refs: &[Vec<R>],
    ) -> Result<Vec<BleuScore>, MetricsError> {
        Ok(self
            .corpus_stats(hyps, refs)?
            .iter()
            .map(|s| self.compute(s))
            .collect())
    }

    /// Sentence BLEU of one hypothesis against its references.
    pub fn sentence_score<S: AsRef<str>>(&self, hyp: &str, refs: &[S]) -> BleuScore {
        self.compute(&self.segment_stats(hyp, refs))
    }
}

/// Appends the ids of the whitespace-separated tokens of `s` to `out` (cleared first).
pub(crate) fn intern_tokens<'a>(s: &'a str, vocab: &mut FxMap<&'a str, u32>, out: &mut Vec<u32>) {
    out.clear();
    for t in pystr::split(s) {
        let next = vocab.len() as u32;
        out.push(*vocab.entry(t).or_insert(next));
    }
}

/// Sums segment statistics.
pub fn sum_stats(stats: &[BleuStats]) -> BleuStats {
    let mut t = BleuStats::default();
    for s in stats {
        t += *s;
    }
    t
}
