"""lingua next to xling's built-in model, lid.176 and whatlang, on the same lines and languages.

lingua (lingua-rs) is not a dependency of xling or of the workspace (its models add ≈290 MB to a build);
it runs here from the PyPI wheel `lingua-language-detector` (lingua-rs compiled as a Python extension, the
same models), in its own virtual environment (.cache/lingua-venv, made by scripts/bench-lid).

What it does, for each corpus (FLORES-200 devtest, and the three lingua short-text TSVs bench-lid writes):
1. Maps lingua's 75 languages (ISO 639-3, `IsoCode639_3`) to xling codes through xling's language registry
   (`xling langs CODE`), as lid_compare maps whatlang's ISO 639-3 codes (`registry().resolve(code)`).
2. Takes `lid_compare`'s output on the same corpus (for FLORES-200: the devtest files of lingua's languages,
   so its sets are lingua's languages ∩ lid.176's / whatlang's). Its built-in, lid.176.ftz and whatlang rows
   are the numbers reported; whatlang runs only there (a dev-dependency of that example).
3. Labels every line with the built-in model and lid.176 through the `xling identify` command and with lingua
   (high- and low-accuracy mode), one thread, and scores all of them with the metrics of
   `xling_identify::evaluate` (per-language F1 over the languages of the set, macro average; accuracy).
   The built-in and lid.176 numbers recomputed here must equal lid_compare's: that checks that lingua is
   scored by the same rules on the same lines (the script stops if they differ).
4. Throughput on the FLORES-200 lines of lingua's languages, one thread, CPU time: the two `xling identify`
   commands, Python fastText (fasttext-wheel, .cache/venv) and lingua.

Usage: bench_lid_lingua.py XLING FTZ FLORES_DEVTEST_DIR WORK_DIR [KIND=TSV=LID_COMPARE_OUTPUT ...]
  WORK_DIR: a scratch folder; each KIND=TSV=OUT names a lingua test-set TSV (`lang<TAB>text`) and the saved
  lid_compare output on it.
"""

import json
import os
import re
import resource
import subprocess
import sys
import time

# One thread for lingua too (its parallel entry points use rayon; detect_language_of is sequential).
os.environ.setdefault("RAYON_NUM_THREADS", "1")

from importlib.metadata import version as pkg_version  # noqa: E402

from lingua import Language, LanguageDetectorBuilder  # noqa: E402

# whatlang 0.18.0's 70 languages (`Lang::code()` of `whatlang::Lang::all()`, ISO 639-3), needed only to know
# which lines lid_compare's whatlang rows cover; checked below against the language counts lid_compare prints.
WHATLANG = """afr aka amh ara aze bel ben bul cat ces cmn cym dan deu ell eng epo est fin fra guj heb hin hrv hun
hye ind ita jav jpn kan kat khm kor lat lav lit mal mar mkd mya nep nld nob ori pan pes pol por ron rus sin
slk slv sna spa srp swe tam tel tgl tha tuk tur ukr urd uzb vie yid zul""".split()

_codes = {}


def xling_code(xling, code):
    """The registry's code for `code` (as `registry().resolve`), or None when it does not resolve."""
    if code not in _codes:
        o = subprocess.run([xling, "langs", code, "-f", "json"], capture_output=True, text=True)
        notes = json.loads(o.stdout)["notes"] if o.returncode == 0 else []
        hit = notes[0] if notes and notes[0].startswith(f"{code} → ") else None
        _codes[code] = hit.split(" → ")[1].split(" ")[0] if hit else None
    return _codes[code]


def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def xling_predict(xling, args, path, n):
    """Labels of every line of `path` from `xling identify ARGS`, and the command's CPU seconds (best of 3)."""
    best, labels = None, None
    for _ in range(3):
        c0 = cpu_children()
        o = subprocess.run([xling, "identify", *args, "--format", "jsonl", path],
                           capture_output=True, text=True, check=True)
        cpu = cpu_children() - c0
        labels = [json.loads(line)["lang"] for line in o.stdout.split("\n") if line]
        best = cpu if best is None else min(best, cpu)
    assert len(labels) == n, f"xling identify gave {len(labels)} labels for {n} lines"
    return labels, best


def lingua_predict(detector, lines, code_of):
    """lingua's label (an xling code, `und` when lingua declines) for every line; CPU and wall seconds."""
    c0, t0 = time.process_time(), time.perf_counter()
    raw = [detector.detect_language_of(t) for t in lines]
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    return ["und" if lang is None else code_of[lang] for lang in raw], cpu, wall


def counts(gold, pred, langs):
    """True positives, gold and predicted counts per label, over the lines whose gold language is in `langs`."""
    tp, gold_n, pred_n = {}, {}, {}
    for g, p in zip(gold, pred):
        if g in langs:
            gold_n[g] = gold_n.get(g, 0) + 1
            pred_n[p] = pred_n.get(p, 0) + 1
            tp[g] = tp.get(g, 0) + (g == p)
    return tp, gold_n, pred_n


def per_language_f1(gold, pred, langs):
    """evaluate()'s F1 of each gold language (precision counts every line of the set predicted as it)."""
    tp, gold_n, pred_n = counts(gold, pred, langs)
    out = {}
    for g in gold_n:
        t = tp[g]
        prec, rec = t / pred_n[g] if t else 0.0, t / gold_n[g]
        out[g] = 0.0 if t == 0 else 2 * prec * rec / (prec + rec)
    return out


def scores(gold, pred, langs):
    """evaluate()'s summary as lid_compare takes it: (macro F1, accuracy, lines) over the set."""
    f1 = per_language_f1(gold, pred, langs)
    tp, gold_n, _ = counts(gold, pred, langs)
    n = sum(gold_n.values())
    return sum(f1.values()) / max(len(f1), 1), sum(tp.values()) / max(n, 1), n


def parse_lid_compare(text):
    """lid_compare's rows: {(set name, model): (languages, macro F1 %, accuracy %, lines, lines/s)}."""
    rows = {}
    for line in text.splitlines():
        m = re.match(r"\| (.+) \((\d+)\) \| (.+?) \| ([\d.]+)% \| ([\d.]+)% \| (\d+) \| (\d+) \|$", line)
        if m:
            name, k, model, f1, acc, n, rate = m.groups()
            model = "lid.176.ftz" if model.endswith(".ftz") else model
            rows[(name, model)] = (int(k), float(f1), float(acc), int(n), int(rate))
    return rows


def lid176_langs(xling, ftz, corpus):
    """The languages of `corpus` lid.176 has a label for, as xling maps its labels (`identify eval --model`)."""
    o = subprocess.run([xling, "identify", "eval", "-c", corpus, "--model", ftz, "-f", "json"],
                       capture_output=True, text=True, check=True)
    return {r["language"] for r in json.loads(o.stdout)["rows"]}


def compare(title, xling, ftz, gold, lines, path, lid_compare_text, detectors, code_of, lingua_langs, ft_langs):
    """Scores every system on one corpus; prints the side-by-side table."""
    n = len(lines)
    rows = parse_lid_compare(lid_compare_text)
    builtin, builtin_cpu = xling_predict(xling, [], path, n)
    lid176, lid176_cpu = xling_predict(xling, ["--model", ftz], path, n)
    in_corpus = set(gold)
    wl_langs = {xling_code(xling, c) or c for c in WHATLANG} & in_corpus
    ling = lingua_langs & in_corpus
    sets = {
        "all the built-in knows": ling,
        "lid.176's": ling & ft_langs,
        "whatlang's": ling & wl_langs,
        "shared by all three": ling & ft_langs & wl_langs,
    }
    preds = {"xling built-in": builtin, "lid.176.ftz": lid176}
    lingua_rate = {}
    for mode, det in detectors.items():
        p, cpu, wall = lingua_predict(det, lines, code_of)
        preds[mode] = p
        lingua_rate[mode] = (n / wall, n / cpu, cpu)
    # The same rules as lid_compare: its numbers for the built-in model and lid.176 must come out again.
    for set_name, langs in sets.items():
        for model in ("xling built-in", "lid.176.ftz"):
            ref = rows.get((set_name, model))
            if ref is None:
                continue
            f1, acc, k = scores(gold, preds[model], langs)
            ours = (len(langs), round(100 * f1, 1), round(100 * acc, 1), k)
            if ours != ref[:4]:
                sys.exit(f"bench_lid_lingua: {title}, {set_name}, {model}: {ours} here, {ref[:4]} in lid_compare")
        for model in ("whatlang 0.18",):
            ref = rows.get((set_name, model))
            if ref is not None and ref[0] != len(langs):
                sys.exit(f"bench_lid_lingua: {title}, {set_name}: whatlang's list gives {len(langs)} languages, "
                         f"lid_compare {ref[0]}")
    print(f"-- {title}: macro F1 (accuracy); lines/s, one thread: lid_compare's library loop for the first "
          "three, lingua's detect_language_of loop over all the corpus lines")
    print("| languages | lines | xling built-in | lid.176.ftz | whatlang 0.18 | lingua high | lingua low |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    names = {"all the built-in knows": "lingua's", "lid.176's": "lingua's ∩ lid.176's",
             "whatlang's": "lingua's ∩ whatlang's", "shared by all three": "shared by all four"}
    for set_name, langs in sets.items():
        cells, k = [], 0
        for model in ("xling built-in", "lid.176.ftz", "whatlang 0.18"):
            ref = rows.get((set_name, model))
            if ref is None:
                cells.append("—")
            else:
                cells.append(f"{ref[1]:.1f}% ({ref[2]:.1f}%) {ref[4]:,}/s")
                k = ref[3]
        for mode in detectors:
            f1, acc, k2 = scores(gold, preds[mode], langs)
            cells.append(f"{100 * f1:.1f}% ({100 * acc:.1f}%) {lingua_rate[mode][0]:,.0f}/s")
            assert k in (0, k2), (set_name, k, k2)
            k = k2
        print(f"| {names[set_name]} ({len(langs)}) | {k} | " + " | ".join(cells) + " |")
    # Where lingua and the built-in model differ most on lingua's languages (high-accuracy mode).
    ling_all = sets["all the built-in knows"]
    f1_of = {m: per_language_f1(gold, preds[m], ling_all) for m in ("xling built-in", "lingua high")}
    diffs = sorted((f1_of["xling built-in"][g] - f1_of["lingua high"][g], g) for g in ling_all)
    fmt = lambda v: ", ".join(f"{g} {100 * d:+.1f}" for d, g in v)  # noqa: E731
    print(f"F1 built-in − lingua high, largest deficits: {fmt(diffs[:8])}")
    print(f"F1 built-in − lingua high, largest gains: {fmt(diffs[::-1][:8])}")
    return {"n": n, "builtin_cpu": builtin_cpu, "lid176_cpu": lid176_cpu, "lingua": lingua_rate}


def python_fasttext(ftz, path):
    """Python fastText's predict-only CPU seconds on `path` (best of 3), in .cache/venv."""
    code = (
        "import sys, time, fasttext\n"
        "fasttext.FastText.eprint = lambda *a, **k: None\n"
        "m = fasttext.load_model(sys.argv[1])\n"
        "lines = open(sys.argv[2], encoding='utf-8').read().split('\\n')[:-1]\n"
        "best = None\n"
        "for _ in range(3):\n"
        "    c = time.process_time(); m.predict(lines, k=1); c = time.process_time() - c\n"
        "    best = c if best is None else min(best, c)\n"
        "print(best)\n"
    )
    py = ".cache/venv/bin/python"
    o = subprocess.run([py, "-c", code, ftz, path], capture_output=True, text=True, check=True)
    return float(o.stdout.strip())


def main():
    xling, ftz, flores, work = sys.argv[1:5]
    extra = [a.split("=", 2) for a in sys.argv[5:]]
    os.makedirs(work, exist_ok=True)
    langs = sorted(Language.all(), key=lambda lang: lang.name)
    code_of = {}
    for lang in langs:
        iso3 = lang.iso_code_639_3.name.lower()
        code_of[lang] = xling_code(xling, iso3) or iso3
    lingua_langs = set(code_of.values())
    flores_langs = {f[: -len(".devtest")] for f in os.listdir(flores) if f.endswith(".devtest")}
    # The built-in model's labels: the 204 FLORES-200 codes of the registry.
    o = subprocess.run([xling, "langs", "--flores", "-f", "json"], capture_output=True, text=True, check=True)
    builtin_langs = {r["language"] for r in json.loads(o.stdout)["rows"]}
    print(f"lingua-language-detector {pkg_version('lingua-language-detector')}: {len(langs)} languages, "
          f"{len(lingua_langs & builtin_langs)} of them FLORES-200 languages; mapped through the registry:")
    print("  " + ", ".join(f"{lang.iso_code_639_3.name.lower()}→{code_of[lang]}" for lang in langs
                           if not code_of[lang].startswith(lang.iso_code_639_3.name.lower() + "_")))
    detectors = {}
    for mode in ("lingua high", "lingua low"):
        b = LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models()
        if mode == "lingua low":
            b = b.with_low_accuracy_mode()
        c0, t0 = time.process_time(), time.perf_counter()
        detectors[mode] = b.build()
        print(f"{mode}-accuracy mode: all models loaded in {time.perf_counter() - t0:.1f} s "
              f"({time.process_time() - c0:.1f} s CPU)")

    # FLORES-200 devtest: the files of lingua's languages, one corpus folder for lid_compare.
    sub = os.path.join(work, "flores-lingua")
    os.makedirs(sub, exist_ok=True)
    gold, lines = [], []
    for code in sorted(lingua_langs & flores_langs):
        src = os.path.abspath(os.path.join(flores, f"{code}.devtest"))
        dst = os.path.join(sub, f"{code}.devtest")
        if not os.path.lexists(dst):
            os.symlink(src, dst)
        # Lines end at \n only (as xling's LineReader; Python's universal newlines would also split at \r).
        with open(src, encoding="utf-8", newline="\n") as f:
            for line in f:
                lines.append(line.rstrip("\n").removesuffix("\r"))
                gold.append(code)
    path = os.path.join(work, "flores-lingua.txt")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(t + "\n" for t in lines))
    cmp = subprocess.run(["cargo", "run", "--release", "-q", "-p", "xling-identify", "--example", "lid_compare",
                          "--", sub, ftz], capture_output=True, text=True, check=True).stdout
    print("== lid_compare on the FLORES-200 devtest files of lingua's languages")
    print(cmp.rstrip())
    fl = compare("FLORES-200 devtest, lingua's languages", xling, ftz, gold, lines, path, cmp, detectors,
                 code_of, lingua_langs, lid176_langs(xling, ftz, sub))

    for kind, tsv, out in extra:
        gold, lines = [], []
        with open(tsv, encoding="utf-8", newline="\n") as f:
            next(f)
            for row in f:
                label, text = row.rstrip("\n").removesuffix("\r").split("\t", 1)
                code = xling_code(xling, label)
                # Only what lid_compare scores: lines of languages the built-in model has a label for.
                if code in builtin_langs:
                    gold.append(code)
                    lines.append(text)
        path = os.path.join(work, f"lingua-{kind}.txt")
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write("".join(t + "\n" for t in lines))
        with open(out, encoding="utf-8") as f:
            cmp = f.read()
        compare(f"lingua {kind}", xling, ftz, gold, lines, path, cmp, detectors, code_of, lingua_langs,
                lid176_langs(xling, ftz, tsv))

    n = fl["n"]
    ft_cpu = python_fasttext(ftz, os.path.join(work, "flores-lingua.txt"))
    print(f"== Throughput on the same input ({n:,} FLORES-200 devtest lines of lingua's languages), one thread, CPU")
    print("| run | CPU s | lines/s (CPU) | vs Python fastText (predict only) |")
    print("|---|---:|---:|---:|")
    runs = [("`xling identify` (built-in model), whole command, best of 3", fl["builtin_cpu"]),
            ("`xling identify --model lid.176.ftz`, whole command, best of 3", fl["lid176_cpu"]),
            ("Python fasttext lid.176.ftz, predict(list) only, best of 3", ft_cpu)]
    for mode, (_, _, cpu) in fl["lingua"].items():
        runs.append((f"Python {mode}-accuracy, detect_language_of loop, models preloaded, one pass", cpu))
    for name, cpu in runs:
        print(f"| {name} | {cpu:.2f} | {n / cpu:,.0f} | {ft_cpu / cpu:.2f}× |")


if __name__ == "__main__":
    main()
