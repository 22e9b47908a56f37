#!/bin/sh
# Deterministic splits for the log-anomaly evaluation (see README.md). Usage: split.sh DATA_DIR OUT_DIR
#   hdfs: normal sessions of hdfs_train by line number n: n % 5 == 0 test, n % 5 == 1 validation, the other three
#         fifths train. Abnormal sessions of hdfs_test_abnormal (none is ever trained on): odd lines validation,
#         even lines test. Validation only chooses the minimum-probability default; test is scored once.
#   bgl:  the loghub BGL 2k sample (1,600 lines here) in time order: the first 60% (960 lines) train, the
#         last 40% (640 lines) test. Lines keep their label field; training skips it with --skip-fields.
set -eu
data=${1:?data dir (../shared/data/logs)}
out=${2:?output dir}
mkdir -p "$out/hdfs" "$out/bgl"
awk 'NR % 5 > 1' "$data/deeplog-hdfs/hdfs_train" > "$out/hdfs/train-normal"
awk 'NR % 5 == 1' "$data/deeplog-hdfs/hdfs_train" > "$out/hdfs/valid-normal"
awk 'NR % 5 == 0' "$data/deeplog-hdfs/hdfs_train" > "$out/hdfs/test-normal"
awk 'NR % 2 == 1' "$data/deeplog-hdfs/hdfs_test_abnormal" > "$out/hdfs/valid-abnormal"
awk 'NR % 2 == 0' "$data/deeplog-hdfs/hdfs_test_abnormal" > "$out/hdfs/test-abnormal"
bgl="$data/loghub/BGL/BGL_2k.log"
total=$(wc -l < "$bgl")
cut=$((total * 6 / 10))
tr -d '\r' < "$bgl" | head -n "$cut" > "$out/bgl/train.log"
tr -d '\r' < "$bgl" | tail -n +"$((cut + 1))" > "$out/bgl/test.log"
wc -l "$out"/hdfs/* "$out"/bgl/*
