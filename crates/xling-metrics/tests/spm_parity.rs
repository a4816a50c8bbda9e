//! Parity of the SentencePiece BLEU tokenizers (`flores101`, `flores200`, `spm`, `spBLEU-1K`) with
//! sacrebleu 2.6.0 given the same model file.
//!
//! sacrebleu downloads its models at run time; the reference script (`tests/spm_ref.py`, in the venv of
//! `scripts/install-test-assets`) instead points sacrebleu's model cache at local files: SentencePiece
//! models it trains with the `sentencepiece` trainer on the random corpora (unigram and BPE; NMT-NFKC,
//! NFKC with case folding and identity normalisation; byte fallback, no dummy prefix, kept
//! whitespace, split digits) and the Mistral v1 model the asset script installs (BPE with byte
//! fallback). Models with user-defined symbols (Mistral v7) are refused with an error. Every tokenized line must be identical, every corpus and sentence BLEU
//! equal to 1e-9 relative and every signature equal.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use serde_json::{Value, json};
use xling_metrics::spm::{SpmKind, SpmModel, SpmTokenizer};
use xling_metrics::{Bleu, Tokenizer};

mod common;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rel_dev(a: f64, b: f64) -> f64 {
    if a == b {
        0.0
    } else {
        (a - b).abs() / a.abs().max(b.abs())
    }
}

fn kind(name: &str) -> SpmKind {
    SpmKind::ALL
        .into_iter()
        .find(|k| k.name() == name)
        .unwrap_or_else(|| panic!("unknown kind {name}"))
}

/// Skips (or, under CI, fails) when an asset is missing.
fn require(path: &Path) -> bool {
    if path.exists() {
        return true;
    }
    let msg = format!(
        "{} is missing: run scripts/install-test-assets",
        path.display()
    );
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{msg}");
    }
    eprintln!("skipping SentencePiece BLEU parity test: {msg}");
    false
}

#[test]
fn spm_bleu_parity_with_sacrebleu() {
    let root = repo_root();
    let python = root.join(".cache/venv/bin/python");
    if !require(&python) {
        return;
    }
    let corpora = common::corpora(4242, 150);
    // Trained on the first 100 corpora only, so the others bring unknown characters.
    let train: Vec<&String> = corpora[..100]
        .iter()
        .flat_map(|(h, r)| h.iter().chain(r.iter().flatten()))
        .filter(|l| !l.trim().is_empty())
        .collect();
    let trained = json!([
        {"name": "unigram-nmt-nfkc", "options": {"model_type": "unigram", "vocab_size": 6000,
            "character_coverage": 0.98, "normalization_rule_name": "nmt_nfkc", "hard_vocab_limit": false}},
        {"name": "bpe-identity-bytes", "options": {"model_type": "bpe", "vocab_size": 5000,
            "byte_fallback": true, "character_coverage": 0.98, "normalization_rule_name": "identity",
            "hard_vocab_limit": false}},
        {"name": "unigram-cf-raw-spaces", "options": {"model_type": "unigram", "vocab_size": 5000,
            "normalization_rule_name": "nmt_nfkc_cf", "add_dummy_prefix": false,
            "remove_extra_whitespaces": false, "character_coverage": 0.98, "hard_vocab_limit": false}},
        {"name": "bpe-nfkc-digits", "options": {"model_type": "bpe", "vocab_size": 7000,
            "split_digits": true, "normalization_rule_name": "nfkc", "character_coverage": 0.98,
            "hard_vocab_limit": false}},
    ]);
    let mistral = root.join(".cache/spm/mistral-v1.model");
    if !require(&mistral) {
        return;
    }
    let external = json!([{"name": "mistral-v1", "path": mistral}]);
    let kinds = ["flores200", "flores101", "spm", "spBLEU-1K"];
    let dir = std::env::temp_dir().join(format!("xling-spm-parity-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let input = json!({
        "dir": dir,
        "train": train,
        "corpora": corpora.iter().map(|(h, r)| json!({"hyps": h, "refs": r})).collect::<Vec<_>>(),
        "trained": trained,
        "external": external,
        "kinds": kinds,
    });
    let (inp, outp) = (dir.join("in.json"), dir.join("out.json"));
    std::fs::write(&inp, input.to_string()).expect("write input");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/spm_ref.py");
    let status = Command::new(&python)
        .arg(&script)
        .arg(&inp)
        .arg(&outp)
        .status()
        .expect("run python");
    assert!(status.success(), "spm_ref.py failed");
    let out: Value =
        serde_json::from_str(&std::fs::read_to_string(&outp).expect("read output")).expect("json");
    assert_eq!(out["version"], "2.6.0");
    let lines: Vec<&String> = corpora
        .iter()
        .flat_map(|(h, r)| h.iter().chain(r.iter().flatten()))
        .collect();
    let models = out["models"].as_array().expect("models");
    assert_eq!(models.len(), 5);
    let mut failures = Vec::new();
    let mut compared = 0usize;
    for m in models {
        let name = m["name"].as_str().expect("name");
        let path = PathBuf::from(m["path"].as_str().expect("path"));
        let model = Arc::new(SpmModel::from_file(&path).expect("load model"));
        let k = kind(m["kind"].as_str().expect("kind"));
        let tok = Tokenizer::Spm(SpmTokenizer::new(k, model.clone()));
        let want = m["tokenized"].as_array().expect("tokenized");
        assert_eq!(want.len(), lines.len());
        for (line, w) in lines.iter().zip(want) {
            let got = model.pieces_joined(line);
            if got != w.as_str().unwrap_or_default() {
                failures.push(format!("{name}: pieces of {line:?}: {got:?} != {w}"));
            }
        }
        for (ci, (hyps, refs)) in corpora.iter().enumerate() {
            for (j, lowercase) in [false, true].into_iter().enumerate() {
                let b = Bleu {
                    lowercase,
                    tokenize: tok.clone(),
                    ..Bleu::default()
                };
                let w = &m["corpus"][ci][j];
                let s = b.corpus_score(hyps, refs).expect("score").score;
                let ws = w["score"].as_f64().expect("score");
                let sig = b.signature(refs.len());
                if rel_dev(s, ws) > 1e-9 {
                    failures.push(format!("{name} corpus {ci} lc={lowercase}: {s} != {ws}"));
                }
                if sig.format(false) != w["sig"].as_str().unwrap_or_default()
                    || sig.format(true) != w["short"].as_str().unwrap_or_default()
                {
                    failures.push(format!(
                        "{name}: signature {} != {}",
                        sig.format(false),
                        w["sig"]
                    ));
                }
                compared += 1;
            }
            let b = Bleu {
                tokenize: tok.clone(),
                effective_order: true,
                ..Bleu::default()
            };
            let scores = b.sentence_scores(hyps, refs).expect("sentence");
            for (i, s) in scores.iter().enumerate() {
                let ws = m["sentence"][ci][i].as_f64().expect("sentence score");
                if rel_dev(s.score, ws) > 1e-9 {
                    failures.push(format!("{name} sentence {ci}/{i}: {} != {ws}", s.score));
                }
                compared += 1;
            }
        }
    }
    if std::env::var_os("XLING_PARITY_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    for m in models {
        let name = m["name"].as_str().unwrap_or_default();
        let n = failures
            .iter()
            .filter(|f| f.starts_with(&format!("{name}:")) || f.starts_with(&format!("{name} ")))
            .count();
        eprintln!("spm parity: {name} ({}): {n} mismatches", m["kind"]);
        for f in failures
            .iter()
            .filter(|f| f.starts_with(&format!("{name}:")) || f.starts_with(&format!("{name} ")))
            .take(3)
        {
            eprintln!("  {f}");
        }
    }
    eprintln!(
        "spm parity: {} models, {} lines each, {compared} scores compared, {} failures",
        models.len(),
        lines.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} mismatches, first ones:\n{}",
        failures.len(),
        failures[..failures.len().min(40)].join("\n")
    );
}

#[test]
fn spm_tokenizers_need_a_model_file() {
    for name in ["flores101", "flores200", "spm", "spBLEU-1K"] {
        let e = Tokenizer::from_name(name, None)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("--spm-model") && e.contains(name), "{e}");
        let e = name
            .parse::<Tokenizer>()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("--spm-model"), "{e}");
    }
    let e = Tokenizer::from_name("flores200", None)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("flores200sacrebleuspm"), "{e}");
    for (name, dict) in [("ja-mecab", "IPA dictionary"), ("ko-mecab", "mecab-ko-dic")] {
        let e = Tokenizer::from_name(name, None)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains(dict) && e.contains("not available"), "{e}");
    }
    let e = Tokenizer::from_name("13a", Some(Path::new("x.model")))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("x.model") && e.contains("only used"), "{e}");
}

#[test]
fn models_with_user_defined_symbols_are_refused() {
    let p = repo_root().join(".cache/spm/mistral-v7.model");
    if !require(&p) {
        return;
    }
    let e = Tokenizer::from_name("flores200", Some(&p))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.contains("mistral-v7.model") && e.contains("user-defined symbols"),
        "{e}"
    );
}
