//! sacrebleu's SentencePiece BLEU tokenizers (`flores101`, `flores200`, `spm`, `spBLEU-1K`) on a model
//! file the caller passes.
//!
//! sacrebleu 2.6.0 downloads each model on first use into `~/.sacrebleu/models/` (or `$SACREBLEU/models/`)
//! and tokenizes a line as `" ".join(sp.EncodeAsPieces(line))`. xling never downloads: the caller passes
//! the `.model` file (for example the one sacrebleu already downloaded), and the pieces come from the
//! pure-Rust `sentencepiece-rust` engine that `xling-tokenize` also uses, whose `encode_pieces` follows
//! `EncodeAsPieces`: the normalised surface of each piece, unknown runs merged into one piece, byte
//! fallback as `<0xNN>` pieces. The signature is sacrebleu's (`tok:flores200`); the model file itself is
//! not part of it, exactly as in sacrebleu, so passing another model under the same name is the caller's
//! responsibility.
//!
//! xling-metrics uses `sentencepiece-rust` directly rather than through `xling-tokenize`, which would
//! bring the HF `tokenizers`, `tiktoken-rs` and an HTTP client into every metrics user for one loader.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sentencepiece_rust::{ModelType, PieceType, SentencePieceProcessor};

use crate::MetricsError;

/// Which of sacrebleu's SentencePiece tokenizers: the name given and the name signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpmKind {
    /// `spm`: sacrebleu's old name of `flores101` (same model, signs as `flores101`).
    Spm,
    /// `flores101`: the FLORES-101 SentencePiece model.
    Flores101,
    /// `flores200`: the FLORES-200 SentencePiece model (spBLEU of the NLLB evaluations).
    Flores200,
    /// `spBLEU-1K`: the spBLEU-1K model.
    SpBleu1K,
}

impl SpmKind {
    /// Every kind, in sacrebleu's order.
    pub const ALL: [SpmKind; 4] = [
        SpmKind::Spm,
        SpmKind::Flores101,
        SpmKind::Flores200,
        SpmKind::SpBleu1K,
    ];

    /// The `--tokenize` value.
    pub fn name(self) -> &'static str {
        match self {
            SpmKind::Spm => "spm",
            SpmKind::Flores101 => "flores101",
            SpmKind::Flores200 => "flores200",
            SpmKind::SpBleu1K => "spBLEU-1K",
        }
    }

    /// The `tok:` value of sacrebleu's signature.
    pub fn signature(self) -> &'static str {
        match self {
            SpmKind::Spm | SpmKind::Flores101 => "flores101",
            SpmKind::Flores200 => "flores200",
            SpmKind::SpBleu1K => "spBLEU-1K",
        }
    }

    /// The file name under which sacrebleu keeps this model in `~/.sacrebleu/models/`.
    pub fn sacrebleu_file(self) -> &'static str {
        match self {
            SpmKind::Spm | SpmKind::Flores101 => "sacrebleu_tokenizer_spm.model",
            SpmKind::Flores200 => "flores200sacrebleuspm",
            SpmKind::SpBleu1K => "spbleu-1k_tokenizer_spm.model",
        }
    }
}

/// A loaded SentencePiece model.
pub struct SpmModel {
    inner: SentencePieceProcessor,
    path: PathBuf,
    hash: String,
}

impl fmt::Debug for SpmModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpmModel")
            .field("path", &self.path)
            .field("pieces", &self.inner.piece_size())
            .field("sha256", &self.hash)
            .finish()
    }
}

impl SpmModel {
    /// Reads a SentencePiece `.model` file (BPE or unigram). A missing file, a file that is not a
    /// SentencePiece model, a word- or character-level model (which the engine cannot run) and a model
    /// with user-defined symbols (which the engine does not treat as sentencepiece does) are errors
    /// naming the file.
    pub fn from_file(path: &Path) -> Result<SpmModel, MetricsError> {
        let data = std::fs::read(path).map_err(|e| MetricsError::SpmModel {
            path: path.to_path_buf(),
            reason: if e.kind() == std::io::ErrorKind::NotFound {
                "no such file".to_string()
            } else {
                e.to_string()
            },
        })?;
        let inner =
            SentencePieceProcessor::from_bytes(&data).map_err(|e| MetricsError::SpmModel {
                path: path.to_path_buf(),
                reason: format!("not a SentencePiece .model file ({e})"),
            })?;
        if inner.piece_size() == 0 {
            return Err(MetricsError::SpmModel {
                path: path.to_path_buf(),
                reason: "not a SentencePiece .model file (no pieces)".into(),
            });
        }
        if matches!(inner.model_type(), ModelType::Word | ModelType::Char) {
            return Err(MetricsError::SpmModel {
                path: path.to_path_buf(),
                reason: "word- and character-level SentencePiece models are not supported (BPE and unigram are)".into(),
            });
        }
        let vocab = inner.vocab();
        let user: Vec<&str> = (0..inner.piece_size() as i32)
            .filter(|&id| vocab.kind(id) == Some(PieceType::UserDefined))
            .filter_map(|id| inner.id_to_piece(id))
            .collect();
        if let Some(first) = user.first() {
            return Err(MetricsError::SpmModel {
                path: path.to_path_buf(),
                reason: format!(
                    "it has {} user-defined symbols (e.g. '{first}'), which the SentencePiece engine of \
                     xling does not protect from normalisation and merging as sentencepiece does, so \
                     its pieces could differ from sacrebleu's",
                    user.len()
                ),
            });
        }
        let digest = {
            use sha2::Digest;
            sha2::Sha256::digest(&data)
        };
        Ok(SpmModel {
            inner,
            path: path.to_path_buf(),
            hash: digest.iter().take(4).map(|b| format!("{b:02x}")).collect(),
        })
    }

    /// The file the model was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The first 8 hex digits of the file's SHA-256 (as `xling tokenizers` identifies `.model` files):
    /// sacrebleu's signature does not name the model, xling's table signatures add this.
    pub fn short_hash(&self) -> &str {
        &self.hash
    }

    /// sacrebleu's `" ".join(sp.EncodeAsPieces(line))`.
    pub fn pieces_joined(&self, line: &str) -> String {
        if line.is_empty() {
            // sentencepiece returns no pieces for empty input, even with a dummy prefix.
            return String::new();
        }
        // The model type was checked on loading, the only case in which the engine fails.
        let pieces = self.inner.encode_pieces(line).unwrap_or_default();
        let mut out = String::with_capacity(line.len() + line.len() / 2 + 4);
        for (i, p) in pieces.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(p);
        }
        out
    }
}

/// A SentencePiece BLEU tokenizer: its sacrebleu name and the model.
#[derive(Debug, Clone)]
pub struct SpmTokenizer {
    /// Which sacrebleu tokenizer this stands for (its name and signature).
    pub kind: SpmKind,
    /// The model, shared between clones.
    pub model: Arc<SpmModel>,
}

impl SpmTokenizer {
    /// The tokenizer `kind` with `model`.
    pub fn new(kind: SpmKind, model: Arc<SpmModel>) -> Self {
        SpmTokenizer { kind, model }
    }
}

impl PartialEq for SpmTokenizer {
    /// Same name and the same loaded model.
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && Arc::ptr_eq(&self.model, &other.model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_signatures() {
        assert_eq!(SpmKind::Spm.signature(), "flores101");
        assert_eq!(SpmKind::Flores200.signature(), "flores200");
        assert_eq!(SpmKind::SpBleu1K.name(), "spBLEU-1K");
    }

    #[test]
    fn bad_files_are_named() {
        let e = SpmModel::from_file(Path::new("/nonexistent/flores200.model"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("/nonexistent/flores200.model") && e.contains("no such file"),
            "{e}"
        );
        let dir = std::env::temp_dir().join(format!("xling-spm-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok();
        let p = dir.join("not.model");
        std::fs::write(&p, b"hello world, not a protobuf").ok();
        let e = SpmModel::from_file(&p)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("not.model") && e.contains("not a SentencePiece"),
            "{e}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
