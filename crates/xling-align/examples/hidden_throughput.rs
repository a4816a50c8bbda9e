//! Hidden-state extraction throughput, for scripts/bench-align: reads sentences (one per line) from a
//! file, runs them through the model once untimed (warm-up) and then timed, and prints one JSON line
//! `{"tokens": …, "seconds": …, "tokens_per_s": …}`.
//!
//! `cargo run --release -p xling-align --example hidden_throughput -- MODEL.gguf SENTENCES.txt [BATCH_TOKENS] [f32|int8]`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Instant;

use xling_align::{ExtractOptions, extract};
use xling_model::{LoadOptions, Model};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let opts = LoadOptions {
        precision: args
            .get(4)
            .map_or(Default::default(), |p| p.parse().expect("precision")),
        ..LoadOptions::default()
    };
    let model = Model::load(Path::new(&args[1]), &opts).expect("model");
    let text = std::fs::read_to_string(&args[2]).expect("sentences");
    let sents: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let opts = ExtractOptions {
        max_batch_tokens: args
            .get(3)
            .map_or(1024, |b| b.parse().expect("batch tokens")),
    };
    let warm = &sents[..sents.len().min(8)];
    extract(&model, warm, &opts, &mut |_| {}).expect("warm-up");
    let t0 = Instant::now();
    let s = extract(&model, &sents, &opts, &mut |_| {}).expect("extract");
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "{{\"tokens\": {}, \"seconds\": {secs:.3}, \"tokens_per_s\": {:.1}}}",
        s.tokens,
        s.tokens as f64 / secs
    );
}
