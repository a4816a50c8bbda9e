#!/usr/bin/env python3
"""Reference for tests/correlation_ci.rs: SciPy's percentile bootstrap intervals of correlations.

Usage: correlation_ref.py INPUT.json OUTPUT.json
INPUT: {"cases": [{"x": [...], "y": [...], "coef": "pearson"|"spearman"|"kendall", "n": resamples,
         "confidence": level, "seed": seed}]}
OUTPUT: {"scipy": version, "results": [[low, high, standard_error] per case]} (NaN as null)
Each interval is scipy.stats.bootstrap((x, y), coefficient, paired=True, vectorized=False,
n_resamples=n, confidence_level=confidence, method="percentile", rng=np.random.default_rng(seed)).
"""
import json
import math
import sys
import warnings

import numpy as np
import scipy
from scipy import stats

COEF = {
    "pearson": lambda x, y: stats.pearsonr(x, y).statistic,
    "spearman": lambda x, y: stats.spearmanr(x, y).statistic,
    "kendall": lambda x, y: stats.kendalltau(x, y).statistic,
}


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)["cases"]
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for c in cases:
            f = COEF[c["coef"]]
            res = stats.bootstrap((np.array(c["x"]), np.array(c["y"])), f, paired=True, vectorized=False,
                                  n_resamples=c["n"], confidence_level=c["confidence"], method="percentile",
                                  rng=np.random.default_rng(c["seed"]))
            vals = [float(res.confidence_interval.low), float(res.confidence_interval.high),
                    float(res.standard_error)]
            out.append([None if math.isnan(v) else v for v in vals])
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump({"scipy": scipy.__version__, "results": out}, f)


if __name__ == "__main__":
    main()
