//! The embedded default corpus `flores200-sample`: the first 200 lines of FLORES-200 devtest for all 204
//! languages (CC BY-SA 4.0, NLLB Team et al. 2022), zstd-compressed into the binary by
//! `scripts/make-flores-sample.sh`.

use std::sync::OnceLock;

/// Name of the embedded corpus, as used in `--corpus` and signatures.
pub const NAME: &str = "flores200-sample";

/// Lines per language in the embedded corpus.
pub const LINES: usize = 200;

/// Attribution that must accompany any use of the embedded corpus.
pub const ATTRIBUTION: &str = "flores200-sample: the first 200 sentences of FLORES-200 devtest in 204 languages \
(NLLB Team et al., \"No Language Left Behind\", 2022), licensed CC BY-SA 4.0 \
(https://creativecommons.org/licenses/by-sa/4.0/).";

static COMPRESSED: &[u8] = include_bytes!("../../data/flores200-sample.tsv.zst");

/// One language of the embedded corpus.
pub(crate) struct EmbeddedLang {
    pub code: String,
    pub lines: Vec<String>,
}

/// The decompressed corpus, built once. The data is fixed at compile time and checked by tests, so a
/// failure here is a build defect, reported as an empty corpus plus the reason.
pub(crate) fn langs() -> Result<&'static [EmbeddedLang], &'static str> {
    static DATA: OnceLock<Result<Vec<EmbeddedLang>, &'static str>> = OnceLock::new();
    DATA.get_or_init(decode)
        .as_ref()
        .map(|v| v.as_slice())
        .map_err(|e| *e)
}

fn decode() -> Result<Vec<EmbeddedLang>, &'static str> {
    let raw = zstd::decode_all(COMPRESSED).map_err(|_| "embedded corpus: zstd data is corrupt")?;
    let text = String::from_utf8(raw).map_err(|_| "embedded corpus: not UTF-8")?;
    let mut out: Vec<EmbeddedLang> = Vec::with_capacity(204);
    for line in text.lines() {
        let (code, sentence) = line
            .split_once('\t')
            .ok_or("embedded corpus: line without a tab")?;
        match out.last_mut() {
            Some(l) if l.code == code => l.lines.push(sentence.to_string()),
            _ => out.push(EmbeddedLang {
                code: code.to_string(),
                lines: vec![sentence.to_string()],
            }),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_204_languages_of_200_lines() {
        let langs = langs().unwrap();
        assert_eq!(langs.len(), 204);
        assert!(langs.iter().all(|l| l.lines.len() == LINES));
        assert!(langs.windows(2).all(|w| w[0].code < w[1].code));
        let eng = langs.iter().find(|l| l.code == "eng_Latn").unwrap();
        assert!(eng.lines[0].starts_with("\"We now have 4-month-old mice"));
    }
}
