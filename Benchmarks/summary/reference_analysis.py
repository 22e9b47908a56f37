"""Two facts about the BBC News Summary references quoted in BENCHMARKS.md ("Extractive summarization"):
how many references with three or more matched sentences keep document order, and which share of reference
sentences a plain word-frequency extractor recovers (the first 80 articles of each topic, K = the reference's
length). Standard library only; sentences are split with a simple regular expression, not stmd's splitter.

Usage: python3 reference_analysis.py DIR   (DIR: articles/<topic>/<n>.txt and summaries/<topic>/<n>.txt)
"""
import collections
import os
import re
import sys

STOP = set(("a an the and or but if of at by for with about against between into through during before after "
            "above below to from up down in out on off over under again further then once here there when where why "
            "how all any both each few more most other some such no nor not only own same so than too very s t can "
            "will just don should now i me my we our you your he him his she her it its they them their what which "
            "who whom this that these those am is are was were be been being have has had having do does did doing "
            "would could said say says also mr").split())


def sentences(body):
    return [s.strip() for s in re.split(r'(?<=[.!?"\'])\s+(?=[A-Z0-9"\'(])|\n\s*\n', body) if s.strip()]


def words(text):
    return re.findall(r"[a-z0-9]+", text.lower())


def main(root):
    in_order = with_three = 0
    recovered = []
    for topic in sorted(os.listdir(os.path.join(root, "articles"))):
        names = sorted(os.listdir(os.path.join(root, "articles", topic)))
        for position, name in enumerate(names):
            article = open(os.path.join(root, "articles", topic, name), encoding="utf-8").read()
            reference = open(os.path.join(root, "summaries", topic, name), encoding="utf-8").read()
            candidates = sentences(article.split("\n", 1)[1])
            found = sorted((reference.find(s), i) for i, s in enumerate(candidates) if s in reference)
            if len(found) >= 3:
                with_three += 1
                order = [i for _, i in found]
                in_order += order == sorted(order)
            if position >= 80 or not found:
                continue
            content = [[w for w in words(s) if w not in STOP] for s in candidates]
            frequency = collections.Counter(w for ws in content for w in ws)
            score = [sum(frequency[w] for w in ws) / max(1, len(ws)) for ws in content]
            top = sorted(range(len(candidates)), key=lambda i: -score[i])[:len(found)]
            labels = {i for _, i in found}
            recovered.append(sum(i in labels for i in top) / len(found))
    print(f"references with >= 3 matched sentences in document order: {in_order} of {with_three}")
    print(f"mean share of reference sentences among the top-K by mean content-word frequency: "
          f"{sum(recovered) / len(recovered):.3f} over {len(recovered)} articles")


if __name__ == "__main__":
    main(sys.argv[1])
