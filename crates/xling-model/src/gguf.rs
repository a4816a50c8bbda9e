//! Reading GGUF checkpoints: metadata with typed, file-naming errors, and tensors dequantized to f32.
//!
//! The container parser is candle's (`candle_core::quantized::gguf_file`); this module adds what a
//! user-facing tool needs on top: a size check that names a truncated file before any tensor is read,
//! and metadata getters whose errors say which key was missing or had the wrong type.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use candle_core::quantized::gguf_file::{Content, Value};
use candle_core::{DType, Device, Tensor};

use crate::ModelError;

/// An open GGUF file: its parsed header and a reader for tensor data.
pub struct GgufFile {
    path: PathBuf,
    content: Content,
    reader: BufReader<File>,
}

impl GgufFile {
    /// Opens a GGUF file, parses its header and checks that every tensor lies inside the file.
    pub fn open(path: &Path) -> Result<GgufFile, ModelError> {
        let io = |source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io)?;
        let size = file.metadata().map_err(io)?.len();
        let mut reader = BufReader::new(file);
        let content = Content::read(&mut reader).map_err(|e| ModelError::Format {
            path: path.to_path_buf(),
            expected: "a GGUF model file (magic 'GGUF', version 1-3)",
            reason: e.to_string(),
        })?;
        for (name, info) in &content.tensor_infos {
            let elems = info.shape.elem_count();
            let bytes = (elems / info.ggml_dtype.block_size() * info.ggml_dtype.type_size()) as u64;
            let end = content
                .tensor_data_offset
                .saturating_add(info.offset)
                .saturating_add(bytes);
            if end > size {
                return Err(ModelError::Format {
                    path: path.to_path_buf(),
                    expected: "a complete GGUF file",
                    reason: format!(
                        "truncated: tensor {name} ends at byte {end} but the file has {size} bytes"
                    ),
                });
            }
        }
        Ok(GgufFile {
            path: path.to_path_buf(),
            content,
            reader,
        })
    }

    /// The file this was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// All metadata key/value pairs.
    pub fn metadata(&self) -> &HashMap<String, Value> {
        &self.content.metadata
    }

    fn missing(&self, key: &str, wanted: &str) -> ModelError {
        ModelError::Format {
            path: self.path.clone(),
            expected: "GGUF metadata the architecture needs",
            reason: format!("key {key} missing or not {wanted}"),
        }
    }

    /// A string metadata value.
    pub fn string(&self, key: &str) -> Result<&str, ModelError> {
        self.metadata()
            .get(key)
            .and_then(|v| v.to_string().ok())
            .map(String::as_str)
            .ok_or_else(|| self.missing(key, "a string"))
    }

    /// An integer metadata value (any integer width).
    pub fn usize(&self, key: &str) -> Result<usize, ModelError> {
        let v = self.metadata().get(key);
        let n = v.and_then(|v| match v {
            Value::U8(x) => Some(u64::from(*x)),
            Value::U16(x) => Some(u64::from(*x)),
            Value::U32(x) => Some(u64::from(*x)),
            Value::U64(x) => Some(*x),
            Value::I8(x) => u64::try_from(*x).ok(),
            Value::I16(x) => u64::try_from(*x).ok(),
            Value::I32(x) => u64::try_from(*x).ok(),
            Value::I64(x) => u64::try_from(*x).ok(),
            _ => None,
        });
        n.and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| self.missing(key, "an unsigned integer"))
    }

    /// An integer metadata value, or `default` when the key is absent.
    pub fn usize_or(&self, key: &str, default: usize) -> Result<usize, ModelError> {
        if self.metadata().contains_key(key) {
            self.usize(key)
        } else {
            Ok(default)
        }
    }

    /// A float metadata value, or `default` when the key is absent.
    pub fn f64_or(&self, key: &str, default: f64) -> Result<f64, ModelError> {
        match self.metadata().get(key) {
            None => Ok(default),
            Some(Value::F32(x)) => Ok(f64::from(*x)),
            Some(Value::F64(x)) => Ok(*x),
            Some(_) => Err(self.missing(key, "a float")),
        }
    }

    /// A boolean metadata value, or `default` when the key is absent.
    pub fn bool_or(&self, key: &str, default: bool) -> Result<bool, ModelError> {
        match self.metadata().get(key) {
            None => Ok(default),
            Some(v) => v.to_bool().map_err(|_| self.missing(key, "a boolean")),
        }
    }

    /// An array metadata value.
    pub fn array(&self, key: &str) -> Result<&[Value], ModelError> {
        self.metadata()
            .get(key)
            .and_then(|v| v.to_vec().ok())
            .map(Vec::as_slice)
            .ok_or_else(|| self.missing(key, "an array"))
    }

    /// Whether a tensor of this name exists.
    pub fn has_tensor(&self, name: &str) -> bool {
        self.content.tensor_infos.contains_key(name)
    }

    /// Reads a tensor and dequantizes it to f32 (the shape is PyTorch's order: `[out, in]`).
    pub fn tensor_f32(&mut self, name: &str, device: &Device) -> Result<Tensor, ModelError> {
        if !self.has_tensor(name) {
            return Err(ModelError::Format {
                path: self.path.clone(),
                expected: "the tensors of the declared architecture",
                reason: format!("tensor {name} is missing"),
            });
        }
        let q = self
            .content
            .tensor(&mut self.reader, name, device)
            .map_err(|e| ModelError::Format {
                path: self.path.clone(),
                expected: "readable GGUF tensor data",
                reason: format!("tensor {name}: {e}"),
            })?;
        let t = q.dequantize(device).map_err(ModelError::from)?;
        Ok(t.to_dtype(DType::F32)?)
    }

    /// The shape of a tensor, PyTorch order, without reading it.
    pub fn tensor_shape(&self, name: &str) -> Option<Vec<usize>> {
        self.content
            .tensor_infos
            .get(name)
            .map(|i| i.shape.dims().to_vec())
    }
}
