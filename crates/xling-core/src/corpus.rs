//! Corpora (stub).
/// A corpus.
pub struct Corpus;
/// Corpus errors.
#[derive(Debug, thiserror::Error)]
#[error("corpus error")]
pub struct CorpusError;
