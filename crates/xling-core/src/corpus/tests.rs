use std::fs;

use super::*;

fn dir_with(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (name, content) in files {
        let p = d.path().join(name);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(p, content).unwrap();
    }
    d
}

fn open(d: &tempfile::TempDir) -> Result<Corpus, CorpusError> {
    Corpus::open(d.path().to_str().unwrap())
}

fn keys(c: &Corpus) -> Vec<&str> {
    c.streams.iter().map(|s| s.variety.key.as_str()).collect()
}

#[test]
fn flores_directory_is_line_aligned() {
    let d = dir_with(&[
        ("eng_Latn.devtest", b"Hello.\nBye.\n"),
        ("hin_Deva.devtest", "नमस्ते।\r\nअलविदा।\r\n".as_bytes()),
        ("fra_Latn.devtest", b"\xEF\xBB\xBFBonjour.\nAu revoir."),
        ("notes.md", b"ignored"),
    ]);
    let c = open(&d).unwrap();
    assert_eq!(c.format, Format::Flores);
    assert_eq!(c.alignment, Alignment::Lines);
    assert_eq!(keys(&c), ["eng_Latn", "fra_Latn", "hin_Deva"]);
    let l = c.load().unwrap();
    assert_eq!(l.get("fra_Latn").unwrap().segments[0].text, "Bonjour.");
    assert_eq!(l.get("hin_Deva").unwrap().segments[1].text, "अलविदा।");
    let info = l.info();
    assert_eq!(info.streams[0].segments, 2);
    assert_eq!(info.streams[0].bytes, 10);
}

#[test]
fn different_line_counts_name_files_and_counts() {
    let d = dir_with(&[
        ("eng_Latn.devtest", b"a\nb\nc\n"),
        ("fra_Latn.devtest", b"a\nb\nc\n"),
        ("deu_Latn.devtest", b"a\nb\n"),
    ]);
    let err = open(&d).unwrap().load().unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, CorpusError::LineCounts { .. }));
    assert!(msg.contains("deu_Latn.devtest: 2 lines"), "{msg}");
    assert!(msg.contains("eng_Latn.devtest: 3 lines"), "{msg}");
    // The deviating file is named first.
    assert!(
        msg.find("deu_Latn").unwrap() < msg.find("eng_Latn").unwrap(),
        "{msg}"
    );
}

#[test]
fn empty_and_blank_files_are_errors() {
    let d = dir_with(&[("eng_Latn.devtest", b""), ("fra_Latn.devtest", b"x\n")]);
    let err = open(&d).unwrap().load().unwrap_err();
    assert!(matches!(err, CorpusError::Empty(_)), "{err}");
    assert!(
        err.to_string()
            .contains("eng_Latn.devtest: the file is empty")
    );

    let d = dir_with(&[("t.txt", b"\n  \n\r\n")]);
    let c = Corpus::open(d.path().join("t.txt").to_str().unwrap()).unwrap();
    let err = c.load().unwrap_err();
    assert!(matches!(err, CorpusError::OnlyBlank(_)), "{err}");
}

#[test]
fn invalid_utf8_is_reported_with_line_and_offset() {
    let d = dir_with(&[("eng_Latn.devtest", b"fine\nbro\xC3\x28ken\n")]);
    let err = open(&d).unwrap().load().unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("eng_Latn.devtest:2: invalid UTF-8 at byte offset 8"),
        "{msg}"
    );
}

#[test]
fn unrecognised_directory() {
    let d = dir_with(&[("readme.md", b"hi")]);
    let err = open(&d).unwrap_err();
    assert!(matches!(err, CorpusError::Unrecognised(_)));
    assert!(err.to_string().contains("no recognisable corpus files"));
}

#[test]
fn missing_path() {
    let err = Corpus::open("/definitely/not/here").unwrap_err();
    assert!(matches!(err, CorpusError::NotFound(_)), "{err}");
}

#[test]
fn unknown_language_file_names_are_errors() {
    let d = dir_with(&[("eng_Latn.devtest", b"a\n"), ("qqq_Zzzz.devtest", b"a\n")]);
    let err = open(&d).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("qqq_Zzzz"), "{msg}");
}

#[test]
fn ntrex_directory() {
    let d = dir_with(&[
        ("newstest2019-src.eng.txt", b"a\nb\n"),
        ("newstest2019-ref.eng-GB.txt", b"a\nb\n"),
        ("newstest2019-ref.por-BR.txt", b"a\nb\n"),
        ("newstest2019-ref.spa.txt", b"a\nb\n"),
        ("newstest2019-ref-2.spa.txt", b"a\nb\n"),
        ("newstest2019-ref.zho-TW.txt", b"a\nb\n"),
    ]);
    let c = open(&d).unwrap();
    assert_eq!(c.format, Format::Ntrex);
    assert_eq!(
        keys(&c),
        [
            "eng_Latn",
            "eng_Latn-GB",
            "por_Latn-BR",
            "spa_Latn",
            "spa_Latn-ref2",
            "zho_Hant-TW"
        ]
    );
    assert_eq!(c.load().unwrap().streams.len(), 6);
}

#[test]
fn udhr_directory_aligns_by_article() {
    let header = "unit\ttag\tseq\ttext\n";
    let eng = format!(
        "{header}title\th1\t1\tUniversal Declaration\n1\tp\t1\tAll human beings\n1\tp\t2\tare born free.\n2\tp\t1\tEveryone\n"
    );
    let fra = format!("{header}title\th1\t1\tDéclaration\n1\tp\t1\tTous les êtres humains\n");
    let d = dir_with(&[
        (
            "index.tsv",
            b"code\tbcp47\tiso6393\tname\neng\ten\teng\tEnglish\nfra\tfr\tfra\tFrench\n",
        ),
        ("declarations/eng.tsv", eng.as_bytes()),
        ("declarations/fra.tsv", fra.as_bytes()),
    ]);
    let c = open(&d).unwrap();
    assert_eq!(c.format, Format::Udhr);
    assert_eq!(keys(&c), ["eng_Latn", "fra_Latn"]);
    let l = c.load().unwrap();
    let eng = l.get("eng_Latn").unwrap();
    assert_eq!(eng.segments.len(), 3);
    assert_eq!(eng.segments[1].text, "All human beings are born free.");
    assert_eq!(l.common_ids(), ["title", "1"]);
    assert_eq!(l.info().common_ids, Some(2));
}

#[test]
fn tsv_aligns_by_id() {
    let d = dir_with(&[(
        "c.tsv",
        b"id\tlang\ttext\n1\teng_Latn\tHello\n1\tfr\tBonjour\n2\teng_Latn\tBye\n2\tfr\tSalut\n",
    )]);
    let c = Corpus::open(d.path().join("c.tsv").to_str().unwrap()).unwrap();
    assert_eq!(c.format, Format::Tsv);
    assert_eq!(c.alignment, Alignment::Ids);
    assert_eq!(keys(&c), ["eng_Latn", "fra_Latn"]);
    let l = c.load().unwrap();
    assert_eq!(l.get("fra_Latn").unwrap().segments[1].text, "Salut");
}

#[test]
fn tsv_errors() {
    let cases: &[(&[u8], &str)] = &[
        (
            b"lang\ttext\neng_Latn\ta\tb\n",
            "c.tsv:2: expected 2 tab-separated columns, found 3",
        ),
        (
            b"language\tsentence\n",
            "c.tsv:1: the first line must be a header",
        ),
        (
            b"id\tlang\ttext\n1\teng_Latn\ta\n1\teng_Latn\tb\n",
            "c.tsv:3: duplicate id '1' for language eng_Latn",
        ),
        (b"id\tlang\ttext\n", "c.tsv: the file is empty"),
        (
            b"id\tlang\ttext\n1\teng_Latn\ta\n2\teng_Latn\tb\n1\tfra_Latn\ta\n",
            "fra_Latn has no segment with id '2'",
        ),
    ];
    for (content, want) in cases {
        let d = dir_with(&[("c.tsv", content)]);
        let err = Corpus::open(d.path().join("c.tsv").to_str().unwrap())
            .and_then(|c| c.load())
            .unwrap_err();
        assert!(err.to_string().contains(want), "want {want:?}, got {err}");
    }
}

#[test]
fn jsonl_rows() {
    let d = dir_with(&[(
        "c.jsonl",
        br#"{"lang":"hin_Deva","id":1,"text":"a"}
{"lang":"eng_Latn","id":1,"text":"b"}
"#,
    )]);
    let c = Corpus::open(d.path().join("c.jsonl").to_str().unwrap()).unwrap();
    assert_eq!(keys(&c), ["eng_Latn", "hin_Deva"]);
    assert_eq!(c.load().unwrap().common_ids(), ["1"]);

    let d = dir_with(&[(
        "c.jsonl",
        b"{\"lang\":\"eng_Latn\",\"text\":\"b\"}\n{oops\n",
    )]);
    let err = Corpus::open(d.path().join("c.jsonl").to_str().unwrap()).unwrap_err();
    assert!(err.to_string().contains("c.jsonl:2: invalid JSON"), "{err}");

    let d = dir_with(&[("c.jsonl", b"{\"lang\":\"xx_Yyyy_bad\",\"text\":\"b\"}\n")]);
    let err = Corpus::open(d.path().join("c.jsonl").to_str().unwrap()).unwrap_err();
    assert!(err.to_string().contains("lang 'xx_Yyyy_bad'"), "{err}");
}

#[test]
fn plain_text_takes_language_from_an_exact_code_stem() {
    let d = dir_with(&[("hin_Deva.txt", "नमस्ते\n".as_bytes()), ("notes.txt", b"x\n")]);
    let c = Corpus::open(d.path().join("hin_Deva.txt").to_str().unwrap()).unwrap();
    assert_eq!(c.format, Format::Text);
    assert_eq!(keys(&c), ["hin_Deva"]);
    let c = Corpus::open(d.path().join("notes.txt").to_str().unwrap()).unwrap();
    assert_eq!(keys(&c), ["und"]);
}

#[test]
fn embedded_sample_loads_and_selects() {
    let mut c = Corpus::open(embedded::NAME).unwrap();
    assert_eq!(c.streams.len(), 204);
    c.select(&["hi", "eng_Latn", "Burmese"]).unwrap();
    assert_eq!(keys(&c), ["hin_Deva", "eng_Latn", "mya_Mymr"]);
    let l = c.load().unwrap();
    assert!(
        l.streams
            .iter()
            .all(|s| s.segments.len() == embedded::LINES)
    );
    assert_eq!(l.data_hash().len(), 8);

    let mut c = Corpus::open(embedded::NAME).unwrap();
    let err = c.select(&["srp_Latn"]).unwrap_err();
    assert!(matches!(err, CorpusError::NotInCorpus { .. }), "{err}");
    let err = c.select(&["no_such_language_xyz"]).unwrap_err();
    assert!(matches!(err, CorpusError::Language { .. }), "{err}");
}

#[test]
fn directory_of_text_tsvs() {
    let d = dir_with(&[
        (
            "en_pud.tsv",
            b"doc_id\tsent_id\ttext\nd1\ts1\tHello.\nd1\ts2\tBye.\n",
        ),
        (
            "hi_pud.tsv",
            "doc_id\tsent_id\ttext\nd1\ts1\tनमस्ते।\n".as_bytes(),
        ),
    ]);
    let c = open(&d).unwrap();
    assert_eq!(c.format, Format::TsvDir);
    assert_eq!(keys(&c), ["eng_Latn", "hin_Deva"]);
    let l = c.load().unwrap();
    assert_eq!(l.get("eng_Latn").unwrap().segments[1].id, "s2");
    assert_eq!(l.common_ids(), ["s1"]);

    let d = dir_with(&[("fr.tsv", b"id\ttext\n1\ta\n1\tb\n")]);
    let err = open(&d).unwrap().load().unwrap_err();
    assert!(err.to_string().contains("duplicate id '1'"), "{err}");
}

#[test]
fn rows_without_ids_are_not_parallel() {
    let d = dir_with(&[(
        "lid.tsv",
        b"label\ttext\neng_Latn\tHello\neng_Latn\tBye\nfra_Latn\tSalut\n",
    )]);
    let c = Corpus::open(d.path().join("lid.tsv").to_str().unwrap()).unwrap();
    assert_eq!(c.alignment, Alignment::Unaligned);
    let l = c.load().unwrap();
    assert_eq!(l.get("eng_Latn").unwrap().segments.len(), 2);
    assert_eq!(l.get("fra_Latn").unwrap().segments.len(), 1);
}
