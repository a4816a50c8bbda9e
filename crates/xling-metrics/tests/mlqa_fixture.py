#!/usr/bin/env python3
"""Generates tests/data/mlqa_fixture.json: the reference answers for tests/qa_mlqa.rs.

Usage (from the repository root, with the test venv):
    .cache/venv/bin/python crates/xling-metrics/tests/mlqa_fixture.py > crates/xling-metrics/tests/data/mlqa_fixture.json

MLQA's evaluation script (mlqa_evaluation_v1.py, Lewis et al. 2020) is not on PyPI, so its answer
normalisation is restated below as the specification, with Python's own `re`, `str.lower`, `str.split`
and `unicodedata` doing the work, and evaluated on seeded random and hand-picked answers in the seven
languages (plus SQuAD v1.1's normalisation, "squad"). The Rust test compares xling's normalised strings,
exact match and F1 with these outputs; it needs no Python.
"""
import json
import random
import re
import string
import sys
import unicodedata
from collections import Counter

# --- the specification (MLQA mlqa_evaluation_v1.py and SQuAD evaluate-v1.1.py) ---
PUNCTUATION = set(string.punctuation) | {
    chr(cp) for cp in range(sys.maxunicode) if unicodedata.category(chr(cp))[0] == "P"}
ARTICLE_PATTERNS = {
    "en": r"\b(a|an|the)\b",
    "es": r"\b(un|una|unos|unas|el|la|los|las)\b",
    "vi": r"\b(của|là|cái|chiếc|những)\b",
    "de": r"\b(ein|eine|einen|einem|eines|einer|der|die|das|den|dem|des)\b",
    "ar": "\\sال^|ال",
}


def segment_mixed(text):
    """Whitespace tokens, with every CJK character of U+4E00..U+9FA5 (or punctuation) on its own."""
    tokens, pending = [], ""
    for ch in text:
        if re.search("[\u4e00-\u9fa5]", ch) or ch in PUNCTUATION:
            tokens.extend(pending.split())
            pending = ""
            tokens.append(ch)
        else:
            pending += ch
    tokens.extend(pending.split())
    return tokens


def normalize(s, lang):
    if lang == "squad":
        s = "".join(c for c in s.lower() if c not in set(string.punctuation))
        return " ".join(re.sub(r"\b(a|an|the)\b", " ", s).split())
    s = "".join(c for c in s.lower() if c not in PUNCTUATION)
    if lang in ARTICLE_PATTERNS:
        s = re.sub(ARTICLE_PATTERNS[lang], " ", s)
    tokens = segment_mixed(s) if lang == "zh" else s.split()
    return " ".join(t for t in tokens if t.strip() != "")


def f1(pred, gold, lang):
    p, g = normalize(pred, lang).split(), normalize(gold, lang).split()
    same = sum((Counter(p) & Counter(g)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(p), same / len(g)
    return (2 * precision * recall) / (precision + recall)
# --- end of the specification ---


PIECES = {
    "en": ["the", "The", "THE", "a", "A", "an", "An", "then", "theory", "ant", "apple", "Eiffel", "tower",
           "_the", "the_", "the1", "1a", "an't", "a.", "(the)", "don't", "U.S.", "$5", "e-mail", "“the”"],
    "es": ["el", "El", "la", "La", "los", "Las", "unos", "una", "un", "elefante", "lado", "niño", "¿qué?",
           "¡Hola!", "«la»", "l'la", "Año", "el-la", "Las_", "UNA"],
    "hi": ["भारत", "की", "राजधानी", "नई", "दिल्ली", "है।", "१९४७", "‘गांधी’", "॥", "क़", "ज़िंदगी", "the"],
    "vi": ["của", "Của", "là", "LÀ", "cái", "chiếc", "những", "nhà", "Hà", "Nội", "cu\u0309a", "cáix",
           "chiếc.", "người", "(của)"],
    "de": ["der", "Der", "die", "das", "DAS", "den", "dem", "des", "ein", "eine", "einen", "einem", "eines",
           "einer", "Straße", "dessen", "Dieser", "„die“", "Müller", "Zeit", "ein-", "–"],
    "ar": ["القاهرة", "ال", "الكتاب", "مصر", "عاصمة", "؟", "،", "كتاب", "لال", "ﺍﻟ", "الـ", "٢٠٢٤", "«مصر»"],
    "zh": ["北京", "大学", "2008", "年", "奥运会", "，", "。", "《红楼梦》", "abc", "中国人民", "𠀀", "龥", "龦",
           "〇", "（注）", "Beijing", "的"],
    "squad": ["the", "The", "a", "an", "Eiffel", "tower", "’s", "don't", "«the»", "_the", "théâtre", "An",
              "1,000", "“quoted”"],
}
SPACES = [" ", " ", " ", "  ", "\t", "\u3000", "\u00a0", ""]


def random_answer(rng, lang):
    pieces = PIECES[lang]
    words = [rng.choice(pieces) for _ in range(rng.randint(0, 6))]
    out = ""
    for i, w in enumerate(words):
        if i:
            out += rng.choice(SPACES)
        out += w
    if rng.random() < 0.2:
        out = rng.choice([" ", "", "\n"]) + out + rng.choice([" ", ".", "!"])
    return out


def main():
    rng = random.Random(20261126)
    cases = []
    for lang in PIECES:
        for _ in range(60):
            pred = random_answer(rng, lang)
            golds = [random_answer(rng, lang) for _ in range(rng.randint(1, 3))]
            if rng.random() < 0.3:
                golds.append(pred.upper() + " ")
            cases.append({
                "lang": lang, "prediction": pred, "answers": golds,
                "normalized": [normalize(x, lang) for x in [pred] + golds],
                "em": float(max(normalize(pred, lang) == normalize(g, lang) for g in golds)),
                "f1": max(f1(pred, g, lang) for g in golds),
            })
    json.dump({"python_unicode": unicodedata.unidata_version, "cases": cases}, sys.stdout,
              ensure_ascii=False, indent=0)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
