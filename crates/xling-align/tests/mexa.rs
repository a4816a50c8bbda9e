//! MEXA against its references.
//!
//! 1. Exactness: the scores equal a NumPy/SciPy implementation of the reference formulas
//!    (`compute_mexa.py`: SciPy cosine, diagonal strictly above the rest of its row and column) run on
//!    the `.npy` embeddings xling dumped — on synthetic embeddings full of near-ties, and on real Gemma 3
//!    embeddings. Needs `.cache/venv` (NumPy, SciPy).
//! 2. End to end: Gemma 3 270M on the first 100 FLORES devtest sentences of six languages in six scripts
//!    against the transformers pipeline (`fixtures/mexa-gemma3-270m-transformers.json`, made by
//!    `scripts/reference/gemma3_transformers.py mexa`): every per-layer score within 0.02, pooled means
//!    within 0.005 (methods.md §1.5). Needs `.cache/models/gemma-3-270m-q4_k_m.gguf`.
//!
//! Missing assets skip with a notice, and fail under `CI=true`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;
use xling_align::{Embeddings, ExtractOptions, SentenceStates, extract, mexa_layers, npy};
use xling_core::Corpus;
use xling_model::{LoadOptions, Model};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn asset(rel: &str) -> Option<PathBuf> {
    let p = repo().join(rel);
    if p.exists() {
        return Some(p);
    }
    let msg = format!("{rel} is missing: run scripts/install-test-assets");
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{msg}");
    }
    eprintln!("skipped: {msg}");
    None
}

fn model() -> Option<&'static Model> {
    static MODEL: OnceLock<Option<Model>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let p = asset(".cache/models/gemma-3-270m-q4_k_m.gguf")?;
            Some(Model::load(&p, &LoadOptions::default()).unwrap())
        })
        .as_ref()
}

/// The first `n` embedded FLORES devtest sentences of a language.
fn flores(lang: &str, n: usize) -> Vec<String> {
    let corpus = Corpus::embedded_sample().unwrap().load().unwrap();
    let s = corpus.get(lang).unwrap();
    s.segments.iter().take(n).map(|g| g.text.clone()).collect()
}

fn states(m: &Model, lang: &str, n: usize) -> SentenceStates {
    let sents = flores(lang, n);
    let refs: Vec<&str> = sents.iter().map(String::as_str).collect();
    extract(m, &refs, &ExtractOptions::default(), &mut |_| {}).unwrap()
}

/// Per-layer MEXA hit counts computed by NumPy/SciPy from two `.npy` files, as compute_mexa.py does,
/// in float64 (SciPy's `cosine` on the float32 arrays themselves would round the dot products to float32;
/// xling computes them in float64). Counts, not fractions, so that JSON float parsing cannot blur them.
fn numpy_mexa(py: &Path, pivot: &Path, target: &Path) -> Vec<u64> {
    let script = r#"
import sys, json
import numpy as np
from scipy.spatial import distance
p, t = np.load(sys.argv[1]).astype(np.float64), np.load(sys.argv[2]).astype(np.float64)
out = []
for layer in range(p.shape[0]):
    n = min(p.shape[1], t.shape[1])
    c = np.array([[1 - distance.cosine(p[layer, i], t[layer, j]) for j in range(n)] for i in range(n)])
    hits = 0
    for i in range(n):
        row = np.delete(c[i, :], i)
        col = np.delete(c[:, i], i)
        if c[i, i] > row.max() and c[i, i] > col.max():
            hits += 1
    out.append(hits / n)
print(json.dumps([round(x * min(p.shape[1], t.shape[1])) for x in out]))
"#;
    let out = Command::new(py)
        .args(["-c", script])
        .arg(pivot)
        .arg(target)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Vec<u64>>(&out.stdout).unwrap()
}

fn counts(scores: &[f64], n: usize) -> Vec<u64> {
    scores
        .iter()
        .map(|s| (s * n as f64).round() as u64)
        .collect()
}

fn dump(dir: &Path, name: &str, e: &Embeddings) -> PathBuf {
    let p = dir.join(format!("{name}.npy"));
    npy::write_f32(&p, &[e.layers, e.sentences, e.dim], &e.data).unwrap();
    p
}

#[test]
fn scores_equal_numpy_on_synthetic_near_ties() {
    let Some(py) = asset(".cache/venv/bin/python") else {
        return;
    };
    // Deterministic pseudo-random embeddings; the target is the pivot plus noise of growing size, with
    // duplicated rows (exact ties) and rows scaled by a constant (equal cosines) mixed in.
    let (layers, n, dim) = (6, 40, 16);
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut rnd = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let mut p = Embeddings::zeros(layers, n, dim);
    let mut t = Embeddings::zeros(layers, n, dim);
    for l in 0..layers {
        let noise = 0.2 * l as f64;
        for i in 0..n {
            for k in 0..dim {
                let at = (l * n + i) * dim + k;
                let v = rnd();
                p.data[at] = v as f32;
                t.data[at] = (v + noise * rnd()) as f32;
            }
        }
        // Row 3 duplicates row 2 in the target (an exact tie); row 5 is row 4 scaled by 3.
        for k in 0..dim {
            let base = l * n * dim;
            t.data[base + 3 * dim + k] = t.data[base + 2 * dim + k];
            t.data[base + 5 * dim + k] = 3.0 * t.data[base + 4 * dim + k];
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let want = numpy_mexa(&py, &dump(dir.path(), "p", &p), &dump(dir.path(), "t", &t));
    let got = mexa_layers(&p, &t);
    assert_eq!(counts(&got, n), want);
    assert!(got[0] < 1.0 && got[layers - 1] < got[0], "{got:?}");
}

#[test]
fn scores_equal_numpy_on_dumped_gemma_embeddings() {
    let (Some(m), Some(py)) = (model(), asset(".cache/venv/bin/python")) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let eng = states(m, "eng_Latn", 30);
    for lang in ["fra_Latn", "tha_Thai"] {
        let other = states(m, lang, 30);
        for (kind, a, b) in [
            ("weighted", &eng.weighted, &other.weighted),
            ("last", &eng.last, &other.last),
        ] {
            let pa = dump(dir.path(), &format!("eng.{kind}"), a);
            let pb = dump(dir.path(), &format!("{lang}.{kind}"), b);
            assert_eq!(
                counts(&mexa_layers(a, b), 30),
                numpy_mexa(&py, &pa, &pb),
                "{lang} {kind}"
            );
        }
    }
}

#[test]
fn gemma3_matches_the_transformers_pipeline_on_six_scripts() {
    let Some(m) = model() else { return };
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/mexa-gemma3-270m-transformers.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let n = usize::try_from(fixture["num_sents"].as_u64().unwrap()).unwrap();
    let pivot = states(m, fixture["pivot"].as_str().unwrap(), n);
    let mut total_tokens = pivot.tokens;
    for (lang, want) in fixture["scores"].as_object().unwrap() {
        let s = states(m, lang, n);
        total_tokens += s.tokens;
        for kind in ["weighted", "last"] {
            let (a, b) = if kind == "weighted" {
                (&pivot.weighted, &s.weighted)
            } else {
                (&pivot.last, &s.last)
            };
            let got = mexa_layers(a, b);
            let want: Vec<f64> = want[kind]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            assert_eq!(got.len(), want.len());
            for (l, (g, w)) in got.iter().zip(&want).enumerate() {
                assert!(
                    (g - w).abs() <= 0.02 + 1e-12,
                    "{lang} {kind} layer {l}: {g} vs {w}"
                );
            }
            let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
            assert!(
                (mean(&got) - mean(&want)).abs() <= 0.005,
                "{lang} {kind} mean: {} vs {}",
                mean(&got),
                mean(&want)
            );
        }
    }
    // The same tokenization as transformers: the token totals agree.
    assert_eq!(total_tokens as u64, fixture["tokens"].as_u64().unwrap());
}
