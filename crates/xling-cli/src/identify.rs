//! `xling identify`: language identification of lines; `identify train` and `identify eval`.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use clap::{Args, Subcommand, ValueEnum};
use xling_core::corpus::{Source, Variety};
use xling_core::{Corpus, registry};
use xling_identify::model::TrainOptions;
use xling_identify::{Classifier, Identifier, LidModel, Model};

use crate::{OutputArgs, emit, write_report};

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct IdentifyArgs {
    #[command(subcommand)]
    action: Option<IdentifyAction>,
    /// Text file with one text a line, a JSONL file of `{"text": …}` objects (`.jsonl`), or `-` for stdin.
    #[arg(default_value = "-")]
    input: String,
    /// How many labels to give per line.
    #[arg(long, default_value_t = 1)]
    top_k: usize,
    /// Below this probability the answer is `und`.
    #[arg(long, default_value_t = 0.0)]
    threshold: f32,
    /// A model file instead of the built-in one: a supervised fastText `.bin`/`.ftz` (lid.176, GlotLID,
    /// OpenLID; labels mapped to xling codes where the registry knows them) or one from `identify train`.
    #[arg(long)]
    model: Option<PathBuf>,
    /// With a fastText --model: print its labels as they are in the file (`__label__en`).
    #[arg(long)]
    raw_labels: bool,
    /// Label language spans inside each line (code-switching) and print mixing statistics, as JSONL.
    #[arg(long)]
    spans: bool,
    /// With --spans: the shortest span kept, in words.
    #[arg(long, default_value_t = 2)]
    min_span: usize,
    /// `tsv`: label, probability and text a line; `jsonl`: the input objects with `lang` and `prob` added.
    #[arg(long, value_enum, default_value_t = LineFormat::Tsv)]
    format: LineFormat,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum LineFormat {
    Tsv,
    Jsonl,
}

#[derive(Subcommand, Debug)]
enum IdentifyAction {
    /// Train a model on labelled corpora (each stream's language is the label).
    Train(TrainArgs),
    /// Per-language precision, recall, F1 and FPR on a labelled corpus.
    Eval(EvalArgs),
}

#[derive(Args, Debug)]
struct TrainArgs {
    /// Corpora to learn from (FLORES dev subset, NTREX-128, UDHR, …). Never the evaluation data.
    #[arg(long, required = true)]
    corpus: Vec<String>,
    /// Where to write the model.
    #[arg(long, short = 'o', required = true)]
    out: PathBuf,
    /// At most this many segments per stream.
    #[arg(long, default_value_t = 1000)]
    cap: usize,
    /// Embedding size.
    #[arg(long, default_value_t = 32)]
    dim: usize,
    /// log2 of the number of hashed feature rows.
    #[arg(long, default_value_t = 17)]
    bits: u32,
    /// Passes over the data.
    #[arg(long, default_value_t = 10)]
    epochs: usize,
    /// Initial learning rate.
    #[arg(long, default_value_t = 0.5)]
    lr: f32,
    /// Seed.
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

#[derive(Args, Debug)]
struct EvalArgs {
    /// Labelled corpus (e.g. FLORES-200 devtest).
    #[arg(long, short = 'c', required = true)]
    corpus: String,
    /// Only these languages of the corpus.
    #[arg(long, short = 'l', value_delimiter = ',')]
    languages: Vec<String>,
    /// A model file instead of the built-in one: a supervised fastText `.bin`/`.ftz` or one from
    /// `identify train`. Only the corpus languages the model has a label for are scored.
    #[arg(long)]
    model: Option<PathBuf>,
    /// Below this probability the answer is `und`.
    #[arg(long, default_value_t = 0.0)]
    threshold: f32,
    #[command(flatten)]
    output: OutputArgs,
    /// Also write an HTML report here.
    #[arg(long)]
    report: Option<PathBuf>,
}

/// The built-in model or one read from a file.
enum Loaded {
    Builtin(&'static LidModel),
    File(Model),
}

impl Loaded {
    fn classifier(&self) -> &dyn Classifier {
        match self {
            Loaded::Builtin(m) => *m,
            Loaded::File(m) => m.classifier(),
        }
    }
}

fn load(path: &Option<PathBuf>, raw_labels: bool) -> Result<(Loaded, String)> {
    match path {
        Some(p) => {
            let mut m = xling_identify::load_model(p)?;
            if raw_labels {
                match &mut m {
                    Model::FastText(f) => f.use_raw_labels(),
                    Model::Xling(_) => bail!(
                        "--raw-labels applies to fastText models; {} is an xling model",
                        p.display()
                    ),
                }
            }
            Ok((Loaded::File(m), p.display().to_string()))
        }
        None if raw_labels => bail!("--raw-labels needs a fastText --model"),
        None => Ok((
            Loaded::Builtin(xling_identify::embedded()?),
            "builtin".to_string(),
        )),
    }
}

pub(crate) fn run(a: IdentifyArgs) -> Result<()> {
    match a.action {
        Some(IdentifyAction::Train(t)) => return train(t),
        Some(IdentifyAction::Eval(e)) => return eval(e),
        None => {}
    }
    let (model, _) = load(&a.model, a.raw_labels)?;
    let ident = Identifier::new(model.classifier(), a.threshold);
    let jsonl_in = a.input.ends_with(".jsonl");
    // Lines are read as plain text (a JSONL file is one object a line, with or without a `lang`).
    let corpus = if jsonl_in {
        Corpus::monolingual(
            &a.input,
            Source::File(PathBuf::from(&a.input)),
            Variety::unknown(),
        )
    } else {
        Corpus::open(&a.input)?
    };
    if corpus.streams.len() != 1 {
        bail!(
            "{} has {} languages; identify one text stream at a time",
            a.input,
            corpus.streams.len()
        );
    }
    let mut out = BufWriter::new(io::stdout().lock());
    for seg in corpus.segments(0)? {
        let seg = seg?;
        let (mut obj, text) = if jsonl_in {
            let v: serde_json::Value = serde_json::from_str(&seg.text)
                .map_err(|e| anyhow!("{}:{}: invalid JSON: {e}", a.input, seg.line))?;
            let t = v.get("text").and_then(|t| t.as_str()).map(str::to_string);
            let t =
                t.ok_or_else(|| anyhow!("{}:{}: missing string field `text`", a.input, seg.line))?;
            (Some(v), t)
        } else {
            (None, seg.text)
        };
        if a.spans {
            let opts = xling_identify::mixing::SpanOptions {
                min_words: a.min_span.max(1),
                ..Default::default()
            };
            let m = xling_identify::mixing::mixing(&ident, &text, &opts);
            let v = serde_json::json!({
                "line": seg.line, "text": text, "spans": m.spans, "cmi": m.cmi,
                "switch_fraction": m.switch_fraction, "m_index": m.m_index, "words": m.words,
                "independent": m.independent,
            });
            writeln!(out, "{v}")?;
            continue;
        }
        let preds = ident.identify(&text, a.top_k);
        match a.format {
            LineFormat::Tsv => {
                let labels: Vec<String> = preds
                    .iter()
                    .map(|p| format!("{}\t{:.4}", p.lang, p.prob))
                    .collect();
                writeln!(out, "{}\t{}", labels.join("\t"), text)?;
            }
            LineFormat::Jsonl => {
                let mut v = obj
                    .take()
                    .unwrap_or_else(|| serde_json::json!({ "text": text }));
                if let Some(m) = v.as_object_mut() {
                    m.insert("lang".into(), preds[0].lang.clone().into());
                    m.insert("prob".into(), f64::from(preds[0].prob).into());
                    if a.top_k > 1 {
                        m.insert("top".into(), serde_json::to_value(&preds)?);
                    }
                }
                writeln!(out, "{v}")?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

fn train(a: TrainArgs) -> Result<()> {
    let labels: Vec<String> = registry().flores200().map(|l| l.code.clone()).collect();
    let mut corpora = Vec::new();
    for c in &a.corpus {
        corpora.push(Corpus::open(c)?.load()?);
    }
    let (examples, counts) = xling_identify::training_examples(&corpora, &labels, a.cap, 500);
    let missing: Vec<&String> = labels.iter().filter(|l| !counts.contains_key(*l)).collect();
    if !missing.is_empty() {
        eprintln!(
            "xling: warning: no training data for {} labels: {:?}",
            missing.len(),
            missing
        );
    }
    eprintln!(
        "xling: training on {} examples for {} labels",
        examples.len(),
        counts.len()
    );
    let opts = TrainOptions {
        dim: a.dim,
        bits: a.bits,
        epochs: a.epochs,
        learning_rate: a.lr,
        seed: a.seed,
    };
    let model = xling_identify::model::train(labels, &examples, &opts);
    std::fs::write(&a.out, model.to_bytes())
        .map_err(|e| anyhow!("cannot write {}: {e}", a.out.display()))?;
    eprintln!("xling: wrote {}", a.out.display());
    Ok(())
}

fn eval(a: EvalArgs) -> Result<()> {
    let (model, name) = load(&a.model, false)?;
    let ident = Identifier::new(model.classifier(), a.threshold);
    let mut corpus = Corpus::open(&a.corpus)?;
    if !a.languages.is_empty() {
        corpus.select(&a.languages)?;
    }
    let loaded = corpus.load()?;
    let table = xling_identify::evaluate(&ident, &loaded, &name)?;
    if let Some(path) = &a.report {
        write_report(
            path,
            std::slice::from_ref(&table),
            "xling identify eval",
            vec![format!("Corpus: {}.", a.corpus)],
        )?;
    }
    emit(&table, &a.output)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../xling-identify/tests/data")
            .join(name)
    }

    #[test]
    fn fasttext_models_load_with_mapped_or_raw_labels() {
        let (m, name) = load(&Some(fixture("tiny-hs.ftz")), false).unwrap();
        assert!(name.ends_with("tiny-hs.ftz"));
        let ident = Identifier::new(m.classifier(), 0.0);
        let p = ident.identify(
            "Правительство объявило о новых мерах поддержки экономики.",
            1,
        );
        assert_eq!(p[0].lang, "rus_Cyrl");
        let (m, _) = load(&Some(fixture("tiny-softmax.bin")), true).unwrap();
        let ident = Identifier::new(m.classifier(), 0.0);
        let p = ident.identify(
            "Правительство объявило о новых мерах поддержки экономики.",
            1,
        );
        assert_eq!(p[0].lang, "__label__ru");
        let e = load(&None, true).err().unwrap().to_string();
        assert!(e.contains("--raw-labels needs a fastText --model"), "{e}");
    }

    #[test]
    fn truncated_and_foreign_model_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let full = std::fs::read(fixture("tiny-hs.ftz")).unwrap();
        let cut = dir.path().join("cut.ftz");
        std::fs::write(&cut, &full[..full.len() - 100]).unwrap();
        let e = load(&Some(cut.clone()), false).err().unwrap().to_string();
        assert!(e.starts_with(&cut.display().to_string()), "{e}");
        assert!(e.contains("truncated fastText model"), "{e}");
        assert!(e.contains("the output matrix"), "{e}");
        let foreign = dir.path().join("weights.bin");
        std::fs::write(&foreign, b"PK\x03\x04zip").unwrap();
        let e = load(&Some(foreign.clone()), false)
            .err()
            .unwrap()
            .to_string();
        assert!(e.starts_with(&foreign.display().to_string()), "{e}");
        assert!(e.contains("nor a fastText .bin/.ftz model"), "{e}");
        assert!(e.contains("found bytes 50 4b 03 04"), "{e}");
        // The eval verb reports the same error.
        let e = eval(EvalArgs {
            corpus: "flores200-sample".into(),
            languages: vec!["eng_Latn".into()],
            model: Some(cut.clone()),
            threshold: 0.0,
            output: OutputArgs {
                format: crate::parse_format("json").unwrap(),
            },
            report: None,
        })
        .unwrap_err()
        .to_string();
        assert!(e.contains("truncated fastText model"), "{e}");
    }
}
