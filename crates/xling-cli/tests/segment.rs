//! `xling segment` and `xling segment eval` end to end.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn xling(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_xling"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // xling may exit before reading its input (a usage error): a broken pipe here is expected.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn segments_stdin_one_sentence_a_line() {
    let o = xling(
        &["segment", "-l", "en"],
        b"Dr. Smith came. He left! Did he?\nNew line here",
    );
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(
        out(&o),
        "Dr. Smith came.\nHe left!\nDid he?\nNew line here\n"
    );
}

#[test]
fn jsonl_has_character_offsets() {
    let o = xling(
        &["segment", "-l", "hi", "--format", "jsonl"],
        "नमस्ते। ठीक है?".as_bytes(),
    );
    assert!(o.status.success(), "{}", err(&o));
    let lines: Vec<serde_json::Value> = out(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["start"], 8);
    assert_eq!(lines[1]["end"], 15);
    assert_eq!(lines[1]["text"], "ठीक है?");
}

#[test]
fn auto_mode_uses_the_model_on_unpunctuated_text() {
    let text =
        "the minister said on monday that the talks had failed he will travel to paris next week";
    let o = xling(&["segment", "-l", "en", "--mode", "rules"], text.as_bytes());
    assert_eq!(out(&o).lines().count(), 1);
    let o = xling(
        &[
            "segment",
            "-l",
            "en",
            "--mode",
            "model",
            "--threshold",
            "0.01",
        ],
        text.as_bytes(),
    );
    assert!(o.status.success(), "{}", err(&o));
    assert!(out(&o).lines().count() > 1, "{}", out(&o));
}

#[test]
fn bad_input() {
    let o = xling(&["segment"], b"");
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).contains("the file is empty"), "{}", err(&o));
    let o = xling(&["segment"], b"fine\nbad \xC3\x28\n");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err(&o).contains("<stdin>:2: invalid UTF-8 at byte offset 9"),
        "{}",
        err(&o)
    );
    let o = xling(&["segment", "-l", "xx_Nope"], b"a");
    assert!(
        err(&o).contains("unknown language 'xx_Nope'"),
        "{}",
        err(&o)
    );
    let o = xling(
        &[
            "segment",
            "--model",
            "/nonexistent/model.bin",
            "--mode",
            "model",
        ],
        b"a",
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).contains("/nonexistent/model.bin"), "{}", err(&o));
}

#[test]
fn eval_on_the_vendored_ud_pud_sample() {
    let gold =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../xling-segment/tests/data/ud-pud-sample");
    let o = xling(
        &[
            "segment",
            "eval",
            "--gold",
            gold.to_str().unwrap(),
            "-f",
            "json",
        ],
        b"",
    );
    assert!(o.status.success(), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    assert!(
        rows.iter().all(|r| r["f1"].as_f64().unwrap() > 0.9),
        "{rows:?}"
    );
    assert!(v["signature"].as_str().unwrap().contains("mode:rules|"));
    let o = xling(
        &[
            "segment",
            "eval",
            "--gold",
            gold.to_str().unwrap(),
            "--corrupt",
            "-f",
            "json",
        ],
        b"",
    );
    let v: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert!(
        v["signature"].as_str().unwrap().contains("mode:model[t="),
        "{}",
        v["signature"]
    );
}

#[test]
fn identify_lines_and_bad_models() {
    let o = xling(
        &["identify"],
        "Bonjour tout le monde, comment allez-vous ?\n\n안녕하세요\n".as_bytes(),
    );
    assert!(o.status.success(), "{}", err(&o));
    let stdout = out(&o);
    let lines: Vec<&str> = stdout
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(lines, ["fra_Latn", "und", "kor_Hang"]);
    let o = xling(&["identify", "--model", "Cargo.toml"], b"hi");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err(&o).contains("not an xling language-identification model"),
        "{}",
        err(&o)
    );
    // Binary input is labelled `und` with a warning (more in tests/identify.rs).
    let o = xling(&["identify"], b"\xFF\xFE\x00binary");
    assert!(o.status.success(), "{}", err(&o));
    assert!(out(&o).starts_with("und\t"), "{}", out(&o));
    assert!(err(&o).contains("<stdin>:1: invalid UTF-8"), "{}", err(&o));
}

#[test]
fn identify_jsonl_adds_lang_and_prob() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("in.jsonl");
    std::fs::write(
        &p,
        "{\"id\":7,\"text\":\"The weather is lovely today in London.\"}\n",
    )
    .unwrap();
    let o = xling(&["identify", p.to_str().unwrap(), "--format", "jsonl"], b"");
    assert!(o.status.success(), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_str(out(&o).trim()).unwrap();
    assert_eq!(v["id"], 7);
    assert_eq!(v["lang"], "eng_Latn");
    assert!(v["prob"].as_f64().unwrap() > 0.5);
}

#[test]
fn identify_spans_of_code_switched_text() {
    let text = "Yesterday I went to the market with my friends und dann haben wir zusammen Kuchen gegessen";
    let o = xling(&["identify", "--spans"], text.as_bytes());
    assert!(o.status.success(), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_str(out(&o).trim()).unwrap();
    let langs: Vec<&str> = v["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["lang"].as_str().unwrap())
        .collect();
    assert_eq!(langs, ["eng_Latn", "deu_Latn"]);
    assert!(v["cmi"].as_f64().unwrap() > 40.0);
}
