//! A row-independent f32 matrix product for decoding steps: `y = x Wᵀ` where each output element is
//! one dot product summed in a fixed order, whatever the other rows of `x` are.
//!
//! Batched generation must give the same tokens as generating one sequence at a time (the local
//! runtime and `xling serve` are compared item by item). A general GEMM does not promise that: its
//! blocking, and so its summation order, may depend on the number of rows (candle's does: the
//! family tests catch it). Here every element is `Σ_k x[r, k] · w[o, k]` accumulated with fused
//! multiply-adds in 16 lanes (lane `j` takes `k ≡ j mod 16`, in order of `k`), the lanes summed in a
//! fixed tree, then the tail `k mod 16` added one by one; a row computed alone, in a block of four or
//! in a batch of sixteen goes through exactly these operations. The AVX-512 (one 16-lane register per
//! row), AVX2 (two 8-lane registers) and portable (`f32::mul_add`) versions agree bit for bit.
//!
//! The weights are read once per step for all rows, which is what batching buys: a decoding step is
//! bound by reading the weight matrices (Gemma 3 270M's tied LM head alone is 670 MB in f32).

use rayon::prelude::*;

/// Inputs with at most this many rows go through [`matmul`] in [`crate::linear::Linear`] and the
/// LM heads: every decoding step (batched generation runs at most this many sequences together), and
/// short prompts. Larger products use candle's GEMM.
pub(crate) const MAX_ROWS: usize = 16;

/// Output columns per parallel task.
const COLS: usize = 32;

/// The sum of 16 lanes as a fixed tree: `t_j = l_j + l_{j+8}`, `u_j = t_j + t_{j+4}`,
/// `v_j = u_j + u_{j+2}`, `v_0 + v_1` — the order the SIMD reductions below follow.
#[inline(always)]
fn tree16(l: &[f32; 16]) -> f32 {
    let t: [f32; 8] = std::array::from_fn(|j| l[j] + l[j + 8]);
    let u: [f32; 4] = std::array::from_fn(|j| t[j] + t[j + 4]);
    let v = [u[0] + u[2], u[1] + u[3]];
    v[0] + v[1]
}

/// Dot products of `R` rows `xs` with `C` weight rows `ws` over their first `k16` elements (a
/// multiple of 16): lane `j` accumulates `k ≡ j (mod 16)` with fused multiply-adds, then
/// [`tree16`].
#[inline(always)]
fn dots_portable<const R: usize, const C: usize>(
    xs: &[&[f32]; R],
    ws: &[&[f32]; C],
    k16: usize,
) -> [[f32; C]; R] {
    std::array::from_fn(|r| {
        std::array::from_fn(|c| {
            let mut lanes = [0f32; 16];
            for (xc, wc) in xs[r][..k16]
                .chunks_exact(16)
                .zip(ws[c][..k16].chunks_exact(16))
            {
                for ((l, &x), &w) in lanes.iter_mut().zip(xc).zip(wc) {
                    *l = x.mul_add(w, *l);
                }
            }
            tree16(&lanes)
        })
    })
}

/// The same dot products with AVX-512 (one register of 16 lanes per row and weight row) or AVX2
/// (two registers of 8), bit-identical to [`dots_portable`]. Blocks of rows × weight rows keep every
/// accumulator in a register, so each loaded vector serves several products.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod x86 {
    use std::arch::x86_64::*;

    /// [`super::tree16`] of the lanes `lo` (0–7) and `hi` (8–15).
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn tree(lo: __m256, hi: __m256) -> f32 {
        let t = _mm256_add_ps(lo, hi);
        let u = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps::<1>(t));
        let v = _mm_add_ps(u, _mm_movehl_ps(u, u));
        _mm_cvtss_f32(_mm_add_ss(v, _mm_shuffle_ps::<1>(v, v)))
    }

    fn check<const R: usize, const C: usize>(xs: &[&[f32]; R], ws: &[&[f32]; C], k16: usize) {
        assert!(
            k16.is_multiple_of(16)
                && xs.iter().all(|x| x.len() >= k16)
                && ws.iter().all(|w| w.len() >= k16)
        );
    }

    /// AVX-512 [`super::dots_portable`].
    #[inline]
    #[target_feature(enable = "avx512f,avx2,fma")]
    pub(super) fn dots_zmm<const R: usize, const C: usize>(
        xs: &[&[f32]; R],
        ws: &[&[f32]; C],
        k16: usize,
    ) -> [[f32; C]; R] {
        check(xs, ws, k16);
        // Weight rows are consecutive: the next block starts `C` rows on.
        let ahead = C * ws.first().map_or(0, |w| w.len());
        let mut acc = [[_mm512_setzero_ps(); C]; R];
        let mut at = 0;
        while at < k16 {
            // SAFETY: at + 16 <= k16 <= the length of every row of `xs` and `ws` (checked above);
            // unaligned loads need no alignment.
            unsafe {
                for w in ws {
                    // The next weight rows stream in while these are used (a prefetch never faults).
                    _mm_prefetch::<_MM_HINT_T0>(w.as_ptr().wrapping_add(at + ahead).cast());
                }
                let wv: [__m512; C] =
                    std::array::from_fn(|c| _mm512_loadu_ps(ws[c].as_ptr().add(at)));
                for (a, x) in acc.iter_mut().zip(xs) {
                    let xv = _mm512_loadu_ps(x.as_ptr().add(at));
                    for (a, w) in a.iter_mut().zip(&wv) {
                        *a = _mm512_fmadd_ps(xv, *w, *a);
                    }
                }
            }
            at += 16;
        }
        acc.map(|a| {
            a.map(|v| {
                let hi = _mm512_shuffle_f32x4::<0b01_00_11_10>(v, v);
                tree(_mm512_castps512_ps256(v), _mm512_castps512_ps256(hi))
            })
        })
    }

    /// AVX2 [`super::dots_portable`].
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn dots_ymm<const R: usize, const C: usize>(
        xs: &[&[f32]; R],
        ws: &[&[f32]; C],
        k16: usize,
    ) -> [[f32; C]; R] {
        check(xs, ws, k16);
        let ahead = C * ws.first().map_or(0, |w| w.len());
        let mut acc = [[[_mm256_setzero_ps(); 2]; C]; R];
        let mut at = 0;
        while at < k16 {
            for half in 0..2 {
                let o = at + 8 * half;
                // SAFETY: as in `dots_zmm` (o + 8 <= k16).
                unsafe {
                    if half == 0 {
                        for w in ws {
                            _mm_prefetch::<_MM_HINT_T0>(w.as_ptr().wrapping_add(at + ahead).cast());
                        }
                    }
                    let wv: [__m256; C] =
                        std::array::from_fn(|c| _mm256_loadu_ps(ws[c].as_ptr().add(o)));
                    for (a, x) in acc.iter_mut().zip(xs) {
                        let xv = _mm256_loadu_ps(x.as_ptr().add(o));
                        for (a, w) in a.iter_mut().zip(&wv) {
                            a[half] = _mm256_fmadd_ps(xv, *w, a[half]);
                        }
                    }
                }
            }
            at += 16;
        }
        acc.map(|a| a.map(|v| tree(v[0], v[1])))
    }
}

/// A version of the dot products, for [`columns_with`].
#[allow(unsafe_code)]
trait Kernel {
    /// [`dots_portable`].
    ///
    /// # Safety
    /// The CPU runs the instructions this version is compiled for.
    unsafe fn dots<const R: usize, const C: usize>(
        xs: &[&[f32]; R],
        ws: &[&[f32]; C],
        k16: usize,
    ) -> [[f32; C]; R];
}

struct Portable;
impl Kernel for Portable {
    #[inline(always)]
    #[allow(unsafe_code)]
    unsafe fn dots<const R: usize, const C: usize>(
        xs: &[&[f32]; R],
        ws: &[&[f32]; C],
        k16: usize,
    ) -> [[f32; C]; R] {
        dots_portable(xs, ws, k16)
    }
}

/// A [`Kernel`] that calls one of the `x86` versions; the caller guarantees its CPU features.
macro_rules! x86_kernel {
    ($name:ident, $dots:path, $features:literal) => {
        #[cfg(target_arch = "x86_64")]
        #[doc = concat!("The dot products with ", $features, ".")]
        struct $name;
        #[cfg(target_arch = "x86_64")]
        impl Kernel for $name {
            #[inline(always)]
            #[allow(unsafe_code)]
            unsafe fn dots<const R: usize, const C: usize>(
                xs: &[&[f32]; R],
                ws: &[&[f32]; C],
                k16: usize,
            ) -> [[f32; C]; R] {
                // SAFETY: the caller guarantees the CPU features (see `Kernel::dots`).
                unsafe { $dots(xs, ws, k16) }
            }
        }
    };
}
x86_kernel!(Zmm, x86::dots_zmm, "AVX-512F, AVX2 and FMA");
x86_kernel!(Ymm, x86::dots_ymm, "AVX2 and FMA");

/// Rows and weight rows per block of dot products.
const BLOCK: usize = 4;

/// One task: the columns `first..first + out.len() / rows` of every row, written column-major into
/// `out` (`[cols, rows]`), in blocks of four rows × four weight rows (single rows and columns at the
/// edges; with fewer than four rows, one weight row at a time, a single stream from memory) over the
/// first `k16` elements; the tail `k16..k` is added after, one fused multiply-add at a time.
///
/// # Safety
/// The CPU runs the instructions of `K`.
#[inline(always)]
#[allow(unsafe_code)]
unsafe fn columns_with<K: Kernel>(
    x: &[f32],
    rows: usize,
    w: &[f32],
    k: usize,
    first: usize,
    out: &mut [f32],
) {
    let k16 = k - k % 16;
    let cols = out.len() / rows;
    let xrow = |r: usize| &x[r * k..(r + 1) * k];
    let wrow = |c: usize| &w[(first + c) * k..(first + c + 1) * k];
    let mut c = 0;
    while c < cols {
        let width = if rows >= BLOCK && c + BLOCK <= cols {
            BLOCK
        } else {
            1
        };
        let mut r = 0;
        while r < rows {
            let height = if r + BLOCK <= rows { BLOCK } else { 1 };
            // SAFETY: the caller's guarantee, passed on.
            unsafe {
                match (height, width) {
                    (BLOCK, BLOCK) => {
                        let xs = std::array::from_fn(|i| xrow(r + i));
                        let ws = std::array::from_fn(|j| wrow(c + j));
                        let d = K::dots::<BLOCK, BLOCK>(&xs, &ws, k16);
                        for (i, row) in d.iter().enumerate() {
                            for (j, &v) in row.iter().enumerate() {
                                out[(c + j) * rows + r + i] = v;
                            }
                        }
                    }
                    (BLOCK, _) => {
                        let xs = std::array::from_fn(|i| xrow(r + i));
                        let d = K::dots::<BLOCK, 1>(&xs, &[wrow(c)], k16);
                        for (i, row) in d.iter().enumerate() {
                            out[c * rows + r + i] = row[0];
                        }
                    }
                    (_, BLOCK) => {
                        let ws = std::array::from_fn(|j| wrow(c + j));
                        let d = K::dots::<1, BLOCK>(&[xrow(r)], &ws, k16);
                        for (j, &v) in d[0].iter().enumerate() {
                            out[(c + j) * rows + r] = v;
                        }
                    }
                    _ => {
                        out[c * rows + r] = K::dots::<1, 1>(&[xrow(r)], &[wrow(c)], k16)[0][0];
                    }
                }
            }
            r += height;
        }
        c += width;
    }
    if k16 < k {
        for (ci, o) in out.chunks_exact_mut(rows).enumerate() {
            let wr = wrow(ci);
            for (r, o) in o.iter_mut().enumerate() {
                let xr = xrow(r);
                for j in k16..k {
                    *o = xr[j].mul_add(wr[j], *o);
                }
            }
        }
    }
}

fn columns_portable(x: &[f32], rows: usize, w: &[f32], k: usize, first: usize, out: &mut [f32]) {
    // SAFETY: the portable version needs nothing of the CPU.
    #[allow(unsafe_code)]
    unsafe {
        columns_with::<Portable>(x, rows, w, k, first, out)
    }
}

/// [`columns_with`] with the widest dot products this CPU runs.
fn columns(x: &[f32], rows: usize, w: &[f32], k: usize, first: usize, out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    #[allow(unsafe_code)]
    {
        #[target_feature(enable = "avx512f,avx2,fma")]
        fn wide(x: &[f32], rows: usize, w: &[f32], k: usize, first: usize, out: &mut [f32]) {
            // SAFETY: this function is compiled for, and only called on, CPUs with AVX-512F, AVX2
            // and FMA.
            unsafe { columns_with::<Zmm>(x, rows, w, k, first, out) }
        }
        #[target_feature(enable = "avx2,fma")]
        fn narrow(x: &[f32], rows: usize, w: &[f32], k: usize, first: usize, out: &mut [f32]) {
            // SAFETY: as above, for AVX2 and FMA.
            unsafe { columns_with::<Ymm>(x, rows, w, k, first, out) }
        }
        if crate::ops::avx512_available() {
            // SAFETY: the CPU has AVX-512F, AVX2 and FMA (detected at run time), all that calling a
            // function compiled for them requires.
            unsafe { wide(x, rows, w, k, first, out) };
            return;
        }
        if crate::ops::avx2_available() {
            // SAFETY: as above, for AVX2 and FMA.
            unsafe { narrow(x, rows, w, k, first, out) };
            return;
        }
    }
    columns_portable(x, rows, w, k, first, out);
}

/// `x Wᵀ` for `x` `[rows, k]` and `w` `[n, k]` (row-major), giving `[rows, n]`; each element depends
/// only on its own row of `x` and column of `W` (see the module documentation).
pub(crate) fn matmul(x: &[f32], rows: usize, w: &[f32], k: usize) -> Vec<f32> {
    let n = w.len().checked_div(k).unwrap_or(0);
    if rows == 0 || n == 0 {
        return vec![0f32; rows * n];
    }
    // Column-major while computing (each task owns a run of columns), then transposed.
    let mut t = vec![0f32; n * rows];
    t.par_chunks_mut(COLS * rows)
        .enumerate()
        .for_each(|(i, o)| columns(x, rows, w, k, i * COLS, o));
    let mut y = vec![0f32; rows * n];
    for (c, col) in t.chunks_exact(rows).enumerate() {
        for (r, &v) in col.iter().enumerate() {
            y[r * n + c] = v;
        }
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::int8::tests::lcg;

    #[test]
    fn rows_do_not_depend_on_each_other() {
        // k with a tail (not a multiple of 16); row counts covering blocks of four and remainders.
        for k in [16, 40, 640] {
            let n = 70;
            let w = lcg(n * k, 7);
            let x = lcg(MAX_ROWS * k, 11);
            let alone: Vec<Vec<f32>> = (0..MAX_ROWS)
                .map(|r| matmul(&x[r * k..(r + 1) * k], 1, &w, k))
                .collect();
            for rows in 1..=MAX_ROWS {
                let y = matmul(&x[..rows * k], rows, &w, k);
                for (r, one) in alone.iter().enumerate().take(rows) {
                    let got = &y[r * n..(r + 1) * n];
                    assert!(
                        got.iter().zip(one).all(|(a, b)| a.to_bits() == b.to_bits()),
                        "k {k}, row {r} of {rows}"
                    );
                }
            }
            // And the values are the product (to f32 rounding).
            for r in 0..2 {
                for o in 0..n {
                    let exact: f64 = (0..k)
                        .map(|j| f64::from(x[r * k + j]) * f64::from(w[o * k + j]))
                        .sum();
                    assert!((f64::from(alone[r][o]) - exact).abs() < 1e-4 * (1.0 + exact.abs()));
                }
            }
        }
    }

    #[test]
    fn simd_copies_agree_with_the_baseline() {
        let (k, n, rows) = (72, 40, 5);
        let w = lcg(n * k, 3);
        let x = lcg(rows * k, 5);
        let mut base = vec![0f32; n * rows];
        columns_portable(&x, rows, &w, k, 0, &mut base);
        let mut dispatched = vec![0f32; n * rows];
        columns(&x, rows, &w, k, 0, &mut dispatched);
        assert!(
            base.iter()
                .zip(&dispatched)
                .all(|(a, b)| a.to_bits() == b.to_bits())
        );
        // Each SIMD version on its own, where this CPU runs it.
        #[cfg(target_arch = "x86_64")]
        {
            let xs: [&[f32]; 4] = std::array::from_fn(|i| &x[i * k..(i + 1) * k]);
            let ws: [&[f32]; 3] = std::array::from_fn(|j| &w[j * k..(j + 1) * k]);
            let want = dots_portable(&xs, &ws, 64);
            #[allow(unsafe_code)]
            if crate::ops::avx2_available() {
                // SAFETY: the CPU runs AVX2 and FMA (checked).
                let got = unsafe { x86::dots_ymm(&xs, &ws, 64) };
                assert_eq!(got, want, "AVX2");
            }
            #[allow(unsafe_code)]
            if crate::ops::avx512_available() {
                // SAFETY: the CPU runs AVX-512F, AVX2 and FMA (checked).
                let got = unsafe { x86::dots_zmm(&xs, &ws, 64) };
                assert_eq!(got, want, "AVX-512");
            }
        }
    }
}
