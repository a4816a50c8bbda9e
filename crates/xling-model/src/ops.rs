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
fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.3, 88.0);
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // ln 2 split so that n · LN2_HI is exact for |n| < 2^10.
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    // Round to nearest with the 1.5 · 2^23 trick (vectorizes without SSE4.1's roundps).
    const MAGIC: f32 = 12_582_912.0;
    let n = (x * LOG2E + MAGIC) - MAGIC;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    // e^r on |r| ≤ ln2/2 by its Taylor series to degree 7 (truncation error < 1e-8 relative).
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0
                    + r * (1.0 / 24.0
                        + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r * (1.0 / 5040.0)))))));
    // 2^n through the exponent bits; n ∈ [-126, 127] after the clamp.
    let bits = ((n as i32 + 127) as u32) << 23;
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

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod avx2 {
    /// The same loop compiled for AVX2 + FMA.
    #[target_feature(enable = "avx2,fma")]
    pub fn gated_rows(gate_up: &[f32], ff: usize, act: super::Gate, out: &mut [f32]) {
        super::gated_rows(gate_up, ff, act, out);
    }

    pub fn available() -> bool {
        static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *AVAILABLE
            .get_or_init(|| is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"))
    }

    pub fn run(gate_up: &[f32], ff: usize, act: super::Gate, out: &mut [f32]) {
        assert!(available());
        // SAFETY: `available()` checked at run time that the CPU has AVX2 and FMA, the only
        // requirement of calling a `#[target_feature(enable = "avx2,fma")]` function; it takes
        // slices, so there is nothing else to uphold.
        unsafe { gated_rows(gate_up, ff, act, out) }
    }
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
    let data = gate_up.flatten_all()?.to_vec1::<f32>()?;
    let rows = data.len() / last.max(1);
    let mut out = vec![0f32; rows * ff];
    // Rows are independent: split them over the thread pool in chunks big enough to amortise it.
    use rayon::prelude::*;
    let chunk = (16_384 / ff.max(1)).max(1);
    data.par_chunks(chunk * 2 * ff)
        .zip(out.par_chunks_mut(chunk * ff))
        .for_each(|(src, dst)| {
            #[cfg(target_arch = "x86_64")]
            {
                if avx2::available() {
                    avx2::run(src, ff, act, dst);
                    return;
                }
            }
            gated_rows(src, ff, act, dst);
        });
    dims.push(ff);
    Tensor::from_vec(out, dims, gate_up.device())
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
