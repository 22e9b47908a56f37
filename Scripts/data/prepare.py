#!/usr/bin/env python3
"""Deterministic train/validation splits for stmd's four shipped classifiers, as TSV files.

    python3 Scripts/data/prepare.py [--data-root DIR] [--out DIR] [--models topic-news,...]

Reads the datasets under --data-root (default: $STMD_DATA, else /work/shared/data; see its README.md) and writes

    <out>/<model>/train.tsv, valid.tsv      text<TAB>label, UTF-8, one example per line
    <out>/sentiment-en/valid-sst2.tsv, valid-mr.tsv, valid-cr.tsv, overlap.json
    <out>/<model>/stats.json                 sizes per split and label, what was dropped and why

for the models topic-news (AG News), topic-bbc (BBC articles), question-trec (TREC coarse classes) and
sentiment-en (SST-2 + MR + CR). --out defaults to .build/data in the repository (gitignored).

Rules (all deterministic: no random generator, no clock):
- Text: tabs, newlines and other line breaks become spaces, runs of whitespace collapse to one, ends are stripped.
  Nothing else is changed (entities, PTB escapes such as `-lrb-`, casing stay as in the source), unless
  --fix-ptb is given (see `fix_ptb`).
- Every example has a comparison key (`key`): stmd's normalisation and tokenisation (stmtext.py, a port of
  Sources/STMText) after undoing the tokenisation differences between MR, SST-2 and CR (PTB escapes, `` '' `
  quotes, `\\/`, CR's `n 't`, bracket kinds, accents, stray quotes at the ends). Examples whose key has no
  word character (empty lines, a lone `*`) are dropped.
- Validation: stratified, ~10% of every label, chosen by the SHA-1 of the key (the `round(0.1 * n)` examples
  with the smallest hashes per label); SST-2's dev split is taken as is. Exact duplicates inside validation are
  kept once (first occurrence).
- Training: everything else, minus every example whose key equals a validation key, and minus repeats of a key
  already in training (first occurrence kept). For sentiment-en also minus every training sentence that
  contains, or is contained in, a validation sentence (token-level substring of the keys): MR and SST-2 are cut
  from the same Rotten Tomatoes snippets. Training files are written in a fixed hash order (labels mixed).
"""
import argparse
import collections
import hashlib
import json
import os
import re
import sys
import time
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stmtext  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_DATA = "/work/shared/data"
MODELS = ("topic-news", "topic-bbc", "question-trec", "sentiment-en")
VALID_FRACTION = 0.1

# ----------------------------------------------------------------------------------------------------------------
# Text


_LINE_BREAKS = re.compile(r"[\t\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
_SPACES = re.compile(r"\s+")


def clean(text):
    """One TSV field: no tabs or line breaks, single spaces, stripped."""
    return _SPACES.sub(" ", _LINE_BREAKS.sub(" ", text)).strip()


_PTB = [("-lrb-", "("), ("-rrb-", ")"), ("-lsb-", "["), ("-rsb-", "]"), ("-lcb-", "{"), ("-rcb-", "}"),
        ("``", "\""), ("''", "\""), ("`", "'"), ("\\/", "/"), ("\\*", "*")]
_CR_NT = re.compile(r"\b([Nn]) '([tT])\b")


def fix_ptb(text):
    """Undo the Penn-Treebank escapes of SST (`-lrb-`, `` `` ``, `''`, `\\/`) and CR's split `n 't`.

    stmd's tokenizer reads `-lrb-` as `- lrb -` and `n 't` as `n ' t`; raw text has `(` and `n't`.
    Case-insensitive for the escapes (the files are lower-cased anyway)."""
    for a, b in _PTB:
        if a in text:
            text = text.replace(a, b)
        upper = a.upper()
        if upper != a and upper in text:
            text = text.replace(upper, b)
    return _CR_NT.sub(r"\1'\2", text)


_WORD = re.compile(r"\w")
_OPEN = str.maketrans({"[": "(", "{": "("})
_CLOSE = str.maketrans({"]": ")", "}": ")"})
_EDGE_QUOTES = {"'", "\""}


def key(text):
    """Comparison key: the tokens stmd would read, after undoing the datasets' tokenisation differences."""
    tokens = stmtext.tokenize(fix_ptb(stmtext.normalize(text)))
    s = " ".join(tokens)
    if not s.isascii():
        s = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    s = s.translate(_OPEN).translate(_CLOSE)
    tokens = s.split()
    while tokens and tokens[0] in _EDGE_QUOTES:
        tokens.pop(0)
    while tokens and tokens[-1] in _EDGE_QUOTES:
        tokens.pop()
    return " ".join(tokens)


def sha1(s):
    return hashlib.sha1(s.encode("utf-8")).hexdigest()


class Example:
    __slots__ = ("text", "label", "source", "key")

    def __init__(self, text, label, source):
        self.text = clean(text)
        self.label = label
        self.source = source
        self.key = key(self.text)


# ----------------------------------------------------------------------------------------------------------------
# Readers


def read_lines(path):
    with open(path, encoding="utf-8", newline="\n") as f:
        data = f.read()
    lines = data.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.rstrip("\r") for line in lines]


def read_ag_news(root):
    out = []
    path = os.path.join(root, "topic/ag_news/train.tsv")
    for n, line in enumerate(read_lines(path), 1):
        text, sep, label = line.rpartition("\t")
        if not sep or not label:
            raise SystemExit(f"{path}:{n}: expected text<TAB>label")
        out.append(Example(text, label, "ag_news"))
    return out


def read_bbc(root):
    out = []
    base = os.path.join(root, "summarization/bbc-news-summary/articles")
    for label in sorted(os.listdir(base)):
        folder = os.path.join(base, label)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            if name.endswith(".txt"):
                with open(os.path.join(folder, name), encoding="utf-8") as f:
                    out.append(Example(f.read(), label, f"bbc/{label}/{name}"))
    return out


def read_trec(root):
    out = []
    path = os.path.join(root, "topic/trec/TREC.train")
    for n, line in enumerate(read_lines(path), 1):
        head, _, text = line.partition(" ")
        coarse = head.partition(":")[0]
        if not coarse or not text:
            raise SystemExit(f"{path}:{n}: expected COARSE:fine question")
        out.append(Example(text, coarse, "trec"))
    return out


def read_polarity(root, folder, pos, neg, source):
    out = []
    for name, label in ((pos, "positive"), (neg, "negative")):
        for line in read_lines(os.path.join(root, folder, name)):
            out.append(Example(line, label, source))
    return out


def read_sst2(root, split):
    out = []
    path = os.path.join(root, f"sentiment/sst2/stsa.binary.{split}")
    for n, line in enumerate(read_lines(path), 1):
        label, _, text = line.partition(" ")
        if label not in ("0", "1"):
            raise SystemExit(f"{path}:{n}: expected 0|1 sentence")
        out.append(Example(text, "positive" if label == "1" else "negative", f"sst2_{split}"))
    return out


# ----------------------------------------------------------------------------------------------------------------
# Splitting


def drop_empty(examples, stats, name):
    kept = [e for e in examples if _WORD.search(e.key)]
    if len(kept) != len(examples):
        stats.setdefault("dropped_no_word_character", {})[name] = len(examples) - len(kept)
    return kept


def stratified_slice(examples, fraction=VALID_FRACTION):
    """Per label, the round(fraction * n) examples with the smallest SHA-1 of their key -> (chosen, rest)."""
    by_label = collections.defaultdict(list)
    for i, e in enumerate(examples):
        by_label[e.label].append(i)
    chosen = set()
    for label, idx in by_label.items():
        idx.sort(key=lambda i: (sha1(examples[i].key), i))
        chosen.update(idx[:round(fraction * len(idx))])
    return ([e for i, e in enumerate(examples) if i in chosen],
            [e for i, e in enumerate(examples) if i not in chosen])


def dedupe(examples, seen=None):
    """Drop examples whose key is in `seen` or repeats an earlier one -> (kept, dropped, label_conflicts)."""
    seen = {} if seen is None else seen
    kept, dropped, conflicts = [], [], 0
    for e in examples:
        if e.key in seen:
            dropped.append(e)
            conflicts += seen[e.key] != e.label
        else:
            seen[e.key] = e.label
            kept.append(e)
    return kept, dropped, conflicts


def hash_order(examples):
    return sorted(examples, key=lambda e: (sha1("order\0" + e.key), e.label))


class ContainmentIndex:
    """Token-level substring search over many keys: which indexed keys contain a query key."""

    def __init__(self, keys):
        self.keys = keys
        self.padded = [f" {k} " for k in keys]
        postings = collections.defaultdict(set)
        for i, k in enumerate(keys):
            for t in set(k.split()):
                postings[t].add(i)
        self.postings = postings
        self.exact = collections.defaultdict(list)
        for i, k in enumerate(keys):
            self.exact[k].append(i)

    def containing(self, query):
        """Ids of keys that contain `query` as a contiguous token sequence, equality excluded."""
        if not query:
            return []
        sets = []
        for t in set(query.split()):
            p = self.postings.get(t)
            if not p:
                return []
            sets.append(p)
        sets.sort(key=len)
        candidates = sets[0].intersection(*sets[1:])
        padded = f" {query} "
        return sorted(i for i in candidates if self.keys[i] != query and padded in self.padded[i])

    def equal(self, query):
        return self.exact.get(query, [])


def label_counts(examples):
    return dict(sorted(collections.Counter(e.label for e in examples).items()))


# ----------------------------------------------------------------------------------------------------------------
# Models


def split_simple(examples, stats):
    """Stratified hash split; drop repeats inside each split and training examples equal to a validation one."""
    examples = drop_empty(examples, stats, "all")
    valid, rest = stratified_slice(examples)
    valid, dup_valid, conflicts_valid = dedupe(valid)
    valid_keys = {e.key: e.label for e in valid}
    train, dup_train, conflicts_train = dedupe(rest, seen=dict(valid_keys))
    in_valid = [e for e in dup_train if e.key in valid_keys]
    stats["dropped"] = {
        "valid_duplicate_within_valid": len(dup_valid),
        "valid_duplicate_label_conflicts": conflicts_valid,
        "train_equal_to_valid": len(in_valid),
        "train_equal_to_valid_label_conflicts": sum(valid_keys[e.key] != e.label for e in in_valid),
        "train_duplicate_within_train": len(dup_train) - len(in_valid),
    }
    stats["dropped"]["train_duplicate_label_conflicts"] = conflicts_train - stats["dropped"][
        "train_equal_to_valid_label_conflicts"]
    return hash_order(train), valid, {}


def prepare_sentiment(root, stats, train_sources=("sst2", "mr", "cr")):
    sst_train = drop_empty(read_sst2(root, "train"), stats, "sst2_train")
    sst_dev = drop_empty(read_sst2(root, "dev"), stats, "sst2_dev")
    mr = drop_empty(read_polarity(root, "sentiment/mr", "rt-polarity.pos", "rt-polarity.neg", "mr"), stats, "mr")
    cr = drop_empty(read_polarity(root, "sentiment/cr", "custrev.pos", "custrev.neg", "cr"), stats, "cr")
    mr_valid, mr_rest = stratified_slice(mr)
    cr_valid, cr_rest = stratified_slice(cr)
    pools = {"sst2_train": sst_train, "sst2_dev": sst_dev, "mr_slice": mr_valid, "mr_rest": mr_rest,
             "cr_slice": cr_valid, "cr_rest": cr_rest}
    overlap = {"key": "stmd normalisation + tokenisation after undoing PTB escapes, quote styles, CR's `n 't`, "
                      "bracket kinds and accents; 'contained' = contiguous token subsequence",
               "sizes_before_dedup": {name: len(p) for name, p in pools.items()}}

    # Overlap matrix: every evaluation set against every pool (before anything is removed).
    indexes = {name: ContainmentIndex([e.key for e in p]) for name, p in pools.items()}
    matrix = {}
    for ev_name, ev in (("sst2_dev", sst_dev), ("mr_slice", mr_valid), ("cr_slice", cr_valid)):
        ev_index = indexes[ev_name]
        row = {}
        for pool_name, pool in pools.items():
            if pool_name == ev_name:
                continue
            index = indexes[pool_name]
            equal = contained_in = contains = any_ = conflicts = 0
            contains_hits = set()
            for e in pool:  # pool sentences inside an evaluation sentence
                contains_hits.update(ev_index.containing(e.key))
            for i, e in enumerate(ev):
                eq = index.equal(e.key)
                inside = index.containing(e.key)
                equal += bool(eq)
                conflicts += any(pool[j].label != e.label for j in eq)
                contained_in += bool(inside)
                contains += i in contains_hits
                any_ += bool(eq or inside or i in contains_hits)
            row[pool_name] = {"equal": equal, "equal_label_conflicts": conflicts,
                              "contained_in_longer": contained_in, "contains_shorter": contains,
                              "any": any_, "of": len(ev)}
        matrix[ev_name] = row
    # The headline number from the issue: SST-2 dev against all of MR.
    mr_all_index = ContainmentIndex([e.key for e in mr])
    mr_all_hits = set()
    for e in mr:
        mr_all_hits.update(indexes["sst2_dev"].containing(e.key))
    matrix["sst2_dev"]["mr_all"] = {
        "equal": sum(bool(mr_all_index.equal(e.key)) for e in sst_dev),
        "contained_in_longer": sum(bool(mr_all_index.containing(e.key)) for e in sst_dev),
        "contains_shorter": len(mr_all_hits),
        "any": sum(bool(mr_all_index.equal(e.key) or mr_all_index.containing(e.key) or i in mr_all_hits)
                   for i, e in enumerate(sst_dev)),
        "of": len(sst_dev)}
    overlap["eval_vs_pools"] = matrix

    # Within-corpus repeats (informational).
    def repeats(examples):
        c = collections.Counter(e.key for e in examples)
        return sum(n - 1 for n in c.values())
    overlap["repeats_within"] = {"sst2_train": repeats(sst_train), "sst2_dev": repeats(sst_dev),
                                 "mr": repeats(mr), "cr": repeats(cr)}
    sst_keys = {e.key for e in sst_train}
    overlap["mr_sentences_equal_to_sst2_train"] = sum(e.key in sst_keys for e in mr)

    # Validation: the three sets, exact repeats across (and inside) them removed, earlier sets win.
    seen = {}
    eval_sets = {}
    valid_dropped = {}
    for name, ev in (("sst2", sst_dev), ("mr", mr_valid), ("cr", cr_valid)):
        kept, dropped, conflicts = dedupe(ev, seen)
        eval_sets[name] = kept
        valid_dropped[name] = {"dropped_exact_duplicates": len(dropped), "label_conflicts": conflicts}
    overlap["valid_dedup"] = valid_dropped
    valid = eval_sets["sst2"] + eval_sets["mr"] + eval_sets["cr"]
    valid_keys = {e.key: e.label for e in valid}

    # Training: SST-2 train, rest of MR, rest of CR; minus anything overlapping validation, minus repeats.
    train_pool = ((sst_train if "sst2" in train_sources else []) + (mr_rest if "mr" in train_sources else [])
                  + (cr_rest if "cr" in train_sources else []))
    overlap["train_sources"] = list(train_sources)
    valid_index = ContainmentIndex([e.key for e in valid])
    contains_valid = set()  # training sentences that contain a validation sentence
    train_index = ContainmentIndex([e.key for e in train_pool])
    for e in valid:
        contains_valid.update(train_index.containing(e.key))
    removed = collections.defaultdict(collections.Counter)
    removed_examples = []
    survivors = []
    for i, e in enumerate(train_pool):
        if e.key in valid_keys:
            reason = "equal_to_valid"
        elif valid_index.containing(e.key):
            reason = "contained_in_valid"
        elif i in contains_valid:
            reason = "contains_valid"
        else:
            survivors.append(e)
            continue
        removed[e.source][reason] += 1
        removed_examples.append((reason, e))
    train, dup_train, conflicts = dedupe(survivors)
    for e in dup_train:
        removed[e.source]["duplicate_within_train"] += 1
    short = [e for r, e in removed_examples if r == "contained_in_valid" and len(e.key.split()) <= 3]
    overlap["train_removed"] = {
        "by_source": {s: dict(sorted(c.items())) for s, c in sorted(removed.items())},
        "total_overlapping_valid": len(removed_examples),
        "total_duplicates_within_train": len(dup_train),
        "duplicate_label_conflicts": conflicts,
        "contained_in_valid_with_at_most_3_tokens": len(short),
        "examples_short_contained": sorted({e.text for e in short})[:20],
    }
    files = {"valid-sst2.tsv": eval_sets["sst2"], "valid-mr.tsv": eval_sets["mr"], "valid-cr.tsv": eval_sets["cr"]}
    overlap["final_sizes"] = {"train": len(train), "valid": len(valid),
                              **{name: len(ex) for name, ex in files.items()}}
    overlap["final_labels"] = {"train": label_counts(train), "valid": label_counts(valid),
                               **{name: label_counts(ex) for name, ex in files.items()}}
    overlap["train_by_source"] = dict(sorted(collections.Counter(e.source for e in train).items()))
    stats["overlap"] = overlap
    return hash_order(train), valid, files


# ----------------------------------------------------------------------------------------------------------------
# Output


def write_tsv(path, examples, fix):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        for e in examples:
            text = fix_ptb(e.text) if fix else e.text
            assert "\t" not in text and "\n" not in text and "\t" not in e.label
            f.write(f"{text}\t{e.label}\n")
    os.replace(tmp, path)


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-root", default=os.environ.get("STMD_DATA", DEFAULT_DATA),
                    help="dataset folder (default: $STMD_DATA or %(default)s)")
    ap.add_argument("--out", default=os.path.join(ROOT, ".build", "data"), help="output folder (default: %(default)s)")
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated subset of " + ",".join(MODELS))
    ap.add_argument("--sentiment-train", default="sst2,mr,cr",
                    help="sources of sentiment-en's training set (default: %(default)s); validation always has all "
                         "three. MR contains most SST-2 test sentences: leave it out for a clean SST-2 test score")
    ap.add_argument("--fix-ptb", action="store_true",
                    help="write SST's -lrb- `` '' \\/ as ( \" \" / and CR's n 't as n't (default: text as in source)")
    args = ap.parse_args()
    models = [m for m in args.models.split(",") if m]
    for m in models:
        if m not in MODELS:
            ap.error(f"unknown model {m!r}; known: {', '.join(MODELS)}")
    sentiment_train = tuple(s for s in args.sentiment_train.split(",") if s)
    if not sentiment_train or set(sentiment_train) - {"sst2", "mr", "cr"}:
        ap.error("--sentiment-train takes a comma-separated subset of sst2,mr,cr")
    if not os.path.isdir(args.data_root):
        ap.error(f"no dataset folder at {args.data_root} (set --data-root or STMD_DATA)")

    started = time.perf_counter()
    for model in models:
        stats = {"model": model, "data_root": args.data_root, "valid_fraction": VALID_FRACTION,
                 "fix_ptb": args.fix_ptb}
        if model == "topic-news":
            train, valid, extra = split_simple(read_ag_news(args.data_root), stats)
        elif model == "topic-bbc":
            train, valid, extra = split_simple(read_bbc(args.data_root), stats)
        elif model == "question-trec":
            train, valid, extra = split_simple(read_trec(args.data_root), stats)
        else:
            train, valid, extra = prepare_sentiment(args.data_root, stats, sentiment_train)
            stats["sentiment_train"] = list(sentiment_train)
        folder = os.path.join(args.out, model)
        os.makedirs(folder, exist_ok=True)
        write_tsv(os.path.join(folder, "train.tsv"), train, args.fix_ptb)
        write_tsv(os.path.join(folder, "valid.tsv"), valid, args.fix_ptb)
        for name, examples in extra.items():
            write_tsv(os.path.join(folder, name), examples, args.fix_ptb)
        stats["sizes"] = {"train": len(train), "valid": len(valid), **{n: len(e) for n, e in extra.items()}}
        stats["labels"] = {"train": label_counts(train), "valid": label_counts(valid),
                           **{n: label_counts(e) for n, e in extra.items()}}
        if "overlap" in stats:
            write_json(os.path.join(folder, "overlap.json"), stats.pop("overlap"))
        write_json(os.path.join(folder, "stats.json"), stats)
        print_summary(model, folder, stats)
    print(f"done in {time.perf_counter() - started:.1f} s -> {args.out}")


def print_summary(model, folder, stats):
    print(f"== {model}  ({folder})")
    for split, labels in stats["labels"].items():
        detail = "  ".join(f"{k} {v}" for k, v in labels.items())
        print(f"  {split:<15} {sum(labels.values()):>6}   {detail}")
    for what, value in stats.get("dropped", {}).items():
        if value:
            print(f"  dropped {what}: {value}")
    for what, value in stats.get("dropped_no_word_character", {}).items():
        print(f"  dropped (no word character) from {what}: {value}")
    overlap_path = os.path.join(folder, "overlap.json")
    if model == "sentiment-en" and os.path.exists(overlap_path):
        with open(overlap_path, encoding="utf-8") as f:
            ov = json.load(f)
        print("  overlap (equal / contained in a longer / contains a shorter / any, of N):")
        for ev, row in ov["eval_vs_pools"].items():
            for pool, c in row.items():
                print(f"    {ev:<9} vs {pool:<10} {c['equal']:>5} {c['contained_in_longer']:>5} "
                      f"{c['contains_shorter']:>5} {c['any']:>5}  of {c['of']}")
        print(f"  validation repeats removed: {ov['valid_dedup']}")
        tr = ov["train_removed"]
        print(f"  training removed: {tr['total_overlapping_valid']} overlapping validation, "
              f"{tr['total_duplicates_within_train']} repeats ({tr['duplicate_label_conflicts']} with the other label)")
        for src, c in tr["by_source"].items():
            print(f"    {src:<11} {c}")
        print(f"  training by source: {ov['train_by_source']}")


if __name__ == "__main__":
    main()
