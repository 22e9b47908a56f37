#!/usr/bin/env python3
"""Cuts a labelled TSV into K folds for cross-fitting: fold-k/train.tsv holds every line whose position (from 0)
is not k modulo K, fold-k/heldout.tsv the others. A base model trained on fold-k/train.tsv gives realistic,
held-out evidence on fold-k/heldout.tsv, which a context head can learn from (the shipped base model's own
training documents would give overconfident evidence). Standard library only; deterministic.

    python3 Benchmarks/memory-context/folds.py --data .build/data/topic-news/train.tsv --folds 3 --out DIR
"""
import argparse
import os


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    with open(args.data, encoding="utf-8") as handle:
        lines = [line for line in handle if line.strip()]
    for k in range(args.folds):
        folder = os.path.join(args.out, f"fold-{k}")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "train.tsv"), "w", encoding="utf-8") as train, \
                open(os.path.join(folder, "heldout.tsv"), "w", encoding="utf-8") as heldout:
            for position, line in enumerate(lines):
                (heldout if position % args.folds == k else train).write(line)
        print(f"fold {k}: {sum(1 for i in range(len(lines)) if i % args.folds != k)} training, "
              f"{sum(1 for i in range(len(lines)) if i % args.folds == k)} held out -> {folder}")


if __name__ == "__main__":
    main()
