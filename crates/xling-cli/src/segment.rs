//! `xling segment`: split text into sentences, and `xling segment eval`: score segmentation on gold data.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use xling_core::{Corpus, registry};
use xling_segment::eval::GoldSet;
use xling_segment::model::{BoundaryModel, TrainOptions};
use xling_segment::{EvalOptions, Method};

use crate::{OutputArgs, emit, write_report};

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct SegmentArgs {
    #[command(subcommand)]
    action: Option<SegmentAction>,
    /// Text file, or `-` for stdin.
    #[arg(default_value = "-")]
    input: String,
    /// Language of the text (FLORES code, ISO code, tag or name): enables its abbreviations and rules.
    #[arg(long, short = 'l')]
    lang: Option<String>,
    #[command(flatten)]
    method: MethodArgs,
    /// `lines`: one sentence a line; `jsonl`: one object a sentence with its line and character offsets.
    #[arg(long, value_enum, default_value_t = SegmentFormat::Lines)]
    format: SegmentFormat,
}

#[derive(Subcommand, Debug)]
enum SegmentAction {
    /// Score segmentation against gold sentences (WtP protocol: F1 over boundary positions).
    Eval(EvalArgs),
    /// Train the punctuation-agnostic boundary model on text with known sentence boundaries.
    Train(TrainArgs),
}

#[derive(Args, Debug)]
struct TrainArgs {
    /// Gold sentence files or directories (`.tsv` with a `text` column, or one sentence a line), each in
    /// running-text order, e.g. the FLORES-200 dev subset. Never the evaluation data.
    #[arg(long)]
    gold: Vec<PathBuf>,
    /// Line-aligned corpora whose lines are consecutive sentences (e.g. NTREX-128).
    #[arg(long)]
    corpus: Vec<String>,
    /// Where to write the model.
    #[arg(long, short = 'o', required = true)]
    out: PathBuf,
    /// Passes over the data.
    #[arg(long, default_value_t = 3)]
    epochs: usize,
    /// log2 of the number of hashed weights.
    #[arg(long, default_value_t = 22)]
    bits: u32,
    /// Probability that a block of sentences is lower-cased and stripped of punctuation.
    #[arg(long, default_value_t = 0.5)]
    corrupt_prob: f64,
    /// Seed of the corruption and shuffling.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

#[derive(Args, Debug)]
struct EvalArgs {
    /// Gold sentences: a directory of files or one file (`.tsv` with a `text` column, or one sentence a
    /// line); the language comes from the file name (`en_pud.tsv`, `hin_Deva.txt`).
    #[arg(long, required = true)]
    gold: PathBuf,
    /// Lower-case the text and remove punctuation first (the punctuation-agnostic setting).
    #[arg(long)]
    corrupt: bool,
    #[command(flatten)]
    method: MethodArgs,
    #[command(flatten)]
    output: OutputArgs,
    /// Also write an HTML report here.
    #[arg(long)]
    report: Option<PathBuf>,
}

/// How to segment: shared by `segment` and `segment eval`.
#[derive(Args, Debug)]
struct MethodArgs {
    /// Segmentation method: `auto` uses the rules on text with sentence punctuation, else the model.
    #[arg(long, value_enum, default_value_t = Mode::Auto)]
    mode: Mode,
    /// Boundary probability threshold of the model (default: the model's own).
    #[arg(long)]
    threshold: Option<f32>,
    /// A model file from `xling segment train` instead of the embedded one.
    #[arg(long)]
    model: Option<PathBuf>,
}

impl MethodArgs {
    /// The model, unless only the rules are asked for.
    fn load(&self) -> Result<Option<BoundaryModel>> {
        if self.mode == Mode::Rules {
            Ok(None)
        } else {
            load_model(&self.model).map(Some)
        }
    }

    /// The method for a text: `punctuated` says whether it has sentence punctuation.
    fn pick<'m>(&self, model: &'m Option<BoundaryModel>, punctuated: bool) -> Method<'m> {
        match (model, self.mode) {
            (Some(m), Mode::Model) => Method::Model(m, self.threshold),
            (Some(m), Mode::Auto) if !punctuated => Method::Model(m, self.threshold),
            _ => Method::Rules,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum Mode {
    /// Sentence terminators of all scripts with language-aware exceptions.
    Rules,
    /// The punctuation-agnostic boundary model.
    Model,
    /// Rules when the text has sentence punctuation, the model otherwise.
    Auto,
}

fn load_model(path: &Option<PathBuf>) -> Result<BoundaryModel> {
    match path {
        Some(p) => {
            let bytes = std::fs::read(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
            BoundaryModel::from_bytes(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))
        }
        None => Ok(xling_segment::model::embedded()?.clone()),
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum SegmentFormat {
    Lines,
    Jsonl,
}

pub(crate) fn run(a: SegmentArgs) -> Result<()> {
    match a.action {
        Some(SegmentAction::Eval(e)) => return eval(e),
        Some(SegmentAction::Train(t)) => return train(t),
        None => {}
    }
    let lang = match &a.lang {
        Some(q) => Some(registry().resolve(q)?.lang),
        None => None,
    };
    let corpus = Corpus::open(&a.input)?;
    if corpus.streams.len() != 1 {
        bail!(
            "{} has {} languages; segment one text at a time",
            a.input,
            corpus.streams.len()
        );
    }
    let lang = lang.or(corpus.streams[0].variety.lang);
    let model = a.method.load()?;
    let mut out = BufWriter::new(io::stdout().lock());
    for line in corpus.segments(0)? {
        let line = line?;
        let mut chars_before = 0;
        let mut last = 0;
        let method = a
            .method
            .pick(&model, xling_segment::has_sentence_punctuation(&line.text));
        for r in xling_segment::ranges(&method.boundaries(&line.text, lang)) {
            let piece = &line.text[r.clone()];
            let sentence = piece.trim();
            chars_before += line.text[last..r.start].chars().count();
            last = r.start;
            if sentence.is_empty() {
                continue;
            }
            match a.format {
                SegmentFormat::Lines => writeln!(out, "{sentence}")?,
                SegmentFormat::Jsonl => {
                    let lead = piece.len() - piece.trim_start().len();
                    let start = chars_before + piece[..lead].chars().count();
                    let end = start + sentence.chars().count();
                    let obj = serde_json::json!({"line": line.line, "start": start, "end": end, "text": sentence});
                    writeln!(out, "{obj}")?;
                }
            }
        }
        // Each input line is flushed as it is done: a long run interrupted loses nothing written.
        out.flush()?;
    }
    Ok(())
}

fn eval(a: EvalArgs) -> Result<()> {
    let gold = xling_segment::eval::read_gold(&a.gold)?;
    let opts = EvalOptions {
        corrupt: a.corrupt,
        gold_name: a.gold.display().to_string(),
    };
    let model = a.method.load()?;
    let method = a.method.pick(&model, !a.corrupt);
    let table = xling_segment::evaluate(&gold, method, &opts)?;
    if let Some(path) = &a.report {
        write_report(
            path,
            std::slice::from_ref(&table),
            "xling segment eval",
            vec![format!("Gold: {}.", a.gold.display())],
        )?;
    }
    emit(&table, &a.output)
}

fn train(a: TrainArgs) -> Result<()> {
    let mut data: Vec<GoldSet> = Vec::new();
    for g in &a.gold {
        data.extend(xling_segment::eval::read_gold(g)?);
    }
    for c in &a.corpus {
        let loaded = Corpus::open(c)?.load()?;
        for s in loaded.streams {
            data.push(GoldSet {
                key: s.variety.key.clone(),
                lang: s.variety.lang,
                source: PathBuf::from(&s.source),
                sentences: s
                    .segments
                    .into_iter()
                    .map(|g| g.text)
                    .filter(|t| !t.trim().is_empty())
                    .collect(),
            });
        }
    }
    if data.is_empty() {
        bail!("no training data: give --gold and/or --corpus");
    }
    let opts = TrainOptions {
        bits: a.bits,
        epochs: a.epochs,
        corrupt_prob: a.corrupt_prob,
        seed: a.seed,
        ..TrainOptions::default()
    };
    let sentences: usize = data.iter().map(|d| d.sentences.len()).sum();
    eprintln!(
        "xling: training on {} sources, {sentences} sentences",
        data.len()
    );
    let (model, report) = xling_segment::model::train(&data, &opts);
    std::fs::write(&a.out, model.to_bytes())
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", a.out.display()))?;
    eprintln!(
        "xling: wrote {} ({} blocks, {} positions/epoch, threshold {:.2}, held-out F1 {:.1}%)",
        a.out.display(),
        report.blocks,
        report.positions,
        report.threshold,
        report.holdout_f1 * 100.0
    );
    Ok(())
}
