//! The built-in model on real FLORES-200 devtest lines (vendored fixture; never seen in training).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use xling_core::Corpus;
use xling_identify::{Identifier, UND, embedded, evaluate};

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
