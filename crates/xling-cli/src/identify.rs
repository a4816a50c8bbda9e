//! `xling identify`: language identification of lines; `identify train` and `identify eval`.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use clap::{Args, Subcommand, ValueEnum};
use xling_core::corpus::lines::LineReader;
use xling_core::corpus::{Source, Variety};
use xling_core::{Corpus, CorpusError, registry};
use xling_identify::model::TrainOptions;
use xling_identify::{Classifier, Identifier, LidModel, Model, Prediction, UND};

use crate::{OutputArgs, emit, write_report};

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct IdentifyArgs {
    #[command(subcommand)]
    action: Option<IdentifyAction>,
    /// Text file with one text a line, a JSONL file of `{"text": …}` objects (`.jsonl`), or `-` for stdin.
    /// A line that is not UTF-8 or has no letter of any script (binary data, control characters,
    /// digits only) is `und`, with a warning naming the file and line (the first 20, then a count);
    /// the rest is labelled. In a JSONL file, a line that is not UTF-8 or not JSON is an error.
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
    // Plain lines (a file or stdin) are read line by line, a line that is not UTF-8 included; other
    // sources (a one-language corpus folder or TSV) through the corpus reader.
    let name = match &corpus.streams[0].source {
        Source::Stdin => "<stdin>".to_string(),
        _ => a.input.clone(),
    };
    let lines: Box<dyn Iterator<Item = Result<InputLine>>> = match &corpus.streams[0].source {
        Source::File(path) => {
            let f = File::open(path).map_err(|e| anyhow!("{}: {e}", path.display()))?;
            Box::new(RawLines::new(BufReader::new(f), path.clone()))
        }
        Source::Stdin => Box::new(RawLines::new(io::stdin().lock(), PathBuf::from("<stdin>"))),
        _ => Box::new(corpus.segments(0)?.map(|seg| {
            let seg = seg?;
            Ok(InputLine {
                number: seg.line,
                text: Ok(seg.text),
            })
        })),
    };
    let mut warnings = Warnings::new(&name);
    let mut out = BufWriter::new(io::stdout().lock());
    for line in lines {
        let line = line?;
        let number = line.number;
        // Why the line is `und` without asking the model, if it is.
        let mut bad: Option<String> = None;
        let text = match line.text {
            Ok(t) => t,
            // JSON is UTF-8: such a line is broken data, not text to label.
            Err(NotUtf8 { offset, .. }) if jsonl_in => bail!(
                "{name}:{number}: invalid UTF-8 at byte offset {offset} of the file (a JSONL file must be UTF-8)"
            ),
            Err(NotUtf8 { lossy, offset }) => {
                bad = Some(format!(
                    "invalid UTF-8 at byte offset {offset} of the file (binary data?)"
                ));
                lossy
            }
        };
        let (mut obj, text) = if jsonl_in {
            let v: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| anyhow!("{name}:{number}: invalid JSON: {e}"))?;
            let t = v.get("text").and_then(|t| t.as_str()).map(str::to_string);
            let t = t.ok_or_else(|| anyhow!("{name}:{number}: missing string field `text`"))?;
            (Some(v), t)
        } else {
            (None, text)
        };
        if bad.is_none() && !text.trim().is_empty() && !xling_identify::has_letters(&text) {
            bad = Some(if text.chars().any(|c| c.is_control() && c != '\t') {
                "control characters and no letter of any script (binary data?)".to_string()
            } else {
                "no letter of any script (only digits, punctuation or symbols)".to_string()
            });
        }
        if let Some(why) = &bad {
            warnings.push(number, why);
        }
        if a.spans {
            let opts = xling_identify::mixing::SpanOptions {
                min_words: a.min_span.max(1),
                ..Default::default()
            };
            // A line that is not UTF-8 has no words to label.
            let m = xling_identify::mixing::mixing(
                &ident,
                if bad.is_some() { "" } else { &text },
                &opts,
            );
            let v = serde_json::json!({
                "line": number, "text": text, "spans": m.spans, "cmi": m.cmi,
                "switch_fraction": m.switch_fraction, "m_index": m.m_index, "words": m.words,
                "independent": m.independent,
            });
            writeln!(out, "{v}")?;
            continue;
        }
        let preds = if bad.is_some() {
            vec![Prediction {
                lang: UND.to_string(),
                prob: 1.0,
            }]
        } else {
            ident.identify(&text, a.top_k)
        };
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
    warnings.finish();
    Ok(())
}

/// At most this many warnings about single lines per input; the rest are counted.
const MAX_LINE_WARNINGS: usize = 20;

/// Warnings about lines labelled `und` without the model (binary data, no letters), on stderr: one per
/// line up to [`MAX_LINE_WARNINGS`], then a count.
struct Warnings<'a> {
    name: &'a str,
    count: usize,
}

impl<'a> Warnings<'a> {
    fn new(name: &'a str) -> Self {
        Warnings { name, count: 0 }
    }

    fn push(&mut self, line: usize, why: &str) {
        self.count += 1;
        if self.count <= MAX_LINE_WARNINGS {
            eprintln!(
                "xling: warning: {}:{line}: {why}; labelled {UND}",
                self.name
            );
        }
    }

    fn finish(&self) {
        if self.count > MAX_LINE_WARNINGS {
            eprintln!(
                "xling: warning: {}: {} lines labelled {UND} as not UTF-8 or without letters ({} more than the {MAX_LINE_WARNINGS} above)",
                self.name,
                self.count,
                self.count - MAX_LINE_WARNINGS
            );
        }
    }
}

/// A line whose bytes are not UTF-8: its text with each bad sequence replaced by U+FFFD, and the file
/// offset of the first bad byte.
struct NotUtf8 {
    lossy: String,
    offset: u64,
}

/// One input line: its 1-based number and its text.
struct InputLine {
    number: usize,
    text: std::result::Result<String, NotUtf8>,
}

/// Lines of a byte stream (core's [`LineReader`]: a leading BOM and `\r\n`/`\n` terminators removed),
/// with lines that are not UTF-8 handed on as such rather than ending the input; like the corpus
/// reader, an empty input and one of blank lines only are errors. Linear in the input, one line in
/// memory at a time.
struct RawLines<R> {
    inner: LineReader<R>,
    path: PathBuf,
    seen_line: bool,
    seen_text: bool,
    done: bool,
}

impl<R: BufRead> RawLines<R> {
    fn new(inner: R, path: PathBuf) -> Self {
        RawLines {
            inner: LineReader::new(inner, &path),
            path,
            seen_line: false,
            seen_text: false,
            done: false,
        }
    }
}

impl<R: BufRead> Iterator for RawLines<R> {
    type Item = Result<InputLine>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let raw = match self.inner.next_raw() {
            Some(Ok(raw)) => {
                self.seen_line = true;
                raw
            }
            Some(Err(e)) => {
                self.done = true;
                return Some(Err(e.into()));
            }
            None => {
                self.done = true;
                let err = if !self.seen_line {
                    CorpusError::Empty(self.path.clone())
                } else if !self.seen_text {
                    CorpusError::OnlyBlank(self.path.clone())
                } else {
                    return None;
                };
                return Some(Err(err.into()));
            }
        };
        let text = match std::str::from_utf8(raw.bytes) {
            Ok(s) => {
                self.seen_text |= !s.trim().is_empty();
                Ok(s.to_string())
            }
            Err(e) => {
                self.seen_text = true;
                Err(NotUtf8 {
                    lossy: String::from_utf8_lossy(raw.bytes).into_owned(),
                    offset: raw.offset + e.valid_up_to() as u64,
                })
            }
        };
        Some(Ok(InputLine {
            number: raw.number,
            text,
        }))
    }
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
