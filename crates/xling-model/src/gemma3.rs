//! Gemma 3 (text) forward pass, written on candle's tensor ops, returning every hidden state.
//!
//! Conventions follow HF transformers' `Gemma3ForCausalLM` (the reference the tests compare with):
//! - the embedding output is scaled by `sqrt(hidden_size)` (as an f32);
//! - each block is `x + post_attn_norm(attn(attn_norm(x)))`, then `x + post_ffw_norm(mlp(ffn_norm(x)))`,
//!   with an RMSNorm on every query and key head before RoPE;
//! - the MLP is `down(gelu_tanh(gate(x)) * up(x))` — GELU with the tanh approximation, not SiLU
//!   (candle's stock quantized Gemma 3 uses SiLU; see ARCHITECTURE.md);
//! - every sixth layer is global (RoPE base from the file, 1e6 for Gemma 3); the others use a sliding
//!   window and RoPE base 10,000;
//! - RMSNorm weights in GGUF already hold `1 + w` (the converter adds the one), so they are used as
//!   multipliers directly; HF safetensors hold `w`, and [`Gemma3::from_safetensors`] adds the one at
//!   load, so the forward pass is the same for both formats;
//! - hidden state `n_layers` (the last) is the output of the final norm, as HF's `hidden_states` gives.
//!
//! The LM head is tied to the embedding; it is applied only to the rows a caller asks for.

use candle_core::{DType, Device, Tensor};

use crate::attention::{self, HeadSpec};
use crate::gguf::GgufFile;
use crate::linear::{Linear, Precision};
use crate::ops::{residual, residual_norm};
use crate::safetensors::{HfConfig, Weights};
use crate::stack::{self, Kv, Stack, rms};
use crate::{Batch, CausalLm, Forward, KvCache, ModelError, ModelInfo};

/// Gemma 3 hyper-parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Model width (640 for 270M).
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
    /// RoPE base of the global layers.
    pub rope_global_base: f64,
    /// RoPE base of the sliding-window layers.
    pub rope_local_base: f64,
    /// Sliding-window length of the local layers.
    pub sliding_window: usize,
    /// Every how many layers one is global (layer `i` is global when `(i + 1) % pattern == 0`).
    pub sliding_window_pattern: usize,
    /// Attention scale is `query_pre_attn_scalar^-0.5`.
    pub query_pre_attn_scalar: f64,
    /// Vocabulary size (rows of the embedding).
    pub vocab_size: usize,
}

struct Layer {
    attn_norm: Tensor,
    /// q, k and v projections stacked along the output axis: one matmul for all three.
    qkv: Linear,
    o: Linear,
    q_norm: Tensor,
    k_norm: Tensor,
    post_attn_norm: Tensor,
    ffn_norm: Tensor,
    /// Gate and up projections stacked along the output axis: one matmul for both.
    gate_up: Linear,
    down: Linear,
    post_ffn_norm: Tensor,
    global: bool,
}

/// A loaded Gemma 3 model with f32 weights.
pub struct Gemma3 {
    cfg: Config,
    info: ModelInfo,
    embed: Tensor,
    /// The LM head: the embedding matrix (tied), as a projection.
    head: Linear,
    layers: Vec<Layer>,
    final_norm: Tensor,
    device: Device,
}

impl Gemma3 {
    /// Loads a Gemma 3 GGUF (architecture `gemma3`), dequantizing every weight to f32.
    pub fn from_gguf(file: &mut GgufFile, info: ModelInfo) -> Result<Gemma3, ModelError> {
        let a = "gemma3";
        let key = |k: &str| format!("{a}.{k}");
        let hidden_size = file.usize(&key("embedding_length"))?;
        let n_heads = file.usize(&key("attention.head_count"))?;
        let head_dim = file.usize_or(&key("attention.key_length"), hidden_size / n_heads)?;
        let embed_shape = file.tensor_shape("token_embd.weight").unwrap_or_default();
        let cfg = Config {
            hidden_size,
            n_layers: file.usize(&key("block_count"))?,
            n_heads,
            n_kv_heads: file.usize_or(&key("attention.head_count_kv"), n_heads)?,
            head_dim,
            intermediate_size: file.usize(&key("feed_forward_length"))?,
            rms_eps: file.f64_or(&key("attention.layer_norm_rms_epsilon"), 1e-6)?,
            rope_global_base: file.f64_or(&key("rope.freq_base"), 1_000_000.0)?,
            // Not stored in GGUF; transformers' Gemma3 default (methods.md §1.5).
            rope_local_base: 10_000.0,
            sliding_window: file.usize_or(&key("attention.sliding_window"), 4096)?,
            sliding_window_pattern: 6,
            query_pre_attn_scalar: head_dim as f64,
            vocab_size: embed_shape.first().copied().unwrap_or(0),
        };
        let device = Device::Cpu;
        let mut t = |name: &str| file.tensor_f32(name, &device);
        let embed = t("token_embd.weight")?;
        let final_norm = t("output_norm.weight")?;
        let mut layers = Vec::with_capacity(cfg.n_layers);
        let bad = |what: String| ModelError::Format {
            path: info.path.clone(),
            expected: "tensor shapes consistent with the Gemma 3 metadata",
            reason: what,
        };
        let (h, kvh, d, ff) = (
            cfg.n_heads * cfg.head_dim,
            cfg.n_kv_heads * cfg.head_dim,
            cfg.hidden_size,
            cfg.intermediate_size,
        );
        for i in 0..cfg.n_layers {
            let mut w = |suffix: &str, dims: [usize; 2]| -> Result<Tensor, ModelError> {
                let name = format!("blk.{i}.{suffix}.weight");
                let x = t(&name)?;
                if x.dims() != dims {
                    return Err(bad(format!("{name} is {:?}, expected {dims:?}", x.dims())));
                }
                Ok(x)
            };
            let (q, k, v) = (
                w("attn_q", [h, d])?,
                w("attn_k", [kvh, d])?,
                w("attn_v", [kvh, d])?,
            );
            let o = w("attn_output", [d, h])?;
            let (gate, up) = (w("ffn_gate", [ff, d])?, w("ffn_up", [ff, d])?);
            let down = w("ffn_down", [d, ff])?;
            let mut v1 = |suffix: &str| t(&format!("blk.{i}.{suffix}.weight"));
            layers.push(Layer {
                attn_norm: v1("attn_norm")?,
                qkv: Linear::stacked(&[&q, &k, &v])?,
                o: Linear::new(o),
                q_norm: v1("attn_q_norm")?,
                k_norm: v1("attn_k_norm")?,
                post_attn_norm: v1("post_attention_norm")?,
                ffn_norm: v1("ffn_norm")?,
                gate_up: Linear::stacked(&[&gate, &up])?,
                down: Linear::new(down),
                post_ffn_norm: v1("post_ffw_norm")?,
                global: (i + 1) % cfg.sliding_window_pattern == 0,
            });
        }
        let model = Gemma3 {
            info: ModelInfo {
                n_layers: cfg.n_layers,
                hidden_size: cfg.hidden_size,
                vocab_size: cfg.vocab_size,
                ..info
            },
            cfg,
            head: Linear::new(embed.clone()),
            embed,
            layers,
            final_norm,
            device,
        };
        model.check_shapes()?;
        Ok(model)
    }

    /// Loads a Hugging Face Gemma 3 checkpoint: `model_type` `gemma3_text` (`Gemma3ForCausalLM`), or
    /// `gemma3` (`Gemma3ForConditionalGeneration`, whose `text_config` and language-model tensors are
    /// used; the vision tower is not read). RMSNorm weights get the `1 +` that GGUF files carry.
    pub fn from_safetensors(
        cfg_json: &HfConfig,
        weights: &mut Weights,
        info: ModelInfo,
    ) -> Result<Gemma3, ModelError> {
        let c = match cfg_json.get("text_config") {
            Some(t) if cfg_json.model_type()? == "gemma3" => {
                HfConfig::from_value(cfg_json.path(), t.clone())
            }
            _ => cfg_json.clone(),
        };
        let unsupported = |what: String| ModelError::Unsupported {
            path: c.path().to_path_buf(),
            what,
        };
        if let Some(act) = c.str("hidden_activation").or_else(|| c.str("hidden_act")) {
            if act != "gelu_pytorch_tanh" {
                return Err(unsupported(format!(
                    "hidden_activation {act:?} (Gemma 3 uses \"gelu_pytorch_tanh\")"
                )));
            }
        }
        for key in ["final_logit_softcapping", "attn_logit_softcapping"] {
            if c.get(key).is_some() {
                return Err(unsupported(format!("{key} (Gemma 3 has none)")));
            }
        }
        if c.bool_or("use_bidirectional_attention", false)? {
            return Err(unsupported("bidirectional attention".into()));
        }
        // RoPE: transformers 5 writes rope_parameters per attention type, 4.x rope_theta,
        // rope_local_base_freq and rope_scaling.
        let rope = |kind: &str, v4_key: &str, default: f64| -> Result<f64, ModelError> {
            if let Some(p) = c.get("rope_parameters").and_then(|p| p.get(kind)) {
                let ty = p
                    .get("rope_type")
                    .and_then(|t| t.as_str())
                    .unwrap_or("default");
                if ty != "default" {
                    return Err(unsupported(format!(
                        "RoPE scaling {ty:?} of the {kind} layers (only plain RoPE is implemented \
                         for Gemma 3)"
                    )));
                }
                return Ok(p
                    .get("rope_theta")
                    .and_then(|t| t.as_f64())
                    .unwrap_or(default));
            }
            c.f64_or(v4_key, default)
        };
        if let Some(s) = c.get("rope_scaling") {
            let ty = s
                .get("rope_type")
                .or_else(|| s.get("type"))
                .and_then(|t| t.as_str())
                .unwrap_or("default");
            if ty != "default" {
                return Err(unsupported(format!(
                    "RoPE scaling {ty:?} (only plain RoPE is implemented for Gemma 3)"
                )));
            }
        }
        let n_layers = c.usize("num_hidden_layers")?;
        let pattern = match c.get("sliding_window_pattern") {
            Some(_) => c.usize("sliding_window_pattern")?,
            None => c.usize_or("_sliding_window_pattern", 6)?,
        };
        let global: Vec<bool> = match c.get("layer_types").and_then(|v| v.as_array()) {
            Some(types) => {
                if types.len() != n_layers {
                    return Err(ModelError::Format {
                        path: c.path().to_path_buf(),
                        expected: "one layer type per layer",
                        reason: format!(
                            "layer_types has {} entries for {n_layers} layers",
                            types.len()
                        ),
                    });
                }
                types
                    .iter()
                    .map(|t| t.as_str() == Some("full_attention"))
                    .collect()
            }
            None => (0..n_layers)
                .map(|i| pattern != 0 && (i + 1) % pattern == 0)
                .collect(),
        };
        let hidden_size = c.usize("hidden_size")?;
        let n_heads = c.usize("num_attention_heads")?;
        let head_dim = c.usize_or("head_dim", 256)?;
        let cfg = Config {
            hidden_size,
            n_layers,
            n_heads,
            n_kv_heads: c.usize_or("num_key_value_heads", n_heads)?,
            head_dim,
            intermediate_size: c.usize("intermediate_size")?,
            rms_eps: c.f64_or("rms_norm_eps", 1e-6)?,
            rope_global_base: rope("full_attention", "rope_theta", 1_000_000.0)?,
            rope_local_base: rope("sliding_attention", "rope_local_base_freq", 10_000.0)?,
            sliding_window: c.usize_or("sliding_window", 4096)?,
            sliding_window_pattern: pattern,
            query_pre_attn_scalar: c.f64_or("query_pre_attn_scalar", head_dim as f64)?,
            vocab_size: c.usize("vocab_size")?,
        };
        let prefix = ["model.language_model.", "language_model.model.", "model."]
            .into_iter()
            .find(|p| weights.has(&format!("{p}embed_tokens.weight")))
            .unwrap_or("model.");
        let (h, kvh, d, ff) = (
            cfg.n_heads * cfg.head_dim,
            cfg.n_kv_heads * cfg.head_dim,
            cfg.hidden_size,
            cfg.intermediate_size,
        );
        // HF stores RMSNorm weights as `w`; the forward pass multiplies by `1 + w` (GGUF's form).
        let norm = |weights: &mut Weights, name: &str, n: usize| -> Result<Tensor, ModelError> {
            Ok((weights.take_shaped(name, &[n])? + 1.0)?)
        };
        let embed = weights.take_shaped(
            &format!("{prefix}embed_tokens.weight"),
            &[cfg.vocab_size, d],
        )?;
        let final_norm = norm(weights, &format!("{prefix}norm.weight"), d)?;
        let mut layers = Vec::with_capacity(cfg.n_layers);
        for (i, &is_global) in global.iter().enumerate() {
            let p = format!("{prefix}layers.{i}.");
            let mut w =
                |name: &str, dims: &[usize]| weights.take_shaped(&format!("{p}{name}"), dims);
            let q = w("self_attn.q_proj.weight", &[h, d])?;
            let k = w("self_attn.k_proj.weight", &[kvh, d])?;
            let v = w("self_attn.v_proj.weight", &[kvh, d])?;
            let o = w("self_attn.o_proj.weight", &[d, h])?;
            let gate = w("mlp.gate_proj.weight", &[ff, d])?;
            let up = w("mlp.up_proj.weight", &[ff, d])?;
            let down = w("mlp.down_proj.weight", &[d, ff])?;
            let mut n = |name: &str, len: usize| norm(weights, &format!("{p}{name}.weight"), len);
            layers.push(Layer {
                attn_norm: n("input_layernorm", d)?,
                qkv: Linear::stacked(&[&q, &k, &v])?,
                o: Linear::new(o),
                q_norm: n("self_attn.q_norm", cfg.head_dim)?,
                k_norm: n("self_attn.k_norm", cfg.head_dim)?,
                post_attn_norm: n("post_attention_layernorm", d)?,
                ffn_norm: n("pre_feedforward_layernorm", d)?,
                gate_up: Linear::stacked(&[&gate, &up])?,
                down: Linear::new(down),
                post_ffn_norm: n("post_feedforward_layernorm", d)?,
                global: is_global,
            });
        }
        let model = Gemma3 {
            info: ModelInfo {
                architecture: "gemma3".into(),
                n_layers: cfg.n_layers,
                hidden_size: cfg.hidden_size,
                vocab_size: cfg.vocab_size,
                ..info
            },
            cfg,
            head: Linear::new(embed.clone()),
            embed,
            layers,
            final_norm,
            device: Device::Cpu,
        };
        model.check_shapes()?;
        Ok(model)
    }

    /// The hyper-parameters.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    fn check_shapes(&self) -> Result<(), ModelError> {
        let c = &self.cfg;
        let bad = |what: String| ModelError::Format {
            path: self.info.path.clone(),
            expected: "tensor shapes consistent with the Gemma 3 metadata",
            reason: what,
        };
        if self.embed.dims() != [c.vocab_size, c.hidden_size] {
            return Err(bad(format!("token_embd is {:?}", self.embed.dims())));
        }
        if c.n_kv_heads == 0 || !c.n_heads.is_multiple_of(c.n_kv_heads) {
            return Err(bad(format!(
                "{} query heads cannot share {} key/value heads",
                c.n_heads, c.n_kv_heads
            )));
        }
        Ok(())
    }

    /// RoPE cos/sin tables `[positions, head_dim/2]`, computed in f32 as transformers does.
    fn rope_tables(&self, positions: &[usize], base: f64) -> Result<(Tensor, Tensor), ModelError> {
        let d = self.cfg.head_dim;
        let base = base as f32;
        let inv: Vec<f32> = (0..d / 2)
            .map(|i| 1.0 / base.powf((2 * i) as f32 / d as f32))
            .collect();
        let n = positions.len();
        let mut cos = Vec::with_capacity(n * d / 2);
        let mut sin = Vec::with_capacity(n * d / 2);
        for &p in positions {
            for &f in &inv {
                let a = p as f32 * f;
                cos.push(a.cos());
                sin.push(a.sin());
            }
        }
        Ok((
            Tensor::from_vec(cos, (n, d / 2), &self.device)?,
            Tensor::from_vec(sin, (n, d / 2), &self.device)?,
        ))
    }

    fn embed(&self, ids: &[u32], b: usize, t: usize) -> Result<Tensor, ModelError> {
        let ids = Tensor::from_vec(ids.to_vec(), (b * t,), &self.device)?;
        let scale = (self.cfg.hidden_size as f32).sqrt();
        Ok((self
            .embed
            .index_select(&ids, 0)?
            .reshape((b, t, self.cfg.hidden_size))?
            * f64::from(scale))?)
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
        let positions = kv.positions(b, t)?;
        let global_rope = self.rope_tables(&positions, self.cfg.rope_global_base)?;
        let local_rope = self.rope_tables(&positions, self.cfg.rope_local_base)?;
        for (i, layer) in self.layers.iter().enumerate() {
            each(&x);
            let rope = if layer.global {
                &global_rope
            } else {
                &local_rope
            };
            x = layer.forward(&x, &self.cfg, rope, kv, i)?;
        }
        Ok(x)
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
        let qkv = self.qkv.forward(&xn)?;
        let spec = HeadSpec {
            h: cfg.n_heads,
            kv: cfg.n_kv_heads,
            hd: cfg.head_dim,
            qk_norm: Some((&self.q_norm, &self.k_norm)),
            eps: cfg.rms_eps,
        };
        let heads = attention::split_heads(&qkv, &spec, &rope.0, &rope.1)?;
        let window = (!self.global).then_some(cfg.sliding_window);
        let attn = kv.attend(index, heads, window, cfg.query_pre_attn_scalar.powf(-0.5))?;
        let attn = self.o.forward(&attn)?;
        let (x, xn) = residual_norm(x, &attn, &self.post_attn_norm, &self.ffn_norm, cfg.rms_eps)?;
        let mlp = Linear::gated_mlp(&self.gate_up, &self.down, &xn, crate::ops::Gate::GeluTanh)?;
        residual(&x, &mlp, &self.post_ffn_norm, cfg.rms_eps)
    }
}

impl Stack for Gemma3 {
    fn n_layers(&self) -> usize {
        self.cfg.n_layers
    }

    fn embed(&self, ids: &[u32], b: usize, t: usize) -> Result<Tensor, ModelError> {
        Gemma3::embed(self, ids, b, t)
    }

    fn layers_forward(
        &self,
        x: Tensor,
        kv: &mut Kv<'_>,
        each: &mut dyn FnMut(&Tensor),
    ) -> Result<Tensor, ModelError> {
        Gemma3::layers_forward(self, x, kv, each)
    }

    fn final_norm(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        rms(x, &self.final_norm, self.cfg.rms_eps)
    }
}

impl CausalLm for Gemma3 {
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
        for l in &mut self.layers {
            for lin in [&mut l.qkv, &mut l.o, &mut l.gate_up, &mut l.down] {
                lin.set_precision(precision)?;
            }
        }
        Ok(())
    }
}
