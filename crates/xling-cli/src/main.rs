//! `xling`: the command-line tool. A thin layer: each verb parses its arguments, calls one library
//! function that returns a [`LangTable`], and renders it. No algorithm lives here.
//!
//! Exit codes: 0 success, 1 bad input or failed run (one-line error on stderr), 2 bad usage.

mod align;
mod eval;
mod identify;
mod romanize;
mod score;
mod segment;
mod tokenizers;

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};

use clap::{Args, Parser, Subcommand};
use xling_card::{CardOptions, report_card};
use xling_core::corpus::{Variety, embedded};
use xling_core::lang::{LangError, Language, MatchKind};
use xling_core::table::{Better, Cell, Column, ColumnKind, Row};
use xling_core::{Corpus, LangTable, Signature, registry};
use xling_report::{Format, HtmlOptions, TextOptions};

const DATA_NOTICE: &str = "Embedded data: flores200-sample = the first 200 sentences of FLORES-200 devtest in \
204 languages (NLLB Team et al. 2022, CC BY-SA 4.0); language metadata from LinguaMeta (Ritchie et al. 2024, \
CC BY-SA 4.0). See NOTICE.md.";

/// Measure how well language technology serves every language.
#[derive(Parser, Debug)]
#[command(name = "xling", version, about, after_help = DATA_NOTICE)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// The multilingual report card of a parallel corpus (the embedded flores200-sample by default):
    /// characters, bytes, byte premium, scripts. Prints a table and writes an HTML report.
    Report(ReportArgs),
    /// Find languages by FLORES code, ISO 639-1/3, BCP-47 tag or English name.
    Langs(LangsArgs),
    /// The Unicode-script profile of a text or corpus.
    Scripts(ScriptsArgs),
    /// Inspect corpora.
    #[command(subcommand)]
    Corpus(CorpusCommand),
    /// Identify the language of each line (204 FLORES-200 languages), train or evaluate the model.
    Identify(identify::IdentifyArgs),
    /// Split text into sentences (rules for every script), or score segmentation with `segment eval`.
    Segment(segment::SegmentArgs),
    /// Romanize text exactly as uroman 1.3.1.1 does, line by line (file or stdin).
    Romanize(romanize::RomanizeArgs),
    /// Score system outputs against references: BLEU, chrF/chrF++, TER, identical to sacrebleu 2.6.0.
    Score(score::ScoreArgs),
    /// Tokenizer parity, fertility and efficiency per language, one column group per tokenizer.
    Tokenizers(tokenizers::TokenizersArgs),
    /// Cross-lingual alignment of a local model's hidden states (MEXA), per language and per layer.
    Align(align::AlignArgs),
    /// Run multilingual benchmarks (MGSM, SIB-200, task files) on a local model or an OpenAI-compatible
    /// endpoint: per-language scores, gap to English, consistency; resumable.
    Eval(eval::EvalArgs),
    /// Serve a local model over an OpenAI-compatible HTTP API (completions with logprobs/echo, chat).
    Serve(eval::ServeArgs),
}

#[derive(Subcommand, Debug)]
enum CorpusCommand {
    /// Validate a corpus and summarise it: languages, segments, characters, bytes.
    Info(CorpusInfoArgs),
}

#[derive(Args, Debug)]
struct OutputArgs {
    /// Output format on stdout.
    #[arg(long, short = 'f', default_value = "table", value_parser = parse_format)]
    format: Format,
}

#[derive(Args, Debug)]
struct CorpusArgs {
    /// Corpus: `flores200-sample` (embedded), a FLORES/NTREX/UDHR directory, a TSV/JSONL file, a text file, or `-`.
    #[arg(long, short = 'c', default_value = embedded::NAME)]
    corpus: String,
    /// Only these languages (comma-separated codes, tags or names), in this order.
    #[arg(long, short = 'l', value_delimiter = ',')]
    languages: Vec<String>,
}

#[derive(Args, Debug)]
struct ReportArgs {
    #[command(flatten)]
    corpus: CorpusArgs,
    /// Base language of the byte premium.
    #[arg(long)]
    base: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
    /// Where to write the HTML report.
    #[arg(long, default_value = "xling-report.html")]
    report: PathBuf,
    /// Do not write the HTML report.
    #[arg(long, conflicts_with = "report")]
    no_report: bool,
}

#[derive(Args, Debug)]
struct LangsArgs {
    /// A code, tag or (part of a) name; all languages when omitted.
    query: Option<String>,
    /// Only the 204 FLORES-200 languages.
    #[arg(long)]
    flores: bool,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Args, Debug)]
struct ScriptsArgs {
    /// Text file, corpus directory, `flores200-sample`, or `-` for stdin.
    #[arg(default_value = "-")]
    input: String,
    /// Language of a plain-text input (checks its expected script).
    #[arg(long)]
    lang: Option<String>,
    /// Only these languages of a multilingual corpus.
    #[arg(long, short = 'l', value_delimiter = ',')]
    languages: Vec<String>,
    /// How many script shares to list per language.
    #[arg(long, default_value_t = 3)]
    top: usize,
    #[command(flatten)]
    output: OutputArgs,
    /// Also write an HTML report here.
    #[arg(long)]
    report: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct CorpusInfoArgs {
    /// Corpus directory or file, `flores200-sample`, or `-`.
    path: String,
    #[command(flatten)]
    output: OutputArgs,
    /// Also write an HTML report here.
    #[arg(long)]
    report: Option<PathBuf>,
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
        .map_err(|_| format!("unknown format '{s}' (expected table, json, csv or md)"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A closed pipe (`xling langs | head`) is not an error worth reporting.
            if e.downcast_ref::<io::Error>()
                .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("xling: error: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line. Library errors often already quote their cause in their own
/// message; a cause whose text is already there is not repeated.
fn one_line(e: &anyhow::Error) -> String {
    let mut msg = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if msg.contains(&text) {
            continue;
        }
        if !msg.is_empty() {
            msg.push_str(": ");
        }
        msg.push_str(&text);
    }
    msg.replace('\n', " ")
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Report(a) => report(a),
        Command::Langs(a) => langs(a),
        Command::Scripts(a) => scripts(a),
        Command::Corpus(CorpusCommand::Info(a)) => corpus_info(a),
        Command::Segment(a) => segment::run(a),
        Command::Identify(a) => identify::run(a),
        Command::Romanize(a) => romanize::romanize(a),
        Command::Score(a) => score::run(a),
        Command::Tokenizers(a) => tokenizers::run(a),
        Command::Align(a) => align::run(a),
        Command::Eval(a) => eval::run(a),
        Command::Serve(a) => eval::serve(a),
    }
}

fn open_corpus(spec: &str, languages: &[String]) -> Result<Corpus> {
    let mut corpus = Corpus::open(spec)?;
    if !languages.is_empty() {
        corpus.select(languages)?;
    }
    Ok(corpus)
}

/// Prints a table on stdout in the chosen format.
fn emit(table: &LangTable, output: &OutputArgs) -> Result<()> {
    let mut out = io::stdout().lock();
    xling_report::render_to(&mut out, table, output.format, &TextOptions::default())?;
    out.flush()?;
    Ok(())
}

/// Prints several tables: one JSON array in JSON (so stdout stays one JSON document), otherwise each
/// table in turn, separated by a blank line.
fn emit_all(tables: &[LangTable], output: &OutputArgs) -> Result<()> {
    if tables.len() > 1 && matches!(output.format, Format::Json) {
        let parts: Vec<String> = tables
            .iter()
            .map(|t| xling_report::render(t, Format::Json, &TextOptions::default()))
            .collect();
        let mut out = io::stdout().lock();
        writeln!(out, "[\n{}]", parts.join(",\n"))?;
        out.flush()?;
        return Ok(());
    }
    for (i, t) in tables.iter().enumerate() {
        if i > 0 && matches!(output.format, Format::Table | Format::Md) {
            println!();
        }
        emit(t, output)?;
    }
    Ok(())
}

fn write_report(
    path: &std::path::Path,
    tables: &[LangTable],
    title: &str,
    intro: Vec<String>,
) -> Result<()> {
    let opts = HtmlOptions {
        title: title.to_string(),
        intro,
        ..HtmlOptions::default()
    };
    xling_report::write_html_report(path, tables, &opts)?;
    eprintln!("xling: wrote {}", path.display());
    Ok(())
}

fn corpus_intro(name: &str) -> Vec<String> {
    if name == embedded::NAME {
        vec![embedded::ATTRIBUTION.to_string()]
    } else {
        vec![format!("Corpus: {name}.")]
    }
}

fn report(a: ReportArgs) -> Result<()> {
    let corpus = open_corpus(&a.corpus.corpus, &a.corpus.languages)?.load()?;
    let opts = match a.base {
        Some(base) => CardOptions {
            base,
            base_required: true,
        },
        None => CardOptions::default(),
    };
    let table = report_card(&corpus, &opts)?;
    // Write the report first: a failure to write it must not leave the user with only half the output.
    if !a.no_report {
        write_report(
            &a.report,
            std::slice::from_ref(&table),
            "xling report card",
            corpus_intro(&corpus.name),
        )?;
    }
    emit(&table, &a.output)
}

fn scripts(a: ScriptsArgs) -> Result<()> {
    let mut corpus = open_corpus(&a.input, &a.languages)?;
    if let Some(q) = &a.lang {
        if corpus.streams.len() != 1 {
            bail!("--lang applies to a single text; use --languages to pick languages of a corpus");
        }
        let r = registry().resolve(q)?;
        corpus.set_language(Variety::of(r.lang, r.region.as_deref()));
    }
    let loaded = corpus.load()?;
    let table = xling_text::scripts_table(&loaded, a.top)?;
    if let Some(path) = &a.report {
        write_report(
            path,
            std::slice::from_ref(&table),
            "xling scripts",
            corpus_intro(&loaded.name),
        )?;
    }
    emit(&table, &a.output)
}

fn corpus_info(a: CorpusInfoArgs) -> Result<()> {
    let loaded = Corpus::open(&a.path)?.load()?;
    let table = loaded.info().to_table();
    if let Some(path) = &a.report {
        write_report(
            path,
            std::slice::from_ref(&table),
            "xling corpus info",
            corpus_intro(&loaded.name),
        )?;
    }
    emit(&table, &a.output)
}

fn langs(a: LangsArgs) -> Result<()> {
    let reg = registry();
    let mut notes = Vec::new();
    let found: Vec<&Language> = match a.query.as_deref().map(str::trim) {
        None | Some("") => reg.iter().collect(),
        Some(q) => {
            match reg.resolve(q) {
                Ok(r) => {
                    let how = match r.matched {
                        MatchKind::Code => "code",
                        MatchKind::Iso639_3 => "ISO 639-3 code",
                        MatchKind::Iso639_1 => "ISO 639-1 code",
                        MatchKind::Bcp47 => "BCP-47 tag",
                        MatchKind::Name => "name",
                        MatchKind::Macrolanguage => "macrolanguage",
                    };
                    let mut note =
                        format!("{q} → {} ({}), matched as {how}", r.lang.code, r.lang.name);
                    if let Some(region) = &r.region {
                        note.push_str(&format!(", region {region}"));
                    }
                    if !r.alternatives.is_empty() {
                        let alts: Vec<String> = r
                            .alternatives
                            .iter()
                            .map(|l| format!("{} ({})", l.code, l.name))
                            .collect();
                        note.push_str(&format!("; alternatives: {}", alts.join(", ")));
                    }
                    notes.push(note);
                }
                Err(LangError::Ambiguous { candidates, .. }) => {
                    notes.push(format!(
                        "{q} is ambiguous: it could be {}",
                        candidates.join(", ")
                    ));
                }
                Err(e) => {
                    if reg.search(q).is_empty() {
                        return Err(e.into());
                    }
                }
            }
            reg.search(q)
        }
    };
    let found: Vec<&Language> = found
        .into_iter()
        .filter(|l| !a.flores || l.in_flores200)
        .collect();
    if found.is_empty() {
        bail!("no language matches '{}'", a.query.unwrap_or_default());
    }
    let table = langs_table(&found, a.query.as_deref(), notes)?;
    emit(&table, &a.output)
}

fn langs_table(langs: &[&Language], query: Option<&str>, notes: Vec<String>) -> Result<LangTable> {
    let text = |id: &str, header: &str, d: &str| {
        Column::new(id, header, ColumnKind::Text, Better::Neither, d)
    };
    let columns = vec![
        text("iso639_3", "639-3", "ISO 639-3 code."),
        text("iso639_1", "639-1", "ISO 639-1 code, where one exists."),
        text(
            "macrolanguage",
            "macro",
            "ISO 639-3 code of the macrolanguage it belongs to.",
        ),
        Column::new(
            "speakers",
            "speakers",
            ColumnKind::Int,
            Better::Neither,
            "Estimated speakers (LinguaMeta).",
        )
        .charted(false),
        text(
            "flores200",
            "FLORES-200",
            "Whether the code is one of the 204 FLORES-200 languages.",
        ),
    ];
    let signature = Signature::new("langs").with("query", query.unwrap_or("*"));
    let mut table = LangTable::new("Languages", columns, signature);
    let opt = |v: &Option<String>| v.clone().map_or(Cell::Missing, Cell::Text);
    for l in langs {
        table.push(Row {
            key: l.code.clone(),
            name: l.name.clone(),
            script: l.script.to_string(),
            cells: vec![
                Cell::Text(l.iso639_3.clone()),
                opt(&l.iso639_1),
                opt(&l.macrolanguage),
                l.speakers.map_or(Cell::Missing, |s| {
                    Cell::Int(i64::try_from(s).unwrap_or(i64::MAX))
                }),
                Cell::Text(if l.in_flores200 { "yes" } else { "no" }.into()),
            ],
        })?;
    }
    table.notes = notes;
    table.notes.push(format!("{} language(s).", langs.len()));
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }
}
