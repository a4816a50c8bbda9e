//! OpenAI-compatible HTTP endpoints as a backend.
//!
//! - Log-likelihoods go to `POST {base}/completions` with `echo: true, logprobs: 1, max_tokens: 1,
//!   temperature: 0`: the response's prompt-token log-probabilities are summed over the continuation.
//!   With a client-side tokenizer (`--tokenizer`, the model's GGUF or tokenizer.json) the prompt is
//!   sent as token ids, split exactly as the local backend splits it, so both give the same numbers;
//!   without one the prompt is text and the continuation is found by `text_offset`.
//! - Generations go to `/completions` (raw prompt, as the local backend) or, for chat models,
//!   `/chat/completions` (which cannot give log-likelihoods: multiple-choice tasks are refused).
//! - Requests run concurrently (`concurrency` threads). Connection failures, timeouts, 429 and 5xx
//!   answers and malformed JSON are retried with exponential backoff up to `max_retries` times; other
//!   4xx answers fail at once with the server's message. Every answer reaches the sink (and the cache)
//!   as it arrives, so a failure keeps all completed work.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::EvalError;
use crate::backend::{Backend, Encoder, Request, Response, Sink, prompt_ids, split_loglikelihood};
use crate::extract::cut_at_stop;

/// Settings of an endpoint.
#[derive(Debug, Clone)]
pub struct OpenAiOptions {
    /// Base URL up to and including `/v1` (`http://127.0.0.1:8080/v1`).
    pub base_url: String,
    /// The `model` field sent (optional for single-model servers).
    pub model: Option<String>,
    /// Use `/chat/completions` for generation (no log-likelihoods).
    pub chat: bool,
    /// Concurrent requests.
    pub concurrency: usize,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Retries after the first try, for transient failures.
    pub max_retries: u32,
    /// First backoff; doubles per retry (capped at 30 s).
    pub backoff: Duration,
    /// `Authorization: Bearer …` (from `OPENAI_API_KEY` when set).
    pub api_key: Option<String>,
}

impl Default for OpenAiOptions {
    fn default() -> Self {
        OpenAiOptions {
            base_url: String::new(),
            model: None,
            chat: false,
            concurrency: 4,
            timeout: Duration::from_secs(120),
            max_retries: 4,
            backoff: Duration::from_millis(500),
            api_key: std::env::var("OPENAI_API_KEY")
                .ok()
                .filter(|k| !k.is_empty()),
        }
    }
}

/// An OpenAI-compatible endpoint.
pub struct OpenAiBackend {
    opts: OpenAiOptions,
    encoder: Option<Box<dyn Encoder + Send>>,
    agent: ureq::Agent,
}

/// Parses `openai:URL[#model]` (the URL up to `/v1`; a missing `/v1` is added).
pub fn parse_spec(spec: &str) -> Option<(String, Option<String>)> {
    let rest = spec
        .strip_prefix("openai:")
        .or_else(|| spec.strip_prefix("openai-chat:"))?;
    let (url, model) = match rest.split_once('#') {
        Some((u, m)) => (u, Some(m.to_string())),
        None => (rest, None),
    };
    let url = url.trim_end_matches('/');
    let url = if url.ends_with("/v1") {
        url.to_string()
    } else {
        format!("{url}/v1")
    };
    Some((url, model))
}

enum Failure {
    /// Worth another try.
    Transient(String),
    /// Final.
    Fatal(String),
}

impl OpenAiBackend {
    /// An endpoint; `encoder` tokenizes prompts on the client (exact parity with the local backend).
    pub fn new(opts: OpenAiOptions, encoder: Option<Box<dyn Encoder + Send>>) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(opts.timeout))
            .http_status_as_error(false)
            .build()
            .into();
        OpenAiBackend {
            opts,
            encoder,
            agent,
        }
    }

    fn post(&self, path: &str, body: &Value) -> Result<Value, EvalError> {
        let url = format!("{}{path}", self.opts.base_url);
        let mut delay = self.opts.backoff;
        let tries = self.opts.max_retries + 1;
        let mut last = String::new();
        for attempt in 1..=tries {
            match self.post_once(&url, body) {
                Ok(v) => return Ok(v),
                Err(Failure::Fatal(reason)) => return Err(EvalError::Http { url, reason }),
                Err(Failure::Transient(reason)) => {
                    last = reason;
                    if attempt < tries {
                        std::thread::sleep(delay);
                        delay = (delay * 2).min(Duration::from_secs(30));
                    }
                }
            }
        }
        Err(EvalError::Http {
            url,
            reason: format!("{last} (gave up after {tries} tries)"),
        })
    }

    fn post_once(&self, url: &str, body: &Value) -> Result<Value, Failure> {
        let mut req = self
            .agent
            .post(url)
            .header("Content-Type", "application/json");
        if let Some(k) = &self.opts.api_key {
            req = req.header("Authorization", &format!("Bearer {k}"));
        }
        let mut resp = match req.send(body.to_string()) {
            Ok(r) => r,
            Err(e) => {
                return Err(match e {
                    ureq::Error::Timeout(_) => Failure::Transient(format!(
                        "no answer within {:.0} s",
                        self.opts.timeout.as_secs_f64()
                    )),
                    ureq::Error::ConnectionFailed | ureq::Error::Io(_) => {
                        Failure::Transient(format!("connection failed: {e}"))
                    }
                    other => Failure::Transient(other.to_string()),
                });
            }
        };
        let status = resp.status().as_u16();
        let text = resp
            .body_mut()
            .with_config()
            .limit(256 << 20)
            .read_to_string()
            .map_err(|e| Failure::Transient(format!("reading the answer: {e}")))?;
        let short: String = text.chars().take(300).collect();
        if status == 429 || status >= 500 {
            return Err(Failure::Transient(format!("HTTP {status}: {short}")));
        }
        if status >= 400 {
            return Err(Failure::Fatal(format!("HTTP {status}: {short}")));
        }
        serde_json::from_str(&text)
            .map_err(|e| Failure::Transient(format!("malformed JSON ({e}): {short}")))
    }

    fn body(&self, mut v: Value) -> Value {
        if let (Some(m), Some(o)) = (&self.opts.model, v.as_object_mut()) {
            o.insert("model".into(), json!(m));
        }
        v
    }

    fn loglikelihood(&self, context: &str, continuation: &str) -> Result<Response, EvalError> {
        let url = format!("{}/completions", self.opts.base_url);
        let bad = |reason: String| EvalError::Http {
            url: url.clone(),
            reason,
        };
        let (prompt, skip, count) = match &self.encoder {
            Some(enc) => {
                let (c, x) = split_loglikelihood(enc.as_ref(), context, continuation)?;
                let n = x.len();
                let all: Vec<u32> = c.iter().chain(&x).copied().collect();
                (json!(all), Some(c.len()), n)
            }
            None => (json!(format!("{context}{continuation}")), None, 0),
        };
        let body = self.body(json!({
            "prompt": prompt, "max_tokens": 1, "temperature": 0.0, "echo": true, "logprobs": 1,
        }));
        let v = self.post("/completions", &body)?;
        let lp = v
            .pointer("/choices/0/logprobs")
            .ok_or_else(|| bad("the answer has no choices[0].logprobs: the endpoint cannot echo prompt log-probabilities".into()))?;
        let token_lps = lp
            .get("token_logprobs")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("logprobs.token_logprobs is missing".into()))?;
        let tokens: Vec<String> = lp
            .get("tokens")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|t| t.as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default();
        let tops = lp.get("top_logprobs").and_then(Value::as_array);
        let (from, to) = match skip {
            Some(s) => (s, s + count),
            None => {
                // Text prompt. With echo the answer holds the prompt's tokens, then the generated
                // one(s); offsets are characters of the server's own detokenization, which can be
                // shorter than the prompt (byte-fallback pieces decode lossily), so the continuation
                // is located from the end of the echoed prompt: its last `chars(continuation)`
                // characters (with the context's trailing spaces, as the local split moves them).
                let offsets: Vec<u64> = lp
                    .get("text_offset")
                    .and_then(Value::as_array)
                    .ok_or_else(|| {
                        bad("logprobs.text_offset is missing (needed without --tokenizer)".into())
                    })?
                    .iter()
                    .map(|o| o.as_u64().unwrap_or(0))
                    .collect();
                let generated = v
                    .pointer("/usage/completion_tokens")
                    .and_then(Value::as_u64)
                    .unwrap_or(1) as usize;
                let to = token_lps.len().saturating_sub(generated);
                let echoed_end = match offsets.get(to) {
                    Some(&o) => o,
                    None => {
                        let text = v
                            .pointer("/choices/0/text")
                            .and_then(Value::as_str)
                            .unwrap_or("");
                        text.chars().count() as u64
                    }
                };
                let moved = context.len() - context.trim_end_matches(' ').len();
                let cont_chars = (moved + continuation.chars().count()) as u64;
                let start = echoed_end.saturating_sub(cont_chars);
                let from = offsets[..to.min(offsets.len())]
                    .iter()
                    .position(|&o| o >= start)
                    .ok_or_else(|| bad("no prompt token starts inside the continuation".into()))?;
                (from, to)
            }
        };
        if to > token_lps.len() || from >= to {
            return Err(bad(format!(
                "expected log-probabilities for prompt tokens {from}..{to}, got {} values",
                token_lps.len()
            )));
        }
        let mut sum = 0.0;
        let mut greedy = true;
        for (i, v) in token_lps.iter().enumerate().take(to).skip(from) {
            let l = v
                .as_f64()
                .ok_or_else(|| bad(format!("token_logprobs[{i}] is not a number")))?;
            sum += l;
            if let (Some(top), Some(tok)) = (tops.and_then(|t| t.get(i)), tokens.get(i)) {
                if let Some(map) = top.as_object() {
                    let best = map
                        .iter()
                        .filter_map(|(k, v)| v.as_f64().map(|x| (k, x)))
                        .max_by(|a, b| a.1.total_cmp(&b.1));
                    if let Some((k, x)) = best {
                        if k != tok && x > l {
                            greedy = false;
                        }
                    }
                }
            }
        }
        Ok(Response::Loglikelihood {
            logprob: sum,
            is_greedy: greedy,
            tokens: to - from,
        })
    }

    fn generate(
        &self,
        prompt: &str,
        until: &[String],
        max_tokens: usize,
    ) -> Result<Response, EvalError> {
        let url = format!("{}/completions", self.opts.base_url);
        // Servers differ in how many stop strings they accept; OpenAI allows 4.
        let stop: Vec<&String> = until.iter().take(4).collect();
        let (path, body) = if self.opts.chat {
            (
                "/chat/completions",
                json!({"messages": [{"role": "user", "content": prompt}], "max_tokens": max_tokens,
                       "temperature": 0.0, "stop": stop}),
            )
        } else {
            let p = match &self.encoder {
                Some(enc) => json!(prompt_ids(enc.as_ref(), prompt)?),
                None => json!(prompt),
            };
            (
                "/completions",
                json!({"prompt": p, "max_tokens": max_tokens, "temperature": 0.0, "stop": stop}),
            )
        };
        let v = self.post(path, &self.body(body))?;
        let text = if self.opts.chat {
            v.pointer("/choices/0/message/content")
                .and_then(Value::as_str)
        } else {
            v.pointer("/choices/0/text").and_then(Value::as_str)
        }
        .ok_or_else(|| EvalError::Http {
            url,
            reason: "the answer has no choices[0] text".into(),
        })?;
        let tokens = v
            .pointer("/usage/completion_tokens")
            .and_then(Value::as_u64)
            .unwrap_or(0) as usize;
        Ok(Response::Generate {
            text: cut_at_stop(text, until),
            tokens,
        })
    }

    fn answer(&self, r: &Request) -> Result<Response, EvalError> {
        match r {
            Request::Loglikelihood {
                context,
                continuation,
            } => self.loglikelihood(context, continuation),
            Request::Generate {
                prompt,
                until,
                max_tokens,
            } => self.generate(prompt, until, *max_tokens),
        }
    }
}

impl Backend for OpenAiBackend {
    fn identity(&self) -> String {
        format!(
            "openai{}:{}#{}",
            if self.opts.chat { "-chat" } else { "" },
            self.opts.base_url,
            self.opts.model.as_deref().unwrap_or("")
        )
    }

    fn model_args(&self) -> (String, String) {
        (
            if self.opts.chat {
                "local-chat-completions"
            } else {
                "local-completions"
            }
            .into(),
            format!(
                "base_url={}/{},model={},tokenized_requests={}",
                self.opts.base_url,
                if self.opts.chat {
                    "chat/completions"
                } else {
                    "completions"
                },
                self.opts.model.as_deref().unwrap_or(""),
                self.encoder.is_some()
            ),
        )
    }

    fn can_loglikelihood(&self) -> bool {
        !self.opts.chat
    }

    fn can_score_unconditional(&self) -> bool {
        !self.opts.chat && self.encoder.is_some()
    }

    fn run(&self, requests: &[Request], sink: &Sink<'_>) -> Result<(), EvalError> {
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        let first_error: Mutex<Option<EvalError>> = Mutex::new(None);
        let workers = self
            .opts
            .concurrency
            .clamp(1, 256)
            .min(requests.len().max(1));
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| {
                    while !stop.load(Ordering::SeqCst) {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        let Some(r) = requests.get(i) else { break };
                        let result = self.answer(r).and_then(|resp| sink(i, resp));
                        if let Err(e) = result {
                            stop.store(true, Ordering::SeqCst);
                            if let Ok(mut f) = first_error.lock() {
                                f.get_or_insert(e);
                            }
                        }
                    }
                });
            }
        });
        match first_error.into_inner().ok().flatten() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse() {
        assert_eq!(
            parse_spec("openai:http://127.0.0.1:8080#gemma"),
            Some(("http://127.0.0.1:8080/v1".into(), Some("gemma".into())))
        );
        assert_eq!(
            parse_spec("openai:http://h/v1/"),
            Some(("http://h/v1".into(), None))
        );
        assert_eq!(parse_spec("local:x.gguf"), None);
    }
}
