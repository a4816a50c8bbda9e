//! Side-by-side language identification on a labelled corpus (FLORES-200 devtest): xling's built-in
//! model, a fastText model through xling's Rust inference (lid.176.ftz), and the `whatlang` crate, each
//! scored with the same metrics (`xling_identify::evaluate`, GlotLID's per-language F1) on the languages
//! each covers and on the languages they share. Used by `scripts/bench-lid`; whatlang is a
//! dev-dependency only, never part of the xling binary.
//!
//!   cargo run --release -p xling-identify --example lid_compare -- CORPUS FASTTEXT_MODEL

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::time::Instant;

use xling_core::corpus::LoadedCorpus;
use xling_core::{Corpus, LangTable, registry};
use xling_identify::{Classifier, FastText, Identifier, embedded, evaluate};

/// whatlang as a [`Classifier`]: its 69 languages mapped to xling codes; one answer per text.
#[derive(Debug)]
struct Whatlang {
    langs: Vec<whatlang::Lang>,
    labels: Vec<String>,
}

impl Whatlang {
    fn new() -> Self {
        let langs: Vec<whatlang::Lang> = whatlang::Lang::all().to_vec();
        let labels = langs
            .iter()
            .map(|l| {
                registry()
                    .resolve(l.code())
                    .map_or_else(|_| l.code().to_string(), |r| r.lang.code.clone())
            })
            .collect();
        Whatlang { langs, labels }
    }
}

impl Classifier for Whatlang {
    fn labels(&self) -> &[String] {
        &self.labels
    }
    fn top_k(&self, text: &str, _k: usize) -> Vec<(usize, f32)> {
        whatlang::detect(text)
            .and_then(|info| {
                let i = self.langs.iter().position(|l| *l == info.lang())?;
                Some((i, info.confidence() as f32))
            })
            .into_iter()
            .collect()
    }
    fn probabilities(&self, text: &str) -> Vec<f32> {
        let mut p = vec![0.0; self.labels.len()];
        for (i, c) in self.top_k(text, 1) {
            p[i] = c;
        }
        p
    }
    fn script_shortcut(&self) -> bool {
        false
    }
}

/// A set of languages, its name, and the models compared on it.
type LangSet<'a> = (
    &'a str,
    &'a BTreeSet<String>,
    Vec<(&'a str, &'a dyn Classifier)>,
);

fn subset(c: &LoadedCorpus, langs: &BTreeSet<String>) -> LoadedCorpus {
    let mut s = c.clone();
    s.streams
        .retain(|st| st.variety.lang.is_some_and(|l| langs.contains(&l.code)));
    s
}

/// (macro F1, accuracy, lines, seconds, the table).
fn score(
    model: &dyn Classifier,
    c: &LoadedCorpus,
    name: &str,
) -> (f64, f64, usize, f64, LangTable) {
    let ident = Identifier::new(model, 0.0);
    let t = Instant::now();
    let table = evaluate(&ident, c, name).unwrap();
    let secs = t.elapsed().as_secs_f64();
    let (mut f1, mut correct, mut n) = (0.0, 0.0, 0usize);
    for r in &table.rows {
        let get = |id: &str| table.get(&r.key, id).and_then(|c| c.as_f64()).unwrap();
        f1 += get("f1");
        let lines = get("n");
        correct += get("recall") * lines;
        n += lines as usize;
    }
    let rows = table.rows.len().max(1) as f64;
    (f1 / rows, correct / n.max(1) as f64, n, secs, table)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    assert!(args.len() == 3, "usage: lid_compare CORPUS FASTTEXT_MODEL");
    let corpus = Corpus::open(&args[1]).unwrap().load().unwrap();
    let builtin = embedded().unwrap();
    let ft = FastText::from_bytes(&std::fs::read(&args[2]).unwrap()).unwrap();
    let wl = Whatlang::new();
    let in_corpus: BTreeSet<String> = corpus
        .streams
        .iter()
        .filter_map(|s| s.variety.lang.map(|l| l.code.clone()))
        .collect();
    let covered = |m: &dyn Classifier| -> BTreeSet<String> {
        m.labels()
            .iter()
            .filter(|l| in_corpus.contains(*l))
            .cloned()
            .collect()
    };
    // Every comparison includes the built-in model, so each set is also cut to the built-in's labels
    // (on FLORES-200 that changes nothing; elsewhere, e.g. Latin, it does).
    let ours = covered(builtin);
    let ft_langs: BTreeSet<String> = covered(&ft).intersection(&ours).cloned().collect();
    let wl_langs: BTreeSet<String> = covered(&wl).intersection(&ours).cloned().collect();
    let common: BTreeSet<String> = ft_langs.intersection(&wl_langs).cloned().collect();
    let ft_name = std::path::Path::new(&args[2])
        .file_name()
        .map_or("fastText".into(), |n| n.to_string_lossy().into_owned());
    println!("| languages | model | macro F1 | accuracy | lines | lines/s (one thread) |");
    println!("|---|---|---:|---:|---:|---:|");
    let sets: [LangSet<'_>; 4] = [
        (
            "all the built-in knows",
            &ours,
            vec![("xling built-in", builtin as &dyn Classifier)],
        ),
        (
            "lid.176's",
            &ft_langs,
            vec![("xling built-in", builtin), (ft_name.as_str(), &ft)],
        ),
        (
            "whatlang's",
            &wl_langs,
            vec![("xling built-in", builtin), ("whatlang 0.18", &wl)],
        ),
        (
            "shared by all three",
            &common,
            vec![
                ("xling built-in", builtin),
                (ft_name.as_str(), &ft),
                ("whatlang 0.18", &wl),
            ],
        ),
    ];
    let mut per_lang: Vec<(String, LangTable, LangTable)> = Vec::new();
    for (set_name, langs, models) in &sets {
        let c = subset(&corpus, langs);
        let mut tables = Vec::new();
        for (name, m) in models {
            let (f1, acc, n, secs, table) = score(*m, &c, name);
            println!(
                "| {set_name} ({}) | {name} | {:.1}% | {:.1}% | {n} | {:.0} |",
                langs.len(),
                f1 * 100.0,
                acc * 100.0,
                n as f64 / secs
            );
            tables.push(table);
        }
        if *set_name == "lid.176's" {
            let ft_table = tables.pop().unwrap();
            per_lang.push((set_name.to_string(), tables.pop().unwrap(), ft_table));
        }
    }
    // Where the two differ most, so the table above can be read honestly.
    for (_, ours, theirs) in per_lang {
        let mut diffs: Vec<(f64, String)> = ours
            .rows
            .iter()
            .filter_map(|r| {
                let a = ours.get(&r.key, "f1")?.as_f64()?;
                let b = theirs.get(&r.key, "f1")?.as_f64()?;
                Some((a - b, r.key.clone()))
            })
            .collect();
        diffs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let fmt = |v: &[(f64, String)]| {
            v.iter()
                .map(|(d, k)| format!("{k} {:+.1}", d * 100.0))
                .collect::<Vec<_>>()
                .join(", ")
        };
        println!();
        println!(
            "F1 built-in − {ft_name}, largest deficits: {}",
            fmt(&diffs[..diffs.len().min(8)])
        );
        diffs.reverse();
        println!(
            "F1 built-in − {ft_name}, largest gains: {}",
            fmt(&diffs[..diffs.len().min(8)])
        );
    }
}
