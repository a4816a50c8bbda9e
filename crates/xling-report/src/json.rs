//! The JSON renderer.

use serde::ser::{Serialize, SerializeMap, Serializer};
use xling_core::{Cell, LangTable, Row, Signature};

use crate::num::field_name;

/// A [`LangTable`] in xling's JSON layout, serialisable with any serde serializer.
///
/// ```json
/// {
///   "title": "Report card: flores200-sample",
///   "signature": "xling:report|corpus:flores200-sample|…|version:0.1.0",
///   "signature_fields": {"verb": "report", "params": {"corpus": "flores200-sample", …},
///                        "data": "3f9a1c2e", "version": "0.1.0"},
///   "columns": [{"id": "byte_premium", "header": "byte premium", "kind": {"type": "float", "decimals": 2},
///                "better": "lower", "unit": "bytes/char", "description": "…", "chart": true}, …],
///   "rows": [{"language": "hin_Deva", "name": "Hindi", "script": "Deva", "byte_premium": 2.3104, …}, …],
///   "notes": ["…"]
/// }
/// ```
///
/// Object keys keep the order shown (signature parameters in signature order, row values in column
/// order). Numbers have full precision; percentages stay fractions in `[0, 1]`; missing and non-finite
/// values are `null`. A column whose id is `language`, `name` or `script` appears in rows as
/// `column:<id>`. Wrap several tables in a slice to serialise them as one array.
#[derive(Debug, Clone, Copy)]
pub struct JsonTable<'a>(pub &'a LangTable);

impl Serialize for JsonTable<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = self.0;
        let mut m = s.serialize_map(Some(6))?;
        m.serialize_entry("title", &t.title)?;
        m.serialize_entry("signature", &t.signature.to_string())?;
        m.serialize_entry("signature_fields", &SigFields(&t.signature))?;
        m.serialize_entry("columns", &t.columns)?;
        let rows: Vec<JsonRow<'_>> = t.rows.iter().map(|r| JsonRow(t, r)).collect();
        m.serialize_entry("rows", &rows)?;
        m.serialize_entry("notes", &t.notes)?;
        m.end()
    }
}

/// The parsed fields of a signature.
struct SigFields<'a>(&'a Signature);

impl Serialize for SigFields<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("verb", &self.0.verb)?;
        m.serialize_entry("params", &Params(&self.0.params))?;
        m.serialize_entry("data", &self.0.data)?;
        m.serialize_entry("version", &self.0.version)?;
        m.end()
    }
}

/// Signature parameters as an object in their original order.
struct Params<'a>(&'a [(String, String)]);

impl Serialize for Params<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// One row as an object.
struct JsonRow<'a>(&'a LangTable, &'a Row);

impl Serialize for JsonRow<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (t, r) = (self.0, self.1);
        let mut m = s.serialize_map(Some(3 + t.columns.len()))?;
        m.serialize_entry("language", &r.key)?;
        m.serialize_entry("name", &r.name)?;
        m.serialize_entry("script", &r.script)?;
        for (c, cell) in t.columns.iter().zip(&r.cells) {
            m.serialize_entry(&field_name(c), &JsonCell(cell))?;
        }
        m.end()
    }
}

/// One value: a number, a string or `null`.
struct JsonCell<'a>(&'a Cell);

impl Serialize for JsonCell<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Cell::Int(v) => s.serialize_i64(*v),
            Cell::Float(v) if v.is_finite() => s.serialize_f64(*v),
            Cell::Text(v) => s.serialize_str(v),
            Cell::Float(_) | Cell::Missing => s.serialize_none(),
        }
    }
}

/// The pretty-printed JSON of one table, ending with a newline.
pub(crate) fn to_pretty(table: &LangTable) -> String {
    // Serialising these types cannot fail: every map key is a string and no value errors.
    let mut s = serde_json::to_string_pretty(&JsonTable(table))
        .unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() }).to_string());
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use serde_json::Value;
    use xling_core::Cell;

    use crate::testutil::small;
    use crate::{Format, TextOptions, render};

    #[test]
    fn json_parses_back_with_nulls() {
        let mut t = small();
        t.rows[1].cells[1] = Cell::Float(f64::NAN);
        let s = render(&t, Format::Json, &TextOptions::default());
        let v: Value = serde_json::from_str(&s).expect("valid JSON");
        assert_eq!(v["title"], "Report card: test");
        assert_eq!(v["signature"], t.signature.to_string());
        assert_eq!(v["signature_fields"]["verb"], "report");
        assert_eq!(v["signature_fields"]["params"]["base"], "eng_Latn");
        assert_eq!(v["signature_fields"]["data"], "0123abcd");
        assert_eq!(v["columns"][1]["id"], "byte_premium");
        assert_eq!(v["columns"][1]["better"], "lower");
        assert_eq!(v["columns"][1]["unit"], "bytes/char");
        assert_eq!(v["columns"][1]["kind"]["type"], "float");
        assert_eq!(v["columns"][2]["unit"], Value::Null);
        let rows = v["rows"].as_array().expect("rows");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0]["language"], "hin_Deva");
        assert_eq!(rows[0]["script"], "Deva");
        assert_eq!(rows[0]["chars"], 1200);
        assert_eq!(rows[0]["byte_premium"], 2.3104123456789);
        assert_eq!(rows[0]["coverage"], 0.987654321);
        assert_eq!(rows[1]["byte_premium"], Value::Null, "NaN is null");
        assert_eq!(rows[2]["byte_premium"], Value::Null, "missing is null");
        assert_eq!(rows[2]["label"], Value::Null);
        assert_eq!(rows[2]["name"], "<script>alert(1)</script> Ñandú");
        assert_eq!(
            v["notes"][0],
            "xyz_Latn has no byte premium: <excluded> & why"
        );
        assert!(s.ends_with("}\n"));
    }

    #[test]
    fn json_keeps_key_order() {
        let s = render(&small(), Format::Json, &TextOptions::default());
        let pos = |k: &str| s.find(&format!("\"{k}\"")).expect(k);
        assert!(pos("title") < pos("signature") && pos("signature_fields") < pos("columns"));
        assert!(pos("corpus") < pos("base"));
        let row = &s[s.find("\"rows\"").expect("rows")..];
        let rpos = |k: &str| row.find(&format!("\"{k}\"")).expect(k);
        assert!(rpos("language") < rpos("chars") && rpos("chars") < rpos("byte_premium"));
    }
}
