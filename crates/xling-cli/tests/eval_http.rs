//! `xling eval` against OpenAI-compatible endpoints that misbehave: a real HTTP server on localhost
//! (a thread in this test speaking HTTP/1.1 over a socket) answering with 5xx, 4xx, malformed JSON or
//! not at all, and a closed port. Retries are bounded, errors name the endpoint and the cause, and
//! every answer received before a failure stays in the cache. No model needed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

/// What the fake endpoint does with the `n`-th request (0-based).
type Behaviour = dyn Fn(usize) -> Reply + Send + Sync;

enum Reply {
    /// A well-formed completion with echo log-probabilities (one "token" per character, −1 each).
    Ok,
    /// This status and body.
    Status(u16, &'static str),
    /// Not JSON.
    Garbage,
    /// Wait this long before answering normally.
    Slow(Duration),
}

struct Fake {
    url: String,
    hits: Arc<AtomicUsize>,
}

fn read_request(stream: &mut std::net::TcpStream) -> Option<Value> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some(v) = l.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().ok()?;
        }
    }
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn completion(prompt: &str) -> Value {
    // Every character is a token with log-probability −1; with echo, the prompt comes back first.
    let chars: Vec<String> = prompt.chars().map(String::from).collect();
    let mut lps: Vec<Value> = vec![Value::Null];
    lps.extend(std::iter::repeat_n(
        json!(-1.0),
        chars.len().saturating_sub(1),
    ));
    lps.push(json!(-0.5));
    let mut tokens: Vec<Value> = chars.iter().map(|c| json!(c)).collect();
    tokens.push(json!("!"));
    let offsets: Vec<Value> = (0..=chars.len()).map(|i| json!(i)).collect();
    let tops: Vec<Value> = tokens
        .iter()
        .map(|t| json!({t.as_str().unwrap(): -0.1}))
        .collect();
    json!({
        "choices": [{"index": 0, "text": format!("{prompt}!"), "finish_reason": "length",
                     "logprobs": {"tokens": tokens, "token_logprobs": lps, "top_logprobs": tops,
                                  "text_offset": offsets}}],
        "usage": {"prompt_tokens": chars.len(), "completion_tokens": 1},
    })
}

fn spawn(behaviour: Arc<Behaviour>) -> Fake {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let behaviour = behaviour.clone();
            let h = h.clone();
            std::thread::spawn(move || {
                let Some(req) = read_request(&mut stream) else {
                    return;
                };
                let n = h.fetch_add(1, Ordering::SeqCst);
                let prompt = req["prompt"].as_str().unwrap_or("").to_string();
                let (status, body) = match behaviour(n) {
                    Reply::Ok => (200, completion(&prompt).to_string()),
                    Reply::Status(s, b) => (s, b.to_string()),
                    Reply::Garbage => (200, "{\"choices\": [".to_string()),
                    Reply::Slow(d) => {
                        std::thread::sleep(d);
                        (200, completion(&prompt).to_string())
                    }
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    Fake { url, hits }
}

/// A three-item, two-choice task file in a temp dir.
fn toy_task(dir: &Path) -> String {
    std::fs::write(
        dir.join("toy.jsonl"),
        "{\"q\": \"Sky?\", \"a\": \"blue\", \"b\": \"green grass\", \"label\": 0}\n\
         {\"q\": \"Snow?\", \"a\": \"white\", \"b\": \"it is red\", \"label\": 0}\n\
         {\"q\": \"Grass?\", \"a\": \"pink\", \"b\": \"green\", \"label\": 1}\n",
    )
    .unwrap();
    let task = dir.join("toy.toml");
    std::fs::write(
        &task,
        "name = \"toy\"\nformat = \"multiple_choice\"\ndata = \"toy.jsonl\"\nlanguages = [\"eng_Latn\"]\n\
         [prompt]\ndefault = \"Q: {q}\\nA:\"\n[choices]\nfields = [\"a\", \"b\"]\ngold_field = \"label\"\npmi = false\n",
    )
    .unwrap();
    task.to_str().unwrap().to_string()
}

fn eval(url: &str, task: &str, out: &Path, extra: &[&str]) -> std::process::Output {
    let model = format!("openai:{url}#toy");
    let mut args = vec![
        "eval",
        "-m",
        &model,
        "-t",
        task,
        "-o",
        out.to_str().unwrap(),
        "-q",
        "--no-report",
        "--concurrency",
        "1",
        "--backoff",
        "0.01",
        "-f",
        "json",
    ];
    args.extend_from_slice(extra);
    Command::new(env!("CARGO_BIN_EXE_xling"))
        .args(&args)
        .output()
        .unwrap()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn cache_lines(out: &Path) -> usize {
    std::fs::read_to_string(out.join("cache.jsonl"))
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

#[test]
fn transient_failures_are_retried_and_the_run_completes() {
    let dir = tempfile::tempdir().unwrap();
    let task = toy_task(dir.path());
    // 500, malformed JSON, 503 — then fine.
    let fake = spawn(Arc::new(|n| match n {
        0 => Reply::Status(500, "{\"error\": \"boom\"}"),
        1 => Reply::Garbage,
        2 => Reply::Status(503, "busy"),
        _ => Reply::Ok,
    }));
    let out = dir.path().join("out");
    let o = eval(&fake.url, &task, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(fake.hits.load(Ordering::SeqCst), 3 + 6);
    let results: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    // The fake gives −1 per character: the shorter choice always wins (items 0 and 1 right, 2 wrong).
    let acc = results["results"]["toy_eng_Latn"]["acc,none"]
        .as_f64()
        .unwrap();
    assert!((acc - 2.0 / 3.0).abs() < 1e-12, "{acc}");
    assert_eq!(cache_lines(&out), 6);
}

#[test]
fn persistent_failures_stop_with_a_clear_error_and_keep_what_was_answered() {
    let dir = tempfile::tempdir().unwrap();
    let task = toy_task(dir.path());
    // Two answers, then three failures (the first run gives up), then fine again.
    let fake = spawn(Arc::new(|n| {
        if (2..5).contains(&n) {
            Reply::Status(502, "bad gateway")
        } else {
            Reply::Ok
        }
    }));
    let out = dir.path().join("out");
    let o = eval(&fake.url, &task, &out, &["--retries", "2"]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("HTTP 502") && e.contains("gave up after 3 tries"),
        "{e}"
    );
    assert!(e.contains(&fake.url), "{e}");
    assert!(e.contains("run the same command again to resume"), "{e}");
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    assert_eq!(fake.hits.load(Ordering::SeqCst), 2 + 3);
    assert_eq!(cache_lines(&out), 2);

    // The server recovers: the re-run asks only for the four missing answers.
    let o = eval(&fake.url, &task, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(fake.hits.load(Ordering::SeqCst), 5 + 4);
    assert_eq!(cache_lines(&out), 6);
}

#[test]
fn client_errors_are_not_retried() {
    let dir = tempfile::tempdir().unwrap();
    let task = toy_task(dir.path());
    let fake = spawn(Arc::new(|_| {
        Reply::Status(
            400,
            "{\"error\": {\"message\": \"logprobs are not supported\"}}",
        )
    }));
    let out = dir.path().join("out");
    let o = eval(&fake.url, &task, &out, &[]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("HTTP 400") && e.contains("logprobs are not supported"),
        "{e}"
    );
    assert_eq!(fake.hits.load(Ordering::SeqCst), 1);
}

#[test]
fn timeouts_and_refused_connections_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let task = toy_task(dir.path());
    let fake = spawn(Arc::new(|_| Reply::Slow(Duration::from_secs(3))));
    let out = dir.path().join("out");
    let started = std::time::Instant::now();
    let o = eval(
        &fake.url,
        &task,
        &out,
        &["--timeout", "0.3", "--retries", "1"],
    );
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("no answer within") && e.contains("gave up after 2 tries"),
        "{e}"
    );
    assert!(started.elapsed() < Duration::from_secs(20));

    // A port nobody listens on.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let o = eval(
        &format!("http://127.0.0.1:{port}/v1"),
        &task,
        &dir.path().join("out3"),
        &["--retries", "1"],
    );
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("connection failed") && e.contains("gave up after 2 tries"),
        "{e}"
    );
}

#[test]
fn chat_endpoints_refuse_log_likelihood_tasks_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let task = toy_task(dir.path());
    let fake = spawn(Arc::new(|_| Reply::Ok));
    let o = Command::new(env!("CARGO_BIN_EXE_xling"))
        .args([
            "eval",
            "-m",
            &format!("openai-chat:{}", fake.url),
            "-t",
            &task,
            "-o",
            dir.path().join("o").to_str().unwrap(),
            "-q",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.contains("log-likelihood") && e.contains("chat"), "{e}");
    assert_eq!(fake.hits.load(Ordering::SeqCst), 0);
}

#[test]
fn bad_tasks_and_models_are_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["-t", "nope", "-m", "openai:http://127.0.0.1:9"],
            "sib200",
        ),
        (
            vec![
                "-t",
                "mgsm",
                "-l",
                "hin_Deva",
                "-m",
                "openai:http://127.0.0.1:9",
            ],
            "MGSM has no hin_Deva",
        ),
        (vec!["-t", "mgsm", "-m", "/no/such.gguf"], "no such file"),
        (
            vec![
                "-t",
                "mgsm",
                "--num-fewshot",
                "2",
                "-m",
                "openai:http://127.0.0.1:9",
            ],
            "0-shot",
        ),
        (
            vec![
                "-t",
                "mgsm",
                "--precision",
                "int8",
                "-m",
                "openai:http://127.0.0.1:9",
            ],
            "applies to a local model",
        ),
    ];
    for (args, want) in cases {
        let mut all = vec!["eval", "-q", "-o", dir.path().to_str().unwrap()];
        all.extend(args);
        let o = Command::new(env!("CARGO_BIN_EXE_xling"))
            .args(&all)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{all:?}");
        let e = stderr(&o);
        assert!(e.contains(want), "{all:?}: {e}");
        assert_eq!(e.trim().lines().count(), 1, "{e}");
    }
    // A malformed task file names the file and line.
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "name = \"x\"\ndata = \"d.jsonl\"\nlanguages = [\"eng_Latn\"]\nformat = 3\n",
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_xling"))
        .args([
            "eval",
            "-q",
            "-t",
            bad.to_str().unwrap(),
            "-m",
            "openai:http://127.0.0.1:9",
        ])
        .output()
        .unwrap();
    let e = stderr(&o);
    assert!(e.contains("bad.toml:4"), "{e}");
}
