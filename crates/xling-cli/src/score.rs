//! `xling score`: BLEU, chrF/chrF++ and TER of system outputs against references, with sacrebleu 2.6.0's
//! numbers, signatures, option names and output formats.
//!
//! sacrebleu's multi-letter short options (`-lc`, `-tok`, `-sl`, `-sh`, …) are not clap-style, so this verb
//! takes its arguments raw and rewrites those spellings to the long options before parsing.

use std::fs::File;
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use clap::{Args, Parser};
use xling_core::corpus::CorpusError;
use xling_core::corpus::lines::LineReader;
use xling_core::table::{Better, Cell, Column, ColumnKind, Row};
use xling_core::{LangTable, Signature};
use xling_metrics::score::render_results;
use xling_metrics::{Bleu, Chrf, MetricSignature, MetricsError, Score, Smooth, Ter, Tokenizer};
use xling_report::{Format, TextOptions};

/// The raw arguments of `xling score` (parsed by [`ScoreCli`]).
#[derive(Args, Debug)]
#[command(disable_help_flag = true)]
pub struct ScoreArgs {
    /// REF [REF…] -i HYP [HYP…] [-m bleu chrf ter] [options]; see `xling score --help`.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
    args: Vec<String>,
}

/// Score system outputs against references: BLEU, chrF/chrF++ and TER, identical to sacrebleu 2.6.0.
#[derive(Parser, Debug)]
#[command(name = "xling score", version)]
struct ScoreCli {
    /// Reference files (one segment per line), before -i.
    refs: Vec<PathBuf>,
    /// System output file(s); several files are scored side by side.
    #[arg(long = "input", short = 'i', num_args = 1..)]
    input: Vec<PathBuf>,
    /// A directory of references, one file per language named by its code (`deu_Latn.devtest`,
    /// `deu_Latn.txt`, `de.txt`): with --hyps-dir, a per-language table.
    #[arg(long = "refs-dir", value_name = "DIR", requires = "hyps_dir")]
    refs_dir: Option<PathBuf>,
    /// Directories of system outputs named like the references (one directory per system).
    #[arg(long = "hyps-dir", value_name = "DIR", num_args = 1.., requires = "refs_dir")]
    hyps_dir: Vec<PathBuf>,
    /// With --refs-dir: also write an HTML report here.
    #[arg(long = "report", value_name = "PATH")]
    report: Option<PathBuf>,
    /// Metrics: bleu, chrf, ter.
    #[arg(long = "metrics", short = 'm', num_args = 1.., default_values = ["bleu"])]
    metrics: Vec<String>,
    /// Split each reference line on tabs into this many references (one reference file only).
    #[arg(long = "num-refs", default_value_t = 1)]
    num_refs: usize,
    /// Score each segment (one metric, one system).
    #[arg(long = "sentence-level")]
    sentence_level: bool,
    /// BLEU smoothing: exp, floor, add-k, none.
    #[arg(long = "smooth-method", short = 's', default_value = "exp")]
    smooth_method: String,
    /// BLEU smoothing value for floor (default 0.1) and add-k (default 1).
    #[arg(long = "smooth-value")]
    smooth_value: Option<f64>,
    /// BLEU tokenizer: 13a (default), intl, zh, char, none, or flores101, flores200, spm, spBLEU-1K
    /// with --spm-model.
    #[arg(long = "tokenize")]
    tokenize: Option<String>,
    /// The SentencePiece .model file of --tokenize flores101|flores200|spm|spBLEU-1K (xling does not
    /// download it; sacrebleu keeps its copy in ~/.sacrebleu/models/).
    #[arg(long = "spm-model", value_name = "PATH")]
    spm_model: Option<PathBuf>,
    /// Lowercased BLEU (-lc).
    #[arg(long = "lowercase")]
    lowercase: bool,
    /// Accepted for compatibility; xling does not warn about tokenized input.
    #[arg(long = "force")]
    force: bool,
    /// chrF character n-gram order.
    #[arg(long = "chrf-char-order", default_value_t = 6)]
    chrf_char_order: usize,
    /// chrF word n-gram order (2 = chrF++).
    #[arg(long = "chrf-word-order", default_value_t = 0)]
    chrf_word_order: usize,
    /// chrF β (recall weight).
    #[arg(long = "chrf-beta", default_value_t = 2)]
    chrf_beta: u32,
    /// Keep whitespace in chrF character n-grams.
    #[arg(long = "chrf-whitespace")]
    chrf_whitespace: bool,
    /// Lowercased chrF.
    #[arg(long = "chrf-lowercase")]
    chrf_lowercase: bool,
    /// chrF ε smoothing (chrF++.py, NLTK, Moses) instead of effective order.
    #[arg(long = "chrf-eps-smoothing")]
    chrf_eps_smoothing: bool,
    /// Case-sensitive TER.
    #[arg(long = "ter-case-sensitive")]
    ter_case_sensitive: bool,
    /// TER: split CJK characters and remove CJK punctuation.
    #[arg(long = "ter-asian-support")]
    ter_asian_support: bool,
    /// TER: remove punctuation.
    #[arg(long = "ter-no-punct")]
    ter_no_punct: bool,
    /// TER: Tercom normalization and tokenization.
    #[arg(long = "ter-normalized")]
    ter_normalized: bool,
    /// Bootstrap 95% confidence intervals (sacrebleu's resampling, seed 12345 or $SACREBLEU_SEED).
    #[arg(long = "confidence")]
    confidence: bool,
    /// Number of bootstrap resamples for --confidence.
    #[arg(long = "confidence-n", default_value_t = 1000)]
    confidence_n: usize,
    /// Paired bootstrap resampling test of every system against the first (the baseline).
    #[arg(long = "paired-bs", conflicts_with = "paired_ar")]
    paired_bs: bool,
    /// Paired approximate randomization test of every system against the first (the baseline).
    #[arg(long = "paired-ar")]
    paired_ar: bool,
    /// Resamples of --paired-bs.
    #[arg(long = "paired-bs-n", default_value_t = 1000)]
    paired_bs_n: usize,
    /// Trials of --paired-ar.
    #[arg(long = "paired-ar-n", default_value_t = 10000)]
    paired_ar_n: usize,
    /// Accepted for compatibility (paired tests run on rayon threads).
    #[arg(long = "paired-jobs", short = 'j', default_value_t = 1)]
    paired_jobs: usize,
    /// Output format: json (default) or text; with several systems or --refs-dir also table, csv, md
    /// (--refs-dir: table by default).
    #[arg(long = "format", short = 'f')]
    format: Option<String>,
    /// Print only the scores.
    #[arg(long = "score-only", short = 'b')]
    score_only: bool,
    /// Decimals of printed scores.
    #[arg(long = "width", short = 'w', default_value_t = 1)]
    width: usize,
    /// Short signatures (-sh).
    #[arg(long = "short")]
    short: bool,
    /// Accepted for compatibility (xling prints no progress messages).
    #[arg(long = "quiet", short = 'q')]
    quiet: bool,
    /// Accepted for compatibility (xling prints no colours).
    #[arg(long = "no-color")]
    no_color: bool,
}

/// sacrebleu's multi-letter short options and their long forms.
const SACREBLEU_SHORT: [(&str, &str); 16] = [
    ("-pbs", "--paired-bs"),
    ("-par", "--paired-ar"),
    ("-pbsn", "--paired-bs-n"),
    ("-parn", "--paired-ar-n"),
    ("-ci", "--confidence"),
    ("-cin", "--confidence-n"),
    ("-lc", "--lowercase"),
    ("-tok", "--tokenize"),
    ("-sl", "--sentence-level"),
    ("-sh", "--short"),
    ("-sv", "--smooth-value"),
    ("-cc", "--chrf-char-order"),
    ("-cw", "--chrf-word-order"),
    ("-nr", "--num-refs"),
    ("-nc", "--no-color"),
    ("-V", "--version"),
];

/// Options of sacrebleu that xling does not implement yet, with what to do instead.
const NOT_YET: [&str; 4] = ["--test-set", "-t", "--language-pair", "-l"];

const METRICS: [&str; 3] = ["bleu", "chrf", "ter"];

/// Runs `xling score`.
pub fn run(a: ScoreArgs) -> Result<()> {
    let mut argv = vec!["xling score".to_string()];
    for arg in a.args {
        if let Some(opt) = NOT_YET.iter().find(|o| **o == arg) {
            bail!(
                "{opt} is not supported by xling score yet (significance tests and test-set downloads come later)"
            );
        }
        match SACREBLEU_SHORT.iter().find(|(s, _)| *s == arg) {
            Some((_, long)) => argv.push((*long).to_string()),
            None => argv.push(arg),
        }
    }
    let cli = ScoreCli::try_parse_from(argv).unwrap_or_else(|e| e.exit());
    score(cli)
}

/// One configured metric.
enum Metric {
    Bleu(Bleu),
    Chrf(Chrf),
    Ter(Ter),
}

impl Metric {
    fn signature(&self, nrefs: usize) -> MetricSignature {
        match self {
            Metric::Bleu(m) => m.signature(nrefs),
            Metric::Chrf(m) => m.signature(nrefs),
            Metric::Ter(m) => m.signature(nrefs),
        }
    }

    /// The corpus score with a bootstrap estimate from `n` resamples drawn with `seed`.
    fn corpus_with_ci(
        &self,
        hyps: &[String],
        refs: &[Vec<String>],
        n: usize,
        seed: u64,
    ) -> Result<Score> {
        use xling_metrics::bootstrap;
        let (mut score, conf) = match self {
            Metric::Bleu(m) => {
                let st = m.corpus_stats(hyps, refs)?;
                let s = m.compute(&xling_metrics::bleu::sum_stats(&st)).to_score();
                (s, bootstrap::bleu_confidence(m, &st, n, seed))
            }
            Metric::Chrf(m) => {
                let st = m.corpus_stats(hyps, refs)?;
                let s = Score::new(m.name(), m.f_score(&m.sum_stats(&st)));
                (s, bootstrap::chrf_confidence(m, &st, n, seed))
            }
            Metric::Ter(m) => {
                let st = m.corpus_stats(hyps, refs)?;
                (
                    Ter::compute(&Ter::sum_stats(&st)),
                    bootstrap::ter_confidence(&st, n, seed),
                )
            }
        };
        score.confidence = Some((conf.mean, conf.ci));
        Ok(score)
    }

    fn corpus(&self, hyps: &[String], refs: &[Vec<String>]) -> Result<Score> {
        Ok(match self {
            Metric::Bleu(m) => m.corpus_score(hyps, refs)?.to_score(),
            Metric::Chrf(m) => m.corpus_score(hyps, refs)?,
            Metric::Ter(m) => m.corpus_score(hyps, refs)?,
        })
    }

    /// Sentence scores; `verbose: false` leaves out BLEU's details (not printed with `-b`).
    fn sentences(
        &self,
        hyps: &[String],
        refs: &[Vec<String>],
        verbose: bool,
    ) -> Result<Vec<Score>> {
        Ok(match self {
            Metric::Bleu(m) => m
                .sentence_scores(hyps, refs)?
                .iter()
                .map(|s| {
                    if verbose {
                        s.to_score()
                    } else {
                        Score::new("BLEU", s.score)
                    }
                })
                .collect(),
            Metric::Chrf(m) => m.sentence_scores(hyps, refs)?,
            Metric::Ter(m) => m.sentence_scores(hyps, refs)?,
        })
    }

    /// The column header of the multi-system table.
    fn name(&self) -> String {
        match self {
            Metric::Bleu(_) => "BLEU".into(),
            Metric::Chrf(m) => m.name(),
            Metric::Ter(_) => "TER".into(),
        }
    }
}

fn build_metrics(cli: &ScoreCli) -> Result<Vec<Metric>> {
    let mut names: Vec<String> = Vec::new();
    for m in &cli.metrics {
        let lower = m.to_ascii_lowercase();
        if !METRICS.contains(&lower.as_str()) {
            return Err(MetricsError::UnknownMetric {
                name: m.clone(),
                valid: METRICS.join(", "),
            }
            .into());
        }
        if !names.contains(&lower) {
            names.push(lower);
        }
    }
    // sacrebleu reports metrics sorted by name: BLEU, CHRF, TER.
    names.sort();
    let tokenize = match &cli.tokenize {
        Some(t) => Tokenizer::from_name(t, cli.spm_model.as_deref())?,
        None => match &cli.spm_model {
            Some(_) => Tokenizer::from_name("13a", cli.spm_model.as_deref())?,
            None => Tokenizer::default(),
        },
    };
    let smooth_method: Smooth = cli.smooth_method.parse()?;
    names
        .iter()
        .map(|n| {
            Ok(match n.as_str() {
                "bleu" => Metric::Bleu(Bleu {
                    lowercase: cli.lowercase,
                    tokenize: tokenize.clone(),
                    smooth_method,
                    smooth_value: cli.smooth_value,
                    // sacrebleu forces effective order for sentence-level BLEU.
                    effective_order: cli.sentence_level,
                }),
                "chrf" => Metric::Chrf(Chrf {
                    char_order: cli.chrf_char_order,
                    word_order: cli.chrf_word_order,
                    beta: cli.chrf_beta,
                    lowercase: cli.chrf_lowercase,
                    whitespace: cli.chrf_whitespace,
                    eps_smoothing: cli.chrf_eps_smoothing,
                }),
                _ => Metric::Ter(Ter {
                    normalized: cli.ter_normalized,
                    no_punct: cli.ter_no_punct,
                    asian_support: cli.ter_asian_support,
                    case_sensitive: cli.ter_case_sensitive,
                }),
            })
        })
        .collect()
}

/// Reads a text file as sacrebleu does (one segment per line, trailing whitespace removed), with
/// xling's checks: a missing or empty file and invalid UTF-8 (file, line, byte offset) are errors.
fn read_lines(path: &Path) -> Result<Vec<String>> {
    let f = File::open(path).map_err(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            CorpusError::NotFound(path.to_path_buf())
        } else {
            CorpusError::Io {
                path: path.to_path_buf(),
                source: e,
            }
        }
    })?;
    let mut out = Vec::new();
    for line in LineReader::new(BufReader::with_capacity(1 << 16, f), path) {
        let mut text = line?.text;
        let keep = xling_metrics::pystr::rstrip(&text).len();
        text.truncate(keep);
        out.push(text);
    }
    if out.is_empty() {
        return Err(CorpusError::Empty(path.to_path_buf()).into());
    }
    Ok(out)
}

fn score(cli: ScoreCli) -> Result<()> {
    let metrics = build_metrics(&cli)?;
    if cli.refs_dir.is_some() {
        return score_dirs(&cli, &metrics);
    }
    if cli.refs.is_empty() || cli.input.is_empty() {
        bail!(
            "give reference files and system outputs (xling score REF [REF…] -i HYP [HYP…]), or \
             directories of them (xling score --refs-dir DIR --hyps-dir DIR [DIR…])"
        );
    }
    if cli.report.is_some() {
        bail!("--report needs --refs-dir and --hyps-dir (a per-language table)");
    }
    let format = cli.format.as_deref().unwrap_or("json");
    let json = match format {
        "json" => true,
        "text" | "table" | "csv" | "md" => false,
        other => bail!(
            "unknown format '{other}' (valid: json, text; with several systems also table, csv, md)"
        ),
    };
    if cli.num_refs == 0 {
        bail!("--num-refs must be at least 1");
    }
    if cli.num_refs > 1 && cli.refs.len() > 1 {
        bail!("--num-refs splits one reference file on tabs; give a single reference file");
    }
    // References: one stream per file, or per tab-separated field with --num-refs.
    let mut refs: Vec<Vec<String>> = Vec::new();
    let ref_names: Vec<String> = cli.refs.iter().map(|p| p.display().to_string()).collect();
    if cli.num_refs > 1 {
        let lines = read_lines(&cli.refs[0])?;
        refs = vec![Vec::with_capacity(lines.len()); cli.num_refs];
        for (i, line) in lines.iter().enumerate() {
            let fields: Vec<&str> = line.splitn(cli.num_refs, '\t').collect();
            if fields.len() != cli.num_refs {
                bail!(
                    "{}:{}: expected {} tab-separated references, found {}",
                    ref_names[0],
                    i + 1,
                    cli.num_refs,
                    fields.len()
                );
            }
            for (r, f) in refs.iter_mut().zip(fields) {
                r.push(f.to_string());
            }
        }
    } else {
        for p in &cli.refs {
            refs.push(read_lines(p)?);
        }
    }
    let nrefs = refs.len();
    let n_ref_lines = refs[0].len();
    for (i, r) in refs.iter().enumerate().skip(1) {
        if r.len() != n_ref_lines {
            bail!(
                "reference files differ in length: {} has {} lines but {} has {}",
                ref_names[0],
                n_ref_lines,
                ref_names[i],
                r.len()
            );
        }
    }
    let mut systems = Vec::new();
    for p in &cli.input {
        let hyps = read_lines(p)?;
        if hyps.len() != n_ref_lines {
            bail!(
                "{} has {} lines but {} has {}",
                p.display(),
                hyps.len(),
                ref_names[0],
                n_ref_lines
            );
        }
        systems.push((p.display().to_string(), hyps));
    }
    if (cli.paired_bs || cli.paired_ar) && (cli.sentence_level || systems.len() < 2) {
        bail!(
            "paired tests need several systems given to -i (the first is the baseline) and corpus-level scores"
        );
    }
    if cli.confidence && (cli.sentence_level || systems.len() > 1) {
        bail!("--confidence needs corpus-level scores of a single system");
    }
    let mut out = io::stdout().lock();
    if cli.sentence_level {
        if metrics.len() > 1 {
            bail!("only one metric can be used with --sentence-level");
        }
        if systems.len() > 1 {
            bail!("only one system can be evaluated with --sentence-level");
        }
        let m = &metrics[0];
        let sig = m.signature(nrefs).format(cli.short);
        let hyps = &systems[0].1;
        let mut buf = String::new();
        for s in m.sentences(hyps, &refs, !cli.score_only)? {
            buf.push_str(&s.format(cli.width, cli.score_only, &sig, false));
            buf.push('\n');
        }
        out.write_all(buf.as_bytes())?;
        out.flush()?;
        return Ok(());
    }
    if systems.len() == 1 {
        let hyps = &systems[0].1;
        let seed = bootstrap_seed()?;
        let mut results = Vec::new();
        for m in &metrics {
            let (s, sig) = if cli.confidence && cli.confidence_n > 1 {
                let s = m.corpus_with_ci(hyps, &refs, cli.confidence_n, seed)?;
                let sig = m
                    .signature(nrefs)
                    .with_bootstrap(cli.confidence_n, &seed.to_string());
                (s, sig)
            } else {
                (m.corpus(hyps, &refs)?, m.signature(nrefs))
            };
            let sig = sig.format(cli.short && !json);
            results.push(s.format(cli.width, cli.score_only, &sig, json));
        }
        out.write_all(render_results(&results, json).as_bytes())?;
        out.flush()?;
        return Ok(());
    }
    // Several systems: one xling table, a row per system and a column per metric.
    let table = if cli.paired_bs || cli.paired_ar {
        paired_table(&cli, &metrics, &systems, &refs)?
    } else {
        systems_table(&cli, &metrics, &systems, &refs)?
    };
    let format = match format {
        "json" => Format::Json,
        "csv" => Format::Csv,
        "md" => Format::Md,
        _ => Format::Table,
    };
    xling_report::render_to(&mut out, &table, format, &TextOptions::default())?;
    out.flush()?;
    Ok(())
}

/// Float32 rows, exact float64 rows and the corpus score of one system under one metric.
struct SystemStats {
    rows32: Vec<Vec<f32>>,
    rows64: Vec<Vec<f64>>,
    score: f64,
}

fn system_stats(m: &Metric, hyps: &[String], refs: &[Vec<String>]) -> Result<SystemStats> {
    use xling_metrics::bootstrap::{bleu_rows, chrf_rows, ter_rows};
    Ok(match m {
        Metric::Bleu(b) => {
            let st = b.corpus_stats(hyps, refs)?;
            let rows64 = st
                .iter()
                .map(|s| {
                    let mut v = vec![s.hyp_len as f64, s.ref_len as f64];
                    v.extend(s.correct.iter().chain(&s.total).map(|&c| c as f64));
                    v
                })
                .collect();
            let score = b.compute(&xling_metrics::bleu::sum_stats(&st)).score;
            SystemStats {
                rows32: bleu_rows(&st),
                rows64,
                score,
            }
        }
        Metric::Chrf(c) => {
            let st = c.corpus_stats(hyps, refs)?;
            let rows32 = chrf_rows(&st);
            let rows64 = st
                .iter()
                .map(|s| s.iter().flat_map(|t| t.map(|x| x as f64)).collect())
                .collect();
            SystemStats {
                rows32,
                rows64,
                score: c.f_score(&c.sum_stats(&st)),
            }
        }
        Metric::Ter(t) => {
            let st = t.corpus_stats(hyps, refs)?;
            let rows64 = st.iter().map(|s| vec![s.edits as f64, s.ref_len]).collect();
            SystemStats {
                rows32: ter_rows(&st),
                rows64,
                score: Ter::compute(&Ter::sum_stats(&st)).score,
            }
        }
    })
}

fn paired_table(
    cli: &ScoreCli,
    metrics: &[Metric],
    systems: &[(String, Vec<String>)],
    refs: &[Vec<String>],
) -> Result<LangTable> {
    use xling_metrics::bootstrap::{self, Scores, paired_ar, paired_bs};
    let nrefs = refs.len();
    let seed = bootstrap_seed()?;
    let (test, n) = if cli.paired_bs {
        ("bs", cli.paired_bs_n)
    } else {
        ("ar", cli.paired_ar_n)
    };
    let decimals = u8::try_from(cli.width).unwrap_or(u8::MAX);
    let mut columns = Vec::new();
    for m in metrics {
        let name = m.name();
        let better = if matches!(m, Metric::Ter(_)) {
            Better::Lower
        } else {
            Better::Higher
        };
        let id = name.to_lowercase();
        columns.push(Column::new(
            &id,
            &name,
            ColumnKind::Float { decimals },
            better,
            &format!("{name} score"),
        ));
        if test == "bs" {
            columns.push(
                Column::new(
                    &format!("{id}_mean"),
                    "μ",
                    ColumnKind::Float { decimals },
                    Better::Neither,
                    &format!("{name} bootstrap mean"),
                )
                .charted(false),
            );
            columns.push(
                Column::new(
                    &format!("{id}_ci"),
                    "± 95% CI",
                    ColumnKind::Float { decimals },
                    Better::Neither,
                    &format!("{name} half-width of the 95% interval"),
                )
                .charted(false),
            );
        }
        columns.push(
            Column::new(
                &format!("{id}_p"),
                "p",
                ColumnKind::Float { decimals: 4 },
                Better::Neither,
                &format!("{name} p-value against the baseline"),
            )
            .charted(false),
        );
    }
    let mut sig = Signature::new("score")
        .with("refs", cli.refs.len())
        .with("test", format!("paired-{test}"));
    let mut notes = Vec::new();
    for m in metrics {
        let s = m.signature(nrefs).with_paired(test, n, &seed.to_string());
        sig = sig.with(m.name(), s.format(true));
        notes.push(format!("{}|{}", m.name(), s.format(cli.short)));
    }
    let sig = with_spm_model(sig, metrics);
    let mut table = LangTable::new(
        format!(
            "Paired {} test against the baseline (sacrebleu 2.6.0 compatible)",
            if test == "bs" {
                "bootstrap"
            } else {
                "approximate randomization"
            }
        ),
        columns,
        sig,
    );
    let base: Vec<SystemStats> = metrics
        .iter()
        .map(|m| system_stats(m, &systems[0].1, refs))
        .collect::<Result<_>>()?;
    for (si, (name, hyps)) in systems.iter().enumerate() {
        let mut cells = Vec::new();
        for (m, bl) in metrics.iter().zip(&base) {
            let score_fn32 = |s: &[f32]| match m {
                Metric::Bleu(b) => (bootstrap::bleu_from_f32(b, s), false),
                Metric::Chrf(c) => bootstrap::chrf_from_f32(c, s),
                Metric::Ter(_) => bootstrap::ter_from_f32(s),
            };
            let score_fn64 = |s: &[f64]| match m {
                Metric::Bleu(b) => bootstrap::bleu_from_f64(b, s),
                Metric::Chrf(c) => bootstrap::chrf_from_f64(c, s),
                Metric::Ter(_) => bootstrap::ter_from_f64(s),
            };
            if si == 0 {
                cells.push(Cell::Float(bl.score));
                if test == "bs" {
                    let sc: Vec<(f64, bool)> = bootstrap::resample_sums(&bl.rows32, n, seed)
                        .iter()
                        .map(|s| score_fn32(s))
                        .collect();
                    let c = Scores::collect(&sc).estimate_ci();
                    cells.push(Cell::Float(c.mean));
                    cells.push(Cell::Float(c.ci));
                }
                cells.push(Cell::Missing);
                continue;
            }
            let st = system_stats(m, hyps, refs)?;
            cells.push(Cell::Float(st.score));
            if test == "bs" {
                let r = paired_bs(
                    &bl.rows32, &st.rows32, bl.score, st.score, n, seed, score_fn32,
                );
                let c = r
                    .confidence
                    .unwrap_or(bootstrap::Confidence { mean: 0.0, ci: 0.0 });
                cells.push(Cell::Float(c.mean));
                cells.push(Cell::Float(c.ci));
                cells.push(Cell::Float(r.p_value));
            } else {
                let r = paired_ar(
                    &bl.rows64, &st.rows64, bl.score, st.score, n, seed, score_fn64,
                );
                cells.push(Cell::Float(r.p_value));
            }
        }
        let key = if si == 0 {
            format!("Baseline: {name}")
        } else {
            name.clone()
        };
        table.push(Row {
            key,
            name: String::new(),
            script: String::new(),
            cells,
        })?;
    }
    table.notes = notes;
    table
        .notes
        .push("p < 0.05: the difference to the baseline is unlikely to be due to chance.".into());
    Ok(table)
}

/// Adds the SentencePiece model's short hash to an xling table signature when BLEU uses one
/// (sacrebleu's own signature, `tok:flores200`, does not identify the file).
fn with_spm_model(sig: Signature, metrics: &[Metric]) -> Signature {
    match metrics.iter().find_map(|m| match m {
        Metric::Bleu(Bleu {
            tokenize: Tokenizer::Spm(t),
            ..
        }) => Some(t.model.short_hash().to_string()),
        _ => None,
    }) {
        Some(h) => sig.with("spm-model", format!("sha256:{h}")),
        None => sig,
    }
}

/// sacrebleu's bootstrap seed: `$SACREBLEU_SEED` when set, else 12345.
fn bootstrap_seed() -> Result<u64> {
    match std::env::var("SACREBLEU_SEED") {
        Ok(v) => v.trim().parse().map_err(|_| {
            anyhow::anyhow!("SACREBLEU_SEED must be a non-negative integer (got '{v}'); unseeded runs are not supported")
        }),
        Err(_) => Ok(xling_metrics::bootstrap::DEFAULT_SEED),
    }
}

fn systems_table(
    cli: &ScoreCli,
    metrics: &[Metric],
    systems: &[(String, Vec<String>)],
    refs: &[Vec<String>],
) -> Result<LangTable> {
    let nrefs = refs.len();
    let columns = metrics
        .iter()
        .map(|m| {
            let better = if matches!(m, Metric::Ter(_)) {
                Better::Lower
            } else {
                Better::Higher
            };
            let name = m.name();
            Column::new(
                &name.to_lowercase(),
                &name,
                ColumnKind::Float {
                    decimals: u8::try_from(cli.width).unwrap_or(u8::MAX),
                },
                better,
                &format!("{name}|{}", m.signature(nrefs).format(cli.short)),
            )
        })
        .collect();
    let mut sig = Signature::new("score").with("refs", cli.refs.len());
    for m in metrics {
        sig = sig.with(m.name(), m.signature(nrefs).format(true));
    }
    let sig = with_spm_model(sig, metrics);
    let mut table = LangTable::new("MT metrics (sacrebleu 2.6.0 compatible)", columns, sig);
    for (name, hyps) in systems {
        let mut cells = Vec::new();
        for m in metrics {
            cells.push(Cell::Float(m.corpus(hyps, refs)?.score));
        }
        table.push(Row {
            key: name.clone(),
            name: String::new(),
            script: String::new(),
            cells,
        })?;
    }
    for m in metrics {
        table.notes.push(format!(
            "{}|{}",
            m.name(),
            m.signature(nrefs).format(cli.short)
        ));
    }
    Ok(table)
}

/// One language's file in a directory of references or system outputs.
struct LangFile {
    /// The registry code (`deu_Latn`), or the file's own code when the registry does not know it.
    key: String,
    /// English name, when known.
    name: String,
    /// ISO 15924 script, `Zzzz` when unknown.
    script: String,
    path: PathBuf,
}

/// The language code of a file name: everything before the first `.` (`deu_Latn.devtest` → `deu_Latn`).
fn lang_of_file(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let code = name.split('.').next()?;
    (!code.is_empty()).then(|| code.to_string())
}

/// The files of `dir` by language, sorted by key. Hidden files, Markdown files and README/LICENSE/NOTICE
/// files are skipped; any other file whose name does not start with a language code, and two files of
/// one language, are errors naming the files.
fn lang_files(dir: &Path) -> Result<Vec<LangFile>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            anyhow::anyhow!("{}: no such directory", dir.display())
        } else {
            anyhow::anyhow!("{}: {e}", dir.display())
        }
    })?;
    let registry = xling_core::lang::registry();
    let mut out: Vec<LangFile> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
        let path = entry.path();
        let skip = entry.file_name().to_str().is_none_or(|n| {
            let upper = n.to_ascii_uppercase();
            n.starts_with('.')
                || upper.ends_with(".MD")
                || ["README", "LICENSE", "NOTICE"]
                    .iter()
                    .any(|p| upper.starts_with(p))
        });
        if skip || !path.is_file() {
            continue;
        }
        let Some(code) = lang_of_file(&path) else {
            continue;
        };
        let resolved = registry.resolve(&code).map_err(|e| {
            anyhow::anyhow!(
                "{}: the file name must start with a language code such as deu_Latn \
                 (deu_Latn.devtest, deu_Latn.txt): {e}",
                path.display()
            )
        })?;
        let lang = resolved.lang;
        if let Some(other) = out.iter().find(|f| f.key == lang.code) {
            bail!(
                "{} and {} are both {} in {}",
                other.path.display(),
                path.display(),
                lang.code,
                dir.display()
            );
        }
        out.push(LangFile {
            key: lang.code.clone(),
            name: lang.name.clone(),
            script: lang.script.to_string(),
            path,
        });
    }
    if out.is_empty() {
        bail!(
            "{}: no files named by language code (deu_Latn.devtest, deu_Latn.txt, …)",
            dir.display()
        );
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

/// Scripts written without spaces between words, where 13a/intl BLEU counts whole runs as words.
const UNSEGMENTED_SCRIPTS: [&str; 10] = [
    "Hans", "Hant", "Jpan", "Thai", "Laoo", "Khmr", "Mymr", "Tibt", "Bali", "Java",
];

/// `xling score --refs-dir DIR --hyps-dir DIR [DIR…]`: every language that has a reference and at least
/// one system output, one row per language, a column per system and metric.
fn score_dirs(cli: &ScoreCli, metrics: &[Metric]) -> Result<()> {
    let refs_dir = cli.refs_dir.as_deref().unwrap_or(Path::new("."));
    if !cli.refs.is_empty() || !cli.input.is_empty() {
        bail!("give either REF -i HYP files or --refs-dir/--hyps-dir directories, not both");
    }
    if cli.sentence_level || cli.confidence || cli.paired_bs || cli.paired_ar || cli.num_refs > 1 {
        bail!(
            "--refs-dir scores whole files per language: --sentence-level, --confidence, \
             --paired-bs, --paired-ar and --num-refs are not available with it"
        );
    }
    let format: Format = cli
        .format
        .as_deref()
        .unwrap_or("table")
        .parse()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let refs = lang_files(refs_dir)?;
    let systems: Vec<(String, Vec<LangFile>)> = cli
        .hyps_dir
        .iter()
        .map(|d| {
            let name = d.file_name().map_or_else(
                || d.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            Ok((name, lang_files(d)?))
        })
        .collect::<Result<_>>()?;
    for (i, (name, _)) in systems.iter().enumerate() {
        if systems[..i].iter().any(|(n, _)| n == name) {
            bail!(
                "two --hyps-dir directories are both named '{name}': give directories with distinct names"
            );
        }
    }
    for (_, files) in &systems {
        for f in files {
            if !refs.iter().any(|r| r.key == f.key) {
                bail!(
                    "{} is {} but {} has no reference for it",
                    f.path.display(),
                    f.key,
                    refs_dir.display()
                );
            }
        }
    }
    let several = systems.len() > 1;
    let decimals = u8::try_from(cli.width).unwrap_or(u8::MAX);
    let mut columns = vec![
        Column::new(
            "segments",
            "segments",
            ColumnKind::Int,
            Better::Neither,
            "reference segments",
        )
        .charted(false),
    ];
    for (sys, _) in &systems {
        for m in metrics {
            let name = m.name();
            let better = if matches!(m, Metric::Ter(_)) {
                Better::Lower
            } else {
                Better::Higher
            };
            let (id, label) = if several {
                (
                    format!("{sys}.{}", name.to_lowercase()),
                    format!("{sys} {name}"),
                )
            } else {
                (name.to_lowercase(), name.clone())
            };
            columns.push(Column::new(
                &id,
                &label,
                ColumnKind::Float { decimals },
                better,
                &format!("{name}|{}", m.signature(1).format(cli.short)),
            ));
        }
    }
    let mut hasher = xling_core::signature::DataHasher::new();
    let mut rows = Vec::new();
    let mut unscored = Vec::new();
    for r in &refs {
        let outputs: Vec<Option<&LangFile>> = systems
            .iter()
            .map(|(_, files)| files.iter().find(|f| f.key == r.key))
            .collect();
        if outputs.iter().all(Option::is_none) {
            unscored.push(r.key.clone());
            continue;
        }
        let ref_lines = read_lines(&r.path)?;
        hasher.update(&r.key);
        for l in &ref_lines {
            hasher.update(l);
        }
        let ref_streams = vec![ref_lines];
        let mut cells = vec![Cell::Int(ref_streams[0].len() as i64)];
        for ((sys, _), out) in systems.iter().zip(&outputs) {
            let Some(f) = out else {
                cells.extend(metrics.iter().map(|_| Cell::Missing));
                continue;
            };
            let hyps = read_lines(&f.path)?;
            if hyps.len() != ref_streams[0].len() {
                bail!(
                    "{} has {} lines but {} has {}",
                    f.path.display(),
                    hyps.len(),
                    r.path.display(),
                    ref_streams[0].len()
                );
            }
            hasher.update(sys);
            for l in &hyps {
                hasher.update(l);
            }
            for m in metrics {
                cells.push(Cell::Float(m.corpus(&hyps, &ref_streams)?.score));
            }
        }
        rows.push(Row {
            key: r.key.clone(),
            name: r.name.clone(),
            script: r.script.clone(),
            cells,
        });
    }
    let mut sig = Signature::new("score")
        .with("refs", 1)
        .with("langs", rows.len())
        .with("systems", systems.len());
    for m in metrics {
        sig = sig.with(m.name(), m.signature(1).format(true));
    }
    let sig = with_spm_model(sig, metrics).with_data(hasher.finish());
    let title = if several {
        format!(
            "MT metrics per language, {} systems (sacrebleu 2.6.0 compatible)",
            systems.len()
        )
    } else {
        format!(
            "MT metrics per language: {} (sacrebleu 2.6.0 compatible)",
            systems[0].0
        )
    };
    let mut table = LangTable::new(title, columns, sig);
    let unsegmented: Vec<String> = rows
        .iter()
        .filter(|r| UNSEGMENTED_SCRIPTS.contains(&r.script.as_str()))
        .map(|r| r.key.clone())
        .collect();
    for row in rows {
        table.push(row)?;
    }
    for m in metrics {
        table
            .notes
            .push(format!("{}|{}", m.name(), m.signature(1).format(cli.short)));
    }
    if let Some(Metric::Bleu(b)) = metrics.iter().find(|m| matches!(m, Metric::Bleu(_)))
        && matches!(b.tokenize, Tokenizer::Thirteen13a | Tokenizer::Intl)
        && !unsegmented.is_empty()
    {
        table.notes.push(format!(
            "BLEU with tok:{} counts unsegmented runs as words in {}: compare those languages with \
             --tokenize flores200 --spm-model PATH (spBLEU) or chrF.",
            b.tokenize.name(),
            unsegmented.join(", ")
        ));
    }
    if !unscored.is_empty() {
        table.notes.push(format!(
            "No system output for {} reference language(s): {}.",
            unscored.len(),
            unscored.join(", ")
        ));
    }
    if let Some(path) = &cli.report {
        let intro = vec![format!(
            "References: {}. Systems: {}.",
            refs_dir.display(),
            cli.hyps_dir
                .iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )];
        crate::write_report(path, std::slice::from_ref(&table), "xling score", intro)?;
    }
    let mut out = io::stdout().lock();
    xling_report::render_to(&mut out, &table, format, &TextOptions::default())?;
    out.flush()?;
    Ok(())
}
