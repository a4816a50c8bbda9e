"""llama-cpp-python's OpenAI-compatible server, with its top-logprob sort done by numpy.

Usage: .cache/llama-venv/bin/python scripts/llama-cpp-server.py [llama_cpp.server arguments]
       .cache/llama-venv/bin/python scripts/llama-cpp-server.py --self-test [MODEL.gguf]

Why: llama-cpp-python (0.3.x) answers a completion request with `echo` and `logprobs` by sorting, for
every prompt token, all (logprob, token id) pairs of the vocabulary with Python's `sorted`, and then
keeps the first `logprobs` of them. With Gemma-3's 262,144-token vocabulary that is ~0.4 s per prompt
token plus as much again freeing the pairs: a 183-token SIB-200 request takes ~88 s, 98% of it in that
bookkeeping and ~1.2 s in llama.cpp. SIB-200 in 204 languages would take ~30 hours on a 2-core machine.

What this changes: nothing the server computes or answers. The name `sorted` is shadowed inside the
module `llama_cpp.llama` only; a call of exactly the shape that module uses for top logprobs —
`sorted(zip(row, range(len(row))), reverse=True)` with `row` a 1-D numpy array, made by a caller whose
local `logprobs` is the int the request asked for — returns the first `logprobs` pairs in the order the
built-in gives them (larger value first; equal values: larger token id first), with the same element
types (numpy scalar, int). Since the caller reads only `[:logprobs]` of the list, every response is
identical to the unpatched server's. Any other call goes to the built-in `sorted` unchanged.
`--self-test` checks the equivalence against the built-in on rows with ties and infinities, and with
a model also answers one echo+logprobs completion with and without the launcher's `sorted` and
compares the two responses.

The harness tests (crates/xling-cli/tests/eval_local.rs) run the unpatched server; scripts/eval-e2e
uses this launcher for its SIB-200 run through llama.cpp.
"""

import builtins
import runpy
import sys
import time

import numpy as np

_builtin_sorted = builtins.sorted


def _row_of(iterable):
    """The numpy row behind `zip(row, range(len(row)))`, or None for anything else."""
    if type(iterable) is not zip:
        return None
    try:
        _, parts = iterable.__reduce__()
        if len(parts) != 2:
            return None
        (f1, (row,), at1), (f2, (ids,), at2) = (p.__reduce__() for p in parts)
    except (TypeError, ValueError, AttributeError):
        return None
    if f1 is not iter or f2 is not iter or at1 != 0 or at2 != 0:
        return None
    if not isinstance(row, np.ndarray) or row.ndim != 1 or ids != range(len(row)):
        return None
    if np.isnan(row).any():
        return None  # the built-in's order with NaN depends on comparison quirks: leave it to it
    return row


def top_pairs(row, k):
    """The first `k` items of `sorted(zip(row, range(len(row))), reverse=True)`."""
    k = max(0, min(k, len(row)))
    if k == 0:
        return []
    # Every value tied with the k-th largest may belong to the head: take them all, then order.
    kth = np.partition(row, len(row) - k)[len(row) - k]
    cand = np.flatnonzero(row >= kth)
    order = np.lexsort((-cand, -row[cand].astype(np.float64)))[:k]
    return [(row[i], int(i)) for i in cand[order]]


def _fast_sorted(iterable, /, *, key=None, reverse=False):
    if key is None and reverse:
        caller = sys._getframe(1)
        k = caller.f_locals.get("logprobs")
        row = _row_of(iterable) if type(k) is int else None
        if row is not None:
            return top_pairs(row, k)
    return _builtin_sorted(iterable, key=key, reverse=reverse)


def self_test():
    rng = np.random.default_rng(7)
    rows = [
        rng.normal(size=5000).astype(np.float32),
        np.round(rng.normal(size=5000), 1).astype(np.float32),  # many ties
        np.array([0.0, -np.inf, 0.0, -1.0, -np.inf, 0.0], dtype=np.float32),
        np.full(64, -2.5, dtype=np.float32),
        np.array([], dtype=np.float32),
    ]
    for row in rows:
        full = _builtin_sorted(zip(row, range(len(row))), reverse=True)
        assert _row_of(zip(row, range(len(row)))) is not None
        for k in (0, 1, 2, 5, 20, len(row), len(row) + 3):
            got = top_pairs(row, k)
            want = full[:k]
            assert [(float(v), i) for v, i in got] == [(float(v), i) for v, i in want], (row[:8], k)
            assert all(type(a[0]) is type(b[0]) for a, b in zip(got, want))
    # Other shapes are not taken over.
    assert _row_of(zip([1.0, 2.0], range(2))) is None
    assert _row_of(zip(np.zeros(3), range(2))) is None
    it = zip(np.zeros(3), range(3))
    next(it)
    assert _row_of(it) is None
    print("llama-cpp-server.py: top-logprob sort equals the built-in on", len(rows), "rows")


def self_test_model(path):
    import llama_cpp.llama

    llm = llama_cpp.llama.Llama(path, logits_all=True, n_ctx=256, verbose=False)
    prompt = "Topic of the text: Τα πτηνά είναι δεινόσαυροι.\nAnswer: science"
    answers, secs = [], []
    for patched in (False, True):
        llama_cpp.llama.sorted = _fast_sorted if patched else _builtin_sorted
        llm.reset()
        t0 = time.perf_counter()
        out = llm.create_completion(prompt, max_tokens=1, echo=True, logprobs=3, temperature=0)
        secs.append(time.perf_counter() - t0)
        answers.append(out["choices"])
    del llama_cpp.llama.sorted
    assert answers[0] == answers[1], answers
    n = len(answers[0][0]["logprobs"]["tokens"])
    print(
        f"llama-cpp-server.py: the same completion patched and unpatched ({n} tokens, top 3;"
        f" {secs[1]:.2f} s vs {secs[0]:.2f} s)"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--self-test"] and len(sys.argv) <= 3:
        self_test()
        if len(sys.argv) == 3:
            self_test_model(sys.argv[2])
        sys.exit(0)
    import llama_cpp.llama

    llama_cpp.llama.sorted = _fast_sorted
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
