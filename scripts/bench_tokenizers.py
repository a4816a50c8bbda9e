"""The Python side of scripts/bench-tokenizers: the same per-language tokenizer metrics as
`xling tokenizers`, computed the way a Python user would (HF `tokenizers` for tokenizer.json files,
`tiktoken` for o200k_base/cl100k_base, metrics in Python), timed.

usage: bench_tokenizers.py FLORES_DIR RANK_DIR NAME=SPEC...
  SPEC is a tokenizer.json path, or o200k_base / cl100k_base (rank file RANK_DIR/<name>.tiktoken).
Prints one JSON object: per tokenizer, encode seconds, total seconds and total tokens.
"""

import bisect
import glob
import hashlib
import json
import math
import os
import re
import sys
import time
from collections import Counter

UNSPACED = {"Hani", "Hans", "Hant", "Jpan", "Thai", "Laoo", "Khmr", "Mymr", "Tibt"}
WS = re.compile(r"\S+")
WORD = re.compile(r"\w+")  # stand-in for UAX #29 (not in the standard library)


def load_corpus(d):
    out = []
    for p in sorted(glob.glob(os.path.join(d, "*.devtest"))):
        code = os.path.basename(p).split(".")[0]
        with open(p, encoding="utf-8") as f:
            lines = f.read().splitlines()
        out.append((code, " ".join(lines)))
    return out


def byte_level_inverse():
    bs = list(range(0x21, 0x7F)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    inv = {chr(b): b for b in bs}
    n = 0
    for b in range(256):
        if b not in bs:
            inv[chr(256 + n)] = b
            n += 1
    return inv


def hf_tokenizer(path):
    from tokenizers import Tokenizer

    tk = Tokenizer.from_file(path)
    tk.no_padding()
    tk.no_truncation()
    cfg = json.load(open(path, encoding="utf-8"))
    dec = json.dumps(cfg.get("decoder"))
    byte_level, fallback = '"ByteLevel"' in dec, '"ByteFallback"' in dec
    unk = (cfg.get("model") or {}).get("unk_token")
    unk_id = tk.token_to_id(unk) if unk else None
    inv = byte_level_inverse()
    byte_ids = set()
    for tok, i in tk.get_vocab(with_added_tokens=False).items():
        if fallback and re.fullmatch(r"<0x[0-9A-F]{2}>", tok):
            byte_ids.add(i)
        elif byte_level:
            b = bytes(inv.get(c, 0) for c in tok)
            try:
                b.decode("utf-8")
            except UnicodeDecodeError:
                byte_ids.add(i)

    def encode(texts):
        encs = tk.encode_batch(texts, add_special_tokens=False)
        return [(e.ids, e.offsets) for e in encs]

    # HF offsets are character offsets in Python.
    return encode, unk_id, byte_ids, "char"


def tiktoken_tokenizer(name, rank_dir):
    import tiktoken
    import tiktoken.load
    import tiktoken_ext.openai_public as op

    path = os.path.join(rank_dir, name + ".tiktoken")
    op.load_tiktoken_bpe = lambda _url, expected_hash=None: tiktoken.load.load_tiktoken_bpe(path)
    enc = tiktoken.Encoding(**getattr(op, name)())
    lens, byte_ids = {}, set()
    for r in range(enc.n_vocab):
        try:
            b = enc.decode_single_token_bytes(r)
        except KeyError:
            continue
        lens[r] = len(b)
        try:
            b.decode("utf-8")
        except UnicodeDecodeError:
            byte_ids.add(r)

    def encode(texts):
        out = []
        for ids in enc.encode_ordinary_batch(texts, num_threads=2):
            offs, pos = [], 0
            for i in ids:
                offs.append((pos, pos + lens[i]))
                pos += lens[i]
            out.append((ids, offs))
        return out

    return encode, None, byte_ids, "byte"


def metrics(text, script, ids, offsets, unit, unk_id, byte_ids, alpha=2.5):
    if unit == "byte":
        text_b = text.encode("utf-8")
        spans = [(m.start(), m.end()) for m in (WORD if script in UNSPACED else WS).finditer(text)]
        # convert word spans to byte offsets
        cum = [0]
        for ch in text:
            cum.append(cum[-1] + len(ch.encode("utf-8")))
        spans = [(cum[s], cum[e]) for s, e in spans]
        space = lambda i: text_b[i : i + 1].isspace()
    else:
        spans = [(m.start(), m.end()) for m in (WORD if script in UNSPACED else WS).finditer(text)]
        space = lambda i: text[i].isspace()
    ends = [e for _, e in spans]
    per_word = [0] * len(spans)
    for s, e in offsets:
        a = next((i for i in range(s, e) if not space(i)), None)
        if a is None:
            continue
        w = bisect.bisect_right(ends, a)
        if w < len(spans) and spans[w][0] <= a:
            per_word[w] += 1
    n = len(ids)
    counts = Counter(ids)
    probs = [c / n for c in counts.values()]
    v = len(probs)
    renyi = math.log2(sum(p**alpha for p in probs)) / (1 - alpha) / math.log2(v) if v > 1 else None
    shannon = -sum(p * math.log2(p) for p in probs) / math.log2(v) if v > 1 else None
    words = len(spans)
    return {
        "tokens": n,
        "fertility": n / words if words else None,
        "continued": sum(1 for c in per_word if c >= 2) / words if words else None,
        "single": sum(1 for c in per_word if c == 1) / words if words else None,
        "chars_per_token": len(text) / n if n else None,
        "bytes_per_token": len(text.encode("utf-8")) / n if n else None,
        "unknown": sum(1 for i in ids if i == unk_id) / n if n else None,
        "byte_tokens": sum(1 for i in ids if i in byte_ids) / n if n else None,
        "renyi": renyi,
        "shannon": shannon,
    }


def main():
    flores, rank_dir, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
    corpus = load_corpus(flores)
    texts = [t for _, t in corpus]
    scripts = [c.split("_")[1] for c, _ in corpus]
    res = {"languages": len(corpus), "tokenizers": {}}
    for spec in specs:
        name, src = spec.split("=", 1)
        c0 = time.process_time()
        t0 = time.perf_counter()
        if src.endswith(".json"):
            encode, unk_id, byte_ids, unit = hf_tokenizer(src)
        else:
            encode, unk_id, byte_ids, unit = tiktoken_tokenizer(src, rank_dir)
        t1, c1 = time.perf_counter(), time.process_time()
        encs = encode(texts)
        t2, c2 = time.perf_counter(), time.process_time()
        rows = [
            metrics(t, s, ids, offs, unit, unk_id, byte_ids)
            for t, s, (ids, offs) in zip(texts, scripts, encs)
        ]
        base = rows[[c for c, _ in corpus].index("eng_Latn")]["tokens"]
        for r in rows:
            r["premium"] = r["tokens"] / base
        t3, c3 = time.perf_counter(), time.process_time()
        res["tokenizers"][name] = {
            "load_s": t1 - t0,
            "encode_s": t2 - t1,
            "metrics_s": t3 - t2,
            "load_cpu": c1 - c0,
            "encode_cpu": c2 - c1,
            "metrics_cpu": c3 - c2,
            "tokens": sum(r["tokens"] for r in rows),
        }
        print(
            f"python {name}: encode {t2 - t1:.1f} s (cpu {c2 - c1:.1f}), metrics {t3 - t2:.1f} s (cpu {c3 - c2:.1f})",
            file=sys.stderr,
        )
    json.dump(res, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
