//! The romanization lattice of one string: edges over code-point spans, built in uroman's passes
//! (Tibetan vowels, Braille capitals, table rules with contexts and abugida vowels, numbers, Braille
//! numbers, single-character fallbacks), then the best covering path.

use std::borrow::Cow;

use crate::fxhash::{FxMap, FxSet};

use crate::Romanizer;
use crate::data::{Data, Num, RomRule};

const PRE_POST: &str = "written-pre-consonant-spoken-post-consonant";

/// Numeral data of a number edge (uroman's `NumEdge`).
#[derive(Debug, Clone, Default)]
pub(crate) struct NumInfo {
    pub orig_txt: String,
    pub value: Option<Num>,
    pub value_s: Option<String>,
    pub fraction: Option<(i128, i128)>,
    pub num_base: Option<i128>,
    pub script: Option<String>,
    pub is_large_power: bool,
    pub n_decimals: Option<usize>,
}

/// One lattice edge.
#[derive(Debug, Clone)]
pub(crate) struct Edge {
    pub start: usize,
    pub end: usize,
    pub txt: String,
    pub typ: Option<Cow<'static, str>>,
    pub active: bool,
    pub num: Option<Box<NumInfo>>,
}

impl Edge {
    fn new(
        start: usize,
        end: usize,
        txt: impl Into<String>,
        typ: impl Into<Cow<'static, str>>,
    ) -> Edge {
        Edge {
            start,
            end,
            txt: txt.into(),
            typ: Some(typ.into()),
            active: false,
            num: None,
        }
    }
    fn typ(&self) -> &str {
        self.typ.as_deref().unwrap_or("")
    }
    fn value(&self) -> Option<Num> {
        self.num.as_ref().and_then(|n| n.value)
    }
    fn int_value(&self) -> Option<i128> {
        self.value().and_then(Num::int)
    }
    fn base(&self) -> Option<i128> {
        self.num.as_ref().and_then(|n| n.num_base)
    }
    fn large_power(&self) -> bool {
        self.num.as_ref().is_some_and(|n| n.is_large_power)
    }
    fn orig(&self) -> &str {
        self.num.as_ref().map_or("", |n| n.orig_txt.as_str())
    }
    /// `NumEdge.update`: recomputes the surface string from the numeral fields.
    fn num_update(&mut self) {
        let Some(n) = &self.num else { return };
        let value_s = if let Some(v) = &n.value_s {
            v.clone()
        } else {
            match (n.value, n.n_decimals) {
                (None, _) => String::new(),
                (Some(Num::Float(f)), Some(d)) => format!("{f:.d$}"),
                (Some(v), _) => v.py_str(),
            }
        };
        let fraction_s = n
            .fraction
            .map_or(String::new(), |(a, b)| format!("{a}/{b}"));
        let delim = if !value_s.is_empty() && !fraction_s.is_empty() {
            " "
        } else {
            ""
        };
        let txt = format!("{value_s}{delim}{fraction_s}");
        self.txt = if txt.is_empty() {
            n.orig_txt.clone()
        } else {
            txt
        };
    }
}

/// Python's `str.isupper` and `str.islower`.
fn py_isupper(s: &str) -> bool {
    let mut cased = false;
    for c in s.chars() {
        if c.is_lowercase() {
            return false;
        }
        if c.is_uppercase() {
            cased = true;
        }
    }
    cased
}

fn is_consonants(s: &str, set: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| set.contains(c))
}

const CONS: &str = "bcdfghjklmnpqrstvwxyz";

/// Edge ids at one position: two inline, the rest on the heap (most positions have one or two edges,
/// and long tokens have millions of positions).
#[derive(Debug, Clone, Default)]
struct Ids {
    inline: [u32; 2],
    len: u8,
    // boxed to keep `Ids` at 24 bytes: a bare `Vec` would make it 40, on every position of the string
    #[allow(clippy::box_collection)]
    spill: Option<Box<Vec<u32>>>,
}

impl Ids {
    fn push(&mut self, id: u32) {
        if usize::from(self.len) < self.inline.len() {
            self.inline[usize::from(self.len)] = id;
            self.len += 1;
        } else {
            self.spill.get_or_insert_with(Default::default).push(id);
        }
    }

    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.inline[..usize::from(self.len)]
            .iter()
            .chain(self.spill.iter().flat_map(|v| v.iter()))
            .map(|&id| id as usize)
    }
}

pub(crate) struct Lattice<'a> {
    r: &'a Romanizer,
    d: &'a Data,
    chars: Vec<char>,
    bo: Vec<usize>,
    s: &'a str,
    n: usize,
    lcode: Option<&'a str>,
    pub edges: Vec<Edge>,
    /// Edge ids by start position, in insertion order.
    by_start: Vec<Ids>,
    /// Edge ids by end position, in insertion order.
    by_end: Vec<Ids>,
    preceded: Vec<Option<bool>>,
    followed: Vec<Option<bool>>,
    edge_vowel: Vec<Option<bool>>,
    edge_delete: Vec<bool>,
    is_upper: Vec<bool>,
    top_cache: FxMap<(u32, u32), &'a str>,
    contains: FxSet<&'a str>,
    braille: bool,
}

impl<'a> Lattice<'a> {
    pub(crate) fn new(r: &'a Romanizer, s: &'a str, lcode: Option<&'a str>) -> Lattice<'a> {
        let d = r.data();
        let mut chars = Vec::with_capacity(s.len());
        let mut bo = Vec::with_capacity(s.len() + 1);
        for (i, c) in s.char_indices() {
            chars.push(c);
            bo.push(i);
        }
        bo.push(s.len());
        let n = chars.len();
        let contains: FxSet<&str> = chars.iter().map(|&c| d.script_name(c)).collect();
        let braille = chars
            .iter()
            .any(|&c| ('\u{2800}'..='\u{28FF}').contains(&c));
        Lattice {
            r,
            d,
            chars,
            bo,
            s,
            n,
            lcode,
            edges: Vec::new(),
            by_start: vec![Ids::default(); n + 1],
            by_end: vec![Ids::default(); n + 1],
            preceded: vec![None; n + 1],
            followed: vec![None; n + 1],
            edge_vowel: vec![None; n + 1],
            edge_delete: vec![false; n + 1],
            is_upper: vec![false; n + 1],
            top_cache: FxMap::default(),
            contains,
            braille,
        }
    }

    /// Runs all passes.
    pub(crate) fn build(&mut self) {
        self.pick_tibetan_vowel_edge();
        self.prep_braille();
        self.add_romanization();
        self.add_numbers();
        self.add_braille_numbers();
        self.add_rom_fall_back_singles();
    }

    fn sub(&self, start: usize, end: usize) -> &'a str {
        &self.s[self.bo[start]..self.bo[end]]
    }

    fn ch(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied()
    }

    fn rules(&self, s: &str) -> &'a [RomRule] {
        self.d.rules.get(s).map_or(&[], Vec::as_slice)
    }

    fn script_of(&self, c: Option<char>) -> &'a str {
        c.map_or("", |c| self.d.script_name(c))
    }

    fn name_of(&self, c: Option<char>) -> &'a str {
        c.map_or("", |c| self.d.chr_name(c))
    }

    fn is_mn(&self, c: Option<char>) -> bool {
        c.is_some_and(|c| self.d.ucd.category(c) == "Mn")
    }

    fn add_edge(&mut self, e: Edge) -> usize {
        let id = self.edges.len();
        let (s, t) = (e.start, e.end);
        self.edges.push(e);
        if s < self.by_start.len() && t < self.by_end.len() {
            self.by_start[s].push(id as u32);
            self.by_end[t].push(id as u32);
        }
        id
    }

    /// The edges of one span, in insertion order.
    fn span_edges(&self, start: usize, end: usize) -> impl Iterator<Item = usize> + '_ {
        self.by_start
            .get(start)
            .into_iter()
            .flat_map(Ids::iter)
            .filter(move |&id| self.edges[id].end == end)
    }

    /// The distinct ends of edges starting at `start`, longest first.
    fn ends_from(&self, start: usize) -> Vec<usize> {
        let mut ends: Vec<usize> = self
            .by_start
            .get(start)
            .into_iter()
            .flat_map(Ids::iter)
            .map(|id| self.edges[id].end)
            .collect();
        ends.sort_unstable_by(|a, b| b.cmp(a));
        ends.dedup();
        ends
    }

    /// The distinct starts of edges ending at `end`, leftmost first.
    fn starts_to(&self, end: usize) -> Vec<usize> {
        let mut starts: Vec<usize> = self
            .by_end
            .get(end)
            .into_iter()
            .flat_map(Ids::iter)
            .map(|id| self.edges[id].start)
            .collect();
        starts.sort_unstable();
        starts.dedup();
        starts
    }

    fn is_at_start_of_word(&mut self, position: usize) -> bool {
        let first_is_braille = self
            .ch(position)
            .is_some_and(|c| ('\u{2800}'..='\u{28FF}').contains(&c));
        if let Some(p) = self.preceded.get(position).copied().flatten() {
            return !p;
        }
        if position > 0 && self.d.ucd.is_alpha(self.chars[position - 1]) {
            self.preceded[position] = Some(true);
            return false;
        }
        for id in self.by_end[position].iter() {
            {
                if let Some(last) = self.edges[id].txt.chars().next_back() {
                    if self.d.ucd.is_alpha(last) || (first_is_braille && last == '\'') {
                        self.preceded[position] = Some(true);
                        return false;
                    }
                }
            }
        }
        self.preceded[position] = Some(false);
        true
    }

    fn is_at_end_of_word(&mut self, position: usize) -> bool {
        if let Some(f) = self.followed.get(position).copied().flatten() {
            return !f;
        }
        let mut start = position;
        if start < self.n && self.d.ucd.is_alpha(self.chars[start]) {
            self.followed[position] = Some(true);
            return false;
        }
        while start + 1 < self.n
            && self.is_mn(self.ch(start))
            && self.name_of(self.ch(start)).contains("NUKTA")
        {
            start += 1;
        }
        for end in start + 1..=self.n {
            let s = self.sub(start, end);
            if !self.d.prefixes.contains(s) {
                break;
            }
            for rule in self.rules(s) {
                if !rule.use_only_at_start_of_word
                    && rule
                        .t
                        .as_deref()
                        .is_some_and(|t| t.chars().any(|c| self.d.ucd.category(c).starts_with('L')))
                {
                    self.followed[position] = Some(true);
                    return false;
                }
            }
        }
        self.followed[position] = Some(false);
        true
    }

    fn is_at_end_of_syllable(&mut self, position: usize) -> bool {
        let prev_char = if position >= 2 {
            self.ch(position - 2)
        } else {
            None
        };
        let mut next_char = self.ch(position);
        let adj = if next_char.is_some_and(|c| self.d.tone_marks.contains(&c)) {
            next_char = self.ch(position + 1);
            position + 1
        } else {
            position
        };
        let next_char2 = self.ch(adj + 1);
        let Some(prev) = prev_char else { return false };
        if !self.d.ucd.is_letter_or_mark(prev) {
            return false;
        }
        let info = |c: Option<char>| {
            c.and_then(|c| self.d.syllable_info.get(&c))
                .map(String::as_str)
        };
        if info(Some(prev)) == Some(PRE_POST) {
            return false;
        }
        if info(next_char) == Some(PRE_POST) {
            return true;
        }
        if adj >= self.n {
            return true;
        }
        if !next_char.is_some_and(|c| self.d.ucd.is_letter_or_mark(c)) {
            return true;
        }
        if position > 0 {
            if let Some(e) = self.best_left_neighbor_edge(position - 1, false) {
                if self.edges[e]
                    .txt
                    .chars()
                    .next_back()
                    .is_some_and(|c| "bcdfghjklmnpqrstvxz".contains(c))
                {
                    return false;
                }
            }
        }
        let a = self.simple_top(adj, adj + 2, true);
        let b = self.simple_top(adj, adj + 1, true);
        let next_rom = a.or(b).unwrap_or_else(|| "?".into());
        if !next_rom
            .to_lowercase()
            .chars()
            .next()
            .is_some_and(|c| "aeiou".contains(c))
        {
            return true;
        }
        if next_char == Some('\u{0E2D}') && next_char2.is_some() {
            let r2 = self
                .simple_top(adj + 1, adj + 2, true)
                .unwrap_or_else(|| "?".into());
            if r2
                .to_lowercase()
                .chars()
                .next()
                .is_some_and(|c| "aeiou".contains(c))
            {
                return true;
            }
        }
        false
    }

    fn first_rule_t(&self, c: Option<char>) -> Option<String> {
        let c = c?;
        let mut buf = [0u8; 4];
        self.rules(c.encode_utf8(&mut buf))
            .first()
            .and_then(|r| r.t.clone())
    }

    fn cand_is_valid(&mut self, rule: &RomRule, start: usize, end: usize) -> bool {
        if rule.t.is_none() {
            return false;
        }
        if rule.dont_use_at_start_of_word && self.is_at_start_of_word(start) {
            return false;
        }
        if rule.use_only_at_start_of_word && !self.is_at_start_of_word(start) {
            return false;
        }
        if rule.dont_use_at_end_of_word && self.is_at_end_of_word(end) {
            return false;
        }
        if rule.use_only_at_end_of_word && !self.is_at_end_of_word(end) {
            return false;
        }
        if rule.use_only_for_whole_word
            && !(self.is_at_start_of_word(start) && self.is_at_end_of_word(end))
        {
            return false;
        }
        if !rule.lcodes.is_empty()
            && !self
                .lcode
                .is_some_and(|l| rule.lcodes.iter().any(|x| x == l))
        {
            return false;
        }
        true
    }

    /// The top-ranked valid rule target for a span (most restrictions first), with the end-of-syllable
    /// variant where that applies.
    fn simple_top(&mut self, start: usize, end: usize, simple: bool) -> Option<String> {
        self.simple_top_ref(start, end, simple).map(str::to_string)
    }

    /// [`Self::simple_top`] without copying: the target lives in the tables.
    fn simple_top_ref(&mut self, start: usize, end: usize, simple: bool) -> Option<&'a str> {
        if end > self.n || start > end {
            return None;
        }
        if let Some(&c) = self.top_cache.get(&(start as u32, end as u32)) {
            return Some(c);
        }
        let rules = self.rules(self.sub(start, end));
        let mut best: Option<&'a RomRule> = None;
        for rule in rules {
            if self.cand_is_valid(rule, start, end) && best.is_none_or(|b| rule.n_restr > b.n_restr)
            {
                best = Some(rule);
            }
        }
        let mut cand = best.and_then(|r| r.t.as_deref());
        if simple {
            return cand;
        }
        if let Some(eos) = best.and_then(|r| r.t_end_of_syllable.as_deref()) {
            if self.is_at_end_of_syllable(end) {
                cand = Some(eos);
            }
        }
        if let Some(c) = cand {
            self.top_cache.insert((start as u32, end as u32), c);
        }
        cand
    }

    fn prep_braille(&mut self) {
        if !self.braille {
            return;
        }
        let dots6 = '\u{2820}';
        let mut all_caps = false;
        for i in 0..self.n {
            let c = self.chars[i];
            if i >= 1 && self.chars[i - 1] == dots6 && c == dots6 {
                all_caps = true;
            } else if all_caps {
                if c == '\u{2800}' {
                    all_caps = false;
                } else {
                    self.is_upper[i] = true;
                }
            }
        }
    }

    fn is_vowel_sign(&self, c: Option<char>) -> bool {
        c.is_some_and(|c| self.d.vowel_signs.contains(&c))
    }

    fn pick_tibetan_vowel_edge(&mut self) {
        if !self.contains.contains("Tibetan") {
            return;
        }
        let mut syllables: Vec<Vec<usize>> = Vec::new();
        let mut cur = Vec::new();
        for i in 0..self.n {
            let c = Some(self.chars[i]);
            if self.script_of(c) == "Tibetan"
                && (self.name_of(c).contains("LETTER") || self.is_vowel_sign(c))
            {
                cur.push(i);
            } else if !cur.is_empty() {
                syllables.push(std::mem::take(&mut cur));
            }
        }
        if !cur.is_empty() {
            syllables.push(cur);
        }
        let cons_a = |rom: &str| -> String {
            // ([bcdfghjklmnpqrstvwxyz].*)a$ -> \1
            match rom.char_indices().find(|&(_, c)| CONS.contains(c)) {
                Some(_) if rom.ends_with('a') && rom.len() >= 2 => {
                    let first = rom.char_indices().find(|&(_, c)| CONS.contains(c));
                    match first {
                        Some((i, _)) if i < rom.len() - 1 => rom[..rom.len() - 1].to_string(),
                        _ => rom.to_string(),
                    }
                }
                _ => rom.to_string(),
            }
        };
        for positions in syllables {
            let mut vowel_pos: Option<usize> = None;
            let mut roms: Vec<String> = Vec::new();
            let mut subjoined: Vec<usize> = Vec::new();
            let first = positions[0];
            let last = *positions.last().unwrap_or(&first);
            for &i in &positions {
                let c = self.chars[i];
                let mut rom = self
                    .simple_top(i, i + 1, false)
                    .unwrap_or_else(|| "?".into());
                self.edge_vowel[i] = None;
                let name = self.d.chr_name(c);
                if self.is_vowel_sign(Some(c))
                    || (!rom.is_empty() && rom.chars().all(|x| "aeiou".contains(x)))
                {
                    vowel_pos = Some(i);
                    self.edge_vowel[i] = Some(true);
                    if roms.len() == 1 && roms[0] == "'" {
                        self.edge_delete[i - 1] = true;
                    }
                } else if name.contains("SUBJOINED LETTER") {
                    subjoined.push(i);
                    if i > first {
                        if c == '\u{0FB0}' {
                            vowel_pos = Some(i - 1);
                            self.edge_vowel[i - 1] = Some(true);
                        } else {
                            self.edge_vowel[i - 1] = Some(false);
                        }
                    }
                    rom = cons_a(&rom);
                } else if c == '\u{0F60}' {
                    self.edge_vowel[i] = Some(false);
                    if i > first {
                        vowel_pos = Some(i - 1);
                        self.edge_vowel[i - 1] = Some(true);
                        if i == last {
                            self.edge_delete[i] = true;
                        }
                    }
                    rom = if roms.last().is_some_and(|r| !"aeiou".contains(r.as_str())) {
                        "a'".into()
                    } else {
                        "'".into()
                    };
                } else {
                    rom = cons_a(&rom);
                }
                roms.push(rom);
            }
            if vowel_pos.is_some() {
                for &i in &positions {
                    if self.edge_vowel[i].is_none() {
                        self.edge_vowel[i] = Some(false);
                    }
                }
                continue;
            }
            let mut best_cost = f64::INFINITY;
            let mut best_pos: Option<usize> = None;
            let n_letters = positions.len();
            for (rel, &i) in positions.iter().enumerate() {
                let pre: String = roms[..=rel].concat();
                let post: String = roms[rel + 1..].concat();
                let cost = if self.edge_vowel[i] == Some(false) {
                    20.0
                } else if n_letters == 1 {
                    0.0
                } else if n_letters == 2 {
                    if i == 0 { 0.0 } else { 0.1 }
                } else {
                    let good_suffix = tib_good_suffix(&post);
                    let good_prefix = tib_good_prefix(&pre);
                    let subjoined_suffix = positions[(rel + 2).min(n_letters)..]
                        .iter()
                        .all(|x| subjoined.contains(x));
                    let lp = pre.chars().count() as f64;
                    if good_suffix && good_prefix {
                        lp * 0.1
                    } else if good_suffix {
                        lp
                    } else if subjoined_suffix && good_prefix {
                        lp * 0.3
                    } else if subjoined_suffix {
                        lp * 0.5
                    } else {
                        f64::INFINITY
                    }
                };
                if cost < best_cost {
                    best_cost = cost;
                    best_pos = Some(i);
                }
            }
            if let Some(bp) = best_pos {
                for &i in &positions {
                    if self.edge_vowel[i].is_none() {
                        self.edge_vowel[i] = Some(i == bp);
                    }
                }
            }
        }
    }

    fn add_default_abugida_vowel(
        &mut self,
        rom: &str,
        start: usize,
        end: usize,
        annotation: &str,
    ) -> String {
        let first = self.chars[start];
        let last_s_char = self.chars[end - 1];
        let script_name = self.d.script_name(first);
        let Some(script) = self.d.script(script_name) else {
            return rom.to_string();
        };
        let vowels = &script.abugida_default_vowels;
        if vowels.is_empty() {
            return rom.to_string();
        }
        let mut rom = rom.to_string();
        let body = rom.strip_suffix('-').unwrap_or(&rom);
        let (base, base_plus): (Option<String>, Option<String>) = 'm: {
            // ([cfghkmnqrstxy]?y)(a+|o+)-?$
            for v in vowels {
                let Some(vc) = v.chars().next() else { continue };
                let trimmed = body.trim_end_matches(vc);
                if trimmed.len() < body.len() && v.chars().count() == 1 {
                    let ok = match trimmed.len() {
                        1 => trimmed == "y",
                        2 => trimmed.ends_with('y') && "cfghkmnqrstxy".contains(&trimmed[..1]),
                        _ => false,
                    };
                    if ok {
                        break 'm (Some(trimmed.to_string()), Some(body.to_string()));
                    }
                }
            }
            // ([bcdfghjklmnpqrstvwxyz]+)(a|o)-?$
            for v in vowels {
                if let Some(b) = body.strip_suffix(v.as_str()) {
                    if is_consonants(b, CONS) {
                        let res = (Some(b.to_string()), Some(format!("{b}{v}")));
                        if rom.ends_with('-')
                            && start + 1 == end
                            && rom.chars().next().is_some_and(|c| self.d.ucd.is_alpha(c))
                        {
                            rom.pop();
                        }
                        break 'm res;
                    }
                }
            }
            (Some(rom.clone()), Some(format!("{rom}{}", vowels[0])))
        };
        let (base, base_plus) = match (base, base_plus) {
            (Some(b), Some(p))
                if is_consonants(&b, CONS) || (script_name == "Tibetan" && b == "'") =>
            {
                (b, p)
            }
            _ => return rom,
        };
        if annotation.contains("tail") {
            return rom;
        }
        let prev = if start >= 1 { self.ch(start - 1) } else { None };
        let next = self.ch(end);
        let next2 = self.ch(end + 1);
        if script_name == "Tibetan" {
            return if self.edge_delete[start] {
                String::new()
            } else if self.edge_vowel[start] == Some(true) {
                base_plus
            } else {
                base
            };
        }
        if next == Some('យ') && ("bcdfghklmnpqrstvwz".contains(base.as_str()) || base == "ng") {
            return base;
        }
        if self.is_vowel_sign(next) {
            return base;
        }
        if next.is_some_and(|c| self.d.medial_consonant_signs.contains(&c)) {
            return base;
        }
        if self.name_of(next).contains("SUBJOINED LETTER") {
            return base;
        }
        if self.is_mn(next) && self.is_vowel_sign(next2) {
            return base;
        }
        let virama = |c: Option<char>| c.is_some_and(|c| self.d.viramas.contains(&c));
        if virama(next) {
            return base;
        }
        if self.is_mn(next) && virama(next2) {
            return base;
        }
        if virama(prev) {
            return base_plus;
        }
        if self.is_at_start_of_word(start) && !has_r_vowel(&rom) {
            return base_plus;
        }
        if self.is_at_end_of_word(end) {
            // final schwas are dropped in Devanagari (except Sanskrit) and some other languages
            let drop_schwa = (script_name == "Devanagari" && self.lcode != Some("san"))
                || matches!(self.lcode, Some("asm" | "ben" | "guj" | "kas" | "pan"));
            return if drop_schwa { rom } else { base_plus };
        }
        if self.script_of(prev) != script_name {
            return base_plus;
        }
        if self.d.chr_name(last_s_char).contains("VOCALIC") {
            return base;
        }
        if self.script_of(next) == script_name {
            return base_plus;
        }
        rom
    }

    fn find_rom_edge_path_backwards(
        &mut self,
        start: usize,
        end: usize,
        min_char: usize,
    ) -> String {
        let mut rom = String::new();
        let mut end2 = end as isize;
        let start = start as isize;
        while start < end2 {
            if let Some(e) = self.best_left_neighbor_edge(end2 as usize, false) {
                rom = format!("{}{rom}", self.edges[e].txt);
                end2 = self.edges[e].start as isize;
            }
            if min_char > 0 && rom.chars().count() >= min_char {
                break;
            }
            end2 -= 1;
        }
        rom
    }

    fn expand(
        &mut self,
        rom: String,
        start: usize,
        end: usize,
    ) -> (String, usize, usize, Option<&'static str>) {
        let mut rom = rom;
        let (mut start, mut end) = (start, end);
        let orig_start = start;
        let mut annot = None;
        if rom.is_empty() {
            return (rom, start, end, None);
        }
        let mut prev_char = if start >= 1 { self.ch(start - 1) } else { None };
        let mut first_char = self.chars[start];
        let mut last_char = self.chars[end - 1];
        let mut next_char = self.ch(end);
        if prev_char == Some('\u{2820}')
            && rom.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        {
            let mut it = rom.chars();
            let f = it
                .next()
                .map(|c| c.to_uppercase().collect::<String>())
                .unwrap_or_default();
            return (
                format!("{f}{}", it.as_str()),
                start - 1,
                end,
                Some("rom exp"),
            );
        }
        if start + 1 == end
            && py_isupper(&rom)
            && next_char.is_some_and(|c| c.is_lowercase() && !c.is_uppercase())
        {
            let mut it = rom.chars();
            let f: String = it
                .next()
                .map(|c| c.to_uppercase().collect())
                .unwrap_or_default();
            rom = format!("{f}{}", it.as_str().to_lowercase());
        }
        // Japanese small tsu and Gurmukhi addak double the following consonant.
        if let Some(p) = prev_char.filter(|p| "っッ\u{0A71}".contains(*p)) {
            let dbl = if rom.starts_with("ch") {
                Some("ch")
            } else {
                rom.get(..1).filter(|f| "bcdfghjklmnpqrstwz".contains(*f))
            };
            if let Some(dbl) = dbl {
                let dbl = if "っッ".contains(p) {
                    dbl.replace("ch", "t")
                } else {
                    dbl.replace("ch", "c")
                };
                rom = format!("{dbl}{rom}");
                start -= 1;
                first_char = self.chars[start];
                prev_char = if start >= 1 { self.ch(start - 1) } else { None };
            }
        }
        if self.d.script_name(first_char) == "Thai" {
            let info = |c: Option<char>| {
                c.and_then(|c| self.d.syllable_info.get(&c))
                    .map(String::as_str)
            };
            if start + 1 == end
                && is_consonants(&rom, CONS)
                && info(prev_char) == Some(PRE_POST)
                && start >= 1
            {
                for suffix_len in [3, 2, 1] {
                    if end + suffix_len <= self.n {
                        let pattern = format!(
                            "{}–{}",
                            self.sub(start - 1, start),
                            self.sub(end, end + suffix_len)
                        );
                        if let Some(rule) =
                            self.d.rules.get(pattern.as_str()).and_then(|r| r.first())
                        {
                            let v = rule.t.clone().unwrap_or_default();
                            return (
                                format!("{rom}{v}"),
                                start - 1,
                                end + suffix_len,
                                Some("rom exp"),
                            );
                        }
                    }
                }
            }
            if self.script_of(prev_char) == "Thai"
                && info(prev_char) == Some(PRE_POST)
                && rom.chars().next().is_some_and(|c| CONS.contains(c))
            {
                if let Some(v) = self.first_rule_t(prev_char).filter(|v| !v.is_empty()) {
                    return (format!("{rom}{v}"), start - 1, end, Some("rom exp"));
                }
            }
            if first_char == '\u{0E2D}' && end - start == 1 {
                let prev_script = self.script_of(prev_char);
                let next_script = self.script_of(next_char);
                let prev_rom = self.find_rom_edge_path_backwards(0, start, 1);
                let next_rom = self.first_rule_t(next_char);
                let keep = prev_script == "Thai"
                    && next_script == "Thai"
                    && is_consonants(&prev_rom, "bcdfghjklmnpqrstvwxz")
                    && next_rom
                        .as_deref()
                        .is_some_and(|r| is_consonants(r, "bcdfghjklmnpqrstvwxz"));
                if !keep {
                    return (String::new(), start, end, Some("rom del"));
                }
            }
        }
        // Coptic: consonant + combining grave = e + consonant
        if next_char == Some('\u{0300}')
            && self.d.script_name(last_char) == "Coptic"
            && self
                .simple_top(orig_start, end + 1, false)
                .is_none_or(|x| x.is_empty())
        {
            rom = format!("e{rom}");
            end += 1;
            last_char = self.chars[end - 1];
            next_char = self.ch(end);
            annot = Some("rom exp");
        }
        // Japanese small y: ki + small ya = kya
        if let Some(nc) = next_char.filter(|c| "ゃゅょャュョ".contains(*c)) {
            if self.d.script_name(last_char) == self.d.script_name(nc) && ends_cons_i(&rom) {
                if let Some(y_rom) = self.first_rule_t(Some(nc)).filter(|y| !y.is_empty()) {
                    let a = self
                        .simple_top(orig_start, end + 1, false)
                        .is_none_or(|x| x.is_empty());
                    if a && self
                        .simple_top(start, end + 1, false)
                        .is_none_or(|x| x.is_empty())
                    {
                        rom.pop();
                        rom.push_str(&y_rom);
                        end += 1;
                        last_char = self.chars[end - 1];
                        next_char = self.ch(end);
                        annot = Some("rom exp");
                    }
                }
            }
        }
        // Japanese vowel lengthener
        if let Some(lr) = rom.chars().next_back() {
            if next_char == Some('ー')
                && matches!(self.d.script_name(last_char), "Hiragana" | "Katakana")
                && "aeiou".contains(lr)
            {
                rom.push(lr);
                return (rom, start, end + 1, Some("rom exp"));
            }
        }
        if next_char.is_some_and(|c| self.d.viramas.contains(&c)) {
            return (rom, start, end + 1, Some("rom exp"));
        }
        if rom.starts_with(' ') && (start == 0 || prev_char == Some(' ')) {
            rom.remove(0);
        }
        if rom.ends_with(' ') && next_char == Some(' ') {
            rom.pop();
        }
        (rom, start, end, annot)
    }

    fn decomp_rom(&mut self, pos: usize) -> Option<String> {
        let c = self.chars[pos];
        let decomp = self.d.ucd.decomposition(c);
        if decomp.is_empty() {
            return None;
        }
        let mut format_comps = Vec::new();
        let mut other = false;
        let mut decomp_s = String::new();
        for elem in decomp.split_whitespace() {
            if elem.starts_with('<') {
                format_comps.push(elem);
            } else {
                match u32::from_str_radix(elem, 16).ok().and_then(char::from_u32) {
                    Some(ch) => decomp_s.push(ch),
                    None => other = true,
                }
            }
        }
        let mut rom = None;
        if let Some(f) = format_comps.first() {
            if !matches!(*f, "<super>" | "<sub>" | "<noBreak>" | "<compat>")
                && !other
                && !decomp_s.is_empty()
            {
                rom = Some(self.r.romanize_str(&decomp_s, self.lcode));
            }
        }
        let numeric = |c: Option<char>| c.and_then(|c| self.r.numeric(c)).is_some_and(|v| v != 0.0);
        if let Some(r) = rom.as_mut() {
            if !r.is_empty() && numeric(Some(c)) {
                *r = r.replace('⁄', "/");
                if pos >= 1 && numeric(self.ch(pos - 1)) {
                    *r = format!(" {r}");
                }
                if numeric(self.ch(pos + 1)) {
                    r.push(' ');
                }
            }
        }
        rom.filter(|r| !r.is_empty())
    }

    fn add_romanization(&mut self) {
        for start in 0..self.n {
            for end in start + 1..=self.n {
                if !self.d.prefixes.contains(self.sub(start, end)) {
                    break;
                }
                let Some(mut rom) = self.simple_top(start, end, false) else {
                    continue;
                };
                if self.braille && start + 1 == end && self.is_upper[start] {
                    rom = rom.to_uppercase();
                }
                let mut annotation: Cow<'static, str> = Cow::Borrowed("rom");
                if rom.starts_with('+')
                    && ["m", "ng", "n", "h", "r"]
                        .iter()
                        .any(|t| rom[1..].starts_with(t))
                {
                    rom.remove(0);
                    annotation = Cow::Borrowed("rom tail");
                }
                let new_rom = self.add_default_abugida_vowel(&rom, start, end, &annotation);
                if let Some(suffix) = new_rom.strip_prefix(rom.as_str()) {
                    if !suffix.is_empty() && suffix.chars().all(|c| "aeiou".contains(c)) {
                        annotation = Cow::Owned(format!("{annotation} c:{rom} s:{suffix}"));
                    }
                }
                let (rom2, s2, e2, exp) = self.expand(new_rom, start, end);
                let annotation = exp.map_or(annotation, Cow::Borrowed);
                self.add_edge(Edge::new(s2, e2, rom2, annotation));
            }
            let c = self.chars[start];
            if ('\u{AC00}'..='\u{D7A3}').contains(&c) {
                let rom = hangul(c);
                if !rom.is_empty() {
                    self.add_edge(Edge::new(start, start + 1, rom, "rom"));
                }
            }
            if let Some(rom) = self.decomp_rom(start) {
                self.add_edge(Edge::new(start, start + 1, rom, "rom decomp"));
            }
        }
    }

    fn num_edge_single(&self, start: usize) -> Edge {
        let c = self.chars[start];
        let mut e = Edge {
            start,
            end: start + 1,
            txt: c.to_string(),
            typ: None,
            active: false,
            num: Some(Box::new(NumInfo {
                orig_txt: c.to_string(),
                ..NumInfo::default()
            })),
        };
        if let Some(p) = self.d.num_props.get(&c) {
            e.active = true;
            if let Some(n) = e.num.as_mut() {
                n.value = p.value;
                n.fraction = p.fraction;
                n.num_base = p.base;
                n.script = p.script.clone();
                n.is_large_power = p.is_large_power;
            }
            e.typ = p.typ.clone().map(Cow::Owned);
            e.num_update();
        }
        e
    }

    fn num_edge_multi(start: usize, end: usize, txt: String) -> Edge {
        Edge {
            start,
            end,
            txt: txt.clone(),
            typ: None,
            active: true,
            num: Some(Box::new(NumInfo {
                orig_txt: txt,
                ..NumInfo::default()
            })),
        }
    }

    /// `NumEdge.update` with the given fields (unset ones keep their values).
    #[allow(clippy::too_many_arguments)]
    fn update(
        &mut self,
        id: usize,
        value: Option<Num>,
        value_s: Option<String>,
        n_decimals: Option<usize>,
        num_base: Option<i128>,
        script: Option<String>,
        typ: &'static str,
        orig_txt: Option<String>,
    ) {
        let e = &mut self.edges[id];
        if let Some(n) = e.num.as_mut() {
            if value.is_some() {
                n.value = value;
            }
            if value_s.is_some() {
                n.value_s = value_s;
            }
            if n_decimals.is_some() {
                n.n_decimals = n_decimals;
            }
            if num_base.is_some() {
                n.num_base = num_base;
            }
            if script.is_some() {
                n.script = script;
            }
            if let Some(o) = orig_txt {
                n.orig_txt = o;
            }
        }
        e.typ = Some(Cow::Borrowed(typ));
        e.num_update();
    }

    fn update_edge_list(&mut self, list: &[usize], new: usize, old: &[usize]) -> Vec<usize> {
        let mut added = false;
        let mut out = Vec::with_capacity(list.len());
        for &e in list {
            if old.contains(&e) {
                self.edges[e].active = false;
                if !added {
                    out.push(new);
                    added = true;
                }
            } else {
                out.push(e);
            }
        }
        if !added {
            out.push(new);
        }
        out
    }

    fn is_num(&self, id: usize) -> bool {
        self.edges[id].num.is_some()
    }

    fn edge_is_digit(&self, id: Option<usize>) -> bool {
        let Some(id) = id else { return false };
        let e = &self.edges[id];
        e.num.is_some()
            && e.int_value().is_some_and(|v| (0..=9).contains(&v))
            && e.typ() == "digit"
            && e.end - e.start == 1
    }

    fn is_gap_null(&self, id: usize) -> bool {
        self.is_num(id) && matches!(self.edges[id].orig(), "零" | "〇")
    }

    fn active_num(&self, id: usize) -> bool {
        self.is_num(id) && self.edges[id].active
    }

    fn add_numbers(&mut self) {
        let mut num_edges: Vec<usize> = Vec::new();
        for start in 0..self.n {
            if self.d.num_props.contains_key(&self.chars[start]) {
                let e = self.num_edge_single(start);
                num_edges.push(self.add_edge(e));
            }
        }
        if num_edges.is_empty() {
            self.add_digit_fallbacks();
            return;
        }
        // D1: digit sequences, with one decimal point
        for edge in num_edges.clone() {
            if !(self.edge_is_digit(Some(edge)) && self.edges[edge].active) {
                continue;
            }
            let mut n_points = 0;
            let mut n_decimals: Option<usize> = None;
            let mut value_s = self.edges[edge].int_value().unwrap_or(0).to_string();
            let mut sub = vec![edge];
            let mut prev = edge;
            loop {
                let pe = self.edges[prev].end;
                let right = self.best_right_neighbor_edge(pe, false);
                if self.edge_is_digit(right) {
                    let r = right.unwrap_or(0);
                    sub.push(r);
                    value_s.push_str(&self.edges[r].int_value().unwrap_or(0).to_string());
                    if let Some(n) = n_decimals.as_mut() {
                        *n += 1;
                    }
                    prev = r;
                } else if pe < self.n && self.chars[pe] == '.' && n_points == 0 {
                    let right2 = self.best_right_neighbor_edge(pe + 1, false);
                    if !self.edge_is_digit(right2) {
                        break;
                    }
                    let r2 = right2.unwrap_or(0);
                    let r = match right {
                        Some(r) => r,
                        None => self.add_edge(Edge::new(pe, pe + 1, ".", "decimal period")),
                    };
                    sub.push(r);
                    sub.push(r2);
                    value_s.push('.');
                    value_s.push_str(&self.edges[r2].int_value().unwrap_or(0).to_string());
                    n_points += 1;
                    n_decimals = Some(1);
                    prev = r2;
                } else {
                    break;
                }
            }
            if sub.len() >= 2 {
                let value = if value_s.contains('.') {
                    Num::Float(value_s.parse().unwrap_or(0.0))
                } else {
                    value_s
                        .parse::<i128>()
                        .map(Num::Int)
                        .unwrap_or_else(|_| Num::Float(value_s.parse().unwrap_or(0.0)))
                };
                let (s0, e0) = (
                    self.edges[sub[0]].start,
                    self.edges[*sub.last().unwrap_or(&edge)].end,
                );
                let script = self.edges[*sub.last().unwrap_or(&edge)]
                    .num
                    .as_ref()
                    .and_then(|n| n.script.clone());
                let id = self.add_edge(Self::num_edge_multi(s0, e0, value.py_str()));
                self.update(
                    id,
                    Some(value),
                    Some(value_s),
                    n_decimals,
                    Some(1),
                    script,
                    "D1",
                    None,
                );
                num_edges = self.update_edge_list(&num_edges, id, &sub);
            }
        }
        // G1: digit × base (2×100)
        for edge in num_edges.clone() {
            let e = &self.edges[edge];
            if !(self.active_num(edge)
                && e.base() == Some(1)
                && e.int_value().is_some_and(|v| v >= 1))
            {
                continue;
            }
            let Some(r) = self.best_right_neighbor_edge(e.end, false) else {
                continue;
            };
            let re = &self.edges[r];
            if self.active_num(r)
                && re.int_value().is_some()
                && re.base().is_some_and(|b| b > 1)
                && !re.large_power()
            {
                let v = Num::Int(
                    e.int_value()
                        .unwrap_or(0)
                        .saturating_mul(re.int_value().unwrap_or(0)),
                );
                let orig = format!("{}{}", e.orig(), re.orig());
                let (base, script) = (re.base(), re.num.as_ref().and_then(|n| n.script.clone()));
                let id = self.add_edge(Self::num_edge_multi(e.start, re.end, v.py_str()));
                self.update(id, Some(v), None, None, base, script, "G1", Some(orig));
                num_edges = self.update_edge_list(&num_edges, id, &[edge, r]);
            }
        }
        // G2: sums within a block (200+30+4)
        for edge in num_edges.clone() {
            if !(self.active_num(edge)
                && self.edges[edge].int_value().is_some()
                && !self.edges[edge].large_power())
            {
                continue;
            }
            let mut sub = vec![edge];
            let mut prev = edge;
            let mut prev_non = edge;
            while let Some(r) = self.best_right_neighbor_edge(self.edges[prev].end, false) {
                let re = &self.edges[r];
                let Some(rv) = re.int_value() else { break };
                if !self.active_num(r) || re.large_power() {
                    break;
                }
                let pn = &self.edges[prev_non];
                let ok = self.is_gap_null(prev_non)
                    || (pn.base().is_some_and(|b| b > rv)
                        && pn
                            .base()
                            .is_some_and(|b| re.base().is_some_and(|rb| b > rb)));
                if !ok {
                    break;
                }
                sub.push(r);
                prev = r;
                if !self.is_gap_null(r) {
                    prev_non = r;
                }
            }
            if sub.len() >= 2 {
                let v: i128 = sub
                    .iter()
                    .map(|&e| self.edges[e].int_value().unwrap_or(0))
                    .sum();
                let last = *sub.last().unwrap_or(&edge);
                let orig: String = sub
                    .iter()
                    .map(|&e| self.edges[e].orig().to_string())
                    .collect();
                let (base, script) = (
                    self.edges[last].base(),
                    self.edges[last].num.as_ref().and_then(|n| n.script.clone()),
                );
                let id = self.add_edge(Self::num_edge_multi(
                    self.edges[edge].start,
                    self.edges[last].end,
                    v.to_string(),
                ));
                self.update(
                    id,
                    Some(Num::Int(v)),
                    None,
                    None,
                    base,
                    script,
                    "G2",
                    Some(orig),
                );
                num_edges = self.update_edge_list(&num_edges, id, &sub);
            }
        }
        // G3: block × large power (234×1000)
        for edge in num_edges.clone() {
            let e = &self.edges[edge];
            if !(self.active_num(edge) && !e.large_power() && e.value().is_some()) {
                continue;
            }
            let Some(r) = self.best_right_neighbor_edge(e.end, false) else {
                continue;
            };
            let re = &self.edges[r];
            if !(self.active_num(r)
                && re.int_value().is_some()
                && re.base().is_some_and(|b| b > 1)
                && re.large_power())
            {
                continue;
            }
            let ev = e.value().unwrap_or(Num::Int(0));
            let rv = re.int_value().unwrap_or(0);
            let v = match ev {
                Num::Int(i) => Num::Int(i.saturating_mul(rv)),
                Num::Float(f) => {
                    let x = ((f * rv as f64) * 1e5).round() / 1e5;
                    if x.fract() == 0.0 && x.abs() < 1e30 {
                        Num::Int(x as i128)
                    } else {
                        Num::Float(x)
                    }
                }
            };
            let orig = format!("{}{}", e.orig(), re.orig());
            let (base, script) = (re.base(), re.num.as_ref().and_then(|n| n.script.clone()));
            let id = self.add_edge(Self::num_edge_multi(e.start, re.end, v.py_str()));
            self.update(id, Some(v), None, None, base, script, "G3", Some(orig));
            num_edges = self.update_edge_list(&num_edges, id, &[edge, r]);
        }
        // G4: sums of blocks (234000+567)
        for edge in num_edges.clone() {
            if !(self.active_num(edge) && self.edges[edge].int_value().is_some()) {
                continue;
            }
            let mut sub = vec![edge];
            loop {
                let prev = *sub.last().unwrap_or(&edge);
                let Some(r) = self.best_right_neighbor_edge(self.edges[prev].end, false) else {
                    break;
                };
                let pe = &self.edges[prev];
                let re = &self.edges[r];
                let Some(rv) = re.int_value() else { break };
                let Some(pb) = pe.base() else { break };
                if !(self.active_num(r) && pb > rv && re.base().is_some_and(|rb| pb > rb)) {
                    break;
                }
                let pscript = pe.num.as_ref().and_then(|n| n.script.as_deref());
                if pscript == Some("CJK")
                    && pb >= 1000
                    && !pe.typ().contains("tag")
                    && is_power_of_ten_str(&pb.to_string())
                    && (1..=9).contains(&rv)
                    && re.start + 1 == re.end
                {
                    let nb = pb / 10;
                    let re = &mut self.edges[r];
                    if let Some(n) = re.num.as_mut() {
                        n.value = Some(Num::Int(nb * rv));
                        n.num_base = Some(nb);
                    }
                    re.typ = Some("G4tag".into());
                }
                sub.push(r);
            }
            if sub.len() >= 2 {
                let v: i128 = sub
                    .iter()
                    .map(|&e| self.edges[e].int_value().unwrap_or(0))
                    .sum();
                let last = *sub.last().unwrap_or(&edge);
                let orig: String = sub
                    .iter()
                    .map(|&e| self.edges[e].orig().to_string())
                    .collect();
                let (base, script) = (
                    self.edges[last].base(),
                    self.edges[last].num.as_ref().and_then(|n| n.script.clone()),
                );
                let id = self.add_edge(Self::num_edge_multi(
                    self.edges[edge].start,
                    self.edges[last].end,
                    v.to_string(),
                ));
                self.update(
                    id,
                    Some(Num::Int(v)),
                    None,
                    None,
                    base,
                    script,
                    "G4",
                    Some(orig),
                );
                num_edges = self.update_edge_list(&num_edges, id, &sub);
            }
        }
        // G5: Chinese fractions and percentages
        for edge in num_edges.clone() {
            let Some(ev) = self.edges[edge].int_value() else {
                continue;
            };
            if self.edges[edge].num.is_none() {
                continue;
            }
            for fc in self.d.fraction_connectors.clone() {
                let e_end = self.edges[edge].end;
                let fc_len = fc.chars().count();
                if e_end + fc_len > self.n || self.sub(e_end, e_end + fc_len) != fc {
                    continue;
                }
                let Some(r) = self.best_right_neighbor_edge(e_end + fc_len, false) else {
                    continue;
                };
                let Some(rv) = self.edges[r].value() else {
                    continue;
                };
                let (es, re_end) = (self.edges[edge].start, self.edges[r].end);
                if ev == 100 {
                    let id = self.add_edge(Edge::new(
                        es,
                        re_end,
                        format!("{}%", rv.py_str()),
                        "percentage",
                    ));
                    num_edges = self.update_edge_list(&num_edges, id, &[edge, r]);
                } else if let (Num::Int(ri), true) = (rv, ev > 0) {
                    let mut ne = Self::num_edge_multi(es, re_end, format!("{ri}/{ev}"));
                    if let Some(n) = ne.num.as_mut() {
                        n.fraction = Some((ri, ev));
                    }
                    ne.typ = Some("fraction".into());
                    let id = self.add_edge(ne);
                    num_edges = self.update_edge_list(&num_edges, id, &[edge, r]);
                }
            }
        }
        // G6: plus and minus signs
        for edge in num_edges.clone() {
            for (signs, sign_char) in [
                (self.d.minus_signs.clone(), '-'),
                (self.d.plus_signs.clone(), '+'),
            ] {
                for sign in signs {
                    let (es, ee) = (self.edges[edge].start, self.edges[edge].end);
                    let l = sign.chars().count();
                    if es >= l && self.sub(es - l, es) == sign {
                        let txt = format!("{sign_char}{}", self.edges[edge].txt);
                        let typ = format!(
                            "{} {sign_char}",
                            self.edges[edge].typ.as_deref().unwrap_or("None")
                        );
                        self.add_edge(Edge::new(es - l, ee, txt, typ));
                    }
                }
            }
        }
        // F1: separate adjacent numbers
        for &edge in &num_edges {
            if !(self.is_num(edge)
                && self.edges[edge]
                    .txt
                    .chars()
                    .next()
                    .is_some_and(|c| self.is_digit_char(c)))
            {
                continue;
            }
            if let Some(l) = self.best_left_neighbor_edge(self.edges[edge].start, false) {
                if self.edges[l]
                    .txt
                    .chars()
                    .next_back()
                    .is_some_and(|c| self.is_digit_char(c))
                {
                    let sep = if self.edges[edge]
                        .num
                        .as_ref()
                        .is_some_and(|n| n.fraction.is_some())
                    {
                        " "
                    } else {
                        "·"
                    };
                    let e = &mut self.edges[edge];
                    e.txt = format!("{sep}{}", e.txt);
                }
            }
        }
        for &edge in &num_edges {
            let e = &self.edges[edge];
            if self.active_num(edge) {
                if let Some(v) = e.value() {
                    let orig = e.orig();
                    if (v.as_f64() > 1000.0 && e.start + 1 == e.end)
                        || (!orig.is_empty() && "兩參参伍陆陸什".contains(orig))
                        || orig == "京兆"
                    {
                        self.edges[edge].active = false;
                    }
                }
            }
        }
        self.add_digit_fallbacks();
    }

    fn is_digit_char(&self, c: char) -> bool {
        c.is_ascii_digit() || (!c.is_ascii() && self.d.ucd.category(c) == "Nd")
    }

    fn add_digit_fallbacks(&mut self) {
        for start in 0..self.n {
            if let Some(b) = self.best_edge_in_span(start, start + 1, false) {
                if self.is_num(b) {
                    continue;
                }
            }
            let c = self.chars[start];
            if let Some(v) = self.r.numeric(c) {
                if self.d.chr_name(c).contains("DIGIT")
                    && v.fract() == 0.0
                    && (0.0..=9.0).contains(&v)
                {
                    self.add_edge(Edge::new(start, start + 1, (v as i64).to_string(), "num"));
                }
            }
        }
    }

    fn add_braille_numbers(&mut self) {
        if !self.braille {
            return;
        }
        let digits =
            "\u{281A}\u{2801}\u{2803}\u{2809}\u{2819}\u{2811}\u{280B}\u{281B}\u{2813}\u{280A}";
        let mut num_s = String::new();
        let mut start: Option<usize> = None;
        let add = |lat: &mut Lattice, s: usize, e: usize, txt: &str| {
            let mut ne = Self::num_edge_multi(s, e, txt.to_string());
            ne.active = false;
            ne.typ = Some("number".into());
            lat.add_edge(ne);
        };
        for i in 0..self.n {
            let c = self.chars[i];
            if c == '\u{283C}' {
                if start.is_none() {
                    start = Some(i);
                }
            } else if let (Some(_), Some(d)) = (start, digits.chars().position(|x| x == c)) {
                num_s.push_str(&d.to_string());
            } else if start.is_some() && c == '\u{2832}' {
                num_s.push('.');
            } else if start.is_some() && c == '\u{2802}' {
                num_s.push(',');
            } else if let (Some(s), false) = (start, num_s.is_empty()) {
                add(self, s, i, &num_s);
                num_s.clear();
                start = None;
            }
        }
        if let (Some(s), false) = (start, num_s.is_empty()) {
            let n = self.n;
            add(self, s, n, &num_s);
        }
    }

    fn add_rom_fall_back_singles(&mut self) {
        for start in 0..self.n {
            let end = start + 1;
            if self.span_edges(start, end).next().is_some() {
                continue;
            }
            let c = self.chars[start];
            let cat = self.d.ucd.category(c);
            let (rom, typ) = if cat == "Mn" {
                (String::new(), "Mn")
            } else if cat == "Cf" {
                (String::new(), "Cf")
            } else if cat == "Co" {
                (String::new(), "Co")
            } else if c == ' ' {
                (c.to_string(), "orig")
            } else if let Some(mut r) = self.simple_top(start, end, false) {
                if r.starts_with('+')
                    && ["m", "ng", "n", "h", "r"]
                        .iter()
                        .any(|t| r[1..].starts_with(t))
                {
                    r.remove(0);
                }
                (r, "rom single")
            } else {
                (c.to_string(), "orig")
            };
            self.add_edge(Edge::new(start, end, rom, typ));
        }
    }

    pub(crate) fn best_edge_in_span(
        &self,
        start: usize,
        end: usize,
        skip_num: bool,
    ) -> Option<usize> {
        let (mut decomp, mut other, mut rom) = (None, None, None);
        for id in self.span_edges(start, end) {
            let e = &self.edges[id];
            if e.num.is_some() {
                if skip_num {
                    continue;
                }
                if e.active {
                    return Some(id);
                }
            }
            let t = e.typ();
            if t.starts_with("rom decomp") {
                decomp = decomp.or(Some(id));
            } else if t.starts_with("rom") || t.starts_with("num") {
                rom = rom.or(Some(id));
            } else {
                other = other.or(Some(id));
            }
        }
        rom.or(decomp).or(other)
    }

    fn best_right_neighbor_edge(&self, start: usize, skip_num: bool) -> Option<usize> {
        self.ends_from(start)
            .into_iter()
            .find_map(|end| self.best_edge_in_span(start, end, skip_num))
    }

    fn best_left_neighbor_edge(&self, end: usize, skip_num: bool) -> Option<usize> {
        self.starts_to(end)
            .into_iter()
            .find_map(|start| self.best_edge_in_span(start, end, skip_num))
    }

    /// The best covering path from the start to the end.
    pub(crate) fn best_path(&self) -> Vec<usize> {
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < self.n {
            match self.best_right_neighbor_edge(pos, false) {
                Some(e) => {
                    out.push(e);
                    pos = self.edges[e].end;
                }
                None => pos += 1,
            }
        }
        out
    }

    /// All edges, by start and then longest span first (uroman's `lattice` format).
    pub(crate) fn all_edges(&self) -> Vec<usize> {
        let mut out = Vec::new();
        for start in 0..self.n {
            for end in self.ends_from(start) {
                if end <= self.n {
                    out.extend(self.span_edges(start, end));
                }
            }
        }
        out
    }

    /// Adds the alternative romanizations (`::t-alt`, end-of-syllable variants) after each edge.
    pub(crate) fn add_alternatives(&mut self, list: &mut Vec<usize>) {
        let mut seen: FxSet<(usize, usize, String)> = list
            .iter()
            .map(|&e| {
                (
                    self.edges[e].start,
                    self.edges[e].end,
                    self.edges[e].txt.clone(),
                )
            })
            .collect();
        let mut pos = 0;
        while pos < list.len() {
            let id = list[pos];
            let (start, end, old_rom, typ) = {
                let e = &self.edges[id];
                (e.start, e.end, e.txt.clone(), e.typ().to_string())
            };
            if typ.starts_with("rom-alt") {
                pos += 1;
                continue;
            }
            let (core, suffix) = core_suffix(&typ);
            let rules = self.rules(self.sub(start, end));
            for rule in rules {
                if !self.cand_is_valid(rule, start, end) {
                    continue;
                }
                let t = rule.t.clone().unwrap_or_default();
                let mut add = |lat: &mut Lattice, rom: String, typ: &'static str| {
                    if seen.insert((start, end, rom.clone())) {
                        let e = lat.add_edge_detached(Edge::new(start, end, rom, typ));
                        list.insert(pos + 1, e);
                    }
                };
                if (t == old_rom || core.as_deref() == Some(t.as_str())) && !rule.t_alts.is_empty()
                {
                    for alt in &rule.t_alts {
                        let mut alt = alt.clone();
                        if let (Some(sfx), true) = (&suffix, core.as_deref() == Some(t.as_str())) {
                            alt.push_str(sfx);
                        }
                        add(self, alt, "rom-alt");
                    }
                }
                if t == old_rom
                    && rule
                        .t_end_of_syllable
                        .as_deref()
                        .is_some_and(|x| !x.is_empty())
                {
                    add(self, t.clone(), "rom-alt2");
                }
                if rule.t_end_of_syllable.as_deref() == Some(old_rom.as_str()) {
                    add(self, t.clone(), "rom-alt3");
                }
            }
            pos += 1;
        }
    }

    /// Stores an edge without linking it into the lattice (alternatives are output-only).
    fn add_edge_detached(&mut self, e: Edge) -> usize {
        self.edges.push(e);
        self.edges.len() - 1
    }
}

/// `\bc:([a-z]+)\s+s:([a-z]+)\b` in an edge annotation.
fn core_suffix(typ: &str) -> (Option<String>, Option<String>) {
    let Some(i) = typ.find(" c:") else {
        return (None, None);
    };
    let rest = &typ[i + 3..];
    let core: String = rest
        .chars()
        .take_while(|c| c.is_ascii_lowercase())
        .collect();
    let rest = &rest[core.len()..];
    let Some(rest) = rest.strip_prefix(" s:") else {
        return (None, None);
    };
    let suffix: String = rest
        .chars()
        .take_while(|c| c.is_ascii_lowercase())
        .collect();
    if core.is_empty() || suffix.is_empty() {
        return (None, None);
    }
    (Some(core), Some(suffix))
}

fn has_r_vowel(s: &str) -> bool {
    let b = s.as_bytes();
    b.windows(2)
        .any(|w| w[0] == b'r' && b"aeiou".contains(&w[1]))
}

fn ends_cons_i(rom: &str) -> bool {
    let b = rom.as_bytes();
    b.len() >= 2 && b[b.len() - 1] == b'i' && CONS.as_bytes().contains(&b[b.len() - 2])
}

fn is_power_of_ten_str(s: &str) -> bool {
    s.len() >= 2 && s.starts_with('1') && s[1..].bytes().all(|b| b == b'0')
}

/// Hangul syllable decomposition (Revised Romanization letters, without hyphens).
pub(crate) fn hangul(c: char) -> String {
    const LEADS: [&str; 19] = [
        "g", "gg", "n", "d", "dd", "r", "m", "b", "bb", "s", "ss", "", "j", "jj", "c", "k", "t",
        "p", "h",
    ];
    const VOWELS: [&str; 21] = [
        "a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wai", "oe", "yo", "u", "weo",
        "we", "wi", "yu", "eu", "yi", "i",
    ];
    const TAILS: [&str; 28] = [
        "", "g", "gg", "gs", "n", "nj", "nh", "d", "l", "lg", "lm", "lb", "ls", "lt", "lp", "lh",
        "m", "b", "bs", "s", "ss", "ng", "j", "c", "k", "t", "p", "h",
    ];
    let cp = c as u32;
    if !(0xAC00..=0xD7A3).contains(&cp) {
        return String::new();
    }
    let code = (cp - 0xAC00) as usize;
    format!(
        "{}{}{}",
        LEADS[code / (28 * 21)],
        VOWELS[(code / 28) % 21],
        TAILS[code % 28]
    )
}

fn tib_good_suffix(post: &str) -> bool {
    const S: &[&str] = &[
        "", "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "q", "r", "s", "t", "v",
        "w", "x", "z", "bh", "bs", "ch", "cs", "dd", "ddh", "dh", "dz", "dzh", "gh", "gr", "gs",
        "kh", "khs", "kss", "nn", "nt", "ms", "ng", "ngs", "ns", "ph", "rm", "sh", "ss", "th",
        "ts", "tsh", "tt", "tth", "zh", "zhs",
    ];
    let p = post.strip_suffix('\'').unwrap_or(post);
    S.contains(&p) || S.contains(&post)
}

fn tib_good_prefix(pre: &str) -> bool {
    const P: &[&str] = &[
        "bd", "br", "brg", "brgy", "bs", "bsh", "bst", "bt", "bts", "by", "bz", "bzh", "ch", "db",
        "dby", "dk", "dm", "dp", "dpy", "dr", "gl", "gn", "gr", "gs", "gt", "gy", "gzh", "kh",
        "khr", "khy", "kr", "ky", "ld", "lh", "lt", "mkh", "mny", "mth", "mtsh", "ny", "ph", "phr",
        "phy", "rgy", "rk", "el", "rn", "rny", "rt", "rts", "sk", "skr", "sky", "sl", "sm", "sn",
        "sny", "sp", "spy", "sr", "st", "th", "ts", "tsh",
    ];
    let check = |p: &str| p.chars().count() == 1 || P.contains(&p);
    check(pre) || pre.strip_prefix('\'').is_some_and(check)
}
