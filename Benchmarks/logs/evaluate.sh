#!/bin/sh
# make eval-logs: every log-anomaly number of BENCHMARKS.md, from the data to the scores.
# Usage: evaluate.sh STMD DATA_DIR(../shared/data/logs) WORK_DIR
set -eu
stmd=${1:?stmd binary}
data=${2:?data dir}
work=${3:?work dir}
here=$(dirname "$0")
"$here/split.sh" "$data" "$work/data" > /dev/null
export STMD_THREADS=1

echo "== HDFS (DeepLog keys): train on 3/5 of the normal sessions, validation split for the card"
"$stmd" train logs --keys "$work/data/hdfs/train-normal" --out "$work/models/hdfs-deeplog" \
    --valid-normal "$work/data/hdfs/valid-normal" --valid-abnormal "$work/data/hdfs/valid-abnormal" 2>/dev/null
echo "-- test split, default flags"
"$stmd" eval logs --model "$work/models/hdfs-deeplog" --normal "$work/data/hdfs/test-normal" --abnormal "$work/data/hdfs/test-abnormal"
"$stmd" eval logs --model "$work/models/hdfs-deeplog" --normal "$work/data/hdfs/test-normal" --abnormal "$work/data/hdfs/test-abnormal" --json
echo "-- test split, pure top-g (--min-probability 0)"
"$stmd" eval logs --model "$work/models/hdfs-deeplog" --normal "$work/data/hdfs/test-normal" --abnormal "$work/data/hdfs/test-abnormal" --min-probability 0 --json

echo "== BGL 2k sample (per-line labels): train on the first 960 lines, test on the last 640"
"$stmd" train logs --data "$work/data/bgl/train.log" --skip-fields 9 --spare-classes 64 --epochs 60 --out "$work/models/bgl" 2>/dev/null
"$stmd" eval logs --model "$work/models/bgl" --labelled "$work/data/bgl/test.log"
echo "-- with simulated operator feedback (mark-normal after each flagged normal line)"
"$stmd" eval logs --model "$work/models/bgl" --labelled "$work/data/bgl/test.log" --feedback

echo "== Drain grouping accuracy, loghub 2k samples (similarity 0.5, depth 4, the paper's defaults)"
"$stmd" eval templates "$data"/loghub/*/*_structured.csv
echo "-- similarity 0.7"
"$stmd" eval templates "$data"/loghub/*/*_structured.csv --similarity 0.7 --json
