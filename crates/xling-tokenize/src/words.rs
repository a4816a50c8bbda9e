//! Word units for fertility and continued-word metrics.
//!
//! Most scripts separate words with spaces, and a word is a maximal run of non-whitespace characters
//! (punctuation attached, as in Rust et al. 2021's whitespace fallback). Scripts written without spaces
//! between words need a segmenter:
//!
//! - Han, Japanese, Thai, Lao, Khmer and Myanmar: ICU4X's dictionary word segmenter (`icu_segmenter`
//!   with its compiled data: the CJ dictionary and the Thai, Lao, Khmer and Burmese dictionaries),
//!   keeping the segments that contain a letter or digit ([`WordUnit::Dictionary`]);
//! - Tibetan, which ICU has no dictionary for, and any of the above on request: UAX #29 word
//!   boundaries ([`WordUnit::Uax29`]). UAX #29 has no dictionary: Han text becomes one word per
//!   character and Thai/Lao/Khmer/Myanmar text whole runs of letters.
//!
//! Tables say which unit each language used. Segments are classified by their characters, not by
//! ICU's word type, which is unreliable for segments ending in a combining mark (icu4x #8321).

use unicode_segmentation::UnicodeSegmentation;
use xling_core::Script;

/// How a language's text is cut into words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WordUnit {
    /// Maximal runs of non-whitespace characters.
    Whitespace,
    /// UAX #29 word-boundary segments that contain a letter or digit.
    Uax29,
    /// ICU4X dictionary word-segmenter segments that contain a letter or digit.
    Dictionary,
}

/// Which segmenter cuts the words of scripts written without spaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WordMethod {
    /// ICU dictionaries where ICU has one (Han, Japanese, Thai, Lao, Khmer, Myanmar), UAX #29 for the
    /// other unspaced scripts (Tibetan).
    #[default]
    Dictionary,
    /// UAX #29 word boundaries for every unspaced script.
    Uax29,
}

impl WordUnit {
    /// The unit for a language written in `script` (with ICU dictionaries where ICU has one).
    pub fn for_script(script: Script) -> WordUnit {
        WordUnit::for_script_with(script, WordMethod::Dictionary)
    }

    /// The unit for a language written in `script`, segmenting unspaced scripts with `method`.
    pub fn for_script_with(script: Script, method: WordMethod) -> WordUnit {
        match (script.as_str(), method) {
            (
                "Hani" | "Hans" | "Hant" | "Jpan" | "Thai" | "Laoo" | "Khmr" | "Mymr",
                WordMethod::Dictionary,
            ) => WordUnit::Dictionary,
            ("Hani" | "Hans" | "Hant" | "Jpan" | "Thai" | "Laoo" | "Khmr" | "Mymr" | "Tibt", _) => {
                WordUnit::Uax29
            }
            _ => WordUnit::Whitespace,
        }
    }

    /// Short label for tables and signatures.
    pub fn label(self) -> &'static str {
        match self {
            WordUnit::Whitespace => "whitespace",
            WordUnit::Uax29 => "UAX#29",
            WordUnit::Dictionary => "ICU-dictionary",
        }
    }

    /// The byte spans `(start, end)` of the words of `text`, in order.
    pub fn spans(self, text: &str) -> Vec<(usize, usize)> {
        match self {
            WordUnit::Whitespace => {
                let b = text.as_bytes();
                let mut out = Vec::with_capacity(text.len() / 6);
                let mut i = 0;
                loop {
                    // Whitespace before the word.
                    while i < b.len() {
                        match space_len(text, i) {
                            0 => break,
                            n => i += n,
                        }
                    }
                    if i >= b.len() {
                        break;
                    }
                    let start = i;
                    // The word: bytes that cannot start a whitespace character are skipped without
                    // decoding; the others are checked.
                    loop {
                        while b.get(i).is_some_and(|&c| !MAY_START_SPACE[usize::from(c)]) {
                            i += 1;
                        }
                        if i >= b.len() || space_len(text, i) > 0 {
                            break;
                        }
                        i += 1;
                    }
                    out.push((start, i));
                }
                out
            }
            WordUnit::Uax29 => text
                .split_word_bound_indices()
                .filter(|(_, w)| w.chars().any(char::is_alphanumeric))
                .map(|(i, w)| (i, i + w.len()))
                .collect(),
            WordUnit::Dictionary => {
                let segmenter = icu_segmenter::WordSegmenter::new_dictionary(
                    icu_segmenter::options::WordBreakInvariantOptions::default(),
                );
                let mut out = Vec::new();
                let mut prev = 0usize;
                for b in segmenter.segment_str(text) {
                    if b > prev
                        && text
                            .get(prev..b)
                            .is_some_and(|w| w.chars().any(char::is_alphanumeric))
                    {
                        out.push((prev, b));
                    }
                    prev = b;
                }
                out
            }
        }
    }
}

/// Bytes that may start a whitespace character (`char::is_whitespace`): the ASCII ones and the lead
/// bytes of every non-ASCII White_Space character (U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028,
/// U+2029, U+202F, U+205F, U+3000).
pub(crate) const MAY_START_SPACE: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = b'\t';
    while c <= b'\r' {
        t[c as usize] = true;
        c += 1;
    }
    t[b' ' as usize] = true;
    t[0xC2] = true;
    t[0xE1] = true;
    t[0xE2] = true;
    t[0xE3] = true;
    t
};

/// The byte length of the whitespace character at byte `i` of `text`, 0 when there is none.
#[inline]
fn space_len(text: &str, i: usize) -> usize {
    match text.as_bytes().get(i) {
        Some(&c) if c < 0x80 => usize::from(matches!(c, b'\t'..=b'\r' | b' ')),
        Some(0xC2 | 0xE1 | 0xE2 | 0xE3) => text
            .get(i..)
            .and_then(|r| r.chars().next())
            .filter(|c| c.is_whitespace())
            .map_or(0, char::len_utf8),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_words_keep_punctuation() {
        let t = " Hello, world!  ok ";
        let w: Vec<&str> = WordUnit::Whitespace
            .spans(t)
            .iter()
            .map(|&(s, e)| &t[s..e])
            .collect();
        assert_eq!(w, ["Hello,", "world!", "ok"]);
    }

    #[test]
    fn whitespace_words_equal_a_char_scan() {
        // Every character up to U+3100 (all White_Space characters among them) between letters.
        let mut t = String::new();
        for c in (0..0x3100u32).filter_map(char::from_u32) {
            t.push(c);
            t.push('b');
            if c.is_whitespace() {
                t.push(c);
            }
        }
        let mut want = Vec::new();
        let mut start = None;
        for (i, c) in t.char_indices() {
            match (c.is_whitespace(), start) {
                (true, Some(s)) => {
                    want.push((s, i));
                    start = None;
                }
                (false, None) => start = Some(i),
                _ => {}
            }
        }
        if let Some(s) = start {
            want.push((s, t.len()));
        }
        assert_eq!(WordUnit::Whitespace.spans(&t), want);
    }

    #[test]
    fn uax29_for_unspaced_scripts() {
        let t = "人人生而自由，在尊严。";
        assert_eq!(WordUnit::Uax29.spans(t).len(), 9);
        let s: Script = "Hans".parse().unwrap();
        assert_eq!(
            WordUnit::for_script_with(s, WordMethod::Uax29),
            WordUnit::Uax29
        );
        let s: Script = "Deva".parse().unwrap();
        assert_eq!(WordUnit::for_script(s), WordUnit::Whitespace);
    }

    fn words(unit: WordUnit, t: &str) -> Vec<&str> {
        unit.spans(t).iter().map(|&(s, e)| &t[s..e]).collect()
    }

    #[test]
    fn dictionary_cuts_real_chinese_and_thai_into_words() {
        // UDHR article 1, Simplified Chinese and Thai.
        let zh = "人人生而自由，在尊严和权利上一律平等。";
        let w = words(WordUnit::Dictionary, zh);
        assert!(w.contains(&"自由") && w.contains(&"权利"), "{w:?}");
        assert!(!w.contains(&"，"), "punctuation is no word: {w:?}");
        assert!(w.len() < WordUnit::Uax29.spans(zh).len(), "{w:?}");
        let th = "มนุษย์ทั้งหลายเกิดมามีอิสระและเสมอกันในเกียรติศักดิ์และสิทธิ";
        let w = words(WordUnit::Dictionary, th);
        assert!(w.contains(&"มนุษย์") && w.contains(&"อิสระ"), "{w:?}");
        assert!(w.contains(&"เสมอ") && w.contains(&"และ"), "{w:?}");
        assert_ne!(
            w,
            words(WordUnit::Uax29, th),
            "UAX #29 has no Thai dictionary"
        );
        assert_eq!(w.concat(), th, "Thai words tile the text");
    }

    /// On the embedded FLORES-200 sample, every unspaced language the dictionary covers gets words of a
    /// plausible length (1.2 to 6 characters on average), unlike UAX #29 (one Han character, or whole
    /// Thai/Lao/Khmer/Myanmar phrases).
    #[test]
    fn dictionary_words_on_real_flores_sentences() {
        let c = xling_core::corpus::Corpus::embedded_sample()
            .and_then(|c| c.load())
            .expect("embedded sample");
        let mut seen = Vec::new();
        for stream in &c.streams {
            let unit = WordUnit::for_script(stream.variety.script());
            if unit != WordUnit::Dictionary {
                continue;
            }
            let text: String = stream
                .segments
                .iter()
                .take(50)
                .map(|s| s.text.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            let spans = unit.spans(&text);
            let chars: usize = spans.iter().map(|&(s, e)| text[s..e].chars().count()).sum();
            let mean = chars as f64 / spans.len() as f64;
            assert!(
                (1.2..6.0).contains(&mean),
                "{}: {mean:.2} chars per word",
                stream.variety.key
            );
            let uax: usize = WordUnit::Uax29.spans(&text).len();
            assert_ne!(spans.len(), uax, "{}", stream.variety.key);
            seen.push(stream.variety.script().to_string());
        }
        seen.sort();
        seen.dedup();
        for want in ["Hans", "Hant", "Jpan", "Thai", "Laoo", "Khmr", "Mymr"] {
            assert!(
                seen.iter().any(|s| s == want),
                "no {want} language in {seen:?}"
            );
        }
    }

    #[test]
    fn methods_per_script() {
        let sc = |c: &str| -> Script { c.parse().unwrap() };
        assert_eq!(WordUnit::for_script(sc("Thai")), WordUnit::Dictionary);
        assert_eq!(WordUnit::for_script(sc("Tibt")), WordUnit::Uax29);
        assert_eq!(
            WordUnit::for_script_with(sc("Jpan"), WordMethod::Uax29),
            WordUnit::Uax29
        );
        assert_eq!(
            WordUnit::for_script_with(sc("Latn"), WordMethod::Dictionary),
            WordUnit::Whitespace
        );
    }
}
