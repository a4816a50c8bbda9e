//! Word units for fertility and continued-word metrics.
//!
//! Most scripts separate words with spaces, and a word is a maximal run of non-whitespace characters
//! (punctuation attached, as in Rust et al. 2021's whitespace fallback). Scripts written without spaces
//! between words (Han, Japanese, Thai, Lao, Khmer, Myanmar, Tibetan) use UAX #29 word boundaries instead,
//! keeping the segments that contain a letter or digit. UAX #29 has no dictionary: Han text becomes one
//! word per character and Thai/Lao/Khmer/Myanmar text runs of letters, so their fertility is per
//! UAX #29 unit, and tables say which unit each language used.

use unicode_segmentation::UnicodeSegmentation;
use xling_core::Script;

/// How a language's text is cut into words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WordUnit {
    /// Maximal runs of non-whitespace characters.
    Whitespace,
    /// UAX #29 word-boundary segments that contain a letter or digit.
    Uax29,
}

impl WordUnit {
    /// The unit for a language written in `script`.
    pub fn for_script(script: Script) -> WordUnit {
        match script.to_string().as_str() {
            "Hani" | "Hans" | "Hant" | "Jpan" | "Thai" | "Laoo" | "Khmr" | "Mymr" | "Tibt" => {
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
        }
    }

    /// The byte spans `(start, end)` of the words of `text`, in order.
    pub fn spans(self, text: &str) -> Vec<(usize, usize)> {
        match self {
            WordUnit::Whitespace => {
                let mut out = Vec::new();
                let mut start = None;
                for (i, c) in text.char_indices() {
                    match (c.is_whitespace(), start) {
                        (true, Some(s)) => {
                            out.push((s, i));
                            start = None;
                        }
                        (false, None) => start = Some(i),
                        _ => {}
                    }
                }
                if let Some(s) = start {
                    out.push((s, text.len()));
                }
                out
            }
            WordUnit::Uax29 => text
                .split_word_bound_indices()
                .filter(|(_, w)| w.chars().any(char::is_alphanumeric))
                .map(|(i, w)| (i, i + w.len()))
                .collect(),
        }
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
    fn uax29_for_unspaced_scripts() {
        let t = "人人生而自由，在尊严。";
        assert_eq!(WordUnit::Uax29.spans(t).len(), 9);
        let s: Script = "Hans".parse().unwrap();
        assert_eq!(WordUnit::for_script(s), WordUnit::Uax29);
        let s: Script = "Deva".parse().unwrap();
        assert_eq!(WordUnit::for_script(s), WordUnit::Whitespace);
    }
}
