//! Every architecture's forward pass against HF transformers on tiny random-weight models.
//!
//! The fixtures (`fixtures/tiny-{llama,qwen2,qwen3,gemma3}/`: `config.json`, `model.safetensors`, a GGUF
//! of the same weights for the Llama family, and `reference.json` with transformers' outputs and
//! versions) come from `scripts/reference/tiny_families.py`; no Python is needed here. The Llama model
//! uses Llama 3 RoPE scaling and an untied head; Qwen2 has q/k/v biases, one key/value head and a tied
//! head; Qwen3 has q/k norms and a head width (32) that is not hidden/heads; Gemma 3 mixes a
//! sliding-window layer (window 4) with a global one. Llama, Qwen3 and Gemma 3 are stored in bf16,
//! Qwen2 in f32; the GGUFs hold F16 (from bf16) or F32 matrices in llama.cpp's conventions (the Llama
//! GGUF has its Q/K rows permuted and its RoPE scaling as `rope_freqs`).
//!
//! Checked for every model and format: every hidden state (in full, not pooled) within 1e-4 relative L2
//! of transformers', per layer; next-token log-probabilities (the whole last row, and the log-probability
//! of each next token) within 1e-4; a right-padded batch equal to single runs; incremental decoding with
//! the key/value cache equal to the full forward pass; greedy continuations equal to transformers'
//! `generate` (whose choices are at least 0.02 nats apart, far above float noise); a decoding step
//! of several sequences bit-identical to stepping each alone, in f32 and int8.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use serde_json::Value;
use xling_model::candle_core::{IndexOp, Tensor};
use xling_model::{Batch, CausalLm, LoadOptions, Model, ModelError, load_lm};

const FAMILIES: [&str; 4] = ["llama", "qwen2", "qwen3", "gemma3"];

fn fixture_dir(family: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/tiny-{family}"))
}

fn reference(family: &str) -> Value {
    let p = fixture_dir(family).join("reference.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// The checkpoints of a family: the folder, the `.safetensors` file itself, and the GGUF if any.
fn paths(family: &str) -> Vec<(String, PathBuf)> {
    let dir = fixture_dir(family);
    let mut out = vec![
        ("safetensors folder".to_string(), dir.clone()),
        (
            "safetensors file".to_string(),
            dir.join("model.safetensors"),
        ),
    ];
    if let Some(g) = reference(family)["gguf"].as_str() {
        out.push(("gguf".to_string(), dir.join(g)));
    }
    out
}

fn ids(v: &Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| u32::try_from(x.as_u64().unwrap()).unwrap())
        .collect()
}

/// The token ids of a reference's sequences.
fn sequences(r: &Value) -> Vec<Vec<u32>> {
    r["sequences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| ids(&s["ids"]))
        .collect()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .flat_map(|x| match x {
            Value::Array(_) => floats(x),
            _ => vec![x.as_f64().unwrap()],
        })
        .collect()
}

fn flat(t: &Tensor) -> Vec<f64> {
    t.flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap()
        .into_iter()
        .map(f64::from)
        .collect()
}

fn rel_l2(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    let num: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
    let den: f64 = b.iter().map(|y| y * y).sum();
    (num / den).sqrt()
}

fn max_abs(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// Log-softmax of each row of logits `[rows, vocab]`, in f64.
fn log_softmax(t: &Tensor) -> Vec<Vec<f64>> {
    let rows: Vec<Vec<f32>> = t.to_vec2().unwrap();
    rows.into_iter()
        .map(|r| {
            let max = r.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let lse = f64::from(max)
                + r.iter()
                    .map(|&x| (f64::from(x) - f64::from(max)).exp())
                    .sum::<f64>()
                    .ln();
            r.iter().map(|&x| f64::from(x) - lse).collect()
        })
        .collect()
}

fn argmax(row: &[f64]) -> u32 {
    let mut best = 0;
    for (i, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = i;
        }
    }
    best as u32
}

#[test]
fn hidden_states_and_log_probs_match_transformers() {
    for family in FAMILIES {
        let r = reference(family);
        for (what, path) in paths(family) {
            let lm = load_lm(&path).unwrap_or_else(|e| panic!("{family} {what}: {e}"));
            let mut worst_hidden = 0f64;
            let mut worst_logp = 0f64;
            for s in r["sequences"].as_array().unwrap() {
                let seq = ids(&s["ids"]);
                let out = lm
                    .forward(&Batch::right_padded(&[&seq], 0).unwrap(), true)
                    .unwrap();
                let want_layers = s["hidden"].as_array().unwrap();
                assert_eq!(out.hidden.len(), want_layers.len(), "{family} {what}");
                assert_eq!(out.hidden.len(), lm.info().n_layers + 1);
                for (layer, (mine, want)) in out.hidden.iter().zip(want_layers).enumerate() {
                    let e = rel_l2(&flat(&mine.i(0).unwrap()), &floats(want));
                    worst_hidden = worst_hidden.max(e);
                    assert!(
                        e <= 1e-4,
                        "{family} {what} {seq:?} hidden state {layer}: relative L2 error {e:.2e}"
                    );
                }
                let logits = lm.lm_head(&out.last.i(0).unwrap()).unwrap();
                let rows = log_softmax(&logits);
                let e = max_abs(&rows[seq.len() - 1], &floats(&s["logprobs_last"]));
                worst_logp = worst_logp.max(e);
                assert!(
                    e <= 1e-4,
                    "{family} {what}: last-row log-probs differ by {e:.2e}"
                );
                let mine: Vec<f64> = (0..seq.len() - 1)
                    .map(|i| rows[i][seq[i + 1] as usize])
                    .collect();
                let e = max_abs(&mine, &floats(&s["token_logprobs"]));
                worst_logp = worst_logp.max(e);
                assert!(
                    e <= 1e-4,
                    "{family} {what}: token log-probs differ by {e:.2e}"
                );
            }
            eprintln!(
                "{family:>6} {what:<18}: max hidden-state rel L2 {worst_hidden:.2e}, max |Δ log p| {worst_logp:.2e}"
            );
        }
    }
}

#[test]
fn padded_batches_equal_single_runs() {
    for family in FAMILIES {
        let r = reference(family);
        let seqs = sequences(&r);
        assert!(seqs[0].len() < seqs[1].len());
        for (what, path) in paths(family) {
            let lm = load_lm(&path).unwrap();
            let refs: Vec<&[u32]> = seqs.iter().map(Vec::as_slice).collect();
            let batch = lm
                .forward(&Batch::right_padded(&refs, 7).unwrap(), true)
                .unwrap();
            for (b, seq) in seqs.iter().enumerate() {
                let alone = lm
                    .forward(&Batch::right_padded(&[seq], 0).unwrap(), true)
                    .unwrap();
                let want = r["sequences"][b]["hidden"].as_array().unwrap();
                for (layer, (x, y)) in alone.hidden.iter().zip(&batch.hidden).enumerate() {
                    let x = flat(&x.i(0).unwrap());
                    let y = flat(&y.i((b, ..seq.len())).unwrap());
                    // Different batch shapes take different GEMM blockings: float noise, not bits.
                    let e = rel_l2(&y, &x);
                    assert!(e < 1e-5, "{family} {what} row {b} layer {layer}: {e:.2e}");
                    let e = rel_l2(&y, &floats(&want[layer]));
                    assert!(
                        e <= 1e-4,
                        "{family} {what} row {b} layer {layer} vs HF: {e:.2e}"
                    );
                }
            }
        }
    }
}

#[test]
fn cached_decoding_equals_full_forward_and_greedy_equals_transformers() {
    for family in FAMILIES {
        let r = reference(family);
        for (what, path) in paths(family) {
            let lm = load_lm(&path).unwrap();
            for s in r["sequences"].as_array().unwrap() {
                let seq = ids(&s["ids"]);
                // Prefix in one go, then one token at a time.
                let split = seq.len() / 2;
                let mut cache = lm.new_cache();
                let mut rows = vec![lm.forward_cached(&seq[..split], &mut cache).unwrap()];
                for &t in &seq[split..] {
                    rows.push(lm.forward_cached(&[t], &mut cache).unwrap());
                }
                assert_eq!(cache.len(), seq.len());
                let cached = Tensor::cat(&rows, 0).unwrap();
                let hidden = s["hidden"].as_array().unwrap();
                let want = floats(hidden.last().unwrap());
                let e = rel_l2(&flat(&cached), &want);
                assert!(e <= 1e-4, "{family} {what}: cached vs transformers {e:.2e}");
                let full = lm
                    .forward(&Batch::right_padded(&[&seq], 0).unwrap(), false)
                    .unwrap();
                let e = rel_l2(&flat(&cached), &flat(&full.last.i(0).unwrap()));
                assert!(e < 1e-5, "{family} {what}: cached vs full forward {e:.2e}");

                // Greedy continuation from a cache, as Model::generate runs it.
                let mut cache = lm.new_cache();
                let mut input = seq.clone();
                let mut got = Vec::new();
                for _ in 0..ids(&s["greedy"]).len() {
                    let h = lm.forward_cached(&input, &mut cache).unwrap();
                    let last = h.i(h.dim(0).unwrap() - 1..).unwrap();
                    let logits = flat(&lm.lm_head(&last).unwrap());
                    let tok = argmax(&logits);
                    got.push(tok);
                    input = vec![tok];
                }
                assert_eq!(
                    got,
                    ids(&s["greedy"]),
                    "{family} {what} greedy after {seq:?}"
                );
            }
        }
    }
}

/// Greedy decoding of `prompts` for `steps` tokens, the prompts prefilled one by one and then
/// advanced together (`together`) or each alone; returns every step's final hidden rows and logits
/// (as bits) and the tokens.
fn decode(lm: &dyn CausalLm, prompts: &[Vec<u32>], steps: usize, together: bool) -> Vec<Vec<u32>> {
    let mut caches = Vec::new();
    let mut toks = Vec::new();
    for p in prompts {
        let mut cache = lm.new_cache();
        let h = lm.forward_cached(p, &mut cache).unwrap();
        let last = h.i(h.dim(0).unwrap() - 1..).unwrap();
        toks.push(argmax(&flat(&lm.lm_head(&last).unwrap())));
        caches.push(cache);
    }
    // Per sequence: generated tokens, then the bits of every hidden row and logit along the way.
    let mut trace: Vec<Vec<u32>> = toks.iter().map(|&t| vec![t]).collect();
    let mut bits: Vec<Vec<u32>> = vec![Vec::new(); prompts.len()];
    for _ in 0..steps {
        let rows: Vec<(Tensor, Tensor)> = if together {
            let h = lm.forward_step(&toks, &mut caches).unwrap();
            let logits = lm.lm_head(&h).unwrap();
            (0..prompts.len())
                .map(|i| (h.i(i).unwrap(), logits.i(i).unwrap()))
                .collect()
        } else {
            caches
                .iter_mut()
                .zip(&toks)
                .map(|(c, &t)| {
                    let h = lm.forward_step(&[t], std::slice::from_mut(c)).unwrap();
                    let logits = lm.lm_head(&h).unwrap();
                    (h.i(0).unwrap(), logits.i(0).unwrap())
                })
                .collect()
        };
        for (i, (h, logits)) in rows.iter().enumerate() {
            for t in [h, logits] {
                bits[i].extend(t.to_vec1::<f32>().unwrap().iter().map(|v| v.to_bits()));
            }
            toks[i] = argmax(&flat(logits));
            trace[i].push(toks[i]);
        }
    }
    for (c, p) in caches.iter().zip(prompts) {
        assert_eq!(c.len(), p.len() + steps);
    }
    trace
        .into_iter()
        .zip(bits)
        .map(|(t, b)| [t, b].concat())
        .collect()
}

#[test]
fn a_decoding_step_of_several_sequences_equals_each_sequence_alone() {
    use xling_model::linear::Precision;
    for family in FAMILIES {
        let r = reference(family);
        let seqs = sequences(&r);
        // Prompts of different lengths, so every row of a step sits at its own position (and, in
        // Gemma 3's sliding-window layer, past the window of 4 for some rows, not others).
        let mut prompts: Vec<Vec<u32>> = seqs.clone();
        for s in &seqs {
            prompts.push(s[..2].to_vec());
            prompts.push(s[..s.len() / 2 + 1].to_vec());
        }
        for (what, path) in paths(family) {
            for precision in [Precision::F32, Precision::Int8] {
                let mut lm = load_lm(&path).unwrap();
                lm.set_precision(precision).unwrap();
                let alone = decode(lm.as_ref(), &prompts, 5, false);
                let together = decode(lm.as_ref(), &prompts, 5, true);
                assert!(
                    alone == together,
                    "{family} {what} {precision}: a batched step differs from single steps"
                );
                if precision == Precision::F32 {
                    // The decoding steps still give transformers' greedy continuations.
                    for (s, got) in r["sequences"].as_array().unwrap().iter().zip(&together) {
                        let want = ids(&s["greedy"]);
                        let n = want.len().min(6);
                        assert_eq!(got[..n], want[..n], "{family} {what} greedy");
                    }
                }
            }
        }
    }
}

#[test]
fn model_info_describes_the_checkpoint() {
    for (family, layers, arch) in [
        ("llama", 2, "llama"),
        ("qwen2", 2, "qwen2"),
        ("qwen3", 2, "qwen3"),
        ("gemma3", 2, "gemma3"),
    ] {
        for (what, path) in paths(family) {
            let lm = load_lm(&path).unwrap();
            let info = lm.info();
            assert_eq!(info.architecture, arch, "{family} {what}");
            assert_eq!(info.n_layers, layers);
            assert_eq!(info.hidden_size, 64);
            assert_eq!(info.vocab_size, 512);
            assert!(!info.identity.is_empty());
        }
    }
}

/// A copy of a fixture's config.json and weights in a temporary folder, with `edit` applied to the
/// configuration.
fn copy_fixture(family: &str, edit: impl FnOnce(&mut Value)) -> tempfile::TempDir {
    let src = fixture_dir(family);
    let dir = tempfile::tempdir().unwrap();
    let mut cfg: Value =
        serde_json::from_str(&std::fs::read_to_string(src.join("config.json")).unwrap()).unwrap();
    edit(&mut cfg);
    std::fs::write(dir.path().join("config.json"), cfg.to_string()).unwrap();
    std::fs::copy(
        src.join("model.safetensors"),
        dir.path().join("model.safetensors"),
    )
    .unwrap();
    dir
}

fn load_err(path: &Path) -> String {
    match load_lm(path) {
        Ok(_) => panic!("{} loaded", path.display()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn checkpoint_errors_name_the_file_and_what_is_wrong() {
    // An architecture without a forward pass: named, with the supported ones.
    let d = copy_fixture("llama", |c| c["model_type"] = "mamba".into());
    let msg = load_err(d.path());
    assert!(
        msg.contains("mamba")
            && msg.contains("config.json")
            && ["gemma3", "llama", "qwen2", "qwen3"]
                .iter()
                .all(|a| msg.contains(a)),
        "{msg}"
    );
    // A missing configuration key.
    let d = copy_fixture("qwen2", |c| {
        c.as_object_mut().unwrap().remove("hidden_size");
    });
    let msg = load_err(d.path());
    assert!(
        msg.contains("config.json") && msg.contains("hidden_size"),
        "{msg}"
    );
    // More layers than the file holds: the missing tensor is named.
    let d = copy_fixture("qwen3", |c| c["num_hidden_layers"] = 3.into());
    let msg = load_err(d.path());
    assert!(
        msg.contains("model.safetensors") && msg.contains("model.layers.2."),
        "{msg}"
    );
    // A shape that contradicts the configuration.
    let d = copy_fixture("llama", |c| c["intermediate_size"] = 96.into());
    let msg = load_err(d.path());
    assert!(
        msg.contains("model.safetensors") && msg.contains("gate_proj") && msg.contains("96"),
        "{msg}"
    );
    // RoPE scaling the runtime does not implement is refused, not ignored.
    let d = copy_fixture("llama", |c| {
        c["rope_parameters"]["rope_type"] = "yarn".into()
    });
    let msg = load_err(d.path());
    assert!(msg.contains("yarn") && msg.contains("config.json"), "{msg}");
    // A folder without weights, and a weights file without config.json.
    let empty = tempfile::tempdir().unwrap();
    let msg = load_err(empty.path());
    assert!(msg.contains("config.json"), "{msg}");
    let lone = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture_dir("qwen2").join("model.safetensors"),
        lone.path().join("weights.safetensors"),
    )
    .unwrap();
    let msg = load_err(&lone.path().join("weights.safetensors"));
    assert!(msg.contains("config.json"), "{msg}");
    // A corrupt safetensors file.
    let d = copy_fixture("qwen2", |_| {});
    std::fs::write(d.path().join("model.safetensors"), b"not safetensors").unwrap();
    let msg = load_err(d.path());
    assert!(msg.contains("model.safetensors"), "{msg}");
    // A folder without tokenizer.json loads with load_lm but not as a Model.
    let d = copy_fixture("qwen2", |_| {});
    let e = Model::load(d.path(), &LoadOptions::default())
        .err()
        .unwrap();
    assert!(matches!(e, ModelError::Tokenizer { .. }), "{e}");
    assert!(e.to_string().contains("tokenizer.json"), "{e}");
}

#[test]
fn sharded_checkpoints_load_like_single_files() {
    use xling_model::candle_core::{Device, safetensors};
    let src = fixture_dir("qwen3");
    let all = safetensors::load(src.join("model.safetensors"), &Device::Cpu).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(src.join("config.json"), dir.path().join("config.json")).unwrap();
    let mut names: Vec<&String> = all.keys().collect();
    names.sort();
    let (a, b) = names.split_at(names.len() / 2);
    let mut map = serde_json::Map::new();
    for (shard, part) in [
        ("model-00001-of-00002.safetensors", a),
        ("model-00002-of-00002.safetensors", b),
    ] {
        let tensors: std::collections::HashMap<String, Tensor> = part
            .iter()
            .map(|n| ((*n).clone(), all[*n].clone()))
            .collect();
        safetensors::save(&tensors, dir.path().join(shard)).unwrap();
        for n in part {
            map.insert((*n).clone(), shard.into());
        }
    }
    let index = serde_json::json!({ "metadata": {}, "weight_map": map });
    std::fs::write(
        dir.path().join("model.safetensors.index.json"),
        index.to_string(),
    )
    .unwrap();
    let seq = ids(&reference("qwen3")["sequences"][1]["ids"]);
    let run = |lm: &dyn CausalLm| {
        flat(
            &lm.forward(&Batch::right_padded(&[&seq], 0).unwrap(), false)
                .unwrap()
                .last,
        )
    };
    let sharded = load_lm(dir.path()).unwrap();
    let single = load_lm(&src).unwrap();
    assert_eq!(run(sharded.as_ref()), run(single.as_ref()));
    assert!(sharded.info().identity.contains("shards"));

    // A shard the index lists but the folder lacks is named.
    std::fs::remove_file(dir.path().join("model-00002-of-00002.safetensors")).unwrap();
    let msg = load_err(dir.path());
    assert!(
        msg.contains("model-00002-of-00002.safetensors") && msg.contains("index"),
        "{msg}"
    );
}

/// A word-level tokenizer.json over the tiny vocabulary (`<pad>`, `<s>`, `</s>`, then `t3` … `t511`).
fn write_tiny_tokenizer(dir: &Path) {
    let mut vocab = serde_json::Map::new();
    for (i, name) in ["<pad>", "<s>", "</s>"].iter().enumerate() {
        vocab.insert((*name).into(), i.into());
    }
    for i in 3..512 {
        vocab.insert(format!("t{i}"), i.into());
    }
    let added: Vec<Value> = ["<pad>", "<s>", "</s>"]
        .iter()
        .enumerate()
        .map(|(i, c)| {
            serde_json::json!({"id": i, "content": c, "single_word": false, "lstrip": false,
                "rstrip": false, "normalized": false, "special": true})
        })
        .collect();
    let tok = serde_json::json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": added,
        "normalizer": null,
        "pre_tokenizer": {"type": "WhitespaceSplit"},
        "post_processor": null,
        "decoder": null,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "<pad>"}
    });
    std::fs::write(dir.join("tokenizer.json"), tok.to_string()).unwrap();
}

#[test]
fn a_checkpoint_folder_loads_as_a_model_with_its_special_tokens() {
    let r = reference("llama");
    let seq = ids(&r["sequences"][0]["ids"]);
    let d = copy_fixture("llama", |_| {});
    write_tiny_tokenizer(d.path());
    std::fs::write(
        d.path().join("tokenizer_config.json"),
        r#"{"add_bos_token": true, "bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>"}"#,
    )
    .unwrap();
    std::fs::write(
        d.path().join("generation_config.json"),
        r#"{"bos_token_id": 1, "eos_token_id": [2, 5]}"#,
    )
    .unwrap();
    let m = Model::load(d.path(), &LoadOptions::default()).unwrap();
    let text: Vec<String> = seq[1..].iter().map(|i| format!("t{i}")).collect();
    assert_eq!(
        m.encode(&text.join(" ")).unwrap(),
        seq,
        "BOS <s> then the words"
    );
    assert_eq!(m.bos(), Some(1));
    assert_eq!(m.stop_ids(), &[2, 5]);
    // The model's next-token distribution is transformers'.
    let lp = m.next_token_logprobs(&seq).unwrap();
    let lp: Vec<f64> = lp.into_iter().map(f64::from).collect();
    let e = max_abs(&lp, &floats(&r["sequences"][0]["logprobs_last"]));
    assert!(e <= 1e-4, "{e:.2e}");
    // Without add_bos_token and without a BOS in the post-processor, nothing is prepended.
    std::fs::write(
        d.path().join("tokenizer_config.json"),
        r#"{"add_bos_token": false, "eos_token": "</s>"}"#,
    )
    .unwrap();
    let (_, bos) = Model::load_tokenizer(d.path()).unwrap();
    assert_eq!(bos, None);
    // A tokenizer with more ids than the embedding has rows is not this model's.
    let big = tempfile::tempdir().unwrap();
    let mut vocab = serde_json::Map::new();
    for i in 0..600 {
        vocab.insert(format!("w{i}"), i.into());
    }
    let tok = serde_json::json!({"version": "1.0", "added_tokens": [], "normalizer": null,
        "pre_tokenizer": {"type": "WhitespaceSplit"}, "post_processor": null, "decoder": null,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "w0"}});
    let tpath = big.path().join("tokenizer.json");
    std::fs::write(&tpath, tok.to_string()).unwrap();
    let e = Model::load(
        d.path(),
        &LoadOptions {
            tokenizer: Some(tpath),
            ..LoadOptions::default()
        },
    )
    .err()
    .unwrap();
    assert!(
        e.to_string().contains("600") && e.to_string().contains("512"),
        "{e}"
    );
}
