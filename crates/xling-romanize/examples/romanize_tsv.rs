//! Reads `lcode<TAB>text` lines on stdin and writes the romanization of each text (developer tool for
//! parity checks); `--whole` romanizes whole strings like uroman's Python API.
use std::io::{BufRead, Write};

fn main() {
    let whole = std::env::args().any(|a| a == "--whole");
    let r = if whole {
        xling_romanize::Romanizer::whole_string()
    } else {
        xling_romanize::Romanizer::new()
    };
    let mut out = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        let (lc, s) = line.split_once('\t').unwrap_or(("", &line));
        let lc = (!lc.is_empty()).then_some(lc);
        let _ = writeln!(out, "{}", r.romanize(s, lc));
    }
}
