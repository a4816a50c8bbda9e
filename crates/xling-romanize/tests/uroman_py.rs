//! Agreement with the Python reference (PyPI `uroman==1.3.1.1`, installed into `<repo>/.cache/venv` by
//! `scripts/install-test-assets`) on freshly generated mixed-script text: a new random seed each run
//! (printed; set `XLING_ROMANIZE_SEED` to replay one). Without the venv the test prints a skip notice,
//! and fails under `CI=true`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

use xling_romanize::{Format, Romanizer, TokenCache, edges_to_json};

fn python() -> Option<PathBuf> {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let py = repo.join(".cache/venv/bin/python");
    let ok = py.exists()
        && Command::new(&py)
            .args(["-c", "import uroman"])
            .output()
            .is_ok_and(|o| o.status.success());
    if ok {
        return Some(py);
    }
    let msg = format!(
        "uroman 1.3.1.1 not found in {}; run scripts/install-test-assets",
        py.display()
    );
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{msg}");
    }
    eprintln!("skipping the uroman-py comparison: {msg}");
    None
}

/// xorshift64*: a small seeded generator for reproducible test text.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
    fn range(&mut self, lo: u32, hi: u32) -> char {
        char::from_u32(lo + (self.next() % u64::from(hi - lo + 1)) as u32).unwrap_or('?')
    }
}

fn chars(s: &str) -> Vec<String> {
    s.chars().map(String::from).collect()
}

/// One random word in one of many scripts, with the features uroman treats specially. Left out: `〇`,
/// `፻`, `፼` and `分之`, on which uroman-py 1.3.1.1 itself raises (rules without a target; a fraction
/// connector at the end of a token), so it has no output to compare with.
fn word(rng: &mut Rng) -> String {
    let pick_n = |rng: &mut Rng, alphabet: &str, lo: usize, hi: usize| -> String {
        let a = chars(alphabet);
        let n = lo + rng.below(hi - lo + 1);
        (0..n).map(|_| a[rng.below(a.len())].clone()).collect()
    };
    let syllables = |rng: &mut Rng, cons: &str, signs: &[&str], hi: usize| -> String {
        let c = chars(cons);
        let n = 1 + rng.below(hi);
        (0..n)
            .map(|_| format!("{}{}", c[rng.below(c.len())], rng.pick(signs)))
            .collect()
    };
    match rng.below(22) {
        0 => pick_n(rng, "абвгдежзийклмнопрстуфхцчшщъыьэюяёіїєґ", 2, 9),
        1 => pick_n(rng, "αβγδεζηθικλμνξοπρστυφχψωάέήίόύώΑΒΓΔΘΣΩ", 2, 9),
        2 => pick_n(rng, "ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأؤإئةى", 2, 8),
        3 => pick_n(rng, "אבגדהוזחטיכלמנסעפצקרשתךםןףץ", 2, 7),
        4 => syllables(
            rng,
            "कखगघचछजझटठडढणतथदधनपफबभमयरलवशषसह",
            &["", "ा", "ि", "ी", "ु", "ू", "े", "ै", "ो", "ौ", "्", "ं", "ँ"],
            4,
        ),
        5 => syllables(
            rng,
            "กขคงจฉชซญดตถทธนบปผพฟภมยรลวศษสหอฮ",
            &["", "ะ", "า", "ิ", "ี", "ึ", "ื", "ุ", "ู", "่", "้", "ั", "็", "์"],
            4,
        ),
        6 => syllables(
            rng,
            "কখগঘচছজঝটঠডঢণতথদধনপফবভমযরলশষসহ",
            &["", "া", "ি", "ী", "ু", "ূ", "ে", "ো", "্", "ং"],
            4,
        ),
        7 => {
            syllables(
                rng,
                "ཀཁགངཅཆཇཉཏཐདནཔཕབམཙཚཛཝཞཟའཡརལཤསཧཨ",
                &["", "ི", "ུ", "ེ", "ོ", "ྱ", "ྲ", "ླ", "ྐ", "ྒ"],
                3,
            ) + if rng.below(2) == 0 { "་" } else { "" }
        }
        8 => syllables(
            rng,
            "ကခဂဃငစဆဇညဋဌဍဎဏတထဒဓနပဖဗဘမယရလဝသဟဠအ",
            &[
                "", "ာ", "ိ", "ီ", "ု", "ူ", "ေ", "ဲ", "ံ", "့", "း", "်", "ျ", "ြ", "ွ",
            ],
            3,
        ),
        9 => syllables(
            rng,
            "កខគឃងចឆជឈញដឋឌឍណតថទធនបផពភមយរលវសហឡអ",
            &["", "ា", "ិ", "ី", "ឹ", "ឺ", "ុ", "ូ", "ួ", "េ", "ៃ", "ោ", "់", "្"],
            3,
        ),
        10 => pick_n(rng, "აბგდევზთიკლმნოპჟრსტუფქღყშჩცძწჭხჯჰ", 2, 9),
        11 => pick_n(rng, "աբգդեզէըթժիլխծկհձղճմյնշոչպջռսվտրցւփքօֆ", 2, 9),
        12 => (0..1 + rng.below(4))
            .map(|_| rng.range(0x1200, 0x1357))
            .collect(),
        13 => pick_n(
            rng,
            "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをんがぎぐげござじずぜぞだでどばびぶべぼぱぴぷぺぽっゃゅょアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲンッャュョー",
            2,
            7,
        ),
        14 => (0..1 + rng.below(4))
            .map(|_| rng.range(0xAC00, 0xD7A3))
            .collect(),
        15 => (0..1 + rng.below(5))
            .map(|_| rng.range(0x4E00, 0x9FA5))
            .collect(),
        16 => pick_n(rng, "一二三四五六七八九十百千万萬億亿零两兩半点", 1, 6),
        17 => pick_n(rng, "0123456789০১২৩৪৫৬৭৮৯٠١٢٣٤٥٦٧٨٩०१२३४५६७८९., ", 1, 8),
        18 => pick_n(rng, "⠁⠃⠉⠙⠑⠋⠛⠓⠊⠚⠅⠇⠍⠝⠕⠏⠟⠗⠎⠞⠥⠧⠺⠭⠽⠵⠼⠠⠀", 2, 8),
        19 => pick_n(rng, "abcdefghijklmnopqrstuvwxyzäöüéèçñşğıłßøåæÇŞİ", 2, 9),
        20 => pick_n(rng, "ሀለሐመሠረሰሸቀበተቸኀነኘአከኸወዐዘዠየደጀገጠጨጰጸፀፈፐ፩፪፫፲", 1, 5),
        _ => pick_n(rng, "ᠠᠡᠢᠣᠤᠥᠦᠨᠩᠪᠫᠬᠭᠮᠯᠰᠱᠲᠳᠴᠵᠶᠷᠸᠹᠺᠻᠼᠽ", 2, 7),
    }
}

fn generate(seed: u64, n_lines: usize) -> Vec<String> {
    let mut rng = Rng(seed | 1);
    let lcodes = [
        "eng", "ukr", "rus", "tur", "deu", "hin", "ben", "jpn", "kor", "zho", "tha", "bod", "mya",
        "khm", "amh", "ara", "fas", "heb", "san", "pan",
    ];
    (0..n_lines)
        .map(|_| {
            let n = 2 + rng.below(12);
            let mut line = String::new();
            if rng.below(4) == 0 {
                line.push_str(&format!("::lcode {} ", rng.pick(&lcodes)));
            }
            for i in 0..n {
                if i > 0 {
                    line.push_str(rng.pick(&[" ", " ", " ", ", ", ". ", "", "-", "。"]));
                }
                line.push_str(&word(&mut rng));
            }
            line.push_str(rng.pick(&[".", "!", "?", " 123.", ",", "", "।"]));
            line
        })
        .collect()
}

fn run_uroman(py: &PathBuf, lines: &[String], format: &str) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("xling-uroman-{}-{format}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("in.txt");
    let output = dir.join("out.txt");
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let o = Command::new(py)
        .args(["-m", "uroman", "--silent", "-f", format, "-i"])
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .output()
        .expect("run uroman");
    assert!(
        o.status.success(),
        "uroman failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = std::fs::read_to_string(&output).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    out.lines().map(str::to_string).collect()
}

/// The edges of a uroman JSON line, sorted by (start, end descending, text, kind): in the `lattice`
/// format uroman lists the edges of one span in Python set order (by object address), which is arbitrary.
fn sorted_edges(line: &str) -> Vec<(i64, i64, String, String)> {
    let inner = line
        .strip_prefix('[')
        .and_then(|l| l.strip_suffix(']'))
        .unwrap_or(line);
    let (mut depth, mut in_str, mut esc, mut start) = (0, false, false, 0);
    let mut out = Vec::new();
    for (i, c) in inner.char_indices() {
        if in_str {
            match (esc, c) {
                (true, _) => esc = false,
                (false, '\\') => esc = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '[' => {
                if depth == 0 {
                    start = i;
                }
                depth += 1;
            }
            ']' => {
                depth -= 1;
                if depth == 0 {
                    let v: serde_json::Value =
                        serde_json::from_str(&inner[start..=i]).unwrap_or_default();
                    let f = |k: usize| v.get(k).cloned().unwrap_or_default();
                    out.push((
                        f(0).as_i64().unwrap_or(-1),
                        -f(1).as_i64().unwrap_or(-1),
                        f(2).as_str().unwrap_or("").to_string(),
                        f(3).to_string(),
                    ));
                }
            }
            _ => {}
        }
    }
    out.sort();
    out
}

fn compare(want: &[String], got: &[String], lines: &[String], what: &str) {
    assert_eq!(want.len(), got.len(), "{what}: line counts");
    // Where two edges of one span rank equally (say a Braille number edge and a table rule with the
    // same text), uroman picks the first in Python set order, which follows object addresses; xling
    // picks the first added. The texts agree, the annotation can differ: such lines are counted, not
    // failed. In `lattice`, uroman lists a span's edges in that set order, so edges are compared sorted.
    let spans_texts = |l: &str| -> Vec<(i64, i64, String)> {
        let mut v: Vec<_> = sorted_edges(l)
            .into_iter()
            .map(|e| (e.0, e.1, e.2))
            .collect();
        v.dedup();
        v
    };
    let mut kind_only = 0;
    let mut same = |i: usize| {
        if want[i] == got[i] {
            return true;
        }
        if what == "lattice" && sorted_edges(&want[i]) == sorted_edges(&got[i]) {
            return true;
        }
        if what != "str" && spans_texts(&want[i]) == spans_texts(&got[i]) {
            kind_only += 1;
            return true;
        }
        false
    };
    let diffs: Vec<String> = (0..want.len())
        .filter(|&i| !same(i))
        .map(|i| {
            format!(
                "line {i}: {:?}\n  uroman-py: {:?}\n  xling:     {:?}",
                lines[i], want[i], got[i]
            )
        })
        .collect();
    for d in &diffs {
        eprintln!("{what}: {d}");
    }
    if kind_only > 0 {
        eprintln!("{what}: {kind_only} line(s) differ only in an edge annotation (set order)");
    }
    eprintln!(
        "{what}: {}/{} lines identical",
        want.len() - diffs.len(),
        want.len()
    );
    assert!(
        diffs.len() * 1000 <= want.len(),
        "{what}: {} of {} lines differ",
        diffs.len(),
        want.len()
    );
}

#[test]
fn agrees_with_uroman_py_on_fresh_mixed_text() {
    let Some(py) = python() else { return };
    let seed = std::env::var("XLING_ROMANIZE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    eprintln!("seed {seed} (replay with XLING_ROMANIZE_SEED={seed})");
    let lines = generate(seed, 2000);
    let r = Romanizer::new();
    let mut cache = TokenCache::new(65_536);
    let got: Vec<String> = lines
        .iter()
        .map(|l| r.romanize_line(l, None, Format::Str, &mut cache))
        .collect();
    compare(&run_uroman(&py, &lines, "str"), &got, &lines, "str");
    let few = &lines[..300];
    for (fmt, name) in [
        (Format::Edges, "edges"),
        (Format::Alts, "alts"),
        (Format::Lattice, "lattice"),
    ] {
        let got: Vec<String> = few
            .iter()
            .map(|l| r.romanize_line(l, None, fmt, &mut cache))
            .collect();
        compare(&run_uroman(&py, few, name), &got, few, name);
    }
    let _ = edges_to_json;
}
