//! `xling serve`: an OpenAI-compatible HTTP server over the local runtime.
//!
//! - `POST /v1/completions`: `prompt` as text, token ids or a one-element list; `max_tokens`
//!   (default 16, 0 allowed with `echo`), `temperature` (0 = greedy; otherwise sampled with `top_p`
//!   and `seed`), `stop`, `echo`, `logprobs` (the top-k alternatives per token, k ≤ 20). With `echo`
//!   and `logprobs` the prompt's own token log-probabilities come back (the first is `null`), which is
//!   what harnesses need for log-likelihood scoring.
//! - `POST /v1/chat/completions`: `messages` rendered with the model's chat format (Gemma:
//!   `<start_of_turn>user … <end_of_turn>`), generation as above.
//! - `GET /v1/models`, `GET /health`.
//!
//! Generations decode together, up to 16 at a time (`Model::generate_stream`: a request arriving
//! while others decode takes the next free place; each gets exactly the tokens it gets alone);
//! log-likelihood requests run as they are read (a forward pass already uses every core). Errors
//! are OpenAI-shaped JSON (`{"error": {"message", "type"}}`) with status 400, 404 or 500.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use xling_model::{Generation, Model, ModelError, Sampling};

use crate::EvalError;
use crate::extract::cut_at_stop;

/// A bound server.
pub struct Server {
    http: tiny_http::Server,
    model: Model,
    name: String,
}

struct ApiError(u16, String);

impl Server {
    /// Binds `addr` (`127.0.0.1:8080`; port 0 picks a free one).
    pub fn bind(addr: &str, model: Model) -> Result<Server, EvalError> {
        let http = tiny_http::Server::http(addr)
            .map_err(|e| EvalError::Backend(format!("cannot listen on {addr}: {e}")))?;
        let name = model
            .info()
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| model.info().name.clone());
        Ok(Server { http, model, name })
    }

    /// The address it listens on.
    pub fn addr(&self) -> Option<SocketAddr> {
        self.http.server_addr().to_ip()
    }

    /// The model id it reports.
    pub fn model_id(&self) -> &str {
        &self.name
    }

    /// Serves until `stop` returns true (checked between decoding steps and every 200 ms).
    /// Generations decode together (up to 16 at a time, [`Model::generate_stream`]): a request
    /// that arrives while others are decoding takes the next free place, and each gets exactly the
    /// tokens it would get alone. Other requests are answered as they are read.
    pub fn run(&self, stop: &dyn Fn() -> bool) {
        while !stop() {
            let first = match self
                .http
                .recv_timeout(std::time::Duration::from_millis(200))
            {
                Ok(Some(r)) => r,
                Ok(None) => continue,
                Err(_) => break,
            };
            let queue = RefCell::new(Queue::default());
            self.admit(first, &mut queue.borrow_mut());
            if !queue.borrow().waiting.is_empty() {
                self.decode(&queue, stop);
            }
        }
    }

    /// Answers a request at once, or queues its generation.
    fn admit(&self, mut req: tiny_http::Request, queue: &mut Queue) {
        match self.prepare(&mut req) {
            Ok(Job::Done(v)) => respond(req, Ok(v)),
            Ok(Job::Generate(p)) => queue.waiting.push_back((req, p)),
            Err(e) => respond(req, Err(e)),
        }
    }

    /// Decodes the queued generations and those of requests arriving meanwhile, answering each as
    /// it finishes, until none is left.
    fn decode(&self, queue: &RefCell<Queue>, stop: &dyn Fn() -> bool) {
        let stop_ids = self.model.stop_ids();
        let result = self.model.generate_stream(
            BATCH,
            || -> Result<Option<(usize, Generation<'static>)>, ModelError> {
                let mut q = queue.borrow_mut();
                loop {
                    if let Some((req, p)) = q.waiting.pop_front() {
                        let id = q.next_id;
                        q.next_id += 1;
                        let g = Generation {
                            prompt: p.ids.clone().into(),
                            max_new: p.settings.max_tokens,
                            sampling: p.settings.sampling.clone(),
                        };
                        q.running.insert(id, (req, p, false));
                        return Ok(Some((id, g)));
                    }
                    if stop() {
                        return Ok(None);
                    }
                    match self.http.try_recv() {
                        Ok(Some(r)) => self.admit(r, &mut q),
                        _ => return Ok(None),
                    }
                }
            },
            |id, toks| {
                let mut q = queue.borrow_mut();
                let Some((_, p, hit_stop)) = q.running.get_mut(&id) else {
                    return true;
                };
                if toks.last().is_some_and(|t| stop_ids.contains(t)) {
                    *hit_stop = true;
                    return true;
                }
                let text = self.model.decode(toks);
                let s = p
                    .settings
                    .stop
                    .iter()
                    .any(|u| !u.is_empty() && text.contains(u.as_str()));
                *hit_stop |= s;
                s
            },
            |id, toks| -> Result<(), ModelError> {
                let entry = queue.borrow_mut().running.remove(&id);
                if let Some((req, p, hit_stop)) = entry {
                    let (generated, finish) = self.cut(toks, &p.settings.stop, hit_stop);
                    respond(req, (p.respond)(self, &p.ids, generated, finish));
                }
                Ok(())
            },
        );
        if let Err(e) = result {
            let message = e.to_string();
            let mut q = queue.borrow_mut();
            let running: Vec<_> = q.running.drain().map(|(_, (req, _, _))| req).collect();
            let waiting: Vec<_> = q.waiting.drain(..).map(|(req, _)| req).collect();
            for req in running.into_iter().chain(waiting) {
                respond(req, Err(ApiError(500, message.clone())));
            }
        }
    }

    /// The generated ids and text cut before the first stop string, and the finish reason.
    fn cut(&self, out: Vec<u32>, stop: &[String], hit_stop: bool) -> Generated {
        let text = cut_at_stop(&self.model.decode(&out), stop);
        // Keep the ids whose text survived the cut (for usage and logprobs).
        let mut kept = out;
        while !kept.is_empty() && self.model.decode(&kept).len() > text.len() {
            kept.pop();
        }
        ((kept, text), if hit_stop { "stop" } else { "length" })
    }

    /// Reads and parses one request: an answer, or a generation to run first.
    fn prepare(&self, req: &mut tiny_http::Request) -> Result<Job, ApiError> {
        let method = req.method().as_str().to_string();
        let path = req.url().split('?').next().unwrap_or("").to_string();
        let mut body = String::new();
        if req.as_reader().read_to_string(&mut body).is_err() {
            return Err(ApiError(400, "the request body is not UTF-8".into()));
        }
        match (method.as_str(), path.as_str()) {
            ("GET", "/health") => Ok(Job::Done(json!({"status": "ok"}))),
            ("GET", "/v1/models") => Ok(Job::Done(json!({
                "object": "list",
                "data": [{"id": self.name, "object": "model", "owned_by": "xling",
                          "architecture": self.model.info().architecture}],
            }))),
            ("POST", "/v1/completions") => parse(&body).and_then(|b| self.completions(&b)),
            ("POST", "/v1/chat/completions") => parse(&body).and_then(|b| self.chat(&b)),
            (_, "/v1/completions" | "/v1/chat/completions" | "/v1/models" | "/health") => {
                Err(ApiError(405, format!("{method} is not allowed on {path}")))
            }
            _ => Err(ApiError(404, format!("no endpoint {path}"))),
        }
    }

    fn prompt_ids(&self, prompt: &Value) -> Result<Vec<u32>, ApiError> {
        let p = match prompt {
            Value::Array(a) if a.len() == 1 && a[0].is_string() => &a[0],
            other => other,
        };
        match p {
            Value::String(s) => self
                .model
                .encode(s)
                .map_err(|e| ApiError(400, format!("prompt: {e}"))),
            Value::Array(a) if !a.is_empty() && a.iter().all(Value::is_u64) => a
                .iter()
                .map(|v| {
                    v.as_u64()
                        .and_then(|x| u32::try_from(x).ok())
                        .ok_or_else(|| {
                            ApiError(400, "prompt: token ids must fit in 32 bits".into())
                        })
                })
                .collect(),
            Value::Array(a) if a.len() > 1 => Err(ApiError(
                400,
                "prompt: batches of prompts are not supported; send one prompt per request".into(),
            )),
            _ => Err(ApiError(
                400,
                "prompt must be a string or a list of token ids".into(),
            )),
        }
    }

    fn completions(&self, b: &Value) -> Result<Job, ApiError> {
        let prompt = b
            .get("prompt")
            .ok_or_else(|| ApiError(400, "missing prompt".into()))?;
        let ids = self.prompt_ids(prompt)?;
        let echo = b.get("echo").and_then(Value::as_bool).unwrap_or(false);
        let logprobs =
            match b.get("logprobs") {
                None | Some(Value::Null) => None,
                Some(v) => Some(v.as_u64().filter(|&k| k <= 20).ok_or_else(|| {
                    ApiError(400, "logprobs must be an integer from 0 to 20".into())
                })? as usize),
            };
        self.job(
            ids,
            b,
            Box::new(move |server, prompt, generated, finish| {
                let mut choice = json!({
                    "index": 0,
                    "text": if echo { format!("{}{}", server.model.decode(prompt), generated.1) } else { generated.1.clone() },
                    "finish_reason": finish,
                    "logprobs": null,
                });
                if let Some(k) = logprobs {
                    let scored: Vec<u32> = prompt.iter().chain(&generated.0).copied().collect();
                    let skip = if echo { 0 } else { prompt.len() };
                    choice["logprobs"] = server.token_logprobs(&scored, skip, k)?;
                }
                Ok(json!({
                    "id": format!("cmpl-{}", now_nanos()),
                    "object": "text_completion",
                    "created": now_secs(),
                    "model": server.name,
                    "choices": [choice],
                    "usage": {"prompt_tokens": prompt.len(), "completion_tokens": generated.0.len(),
                              "total_tokens": prompt.len() + generated.0.len()},
                }))
            }),
        )
    }

    /// A generation of `ids` with the request's settings, or (nothing to generate) its answer
    /// right away.
    fn job(&self, ids: Vec<u32>, b: &Value, respond: Respond) -> Result<Job, ApiError> {
        let settings = self.settings(&ids, b)?;
        if settings.max_tokens == 0 {
            return respond(self, &ids, (Vec::new(), String::new()), "length").map(Job::Done);
        }
        Ok(Job::Generate(Pending {
            ids,
            settings,
            respond,
        }))
    }

    fn chat(&self, b: &Value) -> Result<Job, ApiError> {
        let msgs = b
            .get("messages")
            .and_then(Value::as_array)
            .filter(|m| !m.is_empty())
            .ok_or_else(|| ApiError(400, "messages must be a non-empty list".into()))?;
        let mut rendered = String::new();
        let mut system = String::new();
        for m in msgs {
            let role = m.get("role").and_then(Value::as_str).unwrap_or("");
            let content = m
                .get("content")
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError(400, "every message needs a text content".into()))?;
            match role {
                "system" => {
                    system.push_str(content);
                    system.push_str("\n\n");
                }
                "user" => {
                    rendered.push_str(&format!(
                        "<start_of_turn>user\n{system}{content}<end_of_turn>\n"
                    ));
                    system.clear();
                }
                "assistant" | "model" => {
                    rendered.push_str(&format!("<start_of_turn>model\n{content}<end_of_turn>\n"));
                }
                other => return Err(ApiError(400, format!("unknown role {other:?}"))),
            }
        }
        rendered.push_str("<start_of_turn>model\n");
        let ids = self
            .model
            .encode(&rendered)
            .map_err(|e| ApiError(400, format!("messages: {e}")))?;
        self.job(
            ids,
            b,
            Box::new(move |server, prompt, generated, finish| {
                let prompt_tokens = prompt.len();
                Ok(json!({
                    "id": format!("chatcmpl-{}", now_nanos()),
                    "object": "chat.completion",
                    "created": now_secs(),
                    "model": server.name,
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": generated.1},
                                 "finish_reason": finish}],
                    "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": generated.0.len(),
                              "total_tokens": prompt_tokens + generated.0.len()},
                }))
            }),
        )
    }

    /// The generation settings of a request (`max_tokens`, `stop`, `temperature`, `top_p`, `seed`).
    fn settings(&self, ids: &[u32], b: &Value) -> Result<Settings, ApiError> {
        let max_tokens = match b
            .get("max_tokens")
            .or_else(|| b.get("max_completion_tokens"))
        {
            None | Some(Value::Null) => 16,
            Some(v) => v
                .as_u64()
                .ok_or_else(|| ApiError(400, "max_tokens must be a non-negative integer".into()))?
                as usize,
        };
        if b.get("n").and_then(Value::as_u64).is_some_and(|n| n != 1) {
            return Err(ApiError(400, "only n = 1 is supported".into()));
        }
        let stop: Vec<String> = match b.get("stop") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a
                .iter()
                .map(|s| s.as_str().map(str::to_string))
                .collect::<Option<_>>()
                .ok_or_else(|| {
                    ApiError(400, "stop must be a string or a list of strings".into())
                })?,
            _ => {
                return Err(ApiError(
                    400,
                    "stop must be a string or a list of strings".into(),
                ));
            }
        };
        let temperature = b.get("temperature").and_then(Value::as_f64).unwrap_or(1.0);
        let sampling = if temperature <= 0.0 {
            Sampling::Greedy
        } else {
            Sampling::Sample {
                temperature,
                top_p: b.get("top_p").and_then(Value::as_f64).unwrap_or(1.0),
                seed: b.get("seed").and_then(Value::as_u64).unwrap_or(0),
            }
        };
        // A bad id fails this request here, not the batch it would join.
        let vocab = self.model.info().vocab_size;
        if let Some(bad) = ids.iter().find(|&&i| i as usize >= vocab) {
            return Err(ApiError(
                400,
                format!("token id {bad} is outside the model's vocabulary of {vocab}"),
            ));
        }
        Ok(Settings {
            max_tokens,
            stop,
            sampling,
        })
    }

    /// OpenAI `logprobs` for `ids[skip..]`: each token's log-probability given those before it (the
    /// first token of the sequence has none), its top-`k` alternatives, and text offsets.
    fn token_logprobs(&self, ids: &[u32], skip: usize, k: usize) -> Result<Value, ApiError> {
        let rows = self
            .model
            .prompt_logprobs(ids, k.max(1))
            .map_err(|e| ApiError(400, e.to_string()))?;
        let mut tokens = Vec::new();
        let mut lps = Vec::new();
        let mut tops = Vec::new();
        let mut offsets = Vec::new();
        let mut offset = if skip > 0 {
            self.model.decode(&ids[..skip]).chars().count()
        } else {
            0
        };
        for i in skip..ids.len() {
            let piece = self.model.decode(&ids[i..=i]);
            tokens.push(json!(piece));
            offsets.push(json!(offset));
            offset += piece.chars().count();
            if i == 0 {
                lps.push(Value::Null);
                tops.push(Value::Null);
                continue;
            }
            let (lp, best) = &rows[i - 1];
            lps.push(json!(f64::from(*lp)));
            let mut map = serde_json::Map::new();
            for &(id, lp) in best.iter().take(k.max(1)) {
                map.entry(self.model.decode(&[id]))
                    .or_insert(json!(f64::from(lp)));
            }
            tops.push(Value::Object(map));
        }
        Ok(
            json!({"tokens": tokens, "token_logprobs": lps, "top_logprobs": tops, "text_offset": offsets}),
        )
    }
}

/// Sequences decoded together.
const BATCH: usize = 16;

/// Generations waiting for a place in the batch, and those decoding (with whether a stop ended
/// them), by id.
#[derive(Default)]
struct Queue {
    waiting: VecDeque<(tiny_http::Request, Pending)>,
    running: HashMap<usize, (tiny_http::Request, Pending, bool)>,
    next_id: usize,
}

/// Generated ids and text (cut before the first stop string), and the finish reason.
type Generated = ((Vec<u32>, String), &'static str);

/// Builds a request's answer from its prompt ids and its generation.
type Respond =
    Box<dyn FnOnce(&Server, &[u32], (Vec<u32>, String), &str) -> Result<Value, ApiError>>;

/// What a request needs: nothing more (its answer), or a generation first.
enum Job {
    Done(Value),
    Generate(Pending),
}

/// A generation waiting for its batch.
struct Pending {
    ids: Vec<u32>,
    settings: Settings,
    respond: Respond,
}

/// How a request generates.
struct Settings {
    max_tokens: usize,
    stop: Vec<String>,
    sampling: Sampling,
}

/// Sends an answer (or an OpenAI-shaped error).
fn respond(req: tiny_http::Request, result: Result<Value, ApiError>) {
    let (status, value) = match result {
        Ok(v) => (200, v),
        Err(ApiError(code, message)) => (
            code,
            json!({"error": {"message": message, "type": if code < 500 { "invalid_request_error" } else { "server_error" }}}),
        ),
    };
    let header = tiny_http::Header::from_bytes(&b"Content-Type"[..], &b"application/json"[..])
        .expect("static header");
    let resp = tiny_http::Response::from_string(value.to_string())
        .with_status_code(status)
        .with_header(header);
    // A client that hung up is not the server's problem.
    let _ = req.respond(resp);
}

fn parse(body: &str) -> Result<Value, ApiError> {
    let v: Value = serde_json::from_str(body)
        .map_err(|e| ApiError(400, format!("the body is not JSON: {e}")))?;
    if v.is_object() {
        Ok(v)
    } else {
        Err(ApiError(400, "the body must be a JSON object".into()))
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn now_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}
