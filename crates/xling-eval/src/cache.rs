//! The request cache: every answered request, one JSON line each, keyed by a hash of (backend identity,
//! task, request). Lines are appended and flushed one at a time as answers arrive, so a killed run
//! loses at most the request in flight, and a re-run answers every stored request from the file.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::EvalError;
use crate::backend::{Request, Response};

/// One stored answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    /// The request's key.
    pub key: String,
    /// The backend identity.
    pub model: String,
    /// `task@version`.
    pub task: String,
    /// The request.
    pub request: Request,
    /// The answer.
    pub response: Response,
}

/// A JSONL request cache.
#[derive(Debug)]
pub struct Cache {
    path: PathBuf,
    stored: HashMap<String, Response>,
    file: Mutex<File>,
    /// A torn last line found when opening (a run killed while writing), dropped.
    pub torn_tail: bool,
}

/// The key of a request: SHA-256 of its canonical JSON with the backend and task.
pub fn key(model: &str, task: &str, request: &Request) -> String {
    let canon = serde_json::json!({"model": model, "task": task, "request": request});
    let digest = Sha256::digest(canon.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl Cache {
    /// Opens (or creates) a cache file and reads what it holds. A malformed line is an error naming the
    /// file and line, except a torn last line without its newline, which a kill mid-write leaves (it is
    /// dropped and rewritten).
    pub fn open(path: &Path) -> Result<Cache, EvalError> {
        let io = |e| EvalError::Io {
            path: path.to_path_buf(),
            source: e,
        };
        let mut stored = HashMap::new();
        let mut torn_tail = false;
        let mut keep = 0usize;
        if path.exists() {
            let bytes = std::fs::read(path).map_err(io)?;
            let mut offset = 0usize;
            for (n, raw) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
                let complete = raw.ends_with(b"\n");
                let line = String::from_utf8_lossy(raw);
                let line = line.trim_end();
                if line.is_empty() {
                    offset += raw.len();
                    keep = offset;
                    continue;
                }
                match (complete, serde_json::from_str::<Entry>(line)) {
                    (true, Ok(e)) => {
                        stored.insert(e.key, e.response);
                        offset += raw.len();
                        keep = offset;
                    }
                    (false, _) => {
                        torn_tail = true;
                    }
                    (true, Err(e)) => {
                        return Err(EvalError::Data(format!(
                            "{}:{}: not a cache entry ({e}); delete the file to start over",
                            path.display(),
                            n + 1
                        )));
                    }
                }
            }
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| EvalError::Io {
                path: dir.to_path_buf(),
                source: e,
            })?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io)?;
        if torn_tail {
            file.set_len(keep as u64).map_err(io)?;
        }
        Ok(Cache {
            path: path.to_path_buf(),
            stored,
            file: Mutex::new(file),
            torn_tail,
        })
    }

    /// The stored answer of a key.
    pub fn get(&self, key: &str) -> Option<&Response> {
        self.stored.get(key)
    }

    /// Answers stored.
    pub fn len(&self) -> usize {
        self.stored.len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.stored.is_empty()
    }

    /// Appends one answer (one `write` of a whole line, then flushed to the OS).
    pub fn append(&self, entry: &Entry) -> Result<(), EvalError> {
        let mut line = serde_json::to_string(entry)
            .map_err(|e| EvalError::Data(format!("cache entry: {e}")))?;
        line.push('\n');
        let mut f = self
            .file
            .lock()
            .map_err(|_| EvalError::Data("cache lock poisoned".into()))?;
        f.write_all(line.as_bytes())
            .and_then(|()| f.flush())
            .map_err(|e| EvalError::Io {
                path: self.path.clone(),
                source: e,
            })
    }

    /// Records an answer in memory too (after [`Cache::append`]).
    pub fn remember(&mut self, key: String, response: Response) {
        self.stored.insert(key, response);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(k: &str) -> Entry {
        Entry {
            key: k.into(),
            model: "m".into(),
            task: "t@1".into(),
            request: Request::Loglikelihood {
                context: "a".into(),
                continuation: " b".into(),
            },
            response: Response::Loglikelihood {
                logprob: -1.5,
                is_greedy: false,
                tokens: 1,
            },
        }
    }

    #[test]
    fn entries_survive_reopening_and_a_torn_tail_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.jsonl");
        let c = Cache::open(&p).unwrap();
        c.append(&entry("k1")).unwrap();
        c.append(&entry("k2")).unwrap();
        drop(c);
        // A kill in the middle of a write.
        let mut f = OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(br#"{"key":"k3","mod"#).unwrap();
        drop(f);
        let c = Cache::open(&p).unwrap();
        assert!(c.torn_tail);
        assert_eq!(c.len(), 2);
        assert!(c.get("k1").is_some() && c.get("k3").is_none());
        c.append(&entry("k3")).unwrap();
        drop(c);
        let c = Cache::open(&p).unwrap();
        assert!(!c.torn_tail);
        assert_eq!(c.len(), 3);
    }

    #[test]
    fn a_corrupt_middle_line_names_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.jsonl");
        std::fs::write(&p, "not json\n{}\n").unwrap();
        let e = Cache::open(&p).unwrap_err().to_string();
        assert!(e.contains("c.jsonl:1"), "{e}");
    }

    #[test]
    fn keys_depend_on_model_task_and_request() {
        let r = entry("x").request;
        assert_ne!(key("a", "t", &r), key("b", "t", &r));
        assert_ne!(key("a", "t", &r), key("a", "u", &r));
        assert_eq!(key("a", "t", &r), key("a", "t", &r));
    }
}
