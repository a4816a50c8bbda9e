//! The local backend: xling's own runtime (`xling-model`) on a GGUF checkpoint.
//!
//! Log-likelihood requests that share a context (the choices of one multiple-choice item) run the
//! context once into a key/value cache and score every continuation from it; generation is greedy with
//! incremental decoding, stopped as soon as a stop string or an end-of-turn id appears.

use std::path::Path;

use xling_model::{LoadOptions, Model, Sampling};

use crate::EvalError;
use crate::backend::{Backend, Encoder, Request, Response, Sink, prompt_ids, split_loglikelihood};
use crate::extract::cut_at_stop;

/// A local model.
pub struct LocalBackend {
    model: Model,
}

impl LocalBackend {
    /// Loads a GGUF checkpoint (and optionally a tokenizer.json to use instead of its vocabulary).
    pub fn load(path: &Path, tokenizer: Option<&Path>) -> Result<Self, EvalError> {
        let opts = LoadOptions {
            tokenizer: tokenizer.map(Path::to_path_buf),
            ..LoadOptions::default()
        };
        Ok(LocalBackend {
            model: Model::load(path, &opts)?,
        })
    }

    /// Wraps a loaded model.
    pub fn new(model: Model) -> Self {
        LocalBackend { model }
    }

    /// The model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    fn loglik_group(
        &self,
        requests: &[Request],
        group: &[usize],
        sink: &Sink<'_>,
    ) -> Result<(), EvalError> {
        let mut ctx_ids = Vec::new();
        let mut conts = Vec::new();
        for &i in group {
            if let Request::Loglikelihood {
                context,
                continuation,
            } = &requests[i]
            {
                let (c, x) = split_loglikelihood(self, context, continuation)?;
                ctx_ids = c;
                conts.push(x);
            }
        }
        let refs: Vec<&[u32]> = conts.iter().map(Vec::as_slice).collect();
        let scored = self.model.log_likelihoods_shared(&ctx_ids, &refs)?;
        for ((&i, (logprob, is_greedy)), cont) in group.iter().zip(scored).zip(&conts) {
            sink(
                i,
                Response::Loglikelihood {
                    logprob,
                    is_greedy,
                    tokens: cont.len(),
                },
            )?;
        }
        Ok(())
    }

    /// Greedy generation of `prompt`, cut before the first stop string.
    pub fn generate(
        &self,
        prompt: &str,
        until: &[String],
        max_tokens: usize,
    ) -> Result<(String, usize), EvalError> {
        let ids = prompt_ids(self, prompt)?;
        let stop_ids = self.model.stop_ids().to_vec();
        let out = self
            .model
            .generate_until(&ids, max_tokens, &Sampling::Greedy, |toks| {
                if toks.last().is_some_and(|t| stop_ids.contains(t)) {
                    return true;
                }
                let text = self.model.decode(toks);
                until
                    .iter()
                    .any(|u| !u.is_empty() && text.contains(u.as_str()))
            })?;
        let text = cut_at_stop(&self.model.decode(&out), until);
        Ok((text, out.len()))
    }
}

impl Encoder for LocalBackend {
    fn encode(&self, text: &str) -> Result<Vec<u32>, EvalError> {
        Ok(self.model.tokenizer().encode(text)?)
    }
    fn bos(&self) -> Option<u32> {
        self.model.bos()
    }
}

impl Backend for LocalBackend {
    fn identity(&self) -> String {
        let info = self.model.info();
        format!(
            "local:{}:{}:{}",
            info.name.replace(' ', "-"),
            info.identity,
            self.model.tokenizer().identity()
        )
    }

    fn model_args(&self) -> (String, String) {
        let info = self.model.info();
        (
            "xling-local".into(),
            format!(
                "path={},architecture={},tokenizer={}",
                info.path.display(),
                info.architecture,
                self.model.tokenizer().identity()
            ),
        )
    }

    fn can_loglikelihood(&self) -> bool {
        true
    }

    fn run(&self, requests: &[Request], sink: &Sink<'_>) -> Result<(), EvalError> {
        let mut i = 0;
        while i < requests.len() {
            match &requests[i] {
                Request::Loglikelihood { context, .. } => {
                    // Consecutive requests with the same context share its computation.
                    let mut group = vec![i];
                    let mut j = i + 1;
                    while let Some(Request::Loglikelihood { context: c, .. }) = requests.get(j) {
                        if c != context {
                            break;
                        }
                        group.push(j);
                        j += 1;
                    }
                    self.loglik_group(requests, &group, sink)?;
                    i = j;
                }
                Request::Generate {
                    prompt,
                    until,
                    max_tokens,
                } => {
                    let (text, tokens) = self.generate(prompt, until, *max_tokens)?;
                    sink(i, Response::Generate { text, tokens })?;
                    i += 1;
                }
            }
        }
        Ok(())
    }
}
