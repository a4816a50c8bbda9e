//! The two matrix kinds of a fastText model file: dense `f32` rows, and product-quantized rows
//! (Jégou et al. 2011, as fastText's `quantize` writes them: 256 centroids per sub-vector, an
//! optional per-row norm quantized on its own). Arithmetic is done in `f32`, in the order the
//! reference implementation uses, so that sums round the same way.

use super::FastTextError;
use super::read::Reader;

/// Centroids per sub-quantizer (8-bit codes).
const KSUB: usize = 256;

/// A product quantizer: `nsubq` sub-vectors of `dsub` floats (the last one `lastdsub`), each coded by
/// one of 256 centroids.
#[derive(Debug, Clone)]
pub(crate) struct ProductQuantizer {
    dim: usize,
    nsubq: usize,
    dsub: usize,
    lastdsub: usize,
    centroids: Vec<f32>,
}

impl ProductQuantizer {
    fn load(r: &mut Reader<'_>, what: &'static str) -> Result<Self, FastTextError> {
        let dim = r.i32(what)?;
        let nsubq = r.i32(what)?;
        let dsub = r.i32(what)?;
        let lastdsub = r.i32(what)?;
        let bad = || {
            FastTextError::Invalid(format!(
                "{what}: inconsistent sizes (dim {dim}, {nsubq} sub-quantizers of {dsub}, last {lastdsub})"
            ))
        };
        if dim <= 0 || nsubq <= 0 || dsub <= 0 || lastdsub <= 0 || lastdsub > dsub {
            return Err(bad());
        }
        let (dim, nsubq, dsub, lastdsub) = (
            dim as usize,
            nsubq as usize,
            dsub as usize,
            lastdsub as usize,
        );
        if (nsubq - 1) * dsub + lastdsub != dim {
            return Err(bad());
        }
        let n = dim.checked_mul(KSUB).ok_or_else(bad)?;
        let centroids = r.f32s(n, what)?;
        Ok(ProductQuantizer {
            dim,
            nsubq,
            dsub,
            lastdsub,
            centroids,
        })
    }

    #[inline]
    fn centroid(&self, m: usize, code: u8) -> &[f32] {
        let i = usize::from(code);
        if m == self.nsubq - 1 {
            let start = m * KSUB * self.dsub + i * self.lastdsub;
            &self.centroids[start..start + self.lastdsub]
        } else {
            let start = (m * KSUB + i) * self.dsub;
            &self.centroids[start..start + self.dsub]
        }
    }

    /// `x += alpha * decode(code)`.
    #[inline]
    fn add_code(&self, x: &mut [f32], code: &[u8], alpha: f32) {
        for (m, &c) in code.iter().enumerate() {
            let cent = self.centroid(m, c);
            let start = m * self.dsub;
            for (xv, cv) in x[start..start + cent.len()].iter_mut().zip(cent) {
                *xv += alpha * cv;
            }
        }
    }

    /// `alpha * (x · decode(code))`, summed in coordinate order.
    #[inline]
    fn mul_code(&self, x: &[f32], code: &[u8], alpha: f32) -> f32 {
        let mut res = 0.0f32;
        for (m, &c) in code.iter().enumerate() {
            let cent = self.centroid(m, c);
            let start = m * self.dsub;
            for (xv, cv) in x[start..start + cent.len()].iter().zip(cent) {
                res += xv * cv;
            }
        }
        res * alpha
    }
}

/// A model matrix: `rows` × `cols`.
#[derive(Debug, Clone)]
pub(crate) enum Matrix {
    /// Row-major `f32` values.
    Dense {
        rows: usize,
        cols: usize,
        data: Vec<f32>,
    },
    /// Product-quantized rows.
    Quant(Box<QuantMatrix>),
}

/// Product-quantized rows, with an optionally quantized norm per row.
#[derive(Debug, Clone)]
pub(crate) struct QuantMatrix {
    rows: usize,
    cols: usize,
    codes: Vec<u8>,
    pq: ProductQuantizer,
    /// Norm code per row and the norms' one-dimensional quantizer (`qnorm`).
    norms: Option<(Vec<u8>, ProductQuantizer)>,
}

fn dims(rows: i64, cols: i64, what: &'static str) -> Result<(usize, usize), FastTextError> {
    if rows < 0 || cols <= 0 || rows > i64::from(i32::MAX) || cols > 1 << 20 {
        return Err(FastTextError::Invalid(format!(
            "{what}: impossible size {rows} × {cols}"
        )));
    }
    Ok((rows as usize, cols as usize))
}

impl Matrix {
    /// Reads a dense matrix (`quantized == false`) or a quantized one.
    pub(crate) fn load(
        r: &mut Reader<'_>,
        quantized: bool,
        what: &'static str,
    ) -> Result<Self, FastTextError> {
        if !quantized {
            let (rows, cols) = dims(r.i64(what)?, r.i64(what)?, what)?;
            let n = rows.checked_mul(cols).ok_or_else(|| {
                FastTextError::Invalid(format!("{what}: {rows} × {cols} is too large"))
            })?;
            let data = r.f32s(n, what)?;
            return Ok(Matrix::Dense { rows, cols, data });
        }
        let qnorm = r.bool(what)?;
        let (rows, cols) = dims(r.i64(what)?, r.i64(what)?, what)?;
        let codesize = r.i32(what)?;
        let codesize = usize::try_from(codesize)
            .map_err(|_| FastTextError::Invalid(format!("{what}: negative code size")))?;
        let codes = r.take(codesize, what)?.to_vec();
        let pq = ProductQuantizer::load(r, what)?;
        if pq.dim != cols || codesize != rows * pq.nsubq {
            return Err(FastTextError::Invalid(format!(
                "{what}: {codesize} codes for {rows} rows of {cols} (quantizer of dimension {}, {} sub-vectors)",
                pq.dim, pq.nsubq
            )));
        }
        let norms = if qnorm {
            let codes = r.take(rows, what)?.to_vec();
            let npq = ProductQuantizer::load(r, what)?;
            if npq.dim != 1 {
                return Err(FastTextError::Invalid(format!(
                    "{what}: norm quantizer of dimension {}, expected 1",
                    npq.dim
                )));
            }
            Some((codes, npq))
        } else {
            None
        };
        Ok(Matrix::Quant(Box::new(QuantMatrix {
            rows,
            cols,
            codes,
            pq,
            norms,
        })))
    }

    /// Number of rows.
    pub(crate) fn rows(&self) -> usize {
        match self {
            Matrix::Dense { rows, .. } => *rows,
            Matrix::Quant(q) => q.rows,
        }
    }

    /// Number of columns.
    pub(crate) fn cols(&self) -> usize {
        match self {
            Matrix::Dense { cols, .. } => *cols,
            Matrix::Quant(q) => q.cols,
        }
    }

    /// `x += row i`. `i` must be below [`Matrix::rows`].
    #[inline]
    pub(crate) fn add_row(&self, x: &mut [f32], i: usize) {
        match self {
            Matrix::Dense { cols, data, .. } => {
                for (xv, d) in x.iter_mut().zip(&data[i * cols..(i + 1) * cols]) {
                    *xv += d;
                }
            }
            Matrix::Quant(q) => {
                let nsubq = q.pq.nsubq;
                q.pq.add_code(x, &q.codes[i * nsubq..(i + 1) * nsubq], q.norm(i));
            }
        }
    }

    /// `row i · x`, summed in column order.
    #[inline]
    pub(crate) fn dot_row(&self, x: &[f32], i: usize) -> f32 {
        match self {
            Matrix::Dense { cols, data, .. } => {
                let mut d = 0.0f32;
                for (xv, a) in x.iter().zip(&data[i * cols..(i + 1) * cols]) {
                    d += a * xv;
                }
                d
            }
            Matrix::Quant(q) => {
                let nsubq = q.pq.nsubq;
                q.pq.mul_code(x, &q.codes[i * nsubq..(i + 1) * nsubq], q.norm(i))
            }
        }
    }
}

impl QuantMatrix {
    #[inline]
    fn norm(&self, i: usize) -> f32 {
        match &self.norms {
            Some((codes, npq)) => npq.centroid(0, codes[i])[0],
            None => 1.0,
        }
    }
}
