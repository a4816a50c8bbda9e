//! The script make-up of a text.
//!
//! Every character gets its Unicode Script property value. Combining marks (`Zinh`, "Inherited") take the
//! script of the character they attach to, as the Unicode Standard intends; whitespace is not counted; other
//! shared characters (digits, punctuation: `Zyyy`, "Common") are counted but never dominant. A language's
//! writing system maps onto property values with [`Script::unicode_scripts`] (`Jpan` → `Hani`, `Hira`,
//! `Kana`), so Japanese text is "pure" even though it mixes three property values.

use std::collections::BTreeMap;

use icu_properties::props::Script as IcuScript;
use icu_properties::{CodePointMapData, PropertyNamesShort};
use serde::Serialize;
use xling_core::Script;

/// Character counts of a text by Unicode script.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ScriptProfile {
    /// All Unicode scalar values, whitespace included.
    pub chars: u64,
    /// UTF-8 bytes.
    pub bytes: u64,
    /// Whitespace characters (not assigned to any script).
    pub whitespace: u64,
    /// Non-whitespace characters by script, `Zinh` marks folded into their base character's script.
    pub by_script: BTreeMap<Script, u64>,
}

/// Counts by the raw ICU script value, converted to [`Script`] codes only once at the end.
#[derive(Clone)]
struct Counter {
    counts: Vec<u64>,
    chars: u64,
    bytes: u64,
    whitespace: u64,
    /// ICU value of the last non-inherited character, for `Zinh` marks.
    last_base: Option<u16>,
}

const INHERITED: u16 = IcuScript::Inherited.to_icu4c_value();
const COMMON: u16 = IcuScript::Common.to_icu4c_value();
const LATIN: u16 = IcuScript::Latin.to_icu4c_value();

impl Counter {
    fn new() -> Self {
        Counter {
            counts: vec![0; 256],
            chars: 0,
            bytes: 0,
            whitespace: 0,
            last_base: None,
        }
    }

    fn add(&mut self, text: &str) {
        let map = CodePointMapData::<IcuScript>::new();
        self.bytes += text.len() as u64;
        for c in text.chars() {
            self.chars += 1;
            if c.is_whitespace() {
                self.whitespace += 1;
                self.last_base = None;
                continue;
            }
            let v = if c.is_ascii() {
                if c.is_ascii_alphabetic() {
                    LATIN
                } else {
                    COMMON
                }
            } else {
                map.get(c).to_icu4c_value()
            };
            let v = if v == INHERITED {
                self.last_base.unwrap_or(INHERITED)
            } else {
                v
            };
            if v != INHERITED {
                self.last_base = Some(v);
            }
            let i = usize::from(v);
            if i >= self.counts.len() {
                self.counts.resize(i + 1, 0);
            }
            self.counts[i] += 1;
        }
        // Lines are separate units: a mark at the start of the next text has no base here.
        self.last_base = None;
    }

    fn finish(self) -> ScriptProfile {
        let names = PropertyNamesShort::<IcuScript>::new();
        let mut by_script = BTreeMap::new();
        for (v, &n) in self.counts.iter().enumerate() {
            if n == 0 {
                continue;
            }
            let code = u16::try_from(v)
                .ok()
                .and_then(|v| names.get_locale_script(IcuScript::from_icu4c_value(v)))
                .and_then(|s| Script::parse(s.as_str()))
                .unwrap_or(Script::UNKNOWN);
            *by_script.entry(code).or_insert(0) += n;
        }
        ScriptProfile {
            chars: self.chars,
            bytes: self.bytes,
            whitespace: self.whitespace,
            by_script,
        }
    }
}

impl ScriptProfile {
    /// The profile of one text.
    pub fn of(text: &str) -> Self {
        Self::of_segments(std::iter::once(text))
    }

    /// The profile of many segments (lines), each a separate unit.
    pub fn of_segments<'a>(segments: impl IntoIterator<Item = &'a str>) -> Self {
        let mut c = Counter::new();
        for s in segments {
            c.add(s);
        }
        c.finish()
    }

    /// Non-whitespace characters.
    pub fn counted(&self) -> u64 {
        self.by_script.values().sum()
    }

    /// Characters that belong to a specific script (not `Zyyy`, `Zinh`, `Zzzz`).
    pub fn script_bearing(&self) -> u64 {
        self.by_script
            .iter()
            .filter(|(s, _)| !s.is_neutral())
            .map(|(_, n)| n)
            .sum()
    }

    /// Share of non-whitespace characters in `script` (0 when the text has none).
    pub fn share(&self, script: Script) -> f64 {
        ratio(
            self.by_script.get(&script).copied().unwrap_or(0),
            self.counted(),
        )
    }

    /// Scripts with their shares of non-whitespace characters, largest first.
    pub fn shares(&self) -> Vec<(Script, f64)> {
        let mut v: Vec<(Script, f64)> = self
            .by_script
            .iter()
            .map(|(s, n)| (*s, ratio(*n, self.counted())))
            .collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }

    /// The most frequent script other than `Zyyy`/`Zinh`/`Zzzz`; `None` for text with no letters.
    pub fn dominant(&self) -> Option<Script> {
        self.by_script
            .iter()
            .filter(|(s, _)| !s.is_neutral())
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(s, _)| *s)
    }

    /// Share of script-bearing characters that belong to the writing system `expected` (e.g. `Jpan` counts
    /// Han, Hiragana and Katakana). `None` when the text has no script-bearing characters.
    pub fn purity(&self, expected: Script) -> Option<f64> {
        let total = self.script_bearing();
        if total == 0 {
            return None;
        }
        let wanted = expected.unicode_scripts();
        let hit: u64 = self
            .by_script
            .iter()
            .filter(|(s, _)| wanted.contains(s))
            .map(|(_, n)| n)
            .sum();
        Some(ratio(hit, total))
    }

    /// Whether the dominant script belongs to the writing system `expected`.
    pub fn matches(&self, expected: Script) -> bool {
        self.dominant()
            .is_some_and(|d| expected.unicode_scripts().contains(&d))
    }

    /// UTF-8 bytes per character (0 for empty text).
    pub fn bytes_per_char(&self) -> f64 {
        ratio(self.bytes, self.chars)
    }

    /// A short summary of the largest shares, e.g. `Deva 96.1%, Zyyy 3.9%`.
    pub fn summary(&self, max: usize) -> String {
        let shares = self.shares();
        let mut parts: Vec<String> = shares
            .iter()
            .take(max)
            .map(|(s, f)| format!("{s} {:.1}%", f * 100.0))
            .collect();
        if shares.len() > max {
            parts.push(format!("+{} more", shares.len() - max));
        }
        parts.join(", ")
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(code: &str) -> Script {
        Script::parse(code).unwrap()
    }

    #[test]
    fn counts_scripts_without_whitespace() {
        let p = ScriptProfile::of("नमस्ते दुनिया 12!");
        assert_eq!(p.chars, 17);
        assert_eq!(p.whitespace, 2);
        assert_eq!(p.by_script.get(&s("Deva")), Some(&12));
        assert_eq!(p.by_script.get(&Script::COMMON), Some(&3));
        assert_eq!(p.dominant(), Some(s("Deva")));
        assert_eq!(p.purity(s("Deva")), Some(1.0));
        assert!(p.matches(s("Deva")));
        assert!(!p.matches(s("Latn")));
        assert!((p.share(s("Deva")) - 12.0 / 15.0).abs() < 1e-12);
    }

    #[test]
    fn inherited_marks_join_their_base() {
        // "é" as e + COMBINING ACUTE ACCENT (Zinh) counts as two Latin characters.
        let p = ScriptProfile::of("e\u{0301}");
        assert_eq!(p.by_script.get(&Script::LATIN), Some(&2));
        assert!(!p.by_script.contains_key(&Script::INHERITED));
        // A mark with no base stays Inherited.
        let p = ScriptProfile::of("\u{0301}");
        assert_eq!(p.by_script.get(&Script::INHERITED), Some(&1));
    }

    #[test]
    fn writing_systems_cover_mixed_property_values() {
        let p = ScriptProfile::of("日本語のテキスト");
        assert_eq!(p.purity(s("Jpan")), Some(1.0));
        assert!(p.matches(s("Jpan")));
        assert!(p.purity(s("Hans")).unwrap() < 0.5);
        let k = ScriptProfile::of("한국어 漢字");
        assert_eq!(k.purity(s("Kore")), Some(1.0));
    }

    #[test]
    fn mixed_and_empty() {
        let p = ScriptProfile::of("hello мир");
        assert_eq!(p.dominant(), Some(Script::LATIN));
        assert_eq!(p.purity(Script::LATIN), Some(5.0 / 8.0));
        assert_eq!(p.summary(1), "Latn 62.5%, +1 more");
        let e = ScriptProfile::of("");
        assert_eq!(e.dominant(), None);
        assert_eq!(e.purity(Script::LATIN), None);
        assert_eq!(e.bytes_per_char(), 0.0);
    }

    #[test]
    fn bytes_per_char() {
        assert_eq!(ScriptProfile::of("abc").bytes_per_char(), 1.0);
        assert_eq!(ScriptProfile::of("ह").bytes_per_char(), 3.0);
    }
}
