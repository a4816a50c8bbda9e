//! Prints how long the first romanization takes (table decompression and parsing included).
fn main() {
    let t = std::time::Instant::now();
    let r = xling_romanize::Romanizer::new();
    let s = r.romanize("Игорь", None);
    println!("{s} {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
}
