//! Percentile bootstrap confidence intervals of Pearson, Spearman and Kendall τ-b against SciPy 1.17's
//! `scipy.stats.bootstrap(..., paired=True, method='percentile', rng=np.random.default_rng(seed))`
//! (`tests/correlation_ref.py`, in the venv of `scripts/install-test-assets`): random vector pairs of
//! 3–80 points, with ties, near-constant vectors (resamples without a coefficient give NaN bounds),
//! several seeds, resample counts and confidence levels. Bounds and standard errors must agree to 1e-10.

use std::path::PathBuf;
use std::process::Command;

use serde_json::{Value, json};
use xling_metrics::correlation::{BootstrapOptions, Coefficient, bootstrap_ci};

mod common;
use common::Rng;

fn close(a: f64, b: &Value) -> bool {
    match b.as_f64() {
        None => a.is_nan(),
        Some(b) => (a - b).abs() <= 1e-10 * b.abs().max(1.0),
    }
}

#[test]
fn bootstrap_intervals_equal_scipy() {
    let python = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.cache/venv/bin/python");
    if !python.exists() {
        let msg = format!(
            "{} is missing: run scripts/install-test-assets",
            python.display()
        );
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{msg}");
        eprintln!("skipping correlation bootstrap parity test: {msg}");
        return;
    }
    let mut rng = Rng(99);
    let mut cases = Vec::new();
    for i in 0..36 {
        let n = match i % 4 {
            0 => 3 + rng.below(5),
            1 => 10 + rng.below(20),
            _ => 30 + rng.below(50),
        };
        let x: Vec<f64> = (0..n)
            .map(|_| match i % 3 {
                0 => rng.below(4) as f64,
                1 => (rng.next() >> 11) as f64 / (1u64 << 53) as f64 * 10.0 - 5.0,
                _ => rng.below(100) as f64 / 3.0,
            })
            .collect();
        let y: Vec<f64> = x
            .iter()
            .map(|v| {
                if i % 9 == 4 {
                    // Nearly constant: many resamples have no coefficient.
                    if rng.below(8) == 0 { 1.0 } else { 0.0 }
                } else {
                    v * 0.7 + rng.below(7) as f64 - 3.0
                }
            })
            .collect();
        let coef = Coefficient::ALL[i % 3];
        let opts = BootstrapOptions {
            n_resamples: [1000, 250, 999][i % 3],
            confidence: [0.95, 0.9, 0.99, 0.5][i % 4],
            seed: if i % 5 == 0 { 12345 } else { 1000 + i as u64 },
        };
        cases.push((x, y, coef, opts));
    }
    let input = json!({"cases": cases.iter().map(|(x, y, c, o)| json!({
        "x": x, "y": y, "coef": c.name(), "n": o.n_resamples, "confidence": o.confidence, "seed": o.seed,
    })).collect::<Vec<_>>()});
    let dir = tempfile::tempdir().expect("temp dir");
    let (inp, outp) = (dir.path().join("in.json"), dir.path().join("out.json"));
    std::fs::write(&inp, input.to_string()).expect("write");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/correlation_ref.py");
    let status = Command::new(&python)
        .arg(&script)
        .arg(&inp)
        .arg(&outp)
        .status()
        .expect("run python");
    assert!(status.success(), "correlation_ref.py failed");
    let out: Value =
        serde_json::from_str(&std::fs::read_to_string(&outp).expect("read")).expect("json");
    let mut failures = Vec::new();
    let mut nan_cases = 0;
    for (k, (x, y, coef, opts)) in cases.iter().enumerate() {
        let got = bootstrap_ci(x, y, *coef, opts).expect("interval");
        let want = &out["results"][k];
        nan_cases += usize::from(got.low.is_nan());
        if !(close(got.low, &want[0])
            && close(got.high, &want[1])
            && close(got.standard_error, &want[2]))
        {
            failures.push(format!(
                "case {k} ({}, n={}, {:?}): [{}, {}] se {} != {want}",
                coef.name(),
                x.len(),
                opts,
                got.low,
                got.high,
                got.standard_error
            ));
        }
    }
    assert!(
        nan_cases > 0 && nan_cases < cases.len(),
        "{nan_cases} NaN intervals"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn intervals_contain_the_statistic_and_reject_bad_input() {
    let x: Vec<f64> = (0..40).map(f64::from).collect();
    let y: Vec<f64> = x.iter().map(|v| v * 2.0 + (v * 1.7).sin() * 5.0).collect();
    for c in Coefficient::ALL {
        let ci = bootstrap_ci(&x, &y, c, &BootstrapOptions::default()).expect("ci");
        let s = ci.statistic.expect("statistic");
        assert!(
            ci.low <= s && s <= ci.high && ci.low < ci.high,
            "{c:?} {ci:?}"
        );
        assert!(ci.standard_error > 0.0 && ci.standard_error < 0.2, "{ci:?}");
    }
    let bad = BootstrapOptions {
        confidence: 1.0,
        ..BootstrapOptions::default()
    };
    assert!(bootstrap_ci(&x, &y, Coefficient::Pearson, &bad).is_none());
    assert!(
        bootstrap_ci(
            &x[..3],
            &y,
            Coefficient::Pearson,
            &BootstrapOptions::default()
        )
        .is_none()
    );
}
