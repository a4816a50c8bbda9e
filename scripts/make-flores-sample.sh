#!/usr/bin/env bash
# Rebuilds the embedded corpus `flores200-sample`: the first 200 lines of FLORES-200 devtest for all 204
# languages, as `<code>\t<sentence>` lines in code order, compressed with zstd.
#
#   scripts/make-flores-sample.sh [FLORES_DEVTEST_DIR]   (default: ../shared/data/flores200/devtest)
#
# FLORES-200 is CC BY-SA 4.0 (NLLB Team et al., 2022); see LICENSES/ and NOTICE.md.
set -euo pipefail
export LC_ALL=C
src=${1:-"$(dirname "$0")/../../shared/data/flores200/devtest"}
out="$(dirname "$0")/../crates/xling-core/data/flores200-sample.tsv.zst"
n=200
files=("$src"/*.devtest)
[ "${#files[@]}" -eq 204 ] || { echo "expected 204 .devtest files in $src, found ${#files[@]}" >&2; exit 1; }
for f in "${files[@]}"; do
  code=$(basename "$f" .devtest)
  if grep -q $'\t' <(head -n "$n" "$f"); then echo "$f: a tab in the first $n lines" >&2; exit 1; fi
  head -n "$n" "$f" | sed "s/^/${code}\t/"
done | zstd -q -19 -f -o "$out"
echo "wrote $out ($(stat -c %s "$out") bytes)"
