//! NumPy's default random generator, bit for bit: `np.random.default_rng(seed)` (SeedSequence → PCG64),
//! `Generator.integers(0, n)` / `choice(n, replace=True)` (Lemire's bounded integers on 32-bit draws)
//! and `integers(2, dtype=bool)`. sacrebleu's bootstrap and approximate-randomization tests draw from
//! it with seed 12345, so reproducing their confidence intervals and p-values needs the same stream.

const MULT_A: u32 = 0x931e_8875;
const INIT_A: u32 = 0x43b0_d7e5;
const INIT_B: u32 = 0x8b51_f9dd;
const MULT_B: u32 = 0x58f3_8ded;
const MIX_MULT_L: u32 = 0xca01_f9dd;
const MIX_MULT_R: u32 = 0x4973_f715;
const POOL_SIZE: usize = 4;
const PCG_MULT: u128 = (2549297995355413924u128 << 64) | 4865540595714422341u128;

/// NumPy's `SeedSequence` entropy pool for a non-negative integer seed (no spawn key).
fn seed_pool(seed: u64) -> [u32; POOL_SIZE] {
    // The seed as little-endian 32-bit words (at least one).
    let mut entropy = vec![seed as u32];
    if seed >> 32 != 0 {
        entropy.push((seed >> 32) as u32);
    }
    let mut hash_const = INIT_A;
    let mut hashmix = |mut v: u32| {
        v ^= hash_const;
        hash_const = hash_const.wrapping_mul(MULT_A);
        v = v.wrapping_mul(hash_const);
        v ^ (v >> 16)
    };
    let mix = |x: u32, y: u32| {
        let r = MIX_MULT_L
            .wrapping_mul(x)
            .wrapping_sub(MIX_MULT_R.wrapping_mul(y));
        r ^ (r >> 16)
    };
    let mut pool = [0u32; POOL_SIZE];
    for (i, p) in pool.iter_mut().enumerate() {
        *p = hashmix(entropy.get(i).copied().unwrap_or(0));
    }
    for src in 0..POOL_SIZE {
        for dst in 0..POOL_SIZE {
            if src != dst {
                let h = hashmix(pool[src]);
                pool[dst] = mix(pool[dst], h);
            }
        }
    }
    for &e in entropy.iter().skip(POOL_SIZE) {
        for p in pool.iter_mut() {
            let h = hashmix(e);
            *p = mix(*p, h);
        }
    }
    pool
}

/// `SeedSequence.generate_state(n, np.uint64)`.
fn generate_state_u64(pool: &[u32; POOL_SIZE], n: usize) -> Vec<u64> {
    let mut hash_const = INIT_B;
    let words: Vec<u32> = (0..n * 2)
        .map(|i| {
            let mut v = pool[i % POOL_SIZE];
            v ^= hash_const;
            hash_const = hash_const.wrapping_mul(MULT_B);
            v = v.wrapping_mul(hash_const);
            v ^ (v >> 16)
        })
        .collect();
    words
        .chunks(2)
        .map(|w| u64::from(w[0]) | (u64::from(w[1]) << 32))
        .collect()
}

/// `np.random.default_rng(seed)`: PCG64 (XSL-RR 128/64) with NumPy's 32-bit buffering.
#[derive(Debug, Clone)]
pub struct NumpyRng {
    state: u128,
    inc: u128,
    buffered: Option<u32>,
}

impl NumpyRng {
    /// The generator `np.random.default_rng(seed)` gives.
    pub fn new(seed: u64) -> Self {
        let v = generate_state_u64(&seed_pool(seed), 4);
        let initstate = (u128::from(v[0]) << 64) | u128::from(v[1]);
        let initseq = (u128::from(v[2]) << 64) | u128::from(v[3]);
        let mut rng = NumpyRng {
            state: 0,
            inc: (initseq << 1) | 1,
            buffered: None,
        };
        rng.step();
        rng.state = rng.state.wrapping_add(initstate);
        rng.step();
        rng
    }

    fn step(&mut self) {
        self.state = self.state.wrapping_mul(PCG_MULT).wrapping_add(self.inc);
    }

    /// The next 64 random bits (`random_raw`).
    pub fn next_u64(&mut self) -> u64 {
        self.step();
        let s = self.state;
        let rot = (s >> 122) as u32;
        (((s >> 64) as u64) ^ (s as u64)).rotate_right(rot)
    }

    /// The next 32 random bits: the low half of a 64-bit draw, then its high half.
    pub fn next_u32(&mut self) -> u32 {
        if let Some(v) = self.buffered.take() {
            return v;
        }
        let v = self.next_u64();
        self.buffered = Some((v >> 32) as u32);
        v as u32
    }

    /// `Generator.integers(0, n)` for `1 <= n <= 2^32` (Lemire's method on 32-bit draws), as
    /// `Generator.choice(n, replace=True)` draws its indices.
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!((1..=1 << 32).contains(&n));
        let rng = (n - 1) as u32;
        if rng == 0 {
            return 0;
        }
        if rng == u32::MAX {
            return u64::from(self.next_u32());
        }
        let excl = rng + 1;
        let mut m = u64::from(self.next_u32()) * u64::from(excl);
        let mut leftover = m as u32;
        if leftover < excl {
            let threshold = (u32::MAX - rng) % excl;
            while leftover < threshold {
                m = u64::from(self.next_u32()) * u64::from(excl);
                leftover = m as u32;
            }
        }
        m >> 32
    }

    /// `rng.choice(n, size=(rows, cols), replace=True)`, row-major.
    pub fn choice_matrix(&mut self, n: usize, rows: usize, cols: usize) -> Vec<usize> {
        (0..rows * cols)
            .map(|_| self.below(n as u64) as usize)
            .collect()
    }

    /// `rng.integers(2, size=count, dtype=bool)`: one bit per value from 32-bit draws, low bit first.
    pub fn bools(&mut self, count: usize) -> Vec<bool> {
        let mut out = Vec::with_capacity(count);
        let (mut buf, mut left) = (0u32, 0u32);
        for _ in 0..count {
            if left == 0 {
                buf = self.next_u32();
                left = 31;
            } else {
                buf >>= 1;
                left -= 1;
            }
            out.push(buf & 1 != 0);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Values printed by NumPy 2.4 (`np.random.SeedSequence(12345)`, `np.random.default_rng(12345)`).
    #[test]
    fn seed_sequence_and_pcg64() {
        assert_eq!(
            seed_pool(12345),
            [0xf293d734, 0xfd668225, 0xf94ff895, 0x872090a0]
        );
        assert_eq!(
            generate_state_u64(&seed_pool(12345), 4),
            [
                0xb5ae6482a03d837c,
                0xbbe2996ffa1f7a2f,
                0x64e39a9f37158f94,
                0x3ebb0f96a013fd73
            ]
        );
        let mut r = NumpyRng::new(12345);
        assert_eq!(r.state, 0x1905e0335aae96349199b0d09775add5);
        assert_eq!(r.inc, 0xc9c7353e6e2b1f287d761f2d4027fae7);
        assert_eq!(
            [r.next_u64(), r.next_u64(), r.next_u64()],
            [0x3a32b18db2ffc19d, 0x51171315c9e4c4de, 0xcc2024823444efd9]
        );
    }

    #[test]
    fn choice_integers_bools() {
        let mut r = NumpyRng::new(12345);
        assert_eq!(
            r.choice_matrix(7, 2, 6),
            [4, 1, 5, 2, 1, 5, 4, 4, 6, 2, 5, 2]
        );
        let mut r = NumpyRng::new(12345);
        let b: Vec<u8> = r.bools(40).into_iter().map(u8::from).collect();
        assert_eq!(
            b,
            [
                1, 0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 0,
                1, 1, 0, 1, 1, 0, 1, 1, 0, 0, 0, 1
            ]
        );
        let mut r = NumpyRng::new(12345);
        assert_eq!(r.choice_matrix(10000, 1, 5), [6992, 2273, 7886, 3167, 2041]);
    }
}
