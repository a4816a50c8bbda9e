//! Exact n-gram counting without building n-gram strings.
//!
//! Every position of every sequence gets a dense class id for the n-gram that starts there: order-1
//! classes are the interned items, and the order-n class of position `i` is the interned pair
//! (order-(n-1) class of `i`, item at `i+n-1`). Equal n-grams get equal ids, so counts are array
//! look-ups. Used by BLEU (word n-grams) and chrF (character and word n-grams).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A small, fast, non-cryptographic hasher for integer keys (the Fx hash of rustc).
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl Hasher for FxHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        // Eight bytes at a time (strings are hashed here when tokens are interned).
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut a = [0u8; 8];
            a.copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(a));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut a = [0u8; 8];
            a[..rest.len()].copy_from_slice(rest);
            self.write_u64(u64::from_le_bytes(a) ^ ((rest.len() as u64) << 59));
        }
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
}

/// A `HashMap` with [`FxHasher`].
pub(crate) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// An open-addressing map from `u64` keys to dense `u32` ids, cleared in O(1) by a generation stamp.
#[derive(Default)]
struct IdTable {
    keys: Vec<u64>,
    vals: Vec<u32>,
    stamps: Vec<u32>,
    generation: u32,
    len: u32,
    shift: u32,
}

impl IdTable {
    /// Empties the table and makes room for `n` keys.
    fn reset(&mut self, n: usize) {
        let want = (n.max(8) * 2).next_power_of_two();
        if want > self.keys.len() || self.generation == u32::MAX {
            self.keys = vec![0; want];
            self.vals = vec![0; want];
            self.stamps = vec![0; want];
            self.generation = 0;
            self.shift = 64 - want.trailing_zeros();
        }
        self.generation += 1;
        self.len = 0;
    }

    #[inline]
    fn id(&mut self, key: u64) -> u32 {
        let mask = self.keys.len() - 1;
        let mut i = (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> self.shift) as usize;
        loop {
            if self.stamps[i] != self.generation {
                self.stamps[i] = self.generation;
                self.keys[i] = key;
                self.vals[i] = self.len;
                self.len += 1;
                return self.len - 1;
            }
            if self.keys[i] == key {
                return self.vals[i];
            }
            i = (i + 1) & mask;
        }
    }
}

/// Reusable scratch space for n-gram classes over a handful of sequences (hypothesis + references).
#[derive(Default)]
pub(crate) struct NgramClasses {
    table: IdTable,
    /// Current classes per sequence (`len - n + 1` entries at order n).
    classes: Vec<Vec<u32>>,
    /// Number of distinct classes at the current order.
    pub n_classes: usize,
    order: usize,
    total: usize,
}

impl NgramClasses {
    /// Starts over with these sequences of item ids (any `u32` values).
    pub fn reset(&mut self, seqs: &[&[u32]]) {
        self.classes.resize_with(seqs.len(), Vec::new);
        self.classes.truncate(seqs.len());
        for (c, s) in self.classes.iter_mut().zip(seqs) {
            c.clear();
            c.extend_from_slice(s);
        }
        self.total = seqs.iter().map(|s| s.len()).sum();
        self.order = 0;
        self.n_classes = 0;
    }

    /// Starts over at order 1 with sequences whose items are already dense class ids `0..n_ids`
    /// (interned tokens): the first [`NgramClasses::advance`] then gives order 2.
    pub fn reset_unigrams(&mut self, seqs: &[&[u32]], n_ids: usize) {
        self.reset(seqs);
        self.order = 1;
        self.n_classes = n_ids;
    }

    /// Advances to the next order (the first call gives order 1); `seqs` must be those given to `reset`.
    pub fn advance(&mut self, seqs: &[&[u32]]) {
        self.table.reset(self.total);
        let first = self.order == 0;
        self.order += 1;
        let n = self.order;
        let table = &mut self.table;
        for (cls, seq) in self.classes.iter_mut().zip(seqs) {
            if seq.len() < n {
                cls.clear();
                continue;
            }
            let m = seq.len() - n + 1;
            for i in 0..m {
                let key = if first {
                    u64::from(seq[i]) | (u64::from(u32::MAX) << 32)
                } else {
                    (u64::from(cls[i]) << 32) | u64::from(seq[i + n - 1])
                };
                cls[i] = table.id(key);
            }
            cls.truncate(m);
        }
        self.n_classes = table.len as usize;
    }

    /// Classes of sequence `k` at the current order.
    pub fn of(&self, k: usize) -> &[u32] {
        &self.classes[k]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_ngrams_get_equal_classes() {
        let a = [1u32, 2, 3, 1, 2];
        let b = [2u32, 3, 1, 2];
        let seqs: [&[u32]; 2] = [&a, &b];
        let mut c = NgramClasses::default();
        c.reset(&seqs);
        c.advance(&seqs);
        assert_eq!(c.n_classes, 3);
        c.advance(&seqs);
        // bigrams: 12 23 31 12 | 23 31 12
        assert_eq!(c.of(0)[0], c.of(0)[3]);
        assert_eq!(c.of(0)[1], c.of(1)[0]);
        assert_eq!(c.n_classes, 3);
        c.advance(&seqs);
        c.advance(&seqs);
        c.advance(&seqs);
        assert_eq!(c.of(0).len(), 1);
        assert!(c.of(1).is_empty());
        // Dense ids skip order 1 and give the same higher orders.
        let mut d = NgramClasses::default();
        d.reset_unigrams(&seqs, 3);
        assert_eq!(d.n_classes, 3);
        d.advance(&seqs);
        assert_eq!(d.n_classes, 3);
        assert_eq!(d.of(0)[0], d.of(0)[3]);
        assert_eq!(d.of(0)[1], d.of(1)[0]);
    }
}
