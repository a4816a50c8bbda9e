//! Bad input through the identifier, for the built-in model and for lid.176 through the fastText
//! path: single lines of about 10 MB (words, one unbroken run of Han characters, one letter repeated)
//! finish with a sane label, in time linear in their length and with bounded extra memory (counted by
//! the allocator below); control characters, NULs and random bytes never panic and text without a
//! letter is `und`.
//!
//! lid.176.ftz comes from `scripts/install-test-assets` (`.cache/lid.176.ftz`); without it the lid.176
//! tests print why they skip, and fail under `CI=true`.

// The counting allocator needs `unsafe impl GlobalAlloc`; it only forwards to the system allocator.
#![allow(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use xling_core::{Script, registry};
use xling_identify::{Classifier, Identifier, Model, UND, embedded, letter_scripts, load_model};

/// Bytes allocated now, and the most since the last reset.
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

struct Counting;

impl Counting {
    fn grew(by: usize) {
        let now = CURRENT.fetch_add(by, Ordering::SeqCst) + by;
        PEAK.fetch_max(now, Ordering::SeqCst);
    }
}

// SAFETY: every call is forwarded unchanged to the system allocator; only sizes are counted.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's layout contract is passed on as is.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            Counting::grew(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as above.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            Counting::grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout` (through this allocator).
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::SeqCst);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `dealloc`; the new size is the caller's.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                Counting::grew(new_size - layout.size());
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Ordering::SeqCst);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// One measurement at a time: the tests of this file run one after another, so that the peak seen
/// is the measured call's own.
static SERIAL: Mutex<()> = Mutex::new(());

/// Runs `f`, returning its result, its wall time and the most memory it held beyond what was
/// allocated before it started.
fn measure<T>(f: impl FnOnce() -> T) -> (T, Duration, usize) {
    let base = CURRENT.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    let t = Instant::now();
    let out = f();
    let took = t.elapsed();
    (out, took, PEAK.load(Ordering::SeqCst).saturating_sub(base))
}

/// xorshift64: reproducible pseudo-random numbers.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// English words joined by spaces, `len` bytes.
fn words(len: usize) -> String {
    const W: [&str; 12] = [
        "the", "house", "of", "cards", "is", "falling", "down", "again", "and", "we", "watched",
        "it",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut s = String::with_capacity(len + 16);
    while s.len() < len {
        s.push_str(W[(rng.next() % W.len() as u64) as usize]);
        s.push(' ');
    }
    s.truncate(len);
    s
}

/// One unbroken run of CJK unified ideographs (3 bytes each), about `len` bytes.
fn han(len: usize) -> String {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    (0..len / 3)
        .map(|_| char::from_u32(0x4E00 + (rng.next() % 0x5000) as u32).unwrap())
        .collect()
}

const TEN_MB: usize = 10 * 1024 * 1024;

/// Memory a long line may take beyond itself: about a copy of the line (a lower-cased word, a token
/// wrapped in `<` `>`, one 4-byte hash per token, in a vector that doubles as it grows) and small
/// buffers. A list of every feature of the line, as fastText makes it, took over three times the line.
fn memory_bound(len: usize) -> usize {
    2 * len + (1 << 20)
}

/// The scripts a label is written in, from the registry.
fn label_scripts(label: &str) -> Vec<Script> {
    registry()
        .get(label)
        .map(|l| l.script.unicode_scripts())
        .unwrap_or_default()
}

/// Checks one long line: a label whose script occurs in the text (and `want`, if given), within
/// the time and memory bounds. Returns the time taken.
fn check_long(ident: &Identifier<'_>, text: &str, want: Option<&str>, what: &str) -> Duration {
    let (pred, took, extra) = measure(|| ident.identify(text, 3));
    let label = pred[0].lang.as_str();
    let in_text = letter_scripts(text);
    assert!(
        label_scripts(label).iter().any(|s| in_text.contains(s)),
        "{what}: {label} is not written in the text's scripts {in_text:?}"
    );
    if let Some(want) = want {
        assert_eq!(label, want, "{what}");
    }
    assert!(
        extra <= memory_bound(text.len()),
        "{what}: {extra} bytes beyond the {}-byte line",
        text.len()
    );
    assert!(took < Duration::from_secs(120), "{what}: {took:?}");
    took
}

/// Time grows linearly with the line: ten times the text takes about ten times as long, not a
/// hundred (with room for a loaded machine).
fn check_linear(ident: &Identifier<'_>, make: fn(usize) -> String, t10: Duration, what: &str) {
    let small = make(TEN_MB / 10);
    let t1 = (0..2)
        .map(|_| measure(|| ident.identify(&small, 3)).1)
        .min()
        .unwrap();
    assert!(
        t10 <= t1 * 30 + Duration::from_millis(500),
        "{what}: 1 MB in {t1:?}, 10 MB in {t10:?}"
    );
}

/// The asset at `rel` under the repository, or `None` with a skip notice (a failure under `CI=true`).
fn asset(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel);
    if p.exists() {
        return Some(p);
    }
    let msg = format!("{rel} is missing: run scripts/install-test-assets");
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{msg}");
    }
    eprintln!("skipped: {msg}");
    None
}

fn lid176() -> Option<Box<dyn Classifier>> {
    let path = asset(".cache/lid.176.ftz")?;
    match load_model(&path).unwrap() {
        Model::FastText(m) => Some(m),
        Model::Xling(_) => panic!("{} is not a fastText model", path.display()),
    }
}

/// Lines that are not text: control characters, NULs, marks and symbols without a letter.
fn letterless() -> Vec<String> {
    [
        "\u{0}",
        "\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}",
        "\u{1}\u{2}\u{3}\u{7}\u{8}\u{1b}[0;31\u{7f}",
        "\u{0}\t\u{0}\r\u{0}",
        "\u{feff}",
        "\u{200b}\u{200d}",
        "\u{301}\u{302}\u{303}",
        "\u{fffd}\u{fffd}\u{fffd}",
        "12345 678,90",
        "!!! ??? ... ---",
        "😀😀 🎉 ❤️",
        "ⒶⒷⒸ",
        "\u{85}\u{9c}\u{9f}",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain(std::iter::once("\u{0}".repeat(100_000)))
    .collect()
}

/// Random bytes, cut into lines at `\n` and decoded as a reader that replaces invalid UTF-8 would.
fn random_lines() -> Vec<String> {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let bytes: Vec<u8> = (0..200_000).map(|_| rng.next() as u8).collect();
    bytes
        .split(|&b| b == b'\n')
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect()
}

#[test]
fn builtin_ten_megabyte_lines() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let ident = Identifier::new(embedded().unwrap(), 0.0);
    let text = words(TEN_MB);
    let t10 = check_long(&ident, &text, Some("eng_Latn"), "built-in, words");
    check_linear(&ident, words, t10, "built-in, words");
    drop(text);
    let text = han(TEN_MB);
    let t10 = check_long(&ident, &text, None, "built-in, Han run");
    check_linear(&ident, han, t10, "built-in, Han run");
    drop(text);
    let text = "a".repeat(TEN_MB);
    check_long(&ident, &text, None, "built-in, one letter");
}

#[test]
fn lid176_ten_megabyte_lines() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(model) = lid176() else { return };
    let ident = Identifier::new(model.as_ref(), 0.0);
    let text = words(TEN_MB);
    let t10 = check_long(&ident, &text, Some("eng_Latn"), "lid.176, words");
    check_linear(&ident, words, t10, "lid.176, words");
    drop(text);
    let text = han(TEN_MB);
    check_long(&ident, &text, None, "lid.176, Han run");
}

#[test]
fn letterless_lines_are_und_for_both_models() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let builtin = Identifier::new(embedded().unwrap(), 0.0);
    let lid = lid176();
    let external = lid.as_deref().map(|m| Identifier::new(m, 0.0));
    for text in letterless() {
        assert!(letter_scripts(&text).is_empty(), "{text:?}");
        for ident in std::iter::once(&builtin).chain(external.as_ref()) {
            let p = ident.identify(&text, 3);
            assert_eq!(p.len(), 1, "{text:?}: {p:?}");
            assert_eq!((p[0].lang.as_str(), p[0].prob), (UND, 1.0), "{text:?}");
        }
    }
    // A letter among the garbage is text again.
    let p = builtin.identify("\u{0}\u{0}Bonjour à tous\u{0}\u{1}", 1);
    assert_eq!(p[0].lang, "fra_Latn");
}

#[test]
fn random_bytes_never_panic() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let builtin = Identifier::new(embedded().unwrap(), 0.0);
    let lid = lid176();
    let external = lid.as_deref().map(|m| Identifier::new(m, 0.0));
    let lines = random_lines();
    assert!(lines.len() > 500, "{} lines", lines.len());
    let mut labelled = 0;
    for text in &lines {
        let in_text = letter_scripts(text);
        let p = builtin.identify(text, 3);
        if in_text.is_empty() {
            assert_eq!(p[0].lang, UND, "{text:?}");
        } else if p[0].lang != UND {
            labelled += 1;
            for q in &p {
                assert!(
                    label_scripts(&q.lang).iter().any(|s| in_text.contains(s)),
                    "{text:?}: {} not in {in_text:?}",
                    q.lang
                );
            }
        }
        if let Some(ident) = &external {
            let p = ident.identify(text, 3);
            assert!(!p.is_empty() && p.iter().all(|q| q.prob.is_finite()));
            if in_text.is_empty() {
                assert_eq!(p[0].lang, UND, "{text:?}");
            }
        }
    }
    assert!(labelled > 0, "random text with letters is labelled");
}
