//! The CSV renderer: one header line and one line per language, nothing else.

use std::io;

use xling_core::{Cell, LangTable};

use crate::num::{ROW_FIELDS, exact, field_name};

/// Writes the CSV form of `table`: header `language,name,script,<column ids…>`, then one record per row
/// with numbers at full precision (percentages as fractions) and empty fields for missing values.
pub(crate) fn write<W: io::Write>(out: W, table: &LangTable) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let header = ROW_FIELDS
        .iter()
        .map(|s| s.to_string())
        .chain(table.columns.iter().map(field_name));
    w.write_record(header).map_err(io::Error::other)?;
    for r in &table.rows {
        let fields = [r.key.clone(), r.name.clone(), r.script.clone()]
            .into_iter()
            .chain(r.cells.iter().map(|c: &Cell| exact(c).unwrap_or_default()));
        w.write_record(fields).map_err(io::Error::other)?;
    }
    w.flush()
}

/// The CSV form of `table` as a string.
pub(crate) fn to_string(table: &LangTable) -> String {
    let mut buf = Vec::new();
    // Writing into memory cannot fail: the csv crate reports only its writer's I/O errors.
    if write(&mut buf, table).is_err() {
        buf.clear();
    }
    String::from_utf8(buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use crate::testutil::small;
    use crate::{Format, TextOptions, render};

    #[test]
    fn csv_parses_back() {
        let t = small();
        let s = render(&t, Format::Csv, &TextOptions::default());
        let mut rdr = csv::Reader::from_reader(s.as_bytes());
        let header: Vec<String> = rdr
            .headers()
            .expect("header")
            .iter()
            .map(String::from)
            .collect();
        assert_eq!(
            header,
            [
                "language",
                "name",
                "script",
                "chars",
                "byte_premium",
                "coverage",
                "label"
            ]
        );
        let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.expect("record")).collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(&rows[0][0], "hin_Deva");
        assert_eq!(&rows[0][3], "1200");
        assert_eq!(rows[0][4].parse::<f64>().expect("float"), 2.3104123456789);
        assert_eq!(&rows[0][5], "0.987654321");
        assert_eq!(&rows[0][6], "a|b, \"c\"");
        assert_eq!(&rows[1][4], "1");
        assert_eq!(&rows[2][1], "<script>alert(1)</script> Ñandú");
        assert_eq!(&rows[2][4], "");
        assert_eq!(&rows[2][6], "");
        assert!(!s.contains("signature"), "CSV carries no signature");
        assert_eq!(s.lines().count(), 4);
    }

    #[test]
    fn reserved_column_ids_are_prefixed() {
        let mut t = small();
        t.columns[3].id = "name".into();
        let s = render(&t, Format::Csv, &TextOptions::default());
        assert!(s.starts_with("language,name,script,chars,byte_premium,coverage,column:name\n"));
    }
}
