//! # xling-report
//!
//! Renderers for the per-language results table ([`LangTable`]) that every xling verb produces. This
//! crate owns how a table looks, never what is in it:
//!
//! - [`render`] / [`render_to`]: the four text formats of [`Format`] — an aligned terminal table, pretty
//!   JSON, CSV and GitHub-flavoured Markdown — each carrying the table's notes and
//!   [signature](xling_core::Signature) where the format has room for them;
//! - [`html_report`] / [`write_html_report`]: a self-contained HTML report (inline CSS and hand-written
//!   inline SVG bar charts, no JavaScript, no network) for one or more tables;
//! - [`browser`]: a thin driver for headless Chromium so tests can check that the report renders.
//!
//! The crate computes no metric and reads no environment variable; it prints nothing itself.
//!
//! ## Formats at a glance
//!
//! | format  | numbers                                   | missing | notes | signature                         |
//! |---------|-------------------------------------------|---------|-------|-----------------------------------|
//! | `table` | rounded per column ([`Column::format`])   | `–`     | yes   | `signature: …` line at the bottom |
//! | `json`  | full precision, percent as fraction       | `null`  | yes   | string plus parsed fields         |
//! | `csv`   | full precision, percent as fraction       | empty   | no    | none (see below)                  |
//! | `md`    | rounded per column                        | `–`     | yes   | in backticks under the table      |
//!
//! CSV output is exactly one header line and one line per language so that every CSV reader accepts it;
//! comment or trailer lines would break many of them. Callers that want the signature next to a CSV file
//! print [`render_signature_line`] somewhere else (the CLI writes it to standard error).
//!
//! [`Column::format`]: xling_core::Column::format

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::str::FromStr;

use xling_core::LangTable;

pub mod browser;
mod chart;
mod csv_out;
mod figures;
mod html;
mod json;
mod lines;
mod num;
mod palette;
mod stacked;
mod text;

pub use figures::{
    Figure, grouped_bars_svg, heatmap_svg, html_report_with_figures, write_html_report_with_figures,
};
pub use html::{HtmlOptions, html_report, write_html_report};
pub use json::JsonTable;
pub use lines::{line_chart_svg, unit_heatmap_svg};
pub use palette::script_colour;
pub use stacked::{OTHER_LABEL, StackedShares, stacked_shares, stacked_shares_svg};

/// A text output format for one table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// An aligned plain-text table for the terminal, with notes and the signature under it.
    Table,
    /// Pretty-printed JSON (see [`JsonTable`] for the layout).
    Json,
    /// CSV: a header line and one line per language; no notes, no signature.
    Csv,
    /// A GitHub-flavoured Markdown table with notes and the signature under it.
    Md,
}

impl Format {
    /// Every format, in the order they are listed in help texts.
    pub const ALL: [Format; 4] = [Format::Table, Format::Json, Format::Csv, Format::Md];

    /// The name used on the command line (`table`, `json`, `csv`, `md`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Md => "md",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of [`Format::from_str`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown output format '{0}' (expected one of: table, json, csv, md)")]
pub struct FormatParseError(pub String);

impl FromStr for Format {
    type Err = FormatParseError;

    /// Parses `table`, `json`, `csv` or `md` (also `markdown`), case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "table" => Ok(Format::Table),
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            "md" | "markdown" => Ok(Format::Md),
            _ => Err(FormatParseError(s.to_string())),
        }
    }
}

/// Options of the text renderers. JSON and CSV ignore them: their content is fixed so that machines can
/// rely on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextOptions {
    /// What a missing cell shows in the terminal and Markdown tables (default `–`).
    pub missing: String,
    /// Print the table's title above it (default `true`).
    pub title: bool,
    /// Print the table's notes under it (default `true`).
    pub notes: bool,
    /// Print the signature under it (default `true`).
    pub signature: bool,
}

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions {
            missing: "–".to_string(),
            title: true,
            notes: true,
            signature: true,
        }
    }
}

/// Renders one table in a text format. The result ends with a newline.
pub fn render(table: &LangTable, format: Format, opts: &TextOptions) -> String {
    match format {
        Format::Table => text::terminal(table, opts),
        Format::Json => json::to_pretty(table),
        Format::Csv => csv_out::to_string(table),
        Format::Md => text::markdown(table, opts),
    }
}

/// Renders one table in a text format into a writer (see [`render`]).
pub fn render_to<W: io::Write>(
    mut out: W,
    table: &LangTable,
    format: Format,
    opts: &TextOptions,
) -> io::Result<()> {
    match format {
        Format::Csv => csv_out::write(&mut out, table),
        _ => out.write_all(render(table, format, opts).as_bytes()),
    }
}

/// The line `signature: <signature>` (without a newline), as the terminal and Markdown renderers print
/// it. Use it to report the signature of a CSV output on another channel.
pub fn render_signature_line(table: &LangTable) -> String {
    format!("signature: {}", table.signature)
}

/// Errors of this crate's file output.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The report file could not be written (missing or read-only directory, full disk, …).
    #[error("cannot write the report to '{}': {source}", path.display())]
    Write {
        /// The path that could not be written.
        path: PathBuf,
        /// The underlying I/O error.
        source: io::Error,
    },
}

#[cfg(test)]
pub(crate) mod testutil {
    use xling_core::{Better, Cell, Column, ColumnKind, LangTable, Row, Signature};

    /// A small table with Int, Float, Percent and Text columns, a missing cell and a note.
    pub fn small() -> LangTable {
        let cols = vec![
            Column::new(
                "chars",
                "characters",
                ColumnKind::Int,
                Better::Neither,
                "Characters in the sample.",
            )
            .unit("chars"),
            Column::new(
                "byte_premium",
                "byte premium",
                ColumnKind::Float { decimals: 2 },
                Better::Lower,
                "UTF-8 bytes per character, relative to English.",
            )
            .unit("bytes/char"),
            Column::new(
                "coverage",
                "coverage",
                ColumnKind::Percent { decimals: 1 },
                Better::Higher,
                "Share of characters in the expected script.",
            ),
            Column::new(
                "label",
                "label",
                ColumnKind::Text,
                Better::Neither,
                "A free-text label.",
            ),
        ];
        let sig = Signature::new("report")
            .with("corpus", "flores200-sample")
            .with("base", "eng_Latn")
            .with_data("0123abcd");
        let mut t = LangTable::new("Report card: test", cols, sig);
        let rows = [
            (
                "hin_Deva",
                "Hindi",
                "Deva",
                vec![
                    Cell::Int(1200),
                    Cell::Float(2.3104123456789),
                    Cell::Float(0.987654321),
                    Cell::Text("a|b, \"c\"".into()),
                ],
            ),
            (
                "eng_Latn",
                "English",
                "Latn",
                vec![
                    Cell::Int(1000),
                    Cell::Float(1.0),
                    Cell::Float(1.0),
                    Cell::Text("base".into()),
                ],
            ),
            (
                "xyz_Latn",
                "<script>alert(1)</script> Ñandú",
                "Latn",
                vec![
                    Cell::Int(-5),
                    Cell::Missing,
                    Cell::Float(0.5),
                    Cell::Missing,
                ],
            ),
        ];
        for (key, name, script, cells) in rows {
            t.push(Row {
                key: key.into(),
                name: name.into(),
                script: script.into(),
                cells,
            })
            .expect("valid row");
        }
        t.notes
            .push("xyz_Latn has no byte premium: <excluded> & why".into());
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_round_trips_through_its_name() {
        for f in Format::ALL {
            assert_eq!(f.to_string().parse::<Format>(), Ok(f));
        }
        assert_eq!("Markdown".parse::<Format>(), Ok(Format::Md));
        let err = "yaml".parse::<Format>().expect_err("an error");
        assert!(err.to_string().contains("'yaml'"));
    }

    #[test]
    fn render_to_matches_render() {
        let t = testutil::small();
        for f in Format::ALL {
            let mut buf = Vec::new();
            render_to(&mut buf, &t, f, &TextOptions::default()).expect("ok");
            assert_eq!(
                String::from_utf8(buf).expect("ok"),
                render(&t, f, &TextOptions::default())
            );
        }
    }

    #[test]
    fn signature_line() {
        let t = testutil::small();
        assert!(render_signature_line(&t).starts_with("signature: xling:report|corpus:"));
    }
}
