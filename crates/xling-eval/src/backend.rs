//! Backends: what answers requests. A request is either the log-likelihood of a continuation after a
//! context, or a generation after a prompt. Backends report each answer as it arrives, so a run can
//! store it at once and lose nothing when interrupted.

use serde::{Deserialize, Serialize};

use crate::EvalError;

/// One request to a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    /// Sum of the log-probabilities of `continuation`'s tokens after `context` (empty context: after
    /// BOS only, the unconditional probability).
    Loglikelihood {
        /// The prompt.
        context: String,
        /// The text to score.
        continuation: String,
    },
    /// Greedy generation after `prompt`, cut before the first stop string.
    Generate {
        /// The prompt.
        prompt: String,
        /// Stop strings.
        until: Vec<String>,
        /// Maximum new tokens.
        max_tokens: usize,
    },
}

/// A backend's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Response {
    /// The answer to [`Request::Loglikelihood`].
    Loglikelihood {
        /// Summed log-probability (natural log).
        logprob: f64,
        /// Whether every continuation token is the most probable one.
        is_greedy: bool,
        /// Continuation tokens scored.
        tokens: usize,
    },
    /// The answer to [`Request::Generate`].
    Generate {
        /// The generated text, cut before the first stop string.
        text: String,
        /// Tokens generated.
        tokens: usize,
    },
}

/// Receives each answer as soon as it exists: `(index into the requests, answer)`. Returning an error
/// stops the backend.
pub type Sink<'a> = dyn Fn(usize, Response) -> Result<(), EvalError> + Sync + 'a;

/// Something that answers requests: the local runtime or an HTTP endpoint.
pub trait Backend: Sync {
    /// A stable identity for cache keys and signatures (`local:gemma-3-270m:253113024:d642f8ad`).
    fn identity(&self) -> String;
    /// lm-evaluation-harness's `model` and `model_args` for the results file.
    fn model_args(&self) -> (String, String);
    /// Whether the backend can score log-likelihoods (chat endpoints cannot).
    fn can_loglikelihood(&self) -> bool;
    /// Whether it can score a continuation with an empty context (after BOS only), which PMI
    /// normalisation needs. Text-prompt endpoints cannot: they return no log-probability for the
    /// first token of a prompt.
    fn can_score_unconditional(&self) -> bool {
        self.can_loglikelihood()
    }
    /// Answers `requests`, calling `sink` for each as it completes (in any order). On error, the
    /// answers already given to `sink` stand.
    fn run(&self, requests: &[Request], sink: &Sink<'_>) -> Result<(), EvalError>;
}

/// Turns text into the model's token ids (for backends that tokenize on the client side).
pub trait Encoder: Sync {
    /// Ids of `text`, without BOS.
    fn encode(&self, text: &str) -> Result<Vec<u32>, EvalError>;
    /// The BOS id the model expects first, if any.
    fn bos(&self) -> Option<u32>;
}

/// Splits a log-likelihood request into context and continuation ids the way lm-evaluation-harness
/// does: trailing spaces of the context move to the continuation; the continuation's ids are those of
/// `encode(context + continuation)` after the first `len(encode(context))`; BOS starts the context
/// (and is the whole context of an unconditional request).
pub fn split_loglikelihood(
    enc: &dyn Encoder,
    context: &str,
    continuation: &str,
) -> Result<(Vec<u32>, Vec<u32>), EvalError> {
    let trimmed = context.trim_end_matches(' ');
    let moved = &context[trimmed.len()..];
    let cont = format!("{moved}{continuation}");
    let mut ctx_ids: Vec<u32> = enc.bos().into_iter().collect();
    let cont_ids = if trimmed.is_empty() {
        enc.encode(&cont)?
    } else {
        let ctx = enc.encode(trimmed)?;
        let whole = enc.encode(&format!("{trimmed}{cont}"))?;
        let split = ctx.len().min(whole.len());
        ctx_ids.extend(ctx);
        whole[split..].to_vec()
    };
    if ctx_ids.is_empty() {
        return Err(EvalError::Backend(
            "an unconditional log-likelihood needs a model with a BOS token".into(),
        ));
    }
    if cont_ids.is_empty() {
        return Err(EvalError::Backend(format!(
            "the continuation {continuation:?} has no tokens of its own after {context:?}"
        )));
    }
    Ok((ctx_ids, cont_ids))
}

/// The prompt ids of a generation: BOS, then the prompt.
pub fn prompt_ids(enc: &dyn Encoder, prompt: &str) -> Result<Vec<u32>, EvalError> {
    let mut ids: Vec<u32> = enc.bos().into_iter().collect();
    ids.extend(enc.encode(prompt)?);
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy tokenizer: one id per character, BOS 0.
    struct Chars;
    impl Encoder for Chars {
        fn encode(&self, text: &str) -> Result<Vec<u32>, EvalError> {
            Ok(text.chars().map(|c| c as u32).collect())
        }
        fn bos(&self) -> Option<u32> {
            Some(0)
        }
    }

    #[test]
    fn trailing_spaces_move_to_the_continuation() {
        let (c, x) = split_loglikelihood(&Chars, "ab ", "c").unwrap();
        assert_eq!(c, vec![0, 'a' as u32, 'b' as u32]);
        assert_eq!(x, vec![' ' as u32, 'c' as u32]);
        let (c, x) = split_loglikelihood(&Chars, "", "xy").unwrap();
        assert_eq!(c, vec![0]);
        assert_eq!(x, vec!['x' as u32, 'y' as u32]);
        assert!(split_loglikelihood(&Chars, "ab", "").is_err());
    }
}
