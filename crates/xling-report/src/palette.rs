//! A stable colour per writing system, so a script has the same colour in every chart and every report.

/// Hand-picked colours for the scripts that FLORES-200 and similar corpora use, roughly ordered by how
/// many languages use them; the most frequent scripts get the most distinct hues.
const FIXED: &[(&str, &str)] = &[
    ("Latn", "#3b6fb6"),
    ("Arab", "#2f9e5b"),
    ("Cyrl", "#d0453b"),
    ("Deva", "#e8892b"),
    ("Beng", "#8a5cc2"),
    ("Ethi", "#8c6239"),
    ("Hans", "#d9569b"),
    ("Hant", "#a8356f"),
    ("Jpan", "#e27d93"),
    ("Kore", "#1d9a9a"),
    ("Hang", "#1d9a9a"),
    ("Grek", "#c29a12"),
    ("Hebr", "#62832c"),
    ("Thai", "#2a93d5"),
    ("Taml", "#a8412f"),
    ("Telu", "#5b4a9e"),
    ("Knda", "#c4782a"),
    ("Mlym", "#3a8f78"),
    ("Gujr", "#d9694a"),
    ("Guru", "#7f9430"),
    ("Orya", "#9b4c88"),
    ("Sinh", "#4d6ea3"),
    ("Mymr", "#b08a00"),
    ("Khmr", "#2d7c9c"),
    ("Laoo", "#58ad86"),
    ("Tibt", "#a0522d"),
    ("Geor", "#7a3ea3"),
    ("Armn", "#c24f4c"),
    ("Tfng", "#479a3c"),
    ("Olck", "#8e6ec1"),
    ("Mtei", "#a66d2c"),
    ("Thaa", "#cf5f80"),
    ("Syrc", "#58793f"),
    ("Cher", "#98632c"),
    ("Cans", "#3f8fb8"),
    ("Nkoo", "#b85a2a"),
    ("Adlm", "#6b8f9e"),
    ("Vaii", "#92a13a"),
];

/// Colour for rows with no or an unparseable script code.
const UNKNOWN: &str = "#8a8f98";

/// The fill colour of a script's bars: a fixed colour for common scripts, otherwise a hue derived from a
/// hash of the code (stable across runs and versions). The result is a CSS colour (`#3b6fb6` or
/// `hsl(…)`), usable in SVG `fill` and CSS alike.
pub fn script_colour(code: &str) -> String {
    if let Some((_, c)) = FIXED.iter().find(|(s, _)| s.eq_ignore_ascii_case(code)) {
        return (*c).to_string();
    }
    let Some(script) = xling_core::Script::parse(code) else {
        return UNKNOWN.to_string();
    };
    // FNV-1a over the canonical code: deterministic, independent of the standard library's hasher.
    let mut h: u32 = 0x811c_9dc5;
    for b in script.as_str().bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    let hue = h % 360;
    let light = 38 + (h / 360) % 3 * 6;
    format!("hsl({hue},48%,{light}%)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_stable_and_distinct_for_common_scripts() {
        assert_eq!(script_colour("Latn"), "#3b6fb6");
        assert_eq!(script_colour("latn"), "#3b6fb6");
        assert_eq!(script_colour("Zzzq"), script_colour("Zzzq"));
        assert!(script_colour("Zzzq").starts_with("hsl("));
        assert_eq!(script_colour(""), UNKNOWN);
        let common = [
            "Latn", "Arab", "Cyrl", "Deva", "Beng", "Ethi", "Hans", "Grek",
        ];
        for (i, a) in common.iter().enumerate() {
            for b in &common[i + 1..] {
                assert_ne!(script_colour(a), script_colour(b));
            }
        }
    }
}
