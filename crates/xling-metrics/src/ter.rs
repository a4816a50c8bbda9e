//! TER, translation edit rate (Snover et al. 2006), exactly as sacrebleu 2.6.0 computes it.
//!
//! sacrebleu reimplements Tercom: a greedy search for block shifts, each scored by a beam-restricted
//! edit distance, with Tercom's limits (`MAX_SHIFT_SIZE` 10, `MAX_SHIFT_DIST` 50, beam 25, at most 1000
//! shift candidates per segment). This port keeps every heuristic, tie-break and limit, so scores are
//! identical; it is fast because words are integer ids and each candidate's edit distance reuses the
//! matrix rows of the unshifted hypothesis up to the first changed word (sacrebleu caches the same rows
//! in a trie, so the values are the same).

use crate::MetricsError;
use crate::bleu::intern_tokens;
use crate::ngram::FxMap;
use crate::pystr;
use crate::score::{MetricSignature, Score};

const MAX_SHIFT_SIZE: usize = 10;
const MAX_SHIFT_DIST: usize = 50;
const BEAM_WIDTH: usize = 25;
const MAX_SHIFT_CANDIDATES: usize = 1000;
const INF: i64 = 10_000_000_000_000_000;

/// TER's options; `Default` is sacrebleu's `TER()` (lowercased, no normalization).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ter {
    /// Tercom normalization: 13a-like punctuation splitting, HTML entities, `'s`.
    pub normalized: bool,
    /// Remove `.,?:;!"()` (and CJK punctuation with `asian_support`).
    pub no_punct: bool,
    /// Split CJK characters (with `normalized`) and remove CJK punctuation (with `no_punct`).
    pub asian_support: bool,
    /// Keep case (TER lowercases by default).
    pub case_sensitive: bool,
}

/// TER statistics of a segment or corpus: edits and (average) reference length.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TerStats {
    /// Minimum number of edits over the references.
    pub edits: u64,
    /// Average reference length (summed over segments for a corpus).
    pub ref_len: f64,
}

impl Ter {
    /// The signature for `nrefs` references.
    pub fn signature(&self, nrefs: usize) -> MetricSignature {
        let yn = |b: bool| if b { "yes" } else { "no" };
        MetricSignature::new(nrefs)
            .with(
                "case",
                "c",
                if self.case_sensitive { "mixed" } else { "lc" },
            )
            .with("tok", "t", "tercom")
            .with("norm", "nr", yn(self.normalized))
            .with("punct", "pn", yn(!self.no_punct))
            .with("asian", "as", yn(self.asian_support))
    }

    /// sacrebleu's `TercomTokenizer` applied to `sent.rstrip()`.
    pub fn tokenize(&self, sent: &str) -> String {
        let sent = pystr::rstrip(sent);
        if sent.is_empty() {
            return String::new();
        }
        let mut s = if self.case_sensitive {
            sent.to_string()
        } else {
            pystr::lower(sent)
        };
        if self.normalized {
            s = s
                .replace("\n-", "")
                .replace('\n', " ")
                .replace("&quot;", "\"")
                .replace("&amp;", "&")
                .replace("&lt;", "<")
                .replace("&gt;", ">");
            let mut padded = String::with_capacity(s.len() * 2 + 2);
            padded.push(' ');
            for c in s.chars() {
                if c.is_ascii() && crate::tokenize::is_13a_punct(c as u8) {
                    padded.push(' ');
                    padded.push(c);
                    padded.push(' ');
                } else {
                    padded.push(c);
                }
            }
            padded.push(' ');
            // `'s$` cannot match: the padded string ends with a space.
            let padded = padded.replace("'s ", " 's ");
            s = western_tail(&padded);
            if self.asian_support {
                // The kana patterns of sacrebleu are anchored with `^` at a position where the padded
                // string has a space, so they never match; the others put spaces around characters.
                let mut t = String::with_capacity(s.len() * 2);
                for c in s.chars() {
                    if is_asian_split(c) || is_asian_punct(c) {
                        t.push(' ');
                        t.push(c);
                        t.push(' ');
                    } else {
                        t.push(c);
                    }
                }
                s = t;
            }
        }
        if self.no_punct {
            s.retain(|c| {
                let punct = matches!(c, '.' | ',' | '?' | ':' | ';' | '!' | '"' | '(' | ')');
                !(punct || (self.asian_support && is_asian_punct(c)))
            });
        }
        pystr::join_split(&s)
    }

    /// A reference as sacrebleu tokenizes it: twice. `_cache_references` preprocesses each reference
    /// and `_extract_reference_info` preprocesses the result again; with `normalized` the second pass
    /// can split more (`x's` followed by a space becomes `x 's`), so we do the same.
    pub fn tokenize_reference(&self, sent: &str) -> String {
        self.tokenize(&self.tokenize(sent))
    }

    /// Statistics of one segment from tokenized hypothesis and references.
    fn stats_tokenized(&self, hyp: &str, refs: &[String], scratch: &mut TerScratch) -> TerStats {
        let mut vocab: FxMap<&str, u32> = FxMap::with_capacity_and_hasher(64, Default::default());
        let mut h = Vec::new();
        intern_tokens(hyp, &mut vocab, &mut h);
        let mut best = i64::MAX;
        let mut ref_lengths = 0.0f64;
        let mut r = Vec::new();
        for rs in refs {
            intern_tokens(rs, &mut vocab, &mut r);
            let (edits, len) = translation_edit_rate(&h, &r, scratch);
            ref_lengths += len as f64;
            best = best.min(edits);
        }
        TerStats {
            edits: u64::try_from(best).unwrap_or(0),
            ref_len: ref_lengths / refs.len().max(1) as f64,
        }
    }

    /// Statistics of one segment.
    pub fn segment_stats<S: AsRef<str>>(&self, hyp: &str, refs: &[S]) -> TerStats {
        let refs: Vec<String> = refs
            .iter()
            .map(|r| self.tokenize_reference(r.as_ref()))
            .collect();
        self.stats_tokenized(&self.tokenize(hyp), &refs, &mut TerScratch::default())
    }

    /// Statistics of every segment. `refs` are reference streams, each as long as `hyps`.
    pub fn corpus_stats<S: AsRef<str> + Sync, R: AsRef<str> + Sync>(
        &self,
        hyps: &[S],
        refs: &[Vec<R>],
    ) -> Result<Vec<TerStats>, MetricsError> {
        crate::check_lengths(hyps.len(), refs)?;
        Ok(crate::par_map_segments(
            hyps.len(),
            TerScratch::default,
            |sc, i| {
                let rs: Vec<String> = refs
                    .iter()
                    .map(|r| self.tokenize_reference(r[i].as_ref()))
                    .collect();
                self.stats_tokenized(&self.tokenize(hyps[i].as_ref()), &rs, sc)
            },
        ))
    }

    /// Sums segment statistics in order (the float sum is sequential, as in sacrebleu).
    pub fn sum_stats(stats: &[TerStats]) -> TerStats {
        if let [one] = stats {
            return *one;
        }
        let mut t = TerStats::default();
        for s in stats {
            t.edits += s.edits;
            t.ref_len += s.ref_len;
        }
        t
    }

    /// The score from (summed) statistics.
    pub fn compute(st: &TerStats) -> Score {
        let score = if st.ref_len > 0.0 {
            st.edits as f64 / st.ref_len
        } else if st.edits > 0 {
            1.0
        } else {
            0.0
        };
        Score::new("TER", 100.0 * score)
    }

    /// Corpus TER.
    pub fn corpus_score<S: AsRef<str> + Sync, R: AsRef<str> + Sync>(
        &self,
        hyps: &[S],
        refs: &[Vec<R>],
    ) -> Result<Score, MetricsError> {
        Ok(Self::compute(&Self::sum_stats(
            &self.corpus_stats(hyps, refs)?,
        )))
    }

    /// Sentence TER of every segment (in parallel for large inputs).
    pub fn sentence_scores<S: AsRef<str> + Sync, R: AsRef<str> + Sync>(
        &self,
        hyps: &[S],
        refs: &[Vec<R>],
    ) -> Result<Vec<Score>, MetricsError> {
        Ok(self
            .corpus_stats(hyps, refs)?
            .iter()
            .map(Self::compute)
            .collect())
    }

    /// Sentence TER of one hypothesis against its references.
    pub fn sentence_score<S: AsRef<str>>(&self, hyp: &str, refs: &[S]) -> Score {
        Self::compute(&self.segment_stats(hyp, refs))
    }
}

/// The last three substitutions of the western normalization (13a's steps 2–4), without the final join.
fn western_tail(s: &str) -> String {
    String::from_utf8_lossy(&crate::tokenize::split_number_punct(s.as_bytes())).into_owned()
}

/// Characters Tercom's Asian normalization surrounds with spaces (CJK ideographs, strokes, radicals,
/// compatibility forms, enclosed CJK).
fn is_asian_split(c: char) -> bool {
    matches!(c as u32,
        0x4e00..=0x9fff | 0x3400..=0x4dbf | 0x31c0..=0x31ef | 0x2e80..=0x2eff
        | 0x3300..=0x33ff | 0xf900..=0xfaff | 0xfe30..=0xfe4f | 0x3200..=0x3f22)
}

/// Tercom's `ASIAN_PUNCT` and `FULL_WIDTH_PUNCT`.
fn is_asian_punct(c: char) -> bool {
    matches!(c as u32,
        0x3001 | 0x3002 | 0x3008..=0x3011 | 0x3014..=0x301f | 0xff61..=0xff65 | 0x30fb
        | 0xff0e | 0xff0c | 0xff1f | 0xff1a | 0xff1b | 0xff01 | 0xff02 | 0xff08 | 0xff09)
}

// ---------------------------------------------------------------------------------------------
// The shift search and the beam edit distance (sacrebleu's lib_ter.py).

const OP_NOP: u8 = b' ';
const OP_SUB: u8 = b's';
const OP_INS: u8 = b'i';
const OP_DEL: u8 = b'd';
const OP_UNDEF: u8 = b'x';

/// Scratch space for TER, reused across segments.
#[derive(Default)]
pub(crate) struct TerScratch {
    base: Vec<(i64, u8)>,
    rows: (Vec<i64>, Vec<i64>),
    shifted: Vec<u32>,
    best: Vec<u32>,
}

/// Beam parameters of one (hypothesis length, reference length) pair.
#[derive(Clone, Copy)]
struct Beam {
    n_h: usize,
    n_r: usize,
    ratio: f64,
    width: usize,
}

impl Beam {
    fn new(n_h: usize, n_r: usize) -> Self {
        let ratio = if n_h > 0 {
            n_r as f64 / n_h as f64
        } else {
            1.0
        };
        let width = if (BEAM_WIDTH as f64) < ratio / 2.0 {
            (ratio / 2.0 + BEAM_WIDTH as f64).ceil() as usize
        } else {
            BEAM_WIDTH
        };
        Beam {
            n_h,
            n_r,
            ratio,
            width,
        }
    }

    /// Columns `[min_j, max_j)` of row `i`.
    fn range(&self, i: usize) -> (usize, usize) {
        let diag = (i as f64 * self.ratio).floor() as i64;
        let min_j = (diag - self.width as i64).max(0) as usize;
        let mut max_j = ((diag + self.width as i64).max(0) as usize).min(self.n_r + 1);
        if i == self.n_h {
            max_j = self.n_r + 1;
        }
        (min_j, max_j)
    }
}

/// The edit distance of a shifted hypothesis `h` that equals the base hypothesis in its first `lcp`
/// words, continuing from row `lcp` of the base matrix with two rolling rows of costs. Returns `None`
/// as soon as a whole row exceeds `max_cost`: costs never decrease along a path and every path crosses
/// every row, so the final cost would exceed it too.
fn candidate_cost(
    base: &[(i64, u8)],
    lcp: usize,
    h: &[u32],
    r: &[u32],
    beam: &Beam,
    max_cost: i64,
    rows: &mut (Vec<i64>, Vec<i64>),
) -> Option<i64> {
    let w = beam.n_r + 1;
    let (prev, cur) = rows;
    prev.clear();
    prev.extend(base[lcp * w..(lcp + 1) * w].iter().map(|c| c.0));
    if prev.iter().copied().min().unwrap_or(INF) > max_cost {
        return None;
    }
    cur.clear();
    cur.resize(w, INF);
    for i in lcp + 1..=beam.n_h {
        cur.fill(INF);
        let (min_j, max_j) = beam.range(i);
        let hw = h[i - 1];
        let mut row_min = i64::MAX;
        for j in min_j..max_j {
            let v = if j == 0 {
                prev[0] + 1
            } else {
                let sub = prev[j - 1] + i64::from(hw != r[j - 1]);
                INF.min(sub).min(prev[j] + 1).min(cur[j - 1] + 1)
            };
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max_cost {
            return None;
        }
        std::mem::swap(prev, cur);
    }
    Some(prev[beam.n_r])
}

/// Fills rows `from..=n_h` of `dist` ((n_h+1)×(n_r+1), row-major); rows before `from` are given.
fn fill_rows(dist: &mut [(i64, u8)], from: usize, h: &[u32], r: &[u32], beam: &Beam) {
    let w = beam.n_r + 1;
    for i in from.max(1)..=beam.n_h {
        let (prev, cur) = dist[(i - 1) * w..(i + 1) * w].split_at_mut(w);
        cur.fill((INF, OP_UNDEF));
        let (min_j, max_j) = beam.range(i);
        let hw = h[i - 1];
        for j in min_j..max_j {
            if j == 0 {
                cur[0] = (prev[0].0 + 1, OP_DEL);
                continue;
            }
            let (cost_sub, op_sub) = if hw == r[j - 1] {
                (0, OP_NOP)
            } else {
                (1, OP_SUB)
            };
            let mut best = cur[j];
            let c = prev[j - 1].0 + cost_sub;
            if best.0 > c {
                best = (c, op_sub);
            }
            let c = prev[j].0 + 1;
            if best.0 > c {
                best = (c, OP_DEL);
            }
            let c = cur[j - 1].0 + 1;
            if best.0 > c {
                best = (c, OP_INS);
            }
            cur[j] = best;
        }
    }
}

fn init_row(dist: &mut Vec<(i64, u8)>, n_h: usize, n_r: usize) {
    let w = n_r + 1;
    dist.clear();
    dist.resize((n_h + 1) * w, (INF, OP_UNDEF));
    for (j, cell) in dist[..w].iter_mut().enumerate() {
        *cell = (j as i64, OP_INS);
    }
}

/// The trace of edit operations from the full matrix (sacrebleu's orientation: hypothesis rows).
fn trace(dist: &[(i64, u8)], beam: &Beam) -> Vec<u8> {
    let w = beam.n_r + 1;
    let (mut i, mut j) = (beam.n_h, beam.n_r);
    let mut ops = Vec::with_capacity(i + j);
    while i > 0 || j > 0 {
        let op = dist[i * w + j].1;
        ops.push(op);
        match op {
            OP_SUB | OP_NOP => {
                i -= 1;
                j -= 1;
            }
            OP_INS => j -= 1,
            OP_DEL => i -= 1,
            // sacrebleu raises here; the beam makes it unreachable for any finite cost.
            _ => break,
        }
    }
    ops.reverse();
    ops
}

/// sacrebleu's `translation_edit_rate`: (edits including shifts, reference length).
fn translation_edit_rate(hyp: &[u32], rf: &[u32], sc: &mut TerScratch) -> (i64, usize) {
    let n_r = rf.len();
    let n_h = hyp.len();
    if n_r == 0 {
        return (n_h as i64, 0);
    }
    let beam = Beam::new(n_h, n_r);
    let mut words: Vec<u32> = hyp.to_vec();
    let mut shifts = 0i64;
    let mut checked = 0usize;
    // Rows of the edit-distance matrix of `words` that are still valid: all of them are recomputed
    // at first, then only those after the first word a shift changed.
    let mut valid_rows = 0usize;
    let ed = loop {
        let (delta, new_words, c, pre_score) = shift(&words, rf, &beam, checked, valid_rows, sc);
        checked = c;
        // When the loop stops, `words` is unchanged and its edit distance is `pre_score`.
        if checked >= MAX_SHIFT_CANDIDATES || delta <= 0 {
            break pre_score;
        }
        shifts += 1;
        valid_rows = 1 + words
            .iter()
            .zip(&new_words)
            .take_while(|(a, b)| a == b)
            .count();
        words = new_words;
    };
    (shifts + ed, n_r)
}

/// One greedy shift step: the best shift (gain, shifted words), the updated candidate count, and the
/// edit distance of `words_h`. Rows `0..valid_rows` of `sc.base` already hold the matrix of `words_h`.
fn shift(
    words_h: &[u32],
    words_r: &[u32],
    beam: &Beam,
    mut checked: usize,
    valid_rows: usize,
    sc: &mut TerScratch,
) -> (i64, Vec<u32>, usize, i64) {
    let (n_h, n_r) = (beam.n_h, beam.n_r);
    let w = n_r + 1;
    if valid_rows == 0 {
        init_row(&mut sc.base, n_h, n_r);
    }
    fill_rows(&mut sc.base, valid_rows.max(1), words_h, words_r, beam);
    let pre_score = sc.base[n_h * w + n_r].0;
    // Flip insertions and deletions, then align (sacrebleu's trace_to_alignment).
    let ops = trace(&sc.base, beam);
    let mut align: Vec<i64> = vec![i64::MIN; n_r];
    let mut hyp_err: Vec<u8> = Vec::with_capacity(n_h);
    let mut ref_err: Vec<u8> = Vec::with_capacity(n_r);
    let (mut ph, mut pr) = (-1i64, -1i64);
    for op in ops {
        let op = match op {
            OP_INS => OP_DEL,
            OP_DEL => OP_INS,
            o => o,
        };
        match op {
            OP_NOP | OP_SUB => {
                ph += 1;
                pr += 1;
                if pr >= 0 && (pr as usize) < n_r {
                    align[pr as usize] = ph;
                }
                let e = u8::from(op == OP_SUB);
                hyp_err.push(e);
                ref_err.push(e);
            }
            OP_INS => {
                ph += 1;
                hyp_err.push(1);
            }
            OP_DEL => {
                pr += 1;
                if pr >= 0 && (pr as usize) < n_r {
                    align[pr as usize] = ph;
                }
                ref_err.push(1);
            }
            _ => {}
        }
    }
    let err_sum = |v: &[u8], a: usize, len: usize| -> u32 {
        let end = (a + len).min(v.len());
        if a >= end {
            0
        } else {
            v[a..end].iter().map(|&x| u32::from(x)).sum()
        }
    };
    // best = (gain, length, -start_h, -idx); shifted words in sc.best.
    let mut best: Option<(i64, usize, i64, i64)> = None;
    'pairs: for start_h in 0..n_h {
        for start_r in 0..n_r {
            if start_r.abs_diff(start_h) > MAX_SHIFT_DIST {
                continue;
            }
            let mut length = 0usize;
            while words_h[start_h + length] == words_r[start_r + length] && length < MAX_SHIFT_SIZE
            {
                length += 1;
                // --- candidate (start_h, start_r, length)
                let skip = err_sum(&hyp_err, start_h, length) == 0
                    || err_sum(&ref_err, start_r, length) == 0
                    || {
                        let a = align[start_r];
                        start_h as i64 <= a && a < (start_h + length) as i64
                    };
                if !skip {
                    let mut prev_idx: i64 = -1;
                    for offset in -1i64..length as i64 {
                        let pos = start_r as i64 + offset;
                        let idx = if pos == -1 {
                            0
                        } else if (pos as usize) < n_r && align[pos as usize] != i64::MIN {
                            align[pos as usize] + 1
                        } else {
                            break;
                        };
                        if idx == prev_idx {
                            continue;
                        }
                        prev_idx = idx;
                        let idx_u = idx as usize;
                        perform_shift(words_h, start_h, length, idx_u, &mut sc.shifted);
                        let lcp = words_h
                            .iter()
                            .zip(&sc.shifted)
                            .take_while(|(a, b)| a == b)
                            .count();
                        // Only a cost that can reach the best gain so far needs computing exactly,
                        // and only positive gains matter: with a best gain <= 0 sacrebleu stops
                        // shifting, exactly as when no candidate is kept here.
                        let max_cost = pre_score - best.map_or(1, |b| b.0.max(1));
                        let cost = if lcp == n_h {
                            Some(pre_score)
                        } else {
                            candidate_cost(
                                &sc.base,
                                lcp,
                                &sc.shifted,
                                words_r,
                                beam,
                                max_cost,
                                &mut sc.rows,
                            )
                        };
                        let Some(cost) = cost.filter(|&c| c <= max_cost) else {
                            // Its gain is below the best one: sacrebleu evaluates it, but it cannot win.
                            checked += 1;
                            continue;
                        };
                        let cand = (pre_score - cost, length, -(start_h as i64), -idx);
                        checked += 1;
                        if best.is_none_or(|b| cand > b) {
                            best = Some(cand);
                            std::mem::swap(&mut sc.best, &mut sc.shifted);
                        }
                    }
                    // sacrebleu checks the limit after each candidate pair it did not skip.
                    if checked >= MAX_SHIFT_CANDIDATES {
                        break 'pairs;
                    }
                }
                // --- end candidate
                if n_h == start_h + length || n_r == start_r + length {
                    break;
                }
            }
        }
    }
    match best {
        None => (0, Vec::new(), checked, pre_score),
        Some((gain, ..)) => (gain, sc.best.clone(), checked, pre_score),
    }
}

/// sacrebleu's `_perform_shift` into `out`.
fn perform_shift(words: &[u32], start: usize, length: usize, target: usize, out: &mut Vec<u32>) {
    out.clear();
    if target < start {
        out.extend_from_slice(&words[..target]);
        out.extend_from_slice(&words[start..start + length]);
        out.extend_from_slice(&words[target..start]);
        out.extend_from_slice(&words[start + length..]);
    } else if target > start + length {
        out.extend_from_slice(&words[..start]);
        out.extend_from_slice(&words[start + length..target]);
        out.extend_from_slice(&words[start..start + length]);
        out.extend_from_slice(&words[target..]);
    } else {
        // Python slices clamp at the end of the list.
        let mid = (length + target).min(words.len());
        out.extend_from_slice(&words[..start]);
        out.extend_from_slice(&words[start + length..mid]);
        out.extend_from_slice(&words[start..start + length]);
        out.extend_from_slice(&words[mid..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_tokenized_twice() {
        let t = Ter {
            normalized: true,
            ..Ter::default()
        };
        assert_eq!(t.tokenize("x's\u{3000}y"), "x's y");
        assert_eq!(t.tokenize_reference("x's\u{3000}y"), "x 's y");
    }

    #[test]
    fn asian_support() {
        let hyp = "我爱北京";
        let r = ["我爱上海"];
        assert_eq!(Ter::default().sentence_score(hyp, &r).score, 100.0);
        let t = Ter {
            normalized: true,
            asian_support: true,
            ..Ter::default()
        };
        assert_eq!(t.sentence_score(hyp, &r).score, 50.0);
    }
}
