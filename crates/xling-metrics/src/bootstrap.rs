//! Bootstrap confidence intervals with sacrebleu 2.6.0's semantics, bit for bit.
//!
//! sacrebleu draws `rng.choice(n_segments, size=(n_samples, n_segments))` from
//! `np.random.default_rng(12345)` ([`NumpyRng`]), converts the segment statistics to **float32**, sums each
//! resample in float32 and recomputes the score from those float32 sums — NumPy 2 keeps the arithmetic in
//! float32 where a float32 meets a Python number. The interval is `(s[N-1-N//40] - s[N//40]) / 2` of the
//! sorted resampled scores and the reported mean is their mean. We replay all of that, float32 included.

use crate::bleu::{Bleu, BleuStats, MAX_NGRAM_ORDER, Smooth};
use crate::chrf::Chrf;
use crate::nprand::NumpyRng;
use crate::ter::TerStats;

/// sacrebleu's default seed (`SACREBLEU_SEED`).
pub const DEFAULT_SEED: u64 = 12345;

/// A bootstrap estimate: the mean of the resampled scores and the half-width of the 95% interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Confidence {
    /// Mean of the resampled scores.
    pub mean: f64,
    /// Half-width of the interval between the 2.5th and 97.5th percentiles.
    pub ci: f64,
}

/// Sums of `n_samples` resamples of the rows of `stats` (float32, row order), as sacrebleu's
/// `stats_np[idxs].sum(0)`.
pub fn resample_sums(stats: &[Vec<f32>], n_samples: usize, seed: u64) -> Vec<Vec<f32>> {
    let n = stats.len();
    let width = stats.first().map_or(0, Vec::len);
    let mut rng = NumpyRng::new(seed);
    let idxs = rng.choice_matrix(n, n_samples, n);
    idxs.chunks(n.max(1))
        .take(n_samples)
        .map(|row| {
            let mut acc = vec![0f32; width];
            for &i in row {
                for (a, v) in acc.iter_mut().zip(&stats[i]) {
                    *a += *v;
                }
            }
            acc
        })
        .collect()
}

/// sacrebleu's `Score.estimate_ci` over resampled scores; `f32_scores` when the scores are float32
/// (chrF and TER from float32 sums), which also makes the half-width and mean float32.
pub fn estimate_ci(scores: &[f64], f32_scores: bool) -> Confidence {
    let mut s = scores.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n == 0 {
        return Confidence { mean: 0.0, ci: 0.0 };
    }
    let lo = n / 40;
    let hi = n - lo - 1;
    let ci = if f32_scores {
        f64::from(0.5f32 * (s[hi] as f32 - s[lo] as f32))
    } else {
        0.5 * (s[hi] - s[lo])
    };
    // statistics.mean is exact: sum with error compensation, then round once.
    let (mut sum, mut comp) = (0.0f64, 0.0f64);
    for &x in &s {
        let t = sum + x;
        comp += if sum.abs() >= x.abs() {
            (sum - t) + x
        } else {
            (x - t) + sum
        };
        sum = t;
    }
    let mean = (sum + comp) / n as f64;
    let mean = if f32_scores {
        f64::from(mean as f32)
    } else {
        mean
    };
    Confidence { mean, ci }
}

/// BLEU from float32 sums, with NumPy 2's float32 arithmetic (`compute_bleu` on a float32 array).
pub fn bleu_from_f32(bleu: &Bleu, s: &[f32]) -> f64 {
    let sys_len = s[0] as i64;
    let ref_len = s[1] as i64;
    let mut correct: Vec<f32> = s[2..2 + MAX_NGRAM_ORDER].to_vec();
    let mut total: Vec<f32> = s[2 + MAX_NGRAM_ORDER..2 + 2 * MAX_NGRAM_ORDER].to_vec();
    let smooth_value = bleu
        .smooth_value
        .or(bleu.smooth_method.default_value())
        .unwrap_or(0.0);
    let mut bp = 1.0f64;
    if sys_len < ref_len {
        bp = if sys_len > 0 {
            (1.0 - ref_len as f64 / sys_len as f64).exp()
        } else {
            0.0
        };
    }
    if correct.iter().all(|&c| c == 0.0) {
        return 0.0;
    }
    // Precisions are float32 where computed, Python 0.0 otherwise; log() widens them to double.
    let mut precisions = [0.0f64; MAX_NGRAM_ORDER];
    let mut smooth_mteval = 1.0f64;
    let mut eff_order = MAX_NGRAM_ORDER;
    for n in 1..=MAX_NGRAM_ORDER {
        if bleu.smooth_method == Smooth::AddK && n > 1 {
            correct[n - 1] += smooth_value as f32;
            total[n - 1] += smooth_value as f32;
        }
        if total[n - 1] == 0.0 {
            break;
        }
        if bleu.effective_order {
            eff_order = n;
        }
        if correct[n - 1] == 0.0 {
            match bleu.smooth_method {
                Smooth::Exp => {
                    smooth_mteval *= 2.0;
                    precisions[n - 1] = f64::from(100f32 / (smooth_mteval as f32 * total[n - 1]));
                }
                Smooth::Floor => {
                    precisions[n - 1] = f64::from((100.0 * smooth_value) as f32 / total[n - 1]);
                }
                Smooth::None | Smooth::AddK => {}
            }
        } else {
            precisions[n - 1] = f64::from(100f32 * correct[n - 1] / total[n - 1]);
        }
    }
    let mut sum = 0.0f64;
    for &p in &precisions[..eff_order] {
        sum += if p == 0.0 { -9999999999.0 } else { p.ln() };
    }
    bp * (sum / eff_order as f64).exp()
}

/// A Python number in NumPy 2 arithmetic: float32 absorbs Python floats and ints.
#[derive(Clone, Copy)]
enum Num {
    F32(f32),
    F64(f64),
}

impl Num {
    fn op(self, o: Num, f: fn(f64, f64) -> f64, g: fn(f32, f32) -> f32) -> Num {
        match (self, o) {
            (Num::F64(a), Num::F64(b)) => Num::F64(f(a, b)),
            (Num::F32(a), Num::F32(b)) => Num::F32(g(a, b)),
            (Num::F32(a), Num::F64(b)) => Num::F32(g(a, b as f32)),
            (Num::F64(a), Num::F32(b)) => Num::F32(g(a as f32, b)),
        }
    }
    fn add(self, o: Num) -> Num {
        self.op(o, |a, b| a + b, |a, b| a + b)
    }
    fn mul(self, o: Num) -> Num {
        self.op(o, |a, b| a * b, |a, b| a * b)
    }
    fn div(self, o: Num) -> Num {
        self.op(o, |a, b| a / b, |a, b| a / b)
    }
    fn val(self) -> f64 {
        match self {
            Num::F32(v) => f64::from(v),
            Num::F64(v) => v,
        }
    }
}

/// chrF from float32 sums, with NumPy 2's float32 arithmetic; `(score, is_float32)`.
pub fn chrf_from_f32(chrf: &Chrf, stats: &[f32]) -> (f64, bool) {
    let eps = Num::F64(1e-16);
    let factor = Num::F64(f64::from(chrf.beta * chrf.beta));
    let one_plus = Num::F64(1.0 + f64::from(chrf.beta * chrf.beta));
    let mut score = Num::F64(0.0);
    let mut effective_order = 0u32;
    let (mut avg_prec, mut avg_rec) = (Num::F64(0.0), Num::F64(0.0));
    let order = chrf.order();
    for i in 0..order {
        let (n_hyp, n_ref, n_match) = (stats[3 * i], stats[3 * i + 1], stats[3 * i + 2]);
        let prec = if n_hyp > 0.0 {
            Num::F32(n_match / n_hyp)
        } else {
            eps
        };
        let rec = if n_ref > 0.0 {
            Num::F32(n_match / n_ref)
        } else {
            eps
        };
        let denom = factor.mul(prec).add(rec);
        score = score.add(if denom.val() > 0.0 {
            one_plus.mul(prec).mul(rec).div(denom)
        } else {
            eps
        });
        if n_hyp > 0.0 && n_ref > 0.0 {
            avg_prec = avg_prec.add(prec);
            avg_rec = avg_rec.add(rec);
            effective_order += 1;
        }
    }
    let is32 = |n: Num| matches!(n, Num::F32(_));
    if chrf.eps_smoothing {
        let r = Num::F64(100.0).mul(score).div(Num::F64(order as f64));
        return (r.val(), is32(r));
    }
    if effective_order == 0 {
        avg_prec = Num::F64(0.0);
        avg_rec = Num::F64(0.0);
    } else {
        avg_prec = avg_prec.div(Num::F64(f64::from(effective_order)));
        avg_rec = avg_rec.div(Num::F64(f64::from(effective_order)));
    }
    if avg_prec.add(avg_rec).val() != 0.0 {
        let mut s = one_plus.mul(avg_prec).mul(avg_rec);
        s = s.div(factor.mul(avg_prec).add(avg_rec));
        let r = Num::F64(100.0).mul(s);
        (r.val(), is32(r))
    } else {
        (0.0, false)
    }
}

/// TER from float32 sums; `(score, is_float32)`.
pub fn ter_from_f32(s: &[f32]) -> (f64, bool) {
    let (edits, len) = (s[0], s[1]);
    if len > 0.0 {
        (f64::from(100f32 * (edits / len)), true)
    } else if edits > 0.0 {
        (100.0, false)
    } else {
        (0.0, false)
    }
}

/// BLEU statistics as sacrebleu's float32 rows.
pub fn bleu_rows(stats: &[BleuStats]) -> Vec<Vec<f32>> {
    stats
        .iter()
        .map(|s| {
            let mut v = vec![s.hyp_len as f32, s.ref_len as f32];
            v.extend(s.correct.iter().map(|&c| c as f32));
            v.extend(s.total.iter().map(|&c| c as f32));
            v
        })
        .collect()
}

/// chrF statistics as sacrebleu's float32 rows.
pub fn chrf_rows(stats: &[Vec<[u64; 3]>]) -> Vec<Vec<f32>> {
    stats
        .iter()
        .map(|s| s.iter().flat_map(|t| t.map(|c| c as f32)).collect())
        .collect()
}

/// TER statistics as sacrebleu's float32 rows.
pub fn ter_rows(stats: &[TerStats]) -> Vec<Vec<f32>> {
    stats
        .iter()
        .map(|s| vec![s.edits as f32, s.ref_len as f32])
        .collect()
}

/// Bootstrap confidence of corpus BLEU.
pub fn bleu_confidence(
    bleu: &Bleu,
    stats: &[BleuStats],
    n_samples: usize,
    seed: u64,
) -> Confidence {
    let scores: Vec<f64> = resample_sums(&bleu_rows(stats), n_samples, seed)
        .iter()
        .map(|s| bleu_from_f32(bleu, s))
        .collect();
    estimate_ci(&scores, false)
}

/// Bootstrap confidence of corpus chrF.
pub fn chrf_confidence(
    chrf: &Chrf,
    stats: &[Vec<[u64; 3]>],
    n_samples: usize,
    seed: u64,
) -> Confidence {
    let res: Vec<(f64, bool)> = resample_sums(&chrf_rows(stats), n_samples, seed)
        .iter()
        .map(|s| chrf_from_f32(chrf, s))
        .collect();
    let any32 = res.iter().any(|r| r.1);
    estimate_ci(&res.iter().map(|r| r.0).collect::<Vec<_>>(), any32)
}

/// Bootstrap confidence of corpus TER.
pub fn ter_confidence(stats: &[TerStats], n_samples: usize, seed: u64) -> Confidence {
    let res: Vec<(f64, bool)> = resample_sums(&ter_rows(stats), n_samples, seed)
        .iter()
        .map(|s| ter_from_f32(s))
        .collect();
    let any32 = res.iter().any(|r| r.1);
    estimate_ci(&res.iter().map(|r| r.0).collect::<Vec<_>>(), any32)
}

/// NumPy's pairwise summation (`add.reduce` on a contiguous array) in the element type: blocks of
/// fewer than 8 summed in order, up to 128 with 8 accumulators, larger ones split in halves.
fn np_pairwise<T: Copy + Default + std::ops::Add<Output = T>>(a: &[T]) -> T {
    let n = a.len();
    if n < 8 {
        a.iter().fold(T::default(), |acc, &x| acc + x)
    } else if n <= 128 {
        let mut r = [T::default(); 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - n % 8 {
            for (acc, &x) in r.iter_mut().zip(&a[i..i + 8]) {
                *acc = *acc + x;
            }
            i += 8;
        }
        let res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        a[i..].iter().fold(res, |acc, &x| acc + x)
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        np_pairwise(&a[..n2]) + np_pairwise(&a[n2..])
    }
}

/// NumPy's pairwise summation for float64.
pub fn np_sum_f64(a: &[f64]) -> f64 {
    0.0 + np_pairwise(a)
}

/// NumPy's pairwise summation for float32.
pub fn np_sum_f32(a: &[f32]) -> f32 {
    0.0 + np_pairwise(a)
}

/// Resampled scores as sacrebleu's `np.array([...])`: float32 when every score is float32.
#[derive(Debug, Clone)]
pub enum Scores {
    /// A float64 array.
    F64(Vec<f64>),
    /// A float32 array.
    F32(Vec<f32>),
}

impl Scores {
    /// Collects `(value, is_float32)` pairs.
    pub fn collect(v: &[(f64, bool)]) -> Scores {
        if !v.is_empty() && v.iter().all(|x| x.1) {
            Scores::F32(v.iter().map(|x| x.0 as f32).collect())
        } else {
            Scores::F64(v.iter().map(|x| x.0).collect())
        }
    }

    /// `significance.estimate_ci`: NumPy's mean and the half-width of the 95% interval.
    pub fn estimate_ci(&self) -> Confidence {
        match self {
            Scores::F64(v) => {
                let mut s = v.clone();
                s.sort_by(f64::total_cmp);
                let n = s.len().max(1);
                let lo = s.len() / 40;
                let hi = s.len().saturating_sub(lo + 1);
                Confidence {
                    mean: np_sum_f64(&s) / n as f64,
                    ci: 0.5
                        * (s.get(hi).copied().unwrap_or(0.0) - s.get(lo).copied().unwrap_or(0.0)),
                }
            }
            Scores::F32(v) => {
                let mut s = v.clone();
                s.sort_by(f32::total_cmp);
                let n = s.len().max(1);
                let lo = s.len() / 40;
                let hi = s.len().saturating_sub(lo + 1);
                Confidence {
                    mean: f64::from(np_sum_f32(&s) / n as f32),
                    ci: f64::from(
                        0.5f32
                            * (s.get(hi).copied().unwrap_or(0.0)
                                - s.get(lo).copied().unwrap_or(0.0)),
                    ),
                }
            }
        }
    }
}

/// The outcome of a paired test of a system against the baseline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairedResult {
    /// The p-value: `(#{resampled statistic > observed} + 1) / (n + 1)`.
    pub p_value: f64,
    /// Bootstrap mean and interval of the system (paired bootstrap only).
    pub confidence: Option<Confidence>,
}

/// sacrebleu's paired bootstrap resampling (`_paired_bs_test`): the same `n` resamples of segment indices
/// for baseline and system; `score` recomputes a score from float32 sums (`(value, is_float32)`).
pub fn paired_bs(
    bl_rows: &[Vec<f32>],
    sys_rows: &[Vec<f32>],
    bl_score: f64,
    sys_score: f64,
    n: usize,
    seed: u64,
    score: impl Fn(&[f32]) -> (f64, bool),
) -> PairedResult {
    let bl: Vec<(f64, bool)> = resample_sums(bl_rows, n, seed)
        .iter()
        .map(|s| score(s))
        .collect();
    let sy: Vec<(f64, bool)> = resample_sums(sys_rows, n, seed)
        .iter()
        .map(|s| score(s))
        .collect();
    let (bl, sy) = (Scores::collect(&bl), Scores::collect(&sy));
    let confidence = sy.estimate_ci();
    let diff = (bl_score - sys_score).abs();
    let count = match (&sy, &bl) {
        (Scores::F32(s), Scores::F32(b)) => {
            let d: Vec<f32> = s.iter().zip(b).map(|(x, y)| (x - y).abs()).collect();
            let mean = np_sum_f32(&d) / d.len().max(1) as f32;
            d.iter().filter(|&&x| x - mean > diff as f32).count()
        }
        _ => {
            let wide = |v: &Scores| match v {
                Scores::F64(v) => v.clone(),
                Scores::F32(v) => v.iter().map(|&x| f64::from(x)).collect(),
            };
            let (s, b) = (wide(&sy), wide(&bl));
            let d: Vec<f64> = s.iter().zip(&b).map(|(x, y)| (x - y).abs()).collect();
            let mean = np_sum_f64(&d) / d.len().max(1) as f64;
            d.iter().filter(|&&x| x - mean > diff).count()
        }
    };
    PairedResult {
        p_value: (count + 1) as f64 / (n + 1) as f64,
        confidence: Some(confidence),
    }
}

/// sacrebleu's paired approximate randomization (`_paired_ar_test`): in each of `n` trials every
/// segment's statistics are swapped between the systems with probability 1/2 (NumPy bool draws);
/// `score` recomputes a score from (exact, float64) summed statistics.
pub fn paired_ar(
    bl_rows: &[Vec<f64>],
    sys_rows: &[Vec<f64>],
    bl_score: f64,
    sys_score: f64,
    n: usize,
    seed: u64,
    score: impl Fn(&[f64]) -> f64,
) -> PairedResult {
    let segs = bl_rows.len();
    let width = bl_rows.first().map_or(0, Vec::len);
    let mut rng = NumpyRng::new(seed);
    let sel = rng.bools(n * segs);
    let diff = (bl_score - sys_score).abs();
    let mut count = 0usize;
    for t in 0..n {
        let mut a = vec![0f64; width];
        let mut b = vec![0f64; width];
        for i in 0..segs {
            let (x, y) = if sel[t * segs + i] {
                (&bl_rows[i], &sys_rows[i])
            } else {
                (&sys_rows[i], &bl_rows[i])
            };
            for j in 0..width {
                a[j] += x[j];
                b[j] += y[j];
            }
        }
        if (score(&a) - score(&b)).abs() > diff {
            count += 1;
        }
    }
    PairedResult {
        p_value: (count + 1) as f64 / (n + 1) as f64,
        confidence: None,
    }
}

/// BLEU from exact summed statistics given as floats (approximate randomization).
pub fn bleu_from_f64(bleu: &Bleu, s: &[f64]) -> f64 {
    let u = |x: f64| x as u64;
    let mut st = BleuStats {
        hyp_len: u(s[0]),
        ref_len: u(s[1]),
        ..BleuStats::default()
    };
    for n in 0..MAX_NGRAM_ORDER {
        st.correct[n] = u(s[2 + n]);
        st.total[n] = u(s[2 + MAX_NGRAM_ORDER + n]);
    }
    bleu.compute(&st).score
}

/// chrF from exact summed statistics given as floats (approximate randomization).
pub fn chrf_from_f64(chrf: &Chrf, s: &[f64]) -> f64 {
    let st: Vec<[u64; 3]> = s
        .chunks(3)
        .map(|c| [c[0] as u64, c[1] as u64, c[2] as u64])
        .collect();
    chrf.f_score(&st)
}

/// TER from summed statistics (approximate randomization).
pub fn ter_from_f64(s: &[f64]) -> f64 {
    crate::ter::Ter::compute(&TerStats {
        edits: s[0] as u64,
        ref_len: s[1],
    })
    .score
}
