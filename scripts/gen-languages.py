#!/usr/bin/env python3
"""Generate xling's vendored language registry.

Usage: python3 scripts/gen-languages.py [DATA_DIR]

DATA_DIR defaults to ../shared/data relative to the repository root and must hold
`flores200/devtest/`, `ntrex128/`, `udhr/` and `linguameta/` (see their SOURCE.md files).
Writes two tab-separated tables, sorted and deterministic, with a header line:

  crates/xling-core/data/languages.tsv        one row per language + writing system
  crates/xling-core/data/macrolanguages.tsv   the ISO 639-3 macrolanguages the registry touches

languages.tsv columns
  code           FLORES-style `iso639_3 + "_" + script` (the FLORES-200 code where there is one)
  iso639_3       ISO 639-3 code (for FLORES entries: the code FLORES uses, e.g. `zho`, `est`)
  iso639_1       two-letter code: LinguaMeta bcp_47_code when it has two letters, else the
                 primary subtag of a UDHR tag (Sanskrit, Latin, Ido, Interlingua)
  script         ISO 15924 writing system
  name           English name (LinguaMeta english_name, qualified by the script where the
                 registry holds the language in several scripts)
  macrolanguage  ISO 639-3 code of the macrolanguage (LinguaMeta macrolanguage_bcp_47_code)
  speakers       LinguaMeta estimated_number_of_speakers (per language, not per script)
  flags          F = FLORES-200 code, N = in NTREX-128, U = in UDHR,
                 D = default entry among those sharing the ISO 639-3 code
  codes          other codes naming the same language, `;`-separated: FLORES alias codes
                 (`cmn_Hans`), the individual language a macro-coded FLORES entry stands for
                 (`cmn`), ISO 639-2/B codes (`chi`) and deprecated BCP-47 codes (`iw`)
  aliases        other names, `;`-separated: unqualified English name, LinguaMeta endonym,
                 NTREX-128 and UDHR names

macrolanguages.tsv columns
  code, iso639_1, name, default (registry code chosen for the macrolanguage; empty = no
  sensible default, queries are ambiguous), members (registry codes, preferred first), codes.

Python 3.11 standard library only.
"""

from __future__ import annotations

import csv
import os
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "crates" / "xling-core" / "data"

# --- hand-written tables -------------------------------------------------------------------

# FLORES-200 uses a macrolanguage code for these entries; the individual language they stand
# for is folded into the FLORES entry (so `cmn` and UDHR's Mandarin files land on `zho_*`).
ISO_EQUIV = {"cmn": "zho", "ekk": "est", "gug": "grn"}

# Alias codes FLORES-200 itself ships (symlinks in the official release).
FLORES_ALIAS_CODES = {"ara_Latn": "arb_Latn", "cmn_Hans": "zho_Hans", "cmn_Hant": "zho_Hant"}

# Default writing system where one ISO 639-3 code has several registry entries and neither
# FLORES-200 nor NTREX-128 singles one out.
SCRIPT_DEFAULTS = {
    "ace": "Latn",  # Acehnese: Latin is the everyday script; Jawi is secondary
    "arb": "Arab",
    "bjn": "Latn",
    "kas": "Arab",  # Kashmiri: Perso-Arabic is official in J&K
    "knc": "Latn",
    "min": "Latn",
    "taq": "Latn",  # Tamasheq: Latin orthography in Mali/Niger
    "zho": "Hans",
    "zlm": "Latn",  # Malay (UDHR): Rumi over Jawi
    "fuf": "Latn",  # Pular (UDHR): Latin over Adlam
}

# Default member of a macrolanguage. None: no sensible default (queries are ambiguous).
# Macrolanguages not listed use the generic rule: the macrolanguage's own registry entry,
# else a FLORES-200 member, else the member with most speakers (LinguaMeta).
MACRO_DEFAULTS: dict[str, str | None] = {
    "ara": "arb_Arab",
    "aze": "azj_Latn",
    "fas": "pes_Arab",
    "msa": "zsm_Latn",
    "zho": "zho_Hans",
    "est": "est_Latn",
    "lav": "lvs_Latn",
    "uzb": "uzn_Latn",
    "mon": "khk_Cyrl",
    "orm": "gaz_Latn",
    "pus": "pbt_Arab",
    "kur": "kmr_Latn",  # Kurmanji: most speakers; Sorani (ckb_Arab) is an alternative
    "swa": "swh_Latn",
    "sqi": "als_Latn",
    "grn": "grn_Latn",
    "nep": "npi_Deva",
    "ori": "ory_Orya",
    "que": "quy_Latn",
    "yid": "ydd_Hebr",
    "mlg": "plt_Latn",
    "tmh": "taq_Latn",
    "kau": "knc_Latn",
    "din": "dik_Latn",
    "ful": "fuv_Latn",
    "aka": "aka_Latn",
    "kon": "kon_Latn",
    "srd": "srd_Latn",
    "nor": "nob_Latn",
    "hmn": "hmn_Latn",
    "hbs": None,  # Serbo-Croatian: Bosnian, Croatian, Montenegrin, Serbian — no neutral choice
}

# Corrections to LinguaMeta where its value is plainly wrong for our purpose.
NAME_FIXES = {"aka": "Akan", "kur": "Kurdish", "ace": "Acehnese"}
# Names for languages LinguaMeta lacks (constructed / classical / historical).
FALLBACK_NAMES = {
    "san": "Sanskrit", "lat": "Latin", "ido": "Ido", "ina": "Interlingua", "mxi": "Mozarabic",
}
# LinguaMeta gives Standard Latvian 1 speaker and a Cyrillic "endonym"; use the macrolanguage.
SPEAKERS_FROM_MACRO = {"lvs"}
# Tosk Albanian (`als`) carries the endonym of Alemannic (Wikipedia's `als`).
BAD_ENDONYMS = {"lvs", "als"}

SCRIPT_NAMES = {
    "Adlm": "Adlam", "Arab": "Arabic", "Beng": "Bengali", "Cyrl": "Cyrillic", "Deva": "Devanagari",
    "Gran": "Grantha", "Hani": "Han", "Hebr": "Hebrew", "Java": "Javanese", "Lana": "Tai Tham",
    "Latn": "Latin", "Mong": "Mongolian", "Tfng": "Tifinagh", "Tglg": "Tagalog",
}
SCRIPT_QUALIFIER = {"Hans": "Simplified", "Hant": "Traditional"}

# unicodedata.name() prefix -> ISO 15924 (longest prefix wins).
NAME_PREFIX_SCRIPT = {
    "LATIN": "Latn", "CYRILLIC": "Cyrl", "GREEK": "Grek", "ARABIC": "Arab", "HEBREW": "Hebr",
    "DEVANAGARI": "Deva", "BENGALI": "Beng", "GURMUKHI": "Guru", "GUJARATI": "Gujr",
    "ORIYA": "Orya", "TAMIL": "Taml", "TELUGU": "Telu", "KANNADA": "Knda", "MALAYALAM": "Mlym",
    "SINHALA": "Sinh", "THAI": "Thai", "LAO": "Laoo", "TIBETAN": "Tibt", "MYANMAR": "Mymr",
    "GEORGIAN": "Geor", "ARMENIAN": "Armn", "ETHIOPIC": "Ethi", "KHMER": "Khmr",
    "HANGUL": "Hang", "HIRAGANA": "Hira", "KATAKANA": "Kana", "CJK UNIFIED": "Hani",
    "CJK COMPATIBILITY IDEOGRAPH": "Hani", "MONGOLIAN": "Mong", "TIFINAGH": "Tfng",
    "CHEROKEE": "Cher", "CANADIAN SYLLABICS": "Cans", "YI SYLLABLE": "Yiii", "VAI": "Vaii",
    "NKO": "Nkoo", "THAANA": "Thaa", "SYRIAC": "Syrc", "OL CHIKI": "Olck", "TAI THAM": "Lana",
    "ADLAM": "Adlm", "JAVANESE": "Java", "TAGALOG": "Tglg", "GRANTHA": "Gran",
    "BALINESE": "Bali", "BUGINESE": "Bugi", "BAMUM": "Bamu", "TAI LE": "Tale",
    "NEW TAI LUE": "Talu", "TAI VIET": "Tavt", "CHAKMA": "Cakm", "MEETEI MAYEK": "Mtei",
    "SUNDANESE": "Sund", "OSAGE": "Osge", "BOPOMOFO": "Bopo",
}
# Characters whose Simplified / Traditional forms differ (for Han-script text).
SIMPLIFIED = "这们国说时个会来对发学么见为与权类获应动实义护条务视亲礼体们经历无该财产"
TRADITIONAL = "這們國說時個會來對發學麼見為與權類獲應動實義護條務視親禮體們經歷無該財產"


def die(msg: str) -> None:
    sys.exit(f"gen-languages: {msg}")


def char_script(c: str) -> str | None:
    if not unicodedata.category(c).startswith("L"):
        return None
    name = unicodedata.name(c, "")
    best = None
    for prefix, code in NAME_PREFIX_SCRIPT.items():
        if name.startswith(prefix) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, code)
    return best[1] if best else None


def detect_script(lines: list[str]) -> str:
    """Dominant writing system of a text (Hans/Hant/Jpan refined from Han)."""
    counts: Counter[str] = Counter()
    for line in lines:
        for c in line:
            s = char_script(c)
            if s:
                counts[s] += 1
    if not counts:
        die("no letters to detect a script from")
    total = sum(counts.values())
    kana = counts["Hira"] + counts["Kana"]
    if counts["Hani"] and kana > 0.05 * total:
        return "Jpan"
    top = counts.most_common(1)[0][0]
    if top == "Hani":
        text = "".join(lines)
        simp = sum(text.count(c) for c in SIMPLIFIED)
        trad = sum(text.count(c) for c in TRADITIONAL)
        return "Hant" if trad > simp else "Hans"
    return top


def unicode_scripts(script: str) -> set[str]:
    return {
        "Hans": {"Hani"}, "Hant": {"Hani"}, "Jpan": {"Hani", "Hira", "Kana"},
        "Kore": {"Hang", "Hani"},
    }.get(script, {script})


# --- data model ----------------------------------------------------------------------------


class Entry:
    def __init__(self, iso: str, script: str):
        self.iso = iso
        self.script = script
        self.flags: set[str] = set()
        self.codes: list[str] = []
        self.names: list[str] = []  # NTREX / UDHR names, in order seen
        self.iso1_hint: str | None = None

    @property
    def code(self) -> str:
        return f"{self.iso}_{self.script}"


def main() -> None:
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO.parent / "shared" / "data"
    if not (data / "linguameta" / "linguameta.tsv").is_file():
        die(f"{data} does not look like shared/data (no linguameta/linguameta.tsv)")

    # LinguaMeta
    with open(data / "linguameta" / "linguameta.tsv", encoding="utf-8", newline="") as f:
        lm_rows = list(csv.DictReader(f, delimiter="\t"))
    lm = {r["iso_639_3_code"]: r for r in lm_rows}
    bcp_to_iso = {r["bcp_47_code"]: r["iso_639_3_code"] for r in lm_rows}
    is_macro = {r["iso_639_3_code"] for r in lm_rows if r["is_macrolanguage"] == "True"}

    def lm_scripts(iso: str) -> list[str]:
        r = lm.get(iso)
        return [s.strip() for s in r["writing_systems"].split(",") if s.strip()] if r else []

    def macro_of(iso: str) -> str | None:
        r = lm.get(iso)
        if r and r["macrolanguage_bcp_47_code"]:
            return bcp_to_iso.get(r["macrolanguage_bcp_47_code"])
        return None

    def speakers(iso: str) -> int | None:
        if iso in SPEAKERS_FROM_MACRO:
            m = macro_of(iso)
            iso = m if m else iso
        r = lm.get(iso)
        v = r["estimated_number_of_speakers"] if r else ""
        return int(v) if v else None

    entries: dict[str, Entry] = {}

    def add(iso: str, script: str) -> Entry:
        e = entries.get(f"{iso}_{script}")
        if e is None:
            e = entries[f"{iso}_{script}"] = Entry(iso, script)
        return e

    log: list[str] = []

    # FLORES-200
    flores = sorted(p.name[: -len(".devtest")] for p in (data / "flores200" / "devtest").glob("*.devtest"))
    if len(flores) != 204:
        die(f"expected 204 FLORES-200 files, found {len(flores)}")
    for code in flores:
        iso, script = code.split("_")
        add(iso, script).flags.add("F")
    # The FLORES-200 dev subset has one language devtest lacks (N'Ko, nqo_Nkoo).
    for p in sorted((data / "flores200" / "dev_sib_subset").glob("*.tsv")):
        if p.stem not in entries:
            iso, script = p.stem.split("_")
            add(iso, script)
            log.append(f"FLORES dev subset {p.stem}: not in devtest, added")
    for alias, target in FLORES_ALIAS_CODES.items():
        entries[target].codes.append(alias)
    for member, macro in ISO_EQUIV.items():
        for e in entries.values():
            if e.iso == macro:
                e.codes.append(member)

    def preferred(cands: list[Entry]) -> Entry:
        """The entry a bare ISO 639-3 / macrolanguage reference should pick among cands."""
        fl = [e for e in cands if "F" in e.flags] or [e for e in cands if "N" in e.flags] or cands
        if len(fl) == 1:
            return fl[0]
        isos = {e.iso for e in fl}
        if len(isos) == 1:
            want = SCRIPT_DEFAULTS.get(next(iter(isos)))
            for e in fl:
                if e.script == want:
                    return e
            die(f"no SCRIPT_DEFAULTS entry for {sorted(e.code for e in fl)}")
        macros = {macro_of(e.iso) for e in fl}
        if len(macros) == 1 and (m := next(iter(macros))) and MACRO_DEFAULTS.get(m):
            for e in fl:
                if e.code == MACRO_DEFAULTS[m]:
                    return e
        fl.sort(key=lambda e: (-(speakers(e.iso) or 0), e.code))
        return fl[0]

    def find(iso: str, script: str | None, region: str | None, text: list[str] | None,
             source: str, macro_ok: bool = True) -> Entry | None:
        """Find (or create) the entry a corpus file with this language reference is in."""
        iso = ISO_EQUIV.get(iso, iso)
        if iso == "zho" and script is None and region:
            script = "Hant" if region in ("TW", "HK", "MO") else "Hans"
        own = [e for e in entries.values() if e.iso == iso]
        if script is None and text is not None:
            # LinguaMeta's script when it lists exactly one and the text agrees; else the text's.
            detected = detect_script(text)
            single = lm_scripts(iso)
            if len(single) == 1:
                agree = single[0] == detected or (
                    detected not in ("Hans", "Hant") and unicode_scripts(single[0]) & unicode_scripts(detected))
                if agree:
                    detected = single[0]
                else:
                    log.append(f"{source}: LinguaMeta says {iso} is written in {single[0]}, "
                               f"text is {detected}; using {detected}")
            script = detected
        if own:
            if script is None:
                return preferred(own)
            same = [e for e in own if e.script == script]
            if same:
                return same[0]
            compat = [e for e in own if unicode_scripts(e.script) & unicode_scripts(script)
                      and script not in ("Hans", "Hant")]
            if compat:
                return compat[0]
            return add(iso, script)
        if iso in is_macro and not macro_ok:
            log.append(f"{source}: {iso} is a macrolanguage without its own entry; not attributed")
            return None
        if iso in is_macro:
            members = [e for e in entries.values() if macro_of(e.iso) == iso]
            if script is not None:
                members = [e for e in members if e.script == script]
            if members:
                d = MACRO_DEFAULTS.get(iso)
                for e in members:
                    if e.code == d:
                        return e
                return preferred(members)
            if iso not in MACRO_DEFAULTS:
                log.append(f"{source}: {iso} is a macrolanguage with no member in the registry; skipped")
                return None
        if script is None:
            die(f"{source}: no script for {iso}")
        return add(iso, script)

    # NTREX-128
    ntrex_names: dict[str, str] = {}
    with open(data / "ntrex128" / "LANGUAGES.tsv", encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split(None, 1)
            if len(parts) == 2:
                ntrex_names[parts[0]] = parts[1].strip()
    ntrex_files: dict[str, Path] = {}
    for sub in ("NTREX-128", "NTREX-additional"):
        for p in sorted((data / "ntrex128" / sub).glob("newstest2019-*.txt")):
            m = re.fullmatch(r"newstest2019-(?:src|ref|ref-2)\.(.+)\.txt", p.name)
            if not m:
                die(f"unexpected NTREX file {p.name}")
            ntrex_files.setdefault(m.group(1), p)
    for code, path in sorted(ntrex_files.items()):
        iso, _, sub = code.partition("-")
        script = sub if len(sub) == 4 else None
        region = sub if len(sub) == 2 else None
        with open(path, encoding="utf-8") as f:
            text = [next(f) for _ in range(200)]
        e = find(iso, script, region, text, f"NTREX {code}")
        if e is None:
            die(f"NTREX {code} did not map to an entry")
        e.flags.add("N")
        if code in ntrex_names:
            e.names.append(ntrex_names[code])
        log.append(f"NTREX {code} -> {e.code}")

    # UDHR
    with open(data / "udhr" / "index.tsv", encoding="utf-8", newline="") as f:
        udhr_rows = list(csv.DictReader(f, delimiter="\t"))
    skipped_und = []
    for row in udhr_rows:
        if row["bcp47"] == "und":
            skipped_und.append(row["code"])
            continue
        sub = row["bcp47"].split("-")
        script = next((s for s in sub[1:] if len(s) == 4 and s.isalpha()), None)
        with open(data / "udhr" / "declarations" / f"{row['code']}.tsv", encoding="utf-8", newline="") as f:
            text = [r["text"] for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)]
        e = find(row["iso6393"], script, None, text, f"UDHR {row['code']} ({row['bcp47']})",
                 macro_ok=False)
        if e is None:
            continue
        e.flags.add("U")
        name = re.sub(r"\s*\((?:\d+|[A-Za-z]?\d+)\)$", "", row["name"]).strip()
        if name and not name.startswith("("):
            e.names.append(name)
        if len(sub[0]) == 2 and e.iso1_hint is None and e.iso not in lm:
            e.iso1_hint = sub[0]
    if skipped_und:
        log.append(f"UDHR rows tagged 'und' (no language; skipped): {', '.join(skipped_und)}")

    # --- derive columns --------------------------------------------------------------------
    by_iso: dict[str, list[Entry]] = defaultdict(list)
    for e in entries.values():
        by_iso[e.iso].append(e)
    for iso, es in by_iso.items():
        preferred(es).flags.add("D")

    def base_name(iso: str) -> str:
        if iso in NAME_FIXES:
            return NAME_FIXES[iso]
        r = lm.get(iso)
        if r and r["english_name"]:
            return r["english_name"]
        if iso in FALLBACK_NAMES:
            return FALLBACK_NAMES[iso]
        die(f"no English name for {iso}")
        return ""

    def iso1(iso: str, hint: str | None = None) -> str:
        r = lm.get(iso)
        if r and len(r["bcp_47_code"]) == 2:
            return r["bcp_47_code"]
        return hint or ""

    taken = set(by_iso) | {iso1(i) for i in by_iso} | is_macro | {lm[m]["bcp_47_code"] for m in is_macro}

    def extra_codes(iso: str) -> list[str]:
        r = lm.get(iso)
        out = []
        if r:
            for c in (r["iso_639_2b_code"], r["deprecated_bcp_47_code"]):
                if c and c not in taken and c not in out:
                    out.append(c)
        return out

    rows = []
    for e in sorted(entries.values(), key=lambda e: e.code):
        base = base_name(e.iso)
        multi = len(by_iso[e.iso]) > 1
        if multi:
            q = SCRIPT_QUALIFIER.get(e.script) or f"{SCRIPT_NAMES.get(e.script) or die('no name for ' + e.script)} script"
            name = f"{base} ({q})"
        else:
            name = base
        aliases: list[str] = []
        r = lm.get(e.iso)
        cands = [base]
        if r and r["english_name"] and r["english_name"] != base:
            cands.append(r["english_name"])
        for member, macro in ISO_EQUIV.items():
            if macro == e.iso and lm.get(member):
                cands.append(lm[member]["english_name"])
        if r and r["endonym"] and e.iso not in BAD_ENDONYMS:
            cands.append(r["endonym"])
        cands += e.names
        for a in cands:
            a = a.replace("\t", " ").replace(";", ",").strip()
            if a and a.lower() != name.lower() and a.lower() not in (x.lower() for x in aliases):
                aliases.append(a)
        codes = list(e.codes)
        for c in extra_codes(e.iso):
            if c not in codes:
                codes.append(c)
        sp = speakers(e.iso)
        flags = "".join(f for f in "FNUD" if f in e.flags)
        rows.append([e.code, e.iso, iso1(e.iso, e.iso1_hint), e.script, name, macro_of(e.iso) or "",
                     "" if sp is None else str(sp), flags, ";".join(codes), ";".join(aliases)])

    # macrolanguages
    macro_rows = []
    all_macros = sorted({m for e in entries.values() if (m := macro_of(e.iso))} | (set(by_iso) & is_macro))
    for m in all_macros:
        own = sorted(by_iso.get(m, []), key=lambda e: ("D" not in e.flags, e.code))
        mem = [e for e in entries.values() if macro_of(e.iso) == m]
        mem.sort(key=lambda e: ("F" not in e.flags, "D" not in e.flags, -(speakers(e.iso) or 0), e.code))
        members = own + mem
        if m in MACRO_DEFAULTS:
            default = MACRO_DEFAULTS[m]
            if default is not None and default not in entries:
                die(f"MACRO_DEFAULTS[{m}] = {default} is not in the registry")
        elif own:
            default = own[0].code
        else:
            flm = [e for e in mem if "F" in e.flags]
            pool = flm or mem
            isos = {e.iso for e in pool}
            if len(isos) == 1:
                default = preferred(pool).code
            else:
                ranked = sorted(pool, key=lambda e: (-(speakers(e.iso) or 0), "D" not in e.flags, e.code))
                known = [e for e in ranked if speakers(e.iso)]
                default = known[0].code if known else None
                log.append(f"macro {m}: generic default {default} among {[e.code for e in pool]}")
        if default:
            members.sort(key=lambda e: e.code != default)
        macro_rows.append([m, iso1(m), base_name(m), default or "", ";".join(e.code for e in members),
                           ";".join(extra_codes(m))])

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    with open(OUT_DIR / "languages.tsv", "w", encoding="utf-8", newline="\n") as f:
        f.write("code\tiso639_3\tiso639_1\tscript\tname\tmacrolanguage\tspeakers\tflags\tcodes\taliases\n")
        for r in rows:
            f.write("\t".join(r) + "\n")
    with open(OUT_DIR / "macrolanguages.tsv", "w", encoding="utf-8", newline="\n") as f:
        f.write("code\tiso639_1\tname\tdefault\tmembers\tcodes\n")
        for r in macro_rows:
            f.write("\t".join(r) + "\n")

    # name collisions, for review
    seen: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        for n in [r[4]] + [a for a in r[9].split(";") if a]:
            seen[n.lower()].add(r[1])
    for n, isos in sorted(seen.items()):
        if len(isos) > 1:
            log.append(f"name '{n}' shared by {sorted(isos)}")
    if os.environ.get("GEN_LANGUAGES_VERBOSE"):
        print("\n".join(log), file=sys.stderr)
    print(f"wrote {len(rows)} languages, {len(macro_rows)} macrolanguages to {OUT_DIR}", file=sys.stderr)


if __name__ == "__main__":
    main()
