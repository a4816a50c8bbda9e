//! The local backend: xling's own runtime (`xling-model`) on a GGUF checkpoint.
//!
//! Log-likelihood requests that share a context (the choices of one multiple-choice item) run the
//! context once into a key/value cache and score every continuation from it; generation is greedy with
//! incremental decoding, stopped as soon as a stop string or an end-of-turn id appears, and consecutive
//! generation requests decode together (up to 8 sequences a step by default) with exactly the tokens
//! each would get alone — so local runs and `xling serve`, which answers one request at a time, agree
//! item for item.

use std::path::Path;

use xling_model::linear::Precision;
use xling_model::{Generation, LoadOptions, Model, Sampling};

use crate::EvalError;
use crate::backend::{Backend, Encoder, Request, Response, Sink, prompt_ids, split_loglikelihood};
use crate::extract::cut_at_stop;

/// A local model.
pub struct LocalBackend {
    model: Model,
    /// Sequences decoded together.
    batch: usize,
}

impl LocalBackend {
    /// Loads a GGUF checkpoint (and optionally a tokenizer.json to use instead of its vocabulary),
    /// its projections computed in `precision`.
    pub fn load(
        path: &Path,
        tokenizer: Option<&Path>,
        precision: Precision,
    ) -> Result<Self, EvalError> {
        let opts = LoadOptions {
            tokenizer: tokenizer.map(Path::to_path_buf),
            precision,
        };
        Ok(LocalBackend::new(Model::load(path, &opts)?))
    }

    /// Wraps a loaded model.
    pub fn new(model: Model) -> Self {
        LocalBackend { model, batch: 8 }
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

    /// Sets how many sequences decode together (1 to 16; 8 by default). The output does not depend
    /// on it: a batched sequence gets exactly the tokens it gets alone.
    pub fn with_batch_size(mut self, n: usize) -> Self {
        self.batch = n.clamp(1, 16);
        self
    }

    /// Whether `toks` ends the generation: an end-of-turn id, or a stop string in the text.
    fn stops(&self, toks: &[u32], until: &[String]) -> bool {
        if toks
            .last()
            .is_some_and(|t| self.model.stop_ids().contains(t))
        {
            return true;
        }
        let text = self.model.decode(toks);
        until
            .iter()
            .any(|u| !u.is_empty() && text.contains(u.as_str()))
    }

    /// Greedy generation of `group` (all `Generate` requests, the first numbered `first`), decoded
    /// together; each result goes to `sink` as soon as it is complete.
    fn generate_group(
        &self,
        group: &[Request],
        first: usize,
        sink: &Sink<'_>,
    ) -> Result<(), EvalError> {
        let mut prompts = Vec::with_capacity(group.len());
        let mut limits = Vec::with_capacity(group.len());
        let mut stops: Vec<&[String]> = Vec::with_capacity(group.len());
        for r in group {
            if let Request::Generate {
                prompt,
                until,
                max_tokens,
            } = r
            {
                prompts.push(prompt_ids(self, prompt)?);
                limits.push(*max_tokens);
                stops.push(until);
            }
        }
        let requests: Vec<Generation> = prompts
            .iter()
            .zip(&limits)
            .map(|(p, &max_new)| Generation {
                prompt: p.into(),
                max_new,
                sampling: Sampling::Greedy,
            })
            .collect();
        self.model.generate_batch(
            &requests,
            self.batch,
            |i, toks| self.stops(toks, stops[i]),
            |i, toks| {
                let text = cut_at_stop(&self.model.decode(&toks), stops[i]);
                sink(
                    first + i,
                    Response::Generate {
                        text,
                        tokens: toks.len(),
                    },
                )
            },
        )
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
        // f32 adds nothing, so caches written before int8 existed stay valid.
        let precision = match self.model.precision() {
            Precision::F32 => String::new(),
            p => format!(":{p}"),
        };
        format!(
            "local:{}:{}:{}{precision}",
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
                "path={},architecture={},tokenizer={},precision={}",
                info.path.display(),
                info.architecture,
                self.model.tokenizer().identity(),
                self.model.precision()
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
                Request::Generate { .. } => {
                    // Consecutive generation requests decode together.
                    let mut j = i + 1;
                    while let Some(Request::Generate { .. }) = requests.get(j) {
                        j += 1;
                    }
                    self.generate_group(&requests[i..j], i, sink)?;
                    i = j;
                }
            }
        }
        Ok(())
    }
}
