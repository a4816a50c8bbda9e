//! Parity with uroman 1.3.1.1 (Python) on vendored reference outputs. These tests need no network and no
//! `../shared`.

use xling_romanize::{Format, Romanizer, TokenCache};

const MINI_IN: &str = include_str!("data/multi-script.txt");
const MINI_REF: &str = include_str!("data/multi-script.uroman-ref.txt");
const FLORES: &[u8] = include_bytes!("data/flores200-devtest-uroman.tsv.zst");
/// uroman's command line (`uroman -i`, lines prefixed `::lcode xxx `) splits lines into tokens and so
/// differs from its API on two of the 5,100 lines: (0-based line, command-line output).
const FLORES_CLI_DIFF: &str = include_str!("data/flores200-devtest-uroman-cli.diff.tsv");

/// Reference lines where xling is known to differ from uroman-py, with the reason: (flores_lang, line
/// index within that language's 25, reason). Currently none: all 5,100 lines match.
const KNOWN_DIFFERENCES: &[(&str, usize, &str)] = &[];

#[test]
fn mini_test_matches_exactly() {
    let r = Romanizer::new();
    let mut cache = TokenCache::new(65_536);
    let got: Vec<String> = MINI_IN
        .lines()
        .map(|l| r.romanize_line(l, None, Format::Str, &mut cache))
        .collect();
    let want: Vec<&str> = MINI_REF.lines().collect();
    assert_eq!(got.len(), 32);
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "mini-test line {}", i + 1);
    }
}

#[test]
fn flores_reference_lines_match() {
    let raw = zstd::stream::decode_all(FLORES).expect("decompress reference");
    let text = String::from_utf8(raw).expect("utf-8");
    let r = Romanizer::whole_string();
    let mut n = 0;
    let mut per_lang: std::collections::HashMap<&str, usize> = Default::default();
    let mut unexpected = Vec::new();
    let mut n_diff = 0;
    for line in text.split('\n').filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 4, "reference line: {line}");
        let idx = per_lang.entry(f[0]).or_default();
        let got = r.romanize(f[2], Some(f[1]));
        if got != f[3] {
            n_diff += 1;
            if !KNOWN_DIFFERENCES
                .iter()
                .any(|(l, i, _)| *l == f[0] && *i == *idx)
            {
                unexpected.push(format!(
                    "{} #{}: want {:?}\n  got {:?}",
                    f[0], idx, f[3], got
                ));
            }
        }
        *idx += 1;
        n += 1;
    }
    assert_eq!(n, 5100);
    assert!(
        unexpected.is_empty(),
        "{} unlisted differences:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
    assert!(n_diff * 1000 <= n, "{n_diff} of {n} lines differ");
}

#[test]
fn flores_reference_lines_match_the_command_line_too() {
    let raw = zstd::stream::decode_all(FLORES).expect("decompress reference");
    let text = String::from_utf8(raw).expect("utf-8");
    let cli: std::collections::HashMap<usize, &str> = FLORES_CLI_DIFF
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(i, o)| (i.parse().expect("line number"), o))
        .collect();
    assert_eq!(cli.len(), 2);
    let r = Romanizer::new();
    let mut cache = TokenCache::new(65_536);
    for (i, line) in text.split('\n').filter(|l| !l.is_empty()).enumerate() {
        let f: Vec<&str> = line.split('\t').collect();
        let want = cli.get(&i).copied().unwrap_or(f[3]);
        let got = r.romanize_line(
            &format!("::lcode {} {}", f[1], f[2]),
            None,
            Format::Str,
            &mut cache,
        );
        assert_eq!(
            got,
            format!("::lcode {} {want}", f[1]),
            "line {i} ({})",
            f[0]
        );
    }
}

#[test]
fn documented_examples() {
    let r = Romanizer::new();
    let cases: &[(&str, Option<&str>, &str)] = &[
        ("Игорь", None, "Igor"),
        ("Игорь", Some("ukr"), "Yhor"),
        ("ألاسكا", None, "alaska"),
        ("서울", None, "seoul"),
        ("Καλιφόρνια", None, "Kalifornia"),
        ("महात्मा गांधी", None, "mahaatmaa gaamdhii"),
        ("สวัสดี", None, "swatdii"),
        ("北京欢迎你", None, "beijinghuanyingni"),
        ("東京都", None, "dongjingdou"),
        ("ሰላም ልዑል", None, "salaame leule"),
        ("שלום עולם", None, "shlvm 'vlm"),
        ("Բարեւ", None, "Barew"),
        ("გამარჯობა", None, "gamarjoba"),
        ("ᠮᠣᠩᠭᠣᠯ", None, "monggol"),
        ("ᐃᓄᒃᑎᑐᑦ", None, "inoktitot"),
        ("ⴰⵣⵓⵍ", None, "azul"),
        ("ཀུན་", None, "kun·"),
        ("১২৩ ٤٥٦ 七十八", None, "123 456 78"),
        (
            "Ça va? straße İstanbul",
            Some("tur"),
            "Cha va? strasse Istanbul",
        ),
        ("Ça va? straße İstanbul", None, "Sa va? strasse Istanbul"),
    ];
    for (s, l, want) in cases {
        assert_eq!(&r.romanize(s, *l), want, "{s} -l {l:?}");
    }
}

#[test]
fn edges_format_has_code_point_offsets() {
    let r = Romanizer::new();
    let edges = r.romanize_edges("ちょっとまってください", None, Format::Edges);
    let json = xling_romanize::edges_to_json(&edges);
    assert!(
        json.starts_with(r#"[[0, 2, "cho", "rom"][2, 4, "tto", "rom"]"#),
        "{json}"
    );
    let lattice = xling_romanize::edges_to_json(&r.romanize_edges("Игорь", None, Format::Lattice));
    assert!(lattice.contains(r#"[1, 2, "h", "rom-alt"]"#), "{lattice}");
}
