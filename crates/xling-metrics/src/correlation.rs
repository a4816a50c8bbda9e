//! Correlation coefficients equal to SciPy's: Pearson's r (`scipy.stats.pearsonr`), Spearman's ρ
//! (`spearmanr`: Pearson's r of average ranks) and Kendall's τ-b (`kendalltau`, tie-corrected). Used to
//! validate metrics against human judgements. (p-values are not provided yet.)

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

/// Spearman's ρ: Pearson's r of the average ranks.
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() {
        return None;
    }
    pearson(&rankdata(x), &rankdata(y))
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
