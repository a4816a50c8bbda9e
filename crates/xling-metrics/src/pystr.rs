//! Python `str` semantics that sacrebleu relies on: `isspace`, `split()`, `strip()`, `rstrip()`.
//!
//! Python's whitespace is Rust's `char::is_whitespace` (the Unicode `White_Space` property) plus the four
//! ASCII information separators U+001C..U+001F, which Python also treats as whitespace.

/// Python's `str.isspace` for one character.
#[inline]
pub fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `s.split()`: runs of whitespace separate tokens; no empty tokens.
pub fn split(s: &str) -> Split<'_> {
    Split { s, pos: 0 }
}

/// The iterator of [`split`], with a fast path for ASCII.
pub struct Split<'a> {
    s: &'a str,
    pos: usize,
}

impl Split<'_> {
    /// Byte length of the whitespace character at `i`, or 0 when there is none.
    #[inline]
    fn space_len(&self, i: usize) -> usize {
        let b = self.s.as_bytes()[i];
        if b < 0x80 {
            usize::from(matches!(b, b' ' | b'\t'..=b'\r' | 0x1c..=0x1f))
        } else {
            match self.s[i..].chars().next() {
                Some(c) if c.is_whitespace() => c.len_utf8(),
                _ => 0,
            }
        }
    }

    /// Byte length of the character at `i`.
    #[inline]
    fn char_len(&self, i: usize) -> usize {
        let b = self.s.as_bytes()[i];
        match b {
            0..0x80 => 1,
            0xc0..0xe0 => 2,
            0xe0..0xf0 => 3,
            _ => 4,
        }
    }
}

impl<'a> Iterator for Split<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let n = self.s.len();
        while self.pos < n {
            let l = self.space_len(self.pos);
            if l == 0 {
                break;
            }
            self.pos += l;
        }
        if self.pos >= n {
            return None;
        }
        let start = self.pos;
        let bytes = self.s.as_bytes();
        loop {
            // Fast path: printable ASCII is never whitespace.
            while self.pos < n && (0x21..0x7f).contains(&bytes[self.pos]) {
                self.pos += 1;
            }
            if self.pos >= n || self.space_len(self.pos) != 0 {
                break;
            }
            self.pos += self.char_len(self.pos);
        }
        while self.pos < n && self.space_len(self.pos) == 0 {
            self.pos += self.char_len(self.pos);
        }
        Some(&self.s[start..self.pos])
    }
}

/// Python's `s.rstrip()`.
pub fn rstrip(s: &str) -> &str {
    s.trim_end_matches(is_space)
}

/// Python's `s.strip()`.
pub fn strip(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// Python's `' '.join(s.split())`, appended to `out`.
pub fn join_split_into(s: &str, out: &mut String) {
    for (i, t) in split(s).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(t);
    }
}

/// Python's `' '.join(s.split())`.
pub fn join_split(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    join_split_into(s, &mut out);
    out
}

/// Python's `s.lower()` (full case mapping with the final-sigma rule, like Rust's `to_lowercase`).
pub fn lower(s: &str) -> String {
    if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        s.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_whitespace() {
        let got: Vec<&str> = split("a\u{1c}b\u{a0}c\u{3000}d \u{200b}e").collect();
        assert_eq!(got, ["a", "b", "c", "d", "\u{200b}e"]);
        assert_eq!(rstrip("x \u{1f}\t"), "x");
        assert_eq!(strip("\u{85} x "), "x");
        assert_eq!(join_split("  a   b "), "a b");
    }
}
