//! Scoring parity with lm-evaluation-harness 0.4.13: the same log-likelihoods give the same
//! per-item acc, acc_norm, acc_bytes, exact_match and acc_mutual_info, and the same mean and standard
//! error. The fixture holds lm-eval's own outputs (its `ConfigurableTask.process_results`, `mean`,
//! `mean_stderr`) on 1,000 random items with many ties; `scripts/reference/lmeval_scoring.py` made it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use serde_json::Value;
use xling_eval::score::{mean_stderr, score_multiple_choice};

#[test]
fn multiple_choice_scoring_equals_lm_eval() {
    let text = include_str!("fixtures/lmeval-mc-scoring.json");
    let fx: Value = serde_json::from_str(text).unwrap();
    let items = fx["items"].as_array().unwrap();
    assert_eq!(items.len(), 1000);
    let mut per_metric: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for (n, it) in items.iter().enumerate() {
        let choices: Vec<String> = it["choices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect();
        let k = choices.len();
        let lls: Vec<f64> = it["lls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let greedy: Vec<bool> = it["greedy"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_bool().unwrap())
            .collect();
        let gold = it["gold"].as_u64().unwrap() as usize;
        let o = score_multiple_choice(&lls[..k], &greedy[..k], &choices, gold, Some(&lls[k..]));
        for (m, want) in it["expected"].as_object().unwrap() {
            let got = o.metrics[m.as_str()];
            assert_eq!(got, want.as_f64().unwrap(), "item {n} metric {m}: {it}");
            per_metric.entry(m.clone()).or_default().push(got);
        }
    }
    for (m, agg) in fx["aggregate"].as_object().unwrap() {
        let (mean, se) = mean_stderr(&per_metric[m]);
        let want_mean = agg["mean"].as_f64().unwrap();
        let want_se = agg["stderr"].as_f64().unwrap();
        assert!(
            (mean - want_mean).abs() < 1e-12,
            "{m} mean {mean} vs {want_mean}"
        );
        assert!(
            (se.unwrap() - want_se).abs() < 1e-12,
            "{m} stderr {se:?} vs {want_se}"
        );
    }
}
