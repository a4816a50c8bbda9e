//! The per-language results table every xling verb produces.
//!
//! A [`LangTable`] has one [`Row`] per language variety and typed [`Column`]s. Each column knows its
//! unit, whether higher values are better, and how to format itself, so every renderer (terminal, JSON,
//! CSV, Markdown, HTML in `xling-report`) shows the same numbers the same way. The [`Signature`] travels
//! with the table and is printed under it by every renderer.

use serde::Serialize;

use crate::Signature;

/// Which direction of a column is "good".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    /// Larger values are better (accuracy, BLEU).
    Higher,
    /// Smaller values are better (token premium, error rate).
    Lower,
    /// A descriptive quantity with no preferred direction (character count).
    Neither,
}

/// The type of a column's cells and how they are formatted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ColumnKind {
    /// Whole numbers, printed without decimals.
    Int,
    /// Real numbers printed with `decimals` digits after the point (JSON keeps full precision).
    Float {
        /// Digits after the decimal point in text renderings.
        decimals: u8,
    },
    /// A fraction in `[0, 1]` printed as a percentage with `decimals` digits (JSON keeps the fraction).
    Percent {
        /// Digits after the decimal point of the percentage.
        decimals: u8,
    },
    /// Free text (a script code, a label).
    Text,
}

/// One column of a [`LangTable`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Column {
    /// Stable machine name (`byte_premium`): JSON keys and CSV headers.
    pub id: String,
    /// Short human header (`byte premium`).
    pub header: String,
    /// Cell type and formatting.
    pub kind: ColumnKind,
    /// Which direction is better.
    pub better: Better,
    /// Unit, if any (`bytes`, `chars`, `×`).
    pub unit: Option<String>,
    /// One sentence saying what the column measures and how.
    pub description: String,
    /// Whether the HTML report draws a bar chart of this column (numeric columns only).
    pub chart: bool,
}

impl Column {
    /// A numeric or text column with no unit, charted when numeric.
    pub fn new(
        id: &str,
        header: &str,
        kind: ColumnKind,
        better: Better,
        description: &str,
    ) -> Self {
        Column {
            id: id.to_string(),
            header: header.to_string(),
            kind,
            better,
            unit: None,
            description: description.to_string(),
            chart: kind != ColumnKind::Text,
        }
    }

    /// Sets the unit (builder style).
    pub fn unit(mut self, unit: &str) -> Self {
        self.unit = Some(unit.to_string());
        self
    }

    /// Sets whether the HTML report charts this column (builder style).
    pub fn charted(mut self, chart: bool) -> Self {
        self.chart = chart && self.kind != ColumnKind::Text;
        self
    }

    /// The unit as headers show it: `None` when it would only repeat the header (`chars (chars)`).
    pub fn shown_unit(&self) -> Option<&str> {
        self.unit.as_deref().filter(|u| *u != self.header)
    }

    /// Formats a cell of this column for text renderings (terminal, CSV, Markdown). Missing cells are
    /// empty strings; renderers choose how to show them.
    pub fn format(&self, cell: &Cell) -> String {
        match (cell, self.kind) {
            (Cell::Missing, _) => String::new(),
            (Cell::Text(s), _) => s.clone(),
            (Cell::Int(v), _) => v.to_string(),
            (Cell::Float(v), ColumnKind::Float { decimals }) => {
                format!("{v:.*}", decimals as usize)
            }
            (Cell::Float(v), ColumnKind::Percent { decimals }) => {
                format!("{:.*}%", decimals as usize, v * 100.0)
            }
            (Cell::Float(v), _) => v.to_string(),
        }
    }
}

/// One value of a row.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Cell {
    /// An integer count.
    Int(i64),
    /// A real number (or a fraction, for percent columns).
    Float(f64),
    /// Text.
    Text(String),
    /// No value: not applicable, or excluded (the table's notes say why). JSON `null`.
    Missing,
}

impl Cell {
    /// The numeric value, if any.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Cell::Int(v) => Some(*v as f64),
            Cell::Float(v) if v.is_finite() => Some(*v),
            _ => None,
        }
    }
}

/// One language variety's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// The variety's key: a FLORES-style code (`hin_Deva`), possibly with a region or variant suffix that
    /// the corpus gave it (`eng_Latn-GB`).
    pub key: String,
    /// English name of the language.
    pub name: String,
    /// ISO 15924 code of the language's writing system, used to group and colour rows.
    pub script: String,
    /// One cell per column, in column order.
    pub cells: Vec<Cell>,
}

/// A per-language results table with its signature.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LangTable {
    /// Title (`Report card: flores200-sample`).
    pub title: String,
    /// The columns, in display order.
    pub columns: Vec<Column>,
    /// The rows, in display order.
    pub rows: Vec<Row>,
    /// Remarks a reader needs (exclusions, caveats), printed under the table.
    pub notes: Vec<String>,
    /// How to reproduce the numbers.
    pub signature: Signature,
}

/// Errors building a table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    /// A row has a different number of cells than the table has columns.
    #[error("row '{key}' has {got} cells but the table has {want} columns")]
    RowWidth {
        /// The row's key.
        key: String,
        /// Cells in the row.
        got: usize,
        /// Columns in the table.
        want: usize,
    },
    /// Two rows share a key.
    #[error("two rows share the key '{0}'")]
    DuplicateKey(String),
}

impl LangTable {
    /// An empty table with the given title, columns and signature.
    pub fn new(title: impl Into<String>, columns: Vec<Column>, signature: Signature) -> Self {
        LangTable {
            title: title.into(),
            columns,
            rows: Vec::new(),
            notes: Vec::new(),
            signature,
        }
    }

    /// Appends a row after checking its width and key.
    pub fn push(&mut self, row: Row) -> Result<(), TableError> {
        if row.cells.len() != self.columns.len() {
            return Err(TableError::RowWidth {
                key: row.key,
                got: row.cells.len(),
                want: self.columns.len(),
            });
        }
        if self.rows.iter().any(|r| r.key == row.key) {
            return Err(TableError::DuplicateKey(row.key));
        }
        self.rows.push(row);
        Ok(())
    }

    /// The index of the column with this id.
    pub fn column_index(&self, id: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.id == id)
    }

    /// The row with this key.
    pub fn row(&self, key: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.key == key)
    }

    /// The cell at row `key`, column `id`.
    pub fn get(&self, key: &str, id: &str) -> Option<&Cell> {
        let c = self.column_index(id)?;
        self.row(key).map(|r| &r.cells[c])
    }

    /// Sorts rows by a numeric column (missing values last); `descending` puts the largest first.
    pub fn sort_by_column(&mut self, id: &str, descending: bool) {
        let Some(c) = self.column_index(id) else {
            return;
        };
        self.rows.sort_by(|a, b| {
            match (a.cells[c].as_f64(), b.cells[c].as_f64()) {
                (Some(x), Some(y)) if descending => y.total_cmp(&x),
                (Some(x), Some(y)) => x.total_cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            }
            .then_with(|| a.key.cmp(&b.key))
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> LangTable {
        let cols = vec![
            Column::new("n", "n", ColumnKind::Int, Better::Neither, "count"),
            Column::new(
                "p",
                "p",
                ColumnKind::Float { decimals: 2 },
                Better::Lower,
                "premium",
            ),
        ];
        LangTable::new("t", cols, Signature::new("test"))
    }

    fn row(key: &str, n: i64, p: Cell) -> Row {
        Row {
            key: key.into(),
            name: key.into(),
            script: "Latn".into(),
            cells: vec![Cell::Int(n), p],
        }
    }

    #[test]
    fn push_checks_width_and_duplicates() {
        let mut t = table();
        t.push(row("a", 1, Cell::Float(1.0))).unwrap();
        assert!(matches!(
            t.push(row("a", 2, Cell::Missing)),
            Err(TableError::DuplicateKey(_))
        ));
        let bad = Row {
            key: "b".into(),
            name: "b".into(),
            script: "Latn".into(),
            cells: vec![],
        };
        assert!(matches!(
            t.push(bad),
            Err(TableError::RowWidth {
                got: 0,
                want: 2,
                ..
            })
        ));
    }

    #[test]
    fn formats_by_kind() {
        let f = Column::new(
            "x",
            "x",
            ColumnKind::Float { decimals: 3 },
            Better::Higher,
            "",
        );
        assert_eq!(f.format(&Cell::Float(1.23456)), "1.235");
        let p = Column::new(
            "x",
            "x",
            ColumnKind::Percent { decimals: 1 },
            Better::Higher,
            "",
        );
        assert_eq!(p.format(&Cell::Float(0.9876)), "98.8%");
        assert_eq!(p.format(&Cell::Missing), "");
        assert!(!Column::new("t", "t", ColumnKind::Text, Better::Neither, "").chart);
        let c = Column::new("c", "chars", ColumnKind::Int, Better::Neither, "").unit("chars");
        assert_eq!(c.shown_unit(), None);
        assert_eq!(c.unit("×").shown_unit(), Some("×"));
    }

    #[test]
    fn sorts_with_missing_last() {
        let mut t = table();
        t.push(row("a", 1, Cell::Float(2.0))).unwrap();
        t.push(row("b", 1, Cell::Missing)).unwrap();
        t.push(row("c", 1, Cell::Float(3.0))).unwrap();
        t.sort_by_column("p", true);
        let keys: Vec<_> = t.rows.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["c", "a", "b"]);
        t.sort_by_column("p", false);
        let keys: Vec<_> = t.rows.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["a", "c", "b"]);
        assert_eq!(t.get("c", "p"), Some(&Cell::Float(3.0)));
    }
}
