//! `xling align` end to end: a small MEXA run on the real Gemma 3 270M (resume, validation, dumps,
//! report), and one-line errors for bad input. The model comes from `scripts/install-test-assets`
//! (`.cache/models/`); without it the model tests skip, and fail under `CI=true`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn xling(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_xling"))
        .args(args)
        .output()
        .unwrap()
}

fn model() -> Option<PathBuf> {
    let p =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.cache/models/gemma-3-270m-q4_k_m.gguf");
    if p.exists() {
        return Some(p);
    }
    let msg = format!(
        "{} is missing: run scripts/install-test-assets",
        p.display()
    );
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{msg}");
    }
    eprintln!("skipped: {msg}");
    None
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn bad_input_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("model.gguf");
    std::fs::write(&fake, b"GGUF but not really").unwrap();
    let fake = fake.to_str().unwrap();

    // A language the corpus does not have.
    let tsv = dir.path().join("two.tsv");
    std::fs::write(&tsv, "lang\tid\ttext\neng_Latn\t1\tHello.\ndeu_Latn\t1\tHallo.\neng_Latn\t2\tBye.\ndeu_Latn\t2\tTschüss.\n").unwrap();
    let o = xling(&[
        "align",
        "-m",
        fake,
        "-c",
        tsv.to_str().unwrap(),
        "-l",
        "fra_Latn",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.contains("fra_Latn") || e.contains("French"), "{e}");
    assert_eq!(e.trim().lines().count(), 1, "{e}");

    // A corpus that is not parallel.
    let unaligned = dir.path().join("mixed.tsv");
    std::fs::write(
        &unaligned,
        "lang\ttext\neng_Latn\tHello.\ndeu_Latn\tHallo.\n",
    )
    .unwrap();
    let o = xling(&["align", "-m", fake, "-c", unaligned.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not parallel"), "{}", stderr(&o));

    // A file that is not a model names the file.
    let o = xling(&["align", "-m", fake, "-c", tsv.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("model.gguf"), "{}", stderr(&o));

    // Usage errors.
    let o = xling(&["align", "-m", fake, "--embedding", "cls"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("weighted or last"), "{}", stderr(&o));
}

#[test]
fn small_run_resumes_validates_and_reports() {
    let Some(m) = model() else { return };
    let m = m.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let save = dir.path().join("save");
    let dumps = dir.path().join("emb");
    let report = dir.path().join("mexa.html");
    let scores = dir.path().join("scores.csv");
    std::fs::write(
        &scores,
        "language,accuracy\neng_Latn,0.9\nfra_Latn,0.7\nhin_Deva,0.4\nzho_Hans,0.6\n",
    )
    .unwrap();
    let args = |n: &str, extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = [
            "align",
            "-m",
            m,
            "-l",
            "eng_Latn,fra_Latn,hin_Deva,zho_Hans",
            "--num-sents",
            n,
            "-f",
            "json",
            "--save",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v.push(save.to_str().unwrap().to_string());
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let run = |extra: &[&str]| {
        let a = args("12", extra);
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        let o = xling(&refs);
        assert!(o.status.success(), "{}", stderr(&o));
        o
    };
    let first = run(&[
        "--dump-embeddings",
        dumps.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
        "--validate",
        scores.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&first.stdout).into_owned();
    let table: serde_json::Value = serde_json::Deserializer::from_str(&text)
        .into_iter::<serde_json::Value>()
        .next()
        .unwrap()
        .unwrap();
    let rows = table["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "the pivot is not a row");
    for r in rows {
        let per: Vec<f64> = (0..19)
            .map(|l| r[format!("layer_{l}")].as_f64().unwrap())
            .collect();
        let mean = per.iter().sum::<f64>() / 19.0;
        assert!((r["mexa"].as_f64().unwrap() - mean).abs() < 1e-12);
        assert!(per.iter().all(|&v| (0.0..=1.0).contains(&v)));
    }
    let sig = table["signature"].as_str().unwrap();
    assert!(sig.starts_with("xling:align|model:Gemma 3 270m:"), "{sig}");
    assert!(
        sig.contains("|pivot:eng_Latn|n:12|emb:weighted|pool:mean|"),
        "{sig}"
    );
    assert!(
        text.contains("Pearson r ="),
        "validation notes missing: {text}"
    );
    for l in ["eng_Latn", "fra_Latn", "hin_Deva", "zho_Hans"] {
        assert!(dumps.join(format!("{l}.weighted.npy")).exists());
        assert!(dumps.join(format!("{l}.last.npy")).exists());
    }
    let html = std::fs::read_to_string(&report).unwrap();
    assert_eq!(html.matches("class=\"series-line\"").count(), 3);
    assert_eq!(html.matches("class=\"unit-cell\"").count(), 3 * 20);

    // Resume: a saved language is reused, not recomputed — tamper with one and the output follows.
    let saved = save.join("hin_Deva.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    v["weighted"] = serde_json::json!(vec![0.5; 19]);
    std::fs::write(&saved, serde_json::to_vec(&v).unwrap()).unwrap();
    let second = run(&["--no-report"]);
    let t2: serde_json::Value = serde_json::from_slice(&second.stdout).unwrap();
    let hin = t2["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["language"] == "hin_Deva")
        .unwrap();
    assert_eq!(hin["mexa"].as_f64(), Some(0.5));
    // A different N does not reuse the saves.
    let a = args("10", &["--no-report"]);
    let refs: Vec<&str> = a.iter().map(String::as_str).collect();
    let o = xling(&refs);
    assert!(o.status.success(), "{}", stderr(&o));
    let t3: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let hin = t3["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["language"] == "hin_Deva")
        .unwrap();
    assert_eq!(hin["sentences"].as_i64(), Some(10));
    assert_ne!(hin["mexa"].as_f64(), Some(0.5));
}
