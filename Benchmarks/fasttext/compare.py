#!/usr/bin/env python3
"""fastText baselines for stmd's four classifiers, on exactly the files Scripts/data/prepare.py writes.

    ~/.cache/stmd/venv/bin/python Benchmarks/fasttext/compare.py [--data .build/data] [--only a,b]
        [--stmd .build/release/stmd --models DIR] [--pretrained .build/data/vectors/en-100.w2v]
        [--results .build/fasttext/results.json]

For each model: <data>/<model>/train.tsv is tokenised the way stmd reads text (Scripts/data/stmtext.py:
entities, NFKC, lower-case, SST-style word tokens), written in fastText's `__label__X tok tok` format to a
temporary file, and fastText (supervised, softmax, one thread, seed 0) is trained for every point of a small
fixed grid. The grid point with the best accuracy on <data>/<model>/valid.tsv is reported: the grid is tuned on
the validation file, so the fastText numbers are slightly optimistic. For sentiment-en the chosen model is also
scored on valid-sst2.tsv, valid-mr.tsv and valid-cr.tsv.

Reported per model: accuracy and macro-F1; training seconds (the chosen grid point, thread=1); prediction
throughput in documents/s (one document per call, single thread, on already tokenised text, best of 3 passes).
With --stmd, `STMD eval --model <DIR>/<model> --data <file> --json` runs too (STMD_THREADS=1), timed
from outside; a missing binary or model is reported and skipped. Prints a Markdown table, writes the JSON file.

fastText's Python predict() calls numpy.array(..., copy=False), which numpy 2 rejects; this script calls the
binding underneath (`model.f.predict(line + "\\n", k, threshold, on_unicode_error)`) instead.
"""
import argparse
import itertools
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "Scripts", "data"))
import stmtext  # noqa: E402

MODELS = ("topic-news", "topic-bbc", "question-trec", "sentiment-en")
EXTRA_VALID = {"sentiment-en": ("valid-sst2.tsv", "valid-mr.tsv", "valid-cr.tsv")}
# Fixed for every run; the grid below varies the rest.
BASE = dict(dim=100, loss="softmax", minCount=1, bucket=200_000, thread=1, seed=0, verbose=0)
GRID = dict(wordNgrams=(1, 2), epoch=(5, 25, 50), lr=(0.1, 0.5))


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def read_tsv(path):
    rows = []
    with open(path, encoding="utf-8", newline="\n") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line:
                continue
            text, sep, label = line.rpartition("\t")
            if not sep:
                raise SystemExit(f"{path}:{n}: expected text<TAB>label")
            rows.append((" ".join(stmtext.tokens_of(text)), label))
    return rows


def metrics(gold, predicted, labels):
    n = len(gold)
    accuracy = sum(g == p for g, p in zip(gold, predicted)) / n if n else 0.0
    f1s = []
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold, predicted))
        fp = sum(g != label and p == label for g, p in zip(gold, predicted))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return accuracy, sum(f1s) / len(f1s) if f1s else 0.0


def predict_all(model, texts):
    """Top label per text through the C++ binding (see the module docstring)."""
    predict = model.f.predict
    out = []
    for text in texts:
        result = predict(text + "\n", 1, 0.0, "strict")
        out.append(result[0][1][len("__label__"):] if result else "")
    return out


def throughput(model, texts, passes=3):
    best = float("inf")
    for _ in range(passes):
        t = time.perf_counter()
        predict_all(model, texts)
        best = min(best, time.perf_counter() - t)
    return len(texts) / best if best > 0 else 0.0


def score(model, rows, labels):
    predicted = predict_all(model, [t for t, _ in rows])
    accuracy, macro_f1 = metrics([l for _, l in rows], predicted, labels)
    return {"examples": len(rows), "accuracy": round(accuracy, 4), "macro_f1": round(macro_f1, 4)}


def run_fasttext(fasttext, model_name, data, tmp, pretrained):
    train_rows = read_tsv(os.path.join(data, model_name, "train.tsv"))
    valid_files = ("valid.tsv",) + EXTRA_VALID.get(model_name, ())
    valid = {name: read_tsv(os.path.join(data, model_name, name)) for name in valid_files}
    labels = sorted({l for _, l in train_rows})
    train_path = os.path.join(tmp, f"{model_name}.train.txt")
    with open(train_path, "w", encoding="utf-8", newline="\n") as f:
        for text, label in train_rows:
            f.write(f"__label__{label} {text}\n")
    grid = [dict(zip(GRID, values)) for values in itertools.product(*GRID.values())]
    if pretrained:
        grid += [dict(g, pretrainedVectors=pretrained) for g in grid]
    runs = []
    best = None
    for point in grid:
        params = dict(BASE, **point)
        t = time.perf_counter()
        model = fasttext.train_supervised(input=train_path, **params)
        seconds = time.perf_counter() - t
        s = score(model, valid["valid.tsv"], labels)
        shown = {k: (os.path.basename(v) if k == "pretrainedVectors" else v) for k, v in point.items()}
        runs.append({"params": shown, "train_seconds": round(seconds, 2), **s})
        log(f"  {model_name:<14} {json.dumps(shown, sort_keys=True):<70} acc {s['accuracy']:.4f} "
            f"F1 {s['macro_f1']:.4f}  {seconds:5.1f} s")
        rank = (s["accuracy"], s["macro_f1"])
        if best is None or rank > best[0]:
            best = (rank, shown, seconds, model)
    _, params, seconds, model = best
    result = {"params": dict(BASE, **params), "train_seconds": round(seconds, 2), "labels": labels,
              "train_examples": len(train_rows), "threads": {"train": 1, "predict": 1}, "grid": runs, "scores": {}}
    for name, rows in valid.items():
        result["scores"][name] = score(model, rows, labels)
    texts = [t for t, _ in valid["valid.tsv"]]
    result["predict_docs_per_second"] = round(throughput(model, texts), 1)
    result["predict_note"] = "one document per call on pre-tokenised text; stmtext tokenisation not included"
    return result


def run_stmd(binary, models_dir, model_name, data):
    out = {}
    valid_files = ("valid.tsv",) + EXTRA_VALID.get(model_name, ())
    model_dir = os.path.join(models_dir, model_name)
    if not os.path.isdir(model_dir):
        return {"error": f"no model folder {model_dir}"}
    env = dict(os.environ, STMD_THREADS="1")
    for name in valid_files:
        path = os.path.join(data, model_name, name)
        command = [binary, "eval", "--model", model_dir, "--data", path, "--json"]
        t = time.perf_counter()
        try:
            proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=3600)
        except OSError as error:
            return {"error": str(error)}
        wall = time.perf_counter() - t
        if proc.returncode != 0:
            out[name] = {"error": (proc.stderr.strip() or proc.stdout.strip())[-500:], "command": command}
            continue
        report = None
        for line in reversed(proc.stdout.splitlines()):
            if line.strip().startswith("{"):
                try:
                    report = json.loads(line)
                    break
                except json.JSONDecodeError:
                    pass
        if report is None:
            out[name] = {"error": "no JSON object on stdout", "stdout": proc.stdout[-500:]}
            continue
        examples = report.get("examples")
        dps = report.get("docs_per_second", report.get("docs_per_second_timing"))
        out[name] = {
            "examples": examples, "accuracy": report.get("accuracy"), "macro_f1": report.get("macro_f1"),
            "docs_per_second": dps, "wall_seconds": round(wall, 3),
            "wall_docs_per_second": round(examples / wall, 1) if examples and wall > 0 else None,
            "threads": 1, "report": report,
        }
    return out


def fmt(value, digits=4):
    if value is None:
        return "—"
    if isinstance(value, float) and digits == 0:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def table(results):
    lines = ["| model | fastText acc | fastText macro-F1 | fastText train s | fastText predict docs/s "
             "| stmd acc | stmd macro-F1 | stmd predict docs/s |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for model_name, r in results.items():
        ft = r["fasttext"]
        for name, s in ft["scores"].items():
            label = model_name if name == "valid.tsv" else f"{model_name} / {name[len('valid-'):-len('.tsv')]}"
            first = name == "valid.tsv"
            st = (r.get("stmd") or {}).get(name) or {}
            lines.append(
                f"| {label} | {s['accuracy']:.4f} | {s['macro_f1']:.4f} | "
                f"{fmt(ft['train_seconds'], 1) if first else ''} | "
                f"{fmt(ft['predict_docs_per_second'], 0) if first else ''} | "
                f"{fmt(st.get('accuracy'))} | {fmt(st.get('macro_f1'))} | {fmt(st.get('docs_per_second'), 0)} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.path.join(ROOT, ".build", "data"),
                    help="folder written by Scripts/data/prepare.py (default: %(default)s)")
    ap.add_argument("--only", default=",".join(MODELS), help="comma-separated subset of models (default: all four)")
    ap.add_argument("--stmd", help="path to the stmd binary; with --models also scores stmd's models")
    ap.add_argument("--models", dest="models_dir", metavar="DIR",
                    help="folder holding one stmd model folder per model name (<DIR>/topic-news, ...)")
    ap.add_argument("--pretrained", help="also try every grid point with these .w2v/.vec vectors (dim 100)")
    ap.add_argument("--results", default=os.path.join(ROOT, ".build", "fasttext", "results.json"))
    args = ap.parse_args()
    try:
        import fasttext
    except ImportError:
        raise SystemExit("fasttext is missing: pip install -r Benchmarks/fasttext/requirements.txt")
    models = [m for m in args.only.split(",") if m]
    for m in models:
        if m not in MODELS:
            ap.error(f"unknown model {m!r}; known: {', '.join(MODELS)}")
        if not os.path.exists(os.path.join(args.data, m, "train.tsv")):
            ap.error(f"no {m}/train.tsv under {args.data}: run Scripts/data/prepare.py first")
    if args.pretrained and not os.path.exists(args.pretrained):
        ap.error(f"no vectors at {args.pretrained} (Scripts/data/pretrain_vectors.py writes them)")
    stmd = None
    if args.stmd:
        if not (os.path.isfile(args.stmd) and os.access(args.stmd, os.X_OK)):
            log(f"stmd binary {args.stmd} not found or not executable: skipping the stmd columns")
        elif not args.models_dir:
            log("--stmd without --models DIR: skipping the stmd columns")
        else:
            stmd = args.stmd

    results = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="stmd-fasttext-") as tmp:
        for model_name in models:
            log(f"fastText grid for {model_name} ({len(GRID['wordNgrams']) * len(GRID['epoch']) * len(GRID['lr'])}"
                f"{' x 2' if args.pretrained else ''} points, chosen on valid.tsv)")
            results[model_name] = {"fasttext": run_fasttext(fasttext, model_name, args.data, tmp, args.pretrained)}
            if stmd:
                log(f"stmd eval for {model_name}")
                results[model_name]["stmd"] = run_stmd(stmd, args.models_dir, model_name, args.data)
    report = {
        "data": os.path.abspath(args.data),
        "fasttext_version": getattr(fasttext, "__version__", None) or _dist_version("fasttext-wheel"),
        "grid": GRID, "base_params": BASE, "selection": "best accuracy (then macro-F1) on valid.tsv",
        "pretrained": args.pretrained, "machine": {"cpu": _cpu(), "cores": os.cpu_count(),
                                                   "python": platform.python_version()},
        "stmd": {"binary": args.stmd, "models_dir": args.models_dir, "used": bool(stmd)},
        "seconds": round(time.perf_counter() - started, 1),
        "models": results,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.results)), exist_ok=True)
    with open(args.results, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    print(table(results))
    print()
    print("fastText: grid " + ", ".join(f"{k} {list(v)}" for k, v in GRID.items())
          + (" (each also with pretrained vectors)" if args.pretrained else "")
          + f", tuned on valid.tsv (optimistic); fixed {json.dumps({k: v for k, v in BASE.items() if k != 'verbose'})}.")
    for model_name, r in results.items():
        chosen = {k: r['fasttext']['params'][k] for k in (*GRID, *(['pretrainedVectors'] if args.pretrained else []))
                  if k in r['fasttext']['params']}
        print(f"  {model_name}: {chosen}")
    print("Throughput: single thread; fastText one call per pre-tokenised document; stmd as its eval reports it "
          "(STMD_THREADS=1).")
    print(f"Results: {args.results}")


def _dist_version(name):
    try:
        from importlib.metadata import version
        return version(name)
    except Exception:
        return None


def _cpu():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


if __name__ == "__main__":
    main()
