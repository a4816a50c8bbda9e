//! xling's Gemma 3 forward pass against HF transformers running the same dequantized GGUF weights.
//!
//! The reference values (`fixtures/gemma3-270m-reference.json`) come from
//! `scripts/reference/gemma3_transformers.py hidden` (transformers 5.24, float32, eager attention; the
//! versions are recorded in the file). The model is `.cache/models/gemma-3-270m-q4_k_m.gguf`, installed
//! by `scripts/install-test-assets`; under `CI=true` a missing model fails the test, elsewhere it skips.
//!
//! Tolerances: every hidden state, pooled two ways, within 1e-4 relative (L2) of transformers'; next-token
//! log-probabilities within 2e-3; continuation log-likelihoods within 5e-3. Both sides compute in f32 with
//! different kernels (candle's gemm vs MKL/oneDNN), so bit equality is not expected; a real convention
//! error (SiLU for GELU, a wrong RoPE base, a missing norm offset) moves these numbers by 1e-1 or more.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;
use xling_model::candle_core::IndexOp;
use xling_model::{LoadOptions, Model, ModelError};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn model() -> Option<&'static Model> {
    static MODEL: OnceLock<Option<Model>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let p = repo().join(".cache/models/gemma-3-270m-q4_k_m.gguf");
            if !p.exists() {
                let msg = format!(
                    "{} is missing: run scripts/install-test-assets",
                    p.display()
                );
                if std::env::var("CI").as_deref() == Ok("true") {
                    panic!("{msg}");
                }
                eprintln!("skipped: {msg}");
                return None;
            }
            Some(Model::load(&p, &LoadOptions::default()).unwrap())
        })
        .as_ref()
}

fn fixture() -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gemma3-270m-reference.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn ids(v: &Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| u32::try_from(x.as_u64().unwrap()).unwrap())
        .collect()
}

fn rel_l2(a: &[f64], b: &[f64]) -> f64 {
    let num: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
    let den: f64 = b.iter().map(|y| y * y).sum();
    (num / den).sqrt()
}

#[test]
fn gguf_tokenizer_equals_transformers_on_the_prompts() {
    let Some(m) = model() else { return };
    for p in fixture()["prompts"].as_array().unwrap() {
        let text = p["text"].as_str().unwrap();
        assert_eq!(m.encode(text).unwrap(), ids(&p["ids"]), "{text:?}");
    }
}

#[test]
fn every_hidden_state_matches_transformers() {
    let Some(m) = model() else { return };
    let mut worst = 0f64;
    for p in fixture()["prompts"].as_array().unwrap() {
        let ids = ids(&p["ids"]);
        let out = m.forward(&[&ids], true).unwrap();
        assert_eq!(out.hidden.len(), m.info().n_layers + 1);
        let t = ids.len();
        for (layer, h) in out.hidden.iter().enumerate() {
            let h: Vec<Vec<f32>> = h.i(0).unwrap().to_vec2().unwrap();
            let denom = (t * (t + 1) / 2) as f64;
            let d = h[0].len();
            let weighted: Vec<f64> = (0..d)
                .map(|k| {
                    h.iter()
                        .enumerate()
                        .map(|(i, row)| (i + 1) as f64 * f64::from(row[k]))
                        .sum::<f64>()
                        / denom
                })
                .collect();
            let last: Vec<f64> = h[t - 1].iter().map(|&x| f64::from(x)).collect();
            for (mine, key) in [(weighted, "weighted"), (last, "last")] {
                let want = floats(&p[key][layer]);
                let e = rel_l2(&mine, &want);
                worst = worst.max(e);
                assert!(
                    e < 1e-4,
                    "{:?} layer {layer} {key}: relative L2 error {e:.2e}",
                    p["text"]
                );
            }
        }
        // Next-token distribution at the last position.
        let lp = m.next_token_logprobs(&ids).unwrap();
        for pair in p["top10"].as_array().unwrap() {
            let id = pair[0].as_u64().unwrap() as usize;
            let want = pair[1].as_f64().unwrap();
            assert!(
                (f64::from(lp[id]) - want).abs() < 2e-3,
                "{:?} token {id}: {} vs {want}",
                p["text"],
                lp[id]
            );
        }
    }
    eprintln!("worst relative L2 error over all hidden states: {worst:.2e}");
}

#[test]
fn continuation_log_likelihoods_match_transformers_batched() {
    let Some(m) = model() else { return };
    let conts = fixture()["continuations"].as_array().unwrap().clone();
    let requests: Vec<(Vec<u32>, Vec<u32>)> = conts
        .iter()
        .map(|c| {
            let ctx = ids(&c["context_ids"]);
            let full = ids(&c["ids"]);
            (ctx.clone(), full[ctx.len()..].to_vec())
        })
        .collect();
    // One right-padded batch of different lengths: padding must not change any score.
    let got = m.log_likelihoods(&requests).unwrap();
    for (c, (ll, _greedy)) in conts.iter().zip(&got) {
        let want = c["loglik"].as_f64().unwrap();
        assert!(
            (ll - want).abs() < 5e-3,
            "{}: {ll} vs {want}",
            c["continuation"]
        );
    }
    // " Paris." wins, as in transformers and llama.cpp (stock candle's SiLU MLP picks " a city.").
    let best = got
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.0.total_cmp(&b.1.0))
        .unwrap()
        .0;
    assert_eq!(conts[best]["continuation"], " Paris.");
}

#[test]
fn padding_does_not_change_hidden_states() {
    let Some(m) = model() else { return };
    let a = m.encode("Short.").unwrap();
    let b = m
        .encode("A much longer sentence that forces padding of the first one.")
        .unwrap();
    let alone = m.forward(&[&a], true).unwrap();
    let padded = m.forward(&[&a, &b], true).unwrap();
    for (x, y) in alone.hidden.iter().zip(&padded.hidden) {
        let x: Vec<Vec<f32>> = x.i(0).unwrap().to_vec2().unwrap();
        let y: Vec<Vec<f32>> = y.i((0, ..a.len())).unwrap().to_vec2().unwrap();
        for (rx, ry) in x.iter().zip(&y) {
            let rx: Vec<f64> = rx.iter().map(|&v| f64::from(v)).collect();
            let ry: Vec<f64> = ry.iter().map(|&v| f64::from(v)).collect();
            // Different batch shapes take different GEMM blockings: equal to float noise, not bitwise.
            let e = rel_l2(&ry, &rx);
            assert!(e < 1e-5, "padded vs alone: relative L2 error {e:.2e}");
        }
    }
}

#[test]
fn bad_inputs_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    // Not a GGUF at all.
    let junk = dir.path().join("junk.gguf");
    std::fs::write(&junk, b"this is not a model").unwrap();
    let e = Model::load(&junk, &LoadOptions::default()).err().unwrap();
    assert!(matches!(e, ModelError::Format { .. }), "{e}");
    assert!(e.to_string().contains("junk.gguf"), "{e}");

    let Some(m) = model() else { return };
    // A truncated copy of the real model names the file and the tensor that does not fit.
    let src = &m.info().path;
    let bytes = std::fs::read(src).unwrap();
    let cut = dir.path().join("cut.gguf");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let e = Model::load(&cut, &LoadOptions::default()).err().unwrap();
    let msg = e.to_string();
    assert!(
        msg.contains("cut.gguf") && msg.contains("truncated"),
        "{msg}"
    );
    // A tokenizer that does not match the vocabulary.
    let wrong = repo().join(".cache/npm/qwen3/tokenizer.json");
    if wrong.exists() {
        let e = Model::load(
            src,
            &LoadOptions {
                tokenizer: Some(wrong),
                ..LoadOptions::default()
            },
        )
        .err()
        .unwrap();
        let msg = e.to_string();
        assert!(msg.contains("qwen3") && msg.contains("262144"), "{msg}");
    }
    // Out-of-vocabulary ids are an error, not a panic.
    let e = m.forward(&[&[2, 999_999]], false).err().unwrap();
    assert!(e.to_string().contains("999999"), "{e}");
}

#[test]
fn unsupported_architecture_names_it_and_the_supported_ones() {
    use xling_model::candle_core::quantized::gguf_file::{Value as GValue, write};
    use xling_model::candle_core::quantized::{GgmlDType, QTensor};
    use xling_model::candle_core::{Device, Tensor};
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("mamba.gguf");
    let t = QTensor::quantize(
        &Tensor::zeros((4, 4), xling_model::candle_core::DType::F32, &Device::Cpu).unwrap(),
        GgmlDType::F32,
    )
    .unwrap();
    let arch = GValue::String("mamba".into());
    let mut f = std::fs::File::create(&p).unwrap();
    write(&mut f, &[("general.architecture", &arch)], &[("w", &t)]).unwrap();
    drop(f);
    let e = Model::load(&p, &LoadOptions::default()).err().unwrap();
    let msg = e.to_string();
    assert!(
        msg.contains("mamba") && msg.contains("gemma3") && msg.contains("mamba.gguf"),
        "{msg}"
    );
}

#[test]
fn cached_generation_equals_full_recomputation() {
    use xling_model::Sampling;
    let Some(m) = model() else { return };
    let prompt = m.encode("The capital of France is").unwrap();
    let fast = m.generate(&prompt, 8, &[], &Sampling::Greedy).unwrap();
    // Without a cache: the whole sequence again for every new token.
    let mut ids = prompt.clone();
    let mut slow = Vec::new();
    for _ in 0..8 {
        let lp = m.next_token_logprobs(&ids).unwrap();
        let best = (0..lp.len())
            .max_by(|&a, &b| lp[a].total_cmp(&lp[b]).then(b.cmp(&a)))
            .unwrap() as u32;
        slow.push(best);
        ids.push(best);
    }
    assert_eq!(fast, slow);
    // The most probable continuation starts with " the" (p = 0.19 in transformers).
    assert_eq!(fast[0], 506);
    // Seeded sampling is reproducible, and a stop token ends generation (and is kept).
    let s = Sampling::Sample {
        temperature: 0.8,
        top_p: 0.95,
        seed: 7,
    };
    let a = m.generate(&prompt, 6, &[], &s).unwrap();
    assert_eq!(a, m.generate(&prompt, 6, &[], &s).unwrap());
    let stopped = m
        .generate(&prompt, 6, &[fast[1]], &Sampling::Greedy)
        .unwrap();
    assert_eq!(stopped, fast[..2].to_vec());
}

#[test]
fn batched_generation_gives_each_sequence_what_it_gets_alone() {
    use xling_model::{Generation, Sampling};
    let Some(m) = model() else { return };
    let texts = [
        "The capital of France is",
        "Question: what is 12 + 30? Answer:",
        "Il était une fois",
        "日本の首都は",
        "1, 2, 3,",
    ];
    let prompts: Vec<Vec<u32>> = texts.iter().map(|t| m.encode(t).unwrap()).collect();
    let sampled = Sampling::Sample {
        temperature: 0.9,
        top_p: 0.9,
        seed: 11,
    };
    // Different lengths, greedy and sampled rows, one request with nothing to generate.
    let requests: Vec<Generation> = prompts
        .iter()
        .enumerate()
        .map(|(i, p)| Generation {
            prompt: p.into(),
            max_new: [12, 7, 0, 10, 12][i],
            sampling: if i == 1 {
                sampled.clone()
            } else {
                Sampling::Greedy
            },
        })
        .collect();
    // Stop after a comma in the counting prompt: a row leaves the batch while others go on.
    let comma = m.encode(",").unwrap();
    let stop = |i: usize, toks: &[u32]| i == 4 && toks.last() == comma.last();
    let alone: Vec<Vec<u32>> = requests
        .iter()
        .enumerate()
        .map(|(i, r)| {
            m.generate_until(&r.prompt, r.max_new, &r.sampling, |t| stop(i, t))
                .unwrap()
        })
        .collect();
    assert!(alone[0].len() == 12 && alone[2].is_empty());
    assert!(alone[4].len() < 12, "the stop never fired: {:?}", alone[4]);
    for width in [2, 3, 16] {
        let mut got = vec![None; requests.len()];
        let mut order = Vec::new();
        m.generate_batch(
            &requests,
            width,
            stop,
            |i, toks| -> Result<(), ModelError> {
                order.push(i);
                got[i] = Some(toks);
                Ok(())
            },
        )
        .unwrap();
        let got: Vec<Vec<u32>> = got.into_iter().map(Option::unwrap).collect();
        assert_eq!(got, alone, "width {width}");
        assert_eq!(order.len(), requests.len());
    }
}

#[test]
fn gguf_tokenizer_equals_the_published_tokenizer_json_on_every_flores_language() {
    let Some(m) = model() else { return };
    let json = repo().join(".cache/npm/gemma3/tokenizer.json");
    if !json.exists() {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "{} missing",
            json.display()
        );
        eprintln!("skipped: {} missing", json.display());
        return;
    }
    let hf = xling_model::ModelTokenizer::from_file(&json).unwrap();
    let corpus = xling_core::Corpus::embedded_sample()
        .unwrap()
        .load()
        .unwrap();
    let mut lines = 0;
    for stream in &corpus.streams {
        for seg in &stream.segments {
            let want = hf.encode(&seg.text).unwrap();
            let got = m.tokenizer().encode(&seg.text).unwrap();
            assert_eq!(
                got, want,
                "{} line {}: {:?}",
                stream.variety.key, seg.line, seg.text
            );
            lines += 1;
        }
    }
    assert_eq!(lines, 204 * 200);
}

/// The int8 mode (`Precision::Int8`): every projection quantized, so hidden states move, but stay
/// close to transformers' f32 ones, and the most likely next token does not change on these prompts.
#[test]
fn int8_mode_stays_close_to_transformers() {
    let Some(f32_model) = model() else { return };
    let p = repo().join(".cache/models/gemma-3-270m-q4_k_m.gguf");
    let opts = LoadOptions {
        precision: xling_model::linear::Precision::Int8,
        ..LoadOptions::default()
    };
    let m = Model::load(&p, &opts).unwrap();
    let mut worst = 0f64;
    for p in fixture()["prompts"].as_array().unwrap() {
        let ids = ids(&p["ids"]);
        let out = m.forward(&[&ids], true).unwrap();
        let t = ids.len();
        for (layer, h) in out.hidden.iter().enumerate() {
            let h: Vec<Vec<f32>> = h.i(0).unwrap().to_vec2().unwrap();
            let last: Vec<f64> = h[t - 1].iter().map(|&x| f64::from(x)).collect();
            let e = rel_l2(&last, &floats(&p["last"][layer]));
            worst = worst.max(e);
        }
        // The most likely next token under f32 is (near-)top under int8 too: within 0.5 nats of
        // int8's own top choice (near-ties may swap).
        let lp8 = m.next_token_logprobs(&ids).unwrap();
        let lp32 = f32_model.next_token_logprobs(&ids).unwrap();
        let argmax = |v: &[f32]| {
            v.iter()
                .enumerate()
                .fold((0, f32::MIN), |b, (i, &x)| if x > b.1 { (i, x) } else { b })
        };
        let (top8, best8) = argmax(&lp8);
        let (top32, best32) = argmax(&lp32);
        eprintln!(
            "{:?}: f32 top {top32} ({best32:.3}; int8 gives it {:.3}), int8 top {top8} ({best8:.3}; f32 gives it {:.3})",
            p["text"], lp8[top32], lp32[top8]
        );
        assert!(best8 - lp8[top32] < 0.5, "{:?}", p["text"]);
    }
    eprintln!("int8: worst relative L2 error of the last-token states: {worst:.2e}");
    // A real error (a wrong scale, a lost column sum) gives errors of order 1.
    assert!(worst > 1e-5 && worst < 0.1, "int8 relative L2 {worst:.2e}");
}
