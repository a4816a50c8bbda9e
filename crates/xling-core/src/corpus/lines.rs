//! A line reader that turns raw bytes into checked text lines.
//!
//! It strips a leading UTF-8 byte-order mark and `\r\n` / `\n` terminators, and reports invalid UTF-8 with
//! the 1-based line number and the 0-based byte offset of the first bad byte in the file.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use super::CorpusError;

/// One line of text with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// 1-based line number.
    pub number: usize,
    /// The text without its terminator.
    pub text: String,
}

/// One line's bytes before the UTF-8 check ([`LineReader::next_raw`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawLine<'a> {
    /// 1-based line number.
    pub number: usize,
    /// The bytes without terminator (and without the byte-order mark on line 1).
    pub bytes: &'a [u8],
    /// The file offset of `bytes[0]`.
    pub offset: u64,
}

/// Reads checked lines from a byte stream; `path` is only used in error messages.
pub struct LineReader<R> {
    inner: R,
    path: PathBuf,
    number: usize,
    offset: u64,
    buf: Vec<u8>,
}

impl<R: BufRead> LineReader<R> {
    /// Wraps a reader.
    pub fn new(inner: R, path: &Path) -> Self {
        LineReader {
            inner,
            path: path.to_path_buf(),
            number: 0,
            offset: 0,
            buf: Vec::new(),
        }
    }

    /// The next line's bytes, terminator (and, on line 1, a byte-order mark) removed, before any UTF-8
    /// check: for callers that handle a line that is not UTF-8 themselves. `None` at the end of input.
    pub fn next_raw(&mut self) -> Option<Result<RawLine<'_>, CorpusError>> {
        self.buf.clear();
        let n = match self.inner.read_until(b'\n', &mut self.buf) {
            Ok(0) => return None,
            Ok(n) => n,
            Err(e) => return Some(Err(CorpusError::io(&self.path, e))),
        };
        let start = self.offset;
        self.offset += n as u64;
        self.number += 1;
        let mut bytes: &[u8] = &self.buf;
        let mut skipped = 0u64;
        if self.number == 1 && bytes.starts_with(b"\xEF\xBB\xBF") {
            bytes = &bytes[3..];
            skipped = 3;
        }
        if let Some(b) = bytes.strip_suffix(b"\n") {
            bytes = b.strip_suffix(b"\r").unwrap_or(b);
        }
        Some(Ok(RawLine {
            number: self.number,
            bytes,
            offset: start + skipped,
        }))
    }

    /// The next line, `None` at the end of input.
    pub fn next_line(&mut self) -> Option<Result<Line, CorpusError>> {
        let (number, text) = match self.next_raw()? {
            Err(e) => return Some(Err(e)),
            Ok(raw) => (
                raw.number,
                std::str::from_utf8(raw.bytes)
                    .map(str::to_string)
                    .map_err(|e| raw.offset + e.valid_up_to() as u64),
            ),
        };
        Some(match text {
            Ok(text) => Ok(Line { number, text }),
            Err(offset) => Err(CorpusError::InvalidUtf8 {
                path: self.path.clone(),
                line: number,
                offset,
            }),
        })
    }
}

impl<R: BufRead> Iterator for LineReader<R> {
    type Item = Result<Line, CorpusError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_line()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(bytes: &[u8]) -> Vec<Result<Line, CorpusError>> {
        LineReader::new(bytes, Path::new("t.txt")).collect()
    }

    #[test]
    fn strips_bom_and_crlf() {
        let got: Vec<String> = lines(b"\xEF\xBB\xBFone\r\ntwo\nthree")
            .into_iter()
            .map(|l| l.unwrap().text)
            .collect();
        assert_eq!(got, ["one", "two", "three"]);
    }

    #[test]
    fn invalid_utf8_names_line_and_offset() {
        let got = lines(b"ok\nbad \xFF here\n");
        assert!(got[0].is_ok());
        match &got[1] {
            Err(CorpusError::InvalidUtf8 { line, offset, .. }) => {
                assert_eq!(*line, 2);
                assert_eq!(*offset, 7);
            }
            other => panic!("expected InvalidUtf8, got {other:?}"),
        }
    }

    #[test]
    fn bom_is_counted_in_offsets() {
        let got = lines(b"\xEF\xBB\xBFa\xC3");
        assert!(matches!(
            got[0],
            Err(CorpusError::InvalidUtf8 { offset: 4, .. })
        ));
    }
}
