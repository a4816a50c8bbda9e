//! The terminal table and Markdown renderers.

use std::fmt::Write as _;

use icu_properties::CodePointMapData;
use icu_properties::props::{EastAsianWidth, GeneralCategory};
use xling_core::{Better, Column, LangTable};

use crate::TextOptions;
use crate::num::{human, is_numeric};

/// The arrow that marks a column's better direction, if it has one.
fn arrow(better: Better) -> Option<&'static str> {
    match better {
        Better::Higher => Some("↑"),
        Better::Lower => Some("↓"),
        Better::Neither => None,
    }
}

/// The legend for the arrows used by `columns`, if any is used.
fn arrow_legend(columns: &[Column]) -> Option<String> {
    let mut parts = Vec::new();
    if columns.iter().any(|c| c.better == Better::Higher) {
        parts.push("↑ higher is better");
    }
    if columns.iter().any(|c| c.better == Better::Lower) {
        parts.push("↓ lower is better");
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// Columns printed on a terminal: how many cells a character takes. Combining marks and format
/// characters take none, East Asian wide and fullwidth characters two, everything else one.
fn char_width(c: char) -> usize {
    if c.is_ascii() {
        return usize::from(!c.is_ascii_control());
    }
    match CodePointMapData::<GeneralCategory>::new().get(c) {
        GeneralCategory::NonspacingMark
        | GeneralCategory::EnclosingMark
        | GeneralCategory::Format
        | GeneralCategory::Control => return 0,
        _ => {}
    }
    let w = CodePointMapData::<EastAsianWidth>::new().get(c);
    if w == EastAsianWidth::Wide || w == EastAsianWidth::Fullwidth {
        2
    } else {
        1
    }
}

/// The terminal width of a string (see [`char_width`]).
pub(crate) fn display_width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// Replaces line breaks, tabs and other control characters by spaces so a cell stays on one line.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Pads `s` to `width` terminal columns, on the left (`right`-aligned) or on the right.
fn pad(out: &mut String, s: &str, width: usize, right: bool) {
    let fill = width.saturating_sub(display_width(s));
    if right {
        out.extend(std::iter::repeat_n(' ', fill));
        out.push_str(s);
    } else {
        out.push_str(s);
        out.extend(std::iter::repeat_n(' ', fill));
    }
}

/// Renders the aligned plain-text table.
pub(crate) fn terminal(table: &LangTable, opts: &TextOptions) -> String {
    // Header line, unit line and alignment of every printed column, then the body cells.
    let mut headers: Vec<String> = vec!["language".into(), "name".into(), "script".into()];
    let mut units: Vec<String> = vec![String::new(); 3];
    let mut right: Vec<bool> = vec![false; 3];
    for c in &table.columns {
        headers.push(one_line(&c.header));
        let unit = [c.shown_unit(), arrow(c.better)]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        units.push(one_line(&unit));
        right.push(is_numeric(c));
    }
    let body: Vec<Vec<String>> = table
        .rows
        .iter()
        .map(|r| {
            let mut cells = vec![one_line(&r.key), one_line(&r.name), one_line(&r.script)];
            for (c, cell) in table.columns.iter().zip(&r.cells) {
                cells.push(one_line(
                    &human(c, cell).unwrap_or_else(|| opts.missing.clone()),
                ));
            }
            cells
        })
        .collect();
    let has_units = units.iter().any(|u| !u.is_empty());
    let widths: Vec<usize> = (0..headers.len())
        .map(|i| {
            let w = display_width(&headers[i]).max(display_width(&units[i]));
            body.iter()
                .map(|cells| display_width(&cells[i]))
                .fold(w, usize::max)
        })
        .collect();

    let mut out = String::new();
    let line = |out: &mut String, cells: &[String]| {
        let mut s = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            pad(&mut s, cell, widths[i], right[i]);
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    if opts.title && !table.title.is_empty() {
        out.push_str(&one_line(&table.title));
        out.push_str("\n\n");
    }
    line(&mut out, &headers);
    if has_units {
        line(&mut out, &units);
    }
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    line(&mut out, &rule);
    for cells in &body {
        line(&mut out, cells);
    }
    let mut footer = Vec::new();
    if let Some(legend) = arrow_legend(&table.columns) {
        footer.push(legend);
    }
    if opts.notes {
        footer.extend(table.notes.iter().map(|n| format!("note: {}", one_line(n))));
    }
    if opts.signature {
        footer.push(crate::render_signature_line(table));
    }
    if !footer.is_empty() {
        out.push('\n');
        for f in footer {
            out.push_str(&f);
            out.push('\n');
        }
    }
    out
}

/// Escapes text for a Markdown table cell or paragraph: characters with Markdown meaning are
/// backslash-escaped, `<`/`>` become entities (no raw HTML), line breaks become spaces.
pub(crate) fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '|' | '`' | '*' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Wraps `s` in a Markdown code span whose fence is longer than any backtick run inside it.
fn md_code(s: &str) -> String {
    let s = one_line(s);
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    if longest == 0 {
        format!("{fence}{s}{fence}")
    } else {
        format!("{fence} {s} {fence}")
    }
}

/// Renders a GitHub-flavoured Markdown table.
pub(crate) fn markdown(table: &LangTable, opts: &TextOptions) -> String {
    let mut out = String::new();
    if opts.title && !table.title.is_empty() {
        let _ = writeln!(out, "### {}\n", md_escape(&table.title));
    }
    let mut header = String::from("| language | name | script |");
    let mut align = String::from("|---|---|---|");
    for c in &table.columns {
        let mut h = md_escape(&c.header);
        if let Some(u) = c.shown_unit() {
            let _ = write!(h, " ({})", md_escape(u));
        }
        if let Some(a) = arrow(c.better) {
            let _ = write!(h, " {a}");
        }
        let _ = write!(header, " {h} |");
        align.push_str(if is_numeric(c) { "---:|" } else { "---|" });
    }
    let _ = writeln!(out, "{header}\n{align}");
    let missing = md_escape(&opts.missing);
    for r in &table.rows {
        let _ = write!(
            out,
            "| {} | {} | {} |",
            md_escape(&r.key),
            md_escape(&r.name),
            md_escape(&r.script)
        );
        for (c, cell) in table.columns.iter().zip(&r.cells) {
            let v = human(c, cell).map_or_else(|| missing.clone(), |s| md_escape(&s));
            let _ = write!(out, " {v} |");
        }
        out.push('\n');
    }
    let mut footer = Vec::new();
    if let Some(legend) = arrow_legend(&table.columns) {
        footer.push(legend);
    }
    if opts.notes {
        footer.extend(table.notes.iter().map(|n| format!("- {}", md_escape(n))));
    }
    if opts.signature {
        footer.push(format!(
            "signature: {}",
            md_code(&table.signature.to_string())
        ));
    }
    // Paragraphs are separated by blank lines; consecutive notes form one list.
    let mut prev_note = false;
    for f in footer {
        let note = f.starts_with("- ");
        out.push_str(if note && prev_note { "" } else { "\n" });
        out.push_str(&f);
        out.push('\n');
        prev_note = note;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::small;
    use crate::{Format, render};

    #[test]
    fn widths_count_terminal_columns() {
        assert_eq!(display_width("Hindi"), 5);
        assert_eq!(display_width("Ñandú"), 5);
        assert_eq!(display_width("N\u{303}andu\u{301}"), 5);
        assert_eq!(display_width("中文"), 4);
        assert_eq!(display_width("हिन्दी"), 5);
    }

    #[test]
    fn terminal_table_is_aligned() {
        let t = small();
        let s = render(&t, Format::Table, &TextOptions::default());
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[0], "Report card: test");
        assert!(lines[2].starts_with("language  name"));
        assert!(lines[3].contains("bytes/char ↓"), "{s}");
        assert!(lines[4].starts_with("--------  "));
        // Numbers are right-aligned: the byte premium values end in the same column.
        let col_end = |line: &str, needle: &str| {
            let i = line.find(needle).expect(needle);
            display_width(&line[..i]) + display_width(needle)
        };
        assert_eq!(col_end(lines[5], "2.31"), col_end(lines[6], "1.00"));
        assert_eq!(col_end(lines[5], "1200"), col_end(lines[7], "-5"));
        assert_eq!(col_end(lines[5], "98.8%"), col_end(lines[7], "50.0%"));
        assert!(lines[7].contains('–'), "missing cell shown as a dash: {s}");
        // All body lines are equally wide up to their last numeric column.
        assert!(s.contains("\nnote: xyz_Latn has no byte premium"));
        assert!(s.trim_end().ends_with(&crate::render_signature_line(&t)));
        assert!(s.contains("↑ higher is better, ↓ lower is better"));
    }

    #[test]
    fn terminal_options_hide_parts() {
        let t = small();
        let opts = TextOptions {
            missing: "n/a".into(),
            title: false,
            notes: false,
            signature: false,
        };
        let s = render(&t, Format::Table, &opts);
        assert!(s.starts_with("language"));
        assert!(s.contains("n/a"));
        assert!(!s.contains("note:"));
        assert!(!s.contains("signature:"));
    }

    #[test]
    fn markdown_table() {
        let t = small();
        let s = render(&t, Format::Md, &TextOptions::default());
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[0], "### Report card: test");
        assert_eq!(
            lines[2],
            "| language | name | script | characters (chars) | byte premium (bytes/char) ↓ | coverage ↑ | label |"
        );
        assert_eq!(lines[3], "|---|---|---|---:|---:|---:|---|");
        assert_eq!(
            lines[4],
            "| hin_Deva | Hindi | Deva | 1200 | 2.31 | 98.8% | a\\|b, \"c\" |"
        );
        assert!(lines[6].contains("&lt;script&gt;alert(1)&lt;/script&gt; Ñandú"));
        assert!(lines[6].contains("| – |"));
        // Every table line has the same number of unescaped pipes.
        let pipes = |l: &str| l.replace("\\|", "").matches('|').count();
        for l in &lines[2..7] {
            assert_eq!(pipes(l), 8, "{l}");
        }
        assert!(s.contains("\n- xyz_Latn has no byte premium: &lt;excluded&gt; & why\n"));
        assert!(
            s.trim_end()
                .ends_with(&format!("signature: `{}`", t.signature))
        );
    }

    #[test]
    fn code_spans_survive_backticks() {
        assert_eq!(md_code("a"), "`a`");
        assert_eq!(md_code("a`b"), "`` a`b ``");
    }
}
