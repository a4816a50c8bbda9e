//! Byte premium: how many more UTF-8 bytes a language needs than a base language for the same content.
//!
//! Arnett, Chang & Bergen (2024, "A Bit of a Problem: Measurement Disparities in Dataset Sizes Across
//! Languages") define the byte premium of language L relative to a base as
//! `bytes(L) / bytes(base)` over parallel text. Here bytes are the UTF-8 lengths of the segments without
//! line terminators, summed over the segments both languages have (the same lines, or the same ids).

use std::collections::HashMap;

use xling_core::corpus::Segment;

/// Byte counts of a parallel pair over their shared segments.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BytePremium {
    /// UTF-8 bytes of the language over the shared segments.
    pub bytes: u64,
    /// UTF-8 bytes of the base language over the same segments.
    pub base_bytes: u64,
    /// Segments both have.
    pub shared: usize,
}

impl BytePremium {
    /// `bytes / base_bytes`; `None` when the base has no bytes on the shared segments.
    pub fn ratio(&self) -> Option<f64> {
        (self.base_bytes > 0).then(|| self.bytes as f64 / self.base_bytes as f64)
    }
}

/// The byte premium of `lang` relative to `base`, pairing segments by id (for line-aligned corpora the id
/// is the line number, so this pairs line N with line N).
pub fn byte_premium(lang: &[Segment], base: &[Segment]) -> BytePremium {
    let base_by_id: HashMap<&str, usize> =
        base.iter().map(|s| (s.id.as_str(), s.text.len())).collect();
    let mut out = BytePremium {
        bytes: 0,
        base_bytes: 0,
        shared: 0,
    };
    for s in lang {
        if let Some(b) = base_by_id.get(s.id.as_str()) {
            out.bytes += s.text.len() as u64;
            out.base_bytes += *b as u64;
            out.shared += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(items: &[(&str, &str)]) -> Vec<Segment> {
        items
            .iter()
            .enumerate()
            .map(|(i, (id, t))| Segment {
                id: id.to_string(),
                line: i + 1,
                text: t.to_string(),
            })
            .collect()
    }

    #[test]
    fn ratio_over_shared_ids() {
        let base = segs(&[("1", "ab"), ("2", "cd"), ("3", "ef")]);
        let hin = segs(&[("1", "ह"), ("3", "हह")]);
        let p = byte_premium(&hin, &base);
        assert_eq!(
            p,
            BytePremium {
                bytes: 9,
                base_bytes: 4,
                shared: 2
            }
        );
        assert_eq!(p.ratio(), Some(2.25));
        assert_eq!(byte_premium(&hin, &[]).ratio(), None);
    }
}
