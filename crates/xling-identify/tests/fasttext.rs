//! fastText model files without Python: the vendored tiny models (tests/data/README.md) load and
//! predict, and truncated, corrupted or foreign files give errors that say what is wrong, never a panic.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use xling_identify::fasttext::{FastTextError, Loss};
use xling_identify::{FastText, Identifier, LoadError, Model, load_model, model_from_bytes};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn bytes(name: &str) -> Vec<u8> {
    std::fs::read(data(name)).unwrap()
}

/// Held-out lines: the first 50 FLORES-200 devtest lines of eight of the languages (the embedded
/// sample; the models were trained on lines 201–400).
fn held_out() -> Vec<(String, String)> {
    let mut c = xling_core::Corpus::embedded_sample().unwrap();
    c.select(&[
        "eng_Latn", "fra_Latn", "deu_Latn", "spa_Latn", "rus_Cyrl", "hin_Deva", "arb_Arab",
        "zho_Hans",
    ])
    .unwrap();
    let c = c.load().unwrap();
    c.streams
        .iter()
        .flat_map(|s| {
            s.segments[..50]
                .iter()
                .map(|g| (s.variety.key.clone(), g.text.clone()))
                .collect::<Vec<_>>()
        })
        .collect()
}

const ENGLISH: &str = "The weather is nice today and we are going to the park with the children.";
const FRENCH: &str =
    "Le gouvernement a annoncé de nouvelles mesures pour soutenir l'économie du pays.";
const RUSSIAN: &str = "Правительство объявило о новых мерах поддержки экономики страны.";

#[test]
fn tiny_models_load_and_predict() {
    for (name, loss, quantized) in [
        ("tiny-softmax.bin", Loss::Softmax, (false, false)),
        ("tiny-hs.ftz", Loss::HierarchicalSoftmax, (true, false)),
    ] {
        let m = FastText::from_bytes(&bytes(name)).unwrap();
        assert_eq!(m.loss(), loss, "{name}");
        assert_eq!(m.quantized(), quantized, "{name}");
        assert_eq!(m.dim(), 8);
        assert_eq!(m.labels().len(), 9);
        // Labels mapped through the registry; `sh` is not resolvable and stays raw.
        assert!(m.raw_labels().iter().all(|l| l.starts_with("__label__")));
        assert!(m.labels().contains(&"eng_Latn".to_string()));
        assert!(m.labels().contains(&"__label__sh".to_string()));
        let lines = held_out();
        let mut right = 0;
        for (gold, text) in &lines {
            let top = m.predict(text, 3);
            right += usize::from(m.labels()[top[0].0] == *gold);
            assert!(top.windows(2).all(|w| w[0].1 >= w[1].1), "{name}: {top:?}");
            assert!(top.iter().all(|p| p.1 > 0.0 && p.1 <= 1.0 + 2e-5));
        }
        assert!(
            right * 10 >= lines.len() * 9,
            "{name}: {right} of {} held-out lines right",
            lines.len()
        );
        // The full distribution agrees with the best label and sums to one.
        let p = m.probabilities(ENGLISH);
        let sum: f32 = p.iter().sum();
        assert!((sum - 1.0).abs() < 1e-3, "{name}: sum {sum}");
        let best = (0..p.len()).max_by(|a, b| p[*a].total_cmp(&p[*b])).unwrap();
        assert_eq!(m.labels()[best], "eng_Latn");
        // A threshold drops labels below it; k = 0 gives nothing.
        assert!(
            m.predict_with_threshold(FRENCH, 9, 0.5)
                .iter()
                .all(|p| p.1 >= 0.5)
        );
        assert!(m.predict(FRENCH, 0).is_empty());
    }
}

#[test]
fn identifier_uses_fasttext_models_without_script_shortcut() {
    let Model::FastText(m) = load_model(&data("tiny-hs.ftz")).unwrap() else {
        panic!("expected a fastText model");
    };
    let ident = Identifier::new(m.as_ref(), 0.0);
    let preds = ident.identify(RUSSIAN, 2);
    assert_eq!(preds[0].lang, "rus_Cyrl");
    assert!(
        preds[0].prob < 1.0,
        "the model's probability, not a shortcut"
    );
    assert_eq!(ident.identify("  ", 1)[0].lang, "und");
    let strict = Identifier::new(m.as_ref(), 1.5);
    assert_eq!(strict.identify(RUSSIAN, 1)[0].lang, "und");
}

#[test]
fn every_truncation_is_an_error_naming_what_is_missing() {
    for name in ["tiny-hs.ftz", "tiny-softmax.bin"] {
        let full = bytes(name);
        // Every cut in the header and dictionary region, then every 97th byte to the end.
        let cuts = (0..full.len().min(4096)).chain((4096..full.len()).step_by(97));
        for cut in cuts {
            let err = FastText::from_bytes(&full[..cut]).expect_err("truncated file loaded");
            let msg = err.to_string();
            match err {
                FastTextError::Truncated { .. } => {
                    assert!(msg.contains("truncated fastText model"), "{msg}")
                }
                FastTextError::Magic => assert!(cut < 4, "{name} cut at {cut}: {msg}"),
                other => panic!("{name} cut at {cut}: unexpected {other}"),
            }
        }
        let err = model_from_bytes(&full[..full.len() / 2], name).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!("{name}: truncated fastText model:")),
            "{msg}"
        );
    }
}

#[test]
fn corrupted_files_never_panic() {
    // Flip bytes all over the header, dictionary and matrices; loading and predicting must either
    // work or fail with an error.
    let full = bytes("tiny-hs.ftz");
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut loaded = 0;
    for round in 0..400 {
        let mut b = full.clone();
        for _ in 0..(1 + round % 4) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = if round % 2 == 0 {
                (state % 200) as usize
            } else {
                (state % b.len() as u64) as usize
            };
            b[at] = (state >> 32) as u8;
        }
        if let Ok(m) = FastText::from_bytes(&b) {
            loaded += 1;
            let _ = m.predict(ENGLISH, 3);
            let _ = m.probabilities(FRENCH);
        }
    }
    assert!(loaded > 0, "no corrupted variant loaded at all");
}

#[test]
fn foreign_files_are_named_and_explained() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, content: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        p
    };
    let cases: Vec<(PathBuf, &str)> = vec![
        (write("empty.bin", b""), "found an empty file"),
        (
            write("text.ftz", b"__label__en hello world\n"),
            "found bytes 5f 5f 6c 61",
        ),
        (
            write("gz.bin", &[0x1f, 0x8b, 8, 0, 0, 0]),
            "found bytes 1f 8b 08 00",
        ),
    ];
    for (path, want) in cases {
        let err = load_model(&path).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, LoadError::Unknown { .. }), "{msg}");
        assert!(msg.starts_with(&path.display().to_string()), "{msg}");
        assert!(
            msg.contains("not an xling language-identification model")
                && msg.contains("nor a fastText .bin/.ftz model"),
            "{msg}"
        );
        assert!(msg.contains(want), "{msg}");
    }
    // A fastText file of an unknown version, and a word-vector (skipgram) model.
    let mut v = bytes("tiny-hs.ftz");
    v[4..8].copy_from_slice(&99i32.to_le_bytes());
    let msg = load_model(&write("v99.ftz", &v)).unwrap_err().to_string();
    assert!(
        msg.contains("v99.ftz: fastText model format version 99, expected 11 or 12"),
        "{msg}"
    );
    let mut sg = bytes("tiny-hs.ftz");
    // Arguments after magic and version: dim ws epoch minCount neg wordNgrams loss model …
    sg[8 + 7 * 4..8 + 8 * 4].copy_from_slice(&2i32.to_le_bytes());
    let msg = load_model(&write("vectors.bin", &sg))
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("vectors.bin: a fastText skipgram model"),
        "{msg}"
    );
    // A missing file.
    let msg = load_model(&dir.path().join("missing.ftz"))
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("cannot read model file") && msg.contains("missing.ftz"),
        "{msg}"
    );
    // An xling model file that is cut short is reported as such.
    let mut x = b"XLID".to_vec();
    x.extend_from_slice(&1u32.to_le_bytes());
    let msg = load_model(&write("cut.xlid", &x)).unwrap_err().to_string();
    assert!(
        msg.starts_with(&format!("{}: ", dir.path().join("cut.xlid").display())),
        "{msg}"
    );
}
