//! The rule-based segmenter: sentence terminators of every script, plus language-aware exceptions.
//!
//! A boundary candidate is a run of sentence terminators (the Unicode `Sentence_Terminal` property: `.`,
//! `!`, `?`, `。`, `।`, `॥`, `።`, `؟`, `۔`, `။`, `។`, `‼`, …) followed by closing quotes and brackets.
//! The boundary falls after the whitespace that follows, so every character of the input belongs to
//! exactly one segment and concatenating the segments reproduces the input byte for byte. A newline is
//! always a boundary. A candidate is rejected when
//!
//! - the next letter is lower-case (`"Why?" she asked`, `e.g. this`);
//! - the terminator is an ASCII or "spaced" one and no whitespace follows (`3.14`, `www.x.org`, `Yahoo!Inc`);
//!   CJK and other unspaced terminators (`。！？`) break without whitespace;
//! - a full stop ends a known abbreviation of the language (`Dr.`, `z.B.`, `M.`), a single-letter initial
//!   (`J. K. Rowling`), a token with inner dots (`U.S.`), or, in languages that write ordinals with a dot
//!   (German, Finnish, Czech, …), a number of one or two digits (`am 3. Oktober`).

use std::collections::HashSet;
use std::ops::Range;

use icu_properties::CodePointSetData;
use icu_properties::props::SentenceTerminal;
use xling_core::Language;

use crate::abbreviations;

/// A rule-based sentence segmenter configured for one language (or none).
#[derive(Debug, Clone)]
pub struct RuleSegmenter {
    abbreviations: HashSet<String>,
    ordinal_dot: bool,
}

impl Default for RuleSegmenter {
    fn default() -> Self {
        RuleSegmenter::new(None)
    }
}

/// ISO 639-3 codes of languages that mark ordinal numbers with a full stop (`3.` = "third").
const ORDINAL_DOT: &[&str] = &[
    "deu", "gsw", "ltz", "fin", "ekk", "est", "ces", "slk", "pol", "hun", "isl", "fao", "dan",
    "nob", "nno", "nor", "slv", "hrv", "srp", "bos", "tur", "lvs", "lav", "lit", "swe",
];

impl RuleSegmenter {
    /// A segmenter for `lang`; `None` uses only the language-independent rules and abbreviations.
    pub fn new(lang: Option<&Language>) -> Self {
        let iso = lang.map(|l| l.iso639_3.as_str());
        let abbreviations = abbreviations::for_language(iso)
            .map(str::to_string)
            .collect();
        RuleSegmenter {
            abbreviations,
            ordinal_dot: iso.is_some_and(|i| ORDINAL_DOT.contains(&i)),
        }
    }

    /// The byte offsets at which segments end, in increasing order; the last is `text.len()` (no offsets
    /// for empty text).
    pub fn boundaries(&self, text: &str) -> Vec<usize> {
        let terminal = CodePointSetData::new::<SentenceTerminal>();
        let bytes = text.len();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes {
            let Some(c) = text[i..].chars().next() else {
                break;
            };
            let after = i + c.len_utf8();
            if c == '\n' {
                let k = skip_whitespace(text, after);
                push(&mut out, k);
                i = k;
                continue;
            }
            if !terminal.contains(c) {
                i = after;
                continue;
            }
            // The terminator run, with closing quotes and brackets: `?!`, `..."`, `.)`.
            let mut j = after;
            let mut only_full_stops = is_full_stop(c);
            let mut dots = usize::from(is_full_stop(c));
            let mut ellipsis = c == '…';
            while let Some(d) = text[j..].chars().next() {
                if terminal.contains(d) {
                    only_full_stops &= is_full_stop(d);
                    dots += usize::from(is_full_stop(d));
                    ellipsis |= d == '…';
                } else if !is_closing(d) && d != '…' {
                    break;
                } else {
                    ellipsis |= d == '…';
                }
                j += d.len_utf8();
            }
            let k = skip_whitespace_no_newline(text, j);
            if k >= bytes {
                i = k;
                continue;
            }
            let had_space = k > j;
            let unspaced = is_unspaced_terminator(c);
            let next_letter = text[k..].chars().find(|ch| !is_opening(*ch));
            // No break when nothing separates the terminator from the next word (`3.14`, `Yahoo!Inc`) unless
            // the script writes sentences without spaces, or when the next letter is lower-case.
            let glued = !had_space && !unspaced;
            let breaks = if glued || next_letter.is_some_and(char::is_lowercase) {
                false
            } else if !only_full_stops || unspaced {
                true
            } else if dots > 1 || ellipsis {
                // An ellipsis ends a sentence only when a new one visibly starts.
                next_letter.is_some_and(|ch| ch.is_uppercase() || !ch.is_alphabetic())
            } else {
                !self.dot_is_internal(&text[..i], next_letter)
            };
            if breaks {
                push(&mut out, k);
                i = k;
            } else {
                i = j;
            }
        }
        push(&mut out, bytes);
        out
    }

    /// The segments as byte ranges that cover `text` exactly (trailing whitespace stays with the sentence
    /// it follows).
    pub fn segment(&self, text: &str) -> Vec<Range<usize>> {
        let mut start = 0;
        self.boundaries(text)
            .into_iter()
            .map(|end| {
                let r = start..end;
                start = end;
                r
            })
            .collect()
    }

    /// Whether the full stop at the end of `before` belongs to the word before it rather than ending
    /// a sentence.
    fn dot_is_internal(&self, before: &str, next: Option<char>) -> bool {
        let word_start = before.rfind(char::is_whitespace).map_or(0, |p| {
            p + before[p..].chars().next().map_or(1, char::len_utf8)
        });
        let word = before[word_start..].trim_start_matches(is_opening);
        if word.is_empty() {
            return false;
        }
        let mut chars = word.chars();
        let first = chars.next();
        // A single letter: an initial (`J. K. Rowling`) or a list label.
        if first.is_some_and(char::is_alphabetic) && chars.next().is_none() {
            return true;
        }
        // Inner dots between short parts: `U.S`, `z.B`, `e.g`, `p.ex` (not `www.example.org`).
        if word.contains('.')
            && word.chars().any(char::is_alphabetic)
            && word.split('.').all(|p| p.chars().count() <= 3)
        {
            return true;
        }
        if word.chars().all(|c| c.is_ascii_digit()) {
            // `3. Oktober`: ordinal numbers in languages that write them with a dot.
            return self.ordinal_dot && word.len() <= 2 && next.is_some_and(char::is_alphabetic);
        }
        self.abbreviations.contains(&word.to_lowercase())
    }
}

fn push(out: &mut Vec<usize>, at: usize) {
    if out.last() != Some(&at) && at > 0 {
        out.push(at);
    }
}

fn skip_whitespace(text: &str, mut i: usize) -> usize {
    while let Some(c) = text[i..].chars().next() {
        if !c.is_whitespace() {
            break;
        }
        i += c.len_utf8();
    }
    i
}

/// Skips whitespace up to (not including) a newline, which is a boundary of its own.
fn skip_whitespace_no_newline(text: &str, mut i: usize) -> usize {
    while let Some(c) = text[i..].chars().next() {
        if !c.is_whitespace() || c == '\n' {
            break;
        }
        i += c.len_utf8();
    }
    i
}

/// Full stops ("ATerm" in UAX #29): ambiguous between sentence end, abbreviation and number.
fn is_full_stop(c: char) -> bool {
    matches!(c, '.' | '\u{2024}' | '\u{FE52}' | '\u{FF0E}')
}

/// Terminators after which scripts that do not separate sentences with spaces start the next sentence.
fn is_unspaced_terminator(c: char) -> bool {
    matches!(
        c,
        '。' | '！'
            | '？'
            | '｡'
            | '．'
            | '︒'
            | '︕'
            | '︖'
            | '\u{0F0D}'
            | '\u{0F0E}'
            | '\u{17D4}'
            | '\u{17D5}'
    )
}

fn is_closing(c: char) -> bool {
    matches!(
        c,
        '"' | '\''
            | ')'
            | ']'
            | '}'
            | '”'
            | '’'
            | '»'
            | '›'
            | '」'
            | '』'
            | '）'
            | '］'
            | '】'
            | '〕'
            | '〉'
            | '》'
            | '〗'
            | '〙'
            | '〛'
            | '＂'
            | '＇'
    )
}

fn is_opening(c: char) -> bool {
    matches!(
        c,
        '"' | '\''
            | '('
            | '['
            | '{'
            | '“'
            | '‘'
            | '«'
            | '‹'
            | '„'
            | '‚'
            | '「'
            | '『'
            | '（'
            | '［'
            | '【'
            | '〔'
            | '〈'
            | '《'
            | '¿'
            | '¡'
            | '-'
            | '–'
            | '—'
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use xling_core::registry;

    fn split(lang: Option<&str>, text: &str) -> Vec<String> {
        let l = lang.map(|q| registry().resolve(q).unwrap().lang);
        let seg = RuleSegmenter::new(l);
        let parts: Vec<String> = seg
            .segment(text)
            .into_iter()
            .map(|r| text[r].to_string())
            .collect();
        assert_eq!(parts.concat(), text, "segments must reproduce the input");
        parts
            .into_iter()
            .map(|s| s.trim_end().to_string())
            .collect()
    }

    #[test]
    fn english() {
        assert_eq!(
            split(
                Some("en"),
                "Dr. Smith arrived at 3.15 p.m. on Monday. He left! \"Why?\" she asked. J. K. Rowling wrote it."
            ),
            [
                "Dr. Smith arrived at 3.15 p.m. on Monday.",
                "He left!",
                "\"Why?\" she asked.",
                "J. K. Rowling wrote it."
            ]
        );
        assert_eq!(
            split(Some("en"), "It cost $5. Then it rose... And fell."),
            ["It cost $5.", "Then it rose...", "And fell."]
        );
        assert_eq!(
            split(Some("en"), "See www.example.org. Go (now.) Yes."),
            ["See www.example.org.", "Go (now.)", "Yes."]
        );
    }

    #[test]
    fn german_ordinals_and_abbreviations() {
        assert_eq!(
            split(
                Some("de"),
                "Am 3. Oktober kam er, z.B. mit Hr. Müller. Es war kalt."
            ),
            ["Am 3. Oktober kam er, z.B. mit Hr. Müller.", "Es war kalt."]
        );
    }

    #[test]
    fn other_scripts() {
        assert_eq!(
            split(Some("zh"), "我爱北京。你呢？好！"),
            ["我爱北京。", "你呢？", "好！"]
        );
        assert_eq!(
            split(Some("hi"), "मैं घर गया। वह आया॥ ठीक है?"),
            ["मैं घर गया।", "वह आया॥", "ठीक है?"]
        );
        assert_eq!(
            split(Some("am"), "ሰላም ነው። እንዴት ነህ፧"),
            ["ሰላም ነው።", "እንዴት ነህ፧"]
        );
        assert_eq!(
            split(Some("ar"), "هل أنت بخير؟ نعم."),
            ["هل أنت بخير؟", "نعم."]
        );
        assert_eq!(
            split(Some("my"), "ကျွန်တော် သွားမယ်။ ပြီးပြီ။"),
            ["ကျွန်တော် သွားမယ်။", "ပြီးပြီ။"]
        );
    }

    #[test]
    fn newlines_and_edges() {
        assert_eq!(split(None, "one\ntwo\n\nthree"), ["one", "two", "three"]);
        assert_eq!(
            split(None, "no terminators at all"),
            ["no terminators at all"]
        );
        assert!(RuleSegmenter::default().segment("").is_empty());
        assert_eq!(split(None, "   "), ["".to_string()]);
        assert_eq!(split(None, "End.   "), ["End."]);
    }
}
