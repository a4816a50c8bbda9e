//! Hub ids (`hf:org/name`, optionally `hf:org/name@revision`): a model's tokenizer file fetched from a
//! Hugging Face-shaped hub (`{endpoint}/{org}/{name}/resolve/{revision}/{file}`, `tokenizer.json` first,
//! then `tokenizer.model`) into a cache, and read from the cache afterwards.
//!
//! Nothing here happens unasked: the caller passes [`HubOptions`] (the CLI builds them from
//! `HF_ENDPOINT`, `HF_HUB_OFFLINE`, `HF_TOKEN` and the cache directory) and a `notify` callback that is
//! told before every download; with `offline` set, only the cache is used and a missing entry is an
//! error. A token is sent as `Authorization: Bearer …` (gated and private models). Transient failures
//! (connection errors, HTTP 429 and 5xx) are retried [`RETRIES`] times with doubling waits from
//! [`HubOptions::backoff_ms`]; a 401/403 says that a token is needed or was refused.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::TokenizeError;

/// Where and whether to fetch hub ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubOptions {
    /// The hub's base URL (`https://huggingface.co`).
    pub endpoint: String,
    /// The cache directory; files go to `<cache>/hub/<org>/<name>/<revision>/`.
    pub cache_dir: PathBuf,
    /// Use the cache only (`HF_HUB_OFFLINE`).
    pub offline: bool,
    /// An access token (`HF_TOKEN`), sent as `Authorization: Bearer <token>`.
    pub token: Option<String>,
    /// The first wait before retrying a transient failure, in milliseconds (doubled each retry).
    pub backoff_ms: u64,
}

/// How many times a transient failure (connection error, HTTP 429 or 5xx) is retried.
pub const RETRIES: u32 = 3;

impl HubOptions {
    /// Options for `endpoint` and `cache_dir`: online, no token, a 500 ms first backoff.
    pub fn new(endpoint: impl Into<String>, cache_dir: impl Into<PathBuf>) -> HubOptions {
        HubOptions {
            endpoint: endpoint.into(),
            cache_dir: cache_dir.into(),
            offline: false,
            token: None,
            backoff_ms: 500,
        }
    }
}

/// The tokenizer files looked for, in order.
pub const FILES: [&str; 2] = ["tokenizer.json", "tokenizer.model"];

/// A parsed hub id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubId {
    /// `org/name`.
    pub repo: String,
    /// The revision (`main` by default).
    pub revision: String,
}

impl HubId {
    /// Parses `hf:org/name[@revision]`; `None` when `spec` is not a hub id at all.
    pub fn parse(spec: &str) -> Option<Result<HubId, TokenizeError>> {
        let rest = spec.strip_prefix("hf:")?;
        let (repo, revision) = rest.split_once('@').unwrap_or((rest, "main"));
        let ok_part = |p: &str| {
            !p.is_empty()
                && !p.starts_with('.')
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        let parts: Vec<&str> = repo.split('/').collect();
        if parts.len() != 2 || !parts.iter().all(|p| ok_part(p)) || !ok_part(revision) {
            return Some(Err(TokenizeError::Unknown(format!(
                "{spec} (a hub id is hf:org/name or hf:org/name@revision)"
            ))));
        }
        Some(Ok(HubId {
            repo: repo.to_string(),
            revision: revision.to_string(),
        }))
    }

    /// The model's name (`name` of `org/name`).
    pub fn name(&self) -> &str {
        self.repo.rsplit('/').next().unwrap_or(&self.repo)
    }

    fn cache_dir(&self, opts: &HubOptions) -> PathBuf {
        let mut d = opts.cache_dir.join("hub");
        for p in self.repo.split('/') {
            d.push(p);
        }
        d.join(&self.revision)
    }
}

fn hub_err(id: &HubId, reason: String) -> TokenizeError {
    TokenizeError::Hub {
        id: format!("hf:{}@{}", id.repo, id.revision),
        reason,
    }
}

/// The local path of a hub id's tokenizer file: from the cache, or downloaded into it (telling
/// `notify` first) unless `opts.offline`.
pub fn resolve(
    id: &HubId,
    opts: &HubOptions,
    notify: &mut dyn FnMut(&str),
) -> Result<PathBuf, TokenizeError> {
    let dir = id.cache_dir(opts);
    for f in FILES {
        let p = dir.join(f);
        if p.is_file() {
            return Ok(p);
        }
    }
    if opts.offline {
        return Err(hub_err(
            id,
            format!(
                "not in the cache ({}) and HF_HUB_OFFLINE is set; run once without it to download",
                dir.display()
            ),
        ));
    }
    let endpoint = opts.endpoint.trim_end_matches('/');
    for f in FILES {
        let url = format!("{endpoint}/{}/resolve/{}/{f}", id.repo, id.revision);
        notify(&format!("downloading {url} into {}", dir.display()));
        match get(&url, opts) {
            Ok(resp) => return save(id, &dir, f, resp),
            Err(ureq::Error::StatusCode(404)) => continue,
            Err(ureq::Error::StatusCode(code @ (401 | 403))) => {
                let hint = if opts.token.is_some() {
                    "the hub refused HF_TOKEN for this model"
                } else {
                    "the model is gated or private: set HF_TOKEN to an access token"
                };
                return Err(hub_err(id, format!("{url}: HTTP {code}: {hint}")));
            }
            Err(e) => return Err(hub_err(id, format!("{url}: {e}"))),
        }
    }
    Err(hub_err(
        id,
        format!(
            "{endpoint} has neither {} for this model",
            FILES.join(" nor ")
        ),
    ))
}

/// Whether a failed request may succeed when repeated.
fn transient(e: &ureq::Error) -> bool {
    match e {
        ureq::Error::StatusCode(code) => *code == 429 || (500..600).contains(code),
        ureq::Error::Io(_)
        | ureq::Error::ConnectionFailed
        | ureq::Error::HostNotFound
        | ureq::Error::Timeout(_) => true,
        _ => false,
    }
}

/// GET `url` with the token, retrying transient failures [`RETRIES`] times with doubling waits.
fn get(url: &str, opts: &HubOptions) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
    let mut wait = opts.backoff_ms;
    let mut attempt = 0;
    loop {
        let mut req = ureq::get(url);
        if let Some(t) = &opts.token {
            req = req.header("Authorization", &format!("Bearer {t}"));
        }
        match req.call() {
            Err(e) if attempt < RETRIES && transient(&e) => {
                std::thread::sleep(std::time::Duration::from_millis(wait));
                wait = wait.saturating_mul(2);
                attempt += 1;
            }
            other => return other,
        }
    }
}

fn save(
    id: &HubId,
    dir: &Path,
    file: &str,
    resp: ureq::http::Response<ureq::Body>,
) -> Result<PathBuf, TokenizeError> {
    let io =
        |e: std::io::Error| hub_err(id, format!("cannot write the cache {}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(io)?;
    let part = dir.join(format!("{file}.part"));
    let mut out = std::fs::File::create(&part).map_err(io)?;
    let mut reader = resp.into_body().into_reader();
    std::io::copy(&mut reader, &mut out)
        .map_err(|e| hub_err(id, format!("download failed: {e}")))?;
    out.flush().map_err(io)?;
    let dest = dir.join(file);
    std::fs::rename(&part, &dest).map_err(io)?;
    Ok(dest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hub_ids() {
        let id = HubId::parse("hf:Qwen/Qwen3-0.6B").unwrap().unwrap();
        assert_eq!(
            (id.repo.as_str(), id.revision.as_str()),
            ("Qwen/Qwen3-0.6B", "main")
        );
        assert_eq!(id.name(), "Qwen3-0.6B");
        let id = HubId::parse("hf:org/x@v1.0").unwrap().unwrap();
        assert_eq!(id.revision, "v1.0");
        assert!(HubId::parse("o200k_base").is_none());
        for bad in ["hf:noslash", "hf:a/b/c", "hf:../x", "hf:a/b@"] {
            assert!(matches!(HubId::parse(bad), Some(Err(_))), "{bad}");
        }
    }

    /// A local HTTP server that answers the first `fail` requests with 503, then serves `body` only
    /// to requests that carry `Authorization: Bearer secret` (401 otherwise). Returns its address and
    /// the number of requests it saw.
    fn server(
        fail: usize,
        body: &'static str,
    ) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        use std::io::{BufRead, BufReader, Write};
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut authorized = false;
                let mut line = String::new();
                while reader.read_line(&mut line).unwrap_or(0) > 2 {
                    authorized |= line
                        .to_ascii_lowercase()
                        .starts_with("authorization: bearer secret");
                    line.clear();
                }
                let n = seen.fetch_add(1, Ordering::SeqCst);
                let (status, text) = if n < fail {
                    ("503 Service Unavailable", "busy")
                } else if !authorized {
                    ("401 Unauthorized", "no")
                } else {
                    ("200 OK", body)
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                    text.len()
                );
            }
        });
        (format!("http://{addr}"), hits)
    }

    #[test]
    fn token_is_sent_and_transient_failures_are_retried() {
        use std::sync::atomic::Ordering;
        let (endpoint, hits) = server(2, "{}");
        let cache = tempfile::tempdir().unwrap();
        let mut opts = HubOptions::new(&endpoint, cache.path());
        opts.backoff_ms = 1;
        let id = HubId::parse("hf:org/gated").unwrap().unwrap();

        // Without a token: two 503s are retried, then the 401 is an error that asks for HF_TOKEN.
        let e = resolve(&id, &opts, &mut |_| {}).unwrap_err().to_string();
        assert!(e.contains("HTTP 401") && e.contains("HF_TOKEN"), "{e}");
        assert_eq!(hits.load(Ordering::SeqCst), 3);

        // With the token: downloaded on the first try.
        opts.token = Some("secret".into());
        let p = resolve(&id, &opts, &mut |_| {}).unwrap();
        assert_eq!(std::fs::read_to_string(p).unwrap(), "{}");
        assert_eq!(hits.load(Ordering::SeqCst), 4);
    }

    #[test]
    fn retries_are_bounded() {
        use std::sync::atomic::Ordering;
        let (endpoint, hits) = server(usize::MAX, "{}");
        let cache = tempfile::tempdir().unwrap();
        let mut opts = HubOptions::new(&endpoint, cache.path());
        opts.backoff_ms = 1;
        let id = HubId::parse("hf:org/busy").unwrap().unwrap();
        let e = resolve(&id, &opts, &mut |_| {}).unwrap_err().to_string();
        assert!(e.contains("503"), "{e}");
        assert_eq!(hits.load(Ordering::SeqCst), 1 + RETRIES as usize);
    }
}
