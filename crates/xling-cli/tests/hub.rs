//! Hub ids (`hf:org/name`) end to end against a real local HTTP server that serves a hub-shaped folder
//! (`<org>/<name>/resolve/<revision>/<file>`) with the hub's headers (`ETag`, `X-Repo-Commit`):
//! download with a notice, cache, revalidation of branch revisions by `HEAD` (unchanged: no download;
//! changed: downloaded again), pinned commits never asked again, `HF_ENDPOINT`, `HF_HUB_OFFLINE`, the
//! cached copy when the server is down, and one-line errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

/// The requests a server saw: method and path.
type Log = Arc<Mutex<Vec<(String, String)>>>;

/// A minimal HTTP/1.1 file server on 127.0.0.1 (HEAD and GET, `Connection: close`) that logs every
/// request. Like the hub, it sends `ETag` (here a digest of the file, quoted) and `X-Repo-Commit` (the
/// `.commit` file next to the served file, else a hash of the file) with every found file.
fn serve(root: PathBuf) -> (String, Log) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let log: Log = Arc::default();
    let seen = log.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            if reader.read_line(&mut request).unwrap_or(0) == 0 {
                continue;
            }
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) <= 2 {
                    break;
                }
            }
            let mut parts = request.split_whitespace();
            let method = parts.next().unwrap_or("").to_string();
            let path = parts.next().unwrap_or("/").to_string();
            seen.lock().unwrap().push((method.clone(), path.clone()));
            let file = root.join(path.trim_start_matches('/'));
            let (status, body, extra) = match (path.contains(".."), std::fs::read(&file)) {
                (false, Ok(b)) => {
                    let etag = digest(&b);
                    let commit = std::fs::read_to_string(file.with_file_name(".commit"))
                        .map(|c| c.trim().to_string())
                        .unwrap_or_else(|_| etag.clone());
                    let extra = format!("ETag: \"{etag}\"\r\nX-Repo-Commit: {commit}\r\n");
                    ("200 OK", b, extra)
                }
                _ => ("404 Not Found", b"Entry not found".to_vec(), String::new()),
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\n{extra}Connection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            if method != "HEAD" {
                let _ = stream.write_all(&body);
            }
        }
    });
    (format!("http://{addr}"), log)
}

/// A 40-hex-digit digest of `b` (FNV-1a with five seeds; the test only needs it to change with the
/// content), standing in for the hub's git-SHA-1 ETags.
fn digest(b: &[u8]) -> String {
    (0..5u64)
        .map(|seed| {
            let h = b.iter().fold(0xcbf2_9ce4_8422_2325u64 ^ seed, |h, &x| {
                (h ^ u64::from(x)).wrapping_mul(0x0000_0100_0000_01b3)
            });
            format!("{:08x}", h as u32)
        })
        .collect()
}

/// How many requests of `method` the server has seen.
fn count(log: &Log, method: &str) -> usize {
    log.lock().unwrap().iter().filter(|r| r.0 == method).count()
}

/// A word-level tokenizer; `pre` is its pre-tokenizer (`Whitespace` splits punctuation off,
/// `WhitespaceSplit` does not, so the two give different token counts).
fn tiny(pre: &str) -> String {
    format!(
        r#"{{"version":"1.0","truncation":null,"padding":null,"added_tokens":[],"normalizer":null,
"pre_tokenizer":{{"type":"{pre}"}},"post_processor":null,"decoder":null,
"model":{{"type":"WordLevel","vocab":{{"the":0,"of":1,"[UNK]":2}},"unk_token":"[UNK]"}}}}"#
    )
}

fn xling(endpoint: &str, cache: &Path, offline: bool, args: &[&str]) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_xling"));
    c.args(args)
        .env("HF_ENDPOINT", endpoint)
        .env("XLING_CACHE_DIR", cache)
        .env_remove("HF_HUB_OFFLINE")
        .env_remove("HF_TOKEN");
    if offline {
        c.env("HF_HUB_OFFLINE", "1");
    }
    c.output().unwrap()
}

/// Runs `xling tokenizers` on the English sample with `model`; returns the token count and stderr.
fn tokens(endpoint: &str, cache: &Path, offline: bool, model: &str) -> (i64, String) {
    let o = xling(
        endpoint,
        cache,
        offline,
        &["tokenizers", "-t", model, "-l", "eng_Latn", "-f", "json"],
    );
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let name = model
        .trim_start_matches("hf:")
        .split(['/', '@'])
        .nth(1)
        .unwrap();
    (
        v["rows"][0][format!("{name}.tokens")].as_i64().unwrap(),
        err,
    )
}

#[test]
fn hub_ids_download_once_then_come_from_the_cache() {
    let hub = tempfile::tempdir().unwrap();
    let dir = hub.path().join("org/tiny/resolve/main");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("tokenizer.json"), tiny("Whitespace")).unwrap();
    let (endpoint, log) = serve(hub.path().to_path_buf());
    let cache = tempfile::tempdir().unwrap();
    let model = "hf:org/tiny";

    // Offline with an empty cache: an error, and the server is not asked.
    let o = xling(&endpoint, cache.path(), true, &["tokenizers", "-t", model]);
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("hf:org/tiny@main") && e.contains("HF_HUB_OFFLINE"),
        "{e}"
    );
    assert_eq!(log.lock().unwrap().len(), 0);

    // Online: asked (HEAD), then downloaded (GET) from HF_ENDPOINT with a notice.
    let (first, e) = tokens(&endpoint, cache.path(), false, model);
    assert!(first > 1000);
    assert!(
        e.contains(&format!(
            "downloading {endpoint}/org/tiny/resolve/main/tokenizer.json"
        )),
        "{e}"
    );
    assert_eq!((count(&log, "HEAD"), count(&log, "GET")), (1, 1));
    // The cache: the branch's ref, the commit's snapshot, the blob named by the ETag.
    let repo = cache.path().join("hub/org/tiny");
    let etag = digest(tiny("Whitespace").as_bytes());
    assert!(
        repo.join("blobs")
            .join(&etag)
            .join("tokenizer.json")
            .is_file()
    );
    let commit = std::fs::read_to_string(repo.join("refs/main")).unwrap();
    assert_eq!(commit.trim(), etag);
    let snapshot = std::fs::read_to_string(repo.join("snapshots").join(commit.trim())).unwrap();
    assert_eq!(snapshot.trim(), format!("tokenizer.json {etag}"));

    // Again, unchanged on the server: revalidated with HEAD only, no download, silently.
    let (again, e) = tokens(&endpoint, cache.path(), false, model);
    assert_eq!(again, first);
    assert!(!e.contains("downloading") && !e.contains("warning"), "{e}");
    assert_eq!((count(&log, "HEAD"), count(&log, "GET")), (2, 1));

    // Offline: from the cache without any request.
    let (offline, _) = tokens(&endpoint, cache.path(), true, model);
    assert_eq!(offline, first);
    assert_eq!(log.lock().unwrap().len(), 3);

    // A new commit that leaves the file as it is: the ref moves, the blob is reused (no GET).
    std::fs::write(
        dir.join(".commit"),
        "1111111111111111111111111111111111111111",
    )
    .unwrap();
    let (same, _) = tokens(&endpoint, cache.path(), false, model);
    assert_eq!(same, first);
    assert_eq!((count(&log, "HEAD"), count(&log, "GET")), (3, 1));
    let r = std::fs::read_to_string(repo.join("refs/main")).unwrap();
    assert_eq!(r.trim(), "1111111111111111111111111111111111111111");

    // The file changes on the server: a new ETag, downloaded again, and its counts are used.
    std::fs::write(dir.join("tokenizer.json"), tiny("WhitespaceSplit")).unwrap();
    std::fs::write(
        dir.join(".commit"),
        "2222222222222222222222222222222222222222",
    )
    .unwrap();
    let (changed, e) = tokens(&endpoint, cache.path(), false, model);
    assert_ne!(changed, first);
    assert!(
        e.contains("downloading") && e.contains("changed since the cached copy"),
        "{e}"
    );
    assert_eq!((count(&log, "HEAD"), count(&log, "GET")), (4, 2));
    // The old commit's snapshot and blob stay (a pinned revision may still need them).
    assert!(
        repo.join("blobs")
            .join(&etag)
            .join("tokenizer.json")
            .is_file()
    );

    // Offline now gives the new file.
    let (offline, _) = tokens(&endpoint, cache.path(), true, model);
    assert_eq!(offline, changed);

    // The server is down: the cached copy, with a warning that says why.
    let down = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let (cached, e) = tokens(&down, cache.path(), false, model);
    assert_eq!(cached, changed);
    assert!(
        e.contains("warning: could not revalidate the cached copy") && e.contains(&down),
        "{e}"
    );
    // Down, and nothing cached: a one-line error naming the URL.
    let o = xling(
        &down,
        cache.path(),
        false,
        &["tokenizers", "-t", "hf:org/other"],
    );
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("hf:org/other@main") && e.contains(&down), "{e}");
    assert_eq!(e.trim().lines().count(), 1, "{e}");

    // A model without tokenizer files: both names asked, then a one-line error.
    let before = log.lock().unwrap().len();
    let o = xling(
        &endpoint,
        cache.path(),
        false,
        &["tokenizers", "-t", "hf:org/none", "-l", "eng_Latn"],
    );
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("neither tokenizer.json nor tokenizer.model"),
        "{e}"
    );
    assert_eq!(log.lock().unwrap().len(), before + 2);

    // A malformed id.
    let o = xling(
        &endpoint,
        cache.path(),
        false,
        &["tokenizers", "-t", "hf:justaname"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("hf:org/name"));
}

/// A revision that is a commit hash names immutable content: downloaded once, never asked again.
#[test]
fn pinned_commits_are_never_asked_again() {
    let hub = tempfile::tempdir().unwrap();
    let commit = "0123456789abcdef0123456789abcdef01234567";
    let dir = hub.path().join("org/tiny/resolve").join(commit);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("tokenizer.json"), tiny("Whitespace")).unwrap();
    std::fs::write(dir.join(".commit"), commit).unwrap();
    let (endpoint, log) = serve(hub.path().to_path_buf());
    let cache = tempfile::tempdir().unwrap();
    let model = format!("hf:org/tiny@{commit}");

    let (first, e) = tokens(&endpoint, cache.path(), false, &model);
    assert!(e.contains("downloading"), "{e}");
    assert_eq!((count(&log, "HEAD"), count(&log, "GET")), (1, 1));
    // Even if the server now served something else under that name, the pinned copy is used.
    std::fs::write(dir.join("tokenizer.json"), tiny("WhitespaceSplit")).unwrap();
    for _ in 0..2 {
        let (again, e) = tokens(&endpoint, cache.path(), false, &model);
        assert_eq!(again, first);
        assert!(e.trim().is_empty(), "{e}");
    }
    assert_eq!(log.lock().unwrap().len(), 2);
}
