//! Linear projections `y = x Wᵀ`, the one place every architecture's matrix products go through, so a
//! faster kernel (or another weight format) serves every forward pass at once.

use candle_core::Tensor;

/// A weight matrix `[out, in]` applied to the last axis of its input.
#[derive(Debug, Clone)]
pub struct Linear {
    weight: Tensor,
}

impl Linear {
    /// Wraps an f32 weight `[out, in]` (the GGUF / safetensors layout).
    pub fn new(weight: Tensor) -> Linear {
        Linear { weight }
    }

    /// Several projections of the same input stacked along the output axis, so one product computes
    /// them all (q/k/v, gate/up).
    pub fn stacked(parts: &[&Tensor]) -> candle_core::Result<Linear> {
        Ok(Linear::new(Tensor::cat(parts, 0)?))
    }

    /// Output width.
    pub fn out_dim(&self) -> usize {
        self.weight.dims().first().copied().unwrap_or(0)
    }

    /// Input width.
    pub fn in_dim(&self) -> usize {
        self.weight.dims().get(1).copied().unwrap_or(0)
    }

    /// The f32 weight `[out, in]`.
    pub fn weight(&self) -> &Tensor {
        &self.weight
    }

    /// `x Wᵀ` for `x` of shape `[…, in]`, giving `[…, out]`.
    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mut dims = x.dims().to_vec();
        let last = dims.pop().unwrap_or(1);
        let rows: usize = dims.iter().product();
        let y = x.reshape((rows, last))?.matmul(&self.weight.t()?)?;
        dims.push(self.out_dim());
        y.reshape(dims)
    }
}
