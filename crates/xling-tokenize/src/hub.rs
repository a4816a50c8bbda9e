//! Hub ids (`hf:org/name`, optionally `hf:org/name@revision`): a model's tokenizer file fetched from a
//! Hugging Face-shaped hub (`{endpoint}/{org}/{name}/resolve/{revision}/{file}`, `tokenizer.json` first,
//! then `tokenizer.model`) into a cache, revalidated the way `huggingface_hub` does.
//!
//! Nothing here happens unasked: the caller passes [`HubOptions`] (the CLI builds them from
//! `HF_ENDPOINT`, `HF_HUB_OFFLINE`, `HF_TOKEN` and the cache directory) and a `notify` callback that is
//! told before every download and of every fallback to the cache.
//!
//! # Cache layout
//!
//! ```text
//! <cache>/hub/<org>/<name>/
//!   refs/<revision>        the snapshot a branch or tag revision resolved to when last checked
//!   snapshots/<key>        `<file> <blob>`: the tokenizer file of one commit and the blob that holds it
//!   blobs/<blob>/<file>    the file's bytes, stored once per ETag whatever the commit
//! ```
//!
//! A snapshot's key is the commit (`X-Repo-Commit`), or `blob-<blob>` from servers that send none; a
//! blob's name is the file's ETag (`X-Linked-Etag` for files the hub redirects to its storage, else
//! `ETag`; quotes and `W/` removed; other characters than letters, digits, `-`, `_` and `.` become a
//! hash), or `sha256-<content hash>` from servers that send none. Files are written to a temporary
//! name and renamed into place, so an interrupted download leaves no partial file behind.
//!
//! # When the hub is asked
//!
//! - A revision that is a commit hash (40 lowercase hex digits) names immutable content: once
//!   cached it is never requested again.
//! - Any other revision (a branch such as `main`, a tag) is revalidated on every run: a `HEAD`
//!   request (not following redirects to other hosts, as the hub's large files redirect to storage)
//!   gives the commit and the ETag. A blob with that ETag is reused without downloading; a new ETag
//!   (the file changed) is downloaded with `GET`.
//! - Offline (`HF_HUB_OFFLINE`), only the cache is used, and a missing entry is an error.
//! - When the hub cannot be asked (connection error, timeout, HTTP 429 or 5xx, 401/403) and a copy
//!   of the revision is cached, that copy is used and `notify` gets a warning; without a copy it is an
//!   error. A missing file (404 for both names) is an error either way.
//!
//! A token is sent as `Authorization: Bearer …` (gated and private models), never to another host.
//! Transient failures (connection errors, HTTP 429 and 5xx) are retried [`RETRIES`] times with
//! doubling waits from [`HubOptions::backoff_ms`] when nothing is cached; with a cached copy the
//! revalidation is not retried (the copy is used at once). A 401/403 without a cached copy says that a
//! token is needed or was refused.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::Digest as _;

use crate::TokenizeError;

/// Where and whether to fetch hub ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubOptions {
    /// The hub's base URL (`https://huggingface.co`).
    pub endpoint: String,
    /// The cache directory; repositories go to `<cache>/hub/<org>/<name>/` (see the module docs).
    pub cache_dir: PathBuf,
    /// Use the cache only (`HF_HUB_OFFLINE`).
    pub offline: bool,
    /// An access token (`HF_TOKEN`), sent as `Authorization: Bearer <token>`.
    pub token: Option<String>,
    /// The first wait before retrying a transient failure, in milliseconds (doubled each retry).
    pub backoff_ms: u64,
}

/// How many times a transient failure (connection error, HTTP 429 or 5xx) is retried when nothing
/// is cached.
pub const RETRIES: u32 = 3;

/// How long a revalidation (`HEAD`) may take, as `huggingface_hub`'s default `etag_timeout`.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// How long connecting, and waiting for a download's response headers, may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(60);

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
        let parts: Vec<&str> = repo.split('/').collect();
        if parts.len() != 2 || !parts.iter().all(|p| safe_name(p)) || !safe_name(revision) {
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

    /// Whether the revision is a commit hash (immutable content).
    pub fn is_commit(&self) -> bool {
        self.revision.len() == 40
            && self
                .revision
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    }
}

/// Whether `p` is usable as one path component: letters, digits, `-`, `_`, `.`, not starting with a
/// dot.
fn safe_name(p: &str) -> bool {
    !p.is_empty()
        && p.len() <= 128
        && !p.starts_with('.')
        && p.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn hub_err(id: &HubId, reason: String) -> TokenizeError {
    TokenizeError::Hub {
        id: format!("hf:{}@{}", id.repo, id.revision),
        reason,
    }
}

/// One repository's folder of the cache (see the module docs).
struct RepoCache {
    dir: PathBuf,
}

impl RepoCache {
    fn new(id: &HubId, opts: &HubOptions) -> RepoCache {
        let mut dir = opts.cache_dir.join("hub");
        for p in id.repo.split('/') {
            dir.push(p);
        }
        RepoCache { dir }
    }

    fn blob_path(&self, blob: &str, file: &str) -> PathBuf {
        self.dir.join("blobs").join(blob).join(file)
    }

    /// The cached file of snapshot `key`, when the snapshot is recorded and its blob is present.
    fn snapshot(&self, key: &str) -> Option<PathBuf> {
        let line = std::fs::read_to_string(self.dir.join("snapshots").join(key)).ok()?;
        let (file, blob) = line.trim().split_once(' ')?;
        if !FILES.contains(&file) || !safe_name(blob) {
            return None;
        }
        let p = self.blob_path(blob, file);
        p.is_file().then_some(p)
    }

    /// The cached file of `id`'s revision: the snapshot of a commit revision, or the snapshot the
    /// revision's ref points to.
    fn cached(&self, id: &HubId) -> Option<PathBuf> {
        if id.is_commit() {
            return self.snapshot(&id.revision);
        }
        let key = std::fs::read_to_string(self.dir.join("refs").join(&id.revision)).ok()?;
        let key = key.trim();
        safe_name(key).then(|| self.snapshot(key)).flatten()
    }

    /// Records that snapshot `key` has `file` in `blob`, and that `id`'s revision resolves to it.
    fn record(&self, id: &HubId, key: &str, file: &str, blob: &str) -> std::io::Result<()> {
        write_atomic(
            &self.dir.join("snapshots").join(key),
            format!("{file} {blob}\n").as_bytes(),
        )?;
        if key != id.revision {
            write_atomic(
                &self.dir.join("refs").join(&id.revision),
                format!("{key}\n").as_bytes(),
            )?;
        }
        Ok(())
    }
}

/// A name no other writer uses at the same time: process id and a per-process counter.
fn temp_name(path: &Path) -> PathBuf {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".part-{}-{n}", std::process::id()));
    path.with_file_name(name)
}

/// Writes `bytes` to `path` through a temporary file renamed into place.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = temp_name(path);
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// A blob name for an ETag: the ETag itself when it is a safe file name (the hub's are hex digests),
/// else `etag-` and a hash of it.
fn blob_name(etag: &str) -> String {
    if safe_name(etag) {
        etag.to_string()
    } else {
        let d = sha2::Sha256::digest(etag.as_bytes());
        let hex: String = d.iter().take(16).map(|b| format!("{b:02x}")).collect();
        format!("etag-{hex}")
    }
}

/// An ETag without quotes and weak marker (`W/"abc"` → `abc`).
fn normalize_etag(etag: &str) -> String {
    let e = etag.trim();
    let e = e.strip_prefix("W/").unwrap_or(e);
    e.trim_matches('"').to_string()
}

/// What the hub says about the revision's tokenizer file.
struct Remote {
    /// The file found.
    file: &'static str,
    /// Its `resolve` URL.
    url: String,
    /// Where to download it from (the storage URL the hub redirects to, when it does).
    download: String,
    /// `X-Repo-Commit`.
    commit: Option<String>,
    /// `X-Linked-Etag` or `ETag`, normalized.
    etag: Option<String>,
}

/// Why the hub could not say.
enum Probe {
    /// Neither file exists (404 for both).
    NotFound,
    /// The hub refused the request (401/403): the model is gated or private.
    Refused { url: String, code: u16 },
    /// The hub could not be reached or failed (connection, timeout, 429, 5xx, anything else).
    Failed(String),
}

/// Asks the hub (`HEAD`) for the revision's tokenizer file, `tokenizer.json` first.
fn probe(id: &HubId, opts: &HubOptions, retries: u32) -> Result<Remote, Probe> {
    let endpoint = opts.endpoint.trim_end_matches('/');
    for file in FILES {
        let url = format!("{endpoint}/{}/resolve/{}/{file}", id.repo, id.revision);
        match head(&url, opts, retries) {
            Ok((final_url, resp)) => {
                let header = |name: &str| {
                    resp.headers()
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .map(str::trim)
                        .filter(|v| !v.is_empty())
                        .map(str::to_string)
                };
                let download = match header("location") {
                    Some(loc) if resp.status().is_redirection() && loc.contains("://") => loc,
                    _ => final_url,
                };
                let etag = header("x-linked-etag")
                    .or_else(|| header("etag"))
                    .map(|e| normalize_etag(&e))
                    .filter(|e| !e.is_empty());
                return Ok(Remote {
                    file,
                    url,
                    download,
                    commit: header("x-repo-commit").filter(|c| safe_name(c)),
                    etag,
                });
            }
            Err(ureq::Error::StatusCode(404)) => continue,
            Err(ureq::Error::StatusCode(code @ (401 | 403))) => {
                return Err(Probe::Refused { url, code });
            }
            Err(e) => return Err(Probe::Failed(format!("{url}: {e}"))),
        }
    }
    Err(Probe::NotFound)
}

/// The scheme and authority of `url` (`http://host:port`).
fn origin(url: &str) -> &str {
    let after = url.find("://").map_or(0, |i| i + 3);
    url[after..].find('/').map_or(url, |i| &url[..after + i])
}

/// Whether the token may go to `url`: only to the endpoint's own host.
fn token_for<'a>(url: &str, opts: &'a HubOptions) -> Option<&'a str> {
    let same = origin(url).eq_ignore_ascii_case(origin(opts.endpoint.trim_end_matches('/')));
    opts.token.as_deref().filter(|_| same)
}

/// `HEAD url`, following redirects within the hub (a renamed repository) but not to other hosts;
/// returns the last URL asked and its response (2xx or a redirect elsewhere).
fn head(
    url: &str,
    opts: &HubOptions,
    retries: u32,
) -> Result<(String, ureq::http::Response<ureq::Body>), ureq::Error> {
    let mut url = url.to_string();
    for _ in 0..5 {
        let resp = with_retries(opts, retries, || {
            let mut req = ureq::head(&url)
                .config()
                .max_redirects(0)
                .timeout_global(Some(HEAD_TIMEOUT))
                .build();
            if let Some(t) = token_for(&url, opts) {
                req = req.header("Authorization", &format!("Bearer {t}"));
            }
            req.call()
        })?;
        let relative = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .filter(|l| l.starts_with('/') && !l.starts_with("//"))
            .map(str::to_string);
        match relative {
            Some(loc) if resp.status().is_redirection() => url = format!("{}{loc}", origin(&url)),
            _ => return Ok((url, resp)),
        }
    }
    Err(ureq::Error::TooManyRedirects)
}

/// `GET url` (following redirects; the token only to the hub itself).
fn get(
    url: &str,
    opts: &HubOptions,
    retries: u32,
) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
    with_retries(opts, retries, || {
        let mut req = ureq::get(url)
            .config()
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_recv_response(Some(RESPONSE_TIMEOUT))
            .redirect_auth_headers(ureq::config::RedirectAuthHeaders::SameHost)
            .build();
        if let Some(t) = token_for(url, opts) {
            req = req.header("Authorization", &format!("Bearer {t}"));
        }
        req.call()
    })
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

/// Runs `call`, retrying transient failures `retries` times with doubling waits.
fn with_retries<T>(
    opts: &HubOptions,
    retries: u32,
    mut call: impl FnMut() -> Result<T, ureq::Error>,
) -> Result<T, ureq::Error> {
    let mut wait = opts.backoff_ms;
    let mut attempt = 0;
    loop {
        match call() {
            Err(e) if attempt < retries && transient(&e) => {
                std::thread::sleep(Duration::from_millis(wait));
                wait = wait.saturating_mul(2);
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// The local path of a hub id's tokenizer file: from the cache, revalidated or downloaded as the
/// module docs say (`notify` is told before any download and of any fallback to the cache).
pub fn resolve(
    id: &HubId,
    opts: &HubOptions,
    notify: &mut dyn FnMut(&str),
) -> Result<PathBuf, TokenizeError> {
    let repo = RepoCache::new(id, opts);
    let cached = repo.cached(id);
    if let (true, Some(p)) = (id.is_commit(), &cached) {
        return Ok(p.clone());
    }
    if opts.offline {
        return cached.ok_or_else(|| {
            hub_err(
                id,
                format!(
                    "not in the cache ({}) and HF_HUB_OFFLINE is set; run once without it to download",
                    repo.dir.display()
                ),
            )
        });
    }
    // With a cached copy, revalidation is best effort: no retries, the copy is used at once.
    let retries = if cached.is_some() { 0 } else { RETRIES };
    let remote = match probe(id, opts, retries) {
        Ok(r) => r,
        Err(Probe::NotFound) => {
            return Err(hub_err(
                id,
                format!(
                    "{} has neither {} for this model",
                    opts.endpoint.trim_end_matches('/'),
                    FILES.join(" nor ")
                ),
            ));
        }
        Err(Probe::Refused { url, code }) => {
            let hint = if opts.token.is_some() {
                "the hub refused HF_TOKEN for this model"
            } else {
                "the model is gated or private: set HF_TOKEN to an access token"
            };
            return fallback(id, &cached, notify, format!("{url}: HTTP {code}: {hint}"));
        }
        Err(Probe::Failed(reason)) => return fallback(id, &cached, notify, reason),
    };
    let io = |e: std::io::Error| {
        hub_err(
            id,
            format!("cannot write the cache {}: {e}", repo.dir.display()),
        )
    };
    let snapshot_key = |blob: &str| match (&remote.commit, id.is_commit()) {
        (_, true) => id.revision.clone(),
        (Some(c), false) => c.clone(),
        (None, false) => format!("blob-{blob}"),
    };
    // The same ETag is the same file: reuse it without downloading.
    if let Some(blob) = remote.etag.as_deref().map(blob_name) {
        let p = repo.blob_path(&blob, remote.file);
        if p.is_file() {
            repo.record(id, &snapshot_key(&blob), remote.file, &blob)
                .map_err(io)?;
            return Ok(p);
        }
    }
    let changed = if cached.is_some() {
        " (it changed since the cached copy)"
    } else {
        ""
    };
    notify(&format!(
        "downloading {} into {}{changed}",
        remote.url,
        repo.dir.display()
    ));
    let resp = match get(&remote.download, opts, retries) {
        Ok(r) => r,
        Err(e) => return fallback(id, &cached, notify, format!("{}: {e}", remote.url)),
    };
    let (blob, path) = match save(&repo, remote.file, remote.etag.as_deref(), resp) {
        Ok(saved) => saved,
        Err(Save::Io(e)) => return Err(io(e)),
        Err(Save::Download(e)) => {
            return fallback(
                id,
                &cached,
                notify,
                format!("{}: download failed: {e}", remote.url),
            );
        }
    };
    repo.record(id, &snapshot_key(&blob), remote.file, &blob)
        .map_err(io)?;
    Ok(path)
}

/// The cached copy, with a warning that says why the hub was not used; without one, the error.
fn fallback(
    id: &HubId,
    cached: &Option<PathBuf>,
    notify: &mut dyn FnMut(&str),
    reason: String,
) -> Result<PathBuf, TokenizeError> {
    match cached {
        Some(p) => {
            notify(&format!(
                "warning: could not revalidate the cached copy ({reason}); using {}",
                p.display()
            ));
            Ok(p.clone())
        }
        None => Err(hub_err(id, reason)),
    }
}

/// Why a download could not be saved.
enum Save {
    /// Writing the cache failed.
    Io(std::io::Error),
    /// Reading the response failed.
    Download(std::io::Error),
}

/// Streams a download into the blob of its ETag (or of its content's SHA-256 when the server sent
/// none); returns the blob's name and path.
fn save(
    repo: &RepoCache,
    file: &str,
    etag: Option<&str>,
    resp: ureq::http::Response<ureq::Body>,
) -> Result<(String, PathBuf), Save> {
    let blobs = repo.dir.join("blobs");
    std::fs::create_dir_all(&blobs).map_err(Save::Io)?;
    let tmp = temp_name(&blobs.join(file));
    let result = (|| {
        let mut out = std::fs::File::create(&tmp).map_err(Save::Io)?;
        let mut hasher = sha2::Sha256::new();
        let mut reader = resp.into_body().into_reader();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = match std::io::Read::read(&mut reader, &mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Save::Download(e)),
            };
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n]).map_err(Save::Io)?;
        }
        out.flush().map_err(Save::Io)?;
        let blob = match etag {
            Some(e) => blob_name(e),
            None => {
                let hex: String = hasher
                    .finalize()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                format!("sha256-{hex}")
            }
        };
        let dest = repo.blob_path(&blob, file);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(Save::Io)?;
        }
        std::fs::rename(&tmp, &dest).map_err(Save::Io)?;
        Ok((blob, dest))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::sync::{Arc, Mutex};

    #[test]
    fn parses_hub_ids() {
        let id = HubId::parse("hf:Qwen/Qwen3-0.6B").unwrap().unwrap();
        assert_eq!(
            (id.repo.as_str(), id.revision.as_str()),
            ("Qwen/Qwen3-0.6B", "main")
        );
        assert_eq!(id.name(), "Qwen3-0.6B");
        assert!(!id.is_commit());
        let id = HubId::parse("hf:org/x@v1.0").unwrap().unwrap();
        assert_eq!(id.revision, "v1.0");
        let id = HubId::parse("hf:org/x@0123456789abcdef0123456789abcdef01234567")
            .unwrap()
            .unwrap();
        assert!(id.is_commit());
        let id = HubId::parse("hf:org/x@0123456789ABCDEF0123456789abcdef01234567")
            .unwrap()
            .unwrap();
        assert!(!id.is_commit(), "commit hashes are lowercase");
        assert!(HubId::parse("o200k_base").is_none());
        for bad in ["hf:noslash", "hf:a/b/c", "hf:../x", "hf:a/b@", "hf:a/b@.x"] {
            assert!(matches!(HubId::parse(bad), Some(Err(_))), "{bad}");
        }
    }

    #[test]
    fn etags_and_origins() {
        assert_eq!(normalize_etag("\"abc\""), "abc");
        assert_eq!(normalize_etag("W/\"abc\""), "abc");
        assert_eq!(normalize_etag(" abc "), "abc");
        assert_eq!(blob_name("0a1b"), "0a1b");
        let odd = blob_name("a/b c");
        assert!(odd.starts_with("etag-") && safe_name(&odd), "{odd}");
        assert_eq!(origin("http://h:8/a/b"), "http://h:8");
        assert_eq!(origin("https://h"), "https://h");
        let mut o = HubOptions::new("http://h:8/", "/tmp");
        o.token = Some("t".into());
        assert_eq!(token_for("http://h:8/x", &o), Some("t"));
        assert_eq!(token_for("http://cdn:8/x", &o), None);
    }

    /// One request a test server saw: method, path, whether it carried `Bearer secret`.
    type Seen = Arc<Mutex<Vec<(String, String, bool)>>>;

    /// A local HTTP/1.1 server (one request per connection) answering with `respond(method, path,
    /// authorized, n)` — `n` the request's index — as `(status line, headers, body)`; the body is
    /// left out for HEAD. Returns its address and the requests it saw.
    fn server(
        respond: impl Fn(&str, &str, bool, usize) -> (String, Vec<String>, String) + Send + 'static,
    ) -> (String, Seen) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen: Seen = Arc::default();
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut first = String::new();
                if reader.read_line(&mut first).unwrap_or(0) == 0 {
                    continue;
                }
                let mut authorized = false;
                let mut line = String::new();
                while reader.read_line(&mut line).unwrap_or(0) > 2 {
                    authorized |= line
                        .to_ascii_lowercase()
                        .starts_with("authorization: bearer secret");
                    line.clear();
                }
                let mut parts = first.split_whitespace();
                let method = parts.next().unwrap_or("").to_string();
                let path = parts.next().unwrap_or("").to_string();
                let n = {
                    let mut l = log.lock().unwrap();
                    l.push((method.clone(), path.clone(), authorized));
                    l.len() - 1
                };
                let (status, headers, body) = respond(&method, &path, authorized, n);
                let mut head = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
                    body.len()
                );
                for h in headers {
                    head.push_str(&h);
                    head.push_str("\r\n");
                }
                head.push_str("\r\n");
                let _ = stream.write_all(head.as_bytes());
                if method != "HEAD" {
                    let _ = stream.write_all(body.as_bytes());
                }
            }
        });
        (format!("http://{addr}"), seen)
    }

    fn ok(body: &str) -> (String, Vec<String>, String) {
        ("200 OK".into(), vec![], body.into())
    }

    #[test]
    fn token_is_sent_and_transient_failures_are_retried() {
        // The first two requests fail with 503; then 401 without the token, the file with it (no
        // ETag: every online run downloads).
        let (endpoint, seen) = server(|_, _, authorized, n| match (n, authorized) {
            (0 | 1, _) => ("503 Service Unavailable".into(), vec![], "busy".into()),
            (_, false) => ("401 Unauthorized".into(), vec![], "no".into()),
            _ => ok("{}"),
        });
        let cache = tempfile::tempdir().unwrap();
        let mut opts = HubOptions::new(&endpoint, cache.path());
        opts.backoff_ms = 1;
        let id = HubId::parse("hf:org/gated").unwrap().unwrap();

        // Without a token: two 503s are retried, then the 401 is an error that asks for HF_TOKEN.
        let e = resolve(&id, &opts, &mut |_| {}).unwrap_err().to_string();
        assert!(e.contains("HTTP 401") && e.contains("HF_TOKEN"), "{e}");
        assert_eq!(seen.lock().unwrap().len(), 3);

        // With the token: HEAD, then GET.
        opts.token = Some("secret".into());
        let p = resolve(&id, &opts, &mut |_| {}).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "{}");
        let log = seen.lock().unwrap().clone();
        let methods: Vec<&str> = log[3..].iter().map(|r| r.0.as_str()).collect();
        assert_eq!(methods, ["HEAD", "GET"]);
        assert!(log[3..].iter().all(|r| r.2), "the token goes with both");
        // No ETag: the blob is named by the content's SHA-256.
        let blob = p.parent().unwrap().file_name().unwrap().to_string_lossy();
        assert!(blob.starts_with("sha256-"), "{blob}");
    }

    #[test]
    fn retries_are_bounded() {
        let (endpoint, seen) =
            server(|_, _, _, _| ("503 Service Unavailable".into(), vec![], "busy".into()));
        let cache = tempfile::tempdir().unwrap();
        let mut opts = HubOptions::new(&endpoint, cache.path());
        opts.backoff_ms = 1;
        let id = HubId::parse("hf:org/busy").unwrap().unwrap();
        let e = resolve(&id, &opts, &mut |_| {}).unwrap_err().to_string();
        assert!(e.contains("503"), "{e}");
        assert_eq!(seen.lock().unwrap().len(), 1 + RETRIES as usize);
    }

    /// Large files on the hub: `HEAD` answers 302 to the storage host with `X-Linked-Etag`; the blob
    /// is named by it, downloaded from the storage URL without the token, and reused afterwards.
    #[test]
    fn redirects_to_storage_use_the_linked_etag() {
        let port = Arc::new(Mutex::new(0u16));
        let p2 = port.clone();
        let (endpoint, seen) = server(move |method, path, _, _| {
            let storage = format!("http://localhost:{}/storage/blob", p2.lock().unwrap());
            match (method, path) {
                (_, "/org/big/resolve/main/tokenizer.json") => (
                    "302 Found".into(),
                    vec![
                        format!("Location: {storage}"),
                        "X-Linked-Etag: \"5eed\"".into(),
                        "ETag: \"other\"".into(),
                        "X-Repo-Commit: c0ffee".into(),
                    ],
                    String::new(),
                ),
                ("GET", "/storage/blob") => ok("{\"big\":1}"),
                _ => ("404 Not Found".into(), vec![], String::new()),
            }
        });
        *port.lock().unwrap() = endpoint.rsplit(':').next().unwrap().parse().unwrap();
        let cache = tempfile::tempdir().unwrap();
        let mut opts = HubOptions::new(&endpoint, cache.path());
        opts.token = Some("secret".into());
        let id = HubId::parse("hf:org/big").unwrap().unwrap();
        let p = resolve(&id, &opts, &mut |_| {}).unwrap();
        assert_eq!(
            p,
            cache.path().join("hub/org/big/blobs/5eed/tokenizer.json")
        );
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "{\"big\":1}");
        let refs = cache.path().join("hub/org/big/refs/main");
        assert_eq!(std::fs::read_to_string(refs).unwrap(), "c0ffee\n");
        let log = seen.lock().unwrap().clone();
        assert_eq!(log.len(), 2);
        assert!(log[0].2, "the token goes to the hub");
        assert!(!log[1].2, "but not to the storage host");

        // Revalidated: same linked ETag, no download.
        let again = resolve(&id, &opts, &mut |_| {}).unwrap();
        assert_eq!(again, p);
        let log = seen.lock().unwrap().clone();
        assert_eq!(log.len(), 3);
        assert_eq!(log[2].0, "HEAD");
    }
}
