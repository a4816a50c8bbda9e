//! `xling-romanize`: romanization identical to uroman 1.3.1.1 (Ulf Hermjakob, USC/ISI), for every script.
//!
//! This crate owns:
//! - the uroman data tables, vendored as one zstd bundle (`data/uroman-data.bin.zst`, rebuilt by
//!   `scripts/vendor-uroman-data`; licence and attribution in `data/README.md`), parsed once on first use;
//! - an own Rust implementation of uroman's romanization lattice ([`Romanizer`]): table rules with context
//!   restrictions and language codes, abugida default vowels and viramas, Tibetan vowel placement, Thai
//!   syllable rules, Japanese kana contractions, Hangul decomposition, Chinese pinyin without tones,
//!   Braille, numerals and number composition (`七十八` → `78`), decomposition and Unicode fallbacks;
//! - uroman's output formats ([`Format`]: `str`, `edges`, `alts`, `lattice`, with its JSON shapes and
//!   code-point offsets) and a token cache;
//! - streaming over lines, in parallel with the output order preserved ([`romanize_lines`]).
//!
//! uroman's command line splits each line into tokens at spaces (and `。`, `་`) for its cache, while its
//! Python API (`Uroman().romanize_string`) romanizes the whole string at once; the two can differ where a
//! rule's context crosses a space. [`Romanizer::new`] follows the command line, [`Romanizer::whole_string`]
//! the API.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::sync::OnceLock;

mod data;
mod fxhash;
mod lattice;
mod unicode;

use data::Data;
use lattice::Lattice;

static DATA: OnceLock<Data> = OnceLock::new();

fn data() -> &'static Data {
    DATA.get_or_init(Data::load)
}

/// Output format of a romanization, as uroman's `-f`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// The romanized string.
    #[default]
    Str,
    /// The best path as edges with code-point offsets.
    Edges,
    /// The best path plus alternative romanizations.
    Alts,
    /// All edges of the lattice plus alternatives.
    Lattice,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        match s {
            "str" => Ok(Format::Str),
            "edges" => Ok(Format::Edges),
            "alts" => Ok(Format::Alts),
            "lattice" => Ok(Format::Lattice),
            _ => Err(format!(
                "unknown romanization format '{s}' (expected str, edges, alts or lattice)"
            )),
        }
    }
}

/// One edge of a romanization: code-point span of the input, its romanization, and uroman's annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RomEdge {
    /// Start offset in code points.
    pub start: usize,
    /// End offset in code points (exclusive).
    pub end: usize,
    /// The romanization of the span.
    pub text: String,
    /// uroman's annotation (`rom`, `num`, `orig`, `rom-alt`, …); `None` where uroman has none.
    pub kind: Option<String>,
}

impl RomEdge {
    /// The edge as uroman writes it: `[start, end, "text", "kind"]` (Python `json.dumps`, ASCII-escaped).
    pub fn to_json(&self) -> String {
        let kind = self.kind.as_deref().map_or("null".to_string(), py_json_str);
        format!(
            "[{}, {}, {}, {kind}]",
            self.start,
            self.end,
            py_json_str(&self.text)
        )
    }
}

/// uroman's JSON line for a list of edges: the edges concatenated inside one pair of brackets.
pub fn edges_to_json(edges: &[RomEdge]) -> String {
    let mut out = String::from("[");
    for e in edges {
        out.push_str(&e.to_json());
    }
    out.push(']');
    out
}

/// Python's `json.dumps` of a string (ASCII only, `\uXXXX` escapes with surrogate pairs).
fn py_json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e && (c as u32) != 0x7f => {
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A cache of romanized tokens, like uroman's (`-c`): keyed by token, language code and format.
#[derive(Debug, Default)]
pub struct TokenCache {
    map: HashMap<(String, Option<String>), CacheEntry>,
    max: usize,
}

#[derive(Debug, Clone)]
enum CacheEntry {
    Str(String),
}

impl TokenCache {
    /// A cache holding up to `max` tokens per format (uroman's default is 65,536); 0 disables it.
    pub fn new(max: usize) -> TokenCache {
        TokenCache {
            map: HashMap::new(),
            max,
        }
    }
}

/// The romanizer. Cheap to create: the tables are loaded once per process and shared.
#[derive(Debug, Clone, Copy)]
pub struct Romanizer {
    tokenize: bool,
}

impl Default for Romanizer {
    fn default() -> Self {
        Romanizer::new()
    }
}

impl Romanizer {
    /// A romanizer that behaves like the `uroman` command line (token-wise, as with its cache on).
    pub fn new() -> Romanizer {
        let _ = data();
        Romanizer { tokenize: true }
    }

    /// A romanizer that behaves like uroman's Python API `Uroman().romanize_string` (whole strings).
    pub fn whole_string() -> Romanizer {
        let _ = data();
        Romanizer { tokenize: false }
    }

    pub(crate) fn data(&self) -> &'static Data {
        data()
    }

    /// The numeric value of a character as Python's `unicodedata.numeric` gives it (UnicodeData, then
    /// the CJK numeral values).
    pub(crate) fn numeric(&self, c: char) -> Option<f64> {
        let d = data();
        d.ucd.numeric(c).or_else(|| {
            d.num_props
                .get(&c)
                .filter(|p| p.script.as_deref() == Some("CJK"))
                .and_then(|p| p.value)
                .map(data::Num::as_f64)
        })
    }

    /// Romanizes a string; `lcode` is an ISO 639-3 code such as `ukr` (language-specific rules).
    pub fn romanize(&self, s: &str, lcode: Option<&str>) -> String {
        self.romanize_str(s, lcode)
    }

    pub(crate) fn romanize_str(&self, s: &str, lcode: Option<&str>) -> String {
        if self.tokenize {
            let mut out = String::with_capacity(s.len());
            for piece in tokens(s) {
                out.push_str(&core_str(self, piece, lcode));
            }
            out
        } else {
            core_str(self, s, lcode)
        }
    }

    /// Romanizes a string with a token cache.
    pub fn romanize_cached(&self, s: &str, lcode: Option<&str>, cache: &mut TokenCache) -> String {
        if !self.tokenize || cache.max == 0 {
            return self.romanize_str(s, lcode);
        }
        let mut out = String::with_capacity(s.len());
        for piece in tokens(s) {
            let key = (piece.to_string(), lcode.map(str::to_string));
            if let Some(CacheEntry::Str(r)) = cache.map.get(&key) {
                out.push_str(r);
                continue;
            }
            let r = core_str(self, piece, lcode);
            out.push_str(&r);
            if cache.map.len() < cache.max {
                cache.map.insert(key, CacheEntry::Str(r));
            }
        }
        out
    }

    /// The edges of a romanization in one of the edge formats (`Format::Str` gives the best path).
    pub fn romanize_edges(&self, s: &str, lcode: Option<&str>, format: Format) -> Vec<RomEdge> {
        let mut out = Vec::new();
        let pieces: Vec<&str> = if self.tokenize {
            tokens(s).collect()
        } else {
            vec![s]
        };
        let mut offset = 0;
        for piece in pieces {
            for mut e in core_edges(self, piece, lcode, format) {
                e.start += offset;
                e.end += offset;
                out.push(e);
            }
            offset += piece.chars().count();
        }
        out
    }

    /// One input line as the uroman command line writes it: a leading `::lcode xxx ` overrides `lcode`
    /// and is echoed (as a meta edge in the JSON formats).
    pub fn romanize_line(
        &self,
        line: &str,
        lcode: Option<&str>,
        format: Format,
        cache: &mut TokenCache,
    ) -> String {
        let (prefix, lc, text) = match split_lcode_prefix(line) {
            Some((prefix, lc, text)) => (Some(prefix), Some(lc), text),
            None => (None, lcode, line),
        };
        match format {
            Format::Str => {
                let r = self.romanize_cached(text, lc, cache);
                match prefix {
                    Some(p) => format!("{p}{r}"),
                    None => r,
                }
            }
            _ => {
                let edges = self.romanize_edges(text, lc, format);
                match lc.filter(|_| prefix.is_some()) {
                    Some(l) => {
                        let json = edges_to_json(&edges);
                        format!("[[0, 0, \"\", \"lcode: {l}\"]{}", &json[1..])
                    }
                    None => edges_to_json(&edges),
                }
            }
        }
    }
}

/// `::lcode xxx ` at the start of a line: (the prefix as written, the code, the rest).
fn split_lcode_prefix(line: &str) -> Option<(&str, &str, &str)> {
    let rest = line.strip_prefix("::lcode")?;
    let ws1 = rest.len() - rest.trim_start().len();
    if ws1 == 0 {
        return None;
    }
    let after = &rest[ws1..];
    let code = after.get(..3)?;
    if !code.bytes().all(|b| b.is_ascii_lowercase()) {
        return None;
    }
    let tail = &after[3..];
    let ws2 = tail.len() - tail.trim_start().len();
    if ws2 == 0 {
        return None;
    }
    let prefix_len = "::lcode".len() + ws1 + 3 + ws2;
    Some((&line[..prefix_len], code, &line[prefix_len..]))
}

/// uroman's token split for its cache: `(.*?)([.,; ]*[ 。་][.,; ]*)(.*)$`, repeatedly. Linear time.
fn tokens(s: &str) -> impl Iterator<Item = &str> {
    // `.` does not match a line break: with a line break before the end, the pattern never matches;
    // with one only at the very end, `(.*)$` leaves it out of the last token.
    let nl = s.find('\n');
    let splittable = nl.is_none_or(|p| p + 1 == s.len());
    let scan_end = nl.unwrap_or(s.len());
    let mut pos = 0usize;
    let mut pending: Option<&str> = None;
    let mut done = false;
    let mut split_any = false;
    std::iter::from_fn(move || {
        if let Some(p) = pending.take() {
            return Some(p);
        }
        if done {
            return None;
        }
        if splittable {
            if let Some((a, b)) = find_delimiter(&s[..scan_end], pos) {
                let pre = &s[pos..a];
                pending = Some(&s[a..b]);
                pos = b;
                split_any = true;
                return Some(pre);
            }
        }
        done = true;
        let end = if split_any { scan_end } else { s.len() };
        Some(&s[pos..end])
    })
}

fn is_punct_space(c: char) -> bool {
    matches!(c, '.' | ',' | ';' | ' ')
}

/// The first delimiter in `region` at or after byte `from`, as a byte range.
fn find_delimiter(region: &str, from: usize) -> Option<(usize, usize)> {
    let bytes = region.as_bytes();
    let mut i = from;
    while i < region.len() {
        let c = region[i..].chars().next()?;
        if !is_punct_space(c) && c != '。' && c != '་' {
            i += c.len_utf8();
            continue;
        }
        // maximal run of [.,; ] from i (ASCII)
        let mut j = i;
        let mut has_space = false;
        while j < bytes.len() && matches!(bytes[j], b'.' | b',' | b';' | b' ') {
            has_space |= bytes[j] == b' ';
            j += 1;
        }
        let next = region[j..].chars().next();
        if let Some(m @ ('。' | '་')) = next {
            let mut k = j + m.len_utf8();
            while k < bytes.len() && matches!(bytes[k], b'.' | b',' | b';' | b' ') {
                k += 1;
            }
            return Some((i, k));
        }
        if has_space {
            return Some((i, j));
        }
        i = if j > i { j } else { i + c.len_utf8() };
    }
    None
}

fn core_str(r: &Romanizer, s: &str, lcode: Option<&str>) -> String {
    if s.is_empty() {
        return String::new();
    }
    let mut lat = Lattice::new(r, s, lcode);
    lat.build();
    let path = lat.best_path();
    let mut out = String::with_capacity(s.len());
    for id in path {
        out.push_str(&lat.edges[id].txt);
    }
    out
}

fn core_edges(r: &Romanizer, s: &str, lcode: Option<&str>, format: Format) -> Vec<RomEdge> {
    if s.is_empty() {
        return Vec::new();
    }
    let mut lat = Lattice::new(r, s, lcode);
    lat.build();
    let mut ids = match format {
        Format::Lattice => lat.all_edges(),
        _ => lat.best_path(),
    };
    if matches!(format, Format::Alts | Format::Lattice) {
        lat.add_alternatives(&mut ids);
    }
    ids.into_iter()
        .map(|id| {
            let e = &lat.edges[id];
            RomEdge {
                start: e.start,
                end: e.end,
                text: e.txt.clone(),
                kind: e.typ.as_deref().map(str::to_string),
            }
        })
        .collect()
}

/// Romanizes `text` like the uroman command line; `lang` is an ISO 639-3 code (`ukr`) or a registry code
/// with a script or region (`ukr_Cyrl`, `ukr-UA`: the part before `_`/`-` is used); `None`: no
/// language-specific rules.
///
/// ```
/// assert_eq!(xling_romanize::romanize("Игорь", Some("ukr_Cyrl")), "Yhor");
/// assert_eq!(xling_romanize::romanize("七十八", None), "78");
/// ```
pub fn romanize(text: &str, lang: Option<&str>) -> String {
    let lang = lang.map(|l| l.split(['_', '-']).next().unwrap_or(l));
    Romanizer::new().romanize(text, lang)
}

/// Options of [`romanize_lines`].
#[derive(Debug, Clone)]
pub struct StreamOptions {
    /// Language code for lines without a `::lcode` prefix.
    pub lcode: Option<String>,
    /// Output format.
    pub format: Format,
    /// Lines per parallel batch.
    pub chunk_lines: usize,
    /// Token-cache size per worker (0 disables the cache).
    pub cache_size: usize,
}

impl Default for StreamOptions {
    fn default() -> Self {
        StreamOptions {
            lcode: None,
            format: Format::Str,
            chunk_lines: 4096,
            cache_size: 65_536,
        }
    }
}

/// Romanizes a stream of lines (as uroman's command line does) in parallel batches, writing one output
/// line per input line in input order. `next_line` yields lines without terminators; its errors are
/// passed through.
pub fn romanize_lines<E, I, W>(lines: I, out: &mut W, opts: &StreamOptions) -> Result<(), E>
where
    I: Iterator<Item = Result<String, E>>,
    W: Write,
    E: From<std::io::Error> + Send,
{
    use rayon::prelude::*;
    let r = Romanizer::new();
    let mut lines = lines;
    let chunk = opts.chunk_lines.max(1);
    loop {
        let mut batch = Vec::with_capacity(chunk);
        let mut err = None;
        for l in lines.by_ref() {
            match l {
                Ok(l) => batch.push(l),
                Err(e) => {
                    err = Some(e);
                    break;
                }
            }
            if batch.len() == chunk {
                break;
            }
        }
        let done = batch.len() < chunk;
        let results: Vec<String> = batch
            .par_iter()
            .map_init(
                || TokenCache::new(opts.cache_size),
                |cache, line| r.romanize_line(line, opts.lcode.as_deref(), opts.format, cache),
            )
            .collect();
        for res in results {
            out.write_all(res.as_bytes())?;
            out.write_all(b"\n")?;
        }
        if let Some(e) = err {
            out.flush()?;
            return Err(e);
        }
        if done {
            break;
        }
    }
    out.flush()?;
    Ok(())
}

/// Reads lines from a reader (UTF-8 required) and romanizes them; a convenience over [`romanize_lines`].
pub fn romanize_reader<R: BufRead, W: Write>(
    input: R,
    out: &mut W,
    opts: &StreamOptions,
) -> std::io::Result<()> {
    let lines = input.lines();
    romanize_lines(lines, out, opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_split_follows_uroman() {
        let t: Vec<&str> = tokens("ab cd, ef").collect();
        assert_eq!(t, vec!["ab", " ", "cd", ", ", "ef"]);
        let t: Vec<&str> = tokens("a.b").collect();
        assert_eq!(t, vec!["a.b"]);
        let t: Vec<&str> = tokens("x。y").collect();
        assert_eq!(t, vec!["x", "。", "y"]);
    }

    #[test]
    fn lcode_prefix() {
        assert_eq!(
            split_lcode_prefix("::lcode ukr Игорь"),
            Some(("::lcode ukr ", "ukr", "Игорь"))
        );
        assert_eq!(split_lcode_prefix("::lcode ukrainian x"), None);
    }

    #[test]
    fn json_like_python() {
        assert_eq!(py_json_str("Иa\""), "\"\\u0418a\\\"\"");
        assert_eq!(py_json_str("𝄞"), "\"\\ud834\\udd1e\"");
    }
}
