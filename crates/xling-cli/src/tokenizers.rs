//! `xling tokenizers`: tokenizer parity, fertility and efficiency per language (xling-tokenize).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use xling_core::LangTable;
use xling_report::{
    Figure, HtmlOptions, grouped_bars_svg, heatmap_svg, stacked_shares_svg,
    write_html_report_with_figures,
};
use xling_tokenize::hub::HubOptions;
use xling_tokenize::table::{TableOptions, metric, time_bare_encode};
use xling_tokenize::words::WordMethod;
use xling_tokenize::{Params, Tokenizer};

use super::{CorpusArgs, OutputArgs, corpus_intro, emit_all, open_corpus};

/// Every metric of a tokenizer's column group, in order.
const METRICS: &[&str] = &[
    metric::TOKENS,
    metric::PREMIUM,
    metric::NSL,
    metric::FERTILITY,
    metric::CONTINUED,
    metric::SINGLE,
    metric::CHARS_PER_TOKEN,
    metric::BYTES_PER_TOKEN,
    metric::UNKNOWN,
    metric::BYTE_TOKENS,
    metric::RENYI,
    metric::SHANNON,
];

#[derive(Args, Debug)]
pub(crate) struct TokenizersArgs {
    /// A tokenizer: `o200k_base`, `cl100k_base`, a tokenizer.json, .tiktoken or SentencePiece .model
    /// file, or a hub id `hf:org/name[@revision]` (downloaded into the cache with a notice; a branch
    /// revision is revalidated on each run and downloaded again only when the file changed, a commit
    /// hash is never asked again; HF_ENDPOINT, HF_HUB_OFFLINE and HF_TOKEN apply). `NAME=SPEC` names
    /// it. Repeat for several.
    #[arg(long = "tokenizer", short = 't', required = true)]
    tokenizers: Vec<String>,
    #[command(flatten)]
    corpus: CorpusArgs,
    /// Base language of the premium.
    #[arg(long)]
    base: Option<String>,
    /// Romanize every language with uroman (`xling romanize`) before tokenizing, to compare premiums of
    /// native and romanized text (the romanization-based adaptation experiment).
    #[arg(long)]
    romanized: bool,
    /// Order α of the Rényi efficiency.
    #[arg(long, default_value_t = 2.5)]
    alpha: f64,
    /// Reference tokenizer of the normalized sequence length (a name given to --tokenizer; the first by
    /// default).
    #[arg(long)]
    reference: Option<String>,
    /// Only these metrics per tokenizer (comma-separated): tokens, premium, nsl, fertility, continued,
    /// single, chars_per_token, bytes_per_token, unknown, byte_tokens, renyi, shannon.
    #[arg(long, value_delimiter = ',')]
    metrics: Vec<String>,
    /// Also classify each vocabulary as Qtok does: token categories, scripts of alphabetic tokens, and
    /// the tokens tokenizers share (three more tables; with --report, a script-composition chart).
    #[arg(long)]
    vocab: bool,
    /// How words of scripts written without spaces are cut for fertility: `dictionary` (ICU4X
    /// dictionaries for Han, Japanese, Thai, Lao, Khmer, Myanmar; UAX #29 for Tibetan) or `uax29`
    /// (UAX #29 word boundaries for all of them).
    #[arg(long, value_enum, default_value_t = WordSegmenter::Dictionary)]
    word_segmenter: WordSegmenter,
    #[command(flatten)]
    output: OutputArgs,
    /// Also write an HTML report here.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Print to stderr how long the bare encoding and the full metrics took (for benchmarks).
    #[arg(long, hide = true)]
    timing: bool,
}

/// Rounds of bare encode and full metrics that `--timing` runs (bare first in even rounds, metrics
/// first in odd ones).
const TIMING_ROUNDS: usize = 3;

/// The `--word-segmenter` values.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum WordSegmenter {
    /// ICU4X dictionaries where ICU has one, UAX #29 otherwise.
    Dictionary,
    /// UAX #29 word boundaries.
    Uax29,
}

/// CPU seconds (user + system, all threads) this process has used, from /proc/self/stat; 0 where that
/// is not available. Benchmarks on a shared machine compare CPU time, which other jobs do not inflate.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15 (1-based).
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return 0.0;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// Hub options from the environment: `HF_ENDPOINT` (default `https://huggingface.co`), `HF_HUB_OFFLINE`
/// (1/true/yes/on), `HF_TOKEN` (sent as a bearer token), and the cache `XLING_CACHE_DIR`, else `$XDG_CACHE_HOME/xling`, else `~/.cache/xling`.
fn hub_options() -> HubOptions {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let cache_dir = env("XLING_CACHE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            env("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".cache")))
                .unwrap_or_else(|| PathBuf::from(".cache"))
                .join("xling")
        });
    HubOptions {
        endpoint: env("HF_ENDPOINT").unwrap_or_else(|| "https://huggingface.co".into()),
        cache_dir,
        offline: env("HF_HUB_OFFLINE").is_some_and(|v| {
            matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on")
        }),
        token: env("HF_TOKEN"),
        ..HubOptions::new("", "")
    }
}

fn load_all(specs: &[String]) -> Result<Vec<Box<dyn Tokenizer>>> {
    let hub = hub_options();
    let hub = &hub;
    std::thread::scope(|s| {
        let handles: Vec<_> = specs
            .iter()
            .map(|spec| {
                s.spawn(move || {
                    xling_tokenize::load_with_hub(spec, Some(hub), &mut |msg| {
                        eprintln!("xling: {spec}: {msg}");
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| match h.join() {
                Ok(r) => r.map_err(anyhow::Error::from),
                Err(_) => Err(anyhow::anyhow!("loading a tokenizer panicked")),
            })
            .collect()
    })
}

/// Keeps only the chosen metrics of every tokenizer group (shared columns stay).
fn select_metrics(table: &mut LangTable, metrics: &[String]) -> Result<()> {
    for m in metrics {
        if !METRICS.contains(&m.as_str()) {
            bail!(
                "unknown metric '{m}' (expected one of {})",
                METRICS.join(", ")
            );
        }
    }
    let keep: Vec<bool> = table
        .columns
        .iter()
        .map(|c| match c.id.rsplit_once('.') {
            Some((_, m)) if METRICS.contains(&m) => metrics.iter().any(|x| x == m),
            _ => true,
        })
        .collect();
    let mut it = keep.iter();
    table.columns.retain(|_| *it.next().unwrap_or(&true));
    for row in &mut table.rows {
        let mut it = keep.iter();
        row.cells.retain(|_| *it.next().unwrap_or(&true));
    }
    Ok(())
}

pub(crate) fn run(a: TokenizersArgs) -> Result<()> {
    if !(a.alpha > 0.0 && a.alpha.is_finite()) {
        bail!("--alpha must be a positive number, got {}", a.alpha);
    }
    let mut corpus = open_corpus(&a.corpus.corpus, &a.corpus.languages)?.load()?;
    if a.romanized {
        let romanizer = xling_romanize::Romanizer::new();
        for stream in &mut corpus.streams {
            let lcode = stream.variety.lang.map(|l| l.iso639_3.clone());
            for seg in &mut stream.segments {
                seg.text = romanizer.romanize(&seg.text, lcode.as_deref());
            }
        }
    }
    let loaded = load_all(&a.tokenizers)?;
    let tks: Vec<&dyn Tokenizer> = loaded.iter().map(|t| t.as_ref()).collect();
    let reference = match &a.reference {
        None => 0,
        Some(r) => tks.iter().position(|t| t.name() == r).with_context(|| {
            let names: Vec<&str> = tks.iter().map(|t| t.name()).collect();
            format!(
                "--reference {r} is not one of the tokenizers ({})",
                names.join(", ")
            )
        })?,
    };
    let opts = TableOptions {
        base: a.base.clone().unwrap_or_else(|| "eng_Latn".into()),
        base_required: a.base.is_some(),
        params: Params { alpha: a.alpha },
        reference,
        words: match a.word_segmenter {
            WordSegmenter::Dictionary => WordMethod::Dictionary,
            WordSegmenter::Uax29 => WordMethod::Uax29,
        },
    };
    if a.timing {
        for t in &tks {
            eprintln!("xling: timing: {} encodes with {}", t.name(), t.engine());
        }
    }
    // With --timing, `rounds` rounds of the bare encode and the full metrics, in alternating order:
    // on a shared machine the other jobs' load drifts, and the fastest of each kind is the fairer
    // comparison.
    let rounds = if a.timing { TIMING_ROUNDS } else { 1 };
    let mut best_bare = (f64::INFINITY, f64::INFINITY);
    let mut best_all = (f64::INFINITY, f64::INFINITY);
    let mut tokens = 0;
    let mut table = None;
    for round in 1..=rounds {
        let order: &[bool] = match (a.timing, round % 2 == 0) {
            (false, _) => &[true],
            (true, false) => &[false, true],
            (true, true) => &[true, false],
        };
        for &metrics in order {
            if !metrics {
                let cpu0 = cpu_seconds();
                let (bare, n) = time_bare_encode(&corpus, &tks)?;
                let cpu = cpu_seconds() - cpu0;
                tokens = n;
                eprintln!(
                    "xling: timing: round {round}: bare encode {:.3} s, cpu {cpu:.2} s",
                    bare.as_secs_f64()
                );
                best_bare = (best_bare.0.min(bare.as_secs_f64()), best_bare.1.min(cpu));
                continue;
            }
            let start = Instant::now();
            let cpu0 = cpu_seconds();
            let t = xling_tokenize::tokenizers_table(&corpus, &tks, &opts)?;
            let (wall, cpu) = (start.elapsed().as_secs_f64(), cpu_seconds() - cpu0);
            if a.timing {
                eprintln!("xling: timing: round {round}: all metrics {wall:.3} s, cpu {cpu:.2} s");
                best_all = (best_all.0.min(wall), best_all.1.min(cpu));
            }
            table = Some(t);
        }
    }
    if a.timing {
        eprintln!(
            "xling: timing: bare encode {:.3} s, cpu {:.2} s ({tokens} tokens; best of {rounds})",
            best_bare.0, best_bare.1
        );
        eprintln!(
            "xling: timing: all metrics {:.3} s, cpu {:.2} s (best of {rounds})",
            best_all.0, best_all.1
        );
    }
    let Some(mut table) = table else {
        bail!("no table was computed");
    };
    if a.romanized {
        table
            .signature
            .params
            .push(("text".into(), "uroman-1.3.1.1".into()));
        table.title.push_str(" (romanized with uroman)");
        table.notes.push(
            "Text romanized with uroman 1.3.1.1 rules (xling romanize) before tokenizing.".into(),
        );
    }
    if !a.metrics.is_empty() {
        select_metrics(&mut table, &a.metrics)?;
    }
    let mut tables = vec![table];
    if a.vocab {
        tables.extend(xling_tokenize::vocab::vocab_tables(&tks)?);
    }
    if let Some(path) = &a.report {
        let names: Vec<&str> = tks.iter().map(|t| t.name()).collect();
        let premium: Vec<String> = names
            .iter()
            .map(|n| format!("{n}.{}", metric::PREMIUM))
            .collect();
        let cols: Vec<&str> = premium.iter().map(String::as_str).collect();
        let base = opts.base.as_str();
        let mut figures = vec![
            Figure {
                title: "Token premium per language".into(),
                caption: format!(
                    "Tokens relative to {base} for the same content, one bar per tokenizer; languages \
                     sorted by {}'s premium. Lower is better.",
                    names[0]
                ),
                svg: grouped_bars_svg(&tables[0], &cols, &names),
            },
            Figure {
                title: "Tokenizer × language premium heatmap".into(),
                caption: "Darker is more expensive (log scale from 1×); grey: excluded or no base."
                    .into(),
                svg: heatmap_svg(&tables[0], &cols, &names),
            },
        ];
        if a.vocab {
            // tables[2]: alphabetic tokens per script (xling_tokenize::vocab::vocab_tables).
            let shares: Vec<String> = names.iter().map(|n| format!("{n}.alpha_share")).collect();
            let cols: Vec<&str> = shares.iter().map(String::as_str).collect();
            if let Some(scripts) = tables.get(2) {
                figures.push(Figure {
                    title: "Vocabulary script composition (Qtok)".into(),
                    caption: "Share of each tokenizer's alphabetic vocabulary entries per script \
                              (Qtok's classification: single letters, space-prefixed and inner tokens \
                              of one script); scripts at or below 1% in every tokenizer are merged \
                              into Other, as Qtok does."
                        .into(),
                    svg: stacked_shares_svg(scripts, &cols, &names, 0.01),
                });
            }
        }
        let html = HtmlOptions {
            title: "xling tokenizers".into(),
            intro: corpus_intro(&corpus.name),
            ..HtmlOptions::default()
        };
        write_html_report_with_figures(path, &tables, &figures, &html)?;
        eprintln!("xling: wrote {}", path.display());
    }
    emit_all(&tables, &a.output)?;
    Ok(())
}
