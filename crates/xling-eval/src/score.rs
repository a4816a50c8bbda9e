//! Scoring: per-instance metrics (lm-evaluation-harness's formulas), per-language aggregates with
//! standard errors, the gap to a reference language with a paired bootstrap, and cross-lingual
//! consistency.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::extract::{Extractor, normalize_answer};

/// The metrics of one multiple-choice instance.
///
/// `acc` = argmax of the summed log-likelihoods; `acc_norm` divides each by its choice's length in
/// characters (Unicode scalar values, Python's `len`), `acc_bytes` by its UTF-8 length,
/// `acc_mutual_info` subtracts the choice's unconditional log-likelihood; `exact_match` is whether
/// the gold continuation is the greedy one. Ties go to the first choice (NumPy's `argmax`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct McOutcome {
    /// Predicted choice per normalisation: raw, per char, per byte, PMI (when scored).
    pub pred: BTreeMap<String, usize>,
    /// Metric values (0 or 1).
    pub metrics: BTreeMap<String, f64>,
}

/// First index of the maximum (NaN never wins).
pub fn argmax(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] || (v[best].is_nan() && !x.is_nan()) {
            best = i;
        }
    }
    best
}

/// Scores one multiple-choice instance from its per-choice log-likelihoods.
pub fn score_multiple_choice(
    lls: &[f64],
    greedy: &[bool],
    choices: &[String],
    gold: usize,
    unconditional: Option<&[f64]>,
) -> McOutcome {
    let mut pred = BTreeMap::new();
    let mut metrics = BTreeMap::new();
    let mut put = |name: &str, p: usize| {
        pred.insert(name.to_string(), p);
        metrics.insert(name.to_string(), f64::from(u8::from(p == gold)));
    };
    put("acc", argmax(lls));
    let per = |len: &dyn Fn(&str) -> usize| -> Vec<f64> {
        lls.iter()
            .zip(choices)
            .map(|(l, c)| l / len(c) as f64)
            .collect()
    };
    put("acc_norm", argmax(&per(&|c| c.chars().count())));
    put("acc_bytes", argmax(&per(&|c| c.len())));
    if let Some(u) = unconditional {
        let pmi: Vec<f64> = lls.iter().zip(u).map(|(a, b)| a - b).collect();
        put("acc_mutual_info", argmax(&pmi));
    }
    metrics.insert(
        "exact_match".into(),
        f64::from(u8::from(greedy.get(gold).copied().unwrap_or(false))),
    );
    McOutcome { pred, metrics }
}

/// The outcome of one generation instance: per extractor, the extracted answer and its exact match.
pub fn score_generation(
    response: &str,
    gold: &str,
    extractors: &[Extractor],
) -> (BTreeMap<String, String>, BTreeMap<String, f64>) {
    let mut answers = BTreeMap::new();
    let mut metrics = BTreeMap::new();
    let want = normalize_answer(gold);
    for x in extractors {
        let got = x.extract(response);
        let hit = normalize_answer(&got) == want;
        metrics.insert(format!("exact_match,{}", x.name), f64::from(u8::from(hit)));
        answers.insert(x.name.clone(), got);
    }
    (answers, metrics)
}

/// Mean and lm-evaluation-harness's standard error of the mean (sample standard deviation with
/// `ddof = 1` over `sqrt(n)`; `None` below two values).
pub fn mean_stderr(values: &[f64]) -> (f64, Option<f64>) {
    let n = values.len();
    if n == 0 {
        return (f64::NAN, None);
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return (mean, None);
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    (mean, Some((var / n as f64).sqrt()))
}

/// A difference of means between two languages over the items both have, with a paired bootstrap
/// standard error (items resampled jointly, seeded).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Gap {
    /// `mean(lang) − mean(reference)` over the shared items.
    pub gap: f64,
    /// Bootstrap standard error of the gap.
    pub stderr: f64,
    /// Shared items.
    pub n: usize,
}

/// The paired gap of `lang` to `reference`: both map item id → metric value.
pub fn paired_gap(
    lang: &HashMap<String, f64>,
    reference: &HashMap<String, f64>,
    resamples: usize,
    seed: u64,
) -> Option<Gap> {
    let mut pairs: Vec<(f64, f64)> = lang
        .iter()
        .filter_map(|(k, v)| reference.get(k).map(|r| (*v, *r)))
        .collect();
    if pairs.is_empty() {
        return None;
    }
    // Deterministic order (hash maps iterate in random order).
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let n = pairs.len();
    let diff = |p: &[(f64, f64)]| p.iter().map(|(a, b)| a - b).sum::<f64>() / p.len() as f64;
    let gap = diff(&pairs);
    let mut state = seed;
    let mut stats = Vec::with_capacity(resamples);
    let mut sample = Vec::with_capacity(n);
    for _ in 0..resamples {
        sample.clear();
        for _ in 0..n {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            sample.push(pairs[((state >> 33) % n as u64) as usize]);
        }
        stats.push(diff(&sample));
    }
    let (_, se) = mean_stderr(&stats);
    let stderr = se.map_or(0.0, |s| s * (resamples as f64).sqrt());
    Some(Gap { gap, stderr, n })
}

/// Share of shared items on which two languages gave the same prediction.
pub fn consistency(
    a: &HashMap<String, String>,
    b: &HashMap<String, String>,
) -> Option<(f64, usize)> {
    let mut n = 0usize;
    let mut same = 0usize;
    for (k, pa) in a {
        if let Some(pb) = b.get(k) {
            n += 1;
            same += usize::from(pa == pb);
        }
    }
    (n > 0).then(|| (same as f64 / n as f64, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiple_choice_normalisations_can_disagree() {
        let choices: Vec<String> = ["a", "science/technology", "ß"].map(String::from).to_vec();
        // Raw favours the short choice; per character the long one; per byte "ß" (2 bytes) loses.
        let lls = [-2.0, -9.0, -2.2];
        let o = score_multiple_choice(
            &lls,
            &[true, false, false],
            &choices,
            1,
            Some(&[-1.0, -8.5, -0.1]),
        );
        assert_eq!(o.pred["acc"], 0);
        assert_eq!(o.pred["acc_norm"], 1);
        assert_eq!(o.pred["acc_bytes"], 1);
        assert_eq!(o.pred["acc_mutual_info"], 1);
        assert_eq!(o.metrics["acc"], 0.0);
        assert_eq!(o.metrics["acc_norm"], 1.0);
        assert_eq!(o.metrics["exact_match"], 0.0);
        assert_eq!(argmax(&[1.0, 3.0, 3.0]), 1);
    }

    #[test]
    fn stderr_is_the_sample_standard_error() {
        let (m, s) = mean_stderr(&[1.0, 0.0, 1.0, 1.0]);
        assert_eq!(m, 0.75);
        assert!((s.unwrap() - 0.25).abs() < 1e-12);
        assert_eq!(mean_stderr(&[1.0]).1, None);
    }

    #[test]
    fn paired_gap_is_zero_for_identical_languages_and_signed_otherwise() {
        let a: HashMap<String, f64> = (0..50).map(|i| (i.to_string(), f64::from(i % 2))).collect();
        let g = paired_gap(&a, &a, 200, 1).unwrap();
        assert_eq!((g.gap, g.stderr, g.n), (0.0, 0.0, 50));
        let zero: HashMap<String, f64> = a.keys().map(|k| (k.clone(), 0.0)).collect();
        let g = paired_gap(&zero, &a, 200, 1).unwrap();
        assert_eq!(g.gap, -0.5);
        assert!(g.stderr > 0.03 && g.stderr < 0.12, "{}", g.stderr);
    }
}
