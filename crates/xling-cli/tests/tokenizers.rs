//! `xling tokenizers` end to end: built-in tokenizers on the embedded sample, and one-line errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn xling(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_xling"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn builtin_tokenizers_on_the_sample() {
    let o = xling(&[
        "tokenizers",
        "-t",
        "o200k_base",
        "-t",
        "cl100k_base",
        "-l",
        "eng_Latn,hin_Deva,zho_Hans",
        "-f",
        "json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = v["rows"].as_array().unwrap();
    let eng = rows.iter().find(|r| r["language"] == "eng_Latn").unwrap();
    assert_eq!(eng["o200k_base.premium"].as_f64(), Some(1.0));
    let zho = rows.iter().find(|r| r["language"] == "zho_Hans").unwrap();
    assert_eq!(zho["word_unit"], "ICU-dictionary");
    let hin = rows.iter().find(|r| r["language"] == "hin_Deva").unwrap();
    assert!(hin["cl100k_base.nsl"].as_f64().unwrap() > 2.0);
    let sig = v["signature"].as_str().unwrap();
    assert!(
        sig.starts_with("xling:tokenizers|corpus:flores200-sample|langs:3|"),
        "{sig}"
    );
}

#[test]
fn bad_tokenizers_are_one_line_errors() {
    let o = xling(&["tokenizers", "-t", "gpt5", "-l", "eng_Latn"]);
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("unknown tokenizer 'gpt5'") && e.contains("o200k_base, cl100k_base"),
        "{e}"
    );
    assert_eq!(e.trim_end().lines().count(), 1, "{e}");

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("tokenizer.json");
    std::fs::write(&bad, "{\"version\": \"1.0\", \"model\": {}}").unwrap();
    let o = xling(&["tokenizers", "-t", bad.to_str().unwrap(), "-l", "eng_Latn"]);
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("tokenizer.json: not a valid HF tokenizer.json"),
        "{e}"
    );

    let o = xling(&["tokenizers", "-t", "o200k_base", "--metrics", "speed"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown metric 'speed'"));
}

#[test]
fn vocab_tables_follow_the_corpus_table() {
    let o = xling(&[
        "tokenizers",
        "-t",
        "o200k_base",
        "-t",
        "cl100k_base",
        "-l",
        "eng_Latn",
        "--vocab",
        "-f",
        "json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let tables = v.as_array().unwrap();
    assert_eq!(tables.len(), 4);
    let cats = &tables[1]["rows"];
    let total: i64 = cats
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["o200k_base.count"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 200_000);
    let shared = &tables[3]["rows"][0]["shared.cl100k_base"];
    assert!(shared.as_i64().unwrap() > 50_000, "{shared}");
}

#[test]
fn html_report_has_premium_figures() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("tok.html");
    let o = xling(&[
        "tokenizers",
        "-t",
        "o200k_base",
        "-t",
        "cl100k_base",
        "-l",
        "eng_Latn,hin_Deva,mya_Mymr",
        "--report",
        html.to_str().unwrap(),
        "-f",
        "csv",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let page = std::fs::read_to_string(&html).unwrap();
    assert_eq!(page.matches("class=\"series-bar\"").count(), 6);
    assert_eq!(page.matches("class=\"heat-cell\"").count(), 6);
    assert!(page.contains("Token premium per language"));
}

/// Native vs romanized premiums (the romanization-based adaptation experiment): romanized Hindi costs
/// fewer cl100k tokens than Devanagari (not so for o200k, whose vocabulary covers Devanagari well), and
/// English is nearly unchanged.
#[test]
fn romanized_premiums() {
    let premium = |extra: &[&str]| -> (f64, f64, String) {
        let mut args = vec![
            "tokenizers",
            "-t",
            "cl100k_base",
            "-l",
            "eng_Latn,hin_Deva",
            "-f",
            "json",
        ];
        args.extend_from_slice(extra);
        let o = xling(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let rows = v["rows"].as_array().unwrap();
        let get = |lang: &str, col: &str| {
            rows.iter().find(|r| r["language"] == lang).unwrap()[col]
                .as_f64()
                .unwrap()
        };
        (
            get("hin_Deva", "cl100k_base.premium"),
            get("eng_Latn", "cl100k_base.tokens"),
            v["signature"].as_str().unwrap().to_string(),
        )
    };
    let (native, eng_native, sig_native) = premium(&[]);
    let (romanized, eng_romanized, sig_romanized) = premium(&["--romanized"]);
    assert!(
        romanized < native,
        "romanized {romanized} vs native {native}"
    );
    // English barely changes (uroman only rewrites its few non-ASCII characters).
    assert!(
        (eng_native - eng_romanized).abs() / eng_native < 0.01,
        "{eng_native} vs {eng_romanized}"
    );
    assert!(!sig_native.contains("text:uroman"));
    assert!(
        sig_romanized.contains("|text:uroman-1.3.1.1|"),
        "{sig_romanized}"
    );
}
