//! The built-in model on real FLORES-200 devtest lines (vendored fixture; never seen in training).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use xling_core::Corpus;
use xling_identify::{Identifier, UND, embedded, evaluate, letter_scripts};

fn fixture() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../xling-cli/tests/data/flores200-first200")
        .display()
        .to_string()
}

#[test]
fn builtin_model_identifies_flores_devtest_lines() {
    let model = embedded().unwrap();
    assert_eq!(model.labels.len(), 204);
    let ident = Identifier::new(model, 0.0);
    let corpus = Corpus::open(&fixture()).unwrap().load().unwrap();
    let table = evaluate(&ident, &corpus, "builtin").unwrap();
    for key in ["eng_Latn", "hin_Deva", "mya_Mymr"] {
        let recall = table.get(key, "recall").and_then(|c| c.as_f64()).unwrap();
        assert!(recall > 0.9, "{key}: recall {recall}");
    }
    assert!(
        table
            .signature
            .to_string()
            .starts_with("xling:identify-eval|model:builtin|threshold:0.00|")
    );
}

#[test]
fn empty_text_short_circuits_and_threshold() {
    let model = embedded().unwrap();
    let ident = Identifier::new(model, 0.0);
    assert_eq!(ident.identify("   ", 1)[0].lang, UND);
    // Hangul is written only by Korean among the FLORES-200 languages.
    let p = &ident.identify("안녕하세요 여러분", 3)[0];
    assert_eq!((p.lang.as_str(), p.prob), ("kor_Hang", 1.0));
    assert_eq!(
        ident.identify("The quick brown fox jumps over the lazy dog.", 1)[0].lang,
        "eng_Latn"
    );
    let strict = Identifier::new(model, 1.01);
    assert_eq!(
        strict.identify("The quick brown fox jumps over the lazy dog.", 1)[0].lang,
        UND
    );
}

#[test]
fn top_k_probabilities_are_ordered() {
    let ident = Identifier::new(embedded().unwrap(), 0.0);
    let top = ident.identify(
        "Le gouvernement a annoncé de nouvelles mesures pour l'économie.",
        5,
    );
    assert_eq!(top.len(), 5);
    assert_eq!(top[0].lang, "fra_Latn");
    assert!(top.windows(2).all(|w| w[0].prob >= w[1].prob));
}

#[test]
fn fidelity_counts_answers_in_the_expected_language() {
    let ident = Identifier::new(embedded().unwrap(), 0.0);
    let items = [
        (
            "The government announced new measures for the economy today.",
            "eng_Latn",
        ),
        (
            "The government announced new measures for the economy today.",
            "fr",
        ),
        (
            "Le gouvernement a annoncé de nouvelles mesures pour l'économie.",
            "fra_Latn",
        ),
    ];
    let f = xling_identify::fidelity(&ident, items);
    assert_eq!((f.total, f.matched), (3, 2));
    assert_eq!(f.by_lang["fra_Latn"], (2, 1, Some("eng_Latn".to_string())));
    assert!((f.rate() - 2.0 / 3.0).abs() < 1e-12);
}

/// The Unicode scripts a label is written in, from the registry.
fn scripts_of(label: &str) -> Vec<xling_core::Script> {
    xling_core::registry()
        .get(label)
        .map(|l| l.script.unicode_scripts())
        .unwrap_or_default()
}

#[test]
fn answers_are_written_in_a_script_of_the_text() {
    // Single words and word pairs of every language of the embedded FLORES-200 sample: short text,
    // where rare characters' n-grams used to pull answers to labels of other scripts.
    let ident = Identifier::new(embedded().unwrap(), 0.0);
    let corpus = xling_core::Corpus::embedded_sample()
        .unwrap()
        .load()
        .unwrap();
    let mut checked = 0;
    for stream in &corpus.streams {
        for seg in stream.segments.iter().take(6) {
            let words: Vec<&str> = seg.text.split_whitespace().collect();
            let pairs = words.windows(2).map(|w| w.join(" "));
            for text in words.iter().map(|w| w.to_string()).chain(pairs).take(16) {
                let in_text = letter_scripts(&text);
                for p in ident.identify(&text, 3) {
                    if p.lang == UND {
                        continue;
                    }
                    checked += 1;
                    assert!(
                        scripts_of(&p.lang).iter().any(|s| in_text.contains(s)),
                        "{text:?} ({}): {} ({}) is not written in {in_text:?}",
                        stream.variety.key,
                        p.lang,
                        p.prob
                    );
                }
            }
        }
    }
    assert!(checked > 20_000, "{checked} answers checked");
}

#[test]
fn han_text_gets_han_labels() {
    let ident = Identifier::new(embedded().unwrap(), 0.0);
    let han = ["zho_Hans", "zho_Hant", "yue_Hant", "jpn_Jpan"];
    // Single characters and words from lingua's Chinese test words (`寿` used to be arb_Arab 0.88).
    for text in ["寿", "龙", "鑫", "舅舅", "嘛", "喜欢", "茶叶", "12 寿司!"] {
        let top = ident.identify(text, 5);
        assert!(top.len() <= 4, "{text}: {top:?}");
        for p in &top {
            assert!(han.contains(&p.lang.as_str()), "{text}: {top:?}");
        }
        let sum: f32 = top.iter().map(|p| p.prob).sum();
        assert!((sum - 1.0).abs() < 1e-4, "{text}: {top:?}");
    }
}

#[test]
fn restricted_probabilities_renormalise_the_model_over_the_texts_scripts() {
    let model = embedded().unwrap();
    for text in [
        "寿",
        "Привет",
        "東京 is a city",
        "नमस्ते दुनिया",
        "hello",
        "שלום עליכם",
    ] {
        let in_text = letter_scripts(text);
        let full = model.unrestricted_probabilities(text);
        let p = model.probabilities(text);
        let allowed: Vec<bool> = model
            .labels
            .iter()
            .map(|l| scripts_of(l).iter().any(|s| in_text.contains(s)))
            .collect();
        assert!(allowed.iter().any(|a| *a), "{text}");
        let mass: f32 = (0..p.len()).filter(|&k| allowed[k]).map(|k| full[k]).sum();
        for k in 0..p.len() {
            let want = if allowed[k] { full[k] / mass } else { 0.0 };
            assert!(
                (p[k] - want).abs() <= 1e-5 + 1e-3 * want,
                "{text}: {} {} vs {want}",
                model.labels[k],
                p[k]
            );
        }
        let sum: f32 = p.iter().sum();
        assert!((sum - 1.0).abs() < 1e-4, "{text}: {sum}");
    }
}

#[test]
fn letters_only_of_scripts_without_a_label_are_und() {
    let model = embedded().unwrap();
    let ident = Identifier::new(model, 0.0);
    // Cherokee and Gothic: no FLORES-200 language is written in them.
    for text in ["ᏣᎳᎩ ᎦᏬᏂᎯᏍᏗ", "𐌰𐌹𐍃𐍄"] {
        assert!(
            model.probabilities(text).iter().all(|p| *p == 0.0),
            "{text}"
        );
        let p = ident.identify(text, 3);
        assert_eq!(p.len(), 1);
        assert_eq!((p[0].lang.as_str(), p[0].prob), (UND, 0.0), "{text}");
    }
    // Digits and punctuation do not count for any script.
    assert!(letter_scripts("12:30, 45% — ¿?").is_empty());
    assert_eq!(
        letter_scripts("abc ДЕ 東 ab"),
        [
            xling_core::Script::LATIN,
            xling_core::Script::parse("Cyrl").unwrap(),
            xling_core::Script::parse("Hani").unwrap()
        ]
    );
}
