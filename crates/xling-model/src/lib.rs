//! xling's local model runtime: loads a causal language model on the CPU and runs forward passes that
//! return **every hidden state** (the embedding output and each layer's output), which is what
//! cross-lingual alignment (MEXA, in xling-align) needs, plus next-token log-probabilities for the
//! benchmark harness.
//!
//! What this crate owns:
//! - reading checkpoints with clear errors: GGUF ([`gguf`]) and Hugging Face safetensors folders or
//!   files with their `config.json` ([`safetensors`]), every weight converted to f32 (prefill-heavy
//!   work — hidden states, log-likelihood scoring — runs an order of magnitude faster on f32 GEMM than
//!   on candle's k-quant kernels, see ARCHITECTURE.md);
//! - the forward pass of each supported architecture ([`SUPPORTED_ARCHITECTURES`]), written on candle's
//!   tensor ops and checked against HF transformers on the same weights: Gemma 3 ([`gemma3`]) and the
//!   Llama family — Llama 2/3, Qwen2, Qwen3 ([`llama`]), whose module doc records the GGUF
//!   conventions (llama.cpp's Q/K row permutation for `llama`, `rope_freqs` for Llama 3 scaling);
//! - tokenizers: the GGUF's own SentencePiece vocabulary or a `tokenizer.json` ([`tokenizer`]); a
//!   checkpoint folder's BOS/EOS come from its `tokenizer_config.json`, `generation_config.json` and
//!   `config.json` ([`safetensors::SpecialTokens`]);
//! - right-padded batching ([`Batch`]): with causal attention, real tokens never see the padding, so
//!   padded and unpadded runs give the same states;
//! - log-likelihood of continuations ([`Model::log_likelihoods`]).
//!
//! [`load_lm`] loads only the forward pass (no tokenizer), for callers that work on token ids.
//!
//! It does not pool, compare or score: that is the callers' business.

mod attention;
pub mod gemma3;
pub mod gguf;
pub mod int8;
pub mod linear;
pub mod llama;
pub mod ops;
mod rowwise;
pub mod safetensors;
mod stack;
pub mod tokenizer;

use std::path::{Path, PathBuf};

use candle_core::{Device, IndexOp, Tensor};
use sha2::{Digest, Sha256};

pub use candle_core;
pub use gemma3::Gemma3;
pub use llama::Llama;
pub use tokenizer::{GgufSpm, ModelTokenizer};

/// Architectures with a forward pass in this crate: GGUF `general.architecture` values, and
/// config.json `model_type` values (where `gemma3_text` and `gemma3` both mean Gemma 3, and the
/// `architectures` class names `LlamaForCausalLM`, `Qwen2ForCausalLM`, `Qwen3ForCausalLM`,
/// `Gemma3ForCausalLM` are accepted when `model_type` is absent).
pub const SUPPORTED_ARCHITECTURES: &[&str] = &["gemma3", "llama", "qwen2", "qwen3"];

/// How many embedding rows beyond the tokenizer's ids a checkpoint may have: vocabularies are padded
/// to a round size (Qwen2.5 has 151,665 ids and 151,936 rows), but a wholly different tokenizer must
/// still be refused.
const MAX_VOCAB_PADDING: usize = 1024;

/// Everything that can go wrong loading or running a model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not what it should be (truncated, wrong format, inconsistent shapes).
    #[error("{}: expected {expected}: {reason}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What was expected there.
        expected: &'static str,
        /// What was found.
        reason: String,
    },
    /// A valid file this runtime cannot run.
    #[error("{}: unsupported {what}", path.display())]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// What is unsupported, and what is.
        what: String,
    },
    /// The tokenizer could not be loaded or does not fit the model.
    #[error("tokenizer {}: {reason}", path.display())]
    Tokenizer {
        /// The tokenizer (or model) file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A request the model cannot serve (empty input, too long, ids out of range).
    #[error("{0}")]
    Input(String),
    /// A tensor operation failed (a bug, or out of memory).
    #[error("tensor computation failed: {0}")]
    Tensor(#[from] candle_core::Error),
}

/// What a loaded model is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelInfo {
    /// The checkpoint: a GGUF or `.safetensors` file, or a checkpoint folder.
    pub path: PathBuf,
    /// `general.name` (GGUF), the checkpoint folder's name (safetensors), or the file stem.
    pub name: String,
    /// Architecture: one of [`SUPPORTED_ARCHITECTURES`].
    pub architecture: String,
    /// Number of decoder layers; there are `n_layers + 1` hidden states.
    pub n_layers: usize,
    /// Model width.
    pub hidden_size: usize,
    /// Rows of the embedding / LM head.
    pub vocab_size: usize,
    /// A short content identity for signatures: size and a hash of the first and last MiB of the
    /// weights file (of each shard, hashed together, for a sharded checkpoint).
    pub identity: String,
}

/// A right-padded batch of token sequences.
#[derive(Debug, Clone)]
pub struct Batch {
    ids: Vec<u32>,
    lengths: Vec<usize>,
    width: usize,
}

impl Batch {
    /// Builds a batch; shorter sequences are padded on the right with `pad`.
    pub fn right_padded(seqs: &[&[u32]], pad: u32) -> Result<Batch, ModelError> {
        let width = seqs.iter().map(|s| s.len()).max().unwrap_or(0);
        if seqs.is_empty() || seqs.iter().any(|s| s.is_empty()) {
            return Err(ModelError::Input(
                "cannot run an empty batch or an empty sequence".into(),
            ));
        }
        let mut ids = Vec::with_capacity(seqs.len() * width);
        for s in seqs {
            ids.extend_from_slice(s);
            ids.extend(std::iter::repeat_n(pad, width - s.len()));
        }
        Ok(Batch {
            ids,
            lengths: seqs.iter().map(|s| s.len()).collect(),
            width,
        })
    }
    /// Number of sequences.
    pub fn len(&self) -> usize {
        self.lengths.len()
    }
    /// Whether the batch is empty (never, once built).
    pub fn is_empty(&self) -> bool {
        self.lengths.is_empty()
    }
    /// Padded length.
    pub fn width(&self) -> usize {
        self.width
    }
    /// Real length of each sequence.
    pub fn lengths(&self) -> &[usize] {
        &self.lengths
    }
    /// Row-major `[len, width]` ids.
    pub fn ids(&self) -> &[u32] {
        &self.ids
    }
}

/// The result of a forward pass.
pub struct Forward {
    /// `n_layers + 1` tensors `[batch, width, hidden]` when asked for: index 0 is the (scaled)
    /// embedding output, index `k` the output of layer `k`, the last one after the final norm (the HF
    /// `output_hidden_states` convention). Empty otherwise.
    pub hidden: Vec<Tensor>,
    /// The final normed hidden states `[batch, width, hidden]`, input to the LM head.
    pub last: Tensor,
}

/// One architecture's forward pass.
pub trait CausalLm: Send + Sync {
    /// What the model is.
    fn info(&self) -> &ModelInfo;
    /// Runs a batch; keeps every hidden state when `keep_hidden`.
    fn forward(&self, batch: &Batch, keep_hidden: bool) -> Result<Forward, ModelError>;
    /// An empty key/value cache for [`CausalLm::forward_cached`].
    fn new_cache(&self) -> KvCache;
    /// Runs new tokens of one sequence after those already in `cache` (which it extends); returns
    /// their final normed hidden states `[tokens, hidden]`.
    fn forward_cached(&self, ids: &[u32], cache: &mut KvCache) -> Result<Tensor, ModelError>;
    /// One decoding step of several sequences: `ids[i]` runs after the tokens in `caches[i]` (which
    /// it extends; each cache already holds its sequence's prompt). Returns the final normed hidden
    /// states `[n, hidden]`. Each row's result is the same as running that sequence alone.
    fn forward_step(&self, ids: &[u32], caches: &mut [KvCache]) -> Result<Tensor, ModelError>;
    /// Logits `[rows, vocab]` for final hidden rows `[rows, hidden]`.
    fn lm_head(&self, rows: &Tensor) -> Result<Tensor, ModelError>;
    /// The device tensors live on.
    fn device(&self) -> &Device;
    /// Switches the arithmetic of the projections (see [`linear::Precision`]).
    fn set_precision(&mut self, precision: linear::Precision) -> Result<(), ModelError> {
        Err(ModelError::Input(format!(
            "{}: no {precision} mode for architecture {}",
            self.info().path.display(),
            self.info().architecture
        )))
    }
}

/// Keys and values of the tokens a sequence has seen, per layer, for incremental decoding.
#[derive(Debug, Clone)]
pub struct KvCache {
    /// Per layer, the keys and values of every head.
    layers: Vec<attention::LayerKv>,
    /// Tokens in the cache.
    len: usize,
}

impl KvCache {
    /// Tokens in the cache.
    pub fn len(&self) -> usize {
        self.len
    }
    /// Whether nothing has run yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// How [`Model::generate`] picks each token.
#[derive(Debug, Clone, PartialEq)]
pub enum Sampling {
    /// The most probable token (ties: the lowest id).
    Greedy,
    /// A random draw from the distribution at `temperature`, restricted to the smallest set of tokens
    /// whose probability reaches `top_p`, with a seeded generator (same seed, same output).
    Sample {
        /// Softmax temperature (> 0).
        temperature: f64,
        /// Nucleus mass in (0, 1].
        top_p: f64,
        /// Seed of the generator.
        seed: u64,
    },
}

/// One sequence to generate for [`Model::generate_batch`].
#[derive(Debug, Clone)]
pub struct Generation<'a> {
    /// Prompt ids, BOS included.
    pub prompt: std::borrow::Cow<'a, [u32]>,
    /// The most tokens to generate.
    pub max_new: usize,
    /// How each token is picked.
    pub sampling: Sampling,
}

/// A sequence being decoded by [`Model::generate_stream`].
struct Running {
    id: usize,
    out: Vec<u32>,
    rng: u64,
    max_new: usize,
    sampling: Sampling,
}

/// A model with its tokenizer and special-token conventions.
pub struct Model {
    lm: Box<dyn CausalLm>,
    tokenizer: ModelTokenizer,
    bos: Option<u32>,
    pad: u32,
    stop: Vec<u32>,
    precision: linear::Precision,
}

/// Options for [`Model::load`].
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// A `tokenizer.json` to use instead of the GGUF's own vocabulary or the checkpoint folder's
    /// `tokenizer.json`.
    pub tokenizer: Option<PathBuf>,
    /// Arithmetic of the projections (f32 by default).
    pub precision: linear::Precision,
}

impl Model {
    /// Loads a checkpoint: a GGUF file, a Hugging Face model folder (`config.json` with
    /// `model.safetensors` or a sharded `model.safetensors.index.json`, and `tokenizer.json`), or a
    /// `.safetensors` file with `config.json` (and `tokenizer.json`) beside it.
    pub fn load(path: &Path, opts: &LoadOptions) -> Result<Model, ModelError> {
        if is_hf_checkpoint(path)? {
            return Model::load_hf(path, opts);
        }
        let mut file = gguf::GgufFile::open(path)?;
        let mut lm = gguf_lm(&mut file)?;
        if opts.precision != linear::Precision::F32 {
            lm.set_precision(opts.precision)?;
        }
        let tokenizer = match &opts.tokenizer {
            Some(t) => ModelTokenizer::from_file(t)?,
            None => ModelTokenizer::Gguf(Box::new(GgufSpm::from_gguf(&file)?)),
        };
        let tpath = opts.tokenizer.clone().unwrap_or_else(|| path.to_path_buf());
        check_vocab(&tokenizer, lm.info().vocab_size, &tpath)?;
        let add_bos = file.bool_or("tokenizer.ggml.add_bos_token", true)?;
        let bos = match file.usize("tokenizer.ggml.bos_token_id") {
            Ok(b) if add_bos => u32::try_from(b).ok(),
            _ => None,
        };
        let pad = file
            .usize("tokenizer.ggml.padding_token_id")
            .ok()
            .and_then(|p| u32::try_from(p).ok())
            .unwrap_or(0);
        // Generation ends at EOS and, for chat-tuned vocabularies, at the end-of-turn marker.
        let mut stop: Vec<u32> = file
            .usize("tokenizer.ggml.eos_token_id")
            .ok()
            .and_then(|e| u32::try_from(e).ok())
            .into_iter()
            .collect();
        if let ModelTokenizer::Gguf(spm) = &tokenizer {
            for marker in ["<end_of_turn>", "<|im_end|>", "<|eot_id|>"] {
                if let Some(id) = spm.id_of(marker) {
                    if !stop.contains(&id) {
                        stop.push(id);
                    }
                }
            }
        }
        Ok(Model {
            lm,
            tokenizer,
            bos,
            pad,
            stop,
            precision: opts.precision,
        })
    }

    fn load_hf(path: &Path, opts: &LoadOptions) -> Result<Model, ModelError> {
        let ckpt = safetensors::HfCheckpoint::open(path)?;
        let tpath = match &opts.tokenizer {
            Some(t) => t.clone(),
            None => hf_tokenizer_path(&ckpt)?,
        };
        let mut lm = hf_lm(&ckpt, path)?;
        if opts.precision != linear::Precision::F32 {
            lm.set_precision(opts.precision)?;
        }
        let tokenizer = ModelTokenizer::from_file(&tpath)?;
        check_vocab(&tokenizer, lm.info().vocab_size, &tpath)?;
        let special = safetensors::SpecialTokens::read(&ckpt.dir, &ckpt.config, &tpath);
        let vocab = lm.info().vocab_size;
        let valid = |id: &u32| (*id as usize) < vocab;
        Ok(Model {
            lm,
            tokenizer,
            bos: special.bos.filter(valid),
            pad: Some(special.pad).filter(valid).unwrap_or(0),
            stop: special.stop.into_iter().filter(valid).collect(),
            precision: opts.precision,
        })
    }

    /// The tokenizer of a checkpoint and the BOS id it prepends, without loading any weights (for
    /// clients that tokenize for a server running the same model): a GGUF's own vocabulary, or a
    /// checkpoint folder's `tokenizer.json`.
    pub fn load_tokenizer(path: &Path) -> Result<(ModelTokenizer, Option<u32>), ModelError> {
        if is_hf_checkpoint(path)? {
            let ckpt = safetensors::HfCheckpoint::open(path)?;
            let tpath = hf_tokenizer_path(&ckpt)?;
            let tokenizer = ModelTokenizer::from_file(&tpath)?;
            let special = safetensors::SpecialTokens::read(&ckpt.dir, &ckpt.config, &tpath);
            return Ok((tokenizer, special.bos));
        }
        let file = gguf::GgufFile::open(path)?;
        let tokenizer = ModelTokenizer::Gguf(Box::new(GgufSpm::from_gguf(&file)?));
        let add_bos = file.bool_or("tokenizer.ggml.add_bos_token", true)?;
        let bos = match file.usize("tokenizer.ggml.bos_token_id") {
            Ok(b) if add_bos => u32::try_from(b).ok(),
            _ => None,
        };
        Ok((tokenizer, bos))
    }

    /// What the model is.
    pub fn info(&self) -> &ModelInfo {
        self.lm.info()
    }

    /// The arithmetic of the projections.
    pub fn precision(&self) -> linear::Precision {
        self.precision
    }

    /// The tokenizer.
    pub fn tokenizer(&self) -> &ModelTokenizer {
        &self.tokenizer
    }

    /// The architecture's forward pass.
    pub fn lm(&self) -> &dyn CausalLm {
        self.lm.as_ref()
    }

    /// Token ids for a text as the model sees it: BOS (when the model adds one), then the text.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, ModelError> {
        let mut ids: Vec<u32> = self.bos.into_iter().collect();
        ids.extend(self.tokenizer.encode(text)?);
        Ok(ids)
    }

    /// The BOS id the model prepends, if any.
    pub fn bos(&self) -> Option<u32> {
        self.bos
    }

    /// Ids that end a generation: EOS and, when the vocabulary has one, the end-of-turn marker.
    pub fn stop_ids(&self) -> &[u32] {
        &self.stop
    }

    /// The text of generated ids: each token's bytes concatenated, decoded as UTF-8 (an incomplete
    /// sequence at the end becomes U+FFFD). Stop tokens and ids without text contribute nothing.
    pub fn decode(&self, ids: &[u32]) -> String {
        let mut bytes = Vec::new();
        for &id in ids {
            if self.stop.contains(&id) || Some(id) == self.bos {
                continue;
            }
            if let Some(b) = self.tokenizer.decode_token(id) {
                bytes.extend_from_slice(&b);
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Log-likelihoods of several continuations of one context, sharing the context's computation:
    /// the context runs once into a key/value cache and each continuation runs from a copy of it.
    /// Returns, per continuation, the summed log-probability and whether every token is the greedy
    /// choice. Equal (to float rounding) to [`Model::log_likelihoods`] on the concatenations.
    pub fn log_likelihoods_shared(
        &self,
        context: &[u32],
        continuations: &[&[u32]],
    ) -> Result<Vec<(f64, bool)>, ModelError> {
        if context.is_empty() || continuations.iter().any(|c| c.is_empty()) {
            return Err(ModelError::Input(
                "log-likelihood needs a non-empty context and continuation".into(),
            ));
        }
        self.check_ids(context)?;
        for c in continuations {
            self.check_ids(c)?;
        }
        let mut cache = self.lm.new_cache();
        let h = self.lm.forward_cached(context, &mut cache)?;
        let last = h.i(h.dim(0)? - 1..)?;
        let first_logits = self.lm.lm_head(&last)?;
        let first = candle_nn::ops::log_softmax(&first_logits, candle_core::D::Minus1)?;
        let first: Vec<f32> = first.i(0)?.to_vec1()?;
        let mut out = Vec::with_capacity(continuations.len());
        for cont in continuations {
            let mut rows = vec![first.clone()];
            if cont.len() > 1 {
                let mut c = cache.clone();
                let h = self.lm.forward_cached(&cont[..cont.len() - 1], &mut c)?;
                let logits = self.lm.lm_head(&h)?;
                let logp = candle_nn::ops::log_softmax(&logits, candle_core::D::Minus1)?;
                rows.extend(logp.to_vec2::<f32>()?);
            }
            let mut sum = 0f64;
            let mut greedy = true;
            for (row, &tok) in rows.iter().zip(cont.iter()) {
                let lp = row[tok as usize];
                sum += f64::from(lp);
                if row.iter().any(|&v| v > lp) {
                    greedy = false;
                }
            }
            out.push((sum, greedy));
        }
        Ok(out)
    }

    /// For each position `i ≥ 1` of `ids`: the log-probability of `ids[i]` after `ids[..i]`, and the
    /// `k` most probable tokens there with their log-probabilities (descending; ties by lower id).
    /// One forward pass; the LM head runs over 64 positions at a time to bound memory.
    #[allow(clippy::type_complexity)]
    pub fn prompt_logprobs(
        &self,
        ids: &[u32],
        k: usize,
    ) -> Result<Vec<(f32, Vec<(u32, f32)>)>, ModelError> {
        if ids.len() < 2 {
            return Ok(Vec::new());
        }
        let out = self.forward(&[ids], false)?;
        let mut result = Vec::with_capacity(ids.len() - 1);
        let mut start = 0;
        while start < ids.len() - 1 {
            let end = (start + 64).min(ids.len() - 1);
            let rows = out.last.i((0, start..end))?;
            let logits = self.lm.lm_head(&rows)?;
            let logp = candle_nn::ops::log_softmax(&logits, candle_core::D::Minus1)?;
            for (j, row) in logp.to_vec2::<f32>()?.into_iter().enumerate() {
                let next = ids[start + j + 1] as usize;
                let mut top: Vec<(u32, f32)> = row
                    .iter()
                    .enumerate()
                    .map(|(t, &v)| (t as u32, v))
                    .collect();
                let kk = k.clamp(1, top.len());
                top.select_nth_unstable_by(kk - 1, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                top.truncate(kk);
                top.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                result.push((row[next], top));
            }
            start = end;
        }
        Ok(result)
    }

    fn check_ids(&self, ids: &[u32]) -> Result<(), ModelError> {
        let vocab = self.info().vocab_size;
        match ids.iter().find(|&&i| i as usize >= vocab) {
            Some(bad) => Err(ModelError::Input(format!(
                "token id {bad} is outside the model's vocabulary of {vocab}"
            ))),
            None => Ok(()),
        }
    }

    /// Runs a batch of token sequences, right-padded.
    pub fn forward(&self, seqs: &[&[u32]], keep_hidden: bool) -> Result<Forward, ModelError> {
        let vocab = self.info().vocab_size;
        for s in seqs {
            if let Some(bad) = s.iter().find(|&&i| i as usize >= vocab) {
                return Err(ModelError::Input(format!(
                    "token id {bad} is outside the model's vocabulary of {vocab}"
                )));
            }
        }
        let batch = Batch::right_padded(seqs, self.pad)?;
        self.lm.forward(&batch, keep_hidden)
    }

    /// Sum of log-probabilities of each continuation given its context, and whether every
    /// continuation token is the greedy choice (lm-evaluation-harness's `is_greedy`).
    ///
    /// Each request is `(context ids, continuation ids)`; the context must be non-empty (start it with
    /// BOS). Requests run in one batch; the LM head is applied only at the positions that predict
    /// continuation tokens.
    pub fn log_likelihoods(
        &self,
        requests: &[(Vec<u32>, Vec<u32>)],
    ) -> Result<Vec<(f64, bool)>, ModelError> {
        if requests.is_empty() {
            return Ok(Vec::new());
        }
        let seqs: Vec<Vec<u32>> = requests
            .iter()
            .map(|(c, x)| {
                if c.is_empty() || x.is_empty() {
                    return Err(ModelError::Input(
                        "log-likelihood needs a non-empty context and continuation".into(),
                    ));
                }
                Ok(c.iter().chain(x).copied().collect())
            })
            .collect::<Result<_, _>>()?;
        let refs: Vec<&[u32]> = seqs.iter().map(Vec::as_slice).collect();
        let out = self.forward(&refs, false)?;
        let mut results = Vec::with_capacity(requests.len());
        for (b, (ctx, cont)) in requests.iter().enumerate() {
            let from = ctx.len() - 1;
            let rows = out.last.i((b, from..from + cont.len()))?;
            let logits = self.lm.lm_head(&rows)?;
            let logp = candle_nn::ops::log_softmax(&logits, candle_core::D::Minus1)?;
            let logp: Vec<Vec<f32>> = logp.to_vec2()?;
            let mut sum = 0f64;
            let mut greedy = true;
            for (row, &tok) in logp.iter().zip(cont) {
                let lp = row[tok as usize];
                sum += f64::from(lp);
                if row.iter().any(|&v| v > lp) {
                    greedy = false;
                }
            }
            results.push((sum, greedy));
        }
        Ok(results)
    }

    /// Generates up to `max_new` tokens after `prompt` (ids, BOS included), stopping after any id in
    /// `stop` (which is included in the output). Decoding is incremental with a key/value cache.
    pub fn generate(
        &self,
        prompt: &[u32],
        max_new: usize,
        stop: &[u32],
        sampling: &Sampling,
    ) -> Result<Vec<u32>, ModelError> {
        self.generate_until(prompt, max_new, sampling, |out| {
            out.last().is_some_and(|t| stop.contains(t))
        })
    }

    /// Generates up to `max_new` tokens after `prompt` (ids, BOS included); after each token,
    /// `done(tokens so far)` decides whether to stop (stop strings, stop ids). Incremental decoding
    /// with a key/value cache; the same tokens as the sequence gets in [`Model::generate_batch`].
    pub fn generate_until(
        &self,
        prompt: &[u32],
        max_new: usize,
        sampling: &Sampling,
        mut done: impl FnMut(&[u32]) -> bool,
    ) -> Result<Vec<u32>, ModelError> {
        let request = Generation {
            prompt: prompt.into(),
            max_new,
            sampling: sampling.clone(),
        };
        let mut out = Vec::new();
        self.generate_batch(
            std::slice::from_ref(&request),
            1,
            |_, toks| done(toks),
            |_, toks| -> Result<(), ModelError> {
                out = toks;
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// Generates for every request, decoding up to `width` sequences together (at most 16): each
    /// prompt runs alone into its own key/value cache, then every decoding step advances all the
    /// running sequences by one token, and a finished sequence's place goes to the next request.
    /// After each token `done(request index, tokens so far)` decides whether that sequence stops;
    /// `finished(request index, tokens)` receives each result as soon as it is complete (so in
    /// completion order, not request order).
    ///
    /// Every sequence gets exactly the tokens it gets alone ([`Model::generate_until`]): the
    /// decoding step computes each row independently of the others (see [`CausalLm::forward_step`]),
    /// so batching changes the speed, never the output.
    pub fn generate_batch<E: From<ModelError>>(
        &self,
        requests: &[Generation<'_>],
        width: usize,
        done: impl FnMut(usize, &[u32]) -> bool,
        finished: impl FnMut(usize, Vec<u32>) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut pending = requests.iter().cloned().enumerate();
        self.generate_stream(width, || Ok(pending.next()), done, finished)
    }

    /// [`Model::generate_batch`] with requests pulled from `next` (an id of the caller's choosing
    /// and the request) whenever a place in the batch is free, until it gives `None` and every
    /// running sequence has finished: a server admits the requests that arrived meanwhile.
    pub fn generate_stream<'p, E: From<ModelError>>(
        &self,
        width: usize,
        mut next: impl FnMut() -> Result<Option<(usize, Generation<'p>)>, E>,
        mut done: impl FnMut(usize, &[u32]) -> bool,
        mut finished: impl FnMut(usize, Vec<u32>) -> Result<(), E>,
    ) -> Result<(), E> {
        let width = width.clamp(1, rowwise::MAX_ROWS);
        // The running sequences and their caches.
        let mut rows: Vec<Running> = Vec::with_capacity(width);
        let mut caches: Vec<KvCache> = Vec::with_capacity(width);
        loop {
            while rows.len() < width {
                let Some((id, r)) = next()? else { break };
                if r.prompt.is_empty() {
                    return Err(
                        ModelError::Input("generation needs a non-empty prompt".into()).into(),
                    );
                }
                self.check_ids(&r.prompt)?;
                if r.max_new == 0 {
                    finished(id, Vec::new())?;
                    continue;
                }
                let mut row = Running {
                    id,
                    out: Vec::new(),
                    rng: match r.sampling {
                        Sampling::Sample { seed, .. } => seed ^ 0x9e37_79b9_7f4a_7c15,
                        Sampling::Greedy => 0,
                    },
                    max_new: r.max_new,
                    sampling: r.sampling,
                };
                let mut cache = self.lm.new_cache();
                let h = self.lm.forward_cached(&r.prompt, &mut cache)?;
                let last = h
                    .i(h.dim(0).map_err(ModelError::from)? - 1..)
                    .map_err(ModelError::from)?;
                let logits: Vec<f32> = self
                    .lm
                    .lm_head(&last)?
                    .i(0)
                    .and_then(|l| l.to_vec1())
                    .map_err(ModelError::from)?;
                row.out.push(pick(&logits, &row.sampling, &mut row.rng));
                if done(id, &row.out) || row.out.len() >= row.max_new {
                    finished(id, row.out)?;
                } else {
                    rows.push(row);
                    caches.push(cache);
                }
            }
            if rows.is_empty() {
                return Ok(());
            }
            let ids: Vec<u32> = rows
                .iter()
                .map(|r| r.out.last().copied().unwrap_or(0))
                .collect();
            let h = self.lm.forward_step(&ids, &mut caches)?;
            let logits: Vec<Vec<f32>> = self.lm.lm_head(&h)?.to_vec2().map_err(ModelError::from)?;
            let mut kept_caches = Vec::with_capacity(caches.len());
            for ((mut row, cache), logits) in std::mem::take(&mut rows)
                .into_iter()
                .zip(caches.drain(..))
                .zip(logits)
            {
                row.out.push(pick(&logits, &row.sampling, &mut row.rng));
                if done(row.id, &row.out) || row.out.len() >= row.max_new {
                    finished(row.id, row.out)?;
                } else {
                    rows.push(row);
                    kept_caches.push(cache);
                }
            }
            caches = kept_caches;
        }
    }

    /// Log-probabilities of the next token after `ids` (length = vocabulary).
    pub fn next_token_logprobs(&self, ids: &[u32]) -> Result<Vec<f32>, ModelError> {
        let out = self.forward(&[ids], false)?;
        let row = out.last.i((0, ids.len() - 1..ids.len()))?;
        let logits = self.lm.lm_head(&row)?;
        let logp = candle_nn::ops::log_softmax(&logits, candle_core::D::Minus1)?;
        Ok(logp.i(0)?.to_vec1()?)
    }
}

/// xorshift64* step: a small, seedable generator (sampling needs reproducibility, not cryptography).
fn next_f64(state: &mut u64) -> f64 {
    if *state == 0 {
        *state = 0x853c_49e6_748f_ea9b;
    }
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
}

fn pick(logits: &[f32], sampling: &Sampling, rng: &mut u64) -> u32 {
    let argmax = || {
        logits
            .iter()
            .enumerate()
            .fold((0usize, f32::NEG_INFINITY), |b, (i, &v)| {
                if v > b.1 { (i, v) } else { b }
            })
            .0 as u32
    };
    match *sampling {
        Sampling::Greedy => argmax(),
        Sampling::Sample {
            temperature, top_p, ..
        } => {
            if temperature <= 0.0 {
                return argmax();
            }
            let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut probs: Vec<(u32, f64)> = logits
                .iter()
                .enumerate()
                .map(|(i, &l)| (i as u32, (f64::from(l - max) / temperature).exp()))
                .collect();
            let z: f64 = probs.iter().map(|p| p.1).sum();
            probs.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            let mut kept = 0;
            let mut mass = 0.0;
            for p in &probs {
                kept += 1;
                mass += p.1 / z;
                if mass >= top_p.clamp(1e-9, 1.0) {
                    break;
                }
            }
            let r = next_f64(rng) * mass * z;
            let mut acc = 0.0;
            for p in &probs[..kept] {
                acc += p.1;
                if acc > r {
                    return p.0;
                }
            }
            probs[kept - 1].0
        }
    }
}

/// Loads only the forward pass of a checkpoint (any format [`Model::load`] reads), without a tokenizer:
/// for callers that work on token ids, and for tests on tiny random-weight models.
pub fn load_lm(path: &Path) -> Result<Box<dyn CausalLm>, ModelError> {
    if is_hf_checkpoint(path)? {
        let ckpt = safetensors::HfCheckpoint::open(path)?;
        return hf_lm(&ckpt, path);
    }
    let mut file = gguf::GgufFile::open(path)?;
    gguf_lm(&mut file)
}

/// Whether `path` is a Hugging Face checkpoint (a folder, or a `.safetensors` file) rather than GGUF.
fn is_hf_checkpoint(path: &Path) -> Result<bool, ModelError> {
    if path.is_dir() {
        return Ok(true);
    }
    if !path.exists() {
        return Err(ModelError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or folder"),
        });
    }
    Ok(path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("safetensors")))
}

fn unsupported_arch(path: &Path, arch: &str) -> ModelError {
    ModelError::Unsupported {
        path: path.to_path_buf(),
        what: format!(
            "architecture {arch:?}; supported: {}",
            SUPPORTED_ARCHITECTURES.join(", ")
        ),
    }
}

fn gguf_lm(file: &mut gguf::GgufFile) -> Result<Box<dyn CausalLm>, ModelError> {
    let path = file.path().to_path_buf();
    let arch = file.string("general.architecture")?.to_string();
    let info = ModelInfo {
        path: path.clone(),
        name: file
            .string("general.name")
            .map(str::to_string)
            .unwrap_or_else(|_| stem(&path)),
        architecture: arch.clone(),
        identity: file_identity(&path)?,
        ..ModelInfo::default()
    };
    Ok(match arch.as_str() {
        "gemma3" => Box::new(Gemma3::from_gguf(file, info)?),
        "llama" | "qwen2" | "qwen3" => Box::new(Llama::from_gguf(file, info)?),
        other => return Err(unsupported_arch(&path, other)),
    })
}

fn hf_lm(ckpt: &safetensors::HfCheckpoint, path: &Path) -> Result<Box<dyn CausalLm>, ModelError> {
    let model_type = ckpt.config.model_type()?;
    let identity = if ckpt.weight_files.len() == 1 {
        file_identity(&ckpt.weight_files[0])?
    } else {
        let mut h = Sha256::new();
        for f in &ckpt.weight_files {
            h.update(file_identity(f)?.as_bytes());
        }
        let digest = h.finalize();
        let short: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        format!("{}shards:{short}", ckpt.weight_files.len())
    };
    let name = ckpt
        .dir
        .canonicalize()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| stem(path));
    let info = ModelInfo {
        path: path.to_path_buf(),
        name,
        architecture: model_type.clone(),
        identity,
        ..ModelInfo::default()
    };
    match model_type.as_str() {
        "gemma3" | "gemma3_text" | "Gemma3ForCausalLM" | "Gemma3ForConditionalGeneration" => {
            let vision = ["vision_tower", "multi_modal_projector"];
            let keep = |n: &str| {
                let n = n.strip_prefix("model.").unwrap_or(n);
                !vision.iter().any(|v| n.starts_with(v))
            };
            let mut w = ckpt.load(&keep)?;
            Ok(Box::new(Gemma3::from_safetensors(
                &ckpt.config,
                &mut w,
                info,
            )?))
        }
        t if llama::Family::from_name(t).is_some() => {
            let mut w = ckpt.load(&|_| true)?;
            Ok(Box::new(Llama::from_safetensors(
                &ckpt.config,
                &mut w,
                info,
            )?))
        }
        other => Err(unsupported_arch(ckpt.config.path(), other)),
    }
}

fn hf_tokenizer_path(ckpt: &safetensors::HfCheckpoint) -> Result<PathBuf, ModelError> {
    let t = ckpt.dir.join("tokenizer.json");
    if t.is_file() {
        Ok(t)
    } else {
        Err(ModelError::Tokenizer {
            path: t,
            reason: "the checkpoint folder has no tokenizer.json; pass one (--tokenizer)".into(),
        })
    }
}

/// The tokenizer must fit the embedding: no id beyond its rows, and at most a padding's worth of rows
/// without an id.
fn check_vocab(tokenizer: &ModelTokenizer, rows: usize, tpath: &Path) -> Result<(), ModelError> {
    let n = tokenizer.vocab_size();
    if n > rows || rows - n > MAX_VOCAB_PADDING {
        return Err(ModelError::Tokenizer {
            path: tpath.to_path_buf(),
            reason: format!(
                "has {n} ids but the model's embedding has {rows} rows: not this model's tokenizer"
            ),
        });
    }
    Ok(())
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".into())
}

/// `size:hash` of a file's first and last MiB — cheap to compute for multi-GB checkpoints, and enough
/// to tell checkpoints apart in a signature.
fn file_identity(path: &Path) -> Result<String, ModelError> {
    use std::io::{Read, Seek, SeekFrom};
    let io = |source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut f = std::fs::File::open(path).map_err(io)?;
    let size = f.metadata().map_err(io)?.len();
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let n = f.read(&mut buf).map_err(io)?;
    h.update(&buf[..n]);
    if size > (2 << 20) {
        f.seek(SeekFrom::End(-(1 << 20))).map_err(io)?;
        f.read_exact(&mut buf).map_err(io)?;
        h.update(&buf);
    }
    let digest = h.finalize();
    let short: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{size}:{short}"))
}
