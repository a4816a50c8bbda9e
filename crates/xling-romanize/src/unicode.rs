//! Character properties from uroman's bundled `UnicodeData.txt`: names, general categories,
//! decompositions and numeric values (what uroman takes from Python's `unicodedata`).

use std::collections::HashMap;

struct Entry {
    cat: [u8; 2],
    name: Box<str>,
    decomp: Box<str>,
    numeric: Option<f64>,
}

/// The parsed character database.
pub(crate) struct Ucd {
    map: HashMap<u32, Entry>,
    ranges: Vec<(u32, u32, [u8; 2])>,
}

impl Ucd {
    pub(crate) fn parse(text: &str) -> Ucd {
        let mut map = HashMap::with_capacity(40_000);
        let mut ranges = Vec::new();
        let mut open: Option<u32> = None;
        for line in text.lines() {
            let f: Vec<&str> = line.split(';').collect();
            if f.len() < 9 {
                continue;
            }
            let Ok(cp) = u32::from_str_radix(f[0], 16) else {
                continue;
            };
            let c = f[2].as_bytes();
            let cat = [
                c.first().copied().unwrap_or(b'C'),
                c.get(1).copied().unwrap_or(b'n'),
            ];
            let name = f[1];
            if name.ends_with(", First>") {
                open = Some(cp);
                continue;
            }
            if name.ends_with(", Last>") {
                if let Some(start) = open.take() {
                    ranges.push((start, cp, cat));
                }
                continue;
            }
            let name = if name.starts_with('<') { "" } else { name };
            let numeric = if f[8].is_empty() {
                None
            } else if let Some((n, d)) = f[8].split_once('/') {
                match (n.parse::<f64>(), d.parse::<f64>()) {
                    (Ok(n), Ok(d)) if d != 0.0 => Some(n / d),
                    _ => None,
                }
            } else {
                f[8].parse::<f64>().ok()
            };
            map.insert(
                cp,
                Entry {
                    cat,
                    name: name.into(),
                    decomp: f[5].into(),
                    numeric,
                },
            );
        }
        Ucd { map, ranges }
    }

    /// The character name (`""` for unnamed and range characters).
    pub(crate) fn name(&self, c: char) -> &str {
        self.map.get(&(c as u32)).map_or("", |e| &e.name)
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
        self.map.get(&(c as u32)).map_or("", |e| &e.decomp)
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
