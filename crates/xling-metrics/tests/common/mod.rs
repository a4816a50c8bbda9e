//! The random corpora of the parity tests: many scripts, punctuation, digits, odd whitespace, empty
//! lines, 1-3 references, from a seeded generator.
#![allow(dead_code)]

use icu_properties::CodePointMapData;
use icu_properties::props::GeneralCategory;

/// splitmix64: a tiny seeded generator, so the corpora are the same on every run.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn range(&mut self, lo: u32, hi: u32) -> char {
        loop {
            let c = lo + (self.next() % u64::from(hi - lo + 1)) as u32;
            // Only characters assigned in the Unicode versions of both sides (Python 3.11 has
            // Unicode 14, the `regex` module and ICU newer ones): unassigned code points may be
            // symbols for one and unassigned for the other.
            if let Some(ch) = char::from_u32(c)
                && CodePointMapData::<GeneralCategory>::new().get(ch) != GeneralCategory::Unassigned
            {
                return ch;
            }
        }
    }
    pub fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

/// One random "word" from one of many scripts and character classes.
pub fn word(rng: &mut Rng, vocab: &[String]) -> String {
    let len = 1 + rng.below(6);
    let mut w = String::new();
    match rng.below(20) {
        0..=5 => return vocab[rng.below(vocab.len())].clone(),
        6 => (0..len).for_each(|_| w.push(rng.range(0x61, 0x7a))),
        7 => (0..len).for_each(|_| w.push(rng.range(0xc0, 0x24f))), // Latin-1, Latin Extended
        8 => (0..len).for_each(|_| w.push(rng.range(0x391, 0x3c9))), // Greek (final sigma)
        9 => (0..len).for_each(|_| w.push(rng.range(0x410, 0x44f))), // Cyrillic
        10 => (0..len).for_each(|_| w.push(rng.range(0x621, 0x64a))), // Arabic
        11 => (0..len).for_each(|_| w.push(rng.range(0x905, 0x939))), // Devanagari
        12 => (0..len).for_each(|_| w.push(rng.range(0x4e00, 0x9fff))), // CJK
        13 => (0..len).for_each(|_| {
            let c = match rng.below(3) {
                0 => rng.range(0x3400, 0x4dbf),
                1 => rng.range(0x20000, 0x2a6df),
                _ => rng.range(0x2f800, 0x2fa1d),
            };
            w.push(c)
        }),
        14 => (0..len).for_each(|_| w.push(rng.range(0x3040, 0x30ff))), // kana
        15 => (0..len).for_each(|_| w.push(rng.range(0xac00, 0xd7a3))), // Hangul
        16 => (0..len).for_each(|_| {
            let c = match rng.below(4) {
                0 => rng.range(0x2000, 0x206f), // general punctuation incl. odd spaces
                1 => rng.range(0x2070, 0x2a6e), // symbols, arrows, maths: the zh quirk range
                2 => rng.range(0x3000, 0x303f), // CJK punctuation
                _ => rng.range(0xff00, 0xffef), // full-width forms
            };
            w.push(c)
        }),
        17 => (0..len).for_each(|_| w.push(rng.range(0x21, 0x7e))), // ASCII punctuation and more
        18 => (0..len).for_each(|_| w.push(rng.range(0x30, 0x39))), // digits
        _ => {
            return rng
                .pick(&[
                    "&amp;",
                    "&quot;",
                    "&lt;",
                    "&gt;",
                    "&amp;amp;",
                    "<skipped>",
                    "'s",
                    "3.14",
                    "1,000",
                    "-",
                    "U.S.",
                    "2024.",
                    "x-",
                    "5-3",
                    "(a)",
                    "«b»",
                    "—",
                    "…",
                    "€",
                    "ΣΑΣ",
                    "İ",
                    "ß",
                    "\u{1c}",
                ])
                .to_string();
        }
    }
    w
}

pub fn sentence(rng: &mut Rng, vocab: &[String]) -> String {
    if rng.below(12) == 0 {
        return String::new();
    }
    let n = match rng.below(30) {
        0..=2 => 1 + rng.below(3),
        3 => 25 + rng.below(30),
        _ => 3 + rng.below(15),
    };
    let mut s = String::new();
    if rng.below(10) == 0 {
        s.push(' ');
    }
    for i in 0..n {
        if i > 0 {
            s.push_str(rng.pick(&[
                " ", " ", " ", " ", " ", " ", "", "  ", "\t", "\u{3000}", "\u{a0}",
            ]));
        }
        s.push_str(&word(rng, vocab));
    }
    if rng.below(8) == 0 {
        s.push_str(rng.pick(&[" ", "\t", "\u{2003}"]));
    }
    s
}

/// A reference-like variant of `s`: words dropped, substituted, moved, or case changed.
pub fn perturb(rng: &mut Rng, s: &str, vocab: &[String]) -> String {
    let mut words: Vec<String> = s.split(' ').map(str::to_string).collect();
    let mut out = Vec::new();
    for w in words.drain(..) {
        match rng.below(10) {
            0 => {}
            1 => out.push(word(rng, vocab)),
            // ASCII only: Rust's full case mapping knows characters Python 3.11's Unicode 14 does not.
            2 => out.push(w.to_ascii_uppercase()),
            3 => {
                out.push(w);
                out.push(word(rng, vocab));
            }
            _ => out.push(w),
        }
    }
    if out.len() > 4 && rng.below(3) == 0 {
        let i = rng.below(out.len() - 3);
        let j = rng.below(out.len());
        let w = out.remove(i);
        out.insert(j.min(out.len()), w);
    }
    out.join(" ")
}

/// `count` random corpora (1-6 segments, 1-3 references) from `seed`.
pub fn corpora(seed: u64, count: usize) -> Vec<(Vec<String>, Vec<Vec<String>>)> {
    let mut rng = Rng(seed);
    let vocab: Vec<String> = (0..60)
        .map(|_| {
            let len = 1 + rng.below(3);
            (0..len)
                .map(|_| word(&mut rng, &[String::from("a")]))
                .collect::<Vec<_>>()
                .join("")
        })
        .chain(
            [
                "the", "The", "a", "of", "dog", "man", ".", ",", "!", "?", "'s",
            ]
            .map(String::from),
        )
        .collect();
    (0..count)
        .map(|_| {
            let n = 1 + rng.below(6);
            let nrefs = 1 + rng.below(3);
            let mut refs = vec![Vec::new(); nrefs];
            let mut hyps = Vec::new();
            for _ in 0..n {
                let base = sentence(&mut rng, &vocab);
                hyps.push(if rng.below(10) == 0 {
                    sentence(&mut rng, &vocab)
                } else {
                    perturb(&mut rng, &base, &vocab)
                });
                for r in refs.iter_mut() {
                    r.push(if rng.below(4) == 0 {
                        perturb(&mut rng, &base, &vocab)
                    } else {
                        base.clone()
                    });
                }
            }
            (hyps, refs)
        })
        .collect()
}
