//! Segmentation properties and an evaluation on a vendored UD-PUD sample.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use xling_core::registry;
use xling_segment::eval::read_gold;
use xling_segment::{EvalOptions, Method, RuleSegmenter, model, ranges};

/// A small deterministic generator for random text.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        v[(self.next() % v.len() as u64) as usize]
    }
}

fn random_text(rng: &mut Rng) -> String {
    let pieces = [
        "Hello",
        "world",
        "Dr.",
        "3.14",
        "e.g.",
        "U.S.",
        "“Why?”",
        "(ok.)",
        "...",
        "…",
        "。",
        "！",
        "我爱北京",
        "नमस्ते।",
        "॥",
        "ሰላም።",
        "؟",
        "مرحبا",
        "ကျွန်တော်။",
        "\n",
        "\r\n",
        "  ",
        "\t",
        "?!",
        "A.",
        "b",
        "Ünïcödé",
        "\u{0301}",
        "🙂",
        "ไทย",
        "'",
        "\"",
        "-",
        "5.",
        "Mr",
        ".",
    ];
    let n = rng.next() % 40;
    let mut s = String::new();
    for _ in 0..n {
        s.push_str(rng.pick(&pieces));
        if rng.next().is_multiple_of(3) {
            s.push(' ');
        }
    }
    s
}

#[test]
fn segments_reproduce_the_input_byte_for_byte() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let langs = [
        None,
        Some("en"),
        Some("de"),
        Some("zh"),
        Some("hi"),
        Some("th"),
    ];
    let model = model::embedded().unwrap();
    for _ in 0..2000 {
        let text = random_text(&mut rng);
        let lang = rng
            .pick(&langs)
            .map(|q| registry().resolve(q).unwrap().lang);
        for method in [Method::Rules, Method::Model(model, None)] {
            let b = method.boundaries(&text, lang);
            assert!(b.windows(2).all(|w| w[0] < w[1]), "{text:?}: {b:?}");
            let joined: String = ranges(&b).into_iter().map(|r| &text[r]).collect();
            assert_eq!(joined, text);
        }
    }
}

#[test]
fn a_long_line_without_terminators_is_one_segment() {
    let text = "word ".repeat(2_000_000); // 10 MB
    let b = RuleSegmenter::default().boundaries(&text);
    assert_eq!(b, vec![text.len()]);
}

fn sample() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ud-pud-sample")
}

fn macro_f1(table: &xling_core::LangTable) -> f64 {
    let c = table.column_index("f1").unwrap();
    let v: Vec<f64> = table
        .rows
        .iter()
        .map(|r| r.cells[c].as_f64().unwrap())
        .collect();
    v.iter().sum::<f64>() / v.len() as f64
}

#[test]
fn rules_on_clean_and_model_on_corrupted_text() {
    let gold = read_gold(&sample()).unwrap();
    assert_eq!(gold.len(), 4);
    let clean = EvalOptions {
        corrupt: false,
        gold_name: "sample".into(),
    };
    let corrupted = EvalOptions {
        corrupt: true,
        gold_name: "sample".into(),
    };
    let rules_clean = macro_f1(&xling_segment::evaluate(&gold, Method::Rules, &clean).unwrap());
    assert!(rules_clean > 0.95, "rules on clean text: {rules_clean}");
    let rules_corrupt =
        macro_f1(&xling_segment::evaluate(&gold, Method::Rules, &corrupted).unwrap());
    assert!(
        rules_corrupt < 0.05,
        "rules on corrupted text: {rules_corrupt}"
    );
    let model = model::embedded().unwrap();
    let model_corrupt =
        macro_f1(&xling_segment::evaluate(&gold, Method::Model(model, None), &corrupted).unwrap());
    assert!(
        model_corrupt > 0.15 && model_corrupt > 5.0 * rules_corrupt,
        "model on corrupted text: {model_corrupt}"
    );
}
