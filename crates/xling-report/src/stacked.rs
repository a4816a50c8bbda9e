//! A stacked-share figure: one horizontal bar per series (a tokenizer), split into the shares of the
//! table's rows (scripts of its vocabulary, in `xling tokenizers --vocab`). Rows whose share is at most
//! a threshold in every series are merged into "Other", as Qtok does for its script table. Hand-written
//! inline SVG, no script: segments are `<rect class="stack-seg" data-series data-category data-value>`,
//! so a test (or a reader of the DOM) can check every share the figure draws.

use std::fmt::Write as _;

use xling_core::LangTable;

use crate::html::esc;

/// Distinct colours for the categories, largest first (Tableau 20 order, then repeated); "Other" is grey.
const PALETTE: [&str; 18] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#1f77b4", "#8c564b", "#17becf", "#bcbd22", "#d62728", "#9467bd", "#2ca02c",
    "#ff7f0e", "#7f7f7f",
];
const OTHER: &str = "#c7c7c7";

/// The label of the merged small categories.
pub const OTHER_LABEL: &str = "Other";

/// The categories of a stacked-share figure and each series' share of each, after merging small
/// categories: what [`stacked_shares_svg`] draws.
#[derive(Debug, Clone, PartialEq)]
pub struct StackedShares {
    /// Category labels (row keys), largest total share first; [`OTHER_LABEL`] last when present.
    pub categories: Vec<String>,
    /// Per series (in the order of the columns), the share of each category (missing cells count 0).
    pub shares: Vec<Vec<f64>>,
}

/// Reads shares from `table`: one series per column of `columns` (values in 0..=1, e.g. percent
/// columns), one category per row. Rows at or below `min_share` in every series become one
/// [`OTHER_LABEL`] category.
pub fn stacked_shares(table: &LangTable, columns: &[&str], min_share: f64) -> StackedShares {
    let idx: Vec<Option<usize>> = columns.iter().map(|c| table.column_index(c)).collect();
    let mut rows: Vec<(String, Vec<f64>)> = table
        .rows
        .iter()
        .map(|r| {
            let v = idx
                .iter()
                .map(|i| {
                    i.and_then(|i| r.cells[i].as_f64())
                        .filter(|v| v.is_finite())
                        .unwrap_or(0.0)
                        .max(0.0)
                })
                .collect();
            (r.key.clone(), v)
        })
        .collect();
    let total = |v: &[f64]| v.iter().sum::<f64>();
    rows.sort_by(|a, b| total(&b.1).total_cmp(&total(&a.1)).then(a.0.cmp(&b.0)));
    let mut categories = Vec::new();
    let mut shares = vec![Vec::new(); columns.len()];
    let mut other = vec![0.0; columns.len()];
    let mut any_other = false;
    for (key, vals) in rows {
        if vals.iter().all(|&v| v <= min_share) {
            if vals.iter().any(|&v| v > 0.0) {
                any_other = true;
            }
            for (o, v) in other.iter_mut().zip(&vals) {
                *o += v;
            }
        } else {
            categories.push(key);
            for (s, v) in shares.iter_mut().zip(vals) {
                s.push(v);
            }
        }
    }
    if any_other {
        categories.push(OTHER_LABEL.to_string());
        for (s, o) in shares.iter_mut().zip(other) {
            s.push(o);
        }
    }
    StackedShares { categories, shares }
}

/// The colour of category `i` of `n` (the last one grey when it is [`OTHER_LABEL`]).
fn colour(shares: &StackedShares, i: usize) -> &'static str {
    if shares.categories[i] == OTHER_LABEL {
        OTHER
    } else {
        PALETTE[i % PALETTE.len()]
    }
}

/// Stacked horizontal bars, one per series (`labels`, parallel to `columns`), each split into the
/// shares of the table's rows (see [`stacked_shares`]; rows at or below `min_share` everywhere merge into
/// "Other"). Each bar spans its series' total share (1 when the shares are of the whole), with the
/// percentage written in segments wide enough for it, and a legend under the bars.
pub fn stacked_shares_svg(
    table: &LangTable,
    columns: &[&str],
    labels: &[&str],
    min_share: f64,
) -> String {
    let data = stacked_shares(table, columns, min_share);
    let label_w = 12.0 + 7.0 * labels.iter().map(|l| l.chars().count()).max().unwrap_or(4) as f64;
    let width = 880.0;
    let plot_w = width - label_w - 16.0;
    let bar_h = 22.0;
    let gap = 8.0;
    let top = 24.0;
    let bars_h = data.shares.len() as f64 * (bar_h + gap);
    // Legend: as many entries per line as fit.
    let mut legend = Vec::new();
    let (mut lx, mut ly) = (8.0, top + bars_h + 18.0);
    for (i, c) in data.categories.iter().enumerate() {
        let w = 24.0 + 7.0 * c.chars().count() as f64;
        if lx + w > width - 8.0 && lx > 8.0 {
            lx = 8.0;
            ly += 16.0;
        }
        legend.push((lx, ly, i));
        lx += w;
    }
    let height = ly + 10.0;
    let max_total = data
        .shares
        .iter()
        .map(|s| s.iter().sum::<f64>())
        .fold(1.0f64, f64::max);
    let scale = plot_w / max_total;

    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"figure stacked\" viewBox=\"0 0 {width} {height:.0}\" width=\"{width}\" height=\"{height:.0}\" font-family=\"monospace\">"
    );
    for p in [0.0, 0.25, 0.5, 0.75, 1.0] {
        if p > max_total {
            continue;
        }
        let x = label_w + p * scale;
        let _ = write!(
            out,
            "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#dddddd\"/><text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#555555\">{:.0}%</text>",
            top - 4.0,
            top + bars_h - gap + 2.0,
            top - 8.0,
            p * 100.0
        );
    }
    for (s, vals) in data.shares.iter().enumerate() {
        let series = labels.get(s).copied().unwrap_or("");
        let y = top + s as f64 * (bar_h + gap);
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{}</text>",
            label_w - 6.0,
            y + bar_h / 2.0 + 4.0,
            esc(series)
        );
        let mut x = label_w;
        for (i, &v) in vals.iter().enumerate() {
            if v <= 0.0 {
                continue;
            }
            let w = v * scale;
            let cat = &data.categories[i];
            let _ = write!(
                out,
                "<rect class=\"stack-seg\" data-series=\"{}\" data-category=\"{}\" data-value=\"{v}\" x=\"{x:.2}\" y=\"{y:.1}\" width=\"{w:.2}\" height=\"{bar_h}\" fill=\"{}\" stroke=\"#ffffff\" stroke-width=\"0.5\"><title>{} {}: {:.2}%</title></rect>",
                esc(series),
                esc(cat),
                colour(&data, i),
                esc(series),
                esc(cat),
                v * 100.0
            );
            let text = format!("{:.0}%", v * 100.0);
            if w > 8.0 * text.len() as f64 + 4.0 {
                let _ = write!(
                    out,
                    "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#ffffff\" pointer-events=\"none\">{text}</text>",
                    x + w / 2.0,
                    y + bar_h / 2.0 + 3.5
                );
            }
            x += w;
        }
    }
    for (lx, ly, i) in legend {
        let _ = write!(
            out,
            "<rect class=\"stack-key\" data-category=\"{}\" x=\"{lx:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{ly:.1}\" font-size=\"11\">{}</text>",
            esc(&data.categories[i]),
            ly - 9.0,
            colour(&data, i),
            lx + 14.0,
            esc(&data.categories[i])
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::browser::Chromium;
    use crate::{Figure, HtmlOptions, write_html_report_with_figures};
    use xling_core::{Better, Cell, Column, ColumnKind, Row, Signature};

    /// A script-share table like `xling tokenizers --vocab` makes: rows are scripts, one share column
    /// per tokenizer; "THAI" and "LAO" are small everywhere, "<HAN>" tests escaping.
    fn table() -> LangTable {
        let cols = ["a", "b", "c"]
            .iter()
            .map(|t| {
                Column::new(
                    &format!("{t}.alpha_share"),
                    &format!("{t} share"),
                    ColumnKind::Percent { decimals: 2 },
                    Better::Neither,
                    "share",
                )
            })
            .collect();
        let mut t = LangTable::new("scripts", cols, Signature::new("test"));
        let rows: [(&str, [Option<f64>; 3]); 6] = [
            ("LATIN", [Some(0.70), Some(0.40), Some(0.95)]),
            ("CYRILLIC", [Some(0.20), Some(0.10), Some(0.04)]),
            ("<HAN>", [Some(0.08), Some(0.49), None]),
            ("THAI", [Some(0.01), Some(0.005), Some(0.0)]),
            ("LAO", [Some(0.01), Some(0.005), Some(0.005)]),
            ("ARABIC", [Some(0.0), Some(0.0), Some(0.005)]),
        ];
        for (k, v) in rows {
            t.push(Row {
                key: k.into(),
                name: k.into(),
                script: "Zyyy".into(),
                cells: v
                    .iter()
                    .map(|x| x.map_or(Cell::Missing, Cell::Float))
                    .collect(),
            })
            .expect("row");
        }
        t
    }

    const COLS: [&str; 3] = ["a.alpha_share", "b.alpha_share", "c.alpha_share"];

    #[test]
    fn small_categories_merge_into_other() {
        let s = stacked_shares(&table(), &COLS, 0.01);
        assert_eq!(s.categories, ["LATIN", "<HAN>", "CYRILLIC", "Other"]);
        let close = |a: f64, b: f64| assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        close(s.shares[0][3], 0.02);
        close(s.shares[1][3], 0.01);
        close(s.shares[2][3], 0.01);
        close(s.shares[2][1], 0.0);
        // With no threshold every row with a share somewhere is a category of its own.
        let all = stacked_shares(&table(), &COLS, 0.0);
        assert_eq!(all.categories.len(), 6);
    }

    #[test]
    fn one_segment_per_nonzero_share_with_widths_summing_to_the_bar() {
        let svg = stacked_shares_svg(&table(), &COLS, &["a", "b", "c"], 0.01);
        // a: 4 segments, b: 4, c: LATIN, CYRILLIC, Other (HAN missing).
        assert_eq!(svg.matches("class=\"stack-seg\"").count(), 11);
        assert_eq!(svg.matches("class=\"stack-key\"").count(), 4);
        assert!(svg.contains("data-category=\"&lt;HAN&gt;\""));
        assert!(!svg.contains("<HAN>"));
    }

    fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
        let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        let len = tag[start..].find('"')?;
        Some(&tag[start..start + len])
    }

    /// Renders the figure in headless Chromium and reads the segments back from the DOM the browser
    /// built: every series' segments are contiguous, sum to its share total, and carry the exact values.
    #[test]
    fn stacked_figure_renders_in_chromium() {
        let Some(browser) = crate::browser::find_chromium() else {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("Chromium is required on CI: run `apt-get install -y chromium`");
            }
            eprintln!("SKIPPED: no Chromium found (`apt-get install -y chromium`)");
            return;
        };
        let t = table();
        let dir = tempfile::tempdir().expect("temp dir");
        let html = dir.path().join("stacked.html");
        let fig = Figure {
            title: "Vocabulary scripts".into(),
            caption: "test".into(),
            svg: stacked_shares_svg(&t, &COLS, &["a", "b", "c"], 0.01),
        };
        write_html_report_with_figures(
            &html,
            std::slice::from_ref(&t),
            &[fig],
            &HtmlOptions::default(),
        )
        .expect("written");
        let dom = Chromium::new(browser)
            .dump_dom(&html)
            .expect("Chromium dumps the DOM");
        assert!(dom.contains("class=\"figure stacked\""), "no figure");
        let mut per_series: std::collections::BTreeMap<String, Vec<(f64, f64, f64)>> =
            Default::default();
        for piece in dom.split("<rect ").skip(1) {
            let tag = format!(" {}", &piece[..piece.find('>').unwrap_or(piece.len())]);
            let tag = tag.as_str();
            if attr(tag, "class") != Some("stack-seg") {
                continue;
            }
            let num = |n: &str| attr(tag, n).and_then(|v| v.parse::<f64>().ok());
            let (Some(x), Some(w), Some(v)) = (num("x"), num("width"), num("data-value")) else {
                panic!("segment without x/width/value: {tag}");
            };
            per_series
                .entry(attr(tag, "data-series").unwrap_or_default().to_string())
                .or_default()
                .push((x, w, v));
        }
        assert_eq!(
            per_series.keys().map(String::as_str).collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        let data = stacked_shares(&t, &COLS, 0.01);
        let mut bar_ends = Vec::new();
        for (s, segs) in per_series.values().enumerate() {
            let want: Vec<f64> = data.shares[s]
                .iter()
                .copied()
                .filter(|&v| v > 0.0)
                .collect();
            let got: Vec<f64> = segs.iter().map(|s| s.2).collect();
            assert_eq!(got, want);
            for pair in segs.windows(2) {
                assert!((pair[0].0 + pair[0].1 - pair[1].0).abs() < 0.02, "gap");
            }
            let (x0, _, _) = segs[0];
            let (xl, wl, _) = segs[segs.len() - 1];
            bar_ends.push((x0, xl + wl));
        }
        // Every share sums to 1 here, so all bars start and end at the same place.
        for e in &bar_ends {
            assert!((e.0 - bar_ends[0].0).abs() < 0.01 && (e.1 - bar_ends[0].1).abs() < 0.05);
        }
    }
}
