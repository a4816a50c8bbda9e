//! Correlation coefficients equal to SciPy's: Pearson's r (`scipy.stats.pearsonr`), Spearman's ρ
//! (`spearmanr`: Pearson's r of average ranks) and Kendall's τ-b (`kendalltau`, tie-corrected). Used to
//! validate metrics against human judgements. Two-sided p-values for Pearson (exact beta distribution)
//! and Spearman (t distribution) use our regularized incomplete beta function; Kendall's follows SciPy's
//! "auto" method (exact distribution or tie-corrected normal approximation).
//!
//! [`bootstrap_ci`] gives percentile bootstrap confidence intervals of any of the three, defined as
//! SciPy's `scipy.stats.bootstrap((x, y), statistic, paired=True, vectorized=False,
//! n_resamples=N, confidence_level=C, method='percentile', rng=np.random.default_rng(seed))`:
//!
//! - resampling: `N` resamples of the `n` pairs, drawn with replacement as one `N × n` matrix of
//!   indices `rng.integers(0, n, (N, n))` (row-major; NumPy's PCG64 stream through [`crate::nprand`]),
//!   pairs kept together;
//! - the coefficient of every resample (a constant resample has none: NaN);
//! - percentile interval: `α = (1 − C) / 2`, the two quantiles `α` and `1 − α` of the `N` resampled
//!   coefficients with SciPy's default `linear` (Hyndman–Fan type 7) interpolation; any NaN among them
//!   makes both bounds NaN, as in SciPy;
//! - the standard error: their standard deviation with `ddof = 1` (NumPy pairwise sums).
//!
//! Defaults ([`BootstrapOptions::default`]): 1,000 resamples, 95 %, seed 12345 (sacrebleu's
//! bootstrap seed). The interval is a percentile interval, not SciPy's default BCa.

/// Pearson's r as SciPy computes it: centre, scale each vector by its norm, take the dot product, clip
/// to [-1, 1]. `None` for fewer than 2 points, different lengths or a constant input (SciPy: NaN).
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len();
    if n < 2 || y.len() != n {
        return None;
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / n as f64;
    let (mx, my) = (mean(x), mean(y));
    // SciPy scales by the largest deviation first (against overflow), then by the norm.
    let scaled = |v: &[f64], m: f64| -> Vec<f64> {
        let d: Vec<f64> = v.iter().map(|a| a - m).collect();
        let max = d.iter().fold(0.0f64, |acc, a| acc.max(a.abs()));
        if max == 0.0 {
            d
        } else {
            d.iter().map(|a| a / max).collect()
        }
    };
    let (xm, ym) = (scaled(x, mx), scaled(y, my));
    let norm = |v: &[f64]| v.iter().map(|a| a * a).sum::<f64>().sqrt();
    let (nx, ny) = (norm(&xm), norm(&ym));
    if nx == 0.0 || ny == 0.0 {
        return None;
    }
    let r: f64 = xm.iter().zip(&ym).map(|(a, b)| (a / nx) * (b / ny)).sum();
    Some(r.clamp(-1.0, 1.0))
}

/// Average ranks (1-based; ties share the mean of their positions), as `scipy.stats.rankdata`.
pub fn rankdata(x: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut ranks = vec![0.0; x.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && x[idx[j + 1]] == x[idx[i]] {
            j += 1;
        }
        let r = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            ranks[k] = r;
        }
        i = j + 1;
    }
    ranks
}

/// Spearman's ρ: the correlation of the average ranks, computed like SciPy's `spearmanr` with
/// `np.corrcoef` (covariances scaled by 1/(n-1), divided by each standard deviation in turn, clipped).
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len();
    if n < 2 || y.len() != n {
        return None;
    }
    let (rx, ry) = (rankdata(x), rankdata(y));
    let mean = |v: &[f64]| v.iter().sum::<f64>() / n as f64;
    let (mx, my) = (mean(&rx), mean(&ry));
    let dx: Vec<f64> = rx.iter().map(|v| v - mx).collect();
    let dy: Vec<f64> = ry.iter().map(|v| v - my).collect();
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(p, q)| p * q).sum::<f64>();
    let f = 1.0 / (n - 1) as f64;
    let (cxx, cyy, cxy) = (dot(&dx, &dx) * f, dot(&dy, &dy) * f, dot(&dx, &dy) * f);
    if cxx == 0.0 || cyy == 0.0 {
        return None;
    }
    Some((cxy / cxx.sqrt() / cyy.sqrt()).clamp(-1.0, 1.0))
}

/// Kendall's τ-b: `(concordant - discordant) / sqrt((n0 - n1)(n0 - n2))` with ties in x (n1) and y
/// (n2) removed from the pair count n0.
pub fn kendall_tau_b(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len();
    if n < 2 || y.len() != n {
        return None;
    }
    let (mut con, mut dis, mut tx, mut ty) = (0i64, 0i64, 0i64, 0i64);
    for i in 0..n {
        for j in i + 1..n {
            let sign = |a: f64, b: f64| a.partial_cmp(&b).map_or(0, |o| o as i64);
            let (sa, sb) = (sign(x[i], x[j]), sign(y[i], y[j]));
            match (sa, sb) {
                (0, 0) => {
                    tx += 1;
                    ty += 1;
                }
                (0, _) => tx += 1,
                (_, 0) => ty += 1,
                _ if sa == sb => con += 1,
                _ => dis += 1,
            }
        }
    }
    let n0 = (n * (n - 1) / 2) as i64;
    if n0 == tx || n0 == ty {
        return None;
    }
    // SciPy divides by the two square roots one after the other.
    let tau = (con - dis) as f64 / ((n0 - tx) as f64).sqrt() / ((n0 - ty) as f64).sqrt();
    Some(tau.clamp(-1.0, 1.0))
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error about 1e-15).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection.
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The continued fraction of the incomplete beta function (modified Lentz).
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    let tiny = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < tiny {
        d = tiny;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..1000 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < tiny {
            d = tiny;
        }
        c = 1.0 + aa / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < tiny {
            d = tiny;
        }
        c = 1.0 + aa / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-16 {
            break;
        }
    }
    h
}

/// The regularized incomplete beta function I_x(a, b).
pub fn betainc(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_cf(a, b, x) / a
    } else {
        1.0 - ln_front.exp() * beta_cf(b, a, 1.0 - x) / b
    }
}

/// Two-sided p-value of Pearson's r for `n` points, as `scipy.stats.pearsonr` (exact beta distribution).
pub fn pearson_p_value(r: f64, n: usize) -> f64 {
    if n < 3 || r.abs() >= 1.0 {
        return if r.abs() >= 1.0 && n >= 3 { 0.0 } else { 1.0 };
    }
    let a = n as f64 / 2.0 - 1.0;
    (2.0 * betainc(a, a, (1.0 - r.abs()) / 2.0)).min(1.0)
}

/// Two-sided p-value of Spearman's ρ for `n` points, as `scipy.stats.spearmanr` (t distribution, n-2 df).
pub fn spearman_p_value(rho: f64, n: usize) -> f64 {
    if n < 3 {
        return f64::NAN;
    }
    if rho.abs() >= 1.0 {
        return 0.0;
    }
    let dof = (n - 2) as f64;
    let t = rho * (dof / ((rho + 1.0) * (1.0 - rho))).max(0.0).sqrt();
    betainc(dof / 2.0, 0.5, dof / (dof + t * t))
}

/// erfc(x) for x >= 0, from the regularized upper incomplete gamma Q(1/2, x²) (series below 1.5,
/// continued fraction above; relative error about 1e-15).
fn erfc(x: f64) -> f64 {
    let a = 0.5;
    let z = x * x;
    if z == 0.0 {
        return 1.0;
    }
    let ln_front = -z + a * z.ln() - ln_gamma(a);
    if z < a + 1.0 {
        // P(a, z) by its series; Q = 1 - P.
        let (mut ap, mut sum, mut del) = (a, 1.0 / a, 1.0 / a);
        for _ in 0..1000 {
            ap += 1.0;
            del *= z / ap;
            sum += del;
            if del.abs() < sum.abs() * 1e-17 {
                break;
            }
        }
        1.0 - sum * ln_front.exp()
    } else {
        // Q(a, z) by Lentz's continued fraction.
        let tiny = 1e-300;
        let mut b = z + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..1000 {
            let an = -(f64::from(i)) * (f64::from(i) - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < 1e-16 {
                break;
            }
        }
        ln_front.exp() * h
    }
}

/// Tie counts of one variable as SciPy's `count_rank_tie`: (Σ t(t-1)/2, Σ t(t-1)(t-2), Σ t(t-1)(2t+5)).
fn tie_counts(x: &[f64]) -> (f64, f64, f64) {
    let mut v = x.to_vec();
    v.sort_by(f64::total_cmp);
    let (mut a, mut b, mut c) = (0.0, 0.0, 0.0);
    let mut i = 0;
    while i < v.len() {
        let mut j = i;
        while j + 1 < v.len() && v[j + 1] == v[i] {
            j += 1;
        }
        let t = (j - i + 1) as f64;
        if t > 1.0 {
            a += t * (t - 1.0) / 2.0;
            b += t * (t - 1.0) * (t - 2.0);
            c += t * (t - 1.0) * (2.0 * t + 5.0);
        }
        i = j + 1;
    }
    (a, b, c)
}

/// Two-sided p-value of Kendall's τ-b as `scipy.stats.kendalltau` (method "auto": the exact
/// distribution without ties for n <= 33 or near-perfect orderings, else the tie-corrected normal
/// approximation). `None` where τ-b is undefined.
pub fn kendall_p_value(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len();
    if n < 2 || y.len() != n {
        return None;
    }
    let (mut con, mut dis) = (0i64, 0i64);
    for i in 0..n {
        for j in i + 1..n {
            let sign = |a: f64, b: f64| a.partial_cmp(&b).map_or(0, |o| o as i64);
            let (sa, sb) = (sign(x[i], x[j]), sign(y[i], y[j]));
            if sa != 0 && sb != 0 {
                if sa == sb {
                    con += 1;
                } else {
                    dis += 1;
                }
            }
        }
    }
    let (xtie, x0, x1) = tie_counts(x);
    let (ytie, y0, y1) = tie_counts(y);
    let tot = (n * (n - 1) / 2) as f64;
    if xtie == tot || ytie == tot {
        return None;
    }
    let m = (n * (n - 1)) as f64;
    if xtie == 0.0 && ytie == 0.0 && (n <= 33 || (dis.min(tot as i64 - dis)) <= 1) {
        let c = dis.min(tot as i64 - dis) as usize;
        return Some(kendall_exact(n, c));
    }
    let size = n as f64;
    let var = (m * (2.0 * size + 5.0) - x1 - y1) / 18.0
        + (2.0 * xtie * ytie) / m
        + x0 * y0 / (9.0 * m * (size - 2.0));
    let z = (con - dis) as f64 / var.sqrt();
    Some(erfc(z.abs() / std::f64::consts::SQRT_2))
}

/// SciPy's `_kendall_p_exact(n, c)` (two-sided).
fn kendall_exact(n: usize, c: usize) -> f64 {
    let factorial = |k: usize| (1..=k).fold(1.0f64, |acc, i| acc * i as f64);
    if n <= 2 {
        return 1.0;
    }
    if c == 0 {
        return if n < 171 { 2.0 / factorial(n) } else { 0.0 };
    }
    if c == 1 {
        return if n < 172 { 2.0 / factorial(n - 1) } else { 0.0 };
    }
    if 4 * c == n * (n - 1) {
        return 1.0;
    }
    let mut new = vec![0.0f64; c + 1];
    new[0] = 1.0;
    new[1] = 1.0;
    for j in 3..=n {
        let mut acc = 0.0;
        for v in new.iter_mut() {
            acc += *v;
            *v = acc;
        }
        if j <= c {
            let old = new.clone();
            for k in j..=c {
                new[k] -= old[k - j];
            }
        }
    }
    2.0 * crate::bootstrap::np_sum_f64(&new) / factorial(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basics() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let y = [2.0, 1.0, 4.0, 3.0, 5.0];
        assert!((pearson(&x, &y).unwrap_or(0.0) - 0.8).abs() < 1e-12);
        assert!((spearman(&x, &y).unwrap_or(0.0) - 0.8).abs() < 1e-12);
        assert!((kendall_tau_b(&x, &y).unwrap_or(0.0) - 0.6).abs() < 1e-12);
        assert_eq!(rankdata(&[3.0, 1.0, 3.0, 2.0]), [3.5, 1.0, 3.5, 2.0]);
        assert_eq!(pearson(&[1.0, 1.0], &[1.0, 2.0]), None);
    }
}

/// A correlation coefficient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coefficient {
    /// Pearson's r ([`pearson`]).
    Pearson,
    /// Spearman's ρ ([`spearman`]).
    Spearman,
    /// Kendall's τ-b ([`kendall_tau_b`]).
    KendallTauB,
}

impl Coefficient {
    /// All three, in this order.
    pub const ALL: [Coefficient; 3] = [
        Coefficient::Pearson,
        Coefficient::Spearman,
        Coefficient::KendallTauB,
    ];

    /// The short name (`pearson`, `spearman`, `kendall`).
    pub fn name(self) -> &'static str {
        match self {
            Coefficient::Pearson => "pearson",
            Coefficient::Spearman => "spearman",
            Coefficient::KendallTauB => "kendall",
        }
    }

    /// The coefficient of `x` and `y`; `None` where SciPy gives NaN.
    pub fn compute(self, x: &[f64], y: &[f64]) -> Option<f64> {
        match self {
            Coefficient::Pearson => pearson(x, y),
            Coefficient::Spearman => spearman(x, y),
            Coefficient::KendallTauB => kendall_tau_b(x, y),
        }
    }
}

/// The parameters of [`bootstrap_ci`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BootstrapOptions {
    /// Number of resamples (default 1,000).
    pub n_resamples: usize,
    /// Confidence level in (0, 1) (default 0.95).
    pub confidence: f64,
    /// Seed of NumPy's `default_rng` (default 12345).
    pub seed: u64,
}

impl Default for BootstrapOptions {
    fn default() -> Self {
        BootstrapOptions {
            n_resamples: 1000,
            confidence: 0.95,
            seed: crate::bootstrap::DEFAULT_SEED,
        }
    }
}

/// A coefficient with its percentile bootstrap interval.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationCi {
    /// The coefficient of the full sample (`None` where SciPy gives NaN).
    pub statistic: Option<f64>,
    /// Lower bound of the interval (NaN when a resample had no coefficient).
    pub low: f64,
    /// Upper bound of the interval (NaN when a resample had no coefficient).
    pub high: f64,
    /// Standard deviation (ddof 1) of the resampled coefficients.
    pub standard_error: f64,
}

/// Percentile bootstrap confidence interval of a correlation coefficient, as SciPy's `bootstrap` with
/// `paired=True, method='percentile'` (see the [module documentation](self)). `None` for inputs of
/// different lengths, fewer than 2 pairs, no resamples or a confidence level outside (0, 1).
pub fn bootstrap_ci(
    x: &[f64],
    y: &[f64],
    coefficient: Coefficient,
    opts: &BootstrapOptions,
) -> Option<CorrelationCi> {
    let n = x.len();
    if n < 2
        || y.len() != n
        || opts.n_resamples == 0
        || !(opts.confidence > 0.0 && opts.confidence < 1.0)
        || n as u64 > 1 << 32
    {
        return None;
    }
    let mut rng = crate::nprand::NumpyRng::new(opts.seed);
    let (mut xs, mut ys) = (vec![0.0; n], vec![0.0; n]);
    let mut theta = Vec::with_capacity(opts.n_resamples);
    for _ in 0..opts.n_resamples {
        for k in 0..n {
            let i = rng.below(n as u64) as usize;
            xs[k] = x[i];
            ys[k] = y[i];
        }
        theta.push(coefficient.compute(&xs, &ys).unwrap_or(f64::NAN));
    }
    let alpha = (1.0 - opts.confidence) / 2.0;
    let (low, high) = if theta.iter().any(|t| t.is_nan()) {
        (f64::NAN, f64::NAN)
    } else {
        let mut sorted = theta.clone();
        sorted.sort_by(f64::total_cmp);
        (
            quantile_linear(&sorted, alpha),
            quantile_linear(&sorted, 1.0 - alpha),
        )
    };
    Some(CorrelationCi {
        statistic: coefficient.compute(x, y),
        low,
        high,
        standard_error: std_ddof1(&theta),
    })
}

/// `scipy.stats.quantile(y, p, method='linear')` of sorted `y`, with SciPy's arithmetic:
/// `j = floor(p·n + 1 − p) − 1`, `g = (p·n + 1 − p) mod 1`, `(1 − g)·y[j] + g·y[j + 1]` (indices clipped).
fn quantile_linear(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len() as f64;
    let jg = p * n + (1.0 - p);
    let jp1 = jg.floor();
    let j = jp1 - 1.0;
    let mut g = jg - jg.floor();
    if j < 0.0 {
        g = 0.0;
    }
    let clip = |v: f64| v.clamp(0.0, n - 1.0) as usize;
    (1.0 - g) * sorted[clip(j)] + g * sorted[clip(jp1)]
}

/// `np.std(a, ddof=1)`: pairwise sums, deviations squared, divided by `n − 1`.
fn std_ddof1(a: &[f64]) -> f64 {
    if a.len() < 2 {
        return f64::NAN;
    }
    let mean = crate::bootstrap::np_sum_f64(a) / a.len() as f64;
    let sq: Vec<f64> = a.iter().map(|v| (v - mean) * (v - mean)).collect();
    (crate::bootstrap::np_sum_f64(&sq) / (a.len() - 1) as f64).sqrt()
}
