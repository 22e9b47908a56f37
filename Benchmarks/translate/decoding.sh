#!/bin/sh
# 20-word latency of each decoding (reference, f32, bf16) at the model's default beam, RUNS runs each, interleaved
# (one run of each in turn, so a change in the machine's load hits all three alike), then the median per decoding.
# Prints the load average before and after: the machine is shared, and the numbers are only as quiet as it was.
# Usage: Benchmarks/translate/decoding.sh STMD MODEL [DATA_DIR [RUNS [extra eval options, e.g. --beam 1]]]
set -eu
stmd=$1
model=$2
data=${3:-../shared/data/mt/multi30k}
runs=${4:-5}
shift $(( $# < 4 ? $# : 4 ))
here=$(dirname "$0")
results=$(mktemp)
trap 'rm -f "$results"' EXIT
echo "load before: $(cut -d ' ' -f 1-3 /proc/loadavg)"
i=0
while [ "$i" -lt "$runs" ]; do
  for decoding in reference f32 bf16; do
    line=$("$here/latency.sh" "$stmd" "$model" "$data" --decoding "$decoding" "$@")
    echo "$decoding: $line"
    echo "$decoding $line" >> "$results"
  done
  i=$((i + 1))
done
echo "load after: $(cut -d ' ' -f 1-3 /proc/loadavg)"
python3 - "$results" <<'PY'
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    decoding, rest = line.split(" ", 1)
    runs.setdefault(decoding, []).append(float(re.search(r"([0-9.]+) ms per sentence", rest).group(1)))
reference = statistics.median(runs["reference"])
for decoding, values in runs.items():
    median = statistics.median(values)
    print(f"{decoding}: median {median:.1f} ms per sentence over {len(values)} runs "
          f"(min {min(values):.1f}, max {max(values):.1f}; {reference / median:.2f}x the reference)")
PY
