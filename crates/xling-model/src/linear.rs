//! Linear projections `y = x Wᵀ`, the one place every architecture's matrix products go through, so a
//! faster kernel (or another weight format) serves every forward pass at once.
//!
//! Two precisions ([`Precision`]): `F32` (the default; candle's f32 GEMM, the numbers the reference
//! tests check against HF transformers to 1e-4) and `Int8` (weights and activations quantized per row
//! to int8, products in [`crate::int8`]; several times faster on CPUs with AVX-512 VNNI, at the cost of
//! a rounding error of about 1% on each projection — BENCHMARKS.md measures what that does to hidden
//! states and MEXA scores).

use candle_core::{DType, Tensor};

use crate::int8::Int8Matrix;

/// Arithmetic of the projections.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Precision {
    /// f32 weights and activations (exact up to summation order).
    #[default]
    F32,
    /// Int8 weights (per output row) and activations (per input row), i32 accumulation.
    Int8,
}

impl std::str::FromStr for Precision {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "f32" => Ok(Precision::F32),
            "int8" => Ok(Precision::Int8),
            other => Err(format!(
                "unknown precision {other:?} (expected f32 or int8)"
            )),
        }
    }
}

impl std::fmt::Display for Precision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Precision::F32 => "f32",
            Precision::Int8 => "int8",
        })
    }
}

/// A weight matrix `[out, in]` applied to the last axis of its input.
#[derive(Debug, Clone)]
pub struct Linear {
    weight: Tensor,
    int8: Option<Int8Matrix>,
}

impl Linear {
    /// Wraps an f32 weight `[out, in]` (the GGUF / safetensors layout).
    pub fn new(weight: Tensor) -> Linear {
        Linear { weight, int8: None }
    }

    /// Several projections of the same input stacked along the output axis, so one product computes
    /// them all (q/k/v, gate/up).
    pub fn stacked(parts: &[&Tensor]) -> candle_core::Result<Linear> {
        Ok(Linear::new(Tensor::cat(parts, 0)?))
    }

    /// Switches the arithmetic of [`Linear::forward`] (quantizing the weight once for `Int8`).
    pub fn set_precision(&mut self, precision: Precision) -> candle_core::Result<()> {
        self.int8 = match precision {
            Precision::F32 => None,
            Precision::Int8 => {
                let (n, k) = self.weight.dims2()?;
                let w = self.weight.flatten_all()?.to_vec1::<f32>()?;
                Some(Int8Matrix::new(&w, n, k))
            }
        };
        Ok(())
    }

    /// The arithmetic in use.
    pub fn precision(&self) -> Precision {
        if self.int8.is_some() {
            Precision::Int8
        } else {
            Precision::F32
        }
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

    /// `x Wᵀ` for `x` of shape `[…, in]`, giving `[…, out]`. In f32 an input of at most
    /// 16 rows (a decoding step) goes through a kernel where each row's result does not depend on
    /// the other rows, so batched generation decodes exactly as one sequence at a time; int8 products
    /// are row-independent anyway.
    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mut dims = x.dims().to_vec();
        let last = dims.pop().unwrap_or(1);
        let rows: usize = dims.iter().product();
        dims.push(self.out_dim());
        if let Some(q) = &self.int8 {
            let y = crate::ops::with_cpu_slice(x, |x| q.matmul(x, rows))?;
            return Tensor::from_vec(y, dims, x.device());
        }
        if rows <= crate::rowwise::MAX_ROWS
            && x.dtype() == DType::F32
            && self.weight.dtype() == DType::F32
            && x.device().is_cpu()
        {
            // Decoding steps: each row's result independent of the others (see `rowwise`).
            let y = crate::ops::with_cpu_slice(x, |x| {
                crate::ops::with_cpu_slice(&self.weight, |w| {
                    crate::rowwise::matmul(x, rows, w, last)
                })
            })??;
            return Tensor::from_vec(y, dims, x.device());
        }
        let y = x.reshape((rows, last))?.matmul(&self.weight.t()?)?;
        y.reshape(dims)
    }

    /// A gated MLP `down(act(x G) ⊙ (x U))` with `gate_up` the gate and up projections stacked
    /// (`[2·ff, in]`, gate first) and `down` `[out, ff]`, for `x` of shape `[…, in]`. In int8 mode the
    /// three products and the activation run fused, band by band of rows (see
    /// [`Int8Matrix::gated_mlp`]), with the same numbers as the three steps one after the other.
    pub fn gated_mlp(
        gate_up: &Linear,
        down: &Linear,
        x: &Tensor,
        act: crate::ops::Gate,
    ) -> candle_core::Result<Tensor> {
        let ff = down.in_dim();
        if let (Some(gu), Some(dn)) = (&gate_up.int8, &down.int8) {
            if gate_up.out_dim() == 2 * ff
                && gate_up.in_dim() == x.dims().last().copied().unwrap_or(0)
            {
                let mut dims = x.dims().to_vec();
                dims.pop();
                let rows: usize = dims.iter().product();
                dims.push(down.out_dim());
                let act_rows = move |h: &[f32], ff: usize, out: &mut [f32]| {
                    crate::ops::gated_slice(h, ff, act, out)
                };
                let y = crate::ops::with_cpu_slice(x, |x| gu.gated_mlp(dn, x, rows, &act_rows))?;
                return Tensor::from_vec(y, dims, x.device());
            }
        }
        down.forward(&crate::ops::gated(&gate_up.forward(x)?, ff, act)?)
    }
}
