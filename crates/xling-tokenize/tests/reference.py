"""Reference side of xling-tokenize's parity tests: the Python packages the Rust numbers must equal.

Reads one JSON request on stdin, writes one JSON answer on stdout. Run by tests/parity.rs with the
venv that scripts/install-test-assets builds (.cache/venv: tokenizers, tiktoken, tokenization-scorer).

Requests:
  {"mode": "encode", "hf": "path/tokenizer.json", "texts": [...]}
  {"mode": "encode", "tiktoken": "o200k_base", "rank_file": "path", "texts": [...]}
  {"mode": "encode", "spm": "path/x.model", "texts": [...]}
      -> {"counts": [n, ...], "hashes": [sha256(",".join(ids)), ...], "rank_file_sha256_ok": bool}
  {"mode": "scorer", "alpha": 2.5, "docs": ["tok tok ...\\n...", ...]}
      -> {"renyi": [...], "shannon": [...]}   (tokenization_scorer.score on each doc)
  {"mode": "qtok", "files": ["path/tokenizer.json", ...]}
      -> {"tokens": [n, ...], "categories": [{category: count}, ...], "scripts": [{"cat|SCRIPT": count}, ...],
          "meta": [{token: category}, ...], "unidata": unicodedata version}
         (qtok's own load_vocab and get_classification)
"""

import hashlib
import json
import sys


def digest(ids):
    return hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()


def encode(req):
    out = {}
    if "hf" in req:
        from tokenizers import Tokenizer

        tk = Tokenizer.from_file(req["hf"])
        tk.no_padding()
        tk.no_truncation()
        encs = tk.encode_batch(req["texts"], add_special_tokens=False)
        ids = [e.ids for e in encs]
    elif "spm" in req:
        import sentencepiece

        sp = sentencepiece.SentencePieceProcessor(model_file=req["spm"])
        ids = sp.encode(req["texts"])
    else:
        import tiktoken
        import tiktoken.load
        import tiktoken_ext.openai_public as op

        name, path = req["tiktoken"], req["rank_file"]
        checked = {}

        def local_bpe(_url, expected_hash=None):
            data = open(path, "rb").read()
            checked["ok"] = hashlib.sha256(data).hexdigest() == expected_hash
            return tiktoken.load.load_tiktoken_bpe(path)

        # tiktoken downloads its rank files; serve the one given instead, and check it is the official
        # file by the hash tiktoken itself expects.
        op.load_tiktoken_bpe = local_bpe
        enc = tiktoken.Encoding(**getattr(op, name)())
        ids = enc.encode_ordinary_batch(req["texts"])
        out["rank_file_sha256_ok"] = checked.get("ok", False)
    out["counts"] = [len(i) for i in ids]
    out["hashes"] = [digest(i) for i in ids]
    return out


def scorer(req):
    import tokenization_scorer

    a = req["alpha"]
    return {
        "renyi": [tokenization_scorer.score(d, metric="renyi", power=a) for d in req["docs"]],
        "shannon": [tokenization_scorer.score(d, metric="shannon") for d in req["docs"]],
    }


def qtok(req):
    from collections import Counter

    from qtok.qtoklib.classification import get_classification
    from qtok.qtoklib.tokenizer import load_vocab

    out = {"tokens": [], "categories": [], "scripts": [], "meta": [], "unidata": None}
    import unicodedata

    out["unidata"] = unicodedata.unidata_version
    for f in req["files"]:
        vocab = load_vocab(f)
        meta, _ = get_classification(vocab)
        out["tokens"].append(len(vocab))
        out["categories"].append(dict(Counter(meta[t][0] for t in vocab)))
        out["scripts"].append(
            dict(Counter(f"{meta[t][0]}|{meta[t][1]}" for t in vocab if "alpha" in meta[t][0]))
        )
        out["meta"].append({t: meta[t][0] for t in vocab})
    return out


def main():
    req = json.load(sys.stdin)
    mode = req["mode"]
    res = encode(req) if mode == "encode" else scorer(req) if mode == "scorer" else qtok(req)
    json.dump(res, sys.stdout)


if __name__ == "__main__":
    main()
