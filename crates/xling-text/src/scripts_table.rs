//! The table of `xling scripts`: one script profile per language of a corpus.

use xling_core::Signature;
use xling_core::corpus::LoadedCorpus;
use xling_core::table::{Better, Cell, Column, ColumnKind, LangTable, Row, TableError};

use crate::ScriptProfile;

/// Builds the script-profile table of a corpus: characters, bytes per character, dominant script and its
/// share, expected script, purity, whether they match, and the largest script shares (`top` of them).
pub fn scripts_table(corpus: &LoadedCorpus, top: usize) -> Result<LangTable, TableError> {
    let columns = vec![
        Column::new(
            "chars",
            "chars",
            ColumnKind::Int,
            Better::Neither,
            "Unicode characters, whitespace included.",
        )
        .unit("chars"),
        Column::new(
            "bytes_per_char",
            "bytes/char",
            ColumnKind::Float { decimals: 3 },
            Better::Lower,
            "UTF-8 bytes per character.",
        )
        .unit("bytes/char"),
        Column::new(
            "dominant",
            "dominant",
            ColumnKind::Text,
            Better::Neither,
            "Most frequent script among letters and marks.",
        ),
        Column::new(
            "dominant_share",
            "dominant share",
            ColumnKind::Percent { decimals: 1 },
            Better::Neither,
            "Share of non-whitespace characters in the dominant script.",
        ),
        Column::new(
            "expected",
            "expected",
            ColumnKind::Text,
            Better::Neither,
            "The language's writing system (registry).",
        ),
        Column::new(
            "purity",
            "purity",
            ColumnKind::Percent { decimals: 1 },
            Better::Higher,
            "Share of script-bearing characters in the expected writing system.",
        ),
        Column::new(
            "match",
            "match",
            ColumnKind::Text,
            Better::Neither,
            "Whether the dominant script belongs to the expected writing system.",
        ),
        Column::new(
            "scripts",
            "scripts",
            ColumnKind::Text,
            Better::Neither,
            "Largest shares of non-whitespace characters by script (Zyyy = digits, punctuation, symbols).",
        ),
    ];
    let signature = Signature::new("scripts")
        .with("corpus", &corpus.name)
        .with("langs", corpus.streams.len())
        .with("unicode", "icu4x")
        .with_data(corpus.data_hash());
    let mut table = LangTable::new(format!("Scripts: {}", corpus.name), columns, signature);
    for s in &corpus.streams {
        let p = ScriptProfile::of_segments(s.segments.iter().map(|g| g.text.as_str()));
        let expected = s.variety.lang.map(|l| l.script);
        let dominant = p.dominant();
        let text = |v: Option<String>| v.map_or(Cell::Missing, Cell::Text);
        table.push(Row {
            key: s.variety.key.clone(),
            name: s.variety.name().to_string(),
            script: expected
                .or(dominant)
                .map_or_else(|| "Zzzz".to_string(), |x| x.to_string()),
            cells: vec![
                Cell::Int(p.chars as i64),
                Cell::Float(p.bytes_per_char()),
                text(dominant.map(|d| d.to_string())),
                dominant.map_or(Cell::Missing, |d| Cell::Float(p.share(d))),
                text(expected.map(|e| e.to_string())),
                expected
                    .and_then(|e| p.purity(e))
                    .map_or(Cell::Missing, Cell::Float),
                text(
                    expected
                        .filter(|_| dominant.is_some())
                        .map(|e| if p.matches(e) { "yes" } else { "no" }.to_string()),
                ),
                Cell::Text(p.summary(top)),
            ],
        })?;
    }
    if corpus.streams.iter().any(|s| s.variety.lang.is_none()) {
        table.notes.push(
            "Language unknown for 'und' rows: pass --lang to check the expected script.".into(),
        );
    }
    Ok(table)
}
