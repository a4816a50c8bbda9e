//! Built-in tasks on data xling ships: MGSM (generation, 11 languages) and SIB-200 (topic
//! classification, 204 languages).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::EvalError;
use crate::extract::{ExtractKind, Extractor};
use crate::task::{
    Formulation, Gold, Instance, PromptLanguage, Task, TaskOptions, data_hash, pick_fewshot,
};

/// Names of the built-in tasks.
pub const BUILTIN_TASKS: &[&str] = &["sib200", "mgsm", "mgsm_direct", "mgsm_cot"];

/// Builds a built-in task by name.
pub fn builtin(name: &str, opts: &TaskOptions) -> Result<Task, EvalError> {
    match name {
        "sib200" => sib200(opts),
        "mgsm" | "mgsm_direct" => mgsm(false, opts),
        "mgsm_cot" => mgsm(true, opts),
        other => Err(EvalError::UnknownTask {
            name: other.to_string(),
            known: BUILTIN_TASKS.join(", "),
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// MGSM

const MGSM_DATA: &[u8] = include_bytes!("../data/mgsm.tsv.zst");

/// Per MGSM language: (MGSM code, FLORES code, "Question", "Answer", "Step-by-step answer",
/// "The answer is"). The labels are xling's own translations of the English field names.
const MGSM_LANGS: &[(&str, &str, &str, &str, &str, &str)] = &[
    (
        "en",
        "eng_Latn",
        "Question",
        "Answer",
        "Step-by-step answer",
        "The answer is",
    ),
    ("bn", "ben_Beng", "প্রশ্ন", "উত্তর", "ধাপে ধাপে উত্তর", "উত্তর হল"),
    (
        "de",
        "deu_Latn",
        "Frage",
        "Antwort",
        "Schritt-für-Schritt-Antwort",
        "Die Antwort lautet",
    ),
    (
        "es",
        "spa_Latn",
        "Pregunta",
        "Respuesta",
        "Respuesta paso a paso",
        "La respuesta es",
    ),
    (
        "fr",
        "fra_Latn",
        "Question",
        "Réponse",
        "Réponse étape par étape",
        "La réponse est",
    ),
    (
        "ja",
        "jpn_Jpan",
        "問題",
        "答え",
        "ステップごとの答え",
        "答えは",
    ),
    (
        "ru",
        "rus_Cyrl",
        "Задача",
        "Ответ",
        "Пошаговое решение",
        "Ответ:",
    ),
    (
        "sw",
        "swh_Latn",
        "Swali",
        "Jibu",
        "Jibu la hatua kwa hatua",
        "Jibu ni",
    ),
    ("te", "tel_Telu", "ప్రశ్న", "సమాధానం", "దశలవారీగా సమాధానం", "సమాధానం"),
    (
        "th",
        "tha_Thai",
        "โจทย์",
        "คำตอบ",
        "คำตอบทีละขั้นตอน",
        "คำตอบคือ",
    ),
    ("zh", "zho_Hans", "问题", "答案", "逐步解答", "答案是"),
];

fn mgsm(cot: bool, opts: &TaskOptions) -> Result<Task, EvalError> {
    let raw = zstd::decode_all(MGSM_DATA)
        .map_err(|e| EvalError::Data(format!("embedded MGSM data: {e}")))?;
    let text =
        String::from_utf8(raw).map_err(|e| EvalError::Data(format!("embedded MGSM data: {e}")))?;
    let mut by_lang: HashMap<&str, Vec<(String, String)>> = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let mut f = line.splitn(3, '\t');
        let (Some(l), Some(q), Some(a)) = (f.next(), f.next(), f.next()) else {
            return Err(EvalError::Data(format!(
                "embedded MGSM data line {}: expected lang, question, answer",
                n + 1
            )));
        };
        by_lang
            .entry(l)
            .or_default()
            .push((q.to_string(), a.to_string()));
    }
    if opts.num_fewshot.is_some_and(|k| k > 0) {
        return Err(EvalError::Options(
            "MGSM has no training split here (its translated exemplars are not shipped): it runs 0-shot"
                .into(),
        ));
    }
    let wanted = opts.wanted()?;
    let en = MGSM_LANGS[0];
    let mut instances = Vec::new();
    let mut languages = Vec::new();
    let mut original = BTreeMap::new();
    for &(code, flores, q, a, step, _) in MGSM_LANGS {
        if let Some(w) = &wanted {
            if !w.iter().any(|c| c == flores) {
                continue;
            }
        }
        let (q, a, step) = match opts.prompt_language {
            PromptLanguage::Native => (q, a, step),
            PromptLanguage::English => (en.2, en.3, en.4),
        };
        let items = by_lang.get(code).map(Vec::as_slice).unwrap_or_default();
        languages.push(flores.to_string());
        original.insert(flores.to_string(), items.len());
        let n = opts.limit.unwrap_or(usize::MAX).min(items.len());
        for (i, (question, answer)) in items[..n].iter().enumerate() {
            let context = format!("{q}: {question}\n{}:", if cot { step } else { a });
            instances.push(Instance {
                lang: flores.to_string(),
                doc_id: i,
                item: format!("mgsm-{i}"),
                doc: json!({"question": question, "answer_number": answer, "lang": code}),
                context,
                choices: Vec::new(),
                target_delimiter: " ".into(),
                gold: Gold::Text(answer.clone()),
                pair: None,
            });
        }
    }
    if let Some(w) = &wanted {
        for c in w {
            if !languages.contains(c) {
                return Err(EvalError::Options(format!(
                    "MGSM has no {c}; its languages: {}",
                    MGSM_LANGS
                        .iter()
                        .map(|l| l.1)
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
    }
    let mut until = vec!["\n\n".to_string()];
    for l in MGSM_LANGS {
        let label = format!("{}:", l.2);
        if !until.contains(&label) {
            until.push(label);
        }
    }
    let extractors = if cot {
        let phrases: Vec<String> = MGSM_LANGS.iter().map(|l| l.5.to_string()).collect();
        vec![
            Extractor::new("strict-match", ExtractKind::AfterPhrase(phrases)),
            Extractor::new("flexible-extract", ExtractKind::LastNumber),
        ]
    } else {
        vec![
            Extractor::new("strict-match", ExtractKind::Whole),
            Extractor::new("flexible-extract", ExtractKind::LastNumber),
        ]
    };
    let hash = data_hash(&instances);
    Ok(Task {
        name: if cot { "mgsm_cot" } else { "mgsm_direct" }.to_string(),
        version: "1".into(),
        description: format!(
            "MGSM (Shi et al. 2022): grade-school maths in 11 languages, {} answers, exact match of the number",
            if cot { "step-by-step" } else { "direct" }
        ),
        formulation: Formulation::Generate {
            until,
            max_tokens: if cot { 256 } else { 32 },
            extractors,
        },
        num_fewshot: 0,
        prompt_language: opts.prompt_language,
        source: "mgsm (google-research/url-nlp, embedded)".into(),
        data_hash: hash,
        languages,
        original,
        instances,
        notes: vec![
            "MGSM runs 0-shot: its translated exemplars are not shipped with xling.".into(),
            "Digits of other scripts are mapped to ASCII before exact match.".into(),
        ],
    })
}

// ---------------------------------------------------------------------------------------------
// SIB-200

const SIB_TRAIN: &str = include_str!("../data/sib200-train.tsv");
const SIB_DEV: &str = include_str!("../data/sib200-dev.tsv");
const SIB_LABELS: &str = include_str!("../data/sib200-labels.txt");

/// One SIB-200 labelled sentence.
#[derive(Debug, Clone)]
struct SibRow {
    id: String,
    split: String,
    line: usize,
    category: String,
}

fn sib_rows(tsv: &str, name: &str) -> Result<Vec<SibRow>, EvalError> {
    let mut rows = Vec::new();
    for (n, line) in tsv.lines().enumerate().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let bad = || EvalError::Data(format!("embedded {name} line {}: {line:?}", n + 1));
        if f.len() != 4 {
            return Err(bad());
        }
        rows.push(SibRow {
            id: f[0].to_string(),
            split: f[1].to_string(),
            line: f[2].parse().map_err(|_| bad())?,
            category: f[3].to_string(),
        });
    }
    Ok(rows)
}

/// Sentence text by (FLORES split, 0-based line), per language.
trait FloresText {
    fn languages(&self) -> Vec<String>;
    fn text(&self, lang: &str, split: &str, line: usize) -> Result<Option<String>, EvalError>;
    fn describe(&self) -> String;
}

/// The embedded `flores200-sample`: the first 200 devtest lines.
struct Sample(HashMap<String, Vec<String>>);

impl FloresText for Sample {
    fn languages(&self) -> Vec<String> {
        let mut v: Vec<String> = self.0.keys().cloned().collect();
        v.sort();
        v
    }
    fn text(&self, lang: &str, split: &str, line: usize) -> Result<Option<String>, EvalError> {
        Ok(if split == "devtest" {
            self.0.get(lang).and_then(|v| v.get(line)).cloned()
        } else {
            None
        })
    }
    fn describe(&self) -> String {
        "flores200-sample".into()
    }
}

/// A FLORES-200 folder: `devtest/<code>.devtest`, and `dev/<code>.dev` or `dev_sib_subset/<code>.tsv`.
struct FloresDir {
    root: PathBuf,
    cache: std::sync::Mutex<HashMap<(String, String), HashMap<usize, String>>>,
}

impl FloresDir {
    fn load(&self, lang: &str, split: &str) -> Result<HashMap<usize, String>, EvalError> {
        let key = (lang.to_string(), split.to_string());
        if let Some(m) = self.cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(m);
        }
        let read = |p: &Path| {
            std::fs::read_to_string(p).map_err(|e| EvalError::Io {
                path: p.to_path_buf(),
                source: e,
            })
        };
        let mut m = HashMap::new();
        let plain = self.root.join(split).join(format!("{lang}.{split}"));
        let subset = self
            .root
            .join(format!("{split}_sib_subset"))
            .join(format!("{lang}.tsv"));
        if plain.is_file() {
            for (i, l) in read(&plain)?.lines().enumerate() {
                m.insert(i, l.to_string());
            }
        } else if subset.is_file() {
            let text = read(&subset)?;
            for (n, l) in text.lines().enumerate().skip(1) {
                let (a, b) = l.split_once('\t').ok_or_else(|| {
                    EvalError::Data(format!(
                        "{}:{}: expected `line<TAB>text`",
                        subset.display(),
                        n + 1
                    ))
                })?;
                let i: usize = a.parse().map_err(|_| {
                    EvalError::Data(format!(
                        "{}:{}: line number {a:?} is not a number",
                        subset.display(),
                        n + 1
                    ))
                })?;
                m.insert(i, b.to_string());
            }
        }
        if let Ok(mut c) = self.cache.lock() {
            c.insert(key, m.clone());
        }
        Ok(m)
    }
}

impl FloresText for FloresDir {
    fn languages(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.root.join("devtest"))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|n| n.strip_suffix(".devtest"))
                    .map(str::to_string)
            })
            .filter(|c| xling_core::registry().get(c).is_some())
            .collect();
        v.sort();
        v
    }
    fn text(&self, lang: &str, split: &str, line: usize) -> Result<Option<String>, EvalError> {
        Ok(self.load(lang, split)?.get(&line).cloned())
    }
    fn describe(&self) -> String {
        self.root.display().to_string()
    }
}

fn sib200(opts: &TaskOptions) -> Result<Task, EvalError> {
    let train = sib_rows(SIB_TRAIN, "sib200-train.tsv")?;
    let dev = sib_rows(SIB_DEV, "sib200-dev.tsv")?;
    let labels: Vec<String> = SIB_LABELS.lines().map(str::to_string).collect();
    type Parts = (Box<dyn FloresText>, Vec<SibRow>, Vec<SibRow>, &'static str);
    let (source, eval_rows, pool_rows, split_name): Parts = match &opts.data {
        Some(root) => {
            let root = if root.join("flores200").join("devtest").is_dir() {
                root.join("flores200")
            } else {
                root.clone()
            };
            if !root.join("devtest").is_dir() {
                return Err(EvalError::Data(format!(
                    "{}: expected a FLORES-200 folder with devtest/<code>.devtest and dev/<code>.dev \
                     (or dev_sib_subset/<code>.tsv)",
                    root.display()
                )));
            }
            let dir = FloresDir {
                root,
                cache: Default::default(),
            };
            (Box::new(dir), dev, train, "dev")
        }
        None => {
            let corpus = xling_core::Corpus::embedded_sample()
                .and_then(|c| c.load())
                .map_err(|e| EvalError::Data(format!("embedded FLORES sample: {e}")))?;
            let map = corpus
                .streams
                .into_iter()
                .map(|s| {
                    let key = s.variety.key.clone();
                    (key, s.segments.into_iter().map(|g| g.text).collect())
                })
                .collect();
            let in_sample: Vec<SibRow> = train
                .into_iter()
                .filter(|r| r.split == "devtest" && r.line < 200)
                .collect();
            (
                Box::new(Sample(map)),
                in_sample.clone(),
                in_sample,
                "train-in-sample",
            )
        }
    };
    let k = opts.num_fewshot.unwrap_or(3);
    let wanted = opts.wanted()?;
    let available = source.languages();
    let languages: Vec<String> = match wanted {
        Some(w) => {
            if let Some(c) = w.iter().find(|c| !available.contains(c)) {
                return Err(EvalError::Options(format!(
                    "SIB-200 on {} has no {c}",
                    source.describe()
                )));
            }
            w
        }
        None => available,
    };
    let description = format!(
        "Classify the topic of each text as one of: {}.\n\n",
        labels.join(", ")
    );
    let gold_of = |cat: &str| -> Result<usize, EvalError> {
        labels
            .iter()
            .position(|l| l == cat)
            .ok_or_else(|| EvalError::Data(format!("SIB-200 label {cat:?} is not in labels.txt")))
    };
    let mut instances = Vec::new();
    let mut original = BTreeMap::new();
    for lang in &languages {
        // The few-shot pool: labelled sentences whose text this language has.
        let mut pool: Vec<(String, String, String)> = Vec::new();
        for r in &pool_rows {
            if let Some(t) = source.text(lang, &r.split, r.line)? {
                pool.push((r.id.clone(), t, r.category.clone()));
            }
        }
        let mut items = Vec::new();
        for r in &eval_rows {
            if let Some(t) = source.text(lang, &r.split, r.line)? {
                items.push((r, t));
            }
        }
        original.insert(lang.clone(), items.len());
        let n = opts.limit.unwrap_or(usize::MAX).min(items.len());
        for (doc_id, (row, text)) in items[..n].iter().enumerate() {
            let shots = pick_fewshot(&pool, k, opts.fewshot_seed, &row.id, |p| &p.0);
            let mut context = description.clone();
            for (_, t, cat) in shots {
                context.push_str(&format!("Topic of the text: {t}\nAnswer: {cat}\n\n"));
            }
            context.push_str(&format!("Topic of the text: {text}\nAnswer:"));
            instances.push(Instance {
                lang: lang.clone(),
                doc_id,
                item: row.id.clone(),
                doc: json!({
                    "index_id": row.id, "flores_split": row.split, "flores_line": row.line,
                    "text": text, "category": row.category,
                }),
                context,
                choices: labels.clone(),
                target_delimiter: " ".into(),
                gold: Gold::Index(gold_of(&row.category)?),
                pair: None,
            });
        }
    }
    let mut notes = vec![
        "SIB-200 prompts are in English for every language (no translated instructions exist); the text is in the language.".to_string(),
    ];
    if split_name == "train-in-sample" {
        notes.push(
            "Smoke-test split: the embedded FLORES sample holds only SIB-200 train items (83), so items are scored \
             against few-shot examples drawn from the same 83. Pass --data with a FLORES-200 folder for the dev split."
                .to_string(),
        );
    }
    let hash = data_hash(&instances);
    Ok(Task {
        name: "sib200".into(),
        version: "1".into(),
        description: "SIB-200 (Adelani et al. 2023): 7-way topic classification of FLORES-200 sentences, by log-likelihood".into(),
        formulation: Formulation::MultipleChoice { pmi: true },
        num_fewshot: k,
        prompt_language: PromptLanguage::English,
        source: format!("sib200:{split_name} on {}", source.describe()),
        data_hash: hash,
        languages,
        original,
        instances,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mgsm_has_eleven_languages_of_250_items() {
        let t = builtin("mgsm", &TaskOptions::default()).unwrap();
        assert_eq!(t.languages.len(), 11);
        assert_eq!(t.instances.len(), 11 * 250);
        assert!(t.original.values().all(|&n| n == 250));
        let de = t.instances.iter().find(|i| i.lang == "deu_Latn").unwrap();
        assert!(de.context.starts_with("Frage: Janets Enten"));
        assert!(de.context.ends_with("\nAntwort:"));
        assert_eq!(de.gold, Gold::Text("18".into()));
        let opts = TaskOptions {
            prompt_language: PromptLanguage::English,
            languages: Some(vec!["de".into()]),
            limit: Some(3),
            ..TaskOptions::default()
        };
        let t = builtin("mgsm_cot", &opts).unwrap();
        assert_eq!(t.instances.len(), 3);
        assert!(t.instances[0].context.starts_with("Question: Janets"));
        assert!(t.instances[0].context.ends_with("Step-by-step answer:"));
        let bad = TaskOptions {
            languages: Some(vec!["hin_Deva".into()]),
            ..TaskOptions::default()
        };
        assert!(
            builtin("mgsm", &bad)
                .unwrap_err()
                .to_string()
                .contains("hin_Deva")
        );
    }

    #[test]
    fn sib200_on_the_embedded_sample_is_parallel_and_few_shot() {
        let opts = TaskOptions {
            languages: Some(vec!["eng_Latn".into(), "zho_Hans".into()]),
            limit: Some(5),
            ..TaskOptions::default()
        };
        let t = builtin("sib200", &opts).unwrap();
        assert_eq!(t.original["eng_Latn"], 83);
        assert_eq!(t.instances.len(), 10);
        let (en, zh) = (&t.instances[0], &t.instances[5]);
        assert_eq!(en.item, zh.item);
        assert_eq!(en.gold, zh.gold);
        assert_eq!(en.choices.len(), 7);
        assert_eq!(en.context.matches("Topic of the text:").count(), 4);
        assert!(
            !en.context.contains(en.doc["text"].as_str().unwrap())
                || en.context.ends_with("Answer:")
        );
        assert!(
            builtin("nope", &opts)
                .unwrap_err()
                .to_string()
                .contains("sib200")
        );
    }
}
