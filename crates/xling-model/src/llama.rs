//! The Llama-family forward pass — Llama 2/3 (`llama`), Qwen2/2.5 (`qwen2`) and Qwen3 (`qwen3`) — written
//! on candle's tensor ops, returning every hidden state.
//!
//! Conventions follow HF transformers' `LlamaForCausalLM`, `Qwen2ForCausalLM` and `Qwen3ForCausalLM`
//! (the references the tests compare with, `tests/families.rs`):
//! - the embedding output is not scaled; hidden state 0 is the raw embedding row;
//! - each block is `x + o(attn(rms(x)))`, then `x + down(silu(gate(rms(x))) * up(rms(x)))` (SwiGLU);
//! - RMSNorm computes in f32 and multiplies by its weight `w` (not `1 + w` as Gemma does);
//! - attention is grouped-query, scaled by `head_dim^-0.5`, causal, no sliding window;
//! - Qwen2 adds a bias to the q, k and v projections (Llama adds biases on q/k/v/o when its
//!   `attention_bias` is set, and on the MLP with `mlp_bias`); Qwen3 has no bias but an RMSNorm over
//!   each query and key head before RoPE;
//! - RoPE is HF's "rotate half" form: dimension `i` of a head pairs with `i + head_dim/2`, with inverse
//!   frequencies `theta^(-2i/head_dim)` computed in f32; `rope_type` `linear` divides them by the
//!   factor, `llama3` (Llama 3.1/3.2) divides the low frequencies by `factor`, keeps the high ones and
//!   interpolates between (`low_freq_factor`, `high_freq_factor`, `original_max_position_embeddings`);
//!   other scaling types (YaRN, dynamic NTK, LongRoPE) are refused with an error;
//! - the LM head is `lm_head.weight`, or the embedding when `tie_word_embeddings` is set;
//! - the last hidden state (index `n_layers`) is the output of the final norm, as HF's `hidden_states`.
//!
//! **GGUF conventions** (llama.cpp's `convert_hf_to_gguf.py`): tensors are renamed (`token_embd`,
//! `blk.N.attn_q`, `attn_k`, `attn_v`, `attn_output`, `attn_q_norm`, `attn_k_norm`, `ffn_gate`,
//! `ffn_up`, `ffn_down`, `attn_norm`, `ffn_norm`, `output_norm`, `output`; a missing `output` means a
//! tied head), hyper-parameters are `{arch}.embedding_length`, `block_count`, `feed_forward_length`,
//! `attention.head_count(_kv)`, `attention.key_length`, `attention.layer_norm_rms_epsilon`,
//! `rope.freq_base`, `rope.scaling.type`/`factor`.
//! - For architecture `llama` the converter **permutes the rows of Q and K** within each head (weights
//!   and biases; K with the key/value head count) so that llama.cpp's default RoPE, which rotates
//!   adjacent pairs `(2j, 2j+1)`, computes what HF's rotate-half RoPE computes on pairs
//!   `(j, j + head_dim/2)`: GGUF row `2j + s` of a head is HF row `s·head_dim/2 + j`. The loader undoes
//!   this permutation, so one forward pass (rotate-half) serves both formats.
//! - `qwen2` and `qwen3` use llama.cpp's NEOX RoPE, which is rotate-half: their rows are stored
//!   unpermuted.
//! - Llama 3.1/3.2's `llama3` scaling is not metadata in GGUF: the converter writes the per-frequency
//!   divisors as the tensor `rope_freqs.weight` (1 for high frequencies, `factor` for low ones,
//!   `1 / ((1 - s)/factor + s)` between), and the inverse frequencies are divided by them.

use candle_core::{DType, Device, Tensor};

use crate::attention::{self, HeadSpec};
use crate::gguf::GgufFile;
use crate::linear::{Linear, Precision};
use crate::safetensors::{HfConfig, Weights};
use crate::stack::{self, Kv, Stack, rms};
use crate::{Batch, CausalLm, Forward, KvCache, ModelError, ModelInfo};

/// Which member of the family: decides biases, q/k norms and, for GGUF, the Q/K row order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Llama 2/3 (`llama`).
    Llama,
    /// Qwen2 / Qwen2.5 (`qwen2`): q/k/v biases.
    Qwen2,
    /// Qwen3 (`qwen3`): per-head q/k RMSNorm, no biases.
    Qwen3,
}

impl Family {
    /// The family of an architecture name (GGUF `general.architecture` or config.json `model_type`).
    pub fn from_name(name: &str) -> Option<Family> {
        match name {
            "llama" | "LlamaForCausalLM" => Some(Family::Llama),
            "qwen2" | "Qwen2ForCausalLM" => Some(Family::Qwen2),
            "qwen3" | "Qwen3ForCausalLM" => Some(Family::Qwen3),
            _ => None,
        }
    }

    /// The architecture name (`llama`, `qwen2`, `qwen3`).
    pub fn name(self) -> &'static str {
        match self {
            Family::Llama => "llama",
            Family::Qwen2 => "qwen2",
            Family::Qwen3 => "qwen3",
        }
    }
}

/// How RoPE frequencies are rescaled for long contexts.
#[derive(Debug, Clone, PartialEq)]
pub enum RopeScaling {
    /// Plain RoPE.
    None,
    /// Every inverse frequency divided by `factor` (position interpolation).
    Linear {
        /// The divisor.
        factor: f64,
    },
    /// Llama 3.1's scheme (HF `rope_type: "llama3"`).
    Llama3 {
        /// Divisor of the low frequencies.
        factor: f64,
        /// Wavelengths above `original_max_position_embeddings / low_freq_factor` are divided.
        low_freq_factor: f64,
        /// Wavelengths below `original_max_position_embeddings / high_freq_factor` are kept.
        high_freq_factor: f64,
        /// The context length of pre-training.
        original_max_position_embeddings: f64,
    },
    /// Per-frequency divisors (GGUF `rope_freqs.weight`), `head_dim / 2` of them.
    Divisors(Vec<f32>),
}

/// Llama-family hyper-parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Which architecture.
    pub family: Family,
    /// Model width.
    pub hidden_size: usize,
    /// Number of decoder layers.
    pub n_layers: usize,
    /// Query heads.
    pub n_heads: usize,
    /// Key/value heads (grouped-query attention).
    pub n_kv_heads: usize,
    /// Width of one head.
    pub head_dim: usize,
    /// MLP inner width.
    pub intermediate_size: usize,
    /// RMSNorm epsilon.
    pub rms_eps: f64,
    /// RoPE base.
    pub rope_theta: f64,
    /// RoPE frequency scaling.
    pub rope_scaling: RopeScaling,
    /// Rows of the embedding.
    pub vocab_size: usize,
    /// Whether the LM head is the embedding.
    pub tied_embeddings: bool,
}

struct Layer {
    attn_norm: Tensor,
    /// q, k and v projections stacked along the output axis, with their stacked bias when present.
    qkv: Linear,
    qkv_bias: Option<Tensor>,
    o: Linear,
    o_bias: Option<Tensor>,
    q_norm: Option<Tensor>,
    k_norm: Option<Tensor>,
    ffn_norm: Tensor,
    /// Gate and up projections stacked along the output axis.
    gate_up: Linear,
    gate_up_bias: Option<Tensor>,
    down: Linear,
    down_bias: Option<Tensor>,
}

/// A loaded Llama / Qwen2 / Qwen3 model with f32 weights.
pub struct Llama {
    cfg: Config,
    info: ModelInfo,
    embed: Tensor,
    layers: Vec<Layer>,
    final_norm: Tensor,
    head: Linear,
    /// RoPE inverse frequencies, `head_dim / 2`, scaling applied.
    inv_freq: Vec<f32>,
    device: Device,
}

/// The parts of a layer, named per format.
#[derive(Debug, Clone, Copy)]
enum Part {
    AttnNorm,
    Q,
    K,
    V,
    O,
    QNorm,
    KNorm,
    FfnNorm,
    Gate,
    Up,
    Down,
}

/// Tensors by name from either format, with the file to blame in errors.
trait Source {
    fn has(&self, name: &str) -> bool;
    fn take(&mut self, name: &str) -> Result<Tensor, ModelError>;
    fn blame(&self, name: &str) -> std::path::PathBuf;
    fn global(&self, which: Global) -> String;
    fn layer(&self, i: usize, part: Part, bias: bool) -> String;
}

#[derive(Debug, Clone, Copy)]
enum Global {
    Embed,
    Norm,
    Head,
}

struct GgufSource<'a> {
    file: &'a mut GgufFile,
    device: Device,
}

impl Source for GgufSource<'_> {
    fn has(&self, name: &str) -> bool {
        self.file.has_tensor(name)
    }
    fn take(&mut self, name: &str) -> Result<Tensor, ModelError> {
        self.file.tensor_f32(name, &self.device)
    }
    fn blame(&self, _name: &str) -> std::path::PathBuf {
        self.file.path().to_path_buf()
    }
    fn global(&self, which: Global) -> String {
        match which {
            Global::Embed => "token_embd.weight",
            Global::Norm => "output_norm.weight",
            Global::Head => "output.weight",
        }
        .to_string()
    }
    fn layer(&self, i: usize, part: Part, bias: bool) -> String {
        let p = match part {
            Part::AttnNorm => "attn_norm",
            Part::Q => "attn_q",
            Part::K => "attn_k",
            Part::V => "attn_v",
            Part::O => "attn_output",
            Part::QNorm => "attn_q_norm",
            Part::KNorm => "attn_k_norm",
            Part::FfnNorm => "ffn_norm",
            Part::Gate => "ffn_gate",
            Part::Up => "ffn_up",
            Part::Down => "ffn_down",
        };
        format!("blk.{i}.{p}.{}", if bias { "bias" } else { "weight" })
    }
}

struct HfSource<'a> {
    weights: &'a mut Weights,
}

impl Source for HfSource<'_> {
    fn has(&self, name: &str) -> bool {
        self.weights.has(name)
    }
    fn take(&mut self, name: &str) -> Result<Tensor, ModelError> {
        self.weights.take(name)
    }
    fn blame(&self, name: &str) -> std::path::PathBuf {
        self.weights.file_of(name)
    }
    fn global(&self, which: Global) -> String {
        match which {
            Global::Embed => "model.embed_tokens.weight",
            Global::Norm => "model.norm.weight",
            Global::Head => "lm_head.weight",
        }
        .to_string()
    }
    fn layer(&self, i: usize, part: Part, bias: bool) -> String {
        let p = match part {
            Part::AttnNorm => "input_layernorm",
            Part::Q => "self_attn.q_proj",
            Part::K => "self_attn.k_proj",
            Part::V => "self_attn.v_proj",
            Part::O => "self_attn.o_proj",
            Part::QNorm => "self_attn.q_norm",
            Part::KNorm => "self_attn.k_norm",
            Part::FfnNorm => "post_attention_layernorm",
            Part::Gate => "mlp.gate_proj",
            Part::Up => "mlp.up_proj",
            Part::Down => "mlp.down_proj",
        };
        format!(
            "model.layers.{i}.{p}.{}",
            if bias { "bias" } else { "weight" }
        )
    }
}

/// Takes a tensor and checks its shape, naming the file and the tensor when it differs.
fn shaped(src: &mut dyn Source, name: &str, dims: &[usize]) -> Result<Tensor, ModelError> {
    let t = src.take(name)?;
    if t.dims() != dims {
        return Err(ModelError::Format {
            path: src.blame(name),
            expected: "tensor shapes consistent with the model's configuration",
            reason: format!("tensor {name} is {:?}, expected {dims:?}", t.dims()),
        });
    }
    Ok(t)
}

/// Which biases a checkpoint must (or, from GGUF, may) have.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Bias {
    Absent,
    Required,
    /// GGUF: llama.cpp loads optional biases when the file has them.
    IfPresent,
}

impl Llama {
    /// Loads a GGUF of architecture `llama`, `qwen2` or `qwen3`, dequantizing every weight to f32.
    pub fn from_gguf(file: &mut GgufFile, info: ModelInfo) -> Result<Llama, ModelError> {
        let arch = file.string("general.architecture")?.to_string();
        let family = Family::from_name(&arch).ok_or_else(|| ModelError::Unsupported {
            path: file.path().to_path_buf(),
            what: format!("architecture {arch:?} in the Llama-family loader"),
        })?;
        let key = |k: &str| format!("{arch}.{k}");
        let hidden_size = file.usize(&key("embedding_length"))?;
        let n_heads = file.usize(&key("attention.head_count"))?;
        if n_heads == 0 {
            return Err(ModelError::Format {
                path: file.path().to_path_buf(),
                expected: "GGUF metadata the architecture needs",
                reason: format!("{} is 0", key("attention.head_count")),
            });
        }
        let head_dim = file.usize_or(&key("attention.key_length"), hidden_size / n_heads)?;
        let rope_dims = file.usize_or(&key("rope.dimension_count"), head_dim)?;
        if rope_dims != head_dim {
            return Err(ModelError::Unsupported {
                path: file.path().to_path_buf(),
                what: format!(
                    "partial rotary embeddings ({} = {rope_dims}, head width {head_dim})",
                    key("rope.dimension_count")
                ),
            });
        }
        let scaling_type = match file.metadata().get(&key("rope.scaling.type")) {
            Some(_) => Some(file.string(&key("rope.scaling.type"))?.to_string()),
            None => None,
        };
        let mut rope_scaling = match scaling_type.as_deref() {
            None | Some("none") => RopeScaling::None,
            Some("linear") => RopeScaling::Linear {
                factor: file.f64_or(&key("rope.scaling.factor"), 1.0)?,
            },
            Some(other) => {
                return Err(ModelError::Unsupported {
                    path: file.path().to_path_buf(),
                    what: format!(
                        "RoPE scaling {other:?} ({}); supported: none, linear, and Llama 3's \
                         rope_freqs tensor",
                        key("rope.scaling.type")
                    ),
                });
            }
        };
        if file.has_tensor("rope_freqs.weight") {
            let t = file.tensor_f32("rope_freqs.weight", &Device::Cpu)?;
            let v: Vec<f32> = t.flatten_all()?.to_vec1()?;
            if v.len() != head_dim / 2 {
                return Err(ModelError::Format {
                    path: file.path().to_path_buf(),
                    expected: "tensor shapes consistent with the model's configuration",
                    reason: format!(
                        "tensor rope_freqs.weight has {} entries, expected head_dim/2 = {}",
                        v.len(),
                        head_dim / 2
                    ),
                });
            }
            rope_scaling = RopeScaling::Divisors(v);
        }
        let vocab_size = file
            .tensor_shape("token_embd.weight")
            .and_then(|s| s.first().copied())
            .unwrap_or(0);
        let cfg = Config {
            family,
            hidden_size,
            n_layers: file.usize(&key("block_count"))?,
            n_heads,
            n_kv_heads: file.usize_or(&key("attention.head_count_kv"), n_heads)?,
            head_dim,
            intermediate_size: file.usize(&key("feed_forward_length"))?,
            rms_eps: file.f64_or(&key("attention.layer_norm_rms_epsilon"), 1e-6)?,
            rope_theta: file.f64_or(&key("rope.freq_base"), 10_000.0)?,
            rope_scaling,
            vocab_size,
            tied_embeddings: !file.has_tensor("output.weight"),
        };
        let biases = match family {
            Family::Qwen2 => (Bias::Required, Bias::IfPresent, Bias::IfPresent),
            Family::Llama | Family::Qwen3 => (Bias::IfPresent, Bias::IfPresent, Bias::IfPresent),
        };
        let permute = family == Family::Llama;
        let mut src = GgufSource {
            file,
            device: Device::Cpu,
        };
        Llama::build(&mut src, cfg, info, biases, permute)
    }

    /// Loads the weights of a Hugging Face checkpoint whose `config.json` is `cfg_json`.
    pub fn from_safetensors(
        cfg_json: &HfConfig,
        weights: &mut Weights,
        info: ModelInfo,
    ) -> Result<Llama, ModelError> {
        let c = cfg_json;
        let model_type = c.model_type()?;
        let family = Family::from_name(&model_type).ok_or_else(|| ModelError::Unsupported {
            path: c.path().to_path_buf(),
            what: format!("model type {model_type:?} in the Llama-family loader"),
        })?;
        let hidden_size = c.usize("hidden_size")?;
        let n_heads = c.usize("num_attention_heads")?;
        if n_heads == 0 {
            return Err(ModelError::Format {
                path: c.path().to_path_buf(),
                expected: "the configuration keys the architecture needs",
                reason: "num_attention_heads is 0".into(),
            });
        }
        if let Some(act) = c.str("hidden_act") {
            if act != "silu" {
                return Err(ModelError::Unsupported {
                    path: c.path().to_path_buf(),
                    what: format!("hidden_act {act:?} (the Llama family uses \"silu\")"),
                });
            }
        }
        let sliding = c.bool_or("use_sliding_window", false)?
            || c.get("layer_types")
                .and_then(|v| v.as_array())
                .is_some_and(|a| a.iter().any(|t| t.as_str() != Some("full_attention")));
        if sliding {
            return Err(ModelError::Unsupported {
                path: c.path().to_path_buf(),
                what: "sliding-window attention in a Llama-family model (use_sliding_window / \
                       layer_types)"
                    .into(),
            });
        }
        let (rope_theta, rope_scaling) = hf_rope(c)?;
        let attention_bias = c.bool_or("attention_bias", false)?;
        let mlp_bias = c.bool_or("mlp_bias", false)?;
        let need = |b: bool| if b { Bias::Required } else { Bias::Absent };
        let biases = match family {
            Family::Qwen2 => (Bias::Required, Bias::Absent, Bias::Absent),
            Family::Llama => (need(attention_bias), need(attention_bias), need(mlp_bias)),
            Family::Qwen3 => (need(attention_bias), need(attention_bias), Bias::Absent),
        };
        let cfg = Config {
            family,
            hidden_size,
            n_layers: c.usize("num_hidden_layers")?,
            n_heads,
            n_kv_heads: c.usize_or("num_key_value_heads", n_heads)?,
            head_dim: c.usize_or("head_dim", hidden_size / n_heads)?,
            intermediate_size: c.usize("intermediate_size")?,
            rms_eps: c.f64_or("rms_norm_eps", 1e-6)?,
            rope_theta,
            rope_scaling,
            vocab_size: c.usize("vocab_size")?,
            tied_embeddings: c.bool_or("tie_word_embeddings", false)?,
        };
        let mut src = HfSource { weights };
        Llama::build(&mut src, cfg, info, biases, false)
    }

    /// Builds the model from named tensors. `biases` = (q/k/v, o, MLP); `permute` undoes llama.cpp's
    /// Q/K row order.
    fn build(
        src: &mut dyn Source,
        cfg: Config,
        info: ModelInfo,
        biases: (Bias, Bias, Bias),
        permute: bool,
    ) -> Result<Llama, ModelError> {
        let blame = src.blame(&src.global(Global::Embed));
        let bad = |reason: String| ModelError::Format {
            path: blame.clone(),
            expected: "a consistent Llama-family configuration",
            reason,
        };
        if cfg.n_kv_heads == 0 || !cfg.n_heads.is_multiple_of(cfg.n_kv_heads) {
            return Err(bad(format!(
                "{} query heads cannot share {} key/value heads",
                cfg.n_heads, cfg.n_kv_heads
            )));
        }
        if cfg.head_dim == 0 || !cfg.head_dim.is_multiple_of(2) {
            return Err(bad(format!(
                "head width {} is not a positive even number",
                cfg.head_dim
            )));
        }
        if cfg.n_layers == 0 {
            return Err(bad("the model has no layers".into()));
        }
        let (h, kvh, d, ff) = (
            cfg.n_heads * cfg.head_dim,
            cfg.n_kv_heads * cfg.head_dim,
            cfg.hidden_size,
            cfg.intermediate_size,
        );
        let embed_name = src.global(Global::Embed);
        let embed = shaped(src, &embed_name, &[cfg.vocab_size, d])?;
        let norm_name = src.global(Global::Norm);
        let final_norm = shaped(src, &norm_name, &[d])?;
        let head = if cfg.tied_embeddings {
            Linear::new(embed.clone())
        } else {
            let name = src.global(Global::Head);
            Linear::new(shaped(src, &name, &[cfg.vocab_size, d])?)
        };
        let unpermute = |t: Tensor, heads: usize| -> Result<Tensor, ModelError> {
            if !permute {
                return Ok(t);
            }
            let dims = t.dims().to_vec();
            let cols: usize = dims.iter().skip(1).product();
            let half = cfg.head_dim / 2;
            Ok(t.reshape((heads, half, 2, cols))?
                .transpose(1, 2)?
                .contiguous()?
                .reshape(dims)?)
        };
        let mut layers = Vec::with_capacity(cfg.n_layers);
        for i in 0..cfg.n_layers {
            let w = |src: &mut dyn Source, part: Part, dims: &[usize]| {
                let name = src.layer(i, part, false);
                shaped(src, &name, dims)
            };
            let q = unpermute(w(src, Part::Q, &[h, d])?, cfg.n_heads)?;
            let k = unpermute(w(src, Part::K, &[kvh, d])?, cfg.n_kv_heads)?;
            let v = w(src, Part::V, &[kvh, d])?;
            let o = w(src, Part::O, &[d, h])?;
            let gate = w(src, Part::Gate, &[ff, d])?;
            let up = w(src, Part::Up, &[ff, d])?;
            let down = w(src, Part::Down, &[d, ff])?;
            let attn_norm = w(src, Part::AttnNorm, &[d])?;
            let ffn_norm = w(src, Part::FfnNorm, &[d])?;
            let (q_norm, k_norm) = if cfg.family == Family::Qwen3 {
                (
                    Some(w(src, Part::QNorm, &[cfg.head_dim])?),
                    Some(w(src, Part::KNorm, &[cfg.head_dim])?),
                )
            } else {
                (None, None)
            };
            // Biases: all of a group or none of it.
            let group = |src: &mut dyn Source,
                         parts: &[(Part, usize)],
                         rule: Bias|
             -> Result<Option<Tensor>, ModelError> {
                let names: Vec<String> =
                    parts.iter().map(|(p, _)| src.layer(i, *p, true)).collect();
                let present = match rule {
                    Bias::Absent => false,
                    Bias::Required => true,
                    Bias::IfPresent => names.iter().any(|n| src.has(n)),
                };
                if !present {
                    return Ok(None);
                }
                let mut ts = Vec::with_capacity(parts.len());
                for (name, (part, n)) in names.iter().zip(parts) {
                    let t = shaped(src, name, &[*n])?;
                    ts.push(match part {
                        Part::Q => unpermute(t, cfg.n_heads)?,
                        Part::K => unpermute(t, cfg.n_kv_heads)?,
                        _ => t,
                    });
                }
                Ok(Some(Tensor::cat(&ts, 0)?))
            };
            let qkv_bias = group(
                src,
                &[(Part::Q, h), (Part::K, kvh), (Part::V, kvh)],
                biases.0,
            )?;
            let o_bias = group(src, &[(Part::O, d)], biases.1)?;
            let gate_up_bias = group(src, &[(Part::Gate, ff), (Part::Up, ff)], biases.2)?;
            let down_bias = group(src, &[(Part::Down, d)], biases.2)?;
            layers.push(Layer {
                attn_norm,
                qkv: Linear::stacked(&[&q, &k, &v])?,
                qkv_bias,
                o: Linear::new(o),
                o_bias,
                q_norm,
                k_norm,
                ffn_norm,
                gate_up: Linear::stacked(&[&gate, &up])?,
                gate_up_bias,
                down: Linear::new(down),
                down_bias,
            });
        }
        let inv_freq = inv_freq(&cfg).map_err(bad)?;
        Ok(Llama {
            info: ModelInfo {
                architecture: cfg.family.name().to_string(),
                n_layers: cfg.n_layers,
                hidden_size: cfg.hidden_size,
                vocab_size: cfg.vocab_size,
                ..info
            },
            cfg,
            embed,
            layers,
            final_norm,
            head,
            inv_freq,
            device: Device::Cpu,
        })
    }

    /// The hyper-parameters.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// RoPE cos/sin tables `[positions, head_dim/2]`, in f32 as transformers computes them.
    fn rope_tables(&self, positions: &[usize]) -> Result<(Tensor, Tensor), ModelError> {
        let half = self.inv_freq.len();
        let n = positions.len();
        let mut cos = Vec::with_capacity(n * half);
        let mut sin = Vec::with_capacity(n * half);
        for &p in positions {
            for &f in &self.inv_freq {
                let a = p as f32 * f;
                cos.push(a.cos());
                sin.push(a.sin());
            }
        }
        Ok((
            Tensor::from_vec(cos, (n, half), &self.device)?,
            Tensor::from_vec(sin, (n, half), &self.device)?,
        ))
    }

    fn embed(&self, ids: &[u32], b: usize, t: usize) -> Result<Tensor, ModelError> {
        let ids = Tensor::from_vec(ids.to_vec(), (b * t,), &self.device)?;
        Ok(self
            .embed
            .index_select(&ids, 0)?
            .reshape((b, t, self.cfg.hidden_size))?)
    }

    /// Runs `x` `[b, t, d]` through every layer at the positions `kv` gives, extending its caches;
    /// calls `each` with the input of every layer. Returns the residual stream after the last layer.
    fn layers_forward(
        &self,
        mut x: Tensor,
        kv: &mut Kv<'_>,
        each: &mut dyn FnMut(&Tensor),
    ) -> Result<Tensor, ModelError> {
        let (b, t, _) = x.dims3()?;
        let rope = self.rope_tables(&kv.positions(b, t)?)?;
        for (i, layer) in self.layers.iter().enumerate() {
            each(&x);
            x = layer.forward(&x, &self.cfg, &rope, kv, i)?;
        }
        Ok(x)
    }
}

/// RoPE inverse frequencies with the configured scaling, f32 as in transformers.
fn inv_freq(cfg: &Config) -> Result<Vec<f32>, String> {
    let d = cfg.head_dim;
    let base = cfg.rope_theta as f32;
    let plain: Vec<f32> = (0..d / 2)
        .map(|i| 1.0 / base.powf((2 * i) as f32 / d as f32))
        .collect();
    Ok(match &cfg.rope_scaling {
        RopeScaling::None => plain,
        RopeScaling::Linear { factor } => {
            let f = *factor as f32;
            plain.iter().map(|x| x / f).collect()
        }
        RopeScaling::Divisors(div) => {
            if div.len() != plain.len() {
                return Err(format!(
                    "{} RoPE divisors for {} frequencies",
                    div.len(),
                    plain.len()
                ));
            }
            plain.iter().zip(div).map(|(x, f)| x / f).collect()
        }
        RopeScaling::Llama3 {
            factor,
            low_freq_factor,
            high_freq_factor,
            original_max_position_embeddings,
        } => {
            let (factor, low, high, old) = (
                *factor as f32,
                *low_freq_factor as f32,
                *high_freq_factor as f32,
                *original_max_position_embeddings as f32,
            );
            if (high - low).abs() < f32::EPSILON {
                return Err("llama3 RoPE scaling with low_freq_factor = high_freq_factor".into());
            }
            let low_wavelen = old / low;
            let high_wavelen = old / high;
            plain
                .iter()
                .map(|&f| {
                    let wavelen = 2.0 * std::f32::consts::PI / f;
                    let scaled = if wavelen > low_wavelen { f / factor } else { f };
                    if wavelen >= high_wavelen && wavelen <= low_wavelen {
                        let smooth = (old / wavelen - low) / (high - low);
                        (1.0 - smooth) * scaled / factor + smooth * scaled
                    } else {
                        scaled
                    }
                })
                .collect()
        }
    })
}

/// RoPE base and scaling from a config.json: transformers 5 writes `rope_parameters`
/// (`rope_theta`, `rope_type`, …), earlier versions `rope_theta` and `rope_scaling`.
fn hf_rope(c: &HfConfig) -> Result<(f64, RopeScaling), ModelError> {
    let params = c.get("rope_parameters").or_else(|| c.get("rope_scaling"));
    let num = |key: &str, default: f64| -> Result<f64, ModelError> {
        match params.and_then(|p| p.get(key)).filter(|v| !v.is_null()) {
            None => Ok(default),
            Some(v) => v.as_f64().ok_or_else(|| ModelError::Format {
                path: c.path().to_path_buf(),
                expected: "the configuration keys the architecture needs",
                reason: format!("RoPE parameter {key:?} is not a number"),
            }),
        }
    };
    let theta = match params.and_then(|p| p.get("rope_theta")) {
        Some(_) => num("rope_theta", 10_000.0)?,
        None => c.f64_or("rope_theta", 10_000.0)?,
    };
    let kind = params
        .and_then(|p| p.get("rope_type").or_else(|| p.get("type")))
        .and_then(|v| v.as_str())
        .unwrap_or("default");
    let scaling = match kind {
        "default" => RopeScaling::None,
        "linear" => RopeScaling::Linear {
            factor: num("factor", 1.0)?,
        },
        "llama3" => RopeScaling::Llama3 {
            factor: num("factor", 8.0)?,
            low_freq_factor: num("low_freq_factor", 1.0)?,
            high_freq_factor: num("high_freq_factor", 4.0)?,
            original_max_position_embeddings: num("original_max_position_embeddings", 8192.0)?,
        },
        other => {
            return Err(ModelError::Unsupported {
                path: c.path().to_path_buf(),
                what: format!("RoPE scaling {other:?}; supported: default, linear, llama3"),
            });
        }
    };
    Ok((theta, scaling))
}

fn add_bias(y: Tensor, bias: Option<&Tensor>) -> candle_core::Result<Tensor> {
    match bias {
        Some(b) => y.broadcast_add(b),
        None => Ok(y),
    }
}

impl Layer {
    fn forward(
        &self,
        x: &Tensor,
        cfg: &Config,
        rope: &(Tensor, Tensor),
        kv: &mut Kv<'_>,
        index: usize,
    ) -> candle_core::Result<Tensor> {
        let xn = rms(x, &self.attn_norm, cfg.rms_eps)?;
        let qkv = add_bias(self.qkv.forward(&xn)?, self.qkv_bias.as_ref())?;
        let spec = HeadSpec {
            h: cfg.n_heads,
            kv: cfg.n_kv_heads,
            hd: cfg.head_dim,
            qk_norm: self.q_norm.as_ref().zip(self.k_norm.as_ref()),
            eps: cfg.rms_eps,
        };
        let heads = attention::split_heads(&qkv, &spec, &rope.0, &rope.1)?;
        let attn = kv.attend(index, heads, None, (cfg.head_dim as f64).powf(-0.5))?;
        let attn = add_bias(self.o.forward(&attn)?, self.o_bias.as_ref())?;
        let x = (x + attn)?;

        let xn = rms(&x, &self.ffn_norm, cfg.rms_eps)?;
        let silu = crate::ops::Gate::Silu;
        let act = match &self.gate_up_bias {
            // With a bias between the projection and the activation, the steps run one by one.
            Some(bias) => {
                let gate_up = self.gate_up.forward(&xn)?.broadcast_add(bias)?;
                let ff = cfg.intermediate_size;
                self.down.forward(&crate::ops::gated(&gate_up, ff, silu)?)?
            }
            None => Linear::gated_mlp(&self.gate_up, &self.down, &xn, silu)?,
        };
        let mlp = add_bias(act, self.down_bias.as_ref())?;
        x + mlp
    }
}

impl Stack for Llama {
    fn n_layers(&self) -> usize {
        self.cfg.n_layers
    }

    fn embed(&self, ids: &[u32], b: usize, t: usize) -> Result<Tensor, ModelError> {
        Llama::embed(self, ids, b, t)
    }

    fn layers_forward(
        &self,
        x: Tensor,
        kv: &mut Kv<'_>,
        each: &mut dyn FnMut(&Tensor),
    ) -> Result<Tensor, ModelError> {
        Llama::layers_forward(self, x, kv, each)
    }

    fn final_norm(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        rms(x, &self.final_norm, self.cfg.rms_eps)
    }
}

impl CausalLm for Llama {
    fn info(&self) -> &ModelInfo {
        &self.info
    }

    fn forward(&self, batch: &Batch, keep_hidden: bool) -> Result<Forward, ModelError> {
        stack::forward(self, batch, keep_hidden)
    }

    fn new_cache(&self) -> KvCache {
        stack::new_cache(self)
    }

    fn forward_cached(&self, ids: &[u32], cache: &mut KvCache) -> Result<Tensor, ModelError> {
        stack::forward_cached(self, ids, cache)
    }

    fn forward_step(&self, ids: &[u32], caches: &mut [KvCache]) -> Result<Tensor, ModelError> {
        stack::forward_step(self, ids, caches)
    }

    fn lm_head(&self, rows: &Tensor) -> Result<Tensor, ModelError> {
        Ok(self.head.forward(rows)?.to_dtype(DType::F32)?)
    }

    fn device(&self) -> &Device {
        &self.device
    }

    fn set_precision(&mut self, precision: Precision) -> Result<(), ModelError> {
        // The LM head stays f32: logits feed log-likelihoods directly.
        for l in &mut self.layers {
            for lin in [&mut l.qkv, &mut l.o, &mut l.gate_up, &mut l.down] {
                lin.set_precision(precision)?;
            }
        }
        Ok(())
    }
}
