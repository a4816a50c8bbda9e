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
pub fn split(s: &str) -> impl Iterator<Item = &str> {
    s.split(is_space).filter(|t| !t.is_empty())
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
