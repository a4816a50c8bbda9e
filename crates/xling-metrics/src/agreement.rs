//! Inter-annotator agreement, as used to calibrate LLM judges against humans (Hada et al. 2024):
//! percentage agreement, Cohen's κ with none/linear/quadratic weights (equal to scikit-learn's
//! `cohen_kappa_score`), and Krippendorff's α for nominal, ordinal, interval and ratio data with missing
//! ratings (equal to the `krippendorff` package's `alpha`).
//!
//! Cohen's κ: over the sorted union of the labels, `κ = 1 − Σ w·O / Σ w·E`, where `O` is the confusion
//! matrix, `E` the outer product of its marginals divided by the number of items, and `w` is 0/1
//! (unweighted), `|i − j|` (linear) or `(i − j)²` (quadratic) on label positions.
//!
//! Krippendorff's α: from the coincidence matrix `o` (each unit's pairs of values from different raters,
//! weighted `1 / (m_u − 1)`), the value totals `n_v`, the expected coincidences
//! `e = (n_v n_vᵀ − diag n_v) / (n − 1)` and the squared distance `δ²` of the level of measurement:
//! `α = 1 − Σ o·δ² / Σ e·δ²`. Ordinal `δ²(c, k) = (Σ_{g=c..k} n_g − (n_c + n_k)/2)²`, interval `(c − k)²`,
//! ratio `((c − k)/(c + k))²`.

/// Share of items both raters labelled the same. `None` for no items or different lengths.
pub fn percent_agreement<T: PartialEq>(a: &[T], b: &[T]) -> Option<f64> {
    if a.is_empty() || a.len() != b.len() {
        return None;
    }
    Some(a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / a.len() as f64)
}

/// Weighting of disagreements in Cohen's κ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weights {
    /// Every disagreement counts 1.
    Unweighted,
    /// Disagreements count the distance between label positions.
    Linear,
    /// Disagreements count the squared distance (quadratic-weighted κ, QWK).
    Quadratic,
}

/// Cohen's κ of two raters' labels (any ordered type: label positions follow the sort order). `None`
/// for no items, different lengths, or when chance agreement is total (scikit-learn: NaN).
pub fn cohen_kappa<T: Ord + Clone>(a: &[T], b: &[T], weights: Weights) -> Option<f64> {
    if a.is_empty() || a.len() != b.len() {
        return None;
    }
    let mut labels: Vec<T> = a.iter().chain(b).cloned().collect();
    labels.sort();
    labels.dedup();
    let k = labels.len();
    let pos = |x: &T| labels.binary_search(x).unwrap_or(0);
    let mut confusion = vec![0.0f64; k * k];
    for (x, y) in a.iter().zip(b) {
        confusion[pos(x) * k + pos(y)] += 1.0;
    }
    let rows: Vec<f64> = (0..k)
        .map(|i| (0..k).map(|j| confusion[i * k + j]).sum())
        .collect();
    let cols: Vec<f64> = (0..k)
        .map(|j| (0..k).map(|i| confusion[i * k + j]).sum())
        .collect();
    let n = a.len() as f64;
    let weight = |i: usize, j: usize| -> f64 {
        let d = i.abs_diff(j) as f64;
        match weights {
            Weights::Unweighted => f64::from(u8::from(i != j)),
            Weights::Linear => d,
            Weights::Quadratic => d * d,
        }
    };
    let (mut observed, mut expected) = (0.0, 0.0);
    for i in 0..k {
        for j in 0..k {
            let w = weight(i, j);
            observed += w * confusion[i * k + j];
            expected += w * rows[i] * cols[j] / n;
        }
    }
    (expected != 0.0).then(|| 1.0 - observed / expected)
}

/// Level of measurement of Krippendorff's α.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Categories without order.
    Nominal,
    /// Ordered categories (distance from the number of values between them).
    Ordinal,
    /// Differences are meaningful.
    Interval,
    /// Ratios are meaningful.
    Ratio,
}

/// Krippendorff's α of `ratings[rater][unit]` (`None` = missing). `None` when fewer than two distinct
/// values occur, no unit has two ratings, the rows have different lengths, or the expected disagreement
/// is zero.
pub fn krippendorff_alpha(ratings: &[Vec<Option<f64>>], level: Level) -> Option<f64> {
    let units = ratings.first()?.len();
    if ratings.iter().any(|r| r.len() != units) {
        return None;
    }
    let mut domain: Vec<f64> = ratings
        .iter()
        .flatten()
        .flatten()
        .copied()
        .filter(|v| !v.is_nan())
        .collect();
    domain.sort_by(f64::total_cmp);
    domain.dedup();
    let v = domain.len();
    if v < 2 {
        return None;
    }
    let index = |x: f64| domain.binary_search_by(|d| d.total_cmp(&x)).ok();
    // Coincidences.
    let mut o = vec![0.0f64; v * v];
    let mut any_pairable = false;
    for u in 0..units {
        let mut counts = vec![0.0f64; v];
        let mut m = 0usize;
        for r in ratings {
            if let Some(i) = r[u].filter(|x| !x.is_nan()).and_then(index) {
                counts[i] += 1.0;
                m += 1;
            }
        }
        if m < 2 {
            continue;
        }
        any_pairable = true;
        let w = 1.0 / (m - 1) as f64;
        for c in 0..v {
            for k in 0..v {
                let pairs = counts[c] * counts[k] - if c == k { counts[c] } else { 0.0 };
                o[c * v + k] += pairs * w;
            }
        }
    }
    if !any_pairable {
        return None;
    }
    let n_v: Vec<f64> = (0..v).map(|k| (0..v).map(|c| o[c * v + k]).sum()).collect();
    let n: f64 = n_v.iter().sum();
    let delta = |c: usize, k: usize| -> f64 {
        match level {
            Level::Nominal => f64::from(u8::from(c != k)),
            Level::Ordinal => {
                let (lo, hi) = (c.min(k), c.max(k));
                let between: f64 = n_v[lo..=hi].iter().sum();
                (between - (n_v[lo] + n_v[hi]) / 2.0).powi(2)
            }
            Level::Interval => (domain[c] - domain[k]).powi(2),
            Level::Ratio => {
                let s = domain[c] + domain[k];
                if s == 0.0 {
                    0.0
                } else {
                    ((domain[c] - domain[k]) / s).powi(2)
                }
            }
        }
    };
    let (mut observed, mut expected) = (0.0, 0.0);
    for c in 0..v {
        for k in 0..v {
            let d = delta(c, k);
            observed += o[c * v + k] * d;
            let e = (n_v[c] * n_v[k] - if c == k { n_v[c] } else { 0.0 }) / (n - 1.0);
            expected += e * d;
        }
    }
    (expected != 0.0).then(|| 1.0 - observed / expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_and_kappa_by_hand() {
        let a = [1, 1, 2, 2, 3];
        let b = [1, 2, 2, 2, 3];
        assert_eq!(percent_agreement(&a, &b), Some(0.8));
        // O = [[1,1,0],[0,2,0],[0,0,1]], rows (2,2,1), cols (1,3,1), n = 5:
        // po = 0.8, pe = (2·1 + 2·3 + 1·1) / 25 = 0.36, κ = (0.8 − 0.36) / 0.64 = 0.6875.
        assert!((cohen_kappa(&a, &b, Weights::Unweighted).unwrap() - 0.6875).abs() < 1e-12);
        assert_eq!(cohen_kappa(&[1, 1], &[1, 1], Weights::Unweighted), None);
        assert_eq!(cohen_kappa::<i32>(&[], &[], Weights::Quadratic), None);
    }

    #[test]
    fn krippendorff_reference_example() {
        // Krippendorff's textbook example (Wikipedia; the `krippendorff` package's doctest).
        let nan = None;
        let s = Some;
        let data = vec![
            vec![
                nan,
                nan,
                nan,
                nan,
                nan,
                s(3.),
                s(4.),
                s(1.),
                s(2.),
                s(1.),
                s(1.),
                s(3.),
                s(3.),
                nan,
                s(3.),
            ],
            vec![
                s(1.),
                nan,
                s(2.),
                s(1.),
                s(3.),
                s(3.),
                s(4.),
                s(3.),
                nan,
                nan,
                nan,
                nan,
                nan,
                nan,
                nan,
            ],
            vec![
                nan,
                nan,
                s(2.),
                s(1.),
                s(3.),
                s(4.),
                s(4.),
                nan,
                s(2.),
                s(1.),
                s(1.),
                s(3.),
                s(3.),
                nan,
                s(4.),
            ],
        ];
        let nominal = krippendorff_alpha(&data, Level::Nominal).unwrap();
        let interval = krippendorff_alpha(&data, Level::Interval).unwrap();
        assert!((nominal - 0.691358).abs() < 5e-7, "{nominal}");
        assert!((interval - 0.810845).abs() < 5e-7, "{interval}");
        assert_eq!(
            krippendorff_alpha(&[vec![s(1.), s(1.)], vec![s(1.), s(1.)]], Level::Nominal),
            None
        );
    }
}
