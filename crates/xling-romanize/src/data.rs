//! The uroman data tables: parsed once from the embedded zstd bundle.
//!
//! The parsing follows uroman 1.3.1.1's loaders: `::slot value` lines, the last occurrence of a slot wins,
//! a value runs to the next ` ::slot`, `"…"`/`'…'` quotes are removed, two or more spaces before `#` start a
//! comment. Rules from later files overwrite single unrestricted rules from the automatic tables and are
//! appended otherwise.

use crate::fxhash::{FxMap, FxSet};

use crate::unicode::Ucd;

const BUNDLE: &[u8] = include_bytes!("../data/uroman-data.bin.zst");

/// A number as uroman handles it: Python `int` or `float`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Num {
    Int(i128),
    Float(f64),
}

impl Num {
    pub(crate) fn as_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }
    pub(crate) fn int(self) -> Option<i128> {
        match self {
            Num::Int(i) => Some(i),
            Num::Float(_) => None,
        }
    }
    /// Python's `str()` of the number.
    pub(crate) fn py_str(self) -> String {
        match self {
            Num::Int(i) => i.to_string(),
            Num::Float(f) => py_float_repr(f),
        }
    }
}

/// Python's `repr(float)`: shortest round-trip digits, `.0` for integral values, exponent form outside
/// `1e-4 <= |x| < 1e16`.
pub(crate) fn py_float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.into();
    }
    let a = f.abs();
    if a != 0.0 && !(1e-4..1e16).contains(&a) {
        let s = format!("{f:e}");
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mant}e{sign}{:02}", exp.abs());
    }
    let s = format!("{f:?}");
    if s.contains('.') || s.contains('e') {
        s
    } else {
        format!("{s}.0")
    }
}

/// One romanization rule (`::s … ::t …` and its restrictions).
#[derive(Debug, Clone, Default)]
pub(crate) struct RomRule {
    pub t: Option<String>,
    pub lcodes: Vec<String>,
    pub t_alts: Vec<String>,
    pub t_end_of_syllable: Option<String>,
    pub use_only_at_start_of_word: bool,
    pub dont_use_at_start_of_word: bool,
    pub use_only_at_end_of_word: bool,
    pub dont_use_at_end_of_word: bool,
    pub use_only_for_whole_word: bool,
    pub n_restr: u8,
    /// Provenance: `ud` (automatic table), `ow` (overwrite table), `man`, `rom pinyin`, `auto cancel …`.
    pub prov: &'static str,
}

/// A script description from `Scripts.txt`.
#[derive(Debug, Clone)]
pub(crate) struct Script {
    pub abugida_default_vowels: Vec<String>,
}

/// Numeral properties of one character (`NumProps.jsonl`).
#[derive(Debug, Clone, Default)]
pub(crate) struct NumProp {
    pub value: Option<Num>,
    pub fraction: Option<(i128, i128)>,
    pub base: Option<i128>,
    pub typ: Option<String>,
    pub script: Option<String>,
    pub is_large_power: bool,
}

/// All tables.
pub(crate) struct Data {
    pub rules: FxMap<Box<str>, Vec<RomRule>>,
    pub prefixes: FxSet<Box<str>>,
    pub names: FxMap<char, String>,
    pub tone_marks: FxSet<char>,
    pub syllable_info: FxMap<char, String>,
    pub script_of: FxMap<char, u16>,
    pub script_names: Vec<String>,
    pub vowel_signs: FxSet<char>,
    pub medial_consonant_signs: FxSet<char>,
    pub viramas: FxSet<char>,
    pub scripts: FxMap<String, usize>,
    pub script_list: Vec<Script>,
    pub num_props: FxMap<char, NumProp>,
    pub fraction_connectors: Vec<String>,
    pub minus_signs: Vec<String>,
    pub plus_signs: Vec<String>,
    pub ucd: Ucd,
}

/// Python `str.isspace` closely enough for table parsing.
fn ws(c: char) -> bool {
    c.is_whitespace()
}

/// `slot_value_in_double_colon_del_list`: the value of the last `::slot`, `Some("")` when present but empty.
/// The loaders use the one-pass [`Slots`]; this direct form is its test oracle.
#[cfg(test)]
pub(crate) fn slot<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let bytes = line.as_bytes();
    let mut found = None;
    let mut from = 0;
    while let Some(i) = line[from..].find("::") {
        let p = from + i;
        from = p + 1;
        let after = p + 2;
        if !line[after..].starts_with(name) {
            continue;
        }
        let before_ok = p == 0 || line[..p].chars().next_back().is_some_and(ws);
        let rest = &line[after + name.len()..];
        let after_ok = rest.is_empty() || rest.chars().next().is_some_and(ws);
        if before_ok && after_ok {
            found = Some(after + name.len());
        }
        let _ = bytes;
    }
    let rest = &line[found?..];
    let trimmed = rest.trim_start_matches(ws);
    if trimmed.is_empty() || starts_slot(trimmed) {
        return Some("");
    }
    let first_len = trimmed.chars().next().map_or(0, char::len_utf8);
    let mut end = trimmed.len();
    let mut iter = trimmed[first_len..].char_indices().peekable();
    while let Some((k, c)) = iter.next() {
        if ws(c) {
            let run_start = first_len + k;
            let tail = trimmed[run_start..].trim_start_matches(ws);
            if starts_slot(tail) {
                end = run_start;
                break;
            }
            // skip the rest of this whitespace run
            while iter.peek().is_some_and(|&(_, c)| ws(c)) {
                iter.next();
            }
        }
    }
    Some(trimmed[..end].trim_matches(ws))
}

/// All `::slot value` pairs of a line, parsed in one pass; [`Slots::get`] gives what the test oracle `slot` gives (uroman's `slot_value_in_double_colon_del_list`).
pub(crate) struct Slots<'a> {
    pairs: Vec<(&'a str, &'a str)>,
}

impl<'a> Slots<'a> {
    /// Splits a line at every whitespace run followed by `::` and a non-space character.
    pub(crate) fn new(line: &'a str) -> Slots<'a> {
        let mut pairs = Vec::new();
        let b = line.as_bytes();
        let mut seg_starts = Vec::new();
        let t = line.trim_start_matches(ws);
        if starts_slot(t) {
            seg_starts.push(line.len() - t.len());
        }
        let mut i = 0;
        while let Some(k) = line[i..].find("::") {
            let p = i + k;
            i = p + 2;
            let after_ws = p > 0
                && (b[p - 1].is_ascii_whitespace()
                    || (!b[p - 1].is_ascii() && line[..p].chars().next_back().is_some_and(ws)));
            if after_ws && starts_slot(&line[p..]) {
                seg_starts.push(p);
            }
        }
        seg_starts.dedup();
        for (n, &st) in seg_starts.iter().enumerate() {
            let end = seg_starts.get(n + 1).copied().unwrap_or(line.len());
            let seg = &line[st + 2..end];
            let name_end = seg.find(ws).unwrap_or(seg.len());
            pairs.push((&seg[..name_end], seg[name_end..].trim_matches(ws)));
        }
        Slots { pairs }
    }

    /// The value of the last occurrence of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&'a str> {
        self.pairs.iter().rev().find(|p| p.0 == name).map(|p| p.1)
    }
}

fn starts_slot(s: &str) -> bool {
    s.starts_with("::") && s[2..].chars().next().is_some_and(|c| !ws(c))
}

/// `dequote_string`.
pub(crate) fn dequote(s: &str) -> &str {
    let t = s.trim_start_matches(ws);
    let Some(q1) = t.chars().next() else {
        return s;
    };
    if !matches!(q1, '\'' | '"' | '“') {
        return s;
    }
    let t2 = t.trim_end_matches(ws);
    let Some(q3) = t2.chars().next_back() else {
        return s;
    };
    if t2.chars().count() < 2 || !matches!(q3, '\'' | '"' | '”') {
        return s;
    }
    let ok = matches!((q1, q3), ('\'', '\'') | ('"', '"') | ('“', '”'));
    if ok {
        &t2[q1.len_utf8()..t2.len() - q3.len_utf8()]
    } else {
        s
    }
}

/// Removes a comment: two or more whitespace characters, `#`, the rest of the line.
fn strip_comment(line: &str) -> &str {
    if !line.contains('#') {
        return line;
    }
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    for (j, &(_, c)) in chars.iter().enumerate() {
        if c == '#' {
            let mut k = j;
            while k > 0 && ws(chars[k - 1].1) {
                k -= 1;
            }
            if j - k >= 2 {
                return &line[..chars[k].0];
            }
        }
    }
    line
}

fn split_list(s: &str) -> Vec<String> {
    // regex.split(r'[,;]\s*', s)
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ',' || c == ';' {
            out.push(std::mem::take(&mut cur));
            while chars.peek().is_some_and(|&c| ws(c)) {
                chars.next();
            }
        } else {
            cur.push(c);
        }
    }
    out.push(cur);
    out
}

fn str_to_num(s: &str) -> Option<Num> {
    let t = s.trim();
    if s.contains('.') {
        t.replace('_', "").parse::<f64>().ok().map(Num::Float)
    } else {
        t.replace('_', "").parse::<i128>().ok().map(Num::Int)
    }
}

fn content_lines(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n').filter_map(|l| {
        let l = l.strip_suffix('\r').unwrap_or(l);
        if l.starts_with('#') || l.chars().all(ws) {
            None
        } else {
            Some(strip_comment(l))
        }
    })
}

impl Data {
    /// Decompresses and parses the embedded tables.
    pub(crate) fn load() -> Data {
        let raw = zstd::stream::decode_all(BUNDLE).unwrap_or_default();
        let mut files: FxMap<String, String> = FxMap::default();
        let mut parts = raw.split(|&b| b == 0);
        while let (Some(content), Some(name)) = (parts.next(), parts.next()) {
            files.insert(
                String::from_utf8_lossy(name).into_owned(),
                String::from_utf8_lossy(content).into_owned(),
            );
        }
        let ucd_text = files.remove("UnicodeData.txt").unwrap_or_default();
        let file = |n: &str| files.get(n).map(String::as_str).unwrap_or("");
        // The character database is parsed on a second thread while the tables that do not need it load.
        std::thread::scope(|scope| {
            let ucd = scope.spawn(move || Ucd::parse(ucd_text));
            let mut d = Data {
                rules: FxMap::default(),
                prefixes: FxSet::default(),
                names: FxMap::default(),
                tone_marks: FxSet::default(),
                syllable_info: FxMap::default(),
                script_of: FxMap::default(),
                script_names: Vec::new(),
                vowel_signs: FxSet::default(),
                medial_consonant_signs: FxSet::default(),
                viramas: FxSet::default(),
                scripts: FxMap::default(),
                script_list: Vec::new(),
                num_props: FxMap::default(),
                fraction_connectors: Vec::new(),
                minus_signs: Vec::new(),
                plus_signs: Vec::new(),
                ucd: Ucd::parse(String::new()),
            };
            d.load_scripts(file("Scripts.txt"));
            d.load_num_props(file("NumProps.jsonl"));
            for f in [
                "UnicodeDataProps.txt",
                "UnicodeDataPropsCJK.txt",
                "UnicodeDataPropsHangul.txt",
            ] {
                d.load_ud_props(file(f));
            }
            d.ucd = ucd.join().unwrap_or_else(|_| Ucd::parse(String::new()));
            d.load_rom_file(file("romanization-auto-table.txt"), "ud", false);
            d.load_rom_file(file("UnicodeDataOverwrite.txt"), "ow", true);
            d.load_rom_file(file("romanization-table.txt"), "man", false);
            d.load_pinyin(file("Chinese_to_Pinyin.txt"));
            d
        })
    }

    fn register_prefix(&mut self, s: &str) {
        for (i, c) in s.char_indices() {
            let p = &s[..i + c.len_utf8()];
            if !self.prefixes.contains(p) {
                self.prefixes.insert(p.into());
            }
        }
    }

    /// The character name: UnicodeData first, then the `::name` of the overwrite table.
    pub(crate) fn chr_name(&self, c: char) -> &str {
        match self.ucd.name(c) {
            "" => self.names.get(&c).map_or("", String::as_str),
            n => n,
        }
    }

    /// The name of a string as uroman's `chr_name` gives it (only single characters have names).
    fn str_name(&self, s: &str) -> &str {
        let mut it = s.chars();
        match (it.next(), it.next()) {
            (Some(c), None) => self.chr_name(c),
            _ => "",
        }
    }

    /// `second_rom_filter`: multi-word targets of the automatic tables are replaced.
    fn second_rom_filter(&self, s: &str, rom: &str) -> Option<String> {
        if !rom.contains(' ') {
            return None;
        }
        let name = self.str_name(s);
        if name.contains("MYANMAR VOWEL SIGN KAYAH") {
            if let Some(w) = last_word_after(rom, |w| w == "kayah") {
                return Some(w);
            }
        }
        if name.contains("MENDE KIKAKUI SYLLABLE") {
            if let Some(w) = last_word_after(rom, |w| {
                w.len() > 1 && w.starts_with('m') && w[1..].chars().all(|c| c.is_ascii_digit())
            }) {
                return Some(w);
            }
        }
        let chars: Vec<char> = rom.chars().collect();
        // \S\s+\S
        for i in 1..chars.len() {
            if ws(chars[i]) && !ws(chars[i - 1]) {
                let mut j = i;
                while j < chars.len() && ws(chars[j]) {
                    j += 1;
                }
                if j < chars.len() {
                    return Some(s.to_string());
                }
            }
        }
        None
    }

    fn load_rom_file(&mut self, text: &str, prov: &'static str, u2r: bool) {
        for line in content_lines(text) {
            let sl = Slots::new(line);
            let (s, mut t, t_eos): (String, Option<String>, Option<String>) = if u2r {
                let Some(u) = sl.get("u").map(dequote) else {
                    continue;
                };
                let Some(c) = u32::from_str_radix(u.trim(), 16)
                    .ok()
                    .and_then(char::from_u32)
                else {
                    continue;
                };
                let t = sl.get("r").map(|x| dequote(x).to_string());
                if let Some(n) = sl.get("name").filter(|n| !n.is_empty()) {
                    self.names.insert(c, n.to_string());
                }
                if sl.get("tone-mark").is_some_and(|v| !v.is_empty()) {
                    self.tone_marks.insert(c);
                }
                if let Some(v) = sl.get("syllable-info").filter(|v| !v.is_empty()) {
                    self.syllable_info.insert(c, v.to_string());
                }
                (c.to_string(), t, None)
            } else {
                let Some(s) = sl.get("s").map(dequote) else {
                    continue;
                };
                let t = sl.get("t").map(|x| dequote(x).to_string());
                let eos = sl.get("t-end-of-syllable").map(|x| dequote(x).to_string());
                (s.to_string(), t, eos)
            };
            let num = sl.get("num").and_then(str_to_num);
            let is_minus = sl.get("is-minus-sign").is_some();
            let is_plus = sl.get("is-plus-sign").is_some();
            let is_decimal_point = sl.get("is-decimal-point").is_some();
            let is_large_power = sl.get("is-large-power").is_some();
            let fraction_connector = sl.get("fraction-connector");
            let percentage_marker = sl.get("percentage-marker");
            let int_frac_connector = sl.get("int-frac-connector");
            if is_minus && !self.minus_signs.contains(&s) {
                self.minus_signs.push(s.clone());
            }
            if is_plus && !self.plus_signs.contains(&s) {
                self.plus_signs.push(s.clone());
            }
            if fraction_connector.is_some_and(|v| !v.is_empty())
                && !self.fraction_connectors.contains(&s)
            {
                self.fraction_connectors.push(s.clone());
            }
            let lcodes = sl
                .get("lcode")
                .filter(|v| !v.is_empty())
                .map(split_list)
                .unwrap_or_default();
            let flag = |n: &str| sl.get(n).is_some();
            let uos = flag("use-only-at-start-of-word");
            let dus = flag("dont-use-at-start-of-word");
            let uoe = flag("use-only-at-end-of-word");
            let due = flag("dont-use-at-end-of-word");
            let whole = flag("use-only-for-whole-word");
            let t_alts: Vec<String> = sl
                .get("t-alt")
                .filter(|v| !v.is_empty())
                .map(|v| {
                    split_list(v)
                        .iter()
                        .map(|x| dequote(x).to_string())
                        .collect()
                })
                .unwrap_or_default();
            if let Some(tt) = &t {
                if let Some(m) = self.second_rom_filter(&s, tt) {
                    if &m != tt {
                        t = Some(m);
                    }
                }
            }
            if !(t.is_some()
                || num.is_some()
                || is_minus
                || is_plus
                || is_decimal_point
                || is_large_power
                || fraction_connector.is_some()
                || percentage_marker.is_some()
                || int_frac_connector.is_some())
            {
                continue;
            }
            self.register_prefix(&s);
            let restricted = !lcodes.is_empty() || uos || dus || uoe || due || whole;
            let n_restr = [!lcodes.is_empty(), uos, dus, uoe, due, whole]
                .iter()
                .filter(|&&b| b)
                .count() as u8;
            let rule = RomRule {
                t,
                lcodes,
                t_alts,
                t_end_of_syllable: t_eos,
                use_only_at_start_of_word: uos,
                dont_use_at_start_of_word: dus,
                use_only_at_end_of_word: uoe,
                dont_use_at_end_of_word: due,
                use_only_for_whole_word: whole,
                n_restr,
                prov,
            };
            let old = self.rules.entry(s.into_boxed_str()).or_default();
            if old.len() == 1 && matches!(old[0].prov, "ud" | "ow") && !restricted {
                *old = vec![rule];
            } else {
                old.push(rule);
            }
        }
        // Thai cancellation mark: silences the preceding letter (or syllable).
        let cancel = '\u{0E4C}';
        for cp in 0x0E01..0x0E4C {
            if let Some(c) = char::from_u32(cp) {
                self.add_if_missing(format!("{c}{cancel}"), "auto cancel letter");
            }
        }
        let modifiers: Vec<char> = ['\u{0E31}', '\u{0E47}']
            .into_iter()
            .chain((0x0E33..0x0E3B).filter_map(char::from_u32))
            .collect();
        for c1 in (0x0E01..0x0E2F).filter_map(char::from_u32) {
            for &v in &modifiers {
                self.add_if_missing(format!("{c1}{v}{cancel}"), "auto cancel syllable");
            }
        }
    }

    fn add_if_missing(&mut self, s: String, prov: &'static str) {
        if self.rules.get(s.as_str()).is_none_or(Vec::is_empty) {
            self.register_prefix(&s);
            self.rules.insert(
                s.into_boxed_str(),
                vec![RomRule {
                    t: Some(String::new()),
                    prov,
                    ..RomRule::default()
                }],
            );
        }
    }

    fn load_pinyin(&mut self, text: &str) {
        for line in text.split('\n') {
            if line.starts_with('#') || line.chars().all(ws) {
                continue;
            }
            let mut parts = line.split_whitespace();
            let (Some(chinese), Some(pinyin), None) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let rom = self.de_accent_pinyin(pinyin);
            self.register_prefix(chinese);
            self.rules.entry(chinese.into()).or_default().push(RomRule {
                t: Some(rom),
                prov: "rom pinyin",
                ..RomRule::default()
            });
        }
    }

    fn de_accent_pinyin(&self, s: &str) -> String {
        if s.is_ascii() {
            return s.to_string();
        }
        let mut out = String::new();
        for c in s.chars() {
            let decomp = self.ucd.decomposition(c);
            if decomp.is_empty() {
                out.push(c);
                continue;
            }
            let chars: Option<Vec<char>> = decomp
                .split_whitespace()
                .map(|x| u32::from_str_radix(x, 16).ok().and_then(char::from_u32))
                .collect();
            let Some(chars) = chars else { continue };
            let letters: Vec<char> = chars
                .into_iter()
                .filter(|&x| self.ucd.category(x).starts_with('L'))
                .collect();
            if letters.len() == 1 {
                out.push(letters[0]);
            }
        }
        out.replace('ü', "u")
    }

    fn load_scripts(&mut self, text: &str) {
        for line in content_lines(text) {
            let sl = Slots::new(line);
            let Some(name) = sl.get("script-name").filter(|v| !v.is_empty()) else {
                continue;
            };
            let lc = name.to_lowercase();
            if self.scripts.contains_key(&lc) {
                continue;
            }
            let vowels = sl
                .get("abugida-default-vowel")
                .filter(|v| !v.is_empty())
                .map(split_list)
                .unwrap_or_default();
            let alts = sl
                .get("alt-script-name")
                .filter(|v| !v.is_empty())
                .map(split_list)
                .unwrap_or_default();
            let idx = self.script_list.len();
            self.script_list.push(Script {
                abugida_default_vowels: vowels,
            });
            self.scripts.insert(lc, idx);
            for alt in alts {
                self.scripts.entry(alt.to_lowercase()).or_insert(idx);
            }
        }
    }

    fn load_num_props(&mut self, text: &str) {
        for line in content_lines(text) {
            let Ok(serde_json::Value::Object(m)) = serde_json::from_str::<serde_json::Value>(line)
            else {
                continue;
            };
            let Some(txt) = m.get("txt").and_then(|v| v.as_str()) else {
                continue;
            };
            let num = |v: &serde_json::Value| -> Option<Num> {
                if let Some(i) = v.as_i64() {
                    Some(Num::Int(i128::from(i)))
                } else if let Some(u) = v.as_u64() {
                    Some(Num::Int(i128::from(u)))
                } else {
                    v.as_f64().map(Num::Float)
                }
            };
            let mut chars = txt.chars();
            let (Some(c), None) = (chars.next(), chars.next()) else {
                continue;
            };
            let fraction = m.get("fraction").and_then(|v| v.as_array()).and_then(|a| {
                Some((
                    i128::from(a.first()?.as_i64()?),
                    i128::from(a.get(1)?.as_i64()?),
                ))
            });
            let p = NumProp {
                value: m.get("value").and_then(num),
                fraction,
                base: m.get("base").and_then(num).and_then(Num::int),
                typ: m.get("type").and_then(|v| v.as_str()).map(str::to_string),
                script: m.get("script").and_then(|v| v.as_str()).map(str::to_string),
                is_large_power: m
                    .get("is-large-power")
                    .and_then(|v| v.as_bool())
                    .unwrap_or(false),
            };
            self.num_props.insert(c, p);
        }
    }

    fn load_ud_props(&mut self, text: &str) {
        for line in content_lines(text) {
            let sl = Slots::new(line);
            let Some(name) = sl.get("script-name").filter(|v| !v.is_empty()) else {
                continue;
            };
            let idx = match self.script_names.iter().position(|n| n == name) {
                Some(i) => i as u16,
                None => {
                    self.script_names.push(name.to_string());
                    (self.script_names.len() - 1) as u16
                }
            };
            for key in ["char", "numeral"] {
                for c in sl.get(key).unwrap_or("").chars() {
                    self.script_of.insert(c, idx);
                }
            }
            for c in sl.get("vowel-sign").unwrap_or("").chars() {
                self.vowel_signs.insert(c);
            }
            for c in sl.get("medial-consonant-sign").unwrap_or("").chars() {
                self.medial_consonant_signs.insert(c);
            }
            for c in sl.get("sign-virama").unwrap_or("").chars() {
                self.viramas.insert(c);
            }
        }
    }

    /// The script name of a character (`''` when unknown).
    pub(crate) fn script_name(&self, c: char) -> &str {
        self.script_of
            .get(&c)
            .map_or("", |&i| self.script_names[i as usize].as_str())
    }

    /// The script description for a script name.
    pub(crate) fn script(&self, name: &str) -> Option<&Script> {
        self.scripts
            .get(&name.to_lowercase())
            .map(|&i| &self.script_list[i])
    }
}

/// For `…<marker> <word>` at the end of `rom`, the word (regex `marker\s+(\S+)\s*$`).
fn last_word_after(rom: &str, marker: impl Fn(&str) -> bool) -> Option<String> {
    let words: Vec<&str> = rom.split_whitespace().collect();
    if words.len() >= 2 && marker(words[words.len() - 2]) {
        // the marker must end a token boundary at its end; regex.search allows a marker suffix match
        return Some(words[words.len() - 1].to_string());
    }
    if words.len() >= 2 {
        let prev = words[words.len() - 2];
        // regex.search: the marker may be the end of a longer word
        for i in 0..prev.len() {
            if prev.is_char_boundary(i) && marker(&prev[i..]) {
                return Some(words[words.len() - 1].to_string());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_follow_uroman() {
        let l = "::s a ::t b c ::lcode eng, deu ::use-only-for-whole-word";
        assert_eq!(slot(l, "s"), Some("a"));
        assert_eq!(slot(l, "t"), Some("b c"));
        assert_eq!(slot(l, "lcode"), Some("eng, deu"));
        assert_eq!(slot(l, "use-only-for-whole-word"), Some(""));
        assert_eq!(slot(l, "num"), None);
        assert_eq!(slot("::s x ::t ::lcode tur", "t"), Some(""));
        for l in [
            l,
            "::s x ::t ::lcode tur",
            "::u 00A0 ::r \" \"  ::comment no-break space",
            "::s a::b ::t c ::t d",
        ] {
            let sl = Slots::new(l);
            for n in [
                "s",
                "t",
                "u",
                "r",
                "lcode",
                "comment",
                "use-only-for-whole-word",
                "num",
            ] {
                assert_eq!(sl.get(n), slot(l, n), "{l} {n}");
            }
        }
        assert_eq!(dequote("\" \""), " ");
        assert_eq!(dequote("'a\""), "'a\"");
        assert_eq!(strip_comment("::s a ::t b  # c"), "::s a ::t b");
        assert_eq!(split_list("a, b;c"), vec!["a", "b", "c"]);
    }

    #[test]
    fn python_float_repr() {
        assert_eq!(py_float_repr(1.0), "1.0");
        assert_eq!(py_float_repr(0.5), "0.5");
        assert_eq!(py_float_repr(1e16), "1e+16");
        assert_eq!(py_float_repr(1.5e-5), "1.5e-05");
    }
}
