//! Int8 matrix products for [`crate::linear::Linear`] (the `Precision::Int8` mode).
//!
//! Weights are quantized once, symmetrically, per output row (`scale = max|w| / 127`); activations are
//! quantized at every call per block of [`BLOCK`] (64) consecutive inputs of a row, each block with its
//! own scale, so that one outlier channel costs precision only in its block (the same idea as
//! llama.cpp's Q8 activation blocks). Each block's int8 dot product is exact in i32, then scaled and
//! summed in f32; the only error is the two roundings. On CPUs with AVX-512 VNNI (`vpdpbusd`: 64 multiply-adds of u8 × i8 per instruction,
//! four times the f32 FMA rate of the same core) the product runs in the kernel below; elsewhere a
//! portable loop computes the very same integers, so results are identical on every machine.
//!
//! `vpdpbusd` multiplies *unsigned* by signed bytes, so activations are stored as `q + 128` (u8) and the
//! excess `128 · Σₖ w[n][k]` is subtracted from every dot product with a per-row column sum computed at
//! packing time.
//!
//! Packed weight layout: output rows are grouped by [`GROUP`] (64, four 16-lane vectors); within a
//! group, for each step of four inputs `k4`, 64 × 4 bytes: byte `(j·4 + t)` is `w[g·64 + j][k4·4 + t]`.
//! One step of the kernel therefore loads 256 contiguous bytes of weights and one 4-byte word per
//! activation row.

use rayon::prelude::*;

/// Output rows per packed group (four AVX-512 vectors of 16 i32 lanes).
pub const GROUP: usize = 64;
/// Inputs per activation block (one scale each).
pub const BLOCK: usize = 64;
/// Activation rows per kernel call.
const MR: usize = 4;

/// A weight matrix `[n, k]` quantized to int8 per output row and packed for the kernel.
#[derive(Debug, Clone)]
pub struct Int8Matrix {
    n: usize,
    k: usize,
    /// `k` rounded up to a multiple of [`BLOCK`] (padding holds zeros).
    kp: usize,
    packed: Vec<i8>,
    /// Per output row (padded to the group size): the dequantization scale.
    scale: Vec<f32>,
    /// Per group, per input block, per output row of the group: `128 · Σₖ q[n][k]` over the block,
    /// the excess of the unsigned activations, subtracted from each block's dot product.
    colsum: Vec<i32>,
}

/// Largest absolute value of `row` (16 independent lanes, so the loop vectorizes).
#[inline(always)]
fn max_abs(row: &[f32]) -> f32 {
    let mut lanes = [0f32; 16];
    let mut chunks = row.chunks_exact(16);
    for c in &mut chunks {
        for (l, v) in lanes.iter_mut().zip(c) {
            *l = l.max(v.abs());
        }
    }
    let tail = chunks.remainder().iter().fold(0f32, |m, v| m.max(v.abs()));
    lanes.iter().fold(tail, |m, &v| m.max(v))
}

/// `round(t)` (to nearest, ties to even) as an integer, for |t| < 2^22: adding 1.5 · 2^23 leaves the
/// rounded value in the low mantissa bits, read back with integer arithmetic. Plain adds and integer
/// ops that vectorize on any x86-64, where `f32::round` is a libm call per element and `as i32` a
/// saturating conversion the compiler keeps scalar.
#[inline(always)]
fn round_to_int(t: f32) -> i32 {
    const MAGIC: f32 = 12_582_912.0;
    (t + MAGIC).to_bits().wrapping_sub(MAGIC.to_bits()) as i32
}

/// Quantizes `row` to `q = round(v · 127 / max|v|)`, stored in `out` by `store` (`zero` for an
/// all-zero or non-finite row), returning the scale `max|v| / 127` (0 for an all-zero row, NaN when
/// the row holds a non-finite value, so the output shows it).
#[inline(always)]
fn quantize_into<T: Copy>(row: &[f32], out: &mut [T], zero: T, store: impl Fn(i32) -> T) -> f32 {
    let max = max_abs(row);
    if max == 0.0 || !max.is_finite() {
        out.fill(zero);
        return if max == 0.0 { 0.0 } else { f32::NAN };
    }
    let inv = 127.0 / max;
    for (q, &v) in out.iter_mut().zip(row) {
        // |v · inv| ≤ 127 by construction; the clamp only guards rounding at the edge.
        *q = store(round_to_int(v * inv).clamp(-127, 127));
    }
    max / 127.0
}

/// Quantizes a weight row as signed bytes (see [`quantize_into`]).
fn quantize_row(row: &[f32], out: &mut [i8]) -> f32 {
    quantize_into(row, out, 0, |q| q as i8)
}

/// Quantizes an activation block as unsigned bytes `q + 128` (the form `vpdpbusd` multiplies).
#[inline(always)]
fn quantize_row_u8(row: &[f32], out: &mut [u8]) -> f32 {
    quantize_into(row, out, 128, |q| (q + 128) as u8)
}

/// Quantizes `m` activation rows of width `k` (row-major `x`) into `q` (`[m, kp]`, u8 `q + 128`, the
/// padding past `k` at the zero point 128) and `s` (`[m, kp/64]`, one scale per block of 64 inputs),
/// with the loop compiled for the widest vectors the CPU has (the same numbers: integer rounding
/// and an exact max).
fn quantize_rows(x: &[f32], k: usize, kp: usize, q: &mut Vec<u8>, s: &mut Vec<f32>) {
    crate::ops::simd_dispatch!(
        quantize_rows_generic,
        (x: &[f32], k: usize, kp: usize, q: &mut Vec<u8>, s: &mut Vec<f32>)
    )
}

#[inline(always)]
fn quantize_rows_generic(x: &[f32], k: usize, kp: usize, q: &mut Vec<u8>, s: &mut Vec<f32>) {
    let m = x.len() / k.max(1);
    let nb = kp / BLOCK;
    q.clear();
    q.resize(m * kp, 128);
    s.clear();
    s.resize(m * nb, 0.0);
    for ((row, q), s) in x
        .chunks_exact(k)
        .zip(q.chunks_exact_mut(kp))
        .zip(s.chunks_exact_mut(nb))
    {
        for ((src, dst), s) in row
            .chunks(BLOCK)
            .zip(q.chunks_exact_mut(BLOCK))
            .zip(s.iter_mut())
        {
            *s = quantize_row_u8(src, &mut dst[..src.len()]);
        }
    }
}

/// Activation rows per task when rows are split over threads.
const ROWS_PER_TASK: usize = 8 * MR;

/// The activation of [`Int8Matrix::gated_mlp`]: rows of the stacked gate/up product (each `2·ff`
/// wide) and `ff` in, rows of the activation (each `ff` wide) out.
pub type ActRows = dyn Fn(&[f32], usize, &mut [f32]) + Sync;

/// Activation rows per task in [`Int8Matrix::gated_mlp`] (its `[rows, 2·ff]` intermediate lives in
/// the thread's scratch: 16 rows of Gemma 3 270M's 2 × 2048 are 256 KiB, within a core's L2).
const MLP_ROWS_PER_TASK: usize = 16;

/// Per-thread buffers reused across calls, so the hot loops neither allocate nor fault fresh pages.
#[derive(Default)]
struct Scratch {
    /// Quantized activations (`q + 128`).
    q: Vec<u8>,
    /// Their block scales.
    s: Vec<f32>,
    /// The MLP's stacked gate/up product.
    h: Vec<f32>,
    /// The MLP's activation.
    a: Vec<f32>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// Runs `f` with this thread's scratch. `f` must not re-enter (no nested rayon work inside it, which
/// could run another task on this thread while the scratch is borrowed); a re-entrant call gets
/// fresh buffers instead of panicking.
fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut sc) => f(&mut sc),
        Err(_) => f(&mut Scratch::default()),
    })
}

impl Int8Matrix {
    /// Quantizes and packs `w` (row-major `[n, k]`).
    pub fn new(w: &[f32], n: usize, k: usize) -> Int8Matrix {
        debug_assert_eq!(w.len(), n * k);
        let kp = k.div_ceil(BLOCK) * BLOCK;
        let np = n.div_ceil(GROUP) * GROUP;
        let nb = kp / BLOCK;
        let mut q = vec![0i8; np * kp];
        let mut scale = vec![0f32; np];
        for r in 0..n {
            scale[r] = quantize_row(&w[r * k..(r + 1) * k], &mut q[r * kp..r * kp + k]);
        }
        let mut colsum = vec![0i32; np * nb];
        for g in 0..np / GROUP {
            for b in 0..nb {
                for j in 0..GROUP {
                    let row = &q
                        [(g * GROUP + j) * kp + b * BLOCK..(g * GROUP + j) * kp + (b + 1) * BLOCK];
                    colsum[(g * nb + b) * GROUP + j] =
                        128 * row.iter().map(|&x| i32::from(x)).sum::<i32>();
                }
            }
        }
        let mut packed = vec![0i8; np * kp];
        let steps = kp / 4;
        for g in 0..np / GROUP {
            for k4 in 0..steps {
                let base = (g * steps + k4) * GROUP * 4;
                for j in 0..GROUP {
                    let src = (g * GROUP + j) * kp + k4 * 4;
                    packed[base + j * 4..base + j * 4 + 4].copy_from_slice(&q[src..src + 4]);
                }
            }
        }
        Int8Matrix {
            n,
            k,
            kp,
            packed,
            scale,
            colsum,
        }
    }

    /// Output width.
    pub fn rows(&self) -> usize {
        self.n
    }

    /// Input width.
    pub fn cols(&self) -> usize {
        self.k
    }

    /// `x Wᵀ` for `m` rows of `x` (row-major `[m, k]`), as row-major `[m, n]`.
    pub fn matmul(&self, x: &[f32], m: usize) -> Vec<f32> {
        let n = self.n;
        debug_assert_eq!(x.len(), m * self.k);
        let mut out = vec![0f32; m * n];
        if m >= 2 * ROWS_PER_TASK {
            // Many rows: each task owns a band of rows (its own slice of the output), quantizes them
            // into its thread's scratch and walks every group of output columns, so a group's weights
            // stay in cache across the band.
            out.par_chunks_mut(ROWS_PER_TASK * n)
                .zip(x.par_chunks(ROWS_PER_TASK * self.k))
                .for_each(|(dst, band)| {
                    with_scratch(|sc| {
                        quantize_rows(band, self.k, self.kp, &mut sc.q, &mut sc.s);
                        self.band_product(&sc.q, &sc.s, dst, n);
                    })
                });
        } else {
            // Few rows (decoding): one task per group of 64 output columns, each filling its own
            // `[m, 64]` block, copied into place afterwards.
            let (mut xq, mut xs) = (Vec::new(), Vec::new());
            quantize_rows(x, self.k, self.kp, &mut xq, &mut xs);
            let groups = n.div_ceil(GROUP);
            let blocks: Vec<Vec<f32>> = (0..groups)
                .into_par_iter()
                .map(|g| {
                    let mut block = vec![0f32; m * GROUP];
                    self.group_product(g, &xq, &xs, m, &mut block, GROUP);
                    block
                })
                .collect();
            for (g, block) in blocks.iter().enumerate() {
                let c0 = g * GROUP;
                let w = GROUP.min(n - c0);
                for r in 0..m {
                    out[r * n + c0..r * n + c0 + w]
                        .copy_from_slice(&block[r * GROUP..r * GROUP + w]);
                }
            }
        }
        out
    }

    /// Products of the quantized rows `xq`/`xs` with every output row, into `out` (`[rows, n]`,
    /// row-major with `stride` = n).
    fn band_product(&self, xq: &[u8], xs: &[f32], out: &mut [f32], stride: usize) {
        let rows = xs.len() / (self.kp / BLOCK);
        for g in 0..self.n.div_ceil(GROUP) {
            self.group_product(g, xq, xs, rows, out, stride);
        }
    }

    /// A gated MLP, `down(act(x G) ⊙ (x U))`, with `self` the gate and up projections stacked along
    /// the output axis (`[2·ff, k]`, gate first) and `down` `[d, ff]`: `act_rows(gate_up, ff, out)`
    /// turns rows of the stacked product into rows of the activation. Each task runs a band of rows
    /// through all three products in its thread's scratch, so the `[m, 2·ff]` intermediate never
    /// leaves the cache. The numbers are those of `down.matmul(act(self.matmul(x)))`.
    pub fn gated_mlp(
        &self,
        down: &Int8Matrix,
        x: &[f32],
        m: usize,
        act_rows: &ActRows,
    ) -> Vec<f32> {
        let (k, ff2, d) = (self.k, self.n, down.n);
        let ff = ff2 / 2;
        debug_assert_eq!(x.len(), m * k);
        debug_assert_eq!(down.k, ff);
        if m < 2 * ROWS_PER_TASK {
            let h = self.matmul(x, m);
            let mut a = vec![0f32; m * ff];
            act_rows(&h, ff, &mut a);
            return down.matmul(&a, m);
        }
        let mut out = vec![0f32; m * d];
        out.par_chunks_mut(MLP_ROWS_PER_TASK * d)
            .zip(x.par_chunks(MLP_ROWS_PER_TASK * k))
            .for_each(|(dst, band)| {
                with_scratch(|sc| {
                    let rows = band.len() / k;
                    quantize_rows(band, k, self.kp, &mut sc.q, &mut sc.s);
                    // Both buffers are overwritten in full: resized, never cleared.
                    sc.h.resize(rows * ff2, 0.0);
                    let h = &mut sc.h[..rows * ff2];
                    self.band_product(&sc.q, &sc.s, h, ff2);
                    sc.a.resize(rows * ff, 0.0);
                    let a = &mut sc.a[..rows * ff];
                    act_rows(h, ff, a);
                    quantize_rows(a, ff, down.kp, &mut sc.q, &mut sc.s);
                    down.band_product(&sc.q, &sc.s, dst, d);
                })
            });
        out
    }

    /// Writes the products of `m` activation rows (`xq`, `[m, kp]`, scales `xs`) with the output rows
    /// of group `g` into `out`, a row-major matrix with `stride` columns: columns `g·64 ..` of it when
    /// `stride` is the full width `n`, or columns `0..64` of a per-group block when `stride` is 64.
    fn group_product(
        &self,
        g: usize,
        xq: &[u8],
        xs: &[f32],
        m: usize,
        out: &mut [f32],
        stride: usize,
    ) {
        let steps = self.kp / 4;
        let nb = self.kp / BLOCK;
        let panel = &self.packed[g * steps * GROUP * 4..(g + 1) * steps * GROUP * 4];
        let scale = &self.scale[g * GROUP..(g + 1) * GROUP];
        let colsum = &self.colsum[g * nb * GROUP..(g + 1) * nb * GROUP];
        let c0 = if stride == GROUP { 0 } else { g * GROUP };
        let width = GROUP.min(stride - c0);
        let mut r = 0;
        while r < m {
            let rows = MR.min(m - r);
            let a = &xq[r * self.kp..(r + rows) * self.kp];
            let s = &xs[r * nb..(r + rows) * nb];
            let mut acc = [[0f32; GROUP]; MR];
            dot_block(panel, colsum, a, s, rows, self.kp, &mut acc);
            for (i, acc_row) in acc.iter().enumerate().take(rows) {
                let dst = &mut out[(r + i) * stride + c0..(r + i) * stride + c0 + width];
                for (j, o) in dst.iter_mut().enumerate() {
                    *o = acc_row[j] * scale[j];
                }
            }
            r += rows;
        }
    }
}

/// Products of `rows` (≤ MR) activation rows `a` (`[rows, kp]`, u8, block scales `s`, `[rows, kp/64]`)
/// with the 64 packed output rows of `panel` (block column sums times 128 `colsum`, `[kp/64, 64]`),
/// before the weights' row scales: `acc[row][col] = Σ_blocks s[row][b] · (Σ_{k∈b} a·q − colsum[b][col])`.
fn dot_block(
    panel: &[i8],
    colsum: &[i32],
    a: &[u8],
    s: &[f32],
    rows: usize,
    kp: usize,
    acc: &mut [[f32; GROUP]; MR],
) {
    #[cfg(target_arch = "x86_64")]
    {
        if vnni::available() {
            vnni::dot_block(panel, colsum, a, s, rows, kp, acc);
            return;
        }
    }
    dot_block_portable(panel, colsum, a, s, rows, kp, acc);
}

/// The same numbers as the VNNI kernel (same integer sums, same f32 operations in the same order),
/// with plain loops.
fn dot_block_portable(
    panel: &[i8],
    colsum: &[i32],
    a: &[u8],
    s: &[f32],
    rows: usize,
    kp: usize,
    acc: &mut [[f32; GROUP]; MR],
) {
    let nb = kp / BLOCK;
    for (i, acc_row) in acc.iter_mut().enumerate().take(rows) {
        for b in 0..nb {
            let mut block = [0i32; GROUP];
            for k4 in b * BLOCK / 4..(b + 1) * BLOCK / 4 {
                let w = &panel[k4 * GROUP * 4..(k4 + 1) * GROUP * 4];
                let x = &a[i * kp + k4 * 4..i * kp + k4 * 4 + 4];
                for (j, cell) in block.iter_mut().enumerate() {
                    *cell += (0..4)
                        .map(|t| i32::from(x[t]) * i32::from(w[j * 4 + t]))
                        .sum::<i32>();
                }
            }
            let scale = s[i * nb + b];
            for (j, o) in acc_row.iter_mut().enumerate() {
                let d = (block[j] - colsum[b * GROUP + j]) as f32;
                *o = d.mul_add(scale, *o);
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod vnni {
    use std::arch::x86_64::{
        __m512, __m512i, _mm512_cvtepi32_ps, _mm512_dpbusd_epi32, _mm512_fmadd_ps,
        _mm512_loadu_si512, _mm512_set1_epi32, _mm512_set1_ps, _mm512_setzero_ps,
        _mm512_setzero_si512, _mm512_storeu_ps, _mm512_sub_epi32,
    };
    use std::sync::OnceLock;

    use super::{BLOCK, GROUP, MR};

    /// Whether this CPU runs AVX-512 VNNI (checked once). Set `XLING_NO_VNNI=1` to force the
    /// portable loop (for testing).
    pub fn available() -> bool {
        static AVAILABLE: OnceLock<bool> = OnceLock::new();
        *AVAILABLE.get_or_init(|| {
            std::env::var_os("XLING_NO_VNNI").is_none()
                && is_x86_feature_detected!("avx512f")
                && is_x86_feature_detected!("avx512vnni")
        })
    }

    pub fn dot_block(
        panel: &[i8],
        colsum: &[i32],
        a: &[u8],
        s: &[f32],
        rows: usize,
        kp: usize,
        acc: &mut [[f32; GROUP]; MR],
    ) {
        let nb = kp / BLOCK;
        assert!(rows <= MR && kp.is_multiple_of(BLOCK));
        assert!(a.len() >= rows * kp && s.len() >= rows * nb);
        assert!(panel.len() >= kp * GROUP && colsum.len() >= nb * GROUP);
        assert!(available());
        // SAFETY: `available()` verified at run time that the CPU supports avx512f and avx512vnni,
        // the features `kernel` is compiled for; the asserts above establish the slice lengths that
        // `kernel` relies on.
        unsafe {
            match rows {
                1 => kernel::<1>(panel, colsum, a, s, kp, acc),
                2 => kernel::<2>(panel, colsum, a, s, kp, acc),
                3 => kernel::<3>(panel, colsum, a, s, kp, acc),
                _ => kernel::<4>(panel, colsum, a, s, kp, acc),
            }
        }
    }

    /// `R` activation rows × 64 output rows. Every pointer access is in bounds: for `k4 < kp / 4`,
    /// the weight load covers bytes `k4·256 .. k4·256 + 256 ≤ kp·64 ≤ panel.len()`; the activation
    /// load covers bytes `i·kp + 4·k4 .. + 4 ≤ R·kp ≤ a.len()`; the column-sum load for block `b <
    /// kp/64` covers i32s `b·64 + 16·c .. + 16 ≤ colsum.len()` (all checked by the caller); unaligned
    /// loads and stores (`loadu`, `storeu`, `read_unaligned`) need no alignment.
    #[target_feature(enable = "avx512f,avx512vnni")]
    unsafe fn kernel<const R: usize>(
        panel: &[i8],
        colsum: &[i32],
        a: &[u8],
        s: &[f32],
        kp: usize,
        acc: &mut [[f32; GROUP]; MR],
    ) {
        let nb = kp / BLOCK;
        let mut f: [[__m512; 4]; R] = [[_mm512_setzero_ps(); 4]; R];
        let b = panel.as_ptr();
        let x = a.as_ptr();
        for blk in 0..nb {
            let mut c: [[__m512i; 4]; R] = [[_mm512_setzero_si512(); 4]; R];
            for k4 in blk * BLOCK / 4..(blk + 1) * BLOCK / 4 {
                // SAFETY: in bounds, see the function's comment.
                let (b0, b1, b2, b3) = unsafe {
                    let p = b.add(k4 * GROUP * 4);
                    (
                        _mm512_loadu_si512(p.cast()),
                        _mm512_loadu_si512(p.add(64).cast()),
                        _mm512_loadu_si512(p.add(128).cast()),
                        _mm512_loadu_si512(p.add(192).cast()),
                    )
                };
                for (i, ci) in c.iter_mut().enumerate() {
                    // SAFETY: in bounds, see the function's comment.
                    let word = unsafe { x.add(i * kp + k4 * 4).cast::<i32>().read_unaligned() };
                    let av = _mm512_set1_epi32(word);
                    ci[0] = _mm512_dpbusd_epi32(ci[0], av, b0);
                    ci[1] = _mm512_dpbusd_epi32(ci[1], av, b1);
                    ci[2] = _mm512_dpbusd_epi32(ci[2], av, b2);
                    ci[3] = _mm512_dpbusd_epi32(ci[3], av, b3);
                }
            }
            for (i, (ci, fi)) in c.iter().zip(f.iter_mut()).enumerate() {
                let scale = _mm512_set1_ps(s[i * nb + blk]);
                for (q, (v, fv)) in ci.iter().zip(fi.iter_mut()).enumerate() {
                    // SAFETY: in bounds, see the function's comment.
                    let cs = unsafe {
                        _mm512_loadu_si512(colsum.as_ptr().add(blk * GROUP + q * 16).cast())
                    };
                    let d = _mm512_sub_epi32(*v, cs);
                    *fv = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d), scale, *fv);
                }
            }
        }
        for (fi, out) in f.iter().zip(acc.iter_mut()) {
            for (v, chunk) in fi.iter().zip(out.chunks_exact_mut(16)) {
                // SAFETY: `chunk` is 16 f32 = 64 writable bytes; storeu needs no alignment.
                unsafe { _mm512_storeu_ps(chunk.as_mut_ptr(), *v) };
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Reproducible values in [-0.5, 0.5) for the tests of this crate.
    pub(crate) fn lcg(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 40) as f32 / (1u64 << 24) as f32) - 0.5
            })
            .collect()
    }

    /// The fused MLP gives the very numbers of its three steps run one after the other, for row
    /// counts on both sides of the fused path's threshold and a ragged last band.
    #[test]
    fn fused_mlp_equals_separate_steps() {
        let (k, ff, d) = (96, 80, 70);
        let gate_up = Int8Matrix::new(&lcg(2 * ff * k, 11), 2 * ff, k);
        let down = Int8Matrix::new(&lcg(d * ff, 12), d, ff);
        let act = |h: &[f32], ff: usize, out: &mut [f32]| {
            crate::ops::gated_slice(h, ff, crate::ops::Gate::GeluTanh, out)
        };
        for m in [3, 2 * ROWS_PER_TASK + 5] {
            let x = lcg(m * k, 13);
            let h = gate_up.matmul(&x, m);
            let mut a = vec![0f32; m * ff];
            act(&h, ff, &mut a);
            assert_eq!(
                gate_up.gated_mlp(&down, &x, m, &act),
                down.matmul(&a, m),
                "m={m}"
            );
        }
    }

    #[test]
    fn kernel_equals_portable_loop_exactly() {
        for &(m, n, k) in &[
            (1, 64, 4),
            (7, 100, 37),
            (13, 130, 640),
            (6, 64, 2048),
            (100, 70, 33),
        ] {
            let w = lcg(n * k, 1);
            let x = lcg(m * k, 2);
            let q = Int8Matrix::new(&w, n, k);
            let kp = q.kp;
            let mut a = vec![128u8; m.min(MR) * kp];
            for (i, v) in a.iter_mut().enumerate() {
                *v = (i * 37 % 251) as u8;
            }
            let rows = m.min(MR);
            let nb = kp / BLOCK;
            let s: Vec<f32> = (0..rows * nb).map(|i| 0.01 + i as f32 * 1e-3).collect();
            let panel = &q.packed[..kp * GROUP];
            let colsum = &q.colsum[..nb * GROUP];
            let mut fast = [[0f32; GROUP]; MR];
            let mut slow = [[0f32; GROUP]; MR];
            dot_block(panel, colsum, &a, &s, rows, kp, &mut fast);
            dot_block_portable(panel, colsum, &a, &s, rows, kp, &mut slow);
            assert_eq!(fast, slow, "m={m} n={n} k={k}");
            // And the whole product is close to the f32 one.
            let y = q.matmul(&x, m);
            for r in 0..m {
                for c in 0..n {
                    let exact: f32 = (0..k).map(|i| x[r * k + i] * w[c * k + i]).sum();
                    let bound = 0.02 * (k as f32).sqrt() * 0.5 * 0.5;
                    assert!(
                        (y[r * n + c] - exact).abs() < bound,
                        "{r},{c}: {} vs {exact}",
                        y[r * n + c]
                    );
                }
            }
        }
    }

    #[test]
    fn zero_rows_and_columns() {
        let w = vec![0f32; 64 * 8];
        let q = Int8Matrix::new(&w, 64, 8);
        let y = q.matmul(&[1.0; 8], 1);
        assert!(y.iter().all(|&v| v == 0.0));
        let w = lcg(64 * 8, 3);
        let q = Int8Matrix::new(&w, 64, 8);
        let y = q.matmul(&[0.0; 8], 1);
        assert!(y.iter().all(|&v| v == 0.0));
    }
}
