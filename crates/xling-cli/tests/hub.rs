//! Hub ids (`hf:org/name`) end to end against a real local HTTP server that serves a hub-shaped folder
//! (`<org>/<name>/resolve/<revision>/<file>`): download with a notice, cache, `HF_ENDPOINT`,
//! `HF_HUB_OFFLINE`, and one-line errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A minimal HTTP/1.1 file server on 127.0.0.1 (GET only, `Connection: close`), counting requests.
fn serve(root: PathBuf) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
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
            counter.fetch_add(1, Ordering::SeqCst);
            let path = request.split_whitespace().nth(1).unwrap_or("/");
            let file = root.join(path.trim_start_matches('/'));
            let (status, body) = match (path.contains(".."), std::fs::read(&file)) {
                (false, Ok(b)) => ("200 OK", b),
                _ => ("404 Not Found", b"Entry not found".to_vec()),
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    (format!("http://{addr}"), hits)
}

const TINY: &str = r#"{"version":"1.0","truncation":null,"padding":null,"added_tokens":[],"normalizer":null,
"pre_tokenizer":{"type":"Whitespace"},"post_processor":null,"decoder":null,
"model":{"type":"WordLevel","vocab":{"the":0,"of":1,"[UNK]":2},"unk_token":"[UNK]"}}"#;

fn xling(endpoint: &str, cache: &Path, offline: bool, args: &[&str]) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_xling"));
    c.args(args)
        .env("HF_ENDPOINT", endpoint)
        .env("XLING_CACHE_DIR", cache)
        .env_remove("HF_HUB_OFFLINE");
    if offline {
        c.env("HF_HUB_OFFLINE", "1");
    }
    c.output().unwrap()
}

#[test]
fn hub_ids_download_once_then_come_from_the_cache() {
    let hub = tempfile::tempdir().unwrap();
    let dir = hub.path().join("org/tiny/resolve/main");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("tokenizer.json"), TINY).unwrap();
    let (endpoint, hits) = serve(hub.path().to_path_buf());
    let cache = tempfile::tempdir().unwrap();
    let args = [
        "tokenizers",
        "-t",
        "hf:org/tiny",
        "-l",
        "eng_Latn",
        "-f",
        "json",
    ];

    // Offline with an empty cache: an error, and the server is not asked.
    let o = xling(&endpoint, cache.path(), true, &args);
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("hf:org/tiny@main") && e.contains("HF_HUB_OFFLINE"),
        "{e}"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 0);

    // Online: downloaded from HF_ENDPOINT, with a notice.
    let o = xling(&endpoint, cache.path(), false, &args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains(&format!(
            "downloading {endpoint}/org/tiny/resolve/main/tokenizer.json"
        )),
        "{e}"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["rows"][0]["tiny.tokens"].as_i64().unwrap() > 1000);
    assert!(
        cache
            .path()
            .join("hub/org/tiny/main/tokenizer.json")
            .is_file()
    );

    // Again, and offline: from the cache, silently, without a request.
    for offline in [false, true] {
        let o = xling(&endpoint, cache.path(), offline, &args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(!String::from_utf8_lossy(&o.stderr).contains("downloading"));
    }
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    // A model without tokenizer files: both names tried, then a one-line error.
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
    assert_eq!(hits.load(Ordering::SeqCst), 3);

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
