//! The cost of the metrics pass against the bare encode, and a digest of every metric (a development
//! aid for BENCHMARKS.md's tokenizer speed section: an optimisation of the metrics must leave the
//! digest as it was).
//!
//! `cargo run --release -p xling-tokenize --example metrics_timing -- CORPUS [TOKENIZER…]`
//!
//! Runs `ROUNDS` (default 3) alternating rounds of the bare encode ([`time_bare_encode`]) and the full
//! metrics ([`corpus_stats`]), in the order bare–metrics, then metrics–bare, and so on (the other
//! jobs of a shared machine drift), and prints CPU and wall seconds of each and the best of each kind;
//! then the single-thread cost of cutting every language's words once, by word unit. Tokenizers
//! default to those of `scripts/bench-tokenizers`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use sha2::Digest as _;
use xling_core::Corpus;
use xling_tokenize::Tokenizer;
use xling_tokenize::metrics::join_segments;
use xling_tokenize::table::{TableOptions, corpus_stats, time_bare_encode};
use xling_tokenize::words::WordUnit;

/// CPU seconds (user + system, all threads) of this process, from /proc/self/stat.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// Runs `f`, printing its wall and CPU seconds; returns its result and both times.
fn timed<T>(what: &str, f: impl FnOnce() -> T) -> (T, f64, f64) {
    let (c0, w0) = (cpu_seconds(), Instant::now());
    let out = f();
    let (c, w) = (cpu_seconds() - c0, w0.elapsed().as_secs_f64());
    eprintln!("{what:<32} wall {w:7.3} s  cpu {c:7.2} s");
    (out, w, c)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let corpus = args
        .next()
        .expect("usage: metrics_timing CORPUS [TOKENIZER…]");
    let mut specs: Vec<String> = args.collect();
    if specs.is_empty() {
        specs = [
            "llama3=.cache/npm/llama3/tokenizer.json",
            "qwen3=.cache/npm/qwen3/tokenizer.json",
            "gemma3=.cache/npm/gemma3/tokenizer.json",
            "o200k_base",
            "cl100k_base",
        ]
        .map(String::from)
        .to_vec();
    }
    let corpus = Corpus::open(&corpus).unwrap().load().unwrap();
    let loaded: Vec<Box<dyn Tokenizer>> = specs
        .iter()
        .map(|s| xling_tokenize::load(s).unwrap())
        .collect();
    let tks: Vec<&dyn Tokenizer> = loaded.iter().map(|t| t.as_ref()).collect();
    let opts = TableOptions::default();
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let inf = f64::INFINITY;
    let (mut bare, mut all) = ((inf, inf), (inf, inf));
    let mut stats = None;
    for r in 0..rounds {
        for metrics_first in [r % 2 == 1, r % 2 == 0] {
            if metrics_first {
                let (s, w, c) = timed(&format!("round {r}: all metrics"), || {
                    corpus_stats(&corpus, &tks, &opts).unwrap()
                });
                all = (all.0.min(w), all.1.min(c));
                stats = Some(s);
            } else {
                let (_, w, c) = timed(&format!("round {r}: bare encode"), || {
                    time_bare_encode(&corpus, &tks).unwrap()
                });
                bare = (bare.0.min(w), bare.1.min(c));
            }
        }
    }
    eprintln!(
        "best: bare wall {:.2} s cpu {:.2} s; metrics wall {:.2} s cpu {:.2} s; metrics/bare wall {:.3}, cpu {:.3}",
        bare.0,
        bare.1,
        all.0,
        all.1,
        all.0 / bare.0,
        all.1 / bare.1
    );
    if let Some(s) = &stats {
        let d = sha2::Sha256::digest(format!("{:?}", s.stats).as_bytes());
        let hex: String = d.iter().take(8).map(|b| format!("{b:02x}")).collect();
        eprintln!("digest of every metric: {hex}");
    }
    // Words, single-threaded, once per language.
    let texts: Vec<(String, WordUnit)> = corpus
        .streams
        .iter()
        .map(|s| {
            (
                join_segments(s.segments.iter().map(|g| g.text.as_str())),
                WordUnit::for_script(s.variety.script()),
            )
        })
        .collect();
    for unit in [WordUnit::Whitespace, WordUnit::Dictionary, WordUnit::Uax29] {
        let n = texts.iter().filter(|t| t.1 == unit).count();
        timed(&format!("words: {} ({n} languages)", unit.label()), || {
            texts
                .iter()
                .filter(|t| t.1 == unit)
                .map(|(t, u)| u.spans(t).len())
                .sum::<usize>()
        });
    }
}
