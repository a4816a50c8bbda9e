//! Renders a 204-language HTML report in headless Chromium and checks the charts the browser built.
//!
//! Needs a Chromium binary (Debian: `apt-get install -y chromium`). Without one the test prints a skip
//! notice and passes, unless `CI=true`, where it fails. Set `XLING_REPORT_KEEP=<dir>` to keep the HTML
//! and a screenshot of it in `<dir>` for a look.

use std::collections::BTreeSet;
use std::path::PathBuf;

use xling_core::{Better, Cell, Column, ColumnKind, LangTable, Row, Signature};
use xling_report::browser::{Chromium, find_chromium, parse_charts};
use xling_report::{HtmlOptions, write_html_report};

/// Scripts and how many of the 204 synthetic languages use each (roughly FLORES-200's mix).
const SCRIPTS: &[(&str, usize)] = &[
    ("Latn", 112),
    ("Arab", 24),
    ("Cyrl", 16),
    ("Deva", 12),
    ("Ethi", 5),
    ("Beng", 4),
    ("Hans", 1),
    ("Hant", 2),
    ("Jpan", 1),
    ("Kore", 1),
    ("Grek", 1),
    ("Hebr", 2),
    ("Thai", 1),
    ("Taml", 1),
    ("Telu", 1),
    ("Knda", 1),
    ("Mlym", 1),
    ("Gujr", 1),
    ("Guru", 1),
    ("Orya", 1),
    ("Sinh", 1),
    ("Mymr", 2),
    ("Khmr", 1),
    ("Laoo", 1),
    ("Tibt", 2),
    ("Geor", 1),
    ("Armn", 1),
    ("Tfng", 3),
    ("Olck", 1),
    ("Mtei", 1),
    ("Thaa", 1),
];

/// A deterministic pseudo-random number in `[0, 1)` (xorshift).
fn next(state: &mut u64) -> f64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    (*state >> 11) as f64 / (1u64 << 53) as f64
}

fn synthetic_table() -> LangTable {
    let cols = vec![
        Column::new(
            "byte_premium",
            "byte premium",
            ColumnKind::Float { decimals: 2 },
            Better::Lower,
            "UTF-8 bytes per character of the translation, relative to English.",
        )
        .unit("bytes/char"),
        Column::new(
            "coverage",
            "script coverage",
            ColumnKind::Percent { decimals: 1 },
            Better::Higher,
            "Share of letters in the expected script.",
        ),
        Column::new(
            "chars",
            "characters",
            ColumnKind::Int,
            Better::Neither,
            "Characters in the sample.",
        )
        .unit("chars"),
        Column::new(
            "delta",
            "length change",
            ColumnKind::Float { decimals: 1 },
            Better::Neither,
            "Relative change in length against English, in percent points.",
        ),
        Column::new(
            "family",
            "family",
            ColumnKind::Text,
            Better::Neither,
            "Language family.",
        ),
    ];
    let sig = Signature::new("report")
        .with("corpus", "synthetic-204")
        .with("base", "eng_Latn")
        .with_data("deadbeef");
    let mut t = LangTable::new("Report card: synthetic-204", cols, sig);
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut i = 0usize;
    for (script, n) in SCRIPTS {
        for _ in 0..*n {
            let code: String = [i / 676, i / 26 % 26, i % 26]
                .iter()
                .map(|d| char::from(b'a' + *d as u8))
                .collect();
            let key = if i % 37 == 5 {
                format!("{code}_{script}-GB")
            } else {
                format!("{code}_{script}")
            };
            let name = match i % 23 {
                0 => format!("Ñandúbay {i}"),
                7 => format!("<script>alert({i})</script> & co"),
                _ => format!("Language {i}"),
            };
            let premium = 0.8 + 3.2 * next(&mut rng);
            let coverage = 0.55 + 0.45 * next(&mut rng);
            let chars = 800 + (1400.0 * next(&mut rng)) as i64;
            let delta = -40.0 + 90.0 * next(&mut rng);
            t.push(Row {
                key,
                name,
                script: (*script).to_string(),
                cells: vec![
                    Cell::Float(premium),
                    Cell::Float(coverage),
                    Cell::Int(chars),
                    if i % 50 == 3 {
                        Cell::Missing
                    } else {
                        Cell::Float(delta)
                    },
                    Cell::Text("Family".into()),
                ],
            })
            .expect("valid row");
            i += 1;
        }
    }
    t.notes
        .push("Synthetic data: 204 made-up languages for a rendering test.".into());
    t
}

fn chromium_or_skip() -> Option<PathBuf> {
    match find_chromium() {
        Some(p) => Some(p),
        None if std::env::var("CI").as_deref() == Ok("true") => panic!(
            "Chromium is required on CI for the HTML report test: run `apt-get install -y chromium`"
        ),
        None => {
            eprintln!(
                "SKIPPED: no Chromium found; install it (`apt-get install -y chromium`) to run this test"
            );
            None
        }
    }
}

#[test]
fn report_renders_one_bar_per_language_in_chromium() {
    let Some(browser) = chromium_or_skip() else {
        return;
    };
    let table = synthetic_table();
    assert_eq!(table.rows.len(), 204);
    let dir = tempfile::tempdir().expect("temp dir");
    let html = dir.path().join("report.html");
    let opts = HtmlOptions::new("xling report: synthetic")
        .intro("Synthetic sample of 204 languages for a rendering test; not real measurements.");
    write_html_report(&html, std::slice::from_ref(&table), &opts).expect("report written");

    let chromium = Chromium::new(browser);
    let dom = chromium.dump_dom(&html).expect("Chromium dumps the DOM");
    assert!(dom.contains("<svg class=\"chart\""), "no chart in the DOM");
    // Chromium parsed the data, not script: the escaped names stay text.
    assert!(!dom.contains("<script>alert("));

    let charts = parse_charts(&dom);
    let columns: Vec<&str> = charts.iter().map(|c| c.column.as_str()).collect();
    assert_eq!(columns, ["byte_premium", "coverage", "chars", "delta"]);
    let all: BTreeSet<&str> = table.rows.iter().map(|r| r.key.as_str()).collect();
    for chart in &charts {
        let valued: BTreeSet<&str> = table
            .rows
            .iter()
            .filter(|r| {
                let c = table.column_index(&chart.column).expect("column");
                r.cells[c].as_f64().is_some()
            })
            .map(|r| r.key.as_str())
            .collect();
        let langs: BTreeSet<&str> = chart.bars.iter().map(|b| b.lang.as_str()).collect();
        assert_eq!(
            chart.bars.len(),
            valued.len(),
            "{}: one bar per language",
            chart.column
        );
        assert_eq!(
            langs, valued,
            "{}: the bars are the languages",
            chart.column
        );
        for bar in &chart.bars {
            assert!(
                bar.width.is_some_and(|w| w > 0.0),
                "{}: bar {} has width {:?}",
                chart.column,
                bar.lang,
                bar.width
            );
            assert!(bar.value.parse::<f64>().is_ok(), "{bar:?}");
        }
    }
    assert_eq!(charts[0].bars.len(), 204);
    assert_eq!(
        charts[0]
            .bars
            .iter()
            .map(|b| b.lang.as_str())
            .collect::<BTreeSet<_>>(),
        all
    );
    // Lower is better: the byte premium chart runs from the smallest value up.
    let values: Vec<f64> = charts[0]
        .bars
        .iter()
        .map(|b| b.value.parse().expect("number"))
        .collect();
    assert!(values.windows(2).all(|w| w[0] <= w[1]));
    // Negative values are drawn too.
    assert!(charts[3].bars.iter().any(|b| b.value.starts_with('-')));

    let png = dir.path().join("report.png");
    chromium
        .screenshot(&html, &png, 1200, 2000)
        .expect("Chromium takes a screenshot");
    let bytes = std::fs::read(&png).expect("screenshot readable");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(bytes.len() > 10_000, "suspiciously small screenshot");

    if let Some(keep) = std::env::var_os("XLING_REPORT_KEEP") {
        let keep = PathBuf::from(keep);
        std::fs::create_dir_all(&keep).expect("keep dir");
        std::fs::copy(&html, keep.join("report.html")).expect("copy html");
        std::fs::copy(&png, keep.join("report.png")).expect("copy png");
    }
}
