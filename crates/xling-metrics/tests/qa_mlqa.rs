//! MLQA (and SQuAD) answer normalisation, exact match and F1 against the vendored reference outputs of
//! `tests/mlqa_fixture.py` (`tests/data/mlqa_fixture.json`: 480 seeded answers in the seven MLQA
//! languages and SQuAD's, computed by Python's `re`, `str.lower` and `unicodedata`). No Python needed.

use serde_json::Value;
use xling_metrics::qa::{
    MlqaLang, exact_match, exact_match_mlqa, normalize_answer, normalize_answer_mlqa, token_f1,
    token_f1_mlqa,
};

#[test]
fn mlqa_normalisation_equals_the_reference() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/mlqa_fixture.json");
    let data: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("json");
    let cases = data["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 480);
    let mut failures = Vec::new();
    let (mut sum_em, mut sum_f1) = (0.0, 0.0);
    for (k, c) in cases.iter().enumerate() {
        let lang = c["lang"].as_str().expect("lang");
        let pred = c["prediction"].as_str().expect("prediction");
        let answers: Vec<&str> = c["answers"]
            .as_array()
            .expect("answers")
            .iter()
            .map(|a| a.as_str().expect("answer"))
            .collect();
        let norm = |s: &str| match lang {
            "squad" => normalize_answer(s),
            l => normalize_answer_mlqa(s, l.parse::<MlqaLang>().expect("lang")),
        };
        for (s, want) in std::iter::once(&pred)
            .chain(&answers)
            .zip(c["normalized"].as_array().expect("normalized"))
        {
            let got = norm(s);
            if got != want.as_str().unwrap_or_default() {
                failures.push(format!(
                    "case {k} {lang}: normalize({s:?}) = {got:?}, want {want}"
                ));
            }
        }
        let (em, f1) = match lang {
            "squad" => (exact_match(pred, &answers), token_f1(pred, &answers)),
            l => {
                let l: MlqaLang = l.parse().expect("lang");
                (
                    exact_match_mlqa(pred, &answers, l),
                    token_f1_mlqa(pred, &answers, l),
                )
            }
        };
        let (want_em, want_f1) = (c["em"].as_f64().expect("em"), c["f1"].as_f64().expect("f1"));
        // serde_json's default float parser may be one unit in the last place off.
        if em != want_em || (f1 - want_f1).abs() > 1e-15 * want_f1.abs() {
            failures.push(format!(
                "case {k} {lang}: em {em} f1 {f1}, want {want_em} {want_f1} ({pred:?} vs {answers:?})"
            ));
        }
        sum_em += em;
        sum_f1 += f1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Both outcomes occur, and partial F1 too (two empty answers match exactly with F1 0).
    assert!(
        sum_em > 50.0 && sum_em < 400.0 && sum_f1 > 50.0,
        "{sum_em} {sum_f1}"
    );
}
