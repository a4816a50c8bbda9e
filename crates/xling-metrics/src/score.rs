//! Scores and signatures, printed exactly as sacrebleu 2.6.0 prints them.

use std::fmt::Write as _;

/// The sacrebleu version whose numbers and signatures this crate reproduces.
pub const SACREBLEU_VERSION: &str = "2.6.0";

/// A sacrebleu signature: ordered `key:value` pairs, each key with a long and a short name.
///
/// The order is sacrebleu's: `nrefs`, then resampling keys (`bs`, `ar`, `seed`), then the metric's
/// keys, then `version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricSignature {
    /// `(long key, short key, value)` in print order, `version` excluded.
    pub entries: Vec<(&'static str, &'static str, String)>,
}

impl MetricSignature {
    /// A signature with `nrefs` first.
    pub fn new(nrefs: usize) -> Self {
        MetricSignature {
            entries: vec![("nrefs", "#", nrefs.to_string())],
        }
    }

    /// Adds a key (builder style).
    pub fn with(
        mut self,
        long: &'static str,
        short: &'static str,
        value: impl Into<String>,
    ) -> Self {
        self.entries.push((long, short, value.into()));
        self
    }

    /// Inserts bootstrap keys after `nrefs` (`bs:N|seed:S`, short `bs:N|rs:S`).
    pub fn with_bootstrap(mut self, n: usize, seed: &str) -> Self {
        let at = 1.min(self.entries.len());
        self.entries.insert(at, ("bs", "bs", n.to_string()));
        self.entries
            .insert(at + 1, ("seed", "rs", seed.to_string()));
        self
    }

    /// Inserts a paired test's keys after `nrefs`: `bs:N|seed:S` or `ar:N|seed:S` (short `rs:S`).
    pub fn with_paired(mut self, test: &'static str, n: usize, seed: &str) -> Self {
        let at = 1.min(self.entries.len());
        self.entries.insert(at, (test, test, n.to_string()));
        self.entries
            .insert(at + 1, ("seed", "rs", seed.to_string()));
        self
    }

    /// `nrefs:1|case:mixed|…|version:2.6.0`, or the short form `#:1|c:mixed|…|v:2.6.0`.
    pub fn format(&self, short: bool) -> String {
        let mut s = String::new();
        for (long, abbr, v) in &self.entries {
            let _ = write!(s, "{}:{v}|", if short { abbr } else { long });
        }
        let _ = write!(
            s,
            "{}:{SACREBLEU_VERSION}",
            if short { "v" } else { "version" }
        );
        s
    }
}

impl std::fmt::Display for MetricSignature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.format(false))
    }
}

/// `format!("{x:.decimals$}")` (= Python's `f"{x:.{decimals}f}"`: the exact binary value rounded half to
/// even), computed with integer arithmetic for non-negative finite values below 2^53 and at most 19
/// decimals — sentence-level output with `-w 17` spends most of its formatting time in the standard
/// library's slow exact path otherwise. Other values use the standard library.
pub fn format_fixed(x: f64, decimals: usize) -> String {
    const POW10: [u128; 20] = {
        let mut t = [1u128; 20];
        let mut i = 1;
        while i < 20 {
            t[i] = t[i - 1] * 10;
            i += 1;
        }
        t
    };
    if !((0.0..9007199254740992.0).contains(&x) && decimals < POW10.len()) || x.is_sign_negative() {
        return format!("{x:.decimals$}");
    }
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1u64 << 52) - 1);
    // x = mant * 2^e exactly.
    let (mant, e) = if exp == 0 {
        (frac, -1074)
    } else {
        (frac | (1u64 << 52), exp - 1075)
    };
    let scale = POW10[decimals];
    // mant < 2^53 and scale < 2^64: the product fits in u128.
    let num = u128::from(mant) * scale;
    let q = if e >= 0 {
        // x < 2^53 with e >= 0 means mant * 2^e < 2^53: no overflow.
        num << e
    } else {
        let s = (-e) as u32;
        if s >= 127 {
            return format!("{x:.decimals$}");
        }
        let q = num >> s;
        let r = num & ((1u128 << s) - 1);
        let half = 1u128 << (s - 1);
        if r > half || (r == half && q & 1 == 1) {
            q + 1
        } else {
            q
        }
    };
    let int = q / scale;
    if decimals == 0 {
        return int.to_string();
    }
    let fr = q % scale;
    format!("{int}.{fr:0decimals$}")
}

/// One metric's score, as sacrebleu's `Score` holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    /// `BLEU`, `chrF2`, `chrF2++`, `TER`.
    pub name: String,
    /// The score, unrounded.
    pub score: f64,
    /// Extra detail printed after the score (BLEU's precisions and brevity penalty), or empty.
    pub verbose: String,
    /// Bootstrap mean and half-width of the 95% interval, when estimated.
    pub confidence: Option<(f64, f64)>,
}

impl Score {
    /// A score without detail.
    pub fn new(name: impl Into<String>, score: f64) -> Self {
        Score {
            name: name.into(),
            score,
            verbose: String::new(),
            confidence: None,
        }
    }

    /// sacrebleu's `Score.format(width, score_only, signature, is_json)`, byte for byte.
    pub fn format(&self, width: usize, score_only: bool, signature: &str, json: bool) -> String {
        let sc_num = format_fixed(self.score, width);
        let mut sc = sc_num.clone();
        let mut conf_json = None;
        if let Some((mean, ci)) = self.confidence.filter(|(m, _)| *m > 0.0) {
            let m = format!("{mean:.width$}");
            let v = format!("{ci:.width$}");
            let conf = format!("μ = {m} ± {v}");
            let _ = write!(sc, " ({conf})");
            conf_json = Some((m, v, conf));
        }
        if score_only {
            return sc;
        }
        if json {
            let mut d: Vec<(String, String)> = vec![
                ("name".into(), json_str(&self.name)),
                ("score".into(), py_float_repr(parse_or(&sc_num, self.score))),
                ("signature".into(), json_str(signature)),
            ];
            if let Some((m, v, conf)) = &conf_json {
                d.push(("confidence_mean".into(), py_float_repr(parse_or(m, 0.0))));
                d.push(("confidence_var".into(), py_float_repr(parse_or(v, 0.0))));
                d.push(("confidence".into(), json_str(conf)));
            }
            if !self.verbose.is_empty() {
                d.push(("verbose_score".into(), json_str(&self.verbose)));
            }
            if !signature.is_empty() {
                for param in signature.split('|') {
                    let (k, v) = param.split_once(':').unwrap_or((param, ""));
                    let v = json_str(v);
                    match d.iter_mut().find(|(key, _)| key == k) {
                        Some(slot) => slot.1 = v,
                        None => d.push((k.to_string(), v)),
                    }
                }
            }
            let body: Vec<String> = d
                .iter()
                .map(|(k, v)| format!(" {}: {v}", json_str(k)))
                .collect();
            return format!("{{\n{}\n}}", body.join(",\n"));
        }
        let mut full = if signature.is_empty() {
            self.name.clone()
        } else {
            format!("{}|{signature}", self.name)
        };
        let _ = write!(full, " = {sc}");
        if !self.verbose.is_empty() {
            let _ = write!(full, " {}", self.verbose);
        }
        full
    }
}

fn parse_or(s: &str, fallback: f64) -> f64 {
    s.parse().unwrap_or(fallback)
}

/// Python's `repr(float)` for the finite values scores take (`48.5`, `100.0`, `0.0`).
pub fn py_float_repr(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let a = x.abs();
    if a != 0.0 && !(1e-4..1e16).contains(&a) {
        // Python switches to exponent notation: 1e+16, 1e-05.
        let s = format!("{x:e}");
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let e: i32 = exp.parse().unwrap_or(0);
        return format!("{mant}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    }
    format!("{x:?}")
}

/// A JSON string literal as Python's `json.dumps(..., ensure_ascii=False)` writes it.
pub fn json_str(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            '\u{8}' => o.push_str("\\b"),
            '\u{c}' => o.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// sacrebleu's single-system output: JSON list (or the one object), or text lines aligned on ` = `.
pub fn render_results(results: &[String], json: bool) -> String {
    if json {
        if results.len() > 1 {
            return format!("[\n{}\n]\n", results.join(",\n"));
        }
        return results
            .first()
            .map(|r| format!("{r}\n"))
            .unwrap_or_default();
    }
    if results.len() == 1 {
        return format!("{}\n", results[0]);
    }
    let mut out = String::new();
    let mut lens = Vec::new();
    for line in results {
        match line.find('=') {
            Some(i) => lens.push(Some(line[..i].chars().count().saturating_sub(1))),
            None => {
                out.push_str(line);
                out.push('\n');
                lens.push(None);
            }
        }
    }
    let w = lens.iter().flatten().copied().max().unwrap_or(0);
    for (len, line) in lens.iter().zip(results) {
        if let Some(len) = len {
            let split = line.char_indices().nth(*len).map_or(line.len(), |(i, _)| i);
            let (left, right) = line.split_at(split);
            let pad = w.saturating_sub(left.chars().count());
            let _ = writeln!(out, "{}{left}{right}", " ".repeat(pad));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_formatting_equals_std() {
        let mut z = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut v = z;
            v = (v ^ (v >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            v = (v ^ (v >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            v ^ (v >> 31)
        };
        let mut values = vec![
            0.0,
            -0.0,
            0.5,
            1.5,
            2.5,
            0.25,
            0.125,
            100.0,
            99.99999999999999,
            1e-300,
            5e-324,
            f64::MIN_POSITIVE,
            9007199254740991.0,
            4503599627370497.5,
            -1.5,
            f64::NAN,
            f64::INFINITY,
        ];
        for _ in 0..200_000 {
            let r = next();
            values.push(match r % 4 {
                0 => (r >> 11) as f64 / (1u64 << 53) as f64 * 100.0,
                1 => f64::from_bits(r >> 2),
                2 => ((r >> 40) as f64) / 64.0,
                _ => (r % 1000) as f64 / 8.0,
            });
        }
        for x in values {
            for d in [0, 1, 2, 3, 4, 6, 10, 16, 17, 19, 20] {
                assert_eq!(format_fixed(x, d), format!("{x:.d$}"), "{x:e} {d}");
            }
        }
    }

    #[test]
    fn float_repr() {
        assert_eq!(py_float_repr(48.5), "48.5");
        assert_eq!(py_float_repr(100.0), "100.0");
        assert_eq!(py_float_repr(0.0), "0.0");
        assert_eq!(py_float_repr(1e16), "1e+16");
    }

    #[test]
    fn text_alignment() {
        let r = vec!["BLEU|a = 1.0".to_string(), "chrF2|ab = 2.0".to_string()];
        assert_eq!(
            render_results(&r, false),
            "  BLEU|a = 1.0\nchrF2|ab = 2.0\n"
        );
    }
}
