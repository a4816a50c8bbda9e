#!/usr/bin/env python3
"""Reference side of the fastText parity tests (tests/fasttext.rs) and of scripts/bench-lid: the
`fasttext` Python package (PyPI fasttext-wheel 0.9.2, the reference C++ code).

Reads one JSON request on stdin, writes one JSON answer on stdout.
  {"train": [{"input": TRAIN.txt, "out": PATH.bin, "ftz": PATH.ftz or null, "args": {...},
              "quantize": {...}}]}          -> trains (one thread, fixed seed) and saves the models
  {"predict": [{"model": PATH, "texts": [...], "k": K, "threshold": T}, ...]}
                                            -> {"results": [{"labels": [[...]], "probs": [[...]]}, ...]}
`predict` calls the package's `predict` one text at a time (it appends "\n" as the package does).
"""
import json
import sys

import fasttext


def main():
    req = json.load(sys.stdin)
    out = {}
    for t in req.get("train", []):
        m = fasttext.train_supervised(input=t["input"], thread=1, seed=1, verbose=0, **t["args"])
        m.save_model(t["out"])
        if t.get("ftz"):
            m.quantize(input=t["input"], thread=1, verbose=0, **t["quantize"])
            m.save_model(t["ftz"])
    results = []
    for p in req.get("predict", []):
        m = fasttext.load_model(p["model"])
        k, thr = p.get("k", 1), p.get("threshold", 0.0)
        labels, probs = [], []
        for text in p["texts"]:
            # The package's predict() wraps this call; NumPy 2 rejects its `np.array(…, copy=False)`.
            pred = m.f.predict(text + "\n", k, thr, "strict")
            labels.append([lab for _, lab in pred])
            probs.append([float(pr) for pr, _ in pred])
        results.append({"labels": labels, "probs": probs})
    out["results"] = results
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
