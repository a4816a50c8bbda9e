//! Figures over an ordered axis — a model's layers in `xling align`: a line chart of several series and
//! a language × layer heatmap of scores in `[0, 1]`. Inline SVG like the other figures; lines are
//! `<polyline class="series-line" data-series>` with one `<circle class="series-point" data-x
//! data-value>` per point, heatmap cells `<rect class="unit-cell" data-lang data-series data-value>`.

use std::fmt::Write as _;

use crate::html::esc;

/// Distinguishable colours (Okabe–Ito), repeated past eight series.
const SERIES: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442", "#000000",
];

/// A line chart: one polyline per series over the categories `x`; the y axis runs from 0 to the
/// largest value (at least 1). Missing points (NaN) break nothing: they are skipped.
pub fn line_chart_svg(
    x: &[String],
    series: &[(String, Vec<f64>)],
    x_label: &str,
    y_label: &str,
) -> String {
    let (width, height) = (720.0, 340.0);
    let (left, right, top, bottom) = (
        56.0,
        16.0,
        20.0 + 16.0 * series.len().div_ceil(3) as f64,
        44.0,
    );
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let ymax = series
        .iter()
        .flat_map(|s| s.1.iter())
        .filter(|v| v.is_finite())
        .fold(1.0f64, |m, &v| m.max(v));
    let n = x.len().max(2);
    let px = |i: usize| left + plot_w * i as f64 / (n - 1) as f64;
    let py = |v: f64| top + plot_h * (1.0 - v / ymax);
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"figure lines\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" font-family=\"monospace\">"
    );
    // Legend, three entries per line.
    for (s, (label, _)) in series.iter().enumerate() {
        let lx = 8.0 + 236.0 * (s % 3) as f64;
        let ly = 14.0 + 16.0 * (s / 3) as f64;
        let _ = write!(
            out,
            "<rect x=\"{lx:.1}\" y=\"{:.1}\" width=\"12\" height=\"4\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{ly:.1}\" font-size=\"11\">{}</text>",
            ly - 5.0,
            SERIES[s % SERIES.len()],
            lx + 16.0,
            esc(label)
        );
    }
    // Axes and grid.
    for k in 0..=4 {
        let v = ymax * f64::from(k) / 4.0;
        let y = py(v);
        let _ = write!(
            out,
            "<line x1=\"{left}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#dddddd\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\">{v:.2}</text>",
            width - right,
            left - 4.0,
            y + 3.0
        );
    }
    for (i, label) in x.iter().enumerate() {
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\">{}</text>",
            px(i),
            height - bottom + 14.0,
            esc(label)
        );
    }
    let _ = write!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\">{}</text><text x=\"12\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\" transform=\"rotate(-90 12 {:.1})\">{}</text>",
        left + plot_w / 2.0,
        height - 8.0,
        esc(x_label),
        top + plot_h / 2.0,
        top + plot_h / 2.0,
        esc(y_label)
    );
    for (s, (label, values)) in series.iter().enumerate() {
        let colour = SERIES[s % SERIES.len()];
        let pts: Vec<(usize, f64)> = values
            .iter()
            .copied()
            .enumerate()
            .filter(|(i, v)| v.is_finite() && *i < x.len())
            .collect();
        let path: Vec<String> = pts
            .iter()
            .map(|&(i, v)| format!("{:.1},{:.1}", px(i), py(v)))
            .collect();
        let _ = write!(
            out,
            "<polyline class=\"series-line\" data-series=\"{}\" points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>",
            esc(label),
            path.join(" ")
        );
        for &(i, v) in &pts {
            let _ = write!(
                out,
                "<circle class=\"series-point\" data-series=\"{}\" data-x=\"{}\" data-value=\"{v}\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"{colour}\"><title>{} at {}: {v:.3}</title></circle>",
                esc(label),
                esc(&x[i]),
                px(i),
                py(v),
                esc(label),
                esc(&x[i])
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// A heatmap of scores in `[0, 1]`, rows in the given order: white (0) to dark blue (1), linear.
pub fn unit_heatmap_svg(rows: &[(String, Vec<Option<f64>>)], labels: &[String]) -> String {
    let cell_w = 34.0;
    let cell_h = 13.0;
    let label_w = 8.0 + 7.0 * rows.iter().map(|r| r.0.len()).max().unwrap_or(8) as f64;
    let top = 24.0;
    let width = label_w + cell_w * labels.len() as f64 + 8.0;
    let height = top + cell_h * rows.len() as f64 + 8.0;
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"figure heatmap\" viewBox=\"0 0 {width:.0} {height:.0}\" width=\"{width:.0}\" height=\"{height:.0}\" font-family=\"monospace\">"
    );
    for (s, l) in labels.iter().enumerate() {
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"16\" font-size=\"10\" text-anchor=\"middle\">{}</text>",
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
            let (fill, ink, text) = match v {
                Some(v) if v.is_finite() => {
                    let t = v.clamp(0.0, 1.0);
                    // From #f7fbff (t = 0) to #08306b (t = 1).
                    let lerp = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
                    (
                        format!(
                            "#{:02x}{:02x}{:02x}",
                            lerp(247.0, 8.0),
                            lerp(251.0, 48.0),
                            lerp(255.0, 107.0)
                        ),
                        if t > 0.5 { "#ffffff" } else { "#000000" },
                        format!("{v:.2}"),
                    )
                }
                _ => ("#dddddd".to_string(), "#000000", "–".to_string()),
            };
            let _ = write!(
                out,
                "<rect class=\"unit-cell\" data-lang=\"{}\" data-series=\"{}\" data-value=\"{}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{fill}\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"8\" text-anchor=\"middle\" fill=\"{ink}\">{text}</text>",
                esc(key),
                esc(labels.get(s).map_or("", String::as_str)),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_point_per_finite_value_and_one_cell_per_value() {
        let x: Vec<String> = (0..4).map(|i| i.to_string()).collect();
        let s = vec![
            ("a".to_string(), vec![0.1, 0.5, f64::NAN, 0.9]),
            ("b<&>".to_string(), vec![0.2, 0.2, 0.2, 0.2]),
        ];
        let svg = line_chart_svg(&x, &s, "layer", "score");
        assert_eq!(svg.matches("class=\"series-point\"").count(), 7);
        assert_eq!(svg.matches("class=\"series-line\"").count(), 2);
        assert!(svg.contains("b&lt;&amp;&gt;") && !svg.contains("b<&>"));
        let rows = vec![("deu_Latn".to_string(), vec![Some(0.0), Some(1.0), None])];
        let labels: Vec<String> = ["mean", "L0", "L1"].iter().map(|s| s.to_string()).collect();
        let h = unit_heatmap_svg(&rows, &labels);
        assert_eq!(h.matches("class=\"unit-cell\"").count(), 3);
        assert!(h.contains("#f7fbff") && h.contains("#08306b"));
    }
}
