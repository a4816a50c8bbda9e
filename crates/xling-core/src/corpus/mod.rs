//! Corpora: where segments of text in one or more languages come from.
//!
//! A [`Corpus`] is a list of [`Stream`]s, one per language variety, plus how they align:
//!
//! | format | layout | alignment |
//! |---|---|---|
//! | [`Format::Flores`] | a directory of `<code>.devtest` (or `.dev`) files, one sentence a line | by line |
//! | [`Format::Ntrex`] | a directory of `newstest2019-ref.<code>.txt` (+ `-src.eng`) files | by line |
//! | [`Format::Udhr`] | `udhr/index.tsv` + `declarations/<code>.tsv` (`unit`, `tag`, `seq`, `text`) | by article id |
//! | [`Format::Tsv`] | one file, header with `lang` (or `label`), `text` and optionally `id` columns | by id; without ids, not parallel |
//! | [`Format::TsvDir`] | a directory of `<lang>.tsv` / `<lang>_<name>.tsv` files with a `text` column | by id (`id`, `sent_id` or `dev_line` column), partial |
//! | [`Format::Jsonl`] | one file, one `{"lang", "id", "text"}` object a line | by id; without ids, not parallel |
//! | [`Format::Text`] | one plain text file or stdin, one segment a line | monolingual |
//! | [`Format::Embedded`] | `flores200-sample`, compiled into the binary | by line |
//!
//! Opening a corpus ([`Corpus::open`]) only discovers its streams; [`Corpus::segments`] streams one
//! language lazily, and [`Corpus::load`] reads everything and checks that a parallel corpus really is
//! parallel (equal line counts, or equal id sets), naming the files and counts when it is not. Every read
//! goes through [`lines::LineReader`]: a byte-order mark and CRLF endings are accepted, invalid UTF-8 is an
//! error naming the file, line and byte offset, and an empty or blank-only file is an error.

pub mod embedded;
pub mod lines;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::lang::{LangError, Language, MatchKind, registry};
use crate::signature::DataHasher;
use lines::LineReader;

/// Errors reading a corpus. Every variant names the file (and line, where there is one).
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    /// The operating system refused a read.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The path does not exist.
    #[error("{0}: no such file or directory")]
    NotFound(PathBuf),
    /// The file has no content at all.
    #[error("{0}: the file is empty")]
    Empty(PathBuf),
    /// The file has lines, but all are blank.
    #[error("{0}: the file contains only blank lines")]
    OnlyBlank(PathBuf),
    /// A byte sequence that is not UTF-8.
    #[error("{path}:{line}: invalid UTF-8 at byte offset {offset} of the file")]
    InvalidUtf8 {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// 0-based byte offset of the first invalid byte in the file.
        offset: u64,
    },
    /// A directory in which no known corpus layout was found.
    #[error(
        "{0}: no recognisable corpus files (expected FLORES `<code>.devtest`/`.dev` files, NTREX \
         `newstest2019-ref.<code>.txt` files, or a UDHR `index.tsv` + `declarations/`)"
    )]
    Unrecognised(PathBuf),
    /// The streams of a line-aligned parallel corpus have different lengths.
    #[error("{corpus}: parallel files have different line counts: {}", describe_counts(.counts))]
    LineCounts {
        /// Corpus name.
        corpus: String,
        /// Every stream's source and line count, deviating ones first.
        counts: Vec<(String, usize)>,
    },
    /// The languages of an id-aligned corpus have different id sets.
    #[error(
        "{path}: parallel corpus is not aligned: {lang} has no segment with id '{id}', which {other} has \
         ({lang}: {n_lang} segments, {other}: {n_other})"
    )]
    Ids {
        /// The file.
        path: PathBuf,
        /// The language lacking the id.
        lang: String,
        /// Segments of that language.
        n_lang: usize,
        /// A language having it.
        other: String,
        /// Segments of that language.
        n_other: usize,
        /// The missing id.
        id: String,
    },
    /// The same id twice for one language.
    #[error("{path}:{line}: duplicate id '{id}' for language {lang}")]
    DuplicateId {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// The language.
        lang: String,
        /// The id.
        id: String,
    },
    /// Two files map to the same language variety.
    #[error("{first} and {second} are both {key}; keep one or rename one")]
    DuplicateLanguage {
        /// The variety key.
        key: String,
        /// The first source.
        first: String,
        /// The second source.
        second: String,
    },
    /// A line that does not have the expected shape.
    #[error("{path}:{line}: {message}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// 1-based line (0 for the file as a whole).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A language code in a file name or column did not resolve.
    #[error("{place}: {source}")]
    Language {
        /// File, or file:line.
        place: String,
        /// Why.
        source: LangError,
    },
    /// A language selection named a language the corpus does not have.
    #[error("corpus {corpus} has no {query}; it has {available}")]
    NotInCorpus {
        /// Corpus name.
        corpus: String,
        /// The query.
        query: String,
        /// A short list of what it has.
        available: String,
    },
    /// The embedded corpus could not be decoded (a build defect).
    #[error("{0}")]
    Embedded(&'static str),
}

fn describe_counts(counts: &[(String, usize)]) -> String {
    let shown: Vec<String> = counts
        .iter()
        .take(6)
        .map(|(s, n)| format!("{s}: {n} lines"))
        .collect();
    let more = counts.len().saturating_sub(shown.len());
    if more > 0 {
        format!("{}; and {more} more", shown.join("; "))
    } else {
        shown.join("; ")
    }
}

impl CorpusError {
    pub(crate) fn io(path: &Path, source: io::Error) -> Self {
        if source.kind() == io::ErrorKind::NotFound {
            CorpusError::NotFound(path.to_path_buf())
        } else {
            CorpusError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    }
}

/// A corpus layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// FLORES-style directory of `<code>.devtest` / `<code>.dev` files.
    Flores,
    /// NTREX-128 directory of `newstest2019-ref.<code>.txt` files.
    Ntrex,
    /// UDHR article-aligned TSVs.
    Udhr,
    /// Generic parallel TSV (`lang`, `id`, `text`).
    Tsv,
    /// A directory of per-language TSVs with a `text` column (UD-PUD `<lang>_pud.tsv`, the FLORES-200
    /// dev subset `<code>.tsv`).
    TsvDir,
    /// Generic parallel JSONL (`lang`, `id`, `text`).
    Jsonl,
    /// Plain monolingual text.
    Text,
    /// The embedded `flores200-sample`.
    Embedded,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Format::Flores => "flores",
            Format::Ntrex => "ntrex",
            Format::Udhr => "udhr",
            Format::Tsv => "tsv",
            Format::TsvDir => "tsv-dir",
            Format::Jsonl => "jsonl",
            Format::Text => "text",
            Format::Embedded => "embedded",
        };
        f.write_str(s)
    }
}

/// How the streams of a corpus line up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Alignment {
    /// Line N of every stream is the same sentence; all streams must have the same length.
    Lines,
    /// Segments with the same id are translations; every language must have the same ids.
    Ids,
    /// Segments with the same id are translations, but languages may lack some ids (UDHR articles);
    /// parallel measures use the ids common to the languages compared.
    PartialIds,
    /// One language, nothing to align.
    Monolingual,
    /// Several languages whose segments are not translations of each other (a TSV/JSONL without an
    /// `id`, such as a labelled language-identification test set): nothing to align.
    Unaligned,
}

/// One language variety of a corpus: a language from the registry (or none, for unlabelled text) and a
/// key that is unique within the corpus (`eng_Latn`, `eng_Latn-GB`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Variety {
    /// The registry language, when known.
    #[serde(skip)]
    pub lang: Option<&'static Language>,
    /// Unique key: the FLORES-style code plus any region/variant suffix.
    pub key: String,
}

impl Variety {
    /// A variety of a known language, keyed by its code plus an optional suffix (`GB` → `eng_Latn-GB`).
    pub fn of(lang: &'static Language, suffix: Option<&str>) -> Self {
        let key = match suffix {
            Some(s) if !s.is_empty() => format!("{}-{s}", lang.code),
            _ => lang.code.clone(),
        };
        Variety {
            lang: Some(lang),
            key,
        }
    }

    /// Text of unknown language (`und`).
    pub fn unknown() -> Self {
        Variety {
            lang: None,
            key: "und".to_string(),
        }
    }

    /// The English name of the language, or "unknown language".
    pub fn name(&self) -> &str {
        self.lang.map_or("unknown language", |l| l.name.as_str())
    }

    /// The expected ISO 15924 script of the language, or `Zzzz` when unknown.
    pub fn script(&self) -> crate::Script {
        self.lang.map_or(crate::Script::UNKNOWN, |l| l.script)
    }
}

/// Where a stream's text comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file with one segment a line.
    File(PathBuf),
    /// A UDHR declaration TSV.
    Udhr(PathBuf),
    /// A per-language TSV with a header naming a `text` column.
    TextTsv(PathBuf),
    /// The rows of a TSV/JSONL file whose language column has this label.
    Rows {
        /// The file.
        path: PathBuf,
        /// The label as written in the file.
        label: String,
    },
    /// Language number `n` of the embedded corpus.
    Embedded(usize),
    /// Standard input.
    Stdin,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File(p) | Source::Udhr(p) | Source::TextTsv(p) => write!(f, "{}", p.display()),
            Source::Rows { path, label } => write!(f, "{} (lang {label})", path.display()),
            Source::Embedded(i) => match embedded::langs() {
                Ok(l) => write!(
                    f,
                    "{}:{}",
                    embedded::NAME,
                    l.get(*i).map_or("?", |l| l.code.as_str())
                ),
                Err(_) => write!(f, "{}", embedded::NAME),
            },
            Source::Stdin => f.write_str("<stdin>"),
        }
    }
}

/// One language variety of a corpus and where to read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stream {
    /// The variety.
    pub variety: Variety,
    /// Where its text comes from.
    pub source: Source,
}

/// One segment (sentence, line, article) of a stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Segment {
    /// Alignment id: the 1-based line number for line-aligned corpora, the id column otherwise.
    pub id: String,
    /// 1-based line in the source file where the segment starts.
    pub line: usize,
    /// The text.
    pub text: String,
}

/// A corpus: its streams and how they align. Cheap to create; reads happen in [`Corpus::segments`] and
/// [`Corpus::load`].
#[derive(Debug, Clone)]
pub struct Corpus {
    /// Display name (the embedded name, or the path as given).
    pub name: String,
    /// The layout.
    pub format: Format,
    /// How the streams line up.
    pub alignment: Alignment,
    /// The language streams, sorted by key.
    pub streams: Vec<Stream>,
}

/// A boxed iterator of segments.
pub type Segments<'a> = Box<dyn Iterator<Item = Result<Segment, CorpusError>> + 'a>;

impl Corpus {
    /// The embedded `flores200-sample` corpus.
    pub fn embedded_sample() -> Result<Corpus, CorpusError> {
        let langs = embedded::langs().map_err(CorpusError::Embedded)?;
        let mut streams = Vec::with_capacity(langs.len());
        for (i, l) in langs.iter().enumerate() {
            let lang = registry()
                .get(&l.code)
                .ok_or_else(|| CorpusError::Language {
                    place: format!("{}:{}", embedded::NAME, l.code),
                    source: LangError::Unknown {
                        query: l.code.clone(),
                        suggestions: vec![],
                    },
                })?;
            streams.push(Stream {
                variety: Variety::of(lang, None),
                source: Source::Embedded(i),
            });
        }
        Ok(Corpus {
            name: embedded::NAME.to_string(),
            format: Format::Embedded,
            alignment: Alignment::Lines,
            streams,
        })
    }

    /// Opens a corpus by name or path: `flores200-sample` (the embedded corpus), `-` (stdin, plain text),
    /// a directory (FLORES, NTREX-128 or UDHR layout, detected), a `.tsv` or `.jsonl` file with a `lang`
    /// column, or any other file as plain monolingual text.
    pub fn open(spec: &str) -> Result<Corpus, CorpusError> {
        if spec == embedded::NAME {
            return Corpus::embedded_sample();
        }
        if spec == "-" {
            return Ok(Corpus::monolingual(
                "<stdin>",
                Source::Stdin,
                Variety::unknown(),
            ));
        }
        let path = Path::new(spec);
        let meta = std::fs::metadata(path).map_err(|e| CorpusError::io(path, e))?;
        if meta.is_dir() {
            return open_dir(path);
        }
        match path.extension().and_then(|e| e.to_str()) {
            Some("jsonl") => open_rows(path, Format::Jsonl),
            Some("tsv") if is_udhr_declaration(path)? => {
                open_udhr_files(path, &[path.to_path_buf()])
            }
            Some("tsv") => open_rows(path, Format::Tsv),
            _ => {
                let variety = variety_from_file_stem(path).unwrap_or_else(Variety::unknown);
                Ok(Corpus::monolingual(
                    spec,
                    Source::File(path.to_path_buf()),
                    variety,
                ))
            }
        }
    }

    /// A one-stream plain-text corpus.
    pub fn monolingual(name: &str, source: Source, variety: Variety) -> Corpus {
        Corpus {
            name: name.to_string(),
            format: Format::Text,
            alignment: Alignment::Monolingual,
            streams: vec![Stream { variety, source }],
        }
    }

    /// Sets the language of a monolingual corpus (e.g. from `--lang`).
    pub fn set_language(&mut self, variety: Variety) {
        if self.alignment == Alignment::Monolingual {
            if let Some(s) = self.streams.first_mut() {
                s.variety = variety;
            }
        }
    }

    /// Keeps only the streams matching the queries (codes, names, tags resolved through the registry;
    /// a stream key such as `eng_Latn-GB` also matches exactly), in the order given.
    pub fn select<S: AsRef<str>>(&mut self, queries: &[S]) -> Result<(), CorpusError> {
        let mut kept = Vec::new();
        for q in queries {
            let q = q.as_ref().trim();
            let found = self
                .streams
                .iter()
                .position(|s| s.variety.key.eq_ignore_ascii_case(q))
                .or_else(|| {
                    let code = registry().resolve(q).ok()?.lang.code.clone();
                    self.streams
                        .iter()
                        .position(|s| s.variety.lang.is_some_and(|l| l.code == code))
                });
            match found {
                Some(i) if !kept.contains(&i) => kept.push(i),
                Some(_) => {}
                None => {
                    if let Err(e) = registry().resolve(q) {
                        return Err(CorpusError::Language {
                            place: self.name.clone(),
                            source: e,
                        });
                    }
                    return Err(CorpusError::NotInCorpus {
                        corpus: self.name.clone(),
                        query: q.to_string(),
                        available: self.describe_keys(),
                    });
                }
            }
        }
        self.streams = kept.into_iter().map(|i| self.streams[i].clone()).collect();
        Ok(())
    }

    fn describe_keys(&self) -> String {
        let keys: Vec<&str> = self
            .streams
            .iter()
            .take(8)
            .map(|s| s.variety.key.as_str())
            .collect();
        let more = self.streams.len().saturating_sub(keys.len());
        if more > 0 {
            format!("{} … ({more} more)", keys.join(", "))
        } else {
            keys.join(", ")
        }
    }

    /// The stream with this key.
    pub fn stream(&self, key: &str) -> Option<&Stream> {
        self.streams.iter().find(|s| s.variety.key == key)
    }

    /// Streams the segments of stream `index` lazily. Blank lines of a line-aligned stream are kept as
    /// empty segments (they hold a place in the alignment); a file that is empty or blank throughout is an
    /// error. Stdin can be read once.
    pub fn segments(&self, index: usize) -> Result<Segments<'_>, CorpusError> {
        let stream = self
            .streams
            .get(index)
            .ok_or_else(|| CorpusError::NotInCorpus {
                corpus: self.name.clone(),
                query: format!("stream #{index}"),
                available: self.describe_keys(),
            })?;
        match &stream.source {
            Source::Embedded(i) => {
                let langs = embedded::langs().map_err(CorpusError::Embedded)?;
                let lines = langs.get(*i).map(|l| l.lines.as_slice()).unwrap_or(&[]);
                Ok(Box::new(lines.iter().enumerate().map(|(n, t)| {
                    Ok(Segment {
                        id: (n + 1).to_string(),
                        line: n + 1,
                        text: t.clone(),
                    })
                })))
            }
            Source::File(path) => {
                let f = File::open(path).map_err(|e| CorpusError::io(path, e))?;
                Ok(Box::new(checked_lines(
                    LineReader::new(BufReader::new(f), path),
                    path.clone(),
                )))
            }
            Source::Stdin => {
                let path = PathBuf::from("<stdin>");
                let reader = LineReader::new(io::stdin().lock(), &path);
                Ok(Box::new(checked_lines(reader, path)))
            }
            Source::Udhr(path) => Ok(Box::new(read_udhr(path)?.into_iter().map(Ok))),
            Source::TextTsv(path) => Ok(Box::new(read_text_tsv(path)?.into_iter().map(Ok))),
            Source::Rows { path, label } => {
                let mut rows = read_rows(path, self.format)?.0;
                Ok(Box::new(
                    rows.remove(label).unwrap_or_default().into_iter().map(Ok),
                ))
            }
        }
    }

    /// Reads every stream and checks the alignment: equal line counts for line-aligned corpora, equal id
    /// sets for id-aligned ones.
    pub fn load(&self) -> Result<LoadedCorpus, CorpusError> {
        let mut rows_cache: Option<BTreeMap<String, Vec<Segment>>> = None;
        let mut streams = Vec::with_capacity(self.streams.len());
        for (i, s) in self.streams.iter().enumerate() {
            let segments = match &s.source {
                Source::Rows { path, label } => {
                    if rows_cache.is_none() {
                        rows_cache = Some(read_rows(path, self.format)?.0);
                    }
                    rows_cache
                        .as_mut()
                        .and_then(|m| m.remove(label))
                        .unwrap_or_default()
                }
                _ => self.segments(i)?.collect::<Result<Vec<_>, _>>()?,
            };
            streams.push(LoadedStream {
                variety: s.variety.clone(),
                source: s.source.to_string(),
                segments,
            });
        }
        let loaded = LoadedCorpus {
            name: self.name.clone(),
            format: self.format,
            alignment: self.alignment,
            streams,
        };
        loaded.check_alignment()?;
        Ok(loaded)
    }
}

/// Wraps a line reader: numbers segments by line, and turns "no lines" / "only blank lines" into errors.
fn checked_lines<R: BufRead>(
    reader: LineReader<R>,
    path: PathBuf,
) -> impl Iterator<Item = Result<Segment, CorpusError>> {
    let mut reader = Some(reader);
    let mut seen_any = false;
    let mut seen_text = false;
    std::iter::from_fn(move || {
        let r = reader.as_mut()?;
        match r.next_line() {
            Some(Ok(line)) => {
                seen_any = true;
                seen_text |= !line.text.trim().is_empty();
                Some(Ok(Segment {
                    id: line.number.to_string(),
                    line: line.number,
                    text: line.text,
                }))
            }
            Some(Err(e)) => {
                reader = None;
                Some(Err(e))
            }
            None => {
                reader = None;
                if !seen_any {
                    Some(Err(CorpusError::Empty(path.clone())))
                } else if !seen_text {
                    Some(Err(CorpusError::OnlyBlank(path.clone())))
                } else {
                    None
                }
            }
        }
    })
}

/// A fully read corpus.
#[derive(Debug, Clone)]
pub struct LoadedCorpus {
    /// Display name.
    pub name: String,
    /// The layout it came from.
    pub format: Format,
    /// How the streams line up.
    pub alignment: Alignment,
    /// Every stream with its segments.
    pub streams: Vec<LoadedStream>,
}

/// One stream of a [`LoadedCorpus`].
#[derive(Debug, Clone)]
pub struct LoadedStream {
    /// The variety.
    pub variety: Variety,
    /// Where it came from, for messages.
    pub source: String,
    /// Its segments, in source order.
    pub segments: Vec<Segment>,
}

/// Why a base language (of a premium or a ratio) cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BaseError {
    /// The query did not resolve to a language.
    #[error("base language: {0}")]
    Query(#[from] LangError),
    /// The base language is not in the corpus.
    #[error(
        "base language {base} is not in corpus {corpus}; choose one of its languages with --base"
    )]
    Missing {
        /// The base code.
        base: String,
        /// The corpus.
        corpus: String,
    },
}

impl LoadedCorpus {
    /// Finds the stream of a base language (any registry query): the stream keyed by its code, else the
    /// first stream in that language. Returns its index (`None` when absent, an error instead when
    /// `required`) and the key to name it by (the code itself when absent).
    pub fn find_base(
        &self,
        query: &str,
        required: bool,
    ) -> Result<(Option<usize>, String), BaseError> {
        let lang = registry().resolve(query)?.lang;
        let idx = self
            .streams
            .iter()
            .position(|s| s.variety.key == lang.code)
            .or_else(|| {
                self.streams
                    .iter()
                    .position(|s| s.variety.lang.is_some_and(|l| l.code == lang.code))
            });
        if idx.is_none() && required {
            return Err(BaseError::Missing {
                base: lang.code.clone(),
                corpus: self.name.clone(),
            });
        }
        let key = idx.map_or_else(
            || lang.code.clone(),
            |i| self.streams[i].variety.key.clone(),
        );
        Ok((idx, key))
    }

    /// The stream with this key.
    pub fn get(&self, key: &str) -> Option<&LoadedStream> {
        self.streams.iter().find(|s| s.variety.key == key)
    }

    /// Short hash of the content (keys and segment texts in order), for signatures.
    pub fn data_hash(&self) -> String {
        let mut h = DataHasher::new();
        for s in &self.streams {
            h.update(&s.variety.key);
            for seg in &s.segments {
                h.update(&seg.id);
                h.update(&seg.text);
            }
        }
        h.finish()
    }

    /// The ids present in every stream, in the first stream's order.
    pub fn common_ids(&self) -> Vec<String> {
        let Some(first) = self.streams.first() else {
            return Vec::new();
        };
        let sets: Vec<HashSet<&str>> = self
            .streams
            .iter()
            .skip(1)
            .map(|s| s.segments.iter().map(|g| g.id.as_str()).collect())
            .collect();
        first
            .segments
            .iter()
            .filter(|g| sets.iter().all(|s| s.contains(g.id.as_str())))
            .map(|g| g.id.clone())
            .collect()
    }

    fn check_alignment(&self) -> Result<(), CorpusError> {
        match self.alignment {
            Alignment::Lines => {
                let mut freq: HashMap<usize, usize> = HashMap::new();
                for s in &self.streams {
                    *freq.entry(s.segments.len()).or_default() += 1;
                }
                if freq.len() > 1 {
                    let usual = freq
                        .iter()
                        .max_by_key(|(n, c)| (**c, **n))
                        .map_or(0, |(n, _)| *n);
                    let mut counts: Vec<(String, usize)> = self
                        .streams
                        .iter()
                        .map(|s| (s.source.clone(), s.segments.len()))
                        .collect();
                    counts.sort_by_key(|(_, n)| *n == usual);
                    return Err(CorpusError::LineCounts {
                        corpus: self.name.clone(),
                        counts,
                    });
                }
                Ok(())
            }
            Alignment::Ids => {
                let Some(first) = self.streams.first() else {
                    return Ok(());
                };
                let ids = |s: &LoadedStream| -> HashSet<String> {
                    s.segments.iter().map(|g| g.id.clone()).collect()
                };
                let first_ids = ids(first);
                for s in &self.streams[1..] {
                    let these = ids(s);
                    let (lack, has, missing) = if let Some(id) =
                        first.segments.iter().find(|g| !these.contains(&g.id))
                    {
                        (s, first, id.id.clone())
                    } else if let Some(id) = s.segments.iter().find(|g| !first_ids.contains(&g.id))
                    {
                        (first, s, id.id.clone())
                    } else {
                        continue;
                    };
                    return Err(CorpusError::Ids {
                        path: PathBuf::from(&self.name),
                        lang: lack.variety.key.clone(),
                        n_lang: lack.segments.len(),
                        other: has.variety.key.clone(),
                        n_other: has.segments.len(),
                        id: missing,
                    });
                }
                Ok(())
            }
            Alignment::PartialIds | Alignment::Monolingual | Alignment::Unaligned => Ok(()),
        }
    }

    /// Validation summary: per stream, segments, blank segments, characters and bytes.
    pub fn info(&self) -> CorpusInfo {
        let streams = self
            .streams
            .iter()
            .map(|s| StreamInfo {
                key: s.variety.key.clone(),
                name: s.variety.name().to_string(),
                script: s.variety.script().to_string(),
                source: s.source.clone(),
                segments: s.segments.len(),
                blank: s
                    .segments
                    .iter()
                    .filter(|g| g.text.trim().is_empty())
                    .count(),
                chars: s
                    .segments
                    .iter()
                    .map(|g| g.text.chars().count() as u64)
                    .sum(),
                bytes: s.segments.iter().map(|g| g.text.len() as u64).sum(),
            })
            .collect();
        let common_ids = match self.alignment {
            Alignment::Ids | Alignment::PartialIds => Some(self.common_ids().len()),
            _ => None,
        };
        CorpusInfo {
            name: self.name.clone(),
            format: self.format,
            alignment: self.alignment,
            streams,
            common_ids,
            data: self.data_hash(),
        }
    }
}

/// What `xling corpus info` prints.
#[derive(Debug, Clone, Serialize)]
pub struct CorpusInfo {
    /// Corpus name.
    pub name: String,
    /// Layout.
    pub format: Format,
    /// Alignment.
    pub alignment: Alignment,
    /// One entry per stream.
    pub streams: Vec<StreamInfo>,
    /// For id-aligned corpora: how many ids every language has.
    pub common_ids: Option<usize>,
    /// Content hash.
    pub data: String,
}

/// Per-stream counts.
#[derive(Debug, Clone, Serialize)]
pub struct StreamInfo {
    /// Variety key.
    pub key: String,
    /// English name.
    pub name: String,
    /// Expected script.
    pub script: String,
    /// Source file.
    pub source: String,
    /// Segments.
    pub segments: usize,
    /// Blank segments.
    pub blank: usize,
    /// Unicode scalar values.
    pub chars: u64,
    /// UTF-8 bytes (without line terminators).
    pub bytes: u64,
}

// ---------------------------------------------------------------------------------------------------------
// Discovery

fn list_dir(path: &Path) -> Result<Vec<PathBuf>, CorpusError> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(path).map_err(|e| CorpusError::io(path, e))? {
        let entry = entry.map_err(|e| CorpusError::io(path, e))?;
        out.push(entry.path());
    }
    out.sort();
    Ok(out)
}

fn file_name(p: &Path) -> &str {
    p.file_name().and_then(|n| n.to_str()).unwrap_or("")
}

fn open_dir(path: &Path) -> Result<Corpus, CorpusError> {
    let files = list_dir(path)?;
    let with_ext = |ext: &str| -> Vec<PathBuf> {
        files
            .iter()
            .filter(|p| p.is_file() && file_name(p).ends_with(ext))
            .cloned()
            .collect()
    };
    let devtest = with_ext(".devtest");
    if !devtest.is_empty() {
        return open_flores(path, &devtest, ".devtest");
    }
    let dev = with_ext(".dev");
    if !dev.is_empty() {
        return open_flores(path, &dev, ".dev");
    }
    let ntrex: Vec<PathBuf> = files
        .iter()
        .filter(|p| {
            p.is_file()
                && file_name(p).starts_with("newstest2019-")
                && file_name(p).ends_with(".txt")
        })
        .cloned()
        .collect();
    if !ntrex.is_empty() {
        return open_ntrex(path, &ntrex);
    }
    let index = path.join("index.tsv");
    let decl = path.join("declarations");
    if index.is_file() && decl.is_dir() {
        let decls: Vec<PathBuf> = list_dir(&decl)?
            .into_iter()
            .filter(|p| file_name(p).ends_with(".tsv"))
            .collect();
        return open_udhr_files(path, &decls);
    }
    for sub in ["devtest", "NTREX-128", "declarations"] {
        let p = path.join(sub);
        if p.is_dir() {
            return if sub == "declarations" {
                open_dir(path.join(sub).as_path())
            } else {
                open_dir(&p)
            };
        }
    }
    let udhr: Vec<PathBuf> = files
        .iter()
        .filter(|p| file_name(p).ends_with(".tsv") && is_udhr_declaration(p).unwrap_or(false))
        .cloned()
        .collect();
    if !udhr.is_empty() {
        return open_udhr_files(path, &udhr);
    }
    let text_tsv: Vec<PathBuf> = files
        .iter()
        .filter(|p| file_name(p).ends_with(".tsv") && text_tsv_header(p).is_ok_and(|h| h.is_some()))
        .cloned()
        .collect();
    if !text_tsv.is_empty() {
        return open_text_tsv_dir(path, &text_tsv);
    }
    Err(CorpusError::Unrecognised(path.to_path_buf()))
}

/// The `(text, id)` column positions of a TSV whose header names a `text` column (`id`, `sent_id` or
/// `dev_line` as the id), or `None`.
fn text_tsv_header(path: &Path) -> Result<Option<(usize, Option<usize>)>, CorpusError> {
    let f = File::open(path).map_err(|e| CorpusError::io(path, e))?;
    let mut first = String::new();
    let _ = BufReader::new(f).read_line(&mut first);
    let cols: Vec<&str> = first
        .trim_start_matches('\u{feff}')
        .trim_end()
        .split('\t')
        .collect();
    let text = cols.iter().position(|c| *c == "text");
    let id = cols
        .iter()
        .position(|c| matches!(*c, "id" | "sent_id" | "dev_line"));
    Ok(text.map(|t| (t, id)))
}

fn open_text_tsv_dir(dir: &Path, files: &[PathBuf]) -> Result<Corpus, CorpusError> {
    let mut streams = Vec::new();
    for f in files {
        let stem = f.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        // `hin_Deva.tsv`, or UD's `hi_pud.tsv`: the whole stem, else the part before the first `_`.
        let r = registry()
            .resolve(stem)
            .or_else(|_| registry().resolve(stem.split('_').next().unwrap_or(stem)))
            .map_err(|source| CorpusError::Language {
                place: f.display().to_string(),
                source,
            })?;
        let stream = Stream {
            variety: Variety::of(r.lang, r.region.as_deref()),
            source: Source::TextTsv(f.clone()),
        };
        push_unique(&mut streams, stream)?;
    }
    Ok(finish(dir, Format::TsvDir, Alignment::PartialIds, streams))
}

/// Reads one per-language TSV with a `text` column; ids from its id column, else line numbers.
fn read_text_tsv(path: &Path) -> Result<Vec<Segment>, CorpusError> {
    let Some((text_col, id_col)) = text_tsv_header(path)? else {
        return Err(CorpusError::Malformed {
            path: path.to_path_buf(),
            line: 1,
            message: "the header must name a `text` column".into(),
        });
    };
    let f = File::open(path).map_err(|e| CorpusError::io(path, e))?;
    let mut out = Vec::new();
    let mut ids = HashSet::new();
    for line in LineReader::new(BufReader::new(f), path).skip(1) {
        let line = line?;
        if line.text.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.text.split('\t').collect();
        let text = cols.get(text_col).ok_or_else(|| CorpusError::Malformed {
            path: path.to_path_buf(),
            line: line.number,
            message: format!(
                "expected a `text` value in column {}, found {} columns",
                text_col + 1,
                cols.len()
            ),
        })?;
        let id = id_col
            .and_then(|i| cols.get(i))
            .map_or_else(|| line.number.to_string(), |s| s.to_string());
        if !ids.insert(id.clone()) {
            return Err(CorpusError::DuplicateId {
                path: path.to_path_buf(),
                line: line.number,
                lang: file_name(path).to_string(),
                id,
            });
        }
        out.push(Segment {
            id,
            line: line.number,
            text: text.to_string(),
        });
    }
    if out.is_empty() {
        return Err(CorpusError::Empty(path.to_path_buf()));
    }
    Ok(out)
}

fn resolve_at(query: &str, place: &Path) -> Result<crate::Resolved<'static>, CorpusError> {
    registry()
        .resolve(query)
        .map_err(|source| CorpusError::Language {
            place: place.display().to_string(),
            source,
        })
}

fn push_unique(streams: &mut Vec<Stream>, stream: Stream) -> Result<(), CorpusError> {
    if let Some(prev) = streams.iter().find(|s| s.variety.key == stream.variety.key) {
        return Err(CorpusError::DuplicateLanguage {
            key: stream.variety.key.clone(),
            first: prev.source.to_string(),
            second: stream.source.to_string(),
        });
    }
    streams.push(stream);
    Ok(())
}

fn finish(name: &Path, format: Format, alignment: Alignment, mut streams: Vec<Stream>) -> Corpus {
    streams.sort_by(|a, b| a.variety.key.cmp(&b.variety.key));
    Corpus {
        name: name.display().to_string(),
        format,
        alignment,
        streams,
    }
}

fn open_flores(dir: &Path, files: &[PathBuf], ext: &str) -> Result<Corpus, CorpusError> {
    let mut streams = Vec::new();
    let mut seen_targets = HashSet::new();
    for f in files {
        // The official release adds alias symlinks (`ara` → `arb_Arab`): read each real file once.
        let target = std::fs::canonicalize(f).map_err(|e| CorpusError::io(f, e))?;
        if !seen_targets.insert(target) {
            continue;
        }
        let code = file_name(f).trim_end_matches(ext);
        let r = resolve_at(code, f)?;
        push_unique(
            &mut streams,
            Stream {
                variety: Variety::of(r.lang, r.region.as_deref()),
                source: Source::File(f.clone()),
            },
        )?;
    }
    Ok(finish(dir, Format::Flores, Alignment::Lines, streams))
}

fn open_ntrex(dir: &Path, files: &[PathBuf]) -> Result<Corpus, CorpusError> {
    let mut streams = Vec::new();
    let mut all = files.to_vec();
    // The Swiss German references sit in a sibling folder of the 128 main ones.
    if let Some(extra) = dir
        .parent()
        .map(|p| p.join("NTREX-additional"))
        .filter(|p| p.is_dir() && file_name(dir) == "NTREX-128")
    {
        all.extend(
            list_dir(&extra)?
                .into_iter()
                .filter(|p| file_name(p).starts_with("newstest2019-")),
        );
    }
    for f in &all {
        let name = file_name(f);
        let Some(rest) = name
            .strip_prefix("newstest2019-")
            .and_then(|r| r.strip_suffix(".txt"))
        else {
            continue;
        };
        let (kind, code) = rest.split_once('.').unwrap_or((rest, ""));
        let r = resolve_at(code, f)?;
        let mut suffix: Vec<String> = r.region.iter().cloned().collect();
        match kind {
            "src" | "ref" => {}
            other => match other.strip_prefix("ref-") {
                Some(n) => suffix.push(format!("ref{n}")),
                None => continue,
            },
        }
        let suffix = suffix.join("-");
        let variety = Variety::of(r.lang, Some(&suffix));
        push_unique(
            &mut streams,
            Stream {
                variety,
                source: Source::File(f.clone()),
            },
        )?;
    }
    if streams.is_empty() {
        return Err(CorpusError::Unrecognised(dir.to_path_buf()));
    }
    Ok(finish(dir, Format::Ntrex, Alignment::Lines, streams))
}

const UDHR_HEADER: &str = "unit\ttag\tseq\ttext";

fn is_udhr_declaration(path: &Path) -> Result<bool, CorpusError> {
    let f = File::open(path).map_err(|e| CorpusError::io(path, e))?;
    let mut first = String::new();
    // A header that is not UTF-8 is not a UDHR header; the generic TSV reader reports it properly.
    let _ = BufReader::new(f).read_line(&mut first);
    Ok(first.trim_start_matches('\u{feff}').trim_end() == UDHR_HEADER)
}

/// UDHR `index.tsv`: file code → BCP-47 tag.
fn udhr_index(dir: &Path) -> Result<HashMap<String, String>, CorpusError> {
    let mut map = HashMap::new();
    let path = [dir.join("index.tsv"), dir.join("../index.tsv")]
        .into_iter()
        .find(|p| p.is_file());
    let Some(path) = path else {
        return Ok(map);
    };
    let f = File::open(&path).map_err(|e| CorpusError::io(&path, e))?;
    let mut header: Option<(usize, usize)> = None;
    for line in LineReader::new(BufReader::new(f), &path) {
        let line = line?;
        let cols: Vec<&str> = line.text.split('\t').collect();
        match header {
            None => {
                let code = cols.iter().position(|c| *c == "code");
                let tag = cols.iter().position(|c| *c == "bcp47");
                match (code, tag) {
                    (Some(c), Some(t)) => header = Some((c, t)),
                    _ => {
                        return Err(CorpusError::Malformed {
                            path,
                            line: 1,
                            message: "UDHR index needs `code` and `bcp47` columns".into(),
                        });
                    }
                }
            }
            Some((c, t)) => {
                if let (Some(code), Some(tag)) = (cols.get(c), cols.get(t)) {
                    map.insert(code.to_string(), tag.to_string());
                }
            }
        }
    }
    Ok(map)
}

fn open_udhr_files(dir: &Path, files: &[PathBuf]) -> Result<Corpus, CorpusError> {
    let index_dir = if dir.is_dir() {
        dir.to_path_buf()
    } else {
        dir.parent().unwrap_or(Path::new(".")).to_path_buf()
    };
    let index = udhr_index(&index_dir)?;
    let mut streams: Vec<Stream> = Vec::new();
    for f in files {
        let stem = f.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        let tag = index.get(stem).map_or(stem, String::as_str);
        // UDHR marks a few translations `und` (language undetermined): keep them as unknown-language
        // text rather than guessing.
        let mut variety = if tag.eq_ignore_ascii_case("und") {
            Variety::unknown()
        } else {
            let r = resolve_at(tag, f)?;
            // Keep what the tag says beyond language and script (region, orthography variant).
            let extra: Vec<&str> = tag
                .split(['-', '_'])
                .skip(1)
                .filter(|p| !(p.len() == 4 && p.chars().all(|c| c.is_ascii_alphabetic())))
                .collect();
            Variety::of(r.lang, Some(&extra.join("-")))
        };
        if variety.lang.is_none() || streams.iter().any(|s| s.variety.key == variety.key) {
            variety.key = format!("{}-x-udhr{stem}", variety.key);
        }
        push_unique(
            &mut streams,
            Stream {
                variety,
                source: Source::Udhr(f.clone()),
            },
        )?;
    }
    if streams.is_empty() {
        return Err(CorpusError::Unrecognised(dir.to_path_buf()));
    }
    Ok(finish(dir, Format::Udhr, Alignment::PartialIds, streams))
}

/// Reads one UDHR declaration: one segment per unit (`title`, `preamble`, `1`…`30`, `end`), the unit's
/// paragraphs joined by a space in `seq` order.
fn read_udhr(path: &Path) -> Result<Vec<Segment>, CorpusError> {
    let f = File::open(path).map_err(|e| CorpusError::io(path, e))?;
    let mut out: Vec<Segment> = Vec::new();
    let mut seen_header = false;
    for line in LineReader::new(BufReader::new(f), path) {
        let line = line?;
        if !seen_header {
            if line.text.trim_end() != UDHR_HEADER {
                return Err(CorpusError::Malformed {
                    path: path.to_path_buf(),
                    line: line.number,
                    message: format!(
                        "expected the UDHR header `{}`",
                        UDHR_HEADER.replace('\t', "<TAB>")
                    ),
                });
            }
            seen_header = true;
            continue;
        }
        if line.text.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.text.splitn(4, '\t').collect();
        let [unit, _tag, _seq, text] = cols[..] else {
            return Err(CorpusError::Malformed {
                path: path.to_path_buf(),
                line: line.number,
                message: format!("expected 4 tab-separated columns, found {}", cols.len()),
            });
        };
        match out.last_mut() {
            Some(seg) if seg.id == unit => {
                seg.text.push(' ');
                seg.text.push_str(text);
            }
            _ => {
                if out.iter().any(|s| s.id == unit) {
                    return Err(CorpusError::Malformed {
                        path: path.to_path_buf(),
                        line: line.number,
                        message: format!("unit '{unit}' appears in two separate places"),
                    });
                }
                out.push(Segment {
                    id: unit.to_string(),
                    line: line.number,
                    text: text.to_string(),
                })
            }
        }
    }
    if !seen_header {
        return Err(CorpusError::Empty(path.to_path_buf()));
    }
    if out.is_empty() {
        return Err(CorpusError::OnlyBlank(path.to_path_buf()));
    }
    Ok(out)
}

/// A plain-text file named like `hin_Deva.txt` or `hin_Deva.devtest` is taken to be in that language,
/// but only when the stem is exactly a registry code (no guessing from names).
fn variety_from_file_stem(path: &Path) -> Option<Variety> {
    let name = file_name(path);
    let stem = name.split('.').next()?;
    let r = registry().resolve(stem).ok()?;
    (r.matched == MatchKind::Code).then(|| Variety::of(r.lang, None))
}

// ---------------------------------------------------------------------------------------------------------
// Generic TSV / JSONL

fn open_rows(path: &Path, format: Format) -> Result<Corpus, CorpusError> {
    let (rows, has_ids) = read_rows(path, format)?;
    let mut streams = Vec::new();
    for label in rows.keys() {
        let r = registry()
            .resolve(label)
            .map_err(|source| CorpusError::Language {
                place: format!("{} (lang '{label}')", path.display()),
                source,
            })?;
        let stream = Stream {
            variety: Variety::of(r.lang, r.region.as_deref()),
            source: Source::Rows {
                path: path.to_path_buf(),
                label: label.clone(),
            },
        };
        push_unique(&mut streams, stream)?;
    }
    let alignment = match (streams.len() > 1, has_ids) {
        (false, _) => Alignment::Monolingual,
        (true, true) => Alignment::Ids,
        (true, false) => Alignment::Unaligned,
    };
    Ok(finish(path, format, alignment, streams))
}

/// Segments per language label of a TSV/JSONL file, and whether the file gave ids.
type Rows = (BTreeMap<String, Vec<Segment>>, bool);

/// Reads a TSV (header with `lang`, `text`, optional `id`) or JSONL file into segments per language label.
/// Without an id column, the n-th segment of each language gets id `n`.
fn read_rows(path: &Path, format: Format) -> Result<Rows, CorpusError> {
    let f = File::open(path).map_err(|e| CorpusError::io(path, e))?;
    let mut by_lang: BTreeMap<String, Vec<Segment>> = BTreeMap::new();
    let mut ids: HashMap<String, HashSet<String>> = HashMap::new();
    let mut header: Option<(usize, usize, Option<usize>, usize)> = None;
    let mut any_line = false;
    let mut has_ids = false;
    let malformed = |line: usize, message: String| CorpusError::Malformed {
        path: path.to_path_buf(),
        line,
        message,
    };
    for line in LineReader::new(BufReader::new(f), path) {
        let line = line?;
        any_line = true;
        if line.text.trim().is_empty() {
            continue;
        }
        let (lang, id, text) = if format == Format::Jsonl {
            let v: serde_json::Value = serde_json::from_str(&line.text)
                .map_err(|e| malformed(line.number, format!("invalid JSON: {e}")))?;
            let field = |k: &str| -> Result<Option<String>, CorpusError> {
                match v.get(k) {
                    None | Some(serde_json::Value::Null) => Ok(None),
                    Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
                    Some(serde_json::Value::Number(n)) if k == "id" => Ok(Some(n.to_string())),
                    Some(other) => Err(malformed(
                        line.number,
                        format!("field `{k}` must be a string, found {other}"),
                    )),
                }
            };
            let lang = field("lang")?
                .ok_or_else(|| malformed(line.number, "missing field `lang`".into()))?;
            let text = field("text")?
                .ok_or_else(|| malformed(line.number, "missing field `text`".into()))?;
            (lang, field("id")?, text)
        } else {
            let cols: Vec<&str> = line.text.split('\t').collect();
            let Some((l, t, i, n)) = header else {
                let pos = |name: &str| {
                    cols.iter()
                        .position(|c| c.trim().eq_ignore_ascii_case(name))
                };
                match (pos("lang").or_else(|| pos("label")), pos("text")) {
                    (Some(l), Some(t)) => header = Some((l, t, pos("id"), cols.len())),
                    _ => {
                        return Err(malformed(
                            line.number,
                            "the first line must be a header naming the columns `lang` (or `label`) and `text` (and optionally `id`)".into(),
                        ));
                    }
                }
                continue;
            };
            if cols.len() != n {
                return Err(malformed(
                    line.number,
                    format!("expected {n} tab-separated columns, found {}", cols.len()),
                ));
            }
            (
                cols[l].trim().to_string(),
                i.map(|i| cols[i].trim().to_string()),
                cols[t].to_string(),
            )
        };
        let segs = by_lang.entry(lang.clone()).or_default();
        has_ids |= id.is_some();
        let id = id.unwrap_or_else(|| (segs.len() + 1).to_string());
        if !ids.entry(lang.clone()).or_default().insert(id.clone()) {
            return Err(CorpusError::DuplicateId {
                path: path.to_path_buf(),
                line: line.number,
                lang,
                id,
            });
        }
        segs.push(Segment {
            id,
            line: line.number,
            text,
        });
    }
    if !any_line {
        return Err(CorpusError::Empty(path.to_path_buf()));
    }
    if by_lang.is_empty() {
        return Err(if header.is_some() {
            CorpusError::Empty(path.to_path_buf())
        } else {
            CorpusError::OnlyBlank(path.to_path_buf())
        });
    }
    Ok((by_lang, has_ids))
}

#[cfg(test)]
mod tests;

impl CorpusInfo {
    /// The summary as a per-language table (what `xling corpus info` prints).
    pub fn to_table(&self) -> crate::LangTable {
        use crate::table::{Better, Cell, Column, ColumnKind, Row};
        let columns = vec![
            Column::new(
                "segments",
                "segments",
                ColumnKind::Int,
                Better::Neither,
                "Segments (lines, articles).",
            ),
            Column::new(
                "blank",
                "blank",
                ColumnKind::Int,
                Better::Lower,
                "Blank segments (kept: they hold a place in the alignment).",
            )
            .charted(false),
            Column::new(
                "chars",
                "chars",
                ColumnKind::Int,
                Better::Neither,
                "Unicode characters.",
            )
            .unit("chars"),
            Column::new(
                "bytes",
                "bytes",
                ColumnKind::Int,
                Better::Neither,
                "UTF-8 bytes without line terminators.",
            )
            .unit("bytes"),
            Column::new(
                "source",
                "source",
                ColumnKind::Text,
                Better::Neither,
                "Where the segments come from.",
            ),
        ];
        let signature = crate::Signature::new("corpus-info")
            .with("corpus", &self.name)
            .with("format", self.format)
            .with("langs", self.streams.len())
            .with_data(self.data.clone());
        let mut table = crate::LangTable::new(format!("Corpus: {}", self.name), columns, signature);
        for s in &self.streams {
            table.rows.push(Row {
                key: s.key.clone(),
                name: s.name.clone(),
                script: s.script.clone(),
                cells: vec![
                    Cell::Int(s.segments as i64),
                    Cell::Int(s.blank as i64),
                    Cell::Int(s.chars as i64),
                    Cell::Int(s.bytes as i64),
                    Cell::Text(s.source.clone()),
                ],
            });
        }
        let segments: usize = self.streams.iter().map(|s| s.segments).sum();
        let chars: u64 = self.streams.iter().map(|s| s.chars).sum();
        let bytes: u64 = self.streams.iter().map(|s| s.bytes).sum();
        let alignment = match self.alignment {
            Alignment::Lines => "parallel, aligned by line (all line counts equal)".to_string(),
            Alignment::Ids => format!(
                "parallel, aligned by id ({} ids in every language)",
                self.common_ids.unwrap_or(0)
            ),
            Alignment::PartialIds => format!(
                "parallel by id, languages may lack some ids ({} ids common to all)",
                self.common_ids.unwrap_or(0)
            ),
            Alignment::Monolingual => "monolingual".to_string(),
            Alignment::Unaligned => "several languages, not parallel".to_string(),
        };
        table.notes.push(format!(
            "{} format, {alignment}: {} languages, {segments} segments, {chars} characters, {bytes} bytes.",
            self.format,
            self.streams.len()
        ));
        table
    }
}
