//! MEXA's validation protocol: do alignment-based estimates track a task's real per-language scores?
//!
//! The estimate for language L is `alignment(L) × score(pivot)` (the "adjusted" score of the paper);
//! it is compared with the actual scores by Pearson and Spearman correlation across languages (the
//! pivot itself is left out: its alignment is 1 by construction). Each coefficient comes with its
//! p-value and a 95% percentile bootstrap interval, both equal to SciPy's (`xling_metrics::correlation`:
//! paired resampling of languages, 1,000 resamples, `default_rng(12345)`; the bounds are NaN when some
//! resample has no defined coefficient, as in SciPy).

use std::collections::HashMap;
use std::path::Path;

use xling_metrics::correlation::{
    BootstrapOptions, Coefficient, bootstrap_ci, pearson_p_value, spearman_p_value,
};

/// Task scores per language, read from a CSV/TSV file.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskScores {
    /// Language key → score, in file order.
    pub scores: Vec<(String, f64)>,
}

/// Errors reading task scores.
#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    /// The file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A line is malformed.
    #[error("{}:{line}: {reason}", path.display())]
    Line {
        /// The file.
        path: std::path::PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

impl TaskScores {
    /// Reads `language,score` lines (comma or tab separated; a header line whose score column is not a
    /// number is skipped). Languages are resolved by `resolve` (codes, tags, names → a key).
    pub fn read(
        path: &Path,
        resolve: &dyn Fn(&str) -> Option<String>,
    ) -> Result<TaskScores, ValidateError> {
        let text = std::fs::read_to_string(path).map_err(|source| ValidateError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut scores = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_start_matches('\u{feff}').trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |reason: String| ValidateError::Line {
                path: path.to_path_buf(),
                line: i + 1,
                reason,
            };
            let sep = if line.contains('\t') { '\t' } else { ',' };
            let fields: Vec<&str> = line.split(sep).map(str::trim).collect();
            if fields.len() < 2 {
                return Err(err(format!("expected `language{sep}score`, got {line:?}")));
            }
            let score: f64 = match fields[1].parse() {
                Ok(v) => v,
                Err(_) if i == 0 => continue, // header
                Err(_) => return Err(err(format!("score {:?} is not a number", fields[1]))),
            };
            if !score.is_finite() {
                return Err(err(format!("score {score} is not finite")));
            }
            let key = resolve(fields[0])
                .ok_or_else(|| err(format!("unknown language {:?}", fields[0])))?;
            scores.push((key, score));
        }
        if scores.is_empty() {
            return Err(ValidateError::Line {
                path: path.to_path_buf(),
                line: 1,
                reason: "no `language,score` lines".into(),
            });
        }
        Ok(TaskScores { scores })
    }
}

/// One correlation with its p-value and bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Correlation {
    /// The coefficient.
    pub r: f64,
    /// Two-sided p-value (SciPy's).
    pub p_value: f64,
    /// 2.5th percentile of the bootstrap distribution.
    pub ci_low: f64,
    /// 97.5th percentile.
    pub ci_high: f64,
}

/// The validation result.
#[derive(Debug, Clone, PartialEq)]
pub struct Validation {
    /// `(language, estimated, actual)` for every language with both values (pivot excluded).
    pub points: Vec<(String, f64, f64)>,
    /// The pivot's own task score, the multiplier of the estimates.
    pub pivot_score: f64,
    /// Pearson correlation between estimated and actual.
    pub pearson: Option<Correlation>,
    /// Spearman correlation.
    pub spearman: Option<Correlation>,
}

/// Compares alignment-based estimates with actual scores. `pivot_score` defaults to the file's score for
/// the pivot; without either, the estimates are the raw alignments (correlations are scale-free).
pub fn validate(
    alignment: &HashMap<String, f64>,
    scores: &TaskScores,
    pivot: &str,
    pivot_score: Option<f64>,
) -> Validation {
    let pivot_score = pivot_score
        .or_else(|| scores.scores.iter().find(|(k, _)| k == pivot).map(|s| s.1))
        .unwrap_or(1.0);
    let points: Vec<(String, f64, f64)> = scores
        .scores
        .iter()
        .filter(|(k, _)| k != pivot)
        .filter_map(|(k, s)| alignment.get(k).map(|a| (k.clone(), a * pivot_score, *s)))
        .collect();
    let x: Vec<f64> = points.iter().map(|p| p.1).collect();
    let y: Vec<f64> = points.iter().map(|p| p.2).collect();
    let with = |c: Coefficient, p: fn(f64, usize) -> f64| {
        let ci = bootstrap_ci(&x, &y, c, &BootstrapOptions::default())?;
        let r = ci.statistic?;
        Some(Correlation {
            r,
            p_value: p(r, x.len()),
            ci_low: ci.low,
            ci_high: ci.high,
        })
    };
    Validation {
        pearson: with(Coefficient::Pearson, pearson_p_value),
        spearman: with(Coefficient::Spearman, spearman_p_value),
        points,
        pivot_score,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn estimates_scale_alignment_and_leave_out_the_pivot() {
        let align: HashMap<String, f64> = [
            ("eng_Latn", 1.0),
            ("deu_Latn", 0.8),
            ("hin_Deva", 0.4),
            ("amh_Ethi", 0.1),
            ("fra_Latn", 0.85),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let scores = TaskScores {
            scores: vec![
                ("eng_Latn".into(), 0.9),
                ("deu_Latn".into(), 0.7),
                ("hin_Deva".into(), 0.5),
                ("amh_Ethi".into(), 0.3),
                ("fra_Latn".into(), 0.75),
            ],
        };
        let v = validate(&align, &scores, "eng_Latn", None);
        assert_eq!(v.points.len(), 4);
        assert!((v.points[0].1 - 0.72).abs() < 1e-12);
        let p = v.pearson.unwrap();
        assert!(p.r > 0.9, "{p:?}");
        // Four languages: some resample repeats one language four times (no coefficient), so SciPy
        // (and xling) give NaN bounds.
        assert!(p.ci_low.is_nan() || p.ci_low <= p.r, "{p:?}");
        assert_eq!(v.spearman.unwrap().r, 1.0);
    }

    #[test]
    fn bad_lines_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("scores.csv");
        std::fs::write(&p, "language,accuracy\ndeu_Latn,0.5\nhin_Deva,high\n").unwrap();
        let id = |s: &str| Some(s.to_string());
        let e = TaskScores::read(&p, &id).unwrap_err().to_string();
        assert!(e.contains("scores.csv:3") && e.contains("high"), "{e}");
        std::fs::write(&p, "language,accuracy\ndeu_Latn,0.5\n").unwrap();
        assert_eq!(TaskScores::read(&p, &id).unwrap().scores.len(), 1);
    }
}
