//! Headless Chromium, for tests that check an HTML report really renders.
//!
//! [`Chromium`] runs a browser binary in headless mode on a local file and returns the DOM it built
//! ([`Chromium::dump_dom`]) or a PNG of the page ([`Chromium::screenshot`]); [`parse_charts`] reads the
//! charts and bars back out of a dumped DOM. Each run uses a fresh, throw-away browser profile created
//! next to the HTML file and removed afterwards, with networking, sync, extensions and first-run UI
//! turned off. This module reads no environment variable: deciding whether a missing browser is an
//! error (say, on CI) is the caller's business.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// Where Chromium-family browsers are usually installed; the first that exists wins.
const KNOWN_PATHS: &[&str] = &[
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/lib/chromium/chromium",
    "/snap/bin/chromium",
    "/usr/bin/google-chrome",
    "/usr/bin/google-chrome-stable",
    "/usr/local/bin/chromium",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
];

/// Names tried through the operating system's program lookup when no known path exists.
const NAMES: &[&str] = &["chromium", "chromium-browser", "google-chrome"];

/// Finds a Chromium binary: the first existing entry of a list of usual install locations (Debian's
/// `/usr/bin/chromium` first), otherwise a name among `chromium`, `chromium-browser`, `google-chrome`
/// that the operating system resolves on the search path (checked by running it with `--version`).
pub fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = KNOWN_PATHS.iter().map(Path::new).find(|p| p.is_file()) {
        return Some(p.to_path_buf());
    }
    NAMES.iter().find_map(|name| {
        let ok = Command::new(name)
            .arg("--version")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| PathBuf::from(name))
    })
}

/// Errors running the browser.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    /// No Chromium binary was found (see [`find_chromium`]).
    #[error("no Chromium browser found (on Debian: apt-get install -y chromium)")]
    NotFound,
    /// A file or directory the run needs could not be created or read, or the browser could not start.
    #[error("{what} '{}': {source}", path.display())]
    Io {
        /// What was being done (`cannot start`, `cannot read`, …).
        what: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The browser exited unsuccessfully or produced no output.
    #[error("{program} failed on '{}' ({status}): {stderr}", page.display())]
    Failed {
        /// The browser binary.
        program: String,
        /// The page it was given.
        page: PathBuf,
        /// How it exited.
        status: String,
        /// The end of its standard error.
        stderr: String,
    },
    /// The browser did not finish in time and was killed.
    #[error("{program} did not finish within {}s on '{}'", timeout.as_secs(), page.display())]
    Timeout {
        /// The browser binary.
        program: String,
        /// The page it was given.
        page: PathBuf,
        /// The limit.
        timeout: Duration,
    },
}

/// A Chromium binary and how long one run may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chromium {
    path: PathBuf,
    timeout: Duration,
}

/// Makes profile directory names unique within this process.
static RUNS: AtomicUsize = AtomicUsize::new(0);

impl Chromium {
    /// The browser at `path` with a 90-second limit per run.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Chromium {
            path: path.into(),
            timeout: Duration::from_secs(90),
        }
    }

    /// The browser [`find_chromium`] finds, if any.
    pub fn find() -> Option<Self> {
        find_chromium().map(Chromium::new)
    }

    /// Sets the time limit of one run (builder style).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The browser binary.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Loads the local file `html` and returns the serialised DOM after loading (`--dump-dom`).
    pub fn dump_dom(&self, html: &Path) -> Result<String, BrowserError> {
        self.run(html, &["--dump-dom".to_string()], true)
    }

    /// Loads the local file `html` in a `width`×`height` window and writes a PNG screenshot to `png`.
    pub fn screenshot(
        &self,
        html: &Path,
        png: &Path,
        width: u32,
        height: u32,
    ) -> Result<(), BrowserError> {
        let png = absolute(png)?;
        let args = [
            format!("--screenshot={}", png.display()),
            format!("--window-size={width},{height}"),
            "--hide-scrollbars".to_string(),
        ];
        self.run(html, &args, false)?;
        if png.is_file() {
            Ok(())
        } else {
            Err(self.failed(html, "exit status 0", "no screenshot was written"))
        }
    }

    fn failed(&self, page: &Path, status: &str, stderr: &str) -> BrowserError {
        BrowserError::Failed {
            program: self.path.display().to_string(),
            page: page.to_path_buf(),
            status: status.to_string(),
            stderr: stderr.to_string(),
        }
    }

    /// Runs the browser on `html` with `extra` arguments, returning its standard output. Output goes to
    /// files in the throw-away profile directory rather than pipes, so helper processes that outlive
    /// the browser cannot block the read.
    fn run(
        &self,
        html: &Path,
        extra: &[String],
        want_stdout: bool,
    ) -> Result<String, BrowserError> {
        let page = fs::canonicalize(html).map_err(|source| BrowserError::Io {
            what: "cannot open",
            path: html.to_path_buf(),
            source,
        })?;
        let parent = page.parent().unwrap_or(Path::new("/"));
        let profile = parent.join(format!(
            ".xling-chromium-{}-{}",
            std::process::id(),
            RUNS.fetch_add(1, Ordering::Relaxed)
        ));
        let io = |what, path: &Path| {
            let path = path.to_path_buf();
            move |source| BrowserError::Io { what, path, source }
        };
        fs::create_dir_all(&profile).map_err(io("cannot create", &profile))?;
        let result = self.run_in(&page, &profile, extra, want_stdout);
        // Helper processes may still be closing files; a leftover profile is harmless.
        let _ = fs::remove_dir_all(&profile);
        result
    }

    fn run_in(
        &self,
        page: &Path,
        profile: &Path,
        extra: &[String],
        want_stdout: bool,
    ) -> Result<String, BrowserError> {
        let io = |what, path: &Path| {
            let path = path.to_path_buf();
            move |source| BrowserError::Io { what, path, source }
        };
        let out_path = profile.join("stdout.txt");
        let err_path = profile.join("stderr.txt");
        let stdout = File::create(&out_path).map_err(io("cannot create", &out_path))?;
        let stderr = File::create(&err_path).map_err(io("cannot create", &err_path))?;
        let mut child = Command::new(&self.path)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--disable-dev-shm-usage",
                "--mute-audio",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(extra)
            .arg(file_url(page))
            .current_dir(profile)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .map_err(io("cannot start", &self.path))?;
        let started = Instant::now();
        let status: ExitStatus = loop {
            match child
                .try_wait()
                .map_err(io("cannot wait for", &self.path))?
            {
                Some(status) => break status,
                None if started.elapsed() >= self.timeout => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(BrowserError::Timeout {
                        program: self.path.display().to_string(),
                        page: page.to_path_buf(),
                        timeout: self.timeout,
                    });
                }
                None => thread::sleep(Duration::from_millis(50)),
            }
        };
        let out = fs::read(&out_path).map_err(io("cannot read", &out_path))?;
        let out = String::from_utf8_lossy(&out).into_owned();
        if !status.success() || (want_stdout && out.trim().is_empty()) {
            let err = fs::read(&err_path).unwrap_or_default();
            let err = String::from_utf8_lossy(&err);
            let tail: Vec<&str> = err.lines().rev().take(12).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            return Err(self.failed(page, &status.to_string(), &tail.join("\n")));
        }
        Ok(out)
    }
}

/// `path` made absolute against the current directory.
fn absolute(path: &Path) -> Result<PathBuf, BrowserError> {
    std::path::absolute(path).map_err(|source| BrowserError::Io {
        what: "cannot resolve",
        path: path.to_path_buf(),
        source,
    })
}

/// The `file://` URL of an absolute path, percent-encoding everything but unreserved characters and `/`.
fn file_url(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    let mut url = String::from("file://");
    if !s.starts_with('/') {
        url.push('/');
    }
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:".contains(&b) {
            url.push(char::from(b));
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}

/// Loads `html` in the Chromium [`find_chromium`] finds and returns the DOM (see [`Chromium::dump_dom`]).
pub fn dump_dom(html: &Path) -> Result<String, BrowserError> {
    Chromium::find()
        .ok_or(BrowserError::NotFound)?
        .dump_dom(html)
}

/// One `<svg class="chart">` of a dumped DOM.
#[derive(Debug, Clone, PartialEq)]
pub struct DomChart {
    /// Its `data-column` attribute.
    pub column: String,
    /// Its `<rect class="bar">` elements, in document order.
    pub bars: Vec<DomBar>,
}

/// One `<rect class="bar">` of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct DomBar {
    /// The `data-lang` attribute: the language key.
    pub lang: String,
    /// The `data-value` attribute: the exact value.
    pub value: String,
    /// The `width` attribute, if it is a number.
    pub width: Option<f64>,
}

/// Reads the charts and their bars out of serialised HTML (a dumped DOM or a report file).
pub fn parse_charts(dom: &str) -> Vec<DomChart> {
    let mut charts: Vec<DomChart> = Vec::new();
    let mut depth = 0usize; // nesting of <svg> inside the current chart
    for tag in Tags(dom) {
        match (tag.name.as_str(), tag.closing) {
            ("svg", false) if depth > 0 => depth += 1,
            ("svg", false) if has_class(&tag, "chart") => {
                depth = 1;
                charts.push(DomChart {
                    column: tag.attr("data-column").unwrap_or_default().to_string(),
                    bars: Vec::new(),
                });
            }
            ("svg", true) => depth = depth.saturating_sub(1),
            ("rect", false) if depth > 0 && has_class(&tag, "bar") => {
                if let Some(chart) = charts.last_mut() {
                    chart.bars.push(DomBar {
                        lang: tag.attr("data-lang").unwrap_or_default().to_string(),
                        value: tag.attr("data-value").unwrap_or_default().to_string(),
                        width: tag.attr("width").and_then(|w| w.trim().parse().ok()),
                    });
                }
            }
            _ => {}
        }
    }
    charts
}

fn has_class(tag: &Tag, class: &str) -> bool {
    tag.attr("class")
        .is_some_and(|c| c.split_ascii_whitespace().any(|c| c == class))
}

/// A start or end tag with its attributes (values entity-decoded).
struct Tag {
    name: String,
    closing: bool,
    attrs: Vec<(String, String)>,
}

impl Tag {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Iterates over the tags of serialised HTML, skipping comments and text. Good enough for the DOM
/// serialisation browsers produce; not a general HTML parser.
struct Tags<'a>(&'a str);

impl Iterator for Tags<'_> {
    type Item = Tag;

    fn next(&mut self) -> Option<Tag> {
        loop {
            let start = self.0.find('<')?;
            let rest = &self.0[start + 1..];
            if let Some(comment) = rest.strip_prefix("!--") {
                let end = comment.find("-->").map_or(comment.len(), |e| e + 3);
                self.0 = &comment[end..];
                continue;
            }
            let (closing, rest) = match rest.strip_prefix('/') {
                Some(r) => (true, r),
                None => (false, rest),
            };
            let name_len = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == ':'))
                .unwrap_or(rest.len());
            if name_len == 0 {
                // `<` in text or `<!DOCTYPE`: skip one character.
                self.0 = rest;
                continue;
            }
            let name = rest[..name_len].to_ascii_lowercase();
            let (attrs, consumed) = attributes(&rest[name_len..]);
            self.0 = &rest[name_len + consumed..];
            return Some(Tag {
                name,
                closing,
                attrs,
            });
        }
    }
}

/// Parses attributes up to the end of the tag; returns them and the bytes consumed (including `>`).
fn attributes(s: &str) -> (Vec<(String, String)>, usize) {
    let b = s.as_bytes();
    let mut attrs = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'>' => return (attrs, i + 1),
            c if c.is_ascii_whitespace() || c == b'/' => i += 1,
            _ => {
                let k0 = i;
                while i < b.len() && !b"=>/ \t\n\r".contains(&b[i]) {
                    i += 1;
                }
                let key = s[k0..i].to_ascii_lowercase();
                let mut value = String::new();
                if i < b.len() && b[i] == b'=' {
                    i += 1;
                    if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                        let q = b[i];
                        let v0 = i + 1;
                        let end = b[v0..]
                            .iter()
                            .position(|&c| c == q)
                            .map_or(b.len(), |p| v0 + p);
                        value = decode(&s[v0..end]);
                        i = (end + 1).min(b.len());
                    } else {
                        let v0 = i;
                        while i < b.len() && !b" \t\n\r>".contains(&b[i]) {
                            i += 1;
                        }
                        value = decode(&s[v0..i]);
                    }
                }
                attrs.push((key, value));
            }
        }
    }
    (attrs, b.len())
}

/// Decodes the character references browsers emit in attribute values.
fn decode(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_charts_and_bars() {
        let dom = r#"<!DOCTYPE html><html><body><!-- <svg class="chart"> -->
<svg class="legend"><rect class="bar" data-lang="no"/></svg>
<svg class="chart" data-column="a&amp;b"><g><rect class="hit" width="9"></rect>
<rect class="bar x" data-lang="hin_Deva" data-value="2.5" width="12.5" x="3"><title>a > b</title></rect>
<rect data-lang='eng_Latn' class=bar data-value="-1" width="abc"></rect></g></svg>
<rect class="bar" data-lang="outside" width="1"></rect></body></html>"#;
        let charts = parse_charts(dom);
        assert_eq!(charts.len(), 1);
        assert_eq!(charts[0].column, "a&b");
        assert_eq!(
            charts[0].bars,
            [
                DomBar {
                    lang: "hin_Deva".into(),
                    value: "2.5".into(),
                    width: Some(12.5)
                },
                DomBar {
                    lang: "eng_Latn".into(),
                    value: "-1".into(),
                    width: None
                },
            ]
        );
    }

    #[test]
    fn report_charts_parse_back() {
        let html = crate::html_report(&[crate::testutil::small()], &crate::HtmlOptions::default());
        let charts = parse_charts(&html);
        let cols: Vec<&str> = charts.iter().map(|c| c.column.as_str()).collect();
        assert_eq!(cols, ["chars", "byte_premium", "coverage"]);
        assert_eq!(charts[1].bars.len(), 2);
        assert!(
            charts
                .iter()
                .flat_map(|c| &c.bars)
                .all(|b| b.width.is_some_and(|w| w > 0.0))
        );
    }

    #[test]
    fn file_urls_are_encoded() {
        assert_eq!(
            file_url(Path::new("/tmp/a b/ü.html")),
            "file:///tmp/a%20b/%C3%BC.html"
        );
    }

    #[test]
    fn missing_page_is_an_io_error() {
        let err = Chromium::new("/nonexistent/chromium")
            .dump_dom(Path::new("/nonexistent-dir/x.html"))
            .expect_err("an error");
        assert!(err.to_string().contains("/nonexistent-dir/x.html"), "{err}");
    }
}
