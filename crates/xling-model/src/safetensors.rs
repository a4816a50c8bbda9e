//! Reading Hugging Face checkpoints: a model folder (`config.json` with `model.safetensors`, or shards
//! listed by `model.safetensors.index.json`), or a single `.safetensors` file with `config.json` beside
//! it. Weights are read with candle's safetensors support and converted to f32 (bf16/f16/f32 files).
//!
//! Every error names the file and what is wrong with it: a missing `config.json` key, a shard the index
//! lists but the folder lacks, a tensor the architecture needs but no file holds, a tensor of the wrong
//! shape.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use candle_core::safetensors::{BufferedSafetensors, Load};
use candle_core::{DType, Device, Tensor};
use serde_json::Value;

use crate::ModelError;

/// A parsed `config.json`, with getters whose errors name the file and the key.
#[derive(Debug, Clone)]
pub struct HfConfig {
    path: PathBuf,
    value: Value,
}

impl HfConfig {
    /// Reads and parses a `config.json`.
    pub fn read(path: &Path) -> Result<HfConfig, ModelError> {
        let text = std::fs::read_to_string(path).map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let value: Value = serde_json::from_str(&text).map_err(|e| ModelError::Format {
            path: path.to_path_buf(),
            expected: "a JSON model configuration",
            reason: e.to_string(),
        })?;
        if !value.is_object() {
            return Err(ModelError::Format {
                path: path.to_path_buf(),
                expected: "a JSON model configuration",
                reason: "the top level is not an object".into(),
            });
        }
        Ok(HfConfig {
            path: path.to_path_buf(),
            value,
        })
    }

    /// Wraps an already parsed configuration (a nested `text_config`) that came from `path`.
    pub fn from_value(path: &Path, value: Value) -> HfConfig {
        HfConfig {
            path: path.to_path_buf(),
            value,
        }
    }

    /// The file this came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The raw JSON.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The value of a key, absent when missing or `null`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.value.get(key).filter(|v| !v.is_null())
    }

    fn wrong(&self, key: &str, wanted: &str) -> ModelError {
        ModelError::Format {
            path: self.path.clone(),
            expected: "the configuration keys the architecture needs",
            reason: format!("key {key:?} missing or not {wanted}"),
        }
    }

    /// A non-negative integer.
    pub fn usize(&self, key: &str) -> Result<usize, ModelError> {
        self.get(key)
            .and_then(Value::as_u64)
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| self.wrong(key, "a non-negative integer"))
    }

    /// A non-negative integer, or `default` when the key is absent (or `null`).
    pub fn usize_or(&self, key: &str, default: usize) -> Result<usize, ModelError> {
        match self.get(key) {
            None => Ok(default),
            Some(_) => self.usize(key),
        }
    }

    /// A number, or `default` when the key is absent (or `null`).
    pub fn f64_or(&self, key: &str, default: f64) -> Result<f64, ModelError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v.as_f64().ok_or_else(|| self.wrong(key, "a number")),
        }
    }

    /// A boolean, or `default` when the key is absent (or `null`).
    pub fn bool_or(&self, key: &str, default: bool) -> Result<bool, ModelError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v.as_bool().ok_or_else(|| self.wrong(key, "a boolean")),
        }
    }

    /// A string, if present.
    pub fn str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }

    /// The model type: `model_type`, else the first of `architectures` (`LlamaForCausalLM`).
    pub fn model_type(&self) -> Result<String, ModelError> {
        if let Some(t) = self.str("model_type") {
            return Ok(t.to_string());
        }
        let arch = self
            .get("architectures")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(Value::as_str);
        match arch {
            Some(a) => Ok(a.to_string()),
            None => Err(ModelError::Format {
                path: self.path.clone(),
                expected: "a model configuration naming its architecture",
                reason: "neither \"model_type\" nor \"architectures\" is set".into(),
            }),
        }
    }
}

/// Where a Hugging Face checkpoint's parts are.
#[derive(Debug, Clone)]
pub struct HfCheckpoint {
    /// The folder holding the checkpoint.
    pub dir: PathBuf,
    /// `config.json`.
    pub config: HfConfig,
    /// The safetensors files, in load order.
    pub weight_files: Vec<PathBuf>,
    /// Names the shard index promises, with their file (empty for a single file).
    index: HashMap<String, PathBuf>,
}

impl HfCheckpoint {
    /// Finds a checkpoint: a folder (with `model.safetensors` or `model.safetensors.index.json`), or a
    /// `.safetensors` file with `config.json` in the same folder.
    pub fn open(path: &Path) -> Result<HfCheckpoint, ModelError> {
        let (dir, single) = if path.is_dir() {
            (path.to_path_buf(), None)
        } else {
            let dir = path
                .parent()
                .map(Path::to_path_buf)
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or_else(|| PathBuf::from("."));
            (dir, Some(path.to_path_buf()))
        };
        let config_path = dir.join("config.json");
        if !config_path.is_file() {
            return Err(ModelError::Format {
                path: path.to_path_buf(),
                expected: "a Hugging Face checkpoint with config.json beside its weights",
                reason: format!("{} does not exist", config_path.display()),
            });
        }
        let config = HfConfig::read(&config_path)?;
        let mut index = HashMap::new();
        let weight_files = match single {
            Some(f) => vec![f],
            None => {
                let index_path = dir.join("model.safetensors.index.json");
                let one = dir.join("model.safetensors");
                if index_path.is_file() {
                    let files = read_index(&index_path, &dir, &mut index)?;
                    for f in &files {
                        if !f.is_file() {
                            return Err(ModelError::Format {
                                path: index_path.clone(),
                                expected: "every shard the index lists",
                                reason: format!("{} does not exist", f.display()),
                            });
                        }
                    }
                    files
                } else if one.is_file() {
                    vec![one]
                } else {
                    return Err(ModelError::Format {
                        path: dir.clone(),
                        expected: "model.safetensors or model.safetensors.index.json in the folder",
                        reason: "neither exists (only safetensors checkpoints are read, not \
                                 pytorch_model.bin)"
                            .into(),
                    });
                }
            }
        };
        Ok(HfCheckpoint {
            dir,
            config,
            weight_files,
            index,
        })
    }

    /// Reads the tensors whose names pass `keep`, one file at a time, converted to f32.
    pub fn load(&self, keep: &dyn Fn(&str) -> bool) -> Result<Weights, ModelError> {
        let device = Device::Cpu;
        let mut tensors = HashMap::new();
        let mut origin = HashMap::new();
        for file in &self.weight_files {
            let bytes = std::fs::read(file).map_err(|source| ModelError::Io {
                path: file.clone(),
                source,
            })?;
            let st = BufferedSafetensors::new(bytes).map_err(|e| ModelError::Format {
                path: file.clone(),
                expected: "a safetensors file",
                reason: e.to_string(),
            })?;
            for (name, view) in st.tensors() {
                if !keep(&name) {
                    continue;
                }
                let t = view
                    .load(&device)
                    .and_then(|t| match t.dtype() {
                        DType::F32 => Ok(t),
                        DType::BF16 | DType::F16 | DType::F64 => t.to_dtype(DType::F32),
                        other => Err(candle_core::Error::Msg(format!(
                            "dtype {other:?} is not a float format xling reads"
                        ))),
                    })
                    .map_err(|e| ModelError::Format {
                        path: file.clone(),
                        expected: "bf16, f16 or f32 tensors",
                        reason: format!("tensor {name}: {e}"),
                    })?;
                tensors.insert(name.clone(), t);
                origin.insert(name, file.clone());
            }
        }
        for (name, file) in &self.index {
            if keep(name) && !tensors.contains_key(name) {
                return Err(ModelError::Format {
                    path: file.clone(),
                    expected: "the tensors model.safetensors.index.json assigns to this shard",
                    reason: format!("tensor {name} is missing"),
                });
            }
        }
        Ok(Weights {
            tensors,
            origin,
            describe: self.describe(),
        })
    }

    fn describe(&self) -> PathBuf {
        match self.weight_files.as_slice() {
            [one] => one.clone(),
            _ => self.dir.join("model.safetensors.index.json"),
        }
    }
}

fn read_index(
    path: &Path,
    dir: &Path,
    index: &mut HashMap<String, PathBuf>,
) -> Result<Vec<PathBuf>, ModelError> {
    let bad = |reason: String| ModelError::Format {
        path: path.to_path_buf(),
        expected: "a safetensors shard index with a \"weight_map\" of tensor names to files",
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let v: Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let map = v
        .get("weight_map")
        .and_then(Value::as_object)
        .ok_or_else(|| bad("no \"weight_map\" object".into()))?;
    let mut files = BTreeSet::new();
    for (name, file) in map {
        let file = file
            .as_str()
            .ok_or_else(|| bad(format!("the file of {name} is not a string")))?;
        if file.contains('/') || file.contains('\\') || file == ".." {
            return Err(bad(format!(
                "shard name {file:?} is not a file in the folder"
            )));
        }
        let f = dir.join(file);
        index.insert(name.clone(), f.clone());
        files.insert(f);
    }
    if files.is_empty() {
        return Err(bad("the weight map is empty".into()));
    }
    Ok(files.into_iter().collect())
}

/// Tensors read from a checkpoint, by name, taken out one at a time by the architecture's loader.
pub struct Weights {
    tensors: HashMap<String, Tensor>,
    origin: HashMap<String, PathBuf>,
    describe: PathBuf,
}

impl Weights {
    /// The file (or shard index) that stands for the checkpoint in errors.
    pub fn path(&self) -> &Path {
        &self.describe
    }

    /// Whether a tensor of this name was read.
    pub fn has(&self, name: &str) -> bool {
        self.tensors.contains_key(name)
    }

    /// The shape of a tensor, if present.
    pub fn shape(&self, name: &str) -> Option<Vec<usize>> {
        self.tensors.get(name).map(|t| t.dims().to_vec())
    }

    /// The file a tensor was read from (the checkpoint's description when unknown).
    pub fn file_of(&self, name: &str) -> PathBuf {
        self.origin
            .get(name)
            .cloned()
            .unwrap_or_else(|| self.describe.clone())
    }

    /// Takes a tensor out (its memory goes with the caller).
    pub fn take(&mut self, name: &str) -> Result<Tensor, ModelError> {
        self.tensors.remove(name).ok_or_else(|| ModelError::Format {
            path: self.describe.clone(),
            expected: "the tensors of the declared architecture",
            reason: format!("tensor {name} is missing"),
        })
    }

    /// Takes a tensor out and checks its shape.
    pub fn take_shaped(&mut self, name: &str, dims: &[usize]) -> Result<Tensor, ModelError> {
        let file = self.file_of(name);
        let t = self.take(name)?;
        if t.dims() != dims {
            return Err(ModelError::Format {
                path: file,
                expected: "tensor shapes consistent with config.json",
                reason: format!("tensor {name} is {:?}, expected {dims:?}", t.dims()),
            });
        }
        Ok(t)
    }
}

/// BOS, EOS and padding conventions of a checkpoint folder, from `tokenizer_config.json`,
/// `generation_config.json`, `config.json` and the `tokenizer.json` itself (its added tokens and its
/// post-processor), whichever are present.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpecialTokens {
    /// The id to prepend to every prompt, when the tokenizer adds one.
    pub bos: Option<u32>,
    /// Ids that end a generation.
    pub stop: Vec<u32>,
    /// The padding id (any valid id works for right padding; 0 when none is declared).
    pub pad: u32,
}

impl SpecialTokens {
    /// Reads the conventions of the checkpoint in `dir`; `tokenizer_json` is the tokenizer in use.
    pub fn read(dir: &Path, config: &HfConfig, tokenizer_json: &Path) -> SpecialTokens {
        let read_json = |p: PathBuf| -> Option<Value> {
            let text = std::fs::read_to_string(p).ok()?;
            serde_json::from_str(&text).ok()
        };
        let tok_cfg = read_json(dir.join("tokenizer_config.json")).unwrap_or(Value::Null);
        let gen_cfg = read_json(dir.join("generation_config.json")).unwrap_or(Value::Null);
        let tok = read_json(tokenizer_json.to_path_buf()).unwrap_or(Value::Null);
        // Added tokens: content -> id.
        let mut added: HashMap<String, u32> = HashMap::new();
        if let Some(list) = tok.get("added_tokens").and_then(Value::as_array) {
            for t in list {
                if let (Some(c), Some(id)) = (
                    t.get("content").and_then(Value::as_str),
                    t.get("id")
                        .and_then(Value::as_u64)
                        .and_then(|i| u32::try_from(i).ok()),
                ) {
                    added.insert(c.to_string(), id);
                }
            }
        }
        let token_of = |v: Option<&Value>| -> Option<u32> {
            let v = v?;
            let s = v
                .as_str()
                .or_else(|| v.get("content").and_then(Value::as_str))?;
            added.get(s).copied()
        };
        let ids_of = |v: Option<&Value>| -> Vec<u32> {
            match v {
                Some(Value::Number(n)) => n
                    .as_u64()
                    .and_then(|i| u32::try_from(i).ok())
                    .into_iter()
                    .collect(),
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(|x| x.as_u64().and_then(|i| u32::try_from(i).ok()))
                    .collect(),
                _ => Vec::new(),
            }
        };
        // The post-processor's first special token in the single-sequence template is the BOS the
        // tokenizer adds itself (Llama 3 has no add_bos_token, only this template).
        let template_bos = || -> Option<u32> {
            let pp = tok.get("post_processor")?;
            let candidates: Vec<&Value> = match pp.get("type").and_then(Value::as_str) {
                Some("Sequence") => pp
                    .get("processors")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().collect())
                    .unwrap_or_default(),
                _ => vec![pp],
            };
            for p in candidates {
                if p.get("type").and_then(Value::as_str) != Some("TemplateProcessing") {
                    continue;
                }
                let first = p.get("single")?.as_array()?.first()?;
                let name = first.get("SpecialToken")?.get("id")?.as_str()?;
                let id = p
                    .get("special_tokens")
                    .and_then(|s| s.get(name))
                    .and_then(|s| s.get("ids"))
                    .and_then(Value::as_array)
                    .and_then(|a| a.first())
                    .and_then(Value::as_u64)
                    .and_then(|i| u32::try_from(i).ok());
                return id.or_else(|| added.get(name).copied());
            }
            None
        };
        let declared_bos = token_of(tok_cfg.get("bos_token"))
            .or_else(|| ids_of(gen_cfg.get("bos_token_id")).first().copied())
            .or_else(|| ids_of(config.get("bos_token_id")).first().copied());
        let bos = match tok_cfg.get("add_bos_token").and_then(Value::as_bool) {
            Some(true) => declared_bos.or_else(template_bos),
            Some(false) => None,
            None => template_bos(),
        };
        let mut stop = ids_of(gen_cfg.get("eos_token_id"));
        stop.extend(ids_of(config.get("eos_token_id")));
        stop.extend(token_of(tok_cfg.get("eos_token")));
        for marker in ["<end_of_turn>", "<|im_end|>", "<|eot_id|>", "<|endoftext|>"] {
            stop.extend(added.get(marker).copied());
        }
        let mut seen = BTreeSet::new();
        stop.retain(|id| seen.insert(*id));
        let pad = token_of(tok_cfg.get("pad_token"))
            .or_else(|| ids_of(config.get("pad_token_id")).first().copied())
            .unwrap_or(0);
        SpecialTokens { bos, stop, pad }
    }
}
