//! Hub ids (`hf:org/name`, optionally `hf:org/name@revision`): a model's tokenizer file fetched from a
//! Hugging Face-shaped hub (`{endpoint}/{org}/{name}/resolve/{revision}/{file}`, `tokenizer.json` first,
//! then `tokenizer.model`) into a cache, and read from the cache afterwards.
//!
//! Nothing here happens unasked: the caller passes [`HubOptions`] (the CLI builds them from
//! `HF_ENDPOINT`, `HF_HUB_OFFLINE` and the cache directory) and a `notify` callback that is told before
//! every download; with `offline` set, only the cache is used and a missing entry is an error.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::TokenizeError;

/// Where and whether to fetch hub ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubOptions {
    /// The hub's base URL (`https://huggingface.co`).
    pub endpoint: String,
    /// The cache directory; files go to `<cache>/hub/<org>/<name>/<revision>/`.
    pub cache_dir: PathBuf,
    /// Use the cache only (`HF_HUB_OFFLINE`).
    pub offline: bool,
}

/// The tokenizer files looked for, in order.
pub const FILES: [&str; 2] = ["tokenizer.json", "tokenizer.model"];

/// A parsed hub id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubId {
    /// `org/name`.
    pub repo: String,
    /// The revision (`main` by default).
    pub revision: String,
}

impl HubId {
    /// Parses `hf:org/name[@revision]`; `None` when `spec` is not a hub id at all.
    pub fn parse(spec: &str) -> Option<Result<HubId, TokenizeError>> {
        let rest = spec.strip_prefix("hf:")?;
        let (repo, revision) = rest.split_once('@').unwrap_or((rest, "main"));
        let ok_part = |p: &str| {
            !p.is_empty()
                && !p.starts_with('.')
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        let parts: Vec<&str> = repo.split('/').collect();
        if parts.len() != 2 || !parts.iter().all(|p| ok_part(p)) || !ok_part(revision) {
            return Some(Err(TokenizeError::Unknown(format!(
                "{spec} (a hub id is hf:org/name or hf:org/name@revision)"
            ))));
        }
        Some(Ok(HubId {
            repo: repo.to_string(),
            revision: revision.to_string(),
        }))
    }

    /// The model's name (`name` of `org/name`).
    pub fn name(&self) -> &str {
        self.repo.rsplit('/').next().unwrap_or(&self.repo)
    }

    fn cache_dir(&self, opts: &HubOptions) -> PathBuf {
        let mut d = opts.cache_dir.join("hub");
        for p in self.repo.split('/') {
            d.push(p);
        }
        d.join(&self.revision)
    }
}

fn hub_err(id: &HubId, reason: String) -> TokenizeError {
    TokenizeError::Hub {
        id: format!("hf:{}@{}", id.repo, id.revision),
        reason,
    }
}

/// The local path of a hub id's tokenizer file: from the cache, or downloaded into it (telling
/// `notify` first) unless `opts.offline`.
pub fn resolve(
    id: &HubId,
    opts: &HubOptions,
    notify: &mut dyn FnMut(&str),
) -> Result<PathBuf, TokenizeError> {
    let dir = id.cache_dir(opts);
    for f in FILES {
        let p = dir.join(f);
        if p.is_file() {
            return Ok(p);
        }
    }
    if opts.offline {
        return Err(hub_err(
            id,
            format!(
                "not in the cache ({}) and HF_HUB_OFFLINE is set; run once without it to download",
                dir.display()
            ),
        ));
    }
    let endpoint = opts.endpoint.trim_end_matches('/');
    for f in FILES {
        let url = format!("{endpoint}/{}/resolve/{}/{f}", id.repo, id.revision);
        notify(&format!("downloading {url} into {}", dir.display()));
        match ureq::get(&url).call() {
            Ok(resp) => return save(id, &dir, f, resp),
            Err(ureq::Error::StatusCode(404)) => continue,
            Err(e) => return Err(hub_err(id, format!("{url}: {e}"))),
        }
    }
    Err(hub_err(
        id,
        format!(
            "{endpoint} has neither {} for this model",
            FILES.join(" nor ")
        ),
    ))
}

fn save(
    id: &HubId,
    dir: &Path,
    file: &str,
    resp: ureq::http::Response<ureq::Body>,
) -> Result<PathBuf, TokenizeError> {
    let io =
        |e: std::io::Error| hub_err(id, format!("cannot write the cache {}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(io)?;
    let part = dir.join(format!("{file}.part"));
    let mut out = std::fs::File::create(&part).map_err(io)?;
    let mut reader = resp.into_body().into_reader();
    std::io::copy(&mut reader, &mut out)
        .map_err(|e| hub_err(id, format!("download failed: {e}")))?;
    out.flush().map_err(io)?;
    let dest = dir.join(file);
    std::fs::rename(&part, &dest).map_err(io)?;
    Ok(dest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hub_ids() {
        let id = HubId::parse("hf:Qwen/Qwen3-0.6B").unwrap().unwrap();
        assert_eq!(
            (id.repo.as_str(), id.revision.as_str()),
            ("Qwen/Qwen3-0.6B", "main")
        );
        assert_eq!(id.name(), "Qwen3-0.6B");
        let id = HubId::parse("hf:org/x@v1.0").unwrap().unwrap();
        assert_eq!(id.revision, "v1.0");
        assert!(HubId::parse("o200k_base").is_none());
        for bad in ["hf:noslash", "hf:a/b/c", "hf:../x", "hf:a/b@"] {
            assert!(matches!(HubId::parse(bad), Some(Err(_))), "{bad}");
        }
    }
}
