//! `xling romanize`: uroman-exact romanization of a file or stdin, line by line (xling-romanize).

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use xling_core::corpus::lines::LineReader;
use xling_core::registry;
use xling_romanize::{Format, StreamOptions, romanize_lines};

/// Arguments of `xling romanize`.
#[derive(Args, Debug)]
pub(crate) struct RomanizeArgs {
    /// Text file to romanize, or `-` for stdin. Lines starting `::lcode xxx ` use that language.
    #[arg(default_value = "-")]
    input: String,
    /// Language of the text (code, tag or name; resolved to ISO 639-3 for uroman's language rules).
    #[arg(long, short = 'l')]
    lang: Option<String>,
    /// Output: `str` (romanized lines), or uroman's JSON edges `edges`, `alts`, `lattice`.
    #[arg(long, short = 'f', default_value = "str", value_parser = parse_rom_format)]
    format: Format,
    /// Token-cache size per worker thread (0 disables it).
    #[arg(long, default_value_t = 65_536)]
    cache_size: usize,
}

fn parse_rom_format(s: &str) -> Result<Format, String> {
    s.parse()
}

/// Runs `xling romanize`.
pub(crate) fn romanize(a: RomanizeArgs) -> Result<()> {
    let lcode = match a.lang.as_deref() {
        Some(q) => Some(registry().resolve(q)?.lang.iso639_3.clone()),
        None => None,
    };
    let opts = StreamOptions {
        lcode,
        format: a.format,
        cache_size: a.cache_size,
        ..StreamOptions::default()
    };
    let (reader, path): (Box<dyn Read>, PathBuf) = if a.input == "-" {
        (Box::new(io::stdin().lock()), PathBuf::from("<stdin>"))
    } else {
        let p = Path::new(&a.input);
        let f = File::open(p).with_context(|| format!("{}: cannot open", p.display()))?;
        (Box::new(f), p.to_path_buf())
    };
    // uroman reads text with Python's universal newlines: a lone `\r` also ends a line.
    let lines = LineReader::new(BufReader::with_capacity(1 << 16, reader), &path).flat_map(|l| {
        let parts: Vec<Result<String>> = match l {
            Ok(l) if l.text.contains('\r') => {
                l.text.split('\r').map(|p| Ok(p.to_string())).collect()
            }
            Ok(l) => vec![Ok(l.text)],
            // one message: the corpus error already names its cause
            Err(e) => vec![Err(anyhow::anyhow!("{e}"))],
        };
        parts
    });
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    romanize_lines(lines, &mut out, &opts)
}
