//! What every decoder-only architecture's [`CausalLm`](crate::CausalLm) does the same way around its
//! own layers: the batched forward pass that collects hidden states, the key/value cache, cached
//! decoding (one sequence, or one step of several), and RMSNorm. An architecture implements [`Stack`] (embedding, layers, final norm) and
//! its `CausalLm` methods call the functions here.

use candle_core::Tensor;
use rayon::prelude::*;

use crate::attention::{self, Heads, LayerKv};
use crate::ops::with_cpu_slice;

use crate::{Batch, Forward, KvCache, ModelError};

/// The architecture-specific parts of a forward pass.
pub(crate) trait Stack {
    /// Number of transformer layers.
    fn n_layers(&self) -> usize;
    /// Embedding output `[b, t, hidden]` of `b × t` token ids (row-major).
    fn embed(&self, ids: &[u32], b: usize, t: usize) -> Result<Tensor, ModelError>;
    /// Runs every layer at the positions `kv` gives, calling `each` with the input of every layer
    /// (the embedding output first); `kv` holds and extends each layer's keys and values.
    fn layers_forward(
        &self,
        x: Tensor,
        kv: &mut Kv<'_>,
        each: &mut dyn FnMut(&Tensor),
    ) -> Result<Tensor, ModelError>;
    /// The final norm.
    fn final_norm(&self, x: &Tensor) -> candle_core::Result<Tensor>;
}

/// [`CausalLm::forward`](crate::CausalLm::forward): every hidden state (embedding output, each
/// layer, the last after the final norm) when `keep_hidden`, and the normed last layer.
pub(crate) fn forward(
    s: &impl Stack,
    batch: &Batch,
    keep_hidden: bool,
) -> Result<Forward, ModelError> {
    let (b, t) = (batch.len(), batch.width());
    let x = s.embed(batch.ids(), b, t)?;
    let mut hidden = Vec::new();
    let x = s.layers_forward(x, &mut Kv::None, &mut |h| {
        if keep_hidden {
            hidden.push(h.clone());
        }
    })?;
    let last = s.final_norm(&x)?;
    if keep_hidden {
        hidden.push(last.clone());
    }
    Ok(Forward { hidden, last })
}

/// [`CausalLm::new_cache`](crate::CausalLm::new_cache): an empty cache with a slot per layer.
pub(crate) fn new_cache(s: &impl Stack) -> KvCache {
    KvCache {
        layers: vec![LayerKv::default(); s.n_layers()],
        len: 0,
    }
}

/// Checks that `cache` was made for `s`.
fn check_cache(s: &impl Stack, cache: &KvCache) -> Result<(), ModelError> {
    if cache.layers.len() != s.n_layers() {
        return Err(ModelError::Input(
            "the key/value cache belongs to another model".into(),
        ));
    }
    Ok(())
}

/// [`CausalLm::forward_cached`](crate::CausalLm::forward_cached): runs `ids` after the cached
/// tokens and returns their normed last-layer states `[len, hidden]`.
pub(crate) fn forward_cached(
    s: &impl Stack,
    ids: &[u32],
    cache: &mut KvCache,
) -> Result<Tensor, ModelError> {
    if ids.is_empty() {
        return Err(ModelError::Input("no tokens to run".into()));
    }
    check_cache(s, cache)?;
    let x = s.embed(ids, 1, ids.len())?;
    let x = s.layers_forward(x, &mut Kv::One(cache), &mut |_| {})?;
    cache.len += ids.len();
    Ok(s.final_norm(&x)?.squeeze(0)?)
}

/// [`CausalLm::forward_step`](crate::CausalLm::forward_step): one new token for each sequence,
/// `ids[i]` after the tokens in `caches[i]`; returns their normed last-layer states `[n, hidden]`.
pub(crate) fn forward_step(
    s: &impl Stack,
    ids: &[u32],
    caches: &mut [KvCache],
) -> Result<Tensor, ModelError> {
    if ids.is_empty() || ids.len() != caches.len() {
        return Err(ModelError::Input(format!(
            "a decoding step needs one token per sequence ({} tokens for {} caches)",
            ids.len(),
            caches.len()
        )));
    }
    for c in caches.iter() {
        check_cache(s, c)?;
        if c.is_empty() {
            return Err(ModelError::Input(
                "a decoding step continues a sequence: run its prompt first".into(),
            ));
        }
    }
    let x = s.embed(ids, ids.len(), 1)?;
    let x = s.layers_forward(x, &mut Kv::Rows(caches), &mut |_| {})?;
    for c in caches.iter_mut() {
        c.len += 1;
    }
    Ok(s.final_norm(&x)?.squeeze(1)?)
}

/// Where a forward pass's keys and values come from and go.
pub(crate) enum Kv<'a> {
    /// No cache: a batch of whole sequences from position 0.
    None,
    /// One sequence continuing after the tokens in the cache.
    One(&'a mut KvCache),
    /// One new token for each of several sequences (`[n, 1, hidden]`), each with its own cache.
    Rows(&'a mut [KvCache]),
}

impl Kv<'_> {
    /// Positions of the tokens of a `[b, t, …]` input: `t` shared by every row, or (decoding
    /// steps) one per row.
    pub(crate) fn positions(&self, b: usize, t: usize) -> candle_core::Result<Vec<usize>> {
        match self {
            Kv::None => Ok((0..t).collect()),
            Kv::One(c) => Ok((c.len..c.len + t).collect()),
            Kv::Rows(cs) if t == 1 && cs.len() == b => Ok(cs.iter().map(|c| c.len).collect()),
            Kv::Rows(cs) => Err(candle_core::Error::Msg(format!(
                "a decoding step of [{b}, {t}] tokens for {} caches",
                cs.len()
            ))),
        }
    }

    /// Causal attention of layer `layer` (see [`attention::attend`]): the new keys and values are
    /// appended to the cache first, per sequence for decoding steps.
    pub(crate) fn attend(
        &mut self,
        layer: usize,
        heads: Heads,
        window: Option<usize>,
        scale: f64,
    ) -> candle_core::Result<Tensor> {
        let Heads { q, k, v } = heads;
        match self {
            Kv::None => attention::attend(&q, &k, &v, window, scale),
            Kv::One(c) => {
                let slot = &mut c.layers[layer];
                let (_, kv, t, hd) = k.dims4()?;
                with_cpu_slice(&k, |k| {
                    with_cpu_slice(&v, |v| slot.append(k, v, (kv, t, hd)))
                })???;
                attention::attend_cached(&q, slot, window, scale)
            }
            Kv::Rows(cs) => {
                let (_, kv, t, hd) = k.dims4()?;
                let per_row = kv * t * hd;
                let rows: Vec<Tensor> = with_cpu_slice(&k, |k| {
                    with_cpu_slice(&v, |v| {
                        cs.par_iter_mut()
                            .enumerate()
                            .map(|(i, c)| {
                                let slot = &mut c.layers[layer];
                                let r = i * per_row..(i + 1) * per_row;
                                slot.append(&k[r.clone()], &v[r], (kv, t, hd))?;
                                attention::attend_cached(&q.narrow(0, i, 1)?, slot, window, scale)
                            })
                            .collect::<candle_core::Result<_>>()
                    })
                })???;
                Tensor::cat(&rows, 0)
            }
        }
    }
}

/// RMSNorm of the last axis with weight `w` (the input made contiguous first, as candle requires).
pub(crate) fn rms(x: &Tensor, w: &Tensor, eps: f64) -> candle_core::Result<Tensor> {
    candle_nn::ops::rms_norm(&x.contiguous()?, w, eps as f32)
}
