//! # xling-metrics
//!
//! Machine-translation metrics that give **the same numbers and signatures as sacrebleu 2.6.0**, fast.
//! This crate owns:
//!
//! - [`bleu`]: BLEU with sacrebleu's tokenizers ([`tokenize`]: `13a`, `intl`, `zh` with its range quirk,
//!   `char`, `none`; [`spm`]: `flores101`, `flores200`, `spm`, `spBLEU-1K` on a given model file),
//!   smoothing (`exp`, `floor`, `add-k`, `none`), effective order, lowercasing, multiple references,
//!   corpus and sentence level, sufficient statistics;
//! - [`chrf`]: chrF and chrF++ (character and word orders, β, whitespace, ε smoothing, best-F reference);
//! - [`ter`]: TER with Tercom's shift search and sacrebleu's limits and tokenizer options;
//! - [`correlation`]: Pearson, Spearman and Kendall τ-b equal to SciPy's, with percentile bootstrap
//!   confidence intervals (= `scipy.stats.bootstrap`);
//! - [`agreement`]: percentage agreement, Cohen's κ (unweighted, linear, quadratic; = scikit-learn) and
//!   Krippendorff's α (nominal, ordinal, interval, ratio; = the `krippendorff` package);
//! - [`bootstrap`]: sacrebleu's bootstrap confidence intervals (seed 12345, float32 resample sums);
//! - [`nprand`]: NumPy's `default_rng` (SeedSequence, PCG64, bounded integers) bit for bit, for
//!   sacrebleu-identical resampling;
//! - [`qa`]: exact match and token F1 with SQuAD v1.1 and MLQA (seven languages) normalisation;
//! - [`rouge`]: ROUGE-L equal to `rouge-score` 0.1.2;
//! - [`wer`]: word and character error rates equal to `jiwer` 4.0.0;
//! - [`score`]: sacrebleu's signatures (long and short forms) and its text/JSON score formats.
//!
//! Every metric works on segment statistics that sum to corpus statistics, as in sacrebleu, so the
//! same statistics serve corpus scores and resampling. Nothing here prints, exits or reads files; the
//! `xling score` verb does.

pub mod agreement;
pub mod bleu;
pub mod bootstrap;
pub mod chrf;
pub mod correlation;
mod ngram;
pub mod nprand;
pub mod pystr;
pub mod qa;
pub mod rouge;
pub mod score;
pub mod spm;
pub mod ter;
pub mod tokenize;
pub mod wer;

pub use bleu::{Bleu, BleuScore, BleuStats, Smooth};
pub use chrf::Chrf;
pub use score::{MetricSignature, SACREBLEU_VERSION, Score};
pub use ter::{Ter, TerStats};
pub use tokenize::Tokenizer;

/// Errors of metric configuration and input shape.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// A tokenizer name sacrebleu does not know.
    #[error("unknown tokenizer '{name}' (valid: {valid})")]
    UnknownTokenizer {
        /// The name given.
        name: String,
        /// The valid names.
        valid: String,
    },
    /// A sacrebleu tokenizer that needs MeCab and a dictionary, which xling does not have.
    #[error(
        "tokenizer '{name}' needs {needs}; xling has no MeCab and no dictionary, so it is not available \
         (available: {valid}; for Japanese and Korean spBLEU use --tokenize flores200 --spm-model PATH)"
    )]
    UnsupportedTokenizer {
        /// The name given.
        name: String,
        /// What it needs.
        needs: &'static str,
        /// The valid names.
        valid: String,
    },
    /// A SentencePiece tokenizer asked for without its model file.
    #[error(
        "tokenizer '{name}' needs its SentencePiece model file: pass --spm-model PATH (xling does not \
         download models; sacrebleu keeps this one as ~/.sacrebleu/models/{file})"
    )]
    SpmModelRequired {
        /// The tokenizer name.
        name: String,
        /// sacrebleu's file name of the model.
        file: &'static str,
    },
    /// A SentencePiece model given with a tokenizer that does not use one.
    #[error(
        "--spm-model {} is only used by the SentencePiece tokenizers (flores101, flores200, spm, spBLEU-1K), not by '{name}'",
        path.display()
    )]
    SpmModelUnused {
        /// The tokenizer name.
        name: String,
        /// The model file given.
        path: std::path::PathBuf,
    },
    /// A SentencePiece model file that cannot be used.
    #[error("SentencePiece model {}: {reason}", path.display())]
    SpmModel {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A smoothing method sacrebleu does not know.
    #[error("unknown smoothing method '{name}' (valid: {valid})")]
    UnknownSmoothMethod {
        /// The name given.
        name: String,
        /// The valid names.
        valid: String,
    },
    /// A language code that MLQA's evaluation does not know.
    #[error("unknown MLQA language '{name}' (valid: {valid})")]
    UnknownQaLanguage {
        /// The code given.
        name: String,
        /// The valid codes.
        valid: String,
    },
    /// A metric name that is not implemented.
    #[error("unknown metric '{name}' (valid: {valid})")]
    UnknownMetric {
        /// The name given.
        name: String,
        /// The valid names.
        valid: String,
    },
    /// No reference stream.
    #[error("no references given")]
    NoReferences,
    /// A reference stream whose length differs from the hypotheses'.
    #[error("reference stream {index} has {got} segments but the hypotheses have {expected}")]
    LengthMismatch {
        /// 0-based index of the reference stream.
        index: usize,
        /// Its number of segments.
        got: usize,
        /// The number of hypotheses.
        expected: usize,
    },
}

/// Checks that there is at least one reference stream and each has `n` segments.
pub(crate) fn check_lengths<R>(n: usize, refs: &[Vec<R>]) -> Result<(), MetricsError> {
    if refs.is_empty() {
        return Err(MetricsError::NoReferences);
    }
    for (index, r) in refs.iter().enumerate() {
        if r.len() != n {
            return Err(MetricsError::LengthMismatch {
                index,
                got: r.len(),
                expected: n,
            });
        }
    }
    Ok(())
}

/// Maps `f` over segment indices `0..n`, results in order, with per-worker scratch space. Segments are
/// independent, so large corpora are split over rayon's threads; the caller sums the results in order,
/// so scores do not depend on the number of threads.
pub(crate) fn par_map_segments<T: Send, S>(
    n: usize,
    scratch: impl Fn() -> S + Sync + Send,
    f: impl Fn(&mut S, usize) -> T + Sync + Send,
) -> Vec<T> {
    use rayon::prelude::*;
    const MIN_PARALLEL: usize = 512;
    if n < MIN_PARALLEL || rayon::current_num_threads() < 2 {
        let mut sc = scratch();
        return (0..n).map(|i| f(&mut sc, i)).collect();
    }
    (0..n)
        .into_par_iter()
        .with_min_len(64)
        .map_init(&scratch, |sc, i| f(sc, i))
        .collect()
}
