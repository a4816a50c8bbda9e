//! Results: lm-evaluation-harness-shaped JSON (results, groups, configs, versions, n-shot,
//! higher_is_better, n-samples, config), per-sample logs, and the per-language table.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use xling_core::table::{Better, Cell, Column, ColumnKind, Row};
use xling_core::{LangTable, Signature, registry};

use crate::EvalError;
use crate::backend::{Request, Response};
use crate::run::{HEADLINE_MC, LangScores, Scored, per_language};
use crate::score::{Gap, consistency, mean_stderr, paired_gap};
use crate::task::{Formulation, Gold, Task};

/// A scored task with its per-language aggregates.
pub struct TaskResult<'a> {
    /// The task.
    pub task: &'a Task,
    /// Every instance's outcome.
    pub scored: Vec<Scored>,
    /// Per language.
    pub langs: Vec<LangScores>,
    /// Output-language fidelity per language (generation tasks; `None` when not checked).
    pub fidelity: HashMap<String, f64>,
}

impl<'a> TaskResult<'a> {
    /// Aggregates scored instances.
    pub fn new(task: &'a Task, scored: Vec<Scored>) -> Self {
        let langs = per_language(task, &scored);
        TaskResult {
            task,
            scored,
            langs,
            fidelity: HashMap::new(),
        }
    }

    /// The metrics the task reports, headline first (those the backend could compute).
    pub fn metric_names(&self) -> Vec<String> {
        let all = match &self.task.formulation {
            Formulation::MultipleChoice { pmi } => {
                let mut v = vec![HEADLINE_MC, "acc", "acc_norm"];
                if *pmi {
                    v.push("acc_mutual_info");
                }
                v.push("exact_match");
                v.into_iter().map(String::from).collect::<Vec<_>>()
            }
            Formulation::Generate { extractors, .. } => extractors
                .iter()
                .rev()
                .map(|x| format!("exact_match,{}", x.name))
                .collect(),
        };
        all.into_iter()
            .filter(|m| self.scored.iter().any(|s| s.metrics.contains_key(m)))
            .collect()
    }

    /// The headline metric.
    pub fn headline(&self) -> String {
        self.metric_names()
            .into_iter()
            .next()
            .unwrap_or_else(|| "acc".into())
    }

    /// Checks the language of every generation with the built-in identifier.
    pub fn check_fidelity(&mut self) -> Result<(), EvalError> {
        if !matches!(self.task.formulation, Formulation::Generate { .. }) {
            return Ok(());
        }
        let model = xling_identify::embedded()
            .map_err(|e| EvalError::Data(format!("built-in language identifier: {e}")))?;
        let ident = xling_identify::Identifier::new(model, 0.0);
        let mut texts: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        for s in &self.scored {
            let inst = &self.task.instances[s.index];
            if let Some(Response::Generate { text, .. }) = s.responses.first() {
                // Only texts with enough letters say anything about their language.
                if text.chars().filter(|c| c.is_alphabetic()).count() >= 10 {
                    texts
                        .entry(inst.lang.clone())
                        .or_default()
                        .push((text.clone(), inst.lang.clone()));
                }
            }
        }
        for (lang, items) in texts {
            let f = xling_identify::fidelity(
                &ident,
                items.iter().map(|(t, l)| (t.as_str(), l.as_str())),
            );
            self.fidelity.insert(lang, f.rate());
        }
        Ok(())
    }

    fn subtask(&self, lang: &str) -> String {
        format!("{}_{lang}", self.task.name)
    }

    fn reference(&self) -> Option<&LangScores> {
        self.langs.iter().find(|l| l.lang == "eng_Latn")
    }

    /// The gap of a language to English on the headline metric (paired over shared items).
    pub fn gap_to_english(&self, l: &LangScores) -> Option<Gap> {
        let r = self.reference()?;
        let m = self.headline();
        paired_gap(l.by_item.get(&m)?, r.by_item.get(&m)?, 1000, 12345)
    }

    /// Mean pairwise consistency over every pair of languages, and per language its consistency with
    /// English.
    pub fn consistency(&self) -> (Option<f64>, HashMap<String, f64>) {
        let mut with_en = HashMap::new();
        if let Some(r) = self.reference() {
            for l in &self.langs {
                if let Some((c, _)) = consistency(&l.predictions, &r.predictions) {
                    with_en.insert(l.lang.clone(), c);
                }
            }
        }
        let mut all = Vec::new();
        for (i, a) in self.langs.iter().enumerate() {
            for b in &self.langs[i + 1..] {
                if let Some((c, _)) = consistency(&a.predictions, &b.predictions) {
                    all.push(c);
                }
            }
        }
        let mean = (!all.is_empty()).then(|| all.iter().sum::<f64>() / all.len() as f64);
        (mean, with_en)
    }

    /// Pairwise tasks, per language: the share of pairs answered correctly in both orders, and the
    /// share of answers that pick the first-shown response (position bias; 0.5 is unbiased).
    pub fn pairwise(&self) -> HashMap<String, (f64, f64)> {
        let headline = self.headline();
        let mut by: HashMap<String, HashMap<String, Vec<(f64, bool)>>> = HashMap::new();
        for s in &self.scored {
            let inst = &self.task.instances[s.index];
            let (Some((pair, _)), Some(&v)) = (&inst.pair, s.metrics.get(&headline)) else {
                continue;
            };
            let first = inst.choices.first().is_some_and(|c| *c == s.prediction);
            by.entry(inst.lang.clone())
                .or_default()
                .entry(pair.clone())
                .or_default()
                .push((v, first));
        }
        by.into_iter()
            .map(|(lang, pairs)| {
                let n = pairs.len().max(1) as f64;
                let both = pairs
                    .values()
                    .filter(|v| v.len() == 2 && v.iter().all(|x| x.0 == 1.0))
                    .count() as f64;
                let answers: Vec<bool> = pairs.values().flatten().map(|x| x.1).collect();
                let firsts = answers.iter().filter(|&&f| f).count() as f64;
                (lang, (both / n, firsts / answers.len().max(1) as f64))
            })
            .collect()
    }

    /// The per-language table.
    pub fn table(&self, signature: &Signature) -> LangTable {
        let pct = ColumnKind::Percent { decimals: 1 };
        let mut metrics = self.metric_names();
        if metrics.is_empty() {
            metrics.push(self.headline());
        }
        let mut cols = Vec::new();
        for (i, m) in metrics.iter().enumerate() {
            let (header, desc) = describe_metric(m);
            cols.push(Column::new(m, &header, pct, Better::Higher, &desc).charted(i == 0));
        }
        cols.push(
            Column::new(
                "stderr",
                "± s.e.",
                pct,
                Better::Neither,
                "Standard error of the headline metric (sample standard deviation / √n, as lm-evaluation-harness)",
            )
            .charted(false),
        );
        let pairwise = self.pairwise();
        if !pairwise.is_empty() {
            cols.push(
                Column::new(
                    "both_orders",
                    "right both orders",
                    pct,
                    Better::Higher,
                    "Pairwise: share of pairs judged correctly with the responses in both orders",
                )
                .charted(false),
            );
            cols.push(
                Column::new(
                    "first_shown",
                    "picks first shown",
                    pct,
                    Better::Neither,
                    "Pairwise: share of answers choosing the response shown first (position bias; 50% is unbiased)",
                )
                .charted(false),
            );
        }
        let has_en = self.reference().is_some();
        if has_en {
            cols.push(
                Column::new(
                    "gap_en",
                    "gap to eng",
                    ColumnKind::Float { decimals: 3 },
                    Better::Higher,
                    "Headline metric minus English's on the same items (paired; negative = worse than English)",
                )
                .charted(true),
            );
            cols.push(
                Column::new(
                    "gap_en_se",
                    "gap s.e.",
                    ColumnKind::Float { decimals: 3 },
                    Better::Neither,
                    "Paired bootstrap standard error of the gap (1000 resamples of items, seed 12345)",
                )
                .charted(false),
            );
            cols.push(
                Column::new(
                    "consistency_en",
                    "same as eng",
                    pct,
                    Better::Neither,
                    "Share of items answered identically to English (cross-lingual consistency)",
                )
                .charted(false),
            );
        }
        let generation = matches!(self.task.formulation, Formulation::Generate { .. });
        if generation && !self.fidelity.is_empty() {
            cols.push(
                Column::new(
                    "fidelity",
                    "in language",
                    pct,
                    Better::Higher,
                    "Output-language fidelity: share of answers (≥ 10 letters) that xling's built-in identifier labels as the prompt's language",
                )
                .charted(false),
            );
        }
        cols.push(
            Column::new(
                "n",
                "n",
                ColumnKind::Int,
                Better::Neither,
                "Items scored in this language",
            )
            .charted(false),
        );
        let title = format!("{}: {}", self.task.name, self.task.description);
        let mut t = LangTable::new(title, cols, signature.clone());
        let (mean_cons, with_en) = self.consistency();
        for l in &self.langs {
            let mut cells: Vec<Cell> = metrics
                .iter()
                .map(|m| {
                    l.metrics
                        .get(m)
                        .map_or(Cell::Missing, |(v, _)| Cell::Float(*v))
                })
                .collect();
            cells.push(
                l.metrics
                    .get(&metrics[0])
                    .and_then(|(_, se)| *se)
                    .map_or(Cell::Missing, Cell::Float),
            );
            if !pairwise.is_empty() {
                match pairwise.get(&l.lang) {
                    Some((both, first)) => {
                        cells.push(Cell::Float(*both));
                        cells.push(Cell::Float(*first));
                    }
                    None => cells.extend([Cell::Missing, Cell::Missing]),
                }
            }
            if has_en {
                match (l.lang != "eng_Latn")
                    .then(|| self.gap_to_english(l))
                    .flatten()
                {
                    Some(g) => {
                        cells.push(Cell::Float(g.gap));
                        cells.push(Cell::Float(g.stderr));
                    }
                    None => cells.extend([Cell::Missing, Cell::Missing]),
                }
                cells.push(
                    with_en
                        .get(&l.lang)
                        .filter(|_| l.lang != "eng_Latn")
                        .map_or(Cell::Missing, |c| Cell::Float(*c)),
                );
            }
            if generation && !self.fidelity.is_empty() {
                cells.push(
                    self.fidelity
                        .get(&l.lang)
                        .map_or(Cell::Missing, |f| Cell::Float(*f)),
                );
            }
            cells.push(Cell::Int(l.n as i64));
            let (name, script) = match registry().get(&l.lang) {
                Some(x) => (x.name.to_string(), x.script.to_string()),
                None => (l.lang.clone(), String::new()),
            };
            // Keys are unique and every row has the table's width.
            let _ = t.push(Row {
                key: l.lang.clone(),
                name,
                script,
                cells,
            });
        }
        t.sort_by_column(&metrics[0], true);
        let all: Vec<f64> = self
            .scored
            .iter()
            .filter_map(|s| s.metrics.get(&metrics[0]).copied())
            .collect();
        let (m, se) = mean_stderr(&all);
        t.notes.push(format!(
            "Headline: {} — {:.1}% over {} items in {} languages{}.",
            describe_metric(&metrics[0]).0,
            m * 100.0,
            all.len(),
            self.langs.len(),
            se.map_or(String::new(), |s| format!(" (± {:.1})", s * 100.0))
        ));
        if matches!(self.task.formulation, Formulation::MultipleChoice { .. }) {
            t.notes.push(
                "Multiple choice by log-likelihood: per-byte normalisation is the headline (fair across scripts); raw, \
                 per-character and mutual-information accuracies are lm-evaluation-harness's acc, acc_norm and acc_mutual_info."
                    .into(),
            );
        }
        if let Some(c) = mean_cons {
            t.notes.push(format!(
                "Cross-lingual consistency: {:.1}% of items get the same answer in a pair of languages (mean over all pairs).",
                c * 100.0
            ));
        }
        t.notes.extend(self.task.notes.iter().cloned());
        t
    }

    /// The results document in lm-evaluation-harness's schema (plus an `xling` section).
    pub fn lm_eval_json(&self, run: &RunInfo) -> Value {
        let task = self.task;
        let metrics = self.metric_names();
        let mut results = serde_json::Map::new();
        let mut configs = serde_json::Map::new();
        let mut versions = serde_json::Map::new();
        let mut nshot = serde_json::Map::new();
        let mut hib = serde_json::Map::new();
        let mut nsamples = serde_json::Map::new();
        let mut subtasks = Vec::new();
        let metric_list: Vec<Value> = metrics
            .iter()
            .map(|m| {
                json!({"metric": m.split(',').next().unwrap_or(m), "aggregation": "mean", "higher_is_better": true})
            })
            .collect();
        let (output_type, extra) = match &task.formulation {
            Formulation::MultipleChoice { .. } => ("multiple_choice", json!({})),
            Formulation::Generate {
                until, max_tokens, ..
            } => (
                "generate_until",
                json!({"generation_kwargs": {"until": until, "max_gen_toks": max_tokens, "do_sample": false, "temperature": 0.0}}),
            ),
        };
        for l in &self.langs {
            let name = self.subtask(&l.lang);
            subtasks.push(Value::String(name.clone()));
            let mut r = serde_json::Map::new();
            r.insert("alias".into(), json!(format!(" - {name}")));
            for m in &metrics {
                let key = metric_key(m);
                if let Some((v, se)) = l.metrics.get(m) {
                    r.insert(key.0.clone(), json!(v));
                    r.insert(key.1.clone(), se.map_or(json!("N/A"), |s| json!(s)));
                }
            }
            results.insert(name.clone(), Value::Object(r));
            let mut cfg = json!({
                "task": name, "tag": task.name, "output_type": output_type,
                "num_fewshot": task.num_fewshot, "target_delimiter": " ", "fewshot_delimiter": "\n\n",
                "metric_list": metric_list, "metadata": {"version": task.version},
                "xling": {"source": task.source, "prompt_language": task.prompt_language, "data_hash": task.data_hash},
            });
            if let (Some(o), Value::Object(e)) = (cfg.as_object_mut(), &extra) {
                o.extend(e.clone());
            }
            configs.insert(name.clone(), cfg);
            versions.insert(name.clone(), json!(task.version));
            nshot.insert(name.clone(), json!(task.num_fewshot));
            hib.insert(
                name.clone(),
                Value::Object(
                    metrics
                        .iter()
                        .map(|m| (m.split(',').next().unwrap_or(m).to_string(), json!(true)))
                        .collect(),
                ),
            );
            nsamples.insert(
                name,
                json!({"original": task.original.get(&l.lang).copied().unwrap_or(l.n), "effective": l.n}),
            );
        }
        // The group: every instance pooled (size-weighted, as lm-evaluation-harness's default).
        let mut group = serde_json::Map::new();
        group.insert("alias".into(), json!(task.name));
        for m in &metrics {
            let all: Vec<f64> = self
                .scored
                .iter()
                .filter_map(|s| s.metrics.get(m).copied())
                .collect();
            let (v, se) = mean_stderr(&all);
            let key = metric_key(m);
            group.insert(key.0, json!(v));
            group.insert(key.1, se.map_or(json!("N/A"), |s| json!(s)));
        }
        results.insert(task.name.clone(), Value::Object(group.clone()));
        let (mean_cons, with_en) = self.consistency();
        json!({
            "results": results,
            "groups": {task.name.clone(): group},
            "group_subtasks": {task.name.clone(): subtasks},
            "configs": configs,
            "versions": versions,
            "n-shot": nshot,
            "higher_is_better": hib,
            "n-samples": nsamples,
            "config": {
                "model": run.model, "model_args": run.model_args, "batch_size": 1, "batch_sizes": [],
                "device": "cpu", "use_cache": run.cache, "limit": run.limit, "bootstrap_iters": 1000,
                "gen_kwargs": null, "random_seed": 0, "numpy_seed": 1234, "torch_seed": 1234,
                "fewshot_seed": run.fewshot_seed,
            },
            "git_hash": null,
            "date": run.start_unix,
            "model_name": run.model_name,
            "start_time": run.start_unix,
            "end_time": run.end_unix,
            "total_evaluation_time_seconds": format!("{:.3}", run.seconds),
            "xling": {
                "version": env!("CARGO_PKG_VERSION"),
                "signature": run.signature,
                "headline": self.headline(),
                "consistency_mean_pairwise": mean_cons,
                "consistency_with_eng": with_en,
                "output_language_fidelity": self.fidelity,
                "notes": task.notes,
            },
        })
    }

    /// Writes per-sample logs, one JSONL file per language (`samples_<task>_<lang>.jsonl`), in
    /// lm-evaluation-harness's shape.
    pub fn write_samples(&self, dir: &Path) -> Result<(), EvalError> {
        let mut files: BTreeMap<String, Vec<&Scored>> = BTreeMap::new();
        for s in &self.scored {
            files
                .entry(self.task.instances[s.index].lang.clone())
                .or_default()
                .push(s);
        }
        for (lang, rows) in files {
            let path = dir.join(format!("samples_{}.jsonl", self.subtask(&lang)));
            let io = |e| EvalError::Io {
                path: path.clone(),
                source: e,
            };
            let mut f = std::io::BufWriter::new(std::fs::File::create(&path).map_err(io)?);
            for s in rows {
                let inst = &self.task.instances[s.index];
                let target = match &inst.gold {
                    Gold::Index(i) => json!(i),
                    Gold::Text(t) => json!(t),
                };
                let arguments: Vec<Value> = s
                    .requests
                    .iter()
                    .map(|r| match r {
                        Request::Loglikelihood {
                            context,
                            continuation,
                        } => json!({"arg_0": context, "arg_1": continuation}),
                        Request::Generate {
                            prompt,
                            until,
                            max_tokens,
                        } => json!({"arg_0": prompt, "arg_1": {"until": until, "max_gen_toks": max_tokens}}),
                    })
                    .collect();
                let resps: Vec<Value> = s
                    .responses
                    .iter()
                    .map(|r| match r {
                        Response::Loglikelihood {
                            logprob, is_greedy, ..
                        } => json!([[logprob.to_string(), is_greedy.to_string()]]),
                        Response::Generate { text, .. } => json!([text]),
                    })
                    .collect();
                let mut row = json!({
                    "doc_id": inst.doc_id,
                    "doc": inst.doc,
                    "target": target,
                    "arguments": arguments,
                    "resps": resps,
                    "filtered_resps": s.filtered,
                    "doc_hash": sha_hex(&inst.doc.to_string()),
                    "prompt_hash": sha_hex(&inst.context),
                    "target_hash": sha_hex(&target.to_string()),
                    "lang": inst.lang,
                    "item": inst.item,
                });
                if let Some(o) = row.as_object_mut() {
                    for (m, v) in &s.metrics {
                        o.insert(m.clone(), json!(v));
                    }
                }
                writeln!(f, "{row}").map_err(io)?;
            }
            f.flush().map_err(io)?;
        }
        Ok(())
    }
}

/// Facts about a run for the results file.
#[derive(Debug, Clone, Default)]
pub struct RunInfo {
    /// lm-evaluation-harness's `model` (`xling-local`, `openai-completions`).
    pub model: String,
    /// Its `model_args`.
    pub model_args: String,
    /// A short model name.
    pub model_name: String,
    /// The cache file.
    pub cache: String,
    /// `--limit`.
    pub limit: Option<usize>,
    /// Few-shot seed.
    pub fewshot_seed: u64,
    /// Start and end (Unix seconds).
    pub start_unix: f64,
    /// End (Unix seconds).
    pub end_unix: f64,
    /// Wall time.
    pub seconds: f64,
    /// The run's signature string.
    pub signature: String,
}

fn metric_key(m: &str) -> (String, String) {
    let (name, filter) = m.split_once(',').unwrap_or((m, "none"));
    (
        format!("{name},{filter}"),
        format!("{name}_stderr,{filter}"),
    )
}

fn describe_metric(m: &str) -> (String, String) {
    let (h, d) = match m {
        "acc_bytes" => (
            "acc (per byte)",
            "Accuracy choosing the choice with the highest log-likelihood per UTF-8 byte (lm-evaluation-harness acc_bytes)",
        ),
        "acc" => (
            "acc (raw)",
            "Accuracy choosing the choice with the highest summed log-likelihood (acc)",
        ),
        "acc_norm" => (
            "acc (per char)",
            "Accuracy choosing the highest log-likelihood per character (acc_norm)",
        ),
        "acc_mutual_info" => (
            "acc (PMI)",
            "Accuracy choosing the highest log-likelihood minus the choice's unconditional log-likelihood (acc_mutual_info)",
        ),
        "exact_match" => (
            "gold is greedy",
            "Share of items whose gold choice is the greedy continuation (exact_match)",
        ),
        "exact_match,flexible-extract" => (
            "EM (flexible)",
            "Exact match of the last number in the answer (flexible-extract)",
        ),
        "exact_match,strict-match" => (
            "EM (strict)",
            "Exact match of the whole answer, or of the number after the answer phrase in chain-of-thought (strict-match)",
        ),
        other => (other, other),
    };
    (h.to_string(), d.to_string())
}

fn sha_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::TaskOptions;

    #[test]
    fn pairwise_needs_both_orders_right_and_measures_position_bias() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("p.jsonl"),
            "{\"prompt\": \"a\", \"chosen\": \"b\", \"rejected\": \"c\"}\n{\"prompt\": \"d\", \"chosen\": \"e\", \"rejected\": \"f\"}\n",
        )
        .unwrap();
        let t = d.path().join("t.toml");
        std::fs::write(
            &t,
            "name = \"rb\"\nformat = \"pairwise\"\ndata = \"p.jsonl\"\nlanguages = [\"eng_Latn\"]\n",
        )
        .unwrap();
        let task = crate::spec::load(&t, &TaskOptions::default()).unwrap();
        assert_eq!(task.instances.len(), 4);
        // A judge that always answers "A": right on each pair's first order only.
        let scored: Vec<Scored> = task
            .instances
            .iter()
            .enumerate()
            .map(|(index, inst)| {
                let right = inst.gold == crate::task::Gold::Index(0);
                Scored {
                    index,
                    requests: Vec::new(),
                    responses: Vec::new(),
                    prediction: "A".into(),
                    filtered: BTreeMap::new(),
                    metrics: [("acc_bytes".to_string(), f64::from(u8::from(right)))]
                        .into_iter()
                        .collect(),
                }
            })
            .collect();
        let r = TaskResult::new(&task, scored);
        let p = r.pairwise();
        assert_eq!(p["eng_Latn"], (0.0, 1.0));
        let table = r.table(&Signature::new("eval"));
        assert!(table.column_index("both_orders").is_some());
        assert_eq!(table.get("eng_Latn", "acc_bytes"), Some(&Cell::Float(0.5)));
    }
}
