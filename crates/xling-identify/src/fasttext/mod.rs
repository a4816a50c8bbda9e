//! Pure-Rust inference for supervised fastText models (Joulin et al. 2017): the `.bin` files
//! `fasttext supervised` writes and the `.ftz` files `fasttext quantize` writes (product-quantized input
//! matrix, pruned n-grams, optionally quantized norms and output matrix), with softmax, hierarchical
//! softmax, one-vs-all and negative-sampling losses. lid.176.ftz, GlotLID and OpenLID are such models.
//!
//! Predictions equal the `fasttext` Python package's (0.9.2): the same tokens (split at ASCII
//! whitespace and NUL, the end-of-sentence token `</s>` appended), the same character and word n-gram
//! hashes, the same `f32` arithmetic in the same order, the same `log(p + 1e-5)` scores, the same
//! pruning of the hierarchical-softmax search and the same heap order among equal scores. Probabilities
//! are what the Python package returns (`exp` of the score, i.e. `p + 1e-5` for softmax).
//!
//! File layout (native little-endian): magic `793712314` (`i32`), version (`i32`, 11 or 12), the
//! training arguments (12 `i32` and one `f64`), the dictionary (sizes, then NUL-terminated entries with
//! an `i64` count and a type byte, then the pruned n-gram index), a quantized flag, the input matrix, a
//! quantized-output flag and the output matrix.

mod dictionary;
mod matrix;
mod read;

use dictionary::{Dictionary, Scratch};
use matrix::Matrix;
use read::Reader;

/// The first four bytes of every fastText model file (`i32` 793712314, little-endian).
pub const MAGIC: [u8; 4] = 793_712_314_i32.to_le_bytes();
/// The newest file format version this reader knows.
const VERSION: i32 = 12;

/// What is wrong with a fastText model file.
#[derive(Debug, thiserror::Error)]
pub enum FastTextError {
    /// The file does not start with fastText's magic number.
    #[error(
        "not a fastText model: expected the magic number 793712314 (bytes ba 16 4f 2f) at the start of the file"
    )]
    Magic,
    /// A format version this reader does not know.
    #[error("fastText model format version {0}, expected 11 or 12")]
    Version(i32),
    /// The file ends before a part it announces.
    #[error(
        "truncated fastText model: {what} needs {need} bytes at byte offset {offset}, but the file has {have} left"
    )]
    Truncated {
        /// The part being read.
        what: &'static str,
        /// Where it starts.
        offset: usize,
        /// Bytes it needs.
        need: usize,
        /// Bytes the file still had.
        have: usize,
    },
    /// Sizes or values that cannot belong to a valid model.
    #[error("invalid fastText model: {0}")]
    Invalid(String),
    /// A word-vector model (`skipgram`/`cbow`), which has no labels to predict.
    #[error(
        "a fastText {0} model (word vectors) has no labels: expected a supervised classifier (`fasttext supervised`)"
    )]
    NotSupervised(&'static str),
}

/// The loss a model was trained with; it decides how label probabilities are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loss {
    /// Hierarchical softmax over a Huffman tree of the labels (lid.176).
    HierarchicalSoftmax,
    /// Negative sampling (independent sigmoids at prediction time).
    NegativeSampling,
    /// Softmax.
    Softmax,
    /// One-vs-all (independent sigmoids).
    OneVsAll,
}

/// The training arguments stored in a model file (only the ones inference needs are used).
#[derive(Debug, Clone)]
pub(crate) struct Args {
    pub(crate) word_ngrams: i32,
    pub(crate) loss: Loss,
    pub(crate) bucket: i32,
    pub(crate) minn: i32,
    pub(crate) maxn: i32,
}

impl Args {
    fn load(r: &mut Reader<'_>, version: i32) -> Result<Self, FastTextError> {
        const WHAT: &str = "the training arguments";
        let _dim = r.i32(WHAT)?;
        let _ws = r.i32(WHAT)?;
        let _epoch = r.i32(WHAT)?;
        let _min_count = r.i32(WHAT)?;
        let _neg = r.i32(WHAT)?;
        let word_ngrams = r.i32(WHAT)?;
        let loss = match r.i32(WHAT)? {
            1 => Loss::HierarchicalSoftmax,
            2 => Loss::NegativeSampling,
            3 => Loss::Softmax,
            4 => Loss::OneVsAll,
            l => {
                return Err(FastTextError::Invalid(format!(
                    "unknown loss {l}, expected 1 (hs), 2 (ns), 3 (softmax) or 4 (ova)"
                )));
            }
        };
        match r.i32(WHAT)? {
            1 => return Err(FastTextError::NotSupervised("cbow")),
            2 => return Err(FastTextError::NotSupervised("skipgram")),
            3 => {}
            m => {
                return Err(FastTextError::Invalid(format!(
                    "unknown model kind {m}, expected 3 (supervised)"
                )));
            }
        }
        let bucket = r.i32(WHAT)?;
        let minn = r.i32(WHAT)?;
        let mut maxn = r.i32(WHAT)?;
        let _lr_update_rate = r.i32(WHAT)?;
        let _t = r.f64(WHAT)?;
        if bucket < 0 || minn < 0 || maxn < 0 {
            return Err(FastTextError::Invalid(format!(
                "negative n-gram settings (bucket {bucket}, minn {minn}, maxn {maxn})"
            )));
        }
        if version == 11 {
            // Version-11 supervised models were trained without character n-grams.
            maxn = 0;
        }
        Ok(Args {
            word_ngrams,
            loss,
            bucket,
            minn,
            maxn,
        })
    }
}

/// A node of the hierarchical-softmax tree (leaves are the labels, in label order).
#[derive(Debug, Clone, Copy)]
struct Node {
    left: i32,
    right: i32,
    count: i64,
}

/// Huffman tree over the label counts, built the way fastText builds it (labels sorted by
/// decreasing count; ties go to the leaf side).
fn build_tree(counts: &[i64]) -> Vec<Node> {
    let osz = counts.len();
    let mut tree = vec![
        Node {
            left: -1,
            right: -1,
            count: 1_000_000_000_000_000,
        };
        2 * osz - 1
    ];
    for (n, &c) in tree.iter_mut().zip(counts) {
        n.count = c;
    }
    let mut leaf = osz as isize - 1;
    let mut node = osz;
    for i in osz..2 * osz - 1 {
        let mut mini = [0usize; 2];
        for m in &mut mini {
            // `node < i`: only nodes already built can be picked (a file with unsorted counts must
            // not make the search reach an unbuilt node).
            if leaf >= 0 && (node >= i || tree[leaf as usize].count < tree[node].count) {
                *m = leaf as usize;
                leaf -= 1;
            } else {
                *m = node;
                node += 1;
            }
        }
        tree[i].left = mini[0] as i32;
        tree[i].right = mini[1] as i32;
        tree[i].count = tree[mini[0]].count.saturating_add(tree[mini[1]].count);
    }
    tree
}

/// `log(x + 1e-5)`, computed in `f64` and rounded to `f32` as fastText does.
#[inline]
fn std_log(x: f32) -> f32 {
    (f64::from(x) + 1e-5).ln() as f32
}

/// fastText's sigmoid lookup table (512 steps over [−8, 8]), used by the binary-logistic losses.
fn sigmoid_table() -> Vec<f32> {
    (0..=512)
        .map(|i| {
            let x = (i * 16) as f32 / 512.0 - 8.0;
            (1.0 / (1.0 + f64::from((-x).exp()))) as f32
        })
        .collect()
}

// The heap of (score, label) pairs ordered by `a.0 > b.0`, with the exact steps of the C++ standard
// library's push/pop/sort_heap (GNU libstdc++), so that labels with equal scores come out in the same
// order as the reference implementation's.
type Pair = (f32, usize);

#[inline]
fn before(a: &Pair, b: &Pair) -> bool {
    a.0 > b.0
}

fn sift_up(h: &mut [Pair], mut hole: usize, top: usize, value: Pair) {
    while hole > top {
        let parent = (hole - 1) / 2;
        if !before(&h[parent], &value) {
            break;
        }
        h[hole] = h[parent];
        hole = parent;
    }
    h[hole] = value;
}

fn adjust(h: &mut [Pair], mut hole: usize, len: usize, value: Pair) {
    let top = hole;
    let mut second = hole;
    while second < (len - 1) / 2 {
        second = 2 * (second + 1);
        if before(&h[second], &h[second - 1]) {
            second -= 1;
        }
        h[hole] = h[second];
        hole = second;
    }
    if len.is_multiple_of(2) && second == (len - 2) / 2 {
        second = 2 * (second + 1);
        h[hole] = h[second - 1];
        hole = second - 1;
    }
    sift_up(h, hole, top, value);
}

fn push_heap(h: &mut [Pair]) {
    let last = h.len() - 1;
    let value = h[last];
    sift_up(h, last, 0, value);
}

fn pop_heap(h: &mut [Pair]) {
    let n = h.len();
    if n > 1 {
        let value = h[n - 1];
        h[n - 1] = h[0];
        adjust(h, 0, n - 1, value);
    }
}

fn sort_heap(h: &mut [Pair]) {
    let mut last = h.len();
    while last > 1 {
        last -= 1;
        let value = h[last];
        h[last] = h[0];
        adjust(h, 0, last, value);
    }
}

/// Adds a candidate to a heap that keeps the `k` best.
#[inline]
fn offer(heap: &mut Vec<Pair>, k: usize, p: Pair) {
    heap.push(p);
    push_heap(heap);
    if heap.len() > k {
        pop_heap(heap);
        heap.pop();
    }
}

/// A supervised fastText model, ready to predict.
#[derive(Debug, Clone)]
pub struct FastText {
    version: i32,
    args: Args,
    dict: Dictionary,
    input: Matrix,
    output: Matrix,
    qout: bool,
    tree: Vec<Node>,
    sigmoid: Vec<f32>,
    raw_labels: Vec<String>,
    labels: Vec<String>,
}

/// Whether `bytes` start like a fastText model file.
pub fn is_fasttext(bytes: &[u8]) -> bool {
    bytes.starts_with(&MAGIC)
}

impl FastText {
    /// Reads a model from the bytes of a `.bin` or `.ftz` file. Labels are kept as in the file
    /// (`__label__en`) in [`FastText::raw_labels`], and mapped to xling language codes where the
    /// registry knows them in [`FastText::labels`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, FastTextError> {
        let mut r = Reader::new(bytes);
        if !is_fasttext(bytes) {
            return Err(FastTextError::Magic);
        }
        r.take(4, "the magic number")?;
        let version = r.i32("the format version")?;
        if !(11..=VERSION).contains(&version) {
            return Err(FastTextError::Version(version));
        }
        let args = Args::load(&mut r, version)?;
        let dict = Dictionary::load(&mut r, &args)?;
        if dict.nlabels == 0 {
            return Err(FastTextError::Invalid(
                "the dictionary has no labels".into(),
            ));
        }
        let quant_input = r.bool("the quantized-input flag")?;
        let input = Matrix::load(&mut r, quant_input, "the input matrix")?;
        let qout = r.bool("the quantized-output flag")?;
        let output = Matrix::load(&mut r, quant_input && qout, "the output matrix")?;
        let dim = input.cols();
        if output.cols() != dim {
            return Err(FastTextError::Invalid(format!(
                "input rows have {dim} values but output rows {}",
                output.cols()
            )));
        }
        if input.rows() < dict.rows_needed() {
            return Err(FastTextError::Invalid(format!(
                "the input matrix has {} rows, the dictionary needs {}",
                input.rows(),
                dict.rows_needed()
            )));
        }
        let out_rows = match args.loss {
            Loss::HierarchicalSoftmax => dict.nlabels - 1,
            _ => dict.nlabels,
        };
        if output.rows() < out_rows {
            return Err(FastTextError::Invalid(format!(
                "the output matrix has {} rows for {} labels",
                output.rows(),
                dict.nlabels
            )));
        }
        let tree = match args.loss {
            Loss::HierarchicalSoftmax => build_tree(&dict.label_counts()),
            _ => Vec::new(),
        };
        let raw_labels: Vec<String> = dict.entries[dict.nwords..]
            .iter()
            .map(|e| String::from_utf8_lossy(&e.word).into_owned())
            .collect();
        let labels = raw_labels.iter().map(|l| xling_label(l)).collect();
        Ok(FastText {
            version,
            args,
            dict,
            input,
            output,
            qout,
            tree,
            sigmoid: sigmoid_table(),
            raw_labels,
            labels,
        })
    }

    /// Labels as stored in the model (`__label__en`).
    pub fn raw_labels(&self) -> &[String] {
        &self.raw_labels
    }

    /// Labels mapped to xling language codes (`__label__en` → `eng_Latn`); labels the registry does not
    /// know are kept as they are.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Gives the labels as they are in the file from now on ([`FastText::labels`] returns
    /// [`FastText::raw_labels`]).
    pub fn use_raw_labels(&mut self) {
        self.labels = self.raw_labels.clone();
    }

    /// The training loss.
    pub fn loss(&self) -> Loss {
        self.args.loss
    }

    /// Vector size.
    pub fn dim(&self) -> usize {
        self.input.cols()
    }

    /// Words in the dictionary.
    pub fn words(&self) -> usize {
        self.dict.nwords
    }

    /// Whether the input matrix is product-quantized (a `.ftz` file), and the output matrix too.
    pub fn quantized(&self) -> (bool, bool) {
        (matches!(self.input, Matrix::Quant(_)), self.qout)
    }

    /// File format version (11 or 12).
    pub fn version(&self) -> i32 {
        self.version
    }

    /// The sentence vector: the mean of the input rows of the text's features; `None` when the text
    /// has no feature at all.
    fn hidden(&self, text: &str) -> Option<Vec<f32>> {
        let mut scratch = Scratch::default();
        let mut hidden = vec![0.0f32; self.dim()];
        // Rows are added as the features are found, in fastText's order (the same sums).
        let mut n = 0usize;
        self.dict.line_features(text, &mut scratch, |f| {
            self.input.add_row(&mut hidden, f as usize);
            n += 1;
        });
        if n == 0 {
            return None;
        }
        let scale = (1.0f64 / n as f64) as f32;
        for h in &mut hidden {
            *h *= scale;
        }
        Some(hidden)
    }

    /// Output-layer values of the flat losses: softmax probabilities, or per-label sigmoids.
    fn flat_output(&self, hidden: &[f32]) -> Vec<f32> {
        let n = self.dict.nlabels;
        let mut out: Vec<f32> = (0..n).map(|i| self.output.dot_row(hidden, i)).collect();
        match self.args.loss {
            Loss::Softmax => {
                let mut max = out[0];
                for &o in &out {
                    if max < o {
                        max = o;
                    }
                }
                let mut z = 0.0f32;
                for o in &mut out {
                    *o = f64::from(*o - max).exp() as f32;
                    z += *o;
                }
                for o in &mut out {
                    *o /= z;
                }
            }
            _ => {
                for o in &mut out {
                    *o = if *o < -8.0 {
                        0.0
                    } else if *o > 8.0 {
                        1.0
                    } else {
                        self.sigmoid[((*o + 8.0) * 512.0 / 8.0 / 2.0) as usize]
                    };
                }
            }
        }
        out
    }

    /// The probability that a hierarchical-softmax node branches right: `1. / (1 + exp(-x))` with
    /// the sum rounded to `f32` before the division, as fastText's mixed `int`/`float`/`double`
    /// expression does.
    #[inline]
    fn branch(&self, hidden: &[f32], node: usize) -> f32 {
        let x = self.output.dot_row(hidden, node - self.dict.nlabels);
        let sum: f32 = 1.0 + (-x).exp();
        (1.0 / f64::from(sum)) as f32
    }

    #[allow(clippy::too_many_arguments)]
    fn dfs(
        &self,
        k: usize,
        log_threshold: f32,
        node: usize,
        score: f32,
        heap: &mut Vec<Pair>,
        hidden: &[f32],
    ) {
        if score < log_threshold || (heap.len() == k && score < heap[0].0) {
            return;
        }
        let n = self.tree[node];
        if n.left == -1 && n.right == -1 {
            offer(heap, k, (score, node));
            return;
        }
        let f = self.branch(hidden, node);
        let left = std_log((1.0f64 - f64::from(f)) as f32);
        let right = std_log(f);
        self.dfs(
            k,
            log_threshold,
            n.left as usize,
            score + left,
            heap,
            hidden,
        );
        self.dfs(
            k,
            log_threshold,
            n.right as usize,
            score + right,
            heap,
            hidden,
        );
    }

    /// The `k` best labels of one line with probability at least `threshold`, best first, as the
    /// Python package's `model.predict(text, k, threshold)` gives them: `(label index, probability)`.
    /// Text after a newline is ignored (fastText reads one line). A text with no feature gives nothing.
    pub fn predict_with_threshold(
        &self,
        text: &str,
        k: usize,
        threshold: f32,
    ) -> Vec<(usize, f32)> {
        if k == 0 {
            return Vec::new();
        }
        let Some(hidden) = self.hidden(text) else {
            return Vec::new();
        };
        let mut heap: Vec<Pair> = Vec::with_capacity(k + 1);
        match self.args.loss {
            Loss::HierarchicalSoftmax => {
                let root = 2 * self.dict.nlabels - 2;
                self.dfs(k, std_log(threshold), root, 0.0, &mut heap, &hidden);
            }
            _ => {
                for (i, &p) in self.flat_output(&hidden).iter().enumerate() {
                    if p < threshold {
                        continue;
                    }
                    let s = std_log(p);
                    if heap.len() == k && s < heap[0].0 {
                        continue;
                    }
                    offer(&mut heap, k, (s, i));
                }
            }
        }
        sort_heap(&mut heap);
        heap.into_iter().map(|(s, i)| (i, s.exp())).collect()
    }

    /// The `k` best labels of one line, best first (no threshold).
    pub fn predict(&self, text: &str, k: usize) -> Vec<(usize, f32)> {
        self.predict_with_threshold(text, k, 0.0)
    }

    /// The probability of every label, in label order (0 for a text without features). For
    /// hierarchical softmax, each leaf's product of branch probabilities.
    pub fn probabilities(&self, text: &str) -> Vec<f32> {
        let n = self.dict.nlabels;
        let Some(hidden) = self.hidden(text) else {
            return vec![0.0; n];
        };
        match self.args.loss {
            Loss::HierarchicalSoftmax => {
                let mut p = vec![0.0f32; n];
                let mut stack = vec![(2 * n - 2, 1.0f32)];
                while let Some((node, prob)) = stack.pop() {
                    let t = self.tree[node];
                    if t.left == -1 {
                        p[node] = prob;
                        continue;
                    }
                    let f = self.branch(&hidden, node);
                    stack.push((t.left as usize, prob * (1.0 - f)));
                    stack.push((t.right as usize, prob * f));
                }
                p
            }
            _ => self.flat_output(&hidden),
        }
    }
}

/// The xling code of a fastText label: the `__label__` prefix dropped, then resolved through the
/// language registry by code (ISO 639-1/3, BCP-47, FLORES-style `eng_Latn`, macrolanguage default).
/// Labels the registry does not resolve by code are kept unchanged. lid.176 uses Wikipedia's codes,
/// one of which means another language in ISO 639-3: `als` is Alemannic (ISO `gsw`), not Tosk Albanian.
pub fn xling_label(raw: &str) -> String {
    use xling_core::lang::MatchKind;
    let code = raw.strip_prefix("__label__").unwrap_or(raw);
    let code = match code {
        "als" => "gsw",
        c => c,
    };
    match xling_core::registry().resolve(code) {
        Ok(r) if r.matched != MatchKind::Name => r.lang.code.clone(),
        _ => raw.to_string(),
    }
}
