//! `xling align`: MEXA cross-lingual alignment of a local model's hidden states (xling-align).

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use xling_align::validate::{TaskScores, validate};
use xling_align::{Embedding, ExtractOptions, Pooling, SentenceStates, extract, mexa_layers, npy};
use xling_core::corpus::{Alignment, LoadedCorpus};
use xling_core::signature::DataHasher;
use xling_core::table::{Better, Cell, Column, ColumnKind, Row};
use xling_core::{LangTable, Signature, registry};
use xling_model::{LoadOptions, Model};
use xling_report::{
    Figure, Format, HtmlOptions, line_chart_svg, unit_heatmap_svg, write_html_report_with_figures,
};

use super::{CorpusArgs, OutputArgs, corpus_intro, emit, open_corpus};

#[derive(Args, Debug)]
pub(crate) struct AlignArgs {
    /// The model: a GGUF file or a Hugging Face model folder (config.json + safetensors); architectures
    /// gemma3, llama, qwen2, qwen3.
    #[arg(long, short = 'm')]
    model: PathBuf,
    /// Arithmetic of the projections: f32 (matches HF transformers to 1e-4) or int8 (int8 weights
    /// with a scale per output row, activations with a scale per 64 inputs: about twice as fast on
    /// CPUs with AVX-512 VNNI, pooled scores move by less than 0.01; see BENCHMARKS.md).
    #[arg(long, default_value = "f32")]
    precision: xling_model::linear::Precision,
    /// A tokenizer.json to use instead of the vocabulary inside the GGUF file.
    #[arg(long)]
    tokenizer: Option<PathBuf>,
    #[command(flatten)]
    corpus: CorpusArgs,
    /// The pivot language every other language is compared with.
    #[arg(long, default_value = "eng_Latn")]
    pivot: String,
    /// Parallel sentences per language (the first N; MEXA uses 100 FLORES devtest sentences).
    #[arg(long, default_value_t = 100)]
    num_sents: usize,
    /// Sentence embedding from each layer's token states: weighted (position-weighted mean) or last.
    #[arg(long, default_value = "weighted")]
    embedding: Embedding,
    /// Pooling of per-layer scores into one score per language: mean or max.
    #[arg(long, default_value = "mean")]
    pooling: Pooling,
    /// Upper bound on sequences × padded length per forward pass (memory vs speed).
    #[arg(long, default_value_t = 1024)]
    batch_tokens: usize,
    /// Write every language's embeddings (both kinds, all layers) as NumPy files
    /// `DIR/<lang>.{weighted,last}.npy`, shape [layers, sentences, dim], float32.
    #[arg(long, value_name = "DIR")]
    dump_embeddings: Option<PathBuf>,
    /// Save each language's per-layer scores as `DIR/<lang>.json` as soon as it finishes; a rerun with
    /// the same settings reuses them, so an interrupted run resumes where it stopped.
    #[arg(long, value_name = "DIR")]
    save: Option<PathBuf>,
    /// A CSV/TSV of `language,score` (e.g. Belebele accuracy per language): report Pearson and Spearman,
    /// with bootstrap intervals, between the MEXA estimates (alignment × pivot score) and these scores.
    #[arg(long, value_name = "CSV")]
    validate: Option<PathBuf>,
    /// The pivot's task score for --validate (default: its row in the CSV).
    #[arg(long)]
    pivot_score: Option<f64>,
    /// Print per-layer columns in the terminal table too (JSON and CSV always have them).
    #[arg(long)]
    per_layer: bool,
    #[command(flatten)]
    output: OutputArgs,
    /// Where to write the HTML report (per-layer curves, per-language bars, heatmap).
    #[arg(long, default_value = "xling-align.html")]
    report: PathBuf,
    /// Do not write the HTML report.
    #[arg(long, conflicts_with = "report")]
    no_report: bool,
}

/// The first `n` parallel sentences of each stream, in the corpus' order.
fn parallel(corpus: &LoadedCorpus, n: usize) -> Result<Vec<(String, Vec<String>)>> {
    match corpus.alignment {
        Alignment::Lines => Ok(corpus
            .streams
            .iter()
            .map(|s| {
                let v = s.segments.iter().take(n).map(|g| g.text.clone()).collect();
                (s.variety.key.clone(), v)
            })
            .collect()),
        Alignment::Ids => {
            let ids: Vec<String> = corpus.common_ids().into_iter().take(n).collect();
            Ok(corpus
                .streams
                .iter()
                .map(|s| {
                    let by_id: HashMap<&str, &str> = s
                        .segments
                        .iter()
                        .map(|g| (g.id.as_str(), g.text.as_str()))
                        .collect();
                    let v = ids
                        .iter()
                        .filter_map(|i| by_id.get(i.as_str()).map(|t| t.to_string()))
                        .collect();
                    (s.variety.key.clone(), v)
                })
                .collect())
        }
        _ => bail!(
            "corpus {} is not parallel: MEXA compares translations of the same sentences \
             (use a FLORES/NTREX directory or a TSV/JSONL with an id column)",
            corpus.name
        ),
    }
}

fn resolve_key(corpus: &LoadedCorpus, query: &str) -> Result<String> {
    if corpus.get(query).is_some() {
        return Ok(query.to_string());
    }
    let r = registry().resolve(query)?;
    let code = r.lang.code.to_string();
    if corpus.get(&code).is_some() {
        return Ok(code);
    }
    bail!(
        "language {query} ({code}) is not in corpus {}: it has {} languages (see `xling corpus info`)",
        corpus.name,
        corpus.streams.len()
    )
}

/// Per-layer scores of one language, both embedding kinds.
#[derive(Debug, Clone)]
struct LangScores {
    weighted: Vec<f64>,
    last: Vec<f64>,
    sentences: usize,
    tokens: usize,
}

impl LangScores {
    fn get(&self, e: Embedding) -> &[f64] {
        match e {
            Embedding::Weighted => &self.weighted,
            Embedding::Last => &self.last,
        }
    }
}

fn saved(path: &Path, key: &str) -> Option<LangScores> {
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    if v["resume_key"].as_str()? != key {
        return None;
    }
    let floats = |k: &str| -> Option<Vec<f64>> {
        v[k].as_array()?
            .iter()
            .map(serde_json::Value::as_f64)
            .collect()
    };
    Some(LangScores {
        weighted: floats("weighted")?,
        last: floats("last")?,
        sentences: usize::try_from(v["sentences"].as_u64()?).ok()?,
        tokens: usize::try_from(v["tokens"].as_u64()?).ok()?,
    })
}

fn dump(dir: &Path, lang: &str, s: &SentenceStates) -> Result<()> {
    for kind in [Embedding::Weighted, Embedding::Last] {
        let e = s.get(kind);
        let p = dir.join(format!("{lang}.{}.npy", kind.name()));
        npy::write_f32(&p, &[e.layers, e.sentences, e.dim], &e.data)
            .with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(())
}

pub(crate) fn run(a: AlignArgs) -> Result<()> {
    let mut languages = a.corpus.languages.clone();
    if !languages.is_empty() && !languages.contains(&a.pivot) {
        languages.insert(0, a.pivot.clone());
    }
    let corpus = open_corpus(&a.corpus.corpus, &languages)?.load()?;
    let pivot = resolve_key(&corpus, &a.pivot).context("the pivot language")?;
    if a.num_sents < 2 {
        bail!("--num-sents must be at least 2 (MEXA compares each sentence with the others)");
    }
    let sentences = parallel(&corpus, a.num_sents)?;

    let t0 = Instant::now();
    let model = Model::load(
        &a.model,
        &LoadOptions {
            tokenizer: a.tokenizer.clone(),
            precision: a.precision,
        },
    )?;
    let info = model.info().clone();
    eprintln!(
        "xling: loaded {} ({}, {} layers, width {}) in {:.1} s",
        info.name,
        info.architecture,
        info.n_layers,
        info.hidden_size,
        t0.elapsed().as_secs_f64()
    );

    let mut hasher = DataHasher::new();
    for (k, v) in &sentences {
        hasher.update(k);
        v.iter().for_each(|s| hasher.update(s));
    }
    let data = hasher.finish();
    // A saved language is reused only when the model, tokenizer, pivot, N and both languages'
    // sentences are the same.
    let pivot_hash = {
        let mut h = DataHasher::new();
        sentences
            .iter()
            .filter(|(k, _)| *k == pivot)
            .for_each(|(_, v)| v.iter().for_each(|s| h.update(s)));
        h.finish()
    };
    // (f32 adds nothing, so results saved before --precision existed stay valid.)
    let prec = match a.precision {
        xling_model::linear::Precision::F32 => String::new(),
        p => format!("|{p}"),
    };
    let resume_prefix = format!(
        "{}|{}|{pivot}:{pivot_hash}|{}{prec}",
        info.identity,
        model.tokenizer().identity(),
        a.num_sents
    );
    for dir in [&a.save, &a.dump_embeddings].into_iter().flatten() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }

    let total: usize = sentences.iter().map(|(_, v)| v.len()).sum();
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:>10} [{bar:30}] {pos}/{len} sentences, {elapsed_precise} elapsed, ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let opts = ExtractOptions {
        max_batch_tokens: a.batch_tokens.max(1),
    };
    let run_lang = |key: &str, sents: &[String], offset: u64| -> Result<SentenceStates> {
        bar.set_message(key.to_string());
        let refs: Vec<&str> = sents.iter().map(String::as_str).collect();
        let states = extract(&model, &refs, &opts, &mut |done| {
            bar.set_position(offset + done as u64)
        })
        .with_context(|| format!("running {key} through the model"))?;
        if let Some(dir) = &a.dump_embeddings {
            dump(dir, key, &states)?;
        }
        Ok(states)
    };

    let (pivot_idx, pivot_sents) = sentences
        .iter()
        .enumerate()
        .find(|(_, (k, _))| *k == pivot)
        .map(|(i, (_, v))| (i, v.clone()))
        .context("pivot missing after loading")?;
    let mut offset = 0u64;
    let pivot_states = run_lang(&pivot, &pivot_sents, offset)?;
    offset += pivot_sents.len() as u64;
    let mut results: Vec<(String, LangScores)> = Vec::new();
    let mut tokens = pivot_states.tokens;
    let started = Instant::now();
    for (i, (key, sents)) in sentences.iter().enumerate() {
        if i == pivot_idx {
            continue;
        }
        let save_path = a.save.as_ref().map(|d| d.join(format!("{key}.json")));
        let resume_key = {
            let mut h = DataHasher::new();
            sents.iter().for_each(|s| h.update(s));
            format!("{resume_prefix}|{key}:{}", h.finish())
        };
        if let Some(prev) = save_path.as_deref().and_then(|p| saved(p, &resume_key)) {
            offset += sents.len() as u64;
            bar.set_position(offset);
            results.push((key.clone(), prev));
            continue;
        }
        if sents.len() < 2 {
            bail!(
                "{key} has {} sentences in {}: MEXA needs at least 2",
                sents.len(),
                corpus.name
            );
        }
        let states = run_lang(key, sents, offset)?;
        offset += sents.len() as u64;
        tokens += states.tokens;
        let s = LangScores {
            weighted: mexa_layers(&pivot_states.weighted, &states.weighted),
            last: mexa_layers(&pivot_states.last, &states.last),
            sentences: sents.len().min(pivot_sents.len()),
            tokens: states.tokens,
        };
        if let Some(p) = &save_path {
            let v = json!({
                "language": key, "pivot": pivot, "resume_key": resume_key,
                "sentences": s.sentences, "tokens": s.tokens,
                "weighted": s.weighted, "last": s.last,
            });
            let tmp = p.with_extension("json.part");
            std::fs::write(&tmp, serde_json::to_vec_pretty(&v)?)
                .and_then(|()| std::fs::rename(&tmp, p))
                .with_context(|| format!("saving {}", p.display()))?;
        }
        results.push((key.clone(), s));
    }
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "xling: {} languages, {tokens} tokens in {:.1} s",
        results.len() + 1,
        t0.elapsed().as_secs_f64()
    );
    let _ = secs;

    let mut signature = Signature::new("align")
        .with("model", format!("{}:{}", info.name, info.identity))
        .with("tok", model.tokenizer().identity())
        .with("corpus", &corpus.name)
        .with("pivot", &pivot)
        .with("n", a.num_sents)
        .with("emb", a.embedding)
        .with("pool", a.pooling);
    if a.precision != xling_model::linear::Precision::F32 {
        signature = signature.with("prec", a.precision);
    }
    let signature = signature.with_data(data);
    let layers = info.n_layers + 1;
    let per_layer_cols = a.per_layer || !matches!(a.output.format, Format::Table | Format::Md);
    let table = build_table(
        &results,
        &a,
        &signature,
        layers,
        per_layer_cols,
        &corpus.name,
        &pivot,
    );

    let mut extra: Vec<LangTable> = Vec::new();
    if let Some(csv) = &a.validate {
        let resolve = |q: &str| -> Option<String> { resolve_key(&corpus, q).ok() };
        let scores = TaskScores::read(csv, &resolve)?;
        let pooled: HashMap<String, f64> = results
            .iter()
            .map(|(k, s)| (k.clone(), a.pooling.pool(s.get(a.embedding))))
            .collect();
        let v = validate(&pooled, &scores, &pivot, a.pivot_score);
        extra.push(validation_table(&v, csv, &signature));
    }

    if !a.no_report {
        let full = build_table(&results, &a, &signature, layers, true, &corpus.name, &pivot);
        let mut tables = vec![table.clone()];
        tables.extend(extra.iter().cloned());
        write_report(
            &a.report,
            &full,
            &tables,
            &results,
            &a,
            layers,
            &corpus.name,
        )?;
    }
    emit(&table, &a.output)?;
    for t in &extra {
        emit(t, &a.output)?;
    }
    std::io::stdout().flush()?;
    Ok(())
}

fn layer_id(l: usize) -> String {
    format!("layer_{l}")
}

#[allow(clippy::too_many_arguments)]
fn build_table(
    results: &[(String, LangScores)],
    a: &AlignArgs,
    signature: &Signature,
    layers: usize,
    per_layer: bool,
    corpus: &str,
    pivot: &str,
) -> LangTable {
    let f3 = ColumnKind::Float { decimals: 3 };
    let mut cols = vec![
        Column::new(
            "mexa",
            &format!("MEXA ({})", a.pooling),
            f3,
            Better::Higher,
            &format!(
                "Alignment with {pivot}: share of sentences whose translation is the mutual nearest \
                 neighbour, {} embeddings, {} over layers",
                a.embedding, a.pooling
            ),
        ),
        Column::new(
            "mean",
            "mean",
            f3,
            Better::Higher,
            "Mean over layers (layer 0 included)",
        )
        .charted(false),
        Column::new("max", "max", f3, Better::Higher, "Maximum over layers").charted(false),
        Column::new(
            "best_layer",
            "best layer",
            ColumnKind::Int,
            Better::Neither,
            "Layer of the maximum (0 = embeddings)",
        )
        .charted(false),
        Column::new(
            "sentences",
            "n",
            ColumnKind::Int,
            Better::Neither,
            "Parallel sentences compared",
        )
        .charted(false),
        Column::new(
            "tokens",
            "tokens",
            ColumnKind::Int,
            Better::Neither,
            "Tokens run through the model (BOS included)",
        )
        .charted(false),
    ];
    if per_layer {
        for l in 0..layers {
            cols.push(
                Column::new(
                    &layer_id(l),
                    &format!("L{l}"),
                    ColumnKind::Float { decimals: 2 },
                    Better::Higher,
                    &format!("Alignment at hidden state {l}"),
                )
                .charted(false),
            );
        }
    }
    let mut t = LangTable::new(
        format!("MEXA alignment with {pivot}: {corpus}"),
        cols,
        signature.clone(),
    );
    for (key, s) in results {
        let per = s.get(a.embedding);
        let best = per
            .iter()
            .enumerate()
            .fold(
                (0, f64::NEG_INFINITY),
                |b, (i, &v)| if v > b.1 { (i, v) } else { b },
            )
            .0;
        let mut cells = vec![
            Cell::Float(a.pooling.pool(per)),
            Cell::Float(Pooling::Mean.pool(per)),
            Cell::Float(Pooling::Max.pool(per)),
            Cell::Int(best as i64),
            Cell::Int(s.sentences as i64),
            Cell::Int(s.tokens as i64),
        ];
        if per_layer {
            cells.extend(per.iter().map(|&v| Cell::Float(v)));
        }
        let (name, script) = match registry().get(key.split('-').next().unwrap_or(key)) {
            Some(l) => (l.name.to_string(), l.script.to_string()),
            None => (key.clone(), String::new()),
        };
        // Keys are unique corpus streams and every row has the table's width.
        let _ = t.push(Row {
            key: key.clone(),
            name,
            script,
            cells,
        });
    }
    t.sort_by_column("mexa", true);
    t.notes.push(format!(
        "MEXA (Kargaran et al. 2025): cosine similarity of {} sentence embeddings; a sentence counts when \
         its translation is strictly the most similar in both its row and its column. The pivot {pivot} is \
         not listed (1 by construction).",
        a.embedding
    ));
    t
}

fn validation_table(
    v: &xling_align::validate::Validation,
    csv: &Path,
    sig: &Signature,
) -> LangTable {
    let f3 = ColumnKind::Float { decimals: 3 };
    let cols = vec![
        Column::new(
            "estimated",
            "estimated",
            f3,
            Better::Higher,
            "MEXA alignment × the pivot's task score",
        ),
        Column::new(
            "actual",
            "actual",
            f3,
            Better::Higher,
            "The task score from the CSV",
        ),
    ];
    let mut t = LangTable::new(
        format!("Validation against {}", csv.display()),
        cols,
        sig.clone().with("validate", csv.display()),
    );
    for (k, e, s) in &v.points {
        let (name, script) = match registry().get(k.split('-').next().unwrap_or(k)) {
            Some(l) => (l.name.to_string(), l.script.to_string()),
            None => (k.clone(), String::new()),
        };
        let _ = t.push(Row {
            key: k.clone(),
            name,
            script,
            cells: vec![Cell::Float(*e), Cell::Float(*s)],
        });
    }
    for (label, c) in [("Pearson", v.pearson), ("Spearman", v.spearman)] {
        t.notes.push(match c {
            Some(c) => {
                let ci = if c.ci_low.is_finite() && c.ci_high.is_finite() {
                    format!("95% bootstrap CI {:.3} to {:.3}", c.ci_low, c.ci_high)
                } else {
                    "bootstrap CI undefined: some resample had constant values".to_string()
                };
                format!(
                    "{label} r = {:.3} (p = {:.2e}; {ci}; {} languages)",
                    c.r,
                    c.p_value,
                    v.points.len()
                )
            }
            None => format!(
                "{label}: undefined ({} languages, or constant scores)",
                v.points.len()
            ),
        });
    }
    t.notes.push(format!(
        "Pivot task score used for the estimates: {:.3}.",
        v.pivot_score
    ));
    t
}

#[allow(clippy::too_many_arguments)]
fn write_report(
    path: &Path,
    full: &LangTable,
    tables: &[LangTable],
    results: &[(String, LangScores)],
    a: &AlignArgs,
    layers: usize,
    corpus: &str,
) -> Result<()> {
    let x: Vec<String> = (0..layers).map(|l| l.to_string()).collect();
    let mut series: Vec<(String, Vec<f64>)> = Vec::new();
    let per: Vec<&[f64]> = results.iter().map(|(_, s)| s.get(a.embedding)).collect();
    let quant = |q: f64| -> Vec<f64> {
        (0..layers)
            .map(|l| {
                let mut v: Vec<f64> = per.iter().filter_map(|p| p.get(l).copied()).collect();
                v.sort_by(f64::total_cmp);
                if v.is_empty() {
                    return f64::NAN;
                }
                let pos = q * (v.len() - 1) as f64;
                let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
                v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
            })
            .collect()
    };
    if results.len() <= 8 {
        for (k, s) in results {
            series.push((k.clone(), s.get(a.embedding).to_vec()));
        }
    } else {
        let mean: Vec<f64> = (0..layers)
            .map(|l| per.iter().filter_map(|p| p.get(l)).sum::<f64>() / per.len() as f64)
            .collect();
        series.push(("mean of all languages".into(), mean));
        series.push(("75th percentile".into(), quant(0.75)));
        series.push(("median".into(), quant(0.5)));
        series.push(("25th percentile".into(), quant(0.25)));
    }
    // Rows in the table's order (best pooled score first); first column the pooled score.
    let mut heat_labels = vec![a.pooling.to_string()];
    heat_labels.extend((0..layers).map(|l| format!("L{l}")));
    let heat_rows: Vec<(String, Vec<Option<f64>>)> = full
        .rows
        .iter()
        .map(|r| {
            let mut v = vec![full.get(&r.key, "mexa").and_then(|c| c.as_f64())];
            v.extend((0..layers).map(|l| full.get(&r.key, &layer_id(l)).and_then(|c| c.as_f64())));
            (r.key.clone(), v)
        })
        .collect();
    let figures = vec![
        Figure {
            title: "Alignment by layer".into(),
            caption: format!(
                "MEXA score at each hidden state (0 = embedding output, {} = after the final norm), {} embeddings.",
                layers - 1,
                a.embedding
            ),
            svg: line_chart_svg(&x, &series, "hidden state", "MEXA"),
        },
        Figure {
            title: "Every language at every layer".into(),
            caption: "Rows sorted by the pooled score; the first column is the pooled score."
                .into(),
            svg: unit_heatmap_svg(&heat_rows, &heat_labels),
        },
    ];
    let mut intro = corpus_intro(corpus);
    intro.insert(
        0,
        "How well does the model's representation of each language line up with the pivot's? MEXA \
         (Kargaran et al., 2025) counts parallel sentences whose embeddings are mutual nearest neighbours; \
         it correlates with benchmark accuracy across languages without needing a benchmark in them."
            .to_string(),
    );
    let opts = HtmlOptions {
        title: "xling align (MEXA)".to_string(),
        intro,
        ..HtmlOptions::default()
    };
    write_html_report_with_figures(path, tables, &figures, &opts)?;
    eprintln!("xling: wrote {}", path.display());
    Ok(())
}
