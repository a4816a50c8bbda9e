#!/usr/bin/env python3
"""Makes crates/xling-eval/tests/fixtures/lmeval-mc-scoring.json: lm-evaluation-harness's own
multiple-choice scoring run on random log-likelihoods, so xling's scoring is checked against it.

For each random item (choices in many scripts, a gold index, per-choice conditional and unconditional
log-likelihoods with deliberate ties, greedy flags) it calls lm-eval's real
`ConfigurableTask.process_results` (the multiple_choice branch: acc, acc_norm, acc_bytes, exact_match,
acc_mutual_info) and aggregates with lm-eval's `mean` and `mean_stderr`.

    python3 -m venv /tmp/lmeval && /tmp/lmeval/bin/pip install --no-deps lm-eval==0.4.13 && \
      /tmp/lmeval/bin/pip install numpy pyyaml jinja2 sacrebleu evaluate datasets dill more_itertools \
        sqlitedict pytablewriter word2number
    /tmp/lmeval/bin/python scripts/reference/lmeval_scoring.py > crates/xling-eval/tests/fixtures/lmeval-mc-scoring.json

(lm-eval is installed without its torch/transformers dependencies: the scoring code does not use them.)
"""
import json
import random
import types

import lm_eval
from lm_eval.api.metrics import mean, mean_stderr
from lm_eval.api.task import ConfigurableTask

POOL = [
    "A", "B", "C", "D", "yes", "no", "science/technology", "travel", "politics", "sports", "health",
    "entertainment", "geography", "ß", "Straße", "नमस्ते", "भारत", "中文", "日本語の答え", "ሰላም", "ᏣᎳᎩ",
    "🙂", "a b c", "Ελληνικά", "עברית", "العربية", "ไทย", "한국어", "x", "  spaced  ",
]


def fake_task():
    """The attributes `ConfigurableTask.process_results` reads for a multiple_choice task."""
    t = types.SimpleNamespace()
    t.config = types.SimpleNamespace(process_results=None)
    t.OUTPUT_TYPE = "multiple_choice"
    t._metric_fn_list = {m: None for m in ["acc", "acc_norm", "acc_bytes", "exact_match", "acc_mutual_info"]}
    t.multiple_input = False
    t.multiple_target = False
    t.doc_to_choice = lambda doc: doc["choices"]
    t.doc_to_target = lambda doc: doc["gold"]
    return t


def main():
    rng = random.Random(20261207)
    task = fake_task()
    items = []
    metrics = {m: [] for m in task._metric_fn_list}
    for _ in range(1000):
        n = rng.randint(2, 7)
        choices = rng.sample(POOL, n)
        gold = rng.randrange(n)
        # Coarse values make exact ties (raw and normalised) frequent.
        grid = rng.choice([0.5, 0.25, 1.0, None])
        def ll():
            v = -rng.uniform(0.0, 30.0)
            return round(v / grid) * grid if grid else v
        lls = [ll() for _ in range(2 * n)]
        greedy = [rng.random() < 0.3 for _ in range(2 * n)]
        doc = {"choices": choices, "gold": gold}
        out = ConfigurableTask.process_results(task, doc, list(zip(lls, greedy)))
        for m in metrics:
            metrics[m].append(float(out[m]))
        items.append({"choices": choices, "gold": gold, "lls": lls, "greedy": greedy,
                      "expected": {m: float(out[m]) for m in metrics}})
    agg = {m: {"mean": mean(v), "stderr": mean_stderr(v)} for m, v in metrics.items()}
    print(json.dumps({"lm_eval_version": lm_eval.__version__ if hasattr(lm_eval, "__version__") else "0.4.13",
                      "items": items, "aggregate": agg}, ensure_ascii=False))


if __name__ == "__main__":
    main()
