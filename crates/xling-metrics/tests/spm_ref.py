#!/usr/bin/env python3
"""Reference for tests/spm_parity.rs: sacrebleu 2.6.0's SentencePiece BLEU tokenizers on local models.

Usage: spm_ref.py INPUT.json OUTPUT.json
INPUT: {"dir": work directory, "train": [lines], "corpora": [{"hyps": [...], "refs": [[...], ...]}],
        "trained": [{"name", "options": {SentencePieceTrainer options}}],
        "external": [{"name", "path"}],
        "kinds": ["flores101", "flores200", "spm", "spBLEU-1K"]}
Trains the "trained" models on "train" with the sentencepiece trainer (written to DIR/NAME.model), then,
for every model, points sacrebleu's model cache at it (sacrebleu downloads its models at run time; here its
cache directory is replaced by DIR/sacrebleu-NAME/ holding the model under sacrebleu's file name) and
scores every corpus with BLEU(tokenize=KIND) for one kind per model, lowercased and not, corpus and
sentence level.
OUTPUT: {"models": [{"name", "path", "kind", "tokenized": [" ".join(EncodeAsPieces(line)) per line of
         every corpus, hyps then refs], "corpus": [[{"score", "sig", "short"} lowercase false, true] per
         corpus], "sentence": [[score per segment] per corpus]}]}
"""
import json
import logging
import os
import shutil
import sys

import sentencepiece as spm
import sacrebleu
from sacrebleu.metrics import BLEU
from sacrebleu.tokenizers import tokenizer_spm

logging.getLogger("sacrebleu").setLevel(logging.ERROR)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        data = json.load(f)
    work = data["dir"]
    models = []
    for t in data["trained"]:
        path = os.path.join(work, t["name"] + ".model")
        spm.SentencePieceTrainer.train(sentence_iterator=iter(data["train"]),
                                       model_prefix=os.path.join(work, t["name"]), minloglevel=2,
                                       **t["options"])
        models.append((t["name"], path))
    for e in data["external"]:
        models.append((e["name"], e["path"]))
    lines = [l for c in data["corpora"] for l in c["hyps"] + [r for s in c["refs"] for r in s]]
    out = []
    for i, (name, path) in enumerate(models):
        kind = data["kinds"][i % len(data["kinds"])]
        cache = os.path.join(work, "sacrebleu-" + name)
        os.makedirs(os.path.join(cache, "models"), exist_ok=True)
        url = tokenizer_spm.SPM_MODELS[kind]["url"]
        shutil.copyfile(path, os.path.join(cache, "models", os.path.basename(url)))
        tokenizer_spm.SACREBLEU_DIR = cache
        sp = spm.SentencePieceProcessor()
        sp.Load(path)
        tokenized = [" ".join(sp.EncodeAsPieces(l)) for l in lines]
        metrics = [BLEU(tokenize=kind, lowercase=lc) for lc in (False, True)]
        sent = BLEU(tokenize=kind, effective_order=True)
        corpus, sentence = [], []
        for c in data["corpora"]:
            row = []
            for m in metrics:
                s = m.corpus_score(c["hyps"], c["refs"])
                sig = m.get_signature()
                row.append({"score": s.score, "sig": sig.format(), "short": sig.format(short=True)})
            corpus.append(row)
            sentence.append([sent.sentence_score(h, [r[j] for r in c["refs"]]).score
                             for j, h in enumerate(c["hyps"])])
        out.append({"name": name, "path": path, "kind": kind, "tokenized": tokenized, "corpus": corpus,
                    "sentence": sentence})
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump({"version": sacrebleu.__version__, "models": out}, f)


if __name__ == "__main__":
    main()
