//! `xling eval` (benchmark harness) and `xling serve` (OpenAI-compatible server), over xling-eval.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;
use xling_core::{LangTable, Signature};
use xling_eval::backend::{Backend, Encoder};
use xling_eval::cache::Cache;
use xling_eval::local::LocalBackend;
use xling_eval::openai::{OpenAiBackend, OpenAiOptions, parse_spec};
use xling_eval::results::{RunInfo, TaskResult};
use xling_eval::run::run_task;
use xling_eval::server::Server;
use xling_eval::{EvalError, PromptLanguage, TaskOptions, load_task};
use xling_model::{Model, ModelTokenizer};
use xling_report::HtmlOptions;

use super::{OutputArgs, emit_all};

/// Instruction language of prompts.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Instructions {
    /// In each item's language, where the task has translations.
    Native,
    /// English for every language.
    English,
}

#[derive(Args, Debug)]
pub(crate) struct EvalArgs {
    /// The model: `local:PATH.gguf` (or just the path), `openai:URL[#model]` (a completions endpoint:
    /// log-likelihoods and generation) or `openai-chat:URL[#model]` (chat: generation only).
    #[arg(long, short = 'm')]
    model: String,
    /// Tasks, comma-separated: built-in `sib200`, `mgsm` (= `mgsm_direct`), `mgsm_cot`, or task files (.toml).
    #[arg(long, short = 't', value_delimiter = ',', required = true)]
    task: Vec<String>,
    /// Only these languages (codes, tags or names).
    #[arg(long, short = 'l', value_delimiter = ',')]
    languages: Vec<String>,
    /// At most N items per language (the first N).
    #[arg(long)]
    limit: Option<usize>,
    /// Few-shot examples per prompt (task default when omitted: SIB-200 3, MGSM 0).
    #[arg(long)]
    num_fewshot: Option<usize>,
    /// Seed of the few-shot selection.
    #[arg(long, default_value_t = 1234)]
    seed: u64,
    /// Instruction language.
    #[arg(long, value_enum, default_value_t = Instructions::Native)]
    instructions: Instructions,
    /// Data folder for tasks that read one: SIB-200 takes a FLORES-200 folder (`devtest/`, `dev/` or
    /// `dev_sib_subset/`) for its dev split; without it, the embedded sample gives a smoke test.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Output folder: `cache.jsonl` (every answer; re-running resumes from it — answers are keyed by
    /// the model spec, an endpoint's URL included, so resume against the same address), `results.json`
    /// (lm-evaluation-harness schema), `samples_<task>_<lang>.jsonl`, `report.html`.
    #[arg(long, short = 'o', default_value = "xling-eval")]
    output: PathBuf,
    /// A tokenizer for HTTP backends, so prompts go as token ids split exactly as the local runtime
    /// splits them: the model's GGUF file (its vocabulary; no weights are read).
    #[arg(long)]
    tokenizer: Option<PathBuf>,
    /// Local model (and `xling serve`): arithmetic of the projections — f32 (matches HF transformers
    /// to 1e-4) or int8 (int8 weights and activations: faster on CPUs with AVX-512 VNNI, log-likelihoods
    /// move slightly; answers are cached apart from f32 ones).
    #[arg(long, default_value = "f32")]
    precision: xling_model::linear::Precision,
    /// Local model: sequences generated together per decoding step (1-16). Each sequence gets the
    /// same tokens whatever the batch; larger batches read the weights once for more tokens.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=16))]
    batch_size: u16,
    /// HTTP: concurrent requests.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// HTTP: seconds before a request times out.
    #[arg(long, default_value_t = 120.0)]
    timeout: f64,
    /// HTTP: retries of a failed request (connection errors, timeouts, 429/5xx, malformed JSON).
    #[arg(long, default_value_t = 4)]
    retries: u32,
    /// HTTP: first backoff in seconds (doubles per retry).
    #[arg(long, default_value_t = 0.5)]
    backoff: f64,
    /// Also check the language of every generation (output-language fidelity).
    #[arg(long)]
    fidelity: bool,
    #[command(flatten)]
    out: OutputArgs,
    /// The HTML report (default: OUTPUT/report.html).
    #[arg(long)]
    report: Option<PathBuf>,
    /// Do not write the HTML report.
    #[arg(long, conflicts_with = "report")]
    no_report: bool,
    /// No progress bar.
    #[arg(long, short = 'q')]
    quiet: bool,
}

/// A GGUF vocabulary as a client-side tokenizer.
struct GgufEncoder(ModelTokenizer, Option<u32>);

impl Encoder for GgufEncoder {
    fn encode(&self, text: &str) -> Result<Vec<u32>, EvalError> {
        Ok(self.0.encode(text)?)
    }
    fn bos(&self) -> Option<u32> {
        self.1
    }
}

fn backend(a: &EvalArgs) -> Result<Box<dyn Backend>> {
    if let Some((url, model)) = parse_spec(&a.model) {
        if a.precision != xling_model::linear::Precision::F32 {
            bail!(
                "--precision {} applies to a local model; an endpoint computes as its server does (`xling serve --precision {}`)",
                a.precision,
                a.precision
            );
        }
        let encoder: Option<Box<dyn Encoder + Send>> = match &a.tokenizer {
            Some(p) => {
                let (t, bos) = Model::load_tokenizer(p)
                    .with_context(|| format!("--tokenizer {}", p.display()))?;
                Some(Box::new(GgufEncoder(t, bos)))
            }
            None => None,
        };
        if !a.timeout.is_finite() || a.timeout <= 0.0 || !a.backoff.is_finite() || a.backoff < 0.0 {
            bail!("--timeout must be positive and --backoff non-negative");
        }
        let opts = OpenAiOptions {
            base_url: url,
            model,
            chat: a.model.starts_with("openai-chat:"),
            concurrency: a.concurrency.max(1),
            timeout: Duration::from_secs_f64(a.timeout),
            max_retries: a.retries,
            backoff: Duration::from_secs_f64(a.backoff),
            ..OpenAiOptions::default()
        };
        return Ok(Box::new(OpenAiBackend::new(opts, encoder)));
    }
    let path = a.model.strip_prefix("local:").unwrap_or(&a.model);
    if !Path::new(path).is_file() {
        bail!(
            "--model {}: no such file; give local:PATH.gguf, openai:URL[#model] or openai-chat:URL[#model]",
            a.model
        );
    }
    let started = Instant::now();
    let b = LocalBackend::load(Path::new(path), None, a.precision)?
        .with_batch_size(usize::from(a.batch_size));
    if !a.quiet {
        eprintln!(
            "xling: loaded {} ({}) in {:.1} s",
            b.model().info().name,
            path,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(Box::new(b))
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

pub(crate) fn run(a: EvalArgs) -> Result<()> {
    let opts = TaskOptions {
        languages: (!a.languages.is_empty()).then(|| a.languages.clone()),
        limit: a.limit,
        num_fewshot: a.num_fewshot,
        fewshot_seed: a.seed,
        prompt_language: match a.instructions {
            Instructions::Native => PromptLanguage::Native,
            Instructions::English => PromptLanguage::English,
        },
        data: a.data.clone(),
    };
    // Build every task first: a bad task or language fails before any model work.
    let tasks = a
        .task
        .iter()
        .map(|t| load_task(t, &opts).with_context(|| format!("task {t}")))
        .collect::<Result<Vec<_>>>()?;
    let backend = backend(&a)?;
    std::fs::create_dir_all(&a.output)
        .with_context(|| format!("creating {}", a.output.display()))?;
    let cache_path = a.output.join("cache.jsonl");
    let mut cache = Cache::open(&cache_path)?;
    if !a.quiet && !cache.is_empty() {
        eprintln!(
            "xling: resuming: {} answers already in {}",
            cache.len(),
            cache_path.display()
        );
    }
    let start = unix_now();
    let clock = Instant::now();
    let mut results = Vec::new();
    for task in &tasks {
        let bar = if a.quiet {
            ProgressBar::hidden()
        } else {
            let b = ProgressBar::new(0);
            b.set_style(
                ProgressStyle::with_template(
                    "{prefix} [{bar:30}] {pos}/{len} requests  {elapsed_precise} ETA {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            b.set_prefix(task.name.clone());
            b
        };
        let progress = |done: usize, total: usize| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        };
        let scored = run_task(task, backend.as_ref(), &mut cache, &progress).map_err(|e| {
            bar.abandon();
            anyhow::anyhow!(
                "{e} — every answer received so far is in {}; run the same command again to resume",
                cache_path.display()
            )
        })?;
        bar.finish_and_clear();
        let mut r = TaskResult::new(task, scored);
        if a.fidelity {
            r.check_fidelity()?;
        }
        results.push(r);
    }
    let (model, model_args) = backend.model_args();
    let mut doc = serde_json::Map::new();
    let mut tables: Vec<LangTable> = Vec::new();
    for r in &results {
        let sig = Signature::new("eval")
            .with("task", format!("{}@{}", r.task.name, r.task.version))
            .with("model", backend.identity())
            .with("shots", r.task.num_fewshot)
            .with("prompt", r.task.prompt_language.name())
            .with(
                "limit",
                a.limit.map_or("none".to_string(), |l| l.to_string()),
            )
            .with("source", &r.task.source)
            .with_data(r.task.data_hash.clone());
        let info = RunInfo {
            model: model.clone(),
            model_args: model_args.clone(),
            model_name: a.model.clone(),
            cache: cache_path.display().to_string(),
            limit: a.limit,
            fewshot_seed: a.seed,
            start_unix: start,
            end_unix: unix_now(),
            seconds: clock.elapsed().as_secs_f64(),
            signature: sig.to_string(),
        };
        merge(&mut doc, r.lm_eval_json(&info));
        r.write_samples(&a.output)?;
        tables.push(r.table(&sig));
    }
    let results_path = a.output.join("results.json");
    std::fs::write(
        &results_path,
        serde_json::to_string_pretty(&Value::Object(doc))? + "\n",
    )
    .with_context(|| format!("writing {}", results_path.display()))?;
    emit_all(&tables, &a.out)?;
    if !a.quiet {
        eprintln!("xling: wrote {}", results_path.display());
    }
    if !a.no_report {
        let path = a
            .report
            .clone()
            .unwrap_or_else(|| a.output.join("report.html"));
        let opts = HtmlOptions::new(format!("xling eval: {}", a.model)).intro(format!(
            "Tasks: {}. Model: {}. Results JSON in lm-evaluation-harness's schema: {}.",
            a.task.join(", "),
            a.model,
            results_path.display()
        ));
        xling_report::write_html_report(&path, &tables, &opts)?;
        if !a.quiet {
            eprintln!("xling: wrote {}", path.display());
        }
    }
    Ok(())
}

/// Merges one task's results document into the run's: the per-task maps are unioned, `xling` is keyed
/// by task, everything else (config, dates) is the last task's.
fn merge(doc: &mut serde_json::Map<String, Value>, part: Value) {
    let Value::Object(part) = part else { return };
    for (k, v) in part {
        match (doc.get_mut(&k), v) {
            (Some(Value::Object(have)), Value::Object(add)) if k != "config" => {
                have.extend(add);
            }
            (_, v) if k == "xling" => {
                let task = v
                    .get("signature")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let entry = doc
                    .entry("xling".to_string())
                    .or_insert_with(|| Value::Object(Default::default()));
                if let Value::Object(m) = entry {
                    m.insert(task, v);
                }
            }
            (_, v) => {
                doc.insert(k, v);
            }
        }
    }
}

#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// The model: a GGUF file (architectures: gemma3).
    #[arg(long, short = 'm')]
    model: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port (0 picks a free one; the address is printed).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Arithmetic of the projections: f32 (matches HF transformers to 1e-4) or int8.
    #[arg(long, default_value = "f32")]
    precision: xling_model::linear::Precision,
}

static STOP: AtomicBool = AtomicBool::new(false);

pub(crate) fn serve(a: ServeArgs) -> Result<()> {
    let opts = xling_model::LoadOptions {
        precision: a.precision,
        ..Default::default()
    };
    let model = Model::load(&a.model, &opts)?;
    let server = Server::bind(&format!("{}:{}", a.host, a.port), model)?;
    let addr = server
        .addr()
        .map_or_else(|| format!("{}:{}", a.host, a.port), |s| s.to_string());
    // The line scripts wait for: the server accepts requests from here on.
    eprintln!(
        "xling: serving {} at http://{addr}/v1 (completions with logprobs/echo, chat completions)",
        server.model_id()
    );
    server.run(&|| STOP.load(Ordering::SeqCst));
    Ok(())
}
