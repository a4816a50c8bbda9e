//! Character properties from uroman's bundled `UnicodeData.txt`: names, general categories,
//! decompositions and numeric values (what uroman takes from Python's `unicodedata`).

use crate::fxhash::FxMap;

struct Entry {
    cat: [u8; 2],
    /// Byte range of the name in `text`.
    name: (u32, u32),
    /// Byte range of the decomposition in `text`.
    decomp: (u32, u32),
    numeric: Option<f64>,
}

/// The parsed character database (an index into the retained text).
pub(crate) struct Ucd {
    text: String,
    map: FxMap<u32, Entry>,
    ranges: Vec<(u32, u32, [u8; 2])>,
}

impl Ucd {
    pub(crate) fn parse(text: String) -> Ucd {
        let mut map = FxMap::with_capacity_and_hasher(40_000, Default::default());
        let mut ranges = Vec::new();
        let mut open: Option<u32> = None;
        let mut pos = 0usize;
        for line in text.split('\n') {
            let line_start = pos;
            pos += line.len() + 1;
            let mut f = line.split(';');
            let (
                Some(f0),
                Some(f1),
                Some(f2),
                Some(_),
                Some(_),
                Some(f5),
                Some(_),
                Some(_),
                Some(f8),
            ) = (
                f.next(),
                f.next(),
                f.next(),
                f.next(),
                f.next(),
                f.next(),
                f.next(),
                f.next(),
                f.next(),
            )
            else {
                continue;
            };
            let Ok(cp) = u32::from_str_radix(f0, 16) else {
                continue;
            };
            let c = f2.as_bytes();
            let cat = [
                c.first().copied().unwrap_or(b'C'),
                c.get(1).copied().unwrap_or(b'n'),
            ];
            if f1.ends_with(", First>") {
                open = Some(cp);
                continue;
            }
            if f1.ends_with(", Last>") {
                if let Some(start) = open.take() {
                    ranges.push((start, cp, cat));
                }
                continue;
            }
            let off = |sub: &str| -> (u32, u32) {
                let a = sub.as_ptr() as usize - line.as_ptr() as usize + line_start;
                (a as u32, (a + sub.len()) as u32)
            };
            let name = if f1.starts_with('<') { (0, 0) } else { off(f1) };
            let numeric = if f8.is_empty() {
                None
            } else if let Some((n, d)) = f8.split_once('/') {
                match (n.parse::<f64>(), d.parse::<f64>()) {
                    (Ok(n), Ok(d)) if d != 0.0 => Some(n / d),
                    _ => None,
                }
            } else {
                f8.parse::<f64>().ok()
            };
            map.insert(
                cp,
                Entry {
                    cat,
                    name,
                    decomp: off(f5),
                    numeric,
                },
            );
        }
        Ucd { text, map, ranges }
    }

    /// The character name (`""` for unnamed and range characters).
    pub(crate) fn name(&self, c: char) -> &str {
        self.map
            .get(&(c as u32))
            .map_or("", |e| &self.text[e.name.0 as usize..e.name.1 as usize])
    }

    /// The two-letter general category (`Cn` when unassigned).
    pub(crate) fn category(&self, c: char) -> &str {
        let cp = c as u32;
        let cat = match self.map.get(&cp) {
            Some(e) => &e.cat,
            None => match self.ranges.iter().find(|r| r.0 <= cp && cp <= r.1) {
                Some(r) => &r.2,
                None => return "Cn",
            },
        };
        std::str::from_utf8(cat).unwrap_or("Cn")
    }

    /// The decomposition field (`""` when none).
    pub(crate) fn decomposition(&self, c: char) -> &str {
        self.map
            .get(&(c as u32))
            .map_or("", |e| &self.text[e.decomp.0 as usize..e.decomp.1 as usize])
    }

    /// The numeric value field.
    pub(crate) fn numeric(&self, c: char) -> Option<f64> {
        self.map.get(&(c as u32)).and_then(|e| e.numeric)
    }

    /// Python `str.isalpha` for one character: general category L*.
    pub(crate) fn is_alpha(&self, c: char) -> bool {
        if c.is_ascii() {
            return c.is_ascii_alphabetic();
        }
        self.category(c).starts_with('L')
    }

    /// `\pL` or `\pM`.
    pub(crate) fn is_letter_or_mark(&self, c: char) -> bool {
        let cat = self.category(c);
        cat.starts_with('L') || cat.starts_with('M')
    }
}
