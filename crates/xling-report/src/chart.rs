//! Hand-written inline SVG: one horizontal bar chart per charted column.
//!
//! Layout, left to right: the language key (right-aligned), the plot area with one bar per language
//! (sorted best first, coloured by script, drawn from the zero line so negative values go left), and the
//! formatted value (right-aligned at the right edge). Tick labels sit above and below the plot; gridlines
//! run through it. Every bar is a `<rect class="bar" data-lang="…" data-value="…">` with a `<title>`.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use xling_core::{Better, Cell, Column, ColumnKind, LangTable, Row, Script};

use crate::html::esc;
use crate::num::{exact, human};
use crate::palette::script_colour;

/// Total width of a chart in SVG user units (CSS pixels at 100 % zoom).
const WIDTH: f64 = 880.0;
/// Height of one language's row.
const ROW_H: f64 = 14.0;
/// Height of one bar inside its row.
const BAR_H: f64 = 10.0;
/// Space above the first row (tick labels).
const TOP: f64 = 22.0;
/// Space below the last row (tick labels).
const BOTTOM: f64 = 22.0;
/// Outer padding left and right.
const PAD: f64 = 8.0;
/// Gap between a label and the plot area.
const GAP: f64 = 8.0;
/// Estimated advance of one character of the 11 px monospace label font.
const CHAR_W: f64 = 6.8;
/// Narrowest plot area, however long the labels are.
const MIN_PLOT: f64 = 320.0;

/// The English name of a script code, or the code itself if it is not one.
pub(crate) fn script_name(code: &str) -> String {
    Script::parse(code).map_or_else(|| code.to_string(), |s| s.name())
}

/// Orders values best first: descending unless lower is better.
fn best_first(better: Better, a: f64, b: f64) -> Ordering {
    match better {
        Better::Lower => a.total_cmp(&b),
        Better::Higher | Better::Neither => b.total_cmp(&a),
    }
}

/// A "nice" tick step (1, 2 or 5 times a power of ten) that splits `span` into about five parts.
fn nice_step(span: f64) -> f64 {
    let raw = span / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    // Round the raw step to the nearest of 1, 2, 5, 10 on a logarithmic scale.
    let f = if norm < 1.5 {
        1.0
    } else if norm < 3.2 {
        2.0
    } else if norm < 7.1 {
        5.0
    } else {
        10.0
    };
    f * mag
}

/// The axis: `lo`, `hi` (multiples of `step`, always including zero) and the tick step.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Axis {
    lo: f64,
    hi: f64,
    step: f64,
}

impl Axis {
    fn new(min: f64, max: f64, integer: bool) -> Axis {
        let (mut lo, mut hi) = (min.min(0.0), max.max(0.0));
        if hi - lo <= f64::EPSILON * hi.abs().max(lo.abs()).max(1.0) {
            // All values are zero (or equal to zero within rounding): show a unit axis.
            hi = lo + 1.0;
        }
        let mut step = nice_step(hi - lo);
        if integer {
            step = step.max(1.0);
        }
        lo = (lo / step).floor() * step;
        hi = (hi / step).ceil() * step;
        Axis { lo, hi, step }
    }

    /// The tick values from `lo` to `hi`.
    fn ticks(&self) -> Vec<f64> {
        let first = (self.lo / self.step).round() as i64;
        let last = (self.hi / self.step).round() as i64;
        (first..=last).map(|i| i as f64 * self.step).collect()
    }

    /// Formats a tick value with as many decimals as the step needs.
    fn label(&self, v: f64, kind: ColumnKind) -> String {
        let (v, step, suffix) = match kind {
            ColumnKind::Percent { .. } => (v * 100.0, self.step * 100.0, "%"),
            _ => (v, self.step, ""),
        };
        let decimals = if step >= 1.0 {
            0
        } else {
            (-step.log10().floor()) as usize
        };
        let v = if v.abs() < step * 1e-9 { 0.0 } else { v };
        format!("{v:.decimals$}{suffix}")
    }
}

/// Number formatting for SVG coordinates: one decimal, no trailing `.0`.
fn px(v: f64) -> String {
    // Values that round to zero print as `0`, never `-0`.
    let v = if v.abs() < 0.05 { 0.0 } else { v };
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map_or(s.clone(), str::to_string)
}

/// Characters in a string (labels are ASCII-ish; this only sizes the label columns).
fn chars(s: &str) -> f64 {
    s.chars().count() as f64
}

/// A charted column's rows split into those with a value (sorted best first) and those without.
struct Series<'a> {
    bars: Vec<(&'a Row, f64, &'a Cell)>,
    missing: Vec<&'a Row>,
}

fn series<'a>(table: &'a LangTable, col: usize) -> Series<'a> {
    let better = table.columns[col].better;
    let mut bars = Vec::new();
    let mut missing = Vec::new();
    for r in &table.rows {
        match r.cells.get(col) {
            Some(cell) => match cell.as_f64() {
                Some(v) => bars.push((r, v, cell)),
                None => missing.push(r),
            },
            None => missing.push(r),
        }
    }
    bars.sort_by(|a, b| best_first(better, a.1, b.1).then_with(|| a.0.key.cmp(&b.0.key)));
    Series { bars, missing }
}

/// Writes the legend of the scripts of `rows`: a swatch, the script name and code, and a count.
fn legend(out: &mut String, rows: &[&Row]) {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for r in rows {
        *counts.entry(r.script.as_str()).or_default() += 1;
    }
    let mut items: Vec<(&str, usize, String)> = counts
        .into_iter()
        .map(|(code, n)| (code, n, script_name(code)))
        .collect();
    items.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.2.cmp(&b.2)));
    out.push_str("<ul class=\"legend\" aria-label=\"Bar colours by script\">");
    for (code, n, name) in items {
        let _ = write!(
            out,
            "<li><span class=\"swatch\" style=\"background:{}\"></span>{} <span class=\"code\">{}</span> <span class=\"count\">{n}</span></li>",
            esc(&script_colour(code)),
            esc(&name),
            esc(code),
        );
    }
    out.push_str("</ul>\n");
}

/// The human description of a column's direction.
pub(crate) fn better_text(better: Better) -> &'static str {
    match better {
        Better::Higher => "higher is better",
        Better::Lower => "lower is better",
        Better::Neither => "no preferred direction",
    }
}

/// Writes the figure for column `col` of `table`: caption, legend, SVG chart and the list of languages
/// with no value. `anchor` is the figure's HTML id.
pub(crate) fn figure(out: &mut String, table: &LangTable, col: usize, anchor: &str) {
    let column: &Column = &table.columns[col];
    let Series { bars, missing } = series(table, col);
    let unit = column
        .shown_unit()
        .map(|u| format!(" ({})", esc(u)))
        .unwrap_or_default();
    let order = match column.better {
        Better::Lower => "lowest first",
        _ => "highest first",
    };
    let _ = write!(
        out,
        "<figure class=\"chart-figure\" id=\"{anchor}\">\n<figcaption><strong>{}</strong>{unit} — {}; {order}. {} of {} languages have a value.</figcaption>\n",
        esc(&column.header),
        better_text(column.better),
        bars.len(),
        table.rows.len(),
    );
    let rows: Vec<&Row> = bars.iter().map(|b| b.0).collect();
    legend(out, &rows);
    svg(out, column, &bars);
    if !missing.is_empty() {
        let _ = write!(
            out,
            "<p class=\"no-value\"><strong>No value</strong> ({}): ",
            missing.len()
        );
        for (i, r) in missing.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let _ = write!(
                out,
                "<span data-lang=\"{}\"><code>{}</code> {}</span>",
                esc(&r.key),
                esc(&r.key),
                esc(&r.name)
            );
        }
        out.push_str("</p>\n");
    }
    out.push_str("</figure>\n");
}

/// Writes the `<svg class="chart">` element itself.
fn svg(out: &mut String, column: &Column, bars: &[(&Row, f64, &Cell)]) {
    let labels: Vec<String> = bars
        .iter()
        .map(|(_, _, cell)| human(column, cell).unwrap_or_default())
        .collect();
    let key_w = bars.iter().map(|b| chars(&b.0.key)).fold(4.0, f64::max) * CHAR_W;
    let val_w = labels.iter().map(|l| chars(l)).fold(3.0, f64::max) * CHAR_W;
    let x0 = PAD + key_w + GAP;
    let width = WIDTH.max(x0 + MIN_PLOT + GAP + val_w + PAD);
    let x1 = width - PAD - val_w - GAP;
    let n = bars.len();
    let plot_h = n as f64 * ROW_H;
    let height = TOP + plot_h.max(ROW_H) + BOTTOM;
    let _ = writeln!(
        out,
        "<svg class=\"chart\" data-column=\"{}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}: one bar per language\">",
        esc(&column.id),
        px(width),
        px(height),
        px(width),
        px(height),
        esc(&column.header),
    );
    if n == 0 {
        let _ = write!(
            out,
            "<text class=\"empty\" x=\"{}\" y=\"{}\">No language has a value in this column.</text>\n</svg>\n",
            px(PAD),
            px(TOP + 10.0),
        );
        return;
    }
    let (min, max) = bars
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), b| {
            (lo.min(b.1), hi.max(b.1))
        });
    let axis = Axis::new(min, max, column.kind == ColumnKind::Int);
    let scale = |v: f64| x0 + (v - axis.lo) / (axis.hi - axis.lo) * (x1 - x0);
    let zero = scale(0.0);
    let bottom = TOP + plot_h;

    // Zebra bands every other row, under everything else.
    out.push_str("<g class=\"bands\">");
    for i in (1..n).step_by(2) {
        let _ = write!(
            out,
            "<rect x=\"0\" y=\"{}\" width=\"{}\" height=\"{}\"/>",
            px(TOP + i as f64 * ROW_H),
            px(width),
            px(ROW_H)
        );
    }
    out.push_str("</g>\n");

    // Gridlines and tick labels above and below the plot.
    out.push_str("<g class=\"axis\">");
    for t in axis.ticks() {
        let x = px(scale(t));
        let label = esc(&axis.label(t, column.kind));
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{x}\" x2=\"{x}\" y1=\"{}\" y2=\"{}\"/><text class=\"tick\" x=\"{x}\" y=\"{}\">{label}</text><text class=\"tick\" x=\"{x}\" y=\"{}\">{label}</text>",
            px(TOP - 4.0),
            px(bottom + 4.0),
            px(TOP - 8.0),
            px(bottom + 15.0),
        );
    }
    out.push_str("</g>\n<g class=\"rows\">\n");

    let unit = column
        .unit
        .as_deref()
        .map(|u| format!(" {u}"))
        .unwrap_or_default();
    let mut names: BTreeMap<&str, String> = BTreeMap::new();
    for (i, ((row, v, cell), label)) in bars.iter().zip(&labels).enumerate() {
        let y = TOP + i as f64 * ROW_H;
        let mid = y + ROW_H / 2.0;
        let (bx, bw) = {
            let x = scale(*v);
            // At least one unit wide, so a zero still shows as a sliver and has a hover target.
            (x.min(zero), (x - zero).abs().max(1.0))
        };
        let script = names
            .entry(row.script.as_str())
            .or_insert_with(|| script_name(&row.script));
        let exact_v = exact(cell).unwrap_or_default();
        let mut title = format!(
            "{} — {} ({script})\n{}: {label}{unit}",
            row.key, row.name, column.header
        );
        if exact_v != *label {
            let _ = write!(title, "\nexact value: {exact_v}");
        }
        let _ = write!(title, "\nrank {} of {n}", i + 1);
        let title = esc(&title);
        let key = esc(&row.key);
        let _ = writeln!(
            out,
            "<g class=\"row\"><title>{title}</title><rect class=\"hit\" x=\"0\" y=\"{y}\" width=\"{w}\" height=\"{h}\"/><text class=\"key\" x=\"{kx}\" y=\"{ty}\">{key}</text><rect class=\"bar\" data-lang=\"{key}\" data-value=\"{dv}\" data-script=\"{sc}\" x=\"{bx}\" y=\"{by}\" width=\"{bw}\" height=\"{bh}\" fill=\"{fill}\"><title>{title}</title></rect><text class=\"val\" x=\"{vx}\" y=\"{ty}\">{val}</text></g>",
            y = px(y),
            w = px(width),
            h = px(ROW_H),
            kx = px(x0 - GAP),
            ty = px(mid + 3.8),
            dv = esc(&exact_v),
            sc = esc(&row.script),
            bx = px(bx),
            by = px(mid - BAR_H / 2.0),
            bw = px(bw),
            bh = px(BAR_H),
            fill = esc(&script_colour(&row.script)),
            vx = px(width - PAD),
            val = esc(label),
        );
    }
    out.push_str("</g>\n");
    let _ = write!(
        out,
        "<line class=\"zero\" x1=\"{z}\" x2=\"{z}\" y1=\"{}\" y2=\"{}\"/>\n</svg>\n",
        px(TOP - 4.0),
        px(bottom + 4.0),
        z = px(zero),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_are_nice_and_include_zero() {
        let a = Axis::new(0.3, 2.7, false);
        assert_eq!((a.lo, a.hi, a.step), (0.0, 3.0, 0.5));
        assert_eq!(a.ticks().len(), 7);
        assert_eq!(a.label(2.5, ColumnKind::Float { decimals: 2 }), "2.5");
        let a = Axis::new(-12.0, 40.0, true);
        assert_eq!((a.lo, a.hi, a.step), (-20.0, 40.0, 10.0));
        let a = Axis::new(0.0, 0.0, false);
        assert!(a.hi > a.lo);
        let a = Axis::new(0.1, 0.93, false);
        assert_eq!(
            a.label(0.6000000000000001, ColumnKind::Percent { decimals: 1 }),
            "60%"
        );
        let a = Axis::new(0.0, 3.0, true);
        assert_eq!(a.step, 1.0);
    }

    #[test]
    fn sorts_best_first() {
        assert_eq!(best_first(Better::Lower, 1.0, 2.0), Ordering::Less);
        assert_eq!(best_first(Better::Higher, 1.0, 2.0), Ordering::Greater);
        assert_eq!(best_first(Better::Neither, 1.0, 2.0), Ordering::Greater);
    }

    #[test]
    fn coordinates_are_compact() {
        assert_eq!(px(3.0), "3");
        assert_eq!(px(3.26), "3.3");
        assert_eq!(px(-0.04), "0");
        assert_eq!(px(-2.0), "-2");
    }
}
