//! Prints the top-k next tokens for a prompt: `cargo run --release -p xling-model --example next_token -- MODEL.gguf "The capital of France is"`.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::path::Path;
use xling_model::{LoadOptions, Model};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let t0 = std::time::Instant::now();
    let model = Model::load(Path::new(&args[1]), &LoadOptions::default()).expect("load");
    eprintln!("loaded in {:.2?}", t0.elapsed());
    let ids = model.encode(&args[2]).expect("encode");
    println!("ids {ids:?}");
    let t0 = std::time::Instant::now();
    let lp = model.next_token_logprobs(&ids).expect("forward");
    eprintln!("forward in {:.2?}", t0.elapsed());
    let mut idx: Vec<usize> = (0..lp.len()).collect();
    idx.sort_by(|&a, &b| lp[b].total_cmp(&lp[a]));
    for &i in idx.iter().take(5) {
        let tok = model.tokenizer().decode_token(i as u32).unwrap_or_default();
        println!("{:?} {:.3}", String::from_utf8_lossy(&tok), lp[i].exp());
    }
}
