#!/bin/sh
# make bench-logs: stmd's log path against the Python peer (drain3 + PyTorch), same data, one thread each,
# one after the other in the same run. Usage: run.sh STMD_BENCH PYTHON LOGHUB_DIR
set -eu
bench=${1:?stmd-logs-bench binary}
python=${2:?python with drain3 and torch}
data=${3:?loghub dir}
echo "== stmd (STMD_THREADS=1)"
STMD_THREADS=1 "$bench" "$data" --rounds 20 --json | tee /tmp/stmd-logs-bench.$$.json
echo "== peer: drain3 + torch (1 thread)"
OMP_NUM_THREADS=1 "$python" "$(dirname "$0")/peer.py" "$data" --rounds 2 --json | tee /tmp/stmd-logs-peer.$$.json
python3 - /tmp/stmd-logs-bench.$$.json /tmp/stmd-logs-peer.$$.json <<'PY'
import json, sys
ours, peer = (json.load(open(p)) for p in sys.argv[1:3])
print()
print("| path (one thread) | stmd lines/s | peer lines/s | ratio |")
print("| --- | ---: | ---: | ---: |")
for key, label in [("template_lines_per_second", "template mining"), ("full_lines_per_second", "template + detector step")]:
    print(f"| {label} | {ours[key]:,} | {peer[key]:,} | {ours[key] / peer[key]:.0f}× |")
print(f"| detector step alone | {ours['step_lines_per_second']:,} | | |")
PY
rm -f /tmp/stmd-logs-bench.$$.json /tmp/stmd-logs-peer.$$.json
