#!/usr/bin/env python3
"""Reference values for xling-model and xling-align, computed with HF transformers on the same GGUF.

Produces two fixtures (committed under crates/xling-model/tests/fixtures and crates/xling-align/tests/fixtures):

  hidden  -- for a few prompts in different scripts: transformers' token ids, every hidden state pooled
             two ways (position-weighted mean, last token), the next-token log-probabilities of the top 10,
             and log-likelihoods of a few continuations.
  mexa    -- the MEXA protocol (cisnlp/Mexa: embed_extractor.py + compute_mexa.py, re-implemented here from
             their definitions in ../shared/reference/methods.md §1) for a pivot and several languages over
             the first N FLORES devtest sentences: per-layer alignment for weighted and last-token embeddings.

Run once (torch is a multi-GB install, so CI uses the committed output, not this script):

  python3 -m venv .cache/torch-venv && .cache/torch-venv/bin/pip install torch transformers gguf accelerate scipy
  .cache/torch-venv/bin/python scripts/reference/gemma3_transformers.py hidden MODEL.gguf OUT.json
  .cache/torch-venv/bin/python scripts/reference/gemma3_transformers.py mexa MODEL.gguf FLORES_DEVTEST_DIR OUT.json \
      [--langs deu_Latn,rus_Cyrl,...] [--num-sents 100]

Versions used for the committed fixtures are recorded inside them.
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import transformers
from scipy.spatial import distance
from transformers import AutoModelForCausalLM, AutoTokenizer

PROMPTS = [
    "The capital of France is",
    "भारत की राजधानी नई दिल्ली है।",
    "北京是中华人民共和国的首都。",
    "Москва — столица России.",
    "Two  spaces,\u00a0a non-breaking one, and 3 digits: 123.",
]
CONTINUATIONS = [("The capital of France is", c) for c in [" Paris.", " London.", " Berlin.", " a city."]]


def load(model_path):
    d, f = os.path.split(os.path.abspath(model_path))
    tok = AutoTokenizer.from_pretrained(d, gguf_file=f)
    model = AutoModelForCausalLM.from_pretrained(
        d, gguf_file=f, torch_dtype=torch.float32, attn_implementation="eager"
    )
    model.eval()
    return tok, model


def versions():
    return {"torch": torch.__version__, "transformers": transformers.__version__, "numpy": np.__version__}


def embed(model, ids):
    """All hidden states of one sentence (batch of 1, as the MEXA reference runs): [layers, T, d] float64."""
    with torch.no_grad():
        out = model(torch.tensor([ids]), output_hidden_states=True)
    return np.stack([h[0].double().numpy() for h in out.hidden_states]), out.logits[0].double().numpy()


def weighted(h):
    """SGPT position-weighted mean: weights 1..T."""
    t = h.shape[1]
    w = np.arange(1, t + 1, dtype=np.float64)
    return (h * w[None, :, None]).sum(axis=1) / w.sum()


def log_softmax(x):
    m = x.max()
    return x - m - np.log(np.exp(x - m).sum())


def cmd_hidden(args):
    tok, model = load(args.model)
    prompts = []
    for p in PROMPTS:
        ids = tok(p)["input_ids"]
        h, logits = embed(model, ids)
        lp = log_softmax(logits[-1])
        top = np.argsort(-lp)[:10]
        prompts.append(
            {
                "text": p,
                "ids": ids,
                "weighted": [[round(float(v), 6) for v in row] for row in weighted(h)],
                "last": [[round(float(v), 6) for v in row] for row in h[:, -1, :]],
                "top10": [[int(i), float(lp[i])] for i in top],
            }
        )
    conts = []
    for ctx, cont in CONTINUATIONS:
        cids = tok(ctx)["input_ids"]
        full = tok(ctx + cont)["input_ids"]
        assert full[: len(cids)] == cids
        _, logits = embed(model, full)
        total = 0.0
        for pos in range(len(cids), len(full)):
            total += float(log_softmax(logits[pos - 1])[full[pos]])
        conts.append({"context": ctx, "continuation": cont, "context_ids": cids, "ids": full, "loglik": total})
    json.dump({"versions": versions(), "prompts": prompts, "continuations": conts}, open(args.out, "w"), indent=0)


def mexa_score(pivot, target):
    """compute_mexa.py: diagonal strictly above every other entry of its row and its column."""
    n = min(len(pivot), len(target))
    c = np.array([[1 - distance.cosine(pivot[i], target[j]) for j in range(n)] for i in range(n)])
    hits = 0
    for i in range(n):
        row = np.delete(c[i, :], i)
        col = np.delete(c[:, i], i)
        if c[i, i] > row.max() and c[i, i] > col.max():
            hits += 1
    return hits / n


def cmd_mexa(args):
    tok, model = load(args.model)
    langs = [args.pivot] + [l for l in args.langs.split(",") if l != args.pivot]
    emb = {}
    ntok = 0
    t0 = time.time()
    for lang in langs:
        with open(os.path.join(args.flores, f"{lang}.devtest"), encoding="utf-8") as f:
            lines = [l.strip() for l in f.readlines()[: args.num_sents]]
        w, last = [], []
        for line in lines:
            ids = tok(line)["input_ids"]
            ntok += len(ids)
            h, _ = embed(model, ids)
            w.append(weighted(h))
            last.append(h[:, -1, :])
        emb[lang] = {"weighted": np.stack(w, axis=1), "last": np.stack(last, axis=1)}  # [layers, n, d]
        print(f"{lang}: {len(lines)} sentences", file=sys.stderr)
    secs = time.time() - t0
    out = {"versions": versions(), "pivot": args.pivot, "num_sents": args.num_sents, "scores": {}}
    for lang in langs[1:]:
        out["scores"][lang] = {}
        for kind in ("weighted", "last"):
            p, t = emb[args.pivot][kind], emb[lang][kind]
            out["scores"][lang][kind] = [mexa_score(p[l], t[l]) for l in range(p.shape[0])]
    out["tokens"] = ntok
    out["seconds"] = secs
    json.dump(out, open(args.out, "w"), indent=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    h = sub.add_parser("hidden")
    h.add_argument("model")
    h.add_argument("out")
    m = sub.add_parser("mexa")
    m.add_argument("model")
    m.add_argument("flores")
    m.add_argument("out")
    m.add_argument("--pivot", default="eng_Latn")
    m.add_argument("--langs", default="deu_Latn,rus_Cyrl,hin_Deva,arb_Arab,zho_Hans,amh_Ethi")
    m.add_argument("--num-sents", type=int, default=100)
    args = ap.parse_args()
    torch.set_num_threads(1)
    {"hidden": cmd_hidden, "mexa": cmd_mexa}[args.cmd](args)


if __name__ == "__main__":
    main()
