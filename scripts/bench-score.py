#!/usr/bin/env python3
"""Driver of scripts/bench-score: times sacrebleu's Python API and CLI against `xling score`.

Usage: bench-score.py WORKDIR XLING REPS   (WORKDIR holds ref10k.txt and hyp10k.txt)
sacrebleu API times are measured inside a fresh Python process per run (corpus_score or the sentence_score
loop only, as in methods.md §4.8); xling and both CLIs are timed as whole processes (start, reading the
files, scoring, printing), which favours sacrebleu's API numbers.
"""
import os
import shutil
import statistics
import subprocess
import sys
import time

WORK, XLING, REPS = sys.argv[1], sys.argv[2], int(sys.argv[3])
PY = sys.executable
SACREBLEU = os.path.join(os.path.dirname(PY), "sacrebleu")

# name, sacrebleu constructor, xling arguments, sentence level?
CASES = [
    ("BLEU 13a", "BLEU()", ["-m", "bleu"], False),
    ("BLEU intl", "BLEU(tokenize='intl')", ["-m", "bleu", "-tok", "intl"], False),
    ("BLEU zh", "BLEU(tokenize='zh')", ["-m", "bleu", "-tok", "zh"], False),
    ("BLEU char", "BLEU(tokenize='char')", ["-m", "bleu", "-tok", "char"], False),
    ("chrF", "CHRF()", ["-m", "chrf"], False),
    ("chrF++", "CHRF(word_order=2)", ["-m", "chrf", "--chrf-word-order", "2"], False),
    ("TER", "TER()", ["-m", "ter"], False),
    ("sentence BLEU x10k", "BLEU(effective_order=True)", ["-m", "bleu", "-sl"], True),
    ("sentence chrF x10k", "CHRF()", ["-m", "chrf", "-sl"], True),
]

API = r"""
import sys, time
from sacrebleu.metrics import BLEU, CHRF, TER
refs = open("ref10k.txt", encoding="utf-8").read().splitlines()
hyps = open("hyp10k.txt", encoding="utf-8").read().splitlines()
m = {ctor}
t = time.perf_counter()
if {sentence}:
    scores = [m.sentence_score(h, [r]).score for h, r in zip(hyps, refs)]
else:
    scores = [m.corpus_score(hyps, [refs]).score]
dt = time.perf_counter() - t
print(dt)
print("\n".join(f"{{s:.17f}}" for s in scores))
"""


def run(cmd):
    t = time.perf_counter()
    p = subprocess.run(cmd, cwd=WORK, capture_output=True, text=True, check=True)
    return time.perf_counter() - t, p.stdout


def add_spm_case():
    """spBLEU: sacrebleu's flores200 tokenizer reads its model from $SACREBLEU/models/; both tools get the
    same local SentencePiece file (BENCH_SPM_MODEL, default the Mistral v1 model of the test assets)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    model = os.environ.get("BENCH_SPM_MODEL", os.path.join(root, ".cache", "spm", "mistral-v1.model"))
    if not os.path.exists(model):
        print(f"no SentencePiece model at {model}: skipping spBLEU", file=sys.stderr)
        return
    cache = os.path.join(WORK, "sacrebleu")
    os.makedirs(os.path.join(cache, "models"), exist_ok=True)
    local = os.path.join(cache, "models", "flores200sacrebleuspm")
    shutil.copyfile(model, local)
    os.environ["SACREBLEU"] = cache
    CASES.insert(4, ("BLEU flores200 (spm model)", "BLEU(tokenize='flores200')",
                     ["-m", "bleu", "-tok", "flores200", "--spm-model", local], False))


def main():
    add_spm_case()
    print(f"10,000 pairs; refs {os.path.getsize(os.path.join(WORK, 'ref10k.txt')):,} bytes; "
          f"{REPS} runs each, median; {os.cpu_count()} CPUs", file=sys.stderr)
    rows = []
    for name, ctor, xargs, sentence in CASES:
        api_times, x_times = [], []
        api_out = x_out = None
        for _ in range(REPS):
            _, out = run([PY, "-c", API.format(ctor=ctor, sentence=sentence)])
            dt, scores = out.split("\n", 1)
            api_times.append(float(dt))
            api_out = scores.strip()
            dt, out = run([XLING, "score", "ref10k.txt", "-i", "hyp10k.txt", *xargs, "-b", "-w", "17"])
            x_times.append(dt)
            x_out = out.strip()
        same = api_out == x_out
        if not same:
            print(f"MISMATCH in {name}", file=sys.stderr)
        a, x = statistics.median(api_times), statistics.median(x_times)
        shown = api_out.splitlines()[0] if not sentence else f"{len(api_out.splitlines())} scores"
        rows.append((name, shown, same, a, x))
        print(f"{name}: sacrebleu {a:.3f} s, xling {x:.3f} s, {a / x:.1f}x, identical={same}", file=sys.stderr)
    # Whole CLI: three metrics, score only.
    cli_args = ["ref10k.txt", "-i", "hyp10k.txt", "-m", "bleu", "chrf", "ter", "-b", "-w", "17"]
    s_times, x_times = [], []
    s_out = x_out = None
    for _ in range(REPS):
        dt, s_out = run([SACREBLEU, *cli_args])
        s_times.append(dt)
        dt, x_out = run([XLING, "score", *cli_args])
        x_times.append(dt)
    same = s_out == x_out
    a, x = statistics.median(s_times), statistics.median(x_times)
    rows.append(("CLI `-m bleu chrf ter -b`", "3 scores", same, a, x))
    print("| metric (1 ref) | score (sacrebleu) | identical | sacrebleu 2.6.0 | xling score | speed-up |")
    print("|---|---|---|---|---|---|")
    for name, shown, same, a, x in rows:
        shown = shown if "scores" in shown else f"{float(shown):.4f}"
        print(f"| {name} | {shown} | {'yes' if same else '**NO**'} | {a:.3f} s | {x:.3f} s | {a / x:.1f}× |")
    if not all(r[2] for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
