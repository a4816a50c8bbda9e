//! Tasks as data: items in many languages, each with its prompt, its choices or generation settings,
//! and its gold answer.
//!
//! A [`Task`] is fully materialised before a run: every [`Instance`] holds the exact prompt text sent to
//! the model (few-shot examples included), so a prompt's hash identifies a request across runs.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::EvalError;
use crate::extract::Extractor;

/// The language of a prompt's instructions and field labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PromptLanguage {
    /// Instructions in the item's own language (where the task has them).
    Native,
    /// English instructions for every language.
    English,
}

impl PromptLanguage {
    /// `native` or `english`.
    pub fn name(self) -> &'static str {
        match self {
            PromptLanguage::Native => "native",
            PromptLanguage::English => "english",
        }
    }
}

/// How a task asks and scores.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Formulation {
    /// Multiple choice: the log-likelihood of each choice after the prompt; the answer is the most
    /// likely choice (raw, per character, per byte and, with `pmi`, minus the choice's unconditional
    /// log-likelihood).
    MultipleChoice {
        /// Also score each choice without the prompt (PMI normalisation; one more request per choice).
        pmi: bool,
    },
    /// Free generation, scored by exact match of the answers the extractors find in the text.
    Generate {
        /// Stop strings: the generation is cut before the first one.
        until: Vec<String>,
        /// Maximum new tokens.
        max_tokens: usize,
        /// Answer extractors; each gives one `exact_match,<name>` metric.
        extractors: Vec<Extractor>,
    },
}

impl Formulation {
    /// `multiple_choice` or `generate_until` (lm-evaluation-harness's `output_type`).
    pub fn output_type(&self) -> &'static str {
        match self {
            Formulation::MultipleChoice { .. } => "multiple_choice",
            Formulation::Generate { .. } => "generate_until",
        }
    }
}

/// The gold answer of an instance.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Gold {
    /// Index into the choices (multiple choice).
    Index(usize),
    /// The answer text (generation), compared after normalisation.
    Text(String),
}

/// One item in one language, ready to send.
#[derive(Debug, Clone, Serialize)]
pub struct Instance {
    /// Language code (`deu_Latn`).
    pub lang: String,
    /// Index of the item among the language's evaluated items (lm-evaluation-harness's `doc_id`).
    pub doc_id: usize,
    /// The item's identity across languages (parallel items share it): used for cross-lingual
    /// consistency and few-shot selection.
    pub item: String,
    /// The item's fields as read from the data.
    pub doc: serde_json::Value,
    /// The full prompt (description, few-shot examples, the item).
    pub context: String,
    /// Multiple choice: the choice texts (without the delimiter).
    pub choices: Vec<String>,
    /// Put between the prompt and a choice (`" "`).
    pub target_delimiter: String,
    /// The gold answer.
    pub gold: Gold,
    /// Pairwise tasks: the pair this instance belongs to, and which order (0 or 1) it shows.
    pub pair: Option<(String, u8)>,
}

/// A task with every instance materialised.
#[derive(Debug, Clone, Serialize)]
pub struct Task {
    /// Name (`sib200`, `mgsm_direct`); subtasks are `<name>_<lang>`.
    pub name: String,
    /// Version, bumped when prompts or scoring change (part of cache keys).
    pub version: String,
    /// One line saying what the task measures.
    pub description: String,
    /// How it asks and scores.
    pub formulation: Formulation,
    /// Few-shot examples per prompt.
    pub num_fewshot: usize,
    /// Instruction language.
    pub prompt_language: PromptLanguage,
    /// Where the items come from (for the signature and the results' configs).
    pub source: String,
    /// Short hash of the items' text and gold answers.
    pub data_hash: String,
    /// Languages, in report order.
    pub languages: Vec<String>,
    /// Items per language before `--limit`.
    pub original: BTreeMap<String, usize>,
    /// The instances, grouped by language in `languages` order.
    pub instances: Vec<Instance>,
    /// Notes a reader of the results needs (caveats of the data or the prompts).
    pub notes: Vec<String>,
}

/// What to build a task with.
#[derive(Debug, Clone)]
pub struct TaskOptions {
    /// Languages to keep (FLORES codes or any query `xling langs` resolves); all when `None`.
    pub languages: Option<Vec<String>>,
    /// At most this many items per language (the first ones).
    pub limit: Option<usize>,
    /// Few-shot examples per prompt (the task's default when `None`).
    pub num_fewshot: Option<usize>,
    /// Seed of the few-shot selection (lm-evaluation-harness's default 1234).
    pub fewshot_seed: u64,
    /// Instruction language.
    pub prompt_language: PromptLanguage,
    /// A data folder for tasks that read one (SIB-200: a FLORES-200 folder).
    pub data: Option<PathBuf>,
}

impl Default for TaskOptions {
    fn default() -> Self {
        TaskOptions {
            languages: None,
            limit: None,
            num_fewshot: None,
            fewshot_seed: 1234,
            prompt_language: PromptLanguage::Native,
            data: None,
        }
    }
}

impl TaskOptions {
    /// Resolves `languages` to registry codes (`de` → `deu_Latn`); `None` keeps every language.
    pub fn wanted(&self) -> Result<Option<Vec<String>>, EvalError> {
        let Some(qs) = &self.languages else {
            return Ok(None);
        };
        let reg = xling_core::registry();
        qs.iter()
            .map(|q| {
                reg.resolve(q)
                    .map(|r| r.lang.code.clone())
                    .map_err(|e| EvalError::Options(format!("--languages {q:?}: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}

/// Picks `k` distinct entries of `pool` (never `exclude`) for item `item`, deterministically from
/// `seed` and the item id — so parallel items get the same examples in every language.
pub fn pick_fewshot<'a, T>(
    pool: &'a [T],
    k: usize,
    seed: u64,
    item: &str,
    id_of: impl Fn(&T) -> &str,
) -> Vec<&'a T> {
    let candidates: Vec<&T> = pool.iter().filter(|t| id_of(t) != item).collect();
    let mut state = seed ^ fnv1a(item.as_bytes());
    let mut idx: Vec<usize> = (0..candidates.len()).collect();
    let k = k.min(idx.len());
    // Partial Fisher–Yates with splitmix64.
    for i in 0..k {
        let r = splitmix64(&mut state);
        let j = i + (r % (idx.len() - i) as u64) as usize;
        idx.swap(i, j);
    }
    idx[..k].iter().map(|&i| candidates[i]).collect()
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Fills `{field}` placeholders from a document; `{{` and `}}` are literal braces. An unknown field
/// is an error naming it.
pub fn fill(template: &str, doc: &serde_json::Value) -> Result<String, String> {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("{{") {
            out.push('{');
            rest = after;
        } else if let Some(after) = tail.strip_prefix("}}") {
            out.push('}');
            rest = after;
        } else if let Some(stripped) = tail.strip_prefix('{') {
            let end = stripped
                .find('}')
                .ok_or_else(|| format!("unclosed {{ in template {template:?}"))?;
            let key = &stripped[..end];
            match doc.get(key) {
                Some(serde_json::Value::String(s)) => out.push_str(s),
                Some(serde_json::Value::Null) | None => {
                    return Err(format!("the template uses {{{key}}}, which the item lacks"));
                }
                Some(v) => out.push_str(&v.to_string()),
            }
            rest = &stripped[end + 1..];
        } else {
            return Err(format!("unmatched }} in template {template:?}"));
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The short data hash of a task's instances (prompts and gold answers).
pub fn data_hash(instances: &[Instance]) -> String {
    let mut h = xling_core::signature::DataHasher::new();
    for i in instances {
        h.update(&i.lang);
        h.update(&i.context);
        for c in &i.choices {
            h.update(c);
        }
        h.update(&serde_json::to_string(&i.gold).unwrap_or_default());
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_replaces_fields_and_reports_missing_ones() {
        let doc = serde_json::json!({"q": "2+2?", "n": 4});
        assert_eq!(fill("Q: {q} ({n}) {{x}}", &doc).unwrap(), "Q: 2+2? (4) {x}");
        assert!(fill("{missing}", &doc).unwrap_err().contains("missing"));
        assert!(fill("{q", &doc).is_err());
    }

    #[test]
    fn fewshot_is_deterministic_distinct_and_excludes_the_item() {
        let pool: Vec<String> = (0..20).map(|i| i.to_string()).collect();
        let a = pick_fewshot(&pool, 5, 1234, "3", |s| s);
        let b = pick_fewshot(&pool, 5, 1234, "3", |s| s);
        assert_eq!(a, b);
        assert!(!a.iter().any(|s| *s == "3"));
        let mut d: Vec<_> = a.clone();
        d.sort();
        d.dedup();
        assert_eq!(d.len(), 5);
        let c = pick_fewshot(&pool, 5, 1234, "4", |s| s);
        assert_ne!(a, c);
        assert_eq!(pick_fewshot(&pool, 50, 1, "x", |s| s).len(), 20);
    }
}
