//! Fused gated activations for the MLP blocks: `act(gate) * up` in one pass over the stacked
//! `[…, 2·ff]` output of the gate/up projection, giving `[…, ff]`.
//!
//! candle computes GELU and SiLU one element at a time through libm's `tanhf`/`expf`, which made the
//! activation a quarter of Gemma 3's forward time once the projections got fast. Here `exp` is a
//! branch-free polynomial (Cody–Waite range reduction, degree-6 minimax-style Taylor on
//! `[-ln2/2, ln2/2]`, relative error below 2e-7) that the compiler vectorizes; the loop is compiled
//! twice, for the baseline target and for AVX2 + FMA, and picked at run time.

use candle_core::Tensor;

/// `e^x` for f32, relative error < 3e-7 on `[-87, 88]`; the argument is clamped to that range, so
/// the result is never 0 nor infinite.
#[inline(always)]
pub(crate) fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.3, 88.0);
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // ln 2 split so that n · LN2_HI is exact for |n| < 2^10.
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    // Round to nearest with the 1.5 · 2^23 trick (vectorizes without SSE4.1's roundps).
    const MAGIC: f32 = 12_582_912.0;
    let shifted = x * LOG2E + MAGIC;
    let n = shifted - MAGIC;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    // e^r on |r| ≤ ln2/2 by its Taylor series to degree 7 (truncation error < 1e-8 relative).
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0
                    + r * (1.0 / 24.0
                        + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r * (1.0 / 5040.0)))))));
    // 2^n through the exponent bits; n ∈ [-126, 127] after the clamp. n is read as an integer from
    // the low mantissa bits of `shifted` (whose exponent is MAGIC's) rather than by `n as i32`, a
    // saturating conversion that the compiler does not vectorize.
    let n_int = shifted.to_bits().wrapping_sub(MAGIC.to_bits()) as i32;
    let bits = (n_int.wrapping_add(127) as u32) << 23;
    p * f32::from_bits(bits)
}

/// `tanh(u)` through `exp(-2|u|)`, sign restored; absolute error < 3e-7.
#[inline(always)]
fn tanh(u: f32) -> f32 {
    let e = exp(-2.0 * u.abs());
    let t = (1.0 - e) / (1.0 + e);
    t.copysign(u)
}

/// GELU with the tanh approximation (`gelu_pytorch_tanh`), the formula candle and transformers use.
#[inline(always)]
fn gelu_tanh(v: f32) -> f32 {
    const SQRT_TWO_OVER_PI: f32 = 0.797_884_6;
    0.5 * v * (1.0 + tanh(SQRT_TWO_OVER_PI * v * (1.0 + 0.044_715 * v * v)))
}

/// SiLU `v · σ(v)`.
#[inline(always)]
fn silu(v: f32) -> f32 {
    v / (1.0 + exp(-v))
}

/// Which activation gates the MLP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// GELU, tanh approximation (Gemma).
    GeluTanh,
    /// SiLU (Llama, Qwen: SwiGLU).
    Silu,
}

#[inline(always)]
fn gated_rows(gate_up: &[f32], ff: usize, act: Gate, out: &mut [f32]) {
    for (row, o) in gate_up.chunks_exact(2 * ff).zip(out.chunks_exact_mut(ff)) {
        let (g, u) = row.split_at(ff);
        match act {
            Gate::GeluTanh => {
                for ((o, &g), &u) in o.iter_mut().zip(g).zip(u) {
                    *o = gelu_tanh(g) * u;
                }
            }
            Gate::Silu => {
                for ((o, &g), &u) in o.iter_mut().zip(g).zip(u) {
                    *o = silu(g) * u;
                }
            }
        }
    }
}

/// Calls `$f($args…)` (a function returning `()`, marked `#[inline(always)]` so it is compiled
/// into each caller) through a copy compiled for AVX-512F + AVX2 + FMA or for AVX2 + FMA, whichever
/// this CPU runs (detected once), or as is on other CPUs. The loops of this crate are written to
/// vectorize; the wider copies let the compiler use the wider registers.
macro_rules! simd_dispatch {
    ($f:path, ($($a:ident: $t:ty),* $(,)?)) => {{
        #[cfg(target_arch = "x86_64")]
        {
            #[target_feature(enable = "avx512f,avx2,fma")]
            fn wide($($a: $t),*) {
                $f($($a),*)
            }
            #[target_feature(enable = "avx2,fma")]
            fn narrow($($a: $t),*) {
                $f($($a),*)
            }
            if $crate::ops::avx512_available() {
                // SAFETY: the CPU has AVX-512F, AVX2 and FMA (detected at run time), the only
                // requirement of calling a function compiled for them; it takes its arguments by
                // value or reference like `$f`.
                #[allow(unsafe_code)]
                unsafe {
                    wide($($a),*)
                }
            } else if $crate::ops::avx2_available() {
                // SAFETY: as above, for AVX2 and FMA.
                #[allow(unsafe_code)]
                unsafe {
                    narrow($($a),*)
                }
            } else {
                $f($($a),*)
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            $f($($a),*)
        }
    }};
}
pub(crate) use simd_dispatch;

/// Whether this CPU runs AVX2 and FMA (checked once), for the loops compiled twice.
#[cfg(target_arch = "x86_64")]
pub(crate) fn avx2_available() -> bool {
    static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *AVAILABLE.get_or_init(|| is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"))
}

/// Whether this CPU runs AVX-512F as well as AVX2 and FMA (checked once).
#[cfg(target_arch = "x86_64")]
pub(crate) fn avx512_available() -> bool {
    static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *AVAILABLE.get_or_init(|| avx2_available() && is_x86_feature_detected!("avx512f"))
}

/// `act(gate) * up` for rows of `gate_up` (each `2·ff` wide, gate first, then up) into rows of `out`
/// (each `ff` wide), on this thread, with the fastest loop this CPU runs.
pub fn gated_slice(gate_up: &[f32], ff: usize, act: Gate, out: &mut [f32]) {
    simd_dispatch!(gated_rows, (gate_up: &[f32], ff: usize, act: Gate, out: &mut [f32]))
}

/// `act(gate) * up` for `gate_up` of shape `[…, 2·ff]` (gate first, then up), giving `[…, ff]`.
pub fn gated(gate_up: &Tensor, ff: usize, act: Gate) -> candle_core::Result<Tensor> {
    let mut dims = gate_up.dims().to_vec();
    let last = dims.pop().unwrap_or(0);
    if last != 2 * ff {
        return Err(candle_core::Error::Msg(format!(
            "gated activation: last axis {last}, expected 2 × {ff}"
        )));
    }
    dims.push(ff);
    let rows: usize = dims[..dims.len() - 1].iter().product();
    let mut out = vec![0f32; rows * ff];
    // Rows are independent: split them over the thread pool in chunks big enough to amortise it.
    let run = |data: &[f32], out: &mut [f32]| {
        use rayon::prelude::*;
        let chunk = (16_384 / ff.max(1)).max(1);
        data.par_chunks(chunk * 2 * ff)
            .zip(out.par_chunks_mut(chunk * ff))
            .for_each(|(src, dst)| gated_slice(src, ff, act, dst));
    };
    with_cpu_slice(gate_up, |data| run(data, &mut out))?;
    Tensor::from_vec(out, dims, gate_up.device())
}

/// Calls `f` with the f32 elements of `x` in row-major order: read in place when `x` is a contiguous
/// CPU tensor, copied out otherwise.
pub fn with_cpu_slice<R>(x: &Tensor, f: impl FnOnce(&[f32]) -> R) -> candle_core::Result<R> {
    {
        let (storage, layout) = x.storage_and_layout();
        if let (candle_core::Storage::Cpu(cpu), Some((start, end))) =
            (&*storage, layout.contiguous_offsets())
        {
            return Ok(f(&cpu.as_slice::<f32>()?[start..end]));
        }
    }
    Ok(f(&x.flatten_all()?.to_vec1::<f32>()?))
}

/// RMSNorm of `x` into `out` with weight `w` (`x / sqrt(mean(x²) + eps) · w`, as candle and
/// transformers compute it; the sum of squares runs in 16 lanes).
#[inline(always)]
pub(crate) fn rms_row(x: &[f32], w: &[f32], eps: f32, out: &mut [f32]) {
    let m = (sum_sq(x) / x.len() as f32 + eps).sqrt();
    for ((o, &v), &w) in out.iter_mut().zip(x).zip(w) {
        *o = v / m * w;
    }
}

/// `Σ x²` in 16 independent lanes (so it vectorizes), then summed.
#[inline(always)]
fn sum_sq(x: &[f32]) -> f32 {
    let mut lanes = [0f32; 16];
    let mut chunks = x.chunks_exact(16);
    for c in &mut chunks {
        for (l, &v) in lanes.iter_mut().zip(c) {
            *l += v * v;
        }
    }
    let tail: f32 = chunks.remainder().iter().map(|v| v * v).sum();
    lanes.iter().sum::<f32>() + tail
}

/// One row of [`residual_norm`].
#[inline(always)]
fn residual_row(
    x: &[f32],
    y: &[f32],
    w_y: &[f32],
    w_next: Option<&[f32]>,
    eps: f32,
    sum: &mut [f32],
    next: &mut [f32],
) {
    rms_row(y, w_y, eps, sum);
    for (s, &x) in sum.iter_mut().zip(x) {
        *s += x;
    }
    if let Some(w) = w_next {
        rms_row(sum, w, eps, next);
    }
}

/// [`residual_row`] over consecutive rows (`next` is empty when there is no `w_next`).
#[inline(always)]
fn residual_rows_generic(
    x: &[f32],
    y: &[f32],
    w_y: &[f32],
    w_next: Option<&[f32]>,
    eps: f32,
    sum: &mut [f32],
    next: &mut [f32],
) {
    let d = w_y.len();
    for (i, s) in sum.chunks_exact_mut(d).enumerate() {
        let r = i * d..(i + 1) * d;
        let n = if next.is_empty() {
            &mut []
        } else {
            &mut next[r.clone()]
        };
        residual_row(&x[r.clone()], &y[r], w_y, w_next, eps, s, n);
    }
}

/// `x + rms(y)·w_y` (the residual connection after a sub-layer with a post-norm, as in Gemma) and
/// the RMSNorm of that sum with `w_next` (the next sub-layer's input norm), in one pass over the
/// rows instead of four candle ops and their intermediate tensors. Shapes `[…, d]`; returns the sum
/// and the normed sum.
pub(crate) fn residual_norm(
    x: &Tensor,
    y: &Tensor,
    w_y: &Tensor,
    w_next: &Tensor,
    eps: f64,
) -> candle_core::Result<(Tensor, Tensor)> {
    let (sum, next) = residual_rows(x, y, w_y, Some(w_next), eps)?;
    let dims = x.dims();
    Ok((
        Tensor::from_vec(sum, dims, x.device())?,
        Tensor::from_vec(next, dims, x.device())?,
    ))
}

/// `x + rms(y)·w_y` alone (the last sub-layer's residual), in one pass like [`residual_norm`].
pub(crate) fn residual(
    x: &Tensor,
    y: &Tensor,
    w_y: &Tensor,
    eps: f64,
) -> candle_core::Result<Tensor> {
    let (sum, _) = residual_rows(x, y, w_y, None, eps)?;
    Tensor::from_vec(sum, x.dims(), x.device())
}

/// The rows of [`residual_norm`]: the sum, and its normed copy when `w_next` is given (else
/// empty).
fn residual_rows(
    x: &Tensor,
    y: &Tensor,
    w_y: &Tensor,
    w_next: Option<&Tensor>,
    eps: f64,
) -> candle_core::Result<(Vec<f32>, Vec<f32>)> {
    let d = w_y.dims1()?;
    if x.dims() != y.dims() || x.dims().last() != Some(&d) {
        return Err(candle_core::Error::Msg(format!(
            "residual_norm: x {:?}, y {:?}, weight {:?}",
            x.dims(),
            y.dims(),
            w_y.dims()
        )));
    }
    let w_y = w_y.to_vec1::<f32>()?;
    let w_next = w_next.map(|w| w.to_vec1::<f32>()).transpose()?;
    let n = x.elem_count();
    let mut sum = vec![0f32; n];
    let mut next = vec![0f32; if w_next.is_some() { n } else { 0 }];
    let eps = eps as f32;
    with_cpu_slice(x, |x| {
        with_cpu_slice(y, |y| {
            use rayon::prelude::*;
            const ROWS: usize = 16;
            let w_next = w_next.as_deref();
            let run = |i: usize, s: &mut [f32], nx: &mut [f32]| {
                let r = i * ROWS * d..i * ROWS * d + s.len();
                let (x, y, w_y) = (&x[r.clone()], &y[r], w_y.as_slice());
                simd_dispatch!(
                    residual_rows_generic,
                    (
                        x: &[f32],
                        y: &[f32],
                        w_y: &[f32],
                        w_next: Option<&[f32]>,
                        eps: f32,
                        s: &mut [f32],
                        nx: &mut [f32],
                    )
                )
            };
            if next.is_empty() {
                sum.par_chunks_mut(ROWS * d)
                    .enumerate()
                    .for_each(|(i, s)| run(i, s, &mut []));
            } else {
                sum.par_chunks_mut(ROWS * d)
                    .zip(next.par_chunks_mut(ROWS * d))
                    .enumerate()
                    .for_each(|(i, (s, nx))| run(i, s, nx));
            }
        })
    })??;
    Ok((sum, next))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn exp_and_activations_match_libm() {
        let mut worst = 0f64;
        let mut x = -87.0f32;
        while x < 88.0 {
            let rel = ((exp(x) as f64 - (x as f64).exp()) / (x as f64).exp()).abs();
            worst = worst.max(rel);
            x += 0.0137;
        }
        assert!(worst < 3e-7, "exp relative error {worst}");
        for i in -4000..4000 {
            let v = i as f32 / 400.0;
            let g = 0.5
                * v as f64
                * (1.0
                    + ((0.797_884_560_8 * v as f64) * (1.0 + 0.044_715 * (v as f64).powi(2)))
                        .tanh());
            assert!(
                (gelu_tanh(v) as f64 - g).abs() < 1e-6 * (1.0 + g.abs()),
                "gelu({v})"
            );
            let s = v as f64 / (1.0 + (-(v as f64)).exp());
            assert!(
                (silu(v) as f64 - s).abs() < 1e-6 * (1.0 + s.abs()),
                "silu({v})"
            );
        }
        assert_eq!(exp(-200.0), 0.0f32.max(exp(-200.0)));
        assert!(exp(100.0).is_finite());
        assert_eq!(tanh(0.0), 0.0);
    }

    #[test]
    fn gated_matches_candle() {
        let dev = candle_core::Device::Cpu;
        let v: Vec<f32> = (0..3 * 2 * 40)
            .map(|i| (i as f32 * 0.37).sin() * 4.0)
            .collect();
        let t = Tensor::from_vec(v, (3, 80), &dev).unwrap();
        for (act, reference) in [
            (Gate::GeluTanh, t.narrow(1, 0, 40).unwrap().gelu().unwrap()),
            (Gate::Silu, t.narrow(1, 0, 40).unwrap().silu().unwrap()),
        ] {
            let want = (reference * t.narrow(1, 40, 40).unwrap())
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap();
            let got = gated(&t, 40, act)
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap();
            for (a, b) in got.iter().zip(&want) {
                assert!(
                    (a - b).abs() <= 2e-6 * (1.0 + b.abs()),
                    "{act:?}: {a} vs {b}"
                );
            }
        }
        assert!(gated(&t, 30, Gate::Silu).is_err());
    }
}
