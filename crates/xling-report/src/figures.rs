//! Figures that compare several series per language — one per tokenizer in `xling tokenizers` — added
//! to the HTML report above its tables: grouped horizontal bars (one bar per series, languages sorted
//! by the first series) and a language × series heatmap. Hand-written inline SVG like `chart.rs`; bars
//! are `<rect class="series-bar" data-lang data-series data-value>`, heatmap cells
//! `<rect class="heat-cell" …>`, so they never mix with the per-column charts.

use std::fmt::Write as _;
use std::path::Path;

use xling_core::LangTable;

use crate::html::esc;
use crate::{HtmlOptions, ReportError, html_report};

/// A figure for [`html_report_with_figures`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figure {
    /// Heading.
    pub title: String,
    /// One paragraph under the heading (plain text).
    pub caption: String,
    /// The inline SVG.
    pub svg: String,
}

/// Distinguishable colours for up to eight series (Okabe–Ito), then repeated.
const SERIES: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442", "#000000",
];

/// Rows with their values for `columns`, sorted by the first column (ascending, missing last).
fn rows_values(table: &LangTable, columns: &[&str]) -> Vec<(String, Vec<Option<f64>>)> {
    let idx: Vec<Option<usize>> = columns.iter().map(|c| table.column_index(c)).collect();
    let mut rows: Vec<(String, Vec<Option<f64>>)> = table
        .rows
        .iter()
        .map(|r| {
            let vals = idx
                .iter()
                .map(|i| i.and_then(|i| r.cells[i].as_f64()))
                .collect();
            (r.key.clone(), vals)
        })
        .collect();
    rows.sort_by(|a, b| {
        match (
            a.1.first().copied().flatten(),
            b.1.first().copied().flatten(),
        ) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.0.cmp(&b.0),
        }
    });
    rows
}

fn legend(out: &mut String, labels: &[&str], y: f64) {
    let mut x = 8.0;
    for (s, label) in labels.iter().enumerate() {
        let _ = write!(
            out,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\">{}</text>",
            y - 9.0,
            SERIES[s % SERIES.len()],
            x + 14.0,
            y,
            esc(label)
        );
        x += 24.0 + 7.0 * label.chars().count() as f64;
    }
}

/// Grouped horizontal bars: per language, one bar per series; languages sorted by the first series.
pub fn grouped_bars_svg(table: &LangTable, columns: &[&str], labels: &[&str]) -> String {
    let rows = rows_values(table, columns);
    let n = columns.len().max(1) as f64;
    let bar_h = 4.0;
    let row_h = n * bar_h + 4.0;
    let label_w = 8.0 + 7.0 * rows.iter().map(|r| r.0.len()).max().unwrap_or(8) as f64;
    let width = 880.0;
    let plot_w = width - label_w - 60.0;
    let top = 30.0;
    let height = top + rows.len() as f64 * row_h + 10.0;
    let max = rows
        .iter()
        .flat_map(|r| r.1.iter().flatten())
        .fold(0.0f64, |m, &v| m.max(v));
    let scale = if max > 0.0 { plot_w / max } else { 0.0 };
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"figure grouped\" viewBox=\"0 0 {width} {height:.0}\" width=\"{width}\" height=\"{height:.0}\" font-family=\"monospace\">"
    );
    legend(&mut out, labels, 14.0);
    for (i, (key, vals)) in rows.iter().enumerate() {
        let y = top + i as f64 * row_h;
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\">{}</text>",
            label_w - 4.0,
            y + row_h / 2.0 + 3.0,
            esc(key)
        );
        for (s, v) in vals.iter().enumerate() {
            let Some(v) = v else { continue };
            let _ = write!(
                out,
                "<rect class=\"series-bar\" data-lang=\"{}\" data-series=\"{}\" data-value=\"{v}\" x=\"{label_w:.1}\" y=\"{:.1}\" width=\"{:.2}\" height=\"{bar_h}\" fill=\"{}\"><title>{} {}: {v:.3}</title></rect>",
                esc(key),
                esc(labels.get(s).copied().unwrap_or("")),
                y + 2.0 + s as f64 * bar_h,
                (v * scale).max(0.5),
                SERIES[s % SERIES.len()],
                esc(key),
                esc(labels.get(s).copied().unwrap_or("")),
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// A language × series heatmap; colour from pale (1×) to dark red (the largest value), log scale.
pub fn heatmap_svg(table: &LangTable, columns: &[&str], labels: &[&str]) -> String {
    let rows = rows_values(table, columns);
    let cell_w = 84.0;
    let cell_h = 13.0;
    let label_w = 8.0 + 7.0 * rows.iter().map(|r| r.0.len()).max().unwrap_or(8) as f64;
    let top = 24.0;
    let width = label_w + cell_w * columns.len() as f64 + 8.0;
    let height = top + cell_h * rows.len() as f64 + 8.0;
    let max = rows
        .iter()
        .flat_map(|r| r.1.iter().flatten())
        .fold(1.0f64, |m, &v| m.max(v));
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"figure heatmap\" viewBox=\"0 0 {width:.0} {height:.0}\" width=\"{width:.0}\" height=\"{height:.0}\" font-family=\"monospace\">"
    );
    for (s, l) in labels.iter().enumerate() {
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"16\" font-size=\"11\" text-anchor=\"middle\">{}</text>",
            label_w + cell_w * (s as f64 + 0.5),
            esc(l)
        );
    }
    for (i, (key, vals)) in rows.iter().enumerate() {
        let y = top + i as f64 * cell_h;
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\">{}</text>",
            label_w - 4.0,
            y + cell_h - 3.0,
            esc(key)
        );
        for (s, v) in vals.iter().enumerate() {
            let x = label_w + s as f64 * cell_w;
            let (fill, text) = match v {
                Some(v) => {
                    let t = if max > 1.0 {
                        (v.max(1.0).ln() / max.ln()).clamp(0.0, 1.0)
                    } else {
                        0.0
                    };
                    // From #fff5eb (t = 0) to #7f0000 (t = 1).
                    let lerp = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
                    (
                        format!(
                            "#{:02x}{:02x}{:02x}",
                            lerp(255.0, 127.0),
                            lerp(245.0, 0.0),
                            lerp(235.0, 0.0)
                        ),
                        format!("{v:.2}"),
                    )
                }
                None => ("#dddddd".to_string(), "–".to_string()),
            };
            let ink = if v.is_some_and(|v| v.max(1.0).ln() > 0.55 * max.ln()) {
                "#ffffff"
            } else {
                "#000000"
            };
            let _ = write!(
                out,
                "<rect class=\"heat-cell\" data-lang=\"{}\" data-series=\"{}\" data-value=\"{}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{fill}\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"9\" text-anchor=\"middle\" fill=\"{ink}\">{text}</text>",
                esc(key),
                esc(labels.get(s).copied().unwrap_or("")),
                v.map_or(String::new(), |v| v.to_string()),
                cell_w - 1.0,
                cell_h - 1.0,
                x + cell_w / 2.0,
                y + cell_h - 3.5,
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// [`html_report`] with figures placed above the tables.
pub fn html_report_with_figures(
    tables: &[LangTable],
    figures: &[Figure],
    opts: &HtmlOptions,
) -> String {
    let page = html_report(tables, opts);
    let mut block = String::new();
    for f in figures {
        let _ = writeln!(
            block,
            "<section class=\"figure\"><h2>{}</h2><p>{}</p><div class=\"chart\">{}</div></section>",
            esc(&f.title),
            esc(&f.caption),
            f.svg
        );
    }
    page.replacen("<main>\n", &format!("<main>\n{block}"), 1)
}

/// Writes [`html_report_with_figures`] to `path`.
pub fn write_html_report_with_figures(
    path: &Path,
    tables: &[LangTable],
    figures: &[Figure],
    opts: &HtmlOptions,
) -> Result<(), ReportError> {
    std::fs::write(path, html_report_with_figures(tables, figures, opts)).map_err(|source| {
        ReportError::Write {
            path: path.to_path_buf(),
            source,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::small;

    #[test]
    fn figures_have_one_mark_per_language_and_series() {
        let t = small();
        let col = t
            .columns
            .iter()
            .find(|c| c.kind != xling_core::ColumnKind::Text)
            .map(|c| c.id.clone())
            .unwrap_or_default();
        let cols = [col.as_str(), col.as_str()];
        let g = grouped_bars_svg(&t, &cols, &["a", "b"]);
        let h = heatmap_svg(&t, &cols, &["a", "b"]);
        let with_value = t
            .rows
            .iter()
            .filter(|r| t.get(&r.key, &col).and_then(|c| c.as_f64()).is_some())
            .count();
        assert_eq!(g.matches("class=\"series-bar\"").count(), 2 * with_value);
        assert_eq!(h.matches("class=\"heat-cell\"").count(), 2 * t.rows.len());
        let page = html_report_with_figures(
            &[t],
            &[Figure {
                title: "T<".into(),
                caption: "c".into(),
                svg: g,
            }],
            &HtmlOptions::default(),
        );
        assert!(page.contains("<h2>T&lt;</h2>"));
    }
}
