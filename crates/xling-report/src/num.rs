//! Number formatting shared by the renderers.

use xling_core::{Cell, Column, ColumnKind};

/// A float in its shortest round-trip decimal form (`0.1`, `2.3104123456789`, `1`), switching to
/// exponent notation for very large or very small magnitudes (`1e300`, `1.5e-9`). `None` if not finite.
pub(crate) fn full(v: f64) -> Option<String> {
    if !v.is_finite() {
        return None;
    }
    let a = v.abs();
    if a != 0.0 && !(1e-6..1e16).contains(&a) {
        Some(format!("{v:e}"))
    } else {
        Some(format!("{v}"))
    }
}

/// A cell at full precision for machine-readable outputs (CSV, HTML `data-value`); `None` when missing or
/// not finite. Text cells are returned as they are.
pub(crate) fn exact(cell: &Cell) -> Option<String> {
    match cell {
        Cell::Int(v) => Some(v.to_string()),
        Cell::Float(v) => full(*v),
        Cell::Text(s) => Some(s.clone()),
        Cell::Missing => None,
    }
}

/// Whether a column holds numbers (is right-aligned and may be charted).
pub(crate) fn is_numeric(col: &Column) -> bool {
    col.kind != ColumnKind::Text
}

/// A cell formatted for people, or `None` when it has no value (missing or a non-finite float).
pub(crate) fn human(col: &Column, cell: &Cell) -> Option<String> {
    match cell {
        Cell::Missing => None,
        Cell::Float(v) if !v.is_finite() => None,
        _ => Some(col.format(cell)),
    }
}

/// The fields every JSON row and CSV line starts with.
pub(crate) const ROW_FIELDS: [&str; 3] = ["language", "name", "script"];

/// The JSON key and CSV header of a column: its id, or `column:<id>` if the id collides with one of
/// [`ROW_FIELDS`].
pub(crate) fn field_name(col: &Column) -> String {
    if ROW_FIELDS.contains(&col.id.as_str()) {
        format!("column:{}", col.id)
    } else {
        col.id.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_precision_round_trips() {
        for v in [
            0.1,
            2.3104123456789,
            1.0,
            -3.5,
            1e300,
            1.5e-9,
            123456.789,
            0.0,
        ] {
            let s = full(v).expect("finite");
            assert_eq!(s.parse::<f64>().expect("parses"), v, "{s}");
        }
        assert_eq!(full(1.0).as_deref(), Some("1"));
        assert_eq!(full(0.1).as_deref(), Some("0.1"));
        assert_eq!(full(1e300).as_deref(), Some("1e300"));
        assert_eq!(full(f64::NAN), None);
        assert_eq!(full(f64::INFINITY), None);
    }
}
