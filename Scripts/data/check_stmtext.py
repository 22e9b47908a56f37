#!/usr/bin/env python3
"""Checks that Scripts/data/stmtext.py still tokenises exactly like stmd's Swift text front end.

    python3 Scripts/data/check_stmtext.py [--data-root DIR] [--swiftc swiftc]

Compiles Sources/STMText/*.swift with a small main (in a temporary folder, outside the package build) that
prints `WordTokenizer().tokens(in: TextNormalizer().normalize(line))` for every input line, feeds it every line
of English text under the data folder plus a few hand-written edge cases, and compares with the Python port.
Exit status 1 on any difference (the first ten are shown). Needs swiftc; takes ~20 s.
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import prepare  # noqa: E402
import stmtext  # noqa: E402

MAIN = """\
let tokenizer = WordTokenizer()
let normalizer = TextNormalizer()
while let line = readLine(strippingNewline: true) {
    print(tokenizer.tokens(in: normalizer.normalize(line)).joined(separator: "\\u{1}"))
}
"""

EDGE_CASES = [
    "doesn't it's we 're I'M o'clock O'Brien can't'  rock'n'roll 's 'S 'll",
    "mail me at a.b-c@x.co.uk. or www.foo.com/x?y=1), http://a.b x@y a@b.c@d.e",
    "3.5 1,000 well-made -lrb- ``hi'' \\/ ca n't n 't -- ...",
    "&amp; &#151; &#x41; hasn #39;t #39; &nbsp;x ﬁ １２ Ⅻ &bogus; &#99999999;",
    "Straße İstanbul ΣΑΣ naïve café e\u0301 \u200bzero\u00adwidth \ufffd",
]


def data_lines(root):
    files = []
    for pattern in ("sentiment/*/*", "topic/trec/TREC.train", "mt/multi30k/*.en",
                    "summarization/bbc-news-summary/*/*/*.txt"):
        files += sorted(glob.glob(os.path.join(root, pattern)))
    lines = []
    for path in files:
        lines += prepare.read_lines(path)
    for line in prepare.read_lines(os.path.join(root, "topic/ag_news/train.tsv")):
        lines.append(line.rpartition("\t")[0])
    # readLine() on the Swift side would split on these; the TSV writer never emits them.
    return [prepare._LINE_BREAKS.sub(" ", line) for line in lines]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-root", default=os.environ.get("STMD_DATA", prepare.DEFAULT_DATA))
    ap.add_argument("--swiftc", default=shutil.which("swiftc") or "swiftc")
    args = ap.parse_args()
    sources = sorted(glob.glob(os.path.join(prepare.ROOT, "Sources", "STMText", "*.swift")))
    lines = (data_lines(args.data_root) if os.path.isdir(args.data_root) else []) + EDGE_CASES
    with tempfile.TemporaryDirectory(prefix="stmtext-check-") as tmp:
        with open(os.path.join(tmp, "main.swift"), "w") as f:
            f.write(MAIN)
        binary = os.path.join(tmp, "tokens")
        build = subprocess.run([args.swiftc, "-O", "-module-name", "tokencheck", *sources,
                                os.path.join(tmp, "main.swift"), "-o", binary], capture_output=True, text=True)
        if build.returncode != 0:
            raise SystemExit(f"swiftc failed:\n{build.stderr[-3000:]}")
        run = subprocess.run([binary], input="\n".join(lines) + "\n", capture_output=True, text=True,
                             encoding="utf-8")
        if run.returncode != 0:
            raise SystemExit(f"the Swift tokenizer failed:\n{run.stderr[-3000:]}")
    swift = run.stdout.split("\n")[:len(lines)]
    differences = 0
    for line, expected in zip(lines, swift):
        got = "\x01".join(stmtext.tokens_of(line))
        if got != expected:
            differences += 1
            if differences <= 10:
                print(f"line: {line[:200]!r}\n  swift:  {expected.split(chr(1))[:40]}\n  python: {got.split(chr(1))[:40]}")
    print(f"{len(lines)} lines, {differences} differ between Sources/STMText and Scripts/data/stmtext.py")
    sys.exit(1 if differences else 0)


if __name__ == "__main__":
    main()
