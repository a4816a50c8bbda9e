//! Self-attention for every architecture, in two fused passes over plain slices:
//!
//! - [`split_heads`]: the stacked q/k/v projection `[b, t, (h + 2·kv)·hd]` into head-major q
//!   `[b, h, t, hd]`, k and v `[b, kv, t, hd]`, with the per-head RMSNorm of q and k (Gemma 3,
//!   Qwen3) and RoPE (the half-split form of transformers' `rotate_half`) applied on the way;
//! - [`attend`]: causal grouped-query attention (optionally limited to a sliding window) of those
//!   heads, written straight into the `[b, t, h·hd]` layout the output projection reads.
//!
//! With candle's ops the same work took a narrow, a norm, a transpose and a copy per head tensor,
//! two RoPE calls, a mask tensor, two batched matmuls, a softmax and another transpose: a fifth of
//! the forward pass once the projections ran in int8. Query head `i` uses key/value head
//! `i / (h / kv)`, as transformers' `repeat_kv` does; a padded (right-padded) batch needs no mask
//! beyond causality, since real tokens never see the padding after them.

use candle_core::Tensor;
use rayon::prelude::*;

use crate::ops::{rms_row, with_cpu_slice};

/// Shape and per-head normalisation of a stacked q/k/v projection.
pub(crate) struct HeadSpec<'a> {
    /// Query heads.
    pub h: usize,
    /// Key/value heads.
    pub kv: usize,
    /// Width of one head.
    pub hd: usize,
    /// RMSNorm weights of the query and key heads (`[hd]` each), when the architecture has them.
    pub qk_norm: Option<(&'a Tensor, &'a Tensor)>,
    /// RMSNorm epsilon.
    pub eps: f64,
}

/// Query, key and value heads.
pub(crate) struct Heads {
    /// `[b, h, t, hd]`.
    pub q: Tensor,
    /// `[b, kv, t, hd]`.
    pub k: Tensor,
    /// `[b, kv, t, hd]`.
    pub v: Tensor,
}

/// `Σ a·b` in 16 independent lanes.
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; 16];
    let mut ca = a.chunks_exact(16);
    let mut cb = b.chunks_exact(16);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for ((l, &x), &y) in lanes.iter_mut().zip(x).zip(y) {
            *l += x * y;
        }
    }
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    lanes.iter().sum::<f32>() + tail
}

/// One head of one token: optional RMSNorm, then RoPE with this position's `cos`/`sin` (`[hd/2]`).
#[inline(always)]
fn head_row(
    src: &[f32],
    norm: Option<&[f32]>,
    eps: f32,
    rope: Option<(&[f32], &[f32])>,
    dst: &mut [f32],
) {
    match norm {
        Some(w) => rms_row(src, w, eps, dst),
        None => dst.copy_from_slice(src),
    }
    if let Some((cos, sin)) = rope {
        let half = dst.len() / 2;
        let (lo, hi) = dst.split_at_mut(half);
        for (((a, b), &c), &s) in lo.iter_mut().zip(hi.iter_mut()).zip(cos).zip(sin) {
            let (x1, x2) = (*a, *b);
            *a = x1 * c - x2 * s;
            *b = x1 * s + x2 * c;
        }
    }
}

/// One query row of [`attend`]: for each query head at position `pos`, the softmax-weighted values
/// of the visible keys `lo..=pos` of its key/value head, into `out` (`[h·hd]`). `qbuf` and `scores`
/// are scratch.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn attend_row(
    q: &[f32],
    k: &[f32],
    v: &[f32],
    g: &Geometry,
    bi: usize,
    ti: usize,
    (qbuf, scores): (&mut Vec<f32>, &mut Vec<f32>),
    out: &mut [f32],
) {
    let Geometry {
        h,
        kv,
        hd,
        t,
        total,
        stride,
        window,
        scale,
    } = *g;
    let group = h / kv;
    let pos = total - t + ti;
    let lo = window.map_or(0, |w| (pos + 1).saturating_sub(w));
    let n = pos + 1 - lo;
    // The query heads that share a key/value head go together (up to four at a time), so each key
    // and value row is read once for all of them.
    for kh in 0..kv {
        let base = (bi * kv + kh) * stride * hd;
        let keys = &k[base + lo * hd..base + (pos + 1) * hd];
        let vals = &v[base + lo * hd..base + (pos + 1) * hd];
        let mut head = kh * group;
        while head < (kh + 1) * group {
            let heads = 4.min((kh + 1) * group - head);
            qbuf.clear();
            for i in head..head + heads {
                qbuf.extend_from_slice(&q[((bi * h + i) * t + ti) * hd..][..hd]);
            }
            scores.clear();
            scores.resize(heads * n, 0.0);
            dots_multi(qbuf, hd, keys, scores);
            for row in scores.chunks_exact_mut(n) {
                let mut max = f32::NEG_INFINITY;
                for s in row.iter_mut() {
                    *s *= scale;
                    max = max.max(*s);
                }
                let mut sum = 0f32;
                for s in row.iter_mut() {
                    *s = crate::ops::exp(*s - max);
                    sum += *s;
                }
                for s in row.iter_mut() {
                    *s /= sum;
                }
            }
            weighted_sum_multi(scores, vals, hd, &mut out[head * hd..(head + heads) * hd]);
            head += heads;
        }
    }
}

/// `out[j] = q · keys[j]` for the rows of `keys` (each `q.len()` wide).
#[inline(always)]
fn dots(q: &[f32], keys: &[f32], out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if q.len().is_multiple_of(16) && crate::ops::avx512_available() {
            zmm::dots(q, keys, out);
            return;
        }
        if q.len().is_multiple_of(8) && crate::ops::avx2_available() {
            ymm::dots(q, keys, out);
            return;
        }
    }
    for (o, k) in out.iter_mut().zip(keys.chunks_exact(q.len())) {
        *o = dot(q, k);
    }
}

/// `out = Σ_j w[j] · vals[j]` (rows of `vals` as wide as `out`).
#[inline(always)]
fn weighted_sum(w: &[f32], vals: &[f32], out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if out.len().is_multiple_of(16) && crate::ops::avx512_available() {
            zmm::weighted_sum(w, vals, out);
            return;
        }
        if out.len().is_multiple_of(8) && crate::ops::avx2_available() {
            ymm::weighted_sum(w, vals, out);
            return;
        }
    }
    out.fill(0.0);
    for (&p, v) in w.iter().zip(vals.chunks_exact(out.len())) {
        for (o, &x) in out.iter_mut().zip(v) {
            *o += p * x;
        }
    }
}

/// `scores[i·n + j] = q_i · keys[j]` for the `g` query rows of `qs` (`[g, hd]`) and the `n` rows of
/// `keys` (`[n, hd]`); for four queries the SIMD loop reads each key once for all of them.
#[inline(always)]
fn dots_multi(qs: &[f32], hd: usize, keys: &[f32], scores: &mut [f32]) {
    let n = keys.len() / hd.max(1);
    #[cfg(target_arch = "x86_64")]
    {
        if qs.len() == 4 * hd && hd.is_multiple_of(16) && crate::ops::avx512_available() {
            zmm::dots4(qs, keys, scores);
            return;
        }
        if qs.len() == 4 * hd && hd.is_multiple_of(8) && crate::ops::avx2_available() {
            ymm::dots4(qs, keys, scores);
            return;
        }
    }
    for (q, out) in qs.chunks_exact(hd).zip(scores.chunks_exact_mut(n)) {
        dots(q, keys, out);
    }
}

/// `out_i = Σ_j probs[i·n + j] · vals[j]` for the `g` rows of `out` (`[g, hd]`) and the `n` rows of
/// `vals`; for four rows the SIMD loop reads each value row once for all of them.
#[inline(always)]
fn weighted_sum_multi(probs: &[f32], vals: &[f32], hd: usize, out: &mut [f32]) {
    let n = vals.len() / hd.max(1);
    #[cfg(target_arch = "x86_64")]
    {
        if out.len() == 4 * hd && hd.is_multiple_of(16) && crate::ops::avx512_available() {
            zmm::weighted_sum4(probs, vals, out);
            return;
        }
        if out.len() == 4 * hd && hd.is_multiple_of(8) && crate::ops::avx2_available() {
            ymm::weighted_sum4(probs, vals, out);
            return;
        }
    }
    for (p, o) in probs.chunks_exact(n.max(1)).zip(out.chunks_exact_mut(hd)) {
        weighted_sum(p, vals, o);
    }
}

/// The two inner products of attention with explicit fused multiply-adds (left to vectorize them
/// itself, the compiler neither fuses them nor keeps the accumulators in registers), instantiated
/// for AVX2 (`ymm`, 8 lanes) and AVX-512 (`zmm`, 16 lanes).
macro_rules! simd_products {
    ($name:ident, $features:literal, $available:path, $v:ty, $lanes:literal,
     $loadu:ident, $storeu:ident, $fmadd:ident, $add:ident, $zero:ident, $set1:ident, $hsum:expr,
     $cv:literal) => {
        #[cfg(target_arch = "x86_64")]
        #[allow(unsafe_code)]
        mod $name {
            use std::arch::x86_64::*;

            const L: usize = $lanes;

            /// `L` floats of `x` from `at`, bounds-checked by the slice.
            #[inline(always)]
            fn load(x: &[f32], at: usize) -> $v {
                let chunk = &x[at..at + L];
                // SAFETY: `chunk` is `L` readable f32; unaligned loads need no alignment; the
                // callers run only where the features were detected, compiled for them.
                unsafe { $loadu(chunk.as_ptr()) }
            }

            #[target_feature(enable = $features)]
            fn dots_impl(q: &[f32], keys: &[f32], out: &mut [f32]) {
                let hd = q.len();
                let mut rows = keys.chunks_exact(4 * hd);
                let mut outs = out.chunks_exact_mut(4);
                for (k4, o4) in (&mut rows).zip(&mut outs) {
                    // Four keys, two accumulators each: eight independent chains.
                    let mut acc = [[$zero(); 2]; 4];
                    let mut c = 0;
                    while c < hd {
                        let half = (c / L) % 2;
                        let qv = load(q, c);
                        for (i, a) in acc.iter_mut().enumerate() {
                            a[half] = $fmadd(qv, load(k4, i * hd + c), a[half]);
                        }
                        c += L;
                    }
                    for (o, a) in o4.iter_mut().zip(&acc) {
                        *o = $hsum($add(a[0], a[1]));
                    }
                }
                for (o, k) in outs
                    .into_remainder()
                    .iter_mut()
                    .zip(rows.remainder().chunks_exact(hd))
                {
                    let mut a = $zero();
                    let mut c = 0;
                    while c < hd {
                        a = $fmadd(load(q, c), load(k, c), a);
                        c += L;
                    }
                    *o = $hsum(a);
                }
            }

            /// `out[j] = q · keys[j]`; `q.len()` is a multiple of the lane count.
            pub fn dots(q: &[f32], keys: &[f32], out: &mut [f32]) {
                assert!($available() && q.len().is_multiple_of(L));
                // SAFETY: the CPU has the features `dots_impl` is compiled for (checked above).
                unsafe { dots_impl(q, keys, out) }
            }

            #[target_feature(enable = $features)]
            fn weighted_sum_impl(w: &[f32], vals: &[f32], out: &mut [f32]) {
                let hd = out.len();
                let mut c0 = 0;
                while c0 < hd {
                    // Up to 8 vectors of outputs in registers across all the rows.
                    let n = (hd - c0).min(8 * L) / L;
                    let mut acc = [$zero(); 8];
                    for (j, &p) in w.iter().enumerate() {
                        let pv = $set1(p);
                        for (m, a) in acc.iter_mut().enumerate().take(n) {
                            *a = $fmadd(pv, load(vals, j * hd + c0 + L * m), *a);
                        }
                    }
                    for (m, a) in acc.iter().enumerate().take(n) {
                        let dst = &mut out[c0 + L * m..c0 + L * (m + 1)];
                        // SAFETY: `dst` is `L` writable f32; unaligned stores need no alignment.
                        unsafe { $storeu(dst.as_mut_ptr(), *a) };
                    }
                    c0 += L * n;
                }
            }

            /// `out = Σ_j w[j] · vals[j]`; `out.len()` is a multiple of the lane count.
            pub fn weighted_sum(w: &[f32], vals: &[f32], out: &mut [f32]) {
                assert!($available() && out.len().is_multiple_of(L));
                // SAFETY: as in `dots`.
                unsafe { weighted_sum_impl(w, vals, out) }
            }

            #[target_feature(enable = $features)]
            fn dots4_impl(qs: &[f32], keys: &[f32], scores: &mut [f32]) {
                let hd = qs.len() / 4;
                let n = keys.len() / hd;
                for (j, key) in keys.chunks_exact(hd).enumerate() {
                    // Four queries, two accumulators each: eight independent chains.
                    let mut acc = [[$zero(); 2]; 4];
                    let mut c = 0;
                    while c < hd {
                        let half = (c / L) % 2;
                        let kv = load(key, c);
                        for (i, a) in acc.iter_mut().enumerate() {
                            a[half] = $fmadd(load(qs, i * hd + c), kv, a[half]);
                        }
                        c += L;
                    }
                    for (i, a) in acc.iter().enumerate() {
                        scores[i * n + j] = $hsum($add(a[0], a[1]));
                    }
                }
            }

            /// [`super::dots_multi`] for four queries; the head width is a multiple of the lanes.
            pub fn dots4(qs: &[f32], keys: &[f32], scores: &mut [f32]) {
                let hd = qs.len() / 4;
                assert!($available() && qs.len() == 4 * hd && hd.is_multiple_of(L));
                assert!(scores.len() == 4 * (keys.len() / hd));
                // SAFETY: as in `dots`.
                unsafe { dots4_impl(qs, keys, scores) }
            }

            #[target_feature(enable = $features)]
            fn weighted_sum4_impl(probs: &[f32], vals: &[f32], out: &mut [f32]) {
                let hd = out.len() / 4;
                let n = vals.len() / hd;
                let mut c0 = 0;
                while c0 < hd {
                    // Four rows × up to `$cv` vectors of outputs in registers across all the rows.
                    let m_n = (hd - c0).min($cv * L) / L;
                    let mut acc = [[$zero(); $cv]; 4];
                    for j in 0..n {
                        let mut v = [$zero(); $cv];
                        for (m, x) in v.iter_mut().enumerate().take(m_n) {
                            *x = load(vals, j * hd + c0 + L * m);
                        }
                        for (i, a) in acc.iter_mut().enumerate() {
                            let p = $set1(probs[i * n + j]);
                            for (m, x) in a.iter_mut().zip(&v).take(m_n) {
                                *m = $fmadd(p, *x, *m);
                            }
                        }
                    }
                    for (i, a) in acc.iter().enumerate() {
                        for (m, x) in a.iter().enumerate().take(m_n) {
                            let at = i * hd + c0 + L * m;
                            let dst = &mut out[at..at + L];
                            // SAFETY: `dst` is `L` writable f32; unaligned stores need no
                            // alignment.
                            unsafe { $storeu(dst.as_mut_ptr(), *x) };
                        }
                    }
                    c0 += L * m_n;
                }
            }

            /// [`super::weighted_sum_multi`] for four rows; the head width is a multiple of the
            /// lanes.
            pub fn weighted_sum4(probs: &[f32], vals: &[f32], out: &mut [f32]) {
                let hd = out.len() / 4;
                assert!($available() && out.len() == 4 * hd && hd.is_multiple_of(L));
                assert!(probs.len() == 4 * (vals.len() / hd));
                // SAFETY: as in `dots`.
                unsafe { weighted_sum4_impl(probs, vals, out) }
            }
        }
    };
}

/// Horizontal sum of 8 lanes.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
#[target_feature(enable = "avx2,fma")]
fn hsum8(v: std::arch::x86_64::__m256) -> f32 {
    use std::arch::x86_64::*;
    let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
    let s = _mm_hadd_ps(s, s);
    _mm_cvtss_f32(_mm_hadd_ps(s, s))
}

simd_products!(
    ymm,
    "avx2,fma",
    crate::ops::avx2_available,
    __m256,
    8,
    _mm256_loadu_ps,
    _mm256_storeu_ps,
    _mm256_fmadd_ps,
    _mm256_add_ps,
    _mm256_setzero_ps,
    _mm256_set1_ps,
    super::hsum8,
    2
);
simd_products!(
    zmm,
    "avx512f,avx2,fma",
    crate::ops::avx512_available,
    __m512,
    16,
    _mm512_loadu_ps,
    _mm512_storeu_ps,
    _mm512_fmadd_ps,
    _mm512_add_ps,
    _mm512_setzero_ps,
    _mm512_set1_ps,
    _mm512_reduce_add_ps,
    4
);

/// Sizes of one [`attend`] call.
#[derive(Clone, Copy)]
struct Geometry {
    h: usize,
    kv: usize,
    hd: usize,
    /// Query positions in this call.
    t: usize,
    /// Key positions (cached ones first; the queries are the last `t`).
    total: usize,
    /// Positions between one key/value head's first key and the next head's (`total`, or a
    /// cache's room).
    stride: usize,
    window: Option<usize>,
    scale: f32,
}

/// What [`split_heads`] does to each head: where it sits in a token's row, its norm, RoPE.
pub(crate) struct HeadRows<'a> {
    /// Width of a token's row in the stacked projection.
    stride: usize,
    /// Width of one head.
    hd: usize,
    /// Per-head RMSNorm weight.
    norm: Option<&'a [f32]>,
    eps: f32,
    /// RoPE tables `[t, hd/2]`, when the head is rotated (q and k; not v).
    rope: Option<(&'a [f32], &'a [f32])>,
}

/// The `t` tokens of one head: `src` starts at the head's first element in the first token's row
/// (token rows `stride` apart); `dst` is `[t, hd]`.
#[inline(always)]
fn head_rows_generic(job: &HeadRows, src: &[f32], dst: &mut [f32]) {
    let (hd, half) = (job.hd, job.hd / 2);
    for (ti, d) in dst.chunks_exact_mut(hd).enumerate() {
        let row = &src[ti * job.stride..ti * job.stride + hd];
        let rope = job.rope.map(|(c, s)| {
            (
                &c[ti * half..(ti + 1) * half],
                &s[ti * half..(ti + 1) * half],
            )
        });
        head_row(row, job.norm, job.eps, rope, d);
    }
}

fn head_rows(job: &HeadRows, src: &[f32], dst: &mut [f32]) {
    crate::ops::simd_dispatch!(head_rows_generic, (job: &HeadRows, src: &[f32], dst: &mut [f32]))
}

/// [`attend_row`] for consecutive query rows starting at flat row `first_row` (`b·t + ti`), each
/// `h·hd` wide in `out`.
#[inline(always)]
fn attend_rows_generic(
    q: &[f32],
    k: &[f32],
    v: &[f32],
    g: &Geometry,
    first_row: usize,
    out: &mut [f32],
) {
    let width = g.h * g.hd;
    let (mut qbuf, mut scores) = (Vec::new(), Vec::new());
    for (i, row) in out.chunks_exact_mut(width).enumerate() {
        let r = first_row + i;
        attend_row(q, k, v, g, r / g.t, r % g.t, (&mut qbuf, &mut scores), row);
    }
}

fn attend_rows(q: &[f32], k: &[f32], v: &[f32], g: &Geometry, first_row: usize, out: &mut [f32]) {
    crate::ops::simd_dispatch!(
        attend_rows_generic,
        (
            q: &[f32],
            k: &[f32],
            v: &[f32],
            g: &Geometry,
            first_row: usize,
            out: &mut [f32],
        )
    )
}

/// Splits `qkv` (`[b, t, (h + 2·kv)·hd]`: all query heads, then the key heads, then the value
/// heads) into head-major q, k and v; q and k get the per-head norm of `spec` (if any) and RoPE
/// with `cos`/`sin`: `[t, hd/2]` for the positions of these `t` tokens in every row, or
/// `[b·t, hd/2]` for positions of their own in each row (a decoding step of several sequences).
pub(crate) fn split_heads(
    qkv: &Tensor,
    spec: &HeadSpec,
    cos: &Tensor,
    sin: &Tensor,
) -> candle_core::Result<Heads> {
    let (b, t, width) = qkv.dims3()?;
    let HeadSpec { h, kv, hd, .. } = *spec;
    let per_row = b > 1 && cos.dims() == [b * t, hd / 2];
    if width != (h + 2 * kv) * hd
        || hd % 2 != 0
        || (cos.dims() != [t, hd / 2] && !per_row)
        || sin.dims() != cos.dims()
    {
        return Err(candle_core::Error::Msg(format!(
            "split_heads: qkv {:?}, rope {:?} for {h} + 2 × {kv} heads of {hd}",
            qkv.dims(),
            cos.dims()
        )));
    }
    let (cos, sin) = (
        cos.to_vec2::<f32>()?.concat(),
        sin.to_vec2::<f32>()?.concat(),
    );
    let norms = match spec.qk_norm {
        Some((qn, kn)) => Some((qn.to_vec1::<f32>()?, kn.to_vec1::<f32>()?)),
        None => None,
    };
    let eps = spec.eps as f32;
    let rope = Some((cos.as_slice(), sin.as_slice()));
    // (first head column, heads, norm, rope) of q, k and v.
    let parts = [
        (0, h, norms.as_ref().map(|n| n.0.as_slice()), rope),
        (h, kv, norms.as_ref().map(|n| n.1.as_slice()), rope),
        (h + kv, kv, None, None),
    ];
    let mut outs = Vec::with_capacity(3);
    with_cpu_slice(qkv, |src| {
        for &(col, heads, norm, rope) in &parts {
            let mut dst = vec![0f32; b * heads * t * hd];
            let rows = t * hd / 2;
            dst.par_chunks_mut(t * hd)
                .enumerate()
                .with_min_len(2)
                .for_each(|(i, d)| {
                    let (bi, head) = (i / heads, i % heads);
                    let start = bi * t * width + (col + head) * hd;
                    let rope = match rope {
                        Some((c, s)) if per_row => Some((
                            &c[bi * rows..(bi + 1) * rows],
                            &s[bi * rows..(bi + 1) * rows],
                        )),
                        other => other,
                    };
                    let job = HeadRows {
                        stride: width,
                        hd,
                        norm,
                        eps,
                        rope,
                    };
                    head_rows(&job, &src[start..], d);
                });
            outs.push(dst);
        }
    })?;
    let dev = qkv.device();
    let mut outs = outs.into_iter();
    let mut next = |heads: usize| -> candle_core::Result<Tensor> {
        Tensor::from_vec(outs.next().unwrap_or_default(), (b, heads, t, hd), dev)
    };
    Ok(Heads {
        q: next(h)?,
        k: next(kv)?,
        v: next(kv)?,
    })
}

/// Causal attention of `q` (`[b, h, t, hd]`, the last `t` positions) over `k` and `v`
/// (`[b, kv, total, hd]`), each query seeing the keys at or before its position (and, with
/// `window`, fewer than `window` positions back), scores scaled by `scale`. Returns `[b, t, h·hd]`.
pub(crate) fn attend(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    window: Option<usize>,
    scale: f64,
) -> candle_core::Result<Tensor> {
    let (b, _, _, hd) = q.dims4()?;
    let (kb, kv, total, khd) = k.dims4()?;
    if kb != b || khd != hd || v.dims() != k.dims() {
        return Err(candle_core::Error::Msg(format!(
            "attend: q {:?}, k {:?}, v {:?}",
            q.dims(),
            k.dims(),
            v.dims()
        )));
    }
    with_cpu_slice(k, |k| {
        with_cpu_slice(v, |v| {
            attend_slices(q, k, v, (kv, total, total), window, scale)
        })
    })??
}

/// [`attend`] of one sequence's queries `q` (`[1, h, t, hd]`, the last `t` positions) over the keys
/// and values in a layer's cache (the `t` new ones appended already).
pub(crate) fn attend_cached(
    q: &Tensor,
    cache: &LayerKv,
    window: Option<usize>,
    scale: f64,
) -> candle_core::Result<Tensor> {
    let (b, _, _, hd) = q.dims4()?;
    if b != 1 || hd != cache.hd {
        return Err(candle_core::Error::Msg(format!(
            "attend: q {:?} over a cache of {} heads of {}",
            q.dims(),
            cache.kv,
            cache.hd
        )));
    }
    let geometry = (cache.kv, cache.len, cache.cap);
    attend_slices(q, &cache.k, &cache.v, geometry, window, scale)
}

/// [`attend`] over keys and values laid out `[b, kv, stride, hd]`, of which the first `total`
/// positions of each head count; `(kv, total, stride)` is that layout.
fn attend_slices(
    q: &Tensor,
    k: &[f32],
    v: &[f32],
    (kv, total, stride): (usize, usize, usize),
    window: Option<usize>,
    scale: f64,
) -> candle_core::Result<Tensor> {
    let (b, h, t, hd) = q.dims4()?;
    if kv == 0 || h % kv != 0 || total < t || stride < total || k.len() < b * kv * stride * hd {
        return Err(candle_core::Error::Msg(format!(
            "attend: q {:?} over {kv} key/value heads of {total} positions",
            q.dims()
        )));
    }
    let g = Geometry {
        h,
        kv,
        hd,
        t,
        total,
        stride,
        window,
        scale: scale as f32,
    };
    let mut out = vec![0f32; b * t * h * hd];
    with_cpu_slice(q, |q| {
        // Tasks of a few query rows each; a row's cost grows with its position, so small tasks
        // balance the threads.
        const ROWS: usize = 4;
        out.par_chunks_mut(ROWS * h * hd)
            .enumerate()
            .for_each(|(i, o)| attend_rows(q, k, v, &g, i * ROWS, o));
    })?;
    Tensor::from_vec(out, (b, t, h * hd), q.device())
}

/// One layer's keys and values for one sequence, `[kv, cap, hd]` each, of which the first `len`
/// positions of every head are filled. Appending writes in place; when the room runs out it
/// doubles, so a decoding step costs the new position, not a copy of the whole cache.
#[derive(Clone, Default)]
pub(crate) struct LayerKv {
    k: Vec<f32>,
    v: Vec<f32>,
    /// Key/value heads and their width (set by the first append).
    kv: usize,
    hd: usize,
    /// Positions filled, and room.
    len: usize,
    cap: usize,
}

impl std::fmt::Debug for LayerKv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "LayerKv {{ kv: {}, hd: {}, len: {}, cap: {} }}",
            self.kv, self.hd, self.len, self.cap
        )
    }
}

impl LayerKv {
    /// Appends the keys and values `[kv, t, hd]` of `t` new positions.
    pub(crate) fn append(
        &mut self,
        k: &[f32],
        v: &[f32],
        (kv, t, hd): (usize, usize, usize),
    ) -> candle_core::Result<()> {
        if k.len() != kv * t * hd
            || v.len() != k.len()
            || (self.cap > 0 && (kv, hd) != (self.kv, self.hd))
        {
            return Err(candle_core::Error::Msg(format!(
                "cache of {} heads of {}: appending [{kv}, {t}, {hd}] from {} values",
                self.kv,
                self.hd,
                k.len()
            )));
        }
        (self.kv, self.hd) = (kv, hd);
        let (len, need) = (self.len, self.len + t);
        if need > self.cap {
            let cap = need.max(2 * self.cap).max(64);
            for buf in [&mut self.k, &mut self.v] {
                let mut grown = vec![0f32; kv * cap * hd];
                for head in 0..kv {
                    grown[head * cap * hd..][..len * hd]
                        .copy_from_slice(&buf[head * self.cap * hd..][..len * hd]);
                }
                *buf = grown;
            }
            self.cap = cap;
        }
        let cap = self.cap;
        for (buf, new) in [(&mut self.k, k), (&mut self.v, v)] {
            for head in 0..kv {
                buf[(head * cap + len) * hd..][..t * hd]
                    .copy_from_slice(&new[head * t * hd..][..t * hd]);
            }
        }
        self.len = need;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::int8::tests::lcg;
    use candle_core::Device;

    /// The candle ops the fused passes replace, on random heads: split + norm + RoPE, then masked
    /// softmax attention, with a cached prefix and a sliding window; head widths that take the
    /// portable loops (6), AVX2 (8) and AVX-512 (32) where the CPU has them, and groups of query
    /// heads per key/value head of 2, 4 and 6.
    #[test]
    fn fused_attention_equals_candle_ops() {
        for hd in [6, 8, 32] {
            // Query heads per key/value head: 2, 4 (the four-query loops), 6 (four, then two).
            for (h, kv) in [(4, 2), (4, 1), (6, 1)] {
                fused_attention_case(hd, h, kv);
            }
        }
    }

    /// A layer cache filled in pieces (a prompt, then steps past its first growth) holds what the
    /// pieces concatenate to, and attention over it equals attention over that concatenation, bit
    /// for bit; a piece of the wrong shape is refused.
    #[test]
    fn cached_attention_equals_attention_over_the_concatenated_keys() {
        let dev = Device::Cpu;
        let (h, kv, hd) = (4, 2, 8);
        let mut cache = LayerKv::default();
        let (mut ks, mut vs) = (Vec::new(), Vec::new());
        let mut seed = 10;
        for t in [5, 1, 1, 60, 1, 1, 3] {
            seed += 3;
            let k = Tensor::from_vec(lcg(kv * t * hd, seed), (1, kv, t, hd), &dev).unwrap();
            let v = Tensor::from_vec(lcg(kv * t * hd, seed + 1), (1, kv, t, hd), &dev).unwrap();
            let q = Tensor::from_vec(lcg(h * t * hd, seed + 2), (1, h, t, hd), &dev).unwrap();
            cache
                .append(
                    &k.flatten_all().unwrap().to_vec1().unwrap(),
                    &v.flatten_all().unwrap().to_vec1().unwrap(),
                    (kv, t, hd),
                )
                .unwrap();
            ks.push(k);
            vs.push(v);
            let (k, v) = (Tensor::cat(&ks, 2).unwrap(), Tensor::cat(&vs, 2).unwrap());
            for window in [None, Some(4)] {
                let want = attend(&q, &k, &v, window, 0.3).unwrap();
                let got = attend_cached(&q, &cache, window, 0.3).unwrap();
                let (want, got) = (
                    want.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
                    got.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
                );
                assert!(
                    want.iter()
                        .zip(&got)
                        .all(|(a, b)| a.to_bits() == b.to_bits()),
                    "after {} positions, window {window:?}",
                    cache.len
                );
            }
        }
        assert_eq!((cache.len, cache.cap), (72, 128));
        assert!(cache.append(&[0.0; 16], &[0.0; 16], (1, 1, 16)).is_err());
        assert!(cache.append(&[0.0; 15], &[0.0; 16], (2, 1, 8)).is_err());
    }

    fn fused_attention_case(hd: usize, h: usize, kv: usize) {
        let dev = Device::Cpu;
        let (b, t, past) = (2, 5, 3);
        let total = past + t;
        let width = (h + 2 * kv) * hd;
        let qkv = Tensor::from_vec(lcg(b * t * width, 1), (b, t, width), &dev).unwrap();
        let qn = Tensor::from_vec(lcg(hd, 2), hd, &dev).unwrap();
        let kn = Tensor::from_vec(lcg(hd, 3), hd, &dev).unwrap();
        let cos = Tensor::from_vec(lcg(t * hd / 2, 4), (t, hd / 2), &dev).unwrap();
        let sin = Tensor::from_vec(lcg(t * hd / 2, 5), (t, hd / 2), &dev).unwrap();
        let spec = HeadSpec {
            h,
            kv,
            hd,
            qk_norm: Some((&qn, &kn)),
            eps: 1e-6,
        };
        let heads = split_heads(&qkv, &spec, &cos, &sin).unwrap();
        let head = |col: usize, n: usize, w: Option<&Tensor>| {
            let x = qkv
                .narrow(2, col * hd, n * hd)
                .unwrap()
                .reshape((b, t, n, hd))
                .unwrap();
            let x = match w {
                Some(w) => candle_nn::ops::rms_norm(&x.contiguous().unwrap(), w, 1e-6).unwrap(),
                None => x,
            };
            x.transpose(1, 2).unwrap().contiguous().unwrap()
        };
        let rope = |x: Tensor| candle_nn::rotary_emb::rope(&x, &cos, &sin).unwrap();
        let want_q = rope(head(0, h, Some(&qn)));
        let want_k = rope(head(h, kv, Some(&kn)));
        let want_v = head(h + kv, kv, None);
        let close = |a: &Tensor, b: &Tensor, what: &str| {
            let (a, b) = (
                a.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
                b.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
            );
            assert_eq!(a.len(), b.len(), "{what}");
            for (x, y) in a.iter().zip(&b) {
                assert!(
                    (x - y).abs() <= 1e-5 * (1.0 + y.abs()),
                    "{what}: {x} vs {y}"
                );
            }
        };
        close(&heads.q, &want_q, "q");
        close(&heads.k, &want_k, "k");
        close(&heads.v, &want_v, "v");

        // A cached prefix of `past` positions before these `t`.
        let pk = Tensor::from_vec(lcg(b * kv * past * hd, 6), (b, kv, past, hd), &dev).unwrap();
        let pv = Tensor::from_vec(lcg(b * kv * past * hd, 7), (b, kv, past, hd), &dev).unwrap();
        let k = Tensor::cat(&[&pk, &heads.k], 2).unwrap();
        let v = Tensor::cat(&[&pv, &heads.v], 2).unwrap();
        for window in [None, Some(3)] {
            let got = attend(&heads.q, &k, &v, window, 0.3).unwrap();
            let mut mask = vec![0f32; t * total];
            for i in 0..t {
                for j in 0..total {
                    let p = past + i;
                    if j > p || window.is_some_and(|w| p - j >= w) {
                        mask[i * total + j] = f32::NEG_INFINITY;
                    }
                }
            }
            let mask = Tensor::from_vec(mask, (t, total), &dev).unwrap();
            let group = h / kv;
            let qg = heads.q.reshape((b, kv, group * t, hd)).unwrap();
            let scores = (qg.matmul(&k.t().unwrap()).unwrap() * 0.3).unwrap();
            let scores = scores
                .reshape((b, kv, group, t, total))
                .unwrap()
                .broadcast_add(&mask)
                .unwrap();
            let probs = candle_nn::ops::softmax_last_dim(&scores)
                .unwrap()
                .reshape((b, kv, group * t, total))
                .unwrap();
            let want = probs
                .matmul(&v)
                .unwrap()
                .reshape((b, h, t, hd))
                .unwrap()
                .transpose(1, 2)
                .unwrap()
                .reshape((b, t, h * hd))
                .unwrap();
            close(&got, &want, &format!("attention, window {window:?}"));
        }
    }
}
