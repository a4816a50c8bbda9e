//! # xling-eval
//!
//! The multilingual benchmark harness behind `xling eval` and `xling serve`. It owns:
//!
//! - **tasks as data** ([`task`], [`builtin`], [`spec`]): every item of every language materialised
//!   with its exact prompt — built-in MGSM (generation, 11 languages) and SIB-200 (topic
//!   classification by log-likelihood, 204 languages), and TOML task files for the data users bring
//!   (multiple choice in the XCOPA, Belebele and Global-MMLU shapes; pairwise preference in both
//!   answer orders; generation);
//! - **backends** ([`backend`]): the local runtime ([`local`], xling-model on a GGUF file) and
//!   OpenAI-compatible HTTP endpoints ([`openai`]: `/v1/completions` with `echo` + `logprobs` for
//!   log-likelihoods, `/v1/chat/completions` for generation, with concurrency, bounded retries and
//!   timeouts), and [`server`], an OpenAI-compatible server over the local runtime;
//! - **runs** ([`run`], [`cache`]): every answer appended to a JSONL cache keyed by a hash of (model,
//!   task, request) as it arrives, so a killed run resumes with nothing lost and nothing recomputed;
//! - **scoring** ([`score`], [`extract`]): lm-evaluation-harness's accuracy formulas (raw, per
//!   character, per byte, mutual information), exact match with MGSM's answer filters, standard errors,
//!   the paired gap to English, cross-lingual consistency, output-language fidelity;
//! - **results** ([`results`]): a results JSON in lm-evaluation-harness's schema, per-sample logs, and
//!   the per-language table the CLI renders.

pub mod backend;
pub mod builtin;
pub mod cache;
pub mod extract;
pub mod local;
pub mod openai;
pub mod results;
pub mod run;
pub mod score;
pub mod server;
pub mod spec;
pub mod task;

use std::path::PathBuf;

pub use backend::{Backend, Request, Response};
pub use task::{Instance, PromptLanguage, Task, TaskOptions};

/// Errors of the harness.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// A task name that is neither built in nor a task file.
    #[error("unknown task {name:?}; built-in tasks: {known}; or give a task file (.toml)")]
    UnknownTask {
        /// The name given.
        name: String,
        /// The built-in tasks.
        known: String,
    },
    /// A task file is malformed.
    #[error("{path}: {reason}")]
    Spec {
        /// The file (with `:line` when known).
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// Task data is missing or malformed.
    #[error("{0}")]
    Data(String),
    /// Options that do not fit together or do not fit the task.
    #[error("{0}")]
    Options(String),
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The local model failed.
    #[error(transparent)]
    Model(#[from] xling_model::ModelError),
    /// A backend cannot do what was asked, or failed for good.
    #[error("{0}")]
    Backend(String),
    /// An HTTP endpoint failed after its retries.
    #[error("{url}: {reason}")]
    Http {
        /// The endpoint.
        url: String,
        /// What went wrong (status and body, timeout, malformed JSON…), and how many tries were made.
        reason: String,
    },
}

/// Builds a task from a name (`sib200`, `mgsm`, `mgsm_cot`) or a task file path.
pub fn load_task(spec: &str, opts: &TaskOptions) -> Result<Task, EvalError> {
    if spec.ends_with(".toml") || std::path::Path::new(spec).is_file() {
        spec::load(std::path::Path::new(spec), opts)
    } else {
        builtin::builtin(spec, opts)
    }
}
