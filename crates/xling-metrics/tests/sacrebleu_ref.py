#!/usr/bin/env python3
"""Reference scores for the parity test (tests/parity.rs): sacrebleu 2.6.0 on every corpus and config.

Usage: sacrebleu_ref.py INPUT.json OUTPUT.json
INPUT: {"corpora": [{"hyps": [...], "refs": [[stream 1], [stream 2], ...]}],
        "configs": [{"metric": "bleu"|"chrf"|"ter", ...options}],
        "chosen": [[config indices] per corpus], "sentence": [[corpus index, config index], ...],
        "bootstrap": [[corpus index, config index, n_bootstrap], ...],
        "paired": [[corpus index, system hypotheses, "bs"|"ar", n_samples, config index], ...]}
OUTPUT (also jiwer 4.0.0's corpus WER and CER and sentence WERs against the first references,
rouge-score's ROUGE-L per segment, and SciPy's Pearson, Spearman and Kendall tau-b of "corr" pairs):
        {"version": ..., "corpus": [[{"score", "sig", "short", "verbose"} per chosen config] per corpus],
         "sentence": [[score per segment] per requested pair], "bootstrap": [[mean, ci] per request]}
"""
import json
import logging
import sys

import sacrebleu
from sacrebleu.metrics import BLEU, CHRF, TER
from sacrebleu.significance import PairedTest

logging.getLogger("sacrebleu").setLevel(logging.ERROR)


def make(cfg):
    m = cfg["metric"]
    if m == "bleu":
        return BLEU(lowercase=cfg["lowercase"], tokenize=cfg["tokenize"], smooth_method=cfg["smooth_method"],
                    smooth_value=cfg.get("smooth_value"), effective_order=cfg["effective_order"])
    if m == "chrf":
        return CHRF(char_order=cfg["char_order"], word_order=cfg["word_order"], beta=cfg["beta"],
                    lowercase=cfg["lowercase"], whitespace=cfg["whitespace"], eps_smoothing=cfg["eps_smoothing"])
    if m == "ter":
        return TER(normalized=cfg["normalized"], no_punct=cfg["no_punct"], asian_support=cfg["asian_support"],
                   case_sensitive=cfg["case_sensitive"])
    raise ValueError(m)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        data = json.load(f)
    metrics = [make(c) for c in data["configs"]]
    corpus = []
    for c, chosen in zip(data["corpora"], data["chosen"]):
        row = []
        for k in chosen:
            m = metrics[k]
            s = m.corpus_score(c["hyps"], c["refs"])
            sig = m.get_signature()
            row.append({"score": s.score, "sig": sig.format(), "short": sig.format(short=True),
                        "verbose": getattr(s, "_verbose", "")})
        corpus.append(row)
    sentence = []
    for ci, k in data["sentence"]:
        c, m = data["corpora"][ci], metrics[k]
        sentence.append([m.sentence_score(h, [r[i] for r in c["refs"]]).score for i, h in enumerate(c["hyps"])])
    boot = []
    for ci, k, n in data.get("bootstrap", []):
        c, m = data["corpora"][ci], metrics[k]
        try:
            s = m.corpus_score(c["hyps"], c["refs"], n_bootstrap=n)
            boot.append([float(s._mean), float(s._ci)])
        except TypeError:
            # sacrebleu 2.6.0 crashes in statistics.mean when resampled scores mix Python floats
            # (a resample scoring exactly 0 or 100) with NumPy float32 ones.
            boot.append(None)
    paired = []
    for ci, sys_hyps, test_type, n, k in data.get("paired", []):
        c = data["corpora"][ci]
        m = make(dict(data["configs"][k]))
        m._ref_cache = m._cache_references(c["refs"])
        name = m.corpus_score(c["hyps"], None).name
        try:
            ps = PairedTest([("bl", c["hyps"]), ("sys", sys_hyps)], {name: m}, references=None,
                            test_type=test_type, n_samples=n)
            _, scores = ps()
            r = scores[name][1]
            paired.append([r.p_value, None if r.mean is None else float(r.mean),
                           None if r.ci is None else float(r.ci)])
        except TypeError:
            paired.append(None)
    import jiwer
    wer = []
    for c in data["corpora"]:
        r, h = c["refs"][0], c["hyps"]
        wer.append([float(jiwer.wer(r, h)), float(jiwer.cer(r, h)),
                    [float(jiwer.wer(a, b)) for a, b in zip(r, h)]])
    from rouge_score import rouge_scorer
    scorer = rouge_scorer.RougeScorer(["rougeL"])
    rouge = []
    for c in data["corpora"]:
        row = []
        for t, p in zip(c["refs"][0], c["hyps"]):
            s = scorer.score(t, p)["rougeL"]
            row.append([s.precision, s.recall, s.fmeasure])
        rouge.append(row)
    import math
    import warnings
    from scipy import stats as sps
    corr = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for x, y in data.get("corr", []):
            pr, sr = sps.pearsonr(x, y), sps.spearmanr(x, y)
            vals = [float(pr.statistic), float(sr.statistic), float(sps.kendalltau(x, y).statistic),
                    float(pr.pvalue), float(sr.pvalue), float(sps.kendalltau(x, y).pvalue)]
            corr.append([None if math.isnan(v) else v for v in vals])
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump({"version": sacrebleu.__version__, "corpus": corpus, "sentence": sentence, "bootstrap": boot,
                   "paired": paired, "wer": wer,
                   "rouge": rouge, "corr": corr}, f)


if __name__ == "__main__":
    main()
