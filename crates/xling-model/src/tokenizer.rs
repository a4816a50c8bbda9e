//! Tokenizers for the runtime: the SentencePiece-style vocabulary stored in a GGUF file
//! (`tokenizer.ggml.model = "llama"`), or any tokenizer xling-tokenize loads (a `tokenizer.json`).
//!
//! The GGUF vocabulary has tokens, scores and types but no merge list. Encoding is score-priority
//! merging, the algorithm SentencePiece BPE models and llama.cpp use: the text (spaces written `▁`) starts
//! as one symbol per character; the adjacent pair whose concatenation is a vocabulary entry with the
//! highest score merges first (ties: leftmost); symbols left outside the vocabulary fall back to
//! `<0xXX>` byte tokens. Control and user-defined tokens (Gemma's whitespace runs, `<start_of_turn>`)
//! are matched in the raw text first, longest first, as HF tokenizers matches its added tokens. The
//! tests check this against the model's published `tokenizer.json` over all FLORES languages.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::path::{Path, PathBuf};

use aho_corasick::{AhoCorasick, MatchKind};
use candle_core::quantized::gguf_file::Value;

use crate::ModelError;
use crate::gguf::GgufFile;

const TYPE_CONTROL: i32 = 3;
const TYPE_USER_DEFINED: i32 = 4;
const TYPE_BYTE: i32 = 6;

/// A SentencePiece-style vocabulary read from GGUF metadata.
pub struct GgufSpm {
    pieces: Vec<String>,
    lookup: HashMap<String, (u32, f32)>,
    /// Control and user-defined tokens, matched before merging (leftmost, then longest).
    specials: Option<(AhoCorasick, Vec<u32>)>,
    byte_ids: [Option<u32>; 256],
    unk: Option<u32>,
    add_space_prefix: bool,
}

impl GgufSpm {
    /// Reads `tokenizer.ggml.*` from a GGUF file; only the `llama` (SentencePiece) model is supported.
    pub fn from_gguf(file: &GgufFile) -> Result<GgufSpm, ModelError> {
        let model = file.string("tokenizer.ggml.model")?;
        if model != "llama" {
            return Err(ModelError::Unsupported {
                path: file.path().to_path_buf(),
                what: format!(
                    "GGUF tokenizer model {model:?}: xling reads only \"llama\" (SentencePiece) \
                     vocabularies from GGUF; pass --tokenizer tokenizer.json"
                ),
            });
        }
        let tokens = file.array("tokenizer.ggml.tokens")?;
        let scores = file.array("tokenizer.ggml.scores").unwrap_or(&[]);
        let types = file.array("tokenizer.ggml.token_type").unwrap_or(&[]);
        let mut pieces = Vec::with_capacity(tokens.len());
        let mut lookup = HashMap::with_capacity(tokens.len());
        let mut specials = Vec::new();
        let mut byte_ids = [None; 256];
        for (i, tok) in tokens.iter().enumerate() {
            let piece = match tok {
                Value::String(s) => s.clone(),
                _ => {
                    return Err(ModelError::Format {
                        path: file.path().to_path_buf(),
                        expected: "string entries in tokenizer.ggml.tokens",
                        reason: format!("entry {i} is not a string"),
                    });
                }
            };
            let id = u32::try_from(i).map_err(|_| ModelError::Format {
                path: file.path().to_path_buf(),
                expected: "a vocabulary below 2^32 entries",
                reason: format!("{} entries", tokens.len()),
            })?;
            let score = match scores.get(i) {
                Some(Value::F32(s)) => *s,
                _ => 0.0,
            };
            let ty = match types.get(i) {
                Some(Value::I32(t)) => *t,
                Some(Value::U32(t)) => i32::try_from(*t).unwrap_or(1),
                _ => 1,
            };
            match ty {
                TYPE_CONTROL | TYPE_USER_DEFINED if !piece.is_empty() => {
                    specials.push((piece.clone(), id));
                }
                TYPE_BYTE => {
                    if let Some(b) = byte_piece(&piece) {
                        byte_ids[usize::from(b)] = Some(id);
                    }
                }
                _ => {}
            }
            lookup.entry(piece.clone()).or_insert((id, score));
            pieces.push(piece);
        }
        let specials = if specials.is_empty() {
            None
        } else {
            let matcher = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(specials.iter().map(|(s, _)| s.as_str()))
                .map_err(|e| ModelError::Format {
                    path: file.path().to_path_buf(),
                    expected: "a buildable set of special tokens",
                    reason: e.to_string(),
                })?;
            Some((matcher, specials.into_iter().map(|(_, id)| id).collect()))
        };
        let unk = file
            .usize("tokenizer.ggml.unknown_token_id")
            .ok()
            .and_then(|u| u32::try_from(u).ok());
        Ok(GgufSpm {
            pieces,
            lookup,
            specials,
            byte_ids,
            unk,
            add_space_prefix: file.bool_or("tokenizer.ggml.add_space_prefix", true)?,
        })
    }

    /// Number of ids.
    pub fn vocab_size(&self) -> usize {
        self.pieces.len()
    }

    /// The piece for an id.
    pub fn piece(&self, id: u32) -> Option<&str> {
        self.pieces.get(id as usize).map(String::as_str)
    }

    /// The id of a piece written exactly so (`<end_of_turn>`), if the vocabulary has it.
    pub fn id_of(&self, piece: &str) -> Option<u32> {
        self.lookup.get(piece).map(|&(id, _)| id)
    }

    /// Encodes text (no BOS/EOS).
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let mut out = Vec::new();
        let mut done = 0;
        if let Some((matcher, ids)) = &self.specials {
            for m in matcher.find_iter(text) {
                if m.start() > done {
                    self.encode_plain(&text[done..m.start()], done == 0, &mut out);
                }
                out.push(ids[m.pattern().as_usize()]);
                done = m.end();
            }
        }
        if done < text.len() {
            self.encode_plain(&text[done..], done == 0, &mut out);
        }
        out
    }

    fn encode_plain(&self, text: &str, first: bool, out: &mut Vec<u32>) {
        let mut escaped = String::with_capacity(text.len() + 3);
        if self.add_space_prefix && first {
            escaped.push('\u{2581}');
        }
        for c in text.chars() {
            escaped.push(if c == ' ' { '\u{2581}' } else { c });
        }
        let s = escaped.as_str();
        // Symbols as byte ranges, in a doubly linked list.
        let mut start: Vec<usize> = Vec::new();
        let mut len: Vec<usize> = Vec::new();
        for (i, c) in s.char_indices() {
            start.push(i);
            len.push(c.len_utf8());
        }
        let n = start.len();
        let mut prev: Vec<Option<usize>> = (0..n).map(|i| i.checked_sub(1)).collect();
        let mut next: Vec<Option<usize>> = (0..n).map(|i| (i + 1 < n).then_some(i + 1)).collect();
        let mut heap = BinaryHeap::new();
        let push =
            |heap: &mut BinaryHeap<Bigram>, l: usize, r: usize, start: &[usize], len: &[usize]| {
                let text = &s[start[l]..start[r] + len[r]];
                if let Some(&(_, score)) = self.lookup.get(text) {
                    heap.push(Bigram {
                        score,
                        left: l,
                        right: r,
                        size: text.len(),
                    });
                }
            };
        for i in 1..n {
            push(&mut heap, i - 1, i, &start, &len);
        }
        while let Some(b) = heap.pop() {
            // Stale: one side was merged away since this bigram was pushed.
            if len[b.left] == 0 || len[b.right] == 0 || len[b.left] + len[b.right] != b.size {
                continue;
            }
            len[b.left] += len[b.right];
            len[b.right] = 0;
            next[b.left] = next[b.right];
            if let Some(nr) = next[b.right] {
                prev[nr] = Some(b.left);
            }
            if let Some(p) = prev[b.left] {
                push(&mut heap, p, b.left, &start, &len);
            }
            if let Some(nx) = next[b.left] {
                push(&mut heap, b.left, nx, &start, &len);
            }
        }
        let mut i = (n > 0).then_some(0);
        while let Some(k) = i {
            let piece = &s[start[k]..start[k] + len[k]];
            match self.lookup.get(piece) {
                Some(&(id, _)) => out.push(id),
                None => {
                    for b in piece.bytes() {
                        match (self.byte_ids[usize::from(b)], self.unk) {
                            (Some(id), _) | (None, Some(id)) => out.push(id),
                            (None, None) => {}
                        }
                    }
                }
            }
            i = next[k];
        }
    }
}

#[derive(Debug)]
struct Bigram {
    score: f32,
    left: usize,
    right: usize,
    size: usize,
}

impl PartialEq for Bigram {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Bigram {}
impl PartialOrd for Bigram {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Bigram {
    /// Max-heap order: higher score first, then the leftmost pair.
    fn cmp(&self, other: &Self) -> Ordering {
        self.score
            .total_cmp(&other.score)
            .then_with(|| other.left.cmp(&self.left))
    }
}

fn byte_piece(piece: &str) -> Option<u8> {
    let hex = piece.strip_prefix("<0x")?.strip_suffix('>')?;
    u8::from_str_radix(hex, 16).ok()
}

/// The tokenizer a model runs with.
pub enum ModelTokenizer {
    /// The vocabulary embedded in the GGUF file.
    Gguf(Box<GgufSpm>),
    /// An external tokenizer (a `tokenizer.json`), loaded by xling-tokenize.
    External {
        /// The tokenizer.
        inner: Box<dyn xling_tokenize::Tokenizer>,
        /// Where it came from.
        path: PathBuf,
    },
}

impl ModelTokenizer {
    /// Loads an external tokenizer file.
    pub fn from_file(path: &Path) -> Result<ModelTokenizer, ModelError> {
        let spec = path.to_string_lossy();
        let inner = xling_tokenize::load(&spec).map_err(|e| ModelError::Tokenizer {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        Ok(ModelTokenizer::External {
            inner,
            path: path.to_path_buf(),
        })
    }

    /// Number of ids.
    pub fn vocab_size(&self) -> usize {
        match self {
            ModelTokenizer::Gguf(s) => s.vocab_size(),
            ModelTokenizer::External { inner, .. } => inner.vocab_size(),
        }
    }

    /// A short description for signatures (`gguf-spm`, `json:1a2b3c4d`).
    pub fn identity(&self) -> String {
        match self {
            ModelTokenizer::Gguf(_) => "gguf-spm".to_string(),
            ModelTokenizer::External { inner, .. } => inner.identity(),
        }
    }

    /// Encodes text without special tokens.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, ModelError> {
        match self {
            ModelTokenizer::Gguf(s) => Ok(s.encode(text)),
            ModelTokenizer::External { inner, path } => {
                inner
                    .encode(text)
                    .map(|e| e.ids)
                    .map_err(|e| ModelError::Tokenizer {
                        path: path.clone(),
                        reason: e.to_string(),
                    })
            }
        }
    }

    /// The text of one token id, when the tokenizer can say (for generation output).
    pub fn decode_token(&self, id: u32) -> Option<Vec<u8>> {
        match self {
            ModelTokenizer::Gguf(s) => {
                let p = s.piece(id)?;
                Some(match byte_piece(p) {
                    Some(b) if s.byte_ids[usize::from(b)] == Some(id) => vec![b],
                    _ => p.replace('\u{2581}', " ").into_bytes(),
                })
            }
            ModelTokenizer::External { inner, .. } => inner.token_bytes(id),
        }
    }
}
