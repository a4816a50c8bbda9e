"""Side-by-side sentence segmentation benchmark: xling vs pysbd, NLTK Punkt and spaCy's sentencizer.

Quality: WtP's protocol (preprocess gold sentences, join with the language's separator, binary F1 over
boundary positions, macro over languages) on clean and corrupted (lower-cased, punctuation removed) text,
for every tool on the same gold data. Speed: rule-based segmentation of the same text by xling and pysbd.

Usage: bench_segment.py XLING_BINARY GOLD_DIR TRAIN_DIR
  GOLD_DIR: UD-PUD TSVs (<lang>_pud.tsv with a `text` column); TRAIN_DIR: FLORES-200 dev subset TSVs
  (<flores code>.tsv), used to train Punkt, since NLTK's pretrained Punkt pickles are not on PyPI.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unicodedata

import pysbd
import spacy
from nltk.tokenize.punkt import PunktSentenceTokenizer, PunktTrainer

# UD-PUD language -> FLORES dev-subset file used to train Punkt.
FLORES = {
    "ar": "arb_Arab", "cs": "ces_Latn", "de": "deu_Latn", "en": "eng_Latn", "es": "spa_Latn", "fi": "fin_Latn",
    "fr": "fra_Latn", "hi": "hin_Deva", "id": "ind_Latn", "is": "isl_Latn", "it": "ita_Latn", "ko": "kor_Hang",
    "pl": "pol_Latn", "pt": "por_Latn", "ru": "rus_Cyrl", "sv": "swe_Latn", "th": "tha_Thai", "tr": "tur_Latn",
    "zh": "zho_Hans",
}
UNSPACED = {"zh", "ja", "th", "my", "km", "lo"}


def preprocess(s):
    s = s.replace("\u200f", "")
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", s.lstrip("-").strip()))


def corrupt(s):
    return "".join(c for c in s if not unicodedata.category(c).startswith("P")).lower()


def read_text_column(path):
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        col = header.index("text")
        return [line.rstrip("\n").split("\t")[col] for line in f if line.strip()]


def gold(sentences, sep):
    text = sep.join(sentences)
    pos, labels = 0, set()
    for i, s in enumerate(sentences):
        pos += len(s) + (len(sep) if i > 0 else 0)
        labels.add(pos + len(sep) if i + 1 < len(sentences) else pos)
    return text, labels


def predicted_positions(text, pieces):
    """Cumulative ends of predicted sentences, located in the text (like wtpsplit's reconstruction)."""
    ends, i = set(), 0
    for p in pieces:
        p = p.strip()
        if not p:
            continue
        j = text.find(p, i)
        if j < 0:
            continue
        i = j + len(p)
        k = i
        while k < len(text) and text[k].isspace():
            k += 1
        ends.add(k)
    ends.add(len(text))
    return ends


def f1(labels, pred):
    tp = len(labels & pred)
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + len(pred - labels) + len(labels - pred))


def main():
    xling, gold_dir, train_dir = sys.argv[1:4]
    langs = sorted(f.split("_")[0] for f in os.listdir(gold_dir) if f.endswith("_pud.tsv"))
    results = {}
    timing = {"pysbd": 0.0, "punkt": 0.0, "spacy": 0.0}
    for setting in ("clean", "corrupted"):
        for lang in langs:
            sents = [preprocess(s) for s in read_text_column(os.path.join(gold_dir, f"{lang}_pud.tsv"))]
            if setting == "corrupted":
                sents = [x for x in (preprocess(corrupt(s)) for s in sents) if x]
            sep = "" if lang in UNSPACED else " "
            text, labels = gold(sents, sep)
            row = results.setdefault(setting, {}).setdefault(lang, {})
            # pysbd
            try:
                seg = pysbd.Segmenter(language=lang, clean=False)
                t = time.perf_counter()
                pieces = seg.segment(text)
                timing["pysbd"] += time.perf_counter() - t
                row["pysbd"] = f1(labels, predicted_positions(text, pieces))
            except ValueError:
                row["pysbd"] = None
            # Punkt, trained on the FLORES dev subset of the language
            train = read_text_column(os.path.join(train_dir, FLORES[lang] + ".tsv"))
            trainer = PunktTrainer()
            trainer.train(" ".join(train), finalize=True)
            tok = PunktSentenceTokenizer(trainer.get_params())
            t = time.perf_counter()
            row["punkt"] = f1(labels, predicted_positions(text, tok.tokenize(text)))
            timing["punkt"] += time.perf_counter() - t
            # spaCy sentencizer
            try:
                nlp = spacy.blank(lang)
                nlp.add_pipe("sentencizer")
                nlp.max_length = len(text) + 1
                t = time.perf_counter()
                pieces = [s.text for s in nlp(text).sents]
                timing["spacy"] += time.perf_counter() - t
                row["spacy"] = f1(labels, predicted_positions(text, pieces))
            except Exception:  # languages whose tokenizer needs extra packages (th: pythainlp)
                row["spacy"] = None
        args = [xling, "segment", "eval", "--gold", gold_dir, "-f", "json"]
        if setting == "corrupted":
            args.append("--corrupt")
        out = json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)
        by_name = {r["language"]: r["f1"] for r in out["rows"]}
        code = {k: v for k, v in FLORES.items()}
        for lang in langs:
            results[setting][lang]["xling"] = by_name.get(code[lang])
        results[setting]["_signature"] = out["signature"]

    tools = ["xling", "punkt", "spacy", "pysbd"]
    for setting in ("clean", "corrupted"):
        print(f"\n### UD-PUD, {setting} text: F1 (%) by language")
        print("| lang | " + " | ".join(tools) + " |")
        print("|---|" + "---:|" * len(tools))
        for lang in langs:
            r = results[setting][lang]
            cells = ["–" if r[t] is None else f"{100 * r[t]:.1f}" for t in tools]
            print(f"| {lang} | " + " | ".join(cells) + " |")
        means = []
        for t in tools:
            v = [results[setting][l][t] for l in langs if results[setting][l][t] is not None]
            means.append(f"{100 * sum(v) / len(v):.1f} ({len(v)})")
        print("| **macro (langs)** | " + " | ".join(means) + " |")
        all_langs = [l for l in langs if all(results[setting][l][t] is not None for t in tools)]
        common = [f"{100 * sum(results[setting][l][t] for l in all_langs) / len(all_langs):.1f}" for t in tools]
        print(f"| **macro, {len(all_langs)} langs all tools cover** | " + " | ".join(common) + " |")
        print(f"\nxling signature: `{results[setting]['_signature']}`")

    # Speed: English UD-PUD text repeated to ~5 MB, rules mode.
    sents = [preprocess(s) for s in read_text_column(os.path.join(gold_dir, "en_pud.tsv"))]
    big = " ".join(sents)
    big = "\n".join([big] * max(1, 5_000_000 // len(big)))
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        f.write(big)
        path = f.name
    seg = pysbd.Segmenter(language="en", clean=False)
    t = time.perf_counter()
    n_py = sum(len(seg.segment(line)) for line in big.split("\n"))
    t_py = time.perf_counter() - t
    t = time.perf_counter()
    res = subprocess.run([xling, "segment", "-l", "en", "--mode", "rules", path], check=True, capture_output=True)
    t_x = time.perf_counter() - t
    n_x = res.stdout.count(b"\n")
    os.unlink(path)
    mb = len(big.encode()) / 1e6
    print(f"\n### Speed, rules mode, {mb:.1f} MB of English (UD-PUD repeated)")
    print(f"| tool | seconds | MB/s | sentences |\n|---|---:|---:|---:|")
    print(f"| pysbd 0.3.4 (in-process) | {t_py:.2f} | {mb / t_py:.2f} | {n_py} |")
    print(f"| xling segment (whole CLI run) | {t_x:.2f} | {mb / t_x:.1f} | {n_x} |")
    print(f"\nxling / pysbd speed ratio: **{t_py / t_x:.0f}×**")


if __name__ == "__main__":
    main()
