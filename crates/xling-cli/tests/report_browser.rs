//! The main job's HTML report, opened in headless Chromium: every language gets a visible bar in every
//! chart. Under `CI=true` a missing Chromium fails the test (`scripts/install-test-assets` installs it);
//! elsewhere the test prints a skip notice.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use xling_report::browser::{Chromium, parse_charts};

#[test]
fn main_job_report_renders_a_bar_per_language_in_chromium() {
    let Some(chromium) = Chromium::find() else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!(
                "chromium is not installed: run scripts/install-test-assets (apt-get install -y chromium)"
            );
        }
        eprintln!("skipped: chromium not found (apt-get install -y chromium)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_xling"))
        .args(["report", "--format", "json"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = tmp.path().join("xling-report.html");
    let dom = chromium.dump_dom(&html).unwrap();
    let charts = parse_charts(&dom);
    let ids: Vec<&str> = charts.iter().map(|c| c.column.as_str()).collect();
    for want in [
        "chars",
        "bytes",
        "bytes_per_char",
        "byte_premium",
        "script_purity",
        "o200k_premium",
        "cl100k_premium",
    ] {
        assert!(ids.contains(&want), "no chart for {want}; charts: {ids:?}");
    }
    for chart in &charts {
        assert_eq!(
            chart.bars.len(),
            204,
            "chart {} has {} bars",
            chart.column,
            chart.bars.len()
        );
        for bar in &chart.bars {
            let w = bar.width.unwrap_or(0.0);
            assert!(
                w > 0.0,
                "chart {}: bar of {} has width {w}",
                chart.column,
                bar.lang
            );
        }
    }
    assert!(
        dom.contains("xling:report|corpus:flores200-sample|langs:204"),
        "signature missing"
    );
}
