//! Task files (TOML) for the data users bring.
//!
//! ```toml
//! name = "belebele-mini"
//! format = "belebele"                  # multiple_choice | xcopa | belebele | global_mmlu | pairwise | generate
//! data = "data/{lang}.jsonl"           # per language ({lang} as written below, {code} its FLORES code);
//!                                      # JSONL objects or a TSV with a header row
//! languages = ["eng_Latn", "deu_Latn"]
//! # fewshot_data = "data/{lang}.dev.jsonl"; num_fewshot = 0; id_field = "id"
//! # translation_fields = { question = "question_en" }   # translate-test: fields replaced by their translations
//! [prompt]
//! # default = "…{field}…"; native.deu_Latn = "…"  (per-language templates: native instructions)
//! [choices]
//! # fields = ["mc_answer1", …] | list_field = "choices"; labels = ["A", "B", "C", "D"];
//! # gold_field = "correct_answer_num"; gold_base = 1; target_delimiter = " "
//! [generate]
//! # until = ["\n\n"]; max_tokens = 64; gold_field = "answer"; extract = "last_number" | "whole" | "regex:…"
//! [pairwise]
//! # prompt_field = "prompt"; chosen_field = "chosen"; rejected_field = "rejected"
//! ```
//!
//! The presets (`xcopa`, `belebele`, `global_mmlu`, `pairwise`) fill in the field names and prompt of
//! those datasets' public releases; every preset value can be overridden. Paths are relative to the
//! task file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::EvalError;
use crate::extract::{ExtractKind, Extractor};
use crate::task::{
    Formulation, Gold, Instance, PromptLanguage, Task, TaskOptions, data_hash, fill, pick_fewshot,
};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    name: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    format: Option<String>,
    data: String,
    languages: Vec<String>,
    #[serde(default)]
    fewshot_data: Option<String>,
    #[serde(default)]
    num_fewshot: Option<usize>,
    #[serde(default)]
    id_field: Option<String>,
    #[serde(default)]
    translation_fields: BTreeMap<String, String>,
    #[serde(default)]
    preamble: Option<String>,
    #[serde(default)]
    prompt: PromptSpec,
    #[serde(default)]
    choices: ChoiceSpec,
    #[serde(default)]
    generate: GenSpec,
    #[serde(default)]
    pairwise: PairSpec,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PromptSpec {
    #[serde(default)]
    default: Option<String>,
    #[serde(default)]
    native: BTreeMap<String, String>,
    #[serde(default)]
    fewshot_delimiter: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChoiceSpec {
    #[serde(default)]
    fields: Option<Vec<String>>,
    #[serde(default)]
    list_field: Option<String>,
    #[serde(default)]
    labels: Option<Vec<String>>,
    #[serde(default)]
    gold_field: Option<String>,
    #[serde(default)]
    gold_base: Option<usize>,
    #[serde(default)]
    target_delimiter: Option<String>,
    #[serde(default)]
    pmi: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct GenSpec {
    #[serde(default)]
    until: Option<Vec<String>>,
    #[serde(default)]
    max_tokens: Option<usize>,
    #[serde(default)]
    gold_field: Option<String>,
    #[serde(default)]
    extract: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PairSpec {
    #[serde(default)]
    prompt_field: Option<String>,
    #[serde(default)]
    chosen_field: Option<String>,
    #[serde(default)]
    rejected_field: Option<String>,
}

/// The formats a task file can name.
pub const FORMATS: &[&str] = &[
    "multiple_choice",
    "xcopa",
    "belebele",
    "global_mmlu",
    "pairwise",
    "generate",
];

/// Loads a task file.
pub fn load(path: &Path, opts: &TaskOptions) -> Result<Task, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|e| EvalError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let spec: Spec = toml::from_str(&text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        EvalError::Spec {
            path: match line {
                Some(l) => format!("{}:{l}", path.display()),
                None => path.display().to_string(),
            },
            reason: e.message().to_string(),
        }
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    build(spec, base, path, opts)
}

fn spec_err(path: &Path, reason: impl Into<String>) -> EvalError {
    EvalError::Spec {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

/// Reads one language's documents: JSONL objects, or a TSV with a header row.
fn read_docs(path: &Path) -> Result<Vec<Value>, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|e| EvalError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let mut docs = Vec::new();
    let is_tsv = path.extension().is_some_and(|e| e == "tsv");
    if is_tsv {
        let mut lines = text.lines().enumerate();
        let header: Vec<&str> = match lines.next() {
            Some((_, h)) => h.split('\t').collect(),
            None => return Ok(docs),
        };
        for (n, line) in lines {
            let line = line.trim_end_matches('\r');
            if line.is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split('\t').collect();
            if f.len() != header.len() {
                return Err(EvalError::Data(format!(
                    "{}:{}: {} fields, the header has {}",
                    path.display(),
                    n + 1,
                    f.len(),
                    header.len()
                )));
            }
            docs.push(Value::Object(
                header
                    .iter()
                    .zip(f)
                    .map(|(h, v)| (h.to_string(), Value::String(v.to_string())))
                    .collect(),
            ));
        }
    } else {
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let v: Value = serde_json::from_str(line).map_err(|e| {
                EvalError::Data(format!("{}:{}: not JSON ({e})", path.display(), n + 1))
            })?;
            if !v.is_object() {
                return Err(EvalError::Data(format!(
                    "{}:{}: expected a JSON object",
                    path.display(),
                    n + 1
                )));
            }
            docs.push(v);
        }
    }
    Ok(docs)
}

fn field_str(doc: &Value, field: &str) -> Option<String> {
    match doc.get(field)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        v => Some(v.to_string()),
    }
}

/// Preset defaults: (template, choice fields, list field, labels, gold field, gold base, pair fields).
struct Preset {
    template: &'static str,
    fields: Option<&'static [&'static str]>,
    labels: Option<&'static [&'static str]>,
    gold_field: &'static str,
    gold_base: usize,
}

fn preset(format: &str) -> Option<Preset> {
    Some(match format {
        "xcopa" => Preset {
            template: "Premise: {premise}\nWhat was the {question}?\nAnswer:",
            fields: Some(&["choice1", "choice2"]),
            labels: None,
            gold_field: "label",
            gold_base: 0,
        },
        "belebele" => Preset {
            template: "P: {flores_passage}\nQ: {question}\nA: {mc_answer1}\nB: {mc_answer2}\nC: {mc_answer3}\nD: {mc_answer4}\nAnswer:",
            fields: Some(&["mc_answer1", "mc_answer2", "mc_answer3", "mc_answer4"]),
            labels: Some(&["A", "B", "C", "D"]),
            gold_field: "correct_answer_num",
            gold_base: 1,
        },
        "global_mmlu" => Preset {
            template: "{question}\nA. {option_a}\nB. {option_b}\nC. {option_c}\nD. {option_d}\nAnswer:",
            fields: Some(&["option_a", "option_b", "option_c", "option_d"]),
            labels: Some(&["A", "B", "C", "D"]),
            gold_field: "answer",
            gold_base: 0,
        },
        "pairwise" => Preset {
            template: "Which response answers the request better?\nRequest: {prompt}\nResponse A: {response_a}\nResponse B: {response_b}\nBetter response:",
            fields: None,
            labels: Some(&["A", "B"]),
            gold_field: "",
            gold_base: 0,
        },
        _ => return None,
    })
}

/// The gold index of a document: an index (`gold_base`-based), a letter label, or a choice's text.
fn gold_index(
    raw: &str,
    labels: Option<&[String]>,
    choices: &[String],
    base: usize,
) -> Option<usize> {
    let t = raw.trim();
    if let Ok(i) = t.parse::<usize>() {
        return i.checked_sub(base).filter(|&i| i < choices.len());
    }
    if let Some(l) = labels {
        if let Some(i) = l.iter().position(|x| x.eq_ignore_ascii_case(t)) {
            return Some(i);
        }
    }
    choices.iter().position(|c| c.trim() == t)
}

fn build(spec: Spec, base: &Path, path: &Path, opts: &TaskOptions) -> Result<Task, EvalError> {
    let format = spec.format.as_deref().unwrap_or("multiple_choice");
    if !FORMATS.contains(&format) {
        return Err(spec_err(
            path,
            format!("format {format:?} is not one of {}", FORMATS.join(", ")),
        ));
    }
    let preset = preset(format);
    let generate = format == "generate";
    let pairwise = format == "pairwise";
    let template = spec
        .prompt
        .default
        .clone()
        .or_else(|| preset.as_ref().map(|p| p.template.to_string()))
        .ok_or_else(|| spec_err(path, "[prompt] default is required for this format"))?;
    let labels: Option<Vec<String>> = spec.choices.labels.clone().or_else(|| {
        preset
            .as_ref()
            .and_then(|p| p.labels)
            .map(|l| l.iter().map(|s| s.to_string()).collect())
    });
    let fields: Option<Vec<String>> = spec.choices.fields.clone().or_else(|| {
        preset
            .as_ref()
            .and_then(|p| p.fields)
            .map(|f| f.iter().map(|s| s.to_string()).collect())
    });
    let gold_field = if generate {
        spec.generate.gold_field.clone().unwrap_or("answer".into())
    } else {
        spec.choices
            .gold_field
            .clone()
            .or_else(|| preset.as_ref().map(|p| p.gold_field.to_string()))
            .unwrap_or_else(|| "label".into())
    };
    let gold_base = spec
        .choices
        .gold_base
        .or_else(|| preset.as_ref().map(|p| p.gold_base))
        .unwrap_or(0);
    let delimiter = spec.choices.target_delimiter.clone().unwrap_or(" ".into());
    let fewshot_delim = spec
        .prompt
        .fewshot_delimiter
        .clone()
        .unwrap_or("\n\n".into());
    let k = opts.num_fewshot.or(spec.num_fewshot).unwrap_or(0);
    if k > 0 && spec.fewshot_data.is_none() {
        return Err(spec_err(path, format!("{k}-shot needs fewshot_data")));
    }
    if !generate && !pairwise && fields.is_none() && spec.choices.list_field.is_none() {
        return Err(spec_err(
            path,
            "[choices] needs fields = [...] or list_field = \"...\"",
        ));
    }
    let (p_prompt, p_chosen, p_rejected) = (
        spec.pairwise
            .prompt_field
            .clone()
            .unwrap_or("prompt".into()),
        spec.pairwise
            .chosen_field
            .clone()
            .unwrap_or("chosen".into()),
        spec.pairwise
            .rejected_field
            .clone()
            .unwrap_or("rejected".into()),
    );
    let wanted = opts.wanted()?;
    let reg = xling_core::registry();
    let mut languages = Vec::new();
    for l in &spec.languages {
        let code = reg
            .resolve(l)
            .map(|r| r.lang.code.clone())
            .map_err(|e| spec_err(path, format!("language {l:?}: {e}")))?;
        if wanted.as_ref().is_none_or(|w| w.contains(&code)) {
            languages.push((l.clone(), code));
        }
    }
    if let Some(w) = &wanted {
        if let Some(c) = w.iter().find(|c| !languages.iter().any(|(_, x)| x == *c)) {
            return Err(EvalError::Options(format!(
                "task {} has no {c}; its languages: {}",
                spec.name,
                spec.languages.join(", ")
            )));
        }
    }
    // `{lang}`: the language as the task file writes it; `{code}`: its FLORES-style code.
    let resolve = |pattern: &str, lang: &str| -> PathBuf {
        let code = reg
            .resolve(lang)
            .map(|r| r.lang.code.clone())
            .unwrap_or_default();
        base.join(pattern.replace("{lang}", lang).replace("{code}", &code))
    };
    let mut instances = Vec::new();
    let mut original = BTreeMap::new();
    let mut lang_codes = Vec::new();
    for (given, code) in &languages {
        let docs = read_docs(&resolve(&spec.data, given))?;
        let same_file = spec.fewshot_data.as_deref() == Some(spec.data.as_str());
        let shots_docs = match &spec.fewshot_data {
            Some(p) if k > 0 => read_docs(&resolve(p, given))?,
            _ => Vec::new(),
        };
        let tpl = match opts.prompt_language {
            PromptLanguage::Native => spec
                .prompt
                .native
                .get(code)
                .or_else(|| spec.prompt.native.get(given))
                .unwrap_or(&template),
            PromptLanguage::English => &template,
        };
        let data_path = resolve(&spec.data, given);
        let at = |n: usize, reason: String| {
            EvalError::Data(format!("{} item {}: {reason}", data_path.display(), n + 1))
        };
        // Renders a document: prompt text, choices, gold.
        let render = |doc: &Value,
                      n: usize|
         -> Result<Vec<(String, Vec<String>, Gold)>, EvalError> {
            let mut doc = doc.clone();
            // Translate-test: each listed field's text is replaced by its translation.
            for (field, tf) in &spec.translation_fields {
                let t = field_str(&doc, tf)
                    .ok_or_else(|| at(n, format!("missing translation field {tf:?}")))?;
                if let Some(o) = doc.as_object_mut() {
                    o.insert(field.clone(), Value::String(t));
                }
            }
            if pairwise {
                let get = |f: &str| {
                    field_str(&doc, f).ok_or_else(|| at(n, format!("missing field {f:?}")))
                };
                let (p, c, r) = (get(&p_prompt)?, get(&p_chosen)?, get(&p_rejected)?);
                let labels = labels.clone().unwrap_or(vec!["A".into(), "B".into()]);
                let mut out = Vec::new();
                for (a, b, gold) in [(&c, &r, 0usize), (&r, &c, 1)] {
                    let d = serde_json::json!({"prompt": p, "response_a": a, "response_b": b});
                    let text = fill(tpl, &d).map_err(|e| at(n, e))?;
                    out.push((text, labels.clone(), Gold::Index(gold)));
                }
                return Ok(out);
            }
            let text = fill(tpl, &doc).map_err(|e| at(n, e))?;
            let raw_gold = field_str(&doc, &gold_field)
                .ok_or_else(|| at(n, format!("missing gold field {gold_field:?}")))?;
            if generate {
                return Ok(vec![(text, Vec::new(), Gold::Text(raw_gold))]);
            }
            let texts: Vec<String> = match (&fields, &spec.choices.list_field) {
                (_, Some(lf)) => match doc.get(lf) {
                    Some(Value::Array(a)) => a
                        .iter()
                        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                        .collect(),
                    Some(Value::String(s)) => s.split('|').map(str::to_string).collect(),
                    _ => return Err(at(n, format!("missing choice list {lf:?}"))),
                },
                (Some(fs), None) => fs
                    .iter()
                    .map(|f| {
                        field_str(&doc, f)
                            .ok_or_else(|| at(n, format!("missing choice field {f:?}")))
                    })
                    .collect::<Result<_, _>>()?,
                (None, None) => Vec::new(),
            };
            let shown = match &labels {
                Some(l) => l[..l.len().min(texts.len())].to_vec(),
                None => texts.clone(),
            };
            let gold = gold_index(&raw_gold, labels.as_deref(), &texts, gold_base).ok_or_else(|| {
                at(n, format!("gold {raw_gold:?} is neither a {gold_base}-based index, a label nor a choice"))
            })?;
            Ok(vec![(text, shown, Gold::Index(gold))])
        };
        let id_of = |doc: &Value, n: usize| -> String {
            spec.id_field
                .as_ref()
                .and_then(|f| field_str(doc, f))
                .unwrap_or_else(|| n.to_string())
        };
        // Few-shot examples: rendered with their answers.
        let mut pool: Vec<(String, String)> = Vec::new();
        for (n, d) in shots_docs.iter().enumerate() {
            for (text, choices, gold) in render(d, n)? {
                let answer = match gold {
                    Gold::Index(i) => choices.get(i).cloned().unwrap_or_default(),
                    Gold::Text(t) => t,
                };
                pool.push((
                    format!("fs-{}", id_of(d, n)),
                    format!("{text}{delimiter}{answer}"),
                ));
            }
        }
        original.insert(code.clone(), docs.len());
        let limit = opts.limit.unwrap_or(usize::MAX).min(docs.len());
        let mut doc_id = 0;
        for (n, d) in docs[..limit].iter().enumerate() {
            let id = id_of(d, n);
            for (order, (text, choices, gold)) in render(d, n)?.into_iter().enumerate() {
                let mut context = spec.preamble.clone().unwrap_or_default();
                // An item is never its own example — when examples come from the evaluated file.
                let exclude = if same_file {
                    format!("fs-{id}")
                } else {
                    String::new()
                };
                for (_, ex) in pick_fewshot(&pool, k, opts.fewshot_seed, &exclude, |p| &p.0) {
                    context.push_str(ex);
                    context.push_str(&fewshot_delim);
                }
                context.push_str(&text);
                instances.push(Instance {
                    lang: code.clone(),
                    doc_id,
                    item: if pairwise {
                        format!("{id}/{order}")
                    } else {
                        id.clone()
                    },
                    doc: d.clone(),
                    context,
                    choices,
                    target_delimiter: delimiter.clone(),
                    gold,
                    pair: pairwise.then(|| (id.clone(), order as u8)),
                });
                doc_id += 1;
            }
        }
        lang_codes.push(code.clone());
    }
    let formulation = if generate {
        let extract = spec.generate.extract.clone().unwrap_or("whole".into());
        let kind = match extract.as_str() {
            "whole" => ExtractKind::Whole,
            "last_number" => ExtractKind::LastNumber,
            r if r.starts_with("regex:") => ExtractKind::Regex(
                regex::Regex::new(&r[6..])
                    .map_err(|e| spec_err(path, format!("extract regex: {e}")))?,
            ),
            other => {
                return Err(spec_err(
                    path,
                    format!("extract {other:?}: use whole, last_number or regex:PATTERN"),
                ));
            }
        };
        Formulation::Generate {
            until: spec.generate.until.clone().unwrap_or(vec!["\n\n".into()]),
            max_tokens: spec.generate.max_tokens.unwrap_or(64),
            extractors: vec![Extractor::new(&extract, kind)],
        }
    } else {
        Formulation::MultipleChoice {
            pmi: spec.choices.pmi.unwrap_or(true),
        }
    };
    let mut notes = Vec::new();
    if pairwise {
        notes.push("Pairwise preference: every pair is asked in both orders (A/B swapped); accuracy counts each order.".into());
    }
    if !spec.translation_fields.is_empty() {
        notes.push(format!(
            "Translate-test: {} replaced by their translations.",
            spec.translation_fields
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let hash = data_hash(&instances);
    Ok(Task {
        name: spec.name,
        version: spec.version.unwrap_or("1".into()),
        description: spec
            .description
            .unwrap_or_else(|| format!("{format} task from {}", path.display())),
        formulation,
        num_fewshot: k,
        prompt_language: opts.prompt_language,
        source: path.display().to_string(),
        data_hash: hash,
        languages: lang_codes,
        original,
        instances,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn belebele_preset_letters_and_one_based_gold() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "deu_Latn.jsonl",
            r#"{"flores_passage": "P", "question": "Q?", "mc_answer1": "a", "mc_answer2": "b", "mc_answer3": "c", "mc_answer4": "d", "correct_answer_num": "3"}"#,
        );
        let t = write(
            d.path(),
            "t.toml",
            "name = \"bb\"\nformat = \"belebele\"\ndata = \"{lang}.jsonl\"\nlanguages = [\"deu_Latn\"]\n",
        );
        let task = load(&t, &TaskOptions::default()).unwrap();
        let i = &task.instances[0];
        assert_eq!(i.choices, ["A", "B", "C", "D"]);
        assert_eq!(i.gold, Gold::Index(2));
        assert!(i.context.starts_with("P: P\nQ: Q?\nA: a\n") && i.context.ends_with("Answer:"));
    }

    #[test]
    fn pairwise_asks_both_orders_and_fewshot_uses_its_own_file() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "fra_Latn.tsv",
            "id\tprompt\tchosen\trejected\nx1\tBonjour ?\tSalut !\t42\n",
        );
        let t = write(
            d.path(),
            "t.toml",
            "name = \"rb\"\nformat = \"pairwise\"\ndata = \"{code}.tsv\"\nlanguages = [\"fr\"]\nid_field = \"id\"\n",
        );
        let task = load(&t, &TaskOptions::default()).unwrap();
        assert_eq!(task.languages, ["fra_Latn"]);
        assert_eq!(task.instances.len(), 2);
        assert_eq!(task.instances[0].gold, Gold::Index(0));
        assert_eq!(task.instances[1].gold, Gold::Index(1));
        assert!(task.instances[0].context.contains("Response A: Salut !"));
        assert!(task.instances[1].context.contains("Response A: 42"));

        write(
            d.path(),
            "train.jsonl",
            "{\"q\": \"1+1\", \"answer\": \"2\"}\n{\"q\": \"2+2\", \"answer\": \"4\"}\n",
        );
        write(
            d.path(),
            "test.jsonl",
            "{\"q\": \"3+3\", \"answer\": \"6\"}\n",
        );
        let g = write(
            d.path(),
            "g.toml",
            "name = \"arith\"\nformat = \"generate\"\ndata = \"test.jsonl\"\nfewshot_data = \"train.jsonl\"\nnum_fewshot = 2\nlanguages = [\"eng_Latn\"]\n[prompt]\ndefault = \"Q: {q}\\nA:\"\n[generate]\nextract = \"last_number\"\n",
        );
        let task = load(&g, &TaskOptions::default()).unwrap();
        let c = &task.instances[0].context;
        assert!(
            c.contains("Q: 1+1\nA: 2\n\n")
                && c.contains("Q: 2+2\nA: 4\n\n")
                && c.ends_with("Q: 3+3\nA:"),
            "{c}"
        );
        assert_eq!(task.instances[0].gold, Gold::Text("6".into()));
    }

    #[test]
    fn errors_name_the_file_line_and_field() {
        let d = tempfile::tempdir().unwrap();
        let t = write(
            d.path(),
            "t.toml",
            "name = \"x\"\ndata = \"d.jsonl\"\nlanguages = [\"eng_Latn\"]\nbogus = 1\n",
        );
        let e = load(&t, &TaskOptions::default()).unwrap_err().to_string();
        assert!(e.contains("t.toml:4") && e.contains("bogus"), "{e}");
        write(
            d.path(),
            "d.jsonl",
            "{\"q\": \"x\", \"a\": \"1\", \"b\": \"2\"}\nnot json\n",
        );
        let t = write(
            d.path(),
            "u.toml",
            "name = \"x\"\ndata = \"d.jsonl\"\nlanguages = [\"eng_Latn\"]\n[prompt]\ndefault = \"{q}\"\n[choices]\nfields = [\"a\", \"b\"]\n",
        );
        let e = load(&t, &TaskOptions::default()).unwrap_err().to_string();
        assert!(e.contains("d.jsonl:2") && e.contains("not JSON"), "{e}");
        write(
            d.path(),
            "d.jsonl",
            "{\"q\": \"x\", \"a\": \"1\", \"b\": \"2\"}\n",
        );
        let e = load(&t, &TaskOptions::default()).unwrap_err().to_string();
        assert!(e.contains("item 1") && e.contains("\"label\""), "{e}");
        let t = write(
            d.path(),
            "v.toml",
            "name = \"x\"\nformat = \"quiz\"\ndata = \"d.jsonl\"\nlanguages = [\"eng_Latn\"]\n",
        );
        let e = load(&t, &TaskOptions::default()).unwrap_err().to_string();
        assert!(e.contains("quiz") && e.contains("belebele"), "{e}");
    }
}
