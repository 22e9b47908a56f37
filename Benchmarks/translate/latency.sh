#!/bin/sh
# Translation latency of sentences of exactly 20 words: the Multi30k validation lines with 20 whitespace-separated
# English words, translated with the model's default beam by `stmd eval translate` (its timer starts after loading).
# Usage: Benchmarks/translate/latency.sh STMD MODEL [DATA_DIR [extra eval options, e.g. --beam 1]]
set -eu
stmd=$1
model=$2
data=${3:-../shared/data/mt/multi30k}
shift $(( $# < 3 ? $# : 3 ))
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
paste -d '\t' "$data/val.en" "$data/val.de" | awk -F '\t' '{ n = split($1, w, " ") } n == 20' > "$work/pairs"
cut -f1 "$work/pairs" > "$work/src"
cut -f2 "$work/pairs" > "$work/ref"
lines=$(wc -l < "$work/src")
STMD_THREADS=1 "$stmd" eval translate --model "$model" --source "$work/src" --target "$work/ref" --json "$@" \
  | python3 -c "import json,sys; r=json.load(sys.stdin); print(f'{r[\"lines\"]} sentences of 20 words, beam {r[\"beam\"]}: {1000*r[\"seconds\"]/r[\"lines\"]:.1f} ms per sentence (thread CPU {1000*r[\"cpuSeconds\"]/r[\"lines\"]:.1f} ms; BLEU {r[\"bleu\"]:.2f}; {r[\"decoding\"]})')"
