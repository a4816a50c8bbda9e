//! End-to-end tests of the `xling` binary: the main job, language lookup, and every kind of bad input
//! the foundation promises a clear one-line error for.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn xling(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xling"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run xling")
}

fn xling_stdin(args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_xling"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn xling");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts a failed run with exit code 1 and exactly one `xling: error:` line containing `want`.
fn assert_error(o: &Output, want: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "exit code; stderr: {err}");
    assert_eq!(
        err.lines().count(),
        1,
        "one-line error expected, got: {err}"
    );
    assert!(err.starts_with("xling: error: "), "{err}");
    assert!(err.contains(want), "want {want:?} in: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/flores200-first200")
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("invalid JSON ({e}): {}", stdout(o)))
}

#[test]
fn main_job_prints_204_languages_and_writes_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    let o = xling(&["report"], tmp.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for code in ["eng_Latn", "hin_Deva", "mya_Mymr", "zho_Hant", "zul_Latn"] {
        assert!(out.contains(code), "{code} missing");
    }
    assert!(
        out.contains("signature: xling:report|corpus:flores200-sample|langs:204|base:eng_Latn|")
    );
    let html = std::fs::read_to_string(tmp.path().join("xling-report.html")).unwrap();
    assert!(html.contains("CC BY-SA 4.0"));
    assert!(
        !html.contains("<script"),
        "the report must not need JavaScript"
    );

    let o = xling(&["report", "--format", "json", "--no-report"], tmp.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(json(&o)["rows"].as_array().unwrap().len(), 204);
}

/// Byte premium = bytes(L) / bytes(eng_Latn) over the first 200 lines, recomputed here from plain FLORES
/// files with nothing but the standard library.
fn independent_premium(dir: &Path, code: &str) -> f64 {
    let bytes = |c: &str| -> usize {
        let text = std::fs::read_to_string(dir.join(format!("{c}.devtest"))).unwrap();
        text.lines().take(200).map(str::len).sum()
    };
    bytes(code) as f64 / bytes("eng_Latn") as f64
}

#[test]
fn byte_premium_matches_an_independent_computation() {
    let tmp = tempfile::tempdir().unwrap();
    let o = xling(
        &[
            "report",
            "-l",
            "eng_Latn,hin_Deva,mya_Mymr",
            "-f",
            "json",
            "--no-report",
        ],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = json(&o)["rows"].as_array().unwrap().clone();
    let mut dirs = vec![fixture_dir()];
    // The full FLORES-200 release, when this checkout sits beside the shared data.
    let shared =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/flores200/devtest");
    if shared.is_dir() {
        dirs.push(shared);
    }
    for dir in dirs {
        for code in ["hin_Deva", "mya_Mymr"] {
            let row = rows.iter().find(|r| r["language"] == code).unwrap();
            let got = row["byte_premium"].as_f64().unwrap();
            let want = independent_premium(&dir, code);
            assert!(
                (got - want).abs() < 1e-12,
                "{code} from {}: xling {got}, independent {want}",
                dir.display()
            );
        }
    }
    // And the same numbers from the fixture files read as a FLORES directory.
    let o = xling(
        &[
            "report",
            "-c",
            fixture_dir().to_str().unwrap(),
            "-f",
            "json",
            "--no-report",
        ],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json(&o);
    let hin = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["language"] == "hin_Deva")
        .unwrap();
    assert!(
        (hin["byte_premium"].as_f64().unwrap() - independent_premium(&fixture_dir(), "hin_Deva"))
            .abs()
            < 1e-12
    );
}

#[test]
fn langs_resolves_every_form_of_hindi() {
    let tmp = tempfile::tempdir().unwrap();
    for q in ["hi", "hin", "Hindi", "hi-IN", "HIN_DEVA"] {
        let o = xling(&["langs", q, "-f", "json"], tmp.path());
        assert!(o.status.success(), "{q}: {}", stderr(&o));
        assert_eq!(json(&o)["rows"][0]["language"], "hin_Deva", "{q}");
    }
}

#[test]
fn langs_names_alternatives_of_a_macrolanguage() {
    let tmp = tempfile::tempdir().unwrap();
    let o = xling(&["langs", "fas"], tmp.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("fas → pes_Arab"), "{out}");
    assert!(out.contains("prs_Arab"), "{out}");
    let first_row = out.lines().find(|l| l.contains("_Arab")).unwrap();
    assert!(first_row.starts_with("pes_Arab"), "{first_row}");
}

#[test]
fn unknown_language_suggests_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let o = xling(&["langs", "hin_Dvea"], tmp.path());
    assert_error(&o, "hin_Deva");
    let o = xling(&["report", "-l", "xx_Nope", "--no-report"], tmp.path());
    assert_error(&o, "unknown language 'xx_Nope'");
}

#[test]
fn bad_files_get_one_line_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let p = |name: &str| tmp.path().join(name);
    std::fs::write(p("empty.txt"), b"").unwrap();
    std::fs::write(p("blank.txt"), b"\n \n\r\n").unwrap();
    std::fs::write(p("bad.txt"), b"ok\nnot \xFF ok\n").unwrap();
    let o = xling(&["scripts", "empty.txt"], tmp.path());
    assert_error(&o, "empty.txt: the file is empty");
    let o = xling(&["scripts", "blank.txt"], tmp.path());
    assert_error(&o, "blank.txt: the file contains only blank lines");
    let o = xling(&["scripts", "bad.txt"], tmp.path());
    assert_error(&o, "bad.txt:2: invalid UTF-8 at byte offset 7");
    let o = xling(&["corpus", "info", "missing-dir"], tmp.path());
    assert_error(&o, "missing-dir: no such file or directory");
}

#[test]
fn crlf_and_bom_are_read_as_plain_text() {
    let o = xling_stdin(
        &["scripts", "-", "--lang", "hi", "-f", "json"],
        "\u{feff}नमस्ते\r\nदुनिया\r\n".as_bytes(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json(&o);
    let row = &v["rows"][0];
    assert_eq!(row["language"], "hin_Deva");
    assert_eq!(row["chars"], 12); // no BOM, no CR
    assert_eq!(row["purity"], 1.0);
    assert_eq!(row["match"], "yes");
}

#[test]
fn corpus_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("flores");
    std::fs::create_dir(&d).unwrap();
    std::fs::write(d.join("eng_Latn.devtest"), b"a\nb\nc\n").unwrap();
    std::fs::write(d.join("fra_Latn.devtest"), b"a\nb\n").unwrap();
    let o = xling(&["corpus", "info", "flores"], tmp.path());
    assert_error(&o, "parallel files have different line counts");
    assert!(
        stderr(&o).contains("fra_Latn.devtest: 2 lines")
            && stderr(&o).contains("eng_Latn.devtest: 3 lines")
    );

    let junk = tmp.path().join("junk");
    std::fs::create_dir(&junk).unwrap();
    std::fs::write(junk.join("a.md"), b"x").unwrap();
    let o = xling(&["report", "-c", "junk", "--no-report"], tmp.path());
    assert_error(&o, "no recognisable corpus files");
}

#[test]
fn corpus_info_summarises() {
    let tmp = tempfile::tempdir().unwrap();
    let o = xling(
        &[
            "corpus",
            "info",
            fixture_dir().to_str().unwrap(),
            "-f",
            "csv",
        ],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with("language,name,script,segments,blank,chars,bytes,source"),
        "{out}"
    );
    assert!(out.contains("hin_Deva,Hindi,Deva,200,0,"), "{out}");
}

#[test]
fn unwritable_report_path_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let o = xling(
        &[
            "report",
            "-l",
            "eng_Latn,hin_Deva",
            "--report",
            "/nonexistent-dir/r.html",
        ],
        tmp.path(),
    );
    assert_error(&o, "/nonexistent-dir/r.html");
}

#[test]
fn usage_errors_exit_with_2() {
    let tmp = tempfile::tempdir().unwrap();
    let o = xling(&["report", "--format", "xml"], tmp.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown format 'xml'"));
}

#[test]
fn help_carries_the_data_attribution() {
    let tmp = tempfile::tempdir().unwrap();
    let o = xling(&["--help"], tmp.path());
    assert!(stdout(&o).contains("CC BY-SA 4.0"));
}
