//! What every decoder-only architecture's [`CausalLm`](crate::CausalLm) does the same way around its
//! own layers: the batched forward pass that collects hidden states, the key/value cache and cached
//! decoding, and RMSNorm. An architecture implements [`Stack`] (embedding, layers, final norm) and
//! its `CausalLm` methods call the functions here.

use candle_core::Tensor;

use crate::{Batch, Forward, KvCache, ModelError};

/// The architecture-specific parts of a forward pass.
pub(crate) trait Stack {
    /// Number of transformer layers.
    fn n_layers(&self) -> usize;
    /// Embedding output `[b, t, hidden]` of `b × t` token ids (row-major).
    fn embed(&self, ids: &[u32], b: usize, t: usize) -> Result<Tensor, ModelError>;
    /// Runs every layer from position `offset`, calling `each` with the input of every layer (the
    /// embedding output first); `cache` holds and extends each layer's keys and values.
    fn layers_forward(
        &self,
        x: Tensor,
        offset: usize,
        cache: Option<&mut KvCache>,
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
    let x = s.layers_forward(x, 0, None, &mut |h| {
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
        layers: vec![None; s.n_layers()],
        len: 0,
    }
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
    if cache.layers.len() != s.n_layers() {
        return Err(ModelError::Input(
            "the key/value cache belongs to another model".into(),
        ));
    }
    let offset = cache.len;
    let x = s.embed(ids, 1, ids.len())?;
    let x = s.layers_forward(x, offset, Some(cache), &mut |_| {})?;
    cache.len += ids.len();
    Ok(s.final_norm(&x)?.squeeze(0)?)
}

/// RMSNorm of the last axis with weight `w` (the input made contiguous first, as candle requires).
pub(crate) fn rms(x: &Tensor, w: &Tensor, eps: f64) -> candle_core::Result<Tensor> {
    candle_nn::ops::rms_norm(&x.contiguous()?, w, eps as f32)
}

/// Appends this step's keys and values `[b, kv, t, hd]` to a layer's cache slot (when caching) and
/// returns all of them, cached positions first.
pub(crate) fn extend_cache(
    slot: Option<&mut Option<(Tensor, Tensor)>>,
    k: Tensor,
    v: Tensor,
) -> candle_core::Result<(Tensor, Tensor)> {
    let Some(slot) = slot else {
        return Ok((k, v));
    };
    let all = match slot.take() {
        Some((pk, pv)) => (Tensor::cat(&[&pk, &k], 2)?, Tensor::cat(&[&pv, &v], 2)?),
        None => (k, v),
    };
    *slot = Some(all.clone());
    Ok(all)
}
