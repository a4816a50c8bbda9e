//! A bounds-checked little-endian reader over a model file's bytes: every read names what it was
//! reading, so a truncated file says where it ends, and no size read from the file is trusted before
//! the bytes it announces are known to be there.

use super::FastTextError;

pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], FastTextError> {
        if n > self.remaining() {
            return Err(FastTextError::Truncated {
                what,
                offset: self.pos,
                need: n,
                have: self.remaining(),
            });
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], FastTextError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N, what)?);
        Ok(a)
    }

    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, FastTextError> {
        Ok(self.array::<1>(what)?[0])
    }

    /// A C++ `bool` (one byte, 0 or 1).
    pub(crate) fn bool(&mut self, what: &'static str) -> Result<bool, FastTextError> {
        let at = self.pos;
        match self.u8(what)? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(FastTextError::Invalid(format!(
                "{what} at byte {at} is {b}, expected a boolean (0 or 1)"
            ))),
        }
    }

    pub(crate) fn i32(&mut self, what: &'static str) -> Result<i32, FastTextError> {
        Ok(i32::from_le_bytes(self.array(what)?))
    }

    pub(crate) fn i64(&mut self, what: &'static str) -> Result<i64, FastTextError> {
        Ok(i64::from_le_bytes(self.array(what)?))
    }

    pub(crate) fn f64(&mut self, what: &'static str) -> Result<f64, FastTextError> {
        Ok(f64::from_le_bytes(self.array(what)?))
    }

    /// `n` little-endian `f32`s.
    pub(crate) fn f32s(&mut self, n: usize, what: &'static str) -> Result<Vec<f32>, FastTextError> {
        let bytes = n
            .checked_mul(4)
            .ok_or_else(|| FastTextError::Invalid(format!("{what}: {n} floats is too many")))?;
        let raw = self.take(bytes, what)?;
        Ok(raw
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    /// Bytes up to (not including) the next NUL, which is consumed.
    pub(crate) fn cstr(&mut self, what: &'static str) -> Result<&'a [u8], FastTextError> {
        let rest = &self.buf[self.pos..];
        match rest.iter().position(|&b| b == 0) {
            Some(end) => {
                self.pos += end + 1;
                Ok(&rest[..end])
            }
            None => Err(FastTextError::Truncated {
                what,
                offset: self.buf.len(),
                need: 1,
                have: 0,
            }),
        }
    }
}
