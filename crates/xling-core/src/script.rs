//! ISO 15924 script codes and the Unicode Script property.
//!
//! A [`Script`] is a four-letter ISO 15924 code (`Latn`, `Deva`, `Hans`). Two kinds of codes meet here:
//! the *writing-system* codes used in language tags (`Hans`, `Hant`, `Jpan`, `Kore` name mixtures) and the
//! *Unicode Script property* values a single character has (`Hani`, `Hira`, `Kana`, `Hang`, plus `Zyyy`
//! "Common", `Zinh` "Inherited" and `Zzzz` "Unknown"). [`Script::of_char`] gives the latter;
//! [`Script::unicode_scripts`] maps the former onto the latter so a text's characters can be checked against
//! a language's expected writing system.

use std::fmt;
use std::str::FromStr;

use icu_properties::props::{NamedEnumeratedProperty, Script as IcuScript};
use icu_properties::{CodePointMapData, PropertyNamesLong, PropertyNamesShort};

/// An ISO 15924 script code, stored as its four ASCII letters in canonical case (`Latn`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Script([u8; 4]);

impl Script {
    /// `Zyyy`: characters shared by many scripts (digits, punctuation, spaces).
    pub const COMMON: Script = Script(*b"Zyyy");
    /// `Zinh`: combining marks that take the script of the character they attach to.
    pub const INHERITED: Script = Script(*b"Zinh");
    /// `Zzzz`: unassigned or unknown.
    pub const UNKNOWN: Script = Script(*b"Zzzz");
    /// `Latn`.
    pub const LATIN: Script = Script(*b"Latn");

    /// Parses a four-letter code, case-insensitively (`latn` → `Latn`). Returns `None` unless the input
    /// is exactly four ASCII letters.
    pub fn parse(code: &str) -> Option<Script> {
        let b = code.as_bytes();
        if b.len() != 4 || !b.iter().all(u8::is_ascii_alphabetic) {
            return None;
        }
        Some(Script([
            b[0].to_ascii_uppercase(),
            b[1].to_ascii_lowercase(),
            b[2].to_ascii_lowercase(),
            b[3].to_ascii_lowercase(),
        ]))
    }

    /// The code as a string slice (`"Latn"`).
    pub fn as_str(&self) -> &str {
        // The bytes are ASCII letters by construction (`parse` and the constants), so this cannot fail.
        std::str::from_utf8(&self.0).unwrap_or("Zzzz")
    }

    /// The Unicode Script property value of one character, as an ISO 15924 code.
    pub fn of_char(c: char) -> Script {
        let s = CodePointMapData::<IcuScript>::new().get(c);
        PropertyNamesShort::<IcuScript>::new()
            .get_locale_script(s)
            .and_then(|code| Script::parse(code.as_str()))
            .unwrap_or(Script::UNKNOWN)
    }

    /// True for `Zyyy`, `Zinh` and `Zzzz`: values that say nothing about which writing system a text uses.
    pub fn is_neutral(&self) -> bool {
        matches!(&self.0, b"Zyyy" | b"Zinh" | b"Zzzz")
    }

    /// The Unicode Script property values that text in this writing system consists of. Most codes map to
    /// themselves; `Hans`/`Hant` → `Hani`; `Jpan` → `Hani`, `Hira`, `Kana`; `Kore` → `Hang`, `Hani`;
    /// `Hrkt` → `Hira`, `Kana`.
    pub fn unicode_scripts(&self) -> Vec<Script> {
        let s = |c: &[u8; 4]| Script(*c);
        match &self.0 {
            b"Hans" | b"Hant" => vec![s(b"Hani")],
            b"Jpan" => vec![s(b"Hani"), s(b"Hira"), s(b"Kana")],
            b"Kore" => vec![s(b"Hang"), s(b"Hani")],
            b"Hrkt" => vec![s(b"Hira"), s(b"Kana")],
            _ => vec![*self],
        }
    }

    /// The English name of the script (`Devanagari`), from the Unicode property aliases; writing-system
    /// codes that are not Unicode Script values get their ISO 15924 names.
    pub fn name(&self) -> String {
        match &self.0 {
            b"Hans" => return "Han (Simplified)".into(),
            b"Hant" => return "Han (Traditional)".into(),
            b"Jpan" => return "Japanese".into(),
            b"Kore" => return "Korean".into(),
            b"Hrkt" => return "Japanese syllabaries".into(),
            _ => {}
        }
        IcuScript::try_from_str(self.as_str())
            .and_then(|s| PropertyNamesLong::<IcuScript>::new().get(s))
            .map(|n| n.replace('_', " "))
            .unwrap_or_else(|| self.as_str().to_string())
    }
}

impl fmt::Display for Script {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Script {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Script({})", self.as_str())
    }
}

/// The error of [`Script::from_str`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an ISO 15924 script code (four letters, e.g. Latn, Deva, Hans)")]
pub struct ScriptParseError(pub String);

impl FromStr for Script {
    type Err = ScriptParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Script::parse(s).ok_or_else(|| ScriptParseError(s.to_string()))
    }
}

impl serde::Serialize for Script {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_case_insensitively() {
        assert_eq!(Script::parse("latn"), Some(Script::LATIN));
        assert_eq!(
            Script::parse("DEVA").map(|s| s.to_string()),
            Some("Deva".into())
        );
        assert_eq!(Script::parse("Lat"), None);
        assert_eq!(Script::parse("La1n"), None);
    }

    #[test]
    fn unicode_script_of_characters() {
        assert_eq!(Script::of_char('a').as_str(), "Latn");
        assert_eq!(Script::of_char('ह').as_str(), "Deva");
        assert_eq!(Script::of_char('中').as_str(), "Hani");
        assert_eq!(Script::of_char('か').as_str(), "Hira");
        assert_eq!(Script::of_char('한').as_str(), "Hang");
        assert_eq!(Script::of_char('1'), Script::COMMON);
        assert_eq!(Script::of_char('\u{0301}'), Script::INHERITED);
        assert_eq!(Script::of_char('\u{0378}'), Script::UNKNOWN);
    }

    #[test]
    fn writing_systems_map_to_unicode_scripts() {
        let jpan = Script::parse("Jpan").unwrap();
        assert_eq!(jpan.unicode_scripts().len(), 3);
        assert_eq!(
            Script::parse("Hant").unwrap().unicode_scripts()[0].as_str(),
            "Hani"
        );
        assert_eq!(Script::LATIN.unicode_scripts(), vec![Script::LATIN]);
    }

    #[test]
    fn names() {
        assert_eq!(Script::parse("Deva").unwrap().name(), "Devanagari");
        assert_eq!(Script::parse("Hans").unwrap().name(), "Han (Simplified)");
        assert_eq!(Script::parse("Ethi").unwrap().name(), "Ethiopic");
    }
}
