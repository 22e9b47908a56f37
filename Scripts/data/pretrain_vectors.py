#!/usr/bin/env python3
"""Pre-train English word vectors (word2vec, Gensim) on the project's data, tokenised the way stmd tokenises.

    ~/.cache/stmd/venv/bin/python Scripts/data/pretrain_vectors.py [--dim 100] [--algo auto|sg|cbow]
        [--data-root DIR] [--out DIR] [--epochs 10] [--workers 2]

Needs gensim (Benchmarks/fasttext/requirements.txt) and the splits from Scripts/data/prepare.py in --out
(default .build/data): every validation example of every model (valid*.tsv) is kept out of the corpus.

Corpus: AG News descriptions, BBC articles (one sentence per line) and their summaries, MR, SST-2 train and dev,
CR, TREC questions, Multi30k train.en — minus
- every text whose comparison key (prepare.key) equals a validation example's, in any dataset;
- for the sentiment sets (MR, SST-2, CR), also every sentence containing or contained in a validation sentence
  (MR and SST-2 share their Rotten Tomatoes snippets, see prepare.py);
- the BBC articles held out for topic-bbc validation, and their summaries (extractive: copied from the article).
Tokens: Scripts/data/stmtext.py, a port of stmd's TextNormalizer + WordTokenizer (lower-cased, `does n't`,
`it 's`, punctuation split, URLs -> `<url>`, e-mails -> `<email>`).

With --algo auto (the default) skip-gram and CBOW are both trained and the better one on a cheap probe is kept:
a ridge classifier on mean word vectors for each model's train.tsv, scored on a hash-chosen 20% of that same
train.tsv (the validation files are never used for the choice). Vectors go to <out>/vectors/en-<dim>.w2v
(word2vec text format) with en-<dim>.json beside them (settings, corpus counts, probe scores).
Fixed seed and a stable hash for the initial vectors; with more than one worker Gensim's thread scheduling
still makes runs differ in the last digits (use --workers 1 for bit-identical files).
"""
import argparse
import glob
import hashlib
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import prepare  # noqa: E402
import stmtext  # noqa: E402

SEED = 1234
PROBE_MODELS = ("topic-news", "topic-bbc", "question-trec", "sentiment-en")


def stable_hash(s):
    """Gensim seeds each word's initial vector with hashfxn(word + seed); Python's hash() is salted per run."""
    return int.from_bytes(hashlib.md5(s.encode("utf-8")).digest()[:4], "little")


def read_valid(out):
    """Keys of every validation example: {model: {key: label}}."""
    found = {}
    for path in sorted(glob.glob(os.path.join(out, "*", "valid*.tsv"))):
        model = os.path.basename(os.path.dirname(path))
        keys = found.setdefault(model, set())
        for line in prepare.read_lines(path):
            text, _, _ = line.rpartition("\t")
            keys.add(prepare.key(text))
    missing = [m for m in prepare.MODELS if m not in found]
    if missing:
        raise SystemExit(f"no valid*.tsv for {', '.join(missing)} under {out}: run Scripts/data/prepare.py first")
    return found


def collect(root, valid, skip=()):
    """Yields (source, text) for every text the corpus may use; returns counts of what was excluded.

    Sources named in `skip` are left out whole: MR by default, because SST-2 was cut from the same reviews and
    the withheld SST-2 test sentences are (as far as the public numbers tell) inside MR — even unlabelled, the
    vectors should not have read test text."""
    all_valid = set().union(*valid.values())
    sentiment_valid = sorted(valid["sentiment-en"])
    sentiment_index = prepare.ContainmentIndex(sentiment_valid)
    texts, excluded = [], {}

    def add(source, text, k=None):
        k = prepare.key(text) if k is None else k
        if k in all_valid:
            excluded[source] = excluded.get(source, 0) + 1
        else:
            texts.append((source, text, k))

    # Sentiment: exact and containment overlap with the sentiment validation sentences.
    sentiment = []
    for e in prepare.read_sst2(root, "train") + prepare.read_sst2(root, "dev"):
        sentiment.append(("sst2", e.text, e.key))
    for folder, pos, neg, name in (("sentiment/mr", "rt-polarity.pos", "rt-polarity.neg", "mr"),
                                   ("sentiment/cr", "custrev.pos", "custrev.neg", "cr")):
        if name in skip:
            continue
        for e in prepare.read_polarity(root, folder, pos, neg, name):
            sentiment.append((name, e.text, e.key))
    sentence_index = prepare.ContainmentIndex([k for _, _, k in sentiment])
    contains_valid = set()
    for k in sentiment_valid:
        contains_valid.update(sentence_index.containing(k))
    for i, (source, text, k) in enumerate(sentiment):
        if k in all_valid or i in contains_valid or sentiment_index.containing(k):
            excluded[source] = excluded.get(source, 0) + 1
        elif k:
            texts.append((source, text, k))

    for e in prepare.read_ag_news(root):
        add("ag_news", e.text, e.key)
    for e in prepare.read_trec(root):
        add("trec", e.text, e.key)
    bbc = os.path.join(root, "summarization/bbc-news-summary")
    for e in prepare.read_bbc(root):
        rel = e.source.split("/", 1)[1]  # <label>/<NNN>.txt
        if e.key in valid["topic-bbc"]:
            excluded["bbc_articles"] = excluded.get("bbc_articles", 0) + 1
            if os.path.exists(os.path.join(bbc, "summaries", rel)):
                excluded["bbc_summaries"] = excluded.get("bbc_summaries", 0) + 1
            continue
        with open(os.path.join(bbc, "articles", rel), encoding="utf-8") as f:
            for line in f:  # title and paragraphs: one "sentence" each
                if line.strip():
                    texts.append(("bbc_articles", line, None))
        summary = os.path.join(bbc, "summaries", rel)
        if os.path.exists(summary):
            with open(summary, encoding="utf-8") as f:
                texts.append(("bbc_summaries", f.read(), None))
    for line in prepare.read_lines(os.path.join(root, "mt/multi30k/train.en")):
        add("multi30k", line)
    return texts, excluded


# ----------------------------------------------------------------------------------------------------------------
# Probe: ridge classifier on mean vectors, on each model's own training file (80/20 by hash).


def probe(wv, out, np):
    scores = {}
    for model in PROBE_MODELS:
        rows = []
        for line in prepare.read_lines(os.path.join(out, model, "train.tsv")):
            text, _, label = line.rpartition("\t")
            rows.append((stmtext.tokens_of(text), label))
        labels = sorted({l for _, l in rows})
        x = np.zeros((len(rows), wv.vector_size + 1), dtype=np.float64)
        y = np.zeros((len(rows), len(labels)))
        for i, (tokens, label) in enumerate(rows):
            ids = [wv.key_to_index[t] for t in tokens if t in wv.key_to_index]
            if ids:
                x[i, :-1] = wv.vectors[ids].mean(axis=0)
            x[i, -1] = 1.0
            y[i, labels.index(label)] = 1.0
        test = np.array([int(prepare.sha1("probe\0" + " ".join(t))[:8], 16) % 5 == 0 for t, _ in rows])
        xt, yt = x[~test], y[~test]
        w = np.linalg.solve(xt.T @ xt + 1.0 * np.eye(x.shape[1]), xt.T @ yt)
        accuracy = float((np.argmax(x[test] @ w, 1) == np.argmax(y[test], 1)).mean())
        scores[model] = round(accuracy, 4)
    scores["mean"] = round(sum(scores[m] for m in PROBE_MODELS) / len(PROBE_MODELS), 4)
    return scores


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-root", default=os.environ.get("STMD_DATA", prepare.DEFAULT_DATA))
    ap.add_argument("--out", default=os.path.join(prepare.ROOT, ".build", "data"),
                    help="folder with prepare.py's splits; vectors go to <out>/vectors (default: %(default)s)")
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--algo", choices=("auto", "sg", "cbow"), default="auto",
                    help="auto: train both, keep the better on the probe (default)")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--window", type=int, default=5)
    ap.add_argument("--min-count", type=int, default=2)
    ap.add_argument("--workers", type=int, default=1,
                    help="1 (default) gives the same vectors on every run; more threads are faster but not repeatable")
    ap.add_argument("--skip-sources", default="mr",
                    help="comma-separated sources left out of the corpus (default: mr — it holds SST-2's test sentences)")
    args = ap.parse_args()
    try:
        import numpy as np
        from gensim.models import Word2Vec
    except ImportError as error:
        raise SystemExit(f"{error}: install Benchmarks/fasttext/requirements.txt (e.g. into ~/.cache/stmd/venv)")

    t0 = time.perf_counter()
    valid = read_valid(args.out)
    texts, excluded = collect(args.data_root, valid, skip=set(filter(None, args.skip_sources.split(","))))
    sentences, tokens_by_source, lines_by_source = [], {}, {}
    for source, text, _ in texts:
        tokens = stmtext.tokens_of(text)
        if tokens:
            sentences.append(tokens)
            tokens_by_source[source] = tokens_by_source.get(source, 0) + len(tokens)
            lines_by_source[source] = lines_by_source.get(source, 0) + 1
    n_tokens = sum(len(s) for s in sentences)
    t_corpus = time.perf_counter() - t0
    print(f"corpus: {len(sentences)} sentences, {n_tokens} tokens ({t_corpus:.1f} s to read and tokenise)")
    for source in sorted(lines_by_source):
        print(f"  {source:<13} {lines_by_source[source]:>7} sentences {tokens_by_source[source]:>9} tokens"
              f"   excluded (held out): {excluded.get(source, 0)}")
    for source in sorted(set(excluded) - set(lines_by_source)):
        print(f"  {source:<13} excluded (held out): {excluded[source]}")

    algos = ("sg", "cbow") if args.algo == "auto" else (args.algo,)
    runs = {}
    for algo in algos:
        t = time.perf_counter()
        model = Word2Vec(sentences=sentences, vector_size=args.dim, window=args.window, min_count=args.min_count,
                         sg=1 if algo == "sg" else 0, negative=5, epochs=args.epochs, seed=SEED,
                         workers=args.workers, hashfxn=stable_hash)
        seconds = time.perf_counter() - t
        scores = probe(model.wv, args.out, np)
        runs[algo] = {"model": model, "train_seconds": round(seconds, 1), "probe": scores}
        print(f"{algo:<4}: vocab {len(model.wv)}, trained in {seconds:.1f} s; probe accuracy {scores}")
    best = max(runs, key=lambda a: runs[a]["probe"]["mean"])
    wv = runs[best]["model"].wv
    if len(runs) > 1:
        print(f"kept {best} (higher mean probe accuracy)")
    for word in ("good", "bad", "n't", "football", "economy", "where"):
        if word in wv.key_to_index:
            print(f"  {word:<9} -> {', '.join(w for w, _ in wv.most_similar(word, topn=6))}")

    folder = os.path.join(args.out, "vectors")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"en-{args.dim}.w2v")
    wv.save_word2vec_format(path + ".tmp", binary=False)
    os.replace(path + ".tmp", path)
    meta = {
        "file": os.path.basename(path), "algorithm": best, "dim": args.dim, "window": args.window,
        "min_count": args.min_count, "negative": 5, "epochs": args.epochs, "seed": SEED, "workers": args.workers,
        "vocab": len(wv), "corpus_sentences": len(sentences), "corpus_tokens": n_tokens,
        "tokens_by_source": dict(sorted(tokens_by_source.items())), "excluded_held_out": dict(sorted(excluded.items())),
        "runs": {a: {"train_seconds": r["train_seconds"], "probe": r["probe"]} for a, r in runs.items()},
        "probe": "ridge classifier on mean vectors; each model's train.tsv, 20% of it (by hash) scored",
        "tokenizer": "Scripts/data/stmtext.py (port of Sources/STMText TextNormalizer + WordTokenizer defaults)",
        "gensim": __import__("gensim").__version__,
    }
    prepare.write_json(os.path.join(folder, f"en-{args.dim}.json"), meta)
    print(f"wrote {path} ({len(wv)} words x {args.dim}) in {time.perf_counter() - t0:.1f} s total")


if __name__ == "__main__":
    main()
