#!/usr/bin/env python3
"""Rewrites the shipped-models table in README.md (between <!-- models:begin --> and <!-- models:end -->) from
each Models/<name>/config.json, so the numbers there are always the ones the training runs recorded."""
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    rows = ["| model | labels | validation accuracy | macro-F1 | examples | bundle | trained in |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    models = os.path.join(ROOT, "Models")
    for name in sorted(os.listdir(models)):
        config_path = os.path.join(models, name, "config.json")
        if not os.path.exists(config_path):
            continue
        with open(config_path, encoding="utf-8") as f:
            config = json.load(f)
        if config.get("format") == "stmd-context-head-1":
            continue  # a context head beside its base model: measured on streams (BENCHMARKS.md), not here
        if config.get("task", "classify") != "classify":
            continue  # the summarizer has no labels or accuracy; its ROUGE table is in its MODEL.md
        training = config.get("training") or {}
        validation = training.get("validation") or {}
        size = sum(os.path.getsize(os.path.join(models, name, entry)) for entry in os.listdir(os.path.join(models, name)))
        rows.append(
            f"| `{name}` | {', '.join(config['labels'])} | {100 * validation.get('accuracy', 0):.1f}% "
            f"| {100 * validation.get('macroF1', 0):.1f}% | {validation.get('examples', 0)} "
            f"| {size / 1048576:.2f} MiB | {training.get('trainingSeconds', 0):.0f} s |")
    readme = os.path.join(ROOT, "README.md")
    with open(readme, encoding="utf-8") as f:
        text = f.read()
    pattern = re.compile(r"(<!-- models:begin -->\n).*?(<!-- models:end -->)", re.S)
    if not pattern.search(text):
        sys.exit("README.md has no <!-- models:begin --> … <!-- models:end --> block")
    text = pattern.sub(lambda m: m.group(1) + "\n".join(rows) + "\n" + m.group(2), text)
    with open(readme, "w", encoding="utf-8") as f:
        f.write(text)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
