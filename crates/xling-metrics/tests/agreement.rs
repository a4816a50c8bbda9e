//! Agreement statistics against their references: scikit-learn's `cohen_kappa_score` (unweighted, linear,
//! quadratic) and the `krippendorff` package's `alpha` (nominal, ordinal, interval, ratio, with missing
//! ratings), on seeded random rating matrices. The reference packages live in the venv built by
//! `scripts/install-test-assets`; without it the test prints a skip notice, and fails under `CI=true`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

use xling_metrics::agreement::{
    Level, Weights, cohen_kappa, krippendorff_alpha, percent_agreement,
};

const REFERENCE: &str = r#"
import json, sys, math, warnings
import numpy as np, krippendorff
from sklearn.metrics import cohen_kappa_score
data = json.load(open(sys.argv[1]))
out = []
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    for case in data:
        r = np.array([[np.nan if v is None else v for v in row] for row in case], dtype=float)
        alphas = []
        for level in ("nominal", "ordinal", "interval", "ratio"):
            try:
                a = float(krippendorff.alpha(reliability_data=r, level_of_measurement=level))
                alphas.append(None if math.isnan(a) or math.isinf(a) else a)
            except (ValueError, ZeroDivisionError):
                alphas.append(None)
        a, b = case[0], case[1]
        both = [(x, y) for x, y in zip(a, b) if x is not None and y is not None]
        kappas = []
        for w in (None, "linear", "quadratic"):
            if not both:
                kappas.append(None)
                continue
            k = float(cohen_kappa_score([int(x) for x, _ in both], [int(y) for _, y in both], weights=w))
            kappas.append(None if math.isnan(k) else k)
        agree = float(np.mean([x == y for x, y in both])) if both else None
        out.append({"alpha": alphas, "kappa": kappas, "agree": agree})
json.dump(out, open(sys.argv[2], "w"))
"#;

fn python() -> Option<PathBuf> {
    let py = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.cache/venv/bin/python");
    let ok = py.exists()
        && Command::new(&py)
            .args(["-c", "import krippendorff, sklearn"])
            .output()
            .is_ok_and(|o| o.status.success());
    if ok {
        return Some(py);
    }
    let msg = format!(
        "krippendorff/scikit-learn not found in {}; run scripts/install-test-assets",
        py.display()
    );
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{msg}");
    }
    eprintln!("skipping the agreement parity test: {msg}");
    None
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Random rating matrices: 2–5 raters, 2–40 units, 2–6 integer values (some scales starting at 0,
/// which exercises the ratio metric's 0/0 case), up to 40% missing, and often-agreeing raters.
fn cases() -> Vec<Vec<Vec<Option<f64>>>> {
    let mut rng = Rng(0x5DEE_CE66_D1CE_4E5B);
    (0..400)
        .map(|_| {
            let raters = 2 + rng.below(4) as usize;
            let units = 2 + rng.below(39) as usize;
            let values = 2 + rng.below(5);
            let offset = rng.below(2) as f64;
            let missing = rng.below(5);
            let truth: Vec<f64> = (0..units)
                .map(|_| rng.below(values) as f64 + offset)
                .collect();
            (0..raters)
                .map(|_| {
                    truth
                        .iter()
                        .map(|&t| {
                            if rng.below(10) < missing {
                                None
                            } else if rng.below(3) == 0 {
                                Some(rng.below(values) as f64 + offset)
                            } else {
                                Some(t)
                            }
                        })
                        .collect()
                })
                .collect()
        })
        .collect()
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0),
        _ => false,
    }
}

#[test]
fn agreement_equals_sklearn_and_krippendorff() {
    let Some(py) = python() else { return };
    let cases = cases();
    let dir = tempfile::tempdir().unwrap();
    let (input, output, script) = (
        dir.path().join("in.json"),
        dir.path().join("out.json"),
        dir.path().join("ref.py"),
    );
    let json: Vec<Vec<Vec<Option<f64>>>> = cases.clone();
    std::fs::write(&input, serde_json::to_string(&json).unwrap()).unwrap();
    std::fs::write(&script, REFERENCE).unwrap();
    let o = Command::new(py)
        .arg(&script)
        .arg(&input)
        .arg(&output)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let want: serde_json::Value = serde_json::from_slice(&std::fs::read(&output).unwrap()).unwrap();
    let mut failures = Vec::new();
    let mut compared = 0;
    for (i, case) in cases.iter().enumerate() {
        let w = &want[i];
        let levels = [
            Level::Nominal,
            Level::Ordinal,
            Level::Interval,
            Level::Ratio,
        ];
        for (j, level) in levels.into_iter().enumerate() {
            let got = krippendorff_alpha(case, level);
            compared += 1;
            if !close(got, w["alpha"][j].as_f64()) {
                failures.push(format!(
                    "case {i} alpha {level:?}: ours {got:?} ref {}",
                    w["alpha"][j]
                ));
            }
        }
        let both: Vec<(i64, i64)> = case[0]
            .iter()
            .zip(&case[1])
            .filter_map(|(a, b)| Some(((*a)? as i64, (*b)? as i64)))
            .collect();
        let (a, b): (Vec<i64>, Vec<i64>) = both.into_iter().unzip();
        for (j, weights) in [Weights::Unweighted, Weights::Linear, Weights::Quadratic]
            .into_iter()
            .enumerate()
        {
            let got = cohen_kappa(&a, &b, weights);
            compared += 1;
            if !close(got, w["kappa"][j].as_f64()) {
                failures.push(format!(
                    "case {i} kappa {weights:?}: ours {got:?} ref {}",
                    w["kappa"][j]
                ));
            }
        }
        compared += 1;
        if !close(percent_agreement(&a, &b), w["agree"].as_f64()) {
            failures.push(format!("case {i} agreement"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {compared} differ:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
    eprintln!("agreement parity: {compared} values equal to scikit-learn / krippendorff");
}
