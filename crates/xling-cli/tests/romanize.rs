//! End-to-end tests of `xling romanize`: uroman's mini-test through the binary, language options, the JSON
//! formats, order across parallel batches, and bad input.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn xling_stdin(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_xling"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn xling");
    let mut sin = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = sin.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("writer");
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../xling-romanize/tests/data");

#[test]
fn mini_test_file_matches_uroman() {
    let input = format!("{DATA}/multi-script.txt");
    let out = Command::new(env!("CARGO_BIN_EXE_xling"))
        .args(["romanize", &input])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let want = std::fs::read_to_string(format!("{DATA}/multi-script.uroman-ref.txt")).unwrap();
    assert_eq!(text(&out.stdout), want);
}

#[test]
fn language_option_resolves_codes_tags_and_names() {
    for l in ["ukr", "uk", "Ukrainian"] {
        let o = xling_stdin(&["romanize", "-l", l], "Игорь\n".as_bytes());
        assert_eq!(text(&o.stdout), "Yhor\n", "-l {l}");
    }
    let o = xling_stdin(&["romanize"], "Игорь\n".as_bytes());
    assert_eq!(text(&o.stdout), "Igor\n");
    let o = xling_stdin(
        &["romanize", "-l", "tur"],
        "Ça va? straße İstanbul\n".as_bytes(),
    );
    assert_eq!(text(&o.stdout), "Cha va? strasse Istanbul\n");
}

#[test]
fn json_formats_follow_uroman() {
    let o = xling_stdin(
        &["romanize", "-f", "edges"],
        "::lcode ukr Игорь\n".as_bytes(),
    );
    assert_eq!(
        text(&o.stdout),
        "[[0, 0, \"\", \"lcode: ukr\"][0, 1, \"Y\", \"rom\"][1, 2, \"h\", \"rom\"][2, 3, \"o\", \"rom\"][3, 4, \"r\", \"rom\"][4, 5, \"\", \"rom\"]]\n"
    );
    let o = xling_stdin(&["romanize", "--format", "lattice"], "Игорь\n".as_bytes());
    assert!(text(&o.stdout).contains("[1, 2, \"h\", \"rom-alt\"]"));
    let o = xling_stdin(&["romanize", "-f", "xml"], b"x\n");
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn output_order_is_kept_across_batches() {
    let mut input = String::new();
    for i in 0..10_000 {
        input.push_str(&format!("{i} Москва {i}\n"));
    }
    let o = xling_stdin(&["romanize"], input.as_bytes());
    assert!(o.status.success());
    let out = text(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 10_000);
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(*l, format!("{i} Moskva {i}"));
    }
}

#[test]
fn bad_input_gives_one_line_errors() {
    let o = xling_stdin(&["romanize"], b"ok\nab\xffcd\n");
    assert_eq!(o.status.code(), Some(1));
    let e = text(&o.stderr);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(
        e.starts_with("xling: error: <stdin>:2: invalid UTF-8 at byte offset 5"),
        "{e}"
    );
    let o = xling_stdin(&["romanize", "-l", "ukx"], b"x\n");
    assert_eq!(o.status.code(), Some(1));
    let e = text(&o.stderr);
    assert!(e.starts_with("xling: error: unknown language 'ukx'"), "{e}");
    assert!(e.contains("ukr_Cyrl"), "{e}");
    let o = Command::new(env!("CARGO_BIN_EXE_xling"))
        .args(["romanize", "/nonexistent/file.txt"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).starts_with("xling: error: /nonexistent/file.txt"));
    let dir = env!("CARGO_MANIFEST_DIR");
    let o = Command::new(env!("CARGO_BIN_EXE_xling"))
        .args(["romanize", dir])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let e = text(&o.stderr);
    assert_eq!(e.matches("os error").count(), 1, "{e}");
}

#[test]
fn control_characters_and_long_lines_pass_through() {
    let o = xling_stdin(&["romanize"], "a\u{1}b\tМир\u{7f}\r\n".as_bytes());
    assert!(o.status.success());
    assert_eq!(text(&o.stdout), "a\u{1}b\tMir\u{7f}\n");
    // as in uroman (Python universal newlines), a lone carriage return ends a line
    let o = xling_stdin(&["romanize"], "Мир\rмир\r\n".as_bytes());
    assert_eq!(text(&o.stdout), "Mir\nmir\n");
    // a 2 MB line: words of Cyrillic and Han without spaces between the Han characters
    let mut long = String::new();
    while long.len() < 2_000_000 {
        long.push_str("привет 北京欢迎你");
    }
    long.push('\n');
    let o = xling_stdin(&["romanize"], long.as_bytes());
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).starts_with("privet beijinghuanyingniprivet"));
}
