//! Running a task: build every request, answer what the cache lacks through the backend (each answer
//! stored as it arrives), then score every instance.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;

use crate::EvalError;
use crate::backend::{Backend, Request, Response};
use crate::cache::{Cache, Entry, key};
use crate::score::{McOutcome, score_generation, score_multiple_choice};
use crate::task::{Formulation, Gold, Instance, Task};

/// The scored result of one instance.
#[derive(Debug, Clone, Serialize)]
pub struct Scored {
    /// Index into the task's instances.
    pub index: usize,
    /// The requests sent for it (choices, then unconditional ones; or the one generation).
    pub requests: Vec<Request>,
    /// Their answers, in the same order.
    pub responses: Vec<Response>,
    /// The prediction used for consistency: the predicted choice's text (under the task's headline
    /// normalisation) or the extracted answer.
    pub prediction: String,
    /// Multiple choice: predicted choice per normalisation. Generation: extracted answer per filter.
    pub filtered: BTreeMap<String, String>,
    /// Metric values.
    pub metrics: BTreeMap<String, f64>,
}

/// Progress callback: `(answered so far, answers needed)`.
pub type Progress<'a> = dyn Fn(usize, usize) + Sync + 'a;

/// The requests of one instance; `unconditional` adds the PMI requests when the task asks for them.
pub fn requests_of(task: &Task, inst: &Instance, unconditional: bool) -> Vec<Request> {
    match &task.formulation {
        Formulation::MultipleChoice { pmi } => {
            let mut r: Vec<Request> = inst
                .choices
                .iter()
                .map(|c| Request::Loglikelihood {
                    context: inst.context.clone(),
                    continuation: format!("{}{c}", inst.target_delimiter),
                })
                .collect();
            if *pmi && unconditional {
                r.extend(inst.choices.iter().map(|c| Request::Loglikelihood {
                    context: String::new(),
                    continuation: c.clone(),
                }));
            }
            r
        }
        Formulation::Generate {
            until, max_tokens, ..
        } => vec![Request::Generate {
            prompt: inst.context.clone(),
            until: until.clone(),
            max_tokens: *max_tokens,
        }],
    }
}

/// The headline multiple-choice normalisation: per byte, the one fair across scripts.
pub const HEADLINE_MC: &str = "acc_bytes";

/// Runs a task: answers every request not in `cache` through `backend`, appending each answer to the
/// cache as it arrives, then scores. An error leaves every answer received so far in the cache.
pub fn run_task(
    task: &Task,
    backend: &dyn Backend,
    cache: &mut Cache,
    progress: &Progress<'_>,
) -> Result<Vec<Scored>, EvalError> {
    if matches!(task.formulation, Formulation::MultipleChoice { .. })
        && !backend.can_loglikelihood()
    {
        return Err(EvalError::Backend(format!(
            "task {} scores choices by log-likelihood, which {} cannot give (chat endpoints return no \
             prompt log-probabilities); use a completions endpoint or the local runtime",
            task.name,
            backend.identity()
        )));
    }
    let model = backend.identity();
    let task_id = format!("{}@{}", task.name, task.version);
    let unconditional = backend.can_score_unconditional();
    let per_instance: Vec<Vec<Request>> = task
        .instances
        .iter()
        .map(|i| requests_of(task, i, unconditional))
        .collect();
    // Unique missing requests, in instance order (so shared contexts stay adjacent).
    let mut missing: Vec<Request> = Vec::new();
    let mut missing_keys: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for reqs in &per_instance {
        for r in reqs {
            let k = key(&model, &task_id, r);
            if cache.get(&k).is_none() && seen.insert(k.clone()) {
                missing.push(r.clone());
                missing_keys.push(k);
            }
        }
    }
    let total = missing.len();
    progress(0, total);
    let done = AtomicUsize::new(0);
    let fresh: Mutex<Vec<(String, Response)>> = Mutex::new(Vec::new());
    let outcome = {
        let cache_ref: &Cache = cache;
        let sink = |i: usize, resp: Response| -> Result<(), EvalError> {
            let (Some(r), Some(k)) = (missing.get(i), missing_keys.get(i)) else {
                return Err(EvalError::Backend(format!(
                    "backend answered unknown request {i}"
                )));
            };
            check_kind(r, &resp)?;
            cache_ref.append(&Entry {
                key: k.clone(),
                model: model.clone(),
                task: task_id.clone(),
                request: r.clone(),
                response: resp.clone(),
            })?;
            if let Ok(mut f) = fresh.lock() {
                f.push((k.clone(), resp));
            }
            progress(done.fetch_add(1, Ordering::SeqCst) + 1, total);
            Ok(())
        };
        if missing.is_empty() {
            Ok(())
        } else {
            backend.run(&missing, &sink)
        }
    };
    for (k, r) in fresh.into_inner().unwrap_or_default() {
        cache.remember(k, r);
    }
    outcome?;
    let mut scored = Vec::with_capacity(task.instances.len());
    for (index, (inst, reqs)) in task.instances.iter().zip(per_instance).enumerate() {
        let responses: Vec<Response> = reqs
            .iter()
            .map(|r| {
                cache
                    .get(&key(&model, &task_id, r))
                    .cloned()
                    .ok_or_else(|| EvalError::Backend("a request was left unanswered".into()))
            })
            .collect::<Result<_, _>>()?;
        scored.push(score_instance(
            task,
            inst,
            index,
            reqs,
            responses,
            unconditional,
        )?);
    }
    Ok(scored)
}

fn check_kind(r: &Request, resp: &Response) -> Result<(), EvalError> {
    match (r, resp) {
        (Request::Loglikelihood { .. }, Response::Loglikelihood { logprob, .. }) => {
            if logprob.is_nan() || *logprob > 1e-6 {
                return Err(EvalError::Backend(format!(
                    "the backend returned an impossible log-likelihood {logprob}"
                )));
            }
            Ok(())
        }
        (Request::Generate { .. }, Response::Generate { .. }) => Ok(()),
        _ => Err(EvalError::Backend(
            "the backend answered a request with the wrong kind of response".into(),
        )),
    }
}

fn score_instance(
    task: &Task,
    inst: &Instance,
    index: usize,
    requests: Vec<Request>,
    responses: Vec<Response>,
    unconditional: bool,
) -> Result<Scored, EvalError> {
    let (prediction, filtered, metrics) = match (&task.formulation, &inst.gold) {
        (Formulation::MultipleChoice { pmi }, Gold::Index(gold)) => {
            let n = inst.choices.len();
            let (lls, greedy): (Vec<f64>, Vec<bool>) = responses
                .iter()
                .filter_map(|r| match r {
                    Response::Loglikelihood {
                        logprob, is_greedy, ..
                    } => Some((*logprob, *is_greedy)),
                    Response::Generate { .. } => None,
                })
                .unzip();
            if lls.len() < n {
                return Err(EvalError::Backend(format!(
                    "{} item {} in {}: {} log-likelihoods for {n} choices",
                    task.name,
                    inst.doc_id,
                    inst.lang,
                    lls.len()
                )));
            }
            let uncond = (*pmi && unconditional && lls.len() == 2 * n).then(|| &lls[n..]);
            let McOutcome { pred, metrics } =
                score_multiple_choice(&lls[..n], &greedy[..n], &inst.choices, *gold, uncond);
            let filtered: BTreeMap<String, String> = pred
                .iter()
                .map(|(k, &p)| (k.clone(), inst.choices[p].clone()))
                .collect();
            let prediction = filtered.get(HEADLINE_MC).cloned().unwrap_or_default();
            (prediction, filtered, metrics)
        }
        (Formulation::Generate { extractors, .. }, Gold::Text(gold)) => {
            let text = match responses.first() {
                Some(Response::Generate { text, .. }) => text.as_str(),
                _ => "",
            };
            let (filtered, metrics) = score_generation(text, gold, extractors);
            let prediction = extractors
                .last()
                .and_then(|x| filtered.get(&x.name))
                .map(|a| crate::extract::normalize_answer(a))
                .unwrap_or_default();
            (prediction, filtered, metrics)
        }
        _ => {
            return Err(EvalError::Data(format!(
                "{} item {} in {}: its gold answer does not fit the task's formulation",
                task.name, inst.doc_id, inst.lang
            )));
        }
    };
    Ok(Scored {
        index,
        requests,
        responses,
        prediction,
        filtered,
        metrics,
    })
}

/// Per-language aggregates of a scored task.
#[derive(Debug, Clone, Serialize)]
pub struct LangScores {
    /// Language code.
    pub lang: String,
    /// Instances scored.
    pub n: usize,
    /// Metric → (mean, standard error).
    pub metrics: BTreeMap<String, (f64, Option<f64>)>,
    /// Metric → item id → value (for gaps).
    #[serde(skip)]
    pub by_item: BTreeMap<String, HashMap<String, f64>>,
    /// Item id → prediction (for consistency).
    #[serde(skip)]
    pub predictions: HashMap<String, String>,
}

/// Aggregates scored instances per language, in the task's language order.
pub fn per_language(task: &Task, scored: &[Scored]) -> Vec<LangScores> {
    let mut by: BTreeMap<&str, Vec<&Scored>> = BTreeMap::new();
    for s in scored {
        by.entry(task.instances[s.index].lang.as_str())
            .or_default()
            .push(s);
    }
    task.languages
        .iter()
        .filter_map(|l| by.get(l.as_str()).map(|v| (l, v)))
        .map(|(lang, v)| {
            let mut values: BTreeMap<String, Vec<f64>> = BTreeMap::new();
            let mut by_item: BTreeMap<String, HashMap<String, f64>> = BTreeMap::new();
            let mut predictions = HashMap::new();
            for s in v {
                let item = &task.instances[s.index].item;
                for (m, &x) in &s.metrics {
                    values.entry(m.clone()).or_default().push(x);
                    by_item
                        .entry(m.clone())
                        .or_default()
                        .insert(item.clone(), x);
                }
                predictions.insert(item.clone(), s.prediction.clone());
            }
            LangScores {
                lang: lang.clone(),
                n: v.len(),
                metrics: values
                    .into_iter()
                    .map(|(m, xs)| (m, crate::score::mean_stderr(&xs)))
                    .collect(),
                by_item,
                predictions,
            }
        })
        .collect()
}
