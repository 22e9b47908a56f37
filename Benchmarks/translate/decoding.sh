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
runs, cpu = {}, {}
for line in open(sys.argv[1]):
    decoding, rest = line.split(" ", 1)
    runs.setdefault(decoding, []).append(float(re.search(r"([0-9.]+) ms per sentence", rest).group(1)))
    cpu.setdefault(decoding, []).append(float(re.search(r"thread CPU ([0-9.]+) ms", rest).group(1)))
reference, reference_cpu = statistics.median(runs["reference"]), statistics.median(cpu["reference"])
for decoding, values in runs.items():
    median, median_cpu = statistics.median(values), statistics.median(cpu[decoding])
    print(f"{decoding}: median {median:.1f} ms per sentence over {len(values)} runs "
          f"(min {min(values):.1f}, max {max(values):.1f}; {reference / median:.2f}x the reference); "
          f"thread CPU median {median_cpu:.1f} ms ({reference_cpu / median_cpu:.2f}x)")
PY
