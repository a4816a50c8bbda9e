//! `xling identify` on bad input, end to end: a line of about 10 MB, lines that are not UTF-8 or hold
//! no letter (`und`, a warning naming the file and line, the rest of the file labelled), random
//! bytes, and broken JSONL (an error naming the file and line). With the built-in model and with
//! lid.176 (`.cache/lid.176.ftz` from `scripts/install-test-assets`; without it those checks print
//! why they skip, and fail under `CI=true`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn xling(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_xling"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let body = stdin.to_vec();
    // Written from a thread: a large input must not block while xling's output fills its pipe.
    let writer = std::thread::spawn(move || {
        // xling may exit before reading its input (a usage error): a broken pipe here is expected.
        let _ = input.write_all(&body);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// lid.176.ftz, or `None` with a skip notice (a failure under `CI=true`).
fn lid176() -> Option<String> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.cache/lid.176.ftz");
    if p.exists() {
        return Some(p.display().to_string());
    }
    let msg = ".cache/lid.176.ftz is missing: run scripts/install-test-assets";
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{msg}");
    }
    eprintln!("skipped: {msg}");
    None
}

/// The model arguments to test: the built-in model, and lid.176 where it is installed.
fn models() -> Vec<Vec<String>> {
    let mut v = vec![vec![]];
    if let Some(p) = lid176() {
        v.push(vec!["--model".into(), p]);
    }
    v
}

fn args<'a>(model: &'a [String], rest: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec!["identify"];
    a.extend(model.iter().map(String::as_str));
    a.extend_from_slice(rest);
    a
}

/// English words joined by spaces, `len` bytes.
fn words(len: usize) -> String {
    const W: [&str; 10] = [
        "the", "weather", "is", "lovely", "today", "and", "we", "are", "going", "outside",
    ];
    let mut s = String::with_capacity(len + 16);
    let mut i = 7usize;
    while s.len() < len {
        i = (i * 31 + 17) % 1009;
        s.push_str(W[i % W.len()]);
        s.push(' ');
    }
    s.truncate(len);
    s
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// The label column of each output line.
fn labels(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect()
}

#[test]
fn a_ten_megabyte_line() {
    let dir = tempfile::tempdir().unwrap();
    let long = words(10 * 1024 * 1024);
    let mut text = long.clone().into_bytes();
    text.extend_from_slice("\nLe gouvernement a annoncé de nouvelles mesures.\n".as_bytes());
    let txt = write(dir.path(), "long.txt", &text);
    let json = serde_json::json!({ "id": 1, "text": long }).to_string();
    let jsonl = write(dir.path(), "long.jsonl", format!("{json}\n").as_bytes());
    for model in models() {
        let t = Instant::now();
        let o = xling(&args(&model, &[txt.to_str().unwrap()]), b"");
        assert!(o.status.success(), "{model:?}: {}", err(&o));
        assert_eq!(labels(&out(&o)), ["eng_Latn", "fra_Latn"], "{model:?}");
        // The line is printed back whole.
        assert!(o.stdout.len() > long.len(), "{model:?}");
        assert!(err(&o).is_empty(), "{model:?}: {}", err(&o));
        let o = xling(
            &args(&model, &[jsonl.to_str().unwrap(), "--format", "jsonl"]),
            b"",
        );
        assert!(o.status.success(), "{model:?}: {}", err(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(
            (v["id"].as_i64(), v["lang"].as_str()),
            (Some(1), Some("eng_Latn"))
        );
        assert_eq!(v["text"].as_str().map(str::len), Some(long.len()));
        // Unoptimised and on a loaded machine, well within this; a quadratic step would not be.
        assert!(
            t.elapsed() < Duration::from_secs(180),
            "{model:?}: {:?}",
            t.elapsed()
        );
    }
}

#[test]
fn binary_lines_are_und_with_a_warning_and_the_rest_is_labelled() {
    let dir = tempfile::tempdir().unwrap();
    let mut input: Vec<u8> = Vec::new();
    input.extend_from_slice("The weather is lovely today and we are going outside.\n".as_bytes());
    input.extend_from_slice(b"\xFF\xFE\x00b\x00i\x00n\x00\x80\x81\n"); // 2: not UTF-8
    input.extend_from_slice(b"\x00\x00\x00\x00\x00\n"); // 3: NULs
    input.extend_from_slice(b"\x01\x02\x1b[0;31\x7f\x08\n"); // 4: control characters
    input.extend_from_slice("12:30 — 45%, 😀\n".as_bytes()); // 5: no letters
    input.extend_from_slice(b"\n"); // 6: empty, und without a warning
    input.extend_from_slice("Le gouvernement a annoncé de nouvelles mesures.\r\n".as_bytes());
    input.extend_from_slice(b"caf\xE9 cr\xE8me\n"); // 8: Latin-1, not UTF-8
    input.extend_from_slice("Правительство объявило о новых мерах.".as_bytes());
    let path = write(dir.path(), "mixed.txt", &input);
    let name = path.display().to_string();
    for model in models() {
        let o = xling(&args(&model, &[&name]), b"");
        assert!(o.status.success(), "{model:?}: {}", err(&o));
        let got = labels(&out(&o));
        assert_eq!(
            got,
            [
                "eng_Latn", "und", "und", "und", "und", "und", "fra_Latn", "und", "rus_Cyrl"
            ],
            "{model:?}"
        );
        let stderr = err(&o);
        for (line, why) in [
            (2, "invalid UTF-8 at byte offset 54 of the file"),
            (3, "control characters and no letter of any script"),
            (4, "control characters and no letter of any script"),
            (
                5,
                "no letter of any script (only digits, punctuation or symbols)",
            ),
            (8, "invalid UTF-8 at byte offset"),
        ] {
            assert!(
                stderr.contains(&format!("xling: warning: {name}:{line}: {why}")),
                "{model:?}: line {line}: {stderr}"
            );
        }
        assert_eq!(stderr.lines().count(), 5, "{model:?}: {stderr}");
        // JSONL output of the same input: one object per line, `und` with probability 1.
        let o = xling(&args(&model, &[&name, "--format", "jsonl"]), b"");
        assert!(o.status.success(), "{model:?}: {}", err(&o));
        let rows: Vec<serde_json::Value> = out(&o)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(rows.len(), 9);
        assert_eq!(
            (rows[1]["lang"].as_str(), rows[1]["prob"].as_f64()),
            (Some("und"), Some(1.0))
        );
        assert!(rows[1]["text"].as_str().unwrap().contains('\u{fffd}'));
    }
}

#[test]
fn warnings_stop_at_twenty_then_a_count() {
    let mut input = Vec::new();
    for i in 0..50 {
        input.extend_from_slice(if i % 2 == 0 {
            b"\x00\x01\x02\n"
        } else {
            b"\xC3\x28\n"
        });
        input.extend_from_slice(
            "Die Regierung hat heute neue Maßnahmen für die Wirtschaft angekündigt.\n".as_bytes(),
        );
    }
    let o = xling(&["identify"], &input);
    assert!(o.status.success(), "{}", err(&o));
    let got = labels(&out(&o));
    assert_eq!(got.len(), 100);
    assert!(got.iter().step_by(2).all(|l| l == "und"), "{got:?}");
    assert!(
        got.iter().skip(1).step_by(2).all(|l| l == "deu_Latn"),
        "{got:?}"
    );
    let stderr = err(&o);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 21, "{stderr}");
    assert!(
        lines[0].starts_with("xling: warning: <stdin>:1: control characters"),
        "{stderr}"
    );
    assert!(
        lines[1].starts_with("xling: warning: <stdin>:3: invalid UTF-8 at byte offset"),
        "{stderr}"
    );
    assert!(
        lines[20]
            .contains("<stdin>: 50 lines labelled und as not UTF-8 or without letters (30 more"),
        "{stderr}"
    );
}

#[test]
fn random_bytes_never_fail_the_run() {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut bytes: Vec<u8> = (0..300_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    bytes.extend_from_slice(b"\nThe weather is lovely today and we are going outside.\n");
    let lines = bytes.split(|&b| b == b'\n').count() - 1;
    for model in models() {
        for extra in [
            &[][..],
            &["--spans"][..],
            &["--top-k", "3", "--format", "jsonl"][..],
        ] {
            let mut a = args(&model, &["-"]);
            a.extend_from_slice(extra);
            let o = xling(&a, &bytes);
            assert!(o.status.success(), "{a:?}: {}", err(&o));
            let stdout = out(&o);
            assert_eq!(stdout.lines().count(), lines, "{a:?}");
            if extra.is_empty() {
                assert_eq!(labels(&stdout).last().map(String::as_str), Some("eng_Latn"));
            }
            assert!(err(&o).contains("xling: warning: <stdin>:1: "), "{a:?}");
            assert!(!err(&o).contains("panicked"), "{a:?}: {}", err(&o));
        }
    }
}

#[test]
fn broken_jsonl_is_an_error_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let good = "{\"text\":\"The weather is lovely today.\"}\n";
    let cases: [(&str, Vec<u8>, &str); 3] = [
        (
            "bad-json.jsonl",
            format!("{good}{{\"text\": \"unterminated\n").into_bytes(),
            ":2: invalid JSON:",
        ),
        (
            "bad-utf8.jsonl",
            [
                good.as_bytes(),
                good.as_bytes(),
                b"{\"text\":\"caf\xE9\"}\n",
            ]
            .concat(),
            ":3: invalid UTF-8 at byte offset",
        ),
        (
            "no-text.jsonl",
            format!("{good}{{\"txt\":\"x\"}}\n").into_bytes(),
            ":2: missing string field `text`",
        ),
    ];
    for (file, body, want) in cases {
        let path = write(dir.path(), file, &body);
        let name = path.display().to_string();
        for model in models() {
            let o = xling(&args(&model, &[&name, "--format", "jsonl"]), b"");
            assert_eq!(o.status.code(), Some(1), "{file} {model:?}: {}", out(&o));
            assert!(
                err(&o).contains(&format!("{name}{want}")),
                "{file}: {}",
                err(&o)
            );
        }
    }
    // Letterless text inside valid JSON is data, labelled `und` with a warning.
    let path = write(
        dir.path(),
        "digits.jsonl",
        format!("{good}{{\"text\":\"12345\",\"id\":2}}\n").as_bytes(),
    );
    let name = path.display().to_string();
    let o = xling(&["identify", &name, "--format", "jsonl"], b"");
    assert!(o.status.success(), "{}", err(&o));
    let last: serde_json::Value = serde_json::from_str(out(&o).lines().nth(1).unwrap()).unwrap();
    assert_eq!(
        (last["id"].as_i64(), last["lang"].as_str()),
        (Some(2), Some("und"))
    );
    assert!(
        err(&o).contains(&format!("{name}:2: no letter of any script")),
        "{}",
        err(&o)
    );
}

#[test]
fn spans_of_a_binary_line_are_empty() {
    let o = xling(
        &["identify", "--spans"],
        &[
            &b"\xFF\xFE garbage\n"[..],
            "Yesterday I went to the market with my friends und dann haben wir zusammen Kuchen gegessen\n"
                .as_bytes(),
        ]
        .concat(),
    );
    assert!(o.status.success(), "{}", err(&o));
    let rows: Vec<serde_json::Value> = out(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["spans"].as_array().map(Vec::len), Some(0));
    assert_eq!(rows[1]["spans"].as_array().map(Vec::len), Some(2));
    assert!(err(&o).contains("<stdin>:1: invalid UTF-8"), "{}", err(&o));
}
