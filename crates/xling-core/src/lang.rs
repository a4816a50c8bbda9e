//! The language registry. (Stub: being replaced by the full registry.)

use std::sync::OnceLock;

use serde::Serialize;

use crate::Script;

/// One language in one writing system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Language {
    /// FLORES-style code, `iso639_3 + "_" + script` (`hin_Deva`); the FLORES-200 code when in FLORES-200.
    pub code: String,
    /// ISO 639-3 code (`hin`).
    pub iso639_3: String,
    /// ISO 639-1 code where one exists (`hi`).
    pub iso639_1: Option<String>,
    /// ISO 15924 writing system (`Deva`).
    pub script: Script,
    /// English name (`Hindi`).
    pub name: String,
    /// ISO 639-3 code of the macrolanguage this language belongs to (`pes` → `fas`).
    pub macrolanguage: Option<String>,
    /// Estimated number of speakers, where known.
    pub speakers: Option<u64>,
    /// Whether the code is one of the 204 FLORES-200 codes.
    pub in_flores200: bool,
}

/// How a query matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MatchKind {
    /// The FLORES-style code itself.
    Code,
    /// An ISO 639-3 code.
    Iso639_3,
    /// An ISO 639-1 code.
    Iso639_1,
    /// A BCP-47 tag with script and/or region.
    Bcp47,
    /// An English name.
    Name,
    /// A macrolanguage code resolved to its default member.
    Macrolanguage,
}

/// A query resolved to one language, with the other languages it could also have meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved<'a> {
    /// The language chosen.
    pub lang: &'a Language,
    /// Other languages the query also covers (`fas` → `prs_Arab` beside `pes_Arab`).
    pub alternatives: Vec<&'a Language>,
    /// How the query matched.
    pub matched: MatchKind,
    /// The region subtag of a BCP-47 query (`pt-BR` → `BR`).
    pub region: Option<String>,
}

/// Why a query did not resolve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LangError {
    /// The query was empty.
    #[error("empty language code")]
    Empty,
    /// Nothing matched.
    #[error("unknown language '{query}'{}", suggest(suggestions))]
    Unknown {
        /// The query.
        query: String,
        /// The closest codes and names.
        suggestions: Vec<String>,
    },
    /// Several unrelated languages matched and none is a default.
    #[error("'{query}' is ambiguous: it could be {}", candidates.join(", "))]
    Ambiguous {
        /// The query.
        query: String,
        /// The candidate codes.
        candidates: Vec<String>,
    },
}

fn suggest(s: &[String]) -> String {
    if s.is_empty() {
        String::new()
    } else {
        format!(" (did you mean {}?)", s.join(", "))
    }
}

/// The language registry.
pub struct Registry {
    langs: Vec<Language>,
}

/// The registry compiled into the binary.
pub fn registry() -> &'static Registry {
    static R: OnceLock<Registry> = OnceLock::new();
    R.get_or_init(|| Registry { langs: Vec::new() })
}

impl Registry {
    /// The language with this exact code (case-insensitive).
    pub fn get(&self, code: &str) -> Option<&Language> {
        self.langs
            .iter()
            .find(|l| l.code.eq_ignore_ascii_case(code))
    }

    /// Resolves any supported form of a language reference.
    pub fn resolve(&self, query: &str) -> Result<Resolved<'_>, LangError> {
        let lang = self.get(query).ok_or_else(|| LangError::Unknown {
            query: query.to_string(),
            suggestions: vec![],
        })?;
        Ok(Resolved {
            lang,
            alternatives: vec![],
            matched: MatchKind::Code,
            region: None,
        })
    }

    /// All languages, in code order.
    pub fn iter(&self) -> impl Iterator<Item = &Language> {
        self.langs.iter()
    }
}
